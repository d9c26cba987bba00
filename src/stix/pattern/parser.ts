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

import type {
  ComparisonExpression,
  Comparison,
  FloatLiteral,
  IntegerLiteral,
  ObjectPath,
  ObservationExpression,
  ObservationGroup,
  ObservationSimple,
  OrderableLiteral,
  PathStep,
  Pattern,
  PrimitiveLiteral,
  Qualifier,
  SetLiteral,
  SpecVersion,
  StringLiteral,
  TimestampLiteral,
} from './ast.js';
import { hashFormatFor, isValidHash, type HashFormat } from './hashes.js';
import { timestampProblem } from './timestamp.js';

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

/** Deepest nesting of brackets and parentheses accepted (keeps recursion bounded). */
export const MAX_NESTING_DEPTH = 256;

// ---------------------------------------------------------------------------------------------
// Tokens

const T_EOF: number = 0;
const T_LBRACK: number = 1;
const T_RBRACK: number = 2;
const T_LPAREN: number = 3;
const T_RPAREN: number = 4;
const T_COLON: number = 5;
const T_DOT: number = 6;
const T_COMMA: number = 7;
const T_STAR: number = 8;
const T_EQ: number = 9;
const T_NEQ: number = 10;
const T_LT: number = 11;
const T_LE: number = 12;
const T_GT: number = 13;
const T_GE: number = 14;
const T_IDENT: number = 15; // [A-Za-z_][A-Za-z0-9_]*, not a keyword
const T_IDENT_HYPHEN: number = 16; // [A-Za-z_][A-Za-z0-9_-]* containing at least one '-'
const T_STRING: number = 17;
const T_INT: number = 18;
const T_FLOAT: number = 19;
const T_HEX: number = 20;
const T_BINARY: number = 21;
const T_TIMESTAMP: number = 22;
const T_BOOL: number = 23;
const T_INVALID: number = 24; // a character that starts no token
// keywords
const T_AND: number = 30;
const T_OR: number = 31;
const T_NOT: number = 32;
const T_FOLLOWEDBY: number = 33;
const T_LIKE: number = 34;
const T_MATCHES: number = 35;
const T_ISSUPERSET: number = 36;
const T_ISSUBSET: number = 37;
const T_EXISTS: number = 38;
const T_LAST: number = 39;
const T_IN: number = 40;
const T_START: number = 41;
const T_STOP: number = 42;
const T_SECONDS: number = 43;
const T_WITHIN: number = 44;
const T_REPEATS: number = 45;
const T_TIMES: number = 46;

// Character classes for ASCII.
const C_IDENT_START = 1;
const C_IDENT_PART = 2;
const C_DIGIT = 4;
const C_HEX = 8;
const C_BASE64 = 16;

const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  let k = 0;
  const upper = c >= 65 && c <= 90;
  const lower = c >= 97 && c <= 122;
  const digit = c >= 48 && c <= 57;
  if (upper || lower || c === 95) k |= C_IDENT_START | C_IDENT_PART;
  if (digit) k |= C_IDENT_PART | C_DIGIT;
  if (digit || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)) k |= C_HEX;
  if (upper || lower || digit || c === 43 || c === 47) k |= C_BASE64;
  CHAR_CLASS[c] = k;
}

