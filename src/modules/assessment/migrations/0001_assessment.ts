import type { Kysely } from 'kysely';
import { addRecordColumns } from '../../../db/record-columns.js';

/**
 * The cumulative assessment's view of the store, built by following it by sequence
 * (assessment.facts.ts): the sightings, attribution relationships and incidents as last applied
 * (so that a new version or a revocation takes back exactly what the previous one added), and the
 * daily buckets of evidence per actor that an assessment sums. A bucket is kept per access set and
 * originating member of the evidence (and of the attribution that ties it to the actor), so that each reader's total is
 * summed over what the policy lets it read. Assessors' Schmitt-factor inputs are marked records.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
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
    .addColumn('actor_ref', 'text', (c) => c.notNull())
    .addColumn('confidence', 'integer', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('access_key', 'integer', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('assessment_links_source').on('assessment_links').column('source_ref').execute();
  await db.schema.createIndex('assessment_links_actor').on('assessment_links').column('actor_ref').execute();

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
  await db.schema.createIndex('assessment_incidents_actor').on('assessment_incidents').columns(['actor_ref', 'weight']).execute();

  await db.schema
    .createTable('assessment_buckets')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('actor_ref', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('member', 'text', (c) => c.notNull())
    .addColumn('sectors', 'text', (c) => c.notNull())
    .addColumn('access_key', 'integer', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    // The access set (and originating member) of the attribution that ties the evidence to the actor; 0 when it is the actor's own.
    .addColumn('link_key', 'integer', (c) => c.notNull())
    .addColumn('link_origin', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('weight', 'real', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('assessment_buckets_actor').on('assessment_buckets').columns(['actor_ref', 'day']).execute();
  await db.schema.createIndex('assessment_buckets_day').on('assessment_buckets').column('day').execute();

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
