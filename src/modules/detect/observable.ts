/**
 * Observable values known to the detection index: their kinds, the detection of a kind from
 * untyped text, and the normalisation of a value to the canonical key used for exact lookups.
 * The rules are documented in docs/DETECT-FORMATS.md; both sides of a match (indicators and
 * members' logs) go through `normalise`, so a change here changes what matches.
 */
import { domainToASCII } from 'node:url';

export const OBSERVABLE_KINDS = [
  'ipv4', 'ipv6', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'sha512', 'sha3-256', 'sha3-512',
  'ssdeep', 'tlsh', 'user-agent', 'mutex', 'registry-key', 'file-name', 'file-path', 'mac', 'asn', 'ja3',
] as const;
export type ObservableKind = (typeof OBSERVABLE_KINDS)[number];

export interface Cidr {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

const KIND_SET: ReadonlySet<string> = new Set<string>(OBSERVABLE_KINDS);

export function isObservableKind(s: string): s is ObservableKind {
  return KIND_SET.has(s);
}

// ---------------------------------------------------------------------------------------------
// Character helpers (char codes, no regular expressions on the hot paths)

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function isAsciiWhitespace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (hexValue(s.charCodeAt(i)) < 0) return false;
  return true;
}

function hasAsciiUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/** Surrounding ASCII whitespace, which can never be part of a structured value. */
function trimStructured(s: string): string {
  const n = s.length;
  if (n === 0 || (!isAsciiWhitespace(s.charCodeAt(0)) && !isAsciiWhitespace(s.charCodeAt(n - 1)))) return s;
  let start = 0;
  let end = n;
  while (start < end && isAsciiWhitespace(s.charCodeAt(start))) start++;
  while (end > start && isAsciiWhitespace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Free-text kinds keep every character except a line ending left over from line splitting. */
function stripTrailingNewlines(s: string): string {
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c !== 0x0a && c !== 0x0d) break;
    end--;
  }
  return end === s.length ? s : s.slice(0, end);
}

// ---------------------------------------------------------------------------------------------
// IP addresses

/**
 * IPv4 dotted quad -> 32-bit unsigned number, or undefined. Exactly four decimal octets 0-255;
 * an octet with a leading zero ('010') is refused because resolvers disagree on it (inet_aton
 * reads it as octal 8, others as decimal 10).
 */
export function parseIPv4(s: string): number | undefined {
  const n = s.length;
  if (n < 7 || n > 15) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
    } else if (isDigit(c)) {
      if (digits > 0 && octet === 0) return undefined;
      octet = octet * 10 + (c - 0x30);
      if (octet > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

/** The address an IPv4 value names, as normalise reads it (surrounding whitespace aside), or undefined. */
export function ipv4Address(value: string): number | undefined {
  return parseIPv4(trimStructured(value));
}

/**
 * IPv6 text (RFC 4291 section 2.2: full form, '::' compression, embedded IPv4 tail) -> 16 bytes,
 * or undefined. Zone ids ('%eth0'), brackets and prefixes are not part of an address.
 */
export function parseIPv6(s: string): Uint8Array | undefined {
  const n = s.length;
  if (n < 2 || n > 45) return undefined;
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  let count = 0;
  let compressAt = -1;
  let i = 0;
  if (s.charCodeAt(0) === 0x3a) {
    if (s.charCodeAt(1) !== 0x3a) return undefined;
    compressAt = 0;
    i = 2;
  }
  while (i < n) {
    const start = i;
    let group = 0;
    while (i < n && i - start < 5) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      group = group * 16 + h;
      i++;
    }
    if (i < n && s.charCodeAt(i) === 0x2e) {
      if (count > 6) return undefined;
      const v4 = parseIPv4(s.slice(start));
      if (v4 === undefined) return undefined;
      groups[count++] = Math.floor(v4 / 65536);
      groups[count++] = v4 % 65536;
      break;
    }
    const digits = i - start;
    if (digits === 0 || digits > 4 || count === 8) return undefined;
    groups[count++] = group;
    if (i === n) break;
    if (s.charCodeAt(i) !== 0x3a) return undefined;
    i++;
    if (i < n && s.charCodeAt(i) === 0x3a) {
      if (compressAt >= 0) return undefined;
      compressAt = count;
      i++;
    } else if (i === n) {
      return undefined;
    }
  }
  if (compressAt < 0 ? count !== 8 : count > 7) return undefined;
  const bytes = new Uint8Array(16);
  const tail = compressAt < 0 ? 0 : count - compressAt;
  for (let g = 0; g < count; g++) {
    const at = compressAt >= 0 && g >= compressAt ? 8 - tail + (g - compressAt) : g;
    const group = groups[g] ?? 0;
    bytes[at * 2] = group >> 8;
    bytes[at * 2 + 1] = group & 0xff;
  }
  return bytes;
}

/**
 * RFC 5952 text: lower-case hex without leading zeros, the longest run of two or more zero
 * groups (the first one on a tie) written '::', and IPv4-mapped addresses (::ffff:0:0/96)
 * written with a dotted IPv4 tail (section 5).
 */
function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push(((bytes[g * 2] ?? 0) << 8) | (bytes[g * 2 + 1] ?? 0));
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let g = 0; g < 8; ) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    const start = g;
    while (g < 8 && groups[g] === 0) g++;
    if (g - start > bestLength) {
      bestStart = start;
      bestLength = g - start;
    }
  }
  if (bestStart < 0) return groups.map((x) => x.toString(16)).join(':');
  const head = groups.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = groups.slice(bestStart + bestLength).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

