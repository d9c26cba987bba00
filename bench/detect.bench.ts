/**
 * npm run bench:detect [-- --indicators N] [--events N] [--seconds S] [--keep]
 *
 * Detection with N indicators stored (1,000,000 by default): 40% SHA-256, 10% MD5, 20% IPv4
 * (one in twenty a /24 prefix), 20% domains, 5% URLs, 5% patterns no value anchors (URL LIKE,
 * domain MATCHES: evaluated on the reader threads, every event a candidate), and one in a
 * thousand a two-value pattern (a file by hash AND name) for the evaluator.
 *  - rebuild: the index built from the store (goal <= 10 s at 1M), and its memory per indicator
 *    (heap plus typed arrays after a full GC, before against after; goal <= 300 bytes).
 *  - match: 1M Suricata EVE events (dns, http, fileinfo, flow: hashes, addresses, domains, URLs),
 *    about 1% of them naming an indicator, matched in this process (goal >= 250,000 events/s).
 *    Baseline in the same run: reading the same events without matching.
 *  - lookup: a node (a separate process) on the same store; this process drives GET
 *    /api/v1/lookup (one value per request, 10% of them known) over 16 connections, and, as the
 *    baseline, GET /api/v1/me (authenticated, trivial) the same way (goal: >= 0.7 of the
 *    baseline's throughput, p99 <= 5 ms).
 * Last line: {"indicators":N,"match_events_per_s":…,"lookup_ratio_to_trivial":…,
 * "lookup_p99_ms":…,"index_bytes_per_indicator":…,"rebuild_s":…}
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, createReadStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { createContext } from '../src/app.js';
import type { AppContext } from '../src/core/context.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/core/logger.js';
import { openStore } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { matchLog } from '../src/modules/detect/detect.match.js';
import { Detection } from '../src/modules/detect/detect.service.js';
import { readLogEvents } from '../src/modules/detect/formats.js';
import { ingestStream } from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../src/policy/principal.js';
import { startNodeProcess } from '../test/support/process.js';

const { values: args } = parseArgs({
  options: {
    indicators: { type: 'string', default: '1000000' },
    events: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
  },
});
const count = Number(args.indicators);
const eventCount = Number(args.events);
const seconds = Number(args.seconds);
if (!Number.isInteger(count) || count < 1000) throw new Error(`--indicators must be a whole number of at least 1000, got '${args.indicators}'`);
if (!Number.isInteger(eventCount) || eventCount < 1000) throw new Error(`--events must be a whole number of at least 1000, got '${args.events}'`);
if (!(seconds >= 1)) throw new Error(`--seconds must be at least 1, got '${args.seconds}'`);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc (npm run bench:detect does)');

const log = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en');
const workDir = path.join(tmpdir(), `shieldwall-detect-bench-${process.pid}`);
mkdirSync(workDir, { recursive: true });

// --- Values: deterministic, distinct per k ---------------------------------------------------
const digest = (algorithm: string, k: number, salt: string) => createHash(algorithm).update(`${salt}${k}`).digest('hex');
const ipv4 = (k: number) => `${11 + ((k >>> 24) & 0x3f)}.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}`;
const domain = (k: number, salt = 'i') => `${salt}${k.toString(36)}.example-${k % 97}.com`;
const url = (k: number, salt = 'i') => `http://${domain(k, salt)}/path/${k}/load.php`;

type Kind = 'sha256' | 'md5' | 'ipv4' | 'cidr' | 'domain' | 'url' | 'pair' | 'unanchored';
function kindOf(k: number): Kind {
  if (k % 1000 === 999) return 'pair';
  const r = k % 20;
  if (r < 8) return 'sha256';
  if (r < 10) return 'md5';
  if (r < 13) return 'ipv4';
  if (r === 13) return Math.floor(k / 20) % 20 === 0 ? 'cidr' : 'ipv4';
  if (r < 18) return 'domain';
  return r === 18 ? 'url' : 'unanchored';
}

function patternOf(k: number): string {
  switch (kindOf(k)) {
    case 'sha256':
      return `[file:hashes.'SHA-256' = '${digest('sha256', k, 'i')}']`;
    case 'md5':
      return `[file:hashes.MD5 = '${digest('md5', k, 'i')}']`;
    case 'ipv4':
      return `[ipv4-addr:value = '${ipv4(k)}']`;
    case 'cidr':
      return `[ipv4-addr:value = '${ipv4(k).replace(/\.\d+$/, '.0')}/24']`;
    case 'domain':
      return `[domain-name:value = '${domain(k)}']`;
    case 'url':
      return `[url:value = '${url(k)}']`;
    case 'pair':
      return `[file:hashes.'SHA-256' = '${digest('sha256', k, 'i')}' AND file:name = 'dropper${k}.exe']`;
    case 'unanchored':
      return k % 40 === 19 ? `[domain-name:value MATCHES '^cdn-${k.toString(36)}\\\\.[a-z0-9]+\\\\.example\\\\.net$']` : `[url:value LIKE 'http://%/${unanchoredPath(k)}']`;
  }
}

/** The path an unanchored indicator's LIKE pattern ends with. */
const unanchoredPath = (k: number) => `gate/${k.toString(36)}/panel.php`;

