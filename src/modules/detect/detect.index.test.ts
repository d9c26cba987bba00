import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileIndicator } from './detect.compile.js';
import { DetectIndex, type IndicatorRecord } from './detect.index.js';
import { parseIPv4, parseIPv6 } from '../../stix/observable.js';

function record(id: string, pattern: string, overrides: Partial<IndicatorRecord> = {}): IndicatorRecord {
  return { id, pattern, specVersion: '2.1', accessKey: 1, createdByRef: null, validFrom: -Infinity, validUntil: Infinity, confidence: undefined, granular: false, ...overrides };
}

function compiled(pattern: string) {
  const result = compileIndicator(pattern);
  assert.ok(result.ok, `${pattern}: ${result.ok ? '' : result.reason}`);
  return result.indicator;
}

describe('indicator patterns for the index', () => {
  it('a single named value, or an OR of them, is a match by itself', () => {
    for (const pattern of [
      "[ipv4-addr:value = '198.51.100.7']",
      "[file:hashes.'SHA-256' = 'AB00000000000000000000000000000000000000000000000000000000000001']",
      "[domain-name:value = 'evil.example' OR domain-name:value = 'worse.example']",
      "[url:value IN ('http://a.example/x', 'http://b.example/y')]",
      "[ipv4-addr:value ISSUBSET '203.0.113.0/24']",
      "[network-traffic:dst_ref.value = '2001:db8::1']",
    ]) {
      const c = compiled(pattern);
      assert.equal(c.simple, true, pattern);
      assert.equal(c.anchored, true, pattern);
      assert.equal(c.pattern, undefined, `${pattern} keeps no evaluator`);
    }
  });

  it('normalises what it keys: hashes in lower case, domains without case, IPv6 in canonical text', () => {
    assert.deepEqual(compiled("[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']").mentions, [{ kind: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' }]);
    assert.deepEqual(compiled("[domain-name:value = 'Evil.Example.']").mentions, [{ kind: 'domain', value: 'evil.example' }]);
    assert.deepEqual(compiled("[ipv6-addr:value = '2001:DB8:0:0:0:0:0:1']").mentions, [{ kind: 'ipv6', value: '2001:db8::1' }]);
    // A /32 is an address; a shorter prefix is a prefix.
    assert.deepEqual(compiled("[ipv4-addr:value = '192.0.2.1/32']").mentions, [{ kind: 'ipv4', value: '192.0.2.1' }]);
    assert.ok('cidr' in compiled("[ipv4-addr:value = '192.0.2.0/24']").mentions[0]!);
  });

  it('patterns that need more than one value keep the evaluator, anchored on their values', () => {
    const both = compiled("[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:name = 'a.exe']");
    assert.equal(both.simple, false);
    assert.equal(both.anchored, true);
    assert.ok(both.pattern);
    assert.equal(both.mentions.length, 2, 'both values are findable by lookup');
    const sequence = compiled("[domain-name:value = 'a.example'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.9'] WITHIN 60 SECONDS");
    assert.equal(sequence.simple, false);
    assert.equal(sequence.anchored, true);
  });

  it('a pattern with an observation no value names is unanchored; NOT names nothing', () => {
    assert.equal(compiled('[file:size > 1000000]').anchored, false);
    assert.equal(compiled("[domain-name:value = 'a.example'] AND [file:size > 10]").anchored, false);
    assert.equal(compiled("[domain-name:value = 'a.example' OR file:size > 10]").anchored, false);
    assert.deepEqual(compiled("[domain-name:value NOT = 'a.example']").mentions, []);
  });

  it('refuses a pattern that does not parse, with the reason', () => {
    const result = compileIndicator("[ipv4-addr:value = '1.2.3.4'");
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /does not parse/);
  });
});

describe('detection index', () => {
  it('finds indicators by exact value and by every prefix holding an address, longest first', () => {
    const index = new DetectIndex();
    index.upsert(record('indicator--a', "[ipv4-addr:value = '203.0.113.7']"));
    index.upsert(record('indicator--b', "[ipv4-addr:value = '203.0.113.0/24']"));
    index.upsert(record('indicator--c', "[ipv4-addr:value = '203.0.0.0/16']"));
    index.upsert(record('indicator--d', "[ipv4-addr:value = '0.0.0.0/0']"));
    assert.deepEqual(index.exact('ipv4', '203.0.113.7').map((s) => index.id(s)), ['indicator--a']);
    assert.deepEqual(index.containing4(parseIPv4('203.0.113.7')!).map((s) => index.id(s)), ['indicator--b', 'indicator--c', 'indicator--d']);
    assert.deepEqual(index.containing4(parseIPv4('203.0.114.1')!).map((s) => index.id(s)), ['indicator--c', 'indicator--d']);
    assert.deepEqual(index.containing4(parseIPv4('198.51.100.1')!).map((s) => index.id(s)), ['indicator--d']);
  });

  it('holds IPv6 prefixes at any length, including ones not on a byte boundary', () => {
    const index = new DetectIndex();
    index.upsert(record('indicator--v6a', "[ipv6-addr:value = '2001:db8:abcd::/45']"));
    index.upsert(record('indicator--v6b', "[ipv6-addr:value = '2001:db8::/32']"));
    assert.deepEqual(index.containing6(parseIPv6('2001:db8:abcf::1')!).map((s) => index.id(s)), ['indicator--v6a', 'indicator--v6b']);
    // 0xabd0 leaves the /45 (its first 13 bits of the third group are 0xabc8 >> 3).
    assert.deepEqual(index.containing6(parseIPv6('2001:db8:abd0::1')!).map((s) => index.id(s)), ['indicator--v6b']);
    assert.deepEqual(index.containing6(parseIPv6('2001:db9::1')!), []);
  });

  it('a new version replaces the old one: the old value no longer finds it', () => {
    const index = new DetectIndex();
    index.upsert(record('indicator--x', "[domain-name:value = 'old.example']"));
    index.upsert(record('indicator--x', "[domain-name:value = 'new.example']"));
    assert.equal(index.size, 1);
    assert.equal(index.dead, 1);
    assert.deepEqual(index.exact('domain', 'old.example'), []);
    assert.deepEqual(index.exact('domain', 'new.example').map((s) => index.id(s)), ['indicator--x']);
  });

  it('keeps each id once, through removals and new versions (property)', () => {
    // Enough ids that the table's probe chains run through removed entries.
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('upsert', 'upsert', 'remove'), fc.integer({ min: 0, max: 2000 })), { minLength: 3000, maxLength: 8000 }), (steps) => {
      const index = new DetectIndex();
      const live = new Set<number>();
      for (const [step, n] of steps) {
        const id = n % 3 === 0 ? `indicator--${n}` : `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
        if (step === 'upsert') {
          index.upsert(record(id, `[domain-name:value = 'v${n}-${live.size}.example']`));
          live.add(n);
        } else {
          assert.equal(index.remove(id), live.delete(n));
        }
      }
      assert.equal(index.size, live.size);
      for (let n = 0; n <= 2000; n++) {
        const id = n % 3 === 0 ? `indicator--${n}` : `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
        assert.equal(index.has(id), live.has(n), id);
        if (live.has(n)) assert.equal(index.id(index.slotOf(id)!), id);
      }
    }), { numRuns: 30 });
  });

  it('several indicators may name one value; removing one leaves the others', () => {
    const index = new DetectIndex();
    for (const id of ['indicator--1', 'indicator--2', 'indicator--3']) index.upsert(record(id, "[url:value = 'http://a.example/x']"));
    const key = ['url', 'http://a.example/x'] as const;
    assert.equal(index.exact(...key).length, 3);
    assert.equal(index.remove('indicator--2'), true);
    assert.equal(index.remove('indicator--2'), false, 'removing twice changes nothing');
    assert.deepEqual(index.exact(...key).map((s) => index.id(s)).sort(), ['indicator--1', 'indicator--3']);
  });

  it('keeps validity, confidence and the originator per indicator', () => {
    const index = new DetectIndex();
    const outcome = index.upsert(record('indicator--v', "[mutex:name = 'Global\\\\x']", { validFrom: 1000, validUntil: 2000, confidence: 85, createdByRef: 'identity--o' }));
    assert.ok(outcome.indexed);
    const slot = outcome.slot;
    assert.equal(index.validAt(slot, 999), false);
    assert.equal(index.validAt(slot, 1000), true);
    assert.equal(index.validAt(slot, 2000), false, 'valid_until is exclusive');
    assert.equal(index.confidence(slot), 85);
    assert.equal(index.creator(slot), 'identity--o');
  });

  it('refuses an unparseable pattern and drops the version it was meant to replace', () => {
    const index = new DetectIndex();
    index.upsert(record('indicator--p', "[domain-name:value = 'a.example']"));
    const outcome = index.upsert(record('indicator--p', '[domain-name:value = '));
    assert.equal(outcome.indexed, false);
    assert.equal(index.has('indicator--p'), false);
  });
});
