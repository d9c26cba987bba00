/**
 * Matching events against the index as one reader: each value is looked up (exact and address
 * prefixes); simple patterns match on the value, others are evaluated on the event's observation
 * and, when they span several observations, over a sliding window of the events that touch them.
 */
import { PatternWindow, type CompiledPattern, type Observation, type PatternMatch } from '../../stix/pattern/index.js';
import type { EventValue, LogEvent } from '../logformats/logformats.js';
import type { KeyFilter } from './detect.filter.js';
import { HITS_PER_VALUE, oldestFirst } from './detect.lookup.js';
import { observationOf } from './detect.observation.js';
import { slotsOfNormalised, type IndexReader } from './detect.reader.js';
import { UnanchoredSet, type UnanchoredPatterns } from './detect.unanchored.js';
import { normalise, type ObservableKind } from '../../stix/observable.js';

export interface EventMatch {
  line: number;
  time?: string;
  value?: string;
  kind?: ObservableKind;
  field?: string;
  indicator: string;
  match: 'value' | 'pattern';
  confidence?: number;
  /**
   * A value match: more indicators the reader may know of name this value than one event's value
   * is matched against (HITS_PER_VALUE); the matches listed for it on this line are the newest.
   */
  indicators_truncated?: true;
  /** A pattern match: when the earliest event it binds happened (`time` is the event that completed it). */
  first_time?: string;
  /**
   * A pattern match: the SCOs of the events it binds that satisfy a comparison of the pattern on
   * their own (what a reported sighting names as observed data), at most OBSERVED_PER_MATCH.
   */
  observed?: Array<Record<string, unknown>>;
}

/** SCOs a pattern match names as observed. */
export const OBSERVED_PER_MATCH = 100;

/**
 * The SCOs of the observations a pattern match binds that satisfy one `[...]` of it alone. An
 * address the pattern does not name (the member's own host, say) is left out: it would be shared
 * with the sighting. Network traffic is left out too: it is only a join of the addresses here.
 */
