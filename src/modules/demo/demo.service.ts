/** Seeds the synthetic demo alliance through the same services real data goes through. */
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { addToGroup, countMembers, createUser, upsertMembers, type User } from '../directory/directory.service.js';
import { ingestObjects, type IngestSummary } from '../intel/intel.service.js';
import { seedDemoWarningLists } from '../warninglists/warninglist.service.js';
import { seedDemoAssistance, type DemoAssistanceResult } from './demo.assistance.js';
import { demoContacts } from './demo.contacts.js';
import { seedDemoDecisions, type DemoDecisionsResult } from './demo.decisions.js';
import { seedDemoIncidents } from './demo.incidents.js';
import { DEMO_ALLIANCE_CODE, demoAlliance } from './demo.data.js';

/**
 * Demo users, one per level of the alliance: the dashboard's demo token acts for the first (an
 * alliance coordinator at the incident response capability, cleared to SECRET).
 */
export const DEMO_USERS: readonly User[] = [
  { name: 'demo.coordinator', member: DEMO_ALLIANCE_CODE, clearance: 3, roles: ['coordinator', 'analyst'] },
  { name: 'demo.analyst.de', member: 'DEU', clearance: 2, roles: ['analyst', 'incident-handler'] },
  { name: 'demo.delegate.fr', member: 'FRA', clearance: 3, roles: ['political-delegate'] },
  { name: 'demo.industry', member: 'IND-QUILLFEATHER', clearance: 0, roles: ['analyst'] },
  { name: 'demo.auditor', member: DEMO_ALLIANCE_CODE, clearance: 4, roles: ['auditor'] },
];

export interface DemoSeedResult {
  members: number;
  intel: IngestSummary;
  /** Incidents reported by the demo members' incident handlers. */
  incidents: number;
  /** Standby teams, requests for assistance, offers and deployments made by the demo members' users. */
  assistance: DemoAssistanceResult;
  /** An actor near the consultation threshold, and the consultation, proposals, decision and statement about it. */
  decisions: DemoDecisionsResult;
  /** A random password given to the first demo user, for the dashboard; shown once. */
  password: string;
}

export async function seedDemo(ctx: AppContext, options: { seed?: number } = {}): Promise<DemoSeedResult> {
  const alliance = demoAlliance({ ...(options.seed !== undefined ? { seed: options.seed } : {}), now: ctx.clock.now() });
  await upsertMembers(
    ctx,
    SYSTEM_PRINCIPAL,
    alliance.members.map((m) => ({ code: m.code, name: m.name, kind: m.kind, country: m.country, identityId: m.identityId, contacts: demoContacts(m) })),
  );
  // The alliance's own incident response capability receives what is released to the alliance.
  await addToGroup(ctx, SYSTEM_PRINCIPAL, 'ALLIANCE', 'All Allies, and the alliance bodies added to it', [DEMO_ALLIANCE_CODE]);
  const codes = new Set(alliance.members.map((m) => m.code));
  const password = randomBytes(12).toString('base64url');
  for (const [i, user] of DEMO_USERS.entries()) {
    if (user.member === null || codes.has(user.member)) await createUser(ctx, SYSTEM_PRINCIPAL, { ...user, ...(i === 0 ? { password } : {}) });
  }
  const intel = await ingestObjects(ctx, SYSTEM_PRINCIPAL, alliance.objects);
  await seedDemoWarningLists(ctx);
  const incidents = await seedDemoIncidents(ctx, alliance.objects, alliance.members);
  const assistance = await seedDemoAssistance(ctx, alliance.members);
  const decisions = await seedDemoDecisions(ctx, alliance.members);
  return { members: alliance.members.length, intel, incidents, assistance, decisions, password };
}

/** A store is empty when it hosts no member yet: the demo is seeded only then. */
export async function storeIsEmpty(ctx: AppContext): Promise<boolean> {
  return (await countMembers(ctx)) === 0;
}
