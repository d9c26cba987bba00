import type { Kysely } from 'kysely';

/**
 * Notifications of incidents: users' subscriptions, one delivery per subscription, incident
 * version and channel (its status and the attempts made), and the latest access known of each
 * incident (so that a delivery still waiting is held to a re-marking that came after it). Times
 * are ISO 8601 text of the node's clock.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notify_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // The user it belongs to (its only reader and writer, and the reader deliveries are cut for).
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    // JSON of the filter (notify.filter.ts).
    .addColumn('filter', 'text', (c) => c.notNull())
    .addColumn('webhook_url', 'text')
    // The signing secret, sealed with the node key (core/secrets.ts): it must sign, so it is not hashed.
    .addColumn('webhook_secret', 'text')
    .addColumn('email', 'text')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notify_subscriptions_owner').on('notify_subscriptions').columns(['owner', 'created']).execute();

  await db.schema
    .createTable('notify_deliveries')
    // Sent as x-shieldwall-delivery.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    // 'webhook' or 'email'.
    .addColumn('channel', 'text', (c) => c.notNull())
    // 'incident.created', 'incident.updated' or 'test'.
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text')
    .addColumn('incident_version', 'integer')
    // JSON of what is sent: the change as the subscriber may see it.
    .addColumn('payload', 'text', (c) => c.notNull())
    // JSON of the incident version's RecordAccess, held against the subscriber again at delivery; null for tests.
    .addColumn('access', 'text')
    // 'pending', 'delivered', 'failed' (attempts spent), 'withheld' (the subscriber may no longer read it), 'cancelled' (subscription disabled, channel removed).
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'text')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .execute();
  // One delivery per subscription, incident version and channel, however often the dispatch runs.
  await db.schema.createIndex('notify_deliveries_once').on('notify_deliveries').columns(['subscription_id', 'incident_id', 'incident_version', 'channel']).unique().execute();
  await db.schema.createIndex('notify_deliveries_log').on('notify_deliveries').columns(['subscription_id', 'created', 'id']).execute();

  await db.schema
    .createTable('notify_attempts')
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('notify_attempts_pk', ['delivery_id', 'attempt'])
    .execute();

  await db.schema
    .createTable('notify_incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('access', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .execute();
}
