/**
 * Composes the node: configuration, store, shared services and every module's routes. Never
 * listens: server.ts does that, and tests drive the app with app.inject().
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Config } from './config/config.js';
import { systemClock, type Clock } from './core/clock.js';
import type { AppContext } from './core/context.js';
import { EventBus } from './core/events.js';
import { ShieldwallError, shieldwallError } from './core/errors.js';
import { clientErrorReply, enforcePermissions, errorReply, refuseNulInQuery, serializableSchema, STORE_RETRY_AFTER_SECONDS } from './core/http.js';
import { isStoreUnavailable } from './core/store-errors.js';
import { RequestLog, serverLogger, type Logger } from './core/logger.js';
import { createMetrics, observeGauge, observeStorePool } from './core/metrics.js';
import { UnauthenticatedLimit } from './core/ratelimit.js';
import type { Store } from './db/database.js';
import { directoryRoutes } from './modules/directory/directory.routes.js';
import * as audit from './modules/audit/audit.service.js';
import { authenticateToken, principalOfCertificate } from './modules/directory/directory.service.js';
import { commonNameOf } from './core/certificates.js';
import { basicPrincipal, CSRF_HEADER, SESSION_COOKIE, sessionPrincipal } from './modules/directory/directory.sessions.js';
import { intelRoutes } from './modules/intel/intel.routes.js';
import { taxiiRoutes } from './modules/taxii/taxii.routes.js';
import { detectRoutes } from './modules/detect/detect.routes.js';
import { warningListRoutes } from './modules/detect/warninglist.routes.js';
import { Detection } from './modules/detect/detect.service.js';
import { federationRoutes } from './modules/federation/federation.routes.js';
import { FederationScheduler } from './modules/federation/federation.scheduler.js';

export interface BuildOptions {
  config: Config;
  store: Store;
  clock?: Clock;
  /** JSON logs at the configured level unless false (tests). */
  logger?: false;
  /** Serve HTTPS with these PEM contents; with ca, client certificates are requested. */
  https?: { cert: string; key: string; ca?: string };
}

export interface Node {
  app: FastifyInstance;
  ctx: AppContext;
  /** False while starting and once shutdown has begun: /readyz answers 503. */
  setReady(ready: boolean): void;
  /** Every route with the permission it names (for the tests that walk them all). */
  routes: ReadonlyArray<{ method: string; url: string; permission: string }>;
  /** Sync with peer nodes: started by the server when SHIELDWALL_FEDERATION is on. */
  federation: FederationScheduler;
  /** The detection index: built on first use, or at start by the server. */
  detection: Detection;
}

/** The shared services of a node, also used by CLI commands that work on the store directly. */
export function createContext(options: { config: Config; store: Store; logger: Logger; clock?: Clock }): AppContext {
  return Object.freeze({
    config: options.config,
    store: options.store,
    bus: new EventBus(),
    logger: options.logger,
    clock: options.clock ?? systemClock,
    metrics: createMetrics(),
  });
}

