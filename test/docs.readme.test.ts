/**
 * The README's quick tour, run as written. Its shell blocks (the fenced `sh` blocks under
 * "## Quick tour") run in a fresh copy of the repository (the files git tracks or would track,
 * as a clone has them, with this checkout's node_modules and a dist/ built in the copy), against
 * a node started by `npm start` there, with the demo data of its first start. Only the port
 * differs: every `:8080` becomes a free port.
 *
 * In a block, a line `npm start` (after `npm install &&`, or with SHIELDWALL_* settings before
 * it) stops the node of the tour, if any, and starts one as written; every other command runs
 * in one bash per block, in order (variables carry from one to the next), and must exit 0. A
 * line `# → TEXT` holds the command before it to its output: the parts of TEXT between `…`
 * appear in what it printed, in that order.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from './support/ports.js';
import { REPO_ROOT } from './support/paths.js';
import { START_LIMIT_MS } from './support/process.js';
import { lastLines, limit, SUITE_LIMIT_MS, until } from './support/wait.js';

interface Step {
  /** The command as the README writes it (continuation lines joined). */
  command: string;
  /** README line number, for messages. */
  line: number;
  /** Parts of `# → …` to find in the output, in order. */
  expected: string[];
  /** A node start (`npm start`), with the settings written before it. */
  start?: Record<string, string>;
}

