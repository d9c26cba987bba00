import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createPeer, PEER_AUTH, PEER_DIRECTIONS, type PeerAuth, type PeerDirection } from '../modules/directory/directory.service.js';
import * as federation from '../modules/federation/federation.service.js';
import { DEFAULT_CLASSIFICATIONS } from '../policy/markings.js';
import { isRole, ROLES, SYSTEM_PRINCIPAL, type Role } from '../policy/principal.js';
import { clearanceLevel } from './directory.js';
import { withLocalStore } from './local.js';

/** A secret from a file: its first line, so that a trailing newline is no part of it. */
function secretFrom(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${what} file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const secret = text.split(/\r?\n/)[0]!.trim();
  if (secret === '') throw new Error(`the ${what} file ${file} is empty`);
  return secret;
}

interface AddOptions {
  name: string;
  member: string;
  certificateCn?: string;
  roles: string;
  clearance: string;
  url?: string;
  collection?: string;
  pushCollection?: string;
  direction?: string;
  interval?: string;
  auth?: string;
  tokenFile?: string;
  username?: string;
  passwordFile?: string;
  caFile?: string;
}

export function registerPeers(program: Command): void {
  const peers = program.command('peers').description('peer nodes: list, add, sync, status (federation over TAXII 2.1)');
  peers
    .command('list')
    .description('list peer nodes as JSON lines (credentials never shown)')
    .action(async () => {
      for (const p of await withLocalStore((ctx) => federation.peerStatus(ctx, SYSTEM_PRINCIPAL))) {
        const { pullCursor: _c, pushCursor: _p, pulled: _a, pushed: _b, refused: _r, lastPullAt: _l, lastPushAt: _m, lastError: _e, lastErrorAt: _t, failures: _f, ...peer } = p;
        process.stdout.write(`${JSON.stringify(peer)}\n`);
      }
    });
  peers
    .command('add')
    .description('register a peer node: requests with its client certificate act for its members; with --url this node also pulls from and pushes to its TAXII server')
    .requiredOption('--name <name>', 'peer node name, e.g. fra-node')
    .requiredOption('--member <codes>', 'the member(s) the peer stands for, comma-separated (the first is the one its requests act for)')
    .option('--certificate-cn <cn>', 'common name of its client certificate (default: the name)')
    .option('--roles <roles>', `comma-separated: ${ROLES.join(', ')}`, 'analyst')
    .option('--clearance <level>', `highest classification it reads and writes: ${DEFAULT_CLASSIFICATIONS.join(', ')}`, 'UNCLASSIFIED')
    .option('--url <url>', "the peer's TAXII 2.1 API root, e.g. https://fra.example:8443/taxii2/intel/")
    .option('--collection <id>', 'remote collection to pull from (id or alias; default intel)')
    .option('--push-collection <id>', 'remote collection to push to (default: the pull collection)')
    .option('--direction <direction>', `${PEER_DIRECTIONS.join(', ')} (default: both with --url, else none)`)
    .option('--interval <seconds>', 'seconds between syncs (pushes also follow new intelligence at once)', '60')
    .option('--auth <how>', `how this node authenticates to the peer: ${PEER_AUTH.join(', ')} (mtls: the node certificate SHIELDWALL_TLS_CERT)`)
    .option('--token-file <file>', 'file holding the bearer token for --auth token (stored sealed)')
    .option('--username <user>', 'user name for --auth basic')
    .option('--password-file <file>', 'file holding the password for --auth basic (stored sealed)')
    .option('--ca-file <file>', "PEM of the CA that signed the peer's server certificate (default: SHIELDWALL_TLS_CLIENT_CA)")
    .action(async (o: AddOptions) => {
      const roles = o.roles.split(',').map((r) => r.trim());
      const bad = roles.find((r) => !isRole(r));
      if (bad !== undefined) throw new Error(`unknown role '${bad}': use ${ROLES.join(', ')}`);
      const auth = o.auth ?? (o.tokenFile ? 'token' : o.passwordFile ? 'basic' : 'mtls');
      if (!(PEER_AUTH as readonly string[]).includes(auth)) throw new Error(`--auth '${auth}' is not one of ${PEER_AUTH.join(', ')}`);
      if (o.direction !== undefined && !(PEER_DIRECTIONS as readonly string[]).includes(o.direction)) throw new Error(`--direction '${o.direction}' is not one of ${PEER_DIRECTIONS.join(', ')}`);
      if (o.interval !== undefined && !/^\d{1,5}$/.test(o.interval)) throw new Error(`--interval '${o.interval}' is not a whole number of seconds`);
      const secret = auth === 'token' && o.tokenFile ? secretFrom(o.tokenFile, 'token') : auth === 'basic' && o.passwordFile ? secretFrom(o.passwordFile, 'password') : undefined;
      const peer = await withLocalStore((ctx) =>
        createPeer(ctx, SYSTEM_PRINCIPAL, {
          name: o.name,
          members: o.member.split(',').map((m) => m.trim()).filter((m) => m !== ''),
          clearance: clearanceLevel(o.clearance),
          roles: roles as Role[],
          auth: auth as PeerAuth,
          ...(o.certificateCn !== undefined ? { certificateCn: o.certificateCn } : {}),
          ...(o.url !== undefined ? { url: o.url } : {}),
          ...(o.collection !== undefined ? { pullCollection: o.collection } : {}),
          ...(o.pushCollection !== undefined ? { pushCollection: o.pushCollection } : {}),
          ...(o.direction !== undefined ? { direction: o.direction as PeerDirection } : {}),
          ...(o.interval !== undefined ? { intervalSeconds: Number(o.interval) } : {}),
          ...(o.username !== undefined ? { username: o.username } : {}),
          ...(secret !== undefined ? { secret } : {}),
          ...(o.caFile !== undefined ? { caFile: o.caFile } : {}),
        }),
      );
      process.stdout.write(`${JSON.stringify(peer)}\n`);
    });
  peers
    .command('sync <name>')
    .description('pull from and/or push to a peer now, as it is set up; prints a JSON summary (exit 3 when the peer fails)')
    .option('--pull', 'only pull')
    .option('--push', 'only push')
    .action(async (name: string, o: { pull?: boolean; push?: boolean }) => {
      if (o.pull && o.push) throw new Error('give --pull or --push, not both (neither: what the peer is set up for)');
      const result = await withLocalStore((ctx) => federation.syncPeer(ctx, SYSTEM_PRINCIPAL, name, o.pull ? 'pull' : o.push ? 'push' : undefined));
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.error) {
        process.stderr.write(`sync with ${name} failed: ${result.error}\n`);
        process.exitCode = 3;
      }
    });
  peers
    .command('status [name]')
    .description('sync state of the peers (or one): cursors, counts, last success and last error, as JSON lines')
    .action(async (name: string | undefined) => {
      for (const p of await withLocalStore((ctx) => federation.peerStatus(ctx, SYSTEM_PRINCIPAL, name))) {
        process.stdout.write(
          `${JSON.stringify({ name: p.name, url: p.url, direction: p.direction, pullCursor: p.pullCursor, pushCursor: p.pushCursor, pulled: p.pulled, pushed: p.pushed, refused: p.refused, lastPullAt: p.lastPullAt, lastPushAt: p.lastPushAt, lastError: p.lastError, lastErrorAt: p.lastErrorAt, failures: p.failures })}\n`,
        );
      }
    });
}
