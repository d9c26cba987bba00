/** Domain names and e-mail addresses: validation and normal form (IDNA, case, a trailing dot). */
import { domainToASCII } from 'node:url';
import { hasAsciiUpper, isDigit, trimStructured } from './chars.js';

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

export function normaliseDomain(input: string): string | undefined {
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
export function hasAlphabeticTld(domain: string): boolean {
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

export function normaliseEmail(input: string): string | undefined {
  const s = trimStructured(input);
  const at = s.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = s.slice(0, at);
  if (!isValidLocalPart(local)) return undefined;
  const domain = normaliseDomain(s.slice(at + 1));
  return domain === undefined ? undefined : `${local}@${domain}`;
}
