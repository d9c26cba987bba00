import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Warning lists (modules/warninglists/): member-managed lists of values (known-good
 * resolvers, popular domains, a member's own address ranges) that suppress detection matches.
 * Entries are stored normalised, one row each; a single revision counter moves with every change
 * so that each process (and a CLI writing the store directly) notices edits with one key lookup.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('warning_lists')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // The owning member; null for a list of the node itself (created by a node user).
    .addColumn('member_code', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    // 'member': applies to the owning member's users; 'alliance': to everyone on the node.
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('entries', big, (c) => c.notNull().defaultTo(0))
    // The value of warning_list_revision when the list last changed.
    .addColumn('revision', big, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('warning_lists_member').on('warning_lists').columns(['member_code', 'name']).execute();
  await db.schema
    .createTable('warning_list_entries')
    .addColumn('list_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // Normalised: '8.8.8.8', '10.0.0.0/8', '2001:db8::/32', 'example.com', '*.example.com', ...
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('warning_list_entries_pk', ['list_id', 'kind', 'value'])
    .execute();
  await db.schema
    .createTable('warning_list_revision')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('revision', big, (c) => c.notNull())
    .execute();
  await sql`insert into warning_list_revision (id, revision) values (1, 0)`.execute(db);
}
