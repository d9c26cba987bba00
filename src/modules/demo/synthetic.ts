/**
 * Synthetic STIX 2.1 intel, the benchmarks' data and `shieldwall generate`'s sample feed: a
 * deterministic stream of objects with realistic sizes and a realistic mix, written as a bundle
 * or as NDJSON with flat memory (never more than a chunk of text held, whatever the count).
 *
 * Mix (of the objects after the head): about 60% indicators, 20% observables, 12%
 * relationships, 5% sightings; the head is a handful of marking definitions and a few hundred
 * identities, malware and intrusion sets that the rest refers to. Every indicator and
 * observable value carries a counter, so nothing deduplicates by accident. Addresses come from
 * the benchmarking range 198.18.0.0/15 and private or reserved ranges, IPv6 from 2001:db8::/32,
 * domains from reserved names: nothing real is implicated.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { StixObject } from '../../stix/types.js';
import {
  tlpMarkingDefinition,
  TLP2_MARKING_IDS,
  TLP_LEVELS,
  handlingMarkingDefinition,
  type Tlp,
} from '../../policy/markings.js';
import { SCO_ID_NAMESPACE } from '../../stix/sco-id.js';
import { createRng, hex32, type Rng } from './demo.data.js';

export const SYNTHETIC_DEFAULT_SEED = 1;
/** Target shares of the objects after the head. */
export const SYNTHETIC_MIX = Object.freeze({ indicator: 0.6, observable: 0.2, relationship: 0.12, sighting: 0.05 });
/** Largest pool of malware, intrusion sets and identities emitted first. */
export const SYNTHETIC_MAX_POOL = 300;

const DAY = 86_400_000;
const EPOCH = Date.UTC(2025, 0, 1);
const CHUNK_CHARS = 1 << 20;
const PROGRESS_INTERVAL = 10_000;
const RECENT_INDICATORS = 4096;
const TIME_TABLE_SIZE = 4096;

type Category = 'indicator' | 'observable' | 'relationship' | 'sighting';

/** One cycle of 97 slots: 60 indicators, 20 observables, 12 relationships, 5 sightings, evenly spread. */
const SCHEDULE: readonly Category[] = (() => {
  const targets: Array<[Category, number]> = [
    ['indicator', 60],
    ['observable', 20],
    ['relationship', 12],
    ['sighting', 5],
  ];
  const total = targets.reduce((sum, [, n]) => sum + n, 0);
  const issued = new Map<Category, number>();
  const slots: Category[] = [];
  for (let slot = 0; slot < total; slot++) {
    let best: Category = 'indicator';
    let bestDeficit = -Infinity;
    for (const [category, n] of targets) {
      const deficit = (n * (slot + 1)) / total - (issued.get(category) ?? 0);
      if (deficit > bestDeficit) {
        bestDeficit = deficit;
        best = category;
      }
    }
    issued.set(best, (issued.get(best) ?? 0) + 1);
    slots.push(best);
  }
  return slots;
})();

const INDICATOR_KINDS = [
  'md5', 'sha1', 'sha256', 'ipv4', 'domain', 'url', 'sha256', 'ipv4-cidr', 'ipv6', 'email', 'domain', 'ipv4',
  'url', 'ipv6-cidr', 'md5', 'sha1',
] as const;
type IndicatorKind = (typeof INDICATOR_KINDS)[number];
const OBSERVABLE_KINDS = ['ipv4-addr', 'domain-name', 'url', 'file', 'email-addr'] as const;

