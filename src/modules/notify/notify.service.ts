/**
 * Notifications of incidents to the users entitled to know: each user keeps subscriptions (a
 * filter and channels: a webhook, an e-mail address); when an incident changes (event
 * incidents.changed, after the write committed, or as received from a peer node), every enabled
 * subscription whose filter matches is delivered to, one durable job per channel, if and only
 * if its user may read the incident by the one rule (policy canReadRecord), asked of the user as
 * the directory knows it now. The right is asked again when each attempt is made: a user
 * disabled, removed, or no longer cleared meanwhile receives nothing. docs/NOTIFICATIONS.md.
 *
 * Changes of mutual assistance (event assistance.changed: a request, an offer or a deployment
 * changed, or a response clock went overdue) reach the subscriptions that ask for them (filter
 * `assistance`) in the same way, to users who hold assistance:read and may read the changed
 * record.
 *
 * The fan-out is a durable job too (notify.dispatch, keyed by incident version; notify.assistance,
 * keyed by the assistance change): what the event announced survives a restart between the
 * announcement and the deliveries, and a dispatch run twice stores each delivery once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { exponentialBackoff, type JobRun, type JobScheduler } from '../../core/jobs.js';
import { nodeKey, seal, unseal } from '../../core/secrets.js';
import { writeTransaction } from '../../db/database.js';
import type { Principal } from '../../policy/principal.js';
import { canReadRecord, externalNotice, type RecordAccess } from '../../policy/record.js';
import * as audit from '../audit/audit.service.js';
import { principalOfUser } from '../directory/directory.service.js';
import { handlingOfAccess, hearsOfChange, MILESTONES, URGENCIES, type AssistanceChange } from '../assistance/assistance.model.js';
import type { IncidentChange } from '../incidents/incidents.model.js';
import { objectsAbout, objectsByIds } from '../intel/intel.service.js';
import { mailConfigured, postWebhook, sendMail, WEBHOOK_DESTINATIONS, type AttemptOutcome } from './notify.channels.js';
import { resolveDestination, WEBHOOK_ALLOW_SETTING, type Destination } from './notify.destination.js';
import { assistanceMatches, filterProblems, linkedIndicators, matchesWithoutSightings, normaliseFilter, type FilterInput, type SubscriptionFilter } from './notify.filter.js';
import {
  ASSISTANCE_CHANGE_WORDS,
  assistanceEventOf,
  assistanceMail,
  assistanceNoticeOf,
  assistanceReferenceOf,
  eventOf,
  incidentMail,
  noticeOf,
  referenceOf,
  signature,
  testMail,
  testMessage,
  type NotifyEvent,
  type WebhookBody,
} from './notify.message.js';
import * as repo from './notify.repo.js';

/** The permission that lets a user manage its subscriptions, and that a subscriber must still hold to receive of incidents. */
export const PERMISSION = 'incidents:read';
/**
 * The permission a subscriber must hold to ask for and to receive changes of mutual assistance
 * (the assistance module declares it; a node without that module grants it to nobody).
 */
export const ASSISTANCE_PERMISSION = 'assistance:read';
export const SUBSCRIPTIONS_PER_USER = 50;
export const NAME_MAX = 100;
export const URL_MAX = 2048;
export const EMAIL_MAX = 254;
export const SECRET_MIN = 16;
export const SECRET_MAX = 256;
/** Ended deliveries kept per subscription in its log; older ones are deleted as new ones come. */
export const DELIVERIES_KEPT = 500;
export const DELIVERIES_PAGE_MAX = 200;
/**
 * Deliveries of one subscription's channel waiting at once, at most: a receiver that answers
 * slowly or not at all does not gather changes without end (each worth up to eight attempts of
 * 10 s). Past it a change's delivery is stored failed at once, saying why, and not sent.
 */
export const WAITING_PER_CHANNEL = 100;
/** Attempts of one delivery before it is failed. */
export const DELIVERY_MAX_ATTEMPTS = 8;
/**
 * Deliveries a node's scheduler runs at once, of its 4 places: each may wait 10 s on a receiver
 * that never answers, and 50 such webhooks of one subscriber held all four places, so that
 * federation, silence deadlines and response clocks waited behind them.
 */
export const DELIVERY_CONCURRENCY = 2;
/** 30 s, doubling to 1 h (±20%): the seven waits between the eight attempts add up to about an hour. */
export const DELIVERY_BACKOFF = exponentialBackoff({ firstMs: 30_000, maxMs: 60 * 60_000 });
/** How long a subscription's change waits for its webhook's name to resolve (ms); beyond, each delivery decides. */
const CHECK_LOOKUP_MS = 3000;
/** Subscriptions read per query of a dispatch. */
const DISPATCH_PAGE = 500;

export const DISPATCH_KIND = 'notify.dispatch';
export const ASSISTANCE_DISPATCH_KIND = 'notify.assistance';
export const DELIVER_KIND = 'notify.deliver';

