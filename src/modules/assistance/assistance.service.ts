/**
 * Mutual assistance use cases: a stricken member requests assistance for one of its incidents;
 * coordinators of the coordinating members approve (as many as the approval rules ask for the
 * mode) or reject it; the approved request is addressed to the members whose standby teams match
 * (and read only by them, the requester and the coordinators: canReadRecord decides, through the
 * request's recipients and its markings); they offer national assets; the requester accepts or
 * declines each offer; an accepted offer becomes a deployment, tracked to its closure with lessons
 * learned. Three explicit state machines (assistance.model.ts) refuse any other move with 409
 * naming the allowed ones; every change is audited in the transaction that stores it, made on the
 * version its writer saw, and announced on the bus ('assistance.changed'). Response clocks time
 * approval, first offer and deployment from submission on the node's clock; a durable job per
 * milestone raises the alarm when one passes its target (they survive restarts). docs/ASSISTANCE.md.
 */
import { pushBounded } from '../../core/history.js';
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import { shieldwallError } from '../../core/errors.js';
import type { JobScheduler } from '../../core/jobs.js';
import { writeTransaction, type WriteTx } from '../../db/database.js';
import { classificationLevel, DEFAULT_CLASSIFICATIONS, releasabilityEntries, type Tlp } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type MemberKind, type Principal } from '../../policy/principal.js';
import {
  canCreateRecord, canReadRecord, canWriteRecord, isRecordOwner, memberReadsRecord, recordAccessOfColumns, recordColumns, recordReadScope, type RecordAccess, type RecordWriteDenial,
} from '../../policy/record.js';
import * as audit from '../audit/audit.service.js';
import * as directory from '../directory/directory.service.js';
import * as incidents from '../incidents/incidents.service.js';
import {
  allowedFrom, APPROVE_PERMISSION, CAPABILITY_KEYS, DEPLOYMENT_TRANSITIONS, MILESTONES, MODES, modeServes, REQUEST_MODES, URGENCIES, OFFER_TRANSITIONS, OFFERABLE_REQUEST_STATUSES, OPEN_REQUEST_STATUSES,
  REQUEST_TRANSITIONS, responseClock, UNFINISHED_DEPLOYMENT_STATUSES,
  type Approval, type AssistanceChange, type AssistanceChangeKind, type AssistanceRequest, type Deployment, type DeploymentStatus, type Handling,
  type HistoryEntry, type Milestone, type Mode, type Offer, type OfferStatus, type RequestAction, type RequestConstraints, type RequestMode,
  type RequestStatus, type RequestSummary, type ResponseClock, type SituationReport, type Urgency,
} from './assistance.model.js';
import * as repo from './assistance.repo.js';
import * as roster from './roster.service.js';

/** Bounds of one request and what hangs on it, so that nothing grows without limit. */
export const ASSISTANCE_LIMITS = Object.freeze({
  history: 1000,
  /** Offers open or accepted at once: withdrawn and declined ones make room. */
  offers: 100,
  /** Offers one member makes to one request, withdrawn and declined ones included, so that no member grows a request without end. */
  offersPerMember: 10,
  /** Offers a request lists and checks read at most (every member's offers within offersPerMember). */
  offersHeld: 1000,
  deployments: 50,
  sitreps: 500,
  /**
   * Characters a deployment's situation reports hold as stored (JSON, where a control character
   * takes six), half for each of its two members: counts alone let 500 reports of 10,000 control
   * characters make one deployment 30 MB, parsed whole on every read.
   */
  sitrepChars: 2 * 1024 * 1024,
  openRequestsPerIncident: 10,
  languages: 10,
  entries: 100,
  text: 20_000,
});
export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 200;
/** The kind of the durable job that checks one response clock against its target. */
export const CLOCK_KIND = 'assistance.clock';

// --- documents --------------------------------------------------------------------------------------

interface RequestDocument {
  description: string | null;
  constraints: { clearance: number | null; languages: string[]; duration_days: number | null; other: string | null };
  approvals: Approval[];
  approvals_required: number;
  rejection: { by: string; at: string; reason: string } | null;
  released_to: string[];
  coordination: string[];
  /** Milestones whose overdue alarm was raised. */
  overdue: Milestone[];
  history: HistoryEntry[];
}

interface OfferDocument {
  team_id: string | null;
  team_name: string | null;
  capabilities: string[];
  size: number;
  clearance: number;
  mode: Mode;
  available_from: string;
  available_until: string | null;
  conditions: string | null;
  reason: string | null;
  deployment_id: string | null;
  requesting_member: string | null;
  history: HistoryEntry[];
}

interface DeploymentDocument {
  incident_id: string;
  assisting_member: string | null;
  requesting_member: string | null;
  team_name: string | null;
  capabilities: string[];
  mode: Mode;
  sitreps: SituationReport[];
  lessons_learned: string | null;
  activated_at: string | null;
  demobilised_at: string | null;
  closed_at: string | null;
  history: HistoryEntry[];
}

interface Loaded<R, D> {
  row: R;
  access: RecordAccess;
  document: D;
}

function loadRow<R extends repo.OfferRow | repo.RequestRow | repo.DeploymentRow, D>(row: R): Loaded<R, D> {
  return { row, access: recordAccessOfColumns(row), document: JSON.parse(row.document) as D };
}

// --- small helpers ----------------------------------------------------------------------------------

const listColumn = (entries: readonly string[]) => `,${entries.join(',')},`;
const classificationName = (level: number) => DEFAULT_CLASSIFICATIONS[level] ?? `LEVEL ${level}`;
const handlingOf = (access: RecordAccess): Handling => ({ tlp: access.tlp, classification: classificationName(access.classification), releasability: [...access.releasability] });
const memberOf = (actor: Principal) => actor.member?.code ?? null;
const byOf = (actor: Principal) => actor.userName ?? actor.name;

function classificationOf(name: string | null | undefined, fallback: number | null, path: string): number | null {
  if (name === undefined || name === null) return fallback;
  const level = classificationLevel(name);
  if (level === undefined) throw shieldwallError('BAD_REQUEST', `classification '${name}' is not one of ${DEFAULT_CLASSIFICATIONS.join(', ')}`, [{ path, message: 'unknown classification' }]);
  return level;
}

function now(ctx: AppContext, previous?: string): string {
  let at = ctx.clock.now().getTime();
  if (previous !== undefined) at = Math.max(at, Date.parse(previous) + 1);
  return new Date(at).toISOString();
}

function pushHistory(history: HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  return pushBounded(history, entry, ASSISTANCE_LIMITS.history);
}

function historyEntry(actor: Principal, at: string, action: string, text: string | null = null): HistoryEntry {
  return { at, by: byOf(actor), member: memberOf(actor), action, text };
}

function invalidTransition(what: string, id: string, from: string, to: string, allowed: readonly string[]): Error {
  return shieldwallError(
    'INVALID_TRANSITION',
    `${what} ${id} is ${from}: it cannot become ${to}; ${allowed.length === 0 ? `${from} is final` : `allowed: ${allowed.join(', ')}`}`,
    { from, to, allowed: [...allowed] },
  );
}

function staleVersion(what: string, id: string, current: number, expected: number): Error {
  return shieldwallError('STALE_VERSION', `${what} ${id} is at version ${current}, you changed version ${expected}: reload it and make your change again`, { current_version: current });
}

function denied(denial: RecordWriteDenial, notFound: () => Error, suffix: string): Error {
  if (denial.rule === 'unreadable') return notFound();
  return shieldwallError('FORBIDDEN', `${denial.message} (${suffix})`);
}

const requestNotFound = (id: string) => shieldwallError('NOT_FOUND', `no request for assistance ${id} (or you may not read it)`);
const offerNotFound = (id: string) => shieldwallError('NOT_FOUND', `no offer ${id} (or you may not read it)`);
const deploymentNotFound = (id: string) => shieldwallError('NOT_FOUND', `no deployment ${id} (or you may not read it)`);

/** A text within its bound (the routes' schemas say the same; the command line on a store calls the service directly). */
function bounded(text: string | null | undefined, max: number, path: string): void {
  if (text !== null && text !== undefined && text.length > max) throw shieldwallError('BAD_REQUEST', `${path.replace(/^body\./, '')} holds ${text.length} characters: at most ${max}`, [{ path, message: 'too long' }]);
}

function oneOf<T extends string>(value: string, allowed: readonly T[], path: string): void {
  if (!(allowed as readonly string[]).includes(value)) throw shieldwallError('BAD_REQUEST', `'${String(value).slice(0, 60)}' is not one of ${allowed.join(', ')}`, [{ path, message: 'unknown value' }]);
}

function requirePermission(ctx: AppContext, actor: Principal, permission: string, what: string): void {
  if (!ctx.permissions.has(actor, permission)) throw shieldwallError('FORBIDDEN', `${what} needs the permission ${permission}, which your roles do not give`);
}

// --- who coordinates -------------------------------------------------------------------------------

interface MemberInfo {
  code: string;
  kind: MemberKind;
  groups: readonly string[];
}