const TLP_CYCLE: readonly Tlp[] = [
  'green', 'amber', 'green', 'clear', 'amber', 'green', 'amber+strict', 'green', 'amber', 'red',
  'green', 'amber', 'green', 'amber', 'clear', 'green', 'amber', 'green', 'amber+strict', 'amber',
];
const WORDS = ['lantern', 'harbour', 'ledger', 'quill', 'orchard', 'signal', 'ferry', 'granary', 'tollgate', 'belfry', 'cistern', 'atlas', 'causeway', 'meadow', 'weir', 'pylon'];
const TLDS = ['example', 'test', 'invalid', 'example.com', 'example.net', 'example.org'];
const FIRST = ['alex', 'sam', 'robin', 'kim', 'jo', 'max', 'noa', 'eli'];
const LAST = ['moreau', 'novak', 'jensen', 'silva', 'horvat', 'berg', 'costa', 'varga'];
const FILE_NAMES = ['invoice.pdf.exe', 'agenda.docm', 'helper.dll', 'roster.xlsm', 'setup64.exe', 'notes.js', 'scan.lnk', 'readme.hta'];
const PATHS = ['dl', 'gate', 'static', 'api/v2', 'files', 'update'];
const MALWARE_TYPES = ['backdoor', 'downloader', 'dropper', 'ransomware', 'remote-access-trojan', 'spyware', 'wiper', 'bot'];
const INDICATOR_TEXT: Readonly<Record<IndicatorKind, string>> = {
  md5: 'malicious file MD5',
  sha1: 'malicious file SHA-1',
  sha256: 'malicious file SHA-256',
  ipv4: 'C2 IPv4 address',
  'ipv4-cidr': 'hostile IPv4 block',
  ipv6: 'C2 IPv6 address',
  'ipv6-cidr': 'hostile IPv6 block',
  domain: 'malicious domain',
  url: 'malicious URL',
  email: 'phishing sender',
};

/** A bijection on 32-bit integers, so a counter mixed through it stays unique. */
function mix32(n: number): number {
  const x = (n ^ (n >>> 16)) >>> 0;
  return Math.imul(x, 0x9e3779b1) >>> 0;
}

