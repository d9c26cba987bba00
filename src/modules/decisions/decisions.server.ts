/** The decisions module inside a running node: its routes and the jobs of silence deadlines and statement publications. */
import type { ModuleServer } from '../../core/module.js';
import './decisions.events.js';
import { decisionsRoutes } from './decisions.routes.js';
import * as service from './decisions.service.js';
import * as statements from './statements.service.js';

export const decisionsServer: ModuleServer<undefined> = {
  create: (ctx, hooks) => {
    service.useScheduler(ctx, hooks.jobs);
    return undefined;
  },
  routes: (ctx) => async (fastify) => {
    await fastify.register(decisionsRoutes(ctx));
    // Deadlines set while no node ran (a command line on the store), or that passed while the node was down, are scheduled (or resolved) now.
    fastify.addHook('onReady', async () => {
      await service.scheduleSilences(ctx);
      await statements.schedulePublications(ctx);
    });
  },
  jobs: (ctx) => [
    {
      kind: service.SILENCE_KIND,
      handler: async (payload) => {
        const p = payload as { proposal?: unknown; round?: unknown } | null;
        if (!p || typeof p.proposal !== 'string' || !Number.isInteger(p.round)) {
          ctx.logger.warn({ payload }, 'decisions: a silence job without a proposal and round was dropped');
          return undefined;
        }
        return service.resolveSilence(ctx, p.proposal, p.round as number);
      },
      options: { maxAttempts: null },
    },
    {
      kind: statements.PUBLISH_KIND,
      handler: async (payload) => {
        const p = payload as { statement?: unknown } | null;
        if (!p || typeof p.statement !== 'string') {
          ctx.logger.warn({ payload }, 'decisions: a publication job without a statement was dropped');
          return undefined;
        }
        return statements.publishStatement(ctx, p.statement);
      },
      options: { maxAttempts: null },
    },
  ],
};
