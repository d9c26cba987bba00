/**
 * Records that are not STIX objects (incident reports, requests for assistance, proposals,
 * submissions): each carries the marking columns a stored STIX object carries, who originated
 * it and who owns it, and may be addressed to named recipients. They are decided by the same
 * need-to-know rule as STIX objects (rule.ts mayRead): one rule. Pure: no I/O. docs/POLICY.md,
 * "Records that are not STIX", states it as prose and gives a module author's example.
 */
import { EVERYONE, releasabilityEntries, TLP_LEVELS, USER_PREFIX, type Tlp } from './markings.js';
import type { MemberKind, Principal } from './principal.js';
import { mayRead } from './rule.js';

/** What the rule needs to know about a record. */
export interface RecordAccess {
  readonly tlp: Tlp | null;
  /** Index into the classification scheme; an unresolved marking is above every clearance. */
  readonly classification: number;
  /** Releasability entries (member codes, group names, '@user', '*'), as for STIX objects. */
  readonly releasability: readonly string[];
  /** The code of the member of this node that originated the record; null for the node's own. */
  readonly originMember: string | null;
  /** The user name of the user who created the record (as Principal.userName names it). */
  readonly owner: string | null;
  /**
   * Member codes and '@user' entries the record is addressed to; empty: not addressed. Named
   * recipients narrow who reads, never widen it (see canReadRecord).
   */
  readonly recipients: readonly string[];
}

/**
 * The columns a record table carries: tlp, classification and releasability exactly as the
 * stix_objects row carries them (releasability as ',A,B,'), plus the origin, owner and
 * recipients (',DEU,@alice,'; null or ',' when not addressed).
 */
export interface RecordColumns {
  tlp: string | null;
  classification: number | null;
  releasability: string | null;
  origin_member: string | null;
  owner: string | null;
  recipients: string | null;
}

/** The record's access as the rule reads it from its stored columns (as accessOfColumns for STIX rows). */
export function recordAccessOfColumns(columns: RecordColumns): RecordAccess {
  return {
    tlp: columns.tlp as Tlp | null,
    // A row without a classification is read as unresolved: above every clearance.
    classification: columns.classification ?? Number.MAX_SAFE_INTEGER,
    releasability: columns.releasability === null ? [] : releasabilityEntries(columns.releasability),
    originMember: columns.origin_member,
    owner: columns.owner,
    recipients: columns.recipients === null ? [] : releasabilityEntries(columns.recipients),
  };
}

/** The stored columns of a record's access (what a module's repo writes). */
export function recordColumns(access: RecordAccess): RecordColumns {
  return {
    tlp: access.tlp,
    classification: access.classification,
    releasability: listColumn(access.releasability),
    origin_member: access.originMember,
    owner: access.owner,
    recipients: access.recipients.length === 0 ? null : listColumn(access.recipients),
  };
}

function listColumn(entries: readonly string[]): string {
  return `,${entries.join(',')},`;
}

/** Is the principal the record's owner: the user who created it? */
export function isRecordOwner(principal: Principal, record: Pick<RecordAccess, 'owner'>): boolean {
  return principal.kind !== 'peer' && principal.kind !== 'system' && principal.userName !== null && principal.userName === record.owner;
}

/**
 * May this principal read this record? The need-to-know rule of STIX objects (canRead: clearance,
 * originating member, releasability, TLP 2.0), with the record's originator given by member code,
 * and two additions:
 * - Its owner (the user who created it) reads it, within its clearance, as its originating
 *   member does: also after moving to another member.
 * - Addressed to named recipients (member codes, '@user'), it is read only by its owner, its
 *   originating member and those recipients; each recipient still needs the clearance, the
 *   releasability and the TLP (a recipient not released to is not a reader). A peer node reads
 *   it only for a member it stands for that is itself released to and named.
 */
export function canReadRecord(principal: Principal, record: RecordAccess): boolean {
  if (record.classification > principal.clearance) return false;
  if (isRecordOwner(principal, record)) return true;
  return mayRead(principal, record, null, record.originMember, record.recipients);
}

/**
 * Would (any user of) this member, cleared to the record's level, read a record so marked? The
 * rule's own answer asked of a member rather than of a user: whom a record may be addressed to.
 */
