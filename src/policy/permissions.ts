/**
 * The permission map: every route names one permission, and a role grants a fixed set of them.
 * Deny by default: a route that names none is refused (and a test fails on it).
 */
import type { Principal, Role } from './principal.js';

export const PERMISSIONS = ['public', 'intel:read', 'intel:write', 'directory:read', 'node:read'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = Object.freeze({
  'node-admin': new Set<Permission>(['intel:read', 'intel:write', 'directory:read', 'node:read']),
  analyst: new Set<Permission>(['intel:read', 'intel:write', 'directory:read']),
  auditor: new Set<Permission>(['intel:read', 'directory:read', 'node:read']),
});

export const ROLES = Object.keys(ROLE_PERMISSIONS) as Role[];

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

export function hasPermission(principal: Principal | undefined, permission: Permission): boolean {
  if (permission === 'public') return true;
  if (!principal) return false;
  return ROLE_PERMISSIONS[principal.role]?.has(permission) ?? false;
}
