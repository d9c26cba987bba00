/**
 * What a log reader is asked for and what it gives: the formats, the events with their values
 * (typed by kind, kept as found), the errors, and the reading options, checked once at the call.
 */
import { isObservableKind, OBSERVABLE_KINDS, type ObservableKind } from '../../stix/observable/kinds.js';

export const LOG_FORMATS = ['ndjson', 'csv', 'zeek', 'eve', 'lines'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface EventValue {
  readonly kind: ObservableKind;
  /** As found in the record, not normalised. */
  readonly value: string;
  /** Where in the record, e.g. 'id.resp_h', 'dest_ip', 'column 3'. */
  readonly field: string;
}

export interface LogEvent {
  /** 1-based line number of the record's first line in the input. */
  readonly line: number;
  /** Epoch ms, when the record has a time. */
  readonly time?: number;
  readonly values: readonly EventValue[];
  /** The parsed record (ndjson, eve, zeek, csv), kept for observed-data. */
  readonly record?: Readonly<Record<string, unknown>>;
}

export interface LogError {
  readonly line: number;
  /** Byte offset of the line start in the input. */
  readonly offset: number;
  /** What was wrong and how to fix it. */
  readonly message: string;
}

export interface ReadLogOptions {
  /** Default: detected from the first lines that are neither blank nor '#' comments. */
  readonly format?: LogFormat;
  /** csv: column name (from the header) or 1-based index -> kind; JSON formats: dotted field path -> kind, added to the built-in map. */
  readonly columns?: Readonly<Record<string, ObservableKind>>;
  /** csv: the first record names the columns. Default true. */
  readonly csvHeader?: boolean;
  /** csv: one character, default ','. */
  readonly delimiter?: string;
  /** Bad records are reported here and skipped, never thrown; reading goes on. */
  readonly onError?: (error: LogError) => void;
  /** Bytes consumed so far, after each input chunk. */
  readonly onProgress?: (bytes: number) => void;
  /** Longest line (or quoted CSV record) accepted; longer ones are reported and skipped. Default 8 MiB. */
  readonly maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

/** Options as the readers use them: checked, defaulted and frozen (resolveOptions). */
export interface Settings {
  readonly format: LogFormat | undefined;
  readonly columns: ReadonlyMap<string, ObservableKind>;
  readonly csvHeader: boolean;
  readonly delimiter: string;
  readonly maxLineBytes: number;
  readonly onError: ((error: LogError) => void) | undefined;
  readonly onProgress: ((bytes: number) => void) | undefined;
}

/** Checks and completes the options; throws a TypeError saying what is wrong. */
export function resolveOptions(options: ReadLogOptions): Settings {
  const format = options.format;
  if (format !== undefined && !(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new TypeError(`format ${JSON.stringify(format)} is not one of ${LOG_FORMATS.join(', ')}`);
  }
  const columns = new Map<string, ObservableKind>();
  for (const [column, kind] of Object.entries(options.columns ?? {})) {
    if (typeof kind !== 'string' || !isObservableKind(kind)) {
      throw new TypeError(`columns[${JSON.stringify(column)}]: ${JSON.stringify(kind)} is not a kind; use one of ${OBSERVABLE_KINDS.join(', ')}`);
    }
    if (column.length === 0) throw new TypeError('columns: a column name or path cannot be empty');
    columns.set(column, kind);
  }
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new TypeError(`delimiter ${JSON.stringify(delimiter)} must be one character other than a quote or a line break`);
  }
  const csvHeader = options.csvHeader ?? true;
  if (format === 'csv' && !csvHeader) {
    for (const column of columns.keys()) {
      if (columnIndex(column) === undefined) {
        throw new TypeError(`columns[${JSON.stringify(column)}]: without a header (csvHeader: false) columns are named by 1-based number`);
      }
    }
  }
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) throw new TypeError(`maxLineBytes must be a positive integer, not ${maxLineBytes}`);
  return Object.freeze({ format, columns, csvHeader, delimiter, maxLineBytes, onError: options.onError, onProgress: options.onProgress });
}

/** Checks reading options as readLogEvents does, throwing the same TypeErrors. */
export function checkReadOptions(options: ReadLogOptions): void {
  resolveOptions(options);
}

/** A CSV column named by its 1-based number ('3'), or undefined for a name. */
export function columnIndex(name: string): number | undefined {
  if (name.length === 0 || name.length > 6) return undefined;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const n = Number(name);
  return n >= 1 ? n : undefined;
}