/** The n-th unique IPv4 address: 198.18.0.0/15, then 10.0.0.0/8, then 240.0.0.0/4. */
function ipv4At(n: number): string {
  let value: number;
  if (n < 1 << 17) value = (198 << 24) + (18 << 16) + n;
  else if (n < (1 << 17) + (1 << 24)) value = (10 << 24) + (n - (1 << 17));
  else value = (240 << 24) + ((n - (1 << 17) - (1 << 24)) % (1 << 28));
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** The n-th unique IPv4 /30 block: 100.64.0.0/10, then 172.16.0.0/12. */
function ipv4CidrAt(n: number): string {
  const base = n < 1 << 20 ? (100 << 24) + (64 << 16) + n * 4 : (172 << 24) + (16 << 16) + ((n - (1 << 20)) % (1 << 18)) * 4;
  return `${base >>> 24}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.${base & 255}/30`;
}

const NAMESPACE_BYTES = Buffer.from(SCO_ID_NAMESPACE.replace(/-/g, ''), 'hex');

/**
 * The deterministic SCO id for an already canonical id-contributing JSON text (the same UUIDv5
 * as src/stix/sco-id.ts computes, without re-canonicalising on the hot path).
 */
function scoId(type: string, canonical: string): string {
  const digest = createHash('sha1').update(NAMESPACE_BYTES).update(canonical, 'utf8').digest();
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const h = digest.toString('hex', 0, 16);
  return `${type}--${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function ipv6Groups(n: number): string {
  return `${((n >>> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}`;
}

function base36(n: number): string {
  return n.toString(36);
}

class SyntheticSource {
  private readonly rng: Rng;
  private readonly recent: string[] = [];
  private recentNext = 0;
  private value = 0;
  private indicatorCount = 0;
  private observableCount = 0;
  private tlpNext = 0;
  /** Ascending ISO timestamps over the 400 days before the epoch, precomputed once. */
  private readonly times: string[];
  identities: string[] = [];
  targets: string[] = [];
  handlingIds: string[] = [];

  constructor(seed: number) {
    this.rng = createRng(seed);
    const moments: number[] = [];
    for (let i = 0; i < TIME_TABLE_SIZE; i++) moments.push(EPOCH - this.rng.int(400 * DAY));
    moments.sort((a, b) => a - b);
    this.times = moments.map((ms) => new Date(ms).toISOString());
  }

  private uuid(type: string): string {
    return `${type}--${this.rng.uuid()}`;
  }

  private timestamp(): string {
    return this.times[this.rng.u32() & (TIME_TABLE_SIZE - 1)]!;
  }

  private markings(): string[] {
    const tlp = TLP2_MARKING_IDS[TLP_CYCLE[this.tlpNext++ % TLP_CYCLE.length]!];
    if (this.handlingIds.length > 0 && this.tlpNext % 4 === 0) return [tlp, this.handlingIds[this.tlpNext % this.handlingIds.length]!];
    return [tlp];
  }

  private creator(): string {
    return this.identities[this.rng.int(this.identities.length)]!;
  }

  /** Marking definitions, identities, malware and intrusion sets. */
  head(poolSize: number): StixObject[] {
    const created = new Date(EPOCH - 800 * DAY).toISOString();
    const out: StixObject[] = [];
    for (const level of TLP_LEVELS) out.push(tlpMarkingDefinition(level));
    const identityCount = Math.max(1, Math.round(poolSize * 0.1));
    const intrusionCount = Math.max(1, Math.round(poolSize * 0.3));
    const malwareCount = Math.max(1, poolSize - identityCount - intrusionCount);
    for (let i = 0; i < identityCount; i++) {
      const id = this.uuid('identity');
      this.identities.push(id);
      out.push({
        type: 'identity',
        spec_version: '2.1',
        id,
        created,
        modified: created,
        name: `Benchmark member ${String(i + 1).padStart(3, '0')} (synthetic)`,
        description: 'Synthetic benchmark data: a fictional sharing organisation.',
        identity_class: 'organization',
        sectors: ['government-national'],
        object_marking_refs: [TLP2_MARKING_IDS.clear],
      });
    }
    // The handling extension's definition is not emitted: whoever first defines its id owns it,
    // so a feed defining it again would be refused by a node that holds it (the demo's, any
    // node's that federates), and the handling marking-definitions are valid without it.
    const owner = this.identities[0]!;
    for (const [classification, releasableTo] of [
      ['RESTRICTED', ['ALLIANCE']],
      ['UNCLASSIFIED', ['ALLIANCE', 'PARTNERS']],
    ] as const) {
      const id = this.uuid('marking-definition');
      this.handlingIds.push(id);
      out.push(handlingMarkingDefinition({ id, created, classification, releasableTo: [...releasableTo], createdByRef: owner }));
    }
    for (let i = 0; i < malwareCount; i++) {
      const id = this.uuid('malware');
      this.targets.push(id);
      const firstSeen = this.timestamp();
      out.push({
        type: 'malware',
        spec_version: '2.1',
        id,
        created_by_ref: this.creator(),
        created: firstSeen,
        modified: firstSeen,
        name: `BenchFamily-${base36(1296 + i * 7)}`,
        description: 'Synthetic benchmark malware family.',
        malware_types: [MALWARE_TYPES[i % MALWARE_TYPES.length]!],
        is_family: true,
        first_seen: firstSeen,
        object_marking_refs: this.markings(),
      });
    }
    for (let i = 0; i < intrusionCount; i++) {
      const id = this.uuid('intrusion-set');
      this.targets.push(id);
      const createdAt = this.timestamp();
      out.push({
        type: 'intrusion-set',
        spec_version: '2.1',
        id,
        created_by_ref: this.creator(),
        created: createdAt,
        modified: createdAt,
        name: `Bench Set ${WORDS[i % WORDS.length]!} ${i + 1}`,
        description: 'Synthetic benchmark intrusion set.',
        primary_motivation: 'organizational-gain',
        object_marking_refs: this.markings(),
      });
    }
    return out;
  }

  private nextValue(): number {
    return this.value++;
  }

  private hash(chars: number): string {
    return hex32(mix32(this.nextValue())) + this.rng.hex(chars - 8);
  }

  private domain(): string {
    const n = this.nextValue();
    return `${WORDS[n % WORDS.length]!}-${base36(n)}.${TLDS[n % TLDS.length]!}`;
  }

  private url(): string {
    const n = this.nextValue();
    return `https://${WORDS[n % WORDS.length]!}-${base36(n)}.example.net/${PATHS[n % PATHS.length]!}/${this.rng.hex(12)}`;
  }

  private email(): string {
    const n = this.nextValue();
    return `${FIRST[n % FIRST.length]!}.${LAST[(n >>> 3) % LAST.length]!}.${base36(n)}@example.org`;
  }

  indicator(): StixObject {
    const kind = INDICATOR_KINDS[this.indicatorCount++ % INDICATOR_KINDS.length]!;
    let pattern: string;
    let value: string;
    switch (kind) {
      case 'md5':
        value = this.hash(32);
        pattern = `[file:hashes.MD5 = '${value}']`;
        break;
      case 'sha1':
        value = this.hash(40);
        pattern = `[file:hashes.'SHA-1' = '${value}']`;
        break;
      case 'sha256':
        value = this.hash(64);
        pattern = `[file:hashes.'SHA-256' = '${value}']`;
        break;
      case 'ipv4':
        value = ipv4At(this.nextValue());
        pattern = `[ipv4-addr:value = '${value}']`;
        break;
      case 'ipv4-cidr':
        value = ipv4CidrAt(this.nextValue());
        pattern = `[ipv4-addr:value ISSUBSET '${value}']`;
        break;
      case 'ipv6':
        value = `2001:db8:${ipv6Groups(this.nextValue())}::${this.rng.int(0xffff).toString(16)}`;
        pattern = `[ipv6-addr:value = '${value}']`;
        break;
      case 'ipv6-cidr':
        value = `2001:db8:${ipv6Groups(this.nextValue())}::/64`;
        pattern = `[ipv6-addr:value ISSUBSET '${value}']`;
        break;
      case 'domain':
        value = this.domain();
        pattern = `[domain-name:value = '${value}']`;
        break;
      case 'url':
        value = this.url();
        pattern = `[url:value = '${value}']`;
        break;
      case 'email':
        value = this.email();
        pattern = `[email-addr:value = '${value}']`;
        break;
    }
    const id = this.uuid('indicator');
    if (this.recent.length < RECENT_INDICATORS) this.recent.push(id);
    else this.recent[this.recentNext++ % RECENT_INDICATORS] = id;
    const created = this.timestamp();
    const text = INDICATOR_TEXT[kind];
    return {
      type: 'indicator',
      spec_version: '2.1',
      id,
      created_by_ref: this.creator(),
      created,
      modified: created,
      name: `${text} ${this.indicatorCount}`,
      description: `Synthetic benchmark ${text}.`,
      indicator_types: ['malicious-activity'],
      pattern,
      pattern_type: 'stix',
      valid_from: created,
      labels: ['malicious', kind],
      object_marking_refs: this.markings(),
    };
  }

  observable(): StixObject {
    const kind = OBSERVABLE_KINDS[this.observableCount++ % OBSERVABLE_KINDS.length]!;
    const markings = [TLP2_MARKING_IDS[TLP_CYCLE[this.tlpNext++ % TLP_CYCLE.length]!]];
    if (kind === 'file') {
      const md5 = this.hash(32);
      const hashes = { MD5: md5, 'SHA-1': this.hash(40), 'SHA-256': this.hash(64) };
      const name = FILE_NAMES[this.observableCount % FILE_NAMES.length]!;
      return {
        type: 'file',
        spec_version: '2.1',
        id: scoId('file', `{"hashes":{"MD5":"${md5}"},"name":${JSON.stringify(name)}}`),
        hashes,
        name,
        size: 10_000 + this.rng.int(5_000_000),
        object_marking_refs: markings,
      };
    }
    let value: string;
    if (kind === 'ipv4-addr') value = ipv4At(this.nextValue());
    else if (kind === 'domain-name') value = this.domain();
    else if (kind === 'url') value = this.url();
    else value = this.email();
    return {
      type: kind,
      spec_version: '2.1',
      id: scoId(kind, `{"value":${JSON.stringify(value)}}`),
      value,
      object_marking_refs: markings,
    };
  }

  private recentIndicator(): string {
    return this.recent[this.rng.int(this.recent.length)]!;
  }

  relationship(): StixObject {
    const created = this.timestamp();
    return {
      type: 'relationship',
      spec_version: '2.1',
      id: this.uuid('relationship'),
      created_by_ref: this.creator(),
      created,
      modified: created,
      relationship_type: 'indicates',
      source_ref: this.recentIndicator(),
      target_ref: this.targets[this.rng.int(this.targets.length)]!,
      confidence: 50,
      object_marking_refs: this.markings(),
    };
  }

  sighting(): StixObject {
    const lastIndex = this.rng.u32() & (TIME_TABLE_SIZE - 1);
    const created = this.times[lastIndex]!;
    const firstSeen = this.times[Math.max(0, lastIndex - (this.rng.u32() & 63))]!;
    const sighter = this.creator();
    return {
      type: 'sighting',
      spec_version: '2.1',
      id: this.uuid('sighting'),
      created_by_ref: sighter,
      created,
      modified: created,
      first_seen: firstSeen,
      last_seen: created,
      count: 1 + this.rng.int(100),
      sighting_of_ref: this.recentIndicator(),
      where_sighted_refs: [sighter],
      object_marking_refs: this.markings(),
    };
  }
}

/** The number of head objects (markings, identities, malware, intrusion sets) for `count`. */
function poolSizeFor(count: number): number {
  return Math.min(SYNTHETIC_MAX_POOL, Math.max(3, Math.floor(count * 0.03)));
}

/** A deterministic stream of `count` synthetic STIX objects, referenced objects first. */
export function* syntheticObjects(count: number, seed: number = SYNTHETIC_DEFAULT_SEED): Generator<StixObject> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`syntheticObjects: count must be a non-negative integer, got ${count}`);
  const source = new SyntheticSource(seed);
  let emitted = 0;
  for (const object of source.head(poolSizeFor(count))) {
    if (emitted >= count) return;
    yield object;
    emitted++;
  }
  let slot = 0;
  while (emitted < count) {
    const category = SCHEDULE[slot++ % SCHEDULE.length]!;
    if (category === 'indicator') yield source.indicator();
    else if (category === 'observable') yield source.observable();
    else if (category === 'relationship') yield source.relationship();
    else yield source.sighting();
    emitted++;
  }
}

