/**
 * Warning-list entries: their syntax (parseEntry) and the compiled form the matcher probes for
 * every value of every event. PURE: no I/O. A probe that finds nothing allocates nothing: exact
 * values are map probes, domains a right-to-left walk over label boundaries of a hash table
 * compared in place (so a URL's host is checked without slicing it out), and address ranges one
 * integer table per prefix length, longest first.
 */
import { nextTurn } from '../../core/turn.js';
import { detectKind, normalise, parseCidr, type ObservableKind } from '../../stix/observable.js';

/** Why a value was not reported: the list and the entry that covered it. */
export interface Suppression {
  /** The list's id. */
  list: string;
  /** The list's name. */
  name: string;
  /** The entry that covered the value, e.g. '*.google.com' or '10.0.0.0/8'. */
  entry: string;
}

export interface Suppressor {
  /**
   * The first list entry covering this normalised value of this kind, if any: exact values,
   * domains and their '*.' suffixes (also a URL's host), and address ranges (the longest prefix).
   */
  check(kind: ObservableKind, normalised: string): Suppression | undefined;
  readonly entries: number;
}

/**
 * A NUL, or a UTF-16 surrogate without its pair (a JSON escape such as \ud800 alone): no value of
 * any kind holds one, and the engines do not keep them as sent (PostgreSQL's COPY writes U+FFFD
 * for NUL; SQLite keeps a lone surrogate's bytes and reads it back as U+FFFD), so an entry's
 * stored bytes would differ from those counted against its member's budget.
 */
export const NOT_TEXT = /[\0\p{Cs}]/u;
export const NOT_TEXT_ERROR = (what: string): string => `${what} holds a NUL character or a lone UTF-16 surrogate (an escape such as \\ud800 without its pair): send valid Unicode text`;

/** Longest accepted entry, in characters (as lookup values). */
export const ENTRY_MAX_LENGTH = 8192;

export interface ParsedEntry {
  kind: ObservableKind;
  /** The normalised entry as stored and shown. */
  value: string;
}

const KIND_HINT = "give its kind (kind=domain, ipv4, ipv6, url, email, md5, sha1, sha256, user-agent, file-name, ...)";

function formatCidr(text: string, kind: 'ipv4' | 'ipv6'): ParsedEntry | { error: string } {
  const cidr = parseCidr(text);
  const version = kind === 'ipv4' ? 4 : 6;
  if (!cidr) return { error: `'${text}' is not a valid ${kind} address range: write it as ${kind === 'ipv4' ? '10.0.0.0/8' : '2001:db8::/32'}` };
  if (cidr.version !== version) return { error: `'${text}' is an IPv${cidr.version} range, not ${kind}` };
  const max = version === 4 ? 32 : 128;
  let address: string;
  if (version === 4) {
    address = Array.from(cidr.bytes).join('.');
  } else {
    const groups: string[] = [];
    for (let g = 0; g < 8; g++) groups.push((((cidr.bytes[g * 2] ?? 0) << 8) | (cidr.bytes[g * 2 + 1] ?? 0)).toString(16));
    address = normalise('ipv6', groups.join(':'))!;
  }
  return { kind, value: cidr.prefix === max ? address : `${address}/${cidr.prefix}` };
}

function domainEntry(text: string): ParsedEntry | { error: string } {
  const suffix = text.startsWith('*.');
  const domain = suffix ? text.slice(2) : text;
  if (domain.includes('*')) return { error: `'${text}': a wildcard is only allowed as a leading '*.' (*.example.com covers example.com and all its subdomains)` };
  const normalised = normalise('domain', domain);
  if (normalised === undefined) return { error: `'${text}' is not a valid domain name` };
  return { kind: 'domain', value: suffix ? `*.${normalised}` : normalised };
}

/**
 * One entry as a member writes it: a value of a kind (given, or detected from the value), an
 * IPv4 or IPv6 range in CIDR notation, or '*.example.com' for a domain and all its subdomains.
 * Surrounding whitespace is ignored. The value comes back normalised, as the matcher sees it.
 */
