/**
 * Durable jobs: work due at a time on the node's clock, kept in the store (table jobs), so that
 * it survives restarts and is shared by every process of a node.
 *
 * - A job runs once. A run that fails is retried after a backoff (by default 1 s doubling to
 *   5 min, with jitter) until its attempts are spent; it is then failed, with its last error.
 * - A job due while no process ran is run as soon as one starts.
 * - A worker holds a lease on each job it runs (locked_by, locked_until) and renews it while the
 *   run lasts. A job whose lease ran out (its worker was killed, or lost the store) is taken by
 *   another worker and run again; only such a job is ever run twice, so handlers should be safe
 *   to run again after an interruption.
 * - On PostgreSQL several processes poll the one table: each claim reads due rows FOR UPDATE
 *   SKIP LOCKED and sets their lease in the same transaction, so exactly one process takes each
 *   job. SQLite has one writer; the lease logic is the same.
 * - A keyed job is one job whatever the number of enqueues (a deadline enqueued twice runs once).
 *   Recurring work is a keyed job whose handler answers when it should run next.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter, Gauge } from 'prom-client';
import type { AppContext } from './context.js';
import * as repo from './jobs.repo.js';
import type { Metrics } from './metrics.js';

export type { JobRow, JobState } from './jobs.repo.js';

/** What the scheduler needs of the node: its store, clock and logger (metrics when there are). */
export type JobsContext = Pick<AppContext, 'store' | 'clock' | 'logger'> & { readonly metrics?: Metrics };

export interface JobSchedulerOptions {
  /** How often the store is asked for due jobs when nothing in this process says sooner (ms). */
  pollMs?: number;
  /** How long a run's lease lasts; it is renewed every third of it while the run goes on (ms). */
  leaseMs?: number;
  /** Names this process in locked_by; unique per process (host, pid and a random part) by default. */
  workerId?: string;
  /** Runs at the same time in this process. */
  concurrency?: number;
}

/** What a handler knows of the run it serves. */
export interface JobRun {
  readonly id: number;
  readonly kind: string;
  readonly key: string | null;
  /** Runs started so far, this one included (1 on a first run). */
  readonly attempts: number;
  readonly dueAt: Date;
}

/** A recurring job answers when it should run next; anything else ends the job (done). */
export type JobResult = void | undefined | { next: Date };

/** The payload is what enqueue was given, read back from JSON: a handler checks its shape. */
export type JobHandler = (payload: unknown, run: JobRun) => Promise<JobResult>;

export interface JobKindOptions {
  /** Runs allowed before the job is failed; null retries for ever. Default 5. */
  maxAttempts?: number | null;
  /** Wait before the next attempt, given the attempts so far (>= 1). */
  backoffMs?: (attempts: number) => number;
  /**
   * Reports a failed run (the kind logs it its own way); without it the scheduler logs it.
   * retryInMs is undefined when the job has failed for good.
   */
  onFailure?: (run: JobRun, error: unknown, retryInMs: number | undefined) => void | Promise<void>;
  /**
   * Runs of this kind at once in one scheduler, at most (default: as many as the scheduler
   * runs). A kind whose runs wait on the outside world (a webhook's receiver) is held below the
   * scheduler's concurrency, so that a backlog of it never takes every place from the node's own
   * work (federation, silence deadlines, response clocks).
   */
  concurrency?: number;
  /**
   * Runs of one group at once in one scheduler: one. A job's group is the part of its key this
   * gives (a prefix of the key; undefined: none), so that a group's backlog (a subscriber's
   * deliveries to a receiver that never answers) holds one of the kind's places, not all of them.
   */
  groupOf?: (key: string) => string | undefined;
}

export interface EnqueueOptions {
  /** When the job is due (default now, on the node's clock). */
  dueAt?: Date;
  /** Names the job: a second enqueue with the same key inserts nothing and answers the first. */
  key?: string;
  /** Overrides the kind's maxAttempts for this job. */
  maxAttempts?: number | null;
  /** A keyed job that has finished (done or failed) is made pending again with this payload. */
  renewFinished?: boolean;
  /**
   * Enqueued by a follower of the store (not a request): waits for a bulk ingest's transaction
   * to commit rather than cut it short (WriteOptions.background in db/adapter.ts).
   */
  background?: boolean;
}

