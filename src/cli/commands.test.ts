import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Command, Help } from 'commander';
import { runCli } from '../../test/support/process.js';
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

describe('what a command loads', () => {
  // A module hook that names every module the command resolves, on standard error. Hooks run on
  // a thread of their own: the line is written to the descriptor at once (writeSync), not queued
  // on that thread's stream, which a command that exits quickly could end before it is passed on.
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-loads-'));
    writeFileSync(
      path.join(dir, 'hooks.mjs'),
      "import { writeSync } from 'node:fs';\n" +
        'export async function resolve(s, c, next) {\n' +
        '  const r = await next(s, c);\n' +
        // A full pipe answers EAGAIN: write again until the test has read some.
        "  for (;;) { try { writeSync(2, `LOADED ${r.url}\\n`); break; } catch (e) { if (e.code !== 'EAGAIN') throw e; } }\n" +
        '  return r;\n' +
        '}\n',
    );
    writeFileSync(path.join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});\n`);
    env = { NODE_OPTIONS: `--import=${pathToFileURL(path.join(dir, 'register.mjs')).href}` };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const loaded = (stderr: string) => [...stderr.matchAll(/^LOADED (.*)$/gm)].map((m) => m[1]!);
  /** For a failure: the exit status and what the command said besides the hook's lines. */
  const said = (result: { code: number | null; stderr: string }) => `exit ${result.code}; ${loaded(result.stderr).length} modules; the rest of standard error: ${result.stderr.replace(/^LOADED .*\n/gm, '').slice(-1500)}`;
  // The store, the server, the detection index, the PKI: hundreds of milliseconds to load. Of the
  // intel module, only its definition (index.js: names and loaders) may be read.
  const HEAVY = /\/node_modules\/(fastify|@fastify|kysely|better-sqlite3|pg|pg-copy-streams|pino|prom-client|@peculiar|reflect-metadata|undici|re2js)\/|\/dist\/(app|server)\.js$|\/dist\/db\/|\/dist\/modules\/intel\/(?!index\.js$)/;

  it('--help loads none of the store, the server or the PKI, and still lists every command', async () => {
    const result = await runCli(['--help'], env);
    assert.equal(result.code, 0, result.stderr);
    const modules = loaded(result.stderr);
    assert.ok(modules.some((m) => m.endsWith('/dist/cli/main.js')), `the hook saw no module: ${said(result)}`);
    assert.deepEqual(modules.filter((m) => HEAVY.test(m)), []);
    for (const entry of COMMANDS) assert.match(result.stdout, new RegExp(`^  ${entry.name}\\b`, 'm'));
  });

  it('lookup on a running node (--url) loads none of them either', async () => {
    // Nothing listens there: what matters is what was loaded before the request.
    const result = await runCli(['lookup', '192.0.2.1', '--url', 'http://127.0.0.1:9', '--token', 'x'.repeat(64)], env);
    assert.notEqual(result.code, 0);
    const modules = loaded(result.stderr);
    assert.ok(modules.some((m) => m.endsWith('/dist/cli/detect.js')), `lookup's module was not loaded: ${said(result)}`);
    assert.deepEqual(modules.filter((m) => HEAVY.test(m)), []);
  });

  it('pki loads the development PKI, which the node itself does without', async () => {
    const result = await runCli(['pki', 'init', '--dir', path.join(dir, 'pki')], { ...env, SHIELDWALL_DATA_DIR: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(loaded(result.stderr).some((m) => m.includes('/node_modules/@peculiar/x509/')));
  });
});
