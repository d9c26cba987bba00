/**
 * STIX 2.1 object validation (spec sections 2-7 and 11), hand-written for speed: one pass over
 * the object's properties with per-type tables built once at module load, precompiled regular
 * expressions, and no allocation on the happy path beyond the result itself.
 *
 * Severity follows the spec's keywords: a broken MUST is an error, a broken SHOULD (or an open
 * vocabulary value outside the suggested list) is a warning.
 */
import { parsePattern } from './pattern/index.js';
import { patternRegexIssues } from './pattern/regex.js';
import { computeScoId, ID_CONTRIBUTING_PROPERTIES } from './sco-id.js';
import { compareTimestamps, timestampFractionDigits, timestampProblem } from './timestamp.js';
import { META_TYPES, SCO_TYPES, SDO_TYPES, SRO_TYPES, stixCategory } from './types.js';
import type { StixCategory, StixObject } from './types.js';
import { isStix20Object, upgradeToStix21 } from './upgrade.js';
import {
  ACCOUNT_TYPE_OV, ATTACK_MOTIVATION_OV, ATTACK_RESOURCE_LEVEL_OV, ENCRYPTION_ALGORITHM_ENUM, EXTENSION_TYPE_ENUM,
  GROUPING_CONTEXT_OV, HASH_ALGORITHM_OV, HASH_NAME_BY_NORMALISED, HASH_VALUE_FORMATS, IDENTITY_CLASS_OV,
  IMPLEMENTATION_LANGUAGE_OV, INDICATOR_TYPE_OV, INDUSTRY_SECTOR_OV, INFRASTRUCTURE_TYPE_OV, MALWARE_CAPABILITIES_OV,
  MALWARE_RESULT_OV, MALWARE_TYPE_OV, NETWORK_SOCKET_ADDRESS_FAMILY_ENUM, NETWORK_SOCKET_TYPE_ENUM, OPINION_ENUM,
  PATTERN_TYPE_OV, PROCESSOR_ARCHITECTURE_OV, REGION_OV, REPORT_TYPE_OV, RESERVED_PROPERTY_NAMES,
  THREAT_ACTOR_ROLE_OV, THREAT_ACTOR_SOPHISTICATION_OV, THREAT_ACTOR_TYPE_OV, TLP_V1_MARKING_IDS,
  TLP_V2_EXTENSION_ID, TLP_V2_LEVELS, TLP_V2_MARKING_IDS, TOOL_TYPE_OV, WINDOWS_INTEGRITY_LEVEL_ENUM,
  WINDOWS_PEBINARY_TYPE_OV, WINDOWS_REGISTRY_DATATYPE_ENUM, WINDOWS_SERVICE_START_TYPE_ENUM,
  WINDOWS_SERVICE_STATUS_ENUM, WINDOWS_SERVICE_TYPE_ENUM,
} from './vocab.js';
import type { Vocabulary } from './vocab.js';

// =============================================================================================
// Public API
// =============================================================================================

export interface StixIssue {
  /** The object's id, when it could be read. */
  id?: string;
  /** JSON path relative to the object, e.g. `$.valid_from` or `$.external_references[0].source_name`. */
  path: string;
  /** Short stable rule code, e.g. 'required', 'timestamp-format', 'ref-type'. */
  rule: string;
  /** What is wrong and how to fix it. */
  message: string;
}

export interface ValidateOptions {
  /** The bundle's declared version, applied when the object has no spec_version. */
  specVersion?: '2.0' | '2.1';
  /** Reject objects whose UTF-8 JSON serialisation is larger than this. */
  maxObjectBytes?: number;
  /** Accept custom object types and custom properties (default true). */
  allowCustom?: boolean;
}

export type ValidationResult =
  | { ok: true; object: StixObject; warnings: StixIssue[]; upgraded: string[] }
  | { ok: false; errors: StixIssue[] };

/** Re-roots object-relative issue paths ('$.x') under a bundle position (e.g. '$.objects[3]'). */
export function withPathPrefix(issues: readonly StixIssue[], prefix: string): StixIssue[] {
  return issues.map((issue) => ({ ...issue, path: prefix + issue.path.slice(1) }));
}

// =============================================================================================
// Validation context
// =============================================================================================

type Json = Record<string, unknown>;

class Context {
  readonly errors: StixIssue[] = [];
  readonly warnings: StixIssue[] = [];
  id: string | undefined = undefined;
  type = '';
  category: StixCategory | undefined = undefined;
  custom = false;
  /** Set when created / modified passed their own checks, so ordering can compare them directly. */
  createdValid = false;
  modifiedValid = false;
  root: Json;
  readonly allowCustom: boolean;
  /** Memo of "does the object declare a toplevel-property-extension" (undefined = not computed). */
  private toplevelExtension: boolean | undefined = undefined;

  constructor(root: Json, allowCustom: boolean) {
    this.root = root;
    this.allowCustom = allowCustom;
  }

  error(path: string, rule: string, message: string): void {
    this.errors.push(this.id === undefined ? { path, rule, message } : { id: this.id, path, rule, message });
  }

  warn(path: string, rule: string, message: string): void {
    this.warnings.push(this.id === undefined ? { path, rule, message } : { id: this.id, path, rule, message });
  }

  declaresToplevelExtension(): boolean {
    if (this.toplevelExtension === undefined) {
      this.toplevelExtension = false;
      const extensions = this.root['extensions'];
      if (isPlainObject(extensions)) {
        for (const key in extensions) {
          const ext = extensions[key];
          if (isPlainObject(ext) && ext['extension_type'] === 'toplevel-property-extension') this.toplevelExtension = true;
        }
      }
    }
    return this.toplevelExtension;
  }
}

/** Checks one property value. `path` is the value's JSON path; `parent` is the object holding it. */
type Check = (c: Context, value: unknown, path: string, parent: Json) => void;

// =============================================================================================
// Primitive helpers
// =============================================================================================

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

const SIMPLE_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function childPath(parent: string, key: string): string {
  return SIMPLE_KEY_RE.test(key) ? `${parent}.${key}` : `${parent}['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

function typeError(c: Context, path: string, expected: string, value: unknown): void {
  c.error(path, 'value-type', `Must be ${expected}, but is ${describeJson(value)}. Replace it with ${expected}.`);
}

function lastKey(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot >= 0 ? path.slice(dot + 1) : path;
}

// =============================================================================================
// Regular expressions (compiled once)
// =============================================================================================

const TYPE_NAME_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const UUID_SOURCE = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}';
const UUID_SHAPE_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Custom and extension property names (11.1.1, 7.3.2): ASCII a-z, 0-9, '_', 3-250 chars, starting with a letter (3.1). */
const PROPERTY_NAME_RE = /^[a-z][a-z0-9_]{2,249}$/;
const DICTIONARY_KEY_RE = /^[A-Za-z0-9_-]{1,250}$/;
const HASH_KEY_RE = /^[A-Za-z0-9_-]{3,250}$/;
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAC_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4_CIDR_RE = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}(?:/(?:3[0-2]|[12]?[0-9]))?$`);
const IPV4_RE = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const HEX_GROUP_RE = /^[0-9a-fA-F]{1,4}$/;
const RELATIONSHIP_TYPE_RE = /^[a-z0-9-]{1,250}$/;
const KILL_CHAIN_TERM_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const OPEN_VOCAB_TERM_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const URL_RE = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;
const DOMAIN_RE = /^(?=.{1,253}\.?$)(?:(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\.)*(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\.?$/;
const CPE23_RE = /^cpe:2\.3:[aho*-]:/;
const COUNTRY_RE = /^[A-Za-z]{2}$/;
const SELECTOR_INDEX_RE = /^\[(0|[1-9][0-9]*)\]$/;
const CAPEC_ID_RE = /^CAPEC-[0-9]+$/;
const CUSTOM_EXTENSION_NAME_RE = /^[a-z0-9-]{3,250}$/;
const REGISTRY_ABBREVIATED_HIVE_RE = /^(?:HKLM|HKCU|HKCR|HKU|HKCC|HKPD)(?:\\|$)/i;
const EXTENSION_DEFINITION_ID_RE = new RegExp(`^extension-definition--${UUID_SOURCE}$`);

function isHexCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
}

/**
 * Length of the type part when `value` is a STIX identifier (2.9): <type>--<UUID>, the type
 * lowercase a-z/0-9 with single inner hyphens, the UUID of the RFC 4122 variant with version
 * 1-8. -1 otherwise. Hand-written: this runs for every id and reference.
 */
function identifierTypeLength(value: string): number {
  const typeLength = value.length - 38;
  if (typeLength < 1) return -1;
  if (value.charCodeAt(typeLength) !== 45 || value.charCodeAt(typeLength + 1) !== 45) return -1;
  let previous = value.charCodeAt(0);
  if (previous < 97 || previous > 122) return -1;
  for (let i = 1; i < typeLength; i++) {
    const code = value.charCodeAt(i);
    if (code === 45) {
      if (previous === 45) return -1;
    } else if (!((code >= 97 && code <= 122) || (code >= 48 && code <= 57))) {
      return -1;
    }
    previous = code;
  }
  if (previous === 45) return -1;
  const start = typeLength + 2;
  for (let i = 0; i < 36; i++) {
    const code = value.charCodeAt(start + i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (code !== 45) return -1;
    } else if (!isHexCode(code)) {
      return -1;
    }
  }
  const version = value.charCodeAt(start + 14);
  if (version < 49 || version > 56) return -1;
  const variant = value.charCodeAt(start + 19);
  if (variant !== 56 && variant !== 57 && variant !== 97 && variant !== 98 && variant !== 65 && variant !== 66) return -1;
  return typeLength;
}

function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && identifierTypeLength(value) > 0;
}

function hasUppercaseHex(value: string, from: number): boolean {
  for (let i = from; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 65 && code <= 70) return true;
  }
  return false;
}

// RFC 5646 language tags: langtag, private use, and the irregular grandfathered tags.
const LANGTAG_RE = new RegExp(
  '^(?:' +
    '(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})' +
    '(?:-[A-Za-z]{4})?' +
    '(?:-(?:[A-Za-z]{2}|[0-9]{3}))?' +
    '(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*' +
    '(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*' +
    '(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?' +
    '|[Xx](?:-[A-Za-z0-9]{1,8})+' +
    '|en-GB-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)' +
    '|sgn-(?:BE-FR|BE-NL|CH-DE)' +
  ')$',
);

// =============================================================================================
// Value checks
// =============================================================================================

const checkString: Check = (c, v, path) => {
  if (typeof v !== 'string') typeError(c, path, 'a string', v);
};

const checkBoolean: Check = (c, v, path) => {
  if (typeof v !== 'boolean') typeError(c, path, 'a boolean (true or false)', v);
};

function integer(min?: number, max?: number): Check {
  const range =
    min !== undefined && max !== undefined ? `an integer from ${min} to ${max}` : min !== undefined ? `an integer >= ${min}` : 'an integer';
  return (c, v, path) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      if (typeof v === 'number' && Number.isInteger(v)) {
        c.error(path, 'range', `${v} does not fit a signed 54-bit integer (2.10). Use a value within +/-(2^53-1).`);
      } else {
        typeError(c, path, range, v);
      }
      return;
    }
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
      c.error(path, 'range', `${v} is out of range: must be ${range}.`);
    }
  };
}

function float(min?: number, max?: number): Check {
  return (c, v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      typeError(c, path, 'a number', v);
      return;
    }
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
      c.error(path, 'range', `${v} is out of range: must be ${max === undefined ? `at least ${min}` : `between ${min} and ${max} inclusive`}.`);
    }
  };
}

