/** Directory use cases: members and API tokens (the full directory grows with need-to-know). */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { isRole, memberGroups, ROLES, type MemberKind, type MemberOfPrincipal, type Principal, type Role } from '../../policy/principal.js';
import { nodeKey, seal, unseal } from '../../core/secrets.js';
import { writeTransaction, type WriteTx } from '../../db/database.js';
import * as audit from '../audit/audit.service.js';
import { canAdminister, canGrant, credentialDecision } from '../../policy/rule.js';
import * as repo from './directory.repo.js';
import type { Contact } from './directory.schema.js';

export type { MemberKind } from '../../policy/principal.js';

export interface Member {
  code: string;
  name: string;
  kind: MemberKind;
  country: string | null;
  identityId: string | null;
  /** Points of contact; kept as they are when omitted on save. */
  contacts?: Contact[];
}

export interface MemberView extends Required<Member> {
  groups: string[];
}

function present(row: repo.MemberRow, named: string[]): MemberView {
  return {
    code: row.code,
    name: row.name,
    kind: row.kind as MemberKind,
    country: row.country,
    identityId: row.identity_id,
    groups: memberGroups(row.kind as MemberKind, named),
    contacts: JSON.parse(row.contacts) as Contact[],
  };
}

export async function listMembers(ctx: AppContext, _actor: Principal): Promise<MemberView[]> {
  const groups = await repo.groupMemberships(ctx.store.db);
  return (await repo.listMembers(ctx.store.db)).map((row) => present(row, groups.get(row.code) ?? []));
}

const MEMBER_CODE = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;

const noMember = (code: string) => `no member with code '${code}'; add it with POST /api/v1/members (on the node: shieldwall members add --code ${code} ...)`;

function isNodeAdministrator(actor: Principal): boolean {
  return actor.kind === 'system' || actor.roles.includes('node-admin');
}

/** The member shown to the actor after a change. */
async function memberView(ctx: AppContext, actor: Principal, code: string): Promise<MemberView> {
  const found = (await listMembers(ctx, actor)).find((m) => m.code === code);
  if (!found) throw shieldwallError('NOT_FOUND', noMember(code));
  return found;
}

/** Refuses a STIX identity another member holds: its users would write in that member's name. */
async function checkIdentityFree(db: WriteTx['db'], code: string, identityId: string | null | undefined): Promise<void> {
  if (identityId === undefined || identityId === null) return;
  const holder = await repo.memberWithIdentity(db, identityId, code);
  if (holder) throw shieldwallError('CONFLICT', `member ${holder.code} signs with ${identityId} already; a member's identity is its own, or its users could write in ${holder.code}'s name`);
}

/** Adds a member (node administrators). A code that exists is refused, never overwritten. */
export async function createMember(ctx: AppContext, actor: Principal, member: Member): Promise<MemberView> {
  if (!isNodeAdministrator(actor)) throw shieldwallError('FORBIDDEN', 'only a node administrator adds members');
  if (!MEMBER_CODE.test(member.code)) throw shieldwallError('BAD_REQUEST', `member code '${member.code}' is not valid: use upper-case letters, digits, '-' and '_' (e.g. DEU, CERT-EU)`);
  const event = { action: 'directory.member.create', subject: member.code, detail: { name: member.name, kind: member.kind, country: member.country, identity_id: member.identityId } };
  await audited(ctx, actor, event, async (db) => {
    if (await repo.findMember(db, member.code)) {
      throw shieldwallError('CONFLICT', `member ${member.code} exists already; change named fields with PATCH /api/v1/members/${member.code} (on the node: shieldwall members update ${member.code} --name ...)`);
    }
    await checkIdentityFree(db, member.code, member.identityId);
    await repo.insertMember(db, {
      code: member.code,
      name: member.name,
      kind: member.kind,
      country: member.country,
      identity_id: member.identityId,
      created_at: ctx.clock.now().toISOString(),
      contacts: JSON.stringify(member.contacts ?? []),
    });
  });
  return memberView(ctx, actor, member.code);
}

/** What may change of a member: only the fields given change. */
export type MemberChanges = Partial<Omit<Member, 'code'>>;

/**
 * Changes the named fields of a member and keeps the rest: node administrators any field, a
 * member's administrators its points of contact only.
 */
