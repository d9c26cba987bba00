/**
 * The permission map: every route names one permission, and each role grants a fixed set of
 * them; a principal holds the union of its roles'. Deny by default: a route that names none is
 * refused (and a test fails on it). What a permission lets one read is further limited, object
 * by object, by the need-to-know rule (rule.ts).
 *
 * Each module declares the permissions it introduces and the roles that hold them (its index.ts);
 * the node composes them into one PermissionTable (src/modules/index.ts). This file holds the
 * mechanism, not the grants.
 */
import { ROLES, type Principal, type Role } from './principal.js';

/** One permission a module introduces: what it allows, and which roles hold it. */
export interface PermissionGrant {
  readonly name: string;
  /** What holding it allows, in one line (docs/POLICY.md's table and the tests use it). */
  readonly description: string;
  readonly roles: readonly Role[];
}

/** Open to anyone, credentials or not (health, readiness, sign-in): no role needs to hold it. */
export const PUBLIC = 'public';

const PERMISSION_NAME = /^[a-z][a-z-]*:[a-z][a-z-]*$/;

/** The roles' permissions, composed from every module's grants. Immutable once made. */
export class PermissionTable {
  readonly #grants: readonly PermissionGrant[];
  readonly #names: ReadonlySet<string>;
  readonly #byRole: ReadonlyMap<Role, ReadonlySet<string>>;

  constructor(grants: readonly PermissionGrant[]) {
    const names = new Set<string>();
    for (const grant of grants) {
      if (!PERMISSION_NAME.test(grant.name)) throw new Error(`permission '${grant.name}' is not of the form area:action (lower case)`);
      if (names.has(grant.name)) throw new Error(`permission '${grant.name}' is declared twice: each permission belongs to one module`);
      for (const role of grant.roles) if (!(ROLES as readonly string[]).includes(role)) throw new Error(`permission '${grant.name}' grants unknown role '${role}'`);
      names.add(grant.name);
    }
    const byRole = new Map<Role, ReadonlySet<string>>();
    for (const role of ROLES) byRole.set(role, new Set(grants.filter((g) => g.roles.includes(role)).map((g) => g.name)));
    this.#grants = Object.freeze([...grants]);
    this.#names = names;
    this.#byRole = byRole;
  }

  /** Every permission, in the order the modules declare them. */
  get grants(): readonly PermissionGrant[] {
    return this.#grants;
  }

  /** Whether a route or a check may name it: 'public' or a declared permission. */
  isKnown(name: unknown): name is string {
    return name === PUBLIC || (typeof name === 'string' && this.#names.has(name));
  }

  /** The permissions of a role. */
  of(role: Role): ReadonlySet<string> {
    return this.#byRole.get(role) ?? new Set();
  }

  /**
   * Whether the principal holds the permission through one of its roles. Naming a permission no
   * module declares is a defect of the caller, not a refusal: it throws.
   */
  has(principal: Principal | undefined, permission: string): boolean {
    if (permission === PUBLIC) return true;
    if (!this.#names.has(permission)) throw new Error(`unknown permission '${permission}': declare it in a module's definition (index.ts)`);
    if (!principal) return false;
    return principal.roles.some((role) => this.#byRole.get(role)?.has(permission) ?? false);
  }
}
