/**
 * Listings of the intel store (REST search, TAXII objects and manifests, export): candidate rows
 * of the readable access sets in date_added order, and counts of what a reader may read.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Store } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { idHash } from './intel.rows.js';
import { STORED, type StoredVersion } from './intel.stored.js';

export interface ListFilter {
  types?: string[];
  ids?: string[];
  /** Case-insensitive substring of the name, value or pattern (the label), or of the description. */
  text?: string;
  /** Normalised version (see versionKey): only objects modified after it. */
  versionAfter?: string;
  /** Normalised version: only objects modified before it (not those without timestamps). */
  versionBefore?: string;
  /** Only rows of these TLP columns (null: no TLP). */
  tlps?: ReadonlyArray<string | null>;
  /** Only rows of these classification levels. */
  classifications?: readonly number[];
  /** Only rows this member of the node originated (origin_member). */
  origin?: string;
  /** Ascending date_added order: rows after this seq. */
  afterSeq?: number;
  /** Newest added first: rows before this seq, in descending date_added order. */
  descending?: boolean;
  beforeSeq?: number;
  /** Rows of these access sets may be readable (the policy decided, on each set's markings). */
  accessKeys: readonly number[];
  /** How many access sets there are in all. */
  accessSetCount: number;
  /** Rows this member originated may be readable too (the originator reads its own), up to originClearance. */
  originMember: string | null;
  /** The reader's clearance: its own member's rows above it are no candidates (row 1 of canRead holds for the originator too). */
  originClearance: number;
  limit: number;
  /** Forces one way of paging (tests prove both give the same pages); chosen by shares otherwise. */
  strategy?: 'ranges' | 'walk';
  /**
   * Which versions of each object (TAXII match[version]): the newest ('last', the default), the
   * oldest ('first'), every one ('all'), or the versions with these normalised keys.
   */
  versions?: { last?: boolean; first?: boolean; all?: boolean; exact?: string[] };
}

/**
 * Readable access sets are paged one index range each (merged by seq) while they are at most
 * this share of all sets, and at most RANGE_SCAN_MAX_KEYS; beyond, most of the store is
 * readable and one walk in date_added order finds a page sooner.
 */
const RANGE_SCAN_MAX_SHARE = 0.25;
const RANGE_SCAN_MAX_KEYS = 500;

/** A row of a listing: whether it is the current version decides which rule reads it (see canReadVersion). */
export type ListedVersion = StoredVersion & { id: string; is_current: number; created: string | null; modified: string | null };

const LISTED = [...STORED, 'id', 'is_current', 'created', 'modified'] as const;

/**
 * Candidate rows for a page, in date_added order (or newest first): current rows of the readable
 * access sets and of the reader's own member within its clearance. The caller applies the rule to
 * each. A small share of the sets: one range of the (access_key, seq) index per set plus the
 * (origin_member, seq) range, merged, which is fast however small a share of the store they hold
 * (one member's rows asked for: its (origin_member, seq) range alone). Most sets: a walk in
 * date_added order.
 *
 * Either way only candidates reach the other filters' costly terms and the caller: the walk
 * keeps the rows of the readable sets in SQL, before the text is matched and before any body is
 * read, so that what a listing costs does not depend on what unreadable rows hold (a search for
 * a word found only in unreadable descriptions costs what a search for a word found nowhere does).
 */
