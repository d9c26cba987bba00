/**
 * The permission map: every route names one permission, and each role grants a fixed set of
 * them; a principal holds the union of its roles'. Deny by default: a route that names none is
 * refused (and a test fails on it). What a permission lets one read is further limited, object
 * by object, by the need-to-know rule (rule.ts).
 */
import type { Principal, Role } from './principal.js';

export const PERMISSIONS = [
  'public',
  'intel:read',
  'intel:write',
  'directory:read',
  'directory:write',
  'node:read',
  'audit:read',
  'warninglist:read',
  'warninglist:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = Object.freeze({
  analyst: new Set<Permission>(['intel:read', 'intel:write', 'directory:read', 'warninglist:read', 'warninglist:write']),
  'incident-handler': new Set<Permission>(['intel:read', 'intel:write', 'directory:read', 'warninglist:read', 'warninglist:write']),
  coordinator: new Set<Permission>(['intel:read', 'intel:write', 'directory:read', 'warninglist:read', 'warninglist:write']),
  'political-delegate': new Set<Permission>(['intel:read', 'directory:read']),
  'member-admin': new Set<Permission>(['intel:read', 'directory:read', 'directory:write', 'warninglist:read', 'warninglist:write']),
  'node-admin': new Set<Permission>(['intel:read', 'intel:write', 'directory:read', 'directory:write', 'node:read', 'warninglist:read', 'warninglist:write']),
  auditor: new Set<Permission>(['intel:read', 'directory:read', 'node:read', 'audit:read', 'warninglist:read']),
});

/** The permissions of a role, for documentation and the tests. */
export function permissionsOf(role: Role): ReadonlySet<Permission> {
  return ROLE_PERMISSIONS[role];
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

export function hasPermission(principal: Principal | undefined, permission: Permission): boolean {
  if (permission === 'public') return true;
  if (!principal) return false;
  return principal.roles.some((role) => ROLE_PERMISSIONS[role]?.has(permission) ?? false);
}
