/**
 * The node's own endpoints: liveness, readiness, metrics, the OpenAPI document and the web
 * application (dist/web/, built from web/ by npm run build). Open to anyone (permission
 * 'public'): an orchestrator and a browser before sign-in need them; the application holds no
 * data of its own, everything it shows comes through the API after sign-in.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { STORE_RETRY_AFTER_SECONDS } from '../../core/http.js';
import type { NodeHooks } from '../../core/module.js';
import { isStoreUnavailable } from '../../core/store-errors.js';

/** The built web application (the same folder from src/ and from dist/: both sit at the repository's root). */
const WEB_APP = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/**
 * Everything the page loads comes from this node: no other host, no inline script. Styles set
 * by the application's code (CSSOM) are not inline styles to the policy.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

interface WebApp {
  index: string;
  assets: Map<string, { type: string; body: Buffer }>;
}

/** The built application, read once: a few hundred kilobytes. Undefined when not built. */
function loadWebApp(): WebApp | undefined {
  try {
    const index = readFileSync(path.join(WEB_APP, 'index.html'), 'utf8');
    const assets = new Map<string, { type: string; body: Buffer }>();
    for (const name of readdirSync(path.join(WEB_APP, 'assets'))) {
      const type = TYPES[path.extname(name)];
      if (type) assets.set(name, { type, body: readFileSync(path.join(WEB_APP, 'assets', name)) });
    }
    return { index, assets };
  } catch {
    return undefined;
  }
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shieldwall</title></head><body><main><h1>Shieldwall</h1><p>The web application is not built: run <code>npm run build</code> (it needs the development dependencies: <code>npm install</code>), then restart the node. The API answers meanwhile.</p></main></body></html>`;

export function nodeRoutes(ctx: AppContext, hooks: NodeHooks): FastifyPluginAsync {
  const web = loadWebApp();
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.get('/openapi.json', { config: { permission: 'public' }, schema: { hide: true } }, async () => app.swagger());

    app.get('/healthz', { config: { permission: 'public' }, logLevel: 'warn' }, async () => ({ status: 'ok' }));
    // Not ready answers in the error envelope (SW_NOT_READY), with what is wrong in details.status.
    app.get('/readyz', { config: { permission: 'public' }, logLevel: 'warn' }, async (_request, reply) => {
      const notReady = (status: string, message: string, detail?: string) => {
        reply.header('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
        return shieldwallError('NOT_READY', message, { status, store: ctx.store.dialect, ...(detail ? { detail } : {}) });
      };
      if (!hooks.isReady()) throw notReady('not ready', 'the node is starting or shutting down');
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
    // What the node does (ingests by outcome, refusals, jobs by kind, peers by name) is not for
    // anyone: an operator's scraper presents a token of a node administrator or an auditor.
    app.get('/metrics', { config: { permission: 'node:read' }, logLevel: 'warn' }, async (_request, reply) =>
      reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
    );
    app.get('/', { config: { permission: 'public' }, logLevel: 'warn' }, async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('Content-Security-Policy', WEB_CSP)
        .header('Cache-Control', 'no-cache')
        .header('X-Content-Type-Options', 'nosniff')
        .header('Referrer-Policy', 'no-referrer')
        .send(web?.index ?? NOT_BUILT),
    );
    // Assets are named by their content's hash: cached for a year, never stale.
    app.get<{ Params: { name: string } }>('/assets/:name', { config: { permission: 'public' }, logLevel: 'warn', schema: { hide: true } }, async (request, reply) => {
      const asset = web?.assets.get(request.params.name);
      if (!asset) throw shieldwallError('NOT_FOUND', `no asset ${request.params.name}: the page was built by another version of the node; reload it`);
      return reply.type(asset.type).header('Cache-Control', 'public, max-age=31536000, immutable').header('X-Content-Type-Options', 'nosniff').send(asset.body);
    });
  };
}
