/**
 * Fair scheduling of bulk matches. Each match runs reader threads of its own and takes this
 * thread's time between its batches, so a node runs a few at a time: at most `running` at once,
 * at most `queued` waiting; when the queue is full a new one is refused at once (503, with
 * Retry-After) rather than left to slow every other request. When a match ends, the waiting one
 * of the user with the fewest matches running goes next (the oldest among equals), so one user
 * sending many logs cannot hold the others back.
 */
import { shieldwallError } from '../../core/errors.js';

/** Seconds a refused client is asked to wait before sending the log again. */
export const MATCH_RETRY_AFTER_SECONDS = 5;

interface Waiter {
  readonly user: string;
  readonly start: () => void;
}

export interface MatchSchedulerOptions {
  /** Matches run at once (default 2). */
  readonly running?: number;
  /** Matches waiting for their turn (default 8); past that, new ones are refused. */
  readonly queued?: number;
}

export class MatchScheduler {
  readonly maxRunning: number;
  readonly maxQueued: number;
  readonly #running = new Map<string, number>();
  #runningTotal = 0;
  readonly #waiting: Waiter[] = [];

  constructor(options: MatchSchedulerOptions = {}) {
    this.maxRunning = options.running ?? 2;
    this.maxQueued = options.queued ?? 8;
    if (!Number.isInteger(this.maxRunning) || this.maxRunning < 1) throw new TypeError(`running must be a whole number of at least 1, not ${this.maxRunning}`);
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 0) throw new TypeError(`queued must be a whole number, not ${this.maxQueued}`);
  }

  /** Matches running and waiting now. */
  get state(): { running: number; queued: number } {
    return { running: this.#runningTotal, queued: this.#waiting.length };
  }

  /**
   * Waits for the user's turn; the returned function ends the match (call it once, however the
   * match ends). Refused with SW_MATCH_BUSY (503) when the queue is full.
   */
  async enter(user: string): Promise<() => void> {
    if (this.#runningTotal < this.maxRunning && this.#waiting.length === 0) {
      this.#start(user);
    } else {
      if (this.#waiting.length >= this.maxQueued) {
        throw shieldwallError('MATCH_BUSY', `${this.#runningTotal} bulk matches are running and ${this.#waiting.length} waiting, the most this node takes: send the log again in ${MATCH_RETRY_AFTER_SECONDS} seconds`, { retry_after_seconds: MATCH_RETRY_AFTER_SECONDS });
      }
      await new Promise<void>((resolve) => this.#waiting.push({ user, start: resolve }));
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#end(user);
    };
  }

  #start(user: string): void {
    this.#runningTotal++;
    this.#running.set(user, (this.#running.get(user) ?? 0) + 1);
  }

  #end(user: string): void {
    this.#runningTotal--;
    const left = (this.#running.get(user) ?? 1) - 1;
    if (left === 0) this.#running.delete(user);
    else this.#running.set(user, left);
    while (this.#runningTotal < this.maxRunning && this.#waiting.length > 0) {
      let next = 0;
      for (let i = 1; i < this.#waiting.length; i++) {
        if ((this.#running.get(this.#waiting[i]!.user) ?? 0) < (this.#running.get(this.#waiting[next]!.user) ?? 0)) next = i;
      }
      const [waiter] = this.#waiting.splice(next, 1);
      this.#start(waiter!.user);
      waiter!.start();
    }
  }
}
