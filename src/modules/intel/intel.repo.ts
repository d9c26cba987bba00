/**
 * The SQL of the intel module (with intel.listing.ts): object versions and the current-version
 * index. Engine differences stay in the store's adapter (db/): bulk statements, prepared reads.
 */
import { sql } from 'kysely';
import type { PreparedRead } from '../../db/adapter.js';
import { writeTransaction, type Store, type WriteTx } from '../../db/database.js';
import { accessTupleHash, accessTupleText, type AccessTuple } from '../../db/access-sets.js';
import { insertRows, selectByKeys, type BulkTable, type KeyLookup } from '../../db/bulk.js';
import type { MarkingColumns } from '../../policy/markings.js';
import { UNRESOLVED_CLASSIFICATION } from '../../policy/markings.js';
import {
  idHash,
  ROW_ACCESS_KEY,
  ROW_BODY,
  ROW_CLASSIFICATION,
  ROW_ID,
  ROW_ID_HASH,
  ROW_IS_CURRENT,
  ROW_RELEASABILITY,
  ROW_SEQ,
  ROW_TLP,
  ROW_TYPE,
  ROW_VERSION,
  mentionsGranularMarkings,
  type NewVersion,
} from './intel.rows.js';
import { STORED, type StoredVersion } from './intel.stored.js';
import type { StoredIndicator } from '../../core/events.js';
import { storeState } from '../../core/state.js';
import { nextTurn } from '../../core/turn.js';

export type { StoredVersion } from './intel.stored.js';
export {
  countAddedBetween, countCurrentByType, countVersions, DAY_MICROS, listCurrent, relationshipsOf, sightingsOf, type ContextRow,
  type ListedVersion, type ListFilter, type OwnRows, type ReadableRows,
} from './intel.listing.js';

/** What the store asks of the policy side while writing (the repo holds no marking rules). */
export interface MarkingHooks {
  /** The marking references each row (by position) does not resolve yet, decided by the caller. */
  unresolved: ReadonlyMap<NewVersion, readonly string[]>;
  /** The marking columns of a stored body, with the markings known now. */
  recompute(body: string): RecomputedMarkings;
}

/** Marking columns, and the definitions the body's granular markings name that the node does not hold. */
export type RecomputedMarkings = MarkingColumns & { granularUnresolved: string[] };

/** Access-set keys by their tuple's text, per store: a key never changes meaning once given. */
const ACCESS_KEYS = storeState('intel.access-keys', () => new Map<string, number>());

/**
 * The access-set key of a tuple, creating the set if it is new (under the writer lock). Another
 * process may have created it: it is looked up first, by its hash (one index entry, however
 * many sets members have made).
 */
async function accessKeyOf(store: Store, tx: WriteTx, tuple: AccessTuple): Promise<number> {
  const known = store.state.get(ACCESS_KEYS);
  const text = accessTupleText(tuple);
  let found = known.get(text);
  if (found !== undefined) return found;
  const hash = accessTupleHash(tuple);
  const sharing = await tx.db.selectFrom('access_sets').select(['key', 'tlp', 'classification', 'releasability']).where('tuple_hash', '=', hash).execute();
  const stored = sharing.find((set) => accessTupleText({ tlp: set.tlp, classification: Number(set.classification), releasability: set.releasability }) === text);
  if (stored !== undefined) {
    found = Number(stored.key);
    known.set(text, found);
    return found;
  }
  const { max } = await tx.db.selectFrom('access_sets').select((eb) => eb.fn.max('key').as('max')).executeTakeFirstOrThrow();
  const made = Number(max ?? 0) + 1;
  await tx.db.insertInto('access_sets').values({ key: made, ...tuple, tuple_hash: hash }).execute();
  known.set(text, made);
  // Rolled back, the set is not stored: remembered, its number would be given again to
  // another tuple, and rows written meanwhile with it would change meaning.
  tx.onRollback(() => {
    if (known.get(text) === made) known.delete(text);
  });
  return made;
}

/** Distinct markings of a batch compared before an access-set key is looked up. */
const RECENT_MARKINGS = 16;

/**
 * Sets each row's access-set key, creating sets not seen before (under the writer lock). Keys
 * already known are set without waiting: an await per row cost 1.5-2 µs of the writer's time per
 * object (timed in a 200,000-object ingest), more than the rest of this function.
 */
async function setAccessKeys(store: Store, tx: WriteTx, rows: readonly NewVersion[]): Promise<void> {
  const known = store.state.get(ACCESS_KEYS);
  // A batch holds a few distinct markings, in any order: rows are compared with the last ones
  // seen before a key is built.
  const recent: NewVersion[] = [];
  for (const row of rows) {
    const seen = recent.find((r) => r[ROW_TLP] === row[ROW_TLP] && r[ROW_CLASSIFICATION] === row[ROW_CLASSIFICATION] && r[ROW_RELEASABILITY] === row[ROW_RELEASABILITY]);
    if (seen) {
      row[ROW_ACCESS_KEY] = seen[ROW_ACCESS_KEY];
      continue;
    }
    const tuple = tupleOfRow(row);
    row[ROW_ACCESS_KEY] = known.get(accessTupleText(tuple)) ?? (await accessKeyOf(store, tx, tuple));
    if (recent.length === RECENT_MARKINGS) recent.pop();
    recent.unshift(row);
  }
}

function tupleOfRow(row: NewVersion): AccessTuple {
  return {
    tlp: row[ROW_TLP],
    classification: row[ROW_CLASSIFICATION] ?? UNRESOLVED_CLASSIFICATION,
    releasability: row[ROW_RELEASABILITY] ?? ',',
  };
}

