import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createProgress } from './progress.js';

/** What the bar drew on standard error, as if it were a terminal. */
describe('progress bars', () => {
  let drawn = '';
  const write = process.stderr.write.bind(process.stderr);
  const wasTty = process.stderr.isTTY;
  beforeEach(() => {
    drawn = '';
    process.stderr.isTTY = true;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      drawn += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    }) as typeof process.stderr.write;
  });
  afterEach(() => {
    process.stderr.write = write;
    process.stderr.isTTY = wasTty;
  });

  /** The last state the bar was drawn in (each redraw starts at the line's beginning). */
  const ESC = String.fromCharCode(27);
  const lastDrawn = () => drawn.split(new RegExp(`\r|${ESC}\\[\\d*G`)).filter((s) => /objects/.test(s)).pop() ?? '';

  it('finish at 100% when the work is done, however far the last report was', () => {
    const progress = createProgress('ingest', 1000);
    progress.update(5000, 400);
    progress.finish(12_345);
    assert.match(lastDrawn(), /100% \| 12345 objects/);
    // Stopping after finishing draws nothing more.
    const before = drawn;
    progress.stop();
    assert.equal(drawn, before);
  });

  it('stop where they are when the work failed', () => {
    const progress = createProgress('ingest', 1000);
    progress.update(5000, 400);
    progress.stop();
    assert.match(lastDrawn(), /40% \| 5000 objects/);
  });

  it('count objects when the work is sized in objects', () => {
    const progress = createProgress('generate', undefined, { totalObjects: 200 });
    progress.update(50, 0);
    progress.finish(200);
    assert.match(lastDrawn(), /100% \| 200 objects/);
  });
});
