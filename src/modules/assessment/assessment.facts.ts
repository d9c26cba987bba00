/**
 * The assessment's view of the store, kept by following it by sequence: every version of a
 * sighting, relationship or incident stored after the watermark is applied in order, in one write
 * transaction per batch with the new watermark (so that a batch is applied once, by whichever
 * process runs the follower's job). Each applied version first takes back what the previous
 * version of its id added (kept in assessment_sightings, _links, _incidents), then adds its own:
 *
 * - an incident (STIX 2.1 section 4.6, with the incidents extension) whose suspected actor names
 *   a threat-actor, intrusion-set or campaign: its severity score (or FORMULA.unscoredIncident)
 *   times the actor's confidence, on the day it started (or was detected, or created);
 * - a sighting (section 5.2) of an actor, or of an object attributed to an actor: its count
 *   times its confidence and the attribution's, on its first_seen day, for the member where it
 *   was sighted;
 * - a relationship (section 5.1) from an object to an actor of the ATTRIBUTING_RELATIONSHIPS
 *   types: one piece of attributed intel, and it ties the sightings of its source to the actor.
 *
 * A revoked version adds nothing. Buckets are kept per access set of the evidence and of the
 * attribution, so that a reader sums only what the policy lets it read.
 */
import type { AppContext } from '../../core/context.js';
import { writeTransaction, type WriteTx } from '../../db/database.js';
import * as directory from '../directory/directory.service.js';
import * as incidents from '../incidents/incidents.service.js';
import * as intel from '../intel/intel.service.js';
import { ATTRIBUTING_RELATIONSHIPS, dayOf, FORMULA, isActorRef, type FactKind } from './assessment.model.js';
import * as repo from './assessment.repo.js';

export const FOLLOWED_TYPES = ['incident', 'sighting', 'relationship'] as const;
export const BATCH = 1000;

const CRITICAL = new Set(incidents.SECTORS.filter((sector) => sector.critical).map((sector) => sector.key));

/** Who may read a piece of evidence: its access set, and the member of this node that originated it ('' when none). */
interface Access {
  key: number;
  origin: string;
}
/** Evidence tied to the actor by no attribution (the actor's own sightings, its incidents). */
const DIRECT: Access = Object.freeze({ key: 0, origin: '' });

/** Deltas to the buckets gathered over a batch, applied at its end. */
class Deltas {
  readonly #map = new Map<string, repo.BucketDelta>();

  add(actor: string, kind: FactKind, day: string, member: string, sectors: string, evidence: Access, link: Access, count: number, weight: number): void {
    const key = `${actor}|${kind}|${day}|${member}|${sectors}|${evidence.key}|${evidence.origin}|${link.key}|${link.origin}`;
    const held = this.#map.get(key);
    if (held) {
      held.count += count;
      held.weight += weight;
    } else {
      this.#map.set(key, { key, actor_ref: actor, kind, day, member, sectors, access_key: evidence.key, origin: evidence.origin, link_key: link.key, link_origin: link.origin, count, weight });
    }
  }

  values(): Iterable<repo.BucketDelta> {
    return this.#map.values();
  }
}

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(body) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}/;
function dayFrom(...candidates: unknown[]): string {
  for (const candidate of candidates) if (typeof candidate === 'string' && DAY.test(candidate) && !Number.isNaN(Date.parse(candidate))) return candidate.slice(0, 10);
  return '1970-01-01';
}

const confidenceOf = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100 ? value : fallback);

interface Batch {
  tx: WriteTx;
  deltas: Deltas;
  identities: Map<string, string>;
}

/** The member (code) where evidence was seen: where_sighted, the creator's member, or the creator's identity. */
function memberOf(batch: Batch, version: intel.SequencedVersion, whereSighted: unknown): string {
  if (Array.isArray(whereSighted)) {
    for (const ref of whereSighted) if (typeof ref === 'string' && batch.identities.has(ref)) return batch.identities.get(ref)!;
  }
  if (version.origin_member) return version.origin_member;
  if (version.created_by_ref) return batch.identities.get(version.created_by_ref) ?? version.created_by_ref;
  return '(unattributed)';
}

