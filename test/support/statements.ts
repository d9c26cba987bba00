/**
 * The SQL texts a store runs while a test's code runs, the values bound to each, and how many
 * rows each answered. On SQLite every statement run is seen, whether prepared now or kept from
 * before (the driver keeps statements per connection), on either connection; on PostgreSQL every
 * query sent by a client.
 */
import type { TestContext } from 'node:test';
import pg from 'pg';
import type { Store } from '../../src/db/database.js';

const RUNS = ['all', 'get', 'run', 'iterate'] as const;

/** One statement run: its text, the values bound to it, and the rows it answered (undefined: a write, or a cursor's). */
export interface StatementRun {
  text: string;
  args: unknown[];
  rows: number | undefined;
}

export async function statementsRun(t: TestContext, store: Store, run: () => Promise<unknown>): Promise<string[]> {
  return (await statementRuns(t, store, run)).map((statement) => statement.text);
}

export async function statementRuns(t: TestContext, store: Store, run: () => Promise<unknown>): Promise<StatementRun[]> {
  const statements: StatementRun[] = [];
  if (store.sqlite) {
    // Every statement of better-sqlite3 shares one prototype: its methods see the text run.
    const prototype = Object.getPrototypeOf(store.sqlite.prepare('select 1')) as Record<(typeof RUNS)[number], (...args: unknown[]) => unknown>;
    for (const name of RUNS) {
      const original = prototype[name];
      t.mock.method(prototype, name, function (this: { source: string }, ...args: unknown[]) {
        const statement: StatementRun = { text: this.source, args, rows: undefined };
        statements.push(statement);
        const result = original.apply(this, args);
        if (name === 'all') statement.rows = (result as unknown[]).length;
        else if (name === 'get') statement.rows = result === undefined ? 0 : 1;
        else if (name === 'iterate') return counted(result as Iterable<unknown>, statement);
        return result;
      });
    }
  } else {
    const query = pg.Client.prototype.query;
    t.mock.method(pg.Client.prototype, 'query', function (this: pg.Client, ...args: Parameters<typeof query>) {
      const config: unknown = args[0];
      const values = typeof config === 'string' ? args[1] : ((config as { values?: unknown } | undefined)?.values ?? args[1]);
      const statement: StatementRun = {
        text: typeof config === 'string' ? config : String((config as { text?: unknown } | undefined)?.text ?? ''),
        args: Array.isArray(values) ? values : [],
        rows: undefined,
      };
      statements.push(statement);
      const result = (query as (...a: unknown[]) => unknown).apply(this, args);
      if (result instanceof Promise) {
        void result.then(
          (answer: unknown) => {
            const rows = (answer as { rows?: unknown } | undefined)?.rows;
            if (Array.isArray(rows)) statement.rows = rows.length;
          },
          () => undefined,
        );
      }
      return result;
    });
  }
  try {
    await run();
  } finally {
    t.mock.restoreAll();
  }
  return statements;
}

/** A streamed statement's rows, counted as they are taken. */
function* counted(rows: Iterable<unknown>, statement: StatementRun): Generator<unknown> {
  statement.rows = 0;
  for (const row of rows) {
    statement.rows++;
    yield row;
  }
}
