/**
 * From an indicator's STIX pattern to what the detection index keeps: the observable values it
 * names (exact keys and address prefixes) and, when the pattern needs more than one value to
 * hold, the compiled pattern that decides a match. Pure.
 */
import type { ComparisonExpression, ObjectPath, ObservationExpression, Pattern, PrimitiveLiteral } from '../../stix/pattern/index.js';
import { parsePattern } from '../../stix/pattern/index.js';
import { hashFormatFor, isValidHash, type HashFormat } from '../../stix/pattern/hashes.js';
import { normalise, parseCidr, type Cidr, type ObservableKind } from '../../stix/observable.js';

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
  if (names) return kindOfNames(path.objectType, names);
  // HTTP header values are lists of strings (STIX 2.1 6.12.2): `...request_header.'User-Agent'[*]`
  // names each of them.
  const steps = path.steps;
  if (steps.length < 2 || steps[steps.length - 1]?.kind !== 'anyIndex') return undefined;
  const listNames = propertyNames({ objectType: path.objectType, steps: steps.slice(0, -1) });
  const kind = listNames && kindOfNames(path.objectType, listNames);
  return kind === 'user-agent' ? kind : undefined;
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
// with one regular expression rather than the full parser: rebuilding the index from a million
// of them is then mostly spent on the values. Anything else goes to the full path, and both give
// the same result (detect.compile.test.ts compares them).

/**
 * `[type:name(.name)* = 'value']` or `... ISSUBSET 'value'`: names plain words or quoted without
 * escapes, spaces only between tokens, the value with no escape but \' and \\. (A word followed by
 * '-' or a quote would be another token, and does not match.)
 */
const SINGLE_COMPARISON = /^\[ *([A-Za-z_][A-Za-z0-9_-]*):((?:[A-Za-z_]\w*|'[^'\\]*')(?:\.(?:[A-Za-z_]\w*|'[^'\\]*'))*)(?: *(=) *| +ISSUBSET +)'((?:[^'\\]|\\['\\])*)' *\] *$/;
const PATH_NAME = /[A-Za-z_]\w*|'[^'\\]*'/g;
const ESCAPE = /\\(['\\])/g;

/** Words the lexer takes for keywords or booleans (in either spec version), never for names. */
const RESERVED = new Set(['AND', 'OR', 'NOT', 'FOLLOWEDBY', 'LIKE', 'MATCHES', 'ISSUPERSET', 'ISSUBSET', 'EXISTS', 'LAST', 'IN', 'START', 'STOP', 'SECONDS', 'WITHIN', 'REPEATS', 'TIMES', 'true', 'false']);

/** What a path's text means to the index: its kind, and the format the parser demands of a hash value there. */
interface PathRule {
  readonly kind: PathKind | undefined;
  readonly hash: HashFormat | undefined;
}

/** Rules by object type, then path text: a store holds few distinct paths (bounded all the same). */
const pathRules = new Map<string, Map<string, PathRule>>();
let pathRuleCount = 0;
const MAX_PATH_RULES = 1024;

function pathRule(objectType: string, pathText: string): PathRule {
  let byPath = pathRules.get(objectType);
  let rule = byPath?.get(pathText);
  if (rule !== undefined) return rule;
  const names: string[] = [];
  let reserved = false;
  for (const [name] of pathText.matchAll(PATH_NAME)) {
    if (name.startsWith("'")) names.push(name.slice(1, -1));
    else {
      reserved ||= RESERVED.has(name);
      names.push(name);
    }
  }
  const hashes = names.indexOf('hashes');
  rule = {
    kind: reserved ? undefined : kindOfNames(objectType, names),
    hash: hashes >= 0 && hashes < names.length - 1 ? hashFormatFor(names[names.length - 1]!) : undefined,
  };
  if (pathRuleCount >= MAX_PATH_RULES) {
    pathRules.clear();
    pathRuleCount = 0;
    byPath = undefined;
  }
  if (byPath === undefined) pathRules.set(objectType, (byPath = new Map()));
  byPath.set(pathText, rule);
  pathRuleCount++;
  return rule;
}

/** The index's view of a pattern of the common shape (SINGLE_COMPARISON) that names a value; undefined for any other text. */
export function compileSingleComparison(text: string): CompiledIndicator | undefined {
  const match = SINGLE_COMPARISON.exec(text);
  if (match === null) return undefined;
  const rule = pathRule(match[1]!, match[2]!);
  if (rule.kind === undefined) return undefined;
  const subset = match[3] === undefined;
  const literal = match[4]!;
  const value = literal.includes('\\') ? literal.replace(ESCAPE, '$1') : literal;
  // The parser refuses a malformed value for a known hash algorithm.
  if (!subset && rule.hash !== undefined && !isValidHash(rule.hash, value)) return undefined;
  const mentions = mentionsOf(rule.kind, value, subset);
  return mentions.length === 0 ? undefined : { mentions, simple: true, anchored: true };
}
