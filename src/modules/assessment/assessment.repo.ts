/** The only SQL of the cumulative assessment: its view of the store (state, buckets) and the assessors' inputs. */
import { sql, type Kysely, type Selectable } from 'kysely';
import { readableRecords } from '../../db/access-filter.js';
import type { WriteTx } from '../../db/database.js';
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
export interface BucketsTable {
  key: string;
  actor_ref: string;
  kind: string;
  day: string;
  member: string;
  sectors: string;
  access_key: number;
  origin: string;
  link_key: number;
  link_origin: string;
  count: number;
  weight: number;
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
    assessment_buckets: BucketsTable;
    assessment_inputs: InputsTable;
  }
}

export type SightingRow = Selectable<SightingsTable>;
export type LinkRow = Selectable<LinksTable>;
export type IncidentRow = Selectable<IncidentsTable>;
export type BucketRow = Selectable<BucketsTable>;
export type InputRow = Selectable<InputsTable>;

type Executor = Kysely<Database>;

const numberOr = (value: unknown) => (value === null ? null : Number(value));

export async function watermark(db: Executor): Promise<number> {
  const row = await db.selectFrom('assessment_state').select('value').where('name', '=', 'seq').executeTakeFirst();
  return row ? Number(row.value) : 0;
}

export async function setWatermark(tx: WriteTx, seq: number): Promise<void> {
  await tx.db.insertInto('assessment_state').values({ name: 'seq', value: seq }).onConflict((oc) => oc.column('name').doUpdateSet({ value: seq })).execute();
}

export async function findSighting(db: Executor, id: string): Promise<SightingRow | undefined> {
  const row = await db.selectFrom('assessment_sightings').selectAll().where('id', '=', id).executeTakeFirst();
  return row && { ...row, count: Number(row.count), weight: Number(row.weight), access_key: Number(row.access_key) };
}

export async function putSighting(tx: WriteTx, row: SightingRow): Promise<void> {
  const { id: _id, ...rest } = row;
  await tx.db.insertInto('assessment_sightings').values(row).onConflict((oc) => oc.column('id').doUpdateSet(rest)).execute();
}

export async function deleteSighting(tx: WriteTx, id: string): Promise<void> {
  await tx.db.deleteFrom('assessment_sightings').where('id', '=', id).execute();
}

/** The sightings about an object, summed per day, member and access set. */
export async function sightingsAbout(db: Executor, about: string): Promise<Array<{ day: string; member: string; access_key: number; origin: string; count: number; weight: number }>> {
  const rows = await db
    .selectFrom('assessment_sightings')
    .select(['day', 'member', 'access_key', 'origin', sql<number>`sum(count)`.as('count'), sql<number>`sum(weight)`.as('weight')])
    .where('about_ref', '=', about)
    .groupBy(['day', 'member', 'access_key', 'origin'])
    .execute();
  return rows.map((r) => ({ day: r.day, member: r.member, access_key: Number(r.access_key), origin: r.origin, count: Number(r.count), weight: Number(r.weight) }));
}

export async function findLink(db: Executor, id: string): Promise<LinkRow | undefined> {
  const row = await db.selectFrom('assessment_links').selectAll().where('id', '=', id).executeTakeFirst();
  return row && { ...row, confidence: Number(row.confidence), access_key: Number(row.access_key) };
}

export async function linksFrom(db: Executor, sources: readonly string[]): Promise<LinkRow[]> {
  if (sources.length === 0) return [];
  const rows = await db.selectFrom('assessment_links').selectAll().where('source_ref', 'in', [...sources]).execute();
  return rows.map((row) => ({ ...row, confidence: Number(row.confidence), access_key: Number(row.access_key) }));
}

/** The links into an actor (what is attributed to it), at most `limit`. */
export async function linksTo(db: Executor, actor: string, limit: number): Promise<LinkRow[]> {
  const rows = await db.selectFrom('assessment_links').selectAll().where('actor_ref', '=', actor).limit(limit).execute();
  return rows.map((row) => ({ ...row, confidence: Number(row.confidence), access_key: Number(row.access_key) }));
}

