import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../test/support/node.js';

describe('app', () => {
  let node: TestNode;
  before(async () => {
    node = await createTestNode('sqlite');
  });
  after(() => node.close());

  it('answers unknown routes with a 404 envelope', async () => {
    const response = await node.app.inject({ method: 'GET', url: '/nowhere' });
    assert.equal(response.statusCode, 404);
    assert.equal((response.json() as { error: { code: string } }).error.code, 'SW_NOT_FOUND');
  });

  it('serves the web application and the OpenAPI document without credentials', async () => {
    const page = await node.app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<title>Shieldwall<\/title>/);
    const csp = page.headers['content-security-policy'] as string;
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline script, no other host');
    assert.doesNotMatch(csp, /unsafe-inline|https?:/);
    const spec = await node.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(spec.statusCode, 200);
  });
});
