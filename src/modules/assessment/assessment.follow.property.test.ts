/**
 * The follower applies a batch of versions as if it applied them one at a time (on both
 * engines). A batch reads what it needs at once (the links of its relationships, the sightings
 * about what they attribute) and writes what it changed at its end; this property checks that
 * those shortcuts never change a result. Each run makes a random history over a few ids: versions
 * of sightings (STIX 2.1 section 5.2) of indicators and of actors, and versions of relationships
 * (section 5.1) from indicators to actors, attributing ('indicates', 'attributed-to') or not
 * ('related-to'), some revoked; the same history is stored on two nodes in the same order. One
 * node's follower applies it one version per batch, the other's in batches of a thousand. The
 * links and sightings each holds as applied, and each actor's assessment as a reader of the
 * alliance sees it, are then the same.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fixedClock } from '../../core/clock.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { addToGroup, createToken, createUser, principalOfUser, upsertMembers } from '../directory/directory.service.js';
import * as intel from '../intel/intel.service.js';
import type { Assessment } from './assessment.model.js';
import { followOnce } from './assessment.facts.js';

const NOW = new Date('2026-11-20T12:00:00.000Z');
const EST_ID = 'identity--0e5b3b7e-1111-4c1a-9c1e-000000000001';
const FRA_ID = 'identity--0e5b3b7e-2222-4c1a-9c1e-000000000002';
const RUNS = 12;
const day = (offset: number) => new Date(NOW.getTime() - offset * 86_400_000).toISOString();

type Step =
  | { kind: 'sighting'; slot: number; of: number; count: number; daysAgo: number; confidence: number; revoked: boolean }
  | { kind: 'link'; slot: number; from: number; to: number; type: 'indicates' | 'attributed-to' | 'related-to'; confidence: number; revoked: boolean; tlp: 'green' | 'amber' };

const INDICATORS = 3;
const ACTORS = 2;
const SLOTS = 4;

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('sighting' as const),
    slot: fc.nat(SLOTS - 1),
    // Below INDICATORS: an indicator; above: an actor sighted directly.
    of: fc.nat(INDICATORS + ACTORS - 1),
    count: fc.integer({ min: 0, max: 40 }),
    daysAgo: fc.integer({ min: 0, max: 20 }),
    confidence: fc.integer({ min: 0, max: 100 }),
    revoked: fc.nat(5).map((n) => n === 0),
  }),
  fc.record({
    kind: fc.constant('link' as const),
    slot: fc.nat(SLOTS - 1),
    from: fc.nat(INDICATORS - 1),
    to: fc.nat(ACTORS - 1),
    type: fc.constantFrom('indicates' as const, 'attributed-to' as const, 'related-to' as const),
    confidence: fc.integer({ min: 0, max: 100 }),
    revoked: fc.nat(4).map((n) => n === 0),
    tlp: fc.constantFrom('green' as const, 'amber' as const),
  }),
);

/** Sightings of the odd slots are FRA's; an object's versions are its creator's only. */
const fraSlot = (slot: number) => slot % 2 === 1;

/** The history of a run as STIX objects, each a new version of its id (modified one second later). */
function history(steps: readonly Step[]): StixObject[] {
  const indicators = Array.from({ length: INDICATORS }, () => `indicator--${randomUUID()}`);
  const actors = Array.from({ length: ACTORS }, () => `intrusion-set--${randomUUID()}`);
  const sightings = Array.from({ length: SLOTS }, () => `sighting--${randomUUID()}`);
  const links = Array.from({ length: SLOTS }, () => `relationship--${randomUUID()}`);
  const created = day(30);
  const objects: StixObject[] = [
    ...actors.map((id, i) => ({ type: 'intrusion-set', spec_version: '2.1', id, created, modified: created, name: `Actor ${i}`, object_marking_refs: [TLP2_MARKING_IDS.clear] })),
    ...indicators.map((id, i) => ({
      type: 'indicator', spec_version: '2.1', id, created, modified: created, created_by_ref: EST_ID, pattern: `[ipv4-addr:value = '198.51.100.${i + 1}']`,
      pattern_type: 'stix', valid_from: created, object_marking_refs: [TLP2_MARKING_IDS.green],
    })),
  ];
  // Once revoked, an id takes no further version (section 3.6: a revoked object is final).
  const revoked = new Set<string>();
  steps.forEach((step, n) => {
    const modified = new Date(NOW.getTime() + (n + 1) * 1000).toISOString();
    if (step.kind === 'sighting') {
      const id = sightings[step.slot]!;
      if (revoked.has(id)) return;
      if (step.revoked) revoked.add(id);
      const of = step.of < INDICATORS ? indicators[step.of]! : actors[step.of - INDICATORS]!;
      const creator = fraSlot(step.slot) ? FRA_ID : EST_ID;
      objects.push({
        type: 'sighting', spec_version: '2.1', id, created, modified, created_by_ref: creator, sighting_of_ref: of, count: step.count,
        first_seen: day(step.daysAgo), where_sighted_refs: [creator], confidence: step.confidence, object_marking_refs: [TLP2_MARKING_IDS.green],
        ...(step.revoked ? { revoked: true } : {}),
      });
    } else {
      const id = links[step.slot]!;
      if (revoked.has(id)) return;
      if (step.revoked) revoked.add(id);
      objects.push({
        type: 'relationship', spec_version: '2.1', id, created, modified, created_by_ref: EST_ID, relationship_type: step.type,
        source_ref: indicators[step.from]!, target_ref: actors[step.to]!, confidence: step.confidence, object_marking_refs: [TLP2_MARKING_IDS[step.tlp]],
        ...(step.revoked ? { revoked: true } : {}),
      });
    }
  });
  return objects;
}

