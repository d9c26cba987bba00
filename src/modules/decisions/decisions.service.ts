/**
 * Consultation and consensus use cases. Any member requests a consultation on an actor's
 * assessment or an incident, addressed to the members it names (canReadRecord decides every read,
 * through the consultation's recipients and markings); participants add statements and
 * documents, chairs keep minutes. Proposals drawn from the response-options catalogue are
 * circulated under the silence procedure: adopted at the deadline unless a participating member
 * breaks silence strictly before it (with a reason: the proposal returns to consultation); an
 * amendment restarts silence. The deadline is a durable keyed job (core/jobs.ts) on the node's
 * clock: it survives restarts, and on PostgreSQL the resolution runs inside a write transaction,
 * which holds the store's advisory write lock, so that of several processes exactly one resolves
 * and the others find it resolved. The adoption writes an immutable decision record (no update or
 * delete exists for it; the store refuses them) with its audit entry. docs/DECISIONS.md.
 */
import { HISTORY_CHARS, pushBounded } from '../../core/history.js';
import { createHash, randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { JobScheduler } from '../../core/jobs.js';
import { writeTransaction, type WriteTx } from '../../db/database.js';
import { classificationLevel, DEFAULT_CLASSIFICATIONS, type Tlp } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type MemberKind, type Principal } from '../../policy/principal.js';
import { canCreateRecord, canReadRecord, memberReadsRecord, recordAccessOfColumns, recordColumns, recordReadScope, type RecordAccess } from '../../policy/record.js';
import * as audit from '../audit/audit.service.js';
import * as directory from '../directory/directory.service.js';
import * as incidents from '../incidents/incidents.service.js';
import * as intel from '../intel/intel.service.js';
import { isActorRef } from '../assessment/assessment.model.js';
import {
  CONSULTATION_STATUSES, PROPOSAL_STATUSES, PROPOSAL_TRANSITIONS, RESPONSE_OPTION_KEYS, RESPONSE_OPTIONS, SILENCE_MAX_MS, SILENCE_MIN_MS, silenceOpen, silenceOutcome,
  type Amendment, type Consultation, type ConsultationAction, type ConsultationEntry, type ConsultationStatus, type ConsultationSummary, type DecisionRecord,
  type DecisionsChange, type Handling, type HistoryEntry, type Proposal, type ProposalAction, type ProposalStatus, type ProposalSummary, type Silence,
  type SilenceBreak, type SubjectKind,
} from './decisions.model.js';
import * as repo from './decisions.repo.js';

/** Bounds of one consultation and what hangs on it, so that nothing grows without limit. */
export const DECISIONS_LIMITS = Object.freeze({
  participants: 64,
  statements: 500,
  documents: 100,
  minutes: 500,
  proposals: 50,
  amendments: 100,
  /**
   * Silence rounds a proposal may be circulated for; past it, circulating is refused (draft a new
   * proposal). A break of silence is never refused while silence runs: it ends its round, so a
   * proposal holds at most one break a round, and no more breaks than rounds.
   */
  rounds: 1000,
  history: 1000,
  text: 20_000,
  title: 300,
  reason: 5000,
  entries: 100,
  list: 200,
  /**
   * Characters a consultation's statements, documents and minutes hold as stored (JSON, where a
   * control character takes six), split among its members like the counts: counts alone let 550
   * entries of 20,000 control characters make one consultation 66 MB, parsed whole on each read.
   */
  entryChars: 4 * 1024 * 1024,
  /** Characters a record's history holds as stored; the oldest entries go beyond (the first stays). */
  historyChars: HISTORY_CHARS,
  /**
   * Characters a proposal's breaks of silence and amendments hold as stored, past which it is no
   * longer circulated nor amended (draft a new one): a break is never refused while silence
   * runs, so the bound is on starting another round. 1,000 rounds of 5,000-character reasons
   * would otherwise make one proposal tens of megabytes, parsed on every board.
   */
  proposalChars: 1024 * 1024,
});
export const SILENCE_KIND = 'decisions.silence';
/** The least share of a member (see shareOf), however many members a consultation has. */
const SHARE_LEAST = Object.freeze({ statements: 5, documents: 2, minutes: 5, proposals: 2, entryChars: 64 * 1024 });

// --- small helpers ---------------------------------------------------------------------------------

const memberOf = (actor: Principal) => actor.member?.code ?? null;
const byOf = (actor: Principal) => actor.userName ?? actor.name;

export function handlingOf(access: RecordAccess): Handling {
  return { tlp: access.tlp, classification: DEFAULT_CLASSIFICATIONS[access.classification] ?? `LEVEL ${access.classification}`, releasability: [...access.releasability] };
}

export function now(ctx: AppContext, previous?: string): string {
  let at = ctx.clock.now().getTime();
  if (previous !== undefined) at = Math.max(at, Date.parse(previous) + 1);
  return new Date(at).toISOString();
}

export { pushBounded };

/** Characters an entry takes as stored (JSON-escaped title and text). */
function storedChars(entry: { title: string | null; text: string }): number {
  return JSON.stringify(entry.text).length + (entry.title === null ? 0 : JSON.stringify(entry.title).length);
}

export function historyEntry(actor: Principal, at: string, action: string, text: string | null = null): HistoryEntry {
  return { at, by: byOf(actor), member: memberOf(actor), action, text };
}

export function bounded(text: string | null | undefined, max: number, path: string): void {
  if (text !== null && text !== undefined && text.length > max) throw shieldwallError('BAD_REQUEST', `${path.replace(/^body\./, '')} holds ${text.length} characters: at most ${max}`, [{ path, message: 'too long' }]);
}

export function required(text: string | null | undefined, what: string, path: string, max: number): string {
  if (text === null || text === undefined || text.trim() === '') throw shieldwallError('BAD_REQUEST', `${what} is required`, [{ path, message: 'empty' }]);
  bounded(text, max, path);
  return text;
}

export function requirePermission(ctx: AppContext, actor: Principal, permission: string, what: string): void {
  if (!ctx.permissions.has(actor, permission)) throw shieldwallError('FORBIDDEN', `${what} needs the permission ${permission}, which your roles do not give`);
}

export function staleVersion(what: string, id: string, current: number, expected: number): Error {
  return shieldwallError('STALE_VERSION', `${what} ${id} is at version ${current}, you changed version ${expected}: reload it and make your change again`, { current_version: current });
}

function checkVersion(what: string, id: string, current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current) throw staleVersion(what, id, current, expected);
}

function invalidTransition(id: string, from: ProposalStatus, to: ProposalStatus | 'broken', why?: string): Error {
  const allowed = PROPOSAL_TRANSITIONS[from];
  return shieldwallError(
    'INVALID_TRANSITION',
    `proposal ${id} is ${from}: ${why ?? `it cannot become ${to}`}; ${allowed.length === 0 ? `${from} is final` : `allowed: ${allowed.join(', ')}`}`,
    { from, to, allowed: [...allowed] },
  );
}

export const consultationNotFound = (id: string) => shieldwallError('NOT_FOUND', `no consultation ${id} (or you may not read it)`);
const proposalNotFound = (id: string) => shieldwallError('NOT_FOUND', `no proposal ${id} (or you may not read it)`);
const recordNotFound = (id: string) => shieldwallError('NOT_FOUND', `no decision record ${id} (or you may not read it)`);

export function classificationOf(name: string | null | undefined, fallback: number, path: string): number {
  if (name === undefined || name === null) return fallback;
  const level = classificationLevel(name);
  if (level === undefined) throw shieldwallError('BAD_REQUEST', `classification '${name}' is not one of ${DEFAULT_CLASSIFICATIONS.join(', ')}`, [{ path, message: 'unknown classification' }]);
  return level;
}

/** What a writer asks of a record's marking (defaults: TLP:AMBER, the lowest classification, the node's default releasability). */
export interface MarkingInput {
  tlp?: Tlp | null;
  classification?: string;
  releasability?: string[];
}

