/**
 * Fair scheduling of bulk matches. Each match runs reader threads of its own and takes this
 * thread's time between its batches, so a node runs a few at a time: at most `running` at once,
 * at most `queued` waiting; when the queue is full a new one is refused at once (503, with
 * Retry-After) rather than left to slow every other request.
 *
 * The places are shared out by member (a principal without a member counts as its own): one
 * member runs at most half the places (rounded up) and has at most `queuedPerMember` waiting, so
 * that a member whose matches never end (a log streamed for hours, a client that trickles its
 * log) or that sends many at once cannot hold every place. When a place frees, the waiting match
 * of the member with the fewest running goes next; among equals, that of the member whose last
 * match started longest ago (members take turns), then the oldest.
 */
import { shieldwallError } from '../../core/errors.js';
import { Places } from '../../core/inflight.js';

/** Seconds a refused client is asked to wait before sending the log again. */
export const MATCH_RETRY_AFTER_SECONDS = 5;

interface Waiter {
  readonly member: string;
  /** Starts the match with its member's running place. */
  readonly start: (place: () => void) => void;
}

export interface MatchSchedulerOptions {
  /** Matches run at once (default 2); one member runs at most half of them, rounded up. */
  readonly running?: number;
  /** Matches waiting for their turn (default 8); past that, new ones are refused. */
  readonly queued?: number;
  /** Matches one member may have waiting (default 2); past that, its new ones are refused. */
  readonly queuedPerMember?: number;
}

export class MatchScheduler {
  readonly maxRunning: number;
  readonly maxQueued: number;
  readonly maxQueuedPerMember: number;
  /** Matches one member may run at once. */
  readonly maxRunningPerMember: number;
  /** Matches running, by member. */
  readonly #running: Places;
  #runningTotal = 0;
  readonly #waiting: Waiter[] = [];
  /** When each member's last match started (a count of starts): members take turns by it. */
  readonly #lastStart = new Map<string, number>();
  #starts = 0;

  constructor(options: MatchSchedulerOptions = {}) {
    this.maxRunning = options.running ?? 2;
    this.maxQueued = options.queued ?? 8;
    this.maxQueuedPerMember = options.queuedPerMember ?? 2;
    if (!Number.isInteger(this.maxRunning) || this.maxRunning < 1) throw new TypeError(`running must be a whole number of at least 1, not ${this.maxRunning}`);
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 0) throw new TypeError(`queued must be a whole number, not ${this.maxQueued}`);
    if (!Number.isInteger(this.maxQueuedPerMember) || this.maxQueuedPerMember < 0) throw new TypeError(`queuedPerMember must be a whole number, not ${this.maxQueuedPerMember}`);
    this.maxRunningPerMember = Math.ceil(this.maxRunning / 2);
    this.#running = new Places(this.maxRunningPerMember);
  }

  /** Matches running and waiting now. */
  get state(): { running: number; queued: number } {
    return { running: this.#runningTotal, queued: this.#waiting.length };
  }

  /**
   * Waits for the member's turn (`member`: whose share the match counts against, core/inflight's
   * shareKey); the returned function ends the match (call it once, however the match ends).
   * Refused with SW_MATCH_BUSY (503) when the queue is full or holds the member's share.
   */
  async enter(member: string): Promise<() => void> {
    let place: () => void;
    if (this.#runningTotal < this.maxRunning && this.#runningOf(member) < this.maxRunningPerMember) {
      // Whoever waits could not run (all places taken, or at its member's share): this one goes first.
      place = this.#start(member);
    } else {
      const waiting = this.#waiting.reduce((n, w) => (w.member === member ? n + 1 : n), 0);
      if (waiting >= this.maxQueuedPerMember) {
        throw busy(`your member has ${this.#runningOf(member)} bulk matches running and ${waiting} waiting, its share of this node's places (SHIELDWALL_DETECT_MATCH_QUEUED_PER_MEMBER): send the log again in ${MATCH_RETRY_AFTER_SECONDS} seconds, or once one of them ends`);
      }
      if (this.#waiting.length >= this.maxQueued) {
        throw busy(`${this.#runningTotal} bulk matches are running and ${this.#waiting.length} waiting, the most this node takes: send the log again in ${MATCH_RETRY_AFTER_SECONDS} seconds`);
      }
      place = await new Promise<() => void>((resolve) => this.#waiting.push({ member, start: resolve }));
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      place();
      this.#runningTotal--;
      this.#startWaiting();
    };
  }

  #runningOf(member: string): number {
    return this.#running.held(member);
  }

  /** Counts a match of the member as running: its place, to give back when it ends. */
  #start(member: string): () => void {
    this.#lastStart.set(member, ++this.#starts);
    this.#runningTotal++;
    // Only called with the member under its share.
    return this.#running.take(member)!;
  }

  /** Starts waiting matches while places are free. */
  #startWaiting(): void {
    while (this.#runningTotal < this.maxRunning) {
      // Among the members under their share: the fewest running, then the longest since a start, then the oldest match.
      let next = -1;
      let best: readonly [number, number] = [Infinity, Infinity];
      for (let i = 0; i < this.#waiting.length; i++) {
        const member = this.#waiting[i]!.member;
        const rank = [this.#runningOf(member), this.#lastStart.get(member) ?? 0] as const;
        if (rank[0] >= this.maxRunningPerMember) continue;
        if (rank[0] < best[0] || (rank[0] === best[0] && rank[1] < best[1])) {
          next = i;
          best = rank;
        }
      }
      if (next === -1) return;
      const [waiter] = this.#waiting.splice(next, 1);
      waiter!.start(this.#start(waiter!.member));
    }
  }
}

function busy(message: string) {
  return shieldwallError('MATCH_BUSY', message, { retry_after_seconds: MATCH_RETRY_AFTER_SECONDS });
}
