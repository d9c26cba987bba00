/** The only SQL of the intel module: object versions and the current-version index. */
import { sql } from 'kysely';
import { writeTransaction, type Store, type WriteTx } from '../../db/database.js';
import { insertRows, selectByKeys, type BulkTable, type KeyLookup } from '../../db/bulk.js';
import type { MarkingColumns } from '../../policy/markings.js';
import { UNRESOLVED_CLASSIFICATION } from '../../policy/markings.js';
import {
  idHash,
  ROW_ACCESS_KEY,
  ROW_CLASSIFICATION,
  ROW_CREATED_BY_REF,
  ROW_ID,
  ROW_ID_HASH,
  ROW_IS_CURRENT,
  ROW_RELEASABILITY,
  ROW_SEQ,
  ROW_TLP,
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

type AccessTuple = { tlp: string | null; classification: number; releasability: string; created_by_ref: string | null };

/** Access-set keys by their tuple, per store: a key never changes meaning once given. */
const accessKeys = new WeakMap<object, Map<string, number>>();

function tupleKey(t: AccessTuple): string {
  return JSON.stringify([t.tlp, t.classification, t.releasability, t.created_by_ref]);
}

/** The access-set key of each tuple, creating sets not seen before (under the writer lock). */
async function accessKeysOf(store: Store, tx: WriteTx, tuples: AccessTuple[]): Promise<number[]> {
  let known = accessKeys.get(store);
  if (!known) accessKeys.set(store, (known = new Map()));
  const out: number[] = new Array(tuples.length);
  for (let i = 0; i < tuples.length; i++) {
    const tuple = tuples[i]!;
    const key = tupleKey(tuple);
    let found = known.get(key);
    if (found === undefined) {
      // Another process may have created it: look first, then create.
      const rows = await tx.db.selectFrom('access_sets').select(['key', 'tlp', 'classification', 'releasability', 'created_by_ref']).execute();
      for (const r of rows) known.set(tupleKey(r), Number(r.key));
      found = known.get(key);
      if (found === undefined) {
        const max = rows.reduce((m, r) => Math.max(m, Number(r.key)), 0);
        found = max + 1;
        await tx.db.insertInto('access_sets').values({ key: found, ...tuple }).execute();
        known.set(key, found);
      }
    }
    out[i] = found;
  }
  return out;
}

function tupleOfRow(row: NewVersion): AccessTuple {
  return {
    tlp: row[ROW_TLP],
    classification: row[ROW_CLASSIFICATION] ?? UNRESOLVED_CLASSIFICATION,
    releasability: row[ROW_RELEASABILITY] ?? ',',
    created_by_ref: row[ROW_CREATED_BY_REF],
  };
}

/** Every access set, for the policy to decide which a reader may read. */
export async function listAccessSets(store: Store): Promise<Array<AccessTuple & { key: number }>> {
  const rows = await store.db.selectFrom('access_sets').selectAll().orderBy('key').execute();
  return rows.map((r) => ({ ...r, key: Number(r.key) }));
}


export interface StoredVersion {
  seq: number;
  body: string;
  tlp: string | null;
  classification: number | null;
  releasability: string | null;
  created_by_ref: string | null;
}

const STORED = ['seq', 'body', 'tlp', 'classification', 'releasability', 'created_by_ref'] as const;

/** Seqs per UPDATE ... IN (...) statement. */
const SEQS_PER_UPDATE = 5000;

export interface InsertResult {
  /** seq of each row in input order, or null where (id, version) was already stored. */
  seqs: Array<number | null>;
}

/**
 * Writes a batch of versions in one transaction under the store's writer lock, which makes the
 * duplicate check below safe: each row gets the next date_added seq; a version already stored
 * (or earlier in the batch) is a duplicate and not written; the newest version per id becomes
 * current unless a newer one is stored already (an older version arriving late is kept but does
 * not supersede).
 */
export async function insertVersions(store: Store, rows: NewVersion[], nowMicros: number, hooks?: MarkingHooks, definedMarkings: string[] = []): Promise<InsertResult> {
  return writeTransaction(store, async (tx) => {
    const { max } = await tx.db
      .selectFrom('stix_objects')
      .select((eb) => eb.fn.max('seq').as('max'))
      .executeTakeFirstOrThrow();
    let next = Math.max(nowMicros, Number(max ?? 0) + 1);

    // Every stored version of the ids in the batch (and of ids that share their hash).
    const hashes = [...new Set(rows.map((r) => r[ROW_ID_HASH]))];
    const versions = new Map<string, Set<string>>();
    const current = new Map<string, { seq: number; version: string }>();
    for (const found of await selectByKeys<{ id: string; seq: number; version: string; is_current: number }>(tx, VERSIONS_BY_HASH, hashes)) {
      let known = versions.get(found.id);
      if (!known) versions.set(found.id, (known = new Set()));
      known.add(found.version);
      if (found.is_current === 1) current.set(found.id, { seq: Number(found.seq), version: found.version });
    }
    // Duplicates, and which new row becomes current for its id.
    const seqs: Array<number | null> = new Array(rows.length);
    const newest = new Map<string, number>();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const id = row[ROW_ID];
      let known = versions.get(id);
      if (known?.has(row[ROW_VERSION])) {
        seqs[i] = null;
        continue;
      }
      if (!known) versions.set(id, (known = new Set()));
      known.add(row[ROW_VERSION]);
      seqs[i] = next++;
      const held = newest.get(id);
      const best = held === undefined ? current.get(id)?.version : rows[held]![ROW_VERSION];
      if (best === undefined || row[ROW_VERSION] > best) newest.set(id, i);
    }
    // A new current version demotes the stored one, so that one row per id is current.
    const demote: number[] = [];
    for (const id of newest.keys()) {
      const previous = current.get(id);
      if (previous) demote.push(previous.seq);
    }
    for (let start = 0; start < demote.length; start += SEQS_PER_UPDATE) {
      await tx.db.updateTable('stix_objects').set({ is_current: 0 }).where('seq', 'in', demote.slice(start, start + SEQS_PER_UPDATE)).execute();
    }
    const values: NewVersion[] = [];
    for (let i = 0; i < rows.length; i++) {
      const seq = seqs[i];
      if (seq === null || seq === undefined) continue;
      const row = rows[i]!;
      row[ROW_SEQ] = seq;
      row[ROW_IS_CURRENT] = newest.get(row[ROW_ID]) === i ? 1 : 0;
      values.push(row);
    }
    const keys = await accessKeysOf(store, tx, values.map(tupleOfRow));
    for (let i = 0; i < values.length; i++) values[i]![ROW_ACCESS_KEY] = keys[i]!;
    await insertRows(tx, OBJECT_VERSIONS, values);
    if (hooks) await trackPendingMarkings(store, tx, values, hooks, definedMarkings);
    return { seqs };
  });
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
  const bodies = await tx.db.selectFrom('stix_objects').select(['seq', 'body', 'created_by_ref']).where('seq', 'in', seqs).execute();
  for (const stored of bodies) {
    const columns = hooks.recompute(stored.body);
    if (columns.unresolved.length > 0) continue; // still waiting for another definition
    const [key] = await accessKeysOf(store, tx, [{ tlp: columns.tlp, classification: columns.classification, releasability: columns.releasability, created_by_ref: stored.created_by_ref }]);
    await tx.db
      .updateTable('stix_objects')
      .set({ tlp: columns.tlp, classification: columns.classification, releasability: columns.releasability, access_key: key! })
      .where('seq', '=', Number(stored.seq))
      .execute();
  }
}

