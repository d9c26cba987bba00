/** Unauthenticated requests are limited per source address; authenticated ones are not. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../../test/support/node.js';
import { entries } from '../modules/audit/audit.service.js';
import { fixedClock } from './clock.js';
import { SUITE_LIMIT_MS } from '../../test/support/wait.js';

describe('rate limit of unauthenticated requests', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  const WINDOW_MS = 1000;
  // The node's own clock, moved by the test: a window ends when the test says, not when a slow
  // machine happens to get there.
  const clock = fixedClock(new Date('2026-03-01T10:00:00.000Z'));
  before(async () => {
    // Refusals reach the audit log when the node closes (not on an interval a slow run could cross).
    node = await createTestNode('sqlite', { rateLimitUnauthenticated: 5, rateLimitWindowMs: WINDOW_MS, auditRefusalIntervalMs: 3_600_000 }, undefined, clock);
  });
  after(async () => node?.close());

  const get = (ip: string, headers: Record<string, string> = {}) => node.app.inject({ method: 'GET', url: '/api/v1/objects', headers, remoteAddress: ip });

  it('answers 429 with Retry-After once a source has used up its window, whatever token it sends', async () => {
    // At the start of a window (the clock stands still until the test moves it).
    clock.advance(WINDOW_MS - (clock.now().getTime() % WINDOW_MS));
    for (let i = 0; i < 5; i++) assert.equal((await get('192.0.2.1')).statusCode, 401, `request ${i + 1}`);
    const limited = await get('192.0.2.1');
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().error.code, 'SW_RATE_LIMITED');
    assert.match(limited.json().error.message, /too many unauthenticated requests from 192\.0\.2\.1/);
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= WINDOW_MS / 1000, `Retry-After ${retryAfter}`);
    assert.equal((await get('192.0.2.1', { authorization: 'Bearer not-a-token' })).statusCode, 429, 'a bad token is no way around it');
    assert.equal((await node.app.inject({ method: 'GET', url: '/openapi.json', remoteAddress: '192.0.2.1' })).statusCode, 429, 'public routes count too');
    assert.equal((await get('192.0.2.1', { authorization: `Bearer ${node.tokens.analyst}` })).statusCode, 200, 'authenticated requests are not limited');
    assert.equal((await get('192.0.2.2')).statusCode, 401, 'each source has its own allowance');
    assert.equal((await node.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '192.0.2.1' })).statusCode, 200, 'probes are not limited');

    const metrics = await node.ctx.metrics.registry.metrics();
    assert.match(metrics, /shieldwall_http_rate_limited_total 3/);

    clock.advance(WINDOW_MS - 1);
    assert.equal((await get('192.0.2.1')).statusCode, 429, 'the same window, still refused');
    clock.advance(1);
    assert.equal((await get('192.0.2.1')).statusCode, 401, 'a new window, a new allowance');
  });

  it('puts the refusals on record once per source', async () => {
    await node.app.close();
    const limited = [];
    for await (const e of entries(node.ctx)) if (e.action === 'auth.rate_limited') limited.push(e);
    assert.equal(limited.length, 1);
    assert.equal(limited[0]!.detail?.source, '192.0.2.1');
    assert.equal(limited[0]!.detail?.count, 4);
  });
});

describe('rate limit defaults', () => {
  it('lets 300 unauthenticated requests a minute through from one address', async () => {
    const node = await createTestNode('sqlite');
    try {
      assert.equal(node.ctx.config.rateLimitUnauthenticated, 300);
      assert.equal(node.ctx.config.rateLimitWindowMs, 60_000);
    } finally {
      await node.close();
    }
  });
});
