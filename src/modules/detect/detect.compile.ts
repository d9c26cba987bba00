/**
 * From an indicator's STIX pattern to what the detection index keeps: the observable values it
 * names (exact keys and address prefixes) and, when the pattern needs more than one value to
 * hold, the compiled pattern that decides a match. Pure.
 */
import type { ComparisonExpression, ObjectPath, ObservationExpression, Pattern, PrimitiveLiteral } from '../../stix/pattern/index.js';
import { parsePattern } from '../../stix/pattern/index.js';
import { hashFormatFor, isValidHash } from '../../stix/pattern/hashes.js';
import { normalise, parseCidr, type Cidr, type ObservableKind } from './observable.js';

/** Hash algorithm names as STIX writes them (hashing-algorithm-ov), read without case and hyphens. */
const HASH_KINDS: Readonly<Record<string, ObservableKind>> = {
  MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512', SHA3256: 'sha3-256', SHA3512: 'sha3-512', SSDEEP: 'ssdeep', TLSH: 'tlsh',
};

function propertyNames(path: ObjectPath): string[] | undefined {
  const names: string[] = [];
  for (const step of path.steps) {
    if (step.kind !== 'property') return undefined;
    names.push(step.name);
  }
  return names;
}

/**
 * The observable kind an object path holds, when the index knows it: `ipv4-addr:value`,
 * `file:hashes.'SHA-256'`, `network-traffic:dst_ref.value`, the HTTP User-Agent header, etc.
 */
/** An observable kind, or 'ip' for paths that hold either an IPv4 or an IPv6 address. */
export type PathKind = ObservableKind | 'ip';

export function kindOfPath(path: ObjectPath): PathKind | undefined {
  const names = propertyNames(path);
  return names && kindOfNames(path.objectType, names);
}

function kindOfNames(objectType: string, names: readonly string[]): PathKind | undefined {
  const joined = names.join('.');
  switch (objectType) {
    case 'ipv4-addr':
      return joined === 'value' ? 'ipv4' : undefined;
    case 'ipv6-addr':
      return joined === 'value' ? 'ipv6' : undefined;
    case 'domain-name':
      return joined === 'value' ? 'domain' : undefined;
    case 'url':
      return joined === 'value' ? 'url' : undefined;
    case 'email-addr':
      return joined === 'value' ? 'email' : undefined;
    case 'email-message':
      return /^(from_ref|sender_ref)\.value$/.test(joined) ? 'email' : undefined;
    case 'mutex':
      return joined === 'name' ? 'mutex' : undefined;
    case 'windows-registry-key':
      return joined === 'key' ? 'registry-key' : undefined;
    case 'mac-addr':
      return joined === 'value' ? 'mac' : undefined;
    case 'autonomous-system':
      return joined === 'number' ? 'asn' : undefined;
    case 'directory':
      return joined === 'path' ? 'file-path' : undefined;
    case 'file':
    case 'artifact':
    case 'x509-certificate':
      if (names.length === 2 && names[0] === 'hashes') return HASH_KINDS[names[1]!.toUpperCase().replace(/-/g, '')];
      if (objectType === 'file' && joined === 'name') return 'file-name';
      if (objectType === 'file' && joined === 'parent_directory_ref.path') return 'file-path';
      return undefined;
    case 'network-traffic':
      if (/^(src|dst)_ref\.value$/.test(joined)) return 'ip';
      if (names.length === 4 && names[0] === 'extensions' && names[1] === 'http-request-ext' && names[2] === 'request_header' && names[3]!.toLowerCase() === 'user-agent') return 'user-agent';
      return undefined;
    default:
      return undefined;
  }
}

/** A value an indicator names: an exact key, or an address prefix. */
export type Mention = { kind: ObservableKind; value: string } | { cidr: Cidr };

/** What the index keeps of one indicator's pattern. */
export interface CompiledIndicator {
  /** The values the pattern names positively (=, IN, ISSUBSET on a known kind). */
  readonly mentions: readonly Mention[];
  /**
   * True when one mentioned value seen is a match by itself: a single observation, no
   * qualifiers, only ORs of such comparisons.
   */
  readonly simple: boolean;
  /** False when some observation of the pattern can be satisfied without naming a known value. */
  readonly anchored: boolean;
  /** The parsed pattern, kept only when it is not simple (the evaluator needs it). */
  readonly pattern?: Pattern;
}

export type CompileResult = { ok: true; indicator: CompiledIndicator } | { ok: false; reason: string };

function literalText(literal: PrimitiveLiteral): string | undefined {
  return literal.kind === 'string' ? literal.value : literal.kind === 'integer' ? literal.text : undefined;
}

