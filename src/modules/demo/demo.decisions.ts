/**
 * The demo alliance's cumulative assessment and consultation. A fictional intrusion set, Hollow
 * Sleet, attributed to a fictional state directorate, has hit three Allies in the last two months:
 * Estonia, Latvia and Finland each reported incidents attributed to it (with their severity
 * scored), and each sighted indicators that point to it. Its 90-day cumulative score is close to,
 * but below, the consultation threshold. Estonia requested a consultation anyway: the members
 * made statements, Estonia tabled a technical briefing, the alliance body kept the minutes. An
 * earlier proposal (intelligence sharing and coordinated defensive measures) passed its silence
 * procedure and is on record as a decision; a second one (coordinated public attribution and a
 * demarche) had its silence broken by France, was amended and is under silence again until a few
 * days from now. Estonia drafted the attribution statement that goes with it: Latvia and Finland
 * joined, France declined.
 *
 * Everything goes through the services as the demo's own users, each step on the node's clock as
 * it stood then (the same clock, set back): records, audit entries and the decision record carry
 * the times of the story, and the silence that passed was decided by resolveSilence as its
 * deadline job decides it. Deterministic ids for the STIX objects, so that the docs can name
 * them. Every name, address and domain is fictional or reserved for documentation.
 */
import type { AppContext } from '../../core/context.js';
import { fixedClock } from '../../core/clock.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import { uuidv5 } from '../../stix/sco-id.js';
import type { StixObject } from '../../stix/types.js';
import * as assessment from '../assessment/assessment.service.js';
import * as decisions from '../decisions/decisions.service.js';
import * as statements from '../decisions/statements.service.js';
import { createUser, findUser, principalOfUser, type User } from '../directory/directory.service.js';
import type { IncidentStatus } from '../incidents/incidents.model.js';
import * as incidents from '../incidents/incidents.service.js';
import { ingestObjects } from '../intel/intel.service.js';
import { selectionsAt } from './demo.incidents.js';
import { DEMO_ALLIANCE_CODE, SYNTHETIC_NOTICE } from './demo.model.js';

const NAMESPACE = 'b7c1d0a4-5e2f-4c8b-9a61-3f0e8d2c7b15';
const stixId = (type: string, name: string) => `${type}--${uuidv5(NAMESPACE, name)}`;

/** The actor of the story and whom it is attributed to (fixed ids: docs/DECISIONS-CLI.md names them). */
export const DEMO_ACTOR = Object.freeze({
  intrusionSet: { id: stixId('intrusion-set', 'hollow-sleet'), name: 'Hollow Sleet' },
  threatActor: { id: stixId('threat-actor', 'grey-heron-directorate'), name: 'Grey Heron Directorate' },
});

/**
 * Political delegates of the members that consult (France's exists already: demo.service.ts) and
 * Latvia's incident handler. No passwords: sign in after an administrator sets one.
 */
export const DEMO_DECISIONS_USERS: readonly User[] = [
  { name: 'demo.delegate.ee', member: 'EST', clearance: 3, roles: ['political-delegate'] },
  { name: 'demo.delegate.lv', member: 'LVA', clearance: 3, roles: ['political-delegate'] },
  { name: 'demo.delegate.fi', member: 'FIN', clearance: 3, roles: ['political-delegate'] },
  { name: 'demo.handler.lv', member: 'LVA', clearance: 2, roles: ['incident-handler'] },
];

/** The handlers who report the incidents (Estonia's and Finland's come from demo.incidents.ts and demo.assistance.ts). */
const HANDLER_USERS: readonly User[] = [
  { name: 'demo.handler.ee', member: 'EST', clearance: 2, roles: ['incident-handler'] },
  { name: 'demo.handler.fi', member: 'FIN', clearance: 2, roles: ['incident-handler'] },
];

const DAY = 86_400_000;
const HOUR = 3_600_000;

interface ActorIncident {
  handler: string;
  title: string;
  summary: string;
  sectors: string[];
  systems: string[];
  /** Where in each category's options the scoring lands (demo.incidents.ts selectionsAt). */
  severity: number;
  /** Confidence of the attribution to Hollow Sleet (STIX 2.1 section 3.2 scale). */
  confidence: number;
  daysAgo: number;
  moves: IncidentStatus[];
}

