/** The only SQL of the cumulative assessment: its view of the store (state, buckets) and the assessors' inputs. */
import { sql, type Kysely, type Selectable } from 'kysely';
import { readableRecords } from '../../db/access-filter.js';
import type { PreparedRead } from '../../db/adapter.js';
import type { Store, WriteTx } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { RecordColumns, RecordReadScope } from '../../policy/record.js';

export interface StateTable {
  name: string;
  value: number;
}
export interface SightingsTable {
  id: string;
  about_ref: string;
  day: string;
  member: string;
  count: number;
  weight: number;
  access_key: number;
  origin: string;
}
export interface LinksTable {
  id: string;
  source_ref: string;
  source_type: string;
  actor_ref: string;
  confidence: number;
  day: string;
  access_key: number;
  origin: string;
}
export interface IncidentsTable {
  id: string;
  actor_ref: string;
  title: string;
  confidence: number;
  score: number | null;
  level: number | null;
  weight: number;
  day: string;
  member: string;
  sectors: string;
  access_key: number;
  origin: string;
}
/** One actor's buckets of one week (the seven days from `week`), packed (assessment.facts.ts WeekEntries). */
export interface WeeksTable {
  actor_ref: string;
  week: string;
  buckets: number;
  entries: Uint8Array;
}
/** What the packed buckets name by number: 'member:…', 'sectors:…', 'access:key|origin', 'class:…' (assessment.facts.ts Terms). */
export interface TermsTable {
  id: number;
  term: string;
}
export interface InputsTable extends RecordColumns {
  id: string;
  actor_ref: string;
  factor: string;
  rating: number;
  rationale: string;
  assessor: string;
  created: string;
  modified: string;
}

declare module '../../db/schema.js' {
  interface Database {
    assessment_state: StateTable;
    assessment_sightings: SightingsTable;
    assessment_links: LinksTable;
    assessment_incidents: IncidentsTable;
    assessment_weeks: WeeksTable;
    assessment_terms: TermsTable;
    assessment_inputs: InputsTable;
  }
}

export type SightingRow = Selectable<SightingsTable>;
export type LinkRow = Selectable<LinksTable>;
export type IncidentRow = Selectable<IncidentsTable>;
export type WeekRow = Selectable<WeeksTable>;
export type InputRow = Selectable<InputsTable>;

type Executor = Kysely<Database>;

const numberOr = (value: unknown) => (value === null ? null : Number(value));

export async function watermark(db: Executor): Promise<number> {
  return (await followerState(db)).seq;
}

/**
 * Where the follower stands: its watermark, and how many deleted objects were taken out of the
 * view besides (a change of the view that does not move the watermark). Equal states: the same view.
 */
export interface FollowerState {
  seq: number;
  forgotten: number;
}

export async function followerState(db: Executor): Promise<FollowerState> {
  const rows = await db.selectFrom('assessment_state').select(['name', 'value']).where('name', 'in', ['seq', 'forgotten']).execute();
  const state: FollowerState = { seq: 0, forgotten: 0 };
  for (const row of rows) state[row.name as keyof FollowerState] = Number(row.value);
  return state;
}

export const sameState = (a: FollowerState, b: FollowerState) => a.seq === b.seq && a.forgotten === b.forgotten;

/** One more deleted object taken out of the view (in the transaction that took it out). */
export async function countForgotten(tx: WriteTx): Promise<void> {
  const { forgotten } = await followerState(tx.db);
  await tx.db.insertInto('assessment_state').values({ name: 'forgotten', value: forgotten + 1 }).onConflict((oc) => oc.column('name').doUpdateSet({ value: forgotten + 1 })).execute();
}

export async function setWatermark(tx: WriteTx, seq: number): Promise<void> {
  await tx.db.insertInto('assessment_state').values({ name: 'seq', value: seq }).onConflict((oc) => oc.column('name').doUpdateSet({ value: seq })).execute();
}

