import type { Kysely } from 'kysely';

/**
 * What a list shows of a proposal besides its columns (options, text version, silence) and whose
 * share of the consultation it takes, apart from its document: the board and the proposal list
 * read every document whole to show them, and a proposal holds up to about 1.3 MB of breaks,
 * amendments and history. Filled from the documents for proposals made before, 50 at a time
 * (at most about 65 MB of documents in memory at once).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('decision_proposals').addColumn('head', 'text').execute();
  const any = db as unknown as Kysely<{ decision_proposals: { id: string; document: string; head: string | null } }>;
  let after = '';
  for (;;) {
    const rows = await any.selectFrom('decision_proposals').select(['id', 'document']).where('id', '>', after).orderBy('id').limit(50).execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const d = JSON.parse(row.document) as { options: unknown; text_version: unknown; silence: unknown; proposing_member: unknown; withdrawn_by?: unknown };
      const head = { options: d.options, text_version: d.text_version, silence: d.silence, proposing_member: d.proposing_member, withdrawn_by: d.withdrawn_by ?? null };
      await any.updateTable('decision_proposals').set({ head: JSON.stringify(head) }).where('id', '=', row.id).execute();
    }
    after = rows[rows.length - 1]!.id;
  }
}
