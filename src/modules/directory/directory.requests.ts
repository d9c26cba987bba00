/** Credential requests: the two-person rule for a node administrator's tokens and passwords. */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { WriteTx } from '../../db/database.js';
import type { Principal } from '../../policy/principal.js';
import * as audit from '../audit/audit.service.js';
import { audited, isNodeAdministrator } from './directory.changes.js';
import { decodeIdCursor, encodePageCursor, pageLimit, type PageQuery } from './directory.pages.js';
import * as repo from './directory.repo.js';

/**
 * Counts a refused credential (written with the others of the actor once per interval, as every
 * refusal: a write each was one audit entry per request, without bound) and throws the refusal.
 */
export function refuseCredential(ctx: AppContext, actor: Principal, kind: CredentialKind, user: string, reason: string): never {
  countCredentialRefusal(ctx, actor, user, { kind, reason });
  throw shieldwallError('FORBIDDEN', reason);
}

/** Counts a credential refused to the actor for this user (audit.recordRefusal: written once per interval). */
export function countCredentialRefusal(ctx: AppContext, actor: Principal, user: string, detail: Record<string, unknown>): void {
  audit.recordRefusal(ctx, actor, `${actor.kind}:${actor.name}`, { action: 'directory.credential.denied', subject: user, detail });
}

export const CREDENTIAL_KINDS = ['token', 'password'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];
export const CREDENTIAL_REQUEST_STATUSES = ['pending', 'approved', 'declined', 'lapsed'] as const;
export type CredentialRequestStatus = (typeof CREDENTIAL_REQUEST_STATUSES)[number];

/** A pending request lapses after a day: approval is a decision of now, not of last week. */
export const CREDENTIAL_REQUEST_TTL_MS = 24 * 3600_000;