/** The sightings of these ids as last applied (a batch's, read at once). */
export async function sightingsOf(db: Executor, ids: readonly string[]): Promise<SightingRow[]> {
  const out: SightingRow[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('assessment_sightings').selectAll().where('id', 'in', ids.slice(i, i + 500)).execute();
    for (const row of rows) out.push({ ...row, count: Number(row.count), weight: Number(row.weight), access_key: Number(row.access_key) });
  }
  return out;
}

/** The follower's tables of what it applied, by id, and the columns a new version of a row replaces. */
const APPLIED_COLUMNS = {
  assessment_sightings: ['about_ref', 'day', 'member', 'count', 'weight', 'access_key', 'origin'],
  assessment_links: ['source_ref', 'source_type', 'actor_ref', 'confidence', 'day', 'access_key', 'origin'],
} as const;

/** Writes rows as now applied (a batch's, 500 rows a statement) and removes those of `removed`. */
export async function writeApplied(tx: WriteTx, table: 'assessment_sightings', rows: readonly SightingRow[], removed: readonly string[]): Promise<void>;
export async function writeApplied(tx: WriteTx, table: 'assessment_links', rows: readonly LinkRow[], removed: readonly string[]): Promise<void>;
export async function writeApplied(tx: WriteTx, table: keyof typeof APPLIED_COLUMNS, rows: ReadonlyArray<SightingRow | LinkRow>, removed: readonly string[]): Promise<void> {
  for (let i = 0; i < removed.length; i += 500) await tx.db.deleteFrom(table).where('id', 'in', removed.slice(i, i + 500)).execute();
  const replaced = Object.fromEntries(APPLIED_COLUMNS[table].map((column) => [column, sql.ref(`excluded.${column}`)]));
  for (let i = 0; i < rows.length; i += 500) {
    await tx.db
      .insertInto(table)
      .values(rows.slice(i, i + 500) as never)
      .onConflict((oc) => oc.column('id').doUpdateSet(replaced as never))
      .execute();
  }
}

/** The sightings about each of these objects, summed by day, member and access (a batch's, read at once). */
export async function sightingsAbout(db: Executor, abouts: readonly string[]): Promise<Map<string, SightingGroup[]>> {
  const out = new Map<string, SightingGroup[]>();
  for (const about of abouts) out.set(about, []);
  for (let i = 0; i < abouts.length; i += 500) {
    const rows = await db
      .selectFrom('assessment_sightings')
      .select(['about_ref', 'day', 'member', 'access_key', 'origin', sql<number>`sum(count)`.as('count'), sql<number>`sum(weight)`.as('weight')])
      .where('about_ref', 'in', abouts.slice(i, i + 500))
      .groupBy(['about_ref', 'day', 'member', 'access_key', 'origin'])
      .execute();
    for (const r of rows) out.get(r.about_ref)!.push({ day: r.day, member: r.member, access_key: Number(r.access_key), origin: r.origin, count: Number(r.count), weight: Number(r.weight) });
  }
  return out;
}

export interface SightingGroup {
  day: string;
  member: string;
  access_key: number;
  origin: string;
  count: number;
  weight: number;
}

/** The links as last applied whose id, or whose source, is one of these (a batch's, read at once). */
async function linksBy(db: Executor, column: 'id' | 'source_ref', values: readonly string[]): Promise<LinkRow[]> {
  const out: LinkRow[] = [];
  for (let i = 0; i < values.length; i += 500) {
    const rows = await db.selectFrom('assessment_links').selectAll().where(column, 'in', values.slice(i, i + 500)).execute();
    for (const row of rows) out.push({ ...row, confidence: Number(row.confidence), access_key: Number(row.access_key) });
  }
  return out;
}

export const linksOf = (db: Executor, ids: readonly string[]) => linksBy(db, 'id', ids);
export const linksFrom = (db: Executor, sources: readonly string[]) => linksBy(db, 'source_ref', sources);

