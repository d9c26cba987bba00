/**
 * What the alliance knows around an indicator, as one reader may know it: the malware, intrusion
 * sets, campaigns and the like it is related to (through relationships, one hop, then
 * attribution), and who has sighted it. Everything is read through the intel read path, so the
 * policy decides on each relationship, sighting and related object.
 */
import type { AppContext } from '../../core/context.js';
import type { Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { shieldwallError } from '../../core/errors.js';
import * as intel from '../intel/intel.service.js';
import { compileIndicator } from './detect.compile.js';
import type { Detection } from './detect.maintenance.js';
import { IndexReader, shownIndicators } from './detect.reader.js';
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

/** Sightings of these objects that the reader may read, per object. */
export async function sightingsOf(ctx: AppContext, actor: Principal, ids: string[]): Promise<Map<string, SightedBy>> {
  const out = new Map<string, SightedBy>();
  if (ids.length === 0) return out;
  const { objects, truncated } = await intel.objectsAbout(ctx, actor, 'sighting', ids);
  const sighters = new Map<string, Set<string>>();
  for (const sighting of objects) {
    const of = str(sighting['sighting_of_ref']);
    if (!of) continue;
    let entry = out.get(of);
    if (!entry) out.set(of, (entry = { members: 0, sightings: 0, count: 0, sighted_by: [], ...(truncated ? { truncated } : {}) }));
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
  const first = related.length === 0 ? [] : (await intel.objectsAbout(ctx, actor, 'relationship', related)).objects.filter((r) => CONTEXT_TYPES.has(typeOfId(str(r['target_ref']) ?? '')));
  const hopIds = [...new Set(first.map((r) => r['target_ref'] as string))];
  const hopRelated = filter ? hopIds.filter((id) => filter.mayHave(id, 'relationship')) : hopIds;
  const second = hopRelated.length === 0 ? [] : (await intel.objectsAbout(ctx, actor, 'relationship', hopRelated)).objects.filter((r) => SECOND_HOP.has(str(r['relationship_type']) ?? '') && CONTEXT_TYPES.has(typeOfId(str(r['target_ref']) ?? '')));
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
  /** Indicators of other originators naming a value this one names, that the reader may read. */
  correlated: CorrelatedIndicator[];
  sighted?: SightedBy;
}

/**
 * One indicator as the alliance sees it: the other originators' indicators that name the same
 * values (exact values; address ranges are not compared), and who sighted it.
 */
export async function awarenessOf(ctx: AppContext, detection: Detection, actor: Principal, id: string): Promise<Awareness> {
  const object = await intel.getObject(ctx, actor, id);
  if (object.type !== 'indicator') throw shieldwallError('BAD_REQUEST', `${id} is a ${object.type}: correlation and sightings are asked of indicators`);
  const creator = object.created_by_ref ?? null;
  const correlated = new Map<string, CorrelatedIndicator>();
  const pattern = str(object['pattern']);
  if (pattern !== undefined && (str(object['pattern_type']) ?? 'stix') === 'stix') {
    const compiled = compileIndicator(pattern, (str(object['pattern_version']) ?? object.spec_version ?? '2.1').startsWith('2.0') ? '2.0' : '2.1');
    if (compiled.ok) {
      const reader = await IndexReader.of(ctx, detection, actor);
      const index = reader.index;
      for (const mention of compiled.indicator.mentions) {
        if (!('kind' in mention)) continue;
        for (const slot of index.exact(mention.kind, mention.value)) {
          const other = index.id(slot);
          if (other === id || !reader.mayRead(slot)) continue;
          let entry = correlated.get(other);
          if (!entry) correlated.set(other, (entry = { id: other, created_by_ref: index.creator(slot), shared: [] }));
          entry.shared.push({ kind: mention.kind, value: mention.value });
        }
      }
      // Those with granular markings as the reader sees them: left out when their pattern is
      // hidden, and with the creator the reader sees (none when it is hidden).
      const granular = [...correlated.keys()].filter((other) => index.isGranular(index.slotOf(other) ?? -1));
      if (granular.length > 0) {
        const shown = await shownIndicators(ctx, actor, granular);
        for (const other of granular) {
          const seen = shown.get(other);
          if (seen) correlated.get(other)!.created_by_ref = seen.created_by_ref ?? null;
          else correlated.delete(other);
        }
      }
      // Other originators, as far as the reader can tell.
      for (const [other, entry] of correlated) if (entry.created_by_ref === creator) correlated.delete(other);
    }
  }
  const sighted = (await sightingsOf(ctx, actor, [id])).get(id);
  return { id, created_by_ref: creator, correlated: [...correlated.values()], ...(sighted ? { sighted } : {}) };
}

export interface SightedIndicator extends SightedBy {
  id: string;
}

/** Most sightings read for one ranking. */
export const RANKING_SIGHTINGS_LIMIT = 200_000;

/**
 * The indicators sighted by the most organisations, among the sightings the reader may read
 * (optionally only those last seen since an instant).
 */
export async function mostSighted(ctx: AppContext, actor: Principal, options: { minMembers: number; limit: number; since?: string }): Promise<{ indicators: SightedIndicator[]; sightings_read: number; truncated: boolean }> {
  const per = new Map<string, { entry: SightedIndicator; who: Set<string> }>();
  let cursor: string | undefined;
  let read = 0;
  let truncated = false;
  do {
    const page = await intel.listObjects(ctx, actor, { types: ['sighting'], limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const sighting of page.objects) {
      const of = str(sighting['sighting_of_ref']);
      if (!of?.startsWith('indicator--')) continue;
      const seen = seenOf(sighting);
      if (options.since !== undefined && (seen.last === undefined || seen.last < options.since)) continue;
      let found = per.get(of);
      if (!found) per.set(of, (found = { entry: { id: of, members: 0, sightings: 0, count: 0, sighted_by: [] }, who: new Set() }));
      tally(found.entry, found.who, sighting, seen);
    }
    read += page.objects.length;
    cursor = page.next;
    if (cursor && read >= RANKING_SIGHTINGS_LIMIT) truncated = true;
  } while (cursor && !truncated);
  const ranked: SightedIndicator[] = [];
  for (const { entry, who } of per.values()) {
    entry.members = who.size;
    if (entry.members < options.minMembers) continue;
    entry.sighted_by = [...who].sort().slice(0, 50);
    ranked.push(entry);
  }
  ranked.sort((a, b) => b.members - a.members || b.count - a.count || (b.last_seen ?? '').localeCompare(a.last_seen ?? '') || a.id.localeCompare(b.id));
  // A readable sighting does not make its indicator readable: only indicators the reader may read are named.
  const indicators: SightedIndicator[] = [];
  for (let i = 0; i < ranked.length && indicators.length < options.limit; i += RANKING_READ_CHUNK) {
    const batch = ranked.slice(i, i + RANKING_READ_CHUNK);
    const page = await intel.listObjects(ctx, actor, { ids: batch.map((e) => e.id), types: ['indicator'], limit: batch.length, raw: true });
    const readable = new Set<string>();
    for (const body of page.bodies ?? []) readable.add((JSON.parse(body) as StixObject).id);
    for (const entry of batch) if (readable.has(entry.id) && indicators.length < options.limit) indicators.push(entry);
  }
  return { indicators, sightings_read: read, truncated };
}

/** Ranked indicators checked for readability per read. */
const RANKING_READ_CHUNK = 500;

export interface CorrelatedValue {
  kind: ObservableKind;
  value: string;
  /** Distinct originators (created_by_ref) of the indicators naming it. */
  originators: number;
  indicators: Array<{ id: string; created_by_ref: string | null }>;
}

/**
 * The values that indicators of several originators name, as far as the reader may know them,
 * most originators first: where members' intelligence meets.
 */
export async function correlatedValues(
  ctx: AppContext,
  detection: Detection,
  actor: Principal,
  options: { minOriginators: number; limit: number; kind?: ObservableKind },
): Promise<{ values: CorrelatedValue[] }> {
  const reader = await IndexReader.of(ctx, detection, actor);
  const index = reader.index;
  const found: CorrelatedValue[] = [];
  for (const shared of index.sharedValues(options.kind)) {
    const creators = new Set<string | null>();
    // Those with granular markings count as originators of their own until read (below): the
    // creator the reader sees of them may differ from the index's.
    let granular = 0;
    const indicators: CorrelatedValue['indicators'] = [];
    for (const slot of shared.slots) {
      if (!reader.mayRead(slot)) continue;
      const creator = index.creator(slot);
      if (index.isGranular(slot)) granular++;
      else creators.add(creator);
      indicators.push({ id: index.id(slot), created_by_ref: creator });
    }
    const originators = creators.size + granular;
    if (originators >= Math.max(2, options.minOriginators)) found.push({ kind: shared.kind, value: shared.value, originators, indicators });
  }
  found.sort((a, b) => b.originators - a.originators || b.indicators.length - a.indicators.length || a.value.localeCompare(b.value));
  // Indicators whose pattern a granular marking hides from the reader are taken out, and the
  // counts made again with the creators the reader sees.
  const out: CorrelatedValue[] = [];
  for (let i = 0; i < found.length && out.length < options.limit; i += options.limit) {
    const batch = found.slice(i, i + options.limit);
    const granular = [...new Set(batch.flatMap((v) => v.indicators.map((h) => h.id)).filter((id) => index.isGranular(index.slotOf(id) ?? -1)))];
    const shown = await shownIndicators(ctx, actor, granular);
    for (const v of batch) {
      // Those with granular markings carry the creator the reader sees (none when it is hidden).
      const kept = v.indicators.flatMap((h) => {
        if (!index.isGranular(index.slotOf(h.id) ?? -1)) return [h];
        const seen = shown.get(h.id);
        return seen ? [{ id: h.id, created_by_ref: seen.created_by_ref ?? null }] : [];
      });
      const originators = new Set(kept.map((h) => h.created_by_ref)).size;
      if (originators >= Math.max(2, options.minOriginators) && out.length < options.limit) out.push({ ...v, indicators: kept, originators });
    }
  }
  out.sort((a, b) => b.originators - a.originators || b.indicators.length - a.indicators.length || a.value.localeCompare(b.value));
  return { values: out };
}
