/**
 * Each stored row points at the access set of its own markings (TLP, classification,
 * releasability), whatever order a batch mixes them in: the writer reuses the keys of markings
 * it saw a few rows before, and a wrong reuse would let a reader entitled to one set read rows
 * of another.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS, UNRESOLVED_CLASSIFICATION } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { ingestObjects } from './intel.service.js';

for (const dialect of DIALECTS) {
  describe(`access-set keys of a batch with mixed markings (${dialect})`, { skip: await dialectSkip(dialect) }, () => {
    let node: TestNode;
    before(async () => {
      node = await createTestNode(dialect);
    });
    after(async () => {
      await node?.close();
    });

    it('gives every row the key of its own markings, in a batch cycling through 28 of them', async () => {
      const created = '2026-12-04T00:00:00.000Z';
      const handling = ['RESTRICTED', 'CONFIDENTIAL', 'SECRET'].flatMap((classification) =>
        [['ALLIANCE'], ['FRA', 'DEU']].map((releasableTo) => handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created, classification, releasableTo })),
      );
      const tlps = [TLP2_MARKING_IDS.clear, TLP2_MARKING_IDS.green, TLP2_MARKING_IDS.amber, TLP2_MARKING_IDS['amber+strict']];
      // 4 TLP levels, alone or with one of 6 handling markings: 28 combinations, more than the
      // writer compares a row with, repeated four times in the same order.
      const combinations = tlps.flatMap((tlp) => [[tlp], ...handling.map((h) => [tlp, h.id as string])]);
      const indicators = [];
      for (let round = 0; round < 4; round++) {
        for (const refs of combinations) indicators.push(indicator({ object_marking_refs: refs }));
      }
      const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [...handling, ...indicators]);
      assert.equal(summary.accepted, handling.length + indicators.length);

      const rows = await node.ctx.store.db
        .selectFrom('stix_objects')
        .innerJoin('access_sets', 'access_sets.key', 'stix_objects.access_key')
        .select([
          'stix_objects.id',
          'stix_objects.tlp',
          'stix_objects.classification',
          'stix_objects.releasability',
          'access_sets.key',
          'access_sets.tlp as set_tlp',
          'access_sets.classification as set_classification',
          'access_sets.releasability as set_releasability',
        ])
        .where('stix_objects.type', '=', 'indicator')
        .execute();
      assert.equal(rows.length, indicators.length, 'every indicator has an access set');
      for (const row of rows) {
        assert.deepEqual(
          [row.set_tlp, Number(row.set_classification), row.set_releasability],
          [row.tlp, row.classification === null ? UNRESOLVED_CLASSIFICATION : Number(row.classification), row.releasability ?? ','],
          `${row.id} points at the access set of other markings`,
        );
      }
      const tuples = new Set(rows.map((r) => `${r.tlp}|${r.classification}|${r.releasability}`));
      const keys = new Set(rows.map((r) => Number(r.key)));
      assert.equal(tuples.size, combinations.length, 'each combination stored as distinct markings');
      assert.equal(keys.size, tuples.size, 'one key per combination');
    });

    it('forgets an access set made in a transaction that rolled back: its number is not given to two markings', async () => {
      const created = '2026-12-05T00:00:00.000Z';
      const [secret, confidential] = (['SECRET', 'CONFIDENTIAL'] as const).map((classification) =>
        handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created, classification, releasableTo: ['NOR'] }),
      );
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [secret!, confidential!])).accepted, 2);
      // The first write makes the SECRET set, then fails in the same transaction (as a full disk would).
      const failure = new Error('the transaction fails after the set was made');
      await assert.rejects(
        ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [indicator({ object_marking_refs: [TLP2_MARKING_IDS.amber, secret!.id as string] })], {
          inTransaction: async () => {
            throw failure;
          },
        }),
        failure,
      );
      // The next new set takes the number the rolled-back one had; the SECRET set then another.
      const confidentialOne = indicator({ object_marking_refs: [TLP2_MARKING_IDS.green, confidential!.id as string] });
      const secretOne = indicator({ object_marking_refs: [TLP2_MARKING_IDS.amber, secret!.id as string] });
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [confidentialOne])).accepted, 1);
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [secretOne])).accepted, 1);
      const rows = await node.ctx.store.db
        .selectFrom('stix_objects')
        .innerJoin('access_sets', 'access_sets.key', 'stix_objects.access_key')
        .select(['stix_objects.id', 'stix_objects.access_key', 'access_sets.tlp', 'access_sets.classification'])
        .where('stix_objects.id', 'in', [confidentialOne.id as string, secretOne.id as string])
        .execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      assert.equal(rows.length, 2, 'both rows point at a stored access set');
      assert.equal(byId.get(secretOne.id as string)?.tlp, 'amber', 'the SECRET indicator is read under its own set');
      assert.equal(byId.get(confidentialOne.id as string)?.tlp, 'green');
      assert.notEqual(byId.get(secretOne.id as string)?.access_key, byId.get(confidentialOne.id as string)?.access_key, 'two markings, two sets');
    });
  });
}
