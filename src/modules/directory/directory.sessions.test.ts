import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, TEST_MEMBER, type TestNode } from '../../../test/support/node.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { closeAudit, entries } from '../audit/audit.service.js';
import { createUser } from './directory.service.js';
import { LoginThrottle } from './directory.sessions.js';

describe('dashboard sign-in', () => {
  let node: TestNode;
  before(async () => {
    node = await createTestNode('sqlite');
    await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'ana', member: TEST_MEMBER, clearance: 2, roles: ['analyst'], password: 'a long enough password' });
  });
  after(async () => node?.close());

  const signIn = (user: string, password: string, ip = '203.0.113.7') =>
    node.app.inject({ method: 'POST', url: '/api/v1/session', payload: { user, password }, remoteAddress: ip });

  it('sets an httpOnly, SameSite=Strict cookie and guards writes with a CSRF token', async () => {
    const response = await signIn('ana', 'a long enough password');
    assert.equal(response.statusCode, 200, response.body);
    const setCookie = String(response.headers['set-cookie']);
    assert.match(setCookie, /^sw_session=[A-Za-z0-9_-]{43};/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    const { csrf_token } = response.json() as { csrf_token: string };

    const me = await node.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    assert.equal(me.json().user, 'ana');
    const forged = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: '[]', headers: { cookie, 'content-type': 'application/json' } });
    assert.equal(forged.statusCode, 403);
    assert.equal(forged.json().error.code, 'SW_CSRF');
    const wrong = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: '[]', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': 'x'.repeat(43) } });
    assert.equal(wrong.statusCode, 403);
    const real = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: '[]', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf_token } });
    assert.notEqual(real.statusCode, 403, real.body);

    const out = await node.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'x-csrf-token': csrf_token } });
    assert.equal(out.statusCode, 204);
    assert.equal((await node.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode, 401);
  });

  it('says whether the cookie names an open session, 200 either way, and whose', async () => {
    const state = async (headers: Record<string, string>) => {
      const response = await node.app.inject({ method: 'GET', url: '/api/v1/session', headers });
      assert.equal(response.statusCode, 200, response.body);
      return response.json() as { signed_in: boolean; user?: string };
    };
    assert.deepEqual(await state({}), { signed_in: false });
    assert.deepEqual(await state({ cookie: `sw_session=${'A'.repeat(43)}` }), { signed_in: false });
    const response = await signIn('ana', 'a long enough password');
    const cookie = String(response.headers['set-cookie']).split(';')[0]!;
    const { csrf_token } = response.json() as { csrf_token: string };
    assert.deepEqual(await state({ cookie }), { signed_in: true, user: 'ana' });
    // Nothing of the session's secrets is in the answer.
    assert.doesNotMatch(JSON.stringify(await state({ cookie })), new RegExp(csrf_token));
    await node.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'x-csrf-token': csrf_token } });
    assert.deepEqual(await state({ cookie }), { signed_in: false });
  });

  it('signs in and out with a session whose CSRF token the page lost, and a new sign-in ends the old session', async () => {
    const first = await signIn('ana', 'a long enough password');
    const stale = String(first.headers['set-cookie']).split(';')[0]!;
    // The page's storage was cleared but not the cookie: neither sign-in nor sign-out may be stuck.
    const again = await node.app.inject({ method: 'POST', url: '/api/v1/session', payload: { user: 'ana', password: 'a long enough password' }, headers: { cookie: stale }, remoteAddress: '203.0.113.7' });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal((await node.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: stale } })).statusCode, 401, 'the old session ended');
    const fresh = String(again.headers['set-cookie']).split(';')[0]!;
    assert.equal((await node.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: fresh } })).json().user, 'ana');
    const out = await node.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: fresh } });
    assert.equal(out.statusCode, 204, out.body);
    assert.equal((await node.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: fresh } })).statusCode, 401);
    // Any other write with the cookie and no token is still refused.
    const third = String((await signIn('ana', 'a long enough password')).headers['set-cookie']).split(';')[0]!;
    const forged = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: '[]', headers: { cookie: third, 'content-type': 'application/json' } });
    assert.equal(forged.json().error.code, 'SW_CSRF');
  });

  it('answers a wrong password and an unknown user alike, and throttles after five failures', async () => {
    const wrong = await signIn('ana', 'not the password', '198.51.100.1');
    const unknown = await signIn('nobody', 'not the password', '198.51.100.2');
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, 401);
    assert.equal(wrong.json().error.message, unknown.json().error.message);
    for (let i = 0; i < 4; i++) assert.equal((await signIn('ana', 'guess', `198.51.100.${10 + i}`)).statusCode, 401);
    const locked = await signIn('ana', 'a long enough password', '198.51.100.99');
    assert.equal(locked.statusCode, 429);
    assert.ok(Number(locked.headers['retry-after']) >= 1);
    // Failed and throttled sign-ins are counted per address and written once per interval.
    await closeAudit(node.ctx);
    const log = [];
    for await (const e of entries(node.ctx)) log.push(e.action);
    for (const action of ['auth.login', 'auth.login.failed', 'auth.login.throttled']) assert.ok(log.includes(action), action);
  });
});

describe('HTTP Basic', () => {
  let node: TestNode;
  before(async () => {
    node = await createTestNode('sqlite');
    await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'feed', member: TEST_MEMBER, clearance: 1, roles: ['analyst'], password: 'a long enough password' });
  });
  after(async () => node?.close());
  const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
  const me = (headers: Record<string, string>) => node.app.inject({ method: 'GET', url: '/api/v1/me', headers });

  it('takes the user\'s password or one of the user\'s tokens, and nothing else', async () => {
    assert.equal((await me(basic('feed', 'a long enough password'))).json().user, 'feed');
    assert.equal((await me(basic('feed', 'a long enough password'))).statusCode, 200, 'verified again from the short cache');
    assert.equal((await me(basic('feed', 'wrong'))).statusCode, 401);
    const { createToken } = await import('./directory.service.js');
    const token = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'feed', user: 'feed' })).token;
    assert.equal((await me(basic('feed', token))).json().user, 'feed');
    assert.equal((await me(basic('test-analyst', token))).statusCode, 401, 'a token is its own user\'s');
    assert.equal((await me({ authorization: 'Basic !!!' })).statusCode, 401);
  });
});

describe('LoginThrottle', () => {
  it('locks after five failures, doubling, and forgets after an hour', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 4; i++) t.fail('k', 0);
    assert.equal(t.wait('k', 0), 0);
    t.fail('k', 0);
    assert.equal(t.wait('k', 0), 60_000);
    t.fail('k', 0);
    assert.equal(t.wait('k', 0), 120_000);
    assert.equal(t.wait('k', 3600_001), 0);
    t.fail('j', 0);
    t.succeed('j');
    assert.equal(t.wait('j', 0), 0);
  });
});
