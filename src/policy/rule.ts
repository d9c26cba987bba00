/**
 * The need-to-know rule: who may read and write which object. Pure functions, the only place
 * access to intelligence is decided; every read path (REST, TAXII, search, export, live feed,
 * federation) calls canRead on every object and redact on what it returns. docs/POLICY.md
 * states the same rule as a table.
 */
import type { StixObject } from '../stix/types.js';
import { EVERYONE, isObjectRecord, markingColumns, releasabilityEntries, TLP_LEVELS, USER_PREFIX, type MarkingDefaults, type MarkingTable, type Tlp } from './markings.js';
import type { MemberOfPrincipal, Principal, Role } from './principal.js';

/** What the rule needs to know about an object: its stored marking columns and originator. */
export interface ObjectAccess {
  tlp: Tlp | null;
  classification: number;
  /** Releasability entries (member codes, group names, '@user', '*'). */
  releasability: readonly string[];
  createdByRef: string | null;
}

export function accessOfColumns(columns: { tlp: string | null; classification: number | null; releasability: string | null; created_by_ref: string | null }): ObjectAccess {
  return {
    tlp: columns.tlp as Tlp | null,
    // Rows stored before markings were enforced may lack the columns: read them as unresolved.
    classification: columns.classification ?? Number.MAX_SAFE_INTEGER,
    releasability: columns.releasability === null ? [] : releasabilityEntries(columns.releasability),
    createdByRef: columns.created_by_ref,
  };
}

/** True when the principal's member created the object (its identity is the created_by_ref). */
export function isOriginator(principal: Principal, access: Pick<ObjectAccess, 'createdByRef'>): boolean {
  const identity = principal.member?.identityId;
  return identity !== undefined && identity !== null && access.createdByRef === identity;
}

/** Is the object released to this member: '*', its code or one of its groups is listed? */
function releasedTo(member: MemberOfPrincipal, listed: readonly string[]): boolean {
  return listed.includes(EVERYONE) || listed.includes(member.code) || member.groups.some((group) => listed.includes(group));
}

/**
 * May this principal read this object?
 * 1. Clearance: the principal's clearance is at least the object's classification (always,
 *    also for the originator; unresolved markings are above every clearance).
 * 2. The originating member always reads its own (within its clearance).
 * 3. Releasability: '*', the principal's member code or one of its member's groups is listed.
 * 4. TLP: CLEAR, GREEN, AMBER (and no TLP) need nothing more; AMBER+STRICT needs the member
 *    named by its code (a group is not enough); RED needs the user named ('@' + user name).
 * A peer node reads for the members it stands for (see peerCanRead).
 */
export function canRead(principal: Principal, access: ObjectAccess): boolean {
  return mayRead(principal, access, access.createdByRef, null, NOT_ADDRESSED);
}

/** The markings the rule decides on, whatever carries them (a STIX object, a record of a module). */
export type MarkingAccess = Pick<ObjectAccess, 'tlp' | 'classification' | 'releasability'>;

const NOT_ADDRESSED: readonly string[] = Object.freeze([]);

/** Does this member stand for the originator: its identity created it, or its code originated it? */
function originates(member: MemberOfPrincipal, originIdentity: string | null, originMember: string | null): boolean {
  return (originIdentity !== null && member.identityId === originIdentity) || (originMember !== null && member.code === originMember);
}

/**
 * The need-to-know rule itself, as canRead states it, for whatever carries markings: canRead
 * (STIX objects, originated by the identity that created them) and canReadRecord (records of
 * modules, originated by a member of this node and possibly addressed) are this one rule.
 *
 * `recipients` (member codes and '@user' entries; empty: not addressed) narrows who reads: when
 * any are named, a reader outside the originating member must also be named, by its member's
 * code or its own '@' + user name, on top of steps 1, 3 and 4. It never widens: a recipient
 * still needs the clearance, the releasability and the TLP.
 */
export function mayRead(principal: Principal, access: MarkingAccess, originIdentity: string | null, originMember: string | null, recipients: readonly string[]): boolean {
  if (access.classification > principal.clearance) return false;
  if (principal.kind === 'peer') return peerCanRead(principal, access, originIdentity, originMember, recipients);
  const member = principal.member;
  if (member !== null && originates(member, originIdentity, originMember)) return true;
  const listed = access.releasability;
  if (member === null ? !listed.includes(EVERYONE) : !releasedTo(member, listed)) return false;
  if (recipients.length > 0 && !addressedTo(principal, recipients)) return false;
  switch (access.tlp) {
    case 'amber+strict':
      return member !== null && listed.includes(member.code);
    case 'red':
      return principal.userName !== null && listed.includes(USER_PREFIX + principal.userName);
    default:
      return true;
  }
}

