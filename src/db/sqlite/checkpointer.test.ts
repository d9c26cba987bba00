/**
 * The embedded store's checkpoints on a thread of their own (checkpointer.ts): a long log is
 * copied back into the database file by the worker's connection, not by the committing one; a
 * short one is left to SQLite; closing waits for a checkpoint in progress; a thread that cannot
 * checkpoint leaves the writer working (its own automatic checkpoint remains).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { createTestStore } from '../../../test/support/dialects.js';
import { SUITE_LIMIT_MS, waitFor } from '../../../test/support/wait.js';
import { createMetrics, observeStoreCheckpoints } from '../../core/metrics.js';
import { Checkpointer } from './checkpointer.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-checkpoint-'));
  dirs.push(dir);
  return path.join(dir, 'store.db');
}

/** A writer in WAL mode that never checkpoints by itself: only the checkpointer copies pages back. */
function writer(file: string): SqliteDatabase.Database {
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('create table blobs (n integer primary key, data blob not null)');
  return db;
}

/** A checkpointer of a file that has a log but no database: its thread cannot open it. */
function unopenable(): Checkpointer {
  const file = tempFile();
  writeFileSync(`${file}-wal`, Buffer.alloc(128 * 1024));
  return new Checkpointer(file, 64 * 1024);
}

/** Commits `rows` rows of 16 KiB each in one transaction. */
function commitRows(db: SqliteDatabase.Database, rows: number): void {
  const insert = db.prepare('insert into blobs (data) values (randomblob(16384))');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run();
  })();
}

describe('checkpoints on their own thread', { timeout: SUITE_LIMIT_MS }, () => {
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('copies a long log back into the database file, and the writer then starts the log over', async () => {
    const file = tempFile();
    const db = writer(file);
    const checkpointer = new Checkpointer(file, 256 * 1024);
    try {
      commitRows(db, 64);
      const walAfterFirst = statSync(`${file}-wal`).size;
      assert.ok(statSync(file).size < 1024 * 1024, 'before any checkpoint the rows are in the log only');
      checkpointer.committed();
      await waitFor('a checkpoint on the worker', () => checkpointer.stats.runs >= 1);
      assert.equal(checkpointer.stats.failures, 0, checkpointer.stats.lastFailure);
      assert.ok(statSync(file).size >= 64 * 16384, `the database file holds the rows (${statSync(file).size} bytes)`);
      // Everything was copied: the next transaction writes from the start of the log again.
      commitRows(db, 64);
      assert.equal(statSync(`${file}-wal`).size, walAfterFirst, 'the log did not grow: it was started over');
      const reader = new SqliteDatabase(file, { readonly: true });
      assert.equal((reader.prepare('select count(*) as n from blobs').get() as { n: number }).n, 128);
      reader.close();
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it('leaves a short log to SQLite: no thread, no checkpoint', async () => {
    const file = tempFile();
    const db = writer(file);
    const checkpointer = new Checkpointer(file, 8 * 1024 * 1024);
    try {
      commitRows(db, 4);
      checkpointer.committed();
      // Closing waits for a checkpoint in progress: had one been asked for, it would have run.
      await checkpointer.close();
      assert.equal(checkpointer.stats.runs, 0);
      assert.ok(statSync(file).size < 64 * 1024, 'the rows are still in the log only');
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it('waits for the checkpoint in progress when closed, and asks for none after', async () => {
    const file = tempFile();
    const db = writer(file);
    const checkpointer = new Checkpointer(file, 64 * 1024);
    commitRows(db, 256);
    checkpointer.committed();
    await checkpointer.close();
    assert.equal(checkpointer.stats.runs, 1, 'the checkpoint asked for ran before close returned');
    commitRows(db, 16);
    checkpointer.committed();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(checkpointer.stats.runs, 1, 'nothing runs once closed');
    db.close();
  });

  it('reports a thread that cannot checkpoint, and tries again at the next commit', async () => {
    const checkpointer = unopenable();
    try {
      checkpointer.committed();
      await waitFor('the failure reported', () => checkpointer.stats.failures >= 1);
      assert.equal(checkpointer.stats.runs, 0);
      assert.match(checkpointer.stats.lastFailure ?? '', /cannot open .*store\.db/, JSON.stringify(checkpointer.stats));
      checkpointer.committed();
      await waitFor('the second failure reported', () => checkpointer.stats.failures >= 2);
    } finally {
      await checkpointer.close();
    }
  });

  it('does not lose a commit made while a thread that cannot checkpoint is stopping', async () => {
    const checkpointer = unopenable();
    try {
      // The second is folded into the first's run: it asks again once the first thread is gone.
      checkpointer.committed();
      checkpointer.committed();
      await waitFor('a second thread started for the folded commit', () => checkpointer.stats.failures >= 2);
      assert.equal(checkpointer.stats.runs, 0);
    } finally {
      await checkpointer.close();
    }
  });

  it("follows the store's bulk commits: they are checkpointed by the thread, and the store closes", async () => {
    const testStore = await createTestStore('sqlite');
    const store = testStore.store;
    try {
      assert.ok(store.checkpoints, 'a file store has a checkpoint thread');
      await sql`create table bulk_blobs (n integer primary key, data blob not null)`.execute(store.db);
      // 40 MiB in a bulk writer's transaction (a background one, as a stream's after its
      // first): past the 32 MiB the thread starts at.
      await store.adapter.writeTransaction(
        async (tx) => {
          for (let i = 0; i < 40; i++) await sql`insert into bulk_blobs (data) select randomblob(65536) from (with recursive n(i) as (select 1 union all select i + 1 from n where i < 16) select i from n)`.execute(tx.db);
        },
        { background: true },
      );
      await waitFor("a checkpoint on the store's thread", () => store.checkpoints!.runs >= 1);
      assert.equal(store.checkpoints.failures, 0, store.checkpoints.lastFailure);
      // What an operator scrapes (docs/OPERATIONS.md).
      const metrics = createMetrics({ defaultMetrics: false });
      observeStoreCheckpoints(metrics, store.checkpoints);
      const text = await metrics.registry.metrics();
      assert.match(text, new RegExp(`shieldwall_store_checkpoints_total\\{outcome="done"\\} ${store.checkpoints.runs}\\b`), text);
      assert.match(text, /shieldwall_store_checkpoints_total\{outcome="failed"\} 0\b/, text);
      // cleanup() closes the store again: closing twice is harmless.
      await store.close();
      const reader = new SqliteDatabase(store.location.slice('sqlite:'.length), { readonly: true });
      assert.equal((reader.prepare('select count(*) as n from bulk_blobs').get() as { n: number }).n, 640);
      reader.close();
    } finally {
      await testStore.cleanup();
    }
  });
});
