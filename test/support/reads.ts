/**
 * What the store answers: every text value of every row that its adapter's reads return while
 * some work runs, handed to `seen`, so that a test can tell which bodies were read (and how much
 * of them) rather than only what the answer shows.
 */
import type { PreparedRead } from '../../src/db/adapter.js';
import type { Store } from '../../src/db/database.js';

export async function watchStoreReads(store: Store, seen: (value: string) => void, work: () => Promise<unknown>): Promise<void> {
  const adapter = store.adapter;
  const { readObjects, readArrays, readCompiled } = adapter;
  const look = <T extends readonly unknown[]>(rows: T): T => {
    for (const row of rows) {
      for (const value of Array.isArray(row) ? (row as unknown[]) : Object.values(row as Record<string, unknown>)) {
        if (typeof value === 'string') seen(value);
      }
    }
    return rows;
  };
  adapter.readObjects = async <R>(read: PreparedRead, parameters: readonly unknown[]) => look(await readObjects.call(adapter, read, parameters)) as R[];
  adapter.readArrays = async <R extends readonly unknown[]>(read: PreparedRead, parameters: readonly unknown[]) => look(await readArrays.call(adapter, read, parameters)) as unknown as R[];
  adapter.readCompiled = async (query, shape) => look(await readCompiled.call(adapter, query, shape));
  try {
    await work();
  } finally {
    Object.assign(adapter, { readObjects, readArrays, readCompiled });
  }
}
