/** The shieldwall command: one sub-command per file in this folder. */
import { Command } from 'commander';
import { ConfigError, describeSettings } from '../config/config.js';
import { registerAudit } from './audit.js';
import { registerCollections } from './collections.js';
import { registerCredentials } from './credentials.js';
import { registerDemo } from './demo.js';
import { registerAwareness, registerDetect } from './detect.js';
import { registerWarningLists } from './warninglists.js';
import { registerPki } from './pki.js';
import { registerDirectory } from './directory.js';
import { actingFor } from './local.js';
import { registerIngest } from './ingest.js';
import { registerPeers } from './peers.js';
import { registerServe } from './serve.js';
import { registerTokens } from './tokens.js';

const program = new Command();
program
  .name('shieldwall')
  .description('Shieldwall node: share, detect and respond together (STIX 2.1 / TAXII 2.1)')
  .showHelpAfterError()
  .option('--as <user>', 'the user you act for, recorded in the audit log with your OS user (commands on the store directly); commands that read or write as a user act as this one')
  .addHelpText('after', `\nSettings (environment):\n${describeSettings().map((s) => `  ${s.env}\n      ${s.description}`).join('\n')}\n`);

// --as is one option wherever it is written: before the command name or after it, where some
// commands act as that user on the store directly.
program.hook('preAction', (_program, command) => {
  const as = program.opts<{ as?: string }>().as;
  if (as !== undefined && command.options.some((o) => o.attributeName() === 'as')) command.setOptionValue('as', as);
  actingFor(as);
});

registerServe(program);
registerIngest(program);
registerDetect(program);
registerWarningLists(program);
registerAwareness(program);
registerDemo(program);
registerDirectory(program);
registerPeers(program);
registerAudit(program);
registerPki(program);
registerCollections(program);
registerTokens(program);
registerCredentials(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`shieldwall: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
