/** The intel module's definition (core/module.ts; docs/MODULES.md). */
import { defineModule } from '../../core/module.js';

export const intelModule = defineModule({
  name: 'intel',
  summary: "the STIX 2.1 object store: ingest pipeline, versions, need-to-know reads, search, export, deletion",
  permissions: [
    {
      name: 'intel:read',
      description: "ask for intelligence (each answer holds only what the need-to-know rule lets the user read)",
      roles: ['analyst', 'incident-handler', 'coordinator', 'political-delegate', 'member-admin', 'node-admin', 'auditor'],
    },
    {
      name: 'intel:write',
      description: "add, version, revoke and delete intelligence (of the own member) and report sightings",
      roles: ['analyst', 'incident-handler', 'coordinator', 'node-admin'],
    },
  ],
  commands: [
    {
      name: 'ingest',
      term: 'ingest [options] <file>',
      description: 'ingest a STIX bundle, JSON array or NDJSON file (- for standard input), streamed',
      load: async () => (await import('../../cli/ingest.js')).registerIngest,
    },
  ],
  server: async () => (await import('./intel.server.js')).intelServer,
});
