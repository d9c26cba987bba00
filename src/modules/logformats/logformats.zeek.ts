/**
 * Zeek logs, TSV (with their '#' header lines) or JSON: one field map across conn, dns, http,
 * files, ssl, x509, notice, smtp and dhcp logs.
 */
import type { ObservableKind } from '../../stix/observable.js';
import { applyRules, composeUrl, indexRules, isBlank, isHexDigit, pushValue, type Resolver } from './logformats.fields.js';
import type { EventValue } from './logformats.options.js';
import type { EventSink, Extract, RecordReader, Report } from './logformats.reader.js';
import { epochMs } from './logformats.time.js';

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

export function zeekJsonExtractor(columns: ReadonlyMap<string, ObservableKind>): Extract {
  const rules = indexRules([...ZEEK_FIELDS, ...columns]);
  return (record, values) => {
    applyRules(record, rules, values);
    const url = composeUrl(record.host, undefined, record.uri);
    if (url !== undefined) values.push({ kind: 'url', value: url, field: 'host+uri' });
  };
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

/**
 * Set and vector elements one Zeek record may hold, all its fields together: each is a value to
 * read, and one line of 1.36 million addresses held the thread that reads it 250-270 ms. Log
 * records hold a few, thousands at most (CSV and JSON records have bounds of their own).
 */
export const MAX_ZEEK_ELEMENTS = 16_384;

export class ZeekTsvReader implements RecordReader {
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
    // Field names come from the log's header: a record without a prototype keeps "__proto__" a field.
    const record = Object.create(null) as Record<string, unknown>;
    const values: EventValue[] = [];
    let room = MAX_ZEEK_ELEMENTS;
    for (const column of columns) {
      const cell = cells[column.index] ?? this.unsetField;
      if (cell === this.unsetField) continue;
      if (column.container) {
        const parts = cell === this.emptyField ? [] : cell.split(this.setSeparator, room + 1);
        if (parts.length > room) {
          this.report(line, offset, `more than ${MAX_ZEEK_ELEMENTS} set or vector elements in one record (field ${column.name}); a record this wide is not read: split it`);
          return;
        }
        room -= parts.length;
        const elements = parts.map(unescapeZeek);
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

export function isZeekJson(record: Record<string, unknown>): boolean {
  return 'uid' in record || 'id.orig_h' in record || '_path' in record;
}
