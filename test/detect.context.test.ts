/**
 * Lookup context (related malware, intrusion sets, campaigns; markings) and sightings reported
 * from a bulk match, as each member's analyst may know them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createToken, createUser, principalOfUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { SightingCollector, strictestMarkings } from '../src/modules/detect/detect.sightings.js';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator, malware } from './support/factories.js';
import { createTestNode, TEST_MEMBER_IDENTITY, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const T0 = '2024-03-01T10:00:00.000Z';
const DEU_IDENTITY = `identity--${randomUUID()}`;
const DEU_ONLY = `marking-definition--${randomUUID()}`;
const green = { object_marking_refs: [TLP2_MARKING_IDS.green] };
const deuOnly = { object_marking_refs: [DEU_ONLY] };

const relationship = (source: string, type: string, target: string, extra: Partial<StixObject> = {}): StixObject => ({
  type: 'relationship',
  spec_version: '2.1',
  id: `relationship--${randomUUID()}`,
  created: T0,
  modified: T0,
  relationship_type: type,
  source_ref: source,
  target_ref: target,
  ...extra,
});
const sdo = (type: string, name: string, extra: Partial<StixObject> = {}): StixObject => ({ type, spec_version: '2.1', id: `${type}--${randomUUID()}`, created: T0, modified: T0, name, ...extra });

interface Hit {
  id: string;
  markings?: { tlp: string | null; classification: string; releasable_to: string[] };
  related?: Array<{ id: string; type: string; name?: string; relationship: string; via?: string }>;
  sighted?: { members: number; sightings: number; count: number; first_seen?: string; last_seen?: string; sighted_by: string[] };
}

for (const dialect of DIALECTS) {
  describe(`detection context and sightings (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let tst: string;
    let deu: string;
    let noIdentity: string;
    const ind = indicator({ pattern: "[ipv4-addr:value = '198.51.100.7']", ...green });
    const other = indicator({ pattern: "[domain-name:value = 'quiet.example']", ...green });
    const family = malware({ name: 'BlackEnergy', ...green });
    const hidden = malware({ name: 'Hidden family', ...green });
    const actor = sdo('intrusion-set', 'Sandworm', green);
    const campaign = sdo('campaign', 'Grid winter', deuOnly);
    // Four indicators naming one address: two by the test member, two by Germany (one restricted to Germany).
    const shared = "[ipv4-addr:value = '203.0.113.50'] OR [domain-name:value = 'shared.example']";
    const tstShared = indicator({ pattern: shared, created_by_ref: TEST_MEMBER_IDENTITY, ...green });
    const tstAgain = indicator({ pattern: "[ipv4-addr:value = '203.0.113.50']", created_by_ref: TEST_MEMBER_IDENTITY, ...green });
    const deuShared = indicator({ pattern: "[domain-name:value = 'shared.example']", created_by_ref: DEU_IDENTITY, ...green });
    const deuSecret = indicator({ pattern: "[ipv4-addr:value = '203.0.113.50']", created_by_ref: DEU_IDENTITY, ...deuOnly });
    // Germany's alone, TLP:AMBER+STRICT: what Germany reports of it stays Germany's, whatever markings it asks for.
    const deuHidden = indicator({ pattern: "[domain-name:value = 'deu-hidden.example']", created_by_ref: DEU_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS['amber+strict'], DEU_ONLY] });

    before(async () => {
      node = await createTestNode(dialect);
      const ctx = node.ctx;
      await upsertMembers(ctx, SYSTEM_PRINCIPAL, [
        { code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: DEU_IDENTITY },
        { code: 'NOI', name: 'No identity', kind: 'ally', country: null, identityId: null },
      ]);
      tst = node.tokens.analyst;
      for (const [member, name] of [['DEU', 'deu-analyst'], ['NOI', 'noi-analyst']] as const) {
        await createUser(ctx, SYSTEM_PRINCIPAL, { name, member, clearance: 4, roles: ['analyst'] });
      }
      deu = (await createToken(ctx, SYSTEM_PRINCIPAL, { name: 'deu', user: 'deu-analyst' })).token;
      noIdentity = (await createToken(ctx, SYSTEM_PRINCIPAL, { name: 'noi', user: 'noi-analyst' })).token;
      await ingestObjects(ctx, SYSTEM_PRINCIPAL, [
        handlingMarkingDefinition({ id: DEU_ONLY, created: T0, classification: 'UNCLASSIFIED', releasableTo: ['DEU'] }),
        ind,
        other,
        family,
        hidden,
        actor,
        campaign,
        relationship(ind.id, 'indicates', family.id, green),
        relationship(family.id, 'attributed-to', actor.id, green),
        // Only Germany may know that the indicator points at this campaign, or that the campaign exists.
        relationship(ind.id, 'indicates', campaign.id, green),
        // The family is readable by all, the relationship only by Germany.
        relationship(ind.id, 'indicates', hidden.id, deuOnly),
        // Not context: a relationship to another indicator.
        relationship(ind.id, 'related-to', other.id, green),
        tstShared,
        tstAgain,
        deuShared,
        deuSecret,
        deuHidden,
      ]);
      await node.detection.ready();
    });
    after(async () => node?.close());

    const lookup = async (token: string, value: string, query = ''): Promise<Hit[]> => {
      const response = await node.app.inject({ method: 'GET', url: `/api/v1/lookup?value=${encodeURIComponent(value)}${query}`, headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.statusCode, 200, response.body);
      return (response.json() as { indicators: Hit[] }).indicators;
    };
    const match = (token: string, log: string, query: string) =>
      node.app.inject({ method: 'POST', url: `/api/v1/match?format=ndjson${query}`, payload: log, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' } });
    const log = [
      JSON.stringify({ timestamp: '2026-11-20T08:00:00Z', dest_ip: '198.51.100.7' }),
      JSON.stringify({ timestamp: '2026-11-20T09:00:00Z', dest_ip: '192.0.2.1' }),
      JSON.stringify({ timestamp: '2026-11-21T10:30:00Z', src_ip: '198.51.100.7' }),
    ].join('\n');

    it('names the related malware, its attribution and the markings, leaving out what the reader may not know', async () => {
      const [hit] = await lookup(tst, '198.51.100.7');
      assert.equal(hit?.id, ind.id);
      assert.deepEqual(hit.markings, { tlp: 'green', classification: 'UNCLASSIFIED', releasable_to: ['ALLIANCE'] });
      const related = (hit.related ?? []).map((r) => `${r.relationship} ${r.type} ${r.name}${r.via ? ` via ${r.via}` : ''}`).sort();
      assert.deepEqual(related, [`attributed-to intrusion-set Sandworm via ${family.id}`, 'indicates malware BlackEnergy']);
      assert.equal(hit.sighted, undefined);
    });

    it('gives a reader who may know more the campaign and the family behind a restricted relationship', async () => {
      const [hit] = await lookup(deu, '198.51.100.7');
      const related = (hit?.related ?? []).map((r) => r.name).sort();
      assert.deepEqual(related, ['BlackEnergy', 'Grid winter', 'Hidden family', 'Sandworm']);
    });

    it('finds the context of relationships stored after the index was built', async () => {
      await node.detection.contextReady();
      assert.ok(node.detection.context.complete);
      const [before] = await lookup(tst, 'quiet.example');
      assert.equal(before?.id, other.id);
      assert.equal(before.related, undefined);
      const late = malware({ name: 'Late family', ...green });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [late, relationship(other.id, 'indicates', late.id, green)]);
      await node.detection.settled();
      const [after] = await lookup(tst, 'quiet.example');
      assert.deepEqual(after?.related?.map((r) => r.name), ['Late family']);
    });

    it('gives the key a value was looked up by only when it differs from the value as given', async () => {
      const response = await node.app.inject({ method: 'POST', url: '/api/v1/lookup', payload: { values: ['Quiet.EXAMPLE', 'quiet.example', 'not a value'], context: false }, headers: { authorization: `Bearer ${tst}` } });
      assert.equal(response.statusCode, 200, response.body);
      const answers = (response.json() as { answers: Array<{ kind: string | null; normalised?: string; indicators: Array<{ id: string }> }> }).answers;
      assert.deepEqual(answers.map((a) => [a.kind, a.normalised ?? null, a.indicators.map((h) => h.id)]), [
        ['domain', 'quiet.example', [other.id]],
        ['domain', null, [other.id]],
        [null, null, []],
      ]);
    });

    it('leaves the context out when asked to', async () => {
      const [hit] = await lookup(deu, '198.51.100.7', '&context=false');
      assert.equal(hit?.id, ind.id);
      assert.equal(hit.related, undefined);
      assert.equal(hit.markings, undefined);
    });

    it('reports sightings under the member identity with observed data, and counts who sighted what each reader may know', async () => {
      const first = await match(tst, log, '&report_sightings=true');
      assert.equal(first.statusCode, 200, first.body);
      const summary = (JSON.parse(first.body.trim().split('\n').at(-1)!) as { summary: { matches: number; reported: { sightings: number; observed_data: number; rejected: number; ids: string[] } } }).summary;
      assert.equal(summary.matches, 2);
      assert.deepEqual({ ...summary.reported, ids: summary.reported.ids.length }, { sightings: 1, observed_data: 1, rejected: 0, ids: 1 });

      const stored = await node.app.inject({ method: 'GET', url: `/api/v1/objects/${summary.reported.ids[0]}`, headers: { authorization: `Bearer ${tst}` } });
      assert.equal(stored.statusCode, 200, stored.body);
      const sighting = stored.json() as Record<string, unknown>;
      assert.equal(sighting['sighting_of_ref'], ind.id);
      assert.equal(sighting['count'], 2);
      assert.equal(sighting['first_seen'], '2026-11-20T08:00:00.000Z');
      assert.equal(sighting['last_seen'], '2026-11-21T10:30:00.000Z');
      assert.equal(sighting['created_by_ref'], TEST_MEMBER_IDENTITY);
      assert.deepEqual(sighting['where_sighted_refs'], [TEST_MEMBER_IDENTITY]);
      assert.deepEqual(sighting['object_marking_refs'], [TLP2_MARKING_IDS.amber]);
      const observedId = (sighting['observed_data_refs'] as string[])[0]!;
      const observed = (await node.app.inject({ method: 'GET', url: `/api/v1/objects/${observedId}`, headers: { authorization: `Bearer ${tst}` } })).json() as Record<string, unknown>;
      assert.equal(observed['number_observed'], 2);
      const scoId = (observed['object_refs'] as string[])[0]!;
      const sco = (await node.app.inject({ method: 'GET', url: `/api/v1/objects/${scoId}`, headers: { authorization: `Bearer ${tst}` } })).json() as Record<string, unknown>;
      assert.deepEqual([sco['type'], sco['value']], ['ipv4-addr', '198.51.100.7']);

      // Germany sights it too, releasable to Germany alone.
      const second = await match(deu, log, `&report_sightings=true&sighting_markings=${DEU_ONLY}`);
      assert.equal(second.statusCode, 200, second.body);

      const [forDeu] = await lookup(deu, '198.51.100.7');
      assert.equal(forDeu?.sighted?.members, 2);
      assert.equal(forDeu.sighted.sightings, 2);
      assert.equal(forDeu.sighted.count, 4);
      assert.deepEqual(forDeu.sighted.sighted_by, [DEU_IDENTITY, TEST_MEMBER_IDENTITY].sort());
      assert.equal(forDeu.sighted.first_seen, '2026-11-20T08:00:00.000Z');
      // The test member may not know of Germany's sighting.
      const [forTst] = await lookup(tst, '198.51.100.7');
      assert.equal(forTst?.sighted?.members, 1);
      assert.deepEqual(forTst.sighted.sighted_by, [TEST_MEMBER_IDENTITY]);
    });

    it('ranks indicators by how many organisations sighted them, among the sightings the reader may know of', async () => {
      const ranking = async (token: string, query: string) => {
        const response = await node.app.inject({ method: 'GET', url: `/api/v1/detect/sighted?${query}`, headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.statusCode, 200, response.body);
        return (response.json() as { indicators: Array<{ id: string; members: number; count: number }> }).indicators;
      };
      assert.deepEqual((await ranking(deu, 'min_members=2')).map((e) => [e.id, e.members, e.count]), [[ind.id, 2, 4]]);
      assert.deepEqual(await ranking(tst, 'min_members=2'), []);
      assert.deepEqual((await ranking(tst, 'min_members=1')).map((e) => [e.id, e.members]), [[ind.id, 1]]);
      assert.deepEqual(await ranking(deu, 'since=2026-11-22T00:00:00Z'), []);
      const bad = await node.app.inject({ method: 'GET', url: '/api/v1/detect/sighted?since=yesterday', headers: { authorization: `Bearer ${deu}` } });
      assert.equal(bad.statusCode, 400);
    });

    it('links indicators of other originators that name the same values, as far as the reader may know them', async () => {
      const awareness = async (token: string, id: string) => node.app.inject({ method: 'GET', url: `/api/v1/detect/indicators/${id}`, headers: { authorization: `Bearer ${token}` } });
      const seen = async (token: string, id: string) => {
        const response = await awareness(token, id);
        assert.equal(response.statusCode, 200, response.body);
        return (response.json() as { correlated: Array<{ id: string; created_by_ref: string; shared: Array<{ kind: string; value: string }> }> }).correlated
          .map((c) => `${c.id === deuShared.id ? 'deuShared' : c.id === deuSecret.id ? 'deuSecret' : c.id} ${c.shared.map((v) => `${v.kind}:${v.value}`).join(',')}`)
          .sort();
      };
      // The test member's other indicator is the same originator: not a correlation.
      assert.deepEqual(await seen(tst, tstShared.id), ['deuShared domain:shared.example']);
      assert.deepEqual(await seen(deu, tstShared.id), ['deuSecret ipv4:203.0.113.50', 'deuShared domain:shared.example']);
      assert.equal((await awareness(tst, deuSecret.id)).statusCode, 404, 'an indicator the reader may not read is not found');
      assert.equal((await awareness(tst, family.id)).statusCode, 400);
    });

    it('lists the values several originators name, as far as the reader may know their indicators', async () => {
      const values = async (token: string, query = '') => {
        const response = await node.app.inject({ method: 'GET', url: `/api/v1/detect/correlations${query}`, headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.statusCode, 200, response.body);
        return (response.json() as { values: Array<{ kind: string; value: string; originators: number; indicators: Array<{ id: string }> }> }).values.map((v) => `${v.kind}:${v.value} ${v.originators}/${v.indicators.length}`);
      };
      // The address is named twice by the test member and once by Germany, in an indicator only Germany may read.
      assert.deepEqual(await values(tst), ['domain:shared.example 2/2']);
      assert.deepEqual(await values(deu), ['ipv4:203.0.113.50 2/3', 'domain:shared.example 2/2']);
      assert.deepEqual(await values(deu, '?kind=domain'), ['domain:shared.example 2/2']);
      assert.deepEqual(await values(deu, '?min_originators=3'), []);
      const bad = await node.app.inject({ method: 'GET', url: '/api/v1/detect/correlations?min_originators=1', headers: { authorization: `Bearer ${deu}` } });
      assert.equal(bad.statusCode, 400);
    });

    it('refuses to report without an identity, without the right to write intel, or with an unknown marking, before reading the log', async () => {
      const none = await match(noIdentity, log, '&report_sightings=true');
      assert.equal(none.statusCode, 400, none.body);
      assert.match(none.json().error.message, /identity/);
      const delegate = await match(node.tokens['political-delegate'], log, '&report_sightings=true');
      assert.equal(delegate.statusCode, 403, delegate.body);
      const bogus = await match(tst, log, '&report_sightings=true&sighting_markings=purple');
      assert.equal(bogus.statusCode, 400, bogus.body);
      assert.match(bogus.json().error.message, /purple/);
      const stray = await match(tst, log, '&sighting_markings=green');
      assert.equal(stray.statusCode, 400, stray.body);
    });

    it('reads on past a record with a time beyond any date or arrays nested past any bound: each is its own line', async () => {
      const ask = (format: string, body: string) =>
        node.app.inject({ method: 'POST', url: `/api/v1/match?format=${format}`, payload: body, headers: { authorization: `Bearer ${tst}`, 'content-type': 'application/x-ndjson' } });
      const good = (hour: number) => JSON.stringify({ timestamp: `2026-11-20T0${hour}:00:00Z`, src_ip: '198.51.100.7' });
      const deep = `{"timestamp":"2026-11-20T02:00:00Z","src_ip":"198.51.100.7","dns":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      const cases: Array<[string, string]> = [
        ['ndjson', JSON.stringify({ timestamp: 9e15, src_ip: '198.51.100.7' })],
        ['eve', JSON.stringify({ timestamp: 9e15, src_ip: '198.51.100.7' })],
        ['eve', deep],
      ];
      for (const [format, bad] of cases) {
        const answer = await ask(format, [good(1), bad, good(3)].join('\n'));
        assert.equal(answer.statusCode, 200, answer.body);
        const lines = answer.body.trim().split('\n').map((l) => JSON.parse(l) as { match?: { line: number; time?: string }; error?: { message: string }; summary?: unknown });
        assert.ok(!lines.some((l) => l.error?.message.startsWith('matching stopped')), `${format}: ${answer.body.slice(0, 300)}`);
        assert.deepEqual(lines.filter((l) => l.match).map((l) => l.match!.line), [1, 2, 3], format);
        assert.ok(lines.at(-1)!.summary, `${format}: the summary comes last`);
      }
    });

    it('refuses reading options the readers would refuse with a 400, before the answer begins', async () => {
      const ask = (query: string) => node.app.inject({ method: 'POST', url: `/api/v1/match?${query}`, payload: '1.2.3.4\n', headers: { authorization: `Bearer ${tst}` } });
      for (const [query, message] of [['format=csv&header=false&columns=0:domain', /1-based number/], ['format=csv&delimiter=%0A', /delimiter/]] as const) {
        const answer = await ask(query);
        assert.equal(answer.statusCode, 400, `${query}: ${answer.body}`);
        assert.match((answer.json() as { error: { message: string } }).error.message, message);
      }
    });

    it('marks what a match reports at least as its indicator, whatever markings the reporter asks for', async () => {
      const hiddenLog = JSON.stringify({ timestamp: '2026-11-22T08:00:00Z', dns: { question: { name: 'deu-hidden.example' } } });
      assert.deepEqual(await lookup(tst, 'deu-hidden.example'), [], 'the test member may not read the indicator');
      const reported = await match(deu, hiddenLog, '&report_sightings=true&sighting_markings=clear');
      assert.equal(reported.statusCode, 200, reported.body);
      const summary = (JSON.parse(reported.body.trim().split('\n').at(-1)!) as { summary: { reported: { sightings: number; observed_data: number; rejected: number; ids: string[] } } }).summary;
      assert.deepEqual([summary.reported.sightings, summary.reported.observed_data, summary.reported.rejected], [1, 1, 0]);
      const read = (token: string, id: string) => node.app.inject({ method: 'GET', url: `/api/v1/objects/${id}`, headers: { authorization: `Bearer ${token}` } });
      const sighting = (await read(deu, summary.reported.ids[0]!)).json() as Record<string, unknown>;
      assert.equal(sighting['sighting_of_ref'], deuHidden.id);
      // STIX 2.1 section 7.2: the strictest TLP alone, and the indicator's handling marking.
      assert.deepEqual(sighting['object_marking_refs'], [TLP2_MARKING_IDS['amber+strict'], DEU_ONLY]);
      const observedId = (sighting['observed_data_refs'] as string[])[0]!;
      const observed = (await read(deu, observedId)).json() as Record<string, unknown>;
      const scoId = (observed['object_refs'] as string[])[0]!;
      assert.equal(((await read(deu, scoId)).json() as Record<string, unknown>)['value'], 'deu-hidden.example');
      for (const id of [sighting['id'] as string, observedId, scoId]) {
        assert.equal((await read(tst, id)).statusCode, 404, `the test member reads nothing of it: ${id}`);
      }
    });

    it('marks an observable seen for several indicators as all of them', async () => {
      const reporter = (await principalOfUser(node.ctx, 'deu-analyst'))!;
      const collector = new SightingCollector(node.ctx, reporter, [TLP2_MARKING_IDS.green]);
      const at = '2026-11-22T09:00:00.000Z';
      collector.add([
        { line: 1, time: at, value: '203.0.113.50', kind: 'ipv4', indicator: tstAgain.id, match: 'value' },
        { line: 1, time: at, value: '203.0.113.50', kind: 'ipv4', indicator: deuSecret.id, match: 'value' },
        { line: 2, time: at, value: 'shared.example', kind: 'domain', indicator: deuShared.id, match: 'value' },
      ], Date.parse(at));
      const objects = collector.objects(new Date(at), new Map([[tstAgain.id, tstAgain], [deuSecret.id, deuSecret], [deuShared.id, deuShared]]));
      const byType = (type: string) => objects.filter((o) => o['type'] === type);
      const markingsOf = (o: Record<string, unknown> | undefined) => o?.['object_marking_refs'];
      const address = byType('ipv4-addr')[0];
      assert.deepEqual(markingsOf(address), [TLP2_MARKING_IDS.green, DEU_ONLY], 'one object, marked as both indicators are');
      assert.deepEqual(markingsOf(byType('domain-name')[0]), [TLP2_MARKING_IDS.green]);
      const sightingOf = (indicatorId: string) => byType('sighting').find((o) => o['sighting_of_ref'] === indicatorId);
      assert.deepEqual(markingsOf(sightingOf(tstAgain.id)), [TLP2_MARKING_IDS.green]);
      assert.deepEqual(markingsOf(sightingOf(deuSecret.id)), [TLP2_MARKING_IDS.green, DEU_ONLY]);
      // An indicator the reporter no longer reads is not reported.
      const fewer = collector.objects(new Date(at), new Map([[tstAgain.id, tstAgain]]));
      assert.deepEqual(fewer.filter((o) => o['type'] === 'sighting').map((o) => o['sighting_of_ref']), [tstAgain.id]);
      assert.deepEqual(strictestMarkings([[TLP2_MARKING_IDS.clear, DEU_ONLY], [TLP2_MARKING_IDS.red], [TLP2_MARKING_IDS.amber]]), [TLP2_MARKING_IDS.red, DEU_ONLY]);
      // Markings together past what one object may carry (marking-bound): that object is left
      // out, and the report says so, rather than refused by the store with its references dangling.
      const handling = (n: number) => Array.from({ length: n }, (_, i) => `marking-definition--${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`);
      const wide = { ...deuShared, object_marking_refs: handling(60) };
      const wider = { ...tstAgain, object_marking_refs: handling(120).slice(60) };
      const packed = new SightingCollector(node.ctx, reporter, [TLP2_MARKING_IDS.green]);
      packed.add([
        { line: 1, time: at, value: '203.0.113.50', kind: 'ipv4', indicator: wide.id, match: 'value' },
        { line: 1, time: at, value: '203.0.113.50', kind: 'ipv4', indicator: wider.id, match: 'value' },
      ], Date.parse(at));
      const built = packed.objects(new Date(at), new Map([[wide.id, wide], [wider.id, wider]]));
      assert.equal(built.filter((o) => o['type'] === 'ipv4-addr').length, 0, 'the address, seen for both, would carry 121 markings');
      assert.deepEqual(built.filter((o) => o['type'] === 'sighting').map((o) => (o['object_marking_refs'] as string[]).length), [61, 61]);
      assert.ok(built.filter((o) => o['type'] === 'observed-data').length === 0, 'no observed data names what is not reported');
      assert.match(packed.left.join('\n'), /ipv4-addr--.*: not reported: seen for indicators whose markings together are 121/);
    });
  });
}
