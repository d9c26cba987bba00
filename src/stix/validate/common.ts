/** Checks of the common structures (hashes, external references, kill chain phases, markings), custom properties and nested structures. */
import { compareTimestamps, timestampFractionDigits } from '../timestamp.js';
import { HASH_ALGORITHM_OV, HASH_NAME_BY_NORMALISED, HASH_VALUE_FORMATS } from '../vocab.js';
import { Context, childPath, describeJson, isPlainObject, typeError, type Check, type Json } from './context.js';
import {
  BASE64_RE, CAPEC_ID_RE, HASH_KEY_RE, HEX_RE, KILL_CHAIN_TERM_RE, PROPERTY_NAME_RE, SELECTOR_INDEX_RE,
  checkLanguage, checkReference, checkString, checkStringList, isIdentifier, listOf, refTo, refs,
} from './primitives.js';

// ---------------------------------------------------------------------------------------------
// Hashes, external references, kill chain phases, markings
// ---------------------------------------------------------------------------------------------

export const checkHashes: Check = (c, v, path) => {
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

export const checkExternalReferences = listOf(checkExternalReference, 'external references');

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

export const checkKillChainPhases = listOf(checkKillChainPhase, 'kill chain phases');

const MARKING_DEFINITION_TARGET = refTo(['marking-definition']);

const checkMarkingRefList = refs(MARKING_DEFINITION_TARGET);

/**
 * Markings one object carries, at most: STIX sets no bound, and each unknown reference is an
 * entry the object waits on, decided inside the write (80,000 granular markings held the node's
 * writer 17 s). Real objects carry a handful; the bounds leave room for per-field markings.
 */
export const OBJECT_MARKING_REFS_MAX = 100;
export const GRANULAR_MARKINGS_MAX = 1000;

/** A list check that first refuses more than `max` items (rule 'marking-bound'), naming the bound. */
function atMost(check: Check, max: number, what: string): Check {
  return (c, v, path, parent) => {
    if (Array.isArray(v) && v.length > max) {
      c.error(path, 'marking-bound', `${v.length} ${what}: an object carries at most ${max}; mark the object as a whole, or split it`);
      return;
    }
    check(c, v, path, parent);
  };
}

export const checkObjectMarkingRefs: Check = atMost((c, v, path, parent) => {
  checkMarkingRefList(c, v, path, parent);
  if (c.type === 'marking-definition' && Array.isArray(v) && c.id !== undefined && v.includes(c.id)) {
    c.error(path, 'object-marking', 'A marking definition must not mark itself (no circular references, 3.2); remove its own id.');
  }
}, OBJECT_MARKING_REFS_MAX, 'object markings');

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

export const checkGranularMarkings = atMost(listOf(checkGranularMarking, 'granular markings'), GRANULAR_MARKINGS_MAX, 'granular markings');

// ---------------------------------------------------------------------------------------------
// Custom properties (11.1) and nested structures
// ---------------------------------------------------------------------------------------------

/**
 * Custom property values whose name suffix (3.1) says what they hold: _ref/_refs identifiers,
 * _bin base64, _hex hex. The spec only obliges producers to pick these suffixes for such values,
 * not the reverse, so a mismatching custom value is a warning. _enc without its base property
 * breaks a MUST and is an error.
 */
export function checkBySuffix(c: Context, key: string, value: unknown, path: string, holder: Json): void {
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

export function struct(spec: StructSpec): Check {
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

export function checkOrder(c: Context, o: Json, earlierKey: string, laterKey: string, strict: boolean): void {
  const earlier = o[earlierKey];
  const later = o[laterKey];
  if (typeof earlier !== 'string' || typeof later !== 'string') return;
  if (timestampFractionDigits(earlier) < 0 || timestampFractionDigits(later) < 0) return;
  const cmp = compareTimestamps(later, earlier);
  if (cmp < 0 || (strict && cmp === 0)) {
    c.error(`$.${laterKey}`, 'timestamp-order', `${laterKey} (${later}) must be ${strict ? 'later than' : 'later than or equal to'} ${earlierKey} (${earlier}); correct one of them.`);
  }
}

export function present(o: Json, key: string): boolean {
  return o[key] !== undefined;
}
