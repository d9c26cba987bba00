/**
 * Patterns no value anchors (`[url:value LIKE '%/gate.php']`, `[file:name MATCHES '^inv_\d+']`,
 * `[ipv4-addr:value != '10.0.0.1']`): the key filter cannot find the events they need, so every
 * event is a candidate. This set narrows that cheaply before any pattern is evaluated:
 *
 * - by object type: an event's observation holds only the SCO types its values make
 *   (detect.observation.ts); a pattern none of whose types it holds cannot be touched;
 * - by a required literal: a LIKE constant, or the literal run a MATCHES expression cannot do
 *   without, must occur in some value of the event. Per `[...]`, one such literal is filed under
 *   one gram of it (8 characters, or 4 or 3: the one the fewest of the index's literals share,
 *   chosen when the pattern is indexed); an event's values are scanned once with a rolling hash
 *   of each gram length in use, a bit
 *   table dismisses almost every position, and a position that passes is checked by comparing
 *   the literal itself there.
 *
 * The candidates left are evaluated (`touches`, one observation against the pattern's leaves).
 * Patterns are kept as text with what the filter needs, and compiled when first a candidate:
 * most are never one on a given log, and a compiled MATCHES costs tens of kilobytes.
 * Pure: used on the log reader threads and on the main thread alike.
 */
import { compilePattern, parsePattern, type CompiledPattern, type ComparisonExpression, type Observation, type ObservationExpression, type Pattern } from '../../stix/pattern/index.js';
import { MAX_COMPARED_LENGTH } from '../../stix/pattern/regex.js';
import { observationOf } from './detect.observation.js';
import type { LogEvent } from '../logformats/logformats.js';
import type { ObservableKind } from '../../stix/observable.js';

/** What the filter needs of one unanchored pattern, and its text: as the index keeps it and reader threads are sent it. */
export interface UnanchoredPattern {
  /** The pattern's text, compiled where and when it is first a candidate. */
  readonly source: string;
  readonly specVersion: '2.0' | '2.1';
  /** The SCO types it names that an event can hold, as bits (0: no event can touch it). */
  readonly types: number;
  /** Per `[...]`, the literals it needs (each of them); undefined when some `[...]` needs none. */
  readonly literals: ReadonlyArray<readonly string[]> | undefined;
  /**
   * Per `[...]`, where it is filed: the literal (its position in that `[...]`'s literals) and the
   * offset of the gram in it (see GramCounts), two numbers per `[...]`.
   */
  readonly anchors: readonly number[] | undefined;
}

/** The unanchored patterns of an index at one moment, as sent to reader threads. */
export interface UnanchoredPatterns {
  /** Changes whenever the set does. */
  readonly version: number;
  readonly slots: readonly number[];
  readonly patterns: readonly UnanchoredPattern[];
}

/** The SCO types an event's observation holds, per kind of value (detect.observation.ts). */
const TYPES_OF_KIND: Partial<Record<ObservableKind, readonly string[]>> = {
  ipv4: ['ipv4-addr', 'network-traffic'],
  ipv6: ['ipv6-addr', 'network-traffic'],
  domain: ['domain-name'],
  url: ['url'],
  email: ['email-addr'],
  mutex: ['mutex'],
  'registry-key': ['windows-registry-key'],
  mac: ['mac-addr'],
  asn: ['autonomous-system'],
  md5: ['file'],
  sha1: ['file'],
  sha256: ['file'],
  sha512: ['file'],
  'sha3-256': ['file'],
  'sha3-512': ['file'],
  ssdeep: ['file'],
  tlsh: ['file'],
  'file-name': ['file'],
  'user-agent': ['network-traffic'],
};

/** Each SCO type an event can hold, as one bit. */
const TYPE_BIT = new Map<string, number>();
for (const types of Object.values(TYPES_OF_KIND)) for (const type of types) if (!TYPE_BIT.has(type)) TYPE_BIT.set(type, 1 << TYPE_BIT.size);
const TYPE_MASK_OF_KIND = new Map<string, number>(Object.entries(TYPES_OF_KIND).map(([kind, types]) => [kind, types.reduce((m, t) => m | TYPE_BIT.get(t)!, 0)]));

/** Shortest literal worth filing; longest gram a literal is filed under. */
const MIN_LITERAL = 3;
const MAX_GRAM = 8;