/** The access sets made after `afterKey`, for the policy to decide which a reader may read. */
export async function listAccessSets(store: Store, afterKey = 0): Promise<Array<AccessTuple & { key: number }>> {
  const rows = await store.db.selectFrom('access_sets').select(['key', 'tlp', 'classification', 'releasability']).where('key', '>', afterKey).orderBy('key').execute();
  return rows.map((r) => ({ ...r, key: Number(r.key) }));
}


/** Seqs per UPDATE ... IN (...) statement. */
const SEQS_PER_UPDATE = 5000;

/** A stored current row of an id, as the writer decides on a new version of it. */
export interface StoredCurrent {
  seq: number;
  version: string;
  revoked: number;
  created_by_ref: string | null;
  origin_member: string | null;
  submitter: string | null;
  tlp: string | null;
  classification: number | null;
  releasability: string | null;
}

/** What the store holds of one id when a batch naming it is written (read under the writer lock). */
export interface StoredOfId {
  /** Every stored version key. */
  versions: Set<string>;
  /** The current row; several only for an observable held in copies under different markings. */
  current: StoredCurrent[];
  /** For a marking-definition: the body stored first (a definition never changes). */
  markingBody?: string;
}

/**
 * The writer's decision on one row, made under the writer lock with what is stored of its id:
 * undefined to store it as usual (or report a duplicate), 'copy' to store it as one more current
 * copy of an observable beside copies the writer may not read, or a refusal.
 */
export type Verdict = undefined | 'copy' | { rule: string; message: string };

/** Decides on each row of a batch (by position), inside the batch's write transaction. */
export type DecideRows = (tx: WriteTx, rows: readonly NewVersion[], stored: ReadonlyMap<string, StoredOfId>) => Promise<Verdict[]>;

export interface InsertResult {
  /** seq of each row in input order, or null where (id, version) was already stored or the row was refused. */
  seqs: Array<number | null>;
  /** Rows refused by the decision, by position. */
  refused: Map<number, { rule: string; message: string }>;
  /**
   * The highest sequence given before this batch (stored, or deleted since: highestGiven), under
   * the writer lock: the rows written are the only ones of the store above it once committed.
   */
  after: number;
  /**
   * Versions stored earlier that waited for a marking-definition this batch defined, as they are
   * now: their marking columns and access set recomputed, and moved to new sequences after the
   * batch's rows (see trackPendingMarkings).
   */
  moved: MovedVersion[];
  /**
   * Whether more versions wait for the marking-definitions this batch defined than it moved
   * (RESOLVED_PER_TRANSACTION): the writer moves them in transactions of their own (resolveWaiting).
   */
  waitingLeft: boolean;
}

/** A stored version moved to a new sequence (a marking-definition resolved it, or a deletion made it current), as it is now. */
export interface MovedVersion extends CurrentRow {
  type: string;
}

/**
 * Writes a batch of versions in the caller's write transaction, under the store's writer lock,
 * which makes the duplicate check below safe: each row gets the next date_added seq; a version
 * already stored (or earlier in the batch, or in the transaction) is a duplicate and not written;
 * the newest version per id becomes current unless a newer one is stored already (an older
 * version arriving late is kept but does not supersede). `decide` sees what is stored of each id first and may refuse rows.
 */
export async function insertVersions(
  store: Store,
  tx: WriteTx,
  rows: NewVersion[],
  nowMicros: number,
  hooks?: MarkingHooks,
  definedMarkings: string[] = [],
  /**
   * Runs last in the same transaction with the rows written, those not written because their
   * version was stored already, and the versions stored earlier that the batch's definitions
   * resolved (the audit record; the caller's own records of what arrived).
   */
  onWritten?: (tx: WriteTx, written: readonly NewVersion[], held: readonly NewVersion[], moved: readonly MovedVersion[]) => Promise<void>,
  decide?: DecideRows,
): Promise<InsertResult> {
  const after = await highestGiven(tx);
  let next = Math.max(nowMicros, after + 1);

  // Every stored version of the ids in the batch (and of ids that share their hash).
  const hashes = [...new Set(rows.map((r) => r[ROW_ID_HASH]))];
  const stored = new Map<string, StoredOfId>();
  for (const found of await selectByKeys<StoredCurrent & { id: string; is_current: number }>(tx, VERSIONS_BY_HASH, hashes)) {
    let known = stored.get(found.id);
    if (!known) stored.set(found.id, (known = { versions: new Set(), current: [] }));
    known.versions.add(found.version);
    if (Number(found.is_current) === 1) {
      known.current.push({
        seq: Number(found.seq),
        version: found.version,
        revoked: Number(found.revoked),
        created_by_ref: found.created_by_ref,
        origin_member: found.origin_member,
        submitter: found.submitter,
        tlp: found.tlp,
        classification: found.classification === null ? null : Number(found.classification),
        releasability: found.releasability,
      });
    }
  }
  const markingIds = [...new Set(rows.filter((r) => r[ROW_TYPE] === 'marking-definition' && stored.has(r[ROW_ID])).map((r) => r[ROW_ID]))];
  if (markingIds.length > 0) {
    // By id_hash first: by id alone the statement read the whole table (0.2-0.6 s at 500,000 rows)
    // inside the write transaction, for every batch that sent a definition again (TLP ones do).
    const bodies = await tx.db.selectFrom('stix_objects').select(['id', 'body']).where('id_hash', 'in', markingIds.map(idHash)).where('id', 'in', markingIds).orderBy('seq').execute();
    for (const { id, body } of bodies) {
      const known = stored.get(id)!;
      known.markingBody ??= body;
    }
  }
  const verdicts = decide ? await decide(tx, rows, stored) : [];
  const refused = new Map<number, { rule: string; message: string }>();
  // Duplicates, and which new row becomes current for its id.
  const seqs: Array<number | null> = new Array(rows.length);
  const current = new Uint8Array(rows.length);
  // Most rows name an id the store does not hold, once: those skip the bookkeeping below.
  const fresh = new Map<string, number>();
  const newest = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const id = row[ROW_ID];
    const verdict = verdicts[i];
    if (verdict !== undefined && verdict !== 'copy') {
      refused.set(i, verdict);
      seqs[i] = null;
      continue;
    }
    let known = stored.get(id);
    if (!known) {
      const first = fresh.get(id);
      if (first === undefined && verdict !== 'copy') {
        fresh.set(id, i);
        seqs[i] = next++;
        current[i] = 1;
        continue;
      }
      stored.set(id, (known = { versions: new Set(), current: [] }));
      if (first !== undefined) {
        // The id comes again in this batch: its first row competes like a stored version.
        known.versions.add(rows[first]![ROW_VERSION]);
        current[first] = 0;
        newest.set(id, first);
      }
    }
    if (verdict === 'copy') {
      // One more current copy beside the stored ones: nothing is demoted.
      known.versions.add(row[ROW_VERSION]);
      current[i] = 1;
      seqs[i] = next++;
      continue;
    }
    if (known.versions.has(row[ROW_VERSION])) {
      seqs[i] = null;
      continue;
    }
    known.versions.add(row[ROW_VERSION]);
    seqs[i] = next++;
    const held = newest.get(id);
    const best = held === undefined ? newestOf(known.current)?.version : rows[held]![ROW_VERSION];
    if (best === undefined || row[ROW_VERSION] > best) newest.set(id, i);
  }
  for (const i of newest.values()) current[i] = 1;
  // A new current version demotes the stored ones, so that one row per id is current.
  const demote: number[] = [];
  for (const id of newest.keys()) for (const previous of stored.get(id)?.current ?? []) demote.push(previous.seq);
  for (let start = 0; start < demote.length; start += SEQS_PER_UPDATE) {
    await tx.db.updateTable('stix_objects').set({ is_current: 0 }).where('seq', 'in', demote.slice(start, start + SEQS_PER_UPDATE)).execute();
  }
  const values: NewVersion[] = [];
  const held: NewVersion[] = [];
  for (let i = 0; i < rows.length; i++) {
    const seq = seqs[i];
    if (seq === null || seq === undefined) {
      if (!refused.has(i)) held.push(rows[i]!);
      continue;
    }
    const row = rows[i]!;
    row[ROW_SEQ] = seq;
    row[ROW_IS_CURRENT] = current[i]!;
    values.push(row);
  }
  await setAccessKeys(store, tx, values);
  await insertRows(tx, OBJECT_VERSIONS, values);
  const { moved, more } = hooks ? await trackPendingMarkings(store, tx, values, hooks, definedMarkings, next) : { moved: [], more: false };
  if (onWritten && (values.length > 0 || held.length > 0)) await onWritten(tx, values, held, moved);
  return { seqs, refused, after, moved, waitingLeft: more };
}

