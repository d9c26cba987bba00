import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Federation that loses nothing and tells operators how it goes: how long a peer may take to
 * answer one page (slow servers need minutes for a first page), when each direction last ended
 * in success, and how many attempts ever failed (failures counts only those in a row).
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('peers').addColumn('page_timeout_s', 'integer', (c) => c.notNull().defaultTo(30)).execute();
  await db.schema.alterTable('federation_state').addColumn('pull_ok_at', 'text').execute();
  await db.schema.alterTable('federation_state').addColumn('push_ok_at', 'text').execute();
  await db.schema.alterTable('federation_state').addColumn('errors', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  // Of refused (both directions), those the peer refused when this node pushed to it.
  await db.schema.alterTable('federation_state').addColumn('push_refused', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
}
