import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { milestoneName } from './assistance.js';
import { statusWithNext } from './decisions.js';

describe('names of what a node answers, read by own key', () => {
  it("shows a proposal's next states, and a status it does not know as the node said it", () => {
    assert.equal(statusWithNext('draft'), 'draft (next: silence, withdrawn)');
    assert.equal(statusWithNext('adopted'), 'adopted');
    for (const odd of ['constructor', 'toString', '__proto__']) assert.equal(statusWithNext(odd), odd);
  });

  it("names a response clock's milestone, and one it does not know by the node's word", () => {
    assert.equal(milestoneName('first_offer'), 'time to first offer');
    for (const odd of ['constructor', 'valueOf', '__proto__']) assert.equal(milestoneName(odd), odd);
  });
});
