import type { Kysely } from 'kysely';
import type { DialectName } from '../../../db/database.js';
import { addRecordColumns } from '../../../db/record-columns.js';

/**
 * The cumulative assessment's view of the store, built by following it by sequence
 * (assessment.facts.ts): the sightings, attribution relationships and incidents as last applied
 * (so that a new version or a revocation takes back exactly what the previous one added), and the
 * daily buckets of evidence per actor that an assessment sums. A bucket is kept per access set and
 * originating member of the evidence (and of the attribution that ties it to the actor), so that
 * each reader's total is summed over what the policy lets it read. The buckets of one actor and
 * week are one row, packed (assessment.facts.ts, WeekEntries): an actor of a million sightings is a
 * few hundred rows to read, not a million. Assessors' Schmitt-factor inputs are marked records.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('assessment_state')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('assessment_sightings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('about_ref', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('member', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('weight', 'real', (c) => c.notNull())
    .addColumn('access_key', 'integer', (c) => c.notNull())
    // The member of this node that originated it ('' when none): it reads its own TLP:AMBER+STRICT and RED evidence.
    .addColumn('origin', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('assessment_sightings_about').on('assessment_sightings').column('about_ref').execute();

  await db.schema
    .createTable('assessment_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source_ref', 'text', (c) => c.notNull())
    // The STIX type of the source: an actor's attributions to another actor are found among its
    // thousands of attributed indicators by index.
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('actor_ref', 'text', (c) => c.notNull())
    .addColumn('confidence', 'integer', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('access_key', 'integer', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('assessment_links_source').on('assessment_links').column('source_ref').execute();
  await db.schema.createIndex('assessment_links_actor').on('assessment_links').columns(['actor_ref', 'source_type']).execute();

  await db.schema
    .createTable('assessment_incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('actor_ref', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('confidence', 'integer', (c) => c.notNull())
    .addColumn('score', 'real')
    .addColumn('level', 'integer')
    .addColumn('weight', 'real', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('member', 'text', (c) => c.notNull())
    .addColumn('sectors', 'text', (c) => c.notNull())
    .addColumn('access_key', 'integer', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .execute();
  // An actor's heaviest incidents, walked in the order an assessment lists them; the walk decides
  // on the window and the reader from the index alone (covering), reading only the rows it keeps.
  await db.schema.createIndex('assessment_incidents_actor').on('assessment_incidents').columns(['actor_ref', 'weight desc', 'id', 'day', 'access_key', 'origin']).execute();

  // The terms the packed buckets name by number: members, sets of critical sectors, and pairs of
  // access set and originating member. Only ever added to, so that a number keeps its meaning.
  await db.schema
    .createTable('assessment_terms')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('term', 'text', (c) => c.notNull().unique())
    .execute();

  // One actor's daily buckets of one week (the seven days from `week`): each bucket (day, kind,
  // member, critical sectors, access set and originating member of the evidence and of its
  // attribution) with its count and weight. A week, not a day, per row: an answer reads a few
  // hundred rows rather than thousands (each row read costs more than its bytes).
  await db.schema
    .createTable('assessment_weeks')
    .addColumn('actor_ref', 'text', (c) => c.notNull())
    .addColumn('week', 'text', (c) => c.notNull())
    .addColumn('buckets', 'integer', (c) => c.notNull())
    .addColumn('entries', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('assessment_weeks_pk', ['actor_ref', 'week'])
    .execute();
  await db.schema.createIndex('assessment_weeks_week').on('assessment_weeks').column('week').execute();

  await db.schema
    .createTable('assessment_inputs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('actor_ref', 'text', (c) => c.notNull())
    .addColumn('factor', 'text', (c) => c.notNull())
    .addColumn('rating', 'integer', (c) => c.notNull())
    .addColumn('rationale', 'text', (c) => c.notNull())
    .addColumn('assessor', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .$call(addRecordColumns)
    .execute();
  await db.schema.createIndex('assessment_inputs_actor').on('assessment_inputs').columns(['actor_ref', 'created']).execute();
}
