/**
 * shieldwall incidents list|show|report|status|score|note|export: incidents on a running node
 * (--url/--token, as the token's user) or on the configured store directly (--as a user: an
 * incident is always reported in a member's name, so the node itself reports none).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AppContext } from '../core/context.js';
import { principalOfUser } from '../modules/directory/directory.service.js';
import { INCIDENT_STATUSES, type Incident, type IncidentStatus, type IncidentSummary } from '../modules/incidents/incidents.model.js';
import type { Principal } from '../policy/principal.js';
import { withLocalStore } from './local.js';
import { CliError, EXIT } from './failures.js';
import { callNode, nodeJson, nodeTarget, type NodeTarget } from './node-client.js';

interface TargetOptions {
  url?: string;
  token?: string;
  as?: string;
}

type ListFilter = { status?: string; level?: string; member?: string; sector?: string; significant?: boolean; q?: string; limit?: number; cursor?: string };

/** What every sub-command needs, on the store directly or over HTTP. */
interface Backend {
  list(filter: ListFilter): Promise<{ incidents: IncidentSummary[]; next_cursor: string | null }>;
  show(id: string): Promise<Incident>;
  report(input: Record<string, unknown>): Promise<Incident>;
  status(id: string, status: IncidentStatus, note?: string): Promise<Incident>;
  score(id: string, selections: Record<string, string>): Promise<Incident>;
  note(id: string, text: string): Promise<Incident>;
  export(id: string, format: 'stix' | 'html' | 'pdf'): Promise<Buffer>;
}

async function local(ctx: AppContext, actor: Principal): Promise<Backend> {
  const service = await import('../modules/incidents/incidents.service.js');
  const report = await import('../modules/incidents/incidents.report.js');
  const listOf = (value: string | undefined) => value?.split(',').map((v) => v.trim()).filter((v) => v !== '');
  return {
    list: (filter) =>
      service.listIncidents(ctx, actor, {
        ...(filter.status ? { status: listOf(filter.status) as IncidentStatus[] } : {}),
        ...(filter.level ? { level: listOf(filter.level)!.map(Number) } : {}),
        ...(filter.member ? { member: listOf(filter.member)! } : {}),
        ...(filter.sector ? { sector: filter.sector } : {}),
        ...(filter.significant ? { significant: true } : {}),
        ...(filter.q ? { q: filter.q } : {}),
        ...(filter.limit ? { limit: filter.limit } : {}),
        ...(filter.cursor ? { cursor: filter.cursor } : {}),
      }),
    show: (id) => service.getIncident(ctx, actor, id),
    report: (input) => service.reportIncident(ctx, actor, input as unknown as Parameters<typeof service.reportIncident>[2]),
    status: (id, status, note) => service.transition(ctx, actor, id, status, note),
    score: (id, selections) => service.scoreSeverity(ctx, actor, id, selections),
    note: (id, text) => service.addTimelineEntry(ctx, actor, id, text),
    export: async (id, format) => {
      if (format === 'stix') return Buffer.from(JSON.stringify(await service.exportBundle(ctx, actor, id), null, 2));
      const incident = await service.getIncident(ctx, actor, id);
      const model = report.reportModel(incident, await service.reportContext(ctx, actor, incident));
      await service.noteReportExport(ctx, actor, id, format);
      return format === 'html' ? Buffer.from(report.reportHtml(model)) : report.reportPdf(model);
    },
  };
}

function remote(target: NodeTarget): Backend {
  const base = '/api/v1/incidents';
  const json = (method: string, body: unknown) => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const path = (id: string) => `${base}/${encodeURIComponent(id)}`;
  return {
    list: (filter) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== false) q.set(k, String(v));
      const s = q.toString();
      return nodeJson(target, `${base}${s === '' ? '' : `?${s}`}`);
    },
    show: (id) => nodeJson(target, path(id)),
    report: (input) => nodeJson(target, base, json('POST', input)),
    status: (id, status, note) => nodeJson(target, `${path(id)}/status`, json('POST', { status, ...(note ? { note } : {}) })),
    score: (id, selections) => nodeJson(target, `${path(id)}/severity`, json('PUT', { selections })),
    note: (id, text) => nodeJson(target, `${path(id)}/timeline`, json('POST', { text })),
    export: async (id, format) => {
      const response = await callNode(target, `${path(id)}/export?format=${format}`, {}, /^(application\/(stix\+json|pdf)|text\/html)/i);
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(chunk);
      return Buffer.concat(chunks);
    },
  };
}

/** Runs fn against a running node (--url), or the store directly as the user named by --as. */
async function withBackend<T>(options: TargetOptions, fn: (backend: Backend) => Promise<T>): Promise<T> {
  const target = nodeTarget(options, 'incidents');
  if (target) return fn(remote(target));
  if (options.as === undefined) throw new CliError(EXIT.usage, 'give --url and --token of a running node, or --as USER to work on the store directly as that user (incidents are read and reported by users of members)');
  const as = options.as;
  return withLocalStore(async (ctx) => {
    const principal = await principalOfUser(ctx, as);
    if (!principal) throw new CliError(EXIT.usage, `--as '${as}': no such user, or disabled (see "shieldwall users list")`);
    return fn(await local(ctx, principal));
  });
}

const out = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

