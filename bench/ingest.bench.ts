/**
 * npm run bench:ingest [-- --objects N] [--no-postgres] [--no-sqlite] [--no-remote] [--batch N] [--keep]
 *
 * Generates a synthetic bundle of mixed STIX objects, then measures in the same run:
 *  - the baseline: cutting the same file into objects and JSON.parse of each, nothing else;
 *  - the full ingest pipeline (stream -> parse -> validate -> markings -> batched transactional
 *    writes) into a fresh SQLite file and into a fresh PostgreSQL schema, in this process, as
 *    `shieldwall ingest FILE` runs it;
 *  - remote ingest: `shieldwall ingest FILE --url URL --token T` (a separate process) into a
 *    node (`shieldwall serve`, another process, with a fresh SQLite store) as a user of a
 *    member cleared to TOP SECRET; meanwhile GET /healthz is asked of the node one request after
 *    another (5 ms apart), and the p50, p99 and longest of its answers say how long the ingest
 *    keeps the node's other requests waiting; after it, how long the node's followers (the
 *    assessment waits for bulk streams) take to catch up, and the node's CPU with theirs;
 *  - local ingest as a user runs it: `shieldwall ingest FILE` (a separate process, the same
 *    program and flags, into a fresh SQLite store of its own), right before the remote ingest
 *    and right after it. The remote rate is compared with their mean (`remote_to_local`: the
 *    like-for-like ratio, the two commands a user chooses between, measured around it so that
 *    the machine's drift weighs on both sides) and with the SQLite pipeline of this process
 *    (`remote_to_sqlite`);
 * and prints objects/s, the ratios, the CPU time per object (all threads of the processes that
 * do the work: a loaded machine weighs far less on it than on objects per second) and the peak
 * RSS of this process. The program measured is the compiled one (bench/program.ts). Last line:
 * every figure as one JSON object.
 */
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { closeSync, createReadStream, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type * as App from '../src/app.js';
import type * as Config from '../src/config/config.js';
import type * as Logger from '../src/core/logger.js';
import type * as Database from '../src/db/database.js';
import type * as Modules from '../src/modules/index.js';
import type * as Audit from '../src/modules/audit/audit.service.js';
import type * as Synthetic from '../src/modules/demo/synthetic.js';
import type * as Intel from '../src/modules/intel/intel.service.js';
import type * as Principal from '../src/policy/principal.js';
import type * as Reader from '../src/stix/stream-reader.js';
import { BIN, BIN_NODE_FLAGS, runCli, startNodeProcess } from '../test/support/process.js';
import { REPO_ROOT } from '../test/support/paths.js';
import { program } from './program.js';
import { benchArgs, usageError } from './args.js';
import { ascending, percentile } from './stats.js';

const { createContext } = await program<typeof App>('app');
const { closeAudit } = await program<typeof Audit>('modules/audit/audit.service');
const { loadConfig } = await program<typeof Config>('config/config');
const { createLogger } = await program<typeof Logger>('core/logger');
const { openStore } = await program<typeof Database>('db/database');
const { migrateStore } = await program<typeof Modules>('modules/index');
const { writeSyntheticBundle } = await program<typeof Synthetic>('modules/demo/synthetic');
const { ingestStream } = await program<typeof Intel>('modules/intel/intel.service');
const { SYSTEM_PRINCIPAL } = await program<typeof Principal>('policy/principal');
const { StixStreamReader } = await program<typeof Reader>('stix/stream-reader');

const { values: args } = benchArgs(import.meta.url, {
  objects: { type: 'string', default: '1000000' },
  'no-postgres': { type: 'boolean', default: false },
  'no-sqlite': { type: 'boolean', default: false },
  'no-remote': { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
  batch: { type: 'string' },
  postgres: { type: 'string', default: process.env.SHIELDWALL_TEST_PG ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
});
const count = Number(args.objects);
if (!Number.isInteger(count) || count < 1) usageError(`--objects must be a positive whole number, got '${args.objects}'`);

const workDir = path.join(tmpdir(), `shieldwall-bench-${process.pid}`);
mkdirSync(workDir, { recursive: true });
const bundlePath = path.join(workDir, 'bundle.json');
const log = (line: string) => process.stderr.write(`${line}\n`);
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);

/** CPU time (user and system, all threads) a process has used, in microseconds, from /proc; undefined elsewhere. */
function cpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return undefined;
  }
}

