/**
 * shieldwall lookup VALUE... and shieldwall match FILE: on the configured store directly (as the
 * node itself), or against a running node (--url/--token) as the token's user, whose
 * need-to-know then decides what is found.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Command } from 'commander';
import type { MatchSummary } from '../modules/detect/detect.match.js';
import { DEFAULT_SIGHTING_MARKING, parseSightingMarkings } from '../modules/detect/sighting-markings.js';
// The light files only: the readers are loaded when a log is read.
import { LOG_FORMATS, type LogFormat, type ReadLogOptions } from '../modules/logformats/logformats.options.js';
import { isObservableKind, type ObservableKind } from '../stix/observable/kinds.js';
import type { AppContext } from '../core/context.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../policy/principal.js';
import { CliError, EXIT } from './failures.js';
import { callNode, networkFailure, nodeJson, nodeTarget, notShieldwall, type NodeTarget } from './node-client.js';
import { createProgress } from './progress.js';

async function storeModules() {
  return {
    ...(await import('../modules/detect/detect.service.js')),
    ...(await import('../modules/detect/detect.context.js')),
    ...(await import('../modules/detect/detect.match.js')),
    ...(await import('../modules/detect/detect.sightings.js')),
  };
}

/**
 * Runs fn on the configured store directly. What that needs (the store, the detection index) is
 * loaded only then: asking a running node (--url) needs none of it.
 */
async function onStore<T>(fn: (ctx: AppContext, modules: Awaited<ReturnType<typeof storeModules>>) => Promise<T>): Promise<T> {
  const [{ withLocalStore }, modules] = await Promise.all([import('./local.js'), storeModules()]);
  return withLocalStore((ctx) => fn(ctx, modules));
}

interface RemoteOptions {
  url?: string;
  token?: string;
  as?: string;
}

/**
 * Whose need-to-know applies on the store directly: a user's (--as), or the node's own, which
 * reads only what is released to everyone.
 */
async function localReader(ctx: AppContext, options: RemoteOptions): Promise<Principal> {
  if (options.as === undefined) return SYSTEM_PRINCIPAL;
  const { principalOfUser } = await import('../modules/directory/directory.service.js');
  const principal = await principalOfUser(ctx, options.as);
  if (!principal) throw new Error(`--as '${options.as}': no such user, or disabled (see "shieldwall users list")`);
  return principal;
}

function remote(options: RemoteOptions): NodeTarget | undefined {
  return nodeTarget(options, 'detect');
}

