/**
 * The builder of the demo set: threat objects, indicators with their observed data,
 * relationships, sightings, analysis (reports, notes, opinions, groupings) and later versions,
 * on the ground laid by DemoBase.
 */
import type { StixObject } from '../../stix/types.js';
import { DemoBase, DAY, type Member } from './demo.base.js';
import {
  DEMO_ALLIANCE_CODE, DEMO_INDICATOR_KINDS, DEMO_REPORT_LABEL, SYNTHETIC_NOTICE, type DemoAlliance, type DemoIndicatorKind,
} from './demo.model.js';
import { DemoObservables } from './demo.observables.js';
import { stixTimestamp } from './demo.rng.js';
import {
  ATTACK_PATTERNS, CAMPAIGN_ADJECTIVES, CAMPAIGN_NOUNS, COURSES_OF_ACTION, EXECUTION_ENVS, FICTIONAL_PRODUCTS,
  IMPLEMENTATION_LANGUAGES, INFRASTRUCTURE_TYPES, INTRUSION_FIRST, INTRUSION_SECOND, MALWARE_CAPABILITIES,
  MALWARE_FAMILIES, SECTORS, THREAT_ACTORS, TOOLS, WORDS,
} from './demo.vocabulary.js';

const INDICATOR_KIND_WEIGHTS: Readonly<Record<DemoIndicatorKind, number>> = {
  'file-md5': 6, 'file-sha1': 6, 'file-sha256': 11, 'file-name-hash': 4, ipv4: 10, 'ipv4-cidr': 3, ipv6: 4,
  'ipv6-cidr': 2, domain: 10, url: 8, 'email-addr': 5, 'email-subject': 3, mutex: 2, registry: 2,
  'user-account': 2, x509: 2, 'network-port': 2, process: 2, software: 1, 'autonomous-system': 1, 'mac-addr': 1,
  'user-agent': 2, compound: 5,
};

const INDICATOR_COUNT = 900;
const SIGHTING_COUNT = 300;
const REPORT_COUNT = 40;
const NOTE_COUNT = 60;
const OPINION_COUNT = 60;
const GROUPING_COUNT = 20;
const OBSERVABLE_SHARE = 0.33;

interface IndicatorRecord {
  indicator: StixObject;
  target: StixObject | undefined;
  relationships: StixObject[];
  observedData: StixObject | undefined;
}

export class DemoBuilder extends DemoBase {
  private readonly observables = new DemoObservables(this.rng, this.now);
  private readonly domain: StixObject[] = [];
  private readonly observed: StixObject[] = [];
  private readonly indicators: StixObject[] = [];
  private readonly relationships: StixObject[] = [];
  private readonly sightings: StixObject[] = [];
  private readonly analysis: StixObject[] = [];
  private readonly versions: StixObject[] = [];

  private intrusionSets: StixObject[] = [];
  private threatActors: StixObject[] = [];
  private campaigns: StixObject[] = [];
  private malwareFamilies: StixObject[] = [];
  private malwareSamples: StixObject[] = [];
  private tools: StixObject[] = [];
  private attackPatterns: StixObject[] = [];
  private vulnerabilities: StixObject[] = [];
  private infrastructure: StixObject[] = [];
  private coursesOfAction: StixObject[] = [];
  private readonly indicatorRecords: IndicatorRecord[] = [];

  build(): DemoAlliance {
    this.buildMembersAndMarkings();
    this.buildLocations();
    this.buildThreatObjects();
    this.buildIndicators();
    this.buildRelationships();
    this.buildSightings();
    this.buildAnalysis();
    this.buildVersions();
    const objects = [
      ...this.head,
      ...this.locations,
      ...this.observables.scos.values(),
      ...this.domain,
      ...this.observed,
      ...this.indicators,
      ...this.relationships,
      ...this.sightings,
      ...this.analysis,
      ...this.versions,
    ];
    const members = this.members.map(({ code, name, kind, country, identityId }) => ({ code, name, kind, country, identityId }));
    return { members, objects };
  }


