/**
 * STIX 2.1 object model. Every object is a JSON value with at least `type` and `id`; the
 * per-type interfaces below narrow what the specification requires of each type.
 */
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

// ---------------------------------------------------------------------------------------------
// STIX Domain Objects (section 4)
// ---------------------------------------------------------------------------------------------

export interface AttackPattern extends SdoBase {
  type: 'attack-pattern';
  name: string;
  description?: string;
  aliases?: string[];
  kill_chain_phases?: KillChainPhase[];
}

export interface Campaign extends SdoBase {
  type: 'campaign';
  name: string;
  description?: string;
  aliases?: string[];
  first_seen?: string;
  last_seen?: string;
  objective?: string;
}

export interface CourseOfAction extends SdoBase {
  type: 'course-of-action';
  name: string;
  description?: string;
}

export interface Grouping extends SdoBase {
  type: 'grouping';
  name?: string;
  description?: string;
  context: string;
  object_refs: string[];
}

export interface Identity extends SdoBase {
  type: 'identity';
  name: string;
  description?: string;
  roles?: string[];
  identity_class?: string;
  sectors?: string[];
  contact_information?: string;
}

export interface Incident extends SdoBase {
  type: 'incident';
  name: string;
  description?: string;
}

export interface Indicator extends SdoBase {
  type: 'indicator';
  name?: string;
  description?: string;
  indicator_types?: string[];
  pattern: string;
  pattern_type: string;
  pattern_version?: string;
  valid_from: string;
  valid_until?: string;
  kill_chain_phases?: KillChainPhase[];
}

export interface Infrastructure extends SdoBase {
  type: 'infrastructure';
  name: string;
  description?: string;
  infrastructure_types?: string[];
  aliases?: string[];
  kill_chain_phases?: KillChainPhase[];
  first_seen?: string;
  last_seen?: string;
}

export interface IntrusionSet extends SdoBase {
  type: 'intrusion-set';
  name: string;
  description?: string;
  aliases?: string[];
  first_seen?: string;
  last_seen?: string;
  goals?: string[];
  resource_level?: string;
  primary_motivation?: string;
  secondary_motivations?: string[];
}

export interface Location extends SdoBase {
  type: 'location';
  name?: string;
  description?: string;
  latitude?: number;
  longitude?: number;
  precision?: number;
  region?: string;
  country?: string;
  administrative_area?: string;
  city?: string;
  street_address?: string;
  postal_code?: string;
}

export interface Malware extends SdoBase {
  type: 'malware';
  name?: string;
  description?: string;
  malware_types?: string[];
  is_family: boolean;
  aliases?: string[];
  kill_chain_phases?: KillChainPhase[];
  first_seen?: string;
  last_seen?: string;
  operating_system_refs?: string[];
  architecture_execution_envs?: string[];
  implementation_languages?: string[];
  capabilities?: string[];
  sample_refs?: string[];
}

export interface MalwareAnalysis extends SdoBase {
  type: 'malware-analysis';
  product: string;
  version?: string;
  host_vm_ref?: string;
  operating_system_ref?: string;
  installed_software_refs?: string[];
  configuration_version?: string;
  modules?: string[];
  analysis_engine_version?: string;
  analysis_definition_version?: string;
  submitted?: string;
  analysis_started?: string;
  analysis_ended?: string;
  result_name?: string;
  result?: string;
  analysis_sco_refs?: string[];
  sample_ref?: string;
}

export interface Note extends SdoBase {
  type: 'note';
  abstract?: string;
  content: string;
  authors?: string[];
  object_refs: string[];
}

/** Deprecated observable container: local keys ('0', '1', ...) to SCOs without ids. */
export type ObservableContainer = Record<string, { type: string; [property: string]: unknown }>;

export interface ObservedData extends SdoBase {
  type: 'observed-data';
  first_observed: string;
  last_observed: string;
  number_observed: number;
  objects?: ObservableContainer;
  object_refs?: string[];
}

export interface Opinion extends SdoBase {
  type: 'opinion';
  explanation?: string;
  authors?: string[];
  opinion: 'strongly-disagree' | 'disagree' | 'neutral' | 'agree' | 'strongly-agree';
  object_refs: string[];
}

