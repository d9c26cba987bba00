/** The only SQL of the intel module: object versions and the current-version index. */
import { sql, type ExpressionBuilder } from 'kysely';
import type { Database } from '../../db/schema.js';
import { writeTransaction, type Store, type WriteTx } from '../../db/database.js';
import { insertRows, selectByKeys, type BulkTable, type KeyLookup } from '../../db/bulk.js';
import type { MarkingColumns } from '../../policy/markings.js';
import { UNRESOLVED_CLASSIFICATION } from '../../policy/markings.js';
import {
  idHash,
  ROW_ACCESS_KEY,
  ROW_CLASSIFICATION,
  ROW_ID,
  ROW_ID_HASH,
  ROW_IS_CURRENT,
  ROW_RELEASABILITY,
  ROW_SEQ,
  ROW_TLP,
  ROW_TYPE,
  ROW_VERSION,
  type NewVersion,
} from './intel.rows.js';

/** What the store asks of the policy side while writing (the repo holds no marking rules). */
export interface MarkingHooks {
  /** The marking references each row (by position) does not resolve yet, decided by the caller. */
  unresolved: ReadonlyMap<NewVersion, readonly string[]>;
  /** The marking columns of a stored body, with the markings known now. */
  recompute(body: string): MarkingColumns;
}

type AccessTuple = { tlp: string | null; classification: number; releasability: string };

/** Access-set keys by their tuple, per store: a key never changes meaning once given. */
const accessKeys = new WeakMap<object, Map<string, number>>();

/** Unit separators cannot occur in any of the fields (validated ids, codes and levels). */
function tupleKey(t: AccessTuple): string {
  return `${t.tlp ?? ''}\u001f${t.classification}\u001f${t.releasability}`;
}

/** The access-set key of a tuple, creating the set if it is new (under the writer lock). */
async function accessKeyOf(store: Store, tx: WriteTx, tuple: AccessTuple): Promise<number> {
  let known = accessKeys.get(store);
  if (!known) accessKeys.set(store, (known = new Map()));
  const key = tupleKey(tuple);
  let found = known.get(key);
  if (found === undefined) {
    // Another process may have created it: look first, then create.
    const rows = await tx.db.selectFrom('access_sets').select(['key', 'tlp', 'classification', 'releasability']).execute();
    for (const r of rows) known.set(tupleKey(r), Number(r.key));
    found = known.get(key);
    if (found === undefined) {
      const max = rows.reduce((m, r) => Math.max(m, Number(r.key)), 0);
      found = max + 1;
      await tx.db.insertInto('access_sets').values({ key: found, ...tuple }).execute();
      known.set(key, found);
    }
  }
  return found;
}

/** Sets each row's access-set key, creating sets not seen before (under the writer lock). */
async function setAccessKeys(store: Store, tx: WriteTx, rows: readonly NewVersion[]): Promise<void> {
  // Rows of a batch mostly repeat the markings of the row before: compare before building a key.
  let previous: NewVersion | undefined;
  for (const row of rows) {
    if (previous && previous[ROW_TLP] === row[ROW_TLP] && previous[ROW_CLASSIFICATION] === row[ROW_CLASSIFICATION] && previous[ROW_RELEASABILITY] === row[ROW_RELEASABILITY]) {
      row[ROW_ACCESS_KEY] = previous[ROW_ACCESS_KEY];
      continue;
    }
    row[ROW_ACCESS_KEY] = await accessKeyOf(store, tx, tupleOfRow(row));
    previous = row;
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
  const rows = await store.db.selectFrom('access_sets').selectAll().where('key', '>', afterKey).orderBy('key').execute();
  return rows.map((r) => ({ ...r, key: Number(r.key) }));
}


export interface StoredVersion {
  seq: number;
  body: string;
  tlp: string | null;
  classification: number | null;
  releasability: string | null;
  created_by_ref: string | null;
  access_key: number | null;
  origin_member: string | null;
  submitter: string | null;
}

const STORED = ['seq', 'body', 'tlp', 'classification', 'releasability', 'created_by_ref', 'access_key', 'origin_member', 'submitter'] as const;

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
}

