/**
 * Deterministic identifiers for STIX Cyber-observable Objects (spec 2.9 and 3.4):
 * UUIDv5 in the STIX namespace over the RFC 8785 (JCS) canonical JSON of the type's
 * "ID Contributing Properties".
 */
import { createHash } from 'node:crypto';
import { lookupTable } from './lookup.js';
import { ID_HASH_PREFERENCE } from './vocab.js';

/** The namespace every producer uses for deterministic SCO ids (2.9). */
export const SCO_ID_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

/**
 * ID Contributing Properties per SCO type (section 6 property tables). An empty list means the
 * type has none (process): its ids are UUIDv4.
 */
export const ID_CONTRIBUTING_PROPERTIES = lookupTable<readonly string[]>({
  artifact: ['hashes', 'payload_bin'],
  'autonomous-system': ['number'],
  directory: ['path'],
  'domain-name': ['value'],
  'email-addr': ['value'],
  'email-message': ['from_ref', 'subject', 'body'],
  file: ['hashes', 'name', 'extensions', 'parent_directory_ref'],
  'ipv4-addr': ['value'],
  'ipv6-addr': ['value'],
  'mac-addr': ['value'],
  mutex: ['name'],
  'network-traffic': ['start', 'end', 'src_ref', 'dst_ref', 'src_port', 'dst_port', 'protocols', 'extensions'],
  process: [],
  software: ['name', 'cpe', 'swid', 'vendor', 'version'],
  url: ['value'],
  'user-account': ['account_type', 'user_id', 'account_login'],
  'windows-registry-key': ['key', 'values'],
  'x509-certificate': ['hashes', 'serial_number'],
});

function parseUuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

const SCO_NAMESPACE_BYTES = parseUuidBytes(SCO_ID_NAMESPACE);

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function uuidv5FromBytes(namespace: Buffer, name: string): string {
  const digest = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  digest.writeUInt8((digest.readUInt8(6) & 0x0f) | 0x50, 6);
  digest.writeUInt8((digest.readUInt8(8) & 0x3f) | 0x80, 8);
  return formatUuid(digest);
}

/** RFC 4122 name-based UUID, version 5 (SHA-1), with the name encoded as UTF-8. */
export function uuidv5(namespace: string, name: string): string {
  return uuidv5FromBytes(parseUuidBytes(namespace), name);
}

/**
 * RFC 8785 JSON Canonicalization Scheme: object members sorted by UTF-16 code units, no
 * whitespace, strings and numbers serialised as ECMAScript JSON.stringify does.
 * Values that are not JSON (undefined, functions, non-finite numbers) serialise as null.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += canonicalJson(value[i]);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(key)}:${canonicalJson(member)}`;
      }
      return `${out}}`;
    }
    default:
      return 'null';
  }
}

/** The one hash that contributes to the id: MD5, SHA-1, SHA-256, SHA-512 in that order, else the first key. */
function chooseOneHash(hashes: Record<string, unknown>): Record<string, unknown> | undefined {
  for (const name of ID_HASH_PREFERENCE) {
    if (hashes[name] !== undefined) return { [name]: hashes[name] };
  }
  for (const name in hashes) return { [name]: hashes[name] };
  return undefined;
}

/**
 * The JSON object whose canonical form names the UUIDv5 of an SCO, or undefined when the type
 * has no ID Contributing Properties or none of them is present (then a UUIDv4 must be used).
 */
export function idContributingObject(sco: Record<string, unknown>): Record<string, unknown> | undefined {
  const type = sco['type'];
  if (typeof type !== 'string') return undefined;
  const names = ID_CONTRIBUTING_PROPERTIES[type];
  if (names === undefined || names.length === 0) return undefined;
  let contributing: Record<string, unknown> | undefined;
  for (const name of names) {
    let value = sco[name];
    if (value === undefined) continue;
    if (name === 'hashes' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      value = chooseOneHash(value as Record<string, unknown>);
      if (value === undefined) continue;
    }
    contributing ??= {};
    contributing[name] = value;
  }
  return contributing;
}

/**
 * The deterministic id (`<type>--<UUIDv5>`) of an SCO, or undefined when the type has no ID
 * Contributing Properties present.
 */
export function computeScoId(sco: Record<string, unknown>): string | undefined {
  const contributing = idContributingObject(sco);
  if (contributing === undefined) return undefined;
  return `${String(sco['type'])}--${uuidv5FromBytes(SCO_NAMESPACE_BYTES, canonicalJson(contributing))}`;
}
