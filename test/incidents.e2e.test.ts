/**
 * An incident end to end, on two nodes: a member reports, scores and shares an incident; the
 * members entitled to it are notified by the live feed, by webhook (signature checked) and by
 * e-mail (through a local SMTP sink); the peer node of an entitled member receives it as STIX and
 * shows it on its board; a member not entitled (a partner, outside ALLIANCE) sees nothing
 * anywhere: no board row, no object, no feed event, no webhook, no mail, and nothing on the peer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { createCa, issue } from '../src/core/pki.js';
import { SYSTEM_PRINCIPAL, type Role } from '../src/policy/principal.js';
import { createPeer, createToken, createUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import * as federation from '../src/modules/federation/federation.service.js';
import type { Incident, IncidentSummary } from '../src/modules/incidents/incidents.model.js';
import { selectionsAt } from '../src/modules/demo/demo.incidents.js';
import { createTestNode, TEST_MEMBER, type TestNode } from './support/node.js';
import { FeedReader, webhookReceiver } from './support/receivers.js';
import { smtpSink, type SunkMail } from './support/smtp-sink.js';
import { SUITE_LIMIT_MS, waitFor } from './support/wait.js';

const MEMBERS = [
  { code: 'DEU', name: 'Germany', kind: 'ally' as const, country: 'DE', identityId: 'identity--1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f' },
  { code: 'FRA', name: 'France', kind: 'ally' as const, country: 'FR', identityId: 'identity--2e3f4051-6b7c-4d8e-9f0a-1b2c3d4e5f60' },
  { code: 'AUT', name: 'Austria', kind: 'partner' as const, country: 'AT', identityId: 'identity--3f405162-7c8d-4e9f-8a1b-2c3d4e5f6071' },
];

describe('an incident end to end: report, score, share, notify, federate, and nothing for the unentitled', { timeout: SUITE_LIMIT_MS }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-incidents-e2e-'));
  let a: TestNode;
  let b: TestNode;
  let agent: Agent;
  let urlA = '';
  let sink: Awaited<ReturnType<typeof smtpSink>>;
  let hooks: Awaited<ReturnType<typeof webhookReceiver>>;
  const tokens: Record<string, string> = {};
  const feeds: FeedReader[] = [];

  async function user(node: TestNode, key: string, name: string, member: string, roles: Role[]): Promise<void> {
    await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member, clearance: 2, roles });
    tokens[key] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
  }

  async function call(node: TestNode, who: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
    const response = await node.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: response.statusCode, body: response.body === '' ? undefined : (JSON.parse(response.body) as Record<string, unknown>) };
  }

  async function subscribe(who: string, hookPath: string, address: string, filter: Record<string, unknown>): Promise<void> {
    const created = await call(a, who, 'POST', '/api/v1/subscriptions', { name: `${who}'s incidents`, filter, channels: { webhook: { url: hooks.url(hookPath) }, email: { address } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const secret = (created.body!.channels as { webhook: { secret: string } }).webhook.secret;
    assert.ok(secret, 'the generated secret is shown once, at creation');
    hooks.secrets.set(hookPath, secret);
  }

  const mailsTo = (address: string): SunkMail[] => sink.mails.filter((mail) => mail.to.includes(address));

  before(async () => {
    sink = await smtpSink();
    hooks = await webhookReceiver();
    const ca = await createCa('Incidents e2e CA');
    const caFile = path.join(dir, 'ca.crt');
    writeFileSync(caFile, ca.certPem);
    agent = new Agent({ connect: { ca: ca.certPem } });
    const nodeOf = async (name: string, smtp: boolean) => {
      const issued = await issue(ca, { commonName: name, usage: 'server', ips: ['127.0.0.1'] });
      const cert = path.join(dir, `${name}.crt`);
      const key = path.join(dir, `${name}.key`);
      writeFileSync(cert, issued.certPem);
      writeFileSync(key, issued.keyPem);
      const node = await createTestNode(
        'sqlite',
        { tlsCert: cert, tlsKey: key, tlsClientCa: caFile, secretKeyFile: path.join(dir, `${name}.secret`), webhookAllow: ['127.0.0.1/32'], notifyContentLevel: 1, ...(smtp ? { smtpUrl: `smtp://127.0.0.1:${sink.port}`, smtpFrom: 'shieldwall@node-a.example' } : {}) },
        { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8'), ca: ca.certPem },
      );
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, MEMBERS);
      await node.app.listen({ host: '127.0.0.1', port: 0 });
      const address = node.app.server.address() as AddressInfo;
      return { node, url: `https://127.0.0.1:${address.port}` };
    };
    ({ node: a, url: urlA } = await nodeOf('node-a', true));
    // Node A runs its durable jobs (the notifications' deliveries) as a started node does.
    a.jobs.start();
    const nodeB = await nodeOf('node-b', false);
    b = nodeB.node;
    const urlB = nodeB.url;
    // A knows B as the node of France; B pulls from A.
    await createPeer(a.ctx, SYSTEM_PRINCIPAL, { name: 'node-b', members: ['FRA'], clearance: 2, roles: ['analyst'], url: `${urlB}/taxii2/intel/`, direction: 'push', auth: 'mtls', caFile });
    await createPeer(b.ctx, SYSTEM_PRINCIPAL, { name: 'node-a', members: [TEST_MEMBER, 'DEU'], clearance: 2, roles: ['analyst'], url: `${urlA}/taxii2/intel/`, direction: 'pull', auth: 'mtls', caFile });
    await user(a, 'dieter', 'dieter', 'DEU', ['incident-handler']);
    await user(a, 'francois', 'francois', 'FRA', ['analyst']);
    await user(a, 'anna', 'anna', 'AUT', ['analyst']);
    await user(b, 'fabien', 'fabien', 'FRA', ['analyst']);
    await user(b, 'aurelia', 'aurelia', 'AUT', ['analyst']);
    // France wants significant incidents in the energy sector; Austria wants everything.
    await subscribe('francois', '/francois', 'cert@fra.example', { significant_only: true, sectors: ['energy'] });
    await subscribe('anna', '/anna', 'cert@aut.example', {});
    // A stream without Last-Event-ID sends what is stored after it is answered (docs/FEED.md): the
    // incident is reported once both streams are answered, not while their requests are on the way.
    for (const who of ['francois', 'anna']) feeds.push(new FeedReader(`${urlA}/api/v1/events`, tokens[who]!, agent));
    await waitFor('the live feeds of France and Austria answered', () => feeds.every((feed) => feed.opened));
  });

  after(async () => {
    for (const feed of feeds) await feed.close();
    await federation.closeClients(a?.ctx);
    await federation.closeClients(b?.ctx);
    await a?.close();
    await b?.close();
    await agent?.close();
    await sink?.close();
    await new Promise((resolve) => hooks?.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reaches the entitled by feed, webhook, e-mail and their peer node, and the unentitled nowhere', async () => {
    const [frenchFeed, austrianFeed] = feeds as [FeedReader, FeedReader];
    // Germany reports an incident released to the alliance, scores it, and moves it on.
    const reported = await call(a, 'dieter', 'POST', '/api/v1/incidents', {
      title: 'Wiper on the grid operator\'s SCADA', summary: 'Destructive malware on the operations network', sectors: ['energy'], systems: ['SCADA historian'],
      tlp: 'amber', classification: 'RESTRICTED', releasability: ['ALLIANCE'],
    });
    assert.equal(reported.status, 201, JSON.stringify(reported.body));
    const id = (reported.body as unknown as Incident).id;
    const scored = await call(a, 'dieter', 'PUT', `/api/v1/incidents/${id}/severity`, { selections: selectionsAt(1) });
    assert.equal(scored.status, 200);
    assert.equal((scored.body as unknown as Incident).severity!.significant, true);
    assert.equal((await call(a, 'dieter', 'POST', `/api/v1/incidents/${id}/status`, { status: 'triaged', note: 'Confirmed by the operator' })).status, 200);

    // France: the live feed, a signed webhook and a mail with the handling banner.
    let feedError = '';
    frenchFeed.done.catch((error: unknown) => (feedError = String(error)));
    const feedState = () => `France's feed so far: ${JSON.stringify(frenchFeed.events.map((e) => [e.event, (e.data.object as { id?: string } | undefined)?.id]))} ${feedError} opened=${frenchFeed.opened} chunks=${frenchFeed.chunks}`;
    await waitFor('the incident on France\'s live feed', () => frenchFeed.ids('incident').includes(id), { context: feedState });
    await waitFor('a webhook delivery to France', () => (hooks.deliveries.get('/francois') ?? []).some((d) => JSON.stringify(d.body).includes(id)));
    const french = hooks.deliveries.get('/francois')!.filter((d) => JSON.stringify(d.body).includes(id));
    assert.ok(french.every((d) => d.verified), 'each delivery is signed with the subscription\'s secret');
    assert.ok(french.some((d) => d.event.startsWith('incident.')));
    await waitFor('a mail to France', () => mailsTo('cert@fra.example').some((mail) => mail.body.includes('Wiper')));
    const mail = mailsTo('cert@fra.example').find((m) => m.body.includes('Wiper'))!;
    assert.match(mail.headers.subject ?? '', /TLP:AMBER/);
    assert.match(mail.body, /RESTRICTED/);

    // France's own node receives the incident as STIX and shows it on its board, read only.
    await federation.pull(b.ctx, 'node-a');
    await waitFor('the incident on node B\'s board', async () => (await call(b, 'fabien', 'GET', `/api/v1/incidents/${id}`)).status === 200);
    const onPeer = (await call(b, 'fabien', 'GET', `/api/v1/incidents/${id}`)).body as unknown as Incident;
    assert.equal(onPeer.source, 'peer');
    assert.equal(onPeer.member, 'DEU');
    assert.equal(onPeer.status, 'triaged');
    assert.equal(onPeer.severity!.level, 5);
    assert.deepEqual(onPeer.handling, { tlp: 'amber', classification: 'RESTRICTED', releasability: ['ALLIANCE'] });
    assert.equal(onPeer.may_edit, false);

    // A marker Austria may read, reported after: once it has reached Austria on every channel,
    // anything about the first incident would have reached it before.
    const marker = await call(a, 'dieter', 'POST', '/api/v1/incidents', { title: 'Public advisory: scanning wave', tlp: 'clear', releasability: ['*'] });
    assert.equal(marker.status, 201);
    const markerId = (marker.body as unknown as Incident).id;
    await waitFor('the marker on Austria\'s feed', () => austrianFeed.ids('incident').includes(markerId));
    await waitFor('the marker by webhook to Austria', () => (hooks.deliveries.get('/anna') ?? []).some((d) => JSON.stringify(d.body).includes(markerId)));
    await waitFor('the marker by mail to Austria', () => mailsTo('cert@aut.example').some((m) => m.body.includes('scanning wave')));

    // Austria (a partner, outside ALLIANCE) learns nothing of the first incident, anywhere.
    assert.ok(!austrianFeed.ids('incident').includes(id) && !austrianFeed.events.some((e) => JSON.stringify(e.data).includes(id)), 'not on its feed');
    assert.ok(!(hooks.deliveries.get('/anna') ?? []).some((d) => JSON.stringify(d.body).includes(id)), 'no webhook');
    assert.ok(!mailsTo('cert@aut.example').some((m) => m.body.includes('Wiper') || m.body.includes(id)), 'no mail');
    assert.equal((await call(a, 'anna', 'GET', `/api/v1/incidents/${id}`)).status, 404);
    assert.equal((await call(a, 'anna', 'GET', `/api/v1/objects/${id}`)).status, 404);
    assert.equal((await call(a, 'anna', 'GET', `/api/v1/incidents/${id}/export?format=pdf`)).status, 404);
    const annasBoard = ((await call(a, 'anna', 'GET', '/api/v1/incidents')).body as { incidents: IncidentSummary[] }).incidents.map((i) => i.id);
    assert.ok(!annasBoard.includes(id) && annasBoard.includes(markerId));
    assert.equal((await call(b, 'aurelia', 'GET', `/api/v1/incidents/${id}`)).status, 404, 'nor on the peer node');
    // The marker was not significant nor in energy: France's subscription filtered it out.
    assert.ok(!(hooks.deliveries.get('/francois') ?? []).some((d) => JSON.stringify(d.body).includes(markerId)));
  });
});