/** 'a.b.c.d/n' or 'v6/n' -> network (host bits zeroed) and prefix; a bare address is /32 or /128. */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  const address = slash < 0 ? s : s.slice(0, slash);
  const version: 4 | 6 = address.indexOf(':') >= 0 ? 6 : 4;
  let bytes: Uint8Array;
  if (version === 4) {
    const v = parseIPv4(address);
    if (v === undefined) return undefined;
    bytes = new Uint8Array([Math.floor(v / 16777216), Math.floor(v / 65536) % 256, Math.floor(v / 256) % 256, v % 256]);
  } else {
    const v6 = parseIPv6(address);
    if (v6 === undefined) return undefined;
    bytes = v6;
  }
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const text = s.slice(slash + 1);
    if (text.length === 0 || text.length > 3 || (text.length > 1 && text.charCodeAt(0) === 0x30)) return undefined;
    prefix = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!isDigit(c)) return undefined;
      prefix = prefix * 10 + (c - 0x30);
    }
    if (prefix > max) return undefined;
  }
  for (let bit = prefix; bit < max; bit++) {
    const index = bit >> 3;
    bytes[index] = (bytes[index] ?? 0) & ~(0x80 >> (bit & 7));
  }
  return { version, bytes, prefix };
}

// ---------------------------------------------------------------------------------------------
// Domains, e-mail addresses and URLs

/** [a-z0-9_-]: DNS labels as seen in logs (underscores occur in SRV names and real subdomains). */
function isLabelChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || isDigit(c) || c === 0x2d || c === 0x5f;
}

/**
 * Checks a lower-case ASCII name: labels of 1-63 octets of letters, digits, '-' or '_', at most
 * 253 octets, no trailing dot, last label not all digits. With `plainOnly`, a label starting
 * 'xn--' (which goes through IDNA) is refused too: the name is then in normal form already.
 */
function isValidHostname(s: string, plainOnly = false): boolean {
  const n = s.length;
  if (n === 0 || n > 253) return false;
  let labelStart = 0;
  let allDigits = true;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      const length = i - labelStart;
      if (length === 0 || length > 63) return false;
      labelStart = i + 1;
      if (i < n) allDigits = true;
    } else if (isLabelChar(c)) {
      if (plainOnly && c === 0x78 && i === labelStart && s.startsWith('xn--', i)) return false;
      if (!isDigit(c)) allDigits = false;
    } else {
      return false;
    }
  }
  return !allDigits;
}

