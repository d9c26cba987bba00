/**
 * Listings of the intel store (REST search, TAXII objects and manifests, export): candidate rows
 * of the readable access sets in date_added order, and counts of what a reader may read.
 */
import { sql, type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { nextTurn } from '../../core/turn.js';
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
  /** Rows a statement examines at most (SCAN_WINDOW_ROWS by default; SHIELDWALL_SCAN_WINDOW_ROWS). */
  windowRows?: number;
  /** The first version of objects, by id, as found by the listing's earlier windows (filled by it). */
  firstVersions?: Map<string, string>;
  /**
   * Which version is an object's first for this reader: given heads of its versions, oldest first
   * (all of them, or a run of them), and its current rows' heads, the version of the first it may
   * read among them (undefined: none). Required to list first versions.
   */
  firstOf?: (id: string, heads: readonly FirstHead[], current: readonly FirstHead[]) => Promise<string | undefined>;
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

/**
 * Rows one statement of a listing or a count examines at most, in the order of the index it
 * walks. On SQLite a statement holds the node's thread until it ends: a search for a word no
 * object holds examined every row in one statement (0.6-0.7 s at 1,000,000 rows, 2.5 s with a
 * cold cache), during which no other request was answered. A window of 20,000 rows takes 10-15 ms
 * there; the next starts after a turn of the event loop.
 */
export const SCAN_WINDOW_ROWS = 20_000;
/** Types a walk bounds by one window each on the (type, seq) index; more are bounded by rows in date_added order. */
const TYPE_WINDOWS_MAX = 4;

type Where = (eb: ExpressionBuilder<Database, 'stix_objects'>) => Expression<SqlBool>;

/**
 * The seq of the last row of the window: `rows` rows of `where` (all rows without it) past
 * `bound` in the listing's order, the next statement's bound; undefined when fewer remain (the
 * statement may then run to the end). The statement reads the index of `where` alone.
 */
async function windowEnd(store: Store, where: Where | undefined, bound: number | undefined, descending: boolean, rows: number): Promise<number | undefined> {
  let query = store.db.selectFrom('stix_objects').select('seq');
  if (where) query = query.where(where);
  if (bound !== undefined) query = query.where('seq', descending ? '<' : '>', bound);
  const [seq] = await seqsOf(store, query.orderBy('seq', descending ? 'desc' : 'asc').limit(1).offset(rows - 1));
  return seq;
}

/** The nearest of the window ends (the first reached in the listing's order); undefined if none bounds. */
function nearest(ends: ReadonlyArray<number | undefined>, descending: boolean): number | undefined {
  let out: number | undefined;
  for (const end of ends) if (end !== undefined && (out === undefined || (descending ? end > out : end < out))) out = end;
  return out;
}

/**
 * Candidate rows of one statement's window (see listCurrent): `rows`, in the listing's order;
 * `horizon`, when the window ended before `limit` rows were found, is the seq up to which every
 * candidate was examined, where the next statement starts (never shown to a reader: it may be
 * the seq of a row the reader may not read).
 */
export interface ListedWindow {
  rows: ListedVersion[];
  horizon: number | undefined;
}

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
export async function listCurrent(store: Store, filter: ListFilter): Promise<ListedWindow> {
  if (filter.accessKeys.length === 0 && filter.originMember === null) return { rows: [], horizon: undefined };
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
  // The first version of each object is found apart (see firstVersionsListed): in SQL, each row
  // looked at read every version of its object, so that an object of 20,000 versions cost 42 s.
  const firstApart = !currentOnly && v?.first === true && !v.all;
  const base = (bound: number | undefined, candidates: (eb: ExpressionBuilder<Database, 'stix_objects'>) => Expression<SqlBool>, originIndexed = true) => {
    let query = currentOnly ? store.db.selectFrom('stix_objects').where('is_current', '=', 1) : store.db.selectFrom('stix_objects');
    if (!currentOnly && v && !v.all && !firstApart) {
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
    // A range reads only candidates; with a filter besides (text, markings, dates, types, another
    // member) it may examine all of its set's rows for none: each range is then bounded by a
    // window of its index, and all of them by the nearest window's end.
    const residual =
      text !== undefined || filter.tlps !== undefined || filter.classifications !== undefined || filter.versionAfter !== undefined || filter.versionBefore !== undefined ||
      (filter.types !== undefined && filter.types.length > 0) || (filter.origin !== undefined && filter.origin !== own);
    const ownRange: Where = (eb) => eb.and([eb('is_current', '=', 1), eb('origin_member', '=', own)]);
    const keyRange = (key: number): Where => (eb) => eb.and([eb('is_current', '=', 1), eb('access_key', '=', key)]);
    const indexes: Where[] = filter.origin === own ? [ownRange] : [...filter.accessKeys.map(keyRange), ...(filter.origin === undefined && own !== null ? [ownRange] : [])];
    let horizon: number | undefined;
    const windowRows = filter.windowRows ?? SCAN_WINDOW_ROWS;
    if (residual) {
      const ends: Array<number | undefined> = [];
      for (const index of indexes) ends.push(await windowEnd(store, index, bound, descending, windowRows));
      horizon = nearest(ends, descending);
    }
    const within = (query: ReturnType<typeof base>) => (horizon === undefined ? query : query.where('seq', descending ? '>=' : '<=', horizon));
    const seqs: number[] = [];
    const range = async (query: ReturnType<typeof base>) => {
      for (const seq of await seqsOf(store, within(query).select('seq').orderBy('seq', direction).limit(filter.limit))) seqs.push(seq);
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
    // Short of the limit, every range ran to the horizon (a full range would fill the page).
    const reached = page.length < filter.limit ? horizon : undefined;
    if (page.length === 0) return { rows: [], horizon: reached };
    return { rows: await listedRows(store, store.db.selectFrom('stix_objects').select(LISTED).where('seq', 'in', page).orderBy('seq', direction)), horizon: reached };
  }
  // The walk: every row it returns is a candidate, so one read of a page's worth is the page.
  // The unary plus keeps the access key a filter of the walk in seq order, never an index of its
  // own (which would read and sort every readable row for one page). It examines the rows it
  // passes, readable or not: a window bounds them (see walkWindow).
  const candidates = (eb: ExpressionBuilder<Database, 'stix_objects'>) =>
    eb.or([...(filter.accessKeys.length > 0 ? [readableSets(store, filter.accessKeys, sql<number>`+access_key`)] : []), ...(own !== null ? [ownRows(eb)] : [])]);
  const horizon = await walkWindow(store, filter, bound, currentOnly);
  if (firstApart) return firstVersionsListed(store, filter, base(bound, candidates), horizon);
  let query = base(bound, candidates);
  if (horizon !== undefined) query = query.where('seq', descending ? '>=' : '<=', horizon);
  const rows = await listedRows(store, query.select(LISTED).orderBy('seq', direction).limit(filter.limit));
  return { rows, horizon: rows.length < filter.limit ? horizon : undefined };
}

/** What the reader's rule needs of a version to tell whether it may read it (ListFilter.firstOf). */
export interface FirstHead {
  seq: number;
  id: string;
  version: string;
  is_current: number;
  tlp: string | null;
  classification: number | null;
  releasability: string | null;
  created_by_ref: string | null;
}

const FIRST_HEAD = ['seq', 'id', 'version', 'is_current', 'tlp', 'classification', 'releasability', 'created_by_ref'] as const;
/** Versions of one object read by the first run of readableFirstsOf. */
const FIRST_RUN = 8;

/** Ids whose first version is looked up by one statement. */
const FIRST_IDS_PER_STATEMENT = 500;

/**
 * The walk of a listing that asks for first versions (TAXII match[version]=first, with or
 * without others): the window's candidates are read without their bodies, the first version
 * of each of their objects is read once per object (kept in filter.firstVersions across the
 * windows of a page), and the bodies of the rows kept are read last.
 */
async function firstVersionsListed(store: Store, filter: ListFilter, candidates: SelectQueryBuilder<Database, 'stix_objects', object>, horizon: number | undefined): Promise<ListedWindow> {
  const descending = filter.descending === true;
  const v = filter.versions!;
  let query = candidates.select(['seq', 'id', 'version', 'is_current']).orderBy('seq', descending ? 'desc' : 'asc');
  if (horizon !== undefined) query = query.where('seq', descending ? '>=' : '<=', horizon);
  const heads = (await store.adapter.readCompiled(query.compile(), 'arrays')) as Array<[number, string, string, number]>;
  const firsts = (filter.firstVersions ??= new Map<string, string>());
  const unknown = [...new Set(heads.map((head) => head[1]))].filter((id) => !firsts.has(id));
  // Which version is first depends on who reads: the listing is told the reader's rule.
  if (!filter.firstOf) throw new Error('listCurrent: first versions are listed with the reader\'s rule (ListFilter.firstOf)');
  for (let i = 0; i < unknown.length; i += FIRST_IDS_PER_STATEMENT) {
    await readableFirstsOf(store, unknown.slice(i, i + FIRST_IDS_PER_STATEMENT), filter.windowRows ?? SCAN_WINDOW_ROWS, firsts, filter.firstOf);
  }
  const exact = new Set(v.exact ?? []);
  const kept: number[] = [];
  for (const [seq, id, version, isCurrent] of heads) {
    if ((v.last === true && Number(isCurrent) === 1) || exact.has(version) || firsts.get(id) === version) kept.push(Number(seq));
    if (kept.length === filter.limit) break;
  }
  const reached = kept.length < filter.limit ? horizon : undefined;
  if (kept.length === 0) return { rows: [], horizon: reached };
  const rows = await listedRows(store, store.db.selectFrom('stix_objects').select(LISTED).where('seq', 'in', kept).orderBy('seq', descending ? 'desc' : 'asc'));
  return { rows, horizon: reached };
}

/**
 * The first version of each of these ids that the reader may read (ListFilter.firstOf), into
 * `firsts`: an object re-marked more openly is answered its oldest version the reader may read,
 * not left out because an older one is beyond it (which would tell that there is one). Statements
 * answer at most `rows` heads (no index orders an id's versions; in one statement, 500 ids of
 * 10,000 versions each were 5 million rows read while the node's thread waited): all the ids'
 * versions at once while they are that few, else the ids halved; one id's versions oldest first, `rows` at a time, until one
 * the reader may read.
 */
async function readableFirstsOf(
  store: Store,
  ids: string[],
  rows: number,
  firsts: Map<string, string>,
  firstOf: NonNullable<ListFilter['firstOf']>,
  known?: Map<string, FirstHead[]>,
): Promise<void> {
  const heads = () => store.db.selectFrom('stix_objects').select(FIRST_HEAD).where('id_hash', 'in', ids.map(idHash)).where('id', 'in', ids);
  // The current rows of all the ids, once (one or a few each: copies of an observable).
  let current = known;
  if (!current) {
    current = new Map<string, FirstHead[]>();
    for (const head of await heads().where('is_current', '=', 1).execute()) listOf(current, head.id).push(firstHead(head));
  }
  if (ids.length === 1) {
    const id = ids[0]!;
    // The oldest is mostly readable: runs start small and grow.
    for (let after: FirstHead | undefined, run = Math.min(FIRST_RUN, rows); ; run = Math.min(run * 4, rows)) {
      let page = heads();
      if (after) {
        const last = after;
        page = page.where((eb) => eb.or([eb('version', '>', last.version), eb.and([eb('version', '=', last.version), eb('seq', '>', last.seq)])]));
      }
      const found = (await page.orderBy('version').orderBy('seq').limit(run).execute()).map(firstHead);
      const first = await firstOf(id, found, current.get(id) ?? []);
      if (first !== undefined) firsts.set(id, first);
      if (first !== undefined || found.length < run) return;
      after = found[found.length - 1];
      await nextTurn();
    }
  }
  const found = await heads().limit(rows + 1).execute();
  if (found.length > rows) {
    const half = Math.ceil(ids.length / 2);
    await nextTurn();
    await readableFirstsOf(store, ids.slice(0, half), rows, firsts, firstOf, current);
    await nextTurn();
    await readableFirstsOf(store, ids.slice(half), rows, firsts, firstOf, current);
    return;
  }
  const byId = new Map<string, FirstHead[]>();
  for (const head of found) listOf(byId, head.id).push(firstHead(head));
  for (const [id, list] of byId) {
    list.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : a.seq - b.seq));
    const first = await firstOf(id, list, current.get(id) ?? []);
    if (first !== undefined) firsts.set(id, first);
  }
}

function firstHead(head: FirstHead): FirstHead {
  return { ...head, seq: Number(head.seq), is_current: Number(head.is_current), classification: head.classification === null ? null : Number(head.classification) };
}

function listOf<T>(map: Map<string, T[]>, key: string): T[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

/** Ids whose windows one statement finds on SQLite (it allows 500 terms in a compound statement). */
const IDS_PER_PROBE = 200;

/**
 * The nearest of these ids' window ends (see windowEnd): for each, the seq of its `share`-th row
 * past `bound` (of its hash), one range of the (id_hash, seq) index; undefined if none has that
 * many left. One statement for them all: one probe each was a round trip each to PostgreSQL.
 * By id_hash alone, an index-only read (compared with the id as well, PostgreSQL read and sorted
 * every row of the id): an id sharing the hash makes the window end sooner, never later.
 */
async function idsWindowEnd(store: Store, ids: string[], bound: number | undefined, descending: boolean, share: number): Promise<number | undefined> {
  const past = bound === undefined ? sql`` : descending ? sql` and seq < ${bound}` : sql` and seq > ${bound}`;
  const order = sql.raw(descending ? 'desc' : 'asc');
  const nearestEnd = sql.raw(descending ? 'max' : 'min');
  const hashes = [...new Set(ids.map(idHash))];
  const ends: Array<number | undefined> = [];
  if (store.dialect === 'postgres') {
    // One plan, run once per hash (300 sub-selects of one statement took 0.57 s to plan and run).
    const { rows } = await sql<{ e: string | null }>`select ${nearestEnd}(e) as e from unnest(${hashes}::int8[]) as h(id_hash)
      cross join lateral (select seq as e from stix_objects where stix_objects.id_hash = h.id_hash${past} order by seq ${order} limit 1 offset ${share - 1}) as ends`.execute(store.db);
    ends.push(seqOf(rows[0]?.e));
  } else {
    for (let i = 0; i < hashes.length; i += IDS_PER_PROBE) {
      const probes = hashes.slice(i, i + IDS_PER_PROBE).map((hash) => sql`select (select seq from stix_objects where id_hash = ${hash}${past} order by seq ${order} limit 1 offset ${share - 1}) as e`);
      const { rows } = await sql<{ e: number | null }>`select ${nearestEnd}(e) as e from (${sql.join(probes, sql` union all `)}) as ends`.execute(store.db);
      ends.push(seqOf(rows[0]?.e));
    }
  }
  return nearest(ends, descending);
}

/** A sequence an aggregate answered (a string from PostgreSQL's bigint), undefined for none. */
function seqOf(value: string | number | null | undefined): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

/**
 * Where the walk's statement ends (see windowEnd): the index it walks decides. Listed ids: a
 * share of the window each, on the index of their ids; one member's rows, or rows of a few
 * types, are walked on their own index (a type found in few rows is listed by one statement);
 * anything else in date_added order, every row counted, readable or not.
 */
async function walkWindow(store: Store, filter: ListFilter, bound: number | undefined, currentOnly: boolean): Promise<number | undefined> {
  const descending = filter.descending === true;
  const rows = filter.windowRows ?? SCAN_WINDOW_ROWS;
  if (filter.ids && filter.ids.length > 0) {
    // Their current rows: at most a few each (migration 0019's index reads those alone).
    if (currentOnly) return undefined;
    // Their versions: each id's window is an equal share of the rows, in the order of its own
    // range of the (id_hash, seq) index, and the statement ends at the nearest of their ends:
    // every id has at most its share before it, so the statement reads at most `rows`. In one
    // statement, 300 ids of 1,000 versions each were 300,000 rows read and sorted for each page.
    const ids = [...new Set(filter.ids)];
    const share = Math.max(1, Math.floor(rows / ids.length));
    return idsWindowEnd(store, ids, bound, descending, share);
  }
  if (currentOnly && filter.origin !== undefined) {
    const origin = filter.origin;
    return windowEnd(store, (eb) => eb.and([eb('is_current', '=', 1), eb('origin_member', '=', origin)]), bound, descending, rows);
  }
  if (currentOnly && filter.types && filter.types.length > 0 && filter.types.length <= TYPE_WINDOWS_MAX) {
    const ends: Array<number | undefined> = [];
    for (const type of new Set(filter.types)) ends.push(await windowEnd(store, (eb) => eb.and([eb('is_current', '=', 1), eb('type', '=', type)]), bound, descending, rows));
    return nearest(ends, descending);
  }
  return windowEnd(store, undefined, bound, descending, rows);
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

/**
 * Runs `visit` on consecutive windows of `rows` rows in date_added order, each as
 * (after, upTo]: the first after `after` (from the first row without it), the last up to `last`
 * (to the last row without it), with a turn of the event loop between two.
 */
async function inWindows(store: Store, rows: number, after: number | undefined, last: number | undefined, visit: (after: number | undefined, upTo: number | undefined) => Promise<void>): Promise<void> {
  for (let from = after; ; ) {
    const end = await windowEnd(store, undefined, from, false, rows);
    const final = end === undefined || (last !== undefined && end >= last);
    await visit(from, final ? last : end);
    if (final) return;
    from = end;
    await nextTurn();
  }
}

function seqBetween<O>(query: SelectQueryBuilder<Database, 'stix_objects', O>, after: number | undefined, upTo: number | undefined): SelectQueryBuilder<Database, 'stix_objects', O> {
  let out = query;
  if (after !== undefined) out = out.where('seq', '>', after);
  if (upTo !== undefined) out = out.where('seq', '<=', upTo);
  return out;
}

/** Readable current rows by type, counted window by window (see inWindows). */
export async function countCurrentByType(store: Store, accessKeys: readonly number[], own?: OwnRows, windowRows = SCAN_WINDOW_ROWS): Promise<Array<{ type: string; count: number }>> {
  if (accessKeys.length === 0 && !own) return [];
  const counts = new Map<string, number>();
  await inWindows(store, windowRows, undefined, undefined, async (after, upTo) => {
    const rows = await seqBetween(store.db.selectFrom('stix_objects').where('is_current', '=', 1), after, upTo)
      .where(readableWhere(store, accessKeys, own))
      .select(['type', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('type')
      .execute();
    for (const row of rows) counts.set(row.type, (counts.get(row.type) ?? 0) + Number(row.count));
  });
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([type, count]) => ({ type, count }));
}

/** Readable versions, counted window by window (see inWindows). */
export async function countVersions(store: Store, accessKeys: readonly number[], own?: OwnRows, windowRows = SCAN_WINDOW_ROWS): Promise<number> {
  if (accessKeys.length === 0 && !own) return 0;
  let total = 0;
  await inWindows(store, windowRows, undefined, undefined, async (after, upTo) => {
    const row = await seqBetween(store.db.selectFrom('stix_objects'), after, upTo)
      .where(readableWhere(store, accessKeys, own))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    total += Number(row.n);
  });
  return total;
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
export async function countAddedBetween(store: Store, readable: ReadableRows, sinceSeq: number, untilSeq: number | undefined, windowRows = SCAN_WINDOW_ROWS): Promise<Array<{ type: string; tlp: string | null; classification: number; day: number; count: number }>> {
  if (readable.accessKeys.length === 0 && !readable.own) return [];
  // Integer division on both engines (seq is an integer, the divisor a bigint literal).
  const day = sql<number>`seq / ${sql.lit(DAY_MICROS)}`;
  const groups = new Map<string, { type: string; tlp: string | null; classification: number; day: number; count: number }>();
  await inWindows(store, windowRows, sinceSeq - 1, untilSeq, async (after, upTo) => {
    const rows = await seqBetween(store.db.selectFrom('stix_objects').where('is_current', '=', 1), after, upTo)
      .where(readableWhere(store, readable.accessKeys, readable.own))
      .select(['type', 'tlp', 'classification', day.as('day'), (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy(['type', 'tlp', 'classification', day])
      .execute();
    for (const r of rows) {
      const group = { type: r.type, tlp: r.tlp, classification: Number(r.classification), day: Number(r.day), count: Number(r.count) };
      const key = JSON.stringify([group.type, group.tlp, group.classification, group.day]);
      const known = groups.get(key);
      if (known) known.count += group.count;
      else groups.set(key, group);
    }
  });
  return [...groups.values()];
}
