/**
 * What one reader may learn of the index, and how: the slots that name a value, whether the
 * reader may know of each (the policy's canRead, decided once per access set and originator),
 * and indicators with granular markings as the reader sees them, through the intel read path.
 */
import type { AppContext } from '../../core/context.js';
import { DEFAULT_CLASSIFICATIONS } from '../../policy/markings.js';
import { canRead, type ObjectAccess } from '../../policy/rule.js';
import type { Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import * as intel from '../intel/intel.service.js';
import type { DetectIndex } from './detect.index.js';
import type { Detection } from './detect.maintenance.js';
import { normalise, parseIPv4, parseIPv6, type ObservableKind } from '../../stix/observable.js';

/** An indicator's handling as a lookup's answer shows it. */
export interface ShownMarkings {
  readonly tlp: string | null;
  readonly classification: string;
  readonly releasable_to: string[];
}

/**
 * What one reader may learn of the index: canRead decided once per (access set, originator)
 * pair and remembered, so a hit costs a map probe rather than a rule evaluation.
 */
/** Access sets below which a (set, creator) pair is one exact number (set * 2^32 + creator < 2^53). */
const MEMO_EXACT_SETS = 2 ** 21;

export class IndexReader {
  /** Sets by key, built once per snapshot of the sets (the snapshots are never changed). */
  static readonly #byKey = new WeakMap<object, ReadonlyMap<number, ObjectAccess>>();
  /**
   * The reader last made for each principal (the credential cache hands a request the same
   * principal for a few seconds), with what it decided: reused while the index and the snapshot
   * of the sets are the ones it was made on.
   */
  static readonly #last = new WeakMap<Principal, IndexReader>();
  readonly #memo = new Map<number | string, boolean>();
  readonly #sets: ReadonlyMap<number, ObjectAccess>;
  readonly #snapshot: object;

  constructor(
    readonly index: DetectIndex,
    readonly principal: Principal,
    sets: ReadonlyArray<{ key: number; access: ObjectAccess }>,
    /** Told of a slot whose access set is not among `sets` (the slot is then unreadable). */
    readonly onUnknownSet?: (key: number) => void,
  ) {
    let byKey = IndexReader.#byKey.get(sets);
    if (!byKey) IndexReader.#byKey.set(sets, (byKey = new Map(sets.map((s) => [s.key, s.access]))));
    this.#sets = byKey;
    this.#snapshot = sets;
  }

  /**
   * The principal's reader: the access sets come from memory unless new ones may exist (no query
   * per lookup), and a built index and current sets are taken without waiting for a turn.
   */
  static async of(ctx: AppContext, detection: Detection, principal: Principal): Promise<IndexReader> {
    if (!detection.built) await detection.ready();
    const sets = intel.knownAccessSetsNow(ctx) ?? (await intel.knownAccessSets(ctx));
    const index = detection.index;
    const last = IndexReader.#last.get(principal);
    if (last !== undefined && last.index === index && last.#snapshot === sets) return last;
    const reader = new IndexReader(index, principal, sets, (key) => intel.accessSetUnknown(ctx, key));
    IndexReader.#last.set(principal, reader);
    return reader;
  }

  /** The markings of the indicator in this slot (its access set), when known. */
  access(slot: number): ObjectAccess | undefined {
    return this.#sets.get(this.index.accessKey(slot));
  }

  /** Markings as answers show them, made once per access set (answers share them: not to be changed). */
  static readonly #shown = new WeakMap<ObjectAccess, ShownMarkings>();

  /** The handling of the indicator in this slot as an answer shows it (TLP, classification's name, releasability), when known. */
  markings(slot: number): ShownMarkings | undefined {
    const access = this.access(slot);
    if (access === undefined) return undefined;
    let shown = IndexReader.#shown.get(access);
    if (shown === undefined) {
      shown = Object.freeze({ tlp: access.tlp, classification: DEFAULT_CLASSIFICATIONS[access.classification] ?? String(access.classification), releasable_to: Object.freeze([...access.releasability]) as string[] });
      IndexReader.#shown.set(access, shown);
    }
    return shown;
  }

  /** May the reader know of the indicator in this slot? */
  mayRead(slot: number): boolean {
    const index = this.index;
    // One key per (access set, creator), exactly: creator indexes are 32-bit and grow with every
    // new created_by_ref, so a narrower field let 2^22 creators alias one pair's answer onto
    // another's. Below 2^21 access sets the number is exact (under 2^53); beyond, a string.
    const set = index.accessKey(slot);
    const key = set < MEMO_EXACT_SETS ? set * 4_294_967_296 + index.creatorIndex(slot) : `${set}:${index.creatorIndex(slot)}`;
    let allowed = this.#memo.get(key);
    if (allowed === undefined) {
      const access = this.#sets.get(index.accessKey(slot));
      if (access === undefined) this.onUnknownSet?.(index.accessKey(slot));
      allowed = access !== undefined && canRead(this.principal, { ...access, createdByRef: index.creator(slot) });
      this.#memo.set(key, allowed);
    }
    return allowed;
  }
}

/** Hash lengths say less than their algorithm: a 64-digit value may be SHA-256 or SHA3-256. */
const ALSO: Partial<Record<ObservableKind, readonly ObservableKind[]>> = {
  sha256: ['sha3-256'],
  sha512: ['sha3-512'],
  'sha3-256': ['sha256'],
  'sha3-512': ['sha512'],
};

/**
 * Slots that name this value (exact keys, and address prefixes holding an address), live but
 * not yet filtered by validity or reader. `widen`: also the kinds a bare value may be.
 */
export function slotsOfValue(index: DetectIndex, kind: ObservableKind, value: string, widen: boolean): { normalised: string; slots: readonly number[] } | undefined {
  const normalised = normalise(kind, value);
  if (normalised === undefined) return undefined;
  return { normalised, slots: slotsOfNormalised(index, kind, normalised, widen) };
}

/** slotsOfValue of a value already normalised; allocates nothing when nothing is found. */
export function slotsOfNormalised(index: DetectIndex, kind: ObservableKind, normalised: string, widen: boolean): readonly number[] {
  let slots = index.exact(kind, normalised);
  if (widen) {
    const also = ALSO[kind];
    if (also) for (const other of also) slots = joined(slots, index.exact(other, normalised));
  }
  if (kind === 'ipv4') {
    if (index.hasPrefixes(4)) {
      const address = parseIPv4(normalised);
      if (address !== undefined) slots = joined(slots, index.containing4(address));
    }
  } else if (kind === 'ipv6' && index.hasPrefixes(6)) {
    const address = parseIPv6(normalised);
    if (address !== undefined) slots = joined(slots, index.containing6(address));
  }
  return slots;
}

/**
 * The `count` newest of these distinct slots, in the order given: the highest, as a slot is taken
 * when an indicator version is indexed.
 */
export function newestSlots(slots: readonly number[], count: number): number[] {
  if (slots.length <= count) return [...slots];
  const sorted = Float64Array.from(slots).sort();
  const lowest = sorted[sorted.length - count]!;
  return slots.filter((slot) => slot >= lowest);
}

function joined(slots: readonly number[], more: readonly number[]): readonly number[] {
  if (more.length === 0) return slots;
  return slots.length === 0 ? more : [...slots, ...more];
}

/**
 * Indicators with granular markings as the reader may see them: redacted by the policy, read
 * through the intel read path. One the reader is not shown (unreadable, or withheld because a
 * marking hides what STIX requires of it, its pattern among them) is absent.
 */
export async function shownIndicators(ctx: AppContext, actor: Principal, ids: readonly string[]): Promise<Map<string, StixObject>> {
  const shown = new Map<string, StixObject>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const page = await intel.listObjects(ctx, actor, { ids: chunk, types: ['indicator'], limit: chunk.length });
    for (const object of page.objects) if (typeof object['pattern'] === 'string') shown.set(object.id, object);
  }
  return shown;
}

export const timeOfProperty = (object: StixObject, name: string): number | undefined => (typeof object[name] === 'string' ? Date.parse(object[name]) : undefined);

/** Is the indicator, as the reader sees it, valid at this instant (valid_from inclusive, valid_until exclusive, as the index)? */
export function validAsSeen(object: StixObject, at: number): boolean {
  return at >= (timeOfProperty(object, 'valid_from') ?? -Infinity) && at < (timeOfProperty(object, 'valid_until') ?? Infinity);
}

/** An indicator's confidence as the reader sees it. */
export function confidenceAsSeen(object: StixObject): number | undefined {
  return typeof object.confidence === 'number' ? object.confidence : undefined;
}
