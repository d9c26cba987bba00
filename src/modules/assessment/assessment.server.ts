/** The assessment module inside a running node: its routes, and the follower that keeps its view of the store (one keyed job for every process on the store). */
import type { ModuleServer } from '../../core/module.js';
import { assessmentRoutes } from './assessment.routes.js';
import * as facts from './assessment.facts.js';
import * as service from './assessment.service.js';

export const assessmentServer: ModuleServer<undefined> = {
  create: (ctx, hooks) => {
    service.useScheduler(ctx, hooks.jobs);
    // Evidence stored by this process is applied now, not at the follower's next poll.
    const wake = () => void service.followSoon(ctx).catch((error: unknown) => ctx.logger.warn({ err: error }, 'assessment: could not wake the follower'));
    ctx.bus.subscribe('intel.added', wake);
    // What a bulk stream stored is applied once it ends (the follower defers to it meanwhile).
    ctx.bus.subscribe('intel.bulk-ended', wake);
    // What a deleted object added is taken back (deletions are not versions the follower meets).
    ctx.bus.subscribe('intel.deleted', ({ id, type }) => facts.forgetDeleted(ctx, id, type));
    return undefined;
  },
  routes: (ctx) => async (fastify) => {
    await fastify.register(assessmentRoutes(ctx));
    fastify.addHook('onReady', async () => {
      await service.startFollower(ctx);
    });
  },
  jobs: (ctx) => [{ kind: service.FOLLOW_KIND, handler: async () => service.follow(ctx), options: { maxAttempts: null } }],
};
