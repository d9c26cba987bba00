/**
 * Coordinated attribution statements: a member drafts a statement on an actor or campaign,
 * invites members to join; each invited member joins or declines before the publication time.
 * At that time (a durable keyed job, like a silence deadline) the statement is published: it
 * lists the members that joined and becomes STIX (section 4.16 report, with the section 5.1
 * `attributed-to` relationship and an extension of ours naming the members), stored in the intel
 * store as TLP:CLEAR in the same transaction, from where TAXII and federation share it with
 * every peer as any intel. The published objects take ids drawn at random at publication, kept in
 * the statement. The draft itself is a record addressed to the invited members. Its text export
 * is GET .../text. docs/DECISIONS.md.
 */
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { writeTransaction, type WriteTx } from '../../db/database.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import { canCreateRecord, canReadRecord, recordAccessOfColumns, recordColumns, recordReadScope, type RecordAccess } from '../../policy/record.js';
import type { StixObject } from '../../stix/types.js';
import * as audit from '../audit/audit.service.js';
import * as directory from '../directory/directory.service.js';
import * as intel from '../intel/intel.service.js';
import { isActorRef } from '../assessment/assessment.model.js';
import { SILENCE_MAX_MS, SILENCE_MIN_MS, STATEMENT_STATUSES, type HistoryEntry, type Statement, type StatementAction, type StatementResponse, type StatementStatus } from './decisions.model.js';
import * as repo from './decisions.repo.js';
import {
  actorName, addressees, bounded, consultationNotFound, markedByMember, type MarkingInput, DECISIONS_LIMITS, handlingOf, historyEntry, now, pushBounded, required, requirePermission, schedulerOf,
  staleVersion,
} from './decisions.service.js';

export const PUBLISH_KIND = 'decisions.publish';
/** The extension-definition of a published statement's properties (STIX 2.1 section 7.3). */
export const STATEMENT_EXTENSION_ID = 'extension-definition--4f8e2c63-9d0b-4b8e-a1f7-5c2d7e9a3b14';
const SHIELDWALL_IDENTITY_ID = 'identity--571183c1-3e70-4864-8264-64de9ba18fc4';
const FIXED_TIME = '2026-01-01T00:00:00.000Z';

interface StatementDocument {
  text: string;
  consultation_id: string | null;
  actor: { ref: string; name: string | null };
  attributed_to: { ref: string; name: string | null } | null;
  confidence: number;
  drafted_by: string | null;
  invited: string[];
  joined: StatementResponse[];
  declined: StatementResponse[];
  published: Statement['published'];
  history: HistoryEntry[];
}

interface LoadedStatement {
  row: repo.StatementRow;
  access: RecordAccess;
  document: StatementDocument;
}

function loadStatement(row: repo.StatementRow): LoadedStatement {
  return { row, access: recordAccessOfColumns(row), document: JSON.parse(row.document) as StatementDocument };
}

const statementNotFound = (id: string) => shieldwallError('NOT_FOUND', `no attribution statement ${id} (or you may not read it)`);
const memberOf = (actor: Principal) => actor.member?.code ?? null;

async function readableStatement(ctx: AppContext, actor: Principal, id: string): Promise<LoadedStatement> {
  const row = await repo.findStatement(ctx.store.db, id);
  if (!row) throw statementNotFound(id);
  const loaded = loadStatement(row);
  if (!canReadRecord(actor, loaded.access)) throw statementNotFound(id);
  return loaded;
}

function invitedMember(actor: Principal, statement: LoadedStatement): string | null {
  const member = memberOf(actor);
  if (actor.kind === 'peer' || member === null) return null;
  return statement.document.invited.includes(member) || statement.document.drafted_by === member ? member : null;
}

function statementActions(ctx: AppContext, actor: Principal, statement: LoadedStatement): StatementAction[] {
  if (statement.row.status !== 'draft' || !ctx.permissions.has(actor, 'decisions:participate')) return [];
  if (Date.parse(statement.row.publish_at) <= ctx.clock.now().getTime()) return [];
  const member = invitedMember(actor, statement);
  if (member === null) return [];
  const actions: StatementAction[] = [];
  if (!statement.document.joined.some((r) => r.member === member)) actions.push('join');
  if (member !== statement.document.drafted_by && !statement.document.declined.some((r) => r.member === member)) actions.push('decline');
  if (member === statement.document.drafted_by) actions.push('cancel');
  return actions;
}

