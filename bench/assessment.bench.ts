/**
 * npm run bench:assessment [-- --incidents N] [--sightings N] [--calls N] [--dialect sqlite|postgres] [--postgres URL] [--keep]
 *
 * The cumulative assessment at the size of the goal (issue 19: "an assessment over 100,000
 * incidents and 1M sightings answers in < 200 ms p95"), as an allied analyst meets it: user
 * analyst.deu of member DEU (an ally, group ALLIANCE), cleared to CONFIDENTIAL (2), role analyst.
 *
 * The store, written through the intel pipeline (ingestStream, parallel, as the node, with the
 * node's context but no node around it: no module reacts to the load) from NDJSON generated on
 * the fly (nothing held in memory or on disk): 30 allied members with their STIX
 * identities; 20 intrusion sets, 8 campaigns attributed-to four of them, and one threat actor to
 * which every intrusion set is attributed-to (one of those attributions marked beyond the
 * analyst's need-to-know); N incidents (default 100,000) as STIX incident objects with
 * Shieldwall's extension (suspected actor with its confidence, severity, sectors, start time,
 * reporting member), one in five updated by a second version days later; indicators (one per
 * 50 sightings) each `indicates` an actor; M sightings (default 1,000,000) of those indicators
 * (one in twenty directly of an intrusion set) where_sighted by the members; all spread over
 * 400 days up to yesterday. The busiest intrusion set holds about 40% of the incidents and
 * sightings (rising over time); the threat actor holds everything. Markings are mixed as members
 * mark: TLP:CLEAR, GREEN and AMBER released to the alliance (UNCLASSIFIED to SECRET), AMBER to
 * a member and two partners, AMBER+STRICT to one member, TLP:RED to a named user; the analyst
 * may read most of it, not the SECRET, the partners' it is not among, the AMBER+STRICT and RED
 * of others (it reads its own member's whatever their marking): the need-to-know filter withholds
 * buckets (basis.withheld_buckets > 0, checked).
 *
 * Then the follower (assessment.facts catchUp) applies every stored version: versions per
 * second; baseline in the same run: reading the same versions (intel versionsSince, the same
 * pages of 1,000) and JSON.parse of each body, with no writes (the least a follower must do).
 *
 * Timed, `--calls` times each (default 50, after 5 unmeasured), three ways in turn, each going
 * first in turn:
 *  - service: assessment.service assess() (the goal) or listActors() as the analyst;
 *  - HTTP: GET /api/v1/assessment/actors/{ref}?days=N (or /actors?days=N) through app.inject
 *    with the analyst's token (routing, authentication, the service, the JSON answer);
 *  - baseline (in-run): reading the same stored rows and nothing else: the packed week rows of
 *    the same actors (the actor and those included) from the start of the series (two windows
 *    back), by the same prepared read (assessment.repo weeksOf), not decoded, filtered or scored;
 *    for the list, every actor's rows of the window (weeksSince).
 * Figures: the busiest intrusion set and the threat actor with everything at windows 30, 90 and
 * 365 days, and the list of actors at 30, 90 and 365; p50, p95, p99 and max in ms, and the
 * service's p50 and p95 to the baseline's. Before timing, the analyst's counts of incidents and
 * sightings (the busiest intrusion set over 30 days, the threat actor over 30 and 365) are checked
 * against those the generator knows it may read, and each figure's withheld buckets to be some.
 *
 * SQLite by default (a new file in the temporary folder); `--dialect postgres` uses a new schema
 * in --postgres (default SHIELDWALL_TEST_PG, else postgres://postgres@127.0.0.1:5432/test),
 * dropped afterwards unless --keep, ANALYZEd after the load and after the follower. The program
 * measured is the compiled one (bench/program.ts). Last line: every figure as JSON.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import type * as App from '../src/app.js';
import type * as Config from '../src/config/config.js';
import type * as Logger from '../src/core/logger.js';
import type * as DatabaseModule from '../src/db/database.js';
import type * as Modules from '../src/modules/index.js';
import type * as AssessmentService from '../src/modules/assessment/assessment.service.js';
import type * as AssessmentModel from '../src/modules/assessment/assessment.model.js';
import type * as AssessmentFacts from '../src/modules/assessment/assessment.facts.js';
import type * as AssessmentRepo from '../src/modules/assessment/assessment.repo.js';
import type * as Directory from '../src/modules/directory/directory.service.js';
import type * as DemoIncidents from '../src/modules/demo/demo.incidents.js';
import type * as DemoRng from '../src/modules/demo/demo.rng.js';
import type * as IncidentsScoring from '../src/modules/incidents/incidents.scoring.js';
import type * as IncidentsStix from '../src/modules/incidents/incidents.stix.js';
import type * as Intel from '../src/modules/intel/intel.service.js';
import type * as Markings from '../src/policy/markings.js';
import type * as PrincipalModule from '../src/policy/principal.js';
import type * as Rule from '../src/policy/rule.js';
import type { StixObject } from '../src/stix/types.js';
import { benchArgs, usageError } from './args.js';
import { percentile } from './stats.js';
import { program } from './program.js';

const { buildApp, createContext } = await program<typeof App>('app');
const { createLogger } = await program<typeof Logger>('core/logger');
const { loadConfig } = await program<typeof Config>('config/config');
const { openStore } = await program<typeof DatabaseModule>('db/database');
const { migrateStore } = await program<typeof Modules>('modules/index');
const assessment = await program<typeof AssessmentService>('modules/assessment/assessment.service');
const { dayOf } = await program<typeof AssessmentModel>('modules/assessment/assessment.model');
const assessmentRepo = await program<typeof AssessmentRepo>('modules/assessment/assessment.repo');
const { epochDay, weekOf } = await program<typeof AssessmentFacts>('modules/assessment/assessment.facts');
/** The first week row an answer reads for the days after `since`. */
const firstWeekAfter = (since: string) => weekOf(epochDay(since) + 1);
const { createToken, createUser, principalOfUser, upsertMembers } = await program<typeof Directory>('modules/directory/directory.service');
const { selectionsAt } = await program<typeof DemoIncidents>('modules/demo/demo.incidents');
const { createRng } = await program<typeof DemoRng>('modules/demo/demo.rng');
const { scoreIncident, SEVERITY_LEVELS } = await program<typeof IncidentsScoring>('modules/incidents/incidents.scoring');
const { handlingDefinitionFor, incidentExtensionDefinition, incidentObject, markingRefsOf } = await program<typeof IncidentsStix>('modules/incidents/incidents.stix');
const intel = await program<typeof Intel>('modules/intel/intel.service');
const { SYSTEM_PRINCIPAL } = await program<typeof PrincipalModule>('policy/principal');
const { mayRead } = await program<typeof Rule>('policy/rule');

