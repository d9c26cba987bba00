/**
 * npm run bench:cli [-- --runs N]
 *
 * How long the shieldwall command takes, from process start to exit, as a user runs it: the
 * `shieldwall` bin (bin/shieldwall.js through its #! line, the compiled dist/). Measured:
 *  - `shieldwall --help`;
 *  - `shieldwall lookup VALUE --url URL --token T`: a running node (started here, with the demo
 *    alliance) asked, as the demo coordinator, for a value an indicator names;
 *  - the baseline, in the same run: `node -e 0`, the least any Node.js process takes here.
 * Each is run N times (default 10) after one run to warm the file cache, interleaved (baseline,
 * help, lookup, baseline, ...) so that the machine's load falls on all three alike.
 * Goal: median <= 300 ms for --help and for lookup.
 * Last line: {"runs":N,"node_median_ms":…,"help_median_ms":…,"help_p90_ms":…,"help_ratio":…,
 * "lookup_median_ms":…,"lookup_p90_ms":…,"lookup_ratio":…} (ratio: median / baseline median).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, startNodeProcess, type NodeProcess } from '../test/support/process.js';
import { benchArgs, usageError } from './args.js';
import { ascending, percentile } from './stats.js';

const { values: args } = benchArgs(import.meta.url, { runs: { type: 'string', default: '10' } });
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) usageError(`--runs must be a whole number of at least 1, got '${args.runs}'`);

const GOAL_MS = 300;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Runs a command to its end; its time from spawn to exit, in ms. */
function timed(command: string, argv: string[], env: NodeJS.ProcessEnv, expect: (code: number | null) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (expect(code)) resolve(ms);
      else reject(new Error(`${path.basename(command)} ${argv.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

const round = (ms: number) => Math.round(ms * 10) / 10;

const dataDir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-bench-'));
let node: NodeProcess | undefined;
try {
  node = await startNodeProcess({ SHIELDWALL_DATA_DIR: dataDir, SHIELDWALL_DEMO: '1', SHIELDWALL_FEDERATION: '0' });
  const token = readFileSync(path.join(dataDir, 'demo-token.txt'), 'utf8').trim();
  // A value the demo's indicators name, as the README's tour finds one.
  const page = await fetch(`${node.url}/api/v1/objects?type=indicator&limit=50`, { headers: { authorization: `Bearer ${token}` } });
  const value = /ipv4-addr:value = '([^']+)'/.exec(await page.text())?.[1];
  if (!value) throw new Error('no IPv4 indicator among the demo objects: the lookup would measure nothing found');

  // The environment of a user's shell, without the settings of this process's own node.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const cases = {
    node: () => timed(process.execPath, ['-e', '0'], env, (code) => code === 0),
    help: () => timed(BIN, ['--help'], env, (code) => code === 0),
    lookup: () => timed(BIN, ['lookup', value, '--url', node!.url, '--token', token], env, (code) => code === 0),
  };
  const times: Record<keyof typeof cases, number[]> = { node: [], help: [], lookup: [] };
  for (const run of Object.values(cases)) await run();
  for (let i = 0; i < runs; i++) {
    for (const [name, run] of Object.entries(cases) as Array<[keyof typeof cases, () => Promise<number>]>) times[name].push(await run());
  }

  const sorted = { node: ascending(times.node), help: ascending(times.help), lookup: ascending(times.lookup) };
  const nodeMedian = percentile(sorted.node, 50);
  const result: Record<string, number> = { runs, node_median_ms: round(nodeMedian) };
  for (const name of ['help', 'lookup'] as const) {
    const median = percentile(sorted[name], 50);
    result[`${name}_median_ms`] = round(median);
    result[`${name}_p90_ms`] = round(percentile(sorted[name], 90));
    result[`${name}_ratio`] = Math.round((median / nodeMedian) * 100) / 100;
    log(`${name.padEnd(6)} median ${round(median)} ms, p90 ${round(percentile(sorted[name], 90))} ms, ${result[`${name}_ratio`]}x node -e 0 (goal: median <= ${GOAL_MS} ms: ${median <= GOAL_MS ? 'met' : 'NOT met'})`);
  }
  log(`node -e 0 median ${round(nodeMedian)} ms, p90 ${round(percentile(sorted.node, 90))} ms`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  if (node) {
    node.child.kill('SIGTERM');
    await node.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
}
