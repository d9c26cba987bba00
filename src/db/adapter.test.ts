/**
 * The contract every store adapter keeps, on each dialect: bulk rows written in a write
 * transaction come back through the prepared and compiled reads; the writer lock lets one write
 * transaction run at a time; the capability flags say what the engine does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { DIALECTS, createTestStore, dialectSkip, type TestStore } from '../../test/support/dialects.js';
import { countTurns, SUITE_LIMIT_MS, waitFor } from '../../test/support/wait.js';
import { IN_PLACEHOLDERS_MAX, type BulkTable, type KeyLookup, type PreparedRead, type WriteTx } from './adapter.js';

const ACCESS_SETS: BulkTable = {
  table: 'access_sets',
  columns: [
    { name: 'key', pgType: 'int4' },
    { name: 'tlp', pgType: 'text' },
    { name: 'classification', pgType: 'int4' },
    { name: 'releasability', pgType: 'text' },
  ],
};
const BY_KEY: KeyLookup = { table: 'access_sets', key: { name: 'key', pgType: 'int4' }, columns: ['key', 'tlp', 'classification', 'releasability'] };
const SETS_OF_KEYS: PreparedRead = {
  name: 'adapter_test_sets_of_keys',
  text: (p) => `select key, tlp, classification, releasability from access_sets where key ${p.in('int4')} and classification >= ${p.value()} order by key`,
};

type SetRow = { key: number; tlp: string | null; classification: number; releasability: string };
type SetColumns = [key: number, tlp: string | null, classification: number, releasability: string];

/** Rows of a test's own range of keys, far from those the migrations or other tests make. */
function setRows(first: number, count: number): SetColumns[] {
  // Text that COPY must escape (tab, newline, backslash) and a NULL.
  return Array.from({ length: count }, (_v, i): SetColumns => [first + i, i % 3 === 0 ? null : `amber\t${i}\n\\`, i % 5, `,M${i},`]);
}

