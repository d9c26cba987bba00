/**
 * npm run bench:policy [-- --objects N] [--requests N] [--keep]
 *
 * How fast users who may read a small share of a large store page through it. Fills a new
 * SQLite store with N indicators (default 1,000,000) from 100 members and 50 outside sources,
 * each under TLP:AMBER and one of 200 handling markings released to one or two members; then
 * measures the latency of listing 100 objects (page after page with the cursor) for:
 *  - narrow readers: users of members who may each read about 1% of the store, chosen so that
 *    no two of them are released the same marking (no page of one holds an object of another);
 *  - read-all: a user who may read everything (the in-run baseline).
 * Every page is read once: no warm-up over measured pages, no counting pass before measuring,
 * no paging round again from the start; the reader's and the read-all pages alternate, so that
 * both meet the same load. Three passes, each on pages not read before:
 *  1. through the HTTP API (GET /api/v1/objects), each user with the query strategy the node
 *     chooses: index ranges per readable access set for a narrow reader, one walk in date_added
 *     order for read-all (see intel.repo listCurrent). The goal: reader p95 <= 50 ms at 1M.
 *  2. like with like: the listing the route calls (intel listObjects and the JSON of its page),
 *     both users by index ranges;
 *  3. the same, both users by the walk.
 * The readable share is counted afterwards (GET /api/v1/stats). Last line: every figure, e.g.
 * {"objects":N,"readable_fraction":…,"list_p95_ms":…,…}
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { openStore } from '../src/db/database.js';
import { migrateStore } from '../src/modules/index.js';
import { addToGroup, createToken, createUser, principalOfUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { ingestStream, listObjects } from '../src/modules/intel/intel.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../src/policy/principal.js';
import { benchArgs, usageError } from './args.js';
import { percentile } from './stats.js';

const { values: args } = benchArgs(import.meta.url, {
  objects: { type: 'string', default: '1000000' },
  requests: { type: 'string', default: '300' },
  keep: { type: 'boolean', default: false },
});
const count = Number(args.objects);
const requests = Number(args.requests);
if (!Number.isInteger(count) || count < 1000) usageError(`--objects must be a whole number of at least 1000, got '${args.objects}'`);
if (!Number.isInteger(requests) || requests < 10) usageError(`--requests must be a whole number of at least 10, got '${args.requests}'`);

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

/** Writes the objects; returns how many each member may read (by its index), as generated. */
async function writeObjects(file: string): Promise<number[]> {
  // The marking-definitions are unmarked: every user reads them.
  const readable = new Array<number>(MEMBERS).fill(MARKINGS);
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
    const originMember = r % 10 === 0 ? (r >>> 8) % MEMBERS : undefined;
    const origin = originMember !== undefined ? memberIdentity(originMember) : sourceIdentity((r >>> 8) % SOURCES);
    const marking = next() % MARKINGS;
    const released = releasedTo(marking).map((code) => Number(code.slice(1)));
    for (const m of released) readable[m]!++;
    if (originMember !== undefined && !released.includes(originMember)) readable[originMember]!++;
    const t = '2025-03-01T00:00:00.000Z';
    await write(
      `{"type":"indicator","spec_version":"2.1","id":"indicator--00000004-0000-4000-8000-${hex(i)}","created":"${t}","modified":"${t}","created_by_ref":"${origin}",` +
        `"name":"policy bench ${i}","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.18.${(i >> 8) & 255}.${i & 255}']","pattern_type":"stix","valid_from":"${t}",` +
        `"object_marking_refs":["${TLP2_MARKING_IDS.amber}","${markingId(marking)}"]}`,
    );
  }
  out.end();
  await once(out, 'finish');
  return readable;
}

/** The markings released to member m. */
const markingsOf = (m: number) => Array.from({ length: MARKINGS }, (_, k) => k).filter((k) => releasedTo(k).includes(memberCode(m)));

/** Members no two of which are released the same marking, from M042 on. */
function disjointMembers(): number[] {
  const covered = new Set<number>();
  const chosen: number[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const m = (42 + i) % MEMBERS;
    const markings = markingsOf(m);
    if (markings.some((k) => covered.has(k))) continue;
    for (const k of markings) covered.add(k);
    chosen.push(m);
  }
  return chosen;
}

