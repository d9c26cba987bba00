/**
 * A compact form of prepared objects for the trip from the ingest worker to the writer thread.
 *
 * Posting an array of small objects between threads clones each of them, and on the receiving
 * side (the writer, which is the busier thread) that cost about 2.4 µs per prepared object:
 * over a tenth of the writer's time at tens of thousands of objects a second. Packed, a batch
 * is one string holding every text field end to end, one Int32Array of their lengths and one
 * Float64Array of the numbers: three values to clone whatever the batch size, and the writer
 * cuts the strings back out. Objects with anything beyond the common case (errors, warnings,
 * upgrades, a handling marking) travel unpacked, in order.
 */
import type { Prepared, PreparedObject } from './intel.prepare.js';
import { ROW_ABOUT_REF, ROW_ID, ROW_TYPE, ROW_VERSION, type NewVersion } from './intel.rows.js';

/**
 * The worker sends a message once its objects' bodies reach this many characters, whatever their
 * count: the packed text then stays below V8's large-object size (128 KiB), so that neither
 * thread allocates it in fresh, zero-filled memory pages. With 1,000 objects (about 1 MB) a
 * message, page faults were the writer's largest single cost in a CPU profile of a
 * 200,000-object ingest (`perf record` of `shieldwall ingest`).
 */
export const MESSAGE_CHARS = 96 * 1024;

export interface PackedBatch {
  /** Every packed string field, end to end, but those in `kept`. */
  text: string;
  /**
   * The fields an object's outcome keeps until its transaction commits (id, type, version,
   * about_ref), end to end. Apart from `text`: the strings cut from one keep it whole in memory,
   * and a transaction holds up to four batches' outcomes (db/grouped-writes.ts), not their bodies.
   */
  kept: string;
  /** Length of each string field, -1 for null; STRING_FIELDS per packed object. */
  lengths: Int32Array;
  /** NUMBER_FIELDS per packed object; NaN for null or absent. */
  numbers: Float64Array;
  /** Objects that are not packed, with their position in the batch. */
  others: Array<[number, Prepared]>;
  count: number;
}

// Row positions (see NewVersion) of the string and number fields.
const ROW_STRINGS = [3, 4, 5, 6, 7, 8, 10, 11, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23, 24, 27, 28] as const;
const ROW_NUMBERS = [0, 1, 2, 9, 12, 16, 25, 26] as const;
const STRING_FIELDS = ROW_STRINGS.length;
/** Whether each string field goes to `kept` (see PackedBatch). */
const KEPT = ROW_STRINGS.map((f) => f === ROW_ID || f === ROW_TYPE || f === ROW_VERSION || f === ROW_ABOUT_REF);
const ROW_WIDTH = ROW_STRINGS.length + ROW_NUMBERS.length;
/** The row's numbers, then the outcome's index, offset and line. */
const NUMBER_FIELDS = ROW_NUMBERS.length + 3;
const OUTCOME_INDEX = ROW_NUMBERS.length;
const OUTCOME_OFFSET = ROW_NUMBERS.length + 1;
const OUTCOME_LINE = ROW_NUMBERS.length + 2;

function packable(item: Prepared): item is PreparedObject & { row: NewVersion } {
  if ('streamError' in item || !item.row || item.handling) return false;
  const o = item.outcome;
  return o.status === 'accepted' && !o.errors && !o.warnings && !o.upgraded && o.id === item.row[3] && o.type === item.row[4];
}

/**
 * The text is built by concatenation, not `Array.prototype.join('')`: in the ingest worker, join
 * gave a two-byte string for one-byte (ASCII) fields, twice the bytes to clone, and strings the
 * writer's SQLite driver converts to UTF-8 more slowly (checked with v8.serialize's tag of the
 * result in the worker: 'c', two-byte, for join; '"', one-byte, for concatenation).
 */
export function packBatch(items: readonly Prepared[]): PackedBatch {
  let text = '';
  let kept = '';
  const lengths = new Int32Array(items.length * STRING_FIELDS);
  const numbers = new Float64Array(items.length * NUMBER_FIELDS);
  const others: Array<[number, Prepared]> = [];
  let packed = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (!packable(item)) {
      others.push([i, item]);
      continue;
    }
    const row = item.row;
    for (let f = 0; f < STRING_FIELDS; f++) {
      const value = row[ROW_STRINGS[f]!] as string | null;
      lengths[packed * STRING_FIELDS + f] = value === null ? -1 : value.length;
      if (value === null) continue;
      if (KEPT[f]) kept += value;
      else text += value;
    }
    const n = packed * NUMBER_FIELDS;
    for (let f = 0; f < ROW_NUMBERS.length; f++) numbers[n + f] = (row[ROW_NUMBERS[f]!] as number | null) ?? NaN;
    numbers[n + OUTCOME_INDEX] = item.outcome.index;
    numbers[n + OUTCOME_OFFSET] = item.outcome.offset ?? NaN;
    numbers[n + OUTCOME_LINE] = item.outcome.line ?? NaN;
    packed++;
  }
  return { text, kept, lengths, numbers, others, count: items.length };
}

export function unpackBatch(batch: PackedBatch): Prepared[] {
  const out: Prepared[] = new Array<Prepared>(batch.count);
  const { text, kept, lengths, numbers } = batch;
  let other = 0;
  let packed = 0;
  let at = 0;
  let keptAt = 0;
  for (let i = 0; i < batch.count; i++) {
    const next = batch.others[other];
    if (next && next[0] === i) {
      out[i] = next[1];
      other++;
      continue;
    }
    const row = new Array<string | number | null>(ROW_WIDTH);
    for (let f = 0; f < STRING_FIELDS; f++) {
      const length = lengths[packed * STRING_FIELDS + f]!;
      if (length < 0) row[ROW_STRINGS[f]!] = null;
      else if (KEPT[f]) {
        row[ROW_STRINGS[f]!] = kept.slice(keptAt, keptAt + length);
        keptAt += length;
      } else {
        row[ROW_STRINGS[f]!] = text.slice(at, at + length);
        at += length;
      }
    }
    const n = packed * NUMBER_FIELDS;
    for (let f = 0; f < ROW_NUMBERS.length; f++) {
      const value = numbers[n + f]!;
      row[ROW_NUMBERS[f]!] = Number.isNaN(value) ? null : value;
    }
    const id = row[3] as string;
    const type = row[4] as string;
    const offset = numbers[n + OUTCOME_OFFSET]!;
    const line = numbers[n + OUTCOME_LINE]!;
    out[i] = {
      outcome: {
        index: numbers[n + OUTCOME_INDEX]!,
        status: 'accepted',
        id,
        type,
        ...(Number.isNaN(offset) ? {} : { offset }),
        ...(Number.isNaN(line) ? {} : { line }),
      },
      row: row as NewVersion,
    };
    packed++;
  }
  return out;
}