/**
 * Whether the text is a domain name in normal form already, told in one pass. Most names in logs
 * are. (normaliseDomainFully gives the same answer for these: observable.test.ts compares them.)
 */
function isNormalDomain(s: string): boolean {
  return isValidHostname(s, true);
}

function normaliseDomain(input: string): string | undefined {
  return isNormalDomain(input) ? input : normaliseDomainFully(input);
}

/** normalise('domain') of any text: whitespace, case, IDNA, a trailing dot (see isNormalDomain). */
export function normaliseDomainFully(input: string): string | undefined {
  let s = trimStructured(input);
  if (s.length === 0 || s.length > 1024) return undefined;
  let nonAscii = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      nonAscii = true;
    } else if (!(isLabelChar(c) || c === 0x2e || (c >= 0x41 && c <= 0x5a))) {
      // Checked before domainToASCII, which would otherwise percent-decode ('%41') or map IPv4 forms.
      return undefined;
    }
  }
  if (nonAscii || s.indexOf('xn--') >= 0 || s.indexOf('XN--') >= 0 || s.indexOf('Xn--') >= 0 || s.indexOf('xN--') >= 0) {
    // IDNA (UTS #46) mapping and Punycode; it also refuses malformed 'xn--' labels.
    s = domainToASCII(s);
    if (s.length === 0) return undefined;
  } else if (hasAsciiUpper(s)) {
    s = s.toLowerCase();
  }
  if (s.charCodeAt(s.length - 1) === 0x2e) s = s.slice(0, -1);
  return isValidHostname(s) ? s : undefined;
}

/** The stricter test for untyped text: at least two labels and an alphabetic (or 'xn--') top-level label. */
function hasAlphabeticTld(domain: string): boolean {
  const dot = domain.lastIndexOf('.');
  if (dot <= 0) return false;
  const tld = domain.slice(dot + 1);
  if (tld.startsWith('xn--')) return tld.length > 4;
  if (tld.length < 2) return false;
  for (let i = 0; i < tld.length; i++) {
    const c = tld.charCodeAt(i);
    if (c < 0x61 || c > 0x7a) return false;
  }
  return true;
}

/** RFC 5322 atext, plus any non-ASCII character (RFC 6531). */
function isAtext(c: number): boolean {
  if (c >= 0x80) return true;
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c)) return true;
  // ! # $ % & ' * + - / = ? ^ _ ` { | } ~
  return c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2f
    || c === 0x3d || c === 0x3f || (c >= 0x5e && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

function isValidLocalPart(local: string): boolean {
  const n = local.length;
  if (n === 0 || n > 64) return false;
  if (local.charCodeAt(0) === 0x22) {
    // quoted-string: printable characters, '\' escapes the next one
    if (n < 2 || local.charCodeAt(n - 1) !== 0x22) return false;
    for (let i = 1; i < n - 1; i++) {
      const c = local.charCodeAt(i);
      if (c < 0x20 || c === 0x7f) return false;
      if (c === 0x5c) {
        i++;
        if (i >= n - 1) return false;
      } else if (c === 0x22) {
        return false;
      }
    }
    return true;
  }
  let previousDot = true;
  for (let i = 0; i < n; i++) {
    const c = local.charCodeAt(i);
    if (c === 0x2e) {
      if (previousDot) return false;
      previousDot = true;
    } else if (isAtext(c)) {
      previousDot = false;
    } else {
      return false;
    }
  }
  return !previousDot;
}

function normaliseEmail(input: string): string | undefined {
  const s = trimStructured(input);
  const at = s.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = s.slice(0, at);
  if (!isValidLocalPart(local)) return undefined;
  const domain = normaliseDomain(s.slice(at + 1));
  return domain === undefined ? undefined : `${local}@${domain}`;
}

/** RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), followed by '://'. */
function schemeEnd(s: string): number {
  const sep = s.indexOf('://');
  if (sep <= 0) return -1;
  for (let i = 0; i < sep; i++) {
    const c = s.charCodeAt(i) | 0x20;
    const alpha = c >= 0x61 && c <= 0x7a;
    if (i === 0 ? !alpha : !(alpha || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e)) return -1;
  }
  return sep;
}

function isUnreserved(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}

/** RFC 3986 6.2.2: decode percent-encoded unreserved characters, upper-case the hex of the rest. */
function normalisePercentEncoding(path: string): string {
  if (path.indexOf('%') < 0) return path;
  let out = '';
  let from = 0;
  for (let i = path.indexOf('%'); i >= 0 && i + 2 < path.length; i = path.indexOf('%', i + 1)) {
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) continue;
    const byte = hi * 16 + lo;
    out += path.slice(from, i) + (isUnreserved(byte) ? String.fromCharCode(byte) : `%${path.slice(i + 1, i + 3).toUpperCase()}`);
    from = i + 3;
    i += 2;
  }
  return out + path.slice(from);
}