export type SyntheticFormat = 'bundle' | 'ndjson';
export const SYNTHETIC_FORMATS: readonly SyntheticFormat[] = ['bundle', 'ndjson'];

export interface SyntheticWriteOptions {
  seed?: number;
  format?: SyntheticFormat;
  /** Called every 10,000 objects and once at the end with the number written so far. */
  onProgress?: (written: number) => void;
}

/**
 * Writes `count` synthetic objects to `out` as a STIX bundle (default) or NDJSON, in chunks of
 * about 1 MiB that honour backpressure; `out` is left open. Resolves with the bytes written.
 * Rejects with the stream's error (a closed pipe, a full disk) as soon as it occurs.
 */
export async function writeSynthetic(out: Writable, count: number, options: SyntheticWriteOptions = {}): Promise<{ bytes: number }> {
  const seed = options.seed ?? SYNTHETIC_DEFAULT_SEED;
  const format = options.format ?? 'bundle';
  const objects = syntheticObjects(count, seed);
  let failure: unknown;
  const onError = (error: unknown) => {
    failure ??= error;
  };
  out.on('error', onError);
  const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));

  let bytes = 0;
  let buffer = '';
  const flush = async (): Promise<void> => {
    if (failure !== undefined) throw failure;
    bytes += Buffer.byteLength(buffer);
    const ok = out.write(buffer);
    buffer = '';
    if (!ok) await Promise.race([once(out, 'drain'), closed]);
    if (failure !== undefined) throw failure;
    if (out.destroyed) throw new Error('the output closed before every object was written');
  };

  let written = 0;
  let reported = 0;
  try {
    if (format === 'bundle') {
      buffer = `{"type":"bundle","id":"bundle--${createRng(seed ^ 0x5bd1e995).uuid()}","objects":[`;
      for (const object of objects) {
        buffer += written === 0 ? JSON.stringify(object) : `,${JSON.stringify(object)}`;
        written++;
        if (buffer.length >= CHUNK_CHARS) await flush();
        if (options.onProgress && written % PROGRESS_INTERVAL === 0) options.onProgress((reported = written));
      }
      buffer += ']}';
    } else {
      for (const object of objects) {
        buffer += `${JSON.stringify(object)}\n`;
        written++;
        if (buffer.length >= CHUNK_CHARS) await flush();
        if (options.onProgress && written % PROGRESS_INTERVAL === 0) options.onProgress((reported = written));
      }
    }
    if (buffer.length > 0) await flush();
  } finally {
    out.off('error', onError);
  }
  if (options.onProgress && reported !== written) options.onProgress(written);
  return { bytes };
}

/** writeSynthetic into a new file at `path`, closed when done. */
export async function writeSyntheticBundle(path: string, count: number, options: SyntheticWriteOptions = {}): Promise<{ bytes: number }> {
  const stream = createWriteStream(path, { highWaterMark: CHUNK_CHARS });
  let failure: unknown;
  stream.on('error', (error) => {
    failure ??= error;
  });
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  try {
    await writeSynthetic(stream, count, options);
    stream.end();
    await closed;
    if (failure !== undefined) throw failure;
  } catch (error) {
    stream.destroy();
    throw failure ?? error;
  }
  return { bytes: stream.bytesWritten };
}