/** A record's access as its writer marks it, in its member's name and its own, not yet addressed. */
export function markedByMember(ctx: AppContext, actor: Principal, member: string, input: MarkingInput): RecordAccess {
  if ((input.releasability?.length ?? 0) > DECISIONS_LIMITS.entries) throw shieldwallError('BAD_REQUEST', `at most ${DECISIONS_LIMITS.entries} releasability entries`, [{ path: 'body.releasability', message: 'too many' }]);
  return {
    tlp: input.tlp === undefined ? 'amber' : input.tlp,
    classification: classificationOf(input.classification, 0, 'body.classification'),
    releasability: input.releasability ?? [...ctx.config.defaultReleasability],
    originMember: member,
    owner: actor.userName,
    recipients: [],
  };
}

export interface MemberInfo {
  code: string;
  kind: MemberKind;
  groups: readonly string[];
}

export async function membersByCode(ctx: AppContext): Promise<Map<string, MemberInfo>> {
  const members = await directory.listMembers(ctx, SYSTEM_PRINCIPAL);
  return new Map(members.map((member) => [member.code, { code: member.code, kind: member.kind, groups: member.groups }]));
}

/**
 * The members a record is addressed to, each of this node and a reader of the record as marked;
 * 400 naming those that are not, so that the author widens the marking or leaves them out.
 */
export async function addressees(ctx: AppContext, access: RecordAccess, wanted: readonly string[], path: string): Promise<string[]> {
  if (wanted.length > DECISIONS_LIMITS.participants) throw shieldwallError('BAD_REQUEST', `at most ${DECISIONS_LIMITS.participants} members`, [{ path, message: 'too many' }]);
  const members = await membersByCode(ctx);
  const unknown = wanted.filter((code) => !members.has(code));
  if (unknown.length > 0) throw shieldwallError('BAD_REQUEST', `no member ${unknown.slice(0, 5).join(', ')} on this node: name members by code (GET /api/v1/members)`, [{ path, message: 'unknown member' }]);
  const kept = wanted.filter((code) => !memberReadsRecord(members.get(code)!, { ...access, recipients: [...new Set([...wanted, ...(access.originMember ? [access.originMember] : [])])] }));
  if (kept.length > 0) {
    throw shieldwallError(
      'BAD_REQUEST',
      `the marking keeps ${kept.slice(0, 10).join(', ')} from reading it: release it to them (releasability) and use a TLP they may read (TLP:AMBER or wider), or leave them out`,
      [{ path, message: 'not released to these members' }],
    );
  }
  return [...new Set(wanted)];
}

// --- jobs ------------------------------------------------------------------------------------------

const schedulers = new WeakMap<AppContext, JobScheduler>();

/** The node's scheduler, for the deadlines' jobs (a command line working on the store directly has none: the node schedules at start). */
export function useScheduler(ctx: AppContext, jobs: JobScheduler): void {
  schedulers.set(ctx, jobs);
}

/**
 * The scheduler the deadlines are enqueued with. Without a node's (a command line on the store),
 * one that only enqueues: the job is in the store at once, and a node's scheduler, in this process
 * or another, claims it; a node also schedules every open deadline when it starts.
 */
export function schedulerOf(ctx: AppContext): JobScheduler {
  let jobs = schedulers.get(ctx);
  if (!jobs) {
    jobs = new JobScheduler(ctx);
    schedulers.set(ctx, jobs);
  }
  return jobs;
}

async function scheduleSilence(ctx: AppContext, row: Pick<repo.ProposalRow, 'id' | 'round' | 'deadline'>): Promise<void> {
  const jobs = schedulerOf(ctx);
  if (row.deadline === null) return;
  await jobs.enqueue(SILENCE_KIND, { proposal: row.id, round: row.round }, { key: `${SILENCE_KIND}:${row.id}:${row.round}`, dueAt: new Date(row.deadline), maxAttempts: null });
}

/**
 * Enqueues the deadline of every proposal under silence (keyed: those that exist stay as they
 * are): run when the node starts, so that proposals circulated while no node ran (a command line
 * on the store) resolve too, and deadlines that passed while the node was down resolve at once.
 */
export async function scheduleSilences(ctx: AppContext): Promise<number> {
  let scheduled = 0;
  let after: { deadline: string; id: string } | undefined;
  for (;;) {
    const rows = await repo.underSilence(ctx.store.db, 500, after);
    for (const row of rows) {
      await scheduleSilence(ctx, row);
      scheduled++;
    }
    if (rows.length < 500) return scheduled;
    const last = rows[rows.length - 1]!;
    after = { deadline: last.deadline!, id: last.id };
  }
}

function publish(ctx: AppContext, change: DecisionsChange): void {
  ctx.bus.publish('decisions.changed', change);
}

// --- consultations ---------------------------------------------------------------------------------

interface ConsultationDocument {
  description: string | null;
  /** The subject's name is not kept: each reader sees it only if it may read the subject (subjectFor). */
  subject: { kind: SubjectKind; ref: string };
  requested_by: string | null;
  participants: string[];
  statements: ConsultationEntry[];
  documents: ConsultationEntry[];
  minutes: ConsultationEntry[];
  history: HistoryEntry[];
}

/** What never changes of a consultation, and what the board shows of it: stored apart (column head). */
interface ConsultationHead {
  subject: { kind: SubjectKind; ref: string };
  participants: string[];
}

interface LoadedConsultation {
  row: repo.ConsultationRow;
  access: RecordAccess;
  document: ConsultationDocument;
}

/** A consultation as the board knows it: its columns and head, without its document. */
interface ConsultationOnBoard {
  row: repo.ConsultationHeadRow;
  access: RecordAccess;
  head: ConsultationHead;
}

function loadConsultation(row: repo.ConsultationRow): LoadedConsultation {
  return { row, access: recordAccessOfColumns(row), document: JSON.parse(row.document) as ConsultationDocument };
}

function boardOf(consultation: LoadedConsultation | ConsultationOnBoard): ConsultationOnBoard {
  return 'head' in consultation ? consultation : { row: consultation.row, access: consultation.access, head: consultation.document };
}

async function readableConsultation(ctx: AppContext, actor: Principal, id: string): Promise<LoadedConsultation> {
  const row = await repo.findConsultation(ctx.store.db, id);
  if (!row) throw consultationNotFound(id);
  const loaded = loadConsultation(row);
  if (!canReadRecord(actor, loaded.access)) throw consultationNotFound(id);
  return loaded;
}

/** Is the actor a user of a member taking part in the consultation (its requester or a participant)? */
function participates(actor: Principal, consultation: LoadedConsultation): boolean {
  const member = memberOf(actor);
  return actor.kind !== 'peer' && member !== null && (consultation.document.participants.includes(member) || consultation.access.originMember === member);
}

/** The members who write in a consultation: its convener and the participants. */
function membersOf(consultation: LoadedConsultation | ConsultationOnBoard): number {
  return new Set([...(consultation.access.originMember ? [consultation.access.originMember] : []), ...boardOf(consultation).head.participants]).size;
}

/**
 * A member's share of what a consultation holds of one kind (statements, documents, proposals,
 * withdrawn ones included): the limit split among its members, at least `least`. No member
 * fills what the others need to state their position or propose.
 */
export function shareOf(limit: number, members: number, least: number): number {
  return Math.max(least, Math.ceil(limit / Math.max(1, members)));
}

/** The most proposals a consultation holds: every member's share. */
function proposalsHeld(consultation: LoadedConsultation | ConsultationOnBoard): number {
  const members = membersOf(consultation);
  return members * shareOf(DECISIONS_LIMITS.proposals, members, SHARE_LEAST.proposals);
}

/** Whose share a proposal takes: its proposing member's, or once withdrawn by another member's user, that member's. */
function proposalShareHolder(row: Pick<repo.ProposalHeadRow, 'status'>, head: Pick<ProposalHead, 'proposing_member' | 'withdrawn_by'>): string | null {
  return row.status === 'withdrawn' && head.withdrawn_by ? head.withdrawn_by : head.proposing_member;
}

/** What lists show of a proposal and whose share it takes: kept apart from its document (column head). */
interface ProposalHead {
  options: string[];
  text_version: number;
  silence: Silence | null;
  proposing_member: string | null;
  withdrawn_by: string | null;
}

function headOfDocument(document: ProposalDocument): ProposalHead {
  return { options: document.options, text_version: document.text_version, silence: document.silence, proposing_member: document.proposing_member, withdrawn_by: document.withdrawn_by ?? null };
}

