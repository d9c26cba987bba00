/** The incidents module's definition (core/module.ts; docs/MODULES.md; docs/INCIDENTS.md). */
import { defineModule } from '../../core/module.js';

export const incidentsModule = defineModule({
  name: 'incidents',
  summary: 'incident reports: marked, scored, federated as STIX, exported, with a state machine, timeline, tasks and links',
  permissions: [
    {
      name: 'incidents:read',
      description: 'read the incidents one may know of (need-to-know), export them, subscribe to their notifications',
      roles: ['analyst', 'incident-handler', 'coordinator', 'political-delegate', 'member-admin', 'node-admin', 'auditor'],
    },
    {
      name: 'incidents:write',
      description: "report incidents in one's member's name and change those one's member reported (or delegated)",
      roles: ['analyst', 'incident-handler', 'coordinator', 'member-admin'],
    },
  ],
  migrations: [{ name: '0001_incidents', load: () => import('./migrations/0001_incidents.js') }],
  commands: [
    {
      name: 'incidents',
      term: 'incidents',
      description: 'incidents on a node: list, show, report, move, score, note, export',
      load: async () => (await import('../../cli/incidents.js')).registerIncidents,
    },
  ],
  server: async () => (await import('./incidents.server.js')).incidentsServer,
});
