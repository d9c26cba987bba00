/** Token kinds, character classes and keywords of STIX patterning (the lexer's tables). */

// ---------------------------------------------------------------------------------------------
// Tokens

export const T_EOF: number = 0;
export const T_LBRACK: number = 1;
export const T_RBRACK: number = 2;
export const T_LPAREN: number = 3;
export const T_RPAREN: number = 4;
export const T_COLON: number = 5;
export const T_DOT: number = 6;
export const T_COMMA: number = 7;
export const T_STAR: number = 8;
export const T_EQ: number = 9;
export const T_NEQ: number = 10;
export const T_LT: number = 11;
export const T_LE: number = 12;
export const T_GT: number = 13;
export const T_GE: number = 14;
export const T_IDENT: number = 15; // [A-Za-z_][A-Za-z0-9_]*, not a keyword
export const T_IDENT_HYPHEN: number = 16; // [A-Za-z_][A-Za-z0-9_-]* containing at least one '-'
export const T_STRING: number = 17;
export const T_INT: number = 18;
export const T_FLOAT: number = 19;
export const T_HEX: number = 20;
export const T_BINARY: number = 21;
export const T_TIMESTAMP: number = 22;
export const T_BOOL: number = 23;
export const T_INVALID: number = 24; // a character that starts no token
// keywords
export const T_AND: number = 30;
export const T_OR: number = 31;
export const T_NOT: number = 32;
export const T_FOLLOWEDBY: number = 33;
export const T_LIKE: number = 34;
export const T_MATCHES: number = 35;
export const T_ISSUPERSET: number = 36;
export const T_ISSUBSET: number = 37;
export const T_EXISTS: number = 38;
const T_LAST: number = 39;
export const T_IN: number = 40;
export const T_START: number = 41;
export const T_STOP: number = 42;
export const T_SECONDS: number = 43;
export const T_WITHIN: number = 44;
export const T_REPEATS: number = 45;
export const T_TIMES: number = 46;

// Character classes for ASCII.
export const C_IDENT_START = 1;
export const C_IDENT_PART = 2;
const C_DIGIT = 4;
export const C_HEX = 8;
export const C_BASE64 = 16;

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

export function charClass(c: number): number {
  return c < 128 ? (CHAR_CLASS[c] ?? 0) : 0;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The non-ASCII whitespace of the grammar's WS rule. */
export function isWideSpace(c: number): boolean {
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
export function keywordKind(src: string, s: number, len: number, v21: boolean): number {
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

export const KEYWORD_TEXT: Readonly<Record<number, string>> = {
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
