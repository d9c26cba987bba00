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
import { SUITE_LIMIT_MS, until } from '../../../test/support/wait.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { ingestObjects } from '../intel/intel.service.js';
import { MATCH_MAX_LISTED, matchStream, OUTPUT_AHEAD_CHARS } from './detect.match.js';

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
});
