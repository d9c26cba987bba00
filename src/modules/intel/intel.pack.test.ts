import assert from 'node:assert/strict';
import { deserialize, serialize } from 'node:v8';
import { describe, it } from 'node:test';
import { DEFAULT_MARKING_DEFAULTS, handlingMarkingDefinition, TLP2_MARKING_IDS, type HandlingMarking } from '../../policy/markings.js';
import { indicator, ipv4, malware } from '../../../test/support/factories.js';
import { packBatch, unpackBatch, type PackedBatch } from './intel.pack.js';
import { prepareEntry, type Prepared } from './intel.prepare.js';
import { ROW_ABOUT_REF, ROW_ID, ROW_TYPE, ROW_VERSION } from './intel.rows.js';

/** Prepared objects as the worker makes them, from NDJSON-like lines of text. */
function prepare(values: unknown[], ndjson: boolean): Prepared[] {
  const handling = new Map<string, HandlingMarking>();
  let offset = 0;
  return values.map((value, index) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const entry = { kind: 'object' as const, index, offset, text, line: ndjson ? index + 1 : undefined };
    offset += Buffer.byteLength(text) + 1;
    return prepareEntry(entry, undefined, handling, 1 << 20, DEFAULT_MARKING_DEFAULTS);
  });
}

describe('packed batches between ingest threads', () => {
  const values: unknown[] = [
    indicator(),
    malware({ object_marking_refs: [TLP2_MARKING_IDS.amber], created_by_ref: 'identity--8c6af861-7b20-41ef-9b59-6344fd872a8f' }),
    handlingMarkingDefinition({ id: 'marking-definition--0b5a9c8e-4a35-4d84-9f9b-2a8f1c7e6d51', created: '2026-01-01T00:00:00.000Z', classification: 'RESTRICTED', releasableTo: ['DE', 'FR'] }),
    ipv4('198.51.100.7'),
    '{"type": "indicator", broken',
    { type: 'malware', id: 'malware--not-a-uuid' },
    indicator({ name: 'ünïcödé ✓ 𝔘' }),
    { ...indicator(), spec_version: undefined },
    indicator({ confidence: 85, valid_until: '2030-01-01T00:00:00Z', pattern_version: '2.1' }),
    { type: 'relationship', spec_version: '2.1', id: 'relationship--2f8a1d5e-0c4b-4f1e-9a3d-6b7c8d9e0f12', created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', relationship_type: 'indicates', source_ref: 'indicator--2f8a1d5e-0c4b-4f1e-9a3d-6b7c8d9e0f13', target_ref: 'malware--2f8a1d5e-0c4b-4f1e-9a3d-6b7c8d9e0f14' },
  ];

  for (const ndjson of [false, true]) {
    it(`comes back equal to what was packed (${ndjson ? 'NDJSON lines' : 'byte offsets'})`, () => {
      const items = prepare(values, ndjson);
      assert.ok(items.some((i) => 'outcome' in i && i.outcome.status === 'rejected'), 'the sample has rejected objects');
      const packed = packBatch(items);
      assert.ok(packed.others.length < items.length, 'the common case is packed');
      const back = unpackBatch(deserialize(serialize(packed)) as PackedBatch);
      assert.deepEqual(back, items);
    });
  }

  it('packs one-byte text into a one-byte string, fields used as property keys included', () => {
    // A string used as a property key (as validation does with a type) becomes a "thin" string
    // in V8, and Array.prototype.join('') of thin strings gives a two-byte string: twice the
    // bytes to clone between threads and to convert for the store.
    const items = prepare(Array.from({ length: 50 }, () => indicator()), true);
    const asKeys: Record<string, number> = {};
    for (const item of items) if ('row' in item && item.row) for (const field of [3, 4, 15]) asKeys[item.row[field] as string] = 1;
    const { text, kept } = packBatch(items);
    // v8.serialize writes a one-byte string with the tag '"' (0x22) after its 2-byte header.
    assert.equal(serialize(text)[2], 0x22, 'the packed text is a one-byte string');
    assert.equal(serialize(kept)[2], 0x22, 'the kept fields too');
    assert.ok(Object.keys(asKeys).length >= 100);
  });

  it('packs the fields an outcome keeps until its commit apart from the bodies', () => {
    // The strings cut from a packed text keep it all in memory: an outcome held until its
    // transaction commits must not hold the batch's bodies.
    const items = prepare(values, false);
    const packed = packBatch(items);
    const others = new Set(packed.others.map(([index]) => index));
    let expected = '';
    items.forEach((item, index) => {
      if (others.has(index) || !('row' in item) || !item.row) return;
      for (const field of [ROW_ID, ROW_TYPE, ROW_VERSION, ROW_ABOUT_REF]) expected += (item.row[field] as string | null) ?? '';
    });
    assert.ok(expected.length > 0);
    assert.equal(packed.kept, expected);
    for (const item of unpackBatch(packed)) {
      if (!('row' in item) || !item.row) continue;
      assert.ok(!packed.text.includes(`${item.row[ROW_ID]}${item.row[ROW_TYPE]}`), 'id and type are not in the text of bodies as packed fields');
    }
  });

  it('keeps an empty batch empty', () => {
    assert.deepEqual(unpackBatch(packBatch([])), []);
  });
});