  // ----- threat objects -----

  private buildThreatObjects(): void {
    const rng = this.rng;
    const phase = (name: string) => ({ kill_chain_name: 'lockheed-martin-cyber-kill-chain', phase_name: name });

    this.attackPatterns = ATTACK_PATTERNS.map(([name, killChainPhase], index) =>
      this.sdo('attack-pattern', {
        name,
        description: `Fictional technique entry for the demo set: ${name.toLowerCase()}.`,
        kill_chain_phases: [phase(killChainPhase)],
        external_references: [
          { source_name: 'shieldwall-demo-techniques', external_id: `SWD-T${String(1001 + index)}` },
        ],
      }),
    );

    this.vulnerabilities = Array.from({ length: 24 }, (_, index) => {
      const name = `CVE-2099-${String(1000 + index * 37 + rng.int(30)).padStart(4, '0')}`;
      const product = rng.pick(FICTIONAL_PRODUCTS);
      return this.sdo('vulnerability', {
        name,
        description: `Fictional ${rng.pick(['remote code execution', 'authentication bypass', 'path traversal', 'privilege escalation'])} in the ${product}. Not a real CVE.`,
        external_references: [{ source_name: 'cve', external_id: name }],
      });
    });

    this.tools = TOOLS.map(([name, toolType]) =>
      this.sdo('tool', {
        name,
        description: `Fictional ${toolType.replace(/-/g, ' ')} tool seen in demo intrusions.`,
        tool_types: [toolType],
        tool_version: `${rng.between(1, 4)}.${rng.between(0, 9)}`,
      }),
    );

    this.malwareFamilies = MALWARE_FAMILIES.map(([name, types]) => {
      const firstSeen = this.past(120, 900);
      return this.sdo('malware', {
        name,
        description: `Fictional ${types.join(' and ').replace(/-/g, ' ')} family.`,
        malware_types: types,
        is_family: true,
        aliases: [`${name}-variant`],
        first_seen: stixTimestamp(firstSeen),
        last_seen: stixTimestamp(this.after(firstSeen + 60 * DAY)),
        capabilities: rng.shuffle(MALWARE_CAPABILITIES).slice(0, rng.between(2, 4)),
        implementation_languages: [rng.pick(IMPLEMENTATION_LANGUAGES)],
        architecture_execution_envs: [rng.pick(EXECUTION_ENVS)],
      });
    });
    this.malwareSamples = Array.from({ length: 16 }, (_, index) => {
      const family = this.malwareFamilies[index % this.malwareFamilies.length]!;
      const familyName = String(family.name);
      return this.sdo(
        'malware',
        {
          name: `${familyName} sample ${rng.between(1, 5)}.${rng.between(0, 9)}.${index}`,
          description: `Analysed sample of the fictional ${familyName} family.`,
          malware_types: family.malware_types,
          is_family: false,
          architecture_execution_envs: [rng.pick(EXECUTION_ENVS)],
        },
        { created: this.after(DemoBuilder.createdOf(family)) },
      );
    });

    this.threatActors = THREAT_ACTORS.map(([name, actorType, motivation]) =>
      this.sdo('threat-actor', {
        name,
        description: `Fictional ${actorType.replace(/-/g, ' ')} threat actor.`,
        threat_actor_types: [actorType],
        aliases: [name.replace(/^The /, '')],
        roles: [rng.pick(['agent', 'director', 'sponsor'])],
        sophistication: rng.pick(['intermediate', 'advanced', 'expert']),
        resource_level: actorType === 'nation-state' ? 'government' : rng.pick(['team', 'organization']),
        primary_motivation: motivation,
      }),
    );

    const seconds = rng.shuffle(INTRUSION_SECOND);
    this.intrusionSets = INTRUSION_FIRST.map((first, index) => {
      const name = `${first} ${seconds[index]!}`;
      const firstSeen = this.past(200, 900);
      return this.sdo('intrusion-set', {
        name,
        description: `Fictional intrusion set tracked by the demo alliance.`,
        aliases: [`${first.toUpperCase()}-${String(index + 1).padStart(2, '0')}`],
        first_seen: stixTimestamp(firstSeen),
        last_seen: stixTimestamp(this.after(firstSeen + 90 * DAY)),
        goals: rng.shuffle(['espionage', 'pre-positioning', 'disruption', 'financial gain', 'influence']).slice(0, 2),
        resource_level: rng.pick(['team', 'organization', 'government']),
        primary_motivation: rng.pick(['organizational-gain', 'dominance', 'personal-gain', 'ideology']),
      });
    });

    const adjectives = rng.shuffle(CAMPAIGN_ADJECTIVES);
    const nouns = rng.shuffle(CAMPAIGN_NOUNS);
    this.campaigns = Array.from({ length: 30 }, (_, index) => {
      const firstSeen = this.past(60, 600);
      return this.sdo('campaign', {
        name: `Operation ${adjectives[index % adjectives.length]!} ${nouns[(index * 7) % nouns.length]!}`,
        description: `Fictional campaign against ${rng.pick(SECTORS).replace(/-/g, ' ')} targets in the demo alliance.`,
        first_seen: stixTimestamp(firstSeen),
        last_seen: stixTimestamp(this.after(firstSeen + rng.int(120) * DAY)),
        objective: rng.pick(['Collect diplomatic correspondence', 'Pre-position in energy networks', 'Extort ransom payments', 'Disrupt public services', 'Steal defence-industry designs']),
      });
    });

    this.infrastructure = Array.from({ length: 30 }, (_, index) => {
      const infrastructureType = INFRASTRUCTURE_TYPES[index % INFRASTRUCTURE_TYPES.length]!;
      const firstSeen = this.past(60, 600);
      return this.sdo('infrastructure', {
        name: `${infrastructureType.replace(/-/g, ' ')} cluster ${rng.pick(WORDS)}-${index + 1}`,
        description: `Fictional ${infrastructureType.replace(/-/g, ' ')} infrastructure on documentation address space.`,
        infrastructure_types: [infrastructureType],
        first_seen: stixTimestamp(firstSeen),
        last_seen: stixTimestamp(this.after(firstSeen + rng.int(90) * DAY)),
      });
    });

    this.coursesOfAction = COURSES_OF_ACTION.map((name) =>
      this.sdo('course-of-action', { name, description: `Recommended action for the demo set: ${name.toLowerCase()}.` }),
    );

    this.domain.push(
      ...this.attackPatterns,
      ...this.vulnerabilities,
      ...this.tools,
      ...this.malwareFamilies,
      ...this.malwareSamples,
      ...this.threatActors,
      ...this.intrusionSets,
      ...this.campaigns,
      ...this.infrastructure,
      ...this.coursesOfAction,
    );
  }

