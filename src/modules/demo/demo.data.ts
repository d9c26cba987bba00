/**
 * The synthetic demo alliance: members, their STIX identities, handling markings and a
 * realistic, entirely fictional intelligence set. Pure and deterministic: the same seed and
 * `now` always give the same objects. Every address, domain and name is reserved for
 * documentation or invented, so nothing real is implicated.
 */
import { computeScoId } from '../../stix/sco-id.js';
import type { StixObject } from '../../stix/types.js';
import {
  HANDLING_EXTENSION_ID,
  tlpMarkingDefinition,
  TLP2_MARKING_IDS,
  TLP_LEVELS,
  handlingMarkingDefinition,
  type Tlp,
} from '../../policy/markings.js';

import type { MemberKind } from '../directory/directory.service.js';

export type { MemberKind };

export interface DemoMember {
  code: string;
  name: string;
  kind: MemberKind;
  country: string | null;
  /** identity--<uuid> of the member's STIX identity. */
  identityId: string;
}

export interface DemoAlliance {
  members: DemoMember[];
  objects: StixObject[];
}

export const DEMO_DEFAULT_SEED = 0x5eed2025;
export const DEMO_DEFAULT_NOW = '2025-06-01T00:00:00.000Z';
export const DEMO_REPORT_LABEL = 'synthetic-demo';
export const SYNTHETIC_NOTICE = 'Synthetic demo data';
export const DEMO_ALLIANCE_CODE = 'NCIRC';

// ---------------------------------------------------------------------------------------------
// Seeded randomness and ids
// ---------------------------------------------------------------------------------------------

export interface Rng {
  /** Next unsigned 32-bit integer. */
  u32(): number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T;
  shuffle<T>(items: readonly T[]): T[];
  /** `chars` lowercase hexadecimal digits. */
  hex(chars: number): string;
  /** A UUID in version 4 form. */
  uuid(): string;
}

const HEX_BYTES: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const VARIANT_DIGITS = '89ab';

/** Eight lowercase hexadecimal digits of an unsigned 32-bit integer. */
export function hex32(value: number): string {
  return HEX_BYTES[value >>> 24]! + HEX_BYTES[(value >>> 16) & 255]! + HEX_BYTES[(value >>> 8) & 255]! + HEX_BYTES[value & 255]!;
}

/** mulberry32: small, fast and good enough for synthetic data. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const u32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => u32() / 4294967296;
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  const hex = (chars: number): string => {
    let out = '';
    while (out.length < chars) out += hex32(u32());
    return out.length === chars ? out : out.slice(0, chars);
  };
  return {
    u32,
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (probability) => next() < probability,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[int(items.length)]!;
    },
    weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
      let total = 0;
      for (const [, weight] of entries) total += weight;
      let roll = next() * total;
      for (const [value, weight] of entries) {
        roll -= weight;
        if (roll < 0) return value;
      }
      const last = entries[entries.length - 1];
      if (!last) throw new RangeError('weighted pick from an empty list');
      return last[0];
    },
    shuffle<T>(items: readonly T[]): T[] {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const swap = out[i]!;
        out[i] = out[j]!;
        out[j] = swap;
      }
      return out;
    },
    hex,
    uuid(): string {
      const a = u32();
      const b = u32();
      const c = u32();
      const d = u32();
      const bHex = hex32(b);
      const cHex = hex32(c);
      return (
        `${hex32(a)}-${bHex.slice(0, 4)}-4${bHex.slice(5)}-` +
        `${VARIANT_DIGITS[(c >>> 28) & 3]!}${cHex.slice(1, 4)}-${cHex.slice(4)}${hex32(d)}`
      );
    },
  };
}

/** A STIX pattern string literal. */
export function patternLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** STIX timestamp with millisecond precision: YYYY-MM-DDTHH:mm:ss.sssZ. */
export function stixTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

// ---------------------------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------------------------

