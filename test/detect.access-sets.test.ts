/**
 * Lookups read the access sets (the marking combinations of stored objects) from memory, not from
 * the store on every request; a set made since, by this process or another, is still seen.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createContext } from '../src/app.js';
import type { AppContext } from '../src/core/context.js';
import { openStore, type Store } from '../src/db/database.js';
import { lookup } from '../src/modules/detect/detect.service.js';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../src/policy/principal.js';
import { principalOfUser } from '../src/modules/directory/directory.service.js';
import { DIALECTS, POSTGRES_URL, dialectSkip } from './support/dialects.js';
import { indicator } from './support/factories.js';
import { statementsRun } from './support/statements.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

for (const dialect of DIALECTS) {
  describe(`lookup and the access sets (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let other: Store;
    let elsewhere: AppContext;
    /** An analyst of an ally: reads TLP AMBER released to the alliance. */
    let analyst: Principal;

    before(async () => {
      // The test calls followStore itself, so that every step is known.
      node = await createTestNode(dialect, { detectFollowMs: 3_600_000 });
      other = dialect === 'sqlite' ? openStore(node.testStore.url) : openStore(POSTGRES_URL, { schema: node.testStore.schema! });
      elsewhere = createContext({ config: node.ctx.config, store: other, logger: node.ctx.logger });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [indicator({ pattern: "[domain-name:value = 'first.example']", object_marking_refs: [TLP2_MARKING_IDS.clear] })]);
      await node.detection.start();
      analyst = (await principalOfUser(node.ctx, 'test-analyst'))!;
    });
    after(async () => {
      node?.detection.stop();
      await other?.close();
      await node?.close();
    });

    const found = async (value: string) => (await lookup(node.ctx, node.detection, analyst, [{ value }], { context: false, warningLists: false }))[0]!.indicators.map((h) => h.id);

    // The statements are counted on the SQLite connection (the same code path serves both dialects).
    if (dialect === 'sqlite') it('asks the store nothing about access sets while none can be new', async (t) => {
      assert.equal((await found('first.example')).length, 1);
      const statements = await statementsRun(t, node.testStore.store, async () => {
        for (const value of ['first.example', 'nothing.example', '198.51.100.200']) await found(value);
      });
      assert.deepEqual(statements.filter((s) => s.includes('access_sets')), []);
    });

    it('finds an indicator stored by this process under a marking never seen before, on the first lookup', async () => {
      assert.equal((await found('first.example')).length, 1, 'the sets known so far are read');
      const amber = indicator({ pattern: "[domain-name:value = 'amber.example']", object_marking_refs: [TLP2_MARKING_IDS.amber] });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [amber]);
      await node.detection.settled();
      assert.deepEqual(await found('amber.example'), [amber.id]);
    });

    it('finds an indicator another process stored under a new marking once a lookup met its set', async () => {
      assert.equal((await found('first.example')).length, 1, 'the sets known so far are read');
      const green = indicator({ pattern: "[domain-name:value = 'green-elsewhere.example']", object_marking_refs: [TLP2_MARKING_IDS.green] });
      await ingestObjects(elsewhere, SYSTEM_PRINCIPAL, [green]);
      await node.detection.followStore();
      // The first lookup may not know the new set yet: it then counts the indicator unreadable
      // (never the other way round) and has the sets read again for the next.
      await found('green-elsewhere.example');
      assert.deepEqual(await found('green-elsewhere.example'), [green.id]);
    });
  });
}
