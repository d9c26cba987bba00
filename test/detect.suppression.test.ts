/**
 * Warning lists in detection: a covered value's matches are reported as suppressed (never
 * silently dropped), lookups say which entry covers a value, and a member's list applies to that
 * member's users only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken, createUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator } from './support/factories.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const green = { object_marking_refs: [TLP2_MARKING_IDS.green] };

interface Line {
  match?: { indicator: string; value: string };
  suppressed?: { indicator: string; value: string; warning_list: { list: string; name: string; entry: string } };
  summary?: { matches: number; suppressed: number; reported?: { sightings: number } };
}

for (const dialect of DIALECTS) {
  describe(`warning lists in detection (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let other: string;
    let listId: string;
    const resolver = indicator({ pattern: "[ipv4-addr:value = '9.9.9.9']", ...green });
    const cdn = indicator({ pattern: "[url:value = 'http://cdn.goodsite.example/lib.js']", ...green });
    const evil = indicator({ pattern: "[domain-name:value = 'evil.example']", ...green });
    const both = indicator({ pattern: "[ipv4-addr:value = '9.9.9.9'] AND [domain-name:value = 'evil.example']", ...green });

    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: null }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'fra-analyst', member: 'FRA', clearance: 4, roles: ['analyst'] });
      other = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'fra', user: 'fra-analyst' })).token;
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [resolver, cdn, evil, both]);
      await node.detection.ready();
      // The test member's own list: a resolver and a trusted domain with its subdomains.
      const created = await node.app.inject({ method: 'POST', url: '/api/v1/warning-lists', payload: { name: 'Known good' }, headers: { authorization: `Bearer ${node.tokens.analyst}` } });
      assert.equal(created.statusCode, 201, created.body);
      listId = (created.json() as { id: string }).id;
      const added = await node.app.inject({
        method: 'POST',
        url: `/api/v1/warning-lists/${listId}/entries`,
        payload: '9.9.9.9\n*.goodsite.example\n',
        headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'text/plain' },
      });
      assert.equal(added.statusCode, 200, added.body);
    });
    after(async () => node?.close());

    const log = [
      JSON.stringify({ timestamp: '2026-11-20T08:00:00Z', dest_ip: '9.9.9.9', dns: { question: { name: 'evil.example' } } }),
      JSON.stringify({ timestamp: '2026-11-20T08:01:00Z', url: 'http://cdn.goodsite.example/lib.js' }),
      JSON.stringify({ timestamp: '2026-11-20T08:02:00Z', domain: 'evil.example' }),
    ].join('\n');
    const match = async (token: string, query = ''): Promise<Line[]> => {
      const response = await node.app.inject({ method: 'POST', url: `/api/v1/match?format=ndjson${query}`, payload: log, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' } });
      assert.equal(response.statusCode, 200, response.body);
      return response.body.trim().split('\n').map((l) => JSON.parse(l) as Line);
    };
    const ids = (lines: Line[], key: 'match' | 'suppressed') => lines.filter((l) => l[key]).map((l) => `${l[key]!.indicator === resolver.id ? 'resolver' : l[key]!.indicator === cdn.id ? 'cdn' : l[key]!.indicator === evil.id ? 'evil' : 'both'}`).sort();

    it('reports matches on covered values as suppressed, with the list and the entry, and keeps the rest', async () => {
      const lines = await match(node.tokens.analyst);
      assert.deepEqual(ids(lines, 'match'), ['both', 'evil', 'evil'], 'pattern matches rest on several values and are not suppressed');
      assert.deepEqual(ids(lines, 'suppressed'), ['cdn', 'resolver']);
      const byEntry = lines.filter((l) => l.suppressed).map((l) => `${l.suppressed!.value} ${l.suppressed!.warning_list.name} ${l.suppressed!.warning_list.entry}`).sort();
      assert.deepEqual(byEntry, ['9.9.9.9 Known good 9.9.9.9', 'http://cdn.goodsite.example/lib.js Known good *.goodsite.example']);
      assert.ok(lines.filter((l) => l.suppressed).every((l) => l.suppressed!.warning_list.list === listId));
      const summary = lines.at(-1)!.summary!;
      assert.deepEqual([summary.matches, summary.suppressed], [3, 2]);
    });

    it('reports everything as matches when asked not to apply the lists', async () => {
      const lines = await match(node.tokens.analyst, '&warning_lists=false');
      assert.deepEqual(ids(lines, 'match'), ['both', 'cdn', 'evil', 'evil', 'resolver']);
      assert.equal(lines.at(-1)!.summary!.suppressed, 0);
    });

    it("does not apply a member's list to another member's users", async () => {
      const lines = await match(other);
      assert.deepEqual(ids(lines, 'suppressed'), []);
      assert.deepEqual(ids(lines, 'match'), ['both', 'cdn', 'evil', 'evil', 'resolver']);
    });

    it('reports no sighting for a suppressed match', async () => {
      const lines = await match(node.tokens.analyst, '&report_sightings=true');
      assert.equal(lines.at(-1)!.summary!.reported?.sightings, 2, 'evil and both; not the resolver or the CDN');
    });

    it('says in a lookup which entry covers the value, and still names the indicators', async () => {
      const response = await node.app.inject({ method: 'POST', url: '/api/v1/lookup', payload: { values: ['9.9.9.9', 'evil.example', 'http://cdn.goodsite.example/lib.js'] }, headers: { authorization: `Bearer ${node.tokens.analyst}` } });
      assert.equal(response.statusCode, 200, response.body);
      const answers = (response.json() as { answers: Array<{ indicators: Array<{ id: string }>; suppressed?: { entry: string } }> }).answers;
      assert.deepEqual(answers.map((a) => a.suppressed?.entry ?? null), ['9.9.9.9', null, '*.goodsite.example']);
      assert.ok(answers[0]!.indicators.some((h) => h.id === resolver.id));
      const theirs = await node.app.inject({ method: 'GET', url: '/api/v1/lookup?value=9.9.9.9', headers: { authorization: `Bearer ${other}` } });
      assert.equal((theirs.json() as { suppressed?: unknown }).suppressed, undefined);
      const without = await node.app.inject({ method: 'GET', url: '/api/v1/lookup?value=9.9.9.9&warning_lists=false', headers: { authorization: `Bearer ${node.tokens.analyst}` } });
      assert.equal((without.json() as { suppressed?: unknown }).suppressed, undefined);
    });

    it('stops suppressing once the entry is removed', async () => {
      const removed = await node.app.inject({ method: 'DELETE', url: `/api/v1/warning-lists/${listId}/entries?value=9.9.9.9`, headers: { authorization: `Bearer ${node.tokens.analyst}` } });
      assert.equal(removed.statusCode, 200, removed.body);
      const lines = await match(node.tokens.analyst);
      assert.deepEqual(ids(lines, 'suppressed'), ['cdn']);
    });
  });
}