export async function listCurrent(store: Store, filter: ListFilter): Promise<ListedVersion[]> {
  if (filter.accessKeys.length === 0 && filter.originMember === null) return [];
  const text = filter.text ? `%${filter.text.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%` : undefined;
  const v = filter.versions;
  const currentOnly = !v || (v.last === true && !v.first && !v.all && (v.exact ?? []).length === 0);
  const descending = filter.descending === true;
  const direction = descending ? 'desc' : 'asc';
  const own = filter.originMember;
  /** The reader's own rows within its clearance. */
  const ownRows = (eb: ExpressionBuilder<Database, 'stix_objects'>) => eb.and([eb('origin_member', '=', own), eb('classification', '<=', filter.originClearance)]);
  /**
   * Rows past `bound` in the listing's order (after it ascending, before it descending) that
   * `candidates` keeps (a condition on the marking columns) and the filters accept. The text is
   * matched last: only on candidates.
   */
  const base = (bound: number | undefined, candidates: (eb: ExpressionBuilder<Database, 'stix_objects'>) => Expression<SqlBool>, originIndexed = true) => {
    let query = currentOnly ? store.db.selectFrom('stix_objects').where('is_current', '=', 1) : store.db.selectFrom('stix_objects');
    if (!currentOnly && v && !v.all) {
      query = query.where((eb) =>
        eb.or([
          ...(v.last ? [eb('is_current', '=', 1)] : []),
          ...(v.first
            ? [eb('version', '=', (sub) => sub.selectFrom('stix_objects as earlier').select((e) => e.fn.min('earlier.version').as('v')).whereRef('earlier.id_hash', '=', 'stix_objects.id_hash').whereRef('earlier.id', '=', 'stix_objects.id'))]
            : []),
          ...((v.exact ?? []).length > 0 ? [eb('version', 'in', v.exact!)] : []),
        ]),
      );
    }
    if (filter.types && filter.types.length > 0) query = query.where('type', 'in', filter.types);
    if (filter.ids && filter.ids.length > 0) query = query.where('id_hash', 'in', filter.ids.map(idHash)).where('id', 'in', filter.ids);
    if (filter.versionAfter !== undefined) query = query.where('version', '>', filter.versionAfter);
    // Objects without timestamps (observables: version '') were not modified before anything.
    if (filter.versionBefore !== undefined) query = query.where('version', '<', filter.versionBefore).where('version', '<>', '');
    if (filter.tlps !== undefined) {
      const named = filter.tlps.filter((t): t is string => t !== null);
      const none = filter.tlps.includes(null);
      query = query.where((eb) => eb.or([...(named.length > 0 ? [eb('tlp', 'in', named)] : []), ...(none ? [eb('tlp', 'is', null)] : [])]));
    }
    if (filter.classifications !== undefined) query = query.where('classification', 'in', [...filter.classifications]);
    // `|| ''` keeps a member's (origin_member, seq) range out of the plan: read there, the rows
    // of that member the reader may not read would be examined too.
    if (filter.origin !== undefined) query = originIndexed ? query.where('origin_member', '=', filter.origin) : query.where(sql<string>`origin_member || ''`, '=', filter.origin);
    if (bound !== undefined) query = query.where('seq', descending ? '<' : '>', bound);
    query = query.where(candidates);
    if (text !== undefined) query = query.where(sql<boolean>`(lower(label) like ${text} escape '\\' or lower(description) like ${text} escape '\\')`);
    return query;
  };
  const bound = descending ? filter.beforeSeq : filter.afterSeq;
  const ranges = filter.accessKeys.length <= RANGE_SCAN_MAX_KEYS && filter.accessKeys.length <= filter.accessSetCount * RANGE_SCAN_MAX_SHARE;
  // The index ranges hold current rows only; other versions are found by the walk. Each range is
  // read forwards or backwards (both engines read an index either way).
  if (currentOnly && (filter.strategy === 'ranges' || (filter.strategy === undefined && ranges))) {
    const seqs: number[] = [];
    const range = async (query: ReturnType<typeof base>) => {
      for (const seq of await seqsOf(store, query.select('seq').orderBy('seq', direction).limit(filter.limit))) seqs.push(seq);
    };
    if (filter.origin === own) {
      // The reader's own rows: one range of the (origin_member, seq) index.
      await range(base(bound, ownRows));
    } else if (filter.origin !== undefined) {
      // Another member's rows: one range of each readable set, keeping that member's, so that
      // only rows the reader may read are examined (its range of the (origin_member, seq) index
      // holds the others as well).
      for (const key of filter.accessKeys) await range(base(bound, (eb) => eb('access_key', '=', key), false));
    } else {
      for (const key of filter.accessKeys) await range(base(bound, (eb) => eb('access_key', '=', key)));
      if (own !== null) await range(base(bound, ownRows));
    }
    const page = [...new Set(seqs)].sort(descending ? (a, b) => b - a : (a, b) => a - b).slice(0, filter.limit);
    if (page.length === 0) return [];
    return listedRows(store, store.db.selectFrom('stix_objects').select(LISTED).where('seq', 'in', page).orderBy('seq', direction));
  }
  // The walk: every row it returns is a candidate, so one read of a page's worth is the page.
  // The unary plus keeps the access key a filter of the walk in seq order, never an index of its
  // own (which would read and sort every readable row for one page).
  const candidates = (eb: ExpressionBuilder<Database, 'stix_objects'>) =>
    eb.or([...(filter.accessKeys.length > 0 ? [readableSets(store, filter.accessKeys, sql<number>`+access_key`)] : []), ...(own !== null ? [ownRows(eb)] : [])]);
  return listedRows(store, base(bound, candidates).select(LISTED).orderBy('seq', direction).limit(filter.limit));
}

