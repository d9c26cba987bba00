/**
 * Streaming readers of members' logs (NDJSON, CSV, Zeek TSV/JSON, Suricata EVE, plain lines).
 * Each record becomes a LogEvent with the observable values found in it, typed by kind and
 * kept as found; normalisation happens in the index. Lines are cut from the raw bytes, so a
 * chunk boundary may fall anywhere (mid-line, mid-character); at most one line is held.
 * Formats, field maps and error handling are documented in docs/DETECT-FORMATS.md.
 */
import {
  detectCertainKind, detectKind, hashKindOf, ipKindOf, isObservableKind, OBSERVABLE_KINDS, parseIPv6,
  type ObservableKind,
} from './observable.js';

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
const BATCH_EVENTS = 1024;
/** Comment and blank lines held while the format is not known yet; past this, the input is read as lines. */
const MAX_HELD_LINES = 10_000;
const MAX_DEPTH = 32;

interface Settings {
  readonly format: LogFormat | undefined;
  readonly columns: ReadonlyMap<string, ObservableKind>;
  readonly csvHeader: boolean;
  readonly delimiter: string;
  readonly maxLineBytes: number;
  readonly onError: ((error: LogError) => void) | undefined;
  readonly onProgress: ((bytes: number) => void) | undefined;
}