const checkTimestamp: Check = (c, v, path) => {
  if (typeof v !== 'string') {
    typeError(c, path, 'a timestamp string such as "2016-01-20T12:31:12.123Z"', v);
    return;
  }
  if (timestampFractionDigits(v) < 0) {
    c.error(path, 'timestamp-format', `The timestamp ${JSON.stringify(v)} ${timestampProblem(v) ?? 'is invalid'}.`);
  }
};

/** created / modified: a timestamp with at least millisecond precision (3.2). */
const checkVersionTimestamp: Check = (c, v, path, parent) => {
  if (typeof v !== 'string') {
    typeError(c, path, 'a timestamp string such as "2016-01-20T12:31:12.123Z"', v);
    return;
  }
  const digits = timestampFractionDigits(v);
  if (digits < 0) {
    c.error(path, 'timestamp-format', `The timestamp ${JSON.stringify(v)} ${timestampProblem(v) ?? 'is invalid'}.`);
  } else if (parent !== c.root) {
    return;
  } else {
    if (path === '$.created') c.createdValid = true;
    else if (path === '$.modified') c.modifiedValid = true;
    if (digits >= 3 || c.category === 'sco') return;
    c.error(
      path,
      'timestamp-precision',
      `${lastKey(path)} must be precise to at least the millisecond (three digits after the decimal point, 3.2): write ${JSON.stringify(v)} as ${JSON.stringify(`${v.slice(0, 19)}.${(v.length > 20 ? v.slice(20, -1) : '').padEnd(3, '0')}Z`)}.`,
    );
  }
};

const checkHex: Check = (c, v, path) => {
  if (typeof v !== 'string') return typeError(c, path, 'a hex string', v);
  if (!HEX_RE.test(v)) {
    c.error(path, 'value-format', `${JSON.stringify(v)} is not hex: use an even number of characters 0-9 and a-f (2.8).`);
  }
};

const checkBinary: Check = (c, v, path) => {
  if (typeof v !== 'string') return typeError(c, path, 'a base64 string', v);
  if (!BASE64_RE.test(v)) {
    c.error(path, 'value-format', 'Not valid base64 (RFC 4648, 2.1): use the standard alphabet A-Z a-z 0-9 + / with = padding and no whitespace.');
  }
};

const checkLanguage: Check = (c, v, path) => {
  if (typeof v !== 'string') return typeError(c, path, 'an RFC 5646 language tag such as "en" or "de-CH"', v);
  if (!LANGTAG_RE.test(v)) c.error(path, 'lang', `${JSON.stringify(v)} is not an RFC 5646 language tag; use a code such as "en", "fr" or "zh-Hant".`);
};

function listOf(item: Check, itemDescription: string): Check {
  return (c, v, path, parent) => {
    if (!Array.isArray(v)) return typeError(c, path, `a list of ${itemDescription}`, v);
    if (v.length === 0) {
      c.error(path, 'empty-list', 'Empty lists are prohibited (2.12): remove the property or give it at least one value.');
      return;
    }
    for (let i = 0; i < v.length; i++) item(c, v[i], `${path}[${i}]`, parent);
  };
}

const checkStringList = listOf(checkString, 'strings');

function openVocab(vocab: Vocabulary): Check {
  const shown = vocab.values.size <= 15 ? ` Suggested values: ${[...vocab.values].join(', ')}.` : '';
  return (c, v, path) => {
    if (typeof v !== 'string') return typeError(c, path, `a string (from ${vocab.name})`, v);
    if (vocab.values.has(v)) return;
    const style = OPEN_VOCAB_TERM_RE.test(v) ? '' : ' Values outside the vocabulary SHOULD be lowercase words joined by hyphens.';
    c.warn(path, 'vocab', `${JSON.stringify(v)} is not in the open vocabulary ${vocab.name} (section ${vocab.section}); it is allowed but consumers may ignore it.${style}${shown}`);
  };
}

function enumeration(vocab: Vocabulary): Check {
  const allowed = [...vocab.values].join(', ');
  return (c, v, path) => {
    if (typeof v !== 'string') return typeError(c, path, `one of ${allowed}`, v);
    if (!vocab.values.has(v)) {
      c.error(path, 'enum', `${JSON.stringify(v)} is not a value of the closed enumeration ${vocab.name} (section ${vocab.section}); use one of: ${allowed}.`);
    }
  };
}

function dictionary(value: Check | undefined, valueDescription: string, strictKeys = true): Check {
  return (c, v, path, parent) => {
    if (!isPlainObject(v)) return typeError(c, path, `a dictionary (JSON object) of ${valueDescription}`, v);
    let empty = true;
    for (const key in v) {
      empty = false;
      if (!DICTIONARY_KEY_RE.test(key)) {
        const message = `Dictionary key ${JSON.stringify(key)} must be 1-250 ASCII characters from a-z, A-Z, 0-9, '-' and '_' (2.3); rename it.`;
        if (strictKeys) c.error(childPath(path, key), 'dictionary-key', message);
        else c.warn(childPath(path, key), 'dictionary-key', message);
      }
      if (value !== undefined) value(c, v[key], childPath(path, key), parent);
    }
    if (empty) c.error(path, 'empty-dictionary', 'Empty dictionaries are prohibited (2.3): remove the property or add at least one entry.');
  };
}

const checkStringOrInteger: Check = (c, v, path) => {
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isSafeInteger(v))) typeError(c, path, 'a string or an integer', v);
};

// ---------------------------------------------------------------------------------------------
// Identifiers and references
// ---------------------------------------------------------------------------------------------

/** Why `value` is not an identifier, completing "... is not a STIX identifier: ...". */
function identifierProblem(value: string): string {
  const sep = value.lastIndexOf('--');
  if (sep < 0) return "it must have the form <object-type>--<UUID>, e.g. indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
  const type = value.slice(0, sep);
  const uuid = value.slice(sep + 2);
  if (!TYPE_NAME_RE.test(type)) return `the type part ${JSON.stringify(type)} must be lowercase a-z, 0-9 and single hyphens, starting with a letter`;
  if (!UUID_SHAPE_RE.test(uuid)) return `the UUID part ${JSON.stringify(uuid)} must be 32 hex digits in the 8-4-4-4-12 layout`;
  if (!/^[89abAB]$/.test(uuid.charAt(19))) return `the UUID ${uuid} is not an RFC 4122 variant UUID (its 17th hex digit must be 8, 9, a or b)`;
  return `the UUID ${uuid} has version ${uuid.charAt(14)}, which RFC 4122 does not define; generate a UUIDv4 (or v5 for SCOs)`;
}

/** What a reference may point to. */
interface RefTarget {
  readonly describe: string;
  /** For references restricted to spec types: the accepted '<type>--' prefixes (fast path). */
  readonly prefixes?: readonly string[];
  /** Otherwise: whether a reference to `type` is allowed (custom types included where sensible). */
  readonly accepts: (type: string) => boolean;
}

function refTo(types: readonly string[]): RefTarget {
  const set = new Set(types);
  const describe = types.length === 1 ? `a ${types[0]}` : `one of ${types.join(', ')}`;
  return { describe, prefixes: types.map((t) => `${t}--`), accepts: (type) => set.has(type) };
}

const isKnownType = (type: string): boolean => stixCategory(type) !== undefined;
const ANY_OBJECT: RefTarget = { describe: 'any STIX object', accepts: () => true };
const ANY_SDO: RefTarget = { describe: 'an SDO', accepts: (t) => SDO_TYPES.has(t) || !isKnownType(t) };
const ANY_SCO: RefTarget = { describe: 'an SCO', accepts: (t) => SCO_TYPES.has(t) || !isKnownType(t) };
const SDO_OR_SCO: RefTarget = {
  describe: 'an SDO or SCO (not an SRO, bundle, language-content, marking-definition or extension-definition)',
  accepts: (t) => t !== 'bundle' && !SRO_TYPES.has(t) && !META_TYPES.has(t),
};
const SCO_OR_SRO: RefTarget = {
  describe: 'an SCO or SRO',
  accepts: (t) => SCO_TYPES.has(t) || SRO_TYPES.has(t) || !isKnownType(t),
};

function referenceAccepted(value: string, typeLength: number, target: RefTarget): boolean {
  const prefixes = target.prefixes;
  if (prefixes === undefined) return target === ANY_OBJECT || target.accepts(value.slice(0, typeLength));
  for (let i = 0; i < prefixes.length; i++) {
    const prefix = prefixes[i] as string;
    if (prefix.length === typeLength + 2 && value.startsWith(prefix)) return true;
  }
  return false;
}

function checkReference(c: Context, v: unknown, path: string, target: RefTarget): void {
  if (typeof v !== 'string') return typeError(c, path, `an identifier of ${target.describe}`, v);
  const typeLength = identifierTypeLength(v);
  if (typeLength < 0) {
    c.error(path, 'ref-format', `${JSON.stringify(v)} is not a STIX identifier: ${identifierProblem(v)}.`);
    return;
  }
  if (!referenceAccepted(v, typeLength, target)) {
    c.error(path, 'ref-type', `${lastKey(path).replace(/\[\d+\]$/, '')} must reference ${target.describe}, but ${JSON.stringify(v)} has type ${v.slice(0, typeLength)}. Point it at an object of the right type.`);
  }
}

function ref(target: RefTarget): Check {
  return (c, v, path) => checkReference(c, v, path, target);
}

function refs(target: RefTarget): Check {
  return (c, v, path) => {
    if (!Array.isArray(v)) return typeError(c, path, `a list of identifiers of ${target.describe}`, v);
    if (v.length === 0) {
      c.error(path, 'empty-list', 'Empty lists are prohibited (2.12): remove the property or give it at least one identifier.');
      return;
    }
    for (let i = 0; i < v.length; i++) checkReference(c, v[i], `${path}[${i}]`, target);
  };
}

// ---------------------------------------------------------------------------------------------
// Hashes, external references, kill chain phases, markings
// ---------------------------------------------------------------------------------------------

const checkHashes: Check = (c, v, path) => {
  if (!isPlainObject(v)) return typeError(c, path, 'a hashes dictionary such as {"SHA-256": "..."}', v);
  let empty = true;
  for (const key in v) {
    empty = false;
    const value = v[key];
    const at = childPath(path, key);
    if (!HASH_KEY_RE.test(key)) {
      c.error(at, 'hash-key', `Hash algorithm name ${JSON.stringify(key)} must be 3-250 ASCII characters from a-z, A-Z, 0-9, '-' and '_' (2.7).`);
    }
    if (typeof value !== 'string') {
      typeError(c, at, 'a hash value string', value);
      continue;
    }
    const format = HASH_VALUE_FORMATS.get(key);
    if (format !== undefined) {
      if (!format.pattern.test(value)) c.error(at, 'hash-value', `The ${key} value must be ${format.describe} (10.7); ${JSON.stringify(value)} is not.`);
      continue;
    }
    const canonical = HASH_NAME_BY_NORMALISED.get(key.toUpperCase().replace(/[-_]/g, ''));
    if (canonical !== undefined) {
      c.warn(at, 'hash-algorithm', `Hash name ${JSON.stringify(key)} differs from the vocabulary name ${JSON.stringify(canonical)} (hash-algorithm-ov, 10.7); rename the key to ${JSON.stringify(canonical)} so consumers recognise it.`);
    } else if (!HASH_ALGORITHM_OV.values.has(key)) {
      c.warn(at, 'hash-algorithm', `Hash algorithm ${JSON.stringify(key)} is not in hash-algorithm-ov (MD5, SHA-1, SHA-256, SHA-512, SHA3-256, SHA3-512, SSDEEP, TLSH); it is allowed, but include a SHA-256 hash for interoperability.`);
    }
  }
  if (empty) c.error(path, 'empty-dictionary', 'Empty dictionaries are prohibited (2.3): give at least one hash (SHA-256 preferred) or remove the property.');
};