/** A listed proposal's head; read from its document when it has none (stored by an older process). */
async function headOfRow(db: AppContext['store']['db'], row: repo.ProposalHeadRow): Promise<ProposalHead | undefined> {
  if (row.head !== null) return JSON.parse(row.head) as ProposalHead;
  const full = await repo.findProposal(db, row.id);
  return full && headOfDocument(JSON.parse(full.document) as ProposalDocument);
}

/** The proposals listed that the actor may read, as summaries: documents are not read. */
async function proposalSummaries(ctx: AppContext, actor: Principal, rows: readonly repo.ProposalHeadRow[]): Promise<ProposalSummary[]> {
  const out: ProposalSummary[] = [];
  for (const row of rows) {
    if (!canReadRecord(actor, recordAccessOfColumns(row))) continue;
    const head = await headOfRow(ctx.store.db, row);
    if (head !== undefined) out.push(summaryOfProposal(row, head));
  }
  return out;
}

/** How many of a consultation's proposals take a member's share (drafted by it, or withdrawn by its users). */
async function sharesHeld(db: AppContext['store']['db'], consultation: LoadedConsultation, member: string | null): Promise<number> {
  let held = 0;
  for (const row of await repo.proposalsOf(db, consultation.row.id, proposalsHeld(consultation) + 1)) {
    const head = await headOfRow(db, row);
    if (head !== undefined && proposalShareHolder(row, head) === member) held++;
  }
  return held;
}

/** Chairs: users with decisions:chair of a participating member. */
function chairs(ctx: AppContext, actor: Principal, consultation: LoadedConsultation): boolean {
  return participates(actor, consultation) && ctx.permissions.has(actor, 'decisions:chair');
}

function consultationActions(ctx: AppContext, actor: Principal, consultation: LoadedConsultation): ConsultationAction[] {
  const actions: ConsultationAction[] = [];
  const open = consultation.row.status === 'open';
  const participant = participates(actor, consultation) && ctx.permissions.has(actor, 'decisions:participate');
  if (open && participant) actions.push('statement', 'document', 'propose');
  if (open && chairs(ctx, actor, consultation)) actions.push('minutes', 'close');
  if (!open && chairs(ctx, actor, consultation)) actions.push('reopen');
  return actions;
}

function summaryOfProposal(row: repo.ProposalHeadRow, head: ProposalHead): ProposalSummary {
  return {
    id: row.id,
    consultation_id: row.consultation_id,
    title: row.title,
    status: row.status as ProposalStatus,
    options: head.options,
    text_version: head.text_version,
    silence: row.status === 'silence' ? head.silence : null,
    version: row.version,
    modified: row.modified,
    handling: handlingOf(recordAccessOfColumns(row)),
  };
}

/**
 * The subject as this reader may know it: the actor's or incident's name only if the reader may
 * read that object itself (a participant need not read everything its requester reads).
 */
async function subjectFor(ctx: AppContext, reader: Principal, subject: { kind: SubjectKind; ref: string }): Promise<{ kind: SubjectKind; ref: string; name: string | null }> {
  if (subject.kind === 'actor') return { kind: subject.kind, ref: subject.ref, name: await actorName(ctx, reader, subject.ref) };
  try {
    return { kind: subject.kind, ref: subject.ref, name: (await incidents.getIncident(ctx, reader, subject.ref)).title };
  } catch {
    return { kind: subject.kind, ref: subject.ref, name: null };
  }
}

function consultationSummary(consultation: LoadedConsultation | ConsultationOnBoard, proposals: ProposalSummary[], subject: ConsultationSummary['subject']): ConsultationSummary {
  const { row, access, head } = boardOf(consultation);
  const deadlines = proposals.filter((p) => p.status === 'silence' && p.silence).map((p) => p.silence!.deadline).sort();
  return {
    id: row.id,
    title: row.title,
    status: row.status as ConsultationStatus,
    subject,
    requested_by: access.originMember,
    participants: head.participants,
    proposals: proposals.length,
    silence_deadline: deadlines[0] ?? null,
    version: row.version,
    handling: handlingOf(access),
    created: row.created,
    modified: row.modified,
  };
}

async function presentConsultation(ctx: AppContext, actor: Principal, consultation: LoadedConsultation): Promise<Consultation> {
  const proposals = await proposalSummaries(ctx, actor, await repo.proposalsOf(ctx.store.db, consultation.row.id, proposalsHeld(consultation)));
  return {
    ...consultationSummary(consultation, proposals, await subjectFor(ctx, actor, consultation.document.subject)),
    description: consultation.document.description,
    statements: consultation.document.statements,
    documents: consultation.document.documents,
    minutes: consultation.document.minutes,
    history: consultation.document.history,
    actions: consultationActions(ctx, actor, consultation),
    proposal_list: proposals,
  };
}

/** The subject a consultation is requested on: an incident the requester reads, or an actor's id. */
async function subjectOf(ctx: AppContext, actor: Principal, kind: SubjectKind, ref: string): Promise<{ kind: SubjectKind; ref: string }> {
  if (kind === 'incident') {
    if (!ref.startsWith('incident--')) throw shieldwallError('BAD_REQUEST', `an incident subject is an incident id (incident--...), not '${ref.slice(0, 80)}'`, [{ path: 'body.subject.ref', message: 'not an incident id' }]);
    await incidents.getIncident(ctx, actor, ref);
    return { kind, ref };
  }
  if (!isActorRef(ref)) throw shieldwallError('BAD_REQUEST', `an actor subject is a threat-actor, intrusion-set or campaign id, not '${ref.slice(0, 80)}'`, [{ path: 'body.subject.ref', message: 'not an actor id' }]);
  return { kind, ref };
}

/** The name of an actor the reader may read; null when it may not (or it is not stored). */
export async function actorName(ctx: AppContext, actor: Principal, ref: string): Promise<string | null> {
  const found = await intel.objectsByIds(ctx, actor, [ref]);
  const object = found.get(ref);
  return object && typeof object.name === 'string' ? object.name : null;
}

export interface ConsultationInput extends MarkingInput {
  title: string;
  description?: string | null;
  subject: { kind: SubjectKind; ref: string };
  participants: string[];
}

/** Any member requests a consultation (the alliance consults at any member's request). */
export async function requestConsultation(ctx: AppContext, actor: Principal, input: ConsultationInput): Promise<Consultation> {
  requirePermission(ctx, actor, 'decisions:participate', 'requesting a consultation');
  const member = memberOf(actor);
  if (member === null) throw shieldwallError('FORBIDDEN', 'a consultation is requested by a member: your account acts for no member');
  const title = required(input.title, 'a title', 'body.title', DECISIONS_LIMITS.title);
  bounded(input.description, DECISIONS_LIMITS.text, 'body.description');
  if (!['actor', 'incident'].includes(input.subject?.kind)) throw shieldwallError('BAD_REQUEST', "subject.kind is 'actor' or 'incident'", [{ path: 'body.subject.kind', message: 'unknown kind' }]);
  bounded(input.subject.ref, 100, 'body.subject.ref');
  const subject = await subjectOf(ctx, actor, input.subject.kind, input.subject.ref);
  const base = markedByMember(ctx, actor, member, input);
  const participants = await addressees(ctx, base, (input.participants ?? []).filter((code) => code !== member), 'body.participants');
  if (participants.length === 0) throw shieldwallError('BAD_REQUEST', 'name at least one other member to consult', [{ path: 'body.participants', message: 'empty' }]);
  const access: RecordAccess = { ...base, recipients: [member, ...participants] };
  const denial = canCreateRecord(actor, access);
  if (denial) throw shieldwallError('FORBIDDEN', denial.message);
  const at = now(ctx);
  const id = `consultation--${randomUUID()}`;
  const document: ConsultationDocument = {
    description: input.description ?? null,
    subject,
    requested_by: member,
    participants,
    statements: [],
    documents: [],
    minutes: [],
    history: [historyEntry(actor, at, 'requested', `participants: ${participants.join(', ')}`)],
  };
  const head: ConsultationHead = { subject, participants };
  const row: repo.ConsultationRow = { id, version: 1, title, status: 'open', subject_ref: subject.ref, created: at, modified: at, document: JSON.stringify(document), head: JSON.stringify(head), ...recordColumns(access) };
  await writeTransaction(ctx.store, async (tx) => {
    await repo.insertConsultation(tx, row);
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'decisions.consultation.request', subject: id, detail: { subject: subject.ref, participants, tlp: access.tlp, classification: access.classification } }]);
  });
  publish(ctx, { record: 'consultation', id, consultation_id: id, change: 'requested', title, status: 'open', modified: at });
  return presentConsultation(ctx, actor, loadConsultation(row));
}

