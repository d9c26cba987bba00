/** The intel module inside a running node: its routes, and what it finishes as the node starts. */
import type { ModuleServer } from '../../core/module.js';
import { resolveLeftWaiting } from './intel.ingest.js';
import { intelRoutes } from './intel.routes.js';

export const intelServer: ModuleServer<void> = {
  create: () => undefined,
  routes: (ctx) => async (fastify) => {
    await fastify.register(intelRoutes(ctx));
    // Versions still waiting for definitions the node holds (a writer stopped before it moved
    // them all): moved in the background, other writers taking turns between its transactions.
    fastify.addHook('onReady', async () => {
      void resolveLeftWaiting(ctx)
        .then((moved) => {
          if (moved > 0) ctx.logger.info({ moved }, 'intel: moved the versions left waiting for marking-definitions the node holds');
        })
        .catch((error: unknown) => ctx.logger.warn({ err: error }, 'intel: could not move the versions left waiting for marking-definitions'));
    });
  },
};
