import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DetectIndex, type IndicatorRecord } from './detect.index.js';
import { parseIPv4 } from '../../stix/observable.js';

function record(id: string, pattern: string): IndicatorRecord {
  return { id, pattern, specVersion: '2.1', accessKey: 1, createdByRef: null, validFrom: -Infinity, validUntil: Infinity, confidence: undefined, granular: false };
}

const hex = (n: number) => n.toString(16).padStart(64, '0');

describe("the index's key filter, made on first use", () => {
  it('holds every key added before it was first asked for, and every key added after', () => {
    const index = new DetectIndex();
    for (let k = 0; k < 5000; k++) index.upsert(record(`indicator--${k}`, `[file:hashes.'SHA-256' = '${hex(k)}']`));
    index.upsert(record('indicator--net', "[ipv4-addr:value ISSUBSET '203.0.113.0/24']"));
    index.upsert(record('indicator--non-latin', "[file:name = 'отчёт.exe']"));
    const first = index.filter;
    assert.ok(first.capacity >= index.keys, 'sized for the keys held');
    for (let k = 0; k < 5000; k++) assert.ok(first.mayHoldExact('sha256', hex(k)), `key ${k}`);
    assert.ok(first.mayName('ipv4', '203.0.113.77'));
    assert.ok(first.mayHoldExact('file-name', 'отчёт.exe'));
    assert.equal(first.mayHoldKind('domain'), false);
    for (let k = 5000; k < 40_000; k++) index.upsert(record(`indicator--${k}`, `[file:hashes.'SHA-256' = '${hex(k)}']`));
    index.upsert(record('indicator--domain', "[domain-name:value = 'late.example']"));
    const later = index.filter;
    for (let k = 0; k < 40_000; k++) assert.ok(later.mayHoldExact('sha256', hex(k)), `key ${k}`);
    assert.ok(later.mayHoldExact('domain', 'late.example'));
    assert.ok(later.mayContain4(parseIPv4('203.0.113.1')!));
  });

  it('holds nothing in an empty index', () => {
    const filter = new DetectIndex().filter;
    assert.equal(filter.mayHoldKind('sha256'), false);
    assert.equal(filter.mayName('ipv4', '198.51.100.7'), false);
  });
});
