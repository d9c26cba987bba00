/**
 * The log reader threads of a bulk match (see detect.read.ts): started per match, each reading
 * the runs it is sent (detect.read.worker.ts); what they are sent and what they send back.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LineFormat, ReadLogOptions } from '../logformats/logformats.js';
import type { UnanchoredPattern, UnanchoredPatterns } from './detect.unanchored.js';

/** Runs in flight per reader thread: one being read, one waiting. */
export const RUNS_PER_THREAD = 2;
/** Runs a new thread is given smaller (halving back from a full one) while its code warms up. */
const WARM_UP_RUNS = 4;

/** What a reader thread is started with. */
export interface ReaderInit {
  readonly format: LineFormat;
  readonly options: Pick<ReadLogOptions, 'columns' | 'maxLineBytes'>;
  readonly entry: string;
}

export interface RunMessage {
  readonly id: number;
  readonly bytes: Uint8Array;
  /** Byte offset of the run in the input. */
  readonly offset: number;
  readonly filter: SharedArrayBuffer | null;
  /** The unanchored patterns to evaluate: in full the first time a thread meets a version, then by version. */
  readonly unanchored: { readonly version: number; readonly slots?: readonly number[]; readonly patterns?: readonly UnanchoredPattern[] } | null;
}

/** A run read: events passed on in columns (lines relative to the run's first line). */
export interface RunResult {
  readonly id: number;
  readonly newlines: number;
  /** [line, offset, message] in input order. */
  readonly errors: Array<[number, number, string]>;
  /** Bad records past the first RUN_ERRORS_KEPT, counted only. */
  readonly moreErrors: number;
  readonly read: number;
  readonly valueCount: number;
  readonly lines: Int32Array;
  /** NaN: no time. */
  readonly times: Float64Array;
  readonly counts: Int32Array;
  readonly kinds: Uint8Array;
  readonly fieldIds: Int32Array;
  /** Per event passed on, the unanchored patterns it touches (empty without a set), their slots flat. */
  readonly touchCounts: Int32Array;
  readonly touchSlots: Int32Array;
  readonly values: string[];
  readonly fields: string[];
}

/** A run's outcome; `buffer`: the run's bytes, moved back for the next run to reuse. */
export type FromReader = { kind: 'ready' } | { kind: 'run'; result: RunResult; buffer?: ArrayBuffer } | { kind: 'failed'; id: number; message: string; buffer?: ArrayBuffer };

let liveThreads = 0;
let threadRuns = 0;

/** Reader threads running now, in this process (for tests: none are left behind). */
export function readerThreads(): number {
  return liveThreads;
}

/** Runs read on reader threads so far, in this process. */
export function runsReadOnThreads(): number {
  return threadRuns;
}

// This module runs as TypeScript under tsx (tests, benchmarks) and as JavaScript from dist/; the
// reader thread's module is its sibling in the same form.
export const runsTypeScript = import.meta.url.endsWith('.ts');
const WORKER_ENTRY = new URL(runsTypeScript ? './detect.read.worker.ts' : './detect.read.worker.js', import.meta.url);