export function memberReadsRecord(member: { readonly code: string; readonly kind: MemberKind; readonly groups: readonly string[] }, record: RecordAccess): boolean {
  const principal: Principal = {
    kind: 'user',
    name: member.code,
    userName: null,
    roles: [],
    member: { code: member.code, kind: member.kind, identityId: null, groups: member.groups },
    clearance: record.classification,
  };
  return canReadRecord(principal, record);
}

export type RecordWriteDenial = {
  rule: 'unreadable' | 'above-clearance' | 'not-writer' | 'foreign-originator' | 'provenance-changed';
  message: string;
};

/**
 * Does the principal write for the record's originator: its owner, or a user of its originating
 * member (its member writes through any of its users; which roles may, the module's permission
 * decides)? Peer nodes do not: records travel between nodes as STIX, and what a peer delivers
 * is stored by the node itself.
 */
function writesFor(principal: Principal, record: RecordAccess, delegates: readonly string[] = []): boolean {
  if (principal.kind === 'peer') return false;
  if (isRecordOwner(principal, record)) return true;
  if (record.originMember !== null && principal.member !== null && principal.member.code === record.originMember) return true;
  return isDelegate(principal, delegates);
}

/**
 * Is the principal one the record's originator delegates its writing to: a user of a member whose
 * code is listed, or a user listed by name ('@name')? Peer nodes never are.
 */
export function isDelegate(principal: Principal, delegates: readonly string[]): boolean {
  if (principal.kind === 'peer' || principal.kind === 'system' || delegates.length === 0) return false;
  if (principal.member !== null && delegates.includes(principal.member.code)) return true;
  return principal.userName !== null && delegates.includes(USER_PREFIX + principal.userName);
}

/**
 * May this principal create this record? It is created in the principal's own name (originating
 * member: the principal's member, or none; owner: the principal's user name) and marked at or
 * below its clearance. Peer nodes do not create records (see writesFor). The node itself (system)
 * is not limited.
 */
export function canCreateRecord(principal: Principal, record: RecordAccess): RecordWriteDenial | undefined {
  if (principal.kind === 'system') return undefined;
  if (principal.kind === 'peer') return { rule: 'foreign-originator', message: 'a peer node does not create records: records reach other nodes as STIX objects' };
  if (record.classification > principal.clearance) {
    return { rule: 'above-clearance', message: `the record is marked above your clearance; mark it at or below your clearance level (${principal.clearance})` };
  }
  const member = principal.member?.code ?? null;
  if (record.originMember !== member) {
    return { rule: 'foreign-originator', message: `the record names member ${record.originMember ?? '(none)'} as its originator; you create records in the name of ${member ?? 'no member'} only` };
  }
  if (principal.userName === null || record.owner !== principal.userName) {
    return { rule: 'foreign-originator', message: `the record names ${record.owner ?? 'nobody'} as its owner; a record is owned by the user who creates it` };
  }
  return undefined;
}

/**
 * May this principal change a stored record (edit it, re-mark it, close it), into `next` when
 * given? It must read the record (canReadRecord; callers answer "not found" on 'unreadable', so
 * that a refusal tells nothing of what exists) and write for its originator: its owner, a user
 * of its originating member (the member acts through any of its users), or one the originator
 * delegates to (`delegates`: member codes and '@user' entries the record keeps). New
 * markings stay at or below the writer's clearance; origin and owner never change. The node
 * itself (system) is not limited.
 */
export function canWriteRecord(principal: Principal, stored: RecordAccess, next?: RecordAccess, delegates: readonly string[] = []): RecordWriteDenial | undefined {
  if (principal.kind === 'system') return undefined;
  if (!canReadRecord(principal, stored)) return { rule: 'unreadable', message: 'no such record' };
  if (!writesFor(principal, stored, delegates)) {
    return { rule: 'not-writer', message: `only the record's owner${stored.originMember === null ? '' : `, the users of its originating member ${stored.originMember}`} and those it delegates to change it` };
  }
  if (next === undefined) return undefined;
  if (next.classification > principal.clearance) {
    return { rule: 'above-clearance', message: `the record would be marked above your clearance; mark it at or below your clearance level (${principal.clearance})` };
  }
  if (next.originMember !== stored.originMember || next.owner !== stored.owner) {
    return { rule: 'provenance-changed', message: 'the originating member and the owner of a record never change; create a new record instead' };
  }
  return undefined;
}

