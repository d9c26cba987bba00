/** Users of the members (roles and clearance) and their dashboard passwords. */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { isRole, ROLES, type Principal, type Role } from '../../policy/principal.js';
import { canAdminister, canGrant, credentialDecision } from '../../policy/rule.js';
import { audited } from './directory.changes.js';
import { administeredScope, decodeNameCursor, encodePageCursor, pageLimit, type PageQuery } from './directory.pages.js';
import * as repo from './directory.repo.js';
import { countCredentialRefusal, pendingMessage, refuseCredential, requestCredential, type CredentialRequest } from './directory.requests.js';

/** scrypt cost (N = 2^15, r = 8, p = 1: about 32 MiB and tens of ms per hash; OWASP's minimum is 2^17 with p = 1 at 128 MiB, or this with more rounds of p). */
const SCRYPT: ScryptOptions & { N: number; r: number; p: number } = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function scryptAsync(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}

/** A password as stored: scrypt$N$r$p$salt$key (base64url), never the password itself. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(actual, expected);
}

export interface User {
  name: string;
  member: string | null;
  clearance: number;
  roles: Role[];
}

const USER_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/**
 * A member holding usersPerMember users is refused another, so that no member administrator's
 * loop grows the users (and, 50 a user, the tokens) without end.
 */
async function roomForUser(ctx: AppContext, db: Parameters<typeof repo.countUsersOf>[0], member: string): Promise<void> {
  const users = await repo.countUsersOf(db, member);
  if (users >= ctx.config.usersPerMember) {
    throw shieldwallError('CONFLICT', `member ${member} has ${users} users, the most one member may (SHIELDWALL_USERS_PER_MEMBER=${ctx.config.usersPerMember}): the node's administrator raises the bound if the member needs more`, {
      users,
      limit: ctx.config.usersPerMember,
    });
  }
}

/** Creates a user of a member (or of the node itself, with member null). */
export async function createUser(ctx: AppContext, actor: Principal, input: User & { password?: string }): Promise<User> {
  if (!canAdminister(actor, input.member)) throw shieldwallError('FORBIDDEN', input.member === null ? 'only a node administrator creates node users' : `you do not administer member ${input.member}`);
  const beyond = canGrant(actor, input.clearance, input.roles);
  if (beyond) throw shieldwallError('FORBIDDEN', beyond);
  if (input.password !== undefined) {
    // A password chosen for a user beyond the actor's reach would let it act as that user.
    const decision = credentialDecision(actor, input, (role) => ctx.permissions.of(role));
    if (decision.outcome !== 'issue') {
      countCredentialRefusal(ctx, actor, input.name, { kind: 'password', reason: decision.reason });
      throw shieldwallError(
        decision.outcome === 'second-person' ? 'SECOND_PERSON_REQUIRED' : 'FORBIDDEN',
        `${decision.reason}: create the user without a password, then ask for one with PUT /api/v1/users/${input.name}/password; a second node administrator or the user approves it`,
      );
    }
  }
  if (!USER_NAME.test(input.name)) throw shieldwallError('BAD_REQUEST', `user name '${input.name}' is not valid: use 1 to 64 lower-case letters, digits, '.', '_', '@' or '-'`);
  const bad = input.roles.find((r) => !isRole(r));
  if (bad !== undefined || input.roles.length === 0) throw shieldwallError('BAD_REQUEST', `unknown role '${bad ?? ''}': use one or more of ${ROLES.join(', ')}`);
  if (!Number.isInteger(input.clearance) || input.clearance < 0) throw shieldwallError('BAD_REQUEST', `clearance must be a classification level index (0 = lowest), got ${input.clearance}`);
  if (input.member !== null && !(await repo.findMember(ctx.store.db, input.member))) throw shieldwallError('NOT_FOUND', `no member with code '${input.member}'; list them with: shieldwall members list`);
  if (await repo.findUser(ctx.store.db, input.name)) throw shieldwallError('CONFLICT', `a user named '${input.name}' exists already`);
  const passwordHash = input.password !== undefined ? await hashPassword(input.password) : null;
  const event = { action: 'directory.user.create', subject: input.name, detail: { member: input.member, clearance: input.clearance, roles: input.roles } };
  await audited(ctx, actor, event, async (db) => {
    // Counted inside the write: users created at the same moment do not pass the bound together.
    if (input.member !== null) await roomForUser(ctx, db, input.member);
    await repo.insertUser(db, {
      name: input.name,
      member_code: input.member,
      clearance: input.clearance,
      roles: `,${input.roles.join(',')},`,
      password_hash: passwordHash,
      created_at: ctx.clock.now().toISOString(),
      disabled_at: null,
    });
  });
  return { name: input.name, member: input.member, clearance: input.clearance, roles: [...input.roles] };
}

export async function findUser(ctx: AppContext, name: string): Promise<User | undefined> {
  const row = await repo.findUser(ctx.store.db, name);
  return row ? presentUser(row) : undefined;
}

export function presentUser(row: repo.UserListRow): User {
  return { name: row.name, member: row.member_code, clearance: row.clearance, roles: row.roles.split(',').filter(isRole) };
}

/**
 * A page of the users the actor administers (all for a node administrator, its member's for a
 * member administrator) and the actor itself, by name; next_cursor names the next page, null on
 * the last.
 */
export async function listUsers(ctx: AppContext, actor: Principal, query: PageQuery = {}): Promise<{ users: User[]; next_cursor: string | null }> {
  const limit = pageLimit(query.limit);
  const rows = await repo.listUsers(ctx.store.db, administeredScope(actor, true), {
    ...(query.cursor !== undefined ? { after: decodeNameCursor(query.cursor) } : {}),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { users: page.map(presentUser), next_cursor: rows.length > limit && last ? encodePageCursor('user', last.name) : null };
}


export const MIN_PASSWORD_LENGTH = 12;

/**
 * Sets a user's dashboard password, under the same rule as its tokens (credentialDecision): at
 * once, or, for a node administrator acting on a user beyond its reach, once a second person
 * approves. A password set ends the user's sessions.
 */
export async function setUserPassword(ctx: AppContext, actor: Principal, name: string, password: string): Promise<{ status: 'set' } | { status: 'pending'; request: CredentialRequest; message: string }> {
  const user = await repo.findUser(ctx.store.db, name);
  if (!user) throw shieldwallError('NOT_FOUND', `no user named '${name}'`);
  if (password.length < MIN_PASSWORD_LENGTH) throw shieldwallError('BAD_REQUEST', `a password has at least ${MIN_PASSWORD_LENGTH} characters`);
  const decision = credentialDecision(actor, presentUser(user), (role) => ctx.permissions.of(role));
  if (decision.outcome === 'refuse') return refuseCredential(ctx, actor, 'password', user.name, decision.reason);
  const passwordHash = await hashPassword(password);
  if (decision.outcome === 'second-person') {
    const request = await requestCredential(ctx, actor, decision.reason, { kind: 'password', user_name: user.name, token_name: null, token_expires_at: null, password_hash: passwordHash });
    return { status: 'pending', request, message: pendingMessage(request, 'this password is set') };
  }
  await audited(ctx, actor, { action: 'directory.user.password', subject: user.name }, async (db) => {
    await repo.setPassword(db, user.name, passwordHash);
    await repo.deleteSessionsOf(db, user.name);
  });
  return { status: 'set' };
}
