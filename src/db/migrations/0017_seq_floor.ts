import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The intel store's own state, by name. `seq_floor`: the highest date_added sequence ever given,
 * kept when a deletion removes the newest rows. A sequence is given once: followers of the store
 * (TAXII clients and peers going on with added_after, the live feed, the node's own views) have
 * passed a deleted one, and would pass a new row given it again. Sequences run ahead of the clock
 * while a batch is written (one per row), so the next write may come before the clock has passed
 * them.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('intel_state')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .execute();
}
