/** STIX Cyber-observable Objects (section 6): their property tables and value formats. */
import { ACCOUNT_TYPE_OV, ENCRYPTION_ALGORITHM_ENUM, WINDOWS_REGISTRY_DATATYPE_ENUM } from '../vocab.js';
import { checkHashes, checkOrder, present, struct } from './common.js';
import { Context, typeError, type Json } from './context.js';
import { nonNegative } from './extensions.js';
import {
  ANY_SCO, CPE23_RE, DOMAIN_RE, HEX_GROUP_RE, IPV4_CIDR_RE, IPV4_RE, MAC_RE, REGISTRY_ABBREVIATED_HIVE_RE, URL_RE,
  checkBinary, checkBoolean, checkHex, checkLanguage, checkString, checkStringList, checkStringOrInteger,
  checkTimestamp, dictionary, enumeration, integer, listOf, openVocab, ref, refTo, refs,
} from './primitives.js';
import { mutuallyExclusive, requireOneOf, spec, type TypeSpec } from './spec.js';

/** STIX Cyber-observable Objects (section 6). */
export const SCO_SPECS: Readonly<Record<string, TypeSpec>> = {
  artifact: spec('sco', {
    mime_type: checkString, payload_bin: checkBinary, url: checkString, hashes: checkHashes,
    encryption_algorithm: enumeration(ENCRYPTION_ALGORITHM_ENUM), decryption_key: checkString,
  }, [], (c, o) => {
    requireOneOf(c, o, ['payload_bin', 'url'], '6.1');
    mutuallyExclusive(c, o, 'payload_bin', 'url', '6.1');
    if (present(o, 'url') && !present(o, 'hashes')) {
      c.error('$.hashes', 'dependent-property', 'An artifact given by url must carry hashes of the content (6.1) so consumers can verify what they download.');
    }
    if (present(o, 'decryption_key') && !present(o, 'encryption_algorithm')) {
      c.error('$.decryption_key', 'dependent-property', 'decryption_key must not be present without encryption_algorithm (6.1).');
    }
  }),
  'autonomous-system': spec('sco', { number: integer(0), name: checkString, rir: checkString }, ['number']),
  directory: spec('sco', {
    path: checkString, path_enc: checkString, ctime: checkTimestamp, mtime: checkTimestamp, atime: checkTimestamp,
    contains_refs: refs(refTo(['file', 'directory'])),
  }, ['path']),
  'domain-name': spec('sco', {
    value: checkDomainName, resolves_to_refs: refs(refTo(['ipv4-addr', 'ipv6-addr', 'domain-name'])),
  }, ['value']),
  'email-addr': spec('sco', {
    value: checkEmailAddress, display_name: checkString, belongs_to_ref: ref(refTo(['user-account'])),
  }, ['value']),
  'email-message': spec('sco', {
    is_multipart: checkBoolean, date: checkTimestamp, content_type: checkString, from_ref: ref(refTo(['email-addr'])),
    sender_ref: ref(refTo(['email-addr'])), to_refs: refs(refTo(['email-addr'])), cc_refs: refs(refTo(['email-addr'])),
    bcc_refs: refs(refTo(['email-addr'])), message_id: checkString, subject: checkString, received_lines: checkStringList,
    additional_header_fields: dictionary(checkStringList, 'lists of strings', false), body: checkString,
    body_multipart: listOf(struct({
      describe: 'An email MIME part',
      props: {
        body: checkString, body_raw_ref: ref(refTo(['artifact', 'file'])), content_type: checkString,
        content_disposition: checkString,
      },
      atLeastOne: ['body', 'body_raw_ref'],
    }), 'MIME parts'),
    raw_email_ref: ref(refTo(['artifact'])),
  }, ['is_multipart'], (c, o) => {
    if (o['is_multipart'] === true && present(o, 'body')) {
      c.error('$.body', 'mutually-exclusive', 'body must not be used when is_multipart is true (6.6); put the parts in body_multipart.');
    }
    if (o['is_multipart'] === false && present(o, 'body_multipart')) {
      c.error('$.body_multipart', 'mutually-exclusive', 'body_multipart must not be used when is_multipart is false (6.6); use body, or set is_multipart to true.');
    }
  }),
  file: spec('sco', {
    hashes: checkHashes, size: nonNegative, name: checkString, name_enc: checkString, magic_number_hex: checkHex,
    mime_type: checkString, ctime: checkTimestamp, mtime: checkTimestamp, atime: checkTimestamp,
    parent_directory_ref: ref(refTo(['directory'])), contains_refs: refs(ANY_SCO), content_ref: ref(refTo(['artifact'])),
  }, [], (c, o) => {
    requireOneOf(c, o, ['hashes', 'name'], '6.7');
    if (present(o, 'name_enc') && !present(o, 'name')) {
      c.error('$.name_enc', 'dependent-property', 'name_enc must not be present without name (3.1).');
    }
  }),
  'ipv4-addr': spec('sco', {
    value: checkIpv4, resolves_to_refs: refs(refTo(['mac-addr'])), belongs_to_refs: refs(refTo(['autonomous-system'])),
  }, ['value']),
  'ipv6-addr': spec('sco', {
    value: checkIpv6, resolves_to_refs: refs(refTo(['mac-addr'])), belongs_to_refs: refs(refTo(['autonomous-system'])),
  }, ['value']),
  'mac-addr': spec('sco', { value: checkMac }, ['value']),
  mutex: spec('sco', { name: checkString }, ['name']),
  'network-traffic': spec('sco', {
    start: checkTimestamp, end: checkTimestamp, is_active: checkBoolean,
    src_ref: ref(refTo(['ipv4-addr', 'ipv6-addr', 'mac-addr', 'domain-name'])),
    dst_ref: ref(refTo(['ipv4-addr', 'ipv6-addr', 'mac-addr', 'domain-name'])),
    src_port: integer(0, 65535), dst_port: integer(0, 65535), protocols: checkProtocols, src_byte_count: nonNegative,
    dst_byte_count: nonNegative, src_packets: nonNegative, dst_packets: nonNegative,
    ipfix: dictionary(checkStringOrInteger, 'integers or strings', false), src_payload_ref: ref(refTo(['artifact'])),
    dst_payload_ref: ref(refTo(['artifact'])), encapsulates_refs: refs(refTo(['network-traffic'])),
    encapsulated_by_ref: ref(refTo(['network-traffic'])),
  }, ['protocols'], (c, o) => {
    requireOneOf(c, o, ['src_ref', 'dst_ref'], '6.12');
    checkOrder(c, o, 'start', 'end', false);
    if (o['is_active'] === true && present(o, 'end')) {
      c.error('$.end', 'mutually-exclusive', 'end must not be present when is_active is true (6.12).');
    }
  }),
  process: spec('sco', {
    is_hidden: checkBoolean, pid: integer(), created_time: checkTimestamp, cwd: checkString, command_line: checkString,
    environment_variables: dictionary(checkString, 'strings', false), opened_connection_refs: refs(refTo(['network-traffic'])),
    creator_user_ref: ref(refTo(['user-account'])), image_ref: ref(refTo(['file'])), parent_ref: ref(refTo(['process'])),
    child_refs: refs(refTo(['process'])),
  }, [], (c, o) => requireOneOf(c, o, PROCESS_PROPERTIES, '6.13: at least one property besides type')),
  software: spec('sco', {
    name: checkString, cpe: checkCpe, swid: checkString, languages: listOf(checkLanguage, 'RFC 5646 language tags'),
    vendor: checkString, version: checkString,
  }, ['name']),
  url: spec('sco', { value: checkUrl }, ['value']),
  'user-account': spec('sco', {
    user_id: checkString, credential: checkString, account_login: checkString, account_type: openVocab(ACCOUNT_TYPE_OV),
    display_name: checkString, is_service_account: checkBoolean, is_privileged: checkBoolean,
    can_escalate_privs: checkBoolean, is_disabled: checkBoolean, account_created: checkTimestamp,
    account_expires: checkTimestamp, credential_last_changed: checkTimestamp, account_first_login: checkTimestamp,
    account_last_login: checkTimestamp,
  }, [], (c, o) => requireOneOf(c, o, USER_ACCOUNT_PROPERTIES, '6.16')),
  'windows-registry-key': spec('sco', {
    key: checkRegistryKey, values: listOf(struct({
      describe: 'A Windows registry value',
      atLeastOne: true,
      props: { name: checkString, data: checkString, data_type: enumeration(WINDOWS_REGISTRY_DATATYPE_ENUM) },
    }), 'registry values'),
    modified_time: checkTimestamp, creator_user_ref: ref(refTo(['user-account'])), number_of_subkeys: nonNegative,
  }, [], (c, o) => requireOneOf(c, o, ['key', 'values', 'modified_time', 'creator_user_ref', 'number_of_subkeys'], '6.17')),
  'x509-certificate': spec('sco', {
    is_self_signed: checkBoolean, hashes: checkHashes, version: checkString, serial_number: checkString,
    signature_algorithm: checkString, issuer: checkString, validity_not_before: checkTimestamp,
    validity_not_after: checkTimestamp, subject: checkString, subject_public_key_algorithm: checkString,
    subject_public_key_modulus: checkString, subject_public_key_exponent: integer(),
    x509_v3_extensions: struct({
      describe: 'x509_v3_extensions',
      atLeastOne: true,
      props: {
        basic_constraints: checkString, name_constraints: checkString, policy_constraints: checkString,
        key_usage: checkString, extended_key_usage: checkString, subject_key_identifier: checkString,
        authority_key_identifier: checkString, subject_alternative_name: checkString,
        issuer_alternative_name: checkString, subject_directory_attributes: checkString,
        crl_distribution_points: checkString, inhibit_any_policy: checkString,
        private_key_usage_period_not_before: checkTimestamp, private_key_usage_period_not_after: checkTimestamp,
        certificate_policies: checkString, policy_mappings: checkString,
      },
    }),
  }, [], (c, o) => {
    requireOneOf(c, o, X509_PROPERTIES, '6.18');
    checkOrder(c, o, 'validity_not_before', 'validity_not_after', false);
  }),
};

