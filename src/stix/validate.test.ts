import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { ATTACK_ICS } from '../../test/support/paths.js';
import { computeScoId } from './sco-id.js';
import { META_TYPE_LIST, SCO_TYPE_LIST, SDO_TYPE_LIST, SRO_TYPE_LIST } from './types.js';
import { RULES, validateObject, withPathPrefix, type StixIssue, type ValidateOptions, type ValidationResult } from './validate.js';

// ---------------------------------------------------------------------------------------------
// Factories: one valid object per type, with overrides.
// ---------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

const T0 = '2016-04-06T20:03:48.000Z';
const T1 = '2016-05-01T08:00:00.000Z';

/** A distinct, valid UUIDv4 per n. */
function v4(n: number): string {
  return `8e2e2d2b-17d4-4cbf-938f-${n.toString(16).padStart(12, '0')}`;
}

function idOf(type: string, n = 1): string {
  return `${type}--${v4(n)}`;
}

const IDENTITY = idOf('identity', 900);
const MARKING = 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da';
const IPV4 = 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4';
const INDICATOR = idOf('indicator', 2);

function versioned(type: string, props: Obj): Obj {
  return { type, spec_version: '2.1', id: idOf(type), created: T0, modified: T0, ...props };
}

function sco(props: Obj): Obj {
  const object: Obj = { spec_version: '2.1', ...props };
  object['id'] = computeScoId(object) ?? `${String(props['type'])}--${v4(1)}`;
  return object;
}

const FIXTURES: Record<string, () => Obj> = {
  'attack-pattern': () => versioned('attack-pattern', { name: 'Spear Phishing' }),
  campaign: () => versioned('campaign', { name: 'Green Group Attacks' }),
  'course-of-action': () => versioned('course-of-action', { name: 'Add TCP port 80 filter' }),
  grouping: () => versioned('grouping', { context: 'suspicious-activity', object_refs: [INDICATOR] }),
  identity: () => versioned('identity', { name: 'ACME Widget, Inc.', identity_class: 'organization' }),
  incident: () => versioned('incident', { name: 'Incident 43' }),
  indicator: () =>
    versioned('indicator', {
      name: 'Poison Ivy Malware',
      indicator_types: ['malicious-activity'],
      pattern: "[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",
      pattern_type: 'stix',
      valid_from: '2016-01-01T00:00:00Z',
    }),
  infrastructure: () => versioned('infrastructure', { name: 'Poison Ivy C2', infrastructure_types: ['command-and-control'] }),
  'intrusion-set': () => versioned('intrusion-set', { name: 'Bobcat Breakin' }),
  location: () => versioned('location', { region: 'northern-america' }),
  malware: () => versioned('malware', { name: 'Cryptolocker', is_family: true, malware_types: ['ransomware'] }),
  'malware-analysis': () => versioned('malware-analysis', { product: 'microsoft', result: 'malicious' }),
  note: () => versioned('note', { content: 'Seen on a forum.', object_refs: [idOf('campaign')] }),
  'observed-data': () =>
    versioned('observed-data', { first_observed: '2015-12-21T19:00:00Z', last_observed: '2015-12-21T19:00:00Z', number_observed: 50, object_refs: [IPV4] }),
  opinion: () => versioned('opinion', { opinion: 'strongly-disagree', object_refs: [idOf('relationship')] }),
  report: () => versioned('report', { name: 'The Black Vine Group', published: '2016-01-20T17:00:00.000Z', object_refs: [INDICATOR] }),
  'threat-actor': () => versioned('threat-actor', { name: 'Evil Org', threat_actor_types: ['crime-syndicate'] }),
  tool: () => versioned('tool', { name: 'VNC', tool_types: ['remote-access'] }),
  vulnerability: () => versioned('vulnerability', { name: 'CVE-2016-1234' }),
  relationship: () => versioned('relationship', { relationship_type: 'uses', source_ref: idOf('intrusion-set'), target_ref: idOf('malware') }),
  sighting: () => versioned('sighting', { sighting_of_ref: INDICATOR, count: 50, where_sighted_refs: [IDENTITY] }),
  artifact: () => sco({ type: 'artifact', mime_type: 'text/plain', payload_bin: 'dGhpcyBpcyBhIHRlc3Q=' }),
  'autonomous-system': () => sco({ type: 'autonomous-system', number: 15139, name: 'Slime Industries', rir: 'ARIN' }),
  directory: () => sco({ type: 'directory', path: 'C:\\Windows\\System32' }),
  'domain-name': () => sco({ type: 'domain-name', value: 'example.com', resolves_to_refs: [IPV4] }),
  'email-addr': () => sco({ type: 'email-addr', value: 'john@example.com', display_name: 'John Doe' }),
  'email-message': () => sco({ type: 'email-message', is_multipart: false, subject: 'Saying Hello', body: 'Hi' }),
  file: () => sco({ type: 'file', hashes: { 'SHA-256': 'fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db' }, size: 25536, name: 'foo.dll' }),
  'ipv4-addr': () => sco({ type: 'ipv4-addr', value: '198.51.100.3' }),
  'ipv6-addr': () => sco({ type: 'ipv6-addr', value: '2001:0db8:85a3:0000:0000:8a2e:0370:7334' }),
  'mac-addr': () => sco({ type: 'mac-addr', value: 'd2:fb:49:24:37:18' }),
  mutex: () => sco({ type: 'mutex', name: '__CLEANSWEEP__' }),
  'network-traffic': () => sco({ type: 'network-traffic', dst_ref: IPV4, dst_port: 80, protocols: ['ipv4', 'tcp', 'http'] }),
  process: () => sco({ type: 'process', pid: 1221, command_line: './gedit-bin --new-window' }),
  software: () => sco({ type: 'software', name: 'Word', cpe: 'cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*', vendor: 'Microsoft', version: '2002' }),
  url: () => sco({ type: 'url', value: 'https://example.com/research/index.html' }),
  'user-account': () => sco({ type: 'user-account', user_id: '1001', account_login: 'jdoe', account_type: 'unix' }),
  'windows-registry-key': () => sco({ type: 'windows-registry-key', key: 'HKEY_LOCAL_MACHINE\\System\\Foo\\Bar' }),
  'x509-certificate': () => sco({ type: 'x509-certificate', serial_number: '36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49:32:0a:b7:06' }),
  'language-content': () => versioned('language-content', { object_ref: idOf('campaign'), object_modified: T0, contents: { de: { name: 'Bank Angriff' } } }),
  'marking-definition': () => ({
    type: 'marking-definition',
    spec_version: '2.1',
    id: idOf('marking-definition'),
    created: T0,
    definition_type: 'statement',
    definition: { statement: 'Copyright 2019, Example Corp' },
  }),
  'extension-definition': () =>
    versioned('extension-definition', {
      created_by_ref: IDENTITY,
      name: 'Extension Foo',
      schema: 'https://www.example.com/schema-foo/v1/',
      version: '1.2.1',
      extension_types: ['property-extension'],
    }),
};