const checkExternalReference: Check = (c, v, path, parent) => {
  if (!isPlainObject(v)) return typeError(c, path, 'an external-reference object', v);
  let hasDetail = false;
  for (const key in v) {
    const value = v[key];
    const at = childPath(path, key);
    switch (key) {
      case 'source_name':
      case 'description':
      case 'url':
      case 'external_id':
        checkString(c, value, at, v);
        if (key !== 'source_name') hasDetail = true;
        break;
      case 'hashes':
        checkHashes(c, value, at, v);
        break;
      default:
        checkNestedCustomProperty(c, key, value, at);
    }
  }
  if (v['source_name'] === undefined) {
    c.error(`${path}.source_name`, 'required', 'An external reference requires source_name (2.5): name the system, registry or organisation the reference comes from.');
  }
  if (!hasDetail) {
    c.error(path, 'external-reference', 'An external reference needs at least one of description, url or external_id besides source_name (2.5.2).');
  }
  if (v['hashes'] !== undefined && v['url'] === undefined) {
    c.warn(`${path}.hashes`, 'external-reference', 'hashes describe the content of url; add the url they were computed over.');
  }
  if (parent === c.root && c.type === 'attack-pattern' && v['source_name'] === 'capec' && typeof v['external_id'] === 'string' && !CAPEC_ID_RE.test(v['external_id'])) {
    c.error(`${path}.external_id`, 'external-reference', `A CAPEC external_id must be formatted CAPEC-[id] (4.1), e.g. "CAPEC-163"; got ${JSON.stringify(v['external_id'])}.`);
  }
};

const checkExternalReferences = listOf(checkExternalReference, 'external references');

const checkKillChainPhase: Check = (c, v, path) => {
  if (!isPlainObject(v)) return typeError(c, path, 'a kill-chain-phase object with kill_chain_name and phase_name', v);
  for (const key of ['kill_chain_name', 'phase_name'] as const) {
    const value = v[key];
    if (value === undefined) {
      c.error(`${path}.${key}`, 'required', `A kill chain phase requires ${key} (2.11).`);
    } else if (typeof value !== 'string') {
      typeError(c, `${path}.${key}`, 'a string', value);
    } else if (!KILL_CHAIN_TERM_RE.test(value)) {
      c.warn(`${path}.${key}`, 'kill-chain-phase', `${key} ${JSON.stringify(value)} SHOULD be lowercase with hyphens as word separators (2.11).`);
    }
  }
  for (const key in v) {
    if (key !== 'kill_chain_name' && key !== 'phase_name') checkNestedCustomProperty(c, key, v[key], childPath(path, key));
  }
};

const checkKillChainPhases = listOf(checkKillChainPhase, 'kill chain phases');

const MARKING_DEFINITION_TARGET = refTo(['marking-definition']);

const checkMarkingRefList = refs(MARKING_DEFINITION_TARGET);

const checkObjectMarkingRefs: Check = (c, v, path, parent) => {
  checkMarkingRefList(c, v, path, parent);
  if (c.type === 'marking-definition' && Array.isArray(v) && c.id !== undefined && v.includes(c.id)) {
    c.error(path, 'object-marking', 'A marking definition must not mark itself (no circular references, 3.2); remove its own id.');
  }
};

/** Resolves a granular-marking selector (7.2.3) against the object; returns why it fails, if it does. */
function selectorProblem(root: Json, selector: string): string | undefined {
  if (selector.length === 0) return 'it is empty';
  let current: unknown = root;
  const parts = selector.split('.');
  for (const part of parts) {
    if (part.length === 0) return 'it has an empty component';
    const index = SELECTOR_INDEX_RE.exec(part);
    if (index !== null) {
      if (!Array.isArray(current)) return `${part} indexes something that is not a list`;
      const i = Number(index[1]);
      if (i >= current.length) return `${part} is past the end of a list of ${current.length}`;
      current = current[i];
    } else {
      if (!isPlainObject(current)) return `${JSON.stringify(part)} names a property of something that is not an object`;
      if (!Object.prototype.hasOwnProperty.call(current, part)) return `property ${JSON.stringify(part)} is not present`;
      current = current[part];
    }
  }
  return undefined;
}

const checkGranularMarking: Check = (c, v, path) => {
  if (!isPlainObject(v)) return typeError(c, path, 'a granular-marking object', v);
  const selectors = v['selectors'];
  if (selectors === undefined) {
    c.error(`${path}.selectors`, 'required', 'A granular marking requires selectors: the list of properties it applies to (7.2.3).');
  } else {
    checkStringList(c, selectors, `${path}.selectors`, v);
    if (Array.isArray(selectors)) {
      for (let i = 0; i < selectors.length; i++) {
        const selector = selectors[i];
        if (typeof selector !== 'string') continue;
        const problem = selectorProblem(c.root, selector);
        if (problem !== undefined) {
          c.error(`${path}.selectors[${i}]`, 'granular-marking', `Selector ${JSON.stringify(selector)} must refer to content present in the object (7.2.3), but ${problem}.`);
        }
      }
    }
  }
  const hasRef = v['marking_ref'] !== undefined;
  const hasLang = v['lang'] !== undefined;
  if (hasRef === hasLang) {
    c.error(path, 'granular-marking', hasRef
      ? 'A granular marking must have exactly one of marking_ref and lang (7.2.3), not both; split it into two markings.'
      : 'A granular marking must have exactly one of marking_ref (a data marking) or lang (a language marking) (7.2.3).');
  }
  if (hasRef) {
    checkReference(c, v['marking_ref'], `${path}.marking_ref`, MARKING_DEFINITION_TARGET);
    if (c.type === 'marking-definition' && v['marking_ref'] === c.id) {
      c.error(`${path}.marking_ref`, 'object-marking', 'A marking definition must not mark itself (no circular references, 3.2).');
    }
  }
  if (hasLang) checkLanguage(c, v['lang'], `${path}.lang`, v);
  for (const key in v) {
    if (key !== 'selectors' && key !== 'marking_ref' && key !== 'lang') checkNestedCustomProperty(c, key, v[key], childPath(path, key));
  }
};

const checkGranularMarkings = listOf(checkGranularMarking, 'granular markings');

// ---------------------------------------------------------------------------------------------
// Custom properties (11.1) and nested structures
// ---------------------------------------------------------------------------------------------

/**
 * Custom property values whose name suffix (3.1) says what they hold: _ref/_refs identifiers,
 * _bin base64, _hex hex. The spec only obliges producers to pick these suffixes for such values,
 * not the reverse, so a mismatching custom value is a warning. _enc without its base property
 * breaks a MUST and is an error.
 */
function checkBySuffix(c: Context, key: string, value: unknown, path: string, holder: Json): void {
  if (key.endsWith('_ref')) {
    if (!isIdentifier(value)) {
      c.warn(path, 'ref-format', `${key} is named as an embedded reference (_ref, 3.1) but ${describeJson(value)} is not a STIX identifier; consumers following references will skip it.`);
    }
  } else if (key.endsWith('_refs')) {
    if (!Array.isArray(value) || !value.every(isIdentifier)) {
      c.warn(path, 'ref-format', `${key} is named as a list of embedded references (_refs, 3.1) but is not a list of STIX identifiers; consumers following references will skip it.`);
    }
  } else if (key.endsWith('_bin')) {
    if (typeof value !== 'string' || !BASE64_RE.test(value)) {
      c.warn(path, 'value-format', `${key} is named as binary (_bin, 2.1) but is not a base64 string.`);
    }
  } else if (key.endsWith('_hex')) {
    if (typeof value !== 'string' || !HEX_RE.test(value)) {
      c.warn(path, 'value-format', `${key} is named as hex (_hex, 2.8) but is not an even-length hex string.`);
    }
  } else if (key.endsWith('_enc') && holder[key.slice(0, -4)] === undefined) {
    c.error(path, 'dependent-property', `${key} gives the encoding of ${key.slice(0, -4)}, which is absent; an _enc property must not be present without it (3.1).`);
  }
}

/** An unknown property inside a nested structure (extension, embedded type): name rules only. */
function checkNestedCustomProperty(c: Context, key: string, value: unknown, path: string): void {
  if (!PROPERTY_NAME_RE.test(key)) {
    c.error(path, 'custom-property-name', `Property name ${JSON.stringify(key)} is not defined here and is not a valid custom property name: use 3-250 characters from a-z, 0-9 and '_', starting with a letter (11.1.1).`);
  } else if (!c.allowCustom) {
    c.error(path, 'custom-property', `Property ${JSON.stringify(key)} is not defined by the specification and custom content is not accepted here; remove it.`);
  }
  if (value === null) c.error(path, 'value-type', 'null is not a valid STIX value; omit the property instead.');
}

interface StructSpec {
  props: Record<string, Check>;
  required?: readonly string[];
  /** At least one of these (or of all props, when true) must be present. */
  atLeastOne?: readonly string[] | true;
  describe: string;
  post?: (c: Context, v: Json, path: string) => void;
}

function struct(spec: StructSpec): Check {
  const props = new Map(Object.entries(spec.props));
  const atLeastOne = spec.atLeastOne === true ? [...props.keys()] : spec.atLeastOne;
  return (c, v, path) => {
    if (!isPlainObject(v)) return typeError(c, path, `${spec.describe} object`, v);
    for (const key in v) {
      const check = props.get(key);
      const at = childPath(path, key);
      if (check !== undefined) check(c, v[key], at, v);
      else {
        checkNestedCustomProperty(c, key, v[key], at);
        checkBySuffix(c, key, v[key], at, v);
      }
    }
    if (spec.required !== undefined) {
      for (const key of spec.required) {
        if (v[key] === undefined) c.error(`${path}.${key}`, 'required', `${spec.describe} requires ${key}.`);
      }
    }
    if (atLeastOne !== undefined && !atLeastOne.some((k) => v[k] !== undefined)) {
      c.error(path, 'at-least-one', `${spec.describe} must contain at least one of: ${atLeastOne.join(', ')}.`);
    }
    spec.post?.(c, v, path);
  };
}

// =============================================================================================
// Cross-property helpers
// =============================================================================================

function checkOrder(c: Context, o: Json, earlierKey: string, laterKey: string, strict: boolean): void {
  const earlier = o[earlierKey];
  const later = o[laterKey];
  if (typeof earlier !== 'string' || typeof later !== 'string') return;
  if (timestampFractionDigits(earlier) < 0 || timestampFractionDigits(later) < 0) return;
  const cmp = compareTimestamps(later, earlier);
  if (cmp < 0 || (strict && cmp === 0)) {
    c.error(`$.${laterKey}`, 'timestamp-order', `${laterKey} (${later}) must be ${strict ? 'later than' : 'later than or equal to'} ${earlierKey} (${earlier}); correct one of them.`);
  }
}

function present(o: Json, key: string): boolean {
  return o[key] !== undefined;
}

// =============================================================================================
// Predefined SCO extensions (section 6)
// =============================================================================================

const nonNegative = integer(0);

const ALTERNATE_DATA_STREAM = struct({
  describe: 'An alternate data stream',
  props: { name: checkString, hashes: checkHashes, size: nonNegative },
  required: ['name'],
});

const PE_OPTIONAL_HEADER = struct({
  describe: 'A Windows PE optional header',
  atLeastOne: true,
  props: {
    magic_hex: checkHex, major_linker_version: integer(), minor_linker_version: integer(), size_of_code: nonNegative,
    size_of_initialized_data: nonNegative, size_of_uninitialized_data: nonNegative, address_of_entry_point: integer(),
    base_of_code: integer(), base_of_data: integer(), image_base: integer(), section_alignment: integer(),
    file_alignment: integer(), major_os_version: integer(), minor_os_version: integer(), major_image_version: integer(),
    minor_image_version: integer(), major_subsystem_version: integer(), minor_subsystem_version: integer(),
    win32_version_value_hex: checkHex, size_of_image: nonNegative, size_of_headers: nonNegative, checksum_hex: checkHex,
    subsystem_hex: checkHex, dll_characteristics_hex: checkHex, size_of_stack_reserve: nonNegative,
    size_of_stack_commit: nonNegative, size_of_heap_reserve: nonNegative, size_of_heap_commit: nonNegative,
    loader_flags_hex: checkHex, number_of_rva_and_sizes: integer(), hashes: checkHashes,
  },
});

