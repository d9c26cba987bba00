/**
 * The PostgreSQL adapter: a pg pool shared by the node's processes' connections. Writers take
 * an advisory lock; bulk rows go through COPY, keys as one array (= any($1)); frequent reads are
 * named prepared statements, parsed once per connection.
 */
import { once } from 'node:events';
import { Kysely, PostgresDialect, sql, type PostgresPool } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isStoreUnavailable } from '../../core/store-errors.js';
import {
  plainNames,
  type BulkTable,
  type CompiledRead,
  type KeyLookup,
  type Placeholders,
  type PreparedRead,
  type StoreAdapter,
  type StoreCapabilities,
  type WriteTx,
  TxHooks,
} from '../adapter.js';
import type { StoreHealth } from '../health.js';
import type { Database } from '../schema.js';
import { POSTGRES_SQL } from './postgres-sql.js';

/**
 * Advisory lock that serialises the writers of a store on PostgreSQL: this key with a hash of
 * the store's schema (pg_advisory_xact_lock(int4, int4)). Advisory locks belong to the database,
 * not the schema: with the key alone, every store in one database (a node and its exercise
 * node, each in a schema of its own) waited for the others' write transactions.
 */
const WRITE_LOCK_KEY = 727_001;
/** Keys (or rows) per `= any($1)` statement. */
const KEYS_PER_STATEMENT = 10000;
/** COPY data is sent in pieces of about this many characters. */
const COPY_PIECE = 1 << 20;

const CAPABILITIES: StoreCapabilities = Object.freeze({
  supportsCopy: true,
  supportsSkipLocked: true,
  supportsAdvisoryLocks: true,
  singleWriter: false,
  multiProcess: true,
  batchesPerCommit: 1,
});

/** A write transaction on the one pool client that holds the writer lock. */
class PostgresWriteTx implements WriteTx {
  readonly dialect = 'postgres' as const;
  readonly hooks = new TxHooks();
  readonly onRollback = this.hooks.onRollback;
  readonly onCommit = this.hooks.onCommit;
  constructor(
    readonly db: Kysely<Database>,
    readonly adapter: PostgresAdapter,
    readonly client: pg.PoolClient,
  ) {}
}

