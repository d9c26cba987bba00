/**
 * Detection's use cases, as the node's routes and the command line ask them: fn(ctx, actor,
 * input). Every answer passes through the policy module: a reader only ever learns of indicators
 * it may read. The work is done beside: the index kept current (detect.maintenance.ts), what one
 * reader may learn of it (detect.reader.ts), lookup (detect.lookup.ts), matching events
 * (detect.matcher.ts), bulk matching of a log (detect.match.ts), the alliance's view of an
 * indicator (detect.context.ts) and reported sightings (detect.sightings.ts).
 */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { Principal } from '../../policy/principal.js';
import { checkReadOptions, type ReadLogOptions } from '../logformats/logformats.js';
import { awarenessOf, correlatedValues, mostSighted, type Awareness, type CorrelatedValue, type SightedIndicator } from './detect.context.js';
import { lookup, type LookupAnswer, type LookupOptions } from './detect.lookup.js';
import type { Detection } from './detect.maintenance.js';
import { parseColumns, type MatchRun } from './detect.match.js';
import type { CorrelationsQuery, LookupGetQuery, LookupPostBody, MatchQuery, SightedQuery } from './detect.schema.js';
import { parseSightingMarkings, SightingCollector } from './detect.sightings.js';
import type { ObservableKind } from '../../stix/observable.js';

export { Detection, recordOfRow, type DetectionStatus } from './detect.maintenance.js';
export { confidenceAsSeen, IndexReader, shownIndicators, slotsOfValue, validAsSeen } from './detect.reader.js';
export { lookup, LOOKUP_MAX_VALUES, type IndicatorHit, type LookupAnswer, type LookupOptions, type LookupQuery } from './detect.lookup.js';
export { EventMatcher, OBSERVED_PER_MATCH, type EventMatch, type MatchCounters, type MatchOptions } from './detect.matcher.js';
export { observationOf, scoOfValue } from './detect.observation.js';
export { matchLog, matchStream, type MatchRun, type MatchSummary } from './detect.match.js';

/** The switches of a lookup: context and warning lists, both on unless turned off. */
function lookupSwitches(asked: { context?: boolean; warning_lists?: boolean }): LookupOptions {
  return { context: asked.context !== false, warningLists: asked.warning_lists !== false };
}

/** One value looked up (GET /api/v1/lookup). */
export async function lookupValue(ctx: AppContext, detection: Detection, actor: Principal, query: LookupGetQuery): Promise<LookupAnswer> {
  const answers = await lookup(ctx, detection, actor, [{ value: query.value, ...(query.kind ? { kind: query.kind } : {}) }], lookupSwitches(query));
  return answers[0]!;
}

/** Values looked up at once (POST /api/v1/lookup), each a string (its kind detected) or {value, kind}. */
export async function lookupValues(ctx: AppContext, detection: Detection, actor: Principal, body: LookupPostBody): Promise<{ answers: LookupAnswer[] }> {
  const queries = body.values.map((v) => (typeof v === 'string' ? { value: v } : { value: v.value, ...(v.kind ? { kind: v.kind } : {}) }));
  return { answers: await lookup(ctx, detection, actor, queries, lookupSwitches(body)) };
}

/** One indicator as the alliance sees it, once the index is built. */
export async function indicatorAwareness(ctx: AppContext, detection: Detection, actor: Principal, id: string): Promise<Awareness> {
  await detection.ready();
  return awarenessOf(ctx, detection, actor, id);
}

/** Indicators sighted by the most organisations: at least one, the first 50, since any time unless asked otherwise. */
export function sightedRanking(ctx: AppContext, actor: Principal, query: SightedQuery): Promise<{ indicators: SightedIndicator[]; sightings_read: number; truncated: boolean }> {
  const since = query.since === undefined ? undefined : new Date(query.since).toISOString();
  return mostSighted(ctx, actor, { minMembers: query.min_members ?? 1, limit: query.limit ?? 50, ...(since ? { since } : {}) });
}

/** Values indicators of several originators name: at least two, the first 100, of every kind unless asked otherwise. */
export async function correlations(ctx: AppContext, detection: Detection, actor: Principal, query: CorrelationsQuery): Promise<{ values: CorrelatedValue[] }> {
  await detection.ready();
  return correlatedValues(ctx, detection, actor, { minOriginators: query.min_originators ?? 2, limit: query.limit ?? 100, ...(query.kind ? { kind: query.kind } : {}) });
}

/** What a bulk match is run with: how the log is read, and what is done with its matches. */
export interface MatchAsked {
  readonly read: Omit<ReadLogOptions, 'onError' | 'onProgress'>;
  readonly run: Pick<MatchRun, 'sightings' | 'warningLists'>;
}

/**
 * A bulk match as asked (POST /api/v1/match's query), checked before any of the log is read: the
 * column mapping, and with report_sightings the sightings' markings and the actor's right to
 * store them (intel:write, a member's identity). Throws BAD_REQUEST or FORBIDDEN saying what to fix.
 */
export function matchAsked(ctx: AppContext, actor: Principal, query: MatchQuery): MatchAsked {
  let columns: Record<string, ObservableKind> | undefined;
  if (query.columns !== undefined) {
    const parsed = parseColumns(query.columns);
    if ('error' in parsed) throw shieldwallError('BAD_REQUEST', parsed.error);
    columns = parsed.columns;
  }
  const read: ReadLogOptions = {
    ...(query.format ? { format: query.format } : {}),
    ...(columns ? { columns } : {}),
    ...(query.delimiter ? { delimiter: query.delimiter } : {}),
    ...(query.header !== undefined ? { csvHeader: query.header } : {}),
  };
  // What the readers would refuse once the answer has begun is refused before it begins.
  try {
    checkReadOptions(read);
  } catch (error) {
    if (error instanceof TypeError) throw shieldwallError('BAD_REQUEST', error.message);
    throw error;
  }
  let sightings: SightingCollector | undefined;
  if (query.report_sightings) {
    const markings = query.sighting_markings === undefined ? undefined : parseSightingMarkings(query.sighting_markings);
    if (markings && 'error' in markings) throw shieldwallError('BAD_REQUEST', markings.error);
    sightings = new SightingCollector(ctx, actor, markings?.markings);
  } else if (query.sighting_markings !== undefined) throw shieldwallError('BAD_REQUEST', 'sighting_markings is only used with report_sightings=true');
  return {
    read,
    run: { ...(sightings ? { sightings } : {}), warningLists: query.warning_lists !== false },
  };
}
