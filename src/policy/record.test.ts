import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from './principal.js';
import {
  canCreateRecord,
  canDeleteRecord,
  canReadRecord,
  canWriteRecord,
  externalNotice,
  recordAccessOfColumns,
  recordColumns,
  redactRecord,
  type MarkedRecord,
  type RecordAccess,
} from './record.js';
import { SYSTEM_PRINCIPAL } from './principal.js';

function user(overrides: { code?: string | null; userName?: string | null; clearance?: number; roles?: Principal['roles']; identityId?: string | null } = {}): Principal {
  const code = overrides.code === undefined ? 'DEU' : overrides.code;
  return {
    kind: 'user',
    name: overrides.userName ?? 'legacy',
    userName: overrides.userName === undefined ? 'alice' : overrides.userName,
    roles: overrides.roles ?? ['incident-handler'],
    member: code === null ? null : { code, kind: 'ally', identityId: overrides.identityId === undefined ? `identity--${code}` : overrides.identityId, groups: ['ALLIANCE'] },
    clearance: overrides.clearance ?? 2,
  };
}

function peer(codes: string[]): Principal {
  const members = codes.map((code) => ({ code, kind: 'ally' as const, identityId: null, groups: ['ALLIANCE'] }));
  return { kind: 'peer', name: 'peer-a', userName: null, roles: [], member: members[0]!, represents: members, clearance: 2 };
}

function record(overrides: Partial<RecordAccess> = {}): RecordAccess {
  return { tlp: 'amber', classification: 1, releasability: ['ALLIANCE'], originMember: 'FRA', owner: 'francois', recipients: [], ...overrides };
}

describe('canReadRecord', () => {
  it('decides an unaddressed record as canRead decides a STIX object with the same markings', () => {
    assert.equal(canReadRecord(user(), record()), true);
    assert.equal(canReadRecord(user({ clearance: 0 }), record()), false);
    assert.equal(canReadRecord(user(), record({ releasability: ['FRA'] })), false);
    assert.equal(canReadRecord(user(), record({ tlp: 'amber+strict', releasability: ['ALLIANCE'] })), false);
    assert.equal(canReadRecord(user(), record({ tlp: 'amber+strict', releasability: ['DEU'] })), true);
    assert.equal(canReadRecord(user(), record({ tlp: 'red', releasability: ['DEU'] })), false);
    assert.equal(canReadRecord(user(), record({ tlp: 'red', releasability: ['DEU', '@alice'] })), true);
  });

  it('gives the originating member its records by code, even without a STIX identity, within its clearance', () => {
    const own = record({ originMember: 'DEU', tlp: 'red', releasability: [] });
    assert.equal(canReadRecord(user({ identityId: null }), own), true);
    assert.equal(canReadRecord(user({ identityId: null, clearance: 0 }), own), false);
  });

  it('gives the owner its record within its clearance, also from another member', () => {
    const mine = record({ owner: 'alice', originMember: 'FRA', tlp: 'red', releasability: [] });
    assert.equal(canReadRecord(user({ code: 'ITA' }), mine), true);
    assert.equal(canReadRecord(user({ code: 'ITA', clearance: 0 }), mine), false);
    assert.equal(canReadRecord(user({ code: 'ITA', userName: 'bob' }), mine), false);
  });

  it('narrows an addressed record to its recipients and originator, never widening the markings', () => {
    const addressed = record({ recipients: ['ITA', '@bob'] });
    assert.equal(canReadRecord(user(), addressed), false);
    assert.equal(canReadRecord(user({ code: 'ITA' }), addressed), true);
    assert.equal(canReadRecord(user({ userName: 'bob' }), addressed), true);
    assert.equal(canReadRecord(user({ code: 'FRA', userName: 'claire' }), addressed), true);
    // A recipient still needs clearance, releasability and TLP.
    assert.equal(canReadRecord(user({ code: 'ITA', clearance: 0 }), addressed), false);
    assert.equal(canReadRecord(user({ code: 'ITA' }), record({ recipients: ['ITA'], releasability: ['FRA'] })), false);
    assert.equal(canReadRecord(user({ code: 'ITA' }), record({ recipients: ['ITA'], tlp: 'red', releasability: ['ITA'] })), false);
  });

  it('lets a peer read an addressed record only for a member it stands for that is named and released to', () => {
    const addressed = record({ recipients: ['ITA'], releasability: ['ESP', 'ITA'] });
    assert.equal(canReadRecord(peer(['ESP']), addressed), false);
    assert.equal(canReadRecord(peer(['ESP', 'ITA']), addressed), true);
    // Released to one member, addressed to another: neither reads it.
    assert.equal(canReadRecord(peer(['ESP', 'POL']), record({ recipients: ['POL'], releasability: ['ESP'] })), false);
    assert.equal(canReadRecord(peer(['FRA']), record({ tlp: 'red', releasability: [] })), false);
  });

  it('reads the stored columns as accessOfColumns reads a STIX row', () => {
    const columns = recordColumns(record({ recipients: ['ITA', '@bob'] }));
    assert.deepEqual(columns, { tlp: 'amber', classification: 1, releasability: ',ALLIANCE,', origin_member: 'FRA', owner: 'francois', recipients: ',ITA,@bob,' });
    assert.deepEqual(recordAccessOfColumns(columns), record({ recipients: ['ITA', '@bob'] }));
    assert.equal(recordColumns(record()).recipients, null);
    const unresolved = recordAccessOfColumns({ ...columns, classification: null, releasability: null, recipients: ',' });
    assert.equal(unresolved.classification, Number.MAX_SAFE_INTEGER);
    assert.deepEqual([unresolved.releasability, unresolved.recipients], [[], []]);
  });
});

