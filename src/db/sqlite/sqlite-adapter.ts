/**
 * The SQLite adapter: one better-sqlite3 connection, which Kysely serialises. Bulk statements
 * and frequent reads run as statements prepared once on that connection and kept here (a
 * statement runs in microseconds, where the query builder takes tens of them to build one).
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type SqliteDatabase from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import {
  IN_PLACEHOLDERS_MAX,
  plainNames,
  type BulkTable,
  type CompiledRead,
  type KeyLookup,
  type Placeholders,
  type PreparedRead,
  type StoreAdapter,
  type StoreCapabilities,
  type WriteOptions,
  type WriteTx,
  TxHooks,
} from '../adapter.js';
import type { Database } from '../schema.js';
import { SQLITE_SQL } from './sqlite-sql.js';
import type { Turns } from './sqlite-driver.js';
import type { Checkpointer } from './checkpointer.js';
import { nextTurn } from '../../core/turn.js';

type Statement = SqliteDatabase.Statement;

/** Keys per `in (...)` lookup of selectByKeys (see there). */
const KEYS_PER_STATEMENT = 500;
/**
 * Statements kept before a cache starts again: a prepared read's vary with the lengths of its
 * lists, listings with the numbers of ids, types and sets asked for.
 */
const READS_KEPT = 1024;
const LISTINGS_KEPT = 64;

const CAPABILITIES: StoreCapabilities = Object.freeze({
  supportsCopy: false,
  supportsSkipLocked: false,
  supportsAdvisoryLocks: false,
  singleWriter: true,
  multiProcess: false,
  batchesPerCommit: 4,
});

export class SqliteAdapter implements StoreAdapter {
  readonly dialect = 'sqlite' as const;
  readonly capabilities = CAPABILITIES;
  readonly pool = undefined;
  // Statements prepared on this connection: bulk ones by spec (module constants of the repos),
  // reads by name and list lengths, listings by text.
  readonly #inserts = new WeakMap<BulkTable, Statement>();
  readonly #insertsIgnoring = new WeakMap<BulkTable, Statement>();
  readonly #lookups = new WeakMap<KeyLookup, Statement>();
  readonly #objectReads = new WeakMap<PreparedRead, Map<number, Statement>>();
  readonly #arrayReads = new WeakMap<PreparedRead, Map<number, Statement>>();
  readonly #listings = new Map<string, Statement>();
  /**
   * Background transactions asked for and not yet begun: in the writer's queue of turns (or
   * about to be), and not counted by writersWaiting().
   */
  #backgroundWaiting = 0;

  constructor(
    private readonly handle: SqliteDatabase.Database,
    private readonly db: Kysely<Database>,
    private readonly file: string,
    /** The writer's turns (sqlite-driver.ts). */
    private readonly turns: Turns,
    /** The connection that reads what is committed (sqlite-driver.ts); none for an in-memory store. */
    private readonly reader?: SqliteDatabase.Database,
    /** Told of the commits of bulk writes (checkpointer.ts); none for an in-memory store. */
    private readonly checkpointer?: Checkpointer,
  ) {}

  async writeTransaction<T>(fn: (tx: WriteTx) => Promise<T>, options?: WriteOptions): Promise<T> {
    const background = options?.background === true;
    return this.db.connection().execute(async (connection) => {
      // Counted from here: `begin` takes the writer's turn, and waits for it.
      if (background) this.#backgroundWaiting++;
      try {
        await sql`begin immediate`.execute(connection);
      } finally {
        if (background) this.#backgroundWaiting--;
      }
      const hooks = new TxHooks();
      let result: T;
      try {
        result = await fn({ db: connection, dialect: 'sqlite', adapter: this, onRollback: hooks.onRollback, onCommit: hooks.onCommit });
        await sql`commit`.execute(connection);
      } catch (error) {
        await sql`rollback`.execute(connection).catch(() => undefined);
        hooks.rolledBack();
        throw error;
      }
      hooks.committed();
      // A bulk writer's transaction (a stream's after its first, a follower's): its pages are
      // copied back on the checkpoint thread while the next one is written.
      if (background) this.checkpointer?.committed();
      return result;
    });
  }

