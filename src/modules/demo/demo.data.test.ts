import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StixObject } from '../../stix/types.js';
import {
  HANDLING_EXTENSION_ID,
  TLP2_MARKING_IDS,
  TLP_LEVELS,
  handlingOfMarkingDefinition,
  tlpOfMarkingId,
} from '../../policy/markings.js';
import { validateObject } from '../../stix/validate.js';
import { computeScoId } from '../../stix/sco-id.js';
import { DEMO_REPORT_LABEL, SYNTHETIC_NOTICE, demoAlliance } from './demo.data.js';

const demo = demoAlliance();
const objects = demo.objects;

const EXPECTED_ALLIES = [
  'ALB', 'BEL', 'BGR', 'CAN', 'HRV', 'CZE', 'DNK', 'EST', 'FIN', 'FRA', 'DEU', 'GRC', 'HUN', 'ISL', 'ITA', 'LVA',
  'LTU', 'LUX', 'MNE', 'NLD', 'MKD', 'NOR', 'POL', 'PRT', 'ROU', 'SVK', 'SVN', 'ESP', 'SWE', 'TUR', 'GBR', 'USA',
];

const SCO_TYPES = new Set([
  'artifact', 'autonomous-system', 'directory', 'domain-name', 'email-addr', 'email-message', 'file', 'ipv4-addr',
  'ipv6-addr', 'mac-addr', 'mutex', 'network-traffic', 'process', 'software', 'url', 'user-account',
  'windows-registry-key', 'x509-certificate',
]);

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every id named by a *_ref or *_refs property, at any depth. */
function referencesOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) referencesOf(item, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key.endsWith('_ref') && typeof inner === 'string') out.push(inner);
      else if (key.endsWith('_refs') && Array.isArray(inner)) {
        for (const ref of inner) if (typeof ref === 'string') out.push(ref);
      } else referencesOf(inner, out);
    }
  }
  return out;
}

function ofType(type: string): StixObject[] {
  return objects.filter((o) => o.type === type);
}

test('members: 32 Allies, partners, CERT-EU, the alliance body and two industry partners', () => {
  const allies = demo.members.filter((m) => m.kind === 'ally');
  assert.equal(allies.length, 32);
  assert.deepEqual(new Set(allies.map((m) => m.code)), new Set(EXPECTED_ALLIES));
  for (const ally of allies) assert.equal(ally.country, ally.code);

  const partners = demo.members.filter((m) => m.kind === 'partner');
  assert.ok(partners.length >= 5, `${partners.length} partners`);
  for (const partner of partners) assert.match(partner.country ?? '', /^[A-Z]{3}$/);

  const certEu = demo.members.find((m) => m.code === 'CERT-EU');
  assert.equal(certEu?.kind, 'international-organisation');
  assert.equal(certEu?.country, null);
  assert.ok(demo.members.some((m) => m.code === 'NCIRC' && m.kind === 'international-organisation'));

  const industry = demo.members.filter((m) => m.kind === 'industry');
  assert.equal(industry.length, 2);
  for (const company of industry) {
    assert.match(company.code, /^IND-/);
    assert.match(company.name, /fictional/i);
  }

  assert.equal(new Set(demo.members.map((m) => m.code)).size, demo.members.length);
  assert.equal(new Set(demo.members.map((m) => m.identityId)).size, demo.members.length);
  const byId = new Map(objects.map((o) => [o.id, o]));
  for (const member of demo.members) {
    const identity = byId.get(member.identityId);
    assert.ok(identity, `identity of ${member.code}`);
    assert.equal(identity.type, 'identity');
    assert.equal(identity.identity_class, 'organization');
    assert.equal(identity.name, member.name);
    assert.ok(String(identity.description).includes(SYNTHETIC_NOTICE));
  }
});

test('the set is a realistic size and covers the STIX object types', () => {
  assert.ok(objects.length >= 2000 && objects.length <= 4500, `${objects.length} objects`);
  for (const type of [
    'identity', 'marking-definition', 'extension-definition', 'location', 'intrusion-set', 'threat-actor', 'campaign',
    'malware', 'tool', 'attack-pattern', 'vulnerability', 'infrastructure', 'indicator', 'observed-data',
    'relationship', 'sighting', 'report', 'note', 'opinion', 'grouping', 'course-of-action',
  ]) {
    assert.ok(ofType(type).length > 0, `no ${type}`);
  }
  const malware = ofType('malware');
  assert.ok(malware.some((m) => m.is_family === true));
  assert.ok(malware.some((m) => m.is_family === false));
});

