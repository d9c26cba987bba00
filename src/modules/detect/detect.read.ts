/**
 * Reading a member's log on several threads, for bulk matching. The input is cut into runs of
 * whole lines (about 1 MiB each); reader threads parse them, take out the observable values
 * and, given the index's key filter, drop every event that names no value the index may hold;
 * this thread gets the other events back, in input order, ready for the matcher. At most a few
 * runs are in flight, so memory stays flat however long the input.
 *
 * Formats whose lines stand alone (EVE, NDJSON, Zeek JSON, plain lines) are read this way;
 * CSV (a quoted field may span lines), Zeek TSV (headers change the layout) and short inputs
 * are read in this thread by readLogEvents. Either way the events, their order, the errors and
 * their line numbers and byte offsets are those readLogEvents gives; only `record` is left out
 * of events read on other threads.
 */
import { availableParallelism } from 'node:os';
import {
  checkReadOptions, DEFAULT_MAX_LINE_BYTES, inputBytes, isLineFormat, LineRunReader, oversizedLineMessage, readLogEvents, settleFormat,
  type EventValue, type LineFormat, type LogEvent, type ReadLogOptions,
} from '../logformats/logformats.js';
import type { KeyFilter } from './detect.filter.js';
import { RunBuffers, RunCutter, type Piece } from './detect.read.cut.js';
import { bundledWorker, ReaderPool, RUNS_PER_THREAD, runsTypeScript, type RunResult } from './detect.read.pool.js';
import { readRun } from './detect.read.run.js';
import type { UnanchoredPatterns } from './detect.unanchored.js';
import { OBSERVABLE_KINDS } from '../../stix/observable.js';
import { nextTurn } from '../../core/turn.js';

export { runBuffersAllocated } from './detect.read.cut.js';
export { prepareReaderThreads, readerThreads, runsReadOnThreads, type FromReader, type ReaderInit, type RunMessage, type RunResult } from './detect.read.pool.js';

/** Inputs shorter than this are read in this thread: starting reader threads costs more. */
const PARALLEL_FROM_BYTES = 4 * 1024 * 1024;
/** While the first bytes are gathered, an input silent this long is read in this thread (a live feed). */
const HEAD_WAIT_MS = 250;
/** Bytes read ahead to settle the format before giving up on reading in parallel. */
const HEAD_LIMIT_BYTES = 16 * 1024 * 1024;
const RUN_BYTES = 1024 * 1024;
/** Runs this thread may read ahead of the oldest one still on a thread. */
const RUNS_AHEAD_HERE = 16;
const MAX_THREADS = 4;
/** A slice to read here longer than this many times hereSliceBytes (one long line) is left to a thread. */
const LONG_SLICE_FACTOR = 4;
/**
 * Without hereSliceBytes, what this thread reads at a time is what it read in about this many
 * milliseconds last time (up to MOST_HERE_SLICE): a few KiB of lines that each cost an exception
 * (a run of 1 MiB of them read at once held the thread 2.3 s).
 */
const HERE_SLICE_MS = 20;
/** What this thread reads first, before it knows its pace; and the least it reads at a time. */
const FIRST_HERE_SLICE = 16 * 1024;
const LEAST_HERE_SLICE = 4 * 1024;
/**
 * The most it reads at a time, whatever its pace: a slice of cheap lines made the next slice the
 * rest of a run, which costly lines then filled (3.2 s at a time).
 */
const MOST_HERE_SLICE = 64 * 1024;
/**
 * The most lines a slice read here holds: what a line costs goes with lines more than bytes (a
 * line of "#" is two bytes and an exception), and 64 KiB of them took 224-310 ms.
 */
const MOST_HERE_LINES = 2048;

/** The end (after its line feed) of the `count`th line of bytes before `limit`; 0 when fewer end there. */
function afterLines(bytes: Buffer, count: number, limit: number): number {
  let at = 0;
  for (let n = 0; n < count; n++) {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0 || end >= limit) return 0;
    at = end + 1;
  }
  return at;
}

export interface EventBatch {
  /** Events in input order: every event read, or with a key filter only those that may match. */
  readonly events: LogEvent[];
  /** Events read but not passed on, naming no value the filter may hold, and their values. */
  readonly dropped: number;
  readonly droppedValues: number;
  /**
   * Per event, the slots of the unanchored patterns it may touch, when the reader filtered for
   * them (given `unanchored`: UnanchoredSet.mayTouch); undefined when the batch was read without
   * them. The matcher evaluates each.
   */
  readonly unanchored?: readonly (readonly number[])[];
}

