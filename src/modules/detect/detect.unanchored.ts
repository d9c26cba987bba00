/**
 * Patterns no value anchors (`[url:value LIKE '%/gate.php']`, `[file:name MATCHES '^inv_\d+']`,
 * `[ipv4-addr:value != '10.0.0.1']`): the key filter cannot find the events they need, so every
 * event is a candidate. This set narrows that cheaply before any pattern is evaluated:
 *
 * - by object type: an event's observation holds only the SCO types its values make
 *   (detect.observation.ts); a pattern none of whose types it holds cannot be touched;
 * - by a required literal: a LIKE constant, or the literal run a MATCHES expression cannot do
 *   without, must occur in some value of the event. Each such pattern is filed under one
 *   three-character piece of its literal; an event's values are scanned once for the pieces.
 *
 * The candidates left are evaluated (`touches`, one observation against the pattern's leaves).
 * Pure: used on the log reader threads and on the main thread alike.
 */
import { compilePattern, type CompiledPattern, type ComparisonExpression, type ObservationExpression, type Pattern } from '../../stix/pattern/index.js';
import { MAX_COMPARED_LENGTH } from '../../stix/pattern/regex.js';
import { observationOf } from './detect.observation.js';
import type { LogEvent } from './formats.js';
import type { ObservableKind } from './observable.js';

/** The unanchored patterns of an index at one moment, as sent to reader threads. */
export interface UnanchoredPatterns {
  /** Changes whenever the set does. */
  readonly version: number;
  readonly slots: readonly number[];
  readonly patterns: readonly Pattern[];
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

const PIECE = 3;

/** Three UTF-16 units as a small integer (10 bits each; collisions only add candidates). */
function pieceCode(text: string, at: number): number {
  return ((text.charCodeAt(at) & 0x3ff) << 20) | ((text.charCodeAt(at + 1) & 0x3ff) << 10) | (text.charCodeAt(at + 2) & 0x3ff);
}

const PIECE_BITS = 1 << 20;

function pieceBit(code: number): number {
  return Math.imul(code, 0x9e3779b1) >>> 12;
}

/** Pieces that most log values contain (scheme, www, common endings): filed under only when nothing else is there. */
const COMMON_PIECES = new Set(['htt', 'ttp', 'tps', 'tp:', 'ps:', 'p:/', '://', 'www', 'ww.', '.co', 'com', 'om/', '.ne', 'net', '.or', 'org', 'php', '.ph', 'htm', 'tml', '.ht', 'exa', 'xam', 'amp', 'mpl', 'ple', 'le.', 'ind', 'nde', 'dex', 'ex.', 'Moz', 'ozi', 'zil', 'ill', 'lla']);

/** How common the piece of `literal` at `at` is likely to be in logs (lower is rarer). */
function pieceCommonness(literal: string, at: number): number {
  const piece = literal.slice(at, at + PIECE);
  if (COMMON_PIECES.has(piece)) return 1_000_000;
  // Digits and punctuation other than . / - are rarer in logs than lower-case letters.
  let cost = 0.9;
  for (const ch of piece) if (/[0-9A-Z_~=&%@]/.test(ch)) cost -= 0.3;
  return cost;
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
      return literals.filter((l) => l.length >= PIECE && l.length <= MAX_COMPARED_LENGTH && ASCII_PRINTABLE.test(l));
    }
  }
}

/** Per `[...]` of the pattern, the literals it needs; undefined when some `[...]` needs none. */
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

function comparedText(value: string): string {
  return ASCII_PRINTABLE.test(value) ? value : value.normalize('NFC');
}

/** An index over a set of unanchored patterns: which of them an event may touch. */
export class UnanchoredSet {
  readonly version: number;
  readonly size: number;
  readonly #slots: readonly number[];
  readonly #patterns: readonly Pattern[];
  /** Compiled when first needed: most patterns are never a candidate on a given log. */
  readonly #compiled: (CompiledPattern | undefined)[];
  /** Three-character piece -> patterns (by position) filed under it. */
  readonly #byPiece = new Map<number, number[]>();
  /** Patterns with no literal, evaluated whenever an event holds one of their types (#typeMasks). */
  readonly #byType: number[] = [];
  /** Per pattern, the types it names that an event can hold, as bits (0: it can never be touched). */
  readonly #typeMasks: Uint32Array;
  /** Per pattern filed by pieces, per [...], the literals it needs: checked before evaluating. */
  readonly #literals: (string[][] | undefined)[] = [];
  /** The types of the patterns filed by pieces: values of kinds that make none of them are not scanned. */
  #pieceTypes = 0;
  /** One bit per hashed piece filed: most positions of a value are dismissed by one array read. */
  readonly #pieceBits = new Uint32Array(PIECE_BITS / 32);
  /** Visit marks, so that a pattern found twice for one event is evaluated once. */
  readonly #seen: Uint32Array;
  #mark = 0;