/** CPU µs per object of this process (its main thread, its worker threads and its GC threads) while `work` runs. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; cpuUsPerObject: number }> {
  const before = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(before);
  return { result, cpuUsPerObject: (used.user + used.system) / count };
}

const round2 = (n: number | null | undefined) => (n === null || n === undefined ? null : Number(n.toFixed(2)));
const round1 = (n: number | null) => (n === null ? null : Number(n.toFixed(1)));
const ms = (n: number | null) => (n === null ? 'n/a' : n.toFixed(1));

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

async function pipeline(store: Database.Store, label: string): Promise<{ summary: Intel.IngestSummary; cpuUsPerObject: number }> {
  await migrateStore(store);
  const config = loadConfig({}, { databaseUrl: store.location, demo: false, logLevel: 'silent', ...(args.batch ? { ingestBatchSize: Number(args.batch) } : {}) });
  const ctx = createContext({ config, store, logger: createLogger('silent') });
  let lastLog = Date.now();
  const { result: summary, cpuUsPerObject } = await measured(() =>
    ingestStream(ctx, SYSTEM_PRINCIPAL, createReadStream(bundlePath, { highWaterMark: 1024 * 1024 }), {
      parallel: true,
      onProgress: (p) => {
        if (Date.now() - lastLog > 5000) {
          lastLog = Date.now();
          log(`  ${label}: ${p.objects} objects`);
        }
      },
    }),
  );
  if (summary.accepted !== count) throw new Error(`${label}: ${summary.accepted} of ${count} objects accepted (${summary.rejected} rejected, ${summary.duplicate} duplicate)`);
  await closeAudit(ctx);
  return { summary, cpuUsPerObject };
}

/** Latencies of GET /healthz asked one after another, 5 ms apart, until `stop` (in ms). */
function probeHealth(url: string): { stop: () => Promise<number[]> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let stopping = false;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const request = http.get(`${url}/healthz`, { agent }, (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode === 200) latencies.push(performance.now() - started);
          resolve();
        });
      });
      request.on('error', () => resolve());
    });
  const loop = (async () => {
    while (!stopping) {
      await once();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      agent.destroy();
      return ascending(latencies);
    },
  };
}

/**
 * `shieldwall ingest FILE --url --token` into a node started for it: the objects per second the
 * command reports (from reading the first byte to the node's last answer).
 */