function charClass(c: number): number {
  return c < 128 ? (CHAR_CLASS[c] ?? 0) : 0;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The non-ASCII whitespace of the grammar's WS rule. */
function isWideSpace(c: number): boolean {
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Keyword token for src[s, s+len), or 0. EXISTS is a keyword only in STIX 2.1. */
function keywordKind(src: string, s: number, len: number, v21: boolean): number {
  switch (src.charCodeAt(s)) {
    case 65: // A
      return len === 3 && src.startsWith('AND', s) ? T_AND : 0;
    case 69: // E
      return v21 && len === 6 && src.startsWith('EXISTS', s) ? T_EXISTS : 0;
    case 70: // F
      return len === 10 && src.startsWith('FOLLOWEDBY', s) ? T_FOLLOWEDBY : 0;
    case 73: // I
      if (len === 2) return src.startsWith('IN', s) ? T_IN : 0;
      if (len === 8) return src.startsWith('ISSUBSET', s) ? T_ISSUBSET : 0;
      if (len === 10) return src.startsWith('ISSUPERSET', s) ? T_ISSUPERSET : 0;
      return 0;
    case 76: // L
      if (len === 4) return src.startsWith('LIKE', s) ? T_LIKE : src.startsWith('LAST', s) ? T_LAST : 0;
      return 0;
    case 77: // M
      return len === 7 && src.startsWith('MATCHES', s) ? T_MATCHES : 0;
    case 78: // N
      return len === 3 && src.startsWith('NOT', s) ? T_NOT : 0;
    case 79: // O
      return len === 2 && src.startsWith('OR', s) ? T_OR : 0;
    case 82: // R
      return len === 7 && src.startsWith('REPEATS', s) ? T_REPEATS : 0;
    case 83: // S
      if (len === 5) return src.startsWith('START', s) ? T_START : 0;
      if (len === 4) return src.startsWith('STOP', s) ? T_STOP : 0;
      if (len === 7) return src.startsWith('SECONDS', s) ? T_SECONDS : 0;
      return 0;
    case 84: // T
      return len === 5 && src.startsWith('TIMES', s) ? T_TIMES : 0;
    case 87: // W
      return len === 6 && src.startsWith('WITHIN', s) ? T_WITHIN : 0;
    default:
      return 0;
  }
}

/** Words that can never be written as a bare identifier (any STIX version). */
export function isReservedWord(word: string): boolean {
  return word === 'true' || word === 'false' || keywordKind(word, 0, word.length, true) !== 0;
}

const KEYWORD_TEXT: Readonly<Record<number, string>> = {
  [T_AND]: 'AND',
  [T_OR]: 'OR',
  [T_NOT]: 'NOT',
  [T_FOLLOWEDBY]: 'FOLLOWEDBY',
  [T_LIKE]: 'LIKE',
  [T_MATCHES]: 'MATCHES',
  [T_ISSUPERSET]: 'ISSUPERSET',
  [T_ISSUBSET]: 'ISSUBSET',
  [T_EXISTS]: 'EXISTS',
  [T_LAST]: 'LAST',
  [T_IN]: 'IN',
  [T_START]: 'START',
  [T_STOP]: 'STOP',
  [T_SECONDS]: 'SECONDS',
  [T_WITHIN]: 'WITHIN',
  [T_REPEATS]: 'REPEATS',
  [T_TIMES]: 'TIMES',
};

// ---------------------------------------------------------------------------------------------

/** Thrown inside the parser only; parsePattern converts it to an error result. */
class PatternFailure {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

const QUAL_WITHIN = 1;
const QUAL_REPEATS = 2;
const QUAL_STARTSTOP = 4;

function truncate(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

function describeChar(c: number): string {
  if (c >= 0x21 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

function describeCodePointAt(src: string, i: number): string {
  const cp = src.codePointAt(i) ?? 0;
  const shown = cp > 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0) ? ` '${String.fromCodePoint(cp)}'` : '';
  return cp >= 0x21 && cp < 0x7f ? describeChar(cp) : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}${shown}`;
}

class Parser {
  private readonly src: string;
  private readonly len: number;
  private readonly v21: boolean;

  /** Lexer position: where scanning for the next token starts. */
  private pos = 0;
  /** Current token. */
  private kind = T_EOF;
  private start = 0;
  private end = 0;
  /** Identifier name, decoded string, canonical number, hex/base64/timestamp body. */
  private text = '';
  private bool = false;

  private depth = 0;
  /** Offset of the next backslash at or after the last string scanned, -1 if none remains. */
  private backslash = 0;

  constructor(src: string, v21: boolean) {
    this.src = src;
    this.len = src.length;
    this.v21 = v21;
  }

  // -------------------------------------------------------------------------------------------
  // Errors

  private fail(offset: number, message: string): never {
    throw new PatternFailure(offset, message);
  }

  /** "column 7" on a one-line pattern, "line 2, column 7" otherwise. */
  private where(offset: number): string {
    const { line, column } = lineColumn(this.src, offset);
    if (line === 1 && this.src.indexOf('\n') < 0) return `column ${column}`;
    return `line ${line}, column ${column}`;
  }

  /** How the current token reads in an error message. */
  private found(): string {
    const raw = this.src.slice(this.start, this.end);
    switch (this.kind) {
      case T_EOF:
        return 'end of pattern';
      case T_IDENT:
      case T_IDENT_HYPHEN:
        return `identifier '${truncate(raw)}'${this.caseHint()}`;
      case T_STRING:
        return `string ${truncate(raw)}`;
      case T_INT:
      case T_FLOAT:
        return `number ${truncate(raw)}`;
      case T_HEX:
        return `hex literal ${truncate(raw)}`;
      case T_BINARY:
        return `binary literal ${truncate(raw)}`;
      case T_TIMESTAMP:
        return `timestamp ${raw}`;
      case T_BOOL:
        return `boolean ${raw}`;
      case T_INVALID: {
        const c = this.src.charCodeAt(this.start);
        const hint = c === 34 ? ' (string literals use single quotes)' : '';
        return `unexpected character ${describeCodePointAt(this.src, this.start)}${hint}`;
      }
      default:
        if (this.kind >= T_AND) return `keyword '${raw}'`;
        return `'${raw}'`;
    }
  }

  /** Hint for identifiers that are keywords spelt in the wrong case. */
  private caseHint(): string {
    const t = this.text;
    const upper = t.toUpperCase();
    if (upper !== t && keywordKind(upper, 0, upper.length, this.v21) !== 0) {
      return ` (keywords are case-sensitive: did you mean '${upper}'?)`;
    }
    const lower = t.toLowerCase();
    if (lower !== t && (lower === 'true' || lower === 'false')) {
      return ` (booleans are lower case: did you mean '${lower}'?)`;
    }
    return '';
  }

  private enter(offset: number): void {
    if (++this.depth > MAX_NESTING_DEPTH) {
      this.fail(offset, `brackets and parentheses are nested more than ${MAX_NESTING_DEPTH} deep`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Lexer

  private next(): void {
    const src = this.src;
    const n = this.len;
    let p = this.pos;
    let c: number;
    for (;;) {
      if (p >= n) {
        this.kind = T_EOF;
        this.start = n;
        this.end = n;
        this.pos = n;
        return;
      }
      c = src.charCodeAt(p);
      if (c === 32 || (c >= 9 && c <= 13)) {
        p++;
        continue;
      }
      if (c === 47) {
        const d = src.charCodeAt(p + 1);
        if (d === 42) {
          const close = src.indexOf('*/', p + 2);
          if (close < 0) this.fail(p, "unterminated comment: '/*' has no closing '*/'");
          p = close + 2;
          continue;
        }
        if (d === 47) {
          p += 2;
          while (p < n) {
            const e = src.charCodeAt(p);
            if (e === 10 || e === 13) break;
            p++;
          }
          continue;
        }
        break;
      }
      if (c >= 0x80 && isWideSpace(c)) {
        p++;
        continue;
      }
      break;
    }

    this.start = p;
    switch (c) {
      case 91:
        this.punct(T_LBRACK, p, 1);
        return;
      case 93:
        this.punct(T_RBRACK, p, 1);
        return;
      case 40:
        this.punct(T_LPAREN, p, 1);
        return;
      case 41:
        this.punct(T_RPAREN, p, 1);
        return;
      case 58:
        this.punct(T_COLON, p, 1);
        return;
      case 44:
        this.punct(T_COMMA, p, 1);
        return;
      case 42:
        this.punct(T_STAR, p, 1);
        return;
      case 61: // = or ==
        this.punct(T_EQ, p, src.charCodeAt(p + 1) === 61 ? 2 : 1);
        return;
      case 33: // !=
        if (src.charCodeAt(p + 1) === 61) this.punct(T_NEQ, p, 2);
        else this.punct(T_INVALID, p, 1);
        return;
      case 60: {
        // < <= <>
        const d = src.charCodeAt(p + 1);
        if (d === 61) this.punct(T_LE, p, 2);
        else if (d === 62) this.punct(T_NEQ, p, 2);
        else this.punct(T_LT, p, 1);
        return;
      }
      case 62: // > >=
        if (src.charCodeAt(p + 1) === 61) this.punct(T_GE, p, 2);
        else this.punct(T_GT, p, 1);
        return;
      case 39:
        this.lexString(p);
        return;
      case 46: // . or .5
        if (isDigit(src.charCodeAt(p + 1))) this.lexNumber(p);
        else this.punct(T_DOT, p, 1);
        return;
      case 43:
      case 45: {
        const d = src.charCodeAt(p + 1);
        if (isDigit(d) || (d === 46 && isDigit(src.charCodeAt(p + 2)))) this.lexNumber(p);
        else this.punct(T_INVALID, p, 1);
        return;
      }
      default:
        break;
    }
    if (isDigit(c)) {
      this.lexNumber(p);
      return;
    }
    if ((charClass(c) & C_IDENT_START) !== 0) {
      if (src.charCodeAt(p + 1) === 39) {
        if (c === 116) return this.lexTimestamp(p);
        if (c === 104) return this.lexHex(p);
        if (c === 98) return this.lexBinary(p);
      }
      this.lexWord(p);
      return;
    }
    // A lone character that begins no token; the parser reports it in context.
    const width = c >= 0xd800 && c <= 0xdbff && p + 1 < n ? 2 : 1;
    this.punct(T_INVALID, p, width);
  }

  private punct(kind: number, p: number, width: number): void {
    this.kind = kind;
    this.end = p + width;
    this.pos = p + width;
  }

  private lexWord(p: number): void {
    const src = this.src;
    const n = this.len;
    let q = p + 1;
    let hyphen = false;
    while (q < n) {
      const d = src.charCodeAt(q);
      if ((charClass(d) & C_IDENT_PART) !== 0) q++;
      else if (d === 45) {
        hyphen = true;
        q++;
      } else break;
    }
    this.end = q;
    this.pos = q;
    if (hyphen) {
      this.kind = T_IDENT_HYPHEN;
      this.text = src.slice(p, q);
      return;
    }
    const len = q - p;
    const kw = keywordKind(src, p, len, this.v21);
    if (kw !== 0) {
      this.kind = kw;
      return;
    }
    if (len === 4 && src.startsWith('true', p)) {
      this.kind = T_BOOL;
      this.bool = true;
      return;
    }
    if (len === 5 && src.startsWith('false', p)) {
      this.kind = T_BOOL;
      this.bool = false;
      return;
    }
    this.kind = T_IDENT;
    this.text = src.slice(p, q);
  }

  private lexNumber(p: number): void {
    const src = this.src;
    const n = this.len;
    let q = p;
    const sign = src.charCodeAt(q);
    const negative = sign === 45;
    if (negative || sign === 43) q++;
    const intStart = q;
    while (q < n && isDigit(src.charCodeAt(q))) q++;
    const intEnd = q;
    if (src.charCodeAt(q) === 46 && isDigit(src.charCodeAt(q + 1))) {
      q++;
      const fracStart = q;
      while (q < n && isDigit(src.charCodeAt(q))) q++;
      let i = intStart;
      while (i < intEnd - 1 && src.charCodeAt(i) === 48) i++;
      const intPart = i < intEnd ? src.slice(i, intEnd) : '0';
      this.kind = T_FLOAT;
      this.text = `${negative ? '-' : ''}${intPart}.${src.slice(fracStart, q)}`;
    } else {
      if (intEnd - intStart > 1 && src.charCodeAt(intStart) === 48) {
        this.fail(
          p,
          `invalid number ${truncate(src.slice(p, intEnd))}: integers must not have leading zeros`,
        );
      }
      this.kind = T_INT;
      this.text = negative ? src.slice(p, intEnd) : src.slice(intStart, intEnd);
    }
    this.end = q;
    this.pos = q;
  }

  private lexString(p: number): void {
    const src = this.src;
    let q = p + 1;
    const close = src.indexOf("'", q);
    if (this.backslash >= 0 && this.backslash < q) this.backslash = src.indexOf('\\', q);
    const backslash = this.backslash;
    if (close >= 0 && (backslash < 0 || backslash > close)) {
      this.kind = T_STRING;
      this.text = src.slice(q, close);
      this.end = close + 1;
      this.pos = close + 1;
      return;
    }
    const n = this.len;
    let out = '';
    let seg = q;
    for (;;) {
      if (q >= n) this.fail(p, 'unterminated string literal: no closing quote');
      const d = src.charCodeAt(q);
      if (d === 39) break;
      if (d === 92) {
        const e = src.charCodeAt(q + 1);
        if (e === 39 || e === 92) {
          out += src.slice(seg, q) + (e === 39 ? "'" : '\\');
          q += 2;
          seg = q;
          continue;
        }
        if (q + 1 >= n) this.fail(p, 'unterminated string literal: no closing quote');
        this.fail(
          q,
          `invalid escape sequence '\\${String.fromCharCode(e)}' in string literal: only \\' and \\\\ are allowed (write a backslash as \\\\)`,
        );
      }
      q++;
    }
    this.kind = T_STRING;
    this.text = out + src.slice(seg, q);
    this.end = q + 1;
    this.pos = q + 1;
  }

  /** Body of a h'..' b'..' t'..' literal: [p+2, close). */
  private literalBody(p: number, what: string): number {
    const close = this.src.indexOf("'", p + 2);
    if (close < 0) this.fail(p, `unterminated ${what}: no closing quote`);
    return close;
  }

  private lexTimestamp(p: number): void {
    const close = this.literalBody(p, 'timestamp literal');
    const body = this.src.slice(p + 2, close);
    const problem = timestampProblem(body);
    if (problem !== null) {
      this.fail(p, `invalid timestamp literal t'${truncate(body)}': ${problem}`);
    }
    this.kind = T_TIMESTAMP;
    this.text = body;
    this.end = close + 1;
    this.pos = close + 1;
  }

  private lexHex(p: number): void {
    const src = this.src;
    const close = this.literalBody(p, 'hex literal');
    for (let i = p + 2; i < close; i++) {
      const c = src.charCodeAt(i);
      if ((charClass(c) & C_HEX) === 0) {
        this.fail(i, `invalid hex literal: ${describeChar(c)} is not a hexadecimal digit`);
      }
    }
    if ((close - p - 2) % 2 !== 0) {
      this.fail(p, 'invalid hex literal: it must have an even number of hex digits (whole bytes)');
    }
    this.kind = T_HEX;
    this.text = src.slice(p + 2, close);
    this.end = close + 1;
    this.pos = close + 1;
  }

  private lexBinary(p: number): void {
    const src = this.src;
    const close = this.literalBody(p, 'binary literal');
    let i = p + 2;
    while (i < close && (charClass(src.charCodeAt(i)) & C_BASE64) !== 0) i++;
    const chars = i - p - 2;
    let padding = 0;
    while (i < close && src.charCodeAt(i) === 61) {
      i++;
      padding++;
    }
    if (i < close) {
      const c = src.charCodeAt(i);
      const why =
        padding > 0 && (charClass(c) & C_BASE64) !== 0
          ? "'=' padding may only end the value"
          : `${describeChar(c)} is not a base64 character`;
      this.fail(i, `invalid binary literal: ${why}`);
    }
    if (chars + padding === 0) {
      this.fail(p, "invalid binary literal: b'' is empty; base64 needs at least one 4-character group");
    }
    if (padding > 2 || (chars + padding) % 4 !== 0) {
      this.fail(
        p,
        `invalid binary literal: base64 must come in 4-character groups with at most two '=' of padding, found ${chars} characters and ${padding} '='`,
      );
    }
    this.kind = T_BINARY;
    this.text = src.slice(p + 2, close);
    this.end = close + 1;
    this.pos = close + 1;
  }

  // -------------------------------------------------------------------------------------------
  // Observation expressions

  parse(): Pattern {
    this.next();
    if (this.kind === T_EOF) {
      this.fail(this.start, "empty pattern: expected an observation expression such as [file:name = 'a.exe']");
    }
    const expression = this.parseFollowedBy();
    if (this.kind !== T_EOF) {
      this.fail(
        this.start,
        `expected AND, OR, FOLLOWEDBY, a qualifier (WITHIN, REPEATS, START) or end of pattern, found ${this.found()}`,
      );
    }
    return { kind: 'pattern', expression };
  }

  private parseFollowedBy(): ObservationExpression {
    const first = this.parseObservationOr();
    if (this.kind !== T_FOLLOWEDBY) return first;
    const operands: ObservationExpression[] = [first];
    while (this.kind === T_FOLLOWEDBY) {
      this.next();
      operands.push(this.parseObservationOr());
    }
    return { kind: 'observationBinary', operator: 'FOLLOWEDBY', operands };
  }

  private parseObservationOr(): ObservationExpression {
    const first = this.parseObservationAnd();
    if (this.kind !== T_OR) return first;
    const operands: ObservationExpression[] = [first];
    while (this.kind === T_OR) {
      this.next();
      operands.push(this.parseObservationAnd());
    }
    return { kind: 'observationBinary', operator: 'OR', operands };
  }

  private parseObservationAnd(): ObservationExpression {
    const first = this.parseQualified();
    if (this.kind !== T_AND) return first;
    const operands: ObservationExpression[] = [first];
    while (this.kind === T_AND) {
      this.next();
      operands.push(this.parseQualified());
    }
    return { kind: 'observationBinary', operator: 'AND', operands };
  }

  private parseQualified(): ObservationExpression {
    const base = this.parseObservationPrimary();
    let kind = this.kind;
    if (kind !== T_WITHIN && kind !== T_REPEATS && kind !== T_START) return base;
    // STIX 2.1 (reference validator): a qualifier type may be applied once directly to a
    // bracketed observation; a parenthesized group may be qualified again.
    const checkDuplicates = this.v21 && base.kind === 'observation';
    const qualifiers: Qualifier[] = [];
    let seen = 0;
    while (kind === T_WITHIN || kind === T_REPEATS || kind === T_START) {
      const at = this.start;
      const bit = kind === T_WITHIN ? QUAL_WITHIN : kind === T_REPEATS ? QUAL_REPEATS : QUAL_STARTSTOP;
      if (checkDuplicates && (seen & bit) !== 0) {
        const name = kind === T_START ? 'START/STOP' : (KEYWORD_TEXT[kind] ?? '');
        this.fail(
          at,
          `duplicate ${name} qualifier on the same observation expression: each qualifier type may be applied once (wrap the qualified expression in parentheses to qualify it again)`,
        );
      }
      seen |= bit;
      qualifiers.push(
        kind === T_WITHIN ? this.parseWithin() : kind === T_REPEATS ? this.parseRepeats() : this.parseStartStop(),
      );
      kind = this.kind;
    }
    return { kind: 'qualified', expression: base, qualifiers };
  }

  private parseObservationPrimary(): ObservationSimple | ObservationGroup {
    const open = this.start;
    if (this.kind === T_LBRACK) {
      this.enter(open);
      this.next();
      if (this.kind === T_RBRACK) {
        this.fail(this.start, 'empty observation expression: expected a comparison between [ and ]');
      }
      const comparison = this.parseComparisonOr();
      if (this.kind !== T_RBRACK) {
        this.fail(
          this.start,
          `expected ']' to close the observation expression opened at ${this.where(open)} (or AND / OR to extend it), found ${this.found()}`,
        );
      }
      this.depth--;
      this.next();
      return { kind: 'observation', comparison };
    }
    if (this.kind === T_LPAREN) {
      this.enter(open);
      this.next();
      const expression = this.parseFollowedBy();
      if (this.kind !== T_RPAREN) {
        this.fail(
          this.start,
          `expected ')' to close the parenthesized observation expression opened at ${this.where(open)}, found ${this.found()}`,
        );
      }
      this.depth--;
      this.next();
      return { kind: 'observationGroup', expression };
    }
    const hint =
      this.kind === T_IDENT || this.kind === T_IDENT_HYPHEN
        ? ' (comparisons must be enclosed in square brackets, e.g. [file:name = \'a.exe\'])'
        : '';
    this.fail(this.start, `expected an observation expression ('[' or '('), found ${this.found()}${hint}`);
  }

  // -------------------------------------------------------------------------------------------
  // Qualifiers

  private parseWithin(): Qualifier {
    this.next();
    const at = this.start;
    if ((this.kind !== T_INT && this.kind !== T_FLOAT) || this.text.charCodeAt(0) === 45) {
      this.fail(at, `expected a positive number of seconds after WITHIN, found ${this.found()}`);
    }
    const seconds = this.kind === T_INT ? this.integer() : this.float();
    if (!hasNonZeroDigit(seconds.text)) {
      this.fail(at, `WITHIN requires a positive number of seconds, found ${seconds.text}`);
    }
    this.next();
    if (this.kind !== T_SECONDS) {
      this.fail(
        this.start,
        `expected SECONDS after WITHIN ${seconds.text} (SECONDS is the only time unit), found ${this.found()}`,
      );
    }
    this.next();
    return { kind: 'within', seconds };
  }

  private parseRepeats(): Qualifier {
    this.next();
    const at = this.start;
    if (this.kind !== T_INT || this.text.charCodeAt(0) === 45) {
      this.fail(at, `expected a positive integer after REPEATS, found ${this.found()}`);
    }
    const times = this.integer();
    if (times.text === '0') this.fail(at, 'REPEATS requires a positive integer, found 0');
    this.next();
    if (this.kind !== T_TIMES) {
      this.fail(this.start, `expected TIMES after REPEATS ${times.text}, found ${this.found()}`);
    }
    this.next();
    return { kind: 'repeats', times };
  }

  private parseStartStop(): Qualifier {
    this.next();
    const start = this.parseTimeBound('START');
    if (this.kind !== T_STOP) {
      this.fail(this.start, `expected STOP after the START timestamp, found ${this.found()}`);
    }
    this.next();
    const stop = this.parseTimeBound('STOP');
    return { kind: 'startStop', start, stop };
  }

  private parseTimeBound(keyword: string): TimestampLiteral | StringLiteral {
    if (this.kind === T_TIMESTAMP) {
      const lit: TimestampLiteral = { kind: 'timestamp', value: this.text };
      this.next();
      return lit;
    }
    if (this.kind === T_STRING) {
      if (this.v21) {
        this.fail(
          this.start,
          `expected a timestamp literal after ${keyword}, found ${this.found()} (STIX 2.1 writes t'...'; plain strings are STIX 2.0 syntax)`,
        );
      }
      const problem = timestampProblem(this.text);
      if (problem !== null) {
        this.fail(this.start, `invalid ${keyword} timestamp '${truncate(this.text)}': ${problem}`);
      }
      const lit: StringLiteral = { kind: 'string', value: this.text };
      this.next();
      return lit;
    }
    const expected = this.v21 ? "a timestamp literal t'...'" : "a timestamp (t'...' or '...')";
    this.fail(this.start, `expected ${expected} after ${keyword}, found ${this.found()}`);
  }

  // -------------------------------------------------------------------------------------------
  // Comparison expressions

  private parseComparisonOr(): ComparisonExpression {
    const first = this.parseComparisonAnd();
    if (this.kind !== T_OR) return first;
    const operands: ComparisonExpression[] = [first];
    while (this.kind === T_OR) {
      this.next();
      operands.push(this.parseComparisonAnd());
    }
    return { kind: 'comparisonBinary', operator: 'OR', operands };
  }

  private parseComparisonAnd(): ComparisonExpression {
    const first = this.parsePropTest();
    if (this.kind !== T_AND) return first;
    const operands: ComparisonExpression[] = [first];
    while (this.kind === T_AND) {
      this.next();
      operands.push(this.parsePropTest());
    }
    return { kind: 'comparisonBinary', operator: 'AND', operands };
  }

  private parsePropTest(): ComparisonExpression {
    switch (this.kind) {
      case T_IDENT:
      case T_IDENT_HYPHEN:
        return this.parseComparison();
      case T_LPAREN: {
        const open = this.start;
        this.enter(open);
        this.next();
        const expression = this.parseComparisonOr();
        if (this.kind !== T_RPAREN) {
          this.fail(
            this.start,
            `expected ')' to close the parenthesized comparison opened at ${this.where(open)} (or AND / OR to extend it), found ${this.found()}`,
          );
        }
        this.depth--;
        this.next();
        return { kind: 'comparisonGroup', expression };
      }
      case T_EXISTS:
        this.next();
        return { kind: 'exists', negated: false, path: this.parseObjectPath() };
      case T_NOT:
        if (this.v21) {
          this.next();
          if (this.kind !== T_EXISTS) {
            this.fail(
              this.start,
              `expected EXISTS after NOT, found ${this.found()} (NOT before a path only negates EXISTS; write the other negations as file:name NOT = 'a')`,
            );
          }
          this.next();
          return { kind: 'exists', negated: true, path: this.parseObjectPath() };
        }
        if (this.src.startsWith('EXISTS', this.end + countSpaces(this.src, this.end))) {
          this.fail(this.start, 'NOT EXISTS is only available in STIX 2.1 patterns (EXISTS is only available in STIX 2.1)');
        }
        this.failExpectedComparison();
        break;
      default:
        this.failExpectedComparison();
    }
  }

  private failExpectedComparison(): never {
    const what = this.v21 ? "an object path (e.g. file:name), EXISTS or '('" : "an object path (e.g. file:name) or '('";
    this.fail(this.start, `expected a comparison: ${what}, found ${this.found()}`);
  }

  private parseComparison(): Comparison {
    const pathStart = this.start;
    const path = this.parseObjectPath();
    let negated = false;
    if (this.kind === T_NOT) {
      negated = true;
      this.next();
    }
    const kind = this.kind;
    let comparison: Comparison;
    switch (kind) {
      case T_EQ:
      case T_NEQ: {
        this.next();
        const at = this.start;
        const value = this.parsePrimitiveLiteral();
        const rule = this.hashRule(path);
        if (rule !== undefined) this.checkHash(rule, value, at);
        comparison = { kind: 'comparison', path, negated, operator: kind === T_EQ ? '=' : '!=', value };
        break;
      }
      case T_LT:
      case T_LE:
      case T_GT:
      case T_GE: {
        const operator = kind === T_LT ? '<' : kind === T_LE ? '<=' : kind === T_GT ? '>' : '>=';
        this.next();
        const at = this.start;
        const value = this.parseOrderableLiteral(operator);
        const rule = this.hashRule(path);
        if (rule !== undefined) this.checkHash(rule, value, at);
        comparison = { kind: 'comparison', path, negated, operator, value };
        break;
      }
      case T_IN:
        this.next();
        comparison = { kind: 'comparison', path, negated, operator: 'IN', value: this.parseSet(this.hashRule(path)) };
        break;
      case T_LIKE:
      case T_MATCHES:
      case T_ISSUBSET:
      case T_ISSUPERSET: {
        const operator =
          kind === T_LIKE ? 'LIKE' : kind === T_MATCHES ? 'MATCHES' : kind === T_ISSUBSET ? 'ISSUBSET' : 'ISSUPERSET';
        this.next();
        if (this.kind !== T_STRING) {
          const hint = operator === 'MATCHES' ? " (regular expressions are written as strings: '^a.*b$')" : '';
          this.fail(this.start, `expected a string literal after ${operator}, found ${this.found()}${hint}`);
        }
        comparison = { kind: 'comparison', path, negated, operator, value: { kind: 'string', value: this.text } };
        this.next();
        break;
      }
      default:
        if (negated) {
          this.fail(this.start, `expected a comparison operator after NOT, found ${this.found()}`);
        }
        this.fail(
          this.start,
          `expected a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET, or NOT before one) after ${truncate(
            this.src.slice(pathStart, this.start).trimEnd(),
          )}, found ${this.found()}`,
        );
    }
    return comparison;
  }

  /**
   * The hash format a comparison value must match when the path is `...hashes...<ALGORITHM>`
   * with a known algorithm (the rule of the reference validator), else undefined.
   */
  private hashRule(path: ObjectPath): { name: string; format: HashFormat } | undefined {
    const steps = path.steps;
    const last = steps[steps.length - 1];
    if (last === undefined || last.kind !== 'property') return undefined;
    for (let i = 0; i < steps.length - 1; i++) {
      const step = steps[i];
      if (step !== undefined && step.kind === 'property' && step.name === 'hashes') {
        const format = hashFormatFor(last.name);
        return format === undefined ? undefined : { name: last.name, format };
      }
    }
    return undefined;
  }

  private checkHash(rule: { name: string; format: HashFormat }, lit: PrimitiveLiteral, at: number): void {
    if (lit.kind !== 'string') {
      const found = lit.kind === 'integer' ? 'an integer' : lit.kind === 'boolean' ? 'a boolean' : `a ${lit.kind} literal`;
      this.fail(at, `hash values for ${truncate(rule.name)} must be string literals, found ${found}`);
    }
    if (!isValidHash(rule.format, lit.value)) {
      this.fail(
        at,
        `'${truncate(lit.value, 80)}' is not a valid ${truncate(rule.name)} hash (expected ${rule.format.description})`,
      );
    }
  }

  private parseObjectPath(): ObjectPath {
    if (this.kind !== T_IDENT && this.kind !== T_IDENT_HYPHEN) {
      this.fail(this.start, `expected an object path such as file:name, found ${this.found()}`);
    }
    const objectType = this.text;
    this.next();
    if (this.kind !== T_COLON) {
      const hint =
        !this.v21 && objectType === 'EXISTS' ? ' (EXISTS is only available in STIX 2.1 patterns)' : '';
      this.fail(
        this.start,
        `expected ':' after object type '${truncate(objectType)}' (object paths look like type:property), found ${this.found()}${hint}`,
      );
    }
    this.next();
    const steps: PathStep[] = [{ kind: 'property', name: this.propertyName(`'${truncate(objectType)}:'`) }];
    this.next();
    for (;;) {
      if (this.kind === T_DOT) {
        this.next();
        steps.push({ kind: 'property', name: this.propertyName("'.'") });
        this.next();
      } else if (this.kind === T_LBRACK) {
        this.next();
        if (this.kind === T_STAR) {
          steps.push({ kind: 'anyIndex' });
        } else if (this.kind === T_INT) {
          const index = Number(this.text);
          steps.push({ kind: 'index', index: index === 0 ? 0 : index });
        } else {
          this.fail(this.start, `expected a list index (an integer or *) after '[', found ${this.found()}`);
        }
        this.next();
        if (this.kind !== T_RBRACK) {
          this.fail(this.start, `expected ']' to close the list index, found ${this.found()}`);
        }
        this.next();
      } else {
        return { objectType, steps };
      }
    }
  }

  /** The current token as a property name (bare identifier or quoted string). */
  private propertyName(after: string): string {
    if (this.kind === T_IDENT || this.kind === T_STRING) return this.text;
    if (this.kind === T_IDENT_HYPHEN) {
      this.fail(
        this.start,
        `property name '${truncate(this.text)}' contains '-': quote it, as in file:hashes.'SHA-256'`,
      );
    }
    if (this.kind >= T_AND || this.kind === T_BOOL) {
      const raw = this.src.slice(this.start, this.end);
      this.fail(this.start, `expected a property name after ${after}, found ${this.found()} (quote it as '${raw}' to use it as a name)`);
    }
    this.fail(this.start, `expected a property name after ${after}, found ${this.found()}`);
  }

  // -------------------------------------------------------------------------------------------
  // Literals

  private integer(): IntegerLiteral {
    return { kind: 'integer', value: Number(this.text), text: this.text };
  }

  private float(): FloatLiteral {
    return { kind: 'float', value: Number(this.text), text: this.text };
  }

  private parsePrimitiveLiteral(): PrimitiveLiteral {
    if (this.kind === T_BOOL) {
      const lit: PrimitiveLiteral = { kind: 'boolean', value: this.bool };
      this.next();
      return lit;
    }
    return this.parseOrderableLiteral(null);
  }

  private parseOrderableLiteral(operator: string | null): OrderableLiteral {
    let lit: OrderableLiteral;
    switch (this.kind) {
      case T_STRING:
        lit = { kind: 'string', value: this.text };
        break;
      case T_INT:
        lit = this.integer();
        break;
      case T_FLOAT:
        lit = this.float();
        break;
      case T_HEX:
        lit = { kind: 'hex', value: this.text };
        break;
      case T_BINARY:
        lit = { kind: 'binary', value: this.text };
        break;
      case T_TIMESTAMP:
        lit = { kind: 'timestamp', value: this.text };
        break;
      default: {
        if (this.kind === T_BOOL && operator !== null) {
          this.fail(this.start, `expected an orderable value after ${operator}, found ${this.found()} (booleans cannot be ordered)`);
        }
        const hint =
          this.kind === T_IDENT || this.kind === T_IDENT_HYPHEN ? ' (string values must be in single quotes)' : '';
        this.fail(
          this.start,
          `expected a value (string, number, boolean, h'..', b'..' or t'..'), found ${this.found()}${hint}`,
        );
      }
    }
    this.next();
    return lit;
  }

  private parseSet(hashRule: { name: string; format: HashFormat } | undefined): SetLiteral {
    if (this.kind !== T_LPAREN) {
      this.fail(this.start, `expected '(' to start the set of values after IN, found ${this.found()}`);
    }
    const open = this.start;
    this.next();
    const values: PrimitiveLiteral[] = [];
    if (this.kind === T_RPAREN) {
      this.next();
      return { kind: 'set', values };
    }
    for (;;) {
      const at = this.start;
      const value = this.parsePrimitiveLiteral();
      if (hashRule !== undefined) this.checkHash(hashRule, value, at);
      const first = values[0];
      if (first !== undefined && first.kind !== value.kind) {
        this.fail(
          at,
          `IN set mixes types: ${literalKindName(first)} and ${literalKindName(value)}; all values of a set must be of one type (STIX 2.1 section 9.6.1)`,
        );
      }
      values.push(value);
      if (this.kind === T_COMMA) {
        this.next();
        continue;
      }
      if (this.kind === T_RPAREN) {
        this.next();
        return { kind: 'set', values };
      }
      this.fail(this.start, `expected ',' or ')' in the set opened at ${this.where(open)}, found ${this.found()}`);
    }
  }
}

function literalKindName(lit: PrimitiveLiteral): string {
  switch (lit.kind) {
    case 'string':
      return 'a string';
    case 'integer':
      return 'an integer';
    case 'float':
      return 'a float';
    case 'boolean':
      return 'a boolean';
    case 'hex':
      return 'a hex literal';
    case 'binary':
      return 'a binary literal';
    case 'timestamp':
      return 'a timestamp literal';
  }
}

/** Number of whitespace characters (ASCII) from offset on. */
function countSpaces(src: string, offset: number): number {
  let n = 0;
  while (offset + n < src.length && /\s/.test(src[offset + n] ?? '')) n++;
  return n;
}

function hasNonZeroDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 49 && c <= 57) return true;
  }
  return false;
}

/** 1-based line and column of a 0-based offset (lines end at '\n'). */
export function lineColumn(src: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const limit = Math.min(offset, src.length);
  for (let i = src.indexOf('\n'); i >= 0 && i < limit; i = src.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
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
