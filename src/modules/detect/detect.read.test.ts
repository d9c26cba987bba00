import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DetectIndex, type IndicatorRecord } from './detect.index.js';
import { readerThreads, readEventBatches, runBuffersAllocated, runsReadOnThreads, type ReadBatchOptions } from './detect.read.js';
import { normalise } from '../../stix/observable.js';
import { LineRunReader, readLogEvents, type LogError, type LogEvent, type ReadLogOptions } from '../logformats/logformats.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';

async function* chunked(data: Buffer | string, size: number): AsyncGenerator<Buffer | string> {
  for (let i = 0; i < data.length; i += size) yield data.slice(i, i + size);
}

/** What the two readers must agree on: events without their parsed record, errors, bytes. */
interface Reading {
  events: Array<Omit<LogEvent, 'record'>>;
  errors: LogError[];
  bytes: number;
}

const bare = (e: LogEvent) => ({ line: e.line, time: e.time, values: e.values.map((v) => ({ ...v })) });

async function reference(data: Buffer | string, options: ReadLogOptions, chunkSize: number): Promise<Reading> {
  const reading: Reading = { events: [], errors: [], bytes: 0 };
  const read = readLogEvents(chunked(data, chunkSize), { ...options, onError: (e) => reading.errors.push(e), onProgress: (b) => (reading.bytes = b) });
  for await (const batch of read) reading.events.push(...batch.map(bare));
  return reading;
}

async function parallel(data: Buffer | string, options: ReadBatchOptions, chunkSize: number): Promise<Reading & { threadsSeen: number; records: number }> {
  const reading = { events: [] as Reading['events'], errors: [] as LogError[], bytes: 0, threadsSeen: 0, records: 0 };
  const read = readEventBatches(chunked(data, chunkSize), { ...options, onError: (e) => reading.errors.push(e), onProgress: (b) => (reading.bytes = b) });
  for await (const batch of read) {
    reading.threadsSeen = Math.max(reading.threadsSeen, readerThreads());
    for (const event of batch.events) if (event.record !== undefined) reading.records++;
    reading.events.push(...batch.events.map(bare));
  }
  return reading;
}

/** Small runs and no minimum size: the input is cut into many runs, all read on two threads. */
const ON_THREADS: ReadBatchOptions = { threads: 2, parallelFrom: 1, runBytes: 64, readHere: false };

const EVE = [
  '\uFEFF{"timestamp":"2024-01-15T10:00:00.123456+0000","event_type":"dns","src_ip":"10.0.0.1","dest_ip":"192.0.2.53","dns":{"rrname":"bücher.example","rrtype":"A"}}',
  '',
  '{"timestamp":"2024-01-15T10:00:01+0000","event_type":"http","src_ip":"10.0.0.2","dest_ip":"203.0.113.80","http":{"hostname":"evil.example","url":"/a/ä 😀","http_user_agent":"Mozilla/5.0 😀"}}',
  '{"event_type":"fileinfo","fileinfo":{"filename":"日本語.exe","sha256":"' + 'AB'.repeat(32) + '"},"timestamp":"not a time"}',
  '{broken "ü" line',
  '[1,2]',
  `{"event_type":"flow","src_ip":"2001:db8::1","dest_ip":"198.51.100.7","note":"${'x'.repeat(300)}"}`,
  '# not JSON in an EVE log',
  '{"event_type":"tls","tls":{"sni":"Evil.Example.","ja3":{"hash":"' + 'e'.repeat(32) + '"}},"src_ip":"10.0.0.3"}',
].join('\r\n') + '\n{"event_type":"dns","dns":{"rrname":"last.example"}}';

const NDJSON = [
  '# exported by a tool',
  '',
  '{"@timestamp":"2024-01-15T10:00:00Z","source":{"ip":"10.0.0.1"},"url":{"full":"http://evil.example/x"},"note":"日本語 http://other.example/ä"}',
  '{"ts":1705312800,"src_ip":"10.0.0.2","hash":"' + 'c'.repeat(40) + '","domain":"evil.example"}',
  'not json',
  '{"time":"2024-01-15 10:00:00","related":{"ip":["10.0.0.3","2001:db8::2"]},"email":"a@evil.example"}',
].join('\n') + '\n';

