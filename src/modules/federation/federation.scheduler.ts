/**
 * Runs federation in a serving node: every enabled peer with a TAXII URL is pulled on its interval and
 * pushed to on its interval and within moments of new intelligence (intel.added). Each peer and
 * direction is one durable job (core/jobs.ts, keyed federation.pull:<peer> / federation.push:<peer>)
 * that makes itself due again one interval after each run: a restart resumes them, on PostgreSQL
 * exactly one process runs each, and jobs run side by side, so a dead or slow peer delays nobody
 * else. Failures back off exponentially (1 s doubling to 5 min, with jitter) and are recorded in the
 * peer's state.
 */
import type { AppContext } from '../../core/context.js';
import { exponentialBackoff, JobScheduler, type JobRun } from '../../core/jobs.js';
import * as service from './federation.service.js';

/** How long a push waits after new intelligence, to send what arrives together in one request. */
const PUSH_DELAY_MS = 20;
/** How often the list of peers is read again (peers added by CLI or REST start within this). */
const REFRESH_MS = 30_000;
/**
 * A run's lease, renewed every third of it while the run lasts: a process killed mid-run leaves
 * its peer's job to the next process (or the restarted one) this long after its last renewal.
 */
const LEASE_MS = 15_000;
/** How often the store is read for jobs made due by another process. */
const POLL_MS = 1000;
/** Pulls and pushes running at once in one process. */
const CONCURRENCY = 32;

const DIRECTIONS = ['pull', 'push'] as const;
type Direction = (typeof DIRECTIONS)[number];

const kindOf = (direction: Direction) => `federation.${direction}`;
const keyOf = (direction: Direction, peer: string) => `${kindOf(direction)}:${peer}`;

function peerOf(payload: unknown): string {
  const peer = (payload as { peer?: unknown } | null)?.peer;
  if (typeof peer !== 'string' || peer === '') throw new Error(`a federation job without a peer: ${JSON.stringify(payload)}`);
  return peer;
}

export class FederationScheduler {
  private readonly jobs: JobScheduler;
  /** The keys of the push jobs of the peers found at the last refresh. */
  private pushKeys: string[] = [];
  private kickTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private started = false;

  constructor(private readonly ctx: AppContext) {
    this.jobs = new JobScheduler(ctx, { pollMs: POLL_MS, leaseMs: LEASE_MS, concurrency: CONCURRENCY });
    for (const direction of DIRECTIONS) {
      this.jobs.register(kindOf(direction), (payload) => this.sync(direction, peerOf(payload)), {
        maxAttempts: null,
        backoffMs: exponentialBackoff({ firstMs: 1000, maxMs: 5 * 60_000 }),
        onFailure: (run, error, retryInMs) => this.failed(direction, run, error, retryInMs),
      });
    }
  }

  async start(): Promise<void> {
    this.started = true;
    this.unsubscribe = this.ctx.bus.subscribe('intel.added', () => this.kick());
    await this.refresh();
    this.jobs.start();
    this.refreshTimer = setInterval(() => void this.refresh().catch((error) => this.ctx.logger.error({ err: error }, 'reading the peers failed')), REFRESH_MS);
    this.refreshTimer.unref();
  }

  /** Enqueues the jobs of new peers, cancels those of peers gone or no longer syncing. */
  async refresh(): Promise<void> {
    if (!this.started) return;
    const wanted = new Map<string, { peer: string; direction: Direction; intervalS: number }>();
    for (const peer of await service.scheduledPeers(this.ctx)) {
      for (const direction of DIRECTIONS) {
        if (peer.direction === direction || peer.direction === 'both') wanted.set(keyOf(direction, peer.name), { peer: peer.name, direction, intervalS: peer.intervalSeconds });
      }
    }
    for (const job of await this.jobs.list({ kinds: DIRECTIONS.map(kindOf), limit: 100_000 })) {
      if (job.key !== null && !wanted.has(job.key)) await this.jobs.cancel(job.key);
    }
    for (const [key, want] of wanted) {
      // Enqueued once per peer and direction: a job already there (due, running, backing off) stays as it is.
      const job = await this.jobs.enqueue(kindOf(want.direction), { peer: want.peer }, { key, renewFinished: true });
      if (job.created) this.ctx.logger.info({ peer: want.peer, direction: want.direction, intervalS: want.intervalS }, 'federation with a peer started');
    }
    this.pushKeys = [...wanted.keys()].filter((key) => key.startsWith(`${kindOf('push')}:`));
  }

  async stop(): Promise<void> {
    this.started = false;
    this.unsubscribe?.();
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.kickTimer) clearTimeout(this.kickTimer);
    this.kickTimer = undefined;
    await this.jobs.stop();
    await service.closeClients(this.ctx);
  }

  /**
   * New intelligence: the push jobs become due PUSH_DELAY_MS from now (what arrives meanwhile goes
   * in the same request), unless a peer is backing off after failures; one running now runs again.
   */
  private kick(): void {
    if (!this.started || this.kickTimer || this.pushKeys.length === 0) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      if (!this.started) return;
      this.jobs.runSoon(this.pushKeys, { unlessRetrying: true }).catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'making the pushes to peers due failed'));
    }, PUSH_DELAY_MS);
    this.kickTimer.unref();
  }

  /** One pull or push; then the job is due again one interval (read now: edits apply) later. */
  private async sync(direction: Direction, name: string): Promise<{ next: Date } | undefined> {
    const peer = (await service.scheduledPeers(this.ctx)).find((p) => p.name === name && (p.direction === direction || p.direction === 'both'));
    // Removed, disabled or no longer syncing this way: the job ends (refresh deletes it).
    if (!peer) return undefined;
    if (direction === 'pull') await service.pull(this.ctx, name);
    else await service.push(this.ctx, name);
    return { next: new Date(this.ctx.clock.now().getTime() + peer.intervalSeconds * 1000) };
  }

  private async failed(direction: Direction, run: JobRun, error: unknown, retryInMs: number | undefined): Promise<void> {
    const peer = (run.key ?? '').slice(kindOf(direction).length + 1);
    this.ctx.logger.warn({ peer, direction, failures: run.attempts, retryInMs, error: service.describe(error) }, 'federation with a peer failed; retrying');
    await service.recordFailure(this.ctx, peer, error).catch(() => undefined);
  }
}
