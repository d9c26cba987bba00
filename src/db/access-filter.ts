/**
 * The SQL pre-filter of record listings: the WHERE condition that keeps the rows of a table of
 * records (policy/record.ts) a principal may read. The policy decides (recordReadScope, pure);
 * this only writes its decision as SQL over the table's columns, the same text on SQLite and
 * PostgreSQL. docs/POLICY.md, "Records that are not STIX", shows a module using it.
 */
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { RecordReadScope, RecordRelease } from '../policy/record.js';

/** The columns of a record table the rule reads (qualified names such as 'incidents.tlp' too). */
export interface RecordAccessColumnNames {
  readonly tlp: string;
  readonly classification: string;
  readonly releasability: string;
  readonly originMember: string;
  /** null: the table keeps no owner (no row is read for being owned). */
  readonly owner: string | null;
  /** null: the table's records are never addressed. */
  readonly recipients: string | null;
}

/** The column names of policy/record.ts RecordColumns. */
export const RECORD_ACCESS_COLUMNS: RecordAccessColumnNames = Object.freeze({
  tlp: 'tlp',
  classification: 'classification',
  releasability: 'releasability',
  originMember: 'origin_member',
  owner: 'owner',
  recipients: 'recipients',
});

/** Classifications are integer columns: a clearance past the largest compares as it. */
const INTEGER_MAX = 2 ** 31 - 1;

const NEVER: RawBuilder<SqlBool> = sql<SqlBool>`1 = 0`;

function any(terms: readonly RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  if (terms.length === 0) return NEVER;
  return terms.length === 1 ? terms[0]! : sql<SqlBool>`(${sql.join(terms, sql` or `)})`;
}

function all(terms: readonly RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  return terms.length === 1 ? terms[0]! : sql<SqlBool>`(${sql.join(terms, sql` and `)})`;
}

/**
 * The list column (',A,B,') holds one of these entries. Not LIKE: SQLite's LIKE ignores the case
 * of ASCII letters ('@Alice' would match '@alice') and entries could hold % or _; not instr or
 * strpos: each is one engine's. Replacing ',entry,' in the column padded with commas changes it
 * exactly when the entry is listed, on both engines, case-sensitively (NULL: not listed).
 */
function listsOneOf(column: string, entries: readonly string[]): RawBuilder<SqlBool> {
  const padded = sql`(',' || ${sql.ref(column)} || ',')`;
  return any(entries.map((entry) => sql<SqlBool>`replace(${padded}, ${`,${entry},`}, '') <> ${padded}`));
}

/** The TLP of the row lets this release read it (TLP:AMBER+STRICT and TLP:RED name their readers). */
function tlpAllows(columns: RecordAccessColumnNames, release: RecordRelease): RawBuilder<SqlBool> {
  const tlp = sql.ref(columns.tlp);
  const terms = [sql<SqlBool>`${tlp} is null`, sql<SqlBool>`${tlp} not in (${'amber+strict'}, ${'red'})`];
  if (release.amberStrictBy.length > 0) terms.push(all([sql<SqlBool>`${tlp} = ${'amber+strict'}`, listsOneOf(columns.releasability, release.amberStrictBy)]));
  if (release.redBy.length > 0) terms.push(all([sql<SqlBool>`${tlp} = ${'red'}`, listsOneOf(columns.releasability, release.redBy)]));
  return any(terms);
}

function releaseAllows(columns: RecordAccessColumnNames, release: RecordRelease): RawBuilder<SqlBool> {
  const terms = [listsOneOf(columns.releasability, release.releasedBy), tlpAllows(columns, release)];
  if (columns.recipients !== null) {
    const recipients = sql.ref(columns.recipients);
    // Not addressed: no recipients column value, or one holding no entry.
    const notAddressed = sql<SqlBool>`(${recipients} is null or replace(${recipients}, ',', '') = '')`;
    terms.push(release.addressedBy.length > 0 ? any([notAddressed, listsOneOf(columns.recipients, release.addressedBy)]) : notAddressed);
  }
  return all(terms);
}

/**
 * The WHERE condition keeping exactly the rows of a record table that canReadRecord allows the
 * principal whose scope this is (recordReadScope), over the stored columns as
 * recordAccessOfColumns reads them: not a superset. Callers still apply redactRecord to each row
 * (field markings), and may apply canReadRecord too; the property test (need-to-know) holds the
 * condition equal to canReadRecord on SQLite and PostgreSQL.
 *
 * Only the owner and origin terms (and the classification) can use an index: record tables are
 * small beside the STIX store; a module whose table grows large adds access sets as intel did.
 *
 *   db.selectFrom('incidents').selectAll().where(readableRecords(recordReadScope(actor)))
 */
export function readableRecords(scope: RecordReadScope, columns: RecordAccessColumnNames = RECORD_ACCESS_COLUMNS): Expression<SqlBool> {
  const ways: RawBuilder<SqlBool>[] = [];
  if (scope.owner !== null && columns.owner !== null) ways.push(sql<SqlBool>`${sql.ref(columns.owner)} = ${scope.owner}`);
  if (scope.originMembers.length > 0) ways.push(sql<SqlBool>`${sql.ref(columns.originMember)} in (${sql.join(scope.originMembers)})`);
  for (const release of scope.releases) if (release.releasedBy.length > 0) ways.push(releaseAllows(columns, release));
  const terms = [any(ways)];
  if (scope.clearance !== null) terms.unshift(sql<SqlBool>`${sql.ref(columns.classification)} <= ${Math.min(scope.clearance, INTEGER_MAX)}`);
  if (scope.withheldTlps.length > 0) {
    const tlp = sql.ref(columns.tlp);
    terms.push(sql<SqlBool>`(${tlp} is null or ${tlp} not in (${sql.join(scope.withheldTlps)}))`);
  }
  return all(terms);
}