/**
 * May this principal delete this record? As canDelete for STIX objects: only what it reads, and
 * then its owner, a user of its originating member, or a node administrator (and the node itself).
 */
export function canDeleteRecord(principal: Principal, record: RecordAccess): boolean {
  if (principal.kind === 'system') return true;
  if (!canReadRecord(principal, record)) return false;
  return principal.roles.includes('node-admin') || writesFor(principal, record);
}

/**
 * A marking of some fields of a record, stricter than the record's own (as a STIX granular
 * marking is one more marking on the properties it selects): a field is shown to those who may
 * read the record under the record's markings narrowed by this one: the higher TLP, the higher
 * classification, the releasability both lists allow ('*' allows all), exactly as markingColumns
 * combines a STIX object's markings. Owner, originating member and recipients stay the record's.
 */
export interface FieldMarking {
  /** Top-level fields of the record it covers. */
  readonly fields: readonly string[];
  readonly tlp?: Tlp | null;
  readonly classification?: number;
  /** Omitted: the record's releasability holds. */
  readonly releasability?: readonly string[];
}

/** A record with the fields its field markings cover. */
export type MarkedRecord = RecordAccess & { readonly fieldMarkings?: readonly FieldMarking[] };

/** Fields never removed alone: a field marking naming one withholds the whole record. */
const NEVER_PARTLY: ReadonlySet<string> = new Set<string>(['tlp', 'classification', 'releasability', 'originMember', 'owner', 'recipients', 'fieldMarkings']);

/** The record's markings narrowed by a field's marking (the combination markingColumns makes). */
export function fieldAccess(record: RecordAccess, marking: FieldMarking): RecordAccess {
  const tlp = marking.tlp === undefined || marking.tlp === null ? record.tlp : record.tlp === null || TLP_LEVELS.indexOf(marking.tlp) > TLP_LEVELS.indexOf(record.tlp) ? marking.tlp : record.tlp;
  const classification = marking.classification === undefined ? record.classification : Math.max(record.classification, marking.classification);
  let releasability = record.releasability;
  const next = marking.releasability;
  if (next !== undefined) {
    if (releasability.includes(EVERYONE)) releasability = next;
    else if (!next.includes(EVERYONE)) releasability = releasability.filter((entry) => next.includes(entry));
  }
  return { ...record, tlp, classification, releasability };
}

/** The fields (top-level properties) of R that are not its access. */
type Fields<R> = Omit<R, keyof MarkedRecord>;

/** A record as a reader sees it: hidden fields are absent. */
export type RedactedRecord<R extends MarkedRecord> = Pick<R, keyof MarkedRecord> & Partial<Fields<R>>;

export interface RecordRedaction<R extends MarkedRecord> {
  readonly record: RedactedRecord<R>;
  /** The fields removed, sorted: the caller shows them as redacted. Empty when nothing was. */
  readonly redacted: readonly string[];
}

/**
 * The record as this principal may see it: undefined when it may not read it (canReadRecord), or
 * when a field marking it may not read covers a field the record is not shown without (`required`,
 * or the record's own access fields); otherwise the record without the fields a field marking
 * it may not read covers, listed in `redacted`, and with field markings left only over fields still
 * shown. Returns the record itself when nothing is removed. The record given is not changed.
 */
export function redactRecord<R extends MarkedRecord>(principal: Principal, record: R, required: readonly string[] = []): RecordRedaction<R> | undefined {
  if (!canReadRecord(principal, record)) return undefined;
  const markings = record.fieldMarkings ?? [];
  const hidden = new Set<string>();
  for (const marking of markings) {
    if (canReadRecord(principal, fieldAccess(record, marking))) continue;
    for (const field of marking.fields) hidden.add(field);
  }
  if (hidden.size === 0) return { record, redacted: [] };
  for (const field of hidden) if (NEVER_PARTLY.has(field) || required.includes(field)) return undefined;
  const whole: MarkedRecord = record;
  const seen: Record<string, unknown> = { ...whole };
  for (const field of hidden) delete seen[field];
  const kept: FieldMarking[] = [];
  for (const marking of markings) {
    const fields = marking.fields.filter((field) => !hidden.has(field));
    if (fields.length > 0) kept.push({ ...marking, fields });
  }
  if (kept.length > 0) seen.fieldMarkings = kept;
  else delete seen.fieldMarkings;
  return { record: seen as RedactedRecord<R>, redacted: [...hidden].sort() };
}

