/**
 * LIKE and MATCHES (STIX 2.1 section 9.6, comparison operators) with linear-time guarantees.
 *
 * MATCHES takes PCRE syntax; it runs on RE2 (the re2js port), which matches in time linear in the
 * input and therefore cannot run the PCRE constructs that need backtracking: backreferences,
 * lookahead and lookbehind, atomic groups, possessive quantifiers, recursion, conditionals and
 * callouts. `regexProblem` names such a construct so that ingest can refuse the pattern; the
 * evaluator treats a pattern it cannot compile as never decided (false, NOT included).
 *
 * Translated so that RE2 behaves as PCRE: the DOTALL option is always set, as section 9.6
 * requires; `$` (without `(?m)`) and `\Z` match at the end or before a final newline, as in
 * PCRE (written `(?:\n?\z)`, so the final newline is part of the match). RE2 reads the rest of
 * PCRE's common syntax itself: inline flags, `\A`, `\z`, `\Q...\E`, `\x{hhhh}`, `\p{..}`, named
 * groups `(?P<n>..)` and `(?<n>..)`, a brace that is no quantifier as a literal.
 *
 * LIKE is compiled to a matcher of its own: the text between `%` wildcards is found leftmost,
 * one piece after the other, which never backtracks (at most input length x pattern length
 * steps).
 *
 * Every compared value is bounded: text longer than MAX_COMPARED_LENGTH UTF-16 code units is not
 * compared (the comparison is false, NOT included), so one evaluation costs at most a few
 * milliseconds whatever the log holds.
 */

import { RE2JS } from 're2js';

import type { ComparisonExpression, ObservationExpression, Pattern } from './ast.js';

/** Longest value (UTF-16 code units) that LIKE and MATCHES compare; longer ones are never decided. */
export const MAX_COMPARED_LENGTH = 65_536;

/** A compiled LIKE or MATCHES constant, applied to one value (already NFC-normalised text, or bytes as U+0000-U+00FF). */
export type TextMatcher = (text: string) => boolean;

// ---------------------------------------------------------------------------------------------
// MATCHES

const LOOKAROUND: Readonly<Record<string, string>> = {
  '(?=': 'a lookahead (?=...)',
  '(?!': 'a negative lookahead (?!...)',
  '(?<=': 'a lookbehind (?<=...)',
  '(?<!': 'a negative lookbehind (?<!...)',
  '(*pla:': 'a lookahead (*pla:...)',
  '(*positive_lookahead:': 'a lookahead',
  '(*nla:': 'a negative lookahead (*nla:...)',
  '(*plb:': 'a lookbehind (*plb:...)',
  '(*nlb:': 'a negative lookbehind (*nlb:...)',
};

