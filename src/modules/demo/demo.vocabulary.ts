/**
 * The demo alliance's data: its members, the fictional vocabulary its objects are drawn from and
 * its handling markings. The data lives in alliance/*.json beside this file (the build copies the
 * folder to dist/); it is read once, when this module loads, and checked against the schemas
 * below, so a broken edit fails at start with the file and the path of the mistake.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Tlp } from '../../policy/markings.js';
import { DEMO_ALLIANCE_CODE, SYNTHETIC_NOTICE, type MemberKind } from './demo.model.js';

const DATA_FOLDER = new URL('./alliance/', import.meta.url);

function readData<S extends TSchema>(file: string, schema: S): Static<S> {
  const url = new URL(file, DATA_FOLDER);
  const data: unknown = JSON.parse(readFileSync(url, 'utf8'));
  const error = Value.Errors(schema, data).First();
  if (error) throw new Error(`demo data ${url.pathname}: ${error.path || '/'} ${error.message}`);
  return data as Static<S>;
}

const Words = Type.Array(Type.String(), { minItems: 1 });
const TlpLevel = Type.Union([
  Type.Literal('clear'),
  Type.Literal('green'),
  Type.Literal('amber'),
  Type.Literal('amber+strict'),
  Type.Literal('red'),
]);

// ---------------------------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------------------------

const NationalMember = Type.Object({ code: Type.String(), alpha2: Type.String(), country: Type.String(), region: Type.String() });
const Organisation = Type.Object({
  code: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('international-organisation'), Type.Literal('industry')]),
  sectors: Words,
  /** Follows "Synthetic demo data: ". */
  description: Type.String(),
});
const MembersFile = Type.Object({
  allies: Type.Array(NationalMember),
  partners: Type.Array(NationalMember),
  organisations: Type.Array(Organisation),
});

export interface MemberSpec {
  code: string;
  name: string;
  kind: MemberKind;
  country: string | null;
  /** ISO 3166-1 alpha-2, for the STIX location object. */
  alpha2?: string;
  countryName?: string;
  region?: string;
  sectors: string[];
  description: string;
}

const MEMBERS = readData('members.json', MembersFile);
if (!MEMBERS.organisations.some((o) => o.code === DEMO_ALLIANCE_CODE)) {
  throw new Error(`demo data members.json: the organisations must include the alliance's own, ${DEMO_ALLIANCE_CODE}`);
}

/** Allies, then partners, then the organisations, in the order of the data file. */
export function memberSpecs(): MemberSpec[] {
  const national = (kind: MemberKind, member: Static<typeof NationalMember>): MemberSpec => {
    const { code, alpha2, country: countryName, region } = member;
    return {
      code,
      name: `${countryName} national CERT (demo)`,
      kind,
      country: code,
      alpha2,
      countryName,
      region,
      sectors: ['government-national', 'defense'],
      description:
        `${SYNTHETIC_NOTICE}: a fictional stand-in for the national CERT of ${countryName} ` +
        `(${kind === 'ally' ? 'Ally' : 'partner country'}). Not an official record of any real organisation.`,
    };
  };
  return [
    ...MEMBERS.allies.map((member) => national('ally', member)),
    ...MEMBERS.partners.map((member) => national('partner', member)),
    ...MEMBERS.organisations.map((o) => ({
      code: o.code,
      name: o.name,
      kind: o.kind,
      country: null,
      sectors: [...o.sectors],
      description: `${SYNTHETIC_NOTICE}: ${o.description}`,
    })),
  ];
}

// ---------------------------------------------------------------------------------------------
// Fictional vocabulary
// ---------------------------------------------------------------------------------------------

const VocabularyFile = Type.Object({
  intrusionSetNames: Type.Object({ first: Words, second: Words }),
  threatActors: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), motivation: Type.String() }), { minItems: 1 }),
  campaignNames: Type.Object({ adjectives: Words, nouns: Words }),
  malwareFamilies: Type.Array(Type.Object({ name: Type.String(), types: Words }), { minItems: 1 }),
  malwareCapabilities: Words,
  implementationLanguages: Words,
  executionEnvironments: Words,
  tools: Type.Array(Type.Object({ name: Type.String(), type: Type.String() }), { minItems: 1 }),
  attackPatterns: Type.Array(Type.Object({ name: Type.String(), phase: Type.String() }), { minItems: 1 }),
  products: Words,
  infrastructureTypes: Words,
  coursesOfAction: Words,
  sectors: Words,
  words: Words,
  hostWords: Words,
  reservedDomains: Words,
  firstNames: Words,
  lastNames: Words,
  emailSubjects: Words,
  fileNames: Words,
  registryKeys: Words,
  userAgentTools: Words,
  softwareVendors: Words,
  processImages: Words,
  documentationIpv4Prefixes: Words,
  documentationAsns: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 }),
});

