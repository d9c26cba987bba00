/**
 * npm run bench:incidents [-- --incidents N] [--dialect sqlite|postgres] [--requests N] [--reports N] [--postgres URL] [--keep]
 *
 * The incidents board at scale, as an allied analyst meets it: a user of member DEU (group
 * ALLIANCE, kind ally), cleared to CONFIDENTIAL (2), reading the board of a node whose store holds
 * N incidents (default 100,000) reported by 32 members under mixed markings: most released to
 * ALLIANCE (TLP:CLEAR, GREEN or AMBER), some to a few members only (AMBER or AMBER+STRICT), some
 * TLP:RED to named users, some addressed to recipients, classified 0-3; severity levels 0-5 (some
 * unscored), one or two sectors each, statuses by age (recent ones open, old ones closed). The
 * rows are written directly (repo inserts, transactions of 2,000 rows) shaped exactly as the
 * service writes them; the board does not read the STIX copies, so none are written for them.
 *
 * Timed, `--requests` times each (default 300, after 10 unmeasured), three ways interleaved:
 *  - HTTP: GET /api/v1/incidents... as the analyst (app.inject with its token: routing,
 *    authentication, the service, the JSON answer; no network);
 *  - service: what the route calls (incidents.service listIncidents / getIncident as the analyst);
 *  - baseline (in-run): the same query with no access filter, a plain select of the same
 *    columns, filters, order and limit (what the board would cost if everyone read everything).
 * Figures: the first page (limit 50) unfiltered; significant=true; sector=energy;
 * status=new,triaged; q=netscaler (a word in about 1% of titles); page 10 by cursor (the cursor
 * of page 9 read beforehand); one GET of an incident (a different readable one each time). Each
 * with p50/p95/max in ms and the ratio of the analyst's (HTTP and service) to the baseline's.
 *
 * Then the write path: `--reports` incidents (default 500) reported through the service
 * (reportIncident: the STIX copy through the intel pipeline, the audit entry, the event) by
 * incident handlers of eight members, alternating with the baseline: the same kind of row inserted
 * alone in a write transaction of its own. Incidents per second for both and their ratio.
 *
 * SQLite by default (a new file in the temporary folder); `--dialect postgres` uses a new schema
 * in --postgres (default SHIELDWALL_TEST_PG, else postgres://postgres@127.0.0.1:5432/test),
 * dropped afterwards unless --keep, ANALYZEd after the load (as autovacuum would within a minute).
 * The program measured is the compiled one (bench/program.ts). Last line: every figure as JSON.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type * as App from '../src/app.js';
import type * as Config from '../src/config/config.js';
import type * as DatabaseModule from '../src/db/database.js';
import type { Database } from '../src/db/schema.js';
import type * as Modules from '../src/modules/index.js';
import type * as Directory from '../src/modules/directory/directory.service.js';
import type * as DemoIncidents from '../src/modules/demo/demo.incidents.js';
import type * as DemoRng from '../src/modules/demo/demo.rng.js';
import type * as IncidentsModel from '../src/modules/incidents/incidents.model.js';
import type * as IncidentsRepo from '../src/modules/incidents/incidents.repo.js';
import type * as IncidentsScoring from '../src/modules/incidents/incidents.scoring.js';
import type * as IncidentsService from '../src/modules/incidents/incidents.service.js';
import type * as Markings from '../src/policy/markings.js';
import type * as PrincipalModule from '../src/policy/principal.js';
import type * as RecordRule from '../src/policy/record.js';
import { benchArgs, usageError } from './args.js';
import { percentile } from './stats.js';
import { program } from './program.js';

const { buildApp } = await program<typeof App>('app');
const { loadConfig } = await program<typeof Config>('config/config');
const { openStore, writeTransaction } = await program<typeof DatabaseModule>('db/database');
const { migrateStore } = await program<typeof Modules>('modules/index');
const { createToken, createUser, principalOfUser, upsertMembers } = await program<typeof Directory>('modules/directory/directory.service');
const { selectionsAt } = await program<typeof DemoIncidents>('modules/demo/demo.incidents');
const { createRng } = await program<typeof DemoRng>('modules/demo/demo.rng');
const repo = await program<typeof IncidentsRepo>('modules/incidents/incidents.repo');
const { scoreIncident, SEVERITY_LEVELS } = await program<typeof IncidentsScoring>('modules/incidents/incidents.scoring');
const service = await program<typeof IncidentsService>('modules/incidents/incidents.service');
const { DEFAULT_CLASSIFICATIONS } = await program<typeof Markings>('policy/markings');
const { SYSTEM_PRINCIPAL } = await program<typeof PrincipalModule>('policy/principal');
const { canReadRecord, recordAccessOfColumns, recordColumns } = await program<typeof RecordRule>('policy/record');

const { values: args } = benchArgs(import.meta.url, {
  incidents: { type: 'string', default: '100000' },
  dialect: { type: 'string', default: 'sqlite' },
  requests: { type: 'string', default: '300' },
  reports: { type: 'string', default: '500' },
  postgres: { type: 'string', default: process.env.SHIELDWALL_TEST_PG ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  keep: { type: 'boolean', default: false },
});
const count = Number(args.incidents);
const requests = Number(args.requests);
const reports = Number(args.reports);
const dialect = args.dialect;
if (!Number.isInteger(count) || count < 1000) usageError(`--incidents must be a whole number of at least 1000, got '${args.incidents}'`);
if (!Number.isInteger(requests) || requests < 20) usageError(`--requests must be a whole number of at least 20, got '${args.requests}'`);
if (!Number.isInteger(reports) || reports < 10) usageError(`--reports must be a whole number of at least 10, got '${args.reports}'`);
if (dialect !== 'sqlite' && dialect !== 'postgres') usageError(`--dialect must be sqlite or postgres, got '${dialect}'`);

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const workDir = path.join(tmpdir(), `shieldwall-incidents-bench-${process.pid}`);
mkdirSync(workDir, { recursive: true });

const BATCH = 2000;
const PAGE = 50;
const WARM_UP = 10;
/** The word searched for: about 1.2% of titles hold it. */
const SEARCHED = 'netscaler';
const ANALYST = 'analyst.deu';