export function registerDetect(program: Command): void {
  program
    .command('lookup <values...>')
    .description('indicators that name each value (address, domain, URL, hash, e-mail, ...), one JSON line per value')
    .option('--kind <kind>', 'the kind of every value (detected from each value otherwise)')
    .option('--as <user>', "on the store directly: find what this user may read (default: only what is released to everyone)")
    .option('--url <url>', 'ask a running node (or SHIELDWALL_URL)')
    .option('--token <token>', 'API token for --url (or SHIELDWALL_TOKEN)')
    .option('--no-context', 'leave out markings, related malware/intrusion sets/campaigns and sightings')
    .option('--no-warning-lists', 'do not say which warning-list entry covers a value')
    .action(async (values: string[], options: RemoteOptions & { kind?: string; context: boolean; warningLists: boolean }) => {
      if (options.kind !== undefined && !isObservableKind(options.kind)) throw new CliError(EXIT.usage, `--kind '${options.kind}' is not a kind of value: use ipv4, ipv6, domain, url, email, md5, sha1, sha256, ...`);
      const kind = options.kind as ObservableKind | undefined;
      const queries = values.map((value) => ({ value, ...(kind ? { kind } : {}) }));
      const target = remote(options);
      let answers: unknown[];
      if (target) {
        const answer = await nodeJson<{ answers?: unknown }>(target, '/api/v1/lookup', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ values: queries, context: options.context, warning_lists: options.warningLists }),
        });
        if (!Array.isArray(answer.answers)) throw notShieldwall(target.url, 'its answer to POST /api/v1/lookup holds no answers');
        answers = answer.answers;
      } else {
        answers = await onStore(async (ctx, { Detection, lookup }) => {
          const detection = new Detection(ctx);
          try {
            return await lookup(ctx, detection, await localReader(ctx, options), queries, { context: options.context, warningLists: options.warningLists });
          } finally {
            detection.stop();
          }
        });
      }
      for (const answer of answers) process.stdout.write(`${JSON.stringify(answer)}\n`);
      process.exitCode = answers.some((a) => (a as { indicators: unknown[] }).indicators.length > 0) ? EXIT.ok : EXIT.notFound;
    });

  program
    .command('match <file>')
    .description('match a log against the indicators (- for standard input): matches as NDJSON on standard output; matches a warning list suppressed, and a summary, on standard error')
    .option('--format <format>', `${LOG_FORMATS.join(', ')} (detected from the first lines otherwise)`)
    .option('--columns <mapping>', "field:kind pairs for CSV or NDJSON, e.g. 'dst_ip:ipv4,3:domain'")
    .option('--delimiter <char>', 'CSV delimiter', ',')
    .option('--no-header', 'CSV: the first line is a record, not column names')
    .option('--as <user>', "on the store directly: match what this user may read (default: only what is released to everyone)")
    .option('--url <url>', 'match on a running node (or SHIELDWALL_URL)')
    .option('--token <token>', 'API token for --url (or SHIELDWALL_TOKEN)')
    .option('--no-warning-lists', 'report matches on values that warning lists cover as matches too (they are reported as suppressed otherwise)')
    .option('--report-sightings', "store what matched as STIX sightings under your organisation's identity (with --as USER or --url), shared like any intel")
    .option('--sighting-markings <markings>', `markings of reported sightings: TLP levels or marking-definition ids, comma-separated (default ${DEFAULT_SIGHTING_MARKING})`)
    .action(async (file: string, options: RemoteOptions & { format?: string; columns?: string; delimiter: string; header: boolean; reportSightings?: boolean; sightingMarkings?: string; warningLists: boolean }) => {
      let markings: string[] | undefined;
      if (options.sightingMarkings !== undefined) {
        if (!options.reportSightings) throw new CliError(EXIT.usage, '--sighting-markings is only used with --report-sightings');
        const parsed = parseSightingMarkings(options.sightingMarkings);
        if ('error' in parsed) throw new CliError(EXIT.usage, parsed.error);
        markings = parsed.markings;
      }
      if (options.format !== undefined && !(LOG_FORMATS as readonly string[]).includes(options.format)) throw new CliError(EXIT.usage, `--format '${options.format}' is not one of ${LOG_FORMATS.join(', ')}`);
      const read: Omit<ReadLogOptions, 'onError' | 'onProgress'> = {
        ...(options.format ? { format: options.format as LogFormat } : {}),
        delimiter: options.delimiter,
        csvHeader: options.header,
      };
      if (options.columns) {
        const { parseColumns } = await import('../modules/detect/detect.match.js');
        const parsed = parseColumns(options.columns);
        if ('error' in parsed) throw new CliError(EXIT.usage, parsed.error);
        Object.assign(read, { columns: parsed.columns });
      }
      let size: number | undefined;
      if (file !== '-') {
        try {
          size = statSync(file).size;
        } catch (error) {
          throw new CliError(EXIT.input, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error });
        }
        if (size === 0) throw new CliError(EXIT.input, `${file} is empty: nothing to match (give a log: NDJSON, CSV, Zeek, Suricata EVE or one value per line)`);
      }
      const input = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1024 * 1024 });
      const progress = createProgress('match', size);
      const target = remote(options);
      let summary: MatchSummary | undefined;
      try {
        if (target) {
          summary = await matchRemote(target, input, read, size, progress.update.bind(progress), options.reportSightings ? { markings: options.sightingMarkings } : undefined, options.warningLists);
          if (!summary) throw new CliError(EXIT.nodeFailed, `the node at ${target.url} ended its answer before the summary: the matches printed may be incomplete (check its log, then match again)`);
        } else {
          summary = await onStore(async (ctx, { Detection, SightingCollector, matchLog }) => {
            const detection = new Detection(ctx);
            try {
              const reader = await localReader(ctx, options);
              const sightings = options.reportSightings ? new SightingCollector(ctx, reader, markings) : undefined;
              return await matchLog(ctx, detection, reader, input, read, {
                ...(sightings ? { sightings } : {}),
                warningLists: options.warningLists,
                onSuppressed: (suppressed) => {
                  let text = '';
                  for (const m of suppressed) text += `${JSON.stringify({ suppressed: m })}\n`;
                  process.stderr.write(text);
                },
                onMatches: (matches) => {
                  let text = '';
                  for (const m of matches) text += `${JSON.stringify(m)}\n`;
                  process.stdout.write(text);
                },
                // The message names the line and its byte offset already.
                onError: (error) => process.stderr.write(`${error.message}\n`),
                onProgress: (bytes, events) => progress.update(events, bytes),
              });
            } finally {
              detection.stop();
            }
          });
        }
        progress.finish(summary.events);
      } finally {
        progress.stop();
        // A match that stopped before its input ended (the node's answer was cut, say) reads no
        // more: whoever writes standard input does not keep the command waiting for the pipe.
        if (file === '-') process.stdin.destroy();
      }
      process.stderr.write(`${JSON.stringify({ summary })}\n`);
      if (summary.errors_listed !== undefined) {
        process.stderr.write(`shieldwall: ${summary.errors.toLocaleString('en')} records could not be read; the first ${summary.errors_listed.toLocaleString('en')} are listed above, the others counted only\n`);
      }
      // A listing cut short is done in part, as unreadable records are: said in one line, and in the status.
      if (summary.truncated) {
        process.stderr.write(
          `shieldwall: the listing stopped at line ${summary.truncated_at_line?.toLocaleString('en') ?? '?'} (a match lists at most ${(summary.matches + summary.suppressed).toLocaleString('en')} matches and suppressed matches): the lines after it were read but not matched; match them on their own (tail -n +${summary.truncated_at_line ?? 1} ${file === '-' ? 'LOG' : file}, with the header line for CSV)\n`,
        );
      }
      process.exitCode = summary.errors > 0 || summary.truncated ? EXIT.partial : EXIT.ok;
    });
}

