/** The assessment module's definition (core/module.ts; docs/MODULES.md; docs/ASSESSMENT.md). */
import { defineModule } from '../../core/module.js';

export const assessmentModule = defineModule({
  name: 'assessment',
  summary: 'cumulative assessment per actor or campaign: a transparent score over rolling windows, escalation thresholds, assessors\' Schmitt-factor inputs',
  permissions: [
    {
      name: 'assessment:read',
      description: "read actors' cumulative assessments over the evidence one may read, and the assessors' inputs one may know of",
      roles: ['analyst', 'incident-handler', 'coordinator', 'political-delegate', 'member-admin', 'node-admin', 'auditor'],
    },
    {
      name: 'assessment:assess',
      description: "rate the Schmitt factors of an actor with a rationale, for one's member",
      roles: ['analyst', 'coordinator', 'political-delegate'],
    },
  ],
  migrations: [{ name: '0001_assessment', load: () => import('./migrations/0001_assessment.js') }],
  commands: [
    {
      name: 'assessment',
      term: 'assessment',
      description: 'cumulative assessment per actor on a node: scores, working, Schmitt-factor inputs',
      load: async () => (await import('../../cli/assessment.js')).registerAssessment,
    },
  ],
  server: async () => (await import('./assessment.server.js')).assessmentServer,
});