/** A Kysely pool that hands out the one client a transaction holds. */
function singleClientPool(client: pg.PoolClient): PostgresPool {
  return {
    connect: async () => ({ query: client.query.bind(client) as pg.PoolClient['query'], release: () => undefined }),
    end: async () => undefined,
  };
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

export class PostgresAdapter implements StoreAdapter {
  readonly dialect = 'postgres' as const;
  readonly capabilities = CAPABILITIES;
  /** The text of each prepared read by name: a name is sent with one text for ever. */
  readonly #texts = new Map<string, string>();

  constructor(
    private readonly pgPool: pg.Pool,
    private readonly db: Kysely<Database>,
    private readonly health: StoreHealth,
  ) {}

  get pool(): pg.Pool {
    return this.pgPool;
  }

  async writeTransaction<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pgPool.connect();
    } catch (error) {
      if (isStoreUnavailable(error)) this.health.lost(error);
      throw error;
    }
    let broken = false;
    let tx: PostgresWriteTx | undefined;
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock($1, hashtext(current_schema()))', [WRITE_LOCK_KEY]);
      // Every read in a write transaction is a key lookup. During a bulk load the table's
      // statistics lag far behind its size, and the planner would scan the whole table for
      // each batch's lookup (measured: 0.2 s a batch at a million rows) unless told not to.
      // A read that no index serves (a small table's) is then costed far above jit_above_cost:
      // compiling it took some 40 ms a statement (measured on api_tokens), for nothing here.
      await client.query('set local enable_seqscan = off; set local jit = off');
      const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: singleClientPool(client) }) });
      tx = new PostgresWriteTx(db, this, client);
      const result = await fn(tx);
      await client.query('commit');
      tx.hooks.committed();
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      // After a lost connection the commit may have happened: an undo only forgets what a cache
      // holds, which is read again from the store.
      tx?.hooks.rolledBack();
      if (isStoreUnavailable(error)) {
        broken = true;
        this.health.lost(error);
      }
      throw error;
    } finally {
      // A connection that broke is destroyed, never handed to the next writer.
      client.release(broken);
    }
  }

  /** Other processes' writers are not known here; this process's wait in the pool, unseen. */
  writersWaiting(): boolean {
    return false;
  }

  background<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  /** Rows through COPY, sent in pieces of about a mebibyte. */
  async insertRows(tx: WriteTx, spec: BulkTable, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
    if (rows.length === 0) return;
    const client = this.#client(tx);
    plainNames([spec.table, ...spec.columns.map((c) => c.name)]);
    const columns = spec.columns.map((c) => c.name).join(', ');
    const stream = client.query(copyFrom(`copy ${spec.table} (${columns}) from stdin`));
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

  /** One `insert ... select from unnest(...) on conflict do nothing` per 10,000 rows (COPY cannot skip a row). */
  async insertRowsIgnoringStored(tx: WriteTx, spec: BulkTable, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
    if (rows.length === 0) return;
    const client = this.#client(tx);
    plainNames([spec.table, ...spec.columns.map((c) => c.name)]);
    const columns = spec.columns.map((c) => c.name).join(', ');
    const arrays = spec.columns.map((c, i) => `$${i + 1}::${c.pgType}[]`).join(', ');
    const text = `insert into ${spec.table} (${columns}) select * from unnest(${arrays}) on conflict do nothing`;
    for (let start = 0; start < rows.length; start += KEYS_PER_STATEMENT) {
      const part = rows.slice(start, start + KEYS_PER_STATEMENT);
      await client.query(text, spec.columns.map((_c, i) => part.map((row) => row[i] ?? null)));
    }
  }

  /** One `= any($1)` query per 10,000 keys. */
  async selectByKeys<R>(tx: WriteTx, spec: KeyLookup, keys: readonly unknown[]): Promise<R[]> {
    const out: R[] = [];
    if (keys.length === 0) return out;
    this.#client(tx);
    plainNames([spec.table, spec.key.name, ...spec.columns]);
    for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
      const result = await sql<R>`select ${sql.join(spec.columns.map((c) => sql.ref(c)))} from ${sql.table(spec.table)}
        where ${sql.ref(spec.key.name)} = any(${keys.slice(start, start + KEYS_PER_STATEMENT)}::${sql.raw(spec.key.pgType)}[])`.execute(tx.db);
      out.push(...result.rows);
    }
    return out;
  }

  async readObjects<R>(read: PreparedRead, parameters: readonly unknown[]): Promise<R[]> {
    const { rows } = await this.pgPool.query({ name: read.name, text: this.#text(read), values: parameters as unknown[] });
    return rows as R[];
  }

  async readArrays<R extends readonly unknown[]>(read: PreparedRead, parameters: readonly unknown[]): Promise<R[]> {
    const { rows } = await this.pgPool.query({ name: read.name, text: this.#text(read), values: parameters as unknown[], rowMode: 'array' });
    return rows as unknown as R[];
  }

  async readCompiled(query: CompiledRead, shape: 'arrays' | 'column'): Promise<unknown[]> {
    const { rows } = await this.pgPool.query<unknown[]>({ text: query.sql, values: query.parameters as unknown[], rowMode: 'array' });
    return shape === 'arrays' ? rows : rows.map((row) => row[0]);
  }

  readonly jsonText = POSTGRES_SQL.jsonText;
  readonly inList = POSTGRES_SQL.inList;

  async identity(): Promise<string> {
    const { rows } = await sql<{ database: string; schema: string }>`select current_database() as database, current_schema() as schema`.execute(this.db);
    return `postgres:${rows[0]!.database}/${rows[0]!.schema}`;
  }

  async close(): Promise<void> {
    this.health.close();
    await this.db.destroy();
  }

  #client(tx: WriteTx): pg.PoolClient {
    if (!(tx instanceof PostgresWriteTx) || tx.adapter !== this) throw new Error('bulk: not a write transaction of this store');
    return tx.client;
  }

  #text(read: PreparedRead): string {
    let text = this.#texts.get(read.name);
    if (text === undefined) {
      text = read.text(postgresPlaceholders());
      this.#texts.set(read.name, text);
    }
    return text;
  }
}

function postgresPlaceholders(): Placeholders {
  let next = 0;
  return {
    value: () => `$${++next}`,
    in: (type) => `= any($${++next}::${type}[])`,
  };
}