const ZEEK_JSON = [
  '{"ts":1705312800.5,"uid":"C1","id.orig_h":"10.0.0.1","id.resp_h":"203.0.113.5","host":"evil.example","uri":"/p?q=1"}',
  '{"ts":1705312801,"uid":"C2","query":"bad.example","answers":["192.0.2.1","cname.example"]}',
  '{oops',
].join('\n') + '\n';

const LINES = ['# indicators seen', '10.0.0.1', 'evil.example', 'http://evil.example/ä', '', 'not a value here', 'd41d8cd98f00b204e9800998ecf8427e', '  203.0.113.5  '].join('\n');

const CSV = ['time,src_ip,domain,note', '2024-01-15T10:00:00Z,10.0.0.1,evil.example,"a ""quoted"", multi', 'line note"', '2024-01-15T10:00:01Z,10.0.0.2,good.example,plain'].join('\n') + '\n';

const ZEEK_TSV = [
  '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-',
  '#fields\tts\tuid\tid.orig_h\tid.resp_h\tquery',
  '#types\ttime\tstring\taddr\taddr\tstring',
  '1705312800.1\tC1\t10.0.0.1\t192.0.2.53\tevil.example',
  '1705312801.2\tC2\t10.0.0.2\t-\t-',
].join('\n') + '\n';

const SAMPLES: Array<[string, string, ReadLogOptions]> = [
  ['eve', EVE, {}],
  ['eve (forced)', EVE, { format: 'eve' }],
  ['ndjson', NDJSON, {}],
  ['ndjson with a column map', NDJSON, { format: 'ndjson', columns: { note: 'file-name' } }],
  ['zeek json', ZEEK_JSON, { format: 'zeek' }],
  ['lines', LINES, {}],
  ['csv', CSV, {}],
  ['zeek tsv', ZEEK_TSV, {}],
];