  private pickIndicatorTarget(): StixObject | undefined {
    const pool = this.rng.weighted<StixObject[] | null>([
      [this.malwareFamilies, 45],
      [this.intrusionSets, 22],
      [this.campaigns, 12],
      [this.infrastructure, 7],
      [this.tools, 4],
      [this.threatActors, 3],
      [null, 7],
    ]);
    return pool ? this.rng.pick(pool) : undefined;
  }

  private buildIndicators(): void {
    const rng = this.rng;
    const weights = DEMO_INDICATOR_KINDS.map((kind) => [kind, INDICATOR_KIND_WEIGHTS[kind]] as const);
    for (let index = 0; index < INDICATOR_COUNT; index++) {
      const kind: DemoIndicatorKind =
        index < DEMO_INDICATOR_KINDS.length ? DEMO_INDICATOR_KINDS[index]! : index < DEMO_INDICATOR_KINDS.length + 7 ? 'compound' : rng.weighted(weights);
      const spec = this.observables.indicatorSpec(kind);
      const target = this.pickIndicatorTarget();
      const creator = this.pickCreator();
      const created = target ? this.after(DemoBuilder.createdOf(target) + rng.int(200) * DAY) : this.past(20, 600);
      const targetName = target ? String(target.name) : undefined;
      const validUntil = rng.chance(0.25) ? created + rng.between(90, 365) * DAY : undefined;
      const indicator = this.sdo(
        'indicator',
        {
          name: targetName ? `${spec.label} (${targetName})` : spec.label,
          description: `${SYNTHETIC_NOTICE}. ${spec.label}${targetName ? ` associated with the fictional ${String(target?.type)} ${targetName}` : ''}.`,
          indicator_types: spec.types,
          pattern: spec.pattern,
          pattern_type: 'stix',
          pattern_version: '2.1',
          valid_from: stixTimestamp(created),
          ...(validUntil !== undefined ? { valid_until: stixTimestamp(validUntil) } : {}),
          kill_chain_phases: [{ kill_chain_name: 'lockheed-martin-cyber-kill-chain', phase_name: spec.phase }],
          labels: [kind, rng.pick(['ioc', 'ioc', 'watchlist', 'hunting'])],
          confidence: rng.pick([15, 50, 50, 85, 85, 100]),
        },
        { creator, created },
      );
      this.indicators.push(indicator);

      const record: IndicatorRecord = { indicator, target, relationships: [], observedData: undefined };
      if (spec.observables && rng.chance(OBSERVABLE_SHARE)) {
        const observables = spec.observables();
        const firstObserved = created - rng.int(10 * DAY);
        const observed = this.sdo(
          'observed-data',
          {
            first_observed: stixTimestamp(firstObserved),
            last_observed: stixTimestamp(firstObserved + rng.int(5 * DAY)),
            number_observed: rng.between(1, 40),
            object_refs: observables.map((o) => o.id),
          },
          { creator, created: firstObserved + 5 * DAY > created ? created : firstObserved + 5 * DAY },
        );
        this.observed.push(observed);
        record.observedData = observed;
      }
      this.indicatorRecords.push(record);
    }
  }

