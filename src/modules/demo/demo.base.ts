/**
 * The ground every part of the demo set stands on: the seeded generator and the clock, the
 * members with their identities and locations, the handling markings, and the common
 * properties of every object (creator, times, markings).
 */
import type { StixObject } from '../../stix/types.js';
import {
  HANDLING_EXTENSION_ID,
  tlpMarkingDefinition,
  TLP2_MARKING_IDS,
  TLP_LEVELS,
  handlingMarkingDefinition,
} from '../../policy/markings.js';
import { DEMO_ALLIANCE_CODE, SYNTHETIC_NOTICE, type DemoMember, type MemberKind } from './demo.model.js';
import { createRng, stixTimestamp, type Rng } from './demo.rng.js';
import { HANDLING_SPECS, TLP_WEIGHTS, memberSpecs, type HandlingSpec, type MemberSpec } from './demo.vocabulary.js';

export const DAY = 86_400_000;

export interface Member extends DemoMember {
  spec: MemberSpec;
}

export class DemoBase {
  protected readonly rng: Rng;
  protected readonly now: number;
  protected readonly members: Member[] = [];
  protected alliance!: Member;
  protected readonly handling = new Map<string, { id: string; spec: HandlingSpec }>();
  protected readonly head: StixObject[] = [];
  protected readonly locations: StixObject[] = [];
  protected readonly locationByCode = new Map<string, StixObject>();
  protected readonly creatorOf = new Map<string, Member>();

  constructor(seed: number, now: number) {
    this.rng = createRng(seed);
    this.now = now;
  }

  // ----- time -----

  /** A creation time between `maxDaysAgo` and `minDaysAgo` days before now. */
  protected past(minDaysAgo: number, maxDaysAgo: number): number {
    const span = (maxDaysAgo - minDaysAgo) * DAY;
    return this.now - minDaysAgo * DAY - this.rng.int(Math.max(1, span));
  }

  /** A time shortly after all the given ones, never later than two days before now. */
  protected after(...times: number[]): number {
    const latest = Math.max(...times);
    return Math.min(this.now - 2 * DAY, latest + this.rng.int(5 * DAY) + 1000);
  }

  protected static createdOf(object: StixObject): number {
    return typeof object.created === 'string' ? Date.parse(object.created) : 0;
  }

  // ----- members, creators and markings -----

  protected pickCreator(): Member {
    const kind = this.rng.weighted<MemberKind | 'alliance'>([
      ['alliance', 15],
      ['ally', 65],
      ['partner', 8],
      ['international-organisation', 6],
      ['industry', 6],
    ]);
    if (kind === 'alliance') return this.alliance;
    const pool = this.members.filter((m) => m.kind === kind && m.code !== DEMO_ALLIANCE_CODE);
    return this.rng.pick(pool);
  }

  protected pickMarkings(creator: Member): string[] {
    let tlp = this.rng.weighted(TLP_WEIGHTS);
    if (!this.rng.chance(0.3)) return [TLP2_MARKING_IDS[tlp]];
    const allianceSide = creator.kind === 'ally' || creator.code === DEMO_ALLIANCE_CODE;
    const eligible = HANDLING_SPECS.filter((spec) => {
      if (spec.originators) return spec.originators.includes(creator.code);
      return allianceSide || spec.openToAll === true;
    });
    const spec = this.rng.weighted(eligible.map((s) => [s, s.weight] as const));
    if (TLP_LEVELS.indexOf(tlp) < TLP_LEVELS.indexOf(spec.minimumTlp)) tlp = spec.minimumTlp;
    const handling = this.handling.get(spec.key);
    if (!handling) throw new Error(`handling marking ${spec.key} missing`);
    return [TLP2_MARKING_IDS[tlp], handling.id];
  }

  protected id(type: string): string {
    return `${type}--${this.rng.uuid()}`;
  }

