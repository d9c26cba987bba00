/**
 * TAXII 2.1 use cases over the intel store: discovery, the API root, collections (configured
 * views) and paged reads. Everything a collection returns comes from the intel service, so it
 * has passed the need-to-know rule and redaction.
 */
import type { AppContext } from '../../core/context.js';
import { ERRORS, ShieldwallError, shieldwallError } from '../../core/errors.js';
import type { Principal } from '../../policy/principal.js';
import { isTimestamp, timestampToEpochMicros } from '../../stix/timestamp.js';
import type { StixObject } from '../../stix/types.js';
import { randomUUID } from 'node:crypto';
import { EVERYONE } from '../../policy/markings.js';
import type { ObjectAccess } from '../../policy/rule.js';
import * as intel from '../intel/intel.service.js';
import * as federation from '../federation/federation.service.js';
import { EnvelopeBody, type SentObject } from './taxii.envelope.js';
import * as repo from './taxii.repo.js';

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';
/** The node's one API root, under /taxii2/. */
export const API_ROOT = 'intel';
/** Objects per page unless the client asks for fewer. */
export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 10000;

export interface Collection {
  id: string;
  title: string;
  description: string;
  alias: string;
  can_read: boolean;
  can_write: boolean;
  media_types: string[];
}

/** The built-in collection: everything the caller may read. */
const ALL_INTEL = {
  id: '6f8a2c52-6f4d-4b57-9b0e-7d2f3c1a9e10',
  alias: 'intel',
  title: 'Intelligence you may read',
  description: 'The newest version of every object of this node that your member, groups and clearance entitle you to, in the order added.',
  audience: null as string[] | null,
};

type CollectionDefinition = typeof ALL_INTEL;

async function definitions(ctx: AppContext): Promise<CollectionDefinition[]> {
  const configured = await repo.listCollections(ctx.store);
  return [ALL_INTEL, ...configured.map((c) => ({ ...c, audience: c.audience === null ? null : c.audience.split(',').filter((e) => e !== '') }))];
}

function present(ctx: AppContext, actor: Principal, c: CollectionDefinition): Collection {
  return {
    id: c.id,
    title: c.title,
    description: c.description,
    alias: c.alias,
    can_read: ctx.permissions.has(actor, 'intel:read'),
    can_write: ctx.permissions.has(actor, 'intel:write'),
    media_types: [STIX_MEDIA_TYPE],
  };
}

export async function listCollections(ctx: AppContext, actor: Principal): Promise<Collection[]> {
  return (await definitions(ctx)).map((c) => present(ctx, actor, c));
}

/** The collection by id or alias, or a 404 (also for a collection the caller may not read). */
export async function findCollection(ctx: AppContext, actor: Principal, idOrAlias: string): Promise<Collection & { within?: (access: ObjectAccess) => boolean }> {
  const found = (await definitions(ctx)).find((c) => c.id === idOrAlias || c.alias === idOrAlias);
  const collection = found && present(ctx, actor, found);
  if (!found || !collection?.can_read) throw shieldwallError('NOT_FOUND', `no collection '${idOrAlias}' on this API root`);
  const audience = found.audience;
  // A view keeps the objects released to everyone or to one of its audience entries.
  return audience === null ? collection : { ...collection, within: (access) => access.releasability.some((e) => e === EVERYONE || audience.includes(e)) };
}

/** Adds a collection: a view of the objects released to its audience (node administrators). */
export async function createCollection(
  ctx: AppContext,
  actor: Principal,
  input: { alias: string; title: string; description?: string; audience: string[] | null },
): Promise<Collection> {
  if (!ctx.permissions.has(actor, 'directory:write') || !actor.roles.includes('node-admin')) {
    if (actor.kind !== 'system') throw shieldwallError('FORBIDDEN', 'only a node administrator adds collections');
  }
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(input.alias)) throw shieldwallError('BAD_REQUEST', `alias '${input.alias}' is not valid: lower-case letters, digits and '-'`);
  if ((await definitions(ctx)).some((c) => c.alias === input.alias)) throw shieldwallError('CONFLICT', `a collection with alias '${input.alias}' exists already`);
  const definition = { id: randomUUID(), alias: input.alias, title: input.title, description: input.description ?? '', audience: input.audience };
  await repo.insertCollection(ctx.store, { ...definition, audience: input.audience === null ? null : `,${input.audience.join(',')},`, created_at: ctx.clock.now().toISOString() });
  return present(ctx, actor, definition);
}