  // ----- relationships -----

  private relate(type: string, source: StixObject, target: StixObject, extra: Record<string, unknown> = {}, creator?: Member): StixObject {
    const created = this.after(DemoBuilder.createdOf(source), DemoBuilder.createdOf(target));
    const relationship = this.sdo(
      'relationship',
      { relationship_type: type, source_ref: source.id, target_ref: target.id, ...extra },
      { creator: creator ?? this.creatorOf.get(source.id) ?? this.alliance, created },
    );
    this.relationships.push(relationship);
    return relationship;
  }

  private buildRelationships(): void {
    const rng = this.rng;
    const nationalMembers = this.members.filter((m) => m.country !== null);

    for (const member of nationalMembers) {
      const location = this.locationByCode.get(member.code);
      if (location) this.relate('located-at', this.identityOf(member), location, {}, this.alliance);
    }

    for (const record of this.indicatorRecords) {
      if (record.target && rng.chance(0.88)) {
        record.relationships.push(this.relate('indicates', record.indicator, record.target, { confidence: rng.pick([50, 85]) }));
      }
      if (record.observedData) record.relationships.push(this.relate('based-on', record.indicator, record.observedData));
    }

    for (const [index, set] of this.intrusionSets.entries()) {
      if (index % 2 === 0) this.relate('attributed-to', set, this.threatActors[(index / 2) % this.threatActors.length]!);
      for (const malware of rng.shuffle(this.malwareFamilies).slice(0, rng.between(1, 3))) this.relate('uses', set, malware);
      for (const tool of rng.shuffle(this.tools).slice(0, rng.between(1, 2))) this.relate('uses', set, tool);
      for (const pattern of rng.shuffle(this.attackPatterns).slice(0, rng.between(2, 4))) this.relate('uses', set, pattern);
      this.relate('uses', set, rng.pick(this.infrastructure));
      for (const member of rng.shuffle(nationalMembers).slice(0, rng.between(1, 3))) {
        this.relate('targets', set, this.identityOf(member));
        const location = this.locationByCode.get(member.code);
        if (location && rng.chance(0.5)) this.relate('targets', set, location);
      }
      if (rng.chance(0.5)) this.relate('targets', set, rng.pick(this.vulnerabilities));
    }

    for (const [index, campaign] of this.campaigns.entries()) {
      this.relate('attributed-to', campaign, this.intrusionSets[index % this.intrusionSets.length]!);
      this.relate('uses', campaign, rng.pick(this.malwareFamilies));
      this.relate('uses', campaign, rng.pick(this.attackPatterns));
      this.relate('targets', campaign, this.identityOf(rng.pick(nationalMembers)));
      if (rng.chance(0.4)) this.relate('targets', campaign, rng.pick(this.vulnerabilities));
    }

    for (const actor of this.threatActors) {
      this.relate('uses', actor, rng.pick(this.malwareFamilies));
      this.relate('targets', actor, this.identityOf(rng.pick(nationalMembers)));
    }

    for (const [index, sample] of this.malwareSamples.entries()) {
      this.relate('variant-of', sample, this.malwareFamilies[index % this.malwareFamilies.length]!);
    }
    for (let index = 0; index < 6; index++) {
      const [a, b] = rng.shuffle(this.malwareFamilies);
      if (a && b) this.relate(index % 2 === 0 ? 'variant-of' : 'derived-from', a, b);
    }
    for (const malware of this.malwareFamilies) {
      this.relate('uses', malware, rng.pick(this.attackPatterns));
      if (rng.chance(0.4)) this.relate('exploits', malware, rng.pick(this.vulnerabilities));
      if (rng.chance(0.3)) this.relate('uses', malware, rng.pick(this.tools));
    }

    const ipv4 = [...this.observables.scos.values()].filter((o) => o.type === 'ipv4-addr');
    const domains = [...this.observables.scos.values()].filter((o) => o.type === 'domain-name');
    for (const infrastructure of this.infrastructure) {
      this.relate('controls', infrastructure, rng.pick(this.malwareFamilies));
      if (ipv4.length > 0) this.relate('communicates-with', infrastructure, rng.pick(ipv4));
      if (domains.length > 0 && rng.chance(0.5)) this.relate('communicates-with', infrastructure, rng.pick(domains));
    }

    for (const course of this.coursesOfAction) {
      const target = rng.pick<StixObject>([
        ...rng.shuffle(this.attackPatterns).slice(0, 2),
        rng.pick(this.vulnerabilities),
        rng.pick(this.malwareFamilies),
        rng.pick(this.tools),
        rng.pick(this.indicators),
      ]);
      this.relate('mitigates', course, target);
      this.relate('mitigates', course, rng.pick(this.attackPatterns));
    }

    for (let index = 0; index < 12; index++) {
      const [a, b] = rng.shuffle(this.indicators.slice(0, 300));
      if (a && b) this.relate('derived-from', a, b);
    }
  }

