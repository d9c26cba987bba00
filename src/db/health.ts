/** Whether the store can be reached, as the node sees it (see StoreHealth). */
import { isPoolWaitTimeout } from '../core/store-errors.js';

/** What the store's health reports to whoever listens (the node logs it and counts it). */
export type StoreHealthEvent =
  | { kind: 'lost'; error: unknown }
  | { kind: 'retry-failed'; error: unknown; attempt: number; nextInMs: number }
  | { kind: 'restored'; attempts: number; downMs: number };

/**
 * Whether the store can be reached. PostgreSQL connections can be cut under the node (a restart,
 * a failover, pg_terminate_backend): the pool then drops them and makes new ones on demand. This
 * keeps the node's view of it: on the first sign of loss it reports 'lost', then probes with
 * `select 1` after a backoff (doubling from reconnectMinMs to reconnectMaxMs) until one answers,
 * and reports 'restored'. /readyz answers 503 meanwhile. SQLite is always available.
 */
export class StoreHealth {
  #available = true;
  #lastError: unknown;
  #reconnects = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #listeners = new Set<(event: StoreHealthEvent) => void>();

  constructor(
    private readonly probe: (() => Promise<void>) | undefined,
    private readonly minMs = 250,
    private readonly maxMs = 30_000,
  ) {}

  get available(): boolean {
    return this.#available;
  }

  /** The error that made the store unavailable, while it is. */
  get lastError(): unknown {
    return this.#available ? undefined : this.#lastError;
  }

  /** Times the store was reached again after being lost. */
  get reconnects(): number {
    return this.#reconnects;
  }

  subscribe(listener: (event: StoreHealthEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A connection broke or could not be made: the store is unavailable until a probe answers. */
  lost(error: unknown): void {
    // A wait for a busy pool is overload, not loss: /readyz must not flap under load.
    if (isPoolWaitTimeout(error)) return;
    this.#lastError = error;
    if (!this.#available || !this.probe || this.#closed) return;
    this.#available = false;
    const since = Date.now();
    this.#emit({ kind: 'lost', error });
    let attempt = 0;
    let delay = this.minMs;
    const retry = () => {
      this.#timer = setTimeout(() => {
        attempt++;
        this.probe!().then(
          () => {
            if (this.#closed) return;
            this.#available = true;
            this.#reconnects++;
            this.#timer = undefined;
            this.#emit({ kind: 'restored', attempts: attempt, downMs: Date.now() - since });
          },
          (failure: unknown) => {
            if (this.#closed) return;
            this.#lastError = failure;
            delay = Math.min(delay * 2, this.maxMs);
            this.#emit({ kind: 'retry-failed', error: failure, attempt, nextInMs: delay });
            retry();
          },
        );
      }, delay);
      this.#timer.unref();
    };
    retry();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #emit(event: StoreHealthEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not stop the others nor the reconnection.
      }
    }
  }
}
