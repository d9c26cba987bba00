/**
 * Properties of mutual assistance's three state machines (request, offer, deployment), on one node
 * with a requesting member, coordinators (of the coordinating members, and of a member that does
 * not coordinate), members whose standby teams match (one remote only), one whose team does not,
 * one with none, a partner with a matching team that the requests' markings never release to, and
 * a coordinating member that most markings keep out.
 *
 * Each run makes a fresh incident and request (random capabilities, mode, urgency, markings),
 * then applies a random sequence of actions, each by a random user: approve, reject, withdraw,
 * close (on the current, a stale or no version), offer, accept, decline, withdraw offers, move
 * deployments, add situation reports, read and list. After every action the stored truth must
 * hold: statuses are in their machine and change only along its edges; a refused action changed
 * nothing, and a refused move names the moves allowed from the stored status; no offer before
 * approval, no deployment without its accepted offer, approvals from enough distinct coordinators
 * of coordinating members (never the request's owner); a deployment closes only with lessons
 * learned; a request with deployments is assisting (or closed, none under way). In the first
 * property the request, its offers and its deployments are read exactly by those the request
 * reached: its member, and the coordinating members and the members it was released to on
 * approval, each as the marking allows. The second property makes two actions at once now and
 * then, as two users acting at the same moment would. At the end of each run, every change has
 * its audit entry, and no refusal has one. Targeted tests then state, one by one, what the
 * properties found.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fixedClock } from '../../core/clock.js';
import { ShieldwallError } from '../../core/errors.js';
import { createTestNode, TEST_MEMBER, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { recordAccessOfColumns, type RecordAccess } from '../../policy/record.js';
import { SYSTEM_PRINCIPAL, type MemberKind, type Principal, type Role } from '../../policy/principal.js';
import * as audit from '../audit/audit.service.js';
import { addToGroup, createUser, principalOfUser, upsertMembers } from '../directory/directory.service.js';
import { reportIncident } from '../incidents/incidents.service.js';
import {
  allowedFrom, DEPLOYMENT_STATUSES, DEPLOYMENT_TRANSITIONS, modeServes, OFFER_STATUSES, OFFER_TRANSITIONS, REQUEST_MODES,
  REQUEST_STATUSES, REQUEST_TRANSITIONS, UNFINISHED_DEPLOYMENT_STATUSES, URGENCIES,
  type Approval, type DeploymentStatus, type Mode, type OfferStatus, type RequestMode, type RequestStatus, type Urgency,
} from './assistance.model.js';
import * as repo from './assistance.repo.js';
import * as service from './assistance.service.js';
import { registerTeam } from './roster.service.js';

const START = new Date('2026-11-02T08:00:00.000Z');
const RUNS = 30;
const CONCURRENT_RUNS = 120;
const MAX_ACTIONS = 25;

// --- the node's people -----------------------------------------------------------------------------

interface MemberSpec {
  code: string;
  name: string;
  kind: MemberKind;
  country: string | null;
  /** The groups it belongs to (built-in by kind, and named). */
  groups: string[];
}

