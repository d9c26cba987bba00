import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Objects deleted whole (no version left), in the order deleted: what another process on the
 * store reads to drop them from a view it keeps in memory (the detection index). A deletion
 * leaves no row in stix_objects to follow. `seq` is given in order under the writer lock, so a
 * reader going on after the last it read misses none; `at` (µs since the epoch) is when, for
 * pruning (intel.repo DELETIONS_KEPT_MS).
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('intel_deletions')
    .addColumn('seq', big, (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('intel_deletions_at').on('intel_deletions').column('at').execute();
}
