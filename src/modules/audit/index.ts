/** The audit module's definition (core/module.ts; docs/MODULES.md). */
import { defineModule } from '../../core/module.js';

export const auditModule = defineModule({
  name: 'audit',
  summary: "the hash-chained, MAC-ed audit log: records, refusals, checkpoints, verification",
  permissions: [
    {
      name: 'audit:read',
      description: "read and export the audit log",
      roles: ['auditor'],
    },
  ],
  commands: [
    {
      name: 'audit',
      term: 'audit',
      description: 'the hash-chained, MAC-ed audit log: verify, export, checkpoints',
      load: async () => (await import('../../cli/audit.js')).registerAudit,
    },
  ],
  server: async () => (await import('./audit.server.js')).auditServer,
});
