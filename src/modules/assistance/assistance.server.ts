/** The assistance module inside a running node: its routes (requests, offers, deployments, rosters) and the response clocks' jobs. */
import type { ModuleServer } from '../../core/module.js';
import './assistance.events.js';
import { assistanceRoutes } from './assistance.routes.js';
import * as service from './assistance.service.js';
import { rosterRoutes } from './roster.routes.js';

function clockPayload(payload: unknown): { request: string; milestone: 'approval' | 'first_offer' | 'deployment' } | undefined {
  const p = payload as { request?: unknown; milestone?: unknown } | null;
  if (!p || typeof p.request !== 'string' || !['approval', 'first_offer', 'deployment'].includes(String(p.milestone))) return undefined;
  return { request: p.request, milestone: p.milestone as 'approval' | 'first_offer' | 'deployment' };
}

export const assistanceServer: ModuleServer<undefined> = {
  create: (ctx, hooks) => {
    service.useScheduler(ctx, hooks.jobs);
    return undefined;
  },
  routes: (ctx) => async (fastify) => {
    await fastify.register(assistanceRoutes(ctx));
    await fastify.register(rosterRoutes(ctx));
    // Requests made while no node ran (a command line on the store) are timed as well.
    fastify.addHook('onReady', async () => {
      await service.scheduleOpenClocks(ctx);
    });
  },
  jobs: (ctx) => [
    {
      kind: service.CLOCK_KIND,
      handler: async (payload) => {
        const clock = clockPayload(payload);
        if (!clock) {
          ctx.logger.warn({ payload }, 'assistance: a clock job without a request and milestone was dropped');
          return undefined;
        }
        return service.checkClock(ctx, clock.request, clock.milestone);
      },
      options: { maxAttempts: null },
    },
  ],
};
