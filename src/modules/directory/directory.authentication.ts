/**
 * Credentials resolved to principals: users and bearer tokens, remembered for a short while per
 * store (forgotten at once on every directory change made by this process).
 */
import type { AppContext } from '../../core/context.js';
import { memberGroups, type MemberKind, type Principal } from '../../policy/principal.js';
import * as repo from './directory.repo.js';
import { hashToken } from './directory.tokens.js';
import { presentUser } from './directory.users.js';
import { storeState } from '../../core/state.js';

/**
 * How long this process trusts what it read about a credential (the token's row, the user's
 * roles, clearance, member and groups) without reading it again. A change made through this
 * process takes effect at once (see audited); one made by another process on the same store (the
 * command line, another node process on PostgreSQL) within this bound. docs/OPERATIONS.md says so.
 */
export const CREDENTIAL_CACHE_MS = 5_000;
/** Bounds memory under a spray of distinct credentials: the oldest entries go first. */
const CREDENTIAL_CACHE_ENTRIES = 10_000;

/** Values read from the store for a short while; only found ones, so no guess fills it. */
class CredentialCache<T> {
  /** Bumped on every clear: a read that began before a change does not store what it read. */
  #generation = 0;
  readonly #entries = new Map<string, { value: T; at: number }>();

  async get(key: string, now: number, read: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = this.#entries.get(key);
    if (hit && now >= hit.at && now - hit.at < CREDENTIAL_CACHE_MS) return hit.value;
    const generation = this.#generation;
    const value = await read();
    this.#entries.delete(key);
    if (value !== undefined && generation === this.#generation) {
      this.#entries.set(key, { value, at: now });
      if (this.#entries.size > CREDENTIAL_CACHE_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return value;
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }
}

/** A token unused this long starts a new run of use (a new visit) at its next use. */
export const TOKEN_PAUSE_MS = 30 * 60_000;

/** A token's recorded uses (ISO 8601): its last, and its last before the current run of use. */
export interface TokenUses {
  readonly lastUsedAt: string | null;
  readonly previousUsedAt: string | null;
}

/** What a valid token grants, as read from its row. */
interface TokenGrant {
  id: number;
  name: string;
  userName: string | null;
  /** Milliseconds since the epoch; checked on every use, cached or not. */
  expiresAt: number | null;
  /** Its recorded uses, as read (see directory.visits: when the caller was here before). */
  uses: TokenUses;
}

interface Credentials {
  /** By the token's SHA-256 (the cache holds no token itself). */
  tokens: CredentialCache<TokenGrant>;
  /** By user, kind and display name. */
  principals: CredentialCache<Principal>;
  /** Members' display names, by code. */
  memberNames: CredentialCache<string>;
  /** When each token's last_used_at was last written. */
  touched: Map<number, number>;
}

/** By store: every context of this process on one store sees a change at once. */
const CREDENTIALS = storeState<Credentials>('directory.credentials', () => ({ tokens: new CredentialCache(), principals: new CredentialCache(), memberNames: new CredentialCache(), touched: new Map() }));

function credentialsOf(ctx: AppContext): Credentials {
  return ctx.store.state.get(CREDENTIALS);
}

/** Forgets every credential read so far: the next request of each reads the store again. */
export function forgetCredentials(ctx: AppContext): void {
  const found = ctx.store.state.peek(CREDENTIALS);
  found?.tokens.clear();
  found?.principals.clear();
  found?.memberNames.clear();
}

/** The display name of a member (remembered like the principals that name it); undefined for an unknown code. */
export async function memberName(ctx: AppContext, code: string): Promise<string | undefined> {
  return credentialsOf(ctx).memberNames.get(code, ctx.clock.now().getTime(), async () => (await repo.findMember(ctx.store.db, code))?.name);
}

/** The principal a user acts as: its roles, clearance, member and the member's groups. */
export async function principalOfUser(ctx: AppContext, name: string, kind: Principal['kind'] = 'user', display = name): Promise<Principal | undefined> {
  return credentialsOf(ctx).principals.get(`${kind}\u0000${display}\u0000${name}`, ctx.clock.now().getTime(), () => readPrincipalOfUser(ctx, name, kind, display));
}

async function readPrincipalOfUser(ctx: AppContext, name: string, kind: Principal['kind'], display: string): Promise<Principal | undefined> {
  const row = await repo.findUser(ctx.store.db, name);
  if (!row || row.disabled_at !== null) return undefined;
  const user = presentUser(row);
  let member: Principal['member'] = null;
  if (user.member !== null) {
    const m = await repo.findMember(ctx.store.db, user.member);
    if (!m) return undefined;
    const groups = Object.freeze(memberGroups(m.kind as MemberKind, await repo.namedGroupsOf(ctx.store.db, m.code)));
    member = Object.freeze({ code: m.code, kind: m.kind as MemberKind, identityId: m.identity_id, groups });
  }
  // Frozen: one principal serves every request of the user while it is cached.
  return Object.freeze({ kind, name: display, userName: user.name, roles: Object.freeze(user.roles), member, clearance: user.clearance });
}


/** Last-used times are written at most once a minute per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Resolves a bearer token to its principal; undefined for unknown, expired or revoked tokens.
 * Only the token's SHA-256 is looked up (tokens carry 256 random bits); what the store says of
 * it is then trusted for CREDENTIAL_CACHE_MS, its expiry checked on every use.
 */
export async function authenticateToken(ctx: AppContext, token: string): Promise<Principal | undefined> {
  return (await authenticateTokenUse(ctx, token))?.principal;
}

/** authenticateToken, with the token's recorded uses as read (see directory.visits). */
export async function authenticateTokenUse(ctx: AppContext, token: string): Promise<{ principal: Principal; uses: TokenUses } | undefined> {
  const credentials = credentialsOf(ctx);
  const now = ctx.clock.now().getTime();
  const hash = hashToken(token);
  const grant = await credentials.tokens.get(hash, now, async () => {
    const row = await repo.findTokenByHash(ctx.store.db, hash);
    if (!row || row.revoked_at !== null || row.awaiting_request !== null) return undefined;
    return {
      id: row.id,
      name: row.name,
      userName: row.user_name,
      expiresAt: row.expires_at === null ? null : Date.parse(row.expires_at),
      uses: { lastUsedAt: row.last_used_at, previousUsedAt: row.previous_used_at },
    };
  });
  if (!grant || (grant.expiresAt !== null && grant.expiresAt <= now)) return undefined;
  if (now - (credentials.touched.get(grant.id) ?? 0) >= TOUCH_INTERVAL_MS) {
    credentials.touched.set(grant.id, now);
    // Not awaited: a request does not wait on a write (nor on the writer lock during an ingest).
    void repo.touchToken(ctx.store.db, grant.id, new Date(now).toISOString(), new Date(now - TOKEN_PAUSE_MS).toISOString()).catch((error: unknown) => ctx.logger.warn({ err: error, tokenId: grant.id }, 'recording when a token was last used failed'));
  }
  if (grant.userName === null) return undefined;
  const principal = await principalOfUser(ctx, grant.userName, 'token', grant.name);
  return principal ? { principal, uses: grant.uses } : undefined;
}
