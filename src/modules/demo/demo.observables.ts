/**
 * The cyber-observables of the demo set and the indicator patterns that describe them: each
 * indicator kind gives a pattern and, on demand, the SCOs an observed-data would carry.
 */
import { computeScoId } from '../../stix/sco-id.js';
import type { StixObject } from '../../stix/types.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import type { DemoIndicatorKind } from './demo.model.js';
import { patternLiteral, type Rng } from './demo.rng.js';
import {
  DOCUMENTATION_ASNS, DOCUMENTATION_IPV4, EMAIL_SUBJECTS, FICTIONAL_PRODUCTS, FILE_NAMES, FIRST_NAMES, HOST_WORDS,
  LAST_NAMES, PROCESS_IMAGES, REGISTRY_KEYS, RESERVED_DOMAINS, SOFTWARE_VENDORS, TLP_WEIGHTS, USER_AGENT_TOOLS, WORDS,
} from './demo.vocabulary.js';

const DAY = 86_400_000;

export interface IndicatorSpec {
  label: string;
  pattern: string;
  types: string[];
  phase: string;
  observables?: () => StixObject[];
}

/** Deduplicated SCOs and fresh documentation-range values, drawn from the builder's generator. */
export class DemoObservables {
  /** Every SCO made so far, by its deterministic id. */
  readonly scos = new Map<string, StixObject>();
  private readonly rng: Rng;
  private readonly now: number;

  private ipv4Order: number[] = [];
  private ipv4Next = 0;
  private ipv4Cidrs: string[] = [];
  private ipv4CidrNext = 0;
  private counter = 0;
  private compoundNext = 0;

  constructor(rng: Rng, now: number) {
    this.rng = rng;
    this.now = now;
  }

  private id(type: string): string {
    return `${type}--${this.rng.uuid()}`;
  }

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

  indicatorSpec(kind: DemoIndicatorKind): IndicatorSpec {
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
}
