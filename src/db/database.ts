/**
 * Opens the store: Kysely over better-sqlite3 (embedded default) or pg (scale engine). Every
 * difference between the two engines lives in this folder, behind the `dialect` flag.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type PostgresPool } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** The underlying SQLite connection, for write transactions and bulk.ts only. */
  readonly sqlite?: SqliteDatabase.Database;
  /** The PostgreSQL pool, for write transactions only. */
  readonly pgPool?: pg.Pool;
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
  database.pragma('cache_size = -65536');
  database.pragma('temp_store = MEMORY');
  // Reads through memory-mapped I/O: the duplicate lookups and the checkpoints of bulk ingest
  // stop copying every page through read(). On this project's noisy machines four runs at 1M
  // objects gave 33,000-49,000 objects/s against 27,000-35,000 without it (BENCHMARKS.md).
  // SQLite caps the size at its compile-time maximum (2 GiB here).
  database.pragma('mmap_size = 4294967296');
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
    pgPool: pool,
    location: redactUrl(url),
    close: () => db.destroy(),
  };
}

/** Advisory lock key that serialises writers of the intel store on PostgreSQL. */
const WRITE_LOCK_KEY = 727_001;

/** What a write transaction's body works with: Kysely on the transaction, and the raw handle. */
export interface WriteTx {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly sqlite?: SqliteDatabase.Database;
  readonly pg?: pg.PoolClient;
}

/** A Kysely pool that hands out the one client a transaction holds. */
function singleClientPool(client: pg.PoolClient): PostgresPool {
  return {
    connect: async () => ({ query: client.query.bind(client) as pg.PoolClient['query'], release: () => undefined }),
    end: async () => undefined,
  };
}

/**
 * Runs fn in a write transaction that holds the store's single writer lock from its first
 * statement: BEGIN IMMEDIATE on SQLite, an advisory transaction lock on PostgreSQL. Writers in
 * order means date_added sequence values commit in order, so paging by it never skips a row,
 * and checks made inside the transaction (such as duplicate versions) stay true until commit.
 */
export async function writeTransaction<T>(store: Store, fn: (tx: WriteTx) => Promise<T>): Promise<T> {
  if (store.dialect === 'postgres') {
    if (!store.pgPool) throw new Error('PostgreSQL store without a pool');
    const client = await store.pgPool.connect();
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock($1)', [WRITE_LOCK_KEY]);
      // Every read in a write transaction is a key lookup. During a bulk load the table's
      // statistics lag far behind its size, and the planner would scan the whole table for
      // each batch's lookup (measured: 0.2 s a batch at a million rows) unless told not to.
      await client.query('set local enable_seqscan = off');
      const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: singleClientPool(client) }) });
      const result = await fn({ db, dialect: 'postgres', pg: client });
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
  return store.db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await fn({ db: connection, dialect: 'sqlite', ...(store.sqlite ? { sqlite: store.sqlite } : {}) });
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}
