/**
 * GET /api/v1/detect/correlations weighs every value that indicators of several originators name
 * (the ranking is over all of them): as many as anyone who writes intel makes. It hands the event
 * loop to other requests as it goes (SHARED_VALUES_PER_TURN, detect.context.ts), rather than
 * weighing 100,000 values in one turn (110-140 ms, every other request waiting).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { upsertMembers } from '../src/modules/directory/directory.service.js';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator } from './support/factories.js';
import { createTestNode, type TestNode } from './support/node.js';
import { countTurns, SUITE_LIMIT_MS } from './support/wait.js';

const DEU_ID = `identity--${randomUUID()}`;
const FRA_ID = `identity--${randomUUID()}`;
/** Values both members' indicators name. */
const SHARED = 2500;
const named = (by: string) => Array.from({ length: SHARED }, (_, i) => indicator({ pattern: `[domain-name:value = 'host${i}.shared.example']`, created_by_ref: by, object_marking_refs: [TLP2_MARKING_IDS.green] }));

for (const dialect of DIALECTS) {
  describe(`correlations take turns with other requests (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
        { code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: DEU_ID },
        { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: FRA_ID },
      ]);
      const objects = [...named(DEU_ID), ...named(FRA_ID)];
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, objects)).accepted, objects.length);
    });
    after(async () => node?.close());

    it('ranks correlated values handing the event loop to other requests', async () => {
      const turns = countTurns();
      const response = await node.app.inject({ method: 'GET', url: '/api/v1/detect/correlations?limit=5&kind=domain', headers: { authorization: `Bearer ${node.tokens.analyst}` } });
      const turned = turns.stop();
      assert.equal(response.statusCode, 200, response.body);
      const answer = response.json() as { values: Array<{ value: string; originators: number }> };
      assert.equal(answer.values.length, 5);
      assert.ok(answer.values.every((v) => v.originators === 2 && v.value.endsWith('.shared.example')), JSON.stringify(answer.values));
      assert.ok(turned >= 2, `${turned} turns of the event loop while ${SHARED} values were weighed`);
    });
  });
}
