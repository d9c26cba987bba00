import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { SHARED_CONFORMANCE } from '../../../test/support/paths.js';
import { countSkip } from '../../../test/support/skip.js';
import {
  MAX_NESTING_DEPTH,
  formatPattern,
  parsePattern,
  patternObservableTypes,
  type ComparisonExpression,
  type ObservationExpression,
  type Pattern,
  type PatternSyntaxError,
  type SpecVersion,
} from './index.js';

// ---------------------------------------------------------------------------------------------
// Conformance data (OASIS cti-pattern-validator cases), read from ../shared beside the repo:
// its terms keep it out of the repository. Without it the tests that need it are skipped with
// the reason, except under CI=true, where they fail.

const conformanceDir = path.join(SHARED_CONFORMANCE, 'stix2-patterns');
const conformanceMissing = existsSync(conformanceDir) ? false : `the OASIS pattern cases are not at ${conformanceDir} (kept beside the repository, in ../shared/conformance)`;
if (conformanceMissing && process.env.CI === 'true') throw new Error(`${conformanceMissing} (CI=true: the conformance tests are mandatory)`);
if (conformanceMissing) countSkip('the OASIS conformance cases', conformanceMissing);

interface ConformanceCase {
  pattern: string;
  version: SpecVersion;
  errorKind: string | undefined;
  referenceErrors: string[];
  disagreeing: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function loadCases(file: string): ConformanceCase[] {
  const doc: unknown = JSON.parse(readFileSync(path.join(conformanceDir, file), 'utf8'));
  assert.ok(isRecord(doc) && Array.isArray(doc.cases), `${file}: expected { cases: [...] }`);
  return doc.cases.map((c: unknown, i: number): ConformanceCase => {
    assert.ok(isRecord(c), `${file} case ${i}: not an object`);
    const { pattern, stix_version: version, error_kind: errorKind, reference_errors: refs } = c;
    assert.ok(typeof pattern === 'string', `${file} case ${i}: pattern`);
    assert.ok(version === '2.0' || version === '2.1', `${file} case ${i}: stix_version`);
    assert.ok(errorKind === undefined || typeof errorKind === 'string', `${file} case ${i}: error_kind`);
    const referenceErrors: string[] = [];
    if (Array.isArray(refs)) for (const r of refs) if (typeof r === 'string') referenceErrors.push(r);
    return {
      pattern,
      version,
      errorKind,
      referenceErrors,
      disagreeing: Array.isArray(c.implementations_disagreeing),
    };
  });
}

const validCases = conformanceMissing ? [] : loadCases('patterns-valid.json');
const invalidCases = conformanceMissing ? [] : loadCases('patterns-invalid.json');

// ---------------------------------------------------------------------------------------------
// Helpers

function parseOk(text: string, specVersion: SpecVersion = '2.1'): Pattern {
  const r = parsePattern(text, { specVersion });
  if (!r.ok) {
    assert.fail(`expected STIX ${specVersion} to accept ${JSON.stringify(text)}, got: ${r.error.message} (offset ${r.error.offset})`);
  }
  return r.pattern;
}

function parseErr(text: string, specVersion: SpecVersion = '2.1'): PatternSyntaxError {
  const r = parsePattern(text, { specVersion });
  if (r.ok) assert.fail(`expected STIX ${specVersion} to reject ${JSON.stringify(text)}`);
  return r.error;
}

/** The comparison inside a one-observation pattern `[ ... ]`. */
function comparisonOf(text: string, specVersion: SpecVersion = '2.1'): ComparisonExpression {
  const expr = parseOk(text, specVersion).expression;
  assert.equal(expr.kind, 'observation');
  if (expr.kind !== 'observation') throw new Error('unreachable');
  return expr.comparison;
}

function assertRoundTrip(text: string, specVersion: SpecVersion): void {
  const ast = parseOk(text, specVersion);
  const formatted = formatPattern(ast);
  const again = parsePattern(formatted, { specVersion });
  assert.ok(again.ok, `formatted text does not parse: ${formatted} (from ${text})`);
  assert.deepStrictEqual(again.pattern, ast, `round trip changed the tree: ${text} -> ${formatted}`);
}

/** line/column computed independently of the parser. */
function expectedPosition(text: string, offset: number): { line: number; column: number } {
  const lines = text.slice(0, offset).split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

const SHA256 = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f';
const str = (value: string) => ({ kind: 'string', value }) as const;
const int = (text: string) => ({ kind: 'integer', value: Number(text), text }) as const;
const prop = (name: string) => ({ kind: 'property', name }) as const;
const obs = (comparison: ComparisonExpression): ObservationExpression => ({ kind: 'observation', comparison });
const eq = (objectType: string, name: string, value: number) =>
  ({
    kind: 'comparison',
    path: { objectType, steps: [prop(name)] },
    negated: false,
    operator: '=',
    value: int(String(value)),
  }) as const;

// ---------------------------------------------------------------------------------------------

describe('stix2-patterns conformance (OASIS reference validator cases)', { skip: conformanceMissing }, () => {
  const by = (cases: ConformanceCase[], version: SpecVersion) => cases.filter((c) => c.version === version);

  for (const version of ['2.1', '2.0'] as const) {
    it(`accepts every valid STIX ${version} case`, (t) => {
      const cases = by(validCases, version);
      assert.ok(cases.length > 0);
      const rejected = cases
        .map((c) => ({ c, r: parsePattern(c.pattern, { specVersion: version }) }))
        .filter(({ r }) => !r.ok)
        .map(({ c, r }) => `${c.pattern}  ->  ${r.ok ? '' : r.error.message}`);
      t.diagnostic(`${version} valid: ${cases.length - rejected.length}/${cases.length} accepted`);
      assert.deepStrictEqual(rejected, []);
    });

    it(`rejects every invalid STIX ${version} case`, (t) => {
      const cases = by(invalidCases, version);
      assert.ok(cases.length > 0);
      const accepted = cases.filter((c) => parsePattern(c.pattern, { specVersion: version }).ok).map((c) => c.pattern);
      t.diagnostic(`${version} invalid: ${cases.length - accepted.length}/${cases.length} rejected`);
      assert.deepStrictEqual(accepted, []);
    });
  }

  it('reports syntax errors at the position the reference parser reports', () => {
    let compared = 0;
    for (const c of invalidCases) {
      if (c.errorKind !== 'syntax') continue;
      const m = /line (\d+):(\d+)/.exec(c.referenceErrors[0] ?? '');
      assert.ok(m, `no position in reference error for ${c.pattern}`);
      const err = parseErr(c.pattern, c.version);
      assert.equal(err.line, Number(m[1]), c.pattern);
      assert.equal(err.offset, Number(m[2]), `${c.pattern}: ${err.message}`);
      assert.equal(err.column, Number(m[2]) + 1, c.pattern);
      compared++;
    }
    assert.ok(compared >= 40);
  });

  it('reports the semantic errors the reference reports', () => {
    for (const c of invalidCases) {
      if (c.errorKind !== 'semantic') continue;
      const err = parseErr(c.pattern, c.version);
      const ref = c.referenceErrors[0] ?? '';
      const hash = /'(.*)' is not a valid (\S+) hash/.exec(ref);
      const dup = /Duplicate qualifier type encountered: (\w+)/.exec(ref);
      if (hash) {
        assert.ok(err.message.includes(`'${hash[1]}' is not a valid ${hash[2]} hash`), err.message);
      } else if (dup) {
        const name = dup[1] === 'STARTSTOP' ? 'START/STOP' : (dup[1] ?? '');
        assert.ok(err.message.startsWith(`duplicate ${name} qualifier`), err.message);
      } else {
        assert.fail(`unrecognised reference error: ${ref}`);
      }
    }
  });

  it('accepts the STIX 2.0 START/STOP timestamp-literal cases the reference (ANTLR 4.7.2 build) accepts', () => {
    // The released stix2-patterns 2.0.0 parser rejects t'...' bounds under 2.0 (its 2.0 grammar
    // wants plain strings); the conformance file records them as valid. Both forms are accepted
    // for 2.0 content, since ingest should not drop 2.0 indicators over the literal form.
    const disagreeing = validCases.filter((c) => c.disagreeing);
    assert.ok(disagreeing.length > 0);
    for (const c of disagreeing) parseOk(c.pattern, c.version);
    parseOk("[file:name = 'x'] START '2016-01-01T00:00:00Z' STOP '2016-02-01T00:00:00Z'", '2.0');
  });

  it('round-trips every valid case through formatPattern', () => {
    for (const c of validCases) assertRoundTrip(c.pattern, c.version);
  });
});

// ---------------------------------------------------------------------------------------------

describe('AST shapes', () => {
  it('builds the tree for a hash comparison', () => {
    assert.deepStrictEqual(parseOk(`[file:hashes.'SHA-256' = '${SHA256}']`), {
      kind: 'pattern',
      expression: {
        kind: 'observation',
        comparison: {
          kind: 'comparison',
          path: { objectType: 'file', steps: [prop('hashes'), prop('SHA-256')] },
          negated: false,
          operator: '=',
          value: str(SHA256),
        },
      },
    });
  });

  it('maps every comparison operator, including == and <>', () => {
    const cases: [string, string][] = [
      ['=', '='],
      ['==', '='],
      ['!=', '!='],
      ['<>', '!='],
      ['<', '<'],
      ['<=', '<='],
      ['>', '>'],
      ['>=', '>='],
    ];
    for (const [written, operator] of cases) {
      const c = comparisonOf(`[x:a ${written} 5]`);
      assert.equal(c.kind === 'comparison' && c.operator, operator, written);
    }
    for (const op of ['LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET'] as const) {
      assert.deepStrictEqual(comparisonOf(`[x:a ${op} 'v']`), {
        kind: 'comparison',
        path: { objectType: 'x', steps: [prop('a')] },
        negated: false,
        operator: op,
        value: str('v'),
      });
    }
    assert.deepStrictEqual(comparisonOf("[x:a IN ('a', 'b')]"), {
      kind: 'comparison',
      path: { objectType: 'x', steps: [prop('a')] },
      negated: false,
      operator: 'IN',
      value: { kind: 'set', values: [str('a'), str('b')] },
    });
    const empty = comparisonOf('[x:a IN ()]');
    assert.deepStrictEqual(empty.kind === 'comparison' && empty.value, { kind: 'set', values: [] });
  });

  it('records NOT before any operator', () => {
    for (const op of ['=', '!=', '<', '>=', "IN ('a')", "LIKE 'a%'", "MATCHES '^a'", "ISSUBSET '10.0.0.0/8'"]) {
      const text = op.includes("'") ? `[x:a NOT ${op}]` : `[x:a NOT ${op} 1]`;
      const c = comparisonOf(text);
      assert.ok(c.kind === 'comparison' && c.negated, text);
    }
    assert.match(parseErr('[x:a NOT 1]').message, /expected a comparison operator after NOT, found number 1/);
    assert.match(parseErr('[NOT x:a = 1]').message, /expected EXISTS after NOT, found identifier 'x'/);
    assert.match(parseErr('[NOT x:a = 1]', '2.0').message, /found keyword 'NOT'/);
  });

  it('parses EXISTS in 2.1 only', () => {
    assert.deepStrictEqual(comparisonOf('[EXISTS windows-registry-key:values[*].name]'), {
      kind: 'exists',
      negated: false,
      path: { objectType: 'windows-registry-key', steps: [prop('values'), { kind: 'anyIndex' }, prop('name')] },
    });
    assert.match(parseErr('[EXISTS x:a]', '2.0').message, /EXISTS is only available in STIX 2.1/);
    // Not a keyword in 2.0, so it is an ordinary name there.
    parseOk('[x:EXISTS = 1]', '2.0');
    assert.match(parseErr('[x:EXISTS = 1]', '2.1').message, /quote it as 'EXISTS'/);
  });

  it('applies observation precedence FOLLOWEDBY < OR < AND, flattening same-operator chains', () => {
    const a = obs(eq('a', 'v', 1));
    const b = obs(eq('b', 'v', 2));
    const c = obs(eq('c', 'v', 3));
    const d = obs(eq('d', 'v', 4));
    const e = obs(eq('e', 'v', 5));
    const tree = parseOk('[a:v=1] AND [b:v=2] OR [c:v=3] FOLLOWEDBY [d:v=4] AND [e:v=5] FOLLOWEDBY [a:v=1]');
    assert.deepStrictEqual(tree.expression, {
      kind: 'observationBinary',
      operator: 'FOLLOWEDBY',
      operands: [
        {
          kind: 'observationBinary',
          operator: 'OR',
          operands: [{ kind: 'observationBinary', operator: 'AND', operands: [a, b] }, c],
        },
        { kind: 'observationBinary', operator: 'AND', operands: [d, e] },
        a,
      ],
    });
    const grouped = parseOk('[a:v=1] AND ([b:v=2] OR [c:v=3])');
    assert.deepStrictEqual(grouped.expression, {
      kind: 'observationBinary',
      operator: 'AND',
      operands: [a, { kind: 'observationGroup', expression: { kind: 'observationBinary', operator: 'OR', operands: [b, c] } }],
    });
  });

  it('applies comparison precedence OR < AND and keeps parentheses', () => {
    assert.deepStrictEqual(comparisonOf('[a:v=1 OR b:v=2 AND c:v=3 AND d:v=4]'), {
      kind: 'comparisonBinary',
      operator: 'OR',
      operands: [
        eq('a', 'v', 1),
        { kind: 'comparisonBinary', operator: 'AND', operands: [eq('b', 'v', 2), eq('c', 'v', 3), eq('d', 'v', 4)] },
      ],
    });
    assert.deepStrictEqual(comparisonOf('[(a:v=1 OR b:v=2) AND c:v=3]'), {
      kind: 'comparisonBinary',
      operator: 'AND',
      operands: [
        { kind: 'comparisonGroup', expression: { kind: 'comparisonBinary', operator: 'OR', operands: [eq('a', 'v', 1), eq('b', 'v', 2)] } },
        eq('c', 'v', 3),
      ],
    });
  });

  it('collects several qualifiers in order', () => {
    const tree = parseOk("[a:v=1] REPEATS 5 TIMES WITHIN 1800.5 SECONDS START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.5Z'");
    assert.deepStrictEqual(tree.expression, {
      kind: 'qualified',
      expression: obs(eq('a', 'v', 1)),
      qualifiers: [
        { kind: 'repeats', times: int('5') },
        { kind: 'within', seconds: { kind: 'float', value: 1800.5, text: '1800.5' } },
        {
          kind: 'startStop',
          start: { kind: 'timestamp', value: '2016-06-01T00:00:00Z' },
          stop: { kind: 'timestamp', value: '2016-07-01T00:00:00.5Z' },
        },
      ],
    });
    // Qualifiers bind to the nearest observation, tighter than AND.
    const and = parseOk('[a:v=1] WITHIN 5 SECONDS AND [b:v=2]').expression;
    assert.ok(and.kind === 'observationBinary' && and.operands[0]?.kind === 'qualified');
  });

  it('validates qualifier values', () => {
    assert.match(parseErr('[a:v=1] REPEATS 0 TIMES').message, /REPEATS requires a positive integer, found 0/);
    assert.match(parseErr('[a:v=1] REPEATS 1.5 TIMES').message, /expected a positive integer after REPEATS/);
    assert.match(parseErr('[a:v=1] REPEATS -2 TIMES').message, /expected a positive integer after REPEATS/);
    assert.match(parseErr('[a:v=1] WITHIN 0 SECONDS').message, /positive number of seconds, found 0/);
    assert.match(parseErr('[a:v=1] WITHIN 0.000 SECONDS').message, /positive number of seconds, found 0.000/);
    parseOk('[a:v=1] WITHIN 0.25 SECONDS');
    parseOk('[a:v=1] WITHIN +3 SECONDS');
    assert.match(parseErr('[a:v=1] WITHIN 5').message, /expected SECONDS after WITHIN 5.*found end of pattern/);
    assert.match(parseErr('[a:v=1] REPEATS 5').message, /expected TIMES after REPEATS 5/);
  });

  it('checks START/STOP bounds', () => {
    const ok = "[a:v=1] START t'2016-06-01T00:00:00Z' STOP t'2016-06-01T00:00:00.001Z'";
    parseOk(ok);
    const plain = "[a:v=1] START '2016-06-01T00:00:00Z' STOP '2016-07-01T00:00:00Z'";
    assert.match(parseErr(plain, '2.1').message, /timestamp literal after START.*STIX 2\.0 syntax/);
    const v20 = parseOk(plain, '2.0').expression;
    assert.deepStrictEqual(v20.kind === 'qualified' && v20.qualifiers[0], {
      kind: 'startStop',
      start: str('2016-06-01T00:00:00Z'),
      stop: str('2016-07-01T00:00:00Z'),
    });
    assert.match(parseErr("[a:v=1] START 'yesterday' STOP '2016-07-01T00:00:00Z'", '2.0').message, /invalid START timestamp 'yesterday'/);
    assert.match(parseErr("[a:v=1] START t'2016-06-01T00:00:00Z' t'2016-07-01T00:00:00Z'").message, /expected STOP/);
  });

  it('rejects a repeated qualifier type on one bracketed observation in 2.1 only', () => {
    const err = parseErr('[a:v=1] WITHIN 5 SECONDS REPEATS 2 TIMES WITHIN 6 SECONDS');
    assert.match(err.message, /^duplicate WITHIN qualifier/);
    assert.equal(err.offset, '[a:v=1] WITHIN 5 SECONDS REPEATS 2 TIMES '.length);
    parseOk('([a:v=1]) WITHIN 5 SECONDS WITHIN 6 SECONDS');
    parseOk('([a:v=1] WITHIN 5 SECONDS) WITHIN 6 SECONDS');
    parseOk('[a:v=1] WITHIN 5 SECONDS REPEATS 2 TIMES WITHIN 6 SECONDS', '2.0');
  });

  it('parses object paths: quoted steps, indexes, [*], references, hyphenated and numeric types', () => {
    const pathOf = (text: string) => {
      const c = comparisonOf(text);
      assert.ok(c.kind === 'comparison');
      return c.path;
    };
    assert.deepStrictEqual(pathOf("[email-message:body_multipart[*].body_raw_ref.name = 'x']"), {
      objectType: 'email-message',
      steps: [prop('body_multipart'), { kind: 'anyIndex' }, prop('body_raw_ref'), prop('name')],
    });
    assert.deepStrictEqual(pathOf("[network-traffic:extensions.'http-request-ext'.request_method = 'get']"), {
      objectType: 'network-traffic',
      steps: [prop('extensions'), prop('http-request-ext'), prop('request_method')],
    });
    assert.deepStrictEqual(pathOf("[obj-type:a.b[*][1].'c-d'[-1][+2] = 'x']"), {
      objectType: 'obj-type',
      steps: [prop('a'), prop('b'), { kind: 'anyIndex' }, { kind: 'index', index: 1 }, prop('c-d'), { kind: 'index', index: -1 }, { kind: 'index', index: 2 }],
    });
    assert.deepStrictEqual(pathOf("[x509-certificate:'odd name'.'it''s'.x = 1]".replace("'it''s'", "'it\\'s'")), {
      objectType: 'x509-certificate',
      steps: [prop('odd name'), prop("it's"), prop('x')],
    });
    assert.deepStrictEqual(pathOf("[ipv4-addr:value = '198.51.100.0/24']"), { objectType: 'ipv4-addr', steps: [prop('value')] });
    assert.match(parseErr('[file:extensions.ntfs-ext.sid = 1]').message, /property name 'ntfs-ext' contains '-': quote it/);
    assert.match(parseErr('[file:name[1.5] = 1]').message, /expected a list index/);
    assert.match(parseErr('[file:name[0 = 1]').message, /expected ']' to close the list index/);
    assert.match(parseErr('[file:IN = 1]').message, /found keyword 'IN' \(quote it as 'IN'/);
    parseOk("[file:'IN' = 1]");
    assert.match(parseErr('[file = 1]').message, /expected ':' after object type 'file'/);
    assert.match(parseErr("['file':name = 1]").message, /expected a comparison/);
  });

  it('decodes every literal kind', () => {
    const valueOf = (text: string) => {
      const c = comparisonOf(`[x:a = ${text}]`);
      assert.ok(c.kind === 'comparison');
      return c.value;
    };
    assert.deepStrictEqual(valueOf("'it\\'s a \\\\ path'"), str("it's a \\ path"));
    assert.deepStrictEqual(valueOf("''"), str(''));
    assert.deepStrictEqual(valueOf("'multi\nline'"), str('multi\nline'));
    assert.deepStrictEqual(valueOf('42'), int('42'));
    assert.deepStrictEqual(valueOf('+42'), int('42'));
    assert.deepStrictEqual(valueOf('-42'), int('-42'));
    assert.deepStrictEqual(valueOf('0'), int('0'));
    assert.deepStrictEqual(valueOf('123456789012345678901234567890'), {
      kind: 'integer',
      value: Number('123456789012345678901234567890'),
      text: '123456789012345678901234567890',
    });
    assert.deepStrictEqual(valueOf('3.25'), { kind: 'float', value: 3.25, text: '3.25' });
    assert.deepStrictEqual(valueOf('-.5'), { kind: 'float', value: -0.5, text: '-0.5' });
    assert.deepStrictEqual(valueOf('+007.50'), { kind: 'float', value: 7.5, text: '7.50' });
    assert.deepStrictEqual(valueOf('true'), { kind: 'boolean', value: true });
    assert.deepStrictEqual(valueOf('false'), { kind: 'boolean', value: false });
    assert.deepStrictEqual(valueOf("h'ffD8'"), { kind: 'hex', value: 'ffD8' });
    assert.deepStrictEqual(valueOf("h''"), { kind: 'hex', value: '' });
    assert.deepStrictEqual(valueOf("b'dGhpcyBpcyBhIHRlc3Q='"), { kind: 'binary', value: 'dGhpcyBpcyBhIHRlc3Q=' });
    assert.deepStrictEqual(valueOf("b'AA=='"), { kind: 'binary', value: 'AA==' });
    assert.deepStrictEqual(valueOf("t'2016-12-31T23:59:60.123456Z'"), { kind: 'timestamp', value: '2016-12-31T23:59:60.123456Z' });
  });

  it('rejects malformed literals with specific messages', () => {
    const cases: [string, RegExp][] = [
      ["'a\\d'", /invalid escape sequence '\\d'/],
      ["'abc", /unterminated string literal/],
      ['007', /invalid number 007: integers must not have leading zeros/],
      ['1.', /expected ']'.*found '\.'/],
      ['1e5', /found identifier 'e5'/],
      ["h'abc'", /even number of hex digits/],
      ["h'zz'", /'z' is not a hexadecimal digit/],
      ["b''", /b'' is empty/],
      ["b'abc'", /4-character groups/],
      ["b'ab=c'", /'=' padding may only end the value/],
      ["b'a-bc'", /'-' is not a base64 character/],
      ["t'2016-01-01T00:00:00'", /time zone must be an upper-case 'Z'/],
      ["t'2016-01-01 00:00:00Z'", /separated by an upper-case 'T'/],
      ["t'2016-01-01T00:00:00+01:00'", /time zone must be an upper-case 'Z'/],
      ["t'2016-01-01T00:00:00.Z'", /'\.' must be followed by digits/],
      ["t'2016-01-01T00:00:00z'", /upper-case 'Z'/],
      ['True', /booleans are lower case: did you mean 'true'/],
      ['"abc"', /unexpected character '"' \(string literals use single quotes\)/],
      ['-', /unexpected character '-'/],
    ];
    for (const [lit, re] of cases) assert.match(parseErr(`[x:a = ${lit}]`).message, re, lit);
    assert.match(parseErr('[x:a < true]').message, /booleans cannot be ordered/);
    assert.match(parseErr('[x:a LIKE 5]').message, /expected a string literal after LIKE, found number 5/);
  });

  it('treats keywords as case-sensitive', () => {
    assert.match(parseErr('[a:v=1] and [b:v=2]').message, /identifier 'and' \(keywords are case-sensitive: did you mean 'AND'\?\)/);
    assert.match(parseErr('[a:v like 1]').message, /did you mean 'LIKE'/);
    parseOk('[a:and = 1]'); // lower-case words are ordinary names
  });

  it('skips the grammar whitespace and comments', () => {
    const spaced = parseOk("\u00a0[\tfile:name\u2003=\u3000'x'\r\n]\u2028 /* block\n comment */ AND // line comment\n [file:size > 1]");
    assert.deepStrictEqual(spaced, parseOk("[file:name = 'x'] AND [file:size > 1]"));
    assert.match(parseErr("[file:name = 'x'] /* open").message, /unterminated comment/);
  });

  it('validates hash values under ...hashes.<algorithm>', () => {
    parseOk(`[file:hashes.'SHA-256' = '${SHA256}']`);
    parseOk(`[file:hashes.sha256 != '${SHA256.toUpperCase()}']`);
    parseOk("[file:hashes[*] = '8665c8d477534008b3058b72e2dae8ae']");
    parseOk("[file:hashes.'x-custom' = 'anything']");
    parseOk("[file:hashes.MD5 LIKE 'cead3f%']"); // LIKE / MATCHES values are patterns, not hashes
    parseOk("[file:hashes.ssdeep = '96:abc+/:def.']");
    parseOk(`[file:extensions.'ntfs-ext'.alternate_data_streams[0].hashes.'SHA-256' = '${SHA256}']`);
    const cases: [string, RegExp][] = [
      ["[file:hashes.MD5 = 'xyz']", /^'xyz' is not a valid MD5 hash \(expected 32 hexadecimal characters\)/],
      [`[file:hashes.'SHA-1' IN ('${SHA256.slice(0, 40)}', 'nope')]`, /'nope' is not a valid SHA-1 hash/],
      ["[file:hashes.MD5 = 5]", /hash values for MD5 must be string literals, found an integer/],
      ["[file:hashes.'SHA3-512' > 'ab']", /not a valid SHA3-512 hash/],
    ];
    for (const [text, re] of cases) assert.match(parseErr(text).message, re, text);
    const text = `[file:hashes.'SHA-1' IN ('${SHA256.slice(0, 40)}', 'nope')]`;
    assert.equal(parseErr(text).offset, text.indexOf("'nope'"));
  });

  it('accepts mixed object types inside one observation (as the reference does)', () => {
    const tree = parseOk("[network-traffic:src_port = 37020 AND user-account:user_id = 'root']");
    assert.deepStrictEqual(patternObservableTypes(tree), ['network-traffic', 'user-account']);
  });

  it('lists the distinct observable types', () => {
    const tree = parseOk(
      "([file:name = 'a'] AND [ipv4-addr:value = '10.0.0.1'] OR [file:size > 1]) FOLLOWEDBY [(EXISTS process:pid OR ipv4-addr:value = '10.0.0.2')] WITHIN 5 SECONDS",
    );
    assert.deepStrictEqual(patternObservableTypes(tree), ['file', 'ipv4-addr', 'process']);
  });

  it('bounds nesting depth', () => {
    const deep = (n: number) => `${'('.repeat(n)}[a:v=1]${')'.repeat(n)}`;
    parseOk(deep(MAX_NESTING_DEPTH - 1));
    assert.match(parseErr(deep(100_000)).message, /nested more than 256 deep/);
    const deepCmp = `[${'('.repeat(100_000)}a:v=1${')'.repeat(100_000)}]`;
    assert.match(parseErr(deepCmp).message, /nested more than/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('STIX 2.1 rules beyond the reference cases', () => {
  it('accepts NOT EXISTS (9.6.1: a comparison operator MAY be preceded by NOT; the grammar has NOT? EXISTS)', () => {
    assert.deepStrictEqual(comparisonOf('[NOT EXISTS windows-registry-key:values]'), {
      kind: 'exists',
      negated: true,
      path: { objectType: 'windows-registry-key', steps: [prop('values')] },
    });
    assert.deepStrictEqual(comparisonOf('[EXISTS file:name]'), {
      kind: 'exists',
      negated: false,
      path: { objectType: 'file', steps: [prop('name')] },
    });
    assertRoundTrip("[file:name = 'a' AND NOT EXISTS file:size]", '2.1');
    assert.equal(formatPattern(parseOk('[ NOT  EXISTS file:size ]')), '[NOT EXISTS file:size]');
    assert.match(parseErr('[NOT file:name = 1]').message, /expected EXISTS after NOT/);
    assert.match(parseErr('[NOT EXISTS x:a]', '2.0').message, /EXISTS is only available in STIX 2.1/);
  });

  it('accepts START at or after STOP (9.5.1 only says observations must lie in [START, STOP))', () => {
    for (const text of [
      "[a:v=1] START t'2016-06-01T00:00:00Z' STOP t'2016-06-01T00:00:00Z'",
      "[a:v=1] START t'2017-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'",
    ]) {
      const q = parseOk(text).expression;
      assert.ok(q.kind === 'qualified' && q.qualifiers[0]?.kind === 'startStop', text);
      assertRoundTrip(text, '2.1');
    }
    parseOk("[a:v=1] START '2017-01-01T00:00:00Z' STOP '2016-01-01T00:00:00Z'", '2.0');
  });

  it('rejects IN sets whose constants are not of one type (9.6.1: "constants of homogeneous data type")', () => {
    for (const [text, found] of [
      ["[file:name IN ('a', 1)]", 'an integer'],
      ['[file:size IN (1, 2.5)]', 'a float'],
      ["[file:x_bin IN (h'00', b'AA==')]", 'a binary literal'],
      ["[file:ctime IN (t'2016-01-01T00:00:00Z', '2016-01-01T00:00:00Z')]", 'a string'],
      ["[file:x IN (true, 'true')]", 'a string'],
    ] as const) {
      const err = parseErr(text);
      assert.match(err.message, new RegExp(`IN set mixes types: .* and ${found}; all values of a set must be of one type`), text);
      assert.equal(text.slice(err.offset, err.offset + 1), text.slice(text.indexOf(',') + 2, text.indexOf(',') + 3), text);
    }
    parseOk("[file:name IN ('a', 'b', 'c')]");
    parseOk('[file:size IN (1, 2, -3)]');
    parseOk('[file:size IN (1.5, 2.0)]');
    parseOk("[file:x_hex IN (h'00', h'ff')]");
    parseOk('[file:name IN ()]');
  });
});

describe('errors', () => {
  it('reports line, column and offset in a multi-line pattern', () => {
    const text = "[file:name = 'a.exe']\nAND [file:size > 10\n  FOLLOWEDBY [x:y = 1]";
    const err = parseErr(text);
    const offset = text.indexOf('FOLLOWEDBY');
    assert.deepStrictEqual(err, {
      message: "expected ']' to close the observation expression opened at line 2, column 5 (or AND / OR to extend it), found keyword 'FOLLOWEDBY'",
      line: 3,
      column: 3,
      offset,
    });
  });

  it('says what was expected and what was found', () => {
    const cases: [string, string, number][] = [
      ["[file:name = 'x'", "expected ']' to close the observation expression opened at column 1 (or AND / OR to extend it), found end of pattern", 16],
      ['', 'empty pattern', 0],
      ['   ', 'empty pattern', 3],
      ['[]', 'empty observation expression', 1],
      ["([file:name = 'x']", "expected ')' to close the parenthesized observation expression opened at column 1, found end of pattern", 18],
      ["[(file:name = 'x']", "expected ')' to close the parenthesized comparison opened at column 2 (or AND / OR to extend it), found ']'", 17],
      ["[file:name = 'x'] [file:size = 1]", "expected AND, OR, FOLLOWEDBY, a qualifier (WITHIN, REPEATS, START) or end of pattern, found '['", 18],
      ["[file:name = 'x'] AND", "expected an observation expression ('[' or '('), found end of pattern", 21],
      ["[file:name[*].x 'x']", 'expected a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET, or NOT before one) after file:name[*].x, found string', 16],
      ['[file:size IN 1, 2]', "expected '(' to start the set of values after IN, found number 1", 14],
      ['[file:size IN (1 2)]', "expected ',' or ')' in the set opened at column 15, found number 2", 17],
      ["[file:name = 'a' AND]", 'expected a comparison: an object path (e.g. file:name), EXISTS or', 20],
    ];
    for (const [text, message, offset] of cases) {
      const err = parseErr(text);
      assert.ok(err.message.startsWith(message), `${JSON.stringify(text)}: ${err.message}`);
      assert.equal(err.offset, offset, `${JSON.stringify(text)}: ${err.message}`);
      assert.deepStrictEqual({ line: err.line, column: err.column }, expectedPosition(text, offset));
    }
  });

  it('points at the opening quote of an unterminated string on a later line', () => {
    const text = "[file:name = 'a']\n  AND [file:path = 'C:\\\\x]";
    const err = parseErr(text);
    assert.equal(err.message, 'unterminated string literal: no closing quote');
    assert.deepStrictEqual([err.line, err.column, err.offset], [2, 20, text.lastIndexOf("'")]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('formatPattern', () => {
  it('produces canonical text', () => {
    const cases: [string, string][] = [
      ['[foo:bar NOT !=1 OR bar:foo<12.3]', '[foo:bar NOT != 1 OR bar:foo < 12.3]'],
      [
        '( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])',
        '([(network-traffic:dst_port IN (443, 6443, 8443) AND network-traffic:src_packets != 0)])',
      ],
      ["[x:a == +.5 AND x:'b' <> 'it\\'s' /* c */]", "[x:a = 0.5 AND x:b != 'it\\'s']"],
      ["[x:'true'.'a b'.'IN'[*][-3] = h'00']", "[x:'true'.'a b'.'IN'[*][-3] = h'00']"],
      [
        "[a:v=1] REPEATS +2 TIMES   WITHIN 00.10 SECONDS START t'2016-06-01T00:00:00Z' STOP t'2016-06-02T00:00:00Z'",
        "[a:v = 1] REPEATS 2 TIMES WITHIN 0.10 SECONDS START t'2016-06-01T00:00:00Z' STOP t'2016-06-02T00:00:00Z'",
      ],
      ['[EXISTS a:b.c]', '[EXISTS a:b.c]'],
    ];
    for (const [input, expected] of cases) assert.equal(formatPattern(parseOk(input)), expected, input);
    assert.equal(
      formatPattern(parseOk("[a:v=1] START '2016-06-01T00:00:00Z' STOP '2016-06-02T00:00:00Z'", '2.0')),
      "[a:v = 1] START '2016-06-01T00:00:00Z' STOP '2016-06-02T00:00:00Z'",
    );
  });

  it('parenthesizes hand-built trees where precedence requires it', () => {
    const a = obs(eq('a', 'v', 1));
    const b = obs(eq('b', 'v', 2));
    const pattern: Pattern = {
      kind: 'pattern',
      expression: {
        kind: 'observationBinary',
        operator: 'AND',
        operands: [{ kind: 'observationBinary', operator: 'OR', operands: [a, b] }, a],
      },
    };
    assert.equal(formatPattern(pattern), '([a:v = 1] OR [b:v = 2]) AND [a:v = 1]');
  });
});

// ---------------------------------------------------------------------------------------------

const TOKENS = [
  '[', ']', '(', ')', "'", ':', '.', ',', '=', '!=', '<', '>=', '*', ' ', '\n', '\\', '-', '+', '0', '7', '1.5',
  'a', 'file', 'name', 'hashes', "'SHA-256'", 'x-y', 't', 'h', 'b', 'AND', 'OR', 'NOT', 'FOLLOWEDBY', 'IN', 'LIKE',
  'MATCHES', 'EXISTS', 'WITHIN', 'SECONDS', 'REPEATS', 'TIMES', 'START', 'STOP', 'true', "'x'", "t'2016-01-01T00:00:00Z'",
  "h'ab'", "b'AAAA'", '/*', '*/', '//', '"', '\u2028', '\u{1F600}',
];

function checkResult(text: string, specVersion: SpecVersion): void {
  const r = parsePattern(text, { specVersion });
  if (r.ok) {
    const formatted = formatPattern(r.pattern);
    const again = parsePattern(formatted, { specVersion });
    assert.ok(again.ok, `formatted text does not parse: ${formatted}`);
    assert.deepStrictEqual(again.pattern, r.pattern);
    return;
  }
  const { message, offset, line, column } = r.error;
  assert.ok(message.length > 0 && !message.startsWith('internal'), message);
  assert.ok(Number.isInteger(offset) && offset >= 0 && offset <= text.length, `offset ${offset}`);
  assert.deepStrictEqual({ line, column }, expectedPosition(text, offset));
}

describe('robustness (property-based)', () => {
  const versions = fc.constantFrom<SpecVersion>('2.0', '2.1');

  it('never throws on random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), versions, (text, v) => checkResult(text, v)),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }), versions, (parts, v) => checkResult(parts.join(''), v)),
      { numRuns: 1000 },
    );
  });

  it('never throws on mutations of valid patterns, and round-trips whatever it accepts', { skip: conformanceMissing }, () => {
    const edit = fc.record({
      at: fc.nat(),
      remove: fc.nat({ max: 6 }),
      insert: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ unit: 'binary', maxLength: 3 })),
    });
    fc.assert(
      fc.property(fc.constantFrom(...validCases), fc.array(edit, { minLength: 1, maxLength: 4 }), (c, edits) => {
        let text = c.pattern;
        for (const { at, remove, insert } of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert + text.slice(i + remove);
        }
        checkResult(text, c.version);
      }),
      { numRuns: 2500 },
    );
  });
});
