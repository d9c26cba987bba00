/**
 * The error catalogue: every error a client can meet has a stable code, an HTTP status and a
 * message template. Routes throw these; one mapper (http-errors.ts) turns them into the JSON
 * envelope. Anything not from the catalogue is answered as a masked 500.
 */
export interface ErrorDefinition {
  readonly code: string;
  readonly status: number;
  readonly description: string;
}

export class ShieldwallError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;

  constructor(definition: ErrorDefinition, message: string, details?: unknown) {
    super(message);
    this.name = 'ShieldwallError';
    this.code = definition.code;
    this.status = definition.status;
    this.details = details;
  }
}

function define(code: string, status: number, description: string): ErrorDefinition {
  return Object.freeze({ code, status, description });
}

export const ERRORS = Object.freeze({
  BAD_REQUEST: define('SW_BAD_REQUEST', 400, 'The request is malformed: a parameter or the body does not match what the route expects.'),
  INVALID_CURSOR: define('SW_INVALID_CURSOR', 400, 'The paging cursor is not one this node issued; restart paging without a cursor.'),
  UNAUTHENTICATED: define('SW_UNAUTHENTICATED', 401, 'No valid credentials were presented: send an API token as "Authorization: Bearer <token>".'),
  FORBIDDEN: define('SW_FORBIDDEN', 403, 'The credentials are valid but do not grant this action.'),
  NOT_FOUND: define('SW_NOT_FOUND', 404, 'The resource does not exist or is not visible to the caller.'),
  SECOND_PERSON_REQUIRED: define('SW_SECOND_PERSON_REQUIRED', 403, 'The action lets an administrator act as a user beyond its own reach: a second node administrator, or the user, must approve it.'),
  CSRF: define('SW_CSRF', 403, 'A write made with a sign-in cookie lacks the session\'s CSRF token (header X-CSRF-Token).'),
  TOO_MANY_REQUESTS: define('SW_TOO_MANY_REQUESTS', 429, 'Too many attempts (sign-in); wait the time the message says.'),
  RATE_LIMITED: define('SW_RATE_LIMITED', 429, 'Too many requests without valid credentials from one address; wait the time the message says, or authenticate.'),
  TOO_MANY_IN_FLIGHT: define('SW_TOO_MANY_IN_FLIGHT', 429, 'The users of the member (or the peer) have as many requests in progress as one member may (SHIELDWALL_REQUESTS_IN_FLIGHT_PER_MEMBER); retry after Retry-After, once some are answered.'),
  TOO_MANY_STREAMS: define('SW_TOO_MANY_STREAMS', 429, 'Too many event streams are open: per user, per member, or on the node; close one (or wait) and connect again.'),
  NOT_ACCEPTABLE: define('SW_NOT_ACCEPTABLE', 406, 'The Accept header allows no media type this resource is served in.'),
  CONFLICT: define('SW_CONFLICT', 409, 'The resource exists already or the change conflicts with its current state.'),
  INVALID_TRANSITION: define('SW_INVALID_TRANSITION', 409, 'The record cannot move to the state asked for from the state it is in; details.allowed lists where it may move.'),
  STALE_VERSION: define('SW_STALE_VERSION', 409, 'The record changed since the version the change was made on; reload it (details.current_version) and make the change again.'),
  UNSUPPORTED_MEDIA_TYPE: define('SW_UNSUPPORTED_MEDIA_TYPE', 415, 'The request body has a content type the route does not accept.'),
  PAYLOAD_TOO_LARGE: define('SW_PAYLOAD_TOO_LARGE', 413, 'The request body exceeds the configured limit.'),
  BODY_TOO_SLOW: define('SW_BODY_TOO_SLOW', 408, 'The request body arrived slower than the route takes while it holds one of its few places (warning-list uploads: SHIELDWALL_WARNINGLIST_UPLOAD_MIN_RATE after SHIELDWALL_WARNINGLIST_UPLOAD_GRACE_MS); send it from a faster link, or in smaller parts.'),
  INVALID_BUNDLE: define('SW_INVALID_BUNDLE', 422, 'The body is not a STIX bundle, a JSON array of STIX objects or NDJSON of STIX objects.'),
  PEER_FAILED: define('SW_PEER_FAILED', 502, 'A peer node could not be reached or answered with an error; the message says which and why, and the peer\'s status keeps it.'),
  NOT_READY: define('SW_NOT_READY', 503, 'The node is starting or shutting down.'),
  STORE_UNAVAILABLE: define('SW_STORE_UNAVAILABLE', 503, 'The store cannot be reached (connection lost, database restarting or failing over); the node reconnects by itself: retry after Retry-After.'),
  MATCH_BUSY: define('SW_MATCH_BUSY', 503, 'Too many bulk matches are running and waiting on this node; send the log again after Retry-After.'),
  STORAGE_FULL: define('SW_STORAGE_FULL', 507, 'The store has no disk space left for the write; nothing of it was stored and what was accepted before is kept.'),
  HEADERS_TOO_LARGE: define('SW_HEADERS_TOO_LARGE', 431, 'The request line (URL) and headers together exceed the server limit.'),
  INTERNAL: define('SW_INTERNAL', 500, 'An unexpected error occurred; it has been logged with the request id.'),
});

export type ErrorName = keyof typeof ERRORS;

export function shieldwallError(name: ErrorName, message: string, details?: unknown): ShieldwallError {
  return new ShieldwallError(ERRORS[name], message, details);
}