export async function getConsultation(ctx: AppContext, actor: Principal, id: string): Promise<Consultation> {
  return presentConsultation(ctx, actor, await readableConsultation(ctx, actor, id));
}

export async function listConsultations(ctx: AppContext, actor: Principal, query: { status?: ConsultationStatus[]; subject?: string; limit?: number }): Promise<{ consultations: ConsultationSummary[] }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), DECISIONS_LIMITS.list);
  const rows = await repo.listConsultations(ctx.store.db, recordReadScope(actor), { ...(query.status ? { statuses: query.status } : {}), ...(query.subject ? { subject: query.subject } : {}), limit });
  const out: ConsultationSummary[] = [];
  for (const row of rows) {
    const access = recordAccessOfColumns(row);
    if (!canReadRecord(actor, access)) continue;
    // The board reads each consultation's head, never its document (entries, history).
    const head = row.head === null ? headOf(await repo.findConsultation(ctx.store.db, row.id)) : (JSON.parse(row.head) as ConsultationHead);
    if (head === undefined) continue;
    const consultation = { row, access, head };
    const proposals = await proposalSummaries(ctx, actor, await repo.proposalsOf(ctx.store.db, row.id, proposalsHeld(consultation)));
    out.push(consultationSummary(consultation, proposals, await subjectFor(ctx, actor, head.subject)));
  }
  return { consultations: out };
}

/** The head of a consultation stored before heads were (the migration fills them; a row written meanwhile by an older process). */
function headOf(row: repo.ConsultationRow | undefined): ConsultationHead | undefined {
  if (row === undefined) return undefined;
  const document = JSON.parse(row.document) as ConsultationDocument;
  return { subject: document.subject, participants: document.participants };
}

export const ENTRY_KINDS = ['statement', 'document', 'minutes'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** Reads a consultation again inside the write, checks its version, applies a change and stores the next version. */
async function changeConsultation(
  ctx: AppContext, tx: WriteTx, id: string, expected: number | undefined, at: string, mutate: (consultation: LoadedConsultation) => Partial<repo.ConsultationRow>,
): Promise<repo.ConsultationRow> {
  const row = await repo.findConsultation(tx.db, id);
  if (!row) throw consultationNotFound(id);
  checkVersion('consultation', id, row.version, expected);
  const loaded = loadConsultation(row);
  const changes = mutate(loaded);
  const next: repo.ConsultationRow = { ...row, ...changes, document: JSON.stringify(loaded.document), version: row.version + 1, modified: at > row.modified ? at : row.modified };
  if (!(await repo.replaceConsultation(tx, next, row.version))) throw staleVersion('consultation', id, row.version + 1, row.version);
  return next;
}

/** A participant's statement or document, or the chair's minutes. */
export async function addEntry(ctx: AppContext, actor: Principal, id: string, input: { kind: EntryKind; title?: string | null; text: string; version?: number }): Promise<Consultation> {
  requirePermission(ctx, actor, 'decisions:participate', 'taking part in a consultation');
  const consultation = await readableConsultation(ctx, actor, id);
  if (!ENTRY_KINDS.includes(input.kind)) throw shieldwallError('BAD_REQUEST', `kind is one of ${ENTRY_KINDS.join(', ')}`, [{ path: 'body.kind', message: 'unknown kind' }]);
  if (!participates(actor, consultation)) throw shieldwallError('FORBIDDEN', `only the members consulted (${[consultation.access.originMember, ...consultation.document.participants].join(', ')}) write in consultation ${id}`);
  if (input.kind === 'minutes' && !chairs(ctx, actor, consultation)) throw shieldwallError('FORBIDDEN', 'minutes are kept by a chair: a participant with the permission decisions:chair');
  const text = required(input.text, 'a text', 'body.text', DECISIONS_LIMITS.text);
  if (input.kind === 'document') required(input.title, 'a document title', 'body.title', DECISIONS_LIMITS.title);
  const at = now(ctx, consultation.row.modified);
  const entry: ConsultationEntry = { id: randomUUID(), at, by: byOf(actor), member: memberOf(actor), title: input.kind === 'document' ? input.title!.trim() : null, text };
  const row = await writeTransaction(ctx.store, async (tx) => {
    const next = await changeConsultation(ctx, tx, id, input.version, at, (c) => {
      if (c.row.status !== 'open') throw shieldwallError('CONFLICT', `consultation ${id} is closed: reopen it first`, { status: c.row.status });
      const field = input.kind === 'statement' ? 'statements' : input.kind === 'document' ? 'documents' : 'minutes';
      const max = DECISIONS_LIMITS[field];
      // Each member's share (minutes too: the chairs of every member consulted keep them).
      const share = shareOf(max, membersOf(c), SHARE_LEAST[field]);
      const own = c.document[field].filter((each) => each.member === entry.member).length;
      if (own >= share) {
        throw shieldwallError('CONFLICT', `member ${entry.member ?? ''} has added ${own} ${field} to consultation ${id}, its share (${max} split among its ${membersOf(c)} members): say more in one of them, or in a document`, { [field]: own, share });
      }
      const charShare = shareOf(DECISIONS_LIMITS.entryChars, membersOf(c), SHARE_LEAST.entryChars);
      const ownChars = [...c.document.statements, ...c.document.documents, ...c.document.minutes].reduce((n, each) => n + (each.member === entry.member ? storedChars(each) : 0), 0);
      if (ownChars + storedChars(entry) > charShare) {
        throw shieldwallError(
          'CONFLICT',
          `member ${entry.member ?? ''} has written ${ownChars} characters in consultation ${id} (as stored, a control character taking six), and this entry would take ${storedChars(entry)} more: its share is ${charShare} (${DECISIONS_LIMITS.entryChars} split among its ${membersOf(c)} members); write shorter, or link a document kept elsewhere`,
          { chars: ownChars, entry_chars: storedChars(entry), share: charShare },
        );
      }
      c.document[field] = [...c.document[field], entry];
      c.document.history = pushBounded(c.document.history, historyEntry(actor, at, `added ${input.kind}`), DECISIONS_LIMITS.history);
      return {};
    });
    await audit.recordInTransaction(ctx, tx, actor, [{ action: `decisions.consultation.${input.kind}`, subject: id, detail: { entry: entry.id } }]);
    return next;
  });
  publish(ctx, { record: 'consultation', id, consultation_id: id, change: input.kind, title: row.title, status: row.status, modified: row.modified });
  return presentConsultation(ctx, actor, loadConsultation(row));
}

/** A chair closes (or reopens) a consultation; proposals under silence keep running. */
export async function moveConsultation(ctx: AppContext, actor: Principal, id: string, input: { status: ConsultationStatus; version?: number; reason?: string | null }): Promise<Consultation> {
  requirePermission(ctx, actor, 'decisions:chair', 'closing or reopening a consultation');
  const consultation = await readableConsultation(ctx, actor, id);
  if (!CONSULTATION_STATUSES.includes(input.status)) throw shieldwallError('BAD_REQUEST', `status is one of ${CONSULTATION_STATUSES.join(', ')}`, [{ path: 'body.status', message: 'unknown status' }]);
  if (!chairs(ctx, actor, consultation)) throw shieldwallError('FORBIDDEN', `consultation ${id} is closed or reopened by a chair of a member consulted`);
  bounded(input.reason, DECISIONS_LIMITS.reason, 'body.reason');
  const at = now(ctx, consultation.row.modified);
  const row = await writeTransaction(ctx.store, async (tx) => {
    const next = await changeConsultation(ctx, tx, id, input.version, at, (c) => {
      if (c.row.status === input.status) throw shieldwallError('INVALID_TRANSITION', `consultation ${id} is ${input.status} already`, { from: c.row.status, to: input.status, allowed: CONSULTATION_STATUSES.filter((s) => s !== c.row.status) });
      c.document.history = pushBounded(c.document.history, historyEntry(actor, at, input.status === 'closed' ? 'closed' : 'reopened', input.reason ?? null), DECISIONS_LIMITS.history);
      return { status: input.status };
    });
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'decisions.consultation.status', subject: id, detail: { status: input.status } }]);
    return next;
  });
  publish(ctx, { record: 'consultation', id, consultation_id: id, change: input.status, title: row.title, status: row.status, modified: row.modified });
  return presentConsultation(ctx, actor, loadConsultation(row));
}

