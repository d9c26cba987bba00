/**
 * The bulk match places are shared out by member: a member whose matches never end (a log
 * streamed for hours, a client that trickles its log) or that sends many at once held every
 * running place and every queued one, and the other members' matches waited behind it or were
 * refused. Now one member runs at most half the places (rounded up) and has at most
 * SHIELDWALL_DETECT_MATCH_QUEUED_PER_MEMBER waiting; another member's match runs at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PassThrough, type Readable } from 'node:stream';
import { Pool } from 'undici';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { indicator } from './support/factories.js';
import { sample } from './support/metrics.js';
import { createTestNode, otherMemberToken, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS, waitFor } from './support/wait.js';

const VALUE = '203.0.113.91';

describe('bulk match places are shared out by member', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let pool: Pool;
  let other: string;
  before(async () => {
    // The defaults: two running, eight waiting, two of them per member.
    node = await createTestNode('sqlite');
    assert.equal(node.ctx.config.detectMatchRunning, 2);
    assert.equal(node.ctx.config.detectMatchQueuedPerMember, 2);
    other = await otherMemberToken(node, 'OTH');
    await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [indicator({ pattern: `[ipv4-addr:value = '${VALUE}']`, object_marking_refs: [TLP2_MARKING_IDS.clear] })]);
    await node.detection.ready();
    const url = await node.app.listen({ host: '127.0.0.1', port: 0 });
    pool = new Pool(url, { connections: 8, bodyTimeout: 600_000, headersTimeout: 600_000 });
  });
  after(async () => {
    await pool?.close();
    await node?.close();
  });

  const metric = async (name: string): Promise<number> => sample((await node.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${node.tokens['node-admin']}` } })).body, name);
  const match = async (token: string, body: Readable | string) => {
    const answer = await pool.request({ method: 'POST', path: '/api/v1/match?format=lines', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body });
    return { status: answer.statusCode, text: await answer.body.text() };
  };

  it("runs another member's match at once while one member's matches hold their share", async () => {
    // The test member's logs whose ends never come until the test sends them.
    const feeds = [new PassThrough(), new PassThrough(), new PassThrough()];
    for (const feed of feeds) feed.write(`${VALUE}\n`);
    const held = [match(node.tokens.analyst, feeds[0]!)];
    await waitFor('the first match running', async () => (await metric('shieldwall_detect_match_running')) === 1);
    // Its next two wait, though a place is free: the member runs its half of them already.
    held.push(match(node.tokens.analyst, feeds[1]!), match(node.tokens['incident-handler'], feeds[2]!));
    // (A failure below leaves them unanswered: they are not to fail the run again once it ended.)
    for (const answer of held) answer.catch(() => undefined);
    await waitFor("the member's next two waiting", async () => (await metric('shieldwall_detect_match_queue')) === 2);
    assert.equal(await metric('shieldwall_detect_match_running'), 1);
    try {
      // A third waiting one is past the member's share of the queue (the queue itself has room).
      const refused = await match(node.tokens.analyst, `${VALUE}\n`);
      assert.equal(refused.status, 503, refused.text);
      const envelope = JSON.parse(refused.text) as { error: { code: string; message: string } };
      assert.equal(envelope.error.code, 'SW_MATCH_BUSY');
      assert.match(envelope.error.message, /your member has 1 bulk matches running and 2 waiting/);
      assert.match(envelope.error.message, /SHIELDWALL_DETECT_MATCH_QUEUED_PER_MEMBER/);
      // Another member's match takes the free place and is answered in full meanwhile.
      const answered = await match(other, `${VALUE}\n`);
      assert.equal(answered.status, 200, answered.text);
      assert.equal(answered.text.trim().split('\n').filter((line) => line.includes('"match"')).length, 1, answered.text);
      assert.equal(await metric('shieldwall_detect_match_queue'), 2);
    } finally {
      for (const feed of feeds) feed.end();
    }
    // The member's matches then run one after the other, each answered in full.
    for (const answer of await Promise.all(held)) {
      assert.equal(answer.status, 200, answer.text);
      assert.match(answer.text, /"summary"/);
    }
    await waitFor('no match running or waiting', async () => (await metric('shieldwall_detect_match_running')) === 0 && (await metric('shieldwall_detect_match_queue')) === 0);
  });
});
