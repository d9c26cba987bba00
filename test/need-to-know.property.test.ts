/**
 * The proof of need-to-know: random members, users and marked objects; every user lists the
 * store through the real HTTP API, and what comes back must equal what a deliberately simple
 * reference model of the rule allows, computed from the raw objects (not the stored columns,
 * access sets or SQL). Zero leaks and zero wrongful denials, on both dialects, in every answer
 * shape: objects, listings, search, versions, TAXII, lookup, match and correlation, property by
 * property (granular markings, STIX 2.1 section 7.2.3). Records that are not STIX objects
 * (policy/record.ts) are held to the same rule: canReadRecord against canRead on an equivalent
 * STIX object, the SQL pre-filter (db/access-filter.ts) against canReadRecord on both dialects,
 * and who may write them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { addToGroup, createToken, createUser, principalOfUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { ingestObjects, listObjects } from '../src/modules/intel/intel.service.js';
import { readableRecords, RECORD_ACCESS_COLUMNS } from '../src/db/access-filter.js';
import { handlingMarkingDefinition, markingColumns, TLP1_MARKING_IDS, TLP2_MARKING_IDS, TLP_LEVELS, type HandlingMarking } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL, type MemberKind, type MemberOfPrincipal, type Principal } from '../src/policy/principal.js';
import { canCreateRecord, canDeleteRecord, canReadRecord, canWriteRecord, recordAccessOfColumns, recordReadScope, type RecordColumns } from '../src/policy/record.js';
import { accessOfColumns, canRead } from '../src/policy/rule.js';
import type { StixObject } from '../src/stix/types.js';
import { TAXII_MEDIA_TYPE } from '../src/modules/taxii/taxii.service.js';
import { createTestStore, DIALECTS, dialectSkip, type TestStore } from './support/dialects.js';
import { indicator } from './support/factories.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const OBJECTS = 1300;
const USERS = 8;
const LEVELS = ['UNCLASSIFIED', 'RESTRICTED', 'CONFIDENTIAL', 'SECRET', 'TOP SECRET'];
const KINDS: MemberKind[] = ['ally', 'partner', 'international-organisation', 'industry'];
const BUILT_IN: Record<string, MemberKind> = { ALLIANCE: 'ally', PARTNERS: 'partner', INDUSTRY: 'industry' };
const TLP_IDS: Record<string, string> = {
  [TLP2_MARKING_IDS.clear]: 'clear',
  [TLP1_MARKING_IDS.white]: 'clear',
  [TLP2_MARKING_IDS.green]: 'green',
  [TLP1_MARKING_IDS.green]: 'green',
  [TLP2_MARKING_IDS.amber]: 'amber',
  [TLP1_MARKING_IDS.amber]: 'amber',
  [TLP2_MARKING_IDS['amber+strict']]: 'amber+strict',
  [TLP2_MARKING_IDS.red]: 'red',
  [TLP1_MARKING_IDS.red]: 'red',
};
const TLP_RANK = ['clear', 'green', 'amber', 'amber+strict', 'red'];

interface World {
  members: Array<{ code: string; kind: MemberKind; identity: string; groups: string[] }>;
  users: Array<{ name: string; member: number | null; clearance: number }>;
  handling: Array<{ id: string; classification: number; releasableTo: string[] }>;
  /** The current version of each object. */
  objects: StixObject[];
  /** An older version of some objects, marked on its own, by id. */
  older: Map<string, StixObject>;
}

/** Words the objects' names carry, for ?q= searches. */
const WORDS = ['alpha', 'bravo', 'charlie'];
/** valid_until of some indicators: long past, or far ahead. */
const PAST = '2024-06-01T00:00:00.000Z';
const FUTURE = '2099-01-01T00:00:00.000Z';
/** Properties a granular marking may select; pattern and valid_from are required of an indicator (STIX 2.1 section 4.7). */
const SELECTABLE = ['description', 'name', 'confidence', 'labels', 'valid_until', 'created_by_ref', 'pattern', 'valid_from'];
const REQUIRED = new Set(['pattern', 'pattern_type', 'valid_from']);

