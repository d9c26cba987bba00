/**
 * Dashboard sign-in: a user name and password give a session, carried by an httpOnly,
 * SameSite=Strict cookie; writes made with it need the session's CSRF token in a header.
 * Failed sign-ins are throttled per user name and source address, per source, and per user name
 * from sources it has not signed in from (LoginThrottle).
 */
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { nodeState } from '../../core/state.js';
import { sourceKey } from '../../core/ratelimit.js';
import { shieldwallError } from '../../core/errors.js';
import type { Principal } from '../../policy/principal.js';
import { writeTransaction } from '../../db/database.js';
import * as audit from '../audit/audit.service.js';
import * as repo from './directory.repo.js';
import { authenticateToken, authenticateTokenUse } from './directory.authentication.js';
import { hashToken, principalOfUser, verifyPassword } from './directory.service.js';
import type { Credential } from './directory.visits.js';

export const SESSION_COOKIE = 'sw_session';
export const CSRF_HEADER = 'x-csrf-token';
/** Sessions last a working day. */
export const SESSION_TTL_MS = 8 * 3600 * 1000;
/**
 * A user holds at most this many sessions (browsers signed in at once): a new sign-in ends the
 * oldest beyond it, so that sign-ins with a good password cannot grow the table without end.
 */
export const SESSIONS_PER_USER = 20;

/** Failures allowed before a lock; each failure beyond doubles the lock, up to an hour. */
const FREE_FAILURES = 5;
/** A source address is often many people (an office behind one address): it fails more freely. */
const SOURCE_FREE_FAILURES = 20;
const FIRST_LOCK_MS = 60_000;
const MAX_LOCK_MS = 3600_000;
const FORGET_AFTER_MS = 3600_000;
/** Bounded memory under a spray of names or addresses: the oldest entries go first. */
const MAX_ENTRIES = 100_000;
/** Sources remembered per user: where it signed in last. */
const KNOWN_SOURCES_PER_USER = 8;

/**
 * Counts failures per key in this process, and remembers where each user signed in before.
 * Sign-ins are throttled three ways (see keysOf): per user name and source, per source, and per
 * user name from sources it never signed in from, so that guessing from many addresses stops
 * while nobody can lock a user out of the places it signs in from.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; last: number; lockedUntil: number }>();
  private readonly known = new Map<string, string[]>();

  /** Milliseconds until the key may try again (0: now). */
  wait(key: string, now: number): number {
    const entry = this.failures.get(key);
    if (!entry) return 0;
    if (now - entry.last > FORGET_AFTER_MS) {
      this.failures.delete(key);
      return 0;
    }
    return Math.max(0, entry.lockedUntil - now);
  }

  fail(key: string, now: number, free = FREE_FAILURES): void {
    const entry = this.failures.get(key) ?? { count: 0, last: now, lockedUntil: 0 };
    entry.count++;
    entry.last = now;
    if (entry.count >= free) entry.lockedUntil = now + Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (entry.count - free));
    this.failures.set(key, entry);
    if (this.failures.size > MAX_ENTRIES) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  /** Has this user signed in from this source (sourceKey) in this process? */
  knows(user: string, source: string): boolean {
    return this.known.get(user)?.includes(source) ?? false;
  }

  remember(user: string, source: string): void {
    const sources = (this.known.get(user) ?? []).filter((s) => s !== source);
    sources.push(source);
    if (sources.length > KNOWN_SOURCES_PER_USER) sources.shift();
    // Re-inserted: the users who signed in last are kept longest.
    this.known.delete(user);
    this.known.set(user, sources);
    if (this.known.size > MAX_ENTRIES) this.known.delete(this.known.keys().next().value!);
  }
}

/**
 * The keys a sign-in is throttled by, with the failures each allows: the user name from this
 * source; the source, whatever the name (an IPv6 /64 is one source, as for the unauthenticated
 * limit); and the user name from anywhere, which is not waited on from a source the user signed
 * in from before: failures from elsewhere cannot lock a user out of the places it works from.
 */
