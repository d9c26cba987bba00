/**
 * The pattern lexer: pulled one token at a time, the current token held in fields (no token
 * objects), failures thrown as a PatternFailure that parsePattern turns into a result.
 */
import { timestampProblem } from './timestamp.js';
import {
  C_BASE64, C_HEX, C_IDENT_PART, C_IDENT_START, T_AND, T_BINARY, T_BOOL, T_COLON, T_COMMA, T_DOT, T_EOF, T_EQ,
  T_FLOAT, T_GE, T_GT, T_HEX, T_IDENT, T_IDENT_HYPHEN, T_INT, T_INVALID, T_LBRACK, T_LE, T_LPAREN, T_LT, T_NEQ,
  T_RBRACK, T_RPAREN, T_STAR, T_STRING, T_TIMESTAMP, charClass, isDigit, isWideSpace, keywordKind,
} from './tokens.js';

/** Deepest nesting of brackets and parentheses accepted (keeps recursion bounded). */
export const MAX_NESTING_DEPTH = 256;

// ---------------------------------------------------------------------------------------------

/** Thrown inside the parser only; parsePattern converts it to an error result. */
export class PatternFailure {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}


export function truncate(s: string, max = 40): string {
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

export class Lexer {
  protected readonly src: string;
  protected readonly len: number;
  protected readonly v21: boolean;

  /** Lexer position: where scanning for the next token starts. */
  protected pos = 0;
  /** Current token. */
  protected kind = T_EOF;
  protected start = 0;
  protected end = 0;
  /** Identifier name, decoded string, canonical number, hex/base64/timestamp body. */
  protected text = '';
  protected bool = false;

  protected depth = 0;
  /** Offset of the next backslash at or after the last string scanned, -1 if none remains. */
  protected backslash = 0;

  constructor(src: string, v21: boolean) {
    this.src = src;
    this.len = src.length;
    this.v21 = v21;
  }

  // -------------------------------------------------------------------------------------------
  // Errors

  protected fail(offset: number, message: string): never {
    throw new PatternFailure(offset, message);
  }

  /** "column 7" on a one-line pattern, "line 2, column 7" otherwise. */
  protected where(offset: number): string {
    const { line, column } = lineColumn(this.src, offset);
    if (line === 1 && this.src.indexOf('\n') < 0) return `column ${column}`;
    return `line ${line}, column ${column}`;
  }

  /** How the current token reads in an error message. */
  protected found(): string {
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
  protected caseHint(): string {
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

  protected enter(offset: number): void {
    if (++this.depth > MAX_NESTING_DEPTH) {
      this.fail(offset, `brackets and parentheses are nested more than ${MAX_NESTING_DEPTH} deep`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Lexer

  protected next(): void {
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

  protected punct(kind: number, p: number, width: number): void {
    this.kind = kind;
    this.end = p + width;
    this.pos = p + width;
  }

  protected lexWord(p: number): void {
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

  protected lexNumber(p: number): void {
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

  protected lexString(p: number): void {
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
  protected literalBody(p: number, what: string): number {
    const close = this.src.indexOf("'", p + 2);
    if (close < 0) this.fail(p, `unterminated ${what}: no closing quote`);
    return close;
  }

  protected lexTimestamp(p: number): void {
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

  protected lexHex(p: number): void {
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

  protected lexBinary(p: number): void {
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
