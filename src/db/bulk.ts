/**
 * Bulk statements for the hot ingest path, inside a write transaction. Kysely builds one
 * multi-row statement per batch, which costs more than the insert itself at tens of thousands
 * of rows a second; instead the store's adapter runs them its own way: on SQLite one prepared
 * statement per row (microseconds each), on PostgreSQL rows through COPY and keys as one array
 * (= any($1)). See sqlite/sqlite-adapter.ts and postgres/postgres-adapter.ts.
 */
import type { BulkTable, KeyLookup, WriteTx } from './adapter.js';

export type { BulkColumn, BulkTable, KeyLookup } from './adapter.js';

/** Inserts rows (arrays in column order) inside the caller's write transaction. */
export function insertRows(tx: WriteTx, spec: BulkTable, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
  return tx.adapter.insertRows(tx, spec, rows);
}

/**
 * Inserts rows (arrays in column order) inside the caller's write transaction, leaving out those
 * whose key is already stored (the table's primary key or a unique index decides).
 */
export function insertRowsIgnoringStored(tx: WriteTx, spec: BulkTable, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
  return tx.adapter.insertRowsIgnoringStored(tx, spec, rows);
}

/** Rows whose key is one of `keys`, inside the caller's write transaction. */
export function selectByKeys<R>(tx: WriteTx, spec: KeyLookup, keys: readonly unknown[]): Promise<R[]> {
  return tx.adapter.selectByKeys<R>(tx, spec, keys);
}
