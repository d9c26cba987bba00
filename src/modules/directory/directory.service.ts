/** Directory use cases: members and API tokens (the full directory grows with need-to-know). */
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { isRole, memberGroups, ROLES, type MemberKind, type Principal, type Role } from '../../policy/principal.js';
import { writeTransaction, type WriteTx } from '../../db/database.js';
import * as audit from '../audit/audit.service.js';
import * as repo from './directory.repo.js';

export type { MemberKind } from '../../policy/principal.js';

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
  return (await repo.listMembers(ctx.store.db)).map(present);
}

export async function countMembers(ctx: AppContext): Promise<number> {
  return repo.countMembers(ctx.store.db);
}

/** Runs a directory change and its audit record in one write transaction. */
async function audited<T>(ctx: AppContext, actor: Principal, event: audit.AuditEvent, change: (db: WriteTx['db']) => Promise<T>): Promise<T> {
  return writeTransaction(ctx.store, async (tx) => {
    const result = await change(tx.db);
    await audit.recordInTransaction(ctx, tx, actor, [event]);
    return result;
  });
}

export async function upsertMembers(ctx: AppContext, actor: Principal, members: Member[]): Promise<void> {
  const now = ctx.clock.now().toISOString();
  await audited(ctx, actor, { action: 'directory.members.save', subject: members.map((m) => m.code).join(','), detail: { members: members.length } }, (db) =>
    repo.upsertMembers(
      db,
      members.map((m) => ({ code: m.code, name: m.name, kind: m.kind, country: m.country, identity_id: m.identityId, created_at: now })),
    ),
  );
}

/** Tokens carry 256 random bits, so one SHA-256 is a sound hash at rest (no stretching needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface CreatedToken {
  id: number;
  name: string;
  user: string;
  /** Shown once; only its hash is stored. */
  token: string;
}

export interface User {
  name: string;
  member: string | null;
  clearance: number;
  roles: Role[];
}

const USER_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/** Creates a user of a member (or of the node itself, with member null). */
export async function createUser(ctx: AppContext, actor: Principal, input: User & { passwordHash?: string | null }): Promise<User> {
  if (!USER_NAME.test(input.name)) throw shieldwallError('BAD_REQUEST', `user name '${input.name}' is not valid: use 1 to 64 lower-case letters, digits, '.', '_', '@' or '-'`);
  const bad = input.roles.find((r) => !isRole(r));
  if (bad !== undefined || input.roles.length === 0) throw shieldwallError('BAD_REQUEST', `unknown role '${bad ?? ''}': use one or more of ${ROLES.join(', ')}`);
  if (!Number.isInteger(input.clearance) || input.clearance < 0) throw shieldwallError('BAD_REQUEST', `clearance must be a classification level index (0 = lowest), got ${input.clearance}`);
  if (input.member !== null && !(await repo.findMember(ctx.store.db, input.member))) throw shieldwallError('NOT_FOUND', `no member with code '${input.member}'; list them with: shieldwall members list`);
  if (await repo.findUser(ctx.store.db, input.name)) throw shieldwallError('CONFLICT', `a user named '${input.name}' exists already`);
  const event = { action: 'directory.user.create', subject: input.name, detail: { member: input.member, clearance: input.clearance, roles: input.roles } };
  await audited(ctx, actor, event, (db) => repo.insertUser(db, {
    name: input.name,
    member_code: input.member,
    clearance: input.clearance,
    roles: `,${input.roles.join(',')},`,
    password_hash: input.passwordHash ?? null,
    created_at: ctx.clock.now().toISOString(),
    disabled_at: null,
  }));
  return { name: input.name, member: input.member, clearance: input.clearance, roles: [...input.roles] };
}

export async function findUser(ctx: AppContext, name: string): Promise<User | undefined> {
  const row = await repo.findUser(ctx.store.db, name);
  return row ? presentUser(row) : undefined;
}

function presentUser(row: repo.UserRow): User {
  return { name: row.name, member: row.member_code, clearance: row.clearance, roles: row.roles.split(',').filter(isRole) };
}

export async function listUsers(ctx: AppContext): Promise<User[]> {
  return (await repo.listUsers(ctx.store.db)).map(presentUser);
}

