import type { Kysely } from 'kysely';

/**
 * Federation: a peer node may also be a TAXII server this node pulls from and pushes to; sync
 * state per peer (cursors, outcome of the last attempts) and the provenance of what peers sent.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The members the peer node stands for, ',DEU,FRA,' (member_code is the first of them).
  await db.schema.alterTable('peers').addColumn('members', 'text').execute();
  // Its TAXII API root; null for a peer that only connects to this node.
  await db.schema.alterTable('peers').addColumn('url', 'text').execute();
  await db.schema.alterTable('peers').addColumn('pull_collection', 'text').execute();
  await db.schema.alterTable('peers').addColumn('push_collection', 'text').execute();
  await db.schema.alterTable('peers').addColumn('direction', 'text', (c) => c.notNull().defaultTo('none')).execute();
  await db.schema.alterTable('peers').addColumn('interval_s', 'integer', (c) => c.notNull().defaultTo(60)).execute();
  await db.schema.alterTable('peers').addColumn('auth', 'text', (c) => c.notNull().defaultTo('mtls')).execute();
  await db.schema.alterTable('peers').addColumn('username', 'text').execute();
  // Token or password for the peer, sealed with the node's secret key (AES-256-GCM).
  await db.schema.alterTable('peers').addColumn('secret', 'text').execute();
  await db.schema.alterTable('peers').addColumn('ca_file', 'text').execute();

  await db.schema
    .createTable('federation_state')
    .addColumn('peer', 'text', (c) => c.primaryKey())
    // Pull: the X-TAXII-Date-Added-Last of the last page stored; push: the last seq sent.
    .addColumn('pull_cursor', 'text')
    .addColumn('push_cursor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('pulled', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('pushed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('refused', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_pull_at', 'text')
    .addColumn('last_push_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'text')
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // Which peer delivered which version (first delivery and repeats): the provenance of what
  // arrived by federation, and what is never sent back to where it came from.
  await db.schema
    .createTable('federation_provenance')
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('peer', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('federation_provenance_pk', ['object_id', 'version', 'peer'])
    .execute();
}
