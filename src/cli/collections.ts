import type { Command } from 'commander';
import { createCollection, listCollections } from '../modules/taxii/taxii.service.js';
import { SYSTEM_PRINCIPAL } from '../policy/principal.js';
import { withLocalStore } from './local.js';

export function registerCollections(program: Command): void {
  const collections = program.command('collections').description('TAXII collections: views of the intelligence by audience');
  collections
    .command('list')
    .description('list the TAXII collections as JSON lines')
    .action(async () => {
      for (const c of await withLocalStore((ctx) => listCollections(ctx, SYSTEM_PRINCIPAL))) process.stdout.write(`${JSON.stringify(c)}\n`);
    });
  collections
    .command('add')
    .description('add a collection: the objects released to its audience (each reader still sees only what need-to-know allows)')
    .requiredOption('--alias <alias>', 'short name used in URLs, e.g. partners')
    .requiredOption('--title <title>', 'title shown to TAXII clients')
    .option('--description <text>', 'what the collection holds')
    .option('--audience <entries>', 'comma-separated groups or member codes, e.g. PARTNERS (default: everything)')
    .action(async (o: { alias: string; title: string; description?: string; audience?: string }) => {
      const audience = o.audience === undefined ? null : o.audience.split(',').map((e) => e.trim()).filter((e) => e !== '');
      const created = await withLocalStore((ctx) =>
        createCollection(ctx, SYSTEM_PRINCIPAL, { alias: o.alias, title: o.title, ...(o.description !== undefined ? { description: o.description } : {}), audience }),
      );
      process.stdout.write(`${JSON.stringify(created)}\n`);
    });
}
