/**
 * shieldwall warninglists list|create|add|remove|delete|show: warning lists on the configured
 * store directly (as the node itself, or --as a user), or on a running node (--url/--token) as
 * the token's user. A list is named by its id or, when that is unambiguous, by its name.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AppContext } from '../core/context.js';
import { principalOfUser } from '../modules/directory/directory.service.js';
import { isObservableKind, type ObservableKind } from '../stix/observable.js';
import * as service from '../modules/warninglists/warninglist.service.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../policy/principal.js';
import { withLocalStore } from './local.js';
import { CliError, EXIT } from './failures.js';
import { callNode, nodeTarget, notShieldwall, type NodeTarget } from './node-client.js';

interface TargetOptions {
  url?: string;
  token?: string;
  as?: string;
}

interface UploadOptions {
  file?: string;
  kind?: string;
  strict?: boolean;
}

/** What every sub-command needs, on the store directly or over HTTP. */
interface Backend {
  list(): Promise<service.WarningList[]>;
  create(input: service.NewWarningList): Promise<service.WarningList>;
  page(id: string, options: { limit: number; cursor?: string }): Promise<service.EntryPage>;
  remove(id: string): Promise<void>;
  upload(id: string, upload: service.EntryUpload, options: { mode: 'add' | 'replace'; kind?: ObservableKind; strict?: boolean }): Promise<service.EntryUploadResult>;
  removeEntry(id: string, value: string, kind?: ObservableKind): Promise<{ removed: number; entries: number }>;
}

function local(ctx: AppContext, actor: Principal): Backend {
  return {
    list: () => service.listWarningLists(ctx, actor),
    create: (input) => service.createWarningList(ctx, actor, input),
    page: (id, options) => service.getWarningList(ctx, actor, id, options),
    remove: (id) => service.deleteWarningList(ctx, actor, id),
    upload: (id, upload, options) => service.uploadEntries(ctx, actor, id, upload, options),
    removeEntry: (id, value, kind) => service.removeEntry(ctx, actor, id, value, kind),
  };
}

function remote(target: NodeTarget): Backend {
  const base = '/api/v1/warning-lists';
  async function call<T>(method: string, path: string, body?: { json: unknown } | { text: string }): Promise<T> {
    const response = await callNode(target, `${base}${path}`, {
      method,
      headers: body ? { 'content-type': 'json' in body ? 'application/json' : 'text/plain; charset=utf-8' } : {},
      ...(body ? { body: 'json' in body ? JSON.stringify(body.json) : body.text } : {}),
    }, /^(application\/json|$)/i);
    const text = await response.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw notShieldwall(target.url, `its answer to ${method} ${base}${path.split('?')[0]} is not JSON`);
    }
  }
  const query = (params: Record<string, string | number | boolean | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
    const s = q.toString();
    return s === '' ? '' : `?${s}`;
  };
  return {
    list: async () => (await call<{ warning_lists: service.WarningList[] }>('GET', '')).warning_lists,
    create: (input) => call('POST', '', { json: input }),
    page: (id, options) => call('GET', `/${encodeURIComponent(id)}${query({ limit: options.limit, cursor: options.cursor })}`),
    remove: (id) => call('DELETE', `/${encodeURIComponent(id)}`),
    upload: (id, upload, options) =>
      call(options.mode === 'add' ? 'POST' : 'PUT', `/${encodeURIComponent(id)}/entries${query({ kind: options.kind, strict: options.strict })}`, 'text' in upload ? { text: upload.text } : 'lines' in upload ? { text: upload.lines.map((l) => l.value).join('\n') } : { json: upload.items }),
    removeEntry: (id, value, kind) => call('DELETE', `/${encodeURIComponent(id)}/entries${query({ value, kind })}`),
  };
}

/** Runs fn against a running node (--url) or the store directly (as the node, or --as a user). */
async function withBackend<T>(options: TargetOptions, fn: (backend: Backend) => Promise<T>): Promise<T> {
  const target = nodeTarget(options, 'lists');
  if (target) return fn(remote(target));
  return withLocalStore(async (ctx) => {
    let actor = SYSTEM_PRINCIPAL;
    if (options.as !== undefined) {
      const principal = await principalOfUser(ctx, options.as);
      if (!principal) throw new Error(`--as '${options.as}': no such user, or disabled (see "shieldwall users list")`);
      actor = principal;
    }
    return fn(local(ctx, actor));
  });
}

/** The id of the list named by id or by name. */
async function resolve(backend: Backend, list: string): Promise<string> {
  const lists = await backend.list();
  if (lists.some((l) => l.id === list)) return list;
  const named = lists.filter((l) => l.name === list);
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1) throw new Error(`${named.length} warning lists are named '${list}' (${named.map((l) => `${l.id} of ${l.member ?? 'the node'}`).join(', ')}): give the id`);
  throw new Error(`no warning list '${list}' visible here: see "shieldwall warninglists list"`);
}

function kindOption(kind: string | undefined): ObservableKind | undefined {
  if (kind === undefined) return undefined;
  if (!isObservableKind(kind)) throw new CliError(EXIT.usage, `--kind '${kind}' is not a kind of value: use ipv4, ipv6, domain, url, email, md5, sha1, sha256, user-agent, ...`);
  return kind;
}

/** Values from the command line, or a file (- for standard input) with one value per line. */
function uploadOf(values: string[], file: string | undefined): service.EntryUpload | undefined {
  if (file !== undefined) {
    if (values.length > 0) throw new CliError(EXIT.usage, 'give values or --file, not both');
    try {
      return { text: readFileSync(file === '-' ? 0 : file, 'utf8') };
    } catch (error) {
      throw new CliError(EXIT.input, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error });
    }
  }
  return values.length > 0 ? { items: values } : undefined;
}