/** A statement as this reader may see it: the actors' names only where it may read the actors themselves. */
async function present(ctx: AppContext, actor: Principal, statement: LoadedStatement): Promise<Statement> {
  const { row, document, access } = statement;
  const attributedTo = document.attributed_to;
  return {
    id: row.id,
    title: row.title,
    text: document.text,
    consultation_id: document.consultation_id,
    actor: { ref: document.actor.ref, name: await actorName(ctx, actor, document.actor.ref) },
    attributed_to: attributedTo === null ? null : { ref: attributedTo.ref, name: await actorName(ctx, actor, attributedTo.ref) },
    confidence: document.confidence,
    status: row.status as StatementStatus,
    publish_at: row.publish_at,
    drafted_by: document.drafted_by,
    invited: document.invited,
    joined: document.joined,
    declined: document.declined,
    published: document.published,
    actions: statementActions(ctx, actor, statement),
    version: row.version,
    handling: handlingOf(access),
    created: row.created,
    modified: row.modified,
  };
}

async function schedulePublication(ctx: AppContext, row: Pick<repo.StatementRow, 'id' | 'publish_at'>): Promise<void> {
  await schedulerOf(ctx).enqueue(PUBLISH_KIND, { statement: row.id }, { key: `${PUBLISH_KIND}:${row.id}`, dueAt: new Date(row.publish_at), maxAttempts: null });
}

/** Enqueues the publication of every draft (keyed), when the node starts: drafts due while it was down publish at once. */
export async function schedulePublications(ctx: AppContext): Promise<number> {
  const rows = await repo.draftStatements(ctx.store.db, 10_000);
  for (const row of rows) await schedulePublication(ctx, row);
  return rows.length;
}

export interface StatementInput extends MarkingInput {
  title: string;
  text: string;
  actor_ref: string;
  attributed_to_ref?: string | null;
  confidence?: number;
  publish_at: string;
  invited: string[];
  consultation_id?: string | null;
}

