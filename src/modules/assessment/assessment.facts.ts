/**
 * The assessment's view of the store, kept by following it by sequence: every current version of
 * a sighting, relationship or incident stored after the watermark is applied in order (see
 * intel.repo versionsSince for those not current), in one write transaction per batch with the
 * new watermark (so that a batch is applied once, by whichever process runs the follower's job). Each applied version first takes back what the previous
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
 * attribution, so that a reader sums only what the policy lets it read. The daily buckets of one
 * actor and week are stored as one row, packed (WeekEntries), their members, sectors and access
 * sets named by number (Terms): reading an actor's year is reading about fifty rows.
 */
import type { AppContext } from '../../core/context.js';
import { storeState } from '../../core/state.js';
import { BACKGROUND, writeTransaction, type Store, type WriteTx } from '../../db/database.js';
import * as directory from '../directory/directory.service.js';
import * as incidents from '../incidents/incidents.service.js';
import * as intel from '../intel/intel.service.js';
import { ATTRIBUTING_RELATIONSHIPS, dayOf, FACT_KINDS, FORMULA, isActorRef, type FactKind } from './assessment.model.js';
import * as repo from './assessment.repo.js';
import { nextTurn } from '../../core/turn.js';

export const FOLLOWED_TYPES = ['incident', 'sighting', 'relationship'] as const;
export const BATCH = 1000;

const CRITICAL = new Set(incidents.SECTORS.filter((sector) => sector.critical).map((sector) => sector.key));

/** Who may read a piece of evidence: its access set, and the member of this node that originated it ('' when none). */
export interface Access {
  key: number;
  origin: string;
}
/** Evidence tied to the actor by no attribution (the actor's own sightings, its incidents). */
const DIRECT: Access = Object.freeze({ key: 0, origin: '' });

// --- packed buckets --------------------------------------------------------------------------------

/**
 * The terms packed buckets name by number, as this process has read them from assessment_terms:
 * members ('member:DEU'), sets of critical sectors ('sectors:,energy,health,'), pairs of access
 * set and originating member ('access:12|DEU'), and the classes of buckets that name them
 * ('class:kind|sectors|member|evidence|link', each part a number: the kind's in FACT_KINDS, then
 * terms; link 0 when the evidence is the actor's own), kept here as typed arrays. Numbers are
 * only ever added, by the follower in its write transaction, so a number read once keeps its
 * meaning; numbers this process has not read yet are read when met (refresh).
 */
export class Terms {
  /** Terms other than classes (members, sectors, access), by number. */
  readonly #named = new Map<number, string>();
  readonly #access = new Map<number, Access>();
  /** Numbers by term: made when the follower first asks (readers never do). */
  #ids: Map<string, number> | undefined;
  #last = 0;
  /** By class number: its kind plus one (0: not a class), and the numbers of its sectors, member, evidence and link terms. */
  kind = new Uint8Array(0);
  sectors = new Uint32Array(0);
  member = new Uint32Array(0);
  evidence = new Uint32Array(0);
  link = new Uint32Array(0);

  /** The highest number read. */
  get last(): number {
    return this.#last;
  }

