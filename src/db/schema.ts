/** The tables as Kysely sees them. */
import type { ColumnType, Generated } from 'kysely';

/** Integers that PostgreSQL returns as strings for bigint are converted by the driver set-up. */
export interface StixObjectsTable {
  /** date_added in microseconds since the epoch: unique and strictly increasing per node. */
  seq: number;
  /** idHash(id): what lookups by id use (see modules/intel/intel.rows.ts). */
  id_hash: number;
  id: string;
  type: string;
  spec_version: string | null;
  created: string | null;
  modified: string | null;
  /** modified (or created) normalised to a fixed width so that versions compare as strings. */
  version: string;
  /** 1 on the newest version of each id, 0 on the older ones. */
  is_current: number;
  revoked: number;
  created_by_ref: string | null;
  tlp: string | null;
  classification: number | null;
  releasability: string | null;
  /** name, value or pattern: what the simple text search looks at. */
  label: string | null;
  body: string;
  /** The access set (marking columns and originator) of the row; see access_sets. */
  access_key: number | null;
  /** The member of the node whose identity is created_by_ref, if any. */
  origin_member: string | null;
  /** Who wrote the version: 'member:CODE', 'peer:NAME' or 'node'; null on rows from before it was kept. */
  submitter: string | null;
  /** What a relationship (source_ref) or sighting (sighting_of_ref) is about; null on other types. */
  about_ref: string | null;
  /** An indicator's properties as parsed at ingest (migration 0011); null on other types. */
  pattern: string | null;
  pattern_type: string | null;
  pattern_version: string | null;
  valid_from: string | null;
  valid_until: string | null;
  /** An integer 0-100, or null. */
  confidence: number | null;
  /** 1 when the indicator has granular_markings. */
  granular: number | null;
  /** The object's own top-level description (migration 0013): what `?q=` searches beside label. */
  description: string | null;
  /** A relationship's target_ref (migration 0013); null on other types. */
  target_ref: string | null;
}

export interface MembersTable {
  code: string;
  name: string;
  kind: string;
  country: string | null;
  identity_id: string | null;
  /** Points of contact, as a JSON array. */
  contacts: ColumnType<string, string | undefined, string>;
  created_at: ColumnType<string, string, never>;
}

