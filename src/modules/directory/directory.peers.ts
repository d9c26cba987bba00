/** Peer nodes: their links, credentials and certificates, and the principals they act as. */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { nodeKey, seal, unseal } from '../../core/secrets.js';
import {
  isRole, memberGroups, ROLES, type MemberKind, type MemberOfPrincipal, type Principal, type Role,
} from '../../policy/principal.js';
import { canAdminister, credentialDecision } from '../../policy/rule.js';
import { principalOfUser } from './directory.authentication.js';
import { audited } from './directory.changes.js';
import { actorId } from './directory.requests.js';
import * as audit from '../audit/audit.service.js';
import * as repo from './directory.repo.js';

export const PEER_DIRECTIONS = ['none', 'pull', 'push', 'both'] as const;
export type PeerDirection = (typeof PEER_DIRECTIONS)[number];
export const PEER_AUTH = ['mtls', 'token', 'basic', 'none'] as const;
export type PeerAuth = (typeof PEER_AUTH)[number];

export interface Peer {
  /** The peer node's name, e.g. deu-node. */
  name: string;
  /** The common name of its client certificate. */
  certificateCn: string;
  /** The members it stands for (the first is its principal's member). */
  members: string[];
  clearance: number;
  roles: Role[];
  /** Its TAXII 2.1 API root, when this node pulls from or pushes to it. */
  url: string | null;
  /** Remote collection (id or alias) pulled from, and pushed to. */
  pullCollection: string | null;
  pushCollection: string | null;
  direction: PeerDirection;
  intervalSeconds: number;
  /** How this node authenticates to it: its node certificate, a token, a user and password. */
  auth: PeerAuth;
  username: string | null;
  /** Whether a token or password is sealed in the store (never shown). */
  hasSecret: boolean;
  /** PEM file of the CA that signed the peer's server certificate (default: the node's client CA). */
  caFile: string | null;
  /** Seconds the peer may take to answer one page (headers, then each part of the body). */
  pageTimeoutSeconds: number;
  /** A disabled peer is neither synced nor let in by its certificate; its records stay. */
  disabled: boolean;
  /**
   * The node administrators who registered or widened it since it was last enabled: it stays
   * disabled until another one enables it (the two-person rule); empty when none waits.
   */
  awaitingApprovalBy: string[];
  createdAt: string;
}

export type PeerInput = Pick<Peer, 'name' | 'members' | 'clearance' | 'roles'> &
  Partial<Omit<Peer, 'name' | 'members' | 'clearance' | 'roles' | 'hasSecret' | 'disabled' | 'awaitingApprovalBy' | 'createdAt'>> & {
    /** A token or password for the peer: sealed with the node key before it is stored. */
    secret?: string;
  };

/** What federation needs to reach a peer: the peer and its credential, unsealed. */
export interface PeerLink extends Peer {
  secret: string | null;
}

function presentPeer(p: repo.PeerRow): Peer {
  return {
    name: p.name,
    certificateCn: p.certificate_cn,
    members: p.members === null ? [p.member_code] : p.members.split(',').filter((m) => m !== ''),
    clearance: p.clearance,
    roles: p.roles.split(',').filter(isRole),
    url: p.url,
    pullCollection: p.pull_collection,
    pushCollection: p.push_collection,
    direction: (PEER_DIRECTIONS as readonly string[]).includes(p.direction) ? (p.direction as PeerDirection) : 'none',
    intervalSeconds: p.interval_s,
    auth: (PEER_AUTH as readonly string[]).includes(p.auth) ? (p.auth as PeerAuth) : 'mtls',
    username: p.username,
    hasSecret: p.secret !== null,
    caFile: p.ca_file,
    pageTimeoutSeconds: p.page_timeout_s,
    disabled: p.disabled_at !== null,
    awaitingApprovalBy: waitingOn(p.awaiting_approval_by),
    createdAt: p.created_at,
  };
}

function waitingOn(column: string | null): string[] {
  return column === null ? [] : column.split(',').filter((a) => a !== '');
}

/**
 * A peer reads as the members it stands for, within its clearance and roles, and pushes send
 * what they may read to its URL: registering one is giving a credential of each of those
 * members (policy credentialDecision). A node administrator who registers or widens one beyond
 * what it could give at once (a member whose intelligence it does not read, a clearance above
 * its own, a role granting what its roles do not) leaves it disabled until a second node
 * administrator enables it: the two-person rule, as for tokens. Why, or undefined when the actor
 * may by itself (the node itself, the local command line, always may).
 */
