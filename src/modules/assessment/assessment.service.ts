/**
 * Cumulative assessment use cases: the score of an actor (threat actor, intrusion set or
 * campaign) over a window, as one reader may see it, with its working (the parts of the
 * formula, the incidents that weigh most, the members and sectors hit, the trend, the score over
 * time), the escalation its thresholds raise, and the assessors' Schmitt-factor inputs. The system
 * recommends and shows its working; it never decides. The evidence is the view the follower keeps
 * (assessment.facts.ts), summed over the buckets whose access sets (of the evidence and of its
 * attribution) the policy lets the reader read: two readers may see different totals, and the
 * answer says what it is based on. docs/ASSESSMENT.md.
 */
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { JobScheduler } from '../../core/jobs.js';
import { writeTransaction } from '../../db/database.js';
import { classificationLevel, DEFAULT_CLASSIFICATIONS, type Tlp } from '../../policy/markings.js';
import type { Principal } from '../../policy/principal.js';
import { mayRead } from '../../policy/rule.js';
import { canCreateRecord, canReadRecord, recordAccessOfColumns, recordColumns, recordReadScope, type RecordAccess } from '../../policy/record.js';
import * as audit from '../audit/audit.service.js';
import * as intel from '../intel/intel.service.js';
import {
  ACTOR_TYPES, decay, dayOf, escalationOf, ESCALATION_TEXT, FORMULA, isActorRef, RATINGS, SCHMITT_FACTOR_KEYS, SCHMITT_FACTORS, scoreOf, trendOf, WINDOW_MAX_DAYS, WINDOWS,
  type ActorSummary, type Assessment, type Contribution, type Fact, type FactKind, type SchmittInput,
} from './assessment.model.js';
import * as facts from './assessment.facts.js';
import * as repo from './assessment.repo.js';

export const FOLLOW_KIND = 'assessment.follow';
export const FOLLOW_KEY = 'assessment.follow';
/** How often the follower looks for new evidence when nothing in this process stored any. */
export const FOLLOW_INTERVAL_MS = 5_000;
export const ASSESSMENT_LIMITS = Object.freeze({ inputs: 200, inputsPerActor: 10_000, rationale: 5000, contributions: 20, includes: 50, series: 24, actors: 100, listBuckets: 200_000 });
const DAY_MS = 86_400_000;

const schedulers = new WeakMap<AppContext, JobScheduler>();

export function useScheduler(ctx: AppContext, jobs: JobScheduler): void {
  schedulers.set(ctx, jobs);
}

/** Enqueues the follower (one keyed recurring job for every process on the store). */
export async function startFollower(ctx: AppContext): Promise<void> {
  const jobs = schedulers.get(ctx);
  if (!jobs) return;
  await jobs.enqueue(FOLLOW_KIND, {}, { key: FOLLOW_KEY, maxAttempts: null, renewFinished: true });
}

/** New evidence was stored by this process: the follower runs now rather than at its next poll. */
export async function followSoon(ctx: AppContext): Promise<void> {
  await schedulers.get(ctx)?.runSoon([FOLLOW_KEY], { unlessRetrying: true });
}

/** The follower's run: catches up, then runs again after the interval. */
export async function follow(ctx: AppContext): Promise<{ next: Date }> {
  await facts.catchUp(ctx);
  return { next: new Date(ctx.clock.now().getTime() + FOLLOW_INTERVAL_MS) };
}

export function windowDays(days: number | undefined): number {
  const value = days ?? 90;
  if (!Number.isInteger(value) || value < 1 || value > WINDOW_MAX_DAYS) {
    throw shieldwallError('BAD_REQUEST', `days is a whole number from 1 to ${WINDOW_MAX_DAYS} (the usual windows: ${WINDOWS.join(', ')})`, [{ path: 'querystring.days', message: 'out of range' }]);
  }
  return value;
}