/**
 * The gram length a literal is filed by: 8 when it is that long, else 4, else 3. Each length in
 * use costs one more pass over each value, so only these three are used.
 */
function gramLength(literal: string): number {
  return literal.length >= MAX_GRAM ? MAX_GRAM : literal.length >= 4 ? 4 : 3;
}
/** Multiplier of the rolling hash (mod 2^32). */
const BASE = 0x01000193;

/** Pieces that most log values contain (scheme, www, common endings): a gram holding them is avoided. */
const COMMON_PIECES = new Set(['htt', 'ttp', 'tps', 'tp:', 'ps:', 'p:/', '://', 'www', 'ww.', '.co', 'com', 'om/', '.ne', 'net', '.or', 'org', 'php', '.ph', 'htm', 'tml', '.ht', 'exa', 'xam', 'amp', 'mpl', 'ple', 'le.', 'ind', 'nde', 'dex', 'ex.', 'Moz', 'ozi', 'zil', 'ill', 'lla']
  .map((piece) => (piece.charCodeAt(0) << 16) | (piece.charCodeAt(1) << 8) | piece.charCodeAt(2)));

/** Digits, capitals and the rarer punctuation: less common in log values than lower-case letters. */
function isRareCharacter(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x7e || c === 0x3d || c === 0x26 || c === 0x25 || c === 0x40;
}

/** How common a gram of a (printable ASCII) literal is likely to be in logs, lower is rarer: common pieces in it count against it, rare characters for it. */
function gramCommonness(literal: string, at: number, length: number): number {
  let cost = 0;
  for (let i = at; i + 3 <= at + length; i++) {
    if (COMMON_PIECES.has((literal.charCodeAt(i) << 16) | (literal.charCodeAt(i + 1) << 8) | literal.charCodeAt(i + 2))) cost += 1;
  }
  for (let i = at; i < at + length; i++) if (isRareCharacter(literal.charCodeAt(i))) cost -= 0.05;
  return cost;
}

function gramHash(text: string, at: number, length: number): number {
  let h = 0;
  for (let i = at; i < at + length; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  return h;
}

/** BASE^(length-1) mod 2^32: what the character leaving a rolling window weighed. */
function leavingWeight(length: number): number {
  let w = 1;
  for (let i = 1; i < length; i++) w = Math.imul(w, BASE);
  return w;
}

const ASCII_PRINTABLE = /^[\x20-\x7e]+$/;

/** The literal runs a MATCHES expression needs (each of them), when it is plain enough to tell. */
function regexLiterals(regex: string): string[] {
  // Alternation, inline options (case folding) and \Q..\E: give up rather than guess.
  if (regex.includes('|') || regex.includes('(?') || regex.includes('\\Q')) return [];
  const runs: string[] = [];
  let run = '';
  let depth = 0;
  const end = () => {
    if (run !== '') runs.push(run);
    run = '';
  };
  for (let i = 0; i < regex.length; i++) {
    const ch = regex[i]!;
    let literal: string | undefined;
    let width = 1;
    if (ch === '\\') {
      const next = regex[i + 1] ?? '';
      if (/^[^A-Za-z0-9]$/.test(next)) literal = next;
      width = 2;
    } else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '[') {
      // Skip the class: it is no literal.
      let j = i + 1;
      if (regex[j] === '^') j++;
      if (regex[j] === ']') j++;
      while (j < regex.length && regex[j] !== ']') j += regex[j] === '\\' ? 2 : 1;
      width = j - i + 1;
    } else if (!'.^$*+?{}'.includes(ch)) literal = ch;
    const after = regex[i + width];
    const optional = after === '?' || after === '*' || after === '{';
    if (literal !== undefined && depth === 0 && !optional) {
      run += literal;
      if (after === '+') end();
    } else end();
    i += width - 1;
  }
  end();
  return runs;
}