describe('canCreateRecord, canWriteRecord, canDeleteRecord', () => {
  const mine = record({ originMember: 'DEU', owner: 'alice' });
  it('creates records in the writer\'s own name, at or below its clearance', () => {
    assert.equal(canCreateRecord(user(), mine), undefined);
    assert.equal(canCreateRecord(user(), { ...mine, classification: 3 })?.rule, 'above-clearance');
    assert.equal(canCreateRecord(user(), { ...mine, originMember: 'FRA' })?.rule, 'foreign-originator');
    assert.equal(canCreateRecord(user(), { ...mine, owner: 'bob' })?.rule, 'foreign-originator');
    assert.equal(canCreateRecord(user({ code: null }), { ...mine, originMember: null }), undefined);
    assert.equal(canCreateRecord(peer(['DEU']), { ...mine, owner: null })?.rule, 'foreign-originator');
    assert.equal(canCreateRecord(SYSTEM_PRINCIPAL, { ...mine, classification: 4 }), undefined);
  });
  it('lets the owner and its originating member\'s users change a record, nobody else', () => {
    assert.equal(canWriteRecord(user(), mine), undefined);
    assert.equal(canWriteRecord(user({ userName: 'dieter' }), mine), undefined);
    assert.equal(canWriteRecord(user({ code: 'ITA', userName: 'alice' }), mine), undefined);
    assert.equal(canWriteRecord(user({ code: 'FRA', userName: 'claire' }), { ...mine, releasability: ['ALLIANCE'] })?.rule, 'not-writer');
    assert.equal(canWriteRecord(user({ code: 'FRA', userName: 'claire' }), { ...mine, releasability: ['DEU'] })?.rule, 'unreadable');
    assert.equal(canWriteRecord(user({ clearance: 0 }), mine)?.rule, 'unreadable');
    assert.equal(canWriteRecord(peer(['DEU']), mine)?.rule, 'not-writer');
    assert.equal(canWriteRecord(user(), mine, { ...mine, classification: 3 })?.rule, 'above-clearance');
    assert.equal(canWriteRecord(user(), mine, { ...mine, owner: 'dieter' })?.rule, 'provenance-changed');
    assert.equal(canWriteRecord(user(), mine, { ...mine, tlp: 'red', releasability: ['DEU'] }), undefined);
  });
  it('lets those the originator delegates to change it, if they read it, and nobody they do not name', () => {
    const claire = user({ code: 'FRA', userName: 'claire' });
    assert.equal(canWriteRecord(claire, mine, undefined, ['FRA']), undefined);
    assert.equal(canWriteRecord(claire, mine, undefined, ['@claire']), undefined);
    assert.equal(canWriteRecord(claire, mine, undefined, ['ITA', '@francois'])?.rule, 'not-writer');
    // A delegate still needs to read the record: delegation never widens who reads.
    assert.equal(canWriteRecord(claire, { ...mine, releasability: ['DEU'] }, undefined, ['FRA'])?.rule, 'unreadable');
    // A peer node standing for a delegated member writes nothing.
    assert.equal(canWriteRecord(peer(['FRA']), mine, undefined, ['FRA'])?.rule, 'not-writer');
    // Nor does a delegate move the record's provenance.
    assert.equal(canWriteRecord(claire, mine, { ...mine, originMember: 'FRA' }, ['FRA'])?.rule, 'provenance-changed');
  });
  it('deletes for the writers and a node administrator who reads the record', () => {
    assert.equal(canDeleteRecord(user({ userName: 'dieter' }), mine), true);
    assert.equal(canDeleteRecord(user({ code: 'FRA', userName: 'claire' }), mine), false);
    assert.equal(canDeleteRecord(user({ code: 'FRA', userName: 'claire', roles: ['node-admin'] }), mine), true);
    assert.equal(canDeleteRecord(user({ code: 'FRA', userName: 'claire', roles: ['node-admin'] }), { ...mine, releasability: ['DEU'] }), false);
  });
});

