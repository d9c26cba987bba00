/**
 * State a module keeps for one node (caches, counters, throttles, clients), owned by the node's
 * context rather than hidden in a module-level map: two nodes in one process (as the tests run
 * them) share nothing, what a node holds can be listed, and it is released when the node closes.
 *
 * A module declares a slot once (`const CACHE = nodeState('warninglists.suppressors', (ctx) =>
 * new SuppressorCache(ctx))`) and reaches its state through the context: `ctx.state.get(CACHE)`,
 * created on first use.
 */
import type { Store } from '../db/database.js';
import type { AppContext } from './context.js';

export interface StateSlot<T, Owner = AppContext> {
  /** module.purpose: names the state in errors and listings. */
  readonly name: string;
  create(owner: Owner): T;
  /** Releases what the state holds (timers, connections) when its owner closes. */
  dispose?(value: T): Promise<void> | void;
}

const names = new Set<string>();

function declare<T, Owner>(name: string, create: (owner: Owner) => T, dispose?: (value: T) => Promise<void> | void): StateSlot<T, Owner> {
  if (names.has(name)) throw new Error(`state '${name}' is declared twice`);
  names.add(name);
  return Object.freeze({ name, create, ...(dispose ? { dispose } : {}) });
}

/** Declares a slot of per-node state; each name once per process. */
export function nodeState<T>(name: string, create: (ctx: AppContext) => T, dispose?: (value: T) => Promise<void> | void): StateSlot<T, AppContext> {
  return declare(name, create, dispose);
}

/**
 * Declares a slot of per-store state: caches of what the store holds (access-set keys, marking
 * definitions, credentials) that every node context of this process on one store shares, so that
 * a change made through one is seen at once through the others.
 */
export function storeState<T>(name: string, create: (store: Store) => T, dispose?: (value: T) => Promise<void> | void): StateSlot<T, Store> {
  return declare(name, create, dispose);
}

/** The state of one owner (a node's context, or a store): each slot's value, created on first use. */
export class StateSlots<Owner> {
  readonly #values = new Map<StateSlot<unknown, Owner>, unknown>();

  constructor(private readonly owner: () => Owner) {}

  get<T>(slot: StateSlot<T, Owner>): T {
    if (this.#values.has(slot as StateSlot<unknown, Owner>)) return this.#values.get(slot as StateSlot<unknown, Owner>) as T;
    const value = slot.create(this.owner());
    this.#values.set(slot as StateSlot<unknown, Owner>, value);
    return value;
  }

  /** The value of a slot if it was created, without creating it. */
  peek<T>(slot: StateSlot<T, Owner>): T | undefined {
    return this.#values.get(slot as StateSlot<unknown, Owner>) as T | undefined;
  }

  /** The names of the slots created so far, for diagnostics and tests. */
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

/** A node's state: the modules' slots declared with nodeState. */
export class NodeState extends StateSlots<AppContext> {}