async function membersByCode(ctx: AppContext): Promise<Map<string, MemberInfo>> {
  const members = await directory.listMembers(ctx, SYSTEM_PRINCIPAL);
  return new Map(members.map((member) => [member.code, { code: member.code, kind: member.kind, groups: member.groups }]));
}

/** The members whose coordinators approve requests: configured, or the node's international organisations. */
export async function coordinatingMembers(ctx: AppContext, members?: Map<string, MemberInfo>): Promise<string[]> {
  if (ctx.config.assistanceCoordination.length > 0) return [...ctx.config.assistanceCoordination];
  const all = members ?? (await membersByCode(ctx));
  return [...all.values()].filter((member) => member.kind === 'international-organisation').map((member) => member.code).sort();
}

function memberReads(member: MemberInfo, access: RecordAccess): boolean {
  return memberReadsRecord(member, access);
}

function isCoordinator(ctx: AppContext, actor: Principal, coordination: readonly string[]): boolean {
  const member = memberOf(actor);
  return member !== null && coordination.includes(member) && ctx.permissions.has(actor, APPROVE_PERMISSION);
}

// --- jobs ------------------------------------------------------------------------------------------

const schedulers = new WeakMap<AppContext, JobScheduler>();

/** The node's scheduler, for the clocks' jobs (set when the node is built; a CLI working on the store directly has none). */
export function useScheduler(ctx: AppContext, jobs: JobScheduler): void {
  schedulers.set(ctx, jobs);
}

function targetOf(ctx: AppContext, urgency: Urgency, milestone: Milestone): number {
  return ctx.config.assistanceTargets[urgency][milestone];
}

async function scheduleClocks(ctx: AppContext, row: Pick<repo.RequestRow, 'id' | 'urgency' | 'submitted_at'>): Promise<void> {
  const jobs = schedulers.get(ctx);
  if (!jobs) return;
  for (const milestone of MILESTONES) {
    const dueAt = new Date(Date.parse(row.submitted_at) + targetOf(ctx, row.urgency as Urgency, milestone) + 1);
    await jobs.enqueue(CLOCK_KIND, { request: row.id, milestone }, { key: `${CLOCK_KIND}:${row.id}:${milestone}`, dueAt, maxAttempts: null });
  }
}

/**
 * Enqueues the clock jobs of every open request (keyed: those that exist stay as they are): run
 * when the node starts, so that requests made while no node ran (a CLI on the store) are timed too.
 */
export async function scheduleOpenClocks(ctx: AppContext): Promise<number> {
  let scheduled = 0;
  let before: { modified: string; id: string } | undefined;
  for (;;) {
    const rows = await repo.listRequests(ctx.store.db, recordReadScope(SYSTEM_PRINCIPAL), { statuses: OPEN_REQUEST_STATUSES, limit: 500, ...(before ? { before } : {}) });
    for (const row of rows) {
      await scheduleClocks(ctx, row);
      scheduled++;
    }
    if (rows.length < 500) return scheduled;
    const last = rows[rows.length - 1]!;
    before = { modified: last.modified, id: last.id };
  }
}

// --- presenting -------------------------------------------------------------------------------------

function reachedOf(row: Pick<repo.RequestRow, 'approved_at' | 'first_offer_at' | 'deployed_at'>, milestone: Milestone): string | null {
  if (milestone === 'approval') return row.approved_at;
  if (milestone === 'first_offer') return row.first_offer_at;
  return row.deployed_at;
}

export function clocksOf(ctx: AppContext, row: Pick<repo.RequestRow, 'submitted_at' | 'approved_at' | 'first_offer_at' | 'deployed_at' | 'ended_at' | 'urgency'>): ResponseClock[] {
  const at = ctx.clock.now();
  return MILESTONES.map((milestone) => responseClock(milestone, row.submitted_at, reachedOf(row, milestone), row.ended_at, targetOf(ctx, row.urgency as Urgency, milestone), at));
}

/**
 * What a reader of a request is shown of the offers and deployments on it, and of the clocks they
 * stop: all of them to the requesting member and the coordinators (and the node); to the others
 * (the members it reached, who offer) only what they may read, since offering members do not see
 * each other's offers (ASSISTANCE.md): the counts of the offers and deployments they read, the
 * approval clock alone, and a history whose entries name no other member's offer.
 */
interface RequestView {
  whole: boolean;
  /** For a reader who does not see the whole request: the offers and deployments it reads. */
  offers?: number;
  deployments?: number;
}

/** The clocks a reader is shown (RequestView). */
function clocksShown(ctx: AppContext, row: Parameters<typeof clocksOf>[1], whole: boolean): ResponseClock[] {
  const clocks = clocksOf(ctx, row);
  return whole ? clocks : clocks.filter((clock) => clock.milestone === 'approval');
}

/** The history a reader is shown (RequestView): who accepted which offer, and the offer and deployment clocks overdue, are for those who see all. */
function historyShown(history: readonly HistoryEntry[], whole: boolean): HistoryEntry[] {
  if (whole) return history as HistoryEntry[];
  const hidden = new Set(MILESTONES.filter((milestone) => milestone !== 'approval').map((milestone) => `${milestone.replace('_', ' ')} over its target`));
  return history.flatMap((entry) => {
    if (entry.action === 'overdue' && entry.text !== null && hidden.has(entry.text)) return [];
    if (entry.action === 'assisting') return [{ ...entry, text: null }];
    return [entry];
  });
}

/**
 * Does the actor see the whole of a request on the board (RequestView), where the request's
 * document (its coordinating members) is not read: the coordinators are those of the node's
 * coordinating members the request is addressed to.
 */
function seesWholeOnBoard(ctx: AppContext, actor: Principal, access: RecordAccess, coordination: readonly string[]): boolean {
  if (actor.kind === 'system' || canWriteRecord(actor, access) === undefined) return true;
  return isCoordinator(ctx, actor, coordination.filter((code) => access.recipients.includes(code)));
}

function summaryOf(ctx: AppContext, row: repo.RequestBoardRow, access: RecordAccess, view: RequestView): RequestSummary {
  return {
    id: row.id,
    version: Number(row.version),
    incident_id: row.incident_id,
    title: row.title,
    capabilities: releasabilityEntries(row.capabilities).slice(),
    urgency: row.urgency as Urgency,
    mode: row.mode as RequestMode,
    status: row.status as RequestStatus,
    member: access.originMember,
    offers: view.whole ? Number(row.offers) : (view.offers ?? 0),
    deployments: view.whole ? Number(row.deployments) : (view.deployments ?? 0),
    clocks: clocksShown(ctx, row, view.whole),
    handling: handlingOf(access),
    created: row.created,
    modified: row.modified,
  };
}

type LoadedRequest = Loaded<repo.RequestRow, RequestDocument>;
type LoadedOffer = Loaded<repo.OfferRow, OfferDocument>;
type LoadedDeployment = Loaded<repo.DeploymentRow, DeploymentDocument>;

/** Does the actor write for the requesting member (its users, the request's owner)? */
function writesForRequester(actor: Principal, request: LoadedRequest): boolean {
  return canWriteRecord(actor, request.access) === undefined && actor.kind !== 'system';
}

function requestActions(ctx: AppContext, actor: Principal, request: LoadedRequest): RequestAction[] {
  const status = request.row.status as RequestStatus;
  const actions: RequestAction[] = [];
  const writer = ctx.permissions.has(actor, 'assistance:write');
  if (status === 'submitted' && isCoordinator(ctx, actor, request.document.coordination) && !isRecordOwner(actor, request.access)) {
    if (!request.document.approvals.some((approval) => approval.by === byOf(actor))) actions.push('approve');
    actions.push('reject');
  }
  if (writer && writesForRequester(actor, request)) {
    if (allowedFrom(REQUEST_TRANSITIONS, status).includes('withdrawn')) actions.push('withdraw');
    if (allowedFrom(REQUEST_TRANSITIONS, status).includes('closed')) actions.push('close');
  }
  const member = memberOf(actor);
  if (writer && member !== null && member !== request.access.originMember && OFFERABLE_REQUEST_STATUSES.includes(status)) actions.push('offer');
  return actions;
}

function presentOffer(ctx: AppContext, actor: Principal, offer: LoadedOffer, request: LoadedRequest | undefined): Offer {
  const { row, access, document } = offer;
  const status = row.status as OfferStatus;
  const writer = ctx.permissions.has(actor, 'assistance:write');
  return {
    id: row.id,
    version: Number(row.version),
    request_id: row.request_id,
    member: access.originMember,
    owner: access.owner,
    team_id: document.team_id,
    team_name: document.team_name,
    capabilities: document.capabilities,
    size: document.size,
    clearance: classificationName(document.clearance),
    mode: document.mode,
    available_from: document.available_from,
    available_until: document.available_until,
    conditions: document.conditions,
    status,
    allowed_transitions: [...allowedFrom(OFFER_TRANSITIONS, status)],
    reason: document.reason,
    deployment_id: document.deployment_id,
    created: row.created,
    modified: row.modified,
    may_decide: writer && status === 'offered' && request !== undefined && writesForRequester(actor, request),
    may_withdraw: writer && status === 'offered' && canWriteRecord(actor, access) === undefined,
  };
}