interface MemberSpec {
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

const ALLIES: ReadonlyArray<readonly [string, string, string, string]> = [
  ['ALB', 'AL', 'Albania', 'southern-europe'],
  ['BEL', 'BE', 'Belgium', 'western-europe'],
  ['BGR', 'BG', 'Bulgaria', 'eastern-europe'],
  ['CAN', 'CA', 'Canada', 'northern-america'],
  ['HRV', 'HR', 'Croatia', 'southern-europe'],
  ['CZE', 'CZ', 'Czechia', 'eastern-europe'],
  ['DNK', 'DK', 'Denmark', 'northern-europe'],
  ['EST', 'EE', 'Estonia', 'northern-europe'],
  ['FIN', 'FI', 'Finland', 'northern-europe'],
  ['FRA', 'FR', 'France', 'western-europe'],
  ['DEU', 'DE', 'Germany', 'western-europe'],
  ['GRC', 'GR', 'Greece', 'southern-europe'],
  ['HUN', 'HU', 'Hungary', 'eastern-europe'],
  ['ISL', 'IS', 'Iceland', 'northern-europe'],
  ['ITA', 'IT', 'Italy', 'southern-europe'],
  ['LVA', 'LV', 'Latvia', 'northern-europe'],
  ['LTU', 'LT', 'Lithuania', 'northern-europe'],
  ['LUX', 'LU', 'Luxembourg', 'western-europe'],
  ['MNE', 'ME', 'Montenegro', 'southern-europe'],
  ['NLD', 'NL', 'Netherlands', 'western-europe'],
  ['MKD', 'MK', 'North Macedonia', 'southern-europe'],
  ['NOR', 'NO', 'Norway', 'northern-europe'],
  ['POL', 'PL', 'Poland', 'eastern-europe'],
  ['PRT', 'PT', 'Portugal', 'southern-europe'],
  ['ROU', 'RO', 'Romania', 'eastern-europe'],
  ['SVK', 'SK', 'Slovakia', 'eastern-europe'],
  ['SVN', 'SI', 'Slovenia', 'southern-europe'],
  ['ESP', 'ES', 'Spain', 'southern-europe'],
  ['SWE', 'SE', 'Sweden', 'northern-europe'],
  ['TUR', 'TR', 'Türkiye', 'western-asia'],
  ['GBR', 'GB', 'United Kingdom', 'northern-europe'],
  ['USA', 'US', 'United States', 'northern-america'],
];

const PARTNERS: ReadonlyArray<readonly [string, string, string, string]> = [
  ['AUS', 'AU', 'Australia', 'australia-new-zealand'],
  ['IRL', 'IE', 'Ireland', 'northern-europe'],
  ['JPN', 'JP', 'Japan', 'eastern-asia'],
  ['KOR', 'KR', 'Republic of Korea', 'eastern-asia'],
  ['NZL', 'NZ', 'New Zealand', 'australia-new-zealand'],
  ['UKR', 'UA', 'Ukraine', 'eastern-europe'],
];

function memberSpecs(): MemberSpec[] {
  const national = (kind: MemberKind, row: readonly [string, string, string, string]): MemberSpec => {
    const [code, alpha2, countryName, region] = row;
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
    ...ALLIES.map((row) => national('ally', row)),
    ...PARTNERS.map((row) => national('partner', row)),
    {
      code: 'CERT-EU',
      name: 'CERT-EU (demo)',
      kind: 'international-organisation',
      country: null,
      sectors: ['government', 'government-public-services'],
      description:
        `${SYNTHETIC_NOTICE}: a fictional stand-in for the cybersecurity service of the EU institutions, ` +
        'sharing under a technical arrangement. Not an official record.',
    },
    {
      code: DEMO_ALLIANCE_CODE,
      name: 'Alliance Computer Incident Response Capability (demo)',
      kind: 'international-organisation',
      country: null,
      sectors: ['defense', 'government'],
      description:
        `${SYNTHETIC_NOTICE}: the alliance's own incident response capability, protecting the ` +
        "alliance's networks round the clock. Publisher of the demo set's reference objects.",
    },
    {
      code: 'IND-QUILLFEATHER',
      name: 'Quillfeather Secure Networks (fictional)',
      kind: 'industry',
      country: null,
      sectors: ['technology', 'telecommunications'],
      description: `${SYNTHETIC_NOTICE}: a fictional managed security provider in the industry cyber partnership.`,
    },
    {
      code: 'IND-BRIGHTMARROW',
      name: 'Brightmarrow Cloud Defence (fictional)',
      kind: 'industry',
      country: null,
      sectors: ['technology', 'defense'],
      description: `${SYNTHETIC_NOTICE}: a fictional cloud and defence-electronics supplier in the industry cyber partnership.`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Fictional vocabulary
// ---------------------------------------------------------------------------------------------

const INTRUSION_FIRST = [
  'Quillwort', 'Tamarisk', 'Marram', 'Sorrel', 'Yarrow', 'Bracken', 'Teasel', 'Burdock', 'Tansy', 'Vetch',
  'Sedge', 'Mallow', 'Fennel', 'Lichen', 'Saffron', 'Thistle', 'Clover', 'Heather', 'Madder', 'Rushlight',
];
const INTRUSION_SECOND = [
  'Abacus', 'Lantern', 'Loom', 'Sextant', 'Kettle', 'Compass', 'Quill', 'Orrery', 'Astrolabe', 'Bellows',
  'Tinderbox', 'Sundial', 'Plumbline', 'Hourglass', 'Gyroscope', 'Pendulum', 'Anvil', 'Spindle', 'Trowel', 'Metronome',
];
const THREAT_ACTORS: ReadonlyArray<readonly [string, string, string]> = [
  ['The Lamplighter Syndicate', 'crime-syndicate', 'personal-gain'],
  ['Brinewatch Collective', 'activist', 'ideology'],
  ['Operator Grey Wicket', 'nation-state', 'organizational-gain'],
  ['Cinderfold Group', 'criminal', 'personal-gain'],
  ['The Orchard Cartographers', 'spy', 'organizational-gain'],
  ['Moth-and-Ledger', 'crime-syndicate', 'personal-gain'],
  ['Saltmarsh Guild', 'nation-state', 'dominance'],
  ['Unit Foxglove-Nine', 'nation-state', 'organizational-gain'],
  ['The Quiet Tessellators', 'hacker', 'notoriety'],
  ['Ashgrove Brokers', 'criminal', 'personal-gain'],
];
const CAMPAIGN_ADJECTIVES = [
  'Paper', 'Silent', 'Hollow', 'Copper', 'Salt', 'Lantern', 'Winter', 'Northern', 'Broken', 'Glass',
  'Quiet', 'Distant', 'Folded', 'Tidal', 'Ashen', 'Mirrored', 'Patient', 'Borrowed', 'Crooked', 'Sunken',
];
const CAMPAIGN_NOUNS = [
  'Harbour', 'Ledger', 'Bridge', 'Orchard', 'Causeway', 'Lighthouse', 'Archive', 'Meadow', 'Quarry', 'Signal',
  'Ferry', 'Cistern', 'Atlas', 'Canal', 'Bastion', 'Weir', 'Granary', 'Belfry', 'Tollgate', 'Pylon',
];
const MALWARE_FAMILIES: ReadonlyArray<readonly [string, string[]]> = [
  ['PaperKite', ['downloader']],
  ['HollowReed', ['backdoor', 'remote-access-trojan']],
  ['QuillStep', ['dropper']],
  ['LanternMoth', ['spyware', 'keylogger']],
  ['BrineLoader', ['downloader', 'dropper']],
  ['MarrowRAT', ['remote-access-trojan']],
  ['TallowWiper', ['wiper']],
  ['CinderQuill', ['ransomware']],
  ['FerrySpool', ['backdoor']],
  ['DuneCipher', ['ransomware']],
  ['OakumLoader', ['downloader']],
  ['SpindleKey', ['keylogger', 'spyware']],
  ['KelpTunnel', ['backdoor']],
  ['PewterShell', ['webshell']],
  ['GildedLatch', ['rootkit']],
  ['SorrelSteal', ['spyware']],
  ['TarnBeacon', ['bot']],
  ['WickerDrop', ['dropper']],
  ['FlintBridge', ['remote-access-trojan']],
  ['MossCrypt', ['ransomware']],
  ['VellumSpy', ['spyware', 'screen-capture']],
  ['RookeryWorm', ['worm']],
  ['SiltBoot', ['bootkit']],
  ['GarnerBot', ['bot', 'ddos']],
];
const MALWARE_CAPABILITIES = [
  'communicates-with-c2', 'exfiltrates-data', 'persists-after-system-reboot', 'steals-authentication-credentials',
  'evades-av', 'fingerprints-host', 'probes-network-environment', 'installs-other-components', 'escalates-privileges',
  'captures-input-peripherals', 'compromises-data-availability', 'anti-sandbox', 'hides-artifacts',
];
const IMPLEMENTATION_LANGUAGES = ['c', 'c++', 'go', 'rust', 'powershell', 'python'];
const EXECUTION_ENVS = ['x86', 'x86-64', 'arm'];
const TOOLS: ReadonlyArray<readonly [string, string]> = [
  ['Tunnelsmith', 'remote-access'],
  ['Credsieve', 'credential-exploitation'],
  ['Portlantern', 'information-gathering'],
  ['Hivecopy', 'credential-exploitation'],
  ['Relaywright', 'remote-access'],
  ['Shardpack', 'exploitation'],
  ['Ledgerdump', 'information-gathering'],
  ['Beaconweave', 'remote-access'],
  ['Nettlescan', 'vulnerability-scanning'],
  ['Driftproxy', 'remote-access'],
  ['Keelhaul', 'denial-of-service'],
  ['Burrowcap', 'network-capture'],
];
const ATTACK_PATTERNS: ReadonlyArray<readonly [string, string]> = [
  ['Spearphishing with a malicious attachment', 'delivery'],
  ['Spearphishing with a malicious link', 'delivery'],
  ['Exploitation of a public-facing application', 'exploitation'],
  ['Valid accounts obtained from earlier compromise', 'exploitation'],
  ['Supply-chain compromise of a software update', 'delivery'],
  ['Credential dumping from process memory', 'actions-on-objectives'],
  ['Password spraying against remote services', 'exploitation'],
  ['Registry run key persistence', 'installation'],
  ['Scheduled task persistence', 'installation'],
  ['Web shell on an internet-facing server', 'installation'],
  ['Command and control over HTTPS', 'command-and-control'],
  ['Command and control over DNS', 'command-and-control'],
  ['Proxy chaining through compromised routers', 'command-and-control'],
  ['Exfiltration over the command and control channel', 'actions-on-objectives'],
  ['Data destruction on network shares', 'actions-on-objectives'],
  ['Data encrypted for impact', 'actions-on-objectives'],
  ['Network service discovery', 'reconnaissance'],
  ['Gathering victim identity information', 'reconnaissance'],
  ['Obfuscated scripts', 'weaponization'],
  ['Signed binary proxy execution', 'installation'],
  ['Lateral movement over remote desktop', 'actions-on-objectives'],
  ['Abuse of cloud administration interfaces', 'exploitation'],
  ['Denial of service against public portals', 'actions-on-objectives'],
  ['Archive collected data before exfiltration', 'actions-on-objectives'],
];
const FICTIONAL_PRODUCTS = [
  'Harbourgate VPN appliance', 'Ledgerline mail gateway', 'Cormorant file transfer server', 'Tessel identity portal',
  'Orrery collaboration suite', 'Sextant remote management agent', 'Bellwether firewall', 'Quayside content manager',
  'Plinth hypervisor', 'Larchwood helpdesk', 'Mizzen print server', 'Gantry CI server',
];
const INFRASTRUCTURE_TYPES = ['command-and-control', 'hosting-malware', 'phishing', 'staging', 'exfiltration', 'anonymization', 'botnet'];
const COURSES_OF_ACTION = [
  'Block outbound traffic to listed command and control addresses',
  'Sinkhole listed malicious domains at the national resolvers',
  'Apply vendor patch and rotate appliance credentials',
  'Enforce phishing-resistant multi-factor authentication',
  'Hunt for listed file hashes on endpoints',
  'Disable legacy authentication protocols',
  'Restrict script interpreters by application control',
  'Isolate and reimage affected hosts',
  'Reset credentials of exposed service accounts',
  'Monitor for anomalous registry run keys',
  'Rate-limit and geo-fence public portals',
  'Revoke and reissue compromised certificates',
  'Segment management networks from user networks',
  'Quarantine messages matching listed subjects',
  'Review cloud administration audit logs',
  'Restore from offline backups after wiper activity',
];
const SECTORS = ['defense', 'government-national', 'energy', 'telecommunications', 'transportation', 'financial-services', 'healthcare', 'technology'];
const WORDS = [
  'lantern', 'harbour', 'ledger', 'quill', 'orchard', 'signal', 'ferry', 'granary', 'tollgate', 'belfry',
  'cistern', 'atlas', 'causeway', 'meadow', 'weir', 'pylon', 'anvil', 'spindle', 'kettle', 'compass',
];
const HOST_WORDS = ['cdn', 'update', 'sync', 'portal', 'mail', 'login', 'docs', 'files', 'api', 'static', 'vpn', 'secure'];
const RESERVED_DOMAINS = ['example', 'test', 'invalid', 'example.com', 'example.net', 'example.org'];
const FIRST_NAMES = ['alex', 'sam', 'robin', 'kim', 'jo', 'max', 'charlie', 'noa', 'eli', 'riley'];
const LAST_NAMES = ['moreau', 'novak', 'jensen', 'kowalski', 'silva', 'horvat', 'berg', 'costa', 'varga', 'ivanova'];
const EMAIL_SUBJECTS = [
  'Updated duty roster for the coming exercise',
  'Invoice overdue - action required',
  'Invitation: cyber defence working group',
  'Revised travel authorisation form',
  'Your mailbox quota is nearly full',
  'Conference agenda and speaker notes',
  'Security advisory: mandatory password change',
  'Minutes of the last committee meeting',
];
const FILE_NAMES = [
  'invoice_2841.pdf.exe', 'agenda_final.docm', 'update_helper.dll', 'roster.xlsm', 'svcupdate.exe',
  'drivers_pack.msi', 'report_scan.lnk', 'meeting_notes.js', 'setup64.exe', 'readme.hta',
];
const REGISTRY_KEYS = [
  'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
  'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
  'HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services',
  'HKEY_CURRENT_USER\\Software\\Classes\\CLSID',
];
const USER_AGENT_TOOLS = ['LanternFetch', 'QuillAgent', 'HarbourSync', 'LedgerBot', 'SpindleHTTP'];
const SOFTWARE_VENDORS = ['Harbourgate Systems (fictional)', 'Ledgerline Ltd (fictional)', 'Plinth Virtual (fictional)'];
const PROCESS_IMAGES = ['svcupdate.exe', 'taskhelper.exe', 'syncagent.exe', 'lanternsvc.exe', 'rundll-helper.exe'];
const DOCUMENTATION_IPV4 = ['192.0.2', '198.51.100', '203.0.113'] as const;
const DOCUMENTATION_ASNS = [
  64496, 64497, 64498, 64499, 64500, 64501, 64502, 64503, 64504, 64505, 64506, 64507, 64508, 64509, 64510, 64511,
  65536, 65537, 65538, 65539, 65540, 65541, 65542, 65543, 65544, 65545, 65546, 65547, 65548, 65549, 65550, 65551,
];

const TLP_WEIGHTS: ReadonlyArray<readonly [Tlp, number]> = [
  ['clear', 10],
  ['green', 38],
  ['amber', 32],
  ['amber+strict', 12],
  ['red', 8],
];

interface HandlingSpec {
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

const HANDLING_SPECS: readonly HandlingSpec[] = [
  { key: 'u-alliance', classification: 'UNCLASSIFIED', releasableTo: ['ALLIANCE'], weight: 30, minimumTlp: 'green' },
  { key: 'r-alliance', classification: 'RESTRICTED', releasableTo: ['ALLIANCE'], weight: 30, minimumTlp: 'green' },
  {
    key: 'r-alliance-partners',
    classification: 'RESTRICTED',
    releasableTo: ['ALLIANCE', 'PARTNERS'],
    weight: 15,
    openToAll: true,
    minimumTlp: 'green',
  },
  {
    key: 'c-usa-gbr-can',
    classification: 'CONFIDENTIAL',
    releasableTo: ['USA', 'GBR', 'CAN'],
    weight: 8,
    originators: ['USA', 'GBR', 'CAN'],
    minimumTlp: 'amber',
  },
  { key: 's-alliance', classification: 'SECRET', releasableTo: ['ALLIANCE'], weight: 7, minimumTlp: 'amber' },
  {
    key: 'u-alliance-partners-certeu',
    classification: 'UNCLASSIFIED',
    releasableTo: ['ALLIANCE', 'PARTNERS', 'CERT-EU'],
    weight: 10,
    openToAll: true,
    minimumTlp: 'green',
  },
];

// ---------------------------------------------------------------------------------------------
// Indicator kinds
// ---------------------------------------------------------------------------------------------

export const DEMO_INDICATOR_KINDS = [
  'file-md5', 'file-sha1', 'file-sha256', 'file-name-hash', 'ipv4', 'ipv4-cidr', 'ipv6', 'ipv6-cidr', 'domain',
  'url', 'email-addr', 'email-subject', 'mutex', 'registry', 'user-account', 'x509', 'network-port', 'process',
  'software', 'autonomous-system', 'mac-addr', 'user-agent', 'compound',
] as const;
export type DemoIndicatorKind = (typeof DEMO_INDICATOR_KINDS)[number];

const INDICATOR_KIND_WEIGHTS: Readonly<Record<DemoIndicatorKind, number>> = {
  'file-md5': 6, 'file-sha1': 6, 'file-sha256': 11, 'file-name-hash': 4, ipv4: 10, 'ipv4-cidr': 3, ipv6: 4,
  'ipv6-cidr': 2, domain: 10, url: 8, 'email-addr': 5, 'email-subject': 3, mutex: 2, registry: 2,
  'user-account': 2, x509: 2, 'network-port': 2, process: 2, software: 1, 'autonomous-system': 1, 'mac-addr': 1,
  'user-agent': 2, compound: 5,
};

interface IndicatorSpec {
  label: string;
  pattern: string;
  types: string[];
  phase: string;
  observables?: () => StixObject[];
}

// ---------------------------------------------------------------------------------------------
// The builder
// ---------------------------------------------------------------------------------------------

const DAY = 86_400_000;
const INDICATOR_COUNT = 900;
const SIGHTING_COUNT = 300;
const REPORT_COUNT = 40;
const NOTE_COUNT = 60;
const OPINION_COUNT = 60;
const GROUPING_COUNT = 20;
const OBSERVABLE_SHARE = 0.33;

interface Member extends DemoMember {
  spec: MemberSpec;
}

interface IndicatorRecord {
  indicator: StixObject;
  target: StixObject | undefined;
  relationships: StixObject[];
  observedData: StixObject | undefined;
}

class DemoBuilder {
  private readonly rng: Rng;
  private readonly now: number;
  private readonly members: Member[] = [];
  private alliance!: Member;
  private readonly handling = new Map<string, { id: string; spec: HandlingSpec }>();

  private readonly head: StixObject[] = [];
  private readonly locations: StixObject[] = [];
  private readonly scos = new Map<string, StixObject>();
  private readonly domain: StixObject[] = [];
  private readonly observed: StixObject[] = [];
  private readonly indicators: StixObject[] = [];
  private readonly relationships: StixObject[] = [];
  private readonly sightings: StixObject[] = [];
  private readonly analysis: StixObject[] = [];
  private readonly versions: StixObject[] = [];

  private readonly locationByCode = new Map<string, StixObject>();
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
  private readonly creatorOf = new Map<string, Member>();

  private ipv4Order: number[] = [];
  private ipv4Next = 0;
  private ipv4Cidrs: string[] = [];
  private ipv4CidrNext = 0;
  private counter = 0;
  private compoundNext = 0;

  constructor(seed: number, now: number) {
    this.rng = createRng(seed);
    this.now = now;
  }

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
      ...this.scos.values(),
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

  // ----- time -----

  /** A creation time between `maxDaysAgo` and `minDaysAgo` days before now. */
  private past(minDaysAgo: number, maxDaysAgo: number): number {
    const span = (maxDaysAgo - minDaysAgo) * DAY;
    return this.now - minDaysAgo * DAY - this.rng.int(Math.max(1, span));
  }

  /** A time shortly after all the given ones, never later than two days before now. */
  private after(...times: number[]): number {
    const latest = Math.max(...times);
    return Math.min(this.now - 2 * DAY, latest + this.rng.int(5 * DAY) + 1000);
  }

  private static createdOf(object: StixObject): number {
    return typeof object.created === 'string' ? Date.parse(object.created) : 0;
  }

  // ----- members, creators and markings -----

  private pickCreator(): Member {
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

  private pickMarkings(creator: Member): string[] {
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

  private id(type: string): string {
    return `${type}--${this.rng.uuid()}`;
  }

  /** A STIX domain or relationship object with the common properties filled in. */
  private sdo(
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

  private buildMembersAndMarkings(): void {
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

  private buildLocations(): void {
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

  // ----- observables -----

  /** Adds a cyber-observable (deduplicated by its deterministic id) and returns it. */
  private sco(type: string, properties: Record<string, unknown>): StixObject {
    const id = computeScoId({ type, ...properties }) ?? this.id(type);
    const existing = this.scos.get(id);
    if (existing) return existing;
    const object: StixObject = {
      type,
      spec_version: '2.1',
      id,
      ...properties,
      object_marking_refs: [TLP2_MARKING_IDS[this.rng.weighted(TLP_WEIGHTS)]],
    };
    this.scos.set(id, object);
    return object;
  }

  private nextIpv4(): string {
    if (this.ipv4Order.length === 0) {
      const all: string[] = [];
      for (const prefix of DOCUMENTATION_IPV4) for (let host = 1; host <= 254; host++) all.push(`${prefix}.${host}`);
      this.ipv4Order = this.rng.shuffle(all.map((_, index) => index));
      this.ipv4All = all;
    }
    const index = this.ipv4Order[this.ipv4Next++ % this.ipv4Order.length]!;
    return this.ipv4All[index]!;
  }
  private ipv4All: string[] = [];

  private nextIpv4Cidr(): string {
    if (this.ipv4Cidrs.length === 0) {
      const all: string[] = [];
      for (const prefix of DOCUMENTATION_IPV4) {
        for (let length = 24; length <= 30; length++) {
          const size = 2 ** (32 - length);
          for (let base = 0; base < 256; base += size) all.push(`${prefix}.${base}/${length}`);
        }
      }
      this.ipv4Cidrs = this.rng.shuffle(all);
    }
    return this.ipv4Cidrs[this.ipv4CidrNext++ % this.ipv4Cidrs.length]!;
  }

  private nextIpv6(): string {
    const n = ++this.counter;
    return `2001:db8:${(0x100 + this.rng.int(0xfe00)).toString(16)}:${n.toString(16)}::${(1 + this.rng.int(0xfffe)).toString(16)}`;
  }

  private nextIpv6Cidr(): string {
    const n = ++this.counter;
    return this.rng.chance(0.5)
      ? `2001:db8:${(0x100 + this.rng.int(0xfe00)).toString(16)}:${n.toString(16)}::/64`
      : `2001:db8:${n.toString(16)}${this.rng.int(16).toString(16)}::/48`;
  }

  private nextDomain(): string {
    const n = ++this.counter;
    return `${this.rng.pick(HOST_WORDS)}-${this.rng.pick(WORDS)}${n}.${this.rng.pick(RESERVED_DOMAINS)}`;
  }

  private nextUrl(): string {
    const host = this.rng.chance(0.15) ? this.nextIpv4() : this.nextDomain();
    const path = `${this.rng.pick(['dl', 'gate', 'static', 'api/v2', 'wp-content/uploads', 'files'])}/${this.rng.hex(10)}`;
    return `${this.rng.pick(['https', 'https', 'http'])}://${host}/${path}${this.rng.pick(['', '.php', '.zip', '.js', '?id=' + this.rng.int(9999)])}`;
  }

  private nextEmail(): string {
    const n = ++this.counter;
    return `${this.rng.pick(FIRST_NAMES)}.${this.rng.pick(LAST_NAMES)}${n}@${this.rng.pick(['example.com', 'example.org', 'example.net', 'mail.example'])}`;
  }

  private nextMac(): string {
    return `00:00:5e:00:53:${this.rng.int(256).toString(16).padStart(2, '0')}`;
  }

  private userAgent(): string {
    return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) ${this.rng.pick(USER_AGENT_TOOLS)}/${this.rng.between(1, 9)}.${this.rng.int(20)}`;
  }

  private indicatorSpec(kind: DemoIndicatorKind): IndicatorSpec {
    const rng = this.rng;
    const lit = patternLiteral;
    switch (kind) {
      case 'file-md5': {
        const md5 = rng.hex(32);
        return {
          label: 'Malicious file (MD5)',
          pattern: `[file:hashes.MD5 = ${lit(md5)}]`,
          types: ['malicious-activity'],
          phase: 'installation',
          observables: () => [this.sco('file', { hashes: { MD5: md5 } })],
        };
      }
      case 'file-sha1': {
        const sha1 = rng.hex(40);
        return {
          label: 'Malicious file (SHA-1)',
          pattern: `[file:hashes.'SHA-1' = ${lit(sha1)}]`,
          types: ['malicious-activity'],
          phase: 'installation',
          observables: () => [this.sco('file', { hashes: { 'SHA-1': sha1 } })],
        };
      }
      case 'file-sha256': {
        const sha256 = rng.hex(64);
        return {
          label: 'Malicious file (SHA-256)',
          pattern: `[file:hashes.'SHA-256' = ${lit(sha256)}]`,
          types: ['malicious-activity'],
          phase: 'installation',
          observables: () => [this.sco('file', { hashes: { 'SHA-256': sha256 } })],
        };
      }
      case 'file-name-hash': {
        const name = rng.pick(FILE_NAMES);
        const hashes = { MD5: rng.hex(32), 'SHA-1': rng.hex(40), 'SHA-256': rng.hex(64) };
        const size = rng.between(20_000, 4_000_000);
        return {
          label: `Malicious attachment ${name}`,
          pattern: `[file:name = ${lit(name)} AND file:hashes.'SHA-256' = ${lit(hashes['SHA-256'])}]`,
          types: ['malicious-activity'],
          phase: 'delivery',
          observables: () => [this.sco('file', { name, size, hashes })],
        };
      }
      case 'ipv4': {
        const value = this.nextIpv4();
        return {
          label: `Command and control address ${value}`,
          pattern: `[ipv4-addr:value = ${lit(value)}]`,
          types: ['malicious-activity'],
          phase: 'command-and-control',
          observables: () => [this.sco('ipv4-addr', { value })],
        };
      }
      case 'ipv4-cidr': {
        const value = this.nextIpv4Cidr();
        return {
          label: `Hostile address block ${value}`,
          pattern: `[ipv4-addr:value ISSUBSET ${lit(value)}]`,
          types: ['malicious-activity', 'anonymization'],
          phase: 'command-and-control',
        };
      }
      case 'ipv6': {
        const value = this.nextIpv6();
        return {
          label: `Command and control address ${value}`,
          pattern: `[ipv6-addr:value = ${lit(value)}]`,
          types: ['malicious-activity'],
          phase: 'command-and-control',
          observables: () => [this.sco('ipv6-addr', { value })],
        };
      }
      case 'ipv6-cidr': {
        const value = this.nextIpv6Cidr();
        return {
          label: `Hostile address block ${value}`,
          pattern: `[ipv6-addr:value ISSUBSET ${lit(value)}]`,
          types: ['anonymization'],
          phase: 'command-and-control',
        };
      }
      case 'domain': {
        const value = this.nextDomain();
        return {
          label: `Malicious domain ${value}`,
          pattern: `[domain-name:value = ${lit(value)}]`,
          types: ['malicious-activity'],
          phase: 'command-and-control',
          observables: () => [this.sco('domain-name', { value })],
        };
      }
      case 'url': {
        const value = this.nextUrl();
        return {
          label: 'Malicious download URL',
          pattern: `[url:value = ${lit(value)}]`,
          types: ['malicious-activity'],
          phase: 'delivery',
          observables: () => [this.sco('url', { value })],
        };
      }
      case 'email-addr': {
        const value = this.nextEmail();
        return {
          label: `Phishing sender ${value}`,
          pattern: `[email-addr:value = ${lit(value)}]`,
          types: ['malicious-activity', 'attribution'],
          phase: 'delivery',
          observables: () => [this.sco('email-addr', { value })],
        };
      }
      case 'email-subject': {
        const subject = `${rng.pick(EMAIL_SUBJECTS)} (${rng.between(100, 9999)})`;
        const from = this.nextEmail();
        return {
          label: 'Phishing e-mail subject',
          pattern: `[email-message:subject = ${lit(subject)}]`,
          types: ['malicious-activity'],
          phase: 'delivery',
          observables: () => {
            const sender = this.sco('email-addr', { value: from });
            return [sender, this.sco('email-message', { is_multipart: false, from_ref: sender.id, subject })];
          },
        };
      }
      case 'mutex': {
        const name = `Global\\${rng.pick(WORDS)}_${rng.hex(8)}`;
        return {
          label: 'Malware mutex',
          pattern: `[mutex:name = ${lit(name)}]`,
          types: ['malicious-activity'],
          phase: 'installation',
          observables: () => [this.sco('mutex', { name })],
        };
      }
      case 'registry': {
        const key = rng.pick(REGISTRY_KEYS);
        const valueName = `${rng.pick(['Updater', 'SyncHelper', 'DriverCheck', 'OneStart'])}${rng.hex(4)}`;
        const data = `C:\\ProgramData\\${rng.pick(WORDS)}\\${rng.pick(PROCESS_IMAGES)}`;
        return {
          label: 'Persistence registry value',
          pattern: `[windows-registry-key:key = ${lit(key)} AND windows-registry-key:values[*].name = ${lit(valueName)}]`,
          types: ['malicious-activity'],
          phase: 'installation',
          observables: () => [this.sco('windows-registry-key', { key, values: [{ name: valueName, data, data_type: 'REG_SZ' }] })],
        };
      }
      case 'user-account': {
        const login = `svc_${rng.pick(WORDS)}${rng.between(10, 999)}`;
        const userId = `S-1-5-21-${rng.between(1e8, 4e9 - 1)}-${rng.between(1e8, 4e9 - 1)}-${rng.between(1e8, 4e9 - 1)}-${rng.between(1100, 9999)}`;
        return {
          label: `Compromised account ${login}`,
          pattern: rng.chance(0.5)
            ? `[user-account:account_login = ${lit(login)} AND user-account:account_type = 'windows-domain']`
            : `[user-account:user_id = ${lit(userId)}]`,
          types: ['compromised'],
          phase: 'actions-on-objectives',
          observables: () => [this.sco('user-account', { account_type: 'windows-domain', user_id: userId, account_login: login })],
        };
      }
      case 'x509': {
        const sha256 = rng.hex(64);
        const sha1 = rng.hex(40);
        const issuer = `CN=${rng.pick(WORDS)} update CA, O=Fictional Trust Services, C=ZZ`;
        const useSha1 = rng.chance(0.3);
        return {
          label: 'Malicious TLS certificate',
          pattern: useSha1
            ? `[x509-certificate:hashes.'SHA-1' = ${lit(sha1)} AND x509-certificate:issuer = ${lit(issuer)}]`
            : `[x509-certificate:hashes.'SHA-256' = ${lit(sha256)}]`,
          types: ['malicious-activity'],
          phase: 'command-and-control',
          observables: () => [
            this.sco('x509-certificate', {
              hashes: { 'SHA-1': sha1, 'SHA-256': sha256 },
              serial_number: rng.hex(16).match(/../g)!.join(':'),
              issuer,
              subject: `CN=${this.nextDomain()}`,
            }),
          ],
        };
      }
      case 'network-port': {
        const port = rng.pick([4444, 8443, 8080, 1337, 5555, 9001, 53, 443]);
        const address = this.nextIpv4();
        return {
          label: `Beaconing to port ${port}`,
          pattern: rng.chance(0.5)
            ? `[network-traffic:dst_port = ${port} AND network-traffic:protocols[*] = 'tcp']`
            : `[network-traffic:dst_ref.value = ${lit(address)} AND network-traffic:dst_port = ${port}]`,
          types: ['anomalous-activity'],
          phase: 'command-and-control',
          observables: () => {
            const destination = this.sco('ipv4-addr', { value: address });
            return [destination, this.sco('network-traffic', { dst_ref: destination.id, dst_port: port, protocols: ['ipv4', 'tcp'] })];
          },
        };
      }
      case 'process': {
        const image = rng.pick(PROCESS_IMAGES);
        const commandLine = `${image} -k ${rng.pick(WORDS)} --cfg ${rng.hex(12)}`;
        return {
          label: `Malicious process ${image}`,
          pattern: rng.chance(0.5)
            ? `[process:image_ref.name = ${lit(image)}]`
            : `[process:command_line = ${lit(commandLine)}]`,
          types: ['malicious-activity'],
          phase: 'installation',
          observables: () => {
            const file = this.sco('file', { name: image, hashes: { 'SHA-256': rng.hex(64) } });
            return [file, this.sco('process', { command_line: commandLine, image_ref: file.id })];
          },
        };
      }
      case 'software': {
        const product = rng.pick(FICTIONAL_PRODUCTS);
        const version = `${rng.between(1, 12)}.${rng.int(10)}.${rng.int(20)}`;
        const vendor = rng.pick(SOFTWARE_VENDORS);
        return {
          label: `Vulnerable software ${product} ${version}`,
          pattern: `[software:name = ${lit(product)} AND software:version = ${lit(version)}]`,
          types: ['anomalous-activity'],
          phase: 'exploitation',
          observables: () => [this.sco('software', { name: product, vendor, version })],
        };
      }
      case 'autonomous-system': {
        const number = rng.pick(DOCUMENTATION_ASNS);
        return {
          label: `Bulletproof hosting AS${number}`,
          pattern: `[autonomous-system:number = ${number}]`,
          types: ['anonymization'],
          phase: 'command-and-control',
          observables: () => [this.sco('autonomous-system', { number, name: `AS-DOC-${number}` })],
        };
      }
      case 'mac-addr': {
        const value = this.nextMac();
        return {
          label: 'Rogue device MAC address',
          pattern: `[mac-addr:value = ${lit(value)}]`,
          types: ['anomalous-activity'],
          phase: 'reconnaissance',
          observables: () => [this.sco('mac-addr', { value })],
        };
      }
      case 'user-agent': {
        const agent = this.userAgent();
        const address = this.nextIpv4();
        return {
          label: 'Implant HTTP user agent',
          pattern: `[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'[*] = ${lit(agent)}]`,
          types: ['malicious-activity'],
          phase: 'command-and-control',
          observables: () => {
            const destination = this.sco('ipv4-addr', { value: address });
            return [
              destination,
              this.sco('network-traffic', {
                dst_ref: destination.id,
                dst_port: 443,
                protocols: ['ipv4', 'tcp', 'http'],
                extensions: {
                  'http-request-ext': { request_method: 'get', request_value: `/${rng.hex(8)}`, request_header: { 'User-Agent': [agent] } },
                },
              }),
            ];
          },
        };
      }
      case 'compound':
        return this.compoundSpec();
    }
  }

  private compoundSpec(): IndicatorSpec {
    const rng = this.rng;
    const lit = patternLiteral;
    const variant = this.compoundNext++ % 8;
    const start = this.now - rng.between(40, 200) * DAY;
    const stixSeconds = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    switch (variant) {
      case 0:
        return {
          label: 'Dropper by any of its hashes',
          pattern: `[file:hashes.MD5 = ${lit(rng.hex(32))} OR file:hashes.'SHA-1' = ${lit(rng.hex(40))} OR file:hashes.'SHA-256' = ${lit(rng.hex(64))}]`,
          types: ['malicious-activity'],
          phase: 'installation',
        };
      case 1:
        return {
          label: 'Domain resolving to a known C2 address',
          pattern: `[domain-name:value = ${lit(this.nextDomain())}] AND [ipv4-addr:value = ${lit(this.nextIpv4())}]`,
          types: ['malicious-activity'],
          phase: 'command-and-control',
        };
      case 2:
        return {
          label: 'Phishing e-mail followed by a download',
          pattern: `([email-message:subject = ${lit(rng.pick(EMAIL_SUBJECTS))}] FOLLOWEDBY [url:value = ${lit(this.nextUrl())}]) WITHIN 3600 SECONDS`,
          types: ['malicious-activity'],
          phase: 'delivery',
        };
      case 3:
        return {
          label: 'Repeated beaconing to a C2 address',
          pattern: `[network-traffic:dst_ref.value = ${lit(this.nextIpv4())} AND network-traffic:dst_port = 443] REPEATS 5 TIMES WITHIN 600 SECONDS`,
          types: ['anomalous-activity'],
          phase: 'command-and-control',
        };
      case 4:
        return {
          label: 'C2 over IPv4 or IPv6 with its domain',
          pattern: `([ipv4-addr:value = ${lit(this.nextIpv4())}] OR [ipv6-addr:value = ${lit(this.nextIpv6())}]) AND [domain-name:value = ${lit(this.nextDomain())}]`,
          types: ['malicious-activity'],
          phase: 'command-and-control',
        };
      case 5:
        return {
          label: 'Staging address active during the campaign window',
          pattern: `[ipv4-addr:value = ${lit(this.nextIpv4())}] START t'${stixSeconds(start)}' STOP t'${stixSeconds(start + 30 * DAY)}'`,
          types: ['malicious-activity'],
          phase: 'actions-on-objectives',
        };
      case 6:
        return {
          label: 'Numbered update servers on a lookalike domain',
          pattern: `[url:value MATCHES ${lit(`^https://update[0-9]+[.]${rng.pick(WORDS)}[.]example/`)}]`,
          types: ['malicious-activity'],
          phase: 'delivery',
        };
      default:
        return {
          label: 'Mutex created after a process start',
          pattern: `[process:image_ref.name = ${lit(rng.pick(PROCESS_IMAGES))}] FOLLOWEDBY [mutex:name = ${lit(`Global\\${rng.hex(10)}`)}] WITHIN 120 SECONDS`,
          types: ['malicious-activity'],
          phase: 'installation',
        };
    }
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
      const spec = this.indicatorSpec(kind);
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

    const ipv4 = [...this.scos.values()].filter((o) => o.type === 'ipv4-addr');
    const domains = [...this.scos.values()].filter((o) => o.type === 'domain-name');
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

  private identityOf(member: Member): StixObject {
    const found = this.head.find((o) => o.id === member.identityId);
    if (!found) throw new Error(`identity of ${member.code} missing`);
    return found;
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

/** The synthetic demo alliance: its members and a deterministic, fictional STIX 2.1 set. */
export function demoAlliance(options: { seed?: number; now?: Date } = {}): DemoAlliance {
  const seed = options.seed ?? DEMO_DEFAULT_SEED;
  const now = (options.now ?? new Date(DEMO_DEFAULT_NOW)).getTime();
  if (!Number.isFinite(now)) throw new RangeError('demoAlliance: invalid now');
  return new DemoBuilder(seed, now).build();
}
