import type { CreateTableBuilder } from 'kysely';

/**
 * The marking columns every record carries (policy/record.ts RecordColumns), added to a table
 * being created: `.$call(addRecordColumns)`. The access filter (db/access-filter.ts) reads them.
 */
export function addRecordColumns<TB extends string, C extends string>(table: CreateTableBuilder<TB, C>) {
  return table
    .addColumn('tlp', 'text')
    .addColumn('classification', 'integer')
    .addColumn('releasability', 'text')
    .addColumn('origin_member', 'text')
    .addColumn('owner', 'text')
    .addColumn('recipients', 'text');
}