export const CHANNELS = ['webhook', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'withheld', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Subscription {
  id: string;
  name: string;
  enabled: boolean;
  filter: SubscriptionFilter;
  channels: {
    /** `secret` only in the answer that generated it: it is not shown again. */
    webhook?: { url: string; secret?: string };
    email?: { address: string };
  };
  created: string;
  modified: string;
}

export interface SubscriptionInput {
  name: string;
  enabled?: boolean;
  filter?: FilterInput;
  channels: { webhook?: { url: string; secret?: string }; email?: { address: string } };
}

export interface SubscriptionChanges {
  name?: string;
  enabled?: boolean;
  filter?: FilterInput;
  /** A channel given replaces it; null removes it; absent leaves it. */
  channels?: { webhook?: { url: string; secret?: string; new_secret?: boolean } | null; email?: { address: string } | null };
}

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  /** HTTP status of the webhook's answer, or the SMTP reply code of a refusal; null without one. */
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** What the delivery log names of an assistance change. */
export interface DeliveredAssistance {
  record: string;
  id: string;
  request_id: string;
  change: string;
  milestone: string | null;
}

export interface Delivery {
  id: string;
  channel: Channel;
  event: NotifyEvent;
  /** The incident version it tells of; null for a test, for assistance, and where the reader may no longer read the incident. */
  incident: { id: string; version: number } | null;
  /** The assistance change it tells of; null for incidents and tests, and where the reader may no longer read the record. */
  assistance: DeliveredAssistance | null;
  status: DeliveryStatus;
  last_status_code: number | null;
  /** Why the last attempt failed, or why it was withheld or cancelled. */
  last_error: string | null;
  /** When the next attempt is due, while it is pending after a failure. */
  next_attempt_at: string | null;
  attempts: DeliveryAttempt[];
  created: string;
  modified: string;
}

// --- who -------------------------------------------------------------------------------------------

/** The user a subscription belongs to: the acting user (a token acts as its user). */
function ownerOf(actor: Principal): string {
  if ((actor.kind !== 'user' && actor.kind !== 'token') || actor.userName === null) {
    throw shieldwallError('FORBIDDEN', 'subscriptions belong to users: sign in as a user, or use an API token of one');
  }
  return actor.userName;
}

/**
 * The subscriber as the directory knows it now, if it may still hear of incidents: undefined
 * for a user disabled or removed, or without the permission any more.
 */
async function subscriberOf(ctx: AppContext, owner: string): Promise<Principal | undefined> {
  const principal = await principalOfUser(ctx, owner);
  return principal && ctx.permissions.has(principal, PERMISSION) ? principal : undefined;
}

/** Does the principal hold assistance:read? Never on a node whose modules declare no such permission. */
function hearsOfAssistance(ctx: AppContext, principal: Principal | undefined): boolean {
  return ctx.permissions.isKnown(ASSISTANCE_PERMISSION) && ctx.permissions.has(principal, ASSISTANCE_PERMISSION);
}

/** The subscriber as the directory knows it now, if it may still hear of mutual assistance (as subscriberOf for incidents). */
async function assistanceSubscriberOf(ctx: AppContext, owner: string): Promise<Principal | undefined> {
  const principal = await principalOfUser(ctx, owner);
  return principal && hearsOfAssistance(ctx, principal) ? principal : undefined;
}

// --- subscriptions ---------------------------------------------------------------------------------

const EMAIL = /^[^\s@<>()[\],;:"\\]+@[^\s@<>()[\],;:"\\]+\.[^\s@<>()[\],;:"\\]+$/;

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > NAME_MAX) throw shieldwallError('BAD_REQUEST', `name: give 1 to ${NAME_MAX} characters`);
  return trimmed;
}

function checkWebhookUrl(raw: string): string {
  if (raw.length > URL_MAX) throw shieldwallError('BAD_REQUEST', `channels.webhook.url: at most ${URL_MAX} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw shieldwallError('BAD_REQUEST', 'channels.webhook.url: not a URL; give an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw shieldwallError('BAD_REQUEST', `channels.webhook.url: the scheme '${url.protocol.replace(/:$/, '')}' is not http or https`);
  if (url.username !== '' || url.password !== '') throw shieldwallError('BAD_REQUEST', 'channels.webhook.url: put no user name or password in the URL: the receiver checks the signature of each delivery (x-shieldwall-signature)');
  if (url.hash !== '') throw shieldwallError('BAD_REQUEST', 'channels.webhook.url: a URL with a #fragment is not sent as written; leave the fragment out');
  return url.toString();
}

/**
 * Refuses a webhook whose destination the node does not send to (notify.destination.ts): its
 * address, or what its name resolves to now. A name that does not resolve now is taken: every
 * delivery resolves it again and decides. A name's refusal does not say what it resolved to.
 */
async function checkWebhookDestination(ctx: AppContext, url: string): Promise<void> {
  const { allow, lookup } = ctx.state.get(WEBHOOK_DESTINATIONS);
  let destination: Destination;
  try {
    destination = await resolveDestination(new URL(url), allow, lookup, AbortSignal.timeout(CHECK_LOOKUP_MS));
  } catch {
    return;
  }
  if (destination.allowed) return;
  const { refusal, literal } = destination;
  const what = !literal
    ? `the host '${new URL(url).hostname}' resolves to an address`
    : refusal.range === undefined
      ? `'${refusal.address}' names this node's own machine (${refusal.rule}), an address`
      : `${refusal.address} is in the ${refusal.rule} range ${refusal.range}, an address`;
  throw shieldwallError(
    'BAD_REQUEST',
    `channels.webhook.url: ${what} this node does not send notifications to: webhooks go to public addresses, never to loopback, private, link-local, shared (CGNAT), multicast, unspecified or reserved ones, unless the node's administrator allows a receiver with ${WEBHOOK_ALLOW_SETTING}`,
    { rule: 'webhook-destination', ...(literal ? { refused: refusal.rule, ...(refusal.range ? { range: refusal.range } : {}) } : {}), setting: WEBHOOK_ALLOW_SETTING },
  );
}

function checkSecret(secret: string): string {
  if (secret.length < SECRET_MIN || secret.length > SECRET_MAX) throw shieldwallError('BAD_REQUEST', `channels.webhook.secret: give ${SECRET_MIN} to ${SECRET_MAX} characters, or leave it out to have one generated`);
  return secret;
}

function checkEmail(ctx: AppContext, address: string): string {
  const trimmed = address.trim();
  if (trimmed.length > EMAIL_MAX || !EMAIL.test(trimmed)) throw shieldwallError('BAD_REQUEST', `channels.email.address: '${trimmed.slice(0, 80)}' is not an e-mail address (name@domain.example)`);
  if (!mailConfigured(ctx)) throw shieldwallError('BAD_REQUEST', 'channels.email: this node sends no e-mail (no SMTP relay is configured: SHIELDWALL_SMTP_URL); use a webhook, or ask the node administrator');
  return trimmed;
}

function checkFilter(ctx: AppContext, actor: Principal, filter: FilterInput | undefined): SubscriptionFilter {
  const problems = filterProblems(filter ?? {});
  const normalised = normaliseFilter(filter ?? {});
  if (normalised.linked_to_my_sightings && !actor.member?.identityId) problems.push('filter.linked_to_my_sightings: you belong to no member with an identity, so no sighting is yours');
  if (normalised.assistance !== undefined && !hearsOfAssistance(ctx, actor)) problems.push(`filter.assistance: you do not hold ${ASSISTANCE_PERMISSION}, so no change of mutual assistance would reach you; leave it out, or ask your member's administrator for a role that holds it`);
  if (problems.length > 0) throw shieldwallError('BAD_REQUEST', problems.join('; '), { problems });
  return normalised;
}

/** A new signing secret: 256 random bits. */
function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function present(row: repo.SubscriptionRow, shownSecret?: string): Subscription {
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled === 1,
    filter: JSON.parse(row.filter) as SubscriptionFilter,
    channels: {
      ...(row.webhook_url !== null ? { webhook: { url: row.webhook_url, ...(shownSecret !== undefined ? { secret: shownSecret } : {}) } } : {}),
      ...(row.email !== null ? { email: { address: row.email } } : {}),
    },
    created: row.created,
    modified: row.modified,
  };
}

