/**
 * A node that hears of mutual assistance as the assistance module tells it (assistance.changed on
 * its bus), for the tests of who hears of a change (the live feed, notifications): three allied
 * members (REQUESTER asks, HELPER is released to, THIRD is not), users of them with tokens, and
 * changes of a request made to measure.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buildApp, type Node } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { Clock } from '../../src/core/clock.js';
import { defineModule, type ModuleDefinition } from '../../src/core/module.js';
import type { DialectName } from '../../src/db/database.js';
import type { AssistanceChange } from '../../src/modules/assistance/assistance.model.js';
import { createToken, createUser, upsertMembers } from '../../src/modules/directory/directory.service.js';
import { MODULES, PERMISSIONS } from '../../src/modules/index.js';
import { ROLES, SYSTEM_PRINCIPAL, type Role } from '../../src/policy/principal.js';
import type { RecordAccess } from '../../src/policy/record.js';
import { createTestStore, type TestStore } from './dialects.js';

export const REQUESTER = 'TST';
export const HELPER = 'OTH';
export const THIRD = 'THR';

/**
 * The node's modules with the assistance permissions among them: while the assistance module is
 * not in the node's list, a definition declaring its read permission (as the module grants it)
 * stands in for it.
 */
export function modulesWithAssistance(): readonly ModuleDefinition<unknown>[] {
  if (PERMISSIONS.isKnown('assistance:read')) return MODULES;
  const grants = defineModule({
    name: 'assistance',
    summary: 'the read permission of mutual assistance',
    permissions: [{ name: 'assistance:read', description: 'read the assistance records one may know of', roles: [...ROLES] }],
  });
  return [...MODULES, grants as ModuleDefinition<unknown>];
}

/** A request for assistance of REQUESTER, released to HELPER only. */
export function access(overrides: Partial<RecordAccess> = {}): RecordAccess {
  return { tlp: 'amber', classification: 0, releasability: [HELPER], originMember: REQUESTER, owner: 'tst-handler', recipients: [], ...overrides };
}

/** A change of a new request of REQUESTER (its own id, for an incident of its own), under access(). */
export function assistanceChange(overrides: Partial<AssistanceChange> = {}): AssistanceChange {
  const id = `request--${randomUUID()}`;
  return {
    record: 'request',
    id,
    request_id: id,
    incident_id: `incident--${randomUUID()}`,
    change: 'requested',
    title: 'Forensics for the grid operator',
    status: 'submitted',
    urgency: 'high',
    requesting_member: REQUESTER,
    access: access(),
    modified: '2026-12-03T10:00:00.000Z',
    ...overrides,
  };
}

/** A user of the node: its name, member, clearance and roles. */
export type AssistanceEventUser = readonly [name: string, member: string, clearance: number, roles: readonly Role[]];

export interface AssistanceEventNode {
  testStore: TestStore;
  node: Node;
  /** The address the node listens on (loopback, a free port). */
  base: string;
}

/**
 * Builds a node with the assistance permissions on a test store, listening on loopback; the three
 * members; and each user, its token put in `tokens` (filled in place, so that a client made before
 * the node exists reads them).
 */
export async function startAssistanceNode(
  dialect: DialectName,
  users: readonly AssistanceEventUser[],
  tokens: Record<string, string>,
  options: { config?: Partial<Config>; clock?: Clock } = {},
): Promise<AssistanceEventNode> {
  const testStore = await createTestStore(dialect);
  let node: Node | undefined;
  try {
    const config = loadConfig({}, { dataDir: testStore.dataDir, databaseUrl: testStore.url, demo: false, logLevel: 'silent', ...options.config });
    node = await buildApp({ config, store: testStore.store, logger: false, ...(options.clock ? { clock: options.clock } : {}), modules: modulesWithAssistance() });
    node.setReady(true);
    await node.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(node.app.server.address() as AddressInfo).port}`;
    await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
      { code: REQUESTER, name: 'Stricken member', kind: 'ally', country: null, identityId: `identity--${randomUUID()}` },
      { code: HELPER, name: 'Helping member', kind: 'ally', country: null, identityId: `identity--${randomUUID()}` },
      { code: THIRD, name: 'Third member', kind: 'ally', country: null, identityId: `identity--${randomUUID()}` },
    ]);
    for (const [user, member, clearance, roles] of users) {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: user, member, clearance, roles: [...roles] });
      tokens[user] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: user, user })).token;
    }
    return { testStore, node, base };
  } catch (error) {
    // Nothing of a node that did not start is left behind.
    await node?.app.close();
    await testStore.cleanup();
    throw error;
  }
}