function newestOf(current: readonly StoredCurrent[]): StoredCurrent | undefined {
  let best: StoredCurrent | undefined;
  for (const row of current) if (!best || row.version > best.version) best = row;
  return best;
}

/**
 * Who originated the objects stored and waiting for these marking-definitions (see
 * trackPendingMarkings): their creator's member and who wrote them.
 */
export async function pendingWaiters(tx: WriteTx, refs: string[]): Promise<Array<{ marking_ref: string; origin_member: string | null; submitter: string | null }>> {
  if (refs.length === 0) return [];
  return tx.db
    .selectFrom('pending_markings')
    .innerJoin('stix_objects', 'stix_objects.seq', 'pending_markings.seq')
    .select(['pending_markings.marking_ref', 'stix_objects.origin_member', 'stix_objects.submitter'])
    .where('pending_markings.marking_ref', 'in', refs)
    .distinct()
    .execute();
}

/**
 * Current marking-definitions written by `submitter` (submitterOf), in the transaction given (its
 * own rows so far included): one range of migration 0016's partial index, whose predicate is
 * spelled as literals so that SQLite proves the index applies (bound values would not).
 */
export async function definitionsBy(tx: WriteTx, submitter: string): Promise<number> {
  const { rows } = await sql<{ n: string | number }>`
    select count(*) as n from stix_objects where type = 'marking-definition' and is_current = 1 and submitter = ${submitter}`.execute(tx.db);
  return Number(rows[0]?.n ?? 0);
}

/** Column order of the bulk insert into stix_objects: that of NewVersion. */
const OBJECT_VERSIONS: BulkTable = {
  table: 'stix_objects',
  columns: [
    { name: 'seq', pgType: 'int8' },
    { name: 'is_current', pgType: 'int4' },
    { name: 'id_hash', pgType: 'int8' },
    { name: 'id', pgType: 'text' },
    { name: 'type', pgType: 'text' },
    { name: 'spec_version', pgType: 'text' },
    { name: 'created', pgType: 'text' },
    { name: 'modified', pgType: 'text' },
    { name: 'version', pgType: 'text' },
    { name: 'revoked', pgType: 'int4' },
    { name: 'created_by_ref', pgType: 'text' },
    { name: 'tlp', pgType: 'text' },
    { name: 'classification', pgType: 'int4' },
    { name: 'releasability', pgType: 'text' },
    { name: 'label', pgType: 'text' },
    { name: 'body', pgType: 'text' },
    { name: 'access_key', pgType: 'int8' },
    { name: 'origin_member', pgType: 'text' },
    { name: 'submitter', pgType: 'text' },
    { name: 'about_ref', pgType: 'text' },
    { name: 'pattern', pgType: 'text' },
    { name: 'pattern_type', pgType: 'text' },
    { name: 'pattern_version', pgType: 'text' },
    { name: 'valid_from', pgType: 'text' },
    { name: 'valid_until', pgType: 'text' },
    { name: 'confidence', pgType: 'int4' },
    { name: 'granular', pgType: 'int4' },
    { name: 'description', pgType: 'text' },
    { name: 'target_ref', pgType: 'text' },
  ],
};

