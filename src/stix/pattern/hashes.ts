/**
 * Value checks for `...hashes.<ALGORITHM>` comparisons, as the OASIS reference pattern validator
 * applies them: the algorithm name is matched case-insensitively with hyphens removed
 * (`'SHA-256'`, `SHA256`, `sha-256` are all SHA-256); unknown algorithm names are not checked.
 */

interface HashFormat {
  /** Accepted lengths, in characters. */
  readonly lengths: readonly number[];
  /** true: hexadecimal digits only; false: the ssdeep alphabet [A-Za-z0-9/+:.]. */
  readonly hex: boolean;
  readonly description: string;
}

const hexFormat = (length: number): HashFormat => ({
  lengths: [length],
  hex: true,
  description: `${length} hexadecimal characters`,
});

const HASH_FORMATS: ReadonlyMap<string, HashFormat> = new Map<string, HashFormat>([
  ['MD5', hexFormat(32)],
  [
    'MD6',
    {
      lengths: [32, 40, 56, 64, 96, 128],
      hex: true,
      description: '32, 40, 56, 64, 96 or 128 hexadecimal characters',
    },
  ],
  ['RIPEMD160', hexFormat(40)],
  ['SHA1', hexFormat(40)],
  ['SHA224', hexFormat(56)],
  ['SHA256', hexFormat(64)],
  ['SHA384', hexFormat(96)],
  ['SHA512', hexFormat(128)],
  ['SHA3224', hexFormat(56)],
  ['SHA3256', hexFormat(64)],
  ['SHA3384', hexFormat(96)],
  ['SHA3512', hexFormat(128)],
  [
    'SSDEEP',
    {
      lengths: [],
      hex: false,
      description: '1 to 128 characters from A-Z a-z 0-9 / + : .',
    },
  ],
  ['WHIRLPOOL', hexFormat(128)],
]);

function normalizeAlgorithm(name: string): string {
  return name.toUpperCase().replaceAll('-', '');
}

/** The format a hash value for this algorithm name must have, or undefined if not checked. */
export function hashFormatFor(algorithm: string): HashFormat | undefined {
  return HASH_FORMATS.get(normalizeAlgorithm(algorithm));
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isSsdeepChar(c: number): boolean {
  return (
    (c >= 48 && c <= 58) || // 0-9 and ':'
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 43 || // +
    c === 46 || // .
    c === 47 // /
  );
}

/** Whether `value` is a well-formed hash for `format`. */
export function isValidHash(format: HashFormat, value: string): boolean {
  const n = value.length;
  if (format.hex) {
    if (!format.lengths.includes(n)) return false;
    for (let i = 0; i < n; i++) if (!isHexDigit(value.charCodeAt(i))) return false;
    return true;
  }
  if (n < 1 || n > 128) return false;
  for (let i = 0; i < n; i++) if (!isSsdeepChar(value.charCodeAt(i))) return false;
  return true;
}

export type { HashFormat };