const PE_SECTION = struct({
  describe: 'A Windows PE section',
  props: { name: checkString, size: nonNegative, entropy: float(0, 8), hashes: checkHashes },
  required: ['name'],
});

const FILE_EXTENSIONS: Record<string, Check> = {
  'archive-ext': struct({
    describe: 'The archive-ext extension',
    props: { contains_refs: refs(refTo(['file', 'directory'])), comment: checkString },
    required: ['contains_refs'],
  }),
  'ntfs-ext': struct({
    describe: 'The ntfs-ext extension',
    atLeastOne: true,
    props: { sid: checkString, alternate_data_streams: listOf(ALTERNATE_DATA_STREAM, 'alternate data streams') },
  }),
  'pdf-ext': struct({
    describe: 'The pdf-ext extension',
    atLeastOne: true,
    props: {
      version: checkString, is_optimized: checkBoolean, document_info_dict: dictionary(checkString, 'strings', false),
      pdfid0: checkString, pdfid1: checkString,
    },
  }),
  'raster-image-ext': struct({
    describe: 'The raster-image-ext extension',
    atLeastOne: true,
    props: {
      image_height: integer(), image_width: integer(), bits_per_pixel: integer(),
      exif_tags: dictionary(checkStringOrInteger, 'integers or strings', false),
    },
  }),
  'windows-pebinary-ext': struct({
    describe: 'The windows-pebinary-ext extension',
    required: ['pe_type'],
    props: {
      pe_type: openVocab(WINDOWS_PEBINARY_TYPE_OV), imphash: checkString, machine_hex: checkHex,
      number_of_sections: nonNegative, time_date_stamp: checkTimestamp, pointer_to_symbol_table_hex: checkHex,
      number_of_symbols: nonNegative, size_of_optional_header: nonNegative, characteristics_hex: checkHex,
      file_header_hashes: checkHashes, optional_header: PE_OPTIONAL_HEADER, sections: listOf(PE_SECTION, 'PE sections'),
    },
    post: (c, v, path) => {
      if (Object.keys(v).every((k) => k === 'pe_type')) {
        c.error(path, 'at-least-one', 'The windows-pebinary-ext extension must contain at least one property besides pe_type (6.7.6).');
      }
    },
  }),
};

const NETWORK_TRAFFIC_EXTENSIONS: Record<string, Check> = {
  'http-request-ext': struct({
    describe: 'The http-request-ext extension',
    required: ['request_method', 'request_value'],
    props: {
      request_method: checkString, request_value: checkString, request_version: checkString,
      request_header: dictionary(checkStringList, 'lists of strings', false), message_body_length: integer(),
      message_body_data_ref: ref(refTo(['artifact'])),
    },
  }),
  'icmp-ext': struct({
    describe: 'The icmp-ext extension',
    required: ['icmp_type_hex', 'icmp_code_hex'],
    props: { icmp_type_hex: checkHex, icmp_code_hex: checkHex },
  }),
  'socket-ext': struct({
    describe: 'The socket-ext extension',
    required: ['address_family'],
    props: {
      address_family: enumeration(NETWORK_SOCKET_ADDRESS_FAMILY_ENUM), is_blocking: checkBoolean,
      is_listening: checkBoolean, options: dictionary(integer(), 'integers', false),
      socket_type: enumeration(NETWORK_SOCKET_TYPE_ENUM), socket_descriptor: nonNegative, socket_handle: integer(),
    },
  }),
  'tcp-ext': struct({
    describe: 'The tcp-ext extension',
    atLeastOne: true,
    props: { src_flags_hex: checkHex, dst_flags_hex: checkHex },
  }),
};

const PROCESS_EXTENSIONS: Record<string, Check> = {
  'windows-process-ext': struct({
    describe: 'The windows-process-ext extension',
    atLeastOne: true,
    props: {
      aslr_enabled: checkBoolean, dep_enabled: checkBoolean, priority: checkString, owner_sid: checkString,
      windows_title: checkString, startup_info: dictionary(undefined, 'values', false),
      integrity_level: enumeration(WINDOWS_INTEGRITY_LEVEL_ENUM),
    },
    post: (c, v, path) => {
      const priority = v['priority'];
      if (typeof priority === 'string' && !priority.endsWith('_CLASS')) {
        c.warn(`${path}.priority`, 'value-format', `priority SHOULD be a Windows priority class name ending in _CLASS (6.13.2), e.g. HIGH_PRIORITY_CLASS; got ${JSON.stringify(priority)}.`);
      }
    },
  }),
  'windows-service-ext': struct({
    describe: 'The windows-service-ext extension',
    atLeastOne: true,
    props: {
      service_name: checkString, descriptions: checkStringList, display_name: checkString, group_name: checkString,
      start_type: enumeration(WINDOWS_SERVICE_START_TYPE_ENUM), service_dll_refs: refs(refTo(['file'])),
      service_type: enumeration(WINDOWS_SERVICE_TYPE_ENUM), service_status: enumeration(WINDOWS_SERVICE_STATUS_ENUM),
    },
  }),
};

const USER_ACCOUNT_EXTENSIONS: Record<string, Check> = {
  'unix-account-ext': struct({
    describe: 'The unix-account-ext extension',
    atLeastOne: true,
    props: { gid: integer(), groups: checkStringList, home_dir: checkString, shell: checkString },
  }),
};

/** All predefined extension names, to tell "wrong object type" from "custom extension". */
const PREDEFINED_EXTENSION_OWNER = new Map<string, string>([
  ...Object.keys(FILE_EXTENSIONS).map((k) => [k, 'file'] as const),
  ...Object.keys(NETWORK_TRAFFIC_EXTENSIONS).map((k) => [k, 'network-traffic'] as const),
  ...Object.keys(PROCESS_EXTENSIONS).map((k) => [k, 'process'] as const),
  ...Object.keys(USER_ACCOUNT_EXTENSIONS).map((k) => [k, 'user-account'] as const),
]);

// =============================================================================================
// The extensions property (3.2, 7.3, 11.3)
// =============================================================================================

function checkExtensionDefinitionInstance(c: Context, key: string, ext: Json, path: string): void {
  const extensionType = ext['extension_type'];
  if (extensionType === undefined) {
    c.error(`${path}.extension_type`, 'required', 'An extension keyed by an extension-definition id must carry extension_type (3.2); set it to the type declared in the extension definition (e.g. "property-extension").');
  } else if (typeof extensionType !== 'string' || !EXTENSION_TYPE_ENUM.values.has(extensionType)) {
    enumeration(EXTENSION_TYPE_ENUM)(c, extensionType, `${path}.extension_type`, ext);
  } else if (extensionType.startsWith('new-') && !c.custom) {
    c.error(`${path}.extension_type`, 'extension', `extension_type ${extensionType} defines a new object type, but ${c.type} is defined by the specification; extensions must not redefine standard objects (7.3).`);
  }
  for (const name in ext) {
    if (name === 'extension_type') continue;
    if (!PROPERTY_NAME_RE.test(name)) {
      c.error(childPath(path, name), 'custom-property-name', `Extension property name ${JSON.stringify(name)} must be 3-250 characters from a-z, 0-9 and '_' (7.3.2).`);
    }
  }
  if (key === TLP_V2_EXTENSION_ID) {
    const level = ext['tlp_2_0'];
    if (typeof level !== 'string' || !TLP_V2_LEVELS.has(level)) {
      c.error(`${path}.tlp_2_0`, 'tlp-marking', `The TLP 2.0 extension needs tlp_2_0 set to one of ${[...TLP_V2_LEVELS].join(', ')}; got ${describeJson(level)}.`);
    } else if (c.type === 'marking-definition' && c.id !== undefined) {
      const expected = TLP_V2_MARKING_IDS.get(c.id);
      if (expected !== undefined && expected !== level) {
        c.error(`${path}.tlp_2_0`, 'tlp-marking', `${c.id} is the standard TLP:${expected.toUpperCase()} marking, but it says ${JSON.stringify(level)}; use the standard definition unchanged.`);
      }
    }
  }
}

const checkExtensions: Check = (c, v, path) => {
  if (!isPlainObject(v)) return typeError(c, path, 'a dictionary of extensions keyed by extension-definition id or predefined extension name', v);
  const predefined = PREDEFINED_EXTENSIONS[c.type];
  let empty = true;
  for (const key in v) {
    empty = false;
    const ext = v[key];
    const at = childPath(path, key);
    if (EXTENSION_DEFINITION_ID_RE.test(key)) {
      if (!isPlainObject(ext)) {
        typeError(c, at, 'an extension object', ext);
        continue;
      }
      checkExtensionDefinitionInstance(c, key, ext, at);
      continue;
    }
    const check = predefined?.[key];
    if (check !== undefined) {
      check(c, ext, at, v);
      continue;
    }
    const owner = PREDEFINED_EXTENSION_OWNER.get(key);
    if (owner !== undefined) {
      c.error(at, 'extension', `${key} is the predefined extension of ${owner} objects and cannot be used on ${c.type}; remove it or use an extension definition.`);
      continue;
    }
    if (key.startsWith('extension-definition--')) {
      c.error(at, 'extension', `${JSON.stringify(key)} looks like an extension-definition id but is not a valid identifier: ${identifierProblem(key)}.`);
      continue;
    }
    if (!DICTIONARY_KEY_RE.test(key)) {
      c.error(at, 'dictionary-key', `Extension key ${JSON.stringify(key)} is not a valid dictionary key (2.3); use an extension-definition id.`);
    } else if (c.category === 'sco' && CUSTOM_EXTENSION_NAME_RE.test(key)) {
      c.warn(at, 'deprecated', `${JSON.stringify(key)} is a custom SCO extension (11.3, deprecated${key.endsWith('-ext') ? '' : '; such names MUST end in -ext'}); define it with an extension-definition and key it by that id instead.`);
    } else {
      c.warn(at, 'extension', `Extension key ${JSON.stringify(key)} SHOULD be the id of an extension-definition${c.category === 'sco' ? ' or a predefined extension name' : ''} (3.2).`);
    }
    if (!isPlainObject(ext)) typeError(c, at, 'an extension object', ext);
    else {
      let hasProperty = false;
      for (const name in ext) {
        hasProperty = true;
        if (!PROPERTY_NAME_RE.test(name) && name !== 'extension_type') {
          c.error(childPath(at, name), 'custom-property-name', `Extension property name ${JSON.stringify(name)} must be 3-250 characters from a-z, 0-9 and '_' (11.3.1).`);
        }
      }
      if (!hasProperty) c.error(at, 'extension', 'An extension must have at least one property (11.3.1).');
    }
  }
  if (empty) c.error(path, 'empty-dictionary', 'Empty dictionaries are prohibited (2.3): remove extensions or add an extension.');
};

const PREDEFINED_EXTENSIONS: Readonly<Record<string, Record<string, Check> | undefined>> = {
  file: FILE_EXTENSIONS,
  'network-traffic': NETWORK_TRAFFIC_EXTENSIONS,
  process: PROCESS_EXTENSIONS,
  'user-account': USER_ACCOUNT_EXTENSIONS,
};

// =============================================================================================
// Common properties (3.2)
// =============================================================================================

const IDENTITY_TARGET = refTo(['identity']);

