/** The node module inside a running node: its own endpoints. */
import type { ModuleServer } from '../../core/module.js';
import { nodeRoutes } from './node.routes.js';

export const nodeServer: ModuleServer<void> = {
  create: () => undefined,
  routes: (ctx, _instance, hooks) => nodeRoutes(ctx, hooks),
};
