/**
 * Who is calling, and may they call this route: the directory's authentication plugin, registered
 * at the node's root before every module's routes.
 *
 * - A client certificate (mutual TLS) is checked first, so that one that does not verify is
 *   refused whatever else the request carries; then a bearer token (it wins over a verified
 *   certificate: a peer's process may act for one of its users), basic credentials, the
 *   certificate, and last the dashboard's session cookie (with its CSRF token on writes).
 * - Every route names a permission (core/http enforcePermissions); a request without one gets
 *   401, a role without it 403, and every refusal is on record (audit.recordRefusal).
 * - Requests without valid credentials are limited per address.
 *
 * Routes read the caller as `request.actor`, typed Principal: on a route that is not public the
 * permission check has run before the handler, so an actor is always there; reading it on a
 * public route without credentials throws 401 rather than handing out undefined.
 */
import { timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { commonNameOf } from '../../core/certificates.js';
import type { AppContext } from '../../core/context.js';
import { ShieldwallError, shieldwallError } from '../../core/errors.js';
import { authenticationRequired, enforcePermissions, whenClosed } from '../../core/http.js';
import { InFlightLimit, shareKey } from '../../core/inflight.js';
import { UnauthenticatedLimit } from '../../core/ratelimit.js';
import type { Principal } from '../../policy/principal.js';
import * as audit from '../audit/audit.service.js';
import { authenticateToken, authenticateTokenUse } from './directory.authentication.js';
import { principalOfCertificate } from './directory.service.js';
import { basicPrincipal, CSRF_HEADER, SESSION_COOKIE, sessionPrincipal } from './directory.sessions.js';
import type { Credential } from './directory.visits.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller: present on every route that is not public (401 otherwise). */
    readonly actor: Principal;
    /** How the caller proved who it is (GET /api/v1/me tells when it was here before by it); undefined without credentials. */
    credential: Credential | undefined;
    /**
     * Checks the request's credentials again, as they stand now: the caller as it is now, or
     * undefined once the session ended, the token was revoked or expired, the user was disabled.
     * For what outlives the request's start (the live feed's stream).
     */
    reauthenticate: (() => Promise<Principal | undefined>) | undefined;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Seconds a client refused for its member's requests in progress waits before it asks again. */
const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface AuthenticationOptions {
  /** Client certificates are requested (HTTPS with a CA): a presented one must verify. */
  readonly clientCertificates: boolean;
}

/**
 * Why a write seems to come from another site's page, if it does. A browser sends a client
 * certificate, or Basic credentials it has cached, with any request a page makes, a form posted
 * by another site among them (a text/plain form is a simple request: no preflight). Browsers say
 * where a request comes from (Sec-Fetch-Site; Origin on every cross-origin POST); command-line
 * tools, scripts and peer nodes send neither, and are not concerned.
 */
export function crossSiteWrite(request: FastifyRequest): string | undefined {
  if (SAFE_METHODS.has(request.method)) return undefined;
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site: ${site}`;
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return undefined;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  return host !== undefined && host === request.headers.host ? undefined : `Origin: ${origin.slice(0, 200)}`;
}

/** Refuses a write made with a credential the browser sends on its own, from another site's page. */
function refuseCrossSite(request: FastifyRequest, credential: string): void {
  const why = crossSiteWrite(request);
  if (why === undefined) return;
  throw shieldwallError(
    'CSRF',
    `a write with ${credential} from another site's page is refused (${why}): a browser sends that credential with any request a page makes; write from the node's own dashboard, or with an API token (Authorization: Bearer)`,
  );
}

async function authenticate(ctx: AppContext, options: AuthenticationOptions, request: FastifyRequest): Promise<void> {
  let certificateName: string | undefined;
  const socket = request.raw.socket as TLSSocket;
  if (socket.encrypted && options.clientCertificates) {
    const certificate = socket.getPeerCertificate();
    if (certificate && Object.keys(certificate).length > 0) {
      certificateName = commonNameOf(certificate.subject as unknown as Record<string, string>);
      if (!socket.authorized || !certificateName) {
        throw shieldwallError('UNAUTHENTICATED', `the client certificate was refused: ${String(socket.authorizationError ?? 'it names no user (CN)')}`);
      }
    }
  }
  // Authentication schemes are case-insensitive (RFC 9110 section 11.1): some clients send 'basic'.
  const header = request.headers.authorization;
  const scheme = header?.slice(0, header.indexOf(' ')).toLowerCase();
  if (header && scheme === 'bearer') {
    const token = header.slice(7).trim();
    const used = await authenticateTokenUse(ctx, token);
    request.principal = used?.principal;
    request.credential = used ? { via: 'token', uses: used.uses } : undefined;
    request.reauthenticate = () => authenticateToken(ctx, token);
    return;
  }
  if (header && scheme === 'basic') {
    refuseCrossSite(request, 'Basic credentials');
    const basic = await basicPrincipal(ctx, header.slice(6).trim(), request.ip);
    request.principal = basic?.principal;
    request.credential = basic?.credential;
    // The token checked again, or the password checked unchanged (it is not hashed again).
    request.reauthenticate = basic ? basic.reauthenticate : async () => undefined;
    return;
  }
  if (certificateName !== undefined) {
    refuseCrossSite(request, 'a client certificate');
    const name = certificateName;
    request.principal = await principalOfCertificate(ctx, name);
    if (!request.principal) throw shieldwallError('UNAUTHENTICATED', `the client certificate names '${name}', who is no active user or peer node of this node`);
    request.credential = { via: 'certificate' };
    request.reauthenticate = () => principalOfCertificate(ctx, name);
    return;
  }
  const sessionId = request.cookies[SESSION_COOKIE];
  if (!sessionId) return;
  const session = await sessionPrincipal(ctx, sessionId);
  if (!session) return;
  request.reauthenticate = async () => (await sessionPrincipal(ctx, sessionId))?.principal;
  request.principal = session.principal;
  request.csrfToken = session.csrfToken;
  request.credential = { via: 'session', previousSignIn: session.previousSignIn };
  // A cookie rides along with any request the browser makes, a forged one included: writes
  // must also show the token that only the dashboard's own page has read.
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !safeEqual(sent, session.csrfToken)) {
      // Signing in or out with a session whose token the page lost (its storage was cleared,
      // not the cookie): the request goes on as unauthenticated, so that a sign-in replaces the
      // session and a sign-out ends it. The SameSite=Strict cookie is never sent by other sites.
      if (request.routeOptions.url === '/api/v1/session') {
        request.principal = undefined;
        request.csrfToken = undefined;
        request.credential = undefined;
        request.reauthenticate = undefined;
        return;
      }
      throw shieldwallError('CSRF', `send the session's CSRF token in the ${CSRF_HEADER} header with every write (the sign-in answer holds it)`);
    }
  }
}

