/** Who is acting: a user (through a token, a session or a certificate), a peer node, or the node itself. */
export const ROLES = ['analyst', 'incident-handler', 'coordinator', 'political-delegate', 'member-admin', 'node-admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const MEMBER_KINDS = ['ally', 'partner', 'international-organisation', 'industry'] as const;
export type MemberKind = (typeof MEMBER_KINDS)[number];

/** Built-in groups, each the members of one kind. */
export const BUILT_IN_GROUPS: Readonly<Record<string, MemberKind>> = Object.freeze({ ALLIANCE: 'ally', PARTNERS: 'partner', INDUSTRY: 'industry' });

export interface MemberOfPrincipal {
  readonly code: string;
  readonly kind: MemberKind;
  /** The STIX identity of the member: objects it creates carry it as created_by_ref. */
  readonly identityId: string | null;
  /** Built-in and named groups the member belongs to. */
  readonly groups: readonly string[];
}

export interface Principal {
  readonly kind: 'user' | 'token' | 'peer' | 'system';
  /** Display name for logs and audit: the user name, token name or peer name. */
  readonly name: string;
  /** The user acting (TLP:RED recipients are named by it); null for legacy tokens and the node. */
  readonly userName: string | null;
  readonly roles: readonly Role[];
  readonly member: MemberOfPrincipal | null;
  /** A peer node: all the members it stands for (member is the first of them). */
  readonly represents?: readonly MemberOfPrincipal[];
  /** Index into the classification scheme: reads and marks up to this level. */
  readonly clearance: number;
}

/** The node acting on its own behalf: start-up seeding, migrations, local CLI work on the store. */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({
  kind: 'system',
  name: 'system',
  userName: null,
  roles: Object.freeze(['node-admin']) as readonly Role[],
  member: null,
  clearance: Number.MAX_SAFE_INTEGER,
});

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Groups of a member: its built-in group (by kind) and the named groups it was added to. */
export function memberGroups(kind: MemberKind, named: readonly string[]): string[] {
  const builtIn = Object.entries(BUILT_IN_GROUPS).filter(([, k]) => k === kind).map(([group]) => group);
  return [...new Set([...builtIn, ...named])];
}

/**
 * What the policy reads of a principal (its kind and name, user, clearance, roles, member with
 * its groups and identity, the members a peer stands for), as a list: an answer kept for one key
 * is never given to a reader who may read something else.
 */
export function principalKey(actor: Principal): unknown[] {
  return [actor.kind, actor.name, actor.userName, actor.clearance, actor.roles, actor.member, actor.represents ?? null];
}
