import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The node's Prometheus metrics, one registry per app instance so that several apps in one
 * process (tests) do not collide. To add one: a field here (grouped by capability), its
 * construction in createMetrics with `registers: [registry]`, and a row in the metrics table of
 * docs/OPERATIONS.md (metrics.test.ts fails on a metric missing there). Values that are state
 * rather than events (sizes, queue depths) are gauges the owner sets, or a `collect` callback
 * given with `observe*` below once the owner exists.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly ingestObjects: Counter<'outcome'>;
  readonly httpRequestSeconds: Histogram<'method' | 'route' | 'status'>;
  /** Connections closed because nothing went either way for SHIELDWALL_HTTP_IDLE_MS. */
  readonly httpIdleClosed: Counter;
  /** 1 while the store answers, 0 from a lost connection until a probe answers again. */
  readonly storeAvailable: Gauge;
  /** Times the store was reached again after a loss. */
  readonly storeReconnects: Counter;
  /** Audit entries written, by area (the first part of the action: intel, directory, auth, ...). */
  readonly auditWrites: Counter<'area'>;
  /** Sign-ins refused, by reason. */
  readonly signInRefusals: Counter<'reason'>;
  /** Log events read by bulk matches, and the matches reported to their readers. */
  readonly detectEvents: Counter;
  readonly detectMatches: Counter;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'shieldwall_' });
  const storeAvailable = new Gauge({ name: 'shieldwall_store_available', help: '1 while the store answers; 0 from a lost connection until it answers again.', registers: [registry] });
  storeAvailable.set(1);
  return {
    registry,
    ingestObjects: new Counter({
      name: 'shieldwall_ingest_objects_total',
      help: 'STIX objects processed by the ingest pipeline, by outcome.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    httpRequestSeconds: new Histogram({
      name: 'shieldwall_http_request_duration_seconds',
      help: 'HTTP request duration by route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    httpIdleClosed: new Counter({
      name: 'shieldwall_http_idle_closed_total',
      help: 'Connections with a request in progress closed because nothing arrived over them and nothing of the answer was taken for SHIELDWALL_HTTP_IDLE_MS.',
      registers: [registry],
    }),
    storeAvailable,
    storeReconnects: new Counter({ name: 'shieldwall_store_reconnects_total', help: 'Times the store was reached again after its connection was lost.', registers: [registry] }),
    auditWrites: new Counter({ name: 'shieldwall_audit_writes_total', help: 'Audit log entries written, by area of the action (intel, directory, auth, ...).', labelNames: ['area'], registers: [registry] }),
    signInRefusals: new Counter({ name: 'shieldwall_sign_in_refusals_total', help: 'Sign-ins refused, by reason.', labelNames: ['reason'], registers: [registry] }),
    detectEvents: new Counter({ name: 'shieldwall_detect_events_total', help: 'Log events read by bulk matches.', registers: [registry] }),
    detectMatches: new Counter({ name: 'shieldwall_detect_matches_total', help: 'Matches of log events with indicators reported by bulk matches.', registers: [registry] }),
  };
}

/** PostgreSQL pool state, read as /metrics is scraped. */
export interface PoolState {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** Gauges of the store's connection pool (PostgreSQL; SQLite has no pool). */
export function observeStorePool(metrics: Metrics, pool: PoolState): void {
  observeGauge(metrics, 'shieldwall_store_pool_connections', 'Connections the PostgreSQL pool holds (in use and idle).', () => pool.totalCount);
  observeGauge(metrics, 'shieldwall_store_pool_idle', 'Idle connections of the PostgreSQL pool.', () => pool.idleCount);
  observeGauge(metrics, 'shieldwall_store_pool_waiting', 'Queries waiting for a connection of the PostgreSQL pool.', () => pool.waitingCount);
}

/** What the embedded store's checkpoint thread did (db/sqlite/checkpointer.ts), read as /metrics is scraped. */
export function observeStoreCheckpoints(metrics: Metrics, stats: { readonly runs: number; readonly failures: number }): void {
  new Counter({
    name: 'shieldwall_store_checkpoints_total',
    help: 'Checkpoints of the SQLite write-ahead log run on the checkpoint thread, by outcome (done, failed).',
    labelNames: ['outcome'],
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc({ outcome: 'done' }, stats.runs);
      this.inc({ outcome: 'failed' }, stats.failures);
    },
  });
}

/** A gauge whose value is read from its owner as /metrics is scraped. */
export function observeGauge(metrics: Metrics, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [metrics.registry],
    collect() {
      this.set(read());
    },
  });
}