/** Characters the URL parser leaves as they are in a path (no '%': escapes are normalised). */
function isPlainPathCharacter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c)
    || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e || c === 0x21 || c === 0x24 || c === 0x26 || c === 0x27 || c === 0x28
    || c === 0x29 || c === 0x2a || c === 0x2b || c === 0x2c || c === 0x3b || c === 0x3d || c === 0x3a || c === 0x40 || c === 0x2f;
}

/**
 * Whether the URL is its own normal form, told without the URL parser: a lower-case http or
 * https scheme; a lower-case ASCII host name (labels of 1 to 63 letters, digits, '-' or '_', no
 * 'xn--' label, none empty, the last neither all digits nor starting '0x', which the parser would
 * read as an address); no user information or port; a path starting with '/' of characters the
 * parser keeps, without '.' or '..' segments; a query of such characters besides "'", and no
 * fragment. Most URLs of most logs are, and the parser costs a few microseconds each.
 * (normaliseUrlByParser gives the same answer for these: observable.test.ts compares them.)
 */
function isNormalHttpUrl(s: string): boolean {
  const n = s.length;
  let at: number;
  if (s.startsWith('http://')) at = 7;
  else if (s.startsWith('https://')) at = 8;
  else return false;
  const hostStart = at;
  let labelStart = at;
  let allDigits = true;
  for (;; at++) {
    const c = at < n ? s.charCodeAt(at) : 0x2f;
    if (c === 0x2e || c === 0x2f) {
      const length = at - labelStart;
      if (length === 0 || length > 63 || (length >= 4 && s.startsWith('xn--', labelStart))) return false;
      if (c === 0x2f) {
        if (allDigits || (length >= 2 && s.charCodeAt(labelStart) === 0x30 && s.charCodeAt(labelStart + 1) === 0x78)) return false;
        break;
      }
      labelStart = at + 1;
      allDigits = true;
    } else if ((c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f) {
      allDigits = false;
    } else if (!isDigit(c)) {
      return false;
    }
  }
  if (at >= n || at - hostStart > 253) return false;
  // The path: segments of plain characters, none '.' or '..'.
  let segmentStart = at + 1;
  for (at++; at <= n; at++) {
    const c = at < n ? s.charCodeAt(at) : 0x3f;
    if (c === 0x2f || c === 0x3f) {
      const length = at - segmentStart;
      if (s.charCodeAt(segmentStart) === 0x2e && (length === 1 || (length === 2 && s.charCodeAt(segmentStart + 1) === 0x2e))) return false;
      if (c === 0x3f) break;
      segmentStart = at + 1;
    } else if (!isPlainPathCharacter(c)) {
      return false;
    }
  }
  // The query: the same characters and '?', but not "'" (which the parser escapes there).
  for (at++; at < n; at++) {
    const c = s.charCodeAt(at);
    if (c === 0x27 || (c !== 0x3f && !isPlainPathCharacter(c))) return false;
  }
  return true;
}

function normaliseUrl(input: string): string | undefined {
  const s = trimStructured(input);
  return isNormalHttpUrl(s) ? s : normaliseUrlByParser(s);
}

/** normalise('url') through the WHATWG URL parser, whatever the URL (see isNormalHttpUrl). */
export function normaliseUrlByParser(input: string): string | undefined {
  const s = trimStructured(input);
  if (schemeEnd(s) < 0) return undefined;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return undefined;
  }
  let hostname = url.hostname;
  if (hostname === '' && url.protocol !== 'file:') return undefined;
  if (hostname.endsWith('.')) hostname = hostname.slice(0, -1);
  if (hostname !== '' && hostname.charCodeAt(0) !== 0x5b) {
    // Special schemes have had their host through IDNA already; other schemes keep an opaque
    // host, which is a domain name often enough to be worth the same treatment.
    const domain = normaliseDomain(hostname);
    hostname = domain ?? hostname.toLowerCase();
  }
  const userinfo = url.username === '' && url.password === '' ? '' : `${url.username}${url.password === '' ? '' : `:${url.password}`}@`;
  const prefix = `${url.protocol}//${userinfo}${url.hostname}${url.port === '' ? '' : `:${url.port}`}`;
  url.hash = '';
  const href = url.href;
  const pathname = url.pathname;
  // The query (with its '?', even an empty one) is everything after the path in the serialisation.
  const query = href.slice(prefix.length + pathname.length);
  const path = pathname === '' ? '/' : normalisePercentEncoding(pathname);
  return `${url.protocol}//${userinfo}${hostname}${url.port === '' ? '' : `:${url.port}`}${path}${query}`;
}

