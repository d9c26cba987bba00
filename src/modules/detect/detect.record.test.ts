/**
 * The index's record of an indicator comes from the parsed object: toRow takes the indicator's
 * own top-level properties into columns at ingest, recordOfRow reads those columns. Whatever the
 * object's text looked like, or whatever an extension or a reference holds, plays no part.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { recordOfRow } from './detect.service.js';
import type { CurrentRow } from '../intel/intel.service.js';
import { toRow, type NewVersion } from '../intel/intel.rows.js';
import { DEFAULT_MARKING_DEFAULTS } from '../../policy/markings.js';
import type { StixObject } from '../../stix/types.js';

const ID = 'indicator--00000000-0000-4000-8000-000000000001';

/** The row the store reads back of what toRow made (the columns of NewVersion by name). */
function stored(row: NewVersion, accessKey = 3): CurrentRow {
  const [, , , id, , specVersion, , , , revoked, createdByRef, , , , , , , , , aboutRef, pattern, patternType, patternVersion, validFrom, validUntil, confidence, granular] = row;
  return {
    seq: 1,
    id,
    is_current: 1,
    revoked,
    spec_version: specVersion,
    access_key: accessKey,
    created_by_ref: createdByRef,
    about_ref: aboutRef,
    pattern,
    pattern_type: patternType,
    pattern_version: patternVersion,
    valid_from: validFrom,
    valid_until: validUntil,
    confidence,
    granular,
  };
}

/** recordOfRow of the row ingest makes of this object. */
function recordOf(object: StixObject): ReturnType<typeof recordOfRow> {
  return recordOfRow(stored(toRow(object, JSON.stringify(object), new Map(), DEFAULT_MARKING_DEFAULTS)));
}

const base = (extra: Record<string, unknown> = {}): StixObject => ({
  type: 'indicator',
  spec_version: '2.1',
  id: ID,
  created: '2026-01-01T00:00:00.000Z',
  modified: '2026-01-01T00:00:00.000Z',
  pattern: "[ipv4-addr:value = '198.51.100.1']",
  pattern_type: 'stix',
  valid_from: '2026-01-01T00:00:00.000Z',
  ...extra,
});

