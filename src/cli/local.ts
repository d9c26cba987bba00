/** For CLI commands that work on the configured store directly (no running node needed). */
import { createContext } from '../app.js';
import { loadConfig, type Config } from '../config/config.js';
import type { AppContext } from '../core/context.js';
import { createLogger } from '../core/logger.js';
import { openStore } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';

export async function withLocalStore<T>(fn: (ctx: AppContext) => Promise<T>, overrides: Partial<Config> = {}): Promise<T> {
  const config = loadConfig(process.env, overrides);
  const store = openStore(config.databaseUrl);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 2);
  try {
    await migrateToLatest(store);
    return await fn(createContext({ config, store, logger }));
  } finally {
    await store.close();
  }
}