/** Literals some value must contain (every one of them) for the comparison to hold; [] when none is known. */
function comparisonLiterals(expr: ComparisonExpression): string[] {
  switch (expr.kind) {
    case 'exists':
      return [];
    case 'comparisonGroup':
      return comparisonLiterals(expr.expression);
    case 'comparisonBinary':
      // AND: every operand's literals are needed; OR: none of one operand stands for the others.
      return expr.operator === 'AND' ? expr.operands.flatMap(comparisonLiterals) : [];
    case 'comparison': {
      if (expr.negated) return [];
      const last = expr.path.steps[expr.path.steps.length - 1];
      if (last?.kind === 'property' && (last.name.endsWith('_bin') || last.name.endsWith('_hex'))) return [];
      let literals: string[] = [];
      if (expr.operator === 'LIKE') literals = expr.value.value.normalize('NFC').split(/[%_]/);
      else if (expr.operator === 'MATCHES') literals = regexLiterals(expr.value.value.normalize('NFC'));
      else if (expr.operator === '=' && expr.value.kind === 'string') literals = [expr.value.value];
      // Only printable ASCII: NFC never turns a value without it into one with it, nor back.
      return literals.filter((l) => l.length >= MIN_LITERAL && l.length <= MAX_COMPARED_LENGTH && ASCII_PRINTABLE.test(l));
    }
  }
}

/** Per `[...]` of the pattern, the literals it needs; false when some `[...]` needs none. */
function patternLiterals(expr: ObservationExpression, out: string[][]): boolean {
  switch (expr.kind) {
    case 'observation': {
      const literals = comparisonLiterals(expr.comparison);
      if (literals.length === 0) return false;
      out.push(literals);
      return true;
    }
    case 'observationGroup':
    case 'qualified':
      return patternLiterals(expr.expression, out);
    case 'observationBinary':
      return expr.operands.every((operand) => patternLiterals(operand, out));
  }
}

function patternTypes(expr: ObservationExpression | ComparisonExpression, out: Set<string>): void {
  switch (expr.kind) {
    case 'observation':
      patternTypes(expr.comparison, out);
      return;
    case 'observationGroup':
    case 'qualified':
    case 'comparisonGroup':
      patternTypes(expr.expression, out);
      return;
    case 'observationBinary':
    case 'comparisonBinary':
      for (const operand of expr.operands) patternTypes(operand, out);
      return;
    case 'comparison':
    case 'exists':
      out.add(expr.path.objectType);
      return;
  }
}

/**
 * What the set needs of a parsed unanchored pattern (the parsed form itself is not kept): its
 * types, its literals, and the gram each `[...]` is filed under, chosen with `counts` (the
 * literals of the patterns described so far, this one's included: see GramCounts). Without
 * counts, by length and commonness alone.
 */
export function describeUnanchored(pattern: Pattern, source: string, specVersion: '2.0' | '2.1', counts?: GramCounts): UnanchoredPattern {
  const names = new Set<string>();
  patternTypes(pattern.expression, names);
  let types = 0;
  for (const type of names) types |= TYPE_BIT.get(type) ?? 0;
  const leaves: string[][] = [];
  const literals = types !== 0 && patternLiterals(pattern.expression, leaves) ? leaves : undefined;
  if (literals === undefined) return { source, specVersion, types, literals, anchors: undefined };
  if (counts) for (const leaf of literals) for (const literal of leaf) counts.addLiteral(literal);
  const anchors: number[] = [];
  for (const leaf of literals) {
    let bestCost = Infinity;
    let bestLiteral = 0;
    let bestAt = 0;
    leaf.forEach((literal, l) => {
      const length = gramLength(literal);
      const leaving = leavingWeight(length);
      let h = gramHash(literal, 0, length);
      for (let at = 0; ; at++) {
        // Shared first; the length and commonness (from -0.4 to 6) between grams shared alike.
        const cost = (counts?.get(h) ?? 1) * 8 + (MAX_GRAM - length);
        if (cost - 0.4 < bestCost) {
          const total = cost + gramCommonness(literal, at, length);
          if (total < bestCost) {
            bestCost = total;
            bestLiteral = l;
            bestAt = at;
          }
        }
        if (at + length >= literal.length) break;
        h = (Math.imul(h - Math.imul(literal.charCodeAt(at), leaving), BASE) + literal.charCodeAt(at + length)) | 0;
      }
    });
    anchors.push(bestLiteral, bestAt);
  }
  return { source, specVersion, types, literals, anchors };
}

/** Takes a described pattern's literals out of the counts (the pattern left the set). */
export function forgetUnanchored(pattern: UnanchoredPattern, counts: GramCounts): void {
  for (const leaf of pattern.literals ?? []) for (const literal of leaf) counts.removeLiteral(literal);
}

