import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StixObject } from '../../stix/types.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { computeScoId } from '../../stix/sco-id.js';
import { validateObject } from '../../stix/validate.js';
import { SYNTHETIC_MIX, syntheticObjects, writeSyntheticBundle } from './synthetic.js';

const SCO_TYPES = new Set(['ipv4-addr', 'domain-name', 'url', 'file', 'email-addr']);
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shieldwall-synthetic-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function isBundle(value: unknown): value is { type: string; id: string; objects: StixObject[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { objects?: unknown }).objects);
}

test('a small bundle is valid JSON with the requested count', async () => {
  const path = join(dir, 'small.json');
  const { bytes } = await writeSyntheticBundle(path, 2000, { seed: 11 });
  const text = await readFile(path, 'utf8');
  assert.equal(bytes, (await stat(path)).size);
  assert.equal(bytes, Buffer.byteLength(text));
  const parsed: unknown = JSON.parse(text);
  assert.ok(isBundle(parsed));
  assert.equal(parsed.type, 'bundle');
  assert.match(parsed.id, /^bundle--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parsed.objects.length, 2000);
  assert.deepEqual(parsed.objects, [...syntheticObjects(2000, 11)]);
});

test('NDJSON has one object per line', async () => {
  const path = join(dir, 'small.ndjson');
  const { bytes } = await writeSyntheticBundle(path, 1500, { seed: 11, format: 'ndjson' });
  const text = await readFile(path, 'utf8');
  assert.equal(bytes, Buffer.byteLength(text));
  assert.ok(text.endsWith('\n'));
  const lines = text.slice(0, -1).split('\n');
  assert.equal(lines.length, 1500);
  const objects = lines.map((line) => JSON.parse(line) as StixObject);
  assert.deepEqual(objects, [...syntheticObjects(1500, 11)]);
});

test('edge counts: zero and fewer than the head', async () => {
  const empty = join(dir, 'empty.json');
  await writeSyntheticBundle(empty, 0);
  const parsed: unknown = JSON.parse(await readFile(empty, 'utf8'));
  assert.ok(isBundle(parsed));
  assert.equal(parsed.objects.length, 0);
  const emptyLines = join(dir, 'empty.ndjson');
  assert.deepEqual(await writeSyntheticBundle(emptyLines, 0, { format: 'ndjson' }), { bytes: 0 });
  for (const count of [1, 3, 7, 40]) assert.equal([...syntheticObjects(count)].length, count);
  assert.throws(() => [...syntheticObjects(-1)], RangeError);
  assert.throws(() => [...syntheticObjects(1.5)], RangeError);
});

test('deterministic: same seed same bytes, another seed other content', async () => {
  const a = join(dir, 'a.ndjson');
  const b = join(dir, 'b.ndjson');
  const c = join(dir, 'c.ndjson');
  await writeSyntheticBundle(a, 3000, { seed: 5, format: 'ndjson' });
  await writeSyntheticBundle(b, 3000, { seed: 5, format: 'ndjson' });
  await writeSyntheticBundle(c, 3000, { seed: 6, format: 'ndjson' });
  const [textA, textB, textC] = await Promise.all([readFile(a, 'utf8'), readFile(b, 'utf8'), readFile(c, 'utf8')]);
  assert.equal(textA, textB);
  assert.notEqual(textA, textC);
  const bundleA = await writeSyntheticBundle(join(dir, 'a.json'), 500, { seed: 5 });
  const bundleB = await writeSyntheticBundle(join(dir, 'b.json'), 500, { seed: 5 });
  assert.equal(bundleA.bytes, bundleB.bytes);
  assert.equal(await readFile(join(dir, 'a.json'), 'utf8'), await readFile(join(dir, 'b.json'), 'utf8'));
  const idsA = new Set([...syntheticObjects(3000, 5)].map((o) => o.id));
  const idsC = [...syntheticObjects(3000, 6)].map((o) => o.id).filter((id) => id.startsWith('indicator--'));
  assert.ok(idsC.every((id) => !idsA.has(id)));
});

