/** Who is acting: a user or token of a member, a peer node, or the node itself. */
export type Role = 'node-admin' | 'analyst' | 'auditor';

export interface Principal {
  readonly kind: 'token' | 'system';
  readonly name: string;
  readonly role: Role;
  readonly memberCode: string | null;
}

/** The node acting on its own behalf: start-up seeding, migrations, local CLI work on the store. */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({ kind: 'system', name: 'system', role: 'node-admin', memberCode: null });
