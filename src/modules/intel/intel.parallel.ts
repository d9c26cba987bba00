/**
 * Runs the CPU half of ingest (intel.prepare.ts) in a worker thread for large streams. The
 * parent reads the source and forwards its chunks (a bounded number ahead), and receives
 * prepared objects in order.
 */
import { Worker } from 'node:worker_threads';
import type { HandlingMarking, MarkingDefaults } from '../../policy/markings.js';
import type { StreamHeader } from '../../stix/stream-reader.js';
import { unpackBatch, type PackedBatch } from './intel.pack.js';
import type { Prepared } from './intel.prepare.js';

export interface WorkerInit {
  handling: Array<[string, HandlingMarking]>;
  defaults: MarkingDefaults;
  maxObjectBytes: number;
  maxDepth: number;
  batchSize: number;
}

export type ToWorker = { kind: 'chunk'; chunk: Uint8Array } | { kind: 'end' };

export type FromWorker =
  | { kind: 'consumed' }
  | { kind: 'batch'; packed: PackedBatch; header: StreamHeader; bytesRead: number }
  | { kind: 'end'; header: StreamHeader; bytesRead: number }
  | { kind: 'failed'; message: string };

/** Chunks forwarded but not yet taken by the worker's reader; bounds memory. */
const CHUNKS_AHEAD = 4;
/**
 * Prepared objects received but not yet taken by the writer. When the store is the slower side
 * the worker is not fed until the writer catches up, so memory stays flat however large the
 * input.
 */
const ITEMS_AHEAD = 20000;
/** Prepared objects per message from the worker. */
const ITEMS_PER_MESSAGE = 1000;

// This module runs as TypeScript under tsx (tests, benchmarks) and as JavaScript from dist/; the
// worker is its sibling in the same form.
const runsTypeScript = import.meta.url.endsWith('.ts');
const WORKER_ENTRY = new URL(runsTypeScript ? './intel.worker.ts' : './intel.worker.js', import.meta.url).href;

// Under a TypeScript loader the worker registers it first; compiled code starts it directly.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import('tsx/esm/api').then(({ register }) => { register(); return import(workerData.entry); });
`;

function startWorker(init: WorkerInit): Worker {
  const workerData = { ...init, entry: WORKER_ENTRY };
  // The parent's flags are not passed on: some (heap sizes, loaders) are invalid in a worker.
  // A larger young generation lets a batch's short-lived objects die without being promoted.
  const options = { workerData, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 64 } };
  return runsTypeScript ? new Worker(BOOTSTRAP, { ...options, eval: true }) : new Worker(new URL(WORKER_ENTRY), options);
}

export interface ParallelState {
  header: StreamHeader | undefined;
  bytesRead: number;
}

/** Prepared objects of the stream, in order, computed in a worker thread. */
export async function* prepareInWorker(
  source: AsyncIterable<Uint8Array>,
  handling: Map<string, HandlingMarking>,
  maxObjectBytes: number,
  defaults: MarkingDefaults,
  state: ParallelState,
  maxDepth: number,
): AsyncGenerator<Prepared> {
  const worker = startWorker({ handling: [...handling], defaults: { releasability: [...defaults.releasability] }, maxObjectBytes, maxDepth, batchSize: ITEMS_PER_MESSAGE });
  const inbox: FromWorker[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let ahead = 0;
  let itemsWaiting = 0;
  let canSend: (() => void) | undefined;
  worker.on('message', (message: FromWorker) => {
    if (message.kind === 'consumed') {
      ahead--;
      canSend?.();
      return;
    }
    if (message.kind === 'batch') itemsWaiting += message.packed.count;
    inbox.push(message);
    wake?.();
  });
  worker.on('error', (error) => {
    failure = error;
    wake?.();
    canSend?.();
  });
  worker.on('exit', (code) => {
    if (code !== 0) failure ??= new Error(`ingest worker exited with code ${code}`);
    wake?.();
    canSend?.();
  });

  // Feed the worker, never more than CHUNKS_AHEAD chunks ahead of its reader.
  const feeding = (async () => {
    for await (const chunk of source) {
      while ((ahead >= CHUNKS_AHEAD || itemsWaiting >= ITEMS_AHEAD) && !failure) await new Promise<void>((resolve) => (canSend = resolve));
      canSend = undefined;
      if (failure) return;
      ahead++;
      worker.postMessage({ kind: 'chunk', chunk } satisfies ToWorker);
    }
    worker.postMessage({ kind: 'end' } satisfies ToWorker);
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
      if (message.kind === 'end') return;
      itemsWaiting -= message.packed.count;
      canSend?.();
      for (const item of unpackBatch(message.packed)) yield item;
    }
  } finally {
    await worker.terminate();
    await feeding.catch(() => undefined);
  }
}
