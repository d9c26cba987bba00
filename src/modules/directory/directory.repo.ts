/** The only SQL of the directory module: members, users, API tokens, sessions, peers and credential requests. */
import type { ApiTokensTable, CredentialRequestsTable, Database, MemberGroupsTable, MembersTable, PeersTable, SessionsTable, UsersTable } from '../../db/schema.js';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';

export type MemberRow = Selectable<MembersTable>;
export type TokenRow = Selectable<ApiTokensTable>;

export async function upsertMembers(db: Kysely<Database>, members: Insertable<MembersTable>[]): Promise<void> {
  if (members.length === 0) return;
  await db
    .insertInto('members')
    .values(members)
    .onConflict((oc) =>
      oc.column('code').doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        kind: eb.ref('excluded.kind'),
        country: eb.ref('excluded.country'),
        identity_id: eb.ref('excluded.identity_id'),
        contacts: eb.ref('excluded.contacts'),
      })),
    )
    .execute();
}

export async function insertMember(db: Kysely<Database>, member: Insertable<MembersTable>): Promise<void> {
  await db.insertInto('members').values(member).execute();
}

/** Sets the given columns of one member; the others stay as they are. */
export async function updateMember(db: Kysely<Database>, code: string, changes: Updateable<MembersTable>): Promise<void> {
  await db.updateTable('members').set(changes).where('code', '=', code).execute();
}

/** Another member than `code` holding this STIX identity, if any. */
export async function memberWithIdentity(db: Kysely<Database>, identityId: string, code: string): Promise<MemberRow | undefined> {
  return db.selectFrom('members').selectAll().where('identity_id', '=', identityId).where('code', '!=', code).executeTakeFirst();
}

export async function listMembers(db: Kysely<Database>): Promise<MemberRow[]> {
  return db.selectFrom('members').selectAll().orderBy('kind').orderBy('code').execute();
}

