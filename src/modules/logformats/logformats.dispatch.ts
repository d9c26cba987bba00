/**
 * Which reader reads a log: the format asked for, or the one the first lines show (neither blank
 * nor '#' comments, which are held until the format is known).
 */
import { eveExtractor } from './logformats.eve.js';
import { CsvReader, looksLikeCsvHeader } from './logformats.csv.js';
import { isBlank, isRecord } from './logformats.fields.js';
import { ndjsonExtractor, ndjsonTime } from './logformats.ndjson.js';
import { resolveOptions, type LogEvent, type LogFormat, type ReadLogOptions, type Settings } from './logformats.options.js';
import { JsonReader, LinesReader, tooWideJson, type ReaderFormat, type RecordReader, type Report } from './logformats.reader.js';
import { timeOf } from './logformats.time.js';
import { isZeekJson, zeekJsonExtractor, ZeekTsvReader } from './logformats.zeek.js';

/** Comment and blank lines held while the format is not known yet; past this, the input is read as lines. */
const MAX_HELD_LINES = 10_000;

export function createReader(format: LogFormat, firstRecord: Record<string, unknown> | undefined, settings: Settings, report: Report): RecordReader {
  switch (format) {
    case 'lines': return new LinesReader(report);
    case 'csv': return new CsvReader(report, settings);
    case 'eve': return new JsonReader('eve', report, eveExtractor(settings.columns), (r) => timeOf(r.timestamp));
    case 'ndjson': return new JsonReader('ndjson', report, ndjsonExtractor(settings.columns), ndjsonTime);
    case 'zeek':
      return firstRecord === undefined
        ? new ZeekTsvReader(report, settings.columns)
        : new JsonReader('zeek-json', report, zeekJsonExtractor(settings.columns), (r) => timeOf(r.ts));
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Picks the reader from the first line that is neither blank nor a '#' comment (or a Zeek '#separator' line). */
function detectReader(text: string, settings: Settings, report: Report): RecordReader | undefined {
  const forced = settings.format;
  if (forced !== undefined && forced !== 'zeek') return createReader(forced, undefined, settings, report);
  if (text.startsWith('#separator')) return createReader('zeek', undefined, settings, report);
  if (isBlank(text) || text.charCodeAt(0) === 0x23) return undefined;
  const c0 = text.charCodeAt(text.search(/\S/));
  // A record too wide to read is not parsed to tell its format either: the JSON reader reports it.
  const record = c0 === 0x7b && !tooWideJson(text) ? parseObject(text) : undefined;
  if (forced === 'zeek') return createReader('zeek', record, settings, report);
  if (record !== undefined) {
    if ('event_type' in record) return createReader('eve', undefined, settings, report);
    if (isZeekJson(record)) return createReader('zeek', record, settings, report);
    return createReader('ndjson', undefined, settings, report);
  }
  if (c0 === 0x7b) return createReader('ndjson', undefined, settings, report);
  if (looksLikeCsvHeader(text, settings.delimiter)) return createReader('csv', undefined, settings, report);
  return createReader('lines', undefined, settings, report);
}

interface HeldLine {
  readonly text: string;
  readonly line: number;
  readonly offset: number;
}

/** Hands lines to the format's reader, holding the first blank and comment lines until the format is known. */
export class Dispatcher {
  private reader: RecordReader | undefined;
  private held: HeldLine[] = [];

  constructor(
    private readonly settings: Settings,
    private readonly report: Report,
  ) {
    const format = settings.format;
    // Zeek is either TSV or JSON: that waits for the first line.
    if (format !== undefined && format !== 'zeek') this.reader = createReader(format, undefined, settings, report);
  }

  line(text: string, line: number, offset: number, out: LogEvent[]): void {
    let reader = this.reader;
    if (reader === undefined) {
      reader = detectReader(text, this.settings, this.report);
      if (reader === undefined) {
        this.held.push({ text, line, offset });
        if (this.held.length < MAX_HELD_LINES) return;
        this.replay(createReader('lines', undefined, this.settings, this.report), out);
        return;
      }
      this.replay(reader, out);
    }
    reader.line(text, line, offset, out);
  }

  end(out: LogEvent[]): void {
    if (this.reader === undefined && this.held.length > 0) this.replay(createReader('lines', undefined, this.settings, this.report), out);
    this.reader?.end(out);
  }

  private replay(reader: RecordReader, out: LogEvent[]): void {
    this.reader = reader;
    for (const h of this.held) reader.line(h.text, h.line, h.offset, out);
    this.held = [];
  }
}

/** Formats whose lines can be read apart from each other, in any order, by several threads. */
export type LineFormat = 'lines' | 'eve' | 'ndjson' | 'zeek-json';

export function isLineFormat(format: ReaderFormat): format is LineFormat {
  return format === 'lines' || format === 'eve' || format === 'ndjson' || format === 'zeek-json';
}

/**
 * The reader readLogEvents would settle on, from the input's first lines (BOM and CR already
 * removed, at most maxLineBytes each); undefined while these lines do not decide it.
 */
export function settleFormat(lines: Iterable<string>, options: ReadLogOptions = {}): ReaderFormat | undefined {
  const settings = resolveOptions(options);
  const ignore: Report = () => undefined;
  const forced = settings.format;
  if (forced !== undefined && forced !== 'zeek') return createReader(forced, undefined, settings, ignore).format;
  let held = 0;
  for (const text of lines) {
    const reader = detectReader(text, settings, ignore);
    if (reader !== undefined) return reader.format;
    if (++held >= MAX_HELD_LINES) return 'lines';
  }
  return undefined;
}
