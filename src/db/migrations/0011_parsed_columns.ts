import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * What detection reads of a row becomes columns filled at ingest from the parsed object
 * (modules/intel/intel.rows: aboutRef, indicatorColumns, searchLabel), where it was found by
 * scanning the stored JSON text, at any depth and only in one spelling:
 * - an indicator's pattern, pattern_type, pattern_version, valid_from, valid_until, confidence
 *   and whether it has granular markings;
 * - about_ref: what a relationship (source_ref) or sighting (sighting_of_ref) is about, which
 *   migration 0006 kept in label; label goes back to the text searched (name, value, ...),
 *   and 0006's partial indexes move to about_ref.
 * Rows already stored are filled here from their parsed bodies (top-level properties only, as
 * ingest does), in SQL; the few bodies the database's JSON cannot read (nested beyond SQLite's
 * depth limit of 1000, or a \u0000 escape or a lone surrogate, which PostgreSQL's jsonb refuses)
 * are parsed here with JSON.parse instead, so that no stored row stops the migration.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const text = ['about_ref', 'pattern', 'pattern_type', 'pattern_version', 'valid_from', 'valid_until'];
  for (const name of text) await db.schema.alterTable('stix_objects').addColumn(name, 'text').execute();
  for (const name of ['confidence', 'granular']) await db.schema.alterTable('stix_objects').addColumn(name, 'integer').execute();
  // Dropped before the rows change, so that the update does not maintain them.
  await sql`drop index if exists stix_objects_relationship_source`.execute(db);
  await sql`drop index if exists stix_objects_sighting_of`.execute(db);
  await fillParsedColumns(db, dialect);
  // Literal predicates (not bound parameters), so that SQLite's planner can prove a query implies
  // them; type leads the key so that the planner prefers these over the (type, seq) index.
  await sql`create index stix_objects_relationship_about on stix_objects (type, about_ref) where type = 'relationship' and is_current = 1`.execute(db);
  await sql`create index stix_objects_sighting_about on stix_objects (type, about_ref) where type = 'sighting' and is_current = 1`.execute(db);
}

/** The label's properties, in order (intel.rows LABEL_KEYS), and its length limit (LABEL_MAX). */
const LABEL_KEYS = ['name', 'value', 'pattern', 'subject', 'path', 'key', 'abstract'];
const LABEL_MAX = 512;

/**
 * Fills the parsed columns (and the label of relationships and sightings) of the stored rows
 * from their bodies, as intel.rows does at ingest. Exported for the test that compares the two.
 */