const uuid = (n: number, salt: number) => `${(0x10000000 + salt).toString(16)}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** The world: members of every kind, a named group, users, handling markings, objects. */
function generate(seed: number): World {
  const rnd = fc.sample(fc.integer({ min: 0, max: 2 ** 30 }), { seed, numRuns: 50_000 });
  let i = 0;
  const pick = (n: number) => rnd[i++ % rnd.length]! % n;
  const members = Array.from({ length: 6 }, (_, m) => ({
    code: `M${m}`,
    kind: KINDS[m < 3 ? 0 : pick(KINDS.length)]!,
    identity: `identity--${uuid(m, 1)}`,
    groups: [] as string[],
  }));
  for (const m of members) if (pick(2) === 0) m.groups.push('NAMED');
  const users = Array.from({ length: USERS }, (_, u) => ({ name: `user${u}`, member: u === USERS - 1 ? null : pick(members.length), clearance: pick(LEVELS.length) }));
  const entries = () => {
    const pool = [...members.map((m) => m.code), 'ALLIANCE', 'PARTNERS', 'INDUSTRY', 'NAMED', ...users.map((u) => `@${u.name}`)];
    return pool.filter(() => pick(3) === 0);
  };
  const handling = Array.from({ length: 10 }, (_, h) => ({ id: `marking-definition--${uuid(h, 2)}`, classification: pick(LEVELS.length), releasableTo: entries() }));
  const tlps = Object.keys(TLP_IDS);
  const origins = [...members.map((m) => m.identity), `identity--${uuid(99, 3)}`, undefined];
  const markingRefs = () => {
    const refs: string[] = [];
    if (pick(6) !== 0) refs.push(tlps[pick(tlps.length)]!);
    const handlingCount = pick(3);
    for (let k = 0; k < handlingCount; k++) refs.push(handling[pick(handling.length)]!.id);
    return refs.length > 0 ? { object_marking_refs: [...new Set(refs)] } : {};
  };
  const objects = Array.from({ length: OBJECTS }, (_, o) => {
    const origin = origins[pick(origins.length)];
    const validUntil = [undefined, PAST, FUTURE][pick(3)];
    const object = indicator({
      id: `indicator--${uuid(o, 4)}`,
      ...(o % 6 === 0 ? { modified: '2024-04-01T00:00:00.000Z' } : {}),
      name: `indicator ${o} ${WORDS[pick(WORDS.length)]!}`,
      description: `object ${o}`,
      confidence: pick(101),
      ...(pick(2) === 0 ? { labels: [`label-${o}`, 'shared-label'] } : {}),
      ...(validUntil ? { valid_until: validUntil } : {}),
      ...markingRefs(),
      ...(origin ? { created_by_ref: origin } : {}),
    });
    if (pick(3) === 0) {
      const present = SELECTABLE.filter((key) => key in object);
      object.granular_markings = Array.from({ length: 1 + pick(2) }, () => ({
        marking_ref: pick(2) === 0 ? tlps[pick(tlps.length)]! : handling[pick(handling.length)]!.id,
        selectors: [...new Set([present[pick(present.length)]!, present[pick(present.length)]!])],
      }));
    }
    return object;
  });
  // Every sixth object has an older version, marked on its own (an object re-marked later).
  const older = new Map<string, StixObject>();
  for (const object of objects.filter((_, o) => o % 6 === 0)) {
    const { object_marking_refs: _refs, granular_markings: _granular, ...rest } = object;
    older.set(object.id, { ...rest, modified: object.created, description: `older ${object.id}`, ...markingRefs() } as StixObject);
  }
  return { members, users, handling, objects, older };
}

/** The reference model: the rule of docs/POLICY.md, read straight off the raw object. */
function referenceMayRead(world: World, user: World['users'][number], refs: readonly string[], origin: string | undefined): boolean {
  const member = user.member === null ? null : world.members[user.member]!;
  let tlp = -1;
  let level = 0;
  let released: string[] | null = null;
  for (const ref of refs) {
    if (TLP_IDS[ref]) tlp = Math.max(tlp, TLP_RANK.indexOf(TLP_IDS[ref]!));
    const h = world.handling.find((x) => x.id === ref);
    if (h) {
      level = Math.max(level, h.classification);
      released = released === null ? [...h.releasableTo] : released.filter((e) => h.releasableTo.includes(e));
    }
  }
  if (level > user.clearance) return false;
  if (member && origin === member.identity) return true;
  const list = released ?? (tlp === 0 ? ['*'] : ['ALLIANCE']);
  const mine = member ? [member.code, ...Object.keys(BUILT_IN).filter((g) => BUILT_IN[g] === member.kind), ...member.groups] : [];
  if (!list.includes('*') && !mine.some((e) => list.includes(e))) return false;
  if (TLP_RANK[tlp] === 'amber+strict') return member !== null && list.includes(member.code);
  if (TLP_RANK[tlp] === 'red') return list.includes(`@${user.name}`);
  return true;
}

const mayReadObject = (world: World, user: World['users'][number], object: StixObject) =>
  referenceMayRead(world, user, (object.object_marking_refs as string[] | undefined) ?? [], object.created_by_ref as string | undefined);

/**
 * What the user should receive of an object: nothing, or the object with the properties a
 * granular marking hides from it removed (and listed), the granular markings keeping only
 * selectors of what is left; nothing either when what a marking hides is required.
 */
function expected(world: World, user: World['users'][number], object: StixObject): StixObject | undefined {
  const refs = (object.object_marking_refs as string[] | undefined) ?? [];
  const origin = object.created_by_ref as string | undefined;
  if (!referenceMayRead(world, user, refs, origin)) return undefined;
  const granular = (object.granular_markings ?? []) as Array<{ marking_ref: string; selectors: string[] }>;
  const hidden = new Set(granular.filter((m) => !referenceMayRead(world, user, [...refs, m.marking_ref], origin)).flatMap((m) => m.selectors));
  if (hidden.size === 0) return object;
  if ([...hidden].some((key) => REQUIRED.has(key))) return undefined;
  const seen: Record<string, unknown> = { ...object };
  for (const key of hidden) delete seen[key];
  const kept = granular.map((m) => ({ ...m, selectors: m.selectors.filter((key) => !hidden.has(key)) })).filter((m) => m.selectors.length > 0);
  if (kept.length > 0) seen['granular_markings'] = kept;
  else delete seen['granular_markings'];
  seen['x_shieldwall_redacted'] = [...hidden].sort();
  return seen as StixObject;
}

/**
 * Every version of an object the user should receive, oldest first: each as expected() has it,
 * an older one only while the user may read the current version too or its member created it.
 */
function expectedVersions(world: World, user: World['users'][number], current: StixObject): StixObject[] {
  const out: StixObject[] = [];
  const older = world.older.get(current.id);
  const member = user.member === null ? null : world.members[user.member]!;
  if (older) {
    const seen = expected(world, user, older);
    if (seen && (mayReadObject(world, user, current) || (member !== null && older.created_by_ref === member.identity))) out.push(seen);
  }
  const seen = expected(world, user, current);
  if (seen) out.push(seen);
  return out;
}

/** Valid at this instant, as the object says (valid_from inclusive, valid_until exclusive)? */
function validAt(object: StixObject, at: number): boolean {
  return Date.parse(object['valid_from'] as string) <= at && (typeof object['valid_until'] !== 'string' || at < Date.parse(object['valid_until']));
}

for (const dialect of DIALECTS) {
  describe(`need-to-know through the HTTP API (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const world = generate(dialect === 'sqlite' ? 20261122 : 20261123);
    const tokens: string[] = [];

    before(async () => {
      node = await createTestNode(dialect);
      const ctx = node.ctx;
      await upsertMembers(
        ctx,
        SYSTEM_PRINCIPAL,
        world.members.map((m) => ({ code: m.code, name: m.code, kind: m.kind, country: null, identityId: m.identity })),
      );
      const named = world.members.filter((m) => m.groups.includes('NAMED')).map((m) => m.code);
      if (named.length > 0) await addToGroup(ctx, SYSTEM_PRINCIPAL, 'NAMED', 'a named group', named);
      for (const user of world.users) {
        await createUser(ctx, SYSTEM_PRINCIPAL, { name: user.name, member: user.member === null ? null : world.members[user.member]!.code, clearance: user.clearance, roles: ['analyst'] });
        tokens.push((await createToken(ctx, SYSTEM_PRINCIPAL, { name: user.name, user: user.name })).token);
      }
      const definitions = world.handling.map((h) =>
        handlingMarkingDefinition({ id: h.id, created: '2024-01-01T00:00:00.000Z', classification: LEVELS[h.classification]!, releasableTo: h.releasableTo }),
      );
      // Half the objects arrive before the marking-definitions they use: held back, then resolved.
      // Older versions arrive before and after the current ones.
      const older = [...world.older.values()];
      const summary = await ingestObjects(
        ctx,
        SYSTEM_PRINCIPAL,
        [...older.slice(0, older.length / 2), ...world.objects.slice(0, OBJECTS / 2), ...definitions, ...world.objects.slice(OBJECTS / 2), ...older.slice(older.length / 2)],
        { batchSize: 200 },
      );
      assert.equal(summary.accepted, OBJECTS + older.length + definitions.length);
    });
    after(async () => node?.close());

    it(`gives each of ${USERS} users exactly what the reference model allows, over ${USERS * OBJECTS} cases`, async () => {
      let cases = 0;
      let readable = 0;
      // Listings come in date_added order: the order of the rows in the store, read here apart from
      // the listing (an object stored before its marking-definition was added anew when the
      // definition arrived, after it).
      const byId = new Map(world.objects.map((o) => [o.id, o]));
      const stored = await node.ctx.store.db.selectFrom('stix_objects').select('id').where('type', '=', 'indicator').where('is_current', '=', 1).orderBy('seq').execute();
      const inOrder = stored.map((row) => byId.get(row.id)).filter((o): o is StixObject => o !== undefined);
      assert.equal(inOrder.length, world.objects.length);
      assert.notDeepEqual(inOrder.map((o) => o.id), world.objects.map((o) => o.id), 'objects that waited for their definitions come after them');
      for (let u = 0; u < world.users.length; u++) {
        const user = world.users[u]!;
        const got = new Map<string, unknown>();
        let cursor: string | undefined;
        do {
          const response = await node.app.inject({
            method: 'GET',
            url: `/api/v1/objects?type=indicator&limit=250${cursor ? `&cursor=${cursor}` : ''}`,
            headers: { authorization: `Bearer ${tokens[u]}` },
          });
          assert.equal(response.statusCode, 200, response.body);
          const page = response.json() as { objects: StixObject[]; next?: string };
          for (const o of page.objects) got.set(o.id, o);
          cursor = page.next;
          // A page says nothing of what the user may not read: only the last one is short.
          if (cursor) assert.equal(page.objects.length, 250, `${user.name}: a short page with a next cursor`);
        } while (cursor);
        for (const object of world.objects) {
          cases++;
          const want = expected(world, user, object);
          if (want) readable++;
          assert.deepEqual(got.get(object.id), want, `${user.name} (member ${user.member === null ? 'none' : world.members[user.member]!.code}, clearance ${user.clearance}) on ${JSON.stringify(object.object_marking_refs)} by ${String(object.created_by_ref)}`);
        }
        // The single-object read agrees with the listing.
        for (const object of world.objects.slice(0, 60)) {
          const one = await node.app.inject({ method: 'GET', url: `/api/v1/objects/${object.id}`, headers: { authorization: `Bearer ${tokens[u]}` } });
          const want = expected(world, user, object);
          assert.equal(one.statusCode, want ? 200 : 404);
          if (want) assert.deepEqual(one.json(), want);
        }
        // ?q= finds text only in what the user sees of an object.
        for (const word of WORDS) {
          const found: string[] = [];
          let next: string | undefined;
          do {
            const page = (await node.app.inject({ method: 'GET', url: `/api/v1/objects?type=indicator&q=${word}&limit=500${next ? `&cursor=${next}` : ''}`, headers: { authorization: `Bearer ${tokens[u]}` } })).json() as { objects: StixObject[]; next?: string };
            found.push(...page.objects.map((o) => o.id));
            next = page.next;
          } while (next);
          const want = inOrder.filter((o) => String(expected(world, user, o)?.name ?? '').includes(word)).map((o) => o.id);
          assert.deepEqual(found, want, `${user.name} searching ${word}`);
        }
        // Every version, one object at a time (REST) and all at once (TAXII match[version]=all).
        for (const object of world.objects.filter((o) => world.older.has(o.id))) {
          cases++;
          const want = expectedVersions(world, user, object);
          const versions = await node.app.inject({ method: 'GET', url: `/api/v1/objects/${object.id}?versions=all`, headers: { authorization: `Bearer ${tokens[u]}` } });
          assert.equal(versions.statusCode, want.length > 0 ? 200 : 404, `${user.name} on the versions of ${object.id}`);
          if (want.length > 0) assert.deepEqual((versions.json() as { versions: StixObject[] }).versions, want, `${user.name} on the versions of ${object.id}`);
        }
        for (const versions of ['last', 'all']) {
          const taxii = new Map<string, StixObject[]>();
          let next: string | undefined;
          do {
            const response = await node.app.inject({
              method: 'GET',
              url: `/taxii2/intel/collections/intel/objects/?match[type]=indicator&match[version]=${versions}&limit=300${next ? `&next=${next}` : ''}`,
              headers: { authorization: `Bearer ${tokens[u]}`, accept: TAXII_MEDIA_TYPE },
            });
            assert.equal(response.statusCode, 200, response.body);
            const page = response.json() as { objects?: StixObject[]; more?: boolean; next?: string };
            for (const o of page.objects ?? []) taxii.set(o.id, [...(taxii.get(o.id) ?? []), o]);
            next = page.more ? page.next : undefined;
            if (next) assert.equal(page.objects?.length, 300, `${user.name}: a short TAXII page with more`);
          } while (next);
          for (const object of world.objects) {
            const want = versions === 'all' ? expectedVersions(world, user, object) : [expected(world, user, object)].filter((o): o is StixObject => o !== undefined);
            const got = (taxii.get(object.id) ?? []).sort((a, b) => String(a.modified).localeCompare(String(b.modified)));
            assert.deepEqual(got, want, `${user.name} on ${object.id} through TAXII (match[version]=${versions})`);
          }
        }
      }
      // Both ways of paging the store give the same pages (the HTTP listing used one of them).
      for (let u = 0; u < world.users.length; u++) {
        const actor = (await principalOfUser(node.ctx, world.users[u]!.name))!;
        for (const strategy of ['ranges', 'walk'] as const) {
          const ids: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await listObjects(node.ctx, actor, { types: ['indicator'], limit: 97, strategy, ...(cursor ? { cursor } : {}) });
            ids.push(...page.objects.map((o) => o.id));
            cursor = page.next;
          } while (cursor);
          const want = inOrder.filter((o) => expected(world, world.users[u]!, o)).map((o) => o.id);
          assert.deepEqual(ids, want, `${strategy} paging for ${world.users[u]!.name}`);
        }
      }
      assert.ok(cases >= 10_000, `${cases} cases`);
      // A model that allowed nothing or everything would prove nothing.
      assert.ok(readable > cases * 0.05 && readable < cases * 0.95, `${readable} of ${cases} readable`);
      console.log(`need-to-know (${dialect}): ${cases} cases, ${readable} readable, 0 leaks, 0 wrongful denials`);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`need-to-know on writes (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: 'identity--0a1b2c3d-0000-4000-8000-000000000001' }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'low', member: 'TST', clearance: 1, roles: ['analyst'] });
    });
    after(async () => node?.close());

    it('rejects objects marked above the writer\'s clearance or signed as another member, keeps the rest', async () => {
      const token = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'low', user: 'low' })).token;
      const secret = handlingMarkingDefinition({ id: 'marking-definition--0a1b2c3d-0000-4000-8000-000000000002', created: '2024-01-01T00:00:00.000Z', classification: 'SECRET', releasableTo: ['ALLIANCE'] });
      const objects = [secret, indicator({ object_marking_refs: [secret.id] }), indicator({ created_by_ref: 'identity--0a1b2c3d-0000-4000-8000-000000000001' }), indicator()];
      const response = await node.app.inject({
        method: 'POST',
        url: '/api/v1/bundles?outcomes=all',
        payload: JSON.stringify({ type: 'bundle', id: 'bundle--0a1b2c3d-0000-4000-8000-000000000003', objects }),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      assert.equal(response.statusCode, 200, response.body);
      const answer = response.json() as { objects: Array<{ status: string; errors?: Array<{ rule: string; path: string }> }> };
      assert.deepEqual(answer.objects.map((o) => o.status), ['accepted', 'rejected', 'rejected', 'accepted']);
      assert.equal(answer.objects[1]!.errors![0]!.rule, 'above-clearance');
      assert.equal(answer.objects[2]!.errors![0]!.rule, 'foreign-originator');
      assert.equal(answer.objects[2]!.errors![0]!.path, '$.created_by_ref');
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`need-to-know through lookup and match (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const base = generate(dialect === 'sqlite' ? 20261126 : 20261127);
    // Each pair of indicators names an address of its own, so what a user finds tells which
    // indicators it may know of, and the two correlate.
    const address = (pair: number) => `10.${(pair >> 16) & 255}.${(pair >> 8) & 255}.${pair & 255}`;
    const world: World = { ...base, objects: base.objects.map((object, o) => ({ ...object, pattern: `[ipv4-addr:value = '${address(o >> 1)}']` })) };
    const pairs = OBJECTS / 2;
    const tokens: string[] = [];

    before(async () => {
      node = await createTestNode(dialect);
      const ctx = node.ctx;
      await upsertMembers(ctx, SYSTEM_PRINCIPAL, world.members.map((m) => ({ code: m.code, name: m.code, kind: m.kind, country: null, identityId: m.identity })));
      const named = world.members.filter((m) => m.groups.includes('NAMED')).map((m) => m.code);
      if (named.length > 0) await addToGroup(ctx, SYSTEM_PRINCIPAL, 'NAMED', 'a named group', named);
      for (const user of world.users) {
        await createUser(ctx, SYSTEM_PRINCIPAL, { name: user.name, member: user.member === null ? null : world.members[user.member]!.code, clearance: user.clearance, roles: ['analyst'] });
        tokens.push((await createToken(ctx, SYSTEM_PRINCIPAL, { name: user.name, user: user.name })).token);
      }
      const definitions = world.handling.map((h) => handlingMarkingDefinition({ id: h.id, created: '2024-01-01T00:00:00.000Z', classification: LEVELS[h.classification]!, releasableTo: h.releasableTo }));
      // Half the indicators are indexed at the first build, half arrive after it (followed live).
      await ingestObjects(ctx, SYSTEM_PRINCIPAL, [...definitions, ...world.objects.slice(0, OBJECTS / 2)], { batchSize: 200 });
      await node.detection.ready();
      await ingestObjects(ctx, SYSTEM_PRINCIPAL, world.objects.slice(OBJECTS / 2), { batchSize: 200 });
      await node.detection.settled();
    });
    after(async () => node?.close());

    it('each user finds exactly the indicators the reference model lets it read, and what it may see of them, by lookup, by matching a log and by correlation', async () => {
      let cases = 0;
      let found = 0;
      const values = Array.from({ length: pairs }, (_, pair) => address(pair));
      const eventTime = Date.parse('2026-11-01T00:00:00Z');
      const byId = new Map(world.objects.map((o) => [o.id, o]));
      for (let u = 0; u < world.users.length; u++) {
        const user = world.users[u]!;
        const seen = new Map(world.objects.map((object) => [object.id, expected(world, user, object)]));
        const pairOf = (pair: number) => [world.objects[2 * pair]!, world.objects[2 * pair + 1]!].map((o) => seen.get(o.id)).filter((o): o is StixObject => o !== undefined);
        const say = (object: StixObject) => `${user.name} on ${object.id} (${JSON.stringify(byId.get(object.id)!.granular_markings ?? [])})`;

        // Lookup: the indicators valid now as the user sees them, each with what it may see of them.
        const lookup = await node.app.inject({ method: 'POST', url: '/api/v1/lookup', payload: { values }, headers: { authorization: `Bearer ${tokens[u]}` } });
        assert.equal(lookup.statusCode, 200, lookup.body);
        const answers = (lookup.json() as { answers: Array<{ value: string; indicators: Array<Record<string, unknown>> }> }).answers;
        const now = Date.now();
        for (let pair = 0; pair < pairs; pair++) {
          cases += 2;
          const want = pairOf(pair).filter((o) => validAt(o, now));
          const hits = answers[pair]!.indicators;
          assert.deepEqual(hits.map((h) => h['id']).sort(), want.map((o) => o.id).sort(), `${user.name} looking up ${values[pair]}`);
          found += want.length;
          for (const object of want) {
            const hit = hits.find((h) => h['id'] === object.id)!;
            for (const key of ['confidence', 'valid_from', 'valid_until', 'created_by_ref']) assert.equal(hit[key], object[key], `${say(object)}: ${key} in a lookup`);
          }
        }

        // Matching: the indicators valid at the events' time as the user sees them, with their confidence as seen.
        const log = values.map((v, n) => JSON.stringify({ timestamp: '2026-11-01T00:00:00Z', n, dest_ip: v })).join('\n');
        const match = await node.app.inject({ method: 'POST', url: '/api/v1/match?format=ndjson', payload: log, headers: { authorization: `Bearer ${tokens[u]}`, 'content-type': 'application/x-ndjson' } });
        assert.equal(match.statusCode, 200, match.body);
        const lines = match.body.trim().split('\n').map((l) => JSON.parse(l) as { match?: { indicator: string; confidence?: number }; summary?: { events: number } });
        const matches = lines.filter((l) => l.match).map((l) => l.match!);
        const wantMatched = Array.from({ length: pairs }, (_, pair) => pairOf(pair).filter((o) => validAt(o, eventTime))).flat();
        assert.deepEqual(matches.map((m) => m.indicator).sort(), wantMatched.map((o) => o.id).sort(), `${user.name} matching the log`);
        for (const m of matches) assert.equal(m.confidence, seen.get(m.indicator)!.confidence, `${say(seen.get(m.indicator)!)}: confidence in a match`);
        assert.equal(lines.at(-1)!.summary?.events, pairs);

        // Correlation: the values that indicators of several originators name, as far as the user can tell who created them.
        const correlations = await node.app.inject({ method: 'GET', url: '/api/v1/detect/correlations?limit=1000', headers: { authorization: `Bearer ${tokens[u]}` } });
        assert.equal(correlations.statusCode, 200, correlations.body);
        const got = new Map((correlations.json() as { values: Array<{ value: string; originators: number; indicators: Array<{ id: string; created_by_ref: string | null }> }> }).values.map((v) => [v.value, v]));
        const byIdOrder = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
        for (let pair = 0; pair < pairs; pair++) {
          const indicators = pairOf(pair).map((o) => ({ id: o.id, created_by_ref: o.created_by_ref ?? null }));
          const originators = new Set(indicators.map((i) => i.created_by_ref)).size;
          const value = got.get(values[pair]!);
          if (originators < 2) assert.equal(value, undefined, `${user.name}: ${values[pair]} correlated`);
          else {
            assert.ok(value, `${user.name}: ${values[pair]} not correlated`);
            assert.equal(value.originators, originators);
            assert.deepEqual([...value.indicators].sort(byIdOrder), indicators.sort(byIdOrder), `${user.name}: the indicators naming ${values[pair]}`);
          }
        }
        // One indicator's correlations (the first pairs, for time).
        for (let o = 0; o < 60; o++) {
          const object = world.objects[o]!;
          const mine = seen.get(object.id);
          const awareness = await node.app.inject({ method: 'GET', url: `/api/v1/detect/indicators/${object.id}`, headers: { authorization: `Bearer ${tokens[u]}` } });
          assert.equal(awareness.statusCode, mine ? 200 : 404, `${user.name} on the correlations of ${object.id}`);
          if (!mine) continue;
          const partner = seen.get(world.objects[o ^ 1]!.id);
          const creator = mine.created_by_ref ?? null;
          const want = partner && (partner.created_by_ref ?? null) !== creator ? [{ id: partner.id, created_by_ref: partner.created_by_ref ?? null, shared: [{ kind: 'ipv4', value: address(o >> 1) }] }] : [];
          assert.deepEqual(awareness.json(), { id: object.id, created_by_ref: creator, correlated: want }, `${say(mine)}: its correlations`);
        }
      }
      assert.ok(found > cases * 0.05 && found < cases * 0.95, `${found} of ${cases} found`);
    });
  });
}