  writersWaiting(): boolean {
    return this.turns.waiting > this.#backgroundWaiting;
  }

  // Counted until fn settles: writersWaiting() is asked by the holder of the writer's turn, and
  // a statement of fn holds it only while it runs.
  async background<T>(fn: () => Promise<T>): Promise<T> {
    this.#backgroundWaiting++;
    try {
      return await fn();
    } finally {
      this.#backgroundWaiting--;
    }
  }

  /**
   * One prepared insert per row: microseconds each, less than building one multi-row statement.
   * The rows go in slices of ROWS_PER_TURN with a turn of the event loop between (see there).
   */
  insertRows(tx: WriteTx, spec: BulkTable, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return runInSlices(this.#bulk(tx, this.#inserts, spec, 'insert'), rows);
  }

  insertRowsIgnoringStored(tx: WriteTx, spec: BulkTable, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return runInSlices(this.#bulk(tx, this.#insertsIgnoring, spec, 'insert or ignore'), rows);
  }

  /**
   * One prepared `in (...)` lookup per 500 keys (a statement per key cost about five times as
   * much a key: measured 4.8 against 0.9 us for keys not stored).
   */
  async selectByKeys<R>(tx: WriteTx, spec: KeyLookup, keys: readonly unknown[]): Promise<R[]> {
    const out: R[] = [];
    if (keys.length === 0) return out;
    this.#own(tx);
    let statement = this.#lookups.get(spec);
    if (!statement) {
      plainNames([spec.table, spec.key.name, ...spec.columns]);
      const placeholders = new Array<string>(KEYS_PER_STATEMENT).fill('?').join(', ');
      statement = this.handle.prepare(`select ${spec.columns.join(', ')} from ${spec.table} where ${spec.key.name} in (${placeholders})`);
      this.#lookups.set(spec, statement);
    }
    const values = new Array<unknown>(KEYS_PER_STATEMENT);
    for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
      // The last group is filled up with its last key again: a value twice in the list matches once.
      for (let i = 0; i < KEYS_PER_STATEMENT; i++) values[i] = keys[Math.min(start + i, keys.length - 1)];
      for (const row of statement.all(values)) out.push(row as R);
    }
    return out;
  }

  readObjects<R>(read: PreparedRead, parameters: readonly unknown[]): Promise<R[]> {
    return this.#read(read, parameters, false) as Promise<R[]>;
  }

  /**
   * Arrays: better-sqlite3 builds a row object column by column, which was 40% of reading a
   * million indicator rows (2.6 s against 1.5 s as arrays, measured).
   */
  readArrays<R extends readonly unknown[]>(read: PreparedRead, parameters: readonly unknown[]): Promise<R[]> {
    return this.#read(read, parameters, true) as Promise<R[]>;
  }

  readCompiled(query: CompiledRead, shape: 'arrays' | 'column'): Promise<unknown[]> {
    const key = `${shape} ${query.sql}`;
    let statement = this.#listings.get(key);
    if (!statement) {
      if (this.#listings.size >= LISTINGS_KEPT) this.#listings.clear();
      const prepared = this.#reading.prepare(query.sql);
      statement = shape === 'arrays' ? prepared.raw(true) : prepared.pluck(true);
      this.#listings.set(key, statement);
    }
    const ready = statement;
    return this.#onConnection(() => ready.all(...query.parameters));
  }

  readonly jsonText = SQLITE_SQL.jsonText;
  readonly inList = SQLITE_SQL.inList;

  async identity(): Promise<string> {
    const file = path.resolve(this.file);
    try {
      return `sqlite:${realpathSync(file)}`;
    } catch {
      return `sqlite:${file}`;
    }
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  /** A bulk statement of this spec, prepared on first use. */
  #bulk(tx: WriteTx, cache: WeakMap<BulkTable, Statement>, spec: BulkTable, verb: string): Statement {
    this.#own(tx);
    let statement = cache.get(spec);
    if (!statement) {
      plainNames([spec.table, ...spec.columns.map((c) => c.name)]);
      const columns = spec.columns.map((c) => c.name).join(', ');
      statement = this.handle.prepare(`${verb} into ${spec.table} (${columns}) values (${spec.columns.map(() => '?').join(', ')})`);
      cache.set(spec, statement);
    }
    return statement;
  }

  /** The connection reads run on: the reading one, or the only one of an in-memory store. */
  get #reading(): SqliteDatabase.Database {
    return this.reader ?? this.handle;
  }

  #own(tx: WriteTx): void {
    if (tx.adapter !== this) throw new Error('bulk: a write transaction of another store');
  }

