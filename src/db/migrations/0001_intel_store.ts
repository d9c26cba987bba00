import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The intel store: every STIX object version is an immutable row of stix_objects; stix_current
 * points at the newest version per id and carries the columns that listing filters on.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('stix_objects')
    .addColumn('seq', big, (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('spec_version', 'text')
    .addColumn('created', 'text')
    .addColumn('modified', 'text')
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by_ref', 'text')
    .addColumn('tlp', 'text')
    .addColumn('classification', 'integer')
    .addColumn('releasability', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('stix_objects_id_version').on('stix_objects').columns(['id', 'version']).unique().execute();

  let current = db.schema
    .createTable('stix_current')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('seq', big, (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('modified', 'text')
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by_ref', 'text')
    .addColumn('tlp', 'text')
    .addColumn('classification', 'integer')
    .addColumn('releasability', 'text')
    .addColumn('label', 'text');
  if (dialect === 'sqlite') current = current.modifyEnd(sql`without rowid`);
  await current.execute();
  await db.schema.createIndex('stix_current_seq').on('stix_current').column('seq').unique().execute();
  await db.schema.createIndex('stix_current_type_seq').on('stix_current').columns(['type', 'seq']).execute();
  await db.schema.createIndex('stix_current_markings').on('stix_current').columns(['tlp', 'classification']).execute();

  await db.schema
    .createTable('members')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('country', 'text')
    .addColumn('identity_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('member_code', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .execute();
}
