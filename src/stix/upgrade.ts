/**
 * STIX 2.0 -> 2.1 upgrade of a single object. The input is never modified: a changed copy is
 * returned together with a human-readable list of what was changed.
 */
import { lookupTable } from './lookup.js';
import { SCO_TYPES, STIX20_TYPES } from './types.js';
import { fractionDigits, timestampProblem, toMillisecondPrecision } from './timestamp.js';
import { ENCRYPTION_ALGORITHM_ENUM } from './vocab.js';
import { formatPattern, parsePattern } from './pattern/index.js';

export interface UpgradeResult {
  object: Record<string, unknown>;
  /** One line per change, e.g. "indicator--...: added pattern_type 'stix'". Empty when nothing changed. */
  changes: string[];
}

/** 2.0 put the subtype vocabulary of these SDOs in `labels`; 2.1 has a dedicated property. */
const LABELS_TO_TYPES = lookupTable({
  indicator: 'indicator_types',
  malware: 'malware_types',
  tool: 'tool_types',
  'threat-actor': 'threat_actor_types',
  report: 'report_types',
});

/**
 * Whether an object is STIX 2.0 content that needs upgrading before 2.1 validation.
 * - spec_version '2.0' on the object: yes.
 * - no spec_version, bundle declared '2.0': yes, except SCOs (2.0 had no top-level SCOs and a
 *   2.1 SCO may omit spec_version).
 * - no spec_version and no declared version: yes for the object types that already existed in
 *   2.0, and for custom objects that carry `created` (SDO-like); 2.1 requires spec_version on them.
 */
export function isStix20Object(object: Record<string, unknown>, declaredSpecVersion?: '2.0' | '2.1'): boolean {
  const specVersion = object['spec_version'];
  if (specVersion === '2.0') return true;
  if (specVersion !== undefined) return false;
  const type = object['type'];
  if (typeof type !== 'string' || type === 'bundle') return false;
  if (declaredSpecVersion === '2.0') return !SCO_TYPES.has(type);
  if (declaredSpecVersion === '2.1') return false;
  if (STIX20_TYPES.has(type)) return true;
  return isCustomSdoLike(type, object);
}

function isCustomSdoLike(type: string, object: Record<string, unknown>): boolean {
  if (SCO_TYPES.has(type)) return false;
  return typeof object['created'] === 'string' && typeof object['modified'] === 'string' && !hasNewExtensionType(object);
}

function hasNewExtensionType(object: Record<string, unknown>): boolean {
  const extensions = object['extensions'];
  if (typeof extensions !== 'object' || extensions === null) return false;
  for (const value of Object.values(extensions)) {
    if (typeof value === 'object' && value !== null && 'extension_type' in value) return true;
  }
  return false;
}

/** Copy of `object` with `key` set to `value`, inserted after `afterKey` when the key is new. */
function withProperty(object: Record<string, unknown>, key: string, value: unknown, afterKey: string): Record<string, unknown> {
  if (key in object) {
    object[key] = value;
    return object;
  }
  const entries: [string, unknown][] = [];
  let inserted = false;
  for (const k of Object.keys(object)) {
    entries.push([k, object[k]]);
    if (k === afterKey) {
      entries.push([key, value]);
      inserted = true;
    }
  }
  if (!inserted) entries.push([key, value]);
  return Object.fromEntries(entries);
}