/** A TAXII timestamp of a date_added seq: microsecond precision, as TAXII asks for date_added. */
export function taxiiTimestamp(micros: number): string {
  const millis = Math.floor(micros / 1000);
  return `${new Date(millis).toISOString().slice(0, 19)}.${String(micros % 1_000_000).padStart(6, '0')}Z`;
}

/** Microseconds since the epoch of a STIX/TAXII timestamp (finer digits are cut). */
export function parseTimestamp(value: string, parameter: string): number {
  if (!isTimestamp(value)) throw shieldwallError('BAD_REQUEST', `${parameter} '${value}' is not a timestamp: use e.g. 2024-05-01T00:00:00.000000Z`);
  return timestampToEpochMicros(value);
}

export type VersionMatch = { last?: boolean; first?: boolean; all?: boolean; exact?: string[] };

/** match[version] (section 3.4.1): last, first, all (alone), or STIX timestamps; none twice. */
export function parseVersionMatch(value: string | undefined): VersionMatch {
  if (value === undefined) return { last: true };
  const values = value.split(',');
  if (new Set(values).size !== values.length) throw shieldwallError('BAD_REQUEST', `match[version] names a value twice: '${value}'`);
  if (values.includes('all') && values.length > 1) throw shieldwallError('BAD_REQUEST', "match[version]=all cannot be combined with other values");
  const match: VersionMatch = {};
  for (const v of values) {
    if (v === 'last' || v === 'first' || v === 'all') match[v] = true;
    else if (isTimestamp(v)) (match.exact ??= []).push(v);
    else throw shieldwallError('BAD_REQUEST', `match[version] value '${v}' is not last, first, all or a STIX timestamp`);
  }
  return match;
}

export interface ObjectsQuery {
  versions?: VersionMatch;
  addedAfter?: string;
  limit?: number;
  next?: string;
  ids?: string[];
  types?: string[];
  /** The objects as JSON text (ObjectsPage.bodies) rather than parsed. */
  raw?: boolean;
  /** Only the id and TAXII version of each object (ObjectsPage.manifest), for manifests and version lists. */
  manifest?: boolean;
}

export interface ObjectsPage {
  objects: StixObject[];
  bodies?: string[];
  /** With ObjectsQuery.manifest: each object's id and TAXII version: modified, else created, else when it was added. */
  manifest?: Array<{ id: string; version: string }>;
  dateAdded: number[];
  next: string | undefined;
}

/** One page of the newest versions in a collection, in date_added order. */
export async function getObjects(ctx: AppContext, actor: Principal, collection: string, query: ObjectsQuery): Promise<ObjectsPage> {
  const view = await findCollection(ctx, actor, collection);
  const limit = Math.min(query.limit ?? DEFAULT_PAGE, MAX_PAGE);
  const page = await intel.listObjects(ctx, actor, {
    limit,
    ...(query.next ? { cursor: query.next } : {}),
    ...(query.addedAfter ? { addedAfterMicros: parseTimestamp(query.addedAfter, 'added_after') } : {}),
    ...(query.ids ? { ids: query.ids } : {}),
    ...(query.types ? { types: query.types } : {}),
    ...(query.versions ? { versions: query.versions } : {}),
    ...(view.within ? { within: view.within } : {}),
    ...(query.raw ? { raw: true } : {}),
    // A manifest's entries are small; a page of objects ends early past PAGE_CHARS of them.
    ...(query.manifest ? { manifest: true } : { maxChars: intel.PAGE_CHARS }),
  });
  const manifest = page.manifest?.map((entry, i) => ({ id: entry.id, version: entry.version ?? taxiiTimestamp(page.dateAdded[i]!) }));
  return { objects: page.objects, ...(page.bodies ? { bodies: page.bodies } : {}), ...(manifest ? { manifest } : {}), dateAdded: page.dateAdded, next: page.next };
}

/** Status resources are kept for a week (TAXII asks for at least 24 hours). */
const STATUS_KEEP_MS = 7 * 86_400_000;
/**
 * Status resources kept per requester: the newest ones; older ones go as new ones are stored. A
 * client polling a status for the 24 hours TAXII asks for (4.3) would have made 1,000 more Add
 * Objects requests meanwhile.
 */
