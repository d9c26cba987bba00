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

  it('keeps a "__proto__" property a property: never an inherited pattern the stored JSON lacks', () => {
    // JSON.parse makes "__proto__" an own property. Copied by assignment it would become the
    // copy's prototype: the validator would read pattern through it, the stored JSON would not have it.
    const source = JSON.parse(JSON.stringify({ ...indicator20, pattern: undefined }).replace(/^\{/, '{"__proto__": {"pattern": "[ipv4-addr:value = \'198.51.100.1\']", "x_hidden": 1},')) as Obj;
    assert.ok(Object.hasOwn(source, '__proto__'));
    const { object } = upgradeToStix21(source);
    assert.equal(Object.getPrototypeOf(object), Object.prototype);
    assert.ok(Object.hasOwn(object, '__proto__'), 'the property is kept as it came');
    assert.equal(object['pattern'], undefined);
    const result = validateObject(source);
    assert.equal(result.ok, false);
    const rules = result.ok ? [] : result.errors.map((e) => `${e.rule} ${e.path}`);
    assert.ok(rules.includes('required $.pattern'), rules.join(', '));
    assert.ok(rules.includes('custom-property-name $.__proto__'), rules.join(', '));
  });

  it('upgrades an object typed by a name Object.prototype answers like any unknown type', () => {
    for (const type of ['constructor', 'prototype']) {
      const { object } = upgradeToStix21({ ...indicator20, type, id: `${type}--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f` });
      assert.deepEqual(object['labels'], indicator20['labels'], 'labels stay: only the types 2.0 subtyped by labels move them');
      const container = { '0': { type, value: 'x' } };
      assert.doesNotThrow(() => upgradeToStix21({ ...indicator20, type: 'observed-data', objects: container }));
    }
  });

  it('changes an explicit spec_version 2.0', () => {
    const { object, changes } = upgradeToStix21({ type: 'campaign', spec_version: '2.0', id: 'campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f' });
    assert.equal(object['spec_version'], '2.1');
    assert.match(changes[0] ?? '', /changed spec_version from '2.0' to '2.1'/);
  });
});

