/**
 * STIX patterning through detection, end to end: HTTP request headers are lists (STIX 2.1
 * 6.12.2), so the demo's `...request_header.'User-Agent'[*] = '...'` indicators are found by
 * lookup and by bulk matching; a sighting of a pattern over several events takes its first_seen
 * from the first of them and carries the observed data docs/DETECT.md promises.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedDemo } from '../src/modules/demo/demo.service.js';
import { demoAlliance } from '../src/modules/demo/demo.data.js';
import { createToken } from '../src/modules/directory/directory.service.js';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator } from './support/factories.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const green = { object_marking_refs: [TLP2_MARKING_IDS.green] };
const UA_PATTERN = /^\[network-traffic:extensions\.'http-request-ext'\.request_header\.'User-Agent'\[\*\] = '((?:[^'\\]|\\.)*)'\]$/;

interface Line {
  match?: { indicator: string; value?: string; kind?: string; match: string; time?: string };
  summary?: { matches: number; reported?: { sightings: number; observed_data: number; rejected: number; ids: string[] } };
}

const eve = (time: string, fields: Record<string, unknown>) => JSON.stringify({ timestamp: time, event_type: 'http', ...fields });

for (const dialect of DIALECTS) {
  describe(`patterning in detection (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let coordinator: string;
    const seed = 7;
    const now = new Date();

    before(async () => {
      node = await createTestNode(dialect);
      await seedDemo(node.ctx, { seed });
      coordinator = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'coordinator', user: 'demo.coordinator' })).token;
      await node.detection.ready();
    });
    after(async () => node?.close());

    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    const match = async (token: string, log: string, query = ''): Promise<Line[]> => {
      const response = await node.app.inject({ method: 'POST', url: `/api/v1/match?format=eve${query}`, payload: log, headers: { ...auth(token), 'content-type': 'application/x-ndjson' } });
      assert.equal(response.statusCode, 200, response.body);
      return response.body.trim().split('\n').map((l) => JSON.parse(l) as Line);
    };

    /** The demo's user-agent indicators the coordinator may read, with the user agent each names. */
    const readableUserAgentIndicators = async (): Promise<Array<{ id: string; agent: string }>> => {
      // The newest version of each; a revoked or expired indicator detects nothing.
      const latest = new Map<string, StixObject>();
      for (const o of demoAlliance({ seed, now }).objects) {
        if (o.type === 'indicator' && typeof o['pattern'] === 'string' && UA_PATTERN.test(o['pattern'])) latest.set(o.id, o);
      }
      const all = [...latest.values()].filter((o) => o['revoked'] !== true && !(typeof o['valid_until'] === 'string' && Date.parse(o['valid_until']) <= Date.now()));
      assert.ok(all.length > 0, 'the demo has user-agent indicators');
      const out: Array<{ id: string; agent: string }> = [];
      for (const o of all) {
        const read = await node.app.inject({ method: 'GET', url: `/api/v1/objects/${o.id}`, headers: auth(coordinator) });
        const agent = UA_PATTERN.exec(String(o['pattern']))![1]!.replace(/\\(.)/g, '$1');
        if (read.statusCode === 200) out.push({ id: o.id, agent });
      }
      assert.ok(out.length > 0, 'the coordinator may read some of them');
      return out;
    };

    it("finds the demo's user-agent indicators by lookup (6.12.2: request_header values are lists)", async () => {
      for (const { id, agent } of await readableUserAgentIndicators()) {
        const response = await node.app.inject({ method: 'GET', url: `/api/v1/lookup?kind=user-agent&context=false&value=${encodeURIComponent(agent)}`, headers: auth(coordinator) });
        assert.equal(response.statusCode, 200, response.body);
        const ids = (response.json() as { indicators: Array<{ id: string }> }).indicators.map((h) => h.id);
        assert.ok(ids.includes(id), `${agent}: ${id} in ${JSON.stringify(ids)}`);
      }
    });

    it("matches the demo's user-agent indicators against a log's user agents", async () => {
      const indicators = await readableUserAgentIndicators();
      // Events of now: each indicator is valid then (a demo indicator may start today).
      const log = indicators.map(({ agent }, i) => eve(new Date(Date.now() + i * 1000).toISOString(), { src_ip: '10.0.0.2', dest_ip: '203.0.113.80', http: { hostname: 'h.example', url: '/', http_user_agent: agent } })).join('\n');
      const lines = await match(coordinator, log, '&warning_lists=false');
      const matched = new Set(lines.filter((l) => l.match).map((l) => l.match!.indicator));
      for (const { id, agent } of indicators) assert.ok(matched.has(id), `${agent}: ${id} matched`);
    });

    it('evaluates a compound pattern over the user-agent list of an event (6.12.2, 9.7.2 [*])', async () => {
      const compound = indicator({
        pattern: "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'[*] = 'Compound/1.0' AND network-traffic:dst_ref.value = '203.0.113.81']",
        ...green,
      });
      const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [compound]);
      assert.equal(summary.rejected, 0, JSON.stringify(summary));
      await node.detection.settled();
      const log = [
        eve('2026-11-20T08:00:00Z', { src_ip: '10.0.0.2', dest_ip: '203.0.113.80', http: { http_user_agent: 'Compound/1.0' } }),
        eve('2026-11-20T08:00:01Z', { src_ip: '10.0.0.2', dest_ip: '203.0.113.81', http: { http_user_agent: 'Compound/1.0' } }),
      ].join('\n');
      const lines = await match(node.tokens.analyst, log, '&warning_lists=false');
      const hits = lines.filter((l) => l.match?.indicator === compound.id);
      assert.deepEqual(hits.map((l) => l.match!.time), ['2026-11-20T08:00:01.000Z'], 'the second event only: its destination is the one named');
    });

    it('reports a pattern-match sighting with first_seen from the first event and its observed data', async () => {
      const sequence = indicator({
        pattern: "[domain-name:value = 'stage-one.example'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.99']",
        ...green,
      });
      const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [sequence]);
      assert.equal(summary.rejected, 0, JSON.stringify(summary));
      await node.detection.settled();
      const log = [
        eve('2026-11-20T08:00:00Z', { src_ip: '10.0.0.9', http: { hostname: 'stage-one.example' } }),
        eve('2026-11-20T08:05:00Z', { src_ip: '10.0.0.9', dest_ip: '198.51.100.99' }),
      ].join('\n');
      const lines = await match(node.tokens.analyst, log, '&warning_lists=false&report_sightings=true');
      assert.equal(lines.filter((l) => l.match?.indicator === sequence.id).length, 1);
      const reported = lines.at(-1)!.summary!.reported!;
      assert.equal(reported.rejected, 0);
      let sighting: Record<string, unknown> | undefined;
      for (const id of reported.ids) {
        const object = (await node.app.inject({ method: 'GET', url: `/api/v1/objects/${id}`, headers: auth(node.tokens.analyst) })).json() as Record<string, unknown>;
        if (object['sighting_of_ref'] === sequence.id) sighting = object;
      }
      assert.ok(sighting, 'a sighting of the pattern indicator');
      // STIX 2.1 5.2: first_seen is the beginning of the time window the sighting was observed.
      assert.equal(sighting['first_seen'], '2026-11-20T08:00:00.000Z');
      assert.equal(sighting['last_seen'], '2026-11-20T08:05:00.000Z');
      const observedRefs = sighting['observed_data_refs'] as string[] | undefined;
      assert.equal(observedRefs?.length, 1, 'observed data of the match');
      const observed = (await node.app.inject({ method: 'GET', url: `/api/v1/objects/${observedRefs[0]}`, headers: auth(node.tokens.analyst) })).json() as Record<string, unknown>;
      assert.equal(observed['first_observed'], '2026-11-20T08:00:00.000Z');
      assert.equal(observed['last_observed'], '2026-11-20T08:05:00.000Z');
      const values: string[] = [];
      for (const ref of observed['object_refs'] as string[]) {
        const sco = (await node.app.inject({ method: 'GET', url: `/api/v1/objects/${ref}`, headers: auth(node.tokens.analyst) })).json() as Record<string, unknown>;
        values.push(`${String(sco['type'])} ${String(sco['value'])}`);
      }
      assert.ok(values.includes('domain-name stage-one.example'), values.join(', '));
      assert.ok(values.includes('ipv4-addr 198.51.100.99'), values.join(', '));
    });
  });
}
