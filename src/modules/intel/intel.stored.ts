/** The columns of a stored object version that reads hand to the policy and the presenters. */
export interface StoredVersion {
  seq: number;
  body: string;
  tlp: string | null;
  classification: number | null;
  releasability: string | null;
  created_by_ref: string | null;
  access_key: number | null;
  origin_member: string | null;
  submitter: string | null;
}

export const STORED = ['seq', 'body', 'tlp', 'classification', 'releasability', 'created_by_ref', 'access_key', 'origin_member', 'submitter'] as const;