const MEMBERS: readonly MemberSpec[] = [
  { code: 'EST', name: 'Estonia', kind: 'ally', country: 'EE', groups: ['ALLIANCE'] },
  { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', groups: ['ALLIANCE'] },
  { code: 'POL', name: 'Poland', kind: 'ally', country: 'PL', groups: ['ALLIANCE'] },
  { code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', groups: ['ALLIANCE'] },
  { code: 'NLD', name: 'Netherlands', kind: 'ally', country: 'NL', groups: ['ALLIANCE'] },
  // Made by createTestNode.
  { code: TEST_MEMBER, name: 'Test member', kind: 'ally', country: null, groups: ['ALLIANCE'] },
  { code: 'UKR', name: 'Ukraine', kind: 'partner', country: 'UA', groups: ['PARTNERS'] },
  // Coordinating members: the node's international organisations. NCIRC is released to as an
  // ALLIANCE member; CERTEU is in no group, so only markings that name it release to it.
  { code: 'NCIRC', name: 'Alliance incident response capability', kind: 'international-organisation', country: null, groups: ['ALLIANCE'] },
  { code: 'CERTEU', name: 'Cybersecurity service of the Union institutions', kind: 'international-organisation', country: null, groups: [] },
];
const COORDINATING = ['CERTEU', 'NCIRC'];
const groupsOf = (code: string): string[] => MEMBERS.find((member) => member.code === code)!.groups;

interface User {
  name: string;
  member: string;
  roles: Role[];
  clearance: number;
}

const USERS: readonly User[] = [
  { name: 'eve', member: 'EST', roles: ['incident-handler'], clearance: 2 },
  { name: 'erik', member: 'EST', roles: ['analyst'], clearance: 2 },
  { name: 'francois', member: 'FRA', roles: ['incident-handler'], clearance: 2 },
  // Of a member the request reaches, but cleared to UNCLASSIFIED only.
  { name: 'fabien', member: 'FRA', roles: ['incident-handler'], clearance: 0 },
  { name: 'piotr', member: 'POL', roles: ['incident-handler'], clearance: 2 },
  { name: 'dana', member: 'DEU', roles: ['incident-handler'], clearance: 2 },
  // A coordinator, of a member that does not coordinate.
  { name: 'nina', member: 'NLD', roles: ['incident-handler', 'coordinator'], clearance: 2 },
  { name: 'olena', member: 'UKR', roles: ['incident-handler'], clearance: 2 },
  // Carla coordinates and also requests help for her organisation's own incidents.
  { name: 'carla', member: 'NCIRC', roles: ['coordinator'], clearance: 3 },
  { name: 'conor', member: 'NCIRC', roles: ['coordinator'], clearance: 3 },
  { name: 'ursula', member: 'CERTEU', roles: ['coordinator'], clearance: 3 },
  // Made by createTestNode: of its member, an ally without a team.
  { name: 'test-coordinator', member: TEST_MEMBER, roles: ['coordinator'], clearance: 4 },
  { name: 'test-incident-handler', member: TEST_MEMBER, roles: ['incident-handler'], clearance: 4 },
];
const userNamed = (name: string): User => USERS.find((user) => user.name === name)!;

interface TeamSpec {
  owner: string;
  name: string;
  capabilities: string[];
  modes: Mode[];
}

/** Standby teams: France's and Ukraine's match every request below, Poland's remote ones, Germany's none. */
const TEAMS: readonly TeamSpec[] = [
  { owner: 'francois', name: 'CERT-FR rapid response', capabilities: ['malware-analysis', 'digital-forensics', 'threat-hunting', 'it-recovery'], modes: ['remote', 'on-site'] },
  { owner: 'piotr', name: 'CERT-PL remote cell', capabilities: ['threat-hunting', 'malware-analysis'], modes: ['remote'] },
  { owner: 'dana', name: 'DEU legal cell', capabilities: ['legal-support'], modes: ['remote'] },
  { owner: 'olena', name: 'CERT-UA field team', capabilities: ['malware-analysis', 'digital-forensics', 'threat-hunting', 'it-recovery'], modes: ['remote', 'on-site'] },
];
const REQUESTABLE = ['malware-analysis', 'digital-forensics', 'threat-hunting', 'it-recovery'];

/**
 * The markings a request is made with: each releases it to a coordinating member, none to the
 * partner (UKR). The second names CERTEU; the others keep it from CERTEU, which coordinates all
 * the same.
 */
const MARKINGS: ReadonlyArray<{ tlp: 'amber' | 'green' | 'amber+strict'; releasability: string[] }> = [
  { tlp: 'amber', releasability: ['ALLIANCE'] },
  { tlp: 'green', releasability: ['ALLIANCE', 'CERTEU'] },
  { tlp: 'amber+strict', releasability: ['EST', 'NCIRC', 'FRA'] },
  { tlp: 'amber', releasability: ['NCIRC', 'FRA', 'POL', 'DEU', 'NLD'] },
];

// --- the model: who may read, what the machines allow ---------------------------------------------

/** Would a user of this member read a record so marked, addressed to it? (Releasability and TLP; clearance apart.) */
function releasedBy(member: string, access: Pick<RecordAccess, 'tlp' | 'releasability'>): boolean {
  const listed = access.releasability;
  const released = listed.includes('*') || listed.includes(member) || groupsOf(member).some((group) => listed.includes(group));
  if (!released) return false;
  if (access.tlp === 'amber+strict') return listed.includes(member);
  return access.tlp !== 'red';
}

/** The members an approved request reaches: a standing-by team matching it, the marking releasing to them. */
function expectedReleased(row: repo.RequestRow, access: RecordAccess): string[] {
  const capabilities = row.capabilities.split(',').filter((entry) => entry !== '');
  const members = new Set<string>();
  for (const team of TEAMS) {
    const member = userNamed(team.owner).member;
    if (member === access.originMember || COORDINATING.includes(member)) continue;
    if (!team.capabilities.some((capability) => capabilities.includes(capability))) continue;
    if (!team.modes.some((mode) => modeServes(mode, row.mode as RequestMode))) continue;
    if (releasedBy(member, access)) members.add(member);
  }
  return [...members].sort();
}

/** Is `to` reached from `from` in at most `steps` moves of the machine? */
function reachable<S extends string>(machine: Readonly<Record<S, readonly S[]>>, from: S, to: S, steps: number): boolean {
  let frontier: S[] = [from];
  for (let i = 0; i < steps; i++) {
    frontier = frontier.flatMap((status) => [...allowedFrom(machine, status)]);
    if (frontier.includes(to)) return true;
  }
  return false;
}

// --- the stored truth --------------------------------------------------------------------------------

interface RequestDocument {
  approvals: Approval[];
  approvals_required: number;
  released_to: string[];
  coordination: string[];
}
interface OfferDocument {
  deployment_id: string | null;
}
interface DeploymentDocument {
  lessons_learned: string | null;
  closed_at: string | null;
}

interface Truth {
  request: { row: repo.RequestRow; access: RecordAccess; document: RequestDocument };
  /** In the order they were made. */
  offers: Array<{ row: repo.OfferRow; access: RecordAccess; document: OfferDocument }>;
  deployments: Array<{ row: repo.DeploymentRow; access: RecordAccess; document: DeploymentDocument }>;
}

const byCreation = <R extends { created: string; id: string }>(a: R, b: R) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id);

async function truthOf(node: TestNode, requestId: string): Promise<Truth> {
  const db = node.ctx.store.db;
  const row = await repo.findRequest(db, requestId);
  assert.ok(row, `request ${requestId} is stored`);
  const offers = (await repo.allOffersOf(db, requestId, 1000)).sort(byCreation);
  const deployments = (await repo.allDeploymentsOf(db, requestId, 1000)).sort(byCreation);
  return {
    request: { row, access: recordAccessOfColumns(row), document: JSON.parse(row.document) as RequestDocument },
    offers: offers.map((offer) => ({ row: offer, access: recordAccessOfColumns(offer), document: JSON.parse(offer.document) as OfferDocument })),
    deployments: deployments.map((deployment) => ({ row: deployment, access: recordAccessOfColumns(deployment), document: JSON.parse(deployment.document) as DeploymentDocument })),
  };
}

/**
 * May this user read the request (its member, its owner, or a member it reached, as the marking
 * allows)? A request withdrawn or closed after its approval stays with the members it reached.
 */
function mayReadRequest(user: User, truth: Truth): boolean {
  const { row, access } = truth.request;
  if (user.clearance < access.classification) return false;
  if (user.member === access.originMember || user.name === access.owner) return true;
  const reached = new Set<string>([...COORDINATING, ...(row.approved_at !== null ? expectedReleased(row, access) : [])]);
  return reached.has(user.member) && releasedBy(user.member, access);
}

/**
 * May this user read an offer (or the deployment made of it)? Only one who reads the request, and
 * of the parties: the requesting member, the offering member, the coordinating members.
 */
function mayReadOffer(user: User, truth: Truth, offerMember: string | null): boolean {
  if (!mayReadRequest(user, truth)) return false;
  return user.member === truth.request.access.originMember || user.member === offerMember || COORDINATING.includes(user.member);
}

// --- actions -------------------------------------------------------------------------------------------

type VersionChoice = 'current' | 'stale' | 'none';
/**
 * Who acts: one of the users the action is meant for as things stand (likely: a coordinator who
 * reads the request for an approval, a user of the requesting member for an acceptance), or any
 * user at all; `pick` chooses among them.
 */
interface Who {
  likely: boolean;
  pick: number;
}

type Action =
  | { kind: 'move-request'; who: Who; status: RequestStatus | 'likely'; pick: number; version: VersionChoice; reason: boolean }
  | { kind: 'offer'; who: Who; capabilities: 'requested' | 'unrequested'; mode: 'serving' | 'other'; clearance: 'SECRET' | 'UNCLASSIFIED'; team: 'none' | 'own' | 'france'; until: 'none' | 'after' | 'before' }
  | { kind: 'decide-offer'; who: Who; offer: number; status: OfferStatus | 'likely'; pick: number; version: VersionChoice }
  | { kind: 'move-deployment'; who: Who; deployment: number; status: DeploymentStatus | 'likely'; pick: number; version: VersionChoice; lessons: 'none' | 'blank' | 'text'; share: boolean }
  | { kind: 'sitrep'; who: Who; deployment: number; text: 'blank' | 'text' }
  | { kind: 'read'; who: Who }
  | { kind: 'read-offer'; who: Who; offer: number }
  | { kind: 'read-deployment'; who: Who; deployment: number }
  | { kind: 'board'; who: Who };

const who: fc.Arbitrary<Who> = fc.record({ likely: fc.constantFrom(true, true, true, false), pick: fc.nat() });
const anyone: fc.Arbitrary<Who> = fc.record({ likely: fc.constant(false), pick: fc.nat() });
const versionChoice = fc.constantFrom<VersionChoice>('current', 'current', 'current', 'stale', 'none');
const index = fc.nat({ max: 7 });
/** 'likely': a move likely asked for from the stored status (LIKELY_MOVES, mostly forward); otherwise any status, allowed or not. */
const statusOf = <S extends string>(statuses: readonly S[]) => fc.oneof({ weight: 3, arbitrary: fc.constant('likely' as const) }, { weight: 1, arbitrary: fc.constantFrom<S>(...statuses) });

/**
 * The moves likely asked for from each status, repeated by weight: mostly forward (approvals,
 * acceptances), sometimes an end (withdrawal, closure), sometimes what is no longer allowed (a
 * late approval). Random moves alone end most requests before anyone offers.
 */
const LIKELY_REQUEST_MOVES: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  submitted: ['approved', 'approved', 'approved', 'approved', 'approved', 'approved', 'approved', 'approved', 'rejected', 'withdrawn'],
  approved: ['approved', 'approved', 'approved', 'approved', 'approved', 'closed', 'withdrawn'],
  assisting: ['closed', 'closed', 'approved'],
  closed: ['closed', 'approved', 'withdrawn'],
  rejected: ['approved', 'withdrawn'],
  withdrawn: ['approved', 'closed'],
};
const LIKELY_OFFER_MOVES: Readonly<Record<OfferStatus, readonly OfferStatus[]>> = {
  offered: ['accepted', 'accepted', 'accepted', 'declined', 'withdrawn'],
  accepted: ['accepted', 'declined', 'withdrawn'],
  declined: ['accepted', 'withdrawn'],
  withdrawn: ['accepted', 'declined'],
};
const LIKELY_DEPLOYMENT_MOVES: Readonly<Record<DeploymentStatus, readonly DeploymentStatus[]>> = {
  mobilising: ['active', 'active', 'active', 'demobilised'],
  active: ['demobilised'],
  demobilised: ['closed'],
  closed: ['active', 'closed'],
};

