import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StixObject } from '../stix/types.js';
import fc from 'fast-check';
import { DEFAULT_MARKING_DEFAULTS, EVERYONE, markingColumns, OPENCTI_AMBER_STRICT_ID, TLP2_MARKING_IDS, type HandlingMarking, type Tlp } from './markings.js';
import type { Principal } from './principal.js';
import { canRead, canReadVersion, canWrite, mayRead, readersCovered, redact, type ObjectAccess } from './rule.js';

const DE = 'identity--11111111-1111-4111-8111-111111111111';
const FR = 'identity--22222222-2222-4222-8222-222222222222';

function user(overrides: Partial<Principal> & { code?: string; memberKind?: 'ally' | 'partner' | 'industry' | 'international-organisation'; groups?: string[] } = {}): Principal {
  const code = overrides.code ?? 'DEU';
  return {
    kind: 'user',
    name: 'u',
    userName: overrides.userName ?? 'alice',
    roles: ['analyst'],
    member: overrides.member === null ? null : { code, kind: overrides.memberKind ?? 'ally', identityId: code === 'DEU' ? DE : FR, groups: overrides.groups ?? ['ALLIANCE'] },
    clearance: overrides.clearance ?? 2,
  };
}

function access(overrides: Partial<ObjectAccess> = {}): ObjectAccess {
  return { tlp: 'amber', classification: 0, releasability: ['ALLIANCE'], createdByRef: FR, ...overrides };
}

describe('canRead: the rows of docs/POLICY.md', () => {
  it('1. clearance below the classification denies everyone, the originator too', () => {
    assert.equal(canRead(user({ clearance: 1 }), access({ classification: 2 })), false);
    assert.equal(canRead(user({ clearance: 1 }), access({ classification: 2, createdByRef: DE })), false);
    assert.equal(canRead(user({ clearance: 2 }), access({ classification: 2 })), true);
  });
  it('2. the originating member reads its own whatever its TLP and releasability', () => {
    assert.equal(canRead(user(), access({ tlp: 'red', releasability: [], createdByRef: DE })), true);
    assert.equal(canRead(user(), access({ tlp: 'red', releasability: [] })), false);
  });
  it('3. releasability: member code, a group of the member, or everyone', () => {
    assert.equal(canRead(user(), access({ releasability: ['DEU'] })), true);
    assert.equal(canRead(user(), access({ releasability: ['FRA'] })), false);
    assert.equal(canRead(user({ groups: ['PARTNERS'], memberKind: 'partner' }), access({ releasability: ['ALLIANCE'] })), false);
    assert.equal(canRead(user({ groups: ['PARTNERS'], memberKind: 'partner' }), access({ tlp: 'green', releasability: ['ALLIANCE', 'PARTNERS'] })), true);
    assert.equal(canRead(user({ member: null }), access({ tlp: 'clear', releasability: ['*'] })), true);
    assert.equal(canRead(user({ member: null }), access({ tlp: 'clear', releasability: ['ALLIANCE'] })), false);
  });
  it('5. AMBER+STRICT needs the member named by its code, a group is not enough', () => {
    assert.equal(canRead(user(), access({ tlp: 'amber+strict', releasability: ['ALLIANCE'] })), false);
    assert.equal(canRead(user(), access({ tlp: 'amber+strict', releasability: ['DEU'] })), true);
  });
  it('6. RED needs the user named', () => {
    assert.equal(canRead(user(), access({ tlp: 'red', releasability: ['DEU'] })), false);
    assert.equal(canRead(user(), access({ tlp: 'red', releasability: ['DEU', '@alice'] })), true);
    assert.equal(canRead(user({ userName: 'bob' }), access({ tlp: 'red', releasability: ['DEU', '@alice'] })), false);
  });
});

describe('canRead: peer nodes', () => {
  const member = (code: string, identityId: string | null, groups = ['ALLIANCE']) => ({ code, kind: 'ally' as const, identityId, groups });
  const peer = (represents = [member('DEU', DE), member('POL', null)], clearance = 2): Principal => ({ kind: 'peer', name: 'hub', userName: null, roles: ['analyst'], member: represents[0]!, represents, clearance });
  it('7. a peer never receives RED or AMBER+STRICT, not even released to its member or created by it', () => {
    assert.equal(canRead(peer(), access({ tlp: 'amber+strict', releasability: ['DEU'] })), false);
    assert.equal(canRead(peer(), access({ tlp: 'red', releasability: ['DEU', '@alice'], createdByRef: DE })), false);
  });
  it('7. otherwise a peer receives what one of the members it stands for may read, within its clearance', () => {
    assert.equal(canRead(peer(), access({ tlp: 'green', releasability: ['POL'] })), true);
    assert.equal(canRead(peer(), access({ tlp: 'green', releasability: ['FRA'] })), false);
    assert.equal(canRead(peer(), access({ tlp: 'green', releasability: ['FRA'], createdByRef: DE })), true);
    assert.equal(canRead(peer(), access({ tlp: 'amber', releasability: ['ALLIANCE'], classification: 3 })), false);
    assert.equal(canRead(peer([member('IND', null, ['INDUSTRY'])]), access({ tlp: 'green', releasability: ['ALLIANCE'] })), false);
  });
});

