import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StixStreamReader, type StreamEntry } from './stream-reader.js';
import { WAIT_LIMIT_MS } from '../../test/support/wait.js';

async function* chunked(text: string | Buffer, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(text: string | Buffer, size = 7, maxObjectBytes = 1 << 20): Promise<{ entries: StreamEntry[]; reader: StixStreamReader }> {
  const reader = new StixStreamReader({ maxObjectBytes });
  const entries: StreamEntry[] = [];
  for await (const e of reader.entries(chunked(text, size))) entries.push(e);
  return { entries, reader };
}

const objects = (entries: StreamEntry[]) => entries.filter((e) => e.kind === 'object').map((e) => JSON.parse((e as { text: string }).text) as unknown);

describe('StixStreamReader', () => {
  const tricky = [
    { type: 'indicator', id: 'indicator--1', pattern: "[file:name = '}{][\\\"']", description: 'braces } ] [ { and "quotes" and \\ backslashes' },
    { type: 'note', id: 'note--2', content: 'ünïcødé ✓ 🛡️', object_refs: ['a', 'b'], nested: { deep: [[{ x: '}' }]] } },
  ];

  it('cuts a bundle into its objects whatever the chunk size', async () => {
    const text = JSON.stringify({ type: 'bundle', id: 'bundle--x', spec_version: '2.0', objects: tricky }, null, 2);
    for (const size of [1, 2, 3, 7, 64, 100000]) {
      const { entries, reader } = await read(text, size);
      assert.deepEqual(objects(entries), tricky, `chunk size ${size}`);
      assert.equal(reader.header.format, 'bundle');
      assert.equal(reader.header.specVersion, '2.0');
      assert.equal(reader.header.bundleId, 'bundle--x');
      assert.equal(reader.bytesRead, Buffer.byteLength(text));
    }
  });

  it('reports byte offsets of each object', async () => {
    const text = `{"type":"bundle","objects":[{"a":1}, {"b":2}]}`;
    const { entries } = await read(text, 5);
    assert.deepEqual(entries.map((e) => e.offset), [text.indexOf('{"a"'), text.indexOf('{"b"')]);
    assert.deepEqual(entries.map((e) => (e.kind === 'object' ? e.index : -1)), [0, 1]);
  });

  it('reads the bundle header when it comes after the objects', async () => {
    const { entries, reader } = await read(`{"objects":[{"a":1}],"spec_version":"2.1","type":"bundle"}`);
    assert.equal(entries.length, 1);
    assert.equal(reader.header.specVersion, '2.1');
  });

  it('reads a JSON array of objects and concatenated bundles', async () => {
    assert.deepEqual(objects((await read(JSON.stringify(tricky))).entries), tricky);
    const two = `{"type":"bundle","objects":[{"a":1}]} {"type":"bundle","objects":[{"b":2}]}`;
    assert.deepEqual(objects((await read(two)).entries), [{ a: 1 }, { b: 2 }]);
  });

  it('reads NDJSON with line numbers, skipping blank lines', async () => {
    const text = `${JSON.stringify(tricky[0])}\n\n${JSON.stringify(tricky[1])}\r\n{"broken": \n`;
    const { entries, reader } = await read(text, 3);
    assert.equal(reader.header.format, 'ndjson');
    assert.equal(entries.length, 3);
    assert.deepEqual(objects(entries.slice(0, 2)), tricky);
    assert.deepEqual(entries.map((e) => e.line), [1, 3, 4]);
    assert.equal(entries[2]!.kind, 'object'); // the broken line is handed on; JSON.parse rejects it
  });

  it('hands on a lone object', async () => {
    const { entries, reader } = await read(JSON.stringify(tricky[0]));
    assert.deepEqual(objects(entries), [tricky[0]]);
    assert.equal(reader.header.format, 'object');
  });

  it('hands on the objects of a bundle, an envelope or an array on one line before the stream goes on', async () => {
    // A TAXII page (one line, no newline), then nothing until the next page: the first line was
    // held whole to tell NDJSON from a document, and its objects waited for the next page.
    const two = [
      { type: 'indicator', id: 'indicator--1', pattern: "[x:y = '\\\"objects\\\":[']" },
      { type: 'malware', id: 'malware--2', name: '{"type":"bundle"}' },
    ];
    const documents = {
      bundle: JSON.stringify({ type: 'bundle', id: 'bundle--x', objects: two }),
      envelope: JSON.stringify({ more: true, next: 'p2', objects: two }),
      array: JSON.stringify(two),
      'bundle with its type last': JSON.stringify({ id: 'bundle--x', extra: { objects: 'no', type: 'x' }, objects: two, type: 'bundle' }),
    };
    for (const [what, text] of Object.entries(documents)) {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      async function* stalled(): AsyncGenerator<Uint8Array> {
        yield* chunked(text, 7);
        await held;
      }
      const entries = new StixStreamReader({ maxObjectBytes: 1 << 20 }).entries(stalled());
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        release();
      }, WAIT_LIMIT_MS);
      const got: StreamEntry[] = [];
      try {
        while (got.length < two.length) {
          const next = await entries.next();
          if (next.done) break;
          got.push(next.value);
        }
      } finally {
        clearTimeout(timer);
        release();
        await entries.return(undefined);
      }
      assert.equal(timedOut, false, `${what}: its objects came only once the stream went on`);
      assert.deepEqual(objects(got), two, what);
    }
  });

  it('lets go of its source when it is stopped part way', async () => {
    // A request body is its source: the node reads the rest away before it answers, which it
    // could not while the reader still held the body (the answer waited, then was lost).
    const texts = {
      bundle: JSON.stringify({ type: 'bundle', id: 'bundle--x', objects: tricky }),
      ndjson: tricky.map((o) => JSON.stringify(o)).join('\n'),
    };
    for (const [what, text] of Object.entries(texts)) {
      let released = false;
      let more = false;
      async function* source(): AsyncGenerator<Uint8Array> {
        try {
          yield* chunked(text, 7);
          more = true;
        } finally {
          released = true;
        }
      }
      const entries = new StixStreamReader({ maxObjectBytes: 1 << 20 }).entries(source());
      const first = await entries.next();
      assert.equal(first.done, false);
      await entries.return(undefined);
      assert.equal(more, false, `${what}: stopped before its end`);
      assert.equal(released, true, `${what}: the source was told to stop`);
    }
  });

  it('still reads NDJSON whose first object has a type before an objects array', async () => {
    const lines = [{ type: 'x-list', id: 'x-list--1', objects: [{ a: 1 }] }, { type: 'x-list', id: 'x-list--2' }];
    for (const size of [3, 7, 1000]) {
      const { entries, reader } = await read(lines.map((l) => JSON.stringify(l)).join('\n'), size);
      assert.equal(reader.header.format, 'ndjson', `chunk size ${size}`);
      assert.deepEqual(objects(entries), lines);
    }
  });

  it('reports elements that are not objects and goes on', async () => {
    const { entries } = await read(`{"type":"bundle","objects":[{"a":1}, 42, "x", [1], {"b":2}]}`, 4);
    assert.deepEqual(objects(entries), [{ a: 1 }, { b: 2 }]);
    const errors = entries.filter((e) => e.kind === 'error');
    assert.equal(errors.length, 3);
    for (const e of errors) assert.match((e as { message: string }).message, /not a STIX object|must be a STIX object/);
    assert.deepEqual(entries.map((e) => e.index), [0, 1, 2, 3, 4]);
  });

  it('rejects an oversized object without holding it and goes on', async () => {
    const big = { type: 'note', content: 'x'.repeat(5000) };
    const { entries } = await read(JSON.stringify({ type: 'bundle', objects: [{ a: 1 }, big, { b: 2 }] }), 100, 1000);
    assert.deepEqual(objects(entries), [{ a: 1 }, { b: 2 }]);
    const error = entries.find((e) => e.kind === 'error');
    assert.ok(error && error.kind === 'error');
    assert.match(error.message, /larger than the limit of 1000 bytes/);
    assert.equal(error.index, 1);
  });

  it('reports truncated input after every complete object', async () => {
    const { entries } = await read(`{"type":"bundle","objects":[{"a":1},{"b":`);
    assert.deepEqual(objects(entries), [{ a: 1 }]);
    const last = entries.at(-1)!;
    assert.equal(last.kind, 'error');
    assert.match((last as { message: string }).message, /unexpected end of input.*truncated/);
  });

  it('refuses content that is not JSON at all', async () => {
    const { entries } = await read('hello world');
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.kind, 'error');
    assert.match((entries[0] as { message: string }).message, /expected a STIX bundle/);
  });

  it('recovers every object of random bundles under random chunking', async () => {
    const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(fc.array(jsonObject, { maxLength: 12 }), fc.integer({ min: 1, max: 50 }), fc.boolean(), async (list, size, pretty) => {
        const text = JSON.stringify({ type: 'bundle', objects: list }, null, pretty ? 1 : 0);
        const { entries } = await read(text, size);
        assert.deepEqual(objects(entries), JSON.parse(JSON.stringify(list)));
        assert.equal(entries.filter((e) => e.kind === 'error').length, 0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('StixStreamReader limits', () => {
  const deep = (levels: number) => `{"type":"note","id":"note--1","x":${'{"a":'.repeat(levels - 2)}{}${'}'.repeat(levels - 2)}}`;

  it('rejects an object deeper than maxDepth with its path, whatever the chunk size, and goes on', async () => {
    const text = `{"type":"bundle","objects":[${deep(10)},{"type":"note","id":"note--2"},${deep(9)}]}`;
    for (const size of [1, 3, 7, 64, 100000]) {
      const reader = new StixStreamReader({ maxObjectBytes: 1 << 20, maxDepth: 9 });
      const entries: StreamEntry[] = [];
      for await (const e of reader.entries(chunked(text, size))) entries.push(e);
      assert.deepEqual(entries.map((e) => e.kind), ['error', 'object', 'object'], `chunk size ${size}`);
      const error = entries[0] as Extract<StreamEntry, { kind: 'error' }>;
      assert.equal(error.rule, 'object-depth');
      assert.equal(error.path, '$.x.a.a.a.a.a.a.a.a');
      assert.match(error.message, /limit of 9 levels: level 10/);
    }
  });

  it('rejects bytes that are not UTF-8 with their stream offset; characters split by chunks are fine', async () => {
    const head = Buffer.from('[{"type":"note","id":"note--1","content":"caf');
    const text = Buffer.concat([head, Buffer.from([0xe9]), Buffer.from('"},{"type":"note","id":"note--2","content":"café ✓"}]')]);
    for (const size of [1, 2, 5, 100000]) {
      const { entries } = await read(text, size);
      assert.deepEqual(entries.map((e) => e.kind), ['error', 'object'], `chunk size ${size}`);
      assert.match((entries[0] as { message: string }).message, new RegExp(`invalid UTF-8 at byte ${head.length} \\(0xe9\\)`));
      assert.deepEqual(objects(entries), [{ type: 'note', id: 'note--2', content: 'café ✓' }]);
    }
    const ndjson = Buffer.concat([Buffer.from('{"type":"note","id":"note--1"}\n{"a":"'), Buffer.from([0xff]), Buffer.from('"}\n')]);
    const { entries } = await read(ndjson, 4);
    assert.equal(entries[1]!.kind, 'error');
    assert.match((entries[1] as { message: string }).message, /object on line 2: invalid UTF-8 at byte 37 \(0xff\)/);
  });
});

describe('StixStreamReader handing on bytes (shieldwall ingest --url)', () => {
  async function both(input: Buffer, size: number): Promise<{ text: StreamEntry[]; bytes: StreamEntry[] }> {
    const run = async (bytes: boolean) => {
      const reader = new StixStreamReader({ maxObjectBytes: 1 << 20, maxDepth: 9, bytes });
      const entries: StreamEntry[] = [];
      for await (const e of reader.entries(chunked(input, size))) entries.push(e);
      return entries;
    };
    return { text: await run(false), bytes: await run(true) };
  }
  /** The entries with each object's bytes decoded in place of its text. */
  const decoded = (entries: StreamEntry[]) => entries.map((e) => (e.kind === 'object' ? { ...e, text: e.bytes!.toString('utf8'), bytes: undefined } : e));
  const plain = (entries: StreamEntry[]) => entries.map((e) => (e.kind === 'object' ? { ...e, bytes: undefined } : e));

  it('hands on the bytes of exactly the objects it would hand on as text, errors alike', async () => {
    const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(fc.array(jsonObject, { maxLength: 12 }), fc.integer({ min: 1, max: 50 }), fc.constantFrom('bundle', 'ndjson', 'crlf'), async (list, size, format) => {
        const input =
          format === 'bundle' ? JSON.stringify({ type: 'bundle', objects: list }, null, 1) : list.map((o) => JSON.stringify({ type: 'note', ...o })).join(format === 'crlf' ? '\r\n' : '\n') + '\n';
        const { text, bytes } = await both(Buffer.from(input), size);
        assert.ok(bytes.every((e) => e.kind !== 'object' || (e.text === '' && Buffer.isBuffer(e.bytes))));
        assert.deepEqual(decoded(bytes), plain(text));
      }),
      { numRuns: 200 },
    );
  });

  it('leaves out the byte order mark and the spaces around an NDJSON line, as the text is trimmed', async () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"type":"note","id":"note--1"}  \r\n\t{"type":"note","id":"note--2"}\r\n')]);
    const { text, bytes } = await both(input, 3);
    assert.deepEqual(
      bytes.map((e) => (e.kind === 'object' ? e.bytes!.toString('utf8') : e.kind)),
      ['{"type":"note","id":"note--1"}', '{"type":"note","id":"note--2"}'],
    );
    assert.deepEqual(decoded(bytes), plain(text));
  });

  it('trims other Unicode spaces and a form feed as the text is trimmed: the same objects at the same indexes', async () => {
    const lines = ['{"type":"note","id":"note--0"}', '\f', '\u00a0{"type":"note","id":"note--1"}', ' \ufeff{"type":"note","id":"note--2"}\ufeff', '\u3000', '\v{"type":"note","id":"note--3"}\u2028'];
    const input = Buffer.from(lines.join('\n') + '\n');
    for (const size of [1, 4, 100000]) {
      const { text, bytes } = await both(input, size);
      assert.deepEqual(decoded(bytes), plain(text), `chunk size ${size}`);
      assert.deepEqual(
        bytes.map((e) => (e.kind === 'object' ? [e.index, e.line, e.bytes!.toString('utf8')] : e.kind)),
        [
          [0, 1, '{"type":"note","id":"note--0"}'],
          [1, 3, '{"type":"note","id":"note--1"}'],
          [2, 4, '{"type":"note","id":"note--2"}'],
          [3, 6, '{"type":"note","id":"note--3"}'],
        ],
      );
    }
  });

  it('refuses bytes that are not UTF-8, and objects too deep, as the text reader does', async () => {
    const head = Buffer.from('[{"type":"note","id":"note--1","content":"caf');
    const input = Buffer.concat([head, Buffer.from([0xe9]), Buffer.from(`"},{"type":"note","id":"note--2","x":${'{"a":'.repeat(8)}{}${'}'.repeat(8)}},{"type":"note","id":"note--3"}]`)]);
    for (const size of [1, 5, 100000]) {
      const { text, bytes } = await both(input, size);
      assert.deepEqual(bytes.map((e) => (e.kind === 'error' ? e.rule : 'object')), ['utf8', 'object-depth', 'object'], `chunk size ${size}`);
      assert.deepEqual(decoded(bytes), plain(text));
    }
  });
});
