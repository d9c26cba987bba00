/**
 * The embedded store's Kysely driver (sqlite-driver.ts): a statement text is prepared once per
 * connection and run again with other parameters; a kept statement follows the schema as it
 * changes; a query streamed is never a kept statement, so the same text runs whole meanwhile.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { createTestStore, type TestStore } from '../../../test/support/dialects.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';

/** Counts the texts a connection prepares. */
function countPrepares(handle: SqliteDatabase.Database): Map<string, number> {
  const counts = new Map<string, number>();
  const prepare = handle.prepare.bind(handle);
  handle.prepare = ((text: string) => {
    counts.set(text, (counts.get(text) ?? 0) + 1);
    return prepare(text);
  }) as typeof handle.prepare;
  return counts;
}

describe('SQLite driver: statements kept per connection', { timeout: SUITE_LIMIT_MS }, () => {
  let test: TestStore;
  before(async () => {
    test = await createTestStore('sqlite');
    await test.store.db.insertInto('access_sets').values([1, 2, 3].map((key) => ({ key, tlp: 'clear', classification: 0, releasability: '[]', tuple_hash: key * 10 }))).execute();
  });
  after(async () => test.cleanup());

  it('prepares a text once on each connection and runs it again with other parameters', async () => {
    const reads = countPrepares(test.store.sqliteReader!);
    const writes = countPrepares(test.store.sqlite!);
    const query = (key: number) => test.store.db.selectFrom('access_sets').select(['key', 'tuple_hash']).where('key', '=', key);
    const text = query(0).compile().sql;
    for (const key of [1, 2, 3, 2]) assert.deepEqual(await query(key).execute(), [{ key, tuple_hash: key * 10 }]);
    assert.equal(reads.get(text), 1, 'a read outside a transaction is prepared once on the reading connection');

    // Inside a transaction the same text goes to the writer, and is kept there as well.
    for (let round = 0; round < 2; round++) {
      await test.store.adapter.writeTransaction(async (tx) => {
        await tx.db.updateTable('access_sets').set({ tlp: 'green' }).where('key', '=', 3).execute();
        assert.deepEqual(await tx.db.selectFrom('access_sets').select(['key', 'tuple_hash']).where('key', '=', 3).execute(), [{ key: 3, tuple_hash: 30 }]);
      });
    }
    assert.equal(writes.get(text), 1, 'the writer prepared the text once for both transactions');
    assert.equal(reads.get(text), 1);
  });

  it('answers a kept `select *` with the columns a later change of the schema added', async () => {
    await test.store.adapter.writeTransaction(async (tx) => {
      await sql`create table kept_probe (a integer)`.execute(tx.db);
      await sql`insert into kept_probe (a) values (1)`.execute(tx.db);
    });
    const all = () => sql<Record<string, unknown>>`select * from kept_probe`.execute(test.store.db);
    assert.deepEqual((await all()).rows, [{ a: 1 }]);
    await test.store.adapter.writeTransaction(async (tx) => {
      await sql`alter table kept_probe add column b integer default 2`.execute(tx.db);
    });
    assert.deepEqual((await all()).rows, [{ a: 1, b: 2 }]);
  });

  it('runs a text whole while a query of the same text is streamed', async () => {
    const query = test.store.db.selectFrom('access_sets').select('key').orderBy('key');
    const seen: number[] = [];
    for await (const row of query.stream()) {
      // A statement being iterated is busy: running it again would throw if the stream used the kept one.
      assert.deepEqual((await query.execute()).map((r) => r.key), [1, 2, 3]);
      seen.push(row.key);
    }
    assert.deepEqual(seen, [1, 2, 3]);
  });
});
