/**
 * The proof of need-to-know: random members, users and marked objects; every user lists the
 * store through the real HTTP API, and what comes back must equal what a deliberately simple
 * reference model of the rule allows, computed from the raw objects (not the stored columns,
 * access sets or SQL). Zero leaks and zero wrongful denials, on both dialects.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { addToGroup, createToken, createUser, principalOfUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { ingestObjects, listObjects } from '../src/modules/intel/intel.service.js';
import { handlingMarkingDefinition, TLP1_MARKING_IDS, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL, type MemberKind } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator } from './support/factories.js';
import { createTestNode, type TestNode } from './support/node.js';

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
  objects: StixObject[];
}

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
  const objects = Array.from({ length: OBJECTS }, (_, o) => {
    const refs: string[] = [];
    if (pick(6) !== 0) refs.push(tlps[pick(tlps.length)]!);
    const handlingCount = pick(3);
    for (let k = 0; k < handlingCount; k++) refs.push(handling[pick(handling.length)]!.id);
    const origin = origins[pick(origins.length)];
    const granular = pick(4) === 0 ? [{ marking_ref: pick(2) === 0 ? tlps[pick(tlps.length)]! : handling[pick(handling.length)]!.id, selectors: ['description'] }] : undefined;
    return indicator({
      id: `indicator--${uuid(o, 4)}`,
      description: `object ${o}`,
      ...(refs.length > 0 ? { object_marking_refs: [...new Set(refs)] } : {}),
      ...(origin ? { created_by_ref: origin } : {}),
      ...(granular ? { granular_markings: granular } : {}),
    });
  });
  return { members, users, handling, objects };
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

/** What the user should receive of an object: nothing, or the object with what it may not see removed. */
function expected(world: World, user: World['users'][number], object: StixObject): StixObject | undefined {
  const refs = (object.object_marking_refs as string[] | undefined) ?? [];
  const origin = object.created_by_ref as string | undefined;
  if (!referenceMayRead(world, user, refs, origin)) return undefined;
  const granular = object.granular_markings as Array<{ marking_ref: string }> | undefined;
  if (!granular) return object;
  if (referenceMayRead(world, user, [...refs, granular[0]!.marking_ref], origin)) return object;
  const { description: _hidden, ...rest } = object;
  return { ...rest, x_shieldwall_redacted: ['description'] } as StixObject;
}

for (const dialect of DIALECTS) {
  describe(`need-to-know through the HTTP API (${dialect})`, { skip: await dialectSkip(dialect), timeout: 300_000 }, () => {
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
      const summary = await ingestObjects(ctx, SYSTEM_PRINCIPAL, [...world.objects.slice(0, OBJECTS / 2), ...definitions, ...world.objects.slice(OBJECTS / 2)], { batchSize: 200 });
      assert.equal(summary.accepted, OBJECTS + definitions.length);
    });
    after(async () => node?.close());

    it(`gives each of ${USERS} users exactly what the reference model allows, over ${USERS * OBJECTS} cases`, async () => {
      let cases = 0;
      let readable = 0;
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
          const want = world.objects.filter((o) => expected(world, world.users[u]!, o)).map((o) => o.id);
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
  describe(`need-to-know on writes (${dialect})`, { skip: await dialectSkip(dialect), timeout: 60_000 }, () => {
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
  describe(`need-to-know through lookup and match (${dialect})`, { skip: await dialectSkip(dialect), timeout: 300_000 }, () => {
    let node: TestNode;
    const base = generate(dialect === 'sqlite' ? 20261126 : 20261127);
    // Each indicator names its own address, so what a user finds tells which indicators it may know of.
    const address = (o: number) => `10.${(o >> 16) & 255}.${(o >> 8) & 255}.${o & 255}`;
    const world: World = { ...base, objects: base.objects.map((object, o) => ({ ...object, pattern: `[ipv4-addr:value = '${address(o)}']` })) };
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

    it('each user finds exactly the indicators the reference model lets it read, by lookup and by matching a log', async () => {
      let cases = 0;
      let found = 0;
      const values = world.objects.map((_, o) => address(o));
      for (let u = 0; u < world.users.length; u++) {
        const user = world.users[u]!;
        const want = world.objects.map((object) => (expected(world, user, object) ? object.id : undefined));
        const lookup = await node.app.inject({ method: 'POST', url: '/api/v1/lookup', payload: { values }, headers: { authorization: `Bearer ${tokens[u]}` } });
        assert.equal(lookup.statusCode, 200, lookup.body);
        const answers = (lookup.json() as { answers: Array<{ value: string; indicators: Array<{ id: string }> }> }).answers;
        for (let o = 0; o < OBJECTS; o++) {
          cases++;
          const got = answers[o]!.indicators.map((h) => h.id);
          assert.deepEqual(got, want[o] ? [want[o]] : [], `${user.name} looking up ${values[o]}`);
          if (want[o]) found++;
        }
        const log = values.map((v, o) => JSON.stringify({ timestamp: '2026-11-01T00:00:00Z', n: o, dest_ip: v })).join('\n');
        const match = await node.app.inject({ method: 'POST', url: '/api/v1/match?format=ndjson', payload: log, headers: { authorization: `Bearer ${tokens[u]}`, 'content-type': 'application/x-ndjson' } });
        assert.equal(match.statusCode, 200, match.body);
        const lines = match.body.trim().split('\n').map((l) => JSON.parse(l) as { match?: { indicator: string }; summary?: { events: number } });
        const matched = lines.filter((l) => l.match).map((l) => l.match!.indicator).sort();
        assert.deepEqual(matched, want.filter((id): id is string => id !== undefined).sort(), `${user.name} matching the log`);
        assert.equal(lines.at(-1)!.summary?.events, OBJECTS);
      }
      assert.ok(found > cases * 0.05 && found < cases * 0.95, `${found} of ${cases} found`);
    });
  });
}
