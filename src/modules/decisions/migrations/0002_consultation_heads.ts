import type { Kysely } from 'kysely';

/**
 * What the board shows of a consultation besides its columns (its subject and participants,
 * which never change), apart from its document: the board read every document whole, up to tens
 * of megabytes each, to show two fields. Filled from the documents for consultations made before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('decision_consultations').addColumn('head', 'text').execute();
  const any = db as unknown as Kysely<{ decision_consultations: { id: string; document: string; head: string | null } }>;
  let after = '';
  for (;;) {
    const rows = await any.selectFrom('decision_consultations').select(['id', 'document']).where('id', '>', after).orderBy('id').limit(500).execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const document = JSON.parse(row.document) as { subject: unknown; participants: unknown };
      await any.updateTable('decision_consultations').set({ head: JSON.stringify({ subject: document.subject, participants: document.participants }) }).where('id', '=', row.id).execute();
    }
    after = rows[rows.length - 1]!.id;
  }
}
