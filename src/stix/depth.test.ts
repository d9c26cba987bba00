import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { depthMessage, invalidUtf8Offset, textDepthProblem, valueDepthProblem } from './depth.js';

describe('object limits before parsing', () => {
  it('finds where the depth limit is passed, with the path through keys and indices', () => {
    const text = '{"type":"x","a\\"b":[1,{"c":{"d":[[{"e":1}]]}}],"z":{}}';
    assert.equal(textDepthProblem(Buffer.from(text), 7), undefined);
    const problem = textDepthProblem(Buffer.from(text), 4)!;
    assert.equal(problem.depth, 5);
    assert.equal(problem.path, '$["a\\"b"][1].c.d');
    assert.equal(text[problem.offset!], '[');
    // Brackets inside strings do not count.
    assert.equal(textDepthProblem(Buffer.from('{"a":"[[[[[[{{{{{{\\"[[["}'), 1), undefined);
  });

  it('agrees with a walk of the parsed value, and never overflows the stack', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 10 }), (value, limit) => {
        const text = Buffer.from(JSON.stringify(value));
        const fromText = textDepthProblem(text, limit);
        const fromValue = valueDepthProblem(value, limit);
        assert.equal(fromText === undefined, fromValue === undefined);
        if (fromText && fromValue) assert.equal(fromText.depth, fromValue.depth);
      }),
    );
    const deep = Buffer.from('['.repeat(1_000_000) + ']'.repeat(1_000_000));
    const problem = textDepthProblem(deep, 64)!;
    assert.match(depthMessage(problem, 64), /limit of 64 levels: level 65 is reached at \$\[0\]\[0\]\[0\]\[0\]\[0\]\[0\]…\(52 levels\)…/);
    let value: unknown = 1;
    for (let i = 0; i < 200_000; i++) value = { x: value };
    assert.equal(valueDepthProblem(value, 64)!.depth, 65);
  });

  it('finds the first byte that is not UTF-8, and nothing in valid text', () => {
    assert.equal(invalidUtf8Offset(Buffer.from('ünïcødé ✓ 🛡️')), undefined);
    assert.equal(invalidUtf8Offset(Buffer.from([0x61, 0xe9, 0x62])), 1); // Latin-1 é
    assert.equal(invalidUtf8Offset(Buffer.from([0x61, 0xc0, 0x80])), 1); // overlong NUL
    assert.equal(invalidUtf8Offset(Buffer.from([0xed, 0xa0, 0x80])), 0); // a surrogate
    assert.equal(invalidUtf8Offset(Buffer.from([0x61, 0x62, 0xe2, 0x82])), 2); // cut short
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const at = invalidUtf8Offset(bytes);
        assert.equal(at === undefined, isUtf8(bytes));
        if (at !== undefined) assert.ok(isUtf8(bytes.subarray(0, at)), 'everything before the offset is valid');
      }),
    );
  });
});
