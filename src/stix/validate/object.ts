/** One object: its type's specification, its identity and spec_version, every property; the entry point. */
import { computeScoId, ID_CONTRIBUTING_PROPERTIES } from '../sco-id.js';
import { compareTimestamps } from '../timestamp.js';
import type { StixCategory, StixObject } from '../types.js';
import { isStix20Object, upgradeToStix21 } from '../upgrade.js';
import { RESERVED_PROPERTY_NAMES } from '../vocab.js';
import { checkBySuffix } from './common.js';
import {
  Context, childPath, describeJson, isPlainObject, typeError, type Json, type StixIssue, type ValidateOptions,
  type ValidationResult,
} from './context.js';
import {
  PROPERTY_NAME_RE, TYPE_NAME_RE, hasUppercaseHex, identifierProblem, identifierTypeLength,
} from './primitives.js';
import { lookupTable } from '../lookup.js';
import { META_SPECS } from './meta.js';
import { SCO_SPECS } from './sco.js';
import { SDO_SPECS } from './sdo.js';
import { VERSIONED_REQUIRED, propertyRules, type TypeSpec } from './spec.js';
import { SRO_SPECS } from './sro.js';

/** Every object type STIX 2.1 defines, by type name. */
const TYPE_SPECS = lookupTable<TypeSpec>({ ...SDO_SPECS, ...SRO_SPECS, ...SCO_SPECS, ...META_SPECS });

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
  'lang', 'external-reference', 'kill-chain-phase', 'granular-marking', 'object-marking', 'marking-bound', 'hash-key', 'hash-value',
  'hash-algorithm', 'dictionary-key', 'custom-property-name', 'custom-property', 'reserved-property',
  'not-applicable', 'extension', 'deprecated', 'pattern-syntax', 'pattern-version', 'sco-id', 'value-format',
  'tlp-marking', 'at-least-one', 'mutually-exclusive', 'dependent-property',
] as const;
