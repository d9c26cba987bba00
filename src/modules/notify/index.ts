/** The notify module's definition (core/module.ts; docs/MODULES.md, docs/NOTIFICATIONS.md). */
import { defineModule } from '../../core/module.js';

export const notifyModule = defineModule({
  name: 'notify',
  summary: 'notifications of incidents and of mutual assistance to the users entitled to know: subscriptions, webhooks and e-mail, with a delivery log',
  // Managing one's own subscriptions takes incidents:read, which the incidents module declares;
  // hearing of mutual assistance takes assistance:read, which the assistance module declares.
  permissions: [],
  migrations: [
    { name: '0001_notify', load: () => import('./migrations/0001_notify.js') },
    { name: '0002_assistance', load: () => import('./migrations/0002_assistance.js') },
  ],
  server: async () => (await import('./notify.server.js')).notifyServer,
});