/**
 * Versions waiting for marking-definitions that one write transaction moves at most (see
 * resolveWaiting): the transaction that stores a definition moves this many of those waiting for
 * it, and its writer moves the rest in transactions of their own, so that other members' writes
 * take their turns between them. In one transaction, 100,000 objects waiting for one small
 * definition held another member's one-object write 7.0 s; in transactions of 1,000, such writes
 * took 84 ms (median) and 302 ms at most meanwhile (SQLite).
 */
export const RESOLVED_PER_TRANSACTION = 1000;

/**
 * Objects written with marking references the node does not know are recorded as pending;
 * when marking-definitions arrive, the objects waiting for them get their marking columns
 * (and access set) recomputed (resolveWaiting), RESOLVED_PER_TRANSACTION of them in this
 * transaction. Until then they are readable by nobody. Answers the versions moved, and whether
 * more wait for the definitions.
 */
async function trackPendingMarkings(
  store: Store,
  tx: WriteTx,
  written: NewVersion[],
  hooks: MarkingHooks,
  defined: string[],
  next: number,
): Promise<{ moved: MovedVersion[]; more: boolean }> {
  const pending: Array<{ marking_ref: string; seq: number }> = [];
  for (const row of written) {
    // Most rows wait for nothing: the map is asked before the body is scanned.
    const refs = hooks.unresolved.get(row);
    if (refs === undefined || refs.length === 0) continue;
    // Granular markings wait too (the caller decided them afresh for every such row).
    if (row[ROW_CLASSIFICATION] !== UNRESOLVED_CLASSIFICATION && !mentionsGranularMarkings(row[ROW_BODY])) continue;
    for (const ref of new Set(refs)) pending.push({ marking_ref: ref, seq: row[ROW_SEQ] });
  }
  await listWaiting(tx, pending);
  return resolveWaiting(store, tx, defined, hooks.recompute, next);
}

/** Lists versions (by seq) as waiting for definitions; an entry listed already stays as it is. */
async function listWaiting(tx: WriteTx, entries: ReadonlyArray<{ marking_ref: string; seq: number }>): Promise<void> {
  // Two parameters a row: a batch's objects may wait for several definitions each.
  for (let start = 0; start < entries.length; start += SEQS_PER_UPDATE) {
    await tx.db.insertInto('pending_markings').values(entries.slice(start, start + SEQS_PER_UPDATE)).onConflict((oc) => oc.doNothing()).execute();
  }
}

/**
 * Moves up to `limit` versions waiting for these marking-definitions (stored, in this
 * transaction or before): their marking columns and access set recomputed with the markings
 * known now, each moved to a new sequence (date_added), `next` onwards. For its readers such a
 * version is added now: every view that follows the store by sequence (the detection index and
 * the assessment of every process, feed streams, a peer or a TAXII client polling with
 * added_after) read past it while nobody could read it, and would never read it again at its old
 * place. Versions waiting for one definition are taken in the order they were stored. A version
 * still waiting for another definition of its markings stays unreadable, waiting for that one.
 * Answers the versions moved, as they are now (in the order of their new sequences), and whether
 * more wait for these definitions.
 */
export async function resolveWaiting(
  store: Store,
  tx: WriteTx,
  refs: readonly string[],
  recompute: MarkingHooks['recompute'],
  next: number,
  limit = RESOLVED_PER_TRANSACTION,
): Promise<{ moved: MovedVersion[]; more: boolean }> {
  const moved: MovedVersion[] = [];
  if (refs.length === 0) return { moved, more: false };
  // One range of the primary key (marking_ref, seq) per definition, in that order: the read stops
  // after `limit`, however many wait.
  const entries = await tx.db
    .selectFrom('pending_markings')
    .select(['marking_ref', 'seq'])
    .where('marking_ref', 'in', [...refs])
    .orderBy('marking_ref')
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  if (entries.length === 0) return { moved, more: false };
  const more = entries.length > limit;
  const seqs = [...new Set(entries.slice(0, limit).map((e) => Number(e.seq)))].sort((a, b) => a - b);
  for (let start = 0; start < seqs.length; start += SEQS_PER_UPDATE) {
    await tx.db.deleteFrom('pending_markings').where('marking_ref', 'in', [...refs]).where('seq', 'in', seqs.slice(start, start + SEQS_PER_UPDATE)).execute();
  }
  // In slices: a move names two parameters per row (SQLite binds 32,766, PostgreSQL 65,535), and
  // only a slice's bodies are held at a time. Rows a slice resolves to the same markings are
  // updated together. Other requests have a turn between two slices (their reads do not wait for
  // this transaction).
  for (let start = 0; start < seqs.length; start += SEQS_PER_UPDATE) {
    if (start > 0) await nextTurn();
    const rows = await tx.db.selectFrom('stix_objects').select([...CURRENT_ROW, 'type', 'body']).where('seq', 'in', seqs.slice(start, start + SEQS_PER_UPDATE)).orderBy('seq').execute();
    const resolved = new Map<string, { tuple: AccessTuple; rows: MovedVersion[]; moves: Array<[number, number]> }>();
    const stillWaiting: Array<{ marking_ref: string; seq: number }> = [];
    for (const stored of rows) {
      const columns = recompute(stored.body);
      // Still waiting for another definition of its markings, which it is listed as waiting for
      // (again: another process may have stored that one meanwhile, with a table that did not
      // hold these, and taken its entry away; the node's sweep then finds it). One its granular
      // markings still wait for does not keep it unreadable: it is moved, and its entries with it.
      if (columns.unresolved.length > 0) {
        for (const ref of new Set(columns.unresolved)) stillWaiting.push({ marking_ref: ref, seq: Number(stored.seq) });
        continue;
      }
      const tuple: AccessTuple = { tlp: columns.tlp, classification: columns.classification, releasability: columns.releasability };
      const text = accessTupleText(tuple);
      let same = resolved.get(text);
      if (!same) resolved.set(text, (same = { tuple, rows: [], moves: [] }));
      const { body: _body, ...row } = stored;
      const version = numericRow(row) as MovedVersion;
      same.moves.push([version.seq, next]);
      version.seq = next++;
      same.rows.push(version);
    }
    await listWaiting(tx, stillWaiting);
    for (const { tuple, rows: marked, moves } of resolved.values()) {
      const key = await accessKeyOf(store, tx, tuple);
      // Joined to the (from, to) pairs: one statement, each row looked up by its seq.
      const pairs = sql.join(moves.map(([from, to]) => sql`(cast(${from} as bigint), cast(${to} as bigint))`));
      await sql`update stix_objects set tlp = ${tuple.tlp}, classification = ${tuple.classification}, releasability = ${tuple.releasability}, access_key = ${key}, seq = m.column2
        from (values ${pairs}) as m where stix_objects.seq = m.column1`.execute(tx.db);
      // What it still waits for (a granular marking's definition) names its new sequence.
      await sql`update pending_markings set seq = m.column2 from (values ${pairs}) as m where pending_markings.seq = m.column1`.execute(tx.db);
      for (const version of marked) {
        version.access_key = key;
        moved.push(version);
      }
    }
  }
  // In the order of their new sequences (the slices' access sets were applied one after another).
  return { moved: moved.sort((a, b) => a.seq - b.seq), more };
}