/** A node administrator's token or password for a user beyond its reach (the two-person rule). */
export interface CredentialRequest {
  id: number;
  kind: CredentialKind;
  user: string;
  requestedBy: string;
  /** Why a second person is needed. */
  reason: string;
  /** The token waiting (kind token): its id, name and expiry. */
  tokenId: number | null;
  tokenName: string | null;
  tokenExpiresAt: string | null;
  status: CredentialRequestStatus;
  createdAt: string;
  lapsesAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

function presentRequest(row: repo.CredentialRequestListRow, now: number): CredentialRequest {
  const lapsesAt = Date.parse(row.created_at) + CREDENTIAL_REQUEST_TTL_MS;
  const status = row.status === 'pending' && now >= lapsesAt ? 'lapsed' : (row.status as CredentialRequestStatus);
  return {
    id: Number(row.id),
    kind: row.kind as CredentialKind,
    user: row.user_name,
    requestedBy: row.requested_by,
    reason: row.reason,
    tokenId: row.token_id === null ? null : Number(row.token_id),
    tokenName: row.token_name,
    tokenExpiresAt: row.token_expires_at,
    status,
    createdAt: row.created_at,
    lapsesAt: new Date(lapsesAt).toISOString(),
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
  };
}

/** Who an actor is in a request: its user name, or its kind and name for a peer or the node. */
export function actorId(actor: Principal): string {
  return actor.userName ?? `${actor.kind}:${actor.name}`;
}

export function pendingMessage(request: CredentialRequest, what: string): string {
  return (
    `two-person rule: ${request.reason}. A second node administrator (not ${request.requestedBy}) or the user ${request.user} must approve request ${request.id} before ${what}: ` +
    `POST /api/v1/credential-requests/${request.id}/approve (on the node: shieldwall credentials approve ${request.id}); it lapses at ${request.lapsesAt}`
  );
}

export async function requestCredential(
  ctx: AppContext,
  actor: Principal,
  reason: string,
  fields: Pick<repo.CredentialRequestRow, 'kind' | 'user_name' | 'token_name' | 'token_expires_at' | 'password_hash'>,
  /** Stores what waits for the request (a token) in the same transaction; its id. */
  withRequest?: (db: WriteTx['db'], requestId: number) => Promise<number>,
): Promise<CredentialRequest> {
  const createdAt = ctx.clock.now().toISOString();
  const row = { ...fields, reason, token_id: null, requested_by: actorId(actor), status: 'pending', created_at: createdAt, decided_by: null, decided_at: null };
  const made = await audited(
    ctx,
    actor,
    ({ id, tokenId }: { id: number; tokenId: number | null }) => [
      { action: 'directory.credential.request', subject: fields.user_name, detail: { request: id, kind: fields.kind, reason, token: tokenId, token_name: fields.token_name, expires_at: fields.token_expires_at } },
    ],
    async (db) => {
      const id = await repo.insertCredentialRequest(db, row);
      return { id, tokenId: withRequest ? await withRequest(db, id) : null };
    },
  );
  return presentRequest({ ...row, id: made.id, token_id: made.tokenId }, Date.parse(createdAt));
}

/** Which stored rows hold requests of a status: a pending request lapses CREDENTIAL_REQUEST_TTL_MS after it was made. */
function statusFilter(status: CredentialRequestStatus | undefined, now: number): Pick<repo.CredentialRequestFilter, 'status' | 'createdAfter' | 'createdUntil'> {
  const lapsedUntil = new Date(now - CREDENTIAL_REQUEST_TTL_MS).toISOString();
  if (status === 'pending') return { status: 'pending', createdAfter: lapsedUntil };
  if (status === 'lapsed') return { status: 'pending', createdUntil: lapsedUntil };
  return status === undefined ? {} : { status };
}

/**
 * A page of the requests the actor may see, newest first: all for node administrators, else
 * those it made or that name it; next_cursor names the next page, null on the last.
 */
export async function listCredentialRequests(ctx: AppContext, actor: Principal, query: PageQuery & { status?: CredentialRequestStatus } = {}): Promise<{ requests: CredentialRequest[]; next_cursor: string | null }> {
  const now = ctx.clock.now().getTime();
  const limit = pageLimit(query.limit);
  const scope: repo.ListingScope = isNodeAdministrator(actor) ? { all: true } : { all: false, member: null, user: actor.userName };
  const rows = await repo.listCredentialRequests(ctx.store.db, scope, {
    ...statusFilter(query.status, now),
    ...(query.cursor !== undefined ? { before: decodeIdCursor(query.cursor, 'credential-request') } : {}),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { requests: page.map((row) => presentRequest(row, now)), next_cursor: rows.length > limit && last ? encodePageCursor('credential-request', Number(last.id)) : null };
}

/** A pending request the actor may decide on, or the error that says why not. */
async function pendingRequest(ctx: AppContext, actor: Principal, id: number, decision: 'approve' | 'decline'): Promise<CredentialRequest> {
  const row = await repo.findCredentialRequest(ctx.store.db, id);
  if (!row) throw shieldwallError('NOT_FOUND', `no credential request ${id}; list them with GET /api/v1/credential-requests`);
  const request = presentRequest(row, ctx.clock.now().getTime());
  const consent = actor.userName !== null && actor.userName === request.user;
  if (actor.kind !== 'system' && !consent) {
    if (decision === 'approve' && actorId(actor) === request.requestedBy) {
      await audit.record(ctx, actor, [{ action: 'directory.credential.denied', subject: request.user, detail: { request: id, kind: request.kind, reason: 'own request' } }]);
      throw shieldwallError('SECOND_PERSON_REQUIRED', `you made request ${id}; a second node administrator or the user ${request.user} approves it`);
    }
    if (!actor.roles.includes('node-admin') || actor.userName === null) {
      // Any user may ask: counted, and written once per interval (a write each was one entry per
      // request, without bound).
      countCredentialRefusal(ctx, actor, request.user, { request: id, kind: request.kind, reason: `not a node administrator, nor the user (${decision})` });
      throw shieldwallError('FORBIDDEN', `only a node administrator other than the one who asked, or the user the request names, may ${decision} request ${id}`);
    }
  }
  if (request.status === 'lapsed') throw shieldwallError('CONFLICT', `request ${id} lapsed at ${request.lapsesAt} without a decision; ask again`);
  if (request.status !== 'pending') throw shieldwallError('CONFLICT', `request ${id} was ${request.status} already, by ${request.decidedBy ?? 'unknown'} at ${request.decidedAt ?? 'unknown'}`);
  return request;
}

/**
 * Approves a pending request: a second node administrator (not the one who asked), the user
 * it names (consent), or the node itself (local command line). The token starts to work, or
 * the password is set, in the same transaction as the decision and its audit records.
 */
export async function approveCredentialRequest(ctx: AppContext, actor: Principal, id: number): Promise<CredentialRequest> {
  const request = await pendingRequest(ctx, actor, id, 'approve');
  const now = ctx.clock.now().toISOString();
  const consent = actor.userName === request.user;
  const events: audit.AuditEvent[] = [{ action: 'directory.credential.approve', subject: request.user, detail: { request: id, kind: request.kind, requested_by: request.requestedBy, consent } }];
  await audited(ctx, actor, () => events, async (db) => {
    const row = await repo.findCredentialRequest(db, id);
    const user = await repo.findUser(db, request.user);
    if (!row || !user) throw shieldwallError('CONFLICT', `the user ${request.user} of request ${id} no longer exists`);
    if ((await repo.decideCredentialRequest(db, id, { status: 'approved', decided_by: actorId(actor), decided_at: now })) === 0) throw shieldwallError('CONFLICT', `request ${id} was decided a moment ago; list it again`);
    if (row.kind === 'token' && row.token_id !== null) {
      await repo.releaseToken(db, Number(row.token_id));
      events.push({ action: 'directory.token.create', subject: row.token_name ?? String(row.token_id), detail: { request: id, token: Number(row.token_id), user: user.name, member: user.member_code, requested_by: row.requested_by, expires_at: row.token_expires_at } });
    } else if (row.kind === 'password' && row.password_hash !== null) {
      await repo.setPassword(db, user.name, row.password_hash);
      await repo.deleteSessionsOf(db, user.name);
      events.push({ action: 'directory.user.password', subject: user.name, detail: { request: id, requested_by: row.requested_by } });
    }
  });
  return { ...request, status: 'approved', decidedBy: actorId(actor), decidedAt: now };
}

/** Declines a pending request: any node administrator (the one who asked withdraws it), or the user it names. */
export async function declineCredentialRequest(ctx: AppContext, actor: Principal, id: number): Promise<CredentialRequest> {
  const request = await pendingRequest(ctx, actor, id, 'decline');
  const now = ctx.clock.now().toISOString();
  await audited(ctx, actor, { action: 'directory.credential.decline', subject: request.user, detail: { request: id, kind: request.kind, requested_by: request.requestedBy } }, async (db) => {
    if ((await repo.decideCredentialRequest(db, id, { status: 'declined', decided_by: actorId(actor), decided_at: now })) === 0) throw shieldwallError('CONFLICT', `request ${id} was decided a moment ago; list it again`);
    // The token made for it never works.
    if (request.tokenId !== null) await repo.revokeToken(db, request.tokenId, now);
  });
  return { ...request, status: 'declined', decidedBy: actorId(actor), decidedAt: now };
}
