/**
 * The proof of ownership: random sequences of writes (new objects, versions, revocations,
 * re-attributions, deletions) by random members, through REST, TAXII and a federation peer,
 * never change another member's object. STIX 2.1 section 3.6: only the object creator creates
 * new versions of an object or revokes it. Each version is tagged with who wrote it; after each
 * sequence every stored version of every object must have been written by its creator, and an
 * object must be gone only if its creator deleted it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createPeer, createToken, createUser, principalOfPeer, upsertMembers } from '../src/modules/directory/directory.service.js';
import { findVersions } from '../src/modules/intel/intel.repo.js';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { createCollection, TAXII_MEDIA_TYPE } from '../src/modules/taxii/taxii.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { bundle, indicator } from './support/factories.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const MEMBERS = ['PA', 'PB', 'PC'] as const;
type Member = (typeof MEMBERS)[number];
const identityOf = (m: Member) => `identity--0000000${MEMBERS.indexOf(m)}-aaaa-4bbb-8ccc-000000000001`;
const FEED = 'identity--0000000f-aaaa-4bbb-8ccc-000000000001';
/** Writers: a user of each member; the peer stands for PC. */
type Writer = Member | 'peer';
const WRITERS: readonly Writer[] = [...MEMBERS, 'peer'];
const CHANNELS = ['rest', 'taxii'] as const;
const TLPS = [TLP2_MARKING_IDS.clear, TLP2_MARKING_IDS.green, TLP2_MARKING_IDS.amber, TLP2_MARKING_IDS.red];

type Op =
  | { kind: 'create'; writer: Writer; attribution: 'own' | 'feed' | 'none'; tlp: number; channel: number }
  | { kind: 'version'; writer: Writer; target: number; attribution: 'same' | 'own' | 'none'; revoke: boolean; tlp: number; channel: number }
  | { kind: 'delete'; writer: Member; target: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), writer: fc.constantFrom(...WRITERS), attribution: fc.constantFrom('own' as const, 'feed' as const, 'none' as const), tlp: fc.nat(3), channel: fc.nat(1) }),
  fc.record({ kind: fc.constant('version' as const), writer: fc.constantFrom(...WRITERS), target: fc.nat(), attribution: fc.constantFrom('same' as const, 'own' as const, 'none' as const), revoke: fc.boolean(), tlp: fc.nat(3), channel: fc.nat(1) }),
  fc.record({ kind: fc.constant('delete' as const), writer: fc.constantFrom(...MEMBERS), target: fc.nat() }),
);

interface Known {
  id: string;
  /** Who created it: the member (or peer) that may version it. */
  creator: Writer;
  createdByRef: string | undefined;
  current: StixObject;
  deleted: boolean;
  revoked: boolean;
}

