/**
 * POST /api/v1/lookup takes up to 10,000 values. Telling each one's kind and normalising it is
 * work on the thread every request shares, even when no indicator names the value: the lookup
 * hands the event loop to other requests every WORK_PER_TURN values, rather than take 10,000
 * long values in one go (0.1 s, timed with --cpu-prof).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lookup, WORK_PER_TURN } from '../src/modules/detect/detect.lookup.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { createTestNode, type TestNode } from './support/node.js';
import { countTurns, SUITE_LIMIT_MS } from './support/wait.js';

describe('a lookup of many values takes turns with other requests', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  before(async () => {
    node = await createTestNode('sqlite');
    await node.detection.ready();
  });
  after(async () => node?.close());

  it('hands the event loop on between values that name nothing', async () => {
    const count = WORK_PER_TURN * 5;
    const values = Array.from({ length: count }, (_v, i) => ({ value: `${'host'.repeat(10)}-${i}.Example.ORG` }));
    const turns = countTurns();
    const answers = await lookup(node.ctx, node.detection, SYSTEM_PRINCIPAL, values, { context: false, warningLists: false });
    const seen = turns.stop();
    assert.equal(answers.length, count);
    assert.deepEqual(answers[7], { value: values[7]!.value, kind: 'domain', normalised: `${'host'.repeat(10)}-7.example.org`, indicators: [] });
    assert.ok(seen >= 4, `the event loop turned ${seen} times while ${count} values were looked up`);
  });
});
