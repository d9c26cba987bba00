/**
 * Opens the store: Kysely over better-sqlite3 (embedded default) or pg (scale engine). Every
 * difference between the two engines lives in this folder, behind the store's adapter (see
 * adapter.ts; one implementation per dialect in sqlite/ and postgres/).
 */
import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { DialectName, StoreAdapter, WriteOptions, WriteTx } from './adapter.js';
import type { StoreHealth } from './health.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import type { Database } from './schema.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { CheckpointStats } from './sqlite/checkpointer.js';
import type { StateSlots } from '../core/state.js';

export type { DialectName, StoreAdapter, WriteOptions, WriteTx } from './adapter.js';
export { StoreHealth, type StoreHealthEvent } from './health.js';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** What differs between the engines: write transactions, bulk statements, prepared reads, capabilities. */
  readonly adapter: StoreAdapter;
  /**
   * The SQLite connection, for tests that lock or damage the store on purpose; code goes
   * through db and the adapter.
   */
  readonly sqlite?: SqliteDatabase.Database;
  /**
   * The SQLite connection that reads outside write transactions (a file store; see
   * sqlite/sqlite-driver.ts), for tests that count what is asked of the store.
   */
  readonly sqliteReader?: SqliteDatabase.Database;
  /** A file store's checkpoints on their own thread (sqlite/checkpointer.ts): how many ran or failed. */
  readonly checkpoints?: CheckpointStats;
  /** Human-readable location without credentials, for logs. */
  readonly location: string;
  /** Whether the store can be reached; lost connections are reported to it (see StoreHealth). */
  readonly health: StoreHealth;
  /**
   * Caches of what the store holds, shared by every node context of this process on it
   * (core/state.ts storeState): store.state.get(SLOT).
   */
  readonly state: StateSlots<Store>;
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

/** Store URL without its password, for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export function openStore(url: string, options: OpenOptions = {}): Store {
  if (url.startsWith('sqlite:')) return openSqliteStore(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgresStore(url, redactUrl(url), options);
  throw new Error(`unsupported database URL '${redactUrl(url)}': use sqlite:/path/file.db or postgres://...`);
}

/** The options of a background writer's transaction: a follower, the job scheduler (see WriteOptions). */
export const BACKGROUND: WriteOptions = { background: true };

/** Runs fn in a write transaction under the store's single writer lock (see StoreAdapter.writeTransaction). */
export function writeTransaction<T>(store: Store, fn: (tx: WriteTx) => Promise<T>, options?: WriteOptions): Promise<T> {
  return store.adapter.writeTransaction(fn, options);
}
