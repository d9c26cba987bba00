import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileIndicator, compileParsed, compileSingleComparison } from './detect.compile.js';

const SHA256 = 'ab'.repeat(32);
const MD5 = 'c0'.repeat(16);

/** A pattern string literal holding `value` (quotes and backslashes escaped). */
const quoted = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function assertSame(text: string, specVersion: '2.0' | '2.1'): void {
  assert.deepStrictEqual(compileIndicator(text, specVersion), compileParsed(text, specVersion), text);
}

describe('HTTP header paths (STIX 2.1 6.12.2: request_header values are lists of strings)', () => {
  it("indexes ...request_header.'User-Agent'[*] = '...' by its user agent, as a simple indicator", () => {
    const agent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) QuillAgent/7.5';
    for (const header of ["'User-Agent'", "'user-agent'"]) {
      const result = compileIndicator(`[network-traffic:extensions.'http-request-ext'.request_header.${header}[*] = ${quoted(agent)}]`);
      assert.ok(result.ok);
      assert.deepStrictEqual(result.indicator, { mentions: [{ kind: 'user-agent', value: agent }], simple: true, anchored: true });
    }
  });

  it('names nothing through [*] on other paths or with an index', () => {
    for (const text of ["[network-traffic:extensions.'http-request-ext'.request_header.'Host'[*] = 'a']", "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'[0] = 'a']", "[ipv4-addr:value[*] = '10.0.0.1']"]) {
      const result = compileIndicator(text);
      assert.ok(result.ok, text);
      assert.deepStrictEqual(result.indicator.mentions, [], text);
      assert.equal(result.indicator.anchored, false, text);
    }
  });
});