/*
 * Marked records. A sample record type over the same members, groups and users as objects: random
 * principals (users and tokens of any member or none, legacy tokens without a user, peers, the
 * node itself) against random rows of a record table, column by column as modules store them.
 */
const RECORD_MEMBERS: readonly MemberOfPrincipal[] = [
  { code: 'M0', kind: 'ally', identityId: `identity--${uuid(0, 5)}`, groups: ['ALLIANCE', 'NAMED'] },
  { code: 'M1', kind: 'ally', identityId: `identity--${uuid(1, 5)}`, groups: ['ALLIANCE'] },
  { code: 'M2', kind: 'partner', identityId: `identity--${uuid(2, 5)}`, groups: ['PARTNERS'] },
  { code: 'M3', kind: 'industry', identityId: `identity--${uuid(3, 5)}`, groups: ['INDUSTRY', 'NAMED'] },
  { code: 'M4', kind: 'international-organisation', identityId: `identity--${uuid(4, 5)}`, groups: [] },
];
/** 'U0' and 'm0' differ from 'u0' and 'M0' only by case: the SQL must not confuse them. */
const RECORD_USERS = ['u0', 'u1', 'u2', 'U0'];
const RELEASE_ENTRIES = ['*', ...RECORD_MEMBERS.map((m) => m.code), 'm0', 'X9', 'ALLIANCE', 'PARTNERS', 'INDUSTRY', 'NAMED', ...RECORD_USERS.map((u) => `@${u}`)];
const RECIPIENT_ENTRIES = [...RECORD_MEMBERS.map((m) => m.code), 'm0', ...RECORD_USERS.map((u) => `@${u}`)];
const FOREIGN_IDENTITY = `identity--${uuid(9, 5)}`;

