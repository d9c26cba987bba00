/**
 * Comparison expressions (`[...]` contents): values selected by object paths, bytes, the
 * comparison rules table, LIKE and MATCHES, IP networks, and the tests on one root SCO.
 */
import type { ComparisonExpression, Comparison, PathStep, PrimitiveLiteral } from '../ast.js';
import { compileLike, compileMatches, MAX_COMPARED_LENGTH, type TextMatcher } from '../regex.js';
import { compareTimestamps, timestampProblem } from '../timestamp.js';
import type { Observation } from './api.js';

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

export function compileComparison(expr: ComparisonExpression, types: Set<string>): ObjectTest {
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

export interface Leaf {
  readonly types: ReadonlySet<string>;
  readonly test: ObjectTest;
}

export function leafHolds(leaf: Leaf, observation: Observation): boolean {
  const objects = observation.objects;
  for (const object of objects.values()) {
    if (!isRecord(object)) continue;
    const type = object.type;
    if (typeof type === 'string' && leaf.types.has(type) && leaf.test(object, objects)) return true;
  }
  return false;
}
