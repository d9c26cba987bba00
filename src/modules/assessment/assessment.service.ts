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
import { nodeState } from '../../core/state.js';
import { nextTurn } from '../../core/turn.js';
import { writeTransaction } from '../../db/database.js';
import { classificationLevel, DEFAULT_CLASSIFICATIONS, type Tlp } from '../../policy/markings.js';
import type { Principal } from '../../policy/principal.js';
import { mayRead } from '../../policy/rule.js';
import { canCreateRecord, canDeleteRecord, canReadRecord, recordAccessOfColumns, recordColumns, recordReadScope, type RecordAccess } from '../../policy/record.js';
import * as audit from '../audit/audit.service.js';
import * as intel from '../intel/intel.service.js';
import {
  ACTOR_TYPES, combineParts, decay, dayOf, escalationOf, ESCALATION_TEXT, FORMULA, isActorRef, RATINGS, SCHMITT_FACTOR_KEYS, SCHMITT_FACTORS, WINDOW_MAX_DAYS, WINDOWS,
  type ActorSummary, type Assessment, type Contribution, type SchmittInput, type ScoreParts, type trendOf,
} from './assessment.model.js';
import * as facts from './assessment.facts.js';
import * as repo from './assessment.repo.js';

export const FOLLOW_KIND = 'assessment.follow';
export const FOLLOW_KEY = 'assessment.follow';
/** How often the follower looks for new evidence when nothing in this process stored any. */
export const FOLLOW_INTERVAL_MS = 5_000;
/**
 * While this node ingests a bulk stream (intel.bulkIngests), the follower waits, and catches up
 * once the stream ends: the store's writer serves the stream rather than take turns with a
 * follower woken by every batch. Evidence waits at most this long (counted from when the first
 * of it was stored during the stream), plus the catch-up itself.
 */
export const BULK_DEFER_MS = 60_000;
/** listWeeks: the week rows (one actor's buckets of one week) the list of actors reads at most. */
/**
 * `inputs`: shown with an assessment; `inputsPerFactor`: kept of one member's ratings of one factor of one actor (a
 * newer rating supersedes its oldest), so that an actor's inputs are bounded by members × factors × inputsPerFactor.
 */
export const ASSESSMENT_LIMITS = Object.freeze({ inputs: 200, inputsPerFactor: 5, rationale: 5000, contributions: 20, includes: 50, series: 24, actors: 100, listWeeks: 100_000 });
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

/**
 * New evidence was stored by this process: the follower runs now rather than at its next poll,
 * unless a bulk stream is being ingested (it is woken when the last ends: see BULK_DEFER_MS).
 */
export async function followSoon(ctx: AppContext): Promise<void> {
  if (intel.bulkIngests(ctx) > 0) {
    // The evidence stored now waits from now (see follow).
    ctx.state.get(DEFERRED).since ??= ctx.clock.now().getTime();
    return;
  }
  await schedulers.get(ctx)?.runSoon([FOLLOW_KEY], { unlessRetrying: true });
}

/**
 * Since when evidence has waited for bulk streams to end: the first stored (or found by a
 * periodic run) while one ran and the follower did not run. Undefined: none waits.
 */
const DEFERRED = nodeState('assessment.deferred', () => ({ since: undefined as number | undefined }));

/**
 * The follower's run: catches up, then runs again after the interval. While this node ingests a
 * bulk stream it waits instead, and runs again when the stream ends or when the evidence that
 * waits longest has waited BULK_DEFER_MS, whichever is first.
 */
