/**
 * Migrating a PostgreSQL store while other schemas of the same database are dropped: the
 * migrator's introspection reads every table of every schema and trips on one that vanishes
 * under it. migrateToLatest asks again when, and only when, no migration of ours failed and what
 * is missing belongs to another schema (vanishedElsewhere); the errors below are PostgreSQL's own, raised by the function the
 * introspection calls (`pg_get_serial_sequence`) on a schema and a table that do not exist.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { POSTGRES_URL, dialectSkip } from '../../test/support/dialects.js';
import { SUITE_LIMIT_MS } from '../../test/support/wait.js';
import { vanishedElsewhere } from './migrate.js';

describe('migrations beside schemas being dropped (postgres)', { skip: await dialectSkip('postgres'), timeout: SUITE_LIMIT_MS }, () => {
  const ours = `sw_test_${randomBytes(6).toString('hex')}`;
  const other = `sw_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL });

  /** The error PostgreSQL raises for `sql`, which must fail. */
  async function raised(text: string): Promise<unknown> {
    try {
      await client.query(text);
    } catch (error) {
      return error;
    }
    throw new Error(`expected ${text} to fail`);
  }

  before(async () => {
    await client.connect();
    await client.query(`create schema ${ours}`);
    await client.query(`create schema ${other}`);
  });
  after(async () => {
    await client.query(`drop schema if exists ${ours} cascade`);
    await client.query(`drop schema if exists ${other} cascade`);
    await client.end();
  });

  it("asks again when another schema's table vanished (42P01 naming it)", async () => {
    const error = await raised(`select pg_get_serial_sequence('${other}.kysely_migration', 'name')`);
    assert.equal((error as { code?: string }).code, '42P01', String(error));
    assert.equal(vanishedElsewhere(error, ours), true);
  });

  it('asks again when another schema vanished (3F000 naming it)', async () => {
    const gone = `sw_test_${randomBytes(6).toString('hex')}`;
    const error = await raised(`select pg_get_serial_sequence('${gone}.kysely_migration', 'name')`);
    assert.equal((error as { code?: string }).code, '3F000', String(error));
    assert.equal(vanishedElsewhere(error, ours), true);
  });

  it("asks again when a column of another schema's table vanished (42703, the table named without its schema)", async () => {
    await client.query(`create table ${other}.notify_deliveries (id text primary key)`);
    const error = await raised(`select pg_get_serial_sequence('${other}.notify_deliveries', 'assistance_key')`);
    assert.equal((error as { code?: string }).code, '42703', String(error));
    assert.match(String((error as Error).message), /^column "assistance_key" of relation "notify_deliveries" does not exist/);
    assert.equal(vanishedElsewhere(error, ours), true);
    const selected = await raised(`select assistance_key from ${other}.notify_deliveries`);
    assert.equal((selected as { code?: string }).code, '42703');
    assert.equal(vanishedElsewhere(selected, ours), false, 'a column missing from a query is not the introspection tripping');
  });

  it('reports what is missing from our own schema, or named without a schema', async () => {
    const ownTable = await raised(`select pg_get_serial_sequence('${ours}.kysely_migration', 'name')`);
    assert.equal((ownTable as { code?: string }).code, '42P01');
    assert.equal(vanishedElsewhere(ownTable, ours), false, 'our own bookkeeping table missing is a failure to report');
    const gone = `sw_test_${randomBytes(6).toString('hex')}`;
    const ownSchema = await raised(`select pg_get_serial_sequence('${gone}.kysely_migration', 'name')`);
    assert.equal(vanishedElsewhere(ownSchema, gone), false, 'our own schema missing is a failure to report');
    const unqualified = await raised(`select * from kysely_missing_${randomBytes(4).toString('hex')}`);
    assert.equal((unqualified as { code?: string }).code, '42P01');
    assert.equal(vanishedElsewhere(unqualified, ours), false, 'a table named without its schema could be ours');
    const syntax = await raised('select from where');
    assert.equal(vanishedElsewhere(syntax, ours), false, 'another kind of error is not a vanished schema');
  });
});
