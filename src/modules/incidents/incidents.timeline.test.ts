/**
 * An incident's timeline bounded by its text as well as by its count, and its STIX copy (STIX 2.1
 * section 4.6, with the incident's property extension, section 7.3) kept within the node's object
 * limit whatever the timeline holds, so that peers see every change of status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS, waitFor } from '../../../test/support/wait.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { ingestObjects } from '../intel/intel.service.js';
import type { StixObject } from '../../stix/types.js';
import { type Incident, TIMELINE_LIMITS, TIMELINE_MAX } from './incidents.model.js';
import { STIX_COPIES_KEPT } from './incidents.service.js';
import { INCIDENT_EXTENSION_ID, incidentOfStix } from './incidents.stix.js';

/** The object limit of this node: small, so that a few notes pass it. */
const MAX_OBJECT_BYTES = 64 * 1024;

describe('an incident\'s timeline and its STIX copy, bounded (sqlite)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  before(async () => {
    node = await createTestNode('sqlite', { maxObjectBytes: MAX_OBJECT_BYTES });
  });
  after(async () => node?.close());
  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const response = await node.app.inject({ method, url, headers: { authorization: `Bearer ${node.tokens['incident-handler']}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> & { error?: { message: string } } };
  };

  it('keeps the STIX copy within the object limit: the oldest notes are left out of it, never a status change', async () => {
    const reported = await call('POST', '/api/v1/incidents', { title: 'Long case', tlp: 'green' });
    assert.equal(reported.status, 201, JSON.stringify(reported.body));
    const id = (reported.body as unknown as Incident).id;
    // 40 notes of 2,000 characters: some 80 KB of text, past the 64 KiB limit.
    for (let i = 0; i < 40; i++) assert.equal((await call('POST', `/api/v1/incidents/${id}/timeline`, { text: `note ${i} `.padEnd(2000, 'n') })).status, 201);
    for (const status of ['triaged', 'contained']) assert.equal((await call('POST', `/api/v1/incidents/${id}/status`, { status, note: `to ${status}` })).status, 200);
    const record = (await call('GET', `/api/v1/incidents/${id}`)).body as unknown as Incident;
    assert.equal(record.timeline.length, 43, 'the record keeps every entry');
    const copy = (await call('GET', `/api/v1/objects/${id}`)).body as unknown as StixObject;
    assert.ok(Buffer.byteLength(JSON.stringify(copy)) <= MAX_OBJECT_BYTES, 'the copy is within the limit');
    const extension = (copy.extensions as Record<string, { status: string; timeline_omitted?: number }>)[INCIDENT_EXTENSION_ID]!;
    assert.equal(extension.status, 'contained', 'peers read the incident as it is');
    const read = incidentOfStix(copy).extension.timeline;
    assert.deepEqual(read.filter((entry) => entry.kind === 'status').map((entry) => entry.text), record.timeline.filter((entry) => entry.kind === 'status').map((entry) => entry.text), 'every status change');
    assert.ok(extension.timeline_omitted! > 0 && read.length + extension.timeline_omitted! === record.timeline.length, `${extension.timeline_omitted} omitted`);
    assert.equal(read.at(-3)!.text, record.timeline.at(-3)!.text, 'the newest notes kept');
  });

  it('refuses a note past the timeline\'s text, and still moves the incident on', async () => {
    const reported = await call('POST', '/api/v1/incidents', { title: 'Wordy case', tlp: 'green' });
    const id = (reported.body as unknown as Incident).id;
    // Notes of 10,000 three-byte characters up to the text limit (written to the row: so many requests would only slow the suite).
    const stored = await node.ctx.store.db.selectFrom('incidents').select(['document']).where('id', '=', id).executeTakeFirstOrThrow();
    const document = JSON.parse(stored.document) as { timeline: Array<Record<string, unknown>> };
    const note = '界'.repeat(10_000);
    const count = Math.floor(TIMELINE_LIMITS.noteBytes / Buffer.byteLength(note));
    document.timeline.push(...Array.from({ length: count }, (_, i) => ({ id: `n${i}`, at: '2026-11-30T10:00:00.000Z', author: 'test-incident-handler', kind: 'note', text: note })));
    await node.ctx.store.db.updateTable('incidents').set({ document: JSON.stringify(document) }).where('id', '=', id).execute();
    const refused = await call('POST', `/api/v1/incidents/${id}/timeline`, { text: note });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error!.message, /4 MiB of text besides its status changes/);
    assert.equal((await call('POST', `/api/v1/incidents/${id}/timeline`, { text: 'short' })).status, 201, 'a shorter note still fits');
    assert.equal((await call('POST', `/api/v1/incidents/${id}/status`, { status: 'closed' })).status, 200);
    const copy = (await call('GET', `/api/v1/objects/${id}`)).body as unknown as StixObject;
    assert.equal(incidentOfStix(copy).extension.status, 'closed');
  });

  it('counts a note as stored: control characters take six bytes each, so they fill the timeline six times sooner', async () => {
    const reported = await call('POST', '/api/v1/incidents', { title: 'Escaped case', tlp: 'green' });
    const id = (reported.body as unknown as Incident).id;
    const stored = await node.ctx.store.db.selectFrom('incidents').select(['document']).where('id', '=', id).executeTakeFirstOrThrow();
    const document = JSON.parse(stored.document) as { timeline: Array<Record<string, unknown>> };
    const note = '\u0001'.repeat(10_000);
    const count = Math.floor(TIMELINE_LIMITS.noteBytes / Buffer.byteLength(JSON.stringify(note)));
    document.timeline.push(...Array.from({ length: count }, (_, i) => ({ id: `c${i}`, at: '2026-11-30T10:00:00.000Z', author: 'test-incident-handler', kind: 'note', text: note })));
    await node.ctx.store.db.updateTable('incidents').set({ document: JSON.stringify(document) }).where('id', '=', id).execute();
    const refused = await call('POST', `/api/v1/incidents/${id}/timeline`, { text: note });
    assert.equal(refused.status, 409, `${count} notes of 10,000 control characters hold ${count * 60_000} bytes as stored`);
    assert.ok(JSON.stringify(document).length < TIMELINE_LIMITS.noteBytes + 100_000);
  });

  it('an incident reopened many times under earlier rules takes no note past the most a timeline holds; a peer keeps the newest entries', async () => {
    const reported = await call('POST', '/api/v1/incidents', { title: 'Reopened case', tlp: 'green' });
    const id = (reported.body as unknown as Incident).id;
    const stored = await node.ctx.store.db.selectFrom('incidents').select(['document']).where('id', '=', id).executeTakeFirstOrThrow();
    const document = JSON.parse(stored.document) as { timeline: Array<Record<string, unknown>> };
    // 700 status changes (more than the 256 allowed now) and notes up to TIMELINE_MAX besides the full timeline's entry.
    const statuses = Array.from({ length: 699 }, (_, i) => ({ id: `s${i}`, at: '2026-11-30T10:00:00.000Z', author: 'x', kind: 'status', text: 'Status closed → triaged' }));
    const notes = Array.from({ length: TIMELINE_MAX - 1 - 700 }, (_, i) => ({ id: `n${i}`, at: '2026-11-30T11:00:00.000Z', author: 'x', kind: 'note', text: `n${i}` }));
    document.timeline.push(...statuses, ...notes);
    await node.ctx.store.db.updateTable('incidents').set({ document: JSON.stringify(document) }).where('id', '=', id).execute();
    const refused = await call('POST', `/api/v1/incidents/${id}/timeline`, { text: 'one more' });
    assert.equal(refused.status, 409, `${document.timeline.length} entries, ${notes.length} of them notes`);
    // A peer's copy longer than the bound: the newest entries are read.
    const entries = Array.from({ length: TIMELINE_MAX + 5 }, (_, i) => ({ id: `e${i}`, at: '2026-11-30T12:00:00.000Z', kind: 'note', text: `entry ${i}` }));
    const received = incidentOfStix({ type: 'incident', id, extensions: { [INCIDENT_EXTENSION_ID]: { extension_type: 'property-extension', timeline: entries } } } as unknown as StixObject);
    assert.equal(received.extension.timeline.length, TIMELINE_MAX);
    assert.equal(received.extension.timeline.at(-1)!.text, `entry ${TIMELINE_MAX + 4}`);
  });

  it('keeps the newest 20 versions of the STIX copy: every change stores the whole incident again', async () => {
    const reported = await call('POST', '/api/v1/incidents', { title: 'Busy case', tlp: 'green' });
    const id = (reported.body as unknown as Incident).id;
    for (let i = 0; i < 30; i++) assert.equal((await call('POST', `/api/v1/incidents/${id}/timeline`, { text: `note ${i}` })).status, 201);
    const stored = await node.ctx.store.db.selectFrom('stix_objects').select(['seq', 'is_current']).where('id', '=', id).execute();
    assert.equal(stored.length, STIX_COPIES_KEPT, `${stored.length} copies stored for 31 versions`);
    assert.equal(stored.filter((row) => Number(row.is_current) === 1).length, 1);
    const versions = (await call('GET', `/api/v1/objects/${id}?versions=all`)).body as unknown as { versions: StixObject[] };
    assert.equal(versions.versions.length, STIX_COPIES_KEPT);
    assert.equal(incidentOfStix(versions.versions.at(-1)!).extension.timeline.at(-1)!.text, 'note 29', 'the newest copy holds the newest note');
  });

  it('removes a task, making room within the 500 an incident holds', async () => {
    const reported = await call('POST', '/api/v1/incidents', { title: 'Many tasks', tlp: 'green' });
    const id = (reported.body as unknown as Incident).id;
    const stored = await node.ctx.store.db.selectFrom('incidents').select(['document']).where('id', '=', id).executeTakeFirstOrThrow();
    const document = JSON.parse(stored.document) as { tasks: Array<Record<string, unknown>> };
    document.tasks = Array.from({ length: 500 }, (_, i) => ({ id: `t${i}`, title: `task ${i}`, assignee: null, status: 'open', due: null, created: '2026-11-30T10:00:00.000Z', modified: '2026-11-30T10:00:00.000Z' }));
    await node.ctx.store.db.updateTable('incidents').set({ document: JSON.stringify(document) }).where('id', '=', id).execute();
    const full = await call('POST', `/api/v1/incidents/${id}/tasks`, { title: 'one more' });
    assert.equal(full.status, 409);
    assert.match(full.body.error!.message, /remove one no longer needed/);
    const removed = await node.app.inject({ method: 'DELETE', url: `/api/v1/incidents/${id}/tasks/t7`, headers: { authorization: `Bearer ${node.tokens['incident-handler']}` } });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal((JSON.parse(removed.body) as Incident).tasks.length, 499);
    assert.equal((await call('POST', `/api/v1/incidents/${id}/tasks`, { title: 'one more' })).status, 201);
    const gone = await node.app.inject({ method: 'DELETE', url: `/api/v1/incidents/${id}/tasks/t7`, headers: { authorization: `Bearer ${node.tokens['incident-handler']}` } });
    assert.equal(gone.statusCode, 404);
  });

  it('leaves tasks out of the copy when the timeline alone does not make it fit', async () => {
    const reported = await call('POST', '/api/v1/incidents', { title: 'Many long tasks', tlp: 'green' });
    const id = (reported.body as unknown as Incident).id;
    const stored = await node.ctx.store.db.selectFrom('incidents').select(['document']).where('id', '=', id).executeTakeFirstOrThrow();
    const document = JSON.parse(stored.document) as { tasks: Array<Record<string, unknown>> };
    document.tasks = Array.from({ length: 300 }, (_, i) => ({ id: `t${i}`, title: `task ${i} `.padEnd(250, 't'), assignee: null, status: 'open', due: null, created: '2026-11-30T10:00:00.000Z', modified: '2026-11-30T10:00:00.000Z' }));
    await node.ctx.store.db.updateTable('incidents').set({ document: JSON.stringify(document) }).where('id', '=', id).execute();
    assert.equal((await call('POST', `/api/v1/incidents/${id}/status`, { status: 'triaged' })).status, 200);
    const copy = (await call('GET', `/api/v1/objects/${id}`)).body as unknown as StixObject;
    const extension = (copy.extensions as Record<string, { status: string; tasks: unknown[]; tasks_omitted?: number }>)[INCIDENT_EXTENSION_ID]!;
    assert.deepEqual([extension.status, extension.tasks.length, extension.tasks_omitted], ['triaged', 0, 300]);
  });

  it('keeps the newest 20 versions of a copy received from a peer too', async () => {
    const id = 'incident--5d1e2f3a-4b5c-4d6e-8f70-819203a4b5c6';
    const versions = Array.from({ length: 30 }, (_, i) => ({
      type: 'incident', spec_version: '2.1', id, created: '2026-11-29T10:00:00.000Z', modified: new Date(Date.parse('2026-11-29T10:00:00.000Z') + i * 1000).toISOString(),
      name: 'Received case', object_marking_refs: [TLP2_MARKING_IDS.green],
      extensions: { [INCIDENT_EXTENSION_ID]: { extension_type: 'property-extension', status: 'new', timeline: [{ id: `x${i}`, at: '2026-11-29T10:00:00.000Z', kind: 'note', text: `version ${i}` }] } },
    }));
    for (const version of versions) await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [version]);
    const copies = async () => (await node.ctx.store.db.selectFrom('stix_objects').select('seq').where('id', '=', id).execute()).length;
    await waitFor('the received copies pruned', async () => (await copies()) <= STIX_COPIES_KEPT);
    assert.equal(await copies(), STIX_COPIES_KEPT);
  });
});