const { values: args } = benchArgs(import.meta.url, {
  incidents: { type: 'string', default: '100000' },
  sightings: { type: 'string', default: '1000000' },
  calls: { type: 'string', default: '50' },
  dialect: { type: 'string', default: 'sqlite' },
  postgres: { type: 'string', default: process.env.SHIELDWALL_TEST_PG ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  keep: { type: 'boolean', default: false },
});
const incidentCount = Number(args.incidents);
const sightingCount = Number(args.sightings);
const calls = Number(args.calls);
const dialect = args.dialect;
if (!Number.isInteger(incidentCount) || incidentCount < 1000) usageError(`--incidents must be a whole number of at least 1000, got '${args.incidents}'`);
if (!Number.isInteger(sightingCount) || sightingCount < 1000) usageError(`--sightings must be a whole number of at least 1000, got '${args.sightings}'`);
if (!Number.isInteger(calls) || calls < 10) usageError(`--calls must be a whole number of at least 10, got '${args.calls}'`);
if (dialect !== 'sqlite' && dialect !== 'postgres') usageError(`--dialect must be sqlite or postgres, got '${dialect}'`);

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en');
const workDir = path.join(tmpdir(), `shieldwall-assessment-bench-${process.pid}`);
mkdirSync(workDir, { recursive: true });

const DAY_MS = 86_400_000;
const DAYS = 400;
const WINDOWS = [30, 90, 365] as const;
const WARM_UP = 5;
const ANALYST = 'analyst.deu';
const READER_MEMBER = 'DEU';
/** Sightings per indicator, on average. */
const SIGHTINGS_PER_INDICATOR = 50;
/** One incident in five gets a second version (status, severity) some days later. */
const UPDATED_SHARE = 0.2;

// --- ids ------------------------------------------------------------------------------------------

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
/** A version 4 UUID of its own per (kind, k). */
const uuidOf = (kind: number, k: number) => `${hex8(k)}-${hex8(kind).slice(4)}-4000-a000-${hex8(Math.imul(k, 0x9e3779b1))}${hex8(kind).slice(0, 4)}`;

// --- the alliance -----------------------------------------------------------------------------------

const MEMBERS = [
  'DEU', 'FRA', 'GBR', 'USA', 'ITA', 'ESP', 'POL', 'NLD', 'BEL', 'CAN', 'NOR', 'DNK', 'PRT', 'CZE', 'HUN', 'ROU',
  'BGR', 'GRC', 'TUR', 'SVK', 'SVN', 'HRV', 'ALB', 'EST', 'LVA', 'LTU', 'LUX', 'ISL', 'FIN', 'SWE',
] as const;
const identityOf = (m: number) => `identity--${uuidOf(9, m)}`;
/** Larger members report more. */
const MEMBER_WEIGHTS: ReadonlyArray<readonly [number, number]> = MEMBERS.map((_, m) => [m, m < 6 ? 8 : m < 15 ? 4 : 2] as const);

// --- actors -----------------------------------------------------------------------------------------

const INTRUSION_SETS = 20;
const CAMPAIGNS = 8;
const intrusionSetId = (i: number) => `intrusion-set--${uuidOf(5, i)}`;
const campaignId = (c: number) => `campaign--${uuidOf(7, c)}`;
const THREAT_ACTOR = `threat-actor--${uuidOf(6, 0)}`;
/** The campaigns are attributed to the four busiest intrusion sets. */
const campaignSet = (c: number) => c % 4;
/** The attribution of this intrusion set to the threat actor is marked beyond the analyst's need-to-know. */
const HIDDEN_ATTRIBUTION = 11;

/** The actors evidence is attributed to, by index: intrusion sets, then campaigns, then the threat actor. */
const ACTOR_COUNT = INTRUSION_SETS + CAMPAIGNS + 1;
const actorRef = (a: number) => (a < INTRUSION_SETS ? intrusionSetId(a) : a < INTRUSION_SETS + CAMPAIGNS ? campaignId(a - INTRUSION_SETS) : THREAT_ACTOR);
const actorName = (a: number) => (a < INTRUSION_SETS ? `Intrusion Set ${String(a).padStart(2, '0')}` : a < INTRUSION_SETS + CAMPAIGNS ? `Campaign ${a - INTRUSION_SETS}` : 'Threat Actor (everything)');

/**
 * The actor of a piece of evidence on day d: the busiest intrusion set about 40% (rising over
 * the 400 days), the next two 12% and 8%, the rest spread; 5% of what the four busiest hold goes
 * to one of their campaigns, and 1% of everything to the threat actor itself.
 */
function actorOn(rng: DemoRng.Rng, day: number): number {
  if (rng.chance(0.01)) return ACTOR_COUNT - 1;
  const busiest = 40 * (0.5 + day / DAYS);
  const roll = rng.next() * (busiest + 60);
  let set: number;
  if (roll < busiest) set = 0;
  else if (roll < busiest + 12) set = 1;
  else if (roll < busiest + 20) set = 2;
  else set = 3 + Math.floor(((roll - busiest - 20) / 40) * (INTRUSION_SETS - 3));
  if (set < 4 && rng.chance(0.05)) return INTRUSION_SETS + set + 4 * rng.int(CAMPAIGNS / 4);
  return Math.min(set, INTRUSION_SETS - 1);
}

// --- markings ----------------------------------------------------------------------------------------

type Tlp = Markings.Tlp;
interface Marking {
  tlp: Tlp;
  classification: number;
  releasability: string[];
  /** object_marking_refs: the TLP and the handling marking-definition. */
  refs: string[];
  /** May the analyst read evidence so marked, by the member that created it (policy/rule mayRead: the originator reads its own)? */
  readableFrom: boolean[];
}
const handlingDefinitions = new Map<string, StixObject>();
function marking(tlp: Tlp, classification: number, releasability: string[]): Marking {
  const definition = handlingDefinitionFor(classification, releasability);
  handlingDefinitions.set(definition.id as string, definition);
  return { tlp, classification, releasability, refs: markingRefsOf({ tlp, classification, releasability }, definition.id as string), readableFrom: [] };
}
const CLASSIFICATIONS = [0, 1, 2, 3] as const;
const ALLIANCE = Object.fromEntries((['clear', 'green', 'amber'] as const).map((tlp) => [tlp, CLASSIFICATIONS.map((c) => marking(tlp, c, ['ALLIANCE']))])) as Record<'clear' | 'green' | 'amber', Marking[]>;
/** Each member shares with three fixed pairs of partners (regional and bilateral arrangements). */
const partnersOf = (m: number, j: number) => [...new Set([MEMBERS[m]!, MEMBERS[(m + 1 + j) % MEMBERS.length]!, MEMBERS[(m + 5 + 3 * j) % MEMBERS.length]!])].sort();
const PARTNERS = MEMBERS.map((_, m) => [0, 1, 2].map((j) => ({ amber: [0, 1].map((c) => marking('amber', c, partnersOf(m, j))), strict: [0, 1].map((c) => marking('amber+strict', c, partnersOf(m, j))) })));
const OWN_STRICT = MEMBERS.map((code) => [0, 1].map((c) => marking('amber+strict', c, [code])));
const RED = MEMBERS.map((code) => marking('red', 0, ['ALLIANCE', `@handler.${code.toLowerCase()}`]));
const ALL_MARKINGS: Marking[] = [...Object.values(ALLIANCE).flat(), ...PARTNERS.flat().flatMap((p) => [...p.amber, ...p.strict]), ...OWN_STRICT.flat(), ...RED];

type Kind = 'clear' | 'green' | 'amber' | 'amber1' | 'amber2' | 'secret' | 'partners' | 'partners-strict' | 'strict' | 'red';
function markingOf(rng: DemoRng.Rng, m: number, weights: ReadonlyArray<readonly [Kind, number]>): Marking {
  switch (rng.weighted(weights)) {
    case 'clear': return ALLIANCE.clear[0]!;
    case 'green': return ALLIANCE.green[rng.chance(0.8) ? 0 : 1]!;
    case 'amber': return ALLIANCE.amber[0]!;
    case 'amber1': return ALLIANCE.amber[1]!;
    case 'amber2': return ALLIANCE.amber[2]!;
    case 'secret': return ALLIANCE.amber[3]!;
    case 'partners': return PARTNERS[m]![rng.int(3)]!.amber[rng.chance(0.8) ? 0 : 1]!;
    case 'partners-strict': return PARTNERS[m]![rng.int(3)]!.strict[0]!;
    case 'strict': return OWN_STRICT[m]![rng.chance(0.8) ? 0 : 1]!;
    case 'red': return RED[m]!;
  }
}
const SIGHTING_MARKINGS: ReadonlyArray<readonly [Kind, number]> = [['amber', 50], ['green', 18], ['clear', 4], ['amber1', 8], ['amber2', 4], ['secret', 3], ['partners', 6], ['strict', 4], ['red', 3]];
const INDICATOR_MARKINGS: ReadonlyArray<readonly [Kind, number]> = [['green', 55], ['amber', 25], ['clear', 5], ['amber1', 5], ['partners', 5], ['strict', 3], ['secret', 2]];
const INCIDENT_MARKINGS: ReadonlyArray<readonly [Kind, number]> = [['amber', 25], ['amber1', 13], ['amber2', 7], ['secret', 4], ['green', 14], ['clear', 7], ['partners', 12], ['partners-strict', 3], ['red', 5], ['strict', 10]];

// --- incidents ------------------------------------------------------------------------------------------

const SECTORS = ['energy', 'transport', 'banking', 'health', 'drinking-water', 'digital-infrastructure', 'public-administration', 'defence', 'telecommunications', 'manufacturing', 'research', 'space', 'food', 'other'];
const SECTOR_WEIGHTS: ReadonlyArray<readonly [string, number]> = SECTORS.map((s, i) => [s, i < 7 ? 10 : 3] as const);
const KINDS = ['Ransomware at', 'Phishing campaign against', 'DDoS against', 'Data exfiltration from', 'Wiper malware at', 'Espionage implant at', 'Unauthorised access to'];
const TARGETS = ['a regional grid operator', 'a port authority', 'a retail bank', 'a hospital group', 'a ministry', 'a mobile operator', 'a defence contractor', 'a water utility'];

function selectionsOf(rng: DemoRng.Rng): Record<string, string> | null {
  if (rng.chance(0.08)) return null;
  const level = rng.weighted([[0, 22], [1, 26], [2, 22], [3, 15], [4, 10], [5, 5]] as const);
  const low = SEVERITY_LEVELS[level]!.min_score;
  const high = SEVERITY_LEVELS[level + 1]?.min_score ?? 100;
  return selectionsAt((low + rng.next() * (high - low)) / 100);
}

const iso = (ms: number) => new Date(ms).toISOString();

interface Window {
  /** Milliseconds of the first day (00:00 UTC); the last day is yesterday. */
  firstDayMs: number;
}

/** What the generator knows of incident i (its own random stream, so that its update can be made again later). */
interface IncidentPlan {
  day: number;
  actor: number;
  member: number;
  marking: Marking;
}

function incidentPlan(i: number): { rng: DemoRng.Rng; plan: IncidentPlan } {
  const rng = createRng((0x5eed + Math.imul(i, 0x9e3779b1)) >>> 0);
  // Incidents arrive evenly over the days.
  const day = Math.min(DAYS - 1, Math.floor(((i + rng.next()) * DAYS) / incidentCount));
  const member = rng.weighted(MEMBER_WEIGHTS);
  return { rng, plan: { day, actor: actorOn(rng, day), member, marking: markingOf(rng, member, INCIDENT_MARKINGS) } };
}

/** Incident i as STIX: version 1, or version 2 (closed, rescored) `updateDays` later. */
function incidentVersion(i: number, w: Window, version: 1 | 2): { object: StixObject; plan: IncidentPlan; updateDay: number | null } {
  const { rng, plan } = incidentPlan(i);
  const startedMs = w.firstDayMs + plan.day * DAY_MS + rng.int(DAY_MS);
  const detectedMs = startedMs + rng.int(3 * DAY_MS);
  const createdMs = detectedMs + rng.int(6 * 3_600_000);
  const updateDay = rng.chance(UPDATED_SHARE) ? plan.day + rng.between(1, 20) : null;
  const sectors = [...new Set([rng.weighted(SECTOR_WEIGHTS), ...(rng.chance(0.3) ? [rng.weighted(SECTOR_WEIGHTS)] : [])])];
  let selections = selectionsOf(rng);
  const confidence = rng.pick([15, 50, 70, 85, 95]);
  const title = `${rng.pick(KINDS)} ${rng.pick(TARGETS)}`;
  let modifiedMs = createdMs;
  let status: IncidentsStix.IncidentExtension['status'] = rng.pick(['new', 'triaged', 'contained', 'recovered', 'closed'] as const);
  if (version === 2) {
    modifiedMs = Math.max(createdMs + 60_000, w.firstDayMs + updateDay! * DAY_MS + rng.int(DAY_MS));
    status = 'closed';
    selections = selectionsOf(rng) ?? selections;
  }
  const scored = selections === null ? null : scoreIncident(selections);
  const code = MEMBERS[plan.member]!;
  const object = incidentObject({
    id: `incident--${uuidOf(1, i)}`,
    title,
    summary: 'Reported by the member CSIRT; indicators shared with the alliance.',
    created: iso(createdMs),
    modified: iso(modifiedMs),
    createdByRef: identityOf(plan.member),
    markingRefs: plan.marking.refs,
    extension: {
      status,
      severity: scored === null ? null : { score: scored.score, level: scored.level, level_name: scored.level_name, significant: scored.significant, selections: selections! },
      sectors,
      systems: [],
      handler: null,
      started_at: iso(startedMs),
      detected_at: iso(detectedMs),
      actor: { ref: actorRef(plan.actor), name: actorName(plan.actor), confidence },
      timeline: [],
      tasks: [],
      links: [],
      reporting_member: code,
    },
  });
  return { object, plan, updateDay };
}

// --- indicators and sightings -------------------------------------------------------------------------

const indicatorCount = Math.max(100, Math.round(sightingCount / SIGHTINGS_PER_INDICATOR));
interface IndicatorPlan {
  actor: number;
  member: number;
  marking: Marking;
}
/** Indicators by actor (each `indicates` one actor; its relationship marked as the indicator). */
function indicatorPlans(): { plans: IndicatorPlan[]; byActor: number[][] } {
  const rng = createRng(0x1d1ca7);
  const plans: IndicatorPlan[] = [];
  const byActor: number[][] = Array.from({ length: ACTOR_COUNT }, () => []);
  for (let k = 0; k < indicatorCount; k++) {
    const member = rng.weighted(MEMBER_WEIGHTS);
    const plan = { actor: actorOn(rng, DAYS / 2), member, marking: markingOf(rng, member, INDICATOR_MARKINGS) };
    plans.push(plan);
    byActor[plan.actor]!.push(k);
  }
  // Every actor has at least one indicator to be sighted through.
  for (let a = 0; a < ACTOR_COUNT; a++) {
    if (byActor[a]!.length === 0) {
      plans.push({ actor: a, member: 1, marking: ALLIANCE.green[0]! });
      byActor[a]!.push(plans.length - 1);
    }
  }
  return { plans, byActor };
}

const indicatorId = (k: number) => `indicator--${uuidOf(3, k)}`;
const CREATED = '2025-01-01T00:00:00.000Z';

function indicatorObjects(k: number, plan: IndicatorPlan): StixObject[] {
  const by = identityOf(plan.member);
  const hash = createHash('sha256').update(`indicator ${k}`).digest('hex');
  return [
    { type: 'indicator', spec_version: '2.1', id: indicatorId(k), created: CREATED, modified: CREATED, created_by_ref: by, name: `Payload ${k}`, pattern: `[file:hashes.'SHA-256' = '${hash}']`, pattern_type: 'stix', valid_from: CREATED, object_marking_refs: plan.marking.refs },
    { type: 'relationship', spec_version: '2.1', id: `relationship--${uuidOf(4, k)}`, created: CREATED, modified: CREATED, created_by_ref: by, relationship_type: 'indicates', source_ref: indicatorId(k), target_ref: actorRef(plan.actor), confidence: 60 + (k % 40), object_marking_refs: plan.marking.refs },
  ];
}

/** The objects the evidence refers to: identities, handling markings, the extension-definition, actors and their attributions. */
function headObjects(): StixObject[] {
  const base = { spec_version: '2.1', created: CREATED, modified: CREATED };
  const green = ALLIANCE.green[0]!.refs;
  const out: StixObject[] = [incidentExtensionDefinition(), ...handlingDefinitions.values()];
  MEMBERS.forEach((code, m) => out.push({ type: 'identity', id: identityOf(m), ...base, name: `National CSIRT ${code}`, identity_class: 'organization', object_marking_refs: green }));
  for (let i = 0; i < INTRUSION_SETS; i++) {
    out.push({ type: 'intrusion-set', id: intrusionSetId(i), ...base, name: actorName(i), created_by_ref: identityOf(i % MEMBERS.length), object_marking_refs: green });
    out.push({
      type: 'relationship', id: `relationship--${uuidOf(8, i)}`, ...base, created_by_ref: identityOf(1), relationship_type: 'attributed-to', source_ref: intrusionSetId(i), target_ref: THREAT_ACTOR,
      confidence: 50 + ((i * 7) % 45), object_marking_refs: i === HIDDEN_ATTRIBUTION ? OWN_STRICT[1]![0]!.refs : green,
    });
  }
  for (let c = 0; c < CAMPAIGNS; c++) {
    out.push({ type: 'campaign', id: campaignId(c), ...base, name: actorName(INTRUSION_SETS + c), created_by_ref: identityOf(2), object_marking_refs: green });
    out.push({ type: 'relationship', id: `relationship--${uuidOf(10, c)}`, ...base, created_by_ref: identityOf(2), relationship_type: 'attributed-to', source_ref: campaignId(c), target_ref: intrusionSetId(campaignSet(c)), confidence: 80, object_marking_refs: green });
  }
  out.push({ type: 'threat-actor', id: THREAT_ACTOR, ...base, name: actorName(ACTOR_COUNT - 1), threat_actor_types: ['nation-state'], created_by_ref: identityOf(1), object_marking_refs: green });
  return out;
}

/** What the analyst may read, as the generator wrote it: per actor and day, incidents and sighting counts (for the check). */
interface Tally {
  incidents: Int32Array[];
  /** Sum of the counts of sightings it may read, directly of the actor or of an indicator whose link to the actor it may read. */
  sightings: Int32Array[];
}

interface Written {
  objects: number;
  incidents: number;
  incidentVersions: number;
  indicators: number;
  sightings: number;
  tally: Tally;
}

/**
 * The NDJSON stream of the evidence: the indicators with their relationships, then day by day the
 * incidents (and second versions falling due) and the sightings of that day. Chunks of about 1 MiB.
 */
async function* evidence(w: Window, written: Written, indicators: { plans: IndicatorPlan[]; byActor: number[][] }): AsyncGenerator<Uint8Array> {
  let text = '';
  const put = (object: StixObject) => {
    written.objects++;
    text += `${JSON.stringify(object)}\n`;
  };
  for (let k = 0; k < indicators.plans.length; k++) {
    for (const object of indicatorObjects(k, indicators.plans[k]!)) put(object);
    written.indicators++;
    if (text.length > 1 << 20) {
      yield Buffer.from(text);
      text = '';
    }
  }
  const rng = createRng(0x5167);
  const updates = new Map<number, number[]>();
  let nextIncident = 0;
  let sightingNo = 0;
  for (let day = 0; day < DAYS; day++) {
    const incidentsBy = Math.round(((day + 1) * incidentCount) / DAYS);
    for (; nextIncident < incidentsBy; nextIncident++) {
      const { object, plan, updateDay } = incidentVersion(nextIncident, w, 1);
      put(object);
      written.incidents++;
      written.incidentVersions++;
      if (plan.marking.readableFrom[plan.member]) written.tally.incidents[plan.actor]![plan.day]!++;
      if (updateDay !== null && updateDay < DAYS) updates.set(updateDay, [...(updates.get(updateDay) ?? []), nextIncident]);
    }
    for (const i of updates.get(day) ?? []) {
      put(incidentVersion(i, w, 2).object);
      written.incidentVersions++;
    }
    updates.delete(day);
    const sightingsBy = Math.round(((day + 1) * sightingCount) / DAYS);
    for (; sightingNo < sightingsBy; sightingNo++) {
      const member = rng.weighted(MEMBER_WEIGHTS);
      const mark = markingOf(rng, member, SIGHTING_MARKINGS);
      const actor = actorOn(rng, day);
      const direct = actor < INTRUSION_SETS && rng.chance(0.05);
      const list = indicators.byActor[actor]!;
      const k = direct ? -1 : list[rng.int(list.length)]!;
      const count = rng.weighted([[1, 60], [2, 20], [rng.between(3, 9), 15], [rng.between(10, 50), 5]] as const);
      const firstMs = w.firstDayMs + day * DAY_MS + rng.int(DAY_MS - 3_600_000);
      const lastMs = firstMs + rng.int(3_600_000);
      const by = identityOf(member);
      put({
        type: 'sighting', spec_version: '2.1', id: `sighting--${uuidOf(2, sightingNo)}`, created: iso(lastMs + 60_000), modified: iso(lastMs + 60_000), created_by_ref: by,
        sighting_of_ref: direct ? actorRef(actor) : indicatorId(k), where_sighted_refs: [by], count, first_seen: iso(firstMs), last_seen: iso(lastMs),
        confidence: rng.pick([50, 70, 85, 100]), object_marking_refs: mark.refs,
      });
      written.sightings++;
      if (mark.readableFrom[member] && (direct || indicators.plans[k]!.marking.readableFrom[indicators.plans[k]!.member])) written.tally.sightings[direct ? actor : indicators.plans[k]!.actor]![day]! += count;
      if (text.length > 1 << 20) {
        yield Buffer.from(text);
        text = '';
      }
    }
    if (text.length > 1 << 20) {
      yield Buffer.from(text);
      text = '';
    }
  }
  if (text) yield Buffer.from(text);
}

// --- measuring --------------------------------------------------------------------------------------------

interface Spread {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}
function spreadOf(times: readonly number[]): Spread {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
}
async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

interface Figure {
  label: string;
  service: () => Promise<unknown>;
  http: () => Promise<unknown>;
  baseline: () => Promise<unknown>;
}
interface Measured {
  label: string;
  service: Spread;
  http: Spread;
  baseline: Spread;
}

/** `calls` repetitions after WARM_UP unmeasured ones, the three ways in turn, each going first in turn. */
async function measure(figure: Figure): Promise<Measured> {
  const ways = [figure.service, figure.http, figure.baseline] as const;
  for (let i = 0; i < WARM_UP; i++) for (const way of ways) await way();
  const times: [number[], number[], number[]] = [[], [], []];
  for (let i = 0; i < calls; i++) {
    for (let k = 0; k < 3; k++) {
      const w = (i + k) % 3;
      times[w]!.push(await timed(ways[w]!));
    }
  }
  return { label: figure.label, service: spreadOf(times[0]), http: spreadOf(times[1]), baseline: spreadOf(times[2]) };
}

// --- the run ----------------------------------------------------------------------------------------------

async function openBenchStore(): Promise<{ store: DatabaseModule.Store; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') return { store: openStore(`sqlite:${path.join(workDir, 'assessment.db')}`), drop: async () => undefined };
  const schema = `sw_assessment_bench_${process.pid}`;
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

async function analyze(store: DatabaseModule.Store, tables: readonly string[]): Promise<void> {
  if (dialect !== 'postgres') return;
  for (const table of tables) await sql`analyze ${sql.table(table)}`.execute(store.db);
}

async function main(): Promise<void> {
  const { store, drop } = await openBenchStore();
  try {
    await migrateStore(store);
    const config = loadConfig({}, { databaseUrl: store.location, demo: false, logLevel: 'silent' });
    // The store is loaded and followed with the node's context but no node around it: no module
    // reacts to the load (the incidents board would read every incident into its table, which no
    // figure here reads). The node is built on the store afterwards, for the timings.
    const ctx = createContext({ config, store, logger: createLogger('silent', 2) });
    await upsertMembers(ctx, SYSTEM_PRINCIPAL, MEMBERS.map((code, m) => ({ code, name: `Member ${code}`, kind: 'ally' as const, country: null, identityId: identityOf(m) })));
    await createUser(ctx, SYSTEM_PRINCIPAL, { name: ANALYST, member: READER_MEMBER, clearance: 2, roles: ['analyst'] });
    const token = (await createToken(ctx, SYSTEM_PRINCIPAL, { name: 'bench', user: ANALYST })).token;
    const analyst = (await principalOfUser(ctx, ANALYST))!;
    if (!analyst.member?.groups.includes('ALLIANCE')) throw new Error(`the analyst's member ${READER_MEMBER} is not in ALLIANCE (groups: ${analyst.member?.groups.join(', ') ?? 'none'})`);
    for (const m of ALL_MARKINGS) m.readableFrom = MEMBERS.map((code) => mayRead(analyst, m, null, code, []));
    log(`the analyst may read ${ALL_MARKINGS.filter((m) => m.readableFrom[1]).length} of the ${ALL_MARKINGS.length} markings used (of another member's evidence)`);

    // --- the store ---------------------------------------------------------------------------------
    const loadAtStart = loadavg()[0]!;
    const today = Date.parse(`${dayOf(new Date())}T00:00:00.000Z`);
    const w: Window = { firstDayMs: today - DAYS * DAY_MS };
    const head = await intel.ingestObjects(ctx, SYSTEM_PRINCIPAL, headObjects());
    if (head.rejected > 0) throw new Error(`${head.rejected} of the actors, identities and markings were refused`);
    const indicators = indicatorPlans();
    const written: Written = {
      objects: 0, incidents: 0, incidentVersions: 0, indicators: 0, sightings: 0,
      tally: { incidents: Array.from({ length: ACTOR_COUNT }, () => new Int32Array(DAYS)), sightings: Array.from({ length: ACTOR_COUNT }, () => new Int32Array(DAYS)) },
    };
    log(`ingesting ${fmt(incidentCount)} incidents, ${fmt(sightingCount)} sightings and ${fmt(indicators.plans.length)} indicators into ${store.location} (${dialect}); load average ${loadAtStart.toFixed(1)}`);
    let lastLog = performance.now();
    const ingestStarted = performance.now();
    const ingested = await intel.ingestStream(ctx, SYSTEM_PRINCIPAL, evidence(w, written, indicators), {
      parallel: true,
      onProgress: (p) => {
        if (performance.now() - lastLog < 10_000) return;
        lastLog = performance.now();
        log(`  ${fmt(p.objects)} objects`);
      },
    });
    const ingestS = (performance.now() - ingestStarted) / 1000;
    if (ingested.accepted !== written.objects) throw new Error(`${written.objects - ingested.accepted} of ${written.objects} objects were not accepted (${ingested.rejected} refused, ${ingested.duplicate} duplicates)`);
    log(`ingested ${fmt(ingested.accepted)} objects (${fmt(written.incidentVersions)} incident versions, ${fmt(written.sightings)} sightings) in ${ingestS.toFixed(1)} s (${fmt(ingested.accepted / ingestS)} objects/s)`);
    await analyze(store, ['stix_objects']);

    // --- the follower ---------------------------------------------------------------------------------
    const before = await store.db.selectFrom('assessment_state').select('value').where('name', '=', 'seq').executeTakeFirst();
    if (before !== undefined) throw new Error(`the follower ran during the ingest (watermark ${before.value}): the bench times it alone`);
    lastLog = performance.now();
    const followStarted = performance.now();
    const applied = await assessment.catchUp(ctx, (total) => {
      if (performance.now() - lastLog < 10_000) return;
      lastLog = performance.now();
      log(`  follower: ${fmt(total)} versions, ${fmt(total / ((performance.now() - followStarted) / 1000))}/s`);
    });
    const followS = (performance.now() - followStarted) / 1000;
    const followRate = applied / followS;
    await analyze(store, ['assessment_weeks', 'assessment_incidents', 'assessment_sightings', 'assessment_links', 'assessment_terms']);
    // The baseline: the same versions read in the same pages and parsed, nothing written.
    const readStarted = performance.now();
    let read = 0;
    for (let after = 0; ;) {
      const page = await intel.versionsSince(ctx, ['incident', 'sighting', 'relationship'], after, 1000);
      if (page.length === 0) break;
      for (const version of page) if (typeof JSON.parse(version.body) !== 'object') throw new Error('a body is not an object');
      read += page.length;
      after = page[page.length - 1]!.seq;
    }
    const readS = (performance.now() - readStarted) / 1000;
    const readRate = read / readS;
    const stored = await store.db.selectFrom('assessment_weeks').select([sql<number>`count(*)`.as('rows'), sql<number>`sum(buckets)`.as('buckets')]).executeTakeFirstOrThrow();
    const bucketRows = Number(stored.buckets);
    log(`follower: ${fmt(applied)} versions in ${followS.toFixed(1)} s (${fmt(followRate)}/s); reading and parsing them alone ${fmt(readRate)}/s (${fmt(read)} versions); ${fmt(bucketRows)} daily buckets in ${fmt(Number(stored.rows))} rows of an actor's week`);
    if (applied !== read) throw new Error(`the follower applied ${applied} versions, the store holds ${read}`);

    const node = await buildApp({ config, store, logger: false });
    node.setReady(true);

    // --- what the analyst is told is what it may read --------------------------------------------------
    const busiest = intrusionSetId(0);
    const at = new Date();
    for (const [ref, days] of [[busiest, 30], [THREAT_ACTOR, 30], [THREAT_ACTOR, 365]] as const) {
      const told = await assessment.assess(node.ctx, analyst, ref, { days, at });
      const from = dayOf(new Date(at.getTime() - days * DAY_MS));
      const last = dayOf(at);
      const included = new Set([ref, ...told.includes.map((i) => i.ref)]);
      let incidents = 0;
      let sightings = 0;
      for (let a = 0; a < ACTOR_COUNT; a++) {
        if (!included.has(actorRef(a))) continue;
        for (let d = 0; d < DAYS; d++) {
          const day = dayOf(new Date(w.firstDayMs + d * DAY_MS));
          if (day <= from || day > last) continue;
          incidents += written.tally.incidents[a]![d]!;
          sightings += written.tally.sightings[a]![d]!;
        }
      }
      if (told.parts.counts.incidents !== incidents || told.parts.counts.sightings !== sightings) {
        throw new Error(`${ref} over ${days} days: the analyst is told ${told.parts.counts.incidents} incidents and ${told.parts.counts.sightings} sightings; it may read ${incidents} and ${sightings}`);
      }
      log(`check: ${ref === busiest ? 'the busiest intrusion set' : 'the threat actor'} over ${days} days (${included.size} actors): the analyst reads ${fmt(incidents)} incidents and ${fmt(sightings)} sightings, as written; ${fmt(told.basis.withheld_buckets)} buckets withheld`);
    }

    // --- timing -----------------------------------------------------------------------------------------
    const http = async (url: string) => {
      const response = await node.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      return response;
    };
    const subjects = [
      { key: 'busiest', label: 'busiest intrusion set', ref: busiest },
      { key: 'everything', label: 'threat actor with everything', ref: THREAT_ACTOR },
    ];
    const figures: Array<Figure & { key: string; basis?: { readable: number; withheld: number; score: number; incidents: number; sightings: number; includes: number } }> = [];
    for (const subject of subjects) {
      for (const days of WINDOWS) {
        const answer = await assessment.assess(node.ctx, analyst, subject.ref, { days });
        if (answer.basis.withheld_buckets === 0) throw new Error(`${subject.label} at ${days} days: no bucket withheld from the analyst; the need-to-know filter does no work here`);
        const actors = [subject.ref, ...answer.includes.map((i) => i.ref)];
        const since = dayOf(new Date(Date.now() - 2 * days * DAY_MS));
        figures.push({
          key: `${subject.key}_${days}`,
          label: `${subject.label}, ${days} days`,
          basis: { readable: answer.basis.readable_buckets, withheld: answer.basis.withheld_buckets, score: answer.score, incidents: answer.parts.counts.incidents, sightings: answer.parts.counts.sightings, includes: answer.includes.length },
          service: () => assessment.assess(node.ctx, analyst, subject.ref, { days }),
          http: () => http(`/api/v1/assessment/actors/${subject.ref}?days=${days}`),
          baseline: () => assessmentRepo.weeksOf(store, actors, firstWeekAfter(since)),
        });
      }
    }
    for (const days of WINDOWS) {
      const since = dayOf(new Date(Date.now() - days * DAY_MS));
      figures.push({
        key: `list_${days}`,
        label: `list of actors, ${days} days`,
        service: () => assessment.listActors(node.ctx, analyst, { days }),
        http: () => http(`/api/v1/assessment/actors?days=${days}`),
        baseline: () => assessmentRepo.weeksSince(store, firstWeekAfter(since), 1_000_000),
      });
    }
    const measured: Array<Measured & { key: string }> = [];
    for (const figure of figures) {
      measured.push({ key: figure.key, ...(await measure(figure)) });
      const m = measured[measured.length - 1]!;
      log(`  ${figure.label}: service p50 ${m.service.p50.toFixed(1)} ms, p95 ${m.service.p95.toFixed(1)} ms`);
    }

    // --- the report -------------------------------------------------------------------------------------
    const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
    const four = (s: Spread) => `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)} / ${ms(s.max)}`;
    const loadAtEnd = loadavg()[0]!;
    log('');
    log(`${fmt(incidentCount)} incidents (${fmt(written.incidentVersions)} versions), ${fmt(written.sightings)} sightings of ${fmt(written.indicators)} indicators and intrusion sets, over ${DAYS} days, ${MEMBERS.length} members, on ${dialect}; as ${ANALYST} (${READER_MEMBER}, ALLIANCE, CONFIDENTIAL); ${calls} calls each, ms p50 / p95 / p99 / max; load average (1 min) ${loadAtStart.toFixed(1)} to ${loadAtEnd.toFixed(1)}`);
    log('');
    log('| figure | buckets read / withheld | score (incidents, sightings) | service | HTTP | baseline: the rows alone | service / baseline (p50 / p95) |');
    log('|---|---|---|---|---|---|---|');
    for (const m of measured) {
      const figure = figures.find((f) => f.key === m.key)!;
      const b = figure.basis;
      const basis = b ? `${fmt(b.readable)} / ${fmt(b.withheld)}` : '';
      const score = b ? `${b.score} (${fmt(b.incidents)}, ${fmt(b.sightings)})` : '';
      log(`| ${m.label} | ${basis} | ${score} | ${four(m.service)} | ${four(m.http)} | ${four(m.baseline)} | ${(m.service.p50 / m.baseline.p50).toFixed(1)} / ${(m.service.p95 / m.baseline.p95).toFixed(1)} |`);
    }
    log('');
    log('| follower | versions | seconds | versions/s | ratio to reading alone |');
    log('|---|---|---|---|---|');
    log(`| catchUp (apply, buckets, watermark) | ${fmt(applied)} | ${followS.toFixed(1)} | ${fmt(followRate)} | ${(followRate / readRate).toFixed(3)} |`);
    log(`| baseline: versionsSince + JSON.parse | ${fmt(read)} | ${readS.toFixed(1)} | ${fmt(readRate)} | 1 |`);
    log(`| (the ingest, for comparison) | ${fmt(ingested.accepted)} objects | ${ingestS.toFixed(1)} | ${fmt(ingested.accepted / ingestS)} | |`);

    await node.app.close();
    const round = (n: number) => Number(n.toFixed(2));
    const json: Record<string, number | string> = { dialect, incidents: incidentCount, sightings: sightingCount, buckets: bucketRows };
    for (const m of measured) {
      json[`${m.key}_p50_ms`] = round(m.service.p50);
      json[`${m.key}_p95_ms`] = round(m.service.p95);
      json[`${m.key}_http_p95_ms`] = round(m.http.p95);
      json[`${m.key}_baseline_p95_ms`] = round(m.baseline.p95);
    }
    const worst = Math.max(...measured.filter((m) => !m.key.startsWith('list')).map((m) => m.service.p95));
    Object.assign(json, { assess_worst_p95_ms: round(worst), follower_versions_per_s: Math.round(followRate), read_versions_per_s: Math.round(readRate), ingest_objects_per_s: Math.round(ingested.accepted / ingestS) });
    process.stdout.write(`${JSON.stringify(json)}\n`);
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