export interface Enqueued {
  id: number;
  /** False when a job with the key already existed (and was left as it was). */
  created: boolean;
  state: repo.JobState;
  dueAt: Date;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
/** Jobs that ended are deleted this long after: done ones, and failed ones (kept longer to be looked into). */
export const JOBS_DONE_KEEP_MS = 7 * 86_400_000;
export const JOBS_FAILED_KEEP_MS = 30 * 86_400_000;
/** How often a scheduler deletes what ended, and how much at once (more waits for the next time). */
const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_SLICE = 1000;
const PRUNE_SLICES = 20;

/** min(maxMs, firstMs * 2^(attempts-1)), spread by +-jitter (a fraction) so retries do not align. */
export function exponentialBackoff(options: { firstMs?: number; maxMs?: number; jitter?: number } = {}): (attempts: number) => number {
  const firstMs = options.firstMs ?? 1000;
  const maxMs = options.maxMs ?? 5 * 60_000;
  const jitter = options.jitter ?? 0.2;
  return (attempts) => Math.min(maxMs, firstMs * 2 ** Math.max(0, attempts - 1)) * (1 - jitter + Math.random() * 2 * jitter);
}

interface Registration {
  handler: JobHandler;
  maxAttempts: number | null;
  backoffMs: (attempts: number) => number;
  onFailure: JobKindOptions['onFailure'];
  concurrency: number | undefined;
  groupOf: JobKindOptions['groupOf'];
}

interface JobMetrics {
  runs: Counter<'kind' | 'outcome'>;
  running: Gauge<'kind'>;
}

function jobMetrics(metrics: Metrics | undefined): JobMetrics | undefined {
  if (!metrics) return undefined;
  const registry = metrics.registry;
  const runs = registry.getSingleMetric('shieldwall_jobs_runs_total');
  const running = registry.getSingleMetric('shieldwall_jobs_running');
  if (runs instanceof Counter && running instanceof Gauge) return { runs: runs as Counter<'kind' | 'outcome'>, running: running as Gauge<'kind'> };
  return {
    runs: new Counter({
      name: 'shieldwall_jobs_runs_total',
      help: 'Runs of durable jobs that ended, by kind and outcome (done, retry, failed, lease_lost), and jobs taken over after a lease ran out (taken_over).',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    running: new Gauge({ name: 'shieldwall_jobs_running', help: 'Durable jobs running now in this process, by kind.', labelNames: ['kind'], registers: [registry] }),
  };
}

function describeError(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown; cause?: { code?: unknown } };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : typeof e?.code === 'string' ? e.code : undefined;
  return `${message}${code && !message.includes(code) ? ` (${code})` : ''}`.slice(0, 2000);
}

export class JobScheduler {
  readonly workerId: string;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly kinds = new Map<string, Registration>();
  /** Runs of this process: job id -> its row as claimed, and the promise of its end. */
  private readonly running = new Map<number, { row: repo.JobRow; done: Promise<void> }>();
  private readonly metrics: JobMetrics | undefined;
  private started = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private heartbeat: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  /** When this scheduler last deleted jobs that ended (ms; 0: not yet). */
  private prunedAt = 0;

  constructor(
    private readonly ctx: JobsContext,
    options: JobSchedulerOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.concurrency = options.concurrency ?? 4;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    if (!(this.pollMs > 0) || !(this.leaseMs > 0) || !(this.concurrency >= 1)) throw new Error('JobScheduler: pollMs and leaseMs must be above 0, concurrency at least 1');
    this.metrics = jobMetrics(ctx.metrics);
  }

  /** Names a handler for a kind of job. This scheduler claims only the kinds registered with it. */
  register(kind: string, handler: JobHandler, options: JobKindOptions = {}): void {
    if (this.kinds.has(kind)) throw new Error(`a handler for jobs of kind '${kind}' is registered already`);
    this.kinds.set(kind, {
      handler,
      maxAttempts: options.maxAttempts === undefined ? DEFAULT_MAX_ATTEMPTS : options.maxAttempts,
      backoffMs: options.backoffMs ?? exponentialBackoff(),
      onFailure: options.onFailure,
      concurrency: options.concurrency,
      groupOf: options.groupOf,
    });
    if (options.concurrency !== undefined && !(options.concurrency >= 1)) throw new Error(`jobs of kind '${kind}': concurrency must be at least 1`);
  }

  /** Stores a job (or, with a key taken, answers the job that holds it). The handler may be registered in another process. */
  async enqueue(kind: string, payload: unknown, options: EnqueueOptions = {}): Promise<Enqueued> {
    const now = this.ctx.clock.now();
    const dueAt = options.dueAt ?? now;
    const json = JSON.stringify(payload ?? null);
    const maxAttempts = options.maxAttempts !== undefined ? options.maxAttempts : (this.kinds.get(kind)?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    const insert = () =>
      repo.insertJob(
        this.ctx.store,
        { kind, key: options.key ?? null, payload: json, dueAt: dueAt.toISOString(), maxAttempts, now: now.toISOString() },
        options.renewFinished ?? false,
      );
    const { row, created } = await (options.background ? this.ctx.store.adapter.background(insert) : insert());
    if (created && this.kinds.has(kind)) this.wake(dueAt.getTime() - now.getTime());
    return { id: row.id, created, state: row.state as repo.JobState, dueAt: new Date(row.due_at) };
  }

  /**
   * Makes keyed jobs due at `at` (default now) if they were due later. A running one runs again
   * at `at` once its run ends, if it is recurring and that run succeeds. `unlessRetrying` leaves
   * alone jobs waiting out a backoff after a failure.
   */
  async runSoon(keys: readonly string[], options: { at?: Date; unlessRetrying?: boolean } = {}): Promise<number> {
    const now = this.ctx.clock.now();
    const at = options.at ?? now;
    const moved = await repo.runSoon(this.ctx.store, keys, at.toISOString(), options.unlessRetrying ?? false);
    if (moved > 0) this.wake(at.getTime() - now.getTime());
    return moved;
  }

  /** Deletes a keyed job that is not running; answers whether there was one. */
  cancel(key: string): Promise<boolean> {
    return repo.cancel(this.ctx.store, key);
  }

  /** Jobs as stored, the most recently changed first (for operators and tests). */
  list(filter: repo.JobFilter = {}): Promise<repo.JobRow[]> {
    return repo.listJobs(this.ctx.store, filter);
  }

  /** Starts polling for due jobs of the registered kinds. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(10, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
    this.wake(0);
  }

  /** Stops polling and waits for the runs under way to end (and be recorded). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.clearTimer();
    await this.polling;
    await Promise.all([...this.running.values()].map((r) => r.done));
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.started = false;
    // Stopped, it polls no more; runDue still runs what is due when asked.
    this.stopping = false;
  }

  /**
   * Claims what is due now and runs it, until nothing more is due; resolves when those runs have
   * ended. For tests (with a manual clock) and one-shot commands; a job that makes itself due at
   * once again is run once per call.
   */
  async runDue(): Promise<number> {
    const seen = new Set<number>();
    for (;;) {
      const free = this.concurrency - this.running.size;
      if (free <= 0) {
        await Promise.race([...this.running.values()].map((r) => r.done));
        continue;
      }
      const runs = await this.claim(free);
      if (runs.length === 0) break;
      const again = runs.some((r) => seen.has(r.id));
      for (const r of runs) seen.add(r.id);
      await Promise.all(runs.map((r) => this.running.get(r.id)?.done));
      if (again) break;
    }
    await Promise.all([...this.running.values()].map((r) => r.done));
    return seen.size;
  }

  /** Polls again within delayMs (at once for 0), unless a poll is set sooner. */
  private wake(delayMs: number): void {
    if (!this.started || this.stopping) return;
    const wait = Math.max(0, Math.min(delayMs, this.pollMs));
    const at = Date.now() + wait;
    if (this.timer && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      void this.poll();
    }, wait);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private poll(): Promise<void> {
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = (async () => {
      let nextInMs: number;
      do {
        this.pollAgain = false;
        try {
          nextInMs = await this.pollOnce();
        } catch (error) {
          this.ctx.logger.warn({ err: error, worker: this.workerId }, 'looking for due jobs failed; trying again');
          nextInMs = this.pollMs;
        }
      } while (this.pollAgain && !this.stopping);
      this.polling = undefined;
      this.wake(nextInMs);
    })();
    return this.polling;
  }

  /** Deletes the jobs that ended long enough ago (see JOBS_DONE_KEEP_MS); answers how many. */
  async pruneFinished(): Promise<number> {
    const now = this.ctx.clock.now().getTime();
    this.prunedAt = now;
    const deleted = await repo.pruneFinished(this.ctx.store, new Date(now - JOBS_DONE_KEEP_MS).toISOString(), new Date(now - JOBS_FAILED_KEEP_MS).toISOString(), PRUNE_SLICE, PRUNE_SLICES);
    if (deleted > 0) this.ctx.logger.debug({ deleted }, 'jobs that ended were deleted');
    return deleted;
  }

  /** Claims and starts what is due; answers when to look again (ms). */
  private async pollOnce(): Promise<number> {
    if (this.stopping || this.kinds.size === 0) return this.pollMs;
    if (this.ctx.clock.now().getTime() - this.prunedAt >= PRUNE_EVERY_MS) {
      try {
        await this.pruneFinished();
      } catch (error) {
        this.ctx.logger.warn({ err: error }, 'deleting jobs that ended failed; trying again later');
      }
    }
    const free = this.concurrency - this.running.size;
    // A run that ends wakes the poller.
    if (free <= 0) return this.pollMs;
    const now = this.ctx.clock.now();
    // A read first: the write transaction of a claim only when something is due.
    const next = await repo.nextDue(this.ctx.store, [...this.kinds.keys()], this.workerId);
    if (next === undefined) return this.pollMs;
    const inMs = Date.parse(next) - now.getTime();
    if (inMs > 0) return inMs;
    const runs = await this.claim(free);
    return runs.length > 0 ? 0 : this.pollMs;
  }

  /** Runs of a kind under way in this scheduler. */
  private runningOf(kind: string): number {
    let count = 0;
    for (const run of this.running.values()) if (run.row.kind === kind) count++;
    return count;
  }

  /**
   * Claims up to `limit` due jobs and starts them: of the kinds without a concurrency of their
   * own first, then of each that has one, within what it has left.
   */
  private async claim(limit: number): Promise<repo.JobRow[]> {
    if (this.kinds.size === 0 || this.stopping) return [];
    const free = [...this.kinds].filter(([, r]) => r.concurrency === undefined).map(([kind]) => kind);
    const runs = free.length > 0 ? await this.claimOf(free, limit) : [];
    for (const [kind, registration] of this.kinds) {
      if (registration.concurrency === undefined) continue;
      const room = Math.min(limit - runs.length, registration.concurrency - this.runningOf(kind));
      if (room <= 0) continue;
      const groupOf = registration.groupOf;
      if (!groupOf) {
        runs.push(...(await this.claimOf([kind], room)));
        continue;
      }
      // One at a time, past the groups running.
      for (let taken = 0; taken < room; taken++) {
        const busy = new Set<string>();
        for (const run of this.running.values()) {
          const group = run.row.kind === kind && run.row.key !== null ? groupOf(run.row.key) : undefined;
          if (group !== undefined) busy.add(group);
        }
        const claimed = await this.claimOf([kind], 1, [...busy]);
        if (claimed.length === 0) break;
        runs.push(...claimed);
      }
    }
    return runs;
  }

  /** Claims up to `limit` due jobs of these kinds (none whose key starts with one of `busyGroups`) and starts them. */
  private async claimOf(kinds: readonly string[], limit: number, busyGroups: readonly string[] = []): Promise<repo.JobRow[]> {
    if (this.stopping) return [];
    const now = this.ctx.clock.now();
    const claimed = await repo.claim(this.ctx.store, kinds, this.workerId, now.toISOString(), new Date(now.getTime() + this.leaseMs).toISOString(), limit, busyGroups);
    for (const row of claimed.failed) {
      this.metrics?.runs.inc({ kind: row.kind, outcome: 'failed' });
      this.ctx.logger.error({ job: row.id, kind: row.kind, key: row.key, attempts: row.attempts, error: row.last_error }, 'job failed for good: its runner stopped on its last attempt');
    }
    if (claimed.takenOver > 0) {
      for (const row of claimed.runs.filter((r) => r.last_error?.startsWith('the lease of'))) {
        this.metrics?.runs.inc({ kind: row.kind, outcome: 'taken_over' });
        this.ctx.logger.warn({ job: row.id, kind: row.kind, key: row.key, attempts: row.attempts, error: row.last_error }, 'job taken over after its lease ran out; running it again');
      }
    }
    for (const row of claimed.runs) this.execute(row);
    return claimed.runs;
  }

  private execute(row: repo.JobRow): void {
    const registration = this.kinds.get(row.kind);
    const done = (async () => {
      this.metrics?.running.inc({ kind: row.kind });
      const run: JobRun = { id: row.id, kind: row.kind, key: row.key, attempts: row.attempts, dueAt: new Date(row.due_at) };
      let ending: repo.Ending;
      let outcome: 'done' | 'retry' | 'failed' | 'lease_lost';
      try {
        if (!registration) throw new Error(`no handler for jobs of kind '${row.kind}'`);
        let payload: unknown;
        try {
          payload = JSON.parse(row.payload);
        } catch (error) {
          throw new Error(`the payload of job ${row.id} is not JSON: ${(error as Error).message}`, { cause: error });
        }
        const result = await registration.handler(payload, run);
        const now = this.ctx.clock.now().toISOString();
        ending = result && result.next instanceof Date ? { kind: 'again', now, next: result.next.toISOString(), claimedDue: row.due_at } : { kind: 'done', now };
        outcome = 'done';
      } catch (error) {
        const now = this.ctx.clock.now();
        const message = describeError(error);
        const spent = row.max_attempts !== null && row.attempts >= row.max_attempts;
        const retryInMs = spent ? undefined : Math.max(0, Math.round(registration?.backoffMs(row.attempts) ?? this.pollMs));
        if (retryInMs === undefined) {
          ending = { kind: 'failed', now: now.toISOString(), error: message };
          outcome = 'failed';
        } else {
          ending = { kind: 'retry', now: now.toISOString(), next: new Date(now.getTime() + retryInMs).toISOString(), error: message };
          outcome = 'retry';
        }
        if (registration?.onFailure) {
          try {
            await registration.onFailure(run, error, retryInMs);
          } catch (failure) {
            this.ctx.logger.error({ err: failure, job: row.id, kind: row.kind }, 'reporting a failed job failed');
          }
        } else if (retryInMs === undefined) {
          this.ctx.logger.error({ job: row.id, kind: row.kind, key: row.key, attempts: row.attempts, error: message }, 'job failed for good');
        } else {
          this.ctx.logger.warn({ job: row.id, kind: row.kind, key: row.key, attempts: row.attempts, retryInMs, error: message }, 'job failed; retrying');
        }
      }
      try {
        const held = await repo.finish(this.ctx.store, row.id, this.workerId, ending);
        if (!held) {
          outcome = 'lease_lost';
          this.ctx.logger.warn({ job: row.id, kind: row.kind, key: row.key, worker: this.workerId }, 'job ended after its lease was taken over; its end is not recorded');
        }
        this.metrics?.runs.inc({ kind: row.kind, outcome });
      } catch (error) {
        // The lease runs out and another run takes the job: it is not lost.
        this.ctx.logger.error({ err: error, job: row.id, kind: row.kind }, 'recording the end of a job failed; it will run again when its lease ends');
      } finally {
        this.metrics?.running.dec({ kind: row.kind });
      }
    })().finally(() => {
      this.running.delete(row.id);
      this.wake(0);
    });
    this.running.set(row.id, { row, done });
  }

  private async renewLeases(): Promise<void> {
    const ids = [...this.running.keys()];
    if (ids.length === 0) return;
    try {
      const until = new Date(this.ctx.clock.now().getTime() + this.leaseMs).toISOString();
      const held = await repo.renewLeases(this.ctx.store, ids, this.workerId, until);
      // Runs that ended meanwhile hold no lease any more; the others should all have had theirs.
      const still = ids.filter((id) => this.running.has(id)).length;
      if (held < still) this.ctx.logger.warn({ worker: this.workerId, running: still, held }, 'some running jobs lost their lease (it ran out before it was renewed)');
    } catch (error) {
      this.ctx.logger.warn({ err: error, worker: this.workerId }, 'renewing job leases failed');
    }
  }
}
