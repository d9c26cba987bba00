/**
 * Feeds a running node: the file is read with the same streaming reader, cut into bundles of at
 * most `chunkObjects` objects and `chunkBytes` bytes, and each is POSTed to /api/v1/bundles, so
 * no upload exceeds the body limit however large the file. A bundle's body is streamed as its
 * objects are read, at the pace the node takes them in; the next bundle starts once the last
 * object of one is on its way, so the node starts on it while it commits the last batches of the
 * one before and never waits for this side (at most two bundles are unanswered; answers are
 * taken in order). Objects are cut, not parsed, here: the node parses and validates them (a
 * syntax error is reported with its place in the file).
 *
 * A cut-off (the node stops, the network fails) ends the command with how many objects the node
 * confirmed. `resume` then sends only what the node does not hold yet:
 *  - the objects the node answered in the earlier run of the same file (kept in a journal on this
 *    machine, ingest-journal.ts) are skipped without a request: it confirmed them;
 *  - the objects of the bundle in flight when it was cut, and every object when there is no such
 *    journal (another machine, standard input, the file changed), are asked of the node's TAXII
 *    manifest, which ids and versions it holds: exact whatever order the node committed in, at a
 *    small request per 200 objects. An object the token's user may not read is not reported as
 *    held: it is sent again and the node answers "duplicate", so nothing is skipped that is not held;
 *  - the rest is sent as usual.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import type { IngestProgress, IngestSummary, ObjectOutcome } from '../modules/intel/intel.service.js';
import { versionKey } from '../modules/intel/intel.rows.js';
import { StixStreamReader } from '../stix/stream-reader.js';
import { CliError, EXIT } from './failures.js';
import type { IngestJournal, JournalCounts } from './ingest-journal.js';
import { answerFailure, networkFailure, notShieldwall, type NodeTarget } from './node-client.js';

export interface RemoteOptions extends NodeTarget {
  chunkObjects: number;
  /** Largest bundle sent, in bytes (a bundle holds one object at least). */
  chunkBytes?: number;
  /**
   * Which outcomes onOutcome hears: every object's (the node lists each in its answer), or the
   * rejected ones only (the node sends counts for the rest: a smaller answer to make and read).
   */
  outcomes?: 'all' | 'rejected';
  maxObjectBytes?: number;
  /** Skip the objects the node holds already (see above). */
  resume?: boolean;
  /** Where this file's ingest into this node has got to (a file, not standard input). */
  journal?: IngestJournal;
  /** A line for the user that is not a failure (how --resume proceeds). */
  onNote?: (line: string) => void;
  onOutcome: (o: ObjectOutcome) => void;
  onProgress: (p: IngestProgress) => void;
}

export interface RemoteSummary extends IngestSummary {
  /** With resume: objects the node answered in the earlier run, neither sent nor asked about. */
  skipped: number;
  /** With resume: objects not sent because the node said it holds them (counted as duplicates too). */
  held: number;
}

/** The ingest stopped part way: the summary says what the node confirmed before. */
export class IngestCutOff extends CliError {
  constructor(
    message: string,
    readonly summary: RemoteSummary,
    cause: unknown,
  ) {
    super(EXIT.interrupted, message, { cause });
    this.name = 'IngestCutOff';
  }
}

/** The statuses a node answers an object with (the counters of the progress by the same names). */
const OUTCOME_STATUSES: ReadonlySet<string> = new Set(['accepted', 'duplicate', 'rejected']);

interface RemoteAnswer {
  summary?: { upgraded?: number; accepted?: number; duplicate?: number; rejected?: number };
  objects?: ObjectOutcome[];
  error?: { details?: { objects?: ObjectOutcome[] } };
}

interface Pending {
  /** The object as read from the file (UTF-8), sent as it is. */
  bytes: Buffer;
  index: number;
  offset: number;
  line: number | undefined;
  id: string | undefined;
  /** modified, else created, as a version key; undefined for objects without either (SCOs). */
  version: string | undefined;
}

