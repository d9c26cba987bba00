/** The only SQL of the audit module: the append-only, hash-chained audit log. */
import type { Selectable } from 'kysely';
import type { WriteTx, Store } from '../../db/database.js';
import type { AuditLogTable } from '../../db/schema.js';

export type AuditRow = Selectable<AuditLogTable>;

/** The newest entry (the head of the chain), read inside the writer's transaction. */
export async function head(tx: WriteTx): Promise<{ seq: number; hash: string } | undefined> {
  const row = await tx.db.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
}

export async function append(tx: WriteTx, rows: AuditRow[]): Promise<void> {
  if (rows.length > 0) await tx.db.insertInto('audit_log').values(rows).execute();
}

/** Entries in chain order, a page at a time. */
export async function page(store: Store, afterSeq: number, limit: number): Promise<AuditRow[]> {
  const rows = await store.db.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}
