/**
 * Intel use cases: the ingest pipeline (stream -> parse -> validate -> markings -> batched
 * transactional writes -> outcomes) and the reads of the object store.
 */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { handlingOfMarkingDefinition, type HandlingMarking } from '../../policy/markings.js';
import type { Principal } from '../../policy/principal.js';
import { StixStreamReader, type StreamEntry, type StreamHeader } from '../../stix/stream-reader.js';
import type { StixObject } from '../../stix/types.js';
import { validateObject, type StixIssue } from '../../stix/validate.js';
import * as repo from './intel.repo.js';
import { toRow, versionKey } from './intel.rows.js';

export type OutcomeStatus = 'accepted' | 'duplicate' | 'rejected';

export interface ObjectOutcome {
  index: number;
  status: OutcomeStatus;
  id?: string;
  type?: string;
  /** Byte offset of the object in the stream (not set for objects handed over as values). */
  offset?: number;
  /** Line number for NDJSON input. */
  line?: number;
  errors?: StixIssue[];
  warnings?: StixIssue[];
  upgraded?: string[];
}

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

type PipelineEntry = StreamEntry | { kind: 'value'; index: number; value: unknown };

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

const POSITION = /at position (\d+)/;

function jsonErrorIssue(error: unknown, text: string, entry: { index: number; offset: number; line: number | undefined }): StixIssue {
  const message = error instanceof Error ? error.message : String(error);
  const match = POSITION.exec(message);
  const where = match ? entry.offset + Buffer.byteLength(text.slice(0, Number(match[1]))) : entry.offset;
  const place = entry.line !== undefined ? `line ${entry.line}` : `byte ${where}`;
  return {
    path: '$',
    rule: 'json-syntax',
    message: `invalid JSON in object ${entry.index} at ${place}: ${message.replace(/^Unexpected/, 'unexpected')}; fix the JSON syntax (a JSON linter shows the exact spot)`,
  };
}

interface Pending {
  outcome: ObjectOutcome;
  row: repo.NewVersion | undefined;
}

/**
 * The one ingest pipeline behind the CLI, the REST API, the demo seeding and (later) TAXII and
 * federation. An object is reported accepted only once its batch has committed.
 */
