/**
 * redact against random objects and granular markings (STIX 2.1 section 7.2.3): what it returns
 * is valid STIX, holds nothing a hidden selector selects, loses nothing else, and its granular
 * markings select what they selected before (list indexes renumbered). redactRecord against
 * random records and field markings: the same guarantees, a field marking narrowing as one more
 * STIX marking does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { StixObject } from '../stix/types.js';
import { validateObject } from '../stix/validate.js';
import { DEFAULT_MARKING_DEFAULTS, markingColumns, releasabilityEntries, TLP2_MARKING_IDS, TLP_LEVELS, type HandlingMarking } from './markings.js';
import type { MemberOfPrincipal, Principal } from './principal.js';
import { canReadRecord, fieldAccess, redactRecord, type FieldMarking, type MarkedRecord } from './record.js';
import { redact } from './rule.js';

const SECRET = 'marking-definition--0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b';
const UNKNOWN = 'marking-definition--0c0c0c0c-0c0c-4c0c-8c0c-0c0c0c0c0c0c';
const TABLE = new Map<string, HandlingMarking>([[SECRET, { classification: 3, releasableTo: ['ALLIANCE'] }]]);
/** Readable by the reader below: CLEAR and GREEN; hidden from it: RED, SECRET, an unknown definition. */
const REFS = [TLP2_MARKING_IDS.clear, TLP2_MARKING_IDS.green, TLP2_MARKING_IDS.red, SECRET, UNKNOWN];
const READABLE = new Set<string>([TLP2_MARKING_IDS.clear, TLP2_MARKING_IDS.green]);

const reader: Principal = {
  kind: 'user',
  name: 'reader',
  userName: 'reader',
  roles: ['analyst'],
  member: { code: 'DEU', kind: 'ally', identityId: 'identity--11111111-1111-4111-8111-111111111111', groups: ['ALLIANCE'] },
  clearance: 2,
};

const TOKEN = /tok-\d{4}/g;
/** Every leaf string of the generated objects holds one token of its own, so that content can be traced. */
const tokensOf = (value: unknown): Set<string> => new Set(JSON.stringify(value ?? null).match(TOKEN) ?? []);

type Step = string | number;

/** Every selector of content present in the object (7.2.3 selector syntax), with the content. */
function selectable(value: unknown, path: Step[] = [], out: Array<{ steps: Step[]; selector: string }> = []): Array<{ steps: Step[]; selector: string }> {
  if (path.length > 0) out.push({ steps: path, selector: path.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join('.') });
  if (Array.isArray(value)) value.forEach((item, i) => selectable(item, [...path, i], out));
  else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) {
      if (path.length === 0 && ['id', 'type', 'spec_version', 'created', 'modified', 'object_marking_refs', 'granular_markings'].includes(key)) continue;
      selectable((value as Record<string, unknown>)[key], [...path, key], out);
    }
  }
  return out;
}

function at(value: unknown, selector: string): unknown {
  let node = value;
  for (const part of selector.split('.')) {
    const index = /^\[(\d+)\]$/.exec(part);
    node = index ? (node as unknown[] | undefined)?.[Number(index[1])] : (node as Record<string, unknown> | undefined)?.[part];
  }
  return node;
}

const counter = { n: 0 };
const token = () => `tok-${String(counter.n++ % 10_000).padStart(4, '0')}`;

