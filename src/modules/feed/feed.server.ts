/** The feed module inside a running node: one Feed (its open streams), the route, and the changes of mutual assistance it passes on. */
import type { ModuleServer } from '../../core/module.js';
import { feedRoutes } from './feed.routes.js';
import { Feed } from './feed.service.js';

export const feedServer: ModuleServer<Feed> = {
  create: (ctx) => new Feed(ctx),
  routes: (ctx, feed) => feedRoutes(ctx, feed),
  events: (_ctx, feed) => ({ 'assistance.changed': (change) => feed.assistanceChanged(change) }),
  close: (_ctx, feed) => feed.close(),
};