function keysOf(throttle: LoginThrottle, user: string, source: string): { pair: string; source: string; user: string; userWaits: boolean } {
  return { pair: `pair:${user}\n${source}`, source: `source:${source}`, user: `user:${user}`, userWaits: !throttle.knows(user, source) };
}

/** This node's failed sign-ins by user and address. */
const THROTTLE = nodeState('directory.login-throttle', () => new LoginThrottle());
function throttleOf(ctx: AppContext): LoginThrottle {
  return ctx.state.get(THROTTLE);
}

export interface Session {
  /** The cookie value: shown to the browser once, stored only as a hash. */
  id: string;
  csrfToken: string;
  user: string;
  expiresAt: string;
}

/** Checks a user name and password, throttled and audited like every sign-in; the user's row. */
async function checkPassword(ctx: AppContext, input: { user: string; password: string; ip: string }): Promise<repo.UserRow> {
  const now = ctx.clock.now().getTime();
  const throttle = throttleOf(ctx);
  const source = sourceKey(input.ip);
  const keys = keysOf(throttle, input.user, source);
  const wait = Math.max(throttle.wait(keys.pair, now), throttle.wait(keys.source, now), keys.userWaits ? throttle.wait(keys.user, now) : 0);
  if (wait > 0) {
    audit.recordRefusal(ctx, undefined, input.ip, { action: 'auth.login.throttled', subject: input.user });
    ctx.metrics.signInRefusals.inc({ reason: 'throttled' });
    throw shieldwallError('TOO_MANY_REQUESTS', `too many failed sign-ins; try again in ${Math.ceil(wait / 1000)} s`, { retry_after_seconds: Math.ceil(wait / 1000) });
  }
  const row = await repo.findUser(ctx.store.db, input.user);
  // The same work and the same answer whether the user exists or not.
  const ok = row?.password_hash ? await verifyPassword(input.password, row.password_hash) : (await verifyPassword(input.password, DUMMY_HASH), false);
  if (!ok || !row || row.disabled_at !== null) {
    throttle.fail(keys.pair, now);
    throttle.fail(keys.source, now, SOURCE_FREE_FAILURES);
    throttle.fail(keys.user, now);
    audit.recordRefusal(ctx, undefined, input.ip, { action: 'auth.login.failed', subject: input.user });
    ctx.metrics.signInRefusals.inc({ reason: row && ok ? 'disabled' : 'wrong_credentials' });
    throw shieldwallError('UNAUTHENTICATED', 'wrong user name or password');
  }
  // Only this name from this source is cleared: a sign-in to one's own account does not wipe the
  // failures the source made at other names, nor those others made at this name from elsewhere.
  throttle.succeed(keys.pair);
  throttle.remember(input.user, source);
  return row;
}

export async function signIn(ctx: AppContext, input: { user: string; password: string; ip: string }): Promise<Session> {
  const now = ctx.clock.now().getTime();
  const row = await checkPassword(ctx, input);
  const id = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now + SESSION_TTL_MS).toISOString();
  // The session and its audit record commit together.
  await writeTransaction(ctx.store, async (tx) => {
    const at = new Date(now).toISOString();
    await repo.deleteExpiredSessions(tx.db, at);
    // The session keeps the sign-in before it: its previous visit, the same for its whole life.
    const previous = await repo.recordSignIn(tx.db, row.name, at);
    const idHash = hashToken(id);
    await repo.insertSession(tx.db, { id_hash: idHash, user_name: row.name, csrf_token: csrfToken, created_at: at, expires_at: expiresAt, previous_sign_in_at: previous });
    const ended = await repo.endOldestSessions(tx.db, row.name, idHash, SESSIONS_PER_USER - 1);
    await audit.recordInTransaction(ctx, tx, undefined, [{ action: 'auth.login', subject: row.name, detail: ended > 0 ? { ip: input.ip, sessions_ended: ended } : { ip: input.ip } }]);
  });
  return { id, csrfToken, user: row.name, expiresAt };
}

/**
 * Basic credentials recently verified, by a hash of them, with the user's password hash they
 * were verified against: scrypt runs once per five minutes, not per request, and a password set
 * since (by this process or another) ends the entry at the next request.
 */
