/** The taxii module's definition (core/module.ts; docs/MODULES.md). */
import { defineModule } from '../../core/module.js';

export const taxiiModule = defineModule({
  name: 'taxii',
  summary: "the TAXII 2.1 server: discovery, API roots, collections, objects, manifests, status",
  permissions: [],
  migrations: [{ name: '0001_status_owner', load: () => import('./migrations/0001_status_owner.js') }],
  commands: [
    {
      name: 'collections',
      term: 'collections',
      description: 'TAXII collections: views of the intelligence by audience',
      load: async () => (await import('../../cli/collections.js')).registerCollections,
    },
  ],
  server: async () => (await import('./taxii.server.js')).taxiiServer,
});