function deploymentWriters(deployment: LoadedDeployment): string[] {
  return deployment.document.requesting_member === null ? [] : [deployment.document.requesting_member];
}

function presentDeployment(ctx: AppContext, actor: Principal, deployment: LoadedDeployment): Deployment {
  const { row, access, document } = deployment;
  const status = row.status as DeploymentStatus;
  return {
    id: row.id,
    version: Number(row.version),
    request_id: row.request_id,
    offer_id: row.offer_id,
    incident_id: document.incident_id,
    assisting_member: document.assisting_member,
    requesting_member: document.requesting_member,
    team_name: document.team_name,
    capabilities: document.capabilities,
    mode: document.mode,
    status,
    allowed_transitions: [...allowedFrom(DEPLOYMENT_TRANSITIONS, status)],
    sitreps: document.sitreps,
    lessons_learned: document.lessons_learned,
    activated_at: document.activated_at,
    demobilised_at: document.demobilised_at,
    closed_at: document.closed_at,
    created: row.created,
    modified: row.modified,
    may_edit: ctx.permissions.has(actor, 'assistance:write') && canWriteRecord(actor, access, undefined, deploymentWriters(deployment)) === undefined,
  };
}

async function presentRequest(ctx: AppContext, actor: Principal, request: LoadedRequest): Promise<AssistanceRequest> {
  const { row, access, document } = request;
  const scope = recordReadScope(actor);
  const offers = (await repo.offersOf(ctx.store.db, scope, row.id, ASSISTANCE_LIMITS.offersHeld))
    .map((offerRow) => loadRow<repo.OfferRow, OfferDocument>(offerRow))
    .filter((offer) => canReadRecord(actor, offer.access))
    .map((offer) => presentOffer(ctx, actor, offer, request));
  const deployments = (await repo.deploymentsOf(ctx.store.db, scope, row.id, ASSISTANCE_LIMITS.deployments))
    .map((deploymentRow) => loadRow<repo.DeploymentRow, DeploymentDocument>(deploymentRow))
    .filter((deployment) => canReadRecord(actor, deployment.access))
    .map((deployment) => presentDeployment(ctx, actor, deployment));
  // The incident's title for a reader who may read the incident (a 404 there: none).
  const incidentTitle = await incidents.getIncident(ctx, actor, row.incident_id).then((incident) => incident.title, () => null);
  const status = row.status as RequestStatus;
  const coordinator = isCoordinator(ctx, actor, document.coordination) || actor.kind === 'system';
  const requester = writesForRequester(actor, request);
  const whole = coordinator || requester;
  // The members it reached: all to the coordinators; to the requester, those whose matching team
  // it may read (a team marked beyond it is not revealed by the routing).
  let releasedTo: string[] | null = null;
  if (coordinator) releasedTo = document.released_to;
  else if (requester) {
    const shown = await roster.membersWithTeamsReadBy(ctx, actor, document.released_to, releasabilityEntries(row.capabilities), row.mode as RequestMode);
    releasedTo = document.released_to.filter((code) => shown.has(code));
  }
  const constraints: RequestConstraints = {
    clearance: document.constraints.clearance === null ? null : classificationName(document.constraints.clearance),
    languages: document.constraints.languages,
    duration_days: document.constraints.duration_days,
    other: document.constraints.other,
  };
  return {
    id: row.id,
    version: Number(row.version),
    incident_id: row.incident_id,
    incident_title: incidentTitle,
    title: row.title,
    description: document.description,
    capabilities: releasabilityEntries(row.capabilities).slice(),
    urgency: row.urgency as Urgency,
    mode: row.mode as RequestMode,
    constraints,
    status,
    allowed_transitions: [...allowedFrom(REQUEST_TRANSITIONS, status)],
    member: access.originMember,
    owner: access.owner,
    approvals: document.approvals,
    approvals_required: document.approvals_required,
    rejection: document.rejection,
    released_to: releasedTo,
    clocks: clocksShown(ctx, row, whole),
    handling: handlingOf(access),
    created: row.created,
    modified: row.modified,
    // A request with a deployment under way is not closed (moveRequest refuses it): not offered.
    actions: requestActions(ctx, actor, request).filter((action) => action !== 'close' || !deployments.some((d) => (UNFINISHED_DEPLOYMENT_STATUSES as readonly string[]).includes(d.status))),
    offers,
    deployments,
    history: historyShown(document.history, whole),
  };
}

// --- reading -----------------------------------------------------------------------------------------

async function readableRequest(ctx: AppContext, actor: Principal, id: string): Promise<LoadedRequest> {
  const row = await repo.findRequest(ctx.store.db, id);
  if (!row) throw requestNotFound(id);
  const request = loadRow<repo.RequestRow, RequestDocument>(row);
  if (!canReadRecord(actor, request.access)) throw requestNotFound(id);
  return request;
}

async function readableOffer(ctx: AppContext, actor: Principal, id: string): Promise<LoadedOffer> {
  const row = await repo.findOffer(ctx.store.db, id);
  if (!row) throw offerNotFound(id);
  const offer = loadRow<repo.OfferRow, OfferDocument>(row);
  if (!canReadRecord(actor, offer.access)) throw offerNotFound(id);
  return offer;
}

async function readableDeployment(ctx: AppContext, actor: Principal, id: string): Promise<LoadedDeployment> {
  const row = await repo.findDeployment(ctx.store.db, id);
  if (!row) throw deploymentNotFound(id);
  const deployment = loadRow<repo.DeploymentRow, DeploymentDocument>(row);
  if (!canReadRecord(actor, deployment.access)) throw deploymentNotFound(id);
  return deployment;
}

/** The request as the node holds it, whoever asks (for the service's own decisions). */
async function storedRequest(ctx: AppContext, id: string): Promise<LoadedRequest> {
  const row = await repo.findRequest(ctx.store.db, id);
  if (!row) throw requestNotFound(id);
  return loadRow<repo.RequestRow, RequestDocument>(row);
}

export async function getRequest(ctx: AppContext, actor: Principal, id: string): Promise<AssistanceRequest> {
  requirePermission(ctx, actor, 'assistance:read', 'reading requests for assistance');
  return presentRequest(ctx, actor, await readableRequest(ctx, actor, id));
}

export interface RequestQuery {
  status?: RequestStatus[];
  urgency?: Urgency[];
  incident?: string;
  limit?: number;
  cursor?: string;
}

