/**
 * A log event as a STIX observation, for pattern evaluation: on the main thread (EventMatcher)
 * and on the log reader threads, which evaluate the patterns no value anchors.
 */
import type { Observation } from '../../stix/pattern/index.js';
import type { LogEvent } from '../logformats/logformats.js';
import type { ObservableKind } from '../../stix/observable.js';

const SCO_OF_KIND: Partial<Record<ObservableKind, (value: string) => Record<string, unknown>>> = {
  ipv4: (value) => ({ type: 'ipv4-addr', value }),
  ipv6: (value) => ({ type: 'ipv6-addr', value }),
  domain: (value) => ({ type: 'domain-name', value }),
  url: (value) => ({ type: 'url', value }),
  email: (value) => ({ type: 'email-addr', value }),
  mutex: (name) => ({ type: 'mutex', name }),
  'registry-key': (key) => ({ type: 'windows-registry-key', key }),
  mac: (value) => ({ type: 'mac-addr', value }),
  asn: (number) => ({ type: 'autonomous-system', number: Number(number) }),
};

const HASH_NAMES: Partial<Record<ObservableKind, string>> = { md5: 'MD5', sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512', 'sha3-256': 'SHA3-256', 'sha3-512': 'SHA3-512', ssdeep: 'SSDEEP', tlsh: 'TLSH' };

/** The SCO one value of this kind stands for (a hash or a file name as a file), if STIX has one. */
export function scoOfValue(kind: ObservableKind, value: string): Record<string, unknown> | undefined {
  const hash = HASH_NAMES[kind];
  if (hash) return { type: 'file', hashes: { [hash]: value } };
  if (kind === 'file-name') return { type: 'file', name: value };
  return SCO_OF_KIND[kind]?.(value);
}

/**
 * The event as one STIX observation: one SCO per value (hashes and the file name gathered in
 * one file), a network-traffic object joining source and destination addresses, and the HTTP
 * User-Agent as its request header.
 */
export function observationOf(event: LogEvent, now: number): Observation {
  const objects = new Map<string, Record<string, unknown>>();
  const file: Record<string, unknown> = { type: 'file' };
  const hashes: Record<string, string> = {};
  let src: string | undefined;
  let dst: string | undefined;
  let userAgent: string | undefined;
  for (const v of event.values) {
    const hash = HASH_NAMES[v.kind];
    if (hash) hashes[hash] = v.value;
    else if (v.kind === 'file-name') file['name'] = v.value;
    else if (v.kind === 'user-agent') userAgent = v.value;
    const make = SCO_OF_KIND[v.kind];
    if (!make) continue;
    const ref = String(objects.size);
    objects.set(ref, make(v.value));
    if (v.kind === 'ipv4' || v.kind === 'ipv6') {
      if (/src|orig|source|client/i.test(v.field)) src ??= ref;
      else if (/dst|dest|resp|destination|server/i.test(v.field)) dst ??= ref;
    }
  }
  if (Object.keys(hashes).length > 0) file['hashes'] = hashes;
  if (file['hashes'] || file['name']) objects.set(String(objects.size), file);
  if (src || dst || userAgent) {
    objects.set(String(objects.size), {
      type: 'network-traffic',
      ...(src ? { src_ref: src } : {}),
      ...(dst ? { dst_ref: dst } : {}),
      // Header values are lists of strings (STIX 2.1 6.12.2): patterns name them as 'User-Agent'[*].
      // The method and request line are not in the event's values, so they are left out.
      ...(userAgent ? { extensions: { 'http-request-ext': { request_header: { 'User-Agent': [userAgent] } } } } : {}),
    });
  }
  const time = event.time ?? now;
  return { firstObserved: time, lastObserved: time, numberObserved: 1, objects };
}