// ---------------------------------------------------------------------------------------------
// Value formats used by the table above (function declarations are hoisted)
// ---------------------------------------------------------------------------------------------

function checkProtocols(c: Context, v: unknown, path: string, parent: Json): void {
  checkStringList(c, v, path, parent);
  if (!Array.isArray(v)) return;
  for (let i = 0; i < v.length; i++) {
    const protocol = v[i];
    if (typeof protocol === 'string' && protocol !== protocol.toLowerCase()) {
      c.warn(`${path}[${i}]`, 'value-format', `Protocol names SHOULD be lowercase IANA service names (6.12); write ${JSON.stringify(protocol.toLowerCase())}.`);
    }
  }
}

function checkIpv4(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'an IPv4 address or CIDR block string', v);
  if (!IPV4_CIDR_RE.test(v)) {
    c.error(path, 'value-format', `${JSON.stringify(v)} is not an IPv4 address in CIDR notation (6.8), e.g. "198.51.100.3" or "198.51.100.0/24".`);
  }
}

/** IPv6 address (RFC 4291 text forms, including an embedded IPv4 tail) with an optional /0-128 prefix. */
function isIpv6Cidr(value: string): boolean {
  let address = value;
  const slash = value.indexOf('/');
  if (slash >= 0) {
    const prefix = value.slice(slash + 1);
    if (!/^(?:12[0-8]|1[01][0-9]|[1-9]?[0-9])$/.test(prefix)) return false;
    address = value.slice(0, slash);
  }
  let groups = 8;
  const lastColon = address.lastIndexOf(':');
  if (lastColon >= 0 && address.indexOf('.', lastColon) > lastColon) {
    if (!IPV4_RE.test(address.slice(lastColon + 1))) return false;
    address = `${address.slice(0, lastColon + 1)}0`;
    groups = 7;
  }
  const doubleColon = address.indexOf('::');
  if (doubleColon >= 0) {
    if (address.indexOf('::', doubleColon + 1) >= 0) return false;
    const head = address.slice(0, doubleColon);
    const tail = address.slice(doubleColon + 2);
    const headParts = head === '' ? [] : head.split(':');
    const tailParts = tail === '' ? [] : tail.split(':');
    if (headParts.length + tailParts.length > groups - 1) return false;
    return headParts.every((g) => HEX_GROUP_RE.test(g)) && tailParts.every((g) => HEX_GROUP_RE.test(g));
  }
  const parts = address.split(':');
  return parts.length === groups && parts.every((g) => HEX_GROUP_RE.test(g));
}

