import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { entries, verify } from '../modules/audit/audit.service.js';
import { withLocalStore } from './local.js';

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log: verify, export');
  audit
    .command('verify')
    .description('check that no entry was altered, removed or inserted (exit 0 when intact, 4 when not)')
    .action(async () => {
      const result = await withLocalStore((ctx) => verify(ctx));
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (!result.ok) {
        process.stderr.write(`audit log broken at entry ${result.problem!.seq}: ${result.problem!.message}\n`);
        process.exitCode = 4;
      }
    });
  audit
    .command('export')
    .description('write every entry as JSON lines, in chain order')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (options: { out?: string }) => {
      const out = options.out ? createWriteStream(options.out) : process.stdout;
      const count = await withLocalStore(async (ctx) => {
        let n = 0;
        for await (const entry of entries(ctx)) {
          if (!out.write(`${JSON.stringify(entry)}\n`)) await once(out, 'drain');
          n++;
        }
        return n;
      });
      if (options.out) {
        (out as ReturnType<typeof createWriteStream>).end();
        await once(out, 'finish');
      }
      process.stderr.write(`${count} audit entries exported\n`);
    });
}
