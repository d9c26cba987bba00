/** Starts a node: store, migrations, bootstrap, optional demo seeding, HTTP, graceful shutdown. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildApp, type Node } from './app.js';
import type { Config } from './config/config.js';
import { openStore } from './db/database.js';
import { migrateStore } from './modules/index.js';
import { checkpoint } from './modules/audit/audit.service.js';
import { createToken, ensureBootstrapToken } from './modules/directory/directory.service.js';
import { DEMO_USERS, seedDemo, storeIsEmpty } from './modules/demo/demo.service.js';
import { SYSTEM_PRINCIPAL } from './policy/principal.js';

export interface RunningNode extends Node {
  url: string;
  stop(reason?: string): Promise<void>;
}

export async function startNode(config: Config, options: { handleSignals?: boolean } = {}): Promise<RunningNode> {
  const store = openStore(config.databaseUrl, { reconnectMinMs: config.storeReconnectMinMs, reconnectMaxMs: config.storeReconnectMaxMs });
  const https =
    config.tlsCert && config.tlsKey
      ? { cert: readFileSync(config.tlsCert, 'utf8'), key: readFileSync(config.tlsKey, 'utf8'), ...(config.tlsClientCa ? { ca: readFileSync(config.tlsClientCa, 'utf8') } : {}) }
      : undefined;
  const node = await buildApp({ config, store, ...(https ? { https } : {}) });
  const { app, ctx } = node;
  const log = ctx.logger;
  const applied = await migrateStore(store);
  if (applied.length > 0) log.info({ migrations: applied }, 'migrations applied');
  // Makes the audit key on first start and anchors the log as it stands (where MACs begin).
  await checkpoint(ctx);
  if (config.bootstrapToken && (await ensureBootstrapToken(ctx, config.bootstrapToken))) log.info('bootstrap node-admin token created');

  if (config.demo && (await storeIsEmpty(ctx))) {
    log.info('empty store: seeding the synthetic demo alliance (set SHIELDWALL_DEMO=0 to skip)');
    const seeded = await seedDemo(ctx);
    log.info({ members: seeded.members, accepted: seeded.intel.accepted, rejected: seeded.intel.rejected, incidents: seeded.incidents, assistance: seeded.assistance, decisions: seeded.decisions }, 'demo alliance seeded');
    const demoToken = await createToken(ctx, SYSTEM_PRINCIPAL, { name: 'demo', user: DEMO_USERS[0]!.name });
    // The token goes to the terminal and a private file, never into the logs.
    mkdirSync(config.dataDir, { recursive: true });
    const tokenFile = path.join(config.dataDir, 'demo-token.txt');
    writeFileSync(tokenFile, `${demoToken.token}\n`, { mode: 0o600 });
    const signInFile = path.join(config.dataDir, 'demo-sign-in.txt');
    writeFileSync(signInFile, `user: ${DEMO_USERS[0]!.name}\npassword: ${seeded.password}\n`, { mode: 0o600 });
    process.stderr.write(`\nDemo API token of ${DEMO_USERS[0]!.name}, an alliance coordinator cleared to SECRET (also in ${tokenFile}):\n  ${demoToken.token}\nDashboard sign-in (also in ${signInFile}): user ${DEMO_USERS[0]!.name}, password ${seeded.password}\n\n`);
  }

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `${https ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  node.setReady(true);
  log.info({ url, store: store.location }, 'Shieldwall node listening');
  node.jobs.start();
  if (config.federation) await node.federation.start();
  void node.detection.start().catch((error: unknown) => log.error({ err: error }, 'building the detection index failed'));

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stop') => {
    stopping ??= (async () => {
      log.info({ reason }, 'shutting down: finishing in-flight requests');
      node.setReady(false);
      await node.federation.stop().catch((error: unknown) => log.error({ err: error }, 'stopping federation failed'));
      await node.jobs.stop().catch((error: unknown) => log.error({ err: error }, 'stopping the job scheduler failed'));
      node.detection.stop();
      const timer = setTimeout(() => {
        log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; closing anyway');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      // Keep-alive connections go idle as their last response is sent; close them as they do,
      // or the server would wait for the clients to hang up.
      const reaper = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(reaper);
      }
      await store.close();
      clearTimeout(timer);
      log.info('stopped');
    })();
    return stopping;
  };
  if (options.handleSignals) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void stop(signal).then(() => process.exit(0));
      });
    }
  }
  return { ...node, url, stop };
}
