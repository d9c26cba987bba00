import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { startNode } from '../server.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the node: HTTP API, dashboard, /healthz, /readyz, /metrics (settings from SHIELDWALL_* variables)')
    .option('--no-demo', 'do not seed the demo alliance into an empty store')
    .option('-p, --port <port>', 'TCP port (overrides SHIELDWALL_PORT)')
    .action(async (options: { demo: boolean; port?: string }) => {
      const env = { ...process.env, ...(options.port ? { SHIELDWALL_PORT: options.port } : {}), ...(options.demo ? {} : { SHIELDWALL_DEMO: '0' }) };
      await startNode(loadConfig(env), { handleSignals: true });
    });
}