/**
 * Does everyone who may read by the markings `by` (of something originated by `origin`: a member
 * of this node by code, or an identity) also read the object `of`, whoever they are, on this node
 * or a peer? Decided on the markings alone and conservatively: false whenever they cannot tell
 * (a group is not resolved into its members). Something that names an object (an incident's
 * link) tells its readers that the object exists, and may only where this holds:
 * - `of` is classified no higher and its TLP is no stricter (TLP:AMBER+STRICT and TLP:RED only
 *   under the same TLP);
 * - it is released to every entry `by` is, or (but under TLP:AMBER+STRICT and TLP:RED, which
 *   ask for the reader's member or name itself) to everyone;
 * - the originator, who reads `by` whatever its markings, reads `of` too: it created `of`, or
 *   `of` is released to its member's code or to everyone (not under TLP:AMBER+STRICT or RED).
 */
export function readersCovered(of: ObjectAccess, by: MarkingAccess, origin: { member: string | null; /** The member's STIX identity, when it has one. */ identity: string | null }): boolean {
  if (of.classification > by.classification) return false;
  const strict = of.tlp === 'amber+strict' || of.tlp === 'red';
  // The two ask for different things (the reader's member listed, its name listed): neither
  // holds for the readers of the other.
  if (strict ? of.tlp !== by.tlp : tlpRank(of.tlp) > tlpRank(by.tlp)) return false;
  const toEveryone = !strict && of.releasability.includes(EVERYONE);
  if (!toEveryone && !by.releasability.every((entry) => of.releasability.includes(entry))) return false;
  if (origin.identity !== null && of.createdByRef === origin.identity) return true;
  return origin.member === null || toEveryone || (!strict && of.releasability.includes(origin.member));
}

function tlpRank(tlp: Tlp | null): number {
  return tlp === null ? -1 : TLP_LEVELS.indexOf(tlp);
}

/** Is the principal among the recipients: its member by code, or itself by '@' + user name? */
function addressedTo(principal: Principal, recipients: readonly string[]): boolean {
  return (principal.member !== null && recipients.includes(principal.member.code)) || (principal.userName !== null && recipients.includes(USER_PREFIX + principal.userName));
}

/**
 * What a peer node may receive (federation pull or push): never TLP:RED or TLP:AMBER+STRICT,
 * which stay on the node where they were given and are read there by the people and the member
 * they name; otherwise what one of the members the peer stands for may read (its originator's
 * own objects included; when addressed, only for a member among the recipients), up to the
 * clearance granted to the peer.
 */
function peerCanRead(principal: Principal, access: MarkingAccess, originIdentity: string | null, originMember: string | null, recipients: readonly string[]): boolean {
  if (access.tlp === 'red' || access.tlp === 'amber+strict') return false;
  const members = principal.represents ?? (principal.member ? [principal.member] : []);
  return members.some(
    (member) => originates(member, originIdentity, originMember) || (releasedTo(member, access.releasability) && (recipients.length === 0 || recipients.includes(member.code))),
  );
}

/**
 * May this principal read an older version of an object, given the markings of its current
 * version (of each current copy, for an observable held in several)? Only when it may read both:
 * an object re-marked stricter is not read through its older, less strictly marked versions. Its
 * originating member still reads its own older versions (within its clearance).
 */
export function canReadVersion(principal: Principal, version: ObjectAccess, current: readonly ObjectAccess[]): boolean {
  if (!canRead(principal, version)) return false;
  return isOriginator(principal, version) || current.some((access) => canRead(principal, access));
}

export type WriteDenial = { rule: 'above-clearance' | 'foreign-originator'; message: string };

/**
 * May this principal store an object with these markings? Nobody marks above their own
 * clearance, and nobody writes in the name of another member of this node (created_by_ref set
 * to that member's identity). Objects created by identities outside the node (feeds, partners'
 * platforms) may be relayed, and peer nodes relay members' objects between nodes. The node
 * itself (system principal) is not limited.
 */
