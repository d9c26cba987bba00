/** Lookup: the indicators that name each value, with their context, as one reader may know of them. */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { suppressorFor, type Suppression } from '../warninglists/warninglist.service.js';
import { nextTurn } from '../../core/turn.js';
import { contextOf, type ContextFilter, type RelatedObject, type SightedBy } from './detect.context.js';
import type { DetectIndex } from './detect.index.js';
import type { Detection } from './detect.maintenance.js';
import { confidenceAsSeen, IndexReader, shownIndicators, slotsOfNormalised, timeOfProperty, validAsSeen } from './detect.reader.js';
import { detectKind, normalise, type ObservableKind } from '../../stix/observable.js';

export const LOOKUP_MAX_VALUES = 10_000;

/**
 * Most indicators one value's answer names: the newest the reader may know of (the last indexed),
 * the answer saying `indicators_truncated` and how many there are, counting at most as many
 * again past them. Anyone who may write intel can make indicators name a value; the walk over
 * them, an answer, and the context read for it, stay bounded however many do. A value of a log
 * line is matched against as many at most (detect.matcher).
 */
export const HITS_PER_VALUE = 1000;

/**
 * Most things one lookup's answers name in all: indicators, and the related objects and sighting
 * organisations of their context. A value asked again is answered again (its walk done once), and
 * many values may name the same indicators (an address prefix holds millions of addresses): the
 * answers past this are an error saying to ask for them again, so that one request's answer stays
 * a few MB however it is asked.
 */
export const LOOKUP_MAX_NAMED = 20_000;

/**
 * Work between two turns of the event loop, for lookup and bulk matching: indicators examined
 * (validity, readability), hits made, patterns evaluated, matches handed on. On SQLite every
 * request shares this thread: a walk over a value thousands of indicators name lets the others
 * in as it goes.
 */
export const WORK_PER_TURN = 1000;

export interface LookupQuery {
  value: string;
  kind?: ObservableKind;
}

export interface IndicatorHit {
  id: string;
  /** 'full': the value alone matches the pattern; 'partial': the pattern names the value but needs more. */
  match: 'full' | 'partial';
  confidence?: number;
  valid_from?: string;
  valid_until?: string;
  /** The indicator's handling: TLP, classification and to whom it is releasable. */
  markings?: { tlp: string | null; classification: string; releasable_to: string[] };
  /** The identity that created it. */
  created_by_ref?: string;
  /** Malware, intrusion sets, campaigns, ... it is related to (see detect.context). */
  related?: RelatedObject[];
  /** More relationships of it are stored than a lookup reads (see CONTEXT_ROWS_PER_OBJECT): `related` is a part of them. */
  related_truncated?: true;
  /** Who has sighted it, among the sightings the reader may read. */
  sighted?: SightedBy;
}

export interface LookupOptions {
  /** Instant the indicators must be valid at (default: now). */
  at?: number;
  /** Add markings, related objects and sightings to each hit (default true). */
  context?: boolean;
  /** Say which warning-list entry covers each value (default true). */
  warningLists?: boolean;
}

export interface LookupAnswer {
  value: string;
  kind: ObservableKind | null;
  /** The key the value was looked up by, when it differs from the value as given (case, form). */
  normalised?: string;
  indicators: IndicatorHit[];
  /** More indicators the reader may know of name the value than HITS_PER_VALUE: `indicators` holds the newest. */
  indicators_truncated?: true;
  /**
   * With indicators_truncated: how many name it, as far as the reader may know (of those whose
   * granular markings may hide a part of them from the reader, only those given count). Past
   * those given, at most HITS_PER_VALUE more are counted: a total that many above the indicators
   * given is a lower bound.
   */
  indicators_total?: number;
  /** A warning list covers the value (known good, own range, ...): its matches are suppressed in bulk matching. */
  suppressed?: Suppression;
  error?: string;
}

/** A hit on an indicator with granular markings: what it says comes from the object as the reader sees it, not from the index. */
function hitAsSeen(object: StixObject, match: IndicatorHit['match']): IndicatorHit {
  const confidence = confidenceAsSeen(object);
  const from = timeOfProperty(object, 'valid_from');
  const until = timeOfProperty(object, 'valid_until');
  return {
    id: object.id,
    match,
    ...(confidence !== undefined ? { confidence } : {}),
    ...(from !== undefined && Number.isFinite(from) ? { valid_from: new Date(from).toISOString() } : {}),
    ...(until !== undefined && Number.isFinite(until) ? { valid_until: new Date(until).toISOString() } : {}),
  };
}

function hitOf(index: DetectIndex, slot: number): IndicatorHit {
  const { from, until } = index.validity(slot);
  const confidence = index.confidence(slot);
  const hit: IndicatorHit = { id: index.id(slot), match: index.isSimple(slot) ? 'full' : 'partial' };
  if (confidence !== undefined) hit.confidence = confidence;
  if (Number.isFinite(from)) hit.valid_from = new Date(from).toISOString();
  if (Number.isFinite(until)) hit.valid_until = new Date(until).toISOString();
  return hit;
}