const COMMON_CHECKS = new Map<string, Check>([
  ['created', checkVersionTimestamp],
  ['modified', checkVersionTimestamp],
  ['created_by_ref', ref(IDENTITY_TARGET)],
  ['revoked', checkBoolean],
  ['labels', checkStringList],
  ['confidence', integer(0, 100)],
  ['lang', checkLanguage],
  ['external_references', checkExternalReferences],
  ['object_marking_refs', checkObjectMarkingRefs],
  ['granular_markings', checkGranularMarkings],
  ['defanged', checkBoolean],
  ['extensions', checkExtensions],
]);

/** Common properties marked "Not Applicable" per kind of object (3.2 table). */
const NOT_APPLICABLE: Readonly<Record<string, ReadonlySet<string>>> = {
  sdo: new Set(['defanged']),
  sro: new Set(['defanged']),
  sco: new Set(['created_by_ref', 'created', 'modified', 'revoked', 'labels', 'confidence', 'lang', 'external_references']),
  'extension-definition': new Set(['confidence', 'lang', 'defanged', 'extensions']),
  'language-content': new Set(['lang', 'defanged']),
  'marking-definition': new Set(['modified', 'revoked', 'labels', 'confidence', 'lang', 'defanged']),
};

// =============================================================================================
// Per-type specifications (sections 4-7)
// =============================================================================================

/** How one top-level property is checked; the path is precomputed to keep the loop allocation-free. */
interface PropertyRule {
  readonly check: Check;
  readonly path: string;
  /** A common property the spec marks Not Applicable for this kind of object (3.2). */
  readonly notApplicable: boolean;
}

interface TypeSpec {
  readonly category: StixCategory;
  /** Type-specific and common properties in one table. */
  readonly rules: ReadonlyMap<string, PropertyRule>;
  readonly required: readonly string[];
  readonly post?: (c: Context, o: Json) => void;
}

function propertyRules(props: Record<string, Check>, notApplicable: ReadonlySet<string>): Map<string, PropertyRule> {
  const rules = new Map<string, PropertyRule>();
  for (const [key, check] of COMMON_CHECKS) rules.set(key, { check, path: `$.${key}`, notApplicable: notApplicable.has(key) });
  for (const [key, check] of Object.entries(props)) rules.set(key, { check, path: `$.${key}`, notApplicable: false });
  return rules;
}

const VERSIONED_REQUIRED = ['spec_version', 'id', 'created', 'modified'] as const;

function spec(
  category: StixCategory,
  props: Record<string, Check>,
  required: readonly string[],
  post?: (c: Context, o: Json) => void,
  notApplicableKey: string = category,
): TypeSpec {
  const commonRequired = category === 'sco' ? ['id'] : VERSIONED_REQUIRED;
  return {
    category,
    rules: propertyRules(props, NOT_APPLICABLE[notApplicableKey] ?? new Set()),
    required: [...commonRequired, ...required],
    ...(post !== undefined ? { post } : {}),
  };
}

const SOFTWARE_TARGET = refTo(['software']);
const ovList = (v: Vocabulary): Check => listOf(openVocab(v), `values from ${v.name}`);
const seenOrder = (c: Context, o: Json): void => checkOrder(c, o, 'first_seen', 'last_seen', false);

function requireOneOf(c: Context, o: Json, keys: readonly string[], why: string): void {
  if (!keys.some((k) => present(o, k))) c.error('$', 'at-least-one', `Must contain at least one of ${keys.join(', ')} (${why}).`);
}

function mutuallyExclusive(c: Context, o: Json, a: string, b: string, why: string): void {
  if (present(o, a) && present(o, b)) c.error(`$.${b}`, 'mutually-exclusive', `${b} must not be present together with ${a} (${why}); keep only one.`);
}

function checkPattern(c: Context, o: Json): void {
  const pattern = o['pattern'];
  if (o['pattern_type'] !== 'stix' || typeof pattern !== 'string') return;
  const version = o['pattern_version'];
  if (version !== undefined && version !== '2.1' && version !== '2.0') {
    c.warn('$.pattern_version', 'pattern-version', `pattern_version ${JSON.stringify(version)} is not a known STIX patterning version (2.0 or 2.1); the pattern was checked against 2.1.`);
  }
  const result = parsePattern(pattern, { specVersion: version === '2.0' ? '2.0' : '2.1' });
  if (!result.ok) {
    const { message, line, column } = result.error;
    c.error('$.pattern', 'pattern-syntax', `The STIX pattern is invalid at line ${line}, column ${column}: ${message}. Fix the pattern (section 9) or, if it is not a STIX pattern, set pattern_type to its language.`);
    return;
  }
  for (const { regex, problem } of patternRegexIssues(result.pattern)) {
    c.error('$.pattern', 'pattern-syntax', `The STIX pattern's MATCHES ${JSON.stringify(regex)} cannot be evaluated: ${problem} (section 9.6).`);
  }
}

const MARKING_DEFINITION_TYPE_OV: Vocabulary = Object.freeze({
  name: 'marking definition types (statement, tlp)',
  section: '7.2.1',
  closed: false,
  values: new Set(['statement', 'tlp']),
});

