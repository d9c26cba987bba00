/**
 * The SQL texts a store runs while a test's code runs. On SQLite every statement run is seen,
 * whether prepared now or kept from before (the driver keeps statements per connection), on
 * either connection; on PostgreSQL every query sent by a client.
 */
import type { TestContext } from 'node:test';
import pg from 'pg';
import type { Store } from '../../src/db/database.js';

const RUNS = ['all', 'get', 'run', 'iterate'] as const;

export async function statementsRun(t: TestContext, store: Store, run: () => Promise<unknown>): Promise<string[]> {
  const statements: string[] = [];
  if (store.sqlite) {
    // Every statement of better-sqlite3 shares one prototype: its methods see the text run.
    const prototype = Object.getPrototypeOf(store.sqlite.prepare('select 1')) as Record<(typeof RUNS)[number], (...args: unknown[]) => unknown>;
    for (const name of RUNS) {
      const original = prototype[name];
      t.mock.method(prototype, name, function (this: { source: string }, ...args: unknown[]) {
        statements.push(this.source);
        return original.apply(this, args);
      });
    }
  } else {
    const query = pg.Client.prototype.query;
    t.mock.method(pg.Client.prototype, 'query', function (this: pg.Client, ...args: Parameters<typeof query>) {
      const config: unknown = args[0];
      statements.push(typeof config === 'string' ? config : String((config as { text?: unknown } | undefined)?.text ?? ''));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    });
  }
  try {
    await run();
  } finally {
    t.mock.restoreAll();
  }
  return statements;
}
