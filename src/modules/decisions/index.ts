/** The decisions module's definition (core/module.ts; docs/MODULES.md; docs/DECISIONS.md). */
import { defineModule } from '../../core/module.js';

export const decisionsModule = defineModule({
  name: 'decisions',
  summary: 'consultation and consensus: consultations, proposals from the response-options catalogue, the silence procedure, decision records, coordinated attribution statements',
  permissions: [
    {
      name: 'decisions:read',
      description: 'read the consultations, proposals, decision records and attribution statements one may know of (need-to-know)',
      roles: ['analyst', 'incident-handler', 'coordinator', 'political-delegate', 'member-admin', 'node-admin', 'auditor'],
    },
    {
      name: 'decisions:participate',
      description: "request consultations, add statements and documents, propose, circulate and amend, break silence, draft, join or decline attribution statements for one's member",
      roles: ['coordinator', 'political-delegate', 'member-admin'],
    },
    {
      name: 'decisions:chair',
      description: 'keep the minutes of, close and reopen consultations one takes part in; as a chair of the convening member, steer its proposals',
      roles: ['coordinator', 'political-delegate'],
    },
  ],
  migrations: [
    { name: '0001_decisions', load: () => import('./migrations/0001_decisions.js') },
    { name: '0002_consultation_heads', load: () => import('./migrations/0002_consultation_heads.js') },
    { name: '0003_proposal_heads', load: () => import('./migrations/0003_proposal_heads.js') },
  ],
  commands: [
    {
      name: 'decisions',
      term: 'decisions',
      description: 'consultation and consensus on a node: consultations, proposals under silence, decision records, attribution statements',
      load: async () => (await import('../../cli/decisions.js')).registerDecisions,
    },
  ],
  server: async () => (await import('./decisions.server.js')).decisionsServer,
});
