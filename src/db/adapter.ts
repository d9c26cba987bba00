/**
 * What differs between the two engines, behind one interface (as Kysely's dialect adapters): one
 * implementation per dialect, in sqlite/ and postgres/. Code outside db/ speaks to the store
 * through Kysely and this adapter, never through the raw better-sqlite3 handle or the pg pool.
 */
import type { Expression, Kysely, RawBuilder, SqlBool } from 'kysely';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** What an engine can do, for the code that chooses between ways of doing a thing. */
export interface StoreCapabilities {
  /** Rows can be streamed in with COPY (PostgreSQL); otherwise one prepared insert per row. */
  readonly supportsCopy: boolean;
  /** `for update skip locked` lets several workers take rows of one queue (PostgreSQL). */
  readonly supportsSkipLocked: boolean;
  /** Advisory locks, so that one process of several runs a scheduled job (PostgreSQL). */
  readonly supportsAdvisoryLocks: boolean;
  /** One connection writes and only one process writes the store (SQLite). */
  readonly singleWriter: boolean;
  /** Several processes may share the store (PostgreSQL). */
  readonly multiProcess: boolean;
  /**
   * Ingest batches one write transaction may hold (db/grouped-writes.ts): 4 on SQLite, where a
   * commit writes out every page its rows dirtied, and the keys of the id index land anywhere;
   * 1 on PostgreSQL, whose log holds rows rather than pages.
   */
  readonly batchesPerCommit: number;
}

/** The PostgreSQL type of a bulk column (SQLite ignores it). */
export type PgType = 'text' | 'int8' | 'int4';

export interface BulkColumn {
  readonly name: string;
  /** The PostgreSQL type of the column. */
  readonly pgType: PgType;
}

/** A table and the columns of the rows inserted into it (rows are arrays in this order). */
export interface BulkTable {
  readonly table: keyof Database & string;
  readonly columns: readonly BulkColumn[];
}

/** Rows of a table looked up by equality on one key column. */
export interface KeyLookup {
  readonly table: keyof Database & string;
  /** Column looked up by equality. */
  readonly key: BulkColumn;
  readonly columns: readonly string[];
}

/** What a write transaction's body works with: Kysely on the transaction, and its adapter. */
export interface WriteTx {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** The store's adapter: its bulk statements run on this transaction's connection. */
  readonly adapter: StoreAdapter;
  /**
   * Undoes, if the transaction does not commit, what its body changed outside the store (an
   * entry of an in-process cache that names a row it wrote): without it, a cache would name a
   * row that was rolled back. Undos run newest first, after the rollback.
   */
  onRollback(undo: () => void): void;
  /**
   * Runs once the transaction has committed (in the order asked): what others in the process may
   * see or count only when it is stored (a cache entry other writers read, a metric).
   */
  onCommit(then: () => void): void;
}

/** What a write transaction's body asked to run once it commits, or undone should it not (WriteTx). */
export class TxHooks {
  readonly #undos: Array<() => void> = [];
  readonly #thens: Array<() => void> = [];

  readonly onRollback = (undo: () => void): void => {
    this.#undos.push(undo);
  };

  readonly onCommit = (then: () => void): void => {
    this.#thens.push(then);
  };

