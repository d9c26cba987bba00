/**
 * Turning a record's fields into event values: the text helpers every reader shares, the
 * resolvers that type a field's value (an address, a host, a hash by its length, ...) and the
 * rules that find mapped fields in a parsed JSON record.
 */
import { hashKindOf, ipKindOf, parseIPv6, type ObservableKind } from '../../stix/observable.js';
import type { EventValue } from './logformats.options.js';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

export function trimCell(text: string): string {
  const n = text.length;
  if (n === 0) return text;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(n - 1);
  return first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09 ? text.trim() : text;
}

export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

export function isHexDigit(c: number): boolean {
  const lower = c | 0x20;
  return (c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66);
}

/** Beyond the kinds: 'ip' (v4 or v6, by parsing), 'host' (an IP or a host name), 'hash' (by length). */
export type Resolver = ObservableKind | 'ip' | 'host' | 'hash';

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

export function pushValue(values: EventValue[], resolver: Resolver, raw: string, field: string): void {
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
export function composeUrl(host: unknown, port: unknown, target: unknown): string | undefined {
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
export type RuleIndex = ReadonlyMap<string, readonly FieldRule[]>;

export function indexRules(entries: Iterable<readonly [string, Resolver]>): RuleIndex {
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

/**
 * Arrays nested in arrays on a mapped path are looked into this deep at most (as the NDJSON walker
 * looks into a record): a line of 100,000 `[` overflowed the stack and stopped the whole match.
 */
export const MAX_ARRAY_NESTING = 32;

function collectPath(node: unknown, segments: readonly string[], at: number, resolver: Resolver, field: string, values: EventValue[], nesting = 0): void {
  if (at === segments.length) {
    pushAny(values, resolver, node, field);
  } else if (Array.isArray(node)) {
    if (nesting >= MAX_ARRAY_NESTING) return;
    for (const element of node) collectPath(element, segments, at, resolver, field, values, nesting + 1);
  } else if (isRecord(node)) {
    const next = node[segments[at] ?? ''];
    if (next !== undefined && next !== null) collectPath(next, segments, at + 1, resolver, field, values);
  }
}

export function applyRules(record: Record<string, unknown>, index: RuleIndex, values: EventValue[]): void {
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