// --- proposals ---------------------------------------------------------------------------------------

interface ProposalDocument {
  text: string;
  options: string[];
  proportionality: string | null;
  text_version: number;
  silence: Silence | null;
  breaks: SilenceBreak[];
  amendments: Amendment[];
  decision_id: string | null;
  proposing_member: string | null;
  /** The member whose user withdrew it (its share of proposals holds it from then on). */
  withdrawn_by?: string | null;
  participants: string[];
  history: HistoryEntry[];
}

/** Refuses another round or amendment once a proposal's breaks and amendments hold proposalChars (as stored). */
function proposalRoom(id: string, document: ProposalDocument): void {
  const chars = JSON.stringify(document.breaks).length + JSON.stringify(document.amendments).length;
  if (chars >= DECISIONS_LIMITS.proposalChars) {
    throw shieldwallError('CONFLICT', `proposal ${id} holds ${chars} characters of breaks of silence and amendments (as stored), the most one proposal may: draft a new proposal (it may take this one's text)`, { chars, limit: DECISIONS_LIMITS.proposalChars });
  }
}

interface LoadedProposal {
  row: repo.ProposalRow;
  access: RecordAccess;
  document: ProposalDocument;
}

function loadProposal(row: repo.ProposalRow): LoadedProposal {
  return { row, access: recordAccessOfColumns(row), document: JSON.parse(row.document) as ProposalDocument };
}

async function readableProposal(ctx: AppContext, actor: Principal, id: string): Promise<LoadedProposal> {
  const row = await repo.findProposal(ctx.store.db, id);
  if (!row) throw proposalNotFound(id);
  const loaded = loadProposal(row);
  if (!canReadRecord(actor, loaded.access)) throw proposalNotFound(id);
  return loaded;
}

function takesPart(actor: Principal, proposal: LoadedProposal): boolean {
  const member = memberOf(actor);
  return actor.kind !== 'peer' && member !== null && (proposal.document.participants.includes(member) || proposal.access.originMember === member);
}

/**
 * Who steers a proposal (circulates, amends, withdraws it): users of the proposing member, and the
 * chairs of the member that convened the consultation. Another participant's chair does not: a
 * member breaks silence on a text it disagrees with, it does not rewrite or withdraw another's.
 */
function steers(ctx: AppContext, actor: Principal, proposal: LoadedProposal): boolean {
  if (!takesPart(actor, proposal) || !ctx.permissions.has(actor, 'decisions:participate')) return false;
  const member = memberOf(actor);
  return member === proposal.document.proposing_member || (member === proposal.access.originMember && ctx.permissions.has(actor, 'decisions:chair'));
}

/**
 * What the reader may do with a proposal. In a closed consultation it is neither circulated nor
 * amended (checkConsultationOpen); silence already running runs on to its deadline and may be
 * broken, and the proposal may still be withdrawn.
 */
function proposalActions(ctx: AppContext, actor: Principal, proposal: LoadedProposal, consultationOpen: boolean): ProposalAction[] {
  const status = proposal.row.status as ProposalStatus;
  const actions: ProposalAction[] = [];
  const steering = steers(ctx, actor, proposal);
  // Once the deadline is reached the round is decided (its job may not have run yet): nothing more is offered on it.
  const silenceRuns = status === 'silence' && proposal.document.silence !== null && silenceOpen(proposal.document.silence.deadline, ctx.clock.now());
  const open = status === 'draft' || status === 'returned' || silenceRuns;
  if (steering && consultationOpen && (status === 'draft' || status === 'returned') && proposal.row.round < DECISIONS_LIMITS.rounds) actions.push('circulate');
  if (steering && consultationOpen && open) actions.push('amend');
  if (silenceRuns && takesPart(actor, proposal) && ctx.permissions.has(actor, 'decisions:participate')) actions.push('break');
  if (steering && open && PROPOSAL_TRANSITIONS[status].includes('withdrawn')) actions.push('withdraw');
  return actions;
}

function decisionOf(row: repo.DecisionRecordRow): DecisionRecord {
  return { ...(JSON.parse(row.document) as Omit<DecisionRecord, 'handling'>), handling: handlingOf(recordAccessOfColumns(row)) };
}

async function presentProposal(ctx: AppContext, actor: Principal, proposal: LoadedProposal): Promise<Proposal> {
  const { row, document, access } = proposal;
  let decision: DecisionRecord | null = null;
  if (document.decision_id !== null) {
    const stored = await repo.findDecisionRecord(ctx.store.db, document.decision_id);
    if (stored && canReadRecord(actor, recordAccessOfColumns(stored))) decision = decisionOf(stored);
  }
  const consultation = await repo.findConsultation(ctx.store.db, row.consultation_id);
  return {
    ...summaryOfProposal(row, headOfDocument(document)),
    text: document.text,
    proportionality: document.proportionality,
    breaks: document.breaks,
    amendments: document.amendments,
    decision,
    history: document.history,
    actions: proposalActions(ctx, actor, proposal, consultation?.status === 'open'),
    handling: handlingOf(access),
    created: row.created,
    now: ctx.clock.now().toISOString(),
  };
}

function checkOptions(options: readonly string[] | undefined, path: string): string[] {
  if (!options || options.length === 0) throw shieldwallError('BAD_REQUEST', 'name at least one response option from the catalogue (GET /api/v1/decisions/catalogue)', [{ path, message: 'empty' }]);
  if (options.length > RESPONSE_OPTION_KEYS.length) throw shieldwallError('BAD_REQUEST', `at most ${RESPONSE_OPTION_KEYS.length} options`, [{ path, message: 'too many' }]);
  const unknown = options.find((option) => !RESPONSE_OPTION_KEYS.includes(option));
  if (unknown !== undefined) throw shieldwallError('BAD_REQUEST', `'${String(unknown).slice(0, 60)}' is not in the response-options catalogue: use one of ${RESPONSE_OPTION_KEYS.join(', ')}`, [{ path, message: 'unknown option' }]);
  return [...new Set(options)];
}

export interface ProposalInput {
  title: string;
  text: string;
  options: string[];
  proportionality?: string | null;
}

