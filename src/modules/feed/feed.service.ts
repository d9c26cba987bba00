/**
 * The live feed: what is new in the store, for one reader, as it arrives. Every object goes
 * through the intel service's listing (the SQL pre-filter, policy canRead and redaction, reads
 * of classified objects audited), in date_added order, so a reader learns only what it may read
 * and a stream resumed after an event id misses nothing and repeats nothing.
 *
 * One Feed per node wakes its streams when this process stores objects (event intel.added) and,
 * while any stream is open, when the store's newest sequence moves (objects other processes
 * stored), read once a second for all streams together.
 */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import * as intel from '../intel/intel.service.js';

/** Streams one user may hold open at once (tabs, devices). */
export const STREAMS_PER_USER = 4;
/** Streams the node holds open at once. */
export const STREAMS_PER_NODE = 256;
/** Objects read per query of a stream. */
const PAGE = 100;
/** How often the store's newest sequence is read while streams are open (ms). */
const POLL_MS = 1000;
/**
 * Streams are woken at most this often (ms): a bulk ingest publishes many batches a second, and
 * each wake costs every open stream a query; what arrives meanwhile is read by the next one.
 */
export const WAKE_EVERY_MS = 250;
/** A comment line is sent when nothing else was for this long, so that proxies keep the stream open (ms). */
export const KEEP_ALIVE_MS = 15_000;

export interface FeedEvent {
  /** The object's date_added sequence: the event id a stream resumes after. */
  readonly id: number;
  readonly event: 'intel' | 'sighting';
  readonly object: StixObject;
}

function who(actor: Principal): string {
  return actor.userName !== null ? `user:${actor.userName}` : `${actor.kind}:${actor.name}`;
}

export class Feed {
  readonly #open = new Map<string, number>();
  #total = 0;
  #waiters = new Set<() => void>();
  #poll: NodeJS.Timeout | undefined;
  #seen = 0;
  #closed = false;
  #lastWake = 0;
  #wakeTimer: NodeJS.Timeout | undefined;
  readonly #unsubscribe: () => void;
  /** Quiet time after which a stream sends a keep-alive comment (ms). */
  keepAliveMs = KEEP_ALIVE_MS;

  constructor(private readonly ctx: AppContext) {
    this.#unsubscribe = ctx.bus.subscribe('intel.added', () => this.#wake());
  }

  /** Streams open now. */
  get open(): number {
    return this.#total;
  }

  /** Takes a place for a stream of this actor, or refuses (429) when it or the node holds too many. */
  admit(actor: Principal): () => void {
    if (this.#closed) throw shieldwallError('NOT_READY', 'the node is shutting down');
    const key = who(actor);
    const mine = this.#open.get(key) ?? 0;
    if (mine >= STREAMS_PER_USER) throw shieldwallError('TOO_MANY_STREAMS', `you hold ${mine} event streams open already, the most one user may: close one (a tab) and connect again`);
    if (this.#total >= STREAMS_PER_NODE) throw shieldwallError('TOO_MANY_STREAMS', `the node holds ${this.#total} event streams open, the most it serves: connect again later`);
    this.#open.set(key, mine + 1);
    this.#total++;
    this.#startPolling();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left === 0) this.#open.delete(key);
      else this.#open.set(key, left);
      this.#total--;
      if (this.#total === 0) this.#stopPolling();
    };
  }

  /** Where a new stream starts when it names no event to resume after: what arrives from now on. */
  start(): Promise<number> {
    return intel.latestSeq(this.ctx);
  }

  /**
   * The next objects after `after` the actor may read, and the sequence to ask after next time
   * (past objects it may not read too, without saying so).
   */
  async next(actor: Principal, after: number): Promise<{ events: FeedEvent[]; after: number; more: boolean }> {
    const page = await intel.listObjects(this.ctx, actor, { addedAfterMicros: after, limit: PAGE });
    const events = page.objects.map((object, i) => ({ id: page.dateAdded[i]!, event: object.type === 'sighting' ? ('sighting' as const) : ('intel' as const), object }));
    return { events, after: page.lastSeq ?? after, more: page.next !== undefined };
  }

  /** Resolves when something may be new, or after timeoutMs (a keep-alive is due), or when the feed closes. */
  wait(timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.#waiters.add(done);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Ends every stream (at shutdown): their loops see closed and finish. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    this.#stopPolling();
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    this.#release();
  }

  /** Wakes the streams now, or at the end of the current WAKE_EVERY_MS window. */
  #wake(): void {
    if (this.#wakeTimer) return;
    const wait = this.#lastWake + WAKE_EVERY_MS - Date.now();
    if (wait <= 0) {
      this.#release();
      return;
    }
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#release();
    }, wait);
    this.#wakeTimer.unref();
  }

  #release(): void {
    this.#lastWake = Date.now();
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  #startPolling(): void {
    if (this.#poll) return;
    this.#poll = setInterval(() => {
      intel
        .latestSeq(this.ctx)
        .then((seq) => {
          if (seq > this.#seen) {
            this.#seen = seq;
            this.#wake();
          }
        })
        .catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'reading the newest sequence for the live feed failed'));
    }, POLL_MS);
    this.#poll.unref();
  }

  #stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = undefined;
  }
}
