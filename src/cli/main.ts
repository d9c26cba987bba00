/** The shieldwall command: one sub-command per file in this folder, loaded only when it runs. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help } from 'commander';
import { ConfigError, describeSettings } from '../config/config.js';
import { COMMANDS, commandOf } from './commands.js';
import { describeFailure, endQuietlyOnClosedOutput, EXIT, exitStatusHelp } from './failures.js';

endQuietlyOnClosedOutput();
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command();
program
  .name('shieldwall')
  .description('Shieldwall node: share, detect and respond together (STIX 2.1 / TAXII 2.1)')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError('(add --help for usage)')
  // Usage errors exit with their own status (2), not commander's 1.
  .exitOverride()
  .option('--as <user>', 'the user you act for, recorded in the audit log with your OS user (commands on the store directly); commands that read or write as a user act as this one')
  .addHelpText('after', () => `${exitStatusHelp()}\nSettings (environment):\n${describeSettings().map((s) => `  ${s.env}\n      ${s.description}`).join('\n')}\n`);

// --as is one option wherever it is written: before the command name or after it, where some
// commands act as that user on the store directly.
program.hook('preAction', async (_program, command) => {
  const as = program.opts<{ as?: string }>().as;
  if (as === undefined) return;
  if (command.options.some((o) => o.attributeName() === 'as')) command.setOptionValue('as', as);
  (await import('./local.js')).actingFor(as);
});

const chosen = commandOf(process.argv.slice(2));
if (chosen) {
  (await chosen.load())(program);
} else {
  // No command named (help, or a word that is none): every command is listed, none is loaded.
  const terms = new Map(COMMANDS.map((c) => [c.name, c.term]));
  const help = new Help();
  for (const c of COMMANDS) program.command(c.name).description(c.description);
  program.configureHelp({ subcommandTerm: (command) => terms.get(command.name()) ?? help.subcommandTerm(command) });
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander printed the message (and the usage) already; help and --version end with 0.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = EXIT.failed;
  } else {
    const { line, status } = describeFailure(error);
    process.stderr.write(`${line}\n`);
    process.exitCode = status;
  }
}
