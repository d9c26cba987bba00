/** Log reader thread (see detect.read.ts, detect.read.pool.ts): reads the runs it is sent, in turn. */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromReader, ReaderInit, RunMessage } from './detect.read.pool.js';
import { readRun } from './detect.read.run.js';
import { LineRunReader } from '../logformats/logformats.js';

const port = parentPort;
if (!port) throw new Error('detect.read.worker.ts runs as a worker thread only');
const init = workerData as ReaderInit;
const reader = new LineRunReader(init.format, init.options);

port.on('message', (message: RunMessage) => {
  let reply: Extract<FromReader, { kind: 'run' | 'failed' }>;
  try {
    reply = { kind: 'run', result: readRun(reader, message) };
  } catch (error) {
    reply = { kind: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) };
  }
  const transfer = reply.kind === 'run'
    ? [reply.result.lines.buffer, reply.result.times.buffer, reply.result.counts.buffer, reply.result.kinds.buffer, reply.result.fieldIds.buffer, reply.result.touchCounts.buffer, reply.result.touchSlots.buffer]
    : [];
  // The run's bytes go back to be cut into again (the result keeps no view of them).
  const buffer = message.bytes.buffer as ArrayBuffer;
  reply.buffer = buffer;
  port.postMessage(reply, [...transfer, buffer] as ArrayBuffer[]);
});
port.postMessage({ kind: 'ready' } satisfies FromReader);
