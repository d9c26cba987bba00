/**
 * Reads of what is said about objects (relationships out of them, sightings of them; an object
 * page's lists) decide on each row's markings before its body is read, and read bodies within a
 * budget of text told by the rows' heads: rows a reader may not read cost nothing, and rows it may
 * read cost what the caps allow, however many or large they are.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createToken, createUser, principalOfUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { LIST_CHARS } from '../src/modules/intel/intel.context.js';
import { ingestObjects, objectsAbout } from '../src/modules/intel/intel.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import type { Principal } from '../src/policy/principal.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { malware } from './support/factories.js';
import { watchStoreReads } from './support/reads.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const T0 = '2024-03-01T10:00:00.000Z';
const DEU_ID = `identity--${randomUUID()}`;
const DEU_ONLY = `marking-definition--${randomUUID()}`;
const green = { object_marking_refs: [TLP2_MARKING_IDS.green] };
const deuOnly = { object_marking_refs: [DEU_ONLY] };

const relationship = (source: string, target: string, marking: object, description = 'r'): StixObject => ({
  type: 'relationship',
  spec_version: '2.1',
  id: `relationship--${randomUUID()}`,
  created: T0,
  modified: T0,
  relationship_type: 'uses',
  source_ref: source,
  target_ref: target,
  description,
  ...marking,
});
const tool = (name: string): StixObject => ({ type: 'tool', spec_version: '2.1', id: `tool--${randomUUID()}`, created: T0, modified: T0, name, ...green });

// Relationships out of a family: many large ones only Germany may read, then a few everyone reads.
const focus = malware({ name: 'Focus', ...green });
const other = malware({ name: 'Other', ...green });
const target = tool('Target');
const hidden = Array.from({ length: 50 }, () => relationship(focus.id, target.id, deuOnly, 'h'.repeat(50_000)));
const readable = Array.from({ length: 5 }, () => relationship(focus.id, target.id, green));
const otherReadable = Array.from({ length: 2 }, () => relationship(other.id, target.id, green));
// Relationships in to a tool, more text than an object page's list reads.
const hub = tool('Hub');
const large = Array.from({ length: Math.ceil(LIST_CHARS / 100_000) + 8 }, () => relationship(`malware--${randomUUID()}`, hub.id, green, 'd'.repeat(100_000)));

for (const dialect of DIALECTS) {
  describe(`reads of what is said about objects (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let tst: Principal;
    let deu: Principal;
    let deuToken: string;

    const ingest = async (objects: StixObject[]) => {
      for (const object of objects) {
        const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [object]);
        assert.equal(summary.accepted, 1, JSON.stringify(summary));
      }
    };
    /** The ids of the objects whose bodies the store answered while `work` ran, and the characters of those bodies. */
    const bodiesRead = async (work: () => Promise<unknown>): Promise<{ ids: Set<string>; chars: number }> => {
      const ids = new Set<string>();
      let chars = 0;
      await watchStoreReads(
        node.ctx.store,
        (value) => {
          if (!value.startsWith('{"')) return;
          ids.add((JSON.parse(value) as StixObject).id);
          chars += value.length;
        },
        work,
      );
      return { ids, chars };
    };

    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: DEU_ID }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'deu-analyst', member: 'DEU', clearance: 4, roles: ['analyst'] });
      deuToken = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'deu', user: 'deu-analyst' })).token;
      tst = (await principalOfUser(node.ctx, 'test-analyst'))!;
      deu = (await principalOfUser(node.ctx, 'deu-analyst'))!;
      await ingest([handlingMarkingDefinition({ id: DEU_ONLY, created: T0, classification: 'UNCLASSIFIED', releasableTo: ['DEU'] }), focus, other, target, hub]);
      await ingest([...hidden, ...readable, ...otherReadable]);
      await ingest(large);
    });
    after(async () => node?.close());

    it('reads no body of a row the reader may not read', async () => {
      let found: StixObject[] = [];
      const read = await bodiesRead(async () => (found = (await objectsAbout(node.ctx, tst, 'relationship', [focus.id])).objects));
      assert.deepEqual(found.map((r) => r.id), readable.map((r) => r.id));
      assert.deepEqual([...read.ids].sort(), readable.map((r) => r.id).sort());
      // Germany reads them all, oldest first.
      const forDeu = await objectsAbout(node.ctx, deu, 'relationship', [focus.id]);
      assert.deepEqual([forDeu.objects.map((r) => r.id), forDeu.truncated], [[...hidden, ...readable].map((r) => r.id), false]);
    });

    it('reads at most the rows and the text asked for, of each object and in all, saying which objects it left incomplete', async () => {
      const few = await objectsAbout(node.ctx, tst, 'relationship', [focus.id, other.id], { perObject: 3 });
      assert.deepEqual(few.objects.map((r) => r.id).sort(), [...readable.slice(0, 3), ...otherReadable].map((r) => r.id).sort());
      assert.deepEqual([few.truncated, [...few.incomplete]], [true, [focus.id]]);

      const size = JSON.stringify(hidden[0]).length;
      let budgeted: Awaited<ReturnType<typeof objectsAbout>> | undefined;
      const read = await bodiesRead(async () => (budgeted = await objectsAbout(node.ctx, deu, 'relationship', [focus.id, other.id], { charsPerObject: 3 * size + 100 })));
      assert.deepEqual(budgeted!.objects.map((r) => r.id), [...hidden.slice(0, 3), ...otherReadable].map((r) => r.id));
      assert.deepEqual([...budgeted!.incomplete], [focus.id]);
      assert.ok(read.chars < 4 * size, `${read.chars} characters of bodies read`);

      const inAll = await objectsAbout(node.ctx, deu, 'relationship', [focus.id], { chars: 2 * size + 100 });
      assert.deepEqual([inAll.objects.length, inAll.truncated], [2, true]);
      // At least one body, however large.
      assert.equal((await objectsAbout(node.ctx, deu, 'relationship', [focus.id], { chars: 1 })).objects.length, 1);
    });

    it(`an object page reads at most ${LIST_CHARS} characters of a list, and says that it stopped`, async () => {
      let page: { relationships: Array<{ relationship: StixObject }>; relationships_truncated: boolean } | undefined;
      const read = await bodiesRead(async () => {
        const response = await node.app.inject({ method: 'GET', url: `/api/v1/objects/${hub.id}/context`, headers: { authorization: `Bearer ${deuToken}` } });
        assert.equal(response.statusCode, 200, response.body);
        page = response.json();
      });
      const listed = page!.relationships.map((r) => r.relationship.id);
      assert.ok(listed.length > 0 && listed.length < large.length, `${listed.length} listed`);
      // Newest first.
      assert.deepEqual(listed, large.slice(-listed.length).reverse().map((r) => r.id));
      assert.equal(page!.relationships_truncated, true);
      const relationshipChars = [...read.ids].filter((id) => id.startsWith('relationship--')).length * JSON.stringify(large[0]).length;
      assert.ok(relationshipChars <= LIST_CHARS, `${relationshipChars} characters of relationships read`);
    });
  });
}
