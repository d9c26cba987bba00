/**
 * What a database driver's error means for the client. Both engines report by code (SQLite's
 * SQLITE_* names, PostgreSQL's SQLSTATE, Node's errno names); this file holds the only list of
 * them, so that the REST and TAXII error mappers and the store's health agree.
 */
import { shieldwallError, type ShieldwallError } from './errors.js';

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Node's errors for a connection that could not be made or broke. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** pg's own messages when the connection ends under it or cannot be made in time. */
const DRIVER_MESSAGES = /^(Connection terminated( unexpectedly)?|Client has encountered a connection error and is not queryable|timeout exceeded when trying to connect|Connection terminated due to connection timeout|Client was closed and is not queryable)/;

/**
 * The store cannot be reached: the connection broke or was refused, the server is shutting down,
 * restarting or failing over (SQLSTATE class 08, 57P01-57P03). Retrying later can succeed.
 */
export function isStoreUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined) {
    if (NETWORK_CODES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03') return true;
  }
  return DRIVER_MESSAGES.test(messageOf(error));
}

/**
 * Every pooled connection stayed busy for the whole connection timeout: the store answers, but
 * the node is overloaded. Answered 503 like a lost store, yet not a sign that the store is gone.
 */
export function isPoolWaitTimeout(error: unknown): boolean {
  return /^timeout exceeded when trying to connect/.test(messageOf(error));
}

/** The store's disk is full: SQLITE_FULL, PostgreSQL's disk_full (53100), ENOSPC. */
export function isStoreFull(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'SQLITE_FULL' || code === '53100' || code === 'ENOSPC';
}

/** Text the engine cannot hold: PostgreSQL refuses U+0000 and bytes invalid in UTF-8 (22021, 22P05). */
export function isUnstorableText(error: unknown): boolean {
  const code = codeOf(error);
  return code === '22021' || code === '22P05';
}

/**
 * The catalogue error a driver error stands for, or undefined when it is not one of those. An
 * ingest passes what it reported so far (`so_far`: appended to the message, and `details`).
 */
export function storeErrorOf(error: unknown, soFar?: { accepted: number; details: unknown }): ShieldwallError | undefined {
  const kept = soFar ? ` ${soFar.accepted} objects of this request were accepted before it and are kept (details.objects); send the others again.` : '';
  if (isStoreFull(error)) {
    return shieldwallError('STORAGE_FULL', `the store has no disk space left for this write: nothing of it was stored.${kept || ' Everything accepted before it is kept.'} Retry once the operator has freed disk space.`, soFar?.details);
  }
  if (isStoreUnavailable(error)) {
    return shieldwallError('STORE_UNAVAILABLE', `the store cannot be reached right now (connection lost, database restarting or failing over).${kept} Retry in a few seconds: the node reconnects by itself.`, soFar?.details);
  }
  if (isUnstorableText(error)) {
    return shieldwallError('BAD_REQUEST', `the request holds text the store cannot hold (${messageOf(error)}): remove NUL characters (%00, \\u0000) and send UTF-8`);
  }
  return undefined;
}