/** The quick tour's shell blocks, each as its steps. */
function quickTour(readme: string): Step[][] {
  const lines = readme.split('\n');
  const from = lines.findIndex((l) => l.trim() === '## Quick tour');
  assert.ok(from >= 0, 'README.md has a "## Quick tour" section');
  const to = lines.findIndex((l, i) => i > from && l.startsWith('## '));
  const blocks: Step[][] = [];
  let block: Step[] | undefined;
  for (let i = from + 1; i < (to < 0 ? lines.length : to); i++) {
    const text = lines[i]!;
    if (block === undefined) {
      if (text.trim() === '```sh') block = [];
      continue;
    }
    if (text.trim() === '```') {
      blocks.push(block);
      block = undefined;
      continue;
    }
    const arrow = /^#\s*→\s?(.*)$/.exec(text);
    if (arrow) {
      const last = block[block.length - 1];
      assert.ok(last, `README.md line ${i + 1}: '# →' follows no command`);
      last.expected.push(...arrow[1]!.split('…').filter((part) => part !== ''));
      continue;
    }
    if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
    const line = i + 1;
    let command = text;
    // A command goes on over lines that end in a backslash or a pipe.
    while (/(\\|\|)\s*$/.test(command.replace(/\s+#.*$/, '')) && i + 1 < lines.length) command += `\n${lines[++i]}`;
    const start = /^(?:npm install && )?((?:SHIELDWALL_[A-Z_]+=\S+\s+)*)npm start\b/.exec(command.trim());
    if (start) {
      const settings = Object.fromEntries([...start[1]!.matchAll(/(SHIELDWALL_[A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
      block.push({ command, line, expected: [], start: settings });
    } else block.push({ command, line, expected: [] });
  }
  assert.equal(block, undefined, 'the quick tour closes every block it opens');
  return blocks;
}

/** A fresh copy of the repository: what git tracks or would track, as in a clone. */
function copyOfRepository(into: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const target = path.join(into, file);
    mkdirSync(path.dirname(target), { recursive: true });
    try {
      copyFileSync(path.join(REPO_ROOT, file), target);
    } catch (error) {
      // Listed but deleted in this checkout: a clone of it would not have it either.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(into, 'node_modules'));
}

describe('README quick tour, run as written', { timeout: SUITE_LIMIT_MS }, () => {
  const blocks = quickTour(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));
  let root: string;
  let clone: string;
  let port: number;
  let env: Record<string, string>;
  let node: { child: ChildProcess; output: () => string; exited: Promise<unknown> } | undefined;

  async function stopNode(): Promise<void> {
    if (!node || node.child.exitCode !== null) return;
    // npm start runs the node under npm: the whole process group goes.
    process.kill(-node.child.pid!, 'SIGTERM');
    await node.exited;
  }

  async function startNode(step: Step): Promise<void> {
    await stopNode();
    const child = spawn('npm', ['start'], { cwd: clone, env: { ...env, ...step.start, SHIELDWALL_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    node = { child, output: () => output, exited };
    await until(`README.md line ${step.line}: the node of '${step.command.trim()}' to listen`, () => (/"url":"https?:/.test(output) ? undefined : child.exitCode !== null ? `it exited with ${child.exitCode}` : 'not yet'), {
      limitMs: START_LIMIT_MS,
      context: () => lastLines(output),
    });
  }

  /** Runs the commands in one bash; each one's exit status and output. */
  async function runCommands(steps: Step[], dir: string): Promise<Array<{ code: number; stdout: string; stderr: string }>> {
    mkdirSync(dir, { recursive: true });
    const script = steps.map((step, n) => `{ ${step.command.replaceAll(':8080', `:${port}`)}\n} > '${dir}/${n}.out' 2> '${dir}/${n}.err'; echo $? > '${dir}/${n}.rc'`).join('\n');
    const bash = spawn('bash', ['-c', script], { cwd: clone, env, stdio: 'ignore' });
    const limitMs = limit(600_000);
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        bash.kill('SIGKILL');
        reject(new Error(`the quick tour's commands did not finish within ${limitMs / 1000} s`));
      }, limitMs);
      bash.on('close', (exit) => {
        clearTimeout(timer);
        resolve(exit);
      });
    });
    assert.equal(code, 0, 'bash ran to the end');
    const read = (file: string) => {
      try {
        return readFileSync(path.join(dir, file), 'utf8');
      } catch {
        return '';
      }
    };
    return steps.map((_, n) => ({ code: Number(read(`${n}.rc`).trim() || 'NaN'), stdout: read(`${n}.out`), stderr: read(`${n}.err`) }));
  }

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'shieldwall-readme-'));
    clone = path.join(root, 'shieldwall');
    copyOfRepository(clone);
    const built = spawnSync(process.execPath, ['scripts/build.js'], { cwd: clone, encoding: 'utf8' });
    assert.equal(built.status, 0, `npm run build in the copy: ${built.stderr}`);
    port = await freePort();
    // npm's own cache in the temporary directory: npx links this copy's bin there.
    env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', npm_config_cache: path.join(root, 'npm-cache'), npm_config_update_notifier: 'false' };
  });
  after(async () => {
    await stopNode();
    rmSync(root, { recursive: true, force: true });
  });

  it('has blocks to run, with what they print', () => {
    assert.ok(blocks.length >= 2, `${blocks.length} blocks`);
    assert.ok(blocks.flat().some((s) => s.start), 'a node is started');
    assert.ok(blocks.flat().filter((s) => s.expected.length > 0).length >= 5, 'the outputs are written down');
  });

  it('every command exits 0 and prints what the README says', async () => {
    for (const [b, block] of blocks.entries()) {
      // Between node starts, the commands run in one bash each.
      let pending: Step[] = [];
      const flush = async () => {
        if (pending.length === 0) return;
        const results = await runCommands(pending, path.join(root, `out-${b}-${pending[0]!.line}`));
        for (const [n, step] of pending.entries()) {
          const { code, stdout, stderr } = results[n]!;
          const where = `README.md line ${step.line}: ${step.command.trim()}`;
          assert.equal(code, 0, `${where}\nexited ${code}\nstderr:\n${lastLines(stderr, 20)}\nstdout:\n${lastLines(stdout, 5)}${node ? `\nnode:\n${lastLines(node.output(), 20)}` : ''}`);
          let from = 0;
          for (const part of step.expected) {
            const at = stdout.indexOf(part, from);
            assert.ok(at >= 0, `${where}\nprinted no '${part}' (after offset ${from}) of what the README says:\n${stdout.slice(0, 2000)}`);
            from = at + part.length;
          }
        }
        pending = [];
      };
      for (const step of block) {
        if (step.start) {
          await flush();
          await startNode(step);
        } else pending.push(step);
      }
      await flush();
    }
  });
});
