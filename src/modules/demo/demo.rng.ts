/** Seeded randomness for the synthetic data: a small, fast generator and the helpers built on it. */

export interface Rng {
  /** Next unsigned 32-bit integer. */
  u32(): number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T;
  shuffle<T>(items: readonly T[]): T[];
  /** `chars` lowercase hexadecimal digits. */
  hex(chars: number): string;
  /** A UUID in version 4 form. */
  uuid(): string;
}

const HEX_BYTES: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const VARIANT_DIGITS = '89ab';

/** Eight lowercase hexadecimal digits of an unsigned 32-bit integer. */
export function hex32(value: number): string {
  return HEX_BYTES[value >>> 24]! + HEX_BYTES[(value >>> 16) & 255]! + HEX_BYTES[(value >>> 8) & 255]! + HEX_BYTES[value & 255]!;
}

/** mulberry32: small, fast and good enough for synthetic data. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const u32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => u32() / 4294967296;
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  const hex = (chars: number): string => {
    let out = '';
    while (out.length < chars) out += hex32(u32());
    return out.length === chars ? out : out.slice(0, chars);
  };
  return {
    u32,
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (probability) => next() < probability,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[int(items.length)]!;
    },
    weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
      let total = 0;
      for (const [, weight] of entries) total += weight;
      let roll = next() * total;
      for (const [value, weight] of entries) {
        roll -= weight;
        if (roll < 0) return value;
      }
      const last = entries[entries.length - 1];
      if (!last) throw new RangeError('weighted pick from an empty list');
      return last[0];
    },
    shuffle<T>(items: readonly T[]): T[] {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const swap = out[i]!;
        out[i] = out[j]!;
        out[j] = swap;
      }
      return out;
    },
    hex,
    uuid(): string {
      const a = u32();
      const b = u32();
      const c = u32();
      const d = u32();
      const bHex = hex32(b);
      const cHex = hex32(c);
      return (
        `${hex32(a)}-${bHex.slice(0, 4)}-4${bHex.slice(5)}-` +
        `${VARIANT_DIGITS[(c >>> 28) & 3]!}${cHex.slice(1, 4)}-${cHex.slice(4)}${hex32(d)}`
      );
    },
  };
}

/** A STIX pattern string literal. */
export function patternLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** STIX timestamp with millisecond precision: YYYY-MM-DDTHH:mm:ss.sssZ. */
export function stixTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