/** What the audit log keeps of a subscription: never its secret, and of its webhook only the host. */
function auditDetail(row: Pick<repo.SubscriptionRow, 'name' | 'enabled' | 'filter' | 'webhook_url' | 'email'>): Record<string, unknown> {
  return { name: row.name, enabled: row.enabled === 1, filter: JSON.parse(row.filter) as unknown, webhook_host: row.webhook_url === null ? null : new URL(row.webhook_url).host, email: row.email };
}

/** A subscription of the actor's, or 404: another user's subscriptions are answered as absent. */
async function ownSubscription(ctx: AppContext, actor: Principal, id: string): Promise<repo.SubscriptionRow> {
  const owner = ownerOf(actor);
  const row = await repo.findSubscription(ctx.store.db, id);
  if (!row || row.owner !== owner) throw shieldwallError('NOT_FOUND', `you have no subscription '${id.slice(0, 80)}'; list yours with GET /api/v1/subscriptions`);
  return row;
}

export async function listSubscriptions(ctx: AppContext, actor: Principal): Promise<Subscription[]> {
  return (await repo.subscriptionsOf(ctx.store.db, ownerOf(actor))).map((row) => present(row));
}

export async function getSubscription(ctx: AppContext, actor: Principal, id: string): Promise<Subscription> {
  return present(await ownSubscription(ctx, actor, id));
}

export async function createSubscription(ctx: AppContext, actor: Principal, input: SubscriptionInput): Promise<Subscription> {
  const owner = ownerOf(actor);
  const name = checkName(input.name);
  const filter = checkFilter(ctx, actor, input.filter);
  if (!input.channels.webhook && !input.channels.email) throw shieldwallError('BAD_REQUEST', 'channels: give a webhook ({url}) or an e-mail address ({address}), or both');
  const url = input.channels.webhook ? checkWebhookUrl(input.channels.webhook.url) : null;
  if (url !== null) await checkWebhookDestination(ctx, url);
  const given = input.channels.webhook?.secret;
  const secret = input.channels.webhook ? (given !== undefined ? checkSecret(given) : generateSecret()) : undefined;
  const email = input.channels.email ? checkEmail(ctx, input.channels.email.address) : null;
  const now = ctx.clock.now().toISOString();
  const row: repo.SubscriptionRow = {
    id: randomUUID(),
    owner,
    name,
    enabled: input.enabled === false ? 0 : 1,
    filter: JSON.stringify(filter),
    webhook_url: url,
    webhook_secret: secret === undefined ? null : seal(nodeKey(ctx.config.secretKeyFile), secret),
    email,
    created: now,
    modified: now,
  };
  await writeTransaction(ctx.store, async (tx) => {
    const held = await repo.countSubscriptions(tx.db, owner);
    if (held >= SUBSCRIPTIONS_PER_USER) throw shieldwallError('CONFLICT', `you hold ${held} subscriptions, the most one user may: delete one you no longer need (DELETE /api/v1/subscriptions/{id}), or widen the filter of another`);
    await repo.insertSubscription(tx.db, row);
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'notify.subscription.create', subject: row.id, detail: auditDetail(row) }]);
  });
  // A secret the user chose is not echoed; one generated is shown this once.
  return present(row, given === undefined ? secret : undefined);
}