/** A member drafts an attribution statement and invites members to join it. */
export async function draftStatement(ctx: AppContext, actor: Principal, input: StatementInput): Promise<Statement> {
  requirePermission(ctx, actor, 'decisions:participate', 'drafting an attribution statement');
  const member = memberOf(actor);
  if (member === null) throw shieldwallError('FORBIDDEN', 'an attribution statement is drafted by a member: your account acts for no member');
  const title = required(input.title, 'a title', 'body.title', DECISIONS_LIMITS.title);
  const text = required(input.text, 'the statement text', 'body.text', DECISIONS_LIMITS.text);
  if (typeof input.actor_ref !== 'string' || !isActorRef(input.actor_ref) || input.actor_ref.length > 100) {
    throw shieldwallError('BAD_REQUEST', 'actor_ref is the id of the threat-actor, intrusion-set or campaign the statement attributes', [{ path: 'body.actor_ref', message: 'not an actor id' }]);
  }
  const attributedTo = input.attributed_to_ref ?? null;
  if (attributedTo !== null) {
    // STIX 2.1 section 4: campaigns and intrusion sets are attributed-to threat actors (campaigns also to intrusion sets).
    const sourceType = input.actor_ref.split('--')[0];
    const targetType = attributedTo.split('--')[0];
    const allowed = sourceType === 'campaign' ? ['intrusion-set', 'threat-actor'] : sourceType === 'intrusion-set' ? ['threat-actor'] : [];
    if (!isActorRef(attributedTo) || !allowed.includes(targetType ?? '') || attributedTo.length > 100) {
      throw shieldwallError('BAD_REQUEST', `a ${sourceType} is attributed to ${allowed.length > 0 ? `a ${allowed.join(' or ')}` : 'nothing (a threat actor is the end of attribution)'} (STIX 2.1 section 4)`, [{ path: 'body.attributed_to_ref', message: 'not a valid attribution' }]);
    }
  }
  const confidence = input.confidence ?? 85;
  if (!Number.isInteger(confidence) || confidence < 0 || confidence > 100) throw shieldwallError('BAD_REQUEST', 'confidence is a whole number from 0 to 100 (STIX 2.1 section 3.2)', [{ path: 'body.confidence', message: 'out of range' }]);
  const publishAt = Date.parse(input.publish_at);
  const start = ctx.clock.now().getTime();
  if (Number.isNaN(publishAt) || publishAt - start < SILENCE_MIN_MS || publishAt - start > SILENCE_MAX_MS) {
    throw shieldwallError('BAD_REQUEST', `publish_at is an RFC 3339 time between ${SILENCE_MIN_MS / 60_000} minute and ${SILENCE_MAX_MS / 86_400_000} days from now`, [{ path: 'body.publish_at', message: 'out of range' }]);
  }
  if (input.consultation_id !== undefined && input.consultation_id !== null) {
    const consultation = await repo.findConsultation(ctx.store.db, input.consultation_id);
    if (!consultation || !canReadRecord(actor, recordAccessOfColumns(consultation))) throw consultationNotFound(input.consultation_id);
  }
  const base = markedByMember(ctx, actor, member, input);
  const invited = await addressees(ctx, base, (input.invited ?? []).filter((code) => code !== member), 'body.invited');
  const access: RecordAccess = { ...base, recipients: [member, ...invited] };
  const denial = canCreateRecord(actor, access);
  if (denial) throw shieldwallError('FORBIDDEN', denial.message);
  const at = now(ctx);
  const id = `attribution-statement--${randomUUID()}`;
  const document: StatementDocument = {
    text,
    consultation_id: input.consultation_id ?? null,
    // Names are not kept: each reader sees them only if it may read the actors (present).
    actor: { ref: input.actor_ref, name: null },
    attributed_to: attributedTo === null ? null : { ref: attributedTo, name: null },
    confidence,
    drafted_by: member,
    invited,
    joined: [{ member, by: actor.userName ?? actor.name, at, reason: null }],
    declined: [],
    published: null,
    history: [historyEntry(actor, at, 'drafted', `publication at ${new Date(publishAt).toISOString()}; invited: ${invited.join(', ') || 'none'}`)],
  };
  const row: repo.StatementRow = {
    id, version: 1, title, status: 'draft', actor_ref: input.actor_ref, publish_at: new Date(publishAt).toISOString(), created: at, modified: at, document: JSON.stringify(document), ...recordColumns(access),
  };
  await writeTransaction(ctx.store, async (tx) => {
    await repo.insertStatement(tx, row);
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'decisions.statement.draft', subject: id, detail: { actor: input.actor_ref, invited, publish_at: row.publish_at } }]);
  });
  await schedulePublication(ctx, row);
  ctx.bus.publish('decisions.changed', { record: 'statement', id, consultation_id: document.consultation_id, change: 'drafted', title, status: 'draft', modified: at });
  return present(ctx, actor, loadStatement(row));
}

export async function getStatement(ctx: AppContext, actor: Principal, id: string): Promise<Statement> {
  return present(ctx, actor, await readableStatement(ctx, actor, id));
}

export async function listStatements(ctx: AppContext, actor: Principal, query: { status?: StatementStatus[]; limit?: number }): Promise<{ statements: Statement[] }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), DECISIONS_LIMITS.list);
  const rows = await repo.listStatements(ctx.store.db, recordReadScope(actor), { ...(query.status ? { statuses: query.status } : {}), limit });
  const readable = rows.map(loadStatement).filter((s) => canReadRecord(actor, s.access));
  return { statements: await Promise.all(readable.map((s) => present(ctx, actor, s))) };
}

async function changeStatement(tx: WriteTx, id: string, expected: number | undefined, at: string, mutate: (statement: LoadedStatement) => Partial<repo.StatementRow>): Promise<repo.StatementRow> {
  const row = await repo.findStatement(tx.db, id);
  if (!row) throw statementNotFound(id);
  if (expected !== undefined && expected !== row.version) throw staleVersion('statement', id, row.version, expected);
  const loaded = loadStatement(row);
  const changes = mutate(loaded);
  const next: repo.StatementRow = { ...row, ...changes, document: JSON.stringify(loaded.document), version: row.version + 1, modified: at > row.modified ? at : row.modified };
  if (!(await repo.replaceStatement(tx, next, row.version))) throw staleVersion('statement', id, row.version + 1, row.version);
  return next;
}

