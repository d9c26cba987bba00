/**
 * The node's own endpoints: liveness, readiness, metrics, the OpenAPI document and the dashboard.
 * Open to anyone (permission 'public'): an orchestrator and a browser before sign-in need them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { STORE_RETRY_AFTER_SECONDS } from '../../core/http.js';
import type { NodeHooks } from '../../core/module.js';
import { isStoreUnavailable } from '../../core/store-errors.js';

const DASHBOARD = fileURLToPath(new URL('../../../web/index.html', import.meta.url));

export function nodeRoutes(ctx: AppContext, hooks: NodeHooks): FastifyPluginAsync {
  const dashboard = readFileSync(DASHBOARD, 'utf8');
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
    app.get('/metrics', { config: { permission: 'public' }, logLevel: 'warn' }, async (_request, reply) =>
      reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
    );
    app.get('/', { config: { permission: 'public' } }, async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
        .send(dashboard),
    );
  };
}
