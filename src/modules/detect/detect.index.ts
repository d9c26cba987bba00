/**
 * The in-memory detection index: every current, unrevoked indicator with a STIX pattern, by the
 * observable values it names. Exact values sit in one hash map (key: kind code + normalised
 * value); address prefixes in one hash map per prefix length, probed longest first (the
 * classic hash-per-length longest-prefix structure: at most one probe per length in use).
 * Patterns that need more than one value to hold keep their text, compiled for the evaluator
 * when first needed (most are never needed on a given log; a compiled MATCHES costs tens of
 * kilobytes and hundreds of microseconds to make).
 *
 * Indicators live in slots: parallel typed arrays hold what each lookup needs (access set,
 * originator, validity, confidence), so a hit costs no object allocation. A new version of an
 * indicator takes a new slot and the old one is marked dead; entries of dead slots are dropped
 * when a lookup meets them, and the owner rebuilds the index when dead slots pile up.
 */
import { compilePattern, parsePattern, type CompiledPattern } from '../../stix/pattern/index.js';
import { compileIndicator, type CompiledIndicator, type Mention } from './detect.compile.js';
import { KeyFilter, maskInto } from './detect.filter.js';
import { describeUnanchored, forgetUnanchored, GramCounts, type UnanchoredPattern } from './detect.unanchored.js';
import type { Cidr, ObservableKind } from '../../stix/observable.js';

/** What the index needs of one stored indicator version. */
export interface IndicatorRecord {
  readonly id: string;
  readonly pattern: string;
  readonly specVersion: '2.0' | '2.1';
  /** The access set of the row (see intel: tlp, classification, releasability). */
  readonly accessKey: number;
  readonly createdByRef: string | null;
  /** valid_from / valid_until in epoch milliseconds (-Infinity / Infinity when absent). */
  readonly validFrom: number;
  readonly validUntil: number;
  readonly confidence: number | undefined;
  /** The indicator has granular_markings (its granular column): a reader may be denied the pattern itself. */
  readonly granular: boolean;
}

export type IndexOutcome = { indexed: true; slot: number } | { indexed: false; reason: string };

type Entry = number | number[];

const NONE: readonly number[] = Object.freeze([]);

/** Numbers the unanchored pattern sets of every index in the process, so that none repeats. */
let unanchoredVersions = 0;

const ALIVE = 1;
const SIMPLE = 2;
const GRANULAR = 4;
/** The pattern is read as STIX 2.0 (its text is compiled when first needed). */
const SPEC_20 = 8;

class Column<T extends Float64Array | Uint32Array | Int8Array | Uint8Array> {
  constructor(public data: T, private readonly make: (n: number) => T) {}
  ensure(n: number): void {
    if (n <= this.data.length) return;
    const next = this.make(Math.max(n, this.data.length * 2));
    next.set(this.data as never);
    this.data = next;
  }
}

/**
 * Adds a slot to a key's entry. Slots are added in increasing order (a new version takes the next
 * slot, and its mentions are added at once), and entries keep that order: a slot already held is
 * the last. Searching the whole entry made each of n indicators naming one value cost n.
 */
function addTo(map: Map<string, Entry> | Map<number, Entry>, key: string | number, slot: number): void {
  const m = map as Map<string | number, Entry>;
  const found = m.get(key);
  if (found === undefined) m.set(key, slot);
  else if (typeof found === 'number') m.set(key, found === slot ? found : [found, slot]);
  else if (found[found.length - 1] !== slot) found.push(slot);
}

