/** The only SQL of the intel module: object versions and the current-version index. */
import { sql } from 'kysely';
import { writeTransaction, type Store } from '../../db/database.js';
import { insertRows, selectByKeys, type BulkTable, type KeyLookup } from '../../db/bulk.js';
import { idHash, ROW_ID, ROW_ID_HASH, ROW_IS_CURRENT, ROW_SEQ, ROW_VERSION, type NewVersion } from './intel.rows.js';


export interface StoredVersion {
  seq: number;
  body: string;
}

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
export async function insertVersions(store: Store, rows: NewVersion[], nowMicros: number): Promise<InsertResult> {
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
    await insertRows(tx, OBJECT_VERSIONS, values);
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
  ],
};

const VERSIONS_BY_HASH: KeyLookup = {
  table: 'stix_objects',
  key: { name: 'id_hash', pgType: 'int8' },
  columns: ['id', 'seq', 'version', 'is_current'],
};

export async function findCurrent(store: Store, id: string): Promise<StoredVersion | undefined> {
  return store.db
    .selectFrom('stix_objects')
    .select(['seq', 'body'])
    .where('id_hash', '=', idHash(id))
    .where('id', '=', id)
    .where('is_current', '=', 1)
    .executeTakeFirst();
}

export async function findVersions(store: Store, id: string): Promise<StoredVersion[]> {
  return store.db.selectFrom('stix_objects').select(['seq', 'body']).where('id_hash', '=', idHash(id)).where('id', '=', id).orderBy('version').execute();
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