const VERSIONS_BY_HASH: KeyLookup = {
  table: 'stix_objects',
  key: { name: 'id_hash', pgType: 'int8' },
  columns: ['id', 'seq', 'version', 'is_current'],
};

export async function findCurrent(store: Store, id: string): Promise<StoredVersion | undefined> {
  return store.db
    .selectFrom('stix_objects')
    .select(STORED)
    .where('id_hash', '=', idHash(id))
    .where('id', '=', id)
    .where('is_current', '=', 1)
    .executeTakeFirst();
}

export async function findVersions(store: Store, id: string): Promise<StoredVersion[]> {
  return store.db.selectFrom('stix_objects').select(STORED).where('id_hash', '=', idHash(id)).where('id', '=', id).orderBy('version').execute();
}

export interface ListFilter {
  types?: string[];
  /** Case-insensitive substring of the name, value or pattern. */
  text?: string;
  /** Normalised version (see versionKey): only objects modified after it. */
  versionAfter?: string;
  afterSeq?: number;
  /** Only rows of these access sets (what the reader may read, decided by the policy). */
  accessKeys: number[];
  limit: number;
}

/** Up to this many readable access sets are paged one index range each, merged by seq. */
const KEYS_PER_RANGE_SCAN = 48;

function filtered<QB extends { where: (...args: never[]) => QB }>(query: QB, filter: ListFilter): QB {
  let q = query as unknown as {
    where: (column: string, op: string, value: unknown) => typeof q;
  } & QB;
  if (filter.types && filter.types.length > 0) q = q.where('type', 'in', filter.types) as typeof q;
  if (filter.versionAfter !== undefined) q = q.where('version', '>', filter.versionAfter) as typeof q;
  if (filter.afterSeq !== undefined) q = q.where('seq', '>', filter.afterSeq) as typeof q;
  return q;
}