/** The plugin: decorations, authentication, the unauthenticated limit and the permission check. */
export function authentication(ctx: AppContext, options: AuthenticationOptions) {
  return fp(async (app: FastifyInstance) => {
    app.decorateRequest('principal', undefined);
    app.decorateRequest('csrfToken', undefined);
    app.decorateRequest('credential', undefined);
    app.decorateRequest('reauthenticate', undefined);
    app.decorateRequest('actor', {
      getter(this: FastifyRequest): Principal {
        if (!this.principal) throw authenticationRequired();
        return this.principal;
      },
    });
    // Requests without valid credentials are limited per address (authenticated ones never are), so
    // that bad tokens cannot take the node's time; probes stay open to the orchestrator.
    const config = ctx.config;
    const unauthenticatedLimit = new UnauthenticatedLimit({ limit: config.rateLimitUnauthenticated, windowMs: config.rateLimitWindowMs, clock: ctx.clock, registry: ctx.metrics.registry });
    const limitUnauthenticated = (request: FastifyRequest, reply: FastifyReply): void => {
      if (request.routeOptions.url === '/healthz' || request.routeOptions.url === '/readyz') return;
      const wait = unauthenticatedLimit.take(request.ip);
      if (wait === 0) return;
      audit.recordRefusal(ctx, undefined, request.ip, { action: 'auth.rate_limited', subject: `${request.method} ${request.routeOptions.url ?? request.url}` });
      reply.header('Retry-After', String(wait));
      throw shieldwallError(
        'RATE_LIMITED',
        `too many unauthenticated requests from ${request.ip}: at most ${config.rateLimitUnauthenticated} in ${config.rateLimitWindowMs / 1000} s; retry in ${wait} s, or send valid credentials`,
        { retry_after_seconds: wait },
      );
    };
    app.addHook('onRequest', async (request, reply) => {
      try {
        await authenticate(ctx, options, request);
      } catch (error) {
        // Credentials that failed count against the address like none at all.
        if (error instanceof ShieldwallError && error.status === 401) limitUnauthenticated(request, reply);
        throw error;
      }
      if (!request.principal) limitUnauthenticated(request, reply);
    });
    // Every refusal is on record (who, which route, why; never the credentials themselves), counted
    // per address and written once per interval (audit.recordRefusal).
    enforcePermissions(app, ctx.permissions, async (request, status, reason) =>
      audit.recordRefusal(ctx, request.principal, request.ip, { action: status === 401 ? 'auth.unauthenticated' : 'auth.forbidden', subject: `${request.method} ${request.routeOptions.url ?? request.url}`, detail: { reason } }),
    );
    // Permitted requests then count against their member's requests in progress (core/inflight.ts):
    // a place is taken once the request may go on, and given back when its connection's answer ends.
    const inFlight = new InFlightLimit(config.requestsInFlightPerMember, ctx.metrics.registry);
    app.addHook('onRequest', async (request, reply) => {
      const principal = request.principal;
      if (!principal || request.routeOptions.config.longLived) return;
      const key = shareKey(principal);
      const release = inFlight.take(key);
      if (release) {
        whenClosed(reply.raw, release);
        return;
      }
      const who = key.startsWith('member:') ? `the users of member ${principal.member!.code} have` : `${principal.kind} ${principal.name} has`;
      audit.recordRefusal(ctx, principal, request.ip, { action: 'auth.in_flight_limited', subject: `${request.method} ${request.routeOptions.url ?? request.url}`, detail: { in_progress: inFlight.inProgress(key) } });
      reply.header('Retry-After', String(IN_FLIGHT_RETRY_AFTER_SECONDS));
      throw shieldwallError(
        'TOO_MANY_IN_FLIGHT',
        `${who} ${inFlight.limit} requests in progress, the most one member may (SHIELDWALL_REQUESTS_IN_FLIGHT_PER_MEMBER): retry in ${IN_FLIGHT_RETRY_AFTER_SECONDS} s, once some are answered`,
        { retry_after_seconds: IN_FLIGHT_RETRY_AFTER_SECONDS, limit: inFlight.limit },
      );
    });
  });
}