export const RESPONSES = ['join', 'decline', 'cancel'] as const;
export type StatementResponseKind = (typeof RESPONSES)[number];

/** An invited member joins or declines (strictly before the publication time); the drafter may cancel. */
export async function respond(ctx: AppContext, actor: Principal, id: string, input: { response: StatementResponseKind; reason?: string | null; version?: number }): Promise<Statement> {
  requirePermission(ctx, actor, 'decisions:participate', 'joining or declining an attribution statement');
  const statement = await readableStatement(ctx, actor, id);
  if (!RESPONSES.includes(input.response)) throw shieldwallError('BAD_REQUEST', `response is one of ${RESPONSES.join(', ')}`, [{ path: 'body.response', message: 'unknown response' }]);
  const member = invitedMember(actor, statement);
  if (member === null) throw shieldwallError('FORBIDDEN', `statement ${id} is joined or declined by the members invited (${statement.document.invited.join(', ')})`);
  if (input.response === 'cancel' && member !== statement.document.drafted_by) throw shieldwallError('FORBIDDEN', `statement ${id} is cancelled by its drafting member (${statement.document.drafted_by ?? 'none'})`);
  if (input.response === 'decline' && member === statement.document.drafted_by) throw shieldwallError('CONFLICT', `your member drafted statement ${id}: cancel it rather than decline it`);
  bounded(input.reason, DECISIONS_LIMITS.reason, 'body.reason');
  if (input.response === 'decline') required(input.reason, 'a reason for declining', 'body.reason', DECISIONS_LIMITS.reason);
  const row = await writeTransaction(ctx.store, async (tx) => {
    const at = ctx.clock.now();
    const next = await changeStatement(tx, id, input.version, at.toISOString(), (s) => {
      if (s.row.status !== 'draft') throw shieldwallError('INVALID_TRANSITION', `statement ${id} is ${s.row.status}: it can no longer be joined, declined or cancelled`, { from: s.row.status, to: input.response, allowed: [] });
      if (at.getTime() >= Date.parse(s.row.publish_at)) throw shieldwallError('CONFLICT', `statement ${id} was due for publication at ${s.row.publish_at}: it can no longer be joined, declined or cancelled`, { publish_at: s.row.publish_at });
      const response: StatementResponse = { member, by: actor.userName ?? actor.name, at: at.toISOString(), reason: input.reason ?? null };
      // A cancellation leaves the responses as they were: the record shows who had joined what was cancelled.
      if (input.response !== 'cancel') {
        s.document.joined = s.document.joined.filter((r) => r.member !== member);
        s.document.declined = s.document.declined.filter((r) => r.member !== member);
        if (input.response === 'join') s.document.joined.push(response);
        else s.document.declined.push(response);
      }
      s.document.history = pushBounded(s.document.history, historyEntry(actor, at.toISOString(), input.response === 'join' ? 'joined' : input.response === 'decline' ? 'declined' : 'cancelled', input.reason ?? null), DECISIONS_LIMITS.history);
      return input.response === 'cancel' ? { status: 'cancelled' } : {};
    });
    await audit.recordInTransaction(ctx, tx, actor, [{ action: `decisions.statement.${input.response}`, subject: id, detail: { member } }]);
    return next;
  });
  const loaded = loadStatement(row);
  ctx.bus.publish('decisions.changed', { record: 'statement', id, consultation_id: loaded.document.consultation_id, change: input.response, title: row.title, status: row.status, modified: row.modified });
  return present(ctx, actor, loaded);
}

/** The extension-definition of published statements, the same on every node. */
export function statementExtensionDefinition(): StixObject {
  return {
    type: 'extension-definition',
    spec_version: '2.1',
    id: STATEMENT_EXTENSION_ID,
    created_by_ref: SHIELDWALL_IDENTITY_ID,
    created: FIXED_TIME,
    modified: FIXED_TIME,
    name: 'Shieldwall coordinated attribution statement',
    description: 'Properties of a coordinated attribution statement as Shieldwall publishes it: the statement it comes from and the members that joined it. docs/DECISIONS.md describes each.',
    schema: 'https://shieldwall.example/extensions/attribution-statement/v1',
    version: '1.0.0',
    extension_types: ['property-extension'],
    object_marking_refs: [TLP2_MARKING_IDS.clear],
  };
}

