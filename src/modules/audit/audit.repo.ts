/** The only SQL of the audit module: the append-only, hash-chained audit log. */
import type { Selectable } from 'kysely';
import type { WriteTx, Store } from '../../db/database.js';
import type { AuditLogTable } from '../../db/schema.js';

export type AuditRow = Selectable<AuditLogTable>;

export interface Head {
  seq: number;
  hash: string;
  mac: string | null;
}

/** The newest entry (the head of the chain), read inside the writer's transaction. */
export async function head(tx: WriteTx): Promise<Head | undefined> {
  const row = await tx.db.selectFrom('audit_log').select(['seq', 'hash', 'mac']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.hash, mac: row.mac } : undefined;
}

/** The newest committed entry (for checkpoints). */
export async function headEntry(store: Store): Promise<Head | undefined> {
  const row = await store.db.selectFrom('audit_log').select(['seq', 'hash', 'mac']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.hash, mac: row.mac } : undefined;
}

/** The entry with this number, if the log holds it. */
export async function entryAt(store: Store, seq: number): Promise<Head | undefined> {
  const row = await store.db.selectFrom('audit_log').select(['seq', 'hash', 'mac']).where('seq', '=', seq).executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.hash, mac: row.mac } : undefined;
}

/** The first entry that carries a MAC: those before it were written before the audit key existed. */
export async function firstMacSeq(store: Store): Promise<number | undefined> {
  const row = await store.db.selectFrom('audit_log').select('seq').where('mac', 'is not', null).orderBy('seq').limit(1).executeTakeFirst();
  return row ? Number(row.seq) : undefined;
}

export async function append(tx: WriteTx, rows: AuditRow[]): Promise<void> {
  if (rows.length > 0) await tx.db.insertInto('audit_log').values(rows).execute();
}

/** Entries in chain order, a page at a time. */
export async function page(store: Store, afterSeq: number, limit: number): Promise<AuditRow[]> {
  const rows = await store.db.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/**
 * Which store the log lives in, as checkpoints name it: the SQLite file, or the PostgreSQL
 * database and schema (the same for every process on it, whatever host name each connects with).
 */
export function storeIdentity(store: Store): Promise<string> {
  return store.adapter.identity();
}