const TYPE_SPECS: Readonly<Record<string, TypeSpec>> = {
  // ---------------------------------------------------------------- SDOs (4)
  'attack-pattern': spec('sdo', {
    name: checkString, description: checkString, aliases: checkStringList, kill_chain_phases: checkKillChainPhases,
  }, ['name']),
  campaign: spec('sdo', {
    name: checkString, description: checkString, aliases: checkStringList, first_seen: checkTimestamp,
    last_seen: checkTimestamp, objective: checkString,
  }, ['name'], seenOrder),
  'course-of-action': spec('sdo', { name: checkString, description: checkString }, ['name']),
  grouping: spec('sdo', {
    name: checkString, description: checkString, context: openVocab(GROUPING_CONTEXT_OV), object_refs: refs(ANY_OBJECT),
  }, ['context', 'object_refs']),
  identity: spec('sdo', {
    name: checkString, description: checkString, roles: checkStringList, identity_class: openVocab(IDENTITY_CLASS_OV),
    sectors: ovList(INDUSTRY_SECTOR_OV), contact_information: checkString,
  }, ['name']),
  incident: spec('sdo', { name: checkString, description: checkString }, ['name']),
  indicator: spec('sdo', {
    name: checkString, description: checkString, indicator_types: ovList(INDICATOR_TYPE_OV), pattern: checkString,
    pattern_type: openVocab(PATTERN_TYPE_OV), pattern_version: checkString, valid_from: checkTimestamp,
    valid_until: checkTimestamp, kill_chain_phases: checkKillChainPhases,
  }, ['pattern', 'pattern_type', 'valid_from'], (c, o) => {
    checkOrder(c, o, 'valid_from', 'valid_until', true);
    checkPattern(c, o);
  }),
  infrastructure: spec('sdo', {
    name: checkString, description: checkString, infrastructure_types: ovList(INFRASTRUCTURE_TYPE_OV),
    aliases: checkStringList, kill_chain_phases: checkKillChainPhases, first_seen: checkTimestamp, last_seen: checkTimestamp,
  }, ['name'], seenOrder),
  'intrusion-set': spec('sdo', {
    name: checkString, description: checkString, aliases: checkStringList, first_seen: checkTimestamp,
    last_seen: checkTimestamp, goals: checkStringList, resource_level: openVocab(ATTACK_RESOURCE_LEVEL_OV),
    primary_motivation: openVocab(ATTACK_MOTIVATION_OV), secondary_motivations: ovList(ATTACK_MOTIVATION_OV),
  }, ['name'], seenOrder),
  location: spec('sdo', {
    name: checkString, description: checkString, latitude: float(-90, 90), longitude: float(-180, 180),
    precision: float(0), region: openVocab(REGION_OV), country: checkString,
    administrative_area: checkString, city: checkString, street_address: checkString, postal_code: checkString,
  }, [], (c, o) => {
    const hasLat = present(o, 'latitude');
    const hasLong = present(o, 'longitude');
    if (hasLat !== hasLong) {
      c.error(hasLat ? '$.longitude' : '$.latitude', 'dependent-property', 'latitude and longitude must be given together (4.10).');
    }
    if (present(o, 'precision') && !(hasLat && hasLong)) {
      c.error('$.precision', 'dependent-property', 'precision requires latitude and longitude (4.10); add them or remove precision.');
    }
    if (!present(o, 'region') && !present(o, 'country') && !(hasLat && hasLong)) {
      c.error('$', 'at-least-one', 'A location must give at least one of region, country, or latitude and longitude (4.10).');
    }
    const country = o['country'];
    if (typeof country === 'string' && !COUNTRY_RE.test(country)) {
      c.warn('$.country', 'value-format', `country SHOULD be an ISO 3166-1 alpha-2 code such as "us" or "th"; got ${JSON.stringify(country)}.`);
    }
  }),
  malware: spec('sdo', {
    name: checkString, description: checkString, malware_types: ovList(MALWARE_TYPE_OV), is_family: checkBoolean,
    aliases: checkStringList, kill_chain_phases: checkKillChainPhases, first_seen: checkTimestamp, last_seen: checkTimestamp,
    operating_system_refs: refs(SOFTWARE_TARGET), architecture_execution_envs: ovList(PROCESSOR_ARCHITECTURE_OV),
    implementation_languages: ovList(IMPLEMENTATION_LANGUAGE_OV), capabilities: ovList(MALWARE_CAPABILITIES_OV),
    sample_refs: refs(refTo(['file', 'artifact'])),
  }, ['is_family'], (c, o) => {
    seenOrder(c, o);
    if (o['is_family'] === true && o['name'] === undefined) {
      c.error('$.name', 'required', 'A malware family (is_family true) must have a name (4.11).');
    }
  }),
  'malware-analysis': spec('sdo', {
    product: checkString, version: checkString, host_vm_ref: ref(SOFTWARE_TARGET), operating_system_ref: ref(SOFTWARE_TARGET),
    installed_software_refs: refs(SOFTWARE_TARGET), configuration_version: checkString, modules: checkStringList,
    analysis_engine_version: checkString, analysis_definition_version: checkString, submitted: checkTimestamp,
    analysis_started: checkTimestamp, analysis_ended: checkTimestamp, result_name: checkString,
    result: openVocab(MALWARE_RESULT_OV), analysis_sco_refs: refs(ANY_SCO),
    sample_ref: ref(refTo(['file', 'network-traffic', 'artifact'])),
  }, ['product'], (c, o) => {
    requireOneOf(c, o, ['result', 'analysis_sco_refs'], '4.12');
    checkOrder(c, o, 'analysis_started', 'analysis_ended', false);
  }),
  note: spec('sdo', {
    abstract: checkString, content: checkString, authors: checkStringList, object_refs: refs(ANY_OBJECT),
  }, ['content', 'object_refs']),
  'observed-data': spec('sdo', {
    first_observed: checkTimestamp, last_observed: checkTimestamp, number_observed: integer(1, 999_999_999),
    objects: checkObservableContainer, object_refs: refs(SCO_OR_SRO),
  }, ['first_observed', 'last_observed', 'number_observed'], (c, o) => {
    checkOrder(c, o, 'first_observed', 'last_observed', false);
    const hasObjects = present(o, 'objects');
    const hasRefs = present(o, 'object_refs');
    if (hasObjects && hasRefs) {
      c.error('$.objects', 'mutually-exclusive', 'objects and object_refs must not both be present (4.14); keep object_refs and publish the SCOs as top-level objects.');
    } else if (!hasObjects && !hasRefs) {
      c.error('$.object_refs', 'required', 'Observed data needs object_refs (or the deprecated objects container) listing what was observed (4.14).');
    }
    const list = o['object_refs'];
    if (Array.isArray(list) && list.length > 0) {
      const hasSco = list.some((r) => isIdentifier(r) && ANY_SCO.accepts(r.slice(0, r.length - 38)));
      if (!hasSco) c.error('$.object_refs', 'ref-type', 'object_refs must contain at least one SCO reference (4.14).');
    }
    if (hasObjects) {
      c.warn('$.objects', 'deprecated', 'The objects observable container is deprecated in 2.1 (2.13); publish the SCOs as top-level objects and reference them in object_refs.');
    }
  }),
  opinion: spec('sdo', {
    explanation: checkString, authors: checkStringList, opinion: enumeration(OPINION_ENUM), object_refs: refs(ANY_OBJECT),
  }, ['opinion', 'object_refs']),
  report: spec('sdo', {
    name: checkString, description: checkString, report_types: ovList(REPORT_TYPE_OV), published: checkTimestamp,
    object_refs: refs(ANY_OBJECT),
  }, ['name', 'published', 'object_refs']),
  'threat-actor': spec('sdo', {
    name: checkString, description: checkString, threat_actor_types: ovList(THREAT_ACTOR_TYPE_OV), aliases: checkStringList,
    first_seen: checkTimestamp, last_seen: checkTimestamp, roles: ovList(THREAT_ACTOR_ROLE_OV), goals: checkStringList,
    sophistication: openVocab(THREAT_ACTOR_SOPHISTICATION_OV), resource_level: openVocab(ATTACK_RESOURCE_LEVEL_OV),
    primary_motivation: openVocab(ATTACK_MOTIVATION_OV), secondary_motivations: ovList(ATTACK_MOTIVATION_OV),
    personal_motivations: ovList(ATTACK_MOTIVATION_OV),
  }, ['name'], seenOrder),
  tool: spec('sdo', {
    name: checkString, description: checkString, tool_types: ovList(TOOL_TYPE_OV), aliases: checkStringList,
    kill_chain_phases: checkKillChainPhases, tool_version: checkString,
  }, ['name']),
  vulnerability: spec('sdo', { name: checkString, description: checkString }, ['name']),

  // ---------------------------------------------------------------- SROs (5)
  relationship: spec('sro', {
    relationship_type: checkRelationshipType, description: checkString, source_ref: ref(SDO_OR_SCO),
    target_ref: ref(SDO_OR_SCO), start_time: checkTimestamp, stop_time: checkTimestamp,
  }, ['relationship_type', 'source_ref', 'target_ref'], (c, o) => checkOrder(c, o, 'start_time', 'stop_time', true)),
  sighting: spec('sro', {
    description: checkString, first_seen: checkTimestamp, last_seen: checkTimestamp, count: integer(0, 999_999_999),
    sighting_of_ref: ref(ANY_SDO), observed_data_refs: refs(refTo(['observed-data'])),
    where_sighted_refs: refs(refTo(['identity', 'location'])), summary: checkBoolean,
  }, ['sighting_of_ref'], seenOrder),

  // ---------------------------------------------------------------- SCOs (6)
  artifact: spec('sco', {
    mime_type: checkString, payload_bin: checkBinary, url: checkString, hashes: checkHashes,
    encryption_algorithm: enumeration(ENCRYPTION_ALGORITHM_ENUM), decryption_key: checkString,
  }, [], (c, o) => {
    requireOneOf(c, o, ['payload_bin', 'url'], '6.1');
    mutuallyExclusive(c, o, 'payload_bin', 'url', '6.1');
    if (present(o, 'url') && !present(o, 'hashes')) {
      c.error('$.hashes', 'dependent-property', 'An artifact given by url must carry hashes of the content (6.1) so consumers can verify what they download.');
    }
    if (present(o, 'decryption_key') && !present(o, 'encryption_algorithm')) {
      c.error('$.decryption_key', 'dependent-property', 'decryption_key must not be present without encryption_algorithm (6.1).');
    }
  }),
  'autonomous-system': spec('sco', { number: integer(0), name: checkString, rir: checkString }, ['number']),
  directory: spec('sco', {
    path: checkString, path_enc: checkString, ctime: checkTimestamp, mtime: checkTimestamp, atime: checkTimestamp,
    contains_refs: refs(refTo(['file', 'directory'])),
  }, ['path']),
  'domain-name': spec('sco', {
    value: checkDomainName, resolves_to_refs: refs(refTo(['ipv4-addr', 'ipv6-addr', 'domain-name'])),
  }, ['value']),
  'email-addr': spec('sco', {
    value: checkEmailAddress, display_name: checkString, belongs_to_ref: ref(refTo(['user-account'])),
  }, ['value']),
  'email-message': spec('sco', {
    is_multipart: checkBoolean, date: checkTimestamp, content_type: checkString, from_ref: ref(refTo(['email-addr'])),
    sender_ref: ref(refTo(['email-addr'])), to_refs: refs(refTo(['email-addr'])), cc_refs: refs(refTo(['email-addr'])),
    bcc_refs: refs(refTo(['email-addr'])), message_id: checkString, subject: checkString, received_lines: checkStringList,
    additional_header_fields: dictionary(checkStringList, 'lists of strings', false), body: checkString,
    body_multipart: listOf(struct({
      describe: 'An email MIME part',
      props: {
        body: checkString, body_raw_ref: ref(refTo(['artifact', 'file'])), content_type: checkString,
        content_disposition: checkString,
      },
      atLeastOne: ['body', 'body_raw_ref'],
    }), 'MIME parts'),
    raw_email_ref: ref(refTo(['artifact'])),
  }, ['is_multipart'], (c, o) => {
    if (o['is_multipart'] === true && present(o, 'body')) {
      c.error('$.body', 'mutually-exclusive', 'body must not be used when is_multipart is true (6.6); put the parts in body_multipart.');
    }
    if (o['is_multipart'] === false && present(o, 'body_multipart')) {
      c.error('$.body_multipart', 'mutually-exclusive', 'body_multipart must not be used when is_multipart is false (6.6); use body, or set is_multipart to true.');
    }
  }),
  file: spec('sco', {
    hashes: checkHashes, size: nonNegative, name: checkString, name_enc: checkString, magic_number_hex: checkHex,
    mime_type: checkString, ctime: checkTimestamp, mtime: checkTimestamp, atime: checkTimestamp,
    parent_directory_ref: ref(refTo(['directory'])), contains_refs: refs(ANY_SCO), content_ref: ref(refTo(['artifact'])),
  }, [], (c, o) => {
    requireOneOf(c, o, ['hashes', 'name'], '6.7');
    if (present(o, 'name_enc') && !present(o, 'name')) {
      c.error('$.name_enc', 'dependent-property', 'name_enc must not be present without name (3.1).');
    }
  }),
  'ipv4-addr': spec('sco', {
    value: checkIpv4, resolves_to_refs: refs(refTo(['mac-addr'])), belongs_to_refs: refs(refTo(['autonomous-system'])),
  }, ['value']),
  'ipv6-addr': spec('sco', {
    value: checkIpv6, resolves_to_refs: refs(refTo(['mac-addr'])), belongs_to_refs: refs(refTo(['autonomous-system'])),
  }, ['value']),
  'mac-addr': spec('sco', { value: checkMac }, ['value']),
  mutex: spec('sco', { name: checkString }, ['name']),
  'network-traffic': spec('sco', {
    start: checkTimestamp, end: checkTimestamp, is_active: checkBoolean,
    src_ref: ref(refTo(['ipv4-addr', 'ipv6-addr', 'mac-addr', 'domain-name'])),
    dst_ref: ref(refTo(['ipv4-addr', 'ipv6-addr', 'mac-addr', 'domain-name'])),
    src_port: integer(0, 65535), dst_port: integer(0, 65535), protocols: checkProtocols, src_byte_count: nonNegative,
    dst_byte_count: nonNegative, src_packets: nonNegative, dst_packets: nonNegative,
    ipfix: dictionary(checkStringOrInteger, 'integers or strings', false), src_payload_ref: ref(refTo(['artifact'])),
    dst_payload_ref: ref(refTo(['artifact'])), encapsulates_refs: refs(refTo(['network-traffic'])),
    encapsulated_by_ref: ref(refTo(['network-traffic'])),
  }, ['protocols'], (c, o) => {
    requireOneOf(c, o, ['src_ref', 'dst_ref'], '6.12');
    checkOrder(c, o, 'start', 'end', false);
    if (o['is_active'] === true && present(o, 'end')) {
      c.error('$.end', 'mutually-exclusive', 'end must not be present when is_active is true (6.12).');
    }
  }),
  process: spec('sco', {
    is_hidden: checkBoolean, pid: integer(), created_time: checkTimestamp, cwd: checkString, command_line: checkString,
    environment_variables: dictionary(checkString, 'strings', false), opened_connection_refs: refs(refTo(['network-traffic'])),
    creator_user_ref: ref(refTo(['user-account'])), image_ref: ref(refTo(['file'])), parent_ref: ref(refTo(['process'])),
    child_refs: refs(refTo(['process'])),
  }, [], (c, o) => requireOneOf(c, o, PROCESS_PROPERTIES, '6.13: at least one property besides type')),
  software: spec('sco', {
    name: checkString, cpe: checkCpe, swid: checkString, languages: listOf(checkLanguage, 'RFC 5646 language tags'),
    vendor: checkString, version: checkString,
  }, ['name']),
  url: spec('sco', { value: checkUrl }, ['value']),
  'user-account': spec('sco', {
    user_id: checkString, credential: checkString, account_login: checkString, account_type: openVocab(ACCOUNT_TYPE_OV),
    display_name: checkString, is_service_account: checkBoolean, is_privileged: checkBoolean,
    can_escalate_privs: checkBoolean, is_disabled: checkBoolean, account_created: checkTimestamp,
    account_expires: checkTimestamp, credential_last_changed: checkTimestamp, account_first_login: checkTimestamp,
    account_last_login: checkTimestamp,
  }, [], (c, o) => requireOneOf(c, o, USER_ACCOUNT_PROPERTIES, '6.16')),
  'windows-registry-key': spec('sco', {
    key: checkRegistryKey, values: listOf(struct({
      describe: 'A Windows registry value',
      atLeastOne: true,
      props: { name: checkString, data: checkString, data_type: enumeration(WINDOWS_REGISTRY_DATATYPE_ENUM) },
    }), 'registry values'),
    modified_time: checkTimestamp, creator_user_ref: ref(refTo(['user-account'])), number_of_subkeys: nonNegative,
  }, [], (c, o) => requireOneOf(c, o, ['key', 'values', 'modified_time', 'creator_user_ref', 'number_of_subkeys'], '6.17')),
  'x509-certificate': spec('sco', {
    is_self_signed: checkBoolean, hashes: checkHashes, version: checkString, serial_number: checkString,
    signature_algorithm: checkString, issuer: checkString, validity_not_before: checkTimestamp,
    validity_not_after: checkTimestamp, subject: checkString, subject_public_key_algorithm: checkString,
    subject_public_key_modulus: checkString, subject_public_key_exponent: integer(),
    x509_v3_extensions: struct({
      describe: 'x509_v3_extensions',
      atLeastOne: true,
      props: {
        basic_constraints: checkString, name_constraints: checkString, policy_constraints: checkString,
        key_usage: checkString, extended_key_usage: checkString, subject_key_identifier: checkString,
        authority_key_identifier: checkString, subject_alternative_name: checkString,
        issuer_alternative_name: checkString, subject_directory_attributes: checkString,
        crl_distribution_points: checkString, inhibit_any_policy: checkString,
        private_key_usage_period_not_before: checkTimestamp, private_key_usage_period_not_after: checkTimestamp,
        certificate_policies: checkString, policy_mappings: checkString,
      },
    }),
  }, [], (c, o) => {
    requireOneOf(c, o, X509_PROPERTIES, '6.18');
    checkOrder(c, o, 'validity_not_before', 'validity_not_after', false);
  }),

  // ---------------------------------------------------------------- Meta objects (7)
  'language-content': spec('meta', {
    object_ref: ref(ANY_OBJECT), object_modified: checkTimestamp, contents: checkLanguageContents,
  }, ['object_ref', 'contents'], undefined, 'language-content'),
  'marking-definition': {
    ...spec('meta', {
      name: checkString, definition_type: openVocab(MARKING_DEFINITION_TYPE_OV), definition: checkMarkingDefinitionBody,
    }, [], checkMarkingDefinition, 'marking-definition'),
    required: ['spec_version', 'id', 'created'],
  },
  'extension-definition': spec('meta', {
    name: checkString, description: checkString, schema: checkString, version: checkString,
    extension_types: listOf(enumeration(EXTENSION_TYPE_ENUM), 'extension types'), extension_properties: checkStringList,
  }, ['created_by_ref', 'name', 'schema', 'version', 'extension_types'], (c, o) => {
    const types = o['extension_types'];
    const toplevel = Array.isArray(types) && types.includes('toplevel-property-extension');
    if (present(o, 'extension_properties') && !toplevel) {
      c.error('$.extension_properties', 'dependent-property', 'extension_properties may only be used when extension_types includes toplevel-property-extension (7.3.1).');
    }
    if (toplevel && !present(o, 'extension_properties')) {
      c.warn('$.extension_properties', 'dependent-property', 'A toplevel-property-extension SHOULD list the property names it adds in extension_properties (7.3.1).');
    }
  }, 'extension-definition'),
};