for (const dialect of DIALECTS) {
  describe(`assessment follower, batched as one at a time (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    // Node 0 applies one version per batch, node 1 a thousand.
    const nodes: TestNode[] = [];
    const tokens: string[] = [];
    /** Per node: EST's user, then FRA's. */
    const writers: Array<{ EST: Principal; FRA: Principal }> = [];

    before(async () => {
      for (let i = 0; i < 2; i++) {
        const node = await createTestNode(dialect, {}, undefined, fixedClock(NOW));
        nodes.push(node);
        await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
          { code: 'EST', name: 'Estonia', kind: 'ally', country: 'EE', identityId: EST_ID },
          { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: FRA_ID },
        ]);
        await addToGroup(node.ctx, SYSTEM_PRINCIPAL, 'ALLIANCE', 'Allies', ['EST', 'FRA']);
        await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'eve', member: 'EST', clearance: 2, roles: ['analyst'] });
        await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'fred', member: 'FRA', clearance: 2, roles: ['analyst'] });
        tokens.push((await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'eve', user: 'eve' })).token);
        writers.push({ EST: (await principalOfUser(node.ctx, 'eve'))!, FRA: (await principalOfUser(node.ctx, 'fred'))! });
      }
    });

    after(async () => {
      for (const node of nodes) await node.close();
    });

    async function assessed(i: number, actor: string): Promise<Assessment> {
      const response = await nodes[i]!.app.inject({ method: 'GET', url: `/api/v1/assessment/actors/${actor}?days=30`, headers: { authorization: `Bearer ${tokens[i]}` } });
      assert.equal(response.statusCode, 200, response.body);
      return JSON.parse(response.body) as Assessment;
    }

    async function applied(i: number, ids: readonly string[]): Promise<unknown[]> {
      const db = nodes[i]!.ctx.store.db;
      const links = await db.selectFrom('assessment_links').selectAll().where('id', 'in', ids).orderBy('id').execute();
      const sightings = await db.selectFrom('assessment_sightings').selectAll().where('id', 'in', ids).orderBy('id').execute();
      // Numbers as numbers (PostgreSQL answers some as strings).
      return [...links, ...sightings].map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v])));
    }

    it('applies a batch as it would apply its versions one at a time (sections 5.1, 5.2)', async () => {
      let runs = 0;
      // The property's own failure (what differed) is the message, not only the counterexample.
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 4, maxLength: 30 }), async (steps) => {
          runs++;
          const objects = history(steps);
          for (let i = 0; i < 2; i++) {
            // One version per ingest: each gets its own sequence number, in the same order on both.
            for (const object of objects) {
              const refused: unknown[] = [];
              const writer = object.created_by_ref === FRA_ID ? writers[i]!.FRA : writers[i]!.EST;
              await intel.ingestObjects(nodes[i]!.ctx, writer, [object], { onOutcome: (o) => o.status === 'rejected' && refused.push(o) });
              assert.deepEqual(refused, [], `${object.id} stored`);
            }
          }
          while ((await followOnce(nodes[0]!.ctx, 1)) > 0);
          while ((await followOnce(nodes[1]!.ctx, 1000)) > 0);
          const ids = [...new Set(objects.map((object) => object.id))];
          assert.deepEqual(await applied(1, ids), await applied(0, ids), 'links and sightings as applied');
          for (const actor of ids.filter((id) => id.startsWith('intrusion-set--'))) {
            const [one, batched] = [await assessed(0, actor), await assessed(1, actor)];
            assert.deepEqual(batched.parts.counts, one.parts.counts, `counts of ${actor}`);
            assert.deepEqual(batched.parts.members, one.parts.members, `members of ${actor}`);
            for (const part of ['incidents', 'sightings', 'intel'] as const) {
              assert.ok(Math.abs(batched.parts[part] - one.parts[part]) < 0.11, `${part} of ${actor}: ${batched.parts[part]} batched, ${one.parts[part]} one at a time`);
            }
          }
        }),
        { numRuns: RUNS },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${(error.cause as Error | undefined)?.message ?? ''}`);
      });
      assert.equal(runs, RUNS);
    });
  });
}
