/**
 * npm run bench:policy [-- --objects N] [--requests N] [--keep]
 *
 * How fast a user who may read a small share of a large store pages through it. Fills a new
 * SQLite store with N indicators (default 1,000,000) from 100 members and 50 outside sources,
 * each under a handling marking releasable to one member; then, through the HTTP API, measures
 * the latency of listing 100 objects (page after page with the cursor) for:
 *  - the reader: a user of one member, who may read about 1% of the store;
 *  - the baseline, in the same run: a user who may read everything (the same query shape
 *    without the need-to-know filter doing any work).
 * Last line: {"objects":N,"readable_fraction":…,"list_p95_ms":…}
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { openStore } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { addToGroup, createToken, createUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { ingestStream } from '../src/modules/intel/intel.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';

const { values: args } = parseArgs({
  options: {
    objects: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '300' },
    keep: { type: 'boolean', default: false },
  },
});
const count = Number(args.objects);
const requests = Number(args.requests);
if (!Number.isInteger(count) || count < 1000) throw new Error(`--objects must be a whole number of at least 1000, got '${args.objects}'`);
if (!Number.isInteger(requests) || requests < 10) throw new Error(`--requests must be a whole number of at least 10, got '${args.requests}'`);

const MEMBERS = 100;
const SOURCES = 50;
const MARKINGS = 200;
const log = (line: string) => process.stderr.write(`${line}\n`);
const workDir = path.join(tmpdir(), `shieldwall-policy-bench-${process.pid}`);
mkdirSync(workDir, { recursive: true });

const hex = (n: number, width = 12) => n.toString(16).padStart(width, '0');
const memberCode = (m: number) => `M${String(m).padStart(3, '0')}`;
const memberIdentity = (m: number) => `identity--00000001-0000-4000-8000-${hex(m)}`;
const sourceIdentity = (s: number) => `identity--00000002-0000-4000-8000-${hex(s)}`;
const markingId = (k: number) => `marking-definition--00000003-0000-4000-8000-${hex(k)}`;
/** Marking k is releasable to member k % MEMBERS, and (every other one) a second member. */
const releasedTo = (k: number) => [memberCode(k % MEMBERS), ...(k % 2 === 0 ? [memberCode((k * 7 + 3) % MEMBERS)] : [])];