test('deterministic: the same seed gives the same set, another seed other ids', () => {
  const again = demoAlliance();
  assert.deepEqual(again, demo);
  const a = demoAlliance({ seed: 7, now: new Date('2024-01-15T00:00:00.000Z') });
  const b = demoAlliance({ seed: 7, now: new Date('2024-01-15T00:00:00.000Z') });
  assert.deepEqual(a, b);
  const c = demoAlliance({ seed: 8, now: new Date('2024-01-15T00:00:00.000Z') });
  const aIds = new Set(a.objects.map((o) => o.id));
  const fixed = new Set<string>([...Object.values(TLP2_MARKING_IDS), HANDLING_EXTENSION_ID]);
  for (const member of c.members) assert.ok(!aIds.has(member.identityId));
  const sdoIds = c.objects.filter((o) => !SCO_TYPES.has(o.type) && !fixed.has(o.id)).map((o) => o.id);
  assert.ok(sdoIds.every((id) => !aIds.has(id)), 'domain object ids differ between seeds');
  const shared = c.objects.filter((o) => aIds.has(o.id) && !fixed.has(o.id)).length;
  assert.ok(shared < c.objects.length / 50, `${shared} shared ids`);
});

test('timestamps follow now', () => {
  const now = new Date('2024-01-15T00:00:00.000Z');
  const set = demoAlliance({ seed: 3, now });
  for (const object of set.objects) {
    if (typeof object.modified === 'string') assert.ok(Date.parse(object.modified) <= now.getTime(), object.id);
    if (typeof object.created === 'string' && object.type !== 'marking-definition') {
      assert.ok(Date.parse(object.created) >= now.getTime() - 1000 * 86_400_000, object.id);
    }
  }
});

test('no dangling references', () => {
  const ids = new Set(objects.map((o) => o.id));
  for (const id of Object.values(TLP2_MARKING_IDS)) assert.ok(ids.has(id), `TLP definition ${id}`);
  for (const object of objects) {
    for (const ref of referencesOf(object)) assert.ok(ids.has(ref), `${object.id} -> ${ref}`);
  }
});