/** Upgrades one STIX 2.0 object to 2.1. */
export function upgradeToStix21(source: Record<string, unknown>): UpgradeResult {
  const changes: string[] = [];
  const type = typeof source['type'] === 'string' ? source['type'] : '';
  const label = typeof source['id'] === 'string' ? source['id'] : type || 'object';
  let object: Record<string, unknown> = { ...source };

  if (object['spec_version'] !== '2.1') {
    const was = object['spec_version'];
    object = withProperty(object, 'spec_version', '2.1', 'type');
    changes.push(
      was === undefined
        ? `${label}: added spec_version '2.1' (STIX 2.0 content)`
        : `${label}: changed spec_version from '${String(was)}' to '2.1'`,
    );
  }

  for (const key of ['created', 'modified'] as const) {
    const value = object[key];
    if (typeof value === 'string' && timestampProblem(value) === undefined && fractionDigits(value) < 3) {
      const padded = toMillisecondPrecision(value);
      object[key] = padded;
      changes.push(`${label}: ${key} '${value}' written with millisecond precision as '${padded}' (2.1 requires at least 3 fractional digits)`);
    }
  }

  const typesProperty = LABELS_TO_TYPES[type];
  if (typesProperty !== undefined && Array.isArray(object['labels']) && object[typesProperty] === undefined) {
    const labels = object['labels'];
    object = renameKey(object, 'labels', typesProperty);
    changes.push(`${label}: moved labels ${JSON.stringify(labels)} to ${typesProperty} (2.0 used labels for the ${type} type vocabulary)`);
  }

  if (type === 'indicator') {
    if (object['pattern_type'] === undefined) {
      object = withProperty(object, 'pattern_type', 'stix', 'pattern');
      changes.push(`${label}: added pattern_type 'stix' (2.0 indicators always use STIX patterning)`);
    }
    if (object['pattern_type'] === 'stix' && object['pattern_version'] === undefined) {
      object = withProperty(object, 'pattern_version', '2.0', 'pattern_type');
      changes.push(`${label}: added pattern_version '2.0' (the pattern was written in STIX 2.0 patterning)`);
    }
    if (typeof object['pattern'] === 'string' && object['pattern_type'] === 'stix') {
      const rewritten = startStopAsTimestamps(object['pattern']);
      if (rewritten !== undefined) {
        object['pattern'] = rewritten.pattern;
        changes.push(
          `${label}: wrote the ${rewritten.count} START/STOP timestamps of the pattern as timestamp literals t'...' (STIX 2.1 section 9.5.1)`,
        );
      }
    }
  } else if (type === 'malware') {
    if (object['is_family'] === undefined) {
      object = withProperty(object, 'is_family', true, typesProperty !== undefined && typesProperty in object ? typesProperty : 'name');
      changes.push(`${label}: added is_family true (2.0 malware objects describe malware families)`);
    }
  } else if (type === 'observed-data') {
    if (object['objects'] !== undefined && object['object_refs'] === undefined) {
      changes.push(`${label}: kept the 2.0 'objects' observable container (deprecated in 2.1 in favour of object_refs to top-level SCOs, still valid)`);
    }
    const container = object['objects'];
    if (isRecord(container)) {
      const upgraded = upgradeContainer(container, label, changes);
      if (upgraded !== undefined) object['objects'] = upgraded;
    }
  }

  return { object, changes };
}

// ---------------------------------------------------------------------------------------------
// Cyber-observable objects of a 2.0 observable container

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A 2.0 property 2.1 renamed, or dropped (then kept as `x_stix20_<name>`, with why). */
type PropertyChange = { readonly from: string; readonly to: string; readonly section: string } | { readonly from: string; readonly dropped: string };

const renamed = (from: string, to: string, section: string): PropertyChange => ({ from, to, section });
const dropped = (from: string, why: string): PropertyChange => ({ from, dropped: why });

/**
 * The 2.0 SCO properties STIX 2.1 renamed or dropped (STIX 2.1 section 6 against STIX 2.0 Part 4;
 * revision history: "Renamed conflicting properties on Directory Object, File Object, Process
 * Object, and Windows Registry Key Object"). The file's encryption properties are handled apart.
 */
const SCO_PROPERTY_CHANGES = lookupTable<readonly PropertyChange[]>({
  directory: [renamed('created', 'ctime', '6.3'), renamed('modified', 'mtime', '6.3'), renamed('accessed', 'atime', '6.3')],
  file: [renamed('created', 'ctime', '6.7'), renamed('modified', 'mtime', '6.7'), renamed('accessed', 'atime', '6.7')],
  process: [
    dropped('name', "2.1 section 6.13 has no name; the image file's name says it"),
    dropped('arguments', '2.1 section 6.13 has no arguments; command_line holds the whole command'),
    renamed('created', 'created_time', '6.13'),
    renamed('binary_ref', 'image_ref', '6.13'),
  ],
  'windows-registry-key': [renamed('modified', 'modified_time', '6.17')],
  'user-account': [renamed('password_last_changed', 'credential_last_changed', '6.16')],
});

