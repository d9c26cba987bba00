/**
 * What a PostgreSQL store needs before the first start (docs/OPERATIONS.md, Stores): the
 * database made and a schema on search_path. When either is missing, the node and the CLI stop
 * with one line that names what is missing and how to make it, not a driver message alone.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dialectSkip, POSTGRES_URL } from './support/dialects.js';
import { runCli, spawnCli } from './support/process.js';
import { lastLines, SUITE_LIMIT_MS } from './support/wait.js';

/** The test server's URL with another database, or a search_path. */
function withDatabase(name: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
function withSearchPath(schema: string): string {
  return `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
}

describe('PostgreSQL prerequisites, said when missing (postgres only)', { skip: await dialectSkip('postgres'), timeout: SUITE_LIMIT_MS }, () => {
  let dir: string;
  const missing = `sw_missing_${randomBytes(4).toString('hex')}`;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-prerequisites-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a database that does not exist: the CLI says to create it, and how', async () => {
    const result = await runCli(['members', 'list'], { SHIELDWALL_DATA_DIR: dir, SHIELDWALL_DATABASE_URL: withDatabase(missing) });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`database "${missing}" does not exist: create it first \\(createdb ${missing}, or CREATE DATABASE "${missing}"\\); Shieldwall creates its tables, not the database`));
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
  });

  it('a schema on search_path that does not exist: the node stops before listening and says to create it', async () => {
    const child = spawnCli(['serve'], { SHIELDWALL_DATA_DIR: dir, SHIELDWALL_PORT: '0', SHIELDWALL_DEMO: '0', SHIELDWALL_DATABASE_URL: withSearchPath(missing) });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 1, lastLines(output));
    assert.match(output, new RegExp(`no schema named by search_path \\(${missing}\\) exists: create it \\(CREATE SCHEMA`));
    assert.doesNotMatch(output, /"url":"http/, 'it never listened');
  });
});