const moveRequestArb = (status: fc.Arbitrary<RequestStatus | 'likely'>): fc.Arbitrary<Action> =>
  fc.record({ kind: fc.constant('move-request' as const), who, status, pick: fc.nat(), version: versionChoice, reason: fc.constantFrom(true, true, false) });
const offerArb: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant('offer' as const),
  who,
  capabilities: fc.constantFrom('requested' as const, 'requested' as const, 'requested' as const, 'unrequested' as const),
  mode: fc.constantFrom('serving' as const, 'serving' as const, 'serving' as const, 'other' as const),
  clearance: fc.constantFrom('SECRET' as const, 'SECRET' as const, 'UNCLASSIFIED' as const),
  team: fc.constantFrom('none' as const, 'own' as const, 'own' as const, 'france' as const),
  until: fc.constantFrom('none' as const, 'none' as const, 'after' as const, 'before' as const),
});
const decideOfferArb: fc.Arbitrary<Action> = fc.record({ kind: fc.constant('decide-offer' as const), who, offer: index, status: statusOf<OfferStatus>(OFFER_STATUSES), pick: fc.nat(), version: versionChoice });
const moveDeploymentArb: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant('move-deployment' as const),
  who,
  deployment: index,
  status: statusOf<DeploymentStatus>(DEPLOYMENT_STATUSES),
  pick: fc.nat(),
  version: versionChoice,
  lessons: fc.constantFrom('none' as const, 'blank' as const, 'text' as const, 'text' as const),
  share: fc.boolean(),
});

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: moveRequestArb(statusOf<RequestStatus>(REQUEST_STATUSES)) },
  { weight: 4, arbitrary: offerArb },
  { weight: 4, arbitrary: decideOfferArb },
  { weight: 6, arbitrary: moveDeploymentArb },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sitrep' as const), who, deployment: index, text: fc.constantFrom('blank' as const, 'text' as const, 'text' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), who: anyone }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read-offer' as const), who: anyone, offer: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read-deployment' as const), who: anyone, deployment: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('board' as const), who: anyone }) },
);

/**
 * Two actions at once: any two, or one that ends the request (withdrawal, closure) against one on
 * its offers or deployments, where two writers racing could break what each checks alone.
 */
const ending = moveRequestArb(fc.constantFrom<RequestStatus>('closed', 'withdrawn'));
const onRecords = fc.oneof({ weight: 2, arbitrary: decideOfferArb }, { weight: 1, arbitrary: offerArb }, { weight: 1, arbitrary: moveDeploymentArb });
const pairArb: fc.Arbitrary<readonly [Action, Action]> = fc.oneof(
  fc.tuple(actionArb, actionArb),
  fc.tuple(ending, onRecords),
  fc.tuple(onRecords, ending),
  fc.tuple(decideOfferArb, decideOfferArb),
);

/**
 * Does this user decide on a request so marked? A coordinator of a coordinating member, not its
 * author, and not of the member that asked while another coordinating member exists.
 */
function decides(user: User, access: RecordAccess): boolean {
  if (!user.roles.includes('coordinator') || !COORDINATING.includes(user.member) || user.name === access.owner) return false;
  return user.member !== access.originMember || !COORDINATING.some((code) => code !== access.originMember);
}

const WRITE_ROLES: readonly Role[] = ['incident-handler', 'coordinator', 'member-admin'];
const writes = (user: User) => user.roles.some((role) => WRITE_ROLES.includes(role));

/** The users an action is meant for, as things stand (empty: nobody; then anyone acts). */
function meantFor(action: Action, truth: Truth, status: string, record: { access: RecordAccess } | undefined): User[] {
  const origin = truth.request.access.originMember;
  const readers = USERS.filter((user) => mayReadRequest(user, truth));
  switch (action.kind) {
    case 'move-request':
      if (status === 'approved' || status === 'rejected') {
        const approvers = truth.request.document.approvals.map((approval) => approval.by);
        return readers.filter((user) => decides(user, truth.request.access) && !approvers.includes(user.name));
      }
      return USERS.filter((user) => writes(user) && user.member === origin);
    case 'offer': {
      // Mostly the members the request was released to; the coordinators may offer too.
      const offering = readers.filter((user) => writes(user) && user.member !== origin);
      const released = offering.filter((user) => !COORDINATING.includes(user.member));
      return released.length > 0 && action.who.pick % 4 !== 0 ? released : offering;
    }
    case 'decide-offer':
      return USERS.filter((user) => writes(user) && user.member === (status === 'withdrawn' ? record?.access.originMember : origin));
    case 'move-deployment':
    case 'sitrep':
      return readers.filter((user) => writes(user) && (user.member === origin || user.member === record?.access.originMember));
    default:
      return [];
  }
}

