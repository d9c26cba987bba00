import type { Command } from 'commander';
import { createToken, listTokens, PAGE_MAX, revokeToken } from '../modules/directory/directory.service.js';
import { SYSTEM_PRINCIPAL } from '../policy/principal.js';
import { withLocalStore, writeAllPages } from './local.js';
import { CliError, EXIT } from './failures.js';

export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('API tokens: create, list, revoke');
  tokens
    .command('create')
    .description('create an API token; it is printed once and only its hash is stored')
    .requiredOption('--name <name>', 'what the token is for')
    .requiredOption('--user <name>', 'the user the token acts for (its roles, clearance and member)')
    .option('--expires <timestamp>', 'expiry, e.g. 2027-01-01T00:00:00Z')
    .action(async (options: { name: string; user: string; expires?: string }) => {
      if (options.expires !== undefined && Number.isNaN(Date.parse(options.expires))) {
        throw new CliError(EXIT.usage, `--expires '${options.expires}' is not a timestamp: use e.g. 2027-01-01T00:00:00Z`);
      }
      const created = await withLocalStore((ctx) =>
        createToken(ctx, SYSTEM_PRINCIPAL, {
          name: options.name,
          user: options.user,
          expiresAt: options.expires ? new Date(options.expires).toISOString() : null,
        }),
      );
      process.stdout.write(`${created.token}\n`);
      if (created.status === 'pending') process.stderr.write(`token ${created.id} for user ${created.user} created but not yet usable: ${created.message ?? ''}\n`);
      else process.stderr.write(`token ${created.id} for user ${created.user} created; store it now, it cannot be shown again\n`);
    });
  tokens
    .command('list')
    .description('list tokens as JSON lines, by id (never their values)')
    .action(async () => {
      await withLocalStore((ctx) =>
        writeAllPages(async (cursor) => {
          const page = await listTokens(ctx, SYSTEM_PRINCIPAL, { limit: PAGE_MAX, ...(cursor !== null ? { cursor } : {}) });
          return { rows: page.tokens, next: page.next_cursor };
        }),
      );
    });
  tokens
    .command('revoke <id>')
    .description('revoke a token by id')
    .action(async (id: string) => {
      await withLocalStore((ctx) => revokeToken(ctx, SYSTEM_PRINCIPAL, Number(id)));
      process.stderr.write(`token ${id} revoked\n`);
    });
}
