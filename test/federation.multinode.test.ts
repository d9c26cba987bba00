/**
 * Five nodes on loopback, each its own process and SQLite file, mutual TLS between them with
 * certificates from `shieldwall pki`: hub-and-spoke, then a mesh. Objects with varied markings
 * are published on different nodes; each must reach exactly the nodes whose members may read
 * it, a node killed and restarted catches up, a revocation propagates, and no version is stored
 * twice.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import type { StixObject } from '../src/stix/types.js';
import { indicator } from './support/factories.js';
import { FederationHarness, identityOf, NODES } from './support/federation.js';
import { SUITE_LIMIT_MS, until } from './support/wait.js';

function marking(classification: string, releasableTo: string[]): StixObject {
  return handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created: '2024-01-01T00:00:00.000Z', classification, releasableTo });
}

/** What is published where, and which nodes may hold it (origin included). */
function scenario(): Array<{ on: string; objects: StixObject[]; id: string; expected: string[] }> {
  const by = (member: string, overrides: Partial<StixObject>) => indicator({ created_by_ref: identityOf(member), ...overrides });
  const deuFra = marking('UNCLASSIFIED', ['DEU', 'FRA']);
  const deuOnly = marking('UNCLASSIFIED', ['DEU']);
  const secret = marking('SECRET', ['ALLIANCE']);
  const industry = marking('UNCLASSIFIED', ['INDUSTRY']);
  const wide = marking('UNCLASSIFIED', ['ALLIANCE', 'INDUSTRY']);
  const polOnly = marking('UNCLASSIFIED', ['POL']);
  const rows: Array<{ on: string; extra: StixObject[]; object: StixObject; expected: string[] }> = [
    { on: 'deu', extra: [], object: by('DEU', { name: 'green, alliance by default', object_marking_refs: [TLP2_MARKING_IDS.green] }), expected: ['deu', 'hub', 'fra', 'pol'] },
    { on: 'deu', extra: [], object: by('DEU', { name: 'clear', object_marking_refs: [TLP2_MARKING_IDS.clear] }), expected: ['deu', 'hub', 'fra', 'pol', 'ind'] },
    { on: 'deu', extra: [deuFra], object: by('DEU', { name: 'amber to DEU and FRA', object_marking_refs: [TLP2_MARKING_IDS.amber, deuFra.id] }), expected: ['deu', 'hub', 'fra'] },
    { on: 'deu', extra: [deuOnly], object: by('DEU', { name: 'amber+strict', object_marking_refs: [TLP2_MARKING_IDS['amber+strict'], deuOnly.id] }), expected: ['deu'] },
    { on: 'deu', extra: [], object: by('DEU', { name: 'red', object_marking_refs: [TLP2_MARKING_IDS.red, deuOnly.id] }), expected: ['deu'] },
    { on: 'fra', extra: [secret], object: by('FRA', { name: 'secret', object_marking_refs: [secret.id] }), expected: ['fra', 'hub'] },
    { on: 'hub', extra: [industry], object: by('NCIRC', { name: 'for industry', object_marking_refs: [TLP2_MARKING_IDS.green, industry.id] }), expected: ['hub', 'ind'] },
    { on: 'ind', extra: [wide], object: by('IND', { name: 'from industry to all', object_marking_refs: [TLP2_MARKING_IDS.green, wide.id] }), expected: ['ind', 'hub', 'deu', 'fra', 'pol'] },
    { on: 'pol', extra: [polOnly], object: by('POL', { name: 'pol only', object_marking_refs: [TLP2_MARKING_IDS.amber, polOnly.id] }), expected: ['pol', 'hub'] },
  ];
  return rows.map((r) => ({ on: r.on, objects: [...r.extra, r.object], id: r.object.id, expected: r.expected }));
}

/** Waits until `problem` says nothing is missing; on failure, what the nodes last said. */
function eventually(federation: FederationHarness, what: string, problem: () => string | undefined): Promise<void> {
  return until(what, problem, { context: () => federation.lastLogLines() });
}