/**
 * The slots in increasing order (the order they were indexed in, oldest first), walked from the
 * end for the newest. A value's slots are so already unless several entries were joined (address
 * prefixes, a hash read as two algorithms); only then are they sorted, a slot named twice then
 * lying beside itself.
 */
export function oldestFirst(slots: readonly number[]): ArrayLike<number> {
  for (let i = 1; i < slots.length; i++) if (slots[i]! <= slots[i - 1]!) return Float64Array.from(slots).sort();
  return slots;
}

/** What a lookup found for one value (one kind and key), shared by every answer asking for it. */
interface Named {
  indicators: IndicatorHit[];
  /** More indicators the reader may know of name it than `indicators` holds. */
  truncated: boolean;
  /** Of those past `indicators`, how many count towards the total (at most HITS_PER_VALUE). */
  beyond: number;
}

/** Counts work, handing the thread to other requests after every WORK_PER_TURN of it. */
class Pace {
  #left = WORK_PER_TURN;
  /** True when a turn is due: await `turn()` then. */
  step(): boolean {
    return --this.#left <= 0;
  }
  async turn(): Promise<void> {
    this.#left = WORK_PER_TURN;
    await nextTurn();
  }
}

/**
 * The newest `cap` indicators in these slots the reader may know of that are valid at `at`
 * (judged later, on what the reader sees, for those with granular markings), walked newest first.
 * The walk stops once it has them and counted HITS_PER_VALUE more without granular markings
 * (those count towards the total only once read, which is not done for those left out): so it
 * examines at most that many past the ones named, besides those the reader may not know of.
 */
async function walkNamed(reader: IndexReader, slots: readonly number[], at: number, cap: number, pace: Pace): Promise<{ kept: number[]; truncated: boolean; beyond: number }> {
  const index = reader.index;
  // Walked from its end as it is now: during a turn new versions may be indexed, appended to it.
  const ordered = oldestFirst(slots);
  const kept: number[] = [];
  let truncated = false;
  let beyond = 0;
  let previous = -1;
  for (let j = ordered.length - 1; j >= 0; j--) {
    const slot = ordered[j]!;
    if (slot === previous) continue;
    previous = slot;
    if (pace.step()) await pace.turn();
    // The validity of one with granular markings is judged on what the reader sees of it, below.
    if ((!index.validAt(slot, at) && !index.isGranular(slot)) || !reader.mayRead(slot)) continue;
    if (kept.length < cap) {
      kept.push(slot);
      continue;
    }
    truncated = true;
    if (!index.isGranular(slot) && ++beyond === HITS_PER_VALUE) break;
  }
  return { kept: kept.reverse(), truncated, beyond };
}

/** How much an answer names: its indicators, and what their context lists. */
function namedBy(answer: LookupAnswer): number {
  let n = 0;
  for (const hit of answer.indicators) n += 1 + (hit.related?.length ?? 0) + (hit.sighted?.sighted_by.length ?? 0);
  return n;
}

const LEFT_OUT = `left out: this lookup's answers already name ${LOOKUP_MAX_NAMED} indicators, related objects and sighting organisations, the most one lookup names; look this value up in another request`;

/**
 * Indicators that name each value and that the reader may read, valid at `at`. Indicators with
 * granular markings are read through the intel read path: a marking may hide the pattern (the
 * indicator is then not named) or what a hit says of it (confidence, validity, creator), which
 * then comes from the object as the reader sees it. One answer per value asked, in order; a value
 * asked again (the same key of the same kind) is walked once, its answers sharing what was found.
 */
