/** Builders of valid STIX objects for tests; every field can be overridden. */
import { randomUUID } from 'node:crypto';
import { TLP2_MARKING_IDS, type Tlp } from '../../src/policy/markings.js';
import type { StixObject } from '../../src/stix/types.js';

const T0 = '2024-03-01T10:00:00.000Z';

export function indicator(overrides: Partial<StixObject> = {}): StixObject {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${randomUUID()}`,
    created: T0,
    modified: T0,
    name: 'Test indicator',
    indicator_types: ['malicious-activity'],
    pattern: "[ipv4-addr:value = '198.51.100.7']",
    pattern_type: 'stix',
    valid_from: T0,
    ...overrides,
  };
}

/** An indicator of one IPv4 address, created by `creator` (an identity id), under a TLP 2.0 marking. */
export function addressIndicator(address: string, tlp: Tlp, creator: string): StixObject {
  const at = '2026-12-01T00:00:00.000Z';
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${randomUUID()}`,
    created: at,
    modified: at,
    created_by_ref: creator,
    pattern: `[ipv4-addr:value = '${address}']`,
    pattern_type: 'stix',
    valid_from: at,
    object_marking_refs: [TLP2_MARKING_IDS[tlp]],
  };
}

export function malware(overrides: Partial<StixObject> = {}): StixObject {
  return {
    type: 'malware',
    spec_version: '2.1',
    id: `malware--${randomUUID()}`,
    created: T0,
    modified: T0,
    name: 'Test malware',
    is_family: true,
    ...overrides,
  };
}

export function ipv4(value: string, overrides: Partial<StixObject> = {}): StixObject {
  return { type: 'ipv4-addr', spec_version: '2.1', id: `ipv4-addr--${randomUUID()}`, value, ...overrides };
}

export function bundle(objects: unknown[], overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects, ...overrides });
}
