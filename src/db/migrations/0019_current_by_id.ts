import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Reads of objects by id, whatever number of versions they have.
 *
 * - The current row of each id: every read of an object, detection's reads of the objects its
 *   answers name, and TAXII's listings of listed ids (`match[id]`, newest versions) asked for
 *   `is_current = 1` through the (id_hash) index, which holds every version: an object of 10,000
 *   versions was 10,000 rows read for one. This partial index holds current rows only.
 * - An id's versions in date_added order: listings of every version of listed ids read a window
 *   of each id's rows in seq order (intel.listing.ts). On SQLite the (id_hash) index is that
 *   already (its entries end with the rowid, which is seq); on PostgreSQL it becomes
 *   (id_hash, seq), which serves every read by id_hash as before.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await sql`create index stix_objects_current_id_hash on stix_objects (id_hash) where is_current = 1`.execute(db);
  if (dialect === 'postgres') {
    await sql`create index stix_objects_id_hash_seq on stix_objects (id_hash, seq)`.execute(db);
    await sql`drop index stix_objects_id_hash`.execute(db);
  }
}
