import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isStix20Object, upgradeToStix21 } from './upgrade.js';
import { validateObject, type ValidationResult } from './validate.js';

type Obj = Record<string, unknown>;

// STIX 2.0 content as 2.0 producers wrote it: no spec_version, second-precision timestamps,
// subtype vocabularies in labels, indicators without pattern_type.
const indicator20: Obj = {
  type: 'indicator',
  id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
  created_by_ref: 'identity--f431f809-377b-45e0-aa1c-6a4751cae5ff',
  created: '2016-04-06T20:03:48Z',
  modified: '2016-04-06T20:03:48.1Z',
  labels: ['malicious-activity'],
  name: 'Poison Ivy Malware',
  pattern: "[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
  valid_from: '2016-01-01T00:00:00Z',
};

const malware20: Obj = {
  type: 'malware',
  id: 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b',
  created: '2016-04-06T20:07:09.000Z',
  modified: '2016-04-06T20:07:09.000Z',
  name: 'Poison Ivy',
  labels: ['remote-access-trojan'],
};

function ok(result: ValidationResult): Extract<ValidationResult, { ok: true }> {
  assert.ok(result.ok, result.ok ? '' : result.errors.map((e) => `${e.rule} ${e.path}: ${e.message}`).join('\n'));
  return result;
}

describe('STIX 2.0 detection', () => {
  it('uses the object spec_version, then the bundle version, then the type', () => {
    assert.equal(isStix20Object({ type: 'indicator', spec_version: '2.1' }, '2.0'), false);
    assert.equal(isStix20Object({ type: 'indicator', spec_version: '2.0' }), true);
    assert.equal(isStix20Object({ type: 'indicator' }, '2.0'), true);
    assert.equal(isStix20Object({ type: 'indicator' }, '2.1'), false);
    assert.equal(isStix20Object({ type: 'indicator' }), true, 'an SDO without any version information is 2.0');
    assert.equal(isStix20Object({ type: 'grouping' }), false, 'grouping did not exist in 2.0');
    assert.equal(isStix20Object({ type: 'ipv4-addr' }), false, '2.1 SCOs may omit spec_version');
    assert.equal(isStix20Object({ type: 'ipv4-addr' }, '2.0'), false);
    assert.equal(isStix20Object({ type: 'x-acme', created: 'a', modified: 'b' }), true, 'SDO-like custom objects follow SDOs');
    assert.equal(isStix20Object({ type: 'x-acme', value: 'a' }), false);
  });
});

describe('upgradeToStix21', () => {
  it('upgrades a 2.0 indicator and lists every change', () => {
    const before = structuredClone(indicator20);
    const { object, changes } = upgradeToStix21(indicator20);
    assert.deepEqual(indicator20, before, 'the input is not modified');
    assert.deepEqual(object, {
      type: 'indicator',
      spec_version: '2.1',
      id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
      created_by_ref: 'identity--f431f809-377b-45e0-aa1c-6a4751cae5ff',
      created: '2016-04-06T20:03:48.000Z',
      modified: '2016-04-06T20:03:48.100Z',
      indicator_types: ['malicious-activity'],
      name: 'Poison Ivy Malware',
      pattern: "[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
      pattern_type: 'stix',
      pattern_version: '2.0',
      valid_from: '2016-01-01T00:00:00Z',
    });
    const id = 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f';
    assert.deepEqual(changes, [
      `${id}: added spec_version '2.1' (STIX 2.0 content)`,
      `${id}: created '2016-04-06T20:03:48Z' written with millisecond precision as '2016-04-06T20:03:48.000Z' (2.1 requires at least 3 fractional digits)`,
      `${id}: modified '2016-04-06T20:03:48.1Z' written with millisecond precision as '2016-04-06T20:03:48.100Z' (2.1 requires at least 3 fractional digits)`,
      `${id}: moved labels ["malicious-activity"] to indicator_types (2.0 used labels for the indicator type vocabulary)`,
      `${id}: added pattern_type 'stix' (2.0 indicators always use STIX patterning)`,
      `${id}: added pattern_version '2.0' (the pattern was written in STIX 2.0 patterning)`,
    ]);
  });

  it('adds is_family and moves labels for malware', () => {
    const { object, changes } = upgradeToStix21(malware20);
    assert.equal(object['is_family'], true);
    assert.deepEqual(object['malware_types'], ['remote-access-trojan']);
    assert.equal(object['labels'], undefined);
    assert.equal(changes.length, 3);
    assert.match(changes[2] ?? '', /added is_family true/);
  });

  for (const [type, property] of [['tool', 'tool_types'], ['threat-actor', 'threat_actor_types'], ['report', 'report_types']] as const) {
    it(`moves ${type} labels to ${property}`, () => {
      const { object, changes } = upgradeToStix21({ type, id: `${type}--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`, labels: ['a', 'b'] });
      assert.deepEqual(object[property], ['a', 'b']);
      assert.equal(object['labels'], undefined);
      assert.ok(changes.some((c) => c.includes(`to ${property}`)));
    });
  }

  it('keeps labels when the 2.1 property is already there, and labels of other types', () => {
    const { object } = upgradeToStix21({ ...malware20, malware_types: ['trojan'] });
    assert.deepEqual(object['labels'], ['remote-access-trojan']);
    assert.deepEqual(object['malware_types'], ['trojan']);
    assert.deepEqual(upgradeToStix21({ type: 'campaign', id: 'campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', labels: ['x'] }).object['labels'], ['x']);
  });

  it('keeps the deprecated observed-data objects container and says so', () => {
    const objects = { '0': { type: 'ipv4-addr', value: '198.51.100.3' } };
    const { object, changes } = upgradeToStix21({
      type: 'observed-data',
      id: 'observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf',
      created: '2016-04-06T19:58:16.000Z',
      modified: '2016-04-06T19:58:16.000Z',
      first_observed: '2015-12-21T19:00:00Z',
      last_observed: '2015-12-21T19:00:00Z',
      number_observed: 50,
      objects,
    });
    assert.equal(object['objects'], objects);
    assert.ok(changes.some((c) => c.includes("kept the 2.0 'objects' observable container")));
  });

  it('changes an explicit spec_version 2.0', () => {
    const { object, changes } = upgradeToStix21({ type: 'campaign', spec_version: '2.0', id: 'campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f' });
    assert.equal(object['spec_version'], '2.1');
    assert.match(changes[0] ?? '', /changed spec_version from '2.0' to '2.1'/);
  });
});

