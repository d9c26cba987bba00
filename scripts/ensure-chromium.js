#!/usr/bin/env node
/**
 * Before the tests: Debian's Chromium for the browser tests, installed with apt when it is
 * missing (playwright's own browser download is not used: the tests drive the system's).
 * As root, or through `sudo -n` when that needs no password. When it cannot be installed, the
 * browser tests skip with the reason, except under CI=true, where this fails the run.
 *
 *   node scripts/ensure-chromium.js
 *
 * SHIELDWALL_TEST_CHROMIUM names another browser binary (then nothing is installed).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import process from 'node:process';

const CHROMIUM = process.env.SHIELDWALL_TEST_CHROMIUM ?? '/usr/bin/chromium';

function present() {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function run(command, args) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const [cmd, argv] = root ? [command, args] : ['sudo', ['-n', command, ...args]];
  const result = spawnSync(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

if (!present() && process.env.SHIELDWALL_TEST_CHROMIUM === undefined) {
  process.stderr.write(`${CHROMIUM} is missing: installing Debian's chromium package for the browser tests (apt-get)…\n`);
  const installed = run('apt-get', ['update', '-qq']) && run('apt-get', ['install', '-y', '-qq', 'chromium']);
  if (!installed || !present()) {
    const why = `Chromium could not be installed (apt-get install chromium needs root or password-less sudo)`;
    if (process.env.CI === 'true') {
      process.stderr.write(`${why}; CI=true: the browser tests are mandatory\n`);
      process.exit(1);
    }
    process.stderr.write(`${why}; the browser tests will be skipped, saying why\n`);
  }
}
