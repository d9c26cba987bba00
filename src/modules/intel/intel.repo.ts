/** The only SQL of the intel module: object versions and the current-version index. */
import { sql } from 'kysely';
import { writeTransaction, type Store } from '../../db/database.js';
import { insertSkippingConflicts, selectByKeys, type BulkTable, type KeyLookup } from '../../db/bulk.js';
import { ROW_ID, ROW_VERSION, type NewVersion } from './intel.rows.js';


export interface StoredVersion {
  seq: number;
  body: string;
}

/** Seqs per UPDATE ... IN (...) statement. */
const IDS_PER_LOOKUP = 5000;

export interface InsertResult {
  /** seq of each row in input order, or null where (id, version) was already stored. */
  seqs: Array<number | null>;
}

/**
 * Writes a batch of versions in one transaction under the store's writer lock. Each row gets
 * the next date_added seq; the newest version per id becomes current unless a newer one is
 * stored already (an older version arriving late is kept but does not supersede).
 */
export async function insertVersions(store: Store, rows: NewVersion[], nowMicros: number): Promise<InsertResult> {
  return writeTransaction(store, async (trx) => {
    const { max } = await trx
      .selectFrom('stix_objects')
      .select((eb) => eb.fn.max('seq').as('max'))
      .executeTakeFirstOrThrow();
    let next = Math.max(nowMicros, Number(max ?? 0) + 1);

    // The current version of every id in the batch that is stored already.
    const ids = [...new Set(rows.map((r) => r[ROW_ID]))];
    const stored = new Map<string, { seq: number; version: string }>();
    for (const found of await selectByKeys<{ id: string; seq: number; version: string }>(store, trx, CURRENT_BY_ID, ids)) {
      stored.set(found.id, { seq: Number(found.seq), version: found.version });
    }
    // Which row of the batch will be current for its id, if any.
    const newest = new Map<string, number>();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const held = newest.get(row[ROW_ID]);
      const best = held === undefined ? stored.get(row[ROW_ID])?.version : rows[held]![ROW_VERSION];
      if (best === undefined || row[ROW_VERSION] > best) newest.set(row[ROW_ID], i);
    }
    const seqs: number[] = new Array(rows.length);
    const current: number[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      seqs[i] = next++;
      current[i] = newest.get(rows[i]![ROW_ID]) === i ? 1 : 0;
    }
    // Rows that supersede a stored current version demote it first, so one row per id is current.
    const demote: number[] = [];
    for (const [id, index] of newest) {
      const previous = stored.get(id);
      if (previous && current[index] === 1) demote.push(previous.seq);
    }
    for (let start = 0; start < demote.length; start += IDS_PER_LOOKUP) {
      await trx.updateTable('stix_objects').set({ is_current: 0 }).where('seq', 'in', demote.slice(start, start + IDS_PER_LOOKUP)).execute();
    }
    const values = rows.map((row, i) => [seqs[i], current[i], ...row]);
    const inserted = await insertSkippingConflicts(store, trx, OBJECT_VERSIONS, values);
    return { seqs: seqs.map((seq) => (inserted.has(seq) ? seq : null)) };
  });
}

/** Column order of the bulk insert into stix_objects. */
const OBJECT_VERSIONS: BulkTable = {
  table: 'stix_objects',
  columns: [
    { name: 'seq', pgType: 'int8' },
    { name: 'is_current', pgType: 'int4' },
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
  ],
  conflict: ['id', 'version'],
  key: 0,
};

/** The current version of an id, looked up for a whole batch at once. */
const CURRENT_BY_ID: KeyLookup = {
  table: 'stix_objects',
  key: 'id',
  columns: ['id', 'seq', 'version'],
  where: { column: 'is_current', equals: 1 },
};

export async function findCurrent(store: Store, id: string): Promise<StoredVersion | undefined> {
  return store.db.selectFrom('stix_objects').select(['seq', 'body']).where('id', '=', id).where('is_current', '=', 1).executeTakeFirst();
}

export async function findVersions(store: Store, id: string): Promise<StoredVersion[]> {
  return store.db.selectFrom('stix_objects').select(['seq', 'body']).where('id', '=', id).orderBy('version').execute();
}

export interface ListFilter {
  types?: string[];
  /** Case-insensitive substring of the name, value or pattern. */
  text?: string;
  /** Normalised version (see versionKey): only objects modified after it. */
  versionAfter?: string;
  afterSeq?: number;
  limit: number;
}

export async function listCurrent(store: Store, filter: ListFilter): Promise<StoredVersion[]> {
  let query = store.db.selectFrom('stix_objects').select(['seq', 'body']).where('is_current', '=', 1).orderBy('seq').limit(filter.limit);
  if (filter.types && filter.types.length > 0) query = query.where('type', 'in', filter.types);
  if (filter.versionAfter !== undefined) query = query.where('version', '>', filter.versionAfter);
  if (filter.afterSeq !== undefined) query = query.where('seq', '>', filter.afterSeq);
  if (filter.text) {
    const pattern = `%${filter.text.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    query = query.where(sql<boolean>`lower(label) like ${pattern} escape '\\'`);
  }
  return query.execute();
}

export async function countCurrentByType(store: Store): Promise<Array<{ type: string; count: number }>> {
  const rows = await store.db
    .selectFrom('stix_objects')
    .where('is_current', '=', 1)
    .select(['type', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('type')
    .orderBy('type')
    .execute();
  return rows.map((r) => ({ type: r.type, count: Number(r.count) }));
}

export async function countVersions(store: Store): Promise<number> {
  const row = await store.db.selectFrom('stix_objects').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Bodies of the current marking-definitions, to rebuild the handling-marking table at start. */
export async function currentMarkingDefinitions(store: Store): Promise<string[]> {
  const rows = await store.db.selectFrom('stix_objects').select('body').where('type', '=', 'marking-definition').where('is_current', '=', 1).execute();
  return rows.map((r) => r.body);
}