export interface ReadBatchOptions extends ReadLogOptions {
  /**
   * The index's key filter, asked again for each run (it may be replaced as the index grows);
   * undefined when every event must be passed on (patterns no value anchors).
   */
  readonly candidates?: () => KeyFilter | undefined;
  /**
   * The patterns no value anchors, asked again for each run: readers filter every event for them
   * and keep those that may touch one, with the key filter on (see EventBatch.unanchored).
   */
  readonly unanchored?: () => UnanchoredPatterns | undefined;
  /** Reader threads beside this one; default: one less than the cores, at least 1, at most 4. 0 reads in this thread only. */
  readonly threads?: number;
  /** Inputs shorter than this many bytes are read in this thread (default 4 MiB). */
  readonly parallelFrom?: number;
  /** Bytes per run handed to a reader thread (default 1 MiB). */
  readonly runBytes?: number;
  /** Read runs in this thread too while the reader threads start or are busy (default true). */
  readonly readHere?: boolean;
  /**
   * Most bytes read in this thread at a time, others' requests let in between (default: a whole
   * run). Small slices keep this thread free for them while it helps the reader threads.
   */
  readonly hereSliceBytes?: number;
  /**
   * Bad records of a run past its first RUN_ERRORS_KEPT: counted here, not reported one by one
   * through onError (a run of bad lines made half a million errors, each copied from its thread).
   */
  readonly onMoreErrors?: (count: number) => void;
}

/**
 * Events of a log in batches, as readLogEvents reads them; large inputs of the line formats
 * are read on reader threads (see the module comment).
 */
export function readEventBatches(input: AsyncIterable<Buffer | string>, options: ReadBatchOptions = {}): AsyncGenerator<EventBatch> {
  checkReadOptions(options);
  const threads = options.threads ?? Math.max(1, Math.min(MAX_THREADS, availableParallelism() - 1));
  if (!Number.isInteger(threads) || threads < 0) throw new TypeError(`threads must be a whole number, not ${threads}`);
  return batches(input, options, threads);
}

async function* batches(input: AsyncIterable<Buffer | string>, options: ReadBatchOptions, threads: number): AsyncGenerator<EventBatch> {
  const source = inputBytes(input)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  let format: LineFormat | undefined;
  let waiting: Promise<IteratorResult<Buffer>> | undefined;
  const parallelFrom = options.parallelFrom ?? PARALLEL_FROM_BYTES;
  if (threads > 0) {
    for (;;) {
      if (headBytes >= parallelFrom) {
        const settled = settleFormat(headLines(head, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES), options);
        if (settled !== undefined || headBytes >= Math.max(parallelFrom, HEAD_LIMIT_BYTES)) {
          format = settled !== undefined && isLineFormat(settled) ? settled : undefined;
          break;
        }
      }
      const asked = source.next();
      const next = await arrivesWithin(asked, HEAD_WAIT_MS);
      if (next === undefined) {
        // A log that keeps us waiting (a live feed) is read here, its events passed on as they come.
        waiting = asked;
        break;
      }
      if (next.done) {
        ended = true;
        break;
      }
      // Copied: the caller may reuse its buffer once the next chunk is asked for.
      head.push(Buffer.from(next.value));
      headBytes += next.value.length;
    }
  }
  const rest = replayThen(head, ended ? undefined : source, waiting);
  if (format === undefined) {
    for await (const events of readLogEvents(rest, options)) yield { events, dropped: 0, droppedValues: 0 };
    return;
  }
  yield* readInParallel(rest, format, options, threads);
}