// ---------------------------------------------------------------------------------------------
// Other kinds

const HIVES: ReadonlyMap<string, string> = new Map([
  ['hkey_local_machine', 'hkey_local_machine'], ['hklm', 'hkey_local_machine'],
  ['hkey_current_user', 'hkey_current_user'], ['hkcu', 'hkey_current_user'],
  ['hkey_classes_root', 'hkey_classes_root'], ['hkcr', 'hkey_classes_root'],
  ['hkey_users', 'hkey_users'], ['hku', 'hkey_users'],
  ['hkey_current_config', 'hkey_current_config'], ['hkcc', 'hkey_current_config'],
]);

/** Kernel-style names, as written by EDR and Sysmon-like tools. */
const NATIVE_ROOTS: readonly (readonly [string, string])[] = [
  ['\\registry\\machine', 'hkey_local_machine'],
  ['\\registry\\user', 'hkey_users'],
];

function normaliseRegistryKey(input: string): string | undefined {
  const lower = stripTrailingNewlines(input).toLowerCase();
  let root: string | undefined;
  let rest: string;
  if (lower.charCodeAt(0) === 0x5c) {
    const native = NATIVE_ROOTS.find(([prefix]) => lower.startsWith(prefix) && (lower.length === prefix.length || lower.charCodeAt(prefix.length) === 0x5c));
    if (native === undefined) return undefined;
    root = native[1];
    rest = lower.slice(native[0].length);
  } else {
    const slash = lower.indexOf('\\');
    root = HIVES.get(slash < 0 ? lower : lower.slice(0, slash));
    rest = slash < 0 ? '' : lower.slice(slash);
  }
  if (root === undefined) return undefined;
  // Key names cannot contain '\', so a trailing one is only a separator.
  let end = rest.length;
  while (end > 0 && rest.charCodeAt(end - 1) === 0x5c) end--;
  return root + rest.slice(0, end);
}

function normaliseMac(input: string): string | undefined {
  const s = trimStructured(input).toLowerCase();
  let hex: string;
  if (s.length === 17) {
    const sep = s.charCodeAt(2);
    if (sep !== 0x3a && sep !== 0x2d) return undefined;
    for (let i = 5; i < 17; i += 3) if (s.charCodeAt(i) !== sep) return undefined;
    hex = s.slice(0, 2) + s.slice(3, 5) + s.slice(6, 8) + s.slice(9, 11) + s.slice(12, 14) + s.slice(15, 17);
  } else if (s.length === 14) {
    if (s.charCodeAt(4) !== 0x2e || s.charCodeAt(9) !== 0x2e) return undefined;
    hex = s.slice(0, 4) + s.slice(5, 9) + s.slice(10, 14);
  } else if (s.length === 12) {
    hex = s;
  } else {
    return undefined;
  }
  if (!isHex(hex)) return undefined;
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
}