export async function fillParsedColumns(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    // One parse per row, read by every column; a body jsonb refuses gives null (filled below).
    await sql`create function pg_temp.shieldwall_jsonb(body text) returns jsonb language plpgsql immutable as $$ begin return body::jsonb; exception when others then return null; end $$`.execute(db);
    const str = (name: string): RawBuilder<unknown> => sql`case when jsonb_typeof(j -> ${sql.lit(name)}) = 'string' then j ->> ${sql.lit(name)} end`;
    const label = sql.join(
      LABEL_KEYS.map((name) => sql`case when jsonb_typeof(j -> ${sql.lit(name)}) = 'string' then left(j ->> ${sql.lit(name)}, ${sql.lit(LABEL_MAX)}) end`),
      sql`, `,
    );
    const confidence = sql`case when jsonb_typeof(j -> 'confidence') = 'number' and (j ->> 'confidence')::numeric between 0 and 100 and (j ->> 'confidence')::numeric = trunc((j ->> 'confidence')::numeric) then (j ->> 'confidence')::numeric::integer end`;
    await sql`update stix_objects s set pattern = ${str('pattern')}, pattern_type = ${str('pattern_type')}, pattern_version = ${str('pattern_version')},
      valid_from = ${str('valid_from')}, valid_until = ${str('valid_until')}, confidence = ${confidence},
      granular = case when j -> 'granular_markings' is null then 0 else 1 end
      from (select seq, pg_temp.shieldwall_jsonb(body) as j from stix_objects where type = 'indicator') parsed where s.seq = parsed.seq and j is not null`.execute(db);
    await sql`update stix_objects s set about_ref = case when jsonb_typeof(j -> 'source_ref') = 'string' then j ->> 'source_ref' end, label = coalesce(${label})
      from (select seq, pg_temp.shieldwall_jsonb(body) as j from stix_objects where type = 'relationship') parsed where s.seq = parsed.seq and j is not null`.execute(db);
    await sql`update stix_objects s set about_ref = case when jsonb_typeof(j -> 'sighting_of_ref') = 'string' then j ->> 'sighting_of_ref' end, label = coalesce(${label})
      from (select seq, pg_temp.shieldwall_jsonb(body) as j from stix_objects where type = 'sighting') parsed where s.seq = parsed.seq and j is not null`.execute(db);
    await sql`drop function pg_temp.shieldwall_jsonb(text)`.execute(db);
    await fillUnread(db);
    return;
  }
  const path = (name: string) => sql.lit(`$.${name}`);
  // SQLite keeps the last parses of a statement, so that the columns of one row parse its body once.
  const str = (name: string): RawBuilder<unknown> => sql`case when json_type(body, ${path(name)}) = 'text' then json_extract(body, ${path(name)}) end`;
  const label = sql.join(
    LABEL_KEYS.map((name) => sql`case when json_type(body, ${path(name)}) = 'text' then substr(json_extract(body, ${path(name)}), 1, ${sql.lit(LABEL_MAX)}) end`),
    sql`, `,
  );
  const confidence = sql`case when json_type(body, '$.confidence') in ('integer', 'real') and json_extract(body, '$.confidence') between 0 and 100 and json_extract(body, '$.confidence') = cast(json_extract(body, '$.confidence') as integer) then cast(json_extract(body, '$.confidence') as integer) end`;
  await sql`update stix_objects set pattern = ${str('pattern')}, pattern_type = ${str('pattern_type')}, pattern_version = ${str('pattern_version')},
    valid_from = ${str('valid_from')}, valid_until = ${str('valid_until')}, confidence = ${confidence},
    granular = json_type(body, '$.granular_markings') is not null
    where type = 'indicator' and json_valid(body)`.execute(db);
  await sql`update stix_objects set about_ref = ${str('source_ref')}, label = coalesce(${label}) where type = 'relationship' and json_valid(body)`.execute(db);
  await sql`update stix_objects set about_ref = ${str('sighting_of_ref')}, label = coalesce(${label}) where type = 'sighting' and json_valid(body)`.execute(db);
  await fillUnread(db);
}

interface UnreadRow {
  seq: number | string;
  type: string;
  body: string;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The rows the SQL above could not parse (an indicator's granular is never null once filled, a
 * valid relationship's or sighting's about_ref neither): parsed here, one update each. A body
 * that is not JSON at all keeps null columns (its indicator is not indexed, as before).
 */
async function fillUnread(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<UnreadRow>`select seq, type, body from stix_objects where (type = 'indicator' and granular is null) or (type in ('relationship', 'sighting') and about_ref is null)`.execute(db);
  for (const row of rows) {
    let object: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(row.body);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) continue;
      object = parsed as Record<string, unknown>;
    } catch {
      continue;
    }
    const seq = Number(row.seq);
    if (row.type === 'indicator') {
      const confidence = object['confidence'];
      await sql`update stix_objects set pattern = ${text(object['pattern'])}, pattern_type = ${text(object['pattern_type'])}, pattern_version = ${text(object['pattern_version'])},
        valid_from = ${text(object['valid_from'])}, valid_until = ${text(object['valid_until'])},
        confidence = ${typeof confidence === 'number' && Number.isInteger(confidence) && confidence >= 0 && confidence <= 100 ? confidence : null},
        granular = ${object['granular_markings'] !== undefined ? 1 : 0} where seq = ${seq}`.execute(db);
      continue;
    }
    const about = text(object[row.type === 'relationship' ? 'source_ref' : 'sighting_of_ref']);
    const label = LABEL_KEYS.map((key) => text(object[key])).find((value) => value !== null) ?? null;
    if (about === null && label === null) continue;
    await sql`update stix_objects set about_ref = ${about}, label = ${label === null ? null : label.slice(0, LABEL_MAX)} where seq = ${seq}`.execute(db);
  }
}
