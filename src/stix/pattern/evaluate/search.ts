/** Observation expressions: the search plan built from a pattern, and the bounded backtracking search over it. */
import type {
  IntegerLiteral, FloatLiteral, ObservationExpression, Qualifier, StringLiteral, TimestampLiteral,
} from '../ast.js';
import { timestampProblem } from '../timestamp.js';
import { MAX_BOUND_OBSERVATIONS, MAX_SEARCH_STEPS } from './api.js';
import { compileComparison, type Leaf } from './comparison.js';

// ---------------------------------------------------------------------------------------------
// Observation expressions: the search plan

export type Plan =
  | { readonly kind: 'leaf'; readonly leaf: number; readonly from: number; readonly to: number }
  | { readonly kind: 'and' | 'or' | 'followedBy'; readonly children: readonly Plan[] }
  | { readonly kind: 'repeat'; readonly child: Plan; readonly times: number }
  | { readonly kind: 'within'; readonly child: Plan; readonly ms: number };

/** Epoch ms (with sub-ms fraction) of a valid timestamp literal body. */
function timestampMs(text: string): number {
  const n = (from: number, to: number): number => Number(text.slice(from, to));
  // Date.UTC reads years 0-99 as 1900-1999; setting the year afterwards keeps them literal.
  const date = new Date(0);
  date.setUTCFullYear(n(0, 4), n(5, 7) - 1, n(8, 10));
  const whole = date.setUTCHours(n(11, 13), n(14, 16), n(17, 19), 0);
  const fraction = text.charCodeAt(19) === 46 ? Number(`0.${text.slice(20, text.length - 1)}`) : 0;
  return whole + fraction * 1000;
}

function boundMs(lit: TimestampLiteral | StringLiteral): number {
  return timestampProblem(lit.value) === null ? timestampMs(lit.value) : Number.NaN;
}

function secondsMs(lit: IntegerLiteral | FloatLiteral): number {
  return lit.value * 1000;
}

/** START/STOP constrains every observation below it: pushed down to the leaves as [from, to). */
function restrict(plan: Plan, from: number, to: number): Plan {
  switch (plan.kind) {
    case 'leaf':
      // NaN bounds (an unreadable timestamp) admit nothing: every comparison with NaN is false.
      return {
        ...plan,
        from: Number.isNaN(from) ? Number.NaN : Math.max(plan.from, from),
        to: Number.isNaN(to) ? Number.NaN : Math.min(plan.to, to),
      };
    case 'and':
    case 'or':
    case 'followedBy':
      return { kind: plan.kind, children: plan.children.map((c) => restrict(c, from, to)) };
    case 'repeat':
    case 'within':
      return { ...plan, child: restrict(plan.child, from, to) };
  }
}

function qualify(plan: Plan, q: Qualifier): Plan {
  switch (q.kind) {
    case 'within':
      return { kind: 'within', child: plan, ms: secondsMs(q.seconds) };
    case 'repeats':
      return q.times.value === 1 ? plan : { kind: 'repeat', child: plan, times: q.times.value };
    case 'startStop':
      return restrict(plan, boundMs(q.start), boundMs(q.stop));
  }
}

export function compilePlan(expr: ObservationExpression, leaves: Leaf[]): Plan {
  switch (expr.kind) {
    case 'observation': {
      const types = new Set<string>();
      const test = compileComparison(expr.comparison, types);
      leaves.push({ types, test });
      return { kind: 'leaf', leaf: leaves.length - 1, from: -Infinity, to: Infinity };
    }
    case 'observationGroup':
      return compilePlan(expr.expression, leaves);
    case 'observationBinary': {
      const children = expr.operands.map((operand) => compilePlan(operand, leaves));
      const kind = expr.operator === 'AND' ? 'and' : expr.operator === 'OR' ? 'or' : 'followedBy';
      return { kind, children };
    }
    case 'qualified': {
      let plan = compilePlan(expr.expression, leaves);
      for (const q of expr.qualifiers) plan = qualify(plan, q);
      return plan;
    }
  }
}