export async function putLink(tx: WriteTx, row: LinkRow): Promise<void> {
  const { id: _id, ...rest } = row;
  await tx.db.insertInto('assessment_links').values(row).onConflict((oc) => oc.column('id').doUpdateSet(rest)).execute();
}

export async function deleteLink(tx: WriteTx, id: string): Promise<void> {
  await tx.db.deleteFrom('assessment_links').where('id', '=', id).execute();
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

/** The incidents attributed to these actors since a day, heaviest first, among the access sets given or originated by the member given. */
export async function heaviestIncidents(db: Executor, actors: readonly string[], since: string, accessKeys: readonly number[], ownMember: string | null, limit: number): Promise<IncidentRow[]> {
  if (actors.length === 0 || (accessKeys.length === 0 && ownMember === null)) return [];
  const keys = accessKeys.length === 0 ? [-1] : [...accessKeys];
  const rows = await db
    .selectFrom('assessment_incidents')
    .selectAll()
    .where('actor_ref', 'in', [...actors])
    .where('day', '>', since)
    .where((eb) => (ownMember === null ? eb('access_key', 'in', keys) : eb.or([eb('access_key', 'in', keys), eb('origin', '=', ownMember)])))
    .orderBy('weight', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(numericIncident);
}

/** A change to one bucket: its key and columns, and the count and weight to add (negative to take back). */
export type BucketDelta = BucketsTable;

/** Adds deltas to their buckets (creating them); buckets left empty are removed. */
export async function addToBuckets(tx: WriteTx, deltas: Iterable<BucketDelta>): Promise<void> {
  const keys: string[] = [];
  for (const delta of deltas) {
    if (delta.count === 0 && Math.abs(delta.weight) < 1e-9) continue;
    keys.push(delta.key);
    await tx.db
      .insertInto('assessment_buckets')
      .values(delta)
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          count: sql`assessment_buckets.count + ${delta.count}`,
          weight: sql`assessment_buckets.weight + ${delta.weight}`,
        }),
      )
      .execute();
  }
  for (let i = 0; i < keys.length; i += 500) {
    await tx.db.deleteFrom('assessment_buckets').where('key', 'in', keys.slice(i, i + 500)).where('count', '<=', 0).execute();
  }
}

/** The buckets of these actors after a day. */
export async function bucketsOf(db: Executor, actors: readonly string[], since: string): Promise<BucketRow[]> {
  if (actors.length === 0) return [];
  const rows = await db.selectFrom('assessment_buckets').selectAll().where('actor_ref', 'in', [...actors]).where('day', '>', since).execute();
  return rows.map(numericBucket);
}

/** Every bucket after a day (the list of actors), at most `limit`. */
export async function bucketsSince(db: Executor, since: string, limit: number): Promise<BucketRow[]> {
  const rows = await db.selectFrom('assessment_buckets').selectAll().where('day', '>', since).limit(limit).execute();
  return rows.map(numericBucket);
}

function numericBucket(row: BucketRow): BucketRow {
  return { ...row, access_key: Number(row.access_key), link_key: Number(row.link_key), count: Number(row.count), weight: Number(row.weight) };
}

export async function insertInput(tx: WriteTx, row: InputRow): Promise<void> {
  await tx.db.insertInto('assessment_inputs').values(row).execute();
}

export async function inputsOf(db: Executor, scope: RecordReadScope, actor: string, limit: number): Promise<InputRow[]> {
  const rows = await db.selectFrom('assessment_inputs').selectAll().where('actor_ref', '=', actor).where(readableRecords(scope)).orderBy('created', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((row) => ({ ...row, rating: Number(row.rating), classification: numberOr(row.classification) }));
}

export async function countInputs(db: Executor, actor: string): Promise<number> {
  const row = await db.selectFrom('assessment_inputs').select(sql<number>`count(*)`.as('n')).where('actor_ref', '=', actor).executeTakeFirst();
  return Number(row?.n ?? 0);
}
