/**
 * Record readers: one per format, fed complete lines, giving events. The generic ones live here:
 * plain lines (one value each) and JSON lines (one object each, its values found by a format's
 * extractor: see logformats.ndjson.ts, logformats.eve.ts, logformats.zeek.ts).
 */
import { detectKind } from '../../stix/observable.js';
import { isBlank, isRecord, quote, trimCell } from './logformats.fields.js';
import type { EventValue, LogEvent } from './logformats.options.js';

export type Report = (line: number, offset: number, message: string) => void;

/** Where a record reader puts the events it reads (an array, or a consumer taking them one by one). */
export interface EventSink {
  push(event: LogEvent): unknown;
}

/** What a record reader reads: the formats, with Zeek's two. */
export type ReaderFormat = 'lines' | 'csv' | 'eve' | 'ndjson' | 'zeek-tsv' | 'zeek-json';

export interface RecordReader {
  readonly format: ReaderFormat;
  line(text: string, line: number, offset: number, out: EventSink): void;
  /** End of input: records still open are reported or emitted. */
  end(out: LogEvent[]): void;
}

export class LinesReader implements RecordReader {
  readonly format = 'lines';
  constructor(private readonly report: Report) {}

  line(text: string, line: number, offset: number, out: EventSink): void {
    const value = trimCell(text);
    if (value.length === 0 || value.charCodeAt(0) === 0x23) return;
    const kind = detectKind(value);
    if (kind === undefined) {
      this.report(line, offset, `${quote(value)} is not a recognised value (an IP address, a domain, a URL with its scheme, an e-mail address, an md5/sha1/sha256/sha512 hash or a registry key); correct the line, remove it, or start it with '#' to make it a comment`);
      return;
    }
    out.push({ line, time: undefined, values: [{ kind, value, field: 'line' }], record: undefined });
  }

  end(): void {}
}

export type Extract = (record: Record<string, unknown>, values: EventValue[]) => void;

/**
 * Fields (keys, and strings in arrays) one JSON record may have. Parsing and walking a record is
 * one piece of work that nothing interrupts: one 5.5 MB line of 400,000 keys held a node's thread
 * 0.5 s. Log records have tens of fields, thousands at most.
 */
export const MAX_JSON_FIELDS = 16_384;
/** Does a JSON line hold more than MAX_JSON_FIELDS fields? Told without parsing it (fieldsAtMost). */
export function tooWideJson(text: string): boolean {
  // Counted twice at most (a key after a comma): refused only past twice the bound.
  return text.length > FIELD_SCAN_CHARS && fieldsAtMost(text, 2 * MAX_JSON_FIELDS) > 2 * MAX_JSON_FIELDS;
}

/** Lines shorter than this cannot hold MAX_JSON_FIELDS fields: they are not scanned. */
const FIELD_SCAN_CHARS = 4 * MAX_JSON_FIELDS;

/**
 * At most how many fields a JSON line holds, counted without parsing it: each key is followed by
 * `":`, and each string after the first of an array follows `,"` (a key after a comma counts
 * twice; text inside strings may count too). An upper bound, stopping past `limit`.
 */
function fieldsAtMost(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf('"'); i >= 0 && n <= limit; i = text.indexOf('"', i + 1)) {
    if (text.charCodeAt(i + 1) === 0x3a || text.charCodeAt(i - 1) === 0x2c) n++;
  }
  return n;
}

export class JsonReader implements RecordReader {
  /** Leave `time` out of the events, for the consumer to ask timeOf of those it keeps (see LineRunReader). */
  deferTime = false;

  constructor(
    readonly format: 'eve' | 'ndjson' | 'zeek-json',
    private readonly report: Report,
    private readonly extract: Extract,
    readonly time: (record: Record<string, unknown>) => number | undefined,
  ) {}

  line(text: string, line: number, offset: number, out: EventSink): void {
    if (isBlank(text)) return;
    if (tooWideJson(text)) {
      this.report(line, offset, `more than ${MAX_JSON_FIELDS} fields in one JSON record; a record this wide is not read: split it`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      this.report(line, offset, `not valid JSON (${error instanceof Error ? error.message : String(error)}); each line must hold one complete JSON object`);
      return;
    }
    if (!isRecord(parsed)) {
      this.report(line, offset, `expected a JSON object, found ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : `a ${typeof parsed}`}; each line must hold one JSON object`);
      return;
    }
    const values: EventValue[] = [];
    let time: number | undefined;
    try {
      this.extract(parsed, values);
      time = this.deferTime ? undefined : this.time(parsed);
    } catch (error) {
      // A record no reading rule expected (each has its bounds: this is the last guard) is this
      // line's error, not the end of the match.
      this.report(line, offset, `this record could not be read (${error instanceof Error ? error.message : String(error)}); correct the line or remove it`);
      return;
    }
    out.push({ line, time, values, record: parsed });
  }

  end(): void {}
}