function checkActorRef(ref: string): void {
  if (typeof ref !== 'string' || ref.length > 100 || !isActorRef(ref)) {
    throw shieldwallError('BAD_REQUEST', `'${String(ref).slice(0, 80)}' is not the id of a ${ACTOR_TYPES.join(', ')}`, [{ path: 'params.ref', message: 'not an actor id' }]);
  }
}

function factOf(bucket: repo.BucketRow, factor: number): Fact {
  return {
    kind: bucket.kind as FactKind,
    day: bucket.day,
    member: bucket.member,
    sectors: bucket.sectors.split(',').filter((s) => s !== ''),
    count: bucket.count,
    weight: bucket.weight * factor,
  };
}

/**
 * Does the reader read evidence of this access set, originated by this member of the node ('' none)?
 * The policy's rule (mayRead) decides each pair once per answer; key 0 is no attribution at all.
 */
export type EvidenceReader = (key: number, origin: string) => boolean;

async function evidenceReader(ctx: AppContext, reader: Principal): Promise<{ reads: EvidenceReader; keys: number[] }> {
  const sets = new Map((await intel.accessSets(ctx)).map((set) => [set.key, set.access]));
  const decided = new Map<string, boolean>();
  const reads: EvidenceReader = (key, origin) => {
    if (key === 0) return true;
    const pair = `${key}|${origin}`;
    let answer = decided.get(pair);
    if (answer === undefined) {
      const access = sets.get(key);
      // A set made after the sets were read (another process): unknown, so unread.
      answer = access !== undefined && mayRead(reader, access, null, origin === '' ? null : origin, []);
      decided.set(pair, answer);
    }
    return answer;
  };
  return { reads, keys: [...sets.keys()].filter((key) => reads(key, '')) };
}

const bucketRead = (reads: EvidenceReader, bucket: repo.BucketRow) => reads(bucket.access_key, bucket.origin) && reads(bucket.link_key, bucket.link_origin);

/**
 * The actors whose evidence counts toward this one: those attributed to it (an intrusion set's
 * campaigns, a threat actor's intrusion sets and their campaigns), through attributions the
 * reader may read, two steps deep, each with the product of the confidences.
 */
async function includedActors(ctx: AppContext, ref: string, reads: EvidenceReader): Promise<Map<string, number>> {
  const included = new Map<string, number>([[ref, 1]]);
  let frontier = [ref];
  for (let depth = 0; depth < 2 && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const target of frontier) {
      for (const link of await repo.linksTo(ctx.store.db, target, 10_000)) {
        if (!isActorRef(link.source_ref) || !reads(link.access_key, link.origin) || included.has(link.source_ref)) continue;
        if (included.size > ASSESSMENT_LIMITS.includes) break;
        included.set(link.source_ref, (included.get(target)! * link.confidence) / 100);
        next.push(link.source_ref);
      }
    }
    frontier = next;
  }
  return included;
}

export interface AssessmentQuery {
  days?: number;
  /** The end of the window (default now, on the node's clock). */
  at?: Date;
}

