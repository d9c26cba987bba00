/** STIX objects in general: JSON values, type names by category, common data types (section 2) and common properties (3.2). */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Any STIX object as it travels: the common properties typed, everything else kept as JSON. */
export interface StixObject {
  type: string;
  id: string;
  spec_version?: string;
  created?: string;
  modified?: string;
  revoked?: boolean;
  created_by_ref?: string;
  object_marking_refs?: string[];
  [property: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Type names by category (spec sections 4-7). Lists keep the spec's order; sets answer membership.
// ---------------------------------------------------------------------------------------------

export const SDO_TYPE_LIST = [
  'attack-pattern',
  'campaign',
  'course-of-action',
  'grouping',
  'identity',
  'incident',
  'indicator',
  'infrastructure',
  'intrusion-set',
  'location',
  'malware',
  'malware-analysis',
  'note',
  'observed-data',
  'opinion',
  'report',
  'threat-actor',
  'tool',
  'vulnerability',
] as const;

export const SRO_TYPE_LIST = ['relationship', 'sighting'] as const;

export const SCO_TYPE_LIST = [
  'artifact',
  'autonomous-system',
  'directory',
  'domain-name',
  'email-addr',
  'email-message',
  'file',
  'ipv4-addr',
  'ipv6-addr',
  'mac-addr',
  'mutex',
  'network-traffic',
  'process',
  'software',
  'url',
  'user-account',
  'windows-registry-key',
  'x509-certificate',
] as const;

export const META_TYPE_LIST = ['language-content', 'marking-definition', 'extension-definition'] as const;

export type SdoType = (typeof SDO_TYPE_LIST)[number];
export type SroType = (typeof SRO_TYPE_LIST)[number];
export type ScoType = (typeof SCO_TYPE_LIST)[number];
export type MetaType = (typeof META_TYPE_LIST)[number];
export type StixTypeName = SdoType | SroType | ScoType | MetaType;

export const SDO_TYPES: ReadonlySet<string> = new Set<string>(SDO_TYPE_LIST);
export const SRO_TYPES: ReadonlySet<string> = new Set<string>(SRO_TYPE_LIST);
export const SCO_TYPES: ReadonlySet<string> = new Set<string>(SCO_TYPE_LIST);
export const META_TYPES: ReadonlySet<string> = new Set<string>(META_TYPE_LIST);

/** Object types that already existed in STIX 2.0 (objects of these types may arrive without spec_version). */
export const STIX20_TYPES: ReadonlySet<string> = new Set<string>([
  'attack-pattern',
  'campaign',
  'course-of-action',
  'identity',
  'indicator',
  'intrusion-set',
  'malware',
  'observed-data',
  'report',
  'threat-actor',
  'tool',
  'vulnerability',
  'relationship',
  'sighting',
  'marking-definition',
]);

export type StixCategory = 'sdo' | 'sro' | 'sco' | 'meta';

/** The category of a spec-defined type name, or undefined for custom and unknown types. */
export function stixCategory(type: string): StixCategory | undefined {
  if (SDO_TYPES.has(type)) return 'sdo';
  if (SRO_TYPES.has(type)) return 'sro';
  if (SCO_TYPES.has(type)) return 'sco';
  if (META_TYPES.has(type)) return 'meta';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Common data types (section 2)
// ---------------------------------------------------------------------------------------------

/** Hash algorithm name (hash-algorithm-ov, e.g. 'SHA-256') to hex digest. */
export type Hashes = Record<string, string>;

export interface ExternalReference {
  source_name: string;
  description?: string;
  url?: string;
  hashes?: Hashes;
  external_id?: string;
}

export interface KillChainPhase {
  kill_chain_name: string;
  phase_name: string;
}

/** Exactly one of marking_ref and lang is present. */
export interface GranularMarking {
  selectors: string[];
  marking_ref?: string;
  lang?: string;
}

/** One extension instance; keyed by an extension-definition id or a predefined extension name. */
export interface ExtensionInstance {
  extension_type?: 'new-sdo' | 'new-sco' | 'new-sro' | 'property-extension' | 'toplevel-property-extension';
  [property: string]: unknown;
}

export type Extensions = Record<string, ExtensionInstance>;

// ---------------------------------------------------------------------------------------------
// Common properties (section 3.2)
// ---------------------------------------------------------------------------------------------

/** Properties shared by SDOs and SROs. */
export interface StixCoreVersioned extends StixObject {
  spec_version: string;
  created: string;
  modified: string;
  created_by_ref?: string;
  revoked?: boolean;
  labels?: string[];
  confidence?: number;
  lang?: string;
  external_references?: ExternalReference[];
  object_marking_refs?: string[];
  granular_markings?: GranularMarking[];
  extensions?: Extensions;
}

export type SdoBase = StixCoreVersioned;
export type SroBase = StixCoreVersioned;

/** Properties shared by SCOs (not versioned: no created/modified). */
export interface ScoBase extends StixObject {
  spec_version?: string;
  object_marking_refs?: string[];
  granular_markings?: GranularMarking[];
  defanged?: boolean;
  extensions?: Extensions;
}
