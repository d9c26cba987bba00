/**
 * Credentials remembered between requests: a request with a known token asks the store nothing,
 * yet a change made through this process takes effect at once, and one made behind its back
 * (another process on the same store) within CREDENTIAL_CACHE_MS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type Node } from '../../app.js';
import { loadConfig } from '../../config/config.js';
import { fixedClock } from '../../core/clock.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { createTestStore, DIALECTS, dialectSkip, type TestStore } from '../../../test/support/dialects.js';
import { statementsRun } from '../../../test/support/statements.js';
import { addToGroup, createToken, createUser, CREDENTIAL_CACHE_MS, hashToken, revokeToken, upsertMembers } from './directory.service.js';

const MEMBER = 'CRD';

for (const dialect of DIALECTS) {
  describe(`credentials between requests (${dialect})`, { skip: await dialectSkip(dialect) }, () => {
    let testStore: TestStore;
    let node: Node;
    const clock = fixedClock(new Date('2026-03-01T08:00:00.000Z'));

    before(async () => {
      testStore = await createTestStore(dialect);
      const config = loadConfig({}, { dataDir: testStore.dataDir, databaseUrl: testStore.url, demo: false, logLevel: 'silent' });
      node = await buildApp({ config, store: testStore.store, clock, logger: false });
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: MEMBER, name: 'Credential test member', kind: 'ally', country: null, identityId: null }]);
    });
    after(async () => {
      await node?.app.close();
      await testStore?.cleanup();
    });

    let users = 0;
    /** A new user of the member with a token of its own, so that no test sees another's cache. */
    async function analyst(expiresAt?: string): Promise<{ name: string; id: number; token: string }> {
      const name = `analyst-${++users}`;
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member: MEMBER, clearance: 2, roles: ['analyst'] });
      const created = await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name, ...(expiresAt ? { expiresAt } : {}) });
      return { name, id: created.id, token: created.token };
    }
    const me = (token: string) => node.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

    // The statements are counted on the SQLite connection (the same code path serves both dialects).
    if (dialect === 'sqlite') it('answers a request with a token it verified already without asking the store', async (t) => {
      const { token } = await analyst();
      assert.equal((await me(token)).statusCode, 200);
      const statements = await statementsRun(t, testStore.store, async () => {
        for (let i = 0; i < 3; i++) assert.equal((await me(token)).statusCode, 200);
      });
      assert.deepEqual(statements.filter((s) => /api_tokens|users|members/.test(s)), []);
    });

    it('refuses a revoked token at once, though it was verified a moment before', async () => {
      const { id, token } = await analyst();
      assert.equal((await me(token)).statusCode, 200);
      await revokeToken(node.ctx, SYSTEM_PRINCIPAL, id);
      assert.equal((await me(token)).statusCode, 401);
    });

    it('shows a group change made through this process at once', async () => {
      const { token } = await analyst();
      assert.ok(!(await me(token)).json().member.groups.includes('CREDENTIAL-TEST'));
      await addToGroup(node.ctx, SYSTEM_PRINCIPAL, 'CREDENTIAL-TEST', 'a group added while the token is remembered', [MEMBER]);
      assert.ok((await me(token)).json().member.groups.includes('CREDENTIAL-TEST'));
    });

    it('takes a change made behind its back (another process) within CREDENTIAL_CACHE_MS', async () => {
      const { name, token } = await analyst();
      const revoked = await analyst();
      assert.equal((await me(token)).json().clearance, 2);
      assert.equal((await me(revoked.token)).statusCode, 200);
      // Written straight to the store, as `shieldwall` on the command line or a second node process would.
      await testStore.store.db.updateTable('users').set({ clearance: 0, roles: ',auditor,' }).where('name', '=', name).execute();
      await testStore.store.db.updateTable('api_tokens').set({ revoked_at: clock.now().toISOString() }).where('token_hash', '=', hashToken(revoked.token)).execute();
      clock.advance(CREDENTIAL_CACHE_MS - 1);
      assert.equal((await me(token)).json().clearance, 2, 'still the remembered principal, inside the bound');
      clock.advance(1);
      const changed = (await me(token)).json();
      assert.equal(changed.clearance, 0);
      assert.deepEqual(changed.roles, ['auditor']);
      assert.equal((await me(revoked.token)).statusCode, 401);
    });

    it('refuses a remembered token once it expires', async () => {
      const { token } = await analyst(new Date(clock.now().getTime() + 1000).toISOString());
      assert.equal((await me(token)).statusCode, 200);
      clock.advance(1000);
      assert.equal((await me(token)).statusCode, 401);
    });

    it('remembers no refusal: a token another process creates works on its first request', async () => {
      const { name } = await analyst();
      const value = `sw_${'k'.repeat(43)}${dialect}`;
      assert.equal((await me(value)).statusCode, 401);
      await testStore.store.db
        .insertInto('api_tokens')
        .values({ name: `${name}-elsewhere`, token_hash: hashToken(value), role: 'user', member_code: MEMBER, user_name: name, created_at: clock.now().toISOString(), expires_at: null, revoked_at: null, last_used_at: null })
        .execute();
      assert.equal((await me(value)).statusCode, 200);
    });
  });
}
