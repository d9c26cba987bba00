/** CSV (RFC 4180): a header names the columns, or columns are named by number; quoted fields may span lines. */
import { detectCertainKind, detectKind, type ObservableKind } from '../../stix/observable.js';
import { isBlank, pushValue, quote, trimCell } from './logformats.fields.js';
import { columnIndex, type EventValue, type LogEvent, type Settings } from './logformats.options.js';
import type { EventSink, RecordReader, Report } from './logformats.reader.js';
import { TIME_KEYS, timeOf } from './logformats.time.js';

/**
 * Fields one record may have. Each becomes a field of the event, and is looked at for its kind:
 * one line of 8 MiB (maxLineBytes) of empty fields held a node's thread 6 s. Logs have tens of
 * columns, hundreds at most.
 */
export const MAX_CSV_FIELDS = 4096;
const TOO_MANY_FIELDS = { error: `more than ${MAX_CSV_FIELDS} fields in one record; a record this wide is not read: check the delimiter, or split the record` } as const;

/** A record whose last quoted field is still open: the cells before it, and its text so far. */
interface OpenRecord {
  readonly open: { readonly cells: string[]; readonly value: string };
}
type CsvCells = string[] | { readonly error: string } | OpenRecord;

function isOpen(cells: CsvCells): cells is OpenRecord {
  return !Array.isArray(cells) && 'open' in cells;
}

/**
 * One RFC 4180 record, or what it holds so far when a quoted field is still open at the end of
 * the text. Given what an earlier line left open, it goes on from there with the next line's
 * text alone: a record of many lines is read in time linear in its length, not once per line.
 */
function parseCsvRecord(text: string, delimiter: string, resume?: OpenRecord): CsvCells {
  if (resume === undefined && text.indexOf('"') < 0) {
    const cells = text.split(delimiter, MAX_CSV_FIELDS + 1);
    return cells.length > MAX_CSV_FIELDS ? TOO_MANY_FIELDS : cells;
  }
  const cells: string[] = resume === undefined ? [] : resume.open.cells;
  const n = text.length;
  let i = 0;
  // Resumed inside a quoted field: the line break between the lines is part of its value.
  let inside: string | undefined = resume === undefined ? undefined : `${resume.open.value}\n`;
  for (;;) {
    if (inside !== undefined || text.charCodeAt(i) === 0x22) {
      let value = inside ?? '';
      let from = inside === undefined ? i + 1 : 0;
      inside = undefined;
      for (let j = from; ; ) {
        const q = text.indexOf('"', j);
        if (q < 0) return { open: { cells, value: value + text.slice(from) } };
        if (text.charCodeAt(q + 1) === 0x22) {
          value += text.slice(from, q + 1);
          from = q + 2;
          j = from;
          continue;
        }
        value += text.slice(from, q);
        i = q + 1;
        break;
      }
      cells.push(value);
      if (cells.length > MAX_CSV_FIELDS) return TOO_MANY_FIELDS;
      if (i >= n) return cells;
      if (text[i] !== delimiter) {
        return { error: `column ${cells.length}: text after the closing quote; quote the whole field and double any quote inside it ("a ""b"" c")` };
      }
      i++;
    } else {
      const d = text.indexOf(delimiter, i);
      if (d < 0) {
        cells.push(text.slice(i));
        return cells.length > MAX_CSV_FIELDS ? TOO_MANY_FIELDS : cells;
      }
      cells.push(text.slice(i, d));
      if (cells.length > MAX_CSV_FIELDS) return TOO_MANY_FIELDS;
      i = d + 1;
    }
    if (i >= n) {
      cells.push('');
      return cells.length > MAX_CSV_FIELDS ? TOO_MANY_FIELDS : cells;
    }
  }
}