/**
 * The marking-definitions among `refs` that versions wait for (see trackPendingMarkings): those
 * a node moves on start, had a writer stopped before moving them all.
 */
export async function refsWaitedFor(db: Store['db'], refs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (let start = 0; start < refs.length; start += SEQS_PER_UPDATE) {
    const slice = refs.slice(start, start + SEQS_PER_UPDATE);
    const found = await db.selectFrom('pending_markings').select('marking_ref').distinct().where('marking_ref', 'in', slice).execute();
    for (const { marking_ref } of found) out.push(marking_ref);
  }
  return out;
}

const VERSIONS_BY_HASH: KeyLookup = {
  table: 'stix_objects',
  key: { name: 'id_hash', pgType: 'int8' },
  columns: ['id', 'seq', 'version', 'is_current', 'revoked', 'created_by_ref', 'origin_member', 'submitter', 'tlp', 'classification', 'releasability'],
};

/**
 * What the node's own indexes read of a row: columns filled at ingest from the parsed object
 * (see intel.rows), never its body. An indicator's (see IndicatorColumns) are null on other
 * types; they are what a writer tells of a current indicator (StoredIndicator).
 */
export interface CurrentRow extends StoredIndicator {
  seq: number;
  is_current: number;
  /** What a relationship or sighting is about. */
  about_ref: string | null;
}

const CURRENT_ROW = ['seq', 'id', 'is_current', 'revoked', 'spec_version', 'access_key', 'created_by_ref', 'about_ref', 'pattern', 'pattern_type', 'pattern_version', 'valid_from', 'valid_until', 'confidence', 'granular'] as const;

/** CURRENT_ROW but is_current, which the condition of scanCurrent already fixes (one column fewer to read per row). */
const SCANNED_ROW = CURRENT_ROW.filter((column) => column !== 'is_current');

/** A row of scanCurrent's read, columns in SCANNED_ROW's order. */
type ScannedColumns = [
  seq: number,
  id: string,
  revoked: number,
  specVersion: string | null,
  accessKey: number | null,
  createdByRef: string | null,
  aboutRef: string | null,
  pattern: string | null,
  patternType: string | null,
  patternVersion: string | null,
  validFrom: string | null,
  validUntil: string | null,
  confidence: number | null,
  granular: number | null,
];

/** scanCurrent's read, by number of types (arrays of columns: see StoreAdapter.readArrays). */
const SCAN_CURRENT: PreparedRead = {
  name: 'scan_current',
  text: (p) => `select ${SCANNED_ROW.join(', ')} from stix_objects where is_current = 1 and type ${p.in('text')} and seq > ${p.value()} order by seq limit ${p.value()}`,
};

/** Current rows of these types after a date_added sequence, in that order (the type index serves it). */
export async function scanCurrent(store: Store, types: string[], afterSeq: number, limit: number): Promise<CurrentRow[]> {
  const rows = await store.adapter.readArrays<ScannedColumns>(SCAN_CURRENT, [types, afterSeq, limit]);
  const out = new Array<CurrentRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [seq, id, revoked, specVersion, accessKey, createdByRef, aboutRef, pattern, patternType, patternVersion, validFrom, validUntil, confidence, granular] = rows[i]!;
    out[i] = {
      seq: Number(seq),
      id,
      is_current: 1,
      revoked: Number(revoked),
      spec_version: specVersion,
      access_key: accessKey === null ? null : Number(accessKey),
      created_by_ref: createdByRef,
      about_ref: aboutRef,
      pattern,
      pattern_type: patternType,
      pattern_version: patternVersion,
      valid_from: validFrom,
      valid_until: validUntil,
      confidence: confidence === null ? null : Number(confidence),
      granular: granular === null ? null : Number(granular),
    };
  }
  return out;
}

/** rowsBySeq's read: prepared once per list length on SQLite (the detection index asks it on every batch stored). */
const ROWS_BY_SEQ: PreparedRead = {
  name: 'rows_by_seq',
  text: (p) => `select ${CURRENT_ROW.join(', ')} from stix_objects where seq ${p.in('int8')} order by seq`,
};

const ROWS_BY_SEQ_LENGTHS = [1, 8, 64, 500];

