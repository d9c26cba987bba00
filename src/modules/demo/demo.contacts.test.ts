/**
 * The demo members' points of contact: every member has some, the same on every run, plainly
 * fictional, and GET /api/v1/members answers them with what the members directory shows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { createToken, createUser, type MemberView } from '../directory/directory.service.js';
import { demoContacts } from './demo.contacts.js';
import { demoAlliance } from './demo.data.js';
import { seedDemo } from './demo.service.js';

describe('demo points of contact', () => {
  const members = demoAlliance().members;

  it('gives every member a round-the-clock desk and a liaison, the same on every run', () => {
    for (const member of members) {
      const contacts = demoContacts(member);
      assert.deepEqual(contacts, demoContacts({ code: member.code, kind: member.kind }), member.code);
      assert.deepEqual(contacts.map((c) => c.available_24_7), [true, false], member.code);
      for (const contact of contacts) {
        assert.match(contact.email, /^[a-z]+@[a-z0-9-]+\.example\.org$/, `${member.code}: an address under example.org`);
        assert.match(contact.phone, /^\+44 20 7946 0[0-9]{3}$/, `${member.code}: a number of the range kept for drama`);
        assert.match(contact.name, /\(demo\)$/);
      }
    }
    assert.equal(new Set(members.map((m) => demoContacts(m)[0]!.email)).size, members.length, 'each member its own addresses');
  });

  describe('in a seeded node', () => {
    let node: TestNode;
    before(async () => {
      node = await createTestNode('sqlite');
      await seedDemo(node.ctx);
    });
    after(async () => node?.close());

    it('GET /api/v1/members answers each member with its code, name, kind, groups and points of contact', async () => {
      const response = await node.app.inject({ method: 'GET', url: '/api/v1/members', headers: { authorization: `Bearer ${node.tokens.analyst}` } });
      assert.equal(response.statusCode, 200, response.body);
      const listed = (response.json() as { members: MemberView[] }).members;
      for (const member of members) {
        const found = listed.find((m) => m.code === member.code);
        assert.ok(found, member.code);
        assert.deepEqual(
          { code: found.code, name: found.name, kind: found.kind, identityId: found.identityId, contacts: found.contacts },
          { code: member.code, name: member.name, kind: member.kind, identityId: member.identityId, contacts: demoContacts(member) },
        );
        assert.ok(Array.isArray(found.groups), member.code);
      }
      assert.deepEqual(listed.find((m) => m.code === 'DEU')?.groups, ['ALLIANCE'], 'an ally: its built-in group');
      assert.deepEqual(listed.find((m) => m.code === 'NCIRC')?.groups, ['ALLIANCE'], 'a named group the demo adds it to');
      assert.deepEqual(listed.find((m) => m.code === 'IND-QUILLFEATHER')?.groups, ['INDUSTRY']);
    });

    it("takes the demo contacts back as valid points of contact (the API's own checks)", async () => {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'deu.admin', member: 'DEU', clearance: 2, roles: ['member-admin'] });
      const token = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'deu.admin', user: 'deu.admin' })).token;
      const deu = members.find((m) => m.code === 'DEU')!;
      const response = await node.app.inject({ method: 'PATCH', url: '/api/v1/members/DEU', payload: { contacts: demoContacts(deu) }, headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual((response.json() as MemberView).contacts, demoContacts(deu));
    });
  });
});