  // ----- sightings -----

  private buildSightings(): void {
    const rng = this.rng;
    const withObserved = this.indicatorRecords.filter((r) => r.observedData);
    const sighters = this.members.filter((m) => m.code !== DEMO_ALLIANCE_CODE);
    for (let index = 0; index < SIGHTING_COUNT; index++) {
      const record = index % 2 === 0 && withObserved.length > 0 ? rng.pick(withObserved) : rng.pick(this.indicatorRecords);
      const where = rng.shuffle(sighters).slice(0, rng.weighted([[1, 60], [2, 25], [3, 15]] as const));
      const reporter = where[0]!;
      const indicatorCreated = DemoBuilder.createdOf(record.indicator);
      const firstSeen = this.after(indicatorCreated);
      const lastSeen = Math.min(this.now - DAY, firstSeen + rng.int(20 * DAY));
      const sighting = this.sdo(
        'sighting',
        {
          first_seen: stixTimestamp(firstSeen),
          last_seen: stixTimestamp(lastSeen),
          count: rng.between(1, 250),
          sighting_of_ref: record.indicator.id,
          ...(record.observedData && rng.chance(0.8) ? { observed_data_refs: [record.observedData.id] } : {}),
          where_sighted_refs: where.map((m) => m.identityId),
          summary: false,
        },
        { creator: reporter, created: Math.min(this.now - DAY, lastSeen + rng.int(DAY)), modified: Math.min(this.now - DAY, lastSeen + DAY) },
      );
      this.sightings.push(sighting);
    }
  }

