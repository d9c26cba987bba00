/**
 * Kysely's driver for the embedded store, with two connections to the one file: the writer,
 * which every write, transaction and pragma takes in turn (as Kysely's own SQLite driver does
 * with its single connection), and a reader for the statements that only read, outside those.
 *
 * Why: with one connection a read waited for the write transaction in progress, and for the
 * ones queued before it. During a bulk ingest (a transaction of 10,000 objects is 150-250 ms of
 * the writer's time at 1,000,000 objects stored) a request's reads each waited that long, one
 * after another: GET /api/v1/objects answered in up to 1.85 s (p99 1.2 s) while a remote ingest
 * of 1,000,000 objects ran (docs/BENCHMARKS.md). In WAL mode a second connection reads the last
 * committed state while the writer works, as PostgreSQL's readers do: what a request reads is
 * what was committed when it asked, never a transaction half done.
 *
 * A scope (a transaction, or `db.connection()`) reads through the writer once it has written:
 * what it wrote, not yet committed, is only seen there. An in-memory store has no second
 * connection to the same data: everything goes through the writer.
 */
import type SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  RawNode,
  SelectQueryNode,
  SqliteAdapter as KyselySqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';

export class StoreDialect implements Dialect {
  constructor(
    private readonly writer: SqliteDatabase.Database,
    private readonly reader: SqliteDatabase.Database | undefined,
    private readonly turns: Turns,
  ) {}
  createDriver(): Driver {
    return new StoreDriver(this.writer, this.reader, this.turns);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new KyselySqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/** A statement that cannot write: a SELECT built by Kysely, or raw SQL that is one. */
function onlyReads(query: CompiledQuery): boolean {
  if (SelectQueryNode.is(query.query)) return true;
  return RawNode.is(query.query) && /^\s*select\b/i.test(query.sql);
}

/** Statements kept per connection before the cache starts again (texts vary with the lengths of `in` lists). */
const STATEMENTS_KEPT = 512;

/**
 * The statements a connection has prepared, by text. Preparing parses and plans the text each
 * time: the assessment follower's and the job queue's statements during a remote ingest of
 * 200,000 objects were prepared some 5,000 times (230 ms of the node's main thread, profiled).
 * A statement kept is only run whole (all, run), never iterated: an iteration would hold it busy.
 */
class Prepared {
  readonly #kept = new Map<string, SqliteDatabase.Statement>();
  constructor(readonly handle: SqliteDatabase.Database) {}

  statement(sql: string): SqliteDatabase.Statement {
    let statement = this.#kept.get(sql);
    if (!statement) {
      statement = this.handle.prepare(sql);
      if (this.#kept.size >= STATEMENTS_KEPT) this.#kept.clear();
      this.#kept.set(sql, statement);
    }
    return statement;
  }
}

class StoreDriver implements Driver {
  readonly #writer: Prepared;
  readonly #reader: Prepared | undefined;
  readonly #turns: Turns;

  constructor(writer: SqliteDatabase.Database, reader: SqliteDatabase.Database | undefined, turns: Turns) {
    this.#writer = new Prepared(writer);
    this.#reader = reader ? new Prepared(reader) : undefined;
    this.#turns = turns;
  }

  async init(): Promise<void> {}

  /** A connection takes the writer's turn with its first statement that needs the writer. */
  async acquireConnection(): Promise<DatabaseConnection> {
    return new StoreConnection(this.#writer, this.#reader, this.#turns);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as StoreConnection).release();
  }

  async destroy(): Promise<void> {
    this.#reader?.handle.close();
    this.#writer.handle.close();
  }
}

class StoreConnection implements DatabaseConnection {
  #holdsWriter = false;

  constructor(
    private readonly writer: Prepared,
    private readonly reader: Prepared | undefined,
    private readonly turns: Turns,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = (await this.#handleFor(query)).statement(query.sql);
    if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(query.parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('the SQLite store streams only SELECT queries');
    const { handle } = await this.#handleFor(query);
    for (const row of handle.prepare(query.sql).iterate(query.parameters)) yield { rows: [row as R] };
  }

  release(): void {
    if (!this.#holdsWriter) return;
    this.#holdsWriter = false;
    this.turns.release();
  }

  async #handleFor(query: CompiledQuery): Promise<Prepared> {
    if (this.#holdsWriter) return this.writer;
    if (this.reader && onlyReads(query)) return this.reader;
    await this.turns.take();
    this.#holdsWriter = true;
    return this.writer;
  }
}

/** The writer's turns: one connection at a time, in the order they asked. */
export class Turns {
  #held = false;
  readonly #waiting: Array<() => void> = [];

  /** Connections waiting for the writer. */
  get waiting(): number {
    return this.#waiting.length;
  }

  take(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }
}