for (const dialect of DIALECTS) {
  describe(`ownership under random writes (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const tokens = {} as Record<Member, string>;
    let peer: Principal;
    let collection = '';
    let clock = Date.parse('2024-04-01T00:00:00.000Z');
    const nextTime = () => new Date((clock += 1000)).toISOString();

    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, MEMBERS.map((code) => ({ code, name: code, kind: 'ally' as const, country: null, identityId: identityOf(code) })));
      for (const code of MEMBERS) {
        await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: `u-${code.toLowerCase()}`, member: code, clearance: 4, roles: ['analyst'] });
        tokens[code] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: `u-${code.toLowerCase()}`, user: `u-${code.toLowerCase()}` })).token;
      }
      await createPeer(node.ctx, SYSTEM_PRINCIPAL, { name: 'peer-pc', members: ['PC'], clearance: 4, roles: ['analyst'] } as Parameters<typeof createPeer>[2]);
      peer = (await principalOfPeer(node.ctx, 'peer-pc'))!;
      collection = `/taxii2/intel/collections/${(await createCollection(node.ctx, SYSTEM_PRINCIPAL, { alias: 'writes', title: 'Writes', audience: null })).id}/objects/`;
    });
    after(async () => node?.close());

    const send = async (writer: Writer, channel: number, object: StixObject) => {
      if (writer === 'peer') {
        await ingestObjects(node.ctx, peer, [object]);
        return;
      }
      const headers = { authorization: `Bearer ${tokens[writer]}` };
      const response =
        CHANNELS[channel] === 'rest'
          ? await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: bundle([object]), headers: { ...headers, 'content-type': 'application/json' } })
          : await node.app.inject({ method: 'POST', url: collection, payload: JSON.stringify({ objects: [object] }), headers: { ...headers, 'content-type': TAXII_MEDIA_TYPE, accept: TAXII_MEDIA_TYPE } });
      assert.ok(response.statusCode === 200 || response.statusCode === 202, response.body);
    };

    it('never lets a member (or a peer) change, revoke or delete what another created', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 30 }), async (ops) => {
          const known: Known[] = [];
          for (const step of ops) {
            if (step.kind === 'create') {
              const member: Member = step.writer === 'peer' ? 'PC' : step.writer;
              const createdByRef = step.attribution === 'own' ? identityOf(member) : step.attribution === 'feed' ? FEED : undefined;
              const at = nextTime();
              const object = indicator({ created: at, modified: at, name: `by ${step.writer}`, object_marking_refs: [TLPS[step.tlp]!], ...(createdByRef ? { created_by_ref: createdByRef } : {}) });
              await send(step.writer, step.channel, object);
              // The creator: the member of the identity, else whoever delivered it (a user of a member, or the peer).
              known.push({ id: object.id, creator: createdByRef === identityOf(member) ? member : step.writer, createdByRef, current: object, deleted: false, revoked: false });
            } else if (known.length > 0) {
              const target = known[step.target % known.length]!;
              // A deleted id is no longer held (see docs/SECURITY.md): nothing to protect.
              if (target.deleted) continue;
              if (step.kind === 'version') {
                const member: Member = step.writer === 'peer' ? 'PC' : step.writer;
                const createdByRef = step.attribution === 'same' ? target.createdByRef : step.attribution === 'own' ? identityOf(member) : undefined;
                const { created_by_ref: _dropped, ...rest } = target.current;
                const version: StixObject = { ...rest, modified: nextTime(), name: `by ${step.writer}`, object_marking_refs: [TLPS[step.tlp]!], ...(createdByRef ? { created_by_ref: createdByRef } : {}), ...(step.revoke ? { revoked: true } : {}) };
                await send(step.writer, step.channel, version);
                const creatorWrites = step.writer === target.creator || (target.creator === 'PC' && step.writer === 'peer' && target.createdByRef === identityOf('PC'));
                if (creatorWrites && createdByRef === target.createdByRef && !target.revoked) {
                  target.current = version;
                  target.revoked = step.revoke;
                }
              } else {
                const response = await node.app.inject({ method: 'DELETE', url: `${collection}${target.id}/`, headers: { authorization: `Bearer ${tokens[step.writer]}`, accept: TAXII_MEDIA_TYPE } });
                // Deleting needs reading too: a relayed TLP:RED object names no user here, so nobody reads it.
                const readable = target.createdByRef === identityOf(step.writer) || !(target.current.object_marking_refs as string[]).includes(TLP2_MARKING_IDS.red);
                if (step.writer === target.creator && readable) {
                  assert.equal(response.statusCode, 200, `the creator deletes: ${response.body}`);
                  target.deleted = true;
                } else assert.notEqual(response.statusCode, 200, `${step.writer} may not delete what ${target.creator} created`);
              }
            }
          }
          for (const object of known) {
            // What the store holds, whoever may read it.
            const versions = (await findVersions(node.ctx.store, object.id)).map((row) => JSON.parse(row.body) as StixObject);
            if (object.deleted) {
              assert.equal(versions.length, 0, `${object.id} was deleted by its creator`);
              continue;
            }
            assert.ok(versions.length > 0, `${object.id} (created by ${object.creator}) is still there`);
            const writers = new Set(versions.map((v) => String(v.name).slice(3)));
            // The peer writes for PC, and PC's users for the peer's PC objects.
            const allowed = object.creator === 'PC' && object.createdByRef === identityOf('PC') ? new Set(['PC', 'peer']) : new Set([object.creator]);
            for (const writer of writers) assert.ok(allowed.has(writer as Writer), `${object.id}, created by ${object.creator}, has a version by ${writer}`);
            const newest = versions[versions.length - 1]!;
            assert.equal(newest.modified, object.current.modified, `${object.id}: the current version is the creator's last`);
          }
        }),
        { numRuns: 8, seed: 20261202 },
      );
    });
  });
}
