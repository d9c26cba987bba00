/** STIX Meta Objects (section 7) and the bundle (section 8). */
import type { Extensions, ExternalReference, GranularMarking, StixObject } from './common.js';

// ---------------------------------------------------------------------------------------------
// STIX Meta Objects (section 7)
// ---------------------------------------------------------------------------------------------

export interface LanguageContent extends StixObject {
  type: 'language-content';
  spec_version: string;
  created: string;
  modified: string;
  object_ref: string;
  object_modified?: string;
  contents: Record<string, Record<string, unknown>>;
  labels?: string[];
  confidence?: number;
  external_references?: ExternalReference[];
  granular_markings?: GranularMarking[];
  extensions?: Extensions;
}

export interface StatementMarking {
  statement: string;
}

export interface TlpMarking {
  tlp: 'white' | 'green' | 'amber' | 'red';
}

export interface MarkingDefinition extends StixObject {
  type: 'marking-definition';
  spec_version: string;
  created: string;
  name?: string;
  /** Deprecated in 2.1 in favour of extensions, still required when extensions is absent. */
  definition_type?: string;
  definition?: StatementMarking | TlpMarking | Record<string, unknown>;
  external_references?: ExternalReference[];
  granular_markings?: GranularMarking[];
  extensions?: Extensions;
}

export interface ExtensionDefinition extends StixObject {
  type: 'extension-definition';
  spec_version: string;
  created: string;
  modified: string;
  created_by_ref: string;
  name: string;
  description?: string;
  schema: string;
  version: string;
  extension_types: Array<'new-sdo' | 'new-sco' | 'new-sro' | 'property-extension' | 'toplevel-property-extension'>;
  extension_properties?: string[];
  labels?: string[];
  external_references?: ExternalReference[];
  granular_markings?: GranularMarking[];
}

// ---------------------------------------------------------------------------------------------
// Bundle (section 8): a transport wrapper, not a STIX Object.
// ---------------------------------------------------------------------------------------------

export interface Bundle {
  type: 'bundle';
  id: string;
  /** Present in STIX 2.0 bundles only. */
  spec_version?: string;
  objects?: StixObject[];
}