function resolveOptions(options: ReadLogOptions): Settings {
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

/** Reads records from a byte stream and yields their events in batches. Never buffers the whole input. */
export function readLogEvents(input: AsyncIterable<Buffer | string>, options: ReadLogOptions = {}): AsyncGenerator<LogEvent[]> {
  // Options are checked here, at the call, rather than at the first next().
  return read(input, resolveOptions(options));
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

function trimCell(text: string): string {
  const n = text.length;
  if (n === 0) return text;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(n - 1);
  return first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09 ? text.trim() : text;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function columnIndex(name: string): number | undefined {
  if (name.length === 0 || name.length > 6) return undefined;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const n = Number(name);
  return n >= 1 ? n : undefined;
}

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
  const t = Date.UTC(yHigh * 100 + yLow, month - 1, day, hour, minute, second, ms);
  return Number.isNaN(t) ? undefined : t - offsetMinutes * 60_000;
}

/** Epoch numbers below 1e11 are seconds (Zeek, Unix time), larger ones milliseconds. */
function epochMs(v: number): number | undefined {
  if (!Number.isFinite(v) || v < 0) return undefined;
  return Math.round(v < 1e11 ? v * 1000 : v);
}

function timeOf(v: unknown): number | undefined {
  if (typeof v === 'number') return epochMs(v);
  if (typeof v !== 'string' || v.length === 0) return undefined;
  const c = v.charCodeAt(0);
  if (c >= 0x30 && c <= 0x39 && v.length < 19) {
    const n = Number(v);
    return Number.isNaN(n) ? undefined : epochMs(n);
  }
  return parseTimestamp(v);
}

// ---------------------------------------------------------------------------------------------
// Turning field values into event values

/** Beyond the kinds: 'ip' (v4 or v6, by parsing), 'host' (an IP or a host name), 'hash' (by length). */
type Resolver = ObservableKind | 'ip' | 'host' | 'hash';

/** Host-name characters only (letters, digits, '-', '.', '_', non-ASCII): keeps TXT or MX answers out. */
function looksLikeHostname(h: string): boolean {
  const n = h.length;
  if (n === 0 || n > 253) return false;
  for (let i = 0; i < n; i++) {
    const c = h.charCodeAt(i);
    const lower = c | 0x20;
    if (!((lower >= 0x61 && lower <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c >= 0x80)) return false;
  }
  return true;
}

function pushHost(values: EventValue[], raw: string, field: string): void {
  const ip = ipKindOf(raw);
  if (ip !== undefined) {
    values.push({ kind: ip, value: raw, field });
    return;
  }
  let host = raw;
  if (raw.charCodeAt(0) === 0x5b) {
    // '[v6]' or '[v6]:port', as in Host headers
    const close = raw.indexOf(']');
    if (close > 0 && parseIPv6(raw.slice(1, close)) !== undefined) values.push({ kind: 'ipv6', value: raw.slice(1, close), field });
    return;
  }
  const colon = raw.indexOf(':');
  if (colon > 0 && raw.indexOf(':', colon + 1) < 0) {
    host = raw.slice(0, colon);
    const hostIp = ipKindOf(host);
    if (hostIp !== undefined) {
      values.push({ kind: hostIp, value: host, field });
      return;
    }
  }
  if (looksLikeHostname(host)) values.push({ kind: 'domain', value: host, field });
}

const HEX_LENGTH = { md5: 32, sha1: 40, sha256: 64, sha512: 128, 'sha3-256': 64, 'sha3-512': 128, ja3: 32 } as const;

function isHexString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isHexDigit(s.charCodeAt(i))) return false;
  return true;
}

function pushValue(values: EventValue[], resolver: Resolver, raw: string, field: string): void {
  if (raw.length === 0) return;
  switch (resolver) {
    case 'ip':
    case 'ipv4':
    case 'ipv6': {
      const kind = ipKindOf(raw);
      if (kind !== undefined) values.push({ kind, value: raw, field });
      return;
    }
    case 'host':
      pushHost(values, raw, field);
      return;
    case 'hash': {
      const kind = hashKindOf(raw);
      if (kind !== undefined) values.push({ kind, value: raw, field });
      return;
    }
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
    case 'sha3-256':
    case 'sha3-512':
    case 'ja3':
      if (raw.length === HEX_LENGTH[resolver] && isHexString(raw)) values.push({ kind: resolver, value: raw, field });
      return;
    default:
      values.push({ kind: resolver, value: raw, field });
  }
}

function pushAny(values: EventValue[], resolver: Resolver, v: unknown, field: string): void {
  if (typeof v === 'string') {
    pushValue(values, resolver, v, field);
  } else if (Array.isArray(v)) {
    for (const element of v) {
      if (typeof element === 'string') pushValue(values, resolver, element, field);
      else if (typeof element === 'number' && resolver === 'asn') pushValue(values, resolver, String(element), field);
    }
  } else if (typeof v === 'number' && resolver === 'asn') {
    pushValue(values, resolver, String(v), field);
  }
}

function hasScheme(uri: string): boolean {
  const sep = uri.indexOf('://');
  return sep > 0 && sep < 16;
}

/** An HTTP request's URL from its Host and request target (origin-form '/p' or absolute-form). */
function composeUrl(host: unknown, port: unknown, target: unknown): string | undefined {
  if (typeof target !== 'string' || target.length === 0) return undefined;
  if (hasScheme(target)) return target;
  if (typeof host !== 'string' || host.length === 0 || target.charCodeAt(0) !== 0x2f) return undefined;
  const authority = host.indexOf(':') >= 0 && parseIPv6(host) !== undefined ? `[${host}]` : host;
  const withPort = (typeof port === 'number' || typeof port === 'string') && String(port) !== '80' && String(port) !== '' && authority.indexOf(':') < 0
    ? `${authority}:${port}` : authority;
  return `http://${withPort}${target}`;
}

interface FieldRule {
  /** The rest of the path below the key it is filed under. */
  readonly rest: readonly string[];
  readonly resolver: Resolver;
  readonly field: string;
}

/**
 * Rules filed by the record's top-level key, so a record costs one map lookup per key it has
 * rather than one property lookup per rule. A dotted path is filed twice: under its literal
 * key ('id.orig_h' in Zeek JSON) and under its first segment, for nested objects.
 */
type RuleIndex = ReadonlyMap<string, readonly FieldRule[]>;

function indexRules(entries: Iterable<readonly [string, Resolver]>): RuleIndex {
  const byPath = new Map<string, Resolver>(entries);
  const index = new Map<string, FieldRule[]>();
  const file = (key: string, r: FieldRule): void => {
    const list = index.get(key);
    if (list === undefined) index.set(key, [r]);
    else list.push(r);
  };
  for (const [path, resolver] of byPath) {
    file(path, { rest: [], resolver, field: path });
    const segments = path.split('.');
    if (segments.length > 1) file(segments[0] ?? path, { rest: segments.slice(1), resolver, field: path });
  }
  return index;
}

function collectPath(node: unknown, segments: readonly string[], at: number, resolver: Resolver, field: string, values: EventValue[]): void {
  if (at === segments.length) {
    pushAny(values, resolver, node, field);
  } else if (Array.isArray(node)) {
    for (const element of node) collectPath(element, segments, at, resolver, field, values);
  } else if (isRecord(node)) {
    const next = node[segments[at] ?? ''];
    if (next !== undefined && next !== null) collectPath(next, segments, at + 1, resolver, field, values);
  }
}

function applyRules(record: Record<string, unknown>, index: RuleIndex, values: EventValue[]): void {
  for (const key in record) {
    const rules = index.get(key);
    if (rules === undefined) continue;
    const v = record[key];
    if (v === null || v === undefined) continue;
    for (const r of rules) {
      if (r.rest.length === 0) pushAny(values, r.resolver, v, r.field);
      else collectPath(v, r.rest, 0, r.resolver, r.field, values);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Field maps

/** Zeek field names across conn, dns, http, files, ssl, x509, notice, smtp and dhcp logs. */
const ZEEK_FIELDS: readonly (readonly [string, Resolver])[] = [
  ['id.orig_h', 'ip'], ['id.resp_h', 'ip'],
  ['query', 'domain'], ['answers', 'host'],
  ['host', 'host'], ['user_agent', 'user-agent'], ['referrer', 'url'],
  ['orig_filenames', 'file-name'], ['resp_filenames', 'file-name'],
  ['md5', 'md5'], ['sha1', 'sha1'], ['sha256', 'sha256'], ['filename', 'file-name'], ['tx_hosts', 'ip'], ['rx_hosts', 'ip'],
  ['server_name', 'domain'], ['ja3', 'ja3'], ['cert_chain_fps', 'hash'],
  ['fingerprint', 'hash'], ['san.dns', 'host'], ['san.uri', 'url'], ['san.email', 'email'], ['san.ip', 'ip'],
  ['src', 'ip'], ['dst', 'ip'],
  ['mailfrom', 'email'], ['rcptto', 'email'], ['x_originating_ip', 'ip'],
  ['mac', 'mac'], ['orig_l2_addr', 'mac'], ['resp_l2_addr', 'mac'],
  ['client_addr', 'ip'], ['server_addr', 'ip'], ['assigned_addr', 'ip'], ['requested_addr', 'ip'], ['domain', 'domain'],
];

/** Suricata EVE: flow endpoints plus the dns, http, tls, quic, fileinfo, dhcp and ether sections. */
const EVE_FIELDS: readonly (readonly [string, Resolver])[] = [
  ['src_ip', 'ip'], ['dest_ip', 'ip'],
  ['dns.rrname', 'domain'], ['dns.rdata', 'host'], ['dns.queries.rrname', 'domain'], ['dns.answers.rrname', 'domain'],
  ['dns.answers.rdata', 'host'], ['dns.grouped.A', 'ip'], ['dns.grouped.AAAA', 'ip'], ['dns.grouped.CNAME', 'domain'],
  ['http.hostname', 'host'], ['http.http_user_agent', 'user-agent'], ['http.http_refer', 'url'], ['http.redirect', 'url'],
  ['tls.sni', 'domain'], ['tls.ja3.hash', 'ja3'], ['quic.sni', 'domain'], ['quic.ja3.hash', 'ja3'],
  ['fileinfo.md5', 'md5'], ['fileinfo.sha1', 'sha1'], ['fileinfo.sha256', 'sha256'], ['fileinfo.filename', 'file-name'],
  ['dhcp.client_mac', 'mac'], ['dhcp.assigned_ip', 'ip'], ['dhcp.client_ip', 'ip'],
  ['ether.src_mac', 'mac'], ['ether.dest_mac', 'mac'],
];

/** NDJSON: Elastic Common Schema paths and common flat names. */
const NDJSON_FIELDS: readonly (readonly [string, Resolver])[] = [
  ...['source.ip', 'destination.ip', 'client.ip', 'server.ip', 'host.ip', 'observer.ip', 'related.ip', 'dns.resolved_ip']
    .map((k): [string, Resolver] => [k, 'ip']),
  ...['source.address', 'destination.address', 'client.address', 'server.address', 'dns.answers.data', 'host.name', 'host.hostname', 'related.hosts']
    .map((k): [string, Resolver] => [k, 'host']),
  ...['source.domain', 'destination.domain', 'client.domain', 'server.domain', 'url.domain', 'dns.question.name', 'tls.client.server_name']
    .map((k): [string, Resolver] => [k, 'domain']),
  ['url.full', 'url'], ['url.original', 'url'], ['http.request.referrer', 'url'],
  ...['file', 'process', 'process.parent', 'dll'].flatMap((p): [string, Resolver][] => [
    [`${p}.hash.md5`, 'md5'], [`${p}.hash.sha1`, 'sha1'], [`${p}.hash.sha256`, 'sha256'], [`${p}.hash.sha512`, 'sha512'],
  ]),
  ['related.hash', 'hash'],
  ['file.name', 'file-name'], ['process.name', 'file-name'], ['file.path', 'file-path'], ['process.executable', 'file-path'],
  ['user_agent.original', 'user-agent'], ['tls.client.ja3', 'ja3'],
  ...['email.from.address', 'email.to.address', 'email.cc.address', 'email.sender.address', 'email.reply_to.address']
    .map((k): [string, Resolver] => [k, 'email']),
  ['source.mac', 'mac'], ['destination.mac', 'mac'], ['host.mac', 'mac'],
  ...['source.as.number', 'destination.as.number', 'client.as.number', 'server.as.number'].map((k): [string, Resolver] => [k, 'asn']),
  ...['src_ip', 'dst_ip', 'dest_ip', 'source_ip', 'destination_ip', 'client_ip', 'server_ip', 'remote_ip', 'local_ip', 'ip', 'ip_address', 'src', 'dst']
    .map((k): [string, Resolver] => [k, 'ip']),
  ...['domain', 'hostname', 'host', 'fqdn'].map((k): [string, Resolver] => [k, 'host']),
  ['url', 'url'], ['uri', 'url'], ['referer', 'url'], ['referrer', 'url'],
  ['md5', 'md5'], ['sha1', 'sha1'], ['sha256', 'sha256'], ['sha512', 'sha512'], ['hash', 'hash'],
  ['user_agent', 'user-agent'], ['useragent', 'user-agent'], ['user-agent', 'user-agent'],
  ['email', 'email'], ['mutex', 'mutex'], ['filename', 'file-name'], ['file_name', 'file-name'], ['filepath', 'file-path'], ['file_path', 'file-path'],
  ['ja3', 'ja3'], ['ja3_hash', 'ja3'], ['mac', 'mac'], ['mac_address', 'mac'], ['src_mac', 'mac'], ['dst_mac', 'mac'], ['asn', 'asn'],
  ['registry_key', 'registry-key'],
];

const TIME_KEYS = ['@timestamp', 'timestamp', 'time', 'ts'] as const;

// ---------------------------------------------------------------------------------------------
// Record readers: one per format, fed complete lines

export type Report = (line: number, offset: number, message: string) => void;

/** Where a record reader puts the events it reads (an array, or a consumer taking them one by one). */
export interface EventSink {
  push(event: LogEvent): unknown;
}

/** What a record reader reads: the formats, with Zeek's two. */
export type ReaderFormat = 'lines' | 'csv' | 'eve' | 'ndjson' | 'zeek-tsv' | 'zeek-json';

interface RecordReader {
  readonly format: ReaderFormat;
  line(text: string, line: number, offset: number, out: EventSink): void;
  /** End of input: records still open are reported or emitted. */
  end(out: LogEvent[]): void;
}

class LinesReader implements RecordReader {
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

type Extract = (record: Record<string, unknown>, values: EventValue[]) => void;

class JsonReader implements RecordReader {
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
    this.extract(parsed, values);
    out.push({ line, time: this.deferTime ? undefined : this.time(parsed), values, record: parsed });
  }

  end(): void {}
}

function eveExtractor(columns: ReadonlyMap<string, ObservableKind>): Extract {
  const rules = indexRules([...EVE_FIELDS, ...columns]);
  return (record, values) => {
    applyRules(record, rules, values);
    const http = record.http;
    if (isRecord(http)) {
      const url = composeUrl(http.hostname, http.http_port, http.url);
      if (url !== undefined) values.push({ kind: 'url', value: url, field: 'http.hostname+http.url' });
    }
  };
}

function zeekJsonExtractor(columns: ReadonlyMap<string, ObservableKind>): Extract {
  const rules = indexRules([...ZEEK_FIELDS, ...columns]);
  return (record, values) => {
    applyRules(record, rules, values);
    const url = composeUrl(record.host, undefined, record.uri);
    if (url !== undefined) values.push({ kind: 'url', value: url, field: 'host+uri' });
  };
}

interface FieldNode {
  resolver: Resolver | undefined;
  children: Map<string, FieldNode> | undefined;
}

function buildTrie(entries: Iterable<readonly [string, Resolver]>): FieldNode {
  const root: FieldNode = { resolver: undefined, children: undefined };
  for (const [path, resolver] of entries) {
    let node = root;
    for (const segment of path.split('.')) {
      node.children ??= new Map();
      let child = node.children.get(segment);
      if (child === undefined) {
        child = { resolver: undefined, children: undefined };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.resolver = resolver;
  }
  return root;
}

/** A key holding dots ('source.ip' written flat) is followed through the map segment by segment. */
function descend(node: FieldNode, key: string): FieldNode | undefined {
  let current: FieldNode | undefined = node;
  for (const segment of key.split('.')) {
    current = current?.children?.get(segment);
    if (current === undefined) return undefined;
  }
  return current;
}

/** Mapped fields by their kind; every other string only when its kind is certain (IP, URL, e-mail, hash). */
function walkRecord(record: Record<string, unknown>, node: FieldNode | undefined, prefix: string, depth: number, values: EventValue[]): void {
  for (const key in record) {
    const v = record[key];
    if (v === null || v === undefined || typeof v === 'boolean') continue;
    let child = node?.children?.get(key);
    if (child === undefined && node?.children !== undefined && key.indexOf('.') > 0) child = descend(node, key);
    if (typeof v === 'string') {
      walkString(v, child, prefix, key, values);
    } else if (typeof v === 'number') {
      if (child?.resolver === 'asn') pushValue(values, 'asn', String(v), prefix === '' ? key : `${prefix}.${key}`);
    } else if (depth < MAX_DEPTH) {
      if (Array.isArray(v)) {
        for (const element of v) {
          if (typeof element === 'string') walkString(element, child, prefix, key, values);
          else if (typeof element === 'number' && child?.resolver === 'asn') pushValue(values, 'asn', String(element), prefix === '' ? key : `${prefix}.${key}`);
          else if (isRecord(element)) walkRecord(element, child, prefix === '' ? key : `${prefix}.${key}`, depth + 1, values);
        }
      } else if (isRecord(v)) {
        walkRecord(v, child, prefix === '' ? key : `${prefix}.${key}`, depth + 1, values);
      }
    }
  }
}

function walkString(v: string, node: FieldNode | undefined, prefix: string, key: string, values: EventValue[]): void {
  const resolver = node?.resolver;
  if (resolver !== undefined) {
    pushValue(values, resolver, v, prefix === '' ? key : `${prefix}.${key}`);
    return;
  }
  const kind = detectCertainKind(v);
  if (kind !== undefined) values.push({ kind, value: v, field: prefix === '' ? key : `${prefix}.${key}` });
}

function ndjsonExtractor(columns: ReadonlyMap<string, ObservableKind>): Extract {
  const root = buildTrie([...NDJSON_FIELDS, ...columns]);
  return (record, values) => walkRecord(record, root, '', 0, values);
}

function ndjsonTime(record: Record<string, unknown>): number | undefined {
  for (const key of TIME_KEYS) {
    const v = record[key];
    if (v !== undefined) return timeOf(v);
  }
  return undefined;
}

function isHexDigit(c: number): boolean {
  const lower = c | 0x20;
  return (c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66);
}

/** Zeek '\xHH' escapes (the separator, non-printable bytes) decoded as UTF-8 bytes. */
function unescapeZeek(v: string): string {
  if (v.indexOf('\\x') < 0) return v;
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = v.indexOf('\\x'); i >= 0; i = v.indexOf('\\x', i + 1)) {
    const byte = i + 3 < v.length ? Number.parseInt(v.slice(i + 2, i + 4), 16) : Number.NaN;
    if (Number.isNaN(byte) || !isHexDigit(v.charCodeAt(i + 2)) || !isHexDigit(v.charCodeAt(i + 3))) continue;
    parts.push(Buffer.from(v.slice(from, i), 'utf8'), Buffer.from([byte]));
    from = i + 4;
    i += 3;
  }
  parts.push(Buffer.from(v.slice(from), 'utf8'));
  return Buffer.concat(parts).toString('utf8');
}

interface ZeekColumn {
  readonly index: number;
  readonly name: string;
  readonly container: boolean;
  readonly resolver: Resolver | undefined;
}

class ZeekTsvReader implements RecordReader {
  readonly format = 'zeek-tsv';
  private separator = '\t';
  private setSeparator = ',';
  private emptyField = '(empty)';
  private unsetField = '-';
  private columns: readonly ZeekColumn[] | undefined;
  private fieldNames: readonly string[] = [];
  private types: readonly string[] = [];
  private tsIndex = -1;
  private hostIndex = -1;
  private uriIndex = -1;
  private readonly resolvers: ReadonlyMap<string, Resolver>;

  constructor(private readonly report: Report, columns: ReadonlyMap<string, ObservableKind>) {
    this.resolvers = new Map<string, Resolver>([...ZEEK_FIELDS, ...columns]);
  }

  line(text: string, line: number, offset: number, out: EventSink): void {
    if (text.charCodeAt(0) === 0x23) {
      this.directive(text);
      return;
    }
    if (isBlank(text)) return;
    const columns = this.columns;
    if (columns === undefined) {
      this.report(line, offset, 'a data line before the #fields header; a Zeek TSV log starts with its header lines (#separator, #fields, #types)');
      return;
    }
    const cells = text.split(this.separator);
    if (cells.length !== this.fieldNames.length) {
      this.report(line, offset, `${cells.length} fields where the #fields header names ${this.fieldNames.length}; the line is cut or belongs to another log`);
      return;
    }
    const record: Record<string, unknown> = {};
    const values: EventValue[] = [];
    for (const column of columns) {
      const cell = cells[column.index] ?? this.unsetField;
      if (cell === this.unsetField) continue;
      if (column.container) {
        const elements = cell === this.emptyField ? [] : cell.split(this.setSeparator).map(unescapeZeek);
        record[column.name] = elements;
        if (column.resolver !== undefined) for (const element of elements) pushValue(values, column.resolver, element, column.name);
      } else {
        const value = cell === this.emptyField ? '' : unescapeZeek(cell);
        record[column.name] = value;
        if (column.resolver !== undefined) pushValue(values, column.resolver, value, column.name);
      }
    }
    if (this.hostIndex >= 0 && this.uriIndex >= 0) {
      const url = composeUrl(record.host, undefined, record.uri);
      if (url !== undefined) values.push({ kind: 'url', value: url, field: 'host+uri' });
    }
    const ts = this.tsIndex >= 0 ? cells[this.tsIndex] : undefined;
    const time = ts === undefined || ts === this.unsetField ? undefined : epochMs(Number(ts));
    out.push({ line, time, values, record });
  }

  private directive(text: string): void {
    if (text.startsWith('#separator ')) {
      this.separator = unescapeZeek(text.slice('#separator '.length)) || '\t';
      return;
    }
    const cut = text.indexOf(this.separator);
    if (cut < 0) return;
    const name = text.slice(1, cut);
    const value = text.slice(cut + this.separator.length);
    switch (name) {
      case 'set_separator': this.setSeparator = unescapeZeek(value); break;
      case 'empty_field': this.emptyField = value; break;
      case 'unset_field': this.unsetField = value; break;
      case 'fields':
        this.fieldNames = value.split(this.separator);
        this.types = [];
        this.plan();
        break;
      case 'types':
        this.types = value.split(this.separator);
        this.plan();
        break;
      default:
        break;
    }
  }

  /** A new #fields (a second log concatenated, say) replaces the layout. */
  private plan(): void {
    this.columns = this.fieldNames.map((name, index) => {
      const type = this.types[index] ?? '';
      return {
        index,
        name,
        container: type.startsWith('set[') || type.startsWith('vector[') || type.startsWith('table['),
        resolver: this.resolvers.get(name),
      };
    });
    this.tsIndex = this.fieldNames.indexOf('ts');
    this.hostIndex = this.fieldNames.indexOf('host');
    this.uriIndex = this.fieldNames.indexOf('uri');
  }

  end(): void {}
}

type CsvCells = string[] | { readonly error: string } | undefined;

/** One RFC 4180 record; undefined when a quoted field is still open at the end of the text. */
function parseCsvRecord(text: string, delimiter: string): CsvCells {
  if (text.indexOf('"') < 0) return text.split(delimiter);
  const cells: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 0x22) {
      let value = '';
      let from = i + 1;
      for (let j = from; ; ) {
        const q = text.indexOf('"', j);
        if (q < 0) return undefined;
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
      if (i >= n) return cells;
      if (text[i] !== delimiter) {
        return { error: `column ${cells.length}: text after the closing quote; quote the whole field and double any quote inside it ("a ""b"" c")` };
      }
      i++;
    } else {
      const d = text.indexOf(delimiter, i);
      if (d < 0) {
        cells.push(text.slice(i));
        return cells;
      }
      cells.push(text.slice(i, d));
      i = d + 1;
    }
    if (i >= n) {
      cells.push('');
      return cells;
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
function looksLikeCsvHeader(text: string, delimiter: string): boolean {
  const cells = parseCsvRecord(text, delimiter);
  if (!Array.isArray(cells) || cells.length < 2) return false;
  const names = cells.map((c) => c.trim());
  return names.every(isHeaderCell) && names.some((c) => detectKind(c) === undefined);
}

class CsvReader implements RecordReader {
  readonly format = 'csv';
  private header: readonly string[] | undefined;
  private fieldNames: string[] = [];
  private kinds: (ObservableKind | undefined)[] = [];
  private timeIndex = -1;
  private pending: { text: string; line: number; offset: number } | undefined;

  constructor(
    private readonly report: Report,
    private readonly settings: Settings,
  ) {
    if (!settings.csvHeader) this.layout([]);
  }

  line(text: string, line: number, offset: number, out: EventSink): void {
    let recordText = text;
    let recordLine = line;
    let recordOffset = offset;
    const pending = this.pending;
    if (pending !== undefined) {
      recordText = `${pending.text}\n${text}`;
      recordLine = pending.line;
      recordOffset = pending.offset;
      this.pending = undefined;
    } else if (isBlank(text) || (this.header === undefined && text.charCodeAt(0) === 0x23)) {
      return;
    }
    const cells = parseCsvRecord(recordText, this.settings.delimiter);
    if (cells === undefined) {
      if (Buffer.byteLength(recordText) > this.settings.maxLineBytes) {
        this.report(recordLine, recordOffset, `a quoted field open since this line runs past maxLineBytes (${this.settings.maxLineBytes} bytes); close the quote, or double quotes inside the field`);
      } else {
        this.pending = { text: recordText, line: recordLine, offset: recordOffset };
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
    const record: Record<string, unknown> = {};
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

function createReader(format: LogFormat, firstRecord: Record<string, unknown> | undefined, settings: Settings, report: Report): RecordReader {
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

function isZeekJson(record: Record<string, unknown>): boolean {
  return 'uid' in record || 'id.orig_h' in record || '_path' in record;
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
  const record = c0 === 0x7b ? parseObject(text) : undefined;
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

// ---------------------------------------------------------------------------------------------
// Line splitting on raw bytes

interface HeldLine {
  readonly text: string;
  readonly line: number;
  readonly offset: number;
}

/** Hands lines to the format's reader, holding the first blank and comment lines until the format is known. */
class Dispatcher {
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

/** Checks reading options as readLogEvents does, throwing the same TypeErrors. */
export function checkReadOptions(options: ReadLogOptions): void {
  resolveOptions(options);
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
      }
    }
    base += bytes.length;
    settings.onProgress?.(base);
    if (out.length > 0) {
      yield out;
      out = [];
    }
  }
  if (pieceBytes > 0 || oversized) finishLine(Buffer.alloc(0), 0, 0);
  dispatcher.end(out);
  if (out.length > 0) yield out;
}
