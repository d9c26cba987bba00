/**
 * Requests in progress per member (core/inflight.ts, SHIELDWALL_REQUESTS_IN_FLIGHT_PER_MEMBER):
 * the users of one member may hold at most so many of the node's requests at once, over real
 * connections; the next is answered 429 with Retry-After, a user of another member is not
 * held back, an event stream does not count, and a place comes back once its answer ends.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createToken, createUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { indicator } from './support/factories.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS, waitFor } from './support/wait.js';

/** An upload that the test ends when it chooses: in progress on the node until then. */
function openUpload(url: string, token: string): { request: http.ClientRequest; answered: Promise<number> } {
  const request = http.request(`${url}/api/v1/bundles`, { method: 'POST', agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' } });
  const answered = new Promise<number>((resolve, reject) => {
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode!));
    });
    request.on('error', reject);
  });
  request.write(`${JSON.stringify(indicator())}\n`);
  return { request, answered };
}

describe('requests in progress per member', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let url: string;
  let other: string;
  before(async () => {
    node = await createTestNode('sqlite', { requestsInFlightPerMember: 2 });
    await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'OTH', name: 'Another member', kind: 'ally', country: null, identityId: null }]);
    await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'other-analyst', member: 'OTH', clearance: 4, roles: ['analyst'] });
    other = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'other', user: 'other-analyst' })).token;
    url = await node.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => node?.close());

  const me = async (token: string) => {
    const response = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}`, connection: 'close' } });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { error?: { code: string; message: string } } };
  };

  it('answers 429 past the limit to every user of the member, not to another member; a place comes back with its answer', async () => {
    // An event stream of the member's analyst stays open throughout, and takes no place.
    const stream = http.get(`${url}/api/v1/events`, { agent: false, headers: { authorization: `Bearer ${node.tokens.analyst}`, accept: 'text/event-stream' } });
    stream.on('error', () => undefined);
    await new Promise<void>((resolve) => stream.once('response', () => resolve()));
    const first = openUpload(url, node.tokens.analyst);
    const second = openUpload(url, node.tokens.analyst);
    try {
      // Another user of the same member: refused once both uploads are in progress on the node.
      let refused: Awaited<ReturnType<typeof me>> | undefined;
      await waitFor('both uploads counted', async () => {
        const answer = await me(node.tokens['incident-handler']);
        if (answer.status === 429) refused = answer;
        else assert.equal(answer.status, 200);
        return refused !== undefined;
      });
      assert.equal(refused!.body.error?.code, 'SW_TOO_MANY_IN_FLIGHT');
      assert.equal(refused!.retryAfter, '1');
      assert.match(refused!.body.error!.message, /the users of member TST have 2 requests in progress, the most one member may \(SHIELDWALL_REQUESTS_IN_FLIGHT_PER_MEMBER\)/);
      assert.equal((await me(other)).status, 200, 'a user of another member is not held back');

      // One upload ends: its place comes back once it is answered.
      first.request.end();
      assert.equal(await first.answered, 200);
      await waitFor('a place given back', async () => (await me(node.tokens['incident-handler'])).status === 200);
    } finally {
      first.request.destroy();
      second.request.end();
      await second.answered.catch(() => undefined);
      stream.destroy();
    }
    // Every place comes back: as many requests at once as the limit allows succeed.
    await waitFor('every place given back', async () => (await Promise.all([me(node.tokens.analyst), me(node.tokens.coordinator)])).every((b) => b.status === 200));
  });
});
