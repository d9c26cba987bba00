/** The taxii module inside a running node: the TAXII 2.1 server under /taxii2. */
import type { ModuleServer } from '../../core/module.js';
import { taxiiRoutes } from './taxii.routes.js';

export const taxiiServer: ModuleServer<void> = {
  create: () => undefined,
  routes: (ctx) => taxiiRoutes(ctx),
  prefix: '/taxii2',
};
