/**
 * A Bloom filter over the detection index's keys (exact values and address prefixes), in shared
 * memory so that the reader threads of a bulk match can drop, by themselves, the events that
 * name nothing the index holds: most of a log. It only ever answers "maybe" or "surely not";
 * a "maybe" is settled by the index itself. Keys are never taken out (a dead key costs only a
 * false "maybe"); the owner makes a larger filter from its maps when the filter fills up.
 *
 * Blocked layout (one 64-byte block per key, four bits in it): a probe costs one cache miss.
 * Only the index's thread writes; readers may see a key added meanwhile late, never a key
 * taken out, so no answer is ever a false "surely not" for a key present when the read began.
 */
import { OBSERVABLE_KINDS, parseIPv4, parseIPv6, type ObservableKind } from '../../stix/observable.js';

const WORDS_PER_BLOCK = 16;
/** Header words: exact kinds present (1), IPv4 prefix lengths 0..32 (2), IPv6 prefix lengths 0..128 (5). */
const HEADER_WORDS = WORDS_PER_BLOCK;
const KIND_WORD = 0;
const V4_WORDS = 1;
const V6_WORDS = 3;
/** Bits per key at creation; the filter is remade at twice the size past MIN_BITS_PER_KEY. */
const BITS_PER_KEY = 16;
const MIN_BITS_PER_KEY = 12;
const MIN_BLOCKS = 64;

const KIND_CODE: ReadonlyMap<ObservableKind, number> = new Map(OBSERVABLE_KINDS.map((kind, i) => [kind, i]));
/** Seeds of prefix keys, past the kind codes. */
const V4_SEED = 64;
const V6_SEED = 256;

export function kindCode(kind: ObservableKind): number {
  return KIND_CODE.get(kind)!;
}

const IPV4_BIT = 1 << kindCode('ipv4');

// The two hashes of the last key, kept here rather than returned to spare an allocation per key.
let h1 = 0;
let h2 = 0;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Two UTF-16 code units per multiplication (a rotate, an exclusive or and a multiply each),
 * mixed twice at the end: hashing is on the path of every value of every event, and a 64-digit
 * hash took one multiplication per character before.
 */
function hashString(seed: number, s: string): void {
  let a = Math.imul(seed, 0x9e3779b1) ^ 0x811c9dc5;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) a = Math.imul(((a << 5) | (a >>> 27)) ^ (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)), 0x9e3779b1);
  if (i < n) a = Math.imul(((a << 5) | (a >>> 27)) ^ s.charCodeAt(i), 0x9e3779b1);
  h1 = fmix(a);
  h2 = fmix(a ^ 0x5bd1e995 ^ n);
}

/**
 * An IPv4 network, or an address as a /32. An address and the prefixes of 24 bits or more that
 * hold it share the block of their /24 (h1): an event's address is then tested against its exact
 * key and its /24 (the commonest prefix in feeds) with one cache miss instead of two. A /24 with
 * very many keys fills its block, and addresses in it are more often a "maybe" (settled by the
 * index itself).
 */
function hashV4(length: number, network: number): void {
  h1 = length >= 24 ? fmix(Math.imul(V4_SEED + 24, 0x9e3779b1) ^ (network >>> 8)) : fmix(Math.imul(V4_SEED + length, 0x9e3779b1) ^ network);
  h2 = fmix(Math.imul(network ^ 0x5bd1e995, 0x01000193) + length);
}

function hashV6(length: number, masked: Uint8Array): void {
  let a = Math.imul(V6_SEED + length, 0x9e3779b1) ^ 0x811c9dc5;
  let b = V6_SEED + length;
  for (let i = 0; i < 16; i++) {
    const c = masked[i]!;
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0x5bd1e995) ^ (b >>> 13);
  }
  h1 = fmix(a);
  h2 = fmix(b ^ h1);
}

/** The filter's words: header, then the blocks. */
export class KeyFilter {
  readonly words: Int32Array;
  readonly #blockMask: number;
  /** Keys added (with repeats); past capacity the owner makes a larger filter. */
  added = 0;
  readonly capacity: number;

  constructor(bufferOrKeys: SharedArrayBuffer | number) {
    if (typeof bufferOrKeys === 'number') {
      let blocks = MIN_BLOCKS;
      while (blocks * WORDS_PER_BLOCK * 32 < bufferOrKeys * BITS_PER_KEY) blocks *= 2;
      this.words = new Int32Array(new SharedArrayBuffer((HEADER_WORDS + blocks * WORDS_PER_BLOCK) * 4));
    } else {
      this.words = new Int32Array(bufferOrKeys);
    }
    const blocks = (this.words.length - HEADER_WORDS) / WORDS_PER_BLOCK;
    this.#blockMask = blocks - 1;
    this.capacity = Math.floor((blocks * WORDS_PER_BLOCK * 32) / MIN_BITS_PER_KEY);
  }

  get buffer(): SharedArrayBuffer {
    return this.words.buffer as SharedArrayBuffer;
  }

  get full(): boolean {
    return this.added > this.capacity;
  }

  #set(): void {
    const base = HEADER_WORDS + (h1 & this.#blockMask) * WORDS_PER_BLOCK;
    const w = this.words;
    const o0 = h2 & 511;
    const o1 = (h2 >>> 9) & 511;
    const o2 = (h2 >>> 18) & 511;
    const o3 = ((h2 >>> 27) | ((h1 >>> 27) << 5)) & 511;
    w[base + (o0 >>> 5)]! |= 1 << (o0 & 31);
    w[base + (o1 >>> 5)]! |= 1 << (o1 & 31);
    w[base + (o2 >>> 5)]! |= 1 << (o2 & 31);
    w[base + (o3 >>> 5)]! |= 1 << (o3 & 31);
    this.added++;
  }

