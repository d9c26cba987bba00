/**
 * rowsBySeq (what the detection index reads back by sequence) on both engines: its prepared read
 * takes lists of a few lengths only, so a list is padded with its last value. Whatever the
 * length, each row asked for comes once, in sequence order, with the columns the index needs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createContext } from '../../app.js';
import { loadConfig } from '../../config/config.js';
import type { AppContext } from '../../core/context.js';
import { createLogger } from '../../core/logger.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { createTestStore, DIALECTS, dialectSkip, type TestStore } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { ingestObjects, rowsBySeq } from './intel.service.js';

for (const dialect of DIALECTS) {
  describe(`rows read back by sequence (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let store: TestStore;
    let ctx: AppContext;
    let seqs: number[];

    before(async () => {
      store = await createTestStore(dialect);
      ctx = createContext({ config: loadConfig({}, { dataDir: store.dataDir, databaseUrl: store.url, demo: false, logLevel: 'silent' }), store: store.store, logger: createLogger('silent') });
      const summary = await ingestObjects(ctx, SYSTEM_PRINCIPAL, Array.from({ length: 600 }, () => indicator()));
      assert.equal(summary.accepted, 600);
      seqs = (await store.store.db.selectFrom('stix_objects').select('seq').orderBy('seq').execute()).map((row) => Number(row.seq));
    });

    after(async () => {
      await store?.cleanup();
    });

    it('answers each row asked for once, in order, for lists of any length up to 500', async () => {
      for (const length of [1, 2, 7, 8, 9, 63, 64, 65, 499, 500]) {
        // Every other row, from the end backwards: not the order of the store.
        const asked = seqs.filter((_, i) => i % 2 === 0).slice(0, length).reverse();
        const rows = await rowsBySeq(ctx, asked);
        assert.deepEqual(rows.map((row) => row.seq), [...asked].sort((a, b) => a - b), `a list of ${length}`);
        for (const row of rows) {
          assert.ok(row.id.startsWith('indicator--') && row.is_current === 1 && row.revoked === 0 && typeof row.pattern === 'string', JSON.stringify(row));
        }
      }
    });

    it('answers nothing for sequences the store does not hold', async () => {
      assert.deepEqual(await rowsBySeq(ctx, []), []);
      assert.deepEqual(await rowsBySeq(ctx, [seqs[seqs.length - 1]! + 1000, seqs[seqs.length - 1]! + 2000]), []);
    });
  });
}
