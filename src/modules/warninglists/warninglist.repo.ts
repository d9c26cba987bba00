/** The only SQL of warning lists: lists, their entries, and the revision counter changes move. */
import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import { insertRows, type BulkTable } from '../../db/bulk.js';
import type { Store, WriteTx } from '../../db/database.js';
import type { Database, WarningListEntriesTable, WarningListsTable } from '../../db/schema.js';

export type ListRow = Selectable<WarningListsTable>;
export type EntryRow = Selectable<WarningListEntriesTable>;
export type NewEntry = Pick<EntryRow, 'kind' | 'value' | 'comment'>;

/** Rows per multi-row insert: five parameters each, within every engine's limit. */
const INSERT_BATCH = 1000;

const ENTRIES: BulkTable = {
  table: 'warning_list_entries',
  columns: [
    { name: 'list_id', pgType: 'text' },
    { name: 'kind', pgType: 'text' },
    { name: 'value', pgType: 'text' },
    { name: 'comment', pgType: 'text' },
    { name: 'added_at', pgType: 'text' },
  ],
};

export async function revision(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('warning_list_revision').select('revision').where('id', '=', 1).executeTakeFirst();
  return Number(row?.revision ?? 0);
}

/** Moves the counter on (inside the write transaction of the change) and returns its new value. */
export async function nextRevision(db: Kysely<Database>): Promise<number> {
  await db.updateTable('warning_list_revision').set((eb) => ({ revision: eb('revision', '+', 1) })).where('id', '=', 1).execute();
  return revision(db);
}