const principalArb: fc.Arbitrary<Principal> = fc.oneof(
  { weight: 6, arbitrary: fc
    .record({
      kind: fc.constantFrom('user' as const, 'token' as const),
      member: fc.option(fc.constantFrom(...RECORD_MEMBERS), { nil: null, freq: 5 }),
      userName: fc.option(fc.constantFrom(...RECORD_USERS), { nil: null, freq: 8 }),
      clearance: fc.integer({ min: 0, max: 4 }),
      admin: fc.boolean(),
    })
    .map(({ kind, member, userName, clearance, admin }): Principal => ({ kind, name: userName ?? 'legacy-token', userName, roles: admin ? ['node-admin'] : ['incident-handler'], member, clearance })) },
  { weight: 2, arbitrary: fc
    .record({ represents: fc.subarray([...RECORD_MEMBERS], { minLength: 1 }), clearance: fc.integer({ min: 0, max: 4 }) })
    .map(({ represents, clearance }): Principal => ({ kind: 'peer', name: 'peer', userName: null, roles: [], member: represents[0]!, represents, clearance })) },
  { weight: 1, arbitrary: fc.constant(SYSTEM_PRINCIPAL) },
);

const listColumn = (entries: readonly string[]) => `,${entries.join(',')},`;

/** A row of the sample record table; an unresolved (null) classification only when `unresolved`. */
const recordRowArb = (unresolved: boolean): fc.Arbitrary<RecordColumns> =>
  fc.record({
    tlp: fc.constantFrom(null, ...TLP_LEVELS),
    classification: unresolved ? fc.option(fc.integer({ min: 0, max: 4 }), { nil: null, freq: 10 }) : fc.integer({ min: 0, max: 4 }),
    releasability: fc.option(fc.subarray(RELEASE_ENTRIES).map(listColumn), { nil: null, freq: 12 }),
    origin_member: fc.constantFrom(null, 'X9', ...RECORD_MEMBERS.map((m) => m.code)),
    owner: fc.constantFrom(null, ...RECORD_USERS),
    recipients: fc.oneof(fc.constant(null), fc.constant(','), fc.subarray(RECIPIENT_ENTRIES, { minLength: 1, maxLength: 3 }).map(listColumn), fc.subarray(RECIPIENT_ENTRIES, { minLength: 1, maxLength: 3 }).map(listColumn)),
  });

