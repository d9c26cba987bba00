/**
 * The only SQL of consultations, proposals, decision records and statements: read through the
 * records' access filter, written with their version checked. Decision records are inserted once
 * and never updated nor deleted: there is no function here that would.
 */
import type { Kysely, Selectable } from 'kysely';
import { newestInWindows } from '../../db/keyset.js';
import { readableRecords } from '../../db/access-filter.js';
import type { WriteTx } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { RecordColumns, RecordReadScope } from '../../policy/record.js';

export interface ConsultationsTable extends RecordColumns {
  id: string;
  version: number;
  title: string;
  status: string;
  subject_ref: string;
  created: string;
  modified: string;
  document: string;
  /** Its subject and participants as JSON (ConsultationHead): what the board shows, apart from the document. */
  head: string | null;
}

export interface ProposalsTable extends RecordColumns {
  id: string;
  version: number;
  consultation_id: string;
  title: string;
  status: string;
  round: number;
  deadline: string | null;
  created: string;
  modified: string;
  document: string;
  /** Its options, text version, silence and share holders as JSON (ProposalHead): what lists show, apart from the document. */
  head: string | null;
}

export interface DecisionRecordsTable extends RecordColumns {
  id: string;
  proposal_id: string;
  consultation_id: string;
  adopted_at: string;
  text_sha256: string;
  document: string;
}

export interface StatementsTable extends RecordColumns {
  id: string;
  version: number;
  title: string;
  status: string;
  actor_ref: string;
  publish_at: string;
  created: string;
  modified: string;
  document: string;
}

declare module '../../db/schema.js' {
  interface Database {
    decision_consultations: ConsultationsTable;
    decision_proposals: ProposalsTable;
    decision_records: DecisionRecordsTable;
    decision_statements: StatementsTable;
  }
}

export type ConsultationRow = Selectable<ConsultationsTable>;
/** A consultation's row without its document: what the board reads. */
export type ConsultationHeadRow = Omit<ConsultationRow, 'document'>;
export type ProposalRow = Selectable<ProposalsTable>;
/** A proposal's row without its document: what lists read. */
export type ProposalHeadRow = Omit<ProposalRow, 'document'>;
export type DecisionRecordRow = Selectable<DecisionRecordsTable>;
export type StatementRow = Selectable<StatementsTable>;

type Executor = Kysely<Database>;

function numeric<R extends { version?: number; round?: number; classification: number | null }>(row: R): R {
  if (row.version !== undefined) row.version = Number(row.version);
  if (row.round !== undefined) row.round = Number(row.round);
  if (row.classification !== null) row.classification = Number(row.classification);
  return row;
}

// --- consultations --------------------------------------------------------------------------------

export async function findConsultation(db: Executor, id: string): Promise<ConsultationRow | undefined> {
  const row = await db.selectFrom('decision_consultations').selectAll().where('id', '=', id).executeTakeFirst();
  return row && numeric(row);
}

/** Columns of a consultation but its document. */
const CONSULTATION_HEAD = ['id', 'version', 'title', 'status', 'subject_ref', 'created', 'modified', 'head', 'tlp', 'classification', 'releasability', 'origin_member', 'owner', 'recipients'] as const satisfies readonly (keyof ConsultationsTable)[];

export async function listConsultations(db: Executor, scope: RecordReadScope, filter: { statuses?: readonly string[]; subject?: string; limit: number }): Promise<ConsultationHeadRow[]> {
  const rows = await newestInWindows(db, 'decision_consultations', undefined, filter.limit, (bounds, limit) => {
    let query = db.selectFrom('decision_consultations').select(CONSULTATION_HEAD).where(readableRecords(scope));
    for (const bound of bounds) query = query.where(bound);
    if (filter.statuses && filter.statuses.length > 0) query = query.where('status', 'in', [...filter.statuses]);
    if (filter.subject !== undefined) query = query.where('subject_ref', '=', filter.subject);
    return query.orderBy('modified', 'desc').orderBy('id', 'desc').limit(limit).execute();
  });
  return rows.map(numeric);
}

export async function insertConsultation(tx: WriteTx, row: ConsultationRow): Promise<void> {
  await tx.db.insertInto('decision_consultations').values(row).execute();
}

