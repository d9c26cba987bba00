import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShieldwallError } from '../../core/errors.js';
import { MatchScheduler } from './detect.schedule.js';

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('fair scheduling of bulk matches', () => {
  it('runs at most `running` at once and refuses past the queue with SW_MATCH_BUSY (503)', async () => {
    const scheduler = new MatchScheduler({ running: 1, queued: 1 });
    const first = await scheduler.enter('a');
    let secondStarted = false;
    const second = scheduler.enter('b').then((done) => ((secondStarted = true), done));
    await settled();
    assert.equal(secondStarted, false);
    assert.deepEqual(scheduler.state, { running: 1, queued: 1 });
    await assert.rejects(scheduler.enter('c'), (error: unknown) => error instanceof ShieldwallError && error.code === 'SW_MATCH_BUSY' && error.status === 503);
    first();
    first();
    const done = await second;
    assert.equal(secondStarted, true);
    assert.deepEqual(scheduler.state, { running: 1, queued: 0 });
    done();
    assert.deepEqual(scheduler.state, { running: 0, queued: 0 });
  });

  it('lets the member with the fewest matches running go next, not the oldest request', async () => {
    const scheduler = new MatchScheduler({ running: 2, queued: 10 });
    const a1 = await scheduler.enter('a');
    const b1 = await scheduler.enter('b');
    const order: string[] = [];
    const waiting = [scheduler.enter('a'), scheduler.enter('a'), scheduler.enter('c')].map((p, i) => p.then((done) => (order.push(['a2', 'a3', 'c1'][i]!), done)));
    await settled();
    b1();
    await settled();
    // 'a' has one running, 'c' none: c goes first though it asked last.
    assert.deepEqual(order, ['c1']);
    a1();
    await settled();
    assert.deepEqual(order, ['c1', 'a2']);
    for (const p of waiting.slice(0, 1)) (await p)();
    await settled();
    assert.deepEqual(order, ['c1', 'a2', 'a3']);
  });

  it('lets one member run at most half the places (rounded up), and gives the rest to the others', async () => {
    const scheduler = new MatchScheduler({ running: 2, queued: 8 });
    assert.equal(scheduler.maxRunningPerMember, 1);
    const a1 = await scheduler.enter('A');
    let a2Started = false;
    const a2 = scheduler.enter('A').then((done) => ((a2Started = true), done));
    await settled();
    // A place is free, but A runs its half already: its second waits.
    assert.equal(a2Started, false);
    assert.deepEqual(scheduler.state, { running: 1, queued: 1 });
    // Another member takes the free place at once, ahead of A's waiting match.
    const b1 = await scheduler.enter('B');
    assert.deepEqual(scheduler.state, { running: 2, queued: 1 });
    b1();
    await settled();
    assert.equal(a2Started, false, "B's place does not go to A while A runs its half");
    a1();
    (await a2)();
    assert.deepEqual(scheduler.state, { running: 0, queued: 0 });
    assert.equal(new MatchScheduler({ running: 3 }).maxRunningPerMember, 2);
    assert.equal(new MatchScheduler({ running: 1 }).maxRunningPerMember, 1);
  });

  it("refuses a member's match past its share of the queue while the others still wait their turn", async () => {
    const scheduler = new MatchScheduler({ running: 1, queued: 8, queuedPerMember: 2 });
    const a1 = await scheduler.enter('A');
    const waiting = [scheduler.enter('A'), scheduler.enter('A')];
    await settled();
    await assert.rejects(scheduler.enter('A'), (error: unknown) => error instanceof ShieldwallError && error.code === 'SW_MATCH_BUSY' && error.status === 503 && /your member has 1 bulk matches running and 2 waiting/.test(error.message));
    // The queue has room for the others.
    let bStarted = false;
    const b = scheduler.enter('B').then((done) => ((bStarted = true), done));
    await settled();
    assert.deepEqual(scheduler.state, { running: 1, queued: 3 });
    a1();
    await settled();
    // Neither runs one now; A's last started more recently than any of B's: B goes first, though it asked last.
    assert.equal(bStarted, true);
    assert.deepEqual(scheduler.state, { running: 1, queued: 2 });
    (await b)();
    for (const p of waiting) (await p)();
    assert.deepEqual(scheduler.state, { running: 0, queued: 0 });
    assert.throws(() => new MatchScheduler({ queuedPerMember: -1 }), /queuedPerMember must be a whole number/);
  });
});
