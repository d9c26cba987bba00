/**
 * Mutual assistance on the live feed (GET /api/v1/events): a change announced on the node's bus
 * (assistance.changed) is an `assistance` event, without an id, for each open stream whose reader
 * holds assistance:read and may read the changed record by the one rule (TLP, releasability,
 * clearance); a stream that cannot keep up loses the oldest and is told so once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { access, assistanceChange, HELPER, REQUESTER, startAssistanceNode, THIRD } from '../../../test/support/assistance-events.js';
import type { TestStore } from '../../../test/support/dialects.js';
import { openStream, type Stream } from '../../../test/support/sse.js';
import { until } from '../../../test/support/wait.js';
import type { Node } from '../../app.js';
import type { AssistanceChange } from '../assistance/assistance.model.js';
import { ASSISTANCE_QUEUE_MAX, type AssistanceFeedEvent } from './feed.service.js';

/** The assistance events of a stream so far, with whether each came with an id line. */
const assistance = (stream: Stream): Array<{ id: string | undefined; data: AssistanceFeedEvent }> =>
  stream.events.filter((e) => e.event === 'assistance').map((e) => ({ id: e.id, data: JSON.parse(e.data!) as AssistanceFeedEvent }));
const titles = (stream: Stream): string[] => assistance(stream).map((e) => e.data.title);

