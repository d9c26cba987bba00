import type { Kysely } from 'kysely';
import { addRecordColumns } from '../../../db/record-columns.js';

/**
 * Standby rosters: one row per registered team, its current state. The marking columns are those
 * of every record (policy/record.ts RecordColumns). The columns the roster and the standby query
 * filter and order on are kept beside the document (languages, contacts): status, capabilities
 * and modes as lists (',malware-analysis,digital-forensics,'), the response hours per mode (null
 * when the team does not work that way), and what decides when it is on call (time zone, always,
 * the coverage windows as JSON), so that the standby query reads no document.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('assistance_teams')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // 'standing-by' or 'stood-down'.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('capabilities', 'text', (c) => c.notNull())
    .addColumn('modes', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    // The clearance its members hold: a level of the classification scheme.
    .addColumn('clearance', 'integer', (c) => c.notNull())
    .addColumn('remote_hours', 'real')
    .addColumn('onsite_hours', 'real')
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('always', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('coverage', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .$call(addRecordColumns)
    .execute();
  await db.schema.createIndex('assistance_teams_modified').on('assistance_teams').columns(['modified', 'id']).execute();
  await db.schema.createIndex('assistance_teams_origin').on('assistance_teams').columns(['origin_member', 'status']).execute();
  await db.schema.createIndex('assistance_teams_status').on('assistance_teams').columns(['status', 'modified']).execute();
  await db.schema.createIndex('assistance_teams_owner').on('assistance_teams').column('owner').execute();
}
