import type { Command } from 'commander';
import { approveCredentialRequest, CREDENTIAL_REQUEST_STATUSES, declineCredentialRequest, listCredentialRequests, PAGE_MAX, type CredentialRequestStatus } from '../modules/directory/directory.service.js';
import { SYSTEM_PRINCIPAL } from '../policy/principal.js';
import { withLocalStore, writeAllPages } from './local.js';
import { CliError, EXIT } from './failures.js';

function requestId(value: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw new CliError(EXIT.usage, `'${value}' is not a request id: list them with shieldwall credentials list`);
  return Number(value);
}

/**
 * Credential requests of the two-person rule, decided by the node's operator on the node's
 * machine: the local command line acts as the node itself, so its decisions stand in for a
 * second node administrator, and are on the audit log as the node's.
 */
export function registerCredentials(program: Command): void {
  const credentials = program.command('credentials').description("node administrators' tokens and passwords for users beyond their reach, waiting for a second person: list, approve, decline");
  credentials
    .command('list')
    .description('credential requests as JSON lines, newest first')
    .option('--status <status>', CREDENTIAL_REQUEST_STATUSES.join(', '))
    .action(async (o: { status?: string }) => {
      if (o.status !== undefined && !(CREDENTIAL_REQUEST_STATUSES as readonly string[]).includes(o.status)) throw new CliError(EXIT.usage, `--status '${o.status}' is not one of ${CREDENTIAL_REQUEST_STATUSES.join(', ')}`);
      const status = o.status as CredentialRequestStatus | undefined;
      await withLocalStore((ctx) =>
        writeAllPages(async (cursor) => {
          const page = await listCredentialRequests(ctx, SYSTEM_PRINCIPAL, { limit: PAGE_MAX, ...(status !== undefined ? { status } : {}), ...(cursor !== null ? { cursor } : {}) });
          return { rows: page.requests, next: page.next_cursor };
        }),
      );
    });
  credentials
    .command('approve <id>')
    .description('approve a request: its token starts to work, or its password is set')
    .action(async (id: string) => {
      const request = await withLocalStore((ctx) => approveCredentialRequest(ctx, SYSTEM_PRINCIPAL, requestId(id)));
      process.stderr.write(`request ${request.id} approved: ${request.kind === 'token' ? `token ${request.tokenId} of ${request.user} works now` : `password of ${request.user} set`}\n`);
    });
  credentials
    .command('decline <id>')
    .description('decline a request: its token never works, its password is not set')
    .action(async (id: string) => {
      const request = await withLocalStore((ctx) => declineCredentialRequest(ctx, SYSTEM_PRINCIPAL, requestId(id)));
      process.stderr.write(`request ${request.id} declined\n`);
    });
}