export const STATUSES_PER_OWNER = 1000;
/**
 * Details listed in each list of a status, successes and failures: the first ones, in the order
 * of their outcomes. The counts stay exact; TAXII 2.1 section 4.3.1 makes the lists optional (a
 * status "MAY contain the status of individual objects"), and a list of every object of a 64 MiB
 * envelope made a status of some 20 MB, stored for a week.
 */
export const STATUS_DETAILS_MAX = 1000;
/**
 * Characters of details (as stored, JSON) each list of a status holds at most: 1,000 details of
 * ordinary objects fit (about 100 to 250 characters each), while details of crafted ones (ids and
 * timestamps as long as the cuts below allow, messages of 500) made a status of 1.2 MB out of a
 * 1.9 MB request, kept for a week, a thousand per requester.
 */
export const STATUS_DETAIL_CHARS = 256 * 1024;
/** An id longer than any STIX id (a type of at most 250 characters, "--" and a UUID) is cut here. */
const DETAIL_ID_MAX = 300;
/** A version longer than any STIX timestamp (RFC 3339, any number of fraction digits the node keeps) is cut here. */
const DETAIL_VERSION_MAX = 64;
/** A failure's message (its problems joined) is cut here. */
const DETAIL_MESSAGE_MAX = 500;

export interface StatusDetail {
  id: string;
  version: string;
  message?: string;
}

export interface Status {
  id: string;
  status: 'complete' | 'pending';
  request_timestamp: string;
  total_count: number;
  success_count: number;
  successes?: StatusDetail[];
  failure_count: number;
  failures?: StatusDetail[];
  pending_count: number;
}

function ownerOf(actor: Principal): string {
  return `${actor.kind}:${actor.userName ?? actor.name}`;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/**
 * The STIX timestamp of a version key (intel.versionKey: nine fractional digits), to the
 * millisecond at least: for an object the envelope scan did not note (it always notes those of a
 * well-formed envelope).
 */
function versionOfKey(key: string | undefined): string {
  if (!key) return '';
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})(\d*?)0*Z$/.exec(key);
  return match ? `${match[1]}${match[2]}Z` : key;
}

/** The outcomes of an Add Objects request as its status counts and lists them. */
class StatusTally {
  total = 0;
  successCount = 0;
  failureCount = 0;
  readonly successes: StatusDetail[] = [];
  readonly failures: StatusDetail[] = [];
  /** Characters of each list's details so far (STATUS_DETAIL_CHARS). */
  readonly #chars = { successes: 0, failures: 0 };