export async function listLists(db: Kysely<Database>): Promise<ListRow[]> {
  return db.selectFrom('warning_lists').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function findList(db: Kysely<Database>, id: string): Promise<ListRow | undefined> {
  return db.selectFrom('warning_lists').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findListByName(db: Kysely<Database>, memberCode: string | null, name: string): Promise<ListRow | undefined> {
  return db
    .selectFrom('warning_lists')
    .selectAll()
    .where((eb) => (memberCode === null ? eb('member_code', 'is', null) : eb('member_code', '=', memberCode)))
    .where('name', '=', name)
    .executeTakeFirst();
}

/** How many lists one member (null: the node) owns, and the entries and bytes they hold in all. */
export async function ownerTotals(db: Kysely<Database>, memberCode: string | null): Promise<{ lists: number; entries: number; bytes: number }> {
  const row = await db
    .selectFrom('warning_lists')
    .select((eb) => [
      eb.fn.countAll<number>().as('lists'),
      eb.fn.coalesce(eb.fn.sum<number>('entries'), sql<number>`0`).as('entries'),
      eb.fn.coalesce(eb.fn.sum<number>('bytes'), sql<number>`0`).as('bytes'),
    ])
    .where((eb) => (memberCode === null ? eb('member_code', 'is', null) : eb('member_code', '=', memberCode)))
    .executeTakeFirstOrThrow();
  return { lists: Number(row.lists), entries: Number(row.entries), bytes: Number(row.bytes) };
}

/** What an entry weighs against its member's budget: the UTF-8 bytes of its value and comment (as migration 0002 counts them). */
export function entryBytes(entry: Pick<NewEntry, 'value' | 'comment'>): number {
  return Buffer.byteLength(entry.value) + (entry.comment === null ? 0 : Buffer.byteLength(entry.comment));
}

/** The bytes of entries, all of them. */
export function entriesBytes(entries: readonly NewEntry[]): number {
  let total = 0;
  for (const entry of entries) total += entryBytes(entry);
  return total;
}

export async function insertList(db: Kysely<Database>, row: Insertable<WarningListsTable>): Promise<void> {
  await db.insertInto('warning_lists').values(row).execute();
}

export async function updateList(db: Kysely<Database>, id: string, change: Updateable<WarningListsTable>): Promise<void> {
  await db.updateTable('warning_lists').set(change).where('id', '=', id).execute();
}

/** The set of entry rows a list reads (warning_list_entries.list_id). */
export function setOf(row: Pick<ListRow, 'id' | 'entries_set'>): string {
  return row.entries_set ?? row.id;
}

/** Deletes the list's row; its entries are purged apart (markPurge, purgeSlice). */
export async function deleteList(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('warning_lists').where('id', '=', id).execute();
}

export async function countEntries(db: Kysely<Database>, set: string): Promise<number> {
  const row = await db.selectFrom('warning_list_entries').select((eb) => eb.fn.countAll<number>().as('n')).where('list_id', '=', set).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Names a set whose rows are to be deleted (given up, or being filled: then since is when filling began). */
export async function markPurge(db: Kysely<Database>, set: string, since: string): Promise<void> {
  await db.insertInto('warning_list_purges').values({ set_id: set, since }).onConflict((oc) => oc.column('set_id').doNothing()).execute();
}

export async function unmarkPurge(db: Kysely<Database>, set: string): Promise<void> {
  await db.deleteFrom('warning_list_purges').where('set_id', '=', set).execute();
}

/** Sets marked for purging before `before` (left by a failed or interrupted change), oldest first. */
export async function purgesBefore(db: Kysely<Database>, before: string, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('warning_list_purges').select('set_id').where('since', '<', before).orderBy('since').limit(limit).execute();
  return rows.map((r) => r.set_id);
}

/**
 * Deletes up to `limit` rows of a set, in key order; once none are left, its purge mark too.
 * The number deleted.
 */
export async function purgeSlice(db: Kysely<Database>, set: string, limit: number): Promise<number> {
  const last = await db.selectFrom('warning_list_entries').select(['kind', 'value']).where('list_id', '=', set).orderBy('kind').orderBy('value').limit(1).offset(limit - 1).executeTakeFirst();
  let query = db.deleteFrom('warning_list_entries').where('list_id', '=', set);
  if (last) query = query.where((eb) => eb(eb.refTuple('kind', 'value'), '<=', eb.tuple(last.kind, last.value)));
  const result = await query.executeTakeFirst();
  if (!last) await unmarkPurge(db, set);
  return Number(result.numDeletedRows);
}

/**
 * Copies the next `limit` rows of one set into another, after `after` in key order: the last key
 * copied when more may follow, undefined once the rest was copied.
 */
export async function copySlice(db: Kysely<Database>, from: string, to: string, after: { kind: string; value: string } | undefined, limit: number): Promise<{ kind: string; value: string } | undefined> {
  let next = db.selectFrom('warning_list_entries').select(['kind', 'value']).where('list_id', '=', from);
  if (after) next = next.where((eb) => eb(eb.refTuple('kind', 'value'), '>', eb.tuple(after.kind, after.value)));
  const last = await next.orderBy('kind').orderBy('value').limit(1).offset(limit - 1).executeTakeFirst();
  let source = db.selectFrom('warning_list_entries').select((eb) => [eb.val(to).as('list_id'), 'kind', 'value', 'comment', 'added_at']).where('list_id', '=', from);
  if (after) source = source.where((eb) => eb(eb.refTuple('kind', 'value'), '>', eb.tuple(after.kind, after.value)));
  if (last) source = source.where((eb) => eb(eb.refTuple('kind', 'value'), '<=', eb.tuple(last.kind, last.value)));
  await db.insertInto('warning_list_entries').columns(['list_id', 'kind', 'value', 'comment', 'added_at']).expression(source).execute();
  return last;
}

/** Adds entries a list may already hold (those are left as they are); returns how many were new, and their bytes. */
export async function addEntries(db: Kysely<Database>, set: string, entries: readonly NewEntry[], at: string): Promise<{ added: number; bytes: number }> {
  let added = 0;
  let bytes = 0;
  for (let start = 0; start < entries.length; start += INSERT_BATCH) {
    const rows = entries.slice(start, start + INSERT_BATCH).map((e) => ({ list_id: set, kind: e.kind, value: e.value, comment: e.comment, added_at: at }));
    // The rows written, not those the list held already: their bytes are what the list gains.
    const written = await db
      .insertInto('warning_list_entries')
      .values(rows)
      .onConflict((oc) => oc.columns(['list_id', 'kind', 'value']).doNothing())
      .returning(['value', 'comment'])
      .execute();
    added += written.length;
    for (const row of written) bytes += entryBytes(row);
  }
  return { added, bytes };
}

/** Entries known to be new to the list (an empty list, or after a replace): the engine's bulk path. */
export async function insertNewEntries(tx: WriteTx, set: string, entries: readonly NewEntry[], at: string): Promise<void> {
  await insertRows(tx, ENTRIES, entries.map((e) => [set, e.kind, e.value, e.comment, at]));
}


/** Removes an entry by its normalised value, of one kind or of any; returns how many went, and their bytes. */
export async function deleteEntry(db: Kysely<Database>, set: string, value: string, kind?: string): Promise<{ removed: number; bytes: number }> {
  let query = db.deleteFrom('warning_list_entries').where('list_id', '=', set).where('value', '=', value);
  if (kind !== undefined) query = query.where('kind', '=', kind);
  const gone = await query.returning(['value', 'comment']).execute();
  let bytes = 0;
  for (const row of gone) bytes += entryBytes(row);
  return { removed: gone.length, bytes };
}

/** A page of a list's entries in (kind, value) order, after a position. */
export async function pageEntries(
  db: Kysely<Database>,
  set: string,
  options: { after?: { kind: string; value: string }; kind?: string; limit: number },
): Promise<EntryRow[]> {
  let query = db.selectFrom('warning_list_entries').selectAll().where('list_id', '=', set);
  if (options.kind !== undefined) query = query.where('kind', '=', options.kind);
  const after = options.after;
  // A row-value comparison: both engines read it as one range of the primary key.
  if (after) query = query.where((eb) => eb(eb.refTuple('kind', 'value'), '>', eb.tuple(after.kind, after.value)));
  return query.orderBy('kind').orderBy('value').limit(options.limit).execute();
}

/**
 * Refreshes PostgreSQL's statistics of the entries after a large upload: without them a freshly
 * loaded list looks tiny, and PostgreSQL sorts the whole list for every page it reads instead of
 * walking the primary key (measured: 30 s against 3 s to compile 1M entries). SQLite walks the
 * primary key without them, and its ANALYZE runs on the thread that answers every request: 0.8 s
 * for 2,000,000 entries, during which nothing else was answered. It is not run there.
 */
export async function analyseEntries(store: Store): Promise<void> {
  if (store.dialect !== 'postgres') return;
  await sql`analyze warning_list_entries`.execute(store.db);
}