  // ----- reports, notes, opinions, groupings -----

  private buildAnalysis(): void {
    const rng = this.rng;
    const byTarget = new Map<string, IndicatorRecord[]>();
    for (const record of this.indicatorRecords) {
      if (!record.target) continue;
      const list = byTarget.get(record.target.id) ?? [];
      list.push(record);
      byTarget.set(record.target.id, list);
    }
    const subjectRelationships = new Map<string, StixObject[]>();
    for (const relationship of this.relationships) {
      const source = String(relationship.source_ref);
      const list = subjectRelationships.get(source) ?? [];
      list.push(relationship);
      subjectRelationships.set(source, list);
    }

    const reports: StixObject[] = [];
    for (let index = 0; index < REPORT_COUNT; index++) {
      const subject = index % 2 === 0 ? this.campaigns[(index / 2) % this.campaigns.length]! : this.intrusionSets[index % this.intrusionSets.length]!;
      const related = subjectRelationships.get(subject.id) ?? [];
      const relatedTargets = related.map((r) => String(r.target_ref));
      const records = [
        ...(byTarget.get(subject.id) ?? []),
        ...relatedTargets.flatMap((id) => byTarget.get(id) ?? []),
      ].slice(0, rng.between(8, 25));
      const refs = new Set<string>([subject.id, ...related.map((r) => r.id), ...relatedTargets]);
      for (const record of records) {
        refs.add(record.indicator.id);
        for (const r of record.relationships) refs.add(r.id);
        if (record.observedData) refs.add(record.observedData.id);
      }
      const subjectName = String(subject.name);
      const times = [...refs].map((id) => this.createdById(id));
      const created = this.after(...times);
      const creator = this.pickCreator();
      const report = this.sdo(
        'report',
        {
          name: `${subjectName}: ${rng.pick(['activity update', 'technical analysis', 'indicator bulletin', 'situation report'])} ${index + 1}`,
          description: `${SYNTHETIC_NOTICE}. Fictional ${subject.type === 'campaign' ? 'campaign' : 'intrusion set'} report on ${subjectName}; no real actor, victim or infrastructure is described.`,
          report_types: subject.type === 'campaign' ? ['campaign', 'threat-report'] : ['intrusion-set', 'threat-report'],
          published: stixTimestamp(created),
          object_refs: [...refs],
          labels: [DEMO_REPORT_LABEL],
        },
        { creator, created },
      );
      reports.push(report);
    }
    this.analysis.push(...reports);

    const noteTargets: StixObject[] = [...reports, ...this.malwareFamilies, ...this.indicators.slice(0, 200)];
    for (let index = 0; index < NOTE_COUNT; index++) {
      const targets = rng.shuffle(noteTargets).slice(0, rng.between(1, 2));
      const creator = this.pickCreator();
      this.analysis.push(
        this.sdo(
          'note',
          {
            abstract: rng.pick(['Analyst comment', 'Additional context', 'Hunting tip', 'Correlation observed']),
            content: `${SYNTHETIC_NOTICE}. ${rng.pick([
              'Seen together with lateral movement over remote desktop in two member networks.',
              'The same infrastructure was reused after a short pause; expect renewed activity.',
              'Hunting on proxy logs for the listed user agent gave early warning.',
              'Low confidence: single source, not yet corroborated by another member.',
            ])}`,
            authors: [creator.name],
            object_refs: targets.map((t) => t.id),
          },
          { creator, created: this.after(...targets.map((t) => DemoBuilder.createdOf(t))) },
        ),
      );
    }

    const opinionTargets: StixObject[] = [...reports, ...this.indicators.slice(0, 300), ...this.sightings.slice(0, 50)];
    for (let index = 0; index < OPINION_COUNT; index++) {
      const target = rng.pick(opinionTargets);
      const creator = this.pickCreator();
      this.analysis.push(
        this.sdo(
          'opinion',
          {
            opinion: rng.weighted([['strongly-agree', 20], ['agree', 40], ['neutral', 20], ['disagree', 15], ['strongly-disagree', 5]] as const),
            explanation: `${SYNTHETIC_NOTICE}. ${rng.pick(['Matches our own telemetry.', 'Not observed in our constituency.', 'Consistent with earlier reporting.', 'Likely a shared hosting false positive.'])}`,
            authors: [creator.name],
            object_refs: [target.id],
          },
          { creator, created: this.after(DemoBuilder.createdOf(target)) },
        ),
      );
    }

    for (let index = 0; index < GROUPING_COUNT; index++) {
      const context = rng.pick(['suspicious-activity', 'malware-analysis', 'unspecified']);
      const members: StixObject[] =
        context === 'malware-analysis'
          ? [rng.pick(this.malwareFamilies), ...rng.shuffle(this.indicators).slice(0, rng.between(3, 10))]
          : [rng.pick(reports), ...rng.shuffle(this.sightings).slice(0, rng.between(2, 6))];
      this.analysis.push(
        this.sdo(
          'grouping',
          {
            name: `Working set ${index + 1}: ${context.replace(/-/g, ' ')}`,
            description: `${SYNTHETIC_NOTICE}. Analyst working set.`,
            context,
            object_refs: members.map((m) => m.id),
          },
          { created: this.after(...members.map((m) => DemoBuilder.createdOf(m))) },
        ),
      );
    }
  }

