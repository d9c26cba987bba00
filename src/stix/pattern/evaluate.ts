/**
 * Evaluation of STIX patterns against observations (STIX 2.1 section 9).
 *
 * A pattern is compiled once (`compilePattern`) and then asked whether a set of observations
 * satisfies it (`match`), or fed observations one by one through a sliding `PatternWindow`.
 *
 * Matching semantics, and where the specification left room:
 *
 * - Observation expression `[...]`: satisfied by one observation when ONE of its SCOs satisfies the
 *   whole comparison expression. STIX 2.1 requires that all operands of a comparison AND "MUST be
 *   satisfiable with the same type of object", so `[file:name = 'a' AND file:size = 1]` needs one
 *   file with both, and `[file:name = 'a' AND ipv4-addr:value = '1.2.3.4']` never matches; OR may
 *   mix types (`[ipv4-addr:value = 'x' OR ipv6-addr:value = 'y']`). Every object of the
 *   observation whose `type` is named by the pattern is tried as the root object.
 * - Object paths: `.name` steps into objects; `[n]` takes one element (negative or out-of-range
 *   indices select nothing); `[*]` takes every element and the comparison holds when it holds for
 *   any of them. A list reached without an index step is compared as a whole: no constant has a
 *   list type, so it is an incompatible operand (`=` false, `!=` true). `x_ref` properties are
 *   replaced by the object they name in the same observation, `x_refs` lists by the list of
 *   objects they name; unresolved references select nothing. Under a `hashes` dictionary, a key
 *   missing verbatim is also looked up ignoring case and hyphens (`SHA256` finds `SHA-256`).
 * - Absent values: when the path selects nothing, the comparison is false, and so are its `!=` and
 *   `NOT` forms. A JSON `null` is a present value of a type no constant has.
 * - Types (the comparison rules table): integers and floats compare numerically (integers exactly,
 *   beyond 2^53 too when the property is an integer); strings compare by Unicode code point,
 *   case-sensitively, without normalisation; booleans only with booleans; `t'...'` compares as an
 *   instant with properties holding STIX timestamp strings (any fraction precision); `h'...'` and
 *   `b'...'` compare bytes with binary properties (names ending `_bin`, base64 text) and hex
 *   properties (names ending `_hex`), and with string properties whose code points are all below
 *   U+0100 (one byte each); string constants compare with binary/hex properties the same way.
 *   Incompatible operands make every operator false except `!=`, which is true.
 * - `NOT` negates the whole comparison expression ("the resultant Comparison Expression is
 *   logically negated"): `a:b[*] NOT = 22` holds when no element equals 22. It is applied only to
 *   a present value (see above). `NOT EXISTS a:b` holds on an object of type `a` where the path
 *   selects nothing (it is the one test an absent value makes true).
 * - LIKE: `%` any run of characters, `_` exactly one code point, anchored at both ends,
 *   case-sensitive; there is no escape character (SQL LIKE without an ESCAPE clause), so
 *   `'C:\\Windows\\%'` means what it says. LIKE and MATCHES compare NFC-normalised text, and
 *   the decoded bytes of binary properties (`_bin`, `_hex`) as code points U+0000-U+00FF.
 * - MATCHES: PCRE syntax run on RE2 (linear time), searching (not anchored), with the DOTALL
 *   option as section 9.6 requires. Constructs RE2 cannot run (backreferences, lookaround,
 *   atomic groups, possessive quantifiers, recursion, conditionals, `(?x)`, `\h`, `\R`, `\K`)
 *   make the comparison false, NOT included; ingest refuses them (`regexProblem`). Values longer
 *   than MAX_COMPARED_LENGTH are not compared (false, NOT included). See regex.ts.
 * - ISSUBSET / ISSUPERSET: IPv4 and IPv6 addresses and CIDR blocks (an address is a /32 or /128);
 *   IPv4 lives inside IPv6 as IPv4-mapped (`::ffff:a.b.c.d`), so `'::ffff:10.0.0.1'` is in
 *   `'10.0.0.0/8'` and `'::/0'` contains every address.
 * - Observations: an observation with `numberObserved = n` counts as n observations at the same
 *   times; one assignment uses each of them at most once (observation AND, FOLLOWEDBY and REPEATS
 *   bind distinct observations; OR binds one side). An observation happened at some instant
 *   between `firstObserved` and `lastObserved`; a constraint holds when instants inside those
 *   intervals can be chosen to satisfy it (each constraint is checked on its own).
 * - FOLLOWEDBY: every observation on the left can be placed at or before every observation on the
 *   right (max(left first) <= min(right last)); ties count as "followed by".
 * - WITHIN n SECONDS: all observations bound below it fit in a window of n seconds, bounds included
 *   (max(first) - min(last) <= n s). START t1 STOP t2: each of them can be placed in [t1, t2).
 *   Qualifiers apply in source order, so `[a] REPEATS 2 TIMES WITHIN 5 SECONDS` is two `[a]` within
 *   5 s, while `[a] WITHIN 5 SECONDS REPEATS 2 TIMES` constrains each repetition on its own.
 *
 * Search bounds: finding an assignment is a backtracking search over observations kept in time
 * order. Candidates for a `[...]` are scanned only inside the time range its WITHIN, FOLLOWEDBY and
 * START/STOP constraints leave open; repetitions are tried in canonical order so equivalent
 * assignments are not revisited; REPEATS of a single `[...]` is cut as soon as too few candidates
 * remain (which keeps `REPEATS n TIMES WITHIN t` polynomial); and before searching, a linear
 * relaxed test (time order and candidate counts, ignoring distinctness) rejects many patterns that
 * cannot match, among them every FOLLOWEDBY chain that cannot be put in order. A search examines
 * at most MAX_SEARCH_STEPS candidate observations; past that it stops and reports no match.
 * Patterns whose smallest assignment needs more than MAX_BOUND_OBSERVATIONS observations are not
 * searched. A PatternWindow push costs one pass over the observations it keeps when every `[...]`
 * the pattern needs has a candidate; otherwise it costs little beyond evaluating the observation.
 */

