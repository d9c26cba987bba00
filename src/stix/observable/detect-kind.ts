/** The kind of untyped text: certain kinds (any string of a record), and a best guess (a lookup box, a plain line). */
import { isAsciiWhitespace } from './chars.js';
import { hasAlphabeticTld, normaliseDomain, normaliseEmail } from './domain.js';
import { hashKindOf } from './hashes.js';
import { ipKindOf } from './ip.js';
import type { ObservableKind } from './kinds.js';
import { normaliseRegistryKey } from './other-kinds.js';
import { normaliseUrl, schemeEnd } from './url.js';

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