function parseDecimal(s: string, max: number): number | undefined {
  if (s.length === 0 || s.length > 10) return undefined;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return undefined;
    v = v * 10 + (c - 0x30);
  }
  return v <= max ? v : undefined;
}

/** asplain ('64500'), 'AS64500', or asdot ('1.10' = 65546, RFC 5396) -> decimal digits. */
function normaliseAsn(input: string): string | undefined {
  let s = trimStructured(input);
  if (s.length > 2 && (s.charCodeAt(0) | 0x20) === 0x61 && (s.charCodeAt(1) | 0x20) === 0x73) s = s.slice(2);
  const dot = s.indexOf('.');
  if (dot < 0) {
    const v = parseDecimal(s, 4294967295);
    return v === undefined ? undefined : String(v);
  }
  const high = parseDecimal(s.slice(0, dot), 65535);
  const low = parseDecimal(s.slice(dot + 1), 65535);
  return high === undefined || low === undefined ? undefined : String(high * 65536 + low);
}

function isBase64Char(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x2b || c === 0x2f;
}

/** blocksize:hash:hash, the block size 3 * 2^n, both parts base64 (case matters). */
function normaliseSsdeep(input: string): string | undefined {
  const s = trimStructured(input);
  const first = s.indexOf(':');
  const second = s.indexOf(':', first + 1);
  if (first <= 0 || second < 0 || s.indexOf(':', second + 1) >= 0 || s.length > 256) return undefined;
  const blockSize = parseDecimal(s.slice(0, first), 4294967295);
  if (blockSize === undefined || s.charCodeAt(0) === 0x30) return undefined;
  let b = blockSize;
  if (b % 3 !== 0) return undefined;
  b /= 3;
  while (b > 1 && b % 2 === 0) b /= 2;
  if (b !== 1) return undefined;
  for (let i = first + 1; i < s.length; i++) {
    if (i !== second && !isBase64Char(s.charCodeAt(i))) return undefined;
  }
  return s;
}

/**
 * TLSH: upper-case hex. The standard digest (128 buckets, 1-byte checksum, 70 hex digits) is
 * written with its 'T1' version prefix, which TLSH 4+ prints and older tools omit; other
 * variants (74, 134 or 138 hex digits) carry no defined prefix and are kept bare.
 */
function normaliseTlsh(input: string): string | undefined {
  let s = trimStructured(input);
  if ((s.charCodeAt(0) | 0x20) === 0x74 && s.charCodeAt(1) === 0x31) {
    s = s.slice(2);
    if (s.length !== 70) return undefined;
  }
  if (!isHex(s)) return undefined;
  if (s.length === 70) return `T1${s.toUpperCase()}`;
  return s.length === 74 || s.length === 134 || s.length === 138 ? s.toUpperCase() : undefined;
}

function normaliseHex(input: string, length: number): string | undefined {
  const s = trimStructured(input);
  if (s.length !== length) return undefined;
  // One pass: hex digits, and whether any is upper case.
  let upper = false;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)) continue;
    if (c >= 0x41 && c <= 0x46) upper = true;
    else return undefined;
  }
  return upper ? s.toLowerCase() : s;
}

function normaliseText(input: string): string | undefined {
  const s = stripTrailingNewlines(input);
  return s.length === 0 ? undefined : s;
}