export function horizonOf(expr: ObservationExpression): number {
  switch (expr.kind) {
    case 'observation':
      return 0;
    case 'observationGroup':
      return horizonOf(expr.expression);
    case 'observationBinary': {
      const spans = expr.operands.map(horizonOf);
      if (expr.operator === 'OR') return Math.max(...spans);
      return spans.length > 1 ? Infinity : (spans[0] ?? 0);
    }
    case 'qualified': {
      let span = horizonOf(expr.expression);
      for (const q of expr.qualifiers) {
        if (q.kind === 'within') span = Math.min(span, secondsMs(q.seconds));
        else if (q.kind === 'repeats') span = q.times.value > 1 ? Infinity : span;
        else {
          const width = boundMs(q.stop) - boundMs(q.start);
          span = Math.min(span, Number.isNaN(width) ? 0 : Math.max(0, width));
        }
      }
      return span;
    }
  }
}

export function isSingle(expr: ObservationExpression): boolean {
  if (expr.kind === 'observationGroup') return isSingle(expr.expression);
  return expr.kind === 'observation';
}

/** Fewest observations any satisfying assignment binds. */
function fewestBound(plan: Plan): number {
  switch (plan.kind) {
    case 'leaf':
      return 1;
    case 'and':
    case 'followedBy':
      return plan.children.reduce((sum, c) => sum + fewestBound(c), 0);
    case 'or':
      return Math.min(...plan.children.map(fewestBound));
    case 'repeat':
      return plan.times * fewestBound(plan.child);
    case 'within':
      return fewestBound(plan.child);
  }
}

/** Whether every `[...]` the plan cannot do without has some candidate observation. */
export function possible(plan: Plan, hasCandidate: (leaf: number) => boolean): boolean {
  switch (plan.kind) {
    case 'leaf':
      return hasCandidate(plan.leaf);
    case 'and':
    case 'followedBy':
      return plan.children.every((c) => possible(c, hasCandidate));
    case 'or':
      return plan.children.some((c) => possible(c, hasCandidate));
    case 'repeat':
    case 'within':
      return possible(plan.child, hasCandidate);
  }
}

// ---------------------------------------------------------------------------------------------
// The search

/** One observation as the search sees it; slots are sorted by (first, last). */
export interface Slot {
  readonly first: number;
  readonly last: number;
  /** How many times it may still be bound (its number_observed, less any already consumed). */
  readonly copies: number;
  /** Which leaves `[...]` it satisfies, by leaf index. */
  readonly hits: readonly boolean[];
}

interface Summary {
  readonly maxFirst: number;
  readonly minLast: number;
  readonly minIndex: number;
}

/** A WITHIN in force: the time extent of what has been bound under it so far. */
interface Scope {
  readonly ms: number;
  maxFirst: number;
  minLast: number;
}

interface Context {
  /** Slots below this index are not considered (canonical order of repetitions). */
  readonly minIndex: number;
  /** Slots must end at or after this instant (right-hand sides of FOLLOWEDBY). */
  readonly minLast: number;
  readonly scopes: readonly Scope[];
}

type Continuation = (summary: Summary) => boolean;

class SearchBudgetExceeded extends Error {}

function merge(a: Summary, b: Summary): Summary {
  return {
    maxFirst: Math.max(a.maxFirst, b.maxFirst),
    minLast: Math.min(a.minLast, b.minLast),
    minIndex: Math.min(a.minIndex, b.minIndex),
  };
}

function fitsScopes(scopes: readonly Scope[], slot: Slot): boolean {
  for (const s of scopes) {
    if (Math.max(s.maxFirst, slot.first) - Math.min(s.minLast, slot.last) > s.ms) return false;
  }
  return true;
}

export class Search {
  readonly #slots: readonly Slot[];
  /** Per leaf, the indices of the slots satisfying it, ascending (so also by `first`). */
  readonly #candidates: readonly (readonly number[])[];
  readonly #used: Float64Array;
  readonly #bound: number[] = [];
  /** Longest observation interval: a slot starting before `t - longest` ends before `t`. */
  readonly #longest: number;
  /** Copies of all slots satisfying some leaf. */
  readonly #available: number;
  #steps = 0;

  constructor(slots: readonly Slot[], leafCount: number) {
    this.#slots = slots;
    const candidates: number[][] = Array.from({ length: leafCount }, () => []);
    let longest = 0;
    let available = 0;
    for (let index = 0; index < slots.length; index++) {
      const slot = slots[index];
      if (slot === undefined) continue;
      longest = Math.max(longest, slot.last - slot.first);
      let touching = false;
      for (let leaf = 0; leaf < leafCount; leaf++) {
        if (slot.hits[leaf] === true) {
          candidates[leaf]?.push(index);
          touching = true;
        }
      }
      if (touching) available += slot.copies;
    }
    this.#candidates = candidates;
    this.#longest = longest;
    this.#available = available;
    this.#used = new Float64Array(slots.length);
  }