type Node = Awaited<ReturnType<typeof buildApp>>;
interface User {
  name: string;
  token: string;
  principal: Principal;
}
/** One page of a listing: how long it took and the cursor of the next, if any. */
type PageRead = (user: User, cursor: string | undefined) => Promise<{ ms: number; next: string | undefined }>;

/** A user's listing read on from where it stopped, never from the start again. */
class Listing {
  #users: User[];
  #cursor: string | undefined;
  /** The users whose pages were read. */
  readonly readFrom: User[] = [];
  constructor(users: User[]) {
    this.#users = [...users];
  }
  /** Reads the next page not read yet (the next user's first page when one's listing ends); undefined when none is left. */
  async read(page: PageRead): Promise<number | undefined> {
    const user = this.#users[0];
    if (!user) return undefined;
    if (this.#cursor === undefined) this.readFrom.push(user);
    const { ms, next } = await page(user, this.#cursor);
    this.#cursor = next;
    if (!next) this.#users.shift();
    return ms;
  }
  get exhausted(): boolean {
    return this.#users.length === 0;
  }
}

function httpPage(node: Node): PageRead {
  return async (user, cursor) => {
    const t0 = performance.now();
    const response = await node.app.inject({ method: 'GET', url: `/api/v1/objects?limit=100${cursor ? `&cursor=${cursor}` : ''}`, headers: { authorization: `Bearer ${user.token}` } });
    const ms = performance.now() - t0;
    if (response.statusCode !== 200) throw new Error(`listing as ${user.name} answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
    const page = response.json() as { objects: unknown[]; next?: string };
    if (page.objects.length !== 100 && page.next) throw new Error(`a page of ${user.name} held ${page.objects.length} objects`);
    return { ms, next: page.next };
  };
}

/** What the listing route does after authentication: listObjects and the JSON of its answer, with the strategy forced. */
function servicePage(node: Node, strategy: 'ranges' | 'walk'): PageRead {
  return async (user, cursor) => {
    const t0 = performance.now();
    const page = await listObjects(node.ctx, user.principal, { limit: 100, strategy, ...(cursor ? { cursor } : {}) });
    JSON.stringify({ objects: page.objects, ...(page.next ? { next: page.next } : {}) });
    const ms = performance.now() - t0;
    if (page.objects.length !== 100 && page.next) throw new Error(`a page of ${user.name} held ${page.objects.length} objects`);
    return { ms, next: page.next };
  };
}

interface Pass {
  pages: number;
  readerP50: number;
  readerP95: number;
  readAllP50: number;
  readAllP95: number;
}

/** Up to `pages` pages of each listing, alternating, each page read once. */
async function measurePass(readers: Listing, readAll: Listing, page: PageRead, pages: number): Promise<Pass> {
  const readerTimes: number[] = [];
  const readAllTimes: number[] = [];
  while (readerTimes.length < pages && !readers.exhausted && !readAll.exhausted) {
    const r = await readers.read(page);
    const a = await readAll.read(page);
    if (r !== undefined) readerTimes.push(r);
    if (a !== undefined) readAllTimes.push(a);
  }
  readerTimes.sort((x, y) => x - y);
  readAllTimes.sort((x, y) => x - y);
  return {
    pages: Math.min(readerTimes.length, readAllTimes.length),
    readerP50: percentile(readerTimes, 50),
    readerP95: percentile(readerTimes, 95),
    readAllP50: percentile(readAllTimes, 50),
    readAllP95: percentile(readAllTimes, 95),
  };
}

async function main(): Promise<void> {
  const file = path.join(workDir, 'objects.ndjson');
  log(`generating ${count} marked objects into ${file}`);
  const readableBy = await writeObjects(file);
  // Each pass reads pages not read before: at most a third of the readers' pages (and of the
  // store's) each, with a margin.
  const chosen = disjointMembers();
  const readerPages = chosen.reduce((n, m) => n + Math.ceil(readableBy[m]! / 100), 0);
  const perPass = Math.min(requests, Math.floor((0.95 * readerPages) / 3), Math.floor((0.95 * count) / 100 / 3));
  if (perPass < 10) throw new Error(`${count} objects give the readers ${readerPages} pages, too few for three passes of at least 10 pages: give more --objects`);
  if (perPass < requests) log(`${perPass} pages per pass, not ${requests}: the readers have ${readerPages} pages in all and no page is read twice`);
  const store = openStore(`sqlite:${path.join(workDir, 'policy.db')}`);
  await migrateStore(store);
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

  const user = async (name: string, member: string): Promise<User> => {
    await createUser(ctx, SYSTEM_PRINCIPAL, { name, member, clearance: 4, roles: ['analyst'] });
    return { name, token: (await createToken(ctx, SYSTEM_PRINCIPAL, { name, user: name })).token, principal: (await principalOfUser(ctx, name))! };
  };
  // Narrow readers: one user of each member of a set no two of which share a marking.
  const readers: User[] = [];
  for (const m of chosen) readers.push(await user(`reader-${memberCode(m).toLowerCase()}`, memberCode(m)));
  // Read-all: a user of a member every marking is also released to: a group named after each
  // member code, holding 'ALL', releases everything to it; cleared to the top.
  await upsertMembers(ctx, SYSTEM_PRINCIPAL, [{ code: 'ALL', name: 'Reads all', kind: 'ally', country: null, identityId: null }]);
  for (let m = 0; m < MEMBERS; m++) await addToGroup(ctx, SYSTEM_PRINCIPAL, memberCode(m), 'bench', ['ALL']);
  const everything = await user('everything', 'ALL');

  // The passes read on where the one before stopped: no page is read twice.
  const readerListing = new Listing(readers);
  const readAllListing = new Listing([everything]);
  const passes: Array<[string, Pass]> = [];
  for (const [label, page] of [
    ['HTTP API, strategy the node chooses', httpPage(node)],
    ['listing service, both by index ranges', servicePage(node, 'ranges')],
    ['listing service, both by the walk', servicePage(node, 'walk')],
  ] as const) {
    const pass = await measurePass(readerListing, readAllListing, page, perPass);
    if (pass.pages < 10) throw new Error(`only ${pass.pages} pages were left unread for '${label}': give more --objects or fewer --requests`);
    passes.push([label, pass]);
    log(`${label}: ${pass.pages} pages each`);
  }

  // Counted after measuring, so that counting reads no page before it is measured.
  const fractions: number[] = [];
  for (const reader of readerListing.readFrom) {
    const response = await node.app.inject({ method: 'GET', url: '/api/v1/stats', headers: { authorization: `Bearer ${reader.token}` } });
    const stats = response.json() as { byType: Array<{ count: number }> };
    fractions.push(stats.byType.reduce((n, t) => n + t.count, 0) / summary.accepted);
  }
  const fraction = fractions.reduce((a, b) => a + b, 0) / fractions.length;

  const ms = (n: number) => n.toFixed(1);
  log('');
  log(`${summary.accepted.toLocaleString('en')} objects; ${readerListing.readFrom.length} narrow readers paged, who may each read ${(fraction * 100).toFixed(2)}% of them on average`);
  log('');
  log('| how | pages each | reader p50 ms | reader p95 ms | read-all p50 ms | read-all p95 ms | reader / read-all (p95) |');
  log('|---|---|---|---|---|---|---|');
  for (const [label, p] of passes) log(`| ${label} | ${p.pages} | ${ms(p.readerP50)} | ${ms(p.readerP95)} | ${ms(p.readAllP50)} | ${ms(p.readAllP95)} | ${(p.readerP95 / p.readAllP95).toFixed(2)} |`);
  await node.app.close();
  await store.close();
  if (!args.keep) rmSync(workDir, { recursive: true, force: true });
  const [http, ranges, walk] = passes.map(([, p]) => p) as [Pass, Pass, Pass];
  const round = (n: number) => Number(n.toFixed(2));
  process.stdout.write(
    `${JSON.stringify({
      objects: summary.accepted,
      readable_fraction: Number(fraction.toFixed(4)),
      list_p95_ms: round(http.readerP95),
      list_p50_ms: round(http.readerP50),
      read_all_p95_ms: round(http.readAllP95),
      ranges_reader_p95_ms: round(ranges.readerP95),
      ranges_read_all_p95_ms: round(ranges.readAllP95),
      walk_reader_p95_ms: round(walk.readerP95),
      walk_read_all_p95_ms: round(walk.readAllP95),
      pages: http.pages,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