export interface Report extends SdoBase {
  type: 'report';
  name: string;
  description?: string;
  report_types?: string[];
  published: string;
  object_refs: string[];
}

export interface ThreatActor extends SdoBase {
  type: 'threat-actor';
  name: string;
  description?: string;
  threat_actor_types?: string[];
  aliases?: string[];
  first_seen?: string;
  last_seen?: string;
  roles?: string[];
  goals?: string[];
  sophistication?: string;
  resource_level?: string;
  primary_motivation?: string;
  secondary_motivations?: string[];
  personal_motivations?: string[];
}

export interface Tool extends SdoBase {
  type: 'tool';
  name: string;
  description?: string;
  tool_types?: string[];
  aliases?: string[];
  kill_chain_phases?: KillChainPhase[];
  tool_version?: string;
}

export interface Vulnerability extends SdoBase {
  type: 'vulnerability';
  name: string;
  description?: string;
}

// ---------------------------------------------------------------------------------------------
// STIX Relationship Objects (section 5)
// ---------------------------------------------------------------------------------------------

export interface Relationship extends SroBase {
  type: 'relationship';
  relationship_type: string;
  description?: string;
  source_ref: string;
  target_ref: string;
  start_time?: string;
  stop_time?: string;
}

export interface Sighting extends SroBase {
  type: 'sighting';
  description?: string;
  first_seen?: string;
  last_seen?: string;
  count?: number;
  sighting_of_ref: string;
  observed_data_refs?: string[];
  where_sighted_refs?: string[];
  summary?: boolean;
}

// ---------------------------------------------------------------------------------------------
// STIX Cyber-observable Objects (section 6)
// ---------------------------------------------------------------------------------------------

export interface Artifact extends ScoBase {
  type: 'artifact';
  mime_type?: string;
  payload_bin?: string;
  url?: string;
  hashes?: Hashes;
  encryption_algorithm?: 'AES-256-GCM' | 'ChaCha20-Poly1305' | 'mime-type-indicated';
  decryption_key?: string;
}

export interface AutonomousSystem extends ScoBase {
  type: 'autonomous-system';
  number: number;
  name?: string;
  rir?: string;
}

export interface Directory extends ScoBase {
  type: 'directory';
  path: string;
  path_enc?: string;
  ctime?: string;
  mtime?: string;
  atime?: string;
  contains_refs?: string[];
}

export interface DomainName extends ScoBase {
  type: 'domain-name';
  value: string;
  resolves_to_refs?: string[];
}

export interface EmailAddress extends ScoBase {
  type: 'email-addr';
  value: string;
  display_name?: string;
  belongs_to_ref?: string;
}

export interface EmailMimePart {
  body?: string;
  body_raw_ref?: string;
  content_type?: string;
  content_disposition?: string;
}

export interface EmailMessage extends ScoBase {
  type: 'email-message';
  is_multipart: boolean;
  date?: string;
  content_type?: string;
  from_ref?: string;
  sender_ref?: string;
  to_refs?: string[];
  cc_refs?: string[];
  bcc_refs?: string[];
  message_id?: string;
  subject?: string;
  received_lines?: string[];
  additional_header_fields?: Record<string, string[]>;
  body?: string;
  body_multipart?: EmailMimePart[];
  raw_email_ref?: string;
}

export interface File extends ScoBase {
  type: 'file';
  hashes?: Hashes;
  size?: number;
  name?: string;
  name_enc?: string;
  magic_number_hex?: string;
  mime_type?: string;
  ctime?: string;
  mtime?: string;
  atime?: string;
  parent_directory_ref?: string;
  contains_refs?: string[];
  content_ref?: string;
}

export interface IPv4Address extends ScoBase {
  type: 'ipv4-addr';
  value: string;
  resolves_to_refs?: string[];
  belongs_to_refs?: string[];
}

export interface IPv6Address extends ScoBase {
  type: 'ipv6-addr';
  value: string;
  resolves_to_refs?: string[];
  belongs_to_refs?: string[];
}

export interface MacAddress extends ScoBase {
  type: 'mac-addr';
  value: string;
}

export interface Mutex extends ScoBase {
  type: 'mutex';
  name: string;
}

