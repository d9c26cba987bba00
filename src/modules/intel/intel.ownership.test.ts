/**
 * Trust in what is shared: only the creator of an object versions, revokes or deletes it
 * (STIX 2.1 section 3.6), a marking-definition never changes once accepted (section 7.2.1), and
 * the answers to a write do not tell what the node holds. Every case goes through the HTTP API
 * (REST and TAXII) or the pipeline as a peer, as a hostile member would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator, malware } from '../../../test/support/factories.js';
import { outcomesOf, postBundle, type Outcome } from '../../../test/support/outcomes.js';
import { createTestNode, TEST_MEMBER, TEST_MEMBER_IDENTITY, type TestNode } from '../../../test/support/node.js';
import { derivedHandlingId, HANDLING_ATTEMPTS } from '../../policy/handling-ids.js';
import { HANDLING_EXTENSION_ID, handlingMarkingDefinition, TLP2_MARKING_IDS } from '../../policy/markings.js';
import { handlingDefinitionFor } from '../incidents/incidents.stix.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { entries } from '../audit/audit.service.js';
import { createPeer, createToken, createUser, principalOfPeer, upsertMembers } from '../directory/directory.service.js';
import { createCollection, TAXII_MEDIA_TYPE } from '../taxii/taxii.service.js';
import { ingestObjects } from './intel.service.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';

const OTHER = 'OTH';
const OTHER_IDENTITY = 'identity--0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e';
const FEED_IDENTITY = 'identity--7a7a7a7a-1b1b-4c4c-8d8d-2e2e2e2e2e2e';
const T1 = '2024-03-02T10:00:00.000Z';
const T2 = '2024-03-03T10:00:00.000Z';

let uuidCounter = 0;
/** A fresh marking-definition id (valid UUIDv4 form). */
function markingId(): string {
  uuidCounter++;
  return `marking-definition--${uuidCounter.toString(16).padStart(8, '0')}-1111-4222-8333-${Date.now().toString(16).padStart(12, '0').slice(-12)}`;
}

