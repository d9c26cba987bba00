/**
 * The demo alliance's mutual assistance: six members keep standby teams on the roster, and two
 * members whose incidents the demo reports ask for help. Estonia's request is under way: approved
 * by two alliance coordinators, it drew three offers; one was accepted and its deployment ran to
 * its closure (active, a situation report, demobilised, closed with lessons learned shared into
 * the incident's timeline), one is still on the table, one was declined. Poland's request waits
 * for its second approval. All of it goes through the assistance services as the demo's own
 * users, on the node's clock, so it is marked, audited and announced like any other. Every
 * contact is fictional (example.org addresses, +00 numbers).
 */
import type { AppContext } from '../../core/context.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import type { CoverageWindow } from '../assistance/assistance.model.js';
import * as assistance from '../assistance/assistance.service.js';
import * as roster from '../assistance/roster.service.js';
import { createUser, findUser, principalOfUser, type User } from '../directory/directory.service.js';
import * as incidents from '../incidents/incidents.service.js';
import { DEMO_ALLIANCE_CODE } from './demo.model.js';

/**
 * A second alliance coordinator (on-site help needs two approvals by default) and the incident
 * handlers of the members that keep standby teams and offer them (Germany's handler exists
 * already: demo.incidents.ts). No passwords: sign in after an administrator sets one.
 */
export const DEMO_ASSISTANCE_USERS: readonly User[] = [
  { name: 'demo.coordinator.2', member: DEMO_ALLIANCE_CODE, clearance: 3, roles: ['coordinator'] },
  { name: 'demo.handler.fr', member: 'FRA', clearance: 2, roles: ['incident-handler'] },
  { name: 'demo.handler.nl', member: 'NLD', clearance: 2, roles: ['incident-handler'] },
  { name: 'demo.handler.fi', member: 'FIN', clearance: 2, roles: ['incident-handler'] },
  { name: 'demo.handler.us', member: 'USA', clearance: 2, roles: ['incident-handler'] },
  { name: 'demo.handler.gb', member: 'GBR', clearance: 2, roles: ['incident-handler'] },
];

const WEEKDAYS_ONLY = ['mon', 'tue', 'wed', 'thu', 'fri'] as CoverageWindow['days'];

/** The standby teams, each registered by its member's handler. */
export const DEMO_TEAMS: ReadonlyArray<roster.TeamInput & { handler: string }> = [
  {
    handler: 'demo.handler.fr', name: 'CERT-FR rapid response (demo)',
    capabilities: ['incident-handling', 'digital-forensics', 'malware-analysis', 'threat-hunting'], modes: ['remote', 'on-site'], size: 8, clearance: 'SECRET',
    languages: ['fr', 'en'], time_zone: 'Europe/Paris', always: true, response_hours: { remote: 2, 'on-site': 12 },
    contacts: [{ name: 'Duty officer (demo)', role: 'rapid response duty', phone: '+00 000 000 0101', email: 'rapid-response@fra.example.org' }],
  },
  {
    handler: 'demo.handler.nl', name: 'NCSC-NL incident response (demo)',
    capabilities: ['incident-handling', 'digital-forensics', 'threat-hunting', 'cloud-response'], modes: ['remote', 'on-site'], size: 6, clearance: 'CONFIDENTIAL',
    languages: ['nl', 'en'], time_zone: 'Europe/Amsterdam', always: false, coverage: [{ days: WEEKDAYS_ONLY, from: '08:00', to: '18:00' }],
    response_hours: { remote: 4, 'on-site': 24 },
    contacts: [{ name: 'Incident response coordinator (demo)', role: 'coordinator', phone: '+00 000 000 0201', email: 'ir-standby@nld.example.org' }],
  },
  {
    handler: 'demo.handler.fi', name: 'Finnish threat hunting cell (demo)',
    capabilities: ['threat-hunting', 'network-monitoring', 'threat-intelligence', 'digital-forensics'], modes: ['remote'], size: 4, clearance: 'SECRET',
    languages: ['fi', 'sv', 'en'], time_zone: 'Europe/Helsinki', always: true, response_hours: { remote: 1, 'on-site': null },
    contacts: [{ name: 'Hunt lead on call (demo)', role: 'hunt lead', phone: '+00 000 000 0301', email: 'hunt-oncall@fin.example.org' }],
  },
  {
    handler: 'demo.handler.us', name: 'US hunt forward team (demo)',
    capabilities: ['threat-hunting', 'malware-analysis', 'digital-forensics', 'network-monitoring'], modes: ['remote', 'on-site'], size: 12, clearance: 'SECRET',
    languages: ['en'], time_zone: 'America/New_York', always: false,
    coverage: [{ days: WEEKDAYS_ONLY, from: '07:00', to: '19:00' }, { days: ['sat'], from: '09:00', to: '13:00' }],
    response_hours: { remote: 6, 'on-site': 48 },
    contacts: [
      { name: 'Operations desk (demo)', role: 'operations', phone: '+00 000 000 0401', email: 'hunt-forward-ops@usa.example.org' },
      { name: 'Team lead (demo)', role: 'team lead', phone: null, email: 'hunt-forward-lead@usa.example.org' },
    ],
  },
  {
    handler: 'demo.handler.gb', name: 'UK incident management team (demo)',
    capabilities: ['incident-handling', 'crisis-management', 'strategic-communication', 'it-recovery'], modes: ['remote', 'on-site'], size: 5, clearance: 'SECRET',
    languages: ['en'], time_zone: 'Europe/London', always: true, response_hours: { remote: 3, 'on-site': 18 },
    contacts: [{ name: 'Incident management duty (demo)', role: 'duty manager', phone: '+00 000 000 0501', email: 'incident-duty@gbr.example.org' }],
  },
  {
    handler: 'demo.handler.de', name: 'German OT/ICS response team (demo)',
    capabilities: ['ot-ics-recovery', 'malware-analysis', 'it-recovery'], modes: ['remote', 'on-site'], size: 7, clearance: 'CONFIDENTIAL',
    languages: ['de', 'en'], time_zone: 'Europe/Berlin', always: false, coverage: [{ days: WEEKDAYS_ONLY, from: '07:00', to: '20:00' }],
    response_hours: { remote: 4, 'on-site': 10 },
    contacts: [{ name: 'OT duty engineer (demo)', role: 'duty engineer', phone: '+00 000 000 0601', email: 'ot-response@deu.example.org' }],
  },
];