/**
 * Current rows of the readable access sets, in date_added order. Few readable sets: one range
 * of the (access_key, seq) index per set, merged (fast however small a share of the store they
 * hold). Many: one walk of the primary key, where most rows are readable anyway.
 */
export async function listCurrent(store: Store, filter: ListFilter): Promise<StoredVersion[]> {
  if (filter.accessKeys.length === 0) return [];
  const text = filter.text ? `%${filter.text.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%` : undefined;
  const base = () => {
    let query = store.db.selectFrom('stix_objects').where('is_current', '=', 1);
    query = filtered(query, filter);
    if (text !== undefined) query = query.where(sql<boolean>`lower(label) like ${text} escape '\\'`);
    return query;
  };
  if (filter.accessKeys.length <= KEYS_PER_RANGE_SCAN) {
    const seqs: number[] = [];
    for (const key of filter.accessKeys) {
      const rows = await base().select('seq').where('access_key', '=', key).orderBy('seq').limit(filter.limit).execute();
      for (const r of rows) seqs.push(Number(r.seq));
    }
    seqs.sort((a, b) => a - b);
    const page = seqs.slice(0, filter.limit);
    if (page.length === 0) return [];
    return store.db.selectFrom('stix_objects').select(STORED).where('seq', 'in', page).orderBy('seq').execute();
  }
  // The key list is a filter here, not an index lookup: '+' keeps SQLite on the primary key.
  const keyColumn = store.dialect === 'sqlite' ? sql<number>`+access_key` : sql<number>`access_key`;
  return base().select(STORED).where(keyColumn, 'in', filter.accessKeys).orderBy('seq').limit(filter.limit).execute();
}

export async function countCurrentByType(store: Store, accessKeys: number[]): Promise<Array<{ type: string; count: number }>> {
  if (accessKeys.length === 0) return [];
  const rows = await store.db
    .selectFrom('stix_objects')
    .where('is_current', '=', 1)
    .where('access_key', 'in', accessKeys)
    .select(['type', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('type')
    .orderBy('type')
    .execute();
  return rows.map((r) => ({ type: r.type, count: Number(r.count) }));
}

export async function countVersions(store: Store, accessKeys: number[]): Promise<number> {
  if (accessKeys.length === 0) return 0;
  const row = await store.db.selectFrom('stix_objects').where('access_key', 'in', accessKeys).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Bodies of the current marking-definitions, to rebuild the handling-marking table at start. */
export async function currentMarkingDefinitions(store: Store): Promise<string[]> {
  const rows = await store.db.selectFrom('stix_objects').select('body').where('type', '=', 'marking-definition').where('is_current', '=', 1).execute();
  return rows.map((r) => r.body);
}
