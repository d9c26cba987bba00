/** The only SQL of the federation module: sync state per peer and provenance of received versions. */
import type { Selectable } from 'kysely';
import { insertRowsIgnoringStored, type BulkTable } from '../../db/bulk.js';
import type { Store, WriteTx } from '../../db/database.js';
import type { FederationStateTable } from '../../db/schema.js';

export type StateRow = Selectable<FederationStateTable>;

export async function getState(store: Store, peer: string): Promise<StateRow | undefined> {
  return store.db.selectFrom('federation_state').selectAll().where('peer', '=', peer).executeTakeFirst();
}

export async function listStates(store: Store): Promise<StateRow[]> {
  return store.db.selectFrom('federation_state').selectAll().orderBy('peer').execute();
}

export interface StateChange {
  /** null forgets the cursor (the next pull starts from the start). */
  pullCursor?: string | null;
  pushCursor?: number;
  pulled?: number;
  pushed?: number;
  refused?: number;
  /** Of refused, those the peer refused when this node pushed to it. */
  pushRefused?: number;
  lastPullAt?: string;
  lastPushAt?: string;
  pullOkAt?: string;
  pushOkAt?: string;
  /** An error to record (failures counts up), or null to record a success (failures back to 0). */
  error?: { message: string; at: string } | null;
}

/**
 * Applies a change to a peer's state, creating the row on first use. Written by the sync jobs,
 * which wait for a bulk ingest's transaction to commit rather than cut it short.
 */
export async function changeState(store: Store, peer: string, change: StateChange): Promise<void> {
  await store.adapter.background(() => store.db.insertInto('federation_state').values({ peer }).onConflict((oc) => oc.column('peer').doNothing()).execute());
  const update = store.db
    .updateTable('federation_state')
    .set((eb) => ({
      ...(change.pullCursor !== undefined ? { pull_cursor: change.pullCursor } : {}),
      ...(change.pushCursor !== undefined ? { push_cursor: change.pushCursor } : {}),
      ...(change.pulled ? { pulled: eb('pulled', '+', change.pulled) } : {}),
      ...(change.pushed ? { pushed: eb('pushed', '+', change.pushed) } : {}),
      ...(change.refused ? { refused: eb('refused', '+', change.refused) } : {}),
      ...(change.pushRefused ? { push_refused: eb('push_refused', '+', change.pushRefused) } : {}),
      ...(change.pullOkAt !== undefined ? { pull_ok_at: change.pullOkAt } : {}),
      ...(change.pushOkAt !== undefined ? { push_ok_at: change.pushOkAt } : {}),
      ...(change.lastPullAt !== undefined ? { last_pull_at: change.lastPullAt } : {}),
      ...(change.lastPushAt !== undefined ? { last_push_at: change.lastPushAt } : {}),
      ...(change.error === null ? { failures: 0 } : {}),
      ...(change.error ? { last_error: change.error.message, last_error_at: change.error.at, failures: eb('failures', '+', 1), errors: eb('errors', '+', 1) } : {}),
    }))
    .where('peer', '=', peer);
  await store.adapter.background(() => update.execute());
}

/** Forgets a removed peer's cursors and counts (its provenance records stay). */
export async function deleteState(store: Store, peer: string): Promise<void> {
  await store.db.deleteFrom('federation_state').where('peer', '=', peer).execute();
}

export interface Receipt {
  object_id: string;
  version: string;
  peer: string;
  received_at: string;
}

const CHUNK = 500;

/** Records which peer delivered which versions (a repeat delivery is recorded once). */
export async function recordReceipts(store: Store, receipts: readonly Receipt[]): Promise<void> {
  if (receipts.length === 0) return;
  await store.db.transaction().execute(async (tx) => {
    for (let i = 0; i < receipts.length; i += CHUNK) {
      await tx
        .insertInto('federation_provenance')
        .values(receipts.slice(i, i + CHUNK))
        .onConflict((oc) => oc.columns(['object_id', 'version', 'peer']).doNothing())
        .execute();
    }
  });
}

const RECEIPTS: BulkTable = {
  table: 'federation_provenance',
  columns: [
    { name: 'object_id', pgType: 'text' },
    { name: 'version', pgType: 'text' },
    { name: 'peer', pgType: 'text' },
    { name: 'received_at', pgType: 'text' },
  ],
};

/**
 * Records which peer delivered which versions inside the caller's write transaction (the one
 * that stores them): a prepared statement per row, or one statement per 10,000, not a query
 * built per 500 (a repeat delivery is recorded once).
 */
export async function recordReceiptsInTransaction(tx: WriteTx, peer: string, receivedAt: string, versions: ReadonlyArray<{ id: string; version: string }>): Promise<void> {
  const rows = new Array<[string, string, string, string]>(versions.length);
  for (let i = 0; i < versions.length; i++) rows[i] = [versions[i]!.id, versions[i]!.version, peer, receivedAt];
  await insertRowsIgnoringStored(tx, RECEIPTS, rows);
}

/** Of these object ids, the versions the peer delivered, as 'id|version'. */
export async function deliveredBy(store: Store, peer: string, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await store.db
      .selectFrom('federation_provenance')
      .select(['object_id', 'version'])
      .where('peer', '=', peer)
      .where('object_id', 'in', ids.slice(i, i + CHUNK))
      .execute();
    for (const row of rows) out.add(`${row.object_id}|${row.version}`);
  }
  return out;
}

/** Where a page of receipts starts: after this version and peer. */
export interface ReceiptKey {
  version: string;
  peer: string;
}

/**
 * A page of the receipts of an object's versions, oldest version first and, of one version, by
 * peer: the order of the table's primary key, so a page reads only its own rows however many
 * versions the object has.
 */
export async function receiptsOf(store: Store, id: string, page: { after?: ReceiptKey; limit: number }): Promise<Receipt[]> {
  let query = store.db.selectFrom('federation_provenance').selectAll().where('object_id', '=', id);
  const after = page.after;
  if (after !== undefined) {
    query = query.where((eb) => eb.or([eb('version', '>', after.version), eb.and([eb('version', '=', after.version), eb('peer', '>', after.peer)])]));
  }
  return query.orderBy('version').orderBy('peer').limit(page.limit).execute();
}