/** The board: requests the actor may read, newest change first. */
export async function listRequests(ctx: AppContext, actor: Principal, query: RequestQuery): Promise<{ requests: RequestSummary[]; next_cursor: string | null }> {
  requirePermission(ctx, actor, 'assistance:read', 'reading requests for assistance');
  const limit = Math.min(query.limit ?? PAGE_DEFAULT, PAGE_MAX);
  const rows = await repo.listRequests(ctx.store.db, recordReadScope(actor), {
    ...(query.status ? { statuses: query.status } : {}),
    ...(query.urgency ? { urgencies: query.urgency } : {}),
    ...(query.incident !== undefined ? { incident: query.incident } : {}),
    ...(query.cursor !== undefined ? { before: decodeCursor(query.cursor, 'assistance-request') } : {}),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const coordination = await coordinatingMembers(ctx);
  const readable = page.flatMap((row) => {
    const access = recordAccessOfColumns(row);
    return canReadRecord(actor, access) ? [{ row, access, whole: seesWholeOnBoard(ctx, actor, access, coordination) }] : [];
  });
  const partial = readable.filter((r) => !r.whole).map((r) => r.row.id);
  const offers = await readableCounts(ctx, actor, 'assistance_offers', partial, ASSISTANCE_LIMITS.offersHeld);
  const deployments = await readableCounts(ctx, actor, 'assistance_deployments', partial, ASSISTANCE_LIMITS.deployments);
  const requests = readable.map(({ row, access, whole }) => summaryOf(ctx, row, access, { whole, offers: offers.get(row.id) ?? 0, deployments: deployments.get(row.id) ?? 0 }));
  return { requests, next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null };
}

/** Of these requests, how many offers (or deployments) the actor reads on each: at most `perRequest` each are read. */
async function readableCounts(ctx: AppContext, actor: Principal, table: 'assistance_offers' | 'assistance_deployments', requestIds: readonly string[], perRequest: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const rows = await repo.recordsOfRequests(ctx.store.db, table, recordReadScope(actor), requestIds, requestIds.length * perRequest);
  for (const row of rows) if (canReadRecord(actor, recordAccessOfColumns(row))) counts.set(row.request_id, (counts.get(row.request_id) ?? 0) + 1);
  return counts;
}

export async function getOffer(ctx: AppContext, actor: Principal, id: string): Promise<Offer> {
  requirePermission(ctx, actor, 'assistance:read', 'reading offers');
  const offer = await readableOffer(ctx, actor, id);
  const request = await storedRequest(ctx, offer.row.request_id);
  return presentOffer(ctx, actor, offer, request);
}

export async function getDeployment(ctx: AppContext, actor: Principal, id: string): Promise<Deployment> {
  requirePermission(ctx, actor, 'assistance:read', 'reading deployments');
  return presentDeployment(ctx, actor, await readableDeployment(ctx, actor, id));
}

export async function listDeployments(ctx: AppContext, actor: Principal, statuses: DeploymentStatus[] | undefined, limit = PAGE_DEFAULT): Promise<Deployment[]> {
  requirePermission(ctx, actor, 'assistance:read', 'reading deployments');
  const rows = await repo.listDeployments(ctx.store.db, recordReadScope(actor), statuses, Math.min(limit, PAGE_MAX));
  return rows
    .map((row) => loadRow<repo.DeploymentRow, DeploymentDocument>(row))
    .filter((deployment) => canReadRecord(actor, deployment.access))
    .map((deployment) => presentDeployment(ctx, actor, deployment));
}

// --- writing: the common path ------------------------------------------------------------------------

function event(
  record: AssistanceChange['record'], id: string, request: LoadedRequest, change: AssistanceChangeKind, status: string, access: RecordAccess, modified: string,
  milestone?: Milestone,
): AssistanceChange {
  return {
    record,
    id,
    request_id: request.row.id,
    incident_id: request.row.incident_id,
    change,
    title: request.row.title,
    status,
    urgency: request.row.urgency as Urgency,
    requesting_member: request.access.originMember,
    ...(milestone ? { milestone } : {}),
    access,
    modified,
  };
}

function requestRow(base: repo.RequestRow, access: RecordAccess, document: RequestDocument, changes: Partial<repo.RequestRow>): repo.RequestRow {
  return { ...base, ...changes, document: JSON.stringify(document), ...recordColumns(access) };
}

/** Writes a request's next version (checked against the version read) with its audit entry. */
async function storeRequest(tx: WriteTx, current: LoadedRequest, next: repo.RequestRow): Promise<void> {
  const ok = await repo.replaceRequest(tx, next, Number(current.row.version));
  if (!ok) {
    const fresh = await repo.findRequest(tx.db, current.row.id);
    throw staleVersion('request', current.row.id, Number(fresh?.version ?? current.row.version), Number(current.row.version));
  }
}

/**
 * Updates the request a change to one of its offers or deployments touches (counters, clocks, its
 * status on the first deployment), read again inside the write transaction (writes are serialised
 * per store), as a new version.
 */
async function touchRequest(tx: WriteTx, id: string, at: string, mutate: (row: repo.RequestRow, document: RequestDocument) => Partial<repo.RequestRow>): Promise<repo.RequestRow> {
  const row = await repo.findRequest(tx.db, id);
  if (!row) throw requestNotFound(id);
  const current = loadRow<repo.RequestRow, RequestDocument>(row);
  const document: RequestDocument = { ...current.document };
  const changes = mutate(row, document);
  const next = requestRow(row, current.access, document, { ...changes, version: Number(row.version) + 1, modified: at > row.modified ? at : row.modified });
  await storeRequest(tx, current, next);
  return next;
}

/**
 * Inside the write: the request still takes offers and deployments. Checked before as well; a
 * request withdrawn or closed by a write that came in between refuses them here.
 */
function stillOfferable(row: Pick<repo.RequestRow, 'id' | 'status'>): void {
  const status = row.status as RequestStatus;
  if (!OFFERABLE_REQUEST_STATUSES.includes(status)) {
    throw shieldwallError('CONFLICT', `request ${row.id} is ${status} now: it takes no more offers or deployments`, { status, allowed: [...OFFERABLE_REQUEST_STATUSES] });
  }
}

function checkVersion(what: string, id: string, current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current) throw staleVersion(what, id, current, expected);
}

// --- requests ----------------------------------------------------------------------------------------

export interface RequestInput {
  incident_id: string;
  title: string;
  description?: string | null;
  capabilities: string[];
  urgency: Urgency;
  mode: RequestMode;
  constraints?: { clearance?: string | null; languages?: string[]; duration_days?: number | null; other?: string | null };
  tlp?: Tlp | null;
  classification?: string;
  releasability?: string[];
}

function checkCapabilities(capabilities: readonly string[], path: string): void {
  if (capabilities.length === 0) throw shieldwallError('BAD_REQUEST', 'name at least one capability from the catalogue (GET /api/v1/assistance/catalogue)', [{ path, message: 'empty' }]);
  const unknown = capabilities.filter((capability) => !CAPABILITY_KEYS.includes(capability));
  if (unknown.length > 0) throw shieldwallError('BAD_REQUEST', `capability '${unknown[0]}' is not in the catalogue: use one of ${CAPABILITY_KEYS.join(', ')}`, [{ path, message: 'unknown capability' }]);
}

/**
 * Room for one more open request for an incident: fewer than ASSISTANCE_LIMITS.openRequestsPerIncident
 * submitted, approved or assisting (closed, rejected and withdrawn ones make room).
 */
async function checkRequestRoom(db: Parameters<typeof repo.countRequestsOfIncident>[0], incident: string): Promise<void> {
  const open = await repo.countRequestsOfIncident(db, incident, OPEN_REQUEST_STATUSES);
  if (open >= ASSISTANCE_LIMITS.openRequestsPerIncident) {
    throw shieldwallError('CONFLICT', `incident ${incident} has ${open} open requests for assistance already (at most ${ASSISTANCE_LIMITS.openRequestsPerIncident}): add to one of them, or close one`, {
      open_requests: open,
      limit: ASSISTANCE_LIMITS.openRequestsPerIncident,
    });
  }
}

/** The stricken member requests assistance for one of its own incidents. */
export async function requestAssistance(ctx: AppContext, actor: Principal, input: RequestInput): Promise<AssistanceRequest> {
  requirePermission(ctx, actor, 'assistance:write', 'requesting assistance');
  const member = memberOf(actor);
  if (member === null) throw shieldwallError('FORBIDDEN', 'assistance is requested by a member: your account acts for no member');
  const incident = await incidents.getIncident(ctx, actor, input.incident_id);
  if (incident.source !== 'local' || incident.member !== member) {
    throw shieldwallError('FORBIDDEN', `assistance for incident ${incident.id} is requested by its reporting member ${incident.member ?? '(none)'}: you act for ${member}`);
  }
  checkCapabilities(input.capabilities, 'body.capabilities');
  const capabilities = [...new Set(input.capabilities)];
  oneOf(input.urgency, URGENCIES, 'body.urgency');
  oneOf(input.mode, REQUEST_MODES, 'body.mode');
  if (input.title.trim() === '') throw shieldwallError('BAD_REQUEST', 'a request has a title', [{ path: 'body.title', message: 'empty' }]);
  bounded(input.title, 300, 'body.title');
  bounded(input.description, ASSISTANCE_LIMITS.text, 'body.description');
  bounded(input.constraints?.other, 5000, 'body.constraints.other');
  const days = input.constraints?.duration_days;
  if (days !== undefined && days !== null && (!Number.isInteger(days) || days < 1 || days > 365)) throw shieldwallError('BAD_REQUEST', 'duration_days is a whole number of days from 1 to 365', [{ path: 'body.constraints.duration_days', message: 'out of range' }]);
  if ((input.releasability?.length ?? 0) > ASSISTANCE_LIMITS.entries) throw shieldwallError('BAD_REQUEST', `at most ${ASSISTANCE_LIMITS.entries} releasability entries`, [{ path: 'body.releasability', message: 'too many' }]);
  const access: RecordAccess = {
    tlp: input.tlp === undefined ? 'amber' : input.tlp,
    classification: classificationOf(input.classification, 0, 'body.classification')!,
    releasability: input.releasability ?? [...ctx.config.defaultReleasability],
    originMember: member,
    owner: actor.userName,
    recipients: [],
  };
  const members = await membersByCode(ctx);
  const coordination = (await coordinatingMembers(ctx, members)).filter((code) => members.has(code));
  if (coordination.length === 0) {
    throw shieldwallError('CONFLICT', 'this node has no coordinating member to approve requests for assistance: its administrator names them with SHIELDWALL_ASSISTANCE_COORDINATION (or hosts an international organisation)');
  }
  const addressed: RecordAccess = { ...access, recipients: [...new Set([member, ...coordination])] };
  const readers = coordination.filter((code) => code !== member && memberReads(members.get(code)!, addressed));
  // Another coordinating member decides on it: a coordinating member asking for help itself
  // releases its request to another, where the node has another (its own coordinators decide
  // only where it is the node's one coordinating member).
  const others = coordination.filter((code) => code !== member);
  if (readers.length === 0 && others.length > 0) {
    throw shieldwallError(
      'BAD_REQUEST',
      `the request's marking keeps it from every coordinating member that may decide on it (${others.join(', ')}): release it to one of them (releasability, e.g. ${others[0]} or a group it belongs to) and use a TLP they may read (TLP:AMBER or wider)`,
      [{ path: 'body.releasability', message: 'not released to a coordinating member' }],
    );
  }
  const denial = canCreateRecord(actor, addressed);
  if (denial) throw shieldwallError('FORBIDDEN', denial.message);
  const constraints = input.constraints ?? {};
  const languages = [...new Set(constraints.languages ?? [])];
  if (languages.length > ASSISTANCE_LIMITS.languages) throw shieldwallError('BAD_REQUEST', `name at most ${ASSISTANCE_LIMITS.languages} languages`, [{ path: 'body.constraints.languages', message: 'too many' }]);
  await checkRequestRoom(ctx.store.db, incident.id);
  const at = now(ctx);
  const required = ctx.config.assistanceApprovals[input.mode];
  const document: RequestDocument = {
    description: input.description ?? null,
    constraints: {
      clearance: classificationOf(constraints.clearance, null, 'body.constraints.clearance'),
      languages,
      duration_days: constraints.duration_days ?? null,
      other: constraints.other ?? null,
    },
    approvals: [],
    approvals_required: required,
    rejection: null,
    released_to: [],
    coordination,
    overdue: [],
    history: [historyEntry(actor, at, 'submitted', `${required} coordinator approval${required === 1 ? '' : 's'} required (${input.mode})`)],
  };
  const id = `assistance-request--${randomUUID()}`;
  const row = requestRow(
    {
      id, version: 1, incident_id: incident.id, title: input.title, status: 'submitted', urgency: input.urgency, mode: input.mode, capabilities: listColumn(capabilities),
      offers: 0, deployments: 0, submitted_at: at, approved_at: null, first_offer_at: null, deployed_at: null, ended_at: null, created: at, modified: at, document: '',
      tlp: null, classification: null, releasability: null, origin_member: null, owner: null, recipients: null,
    },
    addressed,
    document,
    {},
  );
  await writeTransaction(ctx.store, async (tx) => {
    // Counted again inside the write: requests made at the same moment do not pass the bound together.
    await checkRequestRoom(tx.db, incident.id);
    await repo.insertRequest(tx, row);
    await audit.recordInTransaction(ctx, tx, actor, [
      { action: 'assistance.request', subject: id, detail: { incident: incident.id, capabilities, urgency: input.urgency, mode: input.mode, member, tlp: access.tlp, classification: access.classification } },
    ]);
  });
  const request = loadRow<repo.RequestRow, RequestDocument>(row);
  await scheduleClocks(ctx, row);
  ctx.bus.publish('assistance.changed', event('request', id, request, 'requested', 'submitted', request.access, at));
  return presentRequest(ctx, actor, request);
}

export interface RequestStatusInput {
  status: RequestStatus;
  version?: number;
  conditions?: string | null;
  reason?: string | null;
}

/**
 * Moves a request: a coordinator approves (one approval; the request is approved once as many
 * distinct coordinators as its mode requires approved) or rejects with a reason; the requester
 * withdraws or closes it. Any move the state machine does not allow is 409 naming the allowed ones.
 */
export async function moveRequest(ctx: AppContext, actor: Principal, id: string, input: RequestStatusInput): Promise<AssistanceRequest> {
  const request = await readableRequest(ctx, actor, id);
  const from = request.row.status as RequestStatus;
  bounded(input.conditions, 5000, 'body.conditions');
  bounded(input.reason, 5000, 'body.reason');
  const allowed = allowedFrom(REQUEST_TRANSITIONS, from);
  // 'assisting' is reached by accepting an offer, never asked for.
  if (!allowed.includes(input.status) || input.status === 'assisting') throw invalidTransition('request', id, from, input.status, allowed.filter((s) => s !== 'assisting'));
  const at = now(ctx, request.row.modified);
  const document: RequestDocument = { ...request.document };
  const changes: Partial<repo.RequestRow> = { version: Number(request.row.version) + 1, modified: at };
  let access = request.access;
  let change: AssistanceChangeKind;
  let auditDetail: Record<string, unknown> = { from };
  if (input.status === 'approved' || input.status === 'rejected') {
    requirePermission(ctx, actor, APPROVE_PERMISSION, 'deciding on requests for assistance');
    if (!isCoordinator(ctx, actor, document.coordination)) {
      throw shieldwallError('FORBIDDEN', `requests for assistance are decided by the coordinators of ${document.coordination.join(', ')}: you act for ${memberOf(actor) ?? 'no member'}`);
    }
    if (isRecordOwner(actor, request.access)) throw shieldwallError('FORBIDDEN', 'you made this request: another coordinator decides on it');
    const asking = request.access.originMember;
    const others = document.coordination.filter((code) => code !== asking);
    if (memberOf(actor) === asking && others.length > 0) {
      throw shieldwallError('FORBIDDEN', `your member asked for this help: the coordinators of ${others.join(', ')} decide on it`);
    }
    checkVersion('request', id, Number(request.row.version), input.version);
    if (input.status === 'rejected') {
      const reason = input.reason?.trim() ?? '';
      if (reason === '') throw shieldwallError('BAD_REQUEST', 'a rejection gives its reason (reason)', [{ path: 'body.reason', message: 'required' }]);
      document.rejection = { by: byOf(actor), at, reason };
      changes.status = 'rejected';
      changes.ended_at = at;
      change = 'rejected';
      document.history = pushHistory(document.history, historyEntry(actor, at, 'rejected', reason));
      auditDetail = { ...auditDetail, to: 'rejected', reason };
    } else {
      if (document.approvals.some((approval) => approval.by === byOf(actor))) {
        throw shieldwallError('CONFLICT', `you approved request ${id} already: ${document.approvals_required} distinct coordinators approve it (${document.approvals.length} so far)`);
      }
      const approval: Approval = { by: byOf(actor), member: memberOf(actor), at, conditions: input.conditions?.trim() || null };
      document.approvals = [...document.approvals, approval];
      const complete = document.approvals.length >= document.approvals_required;
      document.history = pushHistory(document.history, historyEntry(actor, at, 'approval', `${document.approvals.length} of ${document.approvals_required}${approval.conditions ? `; conditions: ${approval.conditions}` : ''}`));
      change = complete ? 'approved' : 'approval';
      auditDetail = { ...auditDetail, approvals: document.approvals.length, required: document.approvals_required, conditions: approval.conditions };
      if (complete) {
        const released = await releaseTo(ctx, request);
        document.released_to = released;
        access = { ...access, recipients: [...new Set([...access.recipients, ...released])] };
        changes.status = 'approved';
        changes.approved_at = at;
        document.history = pushHistory(document.history, historyEntry(SYSTEM_PRINCIPAL, at, 'approved', released.length === 0 ? 'no member has a matching standby team yet' : 'addressed to the members with matching standby teams'));
        auditDetail = { ...auditDetail, to: 'approved', released_to: released };
      }
    }
  } else {
    requirePermission(ctx, actor, 'assistance:write', `a request's ${input.status === 'withdrawn' ? 'withdrawal' : 'closure'}`);
    const denial = canWriteRecord(actor, request.access);
    if (denial) throw denied(denial, () => requestNotFound(id), `request ${id}`);
    checkVersion('request', id, Number(request.row.version), input.version);
    if (input.status === 'closed') {
      const unfinished = (await repo.allDeploymentsOf(ctx.store.db, id, ASSISTANCE_LIMITS.deployments)).filter((d) => (UNFINISHED_DEPLOYMENT_STATUSES as readonly string[]).includes(d.status));
      if (unfinished.length > 0) {
        throw shieldwallError('CONFLICT', `request ${id} has deployments still under way (${unfinished.map((d) => `${d.id}: ${d.status}`).join(', ')}): demobilise them before closing it`);
      }
    }
    changes.status = input.status;
    changes.ended_at = at;
    change = input.status === 'closed' ? 'closed' : 'withdrawn';
    document.history = pushHistory(document.history, historyEntry(actor, at, input.status, input.reason?.trim() || null));
    auditDetail = { ...auditDetail, to: input.status };
  }
  const next = requestRow(request.row, access, document, changes);
  await writeTransaction(ctx.store, async (tx) => {
    await storeRequest(tx, request, next);
    await audit.recordInTransaction(ctx, tx, actor, [{ action: `assistance.request.${change}`, subject: id, detail: auditDetail }]);
  });
  const stored = loadRow<repo.RequestRow, RequestDocument>(next);
  ctx.bus.publish('assistance.changed', event('request', id, stored, change, next.status, stored.access, at));
  return presentRequest(ctx, actor, stored);
}

/** The members an approved request reaches: those with a matching standby team that its marking releases it to. */
async function releaseTo(ctx: AppContext, request: LoadedRequest): Promise<string[]> {
  const capabilities = releasabilityEntries(request.row.capabilities);
  const candidates = await roster.membersWithStandby(ctx, capabilities, request.row.mode as RequestMode, request.access.originMember);
  const members = await membersByCode(ctx);
  const released: string[] = [];
  for (const code of candidates) {
    const member = members.get(code);
    if (member === undefined || request.document.coordination.includes(code)) continue;
    // Addressed to it, would it read the request? Its markings (releasability, TLP) still decide.
    if (memberReads(member, { ...request.access, recipients: [...request.access.recipients, code] })) released.push(code);
  }
  return released.sort();
}

// --- offers ------------------------------------------------------------------------------------------

export interface OfferInput {
  team_id?: string | null;
  capabilities: string[];
  size: number;
  clearance: string;
  mode: Mode;
  available_from: string;
  available_until?: string | null;
  conditions?: string | null;
}

/**
 * Room for one more offer of `member` to a request: fewer than ASSISTANCE_LIMITS.offers open or
 * accepted (withdrawn and declined ones make room), and fewer than offersPerMember of its own,
 * whatever their status (offering and withdrawing cannot grow a request without end, nor keep
 * others from offering).
 */
async function checkOfferRoom(db: Parameters<typeof repo.offerCounts>[0], requestId: string, member: string): Promise<void> {
  const { live, member: own } = await repo.offerCounts(db, requestId, member);
  if (live >= ASSISTANCE_LIMITS.offers) {
    throw shieldwallError('CONFLICT', `request ${requestId} has ${live} offers open or accepted, the most it takes: no more are taken until some are declined or withdrawn`, { offers: live, limit: ASSISTANCE_LIMITS.offers });
  }
  if (own >= ASSISTANCE_LIMITS.offersPerMember) {
    throw shieldwallError(
      'CONFLICT',
      `member ${member} has made ${own} offers to request ${requestId} (withdrawn and declined ones included), the most one member makes to one request: offer further assets through the requester (its coordinators), or in a new request`,
      { member_offers: own, limit: ASSISTANCE_LIMITS.offersPerMember },
    );
  }
}

/** A member the request reached offers national assets. Never before the request is approved. */
export async function makeOffer(ctx: AppContext, actor: Principal, requestId: string, input: OfferInput): Promise<Offer> {
  requirePermission(ctx, actor, 'assistance:write', 'offering assistance');
  const request = await readableRequest(ctx, actor, requestId);
  const member = memberOf(actor);
  if (member === null) throw shieldwallError('FORBIDDEN', 'offers are made by a member: your account acts for no member');
  if (member === request.access.originMember) throw shieldwallError('FORBIDDEN', 'a member does not offer assistance to itself');
  const status = request.row.status as RequestStatus;
  if (!OFFERABLE_REQUEST_STATUSES.includes(status)) {
    throw shieldwallError('CONFLICT', `request ${requestId} is ${status}: offers are made to approved requests only (${OFFERABLE_REQUEST_STATUSES.join(', ')})`, { status, allowed: [...OFFERABLE_REQUEST_STATUSES] });
  }
  checkCapabilities(input.capabilities, 'body.capabilities');
  oneOf(input.mode, MODES, 'body.mode');
  if (!Number.isInteger(input.size) || input.size < 1 || input.size > 500) throw shieldwallError('BAD_REQUEST', 'size is a whole number of people from 1 to 500', [{ path: 'body.size', message: 'out of range' }]);
  for (const [field, value] of [['available_from', input.available_from], ['available_until', input.available_until]] as const) {
    if (value !== undefined && value !== null && Number.isNaN(Date.parse(value))) throw shieldwallError('BAD_REQUEST', `${field} '${String(value).slice(0, 40)}' is not an RFC 3339 time`, [{ path: `body.${field}`, message: 'not a time' }]);
  }
  bounded(input.conditions, 5000, 'body.conditions');
  const requested = releasabilityEntries(request.row.capabilities);
  const extra = input.capabilities.filter((capability) => !requested.includes(capability));
  if (extra.length > 0) throw shieldwallError('BAD_REQUEST', `the request does not ask for ${extra.join(', ')}: offer among ${requested.join(', ')}`, [{ path: 'body.capabilities', message: 'not requested' }]);
  if (!modeServes(input.mode, request.row.mode as RequestMode)) {
    throw shieldwallError('BAD_REQUEST', `the request asks for help ${request.row.mode}: an offer ${input.mode} does not serve it`, [{ path: 'body.mode', message: 'mode not requested' }]);
  }
  const clearance = classificationOf(input.clearance, 0, 'body.clearance')!;
  if (request.document.constraints.clearance !== null && clearance < request.document.constraints.clearance) {
    throw shieldwallError('BAD_REQUEST', `the request needs team members cleared to ${classificationName(request.document.constraints.clearance)}: yours are cleared to ${classificationName(clearance)}`, [{ path: 'body.clearance', message: 'below the request' }]);
  }
  if (input.available_until && Date.parse(input.available_until) <= Date.parse(input.available_from)) {
    throw shieldwallError('BAD_REQUEST', 'available_until comes after available_from', [{ path: 'body.available_until', message: 'before available_from' }]);
  }
  let teamName: string | null = null;
  if (input.team_id) {
    const team = await roster.teamForOffer(ctx, actor, input.team_id);
    if (team.status !== 'standing-by') throw shieldwallError('BAD_REQUEST', `team ${team.name} is ${team.status}: stand it by again (PATCH its status) or offer another`, [{ path: 'body.team_id', message: 'stood down' }]);
    const missing = input.capabilities.filter((capability) => !team.capabilities.includes(capability));
    if (missing.length > 0) throw shieldwallError('BAD_REQUEST', `team ${team.name} does not have ${missing.join(', ')}`, [{ path: 'body.capabilities', message: 'not the team\'s' }]);
    if (!team.modes.includes(input.mode)) throw shieldwallError('BAD_REQUEST', `team ${team.name} does not work ${input.mode}`, [{ path: 'body.mode', message: 'not the team\'s' }]);
    teamName = team.name;
  }
  await checkOfferRoom(ctx.store.db, requestId, member);
  const requester = request.access.originMember;
  // The coordinators who read the request read its offers: a coordinating member its marking keeps out does not.
  const members = await membersByCode(ctx);
  const coordinators = request.document.coordination.filter((code) => {
    const info = members.get(code);
    return info !== undefined && memberReads(info, request.access);
  });
  const parties = [...new Set([...(requester === null ? [] : [requester]), member, ...coordinators])];
  const access: RecordAccess = {
    tlp: request.access.tlp,
    classification: request.access.classification,
    releasability: parties,
    originMember: member,
    owner: actor.userName,
    recipients: parties,
  };
  const denial = canCreateRecord(actor, access);
  if (denial) throw shieldwallError('FORBIDDEN', denial.message);
  const at = now(ctx, request.row.modified);
  const document: OfferDocument = {
    team_id: input.team_id ?? null,
    team_name: teamName,
    capabilities: [...new Set(input.capabilities)],
    size: input.size,
    clearance,
    mode: input.mode,
    available_from: input.available_from,
    available_until: input.available_until ?? null,
    conditions: input.conditions ?? null,
    reason: null,
    deployment_id: null,
    requesting_member: requester,
    history: [historyEntry(actor, at, 'offered', teamName)],
  };
  const id = `assistance-offer--${randomUUID()}`;
  const row: repo.OfferRow = { id, version: 1, request_id: requestId, status: 'offered', created: at, modified: at, document: JSON.stringify(document), ...recordColumns(access) };
  await writeTransaction(ctx.store, async (tx) => {
    // Counted again inside the write: offers made at the same moment do not pass the bounds together.
    await checkOfferRoom(tx.db, requestId, member);
    await repo.insertOffer(tx, row);
    await touchRequest(tx, requestId, at, (row) => {
      stillOfferable(row);
      return { offers: Number(row.offers) + 1, first_offer_at: row.first_offer_at ?? at };
    });
    await audit.recordInTransaction(ctx, tx, actor, [
      { action: 'assistance.offer', subject: id, detail: { request: requestId, member, capabilities: document.capabilities, size: input.size, mode: input.mode } },
    ]);
  });
  const offer = loadRow<repo.OfferRow, OfferDocument>(row);
  ctx.bus.publish('assistance.changed', event('offer', id, request, 'offered', 'offered', access, at));
  return presentOffer(ctx, actor, offer, await storedRequest(ctx, requestId));
}

export interface OfferStatusInput {
  status: OfferStatus;
  version?: number;
  reason?: string | null;
}

/** The requester accepts (making a deployment) or declines an offer; the offering member withdraws it. */
export async function decideOffer(ctx: AppContext, actor: Principal, id: string, input: OfferStatusInput): Promise<Offer> {
  requirePermission(ctx, actor, 'assistance:write', 'deciding on offers');
  const offer = await readableOffer(ctx, actor, id);
  bounded(input.reason, 5000, 'body.reason');
  const from = offer.row.status as OfferStatus;
  const allowed = allowedFrom(OFFER_TRANSITIONS, from);
  if (!allowed.includes(input.status)) throw invalidTransition('offer', id, from, input.status, allowed);
  const request = await storedRequest(ctx, offer.row.request_id);
  if (input.status === 'withdrawn') {
    const denial = canWriteRecord(actor, offer.access);
    if (denial) throw denied(denial, () => offerNotFound(id), `offer ${id}: the offering member withdraws it`);
  } else {
    if (!canReadRecord(actor, request.access) || !writesForRequester(actor, request)) {
      throw shieldwallError('FORBIDDEN', `offer ${id} is accepted or declined by the requesting member ${request.access.originMember ?? ''}`);
    }
    const requestStatus = request.row.status as RequestStatus;
    if (!OFFERABLE_REQUEST_STATUSES.includes(requestStatus)) {
      throw shieldwallError('CONFLICT', `request ${request.row.id} is ${requestStatus}: its offers are no longer decided on`, { status: requestStatus });
    }
  }
  checkVersion('offer', id, Number(offer.row.version), input.version);
  const at = now(ctx, offer.row.modified);
  const document: OfferDocument = { ...offer.document, reason: input.reason?.trim() || null };
  document.history = pushHistory(document.history, historyEntry(actor, at, input.status, document.reason));
  let deploymentRow: repo.DeploymentRow | undefined;
  if (input.status === 'accepted') {
    const existing = await repo.allDeploymentsOf(ctx.store.db, request.row.id, ASSISTANCE_LIMITS.deployments + 1);
    if (existing.length >= ASSISTANCE_LIMITS.deployments) throw shieldwallError('CONFLICT', `request ${request.row.id} has ${ASSISTANCE_LIMITS.deployments} deployments: no more are made`);
    const deploymentId = `assistance-deployment--${randomUUID()}`;
    document.deployment_id = deploymentId;
    const deploymentDocument: DeploymentDocument = {
      incident_id: request.row.incident_id,
      assisting_member: offer.access.originMember,
      requesting_member: request.access.originMember,
      team_name: offer.document.team_name,
      capabilities: offer.document.capabilities,
      mode: offer.document.mode,
      sitreps: [],
      lessons_learned: null,
      activated_at: null,
      demobilised_at: null,
      closed_at: null,
      history: [historyEntry(actor, at, 'mobilising', `offer ${id} accepted`)],
    };
    deploymentRow = {
      id: deploymentId, version: 1, request_id: request.row.id, offer_id: id, status: 'mobilising', created: at, modified: at,
      document: JSON.stringify(deploymentDocument), ...recordColumns(offer.access),
    };
  }
  const next: repo.OfferRow = { ...offer.row, status: input.status, version: Number(offer.row.version) + 1, modified: at, document: JSON.stringify(document) };
  await writeTransaction(ctx.store, async (tx) => {
    if (!(await repo.replaceOffer(tx, next, Number(offer.row.version)))) throw staleVersion('offer', id, Number(offer.row.version) + 1, Number(offer.row.version));
    if (deploymentRow) {
      await repo.insertDeployment(tx, deploymentRow);
      await touchRequest(tx, request.row.id, at, (row, doc) => {
        stillOfferable(row);
        if (Number(row.deployments) >= ASSISTANCE_LIMITS.deployments) throw shieldwallError('CONFLICT', `request ${row.id} has ${ASSISTANCE_LIMITS.deployments} deployments: no more are made`);
        if (row.status !== 'approved') return { deployments: Number(row.deployments) + 1 };
        doc.history = pushHistory(doc.history, historyEntry(actor, at, 'assisting', `offer ${id} accepted`));
        return { deployments: Number(row.deployments) + 1, status: 'assisting' };
      });
    }
    await audit.recordInTransaction(ctx, tx, actor, [
      { action: `assistance.offer.${input.status}`, subject: id, detail: { request: request.row.id, from, reason: document.reason, ...(deploymentRow ? { deployment: deploymentRow.id } : {}) } },
    ]);
  });
  const change: AssistanceChangeKind = input.status === 'accepted' ? 'offer-accepted' : input.status === 'declined' ? 'offer-declined' : 'offer-withdrawn';
  ctx.bus.publish('assistance.changed', event('offer', id, request, change, input.status, offer.access, at));
  if (deploymentRow) ctx.bus.publish('assistance.changed', event('deployment', deploymentRow.id, request, 'deployment', 'mobilising', offer.access, at));
  return presentOffer(ctx, actor, loadRow<repo.OfferRow, OfferDocument>(next), await storedRequest(ctx, request.row.id));
}

// --- deployments -------------------------------------------------------------------------------------

export interface DeploymentStatusInput {
  status: DeploymentStatus;
  version?: number;
  lessons_learned?: string | null;
  /** At closure: copy the lessons learned into the incident's timeline (the requesting member's decision). */
  share_with_incident?: boolean;
}

function checkDeploymentWriter(ctx: AppContext, actor: Principal, deployment: LoadedDeployment): void {
  requirePermission(ctx, actor, 'assistance:write', 'changing a deployment');
  const denial = canWriteRecord(actor, deployment.access, undefined, deploymentWriters(deployment));
  if (denial) throw denied(denial, () => deploymentNotFound(deployment.row.id), `deployment ${deployment.row.id}: the assisting and the requesting member change it`);
}

/** Moves a deployment along mobilising > active > demobilised > closed; closure records lessons learned and feeds the incident's timeline. */
export async function moveDeployment(ctx: AppContext, actor: Principal, id: string, input: DeploymentStatusInput): Promise<Deployment> {
  const deployment = await readableDeployment(ctx, actor, id);
  const from = deployment.row.status as DeploymentStatus;
  const allowed = allowedFrom(DEPLOYMENT_TRANSITIONS, from);
  if (!allowed.includes(input.status)) throw invalidTransition('deployment', id, from, input.status, allowed);
  checkDeploymentWriter(ctx, actor, deployment);
  checkVersion('deployment', id, Number(deployment.row.version), input.version);
  bounded(input.lessons_learned, ASSISTANCE_LIMITS.text, 'body.lessons_learned');
  const lessons = input.lessons_learned?.trim() ?? '';
  if (input.status === 'closed' && lessons === '') {
    throw shieldwallError('BAD_REQUEST', 'a deployment is closed with its lessons learned (lessons_learned)', [{ path: 'body.lessons_learned', message: 'required' }]);
  }
  const share = input.share_with_incident === true;
  if (share && memberOf(actor) !== deployment.document.requesting_member) {
    throw shieldwallError('FORBIDDEN', `the lessons learned go into incident ${deployment.document.incident_id}'s timeline by decision of its member ${deployment.document.requesting_member ?? ''}`);
  }
  const at = now(ctx, deployment.row.modified);
  const document: DeploymentDocument = { ...deployment.document };
  if (input.status === 'active') document.activated_at = at;
  if (input.status === 'demobilised') document.demobilised_at = at;
  if (input.status === 'closed') {
    document.closed_at = at;
    document.lessons_learned = lessons;
  }
  document.history = pushHistory(document.history, historyEntry(actor, at, input.status, input.status === 'closed' ? lessons : null));
  const next: repo.DeploymentRow = { ...deployment.row, status: input.status, version: Number(deployment.row.version) + 1, modified: at, document: JSON.stringify(document) };
  const request = await storedRequest(ctx, deployment.row.request_id);
  await writeTransaction(ctx.store, async (tx) => {
    if (!(await repo.replaceDeployment(tx, next, Number(deployment.row.version)))) throw staleVersion('deployment', id, Number(deployment.row.version) + 1, Number(deployment.row.version));
    if (input.status === 'active') await touchRequest(tx, deployment.row.request_id, at, (row) => ({ deployed_at: row.deployed_at ?? at }));
    await audit.recordInTransaction(ctx, tx, actor, [
      { action: `assistance.deployment.${input.status}`, subject: id, detail: { request: deployment.row.request_id, from, ...(input.status === 'closed' ? { shared_with_incident: share } : {}) } },
    ]);
  });
  if (input.status === 'closed') {
    // The incident's timeline hears of the closure; the lessons themselves only if the requesting
    // member shares them there (the deployment's own handling is often narrower than the incident's).
    const team = `${document.team_name ?? 'a team'} of ${document.assisting_member ?? 'another member'}`;
    const text = share
      ? `Assistance deployment closed (${team}; ${document.capabilities.join(', ')}). Lessons learned: ${lessons}`
      : `Assistance deployment ${id} closed (${document.capabilities.join(', ')}); its lessons learned are recorded on the deployment, under its handling.`;
    try {
      await incidents.addNodeNote(ctx, SYSTEM_PRINCIPAL, document.incident_id, text.slice(0, 10_000));
    } catch (error) {
      ctx.logger.warn({ err: error, deployment: id, incident: document.incident_id }, 'assistance: the incident timeline could not hear of a closed deployment');
    }
  }
  ctx.bus.publish('assistance.changed', event('deployment', id, request, 'deployment', input.status, deployment.access, at));
  return presentDeployment(ctx, actor, loadRow<repo.DeploymentRow, DeploymentDocument>(next));
}

/** A situation report on a deployment, by the assisting or the requesting member. */
export async function addSitrep(ctx: AppContext, actor: Principal, id: string, text: string): Promise<Deployment> {
  const deployment = await readableDeployment(ctx, actor, id);
  checkDeploymentWriter(ctx, actor, deployment);
  const status = deployment.row.status as DeploymentStatus;
  if (status === 'closed') throw shieldwallError('CONFLICT', `deployment ${id} is closed: situation reports go to deployments under way`, { status });
  bounded(text, 10_000, 'body.text');
  const body = text.trim();
  if (body === '') throw shieldwallError('BAD_REQUEST', 'a situation report has text', [{ path: 'body.text', message: 'empty' }]);
  if (deployment.document.sitreps.length >= ASSISTANCE_LIMITS.sitreps) throw shieldwallError('CONFLICT', `deployment ${id} has ${ASSISTANCE_LIMITS.sitreps} situation reports: no more are taken`);
  const at = now(ctx, deployment.row.modified);
  const sitrep: SituationReport = { id: randomUUID(), at, author: byOf(actor), member: memberOf(actor), text: body };
  const share = ASSISTANCE_LIMITS.sitrepChars / 2;
  const own = deployment.document.sitreps.reduce((n, each) => n + (each.member === sitrep.member ? JSON.stringify(each.text).length : 0), 0);
  if (own + JSON.stringify(body).length > share) {
    throw shieldwallError('CONFLICT', `member ${sitrep.member ?? ''} has written ${own} characters of situation reports on deployment ${id} (as stored, a control character taking six), its share ${share}: write shorter, or put the details in the incident's timeline`, { chars: own, share });
  }
  const document: DeploymentDocument = { ...deployment.document, sitreps: [...deployment.document.sitreps, sitrep] };
  const next: repo.DeploymentRow = { ...deployment.row, version: Number(deployment.row.version) + 1, modified: at, document: JSON.stringify(document) };
  const request = await storedRequest(ctx, deployment.row.request_id);
  await writeTransaction(ctx.store, async (tx) => {
    if (!(await repo.replaceDeployment(tx, next, Number(deployment.row.version)))) throw staleVersion('deployment', id, Number(deployment.row.version) + 1, Number(deployment.row.version));
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'assistance.deployment.sitrep', subject: id, detail: { request: deployment.row.request_id, sitrep: sitrep.id } }]);
  });
  ctx.bus.publish('assistance.changed', event('deployment', id, request, 'sitrep', status, deployment.access, at));
  return presentDeployment(ctx, actor, loadRow<repo.DeploymentRow, DeploymentDocument>(next));
}