export async function updateSubscription(ctx: AppContext, actor: Principal, id: string, changes: SubscriptionChanges): Promise<Subscription> {
  const row = await ownSubscription(ctx, actor, id);
  const next: repo.SubscriptionRow = { ...row };
  let shownSecret: string | undefined;
  if (changes.name !== undefined) next.name = checkName(changes.name);
  if (changes.enabled !== undefined) next.enabled = changes.enabled ? 1 : 0;
  if (changes.filter !== undefined) next.filter = JSON.stringify(checkFilter(ctx, actor, changes.filter));
  const webhook = changes.channels?.webhook;
  if (webhook === null) {
    next.webhook_url = null;
    next.webhook_secret = null;
  } else if (webhook !== undefined) {
    next.webhook_url = checkWebhookUrl(webhook.url);
    await checkWebhookDestination(ctx, next.webhook_url);
    if (webhook.secret !== undefined && webhook.new_secret === true) throw shieldwallError('BAD_REQUEST', 'channels.webhook: give a secret or ask for a new_secret, not both');
    if (webhook.secret !== undefined) next.webhook_secret = seal(nodeKey(ctx.config.secretKeyFile), checkSecret(webhook.secret));
    else if (webhook.new_secret === true || row.webhook_secret === null) {
      shownSecret = generateSecret();
      next.webhook_secret = seal(nodeKey(ctx.config.secretKeyFile), shownSecret);
    }
  }
  const email = changes.channels?.email;
  if (email === null) next.email = null;
  else if (email !== undefined) next.email = checkEmail(ctx, email.address);
  if (next.webhook_url === null && next.email === null) throw shieldwallError('BAD_REQUEST', 'channels: a subscription keeps a webhook or an e-mail address; delete it instead (DELETE /api/v1/subscriptions/{id})');
  next.modified = ctx.clock.now().toISOString();
  await writeTransaction(ctx.store, async (tx) => {
    await repo.updateSubscription(tx.db, id, {
      name: next.name,
      enabled: next.enabled,
      filter: next.filter,
      webhook_url: next.webhook_url,
      webhook_secret: next.webhook_secret,
      email: next.email,
      modified: next.modified,
    });
    const detail = { ...auditDetail(next), secret_changed: next.webhook_secret !== row.webhook_secret && next.webhook_secret !== null, was: auditDetail(row) };
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'notify.subscription.update', subject: id, detail }]);
  });
  return present(next, shownSecret);
}

export async function deleteSubscription(ctx: AppContext, actor: Principal, id: string): Promise<void> {
  const row = await ownSubscription(ctx, actor, id);
  // Its deliveries still waiting find it gone and end without sending (see deliver).
  await writeTransaction(ctx.store, async (tx) => {
    await repo.deleteSubscription(tx.db, id);
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'notify.subscription.delete', subject: id, detail: auditDetail(row) }]);
  });
}

// --- the delivery log ------------------------------------------------------------------------------

function parseCursor(cursor: string): { created: string; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\|([0-9a-f-]{36})$/.exec(text);
  if (!match) throw shieldwallError('INVALID_CURSOR', `cursor '${cursor.slice(0, 80)}' was not issued by this node; start again without a cursor`);
  return { created: match[1]!, id: match[2]! };
}

function accessOf(text: string): RecordAccess {
  return JSON.parse(text) as RecordAccess;
}

/**
 * The deliveries of one of the actor's subscriptions, newest first, with their attempts. Which
 * incident a delivery told of is shown only while the actor may read it (the version told of,
 * and the newest heard of), as deliver decides.
 */
export async function listDeliveries(ctx: AppContext, actor: Principal, id: string, options: { limit?: number; cursor?: string }): Promise<{ deliveries: Delivery[]; next_cursor: string | null }> {
  await ownSubscription(ctx, actor, id);
  const limit = Math.min(Math.max(options.limit ?? 50, 1), DELIVERIES_PAGE_MAX);
  const rows = await repo.deliveriesOf(ctx.store.db, id, options.cursor ? parseCursor(options.cursor) : undefined, limit + 1);
  const page = rows.slice(0, limit);
  const attempts = await repo.attemptsOf(ctx.store.db, page.map((r) => r.id));
  const byDelivery = new Map<string, DeliveryAttempt[]>();
  for (const a of attempts) {
    const list = byDelivery.get(a.delivery_id) ?? [];
    list.push({ attempt: a.attempt, at: a.at, status_code: a.status_code, error: a.error, duration_ms: a.duration_ms });
    byDelivery.set(a.delivery_id, list);
  }
  const latest = new Map((await repo.latestAccesses(ctx.store.db, 'notify_incidents', page.flatMap((r) => (r.incident_id === null ? [] : [r.incident_id])))).map((l) => [l.id, accessOf(l.access)]));
  const latestAssistance = new Map((await repo.latestAccesses(ctx.store.db, 'notify_assistance', page.flatMap((r) => (r.assistance_id === null ? [] : [r.assistance_id])))).map((l) => [l.id, accessOf(l.access)]));
  const mayHearOfAssistance = hearsOfAssistance(ctx, actor);
  const deliveries = page.map((row): Delivery => {
    const newest = row.incident_id === null ? undefined : latest.get(row.incident_id);
    const readable = row.incident_id !== null && row.incident_version !== null && row.access !== null && canReadRecord(actor, accessOf(row.access)) && (!newest || canReadRecord(actor, newest));
    const newestAssistance = row.assistance_id === null ? undefined : latestAssistance.get(row.assistance_id);
    const assistanceReadable = mayHearOfAssistance && row.assistance_key !== null && row.access !== null && canReadRecord(actor, accessOf(row.access)) && (!newestAssistance || canReadRecord(actor, newestAssistance));
    return {
      id: row.id,
      channel: row.channel as Channel,
      event: row.event as NotifyEvent,
      incident: readable ? { id: row.incident_id!, version: Number(row.incident_version) } : null,
      assistance: assistanceReadable ? { record: row.assistance_record!, id: row.assistance_id!, request_id: row.assistance_request_id!, change: row.assistance_change!, milestone: row.assistance_milestone } : null,
      status: row.status as DeliveryStatus,
      last_status_code: row.last_status_code,
      last_error: row.last_error,
      next_attempt_at: row.next_attempt_at,
      attempts: byDelivery.get(row.id) ?? [],
      created: row.created,
      modified: row.modified,
    };
  });
  const last = page.at(-1);
  return { deliveries, next_cursor: rows.length > limit && last ? Buffer.from(`${last.created}|${last.id}`).toString('base64url') : null };
}

