import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContextFilter } from './detect.context.js';

describe('the context filter', () => {
  it('says "maybe" of everything until it is complete', () => {
    const filter = new ContextFilter();
    assert.equal(filter.mayHave('indicator--a', 'relationship'), true);
    assert.equal(filter.mayHave('indicator--a', 'sighting'), true);
  });

  it('keeps relationships and sightings apart: one kind of context says nothing of the other', () => {
    const filter = new ContextFilter();
    for (let i = 0; i < 10_000; i++) filter.add(`indicator--r${i}`, 'relationship');
    for (let i = 0; i < 1_000; i++) filter.add(`indicator--s${i}`, 'sighting');
    filter.markComplete();
    for (let i = 0; i < 10_000; i++) assert.equal(filter.mayHave(`indicator--r${i}`, 'relationship'), true);
    for (let i = 0; i < 1_000; i++) assert.equal(filter.mayHave(`indicator--s${i}`, 'sighting'), true);
    let wrongKind = 0;
    for (let i = 0; i < 10_000; i++) if (filter.mayHave(`indicator--r${i}`, 'sighting')) wrongKind++;
    assert.ok(wrongKind < 50, `${wrongKind} of 10,000 related indicators might have sightings`);
    assert.equal(filter.mayHave('indicator--s1'), true, 'of either kind');
    let none = 0;
    for (let i = 0; i < 10_000; i++) if (filter.mayHave(`indicator--n${i}`)) none++;
    assert.ok(none < 50, `${none} of 10,000 indicators nothing is said about might have context`);
  });
});
