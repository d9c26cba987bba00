import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, TEST_MEMBER, type TestNode } from '../../../test/support/node.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { createToken, createUser, hashPassword, upsertMembers, verifyPassword } from './directory.service.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';

for (const dialect of DIALECTS) {
  describe(`directory over HTTP (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let memberAdmin: string;
    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: null }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'tst.admin', member: TEST_MEMBER, clearance: 2, roles: ['member-admin'] });
      memberAdmin = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'ma', user: 'tst.admin' })).token;
    });
    after(async () => node?.close());
    const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, token: string, payload?: unknown) =>
      node.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });

    const contact = { role: 'CERT duty officer', name: 'A. Duty', email: 'duty@cert.example', phone: '+49 228 0000 0', available_24_7: true };

    it('lets a member administrator keep its own points of contact, and nothing else', async () => {
      const own = await call('PUT', `/api/v1/members/${TEST_MEMBER}`, memberAdmin, { name: 'Test member', kind: 'ally', contacts: [contact] });
      assert.equal(own.statusCode, 200, own.body);
      assert.deepEqual((own.json() as { contacts: unknown[] }).contacts, [contact]);
      assert.equal((await call('PUT', '/api/v1/members/FRA', memberAdmin, { name: 'France', kind: 'ally', contacts: [contact] })).statusCode, 403);
      assert.equal((await call('PUT', `/api/v1/members/${TEST_MEMBER}`, memberAdmin, { name: 'Renamed', kind: 'ally' })).statusCode, 403);
      const listed = (await call('GET', '/api/v1/members', node.tokens.analyst)).json() as { members: Array<{ code: string; groups: string[]; contacts: unknown[] }> };
      const tst = listed.members.find((m) => m.code === TEST_MEMBER)!;
      assert.deepEqual(tst.groups, ['ALLIANCE']);
      assert.deepEqual(tst.contacts, [contact]);
    });

    it('says what is wrong with a bad point of contact', async () => {
      const bad = await call('PUT', `/api/v1/members/${TEST_MEMBER}`, node.tokens['node-admin'], { name: 'Test member', kind: 'ally', contacts: [{ ...contact, email: 'not-an-address' }] });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /email/);
    });

    it('creates users of its own member only, never above its own clearance or with admin roles', async () => {
      const ok = await call('POST', '/api/v1/users', memberAdmin, { name: 'tst.analyst', member: TEST_MEMBER, clearance: 2, roles: ['analyst'], password: 'correct horse battery' });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.equal((await call('POST', '/api/v1/users', memberAdmin, { name: 'fr.analyst', member: 'FRA', clearance: 1, roles: ['analyst'] })).statusCode, 403);
      assert.equal((await call('POST', '/api/v1/users', memberAdmin, { name: 'tst.high', member: TEST_MEMBER, clearance: 3, roles: ['analyst'] })).statusCode, 403);
      assert.equal((await call('POST', '/api/v1/users', memberAdmin, { name: 'tst.root', member: TEST_MEMBER, clearance: 0, roles: ['node-admin'] })).statusCode, 403);
      assert.equal((await call('POST', '/api/v1/users', memberAdmin, { name: 'tst.analyst', member: TEST_MEMBER, clearance: 0, roles: ['analyst'] })).statusCode, 409);
      assert.equal((await call('POST', '/api/v1/users', node.tokens.analyst, { name: 'x', member: TEST_MEMBER, clearance: 0, roles: ['analyst'] })).statusCode, 403);
      const users = (await call('GET', '/api/v1/users', memberAdmin)).json() as { users: Array<{ name: string; member: string }> };
      assert.ok(users.users.every((u) => u.member === TEST_MEMBER));
    });

    it('issues a token once, lists it without its value, and revokes it', async () => {
      const created = await call('POST', '/api/v1/tokens', memberAdmin, { name: 'soc', user: 'tst.analyst' });
      assert.equal(created.statusCode, 201, created.body);
      const { id, token } = created.json() as { id: number; token: string };
      assert.equal((await call('GET', '/api/v1/me', token)).json().user, 'tst.analyst');
      const listed = await call('GET', '/api/v1/tokens', memberAdmin);
      assert.ok(!listed.body.includes(token));
      assert.equal((await call('DELETE', `/api/v1/tokens/${id}`, memberAdmin)).statusCode, 204);
      assert.equal((await call('GET', '/api/v1/me', token)).statusCode, 401);
    });
  });
}

describe('passwords', () => {
  it('are stored as scrypt hashes that verify only the right password', async () => {
    const stored = await hashPassword('correct horse battery');
    assert.match(stored, /^scrypt\$32768\$8\$1\$/);
    assert.ok(!stored.includes('correct'));
    assert.equal(await verifyPassword('correct horse battery', stored), true);
    assert.equal(await verifyPassword('correct horse batterY', stored), false);
    assert.notEqual(await hashPassword('correct horse battery'), stored, 'salted');
  });
});
