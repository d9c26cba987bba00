/**
 * Opens the store: Kysely over better-sqlite3 (embedded default) or pg (scale engine). Every
 * difference between the two engines lives in this folder, behind the `dialect` flag.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type PostgresPool } from 'kysely';
import pg from 'pg';
import { isPoolWaitTimeout, isStoreUnavailable } from '../core/store-errors.js';
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
  /** Whether the store can be reached; lost connections are reported to it (see StoreHealth). */
  readonly health: StoreHealth;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL schema to use (created if missing); tests use one per run. */
  schema?: string;
  poolSize?: number;
  /** First and longest wait (ms) between attempts to reach a PostgreSQL store that was lost. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** What the store's health reports to whoever listens (the node logs it and counts it). */
export type StoreHealthEvent =
  | { kind: 'lost'; error: unknown }
  | { kind: 'retry-failed'; error: unknown; attempt: number; nextInMs: number }
  | { kind: 'restored'; attempts: number; downMs: number };

/**
 * Whether the store can be reached. PostgreSQL connections can be cut under the node (a restart,
 * a failover, pg_terminate_backend): the pool then drops them and makes new ones on demand. This
 * keeps the node's view of it: on the first sign of loss it reports 'lost', then probes with
 * `select 1` after a backoff (doubling from reconnectMinMs to reconnectMaxMs) until one answers,
 * and reports 'restored'. /readyz answers 503 meanwhile. SQLite is always available.
 */
export class StoreHealth {
  #available = true;
  #lastError: unknown;
  #reconnects = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #listeners = new Set<(event: StoreHealthEvent) => void>();

  constructor(
    private readonly probe: (() => Promise<void>) | undefined,
    private readonly minMs = 250,
    private readonly maxMs = 30_000,
  ) {}

  get available(): boolean {
    return this.#available;
  }

  /** The error that made the store unavailable, while it is. */
  get lastError(): unknown {
    return this.#available ? undefined : this.#lastError;
  }

  /** Times the store was reached again after being lost. */
  get reconnects(): number {
    return this.#reconnects;
  }

  subscribe(listener: (event: StoreHealthEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A connection broke or could not be made: the store is unavailable until a probe answers. */
  lost(error: unknown): void {
    // A wait for a busy pool is overload, not loss: /readyz must not flap under load.
    if (isPoolWaitTimeout(error)) return;
    this.#lastError = error;
    if (!this.#available || !this.probe || this.#closed) return;
    this.#available = false;
    const since = Date.now();
    this.#emit({ kind: 'lost', error });
    let attempt = 0;
    let delay = this.minMs;
    const retry = () => {
      this.#timer = setTimeout(() => {
        attempt++;
        this.probe!().then(
          () => {
            if (this.#closed) return;
            this.#available = true;
            this.#reconnects++;
            this.#timer = undefined;
            this.#emit({ kind: 'restored', attempts: attempt, downMs: Date.now() - since });
          },
          (failure: unknown) => {
            if (this.#closed) return;
            this.#lastError = failure;
            delay = Math.min(delay * 2, this.maxMs);
            this.#emit({ kind: 'retry-failed', error: failure, attempt, nextInMs: delay });
            retry();
          },
        );
      }, delay);
      this.#timer.unref();
    };
    retry();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #emit(event: StoreHealthEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not stop the others nor the reconnection.
      }
    }
  }
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
    health: new StoreHealth(undefined),
    close: () => db.destroy(),
  };
}

function openPostgres(url: string, options: OpenOptions): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    // Named in pg_stat_activity unless the URL names it otherwise (?application_name=...).
    application_name: 'shieldwall',
    // A store that does not answer (or a pool busy that long) fails the request with 503 rather
    // than holding it forever.
    connectionTimeoutMillis: 30_000,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  const health = new StoreHealth(
    async () => {
      await pool.query('select 1');
    },
    options.reconnectMinMs,
    options.reconnectMaxMs,
  );
  // Without these a connection cut by the server (restart, failover, pg_terminate_backend) is an
  // 'error' event nobody listens to, and Node ends the process. Idle connections report through
  // the pool, connections in use through their client; the pool drops both and makes new ones.
  pool.on('error', (error) => health.lost(error));
  pool.on('connect', (client) => client.on('error', (error) => health.lost(error)));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    pgPool: pool,
    location: redactUrl(url),
    health,
    close: async () => {
      health.close();
      await db.destroy();
    },
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
    let client: pg.PoolClient;
    try {
      client = await store.pgPool.connect();
    } catch (error) {
      if (isStoreUnavailable(error)) store.health.lost(error);
      throw error;
    }
    let broken = false;
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
      if (isStoreUnavailable(error)) {
        broken = true;
        store.health.lost(error);
      }
      throw error;
    } finally {
      // A connection that broke is destroyed, never handed to the next writer.
      client.release(broken);
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
