import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startNodeProcess } from '../../../test/support/process.js';
import { createTestNode, TEST_MEMBER, type TestNode } from '../../../test/support/node.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { buildApp, createContext } from '../../app.js';
import { fixedClock } from '../../core/clock.js';
import { loadConfig } from '../../config/config.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import * as audit from '../audit/audit.service.js';
import { createToken, createUser, principalOfUser, upsertMembers } from '../directory/directory.service.js';
import { normalise, type ObservableKind } from '../../stix/observable.js';
import { LISTS_FRESH_MS, seedDemoWarningLists, suppressorFor, type Suppressor } from './warninglist.service.js';
import { parseEntry, SuppressorBuilder } from './warninglist.suppress.js';
import { countTurns, SUITE_LIMIT_MS, waitFor } from '../../../test/support/wait.js';
import { statementRuns } from '../../../test/support/statements.js';
import { writeTransaction } from '../../db/database.js';
import { weighLists } from './migrations/0002_entry_bytes.js';

function compiled(lists: Record<string, string[]>): Suppressor {
  const builder = new SuppressorBuilder();
  for (const [name, values] of Object.entries(lists)) {
    for (const value of values) {
      const entry = parseEntry(value);
      assert.ok(!('error' in entry), `${value}: ${'error' in entry ? entry.error : ''}`);
      builder.add({ id: `id-${name}`, name }, entry.kind, entry.value);
    }
  }
  return builder.build();
}

/** What a matcher does: normalise the value of its kind, then ask. */
function suppressed(s: Suppressor, kind: ObservableKind, value: string): string | undefined {
  const n = normalise(kind, value);
  assert.ok(n !== undefined, `${kind} ${value} normalises`);
  const found = s.check(kind, n);
  return found ? `${found.name}:${found.entry}` : undefined;
}