/** One actor's cumulative assessment as this reader may see it. */
export async function assess(ctx: AppContext, reader: Principal, ref: string, query: AssessmentQuery = {}): Promise<Assessment> {
  checkActorRef(ref);
  const days = windowDays(query.days);
  const end = query.at ?? ctx.clock.now();
  const { reads, keys } = await evidenceReader(ctx, reader);
  const included = await includedActors(ctx, ref, reads);
  // The series reaches back one window before the first point.
  const seriesStart = new Date(end.getTime() - 2 * days * DAY_MS);
  const buckets = await repo.bucketsOf(ctx.store.db, [...included.keys()], dayOf(seriesStart));
  const all: Fact[] = [];
  let readableBuckets = 0;
  let withheld = 0;
  const from = dayOf(new Date(end.getTime() - days * DAY_MS));
  for (const bucket of buckets) {
    if (!bucketRead(reads, bucket)) {
      if (bucket.day > from) withheld++;
      continue;
    }
    if (bucket.day > from) readableBuckets++;
    all.push(factOf(bucket, included.get(bucket.actor_ref) ?? 1));
  }
  const objects = await intel.objectsByIds(ctx, reader, [...included.keys()]);
  const self = objects.get(ref);
  if (!self && readableBuckets === 0) throw shieldwallError('NOT_FOUND', `no actor ${ref} (or you may not read it, nor any evidence about it)`);
  const thresholds = ctx.config.assessmentThresholds;
  const parts = scoreOf(all, end, days);
  const escalation = escalationOf(parts.score, thresholds);

  // The score over time: points across the window, each scored over the window that ends there.
  const series: Array<{ day: string; score: number }> = [];
  const steps = Math.min(ASSESSMENT_LIMITS.series, days);
  for (let i = steps; i >= 0; i--) {
    const at = new Date(end.getTime() - (i * days * DAY_MS) / steps);
    series.push({ day: dayOf(at), score: scoreOf(all, at, days).score });
  }
  const crossedAt = (threshold: number) => series.find((point) => point.score >= threshold)?.day ?? null;

  const contributions: Contribution[] = [];
  const heaviest = await repo.heaviestIncidents(ctx.store.db, [...included.keys()], from, keys, reader.member?.code ?? null, ASSESSMENT_LIMITS.contributions * 5);
  for (const row of heaviest) {
    if (!reads(row.access_key, row.origin)) continue;
    const age = Math.max(0, Math.floor((end.getTime() - Date.parse(`${row.day}T00:00:00.000Z`)) / DAY_MS));
    if (row.day > dayOf(end)) continue;
    contributions.push({
      incident_id: row.id,
      title: row.title,
      member: row.member,
      day: row.day,
      severity_score: row.score,
      level: row.level,
      confidence: row.confidence,
      points: Math.round(row.weight * (included.get(row.actor_ref) ?? 1) * decay(age) * parts.breadth * 10) / 10,
      via: row.actor_ref,
    });
  }
  contributions.sort((a, b) => b.points - a.points || a.incident_id.localeCompare(b.incident_id));
  contributions.splice(ASSESSMENT_LIMITS.contributions);

  const byMember = new Map<string, { incidents: number; sightings: number }>();
  for (const fact of all) {
    if (fact.kind === 'intel' || fact.day <= from || fact.day > dayOf(end)) continue;
    const entry = byMember.get(fact.member) ?? { incidents: 0, sightings: 0 };
    if (fact.kind === 'incident') entry.incidents += fact.count;
    else entry.sightings += fact.count;
    byMember.set(fact.member, entry);
  }

  const schmitt = await inputs(ctx, reader, ref);
  const name = self && typeof self.name === 'string' ? self.name : null;
  const includes = [...included.entries()]
    .filter(([other]) => other !== ref)
    .map(([other, factor]) => {
      const object = objects.get(other);
      return { ref: other, name: object && typeof object.name === 'string' ? object.name : null, confidence: Math.round(factor * 100) };
    });
  return {
    actor: { ref, type: ref.slice(0, ref.indexOf('--')), name },
    includes,
    window: { days, from: new Date(end.getTime() - days * DAY_MS).toISOString(), to: end.toISOString() },
    score: parts.score,
    parts,
    trend: trendOf(all, end, days),
    escalation,
    escalation_text: ESCALATION_TEXT[escalation],
    thresholds,
    crossed: { consultation: crossedAt(thresholds.consultation), council: crossedAt(thresholds.council) },
    series,
    contributions,
    by_member: [...byMember.entries()].map(([member, counts]) => ({ member, ...counts })).sort((a, b) => b.incidents - a.incidents || b.sightings - a.sightings || a.member.localeCompare(b.member)),
    schmitt,
    basis: {
      readable_buckets: readableBuckets,
      withheld_buckets: withheld,
      as_of: end.toISOString(),
      note:
        withheld > 0
          ? `based on the evidence you may read: ${withheld} of ${readableBuckets + withheld} daily buckets of evidence in the window are marked beyond your need-to-know, and readers who may read them see a different total`
          : 'based on all the evidence this node holds in the window',
    },
    recommendation:
      escalation === 'council'
        ? `The cumulative score ${parts.score} reaches the council threshold (${thresholds.council}): the system recommends bringing the activity to the council for its case-by-case consideration. The system does not decide.`
        : escalation === 'consultation'
          ? `The cumulative score ${parts.score} reaches the consultation threshold (${thresholds.consultation}): the system recommends that members consider requesting consultation. The system does not decide.`
          : `The cumulative score ${parts.score} is below the consultation threshold (${thresholds.consultation}). The system recommends continued monitoring.`,
  };
}

