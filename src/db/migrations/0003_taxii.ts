import type { Kysely } from 'kysely';

/** TAXII 2.1: status resources of Add Objects requests (kept at least 24 hours), and collections. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('taxii_status')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('taxii_status_created').on('taxii_status').column('created_at').execute();
  // Collections are views: the objects whose releasability reaches their audience (null: all).
  await db.schema
    .createTable('taxii_collections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('alias', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('audience', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}