/** Bundles sent and not yet answered, at most (the one being sent included). */
const IN_FLIGHT = 2;
/** Bytes per bundle unless asked otherwise: half the node's body limit, at most this. */
export const CHUNK_BYTES = 32 * 1024 * 1024;
/** A bundle's body read from the file ahead of what the node has taken, and written to it at a time. */
const BODY_AHEAD = 1024 * 1024;
const BODY_PIECE = 64 * 1024;
const COMMA = Buffer.from(',');
const BUNDLE_END = Buffer.from(']}');
/** Objects asked about at once with resume (the manifest is asked 200 ids a request). */
const CHECK_GROUP = 2000;

/**
 * Bytes per bundle: half the node's body limit (its TAXII API root tells it, to a reader of
 * intelligence), at most CHUNK_BYTES; CHUNK_BYTES / 4 when the node does not say.
 */
async function bundleBytes(target: NodeTarget): Promise<number> {
  try {
    const response = await request(`${target.url}/taxii2/intel/`, { headers: { authorization: `Bearer ${target.token}`, accept: 'application/taxii+json;version=2.1' } });
    const text = await response.body.text();
    const limit = response.statusCode === 200 ? (JSON.parse(text) as { max_content_length?: unknown }).max_content_length : undefined;
    if (typeof limit === 'number' && limit > 0) return Math.max(64 * 1024, Math.min(CHUNK_BYTES, Math.floor(limit / 2)));
  } catch {
    // The first bundle reports what is wrong with the node, better than this would.
  }
  return CHUNK_BYTES / 4;
}

/** Where an object is in the file (its index, first byte and line). */
interface Place {
  index: number;
  offset: number;
  line: number | undefined;
}

/** The rejection of an object that is not JSON, in the file's terms, as the node words it (intel.prepare). */
function syntaxOutcome(p: Place, at: number, message: string): ObjectOutcome {
  const place = p.line !== undefined ? `line ${p.line}` : `byte ${at}`;
  return {
    index: p.index,
    status: 'rejected',
    offset: p.offset,
    ...(p.line !== undefined ? { line: p.line } : {}),
    errors: [{ path: '$', rule: 'json-syntax', message: `invalid JSON in object ${p.index} at ${place}: ${message.replace(/^Unexpected/, 'unexpected')}; fix the JSON syntax (a JSON linter shows the exact spot)` }],
  };
}

/** An object read here (with --resume) that is not JSON. */
function localSyntaxOutcome(p: Pending): ObjectOutcome {
  let message = 'invalid JSON';
  let where = p.offset;
  const text = p.bytes.toString('utf8');
  try {
    JSON.parse(text);
  } catch (error) {
    message = (error as Error).message;
    const at = /at position (\d+)/.exec(message);
    if (at) where = p.offset + Buffer.byteLength(text.slice(0, Number(at[1])));
  }
  return syntaxOutcome(p, where, message);
}

/** How a node words an object of a bundle that is not JSON: the place is the bundle's byte (intel.prepare). */
const NODE_SYNTAX = /^invalid JSON in object \d+ at byte (\d+): ([\s\S]*?)(?:; fix the JSON syntax \(a JSON linter shows the exact spot\))?$/;

/**
 * An object the node found not to be JSON, in the file's terms: the node names the byte of the
 * bundle it was sent, and the object's bytes were sent as read, so its place in the object is the
 * same in the file.
 */
function nodeSyntaxOutcome(p: SentObject, nodeMessage: unknown): ObjectOutcome {
  const message = typeof nodeMessage === 'string' ? nodeMessage.slice(0, 1000) : 'invalid JSON';
  const said = NODE_SYNTAX.exec(message);
  if (!said) return syntaxOutcome(p, p.offset, message);
  // A place outside the object (an odd node) is not reported as one inside the file.
  const within = Math.min(Math.max(Number(said[1]) - p.inBundle, 0), p.length);
  return syntaxOutcome(p, p.offset + within, said[2]!);
}

