/** The directory module's definition (core/module.ts; docs/MODULES.md). */
import { defineModule } from '../../core/module.js';

export const directoryModule = defineModule({
  name: 'directory',
  summary: "members, users, roles and clearances, API tokens, sessions, credential requests, authentication",
  permissions: [
    {
      name: 'directory:read',
      description: "read members, groups, users and points of contact",
      roles: ['analyst', 'incident-handler', 'coordinator', 'political-delegate', 'member-admin', 'node-admin', 'auditor'],
    },
    {
      name: 'directory:write',
      description: "create and change members, users, tokens and groups (within what the actor may grant)",
      roles: ['member-admin', 'node-admin'],
    },
  ],
  migrations: [
    { name: '0001_visits', load: () => import('./migrations/0001_visits.js') },
    { name: '0002_user_indexes', load: () => import('./migrations/0002_user_indexes.js') },
    { name: '0003_listing_indexes', load: () => import('./migrations/0003_listing_indexes.js') },
    { name: '0004_peer_approval', load: () => import('./migrations/0004_peer_approval.js') },
  ],
  commands: [
    {
      name: 'members',
      term: 'members',
      description: 'members of the node: list, add, update, group',
      load: async () => (await import('../../cli/directory.js')).registerDirectory,
    },
    {
      name: 'users',
      term: 'users',
      description: 'users of the node: list, create',
      load: async () => (await import('../../cli/directory.js')).registerDirectory,
    },
    {
      name: 'tokens',
      term: 'tokens',
      description: 'API tokens: create, list, revoke',
      load: async () => (await import('../../cli/tokens.js')).registerTokens,
    },
    {
      name: 'credentials',
      term: 'credentials',
      description: "node administrators' tokens and passwords for users beyond their reach, waiting for a second person: list, approve, decline",
      load: async () => (await import('../../cli/credentials.js')).registerCredentials,
    },
  ],
  server: async () => (await import('./directory.server.js')).directoryServer,
});