export async function lookup(ctx: AppContext, detection: Detection, actor: Principal, queries: readonly LookupQuery[], options: LookupOptions = {}): Promise<LookupAnswer[]> {
  const at = options.at ?? ctx.clock.now().getTime();
  if (queries.length > LOOKUP_MAX_VALUES) {
    throw shieldwallError('BAD_REQUEST', `${queries.length} values in one lookup: at most ${LOOKUP_MAX_VALUES}; split the list, or use POST /api/v1/match for logs`);
  }
  const reader = await IndexReader.of(ctx, detection, actor);
  const index = reader.index;
  const pace = new Pace();
  const answers: LookupAnswer[] = [];
  /** Each answer's key, for the warning lists, and what was found for it. */
  const keys: Array<string | undefined> = [];
  const foundFor = new Map<LookupAnswer, Named>();
  /** What was found per kind, key and widening. */
  const found = new Map<string, Named>();
  /** Indicators named so far (before their context is added). */
  let named = 0;
  const granular = new Set<string>();
  for (const query of queries) {
    // Each value is work too: telling the kind of 10,000 long values and normalising them took
    // 0.1 s in one go, most of a lookup that names nothing (timed with --cpu-prof).
    if (pace.step()) await pace.turn();
    const value = query.value.trim();
    const kind = query.kind ?? detectKind(value);
    if (kind === undefined) {
      answers.push({ value: query.value, kind: null, indicators: [], error: 'the kind of this value was not recognised: give it (kind=domain, ipv4, sha256, ...)' });
      keys.push(undefined);
      continue;
    }
    const key = normalise(kind, value);
    if (key === undefined) {
      answers.push({ value: query.value, kind, indicators: [], error: `'${value}' is not a valid ${kind} value` });
      keys.push(undefined);
      continue;
    }
    const widen = query.kind === undefined;
    const asked = `${kind}\n${widen ? 'w' : ''}\n${key}`;
    let result = found.get(asked);
    const room = LOOKUP_MAX_NAMED - named;
    if (result === undefined && room > 0) {
      const walked = await walkNamed(reader, slotsOfNormalised(index, kind, key, widen), at, Math.min(HITS_PER_VALUE, room), pace);
      const indicators: IndicatorHit[] = [];
      for (const slot of walked.kept) {
        if (pace.step()) await pace.turn();
        if (index.isGranular(slot)) granular.add(index.id(slot));
        indicators.push(hitOf(index, slot));
      }
      found.set(asked, (result = { indicators, truncated: walked.truncated, beyond: walked.beyond }));
    }
    if (result === undefined || result.indicators.length > room) {
      answers.push({ value: query.value, kind, indicators: [], error: LEFT_OUT });
      keys.push(undefined);
      continue;
    }
    named += result.indicators.length;
    // Repeating a value as given would be most of a miss's answer (a hash, twice).
    const answer: LookupAnswer = { value: query.value, kind, ...(key !== query.value ? { normalised: key } : {}), indicators: result.indicators };
    foundFor.set(answer, result);
    answers.push(answer);
    keys.push(key);
  }
  const shown = granular.size > 0 ? await shownIndicators(ctx, actor, [...granular]) : undefined;
  for (const result of found.values()) {
    if (shown) {
      const hits: IndicatorHit[] = [];
      for (const hit of result.indicators) {
        if (!granular.has(hit.id)) hits.push(hit);
        else {
          const object = shown.get(hit.id);
          if (object && validAsSeen(object, at)) hits.push(hitAsSeen(object, hit.match));
        }
      }
      result.indicators = hits;
    }
  }
  for (const [answer, result] of foundFor) {
    answer.indicators = result.indicators;
    if (result.truncated) {
      answer.indicators_truncated = true;
      answer.indicators_total = result.indicators.length + result.beyond;
    }
  }
  if (options.context !== false) await addContext(ctx, reader, [...found.values()], detection.context, shown, pace);
  // What the context adds counts too: past the most one lookup names, answers are left out.
  let listed = 0;
  answers.forEach((answer, i) => {
    if (!foundFor.has(answer)) return;
    listed += namedBy(answer);
    if (listed <= LOOKUP_MAX_NAMED) return;
    answers[i] = { value: answer.value, kind: answer.kind, indicators: [], error: LEFT_OUT };
    keys[i] = undefined;
  });
  if (options.warningLists !== false) {
    const suppressor = await suppressorFor(ctx, actor);
    if (suppressor.entries > 0) {
      answers.forEach((answer, i) => {
        const key = keys[i];
        const covered = answer.kind !== null && key !== undefined ? suppressor.check(answer.kind, key) : undefined;
        if (covered) answer.suppressed = covered;
      });
    }
  }
  return answers;
}

/**
 * Markings, creator, related objects and sightings on every hit (one read of each per lookup).
 * `shown`: the indicators with granular markings as the reader sees them.
 */
async function addContext(ctx: AppContext, reader: IndexReader, found: readonly Named[], filter: ContextFilter, shown: ReadonlyMap<string, StixObject> | undefined, pace: Pace): Promise<void> {
  // Most values name no indicator: nothing to gather then.
  if (found.every((n) => n.indicators.length === 0)) return;
  const ids = [...new Set(found.flatMap((n) => n.indicators.map((h) => h.id)))];
  const index = reader.index;
  const context = await contextOf(ctx, reader.principal, ids, filter);
  for (const named of found) {
    for (const hit of named.indicators) {
      if (pace.step()) await pace.turn();
      const slot = index.slotOf(hit.id);
      if (slot !== undefined) {
        const markings = reader.markings(slot);
        if (markings) hit.markings = markings;
        const seen = shown?.get(hit.id);
        const creator = seen ? seen.created_by_ref : index.creator(slot);
        if (creator) hit.created_by_ref = creator;
      }
      const known = context.get(hit.id);
      if (known && known.related.length > 0) hit.related = known.related;
      if (known?.relatedTruncated) hit.related_truncated = true;
      if (known?.sighted) hit.sighted = known.sighted;
    }
  }
}
