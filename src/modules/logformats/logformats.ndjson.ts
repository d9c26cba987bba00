/**
 * NDJSON: one JSON object per line. Elastic Common Schema paths and common flat names are read
 * by their kind (the field map); every other string only when its kind is certain.
 */
import { detectCertainKind, type ObservableKind } from '../../stix/observable.js';
import { isRecord, pushValue, type Resolver } from './logformats.fields.js';
import type { EventValue } from './logformats.options.js';
import type { Extract } from './logformats.reader.js';
import { TIME_KEYS, timeOf } from './logformats.time.js';

const MAX_DEPTH = 32;

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

export function ndjsonExtractor(columns: ReadonlyMap<string, ObservableKind>): Extract {
  const root = buildTrie([...NDJSON_FIELDS, ...columns]);
  return (record, values) => walkRecord(record, root, '', 0, values);
}

export function ndjsonTime(record: Record<string, unknown>): number | undefined {
  for (const key of TIME_KEYS) {
    const v = record[key];
    if (v !== undefined) return timeOf(v);
  }
  return undefined;
}