  private createdById(id: string): number {
    if (this.createdIndex.size === 0) {
      for (const list of [this.head, this.locations, this.domain, this.observed, this.indicators, this.relationships]) {
        for (const object of list) if (!this.createdIndex.has(object.id)) this.createdIndex.set(object.id, DemoBuilder.createdOf(object));
      }
    }
    return this.createdIndex.get(id) ?? 0;
  }
  private readonly createdIndex = new Map<string, number>();

  // ----- later versions and revocations -----

  private nextVersion(previous: StixObject, changes: Record<string, unknown>): StixObject {
    const previousModified = Date.parse(String(previous.modified));
    const modified = Math.min(this.now, previousModified + 1 + this.rng.int(Math.max(1, this.now - previousModified)));
    const version: StixObject = { ...previous, ...changes, modified: stixTimestamp(Math.max(previousModified + 1, modified)) };
    this.versions.push(version);
    return version;
  }

  private buildVersions(): void {
    const rng = this.rng;
    for (const malware of rng.shuffle(this.malwareFamilies).slice(0, 4)) {
      const v2 = this.nextVersion(malware, { description: `${String(malware.description)} Updated with new samples.` });
      this.nextVersion(v2, {
        description: `${String(v2.description)} Capabilities revised.`,
        capabilities: rng.shuffle(MALWARE_CAPABILITIES).slice(0, 4),
      });
    }
    for (const set of rng.shuffle(this.intrusionSets).slice(0, 4)) {
      this.nextVersion(set, { aliases: [...(set.aliases as string[]), `${String(set.name).split(' ')[0]!.toUpperCase()}-ALT`] });
    }
    for (const report of rng.shuffle(this.analysis.filter((o) => o.type === 'report')).slice(0, 3)) {
      this.nextVersion(report, { description: `${String(report.description)} Revised after member feedback.` });
    }
    const candidates = rng.shuffle(this.indicators);
    for (const indicator of candidates.slice(0, 5)) {
      this.nextVersion(indicator, { confidence: 100, labels: [...(indicator.labels as string[]), 'confirmed'] });
    }
    for (const indicator of candidates.slice(5, 13)) {
      this.nextVersion(indicator, { revoked: true });
    }
    const tool = rng.pick(this.tools);
    this.nextVersion(tool, { revoked: true });
  }
}
