/**
 * Intel use cases: the ingest pipeline (stream -> parse -> validate -> markings -> batched
 * transactional writes -> outcomes) and the reads of the object store.
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import type { WriteTx } from '../../db/database.js';
import { shieldwallError } from '../../core/errors.js';
import { handlingOfMarkingDefinition, markingColumns, type HandlingMarking, type MarkingDefaults } from '../../policy/markings.js';
import { accessOfColumns, canDelete, canRead, canReadVersion, redact, submitterOf, type ObjectAccess } from '../../policy/rule.js';
import * as audit from '../audit/audit.service.js';
import * as directory from '../directory/directory.service.js';
import type { Principal } from '../../policy/principal.js';
import { StixStreamReader, type StreamHeader } from '../../stix/stream-reader.js';
import { isTimestamp } from '../../stix/timestamp.js';
import type { StixObject } from '../../stix/types.js';
import { validateObject } from '../../stix/validate.js';
import { prepareInWorker, warmWorker, type ParallelState } from './intel.parallel.js';
import { DENIAL_PATHS, decideRows } from './intel.decide.js';
import { StreamPreparer, type ObjectOutcome, type PipelineEntry, type Prepared, type PreparedObject } from './intel.prepare.js';
import * as repo from './intel.repo.js';
import {
  ROW_CREATED_BY_REF,
  ROW_ID,
  ROW_ORIGIN_MEMBER,
  ROW_SUBMITTER,
  ROW_SEQ,
  ROW_TYPE,
  ROW_VERSION,
  searchLabel,
  versionKey,
  type NewVersion,
} from './intel.rows.js';

export type { ObjectOutcome, OutcomeStatus } from './intel.prepare.js';
export { versionKey } from './intel.rows.js';

export interface IngestProgress {
  objects: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  bytes: number;
}

export interface IngestSummary extends IngestProgress {
  format: StreamHeader['format'] | 'objects';
  specVersion: string | undefined;
  upgraded: number;
  seconds: number;
  objectsPerSecond: number;
  /** Problems with the stream itself (truncation, not STIX at all), as opposed to one object. */
  streamErrors: string[];
}

/** An object version a batch stored, or found stored already. */
export interface StoredVersionRef {
  id: string;
  /** Its version key (see versionKey). */
  version: string;
}

export interface IngestOptions {
  onOutcome?: (outcome: ObjectOutcome) => void;
  onProgress?: (progress: IngestProgress) => void;
  /**
   * Runs inside each batch's write transaction with the versions it stored or found stored
   * already (not those refused), so that what the caller records of their arrival commits with
   * them, or not at all.
   */
  inTransaction?: (tx: WriteTx, versions: readonly StoredVersionRef[]) => Promise<void>;
  batchSize?: number;
}

/** Objects prepared on this thread between two turns of the event loop (see prepareHere). */
const PREPARED_PER_TURN = 256;
/**
 * A batch is written once it holds the batch size; a stream's first batch once it holds this
 * many if no batch of another stream is being written to the store: the writer starts as soon
 * as there is work for it rather than after a full batch. Later batches stay full: on SQLite each
 * commit writes out every index page its rows touched (keys of the id index land anywhere), so
 * that small batches cost more bytes per object the larger the store.
 */
const EAGER_BATCH = 2000;
/** Batches being written, by store. */
const writesInProgress = new WeakMap<object, number>();

/** Handling markings known to the node, by marking-definition id; loaded once per store. */
const handlingCache = new WeakMap<object, Map<string, HandlingMarking>>();

async function handlingTable(ctx: AppContext): Promise<Map<string, HandlingMarking>> {
  let table = handlingCache.get(ctx.store);
  if (!table) {
    table = new Map();
    for (const body of await repo.currentMarkingDefinitions(ctx.store)) {
      const definition = JSON.parse(body) as StixObject;
      table.set(definition.id, handlingOfMarkingDefinition(definition) ?? {});
    }
    handlingCache.set(ctx.store, table);
  }
  return table;
}

/** The audit record of one written batch: how many versions, their seqs, a digest of their ids. */
function ingestEvent(written: readonly NewVersion[]): audit.AuditEvent {
  const ids = new Array<string>(written.length);
  for (let i = 0; i < written.length; i++) ids[i] = written[i]![ROW_ID];
  const digest = createHash('sha256').update(ids.join('\n'));
  return {
    action: 'intel.ingest',
    subject: `${written.length} object versions`,
    detail: { versions: written.length, first_seq: written[0]![ROW_SEQ], last_seq: written[written.length - 1]![ROW_SEQ], ids_sha256: digest.digest('hex') },
  };
}

