/**
 * Bulk insert for the hot ingest path. Kysely builds one multi-row statement per batch, which
 * costs more than the insert itself at tens of thousands of rows a second; this keeps one
 * prepared statement per table on SQLite and sends one array per column on PostgreSQL
 * (INSERT ... SELECT FROM unnest(...)). Both skip rows that hit the unique constraint and say
 * which rows went in.
 */
import { sql, type Transaction } from 'kysely';
import type { Statement } from 'better-sqlite3';
import type { Store } from './database.js';
import type { Database } from './schema.js';

export interface BulkColumn {
  readonly name: string;
  /** The PostgreSQL array element type of the column. */
  readonly pgType: 'text' | 'int8' | 'int4';
}

export interface BulkTable {
  readonly table: keyof Database & string;
  readonly columns: readonly BulkColumn[];
  /** Columns of the unique constraint whose conflicts are skipped. */
  readonly conflict: readonly string[];
  /** Index of the column that identifies a row in the result. */
  readonly key: number;
}

const NAME = /^[a-z_][a-z0-9_]*$/;
const statements = new WeakMap<object, Map<object, Statement>>();
/** Rows per PostgreSQL statement: bounded so one batch never builds a huge message. */
const PG_ROWS_PER_STATEMENT = 5000;

function checkNames(spec: BulkTable): void {
  for (const name of [spec.table, ...spec.columns.map((c) => c.name), ...spec.conflict]) {
    if (!NAME.test(name)) throw new Error(`bulk insert: '${name}' is not a plain SQL name`);
  }
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

/**
 * Inserts rows (arrays in column order) inside the caller's write transaction and returns the
 * key of every row that was inserted; rows that conflict are left out.
 */
export async function insertSkippingConflicts(
  store: Store,
  trx: Transaction<Database>,
  spec: BulkTable,
  rows: ReadonlyArray<readonly unknown[]>,
): Promise<Set<unknown>> {
  const inserted = new Set<unknown>();
  if (rows.length === 0) return inserted;
  if (store.dialect === 'sqlite') {
    // Runs on the connection the caller's transaction holds (better-sqlite3 has one).
    const statement = sqliteStatement(store, spec, () => {
      checkNames(spec);
      const columns = spec.columns.map((c) => c.name).join(', ');
      const params = spec.columns.map(() => '?').join(', ');
      return `insert into ${spec.table} (${columns}) values (${params}) on conflict (${spec.conflict.join(', ')}) do nothing`;
    });
    for (const row of rows) if (statement.run(...row).changes === 1) inserted.add(row[spec.key]);
    return inserted;
  }
  checkNames(spec);
  const columns = spec.columns.map((c) => sql.ref(c.name));
  const keyColumn = sql.ref(spec.columns[spec.key]!.name);
  for (let start = 0; start < rows.length; start += PG_ROWS_PER_STATEMENT) {
    const slice = rows.slice(start, start + PG_ROWS_PER_STATEMENT);
    const arrays = spec.columns.map((column, c) => sql`${slice.map((row) => row[c])}::${sql.raw(column.pgType)}[]`);
    const result = await sql<{ key: unknown }>`insert into ${sql.table(spec.table)} (${sql.join(columns)})
      select * from unnest(${sql.join(arrays)})
      on conflict (${sql.join(spec.conflict.map((c) => sql.ref(c)))}) do nothing
      returning ${keyColumn} as key`.execute(trx);
    for (const row of result.rows) inserted.add(typeof row.key === 'string' && spec.columns[spec.key]!.pgType === 'int8' ? Number(row.key) : row.key);
  }
  return inserted;
}

export interface KeyLookup {
  readonly table: keyof Database & string;
  /** Text column looked up by equality. */
  readonly key: string;
  readonly columns: readonly string[];
  /** A constant condition every returned row meets. */
  readonly where?: { readonly column: string; readonly equals: number };
}

/**
 * Rows whose key is one of `keys`: one prepared point lookup per key on SQLite (microseconds
 * each), one `= any($1)` query per 10,000 keys on PostgreSQL.
 */
export async function selectByKeys<R>(store: Store, trx: Transaction<Database>, spec: KeyLookup, keys: readonly string[]): Promise<R[]> {
  const out: R[] = [];
  if (keys.length === 0) return out;
  for (const name of [spec.table, spec.key, ...spec.columns, ...(spec.where ? [spec.where.column] : [])]) {
    if (!NAME.test(name)) throw new Error(`bulk lookup: '${name}' is not a plain SQL name`);
  }
  const filter = spec.where ? ` and ${spec.where.column} = ${Number(spec.where.equals)}` : '';
  if (store.dialect === 'sqlite') {
    const statement = sqliteStatement(store, spec, () => `select ${spec.columns.join(', ')} from ${spec.table} where ${spec.key} = ?${filter}`);
    for (const key of keys) for (const row of statement.all(key)) out.push(row as R);
    return out;
  }
  for (let start = 0; start < keys.length; start += 10000) {
    const result = await sql<R>`select ${sql.join(spec.columns.map((c) => sql.ref(c)))} from ${sql.table(spec.table)}
      where ${sql.ref(spec.key)} = any(${keys.slice(start, start + 10000)}::text[])${sql.raw(filter)}`.execute(trx);
    out.push(...result.rows);
  }
  return out;
}
