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
}

export interface MembersTable {
  code: string;
  name: string;
  kind: string;
  country: string | null;
  identity_id: string | null;
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
}

export interface Database {
  stix_objects: StixObjectsTable;
  members: MembersTable;
  api_tokens: ApiTokensTable;
}
