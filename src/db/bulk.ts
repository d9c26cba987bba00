/**
 * Bulk statements for the hot ingest path, inside a write transaction. Kysely builds one
 * multi-row statement per batch, which costs more than the insert itself at tens of thousands
 * of rows a second; instead SQLite runs one prepared statement per row (microseconds each) and
 * PostgreSQL receives rows through COPY and keys as one array (= any($1)).
 */
import { once } from 'node:events';
import { sql } from 'kysely';
import type { Statement } from 'better-sqlite3';
import { from as copyFrom } from 'pg-copy-streams';
import type { WriteTx } from './database.js';
import type { Database } from './schema.js';

type PgType = 'text' | 'int8' | 'int4';

export interface BulkColumn {
  readonly name: string;
  /** The PostgreSQL type of the column. */
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
const PG_KEYS_PER_STATEMENT = 10000;
const SQLITE_KEYS_PER_STATEMENT = 500;
/** COPY data is sent in pieces of about this many characters. */
const COPY_PIECE = 1 << 20;
const statements = new WeakMap<object, Map<object, Statement>>();

function plainNames(names: readonly string[]): void {
  for (const name of names) if (!NAME.test(name)) throw new Error(`bulk: '${name}' is not a plain SQL name`);
}

/** One prepared statement per connection and spec, prepared on first use. */
function sqliteStatement(tx: WriteTx, spec: object, text: () => string): Statement {
  const handle = tx.sqlite;
  if (!handle) throw new Error('bulk: write transaction without its SQLite handle');
  let bySpec = statements.get(handle);
  if (!bySpec) statements.set(handle, (bySpec = new Map()));
  let statement = bySpec.get(spec);
  if (!statement) {
    statement = handle.prepare(text());
    bySpec.set(spec, statement);
  }
  return statement;
}

const NEEDS_ESCAPE = /[\\\n\r\t\0]/;
const COPY_ESCAPES = /[\\\n\r\t\0]/g;
// PostgreSQL text cannot hold NUL at all: it becomes U+FFFD (JSON bodies never contain a raw one).
const COPY_ESCAPE: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\uFFFD' };

/** A value in COPY's text format. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  const text = String(value);
  return NEEDS_ESCAPE.test(text) ? text.replace(COPY_ESCAPES, (c) => COPY_ESCAPE[c]!) : text;
}

/** Inserts rows (arrays in column order) inside the caller's write transaction. */
export async function insertRows(tx: WriteTx, spec: BulkTable, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
  if (rows.length === 0) return;
  plainNames([spec.table, ...spec.columns.map((c) => c.name)]);
  const columns = spec.columns.map((c) => c.name).join(', ');
  if (tx.dialect === 'sqlite') {
    const statement = sqliteStatement(tx, spec, () => `insert into ${spec.table} (${columns}) values (${spec.columns.map(() => '?').join(', ')})`);
    for (const row of rows) statement.run(row);
    return;
  }
  if (!tx.pg) throw new Error('bulk: write transaction without its PostgreSQL client');
  const stream = tx.pg.query(copyFrom(`copy ${spec.table} (${columns}) from stdin`));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  let piece = '';
  for (const row of rows) {
    for (let c = 0; c < row.length; c++) piece += (c === 0 ? '' : '\t') + copyField(row[c]);
    piece += '\n';
    if (piece.length >= COPY_PIECE) {
      if (!stream.write(piece)) await Promise.race([once(stream, 'drain'), done]);
      piece = '';
    }
  }
  stream.end(piece);
  await done;
}

/**
 * Inserts rows (arrays in column order) inside the caller's write transaction, leaving out those
 * whose key is already stored (the table's primary key or a unique index decides): one prepared
 * `insert or ignore` per row on SQLite, one `insert ... select from unnest(...) on conflict do
 * nothing` per 10,000 rows on PostgreSQL (COPY cannot skip a row).
 */
export async function insertRowsIgnoringStored(tx: WriteTx, spec: BulkTable, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
  if (rows.length === 0) return;
  plainNames([spec.table, ...spec.columns.map((c) => c.name)]);
  const columns = spec.columns.map((c) => c.name).join(', ');
  if (tx.dialect === 'sqlite') {
    const statement = sqliteStatement(tx, spec, () => `insert or ignore into ${spec.table} (${columns}) values (${spec.columns.map(() => '?').join(', ')})`);
    for (const row of rows) statement.run(row);
    return;
  }
  if (!tx.pg) throw new Error('bulk: write transaction without its PostgreSQL client');
  const arrays = spec.columns.map((c, i) => `$${i + 1}::${c.pgType}[]`).join(', ');
  const text = `insert into ${spec.table} (${columns}) select * from unnest(${arrays}) on conflict do nothing`;
  for (let start = 0; start < rows.length; start += PG_KEYS_PER_STATEMENT) {
    const part = rows.slice(start, start + PG_KEYS_PER_STATEMENT);
    await tx.pg.query(text, spec.columns.map((_c, i) => part.map((row) => row[i] ?? null)));
  }
}

/**
 * Rows whose key is one of `keys`: one prepared `in (...)` lookup per 500 keys on SQLite (a
 * statement per key cost about five times as much a key: measured 4.8 against 0.9 us for keys
 * not stored), one `= any($1)` query per 10,000 keys on PostgreSQL.
 */
export async function selectByKeys<R>(tx: WriteTx, spec: KeyLookup, keys: readonly unknown[]): Promise<R[]> {
  const out: R[] = [];
  if (keys.length === 0) return out;
  plainNames([spec.table, spec.key.name, ...spec.columns]);
  if (tx.dialect === 'sqlite') {
    const placeholders = new Array<string>(SQLITE_KEYS_PER_STATEMENT).fill('?').join(', ');
    const statement = sqliteStatement(tx, spec, () => `select ${spec.columns.join(', ')} from ${spec.table} where ${spec.key.name} in (${placeholders})`);
    const values = new Array<unknown>(SQLITE_KEYS_PER_STATEMENT);
    for (let start = 0; start < keys.length; start += SQLITE_KEYS_PER_STATEMENT) {
      // The last group is filled up with its last key again: a value twice in the list matches once.
      for (let i = 0; i < SQLITE_KEYS_PER_STATEMENT; i++) values[i] = keys[Math.min(start + i, keys.length - 1)];
      for (const row of statement.all(values)) out.push(row as R);
    }
    return out;
  }
  for (let start = 0; start < keys.length; start += PG_KEYS_PER_STATEMENT) {
    const result = await sql<R>`select ${sql.join(spec.columns.map((c) => sql.ref(c)))} from ${sql.table(spec.table)}
      where ${sql.ref(spec.key.name)} = any(${keys.slice(start, start + PG_KEYS_PER_STATEMENT)}::${sql.raw(spec.key.pgType)}[])`.execute(tx.db);
    out.push(...result.rows);
  }
  return out;
}