describe('reading on threads', { timeout: SUITE_LIMIT_MS }, () => {
  for (const [name, text, options] of SAMPLES) {
    it(`${name}: the same events, errors and bytes as readLogEvents, whatever the chunk and run boundaries`, async () => {
      const expected = await reference(text, options, 1 << 20);
      assert.ok(expected.events.length > 0);
      // Text chunks may end between the halves of a surrogate pair; byte chunks mid-character.
      for (const input of [text, Buffer.from(text)]) {
        const got = await parallel(input, { ...options, ...ON_THREADS }, 7);
        assert.deepEqual(got.events, expected.events, typeof input);
        assert.deepEqual(got.errors, expected.errors, typeof input);
        assert.equal(got.bytes, expected.bytes, typeof input);
      }
    });
  }

  it('reads the line formats on threads (no parsed record comes back) and the others here', async () => {
    let runs = runsReadOnThreads();
    const eve = await parallel(EVE, ON_THREADS, 1 << 20);
    assert.equal(eve.threadsSeen, 2);
    assert.equal(eve.records, 0);
    assert.ok(runsReadOnThreads() - runs >= 3, `${runsReadOnThreads() - runs} runs read on threads`);
    runs = runsReadOnThreads();
    const csv = await parallel(CSV, ON_THREADS, 1 << 20);
    assert.equal(csv.threadsSeen, 0);
    assert.ok(csv.records > 0);
    const small = await parallel(EVE, { threads: 2 }, 1 << 20);
    assert.equal(small.threadsSeen, 0, 'a short input is read here');
    assert.equal(runsReadOnThreads(), runs);
  });

  it('reads here while the threads start, then on them, in order', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) lines.push(`{"event_type":"flow","src_ip":"10.0.${i >> 8 & 255}.${i & 255}","dest_ip":"192.0.2.1","n":${i}}`);
    const text = `${lines.join('\n')}\n`;
    const expected = await reference(text, {}, 1 << 16);
    const runs = runsReadOnThreads();
    // The input comes slowly once a few chunks are in, until the threads have started.
    async function* slowly(): AsyncGenerator<string> {
      for (let i = 0; i < text.length; i += 1 << 16) {
        yield text.slice(i, i + (1 << 16));
        if (i > 4 << 16 && runsReadOnThreads() === runs) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const events: Reading['events'] = [];
    for await (const batch of readEventBatches(slowly(), { threads: 2, parallelFrom: 1, runBytes: 4096 })) events.push(...batch.events.map(bare));
    assert.deepEqual(events, expected.events);
    assert.ok(runsReadOnThreads() > runs, 'some runs were read on threads');
    assert.ok(runsReadOnThreads() - runs < Buffer.byteLength(text) / 4096 - 4, 'some runs were read here');
  });

  it('reads no more than a slice at a time here, also while the threads warm up', async (t) => {
    // A match with patterns no value anchors reads here in slices of 64 KiB, so that other
    // requests wait for no more than one. While a thread warms up it is sent a small part of each
    // run: the rest, read here, was read whole (15/16 of a megabyte, 230 ms of this thread
    // during a 25 MB match, test/detect.fairness.test.ts).
    const lines: string[] = [];
    for (let i = 0; i < 60_000; i++) lines.push(`{"event_type":"dns","src_ip":"10.2.${i >> 8 & 255}.${i & 255}","dns":{"rrname":"slice-${i}.example"}}`);
    const text = `${lines.join('\n')}\n`;
    const longest = Math.max(...lines.map((line) => Buffer.byteLength(line) + 1));
    const expected = await reference(text, {}, 1 << 16);
    // Runs read on this thread (a thread's reader is a module of its own, not this one).
    const readHere: number[] = [];
    const read = LineRunReader.prototype.read;
    t.mock.method(LineRunReader.prototype, 'read', function (this: LineRunReader, ...args: Parameters<typeof read>) {
      readHere.push(args[0].length);
      return read.apply(this, args);
    });
    const slice = 4096;
    const runs = runsReadOnThreads();
    const events: Reading['events'] = [];
    for await (const batch of readEventBatches(chunked(text, 1 << 16), { threads: 2, parallelFrom: 1, runBytes: 128 * 1024, hereSliceBytes: slice })) events.push(...batch.events.map(bare));
    t.mock.restoreAll();
    assert.deepEqual(events, expected.events);
    assert.ok(runsReadOnThreads() - runs >= 4, 'runs were read on the threads, warming up');
    assert.ok(readHere.length > 0, 'some was read here');
    assert.ok(Math.max(...readHere) <= slice + longest, `read here at once: up to ${Math.max(...readHere)} bytes (slices of ${slice})`);
  });

  it('cuts run after run into the same few buffers, read here and moved back from the threads', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) lines.push(`{"event_type":"dns","src_ip":"10.1.${i >> 8 & 255}.${i & 255}","dns":{"rrname":"host-${i}.example"}}`);
    const text = `${lines.join('\n')}\n`;
    const expected = await reference(text, {}, 1 << 16);
    const runBytes = 4096;
    const runs = Math.ceil(Buffer.byteLength(text) / runBytes);
    const made = runBuffersAllocated();
    const threadRuns = runsReadOnThreads();
    // Read on one thread and here in slices: a buffer reused while a run in it is unread would
    // change the events.
    const events: Reading['events'] = [];
    for await (const batch of readEventBatches(chunked(text, 5000), { threads: 1, parallelFrom: 1, runBytes, hereSliceBytes: 1024 })) events.push(...batch.events.map(bare));
    assert.deepEqual(events, expected.events);
    assert.ok(runsReadOnThreads() > threadRuns, 'some runs were read on the thread');
    const allocated = runBuffersAllocated() - made;
    assert.ok(runs > 600 && allocated <= 24, `${allocated} buffers allocated for ${runs} runs`);
  });

  it('skips lines longer than maxLineBytes, shorter or longer than a run, in the middle or at the end', async () => {
    const text = ['{"a":"1.2.3.4"}', `{"long":"${'y'.repeat(40)}"}`, `{"longer":"${'z'.repeat(500)}"}`, '{"b":"5.6.7.8"}', `{"end":"${'w'.repeat(200)}`].join('\n');
    const options: ReadLogOptions = { format: 'ndjson', maxLineBytes: 30 };
    const expected = await reference(text, options, 1 << 20);
    assert.deepEqual(expected.errors.map((e) => e.line), [2, 3, 5]);
    for (const chunkSize of [3, 64, 1 << 20]) {
      const got = await parallel(text, { ...options, ...ON_THREADS }, chunkSize);
      assert.deepEqual(got.events, expected.events);
      assert.deepEqual(got.errors, expected.errors);
      assert.equal(got.bytes, expected.bytes);
    }
  });

  it('reads a line longer than a run but allowed', async () => {
    const text = `{"a":"1.2.3.4"}\n{"url":"http://evil.example/${'p'.repeat(5000)}"}\n{"b":"5.6.7.8"}\n`;
    const expected = await reference(text, {}, 1 << 20);
    const got = await parallel(text, ON_THREADS, 100);
    assert.equal(expected.events.length, 3);
    assert.deepEqual(got.events, expected.events);
  });

  it('with the index key filter, passes on exactly the events naming something it may hold, and counts the rest', async () => {
    const index = new DetectIndex();
    const record = (id: string, pattern: string): IndicatorRecord => ({ id, pattern, specVersion: '2.1', accessKey: 1, createdByRef: null, validFrom: -Infinity, validUntil: Infinity, confidence: undefined, granular: false });
    index.upsert(record('indicator--1', "[domain-name:value = 'evil.example']"));
    index.upsert(record('indicator--2', "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"));
    index.upsert(record('indicator--3', `[file:hashes.'SHA-256' = '${'ab'.repeat(32)}']`));
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      if (i % 50 === 7) lines.push(`{"event_type":"dns","src_ip":"10.0.${i >> 8}.${i & 255}","dns":{"rrname":"EVIL.example."}}`);
      else if (i % 50 === 21) lines.push(`{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"198.51.100.${i % 256}"}`);
      else if (i % 50 === 33) lines.push(`{"event_type":"fileinfo","fileinfo":{"sha256":"${'AB'.repeat(32)}"}}`);
      else lines.push(`{"event_type":"dns","src_ip":"10.1.${i >> 8}.${i & 255}","dns":{"rrname":"host${i}.example"}}`);
    }
    const text = `${lines.join('\n')}\n`;
    const all = await reference(text, {}, 1 << 20);
    const named = all.events.filter((e) => e.values.some((v) => {
      const key = normalise(v.kind, v.value);
      return key !== undefined && index.filter.mayName(v.kind, key);
    }));
    assert.ok(named.length >= 24);
    let dropped = 0;
    let droppedValues = 0;
    const passed: Reading['events'] = [];
    for await (const batch of readEventBatches(chunked(text, 1000), { ...ON_THREADS, runBytes: 2048, candidates: () => index.filter })) {
      dropped += batch.dropped;
      droppedValues += batch.droppedValues;
      passed.push(...batch.events.map(bare));
    }
    assert.deepEqual(passed, named);
    assert.equal(passed.length + dropped, all.events.length);
    const valuesOf = (events: Reading['events']) => events.reduce((n, e) => n + e.values.length, 0);
    assert.equal(valuesOf(passed) + droppedValues, valuesOf(all.events));
  });

  it('leaves no thread behind: read to the end, stopped early, or failed', async () => {
    const text = `${'{"src_ip":"10.0.0.1"}\n'.repeat(2000)}`;
    await parallel(text, ON_THREADS, 4096);
    assert.equal(readerThreads(), 0);

    for await (const batch of readEventBatches(chunked(text, 4096), { ...ON_THREADS, runBytes: 1024 })) {
      assert.ok(batch.events.length > 0);
      assert.ok(readerThreads() > 0);
      break;
    }
    assert.equal(readerThreads(), 0);

    async function* failing(): AsyncGenerator<string> {
      yield text;
      yield text;
      throw new Error('the connection was cut');
    }
    await assert.rejects(async () => {
      for await (const batch of readEventBatches(failing(), { ...ON_THREADS, runBytes: 1024 })) assert.ok(batch);
    }, /the connection was cut/);
    assert.equal(readerThreads(), 0);
  });

  it('passes on the events of a live feed as they come, reading it here', async () => {
    let more!: () => void;
    const gate = new Promise<void>((resolve) => (more = resolve));
    async function* feed(): AsyncGenerator<string> {
      yield '{"src_ip":"10.0.0.1"}\n';
      await gate;
      yield '{"src_ip":"10.0.0.2"}\n';
    }
    const batches = readEventBatches(feed(), { threads: 2 });
    // The feed goes on only once the first event is out: a reader that waited for more would
    // never answer (the suite's limit would end it).
    const first = await batches.next();
    assert.equal(!first.done ? first.value.events[0]?.line : undefined, 1);
    assert.equal(readerThreads(), 0);
    more();
    const second = await batches.next();
    assert.equal(!second.done ? second.value.events[0]?.line : undefined, 2);
    assert.equal((await batches.next()).done, true);
  });

  it('checks its options when called', () => {
    const input = chunked('', 1);
    assert.throws(() => readEventBatches(input, { format: 'xml' as never }), TypeError);
    assert.throws(() => readEventBatches(input, { threads: -1 }), TypeError);
    assert.throws(() => readEventBatches(input, { maxLineBytes: 0 }), TypeError);
  });
});
