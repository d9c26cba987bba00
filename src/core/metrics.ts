import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so that several apps in one process (tests) do not collide. */
export interface Metrics {
  readonly registry: Registry;
  readonly ingestObjects: Counter<'outcome'>;
  readonly httpRequestSeconds: Histogram<'method' | 'route' | 'status'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'shieldwall_' });
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
  };
}