/** Compiles a pattern the set was given as text (parsed once already, when it was indexed). */
function compileSource(pattern: UnanchoredPattern): CompiledPattern | undefined {
  const parsed = parsePattern(pattern.source, { specVersion: pattern.specVersion });
  return parsed.ok ? compilePattern(parsed.pattern) : undefined;
}

/** The text LIKE and MATCHES compare of a value: as it is when ASCII, else in NFC. */
function comparedText(value: string): string {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) return value.normalize('NFC');
  return value;
}

/**
 * How many literals of a set of unanchored patterns hold each gram (by its hash: a collision only
 * makes a gram look more shared than it is), so that each pattern is filed under the part of its
 * literals the fewest others share: '.example.net' or '/panel.php', common to thousands of
 * patterns, are never chosen while a rarer part exists. The index keeps one, current with its
 * patterns; typed arrays with open addressing (a gram once seen keeps its place, at zero).
 */
export class GramCounts {
  #keys = new Int32Array(1024);
  #counts = new Int32Array(1024);
  #used = new Uint8Array(1024);
  #size = 0;

  #slot(hash: number): number {
    const mask = this.#keys.length - 1;
    let at = Math.imul(hash, 0x9e3779b1) >>> (Math.clz32(mask));
    while (this.#used[at] !== 0 && this.#keys[at] !== hash) at = (at + 1) & mask;
    return at;
  }

  #grow(): void {
    const keys = this.#keys;
    const counts = this.#counts;
    const used = this.#used;
    this.#keys = new Int32Array(keys.length * 2);
    this.#counts = new Int32Array(keys.length * 2);
    this.#used = new Uint8Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      if (used[i] === 0) continue;
      const at = this.#slot(keys[i]!);
      this.#keys[at] = keys[i]!;
      this.#counts[at] = counts[i]!;
      this.#used[at] = 1;
    }
  }

  #change(literal: string, by: number): void {
    const length = gramLength(literal);
    const leaving = leavingWeight(length);
    let h = gramHash(literal, 0, length);
    for (let at = 0; ; at++) {
      if (this.#size * 2 >= this.#keys.length) this.#grow();
      const slot = this.#slot(h);
      if (this.#used[slot] === 0) {
        this.#used[slot] = 1;
        this.#keys[slot] = h;
        this.#size++;
      }
      this.#counts[slot]! += by;
      if (at + length >= literal.length) break;
      h = (Math.imul(h - Math.imul(literal.charCodeAt(at), leaving), BASE) + literal.charCodeAt(at + length)) | 0;
    }
  }

  addLiteral(literal: string): void {
    this.#change(literal, 1);
  }

  removeLiteral(literal: string): void {
    this.#change(literal, -1);
  }

  get(hash: number): number {
    return this.#counts[this.#slot(hash)]!;
  }
}

/** Literals of one gram length, filed by the rolling hash of their chosen gram. */
class GramTable {
  /** One bit per hashed gram filed: most positions of a value are dismissed by one array read. */
  readonly bits: Int32Array;
  readonly shift: number;
  readonly leaving: number;
  /** Gram hash -> [pattern, literal, offset of the gram in the literal] triples. */
  readonly entries = new Map<number, number[]>();
  /** The types of the patterns filed here: values of kinds that make none of them are not scanned. */
  types = 0;

  constructor(readonly length: number, filed: number) {
    let log2 = 10;
    while (log2 < 23 && 1 << log2 < filed * 32) log2++;
    this.bits = new Int32Array((1 << log2) >>> 5);
    this.shift = 32 - log2;
    this.leaving = leavingWeight(length);
  }

  file(hash: number, pattern: number, literal: number, offset: number, types: number): void {
    const bit = Math.imul(hash, 0x9e3779b1) >>> this.shift;
    this.bits[bit >>> 5]! |= 1 << (bit & 31);
    const list = this.entries.get(hash);
    if (list === undefined) this.entries.set(hash, [pattern, literal, offset]);
    else list.push(pattern, literal, offset);
    this.types |= types;
  }
}

