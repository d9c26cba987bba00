/**
 * Incidents on the live feed (GET /api/v1/events): a STIX incident object (STIX 2.1 section 4.6)
 * arriving in the store is an `incident` event, with its handling and the status and severity
 * level of Shieldwall's incident extension (section 7.3) when it carries one; it goes through
 * the same per-reader listing as every other event, and resumes with Last-Event-ID as they do.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestNode, TEST_MEMBER_IDENTITY, type TestNode } from '../../../test/support/node.js';
import { openStream, type Stream } from '../../../test/support/sse.js';
import { until } from '../../../test/support/wait.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { createToken, createUser, principalOfUser, upsertMembers } from '../directory/directory.service.js';
import { incidentExtensionDefinition, incidentObject, type IncidentExtension } from '../incidents/incidents.stix.js';
import { ingestObjects } from '../intel/intel.service.js';
import type { Handling, IncidentState } from './feed.service.js';

interface Parsed {
  id: string;
  event: string;
  data: { object: StixObject; handling?: Handling; change: string; incident?: IncidentState };
}

/** The events of a stream so far, their data parsed. */
const events = (stream: Stream): Parsed[] =>
  stream.events.filter((e) => e.event !== 'end').map((e) => ({ id: e.id!, event: e.event!, data: JSON.parse(e.data!) as Parsed['data'] }));

function extension(overrides: Partial<IncidentExtension> = {}): IncidentExtension {
  return {
    status: 'contained',
    severity: { score: 57, level: 3, level_name: 'High', significant: true, selections: {} },
    sectors: ['energy'],
    systems: [],
    handler: null,
    started_at: null,
    detected_at: null,
    actor: null,
    timeline: [],
    tasks: [],
    links: [],
    reporting_member: 'TST',
    ...overrides,
  };
}

/** A Shieldwall incident as its node stores it: the incident object with its property extension. */
function shieldwallIncident(title: string, tlp: 'green' | 'red', overrides: Partial<IncidentExtension> = {}, version: { id?: string; modified?: string } = {}): StixObject {
  return incidentObject({
    id: version.id ?? `incident--${randomUUID()}`,
    title,
    summary: null,
    created: '2026-12-03T10:00:00.000Z',
    modified: version.modified ?? '2026-12-03T10:00:00.000Z',
    createdByRef: TEST_MEMBER_IDENTITY,
    markingRefs: [TLP2_MARKING_IDS[tlp]],
    extension: extension(overrides),
  });
}

describe('incidents on the live feed', () => {
  let node: TestNode;
  let base: string;
  let other: string;
  const streams: Stream[] = [];

  before(async () => {
    node = await createTestNode('sqlite');
    await node.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(node.app.server.address() as AddressInfo).port}`;
    await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'OTH', name: 'Other ally', kind: 'ally', country: null, identityId: `identity--${randomUUID()}` }]);
    await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'other-analyst', member: 'OTH', clearance: 4, roles: ['analyst'] });
    other = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'other-analyst', user: 'other-analyst' })).token;
  });
  after(async () => {
    for (const s of streams) s.close();
    await node?.close();
  });

  const ingest = async (objects: StixObject[]) => {
    const analyst = await principalOfUser(node.ctx, 'test-analyst');
    const summary = await ingestObjects(node.ctx, analyst!, objects);
    assert.equal(summary.rejected, 0, JSON.stringify(summary));
  };

  const about = (stream: Stream, id: unknown) => events(stream).filter((e) => e.data.object.id === id);

  it('sends incident objects as incident events, with handling, status and level, only to readers who may read them, resumably', async () => {
    const mine = await openStream(base, node.tokens.analyst);
    const theirs = await openStream(base, other);
    streams.push(mine, theirs);
    await until('the streams open', () => (mine.raw.length > 0 && theirs.raw.length > 0 ? undefined : 'nothing received'));

    const shared = shieldwallIncident('Wiper on substation controllers', 'green');
    const national = shieldwallIncident('National incident', 'red');
    // An incident of another platform: name only, no extension of ours.
    const foreign: StixObject = {
      type: 'incident',
      spec_version: '2.1',
      id: `incident--${randomUUID()}`,
      created: '2026-12-03T09:00:00.000Z',
      modified: '2026-12-03T09:00:00.000Z',
      name: 'Incident 43',
      object_marking_refs: [TLP2_MARKING_IDS.clear],
    };
    await ingest([incidentExtensionDefinition(), shared, national, foreign]);
    await until('both readers see the incidents they may read', () => (about(mine, foreign.id).length > 0 && about(theirs, foreign.id).length > 0 ? undefined : 'not yet'));

    const [event] = about(theirs, shared.id);
    assert.equal(event!.event, 'incident');
    assert.deepEqual(event!.data.handling, { tlp: 'green', classification: 0, classification_name: 'UNCLASSIFIED', releasable_to: ['ALLIANCE'], origin: 'TST' });
    assert.deepEqual(event!.data.incident, { status: 'contained', level: 3, level_name: 'High' });
    assert.equal(event!.data.change, 'new');
    assert.deepEqual(about(theirs, foreign.id).map((e) => [e.event, e.data.incident]), [['incident', { status: null, level: null, level_name: null }]], 'without our extension nothing is made up');
    assert.deepEqual(about(mine, national.id).map((e) => [e.event, e.data.incident?.status]), [['incident', 'contained']], 'the reporting member reads its TLP:RED incident');
    assert.ok(!theirs.raw.includes(national.id), 'TLP:RED is never sent to another member');
    assert.ok(events(mine).filter((e) => e.data.object.type === 'extension-definition').every((e) => e.event === 'intel'), 'other objects stay intel events');

    // A new version: updated, with its new status; a value outside the vocabulary is not passed on.
    const severity = { score: 90, level: 7, level_name: 'Apocalypse', significant: true, selections: {} };
    await ingest([shieldwallIncident('Wiper on substation controllers', 'green', { status: 'eradicated', severity }, { id: shared.id, modified: '2026-12-03T12:00:00.000Z' })]);
    await until('the reader sees the new version', () => (about(theirs, shared.id).length > 1 ? undefined : 'not yet'));
    assert.deepEqual(about(theirs, shared.id).map((e) => [e.data.change, e.data.incident]), [
      ['new', { status: 'contained', level: 3, level_name: 'High' }],
      ['updated', { status: 'eradicated', level: null, level_name: null }],
    ]);

    // Resumed after the first incident event it got: what followed, once, in order, still without the red one.
    const resumed = await openStream(base, other, event!.id);
    streams.push(resumed);
    await until('the resumed stream catches up', () => (about(resumed, shared.id).length > 0 ? undefined : 'not yet'));
    assert.deepEqual(
      events(resumed).map((e) => [e.event, e.data.object.id]),
      events(theirs).filter((e) => Number(e.id) > Number(event!.id)).map((e) => [e.event, e.data.object.id]),
    );
    assert.deepEqual(events(resumed).map((e) => e.data.object.id), [foreign.id, shared.id]);
    assert.ok(!resumed.raw.includes(national.id));
    for (const s of [mine, theirs, resumed]) s.close();
  });
});
