/**
 * Every store test runs once per dialect from this one list. PostgreSQL tests use a schema of
 * their own, dropped afterwards. A new store is a copy of one migrated once (templates.ts).
 *
 * Which PostgreSQL: SHIELDWALL_TEST_PG=<url> (a database that exists; each test creates its
 * own schema in it). Without it, the local postgres://postgres@127.0.0.1:5432/test when it
 * answers; when it does not, the PostgreSQL tests are skipped, each with the reason.
 * SHIELDWALL_TEST_PG=none skips them on purpose. Under CI=true the choice must be explicit and
 * the server must answer: SHIELDWALL_TEST_PG unset, `none` or unreachable fails the tests.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStore, type DialectName, type Store } from '../../src/db/database.js';
import { migrateStore } from '../../src/modules/index.js';
import { countSkip } from './skip.js';
import { migratedPostgresSchema, migratedSqliteFile } from './templates.js';
import { limit } from './wait.js';

export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
const selected = process.env.SHIELDWALL_TEST_PG?.trim() || undefined;
const CI = process.env.CI === 'true';

export const POSTGRES_URL = selected === undefined || selected === 'none' ? LOCAL_POSTGRES : selected;

let reachable: Promise<string | undefined> | undefined;

/** undefined when the selected PostgreSQL answers, else the reason the tests cannot use it. */
export function postgresProblem(): Promise<string | undefined> {
  reachable ??= (async () => {
    if (selected === 'none') return 'SHIELDWALL_TEST_PG=none: PostgreSQL tests not selected';
    if (selected === undefined && CI) return 'SHIELDWALL_TEST_PG is not set: under CI=true name the PostgreSQL server to test against (SHIELDWALL_TEST_PG=postgres://user@host:5432/db)';
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: limit(30_000) });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (error) {
      const how = selected === undefined ? 'the default local server; set SHIELDWALL_TEST_PG=<url> to use another' : 'SHIELDWALL_TEST_PG';
      return `PostgreSQL at ${redactPassword(POSTGRES_URL)} (${how}) is unreachable: ${(error as Error).message}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Options for node:test's describe: skip PostgreSQL (with the reason) when absent, unless CI demands it. */
export async function dialectSkip(dialect: DialectName): Promise<string | false> {
  if (dialect !== 'postgres') return false;
  const problem = await postgresProblem();
  if (!problem) return false;
  if (CI) throw new Error(`${problem} (CI=true: the PostgreSQL tests are mandatory)`);
  countSkip('the PostgreSQL suites of this file', problem);
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
    const file = path.join(dir, 'store.db');
    await migratedSqliteFile(file);
    const url = `sqlite:${file}`;
    const store = openStore(url);
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
  let copied: boolean;
  try {
    await admin.query(`create schema ${schema}`);
    copied = await migratedPostgresSchema(admin, POSTGRES_URL, schema);
  } finally {
    await admin.end();
  }
  const store = openStore(POSTGRES_URL, { schema });
  if (!copied) await migrateStore(store);
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