describe('reading an indicator for the index', () => {
  it('reads the fields of a parsed indicator', () => {
    const object = base({ pattern: "[file:name = 'a\\\\b \"c\"']", pattern_version: '2.0', valid_until: '2027-01-01T00:00:00Z', confidence: 85, created_by_ref: 'identity--00000000-0000-4000-8000-00000000000a', granular_markings: [] });
    assert.deepStrictEqual(recordOf(object), {
      id: ID,
      pattern: "[file:name = 'a\\\\b \"c\"']",
      specVersion: '2.0',
      accessKey: 3,
      createdByRef: 'identity--00000000-0000-4000-8000-00000000000a',
      validFrom: Date.UTC(2026, 0, 1),
      validUntil: Date.UTC(2027, 0, 1),
      confidence: 85,
      granular: true,
    });
    assert.deepStrictEqual(recordOf({ ...object, pattern_type: 'sigma' }), { skip: "pattern_type 'sigma' is not evaluated (only STIX patterns are)" });
    assert.deepStrictEqual(recordOf({ ...object, revoked: true }), { skip: 'revoked' });
    // STIX 2.1 section 7.2.3: granular markings are a property of the object itself.
    const { granular_markings: _g, ...plain } = object;
    assert.equal((recordOf(plain) as { granular: boolean }).granular, false);
    // No pattern_version: the spec version decides (STIX 2.1 section 4.1, pattern_version defaults to the spec_version).
    assert.equal((recordOf(base()) as { specVersion: string }).specVersion, '2.1');
    assert.equal((recordOf(base({ spec_version: '2.0' })) as { specVersion: string }).specVersion, '2.0');
  });

  it('ignores properties of the same name in extensions, external references and other nested objects', () => {
    // STIX 2.1 section 7.3: an extension's properties are its own, not the object's.
    const nested = {
      extensions: { 'extension-definition--a932fcc6-e032-476c-826f-cb970a5a1ade': { extension_type: 'property-extension', pattern: "[domain-name:value = 'decoy.example']", pattern_type: 'sigma', valid_from: '2100-01-01T00:00:00Z', valid_until: '2000-01-01T00:00:00Z', confidence: 1, granular_markings: [] } },
      external_references: [{ source_name: 'feed', url: 'https://feed.example/', valid_until: '2000-01-01T00:00:00Z', confidence: 2 }],
    };
    // First in key order, so first in any text written from it.
    const { pattern, pattern_type, valid_from, ...rest } = base();
    const record = recordOf({ ...nested, ...rest, pattern, pattern_type, valid_from } as StixObject);
    assert.deepStrictEqual(record, {
      id: ID,
      pattern: "[ipv4-addr:value = '198.51.100.1']",
      specVersion: '2.1',
      accessKey: 3,
      createdByRef: null,
      validFrom: Date.UTC(2026, 0, 1),
      validUntil: Infinity,
      confidence: undefined,
      granular: false,
    });
  });

  it('takes a confidence only as the integer 0-100 STIX defines (section 3.2)', () => {
    const confidence = (value: unknown) => (recordOf(base({ confidence: value })) as { confidence: number | undefined }).confidence;
    assert.equal(confidence(0), 0);
    assert.equal(confidence(100), 100);
    assert.equal(confidence(101), undefined);
    assert.equal(confidence(-1), undefined);
    assert.equal(confidence(50.5), undefined);
    assert.equal(confidence('85'), undefined);
  });

  it('reads the top-level properties of any indicator, however it nests others of the same names', () => {
    const timestamp = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }).map((t) => new Date(t).toISOString());
    const field = fc.record(
      {
        pattern: fc.string(),
        pattern_type: fc.constantFrom('stix', 'sigma', 'snort'),
        pattern_version: fc.constantFrom('2.0', '2.1', '2.1.1'),
        valid_from: timestamp,
        valid_until: timestamp,
        confidence: fc.integer({ min: 0, max: 100 }),
        granular_markings: fc.constant([]),
      },
      { requiredKeys: [] },
    );
    // Decoys: the same names at any depth, in extensions and references.
    const decoy = fc.letrec<{ tree: unknown }>((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, field, fc.dictionary(fc.constantFrom('x', 'pattern', 'valid_until', 'confidence'), tie('tree'), { maxKeys: 3 }), fc.array(tie('tree'), { maxLength: 3 })),
    })).tree;
    const indicator = fc.tuple(field, decoy, fc.boolean()).map(([own, nested, revoked]) => ({
      ...base(),
      extensions: { 'extension-definition--a932fcc6-e032-476c-826f-cb970a5a1ade': { extension_type: 'property-extension', nested } },
      external_references: [{ source_name: 'feed', url: 'https://feed.example/', nested }],
      pattern: undefined,
      pattern_type: undefined,
      valid_from: undefined,
      ...own,
      revoked,
    }));
    fc.assert(
      fc.property(indicator, (object) => {
        const parsed = JSON.parse(JSON.stringify(object)) as Record<string, unknown>;
        const record = recordOf(parsed as StixObject);
        if (object.revoked) return assert.deepStrictEqual(record, { skip: 'revoked' });
        const type = (parsed['pattern_type'] as string | undefined) ?? 'stix';
        if (type !== 'stix') return assert.deepStrictEqual(record, { skip: `pattern_type '${type}' is not evaluated (only STIX patterns are)` });
        const from = parsed['valid_from'] as string | undefined;
        const until = parsed['valid_until'] as string | undefined;
        assert.deepStrictEqual(record, {
          id: ID,
          pattern: (parsed['pattern'] as string | undefined) ?? '',
          specVersion: ((parsed['pattern_version'] as string | undefined) ?? '2.1').startsWith('2.0') ? '2.0' : '2.1',
          accessKey: 3,
          createdByRef: null,
          validFrom: from ? Date.parse(from) : -Infinity,
          validUntil: until ? Date.parse(until) : Infinity,
          confidence: parsed['confidence'] as number | undefined,
          granular: 'granular_markings' in parsed,
        });
      }),
      { numRuns: 2000 },
    );
  });
});
