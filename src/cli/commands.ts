/**
 * The registry of shieldwall's commands. Each is defined in its own file, imported only when that
 * command runs: a store, an HTTP server, a detection index or a PKI take hundreds of milliseconds
 * to load, and `--help` or a lookup on a running node needs none of them. The top-level help is
 * drawn from this table (a test holds it to what each file registers).
 */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export interface CommandEntry {
  readonly name: string;
  /** The command as the top-level help lists it: name, [options], arguments. */
  readonly term: string;
  readonly description: string;
  /** The function of the command's file that defines it (and any sibling commands of that file). */
  load(): Promise<Register>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'serve',
    term: 'serve [options]',
    description: 'run the node: HTTP API, dashboard, /healthz, /readyz, /metrics (settings from SHIELDWALL_* variables)',
    load: async () => (await import('./serve.js')).registerServe,
  },
  {
    name: 'ingest',
    term: 'ingest [options] <file>',
    description: 'ingest a STIX bundle, JSON array or NDJSON file (- for standard input), streamed',
    load: async () => (await import('./ingest.js')).registerIngest,
  },
  {
    name: 'generate',
    term: 'generate [options]',
    description: "write synthetic STIX 2.1 intel (the benchmarks' mix: indicators, observables, relationships, sightings) to standard output",
    load: async () => (await import('./generate.js')).registerGenerate,
  },
  {
    name: 'lookup',
    term: 'lookup [options] <values...>',
    description: 'indicators that name each value (address, domain, URL, hash, e-mail, ...), one JSON line per value',
    load: async () => (await import('./detect.js')).registerDetect,
  },
  {
    name: 'match',
    term: 'match [options] <file>',
    description: 'match a log against the indicators (- for standard input): matches as NDJSON on standard output; matches a warning list suppressed, and a summary, on standard error',
    load: async () => (await import('./detect.js')).registerDetect,
  },
  {
    name: 'warninglists',
    term: 'warninglists',
    description: 'warning lists: values (known-good resolvers, popular domains, own address ranges) that suppress detection matches',
    load: async () => (await import('./warninglists.js')).registerWarningLists,
  },
  {
    name: 'correlated',
    term: 'correlated [options] <indicator>',
    description: 'one indicator as the alliance sees it: indicators of other originators naming the same values, and who sighted it (JSON)',
    load: async () => (await import('./detect.js')).registerAwareness,
  },
  {
    name: 'sighted',
    term: 'sighted [options]',
    description: 'indicators ranked by how many organisations sighted them, among the sightings you may read (JSON)',
    load: async () => (await import('./detect.js')).registerAwareness,
  },
  {
    name: 'demo',
    term: 'demo [options]',
    description: 'seed the synthetic demo alliance (members and intel) into the configured store; safe to repeat',
    load: async () => (await import('./demo.js')).registerDemo,
  },
  {
    name: 'members',
    term: 'members',
    description: 'members of the node: list, add, update, group',
    load: async () => (await import('./directory.js')).registerDirectory,
  },
  {
    name: 'users',
    term: 'users',
    description: 'users of the node: list, create',
    load: async () => (await import('./directory.js')).registerDirectory,
  },
  {
    name: 'peers',
    term: 'peers',
    description: 'peer nodes: list, add, edit, disable, enable, remove, sync, status (federation over TAXII 2.1)',
    load: async () => (await import('./peers.js')).registerPeers,
  },
  {
    name: 'audit',
    term: 'audit',
    description: 'the hash-chained, MAC-ed audit log: verify, export, checkpoints',
    load: async () => (await import('./audit.js')).registerAudit,
  },
  {
    name: 'pki',
    term: 'pki',
    description: 'a development PKI for trying mutual TLS: a CA, node and user certificates (not for production)',
    load: async () => (await import('./pki.js')).registerPki,
  },
  {
    name: 'collections',
    term: 'collections',
    description: 'TAXII collections: views of the intelligence by audience',
    load: async () => (await import('./collections.js')).registerCollections,
  },
  {
    name: 'tokens',
    term: 'tokens',
    description: 'API tokens: create, list, revoke',
    load: async () => (await import('./tokens.js')).registerTokens,
  },
  {
    name: 'credentials',
    term: 'credentials',
    description: "node administrators' tokens and passwords for users beyond their reach, waiting for a second person: list, approve, decline",
    load: async () => (await import('./credentials.js')).registerCredentials,
  },
];

/**
 * The command a command line runs: its first word that is not an option (nor --as's value), or
 * the word after `help`. Undefined for a bare `shieldwall`, `--help`, or a word that names none.
 */
export function commandOf(args: readonly string[]): CommandEntry | undefined {
  let afterHelp = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg === '--as') {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    if (arg === 'help' && !afterHelp) {
      afterHelp = true;
      continue;
    }
    return COMMANDS.find((c) => c.name === arg);
  }
  return undefined;
}