export async function rowsBySeq(store: Store, seqs: number[]): Promise<CurrentRow[]> {
  if (seqs.length === 0) return [];
  // A few list lengths only (SQLite prepares one statement per length): the list is padded with
  // its last value, which matches the same row.
  const length = ROWS_BY_SEQ_LENGTHS.find((n) => n >= seqs.length) ?? seqs.length;
  const padded = seqs.length === length ? seqs : [...seqs, ...new Array<number>(length - seqs.length).fill(seqs[seqs.length - 1]!)];
  const rows = await store.adapter.readObjects<CurrentRow>(ROWS_BY_SEQ, [padded]);
  return rows.map(numericRow);
}

function numericRow(row: CurrentRow): CurrentRow {
  row.seq = Number(row.seq);
  row.is_current = Number(row.is_current);
  row.revoked = Number(row.revoked);
  if (row.access_key !== null) row.access_key = Number(row.access_key);
  if (row.confidence !== null) row.confidence = Number(row.confidence);
  if (row.granular !== null) row.granular = Number(row.granular);
  return row;
}

/** The current row of an id (several for an observable held in copies under different markings). */
export async function findCurrent(store: Store, id: string): Promise<StoredVersion[]> {
  return store.db
    .selectFrom('stix_objects')
    .select(STORED)
    .where('id_hash', '=', idHash(id))
    .where('id', '=', id)
    .where('is_current', '=', 1)
    .orderBy('seq')
    .execute();
}

// Literal type predicates, so that SQLite proves the partial indexes of migration 0011 apply (bound values would not).
const CURRENT_ABOUT: Record<'relationship' | 'sighting', PreparedRead> = {
  relationship: { name: 'current_about_relationship', text: (p) => `select ${STORED.join(', ')} from stix_objects where type = 'relationship' and is_current = 1 and about_ref ${p.in('text')} limit ${p.value()}` },
  sighting: { name: 'current_about_sighting', text: (p) => `select ${STORED.join(', ')} from stix_objects where type = 'sighting' and is_current = 1 and about_ref ${p.in('text')} limit ${p.value()}` },
};

/**
 * Current relationships (by source_ref) or sightings (by sighting_of_ref) about these objects:
 * their about_ref is that reference (see intel.rows), one range of a partial index per object.
 * At most `limit` rows; the caller applies the rule to each. Asked on every lookup that finds an
 * indicator: a prepared read, not a query built anew (measured on SQLite: 2 us against 40 us
 * through the query builder).
 */
export async function currentAbout(store: Store, type: 'relationship' | 'sighting', refs: string[], limit: number): Promise<StoredVersion[]> {
  if (refs.length === 0) return [];
  return store.adapter.readObjects<StoredVersion>(CURRENT_ABOUT[type], [refs, limit]);
}

const CURRENT_OF_IDS: PreparedRead = {
  name: 'current_of_ids',
  text: (p) => `select id, ${STORED.join(', ')} from stix_objects where id_hash ${p.in('int8')} and id ${p.in('text')} and is_current = 1 order by seq`,
};

/**
 * The current versions of these ids (at most 500), in date_added order, each with its id (an
 * observable may be held in several copies). Detection reads the objects its answers name on
 * every lookup: a prepared read, not a query built anew.
 */
export async function currentOfIds(store: Store, ids: string[]): Promise<Array<StoredVersion & { id: string }>> {
  if (ids.length === 0) return [];
  return store.adapter.readObjects<StoredVersion & { id: string }>(CURRENT_OF_IDS, [ids.map(idHash), ids]);
}

const SCAN_ABOUT: PreparedRead = {
  name: 'scan_about',
  text: (p) => `select seq, about_ref from stix_objects where is_current = 1 and type ${p.in('text')} and seq > ${p.value()} order by seq limit ${p.value()}`,
};

/**
 * What current rows of these types after a date_added sequence are about (about_ref), in that
 * order: detection keeps a filter of the objects relationships and sightings are about.
 */
export async function scanAbout(store: Store, types: string[], afterSeq: number, limit: number): Promise<Array<{ seq: number; about_ref: string | null }>> {
  const rows = await store.adapter.readArrays<[number | string, string | null]>(SCAN_ABOUT, [types, afterSeq, limit]);
  const out = new Array<{ seq: number; about_ref: string | null }>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = { seq: Number(rows[i]![0]), about_ref: rows[i]![1] };
  return out;
}

/** A stored version as derived views built from the store by sequence read it (every version, current or not). */
export interface SequencedVersion {
  seq: number;
  id: string;
  type: string;
  revoked: number;
  created: string | null;
  access_key: number | null;
  origin_member: string | null;
  created_by_ref: string | null;
  /** Who wrote the version: 'member:CODE', 'peer:NAME' or 'node'. */
  submitter: string | null;
  about_ref: string | null;
  target_ref: string | null;
  confidence: number | null;
  body: string;
}

/**
 * The current versions of these types stored after a date_added sequence, in that order: what a
 * view that follows the store (the cumulative assessment) applies one by one. A version not
 * current when read was superseded by one the view applies in its turn, or is an older version
 * stored late (section 3.6: the newest modified is the object), which the view must not apply
 * over the newer one it holds.
 */
export async function versionsSince(store: Store, types: readonly string[], afterSeq: number, limit: number): Promise<SequencedVersion[]> {
  const rows = await store.db
    .selectFrom('stix_objects')
    .select(['seq', 'id', 'type', 'revoked', 'created', 'access_key', 'origin_member', 'created_by_ref', 'submitter', 'about_ref', 'target_ref', 'confidence', 'body'])
    // Both engines should walk the primary key from afterSeq and check the condition on its rows.
    // Written plainly, SQLite read every row of the types above afterSeq through the partial type
    // index and sorted them, each page: 2.6 s against 0.7 s for 326,000 versions, growing with
    // the square of a backlog (bench:assessment's store); `+is_current` keeps it off that index.
    // PostgreSQL walks the key with the plain condition, and with `+is_current` misjudged how many
    // rows it keeps and sorted a parallel scan instead (67 ms a page against 3.7 ms).
    .where(store.dialect === 'sqlite' ? sql<number>`+is_current` : sql.ref('is_current'), '=', 1)
    .where('type', 'in', [...types])
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  for (const row of rows) {
    row.seq = Number(row.seq);
    row.revoked = Number(row.revoked);
    if (row.access_key !== null) row.access_key = Number(row.access_key);
    if (row.confidence !== null) row.confidence = Number(row.confidence);
  }
  return rows;
}