test('referenced objects come before their referrers', () => {
  const firstIndex = new Map<string, number>();
  objects.forEach((object, index) => {
    if (!firstIndex.has(object.id)) firstIndex.set(object.id, index);
  });
  objects.forEach((object, index) => {
    for (const ref of referencesOf(object)) {
      if (ref === object.id) continue;
      const at = firstIndex.get(ref);
      assert.ok(at !== undefined && at < index, `${object.id} at ${index} refers to ${ref} at ${String(at)}`);
    }
    const extensions = object.extensions;
    if (typeof extensions === 'object' && extensions !== null) {
      for (const key of Object.keys(extensions)) {
        if (!key.startsWith('extension-definition--') || key === 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d') continue;
        const at = firstIndex.get(key);
        assert.ok(at !== undefined && at < index, `${object.id} uses extension ${key} defined at ${String(at)}`);
      }
    }
  });
  const firstOrdinary = objects.findIndex((o) => o.type !== 'identity' && o.type !== 'marking-definition' && o.type !== 'extension-definition');
  const lastHead = objects.reduce((last, o, index) => (o.type === 'identity' || o.type === 'marking-definition' ? index : last), -1);
  assert.ok(lastHead < firstOrdinary, 'identities and marking definitions come first');
});

test('TLP 2.0 and the handling extension are defined as the spec and the brief say', () => {
  for (const level of TLP_LEVELS) {
    const definition = objects.find((o) => o.id === TLP2_MARKING_IDS[level]);
    assert.ok(definition);
    assert.deepEqual(definition, {
      type: 'marking-definition',
      spec_version: '2.1',
      id: TLP2_MARKING_IDS[level],
      created: '2022-10-01T00:00:00.000Z',
      name: `TLP:${level.toUpperCase()}`,
      extensions: {
        'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: level },
      },
    });
  }
  const extension = objects.find((o) => o.id === HANDLING_EXTENSION_ID);
  assert.ok(extension);
  assert.equal(extension.type, 'extension-definition');
  assert.equal(extension.name, 'Shieldwall handling marking');
  assert.equal(extension.schema, 'https://shieldwall.example/extensions/handling/v1');
  assert.equal(extension.version, '1.0.0');
  assert.deepEqual(extension.extension_types, ['property-extension']);
  const alliance = demo.members.find((m) => m.code === 'NCIRC');
  assert.equal(extension.created_by_ref, alliance?.identityId);
});

test('markings are varied: every TLP level and several handling markings', () => {
  const handlingIds = new Set(
    ofType('marking-definition')
      .filter((d) => handlingOfMarkingDefinition(d) !== undefined)
      .map((d) => d.id),
  );
  assert.ok(handlingIds.size >= 5, `${handlingIds.size} handling markings`);
  for (const id of handlingIds) {
    const handling = handlingOfMarkingDefinition(objects.find((o) => o.id === id)!);
    assert.ok(handling?.classification !== undefined && (handling.releasableTo?.length ?? 0) > 0);
  }
  const tlpCounts = new Map<string, number>();
  const handlingUse = new Map<string, number>();
  let marked = 0;
  for (const object of objects) {
    const refs = object.object_marking_refs;
    if (object.type === 'marking-definition' && Object.values(TLP2_MARKING_IDS).includes(object.id)) continue;
    assert.ok(Array.isArray(refs) && refs.length > 0, `${object.id} has markings`);
    marked++;
    const tlps = refs.map((ref) => tlpOfMarkingId(ref)).filter((t) => t !== undefined);
    assert.equal(tlps.length, 1, `${object.id} carries exactly one TLP`);
    tlpCounts.set(tlps[0]!, (tlpCounts.get(tlps[0]!) ?? 0) + 1);
    for (const ref of refs) if (handlingIds.has(ref)) handlingUse.set(ref, (handlingUse.get(ref) ?? 0) + 1);
  }
  for (const level of TLP_LEVELS) assert.ok((tlpCounts.get(level) ?? 0) > 0, `TLP:${level} used`);
  const green = tlpCounts.get('green') ?? 0;
  const amber = tlpCounts.get('amber') ?? 0;
  assert.ok(green > (tlpCounts.get('red') ?? 0) && amber > (tlpCounts.get('red') ?? 0));
  assert.ok((green + amber) / marked > 0.5, 'weighted towards GREEN and AMBER');
  assert.equal(handlingUse.size, handlingIds.size, 'every handling marking is used');
  const handled = [...handlingUse.values()].reduce((a, b) => a + b, 0);
  assert.ok(handled / marked > 0.1 && handled / marked < 0.5, `${handled} of ${marked} carry a handling marking`);
});

test('objects are structurally valid STIX 2.1', () => {
  const memberIdentities = new Set(demo.members.map((m) => m.identityId));
  const alliance = demo.members.find((m) => m.code === 'NCIRC')!;
  const tlpIds = new Set(Object.values(TLP2_MARKING_IDS));
  for (const object of objects) {
    assert.match(object.id, new RegExp(`^${object.type}--${UUID}$`), object.id);
    assert.equal(object.spec_version, '2.1', object.id);
    if (SCO_TYPES.has(object.type)) {
      assert.equal(object.created_by_ref, undefined, `${object.id}: SCOs carry no created_by_ref`);
      assert.equal(object.created, undefined);
      continue;
    }
    assert.match(String(object.created), TIMESTAMP, object.id);
    if (object.type !== 'marking-definition') {
      assert.match(String(object.modified), TIMESTAMP, object.id);
      assert.ok(String(object.created) <= String(object.modified), `${object.id}: created <= modified`);
    }
    if (!tlpIds.has(object.id) && object.id !== alliance.identityId) {
      assert.ok(memberIdentities.has(String(object.created_by_ref)), `${object.id} created by a member`);
    }
    for (const key of ['first_seen', 'last_seen', 'first_observed', 'last_observed', 'valid_from', 'valid_until', 'published']) {
      if (object[key] !== undefined) assert.match(String(object[key]), TIMESTAMP, `${object.id}.${key}`);
    }
  }
  for (const indicator of ofType('indicator')) {
    assert.equal(indicator.pattern_type, 'stix');
    assert.equal(typeof indicator.pattern, 'string');
    assert.ok(typeof indicator.valid_from === 'string');
    if (indicator.valid_until !== undefined) assert.ok(String(indicator.valid_until) > String(indicator.valid_from));
    assert.match(String(indicator.pattern), /^\(?\[/);
  }
  for (const malware of ofType('malware')) {
    assert.equal(typeof malware.is_family, 'boolean');
    if (malware.is_family === true) assert.equal(typeof malware.name, 'string');
  }
  for (const type of ['identity', 'intrusion-set', 'threat-actor', 'campaign', 'tool', 'attack-pattern', 'vulnerability', 'infrastructure', 'course-of-action']) {
    for (const object of ofType(type)) assert.ok(typeof object.name === 'string' && object.name.length > 0, object.id);
  }
  for (const location of ofType('location')) assert.match(String(location.country), /^[A-Z]{2}$/);
  for (const observed of ofType('observed-data')) {
    assert.ok(String(observed.first_observed) <= String(observed.last_observed));
    assert.ok(Number(observed.number_observed) >= 1);
    const refs = observed.object_refs as string[];
    assert.ok(refs.length > 0);
    for (const ref of refs) assert.ok(SCO_TYPES.has(ref.split('--')[0]!), `${observed.id} refers to an observable`);
  }
  for (const note of ofType('note')) assert.ok(typeof note.content === 'string' && (note.object_refs as string[]).length > 0);
  for (const opinion of ofType('opinion')) {
    assert.ok(['strongly-disagree', 'disagree', 'neutral', 'agree', 'strongly-agree'].includes(String(opinion.opinion)));
  }
  for (const grouping of ofType('grouping')) assert.ok(typeof grouping.context === 'string' && (grouping.object_refs as string[]).length > 0);
});

test('reports and identities are labelled as synthetic', () => {
  const reports = ofType('report');
  assert.ok(reports.length >= 10);
  for (const report of reports) {
    assert.ok((report.labels as string[]).includes(DEMO_REPORT_LABEL));
    assert.ok(String(report.description).includes(SYNTHETIC_NOTICE));
    assert.ok((report.object_refs as string[]).length > 1);
    assert.ok(String(report.published) >= String(report.created));
  }
  for (const identity of ofType('identity')) assert.ok(String(identity.description).includes(SYNTHETIC_NOTICE));
});

test('indicator patterns cover every common observable kind and the pattern operators', () => {
  const patterns = ofType('indicator').map((o) => String(o.pattern));
  const kinds: Record<string, RegExp> = {
    'file MD5': /file:hashes\.MD5 = '[0-9a-f]{32}'/,
    'file SHA-1': /file:hashes\.'SHA-1' = '[0-9a-f]{40}'/,
    'file SHA-256': /file:hashes\.'SHA-256' = '[0-9a-f]{64}'/,
    'ipv4 address': /ipv4-addr:value = '\d+\.\d+\.\d+\.\d+'/,
    'ipv4 CIDR': /ipv4-addr:value (?:=|ISSUBSET) '\d+\.\d+\.\d+\.\d+\/\d+'/,
    'ipv6 address': /ipv6-addr:value = '2001:db8:[0-9a-f:]+'/,
    'ipv6 CIDR': /ipv6-addr:value (?:=|ISSUBSET) '2001:db8:[0-9a-f:]*\/\d+'/,
    domain: /domain-name:value = /,
    url: /url:value = /,
    'e-mail address': /email-addr:value = /,
    'e-mail subject': /email-message:subject = /,
    mutex: /mutex:name = /,
    'registry key': /windows-registry-key:key = /,
    'user account': /user-account:(?:user_id|account_login) = /,
    'x509 hash': /x509-certificate:hashes\./,
    'destination port': /network-traffic:dst_port = \d+/,
    process: /process:(?:image_ref\.name|command_line) = /,
    software: /software:name = /,
    'autonomous system': /autonomous-system:number = \d+/,
    'mac address': /mac-addr:value = '(?:[0-9a-f]{2}:){5}[0-9a-f]{2}'/,
    'user agent': /network-traffic:extensions\.'http-request-ext'\.request_header\.'User-Agent'(?:\[\*\])? = /,
    'AND (comparison)': /\[[^\]]* AND [^\]]*\]/,
    'OR (comparison)': /\[[^\]]* OR [^\]]*\]/,
    'AND (observation)': /\] AND \[/,
    'OR (observation)': /\] OR \[/,
    FOLLOWEDBY: /\] FOLLOWEDBY \[/,
    WITHIN: /WITHIN \d+ SECONDS/,
    REPEATS: /REPEATS \d+ TIMES/,
    'START/STOP': /START t'[^']+' STOP t'[^']+'/,
    MATCHES: / MATCHES '/,
  };
  for (const [kind, pattern] of Object.entries(kinds)) {
    assert.ok(patterns.some((p) => pattern.test(p)), `no indicator for ${kind}`);
  }
});

