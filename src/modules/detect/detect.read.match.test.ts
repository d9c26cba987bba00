import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../../policy/principal.js';
import { DetectIndex, type IndicatorRecord } from './detect.index.js';
import { readEventBatches, type ReadBatchOptions } from './detect.read.js';
import { EventMatcher, IndexReader, type EventMatch } from './detect.service.js';

const analyst: Principal = { kind: 'user', name: 'a', userName: 'a', roles: ['analyst'], member: { code: 'AAA', kind: 'ally', groups: ['ALLIANCE'], identityId: null }, clearance: 4 };

function record(id: string, pattern: string): IndicatorRecord {
  return { id: `indicator--${id}`, pattern, specVersion: '2.1', accessKey: 1, createdByRef: null, validFrom: -Infinity, validUntil: Infinity, confidence: 60, granular: false };
}

function indexOf(patterns: readonly string[]): DetectIndex {
  const index = new DetectIndex();
  patterns.forEach((pattern, i) => assert.ok(index.upsert(record(String(i), pattern)).indexed, pattern));
  return index;
}

const hash = (i: number) => i.toString(16).padStart(64, '0');

/** EVE records: four in twenty-five name something indexed (domain, address in a prefix, URL, hash with its file name). */
function eveLog(events: number): string {
  const lines: string[] = [];
  for (let i = 0; i < events; i++) {
    const ts = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    const hit = i % 25 < 4;
    switch (i % 4) {
      case 0: lines.push(`{"timestamp":"${ts}","event_type":"dns","src_ip":"10.0.${(i >> 8) & 255}.${i & 255}","dns":{"rrname":"${hit ? 'Evil.example' : `h${i}.example`}"}}`); break;
      case 1: lines.push(`{"timestamp":"${ts}","event_type":"flow","src_ip":"10.1.0.1","dest_ip":"${hit ? `198.51.100.${i & 255}` : `192.0.2.${i & 255}`}"}`); break;
      case 2: lines.push(`{"timestamp":"${ts}","event_type":"http","src_ip":"10.2.0.1","http":{"hostname":"${hit ? 'bad.example' : 'ok.example'}","url":"/x/${hit ? 'load' : i}.php"}}`); break;
      default: lines.push(`{"timestamp":"${ts}","event_type":"fileinfo","fileinfo":{"filename":"${hit ? 'dropper.exe' : `${i}.bin`}","sha256":"${hash(hit ? 7 : i + 100)}"}}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function matchAll(index: DetectIndex, text: string, options: ReadBatchOptions): Promise<{ matches: EventMatch[]; counters: EventMatcher['counters'] }> {
  const matcher = new EventMatcher(new IndexReader(index, analyst, [{ key: 1, access: { tlp: 'green', classification: 0, releasability: ['ALLIANCE'], createdByRef: null } }]), { at: Date.UTC(2026, 5, 1) });
  const matches: EventMatch[] = [];
  for await (const batch of readEventBatches(chunked(text, 10_000), { format: 'eve', ...options, candidates: () => matcher.candidates() })) {
    matcher.countDropped(batch.dropped, batch.droppedValues);
    for (const event of batch.events) matches.push(...matcher.match(event));
  }
  return { matches, counters: matcher.counters };
}

const ANCHORED = [
  "[domain-name:value = 'evil.example']",
  "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
  "[url:value = 'http://bad.example/x/load.php']",
  `[file:hashes.'SHA-256' = '${hash(7)}' AND file:name = 'dropper.exe']`,
  "[domain-name:value = 'evil.example'] FOLLOWEDBY [url:value = 'http://bad.example/x/load.php'] WITHIN 60 SECONDS",
];

describe('matching a log read on threads', () => {
  const text = eveLog(4000);

  it('finds the matches, in order, and counts the events and values, as reading every event here does', async () => {
    const index = indexOf(ANCHORED);
    const here = await matchAll(index, text, { threads: 0 });
    const threads = await matchAll(index, text, { threads: 2, parallelFrom: 1, runBytes: 16_384, readHere: false });
    assert.ok(here.matches.some((m) => m.match === 'pattern'), 'patterns matched too');
    assert.ok(here.matches.length > 200);
    assert.deepEqual(threads.matches, here.matches);
    assert.deepEqual(threads.counters, here.counters);
    assert.equal(threads.counters.events, 4000);
  });

  it('passes every event on while a pattern no value anchors must see them all', async () => {
    const index = indexOf([...ANCHORED, '[file:size > 0]', "[file:name = 'dropper.exe'] AND [network-traffic:dst_port = 443]"]);
    const matcher = new EventMatcher(new IndexReader(index, analyst, []));
    assert.equal(matcher.candidates(), undefined);
    const here = await matchAll(index, text, { threads: 0 });
    const threads = await matchAll(index, text, { threads: 2, parallelFrom: 1, runBytes: 16_384, readHere: false });
    assert.deepEqual(threads.matches, here.matches);
    assert.deepEqual(threads.counters, here.counters);
  });
});

describe("an index reader's memo of need-to-know", () => {
  it('answers each (access set, creator) pair for itself, also past 2^22 creators', () => {
    // Slot 0: the reader's own member's indicator in set 1, its creator the 2^22 + 5th the index met.
    // Slot 1: another member's indicator, TLP:RED to it, in set 2 with creator 5. With the memo
    // keyed by set * 2^22 + creator, both were the pair 2^23 + 5: the second took the first's "yes".
    const own = 'identity--0a0a0a0a-0000-4000-8000-000000000001';
    const slots = [
      { set: 1, creatorIndex: 2 ** 22 + 5, creator: own },
      { set: 2, creatorIndex: 5, creator: 'identity--0b0b0b0b-0000-4000-8000-000000000002' },
    ];
    const index = { accessKey: (slot: number) => slots[slot]!.set, creatorIndex: (slot: number) => slots[slot]!.creatorIndex, creator: (slot: number) => slots[slot]!.creator } as unknown as DetectIndex;
    const reader = new IndexReader(index, { ...analyst, member: { ...analyst.member!, identityId: own } }, [
      { key: 1, access: { tlp: 'red', classification: 0, releasability: ['AAA'], createdByRef: null } },
      { key: 2, access: { tlp: 'red', classification: 0, releasability: ['BBB'], createdByRef: null } },
    ]);
    assert.equal(reader.mayRead(0), true, "its own member's");
    assert.equal(reader.mayRead(1), false, "another member's, released to it only");
    // Asked the other way round, the same answers.
    const fresh = new IndexReader(index, { ...analyst, member: { ...analyst.member!, identityId: own } }, [
      { key: 1, access: { tlp: 'red', classification: 0, releasability: ['AAA'], createdByRef: null } },
      { key: 2, access: { tlp: 'red', classification: 0, releasability: ['BBB'], createdByRef: null } },
    ]);
    assert.equal(fresh.mayRead(1), false);
    assert.equal(fresh.mayRead(0), true);
  });
});
