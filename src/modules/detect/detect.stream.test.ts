/**
 * A bulk match answers as it reads (matchStream, POST /api/v1/match): the log is read only as fast
 * as the answer is taken. A client that sends a log and reads none of its answer made the node
 * hold every answer line in memory; now reading stops once OUTPUT_AHEAD_CHARS wait unsent, and
 * goes on, losing nothing, when the answer is taken again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { indicator } from '../../../test/support/factories.js';
import { longestTurn, SUITE_LIMIT_MS, timed, until } from '../../../test/support/wait.js';
import { LineRunReader } from '../logformats/logformats.read.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { ingestObjects } from '../intel/intel.service.js';
import { ERRORS_LISTED, MATCH_MAX_LISTED, matchLog, matchStream, OUTPUT_AHEAD_CHARS } from './detect.match.js';

const VALUE = '203.0.113.9';
/** One line in a hundred names the indicator's value (fewer matches in all than MATCH_MAX_LISTED). */
const PER_MATCH = 100;
const BLOCK = Buffer.from(Array.from({ length: PER_MATCH }, (_, i) => (i === 0 ? VALUE : `198.18.${i}.1`)).join('\n') + '\n');
/** The log: 48 MiB, in chunks of 64 KiB. */
const CHUNK = Buffer.concat(Array.from({ length: Math.floor((64 * 1024) / BLOCK.length) }, () => BLOCK));
const CHUNKS = Math.ceil((48 * 1024 * 1024) / CHUNK.length);

