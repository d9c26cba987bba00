/** STIX Meta Objects (section 7): language content, marking definitions and extension definitions. */
import { EXTENSION_TYPE_ENUM, TLP_V1_MARKING_IDS } from '../vocab.js';
import type { Vocabulary } from '../vocab.js';
import { present } from './common.js';
import { Context, childPath, describeJson, isPlainObject, typeError, type Json } from './context.js';
import {
  ANY_OBJECT, LANGTAG_RE, checkString, checkStringList, checkTimestamp, enumeration, listOf, openVocab, ref,
} from './primitives.js';
import { spec, type TypeSpec } from './spec.js';

const MARKING_DEFINITION_TYPE_OV: Vocabulary = Object.freeze({
  name: 'marking definition types (statement, tlp)',
  section: '7.2.1',
  closed: false,
  values: new Set(['statement', 'tlp']),
});

/** STIX Meta Objects (section 7). */
export const META_SPECS: Readonly<Record<string, TypeSpec>> = {
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