  add(outcome: intel.ObjectOutcome, sent: SentObject | undefined): void {
    this.total++;
    const rejected = outcome.status === 'rejected';
    if (rejected) this.failureCount++;
    else this.successCount++;
    const which = rejected ? 'failures' : 'successes';
    const list = this[which];
    if (list.length >= STATUS_DETAILS_MAX || this.#chars[which] >= STATUS_DETAIL_CHARS) return;
    const detail: StatusDetail = {
      id: cut(outcome.id ?? sent?.id ?? `(object ${outcome.index})`, DETAIL_ID_MAX),
      version: cut(sent?.version ?? versionOfKey(outcome.version), DETAIL_VERSION_MAX),
    };
    if (rejected) detail.message = cut((outcome.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ') || 'rejected', DETAIL_MESSAGE_MAX);
    else if (outcome.status === 'duplicate') detail.message = 'already stored';
    const chars = JSON.stringify(detail).length + 1;
    // The detail that would pass the bound is left out, and so are those after it.
    if (this.#chars[which] + chars > STATUS_DETAIL_CHARS) {
      this.#chars[which] = STATUS_DETAIL_CHARS;
      return;
    }
    this.#chars[which] += chars;
    list.push(detail);
  }

  status(id: string, requested: Date): Status {
    return {
      id,
      status: 'complete',
      request_timestamp: taxiiTimestamp(requested.getTime() * 1000),
      total_count: this.total,
      success_count: this.successCount,
      ...(this.successes.length > 0 ? { successes: this.successes } : {}),
      failure_count: this.failureCount,
      ...(this.failures.length > 0 ? { failures: this.failures } : {}),
      pending_count: 0,
    };
  }
}

/**
 * Add Objects: the envelope's objects go through the node's one ingest pipeline as the caller
 * (validation, markings, need-to-know on writes, audit), read from the body as it arrives (in a
 * worker thread with `parallel`, for a large body): the body is never parsed whole on this
 * thread (taxii.envelope.ts). Objects stored now or already stored are successes (a duplicate is
 * not an error); the rest are failures with the reason.
 *
 * A body refused once objects of it were processed (past the limit, bytes not UTF-8, cut short)
 * keeps what was accepted: the error says so and names the status that lists those objects.
 */
export async function addObjects(ctx: AppContext, actor: Principal, collection: string, body: AsyncIterable<Uint8Array>, options: { parallel?: boolean } = {}): Promise<Status> {
  const target = await findCollection(ctx, actor, collection);
  if (!target.can_write) throw shieldwallError('FORBIDDEN', `you may not add objects to collection ${target.alias}`);
  const requested = ctx.clock.now();
  const envelope = new EnvelopeBody(ctx.config.bodyLimitBytes);
  const tally = new StatusTally();
  const received: Array<{ id: string; version: string }> = [];
  const peer = actor.kind === 'peer';
  const keep = async (): Promise<Status> => {
    // What a peer node pushed is on record as delivered by it: provenance, and never sent back.
    if (peer) await federation.recordReceipts(ctx, actor.name, received);
    const status = tally.status(randomUUID(), requested);
    await repo.insertStatus(
      ctx.store,
      { id: status.id, owner: ownerOf(actor), created_at: requested.toISOString(), body: JSON.stringify(status) },
      { keepAfter: new Date(requested.getTime() - STATUS_KEEP_MS).toISOString(), perOwner: STATUSES_PER_OWNER },
    );
    return status;
  };
  let streamErrors: string[];
  try {
    ({ streamErrors } = await intel.ingestStream(ctx, actor, envelope.chunks(body), {
      parallel: options.parallel === true,
      maxObjects: ctx.config.objectsPerRequest,
      onOutcome: (outcome) => {
        tally.add(outcome, envelope.claim(outcome.index));
        if (peer && outcome.status !== 'rejected' && outcome.id && outcome.version !== undefined) received.push({ id: outcome.id, version: outcome.version });
      },
    }));
  } catch (caught) {
    const error = caught instanceof intel.TooManyObjects
      ? shieldwallError('PAYLOAD_TOO_LARGE', `the envelope holds more than ${caught.limit} objects, the most one Add Objects request may (SHIELDWALL_OBJECTS_PER_REQUEST): the first ${caught.limit} were processed; send the objects after them in another request`, { limit: caught.limit })
      : caught;
    // A refusal of the body once objects of it were processed; a store that fails is answered as such.
    if (!(error instanceof ShieldwallError) || tally.total === 0) throw error;
    throw partly(error, tally, await keep());
  }
  // The envelope scan refuses what the stream reader would find wrong with the body as a whole.
  const broken = streamErrors.length > 0 ? shieldwallError('BAD_REQUEST', `the body is not JSON: ${streamErrors.join('; ')}`) : undefined;
  if (broken && tally.total === 0) throw broken;
  const status = await keep();
  if (broken) throw partly(broken, tally, status);
  return status;
}

/** A refusal that came once objects of the body were processed: it says what became of them. */
function partly(error: ShieldwallError, tally: StatusTally, status: Status): ShieldwallError {
  const done = `the ${tally.total} objects read before it were processed (${tally.successCount} accepted or already stored, ${tally.failureCount} refused) and stay so: status ${status.id} (GET /taxii2/${API_ROOT}/status/${status.id}/) lists them`;
  const definition = Object.values(ERRORS).find((d) => d.code === error.code) ?? { code: error.code, status: error.status, description: error.message };
  return new ShieldwallError(definition, `${error.message}; ${done}`);
}

/** A status resource, for the principal that made the request only. */
export async function getStatus(ctx: AppContext, actor: Principal, id: string): Promise<Status> {
  const found = await repo.findStatus(ctx.store, id);
  if (!found || found.owner !== ownerOf(actor)) throw shieldwallError('NOT_FOUND', `no status ${id} (statuses are kept for 7 days, the newest ${STATUSES_PER_OWNER} of each requester, for the requester only)`);
  return JSON.parse(found.body) as Status;
}

/** Delete an Object: all its versions, or those match[version] names (need-to-know decides who may). */
export async function deleteObject(ctx: AppContext, actor: Principal, collection: string, id: string, versionMatch: string | undefined): Promise<void> {
  const target = await findCollection(ctx, actor, collection);
  if (!target.can_write) throw shieldwallError('FORBIDDEN', `you may not delete from collection ${target.alias}`);
  await intel.deleteObject(ctx, actor, id, versionMatch === undefined ? { all: true } : parseVersionMatch(versionMatch), target.within);
}
