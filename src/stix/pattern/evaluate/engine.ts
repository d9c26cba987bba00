/** Compiled patterns (one engine per pattern, cached) and the sliding window over an observation stream. */
import type { Pattern } from '../ast.js';
import type { CompiledPattern, Observation, PatternMatch, PatternWindowOptions } from './api.js';
import { leafHolds, type Leaf } from './comparison.js';
import { Search, compilePlan, horizonOf, isSingle, possible, type Plan, type Slot } from './search.js';

const HOUR_MS = 3_600_000;
const DEFAULT_MAX_OBSERVATIONS = 10_000;

// ---------------------------------------------------------------------------------------------
// Compiled patterns

function copiesOf(observation: Observation): number {
  const n = observation.numberObserved;
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1;
}

/** The observation's interval; one without a valid time could have happened at any time. */
function timesOf(observation: Observation): { first: number; last: number } {
  const a = observation.firstObserved;
  const b = observation.lastObserved;
  const aValid = Number.isFinite(a);
  const bValid = Number.isFinite(b);
  if (aValid && bValid) return { first: Math.min(a, b), last: Math.max(a, b) };
  if (aValid) return { first: a, last: a };
  if (bValid) return { first: b, last: b };
  return { first: -Infinity, last: Infinity };
}

function bySlotTime(a: { first: number; last: number }, b: { first: number; last: number }): number {
  return a.first - b.first || a.last - b.last;
}

class Engine implements CompiledPattern {
  readonly horizonMs: number;
  readonly single: boolean;
  readonly #plan: Plan;
  readonly #leaves: readonly Leaf[];
  readonly #hits = new WeakMap<Observation, readonly boolean[]>();

  constructor(pattern: Pattern) {
    const leaves: Leaf[] = [];
    this.#plan = compilePlan(pattern.expression, leaves);
    this.#leaves = leaves;
    this.horizonMs = horizonOf(pattern.expression);
    this.single = isSingle(pattern.expression);
  }

  /** Which leaves the observation satisfies (computed once per observation object). */
  hitsOf(observation: Observation): readonly boolean[] {
    let hits = this.#hits.get(observation);
    if (hits === undefined) {
      hits = this.#leaves.map((leaf) => leafHolds(leaf, observation));
      this.#hits.set(observation, hits);
    }
    return hits;
  }

  touches(observation: Observation): boolean {
    return this.hitsOf(observation).some(Boolean);
  }

