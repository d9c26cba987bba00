import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Principal } from '../../policy/principal.js';
import { compilePattern, parsePattern, type Pattern } from '../../stix/pattern/index.js';
import { DetectIndex, type IndicatorRecord } from './detect.index.js';
import { observationOf } from './detect.observation.js';
import { readEventBatches, runsReadOnThreads, type ReadBatchOptions } from './detect.read.js';
import { EventMatcher, IndexReader, type EventMatch } from './detect.service.js';
import { describeUnanchored, UnanchoredSet } from './detect.unanchored.js';
import type { LogEvent } from '../logformats/logformats.js';
import type { ObservableKind } from '../../stix/observable.js';

const analyst: Principal = { kind: 'user', name: 'a', userName: 'a', roles: ['analyst'], member: { code: 'AAA', kind: 'ally', groups: ['ALLIANCE'], identityId: null }, clearance: 4 };

function parsed(text: string): Pattern {
  const result = parsePattern(text);
  assert.ok(result.ok, text);
  return result.pattern;
}

// Shapes of patterns no value anchors: literals the set files them under, and none.
const UNANCHORED = [
  "[url:value LIKE '%/gate-7.php']",
  "[url:value MATCHES '/panel/[a-z]+\\\\.php$']",
  "[domain-name:value MATCHES '^xn--\\\\w+\\\\.example$']",
  "[file:name LIKE 'invoice\\\\_%.exe']",
  "[file:name MATCHES '(?i)^INVOICE']",
  "[domain-name:value LIKE 'a%' OR url:value LIKE '%b']",
  "[ipv4-addr:value != '10.0.0.1']",
  "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'[*] LIKE '%curl/7%']",
  "[process:name LIKE '%evil%']",
  "[url:value LIKE '%/gate-7.php'] FOLLOWEDBY [file:name LIKE 'drop%'] WITHIN 60 SECONDS",
  "[domain-name:value NOT LIKE '%.example']",
  "[file:name = 'x' OR file:name LIKE '%report%']",
];

const KINDS: readonly ObservableKind[] = ['ipv4', 'domain', 'url', 'file-name', 'sha256', 'user-agent'];
const WORDS = ['gate-7.php', 'panel/ab.php', 'xn--abc.example', 'invoice_1.exe', 'INVOICE.pdf', 'a', 'b', 'curl/7.1', 'drop.exe', 'report', 'x', '10.0.0.1', 'ok.example', '/x/'];

const eventArb = fc.array(
  fc.record({ kind: fc.constantFrom(...KINDS), value: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 3 }).map((w) => w.join('')) }),
  { minLength: 1, maxLength: 4 },
).map((values): LogEvent => ({ line: 1, time: 0, values: values.map((v, i) => ({ ...v, field: i === 0 ? 'dest_ip' : `f${i}` })), record: undefined }));

