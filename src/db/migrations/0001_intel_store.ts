import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The intel store: every STIX object version is an immutable row of stix_objects; exactly one
 * row per id (its newest version) has is_current = 1, and partial indexes over those rows serve
 * listings. See docs/decisions/0001-object-store.md.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('stix_objects')
    .addColumn('seq', big, (c) => c.primaryKey())
    .addColumn('id_hash', big, (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('spec_version', 'text')
    .addColumn('created', 'text')
    .addColumn('modified', 'text')
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('is_current', 'integer', (c) => c.notNull())
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by_ref', 'text')
    .addColumn('tlp', 'text')
    .addColumn('classification', 'integer')
    .addColumn('releasability', 'text')
    .addColumn('label', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  // Lookups by id go through a 53-bit hash of it: an index of small integers stays a fraction of
  // the size of one over the id text, which keeps bulk ingest fast at millions of rows. Ids that
  // share a hash are told apart by comparing the id itself.
  await db.schema.createIndex('stix_objects_id_hash').on('stix_objects').column('id_hash').execute();
  // Listings of some types read current rows in date_added order through this index, which only
  // ever appends since seq grows. Listings of all types walk the primary key (seq) and skip the
  // few superseded rows: a second partial index over seq cost PostgreSQL a sixth of its ingest
  // rate for no gain (docs/BENCHMARKS.md).
  await db.schema.createIndex('stix_objects_current_type_seq').on('stix_objects').columns(['type', 'seq']).where(sql.ref('is_current'), '=', 1).execute();

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
