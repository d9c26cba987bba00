/**
 * Runs the CPU half of ingest (intel.prepare.ts) in a worker thread for large streams. The
 * parent reads the source and forwards its chunks (a bounded number ahead), and receives
 * prepared objects in order, a message's worth at a time.
 *
 * Workers outlive a stream: a worker that finished one cleanly waits, idle and not keeping the
 * process alive, for the next (a node ingesting request after request, or pulling page runs
 * from peers, pays a thread's start once, not per stream), and ends after a while unused.
 */
import { Worker } from 'node:worker_threads';
import { Places } from '../../core/inflight.js';
import type { HandlingMarking, MarkingDefaults } from '../../policy/markings.js';
import type { StreamHeader } from '../../stix/stream-reader.js';
import { unpackBatch, type PackedBatch } from './intel.pack.js';
import type { Prepared } from './intel.prepare.js';

/** What a worker needs to prepare one stream: sent with the stream's first message. */
export interface StreamInit {
  handling: Array<[string, HandlingMarking]>;
  defaults: MarkingDefaults;
  maxObjectBytes: number;
  maxDepth: number;
  batchSize: number;
}

/** 'flush': the input is idle; send the objects prepared so far rather than wait for a full message. */
export type ToWorker = { kind: 'start'; init: StreamInit } | { kind: 'chunk'; chunk: Uint8Array } | { kind: 'end' } | { kind: 'flush' };

export type FromWorker =
  | { kind: 'consumed' }
  | { kind: 'batch'; packed: PackedBatch; header: StreamHeader; bytesRead: number }
  | { kind: 'end'; header: StreamHeader; bytesRead: number }
  | { kind: 'failed'; message: string };

/**
 * Bytes forwarded but not yet taken by the worker's reader (at least one chunk, whatever its
 * size); bounds memory. Counted in bytes, not chunks: a request body arrives in chunks of 64 KiB,
 * and four of them (the earlier bound) fed the worker for a few milliseconds while this thread
 * wrote a batch for 150-200 ms: in a node taking one 55,000-object bundle the worker waited for
 * input 1.7-1.8 s of the request's 3.2-3.8 s. With 8 MiB it waited 0.7-0.9 s, and the request
 * took 2.6-3.2 s.
 */
export const BYTES_AHEAD = 8 * 1024 * 1024;
/**
 * Prepared objects received but not yet taken by the writer. When the store is the slower side
 * the worker is not fed until the writer catches up, so memory stays flat however large the
 * input.
 */
const ITEMS_AHEAD = 20000;
/** Prepared objects per message from the worker, at most (see MESSAGE_CHARS for the other bound). */
const ITEMS_PER_MESSAGE = 1000;
/**
 * Streams prepared in worker threads at once, at most; more are prepared on the calling thread.
 * Their writes take turns at the store's single writer anyway, and each worker holds its own
 * heap and up to BYTES_AHEAD of input: without a bound, every concurrent upload started a thread.
 */
export const MAX_WORKER_STREAMS = 4;
/**
 * Of those, how many one member (or peer, or user without a member: core/inflight's shareKey)
 * may hold: a member with many slow uploads at once leaves the others places of their own,
 * instead of having their uploads prepared on the thread that answers every request.
 */
export const WORKER_STREAMS_PER_SHARE = MAX_WORKER_STREAMS / 2;
/** Workers kept idle for the next stream, and how long one is kept unused. */
const IDLE_WORKERS = 2;
const IDLE_MS = 60_000;

// This module runs as TypeScript under tsx (tests, benchmarks) and as JavaScript from dist/; the
// worker is its sibling in the same form.
const runsTypeScript = import.meta.url.endsWith('.ts');
const WORKER_ENTRY = new URL(runsTypeScript ? './intel.worker.ts' : './intel.worker.js', import.meta.url).href;

