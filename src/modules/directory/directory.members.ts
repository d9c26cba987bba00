/** Members (organisations) of the node, their contacts and named groups. */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { WriteTx } from '../../db/database.js';
import { memberGroups, type MemberKind, type Principal } from '../../policy/principal.js';
import { canAdminister } from '../../policy/rule.js';
import { audited, isNodeAdministrator } from './directory.changes.js';
import * as repo from './directory.repo.js';
import type { Contact } from './directory.schema.js';

export interface Member {
  code: string;
  name: string;
  kind: MemberKind;
  country: string | null;
  identityId: string | null;
  /** Points of contact; kept as they are when omitted on save. */
  contacts?: Contact[];
}

export interface MemberView extends Required<Member> {
  groups: string[];
}

function present(row: repo.MemberRow, named: string[]): MemberView {
  return {
    code: row.code,
    name: row.name,
    kind: row.kind as MemberKind,
    country: row.country,
    identityId: row.identity_id,
    groups: memberGroups(row.kind as MemberKind, named),
    contacts: JSON.parse(row.contacts) as Contact[],
  };
}

export async function listMembers(ctx: AppContext, _actor: Principal): Promise<MemberView[]> {
  const groups = await repo.groupMemberships(ctx.store.db);
  return (await repo.listMembers(ctx.store.db)).map((row) => present(row, groups.get(row.code) ?? []));
}

const MEMBER_CODE = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;

const noMember = (code: string) => `no member with code '${code}'; add it with POST /api/v1/members (on the node: shieldwall members add --code ${code} ...)`;

/** The member shown to the actor after a change. */
async function memberView(ctx: AppContext, actor: Principal, code: string): Promise<MemberView> {
  const found = (await listMembers(ctx, actor)).find((m) => m.code === code);
  if (!found) throw shieldwallError('NOT_FOUND', noMember(code));
  return found;
}

/** Refuses a STIX identity another member holds: its users would write in that member's name. */
async function checkIdentityFree(db: WriteTx['db'], code: string, identityId: string | null | undefined): Promise<void> {
  if (identityId === undefined || identityId === null) return;
  const holder = await repo.memberWithIdentity(db, identityId, code);
  if (holder) throw shieldwallError('CONFLICT', `member ${holder.code} signs with ${identityId} already; a member's identity is its own, or its users could write in ${holder.code}'s name`);
}

/** Adds a member (node administrators). A code that exists is refused, never overwritten. */
export async function createMember(ctx: AppContext, actor: Principal, member: Member): Promise<MemberView> {
  if (!isNodeAdministrator(actor)) throw shieldwallError('FORBIDDEN', 'only a node administrator adds members');
  if (!MEMBER_CODE.test(member.code)) throw shieldwallError('BAD_REQUEST', `member code '${member.code}' is not valid: use upper-case letters, digits, '-' and '_' (e.g. DEU, CERT-EU)`);
  const event = { action: 'directory.member.create', subject: member.code, detail: { name: member.name, kind: member.kind, country: member.country, identity_id: member.identityId } };
  await audited(ctx, actor, event, async (db) => {
    if (await repo.findMember(db, member.code)) {
      throw shieldwallError('CONFLICT', `member ${member.code} exists already; change named fields with PATCH /api/v1/members/${member.code} (on the node: shieldwall members update ${member.code} --name ...)`);
    }
    await checkIdentityFree(db, member.code, member.identityId);
    await repo.insertMember(db, {
      code: member.code,
      name: member.name,
      kind: member.kind,
      country: member.country,
      identity_id: member.identityId,
      created_at: ctx.clock.now().toISOString(),
      contacts: JSON.stringify(member.contacts ?? []),
    });
  });
  return memberView(ctx, actor, member.code);
}

/** What may change of a member: only the fields given change. */
export type MemberChanges = Partial<Omit<Member, 'code'>>;

/**
 * Changes the named fields of a member and keeps the rest: node administrators any field, a
 * member's administrators its points of contact only.
 */
