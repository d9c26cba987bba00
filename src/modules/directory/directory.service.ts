/** Directory use cases: members and API tokens (the full directory grows with need-to-know). */
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { ROLES } from '../../policy/permissions.js';
import type { Principal, Role } from '../../policy/principal.js';
import * as repo from './directory.repo.js';

export type MemberKind = 'ally' | 'partner' | 'international-organisation' | 'industry';

export interface Member {
  code: string;
  name: string;
  kind: MemberKind;
  country: string | null;
  identityId: string | null;
}

function present(row: repo.MemberRow): Member {
  return { code: row.code, name: row.name, kind: row.kind as MemberKind, country: row.country, identityId: row.identity_id };
}

export async function listMembers(ctx: AppContext, _actor: Principal): Promise<Member[]> {
  return (await repo.listMembers(ctx.store)).map(present);
}

export async function countMembers(ctx: AppContext): Promise<number> {
  return repo.countMembers(ctx.store);
}

export async function upsertMembers(ctx: AppContext, _actor: Principal, members: Member[]): Promise<void> {
  const now = ctx.clock.now().toISOString();
  await repo.upsertMembers(
    ctx.store,
    members.map((m) => ({ code: m.code, name: m.name, kind: m.kind, country: m.country, identity_id: m.identityId, created_at: now })),
  );
}

/** Tokens carry 256 random bits, so one SHA-256 is a sound hash at rest (no stretching needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface CreatedToken {
  id: number;
  name: string;
  role: Role;
  /** Shown once; only its hash is stored. */
  token: string;
}

export async function createToken(
  ctx: AppContext,
  _actor: Principal,
  input: { name: string; role: Role; memberCode?: string | null; expiresAt?: string | null; value?: string },
): Promise<CreatedToken> {
  if (!ROLES.includes(input.role)) throw shieldwallError('BAD_REQUEST', `unknown role '${input.role}': use one of ${ROLES.join(', ')}`);
  const token = input.value ?? `sw_${randomBytes(32).toString('base64url')}`;
  const id = await repo.insertToken(ctx.store, {
    name: input.name,
    token_hash: hashToken(token),
    role: input.role,
    member_code: input.memberCode ?? null,
    created_at: ctx.clock.now().toISOString(),
    expires_at: input.expiresAt ?? null,
    revoked_at: null,
    last_used_at: null,
  });
  return { id, name: input.name, role: input.role, token };
}

/** Creates the configured bootstrap token unless a token with that value exists already. */
export async function ensureBootstrapToken(ctx: AppContext, value: string): Promise<boolean> {
  if (await repo.findTokenByHash(ctx.store, hashToken(value))) return false;
  await createToken(ctx, { kind: 'system', name: 'system', role: 'node-admin', memberCode: null }, { name: 'bootstrap', role: 'node-admin', value });
  return true;
}

export interface TokenInfo {
  id: number;
  name: string;
  role: string;
  memberCode: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export async function listTokens(ctx: AppContext): Promise<TokenInfo[]> {
  return (await repo.listTokens(ctx.store)).map((t) => ({
    id: t.id,
    name: t.name,
    role: t.role,
    memberCode: t.member_code,
    createdAt: t.created_at,
    expiresAt: t.expires_at,
    revokedAt: t.revoked_at,
    lastUsedAt: t.last_used_at,
  }));
}

export async function revokeToken(ctx: AppContext, id: number): Promise<void> {
  const changed = await repo.revokeToken(ctx.store, id, ctx.clock.now().toISOString());
  if (changed === 0) throw shieldwallError('NOT_FOUND', `no active token with id ${id}`);
}

/** Last-used times are written at most once a minute per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;
const lastTouched = new Map<number, number>();

/** Resolves a bearer token to its principal; undefined for unknown, expired or revoked tokens. */
export async function authenticateToken(ctx: AppContext, token: string): Promise<Principal | undefined> {
  const row = await repo.findTokenByHash(ctx.store, hashToken(token));
  if (!row || row.revoked_at !== null) return undefined;
  const now = ctx.clock.now();
  if (row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime()) return undefined;
  const last = lastTouched.get(row.id) ?? 0;
  if (now.getTime() - last >= TOUCH_INTERVAL_MS) {
    lastTouched.set(row.id, now.getTime());
    await repo.touchToken(ctx.store, row.id, now.toISOString());
  }
  return { kind: 'token', name: row.name, role: row.role as Role, memberCode: row.member_code };
}