function make(type: string, overrides: Obj = {}): Obj {
  const factory = FIXTURES[type];
  assert.ok(factory, `no fixture for ${type}`);
  const object = factory();
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete object[key];
    else object[key] = value;
  }
  return object;
}

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

function errorsOf(result: ValidationResult): StixIssue[] {
  return result.ok ? [] : result.errors;
}

function describeIssues(issues: readonly StixIssue[]): string {
  return issues.map((i) => `${i.rule} ${i.path}: ${i.message}`).join('\n');
}

function assertValid(input: unknown, options?: ValidateOptions): Extract<ValidationResult, { ok: true }> {
  const result = validateObject(input, options);
  assert.ok(result.ok, `expected valid, got:\n${describeIssues(errorsOf(result))}`);
  return result;
}

function assertError(input: unknown, rule: string, pathPrefix?: string, options?: ValidateOptions): StixIssue {
  const result = validateObject(input, options);
  const errors = errorsOf(result);
  const match = errors.find((e) => e.rule === rule && (pathPrefix === undefined || e.path.startsWith(pathPrefix)));
  assert.ok(match, `expected error ${rule}${pathPrefix ? ` at ${pathPrefix}` : ''}, got:\n${describeIssues(errors) || '(valid)'}`);
  assert.ok(match.message.length > 20, 'messages explain the problem');
  return match;
}

function assertWarning(input: unknown, rule: string, pathPrefix?: string, options?: ValidateOptions): StixIssue {
  const result = assertValid(input, options);
  const match = result.warnings.find((w) => w.rule === rule && (pathPrefix === undefined || w.path.startsWith(pathPrefix)));
  assert.ok(match, `expected warning ${rule}${pathPrefix ? ` at ${pathPrefix}` : ''}, got:\n${describeIssues(result.warnings) || '(none)'}`);
  return match;
}

function assertNoIssue(input: unknown, rule: string, options?: ValidateOptions): void {
  const result = validateObject(input, options);
  const issues = result.ok ? result.warnings : result.errors;
  assert.ok(result.ok, `expected valid, got:\n${describeIssues(errorsOf(result))}`);
  assert.equal(issues.filter((i) => i.rule === rule).length, 0, describeIssues(issues));
}

// ---------------------------------------------------------------------------------------------
// Every type: a valid object passes cleanly, each required property is enforced.
// ---------------------------------------------------------------------------------------------

const REQUIRED: Record<string, readonly string[]> = {
  'attack-pattern': ['name'],
  campaign: ['name'],
  'course-of-action': ['name'],
  grouping: ['context', 'object_refs'],
  identity: ['name'],
  incident: ['name'],
  indicator: ['pattern', 'pattern_type', 'valid_from'],
  infrastructure: ['name'],
  'intrusion-set': ['name'],
  location: [],
  malware: ['is_family'],
  'malware-analysis': ['product'],
  note: ['content', 'object_refs'],
  'observed-data': ['first_observed', 'last_observed', 'number_observed', 'object_refs'],
  opinion: ['opinion', 'object_refs'],
  report: ['name', 'published', 'object_refs'],
  'threat-actor': ['name'],
  tool: ['name'],
  vulnerability: ['name'],
  relationship: ['relationship_type', 'source_ref', 'target_ref'],
  sighting: ['sighting_of_ref'],
  artifact: [],
  'autonomous-system': ['number'],
  directory: ['path'],
  'domain-name': ['value'],
  'email-addr': ['value'],
  'email-message': ['is_multipart'],
  file: [],
  'ipv4-addr': ['value'],
  'ipv6-addr': ['value'],
  'mac-addr': ['value'],
  mutex: ['name'],
  'network-traffic': ['protocols'],
  process: [],
  software: ['name'],
  url: ['value'],
  'user-account': [],
  'windows-registry-key': [],
  'x509-certificate': [],
  'language-content': ['object_ref', 'contents', 'created', 'modified', 'spec_version'],
  'marking-definition': ['created', 'spec_version'],
  'extension-definition': ['created_by_ref', 'name', 'schema', 'version', 'extension_types', 'created', 'modified', 'spec_version'],
};

const VERSIONED_COMMON = ['spec_version', 'created', 'modified'];

