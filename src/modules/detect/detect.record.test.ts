import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { recordOfRow } from './detect.service.js';
import type { CurrentRow } from '../intel/intel.service.js';

/** What the index read of a row when each field was found by its own regular expression. */
function byRegex(row: CurrentRow): ReturnType<typeof recordOfRow> {
  if (row.revoked) return { skip: 'revoked' };
  const body = row.body;
  const type = /"pattern_type":"([^"]*)"/.exec(body)?.[1] ?? 'stix';
  if (type !== 'stix') return { skip: `pattern_type '${type}' is not evaluated (only STIX patterns are)` };
  const literal = /"pattern":"((?:[^"\\]|\\.)*)"/.exec(body)?.[1];
  const pattern = literal === undefined ? '' : (JSON.parse(`"${literal}"`) as string);
  const validFrom = /"valid_from":"([^"]+)"/.exec(body)?.[1];
  const validUntil = /"valid_until":"([^"]+)"/.exec(body)?.[1];
  const version = /"pattern_version":"([^"]*)"/.exec(body)?.[1] ?? row.spec_version ?? '2.1';
  const confidence = /"confidence":(\d{1,3})[,}]/.exec(body)?.[1];
  return {
    id: row.id,
    pattern,
    specVersion: version.startsWith('2.0') ? '2.0' : '2.1',
    accessKey: row.access_key ?? 0,
    createdByRef: row.created_by_ref,
    validFrom: validFrom ? Date.parse(validFrom) : -Infinity,
    validUntil: validUntil ? Date.parse(validUntil) : Infinity,
    confidence: confidence === undefined ? undefined : Number(confidence),
    // A body with a \u escape may spell the key otherwise (stored before bodies were canonical).
    granular: body.includes('"granular_markings"') || body.includes('\\u'),
  };
}

function row(body: string, revoked = 0, specVersion: string | null = '2.1'): CurrentRow {
  return { seq: 1, id: 'indicator--00000000-0000-4000-8000-000000000001', is_current: 1, revoked, spec_version: specVersion, label: null, body, access_key: 3, created_by_ref: null };
}

/** recordOfRow's answer, or the error it threw (a malformed escape in the pattern). */
function outcome(read: (r: CurrentRow) => unknown, r: CurrentRow): unknown {
  try {
    return read(r);
  } catch (error) {
    return { threw: (error as Error).name };
  }
}

describe('reading an indicator row for the index', () => {
  it('reads the fields of a stored indicator', () => {
    const body = JSON.stringify({ type: 'indicator', spec_version: '2.1', id: 'indicator--x', pattern: "[file:name = 'a\\\\b \"c\"']", pattern_type: 'stix', pattern_version: '2.0', valid_from: '2026-01-01T00:00:00.000Z', valid_until: '2027-01-01T00:00:00Z', confidence: 85, granular_markings: [] });
    assert.deepStrictEqual(recordOfRow(row(body)), {
      id: 'indicator--00000000-0000-4000-8000-000000000001',
      pattern: "[file:name = 'a\\\\b \"c\"']",
      specVersion: '2.0',
      accessKey: 3,
      createdByRef: null,
      validFrom: Date.UTC(2026, 0, 1),
      validUntil: Date.UTC(2027, 0, 1),
      confidence: 85,
      granular: true,
    });
    assert.deepStrictEqual(recordOfRow(row(body.replace('"pattern_type":"stix"', '"pattern_type":"sigma"'))), { skip: "pattern_type 'sigma' is not evaluated (only STIX patterns are)" });
    assert.deepStrictEqual(recordOfRow(row(body, 1)), { skip: 'revoked' });
    // STIX 2.1 section 7.2.3: a key written with escapes is still granular_markings.
    const escaped = body.replace('"granular_markings"', '"granular\\u005fmarkings"');
    assert.equal(JSON.parse(escaped).granular_markings.length, 0);
    assert.equal((recordOfRow(row(escaped)) as { granular: boolean }).granular, true);
  });

  it('takes the first occurrence of a field that has the expected form', () => {
    const read = (body: string) => recordOfRow(row(body)) as { pattern: string; validFrom: number; confidence: number | undefined };
    assert.equal(read('{"confidence":1000,"x":{"confidence":7}}').confidence, 7);
    assert.equal(read('{"confidence":"85","confidence":12}').confidence, 12);
    assert.equal(read('{"valid_from":"","valid_from":"2026-01-01T00:00:00Z"}').validFrom, Date.UTC(2026, 0, 1));
    assert.equal(read('{"pattern":"a\\\nb","pattern":"[x:y = \'z\']"}').pattern, "[x:y = 'z']");
    assert.equal(read('{"pattern":"unterminated').pattern, '');
  });

  it('finds the same fields as one regular expression per field would, in any body', () => {
    const piece = fc.constantFrom(
      '"pattern":"', '"pattern_type":"', '"pattern_version":"', '"valid_from":"', '"valid_until":"', '"confidence":', '"granular_markings"',
      'pattern":"', 'valid_from":"', 'confidence":', 'granular_markings"', '"pattern', '_type":"',
      'stix', 'sigma', '2.0', '2.1', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', 'not a date', '"', '\\', '\\"', '\\\\', '\\n', '\\u0041', '\\\n', '\\\u2028', '\n', ',', '}', '{', ':',
      '0', '5', '85', '100', '1000', "[file:name = 'a']", ' ', 'x',
    );
    const body = fc.array(piece, { maxLength: 24 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(body, fc.constantFrom(0, 1), fc.constantFrom('2.0', '2.1', null), (text, revoked, specVersion) => {
        const r = row(text, revoked, specVersion);
        assert.deepStrictEqual(outcome(recordOfRow, r), outcome(byRegex, r));
      }),
      { numRuns: 20_000 },
    );
  });
});
