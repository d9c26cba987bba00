import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The relationships out of an object and its sightings (0011's partial indexes on about_ref) are
 * read newest first, a step at a time, by an object page: seq joins their key, as 0013's index of
 * relationships in to an object has it, so that each step reads its rows in order and stops.
 * Without it PostgreSQL read and sorted every row about the object at each step (SQLite orders
 * equal keys by rowid, the seq, already), and an object many rows aim at slowed its page however
 * few of them were read. Lookups by about_ref (detection) use the longer key alike.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await sql`drop index if exists stix_objects_relationship_about`.execute(db);
  await sql`drop index if exists stix_objects_sighting_about`.execute(db);
  // Literal predicates, as 0011's: SQLite's planner proves a query implies them.
  await sql`create index stix_objects_relationship_about on stix_objects (type, about_ref, seq) where type = 'relationship' and is_current = 1`.execute(db);
  await sql`create index stix_objects_sighting_about on stix_objects (type, about_ref, seq) where type = 'sighting' and is_current = 1`.execute(db);
}
