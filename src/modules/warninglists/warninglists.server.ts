/** The warninglists module inside a running node: its routes. */
import type { ModuleServer } from '../../core/module.js';
import { warningListRoutes } from './warninglist.routes.js';

export const warninglistsServer: ModuleServer<void> = {
  create: () => undefined,
  routes: (ctx) => warningListRoutes(ctx),
};
