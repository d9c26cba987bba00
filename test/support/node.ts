/** Builds a node on a test store, with a token per role, for app.inject() tests. */
import { buildApp, type Node } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { DialectName } from '../../src/db/database.js';
import { createToken } from '../../src/modules/directory/directory.service.js';
import { SYSTEM_PRINCIPAL, type Role } from '../../src/policy/principal.js';
import { createTestStore, type TestStore } from './dialects.js';

export interface TestNode extends Node {
  testStore: TestStore;
  tokens: Record<Role, string>;
  close(): Promise<void>;
}

export async function createTestNode(dialect: DialectName, overrides: Partial<Config> = {}): Promise<TestNode> {
  const testStore = await createTestStore(dialect);
  const config = loadConfig({}, { databaseUrl: testStore.url, demo: false, logLevel: 'silent', ...overrides });
  const node = await buildApp({ config, store: testStore.store, logger: false });
  node.setReady(true);
  const tokens = {} as Record<Role, string>;
  for (const role of ['node-admin', 'analyst', 'auditor'] as const) {
    tokens[role] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: `test-${role}`, role })).token;
  }
  return {
    ...node,
    testStore,
    tokens,
    close: async () => {
      await node.app.close();
      await testStore.cleanup();
    },
  };
}