const HANDLING_ID = `marking-definition--${uuid(0, 6)}`;

/** canRead on the STIX object a row stands for: its TLP and a handling marking of its level and releasability, created by its originator's identity. */
function stixReads(principal: Principal, row: RecordColumns): boolean {
  const releasableTo = row.releasability === null ? [] : row.releasability.split(',').filter((e) => e !== '');
  const table = new Map<string, HandlingMarking>([[HANDLING_ID, { classification: row.classification!, releasableTo }]]);
  const identity = row.origin_member === 'X9' ? FOREIGN_IDENTITY : (RECORD_MEMBERS.find((m) => m.code === row.origin_member)?.identityId ?? null);
  const object: StixObject = {
    type: 'note',
    spec_version: '2.1',
    id: `note--${uuid(0, 7)}`,
    object_marking_refs: [...(row.tlp === null ? [] : [TLP2_MARKING_IDS[row.tlp as keyof typeof TLP2_MARKING_IDS]]), HANDLING_ID],
    ...(identity === null ? {} : { created_by_ref: identity }),
  };
  return canRead(principal, accessOfColumns({ ...markingColumns(object, table), created_by_ref: identity }));
}

/**
 * The documented rule for records, in terms of canRead: the owner reads within its clearance; an
 * unaddressed record is read as its STIX equivalent; an addressed one as its STIX equivalent by
 * the originating member and by recipients (a peer: for one member it stands for, released to and
 * named).
 */
