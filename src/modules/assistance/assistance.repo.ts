/** The only SQL of requests for assistance, offers and deployments: read through the records' access filter, written with their version checked. */
import type { Kysely, Selectable } from 'kysely';
import { readableRecords } from '../../db/access-filter.js';
import { newestInWindows } from '../../db/keyset.js';
import type { WriteTx } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { RecordColumns, RecordReadScope } from '../../policy/record.js';

/** The marking columns every record table carries (policy/record.ts). */
type Marked = RecordColumns;

export interface RequestsTable extends Marked {
  id: string;
  version: number;
  incident_id: string;
  title: string;
  status: string;
  urgency: string;
  mode: string;
  capabilities: string;
  offers: number;
  deployments: number;
  submitted_at: string;
  approved_at: string | null;
  first_offer_at: string | null;
  deployed_at: string | null;
  ended_at: string | null;
  created: string;
  modified: string;
  document: string;
}

export interface OffersTable extends Marked {
  id: string;
  version: number;
  request_id: string;
  status: string;
  created: string;
  modified: string;
  document: string;
}

export interface DeploymentsTable extends OffersTable {
  offer_id: string;
}

declare module '../../db/schema.js' {
  interface Database {
    assistance_requests: RequestsTable;
    assistance_offers: OffersTable;
    assistance_deployments: DeploymentsTable;
  }
}

export type RequestRow = Selectable<RequestsTable>;
export type OfferRow = Selectable<OffersTable>;
export type DeploymentRow = Selectable<DeploymentsTable>;
/** A request as the board reads it: every column but the document. */
export type RequestBoardRow = Omit<RequestRow, 'document'>;

const BOARD_COLUMNS = [
  'id', 'version', 'incident_id', 'title', 'status', 'urgency', 'mode', 'capabilities', 'offers', 'deployments', 'submitted_at', 'approved_at',
  'first_offer_at', 'deployed_at', 'ended_at', 'created', 'modified', 'tlp', 'classification', 'releasability', 'origin_member', 'owner', 'recipients',
] as const satisfies ReadonlyArray<keyof RequestBoardRow>;

type Executor = Kysely<Database>;

