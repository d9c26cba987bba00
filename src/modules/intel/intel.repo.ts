/** The only SQL of the intel module: object versions and the current-version index. */
import { sql } from 'kysely';
import { writeTransaction, type Store } from '../../db/database.js';
import type { StixObjectsTable } from '../../db/schema.js';

export type NewVersion = Omit<StixObjectsTable, 'seq' | 'is_current'>;

export interface StoredVersion {
  seq: number;
  body: string;
}

/** Rows per INSERT statement: under SQLite's 32,766 bound variables at 15 columns. */
const ROWS_PER_STATEMENT = 1000;
/** Ids per IN (...) lookup. */
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
    const ids = [...new Set(rows.map((r) => r.id))];
    const stored = new Map<string, { seq: number; version: string }>();
    for (let start = 0; start < ids.length; start += IDS_PER_LOOKUP) {
      const found = await trx
        .selectFrom('stix_objects')
        .select(['id', 'seq', 'version'])
        .where('id', 'in', ids.slice(start, start + IDS_PER_LOOKUP))
        .where('is_current', '=', 1)
        .execute();
      for (const f of found) stored.set(f.id, { seq: Number(f.seq), version: f.version });
    }
    // Which row of the batch will be current for its id, if any.
    const newest = new Map<string, number>();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const held = newest.get(row.id);
      const best = held === undefined ? stored.get(row.id)?.version : rows[held]!.version;
      if (best === undefined || row.version > best) newest.set(row.id, i);
    }
    const withSeq: StixObjectsTable[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      withSeq[i] = { ...row, seq: next++, is_current: newest.get(row.id) === i ? 1 : 0 };
    }
    // Rows that supersede a stored current version demote it first, so one row per id is current.
    const demote: number[] = [];
    for (const [id, index] of newest) {
      const previous = stored.get(id);
      if (previous && withSeq[index]!.is_current === 1) demote.push(previous.seq);
    }
    for (let start = 0; start < demote.length; start += IDS_PER_LOOKUP) {
      await trx.updateTable('stix_objects').set({ is_current: 0 }).where('seq', 'in', demote.slice(start, start + IDS_PER_LOOKUP)).execute();
    }
    const inserted = new Set<number>();
    for (let start = 0; start < withSeq.length; start += ROWS_PER_STATEMENT) {
      const returned = await trx
        .insertInto('stix_objects')
        .values(withSeq.slice(start, start + ROWS_PER_STATEMENT))
        .onConflict((oc) => oc.columns(['id', 'version']).doNothing())
        .returning('seq')
        .execute();
      for (const r of returned) inserted.add(Number(r.seq));
    }
    return { seqs: withSeq.map((row) => (inserted.has(row.seq) ? row.seq : null)) };
  });
}

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