/** A participant drafts a proposal in an open consultation; it carries the consultation's marking and participants. */
export async function propose(ctx: AppContext, actor: Principal, consultationId: string, input: ProposalInput): Promise<Proposal> {
  requirePermission(ctx, actor, 'decisions:participate', 'proposing a response');
  const consultation = await readableConsultation(ctx, actor, consultationId);
  if (!participates(actor, consultation)) throw shieldwallError('FORBIDDEN', `only the members consulted propose in consultation ${consultationId}`);
  if (consultation.row.status !== 'open') throw shieldwallError('CONFLICT', `consultation ${consultationId} is closed: reopen it to propose`, { status: consultation.row.status });
  const title = required(input.title, 'a title', 'body.title', DECISIONS_LIMITS.title);
  const text = required(input.text, 'a text', 'body.text', DECISIONS_LIMITS.text);
  bounded(input.proportionality, DECISIONS_LIMITS.text, 'body.proportionality');
  const options = checkOptions(input.options, 'body.options');
  const national = RESPONSE_OPTIONS.filter((option) => options.includes(option.key) && option.national_decision).map((option) => option.name);
  const at = now(ctx);
  const id = `proposal--${randomUUID()}`;
  const access: RecordAccess = { ...consultation.access, owner: actor.userName };
  const document: ProposalDocument = {
    text,
    options,
    proportionality: input.proportionality ?? null,
    text_version: 1,
    silence: null,
    breaks: [],
    amendments: [],
    decision_id: null,
    proposing_member: memberOf(actor),
    participants: [...new Set([...(consultation.access.originMember ? [consultation.access.originMember] : []), ...consultation.document.participants])],
    history: [historyEntry(actor, at, 'drafted', national.length > 0 ? `national decisions: ${national.join(', ')}` : null)],
  };
  const row: repo.ProposalRow = {
    id, version: 1, consultation_id: consultationId, title, status: 'draft', round: 0, deadline: null, created: at, modified: at, document: JSON.stringify(document), head: JSON.stringify(headOfDocument(document)), ...recordColumns(access),
  };
  await writeTransaction(ctx.store, async (tx) => {
    // Each member's share of proposals, withdrawn ones included (so that drafting and withdrawing cannot grow the consultation without end).
    const share = shareOf(DECISIONS_LIMITS.proposals, membersOf(consultation), SHARE_LEAST.proposals);
    // No member holds more than its share, so the consultation holds at most members × share.
    const own = await sharesHeld(tx.db, consultation, document.proposing_member);
    if (own >= share) {
      throw shieldwallError('CONFLICT', `member ${document.proposing_member ?? ''} has drafted ${own} proposals in consultation ${consultationId}, its share (${DECISIONS_LIMITS.proposals} split among its ${membersOf(consultation)} members, withdrawn ones included): amend one of its proposals instead`, { proposals: own, share });
    }
    await repo.insertProposal(tx, row);
    await changeConsultation(ctx, tx, consultationId, undefined, at, (c) => {
      if (c.row.status !== 'open') throw shieldwallError('CONFLICT', `consultation ${consultationId} is closed: reopen it to propose`, { status: c.row.status });
      c.document.history = pushBounded(c.document.history, historyEntry(actor, at, 'proposed', title), DECISIONS_LIMITS.history);
      return {};
    });
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'decisions.proposal.draft', subject: id, detail: { consultation: consultationId, options } }]);
  });
  publish(ctx, { record: 'proposal', id, consultation_id: consultationId, change: 'drafted', title, status: 'draft', modified: at });
  return presentProposal(ctx, actor, loadProposal(row));
}

export async function getProposal(ctx: AppContext, actor: Principal, id: string): Promise<Proposal> {
  return presentProposal(ctx, actor, await readableProposal(ctx, actor, id));
}

export async function listProposals(ctx: AppContext, actor: Principal, query: { status?: ProposalStatus[]; limit?: number }): Promise<{ proposals: ProposalSummary[] }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), DECISIONS_LIMITS.list);
  const rows = await repo.listProposals(ctx.store.db, recordReadScope(actor), { ...(query.status ? { statuses: query.status } : {}), limit });
  return { proposals: await proposalSummaries(ctx, actor, rows) };
}

/** Reads a proposal again inside the write, checks its version, applies a change and stores the next version. */
async function changeProposal(
  tx: WriteTx, id: string, expected: number | undefined, at: string, mutate: (proposal: LoadedProposal) => Partial<repo.ProposalRow>,
): Promise<repo.ProposalRow> {
  const row = await repo.findProposal(tx.db, id);
  if (!row) throw proposalNotFound(id);
  checkVersion('proposal', id, row.version, expected);
  const loaded = loadProposal(row);
  const changes = mutate(loaded);
  const next: repo.ProposalRow = {
    ...row, ...changes, document: JSON.stringify(loaded.document), head: JSON.stringify(headOfDocument(loaded.document)), version: row.version + 1, modified: at > row.modified ? at : row.modified,
  };
  if (!(await repo.replaceProposal(tx, next, row.version))) throw staleVersion('proposal', id, row.version + 1, row.version);
  return next;
}

/** The deadline asked for: an RFC 3339 time, or hours from now; within the silence bounds. */
function deadlineOf(start: number, input: { deadline?: string | null; silence_hours?: number | null }, fallbackMs?: number): string {
  let end: number;
  if (input.deadline !== undefined && input.deadline !== null) {
    end = Date.parse(input.deadline);
    if (Number.isNaN(end)) throw shieldwallError('BAD_REQUEST', `deadline '${input.deadline.slice(0, 60)}' is not an RFC 3339 time (e.g. 2026-12-04T12:00:00Z)`, [{ path: 'body.deadline', message: 'not a time' }]);
  } else if (input.silence_hours !== undefined && input.silence_hours !== null) {
    end = start + input.silence_hours * 3600_000;
  } else if (fallbackMs !== undefined) {
    end = start + fallbackMs;
  } else {
    throw shieldwallError('BAD_REQUEST', 'give the silence deadline (deadline, an RFC 3339 time) or its length (silence_hours)', [{ path: 'body.deadline', message: 'missing' }]);
  }
  if (!Number.isFinite(end) || end - start < SILENCE_MIN_MS || end - start > SILENCE_MAX_MS) {
    throw shieldwallError('BAD_REQUEST', `a silence deadline is between ${SILENCE_MIN_MS / 60_000} minute and ${SILENCE_MAX_MS / 86_400_000} days from now`, [{ path: 'body.deadline', message: 'out of range' }]);
  }
  return new Date(end).toISOString();
}

/**
 * The deadline of a silence restarted by an amendment: as long as the last round's by default,
 * and never shorter (by more than the least silence, a minute). The members read the new text in at least the time they had for the old:
 * else its proposer could amend a word and give the others a minute to object.
 */
function restartedDeadline(start: number, input: { deadline?: string | null; silence_hours?: number | null }, silence: { started_at: string; deadline: string }): string {
  const deadline = deadlineOf(start, input, Date.parse(silence.deadline) - Date.parse(silence.started_at));
  checkNotShorter(start, deadline, input, silence);
  return deadline;
}

/**
 * A round of silence after the first lasts at least as long as the last one, or a day when that
 * one was longer: a text amended after an objection may go round again in less time, but not in
 * less than the members had to read it before, nor in less than a day.
 */
export const LATER_ROUND_FLOOR_MS = 24 * 3_600_000;

/**
 * Refuses (400) a round of silence shorter than that floor (by more than the least silence, a
 * minute: a deadline given as a time, read a moment after the round started, is not refused for
 * the moment), whether an amendment restarts it or the proposal, returned, is circulated again:
 * else a proposer breaks its own silence, amends a word and circulates it for a minute.
 */
function checkNotShorter(start: number, deadline: string, input: { deadline?: string | null }, silence: { started_at: string; deadline: string } | null): void {
  if (silence === null) return;
  const floorMs = Math.min(Date.parse(silence.deadline) - Date.parse(silence.started_at), LATER_ROUND_FLOOR_MS);
  if (Date.parse(deadline) - start < floorMs - SILENCE_MIN_MS) {
    const hours = Math.round((floorMs / 3_600_000) * 100) / 100;
    throw shieldwallError('BAD_REQUEST', `a round of silence after the first lasts at least ${hours} h (as long as the last round, or a day when that was longer), so that the members read the text in the time they had before: give a later deadline, or a longer silence_hours`, [{ path: input.deadline ? 'body.deadline' : 'body.silence_hours', message: 'shorter than the floor of a later round' }]);
  }
}

/**
 * Refuses (409) to circulate or amend a proposal while its consultation is closed, as proposing
 * is refused: nothing new goes under silence once the chairs closed the consultation. Read inside
 * the write, so that a close committed first is seen. Silence already running is left to run to
 * its deadline (moveConsultation): it may be broken, and adopted, as before the close.
 */
async function checkConsultationOpen(tx: WriteTx, consultationId: string, refusal: string): Promise<void> {
  const consultation = await repo.findConsultation(tx.db, consultationId);
  if (!consultation) throw consultationNotFound(consultationId);
  if (consultation.status !== 'open') throw shieldwallError('CONFLICT', `consultation ${consultationId} is ${consultation.status}: ${refusal}`, { status: consultation.status });
}

function announceProposal(ctx: AppContext, row: repo.ProposalRow, change: string): void {
  publish(ctx, { record: 'proposal', id: row.id, consultation_id: row.consultation_id, change, title: row.title, status: row.status, modified: row.modified });
}

