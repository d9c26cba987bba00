/**
 * Streaming reading of members' logs (NDJSON, CSV, Zeek TSV/JSON, Suricata EVE, plain lines).
 * Each record becomes a LogEvent with the observable values found in it, typed by kind and
 * kept as found; normalisation happens in the index. Lines are cut from the raw bytes, so a
 * chunk boundary may fall anywhere (mid-line, mid-character); at most one line is held.
 * Formats, field maps and error handling are documented in docs/DETECT-FORMATS.md.
 */
import { createReader, Dispatcher, type LineFormat } from './logformats.dispatch.js';
import { resolveOptions, type LogEvent, type ReadLogOptions, type Settings } from './logformats.options.js';
import { JsonReader, type EventSink, type RecordReader, type Report } from './logformats.reader.js';
import { timeOf } from './logformats.time.js';
import { nextTurn } from '../../core/turn.js';
import { zeekJsonExtractor } from './logformats.zeek.js';

const BATCH_EVENTS = 1024;
/**
 * Reading that gives no event (blank lines, comments, a quoted field open over many lines, lines
 * too long) lets other work in this often: chunks already arrived are taken without a turn of the
 * event loop, and the consumer, which takes turns as it matches, sees nothing to match.
 */
const TURN_MS = 10;

/** Reads records from a byte stream and yields their events in batches. Never buffers the whole input. */
export function readLogEvents(input: AsyncIterable<Buffer | string>, options: ReadLogOptions = {}): AsyncGenerator<LogEvent[]> {
  // Options are checked here, at the call, rather than at the first next().
  return read(input, resolveOptions(options));
}

/**
 * The input as bytes. A string chunk ending in a high surrogate keeps it for the next chunk (its
 * pair may start that one); one left at the end is written as UTF-8 does a lone surrogate.
 */
export async function* inputBytes(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  let surrogate = '';
  for await (const chunk of input) {
    if (typeof chunk !== 'string') {
      yield chunk;
      continue;
    }
    let text = surrogate + chunk;
    surrogate = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      surrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    yield Buffer.from(text, 'utf8');
  }
  if (surrogate !== '') yield Buffer.from(surrogate, 'utf8');
}

export function oversizedLineMessage(maxLineBytes: number): string {
  return `the line is longer than maxLineBytes (${maxLineBytes} bytes) and was skipped; raise maxLineBytes if such lines are expected`;
}

/**
 * Reads whole lines of one of the line formats, a run at a time (see readLineRun). The events
 * it gives have no `time`: most are dropped at once, and reading a timestamp cost as much as a
 * tenth of reading the event. timeOf(event) reads it for those kept.
 */
export class LineRunReader {
  readonly #settings: Settings;
  readonly #reader: RecordReader;
  readonly #time: ((record: Record<string, unknown>) => number | undefined) | undefined;
  #report: Report = () => undefined;