/** Adds members to a named group (created if new); built-in group names can be extended too. */
export async function addToGroup(ctx: AppContext, actor: Principal, group: string, description: string, members: string[]): Promise<void> {
  if (!/^[A-Z0-9][A-Z0-9_-]{0,31}$/.test(group)) throw shieldwallError('BAD_REQUEST', `group name '${group}' is not valid: use upper-case letters, digits, '-' and '_'`);
  await audited(ctx, actor, { action: 'directory.group.add', subject: group, detail: { members } }, (db) =>
    repo.upsertGroup(db, { name: group, description, created_at: ctx.clock.now().toISOString() }, members),
  );
}

/** Member codes by STIX identity id: who originated an object. */
export async function memberIdentities(ctx: AppContext): Promise<Map<string, string>> {
  return new Map((await repo.memberIdentities(ctx.store.db)).map((m) => [m.identity_id, m.code]));
}

/** The principal a user acts as: its roles, clearance, member and the member's groups. */
export async function principalOfUser(ctx: AppContext, name: string, kind: Principal['kind'] = 'user', display = name): Promise<Principal | undefined> {
  const row = await repo.findUser(ctx.store.db, name);
  if (!row || row.disabled_at !== null) return undefined;
  const user = presentUser(row);
  let member: Principal['member'] = null;
  if (user.member !== null) {
    const m = await repo.findMember(ctx.store.db, user.member);
    if (!m) return undefined;
    member = { code: m.code, kind: m.kind as MemberKind, identityId: m.identity_id, groups: memberGroups(m.kind as MemberKind, await repo.namedGroupsOf(ctx.store.db, m.code)) };
  }
  return { kind, name: display, userName: user.name, roles: user.roles, member, clearance: user.clearance };
}

/** The user behind the bootstrap token: administers the node, reads no intelligence. */
export const BOOTSTRAP_USER = 'admin';

export async function createToken(
  ctx: AppContext,
  actor: Principal,
  input: { name: string; user: string; expiresAt?: string | null; value?: string },
): Promise<CreatedToken> {
  const user = await repo.findUser(ctx.store.db, input.user);
  if (!user) throw shieldwallError('NOT_FOUND', `no user named '${input.user}'; create one with: shieldwall users create`);
  const token = input.value ?? `sw_${randomBytes(32).toString('base64url')}`;
  const event = { action: 'directory.token.create', subject: input.name, detail: { user: user.name, expires_at: input.expiresAt ?? null } };
  const id = await audited(ctx, actor, event, (db) => repo.insertToken(db, {
    name: input.name,
    token_hash: hashToken(token),
    role: 'user',
    member_code: user.member_code,
    user_name: user.name,
    created_at: ctx.clock.now().toISOString(),
    expires_at: input.expiresAt ?? null,
    revoked_at: null,
    last_used_at: null,
  }));
  return { id, name: input.name, user: user.name, token };
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
}

export async function listTokens(ctx: AppContext): Promise<TokenInfo[]> {
  return (await repo.listTokens(ctx.store.db)).map((t) => ({
    id: t.id,
    name: t.name,
    user: t.user_name,
    memberCode: t.member_code,
    createdAt: t.created_at,
    expiresAt: t.expires_at,
    revokedAt: t.revoked_at,
    lastUsedAt: t.last_used_at,
  }));
}

export async function revokeToken(ctx: AppContext, actor: Principal, id: number): Promise<void> {
  await audited(ctx, actor, { action: 'directory.token.revoke', subject: String(id) }, async (db) => {
    // Thrown inside the transaction: nothing is recorded for a token that was not revoked.
    if ((await repo.revokeToken(db, id, ctx.clock.now().toISOString())) === 0) throw shieldwallError('NOT_FOUND', `no active token with id ${id}`);
  });
}

/** Last-used times are written at most once a minute per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;
const lastTouched = new Map<number, number>();

/** Resolves a bearer token to its principal; undefined for unknown, expired or revoked tokens. */
export async function authenticateToken(ctx: AppContext, token: string): Promise<Principal | undefined> {
  const row = await repo.findTokenByHash(ctx.store.db, hashToken(token));
  if (!row || row.revoked_at !== null) return undefined;
  const now = ctx.clock.now();
  if (row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime()) return undefined;
  const last = lastTouched.get(row.id) ?? 0;
  if (now.getTime() - last >= TOUCH_INTERVAL_MS) {
    lastTouched.set(row.id, now.getTime());
    await repo.touchToken(ctx.store.db, row.id, now.toISOString());
  }
  if (row.user_name === null) return undefined;
  return principalOfUser(ctx, row.user_name, 'token', row.name);
}