async function writeObjects(file: string): Promise<void> {
  const out = createWriteStream(file);
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  for (let k = 0; k < MARKINGS; k++) {
    await write(JSON.stringify(handlingMarkingDefinition({ id: markingId(k), created: '2025-01-01T00:00:00.000Z', classification: k % 3 === 0 ? 'RESTRICTED' : 'UNCLASSIFIED', releasableTo: releasedTo(k) })));
  }
  // mulberry32: a small generator whose low bits are as random as its high ones.
  let seed = 12345;
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  for (let i = 0; i < count - MARKINGS; i++) {
    const r = next();
    // Mostly outside sources (feeds, partners' platforms); one object in ten from a member.
    const origin = r % 10 === 0 ? memberIdentity((r >>> 8) % MEMBERS) : sourceIdentity((r >>> 8) % SOURCES);
    const t = '2025-03-01T00:00:00.000Z';
    await write(
      `{"type":"indicator","spec_version":"2.1","id":"indicator--00000004-0000-4000-8000-${hex(i)}","created":"${t}","modified":"${t}","created_by_ref":"${origin}",` +
        `"name":"policy bench ${i}","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.18.${(i >> 8) & 255}.${i & 255}']","pattern_type":"stix","valid_from":"${t}",` +
        `"object_marking_refs":["${TLP2_MARKING_IDS.amber}","${markingId(next() % MARKINGS)}"]}`,
    );
  }
  out.end();
  await once(out, 'finish');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const file = path.join(workDir, 'objects.ndjson');
  log(`generating ${count} marked objects into ${file}`);
  await writeObjects(file);
  const store = openStore(`sqlite:${path.join(workDir, 'policy.db')}`);
  await migrateToLatest(store);
  const config = loadConfig({}, { databaseUrl: store.location, demo: false, logLevel: 'silent' });
  const node = await buildApp({ config, store, logger: false });
  node.setReady(true);
  const ctx = node.ctx;
  await upsertMembers(
    ctx,
    SYSTEM_PRINCIPAL,
    Array.from({ length: MEMBERS }, (_, m) => ({ code: memberCode(m), name: `Member ${m}`, kind: 'ally' as const, country: null, identityId: memberIdentity(m) })),
  );
  const started = Date.now();
  const summary = await ingestStream(ctx, SYSTEM_PRINCIPAL, createReadStream(file, { highWaterMark: 1 << 20 }), { parallel: true });
  log(`ingested ${summary.accepted} objects in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // The reader: a user of member M042. The baseline: a user of a member every marking is also
  // released to (a group holding all members), cleared to the top.
  await createUser(ctx, SYSTEM_PRINCIPAL, { name: 'reader', member: memberCode(42), clearance: 4, roles: ['analyst'] });
  const reader = (await createToken(ctx, SYSTEM_PRINCIPAL, { name: 'reader', user: 'reader' })).token;
  await upsertMembers(ctx, SYSTEM_PRINCIPAL, [{ code: 'ALL', name: 'Reads all', kind: 'ally', country: null, identityId: null }]);
  // Every marking is released to some of M000..M099: a group named after each code, holding
  // 'ALL', releases everything to the baseline user's member.
  for (let m = 0; m < MEMBERS; m++) await addToGroup(ctx, SYSTEM_PRINCIPAL, memberCode(m), 'bench', ['ALL']);
  await createUser(ctx, SYSTEM_PRINCIPAL, { name: 'everything', member: 'ALL', clearance: 4, roles: ['analyst'] });
  const everything = (await createToken(ctx, SYSTEM_PRINCIPAL, { name: 'everything', user: 'everything' })).token;

  const readable = await countReadable(node, reader);
  const fraction = readable / summary.accepted;
  log(`the reader may read ${readable} of ${summary.accepted} objects (${(fraction * 100).toFixed(2)}%)`);

  const measure = async (token: string) => {
    const times: number[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < requests; i++) {
      const t0 = process.hrtime.bigint();
      const response = await node.app.inject({ method: 'GET', url: `/api/v1/objects?limit=100${cursor ? `&cursor=${cursor}` : ''}`, headers: { authorization: `Bearer ${token}` } });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (response.statusCode !== 200) throw new Error(`listing answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
      const page = response.json() as { objects: unknown[]; next?: string };
      if (page.objects.length !== 100 && page.next) throw new Error(`a page held ${page.objects.length} objects`);
      cursor = page.next;
    }
    return times.sort((a, b) => a - b);
  };
  await measure(reader); // warm-up
  const baseTimes = await measure(everything);
  const readerTimes = await measure(reader);
  const p95 = percentile(readerTimes, 95);
  const baseP95 = percentile(baseTimes, 95);
  log('');
  log('| objects | readable | reader p50 ms | reader p95 ms | read-all p95 ms (baseline) | reader / baseline |');
  log(`| ${summary.accepted} | ${(fraction * 100).toFixed(2)}% | ${percentile(readerTimes, 50).toFixed(1)} | ${p95.toFixed(1)} | ${baseP95.toFixed(1)} | ${(p95 / baseP95).toFixed(2)} |`);
  await node.app.close();
  await store.close();
  if (!args.keep) rmSync(workDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ objects: summary.accepted, readable_fraction: Number(fraction.toFixed(4)), list_p95_ms: Number(p95.toFixed(2)) })}\n`);
}

/** Pages through everything the user may read, to count it. */
async function countReadable(node: Awaited<ReturnType<typeof buildApp>>, token: string): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  do {
    const response = await node.app.inject({ method: 'GET', url: `/api/v1/objects?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, headers: { authorization: `Bearer ${token}` } });
    const page = response.json() as { objects: unknown[]; next?: string };
    n += page.objects.length;
    cursor = page.next;
  } while (cursor);
  return n;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