export async function updateMember(ctx: AppContext, actor: Principal, code: string, changes: MemberChanges): Promise<MemberView> {
  if (!canAdminister(actor, code)) throw shieldwallError('FORBIDDEN', `you do not administer member ${code}`);
  const named = (Object.keys(changes) as Array<keyof MemberChanges>).filter((field) => changes[field] !== undefined);
  if (named.length === 0) throw shieldwallError('BAD_REQUEST', 'name at least one field to change: name, kind, country, identity or contacts');
  if (!isNodeAdministrator(actor) && named.some((field) => field !== 'contacts')) {
    throw shieldwallError('FORBIDDEN', "a member administrator changes its member's points of contact only; ask a node administrator for the rest");
  }
  const event = { action: 'directory.member.update', subject: code, detail: { fields: named, ...(changes.identityId !== undefined ? { identity_id: changes.identityId } : {}), ...(changes.kind !== undefined ? { kind: changes.kind } : {}) } };
  await audited(ctx, actor, event, async (db) => {
    if (!(await repo.findMember(db, code))) throw shieldwallError('NOT_FOUND', noMember(code));
    await checkIdentityFree(db, code, changes.identityId);
    await repo.updateMember(db, code, {
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.kind !== undefined ? { kind: changes.kind } : {}),
      ...(changes.country !== undefined ? { country: changes.country } : {}),
      ...(changes.identityId !== undefined ? { identity_id: changes.identityId } : {}),
      ...(changes.contacts !== undefined ? { contacts: JSON.stringify(changes.contacts) } : {}),
    });
  });
  return memberView(ctx, actor, code);
}

/**
 * Replaces an existing member (PUT): name and kind as given, country, identity and points of
 * contact kept when omitted; its member administrators may change its points of contact only.
 * It never adds a member (createMember does), so that a code typed twice overwrites nothing.
 */
export async function saveMember(
  ctx: AppContext,
  actor: Principal,
  code: string,
  given: Omit<Member, 'code' | 'country' | 'identityId'> & { country?: string | null; identityId?: string | null },
): Promise<MemberView> {
  if (!canAdminister(actor, code)) throw shieldwallError('FORBIDDEN', `you do not administer member ${code}`);
  const existing = await repo.findMember(ctx.store.db, code);
  if (!existing) throw shieldwallError('NOT_FOUND', noMember(code));
  const changes: MemberChanges = {
    name: given.name,
    kind: given.kind,
    ...(given.country !== undefined ? { country: given.country } : {}),
    ...(given.identityId !== undefined ? { identityId: given.identityId } : {}),
    ...(given.contacts !== undefined ? { contacts: given.contacts } : {}),
  };
  if (!isNodeAdministrator(actor)) {
    const changed = existing.name !== given.name || existing.kind !== given.kind || (given.country !== undefined && existing.country !== given.country) || (given.identityId !== undefined && existing.identity_id !== given.identityId);
    if (changed) throw shieldwallError('FORBIDDEN', "a member administrator changes its member's points of contact only; ask a node administrator for the rest");
    if (given.contacts === undefined) return memberView(ctx, actor, code);
    return updateMember(ctx, actor, code, { contacts: given.contacts });
  }
  return updateMember(ctx, actor, code, changes);
}

export async function countMembers(ctx: AppContext): Promise<number> {
  return repo.countMembers(ctx.store.db);
}

/**
 * Runs a directory change and its audit record in one write transaction. Every change of users,
 * members, groups, tokens and peers passes here, so credentials remembered by this process are
 * forgotten as the change commits.
 */
async function audited<T>(ctx: AppContext, actor: Principal, event: audit.AuditEvent | ((result: T) => audit.AuditEvent[]), change: (db: WriteTx['db']) => Promise<T>): Promise<T> {
  try {
    return await writeTransaction(ctx.store, async (tx) => {
      const result = await change(tx.db);
      await audit.recordInTransaction(ctx, tx, actor, typeof event === 'function' ? event(result) : [event]);
      return result;
    });
  } finally {
    forgetCredentials(ctx);
  }
}

/**
 * Saves members whether they exist or not: for seeding by the node itself (the demo, tests).
 * People add members with createMember and change them with updateMember.
 */
export async function upsertMembers(ctx: AppContext, actor: Principal, members: Member[]): Promise<void> {
  const now = ctx.clock.now().toISOString();
  await audited(ctx, actor, { action: 'directory.members.save', subject: members.map((m) => m.code).join(','), detail: { members: members.length } }, async (db) => {
    // Saving a member without its contacts keeps the contacts it has.
    const kept = new Map((await repo.listMembers(db)).map((row) => [row.code, row.contacts]));
    await repo.upsertMembers(
      db,
      members.map((m) => ({
        code: m.code,
        name: m.name,
        kind: m.kind,
        country: m.country,
        identity_id: m.identityId,
        created_at: now,
        contacts: m.contacts ? JSON.stringify(m.contacts) : (kept.get(m.code) ?? '[]'),
      })),
    );
  });
}

