import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  detectCertainKind, detectKind, isObservableKind, normalise, normaliseDomainFully, normaliseUrlByParser, OBSERVABLE_KINDS, parseCidr, parseIPv4, parseIPv6,
  type ObservableKind,
} from './observable.js';

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/[^0-9a-f]/gi, ''), 'hex'));
}

function table(kind: ObservableKind, cases: readonly (readonly [string, string | undefined])[]): void {
  for (const [input, expected] of cases) {
    assert.equal(normalise(kind, input), expected, `normalise(${kind}, ${JSON.stringify(input)})`);
  }
}

describe('observable kinds', () => {
  it('lists the kinds and recognises only them', () => {
    assert.equal(OBSERVABLE_KINDS.length, 21);
    for (const kind of OBSERVABLE_KINDS) assert.ok(isObservableKind(kind), kind);
    for (const other of ['ip', 'IPV4', 'sha3_256', 'hash', '', 'toString', '__proto__']) assert.equal(isObservableKind(other), false, other);
  });
});

describe('parseIPv4', () => {
  it('reads dotted quads as unsigned 32-bit numbers', () => {
    assert.equal(parseIPv4('0.0.0.0'), 0);
    assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
    assert.equal(parseIPv4('192.168.1.10'), 0xc0a8010a);
    assert.equal(parseIPv4('10.0.0.1'), 0x0a000001);
  });

  it('refuses everything that is not exactly four decimal octets', () => {
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.256', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.a', '0x7f.0.0.1',
      ' 1.2.3.4', '1.2.3.4 ', '+1.2.3.4', '1.2.3.4/24', '', '1.2.3.4\n', '１.２.３.４', '1.2.3.-4', '1.2.3.1000']) {
      assert.equal(parseIPv4(bad), undefined, JSON.stringify(bad));
    }
  });

  it('refuses octets with a leading zero, which some resolvers read as octal', () => {
    for (const bad of ['010.0.0.1', '1.02.3.4', '1.2.3.04', '00.1.2.3']) assert.equal(parseIPv4(bad), undefined, bad);
    assert.equal(parseIPv4('0.10.100.0'), 0x000a6400);
  });
});

