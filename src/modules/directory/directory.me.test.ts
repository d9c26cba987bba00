/**
 * GET /api/v1/me: the permissions each role holds, the member's name, and when the caller was
 * here before (a session's previous sign-in, a token's last use before its current run of use),
 * which stays the same while the caller is here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixedClock } from '../../core/clock.js';
import { SYSTEM_PRINCIPAL, type Role } from '../../policy/principal.js';
import { createTestNode, TEST_MEMBER, type TestNode } from '../../../test/support/node.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { until } from '../../../test/support/wait.js';
import { TOKEN_PAUSE_MS } from './directory.authentication.js';
import * as repo from './directory.repo.js';
import { createToken, createUser, hashToken } from './directory.service.js';

interface Me {
  user: string | null;
  kind: string;
  member: { code: string; kind: string; identityId: string | null; groups: string[] } | null;
  member_name: string | null;
  clearance: number;
  clearance_name: string | null;
  roles: string[];
  permissions: string[];
  previous_visit: string | null;
}

const MINUTE = 60_000;

for (const dialect of DIALECTS) {
  describe(`who am I (GET /api/v1/me, ${dialect})`, { skip: await dialectSkip(dialect) }, () => {
    let node: TestNode;
    const clock = fixedClock(new Date('2026-04-01T08:00:00.000Z'));
    before(async () => {
      node = await createTestNode(dialect, {}, undefined, clock);
    });
    after(async () => node?.close());

    const me = async (headers: Record<string, string>): Promise<Me> => {
      const response = await node.app.inject({ method: 'GET', url: '/api/v1/me', headers });
      assert.equal(response.statusCode, 200, response.body);
      return response.json() as Me;
    };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const signIn = async (user: string, password: string): Promise<string> => {
      const response = await node.app.inject({ method: 'POST', url: '/api/v1/session', payload: { user, password }, remoteAddress: '203.0.113.20' });
      assert.equal(response.statusCode, 200, response.body);
      return String(response.headers['set-cookie']).split(';')[0]!;
    };
    /** Waits until the store holds this use of the token (it is written without the request waiting). */
    const used = (token: string, at: Date) =>
      until(`the use of the token at ${at.toISOString()} is recorded`, async () => {
        const row = await repo.findTokenByHash(node.ctx.store.db, hashToken(token));
        return row?.last_used_at === at.toISOString() ? undefined : `last_used_at ${row?.last_used_at ?? 'null'}`;
      });

    it('lists every permission of the roles, sorted, and they differ between roles', async () => {
      const held: Partial<Record<Role, string[]>> = {};
      for (const role of ['analyst', 'node-admin', 'political-delegate'] as const) {
        const answer = await me(bearer(node.tokens[role]));
        assert.deepEqual(answer.roles, [role]);
        assert.deepEqual(answer.permissions, [...node.ctx.permissions.of(role)].sort(), `${role}: the permission table's grants`);
        assert.deepEqual(answer.permissions, [...answer.permissions].sort(), `${role}: sorted`);
        assert.equal(answer.member_name, 'Test member');
        assert.equal(answer.member?.code, TEST_MEMBER);
        held[role] = answer.permissions;
      }
      assert.ok(held.analyst!.includes('intel:write') && !held.analyst!.includes('directory:write'), `analyst: ${held.analyst!.join(' ')}`);
      assert.ok(held['node-admin']!.includes('directory:write'), `node-admin: ${held['node-admin']!.join(' ')}`);
      assert.ok(!held['political-delegate']!.includes('intel:write'), `political-delegate: ${held['political-delegate']!.join(' ')}`);
      assert.notDeepEqual(held.analyst, held['node-admin']);
      assert.notDeepEqual(held.analyst, held['political-delegate']);
      assert.notDeepEqual(held['node-admin'], held['political-delegate']);
    });

    it('holds the union of the permissions of several roles', async () => {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'two-roles', member: TEST_MEMBER, clearance: 2, roles: ['analyst', 'auditor'] });
      const token = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'two-roles', user: 'two-roles' })).token;
      const union = [...new Set([...node.ctx.permissions.of('analyst'), ...node.ctx.permissions.of('auditor')])].sort();
      assert.deepEqual((await me(bearer(token))).permissions, union);
      assert.ok(union.includes('audit:read'));
    });

    it("gives a session the user's sign-in before it: null at the first, the first's time at the second, the same all session long", async () => {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'visitor', member: TEST_MEMBER, clearance: 2, roles: ['analyst'], password: 'a long enough password' });
      const firstAt = clock.now().toISOString();
      const first = await signIn('visitor', 'a long enough password');
      assert.equal((await me({ cookie: first })).previous_visit, null, 'first sign-in: never here before');
      clock.advance(20 * MINUTE);
      assert.equal((await me({ cookie: first })).previous_visit, null, 'the same session: still never');

      clock.advance(3 * 60 * MINUTE);
      const secondAt = clock.now().toISOString();
      const second = await signIn('visitor', 'a long enough password');
      assert.equal((await me({ cookie: second })).previous_visit, firstAt);
      clock.advance(45 * MINUTE);
      assert.equal((await me({ cookie: second })).previous_visit, firstAt, 'requests do not move it');
      assert.equal((await me({ cookie: first })).previous_visit, null, 'each session keeps its own');

      clock.advance(MINUTE);
      const third = await signIn('visitor', 'a long enough password');
      assert.equal((await me({ cookie: third })).previous_visit, secondAt);

      // Without a session (HTTP Basic with the password): the last dashboard sign-in.
      const basic = `Basic ${Buffer.from('visitor:a long enough password').toString('base64')}`;
      assert.equal((await me({ authorization: basic })).previous_visit, clock.now().toISOString());
    });

    it("gives a token its last use before the current run of use, and keeps it through the run", async () => {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'scripted', member: TEST_MEMBER, clearance: 2, roles: ['analyst'] });
      const token = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'scripted', user: 'scripted' })).token;
      const first = await me(bearer(token));
      assert.equal(first.kind, 'token');
      assert.equal(first.previous_visit, null, 'never used before');
      await used(token, clock.now());

      clock.advance(10 * MINUTE);
      assert.equal((await me(bearer(token))).previous_visit, null, 'the same run of use');
      const lastOfRun = clock.now();
      await used(token, lastOfRun);

      clock.advance(TOKEN_PAUSE_MS + MINUTE);
      assert.equal((await me(bearer(token))).previous_visit, lastOfRun.toISOString(), 'a new run: the last use of the one before');
      await used(token, clock.now());
      for (let i = 0; i < 3; i++) {
        clock.advance(5 * MINUTE);
        assert.equal((await me(bearer(token))).previous_visit, lastOfRun.toISOString(), 'requests of the run do not move it');
        await used(token, clock.now());
      }
      // The same token as an HTTP Basic password (TAXII clients) is the same token.
      clock.advance(MINUTE);
      const basic = `Basic ${Buffer.from(`scripted:${token}`).toString('base64')}`;
      assert.equal((await me({ authorization: basic })).previous_visit, lastOfRun.toISOString());
    });
  });
}
