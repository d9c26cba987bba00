import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import { dialectSql } from '../dialect-sql.js';

/**
 * Detection context: a relationship's label is its source_ref and a sighting's its
 * sighting_of_ref (see intel.rows searchLabel), so that what is known about an indicator (the
 * malware it indicates, who sighted it) is one index range per indicator.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const field = (name: string) => dialectSql(dialect).jsonText('body', name);
  await sql`update stix_objects set label = ${field('source_ref')} where type = 'relationship'`.execute(db);
  await sql`update stix_objects set label = ${field('sighting_of_ref')} where type = 'sighting'`.execute(db);
  // Literal predicates (not bound parameters), so that SQLite's planner can prove a query implies
  // them; type leads the key so that the planner prefers these over the (type, seq) index.
  await sql`create index stix_objects_relationship_source on stix_objects (type, label) where type = 'relationship' and is_current = 1`.execute(db);
  await sql`create index stix_objects_sighting_of on stix_objects (type, label) where type = 'sighting' and is_current = 1`.execute(db);
}