/** A valid indicator with some optional properties, lists and nested objects, and granular markings over them. */
const scenario = fc
  .record({
    name: fc.boolean(),
    description: fc.boolean(),
    labels: fc.integer({ min: 0, max: 3 }),
    references: fc.array(fc.record({ url: fc.boolean(), description: fc.boolean() }), { maxLength: 3 }),
    phases: fc.integer({ min: 0, max: 2 }),
    confidence: fc.boolean(),
    validUntil: fc.boolean(),
    creator: fc.boolean(),
    markings: fc.array(fc.record({ ref: fc.oneof(fc.constantFrom(...REFS), fc.constant('lang')), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 3 }),
  })
  .map((s) => {
    counter.n = 0;
    const object: Record<string, unknown> = {
      type: 'indicator',
      spec_version: '2.1',
      id: 'indicator--0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a',
      created: '2024-01-01T00:00:00.000Z',
      modified: '2024-01-01T00:00:00.000Z',
      pattern: `[domain-name:value = '${token()}.example']`,
      pattern_type: 'stix',
      valid_from: '2024-01-01T00:00:00.000Z',
      object_marking_refs: [TLP2_MARKING_IDS.green],
    };
    if (s.name) object['name'] = token();
    if (s.description) object['description'] = token();
    if (s.labels > 0) object['labels'] = Array.from({ length: s.labels }, token);
    if (s.references.length > 0) {
      object['external_references'] = s.references.map((r) => ({
        source_name: token(),
        ...(r.url ? { url: `https://example.org/${token()}` } : {}),
        ...(r.description || !r.url ? { description: token() } : {}),
      }));
    }
    if (s.phases > 0) object['kill_chain_phases'] = Array.from({ length: s.phases }, () => ({ kill_chain_name: token(), phase_name: token() }));
    if (s.confidence) object['confidence'] = 70;
    if (s.validUntil) object['valid_until'] = '2099-01-01T00:00:00.000Z';
    if (s.creator) object['created_by_ref'] = 'identity--22222222-2222-4222-8222-222222222222';
    const paths = selectable(object);
    object['granular_markings'] = s.markings.map((m) => ({
      ...(m.ref === 'lang' ? { lang: 'en' } : { marking_ref: m.ref }),
      selectors: [...new Set(m.picks.map((p) => paths[p % paths.length]!.selector))],
    }));
    return object as StixObject;
  });

const valid = (object: StixObject) => validateObject(object).ok;

describe('redact: property', () => {
  it('returns valid STIX holding exactly what the reader may see, or nothing at all', () => {
    let shown = 0;
    let withheld = 0;
    fc.assert(
      fc.property(scenario, (object) => {
        assert.ok(valid(object), JSON.stringify(validateObject(object)));
        const markings = object.granular_markings as Array<{ marking_ref?: string; lang?: string; selectors: string[] }>;
        const hiddenSelectors = markings.filter((m) => m.marking_ref !== undefined && !READABLE.has(m.marking_ref)).flatMap((m) => m.selectors);
        const hiddenTokens = new Set(hiddenSelectors.flatMap((s) => [...tokensOf(at(object, s))]));
        const seen = redact(reader, object, TABLE, DEFAULT_MARKING_DEFAULTS, valid);
        if (hiddenSelectors.length === 0) {
          assert.equal(seen, object);
          return;
        }
        // Without a validity check redact still never leaves a dangling selector or an empty list.
        const unchecked = redact(reader, object, TABLE, DEFAULT_MARKING_DEFAULTS);
        assert.ok(unchecked);
        const problems = validateObject(unchecked);
        if (!problems.ok) for (const error of problems.errors) assert.ok(!['granular-marking', 'empty-list', 'empty-dictionary'].includes(error.rule), JSON.stringify(error));
        if (seen === undefined) {
          withheld++;
          // Withheld only when what is left is not valid STIX (a required property hidden).
          assert.ok(!problems.ok);
          return;
        }
        shown++;
        assert.ok(valid(seen));
        const text = JSON.stringify(seen);
        for (const hiddenToken of hiddenTokens) assert.ok(!text.includes(hiddenToken), `${hiddenToken} shown`);
        for (const kept of tokensOf(object)) if (!hiddenTokens.has(kept)) assert.ok(text.includes(kept), `${kept} lost`);
        assert.deepEqual(seen['x_shieldwall_redacted'], [...new Set(hiddenSelectors)].sort());
        // Each marking left selects what it selected before, less what was removed.
        const selected = (o: StixObject, ref: string) =>
          new Set(((o.granular_markings ?? []) as typeof markings).filter((m) => (m.marking_ref ?? `lang:${m.lang}`) === ref).flatMap((m) => m.selectors.flatMap((s) => [...tokensOf(at(o, s))])));
        for (const ref of new Set(markings.map((m) => m.marking_ref ?? `lang:${m.lang}`))) {
          const before = [...selected(object, ref)].filter((t) => !hiddenTokens.has(t)).sort();
          const after = [...selected(seen, ref)].sort();
          assert.deepEqual(after, ref.startsWith('lang:') || READABLE.has(ref) ? before : [], `content selected by ${ref}`);
        }
        // The stored object is not changed.
        assert.ok(valid(object));
      }),
      { numRuns: 3000, seed: 20261201 },
    );
    assert.ok(shown > 300 && withheld > 100, `${shown} shown, ${withheld} withheld`);
  });
});

const MEMBERS: readonly MemberOfPrincipal[] = [
  { code: 'DEU', kind: 'ally', identityId: null, groups: ['ALLIANCE'] },
  { code: 'FRA', kind: 'ally', identityId: null, groups: ['ALLIANCE', 'NAMED'] },
  { code: 'SWE', kind: 'partner', identityId: null, groups: ['PARTNERS'] },
];
const ENTRIES = ['*', 'DEU', 'FRA', 'SWE', 'ALLIANCE', 'PARTNERS', 'NAMED', '@alice', '@bob'];
const FIELDS = ['title', 'summary', 'sources', 'contacts', 'assessment'];
const tlpArb = fc.constantFrom(null, ...TLP_LEVELS);

const readerArb: fc.Arbitrary<Principal> = fc
  .record({ peer: fc.boolean(), member: fc.option(fc.constantFrom(...MEMBERS), { nil: null, freq: 6 }), userName: fc.constantFrom('alice', 'bob', 'carol'), clearance: fc.integer({ min: 0, max: 4 }) })
  .map(({ peer, member, userName, clearance }): Principal =>
    peer && member !== null
      ? { kind: 'peer', name: 'peer', userName: null, roles: [], member, represents: [member], clearance }
      : { kind: 'user', name: userName, userName, roles: ['analyst'], member, clearance },
  );

type SampleRecord = MarkedRecord & Record<string, unknown>;

/** A record whose every field holds a token of its own, with field markings over some fields (now and then a field that is not one). */
const recordArb: fc.Arbitrary<{ record: SampleRecord; required: string[] }> = fc
  .record({
    tlp: tlpArb,
    classification: fc.integer({ min: 0, max: 4 }),
    releasability: fc.subarray(ENTRIES),
    originMember: fc.constantFrom(null, 'DEU', 'FRA', 'SWE'),
    owner: fc.constantFrom(null, 'alice', 'bob'),
    recipients: fc.oneof(fc.constant([]), fc.subarray(['DEU', 'FRA', 'SWE', '@alice', '@bob'], { minLength: 1 })),
    fields: fc.subarray(FIELDS, { minLength: 1 }),
    markings: fc.array(
      fc.record(
        {
          fields: fc.subarray([...FIELDS, 'owner'], { minLength: 1, maxLength: 3 }),
          tlp: tlpArb,
          classification: fc.integer({ min: 0, max: 4 }),
          releasability: fc.subarray(ENTRIES),
        },
        { requiredKeys: ['fields'] },
      ),
      { maxLength: 3 },
    ),
    required: fc.subarray(FIELDS, { maxLength: 1 }),
  })
  .map(({ fields, markings, required, ...access }) => {
    // 'owner' rarely: a marking over the record's own access withholds the record.
    const fieldMarkings: FieldMarking[] = markings.map((m, n) => ({ ...m, fields: n === 0 ? m.fields : m.fields.filter((f) => f !== 'owner') })).filter((m) => m.fields.length > 0);
    const record: SampleRecord = {
      ...access,
      ...Object.fromEntries(fields.map((field, n) => [field, `tok-${field}-${n}`])),
      ...(fieldMarkings.length > 0 ? { fieldMarkings } : {}),
    };
    return { record, required };
  });

const RECORD_HANDLING = 'marking-definition--0d0d0d0d-0d0d-4d0d-8d0d-0d0d0d0d0d0d';
const FIELD_HANDLING = 'marking-definition--0e0e0e0e-0e0e-4e0e-8e0e-0e0e0e0e0e0e';

/** The markings of a field as markingColumns combines the record's and the field's, written as STIX markings of one object. */
function stixCombination(record: MarkedRecord, marking: FieldMarking) {
  const table = new Map<string, HandlingMarking>([
    [RECORD_HANDLING, { classification: record.classification, releasableTo: [...record.releasability] }],
    [FIELD_HANDLING, { ...(marking.classification === undefined ? {} : { classification: marking.classification }), ...(marking.releasability === undefined ? {} : { releasableTo: [...marking.releasability] }) }],
  ]);
  const tlpRef = (tlp: FieldMarking['tlp']) => (tlp === undefined || tlp === null ? [] : [TLP2_MARKING_IDS[tlp]]);
  const object: StixObject = { type: 'note', spec_version: '2.1', id: 'note--0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f', object_marking_refs: [...tlpRef(record.tlp), RECORD_HANDLING, ...tlpRef(marking.tlp), FIELD_HANDLING] };
  const columns = markingColumns(object, table);
  return { tlp: columns.tlp, classification: columns.classification, releasability: [...releasabilityEntries(columns.releasability)].sort() };
}

describe('redactRecord: property', () => {
  it('never shows a field marked beyond the reader, loses nothing else, and narrows as STIX markings combine', () => {
    const seen = { unreadable: 0, whole: 0, redacted: 0, withheld: 0 };
    fc.assert(
      fc.property(readerArb, recordArb, (reader, { record, required }) => {
        const before = structuredClone(record);
        const result = redactRecord(reader, record, required);
        assert.deepEqual(record, before, 'the record given is not changed');
        if (!canReadRecord(reader, record)) {
          assert.equal(result, undefined);
          seen.unreadable++;
          return;
        }
        const markings = record.fieldMarkings ?? [];
        const hidden = new Set<string>();
        for (const marking of markings) {
          const narrowed = fieldAccess(record, marking);
          assert.deepEqual({ tlp: narrowed.tlp, classification: narrowed.classification, releasability: [...narrowed.releasability].sort() }, stixCombination(record, marking));
          // Stated on its own: a field marked above the reader's clearance is never shown.
          if ((marking.classification ?? 0) > reader.clearance) assert.equal(canReadRecord(reader, narrowed), false);
          if (!canReadRecord(reader, narrowed)) for (const field of marking.fields) hidden.add(field);
        }
        if ([...hidden].some((field) => field === 'owner' || required.includes(field))) {
          assert.equal(result, undefined);
          seen.withheld++;
          return;
        }
        assert.ok(result);
        assert.deepEqual(result.redacted, [...hidden].sort());
        if (hidden.size === 0) {
          assert.equal(result.record, record);
          seen.whole++;
          return;
        }
        seen.redacted++;
        const shown = result.record as Record<string, unknown>;
        const text = JSON.stringify(shown);
        for (const field of FIELDS) {
          const value = record[field];
          if (value === undefined) continue;
          if (hidden.has(field)) {
            assert.equal(field in shown, false, `${field} shown`);
            assert.ok(!text.includes(String(value)), `${String(value)} shown`);
          } else assert.equal(shown[field], value, `${field} lost`);
        }
        for (const key of ['tlp', 'classification', 'releasability', 'originMember', 'owner', 'recipients'] as const) assert.deepEqual(shown[key], record[key]);
        const kept = markings.map((m) => ({ ...m, fields: m.fields.filter((f) => !hidden.has(f)) })).filter((m) => m.fields.length > 0);
        assert.deepEqual(shown['fieldMarkings'], kept.length > 0 ? kept : undefined);
      }),
      { numRuns: 20_000, seed: 20261209 },
    );
    assert.ok(seen.unreadable > 1000 && seen.whole > 1000 && seen.redacted > 1000 && seen.withheld > 100, JSON.stringify(seen));
  });
});
