/**
 * Waiting in tests: on readiness (a condition checked again and again: a log line, a port that
 * answers, a status), never on the clock alone. A limit is only an outer bound against a hang,
 * generous enough for a 2-core machine under load; when it is reached, the failure says what was
 * awaited, what was last seen, and (for processes) their last log lines.
 *
 * SHIELDWALL_TEST_LIMIT_SCALE multiplies every limit (a slower machine: 2, 4, ...).
 */

import { readFileSync } from 'node:fs';

const scale = Number(process.env.SHIELDWALL_TEST_LIMIT_SCALE ?? '1');
if (!(scale > 0)) throw new Error(`SHIELDWALL_TEST_LIMIT_SCALE: expected a number above 0, got '${process.env.SHIELDWALL_TEST_LIMIT_SCALE}'`);

/** A limit of `ms` milliseconds, as scaled for this machine. */
export function limit(ms: number): number {
  return Math.round(ms * scale);
}

/** How long a wait on readiness may take by default before it fails: three minutes. */
export const WAIT_LIMIT_MS = limit(180_000);

export interface WaitOptions {
  /** The outer bound (default WAIT_LIMIT_MS). */
  limitMs?: number;
  /** Time between two checks (default 50 ms). */
  everyMs?: number;
  /** More to say when the limit is reached (e.g. a process's last log lines). */
  context?: () => string;
}

/**
 * Checks `problem` until it returns undefined (nothing left to wait for). It returns what is
 * still missing, in words, which the failure message quotes.
 */
export async function until(what: string, problem: () => string | undefined | Promise<string | undefined>, options: WaitOptions = {}): Promise<void> {
  const limitMs = options.limitMs ?? WAIT_LIMIT_MS;
  const started = Date.now();
  for (;;) {
    const missing = await problem();
    if (missing === undefined) return;
    if (Date.now() - started > limitMs) {
      const context = options.context?.();
      throw new Error(`${what}: still waiting after ${Math.round(limitMs / 1000)} s: ${missing}${context ? `\n${context}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 50));
  }
}

/** Checks `ready` until it is true; see until(). */
export function waitFor(what: string, ready: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  return until(what, async () => ((await ready()) ? undefined : 'not yet'), options);
}

/** The last `count` lines of a process's output, for a failure message. */
export function lastLines(output: string, count = 40): string {
  const lines = output.trimEnd().split('\n');
  return `${lines.length > count ? `(last ${count} of ${lines.length} lines)\n` : ''}${lines.slice(-count).join('\n')}`;
}

/**
 * CPU time (user + system, ms) this process's main thread has used, from Linux's per-thread
 * accounting (/proc/self/task/<pid>/stat, in clock ticks of 10 ms); undefined elsewhere. Time
 * spent waiting for a core on a busy machine is not in it: how long the event loop was busy
 * while a request waited is the same on a quiet machine and a loaded one.
 */
export function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5), utime and stime; the list here starts at field 3.
    return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS);
  } catch {
    return undefined;
  }
}
/** sysconf(_SC_CLK_TCK): 100 on Linux (USER_HZ). */
const CLOCK_TICKS = 100;

/**
 * The outer bound of a test suite (describe): ten minutes, several times what the slowest suite
 * takes on a 2-core machine under load. Only a guard against a hang: every wait inside is on
 * readiness, with its own limit and diagnostics.
 */
export const SUITE_LIMIT_MS = limit(10 * 60_000);

/**
 * Counts the turns of the event loop from now until stop() (a chain of setImmediate): how often
 * other work, such as a request, could have been read while something ran.
 */
export function countTurns(): { stop(): number } {
  let turns = 0;
  let counting = true;
  const tick = (): void => {
    if (!counting) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      counting = false;
      return turns;
    },
  };
}

/**
 * The longest turn of the event loop from now until stop(): the most CPU time this process's
 * main thread used between two turns (wait.ts mainThreadCpuMs, where Linux tells it: time spent
 * waiting for a core on a busy machine is not in it), else the most time between two turns.
 */
export function longestTurn(): { stop(): number } {
  const clock = (): number => mainThreadCpuMs() ?? performance.now();
  let last = clock();
  let longest = 0;
  let on = true;
  const tick = (): void => {
    if (!on) return;
    const now = clock();
    longest = Math.max(longest, now - last);
    last = now;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      on = false;
      return longest;
    },
  };
}

/** What `work` takes, on the same clock as longestTurn. */
export function timed(work: () => void): number {
  const clock = (): number => mainThreadCpuMs() ?? performance.now();
  const started = clock();
  work();
  return clock() - started;
}