// ---------------------------------------------------------------------------------------------
// Checks referenced by the table above (function declarations are hoisted)
// ---------------------------------------------------------------------------------------------

function checkObservableContainer(c: Context, v: unknown, path: string): void {
  if (!isPlainObject(v)) return typeError(c, path, 'an observable container (a dictionary of cyber-observable objects)', v);
  let empty = true;
  for (const key in v) {
    empty = false;
    const sco = v[key];
    const at = childPath(path, key);
    if (!isPlainObject(sco)) typeError(c, at, 'a cyber-observable object', sco);
    else if (typeof sco['type'] !== 'string') c.error(`${at}.type`, 'required', 'Each object in the observable container needs a type (2.13).');
  }
  if (empty) c.error(path, 'empty-dictionary', 'The objects container must contain at least one object (4.14).');
}

function checkRelationshipType(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a string such as "uses" or "indicates"', v);
  if (!RELATIONSHIP_TYPE_RE.test(v)) {
    c.error(path, 'value-format', `relationship_type ${JSON.stringify(v)} must use only a-z, 0-9 and '-' (5.1), e.g. "related-to".`);
  }
}

function checkProtocols(c: Context, v: unknown, path: string, parent: Json): void {
  checkStringList(c, v, path, parent);
  if (!Array.isArray(v)) return;
  for (let i = 0; i < v.length; i++) {
    const protocol = v[i];
    if (typeof protocol === 'string' && protocol !== protocol.toLowerCase()) {
      c.warn(`${path}[${i}]`, 'value-format', `Protocol names SHOULD be lowercase IANA service names (6.12); write ${JSON.stringify(protocol.toLowerCase())}.`);
    }
  }
}

function checkIpv4(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'an IPv4 address or CIDR block string', v);
  if (!IPV4_CIDR_RE.test(v)) {
    c.error(path, 'value-format', `${JSON.stringify(v)} is not an IPv4 address in CIDR notation (6.8), e.g. "198.51.100.3" or "198.51.100.0/24".`);
  }
}

/** IPv6 address (RFC 4291 text forms, including an embedded IPv4 tail) with an optional /0-128 prefix. */
function isIpv6Cidr(value: string): boolean {
  let address = value;
  const slash = value.indexOf('/');
  if (slash >= 0) {
    const prefix = value.slice(slash + 1);
    if (!/^(?:12[0-8]|1[01][0-9]|[1-9]?[0-9])$/.test(prefix)) return false;
    address = value.slice(0, slash);
  }
  let groups = 8;
  const lastColon = address.lastIndexOf(':');
  if (lastColon >= 0 && address.indexOf('.', lastColon) > lastColon) {
    if (!IPV4_RE.test(address.slice(lastColon + 1))) return false;
    address = `${address.slice(0, lastColon + 1)}0`;
    groups = 7;
  }
  const doubleColon = address.indexOf('::');
  if (doubleColon >= 0) {
    if (address.indexOf('::', doubleColon + 1) >= 0) return false;
    const head = address.slice(0, doubleColon);
    const tail = address.slice(doubleColon + 2);
    const headParts = head === '' ? [] : head.split(':');
    const tailParts = tail === '' ? [] : tail.split(':');
    if (headParts.length + tailParts.length > groups - 1) return false;
    return headParts.every((g) => HEX_GROUP_RE.test(g)) && tailParts.every((g) => HEX_GROUP_RE.test(g));
  }
  const parts = address.split(':');
  return parts.length === groups && parts.every((g) => HEX_GROUP_RE.test(g));
}

function checkIpv6(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'an IPv6 address or CIDR block string', v);
  if (!isIpv6Cidr(v)) {
    c.error(path, 'value-format', `${JSON.stringify(v)} is not an IPv6 address in CIDR notation (6.9), e.g. "2001:db8::1" or "2001:db8::/32".`);
  }
}

function checkMac(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a MAC address string', v);
  if (!MAC_RE.test(v)) {
    c.error(path, 'value-format', `${JSON.stringify(v)} must be a colon-delimited, lowercase MAC-48 address with leading zeros (6.10), e.g. "00:00:ab:cd:ef:01".`);
  }
}

function checkDomainName(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a domain name string', v);
  if (!DOMAIN_RE.test(v)) {
    c.warn(path, 'value-format', `${JSON.stringify(v)} does not look like an RFC 1034 domain name (6.4): labels of 1-63 letters, digits and hyphens separated by dots (IDNs in A-label form).`);
  }
}

function checkEmailAddress(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'an email address string', v);
  const at = v.lastIndexOf('@');
  if (at <= 0 || at === v.length - 1 || /\s|[<>]/.test(v)) {
    c.warn(path, 'value-format', `${JSON.stringify(v)} does not look like an RFC 5322 addr-spec (6.5): use local-part@domain without a display name.`);
  }
}

function checkUrl(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a URL string', v);
  if (!URL_RE.test(v)) {
    c.warn(path, 'value-format', `${JSON.stringify(v)} does not look like an RFC 3986 URL (6.15): it needs a scheme (e.g. "https:") and no whitespace.`);
  }
}

function checkCpe(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a CPE 2.3 string', v);
  if (!CPE23_RE.test(v)) {
    c.error(path, 'value-format', `cpe must be a CPE 2.3 entry (6.14), starting "cpe:2.3:a:", "cpe:2.3:o:" or "cpe:2.3:h:"; got ${JSON.stringify(v)}.`);
  }
}

function checkRegistryKey(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a registry key string', v);
  if (REGISTRY_ABBREVIATED_HIVE_RE.test(v)) {
    c.error(path, 'value-format', `The hive of ${JSON.stringify(v)} is abbreviated; it must be fully expanded (6.17), e.g. HKEY_LOCAL_MACHINE instead of HKLM.`);
  }
}

function checkLanguageContents(c: Context, v: unknown, path: string): void {
  if (!isPlainObject(v)) return typeError(c, path, 'a dictionary keyed by RFC 5646 language code', v);
  let empty = true;
  for (const key in v) {
    empty = false;
    const at = childPath(path, key);
    if (!LANGTAG_RE.test(key)) c.error(at, 'lang', `contents key ${JSON.stringify(key)} must be an RFC 5646 language code (7.1), e.g. "de" or "fr-CA".`);
    const translation = v[key];
    if (!isPlainObject(translation)) typeError(c, at, 'an object mirroring the translated properties', translation);
  }
  if (empty) c.error(path, 'empty-dictionary', 'contents must provide at least one language (7.1).');
}

function checkMarkingDefinitionBody(c: Context, v: unknown, path: string): void {
  if (!isPlainObject(v)) typeError(c, path, 'a marking object such as {"statement": "..."} or {"tlp": "green"}', v);
}

function checkMarkingDefinition(c: Context, o: Json): void {
  const definitionType = o['definition_type'];
  const definition = o['definition'];
  if (!present(o, 'extensions')) {
    if (definitionType === undefined) c.error('$.definition_type', 'required', 'A marking definition without extensions requires definition_type (7.2.1).');
    if (definition === undefined) c.error('$.definition', 'required', 'A marking definition without extensions requires definition (7.2.1).');
  }
  if (!isPlainObject(definition)) return;
  if (definitionType === 'statement') {
    const statement = definition['statement'];
    if (statement === undefined) c.error('$.definition.statement', 'required', 'A statement marking requires definition.statement (7.2.1.3).');
    else checkString(c, statement, '$.definition.statement', definition);
  } else if (definitionType === 'tlp') {
    const level = definition['tlp'];
    const expected = c.id === undefined ? undefined : TLP_V1_MARKING_IDS.get(c.id);
    if (typeof level !== 'string' || !['white', 'green', 'amber', 'red'].includes(level)) {
      c.error('$.definition.tlp', 'tlp-marking', `definition.tlp must be one of white, green, amber, red (7.2.1.4); got ${describeJson(level)}.`);
    } else if (expected === undefined) {
      c.error('$.id', 'tlp-marking', `Only the four TLP marking definitions of the specification may be used (7.2.1.4); reference marking-definition--${TLP_V1_ID_BY_LEVEL.get(level) ?? ''} for TLP:${level.toUpperCase()} instead of defining a new one.`);
    } else if (expected !== level) {
      c.error('$.definition.tlp', 'tlp-marking', `${c.id} is the standard TLP:${expected.toUpperCase()} marking, but it says ${JSON.stringify(level)}; use the standard definition unchanged.`);
    }
  }
}

const TLP_V1_ID_BY_LEVEL = new Map([...TLP_V1_MARKING_IDS].map(([id, level]) => [level, id.slice('marking-definition--'.length)]));

const PROCESS_PROPERTIES = [
  'is_hidden', 'pid', 'created_time', 'cwd', 'command_line', 'environment_variables', 'opened_connection_refs',
  'creator_user_ref', 'image_ref', 'parent_ref', 'child_refs', 'extensions',
];
const USER_ACCOUNT_PROPERTIES = [
  'user_id', 'credential', 'account_login', 'account_type', 'display_name', 'is_service_account', 'is_privileged',
  'can_escalate_privs', 'is_disabled', 'account_created', 'account_expires', 'credential_last_changed',
  'account_first_login', 'account_last_login', 'extensions',
];
const X509_PROPERTIES = [
  'is_self_signed', 'hashes', 'version', 'serial_number', 'signature_algorithm', 'issuer', 'validity_not_before',
  'validity_not_after', 'subject', 'subject_public_key_algorithm', 'subject_public_key_modulus',
  'subject_public_key_exponent', 'x509_v3_extensions',
];

/** Custom objects: the common property rules of their kind, no type-specific properties. */
const CUSTOM_RULES = propertyRules({}, new Set());
const CUSTOM_SPECS: Readonly<Record<StixCategory, TypeSpec>> = {
  sdo: { category: 'sdo', rules: CUSTOM_RULES, required: [...VERSIONED_REQUIRED] },
  sro: { category: 'sro', rules: CUSTOM_RULES, required: [...VERSIONED_REQUIRED] },
  sco: { category: 'sco', rules: CUSTOM_RULES, required: ['id'] },
  meta: { category: 'meta', rules: CUSTOM_RULES, required: ['spec_version', 'id', 'created'] },
};

