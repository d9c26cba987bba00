/**
 * Durability: an object reported accepted was committed. The node is SIGKILLed in the middle of
 * a large ingest, restarted, and every object it reported accepted must be there, whole.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { openStore } from '../src/db/database.js';
import type { StixObject } from '../src/stix/types.js';
import { createTestStore, DIALECTS, dialectSkip, type TestStore } from './support/dialects.js';
import { bundle, indicator } from './support/factories.js';
import { startNodeProcess } from './support/process.js';
import { lastLines, SUITE_LIMIT_MS, until } from './support/wait.js';

for (const dialect of DIALECTS) {
  describe(`durability under SIGKILL (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let dir: string;
    let testStore: TestStore | undefined;
    let env: Record<string, string>;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-durability-'));
      if (dialect === 'sqlite') env = { SHIELDWALL_DATA_DIR: dir };
      else {
        testStore = await createTestStore('postgres');
        await testStore.store.close();
        env = { SHIELDWALL_DATA_DIR: dir, SHIELDWALL_DATABASE_URL: testStore.url };
      }
    });
    after(async () => {
      if (testStore) {
        // cleanup() closes the store again and drops the schema; closing twice is harmless.
        await testStore.cleanup().catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps every object reported accepted, and no half-written one', async () => {
      const node = await startNodeProcess({ ...env, SHIELDWALL_INGEST_BATCH: '500' });
      const sent = new Map<string, StixObject>();
      const accepted = new Set<string>();
      const headers = { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' };
      // Keep two uploads in flight so that the kill lands during writes.
      const upload = async (): Promise<void> => {
        for (;;) {
          const objects = Array.from({ length: 2000 }, (_, i) => indicator({ name: `durability ${i}`, description: 'd'.repeat(200) }));
          for (const o of objects) sent.set(o.id, o);
          let answer;
          try {
            answer = await request(`${node.url}/api/v1/bundles?outcomes=all`, { method: 'POST', headers, body: bundle(objects) });
          } catch {
            return; // the node died under us
          }
          if (answer.statusCode !== 200) {
            await answer.body.dump();
            return;
          }
          const body = (await answer.body.json()) as { objects: Array<{ id: string; status: string }> };
          for (const o of body.objects) if (o.status === 'accepted') accepted.add(o.id);
        }
      };
      let uploading = 2;
      const uploads = [upload(), upload()].map((u) => u.finally(() => uploading--));
      await until('6,000 objects accepted before the kill', () => (accepted.size >= 6000 ? undefined : uploading === 0 ? `the uploads stopped at ${accepted.size}` : `${accepted.size} so far`), {
        context: () => lastLines(node.output()),
      });
      const killedAfter = accepted.size;
      node.child.kill('SIGKILL');
      await node.exited;
      await Promise.all(uploads);
      assert.ok(killedAfter >= 6000);

      // Restart on the same store: it must come up, and hold every accepted object intact.
      const again = await startNodeProcess(env, node.token);
      try {
        const ready = await request(`${again.url}/readyz`);
        assert.equal(ready.statusCode, 200);
        await ready.body.dump();
      } finally {
        again.child.kill('SIGTERM');
        await again.exited;
      }
      const store = openStore(dialect === 'sqlite' ? `sqlite:${path.join(dir, 'shieldwall.db')}` : testStore!.url);
      try {
        const rows = await store.db.selectFrom('stix_objects').select(['id', 'body']).execute();
        const stored = new Map(rows.map((r) => [r.id, r.body]));
        for (const id of accepted) assert.ok(stored.has(id), `accepted object ${id} is missing after the crash`);
        for (const [id, body] of stored) {
          assert.deepEqual(JSON.parse(body), sent.get(id), `stored object ${id} differs from what was sent`);
        }
        const current = await store.db.selectFrom('stix_objects').where('is_current', '=', 1).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(current.n), stored.size, 'every stored object has exactly one current version');
      } finally {
        await store.close();
      }
    });
  });
}
