import type { Command } from 'commander';
import { seedDemo } from '../modules/demo/demo.service.js';
import { withLocalStore } from './local.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('seed the synthetic demo alliance (members and intel) into the configured store; safe to repeat')
    .option('--seed <n>', 'random seed of the generated data', '1')
    .action(async (options: { seed: string }) => {
      const result = await withLocalStore((ctx) => seedDemo(ctx, { seed: Number(options.seed) }));
      process.stdout.write(
        `${JSON.stringify({ members: result.members, accepted: result.intel.accepted, duplicate: result.intel.duplicate, rejected: result.intel.rejected, incidents: result.incidents })}\n`,
      );
    });
}