  /** A STIX domain or relationship object with the common properties filled in. */
  protected sdo(
    type: string,
    properties: Record<string, unknown>,
    options: { creator?: Member; created?: number; modified?: number; markings?: string[]; id?: string } = {},
  ): StixObject {
    const creator = options.creator ?? this.pickCreator();
    const created = options.created ?? this.past(30, 720);
    const modified = Math.max(created, options.modified ?? Math.min(this.now - 2 * DAY, created + this.rng.int(20 * DAY)));
    const object: StixObject = {
      type,
      spec_version: '2.1',
      id: options.id ?? this.id(type),
      created_by_ref: creator.identityId,
      created: stixTimestamp(created),
      modified: stixTimestamp(modified),
      ...properties,
      object_marking_refs: options.markings ?? this.pickMarkings(creator),
    };
    this.creatorOf.set(object.id, creator);
    return object;
  }

  protected buildMembersAndMarkings(): void {
    const referenceTime = this.now - 900 * DAY;
    const clear = TLP2_MARKING_IDS.clear;
    for (const level of TLP_LEVELS) {
      this.head.push(tlpMarkingDefinition(level));
    }

    for (const spec of memberSpecs()) {
      const member: Member = {
        code: spec.code,
        name: spec.name,
        kind: spec.kind,
        country: spec.country,
        identityId: this.id('identity'),
        spec,
      };
      this.members.push(member);
      if (spec.code === DEMO_ALLIANCE_CODE) this.alliance = member;
    }

    const identity = (member: Member, createdBy: Member | undefined): StixObject => ({
      type: 'identity',
      spec_version: '2.1',
      id: member.identityId,
      ...(createdBy ? { created_by_ref: createdBy.identityId } : {}),
      created: stixTimestamp(referenceTime),
      modified: stixTimestamp(referenceTime),
      name: member.name,
      description: member.spec.description,
      identity_class: 'organization',
      sectors: member.spec.sectors,
      contact_information: `pointofcontact@${member.code.toLowerCase()}.cert.example`,
      object_marking_refs: [clear],
    });

    this.head.push(identity(this.alliance, undefined));
    this.head.push({
      type: 'extension-definition',
      spec_version: '2.1',
      id: HANDLING_EXTENSION_ID,
      created_by_ref: this.alliance.identityId,
      created: stixTimestamp(referenceTime),
      modified: stixTimestamp(referenceTime),
      name: 'Shieldwall handling marking',
      description: 'Classification and releasability carried by a marking-definition, so both travel with the object.',
      schema: 'https://shieldwall.example/extensions/handling/v1',
      version: '1.0.0',
      extension_types: ['property-extension'],
      object_marking_refs: [clear],
    });
    for (const spec of HANDLING_SPECS) {
      const id = this.id('marking-definition');
      this.handling.set(spec.key, { id, spec });
      this.head.push({
        ...handlingMarkingDefinition({
          id,
          created: stixTimestamp(referenceTime),
          classification: spec.classification,
          releasableTo: spec.releasableTo,
          createdByRef: this.alliance.identityId,
        }),
        object_marking_refs: [clear],
      });
    }
    for (const member of this.members) {
      if (member === this.alliance) continue;
      this.head.push(identity(member, this.alliance));
    }
  }

  protected buildLocations(): void {
    for (const member of this.members) {
      const { alpha2, countryName, region } = member.spec;
      if (!alpha2 || !countryName || !region) continue;
      const location = this.sdo(
        'location',
        { name: countryName, country: alpha2, region, description: `${SYNTHETIC_NOTICE}: location of the ${member.name}.` },
        { creator: this.alliance, created: this.now - 900 * DAY, modified: this.now - 900 * DAY, markings: [TLP2_MARKING_IDS.clear] },
      );
      this.locations.push(location);
      this.locationByCode.set(member.code, location);
    }
  }

  protected identityOf(member: Member): StixObject {
    const found = this.head.find((o) => o.id === member.identityId);
    if (!found) throw new Error(`identity of ${member.code} missing`);
    return found;
  }
}
