/** The time of a record: RFC 3339 / ISO 8601 text or epoch numbers, to epoch milliseconds. */
import { TIME_MAX_MS, TIME_MIN_MS } from '../../core/datetime.js';

export { TIME_MAX_MS, TIME_MIN_MS };

/** Fields that hold a record's time in JSON and CSV logs, in order of preference. */
export const TIME_KEYS = ['@timestamp', 'timestamp', 'time', 'ts'] as const;

function twoDigits(s: string, at: number): number {
  const a = s.charCodeAt(at) - 0x30;
  const b = s.charCodeAt(at + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * RFC 3339 / ISO 8601 date-time ('2024-01-15T10:00:00.123456+0000', 'Z', '+01:00', no zone =
 * UTC, 'T' or a space between date and time) -> epoch ms, or undefined.
 */
export function parseTimestamp(s: string): number | undefined {
  const n = s.length;
  if (n < 19) return undefined;
  const yHigh = twoDigits(s, 0);
  const yLow = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  const sep = s.charCodeAt(10);
  if (yHigh < 0 || yLow < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return undefined;
  if (s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d || (sep !== 0x54 && sep !== 0x74 && sep !== 0x20) || s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a) return undefined;
  let i = 19;
  let ms = 0;
  if (i < n && (s.charCodeAt(i) === 0x2e || s.charCodeAt(i) === 0x2c)) {
    i++;
    let scale = 100;
    const start = i;
    while (i < n) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      ms += d * scale;
      scale /= 10;
      i++;
    }
    if (i === start) return undefined;
    ms = Math.floor(ms);
  }
  let offsetMinutes = 0;
  if (i < n) {
    const c = s.charCodeAt(i);
    if (c === 0x5a || c === 0x7a) {
      if (i + 1 !== n) return undefined;
    } else if (c === 0x2b || c === 0x2d) {
      const oh = twoDigits(s, i + 1);
      let om = 0;
      let end = i + 3;
      if (end < n) {
        if (s.charCodeAt(end) === 0x3a) end++;
        om = twoDigits(s, end);
        end += 2;
      }
      if (oh < 0 || oh > 23 || om < 0 || om > 59 || end !== n) return undefined;
      offsetMinutes = (c === 0x2b ? 1 : -1) * (oh * 60 + om);
    } else {
      return undefined;
    }
  }
  const year = yHigh * 100 + yLow;
  let t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC reads years 0-99 as 1900-1999.
  if (year < 100) t = new Date(t).setUTCFullYear(year);
  return inTimestampRange(t - offsetMinutes * 60_000);
}

/**
 * The times a record may have: those a STIX timestamp can write (years 0000 to 9999, STIX 2.1
 * section 3.2), which a reported sighting's first_seen and last_seen are. Outside, a time is
 * not read (the event has none): one such record stopped a whole match where its time was written.
 */
function inTimestampRange(t: number): number | undefined {
  return Number.isNaN(t) || t < TIME_MIN_MS || t > TIME_MAX_MS ? undefined : t;
}

/** Epoch numbers below 1e11 are seconds (Zeek, Unix time), larger ones milliseconds. */
export function epochMs(v: number): number | undefined {
  if (!Number.isFinite(v) || v < 0) return undefined;
  return inTimestampRange(Math.round(v < 1e11 ? v * 1000 : v));
}

/** A record field's time: an epoch number (as a number or digits) or a date-time text. */
export function timeOf(v: unknown): number | undefined {
  if (typeof v === 'number') return epochMs(v);
  if (typeof v !== 'string' || v.length === 0) return undefined;
  const c = v.charCodeAt(0);
  if (c >= 0x30 && c <= 0x39 && v.length < 19) {
    const n = Number(v);
    return Number.isNaN(n) ? undefined : epochMs(n);
  }
  return parseTimestamp(v);
}
