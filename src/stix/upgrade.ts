/**
 * STIX 2.0 -> 2.1 upgrade of a single object. The input is never modified: a changed copy is
 * returned together with a human-readable list of what was changed.
 */
import { SCO_TYPES, STIX20_TYPES } from './types.js';
import { fractionDigits, timestampProblem, toMillisecondPrecision } from './timestamp.js';

export interface UpgradeResult {
  object: Record<string, unknown>;
  /** One line per change, e.g. "indicator--...: added pattern_type 'stix'". Empty when nothing changed. */
  changes: string[];
}

/** 2.0 put the subtype vocabulary of these SDOs in `labels`; 2.1 has a dedicated property. */
const LABELS_TO_TYPES: Readonly<Record<string, string>> = {
  indicator: 'indicator_types',
  malware: 'malware_types',
  tool: 'tool_types',
  'threat-actor': 'threat_actor_types',
  report: 'report_types',
};

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
  const out: Record<string, unknown> = {};
  let inserted = false;
  for (const k of Object.keys(object)) {
    out[k] = object[k];
    if (k === afterKey) {
      out[key] = value;
      inserted = true;
    }
  }
  if (!inserted) out[key] = value;
  return out;
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
    const moved: Record<string, unknown> = {};
    for (const k of Object.keys(object)) {
      if (k === 'labels') moved[typesProperty] = labels;
      else moved[k] = object[k];
    }
    object = moved;
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
  } else if (type === 'malware') {
    if (object['is_family'] === undefined) {
      object = withProperty(object, 'is_family', true, typesProperty !== undefined && typesProperty in object ? typesProperty : 'name');
      changes.push(`${label}: added is_family true (2.0 malware objects describe malware families)`);
    }
  } else if (type === 'observed-data') {
    if (object['objects'] !== undefined && object['object_refs'] === undefined) {
      changes.push(`${label}: kept the 2.0 'objects' observable container (deprecated in 2.1 in favour of object_refs to top-level SCOs, still valid)`);
    }
  }

  return { object, changes };
}