test('nothing real is implicated: documentation addresses and reserved domains only', () => {
  const documentationV4 = /^(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d+(?:\/\d+)?$/;
  const reservedDomain = /(?:^|\.)(?:example|test|invalid|example\.com|example\.net|example\.org)$/;
  const texts: string[] = [];
  for (const object of objects) {
    if (object.type === 'indicator') texts.push(String(object.pattern));
    if (SCO_TYPES.has(object.type)) texts.push(JSON.stringify(object));
  }
  const all = texts.join('\n');
  for (const match of all.matchAll(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:\/\d+)?\b/g)) {
    assert.match(match[0], documentationV4);
  }
  for (const match of all.matchAll(/\b[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f:]*::[0-9a-f]*(?:\/\d+)?/g)) {
    if (match[0].startsWith('00:00:5e')) continue;
    assert.ok(match[0].startsWith('2001:db8:'), match[0]);
  }
  for (const object of objects) {
    if (object.type === 'domain-name') assert.match(String(object.value), reservedDomain);
    if (object.type === 'email-addr') assert.match(String(object.value).split('@')[1]!, reservedDomain);
    if (object.type === 'url') {
      const host = new URL(String(object.value)).hostname;
      assert.ok(reservedDomain.test(host) || documentationV4.test(host), host);
    }
  }
  for (const pattern of ofType('indicator').map((o) => String(o.pattern))) {
    for (const match of pattern.matchAll(/domain-name:value = '([^']+)'/g)) assert.match(match[1]!, reservedDomain);
    for (const match of pattern.matchAll(/email-addr:value = '([^']+)'/g)) assert.match(match[1]!.split('@')[1]!, reservedDomain);
    for (const match of pattern.matchAll(/url:value = '([^']+)'/g)) {
      const host = new URL(match[1]!).hostname;
      assert.ok(reservedDomain.test(host) || documentationV4.test(host), host);
    }
  }
});

