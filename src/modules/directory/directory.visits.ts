/**
 * Who the caller is, beyond its principal, for GET /api/v1/me: the permissions its roles hold,
 * its member's name, and when it was here before. The dashboard shows what is new since then,
 * so that answer must not move while the caller is here: a session keeps the sign-in before it
 * (written when it began), and a token keeps its last use before its current run of use
 * (written at its first use after a pause). Both are read with the credential itself, so that
 * the answer costs a request no query of its own.
 */
import type { AppContext } from '../../core/context.js';
import type { Principal } from '../../policy/principal.js';
import { memberName, TOKEN_PAUSE_MS, type TokenUses } from './directory.authentication.js';
import * as repo from './directory.repo.js';

/** How the caller proved who it is, with what the store said of it (set by the authentication plugin). */
export type Credential =
  | { readonly via: 'token'; readonly uses: TokenUses }
  | { readonly via: 'session'; readonly previousSignIn: string | null }
  | { readonly via: 'password' }
  | { readonly via: 'certificate' };

/** What GET /api/v1/me adds to the principal. */
export interface CallerDetails {
  /** Every permission the caller's roles hold, sorted. */
  permissions: string[];
  /** The display name of the caller's member; null when it acts for none. */
  member_name: string | null;
  /** ISO 8601: when the caller was here before; null if never (see previousVisit). */
  previous_visit: string | null;
}

/** Every permission the principal's roles hold, sorted. */
export function permissionsOf(ctx: AppContext, actor: Principal): string[] {
  const held = new Set<string>();
  for (const role of actor.roles) for (const permission of ctx.permissions.of(role)) held.add(permission);
  return [...held].sort();
}

/**
 * A token's use before its current run of use. The use that starts a run is written without the
 * request waiting for it: uses read before it landed end a pause ago, and that last use is the
 * previous one.
 */
export function tokenPreviousUse(uses: TokenUses, now: number): string | null {
  if (uses.lastUsedAt === null) return null;
  if (now - Date.parse(uses.lastUsedAt) >= TOKEN_PAUSE_MS) return uses.lastUsedAt;
  return uses.previousUsedAt;
}

/**
 * When the caller was here before: for a dashboard session, the user's sign-in before this
 * session's; for a token, its last use before the current run of use (uses less than
 * TOKEN_PAUSE_MS apart are one run); for a user without a session (password over HTTP Basic, a
 * client certificate), its last dashboard sign-in. Null if never, and for peer nodes.
 */
export async function previousVisit(ctx: AppContext, actor: Principal, credential: Credential | undefined): Promise<string | null> {
  switch (credential?.via) {
    case 'token':
      return tokenPreviousUse(credential.uses, ctx.clock.now().getTime());
    case 'session':
      return credential.previousSignIn;
    case 'password':
    case 'certificate':
      if (actor.kind !== 'user' || actor.userName === null) return null;
      return (await repo.findUser(ctx.store.db, actor.userName))?.last_sign_in_at ?? null;
    default:
      return null;
  }
}

export async function callerDetails(ctx: AppContext, actor: Principal, credential: Credential | undefined): Promise<CallerDetails> {
  const [name, previous] = await Promise.all([actor.member ? memberName(ctx, actor.member.code) : undefined, previousVisit(ctx, actor, credential)]);
  return { permissions: permissionsOf(ctx, actor), member_name: name ?? null, previous_visit: previous };
}