export function canWrite(principal: Principal, access: ObjectAccess, originatorMember: string | null): WriteDenial | undefined {
  if (principal.kind === 'system') return undefined;
  if (access.classification > principal.clearance) {
    return { rule: 'above-clearance', message: `the object is marked above your clearance; mark it at or below your clearance level (${principal.clearance})` };
  }
  // A peer node relays what members wrote on their own nodes; provenance records which peer
  // delivered it.
  if (originatorMember !== null && principal.kind !== 'peer' && originatorMember !== principal.member?.code) {
    return {
      rule: 'foreign-originator',
      message: `created_by_ref is the identity of member ${originatorMember}; only that member's users may write in its name`,
    };
  }
  return undefined;
}

/**
 * Who wrote an object version, as the store keeps it: a user of a member ('member:CODE'), a peer
 * node ('peer:NAME'), or the node itself and its administrators without a member ('node').
 */
export function submitterOf(principal: Principal): string {
  if (principal.kind === 'peer') return `peer:${principal.name}`;
  if (principal.kind !== 'system' && principal.member) return `member:${principal.member.code}`;
  return 'node';
}

/** What the store knows of an object's originator: enough to decide who may version it. */
export interface Ownership {
  /** created_by_ref of the stored object. */
  createdByRef: string | null;
  /** The node's member whose identity created_by_ref is, if any. */
  originMember: string | null;
  /** Who wrote the stored object (submitterOf); null for rows from before this was kept. */
  submitter: string | null;
}

export type VersionDenial = { rule: 'foreign-version'; message: string };

/**
 * Does this principal stand for the object's creator? STIX 2.1 section 3.6: only the object
 * creator creates new versions of an object or revokes it. The creator is the member whose
 * identity is its created_by_ref (a peer stands for the members it represents); for an object
 * whose created_by_ref is not a member of this node (a feed, a partner platform, or none), the
 * member or peer that first delivered it to this node. The node itself stands for everyone.
 */
export function isCreator(principal: Principal, ownership: Ownership): boolean {
  if (principal.kind === 'system') return true;
  if (ownership.originMember !== null) {
    if (principal.kind === 'peer') return (principal.represents ?? (principal.member ? [principal.member] : [])).some((member) => member.code === ownership.originMember);
    return principal.member?.code === ownership.originMember;
  }
  return ownership.submitter !== null && ownership.submitter === submitterOf(principal);
}

/**
 * May this principal add a version (a new modified, a revocation) of a stored object? Only its
 * creator (isCreator), and only under the same created_by_ref. The answer does not depend on
 * whether the principal may read the stored object: otherwise it would tell what exists.
 */
export function canVersion(principal: Principal, ownership: Ownership, incomingCreatedByRef: string | null): VersionDenial | undefined {
  if (principal.kind === 'system') return undefined;
  if (incomingCreatedByRef === ownership.createdByRef && isCreator(principal, ownership)) return undefined;
  return {
    rule: 'foreign-version',
    message: 'only the creator of an object versions or revokes it (STIX 2.1 section 3.6); to say something of another member\'s object, create an object of your own with a new id (e.g. a note, an opinion or a derived-from relationship)',
  };
}

type Step = string | number;

/** 'external_references.[0].url' -> ['external_references', 0, 'url']; undefined if malformed. */
function parseSelector(selector: string): Step[] | undefined {
  const steps: Step[] = [];
  for (const part of selector.split('.')) {
    const index = /^\[(\d+)\]$/.exec(part);
    if (index) steps.push(Number(index[1]));
    else if (part === '' || part.includes('[')) return undefined;
    else steps.push(part);
  }
  return steps.length > 0 ? steps : undefined;
}

const REMOVED = Symbol('redacted');

/** Properties whose content is never removed alone: the object is withheld instead (see redact). */
const NEVER_PARTLY = new Set(['id', 'type', 'object_marking_refs', 'granular_markings']);

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/**
 * Marks the content a selector selects as removed; false when the selector does not resolve
 * (content under content already removed resolves: it is gone with it).
 */
function markRemoved(root: Record<string, unknown>, steps: readonly Step[]): boolean {
  let parent: unknown = root;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    let child: unknown;
    if (Array.isArray(parent) && typeof step === 'number' && step < parent.length) child = parent[step];
    else if (isObjectRecord(parent) && typeof step === 'string' && Object.hasOwn(parent, step)) child = parent[step];
    else return false;
    if (child === REMOVED) return true;
    if (i === steps.length - 1) (parent as Record<string | number, unknown>)[step] = REMOVED;
    parent = child;
  }
  return true;
}

