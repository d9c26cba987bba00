import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { principalOfUser } from '../directory/directory.service.js';
import { listIncidents } from '../incidents/incidents.service.js';
import { seedDemo } from './demo.service.js';

describe('the demo alliance\'s incidents', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  before(async () => {
    node = await createTestNode('sqlite');
    await seedDemo(node.ctx, { seed: 7 });
  });
  after(async () => node?.close());

  it('are reported by several members at several levels and stages, and read by need to know', async () => {
    const coordinator = await principalOfUser(node.ctx, 'demo.coordinator');
    const { incidents } = await listIncidents(node.ctx, coordinator!, { limit: 200 });
    assert.ok(new Set(incidents.map((i) => i.member)).size >= 4, 'several members report');
    const levels = new Set(incidents.map((i) => i.level).filter((level) => level !== null));
    assert.ok(levels.size >= 3, `several levels: ${[...levels].join(', ')}`);
    assert.ok(incidents.some((i) => i.significant) && incidents.some((i) => !i.significant));
    assert.ok(new Set(incidents.map((i) => i.status)).size >= 4, 'several stages');
    // An industry member's analyst is not released to ALLIANCE incidents.
    const industry = await principalOfUser(node.ctx, 'demo.industry');
    const seenByIndustry = (await listIncidents(node.ctx, industry!, { limit: 200 })).incidents;
    assert.equal(seenByIndustry.length, 0);
  });
});