/** scrypt cost (N = 2^15, r = 8, p = 1: about 32 MiB and tens of ms per hash; OWASP's minimum is 2^17 with p = 1 at 128 MiB, or this with more rounds of p). */
const SCRYPT: ScryptOptions & { N: number; r: number; p: number } = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function scryptAsync(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}

/** A password as stored: scrypt$N$r$p$salt$key (base64url), never the password itself. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(actual, expected);
}

/** Tokens carry 256 random bits, so one SHA-256 is a sound hash at rest (no stretching needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface CreatedToken {
  /** issued: the token works now; pending: once its credential request is approved. */
  status: 'issued' | 'pending';
  id: number;
  name: string;
  user: string;
  /** Shown once; only its hash is stored. */
  token: string;
  /** The request a second person approves (pending only). */
  request?: CredentialRequest;
  /** What to do next (pending only). */
  message?: string;
}

export interface User {
  name: string;
  member: string | null;
  clearance: number;
  roles: Role[];
}

const USER_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/** Creates a user of a member (or of the node itself, with member null). */
export async function createUser(ctx: AppContext, actor: Principal, input: User & { password?: string }): Promise<User> {
  if (!canAdminister(actor, input.member)) throw shieldwallError('FORBIDDEN', input.member === null ? 'only a node administrator creates node users' : `you do not administer member ${input.member}`);
  const beyond = canGrant(actor, input.clearance, input.roles);
  if (beyond) throw shieldwallError('FORBIDDEN', beyond);
  if (input.password !== undefined) {
    // A password chosen for a user beyond the actor's reach would let it act as that user.
    const decision = credentialDecision(actor, input);
    if (decision.outcome !== 'issue') {
      await audit.record(ctx, actor, [{ action: 'directory.credential.denied', subject: input.name, detail: { kind: 'password', reason: decision.reason } }]);
      throw shieldwallError(
        decision.outcome === 'second-person' ? 'SECOND_PERSON_REQUIRED' : 'FORBIDDEN',
        `${decision.reason}: create the user without a password, then ask for one with PUT /api/v1/users/${input.name}/password; a second node administrator or the user approves it`,
      );
    }
  }
  if (!USER_NAME.test(input.name)) throw shieldwallError('BAD_REQUEST', `user name '${input.name}' is not valid: use 1 to 64 lower-case letters, digits, '.', '_', '@' or '-'`);
  const bad = input.roles.find((r) => !isRole(r));
  if (bad !== undefined || input.roles.length === 0) throw shieldwallError('BAD_REQUEST', `unknown role '${bad ?? ''}': use one or more of ${ROLES.join(', ')}`);
  if (!Number.isInteger(input.clearance) || input.clearance < 0) throw shieldwallError('BAD_REQUEST', `clearance must be a classification level index (0 = lowest), got ${input.clearance}`);
  if (input.member !== null && !(await repo.findMember(ctx.store.db, input.member))) throw shieldwallError('NOT_FOUND', `no member with code '${input.member}'; list them with: shieldwall members list`);
  if (await repo.findUser(ctx.store.db, input.name)) throw shieldwallError('CONFLICT', `a user named '${input.name}' exists already`);
  const passwordHash = input.password !== undefined ? await hashPassword(input.password) : null;
  const event = { action: 'directory.user.create', subject: input.name, detail: { member: input.member, clearance: input.clearance, roles: input.roles } };
  await audited(ctx, actor, event, (db) => repo.insertUser(db, {
    name: input.name,
    member_code: input.member,
    clearance: input.clearance,
    roles: `,${input.roles.join(',')},`,
    password_hash: passwordHash,
    created_at: ctx.clock.now().toISOString(),
    disabled_at: null,
  }));
  return { name: input.name, member: input.member, clearance: input.clearance, roles: [...input.roles] };
}

export async function findUser(ctx: AppContext, name: string): Promise<User | undefined> {
  const row = await repo.findUser(ctx.store.db, name);
  return row ? presentUser(row) : undefined;
}

function presentUser(row: repo.UserRow): User {
  return { name: row.name, member: row.member_code, clearance: row.clearance, roles: row.roles.split(',').filter(isRole) };
}

/** Users the actor administers: all for a node administrator, its member's for a member administrator. */
export async function listUsers(ctx: AppContext, actor: Principal): Promise<User[]> {
  return (await repo.listUsers(ctx.store.db)).map(presentUser).filter((u) => canAdminister(actor, u.member) || u.name === actor.userName);
}

/**
 * Adds members to a named group (created if new); built-in group names can be extended too. The
 * group's description changes only when one is given.
 */
