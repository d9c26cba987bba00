/**
 * Administrators' powers as docs/POLICY.md states them: a member administrator issues
 * credentials only for users it could have created; a node administrator acts as a user of a
 * member only with a second node administrator's approval or the user's consent; adding never
 * overwrites what exists.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestNode, TEST_MEMBER, TEST_MEMBER_IDENTITY, type TestNode } from '../../../test/support/node.js';
import { createTestStore, DIALECTS, dialectSkip, type TestStore } from '../../../test/support/dialects.js';
import { buildApp, type Node } from '../../app.js';
import { loadConfig } from '../../config/config.js';
import { fixedClock } from '../../core/clock.js';
import { SYSTEM_PRINCIPAL, type Role } from '../../policy/principal.js';
import * as audit from '../audit/audit.service.js';
import { authenticateToken, createToken, createUser, CREDENTIAL_REQUEST_TTL_MS, principalOfUser, setPeerDisabled, upsertMembers } from './directory.service.js';
import { TOKENS_PER_USER } from './directory.tokens.js';
import { SUITE_LIMIT_MS, until } from '../../../test/support/wait.js';

const FRA_IDENTITY = 'identity--0b7c2f4e-3a51-4c6d-9e8f-1a2b3c4d5e6f';

for (const dialect of DIALECTS) {
  describe(`administrators' powers (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    /** Tokens by user name, made by the node itself. */
    const tokens: Record<string, string> = {};

    async function user(name: string, member: string | null, clearance: number, roles: Role[]): Promise<void> {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member, clearance, roles });
      tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
    }

    before(async () => {
      // Refusals are written once per interval: a short one, for the tests that read them.
      node = await createTestNode(dialect, { auditRefusalIntervalMs: 1000 });
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: FRA_IDENTITY }]);
      // Two node administrators of the node itself: no member, no clearance (they read only TLP:CLEAR).
      await user('root', null, 0, ['node-admin']);
      await user('root2', null, 0, ['node-admin']);
      await user('tst.ma', TEST_MEMBER, 2, ['member-admin']);
      await user('tst.ma0', TEST_MEMBER, 0, ['member-admin']);
      await user('tst.secret', TEST_MEMBER, 3, ['analyst']);
      await user('tst.auditor', TEST_MEMBER, 4, ['auditor']);
      await user('tst.auditor0', TEST_MEMBER, 0, ['auditor']);
      await user('fr.analyst', 'FRA', 3, ['analyst']);
    });
    after(async () => node?.close());

    const call = (method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE', url: string, token: string, payload?: unknown) =>
      node.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    const me = async (token: string) => (await call('GET', '/api/v1/me', token)).statusCode;
    const signIn = (name: string, password: string) => node.app.inject({ method: 'POST', url: '/api/v1/session', payload: { user: name, password }, remoteAddress: `198.51.100.${Math.floor(Math.random() * 250) + 1}` });
    const actions = async (): Promise<Array<{ action: string; actor: string; subject: string; detail?: Record<string, unknown> }>> => {
      const out = [];
      for await (const entry of audit.entries(node.ctx)) out.push(entry);
      return out;
    };

    it('refuses a member administrator a token for a user cleared above itself (a CONFIDENTIAL admin for a SECRET analyst)', async () => {
      const response = await call('POST', '/api/v1/tokens', tokens['tst.ma']!, { name: 'borrowed', user: 'tst.secret' });
      assert.equal(response.statusCode, 403, response.body);
      assert.equal(response.json().error.code, 'SW_FORBIDDEN');
      assert.match(response.json().error.message, /clearance/);
      const listed = (await call('GET', '/api/v1/tokens', tokens['tst.ma']!)).json() as { tokens: Array<{ name: string }> };
      assert.ok(!listed.tokens.some((t) => t.name === 'borrowed'));
      await until('the refusal is written', async () => ((await actions()).some((e) => e.action === 'directory.credential.denied' && e.actor === 'user:tst.ma' && e.subject === 'tst.secret') ? undefined : 'not yet'));
    });

    it('counts refused credentials as refusals: 30 refused in a row are one entry, not 30', async () => {
      const denied = async () => (await actions()).filter((e) => e.action === 'directory.credential.denied' && e.actor === 'user:tst.ma0');
      const before = await denied();
      for (let i = 0; i < 30; i++) assert.equal((await call('POST', '/api/v1/tokens', tokens['tst.ma0']!, { name: `flood ${i}`, user: 'tst.secret' })).statusCode, 403);
      const counted = async () => (await denied()).slice(before.length).reduce((n, e) => n + Number(e.detail?.count ?? 1), 0);
      await until('the 30 refusals are written', async () => ((await counted()) >= 30 ? undefined : `${await counted()} written`));
      const written = (await denied()).slice(before.length);
      assert.equal(await counted(), 30, JSON.stringify(written));
      // One entry per second of refusals: 30 requests take more than 10 s only on a machine
      // slower than any this suite runs on.
      assert.ok(written.length < 10, `${written.length} entries for 30 refusals`);
    });

    it("refuses a member administrator the revocation of an auditor's or a node administrator's token of its member", async () => {
      await user('tst.root', TEST_MEMBER, 0, ['node-admin']);
      const listed = (await call('GET', '/api/v1/tokens', tokens['tst.ma']!)).json() as { tokens: Array<{ id: number; user: string }> };
      for (const name of ['tst.auditor0', 'tst.root']) {
        const token = listed.tokens.find((t) => t.user === name);
        assert.ok(token, `${name}'s token is listed to the member administrator`);
        const response = await call('DELETE', `/api/v1/tokens/${token.id}`, tokens['tst.ma']!);
        assert.equal(response.statusCode, 403, response.body);
        assert.match(response.json().error.message, /a node administrator revokes it/);
        assert.equal(await me(tokens[name]!), 200, `${name}'s token still works`);
      }
      // Its analysts' tokens it revokes, as before.
      await user('tst.revoked', TEST_MEMBER, 1, ['analyst']);
      const analyst = ((await call('GET', '/api/v1/tokens', tokens['tst.ma']!)).json() as { tokens: Array<{ id: number; user: string }> }).tokens.find((t) => t.user === 'tst.revoked')!;
      assert.equal((await call('DELETE', `/api/v1/tokens/${analyst.id}`, tokens['tst.ma']!)).statusCode, 204);
      assert.equal(await me(tokens['tst.revoked']!), 401);
    });

    it('refuses a member administrator a token for an auditor, a role it cannot grant, even at its own clearance', async () => {
      const response = await call('POST', '/api/v1/tokens', tokens['tst.ma']!, { name: 'borrowed', user: 'tst.auditor0' });
      assert.equal(response.statusCode, 403, response.body);
      assert.match(response.json().error.message, /auditor/);
      const topSecret = await call('POST', '/api/v1/tokens', tokens['tst.ma0']!, { name: 'borrowed', user: 'tst.auditor' });
      assert.equal(topSecret.statusCode, 403, topSecret.body);
      // The node administrator of the test member is a user of it too: no member administrator acts as it.
      assert.equal((await call('POST', '/api/v1/tokens', tokens['tst.ma']!, { name: 'borrowed', user: 'test-node-admin' })).statusCode, 403);
    });

    it('still lets a member administrator issue tokens for the users it could have created', async () => {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'tst.confidential', member: TEST_MEMBER, clearance: 2, roles: ['analyst', 'incident-handler'] });
      const response = await call('POST', '/api/v1/tokens', tokens['tst.ma']!, { name: 'soc', user: 'tst.confidential' });
      assert.equal(response.statusCode, 201, response.body);
      assert.equal(await me(response.json().token), 200);
    });

    it('keeps at most 50 active tokens a user, and deletes long-revoked ones when it issues another', async () => {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'tst.busy', member: TEST_MEMBER, clearance: 1, roles: ['analyst'] });
      const made: number[] = [];
      for (let i = 0; i < TOKENS_PER_USER; i++) made.push((await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: `t${i}`, user: 'tst.busy' })).id);
      const refused = await call('POST', '/api/v1/tokens', tokens['tst.ma']!, { name: 'one more', user: 'tst.busy' });
      assert.equal(refused.statusCode, 409, refused.body);
      assert.deepEqual(refused.json().error.details, { tokens: 50, limit: 50 });
      assert.match(refused.json().error.message, /revoke one it no longer uses/);
      // One revoked long ago makes room, and is deleted when the next is issued (the audit log keeps its history).
      assert.equal((await call('DELETE', `/api/v1/tokens/${made[0]}`, tokens['tst.ma']!)).statusCode, 204);
      await node.ctx.store.db.updateTable('api_tokens').set({ revoked_at: '2020-01-01T00:00:00.000Z' }).where('id', '=', made[0]!).execute();
      assert.equal((await call('POST', '/api/v1/tokens', tokens['tst.ma']!, { name: 'one more', user: 'tst.busy' })).statusCode, 201);
      assert.equal(await node.ctx.store.db.selectFrom('api_tokens').select('id').where('id', '=', made[0]!).executeTakeFirst(), undefined);
      assert.equal((await call('DELETE', `/api/v1/tokens/${made[0]}`, tokens['tst.ma']!)).statusCode, 404, 'a deleted token is not found');
      // Tokens of credential requests that lapsed (or were declined) long ago neither count nor stay.
      await node.ctx.store.db.updateTable('api_tokens').set({ revoked_at: new Date().toISOString() }).where('user_name', '=', 'tst.busy').execute();
      const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
      const waiting = Array.from({ length: 60 }, (_, i) => ({ name: `asked ${i}`, token_hash: `h${i}-${Date.now()}`, role: 'user', member_code: TEST_MEMBER, user_name: 'tst.busy', created_at: twoDaysAgo, expires_at: null, revoked_at: null, last_used_at: null, awaiting_request: 1_000_000 + i }));
      await node.ctx.store.db.insertInto('api_tokens').values(waiting).execute();
      const awaiting = async () => (await node.ctx.store.db.selectFrom('api_tokens').select('id').where('user_name', '=', 'tst.busy').where('awaiting_request', 'is not', null).execute()).length;
      assert.equal((await call('POST', '/api/v1/tokens', tokens['tst.ma']!, { name: 'after the requests', user: 'tst.busy' })).statusCode, 201, '60 tokens of lapsed requests do not count');
      assert.equal(await awaiting(), 60, 'kept within 30 days');
      await node.ctx.store.db.updateTable('api_tokens').set({ created_at: '2020-01-01T00:00:00.000Z' }).where('user_name', '=', 'tst.busy').where('awaiting_request', 'is not', null).execute();
      assert.equal((await call('POST', '/api/v1/tokens', tokens['tst.ma']!, { name: 'later', user: 'tst.busy' })).statusCode, 201);
      assert.equal(await awaiting(), 0, 'tokens of requests made before 30 days are deleted');
    });

    it("makes a node administrator's token for a user of a member wait for a second node administrator", async () => {
      const asked = await call('POST', '/api/v1/tokens', tokens.root!, { name: 'support', user: 'fr.analyst' });
      assert.equal(asked.statusCode, 202, asked.body);
      const body = asked.json() as { status: string; token: string; request: { id: number; status: string; user: string; requestedBy: string }; message: string };
      assert.equal(body.status, 'pending');
      assert.deepEqual([body.request.status, body.request.user, body.request.requestedBy], ['pending', 'fr.analyst', 'root']);
      assert.match(body.message, new RegExp(`POST /api/v1/credential-requests/${body.request.id}/approve`));
      assert.equal(await me(body.token), 401, 'not usable before approval');

      const own = await call('POST', `/api/v1/credential-requests/${body.request.id}/approve`, tokens.root!);
      assert.equal(own.statusCode, 403, own.body);
      assert.equal(own.json().error.code, 'SW_SECOND_PERSON_REQUIRED');
      assert.equal((await call('POST', `/api/v1/credential-requests/${body.request.id}/approve`, tokens['tst.ma']!)).statusCode, 403, 'a member administrator is not a second node administrator');
      assert.equal(await me(body.token), 401);

      const approved = await call('POST', `/api/v1/credential-requests/${body.request.id}/approve`, tokens.root2!);
      assert.equal(approved.statusCode, 200, approved.body);
      assert.equal(approved.json().status, 'approved');
      assert.equal(approved.json().decidedBy, 'root2');
      assert.equal((await call('GET', '/api/v1/me', body.token)).json().user, 'fr.analyst');
      assert.equal((await call('POST', `/api/v1/credential-requests/${body.request.id}/approve`, tokens.root2!)).statusCode, 409, 'decided once');

      const trail = (await actions()).filter((e) => String(e.detail?.request) === String(body.request.id));
      assert.deepEqual(trail.map((e) => [e.action, e.actor]), [
        ['directory.credential.request', 'user:root'],
        ['directory.credential.denied', 'user:root'],
        // The member administrator's refusal is counted, and written with its others once per interval.
        ['directory.credential.approve', 'user:root2'],
        ['directory.token.create', 'user:root2'],
      ]);
    });

    it('lets the user itself consent instead of a second node administrator, and no one else', async () => {
      const asked = (await call('POST', '/api/v1/tokens', tokens.root!, { name: 'support', user: 'fr.analyst' })).json() as { token: string; request: { id: number } };
      assert.equal((await call('POST', `/api/v1/credential-requests/${asked.request.id}/approve`, tokens['tst.secret']!)).statusCode, 403);
      const consent = await call('POST', `/api/v1/credential-requests/${asked.request.id}/approve`, tokens['fr.analyst']!);
      assert.equal(consent.statusCode, 200, consent.body);
      assert.equal(await me(asked.token), 200);
    });

    it('never issues a token a second node administrator declined', async () => {
      const asked = (await call('POST', '/api/v1/tokens', tokens.root!, { name: 'support', user: 'fr.analyst' })).json() as { token: string; request: { id: number } };
      const pending = (await call('GET', '/api/v1/credential-requests?status=pending', tokens.root2!)).json() as { requests: Array<{ id: number }> };
      assert.ok(pending.requests.some((r) => r.id === asked.request.id));
      const declined = await call('POST', `/api/v1/credential-requests/${asked.request.id}/decline`, tokens.root2!);
      assert.equal(declined.statusCode, 200, declined.body);
      assert.equal(declined.json().status, 'declined');
      assert.equal((await call('POST', `/api/v1/credential-requests/${asked.request.id}/approve`, tokens['fr.analyst']!)).statusCode, 409);
      assert.equal(await me(asked.token), 401);
    });

    it("makes a node administrator's token for any other node user wait too: each holds a permission or a clearance it lacks", async () => {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'ops', member: null, clearance: 0, roles: ['member-admin'] });
      const response = await call('POST', '/api/v1/tokens', tokens.root!, { name: 'ops', user: 'ops' });
      assert.equal(response.statusCode, 202, response.body);
      assert.match(response.json().message as string, /role member-admin/);
      // A node user cleared above the administrator reads more than it: that needs a second person.
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'ops.secret', member: null, clearance: 3, roles: ['analyst'] });
      assert.equal((await call('POST', '/api/v1/tokens', tokens.root!, { name: 'ops', user: 'ops.secret' })).statusCode, 202);
    });

    it('never gives one node administrator the credentials of another, which would approve its own requests', async () => {
      // The attack: ask for a member user's token, make a second node administrator, take its
      // credentials, approve the request with them.
      const asked = (await call('POST', '/api/v1/tokens', tokens.root!, { name: 'support', user: 'fr.analyst' })).json() as { token: string; request: { id: number } };
      const made = await call('POST', '/api/v1/users', tokens.root!, { name: 'ops.puppet', member: null, clearance: 0, roles: ['node-admin'] });
      assert.equal(made.statusCode, 201, made.body);
      const puppet = await call('POST', '/api/v1/tokens', tokens.root!, { name: 'puppet', user: 'ops.puppet' });
      assert.equal(puppet.statusCode, 202, puppet.body);
      assert.match(puppet.json().message as string, /credential-requests/);
      const puppetToken = puppet.json().token as string;
      assert.equal(await me(puppetToken), 401, 'not usable before a second node administrator approves');
      assert.equal((await call('POST', `/api/v1/credential-requests/${asked.request.id}/approve`, puppetToken)).statusCode, 401);
      assert.equal(await me(asked.token), 401, "the member user's token still waits");
      // Nor a password chosen for it at creation, nor one set afterwards.
      const withPassword = await call('POST', '/api/v1/users', tokens.root!, { name: 'ops.puppet2', member: null, clearance: 0, roles: ['node-admin'], password: 'chosen by root alone' });
      assert.equal(withPassword.statusCode, 403, withPassword.body);
      assert.equal(withPassword.json().error.code, 'SW_SECOND_PERSON_REQUIRED');
      assert.equal((await call('PUT', '/api/v1/users/ops.puppet/password', tokens.root!, { password: 'set by root alone' })).statusCode, 202);
      assert.equal((await signIn('ops.puppet', 'set by root alone')).statusCode, 401);
      // An existing node administrator's credentials too: root would hold root2's vote.
      assert.equal((await call('POST', '/api/v1/tokens', tokens.root!, { name: 'borrowed', user: 'root2' })).statusCode, 202);
      // Its own, always; and a second node administrator's approval gives the puppet its token.
      assert.equal((await call('POST', '/api/v1/tokens', tokens.root!, { name: 'mine', user: 'root' })).statusCode, 201);
      const request = (puppet.json() as { request: { id: number } }).request.id;
      assert.equal((await call('POST', `/api/v1/credential-requests/${request}/approve`, tokens.root!)).statusCode, 403);
      assert.equal((await call('POST', `/api/v1/credential-requests/${request}/approve`, tokens.root2!)).statusCode, 200);
      assert.equal(await me(puppetToken), 200);
    });

    it('creates a node user (member null) over HTTP: null stays null, never the member code ""', async () => {
      const made = await call('POST', '/api/v1/users', tokens.root!, { name: 'ops.http', member: null, clearance: 0, roles: ['node-admin'] });
      assert.equal(made.statusCode, 201, made.body);
      assert.equal(made.json().member, null);
      // "" is no member code: the validator's coercion reads it as null, never as a member "".
      const empty = await call('POST', '/api/v1/users', tokens.root!, { name: 'ops.empty', member: '', clearance: 0, roles: ['node-admin'] });
      assert.equal(empty.statusCode, 201, empty.body);
      assert.equal(empty.json().member, null);
      // A contact's address cannot smuggle mailto: fields (a hidden bcc) into the directory.
      const contact = { role: 'duty officer', name: 'Duty', phone: '+33 1 00 00 00 00', available_24_7: true };
      const smuggled = await call('POST', '/api/v1/members', tokens.root!, { code: 'BCC', name: 'Bcc test', kind: 'partner', contacts: [{ ...contact, email: 'duty?bcc=spy%40evil.example&body=x@cert.example' }] });
      assert.equal(smuggled.statusCode, 400, smuggled.body);
      const plain = await call('POST', '/api/v1/members', tokens.root!, { code: 'BCC', name: 'Bcc test', kind: 'partner', contacts: [{ ...contact, email: 'duty.officer+cert@cert.example.org' }] });
      assert.equal(plain.statusCode, 201, plain.body);
      // A member's optional fields set to null are null too.
      const member = await call('POST', '/api/v1/members', tokens.root!, { code: 'NUL', name: 'Null test', kind: 'partner', country: null, identity_id: null });
      assert.equal(member.statusCode, 201, member.body);
      assert.equal(member.json().country, null);
    });

    it("refuses a node administrator a password it chooses for a new user of a member", async () => {
      const response = await call('POST', '/api/v1/users', tokens.root!, { name: 'fr.new', member: 'FRA', clearance: 3, roles: ['analyst'], password: 'chosen by the node admin' });
      assert.equal(response.statusCode, 403, response.body);
      assert.equal(response.json().error.code, 'SW_SECOND_PERSON_REQUIRED');
      assert.equal((await signIn('fr.new', 'chosen by the node admin')).statusCode, 401);
      // Without a password the user is made; its credentials come through the two-person rule.
      assert.equal((await call('POST', '/api/v1/users', tokens.root!, { name: 'fr.new', member: 'FRA', clearance: 3, roles: ['analyst'] })).statusCode, 201);
    });

    it("sets a member user's password only with a second node administrator's approval", async () => {
      const asked = await call('PUT', '/api/v1/users/fr.analyst/password', tokens.root!, { password: 'set by the node admin' });
      assert.equal(asked.statusCode, 202, asked.body);
      const id = (asked.json() as { request: { id: number; kind: string } }).request.id;
      assert.equal(asked.json().request.kind, 'password');
      assert.equal((await signIn('fr.analyst', 'set by the node admin')).statusCode, 401, 'not before approval');
      assert.equal((await call('POST', `/api/v1/credential-requests/${id}/approve`, tokens.root!)).statusCode, 403);
      assert.equal((await call('POST', `/api/v1/credential-requests/${id}/approve`, tokens.root2!)).statusCode, 200);
      assert.equal((await signIn('fr.analyst', 'set by the node admin')).statusCode, 200);
    });

    it('lets a member administrator set passwords only of the users it could have created', async () => {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'tst.pw', member: TEST_MEMBER, clearance: 1, roles: ['analyst'] });
      const ok = await call('PUT', '/api/v1/users/tst.pw/password', tokens['tst.ma']!, { password: 'a member admin password' });
      assert.equal(ok.statusCode, 204, ok.body);
      assert.equal((await signIn('tst.pw', 'a member admin password')).statusCode, 200);
      const above = await call('PUT', '/api/v1/users/tst.secret/password', tokens['tst.ma']!, { password: 'a member admin password' });
      assert.equal(above.statusCode, 403, above.body);
      assert.equal((await signIn('tst.secret', 'a member admin password')).statusCode, 401);
      assert.equal((await call('PUT', '/api/v1/users/fr.analyst/password', tokens['tst.ma']!, { password: 'a member admin password' })).statusCode, 403);
    });

    it('refuses to add a member whose code exists, and keeps it as it was', async () => {
      const response = await call('POST', '/api/v1/members', tokens.root!, { code: TEST_MEMBER, name: 'Impostor', kind: 'partner' });
      assert.equal(response.statusCode, 409, response.body);
      assert.match(response.json().error.message, /PATCH \/api\/v1\/members\/TST/);
      const members = (await call('GET', '/api/v1/members', tokens.root!)).json() as { members: Array<{ code: string; name: string; kind: string; identityId: string | null }> };
      const tst = members.members.find((m) => m.code === TEST_MEMBER)!;
      assert.deepEqual([tst.name, tst.kind, tst.identityId], ['Test member', 'ally', TEST_MEMBER_IDENTITY]);
      const added = await call('POST', '/api/v1/members', tokens.root!, { code: 'ITA', name: 'Italy', kind: 'ally', country: 'IT' });
      assert.equal(added.statusCode, 201, added.body);
    });

    it('no longer adds a member through PUT, which replaces an existing one only', async () => {
      const response = await call('PUT', '/api/v1/members/ESP', tokens.root!, { name: 'Spain', kind: 'ally' });
      assert.equal(response.statusCode, 404, response.body);
      assert.match(response.json().error.message, /POST \/api\/v1\/members/);
    });

    it('changes only the fields named when a member is updated', async () => {
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'NLD', name: 'Netherlands', kind: 'ally', country: 'NL', identityId: 'identity--1c9e4b7a-5d2f-4e3a-8b6c-7d8e9f0a1b2c' }]);
      const response = await call('PATCH', '/api/v1/members/NLD', tokens.root!, { name: 'Kingdom of the Netherlands' });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(
        (({ name, kind, country, identityId }) => ({ name, kind, country, identityId }))(response.json() as { name: string; kind: string; country: string; identityId: string }),
        { name: 'Kingdom of the Netherlands', kind: 'ally', country: 'NL', identityId: 'identity--1c9e4b7a-5d2f-4e3a-8b6c-7d8e9f0a1b2c' },
      );
      assert.equal((await call('PATCH', '/api/v1/members/NOPE', tokens.root!, { name: 'x' })).statusCode, 404);
      // A member administrator names its points of contact only.
      assert.equal((await call('PATCH', `/api/v1/members/${TEST_MEMBER}`, tokens['tst.ma']!, { kind: 'partner' })).statusCode, 403);
    });

    it("refuses to give a member another member's identity, which would let it write in that member's name", async () => {
      const added = await call('POST', '/api/v1/members', tokens.root!, { code: 'BEL', name: 'Belgium', kind: 'ally', identity_id: FRA_IDENTITY });
      assert.equal(added.statusCode, 409, added.body);
      assert.equal((await call('POST', '/api/v1/members', tokens.root!, { code: 'BEL', name: 'Belgium', kind: 'ally' })).statusCode, 201);
      assert.equal((await call('PATCH', '/api/v1/members/BEL', tokens.root!, { identity_id: TEST_MEMBER_IDENTITY })).statusCode, 409);
      assert.equal((await call('PUT', '/api/v1/members/BEL', tokens.root!, { name: 'Belgium', kind: 'ally', identity_id: FRA_IDENTITY })).statusCode, 409);
      const bel = ((await call('GET', '/api/v1/members', tokens.root!)).json() as { members: Array<{ code: string; identityId: string | null }> }).members.find((m) => m.code === 'BEL');
      assert.equal(bel?.identityId, null);
    });

    it("keeps a group's description when members are added to it without one", async () => {
      assert.equal((await call('PUT', '/api/v1/groups/NORDIC', tokens.root!, { description: 'Nordic members', members: [TEST_MEMBER] })).statusCode, 204);
      assert.equal((await call('PUT', '/api/v1/groups/NORDIC', tokens.root!, { members: ['FRA'] })).statusCode, 204);
      const row = await node.testStore.store.db.selectFrom('member_groups').select('description').where('name', '=', 'NORDIC').executeTakeFirstOrThrow();
      assert.equal(row.description, 'Nordic members');
    });

    it("keeps a peer a node administrator registers for a member disabled until a second one enables it: a peer reads as its members", async () => {
      // The attack: a peer standing for FRA, pushing what FRA reads to the administrator's server.
      const exfil = { name: 'exfil', members: ['FRA'], clearance: 3, roles: ['analyst'], url: 'https://attacker.example/taxii2/r/', direction: 'push', auth: 'none' };
      const created = await call('POST', '/api/v1/peers', tokens.root!, exfil);
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual([created.json().disabled, created.json().awaiting_approval_by], [true, ['root']]);
      const sync = await call('POST', '/api/v1/peers/exfil/sync?direction=push', tokens.root!);
      assert.equal(sync.statusCode, 409, sync.body);
      assert.match(sync.json().error.message, /other than root/);
      const own = await call('POST', '/api/v1/peers/exfil/enable', tokens.root!);
      assert.equal(own.statusCode, 403, own.body);
      assert.equal(own.json().error.code, 'SW_SECOND_PERSON_REQUIRED');
      assert.equal((await call('GET', '/api/v1/peers/exfil', tokens.root!)).json().disabled, true);
      const second = await call('POST', '/api/v1/peers/exfil/enable', tokens.root2!);
      assert.deepEqual([second.statusCode, second.json().disabled, second.json().awaiting_approval_by], [200, false, []]);

      // Changes that do not widen it keep it enabled; sending elsewhere, a higher clearance or
      // another member disable it again until another administrator enables it.
      const slower = await call('PATCH', '/api/v1/peers/exfil', tokens.root!, { interval_s: 600, page_timeout_s: 60 });
      assert.deepEqual([slower.statusCode, slower.json().disabled], [200, false]);
      const narrower = await call('PATCH', '/api/v1/peers/exfil', tokens.root!, { clearance: 1 });
      assert.deepEqual([narrower.statusCode, narrower.json().disabled], [200, false]);
      for (const widening of [{ url: 'https://elsewhere.example/taxii2/r/' }, { clearance: 4 }, { members: ['FRA', TEST_MEMBER] }, { roles: ['analyst', 'coordinator'] }, { certificate_cn: 'exfil-2' }]) {
        const widened = await call('PATCH', '/api/v1/peers/exfil', tokens.root!, widening);
        assert.deepEqual([widened.statusCode, widened.json().disabled, widened.json().awaiting_approval_by], [200, true, ['root']], JSON.stringify(widening));
        assert.equal((await call('POST', '/api/v1/peers/exfil/enable', tokens.root!)).statusCode, 403);
        assert.equal((await call('POST', '/api/v1/peers/exfil/enable', tokens.root2!)).statusCode, 200);
      }
      // Widened by both: neither enables it; the node's command line (the operator) may.
      assert.equal((await call('PATCH', '/api/v1/peers/exfil', tokens.root!, { url: 'https://third.example/taxii2/r/' })).statusCode, 200);
      const both = await call('PATCH', '/api/v1/peers/exfil', tokens.root2!, { url: 'https://fourth.example/taxii2/r/' });
      assert.deepEqual(both.json().awaiting_approval_by, ['root', 'root2']);
      for (const token of [tokens.root!, tokens.root2!]) assert.equal((await call('POST', '/api/v1/peers/exfil/enable', token)).statusCode, 403);
      assert.equal((await setPeerDisabled(node.ctx, SYSTEM_PRINCIPAL, 'exfil', false)).disabled, false);
      const trail = (await actions()).filter((e) => e.subject === 'exfil').map((e) => e.action);
      assert.ok(trail.includes('directory.peer.denied'), 'the refused enabling is on the audit log');
    });

    it("refuses a peer whose certificate name is a user's: the user's certificate would act as the peer", async () => {
      const response = await call('POST', '/api/v1/peers', tokens.root!, { name: 'fra-node', members: ['FRA'], clearance: 3, roles: ['analyst'], certificate_cn: 'root' });
      assert.equal(response.statusCode, 409, response.body);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`credential requests lapse (${dialect})`, { skip: await dialectSkip(dialect) }, () => {
    let testStore: TestStore;
    let node: Node;
    let dir: string;
    const clock = fixedClock(new Date('2026-03-01T08:00:00.000Z'));

    before(async () => {
      testStore = await createTestStore(dialect);
      dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-lapse-'));
      node = await buildApp({ config: loadConfig({}, { databaseUrl: testStore.url, dataDir: dir, demo: false, logLevel: 'silent' }), store: testStore.store, clock, logger: false });
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: null }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'fr.analyst', member: 'FRA', clearance: 3, roles: ['analyst'] });
      for (const name of ['root', 'root2']) await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member: null, clearance: 0, roles: ['node-admin'] });
    });
    after(async () => {
      await node?.app.close();
      await testStore?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses to approve a request a day after it was made: approval is a decision of now', async () => {
      const root = (await principalOfUser(node.ctx, 'root'))!;
      const asked = await createToken(node.ctx, root, { name: 'support', user: 'fr.analyst' });
      clock.advance(CREDENTIAL_REQUEST_TTL_MS);
      const root2 = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'root2', user: 'root2' })).token;
      const late = await node.app.inject({ method: 'POST', url: `/api/v1/credential-requests/${asked.request!.id}/approve`, headers: { authorization: `Bearer ${root2}` } });
      assert.equal(late.statusCode, 409, late.body);
      assert.match(late.json().error.message, /lapsed/);
      const listed = await node.app.inject({ method: 'GET', url: '/api/v1/credential-requests?status=lapsed', headers: { authorization: `Bearer ${root2}` } });
      assert.deepEqual((listed.json() as { requests: Array<{ id: number }> }).requests.map((r) => r.id), [asked.request!.id]);
      assert.equal(await authenticateToken(node.ctx, asked.token), undefined);
    });
  });
}