/** Per SCO type and predefined extension, the 2.0 extension properties 2.1 renamed or dropped. */
const EXTENSION_PROPERTY_CHANGES = lookupTable<Readonly<Record<string, readonly PropertyChange[]>>>({
  file: {
    'archive-ext': [dropped('version', '2.1 section 6.7.2 has no version')],
    'raster-image-ext': [dropped('image_compression_algorithm', '2.1 section 6.7.5 has no image_compression_algorithm')],
  },
  process: { 'windows-process-ext': [renamed('window_title', 'windows_title', '6.13.2')] },
  'network-traffic': { 'socket-ext': [dropped('protocol_family', '2.1 section 6.12.4 has no protocol_family')] },
});

/** 2.0 file properties that 2.1 moved to the artifact (section 6.1). */
const FILE_ENCRYPTION = ['is_encrypted', 'encryption_algorithm', 'decryption_key'] as const;

/** `record` with `from` renamed to `to` in place (key order kept). */
function renameKey(record: Record<string, unknown>, from: string, to: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k === from ? to : k, v]));
}

function applyChanges(record: Record<string, unknown>, rules: readonly PropertyChange[], where: string, prefix: string, changes: string[]): Record<string, unknown> {
  let out = record;
  for (const rule of rules) {
    if (!(rule.from in out)) continue;
    const to = 'to' in rule ? rule.to : `x_stix20_${rule.from}`;
    if (to in out) {
      changes.push(`${where}: left ${prefix}${rule.from} as it is (${to} is already there)`);
      continue;
    }
    out = renameKey(out, rule.from, to);
    changes.push(
      'to' in rule
        ? `${where}: renamed ${prefix}${rule.from} to ${to} (2.1 section ${rule.section})`
        : `${where}: kept ${prefix}${rule.from} as ${to} (${rule.dropped})`,
    );
  }
  return out;
}

/**
 * The 2.0 file's encryption properties: onto the artifact its content_ref names when 2.1 can hold
 * them there (the algorithm in encryption-algorithm-enum, the artifact without its own); else kept
 * as x_stix20_ properties.
 */
function upgradeFileEncryption(
  file: Record<string, unknown>,
  container: Record<string, unknown>,
  where: string,
  changes: string[],
): Record<string, unknown> {
  if (!FILE_ENCRYPTION.some((k) => k in file)) return file;
  const algorithm = file['encryption_algorithm'];
  const contentRef = file['content_ref'];
  const artifact = typeof contentRef === 'string' ? container[contentRef] : undefined;
  const movable =
    typeof algorithm === 'string' &&
    ENCRYPTION_ALGORITHM_ENUM.values.has(algorithm) &&
    typeof contentRef === 'string' &&
    isRecord(artifact) &&
    artifact['type'] === 'artifact' &&
    !('encryption_algorithm' in artifact) &&
    !('decryption_key' in artifact);
  if (!movable) {
    return applyChanges(
      file,
      FILE_ENCRYPTION.map((k) => dropped(k, `2.1 section 6.7 has no ${k}; encryption is a property of the content artifact (6.1)${k === 'encryption_algorithm' ? ' and this file names none that can hold it' : ''}`)),
      where,
      '',
      changes,
    );
  }
  const moved: Record<string, unknown> = { ...artifact };
  const out: Record<string, unknown> = { ...file };
  for (const key of ['encryption_algorithm', 'decryption_key'] as const) {
    if (!(key in out)) continue;
    moved[key] = out[key];
    delete out[key];
    changes.push(`${where}: moved ${key} to its content artifact objects['${contentRef}'] (2.1 section 6.1: encryption is a property of the artifact)`);
  }
  if ('is_encrypted' in out) {
    delete out['is_encrypted'];
    changes.push(`${where}: removed is_encrypted (2.1 section 6.7 has no is_encrypted; the artifact's encryption_algorithm says it)`);
  }
  container[contentRef] = moved;
  return out;
}

