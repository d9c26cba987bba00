/** The federation module's definition (core/module.ts; docs/MODULES.md). */
import { defineModule } from '../../core/module.js';

export const federationModule = defineModule({
  name: 'federation',
  summary: "federation with peer nodes over TAXII 2.1: pull and push with cursors, retries, provenance",
  permissions: [],
  commands: [
    {
      name: 'peers',
      term: 'peers',
      description: 'peer nodes: list, add, edit, disable, enable, remove, sync, status (federation over TAXII 2.1)',
      load: async () => (await import('../../cli/peers.js')).registerPeers,
    },
  ],
  server: async () => (await import('./federation.server.js')).federationServer,
});
