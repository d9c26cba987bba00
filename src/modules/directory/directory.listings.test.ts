/**
 * The directory's listings over HTTP on both engines: users, API tokens and credential requests
 * come a page at a time, each row the caller may see exactly once and no other (a member
 * administrator its member's, a node administrator all, anyone else itself or the requests that
 * name it), with the status of a credential request decided in SQL; a member has at most
 * SHIELDWALL_USERS_PER_MEMBER users, however many are created at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, TEST_MEMBER, type TestNode } from '../../../test/support/node.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { createToken, createUser, CREDENTIAL_REQUEST_TTL_MS, PAGE_MAX, upsertMembers } from './directory.service.js';
import * as repo from './directory.repo.js';

const USERS_PER_MEMBER = 12;

type Page<K extends string, T> = { [key in K]: T[] } & { next_cursor: string | null };

for (const dialect of DIALECTS) {
  describe(`directory listings (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const tokens: Record<string, string> = {};

    const call = (url: string, token: string, method: 'GET' | 'POST' = 'GET', payload?: object) =>
      node.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload } : {}) });

    /** Every page of a listing from its first, with the size of each. */
    async function allPages<T>(url: string, key: string, token: string, limit: number): Promise<{ rows: T[]; sizes: number[] }> {
      const rows: T[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const separator = url.includes('?') ? '&' : '?';
        const response = await call(`${url}${separator}limit=${limit}${cursor !== null ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
        assert.equal(response.statusCode, 200, response.body);
        const page = response.json() as Page<string, T>;
        assert.ok(Array.isArray(page[key]), `the answer keeps its ${key}`);
        rows.push(...(page[key] as T[]));
        sizes.push((page[key] as T[]).length);
        assert.ok(page.next_cursor === null || typeof page.next_cursor === 'string', `next_cursor names the next page, or is null on the last: ${String(page.next_cursor)}`);
        cursor = page.next_cursor;
      } while (cursor !== null);
      return { rows, sizes };
    }

    /** Full pages but the last, which holds the rest (and is never empty unless everything is). */
    function assertPaged(sizes: number[], total: number, limit: number): void {
      assert.deepEqual(sizes.slice(0, -1), Array(sizes.length - 1).fill(limit), `pages of ${limit}: ${sizes.join(',')}`);
      assert.equal(sizes.reduce((a, b) => a + b, 0), total);
      assert.ok(sizes.at(-1)! > 0 || total === 0);
    }

    before(async () => {
      node = await createTestNode(dialect, { usersPerMember: USERS_PER_MEMBER });
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
        { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: null },
        { code: 'ITA', name: 'Italy', kind: 'ally', country: 'IT', identityId: null },
      ]);
      for (const [name, member, roles] of [['fr.admin', 'FRA', ['member-admin']], ['fr.analyst', 'FRA', ['analyst']], ['root', null, ['node-admin']]] as const) {
        await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member, clearance: 0, roles: [...roles] });
        tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
      }
      // Written to the store (the bound on users is the concern of another test): users of
      // both members, and their tokens interleaved, the test member's three for each of France's.
      const db = node.ctx.store.db;
      const at = new Date().toISOString();
      await db.insertInto('users').values(Array.from({ length: 30 }, (_, i) => ({ name: `seeded.${String(i).padStart(2, '0')}`, member_code: i % 3 === 0 ? 'FRA' : TEST_MEMBER, clearance: 0, roles: ',analyst,', password_hash: null, created_at: at, disabled_at: null }))).execute();
      for (let i = 0; i < 120; i++) {
        const user = `seeded.${String(i % 30).padStart(2, '0')}`;
        const member = i % 4 === 0 ? 'FRA' : TEST_MEMBER;
        await db.insertInto('api_tokens').values({ name: `t${i}`, token_hash: `seeded-${dialect}-${i}`, role: 'user', member_code: member, user_name: user, created_at: at, expires_at: null, revoked_at: null, last_used_at: null, awaiting_request: null }).execute();
      }
    });
    after(async () => node?.close());

    it("pages a member administrator's tokens: its member's only, each once, by id", async () => {
      const expected = (await node.ctx.store.db.selectFrom('api_tokens').select('id').where('member_code', '=', 'FRA').orderBy('id').execute()).map((r) => Number(r.id));
      assert.ok(expected.length > 30);
      const { rows, sizes } = await allPages<{ id: number; memberCode: string | null }>('/api/v1/tokens', 'tokens', tokens['fr.admin']!, 7);
      assert.deepEqual(rows.map((t) => t.id), expected);
      assert.ok(rows.every((t) => t.memberCode === 'FRA'));
      assertPaged(sizes, expected.length, 7);
      // The test member's administrator sees its own member's, never France's.
      const tst = await allPages<{ memberCode: string | null }>('/api/v1/tokens', 'tokens', node.tokens['member-admin'], 50);
      assert.ok(tst.rows.length > 90 && tst.rows.every((t) => t.memberCode === TEST_MEMBER));
    });

    it("gives a node administrator every token, the first page the default's, and refuses a limit or cursor that is not one", async () => {
      const all = (await node.ctx.store.db.selectFrom('api_tokens').select('id').orderBy('id').execute()).map((r) => Number(r.id));
      const first = await call('/api/v1/tokens', tokens.root!);
      assert.equal(first.statusCode, 200, first.body);
      const page = first.json() as Page<'tokens', { id: number; name: string; user: string | null; createdAt: string; awaitingRequest: number | null }>;
      assert.deepEqual(page.tokens.map((t) => t.id), all, `fewer than the default page: all of them (${all.length})`);
      assert.equal(page.next_cursor, null);
      assert.deepEqual(Object.keys(page.tokens[0]!).sort(), ['awaitingRequest', 'createdAt', 'expiresAt', 'id', 'lastUsedAt', 'memberCode', 'name', 'revokedAt', 'user']);
      const paged = await allPages<{ id: number }>('/api/v1/tokens', 'tokens', tokens.root!, 11);
      assert.deepEqual(paged.rows.map((t) => t.id), all);
      assert.equal((await call(`/api/v1/tokens?limit=${PAGE_MAX + 1}`, tokens.root!)).statusCode, 400);
      assert.equal((await call('/api/v1/tokens?limit=0', tokens.root!)).statusCode, 400);
      const forged = await call('/api/v1/tokens?cursor=bm90LWEtY3Vyc29y', tokens.root!);
      assert.equal(forged.statusCode, 400, forged.body);
      assert.equal(forged.json().error.code, 'SW_INVALID_CURSOR');
      // A cursor of the users' listing is not one of the tokens'.
      const users = (await call('/api/v1/users?limit=1', tokens.root!)).json() as Page<'users', { name: string }>;
      assert.equal((await call(`/api/v1/tokens?cursor=${users.next_cursor}`, tokens.root!)).json().error.code, 'SW_INVALID_CURSOR');
    });

    it('pages the users: all for a node administrator by name, its member\'s for a member administrator, itself for anyone else', async () => {
      const names = (await node.ctx.store.db.selectFrom('users').select('name').orderBy('name').execute()).map((r) => r.name);
      const everyone = await allPages<{ name: string }>('/api/v1/users', 'users', tokens.root!, 9);
      assert.deepEqual(everyone.rows.map((u) => u.name), names);
      assertPaged(everyone.sizes, names.length, 9);

      const french = (await node.ctx.store.db.selectFrom('users').select('name').where('member_code', '=', 'FRA').orderBy('name').execute()).map((r) => r.name);
      const admin = await allPages<{ name: string; member: string | null }>('/api/v1/users', 'users', tokens['fr.admin']!, 4);
      assert.deepEqual(admin.rows.map((u) => u.name), french);
      assertPaged(admin.sizes, french.length, 4);

      const analyst = await call('/api/v1/users', node.tokens.analyst);
      assert.equal(analyst.statusCode, 200, analyst.body);
      assert.deepEqual(analyst.json(), { users: [{ name: 'test-analyst', member: TEST_MEMBER, clearance: 4, roles: ['analyst'] }], next_cursor: null });
    });

    it('keeps a member to SHIELDWALL_USERS_PER_MEMBER users, even when they are created at the same moment', async () => {
      const tries = USERS_PER_MEMBER + 8;
      const answers = await Promise.all(Array.from({ length: tries }, (_, i) => call('/api/v1/users', tokens.root!, 'POST', { name: `it.user${i}`, member: 'ITA', clearance: 0, roles: ['analyst'] })));
      assert.equal(answers.filter((a) => a.statusCode === 201).length, USERS_PER_MEMBER, answers.map((a) => a.statusCode).join(','));
      for (const refused of answers.filter((a) => a.statusCode !== 201)) {
        assert.equal(refused.statusCode, 409, refused.body);
        assert.deepEqual(refused.json().error.details, { users: USERS_PER_MEMBER, limit: USERS_PER_MEMBER });
        assert.match(refused.json().error.message, /SHIELDWALL_USERS_PER_MEMBER/);
      }
      const stored = await node.ctx.store.db.selectFrom('users').select('name').where('member_code', '=', 'ITA').execute();
      assert.equal(stored.length, USERS_PER_MEMBER);
      // The node's own users are not a member's.
      assert.equal((await call('/api/v1/users', tokens.root!, 'POST', { name: 'ops.extra', member: null, clearance: 0, roles: ['node-admin'] })).statusCode, 201);
    });

    it('pages credential requests newest first, the status decided in SQL, never reading a password hash', async () => {
      const db = node.ctx.store.db;
      const now = Date.now();
      const recent = new Date(now - 60_000).toISOString();
      const lapsed = new Date(now - CREDENTIAL_REQUEST_TTL_MS - 60_000).toISOString();
      const rows = Array.from({ length: 40 }, (_, i) => ({
        kind: i % 2 === 0 ? 'token' : 'password',
        user_name: i % 5 === 0 ? 'fr.analyst' : 'seeded.01',
        requested_by: i % 7 === 0 ? 'fr.analyst' : 'root',
        reason: 'seeded',
        token_id: null,
        token_name: null,
        token_expires_at: null,
        password_hash: i % 2 === 0 ? null : 'scrypt$32768$8$1$c2FsdA$a2V5',
        status: i % 10 === 9 ? 'declined' : 'pending',
        created_at: i % 3 === 0 ? lapsed : recent,
        decided_by: null,
        decided_at: null,
      }));
      for (const row of rows) await db.insertInto('credential_requests').values(row).execute();
      const stored = await db.selectFrom('credential_requests').selectAll().orderBy('id', 'desc').execute();
      const idsWhere = (keep: (r: (typeof stored)[number]) => boolean) => stored.filter(keep).map((r) => Number(r.id));

      const pending = await allPages<{ id: number; status: string }>('/api/v1/credential-requests?status=pending', 'requests', tokens.root!, 4);
      assert.deepEqual(pending.rows.map((r) => r.id), idsWhere((r) => r.status === 'pending' && r.created_at > new Date(now - CREDENTIAL_REQUEST_TTL_MS).toISOString()));
      assert.ok(pending.rows.every((r) => r.status === 'pending'));
      assertPaged(pending.sizes, pending.rows.length, 4);
      const lapsedOnes = await allPages<{ id: number; status: string }>('/api/v1/credential-requests?status=lapsed', 'requests', tokens.root!, 4);
      assert.deepEqual(lapsedOnes.rows.map((r) => r.id), idsWhere((r) => r.status === 'pending' && r.created_at === lapsed));
      assert.ok(lapsedOnes.rows.length > 0 && lapsedOnes.rows.every((r) => r.status === 'lapsed'));
      assertPaged(lapsedOnes.sizes, lapsedOnes.rows.length, 4);
      const everything = await allPages<{ id: number }>('/api/v1/credential-requests', 'requests', tokens.root!, 6);
      assert.deepEqual(everything.rows.map((r) => r.id), idsWhere(() => true));

      // A user sees the requests that name it and those it made, no other.
      const own = await allPages<{ id: number; user: string; requestedBy: string }>('/api/v1/credential-requests', 'requests', tokens['fr.analyst']!, 3);
      assert.deepEqual(own.rows.map((r) => r.id), idsWhere((r) => r.user_name === 'fr.analyst' || r.requested_by === 'fr.analyst'));
      assert.ok(own.rows.length > 3);
      assert.equal(((await call('/api/v1/credential-requests', tokens['fr.admin']!)).json() as Page<'requests', unknown>).requests.length, 0, 'a member administrator is no node administrator');
      assert.equal((await call('/api/v1/credential-requests?cursor=dG9rZW58MQ', tokens.root!)).json().error.code, 'SW_INVALID_CURSOR', "a token cursor is not a request's");

      // The listing reads no password hash, not even to leave it out.
      const listed = await repo.listCredentialRequests(db, { all: true }, { limit: 100 });
      assert.ok(listed.length >= 40);
      assert.ok(listed.every((r) => !('password_hash' in r)));
    });
  });
}
