/**
 * Composes the node: configuration, store, shared services and every module of the one list in
 * modules/index.ts (their root plugins, routes, state and subscriptions). Never listens:
 * server.ts does that, and tests drive the app with app.inject().
 */
import type { Socket } from 'node:net';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from './config/config.js';
import { systemClock, type Clock } from './core/clock.js';
import { isApiDateTime } from './core/datetime.js';
import type { AppContext } from './core/context.js';
import { EventBus } from './core/events.js';
import { NodeState } from './core/state.js';
import { clientErrorReply, errorReply, jsonBodyParser, refuseNulInQuery, serializableSchema } from './core/http.js';
import { JobScheduler } from './core/jobs.js';
import type { ModuleDefinition, ModuleServer, NodeHooks } from './core/module.js';
import { isStoreUnavailable } from './core/store-errors.js';
import { RequestLog, serverLogger, type Logger } from './core/logger.js';
import { createMetrics, observeStoreCheckpoints, observeStorePool } from './core/metrics.js';
import type { Store } from './db/database.js';
import type { Detection } from './modules/detect/detect.service.js';
import type { FederationScheduler } from './modules/federation/federation.scheduler.js';
import { detectModule } from './modules/detect/index.js';
import { federationModule } from './modules/federation/index.js';
import { MODULES, PERMISSIONS, permissionTableOf } from './modules/index.js';
import type { PermissionTable } from './policy/permissions.js';

export interface BuildOptions {
  config: Config;
  store: Store;
  clock?: Clock;
  /** JSON logs at the configured level unless false (tests). */
  logger?: false;
  /** Serve HTTPS with these PEM contents; with ca, client certificates are requested. */
  https?: { cert: string; key: string; ca?: string };
  /** The node's modules: MODULES (src/modules/index.ts) unless given (tests of the contract). */
  modules?: readonly ModuleDefinition<unknown>[];
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
  /** The durable jobs of the modules (ModuleServer.jobs): started by the server, stopped at close. */
  jobs: JobScheduler;
  /** A module's state in this node (what its server part's create returned). */
  instanceOf<Instance>(module: ModuleDefinition<Instance>): Instance;
}

