/** The only SQL of the directory module: members and API tokens. */
import type { Store } from '../../db/database.js';
import type { ApiTokensTable, MemberGroupsTable, MembersTable, UsersTable } from '../../db/schema.js';
import type { Insertable, Selectable } from 'kysely';

export type MemberRow = Selectable<MembersTable>;
export type TokenRow = Selectable<ApiTokensTable>;

export async function upsertMembers(store: Store, members: Insertable<MembersTable>[]): Promise<void> {
  if (members.length === 0) return;
  await store.db
    .insertInto('members')
    .values(members)
    .onConflict((oc) =>
      oc.column('code').doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        kind: eb.ref('excluded.kind'),
        country: eb.ref('excluded.country'),
        identity_id: eb.ref('excluded.identity_id'),
      })),
    )
    .execute();
}

export async function listMembers(store: Store): Promise<MemberRow[]> {
  return store.db.selectFrom('members').selectAll().orderBy('kind').orderBy('code').execute();
}

export async function countMembers(store: Store): Promise<number> {
  const row = await store.db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertToken(store: Store, token: Insertable<ApiTokensTable>): Promise<number> {
  const row = await store.db.insertInto('api_tokens').values(token).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function findTokenByHash(store: Store, hash: string): Promise<TokenRow | undefined> {
  return store.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

export async function touchToken(store: Store, id: number, at: string): Promise<void> {
  await store.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}

export async function listTokens(store: Store): Promise<TokenRow[]> {
  return store.db.selectFrom('api_tokens').selectAll().orderBy('id').execute();
}

export async function revokeToken(store: Store, id: number, at: string): Promise<number> {
  const result = await store.db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export type UserRow = Selectable<UsersTable>;

export async function insertUser(store: Store, user: Insertable<UsersTable>): Promise<void> {
  await store.db.insertInto('users').values(user).execute();
}

export async function findUser(store: Store, name: string): Promise<UserRow | undefined> {
  return store.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listUsers(store: Store): Promise<UserRow[]> {
  return store.db.selectFrom('users').selectAll().orderBy('name').execute();
}

export async function findMember(store: Store, code: string): Promise<MemberRow | undefined> {
  return store.db.selectFrom('members').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function namedGroupsOf(store: Store, memberCode: string): Promise<string[]> {
  const rows = await store.db.selectFrom('member_group_members').select('group_name').where('member_code', '=', memberCode).execute();
  return rows.map((r) => r.group_name);
}

export async function upsertGroup(store: Store, group: Insertable<MemberGroupsTable>, members: string[]): Promise<void> {
  await store.db
    .insertInto('member_groups')
    .values(group)
    .onConflict((oc) => oc.column('name').doUpdateSet({ description: group.description }))
    .execute();
  if (members.length > 0) {
    await store.db
      .insertInto('member_group_members')
      .values(members.map((member_code) => ({ group_name: group.name, member_code })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export async function memberIdentities(store: Store): Promise<Array<{ code: string; identity_id: string }>> {
  const rows = await store.db.selectFrom('members').select(['code', 'identity_id']).where('identity_id', 'is not', null).execute();
  return rows.map((r) => ({ code: r.code, identity_id: r.identity_id! }));
}
