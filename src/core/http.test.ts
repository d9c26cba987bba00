import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { enforcePermissions } from './http.js';

describe('permission map', () => {
  it('refuses to register a route that names no permission', async () => {
    const app = Fastify();
    enforcePermissions(app);
    assert.throws(() => app.get('/open', async () => 'x'), /route GET \/open names no permission/);
    app.get('/named', { config: { permission: 'public' } }, async () => 'x');
    await app.ready();
  });
});
