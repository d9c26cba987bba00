import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  compilePattern,
  parsePattern,
  PatternWindow,
  type CompiledPattern,
  type Observation,
  type ObservationExpression,
  type SpecVersion,
} from './index.js';

// ---------------------------------------------------------------------------------------------
// Helpers

type SCO = Record<string, unknown>;

const T0 = Date.parse('2024-03-01T12:00:00Z');

interface When {
  /** Seconds after T0 of first_observed (default 0). */
  at?: number;
  /** Seconds after T0 of last_observed (default: `at`). */
  until?: number;
  /** number_observed (default 1). */
  n?: number;
}

function isList<T>(v: T | readonly T[]): v is readonly T[] {
  return Array.isArray(v);
}

function isSco(v: unknown): v is SCO {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An observation of the given SCOs: a list (keys '0', '1', ...), one SCO, or SCOs keyed by reference. */
function obs(objects: SCO | readonly SCO[], when: When = {}): Observation {
  let entries: [string, SCO][];
  if (isList(objects)) entries = objects.map((o, i) => [String(i), o]);
  else if (typeof objects.type === 'string') entries = [['0', objects]];
  else entries = Object.entries(objects).filter((e): e is [string, SCO] => isSco(e[1]));
  const at = when.at ?? 0;
  return {
    firstObserved: T0 + at * 1000,
    lastObserved: T0 + (when.until ?? at) * 1000,
    numberObserved: when.n ?? 1,
    objects: new Map(entries),
  };
}

function compile(text: string, specVersion: SpecVersion = '2.1'): CompiledPattern {
  const parsed = parsePattern(text, { specVersion });
  assert.ok(parsed.ok, `pattern does not parse: ${text}: ${parsed.ok ? '' : parsed.error.message}`);
  return compilePattern(parsed.pattern);
}

interface Case {
  readonly name: string;
  readonly pattern: string;
  readonly observations: readonly Observation[];
  readonly expect: boolean;
  readonly specVersion?: SpecVersion;
}

function c(name: string, pattern: string, observations: Observation | readonly Observation[], expect: boolean): Case {
  return { name, pattern, observations: isList(observations) ? observations : [observations], expect };
}

function table(title: string, cases: readonly Case[]): void {
  describe(title, () => {
    for (const k of cases) {
      it(`${k.name}: ${k.pattern} -> ${k.expect ? 'match' : 'no match'}`, () => {
        const result = compile(k.pattern, k.specVersion).match(k.observations);
        assert.equal(result !== undefined, k.expect);
        if (result !== undefined) {
          assert.ok(result.observations.length > 0);
          for (const o of result.observations) assert.ok(k.observations.includes(o));
        }
      });
    }
  });
}

function hex(bytes: string): string {
  return Buffer.from(bytes, 'hex').toString('base64');
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const report: SCO = {
  type: 'file',
  name: 'report.pdf',
  size: 1024,
  hashes: {
    'SHA-256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    MD5: 'd41d8cd98f00b204e9800998ecf8427e',
  },
  magic_number_hex: 'FFD8FFE0',
  ctime: '2016-05-12T08:17:27Z',
  mtime: '2016-05-12T08:17:27.123456Z',
  parent_directory_ref: '1',
  contains_refs: ['2', '9', '3'],
  x_flag: true,
  x_ratio: 0.5,
  x_whole: 12.0,
  x_big: 9007199254740992,
  x_negative: -3,
  x_tags: ['alpha', 'beta', 'gamma'],
  x_ports: [22, 443],
  x_matrix: [
    [1, 2],
    [3, 4],
  ],
  x_empty: [],
  x_null: null,
  x_numeric_text: '10',
  x_latin: 'h\u00e9',
  x_euro: '\u20ac',
  x_multiline: 'first line\nsecond line',
  x_trailing_newline: 'report\n',
  x_astral: '\u{1F600}',
  x_bmp_high: '\uFFFD',
  x_broken_bin: 'not base64!',
  x_dangling_ref: '42',
  x_number_ref: 7,
  extensions: {
    'windows-pebinary-ext': {
      sections: [
        { name: '.text', entropy: 6.5 },
        { name: '.rsrc', entropy: 7.8 },
      ],
    },
  },
};
const system32: SCO = { type: 'directory', path: 'C:\\Windows\\System32' };
const childA: SCO = { type: 'file', name: 'a.txt' };
const childB: SCO = { type: 'file', name: 'b.exe' };
const fileObs = obs({ '0': report, '1': system32, '2': childA, '3': childB });
const reportObs = obs({ '0': report, '1': system32 });

const pcapBytes = 'd4c3b2a102000400';
const artifactObs = obs({ type: 'artifact', mime_type: 'application/vnd.tcpdump.pcap', payload_bin: hex(pcapBytes) });

const trafficObs = obs({
  'ipv4-addr--1': { type: 'ipv4-addr', value: '198.51.100.7' },
  'ipv4-addr--2': { type: 'ipv4-addr', value: '203.0.113.0/24' },
  'ipv6-addr--1': { type: 'ipv6-addr', value: '2001:db8::1' },
  'ipv6-addr--2': { type: 'ipv6-addr', value: '::ffff:10.1.2.3' },
  'network-traffic--1': {
    type: 'network-traffic',
    src_ref: 'ipv4-addr--1',
    dst_ref: 'ipv6-addr--1',
    src_port: 49152,
    dst_port: 443,
    protocols: ['ipv4', 'tcp', 'tls'],
  },
});

const emailObs = obs({
  '0': {
    type: 'email-message',
    is_multipart: true,
    subject: 'Invoice',
    from_ref: '1',
    to_refs: ['2', '3'],
    body_multipart: [{ body: 'see attached' }, { body_raw_ref: '4' }],
  },
  '1': { type: 'email-addr', value: 'mary@example.com' },
  '2': { type: 'email-addr', value: 'bob@example.com' },
  '3': { type: 'email-addr', value: 'carol@example.com' },
  '4': { type: 'file', name: 'contract.exe' },
});

const person = (name: string, age: number, at: number, n = 1): Observation =>
  obs({ type: 'person', name, age }, { at, n });

// ---------------------------------------------------------------------------------------------
// Observation expressions: one SCO satisfies the whole comparison expression

table('pattern expressions: the comparison expression of one [...] is satisfied by one SCO', [
  c('AND on one object', "[file:name = 'report.pdf' AND file:size = 1024]", fileObs, true),
  c('AND split across two files of one observation', "[file:name = 'a.txt' AND file:size = 1024]", fileObs, false),
  c('AND across object types never matches', "[file:name = 'report.pdf' AND directory:path = 'C:\\\\Windows\\\\System32']", fileObs, false),
  c('OR across object types', "[ipv4-addr:value = '192.0.2.1' OR ipv6-addr:value = '2001:db8::1']", trafficObs, true),
  c('OR with neither', "[ipv4-addr:value = '192.0.2.1' OR ipv6-addr:value = '2001:db8::2']", trafficObs, false),
  c('(A OR B) AND C on one object', "[(file:name = 'x' OR file:name = 'report.pdf') AND file:size > 1000]", fileObs, true),
  c('(A OR B) AND C where C holds on another object', "[(file:name = 'a.txt' OR file:name = 'b.exe') AND file:size > 1000]", fileObs, false),
  c('AND binds tighter than OR (left alone suffices)', "[file:name = 'a.txt' OR file:name = 'zzz' AND file:size = 1]", fileObs, true),
  c('AND binds tighter than OR (neither side)', "[file:name = 'zzz' OR file:name = 'a.txt' AND file:size = 1024]", fileObs, false),
  c('another object of the same type satisfies it', "[file:name = 'b.exe']", fileObs, true),
  c('the object type must be the one named', "[directory:name = 'report.pdf']", fileObs, false),
  c('observation with no objects', "[file:name = 'report.pdf']", obs({}), false),
  c('objects without a type are ignored', "[file:name = 'report.pdf']", obs({ '0': { name: 'report.pdf', size: 1 } }), false),
  c('nested groups of comparisons', "[((file:name = 'report.pdf') AND (file:size = 1024 OR file:size = 1))]", fileObs, true),
  c('an OR operand of another type does not help an AND', "[(ipv4-addr:value = '198.51.100.7' OR ipv6-addr:value = 'x') AND ipv6-addr:value = '2001:db8::1']", trafficObs, false),
  c('an OR of types satisfiable by one object on each side', "[(ipv4-addr:value = '198.51.100.7' OR ipv6-addr:value = 'x') AND (ipv4-addr:value LIKE '198.%' OR ipv6-addr:value = 'y')]", trafficObs, true),
]);

// ---------------------------------------------------------------------------------------------
// Object paths

table('pattern expressions: object paths, lists and references', [
  c('quoted property name with a hyphen', "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']", fileObs, true),
  c('hash algorithm written without hyphen', "[file:hashes.SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']", fileObs, true),
  c('hash algorithm in lower case', "[file:hashes.md5 = 'd41d8cd98f00b204e9800998ecf8427e']", fileObs, true),
  c('hash value is compared case-sensitively', "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']", fileObs, false),
  c('[*] any element', "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", fileObs, true),
  c('[*] no element', "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 8.0]", fileObs, false),
  c('[0] first element', "[file:extensions.'windows-pebinary-ext'.sections[0].name = '.text']", fileObs, true),
  c('[1] is not the first element', "[file:extensions.'windows-pebinary-ext'.sections[1].name = '.text']", fileObs, false),
  c('index past the end', "[file:extensions.'windows-pebinary-ext'.sections[2].name = '.text']", fileObs, false),
  c('index past the end, != is false too', "[file:extensions.'windows-pebinary-ext'.sections[2].name != '.text']", fileObs, false),
  c('negative index selects nothing', "[file:x_tags[-1] = 'gamma']", fileObs, false),
  c('[*] over strings', "[file:x_tags[*] = 'beta']", fileObs, true),
  c('[0] over strings', "[file:x_tags[0] = 'beta']", fileObs, false),
  c('[1] over strings', "[file:x_tags[1] = 'beta']", fileObs, true),
  c('list without index is not compared element-wise', "[file:x_tags = 'alpha']", fileObs, false),
  c('list without index: != is true (incompatible types)', "[file:x_tags != 'alpha']", fileObs, true),
  c('list without index: IN is false', "[file:x_tags IN ('alpha', 'beta')]", fileObs, false),
  c('nested lists [*][*]', "[file:x_matrix[*][*] = 4]", fileObs, true),
  c('nested lists [1][0]', "[file:x_matrix[1][0] = 3]", fileObs, true),
  c('nested lists [0][*]', "[file:x_matrix[0][*] = 3]", fileObs, false),
  c('[*] of an empty list selects nothing', "[file:x_empty[*] = 1]", fileObs, false),
  c('[*] on a non-list selects nothing', "[file:name[*] = 'report.pdf']", fileObs, false),
  c('property step on a list selects nothing', "[file:x_tags.length = 3]", fileObs, false),
  c('property of a scalar selects nothing', "[file:name.length = 10]", fileObs, false),
  c('property names are case-sensitive', "[file:NAME = 'report.pdf']", fileObs, false),
  c('_ref is followed to the referenced object', "[file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']", fileObs, true),
  c('_ref to a missing object selects nothing', "[file:x_dangling_ref.path = 'x']", fileObs, false),
  c('_ref holding a non-string selects nothing', "[file:x_number_ref = 7]", fileObs, false),
  c('_refs[*] follows every reference', "[file:contains_refs[*].name = 'b.exe']", fileObs, true),
  c('_refs[0]', "[file:contains_refs[0].name = 'a.txt']", fileObs, true),
  c('_refs[1] is an unresolved reference (positions are kept)', "[file:contains_refs[1].name = 'b.exe']", fileObs, false),
  c('_refs[2]', "[file:contains_refs[2].name = 'b.exe']", fileObs, true),
  c('_refs without index selects a list: no property step into it', "[file:contains_refs.name = 'a.txt']", fileObs, false),
  c('_ref in network traffic', "[network-traffic:src_ref.value = '198.51.100.7']", trafficObs, true),
  c('_ref type check (spec example)', "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = '2001:db8::1']", trafficObs, true),
  c('_ref type check fails', "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '2001:db8::1']", trafficObs, false),
  c('email from_ref and to_refs[*] on one message', "[email-message:from_ref.value = 'mary@example.com' AND email-message:to_refs[*].value = 'carol@example.com']", emailObs, true),
  c('body_multipart[*].body_raw_ref (spec example)', "[email-message:body_multipart[*].body_raw_ref.name = 'contract.exe']", emailObs, true),
  c('body_multipart[0] has no body_raw_ref', "[email-message:body_multipart[0].body_raw_ref.name = 'contract.exe']", emailObs, false),
  c('references resolve only inside their own observation', "[file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']", [obs({ '0': { type: 'file', parent_directory_ref: '1' } }), obs({ '1': system32 })], false),
  c('STIX 2.1 id keys resolve', "[network-traffic:src_ref.value = '198.51.100.7' AND network-traffic:protocols[*] = 'tls']", trafficObs, true),
]);

// ---------------------------------------------------------------------------------------------
// 9.5 Comparison operators

table('9.5 comparison operators: equality and the type rules', [
  c('integer = integer', '[file:size = 1024]', fileObs, true),
  c('integer = float of the same value', '[file:size = 1024.0]', fileObs, true),
  c('float property = integer constant', '[file:x_whole = 12]', fileObs, true),
  c('float = float', '[file:x_ratio = 0.5]', fileObs, true),
  c('float != close float', '[file:x_ratio = 0.50001]', fileObs, false),
  c('negative integer', '[file:x_negative = -3]', fileObs, true),
  c('integers beyond 2^53 compare exactly', '[file:x_big = 9007199254740993]', fileObs, false),
  c('integers beyond 2^53 order exactly', '[file:x_big < 9007199254740993]', fileObs, true),
  c('string property vs integer constant: no match', '[file:x_numeric_text = 10]', fileObs, false),
  c('integer property vs string constant: no match', "[file:size = '1024']", fileObs, false),
  c('incompatible types make != true', "[file:size != '1024']", fileObs, true),
  c('incompatible types: NOT = is true', "[file:size NOT = '1024']", fileObs, true),
  c('incompatible types: ordering is false', "[file:size > 'a']", fileObs, false),
  c('incompatible types: NOT ordering is true', "[file:size NOT > 'a']", fileObs, true),
  c('boolean = true', '[file:x_flag = true]', fileObs, true),
  c('boolean = false', '[file:x_flag = false]', fileObs, false),
  c('boolean != false', '[file:x_flag != false]', fileObs, true),
  c('boolean vs integer 1: no match', '[file:x_flag = 1]', fileObs, false),
  c('boolean vs string: no match', "[file:x_flag = 'true']", fileObs, false),
  c('string equality is case-sensitive', "[file:name = 'REPORT.PDF']", fileObs, false),
  c('string inequality is case-sensitive', "[file:name != 'REPORT.PDF']", fileObs, true),
  c('string equality', "[file:name = 'report.pdf']", fileObs, true),
  c('string != itself', "[file:name != 'report.pdf' AND file:size = 1024]", fileObs, false),
  c('escaped quote and backslash in a constant', "[directory:path = 'C:\\\\Windows\\\\System32']", fileObs, true),
  c('null property: = is false', "[file:x_null = 'x']", fileObs, false),
  c('null property is present: != is true', "[file:x_null != 'x']", fileObs, true),
  c('object property vs string: no match', "[file:hashes = 'x']", fileObs, false),
  c('object property vs string: != true', "[file:hashes != 'x']", fileObs, true),
  c('NOT != is =', '[file:size NOT != 1024]', fileObs, true),
  c('NOT = on equal values', '[file:size NOT = 1024 AND file:name = \'report.pdf\']', fileObs, false),
]);

table('9.5 comparison operators: ordering', [
  c('> below', '[file:size > 1023]', fileObs, true),
  c('> equal', '[file:size > 1024]', fileObs, false),
  c('>= equal', '[file:size >= 1024]', fileObs, true),
  c('< equal', '[file:size < 1024]', fileObs, false),
  c('<= equal', '[file:size <= 1024]', fileObs, true),
  c('< float constant', '[file:size < 1024.5]', fileObs, true),
  c('> float constant just below', '[file:size > 1023.999]', fileObs, true),
  c('float property < integer', '[file:x_ratio < 1]', fileObs, true),
  c('negative ordering', '[file:x_negative < -2]', fileObs, true),
  c('strings order by code point', "[file:name > 'report.pa']", fileObs, true),
  c('upper case sorts before lower case', "[file:name > 'Zebra']", fileObs, true),
  c('strings: prefix sorts first', "[file:name < 'report.pdfx']", fileObs, true),
  c('astral character after U+FFFD (code points, not UTF-16 units)', "[file:x_astral > '\uFFFD']", fileObs, true),
  c('U+FFFD before an astral character', "[file:x_bmp_high < '\u{1F600}']", fileObs, true),
  c('NOT <', '[file:size NOT < 1000]', fileObs, true),
  c('NOT >=', '[file:size NOT >= 1000]', fileObs, false),
]);

table('9.5 comparison operators: IN', [
  c('integer in set', '[file:size IN (1, 1024, 2048)]', fileObs, true),
  c('integer not in set', '[file:size IN (1, 2)]', fileObs, false),
  c('NOT IN', '[file:size NOT IN (1, 2)]', fileObs, true),
  c('NOT IN with the value present', '[file:size NOT IN (1, 1024)]', fileObs, false),
  c('integer in a set of floats', '[file:size IN (1.5, 1024.0)]', fileObs, true),
  c('string set', "[file:name IN ('a', 'report.pdf')]", fileObs, true),
  c('string set, wrong case', "[file:name IN ('REPORT.PDF')]", fileObs, false),
  c('empty set', '[file:size IN ()]', fileObs, false),
  c('NOT IN empty set', '[file:size NOT IN ()]', fileObs, true),
  c('IN over [*]', '[file:x_ports[*] IN (80, 443)]', fileObs, true),
  c('timestamps in a set compare as instants', "[file:ctime IN (t'2016-05-12T08:17:27.000Z')]", fileObs, true),
  c('booleans in a set', '[file:x_flag IN (false, true)]', fileObs, true),
]);

table('9.5 comparison operators: LIKE', [
  c('% suffix', "[file:name LIKE 'report%']", fileObs, true),
  c('% prefix', "[file:name LIKE '%.pdf']", fileObs, true),
  c('% both sides', "[file:name LIKE '%port%']", fileObs, true),
  c('anchored: no implicit %', "[file:name LIKE 'report']", fileObs, false),
  c('% matches the empty string', "[file:name LIKE 'report.pdf%']", fileObs, true),
  c('_ is exactly one character', "[file:name LIKE 'repor_.pdf']", fileObs, true),
  c('_ is not zero characters', "[file:name LIKE 'report_.pdf']", fileObs, false),
  c('_ is one code point (astral)', "[file:x_astral LIKE '_']", fileObs, true),
  c('case-sensitive', "[file:name LIKE 'REPORT%']", fileObs, false),
  c('. is literal, not a regex wildcard', "[file:name LIKE 'report.p%']", [obs({ type: 'file', name: 'reportXpdf' })], false),
  c('regex metacharacters are literal', "[file:name LIKE 'a+b(c)[d]{2}^$|?*']", [obs({ type: 'file', name: 'a+b(c)[d]{2}^$|?*' })], true),
  c('backslash is literal (no escape character)', "[directory:path LIKE 'C:\\\\Windows\\\\%']", fileObs, true),
  c('backslash before % still leaves % a wildcard', "[directory:path LIKE 'C:\\\\%']", fileObs, true),
  c('% spans newlines', "[file:x_multiline LIKE 'first%line']", fileObs, true),
  c('non-string property: LIKE false', "[file:size LIKE '1%']", fileObs, false),
  c('non-string property: NOT LIKE true', "[file:size NOT LIKE '1%']", fileObs, true),
  c('NOT LIKE on a matching string', "[file:name NOT LIKE '%.pdf' AND file:size = 1024]", fileObs, false),
  c('LIKE over [*]', "[file:x_tags[*] LIKE 'g%']", fileObs, true),
]);

table('9.5 comparison operators: MATCHES', [
  c('search, not anchored', "[file:name MATCHES 'port']", fileObs, true),
  c('^ anchor', "[file:name MATCHES '^port']", fileObs, false),
  c('^...$ whole string', "[file:name MATCHES '^report\\\\.pdf$']", fileObs, true),
  c('$ matches before a final newline (PCRE)', "[file:x_trailing_newline MATCHES '^report$']", fileObs, true),
  c('\\z is the very end', "[file:x_trailing_newline MATCHES 'report\\\\z']", fileObs, false),
  c('\\A is the very start', "[file:name MATCHES '\\\\Areport']", fileObs, true),
  c('$ is not before an inner newline', "[file:x_multiline MATCHES 'first line$']", fileObs, false),
  c('(?m) makes $ match at line ends', "[file:x_multiline MATCHES '(?m)first line$']", fileObs, true),
  c('case-sensitive by default', "[file:name MATCHES 'REPORT']", fileObs, false),
  c('(?i) leading inline flag', "[file:name MATCHES '(?i)REPORT']", fileObs, true),
  c('. matches a newline: 9.6 requires the DOTALL option', "[file:x_multiline MATCHES 'line.second']", fileObs, true),
  c('(?s) lets . match a newline', "[file:x_multiline MATCHES '(?s)line.second']", fileObs, true),
  c('character class and quantifier', "[file:name MATCHES '^[a-z]+\\\\.(pdf|doc)$']", fileObs, true),
  c('Python-style named group', "[file:name MATCHES '(?P<x>p).p']", [obs({ type: 'file', name: 'pop' })], true),
  c('back reference: not linear-time, never decided', "[file:name MATCHES '(?P<x>p).(?P=x)']", [obs({ type: 'file', name: 'pop' })], false),
  c('escaped punctuation PCRE allows', "[file:name MATCHES '^a\\\\-b\\\\#c$']", [obs({ type: 'file', name: 'a-b#c' })], true),
  c('\\x{...} code point escape', "[file:x_latin MATCHES 'h\\\\x{e9}']", fileObs, true),
  c('\\p{L} Unicode property', "[file:x_latin MATCHES '^\\\\p{L}+$']", fileObs, true),
  c('\\Q...\\E quotes metacharacters', "[file:name MATCHES '\\\\Qreport.pdf\\\\E']", fileObs, true),
  c('\\Q...\\E: the dot is literal', "[file:name MATCHES '\\\\Qreport.pdf\\\\E']", [obs({ type: 'file', name: 'reportXpdf' })], false),
  c('binary property matched as bytes', "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']", artifactObs, true),
  c('binary property: bytes differ', "[artifact:payload_bin MATCHES '^\\\\xd5']", artifactObs, false),
  c('non-string property: MATCHES false', "[file:size MATCHES '1']", fileObs, false),
  c('non-string property: NOT MATCHES true', "[file:size NOT MATCHES '1']", fileObs, true),
  c('unsupported PCRE (possessive): false', "[file:name MATCHES 'a++']", fileObs, false),
  c('unsupported PCRE: NOT MATCHES false as well', "[file:name NOT MATCHES 'a++']", fileObs, false),
  c('empty regex matches any string', "[file:name MATCHES '']", fileObs, true),
  c('a brace that is no quantifier is literal (PCRE)', "[file:name MATCHES '^a{b}$']", [obs({ type: 'file', name: 'a{b}' })], true),
  c('a brace quantifier still counts', "[file:name MATCHES '^p{2}$']", [obs({ type: 'file', name: 'pp' })], true),
  c('a lone ] is literal (PCRE)', "[file:name MATCHES '^a]$']", [obs({ type: 'file', name: 'a]' })], true),
  c('] first in a class is literal (PCRE)', "[file:name MATCHES '^[]a]+$']", [obs({ type: 'file', name: ']a]' })], true),
  c('unsupported inline flag (?x): false', "[file:name MATCHES '(?x) report']", fileObs, false),
]);

table('9.5 comparison operators: ISSUBSET and ISSUPERSET', [
  c('IPv4 address in a /24', "[ipv4-addr:value ISSUBSET '198.51.100.0/24']", trafficObs, true),
  c('IPv4 address outside a /24', "[ipv4-addr:value ISSUBSET '198.51.101.0/24']", [obs({ type: 'ipv4-addr', value: '198.51.100.7' })], false),
  c('/32 is one address', "[ipv4-addr:value ISSUBSET '198.51.100.7/32']", trafficObs, true),
  c('/32 of another address', "[ipv4-addr:value ISSUBSET '198.51.100.8/32']", [obs({ type: 'ipv4-addr', value: '198.51.100.7' })], false),
  c('/0 holds every IPv4 address', "[ipv4-addr:value ISSUBSET '0.0.0.0/0']", trafficObs, true),
  c('host bits in the constant are ignored', "[ipv4-addr:value ISSUBSET '198.51.100.200/24']", trafficObs, true),
  c('CIDR inside a larger CIDR', "[ipv4-addr:value ISSUBSET '203.0.0.0/8']", [obs({ type: 'ipv4-addr', value: '203.0.113.0/24' })], true),
  c('larger CIDR is not inside a smaller one', "[ipv4-addr:value ISSUBSET '203.0.113.0/25']", [obs({ type: 'ipv4-addr', value: '203.0.113.0/24' })], false),
  c('ISSUPERSET of an address', "[ipv4-addr:value ISSUPERSET '203.0.113.77']", trafficObs, true),
  c('ISSUPERSET of a smaller CIDR', "[ipv4-addr:value ISSUPERSET '203.0.113.128/25']", trafficObs, true),
  c('ISSUPERSET of a larger CIDR', "[ipv4-addr:value ISSUPERSET '203.0.112.0/23']", [obs({ type: 'ipv4-addr', value: '203.0.113.0/24' })], false),
  c('ISSUPERSET with host bits in the property', "[ipv4-addr:value ISSUPERSET '11.22.41.123']", [obs({ type: 'ipv4-addr', value: '11.22.33.44/20' })], true),
  c('IPv6 address in a /32', "[ipv6-addr:value ISSUBSET '2001:db8::/32']", trafficObs, true),
  c('IPv6 /128 is one address (full form vs compressed)', "[ipv6-addr:value ISSUBSET '2001:0DB8:0000:0000:0000:0000:0000:0001/128']", trafficObs, true),
  c('IPv6 /128 of another address', "[ipv6-addr:value ISSUBSET '2001:db8::2/128']", [obs({ type: 'ipv6-addr', value: '2001:db8::1' })], false),
  c('IPv6 ::/0 holds every address, IPv4 too', "[ipv4-addr:value ISSUBSET '::/0']", trafficObs, true),
  c('IPv4-mapped IPv6 address is in an IPv4 block', "[ipv6-addr:value ISSUBSET '10.0.0.0/8']", trafficObs, true),
  c('IPv4 address is in ::ffff:0:0/96', "[ipv4-addr:value ISSUBSET '::ffff:0:0/96']", [obs({ type: 'ipv4-addr', value: '10.1.2.3' })], true),
  c('IPv6 address is not in an IPv4 block', "[ipv6-addr:value ISSUBSET '0.0.0.0/0']", [obs({ type: 'ipv6-addr', value: '2001:db8::1' })], false),
  c('IPv4 /0 does not hold IPv6', "[ipv6-addr:value ISSUBSET '0.0.0.0/0']", [obs({ type: 'ipv6-addr', value: '::1' })], false),
  c('octet with a leading zero is not an address', "[ipv4-addr:value ISSUBSET '10.0.0.0/8']", [obs({ type: 'ipv4-addr', value: '010.1.2.3' })], false),
  c('not an address: NOT ISSUBSET is true', "[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']", [obs({ type: 'ipv4-addr', value: 'example' })], true),
  c('prefix over 32 is not a block', "[ipv4-addr:value ISSUBSET '10.0.0.0/33']", [obs({ type: 'ipv4-addr', value: '10.1.2.3' })], false),
  c('NOT ISSUBSET of an address outside', "[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']", [obs({ type: 'ipv4-addr', value: '11.1.2.3' })], true),
  c('non-string property: false', "[network-traffic:dst_port ISSUBSET '0.0.0.0/0']", trafficObs, false),
  c('IPv6 with embedded IPv4 suffix', "[ipv6-addr:value ISSUBSET '::ffff:10.1.2.0/120']", trafficObs, true),
  c('zone ids are not accepted', "[ipv6-addr:value ISSUBSET '::/0']", [obs({ type: 'ipv6-addr', value: 'fe80::1%eth0' })], false),
]);

table('9.5 comparison operators: EXISTS', [
  c('present property', '[EXISTS file:size]', fileObs, true),
  c('absent property', '[EXISTS file:owner]', fileObs, false),
  c('nested present property', "[EXISTS file:extensions.'windows-pebinary-ext'.sections]", fileObs, true),
  c('resolved reference', '[EXISTS file:parent_directory_ref]', fileObs, true),
  c('dangling reference', '[EXISTS file:x_dangling_ref]', fileObs, false),
  c('[*] of an empty list', '[EXISTS file:x_empty[*]]', fileObs, false),
  c('an empty list itself exists', '[EXISTS file:x_empty]', fileObs, true),
  c('null is present', '[EXISTS file:x_null]', fileObs, true),
  c('property of another object type', '[EXISTS directory:size]', fileObs, false),
  c('EXISTS AND a comparison on the same object', "[EXISTS file:hashes AND file:name = 'report.pdf']", fileObs, true),
  c('EXISTS AND a comparison on different files', "[EXISTS file:contains_refs AND file:name = 'a.txt']", fileObs, false),
]);

table('9.6.1 comparison operators: NOT EXISTS (the NOT modifier on EXISTS)', [
  c('absent property', '[NOT EXISTS file:owner]', reportObs, true),
  c('present property', '[NOT EXISTS file:size]', reportObs, false),
  c('another file of the observation lacks it', '[NOT EXISTS file:size]', fileObs, true),
  c('dangling reference is absent', '[NOT EXISTS file:x_dangling_ref]', reportObs, true),
  c('resolved reference is present', '[NOT EXISTS file:parent_directory_ref]', reportObs, false),
  c('null is present', '[NOT EXISTS file:x_null]', reportObs, false),
  c('[*] of an empty list selects nothing', '[NOT EXISTS file:x_empty[*]]', reportObs, true),
  c('no object of the named type: false', '[NOT EXISTS directory:size]', obs({ type: 'ipv4-addr', value: '10.0.0.1' }), false),
  c('NOT EXISTS AND a comparison on the same object', "[NOT EXISTS file:owner AND file:name = 'report.pdf']", reportObs, true),
  c('NOT EXISTS AND a comparison that fails', "[NOT EXISTS file:size AND file:name = 'report.pdf']", fileObs, false),
]);

table('9.5.1 START at or after STOP: the interval [START, STOP) admits no observation', [
  c('START = STOP', "[ipv4-addr:value = '10.0.0.1'] START t'2024-03-01T12:00:00Z' STOP t'2024-03-01T12:00:00Z'", obs({ type: 'ipv4-addr', value: '10.0.0.1' }), false),
  c('START after STOP', "[ipv4-addr:value = '10.0.0.1'] START t'2024-03-01T13:00:00Z' STOP t'2024-03-01T11:00:00Z'", obs({ type: 'ipv4-addr', value: '10.0.0.1' }), false),
  c('START before STOP matches inside', "[ipv4-addr:value = '10.0.0.1'] START t'2024-03-01T11:00:00Z' STOP t'2024-03-01T13:00:00Z'", obs({ type: 'ipv4-addr', value: '10.0.0.1' }), true),
]);

table('9.5 comparison operators: NOT and absent properties', [
  c('absent: = false', "[file:owner = 'x']", fileObs, false),
  c('absent: != false', "[file:owner != 'x']", fileObs, false),
  c('absent: NOT = false', "[file:owner NOT = 'x']", fileObs, false),
  c('absent: NOT != false', "[file:owner NOT != 'x']", fileObs, false),
  c('absent: < false', '[file:owner < 5]', fileObs, false),
  c('absent: NOT < false', '[file:owner NOT < 5]', fileObs, false),
  c('absent: NOT IN false', '[file:owner NOT IN (1, 2)]', fileObs, false),
  c('absent: NOT LIKE false', "[file:owner NOT LIKE '%']", fileObs, false),
  c('absent: NOT MATCHES false', "[file:owner NOT MATCHES 'x']", fileObs, false),
  c('absent: NOT ISSUBSET false', "[file:owner NOT ISSUBSET '10.0.0.0/8']", fileObs, false),
  c('NOT negates the whole [*] comparison: an element equals', '[file:x_ports[*] NOT = 22]', fileObs, false),
  c('NOT negates the whole [*] comparison: no element equals', '[file:x_ports[*] NOT = 80]', fileObs, true),
  c('!= over [*] is "some element differs"', '[file:x_ports[*] != 22]', fileObs, true),
  c('NOT IN over [*]', '[file:x_ports[*] NOT IN (22, 443)]', fileObs, false),
  c('NOT holds on another file of the observation', "[file:name NOT = 'report.pdf']", fileObs, true),
  c('NOT on the only object', "[file:name NOT = 'report.pdf']", obs(report), false),
]);

table('9.5 comparison operators: timestamps', [
  c("t'' equals a property with another fraction precision", "[file:ctime = t'2016-05-12T08:17:27.000Z']", fileObs, true),
  c("t'' without fraction equals a property with .000", "[file:ctime = t'2016-05-12T08:17:27Z']", [obs({ type: 'file', ctime: '2016-05-12T08:17:27.000Z' })], true),
  c('microseconds are kept', "[file:mtime > t'2016-05-12T08:17:27.123455Z']", fileObs, true),
  c('microseconds: not equal to milliseconds', "[file:mtime = t'2016-05-12T08:17:27.123Z']", fileObs, false),
  c('microseconds: equal', "[file:mtime = t'2016-05-12T08:17:27.1234560Z']", fileObs, true),
  c('ordering across days', "[file:ctime < t'2016-05-13T00:00:00Z']", fileObs, true),
  c('ordering: later', "[file:ctime >= t'2017-01-01T00:00:00Z']", fileObs, false),
  c('string constant compares as text, not as an instant', "[file:ctime = '2016-05-12T08:17:27.000Z']", fileObs, false),
  c('string constant equal as text', "[file:ctime = '2016-05-12T08:17:27Z']", fileObs, true),
  c('property that is not a timestamp: = false', "[file:name = t'2016-05-12T08:17:27Z']", fileObs, false),
  c('property that is not a timestamp: != true', "[file:name != t'2016-05-12T08:17:27Z']", fileObs, true),
  c("timestamp with an offset instead of Z is not a STIX timestamp", "[file:ctime = t'2016-05-12T08:17:27Z']", [obs({ type: 'file', ctime: '2016-05-12T08:17:27+00:00' })], false),
  c('lower-case t/z is not a STIX timestamp', "[file:ctime = t'2016-05-12T08:17:27Z']", [obs({ type: 'file', ctime: '2016-05-12t08:17:27z' })], false),
  c('integer property vs timestamp', "[file:size < t'2016-05-12T08:17:27Z']", fileObs, false),
  c('leap second orders after :59', "[file:ctime > t'2016-12-31T23:59:59.999Z']", [obs({ type: 'file', ctime: '2016-12-31T23:59:60Z' })], true),
]);

table('9.5 comparison operators: binary and hex', [
  c("hex property = h'' (digit case ignored)", "[file:magic_number_hex = h'ffd8ffe0']", fileObs, true),
  c("hex property = other bytes", "[file:magic_number_hex = h'ffd8ffe1']", fileObs, false),
  c('hex property ordered bytewise', "[file:magic_number_hex > h'ffd8']", fileObs, true),
  c('hex property: shorter prefix sorts first', "[file:magic_number_hex < h'ffd9']", fileObs, true),
  c("hex property = b'' of the same bytes", `[file:magic_number_hex = b'${hex('ffd8ffe0')}']`, fileObs, true),
  c("binary property = b''", `[artifact:payload_bin = b'${hex(pcapBytes)}']`, artifactObs, true),
  c("binary property = h'' of the same bytes", `[artifact:payload_bin = h'${pcapBytes}']`, artifactObs, true),
  c('binary property vs string constant compares bytes', "[artifact:payload_bin = 'hello']", [obs({ type: 'artifact', payload_bin: Buffer.from('hello').toString('base64') })], true),
  c('hex property vs its hex text as a string: bytes differ', "[file:magic_number_hex = 'FFD8FFE0']", fileObs, false),
  c("string property vs h'': one byte per character", "[file:name = h'7265706f72742e706466']", fileObs, true),
  c("string with U+00E9 vs h'' of that byte", "[file:x_latin = h'68e9']", fileObs, true),
  c("string with U+00E9 vs its UTF-8 bytes", "[file:x_latin = h'68c3a9']", fileObs, false),
  c('string with a code point above U+00FF: =  false', "[file:x_euro = h'ac']", fileObs, false),
  c('string with a code point above U+00FF: != true', "[file:x_euro != h'ac']", fileObs, true),
  c('malformed base64 in a binary property: = false', "[file:x_broken_bin = 'not base64!']", fileObs, false),
  c('malformed base64 in a binary property: != true', "[file:x_broken_bin != 'x']", fileObs, true),
  c("integer vs h''", "[file:size = h'0400']", fileObs, false),
  c('LIKE compares the decoded bytes of binary properties', "[artifact:payload_bin LIKE '%']", artifactObs, true),
]);

table('9.5 comparison operators: Unicode', [
  c('composed vs decomposed: = compares code points', "[file:name = 'caf\u00e9']", [obs({ type: 'file', name: 'cafe\u0301' })], false),
  c('composed vs decomposed: LIKE normalises (NFC)', "[file:name LIKE 'caf\u00e9']", [obs({ type: 'file', name: 'cafe\u0301' })], true),
  c('composed vs decomposed: MATCHES normalises (NFC)', "[file:name MATCHES '^caf\u00e9$']", [obs({ type: 'file', name: 'cafe\u0301' })], true),
  c('emoji equality', "[file:x_astral = '\u{1F600}']", fileObs, true),
  c('(?i) folds non-ASCII case', "[file:name MATCHES '(?i)^\u00c9T\u00c9$']", [obs({ type: 'file', name: '\u00e9t\u00e9' })], true),
  c('non-ASCII equality is case-sensitive', "[file:name = '\u00c9T\u00c9']", [obs({ type: 'file', name: '\u00e9t\u00e9' })], false),
  c('. matches one astral code point', "[file:x_astral MATCHES '^.$']", fileObs, true),
  c('LIKE _ matches a decomposed character once normalised', "[file:name LIKE 'caf_']", [obs({ type: 'file', name: 'cafe\u0301' })], true),
]);

// ---------------------------------------------------------------------------------------------
// 9.6 Observation operators

const a0 = person('alice', 30, 0);
const b5 = person('bob', 40, 5);
const c10 = person('carol', 50, 10);
const a20 = person('alice', 31, 20);

table('9.6 observation operators', [
  c('AND over two observations', "[person:name = 'alice'] AND [person:name = 'bob']", [a0, b5], true),
  c('AND needs both', "[person:name = 'alice'] AND [person:name = 'dave']", [a0, b5], false),
  c('AND needs distinct observations', "[person:name = 'alice'] AND [person:age = 30]", [a0], false),
  c('AND: distinct observations found', "[person:name = 'alice'] AND [person:age = 31]", [a0, a20], true),
  c('AND: number_observed 2 counts as two observations', "[person:name = 'alice'] AND [person:age = 30]", [person('alice', 30, 0, 2)], true),
  c('AND of three needs three', "[person:age > 0] AND [person:age > 0] AND [person:age > 0]", [a0, b5], false),
  c('AND of three with three', "[person:age > 0] AND [person:age > 0] AND [person:age > 0]", [a0, b5, c10], true),
  c('AND: a greedy choice must be undone', "[person:age > 20] AND [person:name = 'alice']", [a0, b5], true),
  c('observation without valid times still satisfies a plain [...]', "[person:name = 'alice'] AND [person:name = 'bob']", [a0, { ...b5, firstObserved: Number.NaN, lastObserved: Number.NaN }], true),
  c('OR: left', "[person:name = 'alice'] OR [person:name = 'dave']", [a0], true),
  c('OR: right', "[person:name = 'dave'] OR [person:name = 'bob']", [b5], true),
  c('OR: neither', "[person:name = 'dave'] OR [person:name = 'erin']", [a0, b5], false),
  c('FOLLOWEDBY in order', "[person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']", [b5, a0], true),
  c('FOLLOWEDBY out of order', "[person:name = 'bob'] FOLLOWEDBY [person:name = 'alice']", [a0, b5], false),
  c('FOLLOWEDBY: a later left one does not help', "[person:name = 'bob'] FOLLOWEDBY [person:name = 'alice']", [a0, b5, person('carl', 1, 6)], false),
  c('FOLLOWEDBY: one of several right ones is later', "[person:name = 'bob'] FOLLOWEDBY [person:name = 'alice']", [a0, b5, a20], true),
  c('FOLLOWEDBY at the same instant', "[person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']", [a0, person('bob', 1, 0)], true),
  c('FOLLOWEDBY needs two observations', "[person:name = 'alice'] FOLLOWEDBY [person:age = 30]", [a0], false),
  c('FOLLOWEDBY with number_observed 2', "[person:name = 'alice'] FOLLOWEDBY [person:age = 30]", [person('alice', 30, 0, 2)], true),
  c('FOLLOWEDBY: overlapping intervals can be ordered', "[person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']", [obs({ type: 'person', name: 'alice' }, { at: 0, until: 10 }), obs({ type: 'person', name: 'bob' }, { at: 5, until: 6 })], true),
  c('FOLLOWEDBY: right interval ends before left begins', "[person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']", [obs({ type: 'person', name: 'alice' }, { at: 10, until: 20 }), obs({ type: 'person', name: 'bob' }, { at: 0, until: 5 })], false),
  c('FOLLOWEDBY chain in order', "[person:name = 'alice'] FOLLOWEDBY [person:name = 'bob'] FOLLOWEDBY [person:name = 'carol']", [c10, a0, b5], true),
  c('FOLLOWEDBY chain out of order', "[person:name = 'alice'] FOLLOWEDBY [person:name = 'carol'] FOLLOWEDBY [person:name = 'bob']", [a0, b5, c10], false),
  c('AND binds tighter than FOLLOWEDBY: both before', "[person:name = 'alice'] AND [person:name = 'bob'] FOLLOWEDBY [person:name = 'carol']", [a0, b5, c10], true),
  c('AND binds tighter than FOLLOWEDBY: one after', "[person:name = 'alice'] AND [person:name = 'carol'] FOLLOWEDBY [person:name = 'bob']", [a0, b5, c10], false),
  c('parentheses regroup FOLLOWEDBY', "[person:name = 'carol'] AND ([person:name = 'alice'] FOLLOWEDBY [person:name = 'bob'])", [a0, b5, c10], true),
  c('AND binds tighter than OR', "[person:name = 'dave'] AND [person:name = 'erin'] OR [person:name = 'alice']", [a0], true),
  c('OR binds tighter than FOLLOWEDBY', "[person:name = 'dave'] OR [person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']", [a0, b5], true),
  c('nested AND needs distinct observations throughout', "([person:name = 'alice'] AND [person:name = 'bob']) AND [person:age > 0]", [a0, b5], false),
  c('nested AND with a third observation', "([person:name = 'alice'] AND [person:name = 'bob']) AND [person:age > 0]", [a0, b5, c10], true),
  c('observations are not bound twice across FOLLOWEDBY and AND', "([person:age > 0] FOLLOWEDBY [person:age > 0]) AND [person:age > 0]", [a0, b5], false),
]);

// ---------------------------------------------------------------------------------------------
// 9.7 Pattern qualifiers

const alice = (at: number, n = 1): Observation => person('alice', 30, at, n);

table('9.7 pattern qualifiers: WITHIN', [
  c('single observation within any window', "[person:name = 'alice'] WITHIN 1 SECONDS", [a0], true),
  c('5 s apart within 5 s (bound included)', "([person:name = 'alice'] AND [person:name = 'bob']) WITHIN 5 SECONDS", [a0, b5], true),
  c('5 s apart not within 4.999 s', "([person:name = 'alice'] AND [person:name = 'bob']) WITHIN 4.999 SECONDS", [a0, b5], false),
  c('fractional seconds', "([person:name = 'alice'] AND [person:name = 'bob']) WITHIN 0.5 SECONDS", [a0, person('bob', 1, 0.5)], true),
  c('fractional seconds exceeded', "([person:name = 'alice'] AND [person:name = 'bob']) WITHIN 0.5 SECONDS", [a0, person('bob', 1, 0.501)], false),
  c('qualifier binds to the nearest [...]', "[person:name = 'alice'] AND [person:name = 'bob'] WITHIN 1 SECONDS", [a0, b5], true),
  c('intervals close enough', "([person:name = 'alice'] AND [person:name = 'bob']) WITHIN 5 SECONDS", [obs({ type: 'person', name: 'alice' }, { at: 0, until: 10 }), obs({ type: 'person', name: 'bob' }, { at: 14, until: 20 })], true),
  c('intervals too far apart', "([person:name = 'alice'] AND [person:name = 'bob']) WITHIN 3 SECONDS", [obs({ type: 'person', name: 'alice' }, { at: 0, until: 10 }), obs({ type: 'person', name: 'bob' }, { at: 14, until: 20 })], false),
  c('a later pair satisfies it', "([person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']) WITHIN 2 SECONDS", [a0, person('bob', 1, 10), person('alice', 1, 50), person('bob', 1, 51)], true),
  c('FOLLOWEDBY WITHIN: right too late', "([person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']) WITHIN 4 SECONDS", [a0, b5], false),
  c('WITHIN over three observations', "([person:name = 'alice'] AND [person:name = 'bob'] AND [person:name = 'carol']) WITHIN 10 SECONDS", [a0, b5, c10], true),
  c('WITHIN over three observations, too far', "([person:name = 'alice'] AND [person:name = 'bob'] AND [person:name = 'carol']) WITHIN 9 SECONDS", [a0, b5, c10], false),
]);

table('9.7 pattern qualifiers: REPEATS', [
  c('three distinct observations', "[person:name = 'alice'] REPEATS 3 TIMES", [alice(0), alice(1), alice(2)], true),
  c('two are not three', "[person:name = 'alice'] REPEATS 3 TIMES", [alice(0), alice(1), b5], false),
  c('number_observed 3 is three observations', "[person:name = 'alice'] REPEATS 3 TIMES", [alice(0, 3)], true),
  c('number_observed adds up across observations', "[person:name = 'alice'] REPEATS 5 TIMES", [alice(0, 2), alice(1, 3)], true),
  c('number_observed short of the count', "[person:name = 'alice'] REPEATS 6 TIMES", [alice(0, 2), alice(1, 3)], false),
  c('REPEATS 1 is the expression itself', "[person:name = 'alice'] REPEATS 1 TIMES", [a0], true),
  c('repetitions of an AND need distinct observations', "([person:name = 'alice'] AND [person:name = 'bob']) REPEATS 2 TIMES", [a0, b5, alice(7)], false),
  c('repetitions of an AND with enough observations', "([person:name = 'alice'] AND [person:name = 'bob']) REPEATS 2 TIMES", [a0, b5, alice(7), person('bob', 1, 8)], true),
  c('repetitions of FOLLOWEDBY: two ordered pairs', "([person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']) REPEATS 2 TIMES", [a0, b5, alice(7), person('bob', 1, 8)], true),
  c('repetitions of FOLLOWEDBY: only one ordered pair', "([person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']) REPEATS 2 TIMES", [a0, b5, person('bob', 1, 6), alice(7)], false),
  c('nested REPEATS multiply', "([person:name = 'alice'] REPEATS 2 TIMES) REPEATS 2 TIMES", [alice(0), alice(1), alice(2), alice(3)], true),
  c('nested REPEATS multiply: one short', "([person:name = 'alice'] REPEATS 2 TIMES) REPEATS 2 TIMES", [alice(0), alice(1), alice(2)], false),
  c('REPEATS then WITHIN: all repetitions in the window', "[person:name = 'alice'] REPEATS 3 TIMES WITHIN 10 SECONDS", [alice(0), alice(5), alice(10)], true),
  c('REPEATS then WITHIN: spread too wide', "[person:name = 'alice'] REPEATS 3 TIMES WITHIN 10 SECONDS", [alice(0), alice(5), alice(11)], false),
  c('REPEATS then WITHIN: a later window holds three', "[person:name = 'alice'] REPEATS 3 TIMES WITHIN 10 SECONDS", [alice(0), alice(5), alice(11), alice(12)], true),
  c('WITHIN then REPEATS: each repetition on its own', "[person:name = 'alice'] WITHIN 10 SECONDS REPEATS 2 TIMES", [alice(0), alice(100)], true),
  c('grouped WITHIN then REPEATS: each pair within 5 s', "(([person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']) WITHIN 5 SECONDS) REPEATS 2 TIMES", [a0, b5, alice(100), person('bob', 1, 104)], true),
  c('grouped WITHIN then REPEATS: second pair too slow', "(([person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']) WITHIN 5 SECONDS) REPEATS 2 TIMES", [a0, b5, alice(100), person('bob', 1, 106)], false),
  c('REPEATS with AND of another expression', "[person:name = 'alice'] REPEATS 2 TIMES AND [person:age = 30]", [alice(0), alice(1)], false),
  c('REPEATS with AND, enough observations', "[person:name = 'alice'] REPEATS 2 TIMES AND [person:age = 30]", [alice(0), alice(1), alice(2)], true),
]);

const window2016 = "START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'";
const in2016 = (iso: string, name = 'alice', untilIso?: string): Observation => ({
  firstObserved: Date.parse(iso),
  lastObserved: Date.parse(untilIso ?? iso),
  numberObserved: 1,
  objects: new Map([['0', { type: 'person', name }]]),
});

table('9.7 pattern qualifiers: START / STOP', [
  c('inside', `[person:name = 'alice'] ${window2016}`, [in2016('2016-01-01T12:00:00Z')], true),
  c('at START (included)', `[person:name = 'alice'] ${window2016}`, [in2016('2016-01-01T00:00:00Z')], true),
  c('at STOP (excluded)', `[person:name = 'alice'] ${window2016}`, [in2016('2016-01-02T00:00:00Z')], false),
  c('one millisecond before STOP', `[person:name = 'alice'] ${window2016}`, [in2016('2016-01-01T23:59:59.999Z')], true),
  c('before START', `[person:name = 'alice'] ${window2016}`, [in2016('2015-12-31T23:59:59.999Z')], false),
  c('interval reaching into the window', `[person:name = 'alice'] ${window2016}`, [in2016('2015-12-31T00:00:00Z', 'alice', '2016-01-01T00:00:00Z')], true),
  c('interval ending before the window', `[person:name = 'alice'] ${window2016}`, [in2016('2015-12-30T00:00:00Z', 'alice', '2015-12-31T23:00:00Z')], false),
  c('sub-millisecond START', "[person:name = 'alice'] START t'2016-01-01T00:00:00.0005Z' STOP t'2016-01-02T00:00:00Z'", [in2016('2016-01-01T00:00:00Z')], false),
  c('applies to every observation of a group', `([person:name = 'alice'] AND [person:name = 'bob']) ${window2016}`, [in2016('2016-01-01T01:00:00Z'), in2016('2016-01-03T00:00:00Z', 'bob')], false),
  c('group inside the window', `([person:name = 'alice'] AND [person:name = 'bob']) ${window2016}`, [in2016('2016-01-01T01:00:00Z'), in2016('2016-01-01T02:00:00Z', 'bob')], true),
  c('binds to the nearest [...] only', `[person:name = 'alice'] AND [person:name = 'bob'] ${window2016}`, [in2016('2015-06-01T00:00:00Z'), in2016('2016-01-01T02:00:00Z', 'bob')], true),
  c('a matching observation outside is skipped for one inside', `[person:name = 'alice'] ${window2016}`, [in2016('2015-06-01T00:00:00Z'), in2016('2016-01-01T06:00:00Z')], true),
  c('with REPEATS: only those inside count', `[person:name = 'alice'] REPEATS 2 TIMES ${window2016}`, [in2016('2015-06-01T00:00:00Z'), in2016('2016-01-01T06:00:00Z')], false),
  c('nested windows intersect', `([person:name = 'alice'] START t'2016-01-01T06:00:00Z' STOP t'2016-01-03T00:00:00Z') ${window2016}`, [in2016('2016-01-01T03:00:00Z')], false),
  c('nested windows intersect: inside both', `([person:name = 'alice'] START t'2016-01-01T06:00:00Z' STOP t'2016-01-03T00:00:00Z') ${window2016}`, [in2016('2016-01-01T07:00:00Z')], true),
  c('with WITHIN', `([person:name = 'alice'] AND [person:name = 'bob']) WITHIN 60 SECONDS ${window2016}`, [in2016('2016-01-01T01:00:00Z'), in2016('2016-01-01T01:01:00Z', 'bob')], true),
  c('with WITHIN exceeded', `([person:name = 'alice'] AND [person:name = 'bob']) WITHIN 60 SECONDS ${window2016}`, [in2016('2016-01-01T01:00:00Z'), in2016('2016-01-01T01:01:00.001Z', 'bob')], false),
  {
    ...c('STIX 2.0 string bounds', "[person:name = 'alice'] START '2016-01-01T00:00:00Z' STOP '2016-01-02T00:00:00Z'", [in2016('2016-01-01T12:00:00Z')], true),
    specVersion: '2.0',
  },
  {
    ...c('STIX 2.0 string bounds, outside', "[person:name = 'alice'] START '2016-01-01T00:00:00Z' STOP '2016-01-02T00:00:00Z'", [in2016('2016-01-02T12:00:00Z')], false),
    specVersion: '2.0',
  },
]);

// ---------------------------------------------------------------------------------------------
// The compiled pattern's other members

describe('compiled pattern: match result, touches, horizonMs, single', () => {
  it('match returns the bound observations once each, in input order', () => {
    const extra = person('zed', 1, 3);
    const m = compile("[person:name = 'bob'] AND [person:name = 'alice']").match([extra, b5, a0]);
    assert.ok(m !== undefined);
    assert.deepEqual(m.observations, [b5, a0]);
  });

  it('match lists an observation bound several times (number_observed) once', () => {
    const many = alice(0, 3);
    const m = compile("[person:name = 'alice'] REPEATS 3 TIMES").match([many]);
    assert.deepEqual(m?.observations, [many]);
  });

  it('touches: an observation satisfying one leaf, whatever the qualifiers', () => {
    const p = compile(`([person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']) WITHIN 5 SECONDS ${window2016}`);
    assert.equal(p.touches(b5), true);
    assert.equal(p.touches(a0), true);
    assert.equal(p.touches(c10), false);
    assert.equal(p.touches(fileObs), false);
  });

  it('touches is false when no SCO satisfies a whole [...]', () => {
    const p = compile("[person:name = 'alice' AND person:age = 99]");
    assert.equal(p.touches(a0), false);
  });

  const horizons: [string, number][] = [
    ["[person:name = 'a']", 0],
    ["[person:name = 'a'] OR [person:name = 'b']", 0],
    ["[person:name = 'a'] WITHIN 5 SECONDS", 0],
    ["[person:name = 'a'] AND [person:name = 'b']", Infinity],
    ["[person:name = 'a'] FOLLOWEDBY [person:name = 'b']", Infinity],
    ["([person:name = 'a'] AND [person:name = 'b']) WITHIN 30 SECONDS", 30_000],
    ["[person:name = 'a'] REPEATS 2 TIMES", Infinity],
    ["[person:name = 'a'] REPEATS 2 TIMES WITHIN 10.5 SECONDS", 10_500],
    ["[person:name = 'a'] WITHIN 10 SECONDS REPEATS 2 TIMES", Infinity],
    ["[person:name = 'a'] WITHIN 5 SECONDS OR ([person:name = 'b'] AND [person:name = 'c']) WITHIN 10 SECONDS", 10_000],
    ["([person:name = 'a'] AND [person:name = 'b']) START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:01:00Z'", 60_000],
    ["[person:name = 'a'] AND [person:name = 'b'] WITHIN 5 SECONDS", Infinity],
  ];
  for (const [text, expected] of horizons) {
    it(`horizonMs of ${text} is ${expected}`, () => {
      assert.equal(compile(text).horizonMs, expected);
    });
  }

  const singles: [string, boolean][] = [
    ["[person:name = 'a']", true],
    ["([person:name = 'a' OR person:age = 1])", true],
    ["[person:name = 'a'] WITHIN 5 SECONDS", false],
    ["[person:name = 'a'] REPEATS 1 TIMES", false],
    ["[person:name = 'a'] OR [person:name = 'b']", false],
    ["[person:name = 'a'] AND [person:name = 'b']", false],
  ];
  for (const [text, expected] of singles) {
    it(`single of ${text} is ${expected}`, () => {
      assert.equal(compile(text).single, expected);
    });
  }
});

describe('compiled pattern: search stays polynomial', () => {
  const evenly = Array.from({ length: 1000 }, (_, i) => person('alice', i % 50, i));

  it('REPEATS n WITHIN t over many observations: no match found quickly', () => {
    const started = performance.now();
    assert.equal(compile("[person:name = 'alice'] REPEATS 200 TIMES WITHIN 198 SECONDS").match(evenly), undefined);
    assert.ok(performance.now() - started < 5000);
  });

  it('REPEATS n WITHIN t over many observations: match found', () => {
    const m = compile("[person:name = 'alice'] REPEATS 200 TIMES WITHIN 199 SECONDS").match(evenly);
    assert.equal(m?.observations.length, 200);
  });

  it('FOLLOWEDBY chain that cannot be ordered is refuted quickly', () => {
    const started = performance.now();
    const p = compile("[person:age = 1] FOLLOWEDBY [person:age = 2] FOLLOWEDBY [person:age = 0]");
    const mixed = Array.from({ length: 2000 }, (_, i) => person('x', i < 1000 ? (i % 2 === 0 ? 0 : 1) : 2, i));
    assert.equal(p.match(mixed), undefined);
    assert.ok(performance.now() - started < 5000);
  });

  it('many identical AND operands over too few observations', () => {
    const text = Array.from({ length: 12 }, () => '[person:age >= 0]').join(' AND ');
    assert.equal(compile(text).match(evenly.slice(0, 11)), undefined);
    assert.equal(compile(text).match(evenly.slice(0, 12))?.observations.length, 12);
  });
});

// ---------------------------------------------------------------------------------------------
// The search against an exhaustive enumeration of assignments (small random inputs)

interface Timed {
  readonly first: number;
  readonly last: number;
  readonly copies: number;
  readonly observation: Observation;
}

/** Every assignment (as a sorted list of observation positions, one entry per copy used). */
function assignments(expr: ObservationExpression, timed: readonly Timed[]): number[][] {
  const fits = (binding: readonly number[]): boolean => {
    const counts = new Map<number, number>();
    for (const i of binding) counts.set(i, (counts.get(i) ?? 0) + 1);
    return [...counts].every(([i, n]) => n <= (timed[i]?.copies ?? 0));
  };
  const unique = (bindings: number[][]): number[][] => {
    const seen = new Map<string, number[]>();
    for (const b of bindings) {
      const sorted = [...b].sort((x, y) => x - y);
      seen.set(sorted.join(','), sorted);
    }
    return [...seen.values()];
  };
  const firstOf = (b: readonly number[]): number => Math.max(...b.map((i) => timed[i]?.first ?? 0));
  const lastOf = (b: readonly number[]): number => Math.min(...b.map((i) => timed[i]?.last ?? 0));
  const product = (lists: number[][][], ordered: boolean): number[][] => {
    let acc: number[][][] = [[]];
    for (const list of lists) acc = acc.flatMap((parts) => list.map((b) => [...parts, b]));
    return acc
      .filter((parts) => !ordered || parts.every((b, k) => k === 0 || firstOf(parts.slice(0, k).flat()) <= lastOf(b)))
      .map((parts) => parts.flat())
      .filter(fits);
  };
  switch (expr.kind) {
    case 'observation': {
      const leaf = compilePattern({ kind: 'pattern', expression: expr });
      return timed.flatMap((t, i) => (leaf.touches(t.observation) ? [[i]] : []));
    }
    case 'observationGroup':
      return assignments(expr.expression, timed);
    case 'observationBinary': {
      const lists = expr.operands.map((o) => assignments(o, timed));
      if (expr.operator === 'OR') return unique(lists.flat());
      return unique(product(lists, expr.operator === 'FOLLOWEDBY'));
    }
    case 'qualified': {
      let bindings = assignments(expr.expression, timed);
      for (const q of expr.qualifiers) {
        if (q.kind === 'within') {
          bindings = bindings.filter((b) => firstOf(b) - lastOf(b) <= q.seconds.value * 1000);
        } else if (q.kind === 'repeats') {
          let acc: { parts: number[]; from: number }[] = [{ parts: [], from: 0 }];
          for (let r = 0; r < q.times.value; r++) {
            acc = acc.flatMap(({ parts, from }) =>
              bindings.slice(from).map((b, k) => ({ parts: [...parts, ...b], from: from + k })),
            );
          }
          bindings = unique(acc.map((a) => a.parts).filter(fits));
        } else {
          const start = Date.parse(q.start.value);
          const stop = Date.parse(q.stop.value);
          bindings = bindings.filter((b) => b.every((i) => (timed[i]?.last ?? 0) >= start && (timed[i]?.first ?? 0) < stop));
        }
      }
      return bindings;
    }
  }
}

const leafPatterns = [
  "[person:name = 'a']",
  "[person:name = 'b']",
  '[person:age > 1]',
  "[person:name = 'a' AND person:age < 2]",
];

function patternText(depth: number): fc.Arbitrary<string> {
  const leaf = fc.constantFrom(...leafPatterns);
  if (depth === 0) return leaf;
  const inner = patternText(depth - 1);
  const binary = fc
    .tuple(fc.constantFrom('AND', 'OR', 'FOLLOWEDBY'), inner, inner)
    .map(([op, l, r]) => `(${l}) ${op} (${r})`);
  const qualified = fc
    .tuple(
      inner,
      fc.constantFrom(
        'WITHIN 2 SECONDS',
        'WITHIN 5 SECONDS',
        'REPEATS 2 TIMES',
        'REPEATS 3 TIMES',
        "START t'2024-03-01T12:00:02Z' STOP t'2024-03-01T12:00:07Z'",
      ),
    )
    .map(([e, q]) => `(${e}) ${q}`);
  return fc.oneof(leaf, binary, qualified);
}

const observationsArb = fc.array(
  fc.record({
    name: fc.constantFrom('a', 'b', 'c'),
    age: fc.integer({ min: 0, max: 3 }),
    at: fc.integer({ min: 0, max: 10 }),
    span: fc.constantFrom(0, 0, 0, 3),
    n: fc.constantFrom(1, 1, 1, 2),
  }),
  { maxLength: 5 },
);

describe('compiled pattern: agrees with an exhaustive enumeration of assignments', () => {
  it('matches exactly when some assignment satisfies the pattern', () => {
    fc.assert(
      fc.property(patternText(3), observationsArb, (text, specs) => {
        const parsed = parsePattern(text);
        if (!parsed.ok) return true; // e.g. a qualifier repeated on one expression
        const observations = specs.map((o) => obs({ type: 'person', name: o.name, age: o.age }, { at: o.at, until: o.at + o.span, n: o.n }));
        const timed = observations.map((observation) => ({
          first: observation.firstObserved,
          last: observation.lastObserved,
          copies: observation.numberObserved,
          observation,
        }));
        const expected = assignments(parsed.pattern.expression, timed).length > 0;
        const result = compilePattern(parsed.pattern).match(observations);
        assert.equal(result !== undefined, expected, text);
      }),
      { numRuns: 400 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Sliding window

describe('PatternWindow', () => {
  it('reports FOLLOWEDBY completed across pushes', () => {
    const w = new PatternWindow(compile("[person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']"));
    assert.equal(w.push(a0), undefined);
    assert.deepEqual(w.push(b5)?.observations, [a0, b5]);
  });

  it('does not report FOLLOWEDBY pushed in the wrong order', () => {
    const w = new PatternWindow(compile("[person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']"));
    assert.equal(w.push(person('bob', 1, 0)), undefined);
    assert.equal(w.push(person('alice', 1, 5)), undefined);
  });

  it('drops observations older than the window', () => {
    const w = new PatternWindow(compile("([person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']) WITHIN 60 SECONDS"));
    assert.equal(w.push(a0), undefined);
    assert.equal(w.size, 1);
    assert.equal(w.push(person('carol', 1, 120)), undefined); // does not touch, but moves time on
    assert.equal(w.size, 0);
    assert.equal(w.push(person('bob', 1, 121)), undefined);
  });

  it('default window is the horizon: bounds included', () => {
    const p = compile("([person:name = 'alice'] AND [person:name = 'bob']) WITHIN 30 SECONDS");
    const w1 = new PatternWindow(p);
    w1.push(a0);
    assert.ok(w1.push(person('bob', 1, 30)) !== undefined);
    const w2 = new PatternWindow(p);
    w2.push(a0);
    assert.equal(w2.push(person('bob', 1, 30.001)), undefined);
  });

  it('an explicit window shorter than the pattern needs loses the match', () => {
    const w = new PatternWindow(compile("[person:name = 'alice'] AND [person:name = 'bob']"), { windowMs: 1000 });
    w.push(a0);
    assert.equal(w.push(b5), undefined);
  });

  it('REPEATS within a window reports only when enough are close together', () => {
    const w = new PatternWindow(compile("[person:name = 'alice'] REPEATS 3 TIMES WITHIN 10 SECONDS"));
    const pushed = [0, 4, 20, 22].map((t) => w.push(alice(t)));
    assert.deepEqual(pushed, [undefined, undefined, undefined, undefined]);
    const last = alice(25);
    assert.deepEqual(w.push(last)?.observations.map((o) => o.firstObserved), [20, 22, 25].map((s) => T0 + s * 1000));
  });

  it('a reported match consumes its observations', () => {
    const w = new PatternWindow(compile("[person:name = 'alice'] REPEATS 2 TIMES"));
    const reports = [0, 1, 2, 3, 4].map((t) => w.push(alice(t)) !== undefined);
    assert.deepEqual(reports, [false, true, false, true, false]);
    assert.equal(w.size, 1);
  });

  it('number_observed copies are consumed one by one', () => {
    const w = new PatternWindow(compile("[person:name = 'alice'] REPEATS 2 TIMES"));
    const three = alice(0, 3);
    assert.deepEqual(w.push(three)?.observations, [three]);
    assert.equal(w.size, 1); // one copy left
    const next = alice(1);
    assert.deepEqual(w.push(next)?.observations, [three, next]);
    assert.equal(w.size, 0);
  });

  it('keeps at most maxObservations, dropping the oldest', () => {
    const w = new PatternWindow(compile("[person:name = 'alice'] AND [person:name = 'bob']"), { maxObservations: 2 });
    const first = alice(0);
    const second = alice(1);
    w.push(first);
    w.push(second);
    const bob = person('bob', 1, 2);
    assert.deepEqual(w.push(bob)?.observations, [second, bob]);
  });

  it('ignores late observations already outside the window', () => {
    const w = new PatternWindow(compile("[person:name = 'alice'] AND [person:name = 'bob']"), { windowMs: 10_000 });
    assert.equal(w.push(person('carol', 1, 100)), undefined);
    assert.equal(w.push(alice(50)), undefined);
    assert.equal(w.size, 0);
    assert.equal(w.push(person('bob', 1, 101)), undefined);
  });

  it('accepts observations slightly out of order', () => {
    const w = new PatternWindow(compile("([person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']) WITHIN 60 SECONDS"));
    assert.equal(w.push(person('bob', 1, 10)), undefined);
    assert.ok(w.push(alice(5)) !== undefined);
  });

  it('a single-observation pattern reports each matching push', () => {
    const p = compile("[person:name = 'alice']");
    assert.equal(p.single, true);
    const w = new PatternWindow(p);
    assert.deepEqual(w.push(a0)?.observations, [a0]);
    assert.equal(w.push(b5), undefined);
    assert.deepEqual(w.push(a20)?.observations, [a20]);
  });

  it('ignores observations without valid times', () => {
    const w = new PatternWindow(compile("[person:name = 'alice']"));
    assert.equal(w.push({ ...a0, firstObserved: Number.NaN, lastObserved: Number.POSITIVE_INFINITY }), undefined);
    assert.equal(w.size, 0);
  });

  it('skips observations that touch nothing', () => {
    const w = new PatternWindow(compile("[person:name = 'alice'] AND [person:name = 'bob']"));
    w.push(c10);
    assert.equal(w.size, 0);
  });

  it('works with a CompiledPattern implemented elsewhere (through its public API)', () => {
    const inner = compile("[person:name = 'alice'] FOLLOWEDBY [person:name = 'bob']");
    const wrapped: CompiledPattern = {
      match: (o) => inner.match(o),
      touches: (o) => inner.touches(o),
      horizonMs: inner.horizonMs,
      single: inner.single,
    };
    const w = new PatternWindow(wrapped);
    assert.equal(w.push(a0), undefined);
    assert.deepEqual(w.push(b5)?.observations, [a0, b5]);
    assert.equal(w.size, 0);
  });

  it('rejects invalid options', () => {
    const p = compile("[person:name = 'alice']");
    assert.throws(() => new PatternWindow(p, { windowMs: -1 }), RangeError);
    assert.throws(() => new PatternWindow(p, { windowMs: Number.NaN }), RangeError);
    assert.throws(() => new PatternWindow(p, { maxObservations: 0 }), RangeError);
    assert.throws(() => new PatternWindow(p, { maxObservations: 1.5 }), RangeError);
  });
});
