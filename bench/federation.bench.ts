/**
 * npm run bench:federation [-- --objects N] [--samples N] [--keep]
 *
 * Federation between nodes over HTTPS with mutual TLS (certificates from `shieldwall pki`):
 *  (a) catch-up: node B (this process, the compiled program) pulls N/5 objects (200,000 by
 *      default) from node A (a separate process, started and its detection index built) through
 *      TAXII, ingesting them as it goes. Baseline in the same run: ingesting the same objects
 *      from a local NDJSON file into a fresh store.
 *  (b) propagation: five nodes (separate processes) in hub-and-spoke; an indicator published on
 *      a spoke, time until every entitled node (the hub and the other allied spokes) answers it
 *      to its own user. Baseline: time until the publishing node itself answers it.
 *  (c) TAXII read: with N objects (1,000,000 by default) on node A, one client (node B's
 *      certificate: a peer reading for member BEN, who may read every object) pages through
 *      GET objects (limit 1000, next), once node A has started (its detection index built).
 *      Baseline: JSON.parse of the same objects as NDJSON.
 * Objects: indicators under TLP:CLEAR, GREEN or AMBER, released to the alliance (every one may
 * go to the peer), about 600 bytes each. Last line:
 * {"catchup_objects_per_s":…,"propagation_p95_ms":…,"taxii_read_objects_per_s":…}
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import type * as App from '../src/app.js';
import type * as Config from '../src/config/config.js';
import type * as Logger from '../src/core/logger.js';
import type * as Database from '../src/db/database.js';
import type * as Modules from '../src/modules/index.js';
import type * as Audit from '../src/modules/audit/audit.service.js';
import type * as Directory from '../src/modules/directory/directory.service.js';
import type * as Federation from '../src/modules/federation/federation.service.js';
import { TaxiiClient } from '../src/modules/federation/taxii.client.js';
import type * as Intel from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import type * as Principal from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { FederationHarness, identityOf, NODES } from '../test/support/federation.js';
import { runCli, startNodeProcess, type NodeProcess } from '../test/support/process.js';
import { program } from './program.js';
import { benchArgs, usageError } from './args.js';
import { ascending, percentile } from './stats.js';

// Node B of the catch-up and its baseline run the compiled program, as a node does (bench/program.ts).
const { createContext } = await program<typeof App>('app');
const { closeAudit } = await program<typeof Audit>('modules/audit/audit.service');
const { loadConfig } = await program<typeof Config>('config/config');
const { createLogger } = await program<typeof Logger>('core/logger');
const { openStore } = await program<typeof Database>('db/database');
const { migrateStore } = await program<typeof Modules>('modules/index');
const { createPeer, upsertMembers } = await program<typeof Directory>('modules/directory/directory.service');
const federation = await program<typeof Federation>('modules/federation/federation.service');
const { ingestStream } = await program<typeof Intel>('modules/intel/intel.service');
const { SYSTEM_PRINCIPAL } = await program<typeof Principal>('policy/principal');

const { values: args } = benchArgs(import.meta.url, {
  objects: { type: 'string', default: '1000000' },
  samples: { type: 'string' },
  keep: { type: 'boolean', default: false },
});
const total = Number(args.objects);
if (!Number.isInteger(total) || total < 5000) usageError(`--objects must be a whole number of at least 5000, got '${args.objects}'`);
const catchupCount = Math.floor(total / 5);
const samples = args.samples !== undefined ? Number(args.samples) : Math.max(20, Math.min(100, Math.round(total / 10_000)));
if (!Number.isInteger(samples) || samples < 5) usageError(`--samples must be a whole number of at least 5, got '${args.samples}'`);

const log = (line: string) => process.stderr.write(`${line}\n`);
const workDir = path.join(tmpdir(), `shieldwall-federation-bench-${process.pid}`);
mkdirSync(workDir, { recursive: true });
const pki = path.join(workDir, 'pki');
const hex = (n: number, width = 12) => n.toString(16).padStart(width, '0');
const TLPS = [TLP2_MARKING_IDS.green, TLP2_MARKING_IDS.amber, TLP2_MARKING_IDS.clear];

/** Indicator k: deterministic, distinct, about 600 bytes. */
function benchIndicator(k: number): StixObject {
  const t = new Date(Date.UTC(2025, 0, 1) + k * 1000).toISOString();
  const a = (k >> 16) & 255;
  const b = (k >> 8) & 255;
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--00000004-0000-4000-8000-${hex(k)}`,
    created: t,
    modified: t,
    name: `Command and control address ${k}`,
    description: 'Address seen serving second-stage payloads to hosts of several members; blocks and hunts are advised.',
    indicator_types: ['malicious-activity'],
    pattern: `[ipv4-addr:value = '198.18.${a}.${b}'] AND [domain-name:value = 'c2-${k}.example.net']`,
    pattern_type: 'stix',
    valid_from: t,
    labels: ['c2', 'benchmark'],
    object_marking_refs: [TLPS[k % TLPS.length]!],
  };
}

async function writeNdjson(file: string, from: number, to: number): Promise<void> {
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  for (let k = from; k < to; k++) {
    if (!out.write(`${JSON.stringify(benchIndicator(k))}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

async function cli(argv: string[], env: Record<string, string>): Promise<string> {
  const result = await runCli(argv, env);
  if (result.code !== 0) throw new Error(`shieldwall ${argv.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** GET on a node's own API over HTTPS, as its bootstrap administrator. */
function nodeApi(node: NodeProcess, caFile: string): { get(path: string): Promise<{ status: number; text: string }>; close(): Promise<void> } {
  const agent = new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } });
  return {
    get: async (path) => {
      const response = await request(`${node.url}${path}`, { dispatcher: agent, headers: { authorization: `Bearer ${node.token}` } });
      return { status: response.statusCode, text: await response.body.text() };
    },
    close: () => agent.close(),
  };
}

/** Waits until the node's detection index is built (GET /api/v1/detect/status says ready). */
async function detectionIndexBuilt(node: NodeProcess, api: ReturnType<typeof nodeApi>): Promise<void> {
  const started = performance.now();
  for (;;) {
    const answer = await api.get('/api/v1/detect/status');
    if (answer.status === 200 && (JSON.parse(answer.text) as { ready: boolean }).ready) return;
    // Generous: a loaded machine builds the index of a million indicators in well under this.
    if (performance.now() - started > 600_000) {
      throw new Error(`node A did not build its detection index within 10 minutes (last answer ${answer.status} ${answer.text.slice(0, 200)}); its last log lines:\n${node.output().split('\n').slice(-20).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** CPU seconds the node's process has used (user and system), from its /metrics. */
async function nodeCpuSeconds(api: ReturnType<typeof nodeApi>): Promise<number> {
  const { text } = await api.get('/metrics');
  const match = /^shieldwall_process_cpu_seconds_total (\S+)$/m.exec(text);
  if (!match) throw new Error('node A\'s /metrics gives no shieldwall_process_cpu_seconds_total');
  return Number(match[1]);
}

const nodeA = { dir: path.join(workDir, 'a'), env: {} as Record<string, string>, process: undefined as NodeProcess | undefined };
const results: Record<string, number> = {};

try {
  // --- PKI and node A ------------------------------------------------------------------------
  await cli(['pki', 'init', '--dir', pki], { SHIELDWALL_DATA_DIR: workDir });
  const bDir = path.join(workDir, 'b');
  mkdirSync(nodeA.dir, { recursive: true });
  mkdirSync(bDir, { recursive: true });
  await cli(['pki', 'node', 'node-a', '--dir', pki, '--out', nodeA.dir], { SHIELDWALL_DATA_DIR: nodeA.dir });
  await cli(['pki', 'node', 'node-b', '--dir', pki, '--out', bDir], { SHIELDWALL_DATA_DIR: bDir });
  nodeA.env = {
    SHIELDWALL_DATA_DIR: nodeA.dir,
    SHIELDWALL_TLS_CERT: path.join(nodeA.dir, 'node.crt'),
    SHIELDWALL_TLS_KEY: path.join(nodeA.dir, 'node.key'),
    SHIELDWALL_TLS_CLIENT_CA: path.join(pki, 'ca.crt'),
    SHIELDWALL_FEDERATION: '0',
  };
  await cli(['members', 'add', '--code', 'NCIRC', '--name', 'Alliance hub', '--kind', 'ally'], nodeA.env);
  await cli(['members', 'add', '--code', 'BEN', '--name', 'Bench member', '--kind', 'ally'], nodeA.env);
  await cli(['peers', 'add', '--name', 'node-b', '--member', 'BEN', '--clearance', 'SECRET'], nodeA.env);
  const part1 = path.join(workDir, 'part1.ndjson');
  const part2 = path.join(workDir, 'part2.ndjson');
  log(`writing ${catchupCount.toLocaleString('en')} + ${(total - catchupCount).toLocaleString('en')} objects`);
  await writeNdjson(part1, 0, catchupCount);
  await writeNdjson(part2, catchupCount, total);
  await cli(['ingest', part1], nodeA.env);
  nodeA.process = await startNodeProcess(nodeA.env);
  const apiRoot = `${nodeA.process.url}/taxii2/intel/`;
  // Pulled from once it has started: its detection index built, as a node that serves peers.
  const catchupApi = nodeApi(nodeA.process, path.join(pki, 'ca.crt'));
  await detectionIndexBuilt(nodeA.process, catchupApi);

  // --- (a) catch-up ----------------------------------------------------------------------------
  const contextOf = async (dir: string, tls: boolean) => {
    const config = loadConfig({}, {
      dataDir: dir,
      databaseUrl: `sqlite:${path.join(dir, 'shieldwall.db')}`,
      demo: false,
      logLevel: 'warn',
      secretKeyFile: path.join(dir, 'secret.key'),
      ...(tls ? { tlsCert: path.join(dir, 'node.crt'), tlsKey: path.join(dir, 'node.key'), tlsClientCa: path.join(pki, 'ca.crt') } : {}),
    });
    const store = openStore(config.databaseUrl);
    await migrateStore(store);
    const ctx = createContext({ config, store, logger: createLogger('warn', 2) });
    await upsertMembers(ctx, SYSTEM_PRINCIPAL, [{ code: 'NCIRC', name: 'Alliance hub', kind: 'ally', country: null, identityId: null }]);
    return ctx;
  };
  const b = await contextOf(bDir, true);
  await createPeer(b, SYSTEM_PRINCIPAL, { name: 'node-a', members: ['NCIRC'], clearance: 3, roles: ['analyst'], url: apiRoot, direction: 'pull', auth: 'mtls' });
  log(`(a) node B pulls ${catchupCount.toLocaleString('en')} objects from node A`);
  const catchupCpuA = await nodeCpuSeconds(catchupApi);
  const catchupCpuB = process.cpuUsage();
  let started = performance.now();
  let lastLog = started;
  const pulled = await federation.pull(b, 'node-a', {
    onPage: (r) => {
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`    ${r.objects.toLocaleString('en')} objects, ${Math.round(r.objects / ((lastLog - started) / 1000)).toLocaleString('en')}/s`);
      }
    },
  });
  const catchupSeconds = (performance.now() - started) / 1000;
  // CPU per object pulled: node B (this process: its main, worker and GC threads) and node A.
  const usedB = process.cpuUsage(catchupCpuB);
  results.catchupCpuB = (usedB.user + usedB.system) / catchupCount;
  results.catchupCpuA = ((await nodeCpuSeconds(catchupApi)) - catchupCpuA) * 1e6 / catchupCount;
  await catchupApi.close();
  if (pulled.accepted !== catchupCount) throw new Error(`node B stored ${pulled.accepted} of ${catchupCount} objects: ${pulled.rejections.join('; ')}`);
  await federation.closeClients(b);
  await closeAudit(b);
  await b.store.close();
  results.catchup = catchupCount / catchupSeconds;

  // Baseline: the same objects ingested from a local file into a fresh store (the fastest way in).
  const cDir = path.join(workDir, 'c');
  mkdirSync(cDir, { recursive: true });
  const c = await contextOf(cDir, false);
  started = performance.now();
  const local = await ingestStream(c, SYSTEM_PRINCIPAL, createReadStream(part1, { highWaterMark: 1 << 20 }), { parallel: true });
  results.catchupBaseline = local.accepted / ((performance.now() - started) / 1000);
  await closeAudit(c);
  await c.store.close();

  // --- (c) TAXII read with N objects stored ------------------------------------------------------
  log(`(c) loading ${(total - catchupCount).toLocaleString('en')} more objects into node A`);
  nodeA.process.child.kill('SIGTERM');
  await nodeA.process.exited;
  await cli(['ingest', part2], nodeA.env);
  nodeA.process = await startNodeProcess(nodeA.env);
  // A node builds its detection index from every stored indicator once it listens: measured
  // while that runs, reads would share the CPU with it. Read once the node has started.
  const apiA = nodeApi(nodeA.process, path.join(pki, 'ca.crt'));
  await detectionIndexBuilt(nodeA.process, apiA);
  const reader = new TaxiiClient({
    apiRoot: `${nodeA.process.url}/taxii2/intel/`,
    tls: { cert: readFileSync(path.join(bDir, 'node.crt'), 'utf8'), key: readFileSync(path.join(bDir, 'node.key'), 'utf8'), ca: readFileSync(path.join(pki, 'ca.crt'), 'utf8') },
  });
  log(`(c) one TAXII client pages through ${total.toLocaleString('en')} objects`);
  let read = 0;
  // CPU time per object read, of the node and of the client: the machine's load weighs less on
  // it than on objects per second.
  const nodeCpuBefore = await nodeCpuSeconds(apiA);
  const clientCpuBefore = process.cpuUsage();
  started = performance.now();
  lastLog = started;
  for await (const page of reader.objects('intel', { limit: 1000 })) {
    read += page.objects.length;
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      log(`    ${read.toLocaleString('en')} objects, ${Math.round(read / ((lastLog - started) / 1000)).toLocaleString('en')}/s`);
    }
  }
  const readSeconds = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  results.readNodeCpuUs = ((await nodeCpuSeconds(apiA)) - nodeCpuBefore) * 1e6 / read;
  results.readClientCpuUs = (clientCpu.user + clientCpu.system) / read;
  await apiA.close();
  await reader.close();
  if (read !== total) throw new Error(`the client read ${read} of ${total} objects`);
  results.read = read / readSeconds;
  // Baseline: JSON.parse of the same objects.
  started = performance.now();
  let parsed = 0;
  for (const file of [part1, part2]) {
    for await (const line of createInterface({ input: createReadStream(file) })) {
      JSON.parse(line);
      parsed++;
    }
  }
  results.readBaseline = parsed / ((performance.now() - started) / 1000);
  nodeA.process.child.kill('SIGTERM');
  await nodeA.process.exited;
  nodeA.process = undefined;

  // --- (b) propagation over five nodes -------------------------------------------------------------
  log(`(b) five nodes, hub-and-spoke: ${samples} indicators published on the spokes`);
  const harness = new FederationHarness();
  try {
    await harness.start();
    for (const spoke of NODES.filter((n) => n.name !== 'hub')) {
      await harness.link('hub', spoke.name, 'push');
      await harness.link(spoke.name, 'hub', 'both');
    }
    const allies = NODES.filter((n) => n.kind === 'ally').map((n) => n.name);
    const spokes = allies.filter((n) => n !== 'hub');
    const latencies: number[] = [];
    const localLatencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const on = spokes[i % spokes.length]!;
      const member = NODES.find((n) => n.name === on)!.member;
      const object: StixObject = { ...benchIndicator(10_000_000 + i), id: `indicator--${randomUUID()}`, created_by_ref: identityOf(member), object_marking_refs: [TLP2_MARKING_IDS.green] };
      const t0 = performance.now();
      await harness.publish(on, [object]);
      const arrival = await Promise.all(
        allies.map(async (name) => {
          while (!(await harness.readable(name, object.id))) {
            if (performance.now() - t0 > 30_000) throw new Error(`${object.id} did not reach ${name} within 30 s`);
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          return { name, ms: performance.now() - t0 };
        }),
      );
      latencies.push(Math.max(...arrival.map((a) => a.ms)));
      localLatencies.push(arrival.find((a) => a.name === on)!.ms);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const sorted = ascending(latencies);
    results.p50 = percentile(sorted, 50);
    results.p95 = percentile(sorted, 95);
    results.max = Math.max(...latencies);
    results.localP95 = percentile(ascending(localLatencies), 95);
  } finally {
    await harness.stop();
  }

  const f = (n: number) => Math.round(n).toLocaleString('en');
  log('');
  log('| measure | goal | result | baseline (same run) | ratio |');
  log('|---|---|---|---|---|');
  log(`| (a) catch-up, ${catchupCount.toLocaleString('en')} objects pulled over TAXII + mTLS | >= 20,000 objects/s | ${f(results.catchup)} objects/s | ${f(results.catchupBaseline!)} objects/s (local ingest of the same objects from a file) | ${(results.catchup / results.catchupBaseline!).toFixed(2)} |`);
  log(`(a) CPU per object pulled: node B ${results.catchupCpuB!.toFixed(2)} us, node A ${results.catchupCpuA!.toFixed(2)} us`);
  log(`| (b) propagation to all entitled nodes, hub-and-spoke (${samples} samples) | p95 <= 1,000 ms | p50 ${results.p50!.toFixed(0)} ms, p95 ${results.p95!.toFixed(0)} ms, max ${results.max!.toFixed(0)} ms | p95 ${results.localP95!.toFixed(0)} ms (readable on the publishing node) | ${(results.p95! / results.localP95!).toFixed(1)} |`);
  log(`| (c) TAXII GET objects, one client, ${total.toLocaleString('en')} stored | >= 50,000 objects/s | ${f(results.read)} objects/s | ${f(results.readBaseline!)} objects/s (JSON.parse) | ${(results.read / results.readBaseline!).toFixed(2)} |`);
  log(`(c) CPU per object read: node ${results.readNodeCpuUs!.toFixed(2)} us, client ${results.readClientCpuUs!.toFixed(2)} us`);
  process.stdout.write(`${JSON.stringify({ catchup_objects: catchupCount, catchup_objects_per_s: Math.round(results.catchup), catchup_baseline_objects_per_s: Math.round(results.catchupBaseline!), catchup_node_b_cpu_us_per_object: Number(results.catchupCpuB!.toFixed(2)), catchup_node_a_cpu_us_per_object: Number(results.catchupCpuA!.toFixed(2)), propagation_p95_ms: Math.round(results.p95!), taxii_read_objects_per_s: Math.round(results.read), taxii_read_baseline_objects_per_s: Math.round(results.readBaseline!), taxii_read_objects: read, taxii_read_node_cpu_us_per_object: Number(results.readNodeCpuUs!.toFixed(2)), taxii_read_client_cpu_us_per_object: Number(results.readClientCpuUs!.toFixed(2)) })}\n`);
} finally {
  if (nodeA.process) {
    nodeA.process.child.kill('SIGTERM');
    await nodeA.process.exited;
  }
  if (!args.keep) rmSync(workDir, { recursive: true, force: true });
  else log(`kept ${workDir}`);
}
