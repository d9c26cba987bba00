/**
 * Marking-definitions are bounded per member (SHIELDWALL_DEFINITIONS_PER_MEMBER): every process
 * holds the node's definitions in memory (the marking table) and reads them all again after a
 * failed write, so that a member defining them without end would grow every process and slow
 * every such reading. One past the bound is refused as `too-many-definitions`, naming the bound;
 * objects marked with a refused definition wait for it as for any unknown one; another member
 * is not held back; the node itself is not bounded; deleting one makes room again.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { outcomesOf, postBundle } from '../../../test/support/outcomes.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { handlingMarkingDefinition, UNRESOLVED_CLASSIFICATION } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { createToken, createUser, upsertMembers } from '../directory/directory.service.js';
import { ingestObjects } from './intel.service.js';

const BOUND = 3;

for (const dialect of DIALECTS) {
  describe(`marking-definitions per member are bounded (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let other: string;

    const post = (token: string, objects: unknown[]) => postBundle(node, token, objects);
    const outcomes = outcomesOf;
    const definition = () => handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created: '2026-12-05T00:00:00.000Z', classification: 'CONFIDENTIAL', releasableTo: ['ALLIANCE'] });
    const classificationOf = async (id: string) =>
      Number((await node.ctx.store.db.selectFrom('stix_objects').select('classification').where('id', '=', id).where('is_current', '=', 1).executeTakeFirstOrThrow()).classification);

    before(async () => {
      node = await createTestNode(dialect, { definitionsPerMember: BOUND });
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'OTH', name: 'Other ally', kind: 'ally', country: null, identityId: null }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'oth-analyst', member: 'OTH', clearance: 4, roles: ['analyst'] });
      other = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'oth', user: 'oth-analyst' })).token;
    });
    after(async () => node?.close());

    it('refuses a member one definition past the bound, in one batch or over several; objects marked with it wait', async () => {
      const mine = Array.from({ length: BOUND + 2 }, definition);
      assert.deepEqual(outcomes(await post(node.tokens.analyst, mine.slice(0, 2))), ['accepted', 'accepted']);
      const marked = indicator({ object_marking_refs: [mine[4]!.id as string] });
      const batch = await post(node.tokens.analyst, [...mine.slice(2), marked]);
      assert.deepEqual(outcomes(batch), ['accepted', 'rejected:too-many-definitions', 'rejected:too-many-definitions', 'accepted']);
      const refusal = batch[1]!.errors![0]!;
      assert.equal(refusal.path, '$.id');
      assert.match(refusal.message, new RegExp(`member TST has defined ${BOUND} marking-definitions, the most one member may on this node \\(SHIELDWALL_DEFINITIONS_PER_MEMBER\\)`));
      assert.equal(await classificationOf(marked.id as string), UNRESOLVED_CLASSIFICATION, 'held back until its definition is stored');
      // Sending a stored one again is still a duplicate, not a refusal.
      assert.deepEqual(outcomes(await post(node.tokens.analyst, [mine[0]])), ['duplicate']);
    });

    it('does not hold back another member, nor the node itself', async () => {
      assert.deepEqual(outcomes(await post(other, [definition()])), ['accepted']);
      const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, Array.from({ length: BOUND + 1 }, definition));
      assert.equal(summary.accepted, BOUND + 1);
    });

    it('makes room again once a node administrator deleted one of the member\'s definitions (a member may not: STIX 2.1 section 7.2.1)', async () => {
      const next = definition();
      assert.deepEqual(outcomes(await post(node.tokens.analyst, [next])), ['rejected:too-many-definitions']);
      const stored = await node.ctx.store.db.selectFrom('stix_objects').select('id').where('type', '=', 'marking-definition').where('submitter', '=', 'member:TST').where('is_current', '=', 1).execute();
      assert.equal(stored.length, BOUND);
      const remove = (token: string) => node.app.inject({ method: 'DELETE', url: `/taxii2/intel/collections/intel/objects/${stored[0]!.id}/`, headers: { authorization: `Bearer ${token}`, accept: 'application/taxii+json;version=2.1' } });
      // Its own definition: other members' objects may be marked with it, and the id, once free,
      // could be defined anew releasable to all. Before, the member deleted it (200).
      const own = await remove(node.tokens.analyst);
      assert.equal(own.statusCode, 403, own.body);
      assert.match((own.json() as { description: string }).description, /only a node administrator deletes a marking-definition/);
      assert.deepEqual(outcomes(await post(node.tokens.analyst, [next])), ['rejected:too-many-definitions'], 'nothing was deleted');
      const gone = await remove(node.tokens['node-admin']);
      assert.equal(gone.statusCode, 200, gone.body);
      assert.deepEqual(outcomes(await post(node.tokens.analyst, [next])), ['accepted']);
    });
  });
}