const TLPS = [TLP2_MARKING_IDS.green, TLP2_MARKING_IDS.amber, TLP2_MARKING_IDS.clear];

async function writeIndicators(file: string): Promise<void> {
  const out = createWriteStream(file);
  const created = '2026-01-01T00:00:00.000Z';
  for (let k = 0; k < count; k++) {
    const line = `${JSON.stringify({
      type: 'indicator',
      spec_version: '2.1',
      id: `indicator--${randomUUID()}`,
      created,
      modified: created,
      name: `bench indicator ${k}`,
      pattern: patternOf(k),
      pattern_type: 'stix',
      valid_from: created,
      confidence: 50 + (k % 50),
      object_marking_refs: [TLPS[k % 3]],
    })}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const EVENT_OF_KIND: Record<Kind, number> = { domain: 0, ipv4: 1, cidr: 1, url: 2, sha256: 3, md5: 3, pair: 3, unanchored: 0 };

/** One EVE record; `hit` ones name indicator k's value, the others values no indicator names. */
function eveEvent(i: number, hit: boolean): string {
  const ts = new Date(Date.UTC(2026, 10, 1) + i * 10).toISOString().replace('Z', '+0000');
  const k = (i * 7919) % count;
  const kind = kindOf(k);
  const src = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
  switch (hit ? (kind === 'unanchored' && k % 40 !== 19 ? 2 : EVENT_OF_KIND[kind]) : i % 4) {
    case 0: {
      const rrname = hit ? (kind === 'unanchored' ? `cdn-${k.toString(36)}.x1.example.net` : domain(k)) : domain(i, 'e');
      return `{"timestamp":"${ts}","flow_id":${i},"event_type":"dns","src_ip":"${src}","src_port":53533,"dest_ip":"192.0.2.53","dest_port":53,"proto":"UDP","dns":{"type":"query","id":${i & 0xffff},"rrname":"${rrname}","rrtype":"A"}}`;
    }
    case 1: {
      const dest = hit ? (kind === 'cidr' ? ipv4(k).replace(/\.\d+$/, '.77') : ipv4(k)) : `198.${18 + (i & 1)}.${(i >>> 8) & 255}.${i & 255}`;
      return `{"timestamp":"${ts}","flow_id":${i},"event_type":"flow","src_ip":"${src}","src_port":49152,"dest_ip":"${dest}","dest_port":443,"proto":"TCP","flow":{"pkts_toserver":12,"pkts_toclient":10,"bytes_toserver":1402,"bytes_toclient":5120}}`;
    }
    case 2: {
      const u = new URL(hit ? (kind === 'unanchored' ? `http://${domain(i, 'e')}/${unanchoredPath(k)}` : url(k)) : url(i, 'e'));
      return `{"timestamp":"${ts}","flow_id":${i},"event_type":"http","src_ip":"${src}","src_port":49153,"dest_ip":"203.0.113.80","dest_port":80,"proto":"TCP","http":{"hostname":"${u.hostname}","url":"${u.pathname}","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","http_method":"GET","status":200,"length":512}}`;
    }
    default: {
      const hash = hit && kind === 'md5' ? `"md5":"${digest('md5', k, 'i')}"` : `"sha256":"${hit ? digest('sha256', k, 'i') : digest('sha256', i, 'e')}"`;
      const name = hit && kind === 'pair' ? `dropper${k}.exe` : `${i}.bin`;
      return `{"timestamp":"${ts}","flow_id":${i},"event_type":"fileinfo","src_ip":"203.0.113.80","src_port":80,"dest_ip":"${src}","dest_port":49153,"proto":"TCP","fileinfo":{"filename":"${name}",${hash},"size":${1000 + i},"stored":false}}`;
    }
  }
}

function eventBuffers(): Buffer[] {
  const chunks: Buffer[] = [];
  let text = '';
  for (let i = 0; i < eventCount; i++) {
    // Hits are spread evenly: one event in a hundred is drawn from the indicators.
    text += `${eveEvent(i, i % 100 === 37)}\n`;
    if (text.length > 1 << 20) {
      chunks.push(Buffer.from(text));
      text = '';
    }
  }
  if (text) chunks.push(Buffer.from(text));
  return chunks;
}

async function* replay(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}

/** A closed loop: `connections` requests in flight, each sent as the one before it is answered. */
interface Load {
  latencies: number[];
  elapsed: number;
  errors: number;
}