/** GET a JSON answer from a running node, or fail with what went wrong. */
async function getRemote(target: NodeTarget, pathAndQuery: string): Promise<unknown> {
  return nodeJson(target, pathAndQuery);
}

export function registerAwareness(program: Command): void {
  program
    .command('correlated <indicator>')
    .description('one indicator as the alliance sees it: indicators of other originators naming the same values, and who sighted it (JSON)')
    .option('--as <user>', 'on the store directly: as this user (default: only what is released to everyone)')
    .option('--url <url>', 'ask a running node (or SHIELDWALL_URL)')
    .option('--token <token>', 'API token for --url (or SHIELDWALL_TOKEN)')
    .action(async (id: string, options: RemoteOptions) => {
      const target = remote(options);
      const answer = target
        ? await getRemote(target, `/api/v1/detect/indicators/${encodeURIComponent(id)}`)
        : await onStore(async (ctx, { Detection, awarenessOf }) => {
            const detection = new Detection(ctx);
            try {
              return await awarenessOf(ctx, detection, await localReader(ctx, options), id);
            } finally {
              detection.stop();
            }
          });
      process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    });

  program
    .command('sighted')
    .description('indicators ranked by how many organisations sighted them, among the sightings you may read (JSON)')
    .option('--min-members <n>', 'only those sighted by at least this many organisations', '1')
    .option('--limit <n>', 'how many', '50')
    .option('--since <time>', 'only sightings last seen at or after this instant (e.g. 2026-11-01T00:00:00Z)')
    .option('--as <user>', 'on the store directly: as this user (default: only what is released to everyone)')
    .option('--url <url>', 'ask a running node (or SHIELDWALL_URL)')
    .option('--token <token>', 'API token for --url (or SHIELDWALL_TOKEN)')
    .action(async (options: RemoteOptions & { minMembers: string; limit: string; since?: string }) => {
      const minMembers = Number(options.minMembers);
      const limit = Number(options.limit);
      if (!Number.isInteger(minMembers) || minMembers < 1) throw new CliError(EXIT.usage, `--min-members '${options.minMembers}' is not a whole number of at least 1`);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError(EXIT.usage, `--limit '${options.limit}' is not a whole number from 1 to 1000`);
      if (options.since !== undefined && Number.isNaN(Date.parse(options.since))) throw new CliError(EXIT.usage, `--since '${options.since}' is not a date and time (e.g. 2026-11-01T00:00:00Z)`);
      const since = options.since === undefined ? undefined : new Date(options.since).toISOString();
      const target = remote(options);
      const query = new URLSearchParams({ min_members: String(minMembers), limit: String(limit), ...(since ? { since } : {}) });
      const answer = target
        ? await getRemote(target, `/api/v1/detect/sighted?${query}`)
        : await onStore(async (ctx, { mostSighted }) => mostSighted(ctx, await localReader(ctx, options), { minMembers, limit, ...(since ? { since } : {}) }));
      process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    });
}

