/**
 * The registry of shieldwall's commands: each module's definition (modules/index.ts) lists its
 * own. Each is defined in its own file, imported only when that command runs: a store, an HTTP server, a detection index or a PKI take hundreds of milliseconds
 * to load, and `--help` or a lookup on a running node needs none of them. The top-level help is
 * drawn from this table (a test holds it to what each file registers).
 */
import type { CommandEntry } from '../core/module.js';
import { MODULES } from '../modules/index.js';

export type { CommandEntry, Register } from '../core/module.js';

/** Every module's commands, in the order of the module list. */
export const COMMANDS: readonly CommandEntry[] = MODULES.flatMap((m) => m.commands ?? []);

/**
 * The command a command line runs: its first word that is not an option (nor --as's value), or
 * the word after `help`. Undefined for a bare `shieldwall`, `--help`, or a word that names none.
 */
export function commandOf(args: readonly string[]): CommandEntry | undefined {
  let afterHelp = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg === '--as') {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    if (arg === 'help' && !afterHelp) {
      afterHelp = true;
      continue;
    }
    return COMMANDS.find((c) => c.name === arg);
  }
  return undefined;
}
