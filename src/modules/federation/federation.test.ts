/**
 * Federation between two in-process nodes over HTTPS with mutual TLS: pull with a persisted
 * cursor, push of what the peer may receive, no echo, provenance, revocations, a dead peer, and
 * the REST and permission surface.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCa, issue } from '../../core/pki.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { createTestNode, TEST_MEMBER, type TestNode } from '../../../test/support/node.js';
import { createPeer, upsertMembers } from '../directory/directory.service.js';
import * as intel from '../intel/intel.service.js';
import * as federation from './federation.service.js';
import { FederationScheduler } from './federation.scheduler.js';
import { SUITE_LIMIT_MS, waitFor } from '../../../test/support/wait.js';

const DEU_IDENTITY = 'identity--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const MEMBERS = [
  { code: 'DEU', name: 'Germany', kind: 'ally' as const, country: 'DE', identityId: DEU_IDENTITY },
  { code: 'FRA', name: 'France', kind: 'ally' as const, country: 'FR', identityId: null },
];

function handling(classification: string, releasableTo: string[]): StixObject {
  return handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created: '2024-01-01T00:00:00.000Z', classification, releasableTo });
}

for (const dialect of DIALECTS) {
  describe(`federation (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-federation-'));
    let a: TestNode;
    let b: TestNode;
    let urlA: string;
    let urlB: string;
    // Markings on node A, and what node B (standing for DEU, cleared to CONFIDENTIAL) may get.
    const relDeu = handling('UNCLASSIFIED', ['DEU']);
    const relFra = handling('UNCLASSIFIED', ['FRA']);
    const secretAlliance = handling('SECRET', ['ALLIANCE']);
    const confidentialAlliance = handling('CONFIDENTIAL', ['ALLIANCE']);
    const objects = {
      deu: indicator({ name: 'released to DEU', object_marking_refs: [TLP2_MARKING_IDS.green, relDeu.id] }),
      clear: indicator({ name: 'clear', object_marking_refs: [TLP2_MARKING_IDS.clear] }),
      allianceConfidential: indicator({ name: 'alliance confidential', object_marking_refs: [TLP2_MARKING_IDS.amber, confidentialAlliance.id] }),
      strict: indicator({ name: 'amber+strict to DEU', object_marking_refs: [TLP2_MARKING_IDS['amber+strict'], relDeu.id] }),
      red: indicator({ name: 'red', object_marking_refs: [TLP2_MARKING_IDS.red, relDeu.id] }),
      fra: indicator({ name: 'released to FRA only', object_marking_refs: [relFra.id] }),
      secret: indicator({ name: 'secret', object_marking_refs: [secretAlliance.id] }),
    };
    const entitled = ['deu', 'clear', 'allianceConfidential'] as const;

    const file = (name: string, text: string) => {
      const at = path.join(dir, name);
      writeFileSync(at, text);
      return at;
    };

    before(async () => {
      const ca = await createCa('Federation test CA');
      const caFile = file('ca.crt', ca.certPem);
      const certs: Record<string, { cert: string; key: string }> = {};
      for (const name of ['node-a', 'node-b']) {
        const issued = await issue(ca, { commonName: name, usage: 'server', ips: ['127.0.0.1'] });
        certs[name] = { cert: file(`${name}.crt`, issued.certPem), key: file(`${name}.key`, issued.keyPem) };
      }
      const nodeOf = async (name: string) => {
        const issued = certs[name]!;
        const { readFileSync } = await import('node:fs');
        const node = await createTestNode(
          dialect,
          { tlsCert: issued.cert, tlsKey: issued.key, tlsClientCa: caFile, secretKeyFile: path.join(dir, `${name}.key.secret`) },
          { cert: readFileSync(issued.cert, 'utf8'), key: readFileSync(issued.key, 'utf8'), ca: ca.certPem },
        );
        await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, MEMBERS);
        await node.app.listen({ host: '127.0.0.1', port: 0 });
        const address = node.app.server.address();
        return { node, url: `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/taxii2/intel/` };
      };
      ({ node: a, url: urlA } = await nodeOf('node-a'));
      ({ node: b, url: urlB } = await nodeOf('node-b'));
      // A knows B as the node of DEU, cleared to CONFIDENTIAL; B pulls from A and pushes to it.
      await createPeer(a.ctx, SYSTEM_PRINCIPAL, { name: 'node-b', members: ['DEU'], clearance: 2, roles: ['analyst'], url: urlB, direction: 'push', auth: 'mtls', caFile });
      await createPeer(b.ctx, SYSTEM_PRINCIPAL, { name: 'node-a', members: [TEST_MEMBER], clearance: 2, roles: ['analyst'], url: urlA, direction: 'both', auth: 'mtls', caFile });
      const summary = await intel.ingestObjects(a.ctx, SYSTEM_PRINCIPAL, [relDeu, relFra, secretAlliance, confidentialAlliance, ...Object.values(objects)]);
      assert.equal(summary.rejected, 0);
    });
    after(async () => {
      await federation.closeClients(a.ctx);
      await federation.closeClients(b.ctx);
      await a?.close();
      await b?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** The indicators stored on a node, whoever may read them. */
    const idsOn = async (node: TestNode) => {
      const rows = await node.ctx.store.db.selectFrom('stix_objects').select('id').distinct().where('type', '=', 'indicator').execute();
      return new Set(rows.map((r) => r.id));
    };
    const deuUser: Principal = { kind: 'user', name: 'd', userName: 'd', roles: ['analyst'], member: { code: 'DEU', kind: 'ally', identityId: DEU_IDENTITY, groups: ['ALLIANCE'] }, clearance: 4 };
    // What more than one test starts from, made by whichever needs it first (every test begins
    // with B's first pull from A): each test runs alone (--test-name-pattern) or after the others.
    let firstPull: ReturnType<typeof federation.pull> | undefined;
    const pulledOnce = () => (firstPull ??= federation.pull(b.ctx, 'node-a'));
    let dead: Promise<unknown> | undefined;
    const deadPeer = () =>
      (dead ??= createPeer(b.ctx, SYSTEM_PRINCIPAL, { name: 'dead-node', members: ['FRA'], clearance: 0, roles: ['analyst'], url: 'https://127.0.0.1:1/taxii2/intel/', direction: 'both', auth: 'none' }));
    /** Of the objects A started with, those stored on a node. */
    const startedWith = new Set(Object.values(objects).map((o) => o.id));
    const ofThese = (ids: Iterable<string>) => [...ids].filter((id) => startedWith.has(id)).sort();

    it('pulls exactly what the peer may receive: no RED, no AMBER+STRICT, nothing unreleased or above its clearance', async () => {
      const result = await pulledOnce();
      assert.equal(result.rejected, 0, result.rejections.join('; '));
      assert.deepEqual(ofThese(await idsOn(b)), entitled.map((k) => objects[k].id).sort());
      // The markings came along, so B enforces them too: a FRA user on B reads none of DEU's.
      const fraUser: Principal = { kind: 'user', name: 'f', userName: 'f', roles: ['analyst'], member: { code: 'FRA', kind: 'ally', identityId: null, groups: ['ALLIANCE'] }, clearance: 4 };
      const fraSees = await intel.listObjects(b.ctx, fraUser, { types: ['indicator'], limit: 100 });
      assert.deepEqual(ofThese(fraSees.objects.map((o) => o.id)), [objects.clear.id, objects.allianceConfidential.id].sort());
    });

    it('resumes from its cursor: a second pull stores nothing again, then only what is new', async () => {
      const first = await pulledOnce();
      // Up to date with A, whatever other tests added there since.
      await federation.pull(b.ctx, 'node-a');
      const [before] = await federation.peerStatus(b.ctx, SYSTEM_PRINCIPAL, 'node-a');
      // Only what was added at the cursor's very instant comes again (one object: a Shieldwall
      // node gives each its own date_added), reported as a duplicate.
      const again = await federation.pull(b.ctx, 'node-a');
      assert.deepEqual([again.objects, again.duplicate, again.accepted], [1, 1, 0]);
      const fresh = indicator({ name: 'new on A', object_marking_refs: [TLP2_MARKING_IDS.green] });
      await intel.ingestObjects(a.ctx, SYSTEM_PRINCIPAL, [fresh]);
      const next = await federation.pull(b.ctx, 'node-a');
      assert.deepEqual([next.objects, next.duplicate, next.accepted], [2, 1, 1]);
      assert.ok((await idsOn(b)).has(fresh.id));
      const [status] = await federation.peerStatus(b.ctx, SYSTEM_PRINCIPAL, 'node-a');
      assert.ok(status!.pullCursor, 'the cursor is stored');
      // The first pull: the three entitled indicators and the four handling marking-definitions
      // (readable by all, so that receivers can enforce them); since then, the new one.
      assert.equal(first.accepted, entitled.length + 4);
      assert.equal(status!.pulled, before!.pulled + 1);
    });

    it('records provenance, and pushes nothing back to the peer it came from', async () => {
      await pulledOnce();
      const { receipts } = await federation.provenance(b.ctx, deuUser, objects.deu.id);
      assert.deepEqual(receipts.map((r) => [r.peer, r.version]), [['node-a', intel.versionKey(objects.deu.modified as string)]]);
      // Something new on A, pulled to B: B's next push leaves it out, it came from A.
      const fromA = indicator({ name: 'from A, not to be echoed', object_marking_refs: [TLP2_MARKING_IDS.green] });
      await intel.ingestObjects(a.ctx, SYSTEM_PRINCIPAL, [fromA]);
      await federation.pull(b.ctx, 'node-a');
      assert.ok((await idsOn(b)).has(fromA.id));
      const pushed = await federation.push(b.ctx, 'node-a');
      assert.equal(pushed.objects, 0, 'everything B holds came from A');
      assert.ok(pushed.echoes > 0);
    });

    it('pushes new intelligence, which the receiving node records as delivered by the pusher', async () => {
      await pulledOnce();
      const mine = indicator({ name: 'seen by DEU', created_by_ref: DEU_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.green] });
      await intel.ingestObjects(b.ctx, SYSTEM_PRINCIPAL, [mine]);
      const pushed = await federation.push(b.ctx, 'node-a');
      assert.equal(pushed.objects, 1);
      assert.equal(pushed.accepted, 1);
      assert.ok((await idsOn(a)).has(mine.id));
      const { receipts } = await federation.provenance(a.ctx, deuUser, mine.id);
      assert.deepEqual(receipts.map((r) => r.peer), ['node-b']);
      // And A, pushing to B, leaves it out (it came from B).
      const back = await federation.push(a.ctx, 'node-b');
      assert.ok(back.echoes >= 1);
      const onB = await intel.getVersions(b.ctx, deuUser, mine.id);
      assert.equal(onB.length, 1, 'no second copy');
    });

    it('propagates a revocation as the new version it is', async () => {
      await pulledOnce();
      const revoked = { ...objects.clear, modified: '2024-06-01T00:00:00.000Z', revoked: true };
      await intel.ingestObjects(a.ctx, SYSTEM_PRINCIPAL, [revoked]);
      await federation.pull(b.ctx, 'node-a');
      const onB = await intel.getObject(b.ctx, SYSTEM_PRINCIPAL, objects.clear.id);
      assert.equal(onB.revoked, true);
    });

    it('keeps a peer failure to that peer: recorded, the scheduler backs off, others go on', async () => {
      await pulledOnce();
      await deadPeer();
      const [before] = await federation.peerStatus(b.ctx, SYSTEM_PRINCIPAL, 'dead-node');
      const result = await federation.syncPeer(b.ctx, SYSTEM_PRINCIPAL, 'dead-node');
      assert.match(result.error ?? '', /ECONNREFUSED|connect/i);
      const [failing] = await federation.peerStatus(b.ctx, SYSTEM_PRINCIPAL, 'dead-node');
      assert.equal(failing!.failures, before!.failures + 1);
      assert.ok(failing!.lastError);
      // With the scheduler running, new intelligence on B still reaches A within moments.
      const scheduler = new FederationScheduler(b.ctx);
      await scheduler.start();
      try {
        const live = indicator({ name: 'live', object_marking_refs: [TLP2_MARKING_IDS.green] });
        await intel.ingestObjects(b.ctx, SYSTEM_PRINCIPAL, [live]);
        await waitFor('the push to A', async () => (await idsOn(a)).has(live.id));
      } finally {
        await scheduler.stop();
      }
      const [afterwards] = await federation.peerStatus(b.ctx, SYSTEM_PRINCIPAL, 'dead-node');
      assert.ok(afterwards!.failures >= failing!.failures + 1, 'the dead peer kept failing on its own');
    });

    it('REST: node administrators add and sync peers; readers see state but never secrets', async () => {
      await pulledOnce();
      await deadPeer();
      const admin = { authorization: `Bearer ${b.tokens['node-admin']}` };
      const analyst = { authorization: `Bearer ${b.tokens.analyst}` };
      const body = { name: 'cti-feed', members: ['FRA'], clearance: 0, roles: ['analyst'], url: 'https://cti.example/taxii2/root/', pull_collection: 'c1', direction: 'pull', auth: 'token', secret: 's3cret-token-value' };
      assert.equal((await b.app.inject({ method: 'POST', url: '/api/v1/peers', headers: analyst, payload: body })).statusCode, 403);
      const created = await b.app.inject({ method: 'POST', url: '/api/v1/peers', headers: admin, payload: body });
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(created.json().has_secret, true);
      assert.doesNotMatch(created.body, /s3cret/);
      const listed = await b.app.inject({ method: 'GET', url: '/api/v1/peers', headers: admin });
      assert.equal(listed.statusCode, 200);
      assert.doesNotMatch(listed.body, /s3cret/);
      const names = (listed.json() as { peers: Array<{ name: string }> }).peers.map((p) => p.name);
      assert.deepEqual(names, ['cti-feed', 'dead-node', 'node-a']);
      const bad = await b.app.inject({ method: 'POST', url: '/api/v1/peers', headers: admin, payload: { ...body, name: 'x', direction: 'pull', url: undefined } });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error.message, /--url/);
      const sync = await b.app.inject({ method: 'POST', url: '/api/v1/peers/node-a/sync?direction=pull', headers: admin });
      assert.equal(sync.statusCode, 200, sync.body);
      assert.equal(sync.json().pull.rejected, 0);
      const failed = await b.app.inject({ method: 'POST', url: '/api/v1/peers/dead-node/sync', headers: admin });
      assert.equal(failed.statusCode, 502);
      assert.equal(failed.json().error.code, 'SW_PEER_FAILED');
      assert.equal((await b.app.inject({ method: 'POST', url: '/api/v1/peers/nobody/sync', headers: admin })).statusCode, 404);
      // The sealed secret is not the secret.
      const row = await b.ctx.store.db.selectFrom('peers').select('secret').where('name', '=', 'cti-feed').executeTakeFirstOrThrow();
      assert.ok(row.secret?.startsWith('v1:'));
      assert.ok(!row.secret!.includes('s3cret'));
    });
  });
}
