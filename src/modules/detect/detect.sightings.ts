/**
 * Sightings reported back to the alliance: what one bulk match found, per indicator, as STIX 2.1
 * Sightings (section 5.2) under the member's identity, with the matched values as Observed Data,
 * stored as intel like any other (and so shared by the same rules).
 */
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { granularMarkingRefs, TLP2_MARKING_IDS, TLP_LEVELS, tlpOfMarkingId, type Tlp } from '../../policy/markings.js';
import type { Principal } from '../../policy/principal.js';
import { computeScoId } from '../../stix/sco-id.js';
import { OBJECT_MARKING_REFS_MAX } from '../../stix/validate/common.js';
import type { StixObject } from '../../stix/types.js';
import * as intel from '../intel/intel.service.js';
import type { EventMatch } from './detect.matcher.js';
import { scoOfValue } from './detect.observation.js';
import type { ObservableKind } from '../../stix/observable.js';
import { DEFAULT_SIGHTING_MARKING } from './sighting-markings.js';

export { DEFAULT_SIGHTING_MARKING, parseSightingMarkings } from './sighting-markings.js';

/** Distinct matched values kept as observed data per indicator. */
const VALUES_PER_SIGHTING = 100;

interface Seen {
  count: number;
  first: number;
  last: number;
  values: Map<string, ObservableKind>;
  /** SCOs named by pattern matches, by deterministic id. */
  scos: Map<string, Record<string, unknown>>;
}

export interface SightingReport {
  /** Sightings stored (one per indicator matched). */
  sightings: number;
  observed_data: number;
  /** Objects the store refused, with why (should be none). */
  rejected: number;
  /** Why objects were refused, or left out before (marked past what an object may carry): at most 10. */
  errors?: string[];
  /** Ids of the sightings stored (at most 1,000). */
  ids: string[];
}

/** Whether the actor may report sightings, and under which identity; throws a clear error otherwise. */
export function sightingIdentity(ctx: AppContext, actor: Principal): string {
  if (!ctx.permissions.has(actor, 'intel:write')) throw shieldwallError('FORBIDDEN', 'reporting sightings stores intel: your role does not allow writing intel (intel:write)');
  const identity = actor.member?.identityId;
  if (!identity) {
    throw shieldwallError(
      'BAD_REQUEST',
      `sightings are reported under your organisation's STIX identity, and ${actor.member ? `member ${actor.member.code} has none` : 'you act for no member'}: an administrator sets it (shieldwall members add --code ... --identity identity--...)`,
    );
  }
  return identity;
}

/**
 * The marking ids that hold all of these sets at once: every handling and other marking of each,
 * and of their TLP markings the strictest alone (the store reads several markings as the most
 * restrictive of them: the highest classification, the common releasability).
 */
export function strictestMarkings(sets: ReadonlyArray<readonly string[]>): string[] {
  let tlp = -1;
  const others = new Set<string>();
  for (const set of sets) {
    for (const ref of set) {
      const level = tlpOfMarkingId(ref);
      if (level === undefined) others.add(ref);
      else tlp = Math.max(tlp, TLP_LEVELS.indexOf(level));
    }
  }
  return [...(tlp >= 0 ? [TLP2_MARKING_IDS[TLP_LEVELS[tlp] as Tlp]] : []), ...others];
}

/** Every marking an object carries: its object markings and those of its granular markings. */
function markingsOf(object: StixObject): string[] {
  const refs: string[] = [];
  if (Array.isArray(object.object_marking_refs)) for (const ref of object.object_marking_refs) if (typeof ref === 'string') refs.push(ref);
  return [...refs, ...granularMarkingRefs(object)];
}

/**
 * Gathers the matches of one run, then stores them as sightings. What it stores of an indicator
 * (the sighting, its observed data, the values seen, which are the indicator's pattern's) is
 * marked at least as the indicator is, whatever markings the reporter chose: a match never tells
 * those who may not read an indicator of it (docs/DETECT.md).
 */
export class SightingCollector {
  readonly #seen = new Map<string, Seen>();
  readonly #identity: string;
  #left: string[] = [];

  constructor(
    private readonly ctx: AppContext,
    private readonly actor: Principal,
    private readonly markings: readonly string[] = [TLP2_MARKING_IDS[DEFAULT_SIGHTING_MARKING]],
  ) {
    this.#identity = sightingIdentity(ctx, actor);
  }

  add(matches: readonly EventMatch[], now: number): void {
    for (const m of matches) {
      const at = m.time !== undefined ? Date.parse(m.time) : now;
      // A pattern match binds several events: it was seen from the first of them on.
      const from = m.first_time !== undefined ? Math.min(Date.parse(m.first_time), at) : at;
      let seen = this.#seen.get(m.indicator);
      if (!seen) this.#seen.set(m.indicator, (seen = { count: 0, first: from, last: at, values: new Map(), scos: new Map() }));
      seen.count++;
      if (from < seen.first) seen.first = from;
      if (at > seen.last) seen.last = at;
      if (m.value !== undefined && m.kind !== undefined && seen.values.size + seen.scos.size < VALUES_PER_SIGHTING) seen.values.set(m.value, m.kind);
      for (const sco of m.observed ?? []) {
        if (seen.values.size + seen.scos.size >= VALUES_PER_SIGHTING) break;
        const id = computeScoId(sco);
        if (id) seen.scos.set(id, sco);
      }
    }
  }