/** The actors with evidence in the window, as this reader may see them, highest score first. */
export async function listActors(ctx: AppContext, reader: Principal, query: { days?: number; limit?: number } = {}): Promise<{ actors: ActorSummary[]; thresholds: typeof ctx.config.assessmentThresholds; as_of: string; truncated: boolean }> {
  const days = windowDays(query.days);
  const end = ctx.clock.now();
  const { reads } = await evidenceReader(ctx, reader);
  const buckets = await repo.bucketsSince(ctx.store.db, dayOf(new Date(end.getTime() - days * DAY_MS)), ASSESSMENT_LIMITS.listBuckets + 1);
  const truncated = buckets.length > ASSESSMENT_LIMITS.listBuckets;
  const byActor = new Map<string, Fact[]>();
  for (const bucket of buckets.slice(0, ASSESSMENT_LIMITS.listBuckets)) {
    if (!bucketRead(reads, bucket)) continue;
    const list = byActor.get(bucket.actor_ref) ?? [];
    list.push(factOf(bucket, 1));
    byActor.set(bucket.actor_ref, list);
  }
  const names = await intel.objectsByIds(ctx, reader, [...byActor.keys()].slice(0, 500));
  const thresholds = ctx.config.assessmentThresholds;
  const actors: ActorSummary[] = [...byActor.entries()].map(([ref, list]) => {
    const parts = scoreOf(list, end, days);
    const object = names.get(ref);
    return {
      ref,
      type: ref.slice(0, ref.indexOf('--')),
      name: object && typeof object.name === 'string' ? object.name : null,
      score: parts.score,
      escalation: escalationOf(parts.score, thresholds),
      incidents: parts.counts.incidents,
      sightings: parts.counts.sightings,
      members: parts.members.length,
    };
  });
  actors.sort((a, b) => b.score - a.score || a.ref.localeCompare(b.ref));
  return { actors: actors.slice(0, Math.min(Math.max(query.limit ?? 50, 1), ASSESSMENT_LIMITS.actors)), thresholds, as_of: end.toISOString(), truncated };
}

// --- assessors' Schmitt-factor inputs ------------------------------------------------------------------

function inputOf(row: repo.InputRow): SchmittInput {
  const access = recordAccessOfColumns(row);
  return {
    id: row.id,
    factor: row.factor,
    rating: RATINGS[row.rating] ?? 'none',
    rationale: row.rationale,
    assessor: row.assessor,
    member: access.originMember,
    at: row.created,
    handling: { tlp: access.tlp, classification: DEFAULT_CLASSIFICATIONS[access.classification] ?? `LEVEL ${access.classification}`, releasability: [...access.releasability] },
  };
}

async function inputs(ctx: AppContext, reader: Principal, ref: string): Promise<SchmittInput[]> {
  const rows = await repo.inputsOf(ctx.store.db, recordReadScope(reader), ref, ASSESSMENT_LIMITS.inputs);
  return rows.filter((row) => canReadRecord(reader, recordAccessOfColumns(row))).map(inputOf);
}

export interface InputBody {
  factor: string;
  rating: (typeof RATINGS)[number];
  rationale: string;
  tlp?: Tlp | null;
  classification?: string;
  releasability?: string[];
}

