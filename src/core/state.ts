/**
 * State a module keeps for one node (caches, counters, throttles, clients), owned by the node's
 * context rather than hidden in a module-level map: two nodes in one process (as the tests run
 * them) share nothing, what a node holds can be listed, and it is released when the node closes.
 *
 * A module declares a slot once (`const CACHE = nodeState('warninglists.suppressors', (ctx) =>
 * new SuppressorCache(ctx))`) and reaches its state through the context: `ctx.state.get(CACHE)`,
 * created on first use.
 */
import type { AppContext } from './context.js';

export interface StateSlot<T> {
  /** module.purpose: names the state in errors and listings. */
  readonly name: string;
  create(ctx: AppContext): T;
  /** Releases what the state holds (timers, connections) when the node closes. */
  dispose?(value: T): Promise<void> | void;
}

const names = new Set<string>();

/** Declares a slot of per-node state; each name once per process. */
export function nodeState<T>(name: string, create: (ctx: AppContext) => T, dispose?: (value: T) => Promise<void> | void): StateSlot<T> {
  if (names.has(name)) throw new Error(`node state '${name}' is declared twice`);
  names.add(name);
  return Object.freeze({ name, create, ...(dispose ? { dispose } : {}) });
}

/** The per-node state of one context: each slot's value, created on first use. */
export class NodeState {
  readonly #values = new Map<StateSlot<unknown>, unknown>();

  constructor(private readonly ctx: () => AppContext) {}

  get<T>(slot: StateSlot<T>): T {
    if (this.#values.has(slot as StateSlot<unknown>)) return this.#values.get(slot as StateSlot<unknown>) as T;
    const value = slot.create(this.ctx());
    this.#values.set(slot as StateSlot<unknown>, value);
    return value;
  }

  /** The value of a slot if it was created, without creating it. */
  peek<T>(slot: StateSlot<T>): T | undefined {
    return this.#values.get(slot as StateSlot<unknown>) as T | undefined;
  }

  /** The names of the slots this node has created, for diagnostics and tests. */
  names(): string[] {
    return [...this.#values.keys()].map((slot) => slot.name);
  }

  /** Disposes every created value (in reverse order of creation) and forgets them. */
  async dispose(): Promise<void> {
    const entries = [...this.#values.entries()].reverse();
    this.#values.clear();
    for (const [slot, value] of entries) await slot.dispose?.(value);
  }
}
