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

  it('lets the user with the fewest matches running go next, not the oldest request', async () => {
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
});