  /** `compiled`: the patterns compiled already (the index's), in the order of `set.patterns`. */
  constructor(set: UnanchoredPatterns, compiled?: readonly (CompiledPattern | undefined)[]) {
    this.version = set.version;
    this.#slots = set.slots;
    this.size = set.slots.length;
    this.#patterns = set.patterns;
    this.#compiled = compiled ? [...compiled] : new Array<CompiledPattern | undefined>(set.patterns.length);
    this.#typeMasks = new Uint32Array(set.slots.length);
    this.#seen = new Uint32Array(set.slots.length);
    set.patterns.forEach((pattern, i) => {
      const types = new Set<string>();
      patternTypes(pattern.expression, types);
      let mask = 0;
      for (const type of types) mask |= TYPE_BIT.get(type) ?? 0;
      this.#typeMasks[i] = mask;
      // No event makes an object of its types: it can never be touched.
      if (mask === 0) return;
      const leaves: string[][] = [];
      if (patternLiterals(pattern.expression, leaves)) {
        this.#literals[i] = leaves;
        this.#pieceTypes |= mask;
        // Per [...], one piece of one of its literals: the one fewest patterns are filed under
        // so far, so that pieces common in logs ('.co', 'htt') do not gather many.
        for (const literals of leaves) {
          let best: number | undefined;
          let bestCost = Infinity;
          for (const literal of literals) {
            for (let at = 0; at + PIECE <= literal.length; at++) {
              const code = pieceCode(literal, at);
              const cost = (this.#byPiece.get(code)?.length ?? 0) + pieceCommonness(literal, at);
              if (cost < bestCost) {
                best = code;
                bestCost = cost;
              }
            }
          }
          const bit = pieceBit(best!);
          this.#pieceBits[bit >>> 5]! |= 1 << (bit & 31);
          const list = this.#byPiece.get(best!);
          if (list === undefined) this.#byPiece.set(best!, [i]);
          else if (list[list.length - 1] !== i) list.push(i);
        }
        return;
      }
      this.#byType.push(i);
    });
  }

  /** Whether some [...] of the pattern finds every literal it needs in the event's values. */
  #holdsLiterals(i: number, event: LogEvent): boolean {
    const leaves = this.#literals[i];
    if (leaves === undefined) return true;
    return leaves.some((literals) => literals.every((literal) => event.values.some((v) => v.value.length <= MAX_COMPARED_LENGTH && comparedText(v.value).includes(literal))));
  }

  /** The slots of the patterns the event touches (satisfies one `[...]` of); empty for most events. */
  touched(event: LogEvent, now: number): number[] {
    if (this.size === 0) return [];
    const mark = (this.#mark = (this.#mark + 1) >>> 0 || 1);
    let types = 0;
    for (const v of event.values) types |= TYPE_MASK_OF_KIND.get(v.kind) ?? 0;
    if (types === 0) return [];
    const masks = this.#typeMasks;
    let candidates: number[] | undefined;
    for (const i of this.#byType) {
      if ((masks[i]! & types) === 0) continue;
      this.#seen[i] = mark;
      (candidates ??= []).push(i);
    }
    if (this.#byPiece.size > 0 && (types & this.#pieceTypes) !== 0) {
      for (const v of event.values) {
        // LIKE and MATCHES do not compare longer values, and no literal kept is that long. A
        // value reaches only objects of the types its kind makes (with their references).
        if (v.value.length > MAX_COMPARED_LENGTH || ((TYPE_MASK_OF_KIND.get(v.kind) ?? 0) & this.#pieceTypes) === 0) continue;
        const text = comparedText(v.value);
        const bits = this.#pieceBits;
        for (let at = 0; at + PIECE <= text.length; at++) {
          const code = pieceCode(text, at);
          const bit = pieceBit(code);
          if ((bits[bit >>> 5]! & (1 << (bit & 31))) === 0) continue;
          const list = this.#byPiece.get(code);
          if (!list) continue;
          for (const i of list) {
            if (this.#seen[i] === mark) continue;
            this.#seen[i] = mark;
            if ((masks[i]! & types) !== 0 && this.#holdsLiterals(i, event)) (candidates ??= []).push(i);
          }
        }
      }
    }
    if (candidates === undefined) return [];
    const observation = observationOf(event, now);
    const out: number[] = [];
    for (const i of candidates) {
      const pattern = (this.#compiled[i] ??= compilePattern(this.#patterns[i]!));
      if (pattern.touches(observation)) out.push(this.#slots[i]!);
    }
    return out;
  }
}
