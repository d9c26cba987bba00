/**
 * Write transactions that hold several batches of one bulk writer. The writer hands its batches
 * over one at a time; a batch handed over as soon as the one before it has run goes into the same
 * transaction, up to the store's batchesPerCommit, unless another writer waits for the writer lock
 * or the input has ended. Each batch answers what to do once it is committed (report its
 * outcomes, tell the followers): nothing of a transaction is reported before its commit, and a
 * transaction that fails takes back every batch in it, none of which was reported.
 *
 * Why: on SQLite a commit writes out every page its rows dirtied, and the keys of the id index
 * (a hash) land anywhere in it: at 1,000,000 objects stored a commit of 10,000 objects rewrites
 * that index nearly whole, and the 101 commits of a 1,000,000-object ingest were 6.2 s of its
 * 22 s (docs/BENCHMARKS.md). Larger batches would do the same with more memory: every batch here
 * is let go of once it has run (its outcomes are kept, not its objects).
 */
import type { WriteTx } from './adapter.js';
import type { Store } from './database.js';

/** A batch's statements, run in a write transaction; answers what to do once it has committed. */
export type WriteJob = (tx: WriteTx) => Promise<() => void>;

interface Handed {
  /** Let go of once it has run: a transaction keeps what its batches report, not the batches. */
  job: WriteJob | undefined;
  ran: () => void;
  failed: (error: unknown) => void;
}

export class GroupedWriter {
  readonly #store: Store;
  readonly #perCommit: number;
  /** The transaction in progress and those chained after it; settles once all have committed and reported. */
  #open: Promise<void> = Promise.resolve();
  /** Set while a transaction waits for the next batch: hands it over. */
  #wake: ((next: Handed | undefined) => void) | undefined;
  #ending = false;
  #failure: { error: unknown } | undefined;
  /** Transactions begun: the first is a request's own write, the later ones a bulk stream's. */
  #begun = 0;

  constructor(store: Store, batchesPerCommit = store.adapter.capabilities.batchesPerCommit) {
    this.#store = store;
    this.#perCommit = Math.max(1, batchesPerCommit);
  }

  /**
   * Hands a batch over. Resolves once it has run in a transaction (not yet committed: hand the
   * next one over then), rejects if it failed, or if a transaction before it did.
   */
  write(job: WriteJob): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    return new Promise<void>((ran, failed) => {
      const handed: Handed = { job, ran, failed };
      const wake = this.#wake;
      if (wake) {
        this.#wake = undefined;
        wake(handed);
        return;
      }
      this.#open = this.#open.then(() => (this.#failure ? handed.failed(this.#failure.error) : this.#transaction(handed)));
    });
  }

  /** Commits what was handed over and reports it; rejects with the failure of any transaction. */
  async end(): Promise<void> {
    this.#ending = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.(undefined);
    await this.#open;
    if (this.#failure) throw this.#failure.error;
  }

  async #transaction(first: Handed): Promise<void> {
    const reports: Array<() => void> = [];
    // The batch handed over and not yet answered: told of a failure wherever it happens (a
    // transaction that could not even begin, the store being unreachable, included).
    let unanswered: Handed | undefined = first;
    // A writer's first transaction (a one-object POST, the start of an upload) ends a bulk
    // transaction in progress after its batch; its later ones wait for such a transaction
    // whole, as another bulk stream's do (WriteOptions.background).
    const background = this.#begun++ > 0;
    try {
      await this.#store.adapter.writeTransaction(
        async (tx) => {
          let handed: Handed | undefined = first;
          while (handed) {
            unanswered = handed;
            const job = handed.job!;
            handed.job = undefined;
            reports.push(await job(tx));
            unanswered = undefined;
            handed.ran();
            if (reports.length >= this.#perCommit || this.#ending || this.#store.adapter.writersWaiting()) break;
            handed = await this.#next();
          }
        },
        { background },
      );
    } catch (error) {
      this.#failure = { error };
      unanswered?.failed(error);
      return;
    }
    try {
      for (const report of reports) report();
    } catch (error) {
      // Committed, but the writer's own reporting failed: it learns so from its next call.
      this.#failure = { error };
    }
  }

  /**
   * The next batch, if it is handed over before the event loop turns: the writer hands it over as
   * soon as the last one ran if it is ready then. Otherwise the transaction commits rather than
   * hold the writer lock while the batch is prepared.
   */
  #next(): Promise<Handed | undefined> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      setImmediate(() => {
        if (this.#wake !== resolve) return;
        this.#wake = undefined;
        resolve(undefined);
      });
    });
  }
}
