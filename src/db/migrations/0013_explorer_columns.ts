import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * What the intel explorer reads of a row becomes columns filled at ingest from the parsed object
 * (modules/intel/intel.rows: descriptionOf, targetRef), as migration 0011 did for detection:
 * - description: the object's own top-level description, which `?q=` searches beside the label;
 * - target_ref: what a relationship points at, so that an object page finds the relationships
 *   in to an object as one range of a partial index, newest first (those out of it are the
 *   about_ref index of 0011).
 * Rows already stored are filled here from their parsed bodies, in SQL; bodies the database's
 * JSON cannot read (nested beyond SQLite's depth limit, a \u0000 escape or a lone surrogate that
 * PostgreSQL's jsonb refuses) are parsed here with JSON.parse instead.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema.alterTable('stix_objects').addColumn('description', 'text').execute();
  await db.schema.alterTable('stix_objects').addColumn('target_ref', 'text').execute();
  await fillExplorerColumns(db, dialect);
  // Literal predicates, as 0011's: SQLite's planner proves a query implies them. seq in the key:
  // a page of relationships is read newest first without sorting them all (PostgreSQL too).
  await sql`create index stix_objects_relationship_target on stix_objects (type, target_ref, seq) where type = 'relationship' and is_current = 1`.execute(db);
}

/** A body may have a description written plainly, or a key written with escapes (before canonical storage). */
const DESCRIPTION_KEY = '"description"';
const ESCAPE = '\\u';

/**
 * Fills description and target_ref of the stored rows from their bodies, as intel.rows does at
 * ingest. Exported for the test that compares the two.
 */
export async function fillExplorerColumns(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    // One parse per row, read by both columns; a body jsonb refuses gives null (parsed below).
    await sql`create function pg_temp.shieldwall_jsonb(body text) returns jsonb language plpgsql immutable as $$ begin return body::jsonb; exception when others then return null; end $$`.execute(db);
    const candidates = sql`type = 'relationship' or strpos(body, ${DESCRIPTION_KEY}) > 0 or strpos(body, ${ESCAPE}) > 0`;
    await sql`update stix_objects s set
        description = case when jsonb_typeof(j -> 'description') = 'string' then j ->> 'description' end,
        target_ref = case when s.type = 'relationship' and jsonb_typeof(j -> 'target_ref') = 'string' then j ->> 'target_ref' end
      from (select seq, pg_temp.shieldwall_jsonb(body) as j from stix_objects where ${candidates}) parsed where s.seq = parsed.seq and j is not null`.execute(db);
    const { rows } = await sql<UnreadRow>`select seq, type, body from stix_objects where (${candidates}) and pg_temp.shieldwall_jsonb(body) is null`.execute(db);
    await sql`drop function pg_temp.shieldwall_jsonb(text)`.execute(db);
    await fillUnread(db, rows, (text) => text.replaceAll('\0', '\uFFFD'));
    return;
  }
  const candidates = sql`(type = 'relationship' or instr(body, ${DESCRIPTION_KEY}) > 0 or instr(body, ${ESCAPE}) > 0)`;
  await sql`update stix_objects set
      description = case when json_type(body, '$.description') = 'text' then json_extract(body, '$.description') end,
      target_ref = case when type = 'relationship' and json_type(body, '$.target_ref') = 'text' then json_extract(body, '$.target_ref') end
    where ${candidates} and json_valid(body)`.execute(db);
  const { rows } = await sql<UnreadRow>`select seq, type, body from stix_objects where ${candidates} and not json_valid(body)`.execute(db);
  await fillUnread(db, rows, (text) => text);
}

interface UnreadRow {
  seq: number | string;
  type: string;
  body: string;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The rows the SQL above could not parse, parsed here, one update each; a body that is not JSON
 * keeps null columns. `stored`: the text as the engine stores it (PostgreSQL text holds no NUL:
 * ingest stores U+FFFD for it, see db/postgres).
 */
async function fillUnread(db: Kysely<unknown>, rows: readonly UnreadRow[], stored: (text: string) => string): Promise<void> {
  for (const row of rows) {
    let object: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(row.body);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) continue;
      object = parsed as Record<string, unknown>;
    } catch {
      continue;
    }
    const description = text(object['description']);
    const target = row.type === 'relationship' ? text(object['target_ref']) : null;
    if (description === null && target === null) continue;
    await sql`update stix_objects set description = ${description === null ? null : stored(description)}, target_ref = ${target === null ? null : stored(target)} where seq = ${Number(row.seq)}`.execute(db);
  }
}