/** The demo incidents (demo.incidents.ts) the requests are made for, by title. */
export const DEMO_ASSISTED_INCIDENTS = Object.freeze({
  inProgress: { handler: 'demo.handler.ee', title: 'Spear-phishing campaign against defence ministry staff' },
  awaitingApproval: { handler: 'demo.handler.pl', title: 'Suspicious access to port logistics systems' },
});

export interface DemoAssistanceResult {
  teams: number;
  requests: number;
  offers: number;
  deployments: number;
}

const DAY = 86_400_000;

async function actor(ctx: AppContext, name: string): Promise<Principal | undefined> {
  const principal = await principalOfUser(ctx, name);
  return principal && principal.member !== null ? principal : undefined;
}

/** The member's own incident of this title, as its handler reads it. */
async function incidentOf(ctx: AppContext, handler: Principal, title: string): Promise<string | undefined> {
  const { incidents: found } = await incidents.listIncidents(ctx, handler, { member: [handler.member!.code], q: title, limit: 20 });
  return found.find((incident) => incident.title === title)?.id;
}

/**
 * Seeds the roster and the requests. Once only: a store whose second coordinator exists has it
 * already, and the members a team or a request needs must be on the node (those that are not
 * are passed over).
 */
export async function seedDemoAssistance(ctx: AppContext, members: ReadonlyArray<{ code: string }>): Promise<DemoAssistanceResult> {
  const result: DemoAssistanceResult = { teams: 0, requests: 0, offers: 0, deployments: 0 };
  if (await findUser(ctx, DEMO_ASSISTANCE_USERS[0]!.name)) return result;
  const codes = new Set(members.map((member) => member.code));
  for (const user of DEMO_ASSISTANCE_USERS) if (user.member !== null && codes.has(user.member)) await createUser(ctx, SYSTEM_PRINCIPAL, user);

  const teamIds = new Map<string, string>();
  for (const { handler, ...team } of DEMO_TEAMS) {
    const rosterer = await actor(ctx, handler);
    if (!rosterer) continue;
    const registered = await roster.registerTeam(ctx, rosterer, { ...team, tlp: 'amber', releasability: ['ALLIANCE'] });
    teamIds.set(rosterer.member!.code, registered.id);
    result.teams++;
  }

  const first = await actor(ctx, 'demo.coordinator');
  const second = await actor(ctx, 'demo.coordinator.2');
  if (!first || !second) return result;
  const now = ctx.clock.now().getTime();
  const at = (days: number) => new Date(now + days * DAY).toISOString();

  // Estonia: help under way, with offers and one deployment closed with its lessons learned.
  const estonia = await actor(ctx, DEMO_ASSISTED_INCIDENTS.inProgress.handler);
  const estonianIncident = estonia ? await incidentOf(ctx, estonia, DEMO_ASSISTED_INCIDENTS.inProgress.title) : undefined;
  if (estonia && estonianIncident) {
    const request = await assistance.requestAssistance(ctx, estonia, {
      incident_id: estonianIncident,
      title: 'Forensics and threat hunting after the compromise of ministry mail accounts',
      description:
        'Synthetic demo data: three staff accounts were taken over through credential-harvesting e-mails. We need forensic triage of the mail platform and ' +
        'a hunt across the ministry network for persistence and lateral movement, remotely first; on site only if the hunt finds a foothold.',
      capabilities: ['digital-forensics', 'threat-hunting'],
      urgency: 'high',
      mode: 'either',
      constraints: { clearance: 'RESTRICTED', languages: ['en'], duration_days: 14, other: 'Access to the ministry network through the national CERT only' },
      tlp: 'amber',
      classification: 'RESTRICTED',
      releasability: ['ALLIANCE'],
    });
    result.requests++;
    await assistance.moveRequest(ctx, first, request.id, { status: 'approved', conditions: "Remote work first; on site only with the host nation's liaison officer present" });
    await assistance.moveRequest(ctx, second, request.id, { status: 'approved' });

    const offer = async (handler: string, input: assistance.OfferInput) => {
      const offerer = await actor(ctx, handler);
      if (!offerer) return undefined;
      const team = teamIds.get(offerer.member!.code);
      const made = await assistance.makeOffer(ctx, offerer, request.id, { ...input, ...(team ? { team_id: team } : {}) });
      result.offers++;
      return made;
    };
    const hunt = await offer('demo.handler.fi', {
      capabilities: ['threat-hunting', 'digital-forensics'], size: 4, clearance: 'SECRET', mode: 'remote', available_from: at(0), available_until: at(14),
      conditions: 'Read-only access to the mail platform logs and EDR telemetry',
    });
    await offer('demo.handler.nl', {
      capabilities: ['digital-forensics'], size: 3, clearance: 'CONFIDENTIAL', mode: 'on-site', available_from: at(1), available_until: at(15),
      conditions: 'Travel and lodging arranged by the host nation',
    });
    const onSite = await offer('demo.handler.us', { capabilities: ['threat-hunting'], size: 6, clearance: 'SECRET', mode: 'on-site', available_from: at(3), available_until: at(24) });
    if (onSite) await assistance.decideOffer(ctx, estonia, onSite.id, { status: 'declined', reason: 'Remote hunting covers the need for now; thank you' });

    const finland = await actor(ctx, 'demo.handler.fi');
    if (hunt && finland) {
      const accepted = await assistance.decideOffer(ctx, estonia, hunt.id, { status: 'accepted' });
      const deployment = accepted.deployment_id!;
      result.deployments++;
      await assistance.moveDeployment(ctx, finland, deployment, { status: 'active' });
      await assistance.addSitrep(
        ctx,
        finland,
        deployment,
        'Synthetic demo data: hunted across 1,200 mailboxes and 300 endpoints. Two forwarding rules created by the attacker removed; no persistence found beyond the three accounts.',
      );
      await assistance.moveDeployment(ctx, finland, deployment, { status: 'demobilised' });
      await assistance.moveDeployment(ctx, estonia, deployment, {
        status: 'closed',
        lessons_learned:
          'Remote hunting was at work within two hours of acceptance. Pre-agreed read-only access to mail logs saved a day; ' +
          'agree the telemetry export format with assisting teams in advance, and keep mailbox audit logging on by default.',
        share_with_incident: true,
      });
    }
  }

  // Poland: on-site help asked for, one coordinator approved, the second approval awaited.
  const poland = await actor(ctx, DEMO_ASSISTED_INCIDENTS.awaitingApproval.handler);
  const polishIncident = poland ? await incidentOf(ctx, poland, DEMO_ASSISTED_INCIDENTS.awaitingApproval.title) : undefined;
  if (poland && polishIncident) {
    const request = await assistance.requestAssistance(ctx, poland, {
      incident_id: polishIncident,
      title: 'On-site forensics at a port terminal operator',
      description: 'Synthetic demo data: a contractor account logged in to the terminal operating system outside working hours; we need forensic images and an incident lead on site.',
      capabilities: ['digital-forensics', 'incident-handling'],
      urgency: 'routine',
      mode: 'on-site',
      constraints: { clearance: 'RESTRICTED', languages: ['en', 'pl'], duration_days: 5 },
      tlp: 'amber',
      classification: 'UNCLASSIFIED',
      releasability: ['ALLIANCE'],
    });
    result.requests++;
    await assistance.moveRequest(ctx, first, request.id, { status: 'approved', conditions: 'The terminal operator consents to the imaging in writing' });
  }
  return result;
}
