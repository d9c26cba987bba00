import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError, EXIT } from './failures.js';
import { parseSelections } from './incidents.js';

describe('parseSelections (--selections of incidents score)', () => {
  it('reads category=option pairs, spaces and empty parts ignored', () => {
    assert.deepEqual(parseSelections(' functional_impact = none ,, information_impact=privacy-breach'), { functional_impact: 'none', information_impact: 'privacy-breach' });
  });

  it('refuses a part without a category, naming it', () => {
    assert.throws(() => parseSelections('functional_impact=none,=x'), (error: unknown) => error instanceof CliError && error.status === EXIT.usage && error.message.startsWith("'=x' is not category=option"));
  });

  it('keeps a category called "__proto__" or "constructor" as given, for the node to judge', () => {
    const selections = parseSelections('__proto__=x,constructor=y');
    assert.deepEqual(Object.entries(selections), [['__proto__', 'x'], ['constructor', 'y']]);
    assert.equal(JSON.stringify(selections), '{"__proto__":"x","constructor":"y"}');
  });
});
