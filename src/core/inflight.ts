/**
 * Requests in progress per member: the users of one member (and each peer node) may hold at most
 * `limit` of the node's requests at once, so that one member's burst of costly requests (each
 * taking turns with the others, but all sharing the node's CPU and store) cannot leave every
 * other member waiting behind it. Memory holds the members with requests in progress only.
 */
import { Counter, type Registry } from 'prom-client';
import type { Principal } from '../policy/principal.js';

/**
 * Whose share of the node a request counts against (its requests in progress, its bulk match
 * places, its ingest threads): a peer node its own (it is not one of the users of the members it
 * stands for: a peer busy pulling must not hold back that member's analysts), a member's users
 * their member's, anyone else its own.
 */
export function shareKey(principal: Principal): string {
  if (principal.kind !== 'peer' && principal.member) return `member:${principal.member.code}`;
  return `${principal.kind}:${principal.name}`;
}

/**
 * Places counted by key (a member's share, a user), at most `limit` under one key; memory holds
 * the keys that hold some only.
 */
export class Places {
  readonly #counts = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** Places held under the key now. */
  held(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /**
   * Takes a place under the key: a function that gives it back (once; later calls do nothing),
   * or undefined when the key holds `limit` places already.
   */
  take(key: string): (() => void) | undefined {
    const count = this.held(key);
    if (count >= this.limit) return undefined;
    this.#counts.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.held(key) - 1;
      if (left > 0) this.#counts.set(key, left);
      else this.#counts.delete(key);
    };
  }
}

export class InFlightLimit {
  readonly #places: Places;
  readonly #refused: Counter;

  constructor(
    readonly limit: number,
    registry: Registry,
  ) {
    this.#places = new Places(limit);
    this.#refused = new Counter({
      name: 'shieldwall_http_in_flight_refused_total',
      help: 'Requests answered 429 because the users of their member (or their peer) had as many requests in progress as one member may.',
      registers: [registry],
    });
  }

  /** Requests in progress under the key. */
  inProgress(key: string): number {
    return this.#places.held(key);
  }

  /**
   * Takes a place for a request under the key: a function that gives it back (once; later calls
   * do nothing), or undefined when the key holds `limit` places already. A limit of 0 takes none.
   */
  take(key: string): (() => void) | undefined {
    if (this.limit === 0) return () => undefined;
    const release = this.#places.take(key);
    if (!release) this.#refused.inc();
    return release;
  }
}
