import type { Command } from 'commander';
import { seedDemo, storeIsEmpty } from '../modules/demo/demo.service.js';
import { withLocalStore } from './local.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('seed the synthetic demo alliance (members, intel, incidents, assistance, assessment and decisions) into the configured store; a store that holds members already is left as it is, so it is safe to repeat')
    .option('--seed <n>', 'random seed of the generated data', '1')
    .action(async (options: { seed: string }) => {
      const result = await withLocalStore(async (ctx) => ((await storeIsEmpty(ctx)) ? seedDemo(ctx, { seed: Number(options.seed) }) : undefined));
      if (result === undefined) {
        process.stdout.write(`${JSON.stringify({ seeded: false, reason: 'the store holds members already: the demo alliance is seeded into an empty store only' })}\n`);
        return;
      }
      process.stdout.write(
        `${JSON.stringify({ seeded: true, members: result.members, accepted: result.intel.accepted, duplicate: result.intel.duplicate, rejected: result.intel.rejected, incidents: result.incidents, assistance: result.assistance, decisions: result.decisions })}\n`,
      );
    });
}
