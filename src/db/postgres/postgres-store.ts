/** Opens the scale store: a pg pool on PostgreSQL, shared by every process of the node. */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { OpenOptions, Store } from '../database.js';
import { StoreHealth } from '../health.js';
import type { Database } from '../schema.js';
import { PostgresAdapter } from './postgres-adapter.js';
import { StateSlots } from '../../core/state.js';

const INT8_OID = 20;

export function openPostgresStore(url: string, location: string, options: OpenOptions): Store {
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
  const adapter = new PostgresAdapter(pool, db, health);
  const store: Store = {
    db,
    dialect: 'postgres',
    adapter,
    location,
    health,
    state: new StateSlots(() => store),
    close: async () => {
      await store.state.dispose();
      await adapter.close();
    },
  };
  return store;
}