/** Circulates a draft (or a proposal returned to consultation) under silence until the deadline. */
export async function circulate(ctx: AppContext, actor: Principal, id: string, input: { deadline?: string | null; silence_hours?: number | null; version?: number }): Promise<Proposal> {
  requirePermission(ctx, actor, 'decisions:participate', 'circulating a proposal');
  const proposal = await readableProposal(ctx, actor, id);
  if (!steers(ctx, actor, proposal)) throw shieldwallError('FORBIDDEN', `proposal ${id} is circulated by its proposing member (${proposal.document.proposing_member ?? 'none'}) or a chair of the member that convened the consultation (${proposal.access.originMember ?? 'none'})`);
  const at = now(ctx, proposal.row.modified);
  const deadline = deadlineOf(Date.parse(at), input);
  const row = await writeTransaction(ctx.store, async (tx) => {
    await checkConsultationOpen(tx, proposal.row.consultation_id, `a chair of a member consulted reopens it, then circulate proposal ${id}`);
    const next = await changeProposal(tx, id, input.version, at, (p) => {
      const status = p.row.status as ProposalStatus;
      if (status !== 'draft' && status !== 'returned') throw invalidTransition(id, status, 'silence', status === 'silence' ? 'it is under silence already (amend it to restart silence)' : undefined);
      if (p.row.round >= DECISIONS_LIMITS.rounds) {
        throw shieldwallError('CONFLICT', `proposal ${id} has been under silence ${p.row.round} rounds, the most one proposal may: draft a new proposal (it may take this one's text)`, { rounds: p.row.round, limit: DECISIONS_LIMITS.rounds });
      }
      proposalRoom(id, p.document);
      checkNotShorter(Date.parse(at), deadline, input, p.document.silence);
      const round = p.row.round + 1;
      p.document.silence = { round, version: p.document.text_version, started_at: at, deadline };
      p.document.history = pushBounded(p.document.history, historyEntry(actor, at, 'circulated', `silence round ${round} until ${deadline}`), DECISIONS_LIMITS.history);
      return { status: 'silence', round, deadline };
    });
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'decisions.proposal.circulate', subject: id, detail: { round: next.round, deadline, text_version: loadProposal(next).document.text_version } }]);
    return next;
  });
  await scheduleSilence(ctx, row);
  announceProposal(ctx, row, 'circulated');
  return presentProposal(ctx, actor, loadProposal(row));
}

/** A participating member breaks silence, strictly before the deadline, with a reason: the proposal returns to consultation. */
export async function breakSilence(ctx: AppContext, actor: Principal, id: string, input: { reason: string; version?: number }): Promise<Proposal> {
  requirePermission(ctx, actor, 'decisions:participate', 'breaking silence');
  const proposal = await readableProposal(ctx, actor, id);
  const member = memberOf(actor);
  if (!takesPart(actor, proposal) || member === null) throw shieldwallError('FORBIDDEN', `silence on proposal ${id} is broken by a member consulted (${proposal.document.participants.join(', ')})`);
  const reason = required(input.reason, 'a reason for breaking silence', 'body.reason', DECISIONS_LIMITS.reason);
  const row = await writeTransaction(ctx.store, async (tx) => {
    // The time is read inside the write: a break committed after the deadline was reached is refused.
    const at = ctx.clock.now();
    const next = await changeProposal(tx, id, input.version, at.toISOString(), (p) => {
      const status = p.row.status as ProposalStatus;
      if (status !== 'silence' || !p.document.silence) throw invalidTransition(id, status, 'returned', 'it is not under silence');
      if (!silenceOpen(p.document.silence.deadline, at)) {
        throw shieldwallError('CONFLICT', `the silence on proposal ${id} ended at ${p.document.silence.deadline}: it can no longer be broken`, { deadline: p.document.silence.deadline });
      }
      const entry: SilenceBreak = { round: p.document.silence.round, member, by: byOf(actor), at: at.toISOString(), reason, version: p.document.text_version };
      p.document.breaks = [...p.document.breaks, entry];
      p.document.history = pushBounded(p.document.history, historyEntry(actor, entry.at, 'broke silence', reason), DECISIONS_LIMITS.history);
      return { status: 'returned', deadline: null };
    });
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'decisions.proposal.break', subject: id, detail: { round: next.round, member } }]);
    return next;
  });
  announceProposal(ctx, row, 'silence-broken');
  return presentProposal(ctx, actor, loadProposal(row));
}

export interface AmendInput {
  text: string;
  title?: string;
  options?: string[];
  proportionality?: string | null;
  reason?: string | null;
  deadline?: string | null;
  silence_hours?: number | null;
  version?: number;
}

/** A new text version; under silence, silence restarts (a new round) with a new deadline (by default as long as the last). */
export async function amend(ctx: AppContext, actor: Principal, id: string, input: AmendInput): Promise<Proposal> {
  requirePermission(ctx, actor, 'decisions:participate', 'amending a proposal');
  const proposal = await readableProposal(ctx, actor, id);
  if (!steers(ctx, actor, proposal)) throw shieldwallError('FORBIDDEN', `proposal ${id} is amended by its proposing member (${proposal.document.proposing_member ?? 'none'}) or a chair of the member that convened the consultation (${proposal.access.originMember ?? 'none'})`);
  const text = required(input.text, 'the amended text', 'body.text', DECISIONS_LIMITS.text);
  if (input.title !== undefined) required(input.title, 'a title', 'body.title', DECISIONS_LIMITS.title);
  bounded(input.proportionality, DECISIONS_LIMITS.text, 'body.proportionality');
  bounded(input.reason, DECISIONS_LIMITS.reason, 'body.reason');
  const options = input.options === undefined ? undefined : checkOptions(input.options, 'body.options');
  const silence = proposal.document.silence;
  const restart = proposal.row.status === 'silence' && silence !== null;
  const at = now(ctx, proposal.row.modified);
  // Checked here too, so that a length refused takes no turn of the store's writer.
  if (restart) restartedDeadline(Date.parse(at), input, silence);
  const row = await writeTransaction(ctx.store, async (tx) => {
    await checkConsultationOpen(tx, proposal.row.consultation_id, `a chair of a member consulted reopens it, then amend proposal ${id} (silence already running on it runs on to its deadline)`);
    const next = await changeProposal(tx, id, input.version, at, (p) => {
      const status = p.row.status as ProposalStatus;
      if (status === 'adopted' || status === 'withdrawn') throw invalidTransition(id, status, status, 'it can no longer be amended');
      if (p.document.amendments.length >= DECISIONS_LIMITS.amendments) throw shieldwallError('CONFLICT', `proposal ${id} has been amended ${DECISIONS_LIMITS.amendments} times (the most it keeps): draft a new proposal`);
      proposalRoom(id, p.document);
      const version = p.document.text_version + 1;
      p.document.text = text;
      p.document.text_version = version;
      if (options) p.document.options = options;
      if (input.proportionality !== undefined) p.document.proportionality = input.proportionality;
      p.document.amendments = [...p.document.amendments, { version, at, by: byOf(actor), member: memberOf(actor), reason: input.reason ?? null }];
      const changes: Partial<repo.ProposalRow> = input.title !== undefined ? { title: input.title.trim() } : {};
      if (status === 'silence' && p.document.silence) {
        // Silence restarts only if it still runs: a deadline reached meanwhile has decided the round.
        if (!silenceOpen(p.document.silence.deadline, ctx.clock.now())) {
          throw shieldwallError('CONFLICT', `the silence on proposal ${id} ended at ${p.document.silence.deadline}: its outcome is being recorded, amend it afterwards`, { deadline: p.document.silence.deadline });
        }
        // Decided again on the silence as stored: circulated or restarted since it was read, the new
        // text restarts that silence too (never runs under it unseen), and for no less than it.
        const until = restartedDeadline(Date.parse(at), input, p.document.silence);
        const round = p.row.round + 1;
        p.document.silence = { round, version, started_at: at, deadline: until };
        p.document.history = pushBounded(p.document.history, historyEntry(actor, at, 'amended', `text version ${version}; silence restarts (round ${round}) until ${until}`), DECISIONS_LIMITS.history);
        return { ...changes, round, deadline: until };
      }
      p.document.history = pushBounded(p.document.history, historyEntry(actor, at, 'amended', `text version ${version}${input.reason ? `: ${input.reason}` : ''}`), DECISIONS_LIMITS.history);
      return changes;
    });
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'decisions.proposal.amend', subject: id, detail: { text_version: loadProposal(next).document.text_version, round: next.round, restarted: next.status === 'silence' } }]);
    return next;
  });
  if (row.status === 'silence') await scheduleSilence(ctx, row);
  announceProposal(ctx, row, 'amended');
  return presentProposal(ctx, actor, loadProposal(row));
}