describe('the unanchored set finds exactly the patterns an event touches', () => {
  const patterns = UNANCHORED.map(parsed);
  const slots = patterns.map((_, i) => 100 + i);
  const set = new UnanchoredSet({ version: 1, slots, patterns: patterns.map((p, i) => describeUnanchored(p, UNANCHORED[i]!, '2.1')) });
  const compiled = patterns.map((p) => compilePattern(p));

  it('agrees with evaluating every pattern on every event (property)', () => {
    fc.assert(fc.property(eventArb, (event) => {
      const observation = observationOf(event, 0);
      const expected = slots.filter((_, i) => compiled[i]!.touches(observation));
      assert.deepEqual([...set.touched(event, 0)].sort(), expected.sort());
    }), { numRuns: 3000 });
  });

  it('agrees with evaluating every pattern when literals of every length share their grams (property)', () => {
    // Literals and values over a tiny alphabet: grams repeat across literals and inside values,
    // every gram length is in use, and a literal often starts where another one's gram matched.
    const piece = fc.constantFrom('ab', 'ba', 'a', 'b', '.', '/', 'abab');
    const literal = fc.array(piece, { minLength: 2, maxLength: 6 }).map((p) => p.join(''));
    const shape = fc.tuple(literal, literal, fc.constantFrom('LIKE-start', 'LIKE-end', 'LIKE-both', 'MATCHES'), fc.constantFrom('url', 'domain-name'));
    fc.assert(fc.property(fc.array(shape, { minLength: 1, maxLength: 12 }), fc.array(fc.record({ kind: fc.constantFrom<ObservableKind>('url', 'domain', 'ipv4'), value: fc.array(piece, { maxLength: 14 }).map((p) => p.join('')) }), { minLength: 1, maxLength: 3 }), (shapes, values) => {
      const texts = shapes.map(([a, b, how, type]) => {
        const path = type === 'url' ? 'url:value' : 'domain-name:value';
        if (how === 'MATCHES') return `[${path} MATCHES '${a.replace(/\./g, '\\\\.')}[0-9]*${b.replace(/\./g, '\\\\.')}']`;
        return `[${path} LIKE '${how === 'LIKE-end' ? '%' : ''}${a}%${b}${how === 'LIKE-start' ? '%' : ''}']`;
      });
      const patterns = texts.map(parsed);
      const slotsHere = patterns.map((_, i) => i);
      const setHere = new UnanchoredSet({ version: 2, slots: slotsHere, patterns: patterns.map((p, i) => describeUnanchored(p, texts[i]!, '2.1')) });
      const event: LogEvent = { line: 1, time: 0, values: values.map((v, i) => ({ ...v, field: `f${i}` })), record: undefined };
      const observation = observationOf(event, 0);
      const expected = slotsHere.filter((i) => compilePattern(patterns[i]!).touches(observation));
      assert.deepEqual([...setHere.touched(event, 0)].sort((x, y) => x - y), expected, texts.join(' '));
    }), { numRuns: 3000 });
  });

  it('may touch: every pattern the event touches, and only others whose literals it holds (property)', () => {
    fc.assert(fc.property(eventArb, (event) => {
      const observation = observationOf(event, 0);
      const touched = new Set(set.touched(event, 0));
      const may = set.mayTouch(event, 0);
      for (const slot of touched) assert.ok(may.includes(slot), `slot ${slot} touched but not in mayTouch`);
      for (const slot of may) {
        if (touched.has(slot)) continue;
        const i = slots.indexOf(slot);
        const literals = describeUnanchored(patterns[i]!, UNANCHORED[i]!, '2.1').literals;
        assert.ok(literals !== undefined, `${UNANCHORED[i]}: a pattern without literals is evaluated before it is named`);
        assert.ok(literals.some((leaf) => leaf.every((l) => event.values.some((v) => v.value.includes(l)))), `${UNANCHORED[i]}: named without its literals`);
        assert.equal(compiled[i]!.touches(observation), false);
      }
    }), { numRuns: 3000 });
  });

  it('compiles a pattern only when an event is a candidate for it', () => {
    const texts = ["[url:value LIKE '%/first-gate.php']", "[url:value MATCHES 'second-gate\\\\.php$']"];
    let compiledNow = 0;
    const lazy = new UnanchoredSet({ version: 3, slots: [1, 2], patterns: texts.map((t) => describeUnanchored(parsed(t), t, '2.1')) }, (i) => {
      compiledNow++;
      return compilePattern(parsed(texts[i]!));
    });
    const url = (u: string): LogEvent => ({ line: 1, time: 0, values: [{ kind: 'url', value: u, field: 'url' }], record: undefined });
    assert.deepEqual(lazy.touched(url('http://a.example/index.html'), 0), []);
    assert.equal(compiledNow, 0);
    assert.deepEqual(lazy.touched(url('http://a.example/second-gate.php'), 0), [2]);
    assert.deepEqual(lazy.touched(url('http://b.example/second-gate.php'), 0), [2]);
    assert.equal(compiledNow, 1, 'compiled once, for the first event that was a candidate');
  });

  it('evaluates no pattern for an event that names none of their literals or types', () => {
    const event: LogEvent = { line: 1, time: 0, values: [{ kind: 'sha256', value: 'f'.repeat(64), field: 'sha256' }], record: undefined };
    assert.deepEqual(set.touched(event, 0), []);
  });
});

function record(id: string, pattern: string): IndicatorRecord {
  return { id: `indicator--${id}`, pattern, specVersion: '2.1', accessKey: 1, createdByRef: null, validFrom: -Infinity, validUntil: Infinity, confidence: 60, granular: false };
}