/** An index over a set of unanchored patterns: which of them an event may touch. */
export class UnanchoredSet {
  readonly version: number;
  readonly size: number;
  readonly #slots: readonly number[];
  readonly #patterns: readonly UnanchoredPattern[];
  /** Compiled when first needed: most patterns are never a candidate on a given log. */
  readonly #compiled: (CompiledPattern | undefined)[];
  readonly #compile: ((i: number) => CompiledPattern | undefined) | undefined;
  /** Literals filed, by number (the triples of the gram tables name them so). */
  readonly #literalTexts: string[] = [];
  /** Gram tables in use, by gram length and types. */
  readonly #tables: GramTable[] = [];
  /** The types of every pattern filed by a literal. */
  #tableTypes = 0;
  /** Patterns with no literal, evaluated whenever an event holds one of their types. */
  readonly #byType: number[] = [];
  /** Visit marks, so that a pattern found twice for one event is evaluated once. */
  readonly #seen: Uint32Array;
  #mark = 0;

  /**
   * `compiled`: where the caller keeps the patterns compiled already (the index's, by position in
   * `set.patterns`); without it the set compiles them itself, when first a candidate.
   */
  constructor(set: UnanchoredPatterns, compiled?: (i: number) => CompiledPattern | undefined) {
    this.version = set.version;
    this.#slots = set.slots;
    this.size = set.slots.length;
    this.#patterns = set.patterns;
    this.#compile = compiled;
    this.#compiled = new Array<CompiledPattern | undefined>(set.patterns.length);
    this.#seen = new Uint32Array(set.slots.length);
    this.#fileAll();
  }