const GROUP_CONSTRUCTS: readonly (readonly [RegExp, string])[] = [
  [/^\(\?>/, 'an atomic group (?>...)'],
  [/^\(\?P=/, 'a backreference (?P=name)'],
  [/^\(\?P>/, 'a recursion (?P>name)'],
  [/^\(\?(?:R|[+-]?\d+|&)/, 'a recursion or subroutine call (?R), (?1), (?&name)'],
  [/^\(\?\(/, 'a conditional group (?(...)...)'],
  [/^\(\?C/, 'a callout (?C...)'],
  [/^\(\?\|/, 'a branch reset group (?|...)'],
  [/^\(\?#/, 'a comment group (?#...)'],
  [/^\(\*/, 'a backtracking control verb (*...)'],
];

interface Translation {
  readonly source: string;
  readonly problem: string | undefined;
}

function construct(what: string, at: number): Translation {
  return {
    source: '',
    problem: `the regular expression uses ${what} at character ${at + 1}; MATCHES runs on a linear-time engine (RE2) that cannot run it: rewrite the expression without it`,
  };
}

/** PCRE text as RE2 text, or the first construct RE2 cannot run. */
function translate(pattern: string): Translation {
  const multiline = /\(\?[a-zA-Z]*m[a-zA-Z]*(?:-[a-zA-Z]*)?[:)]/.test(pattern);
  let out = '';
  let inClass = false;
  let classStart = -1;
  let lastWasQuantifier = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? '';
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return { source: '', problem: 'the regular expression ends with a lone backslash: escape it as \\\\' };
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end < 0 ? pattern.length : end + 2;
        out += pattern.slice(i, stop);
        i = stop - 1;
        lastWasQuantifier = false;
        continue;
      }
      if (!inClass && /[1-9]/.test(next)) return construct(`a backreference \\${next}`, i);
      if (next === 'g' || next === 'k') return construct(`a backreference \\${next}`, i);
      if (next === 'K') return construct('a match reset \\K', i);
      if (!inClass && next === 'Z') out += '(?:\\n?\\z)';
      else out += `\\${next}`;
      i++;
      lastWasQuantifier = false;
      continue;
    }
    if (inClass) {
      if (ch === ']' && i > classStart) inClass = false;
      if (ch === '^' && i === classStart) classStart = i + 1;
      if (ch === '[' && pattern[i + 1] === ':') {
        const close = pattern.indexOf(':]', i + 2);
        if (close > 0) {
          out += pattern.slice(i, close + 2);
          i = close + 1;
          continue;
        }
      }
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      classStart = i + 1;
      out += ch;
      lastWasQuantifier = false;
      continue;
    }
    if (ch === '(' && (pattern[i + 1] === '?' || pattern[i + 1] === '*')) {
      const rest = pattern.slice(i, i + 24);
      for (const [prefix, what] of Object.entries(LOOKAROUND)) if (rest.startsWith(prefix)) return construct(what, i);
      for (const [re, what] of GROUP_CONSTRUCTS) if (re.test(rest)) return construct(what, i);
      const flags = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?[:)]/.exec(rest);
      if (flags !== null && /[^imsU]/.test(`${flags[1] ?? ''}${flags[2] ?? ''}`)) {
        return construct(`the inline option (?${flags[1] ?? ''}${flags[2] === undefined ? '' : `-${flags[2]}`}) (RE2 knows i, m, s and U)`, i);
      }
    }
    if ((ch === '+') && lastWasQuantifier) return construct('a possessive quantifier (*+, ++, ?+, {n}+)', i);
    if (ch === '$' && !multiline) {
      out += '(?:\\n?\\z)';
      lastWasQuantifier = false;
      continue;
    }
    out += ch;
    if (ch === '*' || ch === '+' || ch === '?') lastWasQuantifier = !lastWasQuantifier || ch !== '?';
    else if (ch === '}') lastWasQuantifier = /\{\d+(?:,\d*)?\}$/.test(out);
    else lastWasQuantifier = false;
  }
  return { source: out, problem: undefined };
}

interface CompiledRegex {
  readonly re: RE2JS | undefined;
  readonly problem: string | undefined;
}

function compileRegex(pattern: string): CompiledRegex {
  const { source, problem } = translate(pattern.normalize('NFC'));
  if (problem !== undefined) return { re: undefined, problem };
  try {
    return { re: RE2JS.compile(source, RE2JS.DOTALL), problem: undefined };
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    return { re: undefined, problem: `the regular expression is not valid for the linear-time engine (RE2): ${message}` };
  }
}

/**
 * Why a MATCHES constant cannot be run (a backreference, a lookaround, ..., or a syntax error),
 * in words fit for the author of the pattern; null when it can.
 */
export function regexProblem(pattern: string): string | null {
  return compileRegex(pattern).problem ?? null;
}

/** The MATCHES constant as a search (not anchored) over one value; undefined when it cannot be run. */
export function compileMatches(pattern: string): TextMatcher | undefined {
  const { re } = compileRegex(pattern);
  if (re === undefined) return undefined;
  return (text) => re.test(text);
}

// ---------------------------------------------------------------------------------------------
// LIKE

const ANY_ONE = -1;

/** One stretch of the pattern between `%` wildcards, as code points (ANY_ONE for `_`). */
interface Piece {
  readonly points: readonly number[];
  /** The stretch as text when it holds no `_`: then it is searched with indexOf. */
  readonly literal: string | undefined;
}

function pieceOf(text: string): Piece {
  const points = [...text].map((ch) => (ch === '_' ? ANY_ONE : (ch.codePointAt(0) ?? 0)));
  return { points, literal: text.includes('_') ? undefined : text };
}

/** Whether the piece matches the code points of `value` starting at index `at`. */
function pieceAt(piece: Piece, value: readonly number[], at: number): boolean {
  const { points } = piece;
  if (at + points.length > value.length) return false;
  for (let k = 0; k < points.length; k++) {
    const p = points[k];
    if (p !== ANY_ONE && p !== value[at + k]) return false;
  }
  return true;
}

/** Leftmost index >= from where the piece matches, or -1. */
function findPiece(piece: Piece, value: readonly number[], from: number, to: number): number {
  for (let at = from; at + piece.points.length <= to; at++) if (pieceAt(piece, value, at)) return at;
  return -1;
}

/**
 * The LIKE constant as a matcher of the whole value: `%` any run of code points, `_` exactly one,
 * anything else itself (no escape character). The first piece must start the value, the last
 * must end it, and the ones between are found leftmost in turn: taking each as early as
 * possible leaves the most room for the rest, so no choice ever needs to be undone.
 */
export function compileLike(pattern: string): TextMatcher {
  const parts = pattern.normalize('NFC').split('%');
  const pieces = parts.map(pieceOf);
  const first = pieces[0] ?? pieceOf('');
  const hasAnyOne = pieces.some((p) => p.literal === undefined);
  if (pieces.length === 1) {
    if (first.literal !== undefined) {
      const literal = first.literal;
      return (text) => text === literal;
    }
    return (text) => {
      const value = [...text].map((ch) => ch.codePointAt(0) ?? 0);
      return value.length === first.points.length && pieceAt(first, value, 0);
    };
  }
  const last = pieces[pieces.length - 1] ?? pieceOf('');
  const middle = pieces.slice(1, -1).filter((p) => p.points.length > 0);
  if (!hasAnyOne) {
    const head = first.literal ?? '';
    const tail = last.literal ?? '';
    const inner = middle.map((p) => p.literal ?? '');
    return (text) => {
      if (text.length < head.length + tail.length || !text.startsWith(head) || !text.endsWith(tail)) return false;
      let from = head.length;
      const end = text.length - tail.length;
      for (const literal of inner) {
        const at = text.indexOf(literal, from);
        if (at < 0 || at + literal.length > end) return false;
        from = at + literal.length;
      }
      return true;
    };
  }
  return (text) => {
    const value = [...text].map((ch) => ch.codePointAt(0) ?? 0);
    const end = value.length - last.points.length;
    if (end < first.points.length || !pieceAt(first, value, 0) || !pieceAt(last, value, end)) return false;
    let from = first.points.length;
    for (const piece of middle) {
      const at = findPiece(piece, value, from, end);
      if (at < 0) return false;
      from = at + piece.points.length;
    }
    return true;
  };
}

// ---------------------------------------------------------------------------------------------
// Ingest

/** One MATCHES constant of a pattern that cannot be run, with the reason. */
export interface RegexIssue {
  readonly regex: string;
  readonly problem: string;
}

/** Every MATCHES constant of the pattern that the linear-time engine cannot run. */
export function patternRegexIssues(pattern: Pattern): RegexIssue[] {
  const issues: RegexIssue[] = [];
  const visitComparison = (expr: ComparisonExpression): void => {
    switch (expr.kind) {
      case 'comparison':
        if (expr.operator === 'MATCHES') {
          const problem = regexProblem(expr.value.value);
          if (problem !== null) issues.push({ regex: expr.value.value, problem });
        }
        return;
      case 'exists':
        return;
      case 'comparisonGroup':
        visitComparison(expr.expression);
        return;
      case 'comparisonBinary':
        for (const operand of expr.operands) visitComparison(operand);
        return;
    }
  };
  const visitObservation = (expr: ObservationExpression): void => {
    switch (expr.kind) {
      case 'observation':
        visitComparison(expr.comparison);
        return;
      case 'observationGroup':
      case 'qualified':
        visitObservation(expr.expression);
        return;
      case 'observationBinary':
        for (const operand of expr.operands) visitObservation(operand);
        return;
    }
  };
  visitObservation(pattern.expression);
  return issues;
}
