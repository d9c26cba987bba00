/** The API's date-time format, apart from the schema helpers so that the command line loads it cheaply. */

/** The instants a timestamp writes with a four-digit year (STIX 2.1 section 3.2: years 0000 to 9999), in epoch ms. */
export const TIME_MIN_MS = new Date(0).setUTCFullYear(0, 0, 1);
export const TIME_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.\d{1,9})?(?:[Zz]|[+-](\d\d):(\d\d))$/;

/**
 * The format 'date-time' of the API's schemas: an RFC 3339 time (section 5.6) that the node can
 * compute with, at most 40 characters, in the years 0000-9999 once its offset is applied. Leap
 * seconds (`23:59:60`) are refused: JavaScript's Date cannot hold them, and a route read one as
 * Invalid Date and answered 500. The node's validator (app.ts) and the command line's checks of
 * bodies register this one function.
 */
export function isApiDateTime(text: string): boolean {
  if (text.length > 40) return false;
  const m = DATE_TIME.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  // The day exists in its month (2024-02-30 does not); years 0-99 are not shifted to the 1900s here.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCDate() !== day) return false;
  // Within the years a timestamp is written with four digits (an offset can carry 9999-12-31 past
  // them: stored as +010000-…, it no longer compared as text with the others).
  const at = Date.parse(text);
  return Number.isFinite(at) && at >= TIME_MIN_MS && at <= TIME_MAX_MS;
}
