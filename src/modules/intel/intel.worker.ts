/**
 * Ingest worker thread: receives the raw bytes of a stream, cuts, parses, validates and builds
 * rows (intel.prepare.ts), and sends them back in batches. The parent writes them to the store,
 * so parsing and writing run on two cores. One stream at a time, one after another: each begins
 * with a 'start' message carrying what it needs (see intel.parallel.ts).
 */
import { parentPort } from 'node:worker_threads';
import type { HandlingMarking } from '../../policy/markings.js';
import { StixStreamReader } from '../../stix/stream-reader.js';
import { MESSAGE_CHARS, packBatch } from './intel.pack.js';
import { StreamPreparer, type Prepared } from './intel.prepare.js';
import { ROW_BODY } from './intel.rows.js';
import type { FromWorker, StreamInit, ToWorker } from './intel.parallel.js';

const port = parentPort;
if (!port) throw new Error('intel.worker.ts runs as a worker thread only');

/** The first message of a stream is sent sooner, so that the writer starts sooner. */
const FIRST_MESSAGE_ITEMS = 250;

/** The stream being prepared: chunks arrive as messages, and the reader pulls them through this queue. */
let queue: Array<Uint8Array | null> = [];
let wake: (() => void) | undefined;
/** Sends the objects of the stream prepared so far, if any (while a stream runs): whether there were any. */
let flush: (() => boolean) | undefined;
/**
 * The parent found no objects coming for a while and asked for what is held, and nothing has been
 * sent since: the objects held are sent as soon as this thread has read every chunk it was given
 * (see chunks()). Once the parent has asked, it waits for this thread's next message. Flushed
 * only when asked, objects read after that (the rest of a large part still being read or
 * forwarded, a sender's pause after it) stayed here until more input came or the stream ended.
 */
let flushWanted = false;

port.on('message', (message: ToWorker) => {
  if (message.kind === 'start') {
    queue = [];
    flushWanted = false;
    run(message.init).catch((error: unknown) => {
      port.postMessage({ kind: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies FromWorker);
    });
    return;
  }
  // Between two chunks (each is read whole in one go): the stream's input is idle.
  if (message.kind === 'flush') {
    // Waiting for input, the reader has read every chunk before: what they hold goes now.
    // Otherwise (chunks queued, or one being read: the reader gives turns within a chunk), or
    // when nothing is held yet, once it has read every chunk given and holds something.
    if (!(wake && flush?.())) flushWanted = true;
    return;
  }
  queue.push(message.kind === 'chunk' ? message.chunk : null);
  wake?.();
});

async function* chunks(): AsyncGenerator<Uint8Array> {
  for (;;) {
    if (queue.length === 0) {
      // Every chunk before is read and its objects prepared: the idle input's objects go now.
      if (flushWanted && flush?.()) flushWanted = false;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    wake = undefined;
    const next = queue.shift();
    if (next === null || next === undefined) return;
    port!.postMessage({ kind: 'consumed' } satisfies FromWorker);
    yield next;
  }
}

async function run(init: StreamInit): Promise<void> {
  const preparer = new StreamPreparer(new Map<string, HandlingMarking>(init.handling), init.maxObjectBytes, init.defaults, init.maxDepth);
  const reader = new StixStreamReader({ maxObjectBytes: init.maxObjectBytes, maxDepth: init.maxDepth });
  let batch: Prepared[] = [];
  let chars = 0;
  let size = Math.min(FIRST_MESSAGE_ITEMS, init.batchSize);
  const send = () => {
    // A message answers the parent's request for what is held: it asks again if it waits again.
    flushWanted = false;
    port!.postMessage({ kind: 'batch', packed: packBatch(batch), header: reader.header, bytesRead: reader.bytesRead } satisfies FromWorker);
    batch = [];
    chars = 0;
    size = init.batchSize;
  };
  flush = () => {
    if (batch.length === 0) return false;
    send();
    return true;
  };
  for await (const entry of reader.entries(chunks())) {
    const item = preparer.prepare(entry, reader.header);
    batch.push(item);
    if ('row' in item && item.row) chars += item.row[ROW_BODY].length;
    if (batch.length >= size || chars >= MESSAGE_CHARS) send();
  }
  flush = undefined;
  send();
  port!.postMessage({ kind: 'end', header: reader.header, bytesRead: reader.bytesRead } satisfies FromWorker);
}