describe('every STIX 2.1 type', () => {
  const allTypes = [...SDO_TYPE_LIST, ...SRO_TYPE_LIST, ...SCO_TYPE_LIST, ...META_TYPE_LIST];

  it('has a fixture and a required-property list', () => {
    assert.deepEqual(Object.keys(FIXTURES).sort(), [...allTypes].sort());
    assert.deepEqual(Object.keys(REQUIRED).sort(), [...allTypes].sort());
  });

  for (const type of allTypes) {
    it(`${type}: a complete object is valid, unchanged and without warnings`, () => {
      const input = make(type);
      const snapshot = structuredClone(input);
      const result = assertValid(input);
      assert.equal(result.object, input, 'the same object is returned');
      assert.deepEqual(input, snapshot, 'validation does not modify the input');
      assert.deepEqual(result.upgraded, []);
      assert.deepEqual(result.warnings, [], describeIssues(result.warnings));
    });

    const isVersioned = !(SCO_TYPE_LIST as readonly string[]).includes(type) && !(META_TYPE_LIST as readonly string[]).includes(type);
    const required = [...(REQUIRED[type] ?? []), ...(isVersioned ? VERSIONED_COMMON : [])];
    for (const property of [...new Set([...required, 'id'])]) {
      it(`${type}: missing ${property} is an error`, () => {
        const issue = assertError(make(type, { [property]: undefined }), 'required', `$.${property}`, { specVersion: '2.1' });
        assert.equal(issue.path, `$.${property}`);
      });
    }
  }

  it('an object with an id reports it on every issue', () => {
    const object = make('indicator', { confidence: 101, valid_from: 'yesterday' });
    const result = validateObject(object);
    assert.equal(result.ok, false);
    for (const issue of errorsOf(result)) assert.equal(issue.id, object['id']);
  });

  it('collects every error of an object instead of stopping at the first', () => {
    const result = validateObject(
      make('indicator', { confidence: 101, valid_from: '2016-01-01', labels: [], created_by_ref: 'acme', pattern_type: undefined }),
    );
    const rules = errorsOf(result).map((e) => `${e.rule} ${e.path}`).sort();
    assert.deepEqual(rules, [
      'empty-list $.labels',
      'range $.confidence',
      'ref-format $.created_by_ref',
      'required $.pattern_type',
      'timestamp-format $.valid_from',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Rules: each with a failing and a passing case.
// ---------------------------------------------------------------------------------------------

describe('object shape', () => {
  it('not-an-object', () => {
    for (const input of [null, [], 'indicator', 42]) assertError(input, 'not-an-object', '$');
    assertValid(make('indicator'));
  });

  it('object-size', () => {
    const object = make('indicator', { description: 'x'.repeat(2000) });
    const issue = assertError(object, 'object-size', '$', { maxObjectBytes: 1024 });
    assert.equal(issue.id, object['id']);
    assertValid(object, { maxObjectBytes: 4096 });
  });

  it('type-name', () => {
    for (const type of ['Indicator', 'x--acme', 'x-', '-x-acme', 'ab', 'x_acme', '1x-acme']) {
      assertError({ type, id: `${type}--${v4(1)}`, spec_version: '2.1', created: T0, modified: T0 }, 'type-name', '$.type');
    }
    assertValid({ type: 'x-acme-widget', id: idOf('x-acme-widget'), spec_version: '2.1', created: T0, modified: T0, x_acme_size: 3 });
  });

  it('unknown-type (custom objects refused) and custom-object (accepted, warned)', () => {
    const custom = { type: 'x-acme-widget', id: idOf('x-acme-widget'), spec_version: '2.1', created: T0, modified: T0 };
    assertError(custom, 'unknown-type', '$.type', { allowCustom: false });
    assertWarning(custom, 'custom-object', '$.type');
    assertError({ type: 'bundle', id: idOf('bundle'), objects: [] }, 'unknown-type', '$.type');
  });

  it('custom objects defined by a new-sdo extension follow SDO rules without the deprecation warning', () => {
    const extension = idOf('extension-definition', 7);
    const custom = {
      type: 'my-favorite-sdo',
      spec_version: '2.1',
      id: idOf('my-favorite-sdo'),
      created: T0,
      modified: T0,
      name: 'This is the name of my favorite',
      some_property_name1: 'value1',
      extensions: { [extension]: { extension_type: 'new-sdo' } },
    };
    assertNoIssue(custom, 'custom-object');
    assertError({ ...custom, modified: undefined }, 'required', '$.modified');
    const newSco = { type: 'my-sco', id: idOf('my-sco'), spec_version: '2.1', extensions: { [extension]: { extension_type: 'new-sco' } } };
    assertValid(newSco);
  });

  it('id-format', () => {
    assertError(make('indicator', { id: 'indicator--1234' }), 'id-format', '$.id');
    assertError(make('indicator', { id: `malware--${v4(1)}` }), 'id-format', '$.id');
    assertError(make('indicator', { id: `indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f` }), 'id-format', '$.id');
    assertError(make('indicator', { id: `indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f` }), 'id-format', '$.id');
    assertWarning(make('indicator', { id: 'indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F' }), 'id-format', '$.id');
    assertNoIssue(make('indicator'), 'id-format');
  });

  it('uuid-version (SDOs/SROs/meta SHOULD use UUIDv4)', () => {
    assertWarning(make('campaign', { id: 'campaign--8e2e2d2b-17d4-1cbf-938f-98ee46b3cd3f' }), 'uuid-version', '$.id');
    assertNoIssue(make('campaign'), 'uuid-version');
  });

  it('spec-version', () => {
    assertError(make('indicator', { spec_version: '2.2' }), 'spec-version', '$.spec_version');
    assertError(make('ipv4-addr', { spec_version: 2.1 }), 'spec-version', '$.spec_version');
    assertValid(make('ipv4-addr', { spec_version: undefined }));
  });
});

describe('value types and ranges', () => {
  it('value-type', () => {
    assertError(make('identity', { name: 42 }), 'value-type', '$.name');
    assertError(make('identity', { name: null }), 'value-type', '$.name');
    assertError(make('identity', { revoked: 'false' }), 'value-type', '$.revoked');
    assertError(make('identity', { x_acme_note: null }), 'value-type', '$.x_acme_note');
    assertValid(make('identity', { revoked: false }));
  });

  it('range', () => {
    assertError(make('identity', { confidence: 101 }), 'range', '$.confidence');
    assertError(make('identity', { confidence: -1 }), 'range', '$.confidence');
    assertError(make('identity', { confidence: 50.5 }), 'value-type', '$.confidence');
    assertError(make('sighting', { count: 1_000_000_000 }), 'range', '$.count');
    assertError(make('observed-data', { number_observed: 0 }), 'range', '$.number_observed');
    assertError(make('location', { latitude: 91, longitude: 0 }), 'range', '$.latitude');
    assertError(make('network-traffic', { dst_port: 70000 }), 'range', '$.dst_port');
    assertError(make('file', { size: -1 }), 'range', '$.size');
    assertError(make('identity', { confidence: 2 ** 60 }), 'range', '$.confidence');
    assertValid(make('identity', { confidence: 0 }));
    assertValid(make('sighting', { count: 0 }));
    assertValid(make('location', { latitude: -90, longitude: 180, precision: 10.5 }));
  });

  it('empty-list and empty-dictionary', () => {
    assertError(make('identity', { labels: [] }), 'empty-list', '$.labels');
    assertError(make('file', { hashes: {} }), 'empty-dictionary', '$.hashes');
    assertError(make('identity', { extensions: {} }), 'empty-dictionary', '$.extensions');
    assertValid(make('identity', { labels: ['trusted'] }));
  });
});

describe('timestamps', () => {
  it('timestamp-format', () => {
    assertError(make('indicator', { valid_from: '2016-01-01' }), 'timestamp-format', '$.valid_from');
    assertError(make('indicator', { valid_from: '2016-01-01T00:00:00+01:00' }), 'timestamp-format', '$.valid_from');
    assertError(make('indicator', { valid_from: '2016-02-30T00:00:00Z' }), 'timestamp-format', '$.valid_from');
    assertError(make('indicator', { created: '2016-04-06 20:03:48.000' }), 'timestamp-format', '$.created');
    assertValid(make('indicator', { valid_from: '2016-01-01T00:00:00.123456Z' }));
  });

  it('timestamp-precision: created and modified need milliseconds', () => {
    const issue = assertError(make('indicator', { created: '2016-04-06T20:03:48Z', modified: '2016-04-06T20:03:48Z' }), 'timestamp-precision', '$.created');
    assert.match(issue.message, /2016-04-06T20:03:48\.000Z/);
    assertError(make('indicator', { modified: '2016-04-06T20:03:48.5Z' }), 'timestamp-precision', '$.modified');
    assertValid(make('indicator', { created: '2016-04-06T20:03:48.000001Z', modified: '2016-04-06T20:03:48.000001Z' }));
    assertValid(make('indicator', { valid_from: '2016-01-01T00:00:00Z' }));
  });

  it('modified-before-created', () => {
    assertError(make('indicator', { created: T1, modified: T0 }), 'modified-before-created', '$.modified');
    assertValid(make('indicator', { created: T0, modified: T1 }));
    assertValid(make('indicator', { created: T0, modified: '2016-04-06T20:03:48.000000Z' }));
  });

  it('timestamp-order', () => {
    assertError(make('indicator', { valid_until: '2016-01-01T00:00:00.000Z' }), 'timestamp-order', '$.valid_until');
    assertError(make('campaign', { first_seen: T1, last_seen: T0 }), 'timestamp-order', '$.last_seen');
    assertError(make('relationship', { start_time: T0, stop_time: T0 }), 'timestamp-order', '$.stop_time');
    assertError(make('observed-data', { last_observed: '2015-12-21T18:59:59Z' }), 'timestamp-order', '$.last_observed');
    assertError(make('sighting', { first_seen: T1, last_seen: T0 }), 'timestamp-order', '$.last_seen');
    assertError(make('network-traffic', { start: T1, end: T0 }), 'timestamp-order', '$.end');
    assertValid(make('indicator', { valid_until: '2016-01-01T00:00:00.001Z' }));
    assertValid(make('campaign', { first_seen: T0, last_seen: T0 }));
    assertValid(make('relationship', { start_time: T0, stop_time: T1 }));
  });
});

describe('references', () => {
  it('ref-format', () => {
    assertError(make('indicator', { created_by_ref: 'identity-1' }), 'ref-format', '$.created_by_ref');
    assertError(make('report', { object_refs: [INDICATOR, 'nope'] }), 'ref-format', '$.object_refs[1]');
    assertValid(make('report', { object_refs: [INDICATOR, IPV4, idOf('x-acme-widget')] }));
  });

  it('ref-type: embedded relationship targets the spec restricts', () => {
    assertError(make('indicator', { created_by_ref: idOf('malware') }), 'ref-type', '$.created_by_ref');
    assertError(make('indicator', { object_marking_refs: [IDENTITY] }), 'ref-type', '$.object_marking_refs[0]');
    assertError(make('relationship', { target_ref: MARKING }), 'ref-type', '$.target_ref');
    assertError(make('relationship', { source_ref: idOf('sighting') }), 'ref-type', '$.source_ref');
    assertError(make('relationship', { target_ref: idOf('language-content') }), 'ref-type', '$.target_ref');
    assertError(make('sighting', { sighting_of_ref: IPV4 }), 'ref-type', '$.sighting_of_ref');
    assertError(make('sighting', { where_sighted_refs: [INDICATOR] }), 'ref-type', '$.where_sighted_refs[0]');
    assertError(make('sighting', { observed_data_refs: [INDICATOR] }), 'ref-type', '$.observed_data_refs[0]');
    assertError(make('observed-data', { object_refs: [INDICATOR] }), 'ref-type', '$.object_refs');
    assertError(make('network-traffic', { dst_ref: idOf('url') }), 'ref-type', '$.dst_ref');
    assertError(make('malware', { sample_refs: [IPV4] }), 'ref-type', '$.sample_refs[0]');
    assertError(make('malware-analysis', { sample_ref: IPV4 }), 'ref-type', '$.sample_ref');
    // SCOs and custom objects are valid relationship ends; identities and locations are where sightings happen.
    assertValid(make('relationship', { source_ref: idOf('attack-pattern'), target_ref: idOf('x-mitre-asset') }));
    assertValid(make('relationship', { relationship_type: 'resolves-to', source_ref: idOf('domain-name'), target_ref: IPV4 }));
    assertValid(make('sighting', { where_sighted_refs: [IDENTITY, idOf('location')], observed_data_refs: [idOf('observed-data')] }));
    assertValid(make('observed-data', { object_refs: [IPV4, idOf('relationship')] }));
  });

  it('custom _ref/_refs properties that hold no identifier are warned about', () => {
    assertWarning(make('identity', { x_acme_owner_ref: '' }), 'ref-format', '$.x_acme_owner_ref');
    assertWarning(make('identity', { x_acme_owner_refs: ['a'] }), 'ref-format', '$.x_acme_owner_refs');
    assertNoIssue(make('identity', { x_acme_owner_ref: IDENTITY }), 'ref-format');
  });
});

describe('vocabularies', () => {
  it('vocab: open vocabularies warn on values outside the suggestion', () => {
    const issue = assertWarning(make('indicator', { indicator_types: ['bad-stuff'] }), 'vocab', '$.indicator_types[0]');
    assert.match(issue.message, /indicator-type-ov/);
    assertWarning(make('identity', { identity_class: 'Company' }), 'vocab', '$.identity_class');
    assertWarning(make('indicator', { pattern_type: 'kql', pattern: 'DeviceEvents' }), 'vocab', '$.pattern_type');
    assertWarning(make('grouping', { context: 'tuesday' }), 'vocab', '$.context');
    assertNoIssue(make('identity', { sectors: ['defense', 'government-national'] }), 'vocab');
  });

  it('enum: closed enumerations reject other values', () => {
    assertError(make('opinion', { opinion: 'maybe' }), 'enum', '$.opinion');
    assertError(make('artifact', { encryption_algorithm: 'rot13', decryption_key: 'k' }), 'enum', '$.encryption_algorithm');
    assertError(make('extension-definition', { extension_types: ['new-thing'] }), 'enum', '$.extension_types[0]');
    assertError(
      make('windows-registry-key', { values: [{ name: 'Foo', data: 'x', data_type: 'REG_STRING' }] }),
      'enum',
      '$.values[0].data_type',
    );
    assertValid(make('opinion', { opinion: 'agree' }));
    assertValid(make('artifact', { encryption_algorithm: 'mime-type-indicated', decryption_key: 'My voice is my passport' }));
  });

  it('lang', () => {
    assertError(make('campaign', { lang: 'english!' }), 'lang', '$.lang');
    assertError(make('language-content', { contents: { 'xx yy': { name: 'x' } } }), 'lang', "$.contents['xx yy']");
    for (const lang of ['en', 'de-CH', 'zh-Hant-TW', 'sr-Latn-RS', 'i-klingon', 'x-private']) assertValid(make('campaign', { lang }));
  });
});

describe('common structures', () => {
  it('external-reference', () => {
    assertError(make('campaign', { external_references: [{ source_name: 'acme' }] }), 'external-reference', '$.external_references[0]');
    assertError(make('campaign', { external_references: [{ url: 'https://example.com' }] }), 'required', '$.external_references[0].source_name');
    assertError(
      make('attack-pattern', { external_references: [{ source_name: 'capec', external_id: '163' }] }),
      'external-reference',
      '$.external_references[0].external_id',
    );
    assertValid(make('attack-pattern', { external_references: [{ source_name: 'capec', external_id: 'CAPEC-163' }] }));
    assertValid(make('campaign', { external_references: [{ source_name: 'ACME Threat Intel', description: 'Threat report' }] }));
  });

  it('kill-chain-phase', () => {
    assertError(make('attack-pattern', { kill_chain_phases: [{ kill_chain_name: 'mitre-attack' }] }), 'required', '$.kill_chain_phases[0].phase_name');
    assertWarning(make('attack-pattern', { kill_chain_phases: [{ kill_chain_name: 'Lockheed Martin', phase_name: 'recon' }] }), 'kill-chain-phase');
    assertNoIssue(make('attack-pattern', { kill_chain_phases: [{ kill_chain_name: 'lockheed-martin-cyber-kill-chain', phase_name: 'reconnaissance' }] }), 'kill-chain-phase');
  });

  it('granular-marking', () => {
    assertError(make('indicator', { granular_markings: [{ selectors: ['name'], marking_ref: MARKING, lang: 'en' }] }), 'granular-marking', '$.granular_markings[0]');
    assertError(make('indicator', { granular_markings: [{ selectors: ['name'] }] }), 'granular-marking', '$.granular_markings[0]');
    assertError(make('indicator', { granular_markings: [{ selectors: ['description'], marking_ref: MARKING }] }), 'granular-marking', '$.granular_markings[0].selectors[0]');
    assertError(make('indicator', { granular_markings: [{ selectors: ['indicator_types.[3]'], marking_ref: MARKING }] }), 'granular-marking');
    assertError(make('indicator', { granular_markings: [{ selectors: ['name'], marking_ref: IDENTITY }] }), 'ref-type', '$.granular_markings[0].marking_ref');
    assertValid(
      make('indicator', {
        external_references: [{ source_name: 'cve', external_id: 'CVE-2014-0160' }],
        granular_markings: [
          { selectors: ['name', 'indicator_types.[0]', 'external_references.[0].source_name'], marking_ref: MARKING },
          { selectors: ['pattern'], lang: 'en' },
        ],
      }),
    );
  });

  it('object-marking: a marking definition must not mark itself', () => {
    const id = idOf('marking-definition');
    assertError(make('marking-definition', { object_marking_refs: [id] }), 'object-marking', '$.object_marking_refs');
    assertValid(make('marking-definition', { object_marking_refs: [MARKING] }));
  });

  it('hash-key, hash-value and hash-algorithm', () => {
    assertError(make('file', { hashes: { MD5: 'not-a-digest' } }), 'hash-value', "$.hashes.MD5");
    assertError(make('file', { hashes: { 'SHA-256': 'abcd' } }), 'hash-value', "$.hashes['SHA-256']");
    assertError(make('file', { hashes: { x: 'abcd' } }), 'hash-key', '$.hashes.x');
    const renamed = assertWarning(make('file', { hashes: { sha256: 'fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db' } }), 'hash-algorithm', '$.hashes.sha256');
    assert.match(renamed.message, /SHA-256/);
    assertWarning(make('file', { hashes: { x_acme_hash: 'aaaabbbb' } }), 'hash-algorithm', '$.hashes.x_acme_hash');
    assertValid(make('file', { hashes: { MD5: '3773a88f65a5e780c8dff9cdc3a056f3', SSDEEP: '96:Fr4Pba0k5ggmzGj6ocvuq6cIgw9ihVEVbPbgzbkDbrbgS:Fr4Pba0k7gmzAU6Ibf2' } }));
  });

  it('dictionary-key', () => {
    assertError(make('file', { extensions: { 'bad key!': { x_acme: 1 } } }), 'dictionary-key', "$.extensions['bad key!']");
    assertWarning(make('email-message', { additional_header_fields: { 'Reply To': ['x@example.com'] } }), 'dictionary-key');
    assertValid(make('email-message', { additional_header_fields: { 'Reply-To': ['steve@example.com', 'jane@example.com'] } }));
  });
});

describe('customisation (11) and reserved names (3.8)', () => {
  it('custom-property-name', () => {
    assertError(make('identity', { X_Acme: 1 }), 'custom-property-name', '$.X_Acme');
    assertError(make('identity', { 'x-acme': 1 }), 'custom-property-name', "$['x-acme']");
    assertError(make('identity', { xy: 1 }), 'custom-property-name', '$.xy');
    assertError(make('identity', { _acme: 1 }), 'custom-property-name', '$._acme');
    assertError(make('campaign', { external_references: [{ source_name: 'a', url: 'https://a.example', 'Bad-Name': 1 }] }), 'custom-property-name');
    assertValid(make('identity', { x_acme_score: 10, acme_without_prefix: { nested: true } }));
  });

  it('custom-property: refused when custom content is not accepted', () => {
    assertError(make('identity', { x_acme_score: 10 }), 'custom-property', '$.x_acme_score', { allowCustom: false });
    const declared = make('identity', {
      x_acme_score: 10,
      extensions: { [idOf('extension-definition', 3)]: { extension_type: 'toplevel-property-extension' } },
    });
    assertValid(declared, { allowCustom: false });
    assertValid(make('identity'), { allowCustom: false });
  });

  it('reserved-property', () => {
    for (const name of ['severity', 'username', 'phone_number', 'action']) {
      assertError(make('course-of-action', { [name]: 'x' }), 'reserved-property', `$.${name}`);
    }
  });

  it('not-applicable', () => {
    assertError(make('indicator', { defanged: true }), 'not-applicable', '$.defanged');
    assertWarning(make('ipv4-addr', { created: T0 }), 'not-applicable', '$.created');
    assertWarning(make('marking-definition', { modified: T0 }), 'not-applicable', '$.modified');
    assertValid(make('url', { defanged: true }));
  });

  it('extension', () => {
    const definition = idOf('extension-definition', 5);
    assertError(make('identity', { extensions: { [definition]: { rank: 5 } } }), 'required', `$.extensions['${definition}'].extension_type`);
    assertError(make('identity', { extensions: { [definition]: { extension_type: 'new-sdo' } } }), 'extension');
    assertError(make('process', { extensions: { 'ntfs-ext': { sid: '1234567' } } }), 'extension', "$.extensions['ntfs-ext']");
    assertError(make('identity', { extensions: { [definition]: { extension_type: 'property-extension', 'Bad Name': 1 } } }), 'custom-property-name');
    assertWarning(make('identity', { extensions: { 'acme-ext': { rank: 5 } } }), 'extension');
    assertValid(make('identity', { extensions: { [definition]: { extension_type: 'property-extension', rank: 5, toxicity: 8 } } }));
  });

  it('deprecated: custom SCO extensions and the observed-data objects container', () => {
    assertWarning(make('file', { extensions: { 'x-acme-foo-ext': { foo_val: 'foo' } } }), 'deprecated', "$.extensions['x-acme-foo-ext']");
    assertWarning(
      make('observed-data', { object_refs: undefined, objects: { '0': { type: 'ipv4-addr', value: '198.51.100.3' } } }),
      'deprecated',
      '$.objects',
    );
  });
});

describe('predefined SCO extensions', () => {
  it('validates each predefined extension', () => {
    assertValid(
      make('file', {
        extensions: {
          'ntfs-ext': { sid: '1234567', alternate_data_streams: [{ name: 'second.stream', size: 25536 }] },
          'windows-pebinary-ext': {
            pe_type: 'exe',
            machine_hex: '014c',
            number_of_sections: 4,
            time_date_stamp: '2016-01-22T12:31:12Z',
            optional_header: { magic_hex: '010b', size_of_code: 512 },
            sections: [{ name: 'CODE', entropy: 0.061089 }],
          },
          'raster-image-ext': { exif_tags: { Make: 'Nikon', XResolution: 4928 } },
          'pdf-ext': { version: '1.7', document_info_dict: { Title: 'Sample document' } },
          'archive-ext': { contains_refs: [idOf('file', 4)] },
        },
      }),
    );
    assertValid(
      make('network-traffic', {
        extensions: {
          'http-request-ext': { request_method: 'get', request_value: '/download.html', request_header: { Host: ['www.example.com'] } },
          'tcp-ext': { src_flags_hex: '00000002' },
          'socket-ext': { address_family: 'AF_INET', socket_type: 'SOCK_STREAM', is_listening: true },
          'icmp-ext': { icmp_type_hex: '08', icmp_code_hex: '00' },
        },
      }),
    );
    assertValid(
      make('process', {
        extensions: {
          'windows-process-ext': { aslr_enabled: true, priority: 'HIGH_PRIORITY_CLASS', integrity_level: 'high' },
          'windows-service-ext': { service_name: 'sirvizio', start_type: 'SERVICE_AUTO_START', service_status: 'SERVICE_RUNNING' },
        },
      }),
    );
    assertValid(make('user-account', { extensions: { 'unix-account-ext': { gid: 1001, groups: ['wheel'], shell: '/bin/bash' } } }));
  });

  it('rejects broken predefined extensions', () => {
    assertError(make('file', { extensions: { 'ntfs-ext': {} } }), 'at-least-one', "$.extensions['ntfs-ext']");
    assertError(make('file', { extensions: { 'windows-pebinary-ext': { pe_type: 'exe' } } }), 'at-least-one');
    assertError(make('file', { extensions: { 'archive-ext': {} } }), 'required', "$.extensions['archive-ext'].contains_refs");
    assertError(make('file', { extensions: { 'archive-ext': { contains_refs: [IPV4] } } }), 'ref-type');
    assertError(make('network-traffic', { extensions: { 'socket-ext': { address_family: 'AF_MARS' } } }), 'enum');
    assertError(make('network-traffic', { extensions: { 'icmp-ext': { icmp_type_hex: '8' } } }), 'value-format');
    assertError(make('network-traffic', { extensions: { 'http-request-ext': { request_method: 'get', request_value: '/', request_header: { Host: 'x' } } } }), 'value-type');
    assertError(make('process', { extensions: { 'windows-process-ext': { integrity_level: 'extreme' } } }), 'enum');
    assertError(make('user-account', { extensions: { 'unix-account-ext': { gid: 'wheel' } } }), 'value-type');
  });
});

describe('patterns', () => {
  it('pattern-syntax: STIX patterns go through the pattern parser', () => {
    const issue = assertError(make('indicator', { pattern: "[file:name = 'x' AND]" }), 'pattern-syntax', '$.pattern');
    assert.match(issue.message, /line 1, column \d+/);
    assertError(make('indicator', { pattern: "[file:hashes.MD5 = 'not-md5']" }), 'pattern-syntax', '$.pattern');
    assertValid(make('indicator', { pattern: "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS" }));
    assertValid(make('indicator', { pattern_type: 'yara', pattern: 'rule x { condition: true }' }));
  });

  it('pattern-version selects the grammar and warns about unknown versions', () => {
    assertWarning(make('indicator', { pattern_version: '3.0' }), 'pattern-version', '$.pattern_version');
    assertNoIssue(make('indicator', { pattern_version: '2.1' }), 'pattern-version');
    // EXISTS exists only in STIX 2.1 patterning.
    assertValid(make('indicator', { pattern: '[EXISTS file:name]', pattern_version: '2.1' }));
    assertError(make('indicator', { pattern: '[EXISTS file:name]', pattern_version: '2.0' }), 'pattern-syntax');
  });
});

describe('deterministic SCO ids', () => {
  it('sco-id: accepts the deterministic id', () => {
    assertNoIssue({ type: 'ipv4-addr', spec_version: '2.1', id: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4', value: '198.51.100.3' }, 'sco-id');
  });

  it('sco-id: warns about a different UUIDv5 or a UUIDv4', () => {
    const issue = assertWarning({ type: 'ipv4-addr', id: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4', value: '198.51.100.4' }, 'sco-id', '$.id');
    assert.match(issue.message, /ipv4-addr--[0-9a-f-]{36}/);
    assertWarning({ type: 'ipv4-addr', id: idOf('ipv4-addr'), value: '198.51.100.3' }, 'sco-id', '$.id');
  });

  it('sco-id: a UUIDv5 without any ID Contributing Property is an error (UUIDv4 MUST be used)', () => {
    assertError({ type: 'user-account', id: 'user-account--f94d689e-707d-58c3-b803-c720bb6ed096', display_name: 'x' }, 'sco-id', '$.id');
    assertValid({ type: 'user-account', id: idOf('user-account'), display_name: 'x' });
  });

  it('sco-id: process ids SHOULD be UUIDv4', () => {
    assertWarning({ type: 'process', id: 'process--f94d689e-707d-58c3-b803-c720bb6ed096', pid: 3 }, 'sco-id');
  });
});

describe('value formats and per-type constraints', () => {
  it('value-format', () => {
    assertError(make('ipv4-addr', { value: '999.1.1.1' }), 'value-format', '$.value');
    assertError(make('ipv4-addr', { value: '10.0.0.0/33' }), 'value-format', '$.value');
    assertError(make('ipv6-addr', { value: '2001:db8:::1' }), 'value-format', '$.value');
    assertError(make('ipv6-addr', { value: '2001:db8::/129' }), 'value-format', '$.value');
    assertError(make('mac-addr', { value: 'D2:FB:49:24:37:18' }), 'value-format', '$.value');
    assertError(make('relationship', { relationship_type: 'Uses' }), 'value-format', '$.relationship_type');
    assertError(make('software', { cpe: 'microsoft word' }), 'value-format', '$.cpe');
    assertError(make('windows-registry-key', { key: 'HKLM\\Software\\Foo' }), 'value-format', '$.key');
    assertError(make('artifact', { payload_bin: 'not base64!' }), 'value-format', '$.payload_bin');
    assertError(make('file', { magic_number_hex: 'xyz' }), 'value-format', '$.magic_number_hex');
    assertWarning(make('url', { value: 'example.com/no scheme' }), 'value-format', '$.value');
    assertWarning(make('domain-name', { value: 'bad_label-.example' }), 'value-format', '$.value');
    for (const value of ['198.51.100.0/24', '0.0.0.0']) assertNoIssue(make('ipv4-addr', { value }), 'value-format');
    for (const value of ['::1', '2001:db8::/32', '::ffff:192.0.2.128', 'fe80::1:2:3:4:5:6', '1:2:3:4:5:6:7:8/128']) {
      assertNoIssue(make('ipv6-addr', { value }), 'value-format');
    }
  });

  it('tlp-marking', () => {
    const tlpGreen = {
      type: 'marking-definition',
      spec_version: '2.1',
      id: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
      created: '2017-01-20T00:00:00.000Z',
      definition_type: 'tlp',
      name: 'TLP:GREEN',
      definition: { tlp: 'green' },
    };
    assertValid(tlpGreen);
    assertError({ ...tlpGreen, id: idOf('marking-definition') }, 'tlp-marking', '$.id');
    assertError({ ...tlpGreen, definition: { tlp: 'red' } }, 'tlp-marking', '$.definition.tlp');
    assertError({ ...tlpGreen, definition: { tlp: 'clear' } }, 'tlp-marking', '$.definition.tlp');
    const tlp2 = {
      type: 'marking-definition',
      spec_version: '2.1',
      id: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
      created: '2022-10-01T00:00:00.000Z',
      name: 'TLP:AMBER+STRICT',
      extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: 'amber+strict' } },
    };
    assertValid(tlp2);
    assertError(
      { ...tlp2, extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: 'amber' } } },
      'tlp-marking',
    );
    assertError(
      { ...tlp2, extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: 'purple' } } },
      'tlp-marking',
    );
  });

  it('at-least-one', () => {
    assertError(make('file', { hashes: undefined, name: undefined }), 'at-least-one', '$');
    assertError(make('location', { region: undefined, name: 'Somewhere' }), 'at-least-one', '$');
    assertError(make('network-traffic', { dst_ref: undefined }), 'at-least-one', '$');
    assertError(make('malware-analysis', { result: undefined }), 'at-least-one', '$');
    assertError({ type: 'process', id: idOf('process') }, 'at-least-one', '$');
    assertError({ type: 'user-account', id: idOf('user-account') }, 'at-least-one', '$');
    assertError({ type: 'x509-certificate', id: idOf('x509-certificate') }, 'at-least-one', '$');
    assertError(make('artifact', { payload_bin: undefined }), 'at-least-one', '$');
    assertError(make('email-message', { is_multipart: true, body: undefined, body_multipart: [{ content_type: 'text/plain' }] }), 'at-least-one', '$.body_multipart[0]');
    assertValid(make('location', { region: undefined, latitude: 48.8566, longitude: 2.3522 }));
    assertValid(make('malware-analysis', { result: undefined, analysis_sco_refs: [idOf('file')] }));
  });

  it('mutually-exclusive', () => {
    assertError(make('artifact', { url: 'https://example.com/a.bin', hashes: { MD5: '3773a88f65a5e780c8dff9cdc3a056f3' } }), 'mutually-exclusive', '$.url');
    assertError(make('email-message', { is_multipart: true }), 'mutually-exclusive', '$.body');
    assertError(make('email-message', { body: undefined, body_multipart: [{ body: 'x' }] }), 'mutually-exclusive', '$.body_multipart');
    assertError(make('observed-data', { objects: { '0': { type: 'ipv4-addr', value: '198.51.100.3' } } }), 'mutually-exclusive', '$.objects');
    assertError(make('network-traffic', { is_active: true, end: T0 }), 'mutually-exclusive', '$.end');
    assertValid(make('email-message', { is_multipart: true, body: undefined, body_multipart: [{ content_type: 'text/plain', body: 'Cats are funny!' }] }));
  });

  it('dependent-property', () => {
    assertError(make('location', { precision: 10 }), 'dependent-property', '$.precision');
    assertError(make('location', { latitude: 10 }), 'dependent-property', '$.longitude');
    assertError(make('artifact', { decryption_key: 'k' }), 'dependent-property', '$.decryption_key');
    assertError(make('artifact', { payload_bin: undefined, url: 'https://example.com/a.bin' }), 'dependent-property', '$.hashes');
    assertError(make('file', { name: undefined, name_enc: 'windows-1252' }), 'dependent-property', '$.name_enc');
    assertError(make('identity', { x_acme_title_enc: 'utf-8' }), 'dependent-property', '$.x_acme_title_enc');
    assertError(make('extension-definition', { extension_properties: ['rank'] }), 'dependent-property', '$.extension_properties');
    assertValid(make('extension-definition', { extension_types: ['toplevel-property-extension'], extension_properties: ['rank'] }));
    assertValid(make('artifact', { payload_bin: undefined, url: 'https://example.com/a.bin', hashes: { 'SHA-256': 'fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db' } }));
  });

  it('malware families need a name', () => {
    assertError(make('malware', { name: undefined }), 'required', '$.name');
    assertValid(make('malware', { name: undefined, is_family: false }));
  });

  it('observed data needs object_refs or the deprecated container', () => {
    assertError(make('observed-data', { object_refs: undefined }), 'required', '$.object_refs');
  });

  it('marking definitions need a definition when they have no extensions', () => {
    assertError(make('marking-definition', { definition_type: undefined }), 'required', '$.definition_type');
    assertError(make('marking-definition', { definition: undefined }), 'required', '$.definition');
    assertError(make('marking-definition', { definition: { words: 'x' } }), 'required', '$.definition.statement');
  });
});

describe('helpers', () => {
  it('every reported rule is in RULES', () => {
    assert.equal(new Set(RULES).size, RULES.length);
  });

  it('withPathPrefix re-roots paths under a bundle position', () => {
    const result = validateObject(make('indicator', { valid_from: 'x' }));
    const issues = withPathPrefix(errorsOf(result), '$.objects[3]');
    assert.equal(issues[0]?.path, '$.objects[3].valid_from');
  });

  // Names every plain JavaScript object answers through its prototype. "constructor" is also a
  // valid type name (3.1: a-z, 0-9, hyphens), so an object may well carry it as its type.
  const INHERITED_NAMES = [...Object.getOwnPropertyNames(Object.prototype), 'prototype', 'length', 'name'];

  it('never mistakes a name Object.prototype answers for a known type, extension or property', () => {
    for (const name of INHERITED_NAMES) {
      for (const allowCustom of [true, false]) {
        const asType = JSON.parse(JSON.stringify({ type: name, spec_version: '2.1', id: `${name}--${v4(1)}`, created: T0, modified: T0 })) as Obj;
        const result = validateObject(asType, { allowCustom });
        if (name === 'constructor' || name === 'prototype' || name === 'length' || name === 'name') {
          // Valid type names that STIX does not define: custom objects, or refused as unknown (3.1, 11.2).
          if (allowCustom) assert.equal(result.ok, true, `${name} as a custom type: ${JSON.stringify(result)}`);
          else assertError(asType, 'unknown-type', '$.type', { allowCustom });
        } else {
          assertError(asType, 'type-name', '$.type', { allowCustom });
        }
      }
      for (const type of ['file', 'process', 'network-traffic', 'user-account', 'indicator']) {
        // An extension keyed by an inherited name is neither a predefined extension nor an
        // extension-definition id: a custom name, accepted with the warning every such name gets
        // (3.2, 11.3), never run as a predefined extension's check.
        const extensions = JSON.parse(`{${JSON.stringify(name)}: {"x_value": 1}}`) as Obj;
        const result = validateObject({ ...make(type), extensions });
        assert.ok(result.ok, `${type} with extension ${name}: ${JSON.stringify(result)}`);
        const warned = result.warnings.filter((w) => w.path.startsWith('$.extensions'));
        assert.equal(warned.length, 1, `${type} with extension ${name}: ${JSON.stringify(result.warnings)}`);
        assert.ok(['extension', 'deprecated'].includes(warned[0]!.rule), warned[0]!.rule);
        // The same extension with nothing in it is refused as any empty extension is (11.3.1).
        const empty = JSON.parse(`{${JSON.stringify(name)}: {}}`) as Obj;
        assertError({ ...make(type), extensions: empty }, 'extension', '$.extensions');
      }
      if (name !== 'name') {
        // As a property: an unknown property like any other (11.1), named or refused by its name.
        const withProperty = { ...make('identity'), ...(JSON.parse(`{${JSON.stringify(name)}: "x"}`) as Obj) };
        const rule = /^[a-z][a-z0-9_]{2,249}$/.test(name) ? 'custom-property' : 'custom-property-name';
        assertError(withProperty, rule, `$.${name}`, { allowCustom: false });
      }
    }
  });

  it('never throws, whatever JSON it is given (property)', () => {
    const keys = ['type', 'id', 'spec_version', 'created', 'modified', 'name', 'pattern', 'pattern_type', 'valid_from', 'object_refs', 'extensions', 'hashes', 'value', 'granular_markings'];
    // Keys inside values come from fast-check's JSON (which includes inherited names such as
    // "valueOf" now and then) and, on purpose and every time, from Object.prototype's names.
    const inheritedKeyed = fc.dictionary(fc.constantFrom(...INHERITED_NAMES), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1 });
    const anyObject = fc.dictionary(fc.constantFrom(...keys), fc.oneof(fc.jsonValue({ maxDepth: 3 }), inheritedKeyed));
    const type = fc.constantFrom(...Object.keys(FIXTURES), 'x-acme', 'bundle', 'constructor', 'valueOf');
    fc.assert(
      fc.property(anyObject, type, (record, t) => {
        const result = validateObject({ ...make('indicator'), ...record, type: t });
        if (!result.ok) for (const e of result.errors) assert.ok(RULES.includes(e.rule as (typeof RULES)[number]), e.rule);
      }),
      { numRuns: 500 },
    );
  });

  it('reports the rules it knows (property over fixtures with one property replaced by junk)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(FIXTURES)), fc.jsonValue({ maxDepth: 2 }), (type, junk) => {
        const fixture = make(type);
        const keys = Object.keys(fixture).filter((k) => k !== 'type');
        for (const key of keys) {
          const result = validateObject({ ...fixture, [key]: junk });
          const issues = result.ok ? result.warnings : result.errors;
          for (const issue of issues) assert.ok(RULES.includes(issue.rule as (typeof RULES)[number]), issue.rule);
        }
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Real content: MITRE ATT&CK for ICS (STIX 2.1, 1,826 objects).
// ---------------------------------------------------------------------------------------------

function loadCorpus(): Obj[] {
  const bundle: unknown = JSON.parse(readFileSync(ATTACK_ICS, 'utf8'));
  assert.ok(typeof bundle === 'object' && bundle !== null && 'objects' in bundle && Array.isArray(bundle.objects));
  return bundle.objects as Obj[];
}

describe('ATT&CK for ICS corpus', () => {
  it('all 1,826 objects validate with zero errors and are returned unmodified', (t) => {
    const objects = loadCorpus();
    assert.equal(objects.length, 1826);
    const warningsByRule: Record<string, number> = {};
    for (const object of objects) {
      const snapshot = structuredClone(object);
      const result = validateObject(object);
      assert.ok(result.ok, `${String(object['id'])}:\n${describeIssues(errorsOf(result))}`);
      assert.equal(result.object, object);
      assert.deepEqual(object, snapshot);
      assert.deepEqual(result.upgraded, []);
      for (const warning of result.warnings) warningsByRule[warning.rule] = (warningsByRule[warning.rule] ?? 0) + 1;
    }
    t.diagnostic(`ATT&CK for ICS: ${objects.length} objects valid; warnings by rule: ${JSON.stringify(warningsByRule)}`);
  });
});