export async function withdraw(ctx: AppContext, actor: Principal, id: string, input: { reason?: string | null; version?: number }): Promise<Proposal> {
  requirePermission(ctx, actor, 'decisions:participate', 'withdrawing a proposal');
  const proposal = await readableProposal(ctx, actor, id);
  if (!steers(ctx, actor, proposal)) throw shieldwallError('FORBIDDEN', `proposal ${id} is withdrawn by its proposing member (${proposal.document.proposing_member ?? 'none'}) or a chair of the member that convened the consultation (${proposal.access.originMember ?? 'none'})`);
  bounded(input.reason, DECISIONS_LIMITS.reason, 'body.reason');
  const row = await writeTransaction(ctx.store, async (tx) => {
    const at = ctx.clock.now();
    // A proposal withdrawn by another member (the convener's chair) takes that member's share, not
    // its proposer's: within that share too, or withdrawing would free room without end (a
    // proposer whose proposals the convener withdrew drafted past every bound).
    const withdrawer = memberOf(actor);
    if (withdrawer !== proposal.document.proposing_member) {
      const consultationRow = await repo.findConsultation(tx.db, proposal.row.consultation_id);
      if (consultationRow) {
        const consultation = loadConsultation(consultationRow);
        const share = shareOf(DECISIONS_LIMITS.proposals, membersOf(consultation), SHARE_LEAST.proposals);
        const held = await sharesHeld(tx.db, consultation, withdrawer);
        if (held >= share) {
          throw shieldwallError('CONFLICT', `member ${withdrawer ?? ''} holds ${held} proposals of consultation ${consultation.row.id} (drafted, or withdrawn by its chairs), its share: a proposal it withdraws would take one more; its proposer withdraws it, or one of the member's own proposals is amended instead`, { proposals: held, share });
        }
      }
    }
    const next = await changeProposal(tx, id, input.version, at.toISOString(), (p) => {
      const status = p.row.status as ProposalStatus;
      if (!PROPOSAL_TRANSITIONS[status].includes('withdrawn')) throw invalidTransition(id, status, 'withdrawn');
      if (status === 'silence' && p.document.silence && !silenceOpen(p.document.silence.deadline, at)) {
        throw shieldwallError('CONFLICT', `the silence on proposal ${id} ended at ${p.document.silence.deadline}: it is being adopted`, { deadline: p.document.silence.deadline });
      }
      p.document.history = pushBounded(p.document.history, historyEntry(actor, at.toISOString(), 'withdrawn', input.reason ?? null), DECISIONS_LIMITS.history);
      p.document.withdrawn_by = memberOf(actor);
      return { status: 'withdrawn', deadline: null };
    });
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'decisions.proposal.withdraw', subject: id, detail: {} }]);
    return next;
  });
  announceProposal(ctx, row, 'withdrawn');
  return presentProposal(ctx, actor, loadProposal(row));
}

/**
 * The deadline's job: decides the round it was scheduled for, once. Inside one write transaction
 * (the store's single writer: on PostgreSQL an advisory lock) it reads the proposal; a round that
 * was broken, amended (a later round) or withdrawn meanwhile is left alone; a deadline not yet
 * reached on the node's clock is run again then. Otherwise silenceOutcome decides: adopted, with
 * its immutable decision record and audit entry in the same transaction.
 */
export async function resolveSilence(ctx: AppContext, id: string, round: number): Promise<{ next: Date } | undefined> {
  type Outcome = { next: Date } | { row: repo.ProposalRow; change: string } | undefined;
  const outcome = await writeTransaction(ctx.store, async (tx): Promise<Outcome> => {
    const row = await repo.findProposal(tx.db, id);
    if (!row || row.status !== 'silence' || row.round !== round) return undefined;
    const proposal = loadProposal(row);
    const silence = proposal.document.silence;
    if (!silence) return undefined;
    const at = ctx.clock.now();
    if (silenceOpen(silence.deadline, at)) return { next: new Date(silence.deadline) };
    if (silenceOutcome(silence.deadline, round, proposal.document.breaks) === 'broken') {
      // A break is stored with the status it causes; this is only reached by a row written otherwise.
      const next = await changeProposal(tx, id, row.version, at.toISOString(), () => ({ status: 'returned', deadline: null }));
      return { row: next, change: 'silence-broken' };
    }
    const adoptedAt = at.toISOString();
    const consultation = await repo.findConsultation(tx.db, row.consultation_id);
    const decisionId = `decision--${randomUUID()}`;
    const record: Omit<DecisionRecord, 'handling'> = {
      id: decisionId,
      proposal_id: id,
      consultation_id: row.consultation_id,
      title: row.title,
      text: proposal.document.text,
      text_sha256: createHash('sha256').update(proposal.document.text, 'utf8').digest('hex'),
      options: proposal.document.options,
      proportionality: proposal.document.proportionality,
      version: silence.version,
      round,
      circulated_at: silence.started_at,
      deadline: silence.deadline,
      adopted_at: adoptedAt,
      participants: proposal.document.participants,
    };
    await repo.insertDecisionRecord(tx, {
      id: decisionId, proposal_id: id, consultation_id: row.consultation_id, adopted_at: adoptedAt, text_sha256: record.text_sha256, document: JSON.stringify(record),
      ...recordColumns(proposal.access),
    });
    const next = await changeProposal(tx, id, row.version, adoptedAt, (p) => {
      p.document.decision_id = decisionId;
      p.document.history = pushBounded(p.document.history, { at: adoptedAt, by: 'node', member: null, action: 'adopted', text: `silence round ${round} passed without a break at ${silence.deadline}` }, DECISIONS_LIMITS.history);
      return { status: 'adopted', deadline: null };
    });
    if (consultation) {
      await changeConsultation(ctx, tx, consultation.id, undefined, adoptedAt, (c) => {
        c.document.history = pushBounded(c.document.history, { at: adoptedAt, by: 'node', member: null, action: 'adopted', text: row.title }, DECISIONS_LIMITS.history);
        return {};
      });
    }
    await audit.recordInTransaction(ctx, tx, SYSTEM_PRINCIPAL, [
      { action: 'decisions.adopt', subject: id, detail: { decision: decisionId, round, text_version: silence.version, text_sha256: record.text_sha256, deadline: silence.deadline, participants: record.participants } },
    ]);
    return { row: next, change: 'adopted' };
  });
  if (outcome === undefined) return undefined;
  if ('next' in outcome) return { next: outcome.next };
  announceProposal(ctx, outcome.row, outcome.change);
  return undefined;
}

export async function getDecisionRecord(ctx: AppContext, actor: Principal, id: string): Promise<DecisionRecord> {
  const row = await repo.findDecisionRecord(ctx.store.db, id);
  if (!row || !canReadRecord(actor, recordAccessOfColumns(row))) throw recordNotFound(id);
  return decisionOf(row);
}

export async function listDecisionRecords(ctx: AppContext, actor: Principal, limit = 50): Promise<{ decisions: DecisionRecord[] }> {
  const rows = await repo.listDecisionRecords(ctx.store.db, recordReadScope(actor), Math.min(Math.max(limit, 1), DECISIONS_LIMITS.list));
  return { decisions: rows.filter((row) => canReadRecord(actor, recordAccessOfColumns(row))).map(decisionOf) };
}

export function catalogue(): {
  options: typeof RESPONSE_OPTIONS;
  proposal_statuses: typeof PROPOSAL_STATUSES;
  proposal_transitions: typeof PROPOSAL_TRANSITIONS;
  silence: { min_ms: number; max_ms: number };
  limits: typeof DECISIONS_LIMITS;
} {
  return { options: RESPONSE_OPTIONS, proposal_statuses: PROPOSAL_STATUSES, proposal_transitions: PROPOSAL_TRANSITIONS, silence: { min_ms: SILENCE_MIN_MS, max_ms: SILENCE_MAX_MS }, limits: DECISIONS_LIMITS };
}