async function runPipeline(
  ctx: AppContext,
  _actor: Principal,
  entries: AsyncIterable<PipelineEntry>,
  header: () => StreamHeader | undefined,
  bytesRead: () => number,
  options: IngestOptions,
): Promise<IngestSummary> {
  const started = process.hrtime.bigint();
  const batchSize = options.batchSize ?? ctx.config.ingestBatchSize;
  const handling = await handlingTable(ctx);
  const progress: IngestProgress = { objects: 0, accepted: 0, duplicate: 0, rejected: 0, bytes: 0 };
  const streamErrors: string[] = [];
  let upgraded = 0;
  let batch: Pending[] = [];
  let inFlight: Promise<void> | undefined;

  const report = (outcome: ObjectOutcome) => {
    progress[outcome.status]++;
    progress.objects++;
    ctx.metrics.ingestObjects.inc({ outcome: outcome.status });
    options.onOutcome?.(outcome);
  };

  const flush = async (pending: Pending[]) => {
    const rows: repo.NewVersion[] = [];
    for (const p of pending) if (p.row) rows.push(p.row);
    const { seqs } = rows.length > 0 ? await repo.insertVersions(ctx.store, rows, microsNow(ctx)) : { seqs: [] };
    const added: Array<{ id: string; type: string; seq: number }> = [];
    let r = 0;
    for (const p of pending) {
      if (p.row) {
        const seq = seqs[r++];
        if (seq === null || seq === undefined) p.outcome.status = 'duplicate';
        else added.push({ id: p.row.id, type: p.row.type, seq });
      }
      report(p.outcome);
    }
    progress.bytes = bytesRead();
    options.onProgress?.({ ...progress });
    if (added.length > 0) ctx.bus.publish('intel.added', { objects: added });
  };

  const enqueue = async (pending: Pending) => {
    batch.push(pending);
    if (batch.length >= batchSize) {
      const full = batch;
      batch = [];
      // One batch may be writing while the next is parsed; the next write waits for it.
      if (inFlight) await inFlight;
      inFlight = flush(full);
      // Awaited before the next write; this only keeps a failure from counting as unhandled meanwhile.
      inFlight.catch(() => undefined);
    }
  };

  const maxObjectBytes = ctx.config.maxObjectBytes;
  for await (const entry of entries) {
    if (entry.kind === 'error') {
      if (entry.index === undefined) {
        streamErrors.push(entry.message);
        continue;
      }
      await enqueue({
        outcome: { index: entry.index, status: 'rejected', offset: entry.offset, ...(entry.line !== undefined ? { line: entry.line } : {}), errors: [{ path: '$', rule: entry.message.includes('larger than the limit') ? 'object-size' : 'structure', message: entry.message }] },
        row: undefined,
      });
      continue;
    }
    let value: unknown;
    let position: { offset?: number; line?: number } = {};
    if (entry.kind === 'object') {
      position = { offset: entry.offset, ...(entry.line !== undefined ? { line: entry.line } : {}) };
      try {
        value = JSON.parse(entry.text);
      } catch (error) {
        await enqueue({ outcome: { index: entry.index, status: 'rejected', ...position, errors: [jsonErrorIssue(error, entry.text, entry)] }, row: undefined });
        continue;
      }
    } else value = entry.value;

    const declared = header()?.specVersion;
    const result = validateObject(value, { ...(declared === '2.0' || declared === '2.1' ? { specVersion: declared } : {}), maxObjectBytes });
    if (!result.ok) {
      const partial = typeof value === 'object' && value !== null ? (value as { id?: unknown; type?: unknown }) : {};
      await enqueue({
        outcome: {
          index: entry.index,
          status: 'rejected',
          ...(typeof partial.id === 'string' ? { id: partial.id } : {}),
          ...(typeof partial.type === 'string' ? { type: partial.type } : {}),
          ...position,
          errors: result.errors,
        },
        row: undefined,
      });
      continue;
    }
    const object = result.object;
    if (object.type === 'marking-definition') {
      const marking = handlingOfMarkingDefinition(object);
      if (marking) handling.set(object.id, marking);
    }
    if (result.upgraded.length > 0) upgraded++;
    const body = entry.kind === 'object' && result.upgraded.length === 0 && result.object === value ? compactBody(entry.text, object) : JSON.stringify(object);
    await enqueue({
      outcome: {
        index: entry.index,
        status: 'accepted',
        id: object.id,
        type: object.type,
        ...position,
        ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
        ...(result.upgraded.length > 0 ? { upgraded: result.upgraded } : {}),
      },
      row: toRow(object, body, handling),
    });
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

/** The stored body: the object's JSON without insignificant white space. */
function compactBody(text: string, object: StixObject): string {
  // Text straight from a compact producer is stored as it came; anything else is re-serialised.
  return text.includes('\n') || text.includes('  ') ? JSON.stringify(object) : text;
}

/** Ingests a byte stream: a bundle, a JSON array of objects, or NDJSON. */
export async function ingestStream(ctx: AppContext, actor: Principal, chunks: AsyncIterable<Uint8Array>, options: IngestOptions = {}): Promise<IngestSummary> {
  const reader = new StixStreamReader({ maxObjectBytes: ctx.config.maxObjectBytes });
  return runPipeline(ctx, actor, reader.entries(chunks), () => reader.header, () => reader.bytesRead, options);
}

/** Ingests objects already in memory (demo seeding, federation). */
export async function ingestObjects(ctx: AppContext, actor: Principal, objects: Iterable<unknown> | AsyncIterable<unknown>, options: IngestOptions = {}): Promise<IngestSummary> {
  async function* entries(): AsyncGenerator<PipelineEntry> {
    let index = 0;
    for await (const value of objects) yield { kind: 'value', index: index++, value };
  }
  return runPipeline(ctx, actor, entries(), () => undefined, () => 0, options);
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