/** Canonical key for exact matching, or undefined when the value is not a valid value of that kind. */
export function normalise(kind: ObservableKind, value: string): string | undefined {
  switch (kind) {
    case 'ipv4': {
      const s = trimStructured(value);
      // A strictly parsed dotted quad is already in canonical form.
      return parseIPv4(s) === undefined ? undefined : s;
    }
    case 'ipv6': {
      const bytes = parseIPv6(trimStructured(value));
      return bytes === undefined ? undefined : formatIPv6(bytes);
    }
    case 'domain': return normaliseDomain(value);
    case 'url': return normaliseUrl(value);
    case 'email': return normaliseEmail(value);
    case 'md5': return normaliseHex(value, 32);
    case 'sha1': return normaliseHex(value, 40);
    case 'sha256': return normaliseHex(value, 64);
    case 'sha512': return normaliseHex(value, 128);
    case 'sha3-256': return normaliseHex(value, 64);
    case 'sha3-512': return normaliseHex(value, 128);
    case 'ja3': return normaliseHex(value, 32);
    case 'ssdeep': return normaliseSsdeep(value);
    case 'tlsh': return normaliseTlsh(value);
    case 'registry-key': return normaliseRegistryKey(value);
    case 'mac': return normaliseMac(value);
    case 'asn': return normaliseAsn(value);
    case 'user-agent':
    case 'mutex':
    case 'file-name':
    case 'file-path':
      return normaliseText(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Detection

/** Hash kind of a hex string by its length (64 is read as sha256, 128 as sha512), or undefined. */
export function hashKindOf(value: string): ObservableKind | undefined {
  const n = value.length;
  const kind = n === 32 ? 'md5' : n === 40 ? 'sha1' : n === 64 ? 'sha256' : n === 128 ? 'sha512' : undefined;
  return kind !== undefined && isHex(value) ? kind : undefined;
}

/** The kind of an IP address, checked by parsing, or undefined. */
export function ipKindOf(value: string): 'ipv4' | 'ipv6' | undefined {
  const c0 = value.charCodeAt(0);
  if (isDigit(c0) && value.length <= 15 && parseIPv4(value) !== undefined) return 'ipv4';
  if ((hexValue(c0) >= 0 || c0 === 0x3a) && value.length <= 45 && value.indexOf(':') >= 0 && parseIPv6(value) !== undefined) return 'ipv6';
  return undefined;
}

/**
 * The kinds that untyped text can be assigned without doubt: IP addresses, URLs with a scheme,
 * e-mail addresses and hex hashes. Cheap tests on length and first character come before any
 * parsing, so it can be run on every string of a record.
 */
export function detectCertainKind(value: string): ObservableKind | undefined {
  const n = value.length;
  if (n < 2 || isAsciiWhitespace(value.charCodeAt(0)) || isAsciiWhitespace(value.charCodeAt(n - 1))) return undefined;
  const hash = hashKindOf(value);
  if (hash !== undefined) return hash;
  const ip = ipKindOf(value);
  if (ip !== undefined) return ip;
  if (n >= 5 && schemeEnd(value) > 0) return normaliseUrl(value) === undefined ? undefined : 'url';
  if (value.indexOf('@') > 0) return isDetectableEmail(value) ? 'email' : undefined;
  return undefined;
}

function isDetectableEmail(value: string): boolean {
  const normalised = normaliseEmail(value);
  return normalised !== undefined && hasAlphabeticTld(normalised.slice(normalised.lastIndexOf('@') + 1));
}

/**
 * Guess the kind of an untyped value (a lookup box, a plain line). The value is taken as given:
 * surrounding whitespace makes it unknown. CIDR blocks are not values and give undefined;
 * so does a URL without a scheme ('evil.com/a'). 64 hex digits are read as sha256 and 128 as
 * sha512 (never sha3), 32 as md5 (never ja3).
 */
export function detectKind(value: string): ObservableKind | undefined {
  const certain = detectCertainKind(value);
  if (certain !== undefined) return certain;
  const n = value.length;
  if (n < 2 || isAsciiWhitespace(value.charCodeAt(0)) || isAsciiWhitespace(value.charCodeAt(n - 1))) return undefined;
  if (value.indexOf('://') >= 0 || value.indexOf('@') >= 0) return undefined;
  const c0 = value.charCodeAt(0);
  if (((c0 | 0x20) === 0x68 || c0 === 0x5c) && normaliseRegistryKey(value) !== undefined) return 'registry-key';
  if (value.indexOf('.') > 0) {
    const domain = normaliseDomain(value);
    if (domain !== undefined && hasAlphabeticTld(domain)) return 'domain';
  }
  return undefined;
}
