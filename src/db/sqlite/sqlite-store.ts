/** Opens the embedded store: one SQLite file through better-sqlite3. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { Store } from '../database.js';
import { StoreHealth } from '../health.js';
import type { Database } from '../schema.js';
import { SqliteAdapter } from './sqlite-adapter.js';
import { StoreDialect, Turns } from './sqlite-driver.js';
import { Checkpointer } from './checkpointer.js';
import { StateSlots } from '../../core/state.js';

export function openSqliteStore(file: string): Store {
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
  database.pragma('foreign_keys = ON');
  readSettings(database);
  // A second connection reads what is committed while the first writes (sqlite-driver.ts); an
  // in-memory database is private to its connection, so it has none.
  const reader = file === ':memory:' || file === '' ? undefined : openReader(file);
  const turns = new Turns();
  // Checkpoints of bulk writes on a thread of their own (checkpointer.ts); a file's store only.
  const checkpointer = reader ? new Checkpointer(file) : undefined;
  const db = new Kysely<Database>({ dialect: new StoreDialect(database, reader, turns) });
  const adapter = new SqliteAdapter(database, db, file, turns, reader, checkpointer);
  const store: Store = {
    db,
    dialect: 'sqlite',
    adapter,
    sqlite: database,
    ...(reader ? { sqliteReader: reader } : {}),
    ...(checkpointer ? { checkpoints: checkpointer.stats } : {}),
    location: `sqlite:${file}`,
    health: new StoreHealth(undefined),
    state: new StateSlots(() => store),
    close: async () => {
      await store.state.dispose();
      await checkpointer?.close();
      await adapter.close();
    },
  };
  return store;
}

/** What both connections set for reading (the writer sets the rest, which concerns writing). */
function readSettings(connection: SqliteDatabase.Database): void {
  connection.pragma('busy_timeout = 10000');
  connection.pragma('cache_size = -65536');
  connection.pragma('temp_store = MEMORY');
  // Reads through memory-mapped I/O: the duplicate lookups and the checkpoints of bulk ingest
  // stop copying every page through read(). On this project's noisy machines four runs at 1M
  // objects gave 33,000-49,000 objects/s against 27,000-35,000 without it (BENCHMARKS.md).
  // SQLite caps the size at its compile-time maximum (2 GiB here).
  connection.pragma('mmap_size = 4294967296');
}

/** The reading connection: the writer's settings for reads, and no writes (query_only). */
function openReader(file: string): SqliteDatabase.Database {
  const reader = new SqliteDatabase(file, { fileMustExist: true });
  reader.pragma('query_only = ON');
  readSettings(reader);
  return reader;
}