/** An object of a bundle: where it is in the file, its length, and where its first byte was in the bundle. */
interface SentObject extends Place {
  inBundle: number;
  length: number;
}

/**
 * The objects of one bundle, in the order sent, as numbers: the node's outcomes name objects by
 * their place in the bundle, and the answer comes once the whole bundle is in. Kept as the
 * objects read (with their bytes) until then, the tens of thousands of a bundle outlived the
 * young generation, and this command spent a quarter of its CPU time more (3.2 s against 2.35 s
 * for 200,000 objects), much of it collecting them.
 */
class SentObjects {
  length = 0;
  #index = new Float64Array(1024);
  #offset = new Float64Array(1024);
  /** 0: no line (a JSON document). */
  #line = new Float64Array(1024);
  #inBundle = new Float64Array(1024);
  #length = new Float64Array(1024);

  push(p: Place, inBundle: number, length: number): void {
    if (this.length === this.#index.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.#index = grow(this.#index);
      this.#offset = grow(this.#offset);
      this.#line = grow(this.#line);
      this.#inBundle = grow(this.#inBundle);
      this.#length = grow(this.#length);
    }
    const i = this.length++;
    this.#index[i] = p.index;
    this.#offset[i] = p.offset;
    this.#line[i] = p.line ?? 0;
    this.#inBundle[i] = inBundle;
    this.#length[i] = length;
  }

  at(i: number): SentObject | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) return undefined;
    const line = this.#line[i]!;
    return { index: this.#index[i]!, offset: this.#offset[i]!, line: line === 0 ? undefined : line, inBundle: this.#inBundle[i]!, length: this.#length[i]! };
  }
}

/** Ids per manifest request: about 10 KB of URL, well inside the node's 16 KiB header limit. */
const IDS_PER_QUERY = 200;
const QUERIES_AT_ONCE = 4;

function versionOf(object: Record<string, unknown>): string | undefined {
  const stamp = typeof object.modified === 'string' ? object.modified : typeof object.created === 'string' ? object.created : undefined;
  return stamp === undefined ? undefined : versionKey(stamp);
}

/** The (id, version) pairs among `ids` that the node holds and the token's user may read. */
async function heldVersions(target: NodeTarget, ids: string[]): Promise<Map<string, Set<string>>> {
  const held = new Map<string, Set<string>>();
  const query = async (group: string[]) => {
    let next: string | undefined;
    do {
      // Ids are [a-z0-9-]: the comma-separated list needs no escaping.
      const path = `/taxii2/intel/collections/intel/manifest/?match%5Bid%5D=${group.join(',')}&match%5Bversion%5D=all&limit=10000${next ? `&next=${encodeURIComponent(next)}` : ''}`;
      let status: number;
      let text: string;
      try {
        const response = await request(`${target.url}${path}`, { headers: { authorization: `Bearer ${target.token}`, accept: 'application/taxii+json;version=2.1' } });
        status = response.statusCode;
        text = await response.body.text();
      } catch (error) {
        throw await networkFailure(error, target.url);
      }
      if (status !== 200) {
        const failure = answerFailure(status, text, target.url);
        if (failure.status === EXIT.forbidden) throw new CliError(EXIT.forbidden, `--resume asks the node what it holds, which needs a token that may read intelligence (intel:read): ${failure.message}`);
        throw failure;
      }
      let page: { more?: boolean; next?: string; objects?: Array<{ id?: unknown; version?: unknown }> };
      try {
        page = JSON.parse(text) as typeof page;
      } catch {
        throw notShieldwall(target.url, 'its TAXII manifest is not JSON');
      }
      for (const entry of page.objects ?? []) {
        if (typeof entry.id !== 'string' || typeof entry.version !== 'string') continue;
        let versions = held.get(entry.id);
        if (!versions) held.set(entry.id, (versions = new Set()));
        versions.add(versionKey(entry.version));
      }
      next = page.more && typeof page.next === 'string' ? page.next : undefined;
    } while (next !== undefined);
  };
  const unique = [...new Set(ids)];
  const groups: string[][] = [];
  for (let i = 0; i < unique.length; i += IDS_PER_QUERY) groups.push(unique.slice(i, i + IDS_PER_QUERY));
  for (let i = 0; i < groups.length; i += QUERIES_AT_ONCE) await Promise.all(groups.slice(i, i + QUERIES_AT_ONCE).map(query));
  return held;
}