/**
 * Writes a batch of versions in one transaction under the store's writer lock, which makes the
 * duplicate check below safe: each row gets the next date_added seq; a version already stored
 * (or earlier in the batch) is a duplicate and not written; the newest version per id becomes
 * current unless a newer one is stored already (an older version arriving late is kept but does
 * not supersede). `decide` sees what is stored of each id first and may refuse rows.
 */
export async function insertVersions(
  store: Store,
  rows: NewVersion[],
  nowMicros: number,
  hooks?: MarkingHooks,
  definedMarkings: string[] = [],
  /**
   * Runs last in the same transaction with the rows written and those not written because their
   * version was stored already (the audit record; the caller's own records of what arrived).
   */
  onWritten?: (tx: WriteTx, written: readonly NewVersion[], held: readonly NewVersion[]) => Promise<void>,
  decide?: DecideRows,
): Promise<InsertResult> {
  return writeTransaction(store, async (tx) => {
    const { max } = await tx.db
      .selectFrom('stix_objects')
      .select((eb) => eb.fn.max('seq').as('max'))
      .executeTakeFirstOrThrow();
    let next = Math.max(nowMicros, Number(max ?? 0) + 1);

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
      const bodies = await tx.db.selectFrom('stix_objects').select(['id', 'body']).where('id', 'in', markingIds).orderBy('seq').execute();
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
    if (hooks) await trackPendingMarkings(store, tx, values, hooks, definedMarkings);
    if (onWritten && (values.length > 0 || held.length > 0)) await onWritten(tx, values, held);
    return { seqs, refused };
  });
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
  ],
};

/**
 * Objects written with marking references the node does not know are recorded as pending;
 * when marking-definitions arrive, the objects waiting for them get their marking columns
 * (and access set) recomputed. Until then they are readable by nobody.
 */
async function trackPendingMarkings(store: Store, tx: WriteTx, written: NewVersion[], hooks: MarkingHooks, defined: string[]): Promise<void> {
  const pending: Array<{ marking_ref: string; seq: number }> = [];
  for (const row of written) {
    if (row[ROW_CLASSIFICATION] !== UNRESOLVED_CLASSIFICATION) continue;
    for (const ref of new Set(hooks.unresolved.get(row) ?? [])) pending.push({ marking_ref: ref, seq: row[ROW_SEQ] });
  }
  if (pending.length > 0) await tx.db.insertInto('pending_markings').values(pending).onConflict((oc) => oc.doNothing()).execute();
  if (defined.length === 0) return;
  const waiting = await tx.db.selectFrom('pending_markings').select('seq').distinct().where('marking_ref', 'in', defined).execute();
  if (waiting.length === 0) return;
  await tx.db.deleteFrom('pending_markings').where('marking_ref', 'in', defined).execute();
  const seqs = waiting.map((w) => Number(w.seq));
  const bodies = await tx.db.selectFrom('stix_objects').select(['seq', 'body']).where('seq', 'in', seqs).execute();
  for (const stored of bodies) {
    const columns = hooks.recompute(stored.body);
    if (columns.unresolved.length > 0) continue; // still waiting for another definition
    const key = await accessKeyOf(store, tx, { tlp: columns.tlp, classification: columns.classification, releasability: columns.releasability });
    await tx.db
      .updateTable('stix_objects')
      .set({ tlp: columns.tlp, classification: columns.classification, releasability: columns.releasability, access_key: key })
      .where('seq', '=', Number(stored.seq))
      .execute();
  }
}

const VERSIONS_BY_HASH: KeyLookup = {
  table: 'stix_objects',
  key: { name: 'id_hash', pgType: 'int8' },
  columns: ['id', 'seq', 'version', 'is_current', 'revoked', 'created_by_ref', 'origin_member', 'submitter', 'tlp', 'classification', 'releasability'],
};

/**
 * What the node's own indexes read of a row: columns filled at ingest from the parsed object
 * (see intel.rows), never its body.
 */
export interface CurrentRow {
  seq: number;
  id: string;
  is_current: number;
  revoked: number;
  spec_version: string | null;
  access_key: number | null;
  created_by_ref: string | null;
  /** What a relationship or sighting is about. */
  about_ref: string | null;
  // An indicator's (see IndicatorColumns), null on other types.
  pattern: string | null;
  pattern_type: string | null;
  pattern_version: string | null;
  valid_from: string | null;
  valid_until: string | null;
  confidence: number | null;
  granular: number | null;
}

