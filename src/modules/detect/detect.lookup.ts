/** Lookup: the indicators that name each value, with their context, as one reader may know of them. */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { DEFAULT_CLASSIFICATIONS } from '../../policy/markings.js';
import type { Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { suppressorFor, type Suppression } from '../warninglists/warninglist.service.js';
import { contextOf, type ContextFilter, type RelatedObject, type SightedBy } from './detect.context.js';
import type { DetectIndex } from './detect.index.js';
import type { Detection } from './detect.maintenance.js';
import { confidenceAsSeen, IndexReader, newestSlots, shownIndicators, slotsOfValue, timeOfProperty, validAsSeen } from './detect.reader.js';
import { detectKind, type ObservableKind } from '../../stix/observable.js';

export const LOOKUP_MAX_VALUES = 10_000;

/**
 * Most indicators one value's answer names: the newest the reader may know of (the last indexed),
 * the answer saying `indicators_truncated` and how many there are. Anyone who may write intel can
 * make indicators name a value; an answer, and the context read for it, stay bounded however many
 * do.
 */
export const HITS_PER_VALUE = 1000;

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
   * granular markings may hide a part of them from the reader, only those given count).
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
  return {
    id: index.id(slot),
    match: index.isSimple(slot) ? 'full' : 'partial',
    ...(confidence !== undefined ? { confidence } : {}),
    ...(Number.isFinite(from) ? { valid_from: new Date(from).toISOString() } : {}),
    ...(Number.isFinite(until) ? { valid_until: new Date(until).toISOString() } : {}),
  };
}

/**
 * Indicators that name each value and that the reader may read, valid at `at`. Indicators with
 * granular markings are read through the intel read path: a marking may hide the pattern (the
 * indicator is then not named) or what a hit says of it (confidence, validity, creator), which
 * then comes from the object as the reader sees it.
 */
export async function lookup(ctx: AppContext, detection: Detection, actor: Principal, queries: readonly LookupQuery[], options: LookupOptions = {}): Promise<LookupAnswer[]> {
  const at = options.at ?? ctx.clock.now().getTime();
  if (queries.length > LOOKUP_MAX_VALUES) {
    throw shieldwallError('BAD_REQUEST', `${queries.length} values in one lookup: at most ${LOOKUP_MAX_VALUES}; split the list, or use POST /api/v1/match for logs`);
  }
  const reader = await IndexReader.of(ctx, detection, actor);
  const index = reader.index;
  const answers: LookupAnswer[] = [];
  /** Each answer's key, for the warning lists. */
  const keys: Array<string | undefined> = [];
  const granular = new Set<string>();
  /** Per answer with more hits than HITS_PER_VALUE: those left out that count towards its total. */
  const leftOut = new Map<LookupAnswer, number>();
  for (const query of queries) {
    const value = query.value.trim();
    const kind = query.kind ?? detectKind(value);
    if (kind === undefined) {
      answers.push({ value: query.value, kind: null, indicators: [], error: 'the kind of this value was not recognised: give it (kind=domain, ipv4, sha256, ...)' });
      keys.push(undefined);
      continue;
    }
    const found = slotsOfValue(index, kind, value, query.kind === undefined);
    if (!found) {
      answers.push({ value: query.value, kind, indicators: [], error: `'${value}' is not a valid ${kind} value` });
      keys.push(undefined);
      continue;
    }
    const seen = new Set<number>();
    const named: number[] = [];
    for (const slot of found.slots) {
      // The validity of one with granular markings is judged on what the reader sees of it, below.
      if (seen.has(slot) || (!index.validAt(slot, at) && !index.isGranular(slot)) || !reader.mayRead(slot)) continue;
      seen.add(slot);
      named.push(slot);
    }
    const kept = named.length > HITS_PER_VALUE ? newestSlots(named, HITS_PER_VALUE) : named;
    const indicators: IndicatorHit[] = [];
    for (const slot of kept) {
      if (index.isGranular(slot)) granular.add(index.id(slot));
      indicators.push(hitOf(index, slot));
    }
    // Repeating a value as given would be most of a miss's answer (a hash, twice).
    const answer: LookupAnswer = { value: query.value, kind, ...(found.normalised !== query.value ? { normalised: found.normalised } : {}), indicators };
    if (kept !== named) {
      // Those left out with granular markings are not read: whether the reader sees them is not known.
      const keptSet = new Set(kept);
      leftOut.set(answer, named.filter((slot) => !keptSet.has(slot) && !index.isGranular(slot)).length);
    }
    answers.push(answer);
    keys.push(found.normalised);
  }
  const shown = granular.size > 0 ? await shownIndicators(ctx, actor, [...granular]) : undefined;
  if (shown) {
    for (const answer of answers) {
      const hits: IndicatorHit[] = [];
      for (const hit of answer.indicators) {
        if (!granular.has(hit.id)) hits.push(hit);
        else {
          const object = shown.get(hit.id);
          if (object && validAsSeen(object, at)) hits.push(hitAsSeen(object, hit.match));
        }
      }
      answer.indicators = hits;
    }
  }
  for (const [answer, more] of leftOut) {
    answer.indicators_truncated = true;
    answer.indicators_total = answer.indicators.length + more;
  }
  if (options.context !== false) await addContext(ctx, reader, answers, detection.context, shown);
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
async function addContext(ctx: AppContext, reader: IndexReader, answers: LookupAnswer[], filter: ContextFilter, shown: ReadonlyMap<string, StixObject> | undefined): Promise<void> {
  const ids = [...new Set(answers.flatMap((a) => a.indicators.map((h) => h.id)))];
  if (ids.length === 0) return;
  const index = reader.index;
  const context = await contextOf(ctx, reader.principal, ids, filter);
  for (const answer of answers) {
    for (const hit of answer.indicators) {
      const slot = index.slotOf(hit.id);
      if (slot !== undefined) {
        const access = reader.access(slot);
        if (access) hit.markings = { tlp: access.tlp, classification: DEFAULT_CLASSIFICATIONS[access.classification] ?? String(access.classification), releasable_to: [...access.releasability] };
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
