import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { validateObject } from '../validate.js';
import { compilePattern, parsePattern, type Observation } from './index.js';
import { MAX_COMPARED_LENGTH, compileLike, regexProblem } from './regex.js';
import { mainThreadCpuMs, SUITE_LIMIT_MS } from '../../../test/support/wait.js';

const T0 = Date.parse('2024-03-01T12:00:00Z');

function observe(object: Record<string, unknown>): Observation {
  return { firstObserved: T0, lastObserved: T0, numberObserved: 1, objects: new Map([['0', object]]) };
}

function matches(pattern: string, object: Record<string, unknown>): boolean {
  const parsed = parsePattern(pattern);
  assert.ok(parsed.ok, `pattern does not parse: ${pattern}`);
  return compilePattern(parsed.pattern).match([observe(object)]) !== undefined;
}

/**
 * The time `run` takes on this thread: CPU time where Linux accounts it per thread (10 ms
 * ticks), so that a busy machine does not stretch it; wall-clock time elsewhere.
 */
function elapsedMs(run: () => void): number {
  const cpu = mainThreadCpuMs();
  const start = performance.now();
  run();
  const wall = performance.now() - start;
  const after = mainThreadCpuMs();
  return cpu === undefined || after === undefined ? wall : after - cpu;
}

// A backtracking engine needs exponential (or high polynomial) time on these; a linear one
// answers in about the time it takes to read the value once.
const CATASTROPHIC: readonly (readonly [string, string])[] = [
  ['MATCHES nested quantifier (a+)+b', "[file:name MATCHES '(a+)+b']"],
  ['MATCHES overlapping alternation (a|a)*b', "[file:name MATCHES '(a|a)*b']"],
  ['MATCHES nested star (a*)*b', "[file:name MATCHES '(a*)*b']"],
  ['MATCHES anchored alternation ^(a|aa)+$ with a tail', "[file:name MATCHES '^(a|aa)+c$']"],
  ['MATCHES (\\\\w+\\\\s?)*; on words', "[file:name MATCHES '^(\\\\w+\\\\s?)*;$']"],
  ['LIKE %a%a%a%a%a%a%b', "[file:name LIKE '%a%a%a%a%a%a%b']"],
  ['LIKE with _ between %', "[file:name LIKE '%a_a%a_a%a_a%b']"],
];

describe('9.6 LIKE and MATCHES run in linear time', () => {

  for (const [name, pattern] of CATASTROPHIC) {
    it(`${name}: a 60 KB value answers quickly`, { timeout: SUITE_LIMIT_MS }, () => {
      const value = 'a'.repeat(60_000);
      // Baseline in the same run: a plain equality over the same value.
      const baseline = elapsedMs(() => matches("[file:name = 'b']", { type: 'file', name: value }));
      let result = true;
      const ms = elapsedMs(() => {
        result = matches(pattern, { type: 'file', name: value });
      });
      assert.equal(result, false);
      assert.ok(ms < 50 * baseline + 500, `${pattern} took ${ms.toFixed(0)} ms (baseline ${baseline.toFixed(1)} ms)`);
    });
    it(`${name}: a 70-byte line answers at once`, { timeout: SUITE_LIMIT_MS }, () => {
      // A backtracking engine would not answer in a lifetime.
      const ms = elapsedMs(() => assert.equal(matches(pattern, { type: 'file', name: `${'a'.repeat(69)}!` }), false));
      assert.ok(ms < 500, `${pattern} took ${ms.toFixed(0)} ms`);
    });
  }

  it('a value longer than MAX_COMPARED_LENGTH is not compared: LIKE and NOT LIKE are both false', () => {
    const long = { type: 'file', name: 'a'.repeat(MAX_COMPARED_LENGTH + 1) };
    assert.equal(matches("[file:name LIKE '%']", long), false);
    assert.equal(matches("[file:name NOT LIKE 'b%']", long), false);
    assert.equal(matches("[file:name MATCHES 'a']", long), false);
    assert.equal(matches("[file:name NOT MATCHES 'b']", long), false);
    const fits = { type: 'file', name: 'a'.repeat(MAX_COMPARED_LENGTH) };
    assert.equal(matches("[file:name LIKE '%']", fits), true);
    assert.equal(matches("[file:name MATCHES 'a$']", fits), true);
  });

  it('a 1 MB line against every catastrophic pattern answers within a bound', { timeout: SUITE_LIMIT_MS }, () => {
    const line = { type: 'file', name: `${'a'.repeat(1_000_000)}!` };
    const baseline = elapsedMs(() => matches("[file:name = 'b']", line));
    const ms = elapsedMs(() => {
      for (const [, pattern] of CATASTROPHIC) assert.equal(matches(pattern, line), false);
    });
    assert.ok(ms < 50 * baseline + 500, `took ${ms.toFixed(0)} ms (baseline ${baseline.toFixed(1)} ms)`);
  });
});

