/** The node module's definition (core/module.ts; docs/MODULES.md). */
import { defineModule } from '../../core/module.js';

export const nodeModule = defineModule({
  name: 'node',
  summary: "the node's own endpoints (health, readiness, metrics, OpenAPI, dashboard), serving, and the development PKI",
  permissions: [
    {
      name: 'node:read',
      description: "read the node's state: peers and their sync, the detection index, /metrics",
      roles: ['node-admin', 'auditor'],
    },
  ],
  commands: [
    {
      name: 'serve',
      term: 'serve [options]',
      description: 'run the node: HTTP API, dashboard, /healthz, /readyz, /metrics (settings from SHIELDWALL_* variables)',
      load: async () => (await import('../../cli/serve.js')).registerServe,
    },
    {
      name: 'pki',
      term: 'pki',
      description: 'a development PKI for trying mutual TLS: a CA, node and user certificates (not for production)',
      load: async () => (await import('../../cli/pki.js')).registerPki,
    },
  ],
  server: async () => (await import('./node.server.js')).nodeServer,
});