/** The mentions of one `path op value` for a known kind; undefined when it names none. */
function mentionsOf(kind: PathKind, text: string, subset: boolean): Mention[] {
  if (kind === 'ipv4' || kind === 'ipv6' || kind === 'ip') {
    if (subset || text.includes('/')) {
      const cidr = parseCidr(text);
      if (!cidr) return [];
      const full = cidr.version === 4 ? 32 : 128;
      if (cidr.prefix < full) return [{ cidr }];
    }
    const bare = text.includes('/') ? text.slice(0, text.indexOf('/')) : text;
    const v4 = normalise('ipv4', bare);
    if (v4 !== undefined) return [{ kind: 'ipv4', value: v4 }];
    const v6 = normalise('ipv6', bare);
    return v6 !== undefined ? [{ kind: 'ipv6', value: v6 }] : [];
  }
  if (subset) return [];
  const value = normalise(kind, text);
  return value === undefined ? [] : [{ kind, value }];
}

/** What an expression (comparison or observation) contributes to the index. */
interface Summary {
  mentions: Mention[];
  /** Every way of satisfying the expression names a mentioned value. */
  anchored: boolean;
  /** Only ORs of positive comparisons of known kinds, each naming a value. */
  simple: boolean;
}

function summariseComparison(expr: ComparisonExpression): Summary {
  switch (expr.kind) {
    case 'comparisonGroup':
      return summariseComparison(expr.expression);
    case 'exists':
      return { mentions: [], anchored: false, simple: false };
    case 'comparison': {
      const kind = kindOfPath(expr.path);
      if (kind === undefined || expr.negated) return { mentions: [], anchored: false, simple: false };
      let mentions: Mention[] = [];
      if (expr.operator === '=') {
        const text = literalText(expr.value);
        if (text !== undefined) mentions = mentionsOf(kind, text, false);
      } else if (expr.operator === 'IN') {
        for (const literal of expr.value.values) {
          const text = literalText(literal);
          const found = text === undefined ? [] : mentionsOf(kind, text, false);
          if (found.length === 0) return { mentions, anchored: false, simple: false };
          mentions.push(...found);
        }
      } else if (expr.operator === 'ISSUBSET') {
        mentions = mentionsOf(kind, expr.value.value, true);
      }
      const anchored = mentions.length > 0;
      return { mentions, anchored, simple: anchored };
    }
    case 'comparisonBinary': {
      const parts = expr.operands.map(summariseComparison);
      const mentions = parts.flatMap((p) => p.mentions);
      if (expr.operator === 'OR') {
        const all = parts.every((p) => p.anchored);
        return { mentions, anchored: all, simple: all && parts.every((p) => p.simple) };
      }
      // AND: one anchored operand is enough to anchor the whole; never simple.
      return { mentions, anchored: parts.some((p) => p.anchored), simple: false };
    }
  }
}

function summariseObservation(expr: ObservationExpression): Summary {
  switch (expr.kind) {
    case 'observation':
      return summariseComparison(expr.comparison);
    case 'observationGroup':
      return summariseObservation(expr.expression);
    case 'qualified': {
      const inner = summariseObservation(expr.expression);
      return { ...inner, simple: false };
    }
    case 'observationBinary': {
      const parts = expr.operands.map(summariseObservation);
      // Every observation the pattern binds must satisfy some leaf: all leaves need an anchor.
      return { mentions: parts.flatMap((p) => p.mentions), anchored: parts.every((p) => p.anchored), simple: false };
    }
  }
}

/** Compiles an indicator's pattern (pattern_type stix) for the index. */
export function compileIndicator(patternText: string, specVersion: '2.0' | '2.1' = '2.1'): CompileResult {
  const single = compileSingleComparison(patternText);
  return single === undefined ? compileParsed(patternText, specVersion) : { ok: true, indicator: single };
}

/** compileIndicator through the full pattern parser, whatever the pattern's shape. */
export function compileParsed(patternText: string, specVersion: '2.0' | '2.1'): CompileResult {
  const parsed = parsePattern(patternText, { specVersion });
  if (!parsed.ok) return { ok: false, reason: `pattern does not parse: ${parsed.error.message}` };
  const summary = summariseObservation(parsed.pattern.expression);
  const seen = new Set<string>();
  const mentions: Mention[] = [];
  for (const mention of summary.mentions) {
    const key = 'kind' in mention ? `${mention.kind} ${mention.value}` : `${mention.cidr.version}/${Buffer.from(mention.cidr.bytes).toString('hex')}/${mention.cidr.prefix}`;
    if (seen.has(key)) continue;
    seen.add(key);
    mentions.push(mention);
  }
  const simple = summary.simple && mentions.length > 0;
  return { ok: true, indicator: { mentions, simple, anchored: summary.anchored, ...(simple ? {} : { pattern: parsed.pattern }) } };
}

