import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countTurns } from '../../test/support/wait.js';
import { BodySliceError, decodedPieces, readJsonArrayInTurns, readLinesInTurns } from './body-slices.js';

const options = { maxItemChars: 1000, maxItems: 100 };

async function refused(text: string, opts = options): Promise<BodySliceError> {
  try {
    await readJsonArrayInTurns(text, opts);
  } catch (error) {
    assert.ok(error instanceof BodySliceError, `a BodySliceError, not ${String(error)}`);
    return error;
  }
  assert.fail(`${JSON.stringify(text)} was parsed`);
}

describe('a request body read a slice at a time', () => {
  it('reads what JSON.parse reads (RFC 8259: strings with escapes, objects, nesting, scalars, spaces)', async () => {
    const samples = [
      '[]',
      ' [ ] ',
      '["a"]',
      '["a\\"b", "c\\\\", "\\\\\\"", "\\u00e9t\\u00e9", "]", "[{,}]"]',
      '[{"value": "x", "comment": "a \\"}\\" b"}, {"value": "y", "kind": "domain"}]',
      '[1, -2.5e3, true, false, null, "s", {"a": [1, {"b": "]"}]}, [[], {}]]',
      '\n\t[\r\n"a" ,\n"b"\n]\n',
      '["😀", "\\ud83d\\ude00"]',
      '\ufeff ["after a byte order mark"]',
    ];
    // A byte order mark at the start is taken, as secure-json-parse takes it (JSON.parse does not).
    for (const text of samples) assert.deepEqual(await readJsonArrayInTurns(text, options), JSON.parse(text.replace(/^\uFEFF/, '')), text);
  });

  it('gives other work turns of the event loop between slices', async () => {
    const values = Array.from({ length: 5000 }, (_, i) => `value-${i}.example`);
    const text = JSON.stringify(values);
    const order: string[] = [];
    setImmediate(() => order.push('other work'));
    const turns = countTurns();
    const parsed = await readJsonArrayInTurns(text, { ...options, maxItems: 10_000, sliceChars: 1000 });
    order.push('parsed');
    const counted = turns.stop();
    assert.deepEqual(parsed, values);
    assert.deepEqual(order, ['other work', 'parsed'], 'work waiting when the parse began ran before it ended');
    // One turn at least after each slice of 1,000 characters.
    assert.ok(counted >= Math.floor(text.length / 1000) - 1, `${counted} turns for ${text.length} characters`);
  });

  it('says what is wrong, where, and about which item', async () => {
    const cases: Array<[string, RegExp, number | undefined, number]> = [
      ['', /the body is empty: a JSON array was expected/, undefined, 0],
      ['{"a": 1}', /must start with "\["/, undefined, 0],
      ['\ufeff{"a": 1}', /must start with "\["/, undefined, 1],
      ['["a"]\ufeff', /more after the array/, undefined, 5],
      ['["a", "b"', /no closing "\]"/, 1, 9],
      ['["a", "b', /item 1 is not closed/, 1, 6],
      ['["a",, "b"]', /item 1 is missing/, 1, 5],
      ['["a",]', /item 1 is missing/, 1, 5],
      ['["a" "b"]', /expected "," or "\]" after item 0/, 0, 5],
      ['["a"] x', /more after the array/, undefined, 6],
      ['["a", tru]', /item 1 is refused: it is not valid JSON/, 1, 6],
      ['["a", {"value": "x",}]', /item 1 is refused: it is not valid JSON/, 1, 6],
      ['[{"value": "x", "__proto__": {"admin": true}}]', /item 0 is refused: it holds a key "__proto__"/, 0, 1],
      ['[{"constructor": {"prototype": {}}}]', /item 0 is refused: it holds a key "__proto__", or a "constructor" key/, 0, 1],
      ['["a", {"v": "x"', /item 1 is not closed/, 1, 6],
    ];
    for (const [text, message, index, offset] of cases) {
      const error = await refused(text);
      assert.match(error.message, message, text);
      assert.equal(error.index, index, `${text}: index`);
      assert.equal(error.offset, offset, `${text}: offset`);
    }
  });

  it('bounds an item and the number of items before parsing them', async () => {
    const long = await refused(JSON.stringify(['a', 'x'.repeat(2000)]));
    assert.match(long.message, /item 1 is longer than 1000 characters/);
    // An object is cut off at the bound, not read to its end.
    const deep = await refused(`[${'['.repeat(5000)}]`);
    assert.match(deep.message, /item 0 is longer than 1000 characters/);
    const many = await refused(JSON.stringify(Array.from({ length: 101 }, (_, i) => String(i))));
    assert.match(many.message, /more than 100 items/);
    assert.equal(many.index, 100);
    assert.equal((await readJsonArrayInTurns(JSON.stringify(Array.from({ length: 100 }, String)), options)).length, 100, 'the bound itself is taken');
  });

  it('cuts the same items whatever the pieces the text arrives in', async () => {
    const text = ' [ "a\\"b" , {"v": "x]}", "k": [1, {"z": "\\\\"}]}, 12.5e1, true, null, "\u00e9", "😀" ] ';
    const expected = JSON.parse(text) as unknown[];
    async function* cut(size: number): AsyncGenerator<string> {
      for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
    }
    for (let size = 1; size <= text.length; size++) assert.deepEqual(await readJsonArrayInTurns(cut(size), options), expected, `pieces of ${size}`);
    // An item that never ends is refused once it passes the bound, not held until the body ends.
    async function* endless(): AsyncGenerator<string> {
      yield '["a", "';
      for (;;) yield 'x'.repeat(100);
    }
    const error = await readJsonArrayInTurns(endless(), options).catch((e: unknown) => e);
    assert.ok(error instanceof BodySliceError);
    assert.match(error.message, /item 1 is longer than 1000 characters/);
  });

  it('decodes UTF-8 chunk by chunk, a character split between chunks kept whole', async () => {
    const text = 'a€b😀c\né';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      async function* chunks(): AsyncGenerator<Uint8Array> {
        yield bytes.subarray(0, cut);
        yield bytes.subarray(cut);
      }
      let out = '';
      for await (const piece of decodedPieces(chunks())) out += piece;
      assert.equal(out, text, `cut at byte ${cut}`);
    }
  });

  it('reads the lines split gives, numbered, and refuses a line past its bound by its number', async () => {
    const text = '# list\r\n1.1.1.1\n\n  8.8.8.8  \nlast';
    for (const size of [1, 2, 3, 7, 100]) {
      const seen: Array<[number, string]> = [];
      async function* cut(): AsyncGenerator<string> {
        for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
      }
      const count = await readLinesInTurns(cut(), { maxLineChars: 100, onLine: (line, n) => seen.push([n, line]) });
      assert.deepEqual(seen, text.split('\n').map((line, i) => [i + 1, line]), `pieces of ${size}`);
      assert.equal(count, 5);
    }
    async function* long(): AsyncGenerator<string> {
      yield 'ok\nok\n';
      for (;;) yield 'y'.repeat(64);
    }
    const error = await readLinesInTurns(long(), { maxLineChars: 100, onLine: () => undefined }).catch((e: unknown) => e);
    assert.ok(error instanceof BodySliceError);
    assert.equal(error.line, 3);
    assert.equal(error.offset, 6);
    assert.match(error.message, /line 3 is longer than 100 characters/);
  });
});