async function drive(pool: Pool, paths: () => string, token: string, durationS: number, connections: number, into: Load = { latencies: [], elapsed: 0, errors: 0 }): Promise<Load> {
  const until = performance.now() + durationS * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const started = performance.now();
      const response = await pool.request({ method: 'GET', path: paths(), headers: { authorization: `Bearer ${token}` } });
      await response.body.arrayBuffer();
      if (response.statusCode !== 200) into.errors++;
      into.latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  into.elapsed += (performance.now() - started) / 1000;
  return into;
}

/**
 * Both routes for `durationS` each, in alternating one-second rounds (A B B A A B ...), so that
 * whatever else the machine does, or a collection in either process, falls on both alike.
 */
async function compare(pool: Pool, a: () => string, b: () => string, token: string, durationS: number, connections: number): Promise<Array<{ perSecond: number; p50: number; p99: number; requests: number; errors: number }>> {
  const loads: [Load, Load] = [{ latencies: [], elapsed: 0, errors: 0 }, { latencies: [], elapsed: 0, errors: 0 }];
  const rounds = Math.max(2, Math.round(durationS));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) await drive(pool, i === 0 ? a : b, token, durationS / rounds, connections, loads[i]);
  }
  return loads.map((load) => {
    const sorted = load.latencies.sort((x, y) => x - y);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { perSecond: sorted.length / load.elapsed, p50: at(0.5), p99: at(0.99), requests: sorted.length, errors: load.errors };
  });
}

