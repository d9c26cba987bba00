/** The intel module inside a running node: its routes. */
import type { ModuleServer } from '../../core/module.js';
import { intelRoutes } from './intel.routes.js';

export const intelServer: ModuleServer<void> = {
  create: () => undefined,
  routes: (ctx) => intelRoutes(ctx),
};
