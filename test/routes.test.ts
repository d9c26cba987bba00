/** Deny by default, route by route: no credentials -> 401, a role without the permission -> 403. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PERMISSIONS } from '../src/modules/index.js';
import { ROLES } from '../src/policy/principal.js';
import { createTestNode, type TestNode } from './support/node.js';

describe('every route', () => {
  let node: TestNode;
  before(async () => {
    node = await createTestNode('sqlite');
  });
  after(async () => node?.close());

  const url = (template: string) => template.replace(/:id\b/g, 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f').replace(/:[a-z_]+/gi, 'x');

  it('answers 401 without credentials unless it is public', async () => {
    const guarded = node.routes.filter((r) => r.permission !== 'public' && r.method !== 'HEAD');
    assert.ok(guarded.length >= 5, `${guarded.length} guarded routes`);
    for (const route of guarded) {
      const response = await node.app.inject({ method: route.method as 'GET', url: url(route.url) });
      assert.equal(response.statusCode, 401, `${route.method} ${route.url}`);
      // TAXII answers with its own error message; the rest of the API with the node's envelope.
      const body = response.json() as { error?: { code: string }; title?: string };
      assert.equal(route.url.startsWith('/taxii2') ? body.title : body.error?.code, 'SW_UNAUTHENTICATED', `${route.method} ${route.url}`);
    }
  });

  it('answers 403 to a role that lacks the permission', async () => {
    let checked = 0;
    for (const route of node.routes.filter((r) => r.permission !== 'public' && r.method !== 'HEAD')) {
      const role = ROLES.find((r) => !PERMISSIONS.of(r).has(route.permission));
      if (!role) continue;
      const response = await node.app.inject({ method: route.method as 'GET', url: url(route.url), headers: { authorization: `Bearer ${node.tokens[role]}` } });
      assert.equal(response.statusCode, 403, `${route.method} ${route.url} as ${role}`);
      checked++;
    }
    assert.ok(checked >= 1, 'at least one route is closed to some role');
  });

  it('names a known permission on every route', () => {
    for (const route of node.routes) assert.ok(route.permission !== 'undefined', `${route.method} ${route.url}`);
  });
});