export async function replaceConsultation(tx: WriteTx, row: ConsultationRow, expected: number): Promise<boolean> {
  const { id, ...rest } = row;
  const result = await tx.db.updateTable('decision_consultations').set(rest).where('id', '=', id).where('version', '=', expected).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// --- proposals ------------------------------------------------------------------------------------

export async function findProposal(db: Executor, id: string): Promise<ProposalRow | undefined> {
  const row = await db.selectFrom('decision_proposals').selectAll().where('id', '=', id).executeTakeFirst();
  return row && numeric(row);
}

/** Columns of a proposal but its document. */
const PROPOSAL_HEAD = ['id', 'version', 'consultation_id', 'title', 'status', 'round', 'deadline', 'created', 'modified', 'head', 'tlp', 'classification', 'releasability', 'origin_member', 'owner', 'recipients'] as const satisfies readonly (keyof ProposalsTable)[];

/** A consultation's proposals, oldest first, without their documents. */
export async function proposalsOf(db: Executor, consultationId: string, limit: number): Promise<ProposalHeadRow[]> {
  return (await db.selectFrom('decision_proposals').select(PROPOSAL_HEAD).where('consultation_id', '=', consultationId).orderBy('created').orderBy('id').limit(limit).execute()).map(numeric);
}

export async function listProposals(db: Executor, scope: RecordReadScope, filter: { statuses?: readonly string[]; limit: number }): Promise<ProposalHeadRow[]> {
  const rows = await newestInWindows(db, 'decision_proposals', undefined, filter.limit, (bounds, limit) => {
    let query = db.selectFrom('decision_proposals').select(PROPOSAL_HEAD).where(readableRecords(scope));
    for (const bound of bounds) query = query.where(bound);
    if (filter.statuses && filter.statuses.length > 0) query = query.where('status', 'in', [...filter.statuses]);
    return query.orderBy('modified', 'desc').orderBy('id', 'desc').limit(limit).execute();
  });
  return rows.map(numeric);
}

/**
 * Proposals under silence, nearest deadline first, whoever reads them: their id, round and
 * deadline, all that scheduling the deadlines needs (not their documents, up to 1.3 MB each).
 */
export async function underSilence(db: Executor, limit: number, after?: { deadline: string; id: string }): Promise<Array<Pick<ProposalRow, 'id' | 'round' | 'deadline'>>> {
  let query = db.selectFrom('decision_proposals').select(['id', 'round', 'deadline']).where('status', '=', 'silence');
  if (after) query = query.where((eb) => eb.or([eb('deadline', '>', after.deadline), eb.and([eb('deadline', '=', after.deadline), eb('id', '>', after.id)])]));
  return (await query.orderBy('deadline').orderBy('id').limit(limit).execute()).map((row) => ({ ...row, round: Number(row.round) }));
}

export async function insertProposal(tx: WriteTx, row: ProposalRow): Promise<void> {
  await tx.db.insertInto('decision_proposals').values(row).execute();
}

export async function replaceProposal(tx: WriteTx, row: ProposalRow, expected: number): Promise<boolean> {
  const { id, ...rest } = row;
  const result = await tx.db.updateTable('decision_proposals').set(rest).where('id', '=', id).where('version', '=', expected).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// --- decision records (insert only) ---------------------------------------------------------------

export async function insertDecisionRecord(tx: WriteTx, row: DecisionRecordRow): Promise<void> {
  await tx.db.insertInto('decision_records').values(row).execute();
}

export async function findDecisionRecord(db: Executor, id: string): Promise<DecisionRecordRow | undefined> {
  const row = await db.selectFrom('decision_records').selectAll().where('id', '=', id).executeTakeFirst();
  return row && numeric(row);
}

export async function decisionRecordOf(db: Executor, proposalId: string): Promise<DecisionRecordRow | undefined> {
  const row = await db.selectFrom('decision_records').selectAll().where('proposal_id', '=', proposalId).executeTakeFirst();
  return row && numeric(row);
}

export async function listDecisionRecords(db: Executor, scope: RecordReadScope, limit: number): Promise<DecisionRecordRow[]> {
  return (await db.selectFrom('decision_records').selectAll().where(readableRecords(scope)).orderBy('adopted_at', 'desc').orderBy('id', 'desc').limit(limit).execute()).map(numeric);
}

// --- statements -----------------------------------------------------------------------------------

export async function findStatement(db: Executor, id: string): Promise<StatementRow | undefined> {
  const row = await db.selectFrom('decision_statements').selectAll().where('id', '=', id).executeTakeFirst();
  return row && numeric(row);
}

export async function listStatements(db: Executor, scope: RecordReadScope, filter: { statuses?: readonly string[]; limit: number }): Promise<StatementRow[]> {
  const rows = await newestInWindows(db, 'decision_statements', undefined, filter.limit, (bounds, limit) => {
    let query = db.selectFrom('decision_statements').selectAll().where(readableRecords(scope));
    for (const bound of bounds) query = query.where(bound);
    if (filter.statuses && filter.statuses.length > 0) query = query.where('status', 'in', [...filter.statuses]);
    return query.orderBy('modified', 'desc').orderBy('id', 'desc').limit(limit).execute();
  });
  return rows.map(numeric);
}

/** Drafts, nearest publication first, whoever reads them (for scheduling the publications). */
export async function draftStatements(db: Executor, limit: number): Promise<StatementRow[]> {
  return (await db.selectFrom('decision_statements').selectAll().where('status', '=', 'draft').orderBy('publish_at').orderBy('id').limit(limit).execute()).map(numeric);
}

export async function insertStatement(tx: WriteTx, row: StatementRow): Promise<void> {
  await tx.db.insertInto('decision_statements').values(row).execute();
}

export async function replaceStatement(tx: WriteTx, row: StatementRow, expected: number): Promise<boolean> {
  const { id, ...rest } = row;
  const result = await tx.db.updateTable('decision_statements').set(rest).where('id', '=', id).where('version', '=', expected).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