/** Logs and counts the store's losses and recoveries (once per context). */
function watchStoreHealth(ctx: AppContext): void {
  ctx.store.health.subscribe((event) => {
    if (event.kind === 'lost') {
      ctx.metrics.storeAvailable.set(0);
      ctx.logger.error({ err: event.error, store: ctx.store.location }, 'store connection lost: /readyz answers 503 while reconnecting');
    } else if (event.kind === 'retry-failed') {
      ctx.logger.warn({ err: event.error, attempt: event.attempt, nextInMs: event.nextInMs }, 'store still unreachable; retrying');
    } else {
      ctx.metrics.storeAvailable.set(1);
      ctx.metrics.storeReconnects.inc();
      ctx.logger.info({ attempts: event.attempts, downMs: event.downMs }, 'store reachable again');
    }
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const DASHBOARD = fileURLToPath(new URL('../web/index.html', import.meta.url));

export async function buildApp(options: BuildOptions): Promise<Node> {
  const app = Fastify({
    ...(options.logger === false ? { logger: false } : { loggerInstance: serverLogger(options.config.logLevel), logController: new RequestLog() }),
    bodyLimit: options.config.bodyLimitBytes,
    genReqId: () => crypto.randomUUID(),
    // A URL or headers over Node's limit (431) and unparseable requests answer in the envelope.
    clientErrorHandler: clientErrorReply,
    // Client certificates are asked for, not required: tokens and sign-in still work over HTTPS,
    // and a presented certificate that does not verify is refused below.
    ...(options.https ? { https: { cert: options.https.cert, key: options.https.key, ...(options.https.ca ? { ca: options.https.ca, requestCert: true, rejectUnauthorized: false } : {}) } } : {}),
  }) as unknown as FastifyInstance;
  const ctx = createContext({ config: options.config, store: options.store, logger: app.log, ...(options.clock ? { clock: options.clock } : {}) });
  let ready = false;
  const routes: Array<{ method: string; url: string; permission: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, permission: String(route.config?.permission) });
    // Unions the serializer would settle with a validator compiled on the first answer.
    if (route.schema?.response !== undefined) route.schema = { ...route.schema, response: serializableSchema(route.schema.response) };
  });

  app.decorateRequest('principal', undefined);
  app.setErrorHandler((error, request, reply) => {
    if (isStoreUnavailable(error)) ctx.store.health.lost(error);
    return errorReply(error, request, reply);
  });
  watchStoreHealth(ctx);
  if (ctx.store.pgPool) observeStorePool(ctx.metrics, ctx.store.pgPool);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'SW_NOT_FOUND', message: `no route ${request.method} ${request.url}; the API is under /api/v1`, request_id: String(request.id) } }),
  );
  await app.register(cookie);
  app.decorateRequest('csrfToken', undefined);
  // Who is calling: a client certificate (mutual TLS) is checked first, so that one that does
  // not verify is refused whatever else the request carries; then a bearer token (it wins over
  // a verified certificate: a peer's process may act for one of its users), the certificate,
  // and last the dashboard's session cookie.
  const authenticate = async (request: FastifyRequest): Promise<void> => {
    let certificateName: string | undefined;
    const socket = request.raw.socket as TLSSocket;
    if (socket.encrypted && options.https?.ca) {
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
      request.principal = await authenticateToken(ctx, header.slice(7).trim());
      return;
    }
    if (header && scheme === 'basic') {
      request.principal = await basicPrincipal(ctx, header.slice(6).trim(), request.ip);
      return;
    }
    if (certificateName !== undefined) {
      request.principal = await principalOfCertificate(ctx, certificateName);
      if (!request.principal) throw shieldwallError('UNAUTHENTICATED', `the client certificate names '${certificateName}', who is no active user or peer node of this node`);
      return;
    }
    const sessionId = request.cookies[SESSION_COOKIE];
    if (!sessionId) return;
    const session = await sessionPrincipal(ctx, sessionId);
    if (!session) return;
    request.principal = session.principal;
    request.csrfToken = session.csrfToken;
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
          return;
        }
        throw shieldwallError('CSRF', `send the session's CSRF token in the ${CSRF_HEADER} header with every write (the sign-in answer holds it)`);
      }
    }
  };
  // Requests without valid credentials are limited per address (authenticated ones never are), so
  // that bad tokens cannot take the node's time; probes stay open to the orchestrator.
  const unauthenticatedLimit = new UnauthenticatedLimit({ limit: options.config.rateLimitUnauthenticated, windowMs: options.config.rateLimitWindowMs, clock: ctx.clock, registry: ctx.metrics.registry });
  const limitUnauthenticated = (request: FastifyRequest, reply: FastifyReply): void => {
    if (request.routeOptions.url === '/healthz' || request.routeOptions.url === '/readyz') return;
    const wait = unauthenticatedLimit.take(request.ip);
    if (wait === 0) return;
    audit.recordRefusal(ctx, undefined, request.ip, { action: 'auth.rate_limited', subject: `${request.method} ${request.routeOptions.url ?? request.url}` });
    reply.header('Retry-After', String(wait));
    throw shieldwallError(
      'RATE_LIMITED',
      `too many unauthenticated requests from ${request.ip}: at most ${options.config.rateLimitUnauthenticated} in ${options.config.rateLimitWindowMs / 1000} s; retry in ${wait} s, or send valid credentials`,
      { retry_after_seconds: wait },
    );
  };
  app.addHook('onRequest', async (request, reply) => {
    try {
      await authenticate(request);
    } catch (error) {
      // Credentials that failed count against the address like none at all.
      if (error instanceof ShieldwallError && error.status === 401) limitUnauthenticated(request, reply);
      throw error;
    }
    if (!request.principal) limitUnauthenticated(request, reply);
  });
  // Every refusal is on record (who, which route, why; never the credentials themselves), counted
  // per address and written once per interval (audit.recordRefusal).
  enforcePermissions(app, async (request, status, reason) =>
    audit.recordRefusal(ctx, request.principal, request.ip, { action: status === 401 ? 'auth.unauthenticated' : 'auth.forbidden', subject: `${request.method} ${request.routeOptions.url ?? request.url}`, detail: { reason } }),
  );
  // Counted refusals and the last checkpoint are written before the store is closed.
  app.addHook('onClose', async () => audit.closeAudit(ctx));

  // No answer is for a cache to keep: they carry intel and who may read it, and after a
  // sign-out neither the back button nor a shared cache may show them again.
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.addHook('preValidation', async (request) => refuseNulInQuery(request));

  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.httpRequestSeconds.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Shieldwall node API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.get('/openapi.json', { config: { permission: 'public' }, schema: { hide: true } }, async () => app.swagger());

  app.get('/healthz', { config: { permission: 'public' }, logLevel: 'warn' }, async () => ({ status: 'ok' }));
  // Not ready answers in the error envelope (SW_NOT_READY), with what is wrong in details.status.
  app.get('/readyz', { config: { permission: 'public' }, logLevel: 'warn' }, async (_request, reply) => {
    const notReady = (status: string, message: string, detail?: string) => {
      reply.header('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
      return shieldwallError('NOT_READY', message, { status, store: ctx.store.dialect, ...(detail ? { detail } : {}) });
    };
    if (!ready) throw notReady('not ready', 'the node is starting or shutting down');
    if (!ctx.store.health.available) {
      throw notReady('store unreachable', 'the store cannot be reached; the node is reconnecting with backoff', String((ctx.store.health.lastError as Error | undefined)?.message ?? ''));
    }
    try {
      await sql`select 1`.execute(ctx.store.db);
    } catch (error) {
      if (isStoreUnavailable(error)) ctx.store.health.lost(error);
      throw notReady('store unreachable', 'the store does not answer', (error as Error).message);
    }
    return { status: 'ready', store: ctx.store.dialect };
  });
  app.get('/metrics', { config: { permission: 'public' }, logLevel: 'warn' }, async (_request, reply) =>
    reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
  );
  const dashboard = readFileSync(DASHBOARD, 'utf8');
  app.get('/', { config: { permission: 'public' } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
      .send(dashboard),
  );

  await app.register(intelRoutes(ctx));
  await app.register(directoryRoutes(ctx));
  await app.register(taxiiRoutes(ctx), { prefix: '/taxii2' });
  const detection = new Detection(ctx);
  observeGauge(ctx.metrics, 'shieldwall_detect_indicators', 'Indicators in the detection index (0 until it is built).', () => detection.status().indicators);
  await app.register(detectRoutes(ctx, detection));
  await app.register(warningListRoutes(ctx));
  const federation = new FederationScheduler(ctx);
  await app.register(federationRoutes(ctx, () => void federation.refresh().catch((error) => ctx.logger.error({ err: error }, 'reading the peers failed'))));

  return { app, ctx, routes, federation, detection, setReady: (value) => (ready = value) };
}
