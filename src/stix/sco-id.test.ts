import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { canonicalJson, computeScoId, idContributingObject, SCO_ID_NAMESPACE, uuidv5 } from './sco-id.js';

const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const NAMESPACE_URL = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

describe('uuidv5', () => {
  it('matches known RFC 4122 version 5 values (as computed by Python uuid.uuid5)', () => {
    assert.equal(uuidv5(NAMESPACE_DNS, 'python.org'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
    assert.equal(uuidv5(NAMESPACE_DNS, 'www.example.com'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
    assert.equal(uuidv5(NAMESPACE_URL, 'https://www.oasis-open.org/'), '34a41e54-8904-5db2-8130-4e837302b373');
  });

  it('sets version 5 and the RFC 4122 variant', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const id = uuidv5(SCO_ID_NAMESPACE, name);
        assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }),
    );
  });

  it('rejects a malformed namespace', () => {
    assert.throws(() => uuidv5('not-a-uuid', 'x'), TypeError);
  });
});

describe('canonicalJson (RFC 8785)', () => {
  it('reproduces the RFC 8785 section 3.2.2 example', () => {
    const input: unknown = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    assert.equal(
      canonicalJson(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units at every level', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' }, A: true }), '{"A":true,"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}');
    assert.equal(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, ö: 4 }), '{"\\r":2,"ö":4,"€":1,"😀":3}');
  });

  it('is independent of key order (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        assert.equal(canonicalJson(reversed), canonicalJson(record));
        assert.deepEqual(JSON.parse(canonicalJson(record)), JSON.parse(JSON.stringify(record)));
      }),
    );
  });
});