describe('mutual assistance on the live feed', () => {
  let testStore: TestStore;
  let node: Node;
  let base: string;
  const tokens: Record<string, string> = {};
  const streams: Stream[] = [];

  before(async () => {
    ({ testStore, node, base } = await startAssistanceNode('sqlite', [
      ['oth-analyst', HELPER, 3, ['analyst']],
      ['oth-duty', HELPER, 3, ['analyst']],
      ['oth-restricted', HELPER, 1, ['analyst']],
      ['oth-coordinator', HELPER, 3, ['coordinator']],
      ['thr-analyst', THIRD, 3, ['analyst']],
    ], tokens));
  });
  after(async () => {
    for (const s of streams) s.close();
    await node?.app.close();
    await testStore?.cleanup();
  });

  const open = async (...users: string[]): Promise<Stream[]> => {
    const opened = await Promise.all(users.map((user) => openStream(base, tokens[user]!)));
    streams.push(...opened);
    await until('the streams open', () => (opened.every((s) => s.status === 200 && s.raw.length > 0) ? undefined : `statuses ${opened.map((s) => s.status).join(', ')}`));
    return opened;
  };

  const publish = (change: AssistanceChange): void => node.ctx.bus.publish('assistance.changed', change);

  it('sends a change live, without an id, to the readers released to, and nothing to another member', async () => {
    const [helper, third] = await open('oth-analyst', 'thr-analyst');
    const national = assistanceChange({ title: 'Released to the helper only', change: 'overdue', status: 'approved', urgency: 'critical', milestone: 'approval' });
    const shared = assistanceChange({ title: 'Released to both', access: access({ releasability: [HELPER, THIRD] }) });
    publish(national);
    publish(shared);
    await until('both readers have the later change', () => (titles(helper!).includes(shared.title) && titles(third!).includes(shared.title) ? undefined : `${titles(helper!)} / ${titles(third!)}`));

    assert.deepEqual(titles(helper!), [national.title, shared.title], 'in the order they came');
    assert.deepEqual(titles(third!), [shared.title], 'the member not released to never got the first, sent before the second');
    assert.ok(!third!.raw.includes(national.id), 'not a word of it on the wire');
    const [first] = assistance(helper!);
    assert.equal(first!.id, undefined, 'no id line: it does not move the point a stream resumes from');
    assert.deepEqual(first!.data, {
      record: 'request',
      id: national.id,
      request_id: national.request_id,
      incident_id: national.incident_id,
      change: 'overdue',
      title: national.title,
      status: 'approved',
      urgency: 'critical',
      milestone: 'approval',
      requesting_member: REQUESTER,
      modified: national.modified,
      handling: { tlp: 'amber', classification: 'UNCLASSIFIED', releasability: [HELPER] },
    });
    assert.ok(!('access' in first!.data), 'who may know of it is not sent');
    for (const s of [helper, third]) s!.close();
  });

  it('holds to TLP and clearance: RED only to the users it names, a classified record only to the cleared', async () => {
    const [named, duty, restricted] = await open('oth-analyst', 'oth-duty', 'oth-restricted');
    const red = assistanceChange({ title: 'Red request', access: access({ tlp: 'red', releasability: [HELPER, '@oth-analyst'] }) });
    const secret = assistanceChange({ title: 'Secret request', access: access({ classification: 3 }) });
    const amber = assistanceChange({ title: 'Amber request' });
    for (const change of [red, secret, amber]) publish(change);
    await until('every reader has the last change', () => ([named, duty, restricted].every((s) => titles(s!).includes(amber.title)) ? undefined : 'not yet'));

    assert.deepEqual(titles(named!), [red.title, secret.title, amber.title]);
    assert.deepEqual(titles(duty!), [secret.title, amber.title], 'TLP:RED reaches only the users it names');
    assert.deepEqual(titles(restricted!), [amber.title], 'SECRET is above a RESTRICTED clearance');
    assert.equal(assistance(named!)[0]!.data.handling.tlp, 'red');
    for (const s of [named, duty, restricted]) s!.close();
  });

  it('sends a change for those who see a request whole only to the coordinators among the members named', async () => {
    // HELPER stands for a coordinating member: an offer clock overdue is addressed to the
    // requesting member and to it, and heard there by those who approve (whole_only).
    const [analyst, coordinator] = await open('oth-analyst', 'oth-coordinator');
    const alarm = assistanceChange({ title: 'Nobody offered yet', change: 'overdue', status: 'approved', milestone: 'first_offer', access: access({ recipients: [REQUESTER, HELPER] }), whole_only: true });
    const after = assistanceChange({ title: 'Heard by both' });
    publish(alarm);
    publish(after);
    await until('both readers have the later change', () => ([analyst, coordinator].every((s) => titles(s!).includes(after.title)) ? undefined : 'not yet'));
    assert.deepEqual(titles(coordinator!), [alarm.title, after.title]);
    assert.deepEqual(titles(analyst!), [after.title], 'a colleague of the coordinators who does not approve sees the request as the members it reached');
    assert.ok(!analyst!.raw.includes(alarm.id));
    for (const s of [analyst, coordinator]) s!.close();
  });

  it('keeps at most the newest changes for a stream that cannot keep up, and says once that some were dropped', async (t) => {
    // A stream that waits for its reader again and again leaves no listener behind per wait.
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning);
    process.on('warning', onWarning);
    t.after(() => void process.off('warning', onWarning));
    const [third] = await open('thr-analyst');
    const extra = 5;
    const flood = Array.from({ length: ASSISTANCE_QUEUE_MAX + extra }, (_, i) => assistanceChange({ title: `Flood ${i}`, access: access({ releasability: [THIRD] }) }));
    // Published in one turn of the event loop: the stream sends nothing before the last is queued.
    for (const change of flood) publish(change);
    const last = flood.at(-1)!.title;
    await until('the reader has the last change', () => (titles(third!).includes(last) ? undefined : `${titles(third!).length} received`));

    const kinds = third!.events.filter((e) => e.event === 'assistance' || e.event === 'assistance-gap').map((e) => e.event);
    assert.deepEqual(kinds, ['assistance-gap', ...Array<string>(ASSISTANCE_QUEUE_MAX).fill('assistance')], 'one note, first, then what was kept');
    assert.deepEqual(titles(third!), flood.slice(extra).map((c) => c.title), 'the oldest were dropped, the rest kept in order');
    const gap = third!.events.find((e) => e.event === 'assistance-gap')!;
    assert.equal(gap.id, undefined);
    assert.match(JSON.parse(gap.data!).reason as string, /read the assistance board/);
    third!.close();
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), [], 'no listener piles up on the stream');
  });
});