/**
 * What a principal may read of a table of records, as data for a SQL pre-filter (see
 * src/db/access-filter.ts, which turns it into a WHERE condition): a row is read when it is
 * within `clearance`, not of a `withheldTlps` TLP, and (owned by `owner`, or originated by one of
 * `originMembers`, or read through one of `releases`). It states canReadRecord over the stored columns exactly; the
 * property test holds the two together.
 */
export interface RecordReadScope {
  /** Highest classification read; null: every one, unresolved (null) classifications too. */
  readonly clearance: number | null;
  /** Rows of these TLPs are never read (a peer node's: TLP:RED and TLP:AMBER+STRICT stay on the node). */
  readonly withheldTlps: readonly Tlp[];
  /** Rows owned by this user name are read. */
  readonly owner: string | null;
  /** Rows originated by these members are read. */
  readonly originMembers: readonly string[];
  /** Other rows are read through one of these (one per member a peer stands for). */
  readonly releases: readonly RecordRelease[];
}

/** One way to read a row through its markings: all three conditions hold. */
export interface RecordRelease {
  /** One of these is listed in the releasability. */
  readonly releasedBy: readonly string[];
  /** TLP:AMBER+STRICT rows: one of these is listed in the releasability; empty: never. */
  readonly amberStrictBy: readonly string[];
  /** TLP:RED rows: one of these is listed in the releasability; empty: never. */
  readonly redBy: readonly string[];
  /** Addressed rows: one of these is among the recipients. Rows not addressed need none. */
  readonly addressedBy: readonly string[];
}

/**
 * The scope of canReadRecord for a principal. Entries holding a comma are left out: a stored
 * list never holds one (its entries are split on commas).
 */
export function recordReadScope(principal: Principal): RecordReadScope {
  const clean = (entries: readonly string[]) => entries.filter((entry) => entry !== '' && !entry.includes(','));
  const clearance = principal.clearance >= Number.MAX_SAFE_INTEGER ? null : principal.clearance;
  const owner = principal.kind === 'user' || principal.kind === 'token' ? principal.userName : null;
  if (principal.kind === 'peer') {
    const members = principal.represents ?? (principal.member ? [principal.member] : []);
    return {
      clearance,
      withheldTlps: ['amber+strict', 'red'],
      owner: null,
      originMembers: members.map((member) => member.code),
      releases: members.map((member) => ({ releasedBy: clean([EVERYONE, member.code, ...member.groups]), amberStrictBy: [], redBy: [], addressedBy: clean([member.code]) })),
    };
  }
  const member = principal.member;
  const user = principal.userName === null ? [] : [USER_PREFIX + principal.userName];
  return {
    clearance,
    withheldTlps: [],
    owner,
    originMembers: member === null ? [] : [member.code],
    releases: [
      {
        releasedBy: clean(member === null ? [EVERYONE] : [EVERYONE, member.code, ...member.groups]),
        amberStrictBy: clean(member === null ? [] : [member.code]),
        redBy: clean(user),
        addressedBy: clean([...(member === null ? [] : [member.code]), ...user]),
      },
    ],
  };
}

/**
 * How much of a record a notice that leaves the node (a webhook, a mail) may carry. TLP 2.0 RED
 * is for the eyes and ears of its individual recipients only, and AMBER+STRICT for their
 * organisation only (https://www.first.org/tlp/): a webhook or a mailbox is a system outside the
 * node, read by whoever runs it, so such a record is told of by reference only (what changed,
 * where to read it, its handling), and its content is read on the node, where the rule decides
 * each reader. So is a record classified above `contentLevel`, the highest classification the
 * node's operator accredits those channels for (SHIELDWALL_NOTIFY_CONTENT_LEVEL; by default
 * UNCLASSIFIED: classified content does not travel by ordinary mail). Everything else is notified
 * in full to a reader the rule lets read it. Who may be notified at all is canReadRecord's
 * decision; this one decides only what the notice holds.
 */
export function externalNotice(access: Pick<RecordAccess, 'tlp' | 'classification'>, contentLevel = 0): 'full' | 'reference' {
  if (access.tlp === 'red' || access.tlp === 'amber+strict') return 'reference';
  return access.classification > contentLevel ? 'reference' : 'full';
}