const STIX_ID = /^[a-z][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function ingestRemote(chunks: AsyncIterable<Uint8Array>, options: RemoteOptions): Promise<RemoteSummary> {
  const started = Date.now();
  // The node judges depth by its own limit; bytes that are not UTF-8 are refused here already,
  // with their offset in the file rather than in the bundles sent.
  const reader = new StixStreamReader({ maxObjectBytes: options.maxObjectBytes ?? 64 * 1024 * 1024, maxDepth: Number.MAX_SAFE_INTEGER, bytes: true });
  const allOutcomes = (options.outcomes ?? 'all') === 'all';
  const endpoint = `${options.url}/api/v1/bundles?outcomes=${allOutcomes ? 'all' : 'rejected'}`;
  const chunkBytes = options.chunkBytes ?? (await bundleBytes(options));
  const progress: IngestProgress = { objects: 0, accepted: 0, duplicate: 0, rejected: 0, bytes: 0 };
  const streamErrors: string[] = [];
  let upgraded = 0;
  let held = 0;
  let skipped = 0;
  /** Index after the last object read: where the next bundle's objects end. */
  let readUntil = 0;
  /** What the journal records of this file's earlier runs (with resume) and of this one. */
  let earlier: JournalCounts = { accepted: 0, duplicate: 0, rejected: 0 };
  let answeredUntil = 0;
  // With resume: objects before skipBefore are skipped, those before checkBefore asked about.
  let skipBefore = 0;
  let checkBefore = options.resume ? Number.POSITIVE_INFINITY : 0;
  if (options.resume) {
    const state = options.journal?.load();
    if (state) {
      skipBefore = answeredUntil = state.answered;
      checkBefore = state.sent;
      earlier = state.counts;
      options.onNote?.(`resuming after the ${state.answered.toLocaleString('en')} objects the node answered in the earlier run; asking it about the ${(state.sent - state.answered).toLocaleString('en')} that were in flight`);
    } else {
      options.onNote?.('no record on this machine of where an earlier run of this file stopped: asking the node which objects it holds, 200 at a time');
    }
  }
  const journal = (sent: number) =>
    options.journal?.save({
      answered: answeredUntil,
      sent,
      counts: { accepted: earlier.accepted + progress.accepted, duplicate: earlier.duplicate + progress.duplicate, rejected: earlier.rejected + progress.rejected },
    });
  /** Whether the node has taken part yet: a failure before is the failure alone, not a cut-off. */
  let answered = false;
  /** With resume: objects read and to be asked about before they are sent. */
  let pending: Pending[] = [];
  /** Index after the last object of the last bundle sent whole. */
  let sentUntil = 0;

  const record = (o: ObjectOutcome) => {
    progress[o.status]++;
    progress.objects++;
    options.onOutcome(o);
  };
  const summary = (): RemoteSummary => {
    const seconds = (Date.now() - started) / 1000;
    return {
      ...progress,
      bytes: reader.bytesRead,
      format: reader.header.format,
      specVersion: reader.header.specVersion,
      upgraded,
      seconds,
      objectsPerSecond: seconds > 0 ? progress.objects / seconds : progress.objects,
      streamErrors,
      skipped,
      held,
    };
  };
  /** The outcomes of an answer, each with a status a node gives (checked before anything is counted). */
  const nodeOutcomes = (outcomes: unknown): ObjectOutcome[] => {
    if (!Array.isArray(outcomes)) return [];
    for (const o of outcomes as unknown[]) {
      if (typeof o !== 'object' || o === null || !OUTCOME_STATUSES.has((o as ObjectOutcome).status) || !Number.isInteger((o as ObjectOutcome).index)) {
        throw notShieldwall(options.url, `its answer to POST /api/v1/bundles has an outcome that is not accepted, duplicate or rejected (${JSON.stringify(o)?.slice(0, 80)})`);
      }
    }
    return outcomes as ObjectOutcome[];
  };

  /** The outcomes the node reports for the bundle sent, in the file's numbering. */
  const recordAnswered = (sent: SentObjects, outcomes: ObjectOutcome[]) => {
    for (const o of outcomes) {
      const source = sent.at(o.index);
      if (source && o.status === 'rejected' && o.errors?.[0]?.rule === 'json-syntax') record(nodeSyntaxOutcome(source, (o.errors[0] as { message?: unknown }).message));
      else record({ ...o, index: source?.index ?? o.index, ...(source ? { offset: source.offset } : {}), ...(source?.line !== undefined ? { line: source.line } : {}) });
    }
  };

  const skipHeld = async (batch: Pending[]): Promise<Pending[]> => {
    const ids = batch.filter((p) => p.index < checkBefore && p.id !== undefined).map((p) => p.id!);
    if (ids.length === 0) return batch;
    const versions = await heldVersions(options, ids);
    answered = true;
    const rest: Pending[] = [];
    for (const p of batch) {
      const known = p.id === undefined || p.index >= checkBefore ? undefined : versions.get(p.id);
      if (known && (p.version === undefined || known.has(p.version))) {
        held++;
        record({ index: p.index, status: 'duplicate', id: p.id!, offset: p.offset, ...(p.line !== undefined ? { line: p.line } : {}), ...(p.version !== undefined ? { version: p.version } : {}) });
      } else rest.push(p);
    }
    return rest;
  };

  interface Sent {
    batch: SentObjects;
    /** Index after the bundle's last object (known once its body is complete). */
    until: number;
    answer: Promise<{ status: number; text: string; retryAfter: string | undefined } | { failure: unknown }>;
    /** The answer came (or the request failed). */
    done: boolean;
  }
  const inFlight: Sent[] = [];
  /** A bundle failed: the ones after it are still counted, but the file is answered only up to it. */
  let broken = false;

  /** Takes the node's answer to the oldest bundle in flight (answers are taken in the order sent). */
  const settle = async () => {
    try {
      await take(inFlight.shift()!);
    } catch (error) {
      broken = true;
      throw error;
    }
  };
  const take = async ({ batch, until, answer }: Sent) => {
    const reply = await answer;
    if ('failure' in reply) throw await networkFailure(reply.failure, options.url);
    const { status, text, retryAfter } = reply;
    let parsed: RemoteAnswer;
    try {
      parsed = JSON.parse(text) as RemoteAnswer;
    } catch {
      if (status === 200) throw notShieldwall(options.url, 'its answer to POST /api/v1/bundles is not JSON');
      throw answerFailure(status, text, options.url, retryAfter);
    }
    if (status !== 200) {
      // A store failure or the body limit: what the node accepted before it stays accepted.
      const decided = nodeOutcomes(parsed.error?.details?.objects);
      if (decided.length > 0) answered = true;
      recordAnswered(batch, decided);
      throw answerFailure(status, text, options.url, retryAfter);
    }
    if (!Array.isArray(parsed.objects) && allOutcomes) throw notShieldwall(options.url, 'its answer to POST /api/v1/bundles lists no outcomes');
    const outcomes = nodeOutcomes(parsed.objects);
    const counts = parsed.summary;
    if (!allOutcomes && (typeof counts?.accepted !== 'number' || typeof counts.duplicate !== 'number')) throw notShieldwall(options.url, 'its answer to POST /api/v1/bundles counts no outcomes');
    answered = true;
    upgraded += counts?.upgraded ?? 0;
    recordAnswered(batch, outcomes);
    if (!allOutcomes) {
      // Only the rejected ones were listed: the others are counted.
      progress.accepted += counts!.accepted!;
      progress.duplicate += counts!.duplicate!;
      progress.objects += counts!.accepted! + counts!.duplicate!;
    }
    if (broken) return;
    answeredUntil = until;
    journal(sentUntil);
    progress.bytes = reader.bytesRead;
    options.onProgress({ ...progress });
  };

  /** Every bundle in flight answered; the first failure is thrown once all are (so that what they committed is counted). */
  const settleAll = async () => {
    let first: unknown;
    while (inFlight.length > 0) {
      try {
        await settle();
      } catch (error) {
        first ??= error;
      }
    }
    if (first !== undefined) throw first;
  };

  /**
   * The bundle whose body is being sent; `parts` (of `partBytes` in all) are what is read and not
   * yet passed to the body.
   */
  let open: { sent: Sent; body: PassThrough; head: number; bytes: number; parts: Buffer[]; partBytes: number } | undefined;

  /** Passes what was read to the open bundle's body, waiting while the node takes in what went before. */
  const flushParts = async () => {
    const current = open!;
    const piece = Buffer.concat(current.parts, current.partBytes);
    current.parts = [];
    current.partBytes = 0;
    if (current.body.write(piece)) return;
    const stop = new AbortController();
    try {
      await Promise.race([once(current.body, 'drain', { signal: stop.signal }), once(current.body, 'close', { signal: stop.signal }), current.sent.answer]);
    } catch {
      // The body was destroyed: the answer says why.
    } finally {
      stop.abort();
    }
  };

  /** Starts a bundle, once fewer than IN_FLIGHT are unanswered; its body follows as objects come. */
  const openBundle = async (first: number) => {
    while (inFlight.length >= IN_FLIGHT) await settle();
    const body = new PassThrough({ highWaterMark: BODY_AHEAD });
    // Writes after the node cut the request short fail: that failure is its answer's.
    body.on('error', () => undefined);
    const spec = reader.header.specVersion ? `,"spec_version":${JSON.stringify(reader.header.specVersion)}` : '';
    const head = Buffer.from(`{"type":"bundle","id":"bundle--${randomUUID()}"${spec},"objects":[`);
    body.write(head);
    const sent: Sent = { batch: new SentObjects(), until: first, done: false, answer: Promise.resolve({ failure: undefined }) };
    sent.answer = (async () => {
      try {
        const response = await request(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
          body,
        });
        const header = response.headers['retry-after'];
        return { status: response.statusCode, text: await response.body.text(), retryAfter: Array.isArray(header) ? header[0] : header };
      } catch (failure) {
        return { failure };
      } finally {
        sent.done = true;
      }
    })();
    inFlight.push(sent);
    open = { sent, body, head: head.length, bytes: 0, parts: [], partBytes: 0 };
  };

  /** Ends the body of the bundle being sent; `until`: the index after the last object it settles. */
  const closeBundle = (until: number) => {
    if (!open) return;
    open.parts.push(BUNDLE_END);
    open.body.end(Buffer.concat(open.parts, open.partBytes + BUNDLE_END.length));
    open.sent.until = until;
    sentUntil = until;
    journal(sentUntil);
    open = undefined;
  };

  type Open = NonNullable<typeof open>;
  /**
   * Sends one object in the open bundle (opening one first, closing it when full). Answers a
   * promise only when there is something to wait for (a bundle to open, the node to take in what
   * went before, answers to settle): most objects are put without one.
   */
  const put = (p: Pending): Promise<void> | undefined => {
    // A bundle holds one object at least, whatever its size (the node judges it).
    if (open && open.sent.batch.length > 0 && open.bytes + p.bytes.length > chunkBytes) closeBundle(p.index);
    if (!open) return openBundle(p.index).then(() => put(p));
    const current = open;
    if (current.sent.batch.length > 0) {
      current.parts.push(COMMA);
      current.partBytes += COMMA.length;
      current.bytes += COMMA.length;
    }
    current.sent.batch.push(p, current.head + current.bytes, p.bytes.length);
    current.bytes += p.bytes.length;
    // Passed on in pieces of about 64 KiB: a write per object costs the stream more than the copy.
    current.parts.push(p.bytes);
    current.partBytes += p.bytes.length;
    if (current.partBytes >= BODY_PIECE) return flushParts().then(() => afterPut(current, p));
    return afterPut(current, p);
  };
  const afterPut = (current: Open, p: Pending): Promise<void> | undefined => {
    if (current.sent.done || current.body.destroyed) {
      // The node answered before the bundle was whole (a failure): it is reported in order.
      if (open === current) open = undefined;
      return settleAll();
    }
    if (current.sent.batch.length >= options.chunkObjects) closeBundle(p.index + 1);
    return undefined;
  };

  /** With resume: asks the node about the objects waiting, and sends those it does not hold. */
  const flushPending = async () => {
    if (pending.length === 0) return;
    const group = pending;
    pending = [];
    for (const p of await skipHeld(group)) await put(p);
  };

  try {
    for await (const entry of reader.entries(chunks)) {
      if (entry.index !== undefined) {
        if (entry.index < skipBefore) {
          // Answered in the earlier run: neither parsed nor sent again.
          skipped++;
          progress.objects++;
          if (skipped % 10_000 === 0) options.onProgress({ ...progress, bytes: reader.bytesRead });
          continue;
        }
        readUntil = entry.index + 1;
      }
      if (entry.kind === 'error') {
        if (entry.index === undefined) streamErrors.push(entry.message);
        else record({ index: entry.index, status: 'rejected', offset: entry.offset, errors: [{ path: entry.path ?? '$', rule: entry.rule ?? 'structure', message: entry.message }] });
        continue;
      }
      let id: string | undefined;
      let version: string | undefined;
      if (entry.index < checkBefore) {
        // The node is asked about this object: its id and version are needed here.
        let parsed: unknown;
        try {
          parsed = JSON.parse(entry.bytes!.toString('utf8'));
        } catch {
          record(localSyntaxOutcome({ bytes: entry.bytes!, index: entry.index, offset: entry.offset, line: entry.line, id: undefined, version: undefined }));
          continue;
        }
        const object = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
        id = object && typeof object.id === 'string' && STIX_ID.test(object.id) ? object.id : undefined;
        version = object ? versionOf(object) : undefined;
      }
      const object: Pending = { bytes: entry.bytes!, index: entry.index, offset: entry.offset, line: entry.line, id, version };
      if (entry.index < checkBefore) {
        pending.push(object);
        if (pending.length >= CHECK_GROUP) await flushPending();
        continue;
      }
      if (pending.length > 0) await flushPending();
      const waiting = put(object);
      if (waiting) await waiting;
    }
    await flushPending();
    closeBundle(readUntil);
    await settleAll();
    options.journal?.clear();
  } catch (error) {
    // Whatever else is in flight is answered first: what it committed is counted too.
    if (open) {
      // Cut short here: the node refuses a bundle that does not end, and commits nothing of its last batch.
      open.body.destroy();
      open = undefined;
    }
    await settleAll().catch(() => undefined);
    const sofar = summary();
    if (!answered || !(error instanceof CliError)) {
      // Nothing was committed in this run: the journal says no more than before it.
      if (!answered && skipBefore === 0) options.journal?.clear();
      throw error;
    }
    const committed = earlier.accepted + earlier.duplicate + sofar.accepted + sofar.duplicate;
    const rejected = earlier.rejected + sofar.rejected;
    throw new IngestCutOff(
      `ingest cut off after ${committed.toLocaleString('en')} objects committed (${rejected.toLocaleString('en')} rejected; ${sofar.bytes.toLocaleString('en')} bytes read): ${error.message.replace(/^shieldwall: /, '')}. When that is fixed, run the same command with --resume: it sends only what the node does not hold yet`,
      sofar,
      error,
    );
  }
  return summary();
}
