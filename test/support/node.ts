/** Builds a node on a test store, with a token per role, for app.inject() tests. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp, type Node } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { Clock } from '../../src/core/clock.js';
import type { DialectName } from '../../src/db/database.js';
import { createToken, createUser, principalOfUser, upsertMembers } from '../../src/modules/directory/directory.service.js';
import { type Principal, ROLES, SYSTEM_PRINCIPAL, type Role } from '../../src/policy/principal.js';
import { createTestStore, type TestStore } from './dialects.js';

export const TEST_MEMBER = 'TST';
export const TEST_MEMBER_IDENTITY = 'identity--5f0c3a35-0b5c-4b7e-9d0e-8a1c2b3d4e5f';

export interface TestNode extends Node {
  testStore: TestStore;
  tokens: Record<Role, string>;
  /** A second node administrator (of the test member, cleared to the top): the two-person rule's second person. */
  secondAdminToken: string;
  close(): Promise<void>;
}

/** `clock`: what "now" is for the node (default the system's), for tests of windows and expiry. */
export async function createTestNode(dialect: DialectName, overrides: Partial<Config> = {}, https?: { cert: string; key: string; ca?: string }, clock?: Clock): Promise<TestNode> {
  const testStore = await createTestStore(dialect);
  // Node files (audit key and checkpoints, sealing key) of each test node apart from every other's.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shieldwall-node-'));
  const config = loadConfig({}, { dataDir, databaseUrl: testStore.url, demo: false, logLevel: 'silent', ...overrides });
  const node = await buildApp({ config, store: testStore.store, logger: false, ...(https ? { https } : {}), ...(clock ? { clock } : {}) });
  node.setReady(true);
  // One ally member; a user of it per role, cleared to the top of the scheme.
  await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: TEST_MEMBER, name: 'Test member', kind: 'ally', country: null, identityId: TEST_MEMBER_IDENTITY }]);
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: `test-${role}`, member: TEST_MEMBER, clearance: 4, roles: [role] });
    tokens[role] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: `test-${role}`, user: `test-${role}` })).token;
  }
  await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'test-node-admin-2', member: TEST_MEMBER, clearance: 4, roles: ['node-admin'] });
  const secondAdminToken = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'test-node-admin-2', user: 'test-node-admin-2' })).token;
  return {
    ...node,
    testStore,
    tokens,
    secondAdminToken,
    close: async () => {
      await node.app.close();
      await testStore.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A test node of one dialect and the principal of its analyst (of the test member, cleared to the top). */
export async function analystNode(dialect: DialectName = 'sqlite', overrides: Partial<Config> = {}): Promise<{ node: TestNode; analyst: Principal }> {
  const node = await createTestNode(dialect, overrides);
  const analyst = await principalOfUser(node.ctx, 'test-analyst');
  if (!analyst) throw new Error('the test node has no test-analyst');
  return { node, analyst };
}

/**
 * A user of another ally member (made with it, with an identity of its own), cleared to the top of
 * the scheme, with these roles: its token.
 */
export async function otherMemberToken(node: Node, code: string, roles: Role[] = ['analyst']): Promise<string> {
  await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code, name: `Member ${code}`, kind: 'ally', country: null, identityId: `identity--${randomUUID()}` }]);
  const name = `${code.toLowerCase()}-${roles.join('-')}`;
  await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member: code, clearance: 4, roles });
  return (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
}