// --- the alliance -------------------------------------------------------------------------------

const MEMBERS = [
  'DEU', 'FRA', 'GBR', 'USA', 'ITA', 'ESP', 'POL', 'NLD', 'BEL', 'CAN', 'NOR', 'DNK', 'PRT', 'CZE', 'HUN', 'ROU',
  'BGR', 'GRC', 'TUR', 'SVK', 'SVN', 'HRV', 'ALB', 'EST', 'LVA', 'LTU', 'LUX', 'ISL', 'MNE', 'MKD', 'FIN', 'SWE',
] as const;
/** Two users of each member are named in markings (TLP:RED readers, recipients, owners). */
const usersOf = (code: string) => [`analyst.${code.toLowerCase()}`, `handler.${code.toLowerCase()}`];
const identityOf = (m: number) => `identity--00000005-0000-4000-8000-${m.toString(16).padStart(12, '0')}`;
/** Members whose incident handlers report on the write path. */
const REPORTING = ['FRA', 'POL', 'ITA', 'EST', 'GBR', 'NLD', 'DEU', 'ROU'];

// --- what an incident holds ---------------------------------------------------------------------

type Rng = DemoRng.Rng;
type IncidentStatus = IncidentsModel.IncidentStatus;
type RecordAccess = RecordRule.RecordAccess;