const INCIDENTS: readonly ActorIncident[] = [
  {
    handler: 'demo.handler.ee', title: 'Diplomatic mail accounts accessed through a forged single sign-on page', sectors: ['public-administration'], systems: ['Single sign-on', 'Mail platform'],
    summary: `${SYNTHETIC_NOTICE}: a forged sign-on page harvested the credentials of twelve diplomats; the mailboxes were read for two weeks.`,
    severity: 0.5, confidence: 75, daysAgo: 52, moves: ['triaged', 'contained', 'eradicated'],
  },
  {
    handler: 'demo.handler.lv', title: 'Implant on the IT network of an electricity distribution operator', sectors: ['energy'], systems: ['Domain controllers', 'Jump hosts'],
    summary: `${SYNTHETIC_NOTICE}: a backdoor on two jump hosts that reach the operations network; no effect on distribution seen.`,
    severity: 0.6, confidence: 70, daysAgo: 31, moves: ['triaged', 'contained'],
  },
  {
    handler: 'demo.handler.fi', title: 'Reconnaissance of a telecom operator\'s core network management', sectors: ['telecommunications'], systems: ['Network management system'],
    summary: `${SYNTHETIC_NOTICE}: scanning and failed logins on the management interfaces of core routers, from infrastructure tied to the intrusion set.`,
    severity: 0.2, confidence: 50, daysAgo: 17, moves: ['triaged'],
  },
  {
    handler: 'demo.handler.ee', title: 'Credential theft at a defence procurement agency', sectors: ['public-administration'], systems: ['Procurement portal'],
    summary: `${SYNTHETIC_NOTICE}: the same forged sign-on kit, now against procurement staff; four accounts reset before use.`,
    severity: 0.3, confidence: 65, daysAgo: 6, moves: [],
  },
];

/** Indicators each member found and sightings of them: [member, pattern, sightings as [days ago, count]]. */
const INDICATORS: ReadonlyArray<readonly [string, string, string, ReadonlyArray<readonly [number, number]>]> = [
  ['EST', 'Forged sign-on page host', "[domain-name:value = 'sso-login.hollow-sleet.example']", [[50, 8], [20, 4], [5, 5]]],
  ['LVA', 'Implant command-and-control address', "[ipv4-addr:value = '198.51.100.77']", [[30, 3], [12, 2]]],
  ['FIN', 'Scanning source address', "[ipv4-addr:value = '203.0.113.140']", [[16, 5]]],
];

export interface DemoDecisionsResult {
  /** The intrusion set assessed and consulted on. */
  actor: string | null;
  incidents: number;
  sightings: number;
  consultations: number;
  proposals: number;
  decisions: number;
  statements: number;
}

const stamp = (ms: number) => new Date(ms).toISOString();
/** The next full hour from a time: deadlines people read. */
const onTheHour = (ms: number) => Math.ceil(ms / HOUR) * HOUR;