describe('warning-list entries', () => {
  it('are normalised as the matcher sees values, with their kind detected or given', () => {
    assert.deepEqual(parseEntry('  WWW.Example.COM. '), { kind: 'domain', value: 'www.example.com' });
    assert.deepEqual(parseEntry('*.Example.com'), { kind: 'domain', value: '*.example.com' });
    assert.deepEqual(parseEntry('10.1.2.3/8'), { kind: 'ipv4', value: '10.0.0.0/8' });
    assert.deepEqual(parseEntry('10.1.2.3/32'), { kind: 'ipv4', value: '10.1.2.3' });
    assert.deepEqual(parseEntry('2001:DB8:0:0::1/32'), { kind: 'ipv6', value: '2001:db8::/32' });
    assert.deepEqual(parseEntry('2001:0db8::0001'), { kind: 'ipv6', value: '2001:db8::1' });
    assert.deepEqual(parseEntry('D41D8CD98F00B204E9800998ECF8427E'), { kind: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' });
    assert.deepEqual(parseEntry('localhost', 'domain'), { kind: 'domain', value: 'localhost' });
    assert.deepEqual(parseEntry('Mozilla/5.0 (X11)', 'user-agent'), { kind: 'user-agent', value: 'Mozilla/5.0 (X11)' });
  });

  it('say what is wrong with a value that is not one', () => {
    const cases: Array<[string, ObservableKind | undefined, RegExp]> = [
      ['', undefined, /empty/],
      ['example.*.com', undefined, /only allowed as a leading '\*\.'/],
      ['*.', undefined, /not a valid domain/],
      ['10.0.0.0/33', undefined, /not an address range/],
      ['10.0.0.0/8', 'ipv6', /IPv4 range, not ipv6/],
      ['300.1.1.1', 'ipv4', /not a valid ipv4/],
      ['10.0.*', 'ipv4', /CIDR notation/],
      ['10.0.*.*', undefined, /CIDR notation/],
      ['just-a-word', undefined, /cannot tell what kind .*give its kind/],
      ['abc', 'sha256', /not a valid sha256/],
    ];
    for (const [value, kind, message] of cases) {
      const parsed = parseEntry(value, kind);
      assert.ok('error' in parsed, `${value} is refused`);
      assert.match(parsed.error, message, value);
    }
  });
});

describe('suppression', () => {
  it('covers exact values, and only those, for hashes and other exact kinds', () => {
    const s = compiled({ hashes: ['d41d8cd98f00b204e9800998ecf8427e', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'] });
    assert.equal(suppressed(s, 'md5', 'D41D8CD98F00B204E9800998ECF8427E'), 'hashes:d41d8cd98f00b204e9800998ecf8427e');
    assert.equal(suppressed(s, 'md5', 'd41d8cd98f00b204e9800998ecf8427f'), undefined);
    assert.equal(suppressed(s, 'ja3', 'd41d8cd98f00b204e9800998ecf8427e'), undefined, 'another kind with the same text is not covered');
    assert.ok(suppressed(s, 'sha256', 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855'));
    assert.equal(s.entries, 2);
  });

  it('covers a domain exactly, or with *. the domain and every subdomain, at label boundaries only', () => {
    const s = compiled({ popular: ['example.org', '*.google.com'] });
    assert.equal(suppressed(s, 'domain', 'Example.ORG'), 'popular:example.org');
    assert.equal(suppressed(s, 'domain', 'www.example.org'), undefined, 'an exact entry does not cover subdomains');
    assert.equal(suppressed(s, 'domain', 'google.com'), 'popular:*.google.com');
    assert.equal(suppressed(s, 'domain', 'MAIL.Google.com.'), 'popular:*.google.com');
    assert.equal(suppressed(s, 'domain', 'a.b.c.google.com'), 'popular:*.google.com');
    assert.equal(suppressed(s, 'domain', 'notgoogle.com'), undefined);
    assert.equal(suppressed(s, 'domain', 'google.com.evil.net'), undefined);
    assert.equal(suppressed(s, 'domain', 'com'), undefined);
  });

  it('names the most specific covering domain entry', () => {
    const s = compiled({ broad: ['*.example.com'], narrow: ['*.cdn.example.com'], exact: ['x.cdn.example.com'] });
    assert.equal(suppressed(s, 'domain', 'y.cdn.example.com'), 'narrow:*.cdn.example.com');
    assert.equal(suppressed(s, 'domain', 'x.cdn.example.com'), 'exact:x.cdn.example.com');
    assert.equal(suppressed(s, 'domain', 'www.example.com'), 'broad:*.example.com');
  });

  it("covers a URL whose host a domain or address entry covers, and a listed URL exactly", () => {
    const s = compiled({ popular: ['*.google.com', 'example.org', '192.0.2.0/24', '2001:db8::/32', 'https://evil.test/ok'] });
    assert.equal(suppressed(s, 'url', 'https://Drive.Google.com/file?id=1'), 'popular:*.google.com');
    assert.equal(suppressed(s, 'url', 'http://user:pw@www.google.com:8080/a@b'), 'popular:*.google.com');
    assert.equal(suppressed(s, 'url', 'https://example.org'), 'popular:example.org');
    assert.equal(suppressed(s, 'url', 'https://www.example.org/'), undefined);
    assert.equal(suppressed(s, 'url', 'http://192.0.2.77/x'), 'popular:192.0.2.0/24');
    assert.equal(suppressed(s, 'url', 'http://[2001:db8::5]:81/x'), 'popular:2001:db8::/32');
    assert.equal(suppressed(s, 'url', 'https://evil.test/ok'), 'popular:https://evil.test/ok');
    assert.equal(suppressed(s, 'url', 'https://evil.test/other'), undefined);
    assert.equal(suppressed(s, 'url', 'https://google.com.evil.test/?q=google.com'), undefined);
    assert.equal(suppressed(s, 'url', 'https://evil.test/@www.google.com'), undefined, "an '@' in the path is not userinfo");
  });

  it('covers IPv4 and IPv6 addresses by the longest covering range', () => {
    const s = compiled({ own: ['10.0.0.0/8', '2001:db8::/32', '::ffff:0:0/96'], resolvers: ['10.1.0.0/16', '8.8.8.8', '0.0.0.0/0'], v6: ['2001:db8:1::/48', '2001:db8:1::53'] });
    assert.equal(suppressed(s, 'ipv4', '10.1.2.3'), 'resolvers:10.1.0.0/16');
    assert.equal(suppressed(s, 'ipv4', '10.2.0.1'), 'own:10.0.0.0/8');
    assert.equal(suppressed(s, 'ipv4', '8.8.8.8'), 'resolvers:8.8.8.8');
    assert.equal(suppressed(s, 'ipv4', '255.255.255.255'), 'resolvers:0.0.0.0/0');
    assert.equal(suppressed(s, 'ipv6', '2001:DB8:1::53'), 'v6:2001:db8:1::53');
    assert.equal(suppressed(s, 'ipv6', '2001:db8:1:ffff::1'), 'v6:2001:db8:1::/48');
    assert.equal(suppressed(s, 'ipv6', '2001:db8:ffff::1'), 'own:2001:db8::/32');
    assert.equal(suppressed(s, 'ipv6', '2001:db9::1'), undefined);
    // An IPv4-mapped address: its own IPv6 ranges first, then the IPv4 ranges.
    assert.equal(suppressed(s, 'ipv6', '::ffff:10.1.0.9'), 'own:::ffff:0.0.0.0/96');
    const v4only = compiled({ own: ['192.0.2.0/24'] });
    assert.equal(suppressed(v4only, 'ipv6', '::ffff:192.0.2.9'), 'own:192.0.2.0/24');
    assert.equal(suppressed(v4only, 'ipv4', '192.0.3.1'), undefined);
    assert.equal(suppressed(v4only, 'ipv4', '0.0.0.0'), undefined);
  });

  it('keeps the first list that names a value', () => {
    const s = compiled({ first: ['8.8.8.8', '*.example.com'], second: ['8.8.8.8', '*.example.com'] });
    assert.equal(suppressed(s, 'ipv4', '8.8.8.8'), 'first:8.8.8.8');
    assert.equal(suppressed(s, 'domain', 'a.example.com'), 'first:*.example.com');
  });

  it('compiles large lists in turns of the event loop, to the same tables as in one go', async () => {
    const fill = () => {
      const builder = new SuppressorBuilder();
      const list = { id: 'id-big', name: 'big' };
      for (let i = 0; i < 120_000; i++) builder.add(list, 'domain', i % 3 === 0 ? `*.d${i}.example` : `d${i}.example`);
      for (let i = 0; i < 70_000; i++) builder.add(list, 'ipv4', `10.${(i >> 8) & 255}.${i & 255}.0/24`);
      for (let i = 0; i < 1000; i++) builder.add(list, 'ipv6', `2001:db8:${i.toString(16)}::/48`);
      return builder;
    };
    const whole = fill().build();
    const turns = countTurns();
    const inTurns = await fill().buildInTurns();
    assert.ok(turns.stop() >= 3, 'other work ran between the chunks');
    assert.equal(inTurns.entries, whole.entries);
    for (const [kind, value] of [['domain', 'www.d3.example'], ['domain', 'd4.example'], ['domain', 'x.d4.example'], ['ipv4', '10.1.5.9'], ['ipv4', '11.0.0.1'], ['ipv6', '2001:db8:3e7::1'], ['ipv6', '2001:db8:3e8::1']] as const) {
      assert.deepEqual(suppressed(inTurns, kind, value), suppressed(whole, kind, value), `${kind} ${value}`);
    }
    assert.equal(suppressed(inTurns, 'ipv4', '10.1.5.9'), 'big:10.1.5.0/24');
    assert.equal(suppressed(inTurns, 'domain', 'x.d4.example'), undefined);
  });

  it('finds what a brute-force scan of the entries finds, on many random addresses and names', () => {
    const ranges = ['10.0.0.0/8', '10.128.0.0/9', '172.16.0.0/12', '192.168.1.0/24', '192.168.1.128/25', '203.0.113.7', '100.64.0.0/10'];
    const s = compiled({ r: ranges });
    const parsed = ranges.map((r) => {
      const entry = parseEntry(r) as { value: string };
      const [address, prefix] = entry.value.split('/');
      return { value: entry.value, n: address!.split('.').reduce((x, o) => x * 256 + Number(o), 0), p: prefix === undefined ? 32 : Number(prefix) };
    });
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 5000; i++) {
      const octets = [[10, 172, 192, 100, 203][random() % 5]!, random() % 256, random() % 4 === 0 ? 1 : random() % 256, random() % 256];
      const address = octets.join('.');
      const n = octets.reduce((x, o) => x * 256 + o, 0);
      const covering = parsed.filter((e) => Math.floor(n / 2 ** (32 - e.p)) === Math.floor(e.n / 2 ** (32 - e.p))).sort((a, b) => b.p - a.p)[0];
      assert.equal(suppressed(s, 'ipv4', address), covering ? `r:${covering.value}` : undefined, address);
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`warning lists over HTTP (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let fraAnalyst: string;
    let tst: Principal;
    let fra: Principal;
    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: null }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'fra.analyst', member: 'FRA', clearance: 2, roles: ['analyst'] });
      fraAnalyst = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'fra', user: 'fra.analyst' })).token;
      tst = (await principalOfUser(node.ctx, 'test-analyst'))!;
      fra = (await principalOfUser(node.ctx, 'fra.analyst'))!;
    });
    after(async () => node?.close());

    const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, token: string, payload?: unknown, contentType?: string) =>
      node.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) },
        ...(payload !== undefined ? { payload: payload as string } : {}),
      });
    const create = async (token: string, body: Record<string, unknown>) => {
      const response = await call('POST', '/api/v1/warning-lists', token, body);
      assert.equal(response.statusCode, 201, response.body);
      return response.json() as { id: string; name: string; scope: string; member: string | null; entries: number };
    };
    const check = async (actor: Principal, kind: ObservableKind, value: string) => (await suppressorFor(node.ctx, actor)).check(kind, normalise(kind, value)!)?.entry;

    it('compiles a part one at a time: changes while it compiles make one compile more, not one each', async (t) => {
      const list = await create(node.tokens.analyst, { name: 'Busy list', description: 'changed often' });
      // 30,000 entries: three chunks of the compile's reads, several turns of the event loop.
      const text = Array.from({ length: 30_000 }, (_v, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).join('\n');
      assert.equal((await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, text, 'text/plain')).statusCode, 200);
      await suppressorFor(node.ctx, tst);
      const runs = await statementRuns(t, node.ctx.store, async () => {
        const asked: Array<Promise<Suppressor>> = [];
        for (let i = 0; i < 6; i++) {
          assert.equal((await call('PATCH', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst, { description: `changed ${i}` })).statusCode, 200);
          asked.push(suppressorFor(node.ctx, tst));
        }
        const last = await asked[asked.length - 1]!;
        assert.ok(last.check('ipv4', normalise('ipv4', '10.0.117.47')!), 'the last compile holds the list');
        await Promise.all(asked);
      });
      // A compile reads its first chunk with no key to start after (F), then the next ones (N):
      // 30,000 entries are FNNN, the last read finding none. Compiles one at a time read FNNN
      // after FNNN; at once, their reads interleave.
      const reads = runs
        .filter((r) => /from "warning_list_entries"/.test(r.text) && /limit/.test(r.text))
        .map((r) => (/\) > \(/.test(r.text) ? 'N' : 'F'))
        .join('');
      assert.match(reads, /^(FNNN)+$/, `the compiles' reads: ${reads}`);
      assert.ok(reads.length / 4 < 6, `${reads.length / 4} compiles for 6 changes`);
      assert.equal((await call('DELETE', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst)).statusCode, 204);
    });

    it('creates a member list, fills it from JSON and from text, pages its entries, renames and deletes it', async () => {
      const list = await create(node.tokens.analyst, { name: 'Own ranges', description: 'our address space' });
      assert.equal(list.scope, 'member');
      assert.equal(list.member, TEST_MEMBER);
      const json = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, ['192.0.2.0/24', { value: '2001:DB8::/32', comment: 'v6' }, { value: 'intranet', kind: 'domain' }]);
      assert.equal(json.statusCode, 200, json.body);
      assert.deepEqual(json.json(), { list: list.id, received: 3, added: 3, present: 0, rejected: 0, errors: [], errors_truncated: false, entries: 3 });
      const text = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, '# office\n198.51.100.0/24\n\n192.0.2.0/24\n*.corp.example\n198.51.100.0/24\n', 'text/plain');
      assert.equal(text.statusCode, 200, text.body);
      assert.deepEqual((text.json() as { added: number; present: number; entries: number }), { ...(text.json() as object), added: 2, present: 2, entries: 5 });

      const values: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response = await call('GET', `/api/v1/warning-lists/${list.id}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, node.tokens.analyst);
        assert.equal(response.statusCode, 200, response.body);
        const page = response.json() as { list: { entries: number }; entries: Array<{ kind: string; value: string; comment: string | null }>; next_cursor: string | null };
        assert.equal(page.list.entries, 5);
        values.push(...page.entries.map((e) => `${e.kind} ${e.value}${e.comment ? ` (${e.comment})` : ''}`));
        cursor = page.next_cursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(values, ['domain *.corp.example', 'domain intranet', 'ipv4 192.0.2.0/24', 'ipv4 198.51.100.0/24', 'ipv6 2001:db8::/32 (v6)']);
      const onlyV4 = (await call('GET', `/api/v1/warning-lists/${list.id}?kind=ipv4`, node.tokens.analyst)).json() as { entries: unknown[] };
      assert.equal(onlyV4.entries.length, 2);

      const removed = await call('DELETE', `/api/v1/warning-lists/${list.id}/entries?value=${encodeURIComponent('192.0.2.77/24')}`, node.tokens.analyst);
      assert.deepEqual(removed.json(), { removed: 1, entries: 4 }, 'the value is normalised as on upload');
      const again = await call('DELETE', `/api/v1/warning-lists/${list.id}/entries?value=192.0.2.0%2F24`, node.tokens.analyst);
      assert.equal(again.statusCode, 404);
      assert.match(again.body, /holds no entry '192\.0\.2\.0\/24'/);

      const renamed = await call('PATCH', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst, { name: 'Own address ranges' });
      assert.equal(renamed.statusCode, 200, renamed.body);
      assert.equal((renamed.json() as { name: string }).name, 'Own address ranges');
      const listed = (await call('GET', '/api/v1/warning-lists', node.tokens.analyst)).json() as { warning_lists: Array<{ id: string; entries: number }> };
      assert.equal(listed.warning_lists.find((l) => l.id === list.id)?.entries, 4);

      const replaced = await call('PUT', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, '203.0.113.0/24\n', 'text/plain');
      assert.equal((replaced.json() as { entries: number }).entries, 1);
      const after = (await call('GET', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst)).json() as { entries: Array<{ value: string }> };
      assert.deepEqual(after.entries.map((e) => e.value), ['203.0.113.0/24']);

      assert.equal((await call('DELETE', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst)).statusCode, 204);
      assert.equal((await call('GET', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst)).statusCode, 404);
    });

    it("keeps a member's list from other members: they neither read, change nor are suppressed by it", async () => {
      const list = await create(node.tokens.analyst, { name: 'Private resolvers' });
      await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, ['10.53.0.0/16']);
      const listed = (await call('GET', '/api/v1/warning-lists', fraAnalyst)).json() as { warning_lists: Array<{ id: string }> };
      assert.ok(!listed.warning_lists.some((l) => l.id === list.id));
      assert.equal((await call('GET', `/api/v1/warning-lists/${list.id}`, fraAnalyst)).statusCode, 404);
      assert.equal((await call('PATCH', `/api/v1/warning-lists/${list.id}`, fraAnalyst, { name: 'mine now' })).statusCode, 404);
      assert.equal((await call('POST', `/api/v1/warning-lists/${list.id}/entries`, fraAnalyst, ['10.0.0.0/8'])).statusCode, 404);
      assert.equal((await call('PUT', `/api/v1/warning-lists/${list.id}/entries`, fraAnalyst, [])).statusCode, 404);
      assert.equal((await call('DELETE', `/api/v1/warning-lists/${list.id}/entries?value=10.53.0.0/16`, fraAnalyst)).statusCode, 404);
      assert.equal((await call('DELETE', `/api/v1/warning-lists/${list.id}`, fraAnalyst)).statusCode, 404);
      assert.equal(await check(tst, 'ipv4', '10.53.1.1'), '10.53.0.0/16');
      assert.equal(await check(fra, 'ipv4', '10.53.1.1'), undefined);
      assert.equal(await check(SYSTEM_PRINCIPAL, 'ipv4', '10.53.1.1'), undefined);
      // Its own member's administrator and the node's administrators may; an auditor reads only.
      assert.equal((await call('PATCH', `/api/v1/warning-lists/${list.id}`, node.tokens['member-admin'], { description: 'DNS' })).statusCode, 200);
      assert.equal((await call('GET', `/api/v1/warning-lists/${list.id}`, node.tokens['node-admin'])).statusCode, 200);
      assert.equal((await call('GET', `/api/v1/warning-lists/${list.id}`, node.tokens.auditor)).statusCode, 200);
      assert.equal((await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.auditor, ['10.0.0.0/8'])).statusCode, 403);
      assert.equal((await call('GET', '/api/v1/warning-lists', node.tokens['political-delegate'])).statusCode, 403);
    });

    it('lets node administrators alone make alliance lists, which apply to every member and the node itself', async () => {
      const refused = await call('POST', '/api/v1/warning-lists', node.tokens.analyst, { name: 'Everyone', scope: 'alliance' });
      assert.equal(refused.statusCode, 403);
      assert.match(refused.body, /only a node administrator/);
      const list = await create(node.tokens['node-admin'], { name: 'Popular domains', scope: 'alliance' });
      assert.equal((await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens['node-admin'], '*.google.com\nwikipedia.org\n', 'text/plain')).statusCode, 200);
      assert.equal((await call('GET', `/api/v1/warning-lists/${list.id}`, fraAnalyst)).statusCode, 200, 'everyone reads an alliance list');
      const change = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, fraAnalyst, ['evil.test']);
      assert.equal(change.statusCode, 403);
      assert.equal((await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, ['evil.test'])).statusCode, 403, "not even by the creator's own member's analysts");
      for (const actor of [tst, fra, SYSTEM_PRINCIPAL]) {
        assert.equal(await check(actor, 'domain', 'mail.google.com'), '*.google.com');
        assert.equal(await check(actor, 'url', 'https://maps.google.com/x'), '*.google.com');
        assert.equal(await check(actor, 'domain', 'evil.test'), undefined);
      }
      // A member list can become an alliance list only through a node administrator.
      const own = await create(node.tokens.analyst, { name: 'Promote me' });
      assert.equal((await call('PATCH', `/api/v1/warning-lists/${own.id}`, node.tokens.analyst, { scope: 'alliance' })).statusCode, 403);
      assert.equal((await call('PATCH', `/api/v1/warning-lists/${own.id}`, node.tokens['node-admin'], { scope: 'alliance' })).statusCode, 200);
      assert.equal((await call('DELETE', `/api/v1/warning-lists/${list.id}`, node.tokens['node-admin'])).statusCode, 204);
      assert.equal((await call('DELETE', `/api/v1/warning-lists/${own.id}`, node.tokens['node-admin'])).statusCode, 204);
    });

    it('answers bad input with a 4xx that says what and where, and keeps the valid values', async () => {
      const badScope = await call('POST', '/api/v1/warning-lists', node.tokens.analyst, { name: 'x', scope: 'world' });
      assert.equal(badScope.statusCode, 400);
      assert.match(badScope.body, /scope/);
      assert.equal((await call('POST', '/api/v1/warning-lists', node.tokens.analyst, { name: '   ' })).statusCode, 400);
      const list = await create(node.tokens.analyst, { name: 'Typos' });
      assert.equal((await call('POST', '/api/v1/warning-lists', node.tokens.analyst, { name: 'Typos' })).statusCode, 409);
      await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, ['8.8.8.8']);

      const mixed = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, '1.1.1.1\nnot a value\n\n999.1.1.1\n*.cloudflare-dns.com\n', 'text/plain');
      assert.equal(mixed.statusCode, 200, mixed.body);
      const result = mixed.json() as { added: number; rejected: number; errors: Array<{ line: number; value: string; message: string }>; entries: number };
      assert.equal(result.added, 2);
      assert.equal(result.rejected, 2);
      assert.deepEqual(result.errors.map((e) => [e.line, e.value]), [[2, 'not a value'], [4, '999.1.1.1']]);
      assert.match(result.errors[0]!.message, /give its kind/);
      assert.equal(result.entries, 3);

      const allBad = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, [{ value: 'x', kind: 'sha1' }, 'nope']);
      assert.equal(allBad.statusCode, 400);
      assert.match(allBad.json().error.message, /2 of 2 values refused, so nothing was changed; first, item 0: 'x' is not a valid sha1/);
      const strict = await call('PUT', `/api/v1/warning-lists/${list.id}/entries?strict=true`, node.tokens.analyst, ['9.9.9.9', 'nope']);
      assert.equal(strict.statusCode, 400);
      assert.match(strict.body, /strict/);
      const kept = (await call('GET', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst)).json() as { entries: Array<{ value: string }> };
      assert.deepEqual(kept.entries.map((e) => e.value).sort(), ['*.cloudflare-dns.com', '1.1.1.1', '8.8.8.8']);

      assert.equal((await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, '# nothing\n', 'text/plain')).statusCode, 400);
      assert.equal((await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, [{ value: '8.8.8.8', kind: 'planet' }])).statusCode, 400);
      assert.equal((await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, '<x/>', 'application/xml')).statusCode, 415);
      const cursor = await call('GET', `/api/v1/warning-lists/${list.id}?cursor=bogus`, node.tokens.analyst);
      assert.equal(cursor.statusCode, 400);
      assert.equal(cursor.json().error.code, 'SW_INVALID_CURSOR');
      assert.equal((await call('GET', '/api/v1/warning-lists/no-such-list', node.tokens.analyst)).statusCode, 404);
      assert.equal((await call('DELETE', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst)).statusCode, 204);
    });

    it('reads a large JSON upload a slice at a time, other work running between, and refuses values past their length one by one', async () => {
      const list = await create(node.tokens.analyst, { name: 'Sliced' });
      // About 16 MB: read at once, one JSON.parse and one schema check held the thread for all of it.
      const filler = Array.from({ length: 2000 }, (_, i) => `${'a'.repeat(7990)}${i}`);
      const items = ['192.0.2.0/24', { value: 'sliced.example', comment: 'kept' }, ...filler];
      const body = JSON.stringify(items);
      const turns = countTurns();
      const response = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, body, 'application/json');
      const counted = turns.stop();
      assert.equal(response.statusCode, 200, response.body.slice(0, 500));
      // Slices of SLICE_CHARS (512 Ki characters): a turn after each at least.
      assert.ok(counted >= Math.floor(body.length / (512 * 1024)) - 1, `${counted} turns while ${body.length} characters were read`);
      const result = response.json() as { received: number; added: number; rejected: number };
      assert.deepEqual([result.received, result.added, result.rejected], [items.length, 2, filler.length]);

      // Text likewise, line by line.
      const text = ['# sliced', '203.0.113.0/24', ...filler].join('\n');
      const textTurns = countTurns();
      const asText = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, text, 'text/plain');
      const countedText = textTurns.stop();
      assert.equal(asText.statusCode, 200, asText.body.slice(0, 500));
      assert.ok(countedText >= Math.floor(text.length / (512 * 1024)) - 1, `${countedText} turns while ${text.length} characters of text were read`);
      const textResult = asText.json() as { received: number; added: number; errors: Array<{ line: number }> };
      assert.deepEqual([textResult.received, textResult.added, textResult.errors[0]?.line], [filler.length + 1, 1, 3]);

      const long = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, ['198.51.100.7', 'b'.repeat(9000)]);
      assert.equal(long.statusCode, 200, long.body.slice(0, 500));
      const refused = long.json() as { added: number; rejected: number; errors: Array<{ index: number; message: string }> };
      assert.deepEqual([refused.added, refused.rejected, refused.errors[0]?.index], [1, 1, 1]);
      assert.match(refused.errors[0]!.message, /9000 characters long; entries are at most 8192/, 'a value past the length is refused alone, the others kept');
    });

    it('keeps and answers the first 1,000 refused values, each message quoting at most 200 characters of its value', async () => {
      const list = await create(node.tokens.analyst, { name: 'Refused' });
      // 2,000 values of 7,990 characters, none a value: every message quoted its whole value before.
      const items = ['192.0.2.0/24', ...Array.from({ length: 2000 }, (_, i) => `${'a'.repeat(7990)}${i}`)];
      const response = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, JSON.stringify(items), 'application/json');
      assert.equal(response.statusCode, 200, response.body.slice(0, 500));
      const result = response.json() as { added: number; rejected: number; errors: Array<{ index: number; value: string; message: string }>; errors_truncated: boolean };
      assert.deepEqual([result.added, result.rejected, result.errors.length, result.errors_truncated], [1, 2000, 1000, true]);
      assert.deepEqual([result.errors[0]!.index, result.errors.at(-1)!.index], [1, 1000]);
      const longest = Math.max(...result.errors.map((e) => e.message.length));
      assert.ok(longest < 400, `a message of ${longest} characters`);
      assert.match(result.errors[0]!.message, /^cannot tell what kind of value 'a{200}\.\.\.' is: give its kind/);
      assert.ok(response.body.length < 1_000_000, `an answer of ${response.body.length} characters`);
    });

    it('takes one entry upload per member at a time and two on the node, refusing more before their bodies are read (429)', async () => {
      const own = await create(node.tokens.analyst, { name: 'One at a time' });
      const fraList = await create(fraAnalyst, { name: 'Two on the node' });
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'NLD', name: 'Netherlands', kind: 'ally', country: 'NL', identityId: null }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'nld.analyst', member: 'NLD', clearance: 1, roles: ['analyst'] });
      const nldAnalyst = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'nld', user: 'nld.analyst' })).token;
      const nldList = await create(nldAnalyst, { name: 'A third' });
      const address = await node.app.listen({ host: '127.0.0.1', port: 0 });
      /** An upload whose body is sent in part, and ended later. */
      const slow = (token: string, id: string) => {
        const request = httpRequest(`${address}/api/v1/warning-lists/${id}/entries`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' } });
        const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
          request.on('response', (response) => {
            let body = '';
            response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          });
          request.on('error', reject);
        });
        request.write('192.0.2.10\n');
        return { end: () => request.end('192.0.2.11\n'), answered };
      };
      const upload = (token: string, id: string) => call('POST', `/api/v1/warning-lists/${id}/entries`, token, '198.51.100.1\n', 'text/plain');
      const inProgress = async () => {
        const metric = await node.ctx.metrics.registry.getSingleMetric('shieldwall_warninglist_uploads_in_progress')!.get();
        return metric.values[0]?.value ?? 0;
      };
      /** A slow upload, once the node holds it (then no other of its share is taken). */
      const held = async (token: string, id: string, before: number) => {
        const started = slow(token, id);
        await waitFor(`the node holding ${before + 1} uploads`, async () => (await inProgress()) === before + 1);
        return { started, probe: await upload(token, id) };
      };
      // Once the node holds one, another of the same member is refused (before, every one was read).
      const first = await held(node.tokens.analyst, own.id, 0);
      assert.equal(first.probe.json().error.code, 'SW_TOO_MANY_IN_FLIGHT');
      assert.match(first.probe.json().error.message, /a user of member TST has a warning-list upload in progress; one member uploads 1 at a time: retry in 5 s/);
      assert.equal(first.probe.headers['retry-after'], '5');
      // Another member's goes on; with two in progress, the node takes no third, whoever sends it.
      const second = await held(fraAnalyst, fraList.id, 1);
      const full = await upload(nldAnalyst, nldList.id);
      assert.equal(full.statusCode, 429, full.body);
      assert.match(full.json().error.message, /2 warning-list uploads are in progress on this node, the most it takes at once: retry in 5 s/);
      first.started.end();
      second.started.end();
      assert.deepEqual((await Promise.all([first.started.answered, second.started.answered])).map((a) => a.status), [200, 200]);
      // The places are given back with the answers.
      await waitFor('no upload in progress', async () => (await inProgress()) === 0);
      assert.equal((await upload(node.tokens.analyst, own.id)).statusCode, 200);

      // An upload to a list the sender may not write, or to none, is refused before its body is
      // read: its trickling body holds no place (before, two such held the node's two).
      for (const [token, id, status] of [[nldAnalyst, own.id, 404], [nldAnalyst, 'no-such-list', 404]] as const) {
        const trickle = slow(token, id);
        const answer = await trickle.answered;
        assert.equal(answer.status, status, answer.body);
        assert.equal(await inProgress(), 0);
        trickle.end();
      }
    });

    it('refreshes the planner statistics of PostgreSQL after a large upload, and runs no ANALYZE on SQLite (it would hold every request)', async () => {
      const list = await create(node.tokens.analyst, { name: 'Analysed' });
      const values = Array.from({ length: 50_001 }, (_, i) => `h${i}.analysed.example`).join('\n');
      const response = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, values, 'text/plain');
      assert.equal(response.statusCode, 200, response.body.slice(0, 500));
      assert.equal((response.json() as { added: number }).added, 50_001);
      if (dialect === 'sqlite') {
        const stats = await sql<{ n: number }>`select count(*) as n from sqlite_master where name = 'sqlite_stat1'`.execute(node.ctx.store.db);
        assert.equal(Number(stats.rows[0]!.n), 0, 'no ANALYZE ran on the SQLite store');
      } else {
        const analysed = await sql<{ tuples: number }>`select reltuples as tuples from pg_class where oid = 'warning_list_entries'::regclass`.execute(node.ctx.store.db);
        assert.ok(Number(analysed.rows[0]!.tuples) >= 50_001 * 0.9, `PostgreSQL knows the table's size: ${analysed.rows[0]!.tuples}`);
      }
      assert.equal((await call('DELETE', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst)).statusCode, 204);
    });

    it('refuses a JSON upload that is not an array of values with a 400 naming the item, and changes nothing', async () => {
      const list = await create(node.tokens.analyst, { name: 'Refused bodies' });
      const cases: Array<[string, RegExp, string, string?]> = [
        ['["a.example", {"value": "b.example", "__proto__": {"admin": true}}]', /item 1 is refused: it holds a key "__proto__"/, 'body[1]'],
        ['["a.example", "b.example"', /no closing "\]"/, 'body[1]'],
        ['{"values": ["a.example"]}', /not a JSON array/, 'body'],
        [JSON.stringify(['a.example', 'c'.repeat(70_000)]), /item 1 is longer than 65536 characters/, 'body[1]'],
        ['', /the body is empty: a JSON array was expected/, 'body'],
      ];
      for (const [body, message, path, type] of [...cases, ['8.8.8.8\n' + 'c'.repeat(70_000) + '\n9.9.9.9\n', /line 2 is longer than 65536 characters/, 'line 2', 'text/plain']] as const) {
        const response = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, body, type ?? 'application/json');
        assert.equal(response.statusCode, 400, `${body.slice(0, 60)}: ${response.body}`);
        const error = response.json().error as { message: string; details?: Array<{ path: string }> };
        assert.match(error.message, message);
        if (body !== '') assert.equal(error.details?.[0]?.path, path);
      }
      const after = (await call('GET', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst)).json() as { entries: unknown[] };
      assert.deepEqual(after.entries, []);
      // A byte order mark at the start (what some Windows tools write) is taken, as before.
      const marked = await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, '\ufeff["192.0.2.1"]', 'application/json');
      assert.equal(marked.statusCode, 200, marked.body);
      assert.equal((marked.json() as { added: number }).added, 1);
      // The node's other JSON bodies are read as before.
      const other = await call('POST', '/api/v1/warning-lists', node.tokens.analyst, '{"name": "x", "__proto__": {}}', 'application/json');
      assert.equal(other.statusCode, 400);
      assert.match(other.body, /__proto__/);
    });

    it('recompiles after every change, also for another process on the same store (within LISTS_FRESH_MS)', async () => {
      const clock = fixedClock(new Date('2026-11-26T12:00:00Z'));
      const other = createContext({ config: node.ctx.config, store: node.ctx.store, logger: node.ctx.logger, clock });
      // Another process reads the store's revision at most every LISTS_FRESH_MS: a change shows once that has passed.
      const checkOther = async (value: string) => {
        clock.advance(LISTS_FRESH_MS);
        return (await suppressorFor(other, tst)).check('domain', value)?.entry;
      };
      const checkOtherNow = async (value: string) => (await suppressorFor(other, tst)).check('domain', value)?.entry;
      const list = await create(node.tokens.analyst, { name: 'Changing' });
      const first = await suppressorFor(node.ctx, tst);
      assert.equal(first.check('domain', 'a.example.net'), undefined);
      assert.equal(await suppressorFor(node.ctx, tst), first, 'unchanged lists: the same compiled suppressor');
      await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, ['*.example.net']);
      assert.equal(await check(tst, 'domain', 'a.example.net'), '*.example.net');
      assert.equal(await checkOther('a.example.net'), '*.example.net');
      await call('DELETE', `/api/v1/warning-lists/${list.id}/entries?value=*.example.net`, node.tokens.analyst);
      assert.equal(await check(tst, 'domain', 'a.example.net'), undefined);
      assert.equal(await checkOtherNow('a.example.net'), '*.example.net', 'within the bound, the other process still has the list it read');
      assert.equal(await checkOther('a.example.net'), undefined);
      await call('PUT', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, ['example.net']);
      assert.equal(await check(tst, 'domain', 'example.net'), 'example.net');
      const renamed = await call('PATCH', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst, { name: 'Changed' });
      assert.equal(renamed.statusCode, 200);
      assert.equal((await suppressorFor(node.ctx, tst)).check('domain', 'example.net')?.name, 'Changed');
      await call('DELETE', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst);
      assert.equal(await check(tst, 'domain', 'example.net'), undefined);
      assert.equal(await checkOther('example.net'), undefined);
    });

    it('answers whether a value would be suppressed, for the caller', async () => {
      const list = await create(node.tokens.analyst, { name: 'Checked' });
      await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, ['*.intranet.example']);
      const mine = await call('GET', '/api/v1/warning-lists/check?value=WIKI.intranet.example', node.tokens.analyst);
      assert.deepEqual(mine.json(), { value: 'WIKI.intranet.example', kind: 'domain', normalised: 'wiki.intranet.example', suppressed: { list: list.id, name: 'Checked', entry: '*.intranet.example' } });
      assert.equal((await call('GET', '/api/v1/warning-lists/check?value=wiki.intranet.example', fraAnalyst)).json().suppressed, null);
      await call('DELETE', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst);
    });

    it('records every change in the audit log, in the transaction of the change', async () => {
      const list = await create(node.tokens.analyst, { name: 'Audited' });
      await call('POST', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, ['8.8.4.4']);
      await call('PUT', `/api/v1/warning-lists/${list.id}/entries`, node.tokens.analyst, ['8.8.8.8']);
      await call('DELETE', `/api/v1/warning-lists/${list.id}/entries?value=8.8.8.8`, node.tokens.analyst);
      await call('PATCH', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst, { description: 'x' });
      await call('DELETE', `/api/v1/warning-lists/${list.id}`, node.tokens.analyst);
      const actions: string[] = [];
      for await (const entry of audit.entries(node.ctx)) if (entry.subject === list.id) actions.push(`${entry.actor} ${entry.action}`);
      assert.deepEqual(actions, [
        'user:test-analyst detect.warninglist.create',
        'user:test-analyst detect.warninglist.entries.add',
        'user:test-analyst detect.warninglist.entries.replace',
        'user:test-analyst detect.warninglist.entries.remove',
        'user:test-analyst detect.warninglist.update',
        'user:test-analyst detect.warninglist.delete',
      ]);
      assert.equal((await audit.verify(node.ctx)).ok, true);
    });

    it('seeds the demo list of public resolvers once, for everyone', async () => {
      const seeded = await seedDemoWarningLists(node.ctx);
      assert.equal(seeded.scope, 'alliance');
      assert.ok(seeded.entries >= 10);
      assert.equal((await seedDemoWarningLists(node.ctx)).id, seeded.id);
      assert.equal(await check(fra, 'ipv4', '9.9.9.9'), '9.9.9.9');
      assert.equal(await check(tst, 'ipv6', '2606:4700:4700::1111'), '2606:4700:4700::1111');
      assert.equal(await check(tst, 'url', 'https://cloudflare-dns.com/dns-query'), '*.cloudflare-dns.com');
      assert.equal((await call('DELETE', `/api/v1/warning-lists/${seeded.id}`, node.tokens['node-admin'])).statusCode, 204);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`a member's warning lists are bounded in number and entries (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    before(async () => {
      node = await createTestNode(dialect, { warningListsPerMember: 3, warningListEntriesPerMember: 10 });
    });
    after(async () => node?.close());
    const call = (method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, payload?: unknown, token = node.tokens.analyst) =>
      node.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    const entries = (from: number, count: number) => Array.from({ length: count }, (_, i) => `192.0.2.${from + i}`);

    it('refuses a list past SHIELDWALL_WARNINGLISTS_PER_MEMBER and entries past SHIELDWALL_WARNINGLIST_ENTRIES_PER_MEMBER, changing nothing', async () => {
      const ids: string[] = [];
      for (const name of ['a', 'b', 'c']) {
        const created = await call('POST', '/api/v1/warning-lists', { name });
        assert.equal(created.statusCode, 201, created.body);
        ids.push((created.json() as { id: string }).id);
      }
      const fourth = await call('POST', '/api/v1/warning-lists', { name: 'd' });
      assert.equal(fourth.statusCode, 409);
      assert.match(fourth.body, /owns 3 warning lists.*SHIELDWALL_WARNINGLISTS_PER_MEMBER=3/);
      assert.deepEqual((fourth.json() as { error: { details: unknown } }).error.details, { lists: 3, limit: 3 });
      // The budget is the member's: the node's own lists are counted apart.
      assert.equal((await call('POST', '/api/v1/warning-lists', { name: 'resolvers', scope: 'alliance', member: null }, node.tokens['node-admin'])).statusCode, 201);

      const [a, b] = ids as [string, string];
      assert.equal((await call('POST', `/api/v1/warning-lists/${a}/entries`, entries(1, 6))).statusCode, 200);
      const over = await call('POST', `/api/v1/warning-lists/${b}/entries`, entries(10, 5));
      assert.equal(over.statusCode, 400);
      assert.match(over.body, /would hold 11 entries, more than the 10/);
      const count = async (id: string) => (((await call('GET', `/api/v1/warning-lists/${id}`)).json()) as { list: { entries: number } }).list.entries;
      assert.equal(await count(b), 0, 'nothing of the refused upload was kept');
      assert.equal((await call('POST', `/api/v1/warning-lists/${b}/entries`, entries(10, 4))).statusCode, 200, 'up to the budget');
      assert.equal((await call('POST', `/api/v1/warning-lists/${a}/entries`, entries(1, 3))).statusCode, 200, 'values present already add nothing');
      const replace = await call('PUT', `/api/v1/warning-lists/${a}/entries`, entries(20, 7));
      assert.equal(replace.statusCode, 400);
      assert.deepEqual((replace.json() as { error: { details: unknown } }).error.details, { entries: 11, limit: 10 });
      assert.equal(await count(a), 6);
      assert.equal((await call('PUT', `/api/v1/warning-lists/${a}/entries`, entries(20, 5))).statusCode, 200, 'a smaller replacement fits');
      assert.equal((await call('DELETE', `/api/v1/warning-lists/${b}`)).statusCode, 204);
      assert.equal((await call('POST', '/api/v1/warning-lists', { name: 'd' })).statusCode, 201, 'a deleted list makes room');
    });

    it('lets a member over its budget (lowered since) shrink its lists, and refuses it growth', async () => {
      const created = await call('POST', '/api/v1/warning-lists', { name: 'e', member: TEST_MEMBER }, node.tokens['node-admin']);
      assert.equal(created.statusCode, 409, 'the member holds its three lists');
      const lists = ((await call('GET', '/api/v1/warning-lists')).json() as { warning_lists: Array<{ id: string; entries: number }> }).warning_lists.filter((list) => list.entries > 0);
      const first = lists[0]!;
      // The operator lowers the budget below what the member holds: a node on the same store with a budget of 3.
      const config = loadConfig({}, { dataDir: mkdtempSync(path.join(tmpdir(), 'shieldwall-lowered-')), databaseUrl: node.testStore.url, demo: false, logLevel: 'silent', warningListEntriesPerMember: 3 });
      const lowered = await buildApp({ config, store: node.testStore.store, logger: false });
      lowered.setReady(true);
      try {
        const on = (method: 'POST' | 'PUT', url: string, payload: unknown) => lowered.app.inject({ method, url, headers: { authorization: `Bearer ${node.tokens.analyst}` }, payload: payload as object });
        assert.equal((await on('PUT', `/api/v1/warning-lists/${first.id}/entries`, entries(40, 1))).statusCode, 200, 'a smaller replacement is taken');
        assert.equal((await on('POST', `/api/v1/warning-lists/${first.id}/entries`, entries(40, 1))).statusCode, 200, 'a value held already adds nothing');
        const grows = await on('POST', `/api/v1/warning-lists/${first.id}/entries`, entries(50, 4));
        assert.equal(grows.statusCode, 400);
        assert.match(grows.body, /would hold 5 entries, more than the 3 a member may/);
      } finally {
        await lowered.app.close();
      }
    });
  });
}

describe('a warning-list upload keeps pace or gives its place back (408)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let address: string;
  before(async () => {
    // After 300 ms, at least 200 kB a second on average (the defaults: 30 s, then 128 KiB a second).
    node = await createTestNode('sqlite', { warningListUploadGraceMs: 300, warningListUploadMinRate: 200_000 });
    address = await node.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => node?.close());
  const inProgress = async () => (await node.ctx.metrics.registry.getSingleMetric('shieldwall_warninglist_uploads_in_progress')!.get()).values[0]?.value ?? 0;

  /** An upload sending a line now and then (every `everyMs`; never again with Infinity), never ending. */
  function trickle(id: string, everyMs: number) {
    const request = httpRequest(`${address}/api/v1/warning-lists/${id}/entries`, { method: 'POST', headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'text/plain' } });
    let line = 0;
    const timer = Number.isFinite(everyMs) ? setInterval(() => request.write(`192.0.2.${++line % 250}\n`), everyMs) : undefined;
    const answered = new Promise<{ status: number; body: string; connection: string | undefined; closed: Promise<void> }>((resolve, reject) => {
      request.on('response', (response) => {
        let body = '';
        const closed = new Promise<void>((done) => request.socket?.once('close', () => done()));
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: response.statusCode ?? 0, body, connection: response.headers.connection, closed }));
      });
      request.on('error', reject);
    });
    request.write('192.0.2.1\n');
    return { answered: answered.finally(() => clearInterval(timer)), stop: () => { clearInterval(timer); request.destroy(); } };
  }

  for (const [how, every] of [['goes silent', Infinity], ['trickles a line every 50 ms', 50]] as const) {
    it(`refuses an upload that ${how}, closes its connection, and frees its member's place`, async () => {
      const created = await node.app.inject({ method: 'POST', url: '/api/v1/warning-lists', headers: { authorization: `Bearer ${node.tokens.analyst}` }, payload: { name: `slow ${how}` } });
      const id = (created.json() as { id: string }).id;
      const slow = trickle(id, every);
      try {
        const answer = await slow.answered;
        assert.equal(answer.status, 408, answer.body);
        const error = (JSON.parse(answer.body) as { error: { code: string; message: string; details: { min_bytes_per_second: number } } }).error;
        assert.equal(error.code, 'SW_BODY_TOO_SLOW');
        assert.match(error.message, /past its first 0.3 s an upload keeps at least 200000 bytes a second on average \(SHIELDWALL_WARNINGLIST_UPLOAD_MIN_RATE\)/);
        assert.equal(error.details.min_bytes_per_second, 200_000);
        assert.equal(answer.connection, 'close');
        await answer.closed;
        await waitFor('the upload place given back', async () => (await inProgress()) === 0);
        // The member uploads again at once; nothing of the slow one was kept.
        const next = await node.app.inject({ method: 'POST', url: `/api/v1/warning-lists/${id}/entries`, headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'text/plain' }, payload: '198.51.100.1\n' });
        assert.equal(next.statusCode, 200, next.body);
        assert.equal((next.json() as { entries: number }).entries, 1);
      } finally {
        slow.stop();
      }
    });
  }

  it('gives the places back as soon as a body is refused, while the rest of it is read away', async () => {
    const created = await node.app.inject({ method: 'POST', url: '/api/v1/warning-lists', headers: { authorization: `Bearer ${node.tokens.analyst}` }, payload: { name: 'refused at once' } });
    const id = (created.json() as { id: string }).id;
    const request = httpRequest(`${address}/api/v1/warning-lists/${id}/entries`, { method: 'POST', headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'text/plain' } });
    let answered = false;
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => {
          answered = true;
          resolve({ status: response.statusCode ?? 0, body });
        });
      });
      request.on('error', reject);
    });
    // A value, and the upload holds its place; then a line past the longest an upload takes,
    // refused at once; then a byte now and then.
    request.write('192.0.2.1\n');
    await waitFor('the upload holding its place', async () => (await inProgress()) === 1);
    request.write(`${'x'.repeat(70_000)}\n`);
    const trickle = setInterval(() => request.write('y'), 100);
    try {
      await waitFor('the upload place given back', async () => (await inProgress()) === 0);
      assert.equal(answered, false, 'the rest of the body is still being read away');
    } finally {
      clearInterval(trickle);
      request.end();
    }
    const refused = await answer;
    assert.equal(refused.status, 400, refused.body);
  });

  it('takes an upload that keeps pace, however long it takes past the grace', async () => {
    const created = await node.app.inject({ method: 'POST', url: '/api/v1/warning-lists', headers: { authorization: `Bearer ${node.tokens.analyst}` }, payload: { name: 'paced' } });
    const id = (created.json() as { id: string }).id;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${address}/api/v1/warning-lists/${id}/entries`, { method: 'POST', headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'text/plain' } });
      request.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      // 4 MB a second for 0.6 s: twice the grace, twenty times the floor.
      const line = `${'a'.repeat(60)}.example\n`;
      const piece = line.repeat(Math.ceil(200_000 / line.length));
      let sent = 0;
      const timer = setInterval(() => {
        request.write(piece);
        if (++sent === 12) {
          clearInterval(timer);
          request.end();
        }
      }, 50);
    });
    assert.equal(answer.status, 200, answer.body.slice(0, 300));
    assert.equal((JSON.parse(answer.body) as { entries: number }).entries, 1);
  });
});

for (const dialect of DIALECTS) {
  describe(`a member's warning lists are bounded in bytes too (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    const LIMIT = 4096;
    let node: TestNode;
    before(async () => {
      // A slice of 100 entries: uploads of more are written slice by slice (the staged path).
      node = await createTestNode(dialect, { warningListBytesPerMember: LIMIT, warningListWriteSlice: 100 });
    });
    after(async () => node?.close());
    const call = (method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, payload?: unknown) =>
      node.app.inject({ method, url, headers: { authorization: `Bearer ${node.tokens.analyst}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    const create = async (name: string) => {
      const created = await call('POST', '/api/v1/warning-lists', { name });
      assert.equal(created.statusCode, 201, created.body);
      return (created.json() as { id: string }).id;
    };
    const list = async (id: string) => ((await call('GET', `/api/v1/warning-lists/${id}`)).json() as { list: { entries: number; bytes: number } }).list;
    const domains = (count: number, prefix = 'd') => Array.from({ length: count }, (_, i) => `${prefix}${i}.example`);
    const weight = (values: string[]) => values.reduce((sum, v) => sum + Buffer.byteLength(v), 0);
    // Comments of 1,000 characters (the most) of two UTF-8 bytes each.
    const heavy = (value: string) => ({ value, comment: 'é'.repeat(1000) });

    it('counts the UTF-8 bytes of values and comments, and refuses growth past SHIELDWALL_WARNINGLIST_BYTES_PER_MEMBER on every write path', async () => {
      const a = await create('heavy');
      const b = await create('light');
      const first = await call('POST', `/api/v1/warning-lists/${a}/entries`, [heavy('192.0.2.1'), heavy('192.0.2.2')]);
      assert.equal(first.statusCode, 200, first.body);
      assert.deepEqual(await list(a), { ...(await list(a)), entries: 2, bytes: 2 * (9 + 2000) });
      assert.equal((await call('POST', `/api/v1/warning-lists/${b}/entries`, ['192.0.2.50'])).statusCode, 200);
      assert.equal((await list(b)).bytes, 10);

      // A small addition in place: 4,018 + 10 held, 109 more would pass 4,096 (far below the entry budget).
      const inPlace = await call('POST', `/api/v1/warning-lists/${b}/entries`, [{ value: '192.0.2.51', comment: 'x'.repeat(99) }]);
      assert.equal(inPlace.statusCode, 400, inPlace.body);
      assert.match(inPlace.body, /would hold 4137 bytes of values and comments, more than the 4096 a member may \(SHIELDWALL_WARNINGLIST_BYTES_PER_MEMBER\)/);
      assert.deepEqual((inPlace.json() as { error: { details: unknown } }).error.details, { bytes: 4137, limit: LIMIT });
      assert.deepEqual(await list(b), { ...(await list(b)), entries: 1, bytes: 10 }, 'nothing of the refused addition was kept');

      // A replacement of more than a slice, refused after its slices were written.
      const many = domains(150);
      const staged = await call('PUT', `/api/v1/warning-lists/${b}/entries`, many);
      assert.equal(staged.statusCode, 400, staged.body);
      assert.deepEqual((staged.json() as { error: { details: unknown } }).error.details, { bytes: 4018 + weight(many), limit: LIMIT });
      assert.deepEqual(await list(b), { ...(await list(b)), entries: 1, bytes: 10 });

      // Removing an entry gives its bytes back: then the replacement fits.
      assert.equal((await call('DELETE', `/api/v1/warning-lists/${a}/entries?value=192.0.2.1`)).statusCode, 200);
      assert.equal((await list(a)).bytes, 2009);
      const replaced = await call('PUT', `/api/v1/warning-lists/${b}/entries`, many);
      assert.equal(replaced.statusCode, 200, replaced.body);
      assert.deepEqual(await list(b), { ...(await list(b)), entries: 150, bytes: weight(many) });

      // An addition of more than a slice to a list with entries (copied, then added to): values held already weigh nothing.
      const again = await call('POST', `/api/v1/warning-lists/${b}/entries`, many);
      assert.equal(again.statusCode, 200, again.body);
      assert.deepEqual(await list(b), { ...(await list(b)), entries: 150, bytes: weight(many) });
      const more = domains(120, 'e');
      const grows = await call('POST', `/api/v1/warning-lists/${b}/entries`, more);
      assert.equal(grows.statusCode, 400, grows.body);
      assert.deepEqual((grows.json() as { error: { details: unknown } }).error.details, { bytes: 2009 + weight(many) + weight(more), limit: LIMIT });
      assert.deepEqual(await list(b), { ...(await list(b)), entries: 150, bytes: weight(many) });
    });

    it('refuses values and comments holding a NUL or a lone surrogate, which the engines do not keep as sent', async () => {
      const c = await create('not text');
      const sent = [
        { value: '192.0.2.60', comment: '\ud800'.repeat(100) },
        { value: 'UA\u0000x', kind: 'user-agent' },
        { value: 'Agent\ud801X', kind: 'user-agent' },
        { value: '192.0.2.61', comment: 'x\u0000'.repeat(100) },
        { value: '192.0.2.62', comment: 'a pair \u{1F600} is text' },
      ];
      const answer = await call('PUT', `/api/v1/warning-lists/${c}/entries`, sent);
      assert.equal(answer.statusCode, 200, answer.body);
      const result = answer.json() as { added: number; rejected: number; errors: Array<{ index: number; message: string }> };
      assert.deepEqual([result.added, result.rejected, result.errors.map((e) => e.index)], [1, 4, [0, 1, 2, 3]]);
      for (const error of result.errors) assert.match(error.message, /a NUL character or a lone UTF-16 surrogate/);
      assert.equal((await list(c)).bytes, Buffer.byteLength('192.0.2.62') + Buffer.byteLength('a pair \u{1F600} is text'));
    });

    it("weighs existing lists on migration as the node counts them, multi-byte comments included", async () => {
      const lists = ((await call('GET', '/api/v1/warning-lists')).json() as { warning_lists: Array<{ id: string; bytes: number }> }).warning_lists;
      assert.ok(lists.some((l) => l.bytes > 2000), 'a list with a two-byte comment is among them');
      await node.ctx.store.db.updateTable('warning_lists').set({ bytes: 0 }).execute();
      await weighLists(node.ctx.store.db as never, dialect);
      for (const l of lists) assert.equal((await list(l.id)).bytes, l.bytes, `list ${l.id}`);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`large warning-list writes go in slices (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    const SLICE = 100;
    let node: TestNode;
    before(async () => {
      node = await createTestNode(dialect, { warningListWriteSlice: SLICE });
    });
    after(async () => node?.close());
    const call = (method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, payload?: unknown) =>
      node.app.inject({ method, url, headers: { authorization: `Bearer ${node.tokens.analyst}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    const values = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}.example`);
    const db = () => node.ctx.store.db;
    /** Every entry row the store holds, of any set. */
    const rows = async () => Number((await db().selectFrom('warning_list_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const marks = async () => (await db().selectFrom('warning_list_purges').select('set_id').execute()).length;
    /** What a reader sees: the list's values, all of them (one page). */
    const seen = async (id: string) => ((await call('GET', `/api/v1/warning-lists/${id}?limit=10000`)).json() as { entries: Array<{ value: string }> }).entries.map((e) => e.value);
    const create = async (name: string) => {
      const created = await call('POST', '/api/v1/warning-lists', { name });
      assert.equal(created.statusCode, 201, created.body);
      return (created.json() as { id: string }).id;
    };
    /** Writes of others and reads while `work` runs: turns of the event loop between its slices. */
    async function meanwhile<T>(work: Promise<T>, each: () => Promise<void>): Promise<{ result: T; turns: number }> {
      let done = false;
      let turns = 0;
      const watched = work.finally(() => (done = true));
      while (!done) {
        await each();
        turns++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      return { result: await watched, turns };
    }

    it('replaces a list slice by slice: other writes go between, readers see the old entries until the last, then only the new', async () => {
      const id = await create('popular');
      const old = values('old', 250);
      assert.equal((await call('PUT', `/api/v1/warning-lists/${id}/entries`, old)).statusCode, 200);
      const fresh = values('new', 20 * SLICE);
      let others = 0;
      const views = new Set<string>();
      let staged = 0;
      const { result } = await meanwhile(call('PUT', `/api/v1/warning-lists/${id}/entries`, fresh), async () => {
        // Another member's write commits while the upload is under way.
        await writeTransaction(node.ctx.store, async () => undefined);
        others++;
        const stored = await rows();
        const view = await seen(id);
        const kind = view.length === old.length && view.every((v) => v.startsWith('old-')) ? 'old' : view.length === fresh.length && view.every((v) => v.startsWith('new-')) ? 'new' : `mixed ${view.length}`;
        views.add(kind);
        if (kind === 'old') staged = Math.max(staged, stored - old.length);
      });
      assert.equal(result.statusCode, 200, result.body);
      assert.equal((result.json() as { entries: number }).entries, fresh.length);
      assert.ok(others >= 5, `other writes committed during the upload: ${others}`);
      assert.ok(staged > 0, 'new rows were committed while the list still read the old ones');
      assert.ok(!views.has('mixed') && [...views].every((v) => v === 'old' || v === 'new'), `a reader saw only whole lists: ${[...views].join(', ')}`);
      assert.ok(views.has('old'), 'readers saw the old entries during the upload');
      assert.deepEqual((await seen(id)).sort(), [...fresh].sort());
      assert.equal(await rows(), fresh.length, 'the old entries were purged');
      assert.equal(await marks(), 0);
    });

    it('adds more than a slice to a list: the old entries (and their comments) stay, repeats are counted as present', async () => {
      const id = await create('additions');
      assert.equal((await call('POST', `/api/v1/warning-lists/${id}/entries`, [{ value: 'kept.example', comment: 'our resolver' }, ...values('a', 150)])).statusCode, 200);
      const more = [...values('a', 100), ...values('b', 3 * SLICE)];
      const added = await call('POST', `/api/v1/warning-lists/${id}/entries`, more);
      assert.equal(added.statusCode, 200, added.body);
      const body = added.json() as { added: number; present: number; entries: number };
      assert.deepEqual([body.added, body.present, body.entries], [3 * SLICE, 100, 1 + 150 + 3 * SLICE]);
      const page = (await call('GET', `/api/v1/warning-lists/${id}?limit=10000`)).json() as { entries: Array<{ value: string; comment: string | null }> };
      assert.equal(page.entries.length, 1 + 150 + 3 * SLICE);
      assert.equal(page.entries.find((e) => e.value === 'kept.example')?.comment, 'our resolver');
      assert.equal(await marks(), 0);
    });

    it('fails with 409 and changes nothing when the list changes while an upload is written, leaving no rows behind', async () => {
      const id = await create('contested');
      const old = values('was', 150);
      assert.equal((await call('PUT', `/api/v1/warning-lists/${id}/entries`, old)).statusCode, 200);
      const before = await rows();
      let removed = false;
      const { result } = await meanwhile(call('PUT', `/api/v1/warning-lists/${id}/entries`, values('then', 40 * SLICE)), async () => {
        // Once the upload has written a slice, another user removes an entry of the list.
        if (!removed && (await rows()) > before) {
          assert.equal((await call('DELETE', `/api/v1/warning-lists/${id}/entries?value=was-0.example`)).statusCode, 200);
          removed = true;
        }
      });
      assert.ok(removed, 'the removal came during the upload');
      assert.equal(result.statusCode, 409, result.body);
      assert.match(result.body, /changed while this upload was written, so nothing was changed: send the upload again/);
      assert.deepEqual((await seen(id)).sort(), old.slice(1).sort(), 'the list holds its entries less the one removed');
      assert.equal(await rows(), before - 1, 'the upload left no rows');
      assert.equal(await marks(), 0);
    });

    it('deletes a large list at once and its entries in slices; purges sets an interrupted upload left after an hour', async () => {
      const id = await create('doomed');
      assert.equal((await call('PUT', `/api/v1/warning-lists/${id}/entries`, values('gone', 5 * SLICE + 7))).statusCode, 200);
      const before = await rows();
      assert.equal((await call('DELETE', `/api/v1/warning-lists/${id}`)).statusCode, 204);
      assert.equal(await rows(), before - (5 * SLICE + 7));
      assert.equal(await marks(), 0);
      // A process stopped in the middle of an upload: rows of a set no list reads, marked two hours ago.
      const left = 'left-behind~set';
      await writeTransaction(node.ctx.store, async (tx) => {
        await tx.db.insertInto('warning_list_entries').values(values('orphan', 250).map((value) => ({ list_id: left, kind: 'domain', value, comment: null, added_at: '2026-01-01T00:00:00.000Z' }))).execute();
        await tx.db.insertInto('warning_list_purges').values({ set_id: left, since: new Date(Date.now() - 2 * 3600_000).toISOString() }).execute();
      });
      // A recent mark is an upload under way: left alone.
      await writeTransaction(node.ctx.store, (tx) => tx.db.insertInto('warning_list_purges').values({ set_id: 'under-way~set', since: new Date().toISOString() }).execute());
      const next = await create('next');
      assert.equal((await call('PUT', `/api/v1/warning-lists/${next}/entries`, values('n', 2 * SLICE))).statusCode, 200);
      const sets = (await db().selectFrom('warning_list_entries').select('list_id').distinct().execute()).map((r) => r.list_id);
      assert.ok(!sets.includes(left), 'the left-behind set was purged');
      assert.deepEqual((await db().selectFrom('warning_list_purges').select('set_id').execute()).map((r) => r.set_id), ['under-way~set']);
    });
  });
}

describe('shieldwall warninglists', { timeout: SUITE_LIMIT_MS }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-warninglists-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('manages lists on the store directly and on a running node, reporting refused values with exit code 3', async () => {
    const env = { SHIELDWALL_DATA_DIR: path.join(dir, 'node') };
    const created = await runCli(['warninglists', 'create', 'Resolvers', '8.8.8.8', '2001:4860:4860::8888', '--scope', 'alliance'], env);
    assert.equal(created.code, 0, created.stderr);
    const id = (JSON.parse(created.stdout.split('\n')[0]!) as { id: string }).id;
    const added = await runCli(['warninglists', 'add', 'Resolvers', '--file', '-'], env, '# Quad9\n9.9.9.9\nnot a value\n*.quad9.net\n');
    assert.equal(added.code, 3, added.stderr);
    assert.equal((JSON.parse(added.stdout) as { added: number }).added, 2);
    assert.match(added.stderr, /^line 3: cannot tell what kind of value 'not a value' is/m);
    const memberless = await runCli(['warninglists', 'create', 'Own'], env);
    assert.equal(memberless.code, 1);
    assert.match(memberless.stderr, /--member/);

    assert.equal((await runCli(['members', 'add', '--code', 'DEU', '--name', 'Germany', '--kind', 'ally'], env)).code, 0);
    assert.equal((await runCli(['users', 'create', '--name', 'ana', '--member', 'DEU', '--roles', 'analyst'], env)).code, 0);
    const token = (await runCli(['tokens', 'create', '--name', 'ana', '--user', 'ana'], env)).stdout.trim();
    const node = await startNodeProcess(env);
    try {
      const remote = ['--url', node.url, '--token', token];
      const own = await runCli(['warninglists', 'create', 'Own ranges', '10.0.0.0/8', ...remote], {});
      assert.equal(own.code, 0, own.stderr);
      assert.equal((JSON.parse(own.stdout.split('\n')[0]!) as { member: string }).member, 'DEU');
      const refused = await runCli(['warninglists', 'add', id, '1.1.1.1', ...remote], {});
      assert.equal(refused.code, 10);
      assert.match(refused.stderr, /403 SW_FORBIDDEN: only a node administrator/);
      const shown = await runCli(['warninglists', 'show', 'Resolvers', ...remote], {});
      assert.equal(shown.code, 0, shown.stderr);
      assert.deepEqual(shown.stdout.trim().split('\n').slice(1).map((l) => (JSON.parse(l) as { value: string }).value), ['*.quad9.net', '8.8.8.8', '9.9.9.9', '2001:4860:4860::8888']);
      assert.equal((await runCli(['warninglists', 'remove', 'Own ranges', '10.0.0.0/8', ...remote], {})).code, 0);
      assert.equal((await runCli(['warninglists', 'delete', 'Own ranges', ...remote], {})).code, 0);
      const listed = await runCli(['warninglists', 'list', ...remote], {});
      assert.deepEqual(listed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { name: string }).name), ['Resolvers']);
    } finally {
      node.child.kill('SIGTERM');
      await node.exited;
    }
  });
});
