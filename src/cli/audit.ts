import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { auditPublicKey, checkpoint, entries, verify } from '../modules/audit/audit.service.js';
import { withLocalStore } from './local.js';

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the hash-chained, MAC-ed audit log: verify, export, checkpoints');
  audit
    .command('verify')
    .description('check each entry\'s hash and MAC, the chain, and that the log reaches its newest checkpoint (exit 0 when intact, 4 when not, 1 when it cannot be checked)')
    .option('--checkpoints <file>', 'hold the log against the checkpoints in this file (an exported copy, syslog lines too) instead of the node\'s own')
    .action(async (options: { checkpoints?: string }) => {
      const result = await withLocalStore((ctx) => verify(ctx, options.checkpoints !== undefined ? { checkpointFile: options.checkpoints } : {}));
      process.stdout.write(`${JSON.stringify(result)}\n`);
      for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
      if (result.error !== undefined) {
        process.stderr.write(`audit log not verified: ${result.error}\n`);
        process.exitCode = 1;
      } else if (!result.ok) {
        process.stderr.write(`audit log broken at entry ${result.problem!.seq}: ${result.problem!.message}\n`);
        process.exitCode = 4;
      } else {
        process.stderr.write(`audit log intact: ${result.entries} entries\n`);
      }
    });
  audit
    .command('checkpoint')
    .description('write a signed checkpoint of the log\'s newest entry now (to the checkpoint file and the export), and print it')
    .action(async () => {
      const written = await withLocalStore((ctx) => checkpoint(ctx));
      if (written) process.stdout.write(`${JSON.stringify(written)}\n`);
      else process.stderr.write('no checkpoint written: the log is empty, the last checkpoint already holds its head, or the log no longer holds the last checkpoint (run shieldwall audit verify)\n');
    });
  audit
    .command('public-key')
    .description('print the public key (PEM) that checks this node\'s checkpoints, for a peer or an archive')
    .action(async () => {
      const pem = await withLocalStore(async (ctx) => auditPublicKey(ctx));
      if (pem === undefined) {
        process.stderr.write('this node has no audit key yet (SHIELDWALL_AUDIT_KEY_FILE): it is made when the node starts or first writes the log\n');
        process.exitCode = 1;
        return;
      }
      process.stdout.write(pem);
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
