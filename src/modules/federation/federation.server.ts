/** The federation module inside a running node: the sync scheduler (one per node) and its routes. */
import type { ModuleServer } from '../../core/module.js';
import { federationRoutes } from './federation.routes.js';
import { FederationScheduler } from './federation.scheduler.js';

export const federationServer: ModuleServer<FederationScheduler> = {
  create: (ctx) => new FederationScheduler(ctx),
  routes: (ctx, federation) => federationRoutes(ctx, () => void federation.refresh().catch((error: unknown) => ctx.logger.error({ err: error }, 'reading the peers failed'))),
};
