/**
 * The API's 'date-time' format (core/datetime.ts): an RFC 3339 time the routes can compute with.
 * A leap second passed the validator's own format and was read as Invalid Date: 500 on three
 * routes (token expiry, sightings since, an actor's assessment at).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../../test/support/node.js';
import { isApiDateTime } from './datetime.js';

describe('isApiDateTime', () => {
  it('takes RFC 3339 times (section 5.6) with a zone, a fraction, a space or T', () => {
    for (const text of ['2026-11-30T08:15:00Z', '2026-11-30t08:15:00.123456Z', '2024-02-29T23:59:59.999+14:00', '2026-11-30T08:15:00-05:30', '0050-03-01T00:00:00Z']) {
      assert.equal(isApiDateTime(text), true, text);
    }
  });

  it('refuses leap seconds, times past the years 0000-9999 once offset, days a month does not have, hours past 23, no zone, and long text', () => {
    for (const text of ['2024-06-30T23:59:60Z', '9999-12-31T23:59:59-23:59', '0000-01-01T00:00:00+00:01', '2024-02-30T10:00:00Z', '2023-02-29T10:00:00Z', '2026-11-30T24:00:00Z', '2026-11-30T08:15:00+24:00', '2026-11-30T08:15:00', '2026-11-30', `2026-11-30T08:15:00.${'1'.repeat(40)}Z`]) {
      assert.equal(isApiDateTime(text), false, text);
    }
  });
});

describe('date-time parameters of the API', () => {
  let node: TestNode;
  before(async () => {
    node = await createTestNode('sqlite');
  });
  after(async () => node?.close());

  it('answers 400, not 500, for a leap second, and refuses a token that has expired already', async () => {
    const ask = (method: 'GET' | 'POST', url: string, token: string, payload?: object) =>
      node.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    const leap = '2024-06-30T23:59:60Z';
    const answers = [
      await ask('POST', '/api/v1/tokens', node.tokens['member-admin'], { name: 'leap', user: 'test-analyst', expires_at: leap }),
      await ask('GET', `/api/v1/detect/sighted?since=${leap}`, node.tokens.analyst),
      await ask('GET', `/api/v1/assessment/actors/threat-actor--11111111-2222-4333-8444-555555555555?days=30&at=${leap}`, node.tokens.coordinator),
    ];
    for (const answer of answers) {
      assert.equal(answer.statusCode, 400, answer.body);
      assert.match(answer.body, /must match format \\"date-time\\"/);
    }
    const past = await ask('POST', '/api/v1/tokens', node.tokens['member-admin'], { name: 'past', user: 'test-analyst', expires_at: '2001-01-01T00:00:00Z' });
    assert.equal(past.statusCode, 400, past.body);
    assert.match(past.body, /has passed/);
    const unbounded = await ask('POST', '/api/v1/tokens', node.tokens['member-admin'], { name: 'long', user: 'x'.repeat(100_000) });
    assert.equal(unbounded.statusCode, 400);
    assert.ok(unbounded.body.length < 2000, 'the name is not echoed back whole');
    const later = await ask('POST', '/api/v1/tokens', node.tokens['member-admin'], { name: 'later', user: 'test-analyst', expires_at: '2099-01-01T00:00:00Z' });
    assert.equal(later.statusCode, 201, later.body);
  });
});
