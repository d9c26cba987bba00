import type { Kysely } from 'kysely';

/**
 * Notifications of mutual assistance (requests for assistance, offers, deployments, response
 * clocks overdue): a delivery names the assistance change it tells of, by columns the delivery
 * log and the check at delivery read; and the latest access known of each assistance record, so
 * that a delivery still waiting is held to a re-marking that came after it (as notify_incidents
 * does for incidents).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // One statement per column: SQLite adds one column per ALTER TABLE.
  // record, id, modified, change and milestone of the change, joined: one delivery per subscription, change and channel.
  await db.schema.alterTable('notify_deliveries').addColumn('assistance_key', 'text').execute();
  // 'request', 'offer' or 'deployment'.
  await db.schema.alterTable('notify_deliveries').addColumn('assistance_record', 'text').execute();
  await db.schema.alterTable('notify_deliveries').addColumn('assistance_id', 'text').execute();
  await db.schema.alterTable('notify_deliveries').addColumn('assistance_request_id', 'text').execute();
  // The change ('requested', 'offered', 'overdue', ...) and, for 'overdue', the clock's milestone.
  await db.schema.alterTable('notify_deliveries').addColumn('assistance_change', 'text').execute();
  await db.schema.alterTable('notify_deliveries').addColumn('assistance_milestone', 'text').execute();
  // Incident deliveries leave it null, and nulls are distinct: they stay under notify_deliveries_once.
  await db.schema.createIndex('notify_deliveries_assistance_once').on('notify_deliveries').columns(['subscription_id', 'assistance_key', 'channel']).unique().execute();

  await db.schema
    .createTable('notify_assistance')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('access', 'text', (c) => c.notNull())
    // ISO 8601 text of the record's modified: the newest heard of wins.
    .addColumn('modified', 'text', (c) => c.notNull())
    .execute();
}