/** Marks containers left empty by removals as removed themselves; true when `node` is now empty. */
function markEmptied(node: Container): boolean {
  const keys = Array.isArray(node) ? node.keys() : Object.keys(node);
  let count = 0;
  let removed = 0;
  for (const key of keys) {
    count++;
    const child = (node as Record<string | number, unknown>)[key];
    if (child === REMOVED) removed++;
    else if (isContainer(child) && markEmptied(child)) {
      (node as Record<string | number, unknown>)[key] = REMOVED;
      removed++;
    }
  }
  return removed > 0 && removed === count;
}

/** The selector as it reads once removed content is gone (list indexes shift), or undefined if it selects removed content. */
function remapSelector(root: Record<string, unknown>, steps: readonly Step[]): string | undefined {
  const out: string[] = [];
  let node: unknown = root;
  for (const step of steps) {
    if (Array.isArray(node) && typeof step === 'number' && step < node.length) {
      let index = 0;
      for (let i = 0; i < step; i++) if (node[i] !== REMOVED) index++;
      out.push(`[${index}]`);
      node = node[step];
    } else if (isObjectRecord(node) && typeof step === 'string' && Object.hasOwn(node, step)) {
      out.push(step);
      node = node[step];
    } else return undefined;
    if (node === REMOVED) return undefined;
  }
  return out.join('.');
}

/** Drops what was marked removed. */
function compact(node: Container): void {
  if (Array.isArray(node)) {
    const kept = node.filter((item) => item !== REMOVED);
    node.length = 0;
    node.push(...kept);
    for (const item of node) if (isContainer(item)) compact(item);
    return;
  }
  for (const key of Object.keys(node)) {
    const child = node[key];
    if (child === REMOVED) delete node[key];
    else if (isContainer(child)) compact(child);
  }
}

/**
 * The object as this principal may see it, or undefined when it cannot be shown at all.
 *
 * Each property selected by a granular marking the principal may not read (or whose marking the
 * node does not know) is removed, and the selectors removed are listed in x_shieldwall_redacted
 * (STIX 2.1 section 7.2.3). What is left stays valid STIX: lists and dictionaries emptied by the
 * removal go too, the granular markings keep only selectors of content still present (list
 * indexes renumbered), and markings left without selectors go.
 *
 * Undefined (withheld, as if unreadable) when a hidden selector names the object's id, type or
 * markings, or does not resolve, or when `valid` says what is left is not a valid STIX object
 * (a property its type requires was hidden, such as an indicator's pattern).
 *
 * Call only on objects canRead allowed. Returns the object itself when nothing is removed.
 */
export function redact(principal: Principal, object: StixObject, table: MarkingTable, defaults: MarkingDefaults, valid?: (object: StixObject) => boolean): StixObject | undefined {
  const granular = object.granular_markings;
  if (!Array.isArray(granular) || granular.length === 0) return object;
  const hidden: string[] = [];
  for (const marking of granular) {
    if (!isObjectRecord(marking) || !Array.isArray(marking.selectors)) continue;
    const ref = typeof marking.marking_ref === 'string' ? marking.marking_ref : undefined;
    // Language-only granular markings (lang without marking_ref) restrict nothing.
    if (ref === undefined) continue;
    // A granular marking restricts its properties as if it were one more object marking.
    const refs = Array.isArray(object.object_marking_refs) ? object.object_marking_refs : [];
    const columns = markingColumns({ ...object, object_marking_refs: [...refs, ref] }, table, defaults);
    const effective = accessOfColumns({ ...columns, created_by_ref: typeof object.created_by_ref === 'string' ? object.created_by_ref : null });
    if (canRead(principal, effective)) continue;
    for (const selector of marking.selectors) if (typeof selector === 'string') hidden.push(selector);
  }
  if (hidden.length === 0) return object;
  const copy = structuredClone(object) as Record<string, unknown>;
  for (const selector of hidden) {
    const steps = parseSelector(selector);
    // What cannot be found cannot be removed: nothing is shown rather than something hidden.
    if (!steps || NEVER_PARTLY.has(String(steps[0])) || !markRemoved(copy, steps)) return undefined;
  }
  markEmptied(copy);
  const markings: Array<Record<string, unknown>> = [];
  for (const marking of copy.granular_markings as unknown[]) {
    if (!isObjectRecord(marking) || !Array.isArray(marking.selectors)) continue;
    const selectors: string[] = [];
    for (const selector of marking.selectors) {
      const steps = typeof selector === 'string' ? parseSelector(selector) : undefined;
      const remapped = steps && remapSelector(copy, steps);
      if (remapped !== undefined) selectors.push(remapped);
    }
    if (selectors.length > 0) markings.push({ ...marking, selectors });
  }
  compact(copy);
  if (markings.length > 0) copy.granular_markings = markings;
  else delete copy.granular_markings;
  copy.x_shieldwall_redacted = [...new Set(hidden)].sort();
  const seen = copy as StixObject;
  return valid === undefined || valid(seen) ? seen : undefined;
}

