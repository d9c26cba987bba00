/** The values several indicators name, kept as the index changes: correlation visits them, not every value held. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DetectIndex, type IndicatorRecord } from './detect.index.js';

function record(id: string, pattern: string): IndicatorRecord {
  return { id, pattern, specVersion: '2.1', accessKey: 1, createdByRef: null, validFrom: -Infinity, validUntil: Infinity, confidence: undefined, granular: false };
}

const shared = (index: DetectIndex) => [...index.sharedValues()].map((v) => `${v.kind}:${v.value} ${v.slots.length}`).sort();

describe('values several indicators name', () => {
  it('are those correlation visits, however many values are held', () => {
    const index = new DetectIndex();
    for (let i = 0; i < 5000; i++) index.upsert(record(`indicator--single-${i}`, `[ipv4-addr:value = '10.${(i >> 8) & 255}.${i & 255}.1']`));
    index.upsert(record('indicator--a1', "[domain-name:value = 'one.example']"));
    index.upsert(record('indicator--a2', "[domain-name:value = 'one.example' OR domain-name:value = 'two.example']"));
    index.upsert(record('indicator--b1', "[domain-name:value = 'two.example']"));
    index.upsert(record('indicator--c1', "[ipv4-addr:value = '10.0.0.1']"));
    assert.equal(index.sharedCount, 3);
    assert.deepEqual(shared(index), ['domain:one.example 2', 'domain:two.example 2', 'ipv4:10.0.0.1 2']);
    assert.deepEqual(shared(new DetectIndex()), []);
  });

  it('follow the index as indicators go and come back', () => {
    const index = new DetectIndex();
    index.upsert(record('indicator--a', "[domain-name:value = 'x.example']"));
    index.upsert(record('indicator--b', "[domain-name:value = 'x.example']"));
    index.upsert(record('indicator--c', "[domain-name:value = 'x.example']"));
    index.remove('indicator--a');
    assert.deepEqual(shared(index), ['domain:x.example 2']);
    index.remove('indicator--b');
    assert.deepEqual(shared(index), []);
    assert.equal(index.sharedCount, 0, 'a value named once is no longer visited');
    // A new version of the one left takes a new slot: still named once.
    index.upsert(record('indicator--c', "[domain-name:value = 'x.example']"));
    assert.deepEqual(shared(index), []);
    index.upsert(record('indicator--a', "[domain-name:value = 'x.example']"));
    assert.deepEqual(shared(index), ['domain:x.example 2']);
    assert.deepEqual(index.exact('domain', 'x.example').map((slot) => index.id(slot)), ['indicator--c', 'indicator--a']);
  });

  it('are held once per indicator however many indicators name them, or however often one names them', () => {
    const index = new DetectIndex();
    for (let i = 0; i < 20_000; i++) index.upsert(record(`indicator--n${i}`, "[ipv4-addr:value = '198.51.100.77'] OR [ipv4-addr:value = '198.51.100.77']"));
    const [value] = [...index.sharedValues()];
    assert.equal(value?.slots.length, 20_000);
    assert.equal(new Set(value.slots).size, 20_000);
  });
});