async function matchRemote(
  target: NodeTarget,
  input: AsyncIterable<Buffer | string>,
  read: Omit<ReadLogOptions, 'onError' | 'onProgress'>,
  size: number | undefined,
  progress: (events: number, bytes: number) => void,
  report?: { markings: string | undefined },
  warningLists = true,
): Promise<MatchSummary | undefined> {
  const query = new URLSearchParams();
  if (!warningLists) query.set('warning_lists', 'false');
  if (report) query.set('report_sightings', 'true');
  if (report?.markings !== undefined) query.set('sighting_markings', report.markings);
  if (read.format) query.set('format', read.format);
  if (read.columns) query.set('columns', Object.entries(read.columns).map(([f, k]) => `${f}:${k}`).join(','));
  if (read.delimiter) query.set('delimiter', read.delimiter);
  if (read.csvHeader === false) query.set('header', 'false');
  let sent = 0;
  async function* counted() {
    for await (const chunk of input) {
      sent += chunk.length;
      progress(0, sent);
      yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    }
  }
  const response = await callNode(
    target,
    `/api/v1/match?${query}`,
    { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...(size !== undefined ? { 'content-length': String(size) } : {}) }, body: counted() },
    /^application\/(x-)?ndjson/i,
  );
  let summary: MatchSummary | undefined;
  let rest = '';
  const decoder = new TextDecoder();
  async function* received() {
    try {
      for await (const chunk of response.body) yield chunk;
    } catch (error) {
      throw await networkFailure(error, target.url);
    }
  }
  for await (const chunk of received()) {
    rest += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, newline);
      rest = rest.slice(newline + 1);
      if (line === '') continue;
      const parsed = JSON.parse(line) as { match?: unknown; suppressed?: unknown; error?: { line: number; offset: number; message: string }; summary?: MatchSummary };
      if (parsed.match) process.stdout.write(`${JSON.stringify(parsed.match)}\n`);
      else if (parsed.suppressed) process.stderr.write(`${line}\n`);
      else if (parsed.error) process.stderr.write(`${parsed.error.message}\n`);
      else if (parsed.summary) summary = parsed.summary;
    }
  }
  return summary;
}