function printUpload(result: service.EntryUploadResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  for (const e of result.errors) process.stderr.write(`${e.line !== undefined ? `line ${e.line}` : `value ${(e.index ?? 0) + 1}`}: ${e.message}\n`);
  if (result.errors_truncated) process.stderr.write(`... and ${result.rejected - result.errors.length} more refused values\n`);
  // As ingest: 3 when some values were refused (the valid ones were kept).
  if (result.rejected > 0) process.exitCode = EXIT.partial;
}

const remoteOptions = (command: Command): Command =>
  command
    .option('--as <user>', 'on the store directly: act as this user (default: the node itself)')
    .option('--url <url>', 'work on a running node (or SHIELDWALL_URL)')
    .option('--token <token>', 'API token for --url (or SHIELDWALL_TOKEN)');

export function registerWarningLists(program: Command): void {
  const lists = program
    .command('warninglists')
    .description('warning lists: values (known-good resolvers, popular domains, own address ranges) that suppress detection matches');

  remoteOptions(lists.command('list').description('the warning lists visible here, as JSON lines')).action(async (options: TargetOptions) => {
    for (const list of await withBackend(options, (b) => b.list())) process.stdout.write(`${JSON.stringify(list)}\n`);
  });

  remoteOptions(
    lists
      .command('create <name> [values...]')
      .description('create a warning list, with values from the command line or --file')
      .option('--description <text>', 'what the list holds and why', '')
      .option('--scope <scope>', "member (its member's users) or alliance (everyone; node administrators only)", 'member')
      .option('--member <code>', 'the owning member (default: that of the user acting; required on the store directly without --as)')
      .option('--file <file>', 'values, one per line (- for standard input)')
      .option('--kind <kind>', 'the kind of every value (detected from each value otherwise)')
      .option('--strict', 'change nothing if any value is refused'),
  ).action(async (name: string, values: string[], options: TargetOptions & UploadOptions & { description: string; scope: string; member?: string }) => {
    const kind = kindOption(options.kind);
    const upload = uploadOf(values, options.file);
    await withBackend(options, async (b) => {
      const list = await b.create({ name, description: options.description, scope: options.scope, ...(options.member !== undefined ? { member: options.member } : {}) });
      process.stdout.write(`${JSON.stringify(list)}\n`);
      if (upload) printUpload(await b.upload(list.id, upload, { mode: 'add', ...(kind ? { kind } : {}), ...(options.strict ? { strict: true } : {}) }));
    });
  });

  remoteOptions(
    lists
      .command('add <list> [values...]')
      .description('add values to a list (by id or name): CIDR ranges, *.example.com for a domain and its subdomains, or any value')
      .option('--file <file>', 'values, one per line (- for standard input); blank lines and # comments are skipped')
      .option('--kind <kind>', 'the kind of every value (detected from each value otherwise)')
      .option('--replace', 'replace all entries of the list with these')
      .option('--strict', 'change nothing if any value is refused'),
  ).action(async (list: string, values: string[], options: TargetOptions & UploadOptions & { replace?: boolean }) => {
    const kind = kindOption(options.kind);
    const upload = uploadOf(values, options.file);
    if (!upload && !options.replace) throw new CliError(EXIT.usage, 'give values, or --file with one value per line');
    await withBackend(options, async (b) =>
      printUpload(await b.upload(await resolve(b, list), upload ?? { items: [] }, { mode: options.replace ? 'replace' : 'add', ...(kind ? { kind } : {}), ...(options.strict ? { strict: true } : {}) })),
    );
  });

  remoteOptions(
    lists.command('remove <list> <value>').description('remove one entry from a list, written as it was added').option('--kind <kind>', 'the kind of the entry (any kind otherwise)'),
  ).action(async (list: string, value: string, options: TargetOptions & { kind?: string }) => {
    const kind = kindOption(options.kind);
    const result = await withBackend(options, async (b) => b.removeEntry(await resolve(b, list), value, kind));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });

  remoteOptions(lists.command('delete <list>').description('delete a list and all its entries')).action(async (list: string, options: TargetOptions) => {
    await withBackend(options, async (b) => {
      const id = await resolve(b, list);
      await b.remove(id);
      process.stderr.write(`warning list ${id} deleted\n`);
    });
  });

  remoteOptions(
    lists
      .command('show <list>')
      .description('a list (first line) and its entries (one JSON line each)')
      .option('--limit <n>', 'entries to show (all by default)', (v) => {
        if (!/^\d+$/.test(v) || Number(v) < 1) throw new CliError(EXIT.usage, `--limit '${v}' is not a positive number`);
        return Number(v);
      }),
  ).action(async (list: string, options: TargetOptions & { limit?: number }) => {
    await withBackend(options, async (b) => {
      const id = await resolve(b, list);
      let cursor: string | undefined;
      let shown = 0;
      let first = true;
      const wanted = options.limit ?? Number.POSITIVE_INFINITY;
      do {
        const page = await b.page(id, { limit: Math.min(service.PAGE_MAX, wanted - shown), ...(cursor ? { cursor } : {}) });
        if (first) process.stdout.write(`${JSON.stringify(page.list)}\n`);
        first = false;
        let text = '';
        for (const entry of page.entries) text += `${JSON.stringify(entry)}\n`;
        process.stdout.write(text);
        shown += page.entries.length;
        cursor = page.next_cursor ?? undefined;
      } while (cursor && shown < wanted);
    });
  });
}