describe('compiling an indicator without the full parser', () => {
  const common: Array<[string, object]> = [
    [`[file:hashes.'SHA-256' = '${SHA256}']`, { mentions: [{ kind: 'sha256', value: SHA256 }] }],
    [`[file:hashes.'SHA-256' = '${SHA256.toUpperCase()}']`, { mentions: [{ kind: 'sha256', value: SHA256 }] }],
    [`[file:hashes.MD5 = '${MD5}']`, { mentions: [{ kind: 'md5', value: MD5 }] }],
    ["[ipv4-addr:value = '198.51.100.7']", { mentions: [{ kind: 'ipv4', value: '198.51.100.7' }] }],
    ["[ipv4-addr:value = '198.51.100.7/32']", { mentions: [{ kind: 'ipv4', value: '198.51.100.7' }] }],
    ["[domain-name:value='Evil.Example.COM']", { mentions: [{ kind: 'domain', value: 'evil.example.com' }] }],
    ["[url:value = 'http://a.example/x?y=1']", {}],
    ["[ file:name  =  'it\\'s a \\\\ name.exe' ]", { mentions: [{ kind: 'file-name', value: "it's a \\ name.exe" }] }],
    ["[network-traffic:dst_ref.value = '2001:db8::1']", { mentions: [{ kind: 'ipv6', value: '2001:db8::1' }] }],
    ["[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'curl/8']", {}],
  ];
  for (const [text, expected] of common) {
    it(`reads ${text} as the parser does`, () => {
      const fast = compileSingleComparison(text);
      assert.ok(fast, 'the common shape is read without the parser');
      assert.equal(fast.simple, true);
      assert.equal(fast.anchored, true);
      assert.equal('pattern' in fast, false);
      if ('mentions' in expected) assert.deepStrictEqual(fast.mentions, expected.mentions);
      for (const version of ['2.0', '2.1'] as const) assertSame(text, version);
    });
  }

  it('reads an address prefix under ISSUBSET or =', () => {
    for (const text of ["[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "[ipv4-addr:value = '198.51.100.0/24']", "[ipv6-addr:value ISSUBSET '2001:db8::/32']"]) {
      const fast = compileSingleComparison(text);
      assert.ok(fast && 'cidr' in fast.mentions[0]!, text);
      assertSame(text, '2.1');
    }
  });

  const others = [
    `[file:hashes.'SHA-256' = '${SHA256.slice(1)}']`, // not a SHA-256: the parser refuses it
    "[ipv4-addr:value = 'not an address']", // names nothing: the evaluator needs the pattern
    "[ipv4-addr:value == '198.51.100.7']",
    "[ipv4-addr:value ISSUBSET'198.51.100.0/24']",
    "[ipv4-addr:valueISSUBSET '198.51.100.0/24']",
    "[ipv4-addr:value = '198.51.100.7'] WITHIN 5 SECONDS",
    "[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value = '198.51.100.8']",
    "[ipv4-addr:value = '198.51.100.7'] OR [ipv4-addr:value = '198.51.100.8']",
    "[ipv4-addr:value = '198.51.100.7']\t",
    "[ipv4-addr:value = 'a\\nb']",
    "[file:name = 'x.exe'",
    "[file:hashes.sha-256 = 'ab']",
    "[x-custom:value = 'a']",
    "[file:OR = 'a']",
    "[file:true = 'a']",
    '',
  ];
  for (const text of others) {
    it(`leaves ${JSON.stringify(text)} to the parser`, () => {
      assert.equal(compileSingleComparison(text), undefined);
      for (const version of ['2.0', '2.1'] as const) assertSame(text, version);
    });
  }

  it('gives exactly what the parser gives for generated patterns near the common shape', () => {
    const types = ['ipv4-addr', 'ipv6-addr', 'domain-name', 'url', 'email-addr', 'email-message', 'mutex', 'windows-registry-key', 'mac-addr', 'autonomous-system', 'directory', 'file', 'artifact', 'x509-certificate', 'network-traffic', 'x-custom', 't', 'AND', 'EXISTS'];
    const names = ['value', 'name', 'key', 'number', 'path', 'hashes', 'MD5', 'md5', 'SHA256', "'SHA-256'", "'sha-256'", "'SHA-1'", "'SSDEEP'", 'from_ref', 'src_ref', 'dst_ref', 'parent_directory_ref', 'extensions', "'http-request-ext'", 'request_header', "'User-Agent'", 'OR', 'EXISTS', 'true', 'h', 'x-y', "'a\\\\b'", "'a b'", '[0]', '[*]'];
    const operators = ['=', ' = ', '  =  ', '==', ' == ', ' ISSUBSET ', 'ISSUBSET', ' ISSUBSET', 'ISSUBSET ', ' != ', ' IN ', ' =', '\t=\t', ' NOT = ', ' LIKE '];
    const values = fc.oneof(
      fc.constantFrom(SHA256, SHA256.toUpperCase(), SHA256.slice(2), MD5, 'ab'.repeat(20), '198.51.100.7', '198.51.100.0/24', '198.51.100.7/33', '0.0.0.0/0', '2001:DB8::1', '2001:db8::/32', 'Evil.Example.com', 'http://a.example/p', 'a@b.example', 'HKEY_LOCAL_MACHINE\\Run', '00:11:22:33:44:55', '15169', 'dropper.exe', '', ' ', 'x/y'),
      fc.string({ unit: fc.constantFrom('a', 'B', '1', '.', '/', ':', "'", '\\', ' ', '-', '\n', 'é', '😀'), maxLength: 12 }),
    );
    const literal = fc.oneof({ weight: 4, arbitrary: values.map(quoted) }, { weight: 1, arbitrary: values.map((v) => `'${v}'`) }, { weight: 1, arbitrary: fc.constantFrom('15169', 'true', "h'ab'", "('a', 'b')", "t'2026-01-01T00:00:00Z'") });
    const space = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('', ' ') }, { weight: 1, arbitrary: fc.constantFrom('  ', '\t', '/**/') });
    const tail = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('', ' ') }, { weight: 1, arbitrary: fc.constantFrom(' WITHIN 5 SECONDS', " OR [file:name = 'a']", ']', '\n') });
    // Paths the index knows, and any path from the pieces above.
    const known = fc.constantFrom<[string, string[]]>(
      ['ipv4-addr', ['value']], ['ipv6-addr', ['value']], ['domain-name', ['value']], ['url', ['value']], ['email-addr', ['value']], ['email-message', ['from_ref', 'value']],
      ['mutex', ['name']], ['windows-registry-key', ['key']], ['mac-addr', ['value']], ['directory', ['path']], ['file', ['name']], ['file', ['parent_directory_ref', 'path']],
      ['file', ['hashes', "'SHA-256'"]], ['file', ['hashes', 'MD5']], ['file', ['hashes', 'sha256']], ['artifact', ['hashes', "'SHA-1'"]], ['x509-certificate', ['hashes', "'SSDEEP'"]],
      ['network-traffic', ['src_ref', 'value']], ['network-traffic', ['extensions', "'http-request-ext'", 'request_header', "'user-agent'"]],
    );
    const any = fc.tuple(fc.constantFrom(...types), fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 4 }));
    const pattern = fc
      .tuple(space, fc.oneof({ weight: 3, arbitrary: known }, { weight: 1, arbitrary: any }), fc.oneof({ weight: 3, arbitrary: fc.constantFrom('=', ' = ', ' ISSUBSET ') }, { weight: 1, arbitrary: fc.constantFrom(...operators) }), literal, space, space, tail, fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }))
      .map(([s1, [type, path], op, value, s2, s3, rest, bracket]) => {
        const joined = path.map((name, i) => (i === 0 || name.startsWith('[') ? name : `.${name}`)).join('');
        return `${bracket ? '[' : ''}${s1}${type}:${joined}${op}${value}${s2}]${s3}${rest}`;
      });
    let fast = 0;
    fc.assert(
      fc.property(pattern, fc.constantFrom('2.0' as const, '2.1' as const), (text, version) => {
        if (compileSingleComparison(text) !== undefined) fast++;
        assertSame(text, version);
      }),
      { numRuns: 20_000 },
    );
    // The generator must reach the fast reader often enough for the comparison to mean something.
    assert.ok(fast > 200, `only ${fast} generated patterns took the fast path`);
  });
});