  /** Whether a search could succeed given how many candidates each leaf has (a cheap necessary test). */
  mayMatch(candidatesPerLeaf: readonly number[]): boolean {
    return possible(this.#plan, (leaf) => (candidatesPerLeaf[leaf] ?? 0) > 0);
  }

  /** Slot indices of a satisfying assignment over time-sorted slots. */
  solve(slots: readonly Slot[]): number[] | undefined {
    return new Search(slots, this.#leaves.length).run(this.#plan);
  }

  match(observations: readonly Observation[]): PatternMatch | undefined {
    const entries = observations
      .map((observation, position) => ({ ...timesOf(observation), observation, position }))
      .map((e) => ({ ...e, copies: copiesOf(e.observation), hits: this.hitsOf(e.observation) }))
      .filter((e) => e.hits.some(Boolean))
      .sort((a, b) => bySlotTime(a, b) || a.position - b.position);
    const bound = this.solve(entries);
    if (bound === undefined) return undefined;
    const positions = [...new Set(bound.map((i) => entries[i]?.position ?? -1))].sort((a, b) => a - b);
    return { observations: positions.flatMap((p) => observations[p] ?? []) };
  }
}

const engines = new WeakMap<CompiledPattern, Engine>();

/** Prepare a parsed pattern for matching. */
export function compilePattern(pattern: Pattern): CompiledPattern {
  const engine = new Engine(pattern);
  const compiled: CompiledPattern = {
    match: (observations) => engine.match(observations),
    touches: (observation) => engine.touches(observation),
    horizonMs: engine.horizonMs,
    single: engine.single,
  };
  engines.set(compiled, engine);
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Sliding window

interface WindowSlot extends Slot {
  readonly observation: Observation;
  copies: number;
}

/**
 * Keeps, per pattern, the recent observations that touch it inside a sliding window and reports each
 * time the pattern becomes satisfied. Observations arrive in (roughly) time order.
 *
 * "Now" is the latest `lastObserved` seen; observations ending more than `windowMs` before it are
 * dropped, and so are late arrivals already outside the window. A reported match consumes what it
 * bound (one copy per binding of an observation with number_observed > 1), so each observation
 * contributes to at most as many reports as it has copies: `[a] REPEATS 3 TIMES` reports on the
 * 3rd, 6th, 9th... matching observation, not on every one after the 3rd.
 */
export class PatternWindow {
  readonly #pattern: CompiledPattern;
  readonly #engine: Engine | undefined;
  readonly #windowMs: number;
  readonly #maxObservations: number;
  #slots: WindowSlot[] = [];
  /** How many kept observations satisfy each leaf `[...]`. */
  readonly #perLeaf: number[] = [];
  #now = -Infinity;

  constructor(pattern: CompiledPattern, options?: PatternWindowOptions) {
    const windowMs = options?.windowMs ?? (Number.isFinite(pattern.horizonMs) ? Math.min(pattern.horizonMs, HOUR_MS) : HOUR_MS);
    const maxObservations = options?.maxObservations ?? DEFAULT_MAX_OBSERVATIONS;
    if (!(windowMs >= 0)) throw new RangeError(`windowMs must be a number >= 0, got ${String(windowMs)}`);
    if (!Number.isInteger(maxObservations) || maxObservations < 1) {
      throw new RangeError(`maxObservations must be an integer >= 1, got ${String(maxObservations)}`);
    }
    this.#pattern = pattern;
    this.#engine = engines.get(pattern);
    this.#windowMs = windowMs;
    this.#maxObservations = maxObservations;
  }

  /** Observations currently kept (each once). */
  get size(): number {
    return this.#slots.length;
  }

  /** Adds one observation; returns the match it completes, if any. Observations older than the window are dropped. */
  push(observation: Observation): PatternMatch | undefined {
    const { first, last } = timesOf(observation);
    if (!Number.isFinite(first) || !Number.isFinite(last)) return undefined;
    this.#now = Math.max(this.#now, last);
    const cutoff = this.#now - this.#windowMs;
    this.#evict(cutoff);
    if (last < cutoff || !this.#pattern.touches(observation)) return undefined;

    const hits = this.#engine?.hitsOf(observation) ?? [];
    const slot: WindowSlot = { observation, first, last, copies: copiesOf(observation), hits };
    let at = this.#slots.length;
    while (at > 0 && bySlotTime(this.#slots[at - 1] ?? slot, slot) > 0) at--;
    this.#slots.splice(at, 0, slot);
    this.#count(slot, 1);
    if (this.#slots.length > this.#maxObservations) {
      for (const dropped of this.#slots.splice(0, this.#slots.length - this.#maxObservations)) this.#count(dropped, -1);
    }

    return this.#engine === undefined ? this.#matchForeign() : this.#matchOwn(this.#engine);
  }

  #count(slot: Slot, delta: number): void {
    slot.hits.forEach((hit, leaf) => {
      if (hit) this.#perLeaf[leaf] = (this.#perLeaf[leaf] ?? 0) + delta;
    });
  }

  #evict(cutoff: number): void {
    // Slots are sorted by first; only those starting before the cutoff can end before it.
    let end = 0;
    while (end < this.#slots.length && (this.#slots[end]?.first ?? Infinity) < cutoff) end++;
    if (end === 0) return;
    const head = this.#slots.slice(0, end);
    const kept = head.filter((s) => s.last >= cutoff);
    for (const s of head) if (s.last < cutoff) this.#count(s, -1);
    this.#slots.splice(0, end, ...kept);
  }

  #matchOwn(engine: Engine): PatternMatch | undefined {
    // Most pushes leave some leaf without candidates: skip the search then.
    if (!engine.mayMatch(this.#perLeaf)) return undefined;
    const bound = engine.solve(this.#slots);
    if (bound === undefined) return undefined;
    const used = new Map<number, number>();
    for (const i of bound) used.set(i, (used.get(i) ?? 0) + 1);
    const observations: Observation[] = [];
    for (const [i, n] of [...used].sort((a, b) => a[0] - b[0])) {
      const slot = this.#slots[i];
      if (slot === undefined) continue;
      observations.push(slot.observation);
      slot.copies -= n;
      if (slot.copies <= 0) this.#count(slot, -1);
    }
    this.#slots = this.#slots.filter((s) => s.copies > 0);
    return { observations };
  }

  /** A CompiledPattern from elsewhere: match through its public API, consuming whole observations. */
  #matchForeign(): PatternMatch | undefined {
    const result = this.#pattern.match(this.#slots.map((s) => s.observation));
    if (result === undefined) return undefined;
    const consumed = new Set(result.observations);
    this.#slots = this.#slots.filter((s) => !consumed.has(s.observation));
    return result;
  }
}
