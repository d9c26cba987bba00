/** Seeds the synthetic demo alliance through the same services real data goes through. */
import type { AppContext } from '../../core/context.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { countMembers, upsertMembers } from '../directory/directory.service.js';
import { ingestObjects, type IngestSummary } from '../intel/intel.service.js';
import { demoAlliance } from './demo.data.js';

export interface DemoSeedResult {
  members: number;
  intel: IngestSummary;
}

export async function seedDemo(ctx: AppContext, options: { seed?: number } = {}): Promise<DemoSeedResult> {
  const alliance = demoAlliance({ ...(options.seed !== undefined ? { seed: options.seed } : {}), now: ctx.clock.now() });
  await upsertMembers(
    ctx,
    SYSTEM_PRINCIPAL,
    alliance.members.map((m) => ({ code: m.code, name: m.name, kind: m.kind, country: m.country, identityId: m.identityId })),
  );
  const intel = await ingestObjects(ctx, SYSTEM_PRINCIPAL, alliance.objects);
  return { members: alliance.members.length, intel };
}

/** A store is empty when it hosts no member yet: the demo is seeded only then. */
export async function storeIsEmpty(ctx: AppContext): Promise<boolean> {
  return (await countMembers(ctx)) === 0;
}