for (const dialect of DIALECTS) {
  describe(`ownership of what is shared (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    /** Tokens: the test member's analyst (TOP SECRET), another ally's analyst (UNCLASSIFIED) and node admin. */
    let owner: string;
    let intruder: string;
    let intruderSecret: string;
    let nodeAdmin: string;
    const collection = () => `/taxii2/intel/collections/${collectionId}/objects/`;
    let collectionId = '';

    const post = (token: string, objects: unknown[]) => postBundle(node, token, objects);
    const get = async (token: string, id: string, query = '') => node.app.inject({ method: 'GET', url: `/api/v1/objects/${id}${query}`, headers: { authorization: `Bearer ${token}` } });
    const read = async (token: string, id: string) => {
      const response = await get(token, id);
      return response.statusCode === 200 ? (response.json() as StixObject) : undefined;
    };
    const outcomes = outcomesOf;

    before(async () => {
      node = await createTestNode(dialect);
      owner = node.tokens.analyst;
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'root-admin', member: null, clearance: 4, roles: ['node-admin'] });
      nodeAdmin = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'root-admin', user: 'root-admin' })).token;
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: OTHER, name: 'Other ally', kind: 'ally', country: null, identityId: OTHER_IDENTITY }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'oth-analyst', member: OTHER, clearance: 0, roles: ['analyst'] });
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'oth-secret', member: OTHER, clearance: 4, roles: ['analyst'] });
      intruder = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'oth', user: 'oth-analyst' })).token;
      intruderSecret = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'oth-secret', user: 'oth-secret' })).token;
      collectionId = (await createCollection(node.ctx, SYSTEM_PRINCIPAL, { alias: 'shared', title: 'Shared', audience: null })).id;
    });
    after(async () => node?.close());

    describe('marking-definitions (STIX 2.1 section 7.2.1: they cannot be versioned)', () => {
      it('refuses another definition of a known id, keeps the first, and its objects stay as marked', async () => {
        const secret = handlingMarkingDefinition({ id: markingId(), created: '2024-01-01T00:00:00.000Z', classification: 'SECRET', releasableTo: [TEST_MEMBER], createdByRef: TEST_MEMBER_IDENTITY });
        const before = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [secret.id] });
        assert.deepEqual(outcomes(await post(owner, [secret, before])), ['accepted', 'accepted']);
        // The downgrade: same id and created, UNCLASSIFIED and releasable to all.
        const downgrade = handlingMarkingDefinition({ id: secret.id, created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['*'] });
        assert.deepEqual(outcomes(await post(intruder, [downgrade])), ['rejected:marking-redefined']);
        // Under another created (a "version") and alongside an object the intruder may write.
        const later = { ...downgrade, created: '2025-01-01T00:00:00.000Z' };
        const mine = indicator({ created_by_ref: OTHER_IDENTITY, object_marking_refs: [secret.id] });
        assert.deepEqual(outcomes(await post(intruder, [later, mine])), ['rejected:marking-redefined', 'rejected:above-clearance']);
        // Whoever sends it: the owner and the node too.
        assert.deepEqual(outcomes(await post(owner, [later])), ['rejected:marking-redefined']);
        const afterwards = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [secret.id] });
        await post(owner, [afterwards]);
        assert.equal(await read(intruder, before.id), undefined);
        assert.equal(await read(intruder, afterwards.id), undefined);
        assert.equal(await read(intruderSecret, afterwards.id), undefined, 'releasable to the test member only');
        assert.equal((await read(owner, afterwards.id))?.id, afterwards.id);
        const stored = await read(owner, secret.id);
        assert.deepEqual(stored, secret);
        // On record.
        const denied = [];
        for await (const entry of entries(node.ctx)) if (entry.action === 'intel.write.denied' && (entry.detail as { rule?: string }).rule === 'marking-redefined') denied.push(entry);
        assert.ok(denied.length >= 3);
      });

      it('applies no definition whose object was refused, nor a second definition of one id in one stream', async () => {
        const id = markingId();
        const first = handlingMarkingDefinition({ id, created: '2024-01-01T00:00:00.000Z', classification: 'CONFIDENTIAL', releasableTo: [TEST_MEMBER] });
        const second = handlingMarkingDefinition({ id, created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['*'] });
        const marked = indicator({ object_marking_refs: [id] });
        assert.deepEqual(outcomes(await post(owner, [first, second, marked])), ['accepted', 'rejected:marking-redefined', 'accepted']);
        assert.equal(await read(intruder, marked.id), undefined);
        // A definition carried by a refused object (above the writer's clearance) is not applied.
        const topSecret = markingId();
        const high = handlingMarkingDefinition({ id: topSecret, created: '2024-01-01T00:00:00.000Z', classification: 'TOP SECRET', releasableTo: ['*'], createdByRef: TEST_MEMBER_IDENTITY });
        const highMarked = { ...high, object_marking_refs: [topSecret] };
        const result = await post(intruder, [highMarked]);
        assert.equal(result[0]!.status, 'rejected');
        const unresolvedBefore = indicator({ object_marking_refs: [topSecret] });
        await post(owner, [unresolvedBefore]);
        assert.equal(await read(owner, unresolvedBefore.id), undefined, 'still unresolved: nobody reads it');
      });

      it("keeps a definition refused as another member's out of the node's table: the owner's own definition of that id marks its objects", async () => {
        // The attack: a definition credited to the test member, releasable to all, sent by another member.
        const id = markingId();
        const forged = handlingMarkingDefinition({ id, created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['*'], createdByRef: TEST_MEMBER_IDENTITY });
        assert.deepEqual(outcomes(await post(intruder, [forged])), ['rejected:foreign-originator']);
        assert.equal((await get(owner, id)).statusCode, 404, 'not stored');
        // The owner then defines the id as it means it, and marks an object with it.
        const real = handlingMarkingDefinition({ id, created: '2024-01-01T00:00:00.000Z', classification: 'RESTRICTED', releasableTo: [TEST_MEMBER], createdByRef: TEST_MEMBER_IDENTITY });
        const marked = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [id] });
        assert.deepEqual(outcomes(await post(owner, [real, marked])), ['accepted', 'accepted']);
        assert.equal((await read(owner, marked.id))?.id, marked.id);
        assert.equal((await get(intruderSecret, marked.id)).statusCode, 404, 'releasable to the test member only, whatever was refused before');
        // An object of the owner marked with an id only ever offered by the intruder stays unresolved: nobody reads it.
        const other = markingId();
        const forgedToo = handlingMarkingDefinition({ id: other, created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['*'], createdByRef: TEST_MEMBER_IDENTITY });
        assert.deepEqual(outcomes(await post(intruder, [forgedToo])), ['rejected:foreign-originator']);
        const waiting = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [other] });
        assert.deepEqual(outcomes(await post(owner, [waiting])), ['accepted']);
        assert.equal(await read(owner, waiting.id), undefined, 'unresolved until its owner defines it');
        assert.equal(await read(intruderSecret, waiting.id), undefined);
      });

      it('lets only the member whose objects wait for an id define it (a node administrator on record)', async () => {
        const id = markingId();
        const waiting = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [id] });
        assert.deepEqual(outcomes(await post(owner, [waiting])), ['accepted']);
        assert.equal(await read(owner, waiting.id), undefined, 'unresolved until defined');
        const open = handlingMarkingDefinition({ id, created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['*'] });
        assert.deepEqual(outcomes(await post(intruder, [open])), ['rejected:foreign-marking']);
        assert.equal(await read(intruder, waiting.id), undefined);
        const real = handlingMarkingDefinition({ id, created: '2024-01-01T00:00:00.000Z', classification: 'RESTRICTED', releasableTo: [TEST_MEMBER] });
        assert.deepEqual(outcomes(await post(owner, [real])), ['accepted']);
        assert.equal((await read(owner, waiting.id))?.id, waiting.id);
        assert.equal(await read(intruderSecret, waiting.id), undefined);

        const other = markingId();
        const waitingToo = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [other] });
        await post(owner, [waitingToo]);
        const byAdmin = handlingMarkingDefinition({ id: other, created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: [TEST_MEMBER] });
        assert.deepEqual(outcomes(await post(nodeAdmin, [byAdmin])), ['accepted']);
        let recorded = false;
        for await (const entry of entries(node.ctx)) if (entry.action === 'intel.marking.define-for-others' && entry.subject === other) recorded = true;
        assert.ok(recorded, 'a node administrator defining for a member is on record');
      });

      it('lets anyone define a derived handling definition, whatever waits for it: another member cannot keep it undefined', async () => {
        // The intruder makes an object wait for the id nodes derive for RESTRICTED releasable to the
        // test member (a public id), to keep the test member from defining it.
        const derived = handlingDefinitionFor(1, [TEST_MEMBER], 0);
        const squat = indicator({ created_by_ref: OTHER_IDENTITY, object_marking_refs: [derived.id] });
        assert.deepEqual(outcomes(await post(intruder, [squat])), ['accepted']);
        const own = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [derived.id] });
        assert.deepEqual(outcomes(await post(owner, [derived, own])), ['accepted', 'accepted'], 'its content is fixed by its id: defined as every node would');
        assert.equal((await read(owner, own.id))?.id, own.id);
        assert.equal(await read(intruder, own.id), undefined, 'released to the test member alone');
        // Not one without its list, which would release by the node's default (the alliance) where
        // the id derives from an empty list (nobody).
        const toNobody = derivedHandlingId('RESTRICTED', [], 0);
        const kept = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [toNobody] });
        assert.deepEqual(outcomes(await post(owner, [kept])), ['accepted']);
        const listless = { ...handlingMarkingDefinition({ id: toNobody, created: '2026-01-01T00:00:00.000Z', classification: 'RESTRICTED', releasableTo: [] }) };
        delete (listless.extensions as Record<string, Record<string, unknown>>)[HANDLING_EXTENSION_ID]!.releasable_to;
        assert.deepEqual(outcomes(await post(intruder, [listless])), ['rejected:marking-reserved-id']);
        assert.equal(await read(intruderSecret, kept.id), undefined);
        // A random id is still the waiting member's to define.
        const id = markingId();
        assert.deepEqual(outcomes(await post(intruder, [indicator({ created_by_ref: OTHER_IDENTITY, object_marking_refs: [id] })])), ['accepted']);
        const mine = handlingMarkingDefinition({ id, created: '2024-01-01T00:00:00.000Z', classification: 'RESTRICTED', releasableTo: [TEST_MEMBER] });
        assert.deepEqual(outcomes(await post(owner, [mine])), ['rejected:foreign-marking']);
      });

      it('refuses an object with more markings than any object needs, before its write', async () => {
        const many = (n: number) => Array.from({ length: n }, () => markingId());
        const granular = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.clear], granular_markings: many(1001).map((ref) => ({ marking_ref: ref, selectors: ['name'] })) });
        const objectRefs = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: many(101) });
        const fits = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.clear], granular_markings: many(1000).map((ref) => ({ marking_ref: ref, selectors: ['name'] })) });
        const answer = await post(owner, [granular, objectRefs, fits]);
        assert.deepEqual(outcomes(answer), ['rejected:marking-bound', 'rejected:marking-bound', 'accepted']);
        assert.match(answer[0]!.errors![0]!.message, /1001 granular markings: an object carries at most 1000/);
      });

      it('lets only the member whose granular marking names an unknown id define it (STIX 2.1 section 7.2.3)', async () => {
        // The test member's indicator, readable by all, whose description a marking of its own
        // (not sent yet) covers: withheld from every reader until that definition arrives.
        const id = markingId();
        const secret = 'Second-stage loader staged on the ministry mail relay';
        const shared = indicator({
          created_by_ref: TEST_MEMBER_IDENTITY,
          description: secret,
          object_marking_refs: [TLP2_MARKING_IDS.clear],
          granular_markings: [{ marking_ref: id, selectors: ['description'] }],
        });
        assert.deepEqual(outcomes(await post(owner, [shared])), ['accepted']);
        assert.equal((await read(intruder, shared.id))?.description, undefined, 'withheld until defined');
        // The attack: another member defines that id first, releasable to all, to read the part.
        const open = handlingMarkingDefinition({ id, created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['*'], createdByRef: OTHER_IDENTITY });
        assert.deepEqual(outcomes(await post(intruder, [open])), ['rejected:foreign-marking']);
        assert.equal((await read(intruder, shared.id))?.description, undefined);
        // The owner's own definition decides: its member reads the part, the other member does not.
        const real = handlingMarkingDefinition({ id, created: '2024-01-01T00:00:00.000Z', classification: 'RESTRICTED', releasableTo: [TEST_MEMBER], createdByRef: TEST_MEMBER_IDENTITY });
        assert.deepEqual(outcomes(await post(owner, [real])), ['accepted']);
        assert.equal((await read(owner, shared.id))?.description, secret);
        const seen = await read(intruderSecret, shared.id);
        assert.equal(seen?.id, shared.id, 'the object itself stays readable');
        assert.equal(seen?.description, undefined);
      });

      it('keeps granular waiters for objects of any type, through a late object marking and a deleted newest version', async () => {
        const open = (id: string) => handlingMarkingDefinition({ id, created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['*'], createdByRef: OTHER_IDENTITY });
        const secret = 'Implant keyed to the ministry domain controllers';
        // A malware (not an indicator), its description under an unknown granular marking.
        const x = markingId();
        const family = malware({ created_by_ref: TEST_MEMBER_IDENTITY, description: secret, object_marking_refs: [TLP2_MARKING_IDS.clear], granular_markings: [{ marking_ref: x, selectors: ['description'] }] });
        assert.deepEqual(outcomes(await post(owner, [family])), ['accepted']);
        assert.deepEqual(outcomes(await post(intruder, [open(x)])), ['rejected:foreign-marking']);
        assert.equal((await read(intruder, family.id))?.description, undefined);

        // An object marking unknown as well: once it is defined the object is readable (its
        // part still withheld), and the granular one still waits for its member.
        const y = markingId();
        const z = markingId();
        const both = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, description: secret, object_marking_refs: [y], granular_markings: [{ marking_ref: z, selectors: ['description'] }] });
        assert.deepEqual(outcomes(await post(owner, [both])), ['accepted']);
        const clear = handlingMarkingDefinition({ id: y, created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['*'], createdByRef: TEST_MEMBER_IDENTITY });
        assert.deepEqual(outcomes(await post(owner, [clear])), ['accepted']);
        const seen = await read(intruder, both.id);
        assert.equal(seen?.id, both.id, 'readable once its object marking is defined');
        assert.equal(seen?.description, undefined);
        assert.deepEqual(outcomes(await post(intruder, [open(z)])), ['rejected:foreign-marking']);

        // A newer version deleted: the older one, current again, still waits for its member.
        const w = markingId();
        const v1 = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, created: T1, modified: T1, description: secret, object_marking_refs: [TLP2_MARKING_IDS.clear], granular_markings: [{ marking_ref: w, selectors: ['description'] }] });
        const v2 = { ...v1, modified: T2 };
        assert.deepEqual(outcomes(await post(owner, [v1, v2])), ['accepted', 'accepted']);
        const removed = await node.app.inject({ method: 'DELETE', url: `${collection()}${v1.id}/?match[version]=${T2}`, headers: { authorization: `Bearer ${owner}`, accept: TAXII_MEDIA_TYPE } });
        assert.equal(removed.statusCode, 200, removed.body);
        assert.equal((await read(owner, v1.id))?.modified, T1);
        assert.deepEqual(outcomes(await post(intruder, [open(w)])), ['rejected:foreign-marking']);
        assert.equal((await read(intruder, v1.id))?.description, undefined);
      });

      it("refuses a handling definition under an id nodes derive for another marking, and keeps incidents of that marking reportable and unread", async () => {
        // The ids nodes derive for SECRET releasable to the test member, and for RESTRICTED to all (each tried in turn when one is held).
        const narrow = handlingDefinitionFor(3, [TEST_MEMBER], 0);
        const wide = (id: string) => handlingMarkingDefinition({ id, created: '2026-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['*'] });
        assert.deepEqual(outcomes(await post(intruder, [wide(narrow.id)])), ['rejected:marking-reserved-id']);
        const attempts = Array.from({ length: HANDLING_ATTEMPTS }, (_, attempt) => handlingDefinitionFor(1, ['*'], attempt).id);
        const taken = await post(intruder, attempts.map(wide));
        assert.deepEqual(outcomes(taken), attempts.map(() => 'rejected:marking-reserved-id'));
        assert.match(taken[0]!.errors![0]!.message, /reserved for the definitions nodes derive; give this definition a random \(version 4\) id/);
        assert.equal(taken[0]!.errors![0]!.path, '$.id');
        // The derived definitions themselves, and a random id for any content, are accepted.
        assert.deepEqual(outcomes(await post(intruder, [handlingDefinitionFor(0, [OTHER], 0), wide(markingId())])), ['accepted', 'accepted']);
        // The node's own incidents of both markings are reported, and the narrow one stays unread by the other member.
        const report = async (classification: string, releasability: string[]) => {
          const response = await node.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { authorization: `Bearer ${node.tokens['incident-handler']}` }, payload: { title: 'Wiper at a grid operator', classification, releasability } });
          assert.equal(response.statusCode, 201, response.body);
          return (response.json() as { id: string }).id;
        };
        await report('RESTRICTED', ['*']);
        const secret = await report('SECRET', [TEST_MEMBER]);
        assert.equal(await read(intruderSecret, secret), undefined, 'SECRET releasable to the test member only');
        assert.deepEqual(await read(owner, narrow.id), narrow, 'the derived definition holds its id');
      });

      it('refuses a peer that redefines a marking', async () => {
        const secret = handlingMarkingDefinition({ id: markingId(), created: '2024-01-01T00:00:00.000Z', classification: 'SECRET', releasableTo: [TEST_MEMBER] });
        await post(owner, [secret]);
        await createPeer(node.ctx, SYSTEM_PRINCIPAL, { name: `peer-${dialect}-m`, members: [OTHER], clearance: 4, roles: ['analyst'] } as Parameters<typeof createPeer>[2]);
        const peer = (await principalOfPeer(node.ctx, `peer-${dialect}-m`))!;
        const seen: Outcome[] = [];
        await ingestObjects(node.ctx, peer, [{ ...secret, extensions: handlingMarkingDefinition({ id: secret.id, created: secret.created as string, classification: 'UNCLASSIFIED', releasableTo: ['*'] }).extensions }], { onOutcome: (o) => seen.push(o) });
        assert.deepEqual(outcomes(seen), ['rejected:marking-redefined']);
        assert.deepEqual(await read(owner, secret.id), secret);
      });
    });

    describe('versions and revocations (STIX 2.1 section 3.6: only the object creator)', () => {
      it('refuses another member\'s new version, revocation or re-attribution, readable or not, with one answer', async () => {
        const shared = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.green] });
        const hidden = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.red] });
        await post(owner, [shared, hidden]);
        assert.equal((await read(intruder, shared.id))?.id, shared.id);
        assert.equal(await read(intruder, hidden.id), undefined);
        const attempts = (target: StixObject) => [
          { ...target, modified: T1, pattern: "[ipv4-addr:value = '203.0.113.1']" },
          { ...target, modified: T1, revoked: true },
          { ...target, modified: T2, created_by_ref: OTHER_IDENTITY, name: 'mine now' },
          { ...target, modified: T2, object_marking_refs: [TLP2_MARKING_IDS.clear] },
        ].map((o) => (o.created_by_ref === TEST_MEMBER_IDENTITY ? { ...o, created_by_ref: undefined } : o));
        const onReadable = await post(intruder, attempts(shared));
        const onHidden = await post(intruder, attempts(hidden));
        assert.deepEqual(outcomes(onReadable), Array(4).fill('rejected:foreign-version'));
        assert.deepEqual(outcomes(onHidden), outcomes(onReadable), 'the same answer whether or not the writer may read the object');
        assert.deepEqual(
          onHidden.map((o) => o.errors?.[0]?.message),
          onReadable.map((o) => o.errors?.[0]?.message),
        );
        assert.deepEqual(await read(owner, shared.id), shared);
        assert.deepEqual(await read(owner, hidden.id), hidden);
        // Through TAXII too.
        const taxii = await node.app.inject({
          method: 'POST',
          url: collection(),
          payload: JSON.stringify({ objects: attempts(shared) }),
          headers: { authorization: `Bearer ${intruder}`, 'content-type': TAXII_MEDIA_TYPE, accept: TAXII_MEDIA_TYPE },
        });
        assert.equal(taxii.statusCode, 202, taxii.body);
        const status = taxii.json() as { failure_count: number; success_count: number };
        assert.equal(status.success_count, 0);
        assert.equal(status.failure_count, 4);
        assert.deepEqual(await read(owner, shared.id), shared);
        // Sending again a version one may read is harmless; a version of it is not.
        const feed = malware({ created_by_ref: FEED_IDENTITY });
        await post(owner, [feed]);
        assert.deepEqual(outcomes(await post(intruder, [feed, { ...feed, modified: T1, name: 'renamed' }])), ['duplicate', 'rejected:foreign-version']);
      });

      it('lets the creator version and revoke, and nobody version a revoked object', async () => {
        const mine = indicator({ created_by_ref: TEST_MEMBER_IDENTITY });
        await post(owner, [mine]);
        const updated = { ...mine, modified: T1, name: 'updated' };
        const revoked = { ...mine, modified: T2, revoked: true };
        assert.deepEqual(outcomes(await post(owner, [updated, revoked])), ['accepted', 'accepted']);
        assert.equal((await read(owner, mine.id))?.revoked, true);
        const revived = { ...mine, modified: '2024-03-04T10:00:00.000Z', revoked: false };
        assert.deepEqual(outcomes(await post(owner, [revived])), ['rejected:revoked-object']);
        assert.equal((await read(owner, mine.id))?.revoked, true);
      });

      it('gives an object without a member\'s identity to the member that delivered it', async () => {
        const relayed = malware({ created_by_ref: FEED_IDENTITY });
        const anonymous = malware();
        assert.deepEqual(outcomes(await post(intruderSecret, [relayed, anonymous])), ['accepted', 'accepted']);
        assert.deepEqual(outcomes(await post(owner, [{ ...relayed, modified: T1, name: 'x' }, { ...anonymous, modified: T1, name: 'x' }])), ['rejected:foreign-version', 'rejected:foreign-version']);
        assert.deepEqual(outcomes(await post(intruder, [{ ...relayed, modified: T1, name: 'feed update' }])), ['accepted'], 'any user of the delivering member');
        assert.equal((await read(owner, relayed.id))?.name, 'feed update');
      });

      it('lets a peer version only what the members it stands for created', async () => {
        await createPeer(node.ctx, SYSTEM_PRINCIPAL, { name: `peer-${dialect}-v`, members: [OTHER], clearance: 4, roles: ['analyst'] } as Parameters<typeof createPeer>[2]);
        const peer = (await principalOfPeer(node.ctx, `peer-${dialect}-v`))!;
        const ours = indicator({ created_by_ref: TEST_MEMBER_IDENTITY });
        const theirs = indicator({ created_by_ref: OTHER_IDENTITY });
        await post(owner, [ours]);
        await post(intruder, [theirs]);
        const seen: Outcome[] = [];
        await ingestObjects(node.ctx, peer, [{ ...ours, modified: T1, revoked: true }, { ...theirs, modified: T1, revoked: true }], { onOutcome: (o) => seen.push(o) });
        assert.deepEqual(outcomes(seen), ['rejected:foreign-version', 'accepted']);
        assert.equal((await read(owner, ours.id))?.revoked, undefined);
      });

      it('deletes (TAXII) only for the creator, also for an object without a member\'s identity', async () => {
        const relayed = malware({ created_by_ref: FEED_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.green] });
        await post(intruder, [relayed]);
        const remove = (token: string) => node.app.inject({ method: 'DELETE', url: `${collection()}${relayed.id}/`, headers: { authorization: `Bearer ${token}`, accept: TAXII_MEDIA_TYPE } });
        assert.equal((await remove(owner)).statusCode, 403);
        assert.equal((await read(owner, relayed.id))?.id, relayed.id);
        assert.equal((await remove(intruderSecret)).statusCode, 200);
        assert.equal(await read(owner, relayed.id), undefined);
      });
    });

    describe('no existence oracle', () => {
      it('answers an observable the writer may not read exactly as one the node does not hold, and keeps it', async () => {
        const secret = handlingMarkingDefinition({ id: markingId(), created: '2024-01-01T00:00:00.000Z', classification: 'SECRET', releasableTo: [TEST_MEMBER] });
        const held = { type: 'ipv4-addr', spec_version: '2.1', id: 'ipv4-addr--1d6b1c1a-7f0e-5d41-9e3c-0a0b0c0d0e01', value: '192.0.2.77', object_marking_refs: [secret.id] };
        await post(owner, [secret, held]);
        const absent = { type: 'ipv4-addr', spec_version: '2.1', id: 'ipv4-addr--1d6b1c1a-7f0e-5d41-9e3c-0a0b0c0d0e02', value: '192.0.2.78' };
        const probe = { type: 'ipv4-addr', spec_version: '2.1', id: held.id, value: held.value };
        const answers = await post(intruder, [absent, probe]);
        assert.deepEqual(outcomes(answers), ['accepted', 'accepted']);
        // The writer reads what it sent; the holder's copy stays as it was marked.
        assert.deepEqual(await read(intruder, held.id), probe);
        assert.deepEqual(await read(owner, held.id), held);
        // A second time: a duplicate for both, as for anything one may read.
        assert.deepEqual(outcomes(await post(intruder, [absent, probe])), ['duplicate', 'duplicate']);
      });

      it('keeps one copy of an observable its writer marked beyond its own reach, however often it is sent', async () => {
        // The intruder (UNCLASSIFIED, member OTH) may write for another member's eyes only; it
        // may not read that back, and a resend must not add a copy each time (section 3.6: one
        // value, one id).
        const theirsOnly = handlingMarkingDefinition({ id: markingId(), created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: [TEST_MEMBER] });
        const value = { type: 'ipv4-addr', spec_version: '2.1', id: 'ipv4-addr--1d6b1c1a-7f0e-5d41-9e3c-0a0b0c0d0e03', value: '192.0.2.79', object_marking_refs: [theirsOnly.id] };
        assert.deepEqual(outcomes(await post(intruder, [theirsOnly, value])), ['accepted', 'accepted']);
        assert.equal(await read(intruder, value.id), undefined, 'the writer may not read it back');
        assert.deepEqual(await read(owner, value.id), value);
        assert.deepEqual(outcomes(await post(intruder, [theirsOnly, value])), ['duplicate', 'duplicate']);
        assert.deepEqual(outcomes(await post(intruder, [value])), ['duplicate']);
        const rows = await node.ctx.store.db.selectFrom('stix_objects').select(['seq']).where('id', '=', value.id).execute();
        assert.equal(rows.length, 1, 'one stored copy');
      });

      it('answers a delete of an object re-marked out of reach, or of one of its older versions, exactly as one the node does not hold (TAXII 2.1 section 5.8)', async () => {
        // Version 1 for all (TLP:GREEN), version 2 for the test member only: the intruder reads neither any more.
        const v1 = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, created: T1, modified: T1, object_marking_refs: [TLP2_MARKING_IDS.green] });
        const v2 = { ...v1, modified: T2, object_marking_refs: [TLP2_MARKING_IDS.red] };
        assert.deepEqual(outcomes(await post(owner, [v1, v2])), ['accepted', 'accepted']);
        assert.equal((await get(intruder, v1.id)).statusCode, 404);
        const absent = indicator().id;
        const remove = async (id: string, query = '') => {
          const response = await node.app.inject({ method: 'DELETE', url: `${collection()}${id}/${query}`, headers: { authorization: `Bearer ${intruder}`, accept: TAXII_MEDIA_TYPE } });
          return `${response.statusCode} ${(response.json() as { title?: string; description?: string }).description?.replaceAll(id, 'ID') ?? response.body}`;
        };
        const nothing = await remove(absent);
        assert.match(nothing, /^404 /);
        // Before, both were 403 "only the member that created ...": the object is still held.
        assert.equal(await remove(v1.id), nothing, 'the object itself');
        assert.equal(await remove(v1.id, `?match[version]=${T1}`), await remove(absent, `?match[version]=${T1}`), 'its older version, readable alone');
        assert.equal(await remove(v1.id, '?match[version]=first'), await remove(absent, '?match[version]=first'));
        // Nothing was deleted; its originator still deletes it.
        assert.deepEqual(await read(owner, v1.id), v2);
        const own = await node.app.inject({ method: 'DELETE', url: `${collection()}${v1.id}/?match[version]=${T1}`, headers: { authorization: `Bearer ${owner}`, accept: TAXII_MEDIA_TYPE } });
        assert.equal(own.statusCode, 200, own.body);
      });

      it('answers a denied read as fast as an absent id', async () => {
        const hidden = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.red] });
        await post(owner, [hidden]);
        const absent = indicator().id;
        const time = async (id: string) => {
          const started = process.hrtime.bigint();
          const response = await get(intruder, id);
          assert.equal(response.statusCode, 404);
          return Number(process.hrtime.bigint() - started) / 1e6;
        };
        // Alternating, so that the machine's load falls on both alike; the lower quartiles are
        // compared: what a loaded machine adds falls on some reads, what the code adds on every one.
        const denied: number[] = [];
        const missing: number[] = [];
        for (let i = 0; i < 100; i++) {
          denied.push(await time(hidden.id));
          missing.push(await time(absent));
        }
        const quartile = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 2]!;
        // The refused read waited for an audit write before (about three times as slow).
        assert.ok(quartile(denied) < quartile(missing) * 1.5 + 0.1, `lower quartiles: denied ${quartile(denied).toFixed(2)} ms against absent ${quartile(missing).toFixed(2)} ms`);
        const bodies = [(await get(intruder, hidden.id)).json() as { error: { message: string } }, (await get(intruder, absent)).json() as { error: { message: string } }];
        assert.deepEqual(bodies.map((b) => b.error.message.replace(/indicator--[0-9a-f-]+/, 'ID')), ['no object with id ID', 'no object with id ID']);
      });
    });
  });
}
