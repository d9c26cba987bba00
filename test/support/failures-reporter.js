/**
 * A test reporter that prints, after the whole run, one block per test that failed or was
 * cancelled: its file, its name and what it said. The TAP output before it names them too, but
 * thousands of lines earlier; where only the end of a run's output is kept (a CI log's tail), this
 * block still says what went wrong and where.
 *
 * Used by `npm test` beside the TAP reporter (package.json; docs/TESTING.md). Plain JavaScript:
 * the test runner loads its reporters before any loader of TypeScript.
 */

/**
 * @typedef {{ message?: string, failureType?: string, cause?: unknown }} TestError
 * @typedef {{ type: string, data: { name?: string, file?: string, details?: { type?: string, error?: TestError } } }} TestEvent
 */

/** How much of a failure's message is repeated (the TAP output above holds all of it). */
const MESSAGE_CHARS = 2_000;

/** @param {TestError | undefined} error */
function describe(error) {
  if (!error) return '(no error reported)';
  const cause = /** @type {{ message?: unknown } | string | undefined} */ (error.cause);
  const text =
    typeof cause === 'string' ? cause : typeof cause?.message === 'string' ? cause.message : (error.message ?? String(error));
  return text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS)}...` : text;
}

/** @param {AsyncIterable<TestEvent>} source */
export default async function* failures(source) {
  /** @type {string[]} */
  const failed = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const error = event.data.details?.error;
    // A suite (or a file) fails because a test in it did: that test is listed itself.
    if (error?.failureType === 'subtestsFailed' || event.data.details?.type === 'suite') continue;
    const kind = error?.failureType === 'cancelledByParent' || error?.failureType === 'testTimeoutFailure' || error?.failureType === 'aborted' ? 'cancelled' : 'failed';
    failed.push(
      `# ${kind}: ${event.data.name ?? '(unnamed)'}\n#   in ${event.data.file ?? '(file not reported)'}\n` +
        `#   ${error?.failureType ?? 'failure'}: ${describe(error).trimEnd().split('\n').map((line) => line.trimEnd()).filter((line) => line !== '').join('\n#     ')}\n`,
    );
  }
  if (failed.length === 0) return;
  yield `# ${failed.length} test(s) did not pass:\n`;
  for (const block of failed) yield block;
}
