/** API tokens: issued, listed, revoked, and the node's bootstrap token. */
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { Principal } from '../../policy/principal.js';
import { canAdminister, canGrant, credentialDecision } from '../../policy/rule.js';
import { audited } from './directory.changes.js';
import { administeredScope, decodeIdCursor, encodePageCursor, pageLimit, type PageQuery } from './directory.pages.js';
import * as repo from './directory.repo.js';
import { CREDENTIAL_REQUEST_TTL_MS, pendingMessage, refuseCredential, requestCredential, type CredentialRequest } from './directory.requests.js';
import { createUser, presentUser } from './directory.users.js';

/** Tokens carry 256 random bits, so one SHA-256 is a sound hash at rest (no stretching needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface CreatedToken {
  /** issued: the token works now; pending: once its credential request is approved. */
  status: 'issued' | 'pending';
  id: number;
  name: string;
  user: string;
  /** Shown once; only its hash is stored. */
  token: string;
  /** The request a second person approves (pending only). */
  request?: CredentialRequest;
  /** What to do next (pending only). */
  message?: string;
}


/** Tokens a user holds at once that work or may work (not revoked, not expired). */
export const TOKENS_PER_USER = 50;
/** Revoked and expired tokens are deleted this long after (the audit log keeps their history). */
export const TOKEN_KEEP_MS = 30 * 86_400_000;

/**
 * Inside the write that issues a token: the user's long-revoked and long-expired tokens are
 * deleted, and a user holding TOKENS_PER_USER active ones is refused another, so that no
 * administrator's loop grows the token table without end.
 */
async function roomForToken(ctx: AppContext, db: Parameters<typeof repo.countActiveTokens>[0], user: string): Promise<void> {
  const now = ctx.clock.now();
  await repo.pruneTokens(db, user, new Date(now.getTime() - TOKEN_KEEP_MS).toISOString());
  const active = await repo.countActiveTokens(db, user, now.toISOString(), new Date(now.getTime() - CREDENTIAL_REQUEST_TTL_MS).toISOString());
  if (active >= TOKENS_PER_USER) {
    throw shieldwallError('CONFLICT', `user ${user} holds ${active} active tokens, the most one user may: revoke one it no longer uses first (shieldwall tokens list, shieldwall tokens revoke ID)`, { tokens: active, limit: TOKENS_PER_USER });
  }
}

/** The user behind the bootstrap token: administers the node, reads no intelligence. */
export const BOOTSTRAP_USER = 'admin';


/**
 * Issues an API token for a user when the actor may act as that user by itself
 * (policy credentialDecision); when a node administrator needs a second person, the token is
 * made and shown now but works only once its credential request is approved.
 */
export async function createToken(
  ctx: AppContext,
  actor: Principal,
  input: { name: string; user: string; expiresAt?: string | null; value?: string },
): Promise<CreatedToken> {
  if (input.expiresAt && Date.parse(input.expiresAt) <= ctx.clock.now().getTime()) {
    throw shieldwallError('BAD_REQUEST', `expires_at ${input.expiresAt} has passed: give a time to come, or none for a token that does not expire`, [{ path: 'body.expires_at', message: 'in the past' }]);
  }
  const user = await repo.findUser(ctx.store.db, input.user);
  if (!user) throw shieldwallError('NOT_FOUND', `no user named '${input.user}'; create one with: shieldwall users create`);
  const decision = credentialDecision(actor, presentUser(user), (role) => ctx.permissions.of(role));
  if (decision.outcome === 'refuse') return refuseCredential(ctx, actor, 'token', user.name, decision.reason);
  const token = input.value ?? `sw_${randomBytes(32).toString('base64url')}`;
  const row = {
    name: input.name,
    token_hash: hashToken(token),
    role: 'user',
    member_code: user.member_code,
    user_name: user.name,
    created_at: ctx.clock.now().toISOString(),
    expires_at: input.expiresAt ?? null,
    revoked_at: null,
    last_used_at: null,
  };
  if (decision.outcome === 'second-person') {
    // The token is stored now, and refused until a second person approves its request.
    const request = await requestCredential(ctx, actor, decision.reason, { kind: 'token', user_name: user.name, token_name: input.name, token_expires_at: input.expiresAt ?? null, password_hash: null }, async (db, requestId) => {
      await roomForToken(ctx, db, user.name);
      const tokenId = await repo.insertToken(db, { ...row, awaiting_request: requestId });
      await repo.setRequestToken(db, requestId, tokenId);
      return tokenId;
    });
    return { status: 'pending', id: request.tokenId!, name: input.name, user: user.name, token, request, message: pendingMessage(request, 'this token works') };
  }
  const event = { action: 'directory.token.create', subject: input.name, detail: { user: user.name, member: user.member_code, expires_at: input.expiresAt ?? null } };
  const id = await audited(ctx, actor, event, async (db) => {
    await roomForToken(ctx, db, user.name);
    return repo.insertToken(db, row);
  });
  return { status: 'issued', id, name: input.name, user: user.name, token };
}