const SECTOR_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['energy', 12], ['transport', 9], ['banking', 8], ['financial-market-infrastructure', 3], ['health', 12], ['drinking-water', 3], ['waste-water', 1],
  ['digital-infrastructure', 8], ['ict-service-management', 5], ['public-administration', 12], ['space', 1], ['defence', 7], ['telecommunications', 7],
  ['emergency-services', 2], ['food', 2], ['chemicals', 2], ['manufacturing', 4], ['postal', 1], ['waste-management', 1], ['research', 3],
  ['digital-providers', 3], ['other', 2],
];
const TARGETS: Readonly<Partial<Record<string, readonly string[]>>> = {
  energy: ['regional grid operator', 'gas pipeline operator', 'refinery', 'wind farm operator'],
  transport: ['port authority', 'rail operator', 'airport', 'logistics provider'],
  banking: ['retail bank', 'savings bank group', 'payment processor'],
  health: ['hospital group', 'health insurer', 'university hospital', 'pharmacy chain'],
  'public-administration': ['ministry of finance', 'tax office', 'municipal administration', 'e-government portal'],
  defence: ['defence ministry', 'armed forces logistics', 'defence contractor'],
  telecommunications: ['mobile operator', 'internet exchange', 'cable operator'],
  'digital-infrastructure': ['cloud provider', 'DNS provider', 'data centre operator'],
};
const KINDS = ['Ransomware at', 'Phishing campaign against', 'DDoS against', 'Data exfiltration from', 'Wiper malware at', 'Credential stuffing against', 'Defacement of', 'Supply-chain compromise of', 'Espionage implant at', 'Scanning of', 'Business e-mail compromise at', 'Unauthorised access to'];
const VECTORS = ['Exchange servers', 'a VPN gateway', 'a managed service provider', 'Ivanti Connect Secure', 'FortiGate firewalls', 'MOVEit Transfer', 'a contractor account', 'SharePoint', 'Confluence', 'a web shell'];
const SYSTEMS = ['Mail gateway', 'File servers', 'Domain controllers', 'SCADA historian', 'Engineering workstations', 'Citizen portal', 'DNS', 'Edge routers', 'Patient records', 'ERP', 'Payment gateway', 'VPN concentrator'];
const SENTENCES = [
  'Detected by the member CSIRT through endpoint telemetry.',
  'Initial access most likely through an unpatched internet-facing service.',
  'Lateral movement observed towards domain controllers; credentials reset.',
  'Services were restored from offline backups within the recovery objective.',
  'The actor used living-off-the-land tooling and scheduled tasks for persistence.',
  'Indicators were shared with the alliance through the intel store.',
  'Customers were notified as the national rules require.',
  'Traffic peaked at several hundred Gbit/s and was mitigated upstream.',
  'Forensic images were taken of the affected hosts.',
  'No data is known to have left the network.',
];
/** The status of an incident by its age (0: newest, 1: oldest): recent ones open, old ones closed. */
function statusByAge(rng: Rng, age: number): IncidentStatus {
  const weights: ReadonlyArray<readonly [IncidentStatus, number]> =
    age < 0.005 ? [['new', 35], ['triaged', 35], ['contained', 15], ['eradicated', 5], ['recovered', 5], ['closed', 5]]
      : age < 0.05 ? [['new', 5], ['triaged', 15], ['contained', 15], ['eradicated', 10], ['recovered', 15], ['closed', 40]]
        : [['new', 1], ['triaged', 2], ['contained', 2], ['eradicated', 2], ['recovered', 3], ['closed', 90]];
  return rng.weighted(weights);
}
/** The moves an incident made to reach its status (INCIDENT_TRANSITIONS). */
function movesTo(rng: Rng, status: IncidentStatus): IncidentStatus[] {
  const path: IncidentStatus[] = ['triaged', 'contained', 'eradicated', 'recovered', 'closed'];
  if (status === 'new') return [];
  if (status === 'closed') return rng.weighted<IncidentStatus[]>([[['closed'], 3], [['triaged', 'closed'], 2], [path, 5]]);
  return path.slice(0, path.indexOf(status) + 1);
}

/** An incident's markings, as a member's handler would give them (RecordAccess plus who may edit). */
function markingsOf(rng: Rng, origin: number, owner: string | null): RecordAccess {
  const code = MEMBERS[origin]!;
  const classification = rng.weighted([[0, 45], [1, 30], [2, 17], [3, 8]] as const);
  const others = (n: number) => rng.shuffle(MEMBERS.filter((m) => m !== code)).slice(0, n);
  const base = { classification, originMember: code, owner };
  const kind = rng.weighted([['alliance', 70], ['few', 15], ['red', 5], ['addressed', 10]] as const);
  if (kind === 'alliance') return { ...base, tlp: rng.weighted([['amber', 60], ['green', 30], ['clear', 10]] as const), releasability: ['ALLIANCE'], recipients: [] };
  if (kind === 'few') return { ...base, tlp: rng.chance(0.8) ? 'amber' : 'amber+strict', releasability: [code, ...others(rng.between(1, 3))], recipients: [] };
  if (kind === 'red') {
    // TLP:RED to named users: their members are released to, the users named.
    const members = others(rng.between(1, 3));
    const users = members.map((m) => rng.pick(usersOf(m)));
    return { ...base, tlp: 'red', releasability: rng.chance(0.5) ? ['ALLIANCE', ...users.map((u) => `@${u}`)] : [...members, ...users.map((u) => `@${u}`)], recipients: [] };
  }
  const recipients = rng.chance(0.8) ? others(rng.between(2, 4)) : others(rng.between(1, 2)).map((m) => `@${rng.pick(usersOf(m))}`);
  return { ...base, tlp: 'amber', releasability: ['ALLIANCE'], recipients };
}

/** Severity selections landing in a level spread over 0-5 (some incidents are never scored). */
function selectionsOf(rng: Rng): Record<string, string> | null {
  if (rng.chance(0.08)) return null;
  const level = rng.weighted([[0, 22], [1, 26], [2, 22], [3, 15], [4, 10], [5, 5]] as const);
  const low = SEVERITY_LEVELS[level]!.min_score;
  const high = SEVERITY_LEVELS[level + 1]?.min_score ?? 100;
  return selectionsAt((low + rng.next() * (high - low)) / 100);
}

function titleOf(rng: Rng, sector: string): string {
  const target = TARGETS[sector] ? rng.pick(TARGETS[sector]!) : `${sector.replace(/-/g, ' ')} organisation`;
  const vector = rng.chance(0.012) ? 'Citrix NetScaler' : rng.chance(0.3) ? rng.pick(VECTORS) : null;
  return `${rng.pick(KINDS)} ${target}${vector ? ` via ${vector}` : ''}`;
}