// --- clocks ------------------------------------------------------------------------------------------

/**
 * The clock job: when a milestone's target passed and it is not reached while the request is
 * open, the request records the alarm (once), audits it and announces it ('overdue'), which the
 * live feed and the notifications carry. Reads the node's clock: a job run early waits again.
 */
export async function checkClock(ctx: AppContext, requestId: string, milestone: Milestone): Promise<{ next: Date } | undefined> {
  const row = await repo.findRequest(ctx.store.db, requestId);
  if (!row) return undefined;
  const request = loadRow<repo.RequestRow, RequestDocument>(row);
  if (!OPEN_REQUEST_STATUSES.includes(row.status as RequestStatus)) return undefined;
  if (reachedOf(row, milestone) !== null || request.document.overdue.includes(milestone)) return undefined;
  const due = Date.parse(row.submitted_at) + targetOf(ctx, row.urgency as Urgency, milestone);
  if (ctx.clock.now().getTime() <= due) return { next: new Date(due + 1) };
  const at = now(ctx, row.modified);
  const document: RequestDocument = {
    ...request.document,
    overdue: [...request.document.overdue, milestone],
    history: pushHistory(request.document.history, { at, by: 'system', member: null, action: 'overdue', text: `${milestone.replace('_', ' ')} over its target` }),
  };
  const next = requestRow(row, request.access, document, { version: Number(row.version) + 1, modified: at });
  await writeTransaction(ctx.store, async (tx) => {
    await storeRequest(tx, request, next);
    await audit.recordInTransaction(ctx, tx, SYSTEM_PRINCIPAL, [
      { action: 'assistance.request.overdue', subject: requestId, detail: { milestone, target_ms: targetOf(ctx, row.urgency as Urgency, milestone), submitted_at: row.submitted_at } },
    ]);
  });
  const stored = loadRow<repo.RequestRow, RequestDocument>(next);
  const alarm = event('request', requestId, stored, 'overdue', row.status, overdueAudience(stored, milestone), at, milestone);
  ctx.bus.publish('assistance.changed', milestone === 'approval' ? alarm : { ...alarm, whole_only: true });
  return undefined;
}