import type {
  ComparisonExpression,
  Comparison,
  IntegerLiteral,
  FloatLiteral,
  ObservationExpression,
  PathStep,
  Pattern,
  PrimitiveLiteral,
  Qualifier,
  StringLiteral,
  TimestampLiteral,
} from './ast.js';
import { compareTimestamps, timestampProblem } from './timestamp.js';
import { compileLike, compileMatches, MAX_COMPARED_LENGTH, type TextMatcher } from './regex.js';

// ---------------------------------------------------------------------------------------------
// Public API

/** One observation: what an observed-data SDO says was seen, with its SCOs resolvable by reference. */
export interface Observation {
  /** first_observed / last_observed as epoch milliseconds (equal for a single event). */
  readonly firstObserved: number;
  readonly lastObserved: number;
  /** number_observed (>= 1). */
  readonly numberObserved: number;
  /** The SCOs of the observation, keyed by reference (STIX 2.0 style '0','1',... or STIX 2.1 ids); `*_ref` and `*_refs` properties resolve through this map. */
  readonly objects: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

/** The observations bound by one satisfying assignment (each once, in input order). */
export interface PatternMatch {
  readonly observations: readonly Observation[];
}

export interface CompiledPattern {
  /** Whether some assignment of the given observations satisfies the pattern (all operators and qualifiers). */
  match(observations: readonly Observation[]): PatternMatch | undefined;
  /** Whether one observation satisfies at least one leaf observation expression `[...]`: a fast prefilter for windows. */
  touches(observation: Observation): boolean;
  /** Longest time span the pattern can need, in ms (from WITHIN qualifiers; Infinity when unbounded). */
  readonly horizonMs: number;
  /** True when the pattern is a single [..] with no qualifiers (can be decided on one observation alone). */
  readonly single: boolean;
}

export interface PatternWindowOptions {
  /** How far back (ms, before the latest observation seen) observations are kept. */
  windowMs?: number;
  /** Most observations kept; the oldest go first. */
  maxObservations?: number;
}

/** Candidate observations one search may examine before it gives up (reporting no match). */
export const MAX_SEARCH_STEPS = 200_000;

/** Largest number of observations the smallest satisfying assignment of a searched pattern may need. */
export const MAX_BOUND_OBSERVATIONS = 1_000;

const HOUR_MS = 3_600_000;
const DEFAULT_MAX_OBSERVATIONS = 10_000;

// ---------------------------------------------------------------------------------------------
// Values selected by object paths

type SCO = Readonly<Record<string, unknown>>;
type ObjectMap = ReadonlyMap<string, SCO>;

/** How a property's string value is to be read: as text, or as bytes written in hex or base64. */
type Encoding = 'text' | 'hex' | 'base64';

interface PathValue {
  readonly value: unknown;
  readonly encoding: Encoding;
}

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isList(v: unknown): v is readonly unknown[] {
  return Array.isArray(v);
}

function encodingOf(propertyName: string): Encoding {
  if (propertyName.endsWith('_hex')) return 'hex';
  if (propertyName.endsWith('_bin')) return 'base64';
  return 'text';
}

function normalizeHashName(name: string): string {
  return name.toUpperCase().replaceAll('-', '');
}

function propertyOf(record: Readonly<Record<string, unknown>>, name: string, parentName: string): unknown {
  if (Object.hasOwn(record, name)) return record[name];
  if (parentName === 'hashes') {
    const wanted = normalizeHashName(name);
    for (const key of Object.keys(record)) if (normalizeHashName(key) === wanted) return record[key];
  }
  return undefined;
}

/** The values an object path selects from one root object (several after `[*]`). */
function selectValues(root: SCO, steps: readonly PathStep[], objects: ObjectMap): PathValue[] {
  let current: PathValue[] = [{ value: root, encoding: 'text' }];
  let parentName = '';
  for (const step of steps) {
    const next: PathValue[] = [];
    switch (step.kind) {
      case 'property': {
        for (const { value } of current) {
          if (!isRecord(value)) continue;
          const raw = propertyOf(value, step.name, parentName);
          if (raw === undefined) continue;
          if (step.name.endsWith('_ref')) {
            const target = typeof raw === 'string' ? objects.get(raw) : undefined;
            if (target !== undefined) next.push({ value: target, encoding: 'text' });
          } else if (step.name.endsWith('_refs')) {
            if (isList(raw)) {
              const targets = raw.map((ref) => (typeof ref === 'string' ? objects.get(ref) : undefined));
              next.push({ value: targets, encoding: 'text' });
            }
          } else {
            next.push({ value: raw, encoding: encodingOf(step.name) });
          }
        }
        parentName = step.name;
        break;
      }
      case 'index':
        for (const { value, encoding } of current) {
          if (!isList(value) || step.index < 0 || step.index >= value.length) continue;
          const element = value[step.index];
          if (element !== undefined) next.push({ value: element, encoding });
        }
        break;
      case 'anyIndex':
        for (const { value, encoding } of current) {
          if (!isList(value)) continue;
          for (const element of value) {
            if (element !== undefined) next.push({ value: element, encoding });
          }
        }
        break;
    }
    current = next;
    if (current.length === 0) break;
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// Bytes

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBytes(text: string, encoding: 'hex' | 'base64'): Uint8Array | undefined {
  if (encoding === 'hex') return HEX_RE.test(text) ? Uint8Array.from(Buffer.from(text, 'hex')) : undefined;
  return BASE64_RE.test(text) ? Uint8Array.from(Buffer.from(text, 'base64')) : undefined;
}

/** The string as one byte per code point, when every code point is below U+0100. */
function latin1Bytes(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return undefined;
    bytes[i] = c;
  }
  return bytes;
}

function bytesAsText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Code point order (UTF-16 code unit order differs for characters above U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done === true) return cb.done === true ? 0 : -1;
    if (cb.done === true) return 1;
    const pa = ca.value.codePointAt(0) ?? 0;
    const pb = cb.value.codePointAt(0) ?? 0;
    if (pa !== pb) return pa < pb ? -1 : 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Constants and the comparison rules table

type Constant =
  | { readonly kind: 'string'; readonly text: string; readonly bytes: Uint8Array | undefined }
  | { readonly kind: 'integer'; readonly exact: bigint; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'timestamp'; readonly text: string };

function constantOf(lit: PrimitiveLiteral): Constant {
  switch (lit.kind) {
    case 'string':
      return { kind: 'string', text: lit.value, bytes: latin1Bytes(lit.value) };
    case 'integer':
      return { kind: 'integer', exact: BigInt(lit.text), value: lit.value };
    case 'float':
      return { kind: 'float', value: lit.value };
    case 'boolean':
      return { kind: 'boolean', value: lit.value };
    case 'hex':
      return { kind: 'bytes', bytes: Uint8Array.from(Buffer.from(lit.value, 'hex')) };
    case 'binary':
      return { kind: 'bytes', bytes: Uint8Array.from(Buffer.from(lit.value, 'base64')) };
    case 'timestamp':
      return { kind: 'timestamp', text: lit.value };
  }
}

function compareNumber(value: number | bigint, c: Constant & { kind: 'integer' | 'float' }): number | undefined {
  if (typeof value === 'bigint') {
    if (c.kind === 'integer') return value === c.exact ? 0 : value < c.exact ? -1 : 1;
    const n = Number(value);
    return n === c.value ? 0 : n < c.value ? -1 : 1;
  }
  if (Number.isNaN(value)) return undefined;
  if (c.kind === 'float' || !Number.isFinite(value)) return value === c.value ? 0 : value < c.value ? -1 : 1;
  // Integer constant: exact, whatever the magnitude.
  const floor = BigInt(Math.floor(value));
  if (Number.isInteger(value)) return floor === c.exact ? 0 : floor < c.exact ? -1 : 1;
  return floor < c.exact ? -1 : 1;
}

/**
 * Order of a selected value against a constant: negative, zero or positive; undefined when the
 * types are incompatible. For booleans only zero / non-zero is meaningful (no ordering literal is
 * boolean).
 */
function compareValue(pv: PathValue, c: Constant): number | undefined {
  const v = pv.value;
  switch (c.kind) {
    case 'string':
      if (typeof v !== 'string') return undefined;
      if (pv.encoding === 'text') return compareCodePoints(v, c.text);
      {
        const bytes = decodeBytes(v, pv.encoding);
        return bytes !== undefined && c.bytes !== undefined ? compareBytes(bytes, c.bytes) : undefined;
      }
    case 'integer':
    case 'float':
      return typeof v === 'number' || typeof v === 'bigint' ? compareNumber(v, c) : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? (v === c.value ? 0 : 1) : undefined;
    case 'bytes': {
      if (typeof v !== 'string') return undefined;
      const bytes = pv.encoding === 'text' ? latin1Bytes(v) : decodeBytes(v, pv.encoding);
      return bytes === undefined ? undefined : compareBytes(bytes, c.bytes);
    }
    case 'timestamp':
      if (typeof v !== 'string' || pv.encoding !== 'text' || timestampProblem(v) !== null) return undefined;
      return compareTimestamps(v, c.text);
  }
}

// ---------------------------------------------------------------------------------------------
// LIKE and MATCHES (src/stix/pattern/regex.ts): text is compared NFC-normalised; binary
// properties (`_bin`, `_hex`) as their decoded bytes, one code point U+0000-U+00FF per byte.

/** The text LIKE and MATCHES compare for a value; undefined when it is no string or too long to compare. */
function comparedText(pv: PathValue): string | undefined {
  if (typeof pv.value !== 'string') return undefined;
  if (pv.encoding === 'text') {
    return pv.value.length > MAX_COMPARED_LENGTH ? undefined : pv.value.normalize('NFC');
  }
  // Hex and base64 text are longer than the bytes they hold.
  if (pv.value.length > 2 * MAX_COMPARED_LENGTH) return undefined;
  const bytes = decodeBytes(pv.value, pv.encoding);
  return bytes === undefined || bytes.length > MAX_COMPARED_LENGTH ? undefined : bytesAsText(bytes);
}

function withinComparedLength(pv: PathValue): boolean {
  if (typeof pv.value !== 'string') return true;
  return pv.value.length <= (pv.encoding === 'text' ? MAX_COMPARED_LENGTH : 2 * MAX_COMPARED_LENGTH);
}

function textTest(matcher: TextMatcher): ValueTest {
  return (pv) => {
    const text = comparedText(pv);
    return text !== undefined && matcher(text);
  };
}

// ---------------------------------------------------------------------------------------------
// IP addresses and CIDR blocks (IPv4 as IPv4-mapped IPv6)

interface Network {
  readonly bits: bigint;
  /** Prefix length in the 128-bit space. */
  readonly prefix: number;
}

const IPV4_MAPPED = 0xffffn << 32n;

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseGroups(text: string): bigint[] | undefined {
  if (text === '') return [];
  const groups: bigint[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(BigInt(`0x${part}`));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIPv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  if (head === undefined) return undefined;
  let groups: bigint[];
  if (halves.length === 2) {
    const tail = parseGroups(halves[1] ?? '');
    if (tail === undefined || head.length + tail.length > 7) return undefined;
    if (head.length > 0 && (halves[0] ?? '').includes('.')) return undefined;
    groups = [...head, ...new Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const g of groups) value = (value << 16n) | g;
  return value;
}

function parseNetwork(text: string): Network | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  if (prefixText !== undefined && !/^(?:0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? undefined : Number(prefixText);
  if (address.includes(':')) {
    const bits = parseIPv6(address);
    if (bits === undefined || (prefix !== undefined && prefix > 128)) return undefined;
    return { bits, prefix: prefix ?? 128 };
  }
  const v4 = parseIPv4(address);
  if (v4 === undefined || (prefix !== undefined && prefix > 32)) return undefined;
  return { bits: IPV4_MAPPED | v4, prefix: 96 + (prefix ?? 32) };
}

function networkContains(outer: Network, inner: Network): boolean {
  if (outer.prefix > inner.prefix) return false;
  const shift = BigInt(128 - outer.prefix);
  return outer.bits >> shift === inner.bits >> shift;
}

// ---------------------------------------------------------------------------------------------
// Comparison expressions: tests on one root SCO

type ObjectTest = (root: SCO, objects: ObjectMap) => boolean;
type ValueTest = (pv: PathValue) => boolean;

function valueTest(cmp: Comparison): ValueTest | undefined {
  switch (cmp.operator) {
    case '=':
    case '!=': {
      const c = constantOf(cmp.value);
      return cmp.operator === '=' ? (pv) => compareValue(pv, c) === 0 : (pv) => compareValue(pv, c) !== 0;
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const c = constantOf(cmp.value);
      const holds = orderingHolds(cmp.operator);
      return (pv) => {
        const r = compareValue(pv, c);
        return r !== undefined && holds(r);
      };
    }
    case 'IN': {
      const cs = cmp.value.values.map(constantOf);
      return (pv) => cs.some((c) => compareValue(pv, c) === 0);
    }
    case 'LIKE':
      return textTest(compileLike(cmp.value.value));
    case 'MATCHES': {
      const matcher = compileMatches(cmp.value.value);
      return matcher === undefined ? undefined : textTest(matcher);
    }
    case 'ISSUBSET':
    case 'ISSUPERSET': {
      const constant = parseNetwork(cmp.value.value);
      const subset = cmp.operator === 'ISSUBSET';
      return (pv) => {
        if (constant === undefined || typeof pv.value !== 'string' || pv.encoding !== 'text') return false;
        const net = parseNetwork(pv.value);
        if (net === undefined) return false;
        return subset ? networkContains(constant, net) : networkContains(net, constant);
      };
    }
  }
}

function orderingHolds(op: '<' | '<=' | '>' | '>='): (r: number) => boolean {
  switch (op) {
    case '<':
      return (r) => r < 0;
    case '<=':
      return (r) => r <= 0;
    case '>':
      return (r) => r > 0;
    case '>=':
      return (r) => r >= 0;
  }
}

function compileComparison(expr: ComparisonExpression, types: Set<string>): ObjectTest {
  switch (expr.kind) {
    case 'comparisonGroup':
      return compileComparison(expr.expression, types);
    case 'comparisonBinary': {
      const tests = expr.operands.map((operand) => compileComparison(operand, types));
      return expr.operator === 'AND'
        ? (root, objects) => tests.every((t) => t(root, objects))
        : (root, objects) => tests.some((t) => t(root, objects));
    }
    case 'exists': {
      const { objectType, steps } = expr.path;
      types.add(objectType);
      // NOT EXISTS is the negation on an object of the named type: the property is absent there.
      const negated = expr.negated;
      return (root, objects) => root.type === objectType && selectValues(root, steps, objects).length > 0 !== negated;
    }
    case 'comparison': {
      const { objectType, steps } = expr.path;
      types.add(objectType);
      const test = valueTest(expr);
      // A pattern MATCHES constant the regex engine cannot run can never be decided: false.
      if (test === undefined) return () => false;
      const negated = expr.negated;
      const bounded = expr.operator === 'LIKE' || expr.operator === 'MATCHES';
      return (root, objects) => {
        if (root.type !== objectType) return false;
        const selected = selectValues(root, steps, objects);
        // A value too long to compare is left undecided, like an absent one (NOT included).
        const values = bounded ? selected.filter(withinComparedLength) : selected;
        if (values.length === 0) return false;
        return values.some(test) !== negated;
      };
    }
  }
}

interface Leaf {
  readonly types: ReadonlySet<string>;
  readonly test: ObjectTest;
}

function leafHolds(leaf: Leaf, observation: Observation): boolean {
  const objects = observation.objects;
  for (const object of objects.values()) {
    if (!isRecord(object)) continue;
    const type = object.type;
    if (typeof type === 'string' && leaf.types.has(type) && leaf.test(object, objects)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Observation expressions: the search plan

type Plan =
  | { readonly kind: 'leaf'; readonly leaf: number; readonly from: number; readonly to: number }
  | { readonly kind: 'and' | 'or' | 'followedBy'; readonly children: readonly Plan[] }
  | { readonly kind: 'repeat'; readonly child: Plan; readonly times: number }
  | { readonly kind: 'within'; readonly child: Plan; readonly ms: number };

/** Epoch ms (with sub-ms fraction) of a valid timestamp literal body. */
function timestampMs(text: string): number {
  const n = (from: number, to: number): number => Number(text.slice(from, to));
  // Date.UTC reads years 0-99 as 1900-1999; setting the year afterwards keeps them literal.
  const date = new Date(0);
  date.setUTCFullYear(n(0, 4), n(5, 7) - 1, n(8, 10));
  const whole = date.setUTCHours(n(11, 13), n(14, 16), n(17, 19), 0);
  const fraction = text.charCodeAt(19) === 46 ? Number(`0.${text.slice(20, text.length - 1)}`) : 0;
  return whole + fraction * 1000;
}

function boundMs(lit: TimestampLiteral | StringLiteral): number {
  return timestampProblem(lit.value) === null ? timestampMs(lit.value) : Number.NaN;
}

function secondsMs(lit: IntegerLiteral | FloatLiteral): number {
  return lit.value * 1000;
}

/** START/STOP constrains every observation below it: pushed down to the leaves as [from, to). */
function restrict(plan: Plan, from: number, to: number): Plan {
  switch (plan.kind) {
    case 'leaf':
      // NaN bounds (an unreadable timestamp) admit nothing: every comparison with NaN is false.
      return {
        ...plan,
        from: Number.isNaN(from) ? Number.NaN : Math.max(plan.from, from),
        to: Number.isNaN(to) ? Number.NaN : Math.min(plan.to, to),
      };
    case 'and':
    case 'or':
    case 'followedBy':
      return { kind: plan.kind, children: plan.children.map((c) => restrict(c, from, to)) };
    case 'repeat':
    case 'within':
      return { ...plan, child: restrict(plan.child, from, to) };
  }
}

function qualify(plan: Plan, q: Qualifier): Plan {
  switch (q.kind) {
    case 'within':
      return { kind: 'within', child: plan, ms: secondsMs(q.seconds) };
    case 'repeats':
      return q.times.value === 1 ? plan : { kind: 'repeat', child: plan, times: q.times.value };
    case 'startStop':
      return restrict(plan, boundMs(q.start), boundMs(q.stop));
  }
}

function compilePlan(expr: ObservationExpression, leaves: Leaf[]): Plan {
  switch (expr.kind) {
    case 'observation': {
      const types = new Set<string>();
      const test = compileComparison(expr.comparison, types);
      leaves.push({ types, test });
      return { kind: 'leaf', leaf: leaves.length - 1, from: -Infinity, to: Infinity };
    }
    case 'observationGroup':
      return compilePlan(expr.expression, leaves);
    case 'observationBinary': {
      const children = expr.operands.map((operand) => compilePlan(operand, leaves));
      const kind = expr.operator === 'AND' ? 'and' : expr.operator === 'OR' ? 'or' : 'followedBy';
      return { kind, children };
    }
    case 'qualified': {
      let plan = compilePlan(expr.expression, leaves);
      for (const q of expr.qualifiers) plan = qualify(plan, q);
      return plan;
    }
  }
}

function horizonOf(expr: ObservationExpression): number {
  switch (expr.kind) {
    case 'observation':
      return 0;
    case 'observationGroup':
      return horizonOf(expr.expression);
    case 'observationBinary': {
      const spans = expr.operands.map(horizonOf);
      if (expr.operator === 'OR') return Math.max(...spans);
      return spans.length > 1 ? Infinity : (spans[0] ?? 0);
    }
    case 'qualified': {
      let span = horizonOf(expr.expression);
      for (const q of expr.qualifiers) {
        if (q.kind === 'within') span = Math.min(span, secondsMs(q.seconds));
        else if (q.kind === 'repeats') span = q.times.value > 1 ? Infinity : span;
        else {
          const width = boundMs(q.stop) - boundMs(q.start);
          span = Math.min(span, Number.isNaN(width) ? 0 : Math.max(0, width));
        }
      }
      return span;
    }
  }
}

function isSingle(expr: ObservationExpression): boolean {
  if (expr.kind === 'observationGroup') return isSingle(expr.expression);
  return expr.kind === 'observation';
}

/** Fewest observations any satisfying assignment binds. */
function fewestBound(plan: Plan): number {
  switch (plan.kind) {
    case 'leaf':
      return 1;
    case 'and':
    case 'followedBy':
      return plan.children.reduce((sum, c) => sum + fewestBound(c), 0);
    case 'or':
      return Math.min(...plan.children.map(fewestBound));
    case 'repeat':
      return plan.times * fewestBound(plan.child);
    case 'within':
      return fewestBound(plan.child);
  }
}

/** Whether every `[...]` the plan cannot do without has some candidate observation. */
function possible(plan: Plan, hasCandidate: (leaf: number) => boolean): boolean {
  switch (plan.kind) {
    case 'leaf':
      return hasCandidate(plan.leaf);
    case 'and':
    case 'followedBy':
      return plan.children.every((c) => possible(c, hasCandidate));
    case 'or':
      return plan.children.some((c) => possible(c, hasCandidate));
    case 'repeat':
    case 'within':
      return possible(plan.child, hasCandidate);
  }
}

// ---------------------------------------------------------------------------------------------
// The search

/** One observation as the search sees it; slots are sorted by (first, last). */
interface Slot {
  readonly first: number;
  readonly last: number;
  /** How many times it may still be bound (its number_observed, less any already consumed). */
  readonly copies: number;
  /** Which leaves `[...]` it satisfies, by leaf index. */
  readonly hits: readonly boolean[];
}

interface Summary {
  readonly maxFirst: number;
  readonly minLast: number;
  readonly minIndex: number;
}

/** A WITHIN in force: the time extent of what has been bound under it so far. */
interface Scope {
  readonly ms: number;
  maxFirst: number;
  minLast: number;
}

interface Context {
  /** Slots below this index are not considered (canonical order of repetitions). */
  readonly minIndex: number;
  /** Slots must end at or after this instant (right-hand sides of FOLLOWEDBY). */
  readonly minLast: number;
  readonly scopes: readonly Scope[];
}

type Continuation = (summary: Summary) => boolean;

class SearchBudgetExceeded extends Error {}

function merge(a: Summary, b: Summary): Summary {
  return {
    maxFirst: Math.max(a.maxFirst, b.maxFirst),
    minLast: Math.min(a.minLast, b.minLast),
    minIndex: Math.min(a.minIndex, b.minIndex),
  };
}

function fitsScopes(scopes: readonly Scope[], slot: Slot): boolean {
  for (const s of scopes) {
    if (Math.max(s.maxFirst, slot.first) - Math.min(s.minLast, slot.last) > s.ms) return false;
  }
  return true;
}

class Search {
  readonly #slots: readonly Slot[];
  /** Per leaf, the indices of the slots satisfying it, ascending (so also by `first`). */
  readonly #candidates: readonly (readonly number[])[];
  readonly #used: Float64Array;
  readonly #bound: number[] = [];
  /** Longest observation interval: a slot starting before `t - longest` ends before `t`. */
  readonly #longest: number;
  /** Copies of all slots satisfying some leaf. */
  readonly #available: number;
  #steps = 0;

  constructor(slots: readonly Slot[], leafCount: number) {
    this.#slots = slots;
    const candidates: number[][] = Array.from({ length: leafCount }, () => []);
    let longest = 0;
    let available = 0;
    for (let index = 0; index < slots.length; index++) {
      const slot = slots[index];
      if (slot === undefined) continue;
      longest = Math.max(longest, slot.last - slot.first);
      let touching = false;
      for (let leaf = 0; leaf < leafCount; leaf++) {
        if (slot.hits[leaf] === true) {
          candidates[leaf]?.push(index);
          touching = true;
        }
      }
      if (touching) available += slot.copies;
    }
    this.#candidates = candidates;
    this.#longest = longest;
    this.#available = available;
    this.#used = new Float64Array(slots.length);
  }

  /** Slot indices of one satisfying assignment (a slot repeats when bound more than once). */
  run(plan: Plan): number[] | undefined {
    const fewest = fewestBound(plan);
    if (fewest > this.#available || fewest > MAX_BOUND_OBSERVATIONS) return undefined;
    if (!possible(plan, (leaf) => (this.#candidates[leaf]?.length ?? 0) > 0)) return undefined;
    try {
      if (this.#earliest(plan, -Infinity) === Infinity) return undefined;
      const root: Context = { minIndex: 0, minLast: -Infinity, scopes: [] };
      return this.#solve(plan, root, () => true) ? [...this.#bound] : undefined;
    } catch (e) {
      // RangeError: the stack ran out on an assignment binding very many observations.
      if (e instanceof SearchBudgetExceeded || e instanceof RangeError) return undefined;
      throw e;
    }
  }

  #tick(): void {
    if (++this.#steps > MAX_SEARCH_STEPS) throw new SearchBudgetExceeded('search budget exceeded');
  }

  /**
   * A lower bound of the latest `first` of any assignment of the plan whose observations all end at
   * or after `minLast`, ignoring that observations must be distinct and WITHIN; Infinity when there
   * is none. Exact for chains of FOLLOWEDBY over single `[...]`, which it rejects in linear time.
   */
  #earliest(plan: Plan, minLast: number): number {
    switch (plan.kind) {
      case 'leaf': {
        const ctx: Context = { minIndex: 0, minLast, scopes: [] };
        const { candidates, start, highFirst } = this.#range(plan, ctx);
        for (let i = start; i < candidates.length; i++) {
          this.#tick();
          const slot = this.#slots[candidates[i] ?? 0];
          if (slot === undefined || !(slot.first <= highFirst && slot.first < plan.to)) break;
          if (slot.last >= plan.from && slot.last >= minLast) return slot.first;
        }
        return Infinity;
      }
      case 'and':
        return Math.max(...plan.children.map((c) => this.#earliest(c, minLast)));
      case 'or':
        return Math.min(...plan.children.map((c) => this.#earliest(c, minLast)));
      case 'followedBy': {
        let reached = -Infinity;
        for (const child of plan.children) {
          reached = Math.max(reached, this.#earliest(child, Math.max(minLast, reached)));
          if (reached === Infinity) return Infinity;
        }
        return reached;
      }
      case 'repeat':
      case 'within':
        return this.#earliest(plan.child, minLast);
    }
  }

  #solve(plan: Plan, ctx: Context, k: Continuation): boolean {
    switch (plan.kind) {
      case 'leaf':
        return this.#leaf(plan, ctx, k);
      case 'and':
        return this.#all(plan.children, 0, undefined, ctx, k);
      case 'or':
        return plan.children.some((child) => this.#solve(child, ctx, k));
      case 'followedBy':
        return this.#sequence(plan.children, 0, undefined, ctx, k);
      case 'repeat':
        return this.#repeat(plan, 0, undefined, 0, ctx, k);
      case 'within': {
        const scope: Scope = { ms: plan.ms, maxFirst: -Infinity, minLast: Infinity };
        return this.#solve(plan.child, { ...ctx, scopes: [...ctx.scopes, scope] }, k);
      }
    }
  }

  /**
   * Where a leaf's candidates can lie in this context: from `start`, and no later than a slot
   * starting after `highFirst` (candidates are in time order, so the scan stops there).
   */
  #range(plan: Plan & { kind: 'leaf' }, ctx: Context): { candidates: readonly number[]; start: number; highFirst: number } {
    const candidates = this.#candidates[plan.leaf] ?? [];
    let lowLast = Math.max(ctx.minLast, plan.from);
    let highFirst = Infinity;
    for (const s of ctx.scopes) {
      lowLast = Math.max(lowLast, s.maxFirst - s.ms);
      highFirst = Math.min(highFirst, s.minLast + s.ms);
    }
    const byIndex = lowerBound(candidates, ctx.minIndex, (i) => i);
    const byTime = lowerBound(candidates, lowLast - this.#longest, (i) => this.#slots[i]?.first ?? Infinity);
    return { candidates, start: Math.max(byIndex, byTime), highFirst };
  }

  #admits(plan: Plan & { kind: 'leaf' }, ctx: Context, slot: Slot, index: number): boolean {
    if ((this.#used[index] ?? 0) >= slot.copies) return false;
    // The slot's interval must meet [from, to): some instant t with from <= t < to.
    if (!(slot.last >= plan.from && slot.first < plan.to)) return false;
    if (!(slot.last >= ctx.minLast)) return false;
    return fitsScopes(ctx.scopes, slot);
  }

  #leaf(plan: Plan & { kind: 'leaf' }, ctx: Context, k: Continuation): boolean {
    const { candidates, start, highFirst } = this.#range(plan, ctx);
    for (let i = start; i < candidates.length; i++) {
      this.#tick();
      const index = candidates[i] ?? 0;
      const slot = this.#slots[index];
      if (slot === undefined || !(slot.first <= highFirst && slot.first < plan.to)) break;
      if (!this.#admits(plan, ctx, slot, index)) continue;
      const saved = ctx.scopes.map((s) => [s.maxFirst, s.minLast] as const);
      for (const s of ctx.scopes) {
        s.maxFirst = Math.max(s.maxFirst, slot.first);
        s.minLast = Math.min(s.minLast, slot.last);
      }
      this.#used[index] = (this.#used[index] ?? 0) + 1;
      this.#bound.push(index);
      if (k({ maxFirst: slot.first, minLast: slot.last, minIndex: index })) return true;
      this.#bound.pop();
      this.#used[index] = (this.#used[index] ?? 0) - 1;
      ctx.scopes.forEach((s, j) => {
        const [maxFirst, minLast] = saved[j] ?? [-Infinity, Infinity];
        s.maxFirst = maxFirst;
        s.minLast = minLast;
      });
    }
    return false;
  }

  #all(children: readonly Plan[], i: number, acc: Summary | undefined, ctx: Context, k: Continuation): boolean {
    const child = children[i];
    if (child === undefined) return acc !== undefined && k(acc);
    return this.#solve(child, ctx, (s) =>
      this.#all(children, i + 1, acc === undefined ? s : merge(acc, s), ctx, k),
    );
  }

  #sequence(children: readonly Plan[], i: number, acc: Summary | undefined, ctx: Context, k: Continuation): boolean {
    const child = children[i];
    if (child === undefined) return acc !== undefined && k(acc);
    // Everything already bound on the left must be placeable at or before everything on the right.
    const inner = acc === undefined ? ctx : { ...ctx, minLast: Math.max(ctx.minLast, acc.maxFirst) };
    return this.#solve(child, inner, (s) =>
      this.#sequence(children, i + 1, acc === undefined ? s : merge(acc, s), ctx, k),
    );
  }

  #repeat(
    plan: Plan & { kind: 'repeat' },
    done: number,
    acc: Summary | undefined,
    previousStart: number,
    ctx: Context,
    k: Continuation,
  ): boolean {
    if (done === plan.times) return acc !== undefined && k(acc);
    // Repetitions are interchangeable: take them in order of their earliest slot, so each one binds
    // only slots at or after the earliest slot of the one before.
    const inner: Context = { ...ctx, minIndex: Math.max(ctx.minIndex, previousStart) };
    const child = plan.child;
    const missing = plan.times - done;
    // Cut when too few candidates remain: before the first repetition, and whenever a WITHIN
    // narrows the candidates (where the cut is what keeps `REPEATS n WITHIN t` polynomial).
    if (child.kind === 'leaf' && (done === 0 || ctx.scopes.length > 0)) {
      if (this.#countAdmitted(child, inner, missing) < missing) return false;
    }
    return this.#solve(child, inner, (s) =>
      this.#repeat(plan, done + 1, acc === undefined ? s : merge(acc, s), s.minIndex, ctx, k),
    );
  }

  /** Copies a leaf could still bind in this context, counted up to `enough`. */
  #countAdmitted(plan: Plan & { kind: 'leaf' }, ctx: Context, enough: number): number {
    const { candidates, start, highFirst } = this.#range(plan, ctx);
    let count = 0;
    for (let i = start; i < candidates.length && count < enough; i++) {
      this.#tick();
      const index = candidates[i] ?? 0;
      const slot = this.#slots[index];
      if (slot === undefined || !(slot.first <= highFirst && slot.first < plan.to)) break;
      if (this.#admits(plan, ctx, slot, index)) count += slot.copies - (this.#used[index] ?? 0);
    }
    return count;
  }
}

/** First position in `sorted` whose key is >= value (keys ascending along `sorted`). */
function lowerBound(sorted: readonly number[], value: number, key: (item: number) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// Compiled patterns

function copiesOf(observation: Observation): number {
  const n = observation.numberObserved;
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1;
}

/** The observation's interval; one without a valid time could have happened at any time. */
function timesOf(observation: Observation): { first: number; last: number } {
  const a = observation.firstObserved;
  const b = observation.lastObserved;
  const aValid = Number.isFinite(a);
  const bValid = Number.isFinite(b);
  if (aValid && bValid) return { first: Math.min(a, b), last: Math.max(a, b) };
  if (aValid) return { first: a, last: a };
  if (bValid) return { first: b, last: b };
  return { first: -Infinity, last: Infinity };
}

function bySlotTime(a: { first: number; last: number }, b: { first: number; last: number }): number {
  return a.first - b.first || a.last - b.last;
}

class Engine implements CompiledPattern {
  readonly horizonMs: number;
  readonly single: boolean;
  readonly #plan: Plan;
  readonly #leaves: readonly Leaf[];
  readonly #hits = new WeakMap<Observation, readonly boolean[]>();

  constructor(pattern: Pattern) {
    const leaves: Leaf[] = [];
    this.#plan = compilePlan(pattern.expression, leaves);
    this.#leaves = leaves;
    this.horizonMs = horizonOf(pattern.expression);
    this.single = isSingle(pattern.expression);
  }

  /** Which leaves the observation satisfies (computed once per observation object). */
  hitsOf(observation: Observation): readonly boolean[] {
    let hits = this.#hits.get(observation);
    if (hits === undefined) {
      hits = this.#leaves.map((leaf) => leafHolds(leaf, observation));
      this.#hits.set(observation, hits);
    }
    return hits;
  }

  touches(observation: Observation): boolean {
    return this.hitsOf(observation).some(Boolean);
  }

  /** Whether a search could succeed given how many candidates each leaf has (a cheap necessary test). */
  mayMatch(candidatesPerLeaf: readonly number[]): boolean {
    return possible(this.#plan, (leaf) => (candidatesPerLeaf[leaf] ?? 0) > 0);
  }

  /** Slot indices of a satisfying assignment over time-sorted slots. */
  solve(slots: readonly Slot[]): number[] | undefined {
    return new Search(slots, this.#leaves.length).run(this.#plan);
  }

  match(observations: readonly Observation[]): PatternMatch | undefined {
    const entries = observations
      .map((observation, position) => ({ ...timesOf(observation), observation, position }))
      .map((e) => ({ ...e, copies: copiesOf(e.observation), hits: this.hitsOf(e.observation) }))
      .filter((e) => e.hits.some(Boolean))
      .sort((a, b) => bySlotTime(a, b) || a.position - b.position);
    const bound = this.solve(entries);
    if (bound === undefined) return undefined;
    const positions = [...new Set(bound.map((i) => entries[i]?.position ?? -1))].sort((a, b) => a - b);
    return { observations: positions.flatMap((p) => observations[p] ?? []) };
  }
}

const engines = new WeakMap<CompiledPattern, Engine>();

/** Prepare a parsed pattern for matching. */
export function compilePattern(pattern: Pattern): CompiledPattern {
  const engine = new Engine(pattern);
  const compiled: CompiledPattern = {
    match: (observations) => engine.match(observations),
    touches: (observation) => engine.touches(observation),
    horizonMs: engine.horizonMs,
    single: engine.single,
  };
  engines.set(compiled, engine);
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Sliding window

interface WindowSlot extends Slot {
  readonly observation: Observation;
  copies: number;
}

/**
 * Keeps, per pattern, the recent observations that touch it inside a sliding window and reports each
 * time the pattern becomes satisfied. Observations arrive in (roughly) time order.
 *
 * "Now" is the latest `lastObserved` seen; observations ending more than `windowMs` before it are
 * dropped, and so are late arrivals already outside the window. A reported match consumes what it
 * bound (one copy per binding of an observation with number_observed > 1), so each observation
 * contributes to at most as many reports as it has copies: `[a] REPEATS 3 TIMES` reports on the
 * 3rd, 6th, 9th... matching observation, not on every one after the 3rd.
 */
export class PatternWindow {
  readonly #pattern: CompiledPattern;
  readonly #engine: Engine | undefined;
  readonly #windowMs: number;
  readonly #maxObservations: number;
  #slots: WindowSlot[] = [];
  /** How many kept observations satisfy each leaf `[...]`. */
  readonly #perLeaf: number[] = [];
  #now = -Infinity;

  constructor(pattern: CompiledPattern, options?: PatternWindowOptions) {
    const windowMs = options?.windowMs ?? (Number.isFinite(pattern.horizonMs) ? Math.min(pattern.horizonMs, HOUR_MS) : HOUR_MS);
    const maxObservations = options?.maxObservations ?? DEFAULT_MAX_OBSERVATIONS;
    if (!(windowMs >= 0)) throw new RangeError(`windowMs must be a number >= 0, got ${String(windowMs)}`);
    if (!Number.isInteger(maxObservations) || maxObservations < 1) {
      throw new RangeError(`maxObservations must be an integer >= 1, got ${String(maxObservations)}`);
    }
    this.#pattern = pattern;
    this.#engine = engines.get(pattern);
    this.#windowMs = windowMs;
    this.#maxObservations = maxObservations;
  }

  /** Observations currently kept (each once). */
  get size(): number {
    return this.#slots.length;
  }

  /** Adds one observation; returns the match it completes, if any. Observations older than the window are dropped. */
  push(observation: Observation): PatternMatch | undefined {
    const { first, last } = timesOf(observation);
    if (!Number.isFinite(first) || !Number.isFinite(last)) return undefined;
    this.#now = Math.max(this.#now, last);
    const cutoff = this.#now - this.#windowMs;
    this.#evict(cutoff);
    if (last < cutoff || !this.#pattern.touches(observation)) return undefined;

    const hits = this.#engine?.hitsOf(observation) ?? [];
    const slot: WindowSlot = { observation, first, last, copies: copiesOf(observation), hits };
    let at = this.#slots.length;
    while (at > 0 && bySlotTime(this.#slots[at - 1] ?? slot, slot) > 0) at--;
    this.#slots.splice(at, 0, slot);
    this.#count(slot, 1);
    if (this.#slots.length > this.#maxObservations) {
      for (const dropped of this.#slots.splice(0, this.#slots.length - this.#maxObservations)) this.#count(dropped, -1);
    }

    return this.#engine === undefined ? this.#matchForeign() : this.#matchOwn(this.#engine);
  }

  #count(slot: Slot, delta: number): void {
    slot.hits.forEach((hit, leaf) => {
      if (hit) this.#perLeaf[leaf] = (this.#perLeaf[leaf] ?? 0) + delta;
    });
  }

  #evict(cutoff: number): void {
    // Slots are sorted by first; only those starting before the cutoff can end before it.
    let end = 0;
    while (end < this.#slots.length && (this.#slots[end]?.first ?? Infinity) < cutoff) end++;
    if (end === 0) return;
    const head = this.#slots.slice(0, end);
    const kept = head.filter((s) => s.last >= cutoff);
    for (const s of head) if (s.last < cutoff) this.#count(s, -1);
    this.#slots.splice(0, end, ...kept);
  }

  #matchOwn(engine: Engine): PatternMatch | undefined {
    // Most pushes leave some leaf without candidates: skip the search then.
    if (!engine.mayMatch(this.#perLeaf)) return undefined;
    const bound = engine.solve(this.#slots);
    if (bound === undefined) return undefined;
    const used = new Map<number, number>();
    for (const i of bound) used.set(i, (used.get(i) ?? 0) + 1);
    const observations: Observation[] = [];
    for (const [i, n] of [...used].sort((a, b) => a[0] - b[0])) {
      const slot = this.#slots[i];
      if (slot === undefined) continue;
      observations.push(slot.observation);
      slot.copies -= n;
      if (slot.copies <= 0) this.#count(slot, -1);
    }
    this.#slots = this.#slots.filter((s) => s.copies > 0);
    return { observations };
  }

  /** A CompiledPattern from elsewhere: match through its public API, consuming whole observations. */
  #matchForeign(): PatternMatch | undefined {
    const result = this.#pattern.match(this.#slots.map((s) => s.observation));
    if (result === undefined) return undefined;
    const consumed = new Set(result.observations);
    this.#slots = this.#slots.filter((s) => !consumed.has(s.observation));
    return result;
  }
}
