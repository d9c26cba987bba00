import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { SYSTEM_PRINCIPAL, type Principal } from '../policy/principal.js';
import { InFlightLimit, shareKey } from './inflight.js';

describe('requests in progress per member', () => {
  it('gives at most the limit of places per key, each back once, and forgets a key with none', async () => {
    const registry = new Registry();
    const limit = new InFlightLimit(2, registry);
    const a1 = limit.take('member:DEU');
    const a2 = limit.take('member:DEU');
    assert.ok(a1 && a2);
    assert.equal(limit.take('member:DEU'), undefined, 'the third place of one key is refused');
    assert.ok(limit.take('member:FRA'), 'another key is not held back');
    a1();
    a1();
    assert.equal(limit.inProgress('member:DEU'), 1, 'a place given back twice counts once');
    const a3 = limit.take('member:DEU');
    assert.ok(a3);
    assert.equal(limit.take('member:DEU'), undefined);
    a2();
    a3();
    assert.equal(limit.inProgress('member:DEU'), 0);
    assert.match(await registry.metrics(), /shieldwall_http_in_flight_refused_total 2/);
  });

  it('takes no place with a limit of 0 (no limit)', () => {
    const limit = new InFlightLimit(0, new Registry());
    for (let i = 0; i < 1000; i++) assert.ok(limit.take('member:DEU'));
    assert.equal(limit.inProgress('member:DEU'), 0);
  });

  it("counts a member's users under their member; a peer, and anyone of no member, by themselves", () => {
    const member = { code: 'DEU', kind: 'ally' as const, identityId: null, groups: [] };
    const user: Principal = { kind: 'user', name: 'anna', userName: 'anna', roles: ['analyst'], member, clearance: 2 };
    const peer: Principal = { kind: 'peer', name: 'node-de', userName: null, roles: ['analyst'], member, represents: [member], clearance: 2 };
    assert.equal(shareKey(user), 'member:DEU');
    assert.equal(shareKey(peer), 'peer:node-de', "a peer of DEU's node does not take DEU's analysts' places");
    assert.equal(shareKey(SYSTEM_PRINCIPAL), 'system:system');
    assert.equal(shareKey({ ...user, kind: 'token', name: 'legacy', member: null }), 'token:legacy');
  });
});
