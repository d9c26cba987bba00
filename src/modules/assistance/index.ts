/** The assistance module's definition (core/module.ts; docs/MODULES.md; docs/ASSISTANCE.md). */
import { defineModule } from '../../core/module.js';

export const assistanceModule = defineModule({
  name: 'assistance',
  summary: 'mutual assistance: requests for assistance, coordinator approvals, offers of national assets, deployments, standby rosters, response clocks',
  permissions: [
    {
      name: 'assistance:read',
      description: 'read the requests, offers, deployments and standby teams one may know of (need-to-know), and the response clocks',
      roles: ['analyst', 'incident-handler', 'coordinator', 'political-delegate', 'member-admin', 'node-admin', 'auditor'],
    },
    {
      name: 'assistance:write',
      description: "request assistance for one's member's incidents, decide on offers, offer one's member's assets, report on deployments",
      roles: ['incident-handler', 'coordinator', 'member-admin'],
    },
    {
      name: 'assistance:approve',
      description: 'approve (with conditions) or reject requests for assistance, as a coordinator of a coordinating member',
      roles: ['coordinator'],
    },
    {
      name: 'assistance:roster',
      description: "register and keep one's member's standby teams: capabilities, coverage windows, on-call contacts",
      roles: ['incident-handler', 'coordinator', 'member-admin'],
    },
  ],
  migrations: [
    { name: '0001_assistance', load: () => import('./migrations/0001_assistance.js') },
    { name: '0002_rosters', load: () => import('./migrations/0002_rosters.js') },
  ],
  commands: [
    {
      name: 'assistance',
      term: 'assistance',
      description: 'mutual assistance on a node: requests, approvals, offers, deployments, standby rosters, clocks',
      load: async () => (await import('../../cli/assistance.js')).registerAssistance,
    },
  ],
  server: async () => (await import('./assistance.server.js')).assistanceServer,
});
