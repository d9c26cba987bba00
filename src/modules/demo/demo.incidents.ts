/**
 * The demo alliance's incidents: several members report incidents at several severity levels
 * and stages, through the incidents service as their own incident handlers (so they are marked,
 * audited and copied as STIX like any other). Deterministic for a seed.
 */
import type { AppContext } from '../../core/context.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { createUser, principalOfUser, type User } from '../directory/directory.service.js';
import type { IncidentStatus } from '../incidents/incidents.model.js';
import { SCORING_CATEGORIES } from '../incidents/incidents.scoring.js';
import * as incidents from '../incidents/incidents.service.js';

/** One incident handler per reporting member (no password: sign in after an administrator sets one). */
export const DEMO_HANDLERS: readonly User[] = [
  { name: 'demo.handler.de', member: 'DEU', clearance: 2, roles: ['incident-handler'] },
  { name: 'demo.handler.pl', member: 'POL', clearance: 2, roles: ['incident-handler'] },
  { name: 'demo.handler.ee', member: 'EST', clearance: 2, roles: ['incident-handler'] },
  { name: 'demo.handler.it', member: 'ITA', clearance: 2, roles: ['incident-handler'] },
];

interface DemoIncident {
  handler: string;
  title: string;
  summary: string;
  sectors: string[];
  systems: string[];
  /** Where in each category's options (0: least severe, 1: most severe) the scoring lands. */
  severity: number | null;
  /** The moves it has made since it was reported. */
  moves: IncidentStatus[];
  tlp: 'green' | 'amber';
  classification: string;
  releasability: string[];
  hoursAgo: number;
  note?: string;
}

const SYNTHETIC = 'Synthetic demo data';

const INCIDENTS: readonly DemoIncident[] = [
  {
    handler: 'demo.handler.de', title: 'Wiper malware on regional grid operator OT network', sectors: ['energy'], systems: ['SCADA historian', 'Engineering workstations'],
    summary: `${SYNTHETIC}: destructive malware found on the operations network of a transmission system operator; substations switched to manual control.`,
    severity: 0.9, moves: ['triaged', 'contained'], tlp: 'amber', classification: 'RESTRICTED', releasability: ['ALLIANCE'], hoursAgo: 30,
    note: 'Forensic images taken of two engineering workstations.',
  },
  {
    handler: 'demo.handler.pl', title: 'DDoS against government e-services portal', sectors: ['public-administration', 'digital-infrastructure'], systems: ['Citizen portal', 'DNS'],
    summary: `${SYNTHETIC}: volumetric attack peaking at 600 Gbit/s against the national e-services portal; mitigated upstream.`,
    severity: 0.55, moves: ['triaged', 'contained', 'eradicated', 'recovered'], tlp: 'green', classification: 'UNCLASSIFIED', releasability: ['ALLIANCE', 'PARTNERS'], hoursAgo: 72,
  },
  {
    handler: 'demo.handler.ee', title: 'Spear-phishing campaign against defence ministry staff', sectors: ['defence', 'public-administration'], systems: ['Mail gateway'],
    summary: `${SYNTHETIC}: credential-harvesting e-mails impersonating a logistics contractor; three accounts compromised and reset.`,
    severity: 0.4, moves: ['triaged'], tlp: 'amber', classification: 'RESTRICTED', releasability: ['ALLIANCE'], hoursAgo: 12,
  },
  {
    handler: 'demo.handler.it', title: 'Ransomware at a hospital group', sectors: ['health'], systems: ['Patient records', 'File servers'],
    summary: `${SYNTHETIC}: encryption of file servers at three hospitals; emergency admissions diverted for six hours.`,
    severity: 0.75, moves: [], tlp: 'amber', classification: 'UNCLASSIFIED', releasability: ['ALLIANCE'], hoursAgo: 3,
  },
  {
    handler: 'demo.handler.de', title: 'Port scanning from a known hosting range', sectors: ['telecommunications'], systems: ['Edge routers'],
    summary: `${SYNTHETIC}: sustained scanning of management interfaces; no access gained.`,
    severity: 0.1, moves: ['closed'], tlp: 'green', classification: 'UNCLASSIFIED', releasability: ['ALLIANCE'], hoursAgo: 200,
  },
  {
    handler: 'demo.handler.pl', title: 'Suspicious access to port logistics systems', sectors: ['transport'], systems: ['Terminal operating system'],
    summary: `${SYNTHETIC}: unusual logins from a contractor account outside working hours; under investigation.`,
    severity: null, moves: [], tlp: 'amber', classification: 'UNCLASSIFIED', releasability: ['POL', 'NCIRC'], hoursAgo: 1,
  },
];

/** The option at `position` (0-1) of each category's options, least severe first. */
export function selectionsAt(position: number): Record<string, string> {
  return Object.fromEntries(SCORING_CATEGORIES.map((category) => [category.key, category.options[Math.round(position * (category.options.length - 1))]!.key]));
}

/** An indicator the member created itself (so its handler reads it), to link. */
function ownIndicator(objects: readonly StixObject[], identityId: string | null, skip: number): string | undefined {
  const own = objects.filter((o) => o.type === 'indicator' && o.created_by_ref === identityId);
  return own[skip % Math.max(1, own.length)]?.id;
}

export async function seedDemoIncidents(ctx: AppContext, objects: readonly StixObject[], members: ReadonlyArray<{ code: string; identityId: string | null }>): Promise<number> {
  const codes = new Map(members.map((m) => [m.code, m.identityId]));
  for (const handler of DEMO_HANDLERS) if (handler.member !== null && codes.has(handler.member)) await createUser(ctx, SYSTEM_PRINCIPAL, handler);
  let reported = 0;
  for (const [i, demo] of INCIDENTS.entries()) {
    const actor = await principalOfUser(ctx, demo.handler);
    if (!actor || actor.member === null) continue;
    const now = ctx.clock.now().getTime();
    const indicator = ownIndicator(objects, codes.get(actor.member.code) ?? null, i);
    const incident = await incidents.reportIncident(ctx, actor, {
      title: demo.title,
      summary: demo.summary,
      sectors: demo.sectors,
      systems: demo.systems,
      started_at: new Date(now - (demo.hoursAgo + 2) * 3_600_000).toISOString(),
      detected_at: new Date(now - demo.hoursAgo * 3_600_000).toISOString(),
      handler: demo.handler,
      tlp: demo.tlp,
      classification: demo.classification,
      releasability: demo.releasability,
      ...(demo.severity !== null ? { selections: selectionsAt(demo.severity) } : {}),
      ...(indicator ? { links: [{ object_id: indicator, kind: 'intel' as const, note: 'Indicator observed in this incident' }] } : {}),
    });
    for (const status of demo.moves) await incidents.transition(ctx, actor, incident.id, status);
    if (demo.note) await incidents.addTimelineEntry(ctx, actor, incident.id, demo.note);
    if (i === 0) {
      await incidents.addTask(ctx, actor, incident.id, { title: 'Share wiper hashes with the alliance', assignee: demo.handler });
      await incidents.addTask(ctx, actor, incident.id, { title: 'Brief the national crisis cell', assignee: null });
    }
    reported++;
  }
  return reported;
}