function secondPersonReason(ctx: AppContext, actor: Principal, peer: Pick<Peer, 'name' | 'members' | 'clearance' | 'roles'>): string | undefined {
  for (const member of peer.members) {
    // Named so that it is never the actor's own user: a peer is not the actor.
    const decision = credentialDecision(actor, { name: `peer ${peer.name}`, member, clearance: peer.clearance, roles: peer.roles }, (role) => ctx.permissions.of(role));
    if (decision.outcome !== 'issue') return decision.reason;
  }
  return undefined;
}

/** Adds the actor to those a peer waits on: ",user:a," and user:b give ",user:a,user:b,". */
function awaiting(column: string | null, actor: Principal): string {
  const waiting = waitingOn(column);
  const id = actorId(actor);
  return `,${[...waiting.filter((a) => a !== id), id].join(',')},`;
}

/**
 * Does a change let the peer read more, act as more, or send elsewhere? Members or roles added,
 * clearance raised, another certificate name (whoever holds it acts as the peer), another URL,
 * collection or CA for pushes, or pushes where there were none.
 */
function widens(current: Peer, merged: Pick<Peer, 'members' | 'clearance' | 'roles' | 'certificateCn' | 'url' | 'pushCollection' | 'direction' | 'caFile'>): string[] {
  const pushes = (d: PeerDirection) => d === 'push' || d === 'both';
  return [
    merged.members.some((m) => !current.members.includes(m)) ? 'members' : '',
    merged.clearance > current.clearance ? 'clearance' : '',
    merged.roles.some((r) => !current.roles.includes(r)) ? 'roles' : '',
    merged.certificateCn !== current.certificateCn ? 'certificate_cn' : '',
    merged.url !== current.url ? 'url' : '',
    merged.pushCollection !== current.pushCollection ? 'push_collection' : '',
    merged.caFile !== current.caFile ? 'ca_file' : '',
    pushes(merged.direction) && !pushes(current.direction) ? 'direction' : '',
  ].filter((w) => w !== '');
}

/** The longest a peer may be given to answer one page: an hour. */
export const MAX_PAGE_TIMEOUT_S = 3600;

