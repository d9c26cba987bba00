/**
 * Timestamp literal bodies as the patterning grammar defines them:
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, month 01-12, day 01-31, hour 00-23, minute 00-59,
 * second 00-59 or 60 (leap second). Like the grammar, the day is not checked against the
 * month's length (t'2023-02-29T00:00:00Z' is accepted by the reference implementation).
 */

const FORMAT = 'expected YYYY-MM-DDTHH:MM:SS[.fraction]Z';

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57 ? c - 48 : -1;
}

/** Two-digit field at i, or -1. */
function twoDigits(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** Why `s` is not a valid timestamp literal body, or null when it is. */
export function timestampProblem(s: string): string | null {
  const n = s.length;
  if (n < 19) return FORMAT;
  for (let i = 0; i < 4; i++) if (digit(s, i) < 0) return `${FORMAT} (year must be four digits)`;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return FORMAT;
  if (s.charCodeAt(10) !== 84) return `${FORMAT} (date and time are separated by an upper-case 'T')`;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return FORMAT;
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  if (month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return FORMAT;
  if (month < 1 || month > 12) return `month ${s.slice(5, 7)} is out of range 01-12`;
  if (day < 1 || day > 31) return `day ${s.slice(8, 10)} is out of range 01-31`;
  if (hour > 23) return `hour ${s.slice(11, 13)} is out of range 00-23`;
  if (minute > 59) return `minute ${s.slice(14, 16)} is out of range 00-59`;
  if (second > 60) return `second ${s.slice(17, 19)} is out of range 00-60`;
  let i = 19;
  if (s.charCodeAt(i) === 46) {
    i++;
    const fracStart = i;
    while (i < n && digit(s, i) >= 0) i++;
    if (i === fracStart) return `${FORMAT} (a '.' must be followed by digits)`;
  }
  if (i !== n - 1 || s.charCodeAt(i) !== 90) {
    return `${FORMAT} (the time zone must be an upper-case 'Z' ending the timestamp)`;
  }
  return null;
}

/**
 * Order two valid timestamp bodies: negative, zero or positive. Fractions compare as decimals
 * (`...:00Z` equals `...:00.000Z`).
 */
export function compareTimestamps(a: string, b: string): number {
  const ha = a.slice(0, 19);
  const hb = b.slice(0, 19);
  if (ha !== hb) return ha < hb ? -1 : 1;
  const fa = fraction(a);
  const fb = fraction(b);
  const width = Math.max(fa.length, fb.length);
  const pa = fa.padEnd(width, '0');
  const pb = fb.padEnd(width, '0');
  return pa === pb ? 0 : pa < pb ? -1 : 1;
}

function fraction(s: string): string {
  return s.charCodeAt(19) === 46 ? s.slice(20, s.length - 1) : '';
}
