/** Runs a real node as a child process (bin/shieldwall.js serve) for lifecycle and crash tests. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface NodeProcess {
  child: ChildProcess;
  url: string;
  token: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export const BIN = path.join(REPO_ROOT, 'bin/shieldwall.js');

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

export function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  ensureBuilt();
  return spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

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
      reject(new Error(`node did not start within 30 s:\n${output}`));
    }, 30000);
    const check = () => {
      const match = /"url":"(https?:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`node exited before listening:\n${output}`));
    });
  });
  return { child, url, token, output: () => output, exited };
}

/** Runs one CLI command to its end: exit code and what it printed. */
export function runCli(args: string[], env: Record<string, string>, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  ensureBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin!.end(stdin ?? '');
  });
}
