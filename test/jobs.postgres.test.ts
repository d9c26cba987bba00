/**
 * Durable jobs shared by separate OS processes on one PostgreSQL schema (test/support/jobs-worker.ts):
 * exactly one process takes each job, and the jobs of a process killed mid-run are run again by
 * another once their lease ends, while the jobs it finished are never run again.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { pino } from 'pino';
import { systemClock } from '../src/core/clock.js';
import { JobScheduler } from '../src/core/jobs.js';
import { createTestStore, dialectSkip, type TestStore } from './support/dialects.js';
import { REPO_ROOT } from './support/paths.js';
import { lastLines, SUITE_LIMIT_MS, until, waitFor } from './support/wait.js';

const WORKER = path.join(REPO_ROOT, 'test/support/jobs-worker.ts');

interface Worker {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('durable jobs across processes (postgres)', { skip: await dialectSkip('postgres'), timeout: SUITE_LIMIT_MS }, () => {
  let testStore: TestStore;
  const workers: Worker[] = [];
  const scheduler = () => new JobScheduler({ store: testStore.store, clock: systemClock, logger: pino({ level: 'silent' }) });
  const context = () => workers.map((w) => `--- ${w.name}\n${lastLines(w.output(), 20)}`).join('\n');

  /** Starts a worker process and waits until it says it polls. */
  async function startWorker(name: string, env: Record<string, string>): Promise<Worker> {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', JOBS_STORE_URL: testStore.url, JOBS_WORKER: name, JOBS_POLL_MS: '20', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const worker = { name, child, output: () => output, exited };
    workers.push(worker);
    let gone = false;
    void exited.then(() => (gone = true));
    await until(`worker ${name} ready`, () => (gone ? assert.fail(`worker ${name} exited:\n${lastLines(output)}`) : output.includes('"ready"') ? undefined : 'not yet'), { context });
    return worker;
  }

  async function stopWorker(worker: Worker): Promise<void> {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
    await worker.exited;
  }

  const runs = async (kind: string) =>
    (await sql<{ n: number; worker: string; at: string }>`select n, worker, at from job_runs where kind = ${kind} order by at`.execute(testStore.store.db)).rows;
  const jobsOf = (kind: string) => testStore.store.db.selectFrom('jobs').selectAll().where('kind', '=', kind).orderBy('id').execute();

  before(async () => {
    testStore = await createTestStore('postgres');
    await sql`create table job_runs (kind text not null, n integer not null, worker text not null, at text not null)`.execute(testStore.store.db);
  });
  after(async () => {
    for (const worker of workers) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await testStore?.cleanup();
  });

  it('two processes, 1,000 jobs: each runs exactly once', async (t) => {
    const kind = 'test.thousand';
    const env = { JOBS_KIND: kind, JOBS_LEASE_MS: '30000', JOBS_CONCURRENCY: '8' };
    const pair = await Promise.all([startWorker('one', env), startWorker('two', env)]);
    const started = Date.now();
    const enqueuer = scheduler();
    for (let n = 0; n < 1000; n++) await enqueuer.enqueue(kind, { n });
    await until(
      'every job done',
      async () => {
        const { count } = await testStore.store.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('count')).where('kind', '=', kind).where('state', '=', 'done').executeTakeFirstOrThrow();
        return Number(count) === 1000 ? undefined : `${count} of 1000 done`;
      },
      { context },
    );
    t.diagnostic(`1,000 jobs enqueued and run by two processes in ${Date.now() - started} ms`);
    await Promise.all(pair.map(stopWorker));
    const recorded = await runs(kind);
    assert.equal(recorded.length, 1000, 'one run recorded per job');
    assert.equal(new Set(recorded.map((r) => r.n)).size, 1000);
    const byWorker = new Map<string, number>();
    for (const r of recorded) byWorker.set(r.worker.split(':')[0]!, (byWorker.get(r.worker.split(':')[0]!) ?? 0) + 1);
    t.diagnostic(`runs by process: ${JSON.stringify(Object.fromEntries(byWorker))}`);
    assert.ok((byWorker.get('one') ?? 0) > 0 && (byWorker.get('two') ?? 0) > 0, `both processes took jobs: ${JSON.stringify(Object.fromEntries(byWorker))}`);
    const jobs = await jobsOf(kind);
    assert.deepEqual([...new Set(jobs.map((j) => `${j.state}/${j.attempts}`))], ['done/1']);
  });

  it('a process killed mid-run: once its lease ends the other reruns only its unfinished jobs', async () => {
    const kind = 'test.killed';
    const leaseMs = 3000;
    const env = { JOBS_KIND: kind, JOBS_LEASE_MS: String(leaseMs), JOBS_CONCURRENCY: '8' };
    const hanging = new Set([3, 9, 14, 20]);
    const enqueuer = scheduler();
    const doomed = await startWorker('doomed', { ...env, JOBS_HANG: '1' });
    for (let n = 0; n < 24; n++) await enqueuer.enqueue(kind, { n, hang: hanging.has(n) });
    // The doomed process finishes the others, and is inside the four hanging jobs.
    await until(
      'the doomed process inside the hanging jobs, the others done',
      async () => {
        const jobs = await jobsOf(kind);
        const done = jobs.filter((j) => j.state === 'done').length;
        const held = jobs.filter((j) => j.state === 'running' && j.locked_by?.startsWith('doomed:')).length;
        return done === 20 && held === 4 ? undefined : `${done} done, ${held} running under the doomed process`;
      },
      { context },
    );
    const survivor = await startWorker('survivor', env);
    // While the doomed process lives it renews its leases: past the end of the first ones, the
    // survivor still has taken nothing.
    const firstLeaseEnd = Math.max(...(await jobsOf(kind)).filter((j) => j.state === 'running').map((j) => Date.parse(j.locked_until!)));
    await waitFor('the first leases to be past', () => Date.now() > firstLeaseEnd + 200, { context });
    const live = await jobsOf(kind);
    assert.deepEqual(live.filter((j) => j.state === 'running').map((j) => j.locked_by?.split(':')[0]), ['doomed', 'doomed', 'doomed', 'doomed']);
    assert.ok(live.filter((j) => j.state === 'running').every((j) => Date.parse(j.locked_until!) > firstLeaseEnd), 'the leases were renewed');
    assert.equal((await runs(kind)).filter((r) => r.worker.startsWith('survivor:')).length, 0);

    doomed.child.kill('SIGKILL');
    assert.equal((await doomed.exited).signal, 'SIGKILL');
    const leaseEnds = new Map((await jobsOf(kind)).filter((j) => j.state === 'running').map((j) => [JSON.parse(j.payload).n as number, Date.parse(j.locked_until!)]));
    assert.deepEqual([...leaseEnds.keys()].sort((a, b) => a - b), [...hanging]);
    await until(
      'every job done',
      async () => {
        const jobs = await jobsOf(kind);
        const done = jobs.filter((j) => j.state === 'done').length;
        return done === 24 ? undefined : `${done} of 24 done`;
      },
      { context },
    );
    await stopWorker(survivor);

    const recorded = await runs(kind);
    for (let n = 0; n < 24; n++) {
      const of = recorded.filter((r) => r.n === n).map((r) => r.worker.split(':')[0]);
      assert.deepEqual(of, hanging.has(n) ? ['doomed', 'survivor'] : ['doomed'], `runs of job ${n}`);
    }
    for (const r of recorded.filter((r) => r.worker.startsWith('survivor:'))) {
      assert.ok(Date.parse(r.at) >= leaseEnds.get(r.n)!, `job ${r.n} ran again at ${r.at}, before its lease ended at ${new Date(leaseEnds.get(r.n)!).toISOString()}`);
    }
    for (const job of await jobsOf(kind)) {
      const n = JSON.parse(job.payload).n as number;
      assert.equal(job.attempts, hanging.has(n) ? 2 : 1, `attempts of job ${n}`);
      if (hanging.has(n)) assert.match(job.last_error ?? '', /the lease of doomed:\d+ ended/);
    }
  });
});