export async function countMembers(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertToken(db: Kysely<Database>, token: Insertable<ApiTokensTable>): Promise<number> {
  const row = await db.insertInto('api_tokens').values(token).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function findTokenByHash(db: Kysely<Database>, hash: string): Promise<TokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

/**
 * Records a use of a token at `at`. A use after a pause (its last use at or before `pausedSince`)
 * starts a new run of use: that last use becomes previous_used_at, which then stays as it is
 * while the run lasts.
 */
export async function touchToken(db: Kysely<Database>, id: number, at: string, pausedSince: string): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set((eb) => ({
      previous_used_at: eb.case().when('last_used_at', '<=', pausedSince).then(eb.ref('last_used_at')).else(eb.ref('previous_used_at')).end(),
      last_used_at: at,
    }))
    .where('id', '=', id)
    .execute();
}

export async function findToken(db: Kysely<Database>, id: number): Promise<TokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * A user's tokens that work or may work at `now`: not revoked, not expired, and not waiting for a
 * credential request made before `lapsedBefore` (such a request lapsed: its token never works).
 */
export async function countActiveTokens(db: Kysely<Database>, user: string, now: string, lapsedBefore: string): Promise<number> {
  const row = await db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_name', '=', user)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .where((eb) => eb.or([eb('awaiting_request', 'is', null), eb('created_at', '>=', lapsedBefore)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Deletes a user's tokens revoked or expired before `before`, and those still waiting for a
 * credential request made before it (declined or lapsed long ago: approval clears the wait). The
 * audit log keeps their history.
 */
export async function pruneTokens(db: Kysely<Database>, user: string, before: string): Promise<number> {
  const result = await db
    .deleteFrom('api_tokens')
    .where('user_name', '=', user)
    .where((eb) => eb.or([eb('revoked_at', '<', before), eb('expires_at', '<', before), eb.and([eb('awaiting_request', 'is not', null), eb('created_at', '<', before)])]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Whose rows a listing reads: all of them (node administrators), else those of one member and
 * those of one user; with neither, none. Decided by the directory's rules (policy canAdminister),
 * applied here in SQL so that a listing reads only what it shows.
 */
export type ListingScope = { all: true } | { all: false; member: string | null; user: string | null };

/** A token as listed: never its hash. */
export type TokenListRow = Omit<TokenRow, 'token_hash' | 'role' | 'previous_used_at'>;

const TOKEN_LIST_COLUMNS = ['id', 'name', 'user_name', 'member_code', 'created_at', 'expires_at', 'revoked_at', 'last_used_at', 'awaiting_request'] as const satisfies ReadonlyArray<keyof TokenListRow>;

/** A page of the scope's tokens (those of its member, or all), by id from the one after `after`. */
export async function listTokens(db: Kysely<Database>, scope: ListingScope, page: { after?: number; limit: number }): Promise<TokenListRow[]> {
  if (!scope.all && scope.member === null && scope.user === null) return [];
  let query = db.selectFrom('api_tokens').select(TOKEN_LIST_COLUMNS);
  if (!scope.all) {
    const { member, user } = scope;
    query = query.where((eb) => eb.or([...(member !== null ? [eb('member_code', '=', member)] : []), ...(user !== null ? [eb('user_name', '=', user)] : [])]));
  }
  if (page.after !== undefined) query = query.where('id', '>', page.after);
  return query.orderBy('id').limit(page.limit).execute();
}

export async function revokeToken(db: Kysely<Database>, id: number, at: string): Promise<number> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export type UserRow = Selectable<UsersTable>;

export async function insertUser(db: Kysely<Database>, user: Insertable<UsersTable>): Promise<void> {
  await db.insertInto('users').values(user).execute();
}

export async function findUser(db: Kysely<Database>, name: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
}

/** A user as listed: never its password hash. */
export type UserListRow = Pick<UserRow, 'name' | 'member_code' | 'clearance' | 'roles'>;

/** A page of the scope's users (those of its member and the user itself, or all), by name from the one after `after`. */
export async function listUsers(db: Kysely<Database>, scope: ListingScope, page: { after?: string; limit: number }): Promise<UserListRow[]> {
  if (!scope.all && scope.member === null && scope.user === null) return [];
  let query = db.selectFrom('users').select(['name', 'member_code', 'clearance', 'roles']);
  if (!scope.all) {
    const { member, user } = scope;
    query = query.where((eb) => eb.or([...(member !== null ? [eb('member_code', '=', member)] : []), ...(user !== null ? [eb('name', '=', user)] : [])]));
  }
  if (page.after !== undefined) query = query.where('name', '>', page.after);
  return query.orderBy('name').limit(page.limit).execute();
}

/** How many users a member has. */
export async function countUsersOf(db: Kysely<Database>, member: string): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('member_code', '=', member).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findMember(db: Kysely<Database>, code: string): Promise<MemberRow | undefined> {
  return db.selectFrom('members').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function namedGroupsOf(db: Kysely<Database>, memberCode: string): Promise<string[]> {
  const rows = await db.selectFrom('member_group_members').select('group_name').where('member_code', '=', memberCode).execute();
  return rows.map((r) => r.group_name);
}

/** Adds members to a group, made if new; its description changes only when one is given. */
export async function upsertGroup(db: Kysely<Database>, group: Omit<Insertable<MemberGroupsTable>, 'description'> & { description: string | undefined }, members: string[]): Promise<void> {
  const description = group.description;
  await db
    .insertInto('member_groups')
    .values({ ...group, description: description ?? '' })
    .onConflict((oc) => (description === undefined ? oc.column('name').doNothing() : oc.column('name').doUpdateSet({ description })))
    .execute();
  if (members.length > 0) {
    await db
      .insertInto('member_group_members')
      .values(members.map((member_code) => ({ group_name: group.name, member_code })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export async function memberIdentities(db: Kysely<Database>): Promise<Array<{ code: string; identity_id: string }>> {
  const rows = await db.selectFrom('members').select(['code', 'identity_id']).where('identity_id', 'is not', null).execute();
  return rows.map((r) => ({ code: r.code, identity_id: r.identity_id! }));
}

/** Named groups of each member. */
export async function groupMemberships(db: Kysely<Database>): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const row of await db.selectFrom('member_group_members').selectAll().orderBy('group_name').execute()) {
    const list = out.get(row.member_code) ?? [];
    list.push(row.group_name);
    out.set(row.member_code, list);
  }
  return out;
}

export async function insertSession(db: Kysely<Database>, session: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(session).execute();
}

export async function findSession(db: Kysely<Database>, idHash: string): Promise<Selectable<SessionsTable> | undefined> {
  return db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

/** Records a sign-in of the user at `at`; the sign-in before it (null: none). */
export async function recordSignIn(db: Kysely<Database>, user: string, at: string): Promise<string | null> {
  const row = await db.selectFrom('users').select('last_sign_in_at').where('name', '=', user).executeTakeFirst();
  await db.updateTable('users').set({ last_sign_in_at: at }).where('name', '=', user).execute();
  return row?.last_sign_in_at ?? null;
}

export async function deleteSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

export async function insertPeer(db: Kysely<Database>, peer: Insertable<PeersTable>): Promise<void> {
  await db.insertInto('peers').values(peer).execute();
}

export type PeerRow = Selectable<PeersTable>;

export async function findPeer(db: Kysely<Database>, name: string): Promise<PeerRow | undefined> {
  return db.selectFrom('peers').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function findPeerByCertificate(db: Kysely<Database>, cn: string): Promise<Selectable<PeersTable> | undefined> {
  return db.selectFrom('peers').selectAll().where('certificate_cn', '=', cn).executeTakeFirst();
}

export async function listPeers(db: Kysely<Database>): Promise<Array<Selectable<PeersTable>>> {
  return db.selectFrom('peers').selectAll().orderBy('name').execute();
}

export async function updatePeer(db: Kysely<Database>, name: string, changes: Updateable<PeersTable>): Promise<void> {
  await db.updateTable('peers').set(changes).where('name', '=', name).execute();
}

export async function deletePeer(db: Kysely<Database>, name: string): Promise<void> {
  await db.deleteFrom('peers').where('name', '=', name).execute();
}

export async function setPassword(db: Kysely<Database>, user: string, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('name', '=', user).execute();
}

/** Ends every session of a user (its password changed). */
export async function deleteSessionsOf(db: Kysely<Database>, user: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_name', '=', user).execute();
}

export type CredentialRequestRow = Selectable<CredentialRequestsTable>;

export async function insertCredentialRequest(db: Kysely<Database>, request: Insertable<CredentialRequestsTable>): Promise<number> {
  const row = await db.insertInto('credential_requests').values(request).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function findCredentialRequest(db: Kysely<Database>, id: number): Promise<CredentialRequestRow | undefined> {
  return db.selectFrom('credential_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A credential request as listed: never the password hash it holds. */
export type CredentialRequestListRow = Omit<CredentialRequestRow, 'password_hash'>;

const REQUEST_LIST_COLUMNS = [
  'id', 'kind', 'user_name', 'requested_by', 'reason', 'token_id', 'token_name', 'token_expires_at', 'status', 'created_at', 'decided_by', 'decided_at',
] as const satisfies ReadonlyArray<keyof CredentialRequestListRow>;

export interface CredentialRequestFilter {
  /** Requests stored with this status ('pending', 'approved', 'declined'). */
  status?: string;
  /** Only those made after this time (pending ones that have not lapsed), or at or before it (lapsed ones). */
  createdAfter?: string;
  createdUntil?: string;
  /** The page: newest first, from the one before `before` (an id). */
  before?: number;
  limit: number;
}

/**
 * A page of the scope's credential requests, newest first: all, or those that name its user or
 * that its user made (`member` plays no part: requests are by user).
 */
export async function listCredentialRequests(db: Kysely<Database>, scope: ListingScope, filter: CredentialRequestFilter): Promise<CredentialRequestListRow[]> {
  let query = db.selectFrom('credential_requests').select(REQUEST_LIST_COLUMNS);
  if (!scope.all) {
    const user = scope.user;
    if (user === null) return [];
    query = query.where((eb) => eb.or([eb('user_name', '=', user), eb('requested_by', '=', user)]));
  }
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.createdAfter !== undefined) query = query.where('created_at', '>', filter.createdAfter);
  if (filter.createdUntil !== undefined) query = query.where('created_at', '<=', filter.createdUntil);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  return query.orderBy('id', 'desc').limit(filter.limit).execute();
}

export async function setRequestToken(db: Kysely<Database>, requestId: number, tokenId: number): Promise<void> {
  await db.updateTable('credential_requests').set({ token_id: tokenId }).where('id', '=', requestId).execute();
}

/** The token of an approved request starts to work. */
export async function releaseToken(db: Kysely<Database>, tokenId: number): Promise<void> {
  await db.updateTable('api_tokens').set({ awaiting_request: null }).where('id', '=', tokenId).execute();
}

/** Records the decision on a pending request; 0 when it was no longer pending. */
export async function decideCredentialRequest(db: Kysely<Database>, id: number, decision: { status: string; decided_by: string; decided_at: string }): Promise<number> {
  const result = await db.updateTable('credential_requests').set(decision).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Ends the user's sessions but `kept` and the newest `others` besides it (by their start): the
 * oldest give way to a new sign-in. The number ended.
 */
export async function endOldestSessions(db: Kysely<Database>, user: string, kept: string, others: number): Promise<number> {
  const newest = db
    .selectFrom('sessions')
    .select('id_hash')
    .where('user_name', '=', user)
    .where('id_hash', '!=', kept)
    .orderBy('created_at', 'desc')
    .orderBy('id_hash', 'desc')
    .limit(others);
  const result = await db
    .deleteFrom('sessions')
    .where('user_name', '=', user)
    .where('id_hash', '!=', kept)
    .where('id_hash', 'not in', newest)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Sessions past their expiry are removed as new ones begin. */
export async function deleteExpiredSessions(db: Kysely<Database>, now: string): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}
