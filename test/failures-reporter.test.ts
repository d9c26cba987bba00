/**
 * The reporter npm test adds after the TAP output (test/support/failures-reporter.js): once the run
 * ends, it lists each test that failed or was cancelled, with its file and what it said, so that
 * the tail of a long run's output names them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SUITE_LIMIT_MS } from './support/wait.js';

const SAMPLE = fileURLToPath(new URL('./fixtures/reporter/sample.ts', import.meta.url));
const REPORTER = fileURLToPath(new URL('./support/failures-reporter.js', import.meta.url));

function run(): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-reporter-destination=stdout', `--test-reporter=${REPORTER}`, '--test-reporter-destination=stdout', SAMPLE],
      // A runner of its own: without this test's context, which would make it report here.
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('the failures reporter', { timeout: SUITE_LIMIT_MS }, () => {
  it('lists, after the summary, the tests that failed and those cancelled, with their file and cause', async () => {
    const { code, stdout } = await run();
    assert.equal(code, 1, 'a run with failures exits with 1');
    const at = stdout.indexOf('# 3 test(s) did not pass:');
    assert.ok(at > stdout.indexOf('# cancelled 2'), `the list follows the summary:\n${stdout}`);
    const list = stdout.slice(at);
    assert.match(list, /# failed: fails on an assertion\n# {3}in .*sample\.ts\n# {3}testCodeFailure: one and one make three/);
    assert.match(list, /# cancelled: waits for what never comes\n# {3}in .*sample\.ts\n# {3}cancelledByParent: Promise resolution is still pending/);
    assert.match(list, /# cancelled: comes after the wait\n/);
    assert.doesNotMatch(list, /passes|a sample suite/, 'passed tests and the suite itself are not listed');
  });
});