/** The links into these actors from sources of these types (actors attributed to them), at most `limit`. */
export async function linksTo(db: Executor, actors: readonly string[], sourceTypes: readonly string[], limit: number): Promise<LinkRow[]> {
  if (actors.length === 0) return [];
  const rows = await db
    .selectFrom('assessment_links')
    .selectAll()
    .where('actor_ref', 'in', [...actors])
    .where('source_type', 'in', [...sourceTypes])
    .orderBy('actor_ref')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...row, confidence: Number(row.confidence), access_key: Number(row.access_key) }));
}

export async function findIncident(db: Executor, id: string): Promise<IncidentRow | undefined> {
  const row = await db.selectFrom('assessment_incidents').selectAll().where('id', '=', id).executeTakeFirst();
  return row && numericIncident(row);
}

function numericIncident(row: IncidentRow): IncidentRow {
  return { ...row, confidence: Number(row.confidence), score: numberOr(row.score), level: numberOr(row.level), weight: Number(row.weight), access_key: Number(row.access_key) };
}

export async function putIncident(tx: WriteTx, row: IncidentRow): Promise<void> {
  const { id: _id, ...rest } = row;
  await tx.db.insertInto('assessment_incidents').values(row).onConflict((oc) => oc.column('id').doUpdateSet(rest)).execute();
}

export async function deleteIncident(tx: WriteTx, id: string): Promise<void> {
  await tx.db.deleteFrom('assessment_incidents').where('id', '=', id).execute();
}

const HEAVIEST: PreparedRead = {
  name: 'assessment_heaviest',
  text: (p) =>
    `select id, weight, access_key, origin from assessment_incidents where actor_ref = ${p.value()} and day > ${p.value()} ` +
    `and (access_key ${p.in('int8')} or origin = ${p.value()}) order by weight desc, id limit ${p.value()}`,
};

/**
 * The incidents attributed to an actor since a day, heaviest first, among the access sets given
 * or originated by the member given: a walk of the actor's index in that order, which decides
 * each from the index alone and stops at `limit` (an actor's tens of thousands of incidents are
 * not sorted for each answer). Their ids, weights and access; incidentsOf reads the rest.
 */
export async function heaviestIncidents(
  store: Store,
  actor: string,
  since: string,
  accessKeys: readonly number[],
  ownMember: string | null,
  limit: number,
): Promise<Array<{ id: string; weight: number; access_key: number; origin: string }>> {
  if (accessKeys.length === 0 && ownMember === null) return [];
  // No stored origin equals null: without a member, only the access sets decide.
  const rows = await store.adapter.readArrays<[string, number, number, string]>(HEAVIEST, [actor, since, accessKeys.length === 0 ? [-1] : [...accessKeys], ownMember, limit]);
  return rows.map(([id, weight, accessKey, origin]) => ({ id, weight: Number(weight), access_key: Number(accessKey), origin }));
}

/** The incidents of these ids as last applied. */
export async function incidentsOf(db: Executor, ids: readonly string[]): Promise<IncidentRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('assessment_incidents').selectAll().where('id', 'in', [...ids]).execute();
  return rows.map(numericIncident);
}

/** Actors' packed week rows from a week on, with the actor and week. */
const WEEKS_OF: PreparedRead = {
  name: 'assessment_weeks_of',
  text: (p) => `select actor_ref, week, entries from assessment_weeks where actor_ref ${p.in('text')} and week >= ${p.value()}`,
};
const WEEKS_SINCE: PreparedRead = {
  name: 'assessment_weeks_since',
  text: (p) => `select actor_ref, week, entries from assessment_weeks where week >= ${p.value()} limit ${p.value()}`,
};

export type PackedWeek = [actor: string, week: string, entries: Uint8Array];

/** The week rows of these actors from a week on (a prepared read: an assessment's one large read). */
export async function weeksOf(store: Store, actors: readonly string[], fromWeek: string): Promise<PackedWeek[]> {
  if (actors.length === 0) return [];
  return store.adapter.readArrays<PackedWeek>(WEEKS_OF, [[...actors], fromWeek]);
}

/** Every actor's week rows from a week on (the list of actors), at most `limit`. */
export async function weeksSince(store: Store, fromWeek: string, limit: number): Promise<PackedWeek[]> {
  return store.adapter.readArrays<PackedWeek>(WEEKS_SINCE, [fromWeek, limit]);
}

