/** The intel module inside a running node: its routes, and the versions left waiting for definitions it holds. */
import type { AppContext } from '../../core/context.js';
import type { ModuleServer } from '../../core/module.js';
import { resolveLeftWaiting, RESOLVE_LEFT_EVERY_MS } from './intel.ingest.js';
import { intelRoutes } from './intel.routes.js';

/** The node's sweep of versions left waiting (see resolveLeftWaiting). */
interface Sweep {
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  stopped: boolean;
}

/** Runs the sweep unless it runs already; logs what it moved, or why it failed. */
function sweep(ctx: AppContext, state: Sweep): void {
  if (state.running || state.stopped) return;
  state.running = resolveLeftWaiting(ctx, () => state.stopped)
    .then((moved) => {
      if (moved > 0) ctx.logger.info({ moved }, 'intel: moved the versions left waiting for marking-definitions the node holds');
    })
    .catch((error: unknown) => {
      if (!state.stopped) ctx.logger.warn({ err: error }, 'intel: could not move the versions left waiting for marking-definitions');
    })
    .finally(() => (state.running = undefined));
}

export const intelServer: ModuleServer<Sweep> = {
  create: () => ({ timer: undefined, running: undefined, stopped: false }),
  routes: (ctx, state) => async (fastify) => {
    await fastify.register(intelRoutes(ctx));
    // Versions still waiting for definitions the node holds (a writer stopped, or one of its
    // transactions failed, before it moved them all): moved as the node starts and every minute
    // after, other writers taking turns between its transactions.
    fastify.addHook('onReady', async () => {
      if (state.stopped) return;
      sweep(ctx, state);
      state.timer = setInterval(() => sweep(ctx, state), RESOLVE_LEFT_EVERY_MS).unref();
    });
  },
  close: async (_ctx, state) => {
    state.stopped = true;
    clearInterval(state.timer);
    await state.running;
  },
};
