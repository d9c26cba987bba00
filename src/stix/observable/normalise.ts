/** The canonical key of a value of each kind, for exact matching (docs/DETECT-FORMATS.md). */
import { trimStructured } from './chars.js';
import { normaliseDomain, normaliseEmail } from './domain.js';
import { normaliseHex, normaliseSsdeep, normaliseTlsh } from './hashes.js';
import { formatIPv6, parseIPv4, parseIPv6 } from './ip.js';
import type { ObservableKind } from './kinds.js';
import { normaliseAsn, normaliseMac, normaliseRegistryKey, normaliseText } from './other-kinds.js';
import { normaliseUrl } from './url.js';

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
