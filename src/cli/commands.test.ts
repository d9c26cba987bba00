import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command, Help } from 'commander';
import { COMMANDS, commandOf } from './commands.js';

describe('the command registry', () => {
  it('lists each command as its file registers it: name, usage and description', async () => {
    const help = new Help();
    const listed = new Set(COMMANDS.map((c) => c.name));
    for (const entry of COMMANDS) {
      const program = new Command();
      (await entry.load())(program);
      const command = program.commands.find((c) => c.name() === entry.name);
      assert.ok(command, `${entry.name}: its file registers no command of that name`);
      assert.equal(entry.description, command.description(), `${entry.name}: the description differs from its file's`);
      assert.equal(entry.term, help.subcommandTerm(command), `${entry.name}: the usage differs from its file's`);
      // A sibling registered by the same file is in the table too, or --help would not list it.
      for (const sibling of program.commands) assert.ok(listed.has(sibling.name()), `${sibling.name()} is registered but not in the table`);
    }
  });

  it('finds the command a command line runs, past options and --as', () => {
    assert.equal(commandOf(['lookup', '1.2.3.4'])?.name, 'lookup');
    assert.equal(commandOf(['--as', 'lookup', 'members', 'list'])?.name, 'members');
    assert.equal(commandOf(['--as=demo.analyst.de', 'match', '-'])?.name, 'match');
    assert.equal(commandOf(['help', 'peers'])?.name, 'peers');
    assert.equal(commandOf(['--help']), undefined);
    assert.equal(commandOf([]), undefined);
    assert.equal(commandOf(['nonsense', 'serve']), undefined);
  });
});