function recordReference(principal: Principal, row: RecordColumns): boolean {
  const classification = row.classification ?? Number.MAX_SAFE_INTEGER;
  if (classification > principal.clearance) return false;
  if ((principal.kind === 'user' || principal.kind === 'token') && principal.userName !== null && principal.userName === row.owner) return true;
  const recipients = (row.recipients ?? '').split(',').filter((e) => e !== '');
  if (recipients.length === 0) return stixReads(principal, row);
  if (principal.kind === 'peer') {
    return principal.represents!.some((m) => stixReads({ ...principal, member: m, represents: [m] }, row) && (m.code === row.origin_member || recipients.includes(m.code)));
  }
  const member = principal.member;
  const addressed = (member !== null && (member.code === row.origin_member || recipients.includes(member.code))) || (principal.userName !== null && recipients.includes(`@${principal.userName}`));
  return addressed && stixReads(principal, row);
}

describe('need-to-know on marked records: the rule', () => {
  it('canReadRecord is canRead on the equivalent STIX object, with the owner and recipients as documented', () => {
    const seen = { readable: 0, owned: 0, addressedRead: 0, addressedDenied: 0 };
    fc.assert(
      fc.property(principalArb, recordRowArb(false), (principal, row) => {
        const got = canReadRecord(principal, recordAccessOfColumns(row));
        assert.equal(got, recordReference(principal, row));
        const addressed = (row.recipients ?? '').replaceAll(',', '') !== '';
        if (!addressed && principal.userName !== row.owner) assert.equal(got, stixReads(principal, row), 'an unaddressed record not owned by the reader is its STIX equivalent');
        if (got) seen.readable++;
        if (got && principal.userName === row.owner && !stixReads(principal, row)) seen.owned++;
        if (addressed) seen[got ? 'addressedRead' : 'addressedDenied']++;
      }),
      { numRuns: 30_000, seed: 20261203 },
    );
    // Each clause decided something: none of them is vacuous.
    assert.ok(seen.readable > 3000 && seen.owned > 100 && seen.addressedRead > 300 && seen.addressedDenied > 3000, JSON.stringify(seen));
  });

  it('only the owner and the originating member\'s users write a record, within their clearance, never changing its provenance', () => {
    const seen = { written: 0, deleted: 0, created: 0 };
    fc.assert(
      fc.property(principalArb, recordRowArb(false), recordRowArb(false), (principal, storedRow, nextRow) => {
        const stored = recordAccessOfColumns(storedRow);
        const next = recordAccessOfColumns(nextRow);
        const system = principal.kind === 'system';
        const owner = (principal.kind === 'user' || principal.kind === 'token') && principal.userName !== null && principal.userName === stored.owner;
        const originating = principal.kind !== 'peer' && principal.member !== null && principal.member.code === stored.originMember;
        const writer = system || ((owner || originating) && canReadRecord(principal, stored));
        assert.equal(canWriteRecord(principal, stored) === undefined, writer);
        const rewrite = canWriteRecord(principal, stored, next);
        assert.equal(rewrite === undefined, writer && (system || (next.classification <= principal.clearance && next.owner === stored.owner && next.originMember === stored.originMember)));
        assert.equal(canDeleteRecord(principal, stored), system || (canReadRecord(principal, stored) && (owner || originating || principal.roles.includes('node-admin'))));
        const creates = system || (principal.kind !== 'peer' && stored.classification <= principal.clearance && stored.originMember === (principal.member?.code ?? null) && principal.userName !== null && stored.owner === principal.userName);
        assert.equal(canCreateRecord(principal, stored) === undefined, creates);
        if (writer && !system) seen.written++;
        if (creates && !system) seen.created++;
        if (canDeleteRecord(principal, stored) && !system) seen.deleted++;
      }),
      { numRuns: 30_000, seed: 20261204 },
    );
    assert.ok(seen.written > 300 && seen.created > 30 && seen.deleted > 300, JSON.stringify(seen));
  });
});