// --- dispatch --------------------------------------------------------------------------------------

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** The change a dispatch job carries, checked (a job's payload is read back from the store). */
export function parseChange(payload: unknown): IncidentChange {
  const c = payload as Partial<IncidentChange> | null;
  const access = c?.access as Partial<RecordAccess> | undefined;
  const ok =
    c !== null && typeof c === 'object' &&
    typeof c.id === 'string' && Number.isInteger(c.version) && (c.change === 'created' || c.change === 'updated') &&
    typeof c.title === 'string' && typeof c.status === 'string' && (c.level === null || Number.isInteger(c.level)) &&
    typeof c.significant === 'boolean' && isStringArray(c.sectors) && (c.member === null || typeof c.member === 'string') &&
    isStringArray(c.linked) && typeof c.modified === 'string' && (c.source === 'local' || c.source === 'peer') &&
    access !== undefined && typeof access === 'object' && Number.isInteger(access.classification) && isStringArray(access.releasability) && isStringArray(access.recipients);
  if (!ok) throw new Error('the payload of a notify.dispatch job is not an incident change');
  return c as IncidentChange;
}

const ASSISTANCE_RECORDS: ReadonlyArray<AssistanceChange['record']> = ['request', 'offer', 'deployment'];

/** The assistance change a dispatch job carries, checked (a job's payload is read back from the store). */
export function parseAssistanceChange(payload: unknown): AssistanceChange {
  const c = payload as Partial<AssistanceChange> | null;
  const access = c?.access as Partial<RecordAccess> | undefined;
  const ok =
    c !== null && typeof c === 'object' &&
    ASSISTANCE_RECORDS.includes(c.record as AssistanceChange['record']) && typeof c.id === 'string' && typeof c.request_id === 'string' && typeof c.incident_id === 'string' &&
    typeof c.change === 'string' && Object.hasOwn(ASSISTANCE_CHANGE_WORDS, c.change) &&
    typeof c.title === 'string' && typeof c.status === 'string' && (URGENCIES as readonly unknown[]).includes(c.urgency) &&
    (c.requesting_member === null || typeof c.requesting_member === 'string') &&
    (c.milestone === undefined || (MILESTONES as readonly unknown[]).includes(c.milestone)) && typeof c.modified === 'string' &&
    (c.whole_only === undefined || c.whole_only === true) &&
    access !== undefined && typeof access === 'object' && Number.isInteger(access.classification) && isStringArray(access.releasability) && isStringArray(access.recipients);
  if (!ok) throw new Error(`the payload of a ${ASSISTANCE_DISPATCH_KIND} job is not an assistance change`);
  return c as AssistanceChange;
}

/** Does the incident link an indicator that a sighting created by the reader's member is of? Read as the reader may read them. */
async function linksSightingOf(ctx: AppContext, reader: Principal, linked: readonly string[]): Promise<boolean> {
  const identity = reader.member?.identityId;
  const indicators = linkedIndicators(linked);
  if (!identity || indicators.length === 0) return false;
  const wanted = new Set(indicators);
  const { objects } = await objectsAbout(ctx, reader, 'sighting', indicators);
  return objects.some((sighting) => sighting.created_by_ref === identity && typeof sighting.sighting_of_ref === 'string' && wanted.has(sighting.sighting_of_ref));
}

/** The linked ids the reader may read: the others are not told of, not even by id. */
async function readableLinks(ctx: AppContext, reader: Principal, linked: readonly string[]): Promise<Set<string>> {
  if (linked.length === 0) return new Set();
  return new Set((await objectsByIds(ctx, reader, [...new Set(linked)])).keys());
}

function channelsOf(row: repo.SubscriptionRow): Channel[] {
  return CHANNELS.filter((channel) => (channel === 'webhook' ? row.webhook_url !== null : row.email !== null));
}

/** A delivery's job key: its subscriber ('@' + user name: no ':' in a user name), subscription, channel and id. */
function deliverKey(owner: string, subscription: string, channel: string, deliveryId: string): string {
  return `${DELIVER_KIND}:@${owner}:${subscription}:${channel}:${deliveryId}`;
}

/**
 * The group of a delivery's job (see JobKindOptions.groupOf): its subscriber, whose deliveries a
 * node sends one at a time, so that receivers that never answer (10 s an attempt) hold one of
 * the DELIVERY_CONCURRENCY places however many subscriptions their subscriber made, and the
 * other subscribers' deliveries go on in the other. Keys of earlier versions: the subscription
 * and channel (four parts), or the delivery alone (none).
 */
export function deliveryGroup(key: string): string | undefined {
  const parts = key.split(':');
  if (parts[0] !== DELIVER_KIND) return undefined;
  if (parts.length === 5 && parts[1]!.startsWith('@')) return `${parts[0]}:${parts[1]}:`;
  return parts.length === 4 ? `${parts[0]}:${parts[1]}:${parts[2]}:` : undefined;
}

/**
 * Stores a delivery per channel of the subscription (once: a dispatch run again finds them) and
 * makes sure each one still waiting has its job.
 */
async function storeDeliveries(
  ctx: AppContext,
  jobs: JobScheduler,
  row: repo.SubscriptionRow,
  channels: readonly Channel[],
  what: { event: NotifyEvent; incident: { id: string; version: number } | null; assistance?: { key: string } & DeliveredAssistance; access: RecordAccess | null; body: (deliveryId: string) => WebhookBody },
): Promise<repo.DeliveryRow[]> {
  const stored: repo.DeliveryRow[] = [];
  for (const channel of channels) {
    const id = randomUUID();
    const now = ctx.clock.now().toISOString();
    const waiting = await repo.waitingCount(ctx.store.db, row.id, channel, WAITING_PER_CHANNEL);
    const full = waiting >= WAITING_PER_CHANNEL;
    const { row: delivery } = await repo.insertDelivery(ctx.store.db, {
      id,
      subscription_id: row.id,
      channel,
      event: what.event,
      incident_id: what.incident?.id ?? null,
      incident_version: what.incident?.version ?? null,
      assistance_key: what.assistance?.key ?? null,
      assistance_record: what.assistance?.record ?? null,
      assistance_id: what.assistance?.id ?? null,
      assistance_request_id: what.assistance?.request_id ?? null,
      assistance_change: what.assistance?.change ?? null,
      assistance_milestone: what.assistance?.milestone ?? null,
      payload: JSON.stringify(what.body(id)),
      access: what.access === null ? null : JSON.stringify(what.access),
      status: full ? 'failed' : 'pending',
      attempts: 0,
      last_status_code: null,
      last_error: full ? `not sent: ${WAITING_PER_CHANNEL} deliveries of this ${channel} are waiting already, the most kept; its receiver answers slowly or not at all: check it, or disable the subscription` : null,
      next_attempt_at: now,
      created: now,
      modified: now,
    });
    if (delivery.status === 'pending') await jobs.enqueue(DELIVER_KIND, { delivery: delivery.id }, { key: deliverKey(row.owner, row.id, delivery.channel, delivery.id) });
    stored.push(delivery);
  }
  await repo.pruneDeliveries(ctx.store.db, row.id, DELIVERIES_KEPT);
  return stored;
}

/** Announces a change: the dispatch job, one per incident version (an incident received in a bulk ingest too). */
export async function announce(jobs: JobScheduler, change: IncidentChange): Promise<void> {
  await jobs.enqueue(DISPATCH_KIND, change, { key: `${DISPATCH_KIND}:${change.id}:${change.version}:${change.modified}`, background: true });
}

/**
 * The fan-out of one change: every enabled subscription whose filter matches and whose user may
 * read the incident gets a delivery per channel, cut to what that user may see.
 */
export async function dispatch(ctx: AppContext, jobs: JobScheduler, payload: unknown): Promise<void> {
  const change = parseChange(payload);
  await repo.noteAccess(ctx.store.db, { id: change.id, version: change.version, access: JSON.stringify(change.access), modified: change.modified });
  const event = eventOf(change);
  for await (const { row, filter, reader } of readingSubscriptions(ctx, subscriberOf, change.access, (filter) => matchesWithoutSightings(filter, change))) {
    if (filter.linked_to_my_sightings === true && !(await linksSightingOf(ctx, reader, change.linked))) continue;
    const notice = noticeOf(change, await readableLinks(ctx, reader, change.linked), ctx.config.notifyContentLevel);
    await storeDeliveries(ctx, jobs, row, channelsOf(row), {
      event,
      incident: { id: change.id, version: change.version },
      access: change.access,
      body: (delivery) => ({ event: event as 'incident.created' | 'incident.updated', delivery, subscription: row.id, incident: notice }),
    });
  }
}

/**
 * The enabled subscriptions, page by page, whose filter matches a change and whose user may read
 * the changed record (and hears of the change), with that user (read once per dispatch, however many subscriptions it
 * holds; undefined from `subscriber`: it hears of nothing).
 */
async function* readingSubscriptions(
  ctx: AppContext,
  subscriber: (ctx: AppContext, owner: string) => Promise<Principal | undefined>,
  access: RecordAccess,
  matches: (filter: SubscriptionFilter) => boolean,
  hears: (reader: Principal) => boolean = () => true,
): AsyncGenerator<{ row: repo.SubscriptionRow; filter: SubscriptionFilter; reader: Principal }> {
  const readers = new Map<string, Promise<Principal | undefined>>();
  let after = '';
  for (;;) {
    const page = await repo.enabledSubscriptions(ctx.store.db, after, DISPATCH_PAGE);
    if (page.length === 0) break;
    for (const row of page) {
      after = row.id;
      const filter = JSON.parse(row.filter) as SubscriptionFilter;
      if (!matches(filter)) continue;
      if (!readers.has(row.owner)) readers.set(row.owner, subscriber(ctx, row.owner));
      const reader = await readers.get(row.owner)!;
      // The one rule decides: no rule of this module's own.
      if (!reader || !canReadRecord(reader, access) || !hears(reader)) continue;
      yield { row, filter, reader };
    }
  }
}

/** What names one assistance change: its record, when it was modified, the change and (overdue) the clock. */
function assistanceKey(change: AssistanceChange): string {
  return `${change.record}:${change.id}:${change.modified}:${change.change}:${change.milestone ?? ''}`;
}

/** Announces an assistance change: the dispatch job, one per change (a repeat of the event stores nothing more). */
export async function announceAssistance(jobs: JobScheduler, change: AssistanceChange): Promise<void> {
  await jobs.enqueue(ASSISTANCE_DISPATCH_KIND, change, { key: `${ASSISTANCE_DISPATCH_KIND}:${assistanceKey(change)}` });
}

/**
 * The fan-out of one assistance change: every enabled subscription that asks for it (filter
 * `assistance`, `members`) and whose user holds assistance:read and may read the changed record
 * gets a delivery per channel, by reference when the record's content stays on the node.
 */
export async function dispatchAssistance(ctx: AppContext, jobs: JobScheduler, payload: unknown): Promise<void> {
  const change = parseAssistanceChange(payload);
  await repo.noteAssistanceAccess(ctx.store.db, { id: change.id, access: JSON.stringify(change.access), modified: change.modified });
  const event = assistanceEventOf(change);
  const notice = assistanceNoticeOf(change, ctx.config.notifyContentLevel);
  const delivered: { key: string } & DeliveredAssistance = { key: assistanceKey(change), record: change.record, id: change.id, request_id: change.request_id, change: change.change, milestone: change.milestone ?? null };
  const hears = (reader: Principal): boolean => hearsOfChange(reader, change, (who, permission) => ctx.permissions.has(who, permission));
  for await (const { row } of readingSubscriptions(ctx, assistanceSubscriberOf, change.access, (filter) => assistanceMatches(filter, change), hears)) {
    await storeDeliveries(ctx, jobs, row, channelsOf(row), {
      event,
      incident: null,
      assistance: delivered,
      access: change.access,
      body: (delivery) => ({ event, delivery, subscription: row.id, assistance: notice }),
    });
  }
}

/** A test delivery on each channel of the subscription (or the one named): refused while one is still waiting. */
export async function testSubscription(ctx: AppContext, jobs: JobScheduler, actor: Principal, id: string, channel?: Channel): Promise<Delivery[]> {
  const row = await ownSubscription(ctx, actor, id);
  const channels = channelsOf(row).filter((c) => channel === undefined || c === channel);
  if (channels.length === 0) throw shieldwallError('BAD_REQUEST', channel ? `the subscription has no ${channel} channel to test` : 'the subscription has no channel to test');
  const waiting = (await repo.pendingDeliveries(ctx.store.db, id, 'test')).filter((d) => channels.includes(d.channel as Channel));
  if (waiting.length > 0) throw shieldwallError('CONFLICT', `a test delivery of this subscription is still waiting (${waiting.map((d) => `${d.channel}: ${d.id}`).join(', ')}); see GET /api/v1/subscriptions/${id}/deliveries`);
  const stored = await storeDeliveries(ctx, jobs, row, channels, {
    event: 'test',
    incident: null,
    access: null,
    body: (delivery) => ({ event: 'test', delivery, subscription: row.id, message: testMessage(row.name) }),
  });
  return stored.map((d) => ({
    id: d.id,
    channel: d.channel as Channel,
    event: 'test',
    incident: null,
    assistance: null,
    status: d.status as DeliveryStatus,
    last_status_code: null,
    last_error: null,
    next_attempt_at: d.next_attempt_at,
    attempts: [],
    created: d.created,
    modified: d.modified,
  }));
}

// --- delivery --------------------------------------------------------------------------------------

/** A delivery attempt that did not reach its receiver: the job is retried (or failed) by the scheduler. */
export class DeliveryFailed extends Error {
  override readonly name = 'DeliveryFailed';
}

async function end(ctx: AppContext, id: string, status: DeliveryStatus, reason: string | null): Promise<void> {
  const now = ctx.clock.now().toISOString();
  await repo.updateDelivery(ctx.store.db, id, { status, last_error: reason, next_attempt_at: null, modified: now });
}

/** The newest access heard of the delivery's incident or assistance record (a re-marking since it was stored); undefined for a test or when none. */
async function newestAccess(ctx: AppContext, delivery: repo.DeliveryRow): Promise<RecordAccess | undefined> {
  if (delivery.access === null) return undefined;
  const [latest] =
    delivery.assistance_id !== null ? await repo.latestAccesses(ctx.store.db, 'notify_assistance', [delivery.assistance_id])
    : delivery.incident_id !== null ? await repo.latestAccesses(ctx.store.db, 'notify_incidents', [delivery.incident_id])
    : [];
  return latest ? accessOf(latest.access) : undefined;
}

/** Why this reader may not receive this delivery now; undefined when it may. */
function withheldBecause(delivery: repo.DeliveryRow, newest: RecordAccess | undefined, reader: Principal | undefined): string | undefined {
  const assistance = delivery.assistance_key !== null;
  if (!reader) return `the subscriber is disabled, removed, or no longer holds ${assistance ? ASSISTANCE_PERMISSION : PERMISSION}`;
  if (delivery.access === null) return undefined;
  // The version told of, and the newest version heard of: a re-marking since holds too.
  const readable = canReadRecord(reader, accessOf(delivery.access)) && (!newest || canReadRecord(reader, newest));
  return readable ? undefined : `the subscriber may no longer read this ${assistance ? 'assistance record' : 'incident'}`;
}

/**
 * The body as it may leave the node now: a notice stored in full is cut to a reference when the
 * incident or assistance record has since been marked so that its content stays on the node
 * (externalNotice), under its newest handling.
 */
function outgoingBody(stored: string, newest: RecordAccess | undefined, contentLevel: number): string {
  if (!newest || externalNotice(newest, contentLevel) === 'full') return stored;
  const body = JSON.parse(stored) as WebhookBody;
  if (body.event === 'test') return stored;
  if ('assistance' in body) return body.assistance.notice === 'reference' ? stored : JSON.stringify({ ...body, assistance: assistanceReferenceOf(body.assistance, handlingOfAccess(newest)) });
  if (body.incident.notice === 'reference') return stored;
  return JSON.stringify({ ...body, incident: referenceOf(body.incident, handlingOfAccess(newest)) });
}

/** The mail of a body as it leaves the node. */
function mailOf(body: WebhookBody, subscriptionName: string) {
  if (body.event === 'test') return testMail(subscriptionName);
  return 'assistance' in body ? assistanceMail(body.assistance, subscriptionName) : incidentMail(body.incident, subscriptionName);
}

/**
 * One attempt of one delivery. Its subscription and its user are read again: a subscription
 * deleted, disabled or without the channel ends it unsent; a user who may no longer read the
 * incident gets nothing (withheld). A receiver that fails makes the job fail, to be retried.
 */
export async function deliver(ctx: AppContext, payload: unknown, run: JobRun): Promise<void> {
  const id = (payload as { delivery?: unknown } | null)?.delivery;
  if (typeof id !== 'string') throw new Error('the payload of a notify.deliver job names no delivery');
  const delivery = await repo.findDelivery(ctx.store.db, id);
  if (!delivery || delivery.status !== 'pending') return;
  const subscription = await repo.findSubscription(ctx.store.db, delivery.subscription_id);
  // Deleted: its deliveries went with it.
  if (!subscription) return;
  if (subscription.enabled !== 1) return end(ctx, id, 'cancelled', 'the subscription was disabled');
  const channel = delivery.channel as Channel;
  if (!channelsOf(subscription).includes(channel)) return end(ctx, id, 'cancelled', `the subscription no longer has a ${channel} channel`);
  const reader = delivery.assistance_key !== null ? await assistanceSubscriberOf(ctx, subscription.owner) : await subscriberOf(ctx, subscription.owner);
  const newest = await newestAccess(ctx, delivery);
  const withheld = withheldBecause(delivery, newest, reader);
  if (withheld) return end(ctx, id, 'withheld', withheld);

  const body = outgoingBody(delivery.payload, newest, ctx.config.notifyContentLevel);
  const event = delivery.event as NotifyEvent;
  const headers = { 'x-shieldwall-event': event, 'x-shieldwall-delivery': id };
  const started = ctx.clock.now();
  let outcome: AttemptOutcome;
  if (channel === 'webhook') {
    const secret = unseal(nodeKey(ctx.config.secretKeyFile), subscription.webhook_secret!);
    const timestamp = String(Math.floor(started.getTime() / 1000));
    const { allow, lookup } = ctx.state.get(WEBHOOK_DESTINATIONS);
    outcome = await postWebhook(subscription.webhook_url!, { ...headers, 'x-shieldwall-timestamp': timestamp, 'x-shieldwall-signature': signature(secret, timestamp, body) }, body, { allow, lookup });
  } else {
    outcome = await sendMail(ctx, subscription.email!, mailOf(JSON.parse(body) as WebhookBody, subscription.name), headers);
  }
  const now = ctx.clock.now().toISOString();
  await repo.insertAttempt(ctx.store.db, { delivery_id: id, attempt: run.attempts, at: started.toISOString(), status_code: outcome.statusCode, error: outcome.error, duration_ms: Math.max(0, Math.round(outcome.durationMs)) });
  await repo.updateDelivery(ctx.store.db, id, {
    attempts: run.attempts,
    last_status_code: outcome.statusCode,
    last_error: outcome.error,
    modified: now,
    // A destination refused stays refused: the delivery fails at once, without retries.
    ...(outcome.ok ? { status: 'delivered', next_attempt_at: null } : outcome.refused ? { status: 'failed', next_attempt_at: null } : {}),
  });
  if (outcome.refused) {
    // The operator learns which rule (a member probing the node's network shows here); the subscriber's log says no more than refused.
    ctx.logger.warn({ delivery: id, subscription: subscription.id, rule: outcome.refused.rule, range: outcome.refused.range }, `webhook not sent: its destination is not allowed (${WEBHOOK_ALLOW_SETTING})`);
    return;
  }
  if (!outcome.ok) throw new DeliveryFailed(outcome.error ?? 'not delivered');
  // A delivery of a classified incident or assistance record is a read by its subscriber, audited as reads are.
  if (delivery.access !== null && accessOf(delivery.access).classification >= ctx.config.auditReadLevel) {
    const detail = delivery.assistance_id !== null
      ? { subscription: subscription.id, delivery: id, channel, record: delivery.assistance_record, request: delivery.assistance_request_id, change: delivery.assistance_change }
      : { subscription: subscription.id, delivery: id, channel, version: delivery.incident_version };
    await audit.record(ctx, reader, [{ action: 'notify.delivered', subject: (delivery.assistance_id ?? delivery.incident_id)!, detail }]);
  }
}

/** A failed attempt: the delivery says when the next is due, or that it failed for good. */
export async function deliveryFailed(ctx: AppContext, run: JobRun, error: unknown, retryInMs: number | undefined): Promise<void> {
  const id = run.key?.startsWith(`${DELIVER_KIND}:`) ? run.key.slice(run.key.lastIndexOf(':') + 1) : undefined;
  const reason = error instanceof Error ? error.message : String(error);
  const now = ctx.clock.now();
  if (id !== undefined) {
    await repo.updateDelivery(ctx.store.db, id, retryInMs === undefined
      ? { status: 'failed', next_attempt_at: null, last_error: reason.slice(0, 500), modified: now.toISOString() }
      : { next_attempt_at: new Date(now.getTime() + retryInMs).toISOString(), last_error: reason.slice(0, 500), modified: now.toISOString() });
  }
  // Neither the URL nor the address is logged: the delivery log shows them to their owner.
  const fields = { delivery: id, job: run.id, attempts: run.attempts, error: reason.slice(0, 500) };
  if (retryInMs === undefined) ctx.logger.error(fields, 'notification not delivered: its attempts are spent');
  else ctx.logger.warn({ ...fields, retryInMs }, 'notification not delivered; retrying');
}
