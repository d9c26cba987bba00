/** IP addresses: strict parsing, RFC 5952 text, CIDR blocks. */
import type { Cidr } from './kinds.js';
import { hexValue, isDigit, trimStructured } from './chars.js';

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
export function formatIPv6(bytes: Uint8Array): string {
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

/** The kind of an IP address, checked by parsing, or undefined. */
export function ipKindOf(value: string): 'ipv4' | 'ipv6' | undefined {
  const c0 = value.charCodeAt(0);
  if (isDigit(c0) && value.length <= 15 && parseIPv4(value) !== undefined) return 'ipv4';
  if ((hexValue(c0) >= 0 || c0 === 0x3a) && value.length <= 45 && value.indexOf(':') >= 0 && parseIPv6(value) !== undefined) return 'ipv6';
  return undefined;
}
