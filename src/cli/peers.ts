import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createPeer, MAX_PAGE_TIMEOUT_S, PEER_AUTH, PEER_DIRECTIONS, type PeerAuth, type PeerChanges, type PeerDirection } from '../modules/directory/directory.service.js';
import * as federation from '../modules/federation/federation.service.js';
import { DEFAULT_CLASSIFICATIONS } from '../policy/markings.js';
import { isRole, ROLES, SYSTEM_PRINCIPAL, type Role } from '../policy/principal.js';
import { clearanceLevel } from './directory.js';
import { withLocalStore } from './local.js';
import { CliError, EXIT } from './failures.js';

/** A secret from a file: its first line, so that a trailing newline is no part of it. */
function secretFrom(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(EXIT.input, `cannot read the ${what} file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const secret = text.split(/\r?\n/)[0]!.trim();
  if (secret === '') throw new CliError(EXIT.input, `the ${what} file ${file} is empty`);
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
  pageTimeout?: string;
}

/** Whole seconds from an option, or a clear refusal naming it. */
function seconds(value: string, option: string, max: number): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > max) throw new CliError(EXIT.usage, `${option} '${value}' is not a whole number of seconds from 1 to ${max}`);
  return Number(value);
}

function rolesFrom(text: string): Role[] {
  const roles = text.split(',').map((r) => r.trim());
  const bad = roles.find((r) => !isRole(r));
  if (bad !== undefined) throw new CliError(EXIT.usage, `unknown role '${bad}': use ${ROLES.join(', ')}`);
  return roles as Role[];
}

export function registerPeers(program: Command): void {
  const peers = program.command('peers').description('peer nodes: list, add, edit, disable, enable, remove, sync, status (federation over TAXII 2.1)');
  peers
    .command('list')
    .description('list peer nodes as JSON lines (credentials never shown)')
    .action(async () => {
      for (const p of await withLocalStore((ctx) => federation.peerStatus(ctx, SYSTEM_PRINCIPAL))) {
        const { pullCursor: _c, pushCursor: _p, pulled: _a, pushed: _b, refused: _r, pushRefused: _pr, lastPullAt: _l, lastPushAt: _m, pullOkAt: _po, pushOkAt: _so, lastError: _e, lastErrorAt: _t, failures: _f, errors: _x, ...peer } = p;
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
    .option('--page-timeout <seconds>', `seconds the peer may take to answer one page, 1 to ${MAX_PAGE_TIMEOUT_S} (default 30; slow servers need minutes for a first page)`)
    .action(async (o: AddOptions) => {
      const roles = rolesFrom(o.roles);
      const auth = o.auth ?? (o.tokenFile ? 'token' : o.passwordFile ? 'basic' : 'mtls');
      if (!(PEER_AUTH as readonly string[]).includes(auth)) throw new CliError(EXIT.usage, `--auth '${auth}' is not one of ${PEER_AUTH.join(', ')}`);
      if (o.direction !== undefined && !(PEER_DIRECTIONS as readonly string[]).includes(o.direction)) throw new CliError(EXIT.usage, `--direction '${o.direction}' is not one of ${PEER_DIRECTIONS.join(', ')}`);
      const secret = auth === 'token' && o.tokenFile ? secretFrom(o.tokenFile, 'token') : auth === 'basic' && o.passwordFile ? secretFrom(o.passwordFile, 'password') : undefined;
      const peer = await withLocalStore((ctx) =>
        createPeer(ctx, SYSTEM_PRINCIPAL, {
          name: o.name,
          members: o.member.split(',').map((m) => m.trim()).filter((m) => m !== ''),
          clearance: clearanceLevel(o.clearance),
          roles,
          auth: auth as PeerAuth,
          ...(o.certificateCn !== undefined ? { certificateCn: o.certificateCn } : {}),
          ...(o.url !== undefined ? { url: o.url } : {}),
          ...(o.collection !== undefined ? { pullCollection: o.collection } : {}),
          ...(o.pushCollection !== undefined ? { pushCollection: o.pushCollection } : {}),
          ...(o.direction !== undefined ? { direction: o.direction as PeerDirection } : {}),
          ...(o.interval !== undefined ? { intervalSeconds: seconds(o.interval, '--interval', 86_400) } : {}),
          ...(o.username !== undefined ? { username: o.username } : {}),
          ...(secret !== undefined ? { secret } : {}),
          ...(o.caFile !== undefined ? { caFile: o.caFile } : {}),
          ...(o.pageTimeout !== undefined ? { pageTimeoutSeconds: seconds(o.pageTimeout, '--page-timeout', MAX_PAGE_TIMEOUT_S) } : {}),
        }),
      );
      process.stdout.write(`${JSON.stringify(peer)}\n`);
    });
  peers
    .command('edit <name>')
    .description('change a peer node: only the options given change; its cursors and counts stay (audited)')
    .option('--member <codes>', 'the member(s) the peer stands for, comma-separated')
    .option('--certificate-cn <cn>', 'common name of its client certificate')
    .option('--roles <roles>', `comma-separated: ${ROLES.join(', ')}`)
    .option('--clearance <level>', `highest classification it reads and writes: ${DEFAULT_CLASSIFICATIONS.join(', ')}`)
    .option('--url <url>', "the peer's TAXII 2.1 API root")
    .option('--collection <id>', 'remote collection to pull from')
    .option('--push-collection <id>', 'remote collection to push to')
    .option('--direction <direction>', PEER_DIRECTIONS.join(', '))
    .option('--interval <seconds>', 'seconds between syncs')
    .option('--auth <how>', PEER_AUTH.join(', '))
    .option('--token-file <file>', 'file holding a new bearer token (stored sealed)')
    .option('--username <user>', 'user name for --auth basic')
    .option('--password-file <file>', 'file holding a new password (stored sealed)')
    .option('--ca-file <file>', "PEM of the CA that signed the peer's server certificate")
    .option('--page-timeout <seconds>', `seconds the peer may take to answer one page, 1 to ${MAX_PAGE_TIMEOUT_S}`)
    .action(async (name: string, o: Omit<AddOptions, 'name' | 'member' | 'roles' | 'clearance'> & { member?: string; roles?: string; clearance?: string }) => {
      if (o.auth !== undefined && !(PEER_AUTH as readonly string[]).includes(o.auth)) throw new CliError(EXIT.usage, `--auth '${o.auth}' is not one of ${PEER_AUTH.join(', ')}`);
      if (o.direction !== undefined && !(PEER_DIRECTIONS as readonly string[]).includes(o.direction)) throw new CliError(EXIT.usage, `--direction '${o.direction}' is not one of ${PEER_DIRECTIONS.join(', ')}`);
      if (o.tokenFile && o.passwordFile) throw new CliError(EXIT.usage, 'give --token-file or --password-file, not both');
      const secret = o.tokenFile ? secretFrom(o.tokenFile, 'token') : o.passwordFile ? secretFrom(o.passwordFile, 'password') : undefined;
      const changes: PeerChanges = {
        ...(o.member !== undefined ? { members: o.member.split(',').map((m) => m.trim()).filter((m) => m !== '') } : {}),
        ...(o.certificateCn !== undefined ? { certificateCn: o.certificateCn } : {}),
        ...(o.roles !== undefined ? { roles: rolesFrom(o.roles) } : {}),
        ...(o.clearance !== undefined ? { clearance: clearanceLevel(o.clearance) } : {}),
        ...(o.url !== undefined ? { url: o.url } : {}),
        ...(o.collection !== undefined ? { pullCollection: o.collection } : {}),
        ...(o.pushCollection !== undefined ? { pushCollection: o.pushCollection } : {}),
        ...(o.direction !== undefined ? { direction: o.direction as PeerDirection } : {}),
        ...(o.interval !== undefined ? { intervalSeconds: seconds(o.interval, '--interval', 86_400) } : {}),
        ...(o.auth !== undefined ? { auth: o.auth as PeerAuth } : {}),
        ...(o.username !== undefined ? { username: o.username } : {}),
        ...(secret !== undefined ? { secret } : {}),
        ...(o.caFile !== undefined ? { caFile: o.caFile } : {}),
        ...(o.pageTimeout !== undefined ? { pageTimeoutSeconds: seconds(o.pageTimeout, '--page-timeout', MAX_PAGE_TIMEOUT_S) } : {}),
      };
      if (Object.keys(changes).length === 0) throw new CliError(EXIT.usage, `nothing to change: give at least one option (shieldwall peers edit --help lists them)`);
      const peer = await withLocalStore((ctx) => federation.updatePeer(ctx, SYSTEM_PRINCIPAL, name, changes));
      process.stdout.write(`${JSON.stringify(peer)}\n`);
    });
  for (const action of ['disable', 'enable'] as const) {
    peers
      .command(`${action} <name>`)
      .description(action === 'disable' ? 'stop syncing with a peer and refuse its certificate; settings, cursors and provenance stay (audited)' : 'sync with a disabled peer again and accept its certificate (audited)')
      .action(async (name: string) => {
        const peer = await withLocalStore((ctx) => federation.setPeerDisabled(ctx, SYSTEM_PRINCIPAL, name, action === 'disable'));
        process.stdout.write(`${JSON.stringify(peer)}\n`);
      });
  }
  peers
    .command('remove <name>')
    .description('remove a peer with its cursors; what it delivered and the provenance records stay (audited)')
    .action(async (name: string) => {
      await withLocalStore((ctx) => federation.removePeer(ctx, SYSTEM_PRINCIPAL, name));
      process.stdout.write(`${JSON.stringify({ removed: name })}\n`);
    });
  peers
    .command('sync <name>')
    .description('pull from and/or push to a peer now, as it is set up; prints a JSON summary (exit 3 when the peer fails)')
    .option('--pull', 'only pull')
    .option('--push', 'only push')
    .action(async (name: string, o: { pull?: boolean; push?: boolean }) => {
      if (o.pull && o.push) throw new CliError(EXIT.usage, 'give --pull or --push, not both (neither: what the peer is set up for)');
      const result = await withLocalStore((ctx) => federation.syncPeer(ctx, SYSTEM_PRINCIPAL, name, o.pull ? 'pull' : o.push ? 'push' : undefined));
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.error) {
        process.stderr.write(`sync with ${name} failed: ${result.error}\n`);
        process.exitCode = EXIT.partial;
      }
    });
  peers
    .command('status [name]')
    .description('sync state of the peers (or one): cursors, counts, last success and last error, as JSON lines')
    .action(async (name: string | undefined) => {
      for (const p of await withLocalStore((ctx) => federation.peerStatus(ctx, SYSTEM_PRINCIPAL, name))) {
        process.stdout.write(
          `${JSON.stringify({ name: p.name, url: p.url, direction: p.direction, disabled: p.disabled, awaitingApprovalBy: p.awaitingApprovalBy, pageTimeoutSeconds: p.pageTimeoutSeconds, pullCursor: p.pullCursor, pushCursor: p.pushCursor, pulled: p.pulled, pushed: p.pushed, refused: p.refused, pushRefused: p.pushRefused, lastPullAt: p.lastPullAt, lastPushAt: p.lastPushAt, pullOkAt: p.pullOkAt, pushOkAt: p.pushOkAt, lastError: p.lastError, lastErrorAt: p.lastErrorAt, failures: p.failures, errors: p.errors })}\n`,
        );
      }
    });
}
