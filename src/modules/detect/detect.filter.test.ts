import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { KeyFilter } from './detect.filter.js';
import { DetectIndex, type IndicatorRecord } from './detect.index.js';
import { normalise, parseIPv4, parseIPv6 } from '../../stix/observable.js';

function record(id: string, pattern: string): IndicatorRecord {
  return { id, pattern, specVersion: '2.1', accessKey: 1, createdByRef: null, validFrom: -Infinity, validUntil: Infinity, confidence: undefined, granular: false };
}

const hex = (n: number, length: number) => n.toString(16).padStart(length, '0');

describe('key filter', () => {
  it('never says "surely not" for a key it holds, through every growth of the index', () => {
    const index = new DetectIndex();
    const values: Array<['sha256' | 'domain' | 'ipv4' | 'url', string]> = [];
    for (let k = 0; k < 20_000; k++) {
      const r = k % 4;
      if (r === 0) values.push(['sha256', hex(k, 64)]);
      else if (r === 1) values.push(['domain', `host${k}.example`]);
      else if (r === 2) values.push(['ipv4', `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`]);
      else values.push(['url', `http://host${k}.example/a/${k}`]);
    }
    const patterns = { sha256: (v: string) => `[file:hashes.'SHA-256' = '${v}']`, domain: (v: string) => `[domain-name:value = '${v}']`, ipv4: (v: string) => `[ipv4-addr:value = '${v}']`, url: (v: string) => `[url:value = '${v}']` };
    const filters = new Set<KeyFilter>();
    values.forEach(([kind, value], k) => {
      index.upsert(record(`indicator--${k}`, patterns[kind](value)));
      filters.add(index.filter);
    });
    assert.ok(filters.size > 1, 'the filter was remade as the index grew');
    for (const [kind, value] of values) assert.equal(index.filter.mayName(kind, normalise(kind, value)!), true, `${kind} ${value}`);
  });

  it('mostly says "surely not" for keys it does not hold', () => {
    const index = new DetectIndex();
    for (let k = 0; k < 5000; k++) index.upsert(record(`indicator--${k}`, `[file:hashes.MD5 = '${hex(k, 32)}']`));
    let maybe = 0;
    for (let k = 5000; k < 105_000; k++) if (index.filter.mayName('md5', hex(k, 32))) maybe++;
    assert.ok(maybe < 2000, `${maybe} false "maybe" answers in 100,000`);
    assert.equal(index.filter.mayHoldKind('sha256'), false, 'no key of that kind');
    assert.equal(index.filter.mayName('sha256', hex(1, 64)), false);
  });

  it('finds addresses through the prefixes that hold them, of either IP version', () => {
    const index = new DetectIndex();
    index.upsert(record('indicator--a', "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"));
    index.upsert(record('indicator--b', "[ipv6-addr:value ISSUBSET '2001:db8:40::/42']"));
    index.upsert(record('indicator--c', "[ipv4-addr:value = '0.0.0.0/0']"));
    const filter = index.filter;
    assert.equal(filter.mayHoldKind('ipv4'), true);
    assert.equal(filter.mayHoldKind('ipv6'), true);
    assert.equal(filter.mayContain4(parseIPv4('198.51.100.77')!), true);
    assert.equal(filter.mayName('ipv6', '2001:db8:7f::1'), true);
    assert.equal(filter.mayContain6(parseIPv6('2001:db8:80::1')!), false, 'outside the /42');
    // 0.0.0.0/0 holds every IPv4 address.
    assert.equal(filter.mayName('ipv4', '203.0.113.9'), true);
  });

  it('finds every address of a /24 held whole, and its prefix, though they share one block', () => {
    const index = new DetectIndex();
    for (let i = 0; i < 256; i++) index.upsert(record(`indicator--a${i}`, `[ipv4-addr:value = '198.51.100.${i}']`));
    index.upsert(record('indicator--net', "[ipv4-addr:value ISSUBSET '203.0.113.0/24']"));
    for (let k = 0; k < 20_000; k++) index.upsert(record(`indicator--d${k}`, `[domain-name:value = 'd${k}.example']`));
    const filter = index.filter;
    for (let i = 0; i < 256; i++) assert.equal(filter.mayName4(parseIPv4(`198.51.100.${i}`)!), true, `198.51.100.${i}`);
    for (let i = 0; i < 256; i++) assert.equal(filter.mayName4(parseIPv4(`203.0.113.${i}`)!), true, `203.0.113.${i}`);
    let maybe = 0;
    for (let k = 0; k < 10_000; k++) if (filter.mayName4(parseIPv4(`10.${k >> 8}.${k & 255}.7`)!)) maybe++;
    assert.ok(maybe < 200, `${maybe} false "maybe" answers in 10,000 other addresses`);
  });

  it('is shared memory: a view made from its buffer in another thread gives the same answers', () => {
    const index = new DetectIndex();
    index.upsert(record('indicator--a', "[domain-name:value = 'evil.example']"));
    const copy = new KeyFilter(index.filter.buffer);
    assert.ok(index.filter.buffer instanceof SharedArrayBuffer);
    assert.equal(copy.mayName('domain', 'evil.example'), true);
    assert.equal(copy.mayName('domain', 'good.example'), index.filter.mayName('domain', 'good.example'));
  });
});

describe('detection index: ids and keys as held', () => {
  it('gives back every indicator id as it was given, packed or not', () => {
    fc.assert(fc.property(
      fc.oneof(
        fc.uuid().map((u) => `indicator--${u}`),
        fc.uuid().map((u) => `indicator--${u.toUpperCase()}`),
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.string({ minLength: 16, maxLength: 16 }),
        fc.string({ minLength: 15, maxLength: 15 }).map((s) => `\u0000${s}`),
      ),
      (id) => {
        const index = new DetectIndex();
        const outcome = index.upsert(record(id, "[domain-name:value = 'evil.example']"));
        assert.ok(outcome.indexed);
        assert.equal(index.id(outcome.slot), id);
        assert.equal(index.slotOf(id), outcome.slot);
        assert.equal(index.has(id), true);
        assert.equal(index.remove(id), true);
        assert.equal(index.has(id), false);
      },
    ));
  });

  it('keeps ids that differ apart, even when one could pass for the packed form of the other', () => {
    const index = new DetectIndex();
    const uuid = 'indicator--0123abcd-4567-89ef-0123-456789abcdef';
    const packed = Buffer.from('0123abcd456789ef0123456789abcdef', 'hex').toString('latin1');
    const a = index.upsert(record(uuid, "[domain-name:value = 'a.example']"));
    const b = index.upsert(record(packed, "[domain-name:value = 'b.example']"));
    assert.ok(a.indexed && b.indexed);
    assert.notEqual(a.slot, b.slot);
    assert.equal(index.id(a.slot), uuid);
    assert.equal(index.id(b.slot), packed);
    assert.equal(index.size, 2);
  });

  it('finds values cut from a pattern after the pattern text is gone', () => {
    const index = new DetectIndex();
    const value = `${'a'.repeat(30)}.example`;
    index.upsert(record('indicator--x', `[domain-name:value = '${value}'] `.trim()));
    assert.deepEqual(index.exact('domain', value), [0]);
    assert.deepEqual(index.exact('domain', 'ünïcødé.example'), []);
    index.upsert(record('indicator--y', "[file:name = 'ünïcødé 😀.exe']"));
    assert.equal(index.exact('file-name', 'ünïcødé 😀.exe').length, 1);
  });
});
