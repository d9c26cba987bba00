import type { Kysely } from 'kysely';
import { addRecordColumns } from '../../../db/record-columns.js';

/**
 * Requests for assistance, offers and deployments: one row each, its current state, with the
 * marking columns every record carries (policy/record.ts RecordColumns): a request is marked by
 * its requester and addressed to the coordinating members, and, once approved, to the members
 * whose standby teams match; an offer and its deployment are addressed to the requesting and the
 * offering member and the coordinators. The columns the board filters and the clocks read are
 * kept beside the document that holds the rest (approvals, constraints, history, sitreps).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('assistance_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('urgency', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    // ',malware-analysis,digital-forensics,' as releasability lists are kept.
    .addColumn('capabilities', 'text', (c) => c.notNull())
    .addColumn('offers', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deployments', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('submitted_at', 'text', (c) => c.notNull())
    .addColumn('approved_at', 'text')
    .addColumn('first_offer_at', 'text')
    .addColumn('deployed_at', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .$call(addRecordColumns)
    .execute();
  await db.schema.createIndex('assistance_requests_modified').on('assistance_requests').columns(['modified', 'id']).execute();
  await db.schema.createIndex('assistance_requests_incident').on('assistance_requests').column('incident_id').execute();
  await db.schema.createIndex('assistance_requests_submitted').on('assistance_requests').column('submitted_at').execute();

  for (const table of ['assistance_offers', 'assistance_deployments'] as const) {
    let builder = db.schema
      .createTable(table)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull());
    if (table === 'assistance_deployments') builder = builder.addColumn('offer_id', 'text', (c) => c.notNull());
    await builder
      .addColumn('created', 'text', (c) => c.notNull())
      .addColumn('modified', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .$call(addRecordColumns)
      .execute();
    await db.schema.createIndex(`${table}_request`).on(table).columns(['request_id', 'created']).execute();
    await db.schema.createIndex(`${table}_modified`).on(table).columns(['modified', 'id']).execute();
  }
}
