/**
 * Detection reads what the parsed object says, however its text was written: an indicator's
 * pattern, validity and confidence, and what a relationship or sighting is about, are columns
 * filled at ingest from the parsed object (STIX 2.1 section 3.1: property order and whitespace
 * carry no meaning; section 7.3: extensions hold properties of their own, not the object's).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator, malware } from './support/factories.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const T0 = '2024-03-01T10:00:00.000Z';
const green = { object_marking_refs: [TLP2_MARKING_IDS.green] };
const EXTENSION = 'extension-definition--a932fcc6-e032-476c-826f-cb970a5a1ade';

/** JSON as Python's json.dumps writes it by default: ', ' between items and ': ' after keys. */
function pythonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonDumps).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonDumps(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

interface Hit {
  id: string;
  valid_until?: string;
  confidence?: number;
  related?: Array<{ id: string; relationship: string }>;
  sighted?: { sightings: number };
}

for (const dialect of DIALECTS) {
  describe(`detection reads the parsed object (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;

    before(async () => {
      node = await createTestNode(dialect);
      await node.detection.ready();
    });
    after(async () => node?.close());

    const post = async (text: string) => {
      const response = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: text, headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' } });
      assert.equal(response.statusCode, 200, response.body);
      const { summary } = response.json() as { summary: { accepted: number; rejected: number } };
      assert.equal(summary.rejected, 0, response.body);
      await node.detection.settled();
    };
    const lookup = async (value: string): Promise<Hit[]> => {
      const response = await node.app.inject({ method: 'GET', url: `/api/v1/lookup?value=${encodeURIComponent(value)}`, headers: { authorization: `Bearer ${node.tokens.analyst}` } });
      assert.equal(response.statusCode, 200, response.body);
      return (response.json() as { indicators: Hit[] }).indicators;
    };
    const bundle = (...objects: unknown[]) => ({ type: 'bundle', id: `bundle--${randomUUID()}`, objects });

    it('indexes an indicator posted as spaced JSON (Python json.dumps) and finds it by lookup', async () => {
      const spaced = indicator({ pattern: "[domain-name:value = 'spaced.example']", confidence: 70, ...green });
      const text = pythonDumps(bundle(spaced));
      assert.ok(text.includes('"pattern": "'), 'the body as Python writes it');
      await post(text);
      const hits = await lookup('spaced.example');
      assert.deepEqual(hits.map((h) => [h.id, h.confidence]), [[spaced.id, 70]]);
      // Also after a rebuild from the store, which reads the stored columns.
      await node.detection.rebuild();
      assert.deepEqual((await lookup('spaced.example')).map((h) => h.id), [spaced.id]);
    });

    it('takes the indicator its own pattern, not an extension property named pattern written before it', async () => {
      const id = `indicator--${randomUUID()}`;
      // Written by hand so that the extension comes first in the text.
      const text = JSON.stringify(
        bundle({
          type: 'indicator',
          spec_version: '2.1',
          id,
          created: T0,
          modified: T0,
          extensions: { [EXTENSION]: { extension_type: 'property-extension', pattern: "[domain-name:value = 'decoy.example']", valid_until: '2000-01-01T00:00:00Z' } },
          ...green,
          pattern: "[domain-name:value = 'real.example']",
          pattern_type: 'stix',
          valid_from: T0,
        }),
      );
      assert.ok(text.indexOf('decoy.example') < text.indexOf('real.example'));
      await post(text);
      for (const rebuilt of [false, true]) {
        if (rebuilt) await node.detection.rebuild();
        assert.deepEqual((await lookup('real.example')).map((h) => h.id), [id], `the real pattern (rebuilt: ${rebuilt})`);
        assert.deepEqual(await lookup('decoy.example'), [], `not the extension's (rebuilt: ${rebuilt})`);
      }
    });

    it('keeps an indicator valid whatever valid_until an extension or an external reference holds', async () => {
      const nested = indicator({
        pattern: "[ipv4-addr:value = '198.51.100.77']",
        external_references: [{ source_name: 'feed', url: 'https://feed.example/1', valid_until: '2001-01-01T00:00:00Z', confidence: 5 }],
        extensions: { [EXTENSION]: { extension_type: 'property-extension', valid_until: '2001-01-01T00:00:00Z', valid_from: '2100-01-01T00:00:00Z' } },
        ...green,
      });
      // The nested properties come first in the text, the indicator's own (none) are absent.
      const { pattern, valid_from, ...rest } = nested;
      await post(JSON.stringify(bundle({ ...rest, pattern, valid_from })));
      for (const rebuilt of [false, true]) {
        if (rebuilt) await node.detection.rebuild();
        const hits = await lookup('198.51.100.77');
        assert.deepEqual(hits.map((h) => h.id), [nested.id], `valid now (rebuilt: ${rebuilt})`);
        assert.equal(hits[0]!.valid_until, undefined);
        assert.equal(hits[0]!.confidence, undefined, 'the confidence of a reference is not the indicator’s');
      }
    });

    it('finds relationships and sightings by what they are about (about_ref), label being their search text', async () => {
      const about = indicator({ pattern: "[ipv4-addr:value = '198.51.100.88']", ...green });
      const family = malware({ name: 'AboutFamily', ...green });
      const relationship: StixObject = { type: 'relationship', spec_version: '2.1', id: `relationship--${randomUUID()}`, created: T0, modified: T0, relationship_type: 'indicates', source_ref: about.id, target_ref: family.id, ...green };
      const sighting: StixObject = { type: 'sighting', spec_version: '2.1', id: `sighting--${randomUUID()}`, created: T0, modified: T0, sighting_of_ref: about.id, count: 3, ...green };
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [about, family, relationship, sighting]);
      await node.detection.settled();
      const { rows } = await sql<{ id: string; label: string | null; about_ref: string | null }>`select id, label, about_ref from stix_objects where id in (${relationship.id}, ${sighting.id}) order by id`.execute(node.ctx.store.db);
      assert.deepEqual(
        rows.map((r) => [r.id, r.about_ref, r.label]),
        [
          [relationship.id, about.id, null],
          [sighting.id, about.id, null],
        ],
      );
      for (const rebuilt of [false, true]) {
        if (rebuilt) await node.detection.rebuild();
        await node.detection.contextReady();
        const [hit] = await lookup('198.51.100.88');
        assert.equal(hit?.id, about.id);
        assert.deepEqual(hit.related?.map((r) => [r.id, r.relationship]), [[family.id, 'indicates']], `related (rebuilt: ${rebuilt})`);
        assert.equal(hit.sighted?.sightings, 1, `sighted (rebuilt: ${rebuilt})`);
      }
      // The text search no longer finds a relationship by the id it is about.
      const search = await node.app.inject({ method: 'GET', url: `/api/v1/objects?q=${encodeURIComponent(about.id)}&type=relationship`, headers: { authorization: `Bearer ${node.tokens.analyst}` } });
      assert.equal(search.statusCode, 200, search.body);
      assert.deepEqual((search.json() as { objects: StixObject[] }).objects, []);
    });
  });
}
