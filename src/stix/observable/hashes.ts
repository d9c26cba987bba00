/** Hashes: hex digests by length, ssdeep and TLSH. */
import type { ObservableKind } from './kinds.js';
import { isDigit, isHex, parseDecimal, trimStructured } from './chars.js';

function isBase64Char(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x2b || c === 0x2f;
}

/** blocksize:hash:hash, the block size 3 * 2^n, both parts base64 (case matters). */
export function normaliseSsdeep(input: string): string | undefined {
  const s = trimStructured(input);
  const first = s.indexOf(':');
  const second = s.indexOf(':', first + 1);
  if (first <= 0 || second < 0 || s.indexOf(':', second + 1) >= 0 || s.length > 256) return undefined;
  const blockSize = parseDecimal(s.slice(0, first), 4294967295);
  if (blockSize === undefined || s.charCodeAt(0) === 0x30) return undefined;
  let b = blockSize;
  if (b % 3 !== 0) return undefined;
  b /= 3;
  while (b > 1 && b % 2 === 0) b /= 2;
  if (b !== 1) return undefined;
  for (let i = first + 1; i < s.length; i++) {
    if (i !== second && !isBase64Char(s.charCodeAt(i))) return undefined;
  }
  return s;
}

/**
 * TLSH: upper-case hex. The standard digest (128 buckets, 1-byte checksum, 70 hex digits) is
 * written with its 'T1' version prefix, which TLSH 4+ prints and older tools omit; other
 * variants (74, 134 or 138 hex digits) carry no defined prefix and are kept bare.
 */
export function normaliseTlsh(input: string): string | undefined {
  let s = trimStructured(input);
  if ((s.charCodeAt(0) | 0x20) === 0x74 && s.charCodeAt(1) === 0x31) {
    s = s.slice(2);
    if (s.length !== 70) return undefined;
  }
  if (!isHex(s)) return undefined;
  if (s.length === 70) return `T1${s.toUpperCase()}`;
  return s.length === 74 || s.length === 134 || s.length === 138 ? s.toUpperCase() : undefined;
}

export function normaliseHex(input: string, length: number): string | undefined {
  const s = trimStructured(input);
  if (s.length !== length) return undefined;
  // One pass: hex digits, and whether any is upper case.
  let upper = false;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)) continue;
    if (c >= 0x41 && c <= 0x46) upper = true;
    else return undefined;
  }
  return upper ? s.toLowerCase() : s;
}

/** Hash kind of a hex string by its length (64 is read as sha256, 128 as sha512), or undefined. */
export function hashKindOf(value: string): ObservableKind | undefined {
  const n = value.length;
  const kind = n === 32 ? 'md5' : n === 40 ? 'sha1' : n === 64 ? 'sha256' : n === 128 ? 'sha512' : undefined;
  return kind !== undefined && isHex(value) ? kind : undefined;
}