describe('TLP marking ids', () => {
  it("reads OpenCTI's own TLP:AMBER+STRICT id as AMBER+STRICT", () => {
    const object = { type: 'indicator', id: 'indicator--0b1e0d1b-5f3a-4f8e-9a51-0c8a9d1e2f3a', object_marking_refs: [OPENCTI_AMBER_STRICT_ID] } as unknown as StixObject;
    const columns = markingColumns(object, new Map(), DEFAULT_MARKING_DEFAULTS);
    assert.equal(columns.tlp, 'amber+strict');
    assert.equal(columns.classification, 0);
  });
});

describe('canWrite', () => {
  it('refuses marking above one\'s own clearance', () => {
    assert.equal(canWrite(user({ clearance: 1 }), access({ classification: 2 }), null)?.rule, 'above-clearance');
    assert.equal(canWrite(user({ clearance: 2 }), access({ classification: 2 }), null), undefined);
  });
  it('refuses writing in the name of another member of the node, allows relaying outsiders', () => {
    assert.equal(canWrite(user(), access(), 'FRA')?.rule, 'foreign-originator');
    assert.equal(canWrite(user(), access(), 'DEU'), undefined);
    assert.equal(canWrite(user(), access(), null), undefined);
  });
  it('lets a peer node relay members\' objects, but not above its clearance', () => {
    const peer: Principal = { ...user(), kind: 'peer', userName: null };
    assert.equal(canWrite(peer, access(), 'FRA'), undefined);
    assert.equal(canWrite({ ...peer, clearance: 1 }, access({ classification: 2 }), 'FRA')?.rule, 'above-clearance');
  });
});

describe('redact', () => {
  const secret = 'marking-definition--33333333-3333-4333-8333-333333333333';
  const table = new Map<string, HandlingMarking>([[secret, { classification: 3, releasableTo: ['DEU'] }]]);
  const object: StixObject = {
    type: 'report',
    spec_version: '2.1',
    id: 'report--44444444-4444-4444-8444-444444444444',
    created: '2024-01-01T00:00:00.000Z',
    modified: '2024-01-01T00:00:00.000Z',
    name: 'r',
    description: 'the secret part',
    published: '2024-01-01T00:00:00.000Z',
    object_refs: ['indicator--55555555-5555-4555-8555-555555555555', 'indicator--66666666-6666-4666-8666-666666666666', 'indicator--77777777-7777-4777-8777-777777777777'],
    granular_markings: [
      { marking_ref: secret, selectors: ['description', 'object_refs.[0]', 'object_refs.[2]'] },
      { marking_ref: TLP2_MARKING_IDS.clear, selectors: ['name'] },
    ],
  };
  it('removes what a granular marking hides from this user, list elements included', () => {
    const seen = redact(user({ clearance: 2 }), object, table, DEFAULT_MARKING_DEFAULTS)!;
    assert.equal(seen.description, undefined);
    assert.deepEqual(seen.object_refs, ['indicator--66666666-6666-4666-8666-666666666666']);
    assert.deepEqual(seen.x_shieldwall_redacted, ['description', 'object_refs.[0]', 'object_refs.[2]']);
    assert.equal(object.description, 'the secret part', 'the stored object is not changed');
  });
  it('leaves the object whole for a user cleared and released for every part', () => {
    assert.equal(redact(user({ clearance: 3 }), object, table, DEFAULT_MARKING_DEFAULTS), object);
  });
  it('hides properties under a marking the node does not know', () => {
    const unknown = { ...object, granular_markings: [{ marking_ref: 'marking-definition--88888888-8888-4888-8888-888888888888', selectors: ['name'] }] };
    assert.equal(redact(user({ clearance: 4 }), unknown, table, DEFAULT_MARKING_DEFAULTS)!.name, undefined);
  });
});

describe('canReadVersion', () => {
  it('reads an older version only with the current one, unless the member created it (STIX 2.1 section 3.6)', () => {
    const green = access({ tlp: 'green' });
    const red = access({ tlp: 'red', releasability: [] });
    assert.equal(canReadVersion(user(), green, [green]), true);
    assert.equal(canReadVersion(user(), green, [red]), false, 'an object re-marked stricter is not read through its older versions');
    assert.equal(canReadVersion(user(), red, [green]), false);
    assert.equal(canReadVersion(user(), green, [red, green]), true, 'one readable current copy of an observable is enough');
    assert.equal(canReadVersion(user(), access({ tlp: 'green', createdByRef: DE }), [access({ tlp: 'red', releasability: [], createdByRef: DE, classification: 4 })]), true, 'the originator reads its own');
    assert.equal(canReadVersion(user({ clearance: 1 }), access({ classification: 2, createdByRef: DE }), []), false, 'within its clearance');
  });
});