async function indexAndMatch(ctx: AppContext, analyst: Principal) {
  let started: number;
  // --- rebuild and memory --------------------------------------------------------------------
  const detection = new Detection(ctx);
  const memory = () => {
    gc!();
    gc!();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = memory();
  started = performance.now();
  // Through ready(), as the node builds it: a rebuild() alone would leave ready() (which a match
  // waits for) to build the whole index a second time, inside the match measured below.
  await detection.ready();
  const rebuildS = (performance.now() - started) / 1000;
  const after = memory();
  const status = detection.status();
  const bytesPerIndicator = (after - before) / status.indicators;
  log(`rebuild: ${fmt(status.indicators)} indicators, ${fmt(status.keys)} keys, ${status.compiled_patterns} compiled patterns in ${rebuildS.toFixed(2)} s; ${bytesPerIndicator.toFixed(0)} bytes per indicator`);

  // --- bulk match ----------------------------------------------------------------------------
  log(`generating ${fmt(eventCount)} EVE events`);
  const chunks = eventBuffers();
  const totalBytes = chunks.reduce((n, c) => n + c.length, 0);
  started = performance.now();
  let readOnly = 0;
  for await (const batch of readLogEvents(replay(chunks), { format: 'eve' })) readOnly += batch.length;
  const readS = (performance.now() - started) / 1000;
  let matched = 0;
  const summary = await matchLog(ctx, detection, analyst, replay(chunks), { format: 'eve' }, { onMatches: (m) => (matched += m.length) });
  const matchPerS = summary.events / summary.seconds;
  detection.stop();
  log(`match: ${fmt(summary.events)} events (${(totalBytes / 1e6).toFixed(0)} MB), ${fmt(matched)} matches in ${summary.seconds.toFixed(2)} s: ${fmt(matchPerS)} events/s; reading alone ${fmt(readOnly / readS)} events/s`);
  return { status, rebuildS, bytesPerIndicator, summary, matched, matchPerS, readPerS: readOnly / readS };
}

async function main(): Promise<void> {
  const dbFile = path.join(workDir, 'shieldwall.db');
  const config = loadConfig({}, { dataDir: workDir, databaseUrl: `sqlite:${dbFile}`, demo: false, logLevel: 'warn', secretKeyFile: path.join(workDir, 'secret.key') });
  const store = openStore(config.databaseUrl);
  await migrateToLatest(store);
  const ctx = createContext({ config, store, logger: createLogger('warn', 2) });

  log(`writing ${fmt(count)} indicators`);
  const file = path.join(workDir, 'indicators.ndjson');
  await writeIndicators(file);
  const started = performance.now();
  const ingested = await ingestStream(ctx, SYSTEM_PRINCIPAL, createReadStream(file, { highWaterMark: 1 << 20 }), { parallel: true });
  log(`ingested ${fmt(ingested.accepted)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // An analyst of an ally, who may read every indicator stored (TLP CLEAR, GREEN and AMBER to the alliance).
  const analyst: Principal = { kind: 'user', name: 'bench', userName: 'bench', roles: ['analyst'], member: { code: 'BEN', kind: 'ally', groups: ['ALLIANCE'], identityId: null }, clearance: 4 };

  // The index and the events are left behind in that function, so that this process (the load
  // generator below) does not carry them into the lookup measurement.
  const { status, rebuildS, bytesPerIndicator, summary, matched, matchPerS, readPerS } = await indexAndMatch(ctx, analyst);
  await store.close();
  gc!();

  // --- lookup under load from this process -----------------------------------------------------
  log('starting a node on the same store');
  const node = await startNodeProcess({ SHIELDWALL_DATABASE_URL: `sqlite:${dbFile}`, SHIELDWALL_DATA_DIR: workDir, SHIELDWALL_FEDERATION: '0' });
  // The harness keeps everything the node writes and searches it again on every write; under load
  // that cost this process, the load generator, several times the server's own work per request (357
  // against 101 us of CPU per GET /api/v1/me, measured). The node's log is drained unread instead.
  for (const stream of [node.child.stdout!, node.child.stderr!]) {
    stream.removeAllListeners('data');
    stream.resume();
  }
  const connections = 16;
  const pool = new Pool(node.url, { connections });
  try {
    for (;;) {
      const response = await pool.request({ method: 'GET', path: '/api/v1/detect/status', headers: { authorization: `Bearer ${node.token}` } });
      const body = (await response.body.json()) as { ready?: boolean; rebuild_ms?: number };
      if (body.ready) {
        log(`  the node built its index in ${((body.rebuild_ms ?? 0) / 1000).toFixed(2)} s`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // The paths are made before the load starts, so that the load generator does the same work per
    // request for both routes (hashing a value for each request cost it more than a trivial request).
    const paths = Array.from({ length: 100_000 }, (_, i) => {
      const n = i + 1;
      const k = (n * 7919) % count;
      const value = n % 10 === 0 ? (kindOf(k) === 'ipv4' ? ipv4(k) : kindOf(k) === 'domain' ? domain(k) : digest('sha256', k, 'i')) : digest('sha256', n, 'miss');
      return `/api/v1/lookup?value=${encodeURIComponent(value)}`;
    });
    let n = 0;
    const lookupPath = () => paths[n++ % paths.length]!;
    // Warm-up, then the measured rounds.
    await compare(pool, () => '/api/v1/me', lookupPath, node.token, 2, connections);
    const [trivial, lookups] = (await compare(pool, () => '/api/v1/me', lookupPath, node.token, seconds, connections)) as [Awaited<ReturnType<typeof compare>>[number], Awaited<ReturnType<typeof compare>>[number]];
    const ratio = lookups.perSecond / trivial.perSecond;
    if (lookups.errors + trivial.errors > 0) throw new Error(`${lookups.errors + trivial.errors} requests failed`);
    log(`lookup over ${connections} connections: ${fmt(lookups.perSecond)} requests/s, p50 ${lookups.p50.toFixed(2)} ms, p99 ${lookups.p99.toFixed(2)} ms; trivial route ${fmt(trivial.perSecond)} requests/s, p99 ${trivial.p99.toFixed(2)} ms`);

    const table = [
      '| measure | goal | result | baseline (same run) | ratio |',
      '|---|---|---|---|---|',
      `| index rebuild, ${fmt(status.indicators)} indicators | <= 10 s | ${rebuildS.toFixed(2)} s | | |`,
      `| index memory | <= 300 bytes per indicator | ${bytesPerIndicator.toFixed(0)} bytes | | |`,
      `| bulk match, ${fmt(summary.events)} EVE events, one process | >= 250,000 events/s | ${fmt(matchPerS)} events/s (${fmt(matched)} matches) | ${fmt(readPerS)} events/s (reading alone) | ${(matchPerS / readPerS).toFixed(2)} |`,
      `| lookup API, ${connections} connections from a second process | >= 0.7 of trivial, p99 <= 5 ms | ${fmt(lookups.perSecond)} requests/s, p99 ${lookups.p99.toFixed(2)} ms | ${fmt(trivial.perSecond)} requests/s, p99 ${trivial.p99.toFixed(2)} ms (GET /api/v1/me) | ${ratio.toFixed(2)} |`,
    ];
    process.stdout.write(`\n${table.join('\n')}\n`);
    process.stdout.write(
      `${JSON.stringify({
        indicators: status.indicators,
        match_events_per_s: Math.round(matchPerS),
        lookup_ratio_to_trivial: Number(ratio.toFixed(3)),
        lookup_p99_ms: Number(lookups.p99.toFixed(2)),
        index_bytes_per_indicator: Math.round(bytesPerIndicator),
        rebuild_s: Number(rebuildS.toFixed(2)),
      })}\n`,
    );
  } finally {
    await pool.close();
    node.child.kill('SIGTERM');
    await node.exited;
    if (!args.keep) rmSync(workDir, { recursive: true, force: true });
    else log(`kept ${workDir}`);
  }
}

await main();
