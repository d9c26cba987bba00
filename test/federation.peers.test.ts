/**
 * Federation with a third-party TAXII 2.1 server (a fake one, in this process): pulls that lose
 * nothing when many objects share one date_added and the pull breaks off, every version of an
 * object, a per-peer page timeout, push refusals and cursors as FEDERATION.md says, per-peer
 * metrics, and peers edited, disabled, enabled and removed by node administrators.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildApp, type Node } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import * as audit from '../src/modules/audit/audit.service.js';
import { createPeer, upsertMembers } from '../src/modules/directory/directory.service.js';
import * as federation from '../src/modules/federation/federation.service.js';
import * as intel from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { createTestStore, DIALECTS, dialectSkip, type TestStore } from './support/dialects.js';
import { indicator } from './support/factories.js';
import { FakeTaxiiPeer } from './support/federation.js';
import { createTestNode, TEST_MEMBER, type TestNode } from './support/node.js';
import { REPO_ROOT } from './support/paths.js';
import { BIN, runCli } from './support/process.js';
import { lastLines, SUITE_LIMIT_MS, until } from './support/wait.js';

const FRA = { code: 'FRA', name: 'France', kind: 'ally' as const, country: 'FR', identityId: null };

for (const dialect of DIALECTS) {
  describe(`federation with a third-party TAXII server (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const fakes: FakeTaxiiPeer[] = [];
    const admin = () => ({ authorization: `Bearer ${node.tokens['node-admin']}` });

    /** A fake peer, and the peer that pulls from (or pushes to) it on this node. */
    const peerOn = async (name: string, direction: 'pull' | 'push', extra: Record<string, unknown> = {}) => {
      const fake = new FakeTaxiiPeer();
      await fake.start();
      fakes.push(fake);
      const created = await node.app.inject({
        method: 'POST',
        url: '/api/v1/peers',
        headers: admin(),
        payload: { name, members: [TEST_MEMBER], clearance: 0, roles: ['analyst'], url: fake.apiRoot, pull_collection: 'c1', direction, auth: 'none', ...extra },
      });
      assert.equal(created.statusCode, 201, created.body);
      // Standing for the member with a role that grants what node-admin does not: a second node
      // administrator enables it (the two-person rule; src/modules/directory/directory.admin.test.ts).
      assert.equal(created.json().disabled, true);
      const enabled = await node.app.inject({ method: 'POST', url: `/api/v1/peers/${name}/enable`, headers: { authorization: `Bearer ${node.secondAdminToken}` } });
      assert.equal(enabled.statusCode, 200, enabled.body);
      return fake;
    };
    const storedCount = async (ids: string[]) => {
      let n = 0;
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await node.ctx.store.db.selectFrom('stix_objects').select('id').distinct().where('id', 'in', ids.slice(i, i + 500)).execute();
        n += rows.length;
      }
      return n;
    };

    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [FRA]);
    });
    after(async () => {
      await federation.closeClients(node.ctx);
      await Promise.all(fakes.map((f) => f.stop()));
      await node?.close();
    });

    it('a pull broken off inside a group sharing one date_added resumes and loses none of it', async () => {
      const fake = await peerOn('same-date', 'pull');
      const dateAdded = '2025-03-01T10:00:00.000Z';
      const objects = Array.from({ length: 1200 }, (_, i) => indicator({ name: `same date ${i}`, object_marking_refs: [TLP2_MARKING_IDS.clear] }));
      fake.entries.push(...objects.map((object) => ({ object, dateAdded })));
      fake.pageSize = 50;
      fake.breakAfter = 150;
      await assert.rejects(federation.pull(node.ctx, 'same-date'));
      const before = await storedCount(objects.map((o) => o.id));
      assert.ok(before >= 100 && before < 1200, `stored before the break: ${before}`);
      const [state] = await federation.peerStatus(node.ctx, SYSTEM_PRINCIPAL, 'same-date');
      assert.ok(state!.pullCursor, 'the cursor moved with the pages stored before the break');
      // The node comes back: new connections, the cursor from the store.
      await federation.closeClients(node.ctx);
      const resumed = await federation.pull(node.ctx, 'same-date');
      assert.equal(resumed.rejected, 0, resumed.rejections.join('; '));
      assert.equal(await storedCount(objects.map((o) => o.id)), 1200, 'every object of the group is on the node');
      assert.equal(resumed.accepted, 1200 - before);
      // What was stored before the break came again and was counted a duplicate, not stored twice.
      assert.equal(resumed.duplicate, before);
      const versions = await node.ctx.store.db.selectFrom('stix_objects').select('id').where('id', '=', objects[0]!.id).execute();
      assert.equal(versions.length, 1);
      // A later addition with the same date_added (a server with coarse timestamps) still arrives.
      const late = indicator({ name: 'late, same date', object_marking_refs: [TLP2_MARKING_IDS.clear] });
      fake.entries.push({ object: late, dateAdded });
      const again = await federation.pull(node.ctx, 'same-date');
      assert.equal(again.accepted, 1);
      assert.equal(await storedCount([late.id]), 1);
    });

    it('pages a server that gives no next by added_after without skipping a group, and refuses one it cannot page', async () => {
      const fake = await peerOn('no-next', 'pull');
      fake.noNext = true;
      fake.pageSize = 50;
      // Three groups of 40 sharing a date_added each: every page but the last ends inside a group.
      const objects = Array.from({ length: 120 }, (_, i) => indicator({ name: `group ${Math.floor(i / 40)}`, object_marking_refs: [TLP2_MARKING_IDS.clear] }));
      fake.entries.push(...objects.map((object, i) => ({ object, dateAdded: `2025-04-0${1 + Math.floor(i / 40)}T00:00:00.000Z` })));
      const result = await federation.pull(node.ctx, 'no-next');
      assert.equal(result.rejected, 0, result.rejections.join('; '));
      assert.equal(await storedCount(objects.map((o) => o.id)), 120);
      // 60 objects at one instant, pages of 50 and no next: no way on without skipping ten.
      const stuck = await peerOn('no-next-stuck', 'pull');
      stuck.noNext = true;
      stuck.pageSize = 50;
      stuck.entries.push(...Array.from({ length: 60 }, () => ({ object: indicator({ object_marking_refs: [TLP2_MARKING_IDS.clear] }), dateAdded: '2025-05-01T00:00:00.000Z' })));
      await assert.rejects(federation.pull(node.ctx, 'no-next-stuck'), /share date_added 2025-05-01T00:00:00.000Z.*without skipping/);
    });

    it('pulls every version of an object (match[version]=all), not only the last', async () => {
      const fake = await peerOn('all-versions', 'pull');
      const v1 = indicator({ name: 'first version', object_marking_refs: [TLP2_MARKING_IDS.clear], modified: '2025-01-01T00:00:00.000Z' });
      const v2 = { ...v1, name: 'second version', modified: '2025-02-01T00:00:00.000Z' };
      const v3 = { ...v1, name: 'third version', modified: '2025-03-01T00:00:00.000Z' };
      fake.entries.push({ object: v1, dateAdded: '2025-01-01T00:00:00.100Z' }, { object: v2, dateAdded: '2025-02-01T00:00:00.100Z' }, { object: v3, dateAdded: '2025-03-01T00:00:00.100Z' });
      const result = await federation.pull(node.ctx, 'all-versions');
      assert.equal(result.rejected, 0, result.rejections.join('; '));
      assert.ok(fake.objectQueries().every((q) => q.get('match[version]') === 'all'), 'every Get Objects request asks for all versions');
      const versions = await intel.getVersions(node.ctx, SYSTEM_PRINCIPAL, v1.id);
      assert.deepEqual(versions.map((v) => v.name).sort(), ['first version', 'second version', 'third version']);
    });

    it('waits for a slow first page as long as the peer setting says, and no longer', async () => {
      const fake = await peerOn('slow', 'pull', { page_timeout_s: 1 });
      fake.entries.push({ object: indicator({ object_marking_refs: [TLP2_MARKING_IDS.clear] }), dateAdded: '2025-01-01T00:00:00Z' });
      fake.delayMs = 2500;
      const shown = await node.app.inject({ method: 'GET', url: '/api/v1/peers/slow', headers: admin() });
      assert.equal(shown.json().page_timeout_s, 1);
      const failed = await node.app.inject({ method: 'POST', url: '/api/v1/peers/slow/sync', headers: admin() });
      assert.equal(failed.statusCode, 502, failed.body);
      assert.match(failed.json().error.message, /timeout|timed out/i);
      const edited = await node.app.inject({ method: 'PATCH', url: '/api/v1/peers/slow', headers: admin(), payload: { page_timeout_s: 120 } });
      assert.equal(edited.statusCode, 200, edited.body);
      const synced = await node.app.inject({ method: 'POST', url: '/api/v1/peers/slow/sync', headers: admin() });
      assert.equal(synced.statusCode, 200, synced.body);
      assert.equal(synced.json().pull.accepted, 1);
      const bad = await node.app.inject({ method: 'PATCH', url: '/api/v1/peers/slow', headers: admin(), payload: { page_timeout_s: 0 } });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error.message, /page_timeout_s/);
    });

    it('counts the objects a peer refuses in its refused, and moves the push cursor per request', async () => {
      const fake = await peerOn('refuser', 'push');
      // Everything readable to the peer on this node so far, then 1,200 more: at least two requests.
      const fresh = Array.from({ length: 1200 }, (_, i) => indicator({ name: `to push ${i}`, object_marking_refs: [TLP2_MARKING_IDS.clear] }));
      await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, fresh);
      fake.refuse = new Set([fresh[0]!.id, fresh[1]!.id, fresh[1199]!.id]);
      fake.failAddFrom = 2;
      await assert.rejects(federation.push(node.ctx, 'refuser'), /500/);
      const [afterFirst] = await federation.peerStatus(node.ctx, SYSTEM_PRINCIPAL, 'refuser');
      assert.equal(fake.received.length + afterFirst!.refused, federation.PUSH_BATCH, 'one request went through');
      assert.ok(afterFirst!.pushCursor > 0, 'the cursor moved past the accepted request');
      const sentFirst = fake.received.length + afterFirst!.refused;
      fake.failAddFrom = undefined;
      const rest = await federation.push(node.ctx, 'refuser');
      const [done] = await federation.peerStatus(node.ctx, SYSTEM_PRINCIPAL, 'refuser');
      const ids = fake.received.map((o) => o.id);
      assert.equal(new Set(ids).size, ids.length, 'nothing sent twice');
      assert.ok(fresh.slice(2, 1199).every((o) => ids.includes(o.id)), 'every object the peer accepts arrived');
      assert.equal(done!.refused, 3, 'refusals are counted in the state');
      assert.equal(rest.objects + sentFirst, ids.length + 3);
      assert.equal(done!.pushed, ids.length);
    });

    it('exposes per-peer figures on /metrics', async () => {
      const source = await peerOn('metered-in', 'pull');
      for (const at of ['2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z']) source.entries.push({ object: indicator({ object_marking_refs: [TLP2_MARKING_IDS.clear] }), dateAdded: at });
      assert.equal((await node.app.inject({ method: 'POST', url: '/api/v1/peers/metered-in/sync', headers: admin() })).statusCode, 200);
      const sink = await peerOn('metered-out', 'push');
      const mine = Array.from({ length: 3 }, () => indicator({ object_marking_refs: [TLP2_MARKING_IDS.clear] }));
      await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, mine);
      sink.failAddFrom = 1;
      assert.equal((await node.app.inject({ method: 'POST', url: '/api/v1/peers/metered-out/sync', headers: admin() })).statusCode, 502);
      sink.failAddFrom = undefined;
      sink.refuse = new Set([mine[0]!.id]);
      assert.equal((await node.app.inject({ method: 'POST', url: '/api/v1/peers/metered-out/sync', headers: admin() })).statusCode, 200);
      const metrics = await node.app.inject({ method: 'GET', url: '/metrics', headers: admin() });
      assert.equal(metrics.statusCode, 200);
      const value = (name: string, labels: string) => {
        const line = metrics.body.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
        assert.ok(line, `${name}{${labels}} in /metrics`);
        return Number(line.split(' ').pop());
      };
      assert.equal(value('shieldwall_federation_objects_total', 'peer="metered-in",direction="in"'), 2);
      assert.equal(value('shieldwall_federation_refused_total', 'peer="metered-out",direction="out"'), 1);
      assert.equal(value('shieldwall_federation_refused_total', 'peer="metered-out",direction="in"'), 0);
      assert.equal(value('shieldwall_federation_objects_total', 'peer="metered-out",direction="out"'), sink.received.length);
      assert.ok(sink.received.length >= 2);
      assert.equal(value('shieldwall_federation_errors_total', 'peer="metered-out"'), 1);
      assert.equal(value('shieldwall_federation_errors_total', 'peer="metered-in"'), 0);
      assert.equal(value('shieldwall_federation_failures_in_a_row', 'peer="metered-out"'), 0);
      const last = value('shieldwall_federation_last_success_timestamp_seconds', 'peer="metered-in",direction="pull"');
      assert.ok(Math.abs(last - Date.now() / 1000) < 600, `last success ${last}`);
      const lag = value('shieldwall_federation_lag_seconds', 'peer="metered-out",direction="push"');
      assert.ok(lag >= 0 && lag < 600, `lag ${lag}`);
    });

    it('node administrators edit, disable, enable and remove peers; provenance stays', async () => {
      const fake = await peerOn('editable', 'pull');
      fake.entries.push({ object: indicator({ object_marking_refs: [TLP2_MARKING_IDS.clear] }), dateAdded: '2025-01-01T00:00:00Z' });
      await federation.pull(node.ctx, 'editable');
      const analyst = { authorization: `Bearer ${node.tokens.analyst}` };
      for (const [method, url] of [['PATCH', '/api/v1/peers/editable'], ['POST', '/api/v1/peers/editable/disable'], ['POST', '/api/v1/peers/editable/enable'], ['DELETE', '/api/v1/peers/editable']] as const) {
        const refused = await node.app.inject({ method, url, headers: analyst, ...(method === 'PATCH' ? { payload: { interval_s: 5 } } : {}) });
        assert.equal(refused.statusCode, 403, `${method} ${url}: ${refused.body}`);
      }
      const missing = await node.app.inject({ method: 'PATCH', url: '/api/v1/peers/nobody', headers: admin(), payload: { interval_s: 5 } });
      assert.equal(missing.statusCode, 404);
      const edited = await node.app.inject({ method: 'PATCH', url: '/api/v1/peers/editable', headers: admin(), payload: { interval_s: 5, members: ['FRA', TEST_MEMBER] } });
      assert.equal(edited.statusCode, 200, edited.body);
      assert.deepEqual([edited.json().interval_s, edited.json().members], [5, ['FRA', TEST_MEMBER]]);
      // Standing for FRA too, whose intelligence the administrator does not read: it waits for a second one.
      assert.deepEqual([edited.json().disabled, edited.json().awaiting_approval_by], [true, ['test-node-admin']]);
      const own = await node.app.inject({ method: 'POST', url: '/api/v1/peers/editable/enable', headers: admin() });
      assert.equal(own.statusCode, 403, own.body);
      assert.equal(own.json().error.code, 'SW_SECOND_PERSON_REQUIRED');
      const second = await node.app.inject({ method: 'POST', url: '/api/v1/peers/editable/enable', headers: { authorization: `Bearer ${node.secondAdminToken}` } });
      assert.deepEqual([second.statusCode, second.json().disabled, second.json().awaiting_approval_by], [200, false, []]);
      const badMember = await node.app.inject({ method: 'PATCH', url: '/api/v1/peers/editable', headers: admin(), payload: { members: ['XXX'] } });
      assert.equal(badMember.statusCode, 404);
      assert.match(badMember.json().error.message, /XXX/);
      const noUrl = await node.app.inject({ method: 'PATCH', url: '/api/v1/peers/editable', headers: admin(), payload: { url: null } });
      assert.equal(noUrl.statusCode, 400);
      assert.match(noUrl.json().error.message, /direction/);

      const disabled = await node.app.inject({ method: 'POST', url: '/api/v1/peers/editable/disable', headers: admin() });
      assert.equal(disabled.statusCode, 200, disabled.body);
      assert.equal(disabled.json().disabled, true);
      const blocked = await node.app.inject({ method: 'POST', url: '/api/v1/peers/editable/sync', headers: admin() });
      assert.equal(blocked.statusCode, 409, blocked.body);
      assert.match(blocked.json().error.message, /enable/);
      const enabled = await node.app.inject({ method: 'POST', url: '/api/v1/peers/editable/enable', headers: admin() });
      assert.equal(enabled.json().disabled, false);
      assert.equal((await node.app.inject({ method: 'POST', url: '/api/v1/peers/editable/sync', headers: admin() })).statusCode, 200);

      const delivered = (await node.ctx.store.db.selectFrom('federation_provenance').select('object_id').where('peer', '=', 'editable').execute()).length;
      assert.ok(delivered > 0);
      const removed = await node.app.inject({ method: 'DELETE', url: '/api/v1/peers/editable', headers: admin() });
      assert.equal(removed.statusCode, 204, removed.body);
      assert.equal((await node.app.inject({ method: 'GET', url: '/api/v1/peers/editable', headers: admin() })).statusCode, 404);
      assert.equal((await node.ctx.store.db.selectFrom('federation_provenance').select('object_id').where('peer', '=', 'editable').execute()).length, delivered, 'provenance is kept');
      assert.equal((await node.app.inject({ method: 'DELETE', url: '/api/v1/peers/editable', headers: admin() })).statusCode, 404);

      const actions: string[] = [];
      for await (const entry of audit.entries(node.ctx)) if (entry.subject === 'editable') actions.push(entry.action);
      for (const action of ['directory.peer.update', 'directory.peer.disable', 'directory.peer.enable', 'directory.peer.delete']) assert.ok(actions.includes(action), `${action} is audited: ${actions.join(', ')}`);
    });

    it('the scheduler leaves a disabled peer alone', async () => {
      await peerOn('awake', 'pull');
      await createPeer(node.ctx, SYSTEM_PRINCIPAL, { name: 'asleep', members: ['FRA'], clearance: 0, roles: ['analyst'], url: 'http://127.0.0.1:1/taxii2/x/', direction: 'pull', auth: 'none' });
      const disabled = await node.app.inject({ method: 'POST', url: '/api/v1/peers/asleep/disable', headers: admin() });
      assert.equal(disabled.statusCode, 200, disabled.body);
      const scheduled = (await federation.scheduledPeers(node.ctx)).map((p) => p.name);
      assert.ok(!scheduled.includes('asleep'), scheduled.join(', '));
      assert.ok(scheduled.includes('awake'));
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`shieldwall peers edit, disable, enable, remove (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;
    let node: Node;
    let dir: string;
    let env: Record<string, string>;
    const cli = (...args: string[]) => runCli(args, env);

    before(async () => {
      testStore = await createTestStore(dialect);
      dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-peers-'));
      env = { SHIELDWALL_DATA_DIR: dir, SHIELDWALL_DATABASE_URL: testStore.url, SHIELDWALL_DEMO: '0' };
      node = await buildApp({ config: loadConfig({}, { databaseUrl: testStore.url, dataDir: dir, demo: false, logLevel: 'silent' }), store: testStore.store, logger: false });
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [FRA]);
      const added = await cli('peers', 'add', '--name', 'fra-node', '--member', 'FRA', '--url', 'https://fra.example:8443/taxii2/intel/', '--auth', 'none', '--page-timeout', '120');
      assert.equal(added.code, 0, added.stderr);
      assert.equal(JSON.parse(added.stdout).pageTimeoutSeconds, 120);
    });
    after(async () => {
      await node?.app.close();
      await testStore?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('edits, disables, enables and removes a peer, each audited, with clear refusals', async () => {
      const edited = await cli('peers', 'edit', 'fra-node', '--interval', '300', '--page-timeout', '600', '--direction', 'pull');
      assert.equal(edited.code, 0, edited.stderr);
      assert.deepEqual([JSON.parse(edited.stdout).intervalSeconds, JSON.parse(edited.stdout).pageTimeoutSeconds, JSON.parse(edited.stdout).direction], [300, 600, 'pull']);
      const bad = await cli('peers', 'edit', 'fra-node', '--page-timeout', '0');
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /--page-timeout '0'/);
      const nothing = await cli('peers', 'edit', 'fra-node');
      assert.notEqual(nothing.code, 0);
      assert.match(nothing.stderr, /nothing to change/);
      const missing = await cli('peers', 'edit', 'nobody', '--interval', '5');
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /no peer named 'nobody'/);

      const disabled = await cli('peers', 'disable', 'fra-node');
      assert.equal(disabled.code, 0, disabled.stderr);
      assert.equal(JSON.parse(disabled.stdout).disabled, true);
      const sync = await cli('peers', 'sync', 'fra-node');
      assert.notEqual(sync.code, 0);
      assert.match(sync.stderr, /disabled: enable it/);
      const enabled = await cli('peers', 'enable', 'fra-node');
      assert.equal(JSON.parse(enabled.stdout).disabled, false);

      await node.ctx.store.db.insertInto('federation_provenance').values({ object_id: 'indicator--6b0d3a7c-1b3e-4f5a-9c8d-7e6f5a4b3c2d', version: '2025-01-01T00:00:00.000000000Z', peer: 'fra-node', received_at: '2025-01-01T00:00:00.000Z' }).execute();
      const removed = await cli('peers', 'remove', 'fra-node');
      assert.equal(removed.code, 0, removed.stderr);
      const listed = await cli('peers', 'list');
      assert.doesNotMatch(listed.stdout, /fra-node/);
      const kept = await node.ctx.store.db.selectFrom('federation_provenance').select('object_id').where('peer', '=', 'fra-node').execute();
      assert.equal(kept.length, 1, 'the provenance records stay');

      const actions: string[] = [];
      for await (const entry of audit.entries(node.ctx)) if (entry.subject === 'fra-node') actions.push(entry.action);
      assert.deepEqual(actions, ['directory.peer.create', 'directory.peer.update', 'directory.peer.disable', 'directory.peer.enable', 'directory.peer.delete']);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`a node killed mid-pull (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;
    let node: Node;
    let dir: string;
    let env: Record<string, string>;
    const fake = new FakeTaxiiPeer();

    before(async () => {
      testStore = await createTestStore(dialect);
      dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-kill-'));
      // Batches of 50 objects: pages are committed as they come, as large pages are.
      env = { SHIELDWALL_DATA_DIR: dir, SHIELDWALL_DATABASE_URL: testStore.url, SHIELDWALL_DEMO: '0', SHIELDWALL_INGEST_BATCH: '50' };
      node = await buildApp({ config: loadConfig({}, { databaseUrl: testStore.url, dataDir: dir, demo: false, logLevel: 'silent' }), store: testStore.store, logger: false });
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [FRA]);
      await fake.start();
    });
    after(async () => {
      await fake.stop();
      await node?.app.close();
      await testStore?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('after a SIGKILL inside a group of 1,200 sharing one date_added, the next pull brings every one', async () => {
      const objects = Array.from({ length: 1200 }, (_, i) => indicator({ name: `killed ${i}`, object_marking_refs: [TLP2_MARKING_IDS.clear] }));
      fake.entries.push(...objects.map((object) => ({ object, dateAdded: '2025-06-01T08:00:00.000Z' })));
      fake.pageSize = 50;
      fake.hangAfter = 150;
      // The objects of the third page are stored while the fourth hangs: an idle input's
      // objects are written without waiting for more of it (they once waited for the page
      // timeout). A page timeout of 10 minutes shows that they do not wait for it.
      const added = await runCli(['peers', 'add', '--name', 'killed', '--member', 'FRA', '--url', fake.apiRoot, '--collection', 'c1', '--direction', 'pull', '--auth', 'none', '--page-timeout', '600'], env);
      assert.equal(added.code, 0, added.stderr);
      const stored = async () =>
        (await node.ctx.store.db.selectFrom('stix_objects').select((eb) => eb.fn.countAll<number>().as('n')).where('type', '=', 'indicator').executeTakeFirstOrThrow()).n;
      const child = spawn(process.execPath, [BIN, 'peers', 'sync', 'killed', '--pull'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      let gone = false;
      const exited = new Promise((resolve) => child.on('exit', resolve)).finally(() => (gone = true));
      // Killed once three pages are stored and the cursor has moved, while it waits for the fourth.
      await until('the pull to store 150 objects and move its cursor', async () => {
        const state = await node.ctx.store.db.selectFrom('federation_state').select('pull_cursor').where('peer', '=', 'killed').executeTakeFirst();
        const count = Number(await stored());
        if (state?.pull_cursor && count >= 150) return undefined;
        return `${gone ? 'the sync exited; ' : ''}stored ${count}, cursor ${state?.pull_cursor ?? 'none'}`;
      }, { context: () => lastLines(output) });
      assert.equal(gone, false, `the sync waits for the fourth page: ${lastLines(output)}`);
      child.kill('SIGKILL');
      await exited;
      assert.equal(Number(await stored()), 150);
      fake.hangAfter = undefined;
      const resumed = await runCli(['peers', 'sync', 'killed', '--pull'], env);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(JSON.parse(resumed.stdout).pull.duplicate, 150);
      assert.equal(Number(await stored()), 1200);
    });
  });
}
