/**
 * shieldwall ingest FILE|- : into the configured store directly, or into a running node through
 * its API (--url/--token), which is how a live node's detection and live feed see new objects.
 */
import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import type { Command } from 'commander';
import type { IngestSummary, ObjectOutcome } from '../modules/intel/intel.service.js';
import { CliError, EXIT } from './failures.js';
import { nodeTarget } from './node-client.js';
import { createProgress } from './progress.js';

export interface IngestCommandOptions {
  url?: string;
  token?: string;
  outcomes?: string;
  batch?: string;
  chunkObjects: string;
  resume?: boolean;
}

const SAMPLE_HINT = 'a sample feed: "shieldwall generate --objects 10000 --format ndjson > feed.ndjson"';

function openSource(file: string): { chunks: AsyncIterable<Uint8Array>; size: number | undefined } {
  if (file === '-') return { chunks: process.stdin, size: undefined };
  let size: number;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw new CliError(EXIT.input, `cannot read ${file}: it is a directory; name a STIX bundle, JSON array or NDJSON file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(EXIT.input, `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`, { cause: error });
  }
  if (size === 0) throw new CliError(EXIT.input, `${file} is empty: nothing to ingest (give a STIX bundle, JSON array or NDJSON file; for ${SAMPLE_HINT})`);
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
  return summary.rejected > 0 || summary.streamErrors.length > 0 ? EXIT.partial : EXIT.ok;
}

/** An input with no object in it is a mistake (an empty pipe, a file that is not STIX), not a success. */
function checkNotEmpty(file: string, summary: IngestSummary): void {
  if (summary.objects > 0) return;
  const name = file === '-' ? 'standard input' : file;
  if (summary.bytes === 0) throw new CliError(EXIT.input, `${name} is empty: nothing to ingest (for ${SAMPLE_HINT})`);
  const why = summary.streamErrors[0];
  throw new CliError(EXIT.input, `${name} holds no STIX object${why ? `: ${why}` : ' (only white space)'}; give a STIX bundle, JSON array or NDJSON file`);
}

function parseCount(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(EXIT.usage, `${option} '${value}' is not a whole number of at least 1`);
  return n;
}

export function registerIngest(program: Command): void {
  program
    .command('ingest <file>')
    .description('ingest a STIX bundle, JSON array or NDJSON file (- for standard input), streamed')
    .option('--url <url>', 'send to a running node instead of writing the store directly (or SHIELDWALL_URL)')
    .option('--token <token>', 'API token for --url (or SHIELDWALL_TOKEN)')
    .option('--resume', 'with --url: skip the objects the node holds already (after an ingest was cut off)')
    .option('--outcomes <file>', 'write every object outcome (accepted/duplicate/rejected with reasons) as NDJSON')
    .option('--batch <n>', 'objects per transaction (local) ')
    .option('--chunk-objects <n>', 'most objects per request with --url (a request also stays under half the node\'s body limit, 32 MiB at most)', '100000')
    .action(async (file: string, options: IngestCommandOptions) => {
      const target = nodeTarget(options, 'ingest');
      if (options.resume && !target) throw new CliError(EXIT.usage, '--resume applies to --url: on the store directly, ingesting again is cheap, since what the store holds counts as a duplicate');
      const chunkObjects = parseCount(options.chunkObjects, '--chunk-objects');
      const batchSize = options.batch === undefined ? undefined : parseCount(options.batch, '--batch');
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
        if (target) {
          const [{ ingestRemote, IngestCutOff }, { IngestJournal }] = await Promise.all([import('./ingest-remote.js'), import('./ingest-journal.js')]);
          const journal = IngestJournal.of(target.url, file);
          try {
            summary = await ingestRemote(chunks, {
              ...target,
              chunkObjects,
              // Every outcome is asked of the node only when they are all written out.
              outcomes: options.outcomes ? 'all' : 'rejected',
              ...(options.resume ? { resume: true } : {}),
              ...(journal ? { journal } : {}),
              onNote: (line) => process.stderr.write(`note: ${line}\n`),
              onOutcome,
              onProgress: (p) => progress.update(p.objects, p.bytes),
            });
          } catch (error) {
            // What the node confirmed before the cut-off is printed as on success, for scripts.
            if (error instanceof IngestCutOff) process.stdout.write(`${JSON.stringify({ ...error.summary, interrupted: true, firstRejected: rejected })}\n`);
            throw error;
          }
        } else {
          const [{ ingestStream, PARALLEL_THRESHOLD_BYTES }, { SYSTEM_PRINCIPAL }, { withLocalStore }] = await Promise.all([
            import('../modules/intel/intel.service.js'),
            import('../policy/principal.js'),
            import('./local.js'),
          ]);
          summary = await withLocalStore((ctx) =>
            ingestStream(ctx, SYSTEM_PRINCIPAL, chunks, {
              // Standard input may be large; a file is when its size says so.
              parallel: size === undefined || size >= PARALLEL_THRESHOLD_BYTES,
              onOutcome,
              onProgress: (p) => progress.update(p.objects, p.bytes),
              ...(batchSize !== undefined ? { batchSize } : {}),
            }),
          );
        }
        progress.finish(summary.objects);
      } finally {
        progress.stop();
        await outcomes.close();
        // An ingest that stopped before its input ended (the text broke off, say) reads no more:
        // whoever writes standard input does not keep the command waiting for the pipe to close.
        if (file === '-') process.stdin.destroy();
      }
      checkNotEmpty(file, summary);
      process.stdout.write(`${JSON.stringify({ ...summary, firstRejected: rejected })}\n`);
      process.exitCode = exitCodeFor(summary);
    });
}
