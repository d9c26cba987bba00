/**
 * Ingest worker thread: receives the raw bytes of a stream, cuts, parses, validates and builds
 * rows (intel.prepare.ts), and sends them back in batches. The parent writes them to the store,
 * so parsing and writing run on two cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { HandlingMarking } from '../../policy/markings.js';
import { StixStreamReader } from '../../stix/stream-reader.js';
import { packBatch } from './intel.pack.js';
import { StreamPreparer, type Prepared } from './intel.prepare.js';
import type { FromWorker, ToWorker, WorkerInit } from './intel.parallel.js';

const port = parentPort;
if (!port) throw new Error('intel.worker.ts runs as a worker thread only');
const init = workerData as WorkerInit;
const preparer = new StreamPreparer(new Map<string, HandlingMarking>(init.handling), init.maxObjectBytes, init.defaults, init.maxDepth);
const reader = new StixStreamReader({ maxObjectBytes: init.maxObjectBytes, maxDepth: init.maxDepth });

// Chunks arrive as messages; the reader pulls them through this queue.
const queue: Array<Uint8Array | null> = [];
let wake: (() => void) | undefined;
port.on('message', (message: ToWorker) => {
  queue.push(message.kind === 'chunk' ? message.chunk : null);
  wake?.();
});

async function* chunks(): AsyncGenerator<Uint8Array> {
  for (;;) {
    if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    const next = queue.shift();
    if (next === null || next === undefined) return;
    port!.postMessage({ kind: 'consumed' } satisfies FromWorker);
    yield next;
  }
}

async function run(): Promise<void> {
  let batch: Prepared[] = [];
  const send = () => {
    port!.postMessage({ kind: 'batch', packed: packBatch(batch), header: reader.header, bytesRead: reader.bytesRead } satisfies FromWorker);
    batch = [];
  };
  for await (const entry of reader.entries(chunks())) {
    batch.push(preparer.prepare(entry, reader.header));
    if (batch.length >= init.batchSize) send();
  }
  send();
  port!.postMessage({ kind: 'end', header: reader.header, bytesRead: reader.bytesRead } satisfies FromWorker);
}

run().catch((error: unknown) => {
  port.postMessage({ kind: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies FromWorker);
});
