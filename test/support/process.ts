/** Runs a real node as a child process (bin/shieldwall.js serve) for lifecycle and crash tests. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';
import { lastLines, limit } from './wait.js';

export interface NodeProcess {
  child: ChildProcess;
  url: string;
  token: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export const BIN = path.join(REPO_ROOT, 'bin/shieldwall.js');

/**
 * The node flags on the bin's first line (`#!/usr/bin/env -S node --max-semi-space-size=64`):
 * commands run here get them as the installed `shieldwall` does.
 */
export const BIN_NODE_FLAGS: readonly string[] = readFileSync(BIN, 'utf8').split('\n', 1)[0]!.split(/\s+/).filter((word) => word.startsWith('--'));

let built = false;

/**
 * The CLI runs the compiled dist/: compiled here once per test process when a source is newer
 * than its output (npm test compiles before it starts; this covers a test file run alone).
 */
function ensureBuilt(): void {
  if (built) return;
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build.js'), '--if-stale'], { stdio: ['ignore', 'ignore', 'inherit'] });
  built = true;
}

/** How long a node may take to say where it listens, and a CLI command to finish (outer bounds). */
export const START_LIMIT_MS = limit(180_000);
export const CLI_LIMIT_MS = limit(180_000);

export function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  ensureBuilt();
  return spawn(process.execPath, [...BIN_NODE_FLAGS, BIN, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Starts `shieldwall serve` and waits until it logs the URL it listens on (readiness, not a
 * fixed delay). A node that exits first, or says nothing of the kind within START_LIMIT_MS, is
 * killed and the failure quotes its last log lines.
 */
export async function startNodeProcess(env: Record<string, string>, token = randomBytes(32).toString('hex')): Promise<NodeProcess> {
  const child = spawnCli(['serve'], { SHIELDWALL_PORT: '0', SHIELDWALL_DEMO: '0', SHIELDWALL_BOOTSTRAP_TOKEN: token, ...env });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A node that never says where it listens is not left running behind the test.
      child.kill('SIGKILL');
      reject(new Error(`node did not log where it listens within ${Math.round(START_LIMIT_MS / 1000)} s:\n${lastLines(output)}`));
    }, START_LIMIT_MS);
    const check = () => {
      const match = /"url":"(https?:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`node exited (${signal ?? `code ${code}`}) before listening:\n${lastLines(output)}`));
    });
  });
  return { child, url, token, output: () => output, exited };
}

/**
 * Runs one CLI command to its end: exit code and what it printed. A command still running after
 * CLI_LIMIT_MS is killed, and the failure quotes what it printed.
 */
export function runCli(args: string[], env: Record<string, string>, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  ensureBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...BIN_NODE_FLAGS, BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shieldwall ${args.join(' ')}: still running after ${Math.round(CLI_LIMIT_MS / 1000)} s\nstdout:\n${lastLines(stdout)}\nstderr:\n${lastLines(stderr)}`));
    }, CLI_LIMIT_MS);
    // 'close', not 'exit': only then has everything the command printed been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command that exits before reading its input closes the pipe: not a failure of the test.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(stdin ?? '');
  });
}
