import type { Kysely } from 'kysely';

/**
 * Incidents: one row per incident, its current state. The marking columns are those of every
 * record (policy/record.ts RecordColumns); the columns the board filters and orders on (status,
 * level, sectors, modified) are kept beside the document that holds the rest (summary, systems,
 * timeline, tasks, links, suspected actor, severity selections, delegates), so that a change is
 * one row written with its version checked. Every version is also a STIX incident object in the
 * intel store (same id), which is how an incident federates.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('level', 'integer')
    .addColumn('score', 'real')
    .addColumn('significant', 'integer', (c) => c.notNull().defaultTo(0))
    // ',energy,health,' (',' when none), as releasability lists are kept.
    .addColumn('sectors', 'text', (c) => c.notNull())
    // 'local': reported on this node; 'peer': received as a STIX incident.
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('tlp', 'text')
    .addColumn('classification', 'integer')
    .addColumn('releasability', 'text')
    .addColumn('origin_member', 'text')
    .addColumn('owner', 'text')
    .addColumn('recipients', 'text')
    .execute();
  await db.schema.createIndex('incidents_modified').on('incidents').columns(['modified', 'id']).execute();
  await db.schema.createIndex('incidents_origin').on('incidents').columns(['origin_member', 'modified']).execute();
  await db.schema.createIndex('incidents_owner').on('incidents').column('owner').execute();
}
