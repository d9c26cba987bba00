/**
 * npm run bench:ingest [-- --objects N] [--no-postgres] [--no-sqlite] [--batch N] [--keep]
 *
 * Generates a synthetic bundle of mixed STIX objects, then measures in the same run:
 *  - the baseline: cutting the same file into objects and JSON.parse of each, nothing else;
 *  - the full ingest pipeline (stream -> parse -> validate -> markings -> batched transactional
 *    writes) into a fresh SQLite file and into a fresh PostgreSQL schema;
 * and prints objects/s, each pipeline's ratio to the baseline, and the peak RSS.
 */
import { createReadStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createContext } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/core/logger.js';
import { openStore, type Store } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { ingestStream, type IngestSummary } from '../src/modules/intel/intel.service.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { StixStreamReader } from '../src/stix/stream-reader.js';
import { writeSyntheticBundle } from '../src/modules/demo/synthetic.js';

const { values: args } = parseArgs({
  options: {
    objects: { type: 'string', default: '1000000' },
    'no-postgres': { type: 'boolean', default: false },
    'no-sqlite': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    batch: { type: 'string' },
    postgres: { type: 'string', default: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const count = Number(args.objects);
if (!Number.isInteger(count) || count < 1) throw new Error(`--objects must be a positive whole number, got '${args.objects}'`);

const workDir = path.join(tmpdir(), `shieldwall-bench-${process.pid}`);
mkdirSync(workDir, { recursive: true });
const bundlePath = path.join(workDir, 'bundle.json');
const log = (line: string) => process.stderr.write(`${line}\n`);
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);

async function baseline(): Promise<number> {
  const started = process.hrtime.bigint();
  const reader = new StixStreamReader({ maxObjectBytes: 8 * 1024 * 1024 });
  let parsed = 0;
  for await (const entry of reader.entries(createReadStream(bundlePath, { highWaterMark: 1024 * 1024 }))) {
    if (entry.kind === 'object' && JSON.parse(entry.text)) parsed++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (parsed !== count) throw new Error(`baseline read ${parsed} objects, expected ${count}`);
  return parsed / seconds;
}

async function pipeline(store: Store, label: string): Promise<IngestSummary> {
  await migrateToLatest(store);
  const config = loadConfig({}, { databaseUrl: store.location, demo: false, logLevel: 'silent', ...(args.batch ? { ingestBatchSize: Number(args.batch) } : {}) });
  const ctx = createContext({ config, store, logger: createLogger('silent') });
  let lastLog = Date.now();
  const summary = await ingestStream(ctx, SYSTEM_PRINCIPAL, createReadStream(bundlePath, { highWaterMark: 1024 * 1024 }), {
    parallel: true,
    onProgress: (p) => {
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log(`  ${label}: ${p.objects} objects`);
      }
    },
  });
  if (summary.accepted !== count) throw new Error(`${label}: ${summary.accepted} of ${count} objects accepted (${summary.rejected} rejected, ${summary.duplicate} duplicate)`);
  return summary;
}

async function main(): Promise<void> {
  log(`generating ${count} synthetic objects into ${bundlePath}`);
  const generated = await writeSyntheticBundle(bundlePath, count, { format: 'bundle' });
  log(`  ${mb(generated.bytes)} MB`);

  const parseRate = await baseline();
  log(`baseline (cut + JSON.parse): ${Math.round(parseRate)} objects/s, peak RSS so far ${mb(peakRss)} MB`);

  let sqliteRate: number | null = null;
  if (!args['no-sqlite']) {
    const sqliteFile = path.join(workDir, 'bench.db');
    const sqlite = openStore(`sqlite:${sqliteFile}`);
    const summary = await pipeline(sqlite, 'sqlite');
    await sqlite.close();
    sqliteRate = summary.objectsPerSecond;
    log(`sqlite: ${Math.round(sqliteRate)} objects/s (${summary.seconds.toFixed(1)} s), store ${mb(statSync(sqliteFile).size)} MB, peak RSS so far ${mb(peakRss)} MB`);
  }

  let postgresRate: number | null = null;
  if (!args['no-postgres']) {
    const schema = `sw_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: args.postgres });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.query(`create schema ${schema}`);
    try {
      const store = openStore(args.postgres, { schema });
      const summary = await pipeline(store, 'postgres');
      await store.close();
      postgresRate = summary.objectsPerSecond;
      log(`postgres: ${Math.round(postgresRate)} objects/s (${summary.seconds.toFixed(1)} s), peak RSS so far ${mb(peakRss)} MB`);
    } finally {
      if (!args.keep) await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    }
  }
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
  if (!args.keep) rmSync(workDir, { recursive: true, force: true });

  const ratio = (rate: number | null) => (rate === null ? 'n/a' : (rate / parseRate).toFixed(3));
  log('');
  log(`| objects | SQLite objects/s | PostgreSQL objects/s | JSON.parse objects/s | SQLite / JSON.parse | PostgreSQL / JSON.parse | peak RSS MB |`);
  const rounded = (rate: number | null) => (rate === null ? 'n/a' : Math.round(rate));
  log(`| ${count} | ${rounded(sqliteRate)} | ${rounded(postgresRate)} | ${Math.round(parseRate)} | ${ratio(sqliteRate)} | ${ratio(postgresRate)} | ${mb(peakRss)} |`);
  process.stdout.write(
    `${JSON.stringify({
      objects: count,
      sqlite_objects_per_s: sqliteRate === null ? null : Math.round(sqliteRate),
      postgres_objects_per_s: postgresRate === null ? null : Math.round(postgresRate),
      json_parse_objects_per_s: Math.round(parseRate),
      peak_rss_mb: mb(peakRss),
    })}\n`,
  );
}

await main();
