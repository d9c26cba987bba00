/**
 * shieldwall generate: the synthetic mixed intel the benchmarks use, as a sample feed to try
 * ingest, detection and federation with. Streamed to standard output, so a million objects take
 * no more memory than ten.
 */
import type { Command } from 'commander';
import { CliError, EXIT, isClosedOutput } from './failures.js';
import { createProgress } from './progress.js';

interface GenerateOptions {
  objects: string;
  format: string;
  seed: string;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description("write synthetic STIX 2.1 intel (the benchmarks' mix: indicators, observables, relationships, sightings) to standard output")
    .requiredOption('--objects <n>', 'how many objects (the first few are the markings, identities, malware and intrusion sets the rest refer to)')
    .option('--format <format>', 'bundle (one STIX bundle) or ndjson (one object per line)', 'bundle')
    .option('--seed <n>', 'random seed: the same seed and count give the same bytes', '1')
    .addHelpText('after', '\nExample:\n  shieldwall generate --objects 100000 --format ndjson > big-feed.ndjson\n')
    .action(async (options: GenerateOptions) => {
      const count = Number(options.objects);
      if (!/^\d+$/.test(options.objects.trim()) || !Number.isSafeInteger(count) || count < 1) {
        throw new CliError(EXIT.usage, `--objects '${options.objects}' is not a whole number of at least 1`);
      }
      if (options.format !== 'bundle' && options.format !== 'ndjson') throw new CliError(EXIT.usage, `--format '${options.format}' is neither bundle nor ndjson`);
      const seed = Number(options.seed);
      if (!/^\d+$/.test(options.seed.trim()) || !Number.isSafeInteger(seed) || seed > 0xffffffff) {
        throw new CliError(EXIT.usage, `--seed '${options.seed}' is not a whole number from 0 to 4294967295`);
      }
      if (process.stdout.isTTY) {
        throw new CliError(EXIT.usage, `standard output is a terminal: redirect it to a file, e.g. shieldwall generate --objects ${count} --format ${options.format} > feed.${options.format === 'ndjson' ? 'ndjson' : 'json'}`);
      }
      const { writeSynthetic } = await import('../modules/demo/synthetic.js');
      const progress = createProgress('generate', undefined, { totalObjects: count });
      try {
        await writeSynthetic(process.stdout, count, { seed, format: options.format, onProgress: (written) => progress.update(written, 0) });
        progress.finish(count);
      } catch (error) {
        // A reader that stops early (| head) is not a failure of ours.
        if (isClosedOutput(error)) return;
        throw new CliError(EXIT.failed, `cannot write the feed: ${(error as Error).message}`, { cause: error });
      } finally {
        progress.stop();
      }
    });
}
