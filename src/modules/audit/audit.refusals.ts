/**
 * Refusals (401, 403, reads denied, rate-limited requests) counted in memory per source, actor
 * and kind, and written as one audit entry each per interval, all in one write transaction: a
 * flood of bad tokens costs a counter increment per request, not a write. Memory is bounded: at
 * most `maxSources` counters, the rest counted together in one overflow entry.
 */
import type { Principal } from '../../policy/principal.js';

export interface RefusalEvent {
  action: string;
  subject: string;
  detail?: Record<string, unknown>;
}

interface Tally {
  actor: Principal | undefined;
  source: string;
  action: string;
  count: number;
  firstAt: string;
  lastAt: string;
  subjects: string[];
  /** The detail of the first refusal of the interval. */
  sample: Record<string, unknown> | undefined;
}

interface Overflow {
  count: number;
  firstAt: string;
  lastAt: string;
  sources: Set<string>;
  actions: Set<string>;
}

export interface RefusalRecord {
  actor: Principal | undefined;
  event: RefusalEvent;
}

const SUBJECT_SAMPLE = 5;
const SUBJECT_CHARS = 200;
const OVERFLOW_ACTIONS = 10;
/** Distinct sources remembered in the overflow (to count them); beyond, the count is a lower bound. */
const OVERFLOW_SOURCES = 10_000;

export class RefusalTally {
  private tallies = new Map<string, Tally>();
  private overflow: Overflow | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      intervalMs: number;
      maxSources: number;
      now: () => Date;
      actorName: (actor: Principal | undefined) => string;
      write: (records: RefusalRecord[]) => Promise<void>;
      onError: (error: unknown) => void;
    },
  ) {}

  add(actor: Principal | undefined, source: string, event: RefusalEvent): void {
    const at = this.options.now().toISOString();
    const key = `${source}\u0000${this.options.actorName(actor)}\u0000${event.action}`;
    const tally = this.tallies.get(key);
    if (tally) {
      tally.count++;
      tally.lastAt = at;
      if (tally.subjects.length < SUBJECT_SAMPLE && !tally.subjects.includes(event.subject.slice(0, SUBJECT_CHARS))) tally.subjects.push(event.subject.slice(0, SUBJECT_CHARS));
    } else if (this.tallies.size < this.options.maxSources) {
      this.tallies.set(key, { actor, source, action: event.action, count: 1, firstAt: at, lastAt: at, subjects: [event.subject.slice(0, SUBJECT_CHARS)], sample: event.detail });
    } else {
      const overflow = (this.overflow ??= { count: 0, firstAt: at, lastAt: at, sources: new Set(), actions: new Set() });
      overflow.count++;
      overflow.lastAt = at;
      if (overflow.sources.size < OVERFLOW_SOURCES) overflow.sources.add(key);
      if (overflow.actions.size < OVERFLOW_ACTIONS) overflow.actions.add(event.action);
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.options.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes what was counted since the last flush (one entry per tally, one transaction). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const records = this.take();
    const run = this.flushing.then(async () => {
      if (records.length === 0) return;
      try {
        await this.options.write(records);
      } catch (error) {
        this.options.onError(error);
      }
    });
    this.flushing = run;
    return run;
  }

  private take(): RefusalRecord[] {
    const records: RefusalRecord[] = [...this.tallies.values()].map((t) => ({
      actor: t.actor,
      event: {
        action: t.action,
        subject: t.subjects[0]!,
        detail: { source: t.source, count: t.count, first_at: t.firstAt, last_at: t.lastAt, subjects: t.subjects, ...(t.sample ? { sample: t.sample } : {}) },
      },
    }));
    const overflow = this.overflow;
    if (overflow) {
      records.push({
        actor: undefined,
        event: {
          action: 'audit.refusals.overflow',
          subject: 'refusals from sources beyond SHIELDWALL_AUDIT_REFUSAL_SOURCES',
          detail: { count: overflow.count, sources: overflow.sources.size, ...(overflow.sources.size >= OVERFLOW_SOURCES ? { sources_at_least: true } : {}), first_at: overflow.firstAt, last_at: overflow.lastAt, actions: [...overflow.actions] },
        },
      });
    }
    this.tallies = new Map();
    this.overflow = undefined;
    return records;
  }
}
