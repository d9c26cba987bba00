/**
 * Runs federation in a serving node: every enabled peer with a TAXII URL is pulled on its interval and
 * pushed to on its interval and within moments of new intelligence (intel.added). Each peer and
 * direction has its own loop, so a dead or slow peer delays nobody else; failures back off
 * exponentially (1 s doubling to 5 min, with jitter) and are recorded in the peer's state.
 */
import type { AppContext } from '../../core/context.js';
import * as service from './federation.service.js';

/** How long a push waits after new intelligence, to send what arrives together in one request. */
const PUSH_DELAY_MS = 20;
const MAX_BACKOFF_MS = 5 * 60_000;
/** How often the list of peers is read again (peers added by CLI or REST start within this). */
const REFRESH_MS = 30_000;

class Loop {
  private timer: NodeJS.Timeout | undefined;
  private active: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private backoffUntil = 0;
  private stopped = false;

  constructor(
    private readonly ctx: AppContext,
    readonly peer: string,
    readonly kind: 'pull' | 'push',
    public intervalMs: number,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Run soon (new intelligence), unless the peer is backing off after failures. */
  kick(): void {
    if (this.stopped || Date.now() < this.backoffUntil) return;
    if (this.active) this.again = true;
    else this.schedule(PUSH_DELAY_MS);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.active || this.stopped) return;
    this.active = (async () => {
      try {
        if (this.kind === 'pull') await service.pull(this.ctx, this.peer);
        else await service.push(this.ctx, this.peer);
        this.failures = 0;
        this.backoffUntil = 0;
      } catch (error) {
        this.failures++;
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1)) * (0.8 + Math.random() * 0.4);
        this.backoffUntil = Date.now() + backoff;
        this.ctx.logger.warn({ peer: this.peer, direction: this.kind, failures: this.failures, retryInMs: Math.round(backoff), error: service.describe(error) }, 'federation with a peer failed; retrying');
        await service.recordFailure(this.ctx, this.peer, error).catch(() => undefined);
      }
    })();
    await this.active;
    this.active = undefined;
    if (this.again && this.failures === 0) {
      this.again = false;
      this.schedule(PUSH_DELAY_MS);
    } else this.schedule(this.failures > 0 ? Math.max(0, this.backoffUntil - Date.now()) : this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.active;
  }
}

export class FederationScheduler {
  private readonly loops = new Map<string, Loop>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private started = false;

  constructor(private readonly ctx: AppContext) {}

  async start(): Promise<void> {
    this.started = true;
    this.unsubscribe = this.ctx.bus.subscribe('intel.added', () => {
      for (const loop of this.loops.values()) if (loop.kind === 'push') loop.kick();
    });
    await this.refresh();
    this.refreshTimer = setInterval(() => void this.refresh().catch((error) => this.ctx.logger.error({ err: error }, 'reading the peers failed')), REFRESH_MS);
    this.refreshTimer.unref();
  }

  /** Starts loops for new peers, stops those of peers gone or no longer syncing. */
  async refresh(): Promise<void> {
    if (!this.started) return;
    const wanted = new Map<string, { peer: string; kind: 'pull' | 'push'; intervalMs: number }>();
    for (const peer of await service.scheduledPeers(this.ctx)) {
      const intervalMs = peer.intervalSeconds * 1000;
      if (peer.direction === 'pull' || peer.direction === 'both') wanted.set(`${peer.name}:pull`, { peer: peer.name, kind: 'pull', intervalMs });
      if (peer.direction === 'push' || peer.direction === 'both') wanted.set(`${peer.name}:push`, { peer: peer.name, kind: 'push', intervalMs });
    }
    for (const [key, loop] of this.loops) {
      if (!wanted.has(key)) {
        this.loops.delete(key);
        await loop.stop();
      }
    }
    for (const [key, want] of wanted) {
      const existing = this.loops.get(key);
      if (existing) existing.intervalMs = want.intervalMs;
      else {
        const loop = new Loop(this.ctx, want.peer, want.kind, want.intervalMs);
        this.loops.set(key, loop);
        loop.start();
        this.ctx.logger.info({ peer: want.peer, direction: want.kind, intervalS: want.intervalMs / 1000 }, 'federation with a peer started');
      }
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    this.unsubscribe?.();
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await Promise.all([...this.loops.values()].map((l) => l.stop()));
    this.loops.clear();
    await service.closeClients(this.ctx);
  }
}