describe('9.6 LIKE wildcards, compiled without backtracking', () => {
  const cases: readonly (readonly [string, string, boolean])[] = [
    ['%a%b', 'xaxb', true],
    ['%a%b', 'xbxa', false],
    ['a%a', 'a', false],
    ['a%a', 'aa', true],
    ['%ab%ab%', 'abab', true],
    ['%ab%ab%', 'aba', false],
    ['_%_', 'x', false],
    ['_%_', 'xy', true],
    ['%a_c%', 'zzabcaxc', true],
    ['%a_c%', 'zzabbc', false],
    ['a_%_b', 'a\u{1F600}\u{1F600}b', true],
    ['%', '', true],
    ['', '', true],
    ['', 'x', false],
  ];
  for (const [like, text, expected] of cases) {
    it(`'${text}' LIKE '${like}' is ${expected}`, () => assert.equal(compileLike(like)(text), expected));
  }
});

describe('9.6 MATCHES: PCRE syntax on a linear-time engine', () => {
  it('DOTALL is set, as section 9.6 requires: . matches a newline', () => {
    assert.equal(matches("[file:name MATCHES '^first.second$']", { type: 'file', name: 'first\nsecond' }), true);
  });
  it('$ matches before a final newline, as in PCRE', () => {
    assert.equal(matches("[file:name MATCHES '^report$']", { type: 'file', name: 'report\n' }), true);
    assert.equal(matches("[file:name MATCHES '^report\\\\z']", { type: 'file', name: 'report\n' }), false);
    assert.equal(matches("[file:name MATCHES '^report\\\\Z']", { type: 'file', name: 'report\n' }), true);
  });
  const refused: readonly (readonly [string, RegExp])[] = [
    ['(a)\\1', /backreference \\1/],
    ['(?P<x>a)(?P=x)', /backreference \(\?P=name\)/],
    ['(?<n>a)\\k<n>', /backreference \\k/],
    ['a(?=b)', /lookahead/],
    ['a(?!b)', /negative lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(?<!a)b', /negative lookbehind/],
    ['(?>a+)b', /atomic group/],
    ['a*+b', /possessive quantifier/],
    ['a{2}+b', /possessive quantifier/],
    ['(?R)', /recursion/],
    ['(?(1)a|b)', /conditional/],
    ['(?x) a', /inline option \(\?x\)/],
    ['\\K', /match reset/],
    ['a{1001}', /not valid for the linear-time engine/],
  ];
  for (const [regex, reason] of refused) {
    it(`'${regex}' is named as a construct RE2 cannot run`, () => {
      const problem = regexProblem(regex);
      assert.ok(problem !== null && reason.test(problem), `got ${String(problem)}`);
    });
  }
  const accepted = ['(a+)+b', '(?i)report', '(?m)^a$', '\\Qa.b\\E', '(?P<x>a)b', '\\x{e9}', '\\p{L}+', 'a{b}', '[]a]', 'a*?b', 'a+?b', '\\Aa\\z'];
  for (const regex of accepted) {
    it(`'${regex}' runs`, () => assert.equal(regexProblem(regex), null));
  }
});

describe('9.6 LIKE and MATCHES on _bin and _hex properties compare the decoded bytes', () => {
  const bytes = Buffer.from('d4c3b2a1', 'hex');
  const artifact = { type: 'artifact', payload_bin: bytes.toString('base64') };
  const cert = { type: 'x509-certificate', x_fingerprint_hex: 'd4c3b2a1' };
  it('LIKE on a _bin property', () => {
    assert.equal(matches("[artifact:payload_bin LIKE '\u00d4\u00c3%']", artifact), true);
    assert.equal(matches("[artifact:payload_bin LIKE '%\u00b2\u00a1']", artifact), true);
    assert.equal(matches("[artifact:payload_bin LIKE '\u00d4__\u00a1']", artifact), true);
    assert.equal(matches("[artifact:payload_bin LIKE '\u00d5%']", artifact), false);
  });
  it('NOT LIKE on a _bin property holds only when the bytes do not match', () => {
    assert.equal(matches("[artifact:payload_bin NOT LIKE '\u00d4%']", artifact), false);
    assert.equal(matches("[artifact:payload_bin NOT LIKE '\u00d5%']", artifact), true);
  });
  it('MATCHES on a _bin property', () => {
    assert.equal(matches("[artifact:payload_bin MATCHES '^\\\\xd4\\\\xc3']", artifact), true);
    assert.equal(matches("[artifact:payload_bin MATCHES '\\\\xb2\\\\xa1$']", artifact), true);
    assert.equal(matches("[artifact:payload_bin MATCHES '^\\\\xd4.{2}\\\\xa1$']", artifact), true);
    assert.equal(matches("[artifact:payload_bin MATCHES '^\\\\xc3']", artifact), false);
  });
  it('LIKE and MATCHES on a _hex property', () => {
    assert.equal(matches("[x509-certificate:x_fingerprint_hex LIKE '\u00d4%\u00a1']", cert), true);
    assert.equal(matches("[x509-certificate:x_fingerprint_hex LIKE 'd4%']", cert), false);
    assert.equal(matches("[x509-certificate:x_fingerprint_hex MATCHES '^\\\\xd4\\\\xc3\\\\xb2\\\\xa1$']", cert), true);
    assert.equal(matches("[x509-certificate:x_fingerprint_hex NOT MATCHES '^\\\\xd4']", cert), false);
  });
});

describe('ingest refuses MATCHES constants the engine cannot run (9.6)', () => {
  function indicator(pattern: string): Record<string, unknown> {
    return {
      type: 'indicator',
      spec_version: '2.1',
      id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
      created: '2024-03-01T12:00:00.000Z',
      modified: '2024-03-01T12:00:00.000Z',
      pattern,
      pattern_type: 'stix',
      valid_from: '2024-03-01T12:00:00Z',
    };
  }
  it('a backreference is refused with its name and position', () => {
    const result = validateObject(indicator("[file:name MATCHES '(a)\\\\1']"));
    assert.equal(result.ok, false);
    const message = result.ok ? '' : result.errors.map((e) => e.message).join('\n');
    assert.match(message, /MATCHES "\(a\)\\\\1" cannot be evaluated: the regular expression uses a backreference \\1 at character 4/);
  });
  it('a lookahead is refused', () => {
    const result = validateObject(indicator("[file:name MATCHES 'a(?=b)']"));
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : (result.errors[0]?.message ?? ''), /lookahead/);
  });
  it('a catastrophic but linear-runnable pattern is accepted', () => {
    assert.equal(validateObject(indicator("[file:name MATCHES '(a+)+b']")).ok, true);
  });
});
