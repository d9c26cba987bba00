/** The only SQL of the TAXII module: status resources of Add Objects requests, and collections. */
import type { Store } from '../../db/database.js';

/**
 * Stores a status; the statuses older than `keepAfter` go, and so do the owner's beyond its
 * newest `perOwner` (the new one counted, and never among those that go: statuses made in the
 * same millisecond are ordered by id).
 */
export async function insertStatus(
  store: Store,
  row: { id: string; owner: string; created_at: string; body: string },
  keep: { keepAfter: string; perOwner: number },
): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('taxii_status').where('created_at', '<', keep.keepAfter).execute();
    await tx.insertInto('taxii_status').values(row).execute();
    // The newest of the owner's other statuses that goes: the one past the perOwner - 1 kept.
    const last = await tx
      .selectFrom('taxii_status')
      .select(['created_at', 'id'])
      .where('owner', '=', row.owner)
      .where('id', '<>', row.id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .offset(Math.max(0, keep.perOwner - 1))
      .executeTakeFirst();
    if (!last) return;
    await tx
      .deleteFrom('taxii_status')
      .where('owner', '=', row.owner)
      .where('id', '<>', row.id)
      .where((eb) => eb.or([eb('created_at', '<', last.created_at), eb.and([eb('created_at', '=', last.created_at), eb('id', '<=', last.id)])]))
      .execute();
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
