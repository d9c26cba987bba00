/** The only SQL of notifications: subscriptions, deliveries with their attempts, and the latest access known of each incident and assistance record. */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../../db/schema.js';

export interface NotifySubscriptionsTable {
  id: string;
  owner: string;
  name: string;
  enabled: number;
  filter: string;
  webhook_url: string | null;
  webhook_secret: string | null;
  email: string | null;
  created: string;
  modified: string;
}

export interface NotifyDeliveriesTable {
  id: string;
  subscription_id: string;
  channel: string;
  event: string;
  incident_id: string | null;
  incident_version: number | null;
  /** Set on deliveries of mutual assistance (migration 0002_assistance); null on the others. */
  assistance_key: string | null;
  assistance_record: string | null;
  assistance_id: string | null;
  assistance_request_id: string | null;
  assistance_change: string | null;
  assistance_milestone: string | null;
  payload: string;
  access: string | null;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created: string;
  modified: string;
}

export interface NotifyAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface NotifyIncidentsTable {
  id: string;
  version: number;
  access: string;
  modified: string;
}

export interface NotifyAssistanceTable {
  id: string;
  access: string;
  modified: string;
}

declare module '../../db/schema.js' {
  interface Database {
    notify_subscriptions: NotifySubscriptionsTable;
    notify_deliveries: NotifyDeliveriesTable;
    notify_attempts: NotifyAttemptsTable;
    notify_incidents: NotifyIncidentsTable;
    notify_assistance: NotifyAssistanceTable;
  }
}

export type SubscriptionRow = Selectable<NotifySubscriptionsTable>;
export type DeliveryRow = Selectable<NotifyDeliveriesTable>;
export type AttemptRow = Selectable<NotifyAttemptsTable>;

// --- subscriptions ---------------------------------------------------------------------------------

export async function subscriptionsOf(db: Kysely<Database>, owner: string): Promise<SubscriptionRow[]> {
  return db.selectFrom('notify_subscriptions').selectAll().where('owner', '=', owner).orderBy('created').orderBy('id').execute();
}