export async function updateMember(ctx: AppContext, actor: Principal, code: string, changes: MemberChanges): Promise<MemberView> {
  if (!canAdminister(actor, code)) throw shieldwallError('FORBIDDEN', `you do not administer member ${code}`);
  const named = (Object.keys(changes) as Array<keyof MemberChanges>).filter((field) => changes[field] !== undefined);
  if (named.length === 0) throw shieldwallError('BAD_REQUEST', 'name at least one field to change: name, kind, country, identity or contacts');
  if (!isNodeAdministrator(actor) && named.some((field) => field !== 'contacts')) {
    throw shieldwallError('FORBIDDEN', "a member administrator changes its member's points of contact only; ask a node administrator for the rest");
  }
  const event = { action: 'directory.member.update', subject: code, detail: { fields: named, ...(changes.identityId !== undefined ? { identity_id: changes.identityId } : {}), ...(changes.kind !== undefined ? { kind: changes.kind } : {}) } };
  await audited(ctx, actor, event, async (db) => {
    if (!(await repo.findMember(db, code))) throw shieldwallError('NOT_FOUND', noMember(code));
    await checkIdentityFree(db, code, changes.identityId);
    await repo.updateMember(db, code, {
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.kind !== undefined ? { kind: changes.kind } : {}),
      ...(changes.country !== undefined ? { country: changes.country } : {}),
      ...(changes.identityId !== undefined ? { identity_id: changes.identityId } : {}),
      ...(changes.contacts !== undefined ? { contacts: JSON.stringify(changes.contacts) } : {}),
    });
  });
  return memberView(ctx, actor, code);
}

/**
 * Replaces an existing member (PUT): name and kind as given, country, identity and points of
 * contact kept when omitted; its member administrators may change its points of contact only.
 * It never adds a member (createMember does), so that a code typed twice overwrites nothing.
 */
export async function saveMember(
  ctx: AppContext,
  actor: Principal,
  code: string,
  given: Omit<Member, 'code' | 'country' | 'identityId'> & { country?: string | null; identityId?: string | null },
): Promise<MemberView> {
  if (!canAdminister(actor, code)) throw shieldwallError('FORBIDDEN', `you do not administer member ${code}`);
  const existing = await repo.findMember(ctx.store.db, code);
  if (!existing) throw shieldwallError('NOT_FOUND', noMember(code));
  const changes: MemberChanges = {
    name: given.name,
    kind: given.kind,
    ...(given.country !== undefined ? { country: given.country } : {}),
    ...(given.identityId !== undefined ? { identityId: given.identityId } : {}),
    ...(given.contacts !== undefined ? { contacts: given.contacts } : {}),
  };
  if (!isNodeAdministrator(actor)) {
    const changed = existing.name !== given.name || existing.kind !== given.kind || (given.country !== undefined && existing.country !== given.country) || (given.identityId !== undefined && existing.identity_id !== given.identityId);
    if (changed) throw shieldwallError('FORBIDDEN', "a member administrator changes its member's points of contact only; ask a node administrator for the rest");
    if (given.contacts === undefined) return memberView(ctx, actor, code);
    return updateMember(ctx, actor, code, { contacts: given.contacts });
  }
  return updateMember(ctx, actor, code, changes);
}

export async function countMembers(ctx: AppContext): Promise<number> {
  return repo.countMembers(ctx.store.db);
}


/**
 * Saves members whether they exist or not: for seeding by the node itself (the demo, tests).
 * People add members with createMember and change them with updateMember.
 */
export async function upsertMembers(ctx: AppContext, actor: Principal, members: Member[]): Promise<void> {
  const now = ctx.clock.now().toISOString();
  await audited(ctx, actor, { action: 'directory.members.save', subject: members.map((m) => m.code).join(','), detail: { members: members.length } }, async (db) => {
    // Saving a member without its contacts keeps the contacts it has.
    const kept = new Map((await repo.listMembers(db)).map((row) => [row.code, row.contacts]));
    await repo.upsertMembers(
      db,
      members.map((m) => ({
        code: m.code,
        name: m.name,
        kind: m.kind,
        country: m.country,
        identity_id: m.identityId,
        created_at: now,
        contacts: m.contacts ? JSON.stringify(m.contacts) : (kept.get(m.code) ?? '[]'),
      })),
    );
  });
}
/**
 * Adds members to a named group (created if new); built-in group names can be extended too. The
 * group's description changes only when one is given.
 */
export async function addToGroup(ctx: AppContext, actor: Principal, group: string, description: string | undefined, members: string[]): Promise<void> {
  if (!canAdminister(actor, null)) throw shieldwallError('FORBIDDEN', 'only a node administrator changes groups');
  if (!/^[A-Z0-9][A-Z0-9_-]{0,31}$/.test(group)) throw shieldwallError('BAD_REQUEST', `group name '${group}' is not valid: use upper-case letters, digits, '-' and '_'`);
  await audited(ctx, actor, { action: 'directory.group.add', subject: group, detail: { members } }, (db) =>
    repo.upsertGroup(db, { name: group, description, created_at: ctx.clock.now().toISOString() }, members),
  );
}

/** Member codes by STIX identity id: who originated an object. */
export async function memberIdentities(ctx: AppContext): Promise<Map<string, string>> {
  return new Map((await repo.memberIdentities(ctx.store.db)).map((m) => [m.identity_id, m.code]));
}