// --- sightings -------------------------------------------------------------------------------------

async function sightingTargets(batch: Batch, about: string): Promise<Array<{ actor: string; confidence: number; link: Access }>> {
  const targets = isActorRef(about) ? [{ actor: about, confidence: 100, link: DIRECT }] : [];
  for (const link of await repo.linksFrom(batch.tx.db, [about])) targets.push({ actor: link.actor_ref, confidence: link.confidence, link: { key: link.access_key, origin: link.origin } });
  return targets;
}

async function applySighting(batch: Batch, version: intel.SequencedVersion, body: Record<string, unknown> | undefined): Promise<void> {
  const previous = await repo.findSighting(batch.tx.db, version.id);
  if (previous) {
    for (const target of await sightingTargets(batch, previous.about_ref)) {
      batch.deltas.add(target.actor, 'sighting', previous.day, previous.member, ',', { key: previous.access_key, origin: previous.origin }, target.link, -previous.count, (-previous.weight * target.confidence) / 100);
    }
  }
  const about = version.about_ref;
  if (version.revoked === 1 || !body || about === null || version.access_key === null) {
    if (previous) await repo.deleteSighting(batch.tx, version.id);
    return;
  }
  const count = typeof body.count === 'number' && Number.isInteger(body.count) && body.count >= 0 ? Math.min(body.count, 999_999_999) : 1;
  const row: repo.SightingRow = {
    id: version.id,
    about_ref: about,
    day: dayFrom(body.first_seen, body.last_seen, body.created),
    member: memberOf(batch, version, body.where_sighted_refs),
    count,
    weight: (count * confidenceOf(body.confidence, 100)) / 100,
    access_key: version.access_key,
    origin: version.origin_member ?? '',
  };
  await repo.putSighting(batch.tx, row);
  for (const target of await sightingTargets(batch, about)) {
    batch.deltas.add(target.actor, 'sighting', row.day, row.member, ',', { key: row.access_key, origin: row.origin }, target.link, row.count, (row.weight * target.confidence) / 100);
  }
}

// --- attribution relationships ---------------------------------------------------------------------

/** Adds (sign 1) or takes back (sign -1) what a link contributes: one piece of intel, and its source's sightings. */
async function applyLink(batch: Batch, link: repo.LinkRow, sign: 1 | -1): Promise<void> {
  const access: Access = { key: link.access_key, origin: link.origin };
  if (!isActorRef(link.source_ref)) {
    batch.deltas.add(link.actor_ref, 'intel', link.day, '(intel)', ',', access, DIRECT, sign, (sign * link.confidence) / 100);
  }
  for (const group of await repo.sightingsAbout(batch.tx.db, link.source_ref)) {
    batch.deltas.add(link.actor_ref, 'sighting', group.day, group.member, ',', { key: group.access_key, origin: group.origin }, access, sign * group.count, (sign * group.weight * link.confidence) / 100);
  }
}

async function applyRelationship(batch: Batch, version: intel.SequencedVersion, body: Record<string, unknown> | undefined): Promise<void> {
  const previous = await repo.findLink(batch.tx.db, version.id);
  if (previous) {
    await applyLink(batch, previous, -1);
    await repo.deleteLink(batch.tx, version.id);
  }
  const type = body?.relationship_type;
  const source = version.about_ref;
  const target = version.target_ref;
  if (version.revoked === 1 || !body || version.access_key === null || source === null || target === null) return;
  if (!(ATTRIBUTING_RELATIONSHIPS as readonly string[]).includes(String(type)) || !isActorRef(target) || source === target) return;
  const link: repo.LinkRow = {
    id: version.id,
    source_ref: source,
    actor_ref: target,
    confidence: confidenceOf(body.confidence, 50),
    day: dayFrom(body.start_time, body.created),
    access_key: version.access_key,
    origin: version.origin_member ?? '',
  };
  await repo.putLink(batch.tx, link);
  await applyLink(batch, link, 1);
}

