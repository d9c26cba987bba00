/**
 * What a handling marking's releasable_to may hold: member codes, group names, '@user' and '*',
 * at most RELEASABLE_TO_MAX of them. Any other releases to nobody, as a classification outside
 * the scheme does, never to the default releasability.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StixObject } from '../stix/types.js';
import {
  DEFAULT_MARKING_DEFAULTS,
  handlingMarkingDefinition,
  handlingOfMarkingDefinition,
  HANDLING_EXTENSION_ID,
  markingColumns,
  RELEASABLE_TO_MAX,
  releasabilityProblem,
  UNRESOLVED_CLASSIFICATION,
} from './markings.js';

const ID = 'marking-definition--7a3b1c2d-0e4f-4a5b-8c6d-7e8f9a0b1c2d';

function definition(releasableTo: unknown): StixObject {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: ID,
    created: '2026-12-01T00:00:00.000Z',
    extensions: { [HANDLING_EXTENSION_ID]: { extension_type: 'property-extension', classification: 'RESTRICTED', ...(releasableTo === undefined ? {} : { releasable_to: releasableTo }) } },
  };
}

describe('releasable_to entries', () => {
  it('takes member codes, group names, @user, * and names of other nodes, up to the bound', () => {
    const names = ['DEU', 'ALLIANCE', 'CERT-EU', 'nato_ciRC', '@alice', '@ana.smith@cert.example', '*', 'M99'];
    assert.equal(releasabilityProblem(names), undefined);
    assert.deepEqual(handlingOfMarkingDefinition(definition(names)), { classification: 1, releasableTo: names });
    const bound = Array.from({ length: RELEASABLE_TO_MAX }, (_v, i) => `M${i}`);
    assert.deepEqual(handlingOfMarkingDefinition(definition(bound)), { classification: 1, releasableTo: bound });
    assert.deepEqual(handlingOfMarkingDefinition(definition([])), { classification: 1, releasableTo: [] });
    assert.deepEqual(handlingOfMarkingDefinition(definition(undefined)), { classification: 1 });
  });

  for (const [what, releasableTo, said] of [
    ['a name, not a list', 'DEU', /releasable_to is not a list/],
    ['two names in one entry', ['ALLIANCE,PARTNERS'], /releasable_to\[0\] "ALLIANCE,PARTNERS" is not a member code/],
    ['a name with a space', ['DEU', 'GERMANY CERT'], /releasable_to\[1\] "GERMANY CERT"/],
    ['an entry that is not text', ['DEU', 7], /releasable_to\[1\] 7/],
    ['an empty entry', [''], /releasable_to\[0\] ""/],
    ['a name past 64 characters', [`A${'B'.repeat(64)}`], /releasable_to\[0\]/],
    ['null', null, /not a list/],
    [`${RELEASABLE_TO_MAX + 1} entries`, Array.from({ length: RELEASABLE_TO_MAX + 1 }, (_v, i) => `M${i}`), new RegExp(`lists ${RELEASABLE_TO_MAX + 1} entries, more than ${RELEASABLE_TO_MAX}: release to a group`)],
  ] as const) {
    it(`releases to nobody under ${what}, and says why`, () => {
      assert.match(releasabilityProblem(releasableTo) ?? '', said);
      assert.deepEqual(handlingOfMarkingDefinition(definition(releasableTo)), { classification: UNRESOLVED_CLASSIFICATION, releasableTo: [] });
      // An object so marked is read by nobody, whatever the default releasability and its other markings.
      const table = new Map([[ID, handlingOfMarkingDefinition(definition(releasableTo))!]]);
      const other = handlingMarkingDefinition({ id: 'marking-definition--11111111-2222-4333-8444-555555555555', created: '2026-12-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['*'] });
      table.set(other.id as string, handlingOfMarkingDefinition(other)!);
      const object: StixObject = { type: 'indicator', spec_version: '2.1', id: 'indicator--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', object_marking_refs: [ID, other.id as string] };
      const columns = markingColumns(object, table, DEFAULT_MARKING_DEFAULTS);
      assert.equal(columns.classification, UNRESOLVED_CLASSIFICATION);
      assert.equal(columns.releasability.replaceAll(',', ''), '');
    });
  }
});