/** Creates the configured bootstrap token (and its node-admin user) unless it exists already. */
export async function ensureBootstrapToken(ctx: AppContext, value: string): Promise<boolean> {
  if (await repo.findTokenByHash(ctx.store.db, hashToken(value))) return false;
  const system: Principal = { kind: 'system', name: 'system', userName: null, roles: ['node-admin'], member: null, clearance: Number.MAX_SAFE_INTEGER };
  if (!(await repo.findUser(ctx.store.db, BOOTSTRAP_USER))) await createUser(ctx, system, { name: BOOTSTRAP_USER, member: null, clearance: 0, roles: ['node-admin'] });
  await createToken(ctx, system, { name: 'bootstrap', user: BOOTSTRAP_USER, value });
  return true;
}

export interface TokenInfo {
  id: number;
  name: string;
  user: string | null;
  memberCode: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** The credential request it waits for; it works only once that is approved. */
  awaitingRequest: number | null;
}

/**
 * A page of the tokens of the users the actor administers (all for a node administrator, its
 * member's for a member administrator), by id; next_cursor names the next page, null on the last.
 */
export async function listTokens(ctx: AppContext, actor: Principal, query: PageQuery = {}): Promise<{ tokens: TokenInfo[]; next_cursor: string | null }> {
  const limit = pageLimit(query.limit);
  const rows = await repo.listTokens(ctx.store.db, administeredScope(actor, false), {
    ...(query.cursor !== undefined ? { after: decodeIdCursor(query.cursor, 'token') } : {}),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { tokens: page.map(presentToken), next_cursor: rows.length > limit && last ? encodePageCursor('token', Number(last.id)) : null };
}

function presentToken(t: repo.TokenListRow): TokenInfo {
  return {
    id: Number(t.id),
    name: t.name,
    user: t.user_name,
    memberCode: t.member_code,
    createdAt: t.created_at,
    expiresAt: t.expires_at,
    revokedAt: t.revoked_at,
    lastUsedAt: t.last_used_at,
    awaitingRequest: t.awaiting_request === null ? null : Number(t.awaiting_request),
  };
}

export async function revokeToken(ctx: AppContext, actor: Principal, id: number): Promise<void> {
  const token = await repo.findToken(ctx.store.db, id);
  if (token && !canAdminister(actor, token.member_code)) throw shieldwallError('FORBIDDEN', `you do not administer token ${id}`);
  // As for issuing one: a member administrator revokes the tokens of users it could have created
  // (canGrant), and its own; never an auditor's or a node administrator's of its member, whom it
  // would otherwise cut off unseen.
  if (token && token.user_name !== null && token.user_name !== actor.userName) {
    const row = await repo.findUser(ctx.store.db, token.user_name);
    const holder = row ? presentUser(row) : undefined;
    const beyond = holder ? canGrant(actor, holder.clearance, holder.roles) : undefined;
    if (beyond) throw shieldwallError('FORBIDDEN', `token ${id} is of the user '${token.user_name}', who holds more than you may grant (${beyond}); a node administrator revokes it`);
  }
  await audited(ctx, actor, { action: 'directory.token.revoke', subject: String(id) }, async (db) => {
    // Thrown inside the transaction: nothing is recorded for a token that was not revoked.
    if ((await repo.revokeToken(db, id, ctx.clock.now().toISOString())) === 0) throw shieldwallError('NOT_FOUND', `no active token with id ${id}`);
  });
}