export async function findVersions(store: Store, id: string): Promise<StoredVersion[]> {
  return store.db.selectFrom('stix_objects').select(STORED).where('id_hash', '=', idHash(id)).where('id', '=', id).orderBy('version').execute();
}

/** Where a read of an object's versions, newest first, stopped: the last version given and its row. */
export interface VersionPosition {
  version: string;
  seq: number;
}

/** The columns of a stored version without its body: enough for the policy to decide on it. */
export type VersionHead = Omit<StoredVersion, 'body'> & { version: string };
const HEAD = STORED.filter((column): column is Exclude<(typeof STORED)[number], 'body'> => column !== 'body');

/**
 * Versions of an object newest first (by version, then seq), after `before` in that order, at
 * most `limit`, without their bodies: no index orders an id's versions, so each call sorts them
 * all, and small rows keep that cheap. Their bodies are read with versionBodies.
 */
export async function findVersionHeads(store: Store, id: string, before: VersionPosition | undefined, limit: number): Promise<VersionHead[]> {
  let query = store.db.selectFrom('stix_objects').select([...HEAD, 'version']).where('id_hash', '=', idHash(id)).where('id', '=', id);
  if (before !== undefined) {
    query = query.where((eb) => eb.or([eb('version', '<', before.version), eb.and([eb('version', '=', before.version), eb('seq', '<', before.seq)])]));
  }
  return query.orderBy('version', 'desc').orderBy('seq', 'desc').limit(limit).execute();
}

/** The marking columns of these versions of an object (several rows for a version held in copies). */
export async function versionHeadsNamed(store: Store, id: string, versions: readonly string[]): Promise<VersionHead[]> {
  if (versions.length === 0) return [];
  return store.db.selectFrom('stix_objects').select([...HEAD, 'version']).where('id_hash', '=', idHash(id)).where('id', '=', id).where('version', 'in', [...versions]).execute();
}

/** The stored versions of these seqs, in the order given. */
export async function versionBodies(store: Store, seqs: readonly number[]): Promise<Array<StoredVersion & { version: string }>> {
  if (seqs.length === 0) return [];
  const rows = await store.db.selectFrom('stix_objects').select([...STORED, 'version']).where('seq', 'in', [...seqs]).execute();
  const bySeq = new Map(rows.map((row) => [Number(row.seq), row]));
  return seqs.flatMap((seq) => bySeq.get(seq) ?? []);
}

/** The marking columns of the current rows of these ids (several for an observable held in copies). */
export async function currentMarkings(store: Store, ids: readonly string[]): Promise<Array<{ id: string; tlp: string | null; classification: number | null; releasability: string | null; created_by_ref: string | null }>> {
  if (ids.length === 0) return [];
  return store.db
    .selectFrom('stix_objects')
    .select(['id', 'tlp', 'classification', 'releasability', 'created_by_ref'])
    .where('id_hash', 'in', ids.map(idHash))
    .where('id', 'in', ids)
    .where('is_current', '=', 1)
    .execute();
}