  /** Asked on every lookup: the statement is found by the read and its lists' lengths, without building a key. */
  #read(read: PreparedRead, parameters: readonly unknown[], arrays: boolean): Promise<unknown[]> {
    const cache = arrays ? this.#arrayReads : this.#objectReads;
    let byLengths = cache.get(read);
    if (!byLengths) cache.set(read, (byLengths = new Map()));
    // The lengths as digits of base 65,536 (a list bound as one JSON parameter counts as one
    // length past IN_PLACEHOLDERS_MAX: one statement serves them all).
    let lengths = 0;
    let values = parameters;
    for (let i = 0; i < parameters.length; i++) {
      const parameter = parameters[i];
      if (!Array.isArray(parameter)) continue;
      lengths = lengths * 65_536 + Math.min(parameter.length, IN_PLACEHOLDERS_MAX + 1);
      if (values === parameters) values = flatten(parameters);
    }
    let statement = byLengths.get(lengths);
    if (!statement) {
      if (byLengths.size >= READS_KEPT) byLengths.clear();
      const prepared = this.#reading.prepare(read.text(sqlitePlaceholders(parameters)));
      statement = arrays ? prepared.raw(true) : prepared;
      byLengths.set(lengths, statement);
    }
    const ready = statement;
    return this.#onConnection(() => ready.all(...values));
  }

  /**
   * Runs a read: at once on the reading connection, which sees what is committed; without one
   * (an in-memory store), on the query builder's connection, so that it waits for a write
   * transaction in progress rather than read it half done.
   */
  #onConnection(run: () => unknown[]): Promise<unknown[]> {
    if (!this.reader) return this.db.connection().execute(() => Promise.resolve(run()));
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/**
 * Rows a bulk insert runs between two turns of the event loop: about 10 ms of a 10,000-row batch
 * on this project's machines. better-sqlite3 runs on the node's main thread, so without the turns
 * a batch held it for 100-200 ms at a time: no request was read, no socket drained, and a remote
 * ingest's parsing thread ran out of input while its own batch was written. The connection stays
 * the transaction's meanwhile (reads and other writes wait on it, see #onConnection).
 */
export const ROWS_PER_TURN = 1000;

async function runInSlices(statement: Statement, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_TURN) {
    if (start > 0) await nextTurn();
    const end = Math.min(start + ROWS_PER_TURN, rows.length);
    for (let i = start; i < end; i++) statement.run(rows[i]);
  }
}

/**
 * The parameters with each list's values in its place, as `in (?, ...)` takes them, or a longer
 * list as one JSON text (see sqlitePlaceholders).
 */
function flatten(parameters: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const parameter of parameters) {
    if (!Array.isArray(parameter)) out.push(parameter);
    else if (parameter.length > IN_PLACEHOLDERS_MAX) out.push(JSON.stringify(parameter));
    else for (const value of parameter) out.push(value);
  }
  return out;
}

/**
 * A list of up to IN_PLACEHOLDERS_MAX values is bound one value a placeholder, as prepared reads
 * always were (a lookup of one value costs 1.2 us so, 2.8 us through json_each); a longer one as
 * one parameter, whatever its length (SQLite binds at most 32,766 values to a statement).
 */
function sqlitePlaceholders(parameters: readonly unknown[]): Placeholders {
  let next = 0;
  return {
    value: () => {
      next++;
      return '?';
    },
    in: () => {
      const list = parameters[next++];
      if (!Array.isArray(list)) throw new Error(`prepared read: parameter ${next} is not a list`);
      if (list.length > IN_PLACEHOLDERS_MAX) return 'in (select value from json_each(?))';
      return `in (${list.map(() => '?').join(', ')})`;
    },
  };
}