/** The next chunk, or undefined when it takes longer than `ms` to come. */
async function arrivesWithin<T>(next: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([next, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function* replayThen(head: Buffer[], source: AsyncIterator<Buffer> | undefined, asked?: Promise<IteratorResult<Buffer>>): AsyncGenerator<Buffer> {
  try {
    while (head.length > 0) yield head.shift()!;
    if (source === undefined) return;
    for (;;) {
      const next = await (asked ?? source.next());
      asked = undefined;
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await source?.return?.();
  }
}

/** Whole lines of the head, as readLogEvents hands them to format detection. */
function* headLines(head: readonly Buffer[], maxLineBytes: number): Generator<string> {
  const bytes = head.length === 1 ? head[0]! : Buffer.concat(head);
  let position = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, position);
    if (end < 0) return;
    if (end - position <= maxLineBytes) {
      const text = bytes.toString('utf8', position, end > position && bytes[end - 1] === 0x0d ? end - 1 : end);
      yield position === 0 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    }
    position = end + 1;
  }
}

type Pending =
  | { readonly kind: 'run'; readonly result: Promise<RunResult>; readonly offset: number; readonly end: number; done: boolean }
  | { readonly kind: 'oversized'; readonly offset: number; readonly end: number };

function pendingRun(result: Promise<RunResult>, offset: number, end: number, done: boolean): Pending {
  const entry = { kind: 'run' as const, result, offset, end, done };
  if (!done) void result.then(() => (entry.done = true), () => (entry.done = true));
  return entry;
}

async function* readInParallel(input: AsyncIterable<Buffer>, format: LineFormat, options: ReadBatchOptions, threads: number): AsyncGenerator<EventBatch> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const runBytes = options.runBytes ?? RUN_BYTES;
  // As many buffers as may be in flight and waiting: past the first few runs, none is new.
  const buffers = new RunBuffers(runBytes, threads * RUNS_PER_THREAD + RUNS_AHEAD_HERE + 2);
  const pool = new ReaderPool(threads, { format, options: { columns: options.columns, maxLineBytes } }, runsTypeScript ? await bundledWorker() : undefined, (buffer) => buffers.give(buffer));
  const cutter = new RunCutter(buffers, maxLineBytes);
  const pending: Pending[] = [];
  // Bytes of the runs in the threads' hands, and of those read here meanwhile, waiting behind
  // them: a thread slower than this one (still warming up, or given less of the CPU) holds back
  // little. Counted in bytes, not runs: this thread reads slices much smaller than a run.
  const maxPendingBytes = (threads * RUNS_PER_THREAD + RUNS_AHEAD_HERE) * runBytes;
  let line = 1;
  let localReader: LineRunReader | undefined;
  /** How fast this thread read its last slice (bytes a millisecond); undefined before the first. */
  let hereBytesPerMs: number | undefined;
  const onError = options.onError;
  const report = (at: number, offset: number, message: string) => onError?.({ line: at, offset, message: `line ${at} (byte ${offset}): ${message}` });

  /**
   * Hands a run to a thread with room for it, or reads it here when none has (the threads are
   * starting, or busy): this thread's time is not left idle while it waits for them.
   */
  const dispatch = (piece: Piece, at: number): boolean => {
    if (piece.kind === 'oversized') {
      pending.push(piece);
      return false;
    }
    const filter = options.candidates?.()?.buffer ?? null;
    const unanchored = options.unanchored?.();
    const end = piece.offset + piece.bytes.length;
    // Read at once; the events keep no view of the bytes, so the buffer is free after its last piece.
    const here = (bytes: Buffer, offset: number, last: boolean) => {
      localReader ??= new LineRunReader(format, { columns: options.columns, maxLineBytes });
      const started = performance.now();
      pending.push(pendingRun(Promise.resolve(readRun(localReader, { id: -1, bytes, offset, filter, unanchored: unanchored ?? null })), offset, offset + bytes.length, true));
      if (bytes.length >= LEAST_HERE_SLICE) hereBytesPerMs = bytes.length / Math.max(performance.now() - started, 0.01);
      if (last) buffers.give(bytes.buffer as ArrayBuffer);
    };
    if (options.readHere === false) {
      pending.push(pendingRun(pool.read(piece.bytes, piece.offset, filter, unanchored), piece.offset, end, false));
      return false;
    }
    /**
     * Reads here the end of the piece from `offset`, in slices when asked (the rest goes next, to
     * a thread if one has room by then); false when it went to a thread instead.
     */
    const readHereSliced = (bytes: Buffer, offset: number): boolean => {
      const slice = options.hereSliceBytes ?? (hereBytesPerMs === undefined ? FIRST_HERE_SLICE : Math.min(MOST_HERE_SLICE, Math.max(LEAST_HERE_SLICE, Math.floor(hereBytesPerMs * HERE_SLICE_MS))));
      const byBytes = bytes.length > slice ? bytes.indexOf(0x0a, slice) + 1 : 0;
      const byLines = afterLines(bytes, MOST_HERE_LINES, byBytes > 0 ? byBytes : bytes.length);
      const cut = byLines > 0 ? byLines : byBytes;
      // A slice that would hold a line many times its size (a log line of a megabyte) goes to a
      // thread however busy, rather than holding this one for tens of milliseconds.
      if ((cut > 0 ? cut : bytes.length) > LONG_SLICE_FACTOR * slice) {
        pending.push(pendingRun(pool.read(bytes, offset, filter, unanchored), offset, end, false));
        return false;
      }
      if (cut <= 0 || cut >= bytes.length) {
        here(bytes, offset, piece.last);
        return true;
      }
      here(bytes.subarray(0, cut), offset, false);
      cutter.pieces.splice(at + 1, 0, { kind: 'run', bytes: bytes.subarray(cut), offset: offset + cut, last: piece.last });
      return true;
    };
    if (!pool.hasRoom) return readHereSliced(piece.bytes, piece.offset);
    // A thread warming up takes the first lines of the run; this thread reads the rest.
    const share = pool.nextShare;
    const cut = share < 1 ? piece.bytes.indexOf(0x0a, Math.floor(piece.bytes.length * share)) + 1 : 0;
    if (cut <= 0 || cut >= piece.bytes.length) {
      pending.push(pendingRun(pool.read(piece.bytes, piece.offset, filter, unanchored), piece.offset, end, false));
      return false;
    }
    // Copied out: the part sent is moved to the thread with its whole buffer.
    const first = Buffer.allocUnsafeSlow(cut);
    piece.bytes.copy(first, 0, 0, cut);
    pending.push(pendingRun(pool.read(first, piece.offset, filter, unanchored), piece.offset, piece.offset + cut, false));
    // Most of the run is read here then: in slices too, when asked.
    return readHereSliced(piece.bytes.subarray(cut), piece.offset + cut);
  };
  // A run's outcome is taken in input order, whatever thread read it.
  async function* settle(piece: Pending): AsyncGenerator<EventBatch> {
    if (piece.kind === 'oversized') {
      report(line, piece.offset, oversizedLineMessage(maxLineBytes));
      line++;
      options.onProgress?.(piece.end);
      return;
    }
    const result = await piece.result;
    for (const [at, offset, message] of result.errors) report(line + at, offset, message);
    if (result.moreErrors > 0) options.onMoreErrors?.(result.moreErrors);
    const events = eventsOf(result, line);
    line += result.newlines;
    options.onProgress?.(piece.end);
    const unanchored = options.unanchored === undefined ? undefined : touchesOf(result);
    yield { events, dropped: result.read - events.length, droppedValues: result.valueCount - result.values.length, ...(unanchored ? { unanchored } : {}) };
  }

  async function* handOut(): AsyncGenerator<EventBatch> {
    for (let at = 0; at < cutter.pieces.length; at++) {
      const piece = cutter.pieces[at]!;
      // After a run read here, the threads' messages are let in (results, a thread ready).
      if (dispatch(piece, at)) await nextTurn();
      // Runs already read go out at once; past the window, the oldest is waited for.
      while (pending.length > 0 && (pending[pending.length - 1]!.end - pending[0]!.offset >= maxPendingBytes || pending[0]!.kind === 'oversized' || pending[0]!.done)) yield* settle(pending.shift()!);
    }
    cutter.pieces.length = 0;
  }

  try {
    for await (const bytes of input) {
      cutter.push(bytes);
      yield* handOut();
    }
    cutter.end();
    yield* handOut();
    while (pending.length > 0) yield* settle(pending.shift()!);
    options.onProgress?.(cutter.position);
  } finally {
    // Runs still in flight are abandoned with their threads.
    await pool.close();
  }
}

const NO_SLOTS: readonly number[] = Object.freeze([]);

/** Per event passed on, the unanchored patterns it touches; undefined when the run was read without a set. */
function touchesOf(result: RunResult): (readonly number[])[] | undefined {
  const n = result.lines.length;
  if (result.touchCounts.length !== n) return undefined;
  const out = new Array<readonly number[]>(n);
  let at = 0;
  for (let e = 0; e < n; e++) {
    const count = result.touchCounts[e]!;
    out[e] = count === 0 ? NO_SLOTS : Array.from(result.touchSlots.subarray(at, at + count));
    at += count;
  }
  return out;
}

function eventsOf(result: RunResult, firstLine: number): LogEvent[] {
  const n = result.lines.length;
  const events: LogEvent[] = new Array<LogEvent>(n);
  let v = 0;
  for (let e = 0; e < n; e++) {
    const count = result.counts[e]!;
    const values: EventValue[] = new Array<EventValue>(count);
    for (let j = 0; j < count; j++, v++) {
      values[j] = { kind: OBSERVABLE_KINDS[result.kinds[v]!]!, value: result.values[v]!, field: result.fields[result.fieldIds[v]!]! };
    }
    const time = result.times[e]!;
    events[e] = { line: firstLine + result.lines[e]!, time: Number.isNaN(time) ? undefined : time, values, record: undefined };
  }
  return events;
}