async function remote(): Promise<{
  rate: number;
  nodeCpuUsPerObject: number | undefined;
  nodeCpuWithFollowersUsPerObject: number | undefined;
  followersSeconds: number;
  clientCpuUsPerObject: number | undefined;
  health: number[];
}> {
  const env = { SHIELDWALL_DATA_DIR: path.join(workDir, 'node') };
  const step = async (argv: string[]) => {
    const result = await runCli(argv, env);
    if (result.code !== 0) throw new Error(`shieldwall ${argv.join(' ')} failed: ${result.stderr}`);
    return result.stdout.trim();
  };
  await step(['members', 'add', '--code', 'BEN', '--name', 'Bench member', '--kind', 'ally']);
  await step(['users', 'create', '--name', 'feeder', '--member', 'BEN', '--roles', 'analyst', '--clearance', 'TOP SECRET']);
  const token = await step(['tokens', 'create', '--name', 'feeder', '--user', 'feeder']);
  // Both run as the installed bin runs them, with the node flags of its first line.
  const node = await startNodeProcess(env);
  try {
    const started = Date.now();
    const nodeBefore = cpuMicros(node.child.pid!);
    const probe = probeHealth(node.url);
    const child = spawn(process.execPath, [...BIN_NODE_FLAGS, BIN, 'ingest', bundlePath, '--url', node.url, '--token', token], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The command's CPU is read while it runs (a process that ended has none to read).
    let clientCpu: number | undefined;
    const cpuSampler = setInterval(() => (clientCpu = cpuMicros(child.pid!) ?? clientCpu), 50);
    const progress = setInterval(() => log(`  remote: ${Math.round((Date.now() - started) / 1000)} s`), 5000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(progress);
    clearInterval(cpuSampler);
    const nodeAfter = cpuMicros(node.child.pid!);
    const health = await probe.stop();
    // The node's followers (the cumulative assessment waits for bulk streams) catch up after
    // the command: their CPU is counted until the node is idle (under a tenth of a core for
    // half a second), and how long they took.
    const endedAt = Date.now();
    let last = nodeAfter;
    let quiet = 0;
    while (last !== undefined && quiet < 2 && Date.now() - endedAt < 300_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const now = cpuMicros(node.child.pid!);
      if (now === undefined) break;
      quiet = now - last < 25_000 ? quiet + 1 : 0;
      last = now;
    }
    const followersSeconds = (Date.now() - endedAt - 500) / 1000;
    if (code !== 0) throw new Error(`shieldwall ingest --url exited ${code}: ${stderr.slice(-2000)}\nthe node's last lines: ${node.output().slice(-2000)}`);
    const summary = JSON.parse(stdout) as Intel.IngestSummary;
    if (summary.accepted !== count) throw new Error(`remote: ${summary.accepted} of ${count} objects accepted (${summary.rejected} rejected, ${summary.duplicate} duplicate)`);
    return {
      rate: summary.objectsPerSecond,
      nodeCpuUsPerObject: nodeBefore === undefined || nodeAfter === undefined ? undefined : (nodeAfter - nodeBefore) / count,
      nodeCpuWithFollowersUsPerObject: nodeBefore === undefined || last === undefined ? undefined : (last - nodeBefore) / count,
      followersSeconds: Math.max(0, followersSeconds),
      clientCpuUsPerObject: clientCpu === undefined ? undefined : clientCpu / count,
      health,
    };
  } finally {
    node.child.kill('SIGTERM');
    await node.exited;
  }
}

/**
 * `shieldwall ingest FILE` into a fresh SQLite store of its own (a separate process, as the
 * remote command runs): the objects per second the command reports. Its store is removed after.
 */
async function localCli(label: string): Promise<number> {
  const dataDir = path.join(workDir, `local-${label}`);
  try {
    const result = await runCli(['ingest', bundlePath], { SHIELDWALL_DATA_DIR: dataDir, SHIELDWALL_DEMO: '0' });
    if (result.code !== 0) throw new Error(`shieldwall ingest (local, ${label}) exited ${result.code}: ${result.stderr.slice(-2000)}`);
    const summary = JSON.parse(result.stdout) as Intel.IngestSummary;
    if (summary.accepted !== count) throw new Error(`local ${label}: ${summary.accepted} of ${count} objects accepted (${summary.rejected} rejected, ${summary.duplicate} duplicate)`);
    return summary.objectsPerSecond;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    settleDisk();
  }
}

/**
 * Waits, untimed, until what the part before wrote is on disk: the kernel writing back one
 * store's hundreds of megabytes would otherwise compete with the next part's writes and syncs.
 */
function settleDisk(): void {
  spawnSync('sync', { stdio: 'ignore' });
  settleHeap();
}

/**
 * Collects this process's garbage now, untimed (npm run bench:ingest gives --expose-gc): the
 * SQLite pipeline leaves hundreds of megabytes of it, and V8 collecting them later, on its own
 * threads, took a core from the commands measured next (the remote rate was 20,190 objects/s
 * against 22,400-23,000 in the same machine's runs without this process's heap behind it).
 */
function settleHeap(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(): Promise<void> {
  log(`generating ${count} synthetic objects into ${bundlePath}`);
  const generated = await writeSyntheticBundle(bundlePath, count, { format: 'bundle' });
  // On disk before anything is timed: the kernel writing the new file back meanwhile would
  // compete with the stores' own writes and syncs (a feed to ingest is a file written earlier).
  const written = openSync(bundlePath, 'r');
  fsyncSync(written);
  closeSync(written);
  log(`  ${mb(generated.bytes)} MB`);

  const parseRate = await baseline();
  log(`baseline (cut + JSON.parse): ${Math.round(parseRate)} objects/s, peak RSS so far ${mb(peakRss)} MB`);

  let sqliteRate: number | null = null;
  let sqliteCpu: number | null = null;
  if (!args['no-sqlite']) {
    const sqliteFile = path.join(workDir, 'bench.db');
    const sqlite = openStore(`sqlite:${sqliteFile}`);
    const { summary, cpuUsPerObject } = await pipeline(sqlite, 'sqlite');
    await sqlite.close();
    sqliteRate = summary.objectsPerSecond;
    sqliteCpu = cpuUsPerObject;
    settleDisk();
    log(`sqlite: ${Math.round(sqliteRate)} objects/s (${summary.seconds.toFixed(1)} s, ${cpuUsPerObject.toFixed(1)} µs CPU per object), store ${mb(statSync(sqliteFile).size)} MB, peak RSS so far ${mb(peakRss)} MB`);
  }

  let remoteRate: number | null = null;
  let remoteNodeCpu: number | undefined;
  let remoteClientCpu: number | undefined;
  let remoteNodeCpuWithFollowers: number | undefined;
  let followersSeconds: number | null = null;
  let health: number[] = [];
  const healthAt = (p: number) => (health.length === 0 ? null : percentile(health, p));
  let localBefore: number | null = null;
  let localAfter: number | null = null;
  if (!args['no-remote']) {
    localBefore = await localCli('before');
    log(`local (shieldwall ingest FILE), before the remote: ${Math.round(localBefore)} objects/s`);
    ({ rate: remoteRate, nodeCpuUsPerObject: remoteNodeCpu, nodeCpuWithFollowersUsPerObject: remoteNodeCpuWithFollowers, followersSeconds, clientCpuUsPerObject: remoteClientCpu, health } = await remote());
    settleDisk();
    localAfter = await localCli('after');
    const local = (localBefore + localAfter) / 2;
    log(`remote (shieldwall ingest --url into a node): ${Math.round(remoteRate)} objects/s, ${(remoteRate / local).toFixed(2)} of local ingest${sqliteRate === null ? '' : `, ${(remoteRate / sqliteRate).toFixed(2)} of the SQLite pipeline`} (µs CPU per object: node ${remoteNodeCpu?.toFixed(1) ?? '?'}, command ${remoteClientCpu?.toFixed(1) ?? '?'})`);
    log(`local (shieldwall ingest FILE), after the remote: ${Math.round(localAfter)} objects/s (mean of the two ${Math.round(local)})`);
    log(`  GET /healthz meanwhile: ${health.length} answers, p50 ${ms(healthAt(50))}, p99 ${ms(healthAt(99))}, longest ${ms(healthAt(100))} ms`);
    log(`  after the command, the node's followers caught up in ${followersSeconds?.toFixed(1)} s; node µs CPU per object with them: ${remoteNodeCpuWithFollowers?.toFixed(1) ?? '?'}`);
  }

  let postgresRate: number | null = null;
  let postgresCpu: number | null = null;
  if (!args['no-postgres']) {
    const schema = `sw_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: args.postgres });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.query(`create schema ${schema}`);
    try {
      const store = openStore(args.postgres, { schema });
      const { summary, cpuUsPerObject } = await pipeline(store, 'postgres');
      await store.close();
      postgresRate = summary.objectsPerSecond;
      postgresCpu = cpuUsPerObject;
      log(`postgres: ${Math.round(postgresRate)} objects/s (${summary.seconds.toFixed(1)} s, ${cpuUsPerObject.toFixed(1)} µs CPU per object in this process), peak RSS so far ${mb(peakRss)} MB`);
    } finally {
      if (!args.keep) await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    }
  }
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);

  const ratio = (rate: number | null) => (rate === null ? 'n/a' : (rate / parseRate).toFixed(3));
  const rounded = (rate: number | null) => (rate === null ? 'n/a' : Math.round(rate));
  const remoteToSqlite = remoteRate !== null && sqliteRate !== null ? remoteRate / sqliteRate : null;
  const localRate = localBefore !== null && localAfter !== null ? (localBefore + localAfter) / 2 : null;
  const remoteToLocal = remoteRate !== null && localRate !== null ? remoteRate / localRate : null;
  const fixed2 = (n: number | null) => (n === null ? 'n/a' : n.toFixed(2));
  log('');
  log('| objects | SQLite objects/s | PostgreSQL objects/s | local command objects/s (before, after) | remote objects/s | JSON.parse objects/s | SQLite / JSON.parse | PostgreSQL / JSON.parse | remote / local | remote / SQLite | peak RSS MB |');
  log(`| ${count} | ${rounded(sqliteRate)} | ${rounded(postgresRate)} | ${rounded(localRate)} (${rounded(localBefore)}, ${rounded(localAfter)}) | ${rounded(remoteRate)} | ${Math.round(parseRate)} | ${ratio(sqliteRate)} | ${ratio(postgresRate)} | ${fixed2(remoteToLocal)} | ${fixed2(remoteToSqlite)} | ${mb(peakRss)} |`);
  process.stdout.write(
    `${JSON.stringify({
      objects: count,
      sqlite_objects_per_s: sqliteRate === null ? null : Math.round(sqliteRate),
      postgres_objects_per_s: postgresRate === null ? null : Math.round(postgresRate),
      remote_objects_per_s: remoteRate === null ? null : Math.round(remoteRate),
      local_objects_per_s: localRate === null ? null : Math.round(localRate),
      local_before_objects_per_s: localBefore === null ? null : Math.round(localBefore),
      local_after_objects_per_s: localAfter === null ? null : Math.round(localAfter),
      remote_to_local: remoteToLocal === null ? null : Number(remoteToLocal.toFixed(3)),
      remote_to_sqlite: remoteToSqlite === null ? null : Number(remoteToSqlite.toFixed(3)),
      json_parse_objects_per_s: Math.round(parseRate),
      sqlite_to_json_parse: sqliteRate === null ? null : Number((sqliteRate / parseRate).toFixed(3)),
      postgres_to_json_parse: postgresRate === null ? null : Number((postgresRate / parseRate).toFixed(3)),
      sqlite_cpu_us_per_object: round2(sqliteCpu),
      postgres_cpu_us_per_object: round2(postgresCpu),
      remote_node_cpu_us_per_object: round2(remoteNodeCpu),
      remote_client_cpu_us_per_object: round2(remoteClientCpu),
      remote_node_cpu_with_followers_us_per_object: round2(remoteNodeCpuWithFollowers),
      remote_followers_s: followersSeconds === null ? null : Number(followersSeconds.toFixed(1)),
      remote_healthz_p50_ms: round1(healthAt(50)),
      remote_healthz_p99_ms: round1(healthAt(99)),
      remote_healthz_max_ms: round1(healthAt(100)),
      peak_rss_mb: mb(peakRss),
    })}\n`,
  );
}

try {
  await main();
} finally {
  clearInterval(sampler);
  if (!args.keep) rmSync(workDir, { recursive: true, force: true });
  else log(`kept ${workDir}`);
}