// Under a TypeScript loader the worker registers it first; compiled code starts it directly.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import('tsx/esm/api').then(({ register }) => { register(); return import(workerData.entry); });
`;

function startWorker(): Worker {
  const workerData = { entry: WORKER_ENTRY };
  // The parent's flags are not passed on: some (heap sizes, loaders) are invalid in a worker.
  // A larger young generation lets a batch's short-lived objects die without being promoted.
  const options = { workerData, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 64 } };
  const worker = runsTypeScript ? new Worker(BOOTSTRAP, { ...options, eval: true }) : new Worker(new URL(WORKER_ENTRY), options);
  // While idle, a worker that fails or ends leaves the pool; in use, the stream's own listeners
  // report it (and this one keeps an error from being thrown as unhandled meanwhile).
  worker.on('error', () => forget(worker));
  worker.on('exit', () => forget(worker));
  return worker;
}

const idle: Array<{ worker: Worker; timer: NodeJS.Timeout }> = [];
let streamsInWorkers = 0;
const streamsByShare = new Places(WORKER_STREAMS_PER_SHARE);

/**
 * Takes one of the MAX_WORKER_STREAMS places for a stream of this share to be prepared in a
 * worker: a function that gives it back (once), or undefined when all are taken or the share
 * holds WORKER_STREAMS_PER_SHARE.
 */
export function takeWorkerStream(share: string): (() => void) | undefined {
  if (streamsInWorkers >= MAX_WORKER_STREAMS) return undefined;
  const release = streamsByShare.take(share);
  if (!release) return undefined;
  streamsInWorkers++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    streamsInWorkers--;
    release();
  };
}

/** Workers idle, waiting for the next stream. */
export function idleWorkers(): number {
  return idle.length;
}

/** Streams being prepared in worker threads now. */
export function workerStreams(): number {
  return streamsInWorkers;
}

function forget(worker: Worker): void {
  const at = idle.findIndex((entry) => entry.worker === worker);
  if (at < 0) return;
  clearTimeout(idle[at]!.timer);
  idle.splice(at, 1);
}

/** An idle worker, or a new one. */
function takeWorker(): Worker {
  const entry = idle.pop();
  if (!entry) return startWorker();
  clearTimeout(entry.timer);
  entry.worker.ref();
  return entry.worker;
}

/** A worker whose stream ended cleanly waits for the next, without keeping the process alive. */
function releaseWorker(worker: Worker): void {
  if (idle.length >= IDLE_WORKERS) {
    void worker.terminate();
    return;
  }
  worker.unref();
  const timer = setTimeout(() => {
    forget(worker);
    void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  idle.push({ worker, timer });
}

/**
 * Starts a worker now, before the stream is ready (while the store is read for the stream's
 * markings, say): the next prepareInWorker takes it.
 */
export function warmWorker(): void {
  if (idle.length === 0) releaseWorker(startWorker());
}

export interface ParallelState {
  header: StreamHeader | undefined;
  bytesRead: number;
  /** While the stream runs: asks the worker to send what it has prepared (see IngestSource.flush). */
  flush?: () => void;
}

/**
 * Prepared objects of the stream, in order, computed in a worker thread: one array per message
 * of the worker (up to ITEMS_PER_MESSAGE objects, or MESSAGE_CHARS characters of bodies).
 */
export async function* prepareInWorker(
  source: AsyncIterable<Uint8Array>,
  handling: Map<string, HandlingMarking>,
  maxObjectBytes: number,
  defaults: MarkingDefaults,
  state: ParallelState,
  maxDepth: number,
): AsyncGenerator<Prepared[]> {
  const worker = takeWorker();
  const init: StreamInit = { handling: [...handling], defaults: { releasability: [...defaults.releasability] }, maxObjectBytes, maxDepth, batchSize: ITEMS_PER_MESSAGE };
  worker.postMessage({ kind: 'start', init } satisfies ToWorker);
  const inbox: FromWorker[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let ended = false;
  /** Sizes of the chunks forwarded and not yet taken, oldest first, and their sum. */
  const forwarded: number[] = [];
  let ahead = 0;
  let itemsWaiting = 0;
  let canSend: (() => void) | undefined;
  const onMessage = (message: FromWorker) => {
    if (message.kind === 'consumed') {
      ahead -= forwarded.shift() ?? 0;
      canSend?.();
      return;
    }
    if (message.kind === 'batch') itemsWaiting += message.packed.count;
    inbox.push(message);
    wake?.();
  };
  const onError = (error: Error) => {
    failure = error;
    wake?.();
    canSend?.();
  };
  const onExit = (code: number) => {
    failure ??= new Error(`ingest worker exited with code ${code}`);
    wake?.();
    canSend?.();
  };
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
  state.flush = () => {
    if (!failure && !ended) worker.postMessage({ kind: 'flush' } satisfies ToWorker);
  };

  // Feed the worker, never more than BYTES_AHEAD bytes ahead of its reader.
  const feeding = (async () => {
    for await (const chunk of source) {
      while (((ahead > 0 && ahead + chunk.byteLength > BYTES_AHEAD) || itemsWaiting >= ITEMS_AHEAD) && !failure && !ended) await new Promise<void>((resolve) => (canSend = resolve));
      canSend = undefined;
      // Once the stream has stopped (the worker read to the end of what it needs, or failed), the
      // worker may serve another stream: nothing more of this input may reach it.
      if (failure || ended) return;
      forwarded.push(chunk.byteLength);
      ahead += chunk.byteLength;
      worker.postMessage({ kind: 'chunk', chunk } satisfies ToWorker);
    }
    if (!failure && !ended) worker.postMessage({ kind: 'end' } satisfies ToWorker);
  })();
  feeding.catch((error: unknown) => {
    failure = error instanceof Error ? error : new Error(String(error));
    wake?.();
  });

  try {
    for (;;) {
      if (inbox.length === 0) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const message = inbox.shift()!;
      if (message.kind === 'failed') throw new Error(`ingest worker failed: ${message.message}`);
      if (message.kind === 'consumed') continue;
      state.header = message.header;
      state.bytesRead = message.bytesRead;
      if (message.kind === 'end') {
        ended = true;
        return;
      }
      itemsWaiting -= message.packed.count;
      canSend?.();
      yield unpackBatch(message.packed);
    }
  } finally {
    state.flush = undefined;
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onExit);
    if (ended && !failure) releaseWorker(worker);
    else {
      // Stopped part way (or failed): the worker may still be reading; it is not reused.
      failure ??= new Error('ingest stopped');
      await worker.terminate();
    }
    // A feeding held back (the worker was far behind) sees that the stream stopped.
    canSend?.();
    // The feeding is not waited for. The worker may have ended before the input did (its text
    // broke off, say), and the feeding then waits for the input's next chunk, which a sender that
    // stopped sending may never send: the stream would hold its worker place the while. The
    // feeding ends at that chunk, or when the input ends or fails, and forwards nothing more.
  }
}
