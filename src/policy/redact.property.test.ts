/**
 * redact against random objects and granular markings (STIX 2.1 section 7.2.3): what it returns
 * is valid STIX, holds nothing a hidden selector selects, loses nothing else, and its granular
 * markings select what they selected before (list indexes renumbered).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { StixObject } from '../stix/types.js';
import { validateObject } from '../stix/validate.js';
import { DEFAULT_MARKING_DEFAULTS, TLP2_MARKING_IDS, type HandlingMarking } from './markings.js';
import type { Principal } from './principal.js';
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