  /**
   * Files every [...] of a pattern with literals under its anchor (describeUnanchored). A pattern
   * with a [...] that needs no literal is evaluated by type alone.
   */
  #fileAll(): void {
    const chosen: Array<{ pattern: number; literal: string; at: number; length: number }> = [];
    this.#patterns.forEach((pattern, i) => {
      if (pattern.types === 0) return;
      if (pattern.literals === undefined || pattern.anchors === undefined) {
        this.#byType.push(i);
        return;
      }
      pattern.literals.forEach((leaf, j) => {
        const literal = leaf[pattern.anchors![2 * j]!]!;
        chosen.push({ pattern: i, literal, at: pattern.anchors![2 * j + 1]!, length: gramLength(literal) });
      });
    });
    // One table per gram length and set of types: a value is scanned only against the tables of
    // patterns its kind can reach (a domain name is not scanned for URL patterns' literals).
    const key = (length: number, types: number) => `${length}/${types}`;
    const filed = new Map<string, number>();
    for (const { pattern, length } of chosen) {
      const k = key(length, this.#patterns[pattern]!.types);
      filed.set(k, (filed.get(k) ?? 0) + 1);
    }
    const tables = new Map<string, GramTable>();
    for (const [k, count] of filed) {
      const table = new GramTable(Number(k.slice(0, k.indexOf('/'))), count);
      tables.set(k, table);
      this.#tables.push(table);
    }
    for (const { pattern, literal, at, length } of chosen) {
      const id = this.#literalTexts.length;
      this.#literalTexts.push(literal);
      const types = this.#patterns[pattern]!.types;
      tables.get(key(length, types))!.file(gramHash(literal, at, length), pattern, id, at, types);
      this.#tableTypes |= types;
    }
  }

  #pattern(i: number): CompiledPattern | undefined {
    let compiled = this.#compiled[i];
    if (compiled === undefined) {
      compiled = this.#compile ? this.#compile(i) : compileSource(this.#patterns[i]!);
      this.#compiled[i] = compiled;
    }
    return compiled;
  }

  /** Whether some [...] of the pattern finds every literal it needs in the event's values. */
  #holdsLiterals(i: number, event: LogEvent): boolean {
    const leaves = this.#patterns[i]!.literals;
    if (leaves === undefined) return true;
    return leaves.some((literals) => literals.every((literal) => event.values.some((v) => v.value.length <= MAX_COMPARED_LENGTH && comparedText(v.value).includes(literal))));
  }

  /** The slots of the patterns the event touches (satisfies one `[...]` of); empty for most events. */
  touched(event: LogEvent, now: number): number[] {
    return this.#candidates(event, now, true);
  }

  /**
   * The slots of the patterns the event may touch: those whose literals one of its values holds
   * (not evaluated: that filter leaves few events, and the matcher evaluates the pattern on them
   * anyway), and those with no literal that it touches (evaluated: the filter by type alone would
   * keep most events). A reader thread keeps the events this finds something for: a pattern is
   * then compiled on the main thread only, once per index, not in every reader thread and match
   * (a MATCHES costs hundreds of microseconds to compile).
   */
  mayTouch(event: LogEvent, now: number): number[] {
    return this.#candidates(event, now, false);
  }

  #candidates(event: LogEvent, now: number, evaluateFiled: boolean): number[] {
    if (this.size === 0) return [];
    const mark = (this.#mark = (this.#mark + 1) >>> 0 || 1);
    let candidates: number[] | undefined;
    if (this.#byType.length > 0) {
      let types = 0;
      for (const v of event.values) types |= TYPE_MASK_OF_KIND.get(v.kind) ?? 0;
      for (const i of this.#byType) {
        if ((this.#patterns[i]!.types & types) === 0) continue;
        this.#seen[i] = mark;
        (candidates ??= []).push(i);
      }
    }
    // Those come first: the patterns found by a literal follow.
    const byType = candidates?.length ?? 0;
    if (this.#tableTypes !== 0) {
      for (const v of event.values) {
        // LIKE and MATCHES do not compare longer values, and no literal kept is that long. A
        // value reaches only objects of the types its kind makes (with their references).
        const kindTypes = TYPE_MASK_OF_KIND.get(v.kind) ?? 0;
        if ((kindTypes & this.#tableTypes) === 0 || v.value.length > MAX_COMPARED_LENGTH) continue;
        // Read as it is; a value that turns out not to be ASCII is read again in NFC, as compared.
        const scan = this.#scan(v.value, kindTypes, event, mark, candidates);
        candidates = scan.candidates;
        if (scan.nonAscii) candidates = this.#scan(v.value.normalize('NFC'), kindTypes, event, mark, candidates).candidates;
      }
    }
    if (candidates === undefined) return [];
    let observation: Observation | undefined;
    const out: number[] = [];
    for (let c = 0; c < candidates.length; c++) {
      const i = candidates[c]!;
      if (c >= byType && !evaluateFiled) {
        out.push(this.#slots[i]!);
        continue;
      }
      observation ??= observationOf(event, now);
      if (this.#pattern(i)?.touches(observation)) out.push(this.#slots[i]!);
    }
    return out;
  }

  /**
   * One value's grams against the tables its kind can reach (each table holds patterns of one set
   * of types, so a literal found there is one of a pattern the value's object can satisfy).
   * `nonAscii`: a character past ASCII was read, and the value must be read again in NFC.
   */
  #scan(text: string, kindTypes: number, event: LogEvent, mark: number, found: number[] | undefined): { candidates: number[] | undefined; nonAscii: boolean } {
    let candidates = found;
    let read = 0;
    const n = text.length;
    for (const table of this.#tables) {
      if ((kindTypes & table.types) === 0 || n < table.length) continue;
      const { bits, shift, leaving, length } = table;
      let h = 0;
      for (let j = 0; j < length; j++) {
        const c = text.charCodeAt(j);
        read |= c;
        h = (Math.imul(h, BASE) + c) | 0;
      }
      for (let at = 0; ; at++) {
        const bit = Math.imul(h, 0x9e3779b1) >>> shift;
        if ((bits[bit >>> 5]! & (1 << (bit & 31))) !== 0) candidates = this.#verify(table, h, text, at, event, mark, candidates);
        if (at + length >= n) break;
        const c = text.charCodeAt(at + length);
        read |= c;
        h = (Math.imul(h - Math.imul(text.charCodeAt(at), leaving), BASE) + c) | 0;
      }
    }
    return { candidates, nonAscii: read >= 0x80 };
  }

  /** A gram of the value at `at` passed the bit table: the patterns whose literal is there are candidates. */
  #verify(table: GramTable, hash: number, text: string, at: number, event: LogEvent, mark: number, candidates: number[] | undefined): number[] | undefined {
    const list = table.entries.get(hash);
    if (list === undefined) return candidates;
    for (let e = 0; e < list.length; e += 3) {
      const i = list[e]!;
      if (this.#seen[i] === mark) continue;
      const start = at - list[e + 2]!;
      if (start < 0 || !text.startsWith(this.#literalTexts[list[e + 1]!]!, start)) continue;
      this.#seen[i] = mark;
      if (this.#holdsLiterals(i, event)) (candidates ??= []).push(i);
    }
    return candidates;
  }
}