const VOCABULARY = readData('vocabulary.json', VocabularyFile);

export const INTRUSION_FIRST: readonly string[] = VOCABULARY.intrusionSetNames.first;
export const INTRUSION_SECOND: readonly string[] = VOCABULARY.intrusionSetNames.second;
export const THREAT_ACTORS: ReadonlyArray<readonly [string, string, string]> = VOCABULARY.threatActors.map((a) => [a.name, a.type, a.motivation] as const);
export const CAMPAIGN_ADJECTIVES: readonly string[] = VOCABULARY.campaignNames.adjectives;
export const CAMPAIGN_NOUNS: readonly string[] = VOCABULARY.campaignNames.nouns;
export const MALWARE_FAMILIES: ReadonlyArray<readonly [string, string[]]> = VOCABULARY.malwareFamilies.map((f) => [f.name, f.types] as const);
export const MALWARE_CAPABILITIES: readonly string[] = VOCABULARY.malwareCapabilities;
export const IMPLEMENTATION_LANGUAGES: readonly string[] = VOCABULARY.implementationLanguages;
export const EXECUTION_ENVS: readonly string[] = VOCABULARY.executionEnvironments;
export const TOOLS: ReadonlyArray<readonly [string, string]> = VOCABULARY.tools.map((t) => [t.name, t.type] as const);
export const ATTACK_PATTERNS: ReadonlyArray<readonly [string, string]> = VOCABULARY.attackPatterns.map((p) => [p.name, p.phase] as const);
export const FICTIONAL_PRODUCTS: readonly string[] = VOCABULARY.products;
export const INFRASTRUCTURE_TYPES: readonly string[] = VOCABULARY.infrastructureTypes;
export const COURSES_OF_ACTION: readonly string[] = VOCABULARY.coursesOfAction;
export const SECTORS: readonly string[] = VOCABULARY.sectors;
export const WORDS: readonly string[] = VOCABULARY.words;
export const HOST_WORDS: readonly string[] = VOCABULARY.hostWords;
export const RESERVED_DOMAINS: readonly string[] = VOCABULARY.reservedDomains;
export const FIRST_NAMES: readonly string[] = VOCABULARY.firstNames;
export const LAST_NAMES: readonly string[] = VOCABULARY.lastNames;
export const EMAIL_SUBJECTS: readonly string[] = VOCABULARY.emailSubjects;
export const FILE_NAMES: readonly string[] = VOCABULARY.fileNames;
export const REGISTRY_KEYS: readonly string[] = VOCABULARY.registryKeys;
export const USER_AGENT_TOOLS: readonly string[] = VOCABULARY.userAgentTools;
export const SOFTWARE_VENDORS: readonly string[] = VOCABULARY.softwareVendors;
export const PROCESS_IMAGES: readonly string[] = VOCABULARY.processImages;
/** The three IPv4 /24 blocks reserved for documentation (RFC 5737), as their first three octets. */
export const DOCUMENTATION_IPV4: readonly string[] = VOCABULARY.documentationIpv4Prefixes;
/** Autonomous system numbers reserved for documentation (RFC 5398). */
export const DOCUMENTATION_ASNS: readonly number[] = VOCABULARY.documentationAsns;

// ---------------------------------------------------------------------------------------------
// Handling markings
// ---------------------------------------------------------------------------------------------

const MarkingsFile = Type.Object({
  tlpWeights: Type.Array(Type.Object({ tlp: TlpLevel, weight: Type.Number({ minimum: 0 }) }), { minItems: 1 }),
  handling: Type.Array(
    Type.Object({
      key: Type.String(),
      classification: Type.String(),
      releasableTo: Words,
      weight: Type.Number({ minimum: 0 }),
      originators: Type.Optional(Words),
      openToAll: Type.Optional(Type.Boolean()),
      minimumTlp: TlpLevel,
    }),
    { minItems: 1 },
  ),
});

export interface HandlingSpec {
  key: string;
  classification: string;
  releasableTo: string[];
  weight: number;
  /** Creators allowed to apply it: undefined means any Ally or alliance body. */
  originators?: string[];
  /** Open to partners, international organisations and industry as originators. */
  openToAll?: boolean;
  minimumTlp: Tlp;
}

const MARKINGS = readData('markings.json', MarkingsFile);

export const TLP_WEIGHTS: ReadonlyArray<readonly [Tlp, number]> = MARKINGS.tlpWeights.map((w) => [w.tlp, w.weight] as const);
export const HANDLING_SPECS: readonly HandlingSpec[] = MARKINGS.handling;