const BASIC_CACHE_MS = 5 * 60_000;
const BASIC_VERIFIED = nodeState('directory.basic-verified', () => new Map<string, { at: number; passwordHash: string }>());

/** Principals of Basic credentials, and how a long-lived request (the live feed) checks them again. */
export interface BasicAuthentication {
  principal: Principal;
  credential: Credential;
  /**
   * The principal as it is now, or undefined once the credential no longer holds: the token
   * revoked or expired, or the password changed (the user disabled, for both).
   */
  reauthenticate: () => Promise<Principal | undefined>;
}

/**
 * The principal of HTTP Basic credentials (TAXII clients), and which credential proved it: the password is the user's own
 * (scrypt, throttled and audited like a sign-in) or one of the user's API tokens. A changed
 * password or a revoked token stops working at the next request.
 */
export async function basicPrincipal(ctx: AppContext, header: string, ip: string): Promise<BasicAuthentication | undefined> {
  const decoded = Buffer.from(header, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (password.startsWith('sw_')) {
    const used = await authenticateTokenUse(ctx, password);
    if (!used || used.principal.userName !== user) return undefined;
    const reauthenticate = async () => {
      const principal = await authenticateToken(ctx, password);
      return principal?.userName === user ? principal : undefined;
    };
    return { principal: used.principal, credential: { via: 'token', uses: used.uses }, reauthenticate };
  }
  const cache = ctx.state.get(BASIC_VERIFIED);
  const key = hashToken(`${user}\u0000${password}`);
  const now = ctx.clock.now().getTime();
  const verified = cache.get(key);
  let passwordHash: string;
  const current = verified && now - verified.at <= BASIC_CACHE_MS ? (await repo.findUser(ctx.store.db, user))?.password_hash : undefined;
  if (verified && current === verified.passwordHash) {
    passwordHash = verified.passwordHash;
  } else {
    cache.delete(key);
    const row = await checkPassword(ctx, { user, password, ip });
    passwordHash = row.password_hash!;
    cache.set(key, { at: now, passwordHash });
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
  }
  const principal = await principalOfUser(ctx, user, 'user');
  if (!principal) return undefined;
  // Only the hash is kept for the check: the password itself is not held past this request.
  const reauthenticate = async () => ((await repo.findUser(ctx.store.db, user))?.password_hash === passwordHash ? principalOfUser(ctx, user, 'user') : undefined);
  return { principal, credential: { via: 'password' }, reauthenticate };
}

/** A fixed hash to verify against when the user does not exist (scrypt of a random password). */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$Gk0yHd6o8m3YwV3U7wq6s2J3Cq3lW1m4cW3m8q0n5kU';

export interface SessionPrincipal {
  principal: Principal;
  csrfToken: string;
  /** The user's sign-in before this session's (null: none). */
  previousSignIn: string | null;
}

export async function sessionPrincipal(ctx: AppContext, cookieValue: string): Promise<SessionPrincipal | undefined> {
  const session = await repo.findSession(ctx.store.db, hashToken(cookieValue));
  if (!session || Date.parse(session.expires_at) <= ctx.clock.now().getTime()) return undefined;
  const principal = await principalOfUser(ctx, session.user_name, 'user');
  return principal ? { principal, csrfToken: session.csrf_token, previousSignIn: session.previous_sign_in_at } : undefined;
}

export async function signOut(ctx: AppContext, actor: Principal | undefined, cookieValue: string): Promise<void> {
  // A cookie that names no session ends nothing: nothing is written for it (anyone may send one,
  // and a write each would fill the audit trail with sign-outs that never were).
  if (!(await repo.findSession(ctx.store.db, hashToken(cookieValue)))) return;
  await writeTransaction(ctx.store, async (tx) => {
    await repo.deleteSession(tx.db, hashToken(cookieValue));
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'auth.logout', subject: actor?.userName ?? 'unknown session' }]);
  });
  // Streams opened with this session (the live feed) end before they send anything more.
  ctx.bus.publish('directory.changed', {});
}
