import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { bareMessage, CliError, describeFailure, EXIT, EXIT_MEANINGS } from './failures.js';

describe('command line failures', () => {
  it('docs/CLI.md lists every exit status with the meaning --help gives', () => {
    const doc = readFileSync(new URL('../../docs/CLI.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((m) => [Number(m[1]), m[2]]);
    assert.deepEqual(rows, EXIT_MEANINGS.map(([status, meaning]) => [status, meaning]));
    assert.deepEqual(
      EXIT_MEANINGS.map(([status]) => status),
      Object.values(EXIT).sort((a, b) => a - b),
      'each status has one meaning',
    );
  });

  it('prints one line with one prefix', () => {
    assert.equal(bareMessage('error: error: shieldwall: the node answered 500'), 'the node answered 500');
    assert.equal(bareMessage('Error: first line\n    at somewhere (file.js:1:1)'), 'first line');
    assert.equal(bareMessage(''), 'failed without a message');
    assert.deepEqual(describeFailure(new CliError(EXIT.input, 'shieldwall: feed.json is empty')), { line: 'shieldwall: feed.json is empty', status: EXIT.input });
    assert.deepEqual(describeFailure(new Error('error: store locked')), { line: 'shieldwall: store locked', status: EXIT.failed });
  });
});
