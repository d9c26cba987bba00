/**
 * Pages of the directory's listings (users, API tokens, credential requests): who reads which
 * rows, how many a page holds, and the cursor that names where the next page starts, opaque to
 * the client (base64url) as every cursor of the node is.
 */
import { shieldwallError } from '../../core/errors.js';
import type { Principal } from '../../policy/principal.js';
import { canAdminister } from '../../policy/rule.js';
import type { ListingScope } from './directory.repo.js';

/** Rows of a page when the caller names no limit, and the most it may name. */
export const PAGE_DEFAULT = 500;
export const PAGE_MAX = 1000;

export interface PageQuery {
  limit?: number;
  /** next_cursor of the previous page. */
  cursor?: string;
}

export function pageLimit(limit: number | undefined): number {
  return Math.max(1, Math.min(limit ?? PAGE_DEFAULT, PAGE_MAX));
}

/**
 * The rows an actor administers, as canAdminister decides them row by row: all for a node
 * administrator (or the node itself), its own member's for a member administrator, none else.
 * `self`: the actor's own user row (or what names it) besides.
 */
export function administeredScope(actor: Principal, self: boolean): ListingScope {
  // canAdminister answers true for a row of no member only to those who administer every row.
  if (canAdminister(actor, null)) return { all: true };
  const member = actor.member !== null && canAdminister(actor, actor.member.code) ? actor.member.code : null;
  return { all: false, member, user: self ? actor.userName : null };
}

/** What a cursor of each listing names: the last row of the page before. */
type Listing = 'user' | 'token' | 'credential-request';

export function encodePageCursor(listing: Listing, key: string | number): string {
  return Buffer.from(`${listing}|${key}`).toString('base64url');
}

function invalidCursor(cursor: string): never {
  throw shieldwallError('INVALID_CURSOR', `cursor '${cursor.slice(0, 80)}' was not issued by this node for this list; list again without a cursor`);
}

/** The id a token or credential-request cursor names; 400 SW_INVALID_CURSOR for any other. */
export function decodeIdCursor(cursor: string, listing: 'token' | 'credential-request'): number {
  const match = /^([a-z-]+)\|(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || match[1] !== listing) invalidCursor(cursor);
  return Number(match[2]);
}

/** The user name a user cursor names; 400 SW_INVALID_CURSOR for any other. */
export function decodeNameCursor(cursor: string): string {
  const match = /^user\|([^|]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match?.[1] ?? invalidCursor(cursor);
}