function cidrKey6(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

const NOT_LATIN1 = /[\u0100-\uffff]/;
/** Where ownCopy copies keys through: a Buffer per key cost twice as much (allocation and all). */
const copyBuffer = Buffer.allocUnsafe(4096);

/**
 * A flat copy of a key. Values cut from a pattern's text are often slices of it, which would
 * keep the whole pattern text alive for as long as the key is held.
 */
function ownCopy(value: string): string {
  if (NOT_LATIN1.test(value)) return value;
  if (value.length > copyBuffer.length) return Buffer.from(value, 'latin1').toString('latin1');
  return copyBuffer.toString('latin1', 0, copyBuffer.write(value, 0, 'latin1'));
}

const ID_PREFIX = 'indicator--';

function lowerHexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

const packed = new Array<number>(16);

/**
 * Indicator ids as held: 'indicator--' and a lower-case UUID packed into its 16 bytes (one
 * character each); any other id as it is, behind a NUL when it could be taken for a packed one.
 */
function packId(id: string): string {
  if (id.length === ID_PREFIX.length + 36 && id.startsWith(ID_PREFIX)) {
    let at = ID_PREFIX.length;
    let byte = 0;
    for (; byte < 16; byte++) {
      if (at === 19 || at === 24 || at === 29 || at === 34) {
        if (id.charCodeAt(at) !== 0x2d) break;
        at++;
      }
      const high = lowerHexValue(id.charCodeAt(at));
      const low = lowerHexValue(id.charCodeAt(at + 1));
      if (high < 0 || low < 0) break;
      packed[byte] = high * 16 + low;
      at += 2;
    }
    if (byte === 16) return String.fromCharCode(...packed);
  }
  return id.length === 16 || id.charCodeAt(0) === 0 ? `\u0000${id}` : id;
}

function unpackId(held: string): string {
  if (held.length !== 16) return held.charCodeAt(0) === 0 ? held.slice(1) : held;
  const hex = Buffer.from(held, 'latin1').toString('hex');
  return `${ID_PREFIX}${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Live slots by id as held (packId): open addressing over an Int32Array (slot + 1; 0 empty, -1 a
 * removed entry), the ids themselves in the index's array of ids by slot. A Map of a million ids
 * took a fifth of a rebuild in its probes, and some 36 bytes an id.
 */
class SlotsById {
  #table = new Int32Array(1024);
  /** Entries and removed entries: the table is remade before they fill half of it. */
  #used = 0;
  size = 0;

  constructor(private readonly ids: readonly string[]) {}

  static #hash(held: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < held.length; i++) h = Math.imul(h ^ held.charCodeAt(i), 0x01000193);
    return (h ^ (h >>> 15)) >>> 0;
  }

  /** The position of the id's entry, or -1. */
  #find(held: string): number {
    const table = this.#table;
    const mask = table.length - 1;
    for (let at = SlotsById.#hash(held) & mask; ; at = (at + 1) & mask) {
      const entry = table[at]!;
      if (entry === 0) return -1;
      if (entry > 0 && this.ids[entry - 1] === held) return at;
    }
  }

  get(held: string): number | undefined {
    const at = this.#find(held);
    return at < 0 ? undefined : this.#table[at]! - 1;
  }

  has(held: string): boolean {
    return this.#find(held) >= 0;
  }

  /** Sets the id's slot; returns the slot it had before, if any. */
  set(held: string, slot: number): number | undefined {
    if ((this.#used + 1) * 2 > this.#table.length) this.#remake();
    const table = this.#table;
    const mask = table.length - 1;
    let free = -1;
    for (let at = SlotsById.#hash(held) & mask; ; at = (at + 1) & mask) {
      const entry = table[at]!;
      if (entry === 0) {
        if (free < 0) {
          free = at;
          this.#used++;
        }
        break;
      }
      if (entry < 0) {
        if (free < 0) free = at;
      } else if (this.ids[entry - 1] === held) {
        table[at] = slot + 1;
        return entry - 1;
      }
    }
    table[free] = slot + 1;
    this.size++;
    return undefined;
  }

  delete(held: string): number | undefined {
    const at = this.#find(held);
    if (at < 0) return undefined;
    const slot = this.#table[at]! - 1;
    this.#table[at] = -1;
    this.size--;
    return slot;
  }

  /** A table for twice the live entries (at least), without the removed ones. */
  #remake(): void {
    const old = this.#table;
    let length = 1024;
    while (length < (this.size + 1) * 4) length *= 2;
    const table = new Int32Array(length);
    const mask = length - 1;
    for (const entry of old) {
      if (entry <= 0) continue;
      let at = SlotsById.#hash(this.ids[entry - 1]!) & mask;
      while (table[at] !== 0) at = (at + 1) & mask;
      table[at] = entry;
    }
    this.#table = table;
    this.#used = this.size;
  }
}

export class DetectIndex {
  /** Ids as held (packId), by slot; the same strings key #slotOfId. */
  readonly #ids: string[] = [];
  readonly #slotOfId = new SlotsById(this.#ids);
  readonly #flags = new Column(new Uint8Array(1024), (n) => new Uint8Array(n));
  readonly #accessKey = new Column(new Uint32Array(1024), (n) => new Uint32Array(n));
  readonly #creator = new Column(new Uint32Array(1024), (n) => new Uint32Array(n));
  readonly #validFrom = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  readonly #validUntil = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  readonly #confidence = new Column(new Int8Array(1024), (n) => new Int8Array(n));
  /** Interned created_by_ref values; index 0 is "none". */
  readonly #creators: Array<string | null> = [null];
  readonly #creatorIndex = new Map<string, number>();
  /** Per kind: normalised value -> slots. */
  readonly #exact = new Map<ObservableKind, Map<string, Entry>>();
  /**
   * Per kind: the exact values whose entry holds several slots (some may have died since, until
   * a read meets them), kept as entries change: what correlation walks, rather than every value.
   */
  readonly #shared = new Map<ObservableKind, Set<string>>();
  readonly #cidr4 = new Map<number, Map<number, Entry>>();
  readonly #cidr6 = new Map<number, Map<string, Entry>>();
  #lengths4: number[] = [];
  #lengths6: number[] = [];
  /** Slots whose pattern is kept for the evaluator, with its text. */
  readonly #sources = new Map<number, string>();
  /** Those compiled so far (when first needed). */
  readonly #compiled = new Map<number, CompiledPattern>();
  /** Slots whose pattern no value anchors, with what reader threads need to evaluate it. */
  readonly #unanchored = new Map<number, UnanchoredPattern>();
  /** The grams of their literals, counted: where each new one is best filed. */
  readonly #unanchoredGrams = new GramCounts();
  #unanchoredVersion = 0;
  #dead = 0;
  /**
   * Made on first use from the keys held then, and kept current after: an index built from the
   * store gets its filter at its final size at once (the doublings on the way, each adding every
   * key again, cost a tenth of a rebuild at a million indicators).
   */
  #filter: KeyFilter | undefined;

  /**
   * A filter over every key held (exact values and prefixes), in shared memory for reader
   * threads. A larger one replaces it as keys are added: ask again rather than keep it.
   */
  get filter(): KeyFilter {
    return this.#filter ?? this.#refilter();
  }

  /** Live indicators. */
  get size(): number {
    return this.#slotOfId.size;
  }

  /** Slots whose indicator has been replaced or removed (their entries linger until met). */
  get dead(): number {
    return this.#dead;
  }

  /** Distinct exact values and address prefixes held. */
  get keys(): number {
    let n = 0;
    for (const m of this.#exact.values()) n += m.size;
    for (const m of this.#cidr4.values()) n += m.size;
    for (const m of this.#cidr6.values()) n += m.size;
    return n;
  }

  /** Patterns kept for the evaluator, those with no value to find them by, and those compiled so far. */
  get patterns(): { compiled: number; unanchored: number; compiledNow: number } {
    return { compiled: this.#sources.size, unanchored: this.#unanchored.size, compiledNow: this.#compiled.size };
  }

  /** Adds (or replaces) the indicator. Indicators whose pattern names nothing the index can hold are refused with the reason. */
  upsert(record: IndicatorRecord): IndexOutcome {
    const compiled = compileIndicator(record.pattern, record.specVersion);
    if (!compiled.ok) {
      this.remove(record.id);
      return { indexed: false, reason: compiled.reason };
    }
    return this.#place(record, compiled.indicator);
  }

  #place(record: IndicatorRecord, indicator: CompiledIndicator): IndexOutcome {
    if (!indicator.simple && !indicator.pattern) return { indexed: false, reason: 'pattern names no value' };
    const held = packId(record.id);
    const slot = this.#ids.length;
    if (slot >= this.#flags.data.length) this.#grow(slot + 1);
    this.#ids.push(held);
    // One probe for the id: its slot is set, and the slot of a version it replaces retired.
    const replaced = this.#slotOfId.set(held, slot);
    if (replaced !== undefined) this.#retire(replaced);
    this.#flags.data[slot] = ALIVE | (indicator.simple ? SIMPLE : 0) | (record.granular ? GRANULAR : 0) | (record.specVersion === '2.0' ? SPEC_20 : 0);
    this.#accessKey.data[slot] = record.accessKey;
    this.#creator.data[slot] = this.#intern(record.createdByRef);
    this.#validFrom.data[slot] = record.validFrom;
    this.#validUntil.data[slot] = record.validUntil;
    this.#confidence.data[slot] = record.confidence ?? -1;
    for (const mention of indicator.mentions) this.#mention(mention, slot);
    if (this.#filter?.full) this.#refilter();
    if (!indicator.simple && indicator.pattern) {
      this.#sources.set(slot, record.pattern);
      if (!indicator.anchored) {
        this.#unanchored.set(slot, describeUnanchored(indicator.pattern, record.pattern, record.specVersion, this.#unanchoredGrams));
        this.#unanchoredVersion = ++unanchoredVersions;
      }
    }
    return { indexed: true, slot };
  }

  #grow(slots: number): void {
    for (const column of [this.#flags, this.#accessKey, this.#creator, this.#validFrom, this.#validUntil, this.#confidence]) column.ensure(slots);
  }

  #intern(creator: string | null): number {
    if (creator === null) return 0;
    let index = this.#creatorIndex.get(creator);
    if (index === undefined) {
      index = this.#creators.length;
      this.#creators.push(creator);
      this.#creatorIndex.set(creator, index);
    }
    return index;
  }

  #mention(mention: Mention, slot: number): void {
    if ('kind' in mention) {
      let table = this.#exact.get(mention.kind);
      if (!table) this.#exact.set(mention.kind, (table = new Map()));
      if (table.has(mention.value)) {
        addTo(table, mention.value, slot);
        if (typeof table.get(mention.value) !== 'number') {
          let shared = this.#shared.get(mention.kind);
          if (!shared) this.#shared.set(mention.kind, (shared = new Set()));
          if (!shared.has(mention.value)) shared.add(ownCopy(mention.value));
        }
      } else {
        const value = ownCopy(mention.value);
        this.#filter?.addExact(mention.kind, value);
        table.set(value, slot);
      }
      return;
    }
    this.#addCidr(mention.cidr, slot);
  }

  #addCidr(cidr: Cidr, slot: number): void {
    if (cidr.version === 4) {
      let table = this.#cidr4.get(cidr.prefix);
      if (!table) {
        this.#cidr4.set(cidr.prefix, (table = new Map()));
        this.#lengths4 = [...this.#cidr4.keys()].sort((a, b) => b - a);
      }
      const network = new DataView(cidr.bytes.buffer, cidr.bytes.byteOffset, 4).getUint32(0);
      if (!table.has(network)) this.#filter?.addPrefix4(cidr.prefix, network);
      addTo(table, network, slot);
    } else {
      let table = this.#cidr6.get(cidr.prefix);
      if (!table) {
        this.#cidr6.set(cidr.prefix, (table = new Map()));
        this.#lengths6 = [...this.#cidr6.keys()].sort((a, b) => b - a);
      }
      const key = cidrKey6(cidr.bytes);
      if (!table.has(key)) this.#filter?.addPrefix6(cidr.prefix, cidr.bytes);
      addTo(table, key, slot);
    }
  }

  /** A filter for twice the keys held now, from them. */
  #refilter(): KeyFilter {
    const filter = new KeyFilter(this.keys * 2);
    for (const [kind, table] of this.#exact) for (const value of table.keys()) filter.addExact(kind, value);
    for (const [length, table] of this.#cidr4) for (const network of table.keys()) filter.addPrefix4(length, network);
    const bytes = new Uint8Array(16);
    for (const [length, table] of this.#cidr6) {
      for (const key of table.keys()) {
        bytes.set(Buffer.from(key, 'latin1'));
        filter.addPrefix6(length, bytes);
      }
    }
    return (this.#filter = filter);
  }

  /** Drops the indicator (revoked, deleted, expired for good, or replaced by a new version). */
  remove(id: string): boolean {
    return this.#removeHeld(packId(id));
  }

  #removeHeld(held: string): boolean {
    const slot = this.#slotOfId.delete(held);
    if (slot === undefined) return false;
    this.#retire(slot);
    return true;
  }

  /** The slot's indicator is gone (its id no longer leads to it): its entries die as they are met. */
  #retire(slot: number): void {
    this.#flags.data[slot]! &= ~ALIVE;
    this.#sources.delete(slot);
    this.#compiled.delete(slot);
    const unanchored = this.#unanchored.get(slot);
    if (unanchored !== undefined) {
      this.#unanchored.delete(slot);
      forgetUnanchored(unanchored, this.#unanchoredGrams);
      this.#unanchoredVersion = ++unanchoredVersions;
    }
    this.#dead++;
  }

  has(id: string): boolean {
    return this.#slotOfId.has(packId(id));
  }

  /** Live slots of a normalised value (dead ones met on the way are dropped from the entry). */
  exact(kind: ObservableKind, value: string): readonly number[] {
    const table = this.#exact.get(kind);
    return table === undefined ? NONE : this.#live(table, value, this.#shared.get(kind));
  }

  /**
   * Exact values that several live indicators name (candidates for correlation: the caller
   * decides whose they are and who may know of them), kind by kind. Only the values named more
   * than once are visited, not every value held.
   */
  *sharedValues(kind?: ObservableKind): Generator<{ kind: ObservableKind; value: string; slots: readonly number[] }> {
    for (const [k, values] of this.#shared) {
      if (kind !== undefined && k !== kind) continue;
      const table = this.#exact.get(k)!;
      for (const value of values) {
        const slots = this.#live(table, value, values);
        if (slots.length > 1) yield { kind: k, value, slots };
      }
    }
  }

  /** How many exact values several slots name (live or not yet found dead). */
  get sharedCount(): number {
    let n = 0;
    for (const values of this.#shared.values()) n += values.size;
    return n;
  }

  /** Does any indicator name a value of this kind (exactly, or as an address prefix)? */
  hasKind(kind: ObservableKind): boolean {
    return this.#exact.has(kind) || (kind === 'ipv4' && this.#lengths4.length > 0) || (kind === 'ipv6' && this.#lengths6.length > 0);
  }

  /** Are there address prefixes of this IP version (saves parsing addresses when not)? */
  hasPrefixes(version: 4 | 6): boolean {
    return (version === 4 ? this.#lengths4 : this.#lengths6).length > 0;
  }

  /** Live slots whose prefix holds the IPv4 address (a 32-bit number), longest prefix first. */
  containing4(address: number): readonly number[] {
    let out: number[] | undefined;
    for (const length of this.#lengths4) {
      const network = length === 0 ? 0 : ((address >>> (32 - length)) << (32 - length)) >>> 0;
      const slots = this.#live(this.#cidr4.get(length)!, network);
      for (const slot of slots) (out ??= []).push(slot);
    }
    return out ?? NONE;
  }

  /** Live slots whose prefix holds the IPv6 address (16 bytes), longest prefix first. */
  containing6(address: Uint8Array): number[] {
    const out: number[] = [];
    if (this.#lengths6.length === 0) return out;
    const masked = new Uint8Array(16);
    for (const length of this.#lengths6) {
      maskInto(masked, address, length);
      for (const slot of this.#live(this.#cidr6.get(length)!, cidrKey6(masked))) out.push(slot);
    }
    return out;
  }

  /** `shared`: the key's kind's shared values (exact values only), which it leaves once one slot or none is left. */
  #live<K>(map: Map<K, Entry>, key: K, shared?: Set<K>): readonly number[] {
    const entry = map.get(key);
    if (entry === undefined) return NONE;
    const flags = this.#flags.data;
    if (typeof entry === 'number') {
      if (flags[entry]! & ALIVE) return [entry];
      map.delete(key);
      return NONE;
    }
    let live = true;
    for (const slot of entry) if (!(flags[slot]! & ALIVE)) live = false;
    if (live) return entry;
    const kept = entry.filter((slot) => flags[slot]! & ALIVE);
    if (kept.length === 0) map.delete(key);
    else map.set(key, kept.length === 1 ? kept[0]! : kept);
    if (kept.length <= 1) shared?.delete(key);
    return kept;
  }

  /** Slots whose pattern no value can find: the evaluator sees every event for them. */
  unanchored(): Iterable<number> {
    return this.#unanchored.keys();
  }

  /** The unanchored slots with what evaluating them needs, and a number that changes whenever they do. */
  unanchoredPatterns(): { readonly version: number; readonly patterns: ReadonlyMap<number, UnanchoredPattern> } {
    return { version: this.#unanchoredVersion, patterns: this.#unanchored };
  }

  get hasUnanchored(): boolean {
    return this.#unanchored.size > 0;
  }

  id(slot: number): string {
    return unpackId(this.#ids[slot]!);
  }

  slotOf(id: string): number | undefined {
    return this.#slotOfId.get(packId(id));
  }

  /** One value seen is a match by itself (single observation, ORs of named values). */
  isSimple(slot: number): boolean {
    return (this.#flags.data[slot]! & SIMPLE) !== 0;
  }

  isGranular(slot: number): boolean {
    return (this.#flags.data[slot]! & GRANULAR) !== 0;
  }

  /** The slot's pattern compiled for the evaluator (compiled now when first asked); undefined for a simple one. */
  pattern(slot: number): CompiledPattern | undefined {
    let compiled = this.#compiled.get(slot);
    if (compiled !== undefined) return compiled;
    const source = this.#sources.get(slot);
    if (source === undefined) return undefined;
    // It parsed when it was indexed.
    const parsed = parsePattern(source, { specVersion: (this.#flags.data[slot]! & SPEC_20) !== 0 ? '2.0' : '2.1' });
    if (!parsed.ok) return undefined;
    compiled = compilePattern(parsed.pattern);
    this.#compiled.set(slot, compiled);
    return compiled;
  }

  accessKey(slot: number): number {
    return this.#accessKey.data[slot]!;
  }

  creatorIndex(slot: number): number {
    return this.#creator.data[slot]!;
  }

  creator(slot: number): string | null {
    return this.#creators[this.#creator.data[slot]!]!;
  }

  /** Is the indicator valid at this instant (valid_from <= t < valid_until)? */
  validAt(slot: number, at: number): boolean {
    return this.#validFrom.data[slot]! <= at && at < this.#validUntil.data[slot]!;
  }

  validity(slot: number): { from: number; until: number } {
    return { from: this.#validFrom.data[slot]!, until: this.#validUntil.data[slot]! };
  }

  confidence(slot: number): number | undefined {
    const c = this.#confidence.data[slot]!;
    return c < 0 ? undefined : c;
  }
}
