/**
 * The benchmarks' command lines: parseArgs, plus --help (the file's leading comment: usage and
 * what it measures) and a one-line error with the usage for an unknown or malformed option,
 * rather than a stack trace.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The leading comment of a file, without its comment markers. */
function leadingComment(file: string): string {
  const text = readFileSync(file, 'utf8');
  const match = /^\/\*\*([\s\S]*?)\*\//.exec(text);
  return (match?.[1] ?? '').split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n').trim();
}

export function benchArgs<T extends NonNullable<ParseArgsConfig['options']>>(moduleUrl: string, options: T) {
  const argv = process.argv.slice(2);
  const help = leadingComment(fileURLToPath(moduleUrl));
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${help}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options, strict: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nusage: ${help.split('\n', 1)[0]}\n(add --help for what it measures)\n`);
    process.exit(2);
  }
}

/** A bad value on the command line: one line on standard error, exit status 2. */
export function usageError(message: string): never {
  process.stderr.write(`${message}\n(add --help for the options)\n`);
  process.exit(2);
}