/** A copy of a 2.0 observable container with its SCOs in 2.1 form, or undefined when nothing changes. */
function upgradeContainer(container: Record<string, unknown>, label: string, changes: string[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = { ...container };
  const before = changes.length;
  for (const key of Object.keys(container)) {
    const sco = out[key];
    if (!isRecord(sco) || typeof sco['type'] !== 'string') continue;
    const type = sco['type'];
    const where = `${label}: objects['${key}'] (${type})`;
    let upgraded = sco;
    if (type === 'file') upgraded = upgradeFileEncryption(upgraded, out, where, changes);
    const rules = SCO_PROPERTY_CHANGES[type];
    if (rules) upgraded = applyChanges(upgraded, rules, where, '', changes);
    const extensionRules = EXTENSION_PROPERTY_CHANGES[type];
    const extensions = upgraded['extensions'];
    if (extensionRules && isRecord(extensions)) {
      let extensionsOut = extensions;
      for (const [name, extensionChanges] of Object.entries(extensionRules)) {
        const extension = extensionsOut[name];
        if (!isRecord(extension)) continue;
        const next = applyChanges(extension, extensionChanges, where, `extensions.${name}.`, changes);
        if (next !== extension) extensionsOut = { ...extensionsOut, [name]: next };
      }
      if (extensionsOut !== extensions) upgraded = { ...upgraded, extensions: extensionsOut };
    }
    if (upgraded !== sco) out[key] = upgraded;
  }
  return changes.length > before ? out : undefined;
}

// ---------------------------------------------------------------------------------------------
// Patterns

/**
 * Offsets at which a `t` turns a plain-string START or STOP bound into a timestamp literal:
 * positions of the opening quote of `START '...'` / `STOP '...'` outside strings and comments.
 */
function plainBoundQuotes(pattern: string): number[] {
  const at: number[] = [];
  const n = pattern.length;
  let i = 0;
  while (i < n) {
    const c = pattern[i]!;
    if (c === "'") {
      i++;
      while (i < n && pattern[i] !== "'") i += pattern[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '/' && pattern[i + 1] === '*') {
      const end = pattern.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '/' && pattern[i + 1] === '/') {
      const end = pattern.indexOf('\n', i + 2);
      i = end < 0 ? n : end + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_-]/.test(pattern[j]!)) j++;
      const word = pattern.slice(i, j);
      if (word === 'START' || word === 'STOP') {
        let k = j;
        while (k < n && /\s/.test(pattern[k]!)) k++;
        if (pattern[k] === "'") at.push(k);
      }
      i = j;
    } else i++;
  }
  return at;
}

function insertTimestampPrefixes(pattern: string, offsets: readonly number[]): string {
  let out = '';
  let from = 0;
  for (const offset of offsets) {
    out += `${pattern.slice(from, offset)}t`;
    from = offset;
  }
  return out + pattern.slice(from);
}

/**
 * A 2.0 pattern whose START/STOP bounds are plain strings, with the bounds written as 2.1
 * timestamp literals (t'...'); undefined when it has none or does not parse. The rewrite is
 * checked: the new pattern parses to the same tree, bounds aside.
 */
function startStopAsTimestamps(pattern: string): { pattern: string; count: number } | undefined {
  const offsets = plainBoundQuotes(pattern);
  if (offsets.length === 0) return undefined;
  const before = parsePattern(pattern, { specVersion: '2.0' });
  if (!before.ok) return undefined;
  const rewritten = insertTimestampPrefixes(pattern, offsets);
  const after = parsePattern(rewritten, { specVersion: '2.0' });
  if (!after.ok) return undefined;
  const canonical = formatPattern(before.pattern);
  if (insertTimestampPrefixes(canonical, plainBoundQuotes(canonical)) !== formatPattern(after.pattern)) return undefined;
  return { pattern: rewritten, count: offsets.length };
}
