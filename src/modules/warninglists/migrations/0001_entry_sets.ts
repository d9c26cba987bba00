import type { Kysely } from 'kysely';

/**
 * Large uploads are written in slices, each its own short transaction, so that other writers get
 * their turn between them. A list names the set of entry rows it reads (`entries_set`; null: the
 * list's own id, as before): a replacement, a first upload or a large addition fills a new set
 * slice by slice while the list still reads the old one, then one short transaction points the
 * list at the new set. Sets no list points at any more (replaced, of a deleted list, or left by a
 * failed or interrupted upload) are named in warning_list_purges until their rows are deleted,
 * also in slices.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('warning_lists').addColumn('entries_set', 'text').execute();
  await db.schema
    .createTable('warning_list_purges')
    .addColumn('set_id', 'text', (c) => c.primaryKey())
    // When the set was given up (or, for a set being filled, when filling began): ISO 8601.
    .addColumn('since', 'text', (c) => c.notNull())
    .execute();
}
