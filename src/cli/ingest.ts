/**
 * shieldwall ingest FILE|- : into the configured store directly, or into a running node through
 * its API (--url/--token), which is how a live node's detection and live feed see new objects.
 */
import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import type { Command } from 'commander';
import { ingestStream, PARALLEL_THRESHOLD_BYTES, type IngestSummary, type ObjectOutcome } from '../modules/intel/intel.service.js';
import { SYSTEM_PRINCIPAL } from '../policy/principal.js';
import { ingestRemote } from './ingest-remote.js';
import { withLocalStore } from './local.js';
import { createProgress } from './progress.js';

export interface IngestCommandOptions {
  url?: string;
  token?: string;
  outcomes?: string;
  batch?: string;
  chunkObjects?: string;
}

function openSource(file: string): { chunks: AsyncIterable<Uint8Array>; size: number | undefined } {
  if (file === '-') return { chunks: process.stdin, size: undefined };
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error });
  }
  return { chunks: createReadStream(file, { highWaterMark: 1024 * 1024 }), size };
}

function outcomeWriter(path: string | undefined): { write(o: ObjectOutcome): void; close(): Promise<void> } {
  if (!path) return { write: () => undefined, close: async () => undefined };
  const stream: WriteStream = createWriteStream(path);
  return {
    write: (o) => stream.write(`${JSON.stringify(o)}\n`),
    close: () => new Promise((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve()))),
  };
}

/** Exit status: 0 all stored, 3 some objects rejected, 1 the command failed. */
export function exitCodeFor(summary: IngestSummary): number {
  return summary.rejected > 0 || summary.streamErrors.length > 0 ? 3 : 0;
}

export function registerIngest(program: Command): void {
  program
    .command('ingest <file>')
    .description('ingest a STIX bundle, JSON array or NDJSON file (- for standard input), streamed')
    .option('--url <url>', 'send to a running node instead of writing the store directly (or SHIELDWALL_URL)')
    .option('--token <token>', 'API token for --url (or SHIELDWALL_TOKEN)')
    .option('--outcomes <file>', 'write every object outcome (accepted/duplicate/rejected with reasons) as NDJSON')
    .option('--batch <n>', 'objects per transaction (local) ')
    .option('--chunk-objects <n>', 'objects per request with --url', '5000')
    .action(async (file: string, options: IngestCommandOptions) => {
      const url = options.url ?? process.env.SHIELDWALL_URL;
      const token = options.token ?? process.env.SHIELDWALL_TOKEN;
      const { chunks, size } = openSource(file);
      const progress = createProgress('ingest', size);
      const outcomes = outcomeWriter(options.outcomes);
      const rejected: ObjectOutcome[] = [];
      const onOutcome = (o: ObjectOutcome) => {
        outcomes.write(o);
        if (o.status === 'rejected' && rejected.length < 20) rejected.push(o);
      };
      let summary: IngestSummary;
      try {
        if (url) {
          if (!token) throw new Error('--url needs --token (or SHIELDWALL_TOKEN): create one with "shieldwall tokens create --name ingest"');
          summary = await ingestRemote(chunks, {
            url,
            token,
            chunkObjects: Number(options.chunkObjects ?? '5000'),
            onOutcome,
            onProgress: (p) => progress.update(p.objects, p.bytes),
          });
        } else {
          summary = await withLocalStore((ctx) =>
            ingestStream(ctx, SYSTEM_PRINCIPAL, chunks, {
              // Standard input may be large; a file is when its size says so.
              parallel: size === undefined || size >= PARALLEL_THRESHOLD_BYTES,
              onOutcome,
              onProgress: (p) => progress.update(p.objects, p.bytes),
              ...(options.batch ? { batchSize: Number(options.batch) } : {}),
            }),
          );
        }
      } finally {
        progress.stop();
        await outcomes.close();
      }
      process.stdout.write(`${JSON.stringify({ ...summary, firstRejected: rejected })}\n`);
      process.exitCode = exitCodeFor(summary);
    });
}