interface ListingQuery {
  compile(): { sql: string; parameters: readonly unknown[] };
}

/** The seqs a listing query selects (through a statement the adapter keeps: a listing's shape recurs page after page). */
async function seqsOf(store: Store, query: ListingQuery): Promise<number[]> {
  return ((await store.adapter.readCompiled(query.compile(), 'column')) as number[]).map(Number);
}

/** The rows a listing query selects (the LISTED columns, in that order). */
async function listedRows(store: Store, query: ListingQuery): Promise<ListedVersion[]> {
  const rows = (await store.adapter.readCompiled(query.compile(), 'arrays')) as ListedColumns[];
  const out = new Array<ListedVersion>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [seq, body, tlp, classification, releasability, createdByRef, accessKey, originMember, submitter, id, isCurrent, created, modified] = rows[i]!;
    out[i] = {
      seq: Number(seq),
      body,
      tlp,
      classification,
      releasability,
      created_by_ref: createdByRef,
      access_key: accessKey === null ? null : Number(accessKey),
      origin_member: originMember,
      submitter,
      id,
      is_current: isCurrent,
      created,
      modified,
    };
  }
  return out;
}

/** A row of a listing, columns in LISTED's order (arrays: see StoreAdapter.readArrays). */
type ListedColumns = [
  seq: number,
  body: string,
  tlp: string | null,
  classification: number | null,
  releasability: string | null,
  createdByRef: string | null,
  accessKey: number | null,
  originMember: string | null,
  submitter: string | null,
  id: string,
  isCurrent: number,
  created: string | null,
  modified: string | null,
];

/** The reader's own member and clearance: its own objects count too, within its clearance. */
export interface OwnRows {
  member: string;
  clearance: number;
}

/**
 * Rows of the readable access sets: their keys bound as one parameter (db/ inList). A reader may
 * read tens of thousands of sets (members define markings at will); bound one key a parameter,
 * listings and counts failed past the engine's limit (SQLite 32,766) for every such reader.
 */
function readableSets(store: Store, accessKeys: readonly number[], operand: string | Expression<unknown> = 'access_key'): Expression<SqlBool> {
  return store.adapter.inList(operand, accessKeys, 'int4');
}

function readableWhere(store: Store, accessKeys: readonly number[], own: OwnRows | undefined) {
  return (eb: ExpressionBuilder<Database, 'stix_objects'>) => {
    const terms: Array<Expression<SqlBool>> = [];
    if (accessKeys.length > 0) terms.push(readableSets(store, accessKeys));
    if (own) terms.push(eb.and([eb('origin_member', '=', own.member), eb('classification', '<=', own.clearance)]));
    return eb.or(terms);
  };
}

