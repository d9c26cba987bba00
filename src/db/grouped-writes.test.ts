/**
 * Several batches of one bulk writer to a write transaction (grouped-writes.ts): the batches a
 * writer hands over back to back share a transaction, up to the store's batchesPerCommit;
 * nothing is reported before the commit; a failure takes back every batch of the transaction;
 * a batch not ready at once, or another writer waiting (not a background one), ends the transaction.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, createTestStore, dialectSkip, type TestStore } from '../../test/support/dialects.js';
import { SUITE_LIMIT_MS, waitFor } from '../../test/support/wait.js';
import { nextTurn } from '../core/turn.js';
import type { StoreAdapter, WriteTx } from './adapter.js';
import type { Store } from './database.js';
import { GroupedWriter } from './grouped-writes.js';

/** A batch handed over is refused with `error`, and never runs. */
async function refusedUnrun(writer: GroupedWriter, error: Error): Promise<void> {
  let ran = false;
  await assert.rejects(
    writer.write(async () => {
      ran = true;
      return () => undefined;
    }),
    error,
  );
  assert.equal(ran, false, 'the batch did not run');
}

/** Keys far from those the migrations make; each test takes a range of its own. */
let nextKey = 700_000;

for (const dialect of DIALECTS) {
  describe(`grouped write transactions (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;
    before(async () => {
      testStore = await createTestStore(dialect);
    });
    after(async () => {
      await testStore?.cleanup();
    });

    const committed = async (keys: readonly number[]): Promise<number[]> => {
      const rows = await testStore.store.db.selectFrom('access_sets').select('key').where('key', 'in', [...keys]).orderBy('key').execute();
      return rows.map((r) => Number(r.key));
    };

    /** A batch that stores one access set and says, once committed, that it was. */
    const batch = (key: number, seen: WriteTx[], reported: number[]) => async (tx: WriteTx) => {
      seen.push(tx);
      await tx.db.insertInto('access_sets').values({ key, tlp: 'green', classification: 0, releasability: `,K${key},` }).execute();
      return () => {
        reported.push(key);
      };
    };

    it('writes batches handed over back to back in transactions of batchesPerCommit, reported once committed', async () => {
      const perCommit = testStore.store.adapter.capabilities.batchesPerCommit;
      assert.equal(perCommit, dialect === 'sqlite' ? 4 : 1);
      const writer = new GroupedWriter(testStore.store);
      const keys = Array.from({ length: 6 }, () => nextKey++);
      const seen: WriteTx[] = [];
      const reported: number[] = [];
      const committedWhenRun: number[][] = [];
      for (const key of keys) {
        // As the ingest pipeline does: the next batch is handed over as soon as the last has run.
        await writer.write(async (tx) => {
          // What the others read (outside the transaction) when the batch runs.
          committedWhenRun.push(await committed(keys));
          return batch(key, seen, reported)(tx);
        });
      }
      await writer.end();
      assert.deepEqual(reported, keys, 'every batch reported, in order, once');
      assert.deepEqual(await committed(keys), keys);
      const transactions = [...new Set(seen)];
      assert.equal(transactions.length, Math.ceil(keys.length / perCommit), 'batches per transaction');
      for (let i = 0; i < keys.length; i++) {
        assert.equal(seen[i], transactions[Math.floor(i / perCommit)], `batch ${i} in transaction ${Math.floor(i / perCommit)}`);
        // Before a batch ran, the store held exactly the batches of the transactions before its own.
        assert.deepEqual(committedWhenRun[i], keys.slice(0, Math.floor(i / perCommit) * perCommit), `committed before batch ${i}`);
      }
    });

    it('takes back every batch of a transaction when one fails, reports none of them and refuses the next', async () => {
      const writer = new GroupedWriter(testStore.store, 4);
      const [first, second, later] = [nextKey++, nextKey++, nextKey++];
      const seen: WriteTx[] = [];
      const reported: number[] = [];
      const undone: string[] = [];
      await writer.write(async (tx) => {
        tx.onRollback(() => undone.push('first'));
        return batch(first, seen, reported)(tx);
      });
      const failure = new Error('the second batch broke');
      const failing = writer.write(async (tx) => {
        tx.onRollback(() => undone.push('second'));
        await batch(second, seen, reported)(tx);
        throw failure;
      });
      await assert.rejects(failing, failure);
      await assert.rejects(writer.end(), failure);
      assert.equal(seen[0], seen[1], 'both batches in one transaction');
      assert.deepEqual(undone, ['second', 'first'], 'undos of the rolled-back transaction, newest first');
      assert.deepEqual(reported, [], 'nothing of the transaction reported');
      assert.deepEqual(await committed([first, second]), []);
      await refusedUnrun(writer, failure);
      assert.deepEqual(await committed([later]), []);
    });
  });
}

describe('grouped write transactions: when a transaction ends early (sqlite)', { timeout: SUITE_LIMIT_MS }, () => {
  let testStore: TestStore;
  before(async () => {
    testStore = await createTestStore('sqlite');
  });
  after(async () => {
    await testStore?.cleanup();
  });

  const insert = (tx: WriteTx, key: number) =>
    tx.db.insertInto('access_sets').values({ key, tlp: 'clear', classification: 0, releasability: `,K${key},` }).execute();

  it('commits rather than wait while the next batch is prepared', async () => {
    const writer = new GroupedWriter(testStore.store, 4);
    const seen: WriteTx[] = [];
    const reported: string[] = [];
    await writer.write(async (tx) => {
      seen.push(tx);
      await insert(tx, nextKey++);
      return () => reported.push('first');
    });
    // The next batch is not ready when the first has run: the event loop turns meanwhile.
    await nextTurn();
    await nextTurn();
    await writer.write(async (tx) => {
      seen.push(tx);
      assert.deepEqual(reported, ['first'], 'the first batch was committed and reported before the second ran');
      await insert(tx, nextKey++);
      return () => reported.push('second');
    });
    await writer.end();
    assert.notEqual(seen[0], seen[1]);
    assert.deepEqual(reported, ['first', 'second']);
  });

  it('gives way to another writer waiting for the writer lock', async () => {
    const writer = new GroupedWriter(testStore.store, 4);
    const store = testStore.store;
    const outside = nextKey++;
    const seen: WriteTx[] = [];
    let otherWrite: Promise<unknown> | undefined;
    await writer.write(async (tx) => {
      seen.push(tx);
      await insert(tx, nextKey++);
      // Another writer (a request recording something) asks for the lock while the batch holds it.
      otherWrite = store.db.insertInto('access_sets').values({ key: outside, tlp: 'red', classification: 0, releasability: ',OTHER,' }).execute();
      await waitFor('the other writer to wait for the lock', () => store.adapter.writersWaiting());
      return () => undefined;
    });
    let sawOutside: number[] = [];
    await writer.write(async (tx) => {
      seen.push(tx);
      sawOutside = (await tx.db.selectFrom('access_sets').select('key').where('key', '=', outside).execute()).map((r) => Number(r.key));
      return () => undefined;
    });
    await writer.end();
    await otherWrite;
    assert.notEqual(seen[0], seen[1], 'the transaction ended after the batch that saw a writer waiting');
    assert.deepEqual(sawOutside, [outside], 'the other writer wrote between the two transactions');
    assert.equal(store.adapter.writersWaiting(), false);
  });

  it('does not give way to background writers (followers, the job scheduler): they write after the transaction', async () => {
    const writer = new GroupedWriter(testStore.store, 4);
    const store = testStore.store;
    const [follower, scheduler] = [nextKey++, nextKey++];
    const seen: WriteTx[] = [];
    const waiting: Array<Promise<unknown>> = [];
    await writer.write(async (tx) => {
      seen.push(tx);
      await insert(tx, nextKey++);
      // A follower's transaction and the scheduler's statement ask for the lock while the batch holds it.
      waiting.push(store.adapter.writeTransaction((other) => insert(other, follower), { background: true }));
      waiting.push(store.adapter.background(() => store.db.insertInto('access_sets').values({ key: scheduler, tlp: 'clear', classification: 0, releasability: ',SCHEDULER,' }).execute()));
      await waitFor('both to wait for the lock', () => (store.adapter as unknown as { turns: { waiting: number } }).turns.waiting === 2);
      assert.equal(store.adapter.writersWaiting(), false, 'background writers are not counted');
      return () => undefined;
    });
    let sawBackground: number[] = [];
    await writer.write(async (tx) => {
      seen.push(tx);
      sawBackground = (await tx.db.selectFrom('access_sets').select('key').where('key', 'in', [follower, scheduler]).execute()).map((r) => Number(r.key));
      return () => undefined;
    });
    await writer.end();
    await Promise.all(waiting);
    assert.equal(seen[0], seen[1], 'both batches in one transaction');
    assert.deepEqual(sawBackground, [], 'the background writers waited for its commit');
    const after = (await store.db.selectFrom('access_sets').select('key').where('key', 'in', [follower, scheduler]).orderBy('key').execute()).map((r) => Number(r.key));
    assert.deepEqual(after, [follower, scheduler], 'and wrote after it');
    assert.equal(store.adapter.writersWaiting(), false);
  });

  /**
   * A bulk writer's two batches, `other` asking for the lock while the first holds it: whether
   * writersWaiting() counted it then, and whether the batches shared a transaction.
   */
  const bulkWhileOtherAsks = async (other: GroupedWriter): Promise<{ counted: boolean | undefined; oneTransaction: boolean }> => {
    const store = testStore.store;
    const bulk = new GroupedWriter(store, 4);
    const seen: WriteTx[] = [];
    let asked: Promise<void> | undefined;
    let counted: boolean | undefined;
    await bulk.write(async (tx) => {
      seen.push(tx);
      await insert(tx, nextKey++);
      asked = other.write(async (t) => {
        await insert(t, nextKey++);
        return () => undefined;
      });
      await waitFor('the other writer to wait for the lock', () => (store.adapter as unknown as { turns: { waiting: number } }).turns.waiting === 1);
      counted = store.adapter.writersWaiting();
      return () => undefined;
    });
    await bulk.write(async (tx) => {
      seen.push(tx);
      return () => undefined;
    });
    await bulk.end();
    await asked;
    await other.end();
    return { counted, oneTransaction: seen[0] === seen[1] };
  };

  it("gives way to another writer's first transaction (a request's own write), not to its later ones (a bulk stream's)", async () => {
    // A writer whose first transaction has committed asks for the lock again: a bulk stream under way.
    const under = new GroupedWriter(testStore.store, 4);
    await under.write(async (tx) => {
      await insert(tx, nextKey++);
      return () => undefined;
    });
    await nextTurn();
    assert.deepEqual(await bulkWhileOtherAsks(under), { counted: false, oneTransaction: true });
    // A new writer's first transaction: the bulk transaction ends after the batch that saw it waiting.
    assert.deepEqual(await bulkWhileOtherAsks(new GroupedWriter(testStore.store, 4)), { counted: true, oneTransaction: false });
  });

  it('counts a background transaction that could not begin (another process held the lock) as waiting no more', async () => {
    const store = testStore.store;
    const handle = (store.adapter as unknown as { handle: Database.Database }).handle;
    // Another process holds the file's write lock past the busy timeout (made short here).
    const other = new Database(testStore.url.replace(/^sqlite:/, ''));
    other.exec('begin immediate');
    handle.pragma('busy_timeout = 50');
    try {
      await assert.rejects(store.adapter.writeTransaction(async () => undefined, { background: true }), /locked|busy/i);
    } finally {
      other.exec('rollback');
      other.close();
      handle.pragma('busy_timeout = 10000');
    }
    // A request's write waiting while a bulk transaction holds the lock is still seen.
    const writer = new GroupedWriter(store, 4);
    let otherWrite: Promise<unknown> | undefined;
    let seen = false;
    await writer.write(async (tx) => {
      await insert(tx, nextKey++);
      otherWrite = store.db.insertInto('access_sets').values({ key: nextKey++, tlp: 'red', classification: 0, releasability: ',OTHER,' }).execute();
      await waitFor('the other writer to wait for the lock', () => (store.adapter as unknown as { turns: { waiting: number } }).turns.waiting === 1);
      seen = store.adapter.writersWaiting();
      return () => undefined;
    });
    await writer.end();
    await otherWrite;
    assert.equal(seen, true);
  });
});

/** A store whose write transactions fail where told: before the body runs, or at the commit. */
function failingStore(where: 'begin' | 'commit', error: Error): Store {
  const adapter = {
    capabilities: { batchesPerCommit: 4 },
    writersWaiting: () => false,
    writeTransaction: async <T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> => {
      if (where === 'begin') throw error;
      await fn({ onRollback: () => undefined, onCommit: () => undefined } as unknown as WriteTx);
      throw error;
    },
  } as unknown as StoreAdapter;
  return { adapter } as unknown as Store;
}

describe('grouped write transactions: a store that fails', () => {
  it('answers a batch whose transaction could not begin (the store unreachable) with the failure', async () => {
    const unreachable = new Error('connect ECONNREFUSED');
    const writer = new GroupedWriter(failingStore('begin', unreachable));
    await refusedUnrun(writer, unreachable);
    await assert.rejects(writer.end(), unreachable);
  });

  it('reports nothing of a transaction whose commit failed, and says so at the end', async () => {
    const full = new Error('database or disk is full');
    const writer = new GroupedWriter(failingStore('commit', full));
    const reported: string[] = [];
    await writer.write(async () => () => reported.push('first'));
    await writer.write(async () => () => reported.push('second'));
    await assert.rejects(writer.end(), full);
    assert.deepEqual(reported, []);
  });
});
