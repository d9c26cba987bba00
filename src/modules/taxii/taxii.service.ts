/**
 * TAXII 2.1 use cases over the intel store: discovery, the API root, collections (configured
 * views) and paged reads. Everything a collection returns comes from the intel service, so it
 * has passed the need-to-know rule and redaction.
 */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { Principal } from '../../policy/principal.js';
import { isTimestamp } from '../../stix/timestamp.js';
import type { StixObject } from '../../stix/types.js';
import { randomUUID } from 'node:crypto';
import { EVERYONE, isObjectRecord } from '../../policy/markings.js';
import type { ObjectAccess } from '../../policy/rule.js';
import * as intel from '../intel/intel.service.js';
import * as federation from '../federation/federation.service.js';
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
  const fraction = value.length > 20 ? value.slice(20, -1) : '';
  return Date.parse(`${value.slice(0, 19)}Z`) * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
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


/**
 * Add Objects: the envelope's objects go through the node's one ingest pipeline as the caller
 * (validation, markings, need-to-know on writes, audit). Objects stored now or already stored
 * are successes (a duplicate is not an error); the rest are failures with the reason.
 */
export async function addObjects(ctx: AppContext, actor: Principal, collection: string, envelope: unknown): Promise<Status> {
  const target = await findCollection(ctx, actor, collection);
  if (!target.can_write) throw shieldwallError('FORBIDDEN', `you may not add objects to collection ${target.alias}`);
  if (!isObjectRecord(envelope) || !Array.isArray(envelope.objects)) {
    throw shieldwallError('INVALID_BUNDLE', 'the body must be a TAXII envelope: {"objects": [ ...STIX objects... ]}');
  }
  const objects = envelope.objects as unknown[];
  const requested = ctx.clock.now();
  const successes: StatusDetail[] = [];
  const failures: StatusDetail[] = [];
  const received: Array<{ id: string; version: string }> = [];
  await intel.ingestObjects(ctx, actor, objects, {
    onOutcome: (outcome) => {
      const sent = objects[outcome.index];
      const id = outcome.id ?? (isObjectRecord(sent) && typeof sent.id === 'string' ? sent.id : `(object ${outcome.index})`);
      const detail = { id, version: federation.versionOf(sent) };
      if (outcome.status === 'rejected') failures.push({ ...detail, message: (outcome.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ') || 'rejected' });
      else {
        successes.push(outcome.status === 'duplicate' ? { ...detail, message: 'already stored' } : detail);
        if (outcome.id && outcome.version !== undefined) received.push({ id: outcome.id, version: outcome.version });
      }
    },
  });
  // What a peer node pushed is on record as delivered by it: provenance, and never sent back.
  if (actor.kind === 'peer') await federation.recordReceipts(ctx, actor.name, received);
  const status: Status = {
    id: randomUUID(),
    status: 'complete',
    request_timestamp: taxiiTimestamp(requested.getTime() * 1000),
    total_count: objects.length,
    success_count: successes.length,
    ...(successes.length > 0 ? { successes } : {}),
    failure_count: failures.length,
    ...(failures.length > 0 ? { failures } : {}),
    pending_count: 0,
  };
  await repo.insertStatus(
    ctx.store,
    { id: status.id, owner: ownerOf(actor), created_at: requested.toISOString(), body: JSON.stringify(status) },
    new Date(requested.getTime() - STATUS_KEEP_MS).toISOString(),
  );
  return status;
}

/** A status resource, for the principal that made the request only. */
export async function getStatus(ctx: AppContext, actor: Principal, id: string): Promise<Status> {
  const found = await repo.findStatus(ctx.store, id);
  if (!found || found.owner !== ownerOf(actor)) throw shieldwallError('NOT_FOUND', `no status ${id} (statuses are kept for 7 days, for the requester only)`);
  return JSON.parse(found.body) as Status;
}

/** Delete an Object: all its versions, or those match[version] names (need-to-know decides who may). */
export async function deleteObject(ctx: AppContext, actor: Principal, collection: string, id: string, versionMatch: string | undefined): Promise<void> {
  const target = await findCollection(ctx, actor, collection);
  if (!target.can_write) throw shieldwallError('FORBIDDEN', `you may not delete from collection ${target.alias}`);
  await intel.deleteObject(ctx, actor, id, versionMatch === undefined ? { all: true } : parseVersionMatch(versionMatch), target.within);
}