// Under TypeScript, when the bundle cannot be made, the thread loads its sources through tsx's
// CommonJS hooks (its ESM loader would start one more thread per reader, and slower).
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
require('tsx/cjs/api').require(workerData.entry, workerData.entry);
`;

let bundle: Promise<string | undefined> | undefined;

/**
 * Under TypeScript, the reader thread's sources bundled into one script, once per process, by
 * esbuild (which tsx runs on): a thread then starts in tens of milliseconds instead of the
 * hundreds tsx takes to load and transform the same files in each new thread.
 */
export function bundledWorker(): Promise<string | undefined> {
  bundle ??= (async () => {
    try {
      const esbuild = await import('esbuild');
      const built = await esbuild.build({
        entryPoints: [fileURLToPath(WORKER_ENTRY)], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent',
      });
      return built.outputFiles[0]?.text;
    } catch {
      return undefined;
    }
  })();
  return bundle;
}

/**
 * Makes ready what starting reader threads needs, ahead of a first bulk match: under TypeScript
 * the bundle of their sources (the compiled program, dist/, has none to make).
 */
export async function prepareReaderThreads(): Promise<void> {
  if (runsTypeScript) await bundledWorker();
}

interface Waiting {
  resolve(result: RunResult): void;
  reject(error: Error): void;
}

interface Reader {
  readonly worker: Worker;
  ready: boolean;
  inFlight: number;
  /** Runs read so far: a new thread runs cold code, and is given small runs while it warms up. */
  done: number;
  /** The unanchored pattern set the thread was last sent in full. */
  unanchoredVersion: number;
}

export class ReaderPool {
  readonly #readers: Reader[] = [];
  readonly #waiting = new Map<number, Waiting>();
  readonly #exited: Promise<void>[] = [];
  #failure: Error | undefined;
  #id = 0;

  constructor(threads: number, init: Omit<ReaderInit, 'entry'>, script: string | undefined, private readonly onBuffer?: (buffer: ArrayBuffer) => void) {
    const workerData: ReaderInit = { ...init, entry: runsTypeScript ? fileURLToPath(WORKER_ENTRY) : WORKER_ENTRY.href };
    // The parent's flags are not passed on: some (heap sizes, loaders) are invalid in a worker.
    const options = { workerData, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 64 } };
    for (let i = 0; i < threads; i++) {
      const worker = !runsTypeScript ? new Worker(WORKER_ENTRY, options) : new Worker(script ?? BOOTSTRAP, { ...options, eval: true });
      const reader: Reader = { worker, ready: false, inFlight: 0, done: 0, unanchoredVersion: -1 };
      liveThreads++;
      this.#exited.push(new Promise<void>((resolve) => worker.once('exit', (code) => {
        liveThreads--;
        if (code !== 0) this.#fail(new Error(`a log reader thread stopped (exit code ${code})`));
        resolve();
      })));
      worker.on('message', (message: FromReader) => {
        if (message.kind === 'ready') {
          reader.ready = true;
          return;
        }
        const id = message.kind === 'run' ? message.result.id : message.id;
        if (message.buffer !== undefined) this.onBuffer?.(message.buffer);
        const waiting = this.#waiting.get(id);
        this.#waiting.delete(id);
        reader.inFlight--;
        reader.done++;
        if (message.kind === 'run') {
          threadRuns++;
          waiting?.resolve(message.result);
        }
        else waiting?.reject(new Error(`reading the log failed: ${message.message}`));
      });
      worker.on('error', (error) => this.#fail(error));
      this.#readers.push(reader);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(this.#failure);
    this.#waiting.clear();
  }

  /** Has a started thread fewer runs in hand than it can take? */
  get hasRoom(): boolean {
    for (const r of this.#readers) if (r.ready && r.inFlight < RUNS_PER_THREAD) return true;
    return false;
  }

  /** The thread the next run goes to: the one with the fewest runs in hand, a ready one if any (a thread takes its messages once started). */
  #next(): Reader {
    let reader = this.#readers[0]!;
    for (const r of this.#readers) {
      if ((r.ready && !reader.ready) || (r.ready === reader.ready && r.inFlight < reader.inFlight)) reader = r;
    }
    return reader;
  }

  /** The share of a full run the next thread should be given: 1/16, 1/8, 1/4, 1/2 for its first runs, then all. */
  get nextShare(): number {
    return 1 / 2 ** Math.max(0, WARM_UP_RUNS - this.#next().done);
  }

  read(bytes: Buffer, offset: number, filter: SharedArrayBuffer | null, unanchored: UnanchoredPatterns | undefined): Promise<RunResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    const reader = this.#next();
    const id = this.#id++;
    const result = new Promise<RunResult>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    // Awaited in input order, maybe after a later run failed: not an unhandled rejection meanwhile.
    result.catch(() => undefined);
    reader.inFlight++;
    // The run owns its buffer (RunCutter never reuses one that went out): moved, not copied.
    let sent: RunMessage['unanchored'] = null;
    if (unanchored !== undefined) {
      sent = reader.unanchoredVersion === unanchored.version ? { version: unanchored.version } : unanchored;
      reader.unanchoredVersion = unanchored.version;
    }
    const message: RunMessage = { id, bytes, offset, filter, unanchored: sent };
    reader.worker.postMessage(message, [bytes.buffer as ArrayBuffer]);
    return result;
  }

  async close(): Promise<void> {
    for (const reader of this.#readers) void reader.worker.terminate();
    await Promise.all(this.#exited);
  }
}
