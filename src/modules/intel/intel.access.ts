/** The access sets of the store (distinct marking columns), cached per store, and those a reader may read. */
import type { AppContext } from '../../core/context.js';
import { principalKey, type Principal } from '../../policy/principal.js';
import { accessOfColumns, canRead, type ObjectAccess } from '../../policy/rule.js';
import * as repo from './intel.repo.js';
import { nodeState, storeState } from '../../core/state.js';

export interface AccessSet {
  readonly key: number;
  readonly access: ObjectAccess;
}

/** The access sets read so far from one store: they only ever grow, and a set never changes once made. */
interface AccessSetCache {
  /** Replaced, never changed: a caller keeps the snapshot it was given. */
  sets: readonly AccessSet[];
  read: boolean;
  /** Objects were stored since the last read, possibly under new sets. */
  stale: boolean;
}

/** The store's access sets as read by this process (every node context on the store shares them). */
const ACCESS_SETS = storeState<AccessSetCache>('intel.access-sets', () => ({ sets: Object.freeze([]), read: false, stale: false }));
/** A node's subscription that marks its store's cache stale when it stores objects. */
const FOLLOWED = nodeState('intel.access-sets-followed', (ctx) => {
  const cache = ctx.store.state.get(ACCESS_SETS);
  // Published after the commit, and before the detection index applies the new versions.
  return ctx.bus.subscribe('intel.added', () => (cache.stale = true));
});

function accessSetCache(ctx: AppContext): AccessSetCache {
  ctx.state.get(FOLLOWED);
  return ctx.store.state.get(ACCESS_SETS);
}

async function readAccessSets(ctx: AppContext, cache: AccessSetCache): Promise<readonly AccessSet[]> {
  // Cleared before the query: objects stored while it runs mark the cache stale again.
  cache.stale = false;
  const lastKey = (sets: readonly AccessSet[]) => (sets.length > 0 ? sets[sets.length - 1]!.key : 0);
  const newer = await repo.listAccessSets(ctx.store, lastKey(cache.sets));
  cache.read = true;
  // Another read may have added some of these meanwhile.
  const added = newer.filter((set) => set.key > lastKey(cache.sets));
  if (added.length > 0) cache.sets = Object.freeze([...cache.sets, ...added.map((set) => ({ key: set.key, access: accessOfColumns({ ...set, created_by_ref: null }) }))]);
  return cache.sets;
}

/** Every access set of the store with its markings (one query for those made since the last call). */
export async function accessSets(ctx: AppContext): Promise<readonly AccessSet[]> {
  return readAccessSets(ctx, accessSetCache(ctx));
}

/**
 * The access sets as last read, for readers of the node's in-memory indexes on every lookup:
 * the store is asked again only once this process stored objects since (event intel.added), or
 * a reader met a set it did not know (see accessSetUnknown), not on every call.
 */
export async function knownAccessSets(ctx: AppContext): Promise<readonly AccessSet[]> {
  return knownAccessSetsNow(ctx) ?? readAccessSets(ctx, accessSetCache(ctx));
}

/** knownAccessSets when they are in memory and current; undefined when they must be read. */
export function knownAccessSetsNow(ctx: AppContext): readonly AccessSet[] | undefined {
  const cache = accessSetCache(ctx);
  return cache.read && !cache.stale ? cache.sets : undefined;
}

/**
 * A reader met an access set key newer than those read: an object another process stored, that
 * an index read from the store. The reader counts it unreadable (it knows nothing of its
 * markings); the next call of knownAccessSets reads the new sets.
 */
export function accessSetUnknown(ctx: AppContext, key: number): void {
  const cache = accessSetCache(ctx);
  const sets = cache.sets;
  if (sets.length === 0 || key > sets[sets.length - 1]!.key) cache.stale = true;
}

/** The access sets the actor may read (the policy decides on each set), and how many there are. */
export async function readableAccessKeys(ctx: AppContext, actor: Principal, within?: (access: ObjectAccess) => boolean): Promise<{ keys: readonly number[]; total: number }> {
  const sets = await accessSets(ctx);
  if (!within) return { keys: readableKeysIn(sets, actor), total: sets.length };
  const keys: number[] = [];
  for (const set of sets) if (canRead(actor, set.access) && within(set.access)) keys.push(set.key);
  return { keys, total: sets.length };
}

/**
 * The keys of the sets of a snapshot a principal may read, decided by canRead once per snapshot
 * (a snapshot is replaced, never changed, when sets are added) and per principal as the policy
 * reads it: listings, counts and lookups ask for them on every request, and a store may hold tens
 * of thousands of sets.
 */
const READABLE_KEYS = new WeakMap<readonly AccessSet[], Map<string, readonly number[]>>();
const READERS_PER_SNAPSHOT = 1024;

export function readableKeysIn(sets: readonly AccessSet[], actor: Principal): readonly number[] {
  let byReader = READABLE_KEYS.get(sets);
  if (!byReader) READABLE_KEYS.set(sets, (byReader = new Map()));
  const reader = JSON.stringify(principalKey(actor));
  let keys = byReader.get(reader);
  if (!keys) {
    if (byReader.size === READERS_PER_SNAPSHOT) byReader.clear();
    keys = Object.freeze(sets.filter((set) => canRead(actor, set.access)).map((set) => set.key));
    byReader.set(reader, keys);
  }
  return keys;
}
