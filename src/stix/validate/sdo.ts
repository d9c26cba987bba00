/** STIX Domain Objects (section 4): their property tables and checks. */
import { parsePattern } from '../pattern/index.js';
import { patternRegexIssues } from '../pattern/regex.js';
import {
  ATTACK_MOTIVATION_OV, ATTACK_RESOURCE_LEVEL_OV, GROUPING_CONTEXT_OV, IDENTITY_CLASS_OV, IMPLEMENTATION_LANGUAGE_OV,
  INDICATOR_TYPE_OV, INDUSTRY_SECTOR_OV, INFRASTRUCTURE_TYPE_OV, MALWARE_CAPABILITIES_OV, MALWARE_RESULT_OV,
  MALWARE_TYPE_OV, OPINION_ENUM, PATTERN_TYPE_OV, PROCESSOR_ARCHITECTURE_OV, REGION_OV, REPORT_TYPE_OV,
  THREAT_ACTOR_ROLE_OV, THREAT_ACTOR_SOPHISTICATION_OV, THREAT_ACTOR_TYPE_OV, TOOL_TYPE_OV,
} from '../vocab.js';
import { checkKillChainPhases, checkOrder, present } from './common.js';
import { Context, childPath, isPlainObject, typeError, type Json } from './context.js';
import {
  ANY_OBJECT, ANY_SCO, COUNTRY_RE, SCO_OR_SRO, checkBoolean, checkString, checkStringList, checkTimestamp,
  enumeration, float, integer, isIdentifier, openVocab, ref, refTo, refs,
} from './primitives.js';
import { SOFTWARE_TARGET, ovList, requireOneOf, seenOrder, spec, type TypeSpec } from './spec.js';

function checkPattern(c: Context, o: Json): void {
  const pattern = o['pattern'];
  if (o['pattern_type'] !== 'stix' || typeof pattern !== 'string') return;
  const version = o['pattern_version'];
  if (version !== undefined && version !== '2.1' && version !== '2.0') {
    c.warn('$.pattern_version', 'pattern-version', `pattern_version ${JSON.stringify(version)} is not a known STIX patterning version (2.0 or 2.1); the pattern was checked against 2.1.`);
  }
  const result = parsePattern(pattern, { specVersion: version === '2.0' ? '2.0' : '2.1' });
  if (!result.ok) {
    const { message, line, column } = result.error;
    c.error('$.pattern', 'pattern-syntax', `The STIX pattern is invalid at line ${line}, column ${column}: ${message}. Fix the pattern (section 9) or, if it is not a STIX pattern, set pattern_type to its language.`);
    return;
  }
  for (const { regex, problem } of patternRegexIssues(result.pattern)) {
    c.error('$.pattern', 'pattern-syntax', `The STIX pattern's MATCHES ${JSON.stringify(regex)} cannot be evaluated: ${problem} (section 9.6).`);
  }
}

