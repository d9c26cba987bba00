/**
 * The synthetic demo alliance: members, their STIX identities, handling markings and a
 * realistic, entirely fictional intelligence set. Pure and deterministic: the same seed and
 * `now` always give the same objects. Every address, domain and name is reserved for
 * documentation or invented, so nothing real is implicated.
 *
 * The data (members, vocabulary, markings) is in alliance/*.json, read by demo.vocabulary.ts; the
 * generator is demo.base.ts, demo.observables.ts and demo.builder.ts; this file is the entry.
 */
import { DemoBuilder } from './demo.builder.js';
import { DEMO_DEFAULT_NOW, DEMO_DEFAULT_SEED, type DemoAlliance } from './demo.model.js';

export {
  DEMO_ALLIANCE_CODE,
  DEMO_DEFAULT_NOW,
  DEMO_DEFAULT_SEED,
  DEMO_INDICATOR_KINDS,
  DEMO_REPORT_LABEL,
  SYNTHETIC_NOTICE,
  type DemoAlliance,
  type DemoIndicatorKind,
  type DemoMember,
  type MemberKind,
} from './demo.model.js';
export { createRng, hex32, patternLiteral, stixTimestamp, type Rng } from './demo.rng.js';

/** The synthetic demo alliance: its members and a deterministic, fictional STIX 2.1 set. */
export function demoAlliance(options: { seed?: number; now?: Date } = {}): DemoAlliance {
  const seed = options.seed ?? DEMO_DEFAULT_SEED;
  const now = (options.now ?? new Date(DEMO_DEFAULT_NOW)).getTime();
  if (!Number.isFinite(now)) throw new RangeError('demoAlliance: invalid now');
  return new DemoBuilder(seed, now).build();
}