describe('redactRecord', () => {
  type Incident = MarkedRecord & { title: string; summary?: string; sources?: string[] };
  const incident: Incident = {
    // Releasability lists narrow entry by entry, as a STIX object's markings do (ALLIANCE and
    // DEU are different entries): the record lists the members its fields are narrowed to.
    ...record({ releasability: ['DEU', 'FRA', 'ITA'] }),
    title: 'outage',
    summary: 'power grid',
    sources: ['liaison'],
    fieldMarkings: [
      { fields: ['sources'], classification: 3 },
      { fields: ['summary'], releasability: ['FRA', 'DEU'] },
    ],
  };
  it('removes the fields a stricter field marking hides, says which, and keeps the markings of what is left', () => {
    const seen = redactRecord(user(), incident);
    assert.ok(seen);
    assert.deepEqual(seen.redacted, ['sources']);
    assert.equal('sources' in seen.record, false);
    assert.equal(seen.record.summary, 'power grid');
    assert.deepEqual(seen.record.fieldMarkings, [{ fields: ['summary'], releasability: ['FRA', 'DEU'] }]);
    assert.deepEqual(incident.sources, ['liaison']);
    const ita = redactRecord(user({ code: 'ITA', clearance: 4 }), incident);
    assert.deepEqual(ita?.redacted, ['summary']);
    assert.equal(ita?.record.sources?.[0], 'liaison');
  });
  it('returns the record itself when nothing is hidden, and nothing when the record or a required field is', () => {
    const all = redactRecord(user({ code: 'FRA', clearance: 4 }), incident);
    assert.equal(all?.record, incident);
    assert.deepEqual(all?.redacted, []);
    assert.equal(redactRecord(user({ code: 'FRA', clearance: 0 }), incident), undefined);
    assert.equal(redactRecord(user(), incident, ['sources']), undefined);
    assert.equal(redactRecord(user(), { ...incident, fieldMarkings: [{ fields: ['owner'], classification: 4 }] }), undefined);
  });
});

describe('externalNotice', () => {
  it('keeps the content of TLP:RED and TLP:AMBER+STRICT records on the node: a notice leaving it is a reference', () => {
    assert.equal(externalNotice(record({ tlp: 'red', releasability: ['DEU', '@alice'] })), 'reference');
    assert.equal(externalNotice(record({ tlp: 'amber+strict', releasability: ['DEU'] })), 'reference');
  });
  it('keeps classified content on the node unless the channels are accredited for its level', () => {
    for (const tlp of ['clear', 'green', 'amber', null] as const) {
      assert.equal(externalNotice(record({ tlp, classification: 0 })), 'full', `${String(tlp)}, UNCLASSIFIED`);
      assert.equal(externalNotice(record({ tlp, classification: 1 })), 'reference', `${String(tlp)}, RESTRICTED, by default`);
      assert.equal(externalNotice(record({ tlp, classification: 1 }), 1), 'full', `${String(tlp)}, RESTRICTED, channels accredited to RESTRICTED`);
      assert.equal(externalNotice(record({ tlp, classification: 4, recipients: ['@alice'] }), 1), 'reference', `${String(tlp)}, TOP SECRET`);
    }
    // Accreditation never lifts TLP: RED stays on the node at any level.
    assert.equal(externalNotice(record({ tlp: 'red', classification: 0 }), 4), 'reference');
  });
});
