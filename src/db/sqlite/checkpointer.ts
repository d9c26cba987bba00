/**
 * Checkpoints the embedded store's write-ahead log on a thread of its own.
 *
 * Why: SQLite checkpoints when a commit finds the log long enough, in the committing connection,
 * so on the event loop's thread. There a checkpoint copies up to wal_autocheckpoint pages (128 MiB)
 * back into the database file and syncs it: a commit of a bulk ingest that checkpointed took up
 * to 280 ms against 45-60 ms without, and at 1,000,000 objects commits with their checkpoints
 * were 3.5 s of a 21.7 s ingest (docs/BENCHMARKS.md). Every request of the node waits meanwhile.
 *
 * A bulk writer's transactions (an ingest stream's after its first, the followers' catching up:
 * background transactions, db/adapter.ts) ask a worker thread, with its own connection to the
 * file, for a PASSIVE checkpoint once the log has grown past START_BYTES: it copies what is
 * committed while the writer goes on with the next transaction, and the writer starts the log
 * over once all of it is copied. Requests made while one runs are folded into one more. Other
 * commits (a request's write) leave the log to SQLite, as does a small bulk write. The writer's
 * own automatic checkpoint stays as the backstop: if this thread falls behind or fails, a commit
 * checkpoints as before (SQLite runs one checkpoint at a time; the other finds it busy and
 * leaves it).
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Log size (bytes) from which commits are followed by a checkpoint on the worker. */
export const START_BYTES = 32 * 1024 * 1024;
/** A worker unused this long ends (a new one starts with the next bulk write). */
const IDLE_MS = 60_000;

// Plain JavaScript, evaluated: the worker needs no loader, compiled or not.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const describe = (error) => (error && error.message) || String(error && error.code || error);
let db;
let unopened;
try {
  const Database = require(workerData.module);
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma('synchronous = FULL');
  db.pragma('mmap_size = 4294967296');
} catch (error) {
  unopened = 'cannot open ' + workerData.file + ': ' + describe(error);
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    if (db) db.close();
    parentPort.close();
    return;
  }
  if (!db) {
    parentPort.postMessage({ ok: false, message: unopened, unopened: true });
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: describe(error) });
  }
});
`;

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

export interface CheckpointStats {
  /** Checkpoints run on the worker. */
  runs: number;
  /** Checkpoints that failed (the writer's own checkpoint then does the work). */
  failures: number;
  /** The last failure's message. */
  lastFailure: string | undefined;
}

export class Checkpointer {
  readonly #file: string;
  readonly #wal: string;
  #worker: Worker | undefined;
  #exited: Promise<void> | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #idle: NodeJS.Timeout | undefined;
  readonly stats: CheckpointStats = { runs: 0, failures: 0, lastFailure: undefined };

  constructor(file: string, private readonly startBytes = START_BYTES) {
    this.#file = file;
    this.#wal = `${file}-wal`;
  }

  /** Called after a bulk writer's commit: asks for a checkpoint when the log is long. */
  committed(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (!this.#worker && !this.#longLog()) return;
    this.#running = this.#run();
  }

  /** Waits for a checkpoint in progress, then ends the worker. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#again = false;
    await this.#running;
    await this.#stop();
  }

  #longLog(): boolean {
    try {
      return statSync(this.#wal).size >= this.startBytes;
    } catch {
      return false;
    }
  }

  async #run(): Promise<void> {
    try {
      do {
        this.#again = false;
        const worker = this.#started();
        // Kept alive while a checkpoint runs (whoever waits for it, close() say, is not left
        // with an empty event loop), not while the worker waits for the next.
        worker.ref();
        let answer: Answer;
        try {
          answer = await ask(worker);
        } finally {
          worker.unref();
        }
        if (answer.ok) this.stats.runs++;
        else {
          this.stats.failures++;
          this.stats.lastFailure = answer.message;
          // A worker without its connection is of no use: the next commit starts another, as
          // does one made while this one was stopping (folded into #again meanwhile).
          if (answer.unopened) {
            await this.#stop();
            continue;
          }
        }
      } while (this.#again && !this.#closed);
    } catch (error) {
      // The thread itself failed or ended: the writer checkpoints as before until the next run.
      this.stats.failures++;
      this.stats.lastFailure = describe(error);
      await this.#stop();
    } finally {
      this.#running = undefined;
      this.#keepIdle();
    }
  }

  #started(): Worker {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = undefined;
    if (!this.#worker) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: BETTER_SQLITE3, file: this.#file } });
      this.#exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      // Idle, never what keeps the process alive: a checkpoint cut short is finished by the next.
      worker.unref();
      this.#worker = worker;
    }
    return this.#worker;
  }

  #keepIdle(): void {
    if (!this.#worker || this.#closed) return;
    this.#idle = setTimeout(() => void this.#stop(), IDLE_MS);
    this.#idle.unref();
  }

  async #stop(): Promise<void> {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = undefined;
    const worker = this.#worker;
    const exited = this.#exited;
    this.#worker = undefined;
    this.#exited = undefined;
    if (!worker) return;
    // A worker that ended already (it failed) takes no message; its exit has been seen. One
    // that closes is waited for with the event loop kept alive.
    worker.ref();
    worker.postMessage('close');
    await exited;
  }
}

type Answer = { ok: true } | { ok: false; message: string; unopened?: boolean };

function describe(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : String(error);
}

function ask(worker: Worker): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const onMessage = (answer: Answer) => {
      cleanup();
      resolve(answer);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`the checkpoint thread exited (code ${code})`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage('checkpoint');
  });
}