/** The ids of the objects a statement publishes (the relationship's used only if it names whom the actor is attributed to). */
export interface StatementObjectIds {
  report: string;
  relationship: string;
}

/**
 * Ids no one can know before the publication: drawn at random, never derived from the statement's
 * id, which every invited member reads. An id known in advance could be written first, by a
 * member's own submission dated later, and that version would stay current over the node's.
 */
export function freshStatementIds(): StatementObjectIds {
  return { report: `report--${randomUUID()}`, relationship: `relationship--${randomUUID()}` };
}

/** The ids a published statement recorded in its `published` (the report's and the relationship's, if any). */
function publishedIds(published: NonNullable<Statement['published']>): StatementObjectIds {
  return { report: published.report_id, relationship: published.object_ids.find((id) => id.startsWith('relationship--')) ?? freshStatementIds().relationship };
}

/**
 * The STIX objects of a published statement: the extension-definition, the `attributed-to`
 * relationship when the statement names whom the actor is attributed to, and the report (section
 * 4.16) that refers to the actor and the relationship, all TLP:CLEAR (a published statement is
 * public) and created by the drafting member's identity when it has one, with the ids given
 * (freshStatementIds at publication; those the statement recorded, once published). Pure.
 */
export function statementStix(
  statement: Pick<Statement, 'id' | 'title' | 'text' | 'actor' | 'attributed_to' | 'confidence'>, published: { at: string; members: string[] }, createdByRef: string | null, ids: StatementObjectIds,
): StixObject[] {
  const marking = [TLP2_MARKING_IDS.clear];
  const author = createdByRef ? { created_by_ref: createdByRef } : {};
  const objects: StixObject[] = [statementExtensionDefinition()];
  const refs: string[] = [statement.actor.ref];
  if (statement.attributed_to) {
    const relationship: StixObject = {
      type: 'relationship',
      spec_version: '2.1',
      id: ids.relationship,
      ...author,
      created: published.at,
      modified: published.at,
      relationship_type: 'attributed-to',
      source_ref: statement.actor.ref,
      target_ref: statement.attributed_to.ref,
      confidence: statement.confidence,
      description: `Attributed in the coordinated statement "${statement.title}", joined by ${published.members.join(', ')}.`,
      object_marking_refs: marking,
    };
    objects.push(relationship);
    refs.push(statement.attributed_to.ref, relationship.id as string);
  }
  const type = statement.actor.ref.split('--')[0]!;
  objects.push({
    type: 'report',
    spec_version: '2.1',
    id: ids.report,
    ...author,
    created: published.at,
    modified: published.at,
    name: statement.title,
    description: `${statement.text}\n\nJoined by: ${published.members.join(', ')}.`,
    report_types: [type === 'campaign' ? 'campaign' : type === 'intrusion-set' ? 'intrusion-set' : 'threat-actor'],
    published: published.at,
    object_refs: refs,
    confidence: statement.confidence,
    labels: ['coordinated-attribution'],
    object_marking_refs: marking,
    extensions: { [STATEMENT_EXTENSION_ID]: { extension_type: 'property-extension', statement_id: statement.id, joined_members: published.members } },
  });
  return objects;
}

/**
 * The publication time's job: publishes a draft once, with the members that joined by then; the
 * STIX objects are stored through the intel pipeline (as the node) in the same transaction as the
 * statement's new state. A statement cancelled meanwhile is left alone.
 *
 * The objects' ids are drawn here (freshStatementIds) and recorded in the statement's `published`
 * in that same transaction, with every object in one batch: a publication that did not commit
 * stored neither the objects nor their ids, and the job run again draws new ones; one that
 * committed left the statement published, and the job run again does nothing. A second process
 * publishing the same draft at once fails on the statement's version, and its objects roll back
 * with it. The export (statementBundle) reads the ids from the statement.
 */
