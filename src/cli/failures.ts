/**
 * How the shieldwall command fails: one line on standard error naming the cause and the fix, and
 * an exit status per kind of cause, so that scripts can tell a node that is down from a token
 * that is refused or a file that is empty. Loaded by every command: nothing heavy here.
 */

/** Exit statuses. Listed in --help and docs/CLI.md; a status never changes meaning. */
export const EXIT = Object.freeze({
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  notFound: 4,
  input: 5,
  unreachable: 6,
  tls: 7,
  notShieldwall: 8,
  tokenRefused: 9,
  forbidden: 10,
  nodeFailed: 11,
  interrupted: 12,
});

export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** What each status means, in the order of the statuses: the --help text and the docs' table. */
export const EXIT_MEANINGS: ReadonlyArray<readonly [ExitStatus, string]> = [
  [EXIT.ok, 'done'],
  [EXIT.failed, 'failed for another reason: the store, the configuration, a change refused as invalid'],
  [EXIT.usage, 'usage: unknown command or option, a bad option value, a URL without http:// or https://'],
  [EXIT.partial, 'done in part: some objects rejected (ingest), some records unreadable or the listing cut short (match), a peer failed (peers sync)'],
  [EXIT.notFound, 'nothing found (lookup, correlated), or the audit log is broken (audit verify)'],
  [EXIT.input, 'the input file is missing, unreadable, empty or holds no STIX content'],
  [EXIT.unreachable, 'the node cannot be reached: connection refused, unknown host, no answer'],
  [EXIT.tls, "TLS: the node's certificate is not trusted or not for that host name, or http/https is the wrong scheme"],
  [EXIT.notShieldwall, 'the server at --url is not a Shieldwall node (another program answered)'],
  [EXIT.tokenRefused, 'the node refused the token: unknown, expired or revoked'],
  [EXIT.forbidden, "the token's user may not do this (role or permission)"],
  [EXIT.nodeFailed, 'the node failed: its store unreachable, disk full, overloaded or an internal error'],
  [EXIT.interrupted, 'a remote ingest was cut off part way: what was committed is printed; run again with --resume'],
];

/** A failure the user can act on: its message is the whole line printed, its status the exit status. */
export class CliError extends Error {
  constructor(
    readonly status: ExitStatus,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** The exit statuses as --help lists them. */
export function exitStatusHelp(): string {
  return `\nExit status:\n${EXIT_MEANINGS.map(([status, meaning]) => `  ${String(status).padStart(2)}  ${meaning}`).join('\n')}\n`;
}

const PREFIX = /^\s*(?:shieldwall|error|Error)\s*:\s*/;

/** The message without prefixes that would repeat the one the line is printed with. */
export function bareMessage(message: string): string {
  let text = message;
  while (PREFIX.test(text)) text = text.replace(PREFIX, '');
  // One line: a multi-line message (a stack, a server's page) is cut at its first line break.
  const firstLine = text.split('\n', 1)[0]!.trim();
  return firstLine === '' ? 'failed without a message' : firstLine;
}

/** The line printed for a failure and the status the process exits with. */
export function describeFailure(error: unknown): { line: string; status: ExitStatus } {
  if (error instanceof CliError) return { line: `shieldwall: ${bareMessage(error.message)}`, status: error.status };
  const message = error instanceof Error ? error.message : String(error);
  return { line: `shieldwall: ${bareMessage(message)}`, status: EXIT.failed };
}

/**
 * Standard output closed early (`shieldwall members list | head -1`, `generate | head`) is the
 * reader's choice, not a failure: the process ends quietly, as a command killed by SIGPIPE would,
 * instead of printing an EPIPE stack.
 */
export function endQuietlyOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
}

/** Whether an error is standard output closed by its reader. */
export function isClosedOutput(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}