/** EVE http records; one in fifty has a URL an unanchored pattern names, one in a hundred a domain an anchored one names. */
function eveLog(events: number): string {
  const lines: string[] = [];
  for (let i = 0; i < events; i++) {
    const ts = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    const host = i % 100 === 7 ? 'evil.example' : `h${i}.example`;
    const path = i % 50 === 3 ? `/gate-7.php` : `/p/${i}.html`;
    lines.push(`{"timestamp":"${ts}","event_type":"http","src_ip":"10.2.0.1","dest_ip":"192.0.2.${i & 255}","http":{"hostname":"${host}","url":"${path}","http_user_agent":"ua-${i % 13}"}}`);
  }
  return `${lines.join('\n')}\n`;
}

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

interface Outcome {
  matches: EventMatch[];
  counters: EventMatcher['counters'];
  passedOn: number;
}

async function matchAll(index: DetectIndex, text: string, options: ReadBatchOptions, onThreads: boolean): Promise<Outcome> {
  const matcher = new EventMatcher(new IndexReader(index, analyst, [{ key: 1, access: { tlp: 'green', classification: 0, releasability: ['ALLIANCE'], createdByRef: null } }]), { at: Date.UTC(2026, 5, 1) });
  const matches: EventMatch[] = [];
  let passedOn = 0;
  const read = onThreads
    ? readEventBatches(chunked(text, 10_000), { format: 'eve', ...options, candidates: () => matcher.candidates(true), unanchored: () => matcher.unanchoredPatterns() })
    : readEventBatches(chunked(text, 10_000), { format: 'eve', ...options, candidates: () => matcher.candidates() });
  for await (const batch of read) {
    matcher.countDropped(batch.dropped, batch.droppedValues);
    passedOn += batch.events.length;
    batch.events.forEach((event, i) => matches.push(...matcher.match(event, batch.unanchored?.[i])));
  }
  return { matches, counters: matcher.counters, passedOn };
}

describe('patterns no value anchors are evaluated on the reader threads', () => {
  const text = eveLog(5000);
  const index = new DetectIndex();
  const patterns = ["[domain-name:value = 'evil.example']", "[url:value LIKE '%/gate-7.php']", "[url:value MATCHES 'gate-\\\\d\\\\.php$'] FOLLOWEDBY [domain-name:value LIKE 'evil.%'] WITHIN 600 SECONDS", "[ipv4-addr:value = '192.0.2.1' OR url:value LIKE '%never%']"];
  patterns.forEach((p, i) => assert.ok(index.upsert(record(String(i), p)).indexed, p));
  assert.ok(index.hasUnanchored);

  it('keeps the key filter on: only events that name a key or touch a pattern reach this thread, with the same matches', async () => {
    const here = await matchAll(index, text, { threads: 0 }, false);
    const before = runsReadOnThreads();
    const threads = await matchAll(index, text, { threads: 2, parallelFrom: 1, runBytes: 16_384, readHere: false }, true);
    assert.ok(runsReadOnThreads() > before, 'runs were read on threads');
    assert.equal(here.passedOn, 5000, 'read here, every event is passed on');
    assert.ok(threads.passedOn < 500, `only candidate events are passed on from the threads (${threads.passedOn})`);
    assert.ok(here.matches.filter((m) => m.match === 'pattern').length >= 100);
    assert.deepEqual(threads.matches, here.matches);
    assert.deepEqual(threads.counters, here.counters);
    // This thread helping in small slices while the threads are busy: the same outcome.
    const sliced = await matchAll(index, text, { threads: 1, parallelFrom: 1, runBytes: 16_384, hereSliceBytes: 2048 }, true);
    assert.deepEqual(sliced.matches, here.matches);
    assert.deepEqual(sliced.counters, here.counters);
  });

  it('gives the threads a new set when the index changes, by version', async () => {
    const matcher = new EventMatcher(new IndexReader(index, analyst, []));
    const first = matcher.unanchoredPatterns();
    assert.ok(first);
    assert.equal(matcher.unanchoredPatterns(), first, 'unchanged index: the same set');
    index.upsert(record('late', "[url:value LIKE '%late%']"));
    const second = matcher.unanchoredPatterns();
    assert.ok(second && second.version !== first.version && second.slots.length === first.slots.length + 1);
  });
});