/**
 * An action on a record that does not exist yet makes one instead, so that runs reach deployments:
 * a deployment's move or report when there is none becomes a decision on an offer (an acceptance,
 * likely), a decision on offers when there is none becomes an offer, and two offers in three to a
 * request not yet approved become a move of the request (an approval, likely); the third is
 * still made, and refused.
 */
function substitute(action: Action, truth: Truth): Action {
  if (action.kind === 'offer' && truth.request.row.status === 'submitted' && action.who.pick % 3 !== 0) {
    return { kind: 'move-request', who: action.who, status: 'likely', pick: action.who.pick, version: 'current', reason: true };
  }
  if ((action.kind === 'move-deployment' || action.kind === 'sitrep') && truth.deployments.length === 0) {
    return { kind: 'decide-offer', who: action.who, offer: action.deployment, status: 'likely', pick: action.kind === 'sitrep' ? 0 : action.pick, version: action.kind === 'sitrep' ? 'current' : action.version };
  }
  if (action.kind === 'decide-offer' && truth.offers.length === 0) {
    return { kind: 'offer', who: action.who, capabilities: 'requested', mode: 'serving', clearance: 'SECRET', team: action.pick % 2 === 0 ? 'own' : 'none', until: 'none' };
  }
  return action;
}

function actorFor(choice: Who, meant: readonly User[]): User {
  const among = choice.likely && meant.length > 0 ? meant : USERS;
  return among[choice.pick % among.length]!;
}

function statusFor<S extends string>(choice: S | 'likely', pick: number, likely: Readonly<Record<S, readonly S[]>>, from: S): S {
  if (choice !== 'likely') return choice;
  const moves = likely[from];
  return moves[pick % moves.length]!;
}

interface RequestSpec {
  requester: 'eve' | 'carla';
  capabilities: string[];
  mode: RequestMode;
  urgency: Urgency;
  marking: (typeof MARKINGS)[number];
  classification: 'UNCLASSIFIED' | 'RESTRICTED';
  clearance: null | 'RESTRICTED' | 'SECRET';
}

const requestArb: fc.Arbitrary<RequestSpec> = fc.record({
  requester: fc.constantFrom('eve' as const, 'eve' as const, 'carla' as const),
  capabilities: fc.subarray(REQUESTABLE, { minLength: 1 }),
  mode: fc.constantFrom<RequestMode>(...REQUEST_MODES),
  urgency: fc.constantFrom<Urgency>(...URGENCIES),
  marking: fc.constantFrom(...MARKINGS),
  classification: fc.constantFrom('UNCLASSIFIED' as const, 'RESTRICTED' as const),
  clearance: fc.constantFrom(null, 'RESTRICTED' as const, 'SECRET' as const),
});

// --- doing and checking ---------------------------------------------------------------------------------

/** A read refused as if the record were absent: false; any other failure is thrown again. */
function notFound(error: unknown): false {
  if (error instanceof ShieldwallError && error.code === 'SW_NOT_FOUND') return false;
  throw error;
}

function isRefusal(error: unknown): error is ShieldwallError {
  return error instanceof ShieldwallError && error.status >= 400 && error.status < 500;
}

/** What a run did, for the audit check at its end: the entries each subject should have. */
type ExpectedAudit = Map<string, string[]>;

function expectAudit(expected: ExpectedAudit, subject: string, action: string): void {
  expected.set(subject, [...(expected.get(subject) ?? []), action]);
}

function pick<T>(list: readonly T[], at: number): T | undefined {
  return list.length === 0 ? undefined : list[at % list.length];
}

function versionOf(choice: VersionChoice, current: number): number | undefined {
  if (choice === 'none') return undefined;
  if (choice === 'current') return current;
  return current > 1 ? current - 1 : current + 1;
}

