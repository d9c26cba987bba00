/**
 * Every store test runs once per dialect from this one list. PostgreSQL tests use a schema of
 * their own, dropped afterwards. Without PostgreSQL they are skipped, except under CI=true,
 * where they fail.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStore, type DialectName, type Store } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<string | undefined> | undefined;

/** undefined when PostgreSQL answers, else the reason it does not. */
export function postgresProblem(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (error) {
      return `PostgreSQL at ${POSTGRES_URL} is unreachable: ${(error as Error).message}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/** Options for node:test's describe: skip PostgreSQL when absent, unless CI demands it. */
export async function dialectSkip(dialect: DialectName): Promise<string | false> {
  if (dialect !== 'postgres') return false;
  const problem = await postgresProblem();
  if (!problem) return false;
  if (process.env.CI === 'true') throw new Error(`${problem} (CI=true: the PostgreSQL tests are mandatory)`);
  return problem;
}

export interface TestStore {
  store: Store;
  url: string;
  /** For PostgreSQL, the schema the store lives in. */
  schema: string | undefined;
  /** A data directory of the test's own (keys, checkpoints), removed by cleanup. */
  dataDir: string;
  cleanup(): Promise<void>;
}

export async function createTestStore(dialect: DialectName): Promise<TestStore> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shieldwall-data-'));
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-test-'));
    const url = `sqlite:${path.join(dir, 'store.db')}`;
    const store = openStore(url);
    await migrateToLatest(store);
    return {
      store,
      url,
      schema: undefined,
      dataDir,
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const schema = `sw_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const store = openStore(POSTGRES_URL, { schema });
  await migrateToLatest(store);
  return {
    store,
    url: `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`,
    schema,
    dataDir,
    cleanup: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}
