import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../../../db/database.js';
import { addRecordColumns } from '../../../db/record-columns.js';

/**
 * Consultations, proposals, decision records and attribution statements: one row each, its
 * current state, with the marking columns every record carries (policy/record.ts RecordColumns).
 * A consultation is addressed to its participants; its proposals carry its marking. The columns
 * the lists filter and the deadlines' jobs read (status, silence deadline, publication time) sit
 * beside the document that holds the rest (entries, breaks, amendments, history). Decision records
 * are written once and never changed: the repository has no update or delete for them.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('decision_consultations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('subject_ref', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .$call(addRecordColumns)
    .execute();
  await db.schema.createIndex('decision_consultations_modified').on('decision_consultations').columns(['modified', 'id']).execute();
  await db.schema.createIndex('decision_consultations_subject').on('decision_consultations').column('subject_ref').execute();

  await db.schema
    .createTable('decision_proposals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('consultation_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('round', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deadline', 'text')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .$call(addRecordColumns)
    .execute();
  await db.schema.createIndex('decision_proposals_consultation').on('decision_proposals').columns(['consultation_id', 'created']).execute();
  await db.schema.createIndex('decision_proposals_status').on('decision_proposals').columns(['status', 'deadline']).execute();
  await db.schema.createIndex('decision_proposals_modified').on('decision_proposals').columns(['modified', 'id']).execute();

  await db.schema
    .createTable('decision_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('proposal_id', 'text', (c) => c.notNull().unique())
    .addColumn('consultation_id', 'text', (c) => c.notNull())
    .addColumn('adopted_at', 'text', (c) => c.notNull())
    .addColumn('text_sha256', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .$call(addRecordColumns)
    .execute();
  await db.schema.createIndex('decision_records_adopted').on('decision_records').columns(['adopted_at', 'id']).execute();
  // A decision record is never changed nor removed: the store itself refuses it.
  if (dialect === 'sqlite') {
    for (const verb of ['update', 'delete']) {
      await sql.raw(`create trigger decision_records_no_${verb} before ${verb} on decision_records begin select raise(abort, 'decision records are immutable'); end`).execute(db);
    }
  } else {
    await sql`create function decision_records_immutable() returns trigger language plpgsql as $$ begin raise exception 'decision records are immutable'; end $$`.execute(db);
    await sql`create trigger decision_records_no_change before update or delete on decision_records for each row execute function decision_records_immutable()`.execute(db);
  }

  await db.schema
    .createTable('decision_statements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('actor_ref', 'text', (c) => c.notNull())
    .addColumn('publish_at', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .$call(addRecordColumns)
    .execute();
  await db.schema.createIndex('decision_statements_modified').on('decision_statements').columns(['modified', 'id']).execute();
  await db.schema.createIndex('decision_statements_status').on('decision_statements').columns(['status', 'publish_at']).execute();
}