function observedScos(compiled: CompiledPattern, observations: readonly Observation[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const seen = new Set<string>();
  for (const observation of observations) {
    for (const [ref, sco] of observation.objects) {
      if (sco['type'] === 'network-traffic' || out.length >= OBSERVED_PER_MATCH) continue;
      const key = JSON.stringify(sco);
      if (seen.has(key) || !compiled.touches({ ...observation, objects: new Map([[ref, sco]]) })) continue;
      seen.add(key);
      out.push({ ...sco });
    }
  }
  return out;
}

export interface MatchOptions {
  /** Instant indicators must be valid at when an event has no time of its own (default: now). */
  at?: number;
}

export interface MatchCounters {
  events: number;
  values: number;
  matches: number;
  /** Values of events that more indicators name than one value is matched against (HITS_PER_VALUE). */
  truncated: number;
}

const NO_SLOTS: readonly number[] = Object.freeze([]);
const NO_UNANCHORED: UnanchoredPatterns = Object.freeze({ version: -1, slots: [], patterns: [] });
/** The unanchored patterns of the index last asked, as sent to reader threads, and as a set here. */
let latestUnanchored: UnanchoredPatterns | undefined;
let latestUnanchoredSet: UnanchoredSet | undefined;

/** Matches the events of one log as one reader (see the module comment). */
export class EventMatcher {
  readonly counters: MatchCounters = { events: 0, values: 0, matches: 0, truncated: 0 };
  #work = 0;
  readonly #windows = new Map<number, PatternWindow>();
  readonly #at: number;
  /** The current event's observation, made only when a pattern needs it. */
  #observation: Observation | undefined;

  constructor(
    readonly reader: IndexReader,
    options: MatchOptions = {},
  ) {
    this.#at = options.at ?? Date.now();
  }

  /**
   * The key filter readers may drop events by before they reach match(). With patterns no value
   * anchors, readers that evaluate them (given `unanchoredPatterns()`) keep the events that touch
   * one; without `withUnanchored`, every event must reach match() (undefined).
   */
  candidates(withUnanchored = false): KeyFilter | undefined {
    const index = this.reader.index;
    return index.hasUnanchored && !withUnanchored ? undefined : index.filter;
  }

  /** The patterns no value anchors, for reader threads to evaluate (undefined: there are none). */
  unanchoredPatterns(): UnanchoredPatterns | undefined {
    const { version, patterns } = this.reader.index.unanchoredPatterns();
    if (patterns.size === 0) return undefined;
    // Shared by every request while the index does not change (versions are never reused).
    if (latestUnanchored?.version !== version) {
      latestUnanchored = { version, slots: [...patterns.keys()], patterns: [...patterns.values()] };
    }
    return latestUnanchored;
  }

  #unanchoredSet(): UnanchoredSet {
    const set = this.unanchoredPatterns() ?? NO_UNANCHORED;
    if (latestUnanchoredSet?.version !== set.version) {
      // Compiled by the index, when first a candidate, and kept there for every request.
      const index = this.reader.index;
      latestUnanchoredSet = new UnanchoredSet(set, (i) => index.pattern(set.slots[i]!));
    }
    return latestUnanchoredSet;
  }

  /**
   * The work done so far: indicators examined (validity, readability) and patterns evaluated.
   * One event may cost thousands of it (a value many indicators name), so bulk matching hands
   * the thread to other requests by it, not only by events.
   */
  get work(): number {
    return this.#work;
  }

  /** Counts events dropped by the key filter (they name nothing the index holds) as matched. */
  countDropped(events: number, values: number): void {
    this.counters.events += events;
    this.counters.values += values;
  }

  /**
   * The matches of one event (an empty array for most). `unanchored`: the unanchored patterns
   * the event may touch (UnanchoredSet.mayTouch), when a reader thread found them; found here
   * otherwise. Each is evaluated here.
   */
  match(event: LogEvent, unanchored?: readonly number[]): EventMatch[] {
    const index = this.reader.index;
    const at = event.time ?? this.#at;
    this.counters.events++;
    let out: EventMatch[] | undefined;
    let touched: Set<number> | undefined;
    const values = event.values;
    this.counters.values += values.length;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      // Most values are of kinds no indicator names, or name nothing: decide that cheaply.
      if (!index.hasKind(v.kind)) continue;
      const normalised = normalise(v.kind, v.value);
      if (normalised === undefined) continue;
      const slots = slotsOfNormalised(index, v.kind, normalised, false);
      if (slots.length === 0) continue;
      // The newest HITS_PER_VALUE the reader may know of, walked newest first: the walk stops
      // there, however many indicators name the value (one more tells that there are more).
      const ordered = oldestFirst(slots);
      let named: number[] | undefined;
      let truncated = false;
      let previous = -1;
      for (let j = ordered.length - 1; j >= 0; j--) {
        const slot = ordered[j]!;
        if (slot === previous) continue;
        previous = slot;
        this.#work++;
        // An indicator with granular markings is judged valid on what the reader sees of it (matchLog).
        if ((!index.validAt(slot, at) && !index.isGranular(slot)) || !this.reader.mayRead(slot)) continue;
        if (named !== undefined && named.length === HITS_PER_VALUE) {
          truncated = true;
          break;
        }
        (named ??= []).push(slot);
      }
      if (named === undefined) continue;
      if (truncated) this.counters.truncated++;
      for (let j = named.length - 1; j >= 0; j--) {
        const slot = named[j]!;
        if (index.isSimple(slot)) (out ??= []).push(this.#valueMatch(event, v, slot, truncated));
        else (touched ??= new Set()).add(slot);
      }
    }
    const unanchoredTouched = !index.hasUnanchored ? NO_SLOTS : (unanchored ?? this.#unanchoredSet().mayTouch(event, at));
    if (touched === undefined && unanchoredTouched.length === 0) {
      if (out === undefined) return [];
      this.counters.matches += out.length;
      return out;
    }
    this.#observation = undefined;
    if (touched) for (const slot of touched) out = this.#evaluate(event, slot, out);
    for (const slot of unanchoredTouched) {
      this.#work++;
      if (touched?.has(slot) || (!index.validAt(slot, at) && !index.isGranular(slot)) || !this.reader.mayRead(slot)) continue;
      out = this.#evaluate(event, slot, out);
    }
    this.#observation = undefined;
    if (out) this.counters.matches += out.length;
    return out ?? [];
  }

  #evaluate(event: LogEvent, slot: number, out: EventMatch[] | undefined): EventMatch[] | undefined {
    this.#work++;
    const compiled = this.reader.index.pattern(slot);
    if (!compiled) return out;
    const observation = (this.#observation ??= observationOf(event, this.#at));
    let matched: PatternMatch | undefined;
    if (compiled.single) matched = compiled.match([observation]);
    else if (compiled.touches(observation)) {
      let window = this.#windows.get(slot);
      if (!window) this.#windows.set(slot, (window = new PatternWindow(compiled)));
      matched = window.push(observation);
    }
    if (matched) (out ??= []).push(this.#patternMatch(event, slot, matched, compiled));
    return out;
  }

  #valueMatch(event: LogEvent, v: EventValue, slot: number, truncated: boolean): EventMatch {
    const index = this.reader.index;
    const confidence = index.confidence(slot);
    return {
      line: event.line,
      ...(event.time !== undefined ? { time: new Date(event.time).toISOString() } : {}),
      value: v.value,
      kind: v.kind,
      field: v.field,
      indicator: index.id(slot),
      match: 'value',
      ...(confidence !== undefined ? { confidence } : {}),
      ...(truncated ? { indicators_truncated: true as const } : {}),
    };
  }

  #patternMatch(event: LogEvent, slot: number, matched: PatternMatch, compiled: CompiledPattern): EventMatch {
    const index = this.reader.index;
    const confidence = index.confidence(slot);
    let first = Infinity;
    for (const o of matched.observations) first = Math.min(first, o.firstObserved);
    const observed = observedScos(compiled, matched.observations);
    return {
      line: event.line,
      ...(event.time !== undefined ? { time: new Date(event.time).toISOString() } : {}),
      ...(event.time !== undefined && Number.isFinite(first) ? { first_time: new Date(Math.min(first, event.time)).toISOString() } : {}),
      indicator: index.id(slot),
      match: 'pattern',
      ...(confidence !== undefined ? { confidence } : {}),
      ...(observed.length > 0 ? { observed } : {}),
    };
  }
}
