/** The only SQL of the TAXII module: status resources of Add Objects requests. */
import type { Store } from '../../db/database.js';

export async function insertStatus(store: Store, row: { id: string; owner: string; created_at: string; body: string }, keepAfter: string): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    // Statuses older than the keeping time go as new ones come.
    await tx.deleteFrom('taxii_status').where('created_at', '<', keepAfter).execute();
    await tx.insertInto('taxii_status').values(row).execute();
  });
}

export async function findStatus(store: Store, id: string): Promise<{ owner: string; body: string } | undefined> {
  return store.db.selectFrom('taxii_status').select(['owner', 'body']).where('id', '=', id).executeTakeFirst();
}

export async function listCollections(store: Store): Promise<Array<{ id: string; alias: string; title: string; description: string; audience: string | null }>> {
  return store.db.selectFrom('taxii_collections').select(['id', 'alias', 'title', 'description', 'audience']).orderBy('created_at').orderBy('id').execute();
}

export async function insertCollection(store: Store, row: { id: string; alias: string; title: string; description: string; audience: string | null; created_at: string }): Promise<void> {
  await store.db.insertInto('taxii_collections').values(row).execute();
}