describe('validateObject on STIX 2.0 content', () => {
  it('upgrades objects of a bundle declaring 2.0 and reports the changes', () => {
    const result = ok(validateObject(indicator20, { specVersion: '2.0' }));
    assert.equal(result.object['spec_version'], '2.1');
    assert.equal(result.object['pattern_type'], 'stix');
    assert.equal(result.upgraded.length, 6);
    assert.notEqual(result.object, indicator20);
  });

  it('treats an SDO without spec_version and without a bundle version as 2.0', () => {
    const result = ok(validateObject(malware20));
    assert.deepEqual(result.object['malware_types'], ['remote-access-trojan']);
    assert.ok(result.upgraded.length > 0);
  });

  it('does not upgrade when the bundle declares 2.1: spec_version is then missing', () => {
    const result = validateObject(indicator20, { specVersion: '2.1' });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.errors.some((e) => e.rule === 'required' && e.path === '$.spec_version'));
  });

  it('validates the pattern of an upgraded indicator with the 2.0 grammar', () => {
    // START/STOP with plain string timestamps is STIX 2.0 patterning only.
    const pattern = "[file:name = 'x'] START '2016-06-01T00:00:00Z' STOP '2016-07-01T00:00:00Z'";
    ok(validateObject({ ...indicator20, pattern }, { specVersion: '2.0' }));
    const strict = validateObject({ ...indicator20, spec_version: '2.1', pattern_type: 'stix', pattern, created: '2016-04-06T20:03:48.000Z', modified: '2016-04-06T20:03:48.000Z' });
    assert.equal(strict.ok, false);
  });

  it('upgrades 2.0 markings and relationships', () => {
    ok(
      validateObject(
        {
          type: 'marking-definition',
          id: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
          created: '2017-01-20T00:00:00.000Z',
          definition_type: 'tlp',
          definition: { tlp: 'green' },
        },
        { specVersion: '2.0' },
      ),
    );
    ok(
      validateObject(
        {
          type: 'relationship',
          id: 'relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad',
          created: '2016-04-06T20:06:37Z',
          modified: '2016-04-06T20:06:37Z',
          relationship_type: 'indicates',
          source_ref: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
          target_ref: 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b',
        },
        { specVersion: '2.0' },
      ),
    );
  });

  it('a valid 2.1 object is neither upgraded nor copied', () => {
    const object = { ...malware20, spec_version: '2.1', is_family: true };
    const result = ok(validateObject(object));
    assert.equal(result.object, object);
    assert.deepEqual(result.upgraded, []);
  });
});
