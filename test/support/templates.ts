/**
 * A test's new store starts from a copy of a store migrated once, not migrated anew: migrating
 * costs 0.3-0.5 s on SQLite and 0.5-1.5 s on PostgreSQL on a loaded 2-core machine, and the suite
 * makes some 250 stores. The copy is the migrated store itself (the SQLite file; on PostgreSQL the
 * schema as `pg_dump` writes it, its tables, indexes, sequences, functions, triggers and the
 * migrations' bookkeeping rows), so a test sees exactly what a migrated store holds
 * (test/templates.test.ts compares them).
 *
 * Templates are kept in the system's temporary directory under a key of the code that made them
 * (every source file under src/, the lockfile and this file): a changed migration, or any other
 * change of the code, makes a new one. Those no test has used for an hour are removed. Without `pg_dump` (or one that cannot dump the server), each
 * PostgreSQL store is migrated as before.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { openStore } from '../../src/db/database.js';
import { migrateStore } from '../../src/modules/index.js';
import { REPO_ROOT } from './paths.js';

const TEMPLATES = path.join(tmpdir(), 'shieldwall-test-templates');
/** Templates no test process has used for this long are removed (older code's, mostly). */
const UNUSED_MS = 3600_000;
/** Stands for the schema's name in a PostgreSQL template. */
const SCHEMA_MARK = '__shieldwall_template_schema__';

let keyOfCode: string | undefined;

/** A key of the code a template is made by: every source file under src/ (tests aside), the lockfile and this file. */
function codeKey(): string {
  if (keyOfCode) return keyOfCode;
  const hash = createHash('sha256');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) files.push(full);
    }
  };
  walk(path.join(REPO_ROOT, 'src'));
  files.sort();
  // The lockfile (the libraries migrations run on) and this file (how a template is made).
  files.push(path.join(REPO_ROOT, 'package-lock.json'), fileURLToPath(import.meta.url));
  for (const file of files) {
    hash.update(path.relative(REPO_ROOT, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  keyOfCode = hash.digest('hex').slice(0, 24);
  return keyOfCode;
}

let dirOfCode: string | undefined;

/**
 * The directory of this code's templates, made when missing and marked used (its time set to
 * now); others unused for an hour are removed.
 */
function templateDir(): string {
  if (dirOfCode) return dirOfCode;
  const dir = path.join(TEMPLATES, codeKey());
  mkdirSync(dir, { recursive: true });
  const now = new Date();
  utimesSync(dir, now, now);
  for (const other of readdirSync(TEMPLATES)) {
    const full = path.join(TEMPLATES, other);
    try {
      if (full !== dir && now.getTime() - statSync(full).mtimeMs > UNUSED_MS) rmSync(full, { recursive: true, force: true });
    } catch {
      // Another process removed it first.
    }
  }
  dirOfCode = dir;
  return dir;
}

/** Writes a file whole or not at all: a process reading it meanwhile never sees half of it. */
function writeWhole(file: string, make: (temporary: string) => void): void {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    make(temporary);
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}

let sqliteTemplate: Promise<string> | undefined;

/** A migrated SQLite store file, made once for this code (by whichever test process needs it first). */
function sqliteTemplateFile(): Promise<string> {
  sqliteTemplate ??= (async () => {
    const file = path.join(templateDir(), 'store.db');
    if (existsSync(file)) return file;
    const building = path.join(templateDir(), `building-${process.pid}-${randomBytes(4).toString('hex')}.db`);
    try {
      const store = openStore(`sqlite:${building}`);
      try {
        await migrateStore(store);
      } finally {
        await store.close();
      }
      // Closed, the store is one file: its write-ahead log was written back and removed.
      if (existsSync(`${building}-wal`) && statSync(`${building}-wal`).size > 0) throw new Error(`the template store ${building} kept a write-ahead log after it was closed`);
      // Renamed into place: whole or not at all for a process that reads it meanwhile.
      renameSync(building, file);
    } finally {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${building}${suffix}`, { force: true });
    }
    return file;
  })();
  sqliteTemplate.catch(() => {
    sqliteTemplate = undefined;
  });
  return sqliteTemplate;
}

/** Makes `file` a migrated SQLite store. */
export async function migratedSqliteFile(file: string): Promise<void> {
  try {
    copyFileSync(await sqliteTemplateFile(), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // Removed meanwhile (by a run of other code that found it unused for an hour): made again.
    sqliteTemplate = undefined;
    dirOfCode = undefined;
    copyFileSync(await sqliteTemplateFile(), file);
  }
}

let postgresTemplate: Promise<string | undefined> | undefined;

/**
 * The SQL that makes a schema (its name SCHEMA_MARK) what a migrated one is, made once for this
 * code and this server by migrating a schema and dumping it; undefined when `pg_dump` is missing
 * or cannot dump this server (a client older than the server).
 */
function postgresTemplateSql(url: string): Promise<string | undefined> {
  postgresTemplate ??= (async () => {
    const file = path.join(templateDir(), `postgres-${createHash('sha256').update(url).digest('hex').slice(0, 16)}.sql`);
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const schema = `sw_tmpl_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`create schema ${schema}`);
      const store = openStore(url, { schema });
      try {
        await migrateStore(store);
      } finally {
        await store.close();
      }
      let dump: string;
      try {
        ({ stdout: dump } = await promisify(execFile)('pg_dump', ['--no-owner', '--no-privileges', '--inserts', '--schema', schema, '--dbname', url], { maxBuffer: 64 << 20, encoding: 'utf8' }));
      } catch {
        return undefined;
      }
      const sql = dump
        .split('\n')
        // psql's own commands (\restrict) and comments are not SQL for the server.
        .filter((line) => !line.startsWith('\\') && !line.startsWith('--'))
        .join('\n')
        .replace(`CREATE SCHEMA ${schema};`, '')
        .replaceAll(schema, SCHEMA_MARK);
      if (!sql.includes(`${SCHEMA_MARK}.kysely_migration`)) throw new Error(`pg_dump of the template schema ${schema} holds no migration records: ${sql.slice(0, 300)}`);
      writeWhole(file, (temporary) => writeFileSync(temporary, sql));
      return sql;
    } finally {
      await admin.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await admin.end();
    }
  })();
  postgresTemplate.catch(() => {
    postgresTemplate = undefined;
  });
  return postgresTemplate;
}

/**
 * Makes the empty schema `schema` what a migrated one is, through the client `admin` (which
 * leaves it with an empty search_path: end it after). False: no template could be made here,
 * migrate the schema instead.
 */
export async function migratedPostgresSchema(admin: pg.Client, url: string, schema: string): Promise<boolean> {
  const sql = await postgresTemplateSql(url);
  if (sql === undefined) return false;
  await admin.query(sql.replaceAll(SCHEMA_MARK, schema));
  return true;
}
