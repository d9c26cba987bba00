import { sql, type Kysely } from 'kysely';

/**
 * The current marking-definitions of each writer (`submitter`), for the bound of definitions per
 * member (intel.decide.ts, SHIELDWALL_DEFINITIONS_PER_MEMBER): counted by one range of this index,
 * a writer's own definitions, rather than by walking every current definition of the node (at
 * 200,000 of them: 36 ms on SQLite, 124-353 ms on PostgreSQL, inside the write transaction).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('stix_objects_current_definitions_submitter')
    .on('stix_objects')
    .column('submitter')
    .where(sql<boolean>`type = 'marking-definition' and is_current = 1`)
    .execute();
}