export async function publishStatement(ctx: AppContext, id: string): Promise<{ next: Date } | undefined> {
  const row = await repo.findStatement(ctx.store.db, id);
  if (!row || row.status !== 'draft') return undefined;
  const at = ctx.clock.now();
  if (at.getTime() < Date.parse(row.publish_at)) return { next: new Date(row.publish_at) };
  const loaded = loadStatement(row);
  const members = loaded.document.joined.map((r) => r.member).sort();
  const identities = await directory.memberIdentities(ctx);
  let createdByRef: string | null = null;
  for (const [identity, code] of identities) if (code === loaded.document.drafted_by) createdByRef = identity;
  const publishedAt = at.toISOString();
  const objects = statementStix(
    { id, title: row.title, text: loaded.document.text, actor: loaded.document.actor, attributed_to: loaded.document.attributed_to, confidence: loaded.document.confidence }, { at: publishedAt, members }, createdByRef, freshStatementIds(),
  );
  const report = objects[objects.length - 1]!;
  const problems: string[] = [];
  let wrote = false;
  let next: repo.StatementRow | undefined;
  await intel.ingestObjects(ctx, SYSTEM_PRINCIPAL, objects, {
    batchSize: objects.length,
    onOutcome: (outcome) => {
      if (outcome.status === 'rejected') problems.push(`${outcome.id ?? '?'}: ${outcome.errors?.map((e) => e.message).join('; ') ?? 'rejected'}`);
    },
    inTransaction: async (tx) => {
      if (wrote) return;
      wrote = true;
      next = await changeStatement(tx, id, row.version, publishedAt, (s) => {
        s.document.published = { at: publishedAt, members, report_id: report.id as string, object_ids: objects.slice(1).map((o) => o.id as string) };
        s.document.history = pushBounded(s.document.history, { at: publishedAt, by: 'node', member: null, action: 'published', text: `joined by ${members.join(', ')}` }, DECISIONS_LIMITS.history);
        return { status: 'published' };
      });
      await audit.recordInTransaction(ctx, tx, SYSTEM_PRINCIPAL, [{ action: 'decisions.statement.publish', subject: id, detail: { members, report: report.id } }]);
    },
  });
  if (!wrote || !next) throw shieldwallError('INTERNAL', `statement ${id} was not published: ${problems.join('; ') || 'the store refused its STIX objects'}`);
  if (problems.length > 0) ctx.logger.warn({ statement: id, problems }, 'decisions: some STIX objects of a published statement were refused');
  ctx.bus.publish('decisions.changed', { record: 'statement', id, consultation_id: loaded.document.consultation_id, change: 'published', title: row.title, status: 'published', modified: publishedAt });
  return undefined;
}

/**
 * A statement as a STIX bundle: its published objects, with the ids it recorded, or (a draft) what
 * it would publish now, with ids drawn for this answer alone: the publication draws its own.
 */
export async function statementBundle(ctx: AppContext, actor: Principal, id: string): Promise<{ type: 'bundle'; id: string; objects: StixObject[] }> {
  const statement = await getStatement(ctx, actor, id);
  const published = statement.published ?? { at: ctx.clock.now().toISOString(), members: statement.joined.map((r) => r.member).sort() };
  const ids = statement.published ? publishedIds(statement.published) : freshStatementIds();
  const identities = await directory.memberIdentities(ctx);
  let createdByRef: string | null = null;
  for (const [identity, code] of identities) if (code === statement.drafted_by) createdByRef = identity;
  return { type: 'bundle', id: `bundle--${randomUUID()}`, objects: statementStix(statement, published, createdByRef, ids) };
}

/** A statement as plain text, for a press release or a cable. */
export async function statementText(ctx: AppContext, actor: Principal, id: string): Promise<string> {
  const s = await getStatement(ctx, actor, id);
  const members = (s.published?.members ?? s.joined.map((r) => r.member)).join(', ');
  const lines = [
    s.title,
    '',
    s.published ? `Published ${s.published.at}` : `Draft, for publication at ${s.publish_at}`,
    `Actor: ${s.actor.name ?? s.actor.ref} (${s.actor.ref})`,
    ...(s.attributed_to ? [`Attributed to: ${s.attributed_to.name ?? s.attributed_to.ref} (${s.attributed_to.ref}), confidence ${s.confidence}`] : []),
    '',
    s.text,
    '',
    `${s.published ? 'Joined by' : 'Joined so far'}: ${members}`,
  ];
  return `${lines.join('\n')}\n`;
}

export { STATEMENT_STATUSES };
