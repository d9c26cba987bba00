import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestNode, TEST_MEMBER, type TestNode } from '../../../test/support/node.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { closeAudit, entries } from '../audit/audit.service.js';
import { createUser } from './directory.service.js';
import { LoginThrottle, SESSIONS_PER_USER } from './directory.sessions.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';

describe('dashboard sign-in', () => {
  let node: TestNode;
  before(async () => {
    node = await createTestNode('sqlite');
    for (const name of ['ana', 'bea', 'cam']) await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member: TEST_MEMBER, clearance: 2, roles: ['analyst'], password: 'a long enough password' });
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

  it('writes nothing for a sign-out whose cookie names no session (anyone may send one)', async () => {
    const logouts = async () => {
      let n = 0;
      for await (const entry of entries(node.ctx)) if (entry.action === 'auth.logout') n++;
      return n;
    };
    const before = await logouts();
    for (let i = 0; i < 20; i++) {
      const out = await node.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: `sw_session=${randomUUID()}` }, remoteAddress: '198.51.100.77' });
      assert.equal(out.statusCode, 204, out.body);
    }
    assert.equal(await logouts(), before, 'no sign-out recorded for a session that never was');
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

  it("keeps counting a source's failures at other names when it signs in to its own account", async () => {
    // An insider guessing others' passwords from one address, signing in as itself between rounds.
    const ip = '192.0.2.77';
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 4; i++) assert.equal((await signIn(`victim${round}.${i}`, 'guess', ip)).statusCode, 401);
      if (round < 4) assert.equal((await signIn('bea', 'a long enough password', ip)).statusCode, 200, 'its own account works meanwhile');
    }
    const next = await signIn('victim.next', 'guess', ip);
    assert.equal(next.statusCode, 429, `20 failures from one address lock it, whatever it signed in to between: ${next.body}`);
  });

  it('counts an IPv6 /64 as one source, as the unauthenticated limit does', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await signIn(`v6victim${i}`, 'guess', `2001:db8:1:2::${(i + 1).toString(16)}`)).statusCode, 401);
    assert.equal((await signIn('v6victim.next', 'guess', '2001:db8:1:2:ffff::9')).statusCode, 429);
    assert.equal((await signIn('v6victim.next', 'guess', '2001:db8:1:3::1')).statusCode, 401, 'the next /64 is another source');
  });

  it('does not let failures from elsewhere lock a user out of a source it signed in from before', async () => {
    assert.equal((await signIn('cam', 'a long enough password', '203.0.113.50')).statusCode, 200);
    // Someone else locks the name from addresses of its own, then keeps it locked.
    for (let i = 0; i < 7; i++) await signIn('cam', 'guess', `198.51.100.${120 + i}`);
    assert.equal((await signIn('cam', 'a long enough password', '198.51.100.200')).statusCode, 429, 'a new source waits: the name is being guessed');
    const home = await signIn('cam', 'a long enough password', '203.0.113.50');
    assert.equal(home.statusCode, 200, `the user's own source signs in: ${home.body}`);
    // Guessing from that source is still bounded per name there.
    for (let i = 0; i < 5; i++) assert.equal((await signIn('cam', 'guess', '203.0.113.50')).statusCode, 401);
    assert.equal((await signIn('cam', 'a long enough password', '203.0.113.50')).statusCode, 429);
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

  it("refuses a write with Basic credentials from another site's page (a browser sends cached ones with any form): CSRF", async () => {
    const write = (headers: Record<string, string>) =>
      node.app.inject({ method: 'POST', url: '/api/v1/bundles?outcomes=none', headers: { ...basic('feed', 'a long enough password'), 'content-type': 'application/json', host: 'node.example', ...headers }, payload: { type: 'bundle', id: `bundle--${randomUUID()}`, objects: [] } });
    // Before, both were taken (the bundle's answer).
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'same-site', origin: 'https://node.example' }] as Array<Record<string, string>>) {
      const answer = await write(headers);
      assert.equal(answer.statusCode, 403, JSON.stringify(headers));
      assert.equal(answer.json().error.code, 'SW_CSRF');
      assert.match(answer.json().error.message, /a write with Basic credentials from another site's page is refused/);
    }
    // The node's own page, and a client that is no browser, write; a read from anywhere is a read.
    for (const headers of [{ 'sec-fetch-site': 'same-origin', origin: 'https://node.example' }, { origin: 'https://node.example' }, {}] as Array<Record<string, string>>) assert.notEqual((await write(headers)).statusCode, 403, JSON.stringify(headers));
    assert.equal((await me({ ...basic('feed', 'a long enough password'), 'sec-fetch-site': 'cross-site' })).statusCode, 200);
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

  it('allows a key more failures when asked, and remembers the last sources of each user, a bounded few', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 19; i++) t.fail('source', 0, 20);
    assert.equal(t.wait('source', 0), 0);
    t.fail('source', 0, 20);
    assert.equal(t.wait('source', 0), 60_000);
    for (let i = 0; i < 10; i++) t.remember('u', `10.0.0.${i}`);
    assert.equal(t.knows('u', '10.0.0.9'), true);
    assert.equal(t.knows('u', '10.0.0.1'), false, 'the oldest are forgotten beyond eight');
    assert.equal(t.knows('v', '10.0.0.9'), false);
  });
});

for (const dialect of DIALECTS) {
  describe(`sessions a user holds (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    before(async () => {
      node = await createTestNode(dialect);
      for (const name of ['many', 'other']) {
        await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member: TEST_MEMBER, clearance: 1, roles: ['analyst'], password: 'a long enough password' });
      }
    });
    after(async () => node?.close());

    const signIn = async (user: string, i: number): Promise<string> => {
      // One address each: the unauthenticated limit is per address, and not what is tested here.
      const response = await node.app.inject({ method: 'POST', url: '/api/v1/session', payload: { user, password: 'a long enough password' }, remoteAddress: `198.18.${i >> 8}.${i & 255}` });
      assert.equal(response.statusCode, 200, response.body);
      return String(response.headers['set-cookie']).split(';')[0]!;
    };
    const whoami = async (cookie: string) => (await node.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode;
    const sessionsOf = async (user: string) =>
      Number((await node.ctx.store.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('user_name', '=', user).executeTakeFirstOrThrow()).n);

    it(`keeps at most ${SESSIONS_PER_USER} a user: a new sign-in ends the oldest, never the new one nor another user's`, async () => {
      const other = await signIn('other', 0);
      const cookies: string[] = [];
      // The node's clock may stand still in tests: sign-ins at the same instant are ordered too.
      for (let i = 1; i <= SESSIONS_PER_USER + 5; i++) {
        cookies.push(await signIn('many', i));
        assert.equal(await whoami(cookies.at(-1)!), 200, `sign-in ${i} works at once`);
      }
      assert.equal(await sessionsOf('many'), SESSIONS_PER_USER);
      for (const [i, cookie] of cookies.entries()) {
        assert.equal(await whoami(cookie), i < 5 ? 401 : 200, `session ${i + 1} of ${cookies.length}`);
      }
      assert.equal(await whoami(other), 200, "another user's session stays");
      assert.equal(await sessionsOf('other'), 1);
      await closeAudit(node.ctx);
      const ended: unknown[] = [];
      for await (const e of entries(node.ctx)) {
        if (e.action === 'auth.login' && e.subject === 'many') ended.push((e.detail as { sessions_ended?: number }).sessions_ended);
      }
      assert.deepEqual(ended.filter((n) => n !== undefined), [1, 1, 1, 1, 1], 'each sign-in past the bound says it ended one');
    });
  });
}
