/**
 * A member's identity object (the identity every created_by_ref of the member names) is that
 * member's, whoever the object names as its creator: another member writing it first, without a
 * created_by_ref, was stored as the creator and kept the member from publishing its own identity
 * (foreign-version) while its name stood for the member's on every object page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { outcomesOf, postBundle } from '../../../test/support/outcomes.js';
import { createTestNode, TEST_MEMBER_IDENTITY, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { createToken, createUser, upsertMembers } from '../directory/directory.service.js';

const OTHER_IDENTITY = 'identity--0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e';
const identity = (id: string, name: string, modified: string, extra: Record<string, unknown> = {}) => ({ type: 'identity', spec_version: '2.1', id, created: '2026-01-01T00:00:00.000Z', modified, name, identity_class: 'organization', ...extra });

for (const dialect of DIALECTS) {
  describe(`a member's identity object is the member's (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let other: string;
    const post = (token: string, objects: unknown[]) => postBundle(node, token, objects);
    const outcomes = outcomesOf;

    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'OTH', name: 'Other ally', kind: 'ally', country: null, identityId: OTHER_IDENTITY }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'oth-analyst', member: 'OTH', clearance: 4, roles: ['analyst'] });
      other = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'oth', user: 'oth-analyst' })).token;
    });
    after(async () => node?.close());

    it('refuses another member writing it, with or without a creator of its own, and lets the member publish it', async () => {
      const impostor = await post(other, [
        identity(TEST_MEMBER_IDENTITY, 'Impostor', '2026-01-01T00:00:00.000Z'),
        identity(TEST_MEMBER_IDENTITY, 'Impostor', '2026-01-02T00:00:00.000Z', { created_by_ref: OTHER_IDENTITY }),
      ]);
      assert.deepEqual(outcomes(impostor), ['rejected:foreign-identity', 'rejected:foreign-identity']);
      assert.equal(impostor[0]!.errors![0]!.path, '$.id');
      assert.match(impostor[0]!.errors![0]!.message, /is the identity of member TST/);
      // The member publishes its identity and versions it; the other member still may not.
      assert.deepEqual(outcomes(await post(node.tokens.analyst, [identity(TEST_MEMBER_IDENTITY, 'Test member', '2026-01-01T00:00:00.000Z')])), ['accepted']);
      assert.deepEqual(outcomes(await post(node.tokens.analyst, [identity(TEST_MEMBER_IDENTITY, 'Test member CERT', '2026-01-03T00:00:00.000Z')])), ['accepted']);
      assert.deepEqual(outcomes(await post(other, [identity(TEST_MEMBER_IDENTITY, 'Impostor', '2026-01-04T00:00:00.000Z')])), ['rejected:foreign-identity']);
      const stored = await node.app.inject({ method: 'GET', url: `/api/v1/objects/${TEST_MEMBER_IDENTITY}`, headers: { authorization: `Bearer ${other}` } });
      assert.equal(stored.statusCode, 200, stored.body);
      assert.equal((stored.json() as { name: string }).name, 'Test member CERT');
      // Its own identity, and identities that are no member's, are written as before.
      assert.deepEqual(outcomes(await post(other, [identity(OTHER_IDENTITY, 'Other ally', '2026-01-01T00:00:00.000Z'), identity('identity--9e9e9e9e-1b1b-4c4c-8d8d-2e2e2e2e2e2e', 'A feed', '2026-01-01T00:00:00.000Z')])), ['accepted', 'accepted']);
    });
  });
}