export function parseEntry(input: string, kind?: ObservableKind): ParsedEntry | { error: string } {
  const text = input.trim();
  if (text.length === 0) return { error: 'empty value' };
  if (text.length > ENTRY_MAX_LENGTH) return { error: `the value is ${text.length} characters long; entries are at most ${ENTRY_MAX_LENGTH}` };
  if (NOT_TEXT.test(text)) return { error: NOT_TEXT_ERROR('the value') };
  if (kind === undefined) {
    if (text.startsWith('*.')) return domainEntry(text);
    if (text.includes('*') && !text.includes('://')) {
      const address = /^[\d.*]+$/.test(text) || text.includes(':');
      return { error: address ? `'${text}': write address ranges in CIDR notation (10.0.0.0/8), not with '*'` : `'${text}': a wildcard is only allowed as a leading '*.' (*.example.com covers example.com and all its subdomains)` };
    }
    if (text.includes('/') && !text.includes('://')) {
      const cidr = parseCidr(text);
      if (!cidr) return { error: `'${text}' is not an address range (10.0.0.0/8, 2001:db8::/32) nor a value of a known kind: ${KIND_HINT}` };
      return formatCidr(text, cidr.version === 4 ? 'ipv4' : 'ipv6');
    }
    const detected = detectKind(text);
    if (detected === undefined) return { error: `cannot tell what kind of value '${text}' is: ${KIND_HINT}` };
    kind = detected;
  }
  if (kind === 'domain') return domainEntry(text);
  if ((kind === 'ipv4' || kind === 'ipv6') && text.includes('/')) return formatCidr(text, kind);
  if (text.includes('*') && (kind === 'ipv4' || kind === 'ipv6')) return { error: `'${text}': write address ranges in CIDR notation (10.0.0.0/8), not with '*'` };
  const value = normalise(kind, text);
  if (value === undefined) return { error: `'${text}' is not a valid ${kind}` };
  return { kind, value };
}

// ---------------------------------------------------------------------------------------------
// Compiled tables

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return h ^ (h >>> 16);
}

function capacityFor(n: number): number {
  let capacity = 16;
  while (capacity < n * 2) capacity *= 2;
  return capacity;
}

