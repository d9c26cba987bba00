import { sql, type Kysely } from 'kysely';
import { accessTupleHash } from '../access-sets.js';
import type { DialectName } from '../database.js';

/** Sets given their hash by one statement. */
const SETS_PER_UPDATE = 500;

/**
 * The writer finds the access set of a tuple (TLP, classification, releasability) by one entry of
 * an index, however many sets the store holds: `tuple_hash` (db/access-sets.ts). It read every
 * set before, each time a batch brought a tuple this process had not met, while holding the
 * store's writer: members define markings at will, and at 33,000 sets each new one held every
 * other writer some 115 ms. A hash, not the tuple itself: PostgreSQL refuses index entries over
 * 2,704 bytes, and a releasability may list 100 entries of 65 characters. Not unique: sets that
 * share a hash are told apart by their tuple (one set per tuple is kept by the writer lock,
 * under which every set is made).
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema.alterTable('access_sets').addColumn('tuple_hash', dialect === 'postgres' ? 'bigint' : 'integer').execute();
  const { rows } = await sql<{ key: number; tlp: string | null; classification: number; releasability: string }>`
    select key, tlp, classification, releasability from access_sets order by key`.execute(db);
  for (let start = 0; start < rows.length; start += SETS_PER_UPDATE) {
    const pairs = rows
      .slice(start, start + SETS_PER_UPDATE)
      .map((set) => sql`(cast(${Number(set.key)} as bigint), cast(${accessTupleHash({ tlp: set.tlp, classification: Number(set.classification), releasability: set.releasability })} as bigint))`);
    // VALUES names its columns column1, column2 on both engines.
    await sql`update access_sets set tuple_hash = v.column2 from (values ${sql.join(pairs)}) as v where access_sets.key = v.column1`.execute(db);
  }
  await db.schema.createIndex('access_sets_tuple_hash').on('access_sets').column('tuple_hash').execute();
}