describe('PAP', () => {
  it('is known without its definition and does not restrict reading', async () => {
    const { markingColumns, papOf } = await import('./markings.js');
    const object = { type: 'indicator', id: 'indicator--99999999-9999-4999-8999-999999999999', object_marking_refs: ['marking-definition--740d36e5-7714-4c30-961a-3ae632ceee0e', 'marking-definition--c43594d1-4b11-4c59-93ab-1c9b14d53ce9'] } as StixObject;
    const columns = markingColumns(object, new Map(), DEFAULT_MARKING_DEFAULTS);
    assert.deepEqual(columns.unresolved, []);
    assert.equal(columns.classification, 0);
    assert.equal(papOf(object), 'red');
  });
});

describe('markings of the handling vocabulary', () => {
  it('unmarked marking and extension definitions go to every user; marked ones follow their markings', async () => {
    const { markingColumns } = await import('./markings.js');
    const definition = { type: 'marking-definition', id: 'marking-definition--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' } as StixObject;
    assert.equal(markingColumns(definition, new Map(), DEFAULT_MARKING_DEFAULTS).releasability, ',*,');
    const marked = { ...definition, object_marking_refs: [TLP2_MARKING_IDS.amber] } as StixObject;
    assert.equal(markingColumns(marked, new Map(), DEFAULT_MARKING_DEFAULTS).releasability, ',ALLIANCE,');
    const indicator = { type: 'indicator', id: 'indicator--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' } as StixObject;
    assert.equal(markingColumns(indicator, new Map(), DEFAULT_MARKING_DEFAULTS).releasability, ',ALLIANCE,');
  });
});

describe('readersCovered: whom a thing naming an object may be shown to', () => {
  const IDENTITIES: Record<string, string | null> = { DEU: DE, FRA: FR, POL: null };
  const tlps = fc.constantFrom<Tlp | null>(null, 'clear', 'green', 'amber', 'amber+strict', 'red');
  const entries = fc.subarray(['DEU', 'FRA', 'POL', 'ALLIANCE', 'EU', EVERYONE, '@alice']);
  const identity = fc.constantFrom<string | null>(DE, FR, null);
  const member = fc.record({ code: fc.constantFrom('DEU', 'FRA', 'POL'), groups: fc.subarray(['ALLIANCE', 'EU']) });
  const reader = fc.record({
    kind: fc.constantFrom<'user' | 'peer'>('user', 'peer'),
    member: fc.option(member, { nil: null }),
    userName: fc.constantFrom('alice', 'bob'),
    clearance: fc.integer({ min: 0, max: 4 }),
  }).map(({ kind, member: m, userName, clearance }): Principal => ({
    kind,
    name: userName,
    userName: kind === 'user' ? userName : null,
    roles: ['analyst'],
    member: m === null ? null : { code: m.code, kind: 'ally', identityId: IDENTITIES[m.code] ?? null, groups: m.groups },
    clearance,
  }));
  const marked = fc.record({ tlp: tlps, classification: fc.integer({ min: 0, max: 4 }), releasability: entries });

  it('is sound: whoever reads by the markings of the thing (or originated it) reads the object, on this node or a peer', () => {
    fc.assert(
      fc.property(marked, fc.record({ tlp: tlps, classification: fc.integer({ min: 0, max: 4 }), releasability: entries, createdByRef: identity }), fc.constantFrom<string | null>('DEU', 'FRA', 'POL', null), fc.array(reader, { minLength: 1, maxLength: 8 }), (by, of, originMember, readers) => {
        // The originator: a member of this node and its identity, when it has one.
        const originIdentity = originMember === null ? null : (IDENTITIES[originMember] ?? null);
        if (!readersCovered(of, by, { member: originMember, identity: originIdentity })) return;
        for (const principal of readers) {
          if (mayRead(principal, by, originIdentity, originMember, []) && !canRead(principal, of)) {
            assert.fail(`${JSON.stringify(principal)} reads ${JSON.stringify(by)} (origin ${originMember}/${originIdentity}) but not ${JSON.stringify(of)}`);
          }
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('covers the plain cases: the same or wider markings, the originator’s own object', () => {
    const origin = { member: 'DEU', identity: DE };
    const by = { tlp: 'green' as const, classification: 1, releasability: ['ALLIANCE'] };
    assert.equal(readersCovered(access({ tlp: 'green', classification: 1, releasability: ['ALLIANCE'], createdByRef: DE }), by, origin), true);
    assert.equal(readersCovered(access({ tlp: 'clear', classification: 0, releasability: [EVERYONE], createdByRef: FR }), by, origin), true);
    assert.equal(readersCovered(access({ tlp: 'amber+strict', releasability: ['ALLIANCE'], createdByRef: DE }), by, origin), false, 'a stricter TLP');
    assert.equal(readersCovered(access({ tlp: 'green', classification: 2, releasability: ['ALLIANCE'], createdByRef: DE }), by, origin), false, 'classified higher');
    assert.equal(readersCovered(access({ tlp: 'green', classification: 1, releasability: ['DEU'], createdByRef: DE }), by, origin), false, 'released to fewer');
    assert.equal(readersCovered(access({ tlp: 'green', classification: 1, releasability: ['ALLIANCE'], createdByRef: FR }), by, origin), false, 'the originator may not be in the group');
  });
});