  get indicators(): number {
    return this.#seen.size;
  }

  /**
   * The STIX objects that report what was gathered: SCOs, observed data, sightings. Each
   * indicator's are marked with the reporter's markings and the indicator's own (`indicators`,
   * as the reporter reads them); an indicator not among them is not reported. An SCO seen for
   * several indicators is one object, marked as all of them are.
   */
  objects(now: Date, indicators: ReadonlyMap<string, StixObject>): Array<Record<string, unknown>> {
    this.#left = [];
    const stamp = now.toISOString();
    // Each indicator's markings; one whose markings with the reporter's are more than an object
    // may carry (marking-bound) is not reported, and the report says so.
    const reported: Array<[string, Seen, string[]]> = [];
    for (const [indicator, seen] of this.#seen) {
      const object = indicators.get(indicator);
      if (!object) continue;
      const markings = strictestMarkings([this.markings, markingsOf(object)]);
      if (markings.length > OBJECT_MARKING_REFS_MAX) {
        this.#left.push(`${indicator}: not reported: its markings and yours are ${markings.length}, more than the ${OBJECT_MARKING_REFS_MAX} an object may carry`);
        continue;
      }
      reported.push([indicator, seen, markings]);
    }
    // The SCOs, each with the markings of every indicator it was seen for: one marked past the
    // bound is left out, and the observed data name it not.
    const scos = new Map<string, { sco: Record<string, unknown>; markings: Array<readonly string[]> }>();
    const refsOf = new Map<string, string[]>();
    for (const [indicator, seen, markings] of reported) {
      const refs: string[] = [];
      const add = (id: string, sco: Record<string, unknown>): void => {
        const known = scos.get(id);
        if (known) known.markings.push(markings);
        else scos.set(id, { sco: { ...sco, id, spec_version: '2.1' }, markings: [markings] });
        refs.push(id);
      };
      for (const [value, kind] of seen.values) {
        const sco = scoOfValue(kind, value);
        const id = sco && computeScoId(sco);
        if (id) add(id, sco);
      }
      for (const [id, sco] of seen.scos) add(id, sco);
      refsOf.set(indicator, refs);
    }
    const observables: Array<Record<string, unknown>> = [];
    for (const [id, { sco, markings }] of scos) {
      const combined = strictestMarkings(markings);
      if (combined.length > OBJECT_MARKING_REFS_MAX) {
        this.#left.push(`${id}: not reported: seen for indicators whose markings together are ${combined.length}, more than the ${OBJECT_MARKING_REFS_MAX} an object may carry`);
        scos.delete(id);
        continue;
      }
      observables.push({ ...sco, object_marking_refs: combined });
    }
    const out: Array<Record<string, unknown>> = [];
    for (const [indicator, seen, markings] of reported) {
      const common = { spec_version: '2.1', object_marking_refs: markings };
      const refs = [...new Set(refsOf.get(indicator) ?? [])].filter((id) => scos.has(id));
      const first = new Date(seen.first).toISOString();
      const last = new Date(seen.last).toISOString();
      let observed: string | undefined;
      if (refs.length > 0) {
        observed = `observed-data--${randomUUID()}`;
        out.push({ type: 'observed-data', id: observed, created: stamp, modified: stamp, created_by_ref: this.#identity, first_observed: first, last_observed: last, number_observed: Math.min(seen.count, 999_999_999), object_refs: refs, ...common });
      }
      out.push({
        type: 'sighting',
        id: `sighting--${randomUUID()}`,
        created: stamp,
        modified: stamp,
        created_by_ref: this.#identity,
        sighting_of_ref: indicator,
        count: Math.min(seen.count, 999_999_999),
        first_seen: first,
        last_seen: last,
        where_sighted_refs: [this.#identity],
        ...(observed ? { observed_data_refs: [observed] } : {}),
        // Marks a sighting as a match that this node's detection reported (the live feed sends it as `match`).
        x_shieldwall_detection: true,
        ...common,
      });
    }
    return [...observables, ...out];
  }

  /** What the last objects() left out of the report, and why. */
  get left(): readonly string[] {
    return this.#left;
  }

  /** Stores the sightings as the actor (through the ingest pipeline: validated, marked, audited, shared). */
  async report(): Promise<SightingReport> {
    // The indicators as the reporter reads them now: their markings, and none it no longer reads.
    const indicators = await intel.objectsByIds(this.ctx, this.actor, [...this.#seen.keys()]);
    const objects = this.objects(this.ctx.clock.now(), indicators);
    const errors: string[] = this.#left.slice(0, 10);
    const ids: string[] = [];
    let sightings = 0;
    let observed = 0;
    let rejected = 0;
    if (objects.length > 0) {
      await intel.ingestObjects(this.ctx, this.actor, objects, {
        onOutcome: (o) => {
          if (o.status === 'rejected') {
            rejected++;
            if (errors.length < 10) errors.push(`${o.id ?? `object ${o.index}`}: ${(o.errors ?? []).map((e) => e.message).join('; ')}`);
          } else if (o.type === 'sighting') {
            sightings++;
            if (ids.length < 1000 && o.id) ids.push(o.id);
          } else if (o.type === 'observed-data') observed++;
        },
      });
    }
    return { sightings, observed_data: observed, rejected, ...(errors.length > 0 ? { errors } : {}), ids };
  }
}