function checkIpv6(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'an IPv6 address or CIDR block string', v);
  if (!isIpv6Cidr(v)) {
    c.error(path, 'value-format', `${JSON.stringify(v)} is not an IPv6 address in CIDR notation (6.9), e.g. "2001:db8::1" or "2001:db8::/32".`);
  }
}

function checkMac(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a MAC address string', v);
  if (!MAC_RE.test(v)) {
    c.error(path, 'value-format', `${JSON.stringify(v)} must be a colon-delimited, lowercase MAC-48 address with leading zeros (6.10), e.g. "00:00:ab:cd:ef:01".`);
  }
}

function checkDomainName(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a domain name string', v);
  if (!DOMAIN_RE.test(v)) {
    c.warn(path, 'value-format', `${JSON.stringify(v)} does not look like an RFC 1034 domain name (6.4): labels of 1-63 letters, digits and hyphens separated by dots (IDNs in A-label form).`);
  }
}

function checkEmailAddress(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'an email address string', v);
  const at = v.lastIndexOf('@');
  if (at <= 0 || at === v.length - 1 || /\s|[<>]/.test(v)) {
    c.warn(path, 'value-format', `${JSON.stringify(v)} does not look like an RFC 5322 addr-spec (6.5): use local-part@domain without a display name.`);
  }
}

