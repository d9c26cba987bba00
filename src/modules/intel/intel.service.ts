/**
 * Intel use cases: the ingest pipeline (stream -> parse -> validate -> markings -> batched
 * transactional writes -> outcomes) and the reads of the object store.
 */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { handlingOfMarkingDefinition, type HandlingMarking } from '../../policy/markings.js';
import type { Principal } from '../../policy/principal.js';
import { StixStreamReader, type StreamHeader } from '../../stix/stream-reader.js';
import type { StixObject } from '../../stix/types.js';
import { prepareInWorker, type ParallelState } from './intel.parallel.js';
import { prepareEntry, type ObjectOutcome, type PipelineEntry, type Prepared, type PreparedObject } from './intel.prepare.js';
import * as repo from './intel.repo.js';
import { ROW_ID, ROW_TYPE, versionKey, type NewVersion } from './intel.rows.js';

export type { ObjectOutcome, OutcomeStatus } from './intel.prepare.js';

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

export interface IngestOptions {
  onOutcome?: (outcome: ObjectOutcome) => void;
  onProgress?: (progress: IngestProgress) => void;
  batchSize?: number;
}

const YIELD_EVERY = 256;

/** Handling markings known to the node, by marking-definition id; loaded once per store. */
const handlingCache = new WeakMap<object, Map<string, HandlingMarking>>();

async function handlingTable(ctx: AppContext): Promise<Map<string, HandlingMarking>> {
  let table = handlingCache.get(ctx.store);
  if (!table) {
    table = new Map();
    for (const body of await repo.currentMarkingDefinitions(ctx.store)) {
      const definition = JSON.parse(body) as StixObject;
      const handling = handlingOfMarkingDefinition(definition);
      if (handling) table.set(definition.id, handling);
    }
    handlingCache.set(ctx.store, table);
  }
  return table;
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
  _actor: Principal,
  prepared: AsyncIterable<Prepared>,
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

  const flush = async (pending: PreparedObject[]) => {
    const rows: NewVersion[] = [];
    for (const p of pending) if (p.row) rows.push(p.row);
    const { seqs } = rows.length > 0 ? await repo.insertVersions(ctx.store, rows, microsNow(ctx)) : { seqs: [] };
    const added: Array<{ id: string; type: string; seq: number }> = [];
    let r = 0;
    for (const p of pending) {
      if (p.row) {
        const seq = seqs[r++];
        if (seq === null || seq === undefined) p.outcome.status = 'duplicate';
        else added.push({ id: p.row[ROW_ID], type: p.row[ROW_TYPE], seq });
      }
      report(p.outcome);
    }
    const counts = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const p of pending) counts[p.outcome.status]++;
    for (const outcome of ['accepted', 'duplicate', 'rejected'] as const) if (counts[outcome] > 0) ctx.metrics.ingestObjects.inc({ outcome }, counts[outcome]);
    progress.bytes = bytesRead();
    options.onProgress?.({ ...progress });
    if (added.length > 0) ctx.bus.publish('intel.added', { objects: added });
  };

  let sinceYield = 0;
  for await (const item of prepared) {
    // Objects cut from an already-read chunk arrive as microtasks only; giving the event loop a
    // turn now and then lets the database's replies for the batch being written come in.
    if (++sinceYield === YIELD_EVERY) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if ('streamError' in item) {
      streamErrors.push(item.streamError);
      continue;
    }
    if (item.outcome.upgraded) upgraded++;
    batch.push(item);
    if (batch.length >= batchSize) {
      const full = batch;
      batch = [];
      if (inFlight) await inFlight;
      inFlight = flush(full);
      // Awaited before the next write; this only keeps a failure from counting as unhandled meanwhile.
      inFlight.catch(() => undefined);
    }
  }
  if (inFlight) await inFlight;
  if (batch.length > 0) await flush(batch);
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

async function* prepareHere(
  entries: AsyncIterable<PipelineEntry>,
  header: () => StreamHeader | undefined,
  handling: Map<string, HandlingMarking>,
  maxObjectBytes: number,
): AsyncGenerator<Prepared> {
  for await (const entry of entries) yield prepareEntry(entry, header(), handling, maxObjectBytes);
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
  const handling = await handlingTable(ctx);
  const maxObjectBytes = ctx.config.maxObjectBytes;
  if (options.parallel) {
    const state: ParallelState = { header: undefined, bytesRead: 0 };
    return runPipeline(ctx, actor, prepareInWorker(chunks, handling, maxObjectBytes, state), () => state.header, () => state.bytesRead, options);
  }
  const reader = new StixStreamReader({ maxObjectBytes });
  const header = () => reader.header;
  return runPipeline(ctx, actor, prepareHere(reader.entries(chunks), header, handling, maxObjectBytes), header, () => reader.bytesRead, options);
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
  return runPipeline(ctx, actor, prepareHere(entries(), () => undefined, handling, ctx.config.maxObjectBytes), () => undefined, () => 0, options);
}

export interface ObjectPage {
  objects: StixObject[];
  next: string | undefined;
}

const STIX_ID = /^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function parseBody(body: string): StixObject {
  return JSON.parse(body) as StixObject;
}

export async function getObject(ctx: AppContext, _actor: Principal, id: string): Promise<StixObject> {
  if (!STIX_ID.test(id)) throw shieldwallError('BAD_REQUEST', `'${id}' is not a STIX identifier: expected <type>--<UUID>, e.g. indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`);
  const found = await repo.findCurrent(ctx.store, id);
  if (!found) throw shieldwallError('NOT_FOUND', `no object with id ${id}`);
  return parseBody(found.body);
}

export async function getVersions(ctx: AppContext, _actor: Principal, id: string): Promise<StixObject[]> {
  if (!STIX_ID.test(id)) throw shieldwallError('BAD_REQUEST', `'${id}' is not a STIX identifier: expected <type>--<UUID>`);
  const versions = await repo.findVersions(ctx.store, id);
  if (versions.length === 0) throw shieldwallError('NOT_FOUND', `no object with id ${id}`);
  return versions.map((v) => parseBody(v.body));
}

export interface ListInput {
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

const TIMESTAMP_INPUT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** Lists current versions in the order they were added; the cursor never skips an object. */
export async function listObjects(ctx: AppContext, _actor: Principal, input: ListInput): Promise<ObjectPage> {
  const limit = input.limit ?? 100;
  if (input.modifiedAfter !== undefined && !TIMESTAMP_INPUT.test(input.modifiedAfter)) {
    throw shieldwallError('BAD_REQUEST', `modified_after '${input.modifiedAfter}' is not a STIX timestamp: use e.g. 2024-05-01T00:00:00.000Z`);
  }
  const rows = await repo.listCurrent(ctx.store, {
    ...(input.types ? { types: input.types } : {}),
    ...(input.q ? { text: input.q } : {}),
    ...(input.modifiedAfter ? { versionAfter: versionKey(input.modifiedAfter) } : {}),
    ...(input.cursor ? { afterSeq: decodeCursor(input.cursor) } : {}),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    objects: page.map((r) => parseBody(r.body)),
    next: rows.length > limit && last ? encodeCursor(last.seq) : undefined,
  };
}

export async function intelStats(ctx: AppContext): Promise<{ byType: Array<{ type: string; count: number }>; versions: number }> {
  const [byType, versions] = await Promise.all([repo.countCurrentByType(ctx.store), repo.countVersions(ctx.store)]);
  return { byType, versions };
}
