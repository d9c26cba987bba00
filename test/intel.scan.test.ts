/**
 * scanCurrent, which the detection index is built from: the same rows as the query builder
 * reads, and never a write transaction's rows before it commits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createContext } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import type { AppContext } from '../src/core/context.js';
import { createLogger } from '../src/core/logger.js';
import { writeTransaction } from '../src/db/database.js';
import { rowsBySeq, scanCurrent } from '../src/modules/intel/intel.repo.js';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { DIALECTS, createTestStore, dialectSkip, type TestStore } from './support/dialects.js';
import { indicator } from './support/factories.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

for (const dialect of DIALECTS) {
  describe(`scanning current rows (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;
    let ctx: AppContext;
    const first = indicator({ object_marking_refs: [TLP2_MARKING_IDS.green] });

    before(async () => {
      testStore = await createTestStore(dialect);
      const config = loadConfig({}, { dataDir: testStore.dataDir, databaseUrl: testStore.url, demo: false, logLevel: 'silent' });
      ctx = createContext({ config, store: testStore.store, logger: createLogger('silent', 2) });
      const objects = [
        first,
        { ...first, modified: '2026-02-01T00:00:00.000Z', pattern: "[ipv4-addr:value = '198.51.100.8']" },
        indicator({ created_by_ref: 'identity--00000000-0000-4000-8000-00000000000a', pattern: "[domain-name:value = 'a.example']" }),
        indicator({ revoked: true }),
        { type: 'identity', spec_version: '2.1', id: 'identity--00000000-0000-4000-8000-00000000000a', created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', name: 'Source', identity_class: 'organization' },
      ];
      const summary = await ingestObjects(ctx, SYSTEM_PRINCIPAL, objects);
      assert.equal(summary.accepted, objects.length);
    });
    after(async () => testStore?.cleanup());

    it('reads the current rows of the types asked, in seq order, as the query builder reads them', async () => {
      const rows = await scanCurrent(testStore.store, ['indicator'], 0, 100);
      assert.equal(rows.length, 3, 'the current versions of three indicators');
      assert.ok(rows.every((row, i) => i === 0 || row.seq > rows[i - 1]!.seq));
      assert.deepStrictEqual(rows.map((row) => row.revoked), [0, 0, 1]);
      assert.ok(rows.some((row) => row.id === first.id && row.pattern === "[ipv4-addr:value = '198.51.100.8']"), 'the later version of the first');
      assert.deepStrictEqual(rows, await rowsBySeq(testStore.store, rows.map((row) => row.seq)));
      assert.deepStrictEqual(await scanCurrent(testStore.store, ['indicator'], rows[0]!.seq, 1), [rows[1]]);
      assert.equal((await scanCurrent(testStore.store, ['indicator', 'identity'], 0, 100)).length, 4);
      assert.deepStrictEqual(await scanCurrent(testStore.store, ['malware'], 0, 100), []);
    });

    it('does not read what a write transaction in progress has changed', async () => {
      const [row] = await scanCurrent(testStore.store, ['indicator'], 0, 1);
      let scan: Promise<Awaited<ReturnType<typeof scanCurrent>>> | undefined;
      let readBeforeCommit = false;
      await writeTransaction(testStore.store, async (tx) => {
        await tx.db.updateTable('stix_objects').set({ revoked: 1 }).where('seq', '=', row!.seq).execute();
        scan = scanCurrent(testStore.store, ['indicator'], 0, 1);
        void scan.then(() => (readBeforeCommit = true));
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (readBeforeCommit) assert.equal((await scan)[0]!.revoked, 0, 'read while the transaction was open: only what was committed');
        await tx.db.updateTable('stix_objects').set({ revoked: 0 }).where('seq', '=', row!.seq).execute();
      });
      assert.equal((await scan!)[0]!.revoked, 0);
    });
  });
}