/**
 * Who hears that a clock is overdue: of the offer and deployment clocks, the requesting member and
 * the coordinators alone (with whole_only: of the coordinating members, the users who approve) (RequestView: the members the request reached do not learn that nobody,
 * or somebody else, offered); of the approval clock, every reader of the request. Recipients
 * narrow who reads a record, never widen it.
 */
function overdueAudience(request: LoadedRequest, milestone: Milestone): RecordAccess {
  if (milestone === 'approval') return request.access;
  const whole = [...new Set([request.access.originMember, ...request.document.coordination].filter((code): code is string => code !== null))];
  return { ...request.access, recipients: whole };
}

export const CYCLE_KINDS = ['month', 'quarter', 'year'] as const;
export type CycleKind = (typeof CYCLE_KINDS)[number];

export interface ClockAggregate {
  count: number;
  reached: number;
  median_ms: number | null;
  p90_ms: number | null;
  max_ms: number | null;
  over_target: number;
}

export interface CycleClocks {
  cycle: string;
  from: string;
  to: string;
  requests: number;
  approval: ClockAggregate;
  first_offer: ClockAggregate;
  deployment: ClockAggregate;
}

function cycleOf(kind: CycleKind, at: Date): { name: string; from: Date; to: Date } {
  const year = at.getUTCFullYear();
  if (kind === 'year') return { name: String(year), from: new Date(Date.UTC(year, 0, 1)), to: new Date(Date.UTC(year + 1, 0, 1)) };
  if (kind === 'month') {
    const month = at.getUTCMonth();
    return { name: `${year}-${String(month + 1).padStart(2, '0')}`, from: new Date(Date.UTC(year, month, 1)), to: new Date(Date.UTC(year, month + 1, 1)) };
  }
  const quarter = Math.floor(at.getUTCMonth() / 3);
  return { name: `${year}-Q${quarter + 1}`, from: new Date(Date.UTC(year, quarter * 3, 1)), to: new Date(Date.UTC(year, quarter * 3 + 3, 1)) };
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

/** Requests read per cycle for the aggregates (the clocks of the requests beyond are not counted, and the answer says so). */
export const CLOCK_ROWS_PER_CYCLE = 10_000;

/** The response clocks aggregated per cycle (month, quarter or year), over the requests the actor may read. */
export async function clocksPerCycle(ctx: AppContext, actor: Principal, kind: CycleKind, cycles = 4): Promise<{ cycle_kind: CycleKind; cycles: Array<CycleClocks & { truncated: boolean }> }> {
  requirePermission(ctx, actor, 'assistance:read', 'reading the response clocks');
  const answer: Array<CycleClocks & { truncated: boolean }> = [];
  const coordination = await coordinatingMembers(ctx);
  let cycle = cycleOf(kind, ctx.clock.now());
  for (let i = 0; i < Math.min(Math.max(cycles, 1), 12); i++) {
    const rows = await repo.requestsSubmitted(ctx.store.db, recordReadScope(actor), cycle.from.toISOString(), cycle.to.toISOString(), CLOCK_ROWS_PER_CYCLE + 1);
    const readable = rows.slice(0, CLOCK_ROWS_PER_CYCLE).filter((row) => canReadRecord(actor, recordAccessOfColumns(row)));
    // The offer and deployment clocks of the requests the actor sees whole only (RequestView).
    const whole = readable.filter((row) => seesWholeOnBoard(ctx, actor, recordAccessOfColumns(row), coordination));
    const aggregate = (milestone: Milestone): ClockAggregate => {
      const clocks = (milestone === 'approval' ? readable : whole).map((row) => clocksOf(ctx, row).find((clock) => clock.milestone === milestone)!);
      const reached = clocks.filter((clock) => clock.reached_at !== null).map((clock) => clock.elapsed_ms).sort((a, b) => a - b);
      return {
        count: clocks.length,
        reached: reached.length,
        median_ms: percentile(reached, 0.5),
        p90_ms: percentile(reached, 0.9),
        max_ms: reached.length === 0 ? null : reached[reached.length - 1]!,
        over_target: clocks.filter((clock) => clock.overdue).length,
      };
    };
    answer.push({
      cycle: cycle.name,
      from: cycle.from.toISOString(),
      to: cycle.to.toISOString(),
      requests: readable.length,
      approval: aggregate('approval'),
      first_offer: aggregate('first_offer'),
      deployment: aggregate('deployment'),
      truncated: rows.length > CLOCK_ROWS_PER_CYCLE,
    });
    cycle = cycleOf(kind, new Date(cycle.from.getTime() - 1));
  }
  return { cycle_kind: kind, cycles: answer };
}

/** What the catalogue endpoint answers: the vocabularies, machines, rules and targets in force. */
export async function catalogue(ctx: AppContext) {
  const model = await import('./assistance.model.js');
  return {
    capabilities: model.CAPABILITIES,
    urgencies: model.URGENCIES,
    request_modes: model.REQUEST_MODES,
    modes: model.MODES,
    request_transitions: model.REQUEST_TRANSITIONS,
    offer_transitions: model.OFFER_TRANSITIONS,
    deployment_transitions: model.DEPLOYMENT_TRANSITIONS,
    approval_rules: ctx.config.assistanceApprovals,
    targets: ctx.config.assistanceTargets,
    coordinating_members: await coordinatingMembers(ctx),
  };
}