export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  token_hash: string;
  role: string;
  member_code: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** The user the token acts for; tokens made before users existed act with their own role. */
  user_name: string | null;
  /** The credential request the token waits for (two-person rule); it works only once that is approved. */
  awaiting_request: ColumnType<number | null, number | null | undefined, number | null>;
  /** The token's last use before its current run of use (directory migration 0001_visits). */
  previous_used_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface UsersTable {
  name: string;
  member_code: string | null;
  clearance: number;
  /** Roles as ',analyst,auditor,'. */
  roles: string;
  password_hash: string | null;
  created_at: string;
  disabled_at: string | null;
  /** The user's last dashboard sign-in (directory migration 0001_visits). */
  last_sign_in_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface FederationStateTable {
  peer: string;
  pull_cursor: string | null;
  push_cursor: Generated<number>;
  pulled: Generated<number>;
  pushed: Generated<number>;
  refused: Generated<number>;
  last_pull_at: string | null;
  last_push_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  failures: Generated<number>;
  /** When the last pull and push ended in success. */
  pull_ok_at: string | null;
  push_ok_at: string | null;
  /** Failed attempts ever (failures: those in a row). */
  errors: Generated<number>;
  /** Of refused, those the peer refused when this node pushed to it. */
  push_refused: Generated<number>;
}

export interface FederationProvenanceTable {
  object_id: string;
  version: string;
  peer: string;
  received_at: string;
}

export interface MemberGroupsTable {
  name: string;
  description: string;
  created_at: string;
}

export interface MemberGroupMembersTable {
  group_name: string;
  member_code: string;
}

export interface AccessSetsTable {
  key: number;
  tlp: string | null;
  classification: number;
  releasability: string;
  /** db/access-sets.ts accessTupleHash of the set's tuple: how the writer finds it (migration 0015). */
  tuple_hash: number | null;
}

/** The intel store's own state by name (migration 0017): `seq_floor`, the highest sequence ever given. */
export interface IntelStateTable {
  name: string;
  value: number;
}

/** Objects deleted whole, in the order deleted (migration 0018): other processes drop them from their views. */
export interface IntelDeletionsTable {
  seq: number;
  id: string;
  /** When, in µs since the epoch. */
  at: number;
}

export interface PendingMarkingsTable {
  marking_ref: string;
  seq: number;
}

export interface AuditLogTable {
  seq: number;
  at: string;
  /** user:<name>, token:<name>, system:system or anonymous. */
  actor: string;
  action: string;
  subject: string;
  /** Canonical JSON (sorted keys). */
  detail: string;
  prev_hash: string;
  hash: string;
  /** HMAC-SHA256 under the audit key over the previous MAC and this hash; null before the key existed. */
  mac: string | null;
}

/** A node administrator's credential for a user beyond its reach, waiting for a second person. */
export interface CredentialRequestsTable {
  id: Generated<number>;
  kind: string;
  user_name: string;
  requested_by: string;
  reason: string;
  token_id: number | null;
  token_name: string | null;
  token_expires_at: string | null;
  password_hash: string | null;
  status: string;
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
}

export interface SessionsTable {
  id_hash: string;
  user_name: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  /** The user's sign-in before this session's; null for its first (directory migration 0001_visits). */
  previous_sign_in_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface PeersTable {
  name: string;
  certificate_cn: string;
  member_code: string;
  clearance: number;
  roles: string;
  created_at: string;
  disabled_at: string | null;
  members: string | null;
  url: string | null;
  pull_collection: string | null;
  push_collection: string | null;
  direction: Generated<string>;
  interval_s: Generated<number>;
  auth: Generated<string>;
  username: string | null;
  secret: string | null;
  ca_file: string | null;
  /** Seconds a peer may take to answer one page (headers, then each part of the body). */
  page_timeout_s: Generated<number>;
  /**
   * Who registered or widened the peer since it was last enabled (",user:a,"), while it waits,
   * disabled, for a second node administrator to enable it; null otherwise.
   */
  awaiting_approval_by: string | null;
}

export interface TaxiiStatusTable {
  id: string;
  /** The principal that made the request (only it reads the status). */
  owner: string;
  created_at: string;
  body: string;
}

export interface TaxiiCollectionsTable {
  id: string;
  alias: string;
  title: string;
  description: string;
  /** Releasability entries the view keeps, as ',A,B,'; null keeps everything. */
  audience: string | null;
  created_at: string;
}

export interface WarningListsTable {
  id: string;
  /** The set of entry rows the list reads (warning_list_entries.list_id); null: its id (warninglists migration 0001_entry_sets). */
  entries_set: ColumnType<string | null, string | null | undefined, string | null>;
  /** The owning member; null for a list of the node itself. */
  member_code: string | null;
  name: string;
  description: string;
  /** 'member' or 'alliance'. */
  scope: string;
  entries: number;
  /** UTF-8 bytes of its entries' values and comments (warninglists migration 0002_entry_bytes). */
  bytes: ColumnType<number, number | undefined, number>;
  /** warning_list_revision.revision when the list last changed. */
  revision: number;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface WarningListEntriesTable {
  /** The set of entries this row belongs to: a list's `entries_set` (or its id). */
  list_id: string;
  kind: string;
  /** Normalised entry: an observable value, a CIDR range or a '*.' domain suffix. */
  value: string;
  comment: string | null;
  added_at: string;
}

/** Sets of entry rows no list reads (replaced, of deleted lists, or being filled), until deleted (warninglists migration 0001_entry_sets). */
export interface WarningListPurgesTable {
  set_id: string;
  since: string;
}

/** One row (id 1): a counter moved by every warning-list change. */
export interface WarningListRevisionTable {
  id: number;
  revision: number;
}

/** Durable jobs (core/jobs.ts, migration 0012). Times are ISO 8601 text of the node's clock. */
export interface JobsTable {
  id: Generated<number>;
  kind: string;
  key: string | null;
  /** JSON. */
  payload: string;
  /** 'pending', 'running', 'done' or 'failed'. */
  state: string;
  due_at: string;
  attempts: number;
  /** null: retried for ever. */
  max_attempts: number | null;
  last_error: string | null;
  locked_by: string | null;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface Database {
  jobs: JobsTable;
  warning_lists: WarningListsTable;
  warning_list_entries: WarningListEntriesTable;
  warning_list_purges: WarningListPurgesTable;
  warning_list_revision: WarningListRevisionTable;
  taxii_collections: TaxiiCollectionsTable;
  taxii_status: TaxiiStatusTable;
  peers: PeersTable;
  federation_state: FederationStateTable;
  federation_provenance: FederationProvenanceTable;
  sessions: SessionsTable;
  credential_requests: CredentialRequestsTable;
  audit_log: AuditLogTable;
  stix_objects: StixObjectsTable;
  members: MembersTable;
  api_tokens: ApiTokensTable;
  users: UsersTable;
  member_groups: MemberGroupsTable;
  member_group_members: MemberGroupMembersTable;
  access_sets: AccessSetsTable;
  pending_markings: PendingMarkingsTable;
  intel_state: IntelStateTable;
  intel_deletions: IntelDeletionsTable;
}
