/** Progress display for long CLI work: a bar on a terminal, nothing otherwise. */
import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';

export interface Progress {
  update(objects: number, bytes: number): void;
  /** The work is done: the bar is drawn full (100%, the final count) and stopped. */
  finish(objects?: number): void;
  /** Stops the bar where it is (after a failure); does nothing after finish(). */
  stop(): void;
}

function formatRate(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(0);
}

/**
 * `totalBytes` gives a percentage and an ETA; without it (a pipe) the bar shows objects, rate and
 * bytes only. With `totalObjects` the bar counts objects instead of bytes (the work's size is
 * known in objects, e.g. generating N of them).
 */
export function createProgress(label: string, totalBytes: number | undefined, options: { totalObjects?: number } = {}): Progress {
  if (!process.stderr.isTTY) return { update: () => undefined, finish: () => undefined, stop: () => undefined };
  // Loaded for a terminal only: about 20 ms of CPU at start that a piped run (or a command that
  // shows no progress) does without.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const started = Date.now();
  const total = options.totalObjects ?? totalBytes;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: total
        ? `${label} [{bar}] {percentage}% | {objects} objects | {rate}/s | ETA {eta_formatted}`
        : `${label} {objects} objects | {rate}/s | {mb} MB`,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 1, 0, { objects: 0, rate: '0', mb: '0.0' });
  let last = { objects: 0, bytes: 0 };
  let stopped = false;
  const draw = (value: number, objects: number, bytes: number) => {
    const seconds = (Date.now() - started) / 1000;
    bar.update(value, { objects, rate: formatRate(seconds > 0 ? objects / seconds : 0), mb: (bytes / 1024 / 1024).toFixed(1) });
  };
  return {
    update(objects, bytes) {
      if (stopped) return;
      last = { objects, bytes };
      draw(total ? Math.min(options.totalObjects !== undefined ? objects : bytes, total) : 0, objects, bytes);
    },
    finish(objects = last.objects) {
      if (stopped) return;
      // The last report of the work may come before its end (a batch, a read chunk): the bar is
      // drawn complete so that it never stops short of 100% on success.
      draw(total ?? 0, objects, totalBytes ?? last.bytes);
      stopped = true;
      bar.stop();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