/** An assessor rates one Schmitt factor for an actor, with its rationale: a marked record of its member. */
export async function addInput(ctx: AppContext, reader: Principal, ref: string, input: InputBody): Promise<SchmittInput> {
  if (!ctx.permissions.has(reader, 'assessment:assess')) throw shieldwallError('FORBIDDEN', 'rating a factor needs the permission assessment:assess, which your roles do not give');
  checkActorRef(ref);
  if (!SCHMITT_FACTOR_KEYS.includes(input.factor)) throw shieldwallError('BAD_REQUEST', `factor is one of ${SCHMITT_FACTOR_KEYS.join(', ')}`, [{ path: 'body.factor', message: 'unknown factor' }]);
  const rating = (RATINGS as readonly string[]).indexOf(input.rating);
  if (rating < 0) throw shieldwallError('BAD_REQUEST', `rating is one of ${RATINGS.join(', ')}`, [{ path: 'body.rating', message: 'unknown rating' }]);
  if (typeof input.rationale !== 'string' || input.rationale.trim() === '') throw shieldwallError('BAD_REQUEST', 'a rating needs its rationale', [{ path: 'body.rationale', message: 'empty' }]);
  if (input.rationale.length > ASSESSMENT_LIMITS.rationale) throw shieldwallError('BAD_REQUEST', `rationale holds ${input.rationale.length} characters: at most ${ASSESSMENT_LIMITS.rationale}`, [{ path: 'body.rationale', message: 'too long' }]);
  if ((input.releasability?.length ?? 0) > 100) throw shieldwallError('BAD_REQUEST', 'at most 100 releasability entries', [{ path: 'body.releasability', message: 'too many' }]);
  let classification = 0;
  if (input.classification !== undefined) {
    const level = classificationLevel(input.classification);
    if (level === undefined) throw shieldwallError('BAD_REQUEST', `classification '${input.classification}' is not one of ${DEFAULT_CLASSIFICATIONS.join(', ')}`, [{ path: 'body.classification', message: 'unknown classification' }]);
    classification = level;
  }
  const access: RecordAccess = {
    tlp: input.tlp === undefined ? 'amber' : input.tlp,
    classification,
    releasability: input.releasability ?? [...ctx.config.defaultReleasability],
    originMember: reader.member?.code ?? null,
    owner: reader.userName,
    recipients: [],
  };
  const denial = canCreateRecord(reader, access);
  if (denial) throw shieldwallError('FORBIDDEN', denial.message);
  const at = ctx.clock.now().toISOString();
  const row: repo.InputRow = {
    id: `assessment-input--${randomUUID()}`, actor_ref: ref, factor: input.factor, rating, rationale: input.rationale, assessor: reader.userName ?? reader.name, created: at, modified: at,
    ...recordColumns(access),
  };
  await writeTransaction(ctx.store, async (tx) => {
    if ((await repo.countInputs(tx.db, ref)) >= ASSESSMENT_LIMITS.inputsPerActor) throw shieldwallError('CONFLICT', `actor ${ref} holds ${ASSESSMENT_LIMITS.inputsPerActor} assessors' inputs already (the most kept)`);
    await repo.insertInput(tx, row);
    await audit.recordInTransaction(ctx, tx, reader, [{ action: 'assessment.input', subject: ref, detail: { input: row.id, factor: input.factor, rating: input.rating } }]);
  });
  return inputOf(row);
}

export function catalogue(ctx: AppContext): {
  actor_types: typeof ACTOR_TYPES;
  windows: typeof WINDOWS;
  factors: typeof SCHMITT_FACTORS;
  ratings: typeof RATINGS;
  formula: typeof FORMULA;
  thresholds: typeof ctx.config.assessmentThresholds;
} {
  return { actor_types: ACTOR_TYPES, windows: WINDOWS, factors: SCHMITT_FACTORS, ratings: RATINGS, formula: FORMULA, thresholds: ctx.config.assessmentThresholds };
}

export { catchUp } from './assessment.facts.js';
