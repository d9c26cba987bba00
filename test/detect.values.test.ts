/**
 * A value thousands of indicators name costs a lookup or a bulk match what the caps allow, not
 * what was written about it: on SQLite every request shares the node's one thread.
 * - a value asked many times in one lookup is walked once, and the walk stops at the newest
 *   HITS_PER_VALUE the reader may know of and as many more counted (the total is then "at least");
 * - one lookup's answers name at most LOOKUP_MAX_NAMED things, past which answers say to ask again;
 * - a log line's value is matched against the newest HITS_PER_VALUE at most, its matches saying so,
 *   and one match lists at most MATCH_MAX_LISTED lines;
 * - both hand the thread to other requests by the work done.
 * Work is counted as the indicators examined (the reader's readability decisions) and the turns of
 * the event loop, never by the clock.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HITS_PER_VALUE, LOOKUP_MAX_NAMED, WORK_PER_TURN } from '../src/modules/detect/detect.lookup.js';
import { MATCH_MAX_LISTED } from '../src/modules/detect/detect.match.js';
import { IndexReader } from '../src/modules/detect/detect.reader.js';
import { createToken, createUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator } from './support/factories.js';
import { createTestNode, TEST_MEMBER_IDENTITY, type TestNode } from './support/node.js';
import { countTurns, SUITE_LIMIT_MS } from './support/wait.js';

const T0 = '2024-03-01T10:00:00.000Z';
const DEU_ID = `identity--${randomUUID()}`;
const DEU_ONLY = `marking-definition--${randomUUID()}`;
const green = { object_marking_refs: [TLP2_MARKING_IDS.green] };

// A value named by many more indicators than an answer names (past twice the cap), the newest of
// them only Germany may read; and a value named by a few.
const CROWDED = '203.0.113.77';
const FEW = '198.51.100.31';
const naming = (address: string, by: string, marking: object) => indicator({ pattern: `[ipv4-addr:value = '${address}']`, created_by_ref: by, ...marking });
const crowd = Array.from({ length: 2 * HITS_PER_VALUE + 500 }, (_, i) => naming(CROWDED, i % 2 === 0 ? DEU_ID : TEST_MEMBER_IDENTITY, green));
const secret = Array.from({ length: 20 }, () => naming(CROWDED, DEU_ID, { object_marking_refs: [DEU_ONLY] }));
const few = Array.from({ length: 3 }, () => naming(FEW, DEU_ID, green));

interface Hit {
  id: string;
}
interface Answer {
  value: string;
  indicators: Hit[];
  indicators_truncated?: boolean;
  indicators_total?: number;
  error?: string;
}
interface MatchLine {
  match?: { line: number; indicator: string; value?: string; indicators_truncated?: boolean };
  suppressed?: unknown;
  summary?: { events: number; matches: number; values_truncated?: number; truncated?: boolean; truncated_at_line?: number };
}

/** Runs `work`, counting the indicators the readers examined meanwhile (each readability decision asked). */
async function examining<T>(work: () => Promise<T>): Promise<{ result: T; examined: number }> {
  const mayRead = IndexReader.prototype.mayRead;
  let examined = 0;
  IndexReader.prototype.mayRead = function (this: IndexReader, slot: number): boolean {
    examined++;
    return mayRead.call(this, slot);
  };
  try {
    return { result: await work(), examined };
  } finally {
    IndexReader.prototype.mayRead = mayRead;
  }
}

const ids = (objects: readonly StixObject[]) => new Set(objects.map((o) => o.id));

