/**
 * What the alliance knows around an indicator, as one reader may know it: the malware, intrusion
 * sets, campaigns and the like it is related to (through relationships, one hop, then
 * attribution), and who has sighted it. Everything is read through the intel read path, so the
 * policy decides on each relationship, sighting and related object.
 */
import type { AppContext } from '../../core/context.js';
import type { Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import * as intel from '../intel/intel.service.js';

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
const typeOfId = (id: string): string => id.slice(0, id.indexOf('--'));

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
    const where = Array.isArray(sighting['where_sighted_refs']) ? (sighting['where_sighted_refs'] as unknown[]).filter((r): r is string => typeof r === 'string') : [];
    if (where.length > 0) for (const ref of where) who.add(ref);
    else if (sighting.created_by_ref) who.add(sighting.created_by_ref);
    entry.sightings++;
    entry.count += typeof sighting['count'] === 'number' ? sighting['count'] : 1;
    const first = str(sighting['first_seen']) ?? str(sighting.created);
    const last = str(sighting['last_seen']) ?? first;
    if (first && (!entry.first_seen || first < entry.first_seen)) entry.first_seen = first;
    if (last && (!entry.last_seen || last > entry.last_seen)) entry.last_seen = last;
  }
  for (const [id, entry] of out) {
    const who = [...(sighters.get(id) ?? [])].sort();
    entry.members = who.length;
    entry.sighted_by = who.slice(0, 50);
  }
  return out;
}

/** Context of each indicator (related objects and sightings) as the reader may know it. */
export async function contextOf(ctx: AppContext, actor: Principal, indicatorIds: string[]): Promise<Map<string, IndicatorContext>> {
  const out = new Map<string, IndicatorContext>();
  if (indicatorIds.length === 0) return out;
  const first = (await intel.objectsAbout(ctx, actor, 'relationship', indicatorIds)).objects.filter((r) => CONTEXT_TYPES.has(typeOfId(str(r['target_ref']) ?? '')));
  const hopIds = [...new Set(first.map((r) => r['target_ref'] as string))];
  const second = hopIds.length === 0 ? [] : (await intel.objectsAbout(ctx, actor, 'relationship', hopIds)).objects.filter((r) => SECOND_HOP.has(str(r['relationship_type']) ?? '') && CONTEXT_TYPES.has(typeOfId(str(r['target_ref']) ?? '')));
  // The related objects themselves, as the reader may see them: one the reader may not read is left out.
  const targets = [...new Set([...hopIds, ...second.map((r) => r['target_ref'] as string)])];
  const known = new Map<string, StixObject>();
  for (let i = 0; i < targets.length; i += 500) {
    const ids = targets.slice(i, i + 500);
    const page = await intel.listObjects(ctx, actor, { ids, limit: ids.length });
    for (const object of page.objects) known.set(object.id, object);
  }
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
  for (const [id, sighted] of await sightingsOf(ctx, actor, indicatorIds)) {
    let entry = out.get(id);
    if (!entry) out.set(id, (entry = { related: [] }));
    entry.sighted = sighted;
  }
  return out;
}