describe('upgradeToStix21: 2.0 cyber-observable properties in an observed-data container', () => {
  const observed = (objects: Record<string, Obj>): Obj => ({
    type: 'observed-data',
    id: 'observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf',
    created: '2016-04-06T19:58:16.000Z',
    modified: '2016-04-06T19:58:16.000Z',
    first_observed: '2015-12-21T19:00:00Z',
    last_observed: '2015-12-21T19:00:00Z',
    number_observed: 1,
    objects,
  });
  const id = 'observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf';
  const upgradedObjects = (objects: Record<string, Obj>) => {
    const input = observed(objects);
    const before = structuredClone(input);
    const result = upgradeToStix21(input);
    assert.deepEqual(input, before, 'the input is not modified');
    return { objects: result.object['objects'] as Record<string, Obj>, changes: result.changes.filter((c) => !c.includes("kept the 2.0 'objects'") && !c.includes('spec_version')) };
  };

  it('renames file and directory created/modified/accessed to ctime/mtime/atime (6.3, 6.7)', () => {
    const { objects, changes } = upgradedObjects({
      '0': { type: 'directory', path: 'C:\\Windows', created: '2016-01-01T00:00:00Z', modified: '2016-01-02T00:00:00Z', accessed: '2016-01-03T00:00:00Z' },
      '1': { type: 'file', name: 'a.exe', created: '2016-02-01T00:00:00Z', modified: '2016-02-02T00:00:00Z', accessed: '2016-02-03T00:00:00Z', parent_directory_ref: '0' },
    });
    assert.deepEqual(objects['0'], { type: 'directory', path: 'C:\\Windows', ctime: '2016-01-01T00:00:00Z', mtime: '2016-01-02T00:00:00Z', atime: '2016-01-03T00:00:00Z' });
    assert.deepEqual(objects['1'], { type: 'file', name: 'a.exe', ctime: '2016-02-01T00:00:00Z', mtime: '2016-02-02T00:00:00Z', atime: '2016-02-03T00:00:00Z', parent_directory_ref: '0' });
    assert.deepEqual(changes, [
      `${id}: objects['0'] (directory): renamed created to ctime (2.1 section 6.3)`,
      `${id}: objects['0'] (directory): renamed modified to mtime (2.1 section 6.3)`,
      `${id}: objects['0'] (directory): renamed accessed to atime (2.1 section 6.3)`,
      `${id}: objects['1'] (file): renamed created to ctime (2.1 section 6.7)`,
      `${id}: objects['1'] (file): renamed modified to mtime (2.1 section 6.7)`,
      `${id}: objects['1'] (file): renamed accessed to atime (2.1 section 6.7)`,
    ]);
  });

  it("moves a file's encryption_algorithm and decryption_key to its content artifact (6.1, 6.7)", () => {
    const { objects, changes } = upgradedObjects({
      '0': { type: 'file', name: 'sample.zip', is_encrypted: true, encryption_algorithm: 'mime-type-indicated', decryption_key: 'infected', content_ref: '1' },
      '1': { type: 'artifact', mime_type: 'application/zip', payload_bin: 'UEsDBA==' },
    });
    assert.deepEqual(objects['0'], { type: 'file', name: 'sample.zip', content_ref: '1' });
    assert.deepEqual(objects['1'], { type: 'artifact', mime_type: 'application/zip', payload_bin: 'UEsDBA==', encryption_algorithm: 'mime-type-indicated', decryption_key: 'infected' });
    assert.deepEqual(changes, [
      `${id}: objects['0'] (file): moved encryption_algorithm to its content artifact objects['1'] (2.1 section 6.1: encryption is a property of the artifact)`,
      `${id}: objects['0'] (file): moved decryption_key to its content artifact objects['1'] (2.1 section 6.1: encryption is a property of the artifact)`,
      `${id}: objects['0'] (file): removed is_encrypted (2.1 section 6.7 has no is_encrypted; the artifact's encryption_algorithm says it)`,
    ]);
  });

  it('keeps file encryption properties 2.1 cannot hold as x_stix20_ custom properties, and says so', () => {
    const { objects, changes } = upgradedObjects({
      '0': { type: 'file', name: 'secret.bin', is_encrypted: true, encryption_algorithm: 'AES128-CBC', decryption_key: 'k' },
    });
    assert.deepEqual(objects['0'], { type: 'file', name: 'secret.bin', x_stix20_is_encrypted: true, x_stix20_encryption_algorithm: 'AES128-CBC', x_stix20_decryption_key: 'k' });
    assert.equal(changes.length, 3);
    assert.match(changes[0] ?? '', /objects\['0'\] \(file\): kept is_encrypted as x_stix20_is_encrypted \(2\.1 section 6\.7 has no is_encrypted/);
  });

  it('renames process, registry key, user account and windows-process-ext properties (6.13, 6.16, 6.17)', () => {
    const { objects, changes } = upgradedObjects({
      '0': { type: 'file', name: 'cmd.exe' },
      '1': {
        type: 'process',
        pid: 1,
        name: 'cmd.exe',
        arguments: ['/c', 'dir'],
        created: '2016-01-20T14:11:25.55Z',
        binary_ref: '0',
        extensions: { 'windows-process-ext': { window_title: 'Console', aslr_enabled: true } },
      },
      '2': { type: 'windows-registry-key', key: 'HKEY_LOCAL_MACHINE\\System', modified: '2016-01-20T14:11:25Z' },
      '3': { type: 'user-account', user_id: '1001', password_last_changed: '2016-01-20T14:27:43Z' },
    });
    assert.deepEqual(objects['1'], {
      type: 'process',
      pid: 1,
      x_stix20_name: 'cmd.exe',
      x_stix20_arguments: ['/c', 'dir'],
      created_time: '2016-01-20T14:11:25.55Z',
      image_ref: '0',
      extensions: { 'windows-process-ext': { windows_title: 'Console', aslr_enabled: true } },
    });
    assert.deepEqual(objects['2'], { type: 'windows-registry-key', key: 'HKEY_LOCAL_MACHINE\\System', modified_time: '2016-01-20T14:11:25Z' });
    assert.deepEqual(objects['3'], { type: 'user-account', user_id: '1001', credential_last_changed: '2016-01-20T14:27:43Z' });
    assert.deepEqual(changes, [
      `${id}: objects['1'] (process): kept name as x_stix20_name (2.1 section 6.13 has no name; the image file's name says it)`,
      `${id}: objects['1'] (process): kept arguments as x_stix20_arguments (2.1 section 6.13 has no arguments; command_line holds the whole command)`,
      `${id}: objects['1'] (process): renamed created to created_time (2.1 section 6.13)`,
      `${id}: objects['1'] (process): renamed binary_ref to image_ref (2.1 section 6.13)`,
      `${id}: objects['1'] (process): renamed extensions.windows-process-ext.window_title to windows_title (2.1 section 6.13.2)`,
      `${id}: objects['2'] (windows-registry-key): renamed modified to modified_time (2.1 section 6.17)`,
      `${id}: objects['3'] (user-account): renamed password_last_changed to credential_last_changed (2.1 section 6.16)`,
    ]);
  });

  it('keeps extension properties 2.1 dropped (raster image compression, archive version, socket protocol family)', () => {
    const { objects, changes } = upgradedObjects({
      '0': { type: 'file', name: 'a.png', extensions: { 'raster-image-ext': { image_height: 10, image_compression_algorithm: 'JPEG' }, 'archive-ext': { contains_refs: ['1'], version: '5.0' } } },
      '1': { type: 'file', name: 'b.txt' },
      '2': { type: 'network-traffic', protocols: ['tcp'], extensions: { 'socket-ext': { address_family: 'AF_INET', protocol_family: 'PF_INET' } } },
    });
    assert.deepEqual(objects['0']!['extensions'], { 'raster-image-ext': { image_height: 10, x_stix20_image_compression_algorithm: 'JPEG' }, 'archive-ext': { contains_refs: ['1'], x_stix20_version: '5.0' } });
    assert.deepEqual(objects['2']!['extensions'], { 'socket-ext': { address_family: 'AF_INET', x_stix20_protocol_family: 'PF_INET' } });
    assert.equal(changes.length, 3);
    assert.match(changes[2] ?? '', /objects\['2'\] \(network-traffic\): kept extensions.socket-ext.protocol_family as x_stix20_protocol_family \(2\.1 section 6\.12\.4/);
  });

  it('leaves 2.1-compatible objects alone: email is_multipart and body_multipart are 2.1 properties too (6.6)', () => {
    const email = { type: 'email-message', is_multipart: true, body_multipart: [{ content_type: 'text/plain', body: 'hi' }] };
    const { objects, changes } = upgradedObjects({ '0': email, '1': { type: 'ipv4-addr', value: '198.51.100.3' } });
    assert.deepEqual(objects, { '0': email, '1': { type: 'ipv4-addr', value: '198.51.100.3' } });
    assert.deepEqual(changes, []);
  });

  it('reports the container changes in the validation outcome', () => {
    const result = ok(validateObject(observed({ '0': { type: 'file', name: 'a', created: '2016-01-01T00:00:00Z' } }), { specVersion: '2.0' }));
    assert.ok(result.upgraded.some((c) => c.includes("objects['0'] (file): renamed created to ctime")), result.upgraded.join('\n'));
    assert.equal((result.object['objects'] as Record<string, Obj>)['0']!['ctime'], '2016-01-01T00:00:00Z');
  });
});

describe('upgradeToStix21: 2.0 START/STOP patterns (9.5.1: the bounds are timestamp literals)', () => {
  it("rewrites START '...' STOP '...' to START t'...' STOP t'...' and says so", () => {
    const pattern = "[file:name = 'START \\'x\\''] START '2016-06-01T00:00:00Z' STOP '2016-07-01T00:00:00Z' OR ([a:b = 1] START\n'2016-01-01T00:00:00Z'   STOP '2016-02-01T00:00:00Z')";
    const { object, changes } = upgradeToStix21({ ...indicator20, pattern });
    assert.equal(
      object['pattern'],
      "[file:name = 'START \\'x\\''] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z' OR ([a:b = 1] START\nt'2016-01-01T00:00:00Z'   STOP t'2016-02-01T00:00:00Z')",
    );
    assert.ok(changes.includes(`${String(indicator20['id'])}: wrote the 4 START/STOP timestamps of the pattern as timestamp literals t'...' (STIX 2.1 section 9.5.1)`), changes.join('\n'));
    ok(validateObject({ ...indicator20, pattern }, { specVersion: '2.0' }));
    const result = ok(validateObject({ ...indicator20, pattern }, { specVersion: '2.0' }));
    assert.equal(String(result.object['pattern']).includes("START t'2016-06-01T00:00:00Z'"), true);
  });

  it('leaves patterns without plain-string bounds, and patterns that do not parse, unchanged', () => {
    for (const pattern of ["[file:name = 'x'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", "[file:name = 'START \\'2016\\'']", "[file:name = 'x'] START '2016-06-01' STOP"]) {
      const { object, changes } = upgradeToStix21({ ...indicator20, pattern });
      assert.equal(object['pattern'], pattern);
      assert.ok(!changes.some((c) => c.includes('START/STOP')), pattern);
    }
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
