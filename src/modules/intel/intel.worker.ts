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
/** Sends the objects of the stream prepared so far, if any (while a stream runs). */
let flush: (() => void) | undefined;
/**
 * The input went idle while chunks were still to be read here: what they hold is sent once they
 * are read (see chunks()). Flushed at once, the objects of the chunks not yet read stayed here
 * until more input came, or the stream ended (the parent waits for this thread's next message):
 * a sender that paused after a large part had its last objects held back.
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
    // Otherwise (chunks queued, or one being read: the reader gives turns within a chunk), once
    // it has read them.
    if (wake) flush?.();
    else flushWanted = true;
    return;
  }
  queue.push(message.kind === 'chunk' ? message.chunk : null);
  wake?.();
});

async function* chunks(): AsyncGenerator<Uint8Array> {
  for (;;) {
    if (queue.length === 0) {
      // Every chunk before is read and its objects prepared: the idle input's objects go now.
      if (flushWanted) {
        flushWanted = false;
        flush?.();
      }
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
    port!.postMessage({ kind: 'batch', packed: packBatch(batch), header: reader.header, bytesRead: reader.bytesRead } satisfies FromWorker);
    batch = [];
    chars = 0;
    size = init.batchSize;
  };
  flush = () => {
    if (batch.length > 0) send();
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