const RECORD_ROWS = 3000;
const RECORD_READERS = 60;

for (const dialect of DIALECTS) {
  describe(`need-to-know on marked records: the SQL pre-filter (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let test: TestStore;
    const rows = fc.sample(recordRowArb(true), { seed: dialect === 'sqlite' ? 20261205 : 20261206, numRuns: RECORD_ROWS });
    const readers = [SYSTEM_PRINCIPAL, ...fc.sample(principalArb, { seed: dialect === 'sqlite' ? 20261207 : 20261208, numRuns: RECORD_READERS })];
    type SampleRecords = { sample_records: RecordColumns & { id: number } };

    before(async () => {
      test = await createTestStore(dialect);
      const db = test.store.db.withTables<SampleRecords>();
      await db.schema
        .createTable('sample_records')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tlp', 'text')
        .addColumn('classification', 'integer')
        .addColumn('releasability', 'text')
        .addColumn('origin_member', 'text')
        .addColumn('owner', 'text')
        .addColumn('recipients', 'text')
        .execute();
      for (let i = 0; i < rows.length; i += 500) await db.insertInto('sample_records').values(rows.slice(i, i + 500).map((row, k) => ({ id: i + k, ...row }))).execute();
    });
    after(async () => test?.cleanup());

    it(`keeps exactly the rows canReadRecord allows, for ${RECORD_READERS + 1} readers over ${RECORD_ROWS} rows`, async () => {
      const db = test.store.db.withTables<SampleRecords>();
      let readable = 0;
      for (const [n, reader] of readers.entries()) {
        const scope = recordReadScope(reader);
        // Half the readers through qualified column names of an aliased table.
        const where =
          n % 2 === 0
            ? readableRecords(scope)
            : readableRecords(scope, { tlp: 'r.tlp', classification: 'r.classification', releasability: 'r.releasability', originMember: 'r.origin_member', owner: 'r.owner', recipients: 'r.recipients' });
        const got = (await db.selectFrom('sample_records as r').select('r.id').where(where).orderBy('r.id').execute()).map((row) => Number(row.id));
        const want = rows.flatMap((row, id) => (canReadRecord(reader, recordAccessOfColumns(row)) ? [id] : []));
        assert.deepEqual(got, want, `${reader.kind} ${reader.userName ?? ''} of ${reader.member?.code ?? 'no member'} at clearance ${reader.clearance}: ${JSON.stringify(scope)}`);
        readable += want.length;
      }
      const cases = readers.length * RECORD_ROWS;
      assert.ok(readable > cases * 0.05 && readable < cases * 0.95, `${readable} of ${cases} readable`);
      // A table that keeps no owners and addresses nobody: the same rule without those columns.
      const plain = rows.flatMap((row, id) => (row.owner === null && (row.recipients ?? '').replaceAll(',', '') === '' ? [id] : []));
      for (const reader of readers.slice(0, 20)) {
        const got = await db
          .selectFrom('sample_records')
          .select('id')
          .where(readableRecords(recordReadScope(reader), { ...RECORD_ACCESS_COLUMNS, owner: null, recipients: null }))
          .where('id', 'in', plain)
          .orderBy('id')
          .execute();
        assert.deepEqual(got.map((row) => Number(row.id)), plain.filter((id) => canReadRecord(reader, recordAccessOfColumns({ ...rows[id]!, owner: null, recipients: null }))));
      }
      // What the filter compiles to is one text for both engines (no engine-specific function).
      assert.doesNotMatch(db.selectFrom('sample_records').select('id').where(readableRecords(recordReadScope(readers[1]!))).compile().sql, /\b(instr|strpos|position|ilike|glob)\b/i);
      console.log(`need-to-know on records (${dialect}): ${cases} cases, ${readable} readable, SQL equal to canReadRecord`);
    });
  });
}