describe('parseIPv6', () => {
  it('reads the RFC 4291 text forms', () => {
    assert.deepEqual(parseIPv6('2001:0db8:0000:0000:0008:0800:200c:417a'), bytes('20010db8000000000008 0800200c417a'));
    assert.deepEqual(parseIPv6('2001:DB8::8:800:200C:417A'), bytes('20010db8000000000008 0800200c417a'));
    assert.deepEqual(parseIPv6('::'), new Uint8Array(16));
    assert.deepEqual(parseIPv6('::1'), bytes('00000000000000000000000000000001'));
    assert.deepEqual(parseIPv6('1::'), bytes('00010000000000000000000000000000'));
    assert.deepEqual(parseIPv6('1:2:3:4:5:6:7::'), bytes('00010002000300040005000600070000'));
    assert.deepEqual(parseIPv6('::2:3:4:5:6:7:8'), bytes('00000002000300040005000600070008'));
    assert.deepEqual(parseIPv6('1:2:3:4:5:6:7:8'), bytes('00010002000300040005000600070008'));
  });

  it('reads an embedded IPv4 tail', () => {
    assert.deepEqual(parseIPv6('::ffff:192.0.2.128'), bytes('00000000000000000000ffffc0000280'));
    assert.deepEqual(parseIPv6('::13.1.68.3'), bytes('0000000000000000000000000d014403'));
    assert.deepEqual(parseIPv6('1:2:3:4:5:6:1.2.3.4'), bytes('00010002000300040005000601020304'));
    assert.deepEqual(parseIPv6('64:ff9b::192.0.2.33'), bytes('0064ff9b0000000000000000c0000221'));
  });

  it('refuses malformed text, zone ids, brackets and prefixes', () => {
    for (const bad of ['', ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1::', '1::2:', '::1:', '12345::',
      'g::1', 'fe80::1%eth0', '[::1]', '::1/128', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:1.2.3.4',
      '::ffff:1.2.3', '::ffff:01.2.3.4', '::1.2.3.4:5', ' ::1', '::1 ', 'aa:bb:cc:dd:ee:ff', '1.2.3.4']) {
      assert.equal(parseIPv6(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('parseCidr', () => {
  it('zeroes host bits and keeps the prefix', () => {
    assert.deepEqual(parseCidr('10.1.2.3/8'), { version: 4, bytes: Uint8Array.from([10, 0, 0, 0]), prefix: 8 });
    assert.deepEqual(parseCidr('192.168.255.255/20'), { version: 4, bytes: Uint8Array.from([192, 168, 240, 0]), prefix: 20 });
    assert.deepEqual(parseCidr('1.2.3.4/0'), { version: 4, bytes: Uint8Array.from([0, 0, 0, 0]), prefix: 0 });
    assert.deepEqual(parseCidr('2001:db8:abcd:12ff::1/52'), { version: 6, bytes: bytes('20010db8abcd10000000000000000000'), prefix: 52 });
    assert.deepEqual(parseCidr('::1/128'), { version: 6, bytes: bytes('00000000000000000000000000000001'), prefix: 128 });
  });

  it('reads a bare address as a single-address block', () => {
    assert.deepEqual(parseCidr('1.2.3.4'), { version: 4, bytes: Uint8Array.from([1, 2, 3, 4]), prefix: 32 });
    assert.equal(parseCidr('2001:db8::1')?.prefix, 128);
  });

  it('refuses bad prefixes and addresses', () => {
    for (const bad of ['1.2.3.4/33', '::/129', '1.2.3.4/', '1.2.3.4/08', '1.2.3.4/-1', '1.2.3.4/a', '1.2.3/8', '1.2.3.4/8/8', 'fe80::1%1/64', '', '/8']) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });
});

describe('normalise: IP addresses', () => {
  it('ipv4: the dotted quad, surrounding whitespace removed, leading zeros and CIDR refused', () => {
    table('ipv4', [['203.0.113.5', '203.0.113.5'], [' 203.0.113.5\n', '203.0.113.5'], ['203.0.113.05', undefined],
      ['203.0.113.0/24', undefined], ['::ffff:203.0.113.5', undefined], ['example.com', undefined]]);
  });

  it('ipv6: RFC 5952 text', () => {
    table('ipv6', [
      ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
      ['2001:DB8::FF00:42:8329', '2001:db8::ff00:42:8329'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // equal runs: the first one
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['1:0:0:0:0:0:0:0', '1::'],
      ['2001:db8::0:1', '2001:db8::1'],
      [' fe80::1 ', 'fe80::1'],
      ['fe80::1%eth0', undefined],
      ['1.2.3.4', undefined],
    ]);
  });

  it('ipv6: IPv4-mapped addresses stay ipv6 and are written with a dotted tail; other embedded forms in hex', () => {
    table('ipv6', [
      ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
      ['::FFFF:0102:0304', '::ffff:1.2.3.4'],
      ['0:0:0:0:0:ffff:1.2.3.4', '::ffff:1.2.3.4'],
      ['::1.2.3.4', '::102:304'],
      ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
    ]);
    assert.equal(detectKind('::ffff:1.2.3.4'), 'ipv6');
  });
});

describe('normalise: hashes', () => {
  const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
  const sha1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
  const sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const sha512 = 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

  it('lower-cases hex of the right length', () => {
    table('md5', [[md5.toUpperCase(), md5], [md5, md5], [` ${md5}\t`, md5], [md5.slice(1), undefined], [`${md5}0`, undefined], [`${md5.slice(1)}g`, undefined]]);
    table('sha1', [[sha1.toUpperCase(), sha1], [md5, undefined]]);
    table('sha256', [[sha256.toUpperCase(), sha256], [sha1, undefined]]);
    table('sha512', [[sha512.toUpperCase(), sha512], [sha256, undefined]]);
    table('sha3-256', [[sha256.toUpperCase(), sha256], [sha512, undefined]]);
    table('sha3-512', [[sha512.toUpperCase(), sha512], [sha256, undefined]]);
    table('ja3', [['E7D705A3286E19EA42F587B344EE6865', 'e7d705a3286e19ea42f587b344ee6865'], ['771,4865-4866', undefined], [sha1, undefined]]);
  });

  it('ssdeep: kept as is (base64 is case-sensitive), block size 3 * 2^n', () => {
    table('ssdeep', [
      ['3072:Kj8Vjp9vEEb0aB+/c:Kj8bUV', '3072:Kj8Vjp9vEEb0aB+/c:Kj8bUV'],
      [' 96:abcD:xyZ ', '96:abcD:xyZ'],
      ['3::', '3::'],
      ['100:abc:def', undefined],
      ['0:abc:def', undefined],
      ['03:abc:def', undefined],
      ['3:abc:def:ghi', undefined],
      ['3:ab-c:def', undefined],
      ['3:abc', undefined],
      ['3:abc:def,"file.exe"', undefined],
    ]);
  });

  it('tlsh: upper case; the standard 70-digit digest carries its T1 prefix', () => {
    const body = 'c7364b3afd423955c3d462bb317e84c3334323b832e93133a9213b247a3f5cf3e3a359';
    const canonical = `T1${body.toUpperCase()}`;
    table('tlsh', [[canonical, canonical], [`t1${body}`, canonical], [body, canonical], [body.toUpperCase(), canonical],
      ['a'.repeat(134), 'A'.repeat(134)], ['b'.repeat(74), 'B'.repeat(74)], [`T1${'a'.repeat(134)}`, undefined], [body.slice(2), undefined], [`T1${body}z`, undefined]]);
  });
});

describe('normalise: domains', () => {
  it('lower-cases and removes one trailing dot', () => {
    table('domain', [['Evil.Example.COM', 'evil.example.com'], ['evil.example.com.', 'evil.example.com'], [' evil.com ', 'evil.com'], ['evil.com..', undefined]]);
  });

  it('converts IDN to punycode (UTS #46 mapping included)', () => {
    table('domain', [['bücher.de', 'xn--bcher-kva.de'], ['BÜCHER.DE', 'xn--bcher-kva.de'], ['пример.рф', 'xn--e1afmkfd.xn--p1ai'],
      ['xn--bcher-kva.de', 'xn--bcher-kva.de'], ['XN--BCHER-KVA.DE', 'xn--bcher-kva.de'], ['bücher。de', 'xn--bcher-kva.de'], ['😀.example', 'xn--e28h.example']]);
  });

  it('accepts underscores, hyphens at label edges and single labels, as DNS names in logs have them', () => {
    table('domain', [['_ldap._tcp.dc._msdcs.corp.example', '_ldap._tcp.dc._msdcs.corp.example'], ['my_host.example.com', 'my_host.example.com'],
      ['-foo.example.com', '-foo.example.com'], ['wpad', 'wpad'], ['LOCALHOST', 'localhost']]);
  });

  it('refuses what is not a host name', () => {
    const label = 'a'.repeat(63);
    table('domain', [
      [`${label}.com`, `${label}.com`], [`a${label}.com`, undefined],
      [`${[label, label, label].join('.')}.${'b'.repeat(61)}`, `${[label, label, label].join('.')}.${'b'.repeat(61)}`],
      [`${[label, label, label].join('.')}.${'b'.repeat(62)}`, undefined],
      ['1.2.3.4', undefined], ['example.123', undefined], ['a..b.com', undefined], ['.example.com', undefined], ['', undefined],
      ['exa%41mple.com', undefined], ['a*b.com', undefined], ['ex ample.com', undefined], ['example.com/a', undefined],
      ['example.com:80', undefined], ['xn--zz.com', undefined], ['user@example.com', undefined],
    ]);
  });
});

describe('normalise: e-mail addresses', () => {
  it('keeps the local part as it is and normalises the domain', () => {
    table('email', [['John.Doe@EXAMPLE.com', 'John.Doe@example.com'], ['john.doe@example.com.', 'john.doe@example.com'],
      ['Info@Bücher.de', 'Info@xn--bcher-kva.de'], ['a+tag@example.com', 'a+tag@example.com'], ['"a b"@example.com', '"a b"@example.com'],
      ['"a@b"@example.com', '"a@b"@example.com'], ['  x@example.com\r\n', 'x@example.com']]);
  });

  it('refuses malformed addresses', () => {
    table('email', [['example.com', undefined], ['@example.com', undefined], ['a@', undefined], ['a..b@example.com', undefined],
      ['.a@example.com', undefined], ['a.@example.com', undefined], ['a b@example.com', undefined], [`${'a'.repeat(65)}@example.com`, undefined],
      ['a@exa mple.com', undefined], ['<a@example.com>', undefined], ['"a"b"@example.com', undefined]]);
  });
});

describe('normalise: domain names told by their syntax', () => {
  it('gives the full normalisation\'s answer for every name, those in normal form already included (property)', () => {
    const pick = <T>(plain: fc.Arbitrary<T>, other: fc.Arbitrary<T>) => fc.oneof({ arbitrary: plain, weight: 3 }, { arbitrary: other, weight: 1 });
    const label = pick(fc.constantFrom('evil', 'a', 'b-c', 'x_y', 'com', 'example', 'z9', '-a', 'a-', 'x', 'xn', 'xn-', 'xna', '0x7f', '9a'),
      fc.constantFrom('xn--bcher-kva', 'XN--bcher-kva', 'Xn--a', '1', '127', 'EXAMPLE', 'münchen', '', ' ', 'a b', 'a'.repeat(64), '%41', '*'));
    const name = fc.tuple(fc.array(label, { minLength: 1, maxLength: 5 }), pick(fc.constant(''), fc.constantFrom('.', ' ', '\n'))).map(([labels, end]) => labels.join('.') + end);
    let plain = 0;
    fc.assert(fc.property(name, (d) => {
      const full = normaliseDomainFully(d);
      assert.equal(normalise('domain', d), full, JSON.stringify(d));
      if (full === d) plain++;
    }), { numRuns: 5000 });
    assert.ok(plain > 500, `${plain} names of 5,000 were in normal form: too few to check the one-pass test`);
    assert.equal(normalise('domain', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`), `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`);
    assert.equal(normalise('domain', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`), undefined, 'longer than 253');
  });
});

describe('normalise: URLs', () => {
  it('lower-cases scheme and host and converts an IDN host', () => {
    table('url', [['HTTP://Evil.EXAMPLE.com/Path', 'http://evil.example.com/Path'], ['https://bücher.de/x', 'https://xn--bcher-kva.de/x'],
      ['FOO://Host.Example/a', 'foo://host.example/a']]);
  });

  it('removes default ports and keeps others', () => {
    table('url', [['http://evil.com:80/a', 'http://evil.com/a'], ['https://evil.com:443/a', 'https://evil.com/a'],
      ['http://evil.com:443/a', 'http://evil.com:443/a'], ['https://evil.com:8443/a', 'https://evil.com:8443/a'], ['ftp://evil.com:21/f', 'ftp://evil.com/f']]);
  });

  it('decodes percent-encoded unreserved characters and upper-cases the other escapes in the path', () => {
    table('url', [['http://evil.com/%7euser/%41%2d%2E%5f', 'http://evil.com/~user/A-._'], ['http://evil.com/a%2fb%3a', 'http://evil.com/a%2Fb%3A'],
      ['http://evil.com/a%zzb%2', 'http://evil.com/a%zzb%2'], ['http://evil.com/a b', 'http://evil.com/a%20b'], ['http://evil.com/é', 'http://evil.com/%C3%A9']]);
  });

  it('makes an empty path "/" and resolves dot segments', () => {
    table('url', [['http://evil.com', 'http://evil.com/'], ['http://evil.com?q=1', 'http://evil.com/?q=1'], ['http://evil.com/a/./b/../c', 'http://evil.com/a/c'],
      ['http://evil.com/a/%2e%2E/c', 'http://evil.com/c'], ['foo://host', 'foo://host/']]);
  });

  it('drops the fragment and keeps the query as it is', () => {
    table('url', [['http://evil.com/a?b=2&a=1#frag', 'http://evil.com/a?b=2&a=1'], ['http://evil.com/a?q=%7e%2f', 'http://evil.com/a?q=%7e%2f'],
      ['http://evil.com/a?', 'http://evil.com/a?'], ['http://evil.com/#x', 'http://evil.com/']]);
  });

  it('removes a trailing dot from the host and keeps user information', () => {
    table('url', [['http://evil.com./a', 'http://evil.com/a'], ['http://user:pw@evil.com/', 'http://user:pw@evil.com/']]);
  });

  it('follows the WHATWG host parser for addresses', () => {
    table('url', [['http://0x7f.1/', 'http://127.0.0.1/'], ['http://[2001:DB8::1]:8080/x', 'http://[2001:db8::1]:8080/x'],
      ['http://[::ffff:1.2.3.4]/', 'http://[::ffff:102:304]/']]);
  });

  it('gives the URL parser\'s answer for every URL, those it tells by their syntax alone included (property)', () => {
    // Pieces a URL of a log may hold, the ones the parser changes among them: case, ports, user
    // information, dot segments, escapes, IDN and numeric hosts, quotes, fragments, spaces.
    // Most generated URLs are plain (the parser keeps them as they are), so that the syntax-only
    // path is taken often; the rest hold what the parser changes.
    const pick = <T>(plain: fc.Arbitrary<T>, other: fc.Arbitrary<T>) => fc.oneof({ arbitrary: plain, weight: 3 }, { arbitrary: other, weight: 1 });
    const label = pick(fc.constantFrom('evil', 'a', 'b-c', 'x_y', 'com', 'example', 'z9'), fc.constantFrom('xn--bcher-kva', '0x7f', '0X1', '1', '127', 'EXAMPLE', 'münchen', '', '-'));
    const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
    const segment = pick(fc.constantFrom('a', 'load.php', '~u', ':', '@', '!', '$', '(x)', ';', '=', '+', ',', '*', '&', "'", '.x', '..y', ''),
      fc.constantFrom('.', '..', '%2e', '%41', ' ', '\\', '|', '^', '{', '"', 'é', '`', '#', '?'));
    const path = fc.array(segment, { maxLength: 6 }).map((segments) => segments.map((x) => `/${x}`).join(''));
    const scheme = pick(fc.constantFrom('http://', 'https://'), fc.constantFrom('HTTP://', 'ftp://', 'http:/', 'foo://', 'https:'));
    const after = pick(fc.constant(''), fc.constantFrom(':80', ':8080', '.', '@h', ':'));
    const query = pick(fc.constantFrom('', '?', '?q=1', '?x=1&y=/z?', '?a@b:c'), fc.constantFrom("?a='b'", '?x=%7e&y', '?a b', '?"', '?<'));
    const fragment = pick(fc.constant(''), fc.constantFrom('#f', '#'));
    const url = fc.tuple(scheme, host, after, path, query, fragment).map((parts) => parts.join(''));
    let plain = 0;
    fc.assert(fc.property(url, (u) => {
      const parsed = normaliseUrlByParser(u);
      assert.equal(normalise('url', u), parsed, u);
      if (parsed === u) plain++;
    }), { numRuns: 5000 });
    assert.ok(plain > 500, `${plain} URLs of 5,000 were their own normal form: too few to check the syntax-only path`);
    for (const u of ['http://evil.example/path/1/load.php', 'https://a.b-c.example/x?q=1&r=/s', 'http://h_1.example/a/.b/..c']) assert.equal(normalise('url', u), u);
  });

  it('refuses schemeless and hostless text', () => {
    table('url', [['evil.com/a', undefined], ['//evil.com/a', undefined], ['http://', undefined], ['http:evil.com', undefined],
      ['mailto:a@example.com', undefined], ['http://exa mple.com/', undefined], ['1http://evil.com/', undefined], ['', undefined]]);
    assert.equal(normalise('url', 'file:///C:/x'), 'file:///C:/x');
  });
});

describe('normalise: free text, registry keys and identifiers', () => {
  it('user-agent, mutex, file-name, file-path: exact, only a trailing CR/LF removed', () => {
    for (const kind of ['user-agent', 'mutex', 'file-name', 'file-path'] as const) {
      table(kind, [[' Mozilla/5.0 (X11) ', ' Mozilla/5.0 (X11) '], ['Global\\MyMutex\r\n', 'Global\\MyMutex'], ['A\nB', 'A\nB'], ['', undefined], ['\r\n', undefined]]);
    }
    table('file-path', [['C:\\Windows\\Temp\\EVIL.exe', 'C:\\Windows\\Temp\\EVIL.exe'], ['/tmp/x', '/tmp/x']]);
  });

  it('registry-key: lower case, hive abbreviations expanded, forward slashes untouched', () => {
    table('registry-key', [
      ['HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run', 'hkey_local_machine\\software\\microsoft\\windows\\currentversion\\run'],
      ['HKEY_LOCAL_MACHINE\\SOFTWARE\\x', 'hkey_local_machine\\software\\x'],
      ['HKCU\\Software\\a/b', 'hkey_current_user\\software\\a/b'],
      ['hkcr\\.exe', 'hkey_classes_root\\.exe'],
      ['HKU\\S-1-5-21\\x', 'hkey_users\\s-1-5-21\\x'],
      ['HKCC\\System', 'hkey_current_config\\system'],
      ['HKLM', 'hkey_local_machine'],
      ['HKLM\\Software\\', 'hkey_local_machine\\software'],
      ['\\REGISTRY\\MACHINE\\SOFTWARE\\x', 'hkey_local_machine\\software\\x'],
      ['\\Registry\\User\\S-1-5-21\\x', 'hkey_users\\s-1-5-21\\x'],
      ['HKLM\\Key With Space \r\n', 'hkey_local_machine\\key with space '],
      ['Software\\Microsoft', undefined], ['HKLMX\\x', undefined], ['HKLM/Software', undefined], ['\\Registry\\Machinery\\x', undefined], ['', undefined],
    ]);
  });

  it('mac: lower-case, colon-separated', () => {
    table('mac', [['00:1A:2B:3C:4D:5E', '00:1a:2b:3c:4d:5e'], ['00-1a-2b-3c-4d-5e', '00:1a:2b:3c:4d:5e'], ['001a.2b3c.4d5e', '00:1a:2b:3c:4d:5e'],
      ['001A2B3C4D5E', '00:1a:2b:3c:4d:5e'], ['00:1a-2b:3c:4d:5e', undefined], ['00:1a:2b:3c:4d', undefined], ['00:1a:2b:3c:4d:5g', undefined], ['0:1a:2b:3c:4d:5e', undefined]]);
  });

  it('asn: decimal digits, AS prefix and leading zeros removed, asdot converted', () => {
    table('asn', [['AS15169', '15169'], ['as15169', '15169'], ['15169', '15169'], ['AS0015169', '15169'], ['1.10', '65546'], ['AS1.10', '65546'],
      ['4294967295', '4294967295'], ['4294967296', undefined], ['1.65536', undefined], ['AS', undefined], ['AS-1', undefined], ['AS 15169', undefined], ['', undefined]]);
  });

  it('normalising a canonical key again gives the same key', () => {
    const samples: [ObservableKind, string][] = [['ipv6', '2001:DB8::1'], ['url', 'HTTP://A.com:80/%7e/../b?x#y'], ['email', 'A@B.COM'], ['domain', 'BÜCHER.de'],
      ['registry-key', 'HKLM\\X\\'], ['tlsh', 'c7364b3afd423955c3d462bb317e84c3334323b832e93133a9213b247a3f5cf3e3a359'], ['mac', '001A2B3C4D5E'], ['asn', 'AS1.10']];
    for (const [kind, value] of samples) {
      const key = normalise(kind, value);
      assert.ok(key !== undefined, `${kind} ${value}`);
      assert.equal(normalise(kind, key), key, `${kind} ${value}`);
    }
  });
});

describe('detectKind', () => {
  const cases: readonly (readonly [string, ObservableKind | undefined])[] = [
    ['1.2.3.4', 'ipv4'], ['0.0.0.0', 'ipv4'], ['1.2.3', undefined], ['1.2.3.4.5', undefined], ['256.1.2.3', undefined], ['01.2.3.4', undefined],
    ['1.2.3.0/24', undefined], ['2001:db8::/32', undefined], [' 1.2.3.4', undefined], ['1.2.3.4 ', undefined],
    ['::1', 'ipv6'], ['2001:DB8::1', 'ipv6'], ['fe80::1%eth0', undefined], ['[::1]', undefined], ['::', 'ipv6'], ['::ffff:10.0.0.1', 'ipv6'], ['aa:bb:cc:dd:ee:ff', undefined],
    ['d41d8cd98f00b204e9800998ecf8427e', 'md5'], ['D41D8CD98F00B204E9800998ECF8427E', 'md5'], ['da39a3ee5e6b4b0d3255bfef95601890afd80709', 'sha1'],
    ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256'], ['a'.repeat(128), 'sha512'], ['a'.repeat(63), undefined],
    ['d41d8cd98f00b204e9800998ecf8427g', undefined], ['a'.repeat(33), undefined],
    ['http://evil.com/a', 'url'], ['HTTPS://evil.com:8443/a?b#c', 'url'], ['http://evil.com:8080', 'url'], ['evil.com/a', undefined], ['evil.com:8080', undefined],
    ['http://exa mple.com', undefined], ['hxxp://evil[.]com', undefined],
    ['user@example.com', 'email'], ['User.Name+tag@Sub.Example.ORG', 'email'], ['user@localhost', undefined], ['@example.com', undefined], ['user@1.2.3.4', undefined],
    ['evil.com', 'domain'], ['Sub.Evil.COM.', 'domain'], ['a_b.example.com', 'domain'], ['example.c_m', undefined], ['пример.рф', 'domain'], ['bücher.de', 'domain'],
    ['xn--bcher-kva.de', 'domain'], ['localhost', undefined], ['example.123', undefined], ['example.c', undefined], ['.com', undefined], ['a..com', undefined],
    ['HKLM\\Software\\Run', 'registry-key'], ['HKEY_CURRENT_USER\\Software', 'registry-key'], ['hkcu\\x', 'registry-key'], ['\\REGISTRY\\MACHINE\\x', 'registry-key'],
    ['Software\\Run', undefined], ['HKLMX\\Software', undefined],
    ['AS15169', undefined], ['3:abc:def', undefined], ['Mozilla/5.0', undefined], ['', undefined], ['a', undefined],
  ];
  for (const [value, kind] of cases) {
    it(`${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} -> ${kind ?? 'undefined'}`, () => {
      assert.equal(detectKind(value), kind);
    });
  }

  it('reads a file name with an alphabetic extension as a domain (no list of top-level domains is used)', () => {
    assert.equal(detectKind('invoice.pdf'), 'domain');
  });

  it('detectCertainKind leaves out domains and registry keys', () => {
    assert.equal(detectCertainKind('evil.com'), undefined);
    assert.equal(detectCertainKind('HKLM\\Software'), undefined);
    assert.equal(detectCertainKind('1.2.3.4'), 'ipv4');
    assert.equal(detectCertainKind('http://evil.com/'), 'url');
    assert.equal(detectCertainKind('a@evil.com'), 'email');
    assert.equal(detectCertainKind('D41D8CD98F00B204E9800998ECF8427E'), 'md5');
    assert.equal(detectCertainKind('GET http://evil.com/ 200'), undefined);
  });
});

describe('properties', () => {
  it('a detected kind always normalises, and normalising is idempotent', () => {
    const value = fc.oneof(
      fc.ipV4(), fc.ipV6(), fc.domain(), fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.emailAddress(),
      fc.stringMatching(/^[0-9a-fA-F]{32}$/), fc.stringMatching(/^[0-9a-fA-F]{64}$/), fc.string(), fc.string({ unit: 'grapheme' }),
    );
    fc.assert(fc.property(value, (v) => {
      const kind = detectKind(v);
      if (kind === undefined) return;
      const key = normalise(kind, v);
      assert.ok(key !== undefined, `${kind} ${JSON.stringify(v)}`);
      assert.equal(normalise(kind, key), key, `${kind} ${JSON.stringify(v)}`);
    }), { numRuns: 2000 });
  });

  it('generated addresses, domains, URLs and e-mail addresses are detected as their kind', () => {
    fc.assert(fc.property(fc.ipV4(), (v) => detectKind(v) === 'ipv4'));
    fc.assert(fc.property(fc.ipV6(), (v) => detectKind(v) === 'ipv6'));
    fc.assert(fc.property(fc.webUrl(), (v) => detectKind(v) === 'url'));
  });

  it('ipv6 normalisation keeps the address', () => {
    fc.assert(fc.property(fc.ipV6(), (v) => {
      const key = normalise('ipv6', v);
      assert.ok(key !== undefined, v);
      assert.deepEqual(parseIPv6(key), parseIPv6(v));
    }), { numRuns: 1000 });
  });
});