/** Undefined when every node holds exactly its expected objects, and no node any version twice. */
function placementProblem(federation: FederationHarness, rows: Array<{ id: string; expected: string[]; versions?: number }>): string | undefined {
  for (const spec of NODES) {
    const stored = federation.stored(spec.name);
    for (const [id, versions] of stored) if (new Set(versions).size !== versions.length) return `${spec.name} holds a version of ${id} twice`;
    for (const row of rows) {
      const versions = stored.get(row.id) ?? [];
      const want = row.expected.includes(spec.name) ? (row.versions ?? 1) : 0;
      if (versions.length !== want) return `${spec.name} holds ${versions.length} version(s) of ${row.id}, expected ${want}`;
    }
  }
  return undefined;
}

for (const topology of ['hub-and-spoke', 'mesh'] as const) {
  // Each test publishes what it checks: either runs alone (--test-name-pattern) or in any order.
  describe(`five federated nodes: ${topology}`, { timeout: SUITE_LIMIT_MS }, () => {
    const federation = new FederationHarness();

    before(async () => {
      await federation.start();
      if (topology === 'hub-and-spoke') {
        for (const spoke of NODES.filter((n) => n.name !== 'hub')) {
          await federation.link('hub', spoke.name, 'push');
          await federation.link(spoke.name, 'hub', 'both');
        }
      } else {
        for (const from of NODES) for (const to of NODES) if (from.name !== to.name) await federation.link(from.name, to.name, 'both');
      }
    });
    after(async () => {
      await federation.stop();
    });

    it('delivers each object to exactly the nodes whose members may read it, once', async () => {
      const rows = scenario();
      for (const row of rows) await federation.publish(row.on, row.objects);
      await eventually(federation, 'placement', () => placementProblem(federation, rows));
      // Nothing more arrives later: every peer of every node completes a whole sync round.
      await federation.syncRound();
      assert.equal(placementProblem(federation, rows), undefined);
    });

    it('lets a node killed and restarted catch up, and propagates a revocation', async () => {
      const original = indicator({ created_by_ref: identityOf('DEU'), name: 'clear, to be revoked', object_marking_refs: [TLP2_MARKING_IDS.clear] });
      const everywhere = NODES.map((n) => n.name);
      await federation.publish('deu', [original]);
      await eventually(federation, 'the clear object everywhere', () => placementProblem(federation, [{ id: original.id, expected: everywhere }]));
      await federation.kill('fra');
      const late = indicator({ created_by_ref: identityOf('DEU'), name: 'while FRA was down', object_marking_refs: [TLP2_MARKING_IDS.green] });
      await federation.publish('deu', [late]);
      await federation.publish('deu', [{ ...original, modified: '2025-01-01T00:00:00.000Z', revoked: true }]);
      // While FRA is down, everyone else has both; FRA has neither.
      await eventually(federation, 'the others, with FRA down', () => {
        for (const name of ['deu', 'hub', 'pol']) {
          if (!federation.stored(name).has(late.id)) return `${name} lacks the late object`;
          if ((federation.stored(name).get(original.id) ?? []).length !== 2) return `${name} lacks the revocation`;
        }
        return undefined;
      });
      assert.equal(federation.stored('fra').has(late.id), false);
      assert.equal((federation.stored('fra').get(original.id) ?? []).length, 1);
      await federation.restart('fra');
      await eventually(federation, 'FRA catching up', () =>
        placementProblem(federation, [
          { id: late.id, expected: ['deu', 'hub', 'fra', 'pol'] },
          { id: original.id, expected: everywhere, versions: 2 },
        ]),
      );
      const fra = federation.nodes.get('fra')!;
      const revoked = (await federation.call(fra, 'GET', `/api/v1/objects/${original.id}`, undefined, fra.userToken)) as { revoked?: boolean };
      assert.equal(revoked.revoked, true);
    });
  });
}