for (const dialect of DIALECTS) {
  describe(`values many indicators name (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let tst: string;
    let deu: string;

    const lookup = async (token: string, values: unknown[]): Promise<{ answers: Answer[]; bytes: number }> => {
      const response = await node.app.inject({ method: 'POST', url: '/api/v1/lookup', payload: { values, context: false }, headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.statusCode, 200, response.body.slice(0, 2000));
      return { answers: (response.json() as { answers: Answer[] }).answers, bytes: response.rawPayload.length };
    };
    const match = async (token: string, log: string): Promise<{ lines: MatchLine[]; bytes: number }> => {
      const response = await node.app.inject({ method: 'POST', url: '/api/v1/match?format=lines', payload: log, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' } });
      assert.equal(response.statusCode, 200, response.body.slice(0, 2000));
      return { lines: response.body.trim().split('\n').map((l) => JSON.parse(l) as MatchLine), bytes: response.rawPayload.length };
    };

    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: DEU_ID }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'deu-analyst', member: 'DEU', clearance: 4, roles: ['analyst'] });
      deu = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'deu', user: 'deu-analyst' })).token;
      tst = node.tokens.analyst;
      const objects = [handlingMarkingDefinition({ id: DEU_ONLY, created: T0, classification: 'UNCLASSIFIED', releasableTo: ['DEU'] }), ...few, ...crowd, ...secret];
      for (let i = 0; i < objects.length; i += 1000) {
        const batch = objects.slice(i, i + 1000);
        const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, batch);
        assert.equal(summary.accepted, batch.length, JSON.stringify(summary));
      }
      await node.detection.ready();
    });
    after(async () => node?.close());

    it(`names the newest ${HITS_PER_VALUE} a reader may know of, counting at most as many more (the total then "at least"), never one it may not read`, async () => {
      const { result, examined } = await examining(() => lookup(tst, [CROWDED, FEW]));
      const [crowded, fewer] = result.answers;
      assert.deepEqual(new Set(crowded!.indicators.map((h) => h.id)), ids(crowd.slice(-HITS_PER_VALUE)));
      assert.deepEqual([crowded!.indicators_truncated, crowded!.indicators_total], [true, 2 * HITS_PER_VALUE]);
      assert.deepEqual([fewer!.indicators.length, 'indicators_truncated' in fewer!, 'indicators_total' in fewer!], [few.length, false, false]);
      // The walk stopped: of the 2,523 that name the values, those named, as many more, and those it may not read.
      assert.ok(examined <= 2 * HITS_PER_VALUE + secret.length + few.length, `${examined} indicators examined`);

      // Germany may read the newest ones: they are named, and counted as any other.
      const forDeu = (await lookup(deu, [CROWDED])).answers[0]!;
      assert.deepEqual(new Set(forDeu.indicators.map((h) => h.id)), ids([...crowd.slice(-(HITS_PER_VALUE - secret.length)), ...secret]));
      assert.deepEqual([forDeu.indicators_truncated, forDeu.indicators_total], [true, 2 * HITS_PER_VALUE]);
    });

    it('looks a value asked a thousand times up once, the answer bounded, handing the thread on as it goes', async () => {
      const values = [FEW, ...Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? CROWDED : { value: CROWDED, kind: 'ipv4' }))];
      const turns = countTurns();
      const { result, examined } = await examining(() => lookup(tst, values));
      const turned = turns.stop();
      const { answers, bytes } = result;
      assert.equal(answers.length, values.length);
      assert.ok(examined <= 2 * (2 * HITS_PER_VALUE + secret.length) + few.length, `${examined} indicators examined for 1,000 copies of one value`);
      assert.ok(turned >= Math.floor((2 * HITS_PER_VALUE) / WORK_PER_TURN), `${turned} turns of the event loop`);
      // One answer per value asked, in order: each copy answered as the first, until the most one lookup names.
      assert.equal(answers[0]!.indicators.length, few.length);
      const answered = answers.slice(1).filter((a) => a.error === undefined);
      const full = Math.floor((LOOKUP_MAX_NAMED - few.length) / HITS_PER_VALUE);
      assert.equal(answered.length, full);
      for (const answer of answered) {
        assert.deepEqual([answer.value, answer.indicators.length, answer.indicators_truncated, answer.indicators_total], [CROWDED, HITS_PER_VALUE, true, 2 * HITS_PER_VALUE]);
      }
      assert.deepEqual(answers.slice(1, full + 1), answered, 'the first copies are answered, the later ones are not');
      for (const left of answers.slice(full + 1)) {
        assert.deepEqual([left.value, left.indicators.length], [CROWDED, 0]);
        assert.match(left.error ?? '', /left out: .* look this value up in another request/);
      }
      assert.ok(bytes < 8 * 1024 * 1024, `${bytes} bytes of answer`);
    });

    it(`matches a log line's value against the newest ${HITS_PER_VALUE} at most, saying so, and lists at most ${MATCH_MAX_LISTED} lines per match`, async () => {
      // 300 lines of 14 bytes: each names a value 2,500 indicators name.
      const log = `${Array.from({ length: 300 }, () => CROWDED).join('\n')}\n`;
      const turns = countTurns();
      const { result, examined } = await examining(() => match(tst, log));
      const turned = turns.stop();
      const { lines, bytes } = result;
      const matches = lines.filter((l) => l.match).map((l) => l.match!);
      const summary = lines.at(-1)!.summary!;
      const perLine = new Map<number, typeof matches>();
      for (const m of matches) perLine.set(m.line, [...(perLine.get(m.line) ?? []), m]);
      const listedLines = MATCH_MAX_LISTED / HITS_PER_VALUE;
      assert.deepEqual([...perLine.keys()], Array.from({ length: listedLines }, (_, i) => i + 1));
      for (const [, found] of perLine) {
        assert.equal(found.length, HITS_PER_VALUE);
        assert.ok(found.every((m) => m.indicators_truncated === true), 'each match of a value cut at the cap says so');
      }
      assert.deepEqual(new Set(perLine.get(1)!.map((m) => m.indicator)), ids(crowd.slice(-HITS_PER_VALUE)), 'the newest the reader may read');
      assert.deepEqual([summary.events, summary.matches, summary.truncated, summary.truncated_at_line], [300, MATCH_MAX_LISTED, true, listedLines + 1]);
      assert.ok((summary.values_truncated ?? 0) >= listedLines, JSON.stringify(summary));
      // The lines past the listing are read, not matched.
      assert.ok(examined <= (listedLines + 1) * (HITS_PER_VALUE + 1 + secret.length), `${examined} indicators examined`);
      assert.ok(bytes < 32 * 1024 * 1024, `${bytes} bytes of answer`);
      assert.ok(turned >= examined / (2 * WORK_PER_TURN), `${turned} turns of the event loop for ${examined} indicators examined`);
    });

    it('matches values few indicators name as before: every match, no mark, no truncation', async () => {
      const { lines } = await match(deu, `${FEW}\n${FEW}\n`);
      const matches = lines.filter((l) => l.match).map((l) => l.match!);
      assert.equal(matches.length, 2 * few.length);
      assert.ok(matches.every((m) => !('indicators_truncated' in m)));
      const summary = lines.at(-1)!.summary!;
      assert.deepEqual([summary.matches, 'truncated' in summary, 'values_truncated' in summary], [2 * few.length, false, false]);
    });
  });
}