function markingDefaults(ctx: AppContext): MarkingDefaults {
  return { releasability: ctx.config.defaultReleasability };
}

function microsNow(ctx: AppContext): number {
  return ctx.clock.now().getTime() * 1000;
}

/**
 * The one ingest pipeline behind the CLI, the REST API, the demo seeding and (later) TAXII and
 * federation: prepared objects (parsed, validated, with rows) are written in batches, one batch
 * writing while the next is prepared. An object is reported accepted once its batch committed.
 */
async function runPipeline(
  ctx: AppContext,
  actor: Principal,
  prepared: AsyncIterable<Prepared[]>,
  header: () => StreamHeader | undefined,
  bytesRead: () => number,
  options: IngestOptions,
): Promise<IngestSummary> {
  const started = process.hrtime.bigint();
  const batchSize = options.batchSize ?? ctx.config.ingestBatchSize;
  const progress: IngestProgress = { objects: 0, accepted: 0, duplicate: 0, rejected: 0, bytes: 0 };
  const streamErrors: string[] = [];
  let upgraded = 0;
  let batch: PreparedObject[] = [];
  let inFlight: Promise<void> | undefined;

  const report = (outcome: ObjectOutcome) => {
    progress[outcome.status]++;
    progress.objects++;
    options.onOutcome?.(outcome);
  };

  const identityOwners = await directory.memberIdentities(ctx);
  const table = await handlingTable(ctx);
  const recompute = (body: string) => markingColumns(JSON.parse(body) as StixObject, table, markingDefaults(ctx));
  const submitter = submitterOf(actor);
  // Definitions of this stream the store refused: objects prepared against them are recomputed.
  const refusedDefinitions = new Set<string>();

  const flush = async (pending: PreparedObject[]) => {
    const rows: NewVersion[] = [];
    const owners: PreparedObject[] = [];
    for (const p of pending) {
      if (!p.row) continue;
      p.row[ROW_ORIGIN_MEMBER] = identityOwners.get(p.row[ROW_CREATED_BY_REF] ?? '') ?? null;
      p.row[ROW_SUBMITTER] = submitter;
      rows.push(p.row);
      owners.push(p);
    }
    const unresolved = new Map<NewVersion, string[]>();
    const defined: string[] = [];
    const addedToTable: string[] = [];
    const onWritten = async (tx: WriteTx, written: readonly NewVersion[], held: readonly NewVersion[]) => {
      if (written.length > 0) await audit.recordInTransaction(ctx, tx, actor, [ingestEvent(written)]);
      if (options.inTransaction) {
        const versions: StoredVersionRef[] = [];
        for (const row of written) versions.push({ id: row[ROW_ID], version: row[ROW_VERSION] });
        for (const row of held) versions.push({ id: row[ROW_ID], version: row[ROW_VERSION] });
        await options.inTransaction(tx, versions);
      }
    };
    const decide: repo.DecideRows = (tx, batch, stored) =>
      decideRows(ctx, actor, tx, batch, stored, { table, identityOwners, refusedDefinitions, unresolved, defined, addedToTable, recompute });
    let result: repo.InsertResult;
    try {
      result = rows.length > 0
        ? await repo.insertVersions(ctx.store, rows, microsNow(ctx), { unresolved, recompute }, defined, onWritten, decide)
        : { seqs: [], refused: new Map() };
    } catch (error) {
      // Nothing of the batch was stored: neither are its definitions.
      for (const id of addedToTable) table.delete(id);
      throw error;
    }
    const { seqs, refused } = result;
    for (let r = 0; r < owners.length; r++) {
      const p = owners[r]!;
      const denial = refused.get(r);
      if (denial) {
        p.outcome.status = 'rejected';
        p.outcome.errors = [{ path: DENIAL_PATHS[denial.rule] ?? '$', rule: denial.rule, message: denial.message }];
        p.row = undefined;
      }
    }
    const added: Array<{ id: string; type: string; seq: number }> = [];
    for (let r = 0; r < owners.length; r++) {
      const p = owners[r]!;
      if (!p.row) continue;
      p.outcome.version = p.row[ROW_VERSION];
      const seq = seqs[r];
      if (seq === null || seq === undefined) p.outcome.status = 'duplicate';
      else added.push({ id: p.row[ROW_ID], type: p.row[ROW_TYPE], seq });
    }
    for (const p of pending) report(p.outcome);
    const counts = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const p of pending) counts[p.outcome.status]++;
    for (const outcome of ['accepted', 'duplicate', 'rejected'] as const) if (counts[outcome] > 0) ctx.metrics.ingestObjects.inc({ outcome }, counts[outcome]);
    progress.bytes = bytesRead();
    options.onProgress?.({ ...progress });
    if (added.length > 0) ctx.bus.publish('intel.added', { objects: added });
  };

  let eager = Math.min(batchSize, EAGER_BATCH);
  const write = (pending: PreparedObject[]) => {
    writesInProgress.set(ctx.store, (writesInProgress.get(ctx.store) ?? 0) + 1);
    return flush(pending).finally(() => writesInProgress.set(ctx.store, writesInProgress.get(ctx.store)! - 1));
  };
  for await (const items of prepared) {
    for (const item of items) {
      if ('streamError' in item) {
        streamErrors.push(item.streamError);
        continue;
      }
      if (item.outcome.upgraded) upgraded++;
      batch.push(item);
    }
    if (batch.length >= batchSize || (!writesInProgress.get(ctx.store) && batch.length >= eager)) {
      const full = batch;
      batch = [];
      if (inFlight) await inFlight;
      eager = batchSize;
      inFlight = write(full);
      // Awaited before the next write; this only keeps a failure from counting as unhandled meanwhile.
      inFlight.catch(() => undefined);
    }
  }
  if (inFlight) await inFlight;
  if (batch.length > 0) await write(batch);
  progress.bytes = bytesRead();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    ...progress,
    format: header()?.format ?? 'objects',
    specVersion: header()?.specVersion,
    upgraded,
    seconds,
    objectsPerSecond: seconds > 0 ? progress.objects / seconds : progress.objects,
    streamErrors,
  };
}