/**
 * May this principal administer (write the directory entries of) this member: its contacts,
 * users and tokens? A node administrator administers every member and the node's own users
 * (member null); a member administrator only its own member. Nobody grants more than they hold:
 * see canGrant.
 */
export function canAdminister(principal: Principal, memberCode: string | null): boolean {
  if (principal.kind === 'system' || principal.roles.includes('node-admin')) return true;
  return principal.roles.includes('member-admin') && memberCode !== null && principal.member?.code === memberCode;
}

/** May this principal give a user this clearance and these roles? Never above its own. */
export function canGrant(principal: Principal, clearance: number, roles: readonly Role[]): string | undefined {
  if (principal.kind === 'system' || principal.roles.includes('node-admin')) return undefined;
  if (clearance > principal.clearance) return `clearance ${clearance} is above your own (${principal.clearance})`;
  const beyond = roles.find((role) => role === 'node-admin' || role === 'auditor');
  return beyond ? `only a node administrator grants the role '${beyond}'` : undefined;
}

/** The user a credential (API token, password) would let its holder act as. */
export interface CredentialHolder {
  readonly name: string;
  readonly member: string | null;
  readonly clearance: number;
  readonly roles: readonly Role[];
}

export type CredentialDecision =
  | { readonly outcome: 'issue' }
  | { readonly outcome: 'second-person'; readonly reason: string }
  | { readonly outcome: 'refuse'; readonly reason: string };

/**
 * May this principal give a credential for this user (and so act as it) by itself? Its own,
 * always. A member administrator, for the users of its member it could have created (canGrant);
 * never others. A node administrator, for users who read and may do no more than it does (no
 * other member, no higher clearance, no permission its roles lack) and are not node
 * administrators themselves (each is a second person of the rule); for any other user only
 * with a second node administrator's approval or the user's consent (the two-person rule). The
 * node itself (the local command line) is not limited.
 */
export function credentialDecision(principal: Principal, user: CredentialHolder, permissionsOf: (role: Role) => ReadonlySet<string>): CredentialDecision {
  if (principal.kind === 'system' || (principal.userName !== null && principal.userName === user.name)) return { outcome: 'issue' };
  if (!canAdminister(principal, user.member)) return { outcome: 'refuse', reason: `you do not administer the user '${user.name}'` };
  if (!principal.roles.includes('node-admin')) {
    const beyond = canGrant(principal, user.clearance, user.roles);
    return beyond ? { outcome: 'refuse', reason: `the user '${user.name}' holds more than you may grant (${beyond}); a node administrator issues its credentials` } : { outcome: 'issue' };
  }
  if (user.member !== null && user.member !== principal.member?.code) return { outcome: 'second-person', reason: `'${user.name}' is a user of member ${user.member}, whose intelligence you do not read` };
  if (user.clearance > principal.clearance) return { outcome: 'second-person', reason: `'${user.name}' is cleared to level ${user.clearance}, above your own (${principal.clearance})` };
  // Whoever holds a second node administrator's credential approves its own requests: another
  // node administrator's credentials are never given by one alone.
  if (user.roles.includes('node-admin')) return { outcome: 'second-person', reason: `'${user.name}' is a node administrator, who approves credential requests: its credentials would let you approve your own` };
  const held = new Set(principal.roles.flatMap((role) => [...permissionsOf(role)]));
  const role = user.roles.find((r) => [...permissionsOf(r)].some((permission) => !held.has(permission)));
  return role ? { outcome: 'second-person', reason: `'${user.name}' holds the role ${role}, which grants what your roles do not` } : { outcome: 'issue' };
}

/**
 * May this principal delete this object version from the node? Its originating member may
 * (within its clearance: it must be able to read it), and a node administrator may remove
 * anything it can read. Deleting is refused to everyone else even when they may read it.
 */
export function canDelete(principal: Principal, access: ObjectAccess, ownership?: Ownership): boolean {
  if (!canRead(principal, access)) return false;
  return principal.kind === 'system' || principal.roles.includes('node-admin') || isOriginator(principal, access) || (ownership !== undefined && isCreator(principal, ownership));
}
