/**
 * Opens the store: Kysely over better-sqlite3 (embedded default) or pg (scale engine). Every
 * difference between the two engines lives in this folder, behind the `dialect` flag.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** The underlying SQLite connection, for the bulk-insert fast path (bulk.ts) only. */
  readonly sqlite?: SqliteDatabase.Database;
  /** Human-readable location without credentials, for logs. */
  readonly location: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL schema to use (created if missing); tests use one per run. */
  schema?: string;
  poolSize?: number;
}

const INT8_OID = 20;

/** Store URL without its password, for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export function openStore(url: string, options: OpenOptions = {}): Store {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  throw new Error(`unsupported database URL '${redactUrl(url)}': use sqlite:/path/file.db or postgres://...`);
}

function openSqlite(file: string): Store {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new SqliteDatabase(file);
  // 16 KiB pages halve the B-tree work of bulk ingest against the 4 KiB default (measured: see
  // docs/BENCHMARKS.md); it only takes effect on a new file.
  database.pragma('page_size = 16384');
  // WAL lets readers proceed during ingest; FULL makes every reported commit survive power loss.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  // Checkpoint every 8,192 pages (128 MiB) rather than 1,000: pages rewritten by consecutive
  // batches are copied back once, and the fsyncs of checkpoints are fewer.
  database.pragma('wal_autocheckpoint = 8192');
  database.pragma('busy_timeout = 10000');
  database.pragma('foreign_keys = ON');
  database.pragma('cache_size = -262144');
  database.pragma('temp_store = MEMORY');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return {
    db,
    dialect: 'sqlite',
    sqlite: database,
    location: `sqlite:${file}`,
    close: () => db.destroy(),
  };
}

function openPostgres(url: string, options: OpenOptions): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    location: redactUrl(url),
    close: () => db.destroy(),
  };
}

/** Advisory lock key that serialises writers of the intel store on PostgreSQL. */
const WRITE_LOCK_KEY = 727_001;

/**
 * Runs fn in a write transaction that holds the store's single writer lock from its first
 * statement: BEGIN IMMEDIATE on SQLite, an advisory transaction lock on PostgreSQL. Writers in
 * order means date_added sequence values commit in order, so paging by it never skips a row.
 */
export async function writeTransaction<T>(store: Store, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (store.dialect === 'postgres') {
    return store.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${WRITE_LOCK_KEY})`.execute(trx);
      return fn(trx);
    });
  }
  return store.db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      // The connection is already inside our transaction; Kysely's Transaction type is only a view.
      const result = await fn(connection as unknown as Transaction<Database>);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}
