/**
 * Bulk statements for the hot ingest path. Kysely builds one multi-row statement per batch,
 * which costs more than the insert itself at tens of thousands of rows a second; these keep
 * one prepared statement per spec on SQLite (one row per call: microseconds) and send one
 * array per column on PostgreSQL (INSERT ... SELECT FROM unnest(...), = any($1)).
 */
import { sql, type Transaction } from 'kysely';
import type { Statement } from 'better-sqlite3';
import type { Store } from './database.js';
import type { Database } from './schema.js';

type PgType = 'text' | 'int8' | 'int4';

export interface BulkColumn {
  readonly name: string;
  /** The PostgreSQL array element type of the column. */
  readonly pgType: PgType;
}

export interface BulkTable {
  readonly table: keyof Database & string;
  readonly columns: readonly BulkColumn[];
}

export interface KeyLookup {
  readonly table: keyof Database & string;
  /** Column looked up by equality. */
  readonly key: BulkColumn;
  readonly columns: readonly string[];
}

const NAME = /^[a-z_][a-z0-9_]*$/;
/** Rows per PostgreSQL statement: bounded so one batch never builds a huge message. */
const PG_ROWS_PER_STATEMENT = 5000;
const PG_KEYS_PER_STATEMENT = 10000;
const statements = new WeakMap<object, Map<object, Statement>>();

function plainNames(names: readonly string[]): void {
  for (const name of names) if (!NAME.test(name)) throw new Error(`bulk: '${name}' is not a plain SQL name`);
}

/** One prepared statement per store and spec, prepared on first use. */
function sqliteStatement(store: Store, spec: object, text: () => string): Statement {
  const handle = store.sqlite;
  if (!handle) throw new Error('bulk: store has no SQLite handle');
  let bySpec = statements.get(handle);
  if (!bySpec) statements.set(handle, (bySpec = new Map()));
  let statement = bySpec.get(spec);
  if (!statement) {
    statement = handle.prepare(text());
    bySpec.set(spec, statement);
  }
  return statement;
}

/** Inserts rows (arrays in column order) inside the caller's write transaction. */
export async function insertRows(store: Store, trx: Transaction<Database>, spec: BulkTable, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
  if (rows.length === 0) return;
  plainNames([spec.table, ...spec.columns.map((c) => c.name)]);
  if (store.dialect === 'sqlite') {
    // Runs on the connection the caller's transaction holds (better-sqlite3 has one).
    const statement = sqliteStatement(store, spec, () => {
      const columns = spec.columns.map((c) => c.name).join(', ');
      return `insert into ${spec.table} (${columns}) values (${spec.columns.map(() => '?').join(', ')})`;
    });
    for (const row of rows) statement.run(...row);
    return;
  }
  const columns = sql.join(spec.columns.map((c) => sql.ref(c.name)));
  for (let start = 0; start < rows.length; start += PG_ROWS_PER_STATEMENT) {
    const slice = rows.slice(start, start + PG_ROWS_PER_STATEMENT);
    const arrays = spec.columns.map((column, c) => sql`${slice.map((row) => row[c])}::${sql.raw(column.pgType)}[]`);
    await sql`insert into ${sql.table(spec.table)} (${columns}) select * from unnest(${sql.join(arrays)})`.execute(trx);
  }
}

/**
 * Rows whose key is one of `keys`: one prepared point lookup per key on SQLite, one
 * `= any($1)` query per 10,000 keys on PostgreSQL.
 */
export async function selectByKeys<R>(store: Store, trx: Transaction<Database>, spec: KeyLookup, keys: readonly unknown[]): Promise<R[]> {
  const out: R[] = [];
  if (keys.length === 0) return out;
  plainNames([spec.table, spec.key.name, ...spec.columns]);
  if (store.dialect === 'sqlite') {
    const statement = sqliteStatement(store, spec, () => `select ${spec.columns.join(', ')} from ${spec.table} where ${spec.key.name} = ?`);
    for (const key of keys) for (const row of statement.all(key)) out.push(row as R);
    return out;
  }
  for (let start = 0; start < keys.length; start += PG_KEYS_PER_STATEMENT) {
    const result = await sql<R>`select ${sql.join(spec.columns.map((c) => sql.ref(c)))} from ${sql.table(spec.table)}
      where ${sql.ref(spec.key.name)} = any(${keys.slice(start, start + PG_KEYS_PER_STATEMENT)}::${sql.raw(spec.key.pgType)}[])`.execute(trx);
    out.push(...result.rows);
  }
  return out;
}
