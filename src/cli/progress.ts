/** Progress display for long CLI work: a bar on a terminal, nothing otherwise. */
import cliProgress from 'cli-progress';

export interface Progress {
  update(objects: number, bytes: number): void;
  stop(): void;
}

function formatRate(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(0);
}

/** `totalBytes` gives the ETA; without it (a pipe) the bar shows objects and rate only. */
export function createProgress(label: string, totalBytes: number | undefined): Progress {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: totalBytes
        ? `${label} [{bar}] {percentage}% | {objects} objects | {rate}/s | ETA {eta_formatted}`
        : `${label} {objects} objects | {rate}/s | {mb} MB`,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes ?? 1, 0, { objects: 0, rate: '0', mb: '0.0' });
  return {
    update(objects, bytes) {
      const seconds = (Date.now() - started) / 1000;
      bar.update(totalBytes ? Math.min(bytes, totalBytes) : 0, {
        objects,
        rate: formatRate(seconds > 0 ? objects / seconds : 0),
        mb: (bytes / 1024 / 1024).toFixed(1),
      });
    },
    stop() {
      bar.stop();
    },
  };
}