function sectorsOf(rng: Rng): string[] {
  const first = rng.weighted(SECTOR_WEIGHTS);
  const second = rng.chance(0.3) ? rng.weighted(SECTOR_WEIGHTS) : first;
  return second === first ? [first] : [first, second];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What incidents.service keeps besides the columns (its IncidentDocument), in its key order. */
interface IncidentDocument {
  summary: string | null;
  systems: string[];
  handler: string | null;
  started_at: string | null;
  detected_at: string | null;
  actor: IncidentsModel.SuspectedActor | null;
  severity: IncidentsModel.IncidentSeverity | null;
  timeline: IncidentsModel.TimelineEntry[];
  tasks: IncidentsModel.IncidentTask[];
  links: IncidentsModel.IncidentLink[];
  delegates: string[];
}

/**
 * A stored incident row as incidents.service writes it (its rowOf, which it does not export):
 * level, score and significant from the document's severity, the document as JSON, the marking
 * columns by policy/record recordColumns, sectors as ',a,b,'. Reported `modifiedMs` after its
 * creation, having made the moves to its status since.
 */
function incidentRow(rng: Rng, origin: number, modifiedMs: number, age: number): IncidentsRepo.IncidentRow {
  const code = MEMBERS[origin]!;
  const peer = rng.chance(0.05);
  const owner = peer ? null : code === 'DEU' ? rng.pick([ANALYST, 'handler.deu', 'cert.deu']) : rng.pick(usersOf(code));
  const access = markingsOf(rng, origin, owner);
  const status = statusByAge(rng, age);
  const moves = movesTo(rng, status);
  const notes = rng.between(0, 3);
  const createdMs = moves.length === 0 && notes === 0 ? modifiedMs : modifiedMs - rng.between(3_600_000, 60 * 86_400_000);
  const detectedMs = createdMs - rng.between(0, 2 * 86_400_000);
  const startedMs = detectedMs - rng.between(0, 14 * 86_400_000);
  const selections = selectionsOf(rng);
  const severity = selections === null ? null : (() => {
    const scored = scoreIncident(selections);
    return { score: scored.score, level: scored.level, level_name: scored.level_name, significant: scored.significant, selections };
  })();
  const sectors = sectorsOf(rng);
  const author = owner ?? `handler.${code.toLowerCase()}`;
  const span = modifiedMs - createdMs;
  const at = (k: number, of: number) => iso(createdMs + Math.round((span * k) / Math.max(1, of)));
  const steps = moves.length + notes;
  const timeline: IncidentsModel.TimelineEntry[] = [{ id: rng.uuid(), at: iso(createdMs), author, kind: 'status', text: 'Reported' }];
  let from: IncidentStatus = 'new';
  moves.forEach((to, k) => {
    timeline.push({ id: rng.uuid(), at: at(k + 1, steps), author, kind: 'status', text: `Status ${from} → ${to}` });
    from = to;
  });
  for (let k = 0; k < notes; k++) timeline.push({ id: rng.uuid(), at: at(moves.length + k + 1, steps), author, kind: 'note', text: rng.pick(SENTENCES) });
  const tasks: IncidentsModel.IncidentTask[] = moves.length >= 2
    ? Array.from({ length: rng.between(0, 3) }, () => ({ id: rng.uuid(), title: rng.pick(['Reset credentials', 'Collect forensic images', 'Patch edge devices', 'Notify regulator']), assignee: author, status: rng.chance(0.7) ? 'done' as const : 'open' as const, due: null, created: iso(createdMs), modified: iso(modifiedMs) }))
    : [];
  const links: IncidentsModel.IncidentLink[] = Array.from({ length: rng.between(0, 3) }, () => ({ object_id: `indicator--${rng.uuid()}`, kind: 'intel' as const, note: null, linked_at: iso(createdMs) }));
  const document: IncidentDocument = {
    summary: rng.shuffle(SENTENCES).slice(0, rng.between(1, 4)).join(' '),
    systems: rng.shuffle(SYSTEMS).slice(0, rng.between(1, 3)),
    handler: rng.chance(0.6) ? author : null,
    started_at: iso(startedMs),
    detected_at: iso(detectedMs),
    actor: rng.chance(0.2) ? { ref: `intrusion-set--${rng.uuid()}`, name: null, confidence: rng.pick([15, 50, 85]) } : null,
    severity,
    timeline,
    tasks,
    links,
    delegates: [],
  };
  return {
    id: `incident--${rng.uuid()}`,
    version: 1 + moves.length + notes,
    title: titleOf(rng, sectors[0]!),
    status,
    level: severity === null ? null : severity.level,
    score: severity === null ? null : severity.score,
    significant: severity?.significant ? 1 : 0,
    sectors: `,${sectors.join(',')},`,
    source: peer ? 'peer' : 'local',
    created: iso(createdMs),
    modified: iso(modifiedMs),
    document: JSON.stringify(document),
    ...recordColumns(peer ? { ...access, owner: null, recipients: [] } : access),
  };
}

/** What a reporter sends for an incident of the same mix (the write path). */
function reportInput(rng: Rng, origin: number): IncidentsService.IncidentInput {
  const access = markingsOf(rng, origin, null);
  const sectors = sectorsOf(rng);
  const selections = selectionsOf(rng);
  const detected = Date.now() - rng.between(0, 86_400_000);
  return {
    title: titleOf(rng, sectors[0]!),
    summary: rng.shuffle(SENTENCES).slice(0, rng.between(1, 4)).join(' '),
    sectors,
    systems: rng.shuffle(SYSTEMS).slice(0, rng.between(1, 3)),
    started_at: iso(detected - rng.between(0, 7 * 86_400_000)),
    detected_at: iso(detected),
    tlp: access.tlp,
    classification: DEFAULT_CLASSIFICATIONS[access.classification]!,
    releasability: [...access.releasability],
    recipients: [...access.recipients],
    ...(selections ? { selections } : {}),
  };
}

// --- the queries --------------------------------------------------------------------------------

interface BoardFilter {
  statuses?: string[];
  sector?: string;
  significant?: boolean;
  q?: string;
  before?: { modified: string; id: string };
}

/**
 * The baseline: the board's query without the access filter: the same columns, filter
 * conditions (written as incidents.repo writes them), order and limit (the page and one more).
 */
function plainBoard(db: Kysely<Database>, filter: BoardFilter): Promise<IncidentsRepo.IncidentRow[]> {
  let query = db.selectFrom('incidents').selectAll();
  if (filter.statuses) query = query.where('status', 'in', filter.statuses);
  if (filter.sector !== undefined) query = query.where(sql<boolean>`replace(sectors, ${`,${filter.sector},`}, '') <> sectors`);
  if (filter.significant !== undefined) query = query.where('significant', '=', filter.significant ? 1 : 0);
  if (filter.q !== undefined) query = query.where(sql<boolean>`replace(lower(title), ${filter.q}, '') <> lower(title)`);
  const before = filter.before;
  if (before) query = query.where((eb) => eb.or([eb('modified', '<', before.modified), eb.and([eb('modified', '=', before.modified), eb('id', '<', before.id)])]));
  return query.orderBy('modified', 'desc').orderBy('id', 'desc').limit(PAGE + 1).execute();
}

const plainGet = (db: Kysely<Database>, id: string) => db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();

interface Spread {
  p50: number;
  p95: number;
  max: number;
}
function spreadOf(times: number[]): Spread {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1]! };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

