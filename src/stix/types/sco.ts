/** STIX Cyber-observable Objects (section 6). */
import type { Hashes, ScoBase } from './common.js';

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