test('ids and values are unique', () => {
  const objects = [...syntheticObjects(30_000, 3)];
  assert.equal(new Set(objects.map((o) => o.id)).size, objects.length);
  const patterns = objects.filter((o) => o.type === 'indicator').map((o) => String(o.pattern));
  assert.equal(new Set(patterns).size, patterns.length, 'indicator patterns are unique');
  const values = objects.filter((o) => SCO_TYPES.has(o.type)).map((o) => `${o.type}:${JSON.stringify(o.value ?? o.hashes)}`);
  assert.equal(new Set(values).size, values.length, 'observable values are unique');
  const literals = patterns.map((p) => /'([^']+)'\]$/.exec(p)?.[1]);
  const scoValues = new Set(objects.filter((o) => typeof o.value === 'string').map((o) => String(o.value)));
  assert.ok(literals.every((literal) => literal !== undefined && !scoValues.has(literal)), 'indicator and observable values differ too');
});

test('the mix is within five points of the target shares', () => {
  for (const count of [2500, 20_000]) {
    const counts = { indicator: 0, observable: 0, relationship: 0, sighting: 0 };
    for (const object of syntheticObjects(count, 9)) {
      if (object.type === 'indicator') counts.indicator++;
      else if (SCO_TYPES.has(object.type)) counts.observable++;
      else if (object.type === 'relationship') counts.relationship++;
      else if (object.type === 'sighting') counts.sighting++;
    }
    for (const [category, target] of Object.entries(SYNTHETIC_MIX)) {
      const share = counts[category as keyof typeof counts] / count;
      assert.ok(Math.abs(share - target) <= 0.05, `${count}: ${category} ${share.toFixed(3)} vs ${target}`);
    }
  }
});

test('objects are well formed and refer only to objects emitted earlier', () => {
  const seen = new Set<string>(Object.values(TLP2_MARKING_IDS));
  const kinds = new Set<string>();
  const indicatorSizes: number[] = [];
  for (const object of syntheticObjects(12_000, 4)) {
    assert.equal(object.spec_version, '2.1');
    assert.match(object.id, new RegExp(`^${object.type}--[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`));
    const refs: string[] = [...(object.object_marking_refs ?? [])];
    if (object.created_by_ref) refs.push(object.created_by_ref);
    for (const key of ['source_ref', 'target_ref', 'sighting_of_ref']) if (typeof object[key] === 'string') refs.push(object[key] as string);
    if (Array.isArray(object.where_sighted_refs)) refs.push(...(object.where_sighted_refs as string[]));
    for (const ref of refs) assert.ok(seen.has(ref), `${object.id} -> ${ref}`);
    seen.add(object.id);
    if (SCO_TYPES.has(object.type)) {
      assert.equal(object.id, computeScoId(object));
      continue;
    }
    if (object.type === 'marking-definition') continue;
    assert.match(String(object.created), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(String(object.created) <= String(object.modified));
    if (object.type === 'indicator') {
      assert.equal(object.pattern_type, 'stix');
      assert.equal(object.valid_from, object.created);
      for (const field of ['name', 'description', 'indicator_types', 'labels', 'created_by_ref', 'object_marking_refs']) {
        assert.ok(object[field] !== undefined, `${object.id}.${field}`);
      }
      kinds.add((object.labels as string[])[1]!);
      indicatorSizes.push(JSON.stringify(object).length);
    }
    if (object.type === 'relationship') assert.equal(object.relationship_type, 'indicates');
    if (object.type === 'sighting') assert.ok(String(object.first_seen) <= String(object.last_seen));
  }
  for (const kind of ['md5', 'sha1', 'sha256', 'ipv4', 'ipv4-cidr', 'ipv6', 'ipv6-cidr', 'domain', 'url', 'email']) {
    assert.ok(kinds.has(kind), `indicator kind ${kind}`);
  }
  const average = indicatorSizes.reduce((a, b) => a + b, 0) / indicatorSizes.length;
  assert.ok(average >= 400 && average <= 650, `indicator average ${average.toFixed(0)} bytes`);
});

test('synthetic objects pass the STIX 2.1 validator', () => {
  for (const object of syntheticObjects(6000, 8)) {
    const result = validateObject(object);
    assert.ok(result.ok, `${object.id}: ${result.ok ? '' : JSON.stringify(result.errors)}`);
  }
});

test('progress is reported and write errors reject', async () => {
  const seen: number[] = [];
  await writeSyntheticBundle(join(dir, 'progress.ndjson'), 25_000, { format: 'ndjson', onProgress: (n) => seen.push(n) });
  assert.deepEqual(seen, [10_000, 20_000, 25_000]);
  await assert.rejects(writeSyntheticBundle(join(dir, 'missing', 'dir', 'x.json'), 50_000), /ENOENT/);
});
