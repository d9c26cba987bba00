/**
 * A process that runs durable jobs of one kind on a store, for test/jobs.postgres.test.ts. Each
 * run is recorded in the table job_runs (kind, n, worker, at) that the test creates; with
 * JOBS_HANG=1, a job whose payload says hang never ends (the test kills the process then).
 *
 * Environment: JOBS_STORE_URL, JOBS_KIND, JOBS_WORKER, JOBS_LEASE_MS, JOBS_CONCURRENCY,
 * JOBS_POLL_MS, JOBS_HANG. Prints {"ready":worker} once polling, and stops on SIGTERM.
 */
import { sql } from 'kysely';
import { pino } from 'pino';
import { systemClock } from '../../src/core/clock.js';
import { JobScheduler } from '../../src/core/jobs.js';
import { openStore } from '../../src/db/database.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const store = openStore(required('JOBS_STORE_URL'));
const worker = `${required('JOBS_WORKER')}:${process.pid}`;
const hang = process.env.JOBS_HANG === '1';
const logger = pino({ level: 'warn' }, pino.destination(2));
const scheduler = new JobScheduler(
  { store, clock: systemClock, logger },
  { workerId: worker, leaseMs: Number(required('JOBS_LEASE_MS')), concurrency: Number(required('JOBS_CONCURRENCY')), pollMs: Number(required('JOBS_POLL_MS')) },
);

const kind = required('JOBS_KIND');
scheduler.register(kind, async (payload) => {
  const { n, hang: hangs } = payload as { n: number; hang?: boolean };
  await sql`insert into job_runs (kind, n, worker, at) values (${kind}, ${n}, ${worker}, ${new Date().toISOString()})`.execute(store.db);
  if (hang && hangs) await new Promise<never>(() => undefined);
});

// The scheduler's timers do not hold a process open; a worker process is held open until told to stop.
const keepAlive = setInterval(() => undefined, 1 << 30);
process.on('SIGTERM', () => {
  void (async () => {
    clearInterval(keepAlive);
    await scheduler.stop();
    await store.close();
    process.exit(0);
  })();
});

scheduler.start();
process.stdout.write(`${JSON.stringify({ ready: worker })}\n`);
