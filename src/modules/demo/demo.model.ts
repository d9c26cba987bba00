/** What the demo alliance is made of, and the constants its callers and tests rely on. */
import type { MemberKind } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';

export type { MemberKind };

export interface DemoMember {
  code: string;
  name: string;
  kind: MemberKind;
  country: string | null;
  /** identity--<uuid> of the member's STIX identity. */
  identityId: string;
}

export interface DemoAlliance {
  members: DemoMember[];
  objects: StixObject[];
}

export const DEMO_DEFAULT_SEED = 0x5eed2025;
export const DEMO_DEFAULT_NOW = '2025-06-01T00:00:00.000Z';
export const DEMO_REPORT_LABEL = 'synthetic-demo';
export const SYNTHETIC_NOTICE = 'Synthetic demo data';
export const DEMO_ALLIANCE_CODE = 'NCIRC';

export const DEMO_INDICATOR_KINDS = [
  'file-md5', 'file-sha1', 'file-sha256', 'file-name-hash', 'ipv4', 'ipv4-cidr', 'ipv6', 'ipv6-cidr', 'domain',
  'url', 'email-addr', 'email-subject', 'mutex', 'registry', 'user-account', 'x509', 'network-port', 'process',
  'software', 'autonomous-system', 'mac-addr', 'user-agent', 'compound',
] as const;
export type DemoIndicatorKind = (typeof DEMO_INDICATOR_KINDS)[number];