/** One figure: the analyst over HTTP, the analyst's service call, the baseline; repetition `i` may vary the request. */
interface Figure {
  label: string;
  /** How many of the store's incidents the filter keeps, and how many of those the analyst reads. */
  matching?: { all: number; readable: number };
  http: (i: number) => Promise<unknown>;
  service: (i: number) => Promise<unknown>;
  baseline: (i: number) => Promise<unknown>;
}

interface Measured {
  label: string;
  matching?: { all: number; readable: number };
  http: Spread;
  service: Spread;
  baseline: Spread;
}

/** `requests` repetitions after WARM_UP unmeasured ones, the three ways in turn, each first in turn. */
async function measure(figure: Figure): Promise<Measured> {
  const ways = [figure.http, figure.service, figure.baseline] as const;
  for (let i = 0; i < WARM_UP; i++) for (const way of ways) await way(i);
  const times: [number[], number[], number[]] = [[], [], []];
  for (let i = 0; i < requests; i++) {
    for (let k = 0; k < 3; k++) {
      const w = (i + k) % 3;
      times[w]!.push(await timed(() => ways[w]!(WARM_UP + i)));
    }
  }
  return { label: figure.label, ...(figure.matching ? { matching: figure.matching } : {}), http: spreadOf(times[0]), service: spreadOf(times[1]), baseline: spreadOf(times[2]) };
}

// --- the run ------------------------------------------------------------------------------------

