import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createTestStore, DIALECTS, dialectSkip, type TestStore } from '../../test/support/dialects.js';
import { limit, SUITE_LIMIT_MS, waitFor } from '../../test/support/wait.js';
import { openStore } from '../db/database.js';
import { fixedClock, systemClock, type Clock } from './clock.js';
import { exponentialBackoff, JobScheduler, type JobRun, type JobsContext } from './jobs.js';
import * as repo from './jobs.repo.js';
import { createMetrics } from './metrics.js';

const logger = pino({ level: 'silent' });

/** A kind of job of this test alone: tests share a store, never a kind. */
const kindOf = (what: string) => `test.${what}.${randomUUID().slice(0, 8)}`;

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

for (const dialect of DIALECTS) {
  describe(`durable jobs (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;
    const context = (clock: Clock = systemClock): JobsContext => ({ store: testStore.store, clock, logger });
    const jobOf = async (id: number) => (await testStore.store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow());

    before(async () => {
      testStore = await createTestStore(dialect);
    });
    after(async () => testStore?.cleanup());

    it('runs a job once, with its payload, and records it done', async () => {
      const clock = fixedClock(new Date('2026-05-01T10:00:00.000Z'));
      const scheduler = new JobScheduler(context(clock));
      const kind = kindOf('once');
      const seen: unknown[] = [];
      scheduler.register(kind, async (payload, run) => {
        seen.push({ payload, attempts: run.attempts });
      });
      const job = await scheduler.enqueue(kind, { member: 'FRA', n: 1 });
      assert.equal(job.created, true);
      assert.equal(await scheduler.runDue(), 1);
      assert.equal(await scheduler.runDue(), 0);
      clock.advance(24 * 3600_000);
      assert.equal(await scheduler.runDue(), 0);
      assert.deepEqual(seen, [{ payload: { member: 'FRA', n: 1 }, attempts: 1 }]);
      const row = await jobOf(job.id);
      assert.equal(row.state, 'done');
      assert.equal(row.finished_at, '2026-05-01T10:00:00.000Z');
      assert.equal(row.locked_by, null);
    });

    it('runs each of many jobs exactly once with two schedulers polling one store', async () => {
      const kind = kindOf('shared');
      const runs = new Map<number, string[]>();
      const schedulers = ['first', 'second'].map((name) => {
        const scheduler = new JobScheduler(context(), { pollMs: 20, workerId: name, concurrency: 3 });
        scheduler.register(kind, async (payload) => {
          const n = (payload as { n: number }).n;
          runs.set(n, [...(runs.get(n) ?? []), name]);
          await new Promise((resolve) => setImmediate(resolve));
        });
        return scheduler;
      });
      for (let n = 0; n < 60; n++) await schedulers[0]!.enqueue(kind, { n });
      for (const s of schedulers) s.start();
      try {
        await waitFor('every job done', async () => (await schedulers[0]!.list({ kinds: [kind], states: ['done'] })).length === 60);
      } finally {
        await Promise.all(schedulers.map((s) => s.stop()));
      }
      assert.equal(runs.size, 60);
      for (const [n, by] of runs) assert.equal(by.length, 1, `job ${n} ran ${by.length} times (${by.join(', ')})`);
    });

    it('retries a failing job with exponential backoff, then fails it with its error', async () => {
      const clock = fixedClock(new Date('2026-05-01T10:00:00.000Z'));
      const scheduler = new JobScheduler({ ...context(clock), metrics: createMetrics({ defaultMetrics: false }) });
      const kind = kindOf('failing');
      const reported: Array<{ attempts: number; retryInMs: number | undefined }> = [];
      let calls = 0;
      scheduler.register(
        kind,
        async () => {
          calls++;
          throw new Error(`peer refused (call ${calls})`);
        },
        { maxAttempts: 3, backoffMs: exponentialBackoff({ firstMs: 1000, jitter: 0 }), onFailure: (run: JobRun, _error, retryInMs) => void reported.push({ attempts: run.attempts, retryInMs }) },
      );
      const { id } = await scheduler.enqueue(kind, {});
      assert.equal(await scheduler.runDue(), 1);
      let row = await jobOf(id);
      assert.deepEqual([row.state, row.attempts, row.due_at, row.last_error], ['pending', 1, '2026-05-01T10:00:01.000Z', 'peer refused (call 1)']);
      clock.advance(999);
      assert.equal(await scheduler.runDue(), 0, 'not before its backoff');
      clock.advance(1);
      assert.equal(await scheduler.runDue(), 1);
      row = await jobOf(id);
      assert.deepEqual([row.state, row.attempts, row.due_at], ['pending', 2, '2026-05-01T10:00:03.000Z'], 'the wait doubles');
      clock.advance(1999);
      assert.equal(await scheduler.runDue(), 0);
      clock.advance(1);
      assert.equal(await scheduler.runDue(), 1);
      row = await jobOf(id);
      assert.deepEqual([row.state, row.attempts, row.last_error, row.finished_at], ['failed', 3, 'peer refused (call 3)', '2026-05-01T10:00:03.000Z']);
      clock.advance(3600_000);
      assert.equal(await scheduler.runDue(), 0, 'a failed job stays failed');
      assert.equal(calls, 3);
      assert.deepEqual(reported, [
        { attempts: 1, retryInMs: 1000 },
        { attempts: 2, retryInMs: 2000 },
        { attempts: 3, retryInMs: undefined },
      ]);
      assert.deepEqual((await scheduler.list({ kinds: [kind], states: ['failed'] })).map((j) => j.id), [id]);
    });

    it('a job that fails then succeeds ends done, its last error kept', async () => {
      const clock = fixedClock(new Date('2026-05-01T10:00:00.000Z'));
      const scheduler = new JobScheduler(context(clock));
      const kind = kindOf('flaky');
      let calls = 0;
      scheduler.register(kind, async () => {
        if (++calls === 1) throw new Error('timeout');
      }, { backoffMs: () => 500 });
      const { id } = await scheduler.enqueue(kind, null);
      await scheduler.runDue();
      clock.advance(500);
      assert.equal(await scheduler.runDue(), 1);
      const row = await jobOf(id);
      assert.deepEqual([row.state, row.attempts, row.last_error], ['done', 2, 'timeout']);
    });

    it('honours the due time on the node clock', async () => {
      const clock = fixedClock(new Date('2026-05-01T10:00:00.000Z'));
      const scheduler = new JobScheduler(context(clock));
      const kind = kindOf('due');
      const ranAt: string[] = [];
      scheduler.register(kind, async () => void ranAt.push(clock.now().toISOString()));
      await scheduler.enqueue(kind, {}, { dueAt: new Date('2026-05-01T11:00:00.000Z') });
      assert.equal(await scheduler.runDue(), 0);
      clock.advance(3600_000 - 1);
      assert.equal(await scheduler.runDue(), 0);
      clock.advance(1);
      assert.equal(await scheduler.runDue(), 1);
      assert.deepEqual(ranAt, ['2026-05-01T11:00:00.000Z']);
    });

    it('a started scheduler runs a job at its due time, not before', async () => {
      const scheduler = new JobScheduler(context(), { pollMs: 10 * 60_000 });
      const kind = kindOf('timer');
      let ranAt: number | undefined;
      scheduler.register(kind, async () => void (ranAt = Date.now()));
      scheduler.start();
      try {
        const dueAt = new Date(Date.now() + 300);
        await scheduler.enqueue(kind, {}, { dueAt });
        // Long before pollMs: the scheduler knows when the job is due.
        await waitFor('the job run', () => ranAt !== undefined, { limitMs: limit(60_000) });
        assert.ok(ranAt! >= dueAt.getTime(), `ran ${dueAt.getTime() - ranAt!} ms early`);
      } finally {
        await scheduler.stop();
      }
    });

    it('runs at start a job that fell due while the node was down', async () => {
      const clock = fixedClock(new Date('2026-05-01T10:00:00.000Z'));
      const kind = kindOf('restart');
      // The node that enqueued it stops before it is due, and its store is closed.
      const before = openStore(testStore.url);
      const first = new JobScheduler({ store: before, clock, logger });
      first.register(kind, async () => assert.fail('the first node is down by then'));
      first.start();
      const { id } = await first.enqueue(kind, { deadline: 'assessment cycle' }, { dueAt: new Date('2026-05-01T10:05:00.000Z') });
      await first.stop();
      await before.close();
      clock.advance(60 * 60_000);
      const after = openStore(testStore.url);
      try {
        const second = new JobScheduler({ store: after, clock, logger }, { pollMs: 60_000 });
        let payload: unknown;
        second.register(kind, async (p) => void (payload = p));
        second.start();
        try {
          await waitFor('the job run at start', () => payload !== undefined);
        } finally {
          await second.stop();
        }
        assert.deepEqual(payload, { deadline: 'assessment cycle' });
        assert.equal((await jobOf(id)).state, 'done');
      } finally {
        await after.close();
      }
    });

    it('runs again a job whose runner died once its lease ends, and fails it on its last attempt', async () => {
      const clock = fixedClock(new Date('2026-05-01T10:00:00.000Z'));
      const scheduler = new JobScheduler(context(clock), { leaseMs: 30_000 });
      const kind = kindOf('lease');
      const ran: number[] = [];
      scheduler.register(kind, async (_payload, run) => void ran.push(run.attempts));
      const again = await scheduler.enqueue(kind, {}, { maxAttempts: 3 });
      const last = await scheduler.enqueue(kind, {}, { maxAttempts: 1 });
      // What a worker killed mid-run leaves: both running under its lease.
      const now = clock.now().toISOString();
      const claimed = await repo.claim(testStore.store, [kind], 'killed-worker', now, new Date(clock.now().getTime() + 30_000).toISOString(), 10);
      assert.equal(claimed.runs.length, 2);
      assert.equal(await scheduler.runDue(), 0, 'the lease holds');
      clock.advance(30_000);
      assert.equal(await scheduler.runDue(), 1, 'only the job with attempts left runs again');
      assert.deepEqual(ran, [2]);
      const rerun = await jobOf(again.id);
      assert.deepEqual([rerun.state, rerun.attempts], ['done', 2]);
      assert.match(rerun.last_error ?? '', /lease of killed-worker ended/);
      const failed = await jobOf(last.id);
      assert.deepEqual([failed.state, failed.attempts], ['failed', 1]);
      assert.match(failed.last_error ?? '', /lease of killed-worker ended/);
    });

    it('a worker whose lease was taken over records nothing of its run', async () => {
      const clock = fixedClock(new Date('2026-05-01T10:00:00.000Z'));
      const kind = kindOf('taken');
      const slow = new JobScheduler(context(clock), { leaseMs: 1000, workerId: 'slow' });
      const entered = gate();
      const release = gate();
      slow.register(kind, async () => {
        entered.open();
        await release.promise;
        throw new Error('too late to matter');
      });
      const { id } = await slow.enqueue(kind, {});
      const slowRun = slow.runDue();
      await entered.promise;
      clock.advance(1000);
      const quick = new JobScheduler(context(clock), { workerId: 'quick' });
      quick.register(kind, async () => undefined);
      assert.equal(await quick.runDue(), 1);
      release.open();
      await slowRun;
      const row = await jobOf(id);
      assert.deepEqual([row.state, row.attempts], ['done', 2]);
    });

    it('enqueues a keyed job once, and renews it only when asked to after it finished', async () => {
      const clock = fixedClock(new Date('2026-05-01T10:00:00.000Z'));
      const scheduler = new JobScheduler(context(clock));
      const kind = kindOf('keyed');
      const key = `deadline:${randomUUID()}`;
      let runs = 0;
      scheduler.register(kind, async () => void runs++);
      const first = await scheduler.enqueue(kind, { v: 1 }, { key, dueAt: new Date('2026-05-01T12:00:00.000Z') });
      const second = await scheduler.enqueue(kind, { v: 2 }, { key, dueAt: new Date('2026-05-01T10:00:00.000Z') });
      assert.equal(first.created, true);
      assert.deepEqual([second.created, second.id, second.dueAt.toISOString()], [false, first.id, '2026-05-01T12:00:00.000Z']);
      clock.advance(2 * 3600_000);
      assert.equal(await scheduler.runDue(), 1);
      assert.equal((await scheduler.enqueue(kind, { v: 3 }, { key })).created, false, 'a finished deadline is not run again');
      assert.equal(await scheduler.runDue(), 0);
      const renewed = await scheduler.enqueue(kind, { v: 4 }, { key, renewFinished: true });
      assert.deepEqual([renewed.created, renewed.id, renewed.state], [true, first.id, 'pending']);
      assert.equal(await scheduler.runDue(), 1);
      assert.equal(runs, 2);
      assert.equal(await scheduler.cancel(key), true);
      assert.equal((await scheduler.list({ key })).length, 0);
    });

    it('recurring work: the job runs again when its handler says, sooner when asked', async () => {
      const clock = fixedClock(new Date('2026-05-01T10:00:00.000Z'));
      const scheduler = new JobScheduler(context(clock));
      const kind = kindOf('recurring');
      const key = `every-minute:${randomUUID()}`;
      let fail = false;
      let during: (() => Promise<unknown>) | undefined;
      const ranAt: string[] = [];
      scheduler.register(
        kind,
        async () => {
          ranAt.push(clock.now().toISOString());
          await during?.();
          if (fail) throw new Error('down');
          return { next: new Date(clock.now().getTime() + 60_000) };
        },
        { maxAttempts: null, backoffMs: () => 10_000 },
      );
      const { id } = await scheduler.enqueue(kind, {}, { key });
      await scheduler.runDue();
      let row = await jobOf(id);
      assert.deepEqual([row.state, row.due_at, row.attempts], ['pending', '2026-05-01T10:01:00.000Z', 0]);
      clock.advance(10_000);
      assert.equal(await scheduler.runSoon([key]), 1);
      assert.equal((await jobOf(id)).due_at, '2026-05-01T10:00:10.000Z');
      await scheduler.runDue();
      // Asked to run sooner while it runs: it runs again at that time, not a minute later.
      await scheduler.runSoon([key]);
      during = () => scheduler.runSoon([key], { at: new Date(clock.now().getTime() + 20) });
      await scheduler.runDue();
      row = await jobOf(id);
      assert.equal(row.due_at, '2026-05-01T10:00:10.020Z');
      during = undefined;
      // A job backing off after a failure is left alone by runSoon({ unlessRetrying }).
      clock.advance(20);
      fail = true;
      await scheduler.runDue();
      row = await jobOf(id);
      assert.deepEqual([row.state, row.attempts, row.due_at], ['pending', 1, '2026-05-01T10:00:20.020Z']);
      assert.equal(await scheduler.runSoon([key], { unlessRetrying: true }), 0);
      assert.equal((await jobOf(id)).due_at, '2026-05-01T10:00:20.020Z');
      fail = false;
      clock.advance(10_000);
      await scheduler.runDue();
      row = await jobOf(id);
      assert.deepEqual([row.state, row.attempts, row.due_at], ['pending', 0, '2026-05-01T10:01:20.020Z']);
      assert.deepEqual(ranAt, ['2026-05-01T10:00:00.000Z', '2026-05-01T10:00:10.000Z', '2026-05-01T10:00:10.000Z', '2026-05-01T10:00:10.020Z', '2026-05-01T10:00:20.020Z']);
    });

    it("keeps a kind within its concurrency: the other kinds' jobs run beside a backlog of it", async () => {
      const scheduler = new JobScheduler(context(), { pollMs: 20, concurrency: 4 });
      const slow = kindOf('slow');
      const other = kindOf('other');
      const release = gate();
      let slowRunning = 0;
      let mostSlow = 0;
      scheduler.register(
        slow,
        async () => {
          mostSlow = Math.max(mostSlow, ++slowRunning);
          await release.promise;
          slowRunning--;
        },
        { concurrency: 2 },
      );
      const otherRan: number[] = [];
      scheduler.register(other, async (payload) => {
        otherRan.push((payload as { n: number }).n);
      });
      // A backlog of the slow kind, due before the other kind's jobs.
      for (let i = 0; i < 10; i++) await scheduler.enqueue(slow, { i });
      for (let n = 0; n < 5; n++) await scheduler.enqueue(other, { n });
      scheduler.start();
      try {
        // Before, the backlog took the four places and the other kind waited for it.
        await waitFor('the other kind run beside the backlog', () => otherRan.length === 5);
        // The other kind may have run before the backlog took its two places: they are taken.
        await waitFor('two of the backlog running', () => slowRunning === 2);
        assert.equal(mostSlow, 2);
        assert.deepEqual(otherRan.sort(), [0, 1, 2, 3, 4]);
      } finally {
        release.open();
        await waitFor('the backlog run', async () => (await scheduler.list({ kinds: [slow] })).every((job) => job.state === 'done'));
        await scheduler.stop();
      }
      assert.equal(mostSlow, 2, 'never more than its concurrency at once');
      assert.throws(() => scheduler.register(kindOf('none'), async () => undefined, { concurrency: 0 }), /concurrency must be at least 1/);
    });

    it("runs one job of a group at a time: a group's backlog holds one of its kind's places, and the other groups go on", async () => {
      const scheduler = new JobScheduler(context(), { pollMs: 20, concurrency: 4 });
      const kind = kindOf('grouped');
      const release = gate();
      const running = new Map<string, number>();
      const most = new Map<string, number>();
      const ran: string[] = [];
      scheduler.register(
        kind,
        async (payload) => {
          const { group, n } = payload as { group: string; n: number };
          running.set(group, (running.get(group) ?? 0) + 1);
          most.set(group, Math.max(most.get(group) ?? 0, running.get(group)!));
          if (group === 'stuck') await release.promise;
          ran.push(`${group}:${n}`);
          running.set(group, running.get(group)! - 1);
        },
        { concurrency: 2, groupOf: (key) => key.slice(0, key.lastIndexOf(':') + 1) },
      );
      // A backlog of one group (a receiver that never answers), due before the others' jobs.
      for (let n = 0; n < 5; n++) await scheduler.enqueue(kind, { group: 'stuck', n }, { key: `${kind}:stuck:${n}` });
      for (const group of ['fair', 'other']) for (let n = 0; n < 3; n++) await scheduler.enqueue(kind, { group, n }, { key: `${kind}:${group}:${n}` });
      scheduler.start();
      try {
        // Before, the backlog took both of the kind's places and the other groups waited for it.
        await waitFor("the other groups' jobs run beside the backlog", () => ran.filter((run) => !run.startsWith('stuck')).length === 6);
        assert.equal(running.get('stuck'), 1, 'one of the backlog running');
      } finally {
        release.open();
        await waitFor('the backlog run', async () => (await scheduler.list({ kinds: [kind] })).every((job) => job.state === 'done'));
        await scheduler.stop();
      }
      assert.deepEqual(ran.filter((run) => run.startsWith('stuck')), ['stuck:0', 'stuck:1', 'stuck:2', 'stuck:3', 'stuck:4'], 'the group in the order due');
      assert.deepEqual([...most.values()], [1, 1, 1], 'never two of a group at once');
    });

    it('stop waits for the runs under way, and records their end', async () => {
      const scheduler = new JobScheduler(context(), { pollMs: 20 });
      const kind = kindOf('stop');
      let entered = false;
      const release = gate();
      scheduler.register(kind, async () => {
        entered = true;
        await release.promise;
      });
      const { id } = await scheduler.enqueue(kind, {});
      scheduler.start();
      // The scheduler's timers do not hold the process open: the wait does.
      await waitFor('the run to start', () => entered);
      let stopped = false;
      const stopping = scheduler.stop().then(() => (stopped = true));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(stopped, false);
      assert.equal((await jobOf(id)).state, 'running');
      release.open();
      await stopping;
      assert.equal((await jobOf(id)).state, 'done');
    });

    it('deletes jobs that ended: done ones seven days after, failed ones thirty days after', async () => {
      const clock = fixedClock(new Date('2027-07-01T00:00:00.000Z'));
      const scheduler = new JobScheduler(context(clock));
      const kind = kindOf('ended');
      scheduler.register(kind, async (payload) => {
        if ((payload as { fail?: boolean }).fail) throw new Error('refused');
      }, { maxAttempts: 1 });
      const done = await scheduler.enqueue(kind, {});
      const failed = await scheduler.enqueue(kind, { fail: true });
      const waiting = await scheduler.enqueue(kind, {}, { dueAt: new Date('2027-09-01T00:00:00.000Z') });
      await scheduler.runDue();
      assert.deepEqual([(await jobOf(done.id)).state, (await jobOf(failed.id)).state], ['done', 'failed']);
      const exists = async (id: number) => (await testStore.store.db.selectFrom('jobs').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
      clock.advance(6 * 86_400_000);
      await scheduler.pruneFinished();
      assert.ok(await exists(done.id), 'kept within seven days');
      clock.advance(2 * 86_400_000);
      assert.ok((await scheduler.pruneFinished()) >= 1);
      assert.deepEqual([await exists(done.id), await exists(failed.id), await exists(waiting.id)], [false, true, true]);
      clock.advance(23 * 86_400_000);
      await scheduler.pruneFinished();
      assert.deepEqual([await exists(failed.id), await exists(waiting.id)], [false, true], 'a pending job is never deleted');
    });
  });
}