  add(id: number, term: string): void {
    if (this.#named.has(id) || this.isClass(id)) return;
    if (id > this.#last) this.#last = id;
    this.#ids?.set(term, id);
    if (term.startsWith('class:')) {
      if (id >= this.kind.length) this.#grow(Math.max(id + 1, 2 * this.kind.length, 1024));
      let at = 6;
      const part = () => {
        const bar = term.indexOf('|', at);
        const value = Number(term.slice(at, bar < 0 ? undefined : bar));
        at = bar + 1;
        return value;
      };
      this.kind[id] = part() + 1;
      this.sectors[id] = part();
      this.member[id] = part();
      this.evidence[id] = part();
      this.link[id] = part();
      return;
    }
    this.#named.set(id, term);
    if (term.startsWith('access:')) {
      const bar = term.indexOf('|');
      this.#access.set(id, { key: Number(term.slice(7, bar)), origin: term.slice(bar + 1) });
    }
  }

  #grow(size: number): void {
    const grown = <T extends Uint8Array | Uint32Array>(array: T, make: (n: number) => T): T => {
      const out = make(size);
      out.set(array);
      return out;
    };
    this.kind = grown(this.kind, (n) => new Uint8Array(n));
    this.sectors = grown(this.sectors, (n) => new Uint32Array(n));
    this.member = grown(this.member, (n) => new Uint32Array(n));
    this.evidence = grown(this.evidence, (n) => new Uint32Array(n));
    this.link = grown(this.link, (n) => new Uint32Array(n));
  }

  idOf(term: string): number | undefined {
    if (!this.#ids) {
      this.#ids = new Map([...this.#named].map(([id, named]) => [named, id]));
      for (let id = 0; id < this.kind.length; id++) {
        if (this.kind[id] !== 0) this.#ids.set(classTerm(this.kind[id]! - 1, this.sectors[id]!, this.member[id]!, this.evidence[id]!, this.link[id]!), id);
      }
    }
    return this.#ids.get(term);
  }

  /** The value a number names, without its prefix ('DEU', ',energy,'). */
  value(id: number): string | undefined {
    const term = this.#named.get(id);
    return term === undefined ? undefined : term.slice(term.indexOf(':') + 1);
  }

  /** The access set and originating member a number names (0: none, the evidence is the actor's own). */
  access(id: number): Access | undefined {
    return id === 0 ? DIRECT : this.#access.get(id);
  }

  /** Is this number a class of buckets this process has read? */
  isClass(id: number): boolean {
    return id < this.kind.length && this.kind[id] !== 0;
  }

  /** Reads the terms numbered since the last read (in a write transaction, on its connection). */
  async refresh(db: WriteTx['db']): Promise<void> {
    for (const row of await repo.termsAfter(db, this.#last)) this.add(row.id, row.term);
  }

  /** The same, outside a write transaction, by a prepared read (a reader's first read is every term). */
  async refreshFrom(store: Store): Promise<void> {
    for (const [id, term] of await repo.termsAfterIn(store, this.#last)) this.add(Number(id), term);
  }
}

const classTerm = (kind: number, sectors: number, member: number, evidence: number, link: number) => `class:${kind}|${sectors}|${member}|${evidence}|${link}`;

const TERMS = storeState('assessment.terms', () => new Terms());

/** The terms of this store as this process knows them. */
export function termsOf(ctx: AppContext): Terms {
  return ctx.store.state.get(TERMS);
}

const DAY_MS = 86_400_000;
/** The number of a day (YYYY-MM-DD) since 1970-01-01. */
export const epochDay = (day: string): number => Date.parse(`${day.slice(0, 10)}T00:00:00.000Z`) / DAY_MS;
/** The first day (YYYY-MM-DD) of the week of a day's number: weeks of seven days counted from 1970-01-01. */
export const weekOf = (epoch: number): string => new Date((epoch - (((epoch % 7) + 7) % 7)) * DAY_MS).toISOString().slice(0, 10);

/**
 * One actor's daily buckets of one week, as assessment_weeks.entries holds them (little-endian):
 * u32 format, u32 n, f64 weight[n], u32 ids[n], then count[n]: u32 in format 2, f64 in format 3
 * (a count of 2^32 or more). ids[i] is 8 times the number of the bucket's class term plus its day
 * within the week (0-6).
 */
export interface WeekEntries {
  n: number;
  weight: Float64Array;
  ids: Uint32Array;
  count: Uint32Array | Float64Array;
}

const NARROW = 2;
const WIDE = 3;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

export function encodeWeek(weight: readonly number[], ids: readonly number[], count: readonly number[]): Uint8Array {
  const n = weight.length;
  const wide = count.some((c) => c > 0xffffffff);
  const bytes = new Uint8Array(8 + (wide ? 20 : 16) * n);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, wide ? WIDE : NARROW, true);
  view.setUint32(4, n, true);
  for (let i = 0; i < n; i++) {
    view.setFloat64(8 + 8 * i, weight[i]!, true);
    view.setUint32(8 + 8 * n + 4 * i, ids[i]!, true);
    if (wide) view.setFloat64(8 + 12 * n + 8 * i, count[i]!, true);
    else view.setUint32(8 + 12 * n + 4 * i, count[i]!, true);
  }
  return bytes;
}

export function decodeWeek(stored: Uint8Array): WeekEntries {
  const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
  const format = stored.byteLength >= 8 ? view.getUint32(0, true) : 0;
  const n = stored.byteLength >= 8 ? view.getUint32(4, true) : -1;
  const size = format === WIDE ? 20 : 16;
  if ((format !== NARROW && format !== WIDE) || stored.byteLength !== 8 + size * n) {
    throw new Error(`assessment_weeks holds a row of ${stored.byteLength} bytes that is not a week's buckets (format ${NARROW} or ${WIDE})`);
  }
  if (LITTLE_ENDIAN) {
    // Typed arrays need their elements aligned: a row read from the store may start anywhere.
    const bytes = stored.byteOffset % 8 === 0 ? stored : new Uint8Array(stored);
    const at = bytes.byteOffset;
    // The f64 counts of the wide format start at 8 + 12n: aligned only when n is even.
    const wide = () => {
      if (n % 2 === 0) return new Float64Array(bytes.buffer, at + 8 + 12 * n, n);
      const copy = new Uint8Array(8 * n);
      copy.set(bytes.subarray(8 + 12 * n));
      return new Float64Array(copy.buffer);
    };
    const counts = format === WIDE ? wide() : new Uint32Array(bytes.buffer, at + 8 + 12 * n, n);
    return { n, weight: new Float64Array(bytes.buffer, at + 8, n), ids: new Uint32Array(bytes.buffer, at + 8 + 8 * n, n), count: counts };
  }
  const week: WeekEntries = { n, weight: new Float64Array(n), ids: new Uint32Array(n), count: format === WIDE ? new Float64Array(n) : new Uint32Array(n) };
  for (let i = 0; i < n; i++) {
    week.weight[i] = view.getFloat64(8 + 8 * i, true);
    week.ids[i] = view.getUint32(8 + 8 * n + 4 * i, true);
    week.count[i] = format === WIDE ? view.getFloat64(8 + 12 * n + 8 * i, true) : view.getUint32(8 + 12 * n + 4 * i, true);
  }
  return week;
}

/** A change to one bucket: what it is, and the count and weight to add (negative to take back). */
interface BucketDelta {
  actor: string;
  kind: FactKind;
  day: string;
  member: string;
  sectors: string;
  evidence: Access;
  link: Access;
  count: number;
  weight: number;
}

/** Deltas to the buckets gathered over a batch, applied at its end. */
class Deltas {
  readonly #map = new Map<string, BucketDelta>();

  add(actor: string, kind: FactKind, day: string, member: string, sectors: string, evidence: Access, link: Access, count: number, weight: number): void {
    const key = `${actor}|${kind}|${day}|${member}|${sectors}|${evidence.key}|${evidence.origin}|${link.key}|${link.origin}`;
    const held = this.#map.get(key);
    if (held) {
      held.count += count;
      held.weight += weight;
    } else {
      this.#map.set(key, { actor, kind, day, member, sectors, evidence, link, count, weight });
    }
  }

  values(): Iterable<BucketDelta> {
    return this.#map.values();
  }
}

/**
 * Adds a batch's deltas to the week rows they fall in (one read and one write per actor and
 * week); buckets left with no count are removed, and rows left with no bucket. Answers the terms
 * it numbered, written in the same transaction.
 */
async function writeWeeks(tx: WriteTx, terms: Terms, deltas: Iterable<BucketDelta>): Promise<Array<{ id: number; term: string }>> {
  // Terms this batch numbers: known to the process once the transaction has committed.
  const added = new Map<string, number>();
  const numbered = (term: string): number => {
    let id = terms.idOf(term) ?? added.get(term);
    if (id === undefined) added.set(term, (id = terms.last + added.size + 1));
    return id;
  };
  const accessId = (access: Access) => (access.key === 0 && access.origin === '' ? 0 : numbered(`access:${access.key}|${access.origin}`));
  const classOf = (delta: BucketDelta) =>
    numbered(classTerm(FACT_KINDS.indexOf(delta.kind), numbered(`sectors:${delta.sectors}`), numbered(`member:${delta.member}`), accessId(delta.evidence), accessId(delta.link)));

  const byActor = new Map<string, Map<string, Array<{ delta: BucketDelta; day: number }>>>();
  for (const delta of deltas) {
    if (delta.count === 0 && Math.abs(delta.weight) < 1e-9) continue;
    const day = epochDay(delta.day);
    const week = weekOf(day);
    let weeks = byActor.get(delta.actor);
    if (!weeks) byActor.set(delta.actor, (weeks = new Map()));
    const list = weeks.get(week);
    if (list) list.push({ delta, day });
    else weeks.set(week, [{ delta, day }]);
  }
  const puts: repo.WeekRow[] = [];
  for (const [actor, weeks] of byActor) {
    const emptied: string[] = [];
    const weekList = [...weeks.keys()];
    const stored = new Map<string, WeekEntries>();
    for (let i = 0; i < weekList.length; i += 500) {
      for (const row of await repo.weeksFor(tx, actor, weekList.slice(i, i + 500))) stored.set(row.week, decodeWeek(row.entries));
    }
    for (const [week, list] of weeks) {
      const held = stored.get(week);
      const first = epochDay(week);
      const weight: number[] = held ? [...held.weight] : [];
      const ids: number[] = held ? [...held.ids] : [];
      const count: number[] = held ? [...held.count] : [];
      const index = new Map<number, number>(ids.map((id, i) => [id, i]));
      for (const { delta, day } of list) {
        const id = classOf(delta) * 8 + (day - first);
        if (id > 0xffffffff) throw new Error(`assessment_terms holds ${terms.last} terms: more classes of buckets than a week row can number (2^29)`);
        const at = index.get(id);
        if (at === undefined) {
          index.set(id, ids.length);
          weight.push(delta.weight);
          ids.push(id);
          count.push(delta.count);
        } else {
          weight[at]! += delta.weight;
          count[at]! += delta.count;
        }
      }
      const kept = count.flatMap((c, i) => (c > 0 ? [i] : []));
      if (kept.length === 0) {
        if (held) emptied.push(week);
        continue;
      }
      const entries = encodeWeek(kept.map((i) => weight[i]!), kept.map((i) => ids[i]!), kept.map((i) => count[i]!));
      puts.push({ actor_ref: actor, week, buckets: kept.length, entries });
    }
    await repo.deleteWeeks(tx, actor, emptied);
  }
  await repo.putWeeks(tx, puts);
  const rows = [...added].map(([term, id]) => ({ id, term }));
  await repo.insertTerms(tx, rows);
  return rows;
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
  /** Sightings as last applied, by id: those of the batch read at once, then kept as it applies them. */
  sightings: Map<string, repo.SightingRow | undefined>;
  /** Ids of the sightings the batch changed and has not written yet. */
  changed: Set<string>;
  /** What those sightings were and are about: the store's sums about these are stale until they are written. */
  changedAbout: Set<string>;
  /** The attributions from each object sighted, read at once for the batch. */
  linksFrom: Map<string, repo.LinkRow[]>;
  /** Links as last applied, by id: those of the batch's relationships read at once, then kept as it applies them. */
  links: Map<string, repo.LinkRow | undefined>;
  /** Ids of the links the batch changed and has not written yet. */
  changedLinks: Set<string>;
  /** The sightings about the sources of the batch's links, summed (read at once; for a source in changedAbout, read again). */
  about: Map<string, repo.SightingGroup[]>;
}

/** Reads what the batch's sightings need at once: their previous versions, and the attributions of what they sight. */
async function prepareSightings(batch: Batch, versions: readonly intel.SequencedVersion[]): Promise<void> {
  const ids = versions.filter((version) => version.type === 'sighting').map((version) => version.id);
  for (const row of await repo.sightingsOf(batch.tx.db, ids)) batch.sightings.set(row.id, row);
  const sources = new Set<string>();
  for (const version of versions) if (version.type === 'sighting' && version.about_ref !== null && !isActorRef(version.about_ref)) sources.add(version.about_ref);
  for (const row of batch.sightings.values()) if (row && !isActorRef(row.about_ref)) sources.add(row.about_ref);
  for (const source of sources) batch.linksFrom.set(source, []);
  for (const link of await repo.linksFrom(batch.tx.db, [...sources])) batch.linksFrom.get(link.source_ref)!.push(link);
}

/**
 * Reads what the batch's relationships need at once: the links of their ids as last applied, and
 * the sightings about the objects they may attribute.
 */
async function prepareLinks(batch: Batch, versions: readonly intel.SequencedVersion[]): Promise<void> {
  const ids = versions.filter((version) => version.type === 'relationship').map((version) => version.id);
  if (ids.length === 0) return;
  for (const id of ids) batch.links.set(id, undefined);
  const sources = new Set<string>();
  for (const link of await repo.linksOf(batch.tx.db, ids)) {
    batch.links.set(link.id, link);
    if (!isActorRef(link.source_ref)) sources.add(link.source_ref);
  }
  for (const version of versions) {
    if (version.type === 'relationship' && version.about_ref !== null && version.target_ref !== null && isActorRef(version.target_ref) && !isActorRef(version.about_ref)) sources.add(version.about_ref);
  }
  for (const [source, groups] of await repo.sightingsAbout(batch.tx.db, [...sources])) batch.about.set(source, groups);
}

/** The sightings about an object, summed, as the batch has applied them so far. */
async function sightingsAboutNow(batch: Batch, about: string): Promise<repo.SightingGroup[]> {
  if (batch.changedAbout.has(about)) await writeSightings(batch);
  let groups = batch.about.get(about);
  if (!groups) batch.about.set(about, (groups = (await repo.sightingsAbout(batch.tx.db, [about])).get(about)!));
  return groups;
}

/** The rows of the ids changed (to write) and the ids left with none (to remove); forgets the changes. */
function takeChanged<R>(applied: ReadonlyMap<string, R | undefined>, changed: Set<string>): { rows: R[]; removed: string[] } {
  const rows: R[] = [];
  const removed: string[] = [];
  for (const id of changed) {
    const row = applied.get(id);
    if (row) rows.push(row);
    else removed.push(id);
  }
  changed.clear();
  return { rows, removed };
}

/** Writes the links the batch changed (before links are read back from the store, and at its end). */
async function writeLinks(batch: Batch): Promise<void> {
  if (batch.changedLinks.size === 0) return;
  const { rows, removed } = takeChanged(batch.links, batch.changedLinks);
  await repo.writeApplied(batch.tx, 'assessment_links', rows, removed);
}

/** Writes the sightings the batch changed (before sightings are read back from the store, and at its end). */
async function writeSightings(batch: Batch): Promise<void> {
  if (batch.changed.size === 0) return;
  // The sums read before about what they were and are about no longer hold.
  for (const about of batch.changedAbout) batch.about.delete(about);
  batch.changedAbout.clear();
  const { rows, removed } = takeChanged(batch.sightings, batch.changed);
  await repo.writeApplied(batch.tx, 'assessment_sightings', rows, removed);
}

/**
 * The member (code) evidence counts for: its creator's member (by the identity of a member of
 * this node), else the member whose user wrote it, else the peer that relayed it (one source,
 * 'peer:NAME'). What the object itself says (a sighting's where_sighted_refs, an incident's
 * reporting_member, a created_by_ref naming an identity of no member) names another member only
 * in its writer's words: counted for that member, or for each identity a writer makes up, it
 * would let one member make an actor look as if it hit many (breadth, escalation), so it is not.
 */
function memberOf(batch: Batch, version: intel.SequencedVersion): string {
  if (version.origin_member) return version.origin_member;
  const member = version.created_by_ref ? batch.identities.get(version.created_by_ref) : undefined;
  if (member !== undefined) return member;
  const submitter = version.submitter ?? '';
  if (submitter.startsWith('member:')) return submitter.slice('member:'.length);
  if (submitter.startsWith('peer:')) return submitter;
  return '(unattributed)';
}

// --- sightings -------------------------------------------------------------------------------------

/**
 * The actors a sighting counts for: the actor sighted itself, or each actor the object sighted is
 * attributed to. A sighting of an actor does not also count for the actors that one is attributed
 * to: it reaches them when they are assessed, through the attribution (the service's includes).
 */
async function sightingTargets(batch: Batch, about: string): Promise<Array<{ actor: string; confidence: number; link: Access }>> {
  if (isActorRef(about)) return [{ actor: about, confidence: 100, link: DIRECT }];
  let links = batch.linksFrom.get(about);
  if (!links) {
    await writeLinks(batch);
    batch.linksFrom.set(about, (links = await repo.linksFrom(batch.tx.db, [about])));
  }
  return links.map((link) => ({ actor: link.actor_ref, confidence: link.confidence, link: { key: link.access_key, origin: link.origin } }));
}

async function applySighting(batch: Batch, version: intel.SequencedVersion, body: Record<string, unknown> | undefined): Promise<void> {
  const previous = batch.sightings.get(version.id);
  if (previous) {
    for (const target of await sightingTargets(batch, previous.about_ref)) {
      batch.deltas.add(target.actor, 'sighting', previous.day, previous.member, ',', { key: previous.access_key, origin: previous.origin }, target.link, -previous.count, (-previous.weight * target.confidence) / 100);
    }
  }
  const about = version.about_ref;
  if (version.revoked === 1 || !body || about === null || version.access_key === null) {
    if (previous) {
      batch.sightings.set(version.id, undefined);
      batch.changed.add(version.id);
      batch.changedAbout.add(previous.about_ref);
    }
    return;
  }
  const count = typeof body.count === 'number' && Number.isInteger(body.count) && body.count >= 0 ? Math.min(body.count, 999_999_999) : 1;
  const row: repo.SightingRow = {
    id: version.id,
    about_ref: about,
    day: dayFrom(body.first_seen, body.last_seen, body.created),
    member: memberOf(batch, version),
    count,
    weight: (count * confidenceOf(body.confidence, 100)) / 100,
    access_key: version.access_key,
    origin: version.origin_member ?? '',
  };
  batch.sightings.set(version.id, row);
  batch.changed.add(version.id);
  if (previous) batch.changedAbout.add(previous.about_ref);
  batch.changedAbout.add(about);
  for (const target of await sightingTargets(batch, about)) {
    batch.deltas.add(target.actor, 'sighting', row.day, row.member, ',', { key: row.access_key, origin: row.origin }, target.link, row.count, (row.weight * target.confidence) / 100);
  }
}

// --- attribution relationships ---------------------------------------------------------------------

/**
 * Adds (sign 1) or takes back (sign -1) what a link contributes: one piece of intel, and its
 * source's sightings. An actor attributed to another adds nothing to the other's buckets: its
 * evidence is included when the other is assessed (counting it here too would count it twice).
 */
async function applyLink(batch: Batch, link: repo.LinkRow, sign: 1 | -1): Promise<void> {
  if (isActorRef(link.source_ref)) return;
  const access: Access = { key: link.access_key, origin: link.origin };
  batch.deltas.add(link.actor_ref, 'intel', link.day, '(intel)', ',', access, DIRECT, sign, (sign * link.confidence) / 100);
  for (const group of await sightingsAboutNow(batch, link.source_ref)) {
    batch.deltas.add(link.actor_ref, 'sighting', group.day, group.member, ',', { key: group.access_key, origin: group.origin }, access, sign * group.count, (sign * group.weight * link.confidence) / 100);
  }
}

async function applyRelationship(batch: Batch, version: intel.SequencedVersion, body: Record<string, unknown> | undefined): Promise<void> {
  // Read for every relationship of the batch by prepareLinks, then kept as applied.
  const previous = batch.links.get(version.id);
  if (previous) {
    await applyLink(batch, previous, -1);
    batch.links.set(version.id, undefined);
    batch.changedLinks.add(version.id);
    batch.linksFrom.delete(previous.source_ref);
  }
  const type = body?.relationship_type;
  const source = version.about_ref;
  const target = version.target_ref;
  if (version.revoked === 1 || !body || version.access_key === null || source === null || target === null) return;
  if (!(ATTRIBUTING_RELATIONSHIPS as readonly string[]).includes(String(type)) || !isActorRef(target) || source === target) return;
  const link: repo.LinkRow = {
    id: version.id,
    source_ref: source,
    source_type: source.slice(0, source.indexOf('--')),
    actor_ref: target,
    confidence: confidenceOf(body.confidence, 50),
    day: dayFrom(body.start_time, body.created),
    access_key: version.access_key,
    origin: version.origin_member ?? '',
  };
  batch.links.set(link.id, link);
  batch.changedLinks.add(link.id);
  batch.linksFrom.delete(link.source_ref);
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
  // Scores are 0-100 (INCIDENT-SCORING.md): anything else, as a copy received as STIX may say, is
  // unscored. Unbounded, one member's -100,000 hid another's escalation, and 1e308 made one.
  const given = extension.severity?.score;
  const score = typeof given === 'number' && Number.isFinite(given) && given >= 0 && given <= 100 ? given : null;
  const givenLevel = extension.severity?.level;
  const sectors = Array.isArray(extension.sectors) ? extension.sectors.filter((s): s is string => typeof s === 'string' && CRITICAL.has(s)).sort() : [];
  const row: repo.IncidentRow = {
    id: version.id,
    actor_ref: actor.ref,
    title: typeof body.name === 'string' ? body.name.slice(0, 300) : version.id,
    confidence,
    score,
    level: typeof givenLevel === 'number' && Number.isInteger(givenLevel) && givenLevel >= 0 && givenLevel <= 5 ? givenLevel : null,
    weight: ((score ?? FORMULA.unscoredIncident) * confidence) / 100,
    day: dayFrom(extension.started_at, extension.detected_at, body.created),
    // The node writes the copies of its incidents: their reporting member is its own record's.
    member: version.submitter === 'node' && !version.origin_member && typeof extension.reporting_member === 'string' && extension.reporting_member !== '' ? extension.reporting_member : memberOf(batch, version),
    sectors: `,${sectors.join(',')}${sectors.length > 0 ? ',' : ''}`,
    access_key: version.access_key,
    origin: version.origin_member ?? '',
  };
  await repo.putIncident(batch.tx, row);
  incidentBuckets(batch, row, 1);
}

/** Applies versions as one batch in the transaction given; answers the terms it numbered. */
async function applyBatch(tx: WriteTx, identities: Map<string, string>, terms: Terms, versions: readonly intel.SequencedVersion[]): Promise<Array<{ id: number; term: string }>> {
  const batch: Batch = { tx, deltas: new Deltas(), identities, sightings: new Map(), changed: new Set(), changedAbout: new Set(), linksFrom: new Map(), links: new Map(), changedLinks: new Set(), about: new Map() };
  await prepareSightings(batch, versions);
  await prepareLinks(batch, versions);
  for (const version of versions) {
    const body = parse(version.body);
    if (version.type === 'sighting') await applySighting(batch, version, body);
    else if (version.type === 'relationship') await applyRelationship(batch, version, body);
    else await applyIncident(batch, version, body);
  }
  await writeSightings(batch);
  await writeLinks(batch);
  // Terms another process numbered since this one last read them.
  await terms.refresh(tx.db);
  return writeWeeks(tx, terms, batch.deltas.values());
}

/**
 * Applies the next batch of versions after the watermark; answers how many it applied (0: the
 * view is up to date). The versions are read before the write transaction; the follower's state
 * is checked again inside it, so that of two processes that read the same batch one applies it,
 * and a batch read before an object in it was deleted (see forget) is read again.
 * A follower: it waits for a bulk ingest's transaction to commit rather than cut it short.
 */
export async function followOnce(ctx: AppContext, limit = BATCH): Promise<number> {
  for (;;) {
    const from = await repo.followerState(ctx.store.db);
    const versions = await intel.versionsSince(ctx, FOLLOWED_TYPES, from.seq, limit);
    if (versions.length === 0) return 0;
    const identities = await directory.memberIdentities(ctx);
    const terms = termsOf(ctx);
    let numbered: Array<{ id: number; term: string }> = [];
    const applied = await writeTransaction(ctx.store, async (tx) => {
      if (!repo.sameState(await repo.followerState(tx.db), from)) return undefined;
      numbered = await applyBatch(tx, identities, terms, versions);
      await repo.setWatermark(tx, versions[versions.length - 1]!.seq);
      return versions.length;
    }, BACKGROUND);
    for (const { id, term } of numbered) terms.add(id, term);
    if (applied !== undefined) return applied;
  }
}

/**
 * An object was deleted from the store (by this process: deletions are not shared). When no
 * version of it is current any more, what it added to the view is taken back; a version left
 * current was moved after the rest (intel.repo deleteVersions), and replaces it in its turn. In one
 * transaction with the count of objects taken out, so that a batch the follower read before the
 * deletion is read again rather than applied.
 */
async function forget(ctx: AppContext, id: string, type: string): Promise<void> {
  if (!(FOLLOWED_TYPES as readonly string[]).includes(type)) return;
  const identities = await directory.memberIdentities(ctx);
  const terms = termsOf(ctx);
  let numbered: Array<{ id: number; term: string }> = [];
  await writeTransaction(ctx.store, async (tx) => {
    if (await intel.holdsCurrent(tx, id)) return;
    // As a revoked version of it: each kind takes back what its previous version added.
    const gone: intel.SequencedVersion = { seq: 0, id, type, revoked: 1, created: null, access_key: null, origin_member: null, created_by_ref: null, submitter: null, about_ref: null, target_ref: null, confidence: null, body: '' };
    numbered = await applyBatch(tx, identities, terms, [gone]);
    await repo.countForgotten(tx);
  }, BACKGROUND);
  for (const { id: number, term } of numbered) terms.add(number, term);
}

/** The deletions this process takes out of the view, one after another. */
const FORGETTING = storeState('assessment.forgetting', () => ({ chain: Promise.resolve() }));

/** Takes a deleted object out of the view after those before it (see forget); the bus does not wait. */
export function forgetDeleted(ctx: AppContext, id: string, type: string): void {
  const state = ctx.store.state.get(FORGETTING);
  state.chain = state.chain
    .then(() => forget(ctx, id, type))
    .catch((error: unknown) => ctx.logger.error({ err: error, id }, 'assessment: a deleted object could not be taken out of the view; it counts until it is'));
}

/**
 * Applies batches until the view is up to date (deleted objects this process is taking out of it
 * first); answers how many versions it applied. A turn of
 * the event loop between batches: behind a bulk ingest the backlog is hundreds of batches, which
 * on SQLite would otherwise run in one go and keep every request of the node waiting seconds.
 */
export async function catchUp(ctx: AppContext, onBatch?: (applied: number) => void): Promise<number> {
  await ctx.store.state.get(FORGETTING).chain;
  let total = 0;
  for (;;) {
    const applied = await followOnce(ctx);
    if (applied === 0) return total;
    total += applied;
    onBatch?.(total);
    await nextTurn();
  }
}

export { dayOf };
