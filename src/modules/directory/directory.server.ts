/** The directory module inside a running node: authentication for every route, and its own routes. */
import type { ModuleServer } from '../../core/module.js';
import { authentication } from './directory.auth.js';
import { directoryRoutes } from './directory.routes.js';

export const directoryServer: ModuleServer<void> = {
  create: () => undefined,
  root: (ctx, _instance, hooks) => authentication(ctx, { clientCertificates: hooks.clientCertificates }),
  routes: (ctx) => directoryRoutes(ctx),
};