/** The STIX objects of the story: the actor, its attribution, the members' indicators and sightings. */
export function demoActorObjects(now: number, identities: ReadonlyMap<string, string>): StixObject[] {
  const alliance = identities.get(DEMO_ALLIANCE_CODE);
  const amber = [TLP2_MARKING_IDS.amber];
  const longAgo = stamp(now - 400 * DAY);
  const objects: StixObject[] = [
    {
      type: 'threat-actor', spec_version: '2.1', id: DEMO_ACTOR.threatActor.id, ...(alliance ? { created_by_ref: alliance } : {}), created: longAgo, modified: longAgo,
      name: DEMO_ACTOR.threatActor.name, description: `${SYNTHETIC_NOTICE}. A fictional state intelligence directorate.`, threat_actor_types: ['nation-state'],
      resource_level: 'government', primary_motivation: 'dominance', object_marking_refs: amber,
    },
    {
      type: 'intrusion-set', spec_version: '2.1', id: DEMO_ACTOR.intrusionSet.id, ...(alliance ? { created_by_ref: alliance } : {}), created: longAgo, modified: longAgo,
      name: DEMO_ACTOR.intrusionSet.name, description: `${SYNTHETIC_NOTICE}. A fictional intrusion set that harvests credentials of governments and pre-positions in energy and telecom networks.`,
      aliases: ['SLEET-07'], goals: ['espionage', 'pre-positioning'], resource_level: 'government', primary_motivation: 'dominance', first_seen: stamp(now - 70 * DAY), object_marking_refs: amber,
    },
    {
      type: 'relationship', spec_version: '2.1', id: stixId('relationship', 'hollow-sleet|attributed-to|grey-heron'), ...(alliance ? { created_by_ref: alliance } : {}),
      created: stamp(now - 60 * DAY), modified: stamp(now - 60 * DAY), relationship_type: 'attributed-to', source_ref: DEMO_ACTOR.intrusionSet.id, target_ref: DEMO_ACTOR.threatActor.id,
      confidence: 70, description: `${SYNTHETIC_NOTICE}. Tooling and infrastructure overlap with earlier operations of the directorate.`, object_marking_refs: amber,
    },
  ];
  for (const [code, name, pattern, sightings] of INDICATORS) {
    const identity = identities.get(code);
    if (identity === undefined) continue;
    const first = Math.max(...sightings.map(([daysAgo]) => daysAgo));
    const created = stamp(now - (first + 1) * DAY);
    const indicator = stixId('indicator', `hollow-sleet|${code}`);
    objects.push(
      {
        type: 'indicator', spec_version: '2.1', id: indicator, created_by_ref: identity, created, modified: created, name, indicator_types: ['malicious-activity'], pattern, pattern_type: 'stix',
        valid_from: created, object_marking_refs: amber,
      },
      {
        type: 'relationship', spec_version: '2.1', id: stixId('relationship', `hollow-sleet|indicates|${code}`), created_by_ref: identity, created, modified: created,
        relationship_type: 'indicates', source_ref: indicator, target_ref: DEMO_ACTOR.intrusionSet.id, confidence: 80, object_marking_refs: amber,
      },
    );
    for (const [daysAgo, count] of sightings) {
      const at = stamp(now - daysAgo * DAY);
      objects.push({
        type: 'sighting', spec_version: '2.1', id: stixId('sighting', `hollow-sleet|${code}|${daysAgo}`), created_by_ref: identity, created: at, modified: at, first_seen: at, last_seen: at,
        count, sighting_of_ref: indicator, where_sighted_refs: [identity], confidence: 90, object_marking_refs: amber,
      });
    }
  }
  return objects;
}

/**
 * Seeds the story. Once only: a store whose Estonian delegate exists has it already. Members
 * missing from the node (a smaller alliance) leave out what needs them.
 */