/** The shared services of a node, also used by CLI commands that work on the store directly. */
export function createContext(options: { config: Config; store: Store; logger: Logger; clock?: Clock; permissions?: PermissionTable }): AppContext {
  const ctx: AppContext = Object.freeze({
    config: options.config,
    store: options.store,
    bus: new EventBus(),
    logger: options.logger,
    clock: options.clock ?? systemClock,
    metrics: createMetrics(),
    permissions: options.permissions ?? PERMISSIONS,
    state: new NodeState(() => ctx),
  });
  return ctx;
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

/** How often the node's scheduler reads the store for jobs another process made due (ms). */
const JOB_POLL_MS = 1000;
/** A run's lease, renewed while it lasts: a crashed process's runs go to another after this. */
const JOB_LEASE_MS = 30_000;

/**
 * Closes a connection once nothing has arrived over it and nothing of its answer has been taken
 * for SHIELDWALL_HTTP_IDLE_MS (Node's socket timeout, set through Fastify's connectionTimeout).
 * The request's stream fails with it, so whatever it held is freed: a bulk match's turn, an
 * ingest thread, its member's place among requests in progress.
 */
function closeIdleConnections(app: FastifyInstance, ctx: AppContext): void {
  app.server.on('timeout', (socket: Socket) => {
    // Only a connection with an answer in progress is counted and logged (a kept-alive one between
    // two requests is simply closed). Node's server holds that answer on the socket while it runs;
    // read here rather than tracked per request, which cost the busiest routes a few percent.
    if ((socket as Socket & { _httpMessage?: unknown })._httpMessage) {
      ctx.metrics.httpIdleClosed.inc();
      ctx.logger.info({ remote: socket.remoteAddress, idle_ms: ctx.config.httpIdleMs }, 'connection closed: nothing arrived and nothing of the answer was taken for SHIELDWALL_HTTP_IDLE_MS');
    }
    socket.destroy();
  });
}

export async function buildApp(options: BuildOptions): Promise<Node> {
  const app = Fastify({
    ...(options.logger === false ? { logger: false } : { loggerInstance: serverLogger(options.config.logLevel), logController: new RequestLog() }),
    // The bulk routes set their own limits; a JSON body is parsed whole on this thread.
    bodyLimit: options.config.jsonBodyLimitBytes,
    // A connection idle both ways (nothing arrives, nothing of its answer is taken) is closed, and
    // what its request held is freed (below): a client cannot hold a turn by stopping half way.
    connectionTimeout: options.config.httpIdleMs,
    genReqId: () => crypto.randomUUID(),
    // 'date-time' as the API means it: a time the routes can compute with (core/datetime.ts).
    // Set once the validator's own formats are in (onCreate): a plugin's would be replaced by them.
    ajv: { onCreate: (ajv) => void ajv.addFormat('date-time', { type: 'string', validate: isApiDateTime }) },
    // A URL or headers over Node's limit (431) and unparseable requests answer in the envelope.
    clientErrorHandler: clientErrorReply,
    // Client certificates are asked for, not required: tokens and sign-in still work over HTTPS,
    // and a presented certificate that does not verify is refused below.
    ...(options.https ? { https: { cert: options.https.cert, key: options.https.key, ...(options.https.ca ? { ca: options.https.ca, requestCert: true, rejectUnauthorized: false } : {}) } } : {}),
  }) as unknown as FastifyInstance;
  const modules = options.modules ?? MODULES;
  const permissions = options.modules ? permissionTableOf(modules) : PERMISSIONS;
  const ctx = createContext({ config: options.config, store: options.store, logger: app.log, permissions, ...(options.clock ? { clock: options.clock } : {}) });
  let ready = false;
  const routes: Array<{ method: string; url: string; permission: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, permission: String(route.config?.permission) });
    // Unions the serializer would settle with a validator compiled on the first answer.
    if (route.schema?.response !== undefined) route.schema = { ...route.schema, response: serializableSchema(route.schema.response) };
  });

  app.setErrorHandler((error, request, reply) => {
    if (isStoreUnavailable(error)) ctx.store.health.lost(error);
    return errorReply(error, request, reply);
  });
  watchStoreHealth(ctx);
  closeIdleConnections(app, ctx);
  if (ctx.store.adapter.pool) observeStorePool(ctx.metrics, ctx.store.adapter.pool);
  if (ctx.store.checkpoints) observeStoreCheckpoints(ctx.metrics, ctx.store.checkpoints);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'SW_NOT_FOUND', message: `no route ${request.method} ${request.url}; the API is under /api/v1`, request_id: String(request.id) } }),
  );
  await app.register(cookie);
  // No answer is for a cache to keep: they carry intel and who may read it, and after a
  // sign-out neither the back button nor a shared cache may show them again.
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.addHook('preValidation', async (request) => refuseNulInQuery(request));
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: options.config.jsonBodyLimitBytes }, jsonBodyParser);

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
  // Each module's part in the node: state first (routes and root plugins may use any module's),
  // then root plugins (authentication) before every route, then routes in the list's order.
  const jobs = new JobScheduler(ctx, { pollMs: JOB_POLL_MS, leaseMs: JOB_LEASE_MS });
  const hooks: NodeHooks = { isReady: () => ready, routes, clientCertificates: Boolean(options.https?.ca), jobs };
  const servers: Array<{ definition: ModuleDefinition<unknown>; server: ModuleServer<unknown>; instance: unknown }> = [];
  for (const definition of modules) {
    if (!definition.server) continue;
    const server = await definition.server();
    servers.push({ definition, server, instance: server.create(ctx, hooks) });
  }
  // Unencapsulated (fastify-plugin): their hooks and decorations reach every module's routes.
  for (const { server, instance } of servers) if (server.root) await app.register(fp(server.root(ctx, instance, hooks)));
  for (const { definition, server, instance } of servers) {
    for (const job of server.jobs?.(ctx, instance) ?? []) {
      if (!job.kind.startsWith(`${definition.name}.`)) throw new Error(`module '${definition.name}' names a job kind '${job.kind}': kinds are named ${definition.name}.<purpose>`);
      jobs.register(job.kind, job.handler, job.options);
    }
    if (server.routes) await app.register(server.routes(ctx, instance, hooks), server.prefix ? { prefix: server.prefix } : {});
    const handlers = server.events?.(ctx, instance) ?? {};
    for (const [name, handler] of Object.entries(handlers)) {
      const unsubscribe = ctx.bus.subscribe(name as keyof typeof handlers, handler as (payload: unknown) => void);
      app.addHook('onClose', async () => unsubscribe());
    }
  }
  // Counted refusals and the last checkpoint are written before the store is closed.
  app.addHook('onClose', async () => {
    await jobs.stop();
    for (const { server, instance } of servers) await server.close?.(ctx, instance);
    await ctx.state.dispose();
  });
  const instances = new Map(servers.map((s) => [s.definition, s.instance]));
  const instanceOf = <Instance>(module: ModuleDefinition<Instance>): Instance => {
    if (!instances.has(module as ModuleDefinition<unknown>)) throw new Error(`module '${module.name}' has no state in this node`);
    return instances.get(module as ModuleDefinition<unknown>) as Instance;
  };

  return {
    app,
    ctx,
    routes,
    get federation() {
      return instanceOf(federationModule) as FederationScheduler;
    },
    get detection() {
      return instanceOf(detectModule) as Detection;
    },
    jobs,
    instanceOf,
    setReady: (value) => (ready = value),
  };
}
