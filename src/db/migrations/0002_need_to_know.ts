import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Need-to-know: users and groups of the directory, and the access sets through which listings
 * pre-filter in SQL. Every distinct combination of an object's marking columns is one access
 * set; each current row carries its set's key and its originating member, each indexed with
 * seq, so what a reader may read (decided by the policy module, not SQL) pages in date_added
 * order however small a share of the store it is. See docs/POLICY.md.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('users')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('member_code', 'text')
    .addColumn('clearance', 'integer', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .execute();
  await db.schema
    .createTable('member_groups')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('member_group_members')
    .addColumn('group_name', 'text', (c) => c.notNull())
    .addColumn('member_code', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('member_group_members_pk', ['group_name', 'member_code'])
    .execute();
  await db.schema.alterTable('members').addColumn('contacts', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('api_tokens').addColumn('user_name', 'text').execute();

  await db.schema
    .createTable('access_sets')
    .addColumn('key', 'integer', (c) => c.primaryKey())
    .addColumn('tlp', 'text')
    .addColumn('classification', 'integer', (c) => c.notNull())
    .addColumn('releasability', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('stix_objects').addColumn('access_key', 'integer').execute();
  // The member whose identity created the object (created_by_ref), when it is one of the node's.
  await db.schema.alterTable('stix_objects').addColumn('origin_member', 'text').execute();
  // Rows stored before this migration: no handling marking was known to be missing, so they
  // get the level and releasability of unmarked objects (UNCLASSIFIED, ALLIANCE).
  await sql`update stix_objects set classification = coalesce(classification, 0), releasability = coalesce(releasability, ',ALLIANCE,')`.execute(db);
  await sql`insert into access_sets (key, tlp, classification, releasability)
    select row_number() over (order by tlp, classification, releasability), tlp, classification, releasability
    from (select distinct tlp, classification, releasability from stix_objects) t`.execute(db);
  const same = dialect === 'postgres' ? sql.raw('is not distinct from') : sql.raw('is');
  await sql`update stix_objects set access_key = (select a.key from access_sets a where a.tlp ${same} stix_objects.tlp
    and a.classification = stix_objects.classification and a.releasability = stix_objects.releasability)`.execute(db);
  await sql`update stix_objects set origin_member = (select m.code from members m where m.identity_id = stix_objects.created_by_ref)`.execute(db);
  // Current rows by access set in date_added order: appended to as seq grows.
  await db.schema
    .createIndex('stix_objects_current_access_seq')
    .on('stix_objects')
    .columns(['access_key', 'seq'])
    .where(sql.ref('is_current'), '=', 1)
    .execute();
  // Current rows of each originating member in date_added order: the originator reads its own.
  await db.schema
    .createIndex('stix_objects_current_origin_seq')
    .on('stix_objects')
    .columns(['origin_member', 'seq'])
    .where(sql<boolean>`is_current = 1 and origin_member is not null`)
    .execute();
  // Peer nodes: other Shieldwall nodes (or TAXII systems) that authenticate with a client
  // certificate; each acts for one member, within a clearance and roles.
  await db.schema
    .createTable('peers')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('certificate_cn', 'text', (c) => c.notNull().unique())
    .addColumn('member_code', 'text', (c) => c.notNull())
    .addColumn('clearance', 'integer', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .execute();
  // Dashboard sign-in sessions: only a hash of the cookie value is kept.
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  // The hash-chained audit log (modules/audit): appended to, never updated.
  await db.schema
    .createTable('audit_log')
    .addColumn('seq', big, (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  // Objects that reference a marking-definition the node has not seen yet; resolved when it arrives.
  await db.schema
    .createTable('pending_markings')
    .addColumn('marking_ref', 'text', (c) => c.notNull())
    .addColumn('seq', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('pending_markings_pk', ['marking_ref', 'seq'])
    .execute();
}