export async function findRequest(db: Executor, id: string): Promise<RequestRow | undefined> {
  return db.selectFrom('assistance_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface RequestFilter {
  statuses?: readonly string[];
  urgencies?: readonly string[];
  incident?: string;
  before?: { modified: string; id: string };
  limit: number;
}

/** A page of the requests the scope reads, newest change first. */
export async function listRequests(db: Executor, scope: RecordReadScope, filter: RequestFilter): Promise<RequestBoardRow[]> {
  return newestInWindows(db, 'assistance_requests', filter.before, filter.limit, (bounds, limit) => {
    let query = db.selectFrom('assistance_requests').select(BOARD_COLUMNS).where(readableRecords(scope));
    for (const bound of bounds) query = query.where(bound);
    if (filter.statuses && filter.statuses.length > 0) query = query.where('status', 'in', [...filter.statuses]);
    if (filter.urgencies && filter.urgencies.length > 0) query = query.where('urgency', 'in', [...filter.urgencies]);
    if (filter.incident !== undefined) query = query.where('incident_id', '=', filter.incident);
    return query.orderBy('modified', 'desc').orderBy('id', 'desc').limit(limit).execute();
  });
}

/** How many of an incident's requests are in one of `statuses`, whoever may read them. */
export async function countRequestsOfIncident(db: Executor, incident: string, statuses: readonly string[]): Promise<number> {
  const row = await db
    .selectFrom('assistance_requests')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('incident_id', '=', incident)
    .where('status', 'in', [...statuses])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Requests the scope reads submitted in [from, to), oldest first, for the clocks per cycle: columns only. */
export async function requestsSubmitted(db: Executor, scope: RecordReadScope, from: string, to: string, limit: number): Promise<RequestBoardRow[]> {
  return db
    .selectFrom('assistance_requests')
    .select(BOARD_COLUMNS)
    .where(readableRecords(scope))
    .where('submitted_at', '>=', from)
    .where('submitted_at', '<', to)
    .orderBy('submitted_at')
    .limit(limit)
    .execute();
}

export async function insertRequest(tx: WriteTx, row: RequestRow): Promise<void> {
  await tx.db.insertInto('assistance_requests').values(row).execute();
}

/** Writes the next version of a request; false when its stored version is not `expected` (another change came first). */
export async function replaceRequest(tx: WriteTx, row: RequestRow, expected: number): Promise<boolean> {
  const { id, ...rest } = row;
  const result = await tx.db.updateTable('assistance_requests').set(rest).where('id', '=', id).where('version', '=', expected).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function findOffer(db: Executor, id: string): Promise<OfferRow | undefined> {
  return db.selectFrom('assistance_offers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The offers of a request the scope reads, oldest first (bounded by the request's own bound on offers). */
export async function offersOf(db: Executor, scope: RecordReadScope, requestId: string, limit: number): Promise<OfferRow[]> {
  return db.selectFrom('assistance_offers').selectAll().where('request_id', '=', requestId).where(readableRecords(scope)).orderBy('created').orderBy('id').limit(limit).execute();
}

/**
 * The marking columns of the offers or deployments of these requests that the scope reads (the
 * caller decides on each row with canReadRecord): what a reader who does not see all of a
 * request's offers counts of them. At most `limit` rows.
 */
export async function recordsOfRequests(
  db: Executor,
  table: 'assistance_offers' | 'assistance_deployments',
  scope: RecordReadScope,
  requestIds: readonly string[],
  limit: number,
): Promise<Array<RecordColumns & { request_id: string }>> {
  if (requestIds.length === 0) return [];
  return db
    .selectFrom(table)
    .select(['request_id', 'tlp', 'classification', 'releasability', 'origin_member', 'owner', 'recipients'])
    .where('request_id', 'in', [...requestIds])
    .where(readableRecords(scope))
    .limit(limit)
    .execute();
}

/** Every offer of a request, whoever reads them (the service decides with them, it does not show them). */
export async function allOffersOf(db: Executor, requestId: string, limit: number): Promise<OfferRow[]> {
  return db.selectFrom('assistance_offers').selectAll().where('request_id', '=', requestId).orderBy('created').orderBy('id').limit(limit).execute();
}

/** A request's offers open or accepted, and those of one member whatever their status. */
export async function offerCounts(db: Executor, requestId: string, member: string): Promise<{ live: number; member: number }> {
  const row = await db
    .selectFrom('assistance_offers')
    .select((eb) => [
      eb.fn.sum<number>(eb.case().when('status', 'in', ['offered', 'accepted']).then(1).else(0).end()).as('live'),
      eb.fn.sum<number>(eb.case().when('origin_member', '=', member).then(1).else(0).end()).as('member'),
    ])
    .where('request_id', '=', requestId)
    .executeTakeFirst();
  return { live: Number(row?.live ?? 0), member: Number(row?.member ?? 0) };
}

export async function insertOffer(tx: WriteTx, row: OfferRow): Promise<void> {
  await tx.db.insertInto('assistance_offers').values(row).execute();
}

export async function replaceOffer(tx: WriteTx, row: OfferRow, expected: number): Promise<boolean> {
  const { id, ...rest } = row;
  const result = await tx.db.updateTable('assistance_offers').set(rest).where('id', '=', id).where('version', '=', expected).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function findDeployment(db: Executor, id: string): Promise<DeploymentRow | undefined> {
  return db.selectFrom('assistance_deployments').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function deploymentsOf(db: Executor, scope: RecordReadScope, requestId: string, limit: number): Promise<DeploymentRow[]> {
  return db.selectFrom('assistance_deployments').selectAll().where('request_id', '=', requestId).where(readableRecords(scope)).orderBy('created').orderBy('id').limit(limit).execute();
}

export async function allDeploymentsOf(db: Executor, requestId: string, limit: number): Promise<DeploymentRow[]> {
  return db.selectFrom('assistance_deployments').selectAll().where('request_id', '=', requestId).orderBy('created').orderBy('id').limit(limit).execute();
}

/** A page of the deployments the scope reads, newest change first. */
export async function listDeployments(db: Executor, scope: RecordReadScope, statuses: readonly string[] | undefined, limit: number): Promise<DeploymentRow[]> {
  return newestInWindows(db, 'assistance_deployments', undefined, limit, (bounds, wanted) => {
    let query = db.selectFrom('assistance_deployments').selectAll().where(readableRecords(scope));
    for (const bound of bounds) query = query.where(bound);
    if (statuses && statuses.length > 0) query = query.where('status', 'in', [...statuses]);
    return query.orderBy('modified', 'desc').orderBy('id', 'desc').limit(wanted).execute();
  });
}

export async function insertDeployment(tx: WriteTx, row: DeploymentRow): Promise<void> {
  await tx.db.insertInto('assistance_deployments').values(row).execute();
}

export async function replaceDeployment(tx: WriteTx, row: DeploymentRow, expected: number): Promise<boolean> {
  const { id, ...rest } = row;
  const result = await tx.db.updateTable('assistance_deployments').set(rest).where('id', '=', id).where('version', '=', expected).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