export async function countSubscriptions(db: Kysely<Database>, owner: string): Promise<number> {
  const row = await db.selectFrom('notify_subscriptions').select((eb) => eb.fn.countAll<number>().as('n')).where('owner', '=', owner).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function findSubscription(db: Kysely<Database>, id: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('notify_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A page of enabled subscriptions of every user, in id order after `afterId`. */
export async function enabledSubscriptions(db: Kysely<Database>, afterId: string, limit: number): Promise<SubscriptionRow[]> {
  return db.selectFrom('notify_subscriptions').selectAll().where('enabled', '=', 1).where('id', '>', afterId).orderBy('id').limit(limit).execute();
}

export async function insertSubscription(db: Kysely<Database>, row: Insertable<NotifySubscriptionsTable>): Promise<void> {
  await db.insertInto('notify_subscriptions').values(row).execute();
}

export async function updateSubscription(db: Kysely<Database>, id: string, changes: Updateable<NotifySubscriptionsTable>): Promise<void> {
  await db.updateTable('notify_subscriptions').set(changes).where('id', '=', id).execute();
}

/** Deletes a subscription with its deliveries and their attempts. */
export async function deleteSubscription(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('notify_attempts').where('delivery_id', 'in', (eb) => eb.selectFrom('notify_deliveries').select('id').where('subscription_id', '=', id)).execute();
  await db.deleteFrom('notify_deliveries').where('subscription_id', '=', id).execute();
  await db.deleteFrom('notify_subscriptions').where('id', '=', id).execute();
}

// --- deliveries ------------------------------------------------------------------------------------

/**
 * Stores a delivery unless the subscription has one for this incident version (or this
 * assistance change) and channel already; answers the one stored (new or not).
 */
export async function insertDelivery(db: Kysely<Database>, row: Insertable<NotifyDeliveriesTable>): Promise<{ row: DeliveryRow; created: boolean }> {
  const assistanceKey = row.assistance_key ?? null;
  const inserted = await db
    .insertInto('notify_deliveries')
    .values(row)
    .onConflict((oc) => oc.columns(assistanceKey !== null ? ['subscription_id', 'assistance_key', 'channel'] : ['subscription_id', 'incident_id', 'incident_version', 'channel']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, created: true };
  const same = db.selectFrom('notify_deliveries').selectAll().where('subscription_id', '=', row.subscription_id).where('channel', '=', row.channel);
  const existing = await (assistanceKey !== null
    ? same.where('assistance_key', '=', assistanceKey)
    : same.where('incident_id', '=', row.incident_id ?? '').where('incident_version', '=', row.incident_version ?? -1)
  ).executeTakeFirstOrThrow();
  return { row: existing, created: false };
}

export async function findDelivery(db: Kysely<Database>, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('notify_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateDelivery(db: Kysely<Database>, id: string, changes: Updateable<NotifyDeliveriesTable>): Promise<void> {
  await db.updateTable('notify_deliveries').set(changes).where('id', '=', id).execute();
}

/** Deliveries of a subscription, newest first, strictly before (created, id) when given. */
export async function deliveriesOf(db: Kysely<Database>, subscriptionId: string, before: { created: string; id: string } | undefined, limit: number): Promise<DeliveryRow[]> {
  let query = db.selectFrom('notify_deliveries').selectAll().where('subscription_id', '=', subscriptionId);
  if (before) query = query.where((eb) => eb.or([eb('created', '<', before.created), eb.and([eb('created', '=', before.created), eb('id', '<', before.id)])]));
  return query.orderBy('created', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** Deliveries of a subscription still waiting (tests among them, when `event` is given). */
export async function pendingDeliveries(db: Kysely<Database>, subscriptionId: string, event?: string): Promise<DeliveryRow[]> {
  let query = db.selectFrom('notify_deliveries').selectAll().where('subscription_id', '=', subscriptionId).where('status', '=', 'pending');
  if (event !== undefined) query = query.where('event', '=', event);
  return query.execute();
}

/** How many deliveries of a subscription's channel are waiting, counted up to `atMost`. */
export async function waitingCount(db: Kysely<Database>, subscriptionId: string, channel: string, atMost: number): Promise<number> {
  const rows = await db
    .selectFrom('notify_deliveries')
    .select('id')
    .where('subscription_id', '=', subscriptionId)
    .where('channel', '=', channel)
    .where('status', '=', 'pending')
    .limit(atMost)
    .execute();
  return rows.length;
}

/** Deletes the ended deliveries of a subscription (with their attempts) beyond its newest `keep`. */
export async function pruneDeliveries(db: Kysely<Database>, subscriptionId: string, keep: number): Promise<void> {
  const edge = await db
    .selectFrom('notify_deliveries')
    .select(['created', 'id'])
    .where('subscription_id', '=', subscriptionId)
    .orderBy('created', 'desc')
    .orderBy('id', 'desc')
    .offset(keep)
    .limit(1)
    .executeTakeFirst();
  if (!edge) return;
  const stale = db
    .selectFrom('notify_deliveries')
    .select('id')
    .where('subscription_id', '=', subscriptionId)
    .where('status', '<>', 'pending')
    .where((eb) => eb.or([eb('created', '<', edge.created), eb.and([eb('created', '=', edge.created), eb('id', '<=', edge.id)])]));
  await db.deleteFrom('notify_attempts').where('delivery_id', 'in', stale).execute();
  await db.deleteFrom('notify_deliveries').where('id', 'in', stale).execute();
}

// --- attempts --------------------------------------------------------------------------------------

export async function insertAttempt(db: Kysely<Database>, row: Insertable<NotifyAttemptsTable>): Promise<void> {
  await db.insertInto('notify_attempts').values(row).onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing()).execute();
}

export async function attemptsOf(db: Kysely<Database>, deliveryIds: readonly string[]): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return [];
  return db.selectFrom('notify_attempts').selectAll().where('delivery_id', 'in', [...deliveryIds]).orderBy('delivery_id').orderBy('attempt').execute();
}

// --- the latest access of incidents and assistance records -----------------------------------------

/** Where the latest access heard of is kept: incidents by version, assistance records by modified. */
export type AccessTable = 'notify_incidents' | 'notify_assistance';

export async function latestAccesses(db: Kysely<Database>, table: AccessTable, ids: readonly string[]): Promise<Array<{ id: string; access: string }>> {
  if (ids.length === 0) return [];
  return db.selectFrom(table).select(['id', 'access']).where('id', 'in', [...new Set(ids)]).execute();
}

/** Keeps the access of the newest version of an incident heard of (an older one arriving late changes nothing). */
export async function noteAccess(db: Kysely<Database>, row: Selectable<NotifyIncidentsTable>): Promise<void> {
  await db
    .insertInto('notify_incidents')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet({ version: row.version, access: row.access, modified: row.modified }).where('notify_incidents.version', '<', row.version))
    .execute();
}

/** Keeps the access of the newest change of an assistance record heard of, by its modified (an older one arriving late changes nothing). */
export async function noteAssistanceAccess(db: Kysely<Database>, row: Selectable<NotifyAssistanceTable>): Promise<void> {
  await db
    .insertInto('notify_assistance')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet({ access: row.access, modified: row.modified }).where('notify_assistance.modified', '<', row.modified))
    .execute();
}
