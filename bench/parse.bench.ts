/**
 * node --import tsx bench/parse.bench.ts
 *
 * How fast the pure STIX code runs on one thread, with no store: validateObject on a typical
 * indicator (with and without parsing its STIX pattern) and on the ATT&CK for ICS corpus
 * (test/fixtures), and parsePattern on two typical indicator patterns. Figures only: the
 * behaviour is tested in src/stix/*.test.ts.
 * Last line: {"validate_indicator_per_s":…,"validate_indicator_parsed_per_s":…,"validate_attack_ics_per_s":…,"parse_hash_pattern_per_s":…,"parse_cidr_pattern_per_s":…}
 */
import { readFileSync } from 'node:fs';
import { parsePattern } from '../src/stix/pattern/index.js';
import { validateObject } from '../src/stix/validate.js';
import { ATTACK_ICS } from '../test/support/paths.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Objects per second: `run` handles `perRun` objects; warmed up first, then timed `runs` times. */
function rate(label: string, run: () => void, perRun: number, runs: number): number {
  for (let i = 0; i < Math.min(runs, 2000); i++) run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) run();
  const ns = Number(process.hrtime.bigint() - start) / (runs * perRun);
  const perSecond = Math.round(1e9 / ns);
  log(`${label}: ${(ns / 1000).toFixed(2)} µs/object, ${perSecond.toLocaleString('en')} objects/s`);
  return perSecond;
}

const T0 = '2016-04-06T20:03:48.000Z';
const indicator = {
  type: 'indicator',
  spec_version: '2.1',
  id: 'indicator--8e2e2d2b-17d4-4cbf-938f-000000000002',
  created: T0,
  modified: T0,
  name: 'Poison Ivy Malware',
  indicator_types: ['malicious-activity'],
  pattern: "[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",
  pattern_type: 'stix',
  valid_from: '2016-01-01T00:00:00Z',
  created_by_ref: 'identity--8e2e2d2b-17d4-4cbf-938f-000000000384',
  description: 'This file is part of Poison Ivy',
  object_marking_refs: ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'],
  labels: ['tlp-checked'],
  confidence: 80,
};
const corpus = (JSON.parse(readFileSync(ATTACK_ICS, 'utf8')) as { objects: Record<string, unknown>[] }).objects;

const figures = {
  validate_indicator_per_s: rate('validateObject, typical indicator without pattern parse', () => validateObject({ ...indicator, pattern_type: 'snort' }), 1, 200_000),
  validate_indicator_parsed_per_s: rate('validateObject, typical indicator with STIX pattern parse', () => validateObject({ ...indicator }), 1, 100_000),
  validate_attack_ics_per_s: rate(`validateObject, ATT&CK for ICS corpus (${corpus.length} objects)`, () => {
    for (const object of corpus) validateObject(object);
  }, corpus.length, 20),
  parse_hash_pattern_per_s: rate('parsePattern, SHA-256 file hash', () => {
    if (!parsePattern(indicator.pattern).ok) throw new Error('the hash pattern must parse');
  }, 1, 200_000),
  parse_cidr_pattern_per_s: rate('parsePattern, IPv4 prefix', () => {
    if (!parsePattern("[ipv4-addr:value = '198.51.100.0/24']").ok) throw new Error('the prefix pattern must parse');
  }, 1, 200_000),
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