export async function addToGroup(ctx: AppContext, actor: Principal, group: string, description: string | undefined, members: string[]): Promise<void> {
  if (!canAdminister(actor, null)) throw shieldwallError('FORBIDDEN', 'only a node administrator changes groups');
  if (!/^[A-Z0-9][A-Z0-9_-]{0,31}$/.test(group)) throw shieldwallError('BAD_REQUEST', `group name '${group}' is not valid: use upper-case letters, digits, '-' and '_'`);
  await audited(ctx, actor, { action: 'directory.group.add', subject: group, detail: { members } }, (db) =>
    repo.upsertGroup(db, { name: group, description, created_at: ctx.clock.now().toISOString() }, members),
  );
}

/** Member codes by STIX identity id: who originated an object. */
export async function memberIdentities(ctx: AppContext): Promise<Map<string, string>> {
  return new Map((await repo.memberIdentities(ctx.store.db)).map((m) => [m.identity_id, m.code]));
}

/**
 * How long this process trusts what it read about a credential (the token's row, the user's
 * roles, clearance, member and groups) without reading it again. A change made through this
 * process takes effect at once (see audited); one made by another process on the same store (the
 * command line, another node process on PostgreSQL) within this bound. docs/OPERATIONS.md says so.
 */
export const CREDENTIAL_CACHE_MS = 5_000;
/** Bounds memory under a spray of distinct credentials: the oldest entries go first. */
const CREDENTIAL_CACHE_ENTRIES = 10_000;

/** Values read from the store for a short while; only found ones, so no guess fills it. */
class CredentialCache<T> {
  /** Bumped on every clear: a read that began before a change does not store what it read. */
  #generation = 0;
  readonly #entries = new Map<string, { value: T; at: number }>();