/** "category=option,category=option" to selections. */
export function parseSelections(text: string): Record<string, string> {
  const selections = new Map<string, string>();
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const at = part.indexOf('=');
    if (at <= 0) throw new CliError(EXIT.usage, `'${part}' is not category=option (e.g. functional_impact=denial-of-critical-services); see GET /api/v1/incidents/scoring for the categories and options`);
    selections.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  // Own properties whatever the category is called: the node says which it does not know.
  return Object.fromEntries(selections);
}

const remoteOptions = (command: Command): Command =>
  command
    .option('--as <user>', 'on the store directly: act as this user')
    .option('--url <url>', 'work on a running node (or SHIELDWALL_URL)')
    .option('--token <token>', 'API token for --url (or SHIELDWALL_TOKEN)');

export function registerIncidents(program: Command): void {
  const incidents = program.command('incidents').description('incidents on a node: list, show, report, move, score, note, export');

  remoteOptions(
    incidents
      .command('list')
      .description('the incidents you may read, newest change first, as JSON lines')
      .option('--status <list>', `comma-separated statuses (${INCIDENT_STATUSES.join(', ')})`)
      .option('--level <list>', 'comma-separated severity levels (0-5)')
      .option('--member <list>', 'comma-separated reporting member codes')
      .option('--sector <sector>', 'an affected sector (e.g. energy)')
      .option('--significant', 'only level 3 (High) and above')
      .option('--q <text>', 'text in the title')
      .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10)),
  ).action(async (options: TargetOptions & ListFilter) => {
    const { url: _u, token: _t, as: _a, ...filter } = options;
    const page = await withBackend(options, (b) => b.list(filter));
    for (const incident of page.incidents) out(incident);
    if (page.next_cursor) process.stderr.write(`more: --cursor ${page.next_cursor}\n`);
  });

  remoteOptions(incidents.command('show <id>').description('one incident, as JSON')).action(async (id: string, options: TargetOptions) => {
    out(await withBackend(options, (b) => b.show(id)));
  });

  remoteOptions(
    incidents
      .command('report [file]')
      .description('report an incident: --title etc., or a JSON file (- for standard input) with the fields of POST /api/v1/incidents')
      .option('--title <text>', 'the title')
      .option('--summary <text>', 'what happened')
      .option('--sectors <list>', 'comma-separated affected sectors')
      .option('--tlp <tlp>', 'clear, green, amber, amber+strict or red (default amber)')
      .option('--classification <name>', 'UNCLASSIFIED, RESTRICTED, ... (default UNCLASSIFIED)')
      .option('--releasability <list>', 'comma-separated member codes and groups (default the node\'s)')
      .option('--selections <pairs>', 'severity: category=option,...'),
  ).action(async (file: string | undefined, options: TargetOptions & { title?: string; summary?: string; sectors?: string; tlp?: string; classification?: string; releasability?: string; selections?: string }) => {
    let input: Record<string, unknown> = {};
    if (file !== undefined) {
      try {
        input = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8')) as Record<string, unknown>;
      } catch (error) {
        throw new CliError(EXIT.input, `cannot read the incident from ${file}: ${(error as Error).message}`, { cause: error });
      }
    }
    const list = (value: string | undefined) => value?.split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (options.title) input.title = options.title;
    if (options.summary) input.summary = options.summary;
    if (options.sectors) input.sectors = list(options.sectors);
    if (options.tlp) input.tlp = options.tlp;
    if (options.classification) input.classification = options.classification;
    if (options.releasability) input.releasability = list(options.releasability);
    if (options.selections) input.selections = parseSelections(options.selections);
    if (typeof input.title !== 'string') throw new CliError(EXIT.usage, 'an incident needs a title: --title "..." or "title" in the file');
    out(await withBackend(options, (b) => b.report(input)));
  });

  remoteOptions(incidents.command('status <id> <status>').description('move an incident along its state machine').option('--note <text>', 'why')).action(
    async (id: string, status: string, options: TargetOptions & { note?: string }) => {
      if (!(INCIDENT_STATUSES as readonly string[]).includes(status)) throw new CliError(EXIT.usage, `'${status}' is not a status: ${INCIDENT_STATUSES.join(', ')}`);
      out(await withBackend(options, (b) => b.status(id, status as IncidentStatus, options.note)));
    },
  );

  remoteOptions(incidents.command('score <id> <selections>').description('score an incident\'s severity: category=option,... (GET /api/v1/incidents/scoring lists them)')).action(
    async (id: string, selections: string, options: TargetOptions) => {
      out(await withBackend(options, (b) => b.score(id, parseSelections(selections))));
    },
  );

  remoteOptions(incidents.command('note <id> <text>').description('add a note to an incident\'s timeline')).action(async (id: string, text: string, options: TargetOptions) => {
    out(await withBackend(options, (b) => b.note(id, text)));
  });

  remoteOptions(
    incidents
      .command('export <id>')
      .description('export an incident: a STIX bundle, or the printable report as HTML or PDF')
      .option('--format <format>', 'stix, html or pdf', 'stix')
      .option('-o, --output <file>', 'write to this file (default: standard output)'),
  ).action(async (id: string, options: TargetOptions & { format: string; output?: string }) => {
    if (!['stix', 'html', 'pdf'].includes(options.format)) throw new CliError(EXIT.usage, `--format '${options.format}': use stix, html or pdf`);
    const bytes = await withBackend(options, (b) => b.export(id, options.format as 'stix' | 'html' | 'pdf'));
    if (options.output) {
      writeFileSync(options.output, bytes);
      process.stderr.write(`${options.output}: ${bytes.length} bytes\n`);
    } else process.stdout.write(bytes);
  });
}
