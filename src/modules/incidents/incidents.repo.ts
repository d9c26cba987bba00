/** The only SQL of incidents: their rows, read through the records' access filter, written with their version checked. */
import { sql, type Expression, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { readableRecords } from '../../db/access-filter.js';
import { newestInWindows } from '../../db/keyset.js';
import type { WriteTx } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import type { RecordColumns, RecordReadScope } from '../../policy/record.js';

/** An incident's row: its columns and the marking columns every record table carries (policy/record.ts). */
export interface IncidentsTable extends RecordColumns {
  id: string;
  version: number;
  title: string;
  status: string;
  level: number | null;
  score: number | null;
  significant: number;
  sectors: string;
  source: string;
  created: string;
  modified: string;
  document: string;
}

declare module '../../db/schema.js' {
  interface Database {
    incidents: IncidentsTable;
  }
}

export type IncidentRow = Selectable<IncidentsTable>;
/** A row as the board reads it: every column but the document (which a board row never shows). */
export type BoardRow = Omit<IncidentRow, 'document'>;

const BOARD_COLUMNS = [
  'id', 'version', 'title', 'status', 'level', 'score', 'significant', 'sectors', 'source', 'created', 'modified',
  'tlp', 'classification', 'releasability', 'origin_member', 'owner', 'recipients',
] as const satisfies ReadonlyArray<keyof BoardRow>;

export async function findIncident(db: Kysely<Database>, id: string): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface BoardFilter {
  statuses?: readonly string[];
  levels?: readonly number[];
  members?: readonly string[];
  sector?: string;
  significant?: boolean;
  /** Lower-case text in the title. */
  q?: string;
  /** Rows strictly before this (modified, id), newest first. */
  before?: { modified: string; id: string };
  limit: number;
}

/** A page of the incidents the scope reads, newest change first. */
export async function listIncidents(db: Kysely<Database>, scope: RecordReadScope, filter: BoardFilter): Promise<BoardRow[]> {
  return newestInWindows(db, 'incidents', filter.before, filter.limit, (bounds, limit) => boardWindow(db, scope, filter, bounds, limit));
}

function boardWindow(db: Kysely<Database>, scope: RecordReadScope, filter: BoardFilter, bounds: ReadonlyArray<Expression<SqlBool>>, limit: number): Promise<BoardRow[]> {
  let query = db.selectFrom('incidents').select(BOARD_COLUMNS).where(readableRecords(scope));
  for (const bound of bounds) query = query.where(bound);
  if (filter.statuses && filter.statuses.length > 0) query = query.where('status', 'in', [...filter.statuses]);
  if (filter.levels && filter.levels.length > 0) query = query.where('level', 'in', [...filter.levels]);
  if (filter.members && filter.members.length > 0) query = query.where('origin_member', 'in', [...filter.members]);
  if (filter.sector !== undefined) {
    const padded = `,${filter.sector},`;
    query = query.where(sql<boolean>`replace(sectors, ${padded}, '') <> sectors`);
  }
  if (filter.significant !== undefined) query = query.where('significant', '=', filter.significant ? 1 : 0);
  if (filter.q !== undefined && filter.q !== '') {
    // Not LIKE: the text may hold % or _; lower() and a replace keep it literal on both engines.
    query = query.where(sql<boolean>`replace(lower(title), ${filter.q}, '') <> lower(title)`);
  }
  return query.orderBy('modified', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function insertIncident(tx: WriteTx, row: IncidentRow): Promise<void> {
  await tx.db.insertInto('incidents').values(row).execute();
}

/** Writes the next version of a row; false when the stored version is not `expected` (another change came first). */
export async function replaceIncident(tx: WriteTx, row: IncidentRow, expected: number): Promise<boolean> {
  const { id, ...rest } = row;
  const result = await tx.db.updateTable('incidents').set(rest).where('id', '=', id).where('version', '=', expected).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Stores a row received as STIX (insert or replace, whatever was there). */
export async function upsertReceived(tx: WriteTx, row: IncidentRow): Promise<void> {
  const { id, ...rest } = row;
  const result = await tx.db.updateTable('incidents').set(rest).where('id', '=', id).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) await tx.db.insertInto('incidents').values(row).execute();
}

export async function deleteIncident(tx: WriteTx, id: string): Promise<void> {
  await tx.db.deleteFrom('incidents').where('id', '=', id).execute();
}

/** Incidents per level and status the scope reads (for the overview). */
export async function countIncidents(db: Kysely<Database>, scope: RecordReadScope): Promise<Array<{ status: string; level: number | null; count: number }>> {
  const rows = await db
    .selectFrom('incidents')
    .select(['status', 'level', (eb) => eb.fn.countAll<number>().as('count')])
    .where(readableRecords(scope))
    .groupBy(['status', 'level'])
    .execute();
  return rows.map((row) => ({ status: row.status, level: row.level === null ? null : Number(row.level), count: Number(row.count) }));
}
