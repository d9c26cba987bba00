/** The warninglists module's definition (core/module.ts; docs/MODULES.md). */
import { defineModule } from '../../core/module.js';

export const warninglistsModule = defineModule({
  name: 'warninglists',
  summary: "warning lists: known-good values that suppress detection matches",
  permissions: [
    {
      name: 'warninglist:read',
      description: "read warning lists and what they suppressed",
      roles: ['analyst', 'incident-handler', 'coordinator', 'member-admin', 'node-admin', 'auditor'],
    },
    {
      name: 'warninglist:write',
      description: "create, change and delete warning lists",
      roles: ['analyst', 'incident-handler', 'coordinator', 'member-admin', 'node-admin'],
    },
  ],
  migrations: [
    { name: '0001_entry_sets', load: () => import('./migrations/0001_entry_sets.js') },
    { name: '0002_entry_bytes', load: () => import('./migrations/0002_entry_bytes.js') },
  ],
  commands: [
    {
      name: 'warninglists',
      term: 'warninglists',
      description: 'warning lists: values (known-good resolvers, popular domains, own address ranges) that suppress detection matches',
      load: async () => (await import('../../cli/warninglists.js')).registerWarningLists,
    },
  ],
  server: async () => (await import('./warninglists.server.js')).warninglistsServer,
});