  #test(): boolean {
    const base = HEADER_WORDS + (h1 & this.#blockMask) * WORDS_PER_BLOCK;
    const w = this.words;
    const o0 = h2 & 511;
    const o1 = (h2 >>> 9) & 511;
    const o2 = (h2 >>> 18) & 511;
    const o3 = ((h2 >>> 27) | ((h1 >>> 27) << 5)) & 511;
    return (w[base + (o0 >>> 5)]! & (1 << (o0 & 31))) !== 0
      && (w[base + (o1 >>> 5)]! & (1 << (o1 & 31))) !== 0
      && (w[base + (o2 >>> 5)]! & (1 << (o2 & 31))) !== 0
      && (w[base + (o3 >>> 5)]! & (1 << (o3 & 31))) !== 0;
  }

  addExact(kind: ObservableKind, normalised: string): void {
    const code = kindCode(kind);
    this.words[KIND_WORD]! |= 1 << code;
    // An IPv4 address is held as the number it is, as a /32 would be: an event's address is then
    // parsed once, and tested against its exact key and its prefixes alike.
    if (kind === 'ipv4') hashV4(32, parseIPv4(normalised)! >>> 0);
    else hashString(code, normalised);
    this.#set();
  }

  addPrefix4(length: number, network: number): void {
    this.words[V4_WORDS + (length >>> 5)]! |= 1 << (length & 31);
    hashV4(length, network >>> 0);
    this.#set();
  }

  /** `masked`: the network's 16 bytes, host bits zero. */
  addPrefix6(length: number, masked: Uint8Array): void {
    this.words[V6_WORDS + (length >>> 5)]! |= 1 << (length & 31);
    hashV6(length, masked);
    this.#set();
  }

  /** May the index hold this exact (normalised) value? */
  mayHoldExact(kind: ObservableKind, normalised: string): boolean {
    const code = kindCode(kind);
    if ((this.words[KIND_WORD]! & (1 << code)) === 0) return false;
    if (kind === 'ipv4') {
      const address = parseIPv4(normalised);
      if (address === undefined) return false;
      hashV4(32, address >>> 0);
    } else {
      hashString(code, normalised);
    }
    return this.#test();
  }

  /** May the index name this IPv4 address (a 32-bit number), exactly or through a prefix? */
  mayName4(address: number): boolean {
    const w = this.words;
    if ((w[KIND_WORD]! & IPV4_BIT) !== 0) {
      hashV4(32, address >>> 0);
      if (this.#test()) return true;
    }
    return (w[V4_WORDS]! | w[V4_WORDS + 1]!) !== 0 && this.mayContain4(address);
  }

  /** Does any key of this kind exist (exact or, for addresses, a prefix)? */
  mayHoldKind(kind: ObservableKind): boolean {
    const w = this.words;
    if ((w[KIND_WORD]! & (1 << kindCode(kind))) !== 0) return true;
    if (kind === 'ipv4') return (w[V4_WORDS]! | w[V4_WORDS + 1]!) !== 0;
    if (kind === 'ipv6') return (w[V6_WORDS]! | w[V6_WORDS + 1]! | w[V6_WORDS + 2]! | w[V6_WORDS + 3]! | w[V6_WORDS + 4]!) !== 0;
    return false;
  }

  /** May a prefix of the index hold this IPv4 address? */
  mayContain4(address: number): boolean {
    const w = this.words;
    for (let word = 0; word < 2; word++) {
      let bits = w[V4_WORDS + word]!;
      while (bits !== 0) {
        const bit = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const length = word * 32 + bit;
        const network = length === 0 ? 0 : ((address >>> (32 - length)) << (32 - length)) >>> 0;
        hashV4(length, network);
        if (this.#test()) return true;
      }
    }
    return false;
  }

  /** May a prefix of the index hold this IPv6 address (16 bytes)? */
  mayContain6(address: Uint8Array): boolean {
    const w = this.words;
    let masked: Uint8Array | undefined;
    for (let word = 0; word < 5; word++) {
      let bits = w[V6_WORDS + word]!;
      while (bits !== 0) {
        const bit = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const length = word * 32 + bit;
        masked ??= new Uint8Array(16);
        maskInto(masked, address, length);
        hashV6(length, masked);
        if (this.#test()) return true;
      }
    }
    return false;
  }

  /**
   * May the index name this value, as it would be looked up (exactly, or for an address
   * through a prefix)? `normalised` is normalise(kind, value).
   */
  mayName(kind: ObservableKind, normalised: string): boolean {
    if (kind === 'ipv4') {
      const address = parseIPv4(normalised);
      return address !== undefined && this.mayName4(address);
    }
    if (this.mayHoldExact(kind, normalised)) return true;
    if (kind === 'ipv6' && this.mayHoldKind('ipv6')) {
      const address = parseIPv6(normalised);
      return address !== undefined && this.mayContain6(address);
    }
    return false;
  }
}

/** The first `length` bits of the address, the rest zero. */
export function maskInto(masked: Uint8Array, address: Uint8Array, length: number): void {
  const whole = length >> 3;
  masked.set(address.subarray(0, whole));
  masked.fill(0, whole);
  if (length & 7) masked[whole] = address[whole]! & (0xff << (8 - (length & 7)));
}