for (const dialect of DIALECTS) {
  describe(`store adapter contract (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;

    before(async () => {
      testStore = await createTestStore(dialect);
    });
    after(async () => testStore?.cleanup());

    it('gives back through every read the rows bulk statements wrote', async () => {
      const { store } = testStore;
      const rows = setRows(1_000, 1_200);
      const found = await store.adapter.writeTransaction(async (tx) => {
        await store.adapter.insertRows(tx, ACCESS_SETS, rows);
        // Half stored already, half new: only the new ones are written.
        await store.adapter.insertRowsIgnoringStored(tx, ACCESS_SETS, [...setRows(1_600, 1_200).map((r): SetColumns => [r[0], 'other', 9, 'other'])]);
        return store.adapter.selectByKeys<SetRow>(tx, BY_KEY, [1_000, 1_799, 2_799, 5_000, 1_000]);
      });
      const stored = [...rows, ...setRows(2_200, 600).map((r): SetColumns => [r[0], 'other', 9, 'other'])];
      const byKey = new Map(stored.map((r) => [r[0], r]));
      assert.deepStrictEqual(
        found.map((r) => [Number(r.key), r.tlp, Number(r.classification), r.releasability]).sort((a, b) => Number(a[0]) - Number(b[0])),
        [1_000, 1_799, 2_799].map((key) => byKey.get(key)),
        'the keys stored, each once; a key twice in the list matches once',
      );

      const keys = [1_003, 1_004, 2_500, 4_000];
      const expected = stored.filter((r) => keys.includes(r[0]) && r[2] >= 1);
      const objects = await store.adapter.readObjects<SetRow>(SETS_OF_KEYS, [keys, 1]);
      assert.deepStrictEqual(objects.map((r) => [Number(r.key), r.tlp, Number(r.classification), r.releasability]), expected);
      const arrays = await store.adapter.readArrays<SetColumns>(SETS_OF_KEYS, [keys, 1]);
      assert.deepStrictEqual(arrays.map((r) => [Number(r[0]), r[1], Number(r[2]), r[3]]), expected);
      // Another length of the same list: SQLite prepares another statement, PostgreSQL reuses its one.
      assert.deepStrictEqual((await store.adapter.readArrays<SetColumns>(SETS_OF_KEYS, [[2_500], 0])).map((r) => Number(r[0])), [2_500]);

      const compiled = store.db.selectFrom('access_sets').select(['key', 'releasability']).where('key', '>=', 2_798).orderBy('key').compile();
      assert.deepStrictEqual((await store.adapter.readCompiled(compiled, 'arrays')).map((r) => [Number((r as unknown[])[0]), (r as unknown[])[1]]), [
        [2_798, 'other'],
        [2_799, 'other'],
      ]);
      assert.deepStrictEqual((await store.adapter.readCompiled(compiled, 'column')).map(Number), [2_798, 2_799]);
    });

    it('lets one write transaction run at a time, and reads see only what committed', async () => {
      const { store } = testStore;
      const events: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let firstIn!: () => void;
      const inside = new Promise<void>((resolve) => (firstIn = resolve));
      const first = store.adapter.writeTransaction(async (tx) => {
        events.push('first in');
        await tx.db.insertInto('access_sets').values({ key: 10_000, tlp: null, classification: 0, releasability: ',' }).execute();
        const own = await tx.db.selectFrom('access_sets').select('key').where('key', '=', 10_000).execute();
        assert.equal(own.length, 1, 'a transaction reads what it wrote, not yet committed');
        firstIn();
        await held;
        events.push('first out');
      });
      await inside;
      let secondSaw: number | undefined;
      const second = store.adapter.writeTransaction(async (tx: WriteTx) => {
        events.push('second in');
        secondSaw = (await tx.db.selectFrom('access_sets').select('key').where('key', '=', 10_000).execute()).length;
        await tx.db.insertInto('access_sets').values({ key: 10_001, tlp: null, classification: 0, releasability: ',' }).execute();
        events.push('second out');
      });
      if (dialect === 'postgres') {
        // The second writer is waiting for the writer lock (it holds a connection of its own).
        await waitFor('the second writer to wait for the writer lock', async () => {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = 727001 and objsubid = 2 and not granted`.execute(store.db);
          return rows[0]!.n >= 1;
        });
      }
      // A read meanwhile answers at once with the last commit, without the first writer's row:
      // PostgreSQL from a connection of its own, SQLite from its reading connection
      // (sqlite/sqlite-driver.ts); neither waits for the write in progress. So does a query built
      // with Kysely outside a transaction.
      assert.deepStrictEqual(await store.adapter.readArrays<SetColumns>(SETS_OF_KEYS, [[10_000], 0]), []);
      assert.deepStrictEqual(await store.db.selectFrom('access_sets').select('key').where('key', '=', 10_000).execute(), []);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepStrictEqual(events, ['first in'], 'the second writer has not started');
      release();
      await Promise.all([first, second]);
      assert.deepStrictEqual(events, ['first in', 'first out', 'second in', 'second out']);
      assert.equal(secondSaw, 1, 'the second writer saw what the first committed');
      const after = await store.adapter.readArrays<SetColumns>(SETS_OF_KEYS, [[10_000, 10_001], 0]);
      assert.deepStrictEqual(after.map((r) => Number(r[0])), [10_000, 10_001], 'a read after the commits sees both');
    });

    it('does not make the writers of another store wait (on PostgreSQL, another schema of the same database)', async () => {
      const other = await createTestStore(dialect);
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let firstIn!: () => void;
        const inside = new Promise<void>((resolve) => (firstIn = resolve));
        const first = testStore.store.adapter.writeTransaction(async () => {
          firstIn();
          await held;
        });
        await inside;
        // Written and committed while the first store's writer holds its lock.
        await other.store.adapter.writeTransaction(async (tx) => {
          await tx.db.insertInto('access_sets').values({ key: 10_500, tlp: null, classification: 0, releasability: ',' }).execute();
        });
        assert.equal((await other.store.db.selectFrom('access_sets').select('key').where('key', '=', 10_500).execute()).length, 1);
        release();
        await first;
      } finally {
        await other.cleanup();
      }
    });

    it('runs onCommit hooks after a commit, in order, and onRollback undos after a rollback, newest first', async () => {
      const { store } = testStore;
      const calls: string[] = [];
      const seenAtCommit: number[][] = [];
      await store.adapter.writeTransaction(async (tx) => {
        await tx.db.insertInto('access_sets').values({ key: 10_100, tlp: null, classification: 0, releasability: ',' }).execute();
        tx.onCommit(() => calls.push('commit 1'));
        tx.onRollback(() => calls.push('undo 1'));
        tx.onCommit(() => {
          calls.push('commit 2');
          throw new Error('a hook that fails leaves the transaction standing');
        });
        tx.onCommit(() => calls.push('commit 3'));
        assert.deepEqual(calls, [], 'nothing runs before the end');
      });
      assert.deepEqual(calls, ['commit 1', 'commit 2', 'commit 3']);
      calls.length = 0;
      const failure = new Error('the body fails');
      await assert.rejects(
        store.adapter.writeTransaction(async (tx) => {
          await tx.db.insertInto('access_sets').values({ key: 10_101, tlp: null, classification: 0, releasability: ',' }).execute();
          tx.onRollback(() => calls.push('undo 1'));
          tx.onCommit(() => calls.push('commit 1'));
          tx.onRollback(() => {
            // Run after the rollback: the row is not stored any more.
            calls.push('undo 2');
          });
          throw failure;
        }),
        failure,
      );
      assert.deepEqual(calls, ['undo 2', 'undo 1']);
      seenAtCommit.push((await store.db.selectFrom('access_sets').select('key').where('key', 'in', [10_100, 10_101]).orderBy('key').execute()).map((r) => Number(r.key)));
      assert.deepEqual(seenAtCommit, [[10_100]]);
    });

    it('leaves the event loop turning while a large bulk insert runs, and its rows unseen until commit', async () => {
      const { store } = testStore;
      const count = 12_000;
      // Turns of the event loop counted while the insert runs: on SQLite the statements run on
      // this thread, so a batch written in one go would let none through (ROWS_PER_TURN).
      let turns = 0;
      let readDuring: Promise<SetColumns[]> | undefined;
      let readSettled = false;
      await store.adapter.writeTransaction(async (tx) => {
        const counter = countTurns();
        const inserting = store.adapter.insertRows(tx, ACCESS_SETS, setRows(40_000, count));
        // A read asked while the insert is under way, from outside the transaction.
        await new Promise((resolve) => setImmediate(resolve));
        readDuring = store.adapter.readArrays<SetColumns>(SETS_OF_KEYS, [[40_000, 40_000 + count - 1], 0]).finally(() => (readSettled = true));
        await inserting;
        turns = counter.stop();
        if (dialect === 'sqlite') assert.equal(readSettled, true, 'the read answered while the transaction was open, from the reading connection');
      });
      if (dialect === 'sqlite') assert.ok(turns >= 5, `the event loop turned ${turns} times during a ${count}-row insert`);
      const read = await readDuring!;
      // (PostgreSQL answers the read from the last commit, before or after this one.)
      if (dialect === 'sqlite') assert.deepStrictEqual(read, [], 'the read during the transaction saw none of its rows');
      const after = await store.adapter.readArrays<SetColumns>(SETS_OF_KEYS, [[40_000, 40_000 + count - 1], 0]);
      assert.deepStrictEqual(after.map((r) => Number(r[0])), [40_000, 40_000 + count - 1], 'read after commit');
      const stored = await store.adapter.writeTransaction((tx) => store.adapter.selectByKeys<SetRow>(tx, BY_KEY, Array.from({ length: count }, (_v, i) => 40_000 + i)));
      assert.equal(stored.length, count, 'every row stored');
    });

    it('releases the writer lock when a write transaction fails, and keeps none of its writes', async () => {
      const { store } = testStore;
      await assert.rejects(
        store.adapter.writeTransaction(async (tx) => {
          await store.adapter.insertRows(tx, ACCESS_SETS, setRows(20_000, 3));
          throw new Error('refused');
        }),
        /refused/,
      );
      const after = await store.adapter.writeTransaction(async (tx) => store.adapter.selectByKeys<SetRow>(tx, BY_KEY, [20_000, 20_001, 20_002]));
      assert.deepStrictEqual(after, []);
    });

    it('refuses bulk statements outside a write transaction of its own store', async () => {
      const { store } = testStore;
      const other = await createTestStore(dialect);
      try {
        await assert.rejects(
          other.store.adapter.writeTransaction((tx) => store.adapter.insertRows(tx, ACCESS_SETS, setRows(30_000, 1))),
          /write transaction/,
        );
      } finally {
        await other.cleanup();
      }
    });

    it('has the capabilities its flags say', async () => {
      const { store } = testStore;
      const { capabilities } = store.adapter;
      assert.equal(store.adapter.dialect, dialect);
      const works = async (query: ReturnType<typeof sql>) =>
        query.execute(store.db).then(
          () => true,
          () => false,
        );
      assert.equal(await works(sql`select key from access_sets where key = 1 for update skip locked`), capabilities.supportsSkipLocked, 'skip locked');
      assert.equal(await works(sql`select pg_try_advisory_xact_lock(1)`), capabilities.supportsAdvisoryLocks, 'advisory locks');
      assert.equal(await works(sql`copy (select 1) to stdout`), capabilities.supportsCopy, 'COPY');
      // One writer: one writing connection and no pool to observe; several processes share a pooled store.
      assert.equal(store.adapter.pool === undefined, capabilities.singleWriter);
      assert.equal(capabilities.multiProcess, !capabilities.singleWriter);
      if (store.adapter.pool) {
        assert.ok(store.adapter.pool.totalCount >= 1, 'the pool holds the connections the tests used');
        assert.ok(store.adapter.pool.idleCount <= store.adapter.pool.totalCount);
        assert.equal(store.adapter.pool.waitingCount, 0);
      }
      assert.ok(Object.isFrozen(capabilities));
    });

    it('binds a list of any length as one parameter: prepared reads and inList', async () => {
      const { store } = testStore;
      // More values than either engine binds to one statement (SQLite 32,766, PostgreSQL 65,535).
      const count = 70_000;
      const first = 100_000;
      await store.adapter.writeTransaction((tx) => store.adapter.insertRows(tx, ACCESS_SETS, setRows(first, count)));
      const keys = Array.from({ length: count }, (_v, i) => first + i);
      const asked = [...keys, 1, 99_999, first + count];
      const read = await store.adapter.readArrays<SetColumns>(SETS_OF_KEYS, [asked, 0]);
      assert.deepStrictEqual(read.map((r) => Number(r[0])), keys);
      // Just past the lists bound one value a placeholder on SQLite, and a short one.
      assert.equal((await store.adapter.readObjects<SetRow>(SETS_OF_KEYS, [keys.slice(0, IN_PLACEHOLDERS_MAX + 1), 0])).length, IN_PLACEHOLDERS_MAX + 1);
      assert.equal((await store.adapter.readObjects<SetRow>(SETS_OF_KEYS, [keys.slice(0, 3), 0])).length, 3);

      const counted = async (condition: RawBuilder<SqlBool>) =>
        Number((await store.db.selectFrom('access_sets').select((eb) => eb.fn.countAll().as('n')).where(condition).executeTakeFirstOrThrow()).n);
      assert.equal(await counted(store.adapter.inList('key', asked, 'int4')), count);
      assert.equal(await counted(store.adapter.inList(sql`key + 0`, keys.slice(0, 10), 'int4')), 10, 'an expression as the operand');
      assert.equal(await counted(store.adapter.inList('releasability', [',M60000,', ',M60001,', ',none,'], 'text')), 2, 'text values');
      assert.equal(await counted(store.adapter.inList('key', [], 'int4')), 0, 'an empty list holds nothing');
      const page = store.db.selectFrom('access_sets').select('key').where(store.adapter.inList('key', asked, 'int4')).orderBy('key').limit(2).compile();
      assert.deepStrictEqual((await store.adapter.readCompiled(page, 'column')).map(Number), [first, first + 1]);
    });

    it('reads a JSON field as text, and names its store', async () => {
      const { store } = testStore;
      const field = store.adapter.jsonText('doc', 'source_ref');
      const { rows } = await sql<{ ref: string | null; none: string | null }>`select ${field} as ref, ${store.adapter.jsonText('doc', 'absent')} as none
        from (select '{"source_ref":"indicator--1","n":2}' as doc) t`.execute(store.db);
      assert.deepStrictEqual(rows, [{ ref: 'indicator--1', none: null }]);
      const identity = await store.adapter.identity();
      if (dialect === 'sqlite') assert.match(identity, /^sqlite:\/.*store\.db$/);
      else assert.equal(identity, `postgres:${new URL(testStore.url).pathname.slice(1)}/${testStore.schema}`);
    });
  });
}