/** STIX Domain Objects (section 4). */
export const SDO_SPECS: Readonly<Record<string, TypeSpec>> = {
  'attack-pattern': spec('sdo', {
    name: checkString, description: checkString, aliases: checkStringList, kill_chain_phases: checkKillChainPhases,
  }, ['name']),
  campaign: spec('sdo', {
    name: checkString, description: checkString, aliases: checkStringList, first_seen: checkTimestamp,
    last_seen: checkTimestamp, objective: checkString,
  }, ['name'], seenOrder),
  'course-of-action': spec('sdo', { name: checkString, description: checkString }, ['name']),
  grouping: spec('sdo', {
    name: checkString, description: checkString, context: openVocab(GROUPING_CONTEXT_OV), object_refs: refs(ANY_OBJECT),
  }, ['context', 'object_refs']),
  identity: spec('sdo', {
    name: checkString, description: checkString, roles: checkStringList, identity_class: openVocab(IDENTITY_CLASS_OV),
    sectors: ovList(INDUSTRY_SECTOR_OV), contact_information: checkString,
  }, ['name']),
  incident: spec('sdo', { name: checkString, description: checkString }, ['name']),
  indicator: spec('sdo', {
    name: checkString, description: checkString, indicator_types: ovList(INDICATOR_TYPE_OV), pattern: checkString,
    pattern_type: openVocab(PATTERN_TYPE_OV), pattern_version: checkString, valid_from: checkTimestamp,
    valid_until: checkTimestamp, kill_chain_phases: checkKillChainPhases,
  }, ['pattern', 'pattern_type', 'valid_from'], (c, o) => {
    checkOrder(c, o, 'valid_from', 'valid_until', true);
    checkPattern(c, o);
  }),
  infrastructure: spec('sdo', {
    name: checkString, description: checkString, infrastructure_types: ovList(INFRASTRUCTURE_TYPE_OV),
    aliases: checkStringList, kill_chain_phases: checkKillChainPhases, first_seen: checkTimestamp, last_seen: checkTimestamp,
  }, ['name'], seenOrder),
  'intrusion-set': spec('sdo', {
    name: checkString, description: checkString, aliases: checkStringList, first_seen: checkTimestamp,
    last_seen: checkTimestamp, goals: checkStringList, resource_level: openVocab(ATTACK_RESOURCE_LEVEL_OV),
    primary_motivation: openVocab(ATTACK_MOTIVATION_OV), secondary_motivations: ovList(ATTACK_MOTIVATION_OV),
  }, ['name'], seenOrder),
  location: spec('sdo', {
    name: checkString, description: checkString, latitude: float(-90, 90), longitude: float(-180, 180),
    precision: float(0), region: openVocab(REGION_OV), country: checkString,
    administrative_area: checkString, city: checkString, street_address: checkString, postal_code: checkString,
  }, [], (c, o) => {
    const hasLat = present(o, 'latitude');
    const hasLong = present(o, 'longitude');
    if (hasLat !== hasLong) {
      c.error(hasLat ? '$.longitude' : '$.latitude', 'dependent-property', 'latitude and longitude must be given together (4.10).');
    }
    if (present(o, 'precision') && !(hasLat && hasLong)) {
      c.error('$.precision', 'dependent-property', 'precision requires latitude and longitude (4.10); add them or remove precision.');
    }
    if (!present(o, 'region') && !present(o, 'country') && !(hasLat && hasLong)) {
      c.error('$', 'at-least-one', 'A location must give at least one of region, country, or latitude and longitude (4.10).');
    }
    const country = o['country'];
    if (typeof country === 'string' && !COUNTRY_RE.test(country)) {
      c.warn('$.country', 'value-format', `country SHOULD be an ISO 3166-1 alpha-2 code such as "us" or "th"; got ${JSON.stringify(country)}.`);
    }
  }),
  malware: spec('sdo', {
    name: checkString, description: checkString, malware_types: ovList(MALWARE_TYPE_OV), is_family: checkBoolean,
    aliases: checkStringList, kill_chain_phases: checkKillChainPhases, first_seen: checkTimestamp, last_seen: checkTimestamp,
    operating_system_refs: refs(SOFTWARE_TARGET), architecture_execution_envs: ovList(PROCESSOR_ARCHITECTURE_OV),
    implementation_languages: ovList(IMPLEMENTATION_LANGUAGE_OV), capabilities: ovList(MALWARE_CAPABILITIES_OV),
    sample_refs: refs(refTo(['file', 'artifact'])),
  }, ['is_family'], (c, o) => {
    seenOrder(c, o);
    if (o['is_family'] === true && o['name'] === undefined) {
      c.error('$.name', 'required', 'A malware family (is_family true) must have a name (4.11).');
    }
  }),
  'malware-analysis': spec('sdo', {
    product: checkString, version: checkString, host_vm_ref: ref(SOFTWARE_TARGET), operating_system_ref: ref(SOFTWARE_TARGET),
    installed_software_refs: refs(SOFTWARE_TARGET), configuration_version: checkString, modules: checkStringList,
    analysis_engine_version: checkString, analysis_definition_version: checkString, submitted: checkTimestamp,
    analysis_started: checkTimestamp, analysis_ended: checkTimestamp, result_name: checkString,
    result: openVocab(MALWARE_RESULT_OV), analysis_sco_refs: refs(ANY_SCO),
    sample_ref: ref(refTo(['file', 'network-traffic', 'artifact'])),
  }, ['product'], (c, o) => {
    requireOneOf(c, o, ['result', 'analysis_sco_refs'], '4.12');
    checkOrder(c, o, 'analysis_started', 'analysis_ended', false);
  }),
  note: spec('sdo', {
    abstract: checkString, content: checkString, authors: checkStringList, object_refs: refs(ANY_OBJECT),
  }, ['content', 'object_refs']),
  'observed-data': spec('sdo', {
    first_observed: checkTimestamp, last_observed: checkTimestamp, number_observed: integer(1, 999_999_999),
    objects: checkObservableContainer, object_refs: refs(SCO_OR_SRO),
  }, ['first_observed', 'last_observed', 'number_observed'], (c, o) => {
    checkOrder(c, o, 'first_observed', 'last_observed', false);
    const hasObjects = present(o, 'objects');
    const hasRefs = present(o, 'object_refs');
    if (hasObjects && hasRefs) {
      c.error('$.objects', 'mutually-exclusive', 'objects and object_refs must not both be present (4.14); keep object_refs and publish the SCOs as top-level objects.');
    } else if (!hasObjects && !hasRefs) {
      c.error('$.object_refs', 'required', 'Observed data needs object_refs (or the deprecated objects container) listing what was observed (4.14).');
    }
    const list = o['object_refs'];
    if (Array.isArray(list) && list.length > 0) {
      const hasSco = list.some((r) => isIdentifier(r) && ANY_SCO.accepts(r.slice(0, r.length - 38)));
      if (!hasSco) c.error('$.object_refs', 'ref-type', 'object_refs must contain at least one SCO reference (4.14).');
    }
    if (hasObjects) {
      c.warn('$.objects', 'deprecated', 'The objects observable container is deprecated in 2.1 (2.13); publish the SCOs as top-level objects and reference them in object_refs.');
    }
  }),
  opinion: spec('sdo', {
    explanation: checkString, authors: checkStringList, opinion: enumeration(OPINION_ENUM), object_refs: refs(ANY_OBJECT),
  }, ['opinion', 'object_refs']),
  report: spec('sdo', {
    name: checkString, description: checkString, report_types: ovList(REPORT_TYPE_OV), published: checkTimestamp,
    object_refs: refs(ANY_OBJECT),
  }, ['name', 'published', 'object_refs']),
  'threat-actor': spec('sdo', {
    name: checkString, description: checkString, threat_actor_types: ovList(THREAT_ACTOR_TYPE_OV), aliases: checkStringList,
    first_seen: checkTimestamp, last_seen: checkTimestamp, roles: ovList(THREAT_ACTOR_ROLE_OV), goals: checkStringList,
    sophistication: openVocab(THREAT_ACTOR_SOPHISTICATION_OV), resource_level: openVocab(ATTACK_RESOURCE_LEVEL_OV),
    primary_motivation: openVocab(ATTACK_MOTIVATION_OV), secondary_motivations: ovList(ATTACK_MOTIVATION_OV),
    personal_motivations: ovList(ATTACK_MOTIVATION_OV),
  }, ['name'], seenOrder),
  tool: spec('sdo', {
    name: checkString, description: checkString, tool_types: ovList(TOOL_TYPE_OV), aliases: checkStringList,
    kill_chain_phases: checkKillChainPhases, tool_version: checkString,
  }, ['name']),
  vulnerability: spec('sdo', { name: checkString, description: checkString }, ['name']),
};

function checkObservableContainer(c: Context, v: unknown, path: string): void {
  if (!isPlainObject(v)) return typeError(c, path, 'an observable container (a dictionary of cyber-observable objects)', v);
  let empty = true;
  for (const key in v) {
    empty = false;
    const sco = v[key];
    const at = childPath(path, key);
    if (!isPlainObject(sco)) typeError(c, at, 'a cyber-observable object', sco);
    else if (typeof sco['type'] !== 'string') c.error(`${at}.type`, 'required', 'Each object in the observable container needs a type (2.13).');
  }
  if (empty) c.error(path, 'empty-dictionary', 'The objects container must contain at least one object (4.14).');
}
