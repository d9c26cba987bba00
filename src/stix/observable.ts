/**
 * Observable values known to the detection index: their kinds, the detection of a kind from
 * untyped text, and the normalisation of a value to the canonical key used for exact lookups.
 * The rules are documented in docs/DETECT-FORMATS.md; both sides of a match (indicators and
 * members' logs) go through `normalise`, so a change here changes what matches. Pure: the code
 * is in observable/, one file per family of kinds; this file is what others use of it.
 */
export { isObservableKind, OBSERVABLE_KINDS, type Cidr, type ObservableKind } from './observable/kinds.js';
export { ipKindOf, ipv4Address, parseCidr, parseIPv4, parseIPv6 } from './observable/ip.js';
export { normaliseDomainFully } from './observable/domain.js';
export { normaliseUrlByParser } from './observable/url.js';
export { hashKindOf } from './observable/hashes.js';
export { normalise } from './observable/normalise.js';
export { detectCertainKind, detectKind } from './observable/detect-kind.js';
