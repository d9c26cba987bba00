/** The predefined SCO extensions (section 6) and the extensions property of every object (7.3). */
import {
  EXTENSION_TYPE_ENUM, NETWORK_SOCKET_ADDRESS_FAMILY_ENUM, NETWORK_SOCKET_TYPE_ENUM, TLP_V2_EXTENSION_ID,
  TLP_V2_LEVELS, TLP_V2_MARKING_IDS, WINDOWS_INTEGRITY_LEVEL_ENUM, WINDOWS_PEBINARY_TYPE_OV,
  WINDOWS_SERVICE_START_TYPE_ENUM, WINDOWS_SERVICE_STATUS_ENUM, WINDOWS_SERVICE_TYPE_ENUM,
} from '../vocab.js';
import { lookupTable } from '../lookup.js';
import { checkHashes, struct } from './common.js';
import { Context, childPath, describeJson, isPlainObject, typeError, type Check, type Json } from './context.js';
import {
  CUSTOM_EXTENSION_NAME_RE, DICTIONARY_KEY_RE, EXTENSION_DEFINITION_ID_RE, PROPERTY_NAME_RE, checkBoolean, checkHex,
  checkString, checkStringList, checkStringOrInteger, checkTimestamp, dictionary, enumeration, float,
  identifierProblem, integer, listOf, openVocab, ref, refTo, refs,
} from './primitives.js';

// =============================================================================================
// Predefined SCO extensions (section 6)
// =============================================================================================

export const nonNegative = integer(0);

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

const FILE_EXTENSIONS = lookupTable<Check>({
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
});

const NETWORK_TRAFFIC_EXTENSIONS = lookupTable<Check>({
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
});

const PROCESS_EXTENSIONS = lookupTable<Check>({
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
});

const USER_ACCOUNT_EXTENSIONS = lookupTable<Check>({
  'unix-account-ext': struct({
    describe: 'The unix-account-ext extension',
    atLeastOne: true,
    props: { gid: integer(), groups: checkStringList, home_dir: checkString, shell: checkString },
  }),
});

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

export const checkExtensions: Check = (c, v, path) => {
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

const PREDEFINED_EXTENSIONS = lookupTable({
  file: FILE_EXTENSIONS,
  'network-traffic': NETWORK_TRAFFIC_EXTENSIONS,
  process: PROCESS_EXTENSIONS,
  'user-account': USER_ACCOUNT_EXTENSIONS,
});
