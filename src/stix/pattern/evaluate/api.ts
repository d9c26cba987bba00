/** What evaluation offers its callers: observations, matches, compiled patterns, windows and the search limits. */

/** One observation: what an observed-data SDO says was seen, with its SCOs resolvable by reference. */
export interface Observation {
  /** first_observed / last_observed as epoch milliseconds (equal for a single event). */
  readonly firstObserved: number;
  readonly lastObserved: number;
  /** number_observed (>= 1). */
  readonly numberObserved: number;
  /** The SCOs of the observation, keyed by reference (STIX 2.0 style '0','1',... or STIX 2.1 ids); `*_ref` and `*_refs` properties resolve through this map. */
  readonly objects: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

/** The observations bound by one satisfying assignment (each once, in input order). */
export interface PatternMatch {
  readonly observations: readonly Observation[];
}

export interface CompiledPattern {
  /** Whether some assignment of the given observations satisfies the pattern (all operators and qualifiers). */
  match(observations: readonly Observation[]): PatternMatch | undefined;
  /** Whether one observation satisfies at least one leaf observation expression `[...]`: a fast prefilter for windows. */
  touches(observation: Observation): boolean;
  /** Longest time span the pattern can need, in ms (from WITHIN qualifiers; Infinity when unbounded). */
  readonly horizonMs: number;
  /** True when the pattern is a single [..] with no qualifiers (can be decided on one observation alone). */
  readonly single: boolean;
}

export interface PatternWindowOptions {
  /** How far back (ms, before the latest observation seen) observations are kept. */
  windowMs?: number;
  /** Most observations kept; the oldest go first. */
  maxObservations?: number;
}

/** Candidate observations one search may examine before it gives up (reporting no match). */
export const MAX_SEARCH_STEPS = 200_000;

/** Largest number of observations the smallest satisfying assignment of a searched pattern may need. */
export const MAX_BOUND_OBSERVATIONS = 1_000;