test('observables have deterministic ids and match indicators', () => {
  const scos = objects.filter((o) => SCO_TYPES.has(o.type));
  assert.ok(scos.length > 100);
  assert.equal(new Set(scos.map((o) => o.id)).size, scos.length, 'no duplicate observables');
  for (const sco of scos) {
    const expected = computeScoId(sco);
    if (sco.type === 'process') {
      assert.equal(expected, undefined);
      assert.match(sco.id, new RegExp(`^process--${UUID.replace('[1-8]', '4')}$`));
    } else {
      assert.equal(sco.id, expected, sco.id);
      assert.match(sco.id, new RegExp(`^${sco.type}--${UUID.replace('[1-8]', '5')}$`));
    }
  }
  const patterns = ofType('indicator').map((o) => String(o.pattern)).join('\n');
  const matched = scos.filter((o) => typeof o.value === 'string' && patterns.includes(`'${String(o.value)}'`));
  assert.ok(matched.length > 50, `${matched.length} observables match an indicator`);
});

test('relationships use types valid for their source and target', () => {
  const typeOf = new Map(objects.map((o) => [o.id, o.type]));
  const actors = ['intrusion-set', 'campaign', 'threat-actor'];
  const valid: Array<[string[], string, string[]]> = [
    [['indicator'], 'indicates', ['attack-pattern', 'campaign', 'infrastructure', 'intrusion-set', 'malware', 'threat-actor', 'tool']],
    [['indicator'], 'based-on', ['observed-data']],
    [[...actors, 'malware'], 'uses', ['attack-pattern', 'infrastructure', 'malware', 'tool']],
    [['campaign'], 'attributed-to', ['intrusion-set', 'threat-actor']],
    [['intrusion-set'], 'attributed-to', ['threat-actor']],
    [actors, 'targets', ['identity', 'location', 'vulnerability']],
    [['malware'], 'variant-of', ['malware']],
    [['malware'], 'exploits', ['vulnerability']],
    [['infrastructure'], 'controls', ['infrastructure', 'malware']],
    [['infrastructure'], 'communicates-with', ['infrastructure', 'ipv4-addr', 'ipv6-addr', 'domain-name', 'url']],
    [['course-of-action'], 'mitigates', ['attack-pattern', 'indicator', 'malware', 'tool', 'vulnerability']],
    [['identity', 'threat-actor'], 'located-at', ['location']],
  ];
  const used = new Set<string>();
  for (const relationship of ofType('relationship')) {
    const type = String(relationship.relationship_type);
    const source = typeOf.get(String(relationship.source_ref));
    const target = typeOf.get(String(relationship.target_ref));
    assert.ok(source && target, relationship.id);
    assert.notEqual(relationship.source_ref, relationship.target_ref);
    used.add(type);
    if (type === 'derived-from' || type === 'duplicate-of') {
      assert.equal(source, target, `${relationship.id}: ${type} joins objects of one type`);
      continue;
    }
    const ok = valid.some(([sources, name, targets]) => name === type && sources.includes(source) && targets.includes(target));
    assert.ok(ok, `${relationship.id}: ${source} ${type} ${target}`);
  }
  for (const type of ['indicates', 'uses', 'attributed-to', 'targets', 'variant-of', 'mitigates', 'based-on', 'derived-from']) {
    assert.ok(used.has(type), `no ${type} relationship`);
  }
});

