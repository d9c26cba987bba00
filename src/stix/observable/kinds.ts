/** The kinds of observable value the detection index knows. */

export const OBSERVABLE_KINDS = [
  'ipv4', 'ipv6', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'sha512', 'sha3-256', 'sha3-512',
  'ssdeep', 'tlsh', 'user-agent', 'mutex', 'registry-key', 'file-name', 'file-path', 'mac', 'asn', 'ja3',
] as const;
export type ObservableKind = (typeof OBSERVABLE_KINDS)[number];

export interface Cidr {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

const KIND_SET: ReadonlySet<string> = new Set<string>(OBSERVABLE_KINDS);

export function isObservableKind(s: string): s is ObservableKind {
  return KIND_SET.has(s);
}
