import type { Kysely } from 'kysely';

/**
 * Statuses of Add Objects by requester, newest first: each new status reads the owner's to drop
 * those past the newest STATUSES_PER_OWNER (taxii.repo.ts insertStatus), which without this
 * index read every status of the node.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('taxii_status_owner').on('taxii_status').columns(['owner', 'created_at', 'id']).execute();
}
