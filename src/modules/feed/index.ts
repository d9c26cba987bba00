/** The feed module's definition (core/module.ts; docs/MODULES.md). */
import { defineModule } from '../../core/module.js';

export const feedModule = defineModule({
  name: 'feed',
  summary: 'the live feed: new and updated intel, sightings, detection matches and incidents as Server-Sent Events, cut to each reader',
  permissions: [],
  server: async () => (await import('./feed.server.js')).feedServer,
});