function isHeaderCell(cell: string): boolean {
  const n = cell.length;
  if (n === 0 || n > 64) return false;
  const c0 = cell.charCodeAt(0) | 0x20;
  if (!((c0 >= 0x61 && c0 <= 0x7a) || cell.charCodeAt(0) === 0x5f || cell.charCodeAt(0) === 0x40)) return false;
  for (let i = 1; i < n; i++) {
    const c = cell.charCodeAt(i);
    const lower = c | 0x20;
    if (!((lower >= 0x61 && lower <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e || c === 0x2d || c === 0x20 || c === 0x40)) return false;
  }
  return detectCertainKind(cell) === undefined;
}

/** Names only, at least two of them, not all of them values themselves (a list of domains is no header). */
export function looksLikeCsvHeader(text: string, delimiter: string): boolean {
  const cells = parseCsvRecord(text, delimiter);
  if (!Array.isArray(cells) || cells.length < 2) return false;
  const names = cells.map((c) => c.trim());
  return names.every(isHeaderCell) && names.some((c) => detectKind(c) === undefined);
}

export class CsvReader implements RecordReader {
  readonly format = 'csv';
  private header: readonly string[] | undefined;
  private fieldNames: string[] = [];
  private kinds: (ObservableKind | undefined)[] = [];
  private timeIndex = -1;
  /** A record whose quoted field is open at the end of a line: where it began, its bytes so far. */
  private pending: { record: OpenRecord; bytes: number; line: number; offset: number } | undefined;

  constructor(
    private readonly report: Report,
    private readonly settings: Settings,
  ) {
    if (!settings.csvHeader) this.layout([]);
  }

  line(text: string, line: number, offset: number, out: EventSink): void {
    let recordLine = line;
    let recordOffset = offset;
    let bytes = 0;
    const pending = this.pending;
    if (pending !== undefined) {
      recordLine = pending.line;
      recordOffset = pending.offset;
      bytes = pending.bytes + 1;
      this.pending = undefined;
    } else if (isBlank(text) || (this.header === undefined && text.charCodeAt(0) === 0x23)) {
      return;
    }
    const cells = parseCsvRecord(text, this.settings.delimiter, pending?.record);
    if (isOpen(cells)) {
      // Counted line by line as they come, never by measuring the whole record again.
      bytes += Buffer.byteLength(text);
      if (bytes > this.settings.maxLineBytes) {
        this.report(recordLine, recordOffset, `a quoted field open since this line runs past maxLineBytes (${this.settings.maxLineBytes} bytes); close the quote, or double quotes inside the field`);
      } else {
        this.pending = { record: cells, bytes, line: recordLine, offset: recordOffset };
      }
      return;
    }
    if (!Array.isArray(cells)) {
      this.report(recordLine, recordOffset, cells.error);
      return;
    }
    if (this.header === undefined) {
      this.layout(cells.map((c) => c.trim()), recordLine, recordOffset);
      return;
    }
    out.push(this.event(cells, recordLine));
  }

  /** Column names and kinds, from the header (or from nothing when there is none). */
  private layout(header: readonly string[], line = 1, offset = 0): void {
    this.header = header;
    this.fieldNames = header.map((name, i) => (name === '' ? `column ${i + 1}` : name));
    const columns = this.settings.columns;
    for (const [column, kind] of columns) {
      let index = header.indexOf(column);
      if (index < 0) {
        const number = columnIndex(column);
        if (number === undefined) {
          this.report(line, offset, `columns names ${quote(column)}, which is not in the header (${header.join(', ')}); use a header name or a 1-based column number`);
          continue;
        }
        index = number - 1;
      }
      this.kinds[index] = kind;
    }
    this.timeIndex = header.findIndex((name) => (TIME_KEYS as readonly string[]).includes(name));
  }

  private fieldName(index: number): string {
    return this.fieldNames[index] ?? `column ${index + 1}`;
  }

  private event(cells: readonly string[], line: number): LogEvent {
    const values: EventValue[] = [];
    // Field names come from the log's header: a record without a prototype keeps "__proto__" a field.
    const record = Object.create(null) as Record<string, unknown>;
    const mapped = this.settings.columns.size > 0;
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i] ?? '';
      const field = this.fieldName(i);
      record[field] = cell;
      const value = trimCell(cell);
      if (value.length === 0) continue;
      if (mapped) {
        const kind = this.kinds[i];
        if (kind !== undefined) pushValue(values, kind, value, field);
      } else {
        const kind = detectKind(value);
        if (kind !== undefined) values.push({ kind, value, field });
      }
    }
    const timeCell = this.timeIndex >= 0 ? cells[this.timeIndex] : undefined;
    return { line, time: timeCell === undefined ? undefined : timeOf(timeCell.trim()), values, record };
  }

  end(): void {
    const pending = this.pending;
    if (pending !== undefined) {
      this.report(pending.line, pending.offset, 'a quoted field is still open at the end of the input; close the quote, or double quotes inside the field');
      this.pending = undefined;
    }
  }
}