/** The kind of a custom object: from its new-sdo/new-sco/new-sro extension, else SDO-like if it is versioned. */
function customCategory(o: Json): StixCategory {
  const extensions = o['extensions'];
  if (isPlainObject(extensions)) {
    for (const key in extensions) {
      const ext = extensions[key];
      if (!isPlainObject(ext)) continue;
      const extensionType = ext['extension_type'];
      if (extensionType === 'new-sdo') return 'sdo';
      if (extensionType === 'new-sco') return 'sco';
      if (extensionType === 'new-sro') return 'sro';
    }
  }
  return o['created'] !== undefined || o['modified'] !== undefined ? 'sdo' : 'sco';
}

// =============================================================================================
// Object-level checks
// =============================================================================================

function checkIdentity(c: Context, o: Json): void {
  const id = o['id'];
  if (id === undefined) {
    c.error('$.id', 'required', `Every STIX object requires an id of the form ${c.type || '<type>'}--<UUID>.`);
    return;
  }
  if (typeof id !== 'string') return typeError(c, '$.id', `an identifier such as "${c.type || 'indicator'}--<UUID>"`, id);
  if (identifierTypeLength(id) < 0) {
    c.error('$.id', 'id-format', `${JSON.stringify(id)} is not a STIX identifier: ${identifierProblem(id)}.`);
    return;
  }
  if (c.type !== '' && (id.length - 38 !== c.type.length || !id.startsWith(c.type))) {
    c.error('$.id', 'id-format', `The id's type prefix ${JSON.stringify(id.slice(0, id.length - 38))} must equal the object's type ${JSON.stringify(c.type)} (2.9): use ${c.type}--${id.slice(-36)}.`);
  }
  if (hasUppercaseHex(id, id.length - 36)) {
    c.warn('$.id', 'id-format', 'UUIDs are written in lowercase hex (RFC 4122); references compare ids exactly, so lowercase it everywhere.');
  }
  const versionCode = id.charCodeAt(id.length - 22);
  if (c.category === 'sco' && !c.custom) {
    checkScoId(c, o, id, String.fromCharCode(versionCode));
  } else if (versionCode !== 52 && c.category !== 'sco') {
    const version = String.fromCharCode(versionCode);
    c.warn('$.id', 'uuid-version', `${c.category === 'sro' ? 'SROs' : c.category === 'meta' ? 'Meta objects' : 'SDOs'} SHOULD use a UUIDv4 id (2.9); this is a version ${version} UUID.`);
  }
}

function checkScoId(c: Context, o: Json, id: string, version: string): void {
  const contributing = ID_CONTRIBUTING_PROPERTIES[c.type] ?? [];
  if (contributing.length === 0) {
    if (version !== '4') c.warn('$.id', 'sco-id', `${c.type} has no ID Contributing Properties, so its id SHOULD be a UUIDv4 (6.13); this is a version ${version} UUID.`);
    return;
  }
  const expected = computeScoId(o);
  if (expected === undefined) {
    if (version !== '4') {
      c.error('$.id', 'sco-id', `None of the ID Contributing Properties (${contributing.join(', ')}) is present, so the id MUST be a UUIDv4 (2.9); this is a version ${version} UUID.`);
    }
    return;
  }
  if (version !== '5') {
    c.warn('$.id', 'sco-id', `SCOs SHOULD use a deterministic UUIDv5 id (2.9); from ${contributing.join(', ')} this object's id would be ${expected}. Consumers cannot deduplicate it otherwise.`);
  } else if (expected !== id) {
    c.warn('$.id', 'sco-id', `The id is a UUIDv5 but not the deterministic one: from the ID Contributing Properties (${contributing.join(', ')}) it should be ${expected} (2.9). Either another namespace was used or the properties changed; consumers may not deduplicate it.`);
  }
}

function checkSpecVersion(c: Context, o: Json): void {
  const specVersion = o['spec_version'];
  if (specVersion === undefined) {
    if (c.category !== 'sco') {
      c.error('$.spec_version', 'required', `${c.type} objects require spec_version "2.1" (3.2).`);
    }
    return;
  }
  if (specVersion !== '2.1') {
    c.error('$.spec_version', 'spec-version', `spec_version must be "2.1" for STIX 2.1 objects (3.2); got ${describeJson(specVersion)}.`);
  }
}

function checkUnknownProperty(c: Context, key: string, value: unknown): void {
  const path = childPath('$', key);
  if (RESERVED_PROPERTY_NAMES.has(key)) {
    c.error(path, 'reserved-property', `${key} is a reserved property name (3.8) and must not be used; rename or remove it.`);
    return;
  }
  if (!PROPERTY_NAME_RE.test(key)) {
    c.error(path, 'custom-property-name', `${JSON.stringify(key)} is not a property of ${c.type} and not a valid custom property name: custom names must be 3-250 characters from a-z, 0-9 and '_', starting with a letter (3.1, 11.1.1).`);
  } else if (!c.allowCustom && !c.declaresToplevelExtension()) {
    c.error(path, 'custom-property', `${key} is not a property of ${c.type}; custom properties are not accepted here. Remove it or declare it through a toplevel-property-extension.`);
  }
  if (value === null) {
    c.error(path, 'value-type', 'null is not a valid STIX value; omit the property instead.');
    return;
  }
  checkBySuffix(c, key, value, path, c.root);
}

function validateProperties(c: Context, o: Json, typeSpec: TypeSpec): void {
  for (const key in o) {
    if (key === 'type' || key === 'id' || key === 'spec_version') continue;
    const value = o[key];
    const rule = typeSpec.rules.get(key);
    if (rule === undefined) {
      checkUnknownProperty(c, key, value);
      continue;
    }
    if (rule.notApplicable) {
      if (key === 'defanged') {
        c.error(rule.path, 'not-applicable', 'defanged must not be used on objects other than SCOs (3.2); remove it.');
      } else {
        c.warn(rule.path, 'not-applicable', `${key} is not applicable to ${c.type} objects (3.2); consumers will ignore it.`);
      }
    }
    if (value === null) c.error(rule.path, 'value-type', `null is not a valid STIX value; omit ${key} instead.`);
    else rule.check(c, value, rule.path, o);
  }
  for (const key of typeSpec.required) {
    if (key === 'id') continue;
    if (o[key] === undefined && key !== 'spec_version') {
      c.error(`$.${key}`, 'required', `${c.type} objects require ${key}${requiredHint(key)}.`);
    }
  }
  checkVersionOrder(c, o);
  typeSpec.post?.(c, o);
}

function requiredHint(key: string): string {
  switch (key) {
    case 'created':
    case 'modified':
      return ' (a UTC timestamp with millisecond precision, e.g. "2016-01-20T12:31:12.123Z")';
    case 'is_family':
      return ' (true for a malware family, false for an instance)';
    case 'pattern_type':
      return ' (e.g. "stix")';
    default:
      return '';
  }
}

function checkVersionOrder(c: Context, o: Json): void {
  const created = o['created'];
  const modified = o['modified'];
  if (!c.createdValid || !c.modifiedValid || typeof created !== 'string' || typeof modified !== 'string') return;
  if (compareTimestamps(modified, created) < 0) {
    c.error('$.modified', 'modified-before-created', `modified (${modified}) must not be earlier than created (${created}) (3.6.1); a first version has modified equal to created.`);
  }
}

function utf8Length(o: unknown): number {
  return Buffer.byteLength(JSON.stringify(o), 'utf8');
}

// =============================================================================================
// Entry point
// =============================================================================================

/**
 * Validates one STIX object against STIX 2.1, upgrading STIX 2.0 content first.
 * Returns the (possibly upgraded) object with warnings, or every error found.
 * A valid 2.1 object is returned as the same, unmodified value.
 */
export function validateObject(input: unknown, options?: ValidateOptions): ValidationResult {
  if (!isPlainObject(input)) {
    return {
      ok: false,
      errors: [{ path: '$', rule: 'not-an-object', message: `A STIX object must be a JSON object, but this is ${describeJson(input)}.` }],
    };
  }
  const allowCustom = options?.allowCustom ?? true;

  if (options?.maxObjectBytes !== undefined) {
    const size = utf8Length(input);
    if (size > options.maxObjectBytes) {
      const id = typeof input['id'] === 'string' ? input['id'] : undefined;
      const issue: StixIssue = {
        path: '$',
        rule: 'object-size',
        message: `The object is ${size} bytes of JSON, above the limit of ${options.maxObjectBytes}; split or trim it (large payloads belong in artifacts referenced by url).`,
      };
      if (id !== undefined) issue.id = id;
      return { ok: false, errors: [issue] };
    }
  }

  let object = input;
  let upgraded: string[] = [];
  if (isStix20Object(input, options?.specVersion)) {
    const result = upgradeToStix21(input);
    object = result.object;
    upgraded = result.changes;
  }

  const c = new Context(object, allowCustom);
  const rawId = object['id'];
  if (typeof rawId === 'string') c.id = rawId;

  const type = object['type'];
  let typeSpec: TypeSpec | undefined;
  if (type === undefined) {
    c.error('$.type', 'required', 'Every STIX object requires a type, e.g. "indicator".');
  } else if (typeof type !== 'string') {
    typeError(c, '$.type', 'a type name string such as "indicator"', type);
  } else {
    c.type = type;
    typeSpec = TYPE_SPECS[type];
    if (typeSpec === undefined) {
      if (type === 'bundle') {
        c.error('$.type', 'unknown-type', 'A bundle is a container, not a STIX object: validate each member of its objects list instead.');
      } else if (type.length < 3 || type.length > 250 || !TYPE_NAME_RE.test(type)) {
        c.error('$.type', 'type-name', `${JSON.stringify(type)} is not a valid type name: use 3-250 characters from a-z, 0-9 and single hyphens, starting with a letter and not ending with a hyphen (3.1, 11.2.1).`);
      } else if (!allowCustom) {
        c.error('$.type', 'unknown-type', `${type} is not an object type defined by STIX 2.1 and custom objects are not accepted here.`);
      } else {
        c.custom = true;
        typeSpec = CUSTOM_SPECS[customCategory(object)];
        if (!hasNewTypeExtension(object)) {
          c.warn('$.type', 'custom-object', `${type} is a custom object type (11.2, deprecated); consumers that do not know it may ignore it. New types SHOULD be defined through an extension-definition (7.3).`);
        }
      }
    }
  }

  if (typeSpec !== undefined) {
    c.category = typeSpec.category;
    checkSpecVersion(c, object);
    checkIdentity(c, object);
    validateProperties(c, object, typeSpec);
  } else {
    checkIdentity(c, object);
  }

  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  // The checks above established the shape required of a StixObject (string type and id).
  return { ok: true, object: object as StixObject, warnings: c.warnings, upgraded };
}

function hasNewTypeExtension(o: Json): boolean {
  const extensions = o['extensions'];
  if (!isPlainObject(extensions)) return false;
  for (const key in extensions) {
    const ext = extensions[key];
    if (isPlainObject(ext) && typeof ext['extension_type'] === 'string' && ext['extension_type'].startsWith('new-')) return true;
  }
  return false;
}

/** Rule codes this validator can report, for documentation and tests. */
export const RULES = [
  'not-an-object', 'object-size', 'required', 'type-name', 'unknown-type', 'custom-object', 'id-format',
  'uuid-version', 'spec-version', 'value-type', 'range', 'empty-list', 'empty-dictionary', 'timestamp-format',
  'timestamp-precision', 'modified-before-created', 'timestamp-order', 'ref-format', 'ref-type', 'vocab', 'enum',
  'lang', 'external-reference', 'kill-chain-phase', 'granular-marking', 'object-marking', 'hash-key', 'hash-value',
  'hash-algorithm', 'dictionary-key', 'custom-property-name', 'custom-property', 'reserved-property',
  'not-applicable', 'extension', 'deprecated', 'pattern-syntax', 'pattern-version', 'sco-id', 'value-format',
  'tlp-marking', 'at-least-one', 'mutually-exclusive', 'dependent-property',
] as const;