function checkUrl(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a URL string', v);
  if (!URL_RE.test(v)) {
    c.warn(path, 'value-format', `${JSON.stringify(v)} does not look like an RFC 3986 URL (6.15): it needs a scheme (e.g. "https:") and no whitespace.`);
  }
}

function checkCpe(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a CPE 2.3 string', v);
  if (!CPE23_RE.test(v)) {
    c.error(path, 'value-format', `cpe must be a CPE 2.3 entry (6.14), starting "cpe:2.3:a:", "cpe:2.3:o:" or "cpe:2.3:h:"; got ${JSON.stringify(v)}.`);
  }
}

function checkRegistryKey(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a registry key string', v);
  if (REGISTRY_ABBREVIATED_HIVE_RE.test(v)) {
    c.error(path, 'value-format', `The hive of ${JSON.stringify(v)} is abbreviated; it must be fully expanded (6.17), e.g. HKEY_LOCAL_MACHINE instead of HKLM.`);
  }
}

const PROCESS_PROPERTIES = [
  'is_hidden', 'pid', 'created_time', 'cwd', 'command_line', 'environment_variables', 'opened_connection_refs',
  'creator_user_ref', 'image_ref', 'parent_ref', 'child_refs', 'extensions',
];
const USER_ACCOUNT_PROPERTIES = [
  'user_id', 'credential', 'account_login', 'account_type', 'display_name', 'is_service_account', 'is_privileged',
  'can_escalate_privs', 'is_disabled', 'account_created', 'account_expires', 'credential_last_changed',
  'account_first_login', 'account_last_login', 'extensions',
];
const X509_PROPERTIES = [
  'is_self_signed', 'hashes', 'version', 'serial_number', 'signature_algorithm', 'issuer', 'validity_not_before',
  'validity_not_after', 'subject', 'subject_public_key_algorithm', 'subject_public_key_modulus',
  'subject_public_key_exponent', 'x509_v3_extensions',
];