  async get(key: string, now: number, read: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = this.#entries.get(key);
    if (hit && now >= hit.at && now - hit.at < CREDENTIAL_CACHE_MS) return hit.value;
    const generation = this.#generation;
    const value = await read();
    this.#entries.delete(key);
    if (value !== undefined && generation === this.#generation) {
      this.#entries.set(key, { value, at: now });
      if (this.#entries.size > CREDENTIAL_CACHE_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return value;
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }
}

/** What a valid token grants, as read from its row. */
interface TokenGrant {
  id: number;
  name: string;
  userName: string | null;
  /** Milliseconds since the epoch; checked on every use, cached or not. */
  expiresAt: number | null;
}

interface Credentials {
  /** By the token's SHA-256 (the cache holds no token itself). */
  tokens: CredentialCache<TokenGrant>;
  /** By user, kind and display name. */
  principals: CredentialCache<Principal>;
  /** When each token's last_used_at was last written. */
  touched: Map<number, number>;
}

/** By store: every context of this process on one store sees a change at once. */
const credentialsByStore = new WeakMap<object, Credentials>();

function credentialsOf(ctx: AppContext): Credentials {
  let found = credentialsByStore.get(ctx.store);
  if (!found) credentialsByStore.set(ctx.store, (found = { tokens: new CredentialCache(), principals: new CredentialCache(), touched: new Map() }));
  return found;
}

/** Forgets every credential read so far: the next request of each reads the store again. */
export function forgetCredentials(ctx: AppContext): void {
  const found = credentialsByStore.get(ctx.store);
  found?.tokens.clear();
  found?.principals.clear();
}

/** The principal a user acts as: its roles, clearance, member and the member's groups. */
export async function principalOfUser(ctx: AppContext, name: string, kind: Principal['kind'] = 'user', display = name): Promise<Principal | undefined> {
  return credentialsOf(ctx).principals.get(`${kind}\u0000${display}\u0000${name}`, ctx.clock.now().getTime(), () => readPrincipalOfUser(ctx, name, kind, display));
}

async function readPrincipalOfUser(ctx: AppContext, name: string, kind: Principal['kind'], display: string): Promise<Principal | undefined> {
  const row = await repo.findUser(ctx.store.db, name);
  if (!row || row.disabled_at !== null) return undefined;
  const user = presentUser(row);
  let member: Principal['member'] = null;
  if (user.member !== null) {
    const m = await repo.findMember(ctx.store.db, user.member);
    if (!m) return undefined;
    const groups = Object.freeze(memberGroups(m.kind as MemberKind, await repo.namedGroupsOf(ctx.store.db, m.code)));
    member = Object.freeze({ code: m.code, kind: m.kind as MemberKind, identityId: m.identity_id, groups });
  }
  // Frozen: one principal serves every request of the user while it is cached.
  return Object.freeze({ kind, name: display, userName: user.name, roles: Object.freeze(user.roles), member, clearance: user.clearance });
}

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
  createdAt: string;
}

export type PeerInput = Pick<Peer, 'name' | 'members' | 'clearance' | 'roles'> &
  Partial<Omit<Peer, 'name' | 'members' | 'clearance' | 'roles' | 'hasSecret' | 'disabled' | 'createdAt'>> & {
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
    createdAt: p.created_at,
  };
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
  const row = {
    name: peer.name,
    certificate_cn: certificateCn,
    member_code: peer.members[0]!,
    members: `,${peer.members.join(',')},`,
    clearance: peer.clearance,
    roles: `,${peer.roles.join(',')},`,
    created_at: ctx.clock.now().toISOString(),
    disabled_at: null,
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
  const event = { action: 'directory.peer.create', subject: peer.name, detail: { ...shown, has_secret: row.secret !== null } };
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
  const update = {
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
  await audited(ctx, actor, { action: 'directory.peer.update', subject: name, detail: { changed, ...shown, ...(changes.secret !== undefined ? { secret_changed: true } : {}) } }, (db) => repo.updatePeer(db, name, update));
  return presentPeer({ ...row, ...update, secret: update.secret === undefined ? row.secret : update.secret });
}

/**
 * Disables or enables a peer (node administrators). A disabled peer is not synced, and its
 * certificate is refused; its settings, cursors and provenance stay.
 */
export async function setPeerDisabled(ctx: AppContext, actor: Principal, name: string, disabled: boolean): Promise<Peer> {
  if (!canAdminister(actor, null)) throw shieldwallError('FORBIDDEN', `only a node administrator ${disabled ? 'disables' : 'enables'} peer nodes`);
  const row = await existingPeer(ctx, name);
  const disabledAt = disabled ? (row.disabled_at ?? ctx.clock.now().toISOString()) : null;
  await audited(ctx, actor, { action: disabled ? 'directory.peer.disable' : 'directory.peer.enable', subject: name, detail: { was_disabled: row.disabled_at !== null } }, (db) => repo.updatePeer(db, name, { disabled_at: disabledAt }));
  return presentPeer({ ...row, disabled_at: disabledAt });
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

/** The user behind the bootstrap token: administers the node, reads no intelligence. */
export const BOOTSTRAP_USER = 'admin';

/** Records a refused credential and throws the refusal. */
async function refuseCredential(ctx: AppContext, actor: Principal, kind: CredentialKind, user: string, reason: string): Promise<never> {
  await audit.record(ctx, actor, [{ action: 'directory.credential.denied', subject: user, detail: { kind, reason } }]);
  throw shieldwallError('FORBIDDEN', reason);
}

/**
 * Issues an API token for a user when the actor may act as that user by itself
 * (policy credentialDecision); when a node administrator needs a second person, the token is
 * made and shown now but works only once its credential request is approved.
 */
export async function createToken(
  ctx: AppContext,
  actor: Principal,
  input: { name: string; user: string; expiresAt?: string | null; value?: string },
): Promise<CreatedToken> {
  const user = await repo.findUser(ctx.store.db, input.user);
  if (!user) throw shieldwallError('NOT_FOUND', `no user named '${input.user}'; create one with: shieldwall users create`);
  const decision = credentialDecision(actor, presentUser(user));
  if (decision.outcome === 'refuse') return refuseCredential(ctx, actor, 'token', user.name, decision.reason);
  const token = input.value ?? `sw_${randomBytes(32).toString('base64url')}`;
  const row = {
    name: input.name,
    token_hash: hashToken(token),
    role: 'user',
    member_code: user.member_code,
    user_name: user.name,
    created_at: ctx.clock.now().toISOString(),
    expires_at: input.expiresAt ?? null,
    revoked_at: null,
    last_used_at: null,
  };
  if (decision.outcome === 'second-person') {
    // The token is stored now, and refused until a second person approves its request.
    const request = await requestCredential(ctx, actor, decision.reason, { kind: 'token', user_name: user.name, token_name: input.name, token_expires_at: input.expiresAt ?? null, password_hash: null }, async (db, requestId) => {
      const tokenId = await repo.insertToken(db, { ...row, awaiting_request: requestId });
      await repo.setRequestToken(db, requestId, tokenId);
      return tokenId;
    });
    return { status: 'pending', id: request.tokenId!, name: input.name, user: user.name, token, request, message: pendingMessage(request, 'this token works') };
  }
  const event = { action: 'directory.token.create', subject: input.name, detail: { user: user.name, member: user.member_code, expires_at: input.expiresAt ?? null } };
  const id = await audited(ctx, actor, event, (db) => repo.insertToken(db, row));
  return { status: 'issued', id, name: input.name, user: user.name, token };
}

export const MIN_PASSWORD_LENGTH = 12;

/**
 * Sets a user's dashboard password, under the same rule as its tokens (credentialDecision): at
 * once, or, for a node administrator acting on a user beyond its reach, once a second person
 * approves. A password set ends the user's sessions.
 */
export async function setUserPassword(ctx: AppContext, actor: Principal, name: string, password: string): Promise<{ status: 'set' } | { status: 'pending'; request: CredentialRequest; message: string }> {
  const user = await repo.findUser(ctx.store.db, name);
  if (!user) throw shieldwallError('NOT_FOUND', `no user named '${name}'`);
  if (password.length < MIN_PASSWORD_LENGTH) throw shieldwallError('BAD_REQUEST', `a password has at least ${MIN_PASSWORD_LENGTH} characters`);
  const decision = credentialDecision(actor, presentUser(user));
  if (decision.outcome === 'refuse') return refuseCredential(ctx, actor, 'password', user.name, decision.reason);
  const passwordHash = await hashPassword(password);
  if (decision.outcome === 'second-person') {
    const request = await requestCredential(ctx, actor, decision.reason, { kind: 'password', user_name: user.name, token_name: null, token_expires_at: null, password_hash: passwordHash });
    return { status: 'pending', request, message: pendingMessage(request, 'this password is set') };
  }
  await audited(ctx, actor, { action: 'directory.user.password', subject: user.name }, async (db) => {
    await repo.setPassword(db, user.name, passwordHash);
    await repo.deleteSessionsOf(db, user.name);
  });
  return { status: 'set' };
}

export const CREDENTIAL_KINDS = ['token', 'password'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];
export const CREDENTIAL_REQUEST_STATUSES = ['pending', 'approved', 'declined', 'lapsed'] as const;
export type CredentialRequestStatus = (typeof CREDENTIAL_REQUEST_STATUSES)[number];

/** A pending request lapses after a day: approval is a decision of now, not of last week. */
export const CREDENTIAL_REQUEST_TTL_MS = 24 * 3600_000;

/** A node administrator's token or password for a user beyond its reach (the two-person rule). */
export interface CredentialRequest {
  id: number;
  kind: CredentialKind;
  user: string;
  requestedBy: string;
  /** Why a second person is needed. */
  reason: string;
  /** The token waiting (kind token): its id, name and expiry. */
  tokenId: number | null;
  tokenName: string | null;
  tokenExpiresAt: string | null;
  status: CredentialRequestStatus;
  createdAt: string;
  lapsesAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

function presentRequest(row: repo.CredentialRequestRow, now: number): CredentialRequest {
  const lapsesAt = Date.parse(row.created_at) + CREDENTIAL_REQUEST_TTL_MS;
  const status = row.status === 'pending' && now >= lapsesAt ? 'lapsed' : (row.status as CredentialRequestStatus);
  return {
    id: Number(row.id),
    kind: row.kind as CredentialKind,
    user: row.user_name,
    requestedBy: row.requested_by,
    reason: row.reason,
    tokenId: row.token_id === null ? null : Number(row.token_id),
    tokenName: row.token_name,
    tokenExpiresAt: row.token_expires_at,
    status,
    createdAt: row.created_at,
    lapsesAt: new Date(lapsesAt).toISOString(),
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
  };
}

/** Who an actor is in a request: its user name, or its kind and name for a peer or the node. */
function actorId(actor: Principal): string {
  return actor.userName ?? `${actor.kind}:${actor.name}`;
}

function pendingMessage(request: CredentialRequest, what: string): string {
  return (
    `two-person rule: ${request.reason}. A second node administrator (not ${request.requestedBy}) or the user ${request.user} must approve request ${request.id} before ${what}: ` +
    `POST /api/v1/credential-requests/${request.id}/approve (on the node: shieldwall credentials approve ${request.id}); it lapses at ${request.lapsesAt}`
  );
}

async function requestCredential(
  ctx: AppContext,
  actor: Principal,
  reason: string,
  fields: Pick<repo.CredentialRequestRow, 'kind' | 'user_name' | 'token_name' | 'token_expires_at' | 'password_hash'>,
  /** Stores what waits for the request (a token) in the same transaction; its id. */
  withRequest?: (db: WriteTx['db'], requestId: number) => Promise<number>,
): Promise<CredentialRequest> {
  const createdAt = ctx.clock.now().toISOString();
  const row = { ...fields, reason, token_id: null, requested_by: actorId(actor), status: 'pending', created_at: createdAt, decided_by: null, decided_at: null };
  const made = await audited(
    ctx,
    actor,
    ({ id, tokenId }: { id: number; tokenId: number | null }) => [
      { action: 'directory.credential.request', subject: fields.user_name, detail: { request: id, kind: fields.kind, reason, token: tokenId, token_name: fields.token_name, expires_at: fields.token_expires_at } },
    ],
    async (db) => {
      const id = await repo.insertCredentialRequest(db, row);
      return { id, tokenId: withRequest ? await withRequest(db, id) : null };
    },
  );
  return presentRequest({ ...row, id: made.id, token_id: made.tokenId }, Date.parse(createdAt));
}

/** Requests the actor may see: all for node administrators, else those it made or that name it. */
export async function listCredentialRequests(ctx: AppContext, actor: Principal, status?: CredentialRequestStatus): Promise<CredentialRequest[]> {
  const now = ctx.clock.now().getTime();
  return (await repo.listCredentialRequests(ctx.store.db))
    .filter((row) => isNodeAdministrator(actor) || row.user_name === actor.userName || row.requested_by === actor.userName)
    .map((row) => presentRequest(row, now))
    .filter((request) => status === undefined || request.status === status);
}

/** A pending request the actor may decide on, or the error that says why not. */
async function pendingRequest(ctx: AppContext, actor: Principal, id: number, decision: 'approve' | 'decline'): Promise<CredentialRequest> {
  const row = await repo.findCredentialRequest(ctx.store.db, id);
  if (!row) throw shieldwallError('NOT_FOUND', `no credential request ${id}; list them with GET /api/v1/credential-requests`);
  const request = presentRequest(row, ctx.clock.now().getTime());
  const consent = actor.userName !== null && actor.userName === request.user;
  if (actor.kind !== 'system' && !consent) {
    if (decision === 'approve' && actorId(actor) === request.requestedBy) {
      await audit.record(ctx, actor, [{ action: 'directory.credential.denied', subject: request.user, detail: { request: id, kind: request.kind, reason: 'own request' } }]);
      throw shieldwallError('SECOND_PERSON_REQUIRED', `you made request ${id}; a second node administrator or the user ${request.user} approves it`);
    }
    if (!actor.roles.includes('node-admin') || actor.userName === null) {
      await audit.record(ctx, actor, [{ action: 'directory.credential.denied', subject: request.user, detail: { request: id, kind: request.kind, reason: `not a node administrator, nor the user (${decision})` } }]);
      throw shieldwallError('FORBIDDEN', `only a node administrator other than the one who asked, or the user the request names, may ${decision} request ${id}`);
    }
  }
  if (request.status === 'lapsed') throw shieldwallError('CONFLICT', `request ${id} lapsed at ${request.lapsesAt} without a decision; ask again`);
  if (request.status !== 'pending') throw shieldwallError('CONFLICT', `request ${id} was ${request.status} already, by ${request.decidedBy ?? 'unknown'} at ${request.decidedAt ?? 'unknown'}`);
  return request;
}

/**
 * Approves a pending request: a second node administrator (not the one who asked), the user
 * it names (consent), or the node itself (local command line). The token starts to work, or
 * the password is set, in the same transaction as the decision and its audit records.
 */
export async function approveCredentialRequest(ctx: AppContext, actor: Principal, id: number): Promise<CredentialRequest> {
  const request = await pendingRequest(ctx, actor, id, 'approve');
  const now = ctx.clock.now().toISOString();
  const consent = actor.userName === request.user;
  const events: audit.AuditEvent[] = [{ action: 'directory.credential.approve', subject: request.user, detail: { request: id, kind: request.kind, requested_by: request.requestedBy, consent } }];
  await audited(ctx, actor, () => events, async (db) => {
    const row = await repo.findCredentialRequest(db, id);
    const user = await repo.findUser(db, request.user);
    if (!row || !user) throw shieldwallError('CONFLICT', `the user ${request.user} of request ${id} no longer exists`);
    if ((await repo.decideCredentialRequest(db, id, { status: 'approved', decided_by: actorId(actor), decided_at: now })) === 0) throw shieldwallError('CONFLICT', `request ${id} was decided a moment ago; list it again`);
    if (row.kind === 'token' && row.token_id !== null) {
      await repo.releaseToken(db, Number(row.token_id));
      events.push({ action: 'directory.token.create', subject: row.token_name ?? String(row.token_id), detail: { request: id, token: Number(row.token_id), user: user.name, member: user.member_code, requested_by: row.requested_by, expires_at: row.token_expires_at } });
    } else if (row.kind === 'password' && row.password_hash !== null) {
      await repo.setPassword(db, user.name, row.password_hash);
      await repo.deleteSessionsOf(db, user.name);
      events.push({ action: 'directory.user.password', subject: user.name, detail: { request: id, requested_by: row.requested_by } });
    }
  });
  return { ...request, status: 'approved', decidedBy: actorId(actor), decidedAt: now };
}

/** Declines a pending request: any node administrator (the one who asked withdraws it), or the user it names. */
export async function declineCredentialRequest(ctx: AppContext, actor: Principal, id: number): Promise<CredentialRequest> {
  const request = await pendingRequest(ctx, actor, id, 'decline');
  const now = ctx.clock.now().toISOString();
  await audited(ctx, actor, { action: 'directory.credential.decline', subject: request.user, detail: { request: id, kind: request.kind, requested_by: request.requestedBy } }, async (db) => {
    if ((await repo.decideCredentialRequest(db, id, { status: 'declined', decided_by: actorId(actor), decided_at: now })) === 0) throw shieldwallError('CONFLICT', `request ${id} was decided a moment ago; list it again`);
    // The token made for it never works.
    if (request.tokenId !== null) await repo.revokeToken(db, request.tokenId, now);
  });
  return { ...request, status: 'declined', decidedBy: actorId(actor), decidedAt: now };
}

/** Creates the configured bootstrap token (and its node-admin user) unless it exists already. */
export async function ensureBootstrapToken(ctx: AppContext, value: string): Promise<boolean> {
  if (await repo.findTokenByHash(ctx.store.db, hashToken(value))) return false;
  const system: Principal = { kind: 'system', name: 'system', userName: null, roles: ['node-admin'], member: null, clearance: Number.MAX_SAFE_INTEGER };
  if (!(await repo.findUser(ctx.store.db, BOOTSTRAP_USER))) await createUser(ctx, system, { name: BOOTSTRAP_USER, member: null, clearance: 0, roles: ['node-admin'] });
  await createToken(ctx, system, { name: 'bootstrap', user: BOOTSTRAP_USER, value });
  return true;
}

export interface TokenInfo {
  id: number;
  name: string;
  user: string | null;
  memberCode: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** The credential request it waits for; it works only once that is approved. */
  awaitingRequest: number | null;
}

export async function listTokens(ctx: AppContext, actor: Principal): Promise<TokenInfo[]> {
  const rows = (await repo.listTokens(ctx.store.db)).filter((t) => canAdminister(actor, t.member_code));
  return rows.map((t) => ({
    id: t.id,
    name: t.name,
    user: t.user_name,
    memberCode: t.member_code,
    createdAt: t.created_at,
    expiresAt: t.expires_at,
    revokedAt: t.revoked_at,
    lastUsedAt: t.last_used_at,
    awaitingRequest: t.awaiting_request === null ? null : Number(t.awaiting_request),
  }));
}

export async function revokeToken(ctx: AppContext, actor: Principal, id: number): Promise<void> {
  const token = (await repo.listTokens(ctx.store.db)).find((t) => t.id === id);
  if (token && !canAdminister(actor, token.member_code)) throw shieldwallError('FORBIDDEN', `you do not administer token ${id}`);
  await audited(ctx, actor, { action: 'directory.token.revoke', subject: String(id) }, async (db) => {
    // Thrown inside the transaction: nothing is recorded for a token that was not revoked.
    if ((await repo.revokeToken(db, id, ctx.clock.now().toISOString())) === 0) throw shieldwallError('NOT_FOUND', `no active token with id ${id}`);
  });
}

/** Last-used times are written at most once a minute per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Resolves a bearer token to its principal; undefined for unknown, expired or revoked tokens.
 * Only the token's SHA-256 is looked up (tokens carry 256 random bits); what the store says of
 * it is then trusted for CREDENTIAL_CACHE_MS, its expiry checked on every use.
 */
export async function authenticateToken(ctx: AppContext, token: string): Promise<Principal | undefined> {
  const credentials = credentialsOf(ctx);
  const now = ctx.clock.now().getTime();
  const hash = hashToken(token);
  const grant = await credentials.tokens.get(hash, now, async () => {
    const row = await repo.findTokenByHash(ctx.store.db, hash);
    if (!row || row.revoked_at !== null || row.awaiting_request !== null) return undefined;
    return { id: row.id, name: row.name, userName: row.user_name, expiresAt: row.expires_at === null ? null : Date.parse(row.expires_at) };
  });
  if (!grant || (grant.expiresAt !== null && grant.expiresAt <= now)) return undefined;
  if (now - (credentials.touched.get(grant.id) ?? 0) >= TOUCH_INTERVAL_MS) {
    credentials.touched.set(grant.id, now);
    // Not awaited: a request does not wait on a write (nor on the writer lock during an ingest).
    void repo.touchToken(ctx.store.db, grant.id, new Date(now).toISOString()).catch((error: unknown) => ctx.logger.warn({ err: error, tokenId: grant.id }, 'recording when a token was last used failed'));
  }
  if (grant.userName === null) return undefined;
  return principalOfUser(ctx, grant.userName, 'token', grant.name);
}
