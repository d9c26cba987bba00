/** Property value checks shared by every object family: primitives, identifiers and references. */
import { timestampFractionDigits, timestampProblem } from '../timestamp.js';
import { META_TYPES, SCO_TYPES, SDO_TYPES, SRO_TYPES, stixCategory } from '../types.js';
import type { Vocabulary } from '../vocab.js';
import { Context, childPath, isPlainObject, lastKey, typeError, type Check } from './context.js';

// =============================================================================================
// Regular expressions (compiled once)
// =============================================================================================

export const TYPE_NAME_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const UUID_SOURCE = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}';
const UUID_SHAPE_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Custom and extension property names (11.1.1, 7.3.2): ASCII a-z, 0-9, '_', 3-250 chars, starting with a letter (3.1). */
export const PROPERTY_NAME_RE = /^[a-z][a-z0-9_]{2,249}$/;
export const DICTIONARY_KEY_RE = /^[A-Za-z0-9_-]{1,250}$/;
export const HASH_KEY_RE = /^[A-Za-z0-9_-]{3,250}$/;
export const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
export const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
export const MAC_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
export const IPV4_CIDR_RE = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}(?:/(?:3[0-2]|[12]?[0-9]))?$`);
export const IPV4_RE = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
export const HEX_GROUP_RE = /^[0-9a-fA-F]{1,4}$/;
export const RELATIONSHIP_TYPE_RE = /^[a-z0-9-]{1,250}$/;
export const KILL_CHAIN_TERM_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const OPEN_VOCAB_TERM_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const URL_RE = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;
export const DOMAIN_RE = /^(?=.{1,253}\.?$)(?:(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\.)*(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\.?$/;
export const CPE23_RE = /^cpe:2\.3:[aho*-]:/;
export const COUNTRY_RE = /^[A-Za-z]{2}$/;
export const SELECTOR_INDEX_RE = /^\[(0|[1-9][0-9]*)\]$/;
export const CAPEC_ID_RE = /^CAPEC-[0-9]+$/;
export const CUSTOM_EXTENSION_NAME_RE = /^[a-z0-9-]{3,250}$/;
export const REGISTRY_ABBREVIATED_HIVE_RE = /^(?:HKLM|HKCU|HKCR|HKU|HKCC|HKPD)(?:\\|$)/i;
export const EXTENSION_DEFINITION_ID_RE = new RegExp(`^extension-definition--${UUID_SOURCE}$`);

function isHexCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
}

/**
 * Length of the type part when `value` is a STIX identifier (2.9): <type>--<UUID>, the type
 * lowercase a-z/0-9 with single inner hyphens, the UUID of the RFC 4122 variant with version
 * 1-8. -1 otherwise. Hand-written: this runs for every id and reference.
 */
export function identifierTypeLength(value: string): number {
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

export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && identifierTypeLength(value) > 0;
}

export function hasUppercaseHex(value: string, from: number): boolean {
  for (let i = from; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 65 && code <= 70) return true;
  }
  return false;
}

// RFC 5646 language tags: langtag, private use, and the irregular grandfathered tags.
export const LANGTAG_RE = new RegExp(
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

export const checkString: Check = (c, v, path) => {
  if (typeof v !== 'string') typeError(c, path, 'a string', v);
};

export const checkBoolean: Check = (c, v, path) => {
  if (typeof v !== 'boolean') typeError(c, path, 'a boolean (true or false)', v);
};

export function integer(min?: number, max?: number): Check {
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

export function float(min?: number, max?: number): Check {
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

export const checkTimestamp: Check = (c, v, path) => {
  if (typeof v !== 'string') {
    typeError(c, path, 'a timestamp string such as "2016-01-20T12:31:12.123Z"', v);
    return;
  }
  if (timestampFractionDigits(v) < 0) {
    c.error(path, 'timestamp-format', `The timestamp ${JSON.stringify(v)} ${timestampProblem(v) ?? 'is invalid'}.`);
  }
};

/** created / modified: a timestamp with at least millisecond precision (3.2). */
export const checkVersionTimestamp: Check = (c, v, path, parent) => {
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

export const checkHex: Check = (c, v, path) => {
  if (typeof v !== 'string') return typeError(c, path, 'a hex string', v);
  if (!HEX_RE.test(v)) {
    c.error(path, 'value-format', `${JSON.stringify(v)} is not hex: use an even number of characters 0-9 and a-f (2.8).`);
  }
};

export const checkBinary: Check = (c, v, path) => {
  if (typeof v !== 'string') return typeError(c, path, 'a base64 string', v);
  if (!BASE64_RE.test(v)) {
    c.error(path, 'value-format', 'Not valid base64 (RFC 4648, 2.1): use the standard alphabet A-Z a-z 0-9 + / with = padding and no whitespace.');
  }
};

export const checkLanguage: Check = (c, v, path) => {
  if (typeof v !== 'string') return typeError(c, path, 'an RFC 5646 language tag such as "en" or "de-CH"', v);
  if (!LANGTAG_RE.test(v)) c.error(path, 'lang', `${JSON.stringify(v)} is not an RFC 5646 language tag; use a code such as "en", "fr" or "zh-Hant".`);
};

export function listOf(item: Check, itemDescription: string): Check {
  return (c, v, path, parent) => {
    if (!Array.isArray(v)) return typeError(c, path, `a list of ${itemDescription}`, v);
    if (v.length === 0) {
      c.error(path, 'empty-list', 'Empty lists are prohibited (2.12): remove the property or give it at least one value.');
      return;
    }
    for (let i = 0; i < v.length; i++) item(c, v[i], `${path}[${i}]`, parent);
  };
}

export const checkStringList = listOf(checkString, 'strings');

export function openVocab(vocab: Vocabulary): Check {
  const shown = vocab.values.size <= 15 ? ` Suggested values: ${[...vocab.values].join(', ')}.` : '';
  return (c, v, path) => {
    if (typeof v !== 'string') return typeError(c, path, `a string (from ${vocab.name})`, v);
    if (vocab.values.has(v)) return;
    const style = OPEN_VOCAB_TERM_RE.test(v) ? '' : ' Values outside the vocabulary SHOULD be lowercase words joined by hyphens.';
    c.warn(path, 'vocab', `${JSON.stringify(v)} is not in the open vocabulary ${vocab.name} (section ${vocab.section}); it is allowed but consumers may ignore it.${style}${shown}`);
  };
}

export function enumeration(vocab: Vocabulary): Check {
  const allowed = [...vocab.values].join(', ');
  return (c, v, path) => {
    if (typeof v !== 'string') return typeError(c, path, `one of ${allowed}`, v);
    if (!vocab.values.has(v)) {
      c.error(path, 'enum', `${JSON.stringify(v)} is not a value of the closed enumeration ${vocab.name} (section ${vocab.section}); use one of: ${allowed}.`);
    }
  };
}

export function dictionary(value: Check | undefined, valueDescription: string, strictKeys = true): Check {
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

export const checkStringOrInteger: Check = (c, v, path) => {
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isSafeInteger(v))) typeError(c, path, 'a string or an integer', v);
};

// ---------------------------------------------------------------------------------------------
// Identifiers and references
// ---------------------------------------------------------------------------------------------

/** Why `value` is not an identifier, completing "... is not a STIX identifier: ...". */
export function identifierProblem(value: string): string {
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

export function refTo(types: readonly string[]): RefTarget {
  const set = new Set(types);
  const describe = types.length === 1 ? `a ${types[0]}` : `one of ${types.join(', ')}`;
  return { describe, prefixes: types.map((t) => `${t}--`), accepts: (type) => set.has(type) };
}

const isKnownType = (type: string): boolean => stixCategory(type) !== undefined;
export const ANY_OBJECT: RefTarget = { describe: 'any STIX object', accepts: () => true };
export const ANY_SDO: RefTarget = { describe: 'an SDO', accepts: (t) => SDO_TYPES.has(t) || !isKnownType(t) };
export const ANY_SCO: RefTarget = { describe: 'an SCO', accepts: (t) => SCO_TYPES.has(t) || !isKnownType(t) };
export const SDO_OR_SCO: RefTarget = {
  describe: 'an SDO or SCO (not an SRO, bundle, language-content, marking-definition or extension-definition)',
  accepts: (t) => t !== 'bundle' && !SRO_TYPES.has(t) && !META_TYPES.has(t),
};
export const SCO_OR_SRO: RefTarget = {
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

export function checkReference(c: Context, v: unknown, path: string, target: RefTarget): void {
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

export function ref(target: RefTarget): Check {
  return (c, v, path) => checkReference(c, v, path, target);
}

export function refs(target: RefTarget): Check {
  return (c, v, path) => {
    if (!Array.isArray(v)) return typeError(c, path, `a list of identifiers of ${target.describe}`, v);
    if (v.length === 0) {
      c.error(path, 'empty-list', 'Empty lists are prohibited (2.12): remove the property or give it at least one identifier.');
      return;
    }
    for (let i = 0; i < v.length; i++) checkReference(c, v[i], `${path}[${i}]`, target);
  };
}
