/**
 * A JSON body is read whole and parsed on the thread that answers every request (about 0.8 s for
 * 25 MiB of small objects), so the routes that take one are bounded by SHIELDWALL_JSON_BODY_LIMIT
 * (1 MiB): before, every such route took up to SHIELDWALL_BODY_LIMIT (64 MiB), and one member's
 * few large bodies froze the node for everyone. The bulk routes keep limits of their own.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const MiB = 1024 * 1024;

interface Envelope {
  error?: { code: string; message: string };
}

describe('the body of a JSON route is bounded', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let url: string;
  before(async () => {
    node = await createTestNode('sqlite');
    url = await node.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => node?.close());

  it('refuses a 2 MiB incident report with 413, naming the route, its limit and the setting', async () => {
    const answer = await node.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      headers: { authorization: `Bearer ${node.tokens['incident-handler']}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ title: 'x'.repeat(2 * MiB) }),
    });
    assert.equal(answer.statusCode, 413, answer.body);
    const body = answer.json<Envelope>();
    assert.equal(body.error?.code, 'SW_PAYLOAD_TOO_LARGE');
    assert.equal(body.error?.message, `the request body is too large: POST /api/v1/incidents takes at most ${MiB} bytes (SHIELDWALL_JSON_BODY_LIMIT); send less`);
  });

  it('refuses a body of unknown length once it passes the limit, and the node answers on', async () => {
    const status = await new Promise<{ code: number; text: string }>((resolve, reject) => {
      const request = http.request(`${url}/api/v1/incidents`, {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${node.tokens['incident-handler']}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ code: response.statusCode!, text }));
      });
      request.on('error', reject);
      request.write('{"title":"');
      const piece = 'y'.repeat(64 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < 4 * MiB) {
          sent += piece.length;
          if (!request.write(piece)) return void request.once('drain', more);
        }
        request.end('"}');
      };
      more();
    });
    assert.equal(status.code, 413, status.text);
    assert.equal((JSON.parse(status.text) as Envelope).error?.code, 'SW_PAYLOAD_TOO_LARGE');
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
  });

  it('keeps the bulk lookup\'s own limit: a 3 MiB list of values is read', async () => {
    const values = Array.from({ length: 10_000 }, (_, i) => `${'a'.repeat(300)}-${i}.example`);
    const payload = JSON.stringify({ values, context: false });
    assert.ok(payload.length > 3 * MiB);
    const answer = await node.app.inject({
      method: 'POST',
      url: '/api/v1/lookup',
      headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' },
      payload,
    });
    assert.equal(answer.statusCode, 200, answer.body.slice(0, 500));
  });

  it('takes a larger body where the operator raised the limit', async () => {
    const raised = await createTestNode('sqlite', { jsonBodyLimitBytes: 4 * MiB });
    try {
      const answer = await raised.app.inject({
        method: 'POST',
        url: '/api/v1/incidents',
        headers: { authorization: `Bearer ${raised.tokens['incident-handler']}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ title: 'x'.repeat(2 * MiB) }),
      });
      // Read and judged by the route's schema, not refused for its size.
      assert.equal(answer.statusCode, 400, answer.body.slice(0, 500));
      assert.equal(answer.json<Envelope>().error?.code, 'SW_BAD_REQUEST');
    } finally {
      await raised.close();
    }
  });
});