/** The rows a batch of the follower changes, read in its write transaction. */
export async function weeksFor(tx: WriteTx, actor: string, weeks: readonly string[]): Promise<Array<{ week: string; entries: Uint8Array }>> {
  if (weeks.length === 0) return [];
  return tx.db.selectFrom('assessment_weeks').select(['week', 'entries']).where('actor_ref', '=', actor).where('week', 'in', [...weeks]).execute();
}

/** Writes week rows (a batch's, 250 rows a statement). */
export async function putWeeks(tx: WriteTx, rows: readonly WeekRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 250) {
    await tx.db
      .insertInto('assessment_weeks')
      .values(rows.slice(i, i + 250))
      .onConflict((oc) => oc.columns(['actor_ref', 'week']).doUpdateSet((eb) => ({ buckets: eb.ref('excluded.buckets'), entries: eb.ref('excluded.entries') })))
      .execute();
  }
}

export async function deleteWeeks(tx: WriteTx, actor: string, weeks: readonly string[]): Promise<void> {
  for (let i = 0; i < weeks.length; i += 500) await tx.db.deleteFrom('assessment_weeks').where('actor_ref', '=', actor).where('week', 'in', weeks.slice(i, i + 500)).execute();
}

/** The terms numbered after `afterId`, in order. */
export async function termsAfter(db: Executor, afterId: number): Promise<Array<{ id: number; term: string }>> {
  const rows = await db.selectFrom('assessment_terms').select(['id', 'term']).where('id', '>', afterId).orderBy('id').execute();
  return rows.map((row) => ({ id: Number(row.id), term: row.term }));
}

const TERMS_AFTER: PreparedRead = {
  name: 'assessment_terms_after',
  text: (p) => `select id, term from assessment_terms where id > ${p.value()} order by id`,
};

/** termsAfter by a prepared read, outside a write transaction. */
export async function termsAfterIn(store: Store, afterId: number): Promise<Array<[id: number, term: string]>> {
  return store.adapter.readArrays<[number, string]>(TERMS_AFTER, [afterId]);
}

/** The highest term number stored (0: none). */
export async function lastTermId(db: Executor): Promise<number> {
  const row = await db.selectFrom('assessment_terms').select(sql<number | null>`max(id)`.as('id')).executeTakeFirst();
  return row?.id === null || row?.id === undefined ? 0 : Number(row.id);
}

export async function insertTerms(tx: WriteTx, rows: ReadonlyArray<{ id: number; term: string }>): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await tx.db.insertInto('assessment_terms').values(rows.slice(i, i + 500)).execute();
}

export async function insertInput(tx: WriteTx, row: InputRow): Promise<void> {
  await tx.db.insertInto('assessment_inputs').values(row).execute();
}

export async function inputsOf(db: Executor, scope: RecordReadScope, actor: string, limit: number): Promise<InputRow[]> {
  const rows = await db.selectFrom('assessment_inputs').selectAll().where('actor_ref', '=', actor).where(readableRecords(scope)).orderBy('created', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((row) => ({ ...row, rating: Number(row.rating), classification: numberOr(row.classification) }));
}

/** The ids of one member's inputs (null: the node's users') on one factor of an actor, oldest first. */
export async function memberFactorInputs(db: Executor, actor: string, member: string | null, factor: string): Promise<Array<{ id: string } & RecordColumns>> {
  return db
    .selectFrom('assessment_inputs')
    .select(['id', 'tlp', 'classification', 'releasability', 'origin_member', 'owner', 'recipients'])
    .where('actor_ref', '=', actor)
    .where('factor', '=', factor)
    .where((eb) => (member === null ? eb('origin_member', 'is', null) : eb('origin_member', '=', member)))
    .orderBy('created')
    .orderBy('id')
    .execute();
}

export async function deleteInputs(tx: WriteTx, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await tx.db.deleteFrom('assessment_inputs').where('id', 'in', [...ids]).execute();
}
