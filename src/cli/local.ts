/** For CLI commands that work on the configured store directly (no running node needed). */
import { userInfo } from 'node:os';
import { createContext } from '../app.js';
import { loadConfig, type Config } from '../config/config.js';
import type { AppContext } from '../core/context.js';
import { createLogger } from '../core/logger.js';
import { openStore } from '../db/database.js';
import { migrateStore } from '../modules/index.js';
import { closeAudit, setLocalOperator } from '../modules/audit/audit.service.js';

let claimedUser: string | undefined;

/** The user named with --as: recorded in the audit log beside the operator's OS user. */
export function actingFor(user: string | undefined): void {
  claimedUser = user;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // A container user without a passwd entry still has a uid.
    return `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

export async function withLocalStore<T>(fn: (ctx: AppContext) => Promise<T>, overrides: Partial<Config> = {}): Promise<T> {
  const config = loadConfig(process.env, overrides);
  const store = openStore(config.databaseUrl);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 2);
  const ctx = createContext({ config, store, logger });
  // What is done on the store directly is on record as the OS user who did it.
  setLocalOperator(ctx, { osUser: osUser(), ...(claimedUser !== undefined ? { as: claimedUser } : {}) });
  let migrated = false;
  try {
    await migrateStore(store);
    migrated = true;
    return await fn(ctx);
  } finally {
    try {
      // A store that could not be opened has no audit log to close: its error is the one to show.
      if (migrated) await closeAudit(ctx);
    } finally {
      await store.close();
    }
  }
}

/**
 * Writes every row of a listing read a page at a time, one JSON line each as its page comes:
 * all of them, however many, without holding them all.
 */
export async function writeAllPages<T>(read: (cursor: string | null) => Promise<{ rows: readonly T[]; next: string | null }>): Promise<void> {
  let cursor: string | null = null;
  do {
    const page = await read(cursor);
    for (const row of page.rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    cursor = page.next;
  } while (cursor !== null);
}
