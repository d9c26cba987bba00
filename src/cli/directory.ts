import type { Command } from 'commander';
import { addToGroup, createMember, createUser, listMembers, listUsers, PAGE_MAX, updateMember, type MemberChanges } from '../modules/directory/directory.service.js';
import { classificationLevel, DEFAULT_CLASSIFICATIONS } from '../policy/markings.js';
import { isRole, MEMBER_KINDS, ROLES, SYSTEM_PRINCIPAL, type MemberKind, type Role } from '../policy/principal.js';
import { withLocalStore, writeAllPages } from './local.js';
import { CliError, EXIT } from './failures.js';

/** A clearance given by name (SECRET) or level index (3). */
export function clearanceLevel(value: string): number {
  const byName = classificationLevel(value);
  if (byName !== undefined) return byName;
  if (/^\d+$/.test(value) && Number(value) < DEFAULT_CLASSIFICATIONS.length) return Number(value);
  throw new CliError(EXIT.usage, `--clearance '${value}' is not a level: use one of ${DEFAULT_CLASSIFICATIONS.join(', ')} (or 0 to ${DEFAULT_CLASSIFICATIONS.length - 1})`);
}

export function registerDirectory(program: Command): void {
  const members = program.command('members').description('members of the node: list, add, update, group');
  members
    .command('list')
    .description('list members as JSON lines')
    .action(async () => {
      for (const m of await withLocalStore((ctx) => listMembers(ctx, SYSTEM_PRINCIPAL))) process.stdout.write(`${JSON.stringify(m)}\n`);
    });
  members
    .command('add')
    .description('add a member (a code that exists is refused: change it with members update)')
    .requiredOption('--code <code>', 'member code, e.g. DEU or CERT-EU')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--kind <kind>', MEMBER_KINDS.join(', '))
    .option('--country <iso>', 'ISO 3166-1 alpha-2 country code')
    .option('--identity <id>', 'STIX identity id the member signs its objects with (created_by_ref)')
    .action(async (o: { code: string; name: string; kind: string; country?: string; identity?: string }) => {
      if (!(MEMBER_KINDS as readonly string[]).includes(o.kind)) throw new CliError(EXIT.usage, `--kind '${o.kind}' is not one of ${MEMBER_KINDS.join(', ')}`);
      await withLocalStore((ctx) =>
        createMember(ctx, SYSTEM_PRINCIPAL, { code: o.code, name: o.name, kind: o.kind as MemberKind, country: o.country ?? null, identityId: o.identity ?? null }),
      );
      process.stderr.write(`member ${o.code} added\n`);
    });
  members
    .command('update <code>')
    .description('change the named fields of a member and keep the rest')
    .option('--name <name>', 'display name')
    .option('--kind <kind>', MEMBER_KINDS.join(', '))
    .option('--country <iso>', "ISO 3166-1 alpha-2 country code ('none' removes it)")
    .option('--identity <id>', "STIX identity id the member signs its objects with ('none' removes the link: its objects can then be written by anyone)")
    .action(async (code: string, o: { name?: string; kind?: string; country?: string; identity?: string }) => {
      if (o.kind !== undefined && !(MEMBER_KINDS as readonly string[]).includes(o.kind)) throw new CliError(EXIT.usage, `--kind '${o.kind}' is not one of ${MEMBER_KINDS.join(', ')}`);
      const orNull = (value: string) => (value === 'none' ? null : value);
      const changes: MemberChanges = {
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(o.kind !== undefined ? { kind: o.kind as MemberKind } : {}),
        ...(o.country !== undefined ? { country: orNull(o.country) } : {}),
        ...(o.identity !== undefined ? { identityId: orNull(o.identity) } : {}),
      };
      if (Object.keys(changes).length === 0) throw new CliError(EXIT.usage, 'name at least one field to change: --name, --kind, --country or --identity');
      const member = await withLocalStore((ctx) => updateMember(ctx, SYSTEM_PRINCIPAL, code, changes));
      process.stdout.write(`${JSON.stringify(member)}\n`);
    });
  members
    .command('group <group> <codes...>')
    .description('add members to a named group (ALLIANCE, PARTNERS and INDUSTRY hold members of their kind already)')
    .option('--description <text>', 'what the group is (kept as it is when omitted)')
    .action(async (group: string, codes: string[], o: { description?: string }) => {
      await withLocalStore((ctx) => addToGroup(ctx, SYSTEM_PRINCIPAL, group, o.description, codes));
      process.stderr.write(`group ${group}: added ${codes.join(', ')}\n`);
    });

  const users = program.command('users').description('users of the node: list, create');
  users
    .command('list')
    .description('list users as JSON lines, by name')
    .action(async () => {
      await withLocalStore((ctx) =>
        writeAllPages(async (cursor) => {
          const page = await listUsers(ctx, SYSTEM_PRINCIPAL, { limit: PAGE_MAX, ...(cursor !== null ? { cursor } : {}) });
          return { rows: page.users, next: page.next_cursor };
        }),
      );
    });
  users
    .command('create')
    .description('create a user of a member')
    .requiredOption('--name <name>', 'user name')
    .option('--member <code>', 'the member the user belongs to (none: a node user, who reads only TLP:CLEAR)')
    .requiredOption('--roles <roles>', `comma-separated: ${ROLES.join(', ')}`)
    .option('--clearance <level>', `${DEFAULT_CLASSIFICATIONS.join(', ')}`, 'UNCLASSIFIED')
    .action(async (o: { name: string; member?: string; roles: string; clearance: string }) => {
      const roles = o.roles.split(',').map((r) => r.trim());
      const bad = roles.find((r) => !isRole(r));
      if (bad !== undefined) throw new CliError(EXIT.usage, `unknown role '${bad}': use ${ROLES.join(', ')}`);
      const user = await withLocalStore((ctx) =>
        createUser(ctx, SYSTEM_PRINCIPAL, { name: o.name, member: o.member ?? null, clearance: clearanceLevel(o.clearance), roles: roles as Role[] }),
      );
      process.stdout.write(`${JSON.stringify(user)}\n`);
    });
}
