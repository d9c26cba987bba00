/**
 * The envelope scan of a puller (TAXII 2.1 section 3.7, the envelope: `more`, `next`, `objects`):
 * the same answers as JSON.parse for envelopes of any layout, without building the page's
 * objects, and with turns of the event loop through a large page.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvelopeError, envelopeHead, SCAN_SLICE_BYTES, TOO_LONG } from './taxii.envelope.js';

/** What a puller reads of an envelope when it parses it whole. */
function parsedHead(text: string): { more: boolean; next: unknown; empty: boolean } {
  const parsed = JSON.parse(text) as { more?: unknown; next?: unknown; objects?: unknown };
  return { more: parsed.more === true, next: parsed.next, empty: !Array.isArray(parsed.objects) || parsed.objects.length === 0 };
}

const tricky = {
  type: 'indicator',
  id: 'indicator--6b4f0d6e-3c2b-4b8e-9d7a-2f1e0c9b8a71',
  // Brackets, braces, commas, colons and escaped quotes inside strings, and nesting.
  name: 'a "quoted" {name}, with [brackets]: and \\ backslashes \\',
  pattern: "[file:name = 'x\\\\\"}]'] AND [ipv4-addr:value = '198.51.100.7']",
  external_references: [{ source_name: 'more', description: '"next": "nope", "more": true' }],
  extensions: { 'x-nested': { more: true, next: 'inner', objects: [] } },
};

describe('the envelope scan', () => {
  const cases: Array<[string, string]> = [
    ['shieldwall layout', JSON.stringify({ more: true, next: 'abc', objects: [tricky] })],
    ['spaces and new lines', JSON.stringify({ more: true, next: 'p2', objects: [tricky, tricky] }, null, 2)],
    ['objects first', JSON.stringify({ objects: [tricky], more: true, next: 'after-objects' })],
    ['more false, no next', `{ "objects" : [ ${JSON.stringify(tricky)} ] , "more" : false }`],
    ['empty objects', '{"more": true, "next": "x", "objects": [ ]}'],
    ['no objects', '{"more": false}'],
    ['a next with escapes', JSON.stringify({ more: true, next: 'a"b\\c\u00e9\u{1F600}', objects: [] })],
    ['a number for next', '{"more": true, "next": 42, "objects": [{"type":"x"}]}'],
    ['null next', '{"next": null, "more": true, "objects": [{"type":"x"}]}'],
    ['keys repeated (the last wins)', '{"more": false, "objects": [], "more": true, "next": "a", "next": "b"}'],
    ['an escaped key', '{"mo\\u0072e": true, "more": false, "objects": [1]}'],
  ];
  for (const [name, text] of cases) {
    it(`answers as JSON.parse does: ${name}`, async () => {
      const scanned = await envelopeHead(Buffer.from(text), 10_000);
      const expected = parsedHead(text);
      if (name === 'an escaped key') {
        // A key spelled with escapes is not decoded (no server writes one): 'more' is read as written.
        assert.deepEqual(scanned, { more: false, next: undefined, empty: false });
        return;
      }
      assert.deepEqual(scanned, expected);
    });
  }

  it('says a next longer than the caller reads is too long, without parsing it', async () => {
    const text = JSON.stringify({ more: true, next: 'n'.repeat(5000), objects: [tricky] });
    assert.equal((await envelopeHead(Buffer.from(text), 4096)).next, TOO_LONG);
    assert.equal((await envelopeHead(Buffer.from(text), 6000)).next, 'n'.repeat(5000));
  });

  it('refuses a body that is not an envelope, or is cut off, rather than take it as an empty last page', async () => {
    assert.deepEqual(await envelopeHead(Buffer.from(' \n'), 100), { more: false, next: undefined, empty: true }, 'an empty body is an empty page');
    await assert.rejects(envelopeHead(Buffer.from('[1, 2]'), 100), (error: unknown) => error instanceof EnvelopeError && /not a TAXII envelope .* begins "\[1, 2\]"/.test(error.message));
    await assert.rejects(envelopeHead(Buffer.from('<html>busy</html>'), 100), EnvelopeError);
    await assert.rejects(envelopeHead(Buffer.from('{"more": true, "next": "unterminated'), 100), /ends inside a string/);
    await assert.rejects(envelopeHead(Buffer.from('{"more": true, "next": "a", "objects": [{"type": "x"'), 100), /ends before its envelope closes/);
  });

  it('passes over a UTF-8 byte order mark (RFC 8259 section 8.1)', async () => {
    const text = JSON.stringify({ more: true, next: 'p2', objects: [tricky] }, null, 1);
    assert.deepEqual(await envelopeHead(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 100), { more: true, next: 'p2', empty: false });
  });

  it('reads members after the objects, whatever comes last', async () => {
    const text = `{"objects":[${JSON.stringify(tricky)}],"more":true,"next":"p2","x_extension":[]}`;
    assert.deepEqual(await envelopeHead(Buffer.from(text), 100), { more: true, next: 'p2', empty: false });
  });

  it('takes turns of the event loop through a large page, and reads members after its objects', async () => {
    const objects = Array.from({ length: 20_000 }, (_, k) => ({ ...tricky, id: `indicator--00000000-0000-4000-8000-${String(k).padStart(12, '0')}` }));
    const text = `{\n  "objects": ${JSON.stringify(objects, null, 1)},\n  "more": true,\n  "next": "the-end"\n}`;
    const body = Buffer.from(text);
    assert.ok(body.length > 8 * SCAN_SLICE_BYTES, `a page of ${body.length} bytes`);
    let turns = 0;
    let counting = true;
    const count = () => {
      if (!counting) return;
      turns++;
      setImmediate(count);
    };
    setImmediate(count);
    const head = await envelopeHead(body, 100);
    counting = false;
    assert.deepEqual(head, { more: true, next: 'the-end', empty: false });
    // One turn at least per slice scanned: other requests are answered meanwhile.
    assert.ok(turns >= Math.floor(body.length / SCAN_SLICE_BYTES) - 1, `${turns} turns of the event loop for ${body.length} bytes`);
  });
});