/** Whether the store holds a current version of an id, read in the caller's write transaction. */
export async function holdsCurrent(tx: WriteTx, id: string): Promise<boolean> {
  const row = await tx.db.selectFrom('stix_objects').select('seq').where('id_hash', '=', idHash(id)).where('id', '=', id).where('is_current', '=', 1).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** The newest date_added sequence of the store (0 when it holds nothing). */
export async function latestSeq(store: Store): Promise<number> {
  return highestStored(store.db);
}

/** Bodies of the current marking-definitions, to rebuild the handling-marking table at start. */

export async function currentMarkingDefinitions(db: WriteTx['db'], afterSeq = 0): Promise<Array<{ seq: number; body: string }>> {
  // One range of the current (type, seq) index: after a sequence, most often empty.
  const rows = await db.selectFrom('stix_objects').select(['seq', 'body']).where('type', '=', 'marking-definition').where('is_current', '=', 1).where('seq', '>', afterSeq).orderBy('seq').execute();
  return rows.map((r) => ({ seq: Number(r.seq), body: r.body }));
}

/** The ids of every current marking-definition, without their bodies. */
export async function currentDefinitionIds(db: WriteTx['db']): Promise<string[]> {
  const rows = await db.selectFrom('stix_objects').select('id').where('type', '=', 'marking-definition').where('is_current', '=', 1).execute();
  return rows.map((r) => r.id);
}

/**
 * Deletes the given versions (by seq) of one object in a write transaction; if the current
 * version goes, the newest remaining one becomes current, and is moved to a new sequence (as
 * trackPendingMarkings moves a version a definition resolved): every view that follows the store
 * by sequence applied the version deleted, and meets this one now. onDeleted runs last in the same
 * transaction (the audit record). Answers the version made current, as it is now, and the highest
 * sequence stored before it.
 */
export async function deleteVersions(
  store: Store,
  id: string,
  seqs: number[],
  nowMicros: number,
  onDeleted: (tx: WriteTx) => Promise<void>,
): Promise<{ promoted: MovedVersion; after: number } | undefined> {
  return writeTransaction(store, async (tx) => {
    // Read before the deletion: a sequence deleted was passed by the followers, and is not given again.
    const after = await highestGiven(tx);
    // In slices: an object may have more versions than a statement may have parameters
    // (SQLite 32,766, PostgreSQL 65,535).
    for (let start = 0; start < seqs.length; start += DELETE_SLICE) {
      await tx.db.deleteFrom('stix_objects').where('seq', 'in', seqs.slice(start, start + DELETE_SLICE)).execute();
    }
    const ofId = tx.db.selectFrom('stix_objects').where('id_hash', '=', idHash(id)).where('id', '=', id);
    const current = await ofId.select('seq').where('is_current', '=', 1).limit(1).executeTakeFirst();
    let promoted: { promoted: MovedVersion; after: number } | undefined;
    if (current === undefined) {
      const newest = await ofId.select([...CURRENT_ROW, 'type']).orderBy('version', 'desc').orderBy('seq', 'desc').limit(1).executeTakeFirst();
      if (newest !== undefined) {
        const version = numericRow(newest) as MovedVersion;
        const seq = Math.max(nowMicros, after + 1);
        await tx.db.updateTable('stix_objects').set({ is_current: 1, seq }).where('seq', '=', version.seq).execute();
        // The definitions it waits for keep their waiter (only its member defines them).
        await tx.db.updateTable('pending_markings').set({ seq }).where('seq', '=', version.seq).execute();
        version.seq = seq;
        version.is_current = 1;
        promoted = { promoted: version, after };
      } else {
        await recordDeletion(tx, id, nowMicros);
      }
    }
    // The newest rows deleted and none moved above them: the sequence given last is kept.
    if (promoted === undefined && (await highestStored(tx.db)) < after) {
      await tx.db.insertInto('intel_state').values({ name: SEQ_FLOOR, value: after }).onConflict((oc) => oc.column('name').doUpdateSet({ value: after })).execute();
    }
    await onDeleted(tx);
    return promoted;
  });
}

const SEQ_FLOOR = 'seq_floor';

/**
 * How long a whole deletion stays in intel_deletions: a process on the store reads it within
 * seconds (config detectFollowMs); one that starts later reads the store itself.
 */
export const DELETIONS_KEPT_MS = 24 * 3_600_000;

/** Records an object deleted whole for the other processes on the store (migration 0018), and prunes the old records. */
async function recordDeletion(tx: WriteTx, id: string, nowMicros: number): Promise<void> {
  const { max } = await tx.db.selectFrom('intel_deletions').select((eb) => eb.fn.max('seq').as('max')).executeTakeFirstOrThrow();
  await tx.db.insertInto('intel_deletions').values({ seq: Number(max ?? 0) + 1, id, at: nowMicros }).execute();
  await tx.db.deleteFrom('intel_deletions').where('at', '<', nowMicros - DELETIONS_KEPT_MS * 1000).execute();
}

/** The latest record of a whole deletion (0 when none is kept); `db` a store's or a transaction's. */
export async function latestDeletion(db: WriteTx['db']): Promise<number> {
  const { max } = await db.selectFrom('intel_deletions').select((eb) => eb.fn.max('seq').as('max')).executeTakeFirstOrThrow();
  return Number(max ?? 0);
}

/** Objects deleted whole after record `after`, in order, at most `limit`. */
export async function deletionsSince(db: WriteTx['db'], after: number, limit: number): Promise<Array<{ seq: number; id: string }>> {
  const rows = await db.selectFrom('intel_deletions').select(['seq', 'id']).where('seq', '>', after).orderBy('seq').limit(limit).execute();
  return rows.map((row) => ({ seq: Number(row.seq), id: row.id }));
}

/** The marking-definitions deleted whole in records `after` (exclusive) to `upTo`, each once. */
export async function deletedDefinitions(db: WriteTx['db'], after: number, upTo: number): Promise<string[]> {
  const rows = await db
    .selectFrom('intel_deletions')
    .select('id')
    .distinct()
    .where('seq', '>', after)
    .where('seq', '<=', upTo)
    .where('id', 'like', 'marking-definition--%')
    .execute();
  return rows.map((row) => row.id);
}

/** The body of an object's current version (a marking-definition's: one), if the store holds one. */
export async function currentBody(db: WriteTx['db'], id: string): Promise<string | undefined> {
  const row = await db.selectFrom('stix_objects').select('body').where('id_hash', '=', idHash(id)).where('id', '=', id).where('is_current', '=', 1).orderBy('seq').limit(1).executeTakeFirst();
  return row?.body;
}

/** Which of `ids` the store holds a current version of. */
export async function currentAmong(store: Store, ids: readonly string[]): Promise<Set<string>> {
  const held = new Set<string>();
  for (let start = 0; start < ids.length; start += 500) {
    const slice = ids.slice(start, start + 500);
    const rows = await store.db
      .selectFrom('stix_objects')
      .select('id')
      .where('id_hash', 'in', slice.map(idHash))
      .where('is_current', '=', 1)
      .execute();
    for (const row of rows) if (slice.includes(row.id)) held.add(row.id);
  }
  return held;
}

async function highestStored(db: WriteTx['db']): Promise<number> {
  const { max } = await db.selectFrom('stix_objects').select((eb) => eb.fn.max('seq').as('max')).executeTakeFirstOrThrow();
  return Number(max ?? 0);
}

/**
 * The highest sequence ever given (under the writer lock): the newest stored, or one a deletion
 * removed since (intel_state, migration 0017). The next is above it.
 */
export async function highestGiven(tx: WriteTx): Promise<number> {
  const { max } = await tx.db
    .selectFrom(sql<{ given: number | null }>`(select max(seq) as given from stix_objects union all select value as given from intel_state where name = ${SEQ_FLOOR})`.as('g'))
    .select((eb) => eb.fn.max('given').as('max'))
    .executeTakeFirstOrThrow();
  return Number(max ?? 0);
}

/** Versions deleted by one statement. */
export const DELETE_SLICE = 5000;