export async function countCurrentByType(store: Store, accessKeys: readonly number[], own?: OwnRows): Promise<Array<{ type: string; count: number }>> {
  if (accessKeys.length === 0 && !own) return [];
  const rows = await store.db
    .selectFrom('stix_objects')
    .where('is_current', '=', 1)
    .where(readableWhere(store, accessKeys, own))
    .select(['type', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('type')
    .orderBy('type')
    .execute();
  return rows.map((r) => ({ type: r.type, count: Number(r.count) }));
}

export async function countVersions(store: Store, accessKeys: readonly number[], own?: OwnRows): Promise<number> {
  if (accessKeys.length === 0 && !own) return 0;
  const row = await store.db.selectFrom('stix_objects').where(readableWhere(store, accessKeys, own)).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** What a reader may read, as the SQL pre-filter of counts and object pages: readable access sets, and its own member's rows within its clearance. */
export interface ReadableRows {
  accessKeys: readonly number[];
  own: OwnRows | undefined;
}

const CONTEXT_ROW = [...STORED, 'id'] as const;
export type ContextRow = StoredVersion & { id: string };

function numericContextRows(rows: ContextRow[]): ContextRow[] {
  for (const row of rows) {
    row.seq = Number(row.seq);
    if (row.access_key !== null) row.access_key = Number(row.access_key);
    if (row.classification !== null) row.classification = Number(row.classification);
  }
  return rows;
}

/**
 * Current relationships out of an object (source_ref: about_ref, migration 0011's index) or in to
 * it (target_ref, migration 0013's), newest first, before a seq; of the readable rows only. The
 * caller applies the rule to each.
 */
export async function relationshipsOf(store: Store, id: string, direction: 'out' | 'in', readable: ReadableRows, beforeSeq: number | undefined, limit: number): Promise<ContextRow[]> {
  if (readable.accessKeys.length === 0 && !readable.own) return [];
  // Literal predicates, so that SQLite proves the partial indexes apply (bound values would not).
  let query = store.db
    .selectFrom('stix_objects')
    .select(CONTEXT_ROW)
    .where(sql<boolean>`type = 'relationship' and is_current = 1`)
    .where(direction === 'out' ? 'about_ref' : 'target_ref', '=', id)
    .where(readableWhere(store, readable.accessKeys, readable.own));
  if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
  return numericContextRows(await query.orderBy('seq', 'desc').limit(limit).execute());
}

/** Current sightings of an object (sighting_of_ref: about_ref), newest first, before a seq, of the readable rows. */
export async function sightingsOf(store: Store, id: string, readable: ReadableRows, beforeSeq: number | undefined, limit: number): Promise<ContextRow[]> {
  if (readable.accessKeys.length === 0 && !readable.own) return [];
  let query = store.db
    .selectFrom('stix_objects')
    .select(CONTEXT_ROW)
    .where(sql<boolean>`type = 'sighting' and is_current = 1`)
    .where('about_ref', '=', id)
    .where(readableWhere(store, readable.accessKeys, readable.own));
  if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
  return numericContextRows(await query.orderBy('seq', 'desc').limit(limit).execute());
}

/** A date_added day: microseconds per day, so that seq / DAY_MICROS is the day's number since the epoch (UTC). */
export const DAY_MICROS = 86_400_000_000;

/**
 * Readable current rows added in [sinceSeq, untilSeq] (no end: to the last added), counted by
 * type, TLP, classification and day of date_added (days since the epoch, UTC): one pass over the
 * window's range of seq.
 */
export async function countAddedBetween(store: Store, readable: ReadableRows, sinceSeq: number, untilSeq: number | undefined): Promise<Array<{ type: string; tlp: string | null; classification: number; day: number; count: number }>> {
  if (readable.accessKeys.length === 0 && !readable.own) return [];
  // Integer division on both engines (seq is an integer, the divisor a bigint literal).
  const day = sql<number>`seq / ${sql.lit(DAY_MICROS)}`;
  let query = store.db.selectFrom('stix_objects').where('is_current', '=', 1).where('seq', '>=', sinceSeq);
  if (untilSeq !== undefined) query = query.where('seq', '<=', untilSeq);
  const rows = await query
    .where(readableWhere(store, readable.accessKeys, readable.own))
    .select(['type', 'tlp', 'classification', day.as('day'), (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy(['type', 'tlp', 'classification', day])
    .execute();
  return rows.map((r) => ({ type: r.type, tlp: r.tlp, classification: Number(r.classification), day: Number(r.day), count: Number(r.count) }));
}