// The shape of most indicators, `[type:path = 'value']` (or ISSUBSET 'prefix'), is read here
// without the full parser: rebuilding the index from a million of them is then mostly spent
// on the values. Anything else, or anything this reader is unsure of, goes to the full path,
// and both give the same result (detect.compile.test.ts compares them).

const SPACE = 32;
const QUOTE = 39;
const BACKSLASH = 92;

/** Words the lexer takes for keywords or booleans (in either spec version), never for names. */
const RESERVED = new Set(['AND', 'OR', 'NOT', 'FOLLOWEDBY', 'LIKE', 'MATCHES', 'ISSUPERSET', 'ISSUBSET', 'EXISTS', 'LAST', 'IN', 'START', 'STOP', 'SECONDS', 'WITHIN', 'REPEATS', 'TIMES', 'true', 'false']);

function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isWordPart(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57);
}

function skipSpaces(text: string, at: number): number {
  while (text.charCodeAt(at) === SPACE) at++;
  return at;
}

/**
 * The index's view of `[type:name(.name)* = 'value']` or `... ISSUBSET 'value'` (names plain
 * words or quoted; spaces only between tokens; the value may hold \' and \\), when it names a
 * value; undefined for any other text.
 */
export function compileSingleComparison(text: string): CompiledIndicator | undefined {
  if (text.charCodeAt(0) !== 91) return undefined;
  let at = skipSpaces(text, 1);
  const typeStart = at;
  if (!isWordStart(text.charCodeAt(at))) return undefined;
  at++;
  for (let c = text.charCodeAt(at); isWordPart(c) || c === 45; c = text.charCodeAt(++at));
  const objectType = text.slice(typeStart, at);
  if (text.charCodeAt(at) !== 58) return undefined;
  at++;
  const names: string[] = [];
  for (;;) {
    const c = text.charCodeAt(at);
    if (c === QUOTE) {
      const close = text.indexOf("'", at + 1);
      if (close < 0) return undefined;
      const name = text.slice(at + 1, close);
      if (name.includes('\\')) return undefined;
      names.push(name);
      at = close + 1;
    } else if (isWordStart(c)) {
      const start = at;
      at++;
      while (isWordPart(text.charCodeAt(at))) at++;
      const after = text.charCodeAt(at);
      // A hyphen makes another token kind; t'..', h'..', b'..' are literals.
      if (after === 45 || after === QUOTE) return undefined;
      const name = text.slice(start, at);
      if (RESERVED.has(name)) return undefined;
      names.push(name);
    } else {
      return undefined;
    }
    if (text.charCodeAt(at) !== 46) break;
    at++;
  }
  const pathEnd = at;
  at = skipSpaces(text, at);
  let subset = false;
  if (text.charCodeAt(at) === 61) {
    if (text.charCodeAt(at + 1) === 61) return undefined;
    at++;
  } else if (at > pathEnd && text.startsWith('ISSUBSET', at) && text.charCodeAt(at + 8) === SPACE) {
    subset = true;
    at += 8;
  } else {
    return undefined;
  }
  at = skipSpaces(text, at);
  if (text.charCodeAt(at) !== QUOTE) return undefined;
  at++;
  let value = '';
  let segment = at;
  for (;;) {
    if (at >= text.length) return undefined;
    const c = text.charCodeAt(at);
    if (c === QUOTE) break;
    if (c === BACKSLASH) {
      const escaped = text.charCodeAt(at + 1);
      if (escaped !== QUOTE && escaped !== BACKSLASH) return undefined;
      value += text.slice(segment, at);
      segment = at + 1;
      at += 2;
      continue;
    }
    at++;
  }
  value += text.slice(segment, at);
  at = skipSpaces(text, at + 1);
  if (text.charCodeAt(at) !== 93 || skipSpaces(text, at + 1) !== text.length) return undefined;
  const kind = kindOfNames(objectType, names);
  if (kind === undefined) return undefined;
  if (!subset && names.length > 1 && names.indexOf('hashes') >= 0 && names.indexOf('hashes') < names.length - 1) {
    // The parser refuses a malformed value for a known hash algorithm.
    const format = hashFormatFor(names[names.length - 1]!);
    if (format !== undefined && !isValidHash(format, value)) return undefined;
  }
  const mentions = mentionsOf(kind, value, subset);
  return mentions.length === 0 ? undefined : { mentions, simple: true, anchored: true };
}
