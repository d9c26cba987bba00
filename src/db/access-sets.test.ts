/**
 * Migration 0015 gives every access set made before it the hash the writer looks sets up by
 * (db/access-sets.ts), so that a set made then is found, not made again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { DIALECTS, createTestStore, dialectSkip, type TestStore } from '../../test/support/dialects.js';
import { SUITE_LIMIT_MS } from '../../test/support/wait.js';
import { accessTupleHash } from './access-sets.js';
import { up } from './migrations/0015_access_set_lookup.js';

for (const dialect of DIALECTS) {
  describe(`access sets made before their lookup hash (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;
    before(async () => {
      testStore = await createTestStore(dialect);
    });
    after(async () => testStore?.cleanup());

    it('fills the hash of every stored set and indexes it', async () => {
      const db = testStore.store.db;
      // The store as it was before 0015: sets without the column (more than one statement fills).
      await sql`drop index access_sets_tuple_hash`.execute(db);
      await sql`alter table access_sets drop column tuple_hash`.execute(db);
      const sets = Array.from({ length: 1_234 }, (_v, i) => ({ key: 50_000 + i, tlp: i % 4 === 0 ? null : 'amber', classification: i % 5, releasability: `,ALLIANCE,M${i},` }));
      for (let start = 0; start < sets.length; start += 500) {
        await sql`insert into access_sets (key, tlp, classification, releasability) values ${sql.join(sets.slice(start, start + 500).map((s) => sql`(${s.key}, ${s.tlp}, ${s.classification}, ${s.releasability})`))}`.execute(db);
      }
      await up(db as unknown as Kysely<unknown>, dialect);
      const rows = await db.selectFrom('access_sets').select(['key', 'tlp', 'classification', 'releasability', 'tuple_hash']).where('key', '>=', 50_000).orderBy('key').execute();
      assert.equal(rows.length, sets.length);
      for (const row of rows) {
        assert.equal(Number(row.tuple_hash), accessTupleHash({ tlp: row.tlp, classification: Number(row.classification), releasability: row.releasability }), `set ${row.key}`);
      }
      const indexed =
        dialect === 'sqlite'
          ? (await sql<{ name: string }>`select name from pragma_index_list('access_sets')`.execute(db)).rows
          : (await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'access_sets' and schemaname = current_schema()`.execute(db)).rows;
      assert.ok(indexed.some((r) => r.name === 'access_sets_tuple_hash'), 'the hash is indexed');
    });
  });
}
