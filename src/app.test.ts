import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../test/support/node.js';

describe('app', () => {
  let node: TestNode;
  before(async () => {
    node = await createTestNode('sqlite');
  });
  after(() => node.close());

  it('answers every /api route with 401 without credentials', async () => {
    const spec = (await node.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(spec.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => [m.toUpperCase(), p.replace(/\{[^}]+\}/g, 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f')] as const));
    const api = routes.filter(([, p]) => p.startsWith('/api/'));
    assert.ok(api.length >= 5, `found ${api.length} API routes`);
    for (const [method, url] of api) {
      const response = await node.app.inject({ method, url, ...(method === 'POST' ? { payload: '{}', headers: { 'content-type': 'application/json' } } : {}) });
      assert.equal(response.statusCode, 401, `${method} ${url}`);
    }
  });

  it('answers unknown routes with a 404 envelope', async () => {
    const response = await node.app.inject({ method: 'GET', url: '/nowhere' });
    assert.equal(response.statusCode, 404);
    assert.equal((response.json() as { error: { code: string } }).error.code, 'SW_NOT_FOUND');
  });

  it('serves the dashboard and the OpenAPI document without credentials', async () => {
    const page = await node.app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /SHIELDWALL/);
    assert.match(page.headers['content-security-policy'] as string, /frame-ancestors 'none'/);
    const spec = await node.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(spec.statusCode, 200);
  });
});