export async function follow(ctx: AppContext): Promise<{ next: Date }> {
  const now = ctx.clock.now().getTime();
  const deferred = ctx.state.get(DEFERRED);
  if (intel.bulkIngests(ctx) > 0) {
    const since = (deferred.since ??= now);
    const due = since + BULK_DEFER_MS;
    if (now < due) return { next: new Date(Math.min(now + FOLLOW_INTERVAL_MS, due)) };
  }
  deferred.since = undefined;
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

// --- the evidence an answer reads, summed by day -----------------------------------------------------

const KIND = { incident: 0, sighting: 1, intel: 2 } as const;
const round1 = (value: number) => Math.round(value * 10) / 10;

/**
 * What the numbers of packed buckets name, for one answer: each class of buckets decided once, by
 * the policy's rule on its evidence's and its attribution's access terms; its member and sectors
 * numbered densely for the answer (a few dozen), so that an answer's tallies are small arrays.
 */
class TermReader {
  /**
   * By class number, what an answer needs of it in one number (one read per bucket): 0 not
   * decided yet, 1 not read, else 2 + 4 times the dense number of its member plus its kind's
   * number in FACT_KINDS.
   */
  readonly info: Int32Array;
  /** By class number (once decided read): the dense number of its sectors. */
  readonly sectorsOf: Int32Array;
  /** By access term: 0 not decided yet, 1 read, 2 not read. */
  readonly #access: Uint8Array;
  /** By term: its dense number plus one (0: none yet). */
  readonly #dense: Int32Array;
  /** By dense number: the term. */
  readonly #terms: number[] = [];
  readonly #sectors = new Map<number, readonly string[]>();

  constructor(
    readonly terms: facts.Terms,
    private readonly evidence: EvidenceReader,
  ) {
    this.info = new Int32Array(terms.last + 1);
    this.sectorsOf = new Int32Array(terms.last + 1);
    this.#access = new Uint8Array(terms.last + 1);
    this.#dense = new Int32Array(terms.last + 1);
  }

  /** Decides a class: its `info`. */
  decide(id: number): number {
    // A number the terms read for this answer do not hold: unknown, so unread.
    if (id >= this.info.length || !this.terms.isClass(id)) return 1;
    if (!this.#readsAccess(this.terms.evidence[id]!) || !this.#readsAccess(this.terms.link[id]!)) return (this.info[id] = 1);
    this.sectorsOf[id] = this.#denseOf(this.terms.sectors[id]!);
    return (this.info[id] = 2 + 4 * this.#denseOf(this.terms.member[id]!) + this.terms.kind[id]! - 1);
  }

  #readsAccess(id: number): boolean {
    if (id === 0) return true;
    let decided = this.#access[id]!;
    if (decided === 0) {
      const access = this.terms.access(id);
      decided = this.#access[id] = access !== undefined && this.evidence(access.key, access.origin) ? 1 : 2;
    }
    return decided === 1;
  }

  #denseOf(term: number): number {
    let dense = this.#dense[term]! - 1;
    if (dense < 0) {
      dense = this.#terms.length;
      this.#dense[term] = dense + 1;
      this.#terms.push(term);
    }
    return dense;
  }

  /** How many dense numbers the answer has given. */
  get denseCount(): number {
    return this.#terms.length;
  }

  /** The member a dense number names. */
  name(dense: number): string {
    const term = this.#terms[dense]!;
    return this.terms.value(term) ?? `(term ${term})`;
  }

  /** The critical sectors a dense number names. */
  sectors(dense: number): readonly string[] {
    let list = this.#sectors.get(dense);
    if (list === undefined) this.#sectors.set(dense, (list = (this.terms.value(this.#terms[dense]!) ?? '').split(',').filter((sector) => sector !== '')));
    return list;
  }
}

/** The first week row holding a day after `since`. */
const firstWeekAfter = (since: string) => facts.weekOf(facts.epochDay(since) + 1);

/** The terms an answer reads, with those numbered since this process last read them (by the follower of another process). */
async function termReader(ctx: AppContext, reads: EvidenceReader): Promise<TermReader> {
  const terms = facts.termsOf(ctx);
  // Called after the week rows are read: any term they name was numbered before that.
  if ((await repo.lastTermId(ctx.store.db)) > terms.last) await terms.refreshFrom(ctx.store);
  return new TermReader(terms, reads);
}

/**
 * The buckets a reader may read of some actors, over the days after `since` up to `last`, summed
 * per day, with the days on which each member and each set of critical sectors has evidence:
 * what the model's scoreOf and trendOf read from facts (their formula, here over daily sums),
 * gathered once from the packed week rows, so that each point of the series is a walk over days
 * rather than over buckets.
 */
class DailyEvidence {
  /** The days (numbers since 1970-01-01) of `since` and of the window's start `from`. */
  readonly #since: number;
  readonly #from: number;
  readonly slots: number;
  /** Weights and counts by kind and slot (slot 0: the day after `since`): kind * slots + slot. */
  readonly weight: Float64Array;
  readonly count: Float64Array;
  /** By dense member number (TermReader) and slot: 1 on the days with readable incidents or sightings. */
  #memberDays = new Uint8Array(0);
  /** By dense sectors number and slot: 1 on the days with readable incidents. */
  #sectorDays = new Uint8Array(0);
  /** By dense member number: incidents, then sightings, within the window (from, last]. */
  #byMember = new Float64Array(64);
  readonly #prefixes = new Map<Uint8Array, Int32Array>();
  /** Buckets of days after `from` (the window's start) the reader reads, and those it may not. */
  readable = 0;
  withheld = 0;

  constructor(
    since: string,
    last: string,
    from: string,
    private readonly reader: TermReader,
  ) {
    this.#since = facts.epochDay(since);
    this.#from = facts.epochDay(from);
    this.slots = Math.max(0, facts.epochDay(last) - this.#since);
    this.weight = new Float64Array(3 * this.slots);
    this.count = new Float64Array(3 * this.slots);
  }

  /** The slot of a day (slot 0: the day after `since`). */
  slotOf(day: string): number {
    return facts.epochDay(day) - this.#since - 1;
  }

  /** Adds one stored week row of an actor, its weights times `factor` (of the attribution that includes it). */
  add(week: string, entries: facts.WeekEntries, factor: number): void {
    const { n, weight, ids, count } = entries;
    const reader = this.reader;
    const { info, sectorsOf } = reader;
    const weights = this.weight;
    const counts = this.count;
    const slots = this.slots;
    // Room for every dense number the reader has given so far, and those it gives in this row.
    if (this.#memberDays.length < reader.denseCount * slots) this.#grow(reader.denseCount + 64);
    let memberDays = this.#memberDays;
    let sectorDays = this.#sectorDays;
    // The slot of the week's first day: an entry's slot is this plus its day within the week.
    const first = facts.epochDay(week) - this.#since - 1;
    const fromSlot = this.#from - this.#since - 1;
    let readable = 0;
    let withheld = 0;
    for (let i = 0; i < n; i++) {
      const word = ids[i]!;
      const slot = first + (word & 7);
      // Days up to `since` are not part of this answer.
      if (slot < 0) continue;
      const id = word >>> 3;
      const counted = slot > fromSlot;
      let known = info[id]!;
      if (known === 0) {
        known = reader.decide(id);
        if (reader.denseCount * slots > memberDays.length) {
          this.#grow(reader.denseCount + 64);
          memberDays = this.#memberDays;
          sectorDays = this.#sectorDays;
        }
      }
      if (known === 1) {
        if (counted) withheld++;
        continue;
      }
      if (counted) readable++;
      // After the last day: only counted in what the answer is based on.
      if (slot >= slots) continue;
      const kind = (known - 2) & 3;
      const pieces = count[i]!;
      weights[kind * slots + slot]! += weight[i]! * factor;
      counts[kind * slots + slot]! += pieces;
      if (kind === KIND.intel) continue;
      const member = (known - 2) >> 2;
      memberDays[member * slots + slot] = 1;
      if (kind === KIND.incident) sectorDays[sectorsOf[id]! * slots + slot] = 1;
      if (counted) {
        if (2 * member + 1 >= this.#byMember.length) this.#growByMember(member);
        this.#byMember[2 * member + kind]! += pieces;
      }
    }
    this.readable += readable;
    this.withheld += withheld;
  }

  /** Room in the grids for `dense` dense numbers. */
  #grow(dense: number): void {
    const grown = (grid: Uint8Array) => {
      const out = new Uint8Array(dense * this.slots);
      out.set(grid);
      return out;
    };
    this.#memberDays = grown(this.#memberDays);
    this.#sectorDays = grown(this.#sectorDays);
  }

  #growByMember(member: number): void {
    const grown = new Float64Array(Math.max(2 * this.#byMember.length, 2 * member + 2));
    grown.set(this.#byMember);
    this.#byMember = grown;
  }

  /** The dense numbers present on some day of the slots [low, high] in a grid. */
  #presentIn(grid: Uint8Array, low: number, high: number): number[] {
    let prefix = this.#prefixes.get(grid);
    if (!prefix) {
      // Per dense number, the days present up to each slot; an empty row stays all 0.
      prefix = new Int32Array(grid.length + grid.length / Math.max(1, this.slots));
      const row = this.slots + 1;
      for (let dense = 0; dense * this.slots < grid.length; dense++) {
        for (let s = 0; s < this.slots; s++) prefix[dense * row + s + 1] = prefix[dense * row + s]! + grid[dense * this.slots + s]!;
      }
      this.#prefixes.set(grid, prefix);
    }
    const out: number[] = [];
    const row = this.slots + 1;
    for (let dense = 0; dense * this.slots < grid.length; dense++) if (prefix[dense * row + high + 1]! - prefix[dense * row + low]! > 0) out.push(dense);
    return out;
  }

  /** The slots of the window of `days` ending at `end`: (dayOf(end - days), dayOf(end)], as scoreOf reads it. */
  #window(end: Date, days: number): [number, number] {
    const low = Math.max(0, this.slotOf(dayOf(new Date(end.getTime() - days * DAY_MS))) + 1);
    const high = Math.min(this.slots - 1, this.slotOf(dayOf(end)));
    return [low, high];
  }

  /** The model's scoreOf (assessment.model.ts states the formula) of these buckets, summed by day. */
  parts(end: Date, days: number): ScoreParts {
    const [low, high] = this.#window(end, days);
    let incidents = 0;
    let sightings = 0;
    let intel = 0;
    const counts = { incidents: 0, sightings: 0, intel: 0 };
    for (let s = low; s <= high; s++) {
      const factor = decay(Math.max(0, Math.floor((end.getTime() - (this.#since + 1 + s) * DAY_MS) / DAY_MS)));
      incidents += this.weight[KIND.incident * this.slots + s]! * factor;
      sightings += this.weight[KIND.sighting * this.slots + s]! * factor;
      intel += this.weight[KIND.intel * this.slots + s]! * factor;
      counts.incidents += this.count[KIND.incident * this.slots + s]!;
      counts.sightings += this.count[KIND.sighting * this.slots + s]!;
      counts.intel += this.count[KIND.intel * this.slots + s]!;
    }
    const members = low <= high ? this.#presentIn(this.#memberDays, low, high).map((id) => this.reader.name(id)).sort() : [];
    const sectors = low <= high ? [...new Set(this.#presentIn(this.#sectorDays, low, high).flatMap((id) => this.reader.sectors(id)))].sort() : [];
    return combineParts({ incidents, sightings, intel }, members, sectors, counts);
  }

  /** The model's trendOf of these buckets. */
  trend(end: Date, days: number): ReturnType<typeof trendOf> {
    const [low, high] = this.#window(end, days);
    const middle = this.slotOf(dayOf(new Date(end.getTime() - (days / 2) * DAY_MS)));
    let recent = 0;
    let earlier = 0;
    for (let s = low; s <= high; s++) {
      const weight = this.weight[KIND.incident * this.slots + s]! + this.weight[KIND.sighting * this.slots + s]! * 0.1 + this.weight[KIND.intel * this.slots + s]! * 0.05;
      if (s > middle) recent += weight;
      else earlier += weight;
    }
    const direction = recent > earlier * 1.25 ? 'rising' : recent < earlier * 0.8 ? 'falling' : 'steady';
    return { direction, recent: round1(recent), earlier: round1(earlier) };
  }

  /** Incidents and sightings per member within the window, most first. */
  byMember(): Array<{ member: string; incidents: number; sightings: number }> {
    const out: Array<{ member: string; incidents: number; sightings: number }> = [];
    for (let dense = 0; 2 * dense + 1 < this.#byMember.length; dense++) {
      const incidents = this.#byMember[2 * dense]!;
      const sightings = this.#byMember[2 * dense + 1]!;
      if (incidents > 0 || sightings > 0) out.push({ member: this.reader.name(dense), incidents, sightings });
    }
    return out.sort((a, b) => b.incidents - a.incidents || b.sightings - a.sightings || a.member.localeCompare(b.member));
  }
}

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
    const links = await repo.linksTo(ctx.store.db, frontier, ACTOR_TYPES, 10_000);
    for (const target of frontier) {
      for (const link of links) {
        if (link.actor_ref !== target || !isActorRef(link.source_ref) || !reads(link.access_key, link.origin) || included.has(link.source_ref)) continue;
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

/**
 * How many times an answer is read again when a batch of the follower committed while it was read
 * (see ofOneBatch); the last reading is answered whatever happened meanwhile.
 */
const READINGS = 4;

/**
 * Runs `read` (reads of the follower's tables: weeks, incidents, attributions) until no batch of
 * the follower committed while it ran, at most READINGS times. The reads are separate statements:
 * a batch committed between two of them gave an answer whose incidents named one the members and
 * counts left out. The follower advances its watermark in each batch's own transaction (and counts
 * each deleted object it takes out), so the same state before and after means every read saw the
 * same batches.
 */
async function ofOneBatch<T>(ctx: AppContext, read: () => Promise<T>): Promise<T> {
  for (let reading = 1; ; reading++) {
    const before = await repo.followerState(ctx.store.db);
    const answer = await read();
    if (reading >= READINGS || repo.sameState(await repo.followerState(ctx.store.db), before)) return answer;
  }
}

/** One actor's cumulative assessment as this reader may see it. */
export async function assess(ctx: AppContext, reader: Principal, ref: string, query: AssessmentQuery = {}): Promise<Assessment> {
  checkActorRef(ref);
  return ofOneBatch(ctx, () => assessOnce(ctx, reader, ref, query));
}

async function assessOnce(ctx: AppContext, reader: Principal, ref: string, query: AssessmentQuery): Promise<Assessment> {
  const days = windowDays(query.days);
  const end = query.at ?? ctx.clock.now();
  const { reads, keys } = await evidenceReader(ctx, reader);
  const included = await includedActors(ctx, ref, reads);
  // The series reaches back one window before the first point.
  const seriesStart = dayOf(new Date(end.getTime() - 2 * days * DAY_MS));
  const from = dayOf(new Date(end.getTime() - days * DAY_MS));
  const rows = await repo.weeksOf(ctx.store, [...included.keys()], firstWeekAfter(seriesStart));
  const evidence = new DailyEvidence(seriesStart, dayOf(end), from, await termReader(ctx, reads));
  for (const [actor, week, entries] of rows) evidence.add(week, facts.decodeWeek(entries), included.get(actor) ?? 1);
  const readableBuckets = evidence.readable;
  const withheld = evidence.withheld;
  const objects = await intel.objectsByIds(ctx, reader, [...included.keys()]);
  const self = objects.get(ref);
  if (!self && readableBuckets === 0) throw shieldwallError('NOT_FOUND', `no actor ${ref} (or you may not read it, nor any evidence about it)`);
  const thresholds = ctx.config.assessmentThresholds;
  const parts = evidence.parts(end, days);
  const escalation = escalationOf(parts.score, thresholds);

  // The score over time: points across the window, each scored over the window that ends there.
  const series: Array<{ day: string; score: number }> = [];
  const steps = Math.min(ASSESSMENT_LIMITS.series, days);
  for (let i = steps; i >= 0; i--) {
    const at = new Date(end.getTime() - (i * days * DAY_MS) / steps);
    series.push({ day: dayOf(at), score: evidence.parts(at, days).score });
  }
  const crossedAt = (threshold: number) => series.find((point) => point.score >= threshold)?.day ?? null;

  const contributions: Contribution[] = [];
  const candidates = ASSESSMENT_LIMITS.contributions * 5;
  const heaviest: Array<{ id: string; weight: number; access_key: number; origin: string }> = [];
  for (const actor of included.keys()) heaviest.push(...(await repo.heaviestIncidents(ctx.store, actor, from, keys, reader.member?.code ?? null, candidates)));
  heaviest.sort((a, b) => b.weight - a.weight || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const kept = heaviest.slice(0, candidates).filter((row) => reads(row.access_key, row.origin));
  for (const row of await repo.incidentsOf(ctx.store.db, kept.map((candidate) => candidate.id))) {
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
    trend: evidence.trend(end, days),
    escalation,
    escalation_text: ESCALATION_TEXT[escalation],
    thresholds,
    crossed: { consultation: crossedAt(thresholds.consultation), council: crossedAt(thresholds.council) },
    series,
    contributions,
    by_member: evidence.byMember(),
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
export async function listActors(ctx: AppContext, reader: Principal, query: { days?: number; limit?: number } = {}): Promise<ActorList> {
  return ofOneBatch(ctx, () => listActorsOnce(ctx, reader, query));
}

type ActorList = { actors: ActorSummary[]; thresholds: AppContext['config']['assessmentThresholds']; as_of: string; truncated: boolean };

/** Actors scored between two turns of the event loop in a list. */
const ACTORS_PER_TURN = 16;

async function listActorsOnce(ctx: AppContext, reader: Principal, query: { days?: number; limit?: number }): Promise<ActorList> {
  const days = windowDays(query.days);
  const end = ctx.clock.now();
  const { reads } = await evidenceReader(ctx, reader);
  const since = dayOf(new Date(end.getTime() - days * DAY_MS));
  const rows = await repo.weeksSince(ctx.store, firstWeekAfter(since), ASSESSMENT_LIMITS.listWeeks + 1);
  const truncated = rows.length > ASSESSMENT_LIMITS.listWeeks;
  const terms = await termReader(ctx, reads);
  const weeksOf = new Map<string, Array<[string, facts.WeekEntries]>>();
  for (const [actor, week, entries] of rows.slice(0, ASSESSMENT_LIMITS.listWeeks)) {
    const list = weeksOf.get(actor) ?? [];
    list.push([week, facts.decodeWeek(entries)]);
    weeksOf.set(actor, list);
  }
  // The actors those with evidence are attributed to (two steps, through attributions the reader
  // reads) sum the evidence of what is attributed to them, as their own page does (includedActors).
  const above = new Set<string>();
  let frontier = [...weeksOf.keys()];
  for (let depth = 0; depth < 2 && frontier.length > 0; depth++) {
    const next = new Set<string>();
    for (const link of await repo.linksFrom(ctx.store.db, frontier)) {
      if (!isActorRef(link.source_ref) || !isActorRef(link.actor_ref) || !reads(link.access_key, link.origin) || above.has(link.actor_ref)) continue;
      above.add(link.actor_ref);
      next.add(link.actor_ref);
    }
    frontier = [...next];
  }
  // One actor's evidence at a time: its grids (members × days) are scored and let go, so that a
  // long window over many actors costs time, in turns other requests get between, not memory.
  const thresholds = ctx.config.assessmentThresholds;
  const actors: ActorSummary[] = [];
  let scored = 0;
  for (const actor of new Set([...weeksOf.keys(), ...above])) {
    if (++scored % ACTORS_PER_TURN === 0) await nextTurn();
    const included = above.has(actor) ? await includedActors(ctx, actor, reads) : new Map([[actor, 1]]);
    const evidence = new DailyEvidence(since, dayOf(end), since, terms);
    for (const [member, factor] of included) for (const [week, entries] of weeksOf.get(member) ?? []) evidence.add(week, entries, factor);
    // Only actors of which the reader reads some bucket.
    if (evidence.readable === 0) continue;
    const parts = evidence.parts(end, days);
    actors.push({
      ref: actor,
      type: actor.slice(0, actor.indexOf('--')),
      name: null,
      score: parts.score,
      escalation: escalationOf(parts.score, thresholds),
      incidents: parts.counts.incidents,
      sightings: parts.counts.sightings,
      members: parts.members.length,
    });
  }
  actors.sort((a, b) => b.score - a.score || a.ref.localeCompare(b.ref));
  const shown = actors.slice(0, Math.min(Math.max(query.limit ?? 50, 1), ASSESSMENT_LIMITS.actors));
  const names = await intel.objectsByIds(ctx, reader, shown.map((a) => a.ref));
  const named = shown.map((summary) => {
    const object = names.get(summary.ref);
    return object && typeof object.name === 'string' ? { ...summary, name: object.name } : summary;
  });
  return { actors: named, thresholds, as_of: end.toISOString(), truncated };
}

// --- assessors' Schmitt-factor inputs ------------------------------------------------------------------

/** Inputs read for an assessment: every member's, within inputsPerFactor for each of the eight factors, for the members of a large alliance. */
const INPUTS_READ = 100 * 8 * ASSESSMENT_LIMITS.inputsPerFactor;

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

/**
 * The inputs the reader may read, newest first: each member's newest rating of each factor
 * before any older one, so that one member's re-ratings never hide another's current rating.
 */
async function inputs(ctx: AppContext, reader: Principal, ref: string): Promise<SchmittInput[]> {
  const rows = (await repo.inputsOf(ctx.store.db, recordReadScope(reader), ref, INPUTS_READ)).filter((row) => canReadRecord(reader, recordAccessOfColumns(row)));
  const seen = new Set<string>();
  const current: repo.InputRow[] = [];
  const older: repo.InputRow[] = [];
  for (const row of rows) {
    const key = `${row.origin_member ?? ''}\u0000${row.factor}`;
    (seen.has(key) ? older : current).push(row);
    seen.add(key);
  }
  return [...current, ...older].slice(0, ASSESSMENT_LIMITS.inputs).map(inputOf);
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
    // A member's newer rating of a factor supersedes its oldest past inputsPerFactor: never another
    // member's, and only ratings the writer may delete (it reads them): a user cleared lower than a
    // colleague, rating again and again, would otherwise remove the colleague's SECRET rating.
    const earlier = await repo.memberFactorInputs(tx.db, ref, access.originMember, input.factor);
    const excess = Math.max(0, earlier.length + 1 - ASSESSMENT_LIMITS.inputsPerFactor);
    const superseded = earlier.filter((input) => canDeleteRecord(reader, recordAccessOfColumns(input))).slice(0, excess).map((input) => input.id);
    if (superseded.length < excess) {
      throw shieldwallError(
        'CONFLICT',
        `your member holds ${earlier.length} ratings of ${input.factor} for this actor, the most kept (${ASSESSMENT_LIMITS.inputsPerFactor}), and the oldest it would replace are ones you may not read: ask a colleague who reads them to rate instead`,
      );
    }
    await repo.deleteInputs(tx, superseded);
    await repo.insertInput(tx, row);
    await audit.recordInTransaction(ctx, tx, reader, [{ action: 'assessment.input', subject: ref, detail: { input: row.id, factor: input.factor, rating: input.rating, ...(superseded.length > 0 ? { superseded } : {}) } }]);
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
