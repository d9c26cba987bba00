/**
 * STIX timestamps (spec 2.16): RFC 3339, UTC, 'Z' designator, form YYYY-MM-DDTHH:mm:ss[.s+]Z.
 * `created` and `modified` additionally need at least millisecond precision (3.2).
 * All functions work on the string directly, without allocating intermediate Date objects.
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits2(s: string, at: number): number {
  return (s.charCodeAt(at) - 48) * 10 + (s.charCodeAt(at + 1) - 48);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Character layout of YYYY-MM-DDTHH:mm:ss: 0 = digit, otherwise the required character code. */
const LAYOUT = [0, 0, 0, 0, 45, 0, 0, 45, 0, 0, 84, 0, 0, 58, 0, 0, 58, 0, 0];

/** Whether the text has the form YYYY-MM-DDTHH:mm:ss[.s+]Z (field ranges not checked). */
function hasTimestampShape(value: string): boolean {
  const length = value.length;
  if (length < 20 || value.charCodeAt(length - 1) !== 90) return false;
  for (let i = 0; i < 19; i++) {
    const code = value.charCodeAt(i);
    const expected = LAYOUT[i];
    if (expected === 0 ? !isDigit(code) : code !== expected) return false;
  }
  if (length === 20) return true;
  if (value.charCodeAt(19) !== 46 || length < 22) return false;
  for (let i = 20; i < length - 1; i++) if (!isDigit(value.charCodeAt(i))) return false;
  return true;
}

/** Why the date and time fields of a well-shaped timestamp are out of range, or undefined. */
function rangeProblem(value: string): string | undefined {
  const year = digits2(value, 0) * 100 + digits2(value, 2);
  const month = digits2(value, 5);
  const day = digits2(value, 8);
  const hour = digits2(value, 11);
  const minute = digits2(value, 14);
  const second = digits2(value, 17);
  if (month < 1 || month > 12) return `has month ${month}, which is not between 01 and 12`;
  const maxDay = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
  if (day < 1 || day > maxDay) return `has day ${day}, but ${value.slice(0, 7)} has ${maxDay} days`;
  if (hour > 23) return `has hour ${hour}, which is not between 00 and 23`;
  if (minute > 59) return `has minute ${minute}, which is not between 00 and 59`;
  // RFC 3339 allows second 60 for a leap second, which only ever occurs at 23:59 UTC.
  if (second > 60 || (second === 60 && (hour !== 23 || minute !== 59))) {
    return `has second ${second}, which is not between 00 and 59 (60 only for a leap second at 23:59:60Z)`;
  }
  return undefined;
}

/**
 * Why `value` is not a valid STIX timestamp, or undefined if it is one.
 * The text completes the sentence "The timestamp ...".
 */
export function timestampProblem(value: string): string | undefined {
  if (!hasTimestampShape(value)) {
    return 'must have the form YYYY-MM-DDTHH:mm:ss[.s+]Z, in UTC with the Z designator (e.g. 2016-01-20T12:31:12.123Z)';
  }
  return rangeProblem(value);
}

/**
 * The number of sub-second digits of a valid timestamp, or -1 when `value` is not a valid
 * timestamp (then timestampProblem says why). One call answers both validity and precision.
 */
export function timestampFractionDigits(value: string): number {
  if (!hasTimestampShape(value) || rangeProblem(value) !== undefined) return -1;
  return value.length > 20 ? value.length - 21 : 0;
}

export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && timestampProblem(value) === undefined;
}

/** Number of digits after the decimal point of a well-formed timestamp. */
export function fractionDigits(value: string): number {
  return value.length > 20 ? value.length - 21 : 0;
}

/** True when a well-formed timestamp has at least three sub-second digits (created/modified rule). */
export function hasMillisecondPrecision(value: string): boolean {
  return value.length >= 24;
}

/**
 * Orders two well-formed timestamps by the instant they denote (negative, zero, positive),
 * whatever their number of fractional digits.
 */
export function compareTimestamps(a: string, b: string): number {
  for (let i = 0; i < 19; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  const fa = fractionDigits(a);
  const fb = fractionDigits(b);
  const n = fa > fb ? fa : fb;
  for (let i = 0; i < n; i++) {
    const ca = i < fa ? a.charCodeAt(20 + i) : 48;
    const cb = i < fb ? b.charCodeAt(20 + i) : 48;
    if (ca !== cb) return ca - cb;
  }
  return 0;
}

/** Pads the fraction of a well-formed timestamp to three digits ('...:00Z' -> '...:00.000Z'); longer fractions are kept. */
export function toMillisecondPrecision(value: string): string {
  const digits = fractionDigits(value);
  if (digits >= 3) return value;
  const head = value.slice(0, 19);
  const fraction = digits === 0 ? '' : value.slice(20, 20 + digits);
  return `${head}.${fraction.padEnd(3, '0')}Z`;
}

/** Milliseconds since the epoch (sub-millisecond digits are truncated). */
export function timestampToEpochMillis(value: string): number {
  const year = digits2(value, 0) * 100 + digits2(value, 2);
  let ms = 0;
  const digits = fractionDigits(value);
  for (let i = 0; i < 3; i++) ms = ms * 10 + (i < digits ? value.charCodeAt(20 + i) - 48 : 0);
  const t = Date.UTC(year, digits2(value, 5) - 1, digits2(value, 8), digits2(value, 11), digits2(value, 14), digits2(value, 17), ms);
  if (year >= 100) return t;
  // Date.UTC maps years 0-99 to 1900-1999.
  const date = new Date(t);
  date.setUTCFullYear(year);
  return date.getTime();
}

/**
 * Microseconds since the epoch of a well-formed timestamp (digits past the sixth are cut). A leap
 * second (second 60, which RFC 3339 allows and Date.parse does not read) is the last microsecond
 * of its minute: after every instant of second 59, before the next minute.
 */
export function timestampToEpochMicros(value: string): number {
  if (value.charCodeAt(17) === 54 && value.charCodeAt(18) === 48) return timestampToEpochMillis(`${value.slice(0, 17)}59Z`) * 1000 + 999_999;
  let micros = 0;
  const digits = fractionDigits(value);
  for (let i = 3; i < 6; i++) micros = micros * 10 + (i < digits ? value.charCodeAt(20 + i) - 48 : 0);
  return timestampToEpochMillis(value) * 1000 + micros;
}