/**
 * Prepares the entries on this thread, PREPARED_PER_TURN at a time with a turn of the event loop
 * between: entries cut from a chunk already read arrive as microtasks only, and the turn lets the
 * database's replies for the batch being written come in.
 */
async function* prepareHere(
  entries: AsyncIterable<PipelineEntry>,
  header: () => StreamHeader | undefined,
  handling: Map<string, HandlingMarking>,
  maxObjectBytes: number,
  defaults: MarkingDefaults,
  maxDepth: number,
): AsyncGenerator<Prepared[]> {
  const preparer = new StreamPreparer(handling, maxObjectBytes, defaults, maxDepth);
  let items: Prepared[] = [];
  for await (const entry of entries) {
    items.push(preparer.prepare(entry, header()));
    if (items.length === PREPARED_PER_TURN) {
      yield items;
      items = [];
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  if (items.length > 0) yield items;
}

/**
 * Ingests a byte stream: a bundle, a JSON array of objects, or NDJSON. With `parallel`, the
 * parsing and validation run in a worker thread while this thread writes (for large inputs).
 */
export async function ingestStream(
  ctx: AppContext,
  actor: Principal,
  chunks: AsyncIterable<Uint8Array>,
  options: IngestOptions & { parallel?: boolean } = {},
): Promise<IngestSummary> {
  // The worker starts while the node's markings are read.
  if (options.parallel) warmWorker();
  const handling = await handlingTable(ctx);
  const maxObjectBytes = ctx.config.maxObjectBytes;
  if (options.parallel) {
    const state: ParallelState = { header: undefined, bytesRead: 0 };
    return runPipeline(ctx, actor, prepareInWorker(chunks, handling, maxObjectBytes, markingDefaults(ctx), state, ctx.config.maxObjectDepth), () => state.header, () => state.bytesRead, options);
  }
  const reader = new StixStreamReader({ maxObjectBytes, maxDepth: ctx.config.maxObjectDepth });
  const header = () => reader.header;
  return runPipeline(ctx, actor, prepareHere(reader.entries(chunks), header, handling, maxObjectBytes, markingDefaults(ctx), ctx.config.maxObjectDepth), header, () => reader.bytesRead, options);
}

/** Inputs at least this large are worth a worker thread's start-up. */
export const PARALLEL_THRESHOLD_BYTES = 4 * 1024 * 1024;

/** Ingests objects already in memory (demo seeding, federation). */
export async function ingestObjects(ctx: AppContext, actor: Principal, objects: Iterable<unknown> | AsyncIterable<unknown>, options: IngestOptions = {}): Promise<IngestSummary> {
  async function* entries(): AsyncGenerator<PipelineEntry> {
    let index = 0;
    for await (const value of objects) yield { kind: 'value', index: index++, value };
  }
  const handling = await handlingTable(ctx);
  return runPipeline(ctx, actor, prepareHere(entries(), () => undefined, handling, ctx.config.maxObjectBytes, markingDefaults(ctx), ctx.config.maxObjectDepth), () => undefined, () => 0, options);
}

export interface ObjectPage {
  /** The objects (empty when the bodies were asked for instead, see ListInput.raw). */
  objects: StixObject[];
  /** With ListInput.raw: the JSON text of each object as the actor may see it. */
  bodies?: string[];
  /** With ListInput.manifest: the id and version (modified, else created, else null) of each object as the actor may see it. */
  manifest?: Array<{ id: string; version: string | null }>;
  /** date_added of each object, in microseconds since the epoch (its seq). */
  dateAdded: number[];
  next: string | undefined;
  /**
   * The date_added (seq) up to which this page covers the store: its last object when more
   * follows, else the last stored version looked at, readable or not. For the node's own cursors
   * (federation push); never shown to a reader.
   */
  lastSeq: number | undefined;
}

const STIX_ID = /^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function parseBody(body: string): StixObject {
  return JSON.parse(body) as StixObject;
}

/** Redaction keeps objects valid STIX: what would not be is withheld (see policy redact). */
const isValidStix = (object: StixObject): boolean => validateObject(object).ok;

/**
 * Whether a stored body may hold granular markings. Bodies are stored canonical (see
 * intel.prepare), so the key is found as written; a body with a \u escape (stored before that)
 * is parsed to be sure.
 */
function mayHaveGranularMarkings(body: string): boolean {
  return body.includes('"granular_markings"') || body.includes('\\u');
}

interface Visible {
  /** The object as the actor may see it; undefined when only the text was asked for and it is the stored body. */
  object: StixObject | undefined;
  /** Its JSON text, when asked for. */
  text: string | undefined;
  /** Granular markings removed something (the object is then given). */
  redacted: boolean;
}

/**
 * The row as the actor may see it, or undefined: need-to-know (canRead) on the stored marking
 * columns, then redaction of granular markings (which may withhold the object). Every read of
 * an object body goes through here. `asText`: the JSON text is wanted, and the body is passed on
 * as stored unless a granular marking may hide a part of it (saves parsing and serialising
 * every object of a page that is passed on as it is: TAXII, export).
 */
async function visibleRow(ctx: AppContext, actor: Principal, row: repo.StoredVersion, audited: string[] | undefined, asText: boolean): Promise<Visible | undefined> {
  const access = accessOfColumns(row);
  if (!canRead(actor, access)) return undefined;
  const audit = audited !== undefined && access.classification >= ctx.config.auditReadLevel;
  if (asText && !audit && !mayHaveGranularMarkings(row.body)) return { object: undefined, text: row.body, redacted: false };
  const parsed = parseBody(row.body);
  const object = redact(actor, parsed, await handlingTable(ctx), markingDefaults(ctx), isValidStix);
  if (!object) return undefined;
  if (audit) audited.push(object.id);
  const redacted = object !== parsed;
  return { object, text: asText ? (redacted ? JSON.stringify(object) : row.body) : undefined, redacted };
}

/** The object as the actor may see it, or undefined (see visibleRow). */
async function visible(ctx: AppContext, actor: Principal, row: repo.StoredVersion, audited?: string[]): Promise<StixObject | undefined> {
  return (await visibleRow(ctx, actor, row, audited, false))?.object;
}

/**
 * Puts a refused read on record without a write of its own: counted with the reader's other
 * refusals and written once per interval, so that a denied read costs what an absent id costs
 * (and a flood of probes no write each).
 */
function deniedRead(ctx: AppContext, actor: Principal, id: string, detail?: Record<string, unknown>): void {
  audit.recordRefusal(ctx, actor, `${actor.kind}:${actor.name}`, { action: 'intel.read.denied', subject: id, ...(detail ? { detail } : {}) });
}

/** Records the reads of highly classified objects one request made (one audit entry). */
async function auditReads(ctx: AppContext, actor: Principal, ids: string[], how: string): Promise<void> {
  if (ids.length > 0) await audit.record(ctx, actor, [{ action: 'intel.read', subject: how, detail: { ids: [...new Set(ids)] } }]);
}

export async function getObject(ctx: AppContext, actor: Principal, id: string): Promise<StixObject> {
  if (!STIX_ID.test(id)) throw shieldwallError('BAD_REQUEST', `'${id}' is not a STIX identifier: expected <type>--<UUID>, e.g. indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`);
  const found = await repo.findCurrent(ctx.store, id);
  const reads: string[] = [];
  let object: StixObject | undefined;
  // An observable may be held in copies under different markings: the first one the actor may read.
  for (let i = 0; i < found.length && !object; i++) object = await visible(ctx, actor, found[i]!, reads);
  // An object the actor may not read is answered exactly like one that does not exist, and as
  // fast: the attempt is put on record without the answer waiting for it.
  if (found.length > 0 && !object) deniedRead(ctx, actor, id);
  if (!object) throw shieldwallError('NOT_FOUND', `no object with id ${id}`);
  await auditReads(ctx, actor, reads, `object ${id}`);
  return object;
}

export async function getVersions(ctx: AppContext, actor: Principal, id: string): Promise<StixObject[]> {
  if (!STIX_ID.test(id)) throw shieldwallError('BAD_REQUEST', `'${id}' is not a STIX identifier: expected <type>--<UUID>`);
  const out: StixObject[] = [];
  const reads: string[] = [];
  const versions = await repo.findVersions(ctx.store, id);
  const current = (await repo.currentMarkings(ctx.store, [id])).map(accessOfColumns);
  for (const version of versions) {
    if (!canReadVersion(actor, accessOfColumns(version), current)) continue;
    const object = await visible(ctx, actor, version, reads);
    if (object) out.push(object);
  }
  if (out.length < versions.length) deniedRead(ctx, actor, id, { versions: versions.length - out.length });
  if (out.length === 0) throw shieldwallError('NOT_FOUND', `no object with id ${id}`);
  await auditReads(ctx, actor, reads, `versions of ${id}`);
  return out;
}

/** Most relationships or sightings read about a set of objects in one call. */
export const ABOUT_LIMIT = 20_000;

/**
 * The current relationships whose source is one of these objects, or the sightings of them, that
 * the actor may read (redacted as for any read). `truncated`: more were stored than ABOUT_LIMIT.
 */
export async function objectsAbout(ctx: AppContext, actor: Principal, type: 'relationship' | 'sighting', refs: string[]): Promise<{ objects: StixObject[]; truncated: boolean }> {
  const objects: StixObject[] = [];
  const reads: string[] = [];
  let left = ABOUT_LIMIT;
  let truncated = false;
  for (let i = 0; i < refs.length && !truncated; i += 500) {
    const rows = await repo.currentAbout(ctx.store, type, refs.slice(i, i + 500), left + 1);
    if (rows.length > left) truncated = true;
    for (const row of rows.slice(0, left)) {
      const object = await visible(ctx, actor, row, reads);
      if (object) objects.push(object);
    }
    left -= Math.min(rows.length, left);
  }
  await auditReads(ctx, actor, reads, `${type}s about ${refs.length} objects`);
  return { objects, truncated };
}

/**
 * The current objects of these ids as the reader may see them (redacted as any read is), by id:
 * of an observable held in several copies, the first the reader may read. Ids it may not read,
 * or that are not stored, are absent.
 */
export async function objectsByIds(ctx: AppContext, actor: Principal, ids: readonly string[]): Promise<Map<string, StixObject>> {
  const out = new Map<string, StixObject>();
  const reads: string[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    for (const row of await repo.currentOfIds(ctx.store, ids.slice(i, i + 500))) {
      if (out.has(row.id)) continue;
      const object = await visible(ctx, actor, row, reads);
      if (object) out.set(row.id, object);
    }
  }
  await auditReads(ctx, actor, reads, `${ids.length} objects by id`);
  return out;
}

/** A current row as the node's own indexes read it (no reader: they apply the rule per read). */
export type CurrentRow = repo.CurrentRow;

/**
 * Current versions of some types in date_added order after `afterSeq`, for the node's own
 * in-memory indexes (detection). Not a read path: whoever answers a reader from what it builds
 * applies canRead to each answer (see accessSets).
 */
export async function scanCurrent(ctx: AppContext, types: string[], afterSeq: number, limit: number): Promise<CurrentRow[]> {
  return repo.scanCurrent(ctx.store, types, afterSeq, limit);
}

/** What current rows of these types after `afterSeq` are about (for the node's own indexes; see scanCurrent). */
export async function scanAbout(ctx: AppContext, types: string[], afterSeq: number, limit: number): Promise<Array<{ seq: number; about_ref: string | null }>> {
  return repo.scanAbout(ctx.store, types, afterSeq, limit);
}

/** The rows with these date_added sequence numbers, current or not. */
export async function rowsBySeq(ctx: AppContext, seqs: number[]): Promise<CurrentRow[]> {
  return repo.rowsBySeq(ctx.store, seqs);
}

export interface AccessSet {
  readonly key: number;
  readonly access: ObjectAccess;
}

/** The access sets read so far from one store: they only ever grow, and a set never changes once made. */
interface AccessSetCache {
  /** Replaced, never changed: a caller keeps the snapshot it was given. */
  sets: readonly AccessSet[];
  read: boolean;
  /** Objects were stored since the last read, possibly under new sets. */
  stale: boolean;
}

const accessSetCaches = new WeakMap<object, AccessSetCache>();
/** Contexts whose event bus marks the cache of their store stale. */
const followedBuses = new WeakSet<object>();

function accessSetCache(ctx: AppContext): AccessSetCache {
  let cache = accessSetCaches.get(ctx.store);
  if (!cache) accessSetCaches.set(ctx.store, (cache = { sets: Object.freeze([]), read: false, stale: false }));
  if (!followedBuses.has(ctx.bus)) {
    followedBuses.add(ctx.bus);
    const marked = cache;
    // Published after the commit, and before the detection index applies the new versions.
    ctx.bus.subscribe('intel.added', () => (marked.stale = true));
  }
  return cache;
}

async function readAccessSets(ctx: AppContext, cache: AccessSetCache): Promise<readonly AccessSet[]> {
  // Cleared before the query: objects stored while it runs mark the cache stale again.
  cache.stale = false;
  const lastKey = (sets: readonly AccessSet[]) => (sets.length > 0 ? sets[sets.length - 1]!.key : 0);
  const newer = await repo.listAccessSets(ctx.store, lastKey(cache.sets));
  cache.read = true;
  // Another read may have added some of these meanwhile.
  const added = newer.filter((set) => set.key > lastKey(cache.sets));
  if (added.length > 0) cache.sets = Object.freeze([...cache.sets, ...added.map((set) => ({ key: set.key, access: accessOfColumns({ ...set, created_by_ref: null }) }))]);
  return cache.sets;
}

/** Every access set of the store with its markings (one query for those made since the last call). */
export async function accessSets(ctx: AppContext): Promise<readonly AccessSet[]> {
  return readAccessSets(ctx, accessSetCache(ctx));
}

/**
 * The access sets as last read, for readers of the node's in-memory indexes on every lookup:
 * the store is asked again only once this process stored objects since (event intel.added), or
 * a reader met a set it did not know (see accessSetUnknown), not on every call.
 */
export async function knownAccessSets(ctx: AppContext): Promise<readonly AccessSet[]> {
  const cache = accessSetCache(ctx);
  return cache.read && !cache.stale ? cache.sets : readAccessSets(ctx, cache);
}

/**
 * A reader met an access set key newer than those read: an object another process stored, that
 * an index read from the store. The reader counts it unreadable (it knows nothing of its
 * markings); the next call of knownAccessSets reads the new sets.
 */
export function accessSetUnknown(ctx: AppContext, key: number): void {
  const cache = accessSetCache(ctx);
  const sets = cache.sets;
  if (sets.length === 0 || key > sets[sets.length - 1]!.key) cache.stale = true;
}

/** The access sets the actor may read (the policy decides on each set), and how many there are. */
async function readableAccessKeys(ctx: AppContext, actor: Principal, within?: (access: ObjectAccess) => boolean): Promise<{ keys: number[]; total: number }> {
  const sets = await accessSets(ctx);
  const keys: number[] = [];
  for (const set of sets) if (canRead(actor, set.access) && (!within || within(set.access))) keys.push(set.key);
  return { keys, total: sets.length };
}

export interface ListInput {
  /** Only objects whose markings this accepts (a TAXII collection's view), besides need-to-know. */
  within?: (access: ObjectAccess) => boolean;
  /** Which versions of each object (see repo.ListFilter.versions); the newest by default. */
  versions?: { last?: boolean; first?: boolean; all?: boolean; exact?: string[] };
  /** Only these ids. */
  ids?: string[];
  /** Only objects added after this instant, in microseconds since the epoch. */
  addedAfterMicros?: number;
  /** Return the objects as JSON text (ObjectPage.bodies), not parsed. */
  raw?: boolean;
  /** Return only each object's id and version (ObjectPage.manifest): bodies are parsed only where a granular marking may hide a part. */
  manifest?: boolean;
  /** For tests: force one way of paging through the store (see repo.listCurrent). */
  strategy?: 'ranges' | 'walk';
  types?: string[];
  q?: string;
  modifiedAfter?: string;
  limit?: number;
  cursor?: string;
}

function encodeCursor(seq: number): string {
  return Buffer.from(`s:${seq}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^s:(\d{1,17})$/.exec(text);
  if (!match) throw shieldwallError('INVALID_CURSOR', `cursor '${cursor}' was not issued by this node; start again without a cursor`);
  return Number(match[1]);
}


/** The version of an object as it is stored in the created and modified columns: modified, else created. */
function versionOf(object: StixObject): string | null {
  return typeof object.modified === 'string' ? object.modified : typeof object.created === 'string' ? object.created : null;
}

/** Does the object, as the reader sees it, still hold the text searched for (as listCurrent compares labels)? */
function stillMatches(object: StixObject, q: string): boolean {
  return (searchLabel(object) ?? '').toLowerCase().includes(q.toLowerCase());
}

/** Ids looked up per query of the current markings of older versions. */
const CURRENT_MARKINGS_CHUNK = 500;

/** The markings of the current rows of the ids of these older versions, by id. */
async function currentMarkingsOf(ctx: AppContext, rows: readonly repo.ListedVersion[]): Promise<Map<string, ObjectAccess[]>> {
  const out = new Map<string, ObjectAccess[]>();
  const ids = [...new Set(rows.filter((row) => Number(row.is_current) !== 1).map((row) => row.id))];
  for (let i = 0; i < ids.length; i += CURRENT_MARKINGS_CHUNK) {
    for (const current of await repo.currentMarkings(ctx.store, ids.slice(i, i + CURRENT_MARKINGS_CHUNK))) {
      let list = out.get(current.id);
      if (!list) out.set(current.id, (list = []));
      list.push(accessOfColumns(current));
    }
  }
  return out;
}

/**
 * Lists current versions in the order they were added; the cursor never skips an object. Rows
 * the rule or redaction leaves out are skipped by reading further: a page is short or comes with
 * no next cursor only at the end, and a cursor names an object the reader received, so that no
 * page tells how many unreadable objects there are or when they were added.
 */
export async function listObjects(ctx: AppContext, actor: Principal, input: ListInput): Promise<ObjectPage> {
  const limit = input.limit ?? 100;
  if (input.modifiedAfter !== undefined && !isTimestamp(input.modifiedAfter)) {
    throw shieldwallError('BAD_REQUEST', `modified_after '${input.modifiedAfter}' is not a STIX timestamp: use e.g. 2024-05-01T00:00:00.000Z`);
  }
  const { keys, total } = await readableAccessKeys(ctx, actor, input.within);
  const filter = {
    ...(input.types ? { types: input.types } : {}),
    ...(input.q ? { text: input.q } : {}),
    ...(input.modifiedAfter ? { versionAfter: versionKey(input.modifiedAfter) } : {}),
    ...(input.ids ? { ids: input.ids } : {}),
    accessKeys: keys,
    accessSetCount: total,
    originMember: actor.member?.code ?? null,
    ...(input.strategy ? { strategy: input.strategy } : {}),
    ...(input.versions ? { versions: { ...input.versions, ...(input.versions.exact ? { exact: input.versions.exact.map((t) => versionKey(t)) } : {}) } } : {}),
    limit: limit + 1,
  };
  let after = input.cursor || input.addedAfterMicros !== undefined ? Math.max(input.cursor ? decodeCursor(input.cursor) : 0, input.addedAfterMicros ?? 0) : undefined;
  const objects: StixObject[] = [];
  const bodies: string[] = [];
  const manifest: Array<{ id: string; version: string | null }> = [];
  const dateAdded: number[] = [];
  const reads: string[] = [];
  let more = false;
  /** The last row looked at, readable or not. */
  let lookedAt: number | undefined;
  for (;;) {
    const rows = await repo.listCurrent(ctx.store, { ...filter, ...(after !== undefined ? { afterSeq: after } : {}) });
    const current = input.versions ? await currentMarkingsOf(ctx, rows) : undefined;
    for (const row of rows) {
      const full = dateAdded.length === limit;
      // The SQL pre-filter chose the rows; the rule is still applied to each one.
      const access = accessOfColumns(row);
      if (input.within && !input.within(access)) continue;
      if (current && Number(row.is_current) !== 1 && !canReadVersion(actor, access, current.get(row.id) ?? [])) continue;
      // Past a full page, one more object the reader may see only says that there is more (it is not read).
      const seen = await visibleRow(ctx, actor, row, full ? undefined : reads, input.raw === true || input.manifest === true);
      if (!seen) continue;
      // What a granular marking hides is not searched: the text must be in what the reader sees.
      if (input.q && seen.redacted && !stillMatches(seen.object!, input.q)) continue;
      if (full) {
        more = true;
        break;
      }
      if (input.raw) bodies.push(seen.text!);
      else if (input.manifest) manifest.push({ id: row.id, version: seen.object ? versionOf(seen.object) : (row.modified ?? row.created) });
      else objects.push(seen.object!);
      dateAdded.push(Number(row.seq));
    }
    if (rows.length > 0) lookedAt = Number(rows[rows.length - 1]!.seq);
    if (more || rows.length <= limit) break;
    after = lookedAt;
  }
  await auditReads(ctx, actor, reads, 'listing');
  const last = dateAdded[dateAdded.length - 1];
  return {
    objects,
    ...(input.raw ? { bodies } : {}),
    ...(input.manifest ? { manifest } : {}),
    dateAdded,
    next: more && last !== undefined ? encodeCursor(last) : undefined,
    // The last page of a listing covers the unreadable rows after its last object too.
    lastSeq: more ? last : lookedAt,
  };
}

/** Counts of what the actor may read (counts of the rest would tell what exists). */
export async function intelStats(ctx: AppContext, actor: Principal): Promise<{ byType: Array<{ type: string; count: number }>; versions: number }> {
  const { keys } = await readableAccessKeys(ctx, actor);
  const own = actor.member ? { member: actor.member.code, clearance: actor.clearance } : undefined;
  const [byType, versions] = await Promise.all([repo.countCurrentByType(ctx.store, keys, own), repo.countVersions(ctx.store, keys, own)]);
  return { byType, versions };
}

/**
 * Deletes versions of an object (TAXII Delete an Object): all of them, or those whose versions
 * match. Versions the actor may not read are left alone and not mentioned; if it may read some
 * but delete none, the answer is 403, if it may read none, 404.
 */
export async function deleteObject(
  ctx: AppContext,
  actor: Principal,
  id: string,
  versions: ListInput['versions'] = { all: true },
  within?: ListInput['within'],
): Promise<number> {
  if (!STIX_ID.test(id)) throw shieldwallError('BAD_REQUEST', `'${id}' is not a STIX identifier: expected <type>--<UUID>`);
  const stored = await repo.findVersions(ctx.store, id);
  const readable = stored.filter((row) => canRead(actor, accessOfColumns(row)) && (!within || within(accessOfColumns(row))));
  const selected = readable.filter((row, i) => {
    if (versions.all) return true;
    const object = JSON.parse(row.body) as StixObject;
    const version = versionKey(typeof object.modified === 'string' ? object.modified : typeof object.created === 'string' ? object.created : undefined);
    const newest = i === readable.length - 1;
    return (versions.last === true && newest) || (versions.first === true && i === 0) || (versions.exact ?? []).some((t) => versionKey(t) === version);
  });
  if (selected.length === 0) throw shieldwallError('NOT_FOUND', `no object with id ${id}${versions.all ? '' : ' in the versions asked for'}`);
  if (!selected.every((row) => canDelete(actor, accessOfColumns(row), { createdByRef: row.created_by_ref, originMember: row.origin_member, submitter: row.submitter }))) {
    throw shieldwallError('FORBIDDEN', `only the member that created ${id}, or a node administrator, deletes it`);
  }
  await repo.deleteVersions(ctx.store, id, selected.map((row) => Number(row.seq)), (tx) =>
    audit.recordInTransaction(ctx, tx, actor, [{ action: 'intel.delete', subject: id, detail: { versions: selected.length } }]),
  );
  ctx.bus.publish('intel.deleted', { id, type: id.slice(0, id.indexOf('--')) });
  return selected.length;
}