  constructor(format: LineFormat, options: ReadLogOptions = {}) {
    this.#settings = resolveOptions({ ...options, format: format === 'zeek-json' ? 'zeek' : format });
    const report: Report = (line, offset, message) => this.#report(line, offset, message);
    this.#reader = format === 'zeek-json'
      ? new JsonReader('zeek-json', report, zeekJsonExtractor(this.#settings.columns), (r) => timeOf(r.ts))
      : createReader(format, undefined, this.#settings, report);
    if (this.#reader instanceof JsonReader) {
      this.#reader.deferTime = true;
      this.#time = this.#reader.time;
    }
  }

  /** The time of an event this reader gave (as readLogEvents would have given it). */
  timeOf(event: LogEvent): number | undefined {
    return event.record === undefined || this.#time === undefined ? event.time : this.#time(event.record);
  }

  /**
   * Reads a run of lines that starts at a line start, at byte `offset` of the input, and ends at
   * a line end or at the end of the input. Lines are numbered from `firstLine`; errors go to
   * `report` unprefixed. Returns the number of line feeds read.
   */
  read(bytes: Buffer, firstLine: number, offset: number, out: EventSink, report: Report): number {
    this.#report = report;
    const maxLineBytes = this.#settings.maxLineBytes;
    const reader = this.#reader;
    const n = bytes.length;
    let position = 0;
    let line = firstLine;
    while (position < n) {
      let end = bytes.indexOf(0x0a, position);
      if (end < 0) end = n;
      if (end - position > maxLineBytes) {
        report(line, offset + position, oversizedLineMessage(maxLineBytes));
      } else {
        const text = bytes.toString('utf8', position, end > position && bytes[end - 1] === 0x0d ? end - 1 : end);
        reader.line(offset + position === 0 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, line, offset + position, out);
      }
      position = end + 1;
      line++;
    }
    if (n === 0) return 0;
    return bytes[n - 1] === 0x0a ? line - firstLine : line - firstLine - 1;
  }
}

async function* read(input: AsyncIterable<Buffer | string>, settings: Settings): AsyncGenerator<LogEvent[]> {
  const report: Report = (line, offset, message) => settings.onError?.({ line, offset, message: `line ${line} (byte ${offset}): ${message}` });
  const dispatcher = new Dispatcher(settings, report);
  const maxLineBytes = settings.maxLineBytes;
  let out: LogEvent[] = [];

  let base = 0; // bytes before the current chunk
  let lineNumber = 1;
  let lineStart = 0; // byte offset of the current line
  let pieces: Buffer[] = []; // the current line's bytes from earlier chunks
  let pieceBytes = 0;
  let oversized = false; // the current line passed maxLineBytes: its bytes are dropped
  let turnAt = performance.now();

  const handle = (text: string): void => {
    const decoded = lineNumber === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    dispatcher.line(decoded, lineNumber, lineStart, out);
  };

  const finishLine = (chunk: Buffer, from: number, to: number): void => {
    if (oversized || pieceBytes + (to - from) > maxLineBytes) {
      report(lineNumber, lineStart, oversizedLineMessage(maxLineBytes));
    } else if (pieces.length === 0) {
      handle(chunk.toString('utf8', from, to > from && chunk[to - 1] === 0x0d ? to - 1 : to));
    } else {
      pieces.push(chunk.subarray(from, to));
      const whole = Buffer.concat(pieces);
      handle(whole.toString('utf8', 0, whole.length > 0 && whole[whole.length - 1] === 0x0d ? whole.length - 1 : whole.length));
    }
    pieces = [];
    pieceBytes = 0;
    oversized = false;
  };

  for await (const bytes of inputBytes(input)) {
    let position = 0;
    while (position < bytes.length) {
      const newline = bytes.indexOf(0x0a, position);
      if (newline < 0) {
        const rest = bytes.length - position;
        if (!oversized && pieceBytes + rest <= maxLineBytes) {
          // Copied: the caller may reuse its buffer once the next chunk is asked for.
          pieces.push(Buffer.from(bytes.subarray(position)));
          pieceBytes += rest;
        } else {
          oversized = true;
          pieces = [];
        }
        break;
      }
      finishLine(bytes, position, newline);
      position = newline + 1;
      lineNumber++;
      lineStart = base + position;
      if (out.length >= BATCH_EVENTS) {
        yield out;
        out = [];
      } else if ((lineNumber & 1023) === 0 && performance.now() - turnAt >= TURN_MS) {
        // A chunk of lines that make no events (bad records cost most: an exception each) gives
        // other requests their turn too: 1 MiB of them held the thread half a second.
        if (out.length > 0) {
          yield out;
          out = [];
        }
        await nextTurn();
        turnAt = performance.now();
      }
    }
    base += bytes.length;
    settings.onProgress?.(base);
    if (out.length > 0) {
      yield out;
      out = [];
      turnAt = performance.now();
    } else if (performance.now() - turnAt >= TURN_MS) {
      await nextTurn();
      turnAt = performance.now();
    }
  }
  if (pieceBytes > 0 || oversized) finishLine(Buffer.alloc(0), 0, 0);
  dispatcher.end(out);
  if (out.length > 0) yield out;
}