// --- incidents -----------------------------------------------------------------------------------

function incidentBuckets(batch: Batch, row: repo.IncidentRow, sign: 1 | -1): void {
  batch.deltas.add(row.actor_ref, 'incident', row.day, row.member, row.sectors, { key: row.access_key, origin: row.origin }, DIRECT, sign, sign * row.weight);
}

async function applyIncident(batch: Batch, version: intel.SequencedVersion, body: Record<string, unknown> | undefined): Promise<void> {
  const previous = await repo.findIncident(batch.tx.db, version.id);
  if (previous) {
    incidentBuckets(batch, previous, -1);
    await repo.deleteIncident(batch.tx, version.id);
  }
  if (version.revoked === 1 || !body || version.access_key === null) return;
  const extensions = body.extensions as Record<string, unknown> | undefined;
  const extension = extensions?.[incidents.INCIDENT_EXTENSION_ID] as Partial<incidents.IncidentExtension> | undefined;
  const actor = extension?.actor;
  if (!extension || !actor || typeof actor.ref !== 'string' || !isActorRef(actor.ref)) return;
  const confidence = confidenceOf(actor.confidence, 50);
  const score = typeof extension.severity?.score === 'number' ? extension.severity.score : null;
  const sectors = Array.isArray(extension.sectors) ? extension.sectors.filter((s): s is string => typeof s === 'string' && CRITICAL.has(s)).sort() : [];
  const row: repo.IncidentRow = {
    id: version.id,
    actor_ref: actor.ref,
    title: typeof body.name === 'string' ? body.name.slice(0, 300) : version.id,
    confidence,
    score,
    level: typeof extension.severity?.level === 'number' ? extension.severity.level : null,
    weight: ((score ?? FORMULA.unscoredIncident) * confidence) / 100,
    day: dayFrom(extension.started_at, extension.detected_at, body.created),
    member: typeof extension.reporting_member === 'string' && extension.reporting_member !== '' ? extension.reporting_member : memberOf(batch, version, undefined),
    sectors: `,${sectors.join(',')}${sectors.length > 0 ? ',' : ''}`,
    access_key: version.access_key,
    origin: version.origin_member ?? '',
  };
  await repo.putIncident(batch.tx, row);
  incidentBuckets(batch, row, 1);
}

/**
 * Applies the next batch of versions after the watermark; answers how many it applied (0: the
 * view is up to date). The versions are read before the write transaction; the watermark is
 * checked again inside it, so that of two processes that read the same batch one applies it.
 */
export async function followOnce(ctx: AppContext, limit = BATCH): Promise<number> {
  const from = await repo.watermark(ctx.store.db);
  const versions = await intel.versionsSince(ctx, FOLLOWED_TYPES, from, limit);
  if (versions.length === 0) return 0;
  const identities = await directory.memberIdentities(ctx);
  return writeTransaction(ctx.store, async (tx) => {
    if ((await repo.watermark(tx.db)) !== from) return 0;
    const batch: Batch = { tx, deltas: new Deltas(), identities };
    for (const version of versions) {
      const body = parse(version.body);
      if (version.type === 'sighting') await applySighting(batch, version, body);
      else if (version.type === 'relationship') await applyRelationship(batch, version, body);
      else await applyIncident(batch, version, body);
    }
    await repo.addToBuckets(tx, batch.deltas.values());
    await repo.setWatermark(tx, versions[versions.length - 1]!.seq);
    return versions.length;
  });
}

/** Applies batches until the view is up to date; answers how many versions it applied. */
export async function catchUp(ctx: AppContext, onBatch?: (applied: number) => void): Promise<number> {
  let total = 0;
  for (;;) {
    const applied = await followOnce(ctx);
    if (applied === 0) return total;
    total += applied;
    onBatch?.(total);
  }
}

export { dayOf };