/** Right-to-left polynomial hash of s[start, end): the same walk the lookup makes. */
function reverseHash(s: string, start: number, end: number): number {
  let h = 0;
  for (let i = end - 1; i >= start; i--) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Domain names with their exact and '*.' suffix entries; probed in place within a string. */
class DomainTable {
  readonly #mask: number;
  readonly #slots: Int32Array;
  readonly #hashes: Int32Array;
  readonly #keys: string[] = [];
  readonly #exact: Array<Suppression | undefined> = [];
  readonly #suffix: Array<Suppression | undefined> = [];

  /** A table for `size` keys, filled by put. */
  constructor(size: number) {
    const capacity = capacityFor(size);
    this.#mask = capacity - 1;
    this.#slots = new Int32Array(capacity);
    this.#hashes = new Int32Array(size);
  }

  put(key: string, found: { exact?: Suppression; suffix?: Suppression }): void {
    const index = this.#keys.length;
    const h = reverseHash(key, 0, key.length);
    this.#keys.push(key);
    this.#exact.push(found.exact);
    this.#suffix.push(found.suffix);
    this.#hashes[index] = h;
    let slot = mix(h) & this.#mask;
    while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
    this.#slots[slot] = index + 1;
  }

  #find(h: number, s: string, start: number, end: number): number {
    let slot = mix(h) & this.#mask;
    for (;;) {
      const at = this.#slots[slot]!;
      if (at === 0) return -1;
      const index = at - 1;
      if (this.#hashes[index] === h) {
        const key = this.#keys[index]!;
        if (key.length === end - start && s.startsWith(key, start)) return index;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** The most specific entry covering the name s[start, end): itself exactly, or a suffix at a label boundary. */
  lookup(s: string, start: number, end: number): Suppression | undefined {
    let best: Suppression | undefined;
    let h = 0;
    for (let i = end - 1; i >= start; i--) {
      h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
      if (i !== start && s.charCodeAt(i - 1) !== 0x2e) continue;
      const index = this.#find(h, s, i, end);
      if (index < 0) continue;
      const found = i === start ? (this.#exact[index] ?? this.#suffix[index]) : this.#suffix[index];
      if (found !== undefined) best = found;
    }
    return best;
  }
}

/** One prefix length of IPv4 ranges: networks as int32 keys. */
class V4Prefix {
  readonly mask: number;
  readonly #slotMask: number;
  readonly #keys: Int32Array;
  readonly #slots: Int32Array;
  readonly #values: Suppression[] = [];

  /** A prefix length's table for `size` networks, filled by put. */
  constructor(
    readonly length: number,
    size: number,
  ) {
    this.mask = length === 0 ? 0 : (-1 << (32 - length)) | 0;
    const capacity = capacityFor(size);
    this.#slotMask = capacity - 1;
    this.#keys = new Int32Array(capacity);
    this.#slots = new Int32Array(capacity);
  }

  put(network: number, suppression: Suppression): void {
    let slot = mix(network) & this.#slotMask;
    while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#slotMask;
    this.#values.push(suppression);
    this.#keys[slot] = network;
    this.#slots[slot] = this.#values.length;
  }

  find(address: number): Suppression | undefined {
    const network = address & this.mask;
    let slot = mix(network) & this.#slotMask;
    for (;;) {
      const at = this.#slots[slot]!;
      if (at === 0) return undefined;
      if (this.#keys[slot] === network) return this.#values[at - 1];
      slot = (slot + 1) & this.#slotMask;
    }
  }
}

/** One prefix length of IPv6 ranges: networks as four int32 words. */
class V6Prefix {
  readonly #masks = new Int32Array(4);
  readonly #slotMask: number;
  readonly #keys: Int32Array;
  readonly #slots: Int32Array;
  readonly #values: Suppression[] = [];

  /** A prefix length's table for `size` networks, filled by put. */
  constructor(
    readonly length: number,
    size: number,
  ) {
    for (let w = 0; w < 4; w++) {
      const bits = length - w * 32;
      this.#masks[w] = bits >= 32 ? -1 : bits <= 0 ? 0 : (-1 << (32 - bits)) | 0;
    }
    const capacity = capacityFor(size);
    this.#slotMask = capacity - 1;
    this.#keys = new Int32Array(capacity * 4);
    this.#slots = new Int32Array(capacity);
  }

  put(words: Int32Array, suppression: Suppression): void {
    let slot = V6Prefix.#hash(words[0]!, words[1]!, words[2]!, words[3]!) & this.#slotMask;
    while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#slotMask;
    this.#values.push(suppression);
    this.#keys.set(words, slot * 4);
    this.#slots[slot] = this.#values.length;
  }

  static #hash(a: number, b: number, c: number, d: number): number {
    return mix(Math.imul(mix(Math.imul(mix(a), 31) ^ b), 31) ^ Math.imul(c, 0x27d4eb2d) ^ d);
  }

  find(words: Int32Array): Suppression | undefined {
    const m = this.#masks;
    const a = words[0]! & m[0]!;
    const b = words[1]! & m[1]!;
    const c = words[2]! & m[2]!;
    const d = words[3]! & m[3]!;
    const keys = this.#keys;
    let slot = V6Prefix.#hash(a, b, c, d) & this.#slotMask;
    for (;;) {
      const at = this.#slots[slot]!;
      if (at === 0) return undefined;
      const k = slot * 4;
      if (keys[k] === a && keys[k + 1] === b && keys[k + 2] === c && keys[k + 3] === d) return this.#values[at - 1];
      slot = (slot + 1) & this.#slotMask;
    }
  }
}

// Scratch space of the address parsers: a probe writes here rather than allocating.
const V4_SCRATCH = new Int32Array(1);
const V6_WORDS = new Int32Array(4);
const V6_GROUPS = new Int32Array(8);

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Dotted quad in s[start, end) -> V4_SCRATCH[0]; false when it is not one. */
function readV4(s: string, start: number, end: number): boolean {
  if (end - start < 7 || end - start > 15) return false;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return false;
      value = (value << 8) | octet;
      dots++;
      octet = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      octet = octet * 10 + (c - 0x30);
      if (octet > 255 || ++digits > 3) return false;
    } else {
      return false;
    }
  }
  if (dots !== 3 || digits === 0) return false;
  V4_SCRATCH[0] = (value << 8) | octet;
  return true;
}

/** IPv6 text in s[start, end) -> V6_WORDS; false when it is not an address. */
function readV6(s: string, start: number, end: number): boolean {
  const groups = V6_GROUPS;
  let count = 0;
  let compressAt = -1;
  let i = start;
  if (end - start < 2 || end - start > 45) return false;
  if (s.charCodeAt(i) === 0x3a) {
    if (s.charCodeAt(i + 1) !== 0x3a) return false;
    compressAt = 0;
    i += 2;
  }
  while (i < end) {
    const from = i;
    let group = 0;
    while (i < end && i - from < 5) {
      const h = hexDigit(s.charCodeAt(i));
      if (h < 0) break;
      group = group * 16 + h;
      i++;
    }
    if (i < end && s.charCodeAt(i) === 0x2e) {
      if (count > 6 || !readV4(s, from, end)) return false;
      const v4 = V4_SCRATCH[0]!;
      groups[count++] = (v4 >>> 16) & 0xffff;
      groups[count++] = v4 & 0xffff;
      break;
    }
    if (i === from || i - from > 4 || count === 8) return false;
    groups[count++] = group;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 0x3a) {
      if (compressAt >= 0) return false;
      compressAt = count;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (compressAt < 0 ? count !== 8 : count > 7) return false;
  const tail = compressAt < 0 ? 0 : count - compressAt;
  const words = V6_WORDS;
  words[0] = words[1] = words[2] = words[3] = 0;
  for (let g = 0; g < count; g++) {
    const at = compressAt >= 0 && g >= compressAt ? 8 - tail + (g - compressAt) : g;
    const group = groups[g]!;
    words[at >> 1] = (at & 1) === 0 ? words[at >> 1]! | (group << 16) : words[at >> 1]! | group;
  }
  return true;
}

/** The compiled entries of one or more lists (the first list to name a key wins). */
export class CompiledLists implements Suppressor {
  readonly #exact: ReadonlyMap<string, ReadonlyMap<string, Suppression>>;
  readonly #urls: ReadonlyMap<string, Suppression> | undefined;
  readonly #domains: DomainTable | undefined;
  readonly #v4: readonly V4Prefix[];
  readonly #v6: readonly V6Prefix[];

  constructor(
    readonly entries: number,
    exact: ReadonlyMap<string, ReadonlyMap<string, Suppression>>,
    domains: DomainTable | undefined,
    v4: readonly V4Prefix[],
    v6: readonly V6Prefix[],
  ) {
    this.#exact = exact;
    this.#urls = exact.get('url');
    this.#domains = domains;
    this.#v4 = v4;
    this.#v6 = v6;
  }

  #checkV4(address: number): Suppression | undefined {
    const prefixes = this.#v4;
    for (let p = 0; p < prefixes.length; p++) {
      const found = prefixes[p]!.find(address);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  #checkV6(): Suppression | undefined {
    const words = V6_WORDS;
    const prefixes = this.#v6;
    for (let p = 0; p < prefixes.length; p++) {
      const found = prefixes[p]!.find(words);
      if (found !== undefined) return found;
    }
    // An IPv4-mapped address (::ffff:a.b.c.d) is also covered by IPv4 entries.
    if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return this.#checkV4(words[3]!);
    return undefined;
  }

  /** A URL: the URL itself, else its host (a domain, or an address). */
  #checkUrl(url: string): Suppression | undefined {
    const exact = this.#urls?.get(url);
    if (exact !== undefined) return exact;
    const separator = url.indexOf('://');
    if (separator < 0) return undefined;
    let start = separator + 3;
    let end = start;
    const n = url.length;
    while (end < n) {
      const c = url.charCodeAt(end);
      if (c === 0x2f || c === 0x3f || c === 0x23) break;
      end++;
    }
    if (end === start) return undefined;
    const at = url.lastIndexOf('@', end - 1);
    if (at >= start) start = at + 1;
    if (url.charCodeAt(start) === 0x5b) {
      const close = url.indexOf(']', start);
      if (close < 0 || close > end || (this.#v6.length === 0 && this.#v4.length === 0)) return undefined;
      return readV6(url, start + 1, close) ? this.#checkV6() : undefined;
    }
    const colon = url.indexOf(':', start);
    if (colon >= 0 && colon < end) end = colon;
    const c0 = url.charCodeAt(start);
    if (c0 >= 0x30 && c0 <= 0x39 && this.#v4.length > 0 && readV4(url, start, end)) return this.#checkV4(V4_SCRATCH[0]!);
    return this.#domains?.lookup(url, start, end);
  }

  check(kind: ObservableKind, normalised: string): Suppression | undefined {
    switch (kind) {
      case 'domain':
        return this.#domains?.lookup(normalised, 0, normalised.length);
      case 'url':
        return this.#checkUrl(normalised);
      case 'ipv4':
        return this.#v4.length > 0 && readV4(normalised, 0, normalised.length) ? this.#checkV4(V4_SCRATCH[0]!) : undefined;
      case 'ipv6':
        return (this.#v6.length > 0 || this.#v4.length > 0) && readV6(normalised, 0, normalised.length) ? this.#checkV6() : undefined;
      default:
        return this.#exact.get(kind)?.get(normalised);
    }
  }
}

/** Keys placed in the compiled tables between turns of the event loop (buildInTurns). */
const BUILD_CHUNK = 50_000;

/** Collects entries list by list, then compiles them; the first list to name a key keeps it. */
export class SuppressorBuilder {
  #entries = 0;
  readonly #exact = new Map<string, Map<string, Suppression>>();
  readonly #domains = new Map<string, { exact?: Suppression; suffix?: Suppression }>();
  readonly #v4 = new Map<number, Map<number, Suppression>>();
  readonly #v6 = new Map<number, Map<string, { words: Int32Array; suppression: Suppression }>>();

  /** Adds a stored (normalised) entry of a list; false when it is not one this version reads. */
  add(list: { id: string; name: string }, kind: string, value: string): boolean {
    const suppression: Suppression = { list: list.id, name: list.name, entry: value };
    if (kind === 'domain') {
      const suffix = value.startsWith('*.');
      const key = suffix ? value.slice(2) : value;
      let found = this.#domains.get(key);
      if (!found) this.#domains.set(key, (found = {}));
      if (suffix) found.suffix ??= suppression;
      else found.exact ??= suppression;
    } else if (kind === 'ipv4' || kind === 'ipv6') {
      const cidr = parseCidr(value);
      if (!cidr || cidr.version !== (kind === 'ipv4' ? 4 : 6)) return false;
      if (cidr.version === 4) {
        const b = cidr.bytes;
        const network = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) | 0;
        let byNetwork = this.#v4.get(cidr.prefix);
        if (!byNetwork) this.#v4.set(cidr.prefix, (byNetwork = new Map()));
        if (!byNetwork.has(network)) byNetwork.set(network, suppression);
      } else {
        const b = cidr.bytes;
        const words = new Int32Array(4);
        for (let w = 0; w < 4; w++) words[w] = (b[w * 4]! << 24) | (b[w * 4 + 1]! << 16) | (b[w * 4 + 2]! << 8) | b[w * 4 + 3]!;
        let byNetwork = this.#v6.get(cidr.prefix);
        if (!byNetwork) this.#v6.set(cidr.prefix, (byNetwork = new Map()));
        const key = words.join(',');
        if (!byNetwork.has(key)) byNetwork.set(key, { words, suppression });
      }
    } else {
      let byValue = this.#exact.get(kind);
      if (!byValue) this.#exact.set(kind, (byValue = new Map()));
      if (!byValue.has(value)) byValue.set(value, suppression);
    }
    this.#entries++;
    return true;
  }

  /** Compiles the lists in one go. */
  build(): CompiledLists {
    const steps = this.#compile();
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * Compiles the lists with a turn of the event loop every BUILD_CHUNK keys: a member's lists hold
   * up to millions of entries (2,000,000 domains take about 0.6 s to place), and the node's other
   * requests are read meanwhile.
   */
  async buildInTurns(): Promise<CompiledLists> {
    const steps = this.#compile();
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      await nextTurn();
    }
  }

  /** Places every key in its table; yields after every BUILD_CHUNK keys. */
  *#compile(): Generator<void, CompiledLists> {
    const longestFirst = (a: number, b: number) => b - a;
    let placed = 0;
    const domains = this.#domains.size > 0 ? new DomainTable(this.#domains.size) : undefined;
    if (domains) {
      for (const [key, found] of this.#domains) {
        domains.put(key, found);
        if (++placed % BUILD_CHUNK === 0) yield;
      }
    }
    const v4: V4Prefix[] = [];
    for (const length of [...this.#v4.keys()].sort(longestFirst)) {
      const networks = this.#v4.get(length)!;
      const table = new V4Prefix(length, networks.size);
      for (const [network, suppression] of networks) {
        table.put(network, suppression);
        if (++placed % BUILD_CHUNK === 0) yield;
      }
      v4.push(table);
    }
    const v6: V6Prefix[] = [];
    for (const length of [...this.#v6.keys()].sort(longestFirst)) {
      const networks = this.#v6.get(length)!;
      const table = new V6Prefix(length, networks.size);
      for (const { words, suppression } of networks.values()) {
        table.put(words, suppression);
        if (++placed % BUILD_CHUNK === 0) yield;
      }
      v6.push(table);
    }
    return new CompiledLists(this.#entries, this.#exact, domains, v4, v6);
  }
}

/** Member lists first, then the alliance's: each part compiled once and shared. */
export class CombinedSuppressor implements Suppressor {
  readonly entries: number;
  constructor(readonly parts: readonly Suppressor[]) {
    this.entries = parts.reduce((n, p) => n + p.entries, 0);
  }

  check(kind: ObservableKind, normalised: string): Suppression | undefined {
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) {
      const found = parts[i]!.check(kind, normalised);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

export const NO_SUPPRESSION: Suppressor = Object.freeze({ entries: 0, check: () => undefined });