describe('assistance state machines under random actions (sqlite)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  const clock = fixedClock(START);
  const principals = new Map<string, Principal>();
  const teamOf = new Map<string, string>();
  const principal = (name: string): Principal => principals.get(name)!;

  before(async () => {
    node = await createTestNode('sqlite', {}, undefined, clock);
    await upsertMembers(
      node.ctx,
      SYSTEM_PRINCIPAL,
      MEMBERS.filter((member) => member.code !== TEST_MEMBER).map(({ code, name, kind, country }) => ({ code, name, kind, country, identityId: null })),
    );
    await addToGroup(node.ctx, SYSTEM_PRINCIPAL, 'ALLIANCE', 'Allies and alliance bodies', ['NCIRC']);
    for (const user of USERS) {
      if (!user.name.startsWith('test-')) await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: user.name, member: user.member, clearance: user.clearance, roles: user.roles });
      const found = await principalOfUser(node.ctx, user.name);
      assert.ok(found, `user ${user.name}`);
      assert.equal(found.member?.code, user.member);
      assert.deepEqual([...found.member.groups].sort(), [...groupsOf(user.member)].sort(), `groups of ${user.member}`);
      principals.set(user.name, found);
    }
    for (const team of TEAMS) {
      const created = await registerTeam(node.ctx, principal(team.owner), {
        name: team.name, capabilities: team.capabilities, modes: team.modes, size: 5, clearance: 'SECRET', languages: ['en'], time_zone: 'Europe/Paris', always: true,
        response_hours: { remote: team.modes.includes('remote') ? 2 : null, 'on-site': team.modes.includes('on-site') ? 12 : null },
        contacts: [{ name: 'Duty officer', phone: '+00 000 000', email: 'duty@example.org' }],
      });
      teamOf.set(userNamed(team.owner).member, created.id);
    }
  });

  after(async () => {
    await node?.close();
  });

  /** The stored statuses now of the record a refused move was asked of. */
  function statusesNow(truth: Truth, target: NonNullable<Outcome['target']>): string[] {
    if (target.machine === 'request') return [truth.request.row.status];
    const records: ReadonlyArray<{ row: { id: string; status: string } }> = target.machine === 'offer' ? truth.offers : truth.deployments;
    return records.filter((record) => record.row.id === target.id).map((record) => record.row.status);
  }

  /** Reads as each of these users through the service, and checks what each gets against the model. */
  async function checkReaders(users: readonly User[], truth: Truth, context: string): Promise<void> {
    const requestId = truth.request.row.id;
    for (const user of users) {
      const actor = principal(user.name);
      const readsRequest = mayReadRequest(user, truth);
      const where = `${context}: ${user.name} (${user.member})`;
      const readableOffers = truth.offers.filter((offer) => mayReadOffer(user, truth, offer.access.originMember)).map((offer) => offer.row.id);
      const readableDeployments = truth.deployments.filter((deployment) => mayReadOffer(user, truth, deployment.access.originMember)).map((deployment) => deployment.row.id);
      try {
        const seen = await service.getRequest(node.ctx, actor, requestId);
        assert.ok(readsRequest, `${where} reads request ${requestId} (${truth.request.row.status}, ${JSON.stringify(truth.request.access)})`);
        assert.deepEqual(seen.allowed_transitions, allowedFrom(REQUEST_TRANSITIONS, seen.status));
        assert.deepEqual(seen.offers.map((offer) => offer.id).sort(), [...readableOffers].sort(), `${where}: the offers shown with the request`);
        assert.deepEqual(seen.deployments.map((deployment) => deployment.id).sort(), [...readableDeployments].sort(), `${where}: the deployments shown with the request`);
      } catch (error) {
        if (!(error instanceof ShieldwallError) || error.code !== 'SW_NOT_FOUND') throw error;
        assert.ok(!readsRequest, `${where} is refused request ${requestId} (${truth.request.row.status}): ${error.message}`);
      }
      const board = await service.listRequests(node.ctx, actor, { incident: truth.request.row.incident_id });
      assert.equal(board.requests.some((summary) => summary.id === requestId), readsRequest, `${where}: request ${requestId} on the board`);
      for (const offer of truth.offers) {
        const expected = readableOffers.includes(offer.row.id);
        const answer = await service.getOffer(node.ctx, actor, offer.row.id).then(() => true, notFound);
        assert.equal(answer, expected, `${where} ${expected ? 'reads' : 'does not read'} offer ${offer.row.id} of ${offer.access.originMember} (request ${truth.request.row.status}, ${JSON.stringify(truth.request.access)})`);
      }
      for (const deployment of truth.deployments) {
        const expected = readableDeployments.includes(deployment.row.id);
        const answer = await service.getDeployment(node.ctx, actor, deployment.row.id).then(() => true, notFound);
        assert.equal(answer, expected, `${where} ${expected ? 'reads' : 'does not read'} deployment ${deployment.row.id} (request ${truth.request.row.status}, ${JSON.stringify(truth.request.access)})`);
      }
      if (truth.deployments.length > 0) {
        const listed = new Set((await service.listDeployments(node.ctx, actor, undefined, service.PAGE_MAX)).map((deployment) => deployment.id));
        for (const deployment of truth.deployments) {
          const expected = readableDeployments.includes(deployment.row.id);
          // The newest page: a deployment of this run is on it unless the reader reads a page of newer ones.
          if (expected && listed.size < service.PAGE_MAX) assert.ok(listed.has(deployment.row.id), `${where} lists deployment ${deployment.row.id}`);
          if (!expected) assert.ok(!listed.has(deployment.row.id), `${where} does not list deployment ${deployment.row.id}`);
        }
      }
      if (['NLD', 'DEU', 'UKR'].includes(user.member)) {
        assert.ok(!readsRequest && readableOffers.length === 0 && readableDeployments.length === 0, `${where}: the model never lets ${user.member} read`);
      }
    }
  }

  /** The invariants of the stored truth alone. */
  function checkState(truth: Truth, where: string): void {
    const { row, access, document } = truth.request;
    const status = row.status as RequestStatus;
    assert.ok(REQUEST_STATUSES.includes(status), `${where}: request status ${status}`);
    for (const offer of truth.offers) assert.ok((OFFER_STATUSES as readonly string[]).includes(offer.row.status), `${where}: offer status ${offer.row.status}`);
    for (const deployment of truth.deployments) assert.ok((DEPLOYMENT_STATUSES as readonly string[]).includes(deployment.row.status), `${where}: deployment status ${deployment.row.status}`);

    // Approval: never bypassed.
    const approvers = document.approvals.map((approval) => approval.by);
    assert.equal(new Set(approvers).size, approvers.length, `${where}: approvals by distinct users (${approvers.join(', ')})`);
    for (const by of approvers) {
      const user = USERS.find((candidate) => candidate.name === by);
      assert.ok(user, `${where}: approved by a known user (${by})`);
      assert.ok(user.roles.includes('coordinator') && COORDINATING.includes(user.member), `${where}: ${by} of ${user.member} is a coordinator of a coordinating member`);
      assert.notEqual(by, access.owner, `${where}: the request's owner ${access.owner ?? ''} does not approve it`);
      assert.ok(decides(user, access), `${where}: ${by} of ${user.member}, the member that asked, does not approve it while another coordinating member may`);
    }
    const wasApproved = row.approved_at !== null;
    if (status === 'approved' || status === 'assisting') assert.ok(wasApproved, `${where}: ${status} without approved_at`);
    if (wasApproved) {
      assert.ok(approvers.length >= document.approvals_required, `${where}: approved with ${approvers.length} of ${document.approvals_required} approvals`);
      assert.deepEqual(document.released_to, expectedReleased(row, access), `${where}: the members the approved request reached`);
    } else {
      assert.ok(approvers.length < document.approvals_required, `${where}: ${approvers.length} approvals of ${document.approvals_required} and still not approved`);
      assert.deepEqual(document.released_to, [], `${where}: released to nobody before approval`);
      assert.ok(status === 'submitted' || status === 'rejected' || status === 'withdrawn', `${where}: ${status} never approved`);
    }
    assert.deepEqual([...document.coordination].sort(), COORDINATING, `${where}: the coordinating members`);

    // No offer before approval; no deployment without its accepted offer.
    for (const offer of truth.offers) {
      assert.ok(wasApproved && offer.row.created >= row.approved_at!, `${where}: offer ${offer.row.id} made at ${offer.row.created}, the request approved at ${String(row.approved_at)}`);
      assert.notEqual(offer.access.originMember, access.originMember, `${where}: a member offers to itself`);
      if (offer.row.status === 'accepted') {
        assert.ok(offer.document.deployment_id !== null && truth.deployments.some((d) => d.row.id === offer.document.deployment_id), `${where}: accepted offer ${offer.row.id} has its deployment`);
      } else {
        assert.equal(offer.document.deployment_id, null, `${where}: offer ${offer.row.id} (${offer.row.status}) has no deployment`);
      }
    }
    for (const deployment of truth.deployments) {
      const offer = truth.offers.find((candidate) => candidate.row.id === deployment.row.offer_id);
      assert.ok(offer && offer.row.status === 'accepted' && offer.document.deployment_id === deployment.row.id, `${where}: deployment ${deployment.row.id} has its offer accepted`);
      if (deployment.row.status === 'closed') {
        assert.ok((deployment.document.lessons_learned ?? '').trim() !== '' && deployment.document.closed_at !== null, `${where}: deployment ${deployment.row.id} closed with lessons learned`);
      }
    }
    const deploymentOffers = truth.deployments.map((deployment) => deployment.row.offer_id);
    assert.equal(new Set(deploymentOffers).size, deploymentOffers.length, `${where}: one deployment per accepted offer`);

    // The request's status and its deployments agree.
    if (truth.deployments.length > 0) assert.ok(status === 'assisting' || status === 'closed', `${where}: a request with deployments is ${status}`);
    if (status === 'assisting') assert.ok(truth.deployments.length > 0, `${where}: assisting without a deployment`);
    if (status === 'closed') {
      const unfinished = truth.deployments.filter((deployment) => (UNFINISHED_DEPLOYMENT_STATUSES as readonly string[]).includes(deployment.row.status));
      assert.deepEqual(unfinished.map((deployment) => deployment.row.status), [], `${where}: a closed request with deployments under way`);
    }
    assert.equal(Number(row.offers), truth.offers.length, `${where}: the request counts its offers`);
    assert.equal(Number(row.deployments), truth.deployments.length, `${where}: the request counts its deployments`);
  }

  /** Every change between two truths is an edge of its machine (a path of as many edges as actions made at once); nothing disappears; new records start where their machine starts. */
  function checkEdges(before: Truth, after: Truth, where: string, steps: number): void {
    const edge = <S extends string>(machine: Readonly<Record<S, readonly S[]>>, what: string, from: S, to: S) => {
      if (from !== to) assert.ok(reachable(machine, from, to, steps), `${where}: ${what} went ${from} -> ${to}, not ${steps === 1 ? 'an edge' : `a path of at most ${steps} edges`} of its machine`);
    };
    edge(REQUEST_TRANSITIONS, 'the request', before.request.row.status as RequestStatus, after.request.row.status as RequestStatus);
    assert.ok(Number(after.request.row.version) >= Number(before.request.row.version), `${where}: the request's version went back`);
    for (const offer of before.offers) {
      const now = after.offers.find((candidate) => candidate.row.id === offer.row.id);
      assert.ok(now, `${where}: offer ${offer.row.id} disappeared`);
      edge(OFFER_TRANSITIONS, `offer ${offer.row.id}`, offer.row.status as OfferStatus, now.row.status as OfferStatus);
    }
    for (const offer of after.offers) if (!before.offers.some((candidate) => candidate.row.id === offer.row.id)) assert.equal(offer.row.status, 'offered', `${where}: a new offer starts offered`);
    for (const deployment of before.deployments) {
      const now = after.deployments.find((candidate) => candidate.row.id === deployment.row.id);
      assert.ok(now, `${where}: deployment ${deployment.row.id} disappeared`);
      edge(DEPLOYMENT_TRANSITIONS, `deployment ${deployment.row.id}`, deployment.row.status as DeploymentStatus, now.row.status as DeploymentStatus);
    }
    for (const deployment of after.deployments) if (!before.deployments.some((candidate) => candidate.row.id === deployment.row.id)) assert.equal(deployment.row.status, 'mobilising', `${where}: a new deployment starts mobilising`);
  }

  interface Outcome {
    /** The action as it was done: who, to what status, on which record. */
    done: string;
    refusal?: ShieldwallError;
    /** The record a move was asked of, and its stored status then. */
    target?: { machine: 'request' | 'offer' | 'deployment'; id: string; status: string };
  }

  /** Does one action; notes the audit entries a success owes; returns the refusal, if refused. */
  async function perform(asked: Action, truth: Truth, expected: ExpectedAudit, readers: boolean): Promise<Outcome> {
    const action = substitute(substitute(substitute(asked, truth), truth), truth);
    const requestId = truth.request.row.id;
    const refused = (error: unknown, done: string, target?: Outcome['target']): Outcome => {
      if (!isRefusal(error)) throw error;
      return { done, refusal: error, ...(target ? { target } : {}) };
    };
    clock.advance(60_000);
    switch (action.kind) {
      case 'move-request': {
        const from = truth.request.row.status as RequestStatus;
        const status = statusFor(action.status, action.pick, LIKELY_REQUEST_MOVES, from);
        const user = actorFor(action.who, meantFor(action, truth, status, undefined));
        const version = versionOf(action.version, Number(truth.request.row.version));
        const done = `${user.name} moves the request ${from} -> ${status} (version ${String(version)})`;
        try {
          const input = { status, ...(version !== undefined ? { version } : {}), ...(action.reason ? { reason: 'Handled nationally', conditions: 'Team leads cleared' } : {}) };
          const moved = await service.moveRequest(node.ctx, principal(user.name), requestId, input);
          const change = status === 'approved' ? (moved.status === 'approved' ? 'approved' : 'approval') : status;
          expectAudit(expected, requestId, `assistance.request.${change}`);
          return { done };
        } catch (error) {
          return refused(error, done, { machine: 'request', id: requestId, status: from });
        }
      }
      case 'offer': {
        const user = actorFor(action.who, meantFor(action, truth, '', undefined));
        const requested = truth.request.row.capabilities.split(',').filter((entry) => entry !== '');
        const requestMode = truth.request.row.mode as RequestMode;
        const serving: Mode = requestMode === 'either' ? 'remote' : requestMode;
        const mode: Mode = action.mode === 'serving' ? serving : serving === 'remote' ? 'on-site' : 'remote';
        const team = action.team === 'own' ? teamOf.get(user.member) : action.team === 'france' ? teamOf.get('FRA') : undefined;
        const done = `${user.name} offers (${action.capabilities}, ${mode}, ${action.clearance}, team ${action.team}, until ${action.until})`;
        try {
          const offer = await service.makeOffer(node.ctx, principal(user.name), requestId, {
            capabilities: action.capabilities === 'requested' ? requested.slice(0, 1) : ['legal-support'],
            size: 3,
            clearance: action.clearance,
            mode,
            available_from: START.toISOString(),
            ...(action.until === 'none' ? {} : { available_until: new Date(START.getTime() + (action.until === 'after' ? 1 : -1) * 86_400_000).toISOString() }),
            ...(team !== undefined ? { team_id: team } : {}),
          });
          expectAudit(expected, offer.id, 'assistance.offer');
          return { done };
        } catch (error) {
          return refused(error, done);
        }
      }
      case 'decide-offer': {
        const offer = pick(truth.offers, action.offer);
        if (!offer) return { done: 'no offer to decide on' };
        const from = offer.row.status as OfferStatus;
        const status = statusFor(action.status, action.pick, LIKELY_OFFER_MOVES, from);
        const user = actorFor(action.who, meantFor(action, truth, status, offer));
        const version = versionOf(action.version, Number(offer.row.version));
        const done = `${user.name} moves offer #${truth.offers.indexOf(offer)} of ${offer.access.originMember ?? ''} ${from} -> ${status} (version ${String(version)})`;
        try {
          await service.decideOffer(node.ctx, principal(user.name), offer.row.id, { status, ...(version !== undefined ? { version } : {}), reason: 'as agreed' });
          expectAudit(expected, offer.row.id, `assistance.offer.${status}`);
          return { done };
        } catch (error) {
          return refused(error, done, { machine: 'offer', id: offer.row.id, status: from });
        }
      }
      case 'move-deployment': {
        const deployment = pick(truth.deployments, action.deployment);
        if (!deployment) return { done: 'no deployment to move' };
        const from = deployment.row.status as DeploymentStatus;
        const status = statusFor(action.status, action.pick, LIKELY_DEPLOYMENT_MOVES, from);
        const user = actorFor(action.who, meantFor(action, truth, status, deployment));
        const version = versionOf(action.version, Number(deployment.row.version));
        const done = `${user.name} moves deployment #${truth.deployments.indexOf(deployment)} ${from} -> ${status} (version ${String(version)}, lessons ${action.lessons}, share ${String(action.share)})`;
        try {
          await service.moveDeployment(node.ctx, principal(user.name), deployment.row.id, {
            status,
            ...(version !== undefined ? { version } : {}),
            ...(action.lessons === 'none' ? {} : { lessons_learned: action.lessons === 'blank' ? '   ' : 'Pre-staged forensic kits save a day.' }),
            share_with_incident: action.share,
          });
          expectAudit(expected, deployment.row.id, `assistance.deployment.${status}`);
          return { done };
        } catch (error) {
          return refused(error, done, { machine: 'deployment', id: deployment.row.id, status: from });
        }
      }
      case 'sitrep': {
        const deployment = pick(truth.deployments, action.deployment);
        if (!deployment) return { done: 'no deployment to report on' };
        const user = actorFor(action.who, meantFor(action, truth, '', deployment));
        const done = `${user.name} reports on deployment #${truth.deployments.indexOf(deployment)} (${action.text})`;
        try {
          await service.addSitrep(node.ctx, principal(user.name), deployment.row.id, action.text === 'blank' ? ' ' : 'Imaging under way.');
          expectAudit(expected, deployment.row.id, 'assistance.deployment.sitrep');
          return { done };
        } catch (error) {
          return refused(error, done);
        }
      }
      case 'read':
      case 'board': {
        const user = actorFor(action.who, []);
        const done = `${user.name} ${action.kind === 'read' ? 'reads' : 'lists the board'}`;
        if (readers) await checkReaders([user], truth, done);
        else await service.getRequest(node.ctx, principal(user.name), requestId).catch(notFound);
        if (readers && action.kind === 'board') {
          const listed = await service.listRequests(node.ctx, principal(user.name), {});
          if (!mayReadRequest(user, truth)) assert.ok(!listed.requests.some((summary) => summary.id === requestId), `${done}: request ${requestId} is not on ${user.name}'s board`);
        }
        return { done };
      }
      case 'read-offer':
      case 'read-deployment': {
        const user = actorFor(action.who, []);
        const records: ReadonlyArray<{ row: { id: string }; access: RecordAccess }> = action.kind === 'read-offer' ? truth.offers : truth.deployments;
        const record = pick(records, action.kind === 'read-offer' ? action.offer : action.deployment);
        if (!record) return { done: `nothing to read (${action.kind})` };
        const done = `${user.name} reads ${record.row.id}`;
        const read = action.kind === 'read-offer' ? service.getOffer(node.ctx, principal(user.name), record.row.id) : service.getDeployment(node.ctx, principal(user.name), record.row.id);
        const readable = await read.then(() => true, notFound);
        if (readers) assert.equal(readable, mayReadOffer(user, truth, record.access.originMember), done);
        return { done };
      }
    }
  }

  /** The moves a step made: one action, or two at once (two users acting at the same moment). */
  type Step = Action | readonly [Action, Action];
  const isPair = (step: Step): step is readonly [Action, Action] => Array.isArray(step);

  /**
   * Makes a fresh incident and request, applies the steps, and checks the invariants after each;
   * `readers`: also who reads what, against the model (as the actor, and as everyone whenever a
   * status changed).
   */
  async function scenario(run: number, spec: RequestSpec, steps: readonly Step[], options: { readers: boolean }): Promise<void> {
    const requester = principal(spec.requester);
    const incident = await reportIncident(node.ctx, requester, { title: `Wiper at a grid operator (${run})`, tlp: 'amber', releasability: ['ALLIANCE'] });
    const ask = () => service.requestAssistance(node.ctx, requester, {
      incident_id: incident.id,
      title: 'Forensics and reversing of a wiper',
      capabilities: spec.capabilities,
      urgency: spec.urgency,
      mode: spec.mode,
      constraints: { clearance: spec.clearance, languages: ['en'] },
      tlp: spec.marking.tlp,
      classification: spec.classification,
      releasability: spec.marking.releasability,
    });
    // A coordinating member asking for help releases the request to another coordinating member,
    // which decides on it.
    const requesting = USERS.find((user) => user.name === spec.requester)!.member;
    if (COORDINATING.includes(requesting) && !COORDINATING.some((code) => code !== requesting && releasedBy(code, spec.marking))) {
      await assert.rejects(ask(), /release it to one of them/);
      return;
    }
    const created = await ask();
    const expected: ExpectedAudit = new Map([[created.id, ['assistance.request']]]);
    let truth = await truthOf(node, created.id);
    assert.equal(truth.request.row.status, 'submitted');
    checkState(truth, 'after the request');
    if (options.readers) await checkReaders(USERS, truth, 'after the request');

    const trail: string[] = [];
    for (const step of steps) {
      const actions: readonly Action[] = isPair(step) ? step : [step];
      const outcomes = await Promise.all(actions.map((action) => perform(action, truth, expected, options.readers)));
      const said = outcomes.map(({ done, refusal }) => (refusal ? `${done} [${refusal.code}]` : done));
      trail.push(said.length === 1 ? said[0]! : `at once (${said.join(' | ')})`);
      const where = `run ${run} (${JSON.stringify(spec)}), after ${trail.join(' > ')}`;
      const next = await truthOf(node, created.id);
      if (outcomes.every((outcome) => outcome.refusal !== undefined)) {
        assert.deepEqual(next, truth, `${where}: refused (${outcomes.map((o) => `${o.refusal!.code} ${o.refusal!.message}`).join('; ')}) yet something changed`);
      }
      for (const { refusal, target } of outcomes) {
        if (refusal?.code !== 'SW_INVALID_TRANSITION') continue;
        assert.ok(target, `${where}: INVALID_TRANSITION from an action that moves nothing`);
        const details = refusal.details as { from?: string; allowed?: string[] } | undefined;
        // Alone, the action saw the stored status; at once with another, maybe the other's result.
        const seen = actions.length === 1 ? [target.status] : [target.status, ...statusesNow(next, target)];
        assert.ok(details?.from !== undefined && seen.includes(details.from), `${where}: ${refusal.message} names the stored status (${seen.join(' or ')})`);
        const machine = (target.machine === 'request' ? REQUEST_TRANSITIONS : target.machine === 'offer' ? OFFER_TRANSITIONS : DEPLOYMENT_TRANSITIONS) as Readonly<Record<string, readonly string[]>>;
        const allowed = allowedFrom(machine, details.from).filter((status) => target.machine !== 'request' || status !== 'assisting');
        assert.deepEqual(details.allowed, allowed, `${where}: ${refusal.message} names the moves allowed from ${details.from}`);
      }
      checkEdges(truth, next, where, actions.length);
      checkState(next, where);
      if (options.readers) {
        const changed =
          next.request.row.status !== truth.request.row.status ||
          next.offers.length !== truth.offers.length ||
          next.deployments.length !== truth.deployments.length ||
          next.offers.some((offer, i) => offer.row.status !== truth.offers[i]?.row.status) ||
          next.deployments.some((deployment, i) => deployment.row.status !== truth.deployments[i]?.row.status);
        // Everyone reads again when a status changed; otherwise the actors, and those never to read.
        const observers = changed ? USERS : USERS.filter((user) => said.some((done) => done.startsWith(`${user.name} `)) || ['NLD', 'DEU', 'UKR', 'CERTEU'].includes(user.member));
        await checkReaders(observers, next, where);
      }
      truth = next;
    }

    // Every change audited, under its subject; no refusal audited.
    const subjects = new Set([created.id, ...truth.offers.map((offer) => offer.row.id), ...truth.deployments.map((deployment) => deployment.row.id)]);
    const audited = new Map<string, string[]>();
    for await (const entry of audit.entries(node.ctx)) {
      if (subjects.has(entry.subject)) audited.set(entry.subject, [...(audited.get(entry.subject) ?? []), entry.action]);
    }
    for (const subject of subjects) {
      assert.deepEqual([...(audited.get(subject) ?? [])].sort(), [...(expected.get(subject) ?? [])].sort(), `run ${run}: the audit entries of ${subject} after ${trail.join(' > ')}`);
    }
  }

  it('one action at a time: never an illegal state, never past approval, never read beyond those the request reached', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(requestArb, fc.array(actionArb, { minLength: 8, maxLength: MAX_ACTIONS, size: 'max' }), async (spec, actions) => {
        await scenario(++runs, spec, actions, { readers: true });
      }),
      { numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
    );
    assert.equal(runs, RUNS);
  });

  it('two actions at once now and then: never an illegal state, never past approval', async () => {
    let runs = 0;
    const step: fc.Arbitrary<Step> = fc.oneof({ weight: 1, arbitrary: actionArb }, { weight: 1, arbitrary: pairArb });
    await fc.assert(
      fc.asyncProperty(requestArb, fc.array(step, { minLength: 8, maxLength: MAX_ACTIONS, size: 'max' }), async (spec, steps) => {
        await scenario(++runs, spec, steps, { readers: false });
      }),
      { numRuns: CONCURRENT_RUNS, endOnFailure: true, includeErrorInReport: true },
    );
    assert.equal(runs, CONCURRENT_RUNS);
  });

  /** A remote request of Estonia's, approved (one coordinator suffices), and France's offer on it. */
  async function approvedWithOffer(marking: (typeof MARKINGS)[number]): Promise<{ requestId: string; offerId: string }> {
    const incident = await reportIncident(node.ctx, principal('eve'), { title: 'Ransomware at a port', tlp: 'amber', releasability: ['ALLIANCE'] });
    const request = await service.requestAssistance(node.ctx, principal('eve'), {
      incident_id: incident.id, title: 'Malware analysis', capabilities: ['malware-analysis'], urgency: 'high', mode: 'remote', tlp: marking.tlp, releasability: marking.releasability,
    });
    clock.advance(60_000);
    const approved = await service.moveRequest(node.ctx, principal('carla'), request.id, { status: 'approved', version: request.version });
    assert.equal(approved.status, 'approved');
    clock.advance(60_000);
    const offer = await service.makeOffer(node.ctx, principal('francois'), request.id, { capabilities: ['malware-analysis'], size: 2, clearance: 'SECRET', mode: 'remote', available_from: START.toISOString() });
    clock.advance(60_000);
    return { requestId: request.id, offerId: offer.id };
  }

  it('a coordinating member the marking keeps out reads neither the request nor its offers and deployments', async () => {
    const { requestId, offerId } = await approvedWithOffer(MARKINGS[0]!);
    const ursula = principal('ursula');
    await assert.rejects(service.getRequest(node.ctx, ursula, requestId), { code: 'SW_NOT_FOUND' }, 'CERTEU is not released to (ALLIANCE only)');
    const accepted = await service.decideOffer(node.ctx, principal('eve'), offerId, { status: 'accepted' });
    await service.addSitrep(node.ctx, principal('francois'), accepted.deployment_id!, 'Sample reversed; the wiper spreads through the domain controller.');
    // The offer and the deployment carry the request's id, its incident, its situation reports.
    await assert.rejects(service.getOffer(node.ctx, ursula, offerId), { code: 'SW_NOT_FOUND' }, 'CERTEU reads an offer on a request it may not read');
    await assert.rejects(service.getDeployment(node.ctx, ursula, accepted.deployment_id!), { code: 'SW_NOT_FOUND' }, 'CERTEU reads a deployment of a request it may not read');
    const listed = await service.listDeployments(node.ctx, ursula, undefined, service.PAGE_MAX);
    assert.ok(!listed.some((deployment) => deployment.id === accepted.deployment_id), 'CERTEU lists a deployment of a request it may not read');
  });

  for (const ending of ['closed', 'withdrawn'] as const) {
    for (const first of ['the ending', 'the acceptance'] as const) {
      it(`a request ${ending} as an offer is accepted (${first} asked first): one of the two is refused`, async () => {
        const { requestId, offerId } = await approvedWithOffer(MARKINGS[0]!);
        const end = () => service.moveRequest(node.ctx, principal('eve'), requestId, { status: ending });
        const accept = () => service.decideOffer(node.ctx, principal('eve'), offerId, { status: 'accepted' });
        const [ended, acceptance] = first === 'the ending' ? await Promise.allSettled([end(), accept()]) : (await Promise.allSettled([accept(), end()])).reverse();
        const truth = await truthOf(node, requestId);
        const said = `${ending}: ${ended!.status}, accepted: ${acceptance!.status}; the request ${truth.request.row.status}, deployments ${truth.deployments.map((d) => d.row.status).join(', ') || 'none'}`;
        // In either order one after the other, the second is refused: a request that ended takes
        // no acceptance; an assisting request is neither withdrawn nor closed with a team mobilising.
        assert.equal([ended!, acceptance!].filter((outcome) => outcome.status === 'fulfilled').length, 1, said);
        checkState(truth, said);
      });
    }
  }
});