describe('deterministic SCO ids (2.9, 3.4)', () => {
  // Examples from the STIX 2.1 specification (Errata 01 recomputed them with python-stix2).
  const specExamples: Array<[Record<string, unknown>, string]> = [
    [{ type: 'ipv4-addr', value: '198.51.100.3' }, 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4'],
    [{ type: 'ipv4-addr', value: '198.51.100.0/24' }, 'ipv4-addr--1ea47840-aa39-5aa8-b4a2-cd203eb6662a'],
    [{ type: 'ipv6-addr', value: '2001:0db8:85a3:0000:0000:8a2e:0370:7334' }, 'ipv6-addr--85a85a8c-ee99-5722-946d-3c3a3270fc6f'],
    [{ type: 'ipv6-addr', value: '2001:0db8::/96' }, 'ipv6-addr--084d3b4c-7785-568a-a569-0c61c95754ab'],
    [
      { type: 'file', hashes: { 'SHA-256': 'fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db' }, size: 25536, name: 'foo.dll' },
      'file--949eb97a-da1e-5292-8959-03c4249dc9f3',
    ],
    [
      { type: 'file', hashes: { 'SHA-256': '841a8921140aba50671ebb0770fecc4ee308c4952cfeff8de154ab14eeef4649' }, name: 'quêry.dll', name_enc: 'windows-1252' },
      'file--7d1e3a18-89e7-5bc5-be36-9879f5b7f5c8',
    ],
    [{ type: 'directory', path: 'C:\\Windows\\System32' }, 'directory--0a58d0c1-59e6-5afd-8252-dcd3f13e5622'],
    [{ type: 'autonomous-system', number: 15139, name: 'Slime Industries', rir: 'ARIN' }, 'autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff'],
    [{ type: 'domain-name', value: 'example.com' }, 'domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7'],
    [{ type: 'email-addr', value: 'john@example.com', display_name: 'John Doe' }, 'email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934'],
    [{ type: 'mac-addr', value: 'd2:fb:49:24:37:18' }, 'mac-addr--757b1725-9903-54f5-a855-1240691d7659'],
    [{ type: 'mutex', name: '__CLEANSWEEP__' }, 'mutex--f93fe911-e545-5239-b9b0-597840d0c871'],
    [
      { type: 'software', name: 'Word', cpe: 'cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*', version: '2002', vendor: 'Microsoft' },
      'software--710b0b41-d4d0-5d6c-a400-fc9254554ffc',
    ],
    [{ type: 'url', value: 'https://example.com/research/index.html' }, 'url--47c3cf9a-5027-5bf0-997a-017c7edc7c55'],
    [
      { type: 'user-account', user_id: '1001', account_login: 'jdoe', account_type: 'unix', display_name: 'John Doe' },
      'user-account--f94d689e-707d-58c3-b803-c720bb6ed096',
    ],
    [{ type: 'windows-registry-key', key: 'HKEY_LOCAL_MACHINE\\System\\Foo\\Bar' }, 'windows-registry-key--1884b770-b679-522a-a9c7-45fadaaec7bb'],
    [
      {
        type: 'windows-registry-key',
        key: 'hkey_local_machine\\system\\bar\\foo',
        values: [
          { name: 'Foo', data: 'qwerty', data_type: 'REG_SZ' },
          { name: 'Bar', data: '42', data_type: 'REG_DWORD' },
        ],
      },
      'windows-registry-key--f6a11ddf-fa2b-54c8-97ab-e7f28413095a',
    ],
    [
      { type: 'x509-certificate', serial_number: '36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49:32:0a:b7:06', issuer: 'C=ZA' },
      'x509-certificate--bf86f034-2390-54d7-8426-d08433db3fbe',
    ],
    [{ type: 'artifact', mime_type: 'image/jpeg', payload_bin: 'VBORw0KGgoAAAANSUhEUgAAADI== ...' }, 'artifact--a785c567-cc53-52a1-abeb-026bb7ddf8ba'],
    [
      {
        type: 'file',
        name: 'example.pdf',
        extensions: {
          'pdf-ext': {
            version: '1.7',
            document_info_dict: {
              Title: 'Sample document',
              Author: 'Adobe Systems Incorporated',
              Creator: 'Adobe FrameMaker 5.5.3 for Power Macintosh',
              Producer: 'Acrobat Distiller 3.01 for Power Macintosh',
              CreationDate: '20070412090123-02',
            },
            pdfid0: 'DFCE52BD827ECF765649852119D',
            pdfid1: '57A1E0F9ED2AE523E313C',
          },
        },
      },
      'file--965aa96f-d90a-506a-8317-d38d44b235f9',
    ],
  ];

  for (const [sco, expected] of specExamples) {
    it(`reproduces the spec example ${expected}`, () => {
      assert.equal(computeScoId(sco), expected);
    });
  }

  it('reproduces python-stix2 test vectors (nested extension objects and value lists)', () => {
    assert.equal(
      computeScoId({
        type: 'file',
        name: 'example.exe',
        size: 68000,
        magic_number_hex: '50000000',
        hashes: { 'SHA-256': '841a8921140aba50671ebb0770fecc4ee308c4952cfeff8de154ab14eeef4649' },
        extensions: {
          'windows-pebinary-ext': {
            pe_type: 'exe',
            machine_hex: '014c',
            sections: [{ name: '.data', size: 4096, entropy: 7.980693, hashes: { 'SHA-256': '6e3b6f3978e5cd96ba7abee35c24e867b7e64072e2ecb22d0ee7a6e6af6894d0' } }],
          },
        },
      }),
      'file--ced31cd4-bdcb-537d-aefa-92d291bfc11d',
    );
    assert.equal(
      computeScoId({ type: 'windows-registry-key', values: [{ name: 'Foo', data: 'qwerty' }, { name: 'Bar', data: '42' }] }),
      'windows-registry-key--36594eba-bcc7-5014-9835-0e154264e588',
    );
  });

  it('uses a single hash, preferring MD5, SHA-1, SHA-256, SHA-512, else the first', () => {
    assert.deepEqual(idContributingObject({ type: 'file', hashes: { 'SHA-256': 'b', MD5: 'a' } }), { hashes: { MD5: 'a' } });
    assert.deepEqual(idContributingObject({ type: 'file', hashes: { 'SHA-512': 'c', 'SHA-256': 'b' } }), { hashes: { 'SHA-256': 'b' } });
    assert.deepEqual(idContributingObject({ type: 'file', hashes: { TLSH: 't', SSDEEP: 's' } }), { hashes: { TLSH: 't' } });
    const md5Only = computeScoId({ type: 'file', hashes: { MD5: 'a92e5b2bae0b4b3a3d81c85610b95cd4' } });
    assert.equal(computeScoId({ type: 'file', hashes: { MD5: 'a92e5b2bae0b4b3a3d81c85610b95cd4', 'SHA-1': '5374e08903744ceeaedd8f5e1bfc06b2c4688e76' } }), md5Only);
  });

  it('ignores properties that do not contribute', () => {
    assert.equal(
      computeScoId({ type: 'email-addr', value: 'john@example.com', display_name: 'Someone Else' }),
      'email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934',
    );
  });

  it('returns undefined when there is nothing to derive an id from', () => {
    assert.equal(computeScoId({ type: 'process', pid: 1 }), undefined);
    assert.equal(computeScoId({ type: 'user-account', display_name: 'x' }), undefined);
    assert.equal(computeScoId({ type: 'indicator', name: 'x' }), undefined);
    assert.equal(computeScoId({ value: 'x' }), undefined);
  });
});

describe('deterministic ids for types named like Object.prototype members', () => {
  it('has no ID Contributing Properties for a custom type called "constructor" (2.9: UUIDv4 then)', () => {
    for (const type of ['constructor', 'prototype', 'valueOf']) {
      assert.equal(idContributingObject({ type, value: 'x' }), undefined, type);
      assert.equal(computeScoId({ type, value: 'x' }), undefined, type);
    }
  });
});