describe('a bulk match reads its log as its answer is taken', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  before(async () => {
    node = await createTestNode('sqlite');
    await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [indicator({ pattern: `[ipv4-addr:value = '${VALUE}']`, object_marking_refs: [TLP2_MARKING_IDS.clear] })]);
    await node.detection.ready();
  });
  after(async () => {
    await node.close();
  });

  it('stops reading while the answer waits unread, and then reports every match', async (t) => {
    let read = 0;
    async function* log(): AsyncGenerator<Buffer> {
      for (let i = 0; i < CHUNKS; i++) {
        read += CHUNK.length;
        yield CHUNK;
      }
    }
    const lines = matchStream(node.ctx, node.detection, SYSTEM_PRINCIPAL, log(), { format: 'lines' });
    const first = await lines.next();
    assert.equal(first.done, false);
    // Nothing more is taken: the read stops short of the log's end (or reaches it, the defect).
    let last = -1;
    let still = 0;
    await until('the log read to its end or stopped', () => {
      if (read >= CHUNKS * CHUNK.length) return undefined;
      still = read === last ? still + 1 : 0;
      last = read;
      // Unchanged over a second of checks.
      return still >= 20 ? undefined : `${read} bytes read`;
    });
    t.diagnostic(`${read} of ${CHUNKS * CHUNK.length} bytes of the log read while the answer waited`);
    assert.ok(read < (CHUNKS * CHUNK.length) / 2, `${read} of ${CHUNKS * CHUNK.length} bytes read with ${OUTPUT_AHEAD_CHARS} characters of answer allowed to wait`);

    // Taken again, the answer has every match of the log.
    let matches = (first.value as string).split('\n').filter((line) => line.startsWith('{"match"')).length;
    let summary: { events: number; matches: number } | undefined;
    for await (const text of lines) {
      for (const line of text.split('\n')) {
        if (line.startsWith('{"match"')) matches++;
        else if (line.startsWith('{"summary"')) summary = (JSON.parse(line) as { summary: { events: number; matches: number } }).summary;
      }
    }
    const lineCount = CHUNKS * (CHUNK.length / BLOCK.length) * PER_MATCH;
    assert.ok(summary, 'a summary last');
    assert.equal(summary.events, lineCount);
    assert.ok(lineCount / PER_MATCH < MATCH_MAX_LISTED);
    assert.equal(summary.matches, lineCount / PER_MATCH);
    assert.equal(matches, lineCount / PER_MATCH);
  });

  for (const mib of [1, 4]) {
    it(`gives other requests their turns while ${mib} MiB of bad records are read (each costs an exception)`, async (t) => {
      // 1 MiB is read by this thread as it comes; 4 MiB on reader threads, this one helping.
      const chunk = Buffer.alloc(64 * 1024, '#\n');
      const chunks = (mib * 1024 * 1024) / chunk.length;
      const turns = longestTurn();
      let summary: { errors: number; errors_listed?: number } | undefined;
      for await (const out of matchStream(node.ctx, node.detection, SYSTEM_PRINCIPAL, (async function* () { for (let i = 0; i < chunks; i++) yield chunk; })(), { format: 'ndjson' })) {
        const last = out.split('\n').find((line) => line.startsWith('{"summary"'));
        if (last) summary = (JSON.parse(last) as { summary: typeof summary }).summary;
      }
      const longest = turns.stop();
      assert.deepEqual([summary?.errors, summary?.errors_listed], [mib * 512 * 1024, ERRORS_LISTED]);
      // What reading one run of 1 MiB of them in one go takes here (as this thread read a run
      // before: 2.3 s over HTTP), measured in this run; the least of two.
      const run = Buffer.alloc(1024 * 1024, '#\n');
      const whole = Math.min(...[0, 1].map(() => timed(() => new LineRunReader('ndjson').read(run, 1, 0, { push: () => 0 }, () => undefined))));
      t.diagnostic(`longest turn ${longest.toFixed(0)} ms; one run read whole ${whole.toFixed(0)} ms`);
      // Before: 230 ms (1 MiB, a turn each chunk of 64 KiB) and 2,530 ms (4 MiB, a run at a time); now about 20 and 40.
      assert.ok(longest < whole / (mib === 1 ? 30 : 10), `the longest turn of the event loop took ${longest.toFixed(0)} ms while ${mib * 512 * 1024} bad lines were read; one run of 1 MiB of them read in one go takes ${whole.toFixed(0)} ms`);
    });
  }

  it('reads costly lines in small slices even right after cheap ones (its pace measured on the cheap ones)', async (t) => {
    // 8 KiB of cheap records, then 64 KiB of bad lines, again and again: measured on the cheap
    // slice, the pace made the next slice the rest of a run (3.2 s at a time), and then, at most
    // 64 KiB, still 32,768 bad lines (290-350 ms at a time).
    const unit = Buffer.from('{"a":1}\n'.repeat(1024) + '#\n'.repeat(32 * 1024));
    const log = Buffer.concat(Array.from({ length: Math.ceil((8 * 1024 * 1024) / unit.length) }, () => unit));
    const turns = longestTurn();
    const summary = await matchLog(node.ctx, node.detection, SYSTEM_PRINCIPAL, (async function* () { for (let i = 0; i < log.length; i += 64 * 1024) yield log.subarray(i, i + 64 * 1024); })(), { format: 'ndjson' }, {});
    const longest = turns.stop();
    assert.ok(summary.errors > 3_000_000, `${summary.errors} bad lines`);
    t.diagnostic(`longest turn ${longest.toFixed(0)} ms`);
    const run = Buffer.alloc(1024 * 1024, '#\n');
    const whole = Math.min(...[0, 1].map(() => timed(() => new LineRunReader('ndjson').read(run, 1, 0, { push: () => 0 }, () => undefined))));
    assert.ok(longest < whole / 16, `the longest turn of the event loop took ${longest.toFixed(0)} ms; one run of 1 MiB of bad lines read in one go takes ${whole.toFixed(0)} ms`);
  });

  it(`lists the first ${ERRORS_LISTED} bad records and counts the rest in the summary`, async () => {
    // 3,000 NDJSON lines that are no JSON, and one that matches: listed whole, a 4 MiB log of
    // such lines made 2,097,152 error lines.
    const text = `${'x\n'.repeat(3000)}{"dst":"${VALUE}"}\n`;
    let errors = 0;
    let matches = 0;
    let summary: { errors: number; errors_listed?: number; matches: number } | undefined;
    for await (const out of matchStream(node.ctx, node.detection, SYSTEM_PRINCIPAL, (async function* () { yield Buffer.from(text); })(), { format: 'ndjson' })) {
      for (const line of out.split('\n')) {
        if (line.startsWith('{"error"')) errors++;
        else if (line.startsWith('{"match"')) matches++;
        else if (line.startsWith('{"summary"')) summary = (JSON.parse(line) as { summary: typeof summary }).summary;
      }
    }
    assert.equal(errors, ERRORS_LISTED);
    assert.equal(matches, 1, 'the log is read on past its bad records');
    assert.deepEqual([summary?.errors, summary?.errors_listed, summary?.matches], [3000, ERRORS_LISTED, 1]);
  });

  it('lists the first bad records of the whole log, with no gap, whoever reads which part, and says when more were counted', async () => {
    // Three stretches of 1,500 bad lines between 2 MiB of good records: read on reader threads in
    // runs, each run keeping its first errors. Before, every run listed its own first 1,000 (gaps
    // in the listing), and errors_listed was missing when a run's count held the rest.
    const bad = '#\n'.repeat(1500);
    const good = '{"a":1}\n'.repeat((2 * 1024 * 1024) / 8);
    const text = Buffer.from(bad + good + bad + good + bad + good);
    const listed: number[] = [];
    const summary = await matchLog(node.ctx, node.detection, SYSTEM_PRINCIPAL, (async function* () { for (let i = 0; i < text.length; i += 64 * 1024) yield text.subarray(i, i + 64 * 1024); })(), { format: 'ndjson' }, {
      onError: (error) => listed.push(error.line),
    });
    assert.deepEqual(listed, Array.from({ length: ERRORS_LISTED }, (_, i) => i + 1), 'lines 1 to 1,000, in order');
    assert.deepEqual([summary.errors, summary.errors_listed], [4500, ERRORS_LISTED]);
    // Within the bound, every error is listed and nothing more is said.
    const few = await matchLog(node.ctx, node.detection, SYSTEM_PRINCIPAL, (async function* () { yield Buffer.from(`${bad}${good}`); })(), { format: 'ndjson' }, {});
    assert.deepEqual([few.errors, few.errors_listed], [1500, ERRORS_LISTED]);
    const none = await matchLog(node.ctx, node.detection, SYSTEM_PRINCIPAL, (async function* () { yield Buffer.from('#\n'.repeat(10)); })(), { format: 'ndjson' }, {});
    assert.deepEqual([none.errors, none.errors_listed], [10, undefined]);
  });
});