  /** After the commit: the hooks in order. The transaction stands whatever one of them throws. */
  committed(): void {
    for (const then of this.#thens) runHook(then);
    this.#thens.length = 0;
    this.#undos.length = 0;
  }

  /** After the rollback: the undos newest first. */
  rolledBack(): void {
    for (let i = this.#undos.length - 1; i >= 0; i--) runHook(this.#undos[i]!);
    this.#undos.length = 0;
    this.#thens.length = 0;
  }
}

function runHook(hook: () => void): void {
  try {
    hook();
  } catch {
    // A hook only keeps a cache or a count in step; the transaction's own outcome is what the
    // caller is told.
  }
}

/**
 * Placeholders of a prepared read's text, taken in the order of its parameters. A list is one
 * parameter (an array), of any length: on SQLite `in (?, ?, ...)` up to IN_PLACEHOLDERS_MAX
 * values (one statement per length), past that one JSON parameter read by `json_each`;
 * `= any($n::type[])` on PostgreSQL (one statement for every length).
 */
export interface Placeholders {
  /** One value. */
  value(): string;
  /** Membership of the column before it in the list given as this parameter. */
  in(type: PgType): string;
}

/**
 * The longest list a prepared read binds one value a parameter on SQLite (its statements, their
 * plans and costs as they always were); a longer one is bound as one parameter. SQLite binds at
 * most 32,766 values to a statement, PostgreSQL 65,535.
 */
export const IN_PLACEHOLDERS_MAX = 500;

/**
 * A read asked often enough to be prepared once per connection rather than built by the query
 * builder each time (tens of microseconds a query). The text is plain SQL both engines accept
 * but for its placeholders; a name has one text for ever.
 */
export interface PreparedRead {
  readonly name: string;
  text(p: Placeholders): string;
}

/** A query compiled by Kysely for this store (`query.compile()`). */
export interface CompiledRead {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/** Connections of the store's pool, read as /metrics is scraped (PostgreSQL). */
export interface PoolState {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** SQL fragments that differ between the engines and need no connection. */
export interface DialectSql {
  /** A JSON field of a text column as text: json_extract on SQLite, ->> on PostgreSQL. */
  jsonText(column: string, field: string): RawBuilder<string | null>;
  /**
   * The operand (a column name, or an expression) is one of `values`, bound as ONE parameter
   * whatever their number: `in (select value from json_each(?))` with the list as JSON text on
   * SQLite, `= any(?::type[])` with an array on PostgreSQL. Both engines still seek an index on
   * the operand with it. For lists whose length has no bound (a reader's readable access sets):
   * bound one value a parameter, they fail past the engine's limit, and make one statement text
   * per length.
   */
  inList(operand: string | Expression<unknown>, values: ReadonlyArray<string | number>, type: PgType): RawBuilder<SqlBool>;
}

export interface WriteOptions {
  /**
   * The writer can wait for a transaction of several batches to commit whole: a bulk ingest's
   * next transaction, a follower bringing a view up to date. A request's own write is not
   * background: a bulk transaction gives way to it after the batch in progress. Background
   * writers take turns in the order they asked, each bulk transaction up to its batches.
   */
  background?: boolean;
}

export interface StoreAdapter extends DialectSql {
  readonly dialect: DialectName;
  readonly capabilities: StoreCapabilities;
  /** The connection pool, for metrics; undefined where there is none (SQLite's two connections). */
  readonly pool: PoolState | undefined;

  /**
   * Runs fn in a write transaction that holds the store's single writer lock from its first
   * statement: BEGIN IMMEDIATE on SQLite, an advisory transaction lock on PostgreSQL. Writers in
   * order means date_added sequence values commit in order, so paging by it never skips a row,
   * and checks made inside the transaction (such as duplicate versions) stay true until commit.
   * A `background` transaction's writer can wait (see WriteOptions): while it waits for the
   * lock, writersWaiting() does not count it.
   */
  writeTransaction<T>(fn: (tx: WriteTx) => Promise<T>, options?: WriteOptions): Promise<T>;

  /**
   * Whether a writer other than a background one waits for the writer lock now (SQLite;
   * PostgreSQL's waiters are not known to this process: false). A transaction holding several
   * batches gives way to it after the batch it is writing.
   */
  writersWaiting(): boolean;

  /**
   * Runs statements outside a write transaction (each its own) as a background writer's (see
   * WriteOptions): while one waits for the writer lock, writersWaiting() does not count it.
   * A transaction takes the option instead. PostgreSQL: runs fn.
   */
  background<T>(fn: () => Promise<T>): Promise<T>;

  /** Inserts rows (arrays in column order) inside the caller's write transaction. */
  insertRows(tx: WriteTx, spec: BulkTable, rows: ReadonlyArray<readonly unknown[]>): Promise<void>;
  /** insertRows, leaving out rows whose key is already stored (the primary key or a unique index decides). */
  insertRowsIgnoringStored(tx: WriteTx, spec: BulkTable, rows: ReadonlyArray<readonly unknown[]>): Promise<void>;
  /** Rows whose key is one of `keys`, inside the caller's write transaction. */
  selectByKeys<R>(tx: WriteTx, spec: KeyLookup, keys: readonly unknown[]): Promise<R[]>;

  /**
   * Rows of a prepared read as objects keyed by column name: what is committed, without waiting
   * for a write in progress (SQLite reads on a connection of its own, sqlite/sqlite-driver.ts).
   */
  readObjects<R>(read: PreparedRead, parameters: readonly unknown[]): Promise<R[]>;
  /** Rows of a prepared read as arrays of columns, in the order selected (no object per row). */
  readArrays<R extends readonly unknown[]>(read: PreparedRead, parameters: readonly unknown[]): Promise<R[]>;
  /**
   * Rows of a compiled query as arrays of columns ('arrays') or its first column's values
   * ('column'); SQLite keeps a statement per text, as listings repeat page after page.
   */
  readCompiled(query: CompiledRead, shape: 'arrays' | 'column'): Promise<unknown[]>;

  /** Which store this is, the same for every process on it: the SQLite file, or the PostgreSQL database and schema. */
  identity(): Promise<string>;
  close(): Promise<void>;
}

const NAME = /^[a-z_][a-z0-9_]*$/;

/** Refuses names that would need quoting: bulk statements put them in SQL text. */
export function plainNames(names: readonly string[]): void {
  for (const name of names) if (!NAME.test(name)) throw new Error(`bulk: '${name}' is not a plain SQL name`);
}