const CURRENT_ROW = ['seq', 'id', 'is_current', 'revoked', 'spec_version', 'access_key', 'created_by_ref', 'about_ref', 'pattern', 'pattern_type', 'pattern_version', 'valid_from', 'valid_until', 'confidence', 'granular'] as const;

/** CURRENT_ROW but is_current, which the condition of scanCurrent already fixes (one column fewer to read per row). */
const SCANNED_ROW = CURRENT_ROW.filter((column) => column !== 'is_current');

/** A row of scanCurrent's SQLite statement, columns in SCANNED_ROW's order. */
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

/**
 * scanCurrent's prepared statements on SQLite, by database and number of types. They return
 * arrays: better-sqlite3 builds a row object column by column, which was 40% of reading a
 * million indicator rows (2.6 s against 1.5 s as arrays, measured).
 */
const scanStatements = new WeakMap<object, Map<number, { all(...values: unknown[]): unknown[] }>>();

/** Current rows of these types after a date_added sequence, in that order (the type index serves it). */
export async function scanCurrent(store: Store, types: string[], afterSeq: number, limit: number): Promise<CurrentRow[]> {
  const sqlite = store.sqlite;
  if (sqlite) {
    let statements = scanStatements.get(sqlite);
    if (!statements) scanStatements.set(sqlite, (statements = new Map()));
    let statement = statements.get(types.length);
    if (!statement) {
      const sqlText = `select ${SCANNED_ROW.join(', ')} from stix_objects where is_current = 1 and type in (${types.map(() => '?').join(', ')}) and seq > ? order by seq limit ?`;
      statement = sqlite.prepare(sqlText).raw(true);
      statements.set(types.length, statement);
    }
    const prepared = statement;
    // Through the query builder's connection, so that the read waits for a write transaction in progress, as queries do.
    const rows = await store.db.connection().execute(() => Promise.resolve(prepared.all(...types, afterSeq, limit) as ScannedColumns[]));
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
  const rows = await store.db.selectFrom('stix_objects').select([...SCANNED_ROW, sql<number>`1`.as('is_current')]).where('is_current', '=', 1).where('type', 'in', types).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  return rows.map(numericRow);
}

export async function rowsBySeq(store: Store, seqs: number[]): Promise<CurrentRow[]> {
  if (seqs.length === 0) return [];
  const rows = await store.db.selectFrom('stix_objects').select(CURRENT_ROW).where('seq', 'in', seqs).orderBy('seq').execute();
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

/**
 * Current relationships (by source_ref) or sightings (by sighting_of_ref) about these objects:
 * their about_ref is that reference (see intel.rows), one range of a partial index per object.
 * At most `limit` rows; the caller applies the rule to each.
 */
export async function currentAbout(store: Store, type: 'relationship' | 'sighting', refs: string[], limit: number): Promise<StoredVersion[]> {
  if (refs.length === 0) return [];
  // Asked on every lookup that finds an indicator: a prepared statement, not a query built anew
  // (measured on SQLite: 2 us against 40 us through the query builder).
  if (store.sqlite) {
    let statements = aboutStatements.get(store.sqlite);
    if (!statements) aboutStatements.set(store.sqlite, (statements = new Map()));
    const key = `${type} ${refs.length}`;
    let statement = statements.get(key);
    if (!statement) {
      statement = store.sqlite.prepare(`${ABOUT_SELECT} where type = '${type}' and is_current = 1 and about_ref in (${refs.map(() => '?').join(', ')}) limit ?`);
      statements.set(key, statement);
    }
    const prepared = statement;
    // Through the query builder's connection, so that the read waits for a write transaction in progress.
    return store.db.connection().execute(() => Promise.resolve(prepared.all(...refs, limit) as StoredVersion[]));
  }
  if (store.pgPool) {
    const { rows } = await store.pgPool.query<StoredVersion>({ name: `current_about_${type}`, text: `${ABOUT_SELECT} where type = '${type}' and is_current = 1 and about_ref = any($1::text[]) limit $2`, values: [refs, limit] });
    return rows;
  }
  return store.db
    .selectFrom('stix_objects')
    .select(STORED)
    .where(type === 'relationship' ? sql<boolean>`type = 'relationship' and is_current = 1` : sql<boolean>`type = 'sighting' and is_current = 1`)
    .where('about_ref', 'in', refs)
    .limit(limit)
    .execute();
}

// Literal type predicates, so that SQLite proves the partial indexes of migration 0011 apply (bound values would not).
const ABOUT_SELECT = `select ${STORED.join(', ')} from stix_objects`;
/** Prepared statements of currentAbout, by database and (type, number of refs: at most 500 each). */
const aboutStatements = new WeakMap<object, Map<string, { all(...values: unknown[]): unknown[] }>>();

/** Prepared statements of currentOfIds, by database and number of ids (at most 500 each). */
const byIdStatements = new WeakMap<object, Map<number, { all(...values: unknown[]): unknown[] }>>();

/**
 * The current versions of these ids (at most 500), in date_added order, each with its id (an
 * observable may be held in several copies). Detection reads the objects its answers name on
 * every lookup: on SQLite a prepared statement, not a query built anew.
 */
export async function currentOfIds(store: Store, ids: string[]): Promise<Array<StoredVersion & { id: string }>> {
  if (ids.length === 0) return [];
  if (store.sqlite) {
    let statements = byIdStatements.get(store.sqlite);
    if (!statements) byIdStatements.set(store.sqlite, (statements = new Map()));
    let statement = statements.get(ids.length);
    if (!statement) {
      const marks = ids.map(() => '?').join(', ');
      statement = store.sqlite.prepare(`select id, ${STORED.join(', ')} from stix_objects where id_hash in (${marks}) and id in (${marks}) and is_current = 1 order by seq`);
      statements.set(ids.length, statement);
    }
    const prepared = statement;
    // Through the query builder's connection, so that the read waits for a write transaction in progress.
    return store.db.connection().execute(() => Promise.resolve(prepared.all(...ids.map(idHash), ...ids) as Array<StoredVersion & { id: string }>));
  }
  return store.db.selectFrom('stix_objects').select(['id', ...STORED]).where('id_hash', 'in', ids.map(idHash)).where('id', 'in', ids).where('is_current', '=', 1).orderBy('seq').execute();
}

/**
 * What current rows of these types after a date_added sequence are about (about_ref), in that
 * order: detection keeps a filter of the objects relationships and sightings are about.
 */
export async function scanAbout(store: Store, types: string[], afterSeq: number, limit: number): Promise<Array<{ seq: number; about_ref: string | null }>> {
  const rows = await store.db.selectFrom('stix_objects').select(['seq', 'about_ref']).where('is_current', '=', 1).where('type', 'in', types).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  for (const row of rows) row.seq = Number(row.seq);
  return rows;
}

export async function findVersions(store: Store, id: string): Promise<StoredVersion[]> {
  return store.db.selectFrom('stix_objects').select(STORED).where('id_hash', '=', idHash(id)).where('id', '=', id).orderBy('version').execute();
}

export interface ListFilter {
  types?: string[];
  ids?: string[];
  /** Case-insensitive substring of the name, value or pattern. */
  text?: string;
  /** Normalised version (see versionKey): only objects modified after it. */
  versionAfter?: string;
  afterSeq?: number;
  /** Rows of these access sets may be readable (the policy decided, on each set's markings). */
  accessKeys: number[];
  /** How many access sets there are in all. */
  accessSetCount: number;
  /** Rows this member originated may be readable too (the originator reads its own). */
  originMember: string | null;
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
/** At most this many rows read per step of the walk in date_added order. */
const WALK_CHUNK_MAX = 5000;

/** A row of a listing: whether it is the current version decides which rule reads it (see canReadVersion). */
export type ListedVersion = StoredVersion & { id: string; is_current: number; created: string | null; modified: string | null };

const LISTED = [...STORED, 'id', 'is_current', 'created', 'modified'] as const;

/**
 * Candidate rows for a page, in date_added order: current rows of the readable access sets and
 * of the reader's own member. The caller applies the rule to each. A small share of the sets:
 * one range of the (access_key, seq) index per set plus the (origin_member, seq) range, merged,
 * which is fast however small a share of the store they hold. Most sets: a walk in date_added
 * order, keeping what matches.
 */
export async function listCurrent(store: Store, filter: ListFilter): Promise<ListedVersion[]> {
  if (filter.accessKeys.length === 0 && filter.originMember === null) return [];
  const text = filter.text ? `%${filter.text.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%` : undefined;
  const v = filter.versions;
  const currentOnly = !v || (v.last === true && !v.first && !v.all && (v.exact ?? []).length === 0);
  const base = (afterSeq: number | undefined) => {
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
    if (afterSeq !== undefined) query = query.where('seq', '>', afterSeq);
    if (text !== undefined) query = query.where(sql<boolean>`lower(label) like ${text} escape '\\'`);
    return query;
  };
  const ranges = filter.accessKeys.length <= RANGE_SCAN_MAX_KEYS && filter.accessKeys.length <= filter.accessSetCount * RANGE_SCAN_MAX_SHARE;
  // The index ranges hold current rows only; other versions are found by the walk.
  if (currentOnly && (filter.strategy === 'ranges' || (filter.strategy === undefined && ranges))) {
    const seqs: number[] = [];
    for (const key of filter.accessKeys) {
      for (const seq of await seqsOf(store, base(filter.afterSeq).select('seq').where('access_key', '=', key).orderBy('seq').limit(filter.limit))) seqs.push(seq);
    }
    if (filter.originMember !== null) {
      for (const seq of await seqsOf(store, base(filter.afterSeq).select('seq').where('origin_member', '=', filter.originMember).orderBy('seq').limit(filter.limit))) seqs.push(seq);
    }
    const page = [...new Set(seqs)].sort((a, b) => a - b).slice(0, filter.limit);
    if (page.length === 0) return [];
    return listedRows(store, store.db.selectFrom('stix_objects').select(LISTED).where('seq', 'in', page).orderBy('seq'));
  }
  const readable = new Set(filter.accessKeys);
  const out: ListedVersion[] = [];
  let after = filter.afterSeq;
  // Each step reads about as many rows as the page still needs at the share found readable so
  // far (first guessed from the share of readable sets): a reader of everything reads its page
  // in one step of `limit` rows, not a fixed chunk of which most is thrown away.
  let looked = 0;
  let share = filter.accessSetCount > 0 ? Math.min(1, filter.accessKeys.length / filter.accessSetCount) : 1;
  for (;;) {
    const need = filter.limit - out.length;
    const size = Math.min(WALK_CHUNK_MAX, Math.max(need, Math.ceil(need / Math.max(share, 1 / 64))));
    const chunk = await listedRows(store, base(after).select(LISTED).orderBy('seq').limit(size));
    for (const row of chunk) {
      if ((row.access_key !== null && readable.has(row.access_key)) || (filter.originMember !== null && row.origin_member === filter.originMember)) {
        out.push(row);
        if (out.length === filter.limit) return out;
      }
    }
    if (chunk.length < size) return out;
    after = chunk[chunk.length - 1]!.seq;
    looked += chunk.length;
    share = out.length / looked;
  }
}

/** Prepared statements of listings on SQLite, by database and SQL text: a listing's shape recurs page after page. */
const listStatements = new WeakMap<object, Map<string, { all(...values: unknown[]): unknown[] }>>();
/** Shapes kept per database (they vary with the number of ids, types and sets asked for). */
const LIST_STATEMENTS_KEPT = 64;

interface ListingQuery<R> {
  compile(): { sql: string; parameters: readonly unknown[] };
  execute(): Promise<R[]>;
}

/**
 * Runs a listing query on SQLite through a prepared statement kept by its text, so that page
 * after page does not prepare it again, on the query builder's connection so that it waits for
 * a write transaction in progress, as queries do. Rows come as arrays of columns (see
 * scanStatements), or as the first column's values (pluck).
 */
async function sqliteListing(store: Store, sqlite: NonNullable<Store['sqlite']>, query: ListingQuery<unknown>, shape: 'raw' | 'pluck'): Promise<unknown[]> {
  const { sql: text, parameters } = query.compile();
  let statements = listStatements.get(sqlite);
  if (!statements) listStatements.set(sqlite, (statements = new Map()));
  const key = `${shape} ${text}`;
  let statement = statements.get(key);
  if (!statement) {
    if (statements.size >= LIST_STATEMENTS_KEPT) statements.clear();
    const prepared = sqlite.prepare(text);
    statement = shape === 'raw' ? prepared.raw(true) : prepared.pluck(true);
    statements.set(key, statement);
  }
  const ready = statement;
  return store.db.connection().execute(() => Promise.resolve(ready.all(...parameters)));
}

/** The seqs a listing query selects. */
async function seqsOf(store: Store, query: ListingQuery<{ seq: number }>): Promise<number[]> {
  if (!store.sqlite) return (await query.execute()).map((row) => Number(row.seq));
  return (await sqliteListing(store, store.sqlite, query, 'pluck')) as number[];
}

/** The rows a listing query selects (the LISTED columns, in that order). */
async function listedRows(store: Store, query: ListingQuery<ListedVersion>): Promise<ListedVersion[]> {
  // PostgreSQL answers bigint columns as strings.
  if (!store.sqlite) return (await query.execute()).map((row) => ({ ...row, seq: Number(row.seq), access_key: row.access_key === null ? null : Number(row.access_key) }));
  const rows = (await sqliteListing(store, store.sqlite, query, 'raw')) as ListedColumns[];
  const out = new Array<ListedVersion>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [seq, body, tlp, classification, releasability, createdByRef, accessKey, originMember, submitter, id, isCurrent, created, modified] = rows[i]!;
    out[i] = { seq, body, tlp, classification, releasability, created_by_ref: createdByRef, access_key: accessKey, origin_member: originMember, submitter, id, is_current: isCurrent, created, modified };
  }
  return out;
}

/** A row of a listing's SQLite statement, columns in LISTED's order (arrays: see scanStatements). */
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

/** The reader's own member and clearance: its own objects count too, within its clearance. */
export interface OwnRows {
  member: string;
  clearance: number;
}

function readableWhere(accessKeys: number[], own: OwnRows | undefined) {
  return (eb: ExpressionBuilder<Database, 'stix_objects'>) => {
    const terms = [];
    if (accessKeys.length > 0) terms.push(eb('access_key', 'in', accessKeys));
    if (own) terms.push(eb.and([eb('origin_member', '=', own.member), eb('classification', '<=', own.clearance)]));
    return eb.or(terms);
  };
}

export async function countCurrentByType(store: Store, accessKeys: number[], own?: OwnRows): Promise<Array<{ type: string; count: number }>> {
  if (accessKeys.length === 0 && !own) return [];
  const rows = await store.db
    .selectFrom('stix_objects')
    .where('is_current', '=', 1)
    .where(readableWhere(accessKeys, own))
    .select(['type', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('type')
    .orderBy('type')
    .execute();
  return rows.map((r) => ({ type: r.type, count: Number(r.count) }));
}

export async function countVersions(store: Store, accessKeys: number[], own?: OwnRows): Promise<number> {
  if (accessKeys.length === 0 && !own) return 0;
  const row = await store.db.selectFrom('stix_objects').where(readableWhere(accessKeys, own)).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Bodies of the current marking-definitions, to rebuild the handling-marking table at start. */
export async function currentMarkingDefinitions(store: Store): Promise<string[]> {
  const rows = await store.db.selectFrom('stix_objects').select('body').where('type', '=', 'marking-definition').where('is_current', '=', 1).execute();
  return rows.map((r) => r.body);
}

/**
 * Deletes the given versions (by seq) of one object in a write transaction; if the current
 * version goes, the newest remaining one becomes current. onDeleted runs last in the same
 * transaction (the audit record).
 */
export async function deleteVersions(store: Store, id: string, seqs: number[], onDeleted: (tx: WriteTx) => Promise<void>): Promise<void> {
  await writeTransaction(store, async (tx) => {
    await tx.db.deleteFrom('stix_objects').where('seq', 'in', seqs).execute();
    const remaining = await tx.db
      .selectFrom('stix_objects')
      .select(['seq', 'is_current', 'version'])
      .where('id_hash', '=', idHash(id))
      .where('id', '=', id)
      .orderBy('version', 'desc')
      .orderBy('seq', 'desc')
      .execute();
    if (remaining.length > 0 && !remaining.some((r) => r.is_current === 1)) {
      await tx.db.updateTable('stix_objects').set({ is_current: 1 }).where('seq', '=', Number(remaining[0]!.seq)).execute();
    }
    await onDeleted(tx);
  });
}
