import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  compareTimestamps,
  fractionDigits,
  hasMillisecondPrecision,
  isTimestamp,
  timestampFractionDigits,
  timestampProblem,
  timestampToEpochMicros,
  timestampToEpochMillis,
  toMillisecondPrecision,
} from './timestamp.js';

describe('timestamp format (2.16)', () => {
  it('accepts RFC 3339 UTC timestamps with and without fractions', () => {
    for (const ts of [
      '2016-01-20T12:31:12Z',
      '2016-01-20T12:31:12.1Z',
      '2016-01-20T12:31:12.123Z',
      '2016-01-20T12:31:12.123456789Z',
      '2000-02-29T00:00:00.000Z',
      '2016-12-31T23:59:60Z',
      '0001-01-01T00:00:00Z',
    ]) {
      assert.equal(timestampProblem(ts), undefined, ts);
      assert.ok(isTimestamp(ts), ts);
    }
  });

  it('rejects other forms with a reason', () => {
    for (const ts of [
      '2016-01-20T12:31:12',
      '2016-01-20T12:31:12+00:00',
      '2016-01-20t12:31:12Z',
      '2016-01-20 12:31:12Z',
      '2016-01-20T12:31:12.Z',
      '2016-1-20T12:31:12Z',
      '2016-01-20T12:31Z',
      '2016-01-20T12:31:12.123z',
      '',
    ]) {
      assert.match(timestampProblem(ts) ?? '', /must have the form/, ts);
      assert.equal(timestampFractionDigits(ts), -1, ts);
    }
  });

  it('rejects impossible dates and times', () => {
    assert.match(timestampProblem('2016-13-01T00:00:00Z') ?? '', /month 13/);
    assert.match(timestampProblem('2016-00-01T00:00:00Z') ?? '', /month 0/);
    assert.match(timestampProblem('2015-02-29T00:00:00Z') ?? '', /has 28 days/);
    assert.match(timestampProblem('1900-02-29T00:00:00Z') ?? '', /has 28 days/);
    assert.match(timestampProblem('2016-04-31T00:00:00Z') ?? '', /has 30 days/);
    assert.match(timestampProblem('2016-01-01T24:00:00Z') ?? '', /hour 24/);
    assert.match(timestampProblem('2016-01-01T00:60:00Z') ?? '', /minute 60/);
    assert.match(timestampProblem('2016-01-01T12:00:60Z') ?? '', /leap second/);
    assert.match(timestampProblem('2016-01-01T00:00:61Z') ?? '', /second 61/);
    assert.equal(isTimestamp(42), false);
  });

  it('measures precision', () => {
    assert.equal(fractionDigits('2016-01-20T12:31:12Z'), 0);
    assert.equal(fractionDigits('2016-01-20T12:31:12.12Z'), 2);
    assert.equal(timestampFractionDigits('2016-01-20T12:31:12.123456Z'), 6);
    assert.equal(hasMillisecondPrecision('2016-01-20T12:31:12.12Z'), false);
    assert.equal(hasMillisecondPrecision('2016-01-20T12:31:12.123Z'), true);
  });

  it('pads to millisecond precision without changing the instant', () => {
    assert.equal(toMillisecondPrecision('2016-01-20T12:31:12Z'), '2016-01-20T12:31:12.000Z');
    assert.equal(toMillisecondPrecision('2016-01-20T12:31:12.5Z'), '2016-01-20T12:31:12.500Z');
    assert.equal(toMillisecondPrecision('2016-01-20T12:31:12.123456Z'), '2016-01-20T12:31:12.123456Z');
  });

  it('compares instants across precisions', () => {
    assert.equal(compareTimestamps('2016-01-20T12:31:12Z', '2016-01-20T12:31:12.000Z'), 0);
    assert.ok(compareTimestamps('2016-01-20T12:31:12.0001Z', '2016-01-20T12:31:12Z') > 0);
    assert.ok(compareTimestamps('2016-01-20T12:31:11.999999Z', '2016-01-20T12:31:12Z') < 0);
    assert.ok(compareTimestamps('2017-01-01T00:00:00Z', '2016-12-31T23:59:59.999Z') > 0);
  });

  it('agrees with Date for millisecond timestamps (property)', () => {
    const instant = fc.date({ min: new Date('0100-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        const ta = a.toISOString();
        const tb = b.toISOString();
        assert.equal(timestampProblem(ta), undefined);
        assert.equal(timestampToEpochMillis(ta), a.getTime());
        assert.equal(Math.sign(compareTimestamps(ta, tb)), Math.sign(a.getTime() - b.getTime()));
      }),
    );
  });
});

describe('microseconds since the epoch of a timestamp (2.16; RFC 3339 section 5.6)', () => {
  it('agrees with Date.parse to the microsecond, whatever the number of fractional digits', () => {
    assert.equal(timestampToEpochMicros('2024-05-01T10:20:30Z'), Date.parse('2024-05-01T10:20:30Z') * 1000);
    assert.equal(timestampToEpochMicros('2024-05-01T10:20:30.1Z'), Date.parse('2024-05-01T10:20:30Z') * 1000 + 100_000);
    assert.equal(timestampToEpochMicros('2024-05-01T10:20:30.123456789Z'), Date.parse('2024-05-01T10:20:30Z') * 1000 + 123_456);
    fc.assert(
      fc.property(fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), fc.integer({ min: 0, max: 999 }), (date, extra) => {
        const text = `${date.toISOString().slice(0, 23)}${String(extra).padStart(3, '0')}Z`;
        assert.equal(timestampToEpochMicros(text), date.getTime() * 1000 + extra);
      }),
    );
  });

  it('reads a leap second as the last microsecond of its minute, where Date.parse reads none', () => {
    assert.ok(Number.isNaN(Date.parse('2016-12-31T23:59:60Z')));
    const leap = timestampToEpochMicros('2016-12-31T23:59:60.5Z');
    assert.equal(leap, Date.parse('2016-12-31T23:59:59Z') * 1000 + 999_999);
    assert.ok(leap > timestampToEpochMicros('2016-12-31T23:59:59.999999Z') - 1 && leap < timestampToEpochMicros('2017-01-01T00:00:00Z'));
  });
});