  /** Slot indices of one satisfying assignment (a slot repeats when bound more than once). */
  run(plan: Plan): number[] | undefined {
    const fewest = fewestBound(plan);
    if (fewest > this.#available || fewest > MAX_BOUND_OBSERVATIONS) return undefined;
    if (!possible(plan, (leaf) => (this.#candidates[leaf]?.length ?? 0) > 0)) return undefined;
    try {
      if (this.#earliest(plan, -Infinity) === Infinity) return undefined;
      const root: Context = { minIndex: 0, minLast: -Infinity, scopes: [] };
      return this.#solve(plan, root, () => true) ? [...this.#bound] : undefined;
    } catch (e) {
      // RangeError: the stack ran out on an assignment binding very many observations.
      if (e instanceof SearchBudgetExceeded || e instanceof RangeError) return undefined;
      throw e;
    }
  }

  #tick(): void {
    if (++this.#steps > MAX_SEARCH_STEPS) throw new SearchBudgetExceeded('search budget exceeded');
  }

  /**
   * A lower bound of the latest `first` of any assignment of the plan whose observations all end at
   * or after `minLast`, ignoring that observations must be distinct and WITHIN; Infinity when there
   * is none. Exact for chains of FOLLOWEDBY over single `[...]`, which it rejects in linear time.
   */
  #earliest(plan: Plan, minLast: number): number {
    switch (plan.kind) {
      case 'leaf': {
        const ctx: Context = { minIndex: 0, minLast, scopes: [] };
        const { candidates, start, highFirst } = this.#range(plan, ctx);
        for (let i = start; i < candidates.length; i++) {
          this.#tick();
          const slot = this.#slots[candidates[i] ?? 0];
          if (slot === undefined || !(slot.first <= highFirst && slot.first < plan.to)) break;
          if (slot.last >= plan.from && slot.last >= minLast) return slot.first;
        }
        return Infinity;
      }
      case 'and':
        return Math.max(...plan.children.map((c) => this.#earliest(c, minLast)));
      case 'or':
        return Math.min(...plan.children.map((c) => this.#earliest(c, minLast)));
      case 'followedBy': {
        let reached = -Infinity;
        for (const child of plan.children) {
          reached = Math.max(reached, this.#earliest(child, Math.max(minLast, reached)));
          if (reached === Infinity) return Infinity;
        }
        return reached;
      }
      case 'repeat':
      case 'within':
        return this.#earliest(plan.child, minLast);
    }
  }

  #solve(plan: Plan, ctx: Context, k: Continuation): boolean {
    switch (plan.kind) {
      case 'leaf':
        return this.#leaf(plan, ctx, k);
      case 'and':
        return this.#all(plan.children, 0, undefined, ctx, k);
      case 'or':
        return plan.children.some((child) => this.#solve(child, ctx, k));
      case 'followedBy':
        return this.#sequence(plan.children, 0, undefined, ctx, k);
      case 'repeat':
        return this.#repeat(plan, 0, undefined, 0, ctx, k);
      case 'within': {
        const scope: Scope = { ms: plan.ms, maxFirst: -Infinity, minLast: Infinity };
        return this.#solve(plan.child, { ...ctx, scopes: [...ctx.scopes, scope] }, k);
      }
    }
  }

  /**
   * Where a leaf's candidates can lie in this context: from `start`, and no later than a slot
   * starting after `highFirst` (candidates are in time order, so the scan stops there).
   */
  #range(plan: Plan & { kind: 'leaf' }, ctx: Context): { candidates: readonly number[]; start: number; highFirst: number } {
    const candidates = this.#candidates[plan.leaf] ?? [];
    let lowLast = Math.max(ctx.minLast, plan.from);
    let highFirst = Infinity;
    for (const s of ctx.scopes) {
      lowLast = Math.max(lowLast, s.maxFirst - s.ms);
      highFirst = Math.min(highFirst, s.minLast + s.ms);
    }
    const byIndex = lowerBound(candidates, ctx.minIndex, (i) => i);
    const byTime = lowerBound(candidates, lowLast - this.#longest, (i) => this.#slots[i]?.first ?? Infinity);
    return { candidates, start: Math.max(byIndex, byTime), highFirst };
  }

  #admits(plan: Plan & { kind: 'leaf' }, ctx: Context, slot: Slot, index: number): boolean {
    if ((this.#used[index] ?? 0) >= slot.copies) return false;
    // The slot's interval must meet [from, to): some instant t with from <= t < to.
    if (!(slot.last >= plan.from && slot.first < plan.to)) return false;
    if (!(slot.last >= ctx.minLast)) return false;
    return fitsScopes(ctx.scopes, slot);
  }

  #leaf(plan: Plan & { kind: 'leaf' }, ctx: Context, k: Continuation): boolean {
    const { candidates, start, highFirst } = this.#range(plan, ctx);
    for (let i = start; i < candidates.length; i++) {
      this.#tick();
      const index = candidates[i] ?? 0;
      const slot = this.#slots[index];
      if (slot === undefined || !(slot.first <= highFirst && slot.first < plan.to)) break;
      if (!this.#admits(plan, ctx, slot, index)) continue;
      const saved = ctx.scopes.map((s) => [s.maxFirst, s.minLast] as const);
      for (const s of ctx.scopes) {
        s.maxFirst = Math.max(s.maxFirst, slot.first);
        s.minLast = Math.min(s.minLast, slot.last);
      }
      this.#used[index] = (this.#used[index] ?? 0) + 1;
      this.#bound.push(index);
      if (k({ maxFirst: slot.first, minLast: slot.last, minIndex: index })) return true;
      this.#bound.pop();
      this.#used[index] = (this.#used[index] ?? 0) - 1;
      ctx.scopes.forEach((s, j) => {
        const [maxFirst, minLast] = saved[j] ?? [-Infinity, Infinity];
        s.maxFirst = maxFirst;
        s.minLast = minLast;
      });
    }
    return false;
  }

  #all(children: readonly Plan[], i: number, acc: Summary | undefined, ctx: Context, k: Continuation): boolean {
    const child = children[i];
    if (child === undefined) return acc !== undefined && k(acc);
    return this.#solve(child, ctx, (s) =>
      this.#all(children, i + 1, acc === undefined ? s : merge(acc, s), ctx, k),
    );
  }

  #sequence(children: readonly Plan[], i: number, acc: Summary | undefined, ctx: Context, k: Continuation): boolean {
    const child = children[i];
    if (child === undefined) return acc !== undefined && k(acc);
    // Everything already bound on the left must be placeable at or before everything on the right.
    const inner = acc === undefined ? ctx : { ...ctx, minLast: Math.max(ctx.minLast, acc.maxFirst) };
    return this.#solve(child, inner, (s) =>
      this.#sequence(children, i + 1, acc === undefined ? s : merge(acc, s), ctx, k),
    );
  }

  #repeat(
    plan: Plan & { kind: 'repeat' },
    done: number,
    acc: Summary | undefined,
    previousStart: number,
    ctx: Context,
    k: Continuation,
  ): boolean {
    if (done === plan.times) return acc !== undefined && k(acc);
    // Repetitions are interchangeable: take them in order of their earliest slot, so each one binds
    // only slots at or after the earliest slot of the one before.
    const inner: Context = { ...ctx, minIndex: Math.max(ctx.minIndex, previousStart) };
    const child = plan.child;
    const missing = plan.times - done;
    // Cut when too few candidates remain: before the first repetition, and whenever a WITHIN
    // narrows the candidates (where the cut is what keeps `REPEATS n WITHIN t` polynomial).
    if (child.kind === 'leaf' && (done === 0 || ctx.scopes.length > 0)) {
      if (this.#countAdmitted(child, inner, missing) < missing) return false;
    }
    return this.#solve(child, inner, (s) =>
      this.#repeat(plan, done + 1, acc === undefined ? s : merge(acc, s), s.minIndex, ctx, k),
    );
  }

  /** Copies a leaf could still bind in this context, counted up to `enough`. */
  #countAdmitted(plan: Plan & { kind: 'leaf' }, ctx: Context, enough: number): number {
    const { candidates, start, highFirst } = this.#range(plan, ctx);
    let count = 0;
    for (let i = start; i < candidates.length && count < enough; i++) {
      this.#tick();
      const index = candidates[i] ?? 0;
      const slot = this.#slots[index];
      if (slot === undefined || !(slot.first <= highFirst && slot.first < plan.to)) break;
      if (this.#admits(plan, ctx, slot, index)) count += slot.copies - (this.#used[index] ?? 0);
    }
    return count;
  }
}

/** First position in `sorted` whose key is >= value (keys ascending along `sorted`). */
function lowerBound(sorted: readonly number[], value: number, key: (item: number) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
