/**
 * Single-pass lexer and recursive-descent parser for STIX patterning.
 *
 * Grammar (STIX 2.1 section 9 / STIXPattern.g4), loosest binding first:
 *
 *   pattern        := followedBy EOF
 *   followedBy     := or ('FOLLOWEDBY' or)*
 *   or             := and ('OR' and)*
 *   and            := qualified ('AND' qualified)*
 *   qualified      := primary qualifier*
 *   primary        := '[' cmpOr ']' | '(' followedBy ')'
 *   qualifier      := 'WITHIN' number 'SECONDS' | 'REPEATS' int 'TIMES' | 'START' ts 'STOP' ts
 *   cmpOr          := cmpAnd ('OR' cmpAnd)*
 *   cmpAnd         := propTest ('AND' propTest)*
 *   propTest       := '(' cmpOr ')' | 'NOT'? 'EXISTS' path | path 'NOT'? operator value
 *
 * The lexer is pulled one token at a time by the parser; tokens live in parser fields, not
 * objects. Failures unwind with a private throwable that parsePattern turns into a result.
 * The layers sit in their own files: tokens.ts (tables), lexer.ts, literals.ts (object paths,
 * hashes, literals) and grammar.ts (expressions and qualifiers); this file is the entry.
 *
 * Lexical rules follow the grammar: keywords are case-sensitive and reserved (a keyword, `true`
 * or `false` can only be a property name when quoted); unquoted property names have no hyphens
 * (object types may); integers have no leading zeros; strings escape only `\'` and `\\`;
 * whitespace includes the grammar's Unicode spaces; `/* ... *\/` and `// ...` comments are
 * skipped. Beyond the grammar, the checks the OASIS reference validator makes, plus the spec's
 * qualifier constraints:
 *
 *   - `...hashes.<ALGO>` compared with =, !=, IN or an ordering operator: each value must be a
 *     string that is a well-formed hash for a known algorithm (MD5, SHA-256, ssdeep, ...);
 *   - STIX 2.1: a qualifier type (WITHIN, REPEATS, START/STOP) may appear once directly on a
 *     bracketed observation; a parenthesized group may be qualified again;
 *   - REPEATS takes an integer >= 1, WITHIN a number > 0 (9.5.1);
 *   - START/STOP bounds are t'...' literals in 2.1; 2.0 also accepts plain strings, whose
 *     content must be a timestamp. START may be at or after STOP: 9.5.1 forbids no order, such
 *     a qualifier admits no observation;
 *   - the values of an IN set are of one type (9.6.1, "constants of homogeneous data type");
 *   - EXISTS (and NOT EXISTS) exists only in 2.1.
 */
import type { Pattern, SpecVersion } from './ast.js';
import { Parser } from './grammar.js';
import { PatternFailure, lineColumn } from './lexer.js';

export { MAX_NESTING_DEPTH, lineColumn } from './lexer.js';
export { isReservedWord } from './tokens.js';

export interface PatternSyntaxError {
  message: string;
  /** 1-based line. */
  line: number;
  /** 1-based column, in UTF-16 code units. */
  column: number;
  /** 0-based offset into the pattern text, in UTF-16 code units. */
  offset: number;
}

export type PatternResult = { ok: true; pattern: Pattern } | { ok: false; error: PatternSyntaxError };

export interface ParsePatternOptions {
  /** Which patterning grammar to apply; default '2.1'. */
  specVersion?: SpecVersion;
}

function errorResult(src: string, offset: number, message: string): PatternResult {
  const { line, column } = lineColumn(src, offset);
  return { ok: false, error: { message, line, column, offset } };
}

/**
 * Parse a STIX pattern into a typed tree. Never throws: malformed input (including non-string
 * input from untyped callers) yields `{ ok: false, error }`.
 */
export function parsePattern(text: string, options?: ParsePatternOptions): PatternResult {
  if (typeof text !== 'string') {
    return { ok: false, error: { message: 'pattern must be a string', line: 1, column: 1, offset: 0 } };
  }
  const v21 = options?.specVersion !== '2.0';
  try {
    return { ok: true, pattern: new Parser(text, v21).parse() };
  } catch (e) {
    if (e instanceof PatternFailure) return errorResult(text, e.offset, e.message);
    const detail = e instanceof Error ? e.message : String(e);
    return errorResult(text, 0, `internal parser error: ${detail}`);
  }
}