export async function seedDemoDecisions(ctx: AppContext, members: ReadonlyArray<{ code: string; identityId: string | null }>): Promise<DemoDecisionsResult> {
  const result: DemoDecisionsResult = { actor: null, incidents: 0, sightings: 0, consultations: 0, proposals: 0, decisions: 0, statements: 0 };
  if (await findUser(ctx, DEMO_DECISIONS_USERS[0]!.name)) return result;
  const codes = new Set(members.map((member) => member.code));
  for (const user of [...DEMO_DECISIONS_USERS, ...HANDLER_USERS]) {
    if (user.member !== null && codes.has(user.member) && !(await findUser(ctx, user.name))) await createUser(ctx, SYSTEM_PRINCIPAL, user);
  }
  const now = ctx.clock.now().getTime();
  // The node's clock as it stood `ago` before now: each step of the story happens when it did.
  const then = (ago: number): AppContext => ({ ...ctx, clock: fixedClock(new Date(now - ago)) });
  const as = async (name: string): Promise<Principal | undefined> => {
    const principal = await principalOfUser(ctx, name);
    return principal && principal.member !== null ? principal : undefined;
  };

  const identities = new Map(members.filter((m) => m.identityId !== null).map((m) => [m.code, m.identityId!]));
  const objects = demoActorObjects(now, identities);
  await ingestObjects(ctx, SYSTEM_PRINCIPAL, objects);
  result.actor = DEMO_ACTOR.intrusionSet.id;
  result.sightings = objects.filter((o) => o.type === 'sighting').length;

  for (const demo of INCIDENTS) {
    const handler = await as(demo.handler);
    if (!handler) continue;
    const detected = now - demo.daysAgo * DAY;
    const reporting = then(demo.daysAgo * DAY - 3 * HOUR);
    const indicator = stixId('indicator', `hollow-sleet|${handler.member!.code}`);
    const incident = await incidents.reportIncident(reporting, handler, {
      title: demo.title,
      summary: demo.summary,
      sectors: demo.sectors,
      systems: demo.systems,
      started_at: stamp(detected - 2 * DAY),
      detected_at: stamp(detected),
      handler: demo.handler,
      actor: { ref: DEMO_ACTOR.intrusionSet.id, name: DEMO_ACTOR.intrusionSet.name, confidence: demo.confidence },
      tlp: 'amber',
      classification: 'RESTRICTED',
      releasability: ['ALLIANCE'],
      selections: { ...selectionsAt(demo.severity), actor_characterization: 'state-sponsored' },
      ...(objects.some((o) => o.id === indicator) ? { links: [{ object_id: indicator, kind: 'intel' as const, note: 'Indicator of Hollow Sleet observed in this incident' }] } : {}),
    });
    for (const [i, status] of demo.moves.entries()) await incidents.transition(then(demo.daysAgo * DAY - (i + 1) * DAY), handler, incident.id, status);
    result.incidents++;
  }

  const estonia = await as('demo.delegate.ee');
  const latvia = await as('demo.delegate.lv');
  const finland = await as('demo.delegate.fi');
  const france = await as('demo.delegate.fr');
  const chair = await as('demo.coordinator');
  if (!estonia || !latvia || !finland || !france || !chair) return result;
  const actor = DEMO_ACTOR.intrusionSet.id;

  await assessment.addInput(then(13 * DAY), estonia, actor, {
    factor: 'state-involvement', rating: 'high',
    rationale: 'Infrastructure and tooling overlap with earlier operations of the Grey Heron Directorate; targeting follows its collection priorities.',
    tlp: 'amber', releasability: ['ALLIANCE'],
  });
  await assessment.addInput(then(13 * DAY - 2 * HOUR), chair, actor, {
    factor: 'severity', rating: 'moderate',
    rationale: 'Espionage and pre-positioning; no physical damage or loss of service so far, but footholds near the operations network of an energy operator.',
    tlp: 'amber', releasability: ['ALLIANCE'],
  });

  // Day -12: Estonia requests the consultation; the members speak, Estonia briefs, the chair keeps the minutes.
  const consultation = await decisions.requestConsultation(then(12 * DAY), estonia, {
    title: 'Hollow Sleet: cumulative activity against Estonia, Latvia and Finland',
    description: `${SYNTHETIC_NOTICE}. Estonia requests consultations on the activity of Hollow Sleet against three Allies over the last two months: credential theft in governments, footholds in energy and telecommunications.`,
    subject: { kind: 'actor', ref: actor },
    participants: ['LVA', 'FIN', 'FRA', DEMO_ALLIANCE_CODE],
    tlp: 'amber',
    classification: 'RESTRICTED',
    releasability: ['ALLIANCE'],
  });
  result.consultations++;
  const id = consultation.id;
  await decisions.addEntry(then(12 * DAY - 2 * HOUR), estonia, id, {
    kind: 'document', title: 'Technical briefing: Hollow Sleet, the last 60 days',
    text: `${SYNTHETIC_NOTICE}. Four incidents in three Allies, one forged sign-on kit reused across them, command-and-control on the same hosting provider. Indicators are shared in the alliance's intelligence store.`,
  });
  await decisions.addEntry(then(12 * DAY - 4 * HOUR), latvia, id, { kind: 'statement', text: 'Latvia confirms the implant at its electricity distribution operator and supports a coordinated response.' });
  await decisions.addEntry(then(12 * DAY - 5 * HOUR), finland, id, { kind: 'statement', text: 'Finland has seen reconnaissance of a telecom operator from the same infrastructure; it supports wider sharing of indicators.' });
  await decisions.addEntry(then(12 * DAY - 6 * HOUR), france, id, { kind: 'statement', text: 'France shares the concern; any public attribution should wait for the technical attribution report.' });
  await decisions.addEntry(then(11 * DAY), chair, id, {
    kind: 'minutes',
    text: 'First meeting. Allies agreed that the activity is significant in its accumulation. Estonia to propose immediate measures; attribution to be discussed once the technical report is out.',
  });

  // Day -10: immediate measures, circulated under silence for 72 hours, adopted at the deadline.
  const measures = await decisions.propose(then(10 * DAY), estonia, id, {
    title: 'Enhanced intelligence sharing and coordinated defensive measures against Hollow Sleet',
    text: 'Allies share indicators and tradecraft of Hollow Sleet within 24 hours of discovery, and coordinate the blocking of its infrastructure and the hardening of single sign-on services.',
    options: ['intelligence-sharing', 'defensive-measures'],
    proportionality: 'Defensive and reversible measures, below any threshold of a use of force; proportionate to sustained espionage and pre-positioning.',
  });
  const circulated = await decisions.circulate(then(10 * DAY - HOUR), estonia, measures.id, { silence_hours: 72 });
  result.proposals++;
  const deadline = Date.parse(circulated.silence!.deadline);
  // What the deadline's job does once the node's clock passes it.
  await decisions.resolveSilence(then(now - deadline - 30_000), measures.id, circulated.silence!.round);
  result.decisions++;

  // Day -3: coordinated attribution; France breaks silence, Estonia amends, silence runs again until 3 days from now.
  const attribution = await decisions.propose(then(3 * DAY), estonia, id, {
    title: 'Coordinated public attribution of Hollow Sleet and a demarche',
    text: 'Allies publicly attribute the activity of Hollow Sleet to the Grey Heron Directorate in a coordinated statement, and deliver a joint demarche.',
    options: ['coordinated-attribution', 'demarche'],
  });
  result.proposals++;
  await decisions.circulate(then(3 * DAY - HOUR), estonia, attribution.id, { silence_hours: 48 });
  await decisions.breakSilence(then(2 * DAY), france, attribution.id, { reason: 'The technical attribution report is due this week: the text should rest on it.' });
  await decisions.amend(then(DAY + 2 * HOUR), estonia, attribution.id, {
    text: 'Allies publicly attribute the activity of Hollow Sleet to the Grey Heron Directorate in a coordinated statement resting on the technical attribution report, and deliver a joint demarche.',
    reason: "France's break of silence: the statement now rests on the technical attribution report.",
  });
  await decisions.circulate(then(DAY), estonia, attribution.id, { deadline: stamp(onTheHour(now + 3 * DAY)) });

  // Day -1: the statement that goes with it; Latvia and Finland join, France declines.
  const statement = await statements.draftStatement(then(DAY - HOUR), estonia, {
    title: 'Joint statement on malicious cyber activity by the Grey Heron Directorate',
    text: 'Estonia, Latvia and Finland attribute the intrusions of Hollow Sleet into their governments, energy and telecommunications networks to the Grey Heron Directorate, and call on it to stop.',
    actor_ref: actor,
    attributed_to_ref: DEMO_ACTOR.threatActor.id,
    confidence: 85,
    publish_at: stamp(onTheHour(now + 7 * DAY)),
    invited: ['LVA', 'FIN', 'FRA'],
    consultation_id: id,
    tlp: 'amber',
    releasability: ['ALLIANCE'],
  });
  result.statements++;
  await statements.respond(then(20 * HOUR), latvia, statement.id, { response: 'join' });
  await statements.respond(then(18 * HOUR), finland, statement.id, { response: 'join' });
  await statements.respond(then(16 * HOUR), france, statement.id, { response: 'decline', reason: 'France supports the demarche but does not attribute publicly at this stage.' });

  // Steps taken on the clock set back scheduled nothing: the node's jobs take the silence and the publication.
  await decisions.scheduleSilences(ctx);
  await statements.schedulePublications(ctx);
  return result;
}
