/** The only SQL of the intel module: object versions and the current-version index. */
import { sql } from 'kysely';
import { writeTransaction, type Store } from '../../db/database.js';
import type { StixCurrentTable, StixObjectsTable } from '../../db/schema.js';

export type NewVersion = Omit<StixObjectsTable, 'seq'> & { label: string | null };

export interface StoredVersion {
  seq: number;
  body: string;
}

/** Rows per INSERT statement: well under SQLite's 32,766 bound variables at 13 columns. */
const ROWS_PER_STATEMENT = 500;

export interface InsertResult {
  /** seq of each row in input order, or null where (id, version) was already stored. */
  seqs: Array<number | null>;
}

export async function insertVersions(store: Store, rows: NewVersion[], nowMicros: number): Promise<InsertResult> {
  return writeTransaction(store, async (trx) => {
    const { max } = await trx
      .selectFrom('stix_objects')
      .select((eb) => eb.fn.max('seq').as('max'))
      .executeTakeFirstOrThrow();
    let next = Math.max(nowMicros, Number(max ?? 0) + 1);
    const withSeq: StixObjectsTable[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const { label: _label, ...row } = rows[i]!;
      withSeq[i] = { ...row, seq: next++ };
    }
    const inserted = new Set<number>();
    for (let start = 0; start < withSeq.length; start += ROWS_PER_STATEMENT) {
      const slice = withSeq.slice(start, start + ROWS_PER_STATEMENT);
      const returned = await trx
        .insertInto('stix_objects')
        .values(slice)
        .onConflict((oc) => oc.columns(['id', 'version']).doNothing())
        .returning('seq')
        .execute();
      for (const r of returned) inserted.add(Number(r.seq));
    }
    // The newest accepted version per id moves into stix_current, unless a newer one is there.
    const newest = new Map<string, StixCurrentTable>();
    for (let i = 0; i < withSeq.length; i++) {
      const row = withSeq[i]!;
      if (!inserted.has(row.seq)) continue;
      const held = newest.get(row.id);
      if (held && held.version >= row.version) continue;
      newest.set(row.id, {
        id: row.id,
        seq: row.seq,
        version: row.version,
        type: row.type,
        modified: row.modified,
        revoked: row.revoked,
        created_by_ref: row.created_by_ref,
        tlp: row.tlp,
        classification: row.classification,
        releasability: row.releasability,
        label: rows[i]!.label,
      });
    }
    const current = [...newest.values()];
    for (let start = 0; start < current.length; start += ROWS_PER_STATEMENT) {
      await trx
        .insertInto('stix_current')
        .values(current.slice(start, start + ROWS_PER_STATEMENT))
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet((eb) => ({
              seq: eb.ref('excluded.seq'),
              version: eb.ref('excluded.version'),
              type: eb.ref('excluded.type'),
              modified: eb.ref('excluded.modified'),
              revoked: eb.ref('excluded.revoked'),
              created_by_ref: eb.ref('excluded.created_by_ref'),
              tlp: eb.ref('excluded.tlp'),
              classification: eb.ref('excluded.classification'),
              releasability: eb.ref('excluded.releasability'),
              label: eb.ref('excluded.label'),
            }))
            .whereRef('excluded.version', '>', 'stix_current.version'),
        )
        .execute();
    }
    return { seqs: withSeq.map((row) => (inserted.has(row.seq) ? row.seq : null)) };
  });
}

export async function findCurrent(store: Store, id: string): Promise<StoredVersion | undefined> {
  return store.db
    .selectFrom('stix_current as c')
    .innerJoin('stix_objects as o', 'o.seq', 'c.seq')
    .select(['o.seq', 'o.body'])
    .where('c.id', '=', id)
    .executeTakeFirst();
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
  let query = store.db
    .selectFrom('stix_current as c')
    .innerJoin('stix_objects as o', 'o.seq', 'c.seq')
    .select(['c.seq', 'o.body'])
    .orderBy('c.seq')
    .limit(filter.limit);
  if (filter.types && filter.types.length > 0) query = query.where('c.type', 'in', filter.types);
  if (filter.versionAfter !== undefined) query = query.where('c.version', '>', filter.versionAfter);
  if (filter.afterSeq !== undefined) query = query.where('c.seq', '>', filter.afterSeq);
  if (filter.text) {
    const pattern = `%${filter.text.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    query = query.where(sql<boolean>`lower(c.label) like ${pattern} escape '\\'`);
  }
  return query.execute();
}

export async function countCurrentByType(store: Store): Promise<Array<{ type: string; count: number }>> {
  const rows = await store.db
    .selectFrom('stix_current')
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
  const rows = await store.db
    .selectFrom('stix_current as c')
    .innerJoin('stix_objects as o', 'o.seq', 'c.seq')
    .select('o.body')
    .where('c.type', '=', 'marking-definition')
    .execute();
  return rows.map((r) => r.body);
}
