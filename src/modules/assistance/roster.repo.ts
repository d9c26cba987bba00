/** The only SQL of standby rosters: team rows, read through the records' access filter, written with their version checked. */
import { sql, type Expression, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { readableRecords } from '../../db/access-filter.js';
import { newestInWindows } from '../../db/keyset.js';
import type { WriteTx } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { RecordColumns, RecordReadScope } from '../../policy/record.js';
import type { Mode } from './assistance.model.js';

export interface TeamsTable extends RecordColumns {
  id: string;
  version: number;
  name: string;
  status: string;
  /** ',malware-analysis,digital-forensics,' */
  capabilities: string;
  /** ',remote,on-site,' */
  modes: string;
  size: number;
  clearance: number;
  remote_hours: number | null;
  onsite_hours: number | null;
  time_zone: string;
  always: number;
  /** The coverage windows as JSON. */
  coverage: string;
  created: string;
  modified: string;
  document: string;
}

declare module '../../db/schema.js' {
  interface Database {
    assistance_teams: TeamsTable;
  }
}

export type TeamRow = Selectable<TeamsTable>;
/** A row as the standby query reads it: every column but the document. */
export type TeamColumns = Omit<TeamRow, 'document'>;

const COLUMNS = [
  'id', 'version', 'name', 'status', 'capabilities', 'modes', 'size', 'clearance', 'remote_hours', 'onsite_hours', 'time_zone', 'always', 'coverage',
  'created', 'modified', 'tlp', 'classification', 'releasability', 'origin_member', 'owner', 'recipients',
] as const satisfies ReadonlyArray<keyof TeamColumns>;

/** The column of a mode's response hours. */
const HOURS_COLUMN: Readonly<Record<Mode, 'remote_hours' | 'onsite_hours'>> = Object.freeze({ remote: 'remote_hours', 'on-site': 'onsite_hours' });

/** The list column (',a,b,') holds this entry: not LIKE (entries hold '-', and the text stays literal on both engines). */
function lists(column: 'capabilities' | 'modes', entry: string): Expression<SqlBool> {
  return sql<SqlBool>`replace(${sql.ref(column)}, ${`,${entry},`}, '') <> ${sql.ref(column)}`;
}

export async function findTeam(db: Kysely<Database>, id: string): Promise<TeamRow | undefined> {
  return db.selectFrom('assistance_teams').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The rows of these teams (those that exist), in no particular order. */
export async function findTeams(db: Kysely<Database>, ids: readonly string[]): Promise<TeamRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('assistance_teams').selectAll().where('id', 'in', [...ids]).execute();
}

export interface TeamFilter {
  members?: readonly string[];
  capability?: string;
  mode?: Mode;
  status?: string;
  /** Rows strictly before this (modified, id), newest first. */
  before?: { modified: string; id: string };
  limit: number;
}

/** A page of the teams the scope reads, newest change first. */
export async function listTeams(db: Kysely<Database>, scope: RecordReadScope, filter: TeamFilter): Promise<TeamRow[]> {
  return newestInWindows(db, 'assistance_teams', filter.before, filter.limit, (bounds, limit) => {
    let query = db.selectFrom('assistance_teams').selectAll().where(readableRecords(scope));
    for (const bound of bounds) query = query.where(bound);
    if (filter.members && filter.members.length > 0) query = query.where('origin_member', 'in', [...filter.members]);
    if (filter.capability !== undefined) query = query.where(lists('capabilities', filter.capability));
    if (filter.mode !== undefined) query = query.where(lists('modes', filter.mode));
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    return query.orderBy('modified', 'desc').orderBy('id', 'desc').limit(limit).execute();
  });
}

export interface StandbyFilter {
  /** The team has every one of these. */
  capabilities: readonly string[];
  /** The team works this way; undefined: either. */
  mode?: Mode;
  /** Its response hours (for the mode, or for one of its modes) are at most this. */
  withinHours?: number;
  limit: number;
}

/**
 * Standing-by teams the scope reads with the capabilities and mode asked, fastest response
 * first (so that a cut at `limit` drops the slowest). Columns only: when a team is on call is
 * decided by the caller on the wall clock of its zone.
 */
export async function standbyCandidates(db: Kysely<Database>, scope: RecordReadScope, filter: StandbyFilter): Promise<TeamColumns[]> {
  let query = db.selectFrom('assistance_teams').select(COLUMNS).where(readableRecords(scope)).where('status', '=', 'standing-by');
  for (const capability of filter.capabilities) query = query.where(lists('capabilities', capability));
  const within = filter.withinHours;
  if (filter.mode !== undefined) {
    const column = HOURS_COLUMN[filter.mode];
    query = query.where(lists('modes', filter.mode)).where(column, 'is not', null);
    if (within !== undefined) query = query.where(column, '<=', within);
    query = query.orderBy(column, 'asc');
  } else {
    if (within !== undefined) query = query.where((eb) => eb.or([eb('remote_hours', '<=', within), eb('onsite_hours', '<=', within)]));
    query = query.orderBy(sql`coalesce(case when remote_hours < onsite_hours then remote_hours else onsite_hours end, remote_hours, onsite_hours)`, 'asc');
  }
  return query.orderBy('id', 'asc').limit(filter.limit).execute();
}

/**
 * Codes of the members with at least one standing-by team that has one of the capabilities and
 * works in one of the modes, other than `exclude`. Read as the node: no reader's scope.
 */
export async function membersWithStandby(db: Kysely<Database>, capabilities: readonly string[], modes: readonly Mode[], exclude: string | null): Promise<string[]> {
  if (capabilities.length === 0 || modes.length === 0) return [];
  let query = matchingTeams(db, capabilities, modes).select('origin_member').distinct().where('origin_member', 'is not', null);
  if (exclude !== null) query = query.where('origin_member', '<>', exclude);
  const rows = await query.orderBy('origin_member').execute();
  return rows.map((row) => row.origin_member).filter((code): code is string => code !== null);
}

/**
 * The marking columns of the standing-by teams of these members that have one of the capabilities
 * and work in one of the modes (as membersWithStandby finds them), that the scope reads (the
 * caller decides on each row with canReadRecord).
 */
export async function teamsOfMembersWith(
  db: Kysely<Database>,
  scope: RecordReadScope,
  members: readonly string[],
  capabilities: readonly string[],
  modes: readonly Mode[],
): Promise<Array<RecordColumns & { origin_member: string | null }>> {
  if (members.length === 0 || capabilities.length === 0 || modes.length === 0) return [];
  return matchingTeams(db, capabilities, modes)
    .select(['tlp', 'classification', 'releasability', 'origin_member', 'owner', 'recipients'])
    .where('origin_member', 'in', [...members])
    .where(readableRecords(scope))
    .execute();
}

/** Teams that match a request: standing by, with one of the capabilities, in one of the modes. */
function matchingTeams(db: Kysely<Database>, capabilities: readonly string[], modes: readonly Mode[]) {
  return db
    .selectFrom('assistance_teams')
    .where('status', '=', 'standing-by')
    .where((eb) => eb.or(capabilities.map((capability) => lists('capabilities', capability))))
    .where((eb) => eb.or(modes.map((mode) => lists('modes', mode))));
}

/** Teams the member registered, whatever their status (the per-member bound). */
export async function countTeams(db: Kysely<Database>, member: string | null): Promise<number> {
  const query = db.selectFrom('assistance_teams').select((eb) => eb.fn.countAll<number>().as('count'));
  const row = await (member === null ? query.where('origin_member', 'is', null) : query.where('origin_member', '=', member)).executeTakeFirst();
  return Number(row?.count ?? 0);
}

export async function insertTeam(tx: WriteTx, row: TeamRow): Promise<void> {
  await tx.db.insertInto('assistance_teams').values(row).execute();
}

/** Writes the next version of a row; false when the stored version is not `expected` (another change came first). */
export async function replaceTeam(tx: WriteTx, row: TeamRow, expected: number): Promise<boolean> {
  const { id, ...rest } = row;
  const result = await tx.db.updateTable('assistance_teams').set(rest).where('id', '=', id).where('version', '=', expected).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