test('sightings point at indicators, members and observed data', () => {
  const typeOf = new Map(objects.map((o) => [o.id, o.type]));
  const memberIdentities = new Set(demo.members.map((m) => m.identityId));
  const sightings = ofType('sighting');
  assert.ok(sightings.length >= 100);
  let withObserved = 0;
  for (const sighting of sightings) {
    assert.equal(typeOf.get(String(sighting.sighting_of_ref)), 'indicator');
    const where = sighting.where_sighted_refs as string[];
    assert.ok(where.length >= 1);
    for (const ref of where) assert.ok(memberIdentities.has(ref));
    assert.ok(Number.isInteger(sighting.count) && Number(sighting.count) >= 1);
    assert.ok(String(sighting.first_seen) <= String(sighting.last_seen));
    if (Array.isArray(sighting.observed_data_refs)) {
      withObserved++;
      for (const ref of sighting.observed_data_refs) assert.equal(typeOf.get(String(ref)), 'observed-data');
    }
  }
  assert.ok(withObserved > 0);
  const multiMember = sightings.filter((s) => (s.where_sighted_refs as string[]).length > 1);
  assert.ok(multiMember.length > 0, 'some indicators sighted by several members');
});

test('some objects have several versions and some are revoked', () => {
  const versions = new Map<string, StixObject[]>();
  for (const object of objects) versions.set(object.id, [...(versions.get(object.id) ?? []), object]);
  const versioned = [...versions.values()].filter((list) => list.length > 1);
  assert.ok(versioned.length >= 5, `${versioned.length} versioned objects`);
  assert.ok(versioned.some((list) => list.length >= 3));
  for (const list of versioned) {
    for (let index = 1; index < list.length; index++) {
      assert.equal(list[index]!.created, list[0]!.created);
      assert.ok(String(list[index]!.modified) > String(list[index - 1]!.modified), `${list[0]!.id} versions are ordered`);
    }
  }
  const revoked = objects.filter((o) => o.revoked === true);
  assert.ok(revoked.length >= 3);
  for (const object of revoked) assert.ok((versions.get(object.id) ?? []).length > 1, 'revocation is a later version');
});

test('invariants hold for other seeds too', () => {
  for (const seed of [1, 2, 42, 0xffffffff]) {
    const set = demoAlliance({ seed });
    const seen = new Set<string>();
    const levels = new Set<string>();
    for (const object of set.objects) {
      for (const ref of referencesOf(object)) {
        assert.ok(ref === object.id || seen.has(ref), `seed ${seed}: ${object.id} -> ${ref}`);
      }
      seen.add(object.id);
      for (const ref of object.object_marking_refs ?? []) {
        const tlp = tlpOfMarkingId(ref);
        if (tlp) levels.add(tlp);
      }
    }
    assert.equal(levels.size, TLP_LEVELS.length, `seed ${seed}: every TLP level`);
    const labels = new Set(set.objects.filter((o) => o.type === 'indicator').flatMap((o) => o.labels as string[]));
    for (const kind of ['file-md5', 'ipv6-cidr', 'mac-addr', 'user-agent', 'compound', 'autonomous-system']) {
      assert.ok(labels.has(kind), `seed ${seed}: ${kind}`);
    }
  }
});

test('every demo object passes the STIX 2.1 validator', () => {
  for (const set of [objects, demoAlliance({ seed: 99 }).objects]) {
    for (const object of set) {
      const result = validateObject(object);
      assert.ok(result.ok, `${object.id}: ${result.ok ? '' : JSON.stringify(result.errors)}`);
    }
  }
});
