/** URLs: the normal form, told without the URL parser for most, through it for the rest. */
import { hexValue, isDigit, trimStructured } from './chars.js';
import { normaliseDomain } from './domain.js';

/** RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), followed by '://'. */
export function schemeEnd(s: string): number {
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

export function normaliseUrl(input: string): string | undefined {
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