/** Checks a peer definition; throws a BAD_REQUEST naming the field and the fix. */
function checkPeer(peer: PeerInput): void {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(peer.name)) throw shieldwallError('BAD_REQUEST', `peer name '${peer.name}' is not valid: use lower-case letters, digits, '.', '_' and '-'`);
  if (peer.members.length === 0) throw shieldwallError('BAD_REQUEST', 'a peer stands for at least one member: give --member CODE');
  const bad = peer.roles.find((r) => !isRole(r));
  if (bad !== undefined || peer.roles.length === 0) throw shieldwallError('BAD_REQUEST', `unknown role '${bad ?? ''}': use one or more of ${ROLES.join(', ')}`);
  const direction = peer.direction ?? (peer.url ? 'both' : 'none');
  if (!(PEER_DIRECTIONS as readonly string[]).includes(direction)) throw shieldwallError('BAD_REQUEST', `direction '${direction}' is not one of ${PEER_DIRECTIONS.join(', ')}`);
  if (peer.auth !== undefined && !(PEER_AUTH as readonly string[]).includes(peer.auth)) throw shieldwallError('BAD_REQUEST', `auth '${peer.auth}' is not one of ${PEER_AUTH.join(', ')}`);
  if (peer.url) {
    let url: URL;
    try {
      url = new URL(peer.url);
    } catch {
      throw shieldwallError('BAD_REQUEST', `url '${peer.url}' is not a URL: give the peer's TAXII API root, e.g. https://deu.example:8443/taxii2/intel/`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw shieldwallError('BAD_REQUEST', `url '${peer.url}' is not http(s)`);
    if (url.username || url.password) throw shieldwallError('BAD_REQUEST', 'put credentials in --token-file or --password-file, not in the url');
  } else if (direction !== 'none') throw shieldwallError('BAD_REQUEST', `direction ${direction} needs the peer's TAXII API root: give --url`);
  if (peer.intervalSeconds !== undefined && !(Number.isInteger(peer.intervalSeconds) && peer.intervalSeconds >= 1 && peer.intervalSeconds <= 86_400)) {
    throw shieldwallError('BAD_REQUEST', `interval ${peer.intervalSeconds} is not a whole number of seconds from 1 to 86400`);
  }
  if (peer.pageTimeoutSeconds !== undefined && !(Number.isInteger(peer.pageTimeoutSeconds) && peer.pageTimeoutSeconds >= 1 && peer.pageTimeoutSeconds <= MAX_PAGE_TIMEOUT_S)) {
    throw shieldwallError('BAD_REQUEST', `page_timeout_s ${peer.pageTimeoutSeconds} is not a whole number of seconds from 1 to ${MAX_PAGE_TIMEOUT_S} (--page-timeout)`);
  }
  if ((peer.auth === 'token' || peer.auth === 'basic') && !peer.secret) throw shieldwallError('BAD_REQUEST', `auth ${peer.auth} needs the ${peer.auth === 'token' ? 'token' : 'password'}: give --${peer.auth === 'token' ? 'token' : 'password'}-file`);
  if (peer.auth === 'basic' && !peer.username) throw shieldwallError('BAD_REQUEST', 'auth basic needs --username');
}

/**
 * Registers a peer node (node administrators): its certificate acts for its members, and, with
 * a URL, this node pulls from and pushes to its TAXII server.
 */
export async function createPeer(ctx: AppContext, actor: Principal, peer: PeerInput): Promise<Peer> {
  if (!canAdminister(actor, null)) throw shieldwallError('FORBIDDEN', 'only a node administrator registers peer nodes');
  checkPeer(peer);
  for (const code of peer.members) if (!(await repo.findMember(ctx.store.db, code))) throw shieldwallError('NOT_FOUND', `no member with code '${code}'; add it first with: shieldwall members add`);
  const certificateCn = peer.certificateCn ?? peer.name;
  if (await repo.findPeer(ctx.store.db, peer.name)) throw shieldwallError('CONFLICT', `a peer named '${peer.name}' exists already`);
  if (await repo.findPeerByCertificate(ctx.store.db, certificateCn)) throw shieldwallError('CONFLICT', `a peer with certificate '${certificateCn}' exists already`);
  // A certificate names a peer before a user: the user's certificate would act for the peer's members.
  if (await repo.findUser(ctx.store.db, certificateCn)) throw shieldwallError('CONFLICT', `'${certificateCn}' is a user's name: its certificate would act as this peer; give the peer a certificate name of its own (certificate_cn, --certificate-cn)`);
  const direction = peer.direction ?? (peer.url ? 'both' : 'none');
  const secondPerson = secondPersonReason(ctx, actor, peer);
  const row = {
    name: peer.name,
    certificate_cn: certificateCn,
    member_code: peer.members[0]!,
    members: `,${peer.members.join(',')},`,
    clearance: peer.clearance,
    roles: `,${peer.roles.join(',')},`,
    created_at: ctx.clock.now().toISOString(),
    // Beyond what the actor could give by itself: disabled until a second node administrator enables it.
    disabled_at: secondPerson === undefined ? null : ctx.clock.now().toISOString(),
    awaiting_approval_by: secondPerson === undefined ? null : awaiting(null, actor),
    url: peer.url ?? null,
    pull_collection: peer.pullCollection ?? (peer.url ? 'intel' : null),
    push_collection: peer.pushCollection ?? peer.pullCollection ?? (peer.url ? 'intel' : null),
    direction,
    interval_s: peer.intervalSeconds ?? 60,
    auth: peer.auth ?? 'mtls',
    username: peer.username ?? null,
    secret: peer.secret ? seal(nodeKey(ctx.config.secretKeyFile), peer.secret) : null,
    ca_file: peer.caFile ?? null,
    page_timeout_s: peer.pageTimeoutSeconds ?? 30,
  };
  const { secret: _sealed, ...shown } = row;
  const event = { action: 'directory.peer.create', subject: peer.name, detail: { ...shown, has_secret: row.secret !== null, ...(secondPerson === undefined ? {} : { second_person: secondPerson }) } };
  await audited(ctx, actor, event, (db) => repo.insertPeer(db, row));
  return presentPeer(row as repo.PeerRow);
}

/** Changes to a peer: null clears an optional setting (url, username, ca_file, secret). */
export type PeerChanges = Partial<Pick<PeerInput, 'members' | 'clearance' | 'roles' | 'certificateCn' | 'pullCollection' | 'pushCollection' | 'direction' | 'intervalSeconds' | 'auth' | 'pageTimeoutSeconds'>> & {
  url?: string | null;
  username?: string | null;
  caFile?: string | null;
  secret?: string | null;
};

async function existingPeer(ctx: AppContext, name: string): Promise<repo.PeerRow> {
  const row = await repo.findPeer(ctx.store.db, name);
  if (!row) throw shieldwallError('NOT_FOUND', `no peer named '${name}' (shieldwall peers list shows them)`);
  return row;
}

/**
 * Changes a peer's settings (node administrators): what is not given stays. Checked as a new
 * peer would be; the cursors and counts stay (remove and add the peer to start again).
 */
export async function updatePeer(ctx: AppContext, actor: Principal, name: string, changes: PeerChanges): Promise<Peer> {
  if (!canAdminister(actor, null)) throw shieldwallError('FORBIDDEN', 'only a node administrator changes peer nodes');
  const row = await existingPeer(ctx, name);
  const current = presentPeer(row);
  const pick = <T>(given: T | undefined, kept: T): T => (given === undefined ? kept : given);
  const merged = {
    name,
    members: pick(changes.members, current.members),
    clearance: pick(changes.clearance, current.clearance),
    roles: pick(changes.roles, current.roles),
    certificateCn: pick(changes.certificateCn, current.certificateCn),
    url: pick(changes.url, current.url),
    pullCollection: pick(changes.pullCollection, current.pullCollection),
    pushCollection: pick(changes.pushCollection, current.pushCollection),
    direction: pick(changes.direction, current.direction),
    intervalSeconds: pick(changes.intervalSeconds, current.intervalSeconds),
    auth: pick(changes.auth, current.auth),
    username: pick(changes.username, current.username),
    caFile: pick(changes.caFile, current.caFile),
    pageTimeoutSeconds: pick(changes.pageTimeoutSeconds, current.pageTimeoutSeconds),
  };
  const keepsSecret = changes.secret === undefined && row.secret !== null;
  checkPeer({
    ...merged,
    url: merged.url ?? undefined,
    username: merged.username ?? undefined,
    // The sealed secret stays when none is given: it satisfies the check as it is.
    ...(changes.secret ? { secret: changes.secret } : keepsSecret ? { secret: 'kept' } : {}),
  });
  for (const code of merged.members) if (!(await repo.findMember(ctx.store.db, code))) throw shieldwallError('NOT_FOUND', `no member with code '${code}'; add it first with: shieldwall members add`);
  if (merged.certificateCn !== current.certificateCn) {
    if (await repo.findPeerByCertificate(ctx.store.db, merged.certificateCn)) throw shieldwallError('CONFLICT', `a peer with certificate '${merged.certificateCn}' exists already`);
    if (await repo.findUser(ctx.store.db, merged.certificateCn)) throw shieldwallError('CONFLICT', `'${merged.certificateCn}' is a user's name: its certificate would act as this peer; give the peer a certificate name of its own`);
  }
  const secondPerson = secondPersonReason(ctx, actor, merged);
  const widened = secondPerson === undefined ? [] : widens(current, { ...merged, pushCollection: merged.pushCollection ?? (merged.url ? 'intel' : null) });
  const update = {
    ...(widened.length > 0 ? { disabled_at: row.disabled_at ?? ctx.clock.now().toISOString(), awaiting_approval_by: awaiting(row.awaiting_approval_by, actor) } : {}),
    certificate_cn: merged.certificateCn,
    member_code: merged.members[0]!,
    members: `,${merged.members.join(',')},`,
    clearance: merged.clearance,
    roles: `,${merged.roles.join(',')},`,
    url: merged.url,
    pull_collection: merged.pullCollection ?? (merged.url ? 'intel' : null),
    push_collection: merged.pushCollection ?? merged.pullCollection ?? (merged.url ? 'intel' : null),
    direction: merged.direction,
    interval_s: merged.intervalSeconds,
    auth: merged.auth,
    username: merged.username,
    ca_file: merged.caFile,
    page_timeout_s: merged.pageTimeoutSeconds,
    ...(changes.secret !== undefined ? { secret: changes.secret === null ? null : seal(nodeKey(ctx.config.secretKeyFile), changes.secret) } : {}),
  };
  const { secret: _sealed, ...shown } = update;
  const changed = Object.keys(changes).filter((k) => changes[k as keyof PeerChanges] !== undefined);
  const detail = { changed, ...shown, ...(changes.secret !== undefined ? { secret_changed: true } : {}), ...(widened.length > 0 ? { widened, second_person: secondPerson } : {}) };
  await audited(ctx, actor, { action: 'directory.peer.update', subject: name, detail }, (db) => repo.updatePeer(db, name, update));
  return presentPeer({ ...row, ...update, secret: update.secret === undefined ? row.secret : update.secret });
}

/**
 * Disables or enables a peer (node administrators). A disabled peer is not synced, and its
 * certificate is refused; its settings, cursors and provenance stay.
 */
export async function setPeerDisabled(ctx: AppContext, actor: Principal, name: string, disabled: boolean): Promise<Peer> {
  if (!canAdminister(actor, null)) throw shieldwallError('FORBIDDEN', `only a node administrator ${disabled ? 'disables' : 'enables'} peer nodes`);
  const row = await existingPeer(ctx, name);
  const waiting = waitingOn(row.awaiting_approval_by);
  if (!disabled && actor.kind !== 'system' && waiting.includes(actorId(actor))) {
    await audit.record(ctx, actor, [{ action: 'directory.peer.denied', subject: name, detail: { reason: 'own registration or widening', awaiting_approval_by: waiting } }]);
    throw shieldwallError(
      'SECOND_PERSON_REQUIRED',
      `you registered or widened peer '${name}' (what it reads as its members, or where this node sends it); a second node administrator enables it: POST /api/v1/peers/${name}/enable (on the node: shieldwall peers enable ${name})`,
    );
  }
  const disabledAt = disabled ? (row.disabled_at ?? ctx.clock.now().toISOString()) : null;
  // Enabled by a second person (or the node itself): nobody waits any more.
  const awaitingApprovalBy = disabled ? row.awaiting_approval_by : null;
  const detail = { was_disabled: row.disabled_at !== null, ...(waiting.length > 0 ? { awaiting_approval_by: waiting } : {}) };
  await audited(ctx, actor, { action: disabled ? 'directory.peer.disable' : 'directory.peer.enable', subject: name, detail }, (db) => repo.updatePeer(db, name, { disabled_at: disabledAt, awaiting_approval_by: awaitingApprovalBy }));
  return presentPeer({ ...row, disabled_at: disabledAt, awaiting_approval_by: awaitingApprovalBy });
}

/**
 * Removes a peer (node administrators): its certificate no longer acts for anyone. What it
 * delivered stays on the node, with the provenance records that say so.
 */
export async function removePeer(ctx: AppContext, actor: Principal, name: string): Promise<Peer> {
  if (!canAdminister(actor, null)) throw shieldwallError('FORBIDDEN', 'only a node administrator removes peer nodes');
  const row = await existingPeer(ctx, name);
  const { secret: _sealed, ...shown } = row;
  await audited(ctx, actor, { action: 'directory.peer.delete', subject: name, detail: { ...shown, has_secret: row.secret !== null } }, (db) => repo.deletePeer(db, name));
  return presentPeer(row);
}

export async function listPeers(ctx: AppContext): Promise<Peer[]> {
  return (await repo.listPeers(ctx.store.db)).map(presentPeer);
}

/** The peer with its credential unsealed, for the federation module only. */
export async function peerLink(ctx: AppContext, name: string): Promise<PeerLink | undefined> {
  const row = await repo.findPeer(ctx.store.db, name);
  if (!row || row.disabled_at !== null) return undefined;
  return { ...presentPeer(row), secret: row.secret === null ? null : unseal(nodeKey(ctx.config.secretKeyFile), row.secret) };
}

async function memberOfPrincipal(ctx: AppContext, code: string): Promise<MemberOfPrincipal | undefined> {
  const m = await repo.findMember(ctx.store.db, code);
  if (!m) return undefined;
  return { code: m.code, kind: m.kind as MemberKind, identityId: m.identity_id, groups: memberGroups(m.kind as MemberKind, await repo.namedGroupsOf(ctx.store.db, m.code)) };
}

/** The principal a peer node acts as: the members it stands for, its clearance and roles. */
export async function principalOfPeer(ctx: AppContext, name: string): Promise<Principal | undefined> {
  const row = await repo.findPeer(ctx.store.db, name);
  return row ? peerPrincipal(ctx, row) : undefined;
}

async function peerPrincipal(ctx: AppContext, row: repo.PeerRow): Promise<Principal | undefined> {
  if (row.disabled_at !== null) return undefined;
  const peer = presentPeer(row);
  const represents: MemberOfPrincipal[] = [];
  for (const code of peer.members) {
    const member = await memberOfPrincipal(ctx, code);
    if (member) represents.push(member);
  }
  if (represents.length === 0) return undefined;
  return { kind: 'peer', name: peer.name, userName: null, roles: peer.roles, member: represents[0]!, represents, clearance: peer.clearance };
}

/**
 * The principal a client certificate acts as: a registered peer node with that certificate
 * name first, else the user of that name.
 */
export async function principalOfCertificate(ctx: AppContext, cn: string): Promise<Principal | undefined> {
  const peer = await repo.findPeerByCertificate(ctx.store.db, cn);
  if (!peer) return principalOfUser(ctx, cn, 'user', `certificate ${cn}`);
  return peerPrincipal(ctx, peer);
}