export interface NetworkTraffic extends ScoBase {
  type: 'network-traffic';
  start?: string;
  end?: string;
  is_active?: boolean;
  src_ref?: string;
  dst_ref?: string;
  src_port?: number;
  dst_port?: number;
  protocols: string[];
  src_byte_count?: number;
  dst_byte_count?: number;
  src_packets?: number;
  dst_packets?: number;
  ipfix?: Record<string, string | number>;
  src_payload_ref?: string;
  dst_payload_ref?: string;
  encapsulates_refs?: string[];
  encapsulated_by_ref?: string;
}

export interface Process extends ScoBase {
  type: 'process';
  is_hidden?: boolean;
  pid?: number;
  created_time?: string;
  cwd?: string;
  command_line?: string;
  environment_variables?: Record<string, string>;
  opened_connection_refs?: string[];
  creator_user_ref?: string;
  image_ref?: string;
  parent_ref?: string;
  child_refs?: string[];
}

export interface Software extends ScoBase {
  type: 'software';
  name: string;
  cpe?: string;
  swid?: string;
  languages?: string[];
  vendor?: string;
  version?: string;
}

export interface Url extends ScoBase {
  type: 'url';
  value: string;
}

export interface UserAccount extends ScoBase {
  type: 'user-account';
  user_id?: string;
  credential?: string;
  account_login?: string;
  account_type?: string;
  display_name?: string;
  is_service_account?: boolean;
  is_privileged?: boolean;
  can_escalate_privs?: boolean;
  is_disabled?: boolean;
  account_created?: string;
  account_expires?: string;
  credential_last_changed?: string;
  account_first_login?: string;
  account_last_login?: string;
}

export interface WindowsRegistryValue {
  name?: string;
  data?: string;
  data_type?: string;
}

export interface WindowsRegistryKey extends ScoBase {
  type: 'windows-registry-key';
  key?: string;
  values?: WindowsRegistryValue[];
  modified_time?: string;
  creator_user_ref?: string;
  number_of_subkeys?: number;
}

export interface X509V3Extensions {
  basic_constraints?: string;
  name_constraints?: string;
  policy_constraints?: string;
  key_usage?: string;
  extended_key_usage?: string;
  subject_key_identifier?: string;
  authority_key_identifier?: string;
  subject_alternative_name?: string;
  issuer_alternative_name?: string;
  subject_directory_attributes?: string;
  crl_distribution_points?: string;
  inhibit_any_policy?: string;
  private_key_usage_period_not_before?: string;
  private_key_usage_period_not_after?: string;
  certificate_policies?: string;
  policy_mappings?: string;
}

export interface X509Certificate extends ScoBase {
  type: 'x509-certificate';
  is_self_signed?: boolean;
  hashes?: Hashes;
  version?: string;
  serial_number?: string;
  signature_algorithm?: string;
  issuer?: string;
  validity_not_before?: string;
  validity_not_after?: string;
  subject?: string;
  subject_public_key_algorithm?: string;
  subject_public_key_modulus?: string;
  subject_public_key_exponent?: number;
  x509_v3_extensions?: X509V3Extensions;
}

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

// ---------------------------------------------------------------------------------------------
// Unions
// ---------------------------------------------------------------------------------------------

export type StixDomainObject =
  | AttackPattern
  | Campaign
  | CourseOfAction
  | Grouping
  | Identity
  | Incident
  | Indicator
  | Infrastructure
  | IntrusionSet
  | Location
  | Malware
  | MalwareAnalysis
  | Note
  | ObservedData
  | Opinion
  | Report
  | ThreatActor
  | Tool
  | Vulnerability;

export type StixRelationshipObject = Relationship | Sighting;

export type StixCyberObservableObject =
  | Artifact
  | AutonomousSystem
  | Directory
  | DomainName
  | EmailAddress
  | EmailMessage
  | File
  | IPv4Address
  | IPv6Address
  | MacAddress
  | Mutex
  | NetworkTraffic
  | Process
  | Software
  | Url
  | UserAccount
  | WindowsRegistryKey
  | X509Certificate;

export type StixMetaObject = LanguageContent | MarkingDefinition | ExtensionDefinition;

export type StixCoreObject = StixDomainObject | StixRelationshipObject | StixCyberObservableObject;

/** Any object of a type defined by the specification. */
export type KnownStixObject = StixCoreObject | StixMetaObject;
