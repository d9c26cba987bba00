/**
 * One object's versions are bounded where they are written (SHIELDWALL_VERSIONS_PER_OBJECT):
 * every write reads the stored versions of the ids it touches, and the version reads order them,
 * so that without a bound a member (or a peer) versioning its own indicator 100,000 times held
 * each of its later writes 1.5 s. The creator writing one version past the bound gets it refused
 * as `too-many-versions`, naming the bound; what is stored stays; sending again a stored version
 * is still a duplicate; another writer still gets `foreign-version` (the answer tells nothing
 * more); the node itself is not bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { outcomesOf, postBundle } from '../../../test/support/outcomes.js';
import { createTestNode, TEST_MEMBER_IDENTITY, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { createToken, createUser, upsertMembers } from '../directory/directory.service.js';
import { ingestObjects } from './intel.service.js';

const BOUND = 5;
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

for (const dialect of DIALECTS) {
  describe(`versions of one object are bounded (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let other: string;

    const post = (token: string, objects: unknown[]) => postBundle(node, token, objects);
    const outcomes = outcomesOf;
    const storedVersions = async (id: string) => {
      const response = await node.app.inject({ method: 'GET', url: `/api/v1/objects/${id}?versions=all`, headers: { authorization: `Bearer ${node.tokens.analyst}` } });
      assert.equal(response.statusCode, 200, response.body);
      return (response.json() as { versions: unknown[] }).versions.length;
    };

    before(async () => {
      node = await createTestNode(dialect, { versionsPerObject: BOUND });
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'OTH', name: 'Other ally', kind: 'ally', country: null, identityId: 'identity--0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e' }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'oth-analyst', member: 'OTH', clearance: 4, roles: ['analyst'] });
      other = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'oth', user: 'oth-analyst' })).token;
    });
    after(async () => node?.close());

    it('refuses the creator a version past the bound, in one batch or over several, and keeps what is stored', async () => {
      const base = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, created: at(0), modified: at(0) });
      // Three versions, then three more in one batch: the sixth is one too many.
      assert.deepEqual(outcomes(await post(node.tokens.analyst, [0, 1, 2].map((m) => ({ ...base, modified: at(m) })))), ['accepted', 'accepted', 'accepted']);
      const batch = await post(node.tokens.analyst, [3, 4, 5].map((m) => ({ ...base, modified: at(m) })));
      assert.deepEqual(outcomes(batch), ['accepted', 'accepted', 'rejected:too-many-versions']);
      const refusal = batch[2]!.errors![0]!;
      assert.equal(refusal.path, '$.modified');
      assert.match(refusal.message, new RegExp(`${base.id} has ${BOUND} versions.*SHIELDWALL_VERSIONS_PER_OBJECT`));
      assert.equal(await storedVersions(base.id), BOUND);
      // Later, alone: still refused; a stored version sent again is a duplicate, not refused.
      assert.deepEqual(outcomes(await post(node.tokens.analyst, [{ ...base, modified: at(9) }, { ...base, modified: at(2) }])), ['rejected:too-many-versions', 'duplicate']);
      // Another member gets the answer it got before the bound: the object is not its own (nor
      // the identity it names), whether or not the bound is reached.
      assert.deepEqual(outcomes(await post(other, [{ ...base, modified: at(10) }])), ['rejected:foreign-originator']);
      assert.deepEqual(outcomes(await post(other, [{ ...base, created_by_ref: undefined, modified: at(10) }])), ['rejected:foreign-version']);
      assert.equal(await storedVersions(base.id), BOUND);
      // The node itself (seeding, the local CLI) is not bounded.
      const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [{ ...base, modified: at(11) }]);
      assert.equal(summary.accepted, 1);
      assert.equal(await storedVersions(base.id), BOUND + 1);
    });

    it('leaves other objects of the same batch alone', async () => {
      const full = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, created: at(0), modified: at(0) });
      const fresh = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, created: at(0), modified: at(0) });
      assert.deepEqual(outcomes(await post(node.tokens.analyst, [0, 1, 2, 3, 4].map((m) => ({ ...full, modified: at(m) })))).filter((o) => o !== 'accepted'), []);
      assert.deepEqual(outcomes(await post(node.tokens.analyst, [{ ...full, modified: at(20) }, fresh, { ...fresh, modified: at(1) }])), ['rejected:too-many-versions', 'accepted', 'accepted']);
    });
  });
}
