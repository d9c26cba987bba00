/**
 * What the alliance knows around an indicator, as one reader may know it: the malware, intrusion
 * sets, campaigns and the like it is related to (through relationships, one hop, then
 * attribution), and who has sighted it. Everything is read through the intel read path, so the
 * policy decides on each relationship, sighting and related object.
 */
import type { AppContext } from '../../core/context.js';
import { principalKey, type Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { shieldwallError } from '../../core/errors.js';
import { nodeState } from '../../core/state.js';
import { RecentAnswers } from '../../core/recent.js';
import { nextTurn } from '../../core/turn.js';
import * as intel from '../intel/intel.service.js';
import { compileIndicator } from './detect.compile.js';
import type { Detection } from './detect.maintenance.js';
import { IndexReader, newestSlots, shownIndicators } from './detect.reader.js';
import type { ObservableKind } from '../../stix/observable.js';

/** Object types an indicator's context names (STIX 2.1 section 4). */
export const CONTEXT_TYPES: ReadonlySet<string> = new Set(['attack-pattern', 'campaign', 'infrastructure', 'intrusion-set', 'malware', 'threat-actor', 'tool', 'vulnerability']);
/** Relationships followed from a related object one step further (a campaign to its intrusion set). */
const SECOND_HOP = new Set(['attributed-to']);

export interface RelatedObject {
  id: string;
  type: string;
  name?: string;
  /** relationship_type of the relationship that leads to it. */
  relationship: string;
  /** The related object it was reached through (second hop), if not the indicator itself. */
  via?: string;
}

export interface SightedBy {
  /** Distinct sighting organisations (where_sighted_refs, else the sighting's creator). */
  members: number;
  /** Sighting objects. */
  sightings: number;
  /** Sum of the sightings' count (times seen). */
  count: number;
  first_seen?: string;
  last_seen?: string;
  /** The sighting organisations' identities (at most 50). */
  sighted_by: string[];
  /** More sightings were stored than one read returns: the figures are a lower bound. */
  truncated?: boolean;
}

export interface IndicatorContext {
  related: RelatedObject[];
  /** More relationships of the indicator were stored than its context reads: `related` is a part of what the reader may know. */
  relatedTruncated?: true;
  sighted?: SightedBy;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Bits of each of the context filter's two sets: 2 MiB, about 1.4% false positives with a million objects in it. */
const FILTER_BITS = 1 << 24;

/** The types whose rows say something about another object (their about_ref is that object). */
export type ContextRowType = 'relationship' | 'sighting';

/**
 * Which objects may have context, of each kind (a relationship from them, a sighting of them): a
 * bit filter over their ids per kind, filled from the store and kept current with it. "No" is
 * certain once the filter is complete, so a lookup skips the store for the many indicators
 * nothing is said about, and for the kind of context an indicator has none of (most that are
 * related to a malware family have never been sighted); "maybe" (and every answer before the
 * filter is complete) asks the store.
 */
export class ContextFilter {
  readonly #bits: Record<ContextRowType, Int32Array> = { relationship: new Int32Array(FILTER_BITS >>> 5), sighting: new Int32Array(FILTER_BITS >>> 5) };
  #complete = false;

  add(id: string, type: ContextRowType): void {
    const bits = this.#bits[type];
    const [a, b] = ContextFilter.#hashes(id);
    bits[a >>> 5]! |= 1 << (a & 31);
    bits[b >>> 5]! |= 1 << (b & 31);
  }

  /** Every object about which something was stored has been added. */
  markComplete(): void {
    this.#complete = true;
  }

  get complete(): boolean {
    return this.#complete;
  }

  /** May the store hold rows of this type about the object (of either type when none is given)? */
  mayHave(id: string, type?: ContextRowType): boolean {
    if (!this.#complete) return true;
    if (type === undefined) return this.mayHave(id, 'relationship') || this.mayHave(id, 'sighting');
    const bits = this.#bits[type];
    const [a, b] = ContextFilter.#hashes(id);
    return (bits[a >>> 5]! & (1 << (a & 31))) !== 0 && (bits[b >>> 5]! & (1 << (b & 31))) !== 0;
  }

  static #hashes(id: string): [number, number] {
    // FNV-1a, and a second hash derived from it (Kirsch-Mitzenmacher).
    let h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    const g = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) | 1;
    return [(h >>> 0) & (FILTER_BITS - 1), ((h + g) >>> 0) & (FILTER_BITS - 1)];
  }
}

/** The types whose rows say something about another object, as the filter files them. */
export const CONTEXT_ROW_TYPES: readonly ContextRowType[] = ['relationship', 'sighting'];
const typeOfId = (id: string): string => id.slice(0, id.indexOf('--'));

/** When a sighting says it was seen: first_seen (else created) and last_seen (else first). */
function seenOf(sighting: StixObject): { first: string | undefined; last: string | undefined } {
  const first = str(sighting['first_seen']) ?? str(sighting.created);
  return { first, last: str(sighting['last_seen']) ?? first };
}

/**
 * Adds one sighting to an indicator's figures: its sighting organisations (where_sighted_refs,
 * else its creator) to `who`, its count, and the span seen.
 */
function tally(entry: SightedBy, who: Set<string>, sighting: StixObject, seen: { first: string | undefined; last: string | undefined }): void {
  const where = Array.isArray(sighting['where_sighted_refs']) ? (sighting['where_sighted_refs'] as unknown[]).filter((r): r is string => typeof r === 'string') : [];
  if (where.length > 0) for (const ref of where) who.add(ref);
  else if (sighting.created_by_ref) who.add(sighting.created_by_ref);
  entry.sightings++;
  entry.count += typeof sighting['count'] === 'number' ? sighting['count'] : 1;
  if (seen.first && (!entry.first_seen || seen.first < entry.first_seen)) entry.first_seen = seen.first;
  if (seen.last && (!entry.last_seen || seen.last > entry.last_seen)) entry.last_seen = seen.last;
}

/**
 * What the context of indicators reads of the rows about each (relationships out of it, its
 * sightings; likewise of the objects it is related to, for their attribution), oldest first: at
 * most CONTEXT_ROWS_PER_OBJECT rows the reader may read and CONTEXT_CHARS_PER_OBJECT characters of
 * their text per object, CONTEXT_CHARS per read in all. An answer names a few related objects and
 * the figures of the sightings, not every row: past the caps, `related_truncated` and
 * `sighted.truncated` say that they are a part, and the figures a lower bound.
 */
export const CONTEXT_ROWS_PER_OBJECT = 1000;
export const CONTEXT_CHARS_PER_OBJECT = 1024 * 1024;
export const CONTEXT_CHARS = 8 * 1024 * 1024;
const CONTEXT_READ = { perObject: CONTEXT_ROWS_PER_OBJECT, charsPerObject: CONTEXT_CHARS_PER_OBJECT, chars: CONTEXT_CHARS };

/** Sightings of these objects that the reader may read, per object (within the caps of CONTEXT_ROWS_PER_OBJECT). */
export async function sightingsOf(ctx: AppContext, actor: Principal, ids: string[]): Promise<Map<string, SightedBy>> {
  const out = new Map<string, SightedBy>();
  if (ids.length === 0) return out;
  const { objects, incomplete } = await intel.objectsAbout(ctx, actor, 'sighting', ids, CONTEXT_READ);
  const sighters = new Map<string, Set<string>>();
  for (const sighting of objects) {
    const of = str(sighting['sighting_of_ref']);
    if (!of) continue;
    let entry = out.get(of);
    if (!entry) out.set(of, (entry = { members: 0, sightings: 0, count: 0, sighted_by: [], ...(incomplete.has(of) ? { truncated: true } : {}) }));
    let who = sighters.get(of);
    if (!who) sighters.set(of, (who = new Set()));
    tally(entry, who, sighting, seenOf(sighting));
  }
  for (const [id, entry] of out) {
    const who = [...(sighters.get(id) ?? [])].sort();
    entry.members = who.length;
    entry.sighted_by = who.slice(0, 50);
  }
  return out;
}

/** Context of each indicator (related objects and sightings) as the reader may know it. */
export async function contextOf(ctx: AppContext, actor: Principal, ids: string[], filter?: ContextFilter): Promise<Map<string, IndicatorContext>> {
  const out = new Map<string, IndicatorContext>();
  // Only the store's rows the filter may hold are asked for: an indicator related to something
  // has seldom been sighted, and a malware family seldom has relationships of its own.
  const related = filter ? ids.filter((id) => filter.mayHave(id, 'relationship')) : ids;
  const sighted = filter ? ids.filter((id) => filter.mayHave(id, 'sighting')) : ids;
  if (related.length === 0 && sighted.length === 0) return out;
  // Only relationships to the types context names are read whole (their target_ref column says which).
  const relationshipsOf = async (of: string[]) => (of.length === 0 ? undefined : intel.objectsAbout(ctx, actor, 'relationship', of, { ...CONTEXT_READ, targetTypes: CONTEXT_TYPES }));
  const fromIndicators = await relationshipsOf(related);
  const first = (fromIndicators?.objects ?? []).filter((r) => CONTEXT_TYPES.has(typeOfId(str(r['target_ref']) ?? '')));
  const hopIds = [...new Set(first.map((r) => r['target_ref'] as string))];
  const hopRelated = filter ? hopIds.filter((id) => filter.mayHave(id, 'relationship')) : hopIds;
  const second = ((await relationshipsOf(hopRelated))?.objects ?? []).filter((r) => SECOND_HOP.has(str(r['relationship_type']) ?? '') && CONTEXT_TYPES.has(typeOfId(str(r['target_ref']) ?? '')));
  // The related objects themselves, as the reader may see them: one the reader may not read is left out.
  const targets = [...new Set([...hopIds, ...second.map((r) => r['target_ref'] as string)])];
  const known = await intel.objectsByIds(ctx, actor, targets);
  const bySource = new Map<string, StixObject[]>();
  for (const r of second) {
    const source = r['source_ref'] as string;
    let list = bySource.get(source);
    if (!list) bySource.set(source, (list = []));
    list.push(r);
  }
  const relatedOf = (r: StixObject, via?: string): RelatedObject | undefined => {
    const target = known.get(r['target_ref'] as string);
    if (!target) return undefined;
    const name = str(target['name']);
    return { id: target.id, type: target.type, ...(name !== undefined ? { name } : {}), relationship: str(r['relationship_type']) ?? 'related-to', ...(via ? { via } : {}) };
  };
  for (const indicator of fromIndicators?.incomplete ?? []) out.set(indicator, { related: [], relatedTruncated: true });
  for (const r of first) {
    const indicator = r['source_ref'] as string;
    let entry = out.get(indicator);
    if (!entry) out.set(indicator, (entry = { related: [] }));
    const direct = relatedOf(r);
    if (!direct) continue;
    if (!entry.related.some((x) => x.id === direct.id && !x.via)) entry.related.push(direct);
    for (const onward of bySource.get(direct.id) ?? []) {
      const reached = relatedOf(onward, direct.id);
      if (reached && !entry.related.some((x) => x.id === reached.id)) entry.related.push(reached);
    }
  }
  for (const [id, seen] of await sightingsOf(ctx, actor, sighted)) {
    let entry = out.get(id);
    if (!entry) out.set(id, (entry = { related: [] }));
    entry.sighted = seen;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Awareness: who else names the same values, who sighted what

export interface CorrelatedIndicator {
  id: string;
  created_by_ref: string | null;
  /** The values both indicators name. */
  shared: Array<{ kind: ObservableKind; value: string }>;
}

export interface Awareness {
  id: string;
  created_by_ref: string | null;
  /** Indicators of other originators naming a value this one names, that the reader may read (the newest CORRELATED_LIMIT). */
  correlated: CorrelatedIndicator[];
  /** More than CORRELATED_LIMIT are correlated: `correlated` holds the newest. */
  correlated_truncated?: true;
  /** With correlated_truncated: how many are (of those with granular markings, only those given count). */
  correlated_total?: number;
  sighted?: SightedBy;
}

/** Most correlated indicators an indicator's awareness names, and a correlated value lists: the newest the reader may know of. */
export const CORRELATED_LIMIT = 1000;

/**
 * One indicator as the alliance sees it: the other originators' indicators that name the same
 * values (exact values; address ranges are not compared), the newest CORRELATED_LIMIT of them,
 * and who sighted it.
 */
export async function awarenessOf(ctx: AppContext, detection: Detection, actor: Principal, id: string): Promise<Awareness> {
  const object = await intel.getObject(ctx, actor, id);
  if (object.type !== 'indicator') throw shieldwallError('BAD_REQUEST', `${id} is a ${object.type}: correlation and sightings are asked of indicators`);
  const creator = object.created_by_ref ?? null;
  const correlated: CorrelatedIndicator[] = [];
  let leftOut: number | undefined;
  const pattern = str(object['pattern']);
  if (pattern !== undefined && (str(object['pattern_type']) ?? 'stix') === 'stix') {
    const compiled = compileIndicator(pattern, (str(object['pattern_version']) ?? object.spec_version ?? '2.1').startsWith('2.0') ? '2.0' : '2.1');
    if (compiled.ok) {
      const reader = await IndexReader.of(ctx, detection, actor);
      const index = reader.index;
      const own = index.slotOf(id);
      /** The values each candidate shares, by slot, in the order met. */
      const shared = new Map<number, CorrelatedIndicator['shared']>();
      for (const mention of compiled.indicator.mentions) {
        if (!('kind' in mention)) continue;
        for (const slot of index.exact(mention.kind, mention.value)) {
          if (slot === own || !reader.mayRead(slot)) continue;
          // The same originator, as the index knows it: not a correlation. Those with granular
          // markings are decided on the creator the reader sees, below.
          if (!index.isGranular(slot) && index.creator(slot) === creator) continue;
          let values = shared.get(slot);
          if (!values) shared.set(slot, (values = []));
          values.push({ kind: mention.kind, value: mention.value });
        }
      }
      const candidates = [...shared.keys()];
      const kept = newestSlots(candidates, CORRELATED_LIMIT);
      if (kept.length < candidates.length) {
        const keptSet = new Set(kept);
        leftOut = candidates.filter((slot) => !keptSet.has(slot) && !index.isGranular(slot)).length;
      }
      // Those with granular markings as the reader sees them: left out when their pattern is
      // hidden, and with the creator the reader sees (none when it is hidden).
      const granular = kept.filter((slot) => index.isGranular(slot)).map((slot) => index.id(slot));
      const shown = granular.length > 0 ? await shownIndicators(ctx, actor, granular) : undefined;
      for (const slot of kept) {
        const other = index.id(slot);
        let createdBy = index.creator(slot);
        if (index.isGranular(slot)) {
          const seen = shown?.get(other);
          if (!seen) continue;
          createdBy = seen.created_by_ref ?? null;
          // Other originators, as far as the reader can tell.
          if (createdBy === creator) continue;
        }
        correlated.push({ id: other, created_by_ref: createdBy, shared: shared.get(slot)! });
      }
    }
  }
  const sighted = (await sightingsOf(ctx, actor, [id])).get(id);
  return {
    id,
    created_by_ref: creator,
    correlated,
    ...(leftOut !== undefined ? { correlated_truncated: true as const, correlated_total: correlated.length + leftOut } : {}),
    ...(sighted ? { sighted } : {}),
  };
}

export interface SightedIndicator extends SightedBy {
  id: string;
}

/** Most sightings read for one ranking: the newest stored. */
export const RANKING_SIGHTINGS_LIMIT = 50_000;
/** Most text of sightings read for one ranking (some 100,000 sightings of the usual size). */
export const RANKING_CHARS = 64 * 1024 * 1024;
/** Sightings read per page; the ranking hands the event loop to other requests between pages. */
const RANKING_PAGE = 1000;
/** Ranked indicators checked for readability per read. */
const RANKING_READ_CHUNK = 500;
/** How long a ranking is answered again to the same reader asking the same, without reading the sightings again. */
export const RANKING_KEPT_MS = 10_000;
/** Rankings kept per node at most, and indicators in them all (the oldest rankings go first). */
const RANKINGS_KEPT = 64;
const RANKED_KEPT = 10_000;

export interface SightedRanking {
  indicators: SightedIndicator[];
  sightings_read: number;
  truncated: boolean;
}

/** Rankings made recently, by reader and question; one being made is shared by those who ask meanwhile. */
const RANKINGS = nodeState('detect.rankings', () => new RecentAnswers<SightedRanking>({ keepMs: RANKING_KEPT_MS, entries: RANKINGS_KEPT, size: RANKED_KEPT, sizeOf: (ranking) => ranking.indicators.length }));

/**
 * The indicators sighted by the most organisations, among the newest RANKING_SIGHTINGS_LIMIT
 * sightings the reader may read (optionally only those last seen since an instant). The same
 * reader asking the same again within RANKING_KEPT_MS is answered the same figures, without
 * reading the sightings again; the indicators it names are checked again to be readable.
 */
export async function mostSighted(ctx: AppContext, actor: Principal, options: { minMembers: number; limit: number; since?: string }): Promise<SightedRanking> {
  const rankings = ctx.state.get(RANKINGS);
  const key = JSON.stringify([...principalKey(actor), options.minMembers, options.limit, options.since ?? null]);
  const made = rankings.get(key, Date.now());
  if (made) {
    const ranking = await made;
    // Every indicator it names is still readable: else it is made again.
    const readable = await readableIndicators(ctx, actor, ranking.indicators.map((entry) => entry.id));
    if (ranking.indicators.every((entry) => readable.has(entry.id))) return ranking;
  }
  const ranking = rankSightings(ctx, actor, options);
  rankings.set(key, Date.now(), ranking);
  return ranking;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The ids of these indicators the reader may read (read by id: a few index entries each, whatever else the store holds). */
async function readableIndicators(ctx: AppContext, actor: Principal, ids: readonly string[]): Promise<Set<string>> {
  const readable = new Set<string>();
  for (const [id, object] of await intel.objectsByIds(ctx, actor, ids)) if (object.type === 'indicator') readable.add(id);
  return readable;
}

/**
 * The ranking read from the store: the newest sightings the reader may read, a page at a time
 * (the event loop serves other requests between pages), at most RANKING_SIGHTINGS_LIMIT of them
 * and RANKING_CHARS of their text.
 */
async function rankSightings(ctx: AppContext, actor: Principal, options: { minMembers: number; limit: number; since?: string }): Promise<SightedRanking> {
  const per = new Map<string, { entry: SightedIndicator; who: Set<string> }>();
  let cursor: string | undefined;
  let read = 0;
  let chars = 0;
  let truncated = false;
  do {
    if (cursor) await nextTurn();
    const page = await intel.listObjects(ctx, actor, {
      types: ['sighting'],
      descending: true,
      raw: true,
      limit: Math.min(RANKING_PAGE, RANKING_SIGHTINGS_LIMIT - read),
      maxChars: RANKING_CHARS - chars,
      ...(cursor ? { cursor } : {}),
    });
    const bodies = page.bodies ?? [];
    for (const body of bodies) {
      chars += body.length;
      const sighting = JSON.parse(body) as StixObject;
      const of = str(sighting['sighting_of_ref']);
      if (!of?.startsWith('indicator--')) continue;
      const seen = seenOf(sighting);
      if (options.since !== undefined && (seen.last === undefined || seen.last < options.since)) continue;
      let found = per.get(of);
      if (!found) per.set(of, (found = { entry: { id: of, members: 0, sightings: 0, count: 0, sighted_by: [] }, who: new Set() }));
      tally(found.entry, found.who, sighting, seen);
    }
    read += bodies.length;
    cursor = page.next;
    if (cursor && (read >= RANKING_SIGHTINGS_LIMIT || chars >= RANKING_CHARS)) truncated = true;
  } while (cursor && !truncated);
  await nextTurn();
  const ranked: SightedIndicator[] = [];
  for (const { entry, who } of per.values()) {
    entry.members = who.size;
    if (entry.members < options.minMembers) continue;
    entry.sighted_by = [...who].sort().slice(0, 50);
    ranked.push(entry);
  }
  // Timestamps and ids are ASCII: compared by code unit (localeCompare cost most of a ranking of 50,000).
  ranked.sort((a, b) => b.members - a.members || b.count - a.count || compareText(b.last_seen ?? '', a.last_seen ?? '') || compareText(a.id, b.id));
  // A readable sighting does not make its indicator readable: only indicators the reader may read are named.
  const indicators: SightedIndicator[] = [];
  for (let i = 0; i < ranked.length && indicators.length < options.limit; i += RANKING_READ_CHUNK) {
    if (i > 0) await nextTurn();
    const batch = ranked.slice(i, i + RANKING_READ_CHUNK);
    const readable = await readableIndicators(ctx, actor, batch.map((e) => e.id));
    for (const entry of batch) if (readable.has(entry.id) && indicators.length < options.limit) indicators.push(entry);
  }
  return { indicators, sightings_read: read, truncated };
}

export interface CorrelatedValue {
  kind: ObservableKind;
  value: string;
  /** Distinct originators (created_by_ref) of the indicators naming it. */
  originators: number;
  /** The indicators naming it, the newest CORRELATED_LIMIT. */
  indicators: Array<{ id: string; created_by_ref: string | null }>;
  /** More than CORRELATED_LIMIT name it: `indicators` holds the newest. */
  indicators_truncated?: true;
  /** With indicators_truncated: how many name it (of those with granular markings, only those given count). */
  indicators_total?: number;
}

/** A value several live indicators name, as far as the reader may know them, before those with granular markings are read. */
interface SharedCandidate {
  kind: ObservableKind;
  value: string;
  /** The slots the reader may read. */
  slots: number[];
  /** The creators of those without granular markings. */
  creators: Set<string | null>;
  /** At most this many originators: those with granular markings count as originators of their own until read. */
  originators: number;
}

/**
 * Shared values weighed between two turns of the event loop (a few milliseconds' work): the
 * values several indicators name are as many as anyone who writes intel makes them (200,000
 * indicators of two originators naming 100,000 values took a ranking from 6-24 ms to 110-140 ms,
 * every other request waiting meanwhile). Every value is still weighed: the ranking is by
 * originators over all of them, so stopping part way would change which values lead it.
 */
const SHARED_VALUES_PER_TURN = 1000;

/**
 * The values that indicators of several originators name, as far as the reader may know them,
 * most originators first: where members' intelligence meets. Each lists its newest
 * CORRELATED_LIMIT indicators; the originators are counted over all of them (of those with
 * granular markings, over those listed).
 */
export async function correlatedValues(
  ctx: AppContext,
  detection: Detection,
  actor: Principal,
  options: { minOriginators: number; limit: number; kind?: ObservableKind },
): Promise<{ values: CorrelatedValue[] }> {
  const reader = await IndexReader.of(ctx, detection, actor);
  const index = reader.index;
  const least = Math.max(2, options.minOriginators);
  const found: SharedCandidate[] = [];
  let visited = 0;
  for (const shared of index.sharedValues(options.kind)) {
    if (++visited % SHARED_VALUES_PER_TURN === 0) await nextTurn();
    const creators = new Set<string | null>();
    const slots: number[] = [];
    let granular = 0;
    for (const slot of shared.slots) {
      if (!reader.mayRead(slot)) continue;
      slots.push(slot);
      if (index.isGranular(slot)) granular++;
      else creators.add(index.creator(slot));
    }
    const originators = creators.size + granular;
    if (originators >= least) found.push({ kind: shared.kind, value: shared.value, slots, creators, originators });
  }
  found.sort((a, b) => b.originators - a.originators || b.slots.length - a.slots.length || a.value.localeCompare(b.value));
  // Indicators whose pattern a granular marking hides from the reader are taken out, and the
  // counts made again with the creators the reader sees.
  const out: Array<CorrelatedValue & { count: number }> = [];
  for (let i = 0; i < found.length && out.length < options.limit; i += options.limit) {
    const batch = found.slice(i, i + options.limit).map((candidate) => ({ candidate, kept: newestSlots(candidate.slots, CORRELATED_LIMIT) }));
    const granular = [...new Set(batch.flatMap(({ kept }) => kept.filter((slot) => index.isGranular(slot)).map((slot) => index.id(slot))))];
    const shown = granular.length > 0 ? await shownIndicators(ctx, actor, granular) : new Map<string, StixObject>();
    for (const { candidate, kept } of batch) {
      const creators = new Set(candidate.creators);
      const indicators: CorrelatedValue['indicators'] = [];
      for (const slot of kept) {
        const id = index.id(slot);
        if (!index.isGranular(slot)) indicators.push({ id, created_by_ref: index.creator(slot) });
        else {
          // With the creator the reader sees (none when it is hidden).
          const seen = shown.get(id);
          if (!seen) continue;
          indicators.push({ id, created_by_ref: seen.created_by_ref ?? null });
          creators.add(seen.created_by_ref ?? null);
        }
      }
      const keptSet = new Set(kept);
      const leftOut = kept.length < candidate.slots.length ? candidate.slots.filter((slot) => !keptSet.has(slot) && !index.isGranular(slot)).length : 0;
      const count = indicators.length + leftOut;
      if (creators.size >= least && out.length < options.limit) {
        out.push({
          kind: candidate.kind,
          value: candidate.value,
          originators: creators.size,
          indicators,
          ...(kept.length < candidate.slots.length ? { indicators_truncated: true as const, indicators_total: count } : {}),
          count,
        });
      }
    }
  }
  out.sort((a, b) => b.originators - a.originators || b.count - a.count || a.value.localeCompare(b.value));
  return { values: out.map(({ count: _count, ...value }) => value) };
}