async function openBenchStore(): Promise<{ store: DatabaseModule.Store; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const store = openStore(`sqlite:${path.join(workDir, 'incidents.db')}`);
    return { store, drop: async () => undefined };
  }
  const schema = `sw_incidents_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: args.postgres });
  await admin.connect();
  await admin.query(`drop schema if exists ${schema} cascade`);
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const store = openStore(args.postgres, { schema });
  return {
    store,
    drop: async () => {
      if (args.keep) {
        log(`kept schema ${schema}`);
        return;
      }
      const client = new pg.Client({ connectionString: args.postgres });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

interface Counts {
  readable: number;
  byLevel: number[];
  unscored: number;
  filters: Record<'significant' | 'energy' | 'open' | 'q', { all: number; readable: number }>;
  /** A sample of the incidents the analyst reads (for the single GETs). */
  readableSample: string[];
}

/** Writes `count` incidents in transactions of BATCH rows; counts what the analyst reads of them. */
async function seed(store: DatabaseModule.Store, analyst: PrincipalModule.Principal): Promise<{ counts: Counts; seconds: number }> {
  const rng = createRng(20261203);
  const end = Date.now() - 3_600_000;
  const step = (3 * 365 * 86_400_000) / count;
  const start = end - count * step;
  const counts: Counts = {
    readable: 0,
    byLevel: [0, 0, 0, 0, 0, 0],
    unscored: 0,
    filters: { significant: { all: 0, readable: 0 }, energy: { all: 0, readable: 0 }, open: { all: 0, readable: 0 }, q: { all: 0, readable: 0 } },
    readableSample: [],
  };
  const tally = (key: keyof Counts['filters'], readable: boolean) => {
    counts.filters[key].all++;
    if (readable) counts.filters[key].readable++;
  };
  const started = performance.now();
  let lastLog = started;
  for (let from = 0; from < count; from += BATCH) {
    const rows: IncidentsRepo.IncidentRow[] = [];
    for (let i = from; i < Math.min(count, from + BATCH); i++) {
      const row = incidentRow(rng, rng.int(MEMBERS.length), Math.round(start + i * step + rng.next() * step * 0.9), (count - 1 - i) / count);
      rows.push(row);
      const readable = canReadRecord(analyst, recordAccessOfColumns(row));
      if (readable) {
        counts.readable++;
        if (rng.chance(2000 / count)) counts.readableSample.push(row.id);
      }
      if (row.level === null) counts.unscored++;
      else counts.byLevel[row.level]!++;
      if (row.significant === 1) tally('significant', readable);
      if (row.sectors.includes(',energy,')) tally('energy', readable);
      if (row.status === 'new' || row.status === 'triaged') tally('open', readable);
      if (row.title.toLowerCase().includes(SEARCHED)) tally('q', readable);
    }
    await writeTransaction(store, async (tx) => {
      for (const row of rows) await repo.insertIncident(tx, row);
    });
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      log(`  ${from + rows.length} incidents written`);
    }
  }
  return { counts, seconds: (performance.now() - started) / 1000 };
}

/**
 * What "shaped as the service writes it" means here: the same columns with values of the same
 * types (where neither is null), and a document with the same keys.
 */
function shapeDifference(service: IncidentsRepo.IncidentRow, seeded: IncidentsRepo.IncidentRow): string | undefined {
  const keys = (record: object) => Object.keys(record).sort().join(',');
  if (keys(service) !== keys(seeded)) return `columns ${keys(service)} against ${keys(seeded)}`;
  for (const [column, value] of Object.entries(service)) {
    const other = (seeded as unknown as Record<string, unknown>)[column];
    if (value !== null && other !== null && typeof value !== typeof other) return `column ${column}: ${typeof value} against ${typeof other}`;
  }
  const documents = [JSON.parse(service.document) as object, JSON.parse(seeded.document) as object];
  if (keys(documents[0]!) !== keys(documents[1]!)) return `document ${keys(documents[0]!)} against ${keys(documents[1]!)}`;
  return undefined;
}

async function main(): Promise<void> {
  const { store, drop } = await openBenchStore();
  try {
    await migrateStore(store);
    const config = loadConfig({}, { databaseUrl: store.location, demo: false, logLevel: 'silent' });
    const node = await buildApp({ config, store, logger: false });
    node.setReady(true);
    const ctx = node.ctx;
    await upsertMembers(ctx, SYSTEM_PRINCIPAL, MEMBERS.map((code, m) => ({ code, name: `Member ${code}`, kind: 'ally' as const, country: null, identityId: identityOf(m) })));
    await createUser(ctx, SYSTEM_PRINCIPAL, { name: ANALYST, member: 'DEU', clearance: 2, roles: ['analyst'] });
    const token = (await createToken(ctx, SYSTEM_PRINCIPAL, { name: 'bench', user: ANALYST })).token;
    const analyst = (await principalOfUser(ctx, ANALYST))!;
    if (!analyst.member?.groups.includes('ALLIANCE')) throw new Error(`the analyst's member DEU is not in ALLIANCE (groups: ${analyst.member?.groups.join(', ') ?? 'none'})`);

    const loadAtStart = loadavg()[0]!;
    log(`writing ${count.toLocaleString('en')} incidents into ${store.location} (${dialect}); load average ${loadAtStart.toFixed(1)}`);
    const { counts, seconds } = await seed(store, analyst);
    const seedRate = count / seconds;
    log(`${count.toLocaleString('en')} incidents in ${seconds.toFixed(1)} s (${Math.round(seedRate)}/s); the analyst reads ${counts.readable.toLocaleString('en')} (${((100 * counts.readable) / count).toFixed(1)}%)`);
    log(`levels 0-5: ${counts.byLevel.map((n) => `${((100 * n) / count).toFixed(1)}%`).join(' ')}, unscored ${((100 * counts.unscored) / count).toFixed(1)}%`);
    if (dialect === 'postgres') await sql`analyze incidents`.execute(store.db);

    const http = async (url: string) => {
      const response = await node.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      return response;
    };
    const board = (query: string) => `/api/v1/incidents?limit=${PAGE}${query}`;
    const asService = (query: IncidentsService.BoardQuery) => service.listIncidents(ctx, analyst, { limit: PAGE, ...query });

    // Page 10: the cursor after page 9, for the analyst (from the answers) and for the baseline.
    let cursor: string | null = null;
    for (let page = 1; page < 10; page++) {
      const answer = (await http(board(cursor ? `&cursor=${cursor}` : ''))).json() as { incidents: unknown[]; next_cursor: string | null };
      if (answer.incidents.length !== PAGE || answer.next_cursor === null) throw new Error(`page ${page} of the analyst's board held ${answer.incidents.length} incidents: give more --incidents`);
      cursor = answer.next_cursor;
    }
    let before: { modified: string; id: string } | undefined;
    for (let page = 1; page < 10; page++) {
      const rows = await plainBoard(store.db, before ? { before } : {});
      const last = rows[PAGE - 1]!;
      before = { modified: last.modified, id: last.id };
    }
    const page10 = cursor!;
    const plainBefore = before!;
    const ids = counts.readableSample;
    if (ids.length < 50) throw new Error(`only ${ids.length} readable incidents sampled for the GETs`);

    const figures: Figure[] = [
      { label: 'first page', http: () => http(board('')), service: () => asService({}), baseline: () => plainBoard(store.db, {}) },
      { label: 'significant=true', matching: counts.filters.significant, http: () => http(board('&significant=true')), service: () => asService({ significant: true }), baseline: () => plainBoard(store.db, { significant: true }) },
      { label: 'sector=energy', matching: counts.filters.energy, http: () => http(board('&sector=energy')), service: () => asService({ sector: 'energy' }), baseline: () => plainBoard(store.db, { sector: 'energy' }) },
      { label: 'status=new,triaged', matching: counts.filters.open, http: () => http(board('&status=new,triaged')), service: () => asService({ status: ['new', 'triaged'] }), baseline: () => plainBoard(store.db, { statuses: ['new', 'triaged'] }) },
      { label: `q=${SEARCHED}`, matching: counts.filters.q, http: () => http(board(`&q=${SEARCHED}`)), service: () => asService({ q: SEARCHED }), baseline: () => plainBoard(store.db, { q: SEARCHED }) },
      { label: 'page 10 by cursor', http: () => http(board(`&cursor=${page10}`)), service: () => asService({ cursor: page10 }), baseline: () => plainBoard(store.db, { before: plainBefore }) },
      {
        label: 'GET one incident',
        http: (i) => http(`/api/v1/incidents/${ids[i % ids.length]}`),
        service: (i) => service.getIncident(ctx, analyst, ids[i % ids.length]!),
        baseline: async (i) => {
          if (!(await plainGet(store.db, ids[i % ids.length]!))) throw new Error('a sampled incident is missing');
        },
      },
    ];
    // The analyst's first pages are what the analyst may read, and full.
    const first = (await http(board(''))).json() as { incidents: Array<{ id: string }> };
    if (first.incidents.length !== PAGE) throw new Error(`the analyst's first page held ${first.incidents.length} incidents`);

    const measured: Measured[] = [];
    for (const figure of figures) {
      measured.push(await measure(figure));
      log(`  ${figure.label}: done`);
    }

    // The write path: reports through the service, alternating with the row alone.
    const reporters: PrincipalModule.Principal[] = [];
    for (const code of REPORTING) {
      const name = `reporter.${code.toLowerCase()}`;
      await createUser(ctx, SYSTEM_PRINCIPAL, { name, member: code, clearance: 3, roles: ['incident-handler'] });
      reporters.push((await principalOfUser(ctx, name))!);
    }
    const writeRng = createRng(7);
    const reportTimes: number[] = [];
    const insertTimes: number[] = [];
    let reportedId = '';
    for (let i = 0; i < reports; i++) {
      const reporter = reporters[i % reporters.length]!;
      const input = reportInput(writeRng, MEMBERS.indexOf(reporter.member!.code as (typeof MEMBERS)[number]));
      reportTimes.push(await timed(async () => (reportedId = (await service.reportIncident(ctx, reporter, input)).id)));
      const row = incidentRow(writeRng, writeRng.int(MEMBERS.length), Date.now(), 0);
      insertTimes.push(await timed(() => writeTransaction(store, (tx) => repo.insertIncident(tx, row))));
    }
    const reportSeconds = reportTimes.reduce((a, b) => a + b, 0) / 1000;
    const insertSeconds = insertTimes.reduce((a, b) => a + b, 0) / 1000;
    const reportRate = reports / reportSeconds;
    const insertRate = reports / insertSeconds;

    // The seeded rows have the shape of the service's own.
    const written = await repo.findIncident(store.db, reportedId);
    const seeded = await repo.findIncident(store.db, ids[0]!);
    if (!written || !seeded) throw new Error('the reported or the seeded incident is missing from the store');
    const difference = shapeDifference(written, seeded);
    if (difference !== undefined) throw new Error(`a seeded row is not shaped as the service writes one: ${difference}`);

    const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
    const triple = (s: Spread) => `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.max)}`;
    const ratio = (a: Spread, b: Spread) => `${(a.p50 / b.p50).toFixed(2)} / ${(a.p95 / b.p95).toFixed(2)}`;
    const share = (m: { all: number; readable: number } | undefined) => (m ? `${((100 * m.all) / count).toFixed(1)}% (${((100 * m.readable) / count).toFixed(1)}%)` : '');
    log('');
    log(`${count.toLocaleString('en')} incidents on ${dialect}; the analyst (DEU, ALLIANCE, clearance 2) reads ${((100 * counts.readable) / count).toFixed(1)}% of them; ${requests} requests each, ms p50 / p95 / max; load average (1 min) ${loadAtStart.toFixed(1)} to ${loadavg()[0]!.toFixed(1)}`);
    log('');
    log('| figure | matching (analyst reads) | analyst HTTP | analyst service | baseline: plain select | HTTP / baseline (p50 / p95) | service / baseline (p50 / p95) |');
    log('|---|---|---|---|---|---|---|');
    for (const m of measured) log(`| ${m.label} | ${share(m.matching)} | ${triple(m.http)} | ${triple(m.service)} | ${triple(m.baseline)} | ${ratio(m.http, m.baseline)} | ${ratio(m.service, m.baseline)} |`);
    log('');
    const rs = spreadOf(reportTimes);
    const is = spreadOf(insertTimes);
    log('| write path | incidents/s | ms p50 / p95 / max | ratio to the row alone |');
    log('|---|---|---|---|');
    log(`| reportIncident (STIX copy, audit, event) | ${Math.round(reportRate)} | ${triple(rs)} | ${(reportRate / insertRate).toFixed(3)} |`);
    log(`| baseline: the row alone, one transaction each | ${Math.round(insertRate)} | ${triple(is)} | 1 |`);
    log(`| (the load: repo inserts, ${BATCH} rows per transaction) | ${Math.round(seedRate)} | | |`);

    await node.app.close();
    const round = (n: number) => Number(n.toFixed(2));
    const key = (label: string) => label.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '').toLowerCase();
    const figuresJson: Record<string, number> = {};
    for (const m of measured) {
      figuresJson[`${key(m.label)}_http_p95_ms`] = round(m.http.p95);
      figuresJson[`${key(m.label)}_service_p95_ms`] = round(m.service.p95);
      figuresJson[`${key(m.label)}_baseline_p95_ms`] = round(m.baseline.p95);
    }
    process.stdout.write(
      `${JSON.stringify({
        dialect,
        incidents: count,
        readable_fraction: Number((counts.readable / count).toFixed(4)),
        first_page_p50_ms: round(measured[0]!.http.p50),
        first_page_p95_ms: round(measured[0]!.http.p95),
        ...figuresJson,
        report_incidents_per_s: Math.round(reportRate),
        row_alone_incidents_per_s: Math.round(insertRate),
        load_incidents_per_s: Math.round(seedRate),
      })}\n`,
    );
  } finally {
    await store.close();
    await drop();
  }
}

try {
  await main();
} finally {
  if (!args.keep) rmSync(workDir, { recursive: true, force: true });
  else log(`kept ${workDir}`);
}
