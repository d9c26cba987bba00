/**
 * Coverage windows read on the team's own wall clock: time zones on both sides of the Atlantic,
 * the European summer-time switches of 2026 (29 March, 25 October), windows past midnight and
 * past Sunday, whole days and 24/7; the next time a team is on call; and properties over any
 * zone and instant against a model written independently.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { WEEKDAYS, type CoverageWindow, type Weekday } from './assistance.model.js';
import { isOnCall, nextOnCall, validateCoverage, validTimeZone } from './roster.coverage.js';

const WEEKDAYS_MON_FRI: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const at = (iso: string) => new Date(iso);
const team = (time_zone: string, coverage: CoverageWindow[], always = false) => ({ time_zone, coverage, always });

describe('isOnCall', () => {
  const berlinOffice = team('Europe/Berlin', [{ days: WEEKDAYS_MON_FRI, from: '08:00', to: '18:00' }]);
  const newYorkOffice = team('America/New_York', [{ days: WEEKDAYS_MON_FRI, from: '09:00', to: '17:00' }]);

  it('reads the window on the team\'s wall clock: Berlin and New York at the same instants', () => {
    // Friday 2026-03-27: Berlin on CET (+1), New York already on EDT (-4).
    assert.equal(isOnCall(berlinOffice, at('2026-03-27T06:59:00Z')), false, '07:59 in Berlin');
    assert.equal(isOnCall(berlinOffice, at('2026-03-27T07:00:00Z')), true, '08:00 in Berlin');
    assert.equal(isOnCall(berlinOffice, at('2026-03-27T16:59:59Z')), true, '17:59:59 in Berlin');
    assert.equal(isOnCall(berlinOffice, at('2026-03-27T17:00:00Z')), false, '18:00 in Berlin: the end is excluded');
    assert.equal(isOnCall(newYorkOffice, at('2026-03-27T12:59:00Z')), false, '08:59 in New York');
    assert.equal(isOnCall(newYorkOffice, at('2026-03-27T13:00:00Z')), true, '09:00 in New York');
    assert.equal(isOnCall(newYorkOffice, at('2026-03-27T20:59:00Z')), true, '16:59 in New York');
    assert.equal(isOnCall(newYorkOffice, at('2026-03-27T21:00:00Z')), false, '17:00 in New York');
    // The same instant, one team on call and the other not.
    assert.equal(isOnCall(berlinOffice, at('2026-03-27T16:30:00Z')), true);
    assert.equal(isOnCall(newYorkOffice, at('2026-03-27T12:30:00Z')), false);
  });

  it('follows each zone\'s own summer time: in the weeks the two continents differ, and after both switched', () => {
    // Monday 2026-03-16: New York on EDT (-4) since 8 March, Berlin still on CET (+1).
    assert.equal(isOnCall(newYorkOffice, at('2026-03-16T13:00:00Z')), true, '09:00 EDT (a fixed -5 would read 08:00)');
    assert.equal(isOnCall(newYorkOffice, at('2026-03-16T12:59:00Z')), false);
    assert.equal(isOnCall(berlinOffice, at('2026-03-16T07:00:00Z')), true, '08:00 CET');
    assert.equal(isOnCall(berlinOffice, at('2026-03-16T06:59:00Z')), false);
    // Monday 2026-03-30: Berlin on CEST (+2) since 29 March.
    assert.equal(isOnCall(berlinOffice, at('2026-03-30T06:00:00Z')), true, '08:00 CEST');
    assert.equal(isOnCall(berlinOffice, at('2026-03-30T05:59:00Z')), false, '07:59 CEST');
    assert.equal(isOnCall(berlinOffice, at('2026-03-30T16:00:00Z')), false, '18:00 CEST');
    // Monday 2026-10-26: Berlin back on CET since 25 October, New York still on EDT until 1 November.
    assert.equal(isOnCall(berlinOffice, at('2026-10-26T07:00:00Z')), true, '08:00 CET');
    assert.equal(isOnCall(berlinOffice, at('2026-10-26T06:59:00Z')), false);
    assert.equal(isOnCall(newYorkOffice, at('2026-10-26T13:00:00Z')), true, '09:00 EDT');
    // Monday 2026-11-02: New York on EST (-5).
    assert.equal(isOnCall(newYorkOffice, at('2026-11-02T13:00:00Z')), false, '08:00 EST');
    assert.equal(isOnCall(newYorkOffice, at('2026-11-02T14:00:00Z')), true, '09:00 EST');
  });

  it('never covers the hour skipped on 29 March 2026 in Berlin, and covers the hour repeated on 25 October twice', () => {
    const skipped = team('Europe/Berlin', [{ days: ['sun'], from: '02:00', to: '03:00' }]);
    // 01:59 CET is 00:59Z; the next minute is 03:00 CEST (01:00Z).
    assert.equal(isOnCall(skipped, at('2026-03-29T00:59:00Z')), false);
    assert.equal(isOnCall(skipped, at('2026-03-29T01:00:00Z')), false);
    const spanningGap = team('Europe/Berlin', [{ days: ['sun'], from: '02:30', to: '04:00' }]);
    assert.equal(isOnCall(spanningGap, at('2026-03-29T00:59:00Z')), false, '01:59 CET');
    assert.equal(isOnCall(spanningGap, at('2026-03-29T01:00:00Z')), true, '03:00 CEST, past the window start');
    assert.equal(isOnCall(spanningGap, at('2026-03-29T02:00:00Z')), false, '04:00 CEST');

    const repeated = team('Europe/Berlin', [{ days: ['sun'], from: '02:00', to: '03:00' }]);
    assert.equal(isOnCall(repeated, at('2026-10-24T23:59:00Z')), false, '01:59 CEST');
    assert.equal(isOnCall(repeated, at('2026-10-25T00:00:00Z')), true, '02:00 CEST');
    assert.equal(isOnCall(repeated, at('2026-10-25T00:59:00Z')), true, '02:59 CEST');
    assert.equal(isOnCall(repeated, at('2026-10-25T01:00:00Z')), true, '02:00 CET: the hour again');
    assert.equal(isOnCall(repeated, at('2026-10-25T01:59:00Z')), true, '02:59 CET');
    assert.equal(isOnCall(repeated, at('2026-10-25T02:00:00Z')), false, '03:00 CET');
  });

  it('runs a window whose end is before its start into the next day, from the days it starts on only', () => {
    const nights = team('Europe/Berlin', [{ days: ['fri'], from: '22:00', to: '06:00' }]);
    // Friday 2026-06-05 and Saturday 2026-06-06, CEST (+2).
    assert.equal(isOnCall(nights, at('2026-06-05T19:59:00Z')), false, 'Friday 21:59');
    assert.equal(isOnCall(nights, at('2026-06-05T20:00:00Z')), true, 'Friday 22:00');
    assert.equal(isOnCall(nights, at('2026-06-05T22:30:00Z')), true, 'Saturday 00:30');
    assert.equal(isOnCall(nights, at('2026-06-06T03:59:00Z')), true, 'Saturday 05:59');
    assert.equal(isOnCall(nights, at('2026-06-06T04:00:00Z')), false, 'Saturday 06:00');
    assert.equal(isOnCall(nights, at('2026-06-04T22:30:00Z')), false, 'Friday 00:30: the window starts on Fridays, not Thursdays');
    assert.equal(isOnCall(nights, at('2026-06-06T20:30:00Z')), false, 'Saturday 22:30');

    const sundayNight = team('America/New_York', [{ days: ['sun'], from: '20:00', to: '04:00' }]);
    // Sunday 2026-06-07 20:00 EDT is Monday 00:00Z; Monday 03:59 EDT is 07:59Z.
    assert.equal(isOnCall(sundayNight, at('2026-06-08T00:00:00Z')), true, 'Sunday 20:00');
    assert.equal(isOnCall(sundayNight, at('2026-06-08T07:59:00Z')), true, 'Monday 03:59, past the end of the week');
    assert.equal(isOnCall(sundayNight, at('2026-06-08T08:00:00Z')), false, 'Monday 04:00');
  });

  it('covers the whole day with 00:00-24:00, and every instant when always', () => {
    const mondays = team('Asia/Kolkata', [{ days: ['mon'], from: '00:00', to: '24:00' }]);
    // Monday 2026-06-08 in Kolkata (+05:30) runs from 2026-06-07T18:30Z to 2026-06-08T18:30Z.
    assert.equal(isOnCall(mondays, at('2026-06-07T18:29:00Z')), false, 'Sunday 23:59');
    assert.equal(isOnCall(mondays, at('2026-06-07T18:30:00Z')), true, 'Monday 00:00');
    assert.equal(isOnCall(mondays, at('2026-06-08T18:29:59Z')), true, 'Monday 23:59:59');
    assert.equal(isOnCall(mondays, at('2026-06-08T18:30:00Z')), false, 'Tuesday 00:00');
    const always = team('Pacific/Chatham', [], true);
    for (const iso of ['2026-03-29T01:30:00Z', '2026-10-25T01:30:00Z', '2027-01-01T00:00:00Z']) assert.equal(isOnCall(always, at(iso)), true, iso);
    assert.equal(isOnCall(team('Europe/Berlin', []), at('2026-06-08T12:00:00Z')), false, 'no window, not always: never');
  });
});

describe('nextOnCall', () => {
  it('is the instant itself when on call, and null when never', () => {
    const office = team('Europe/Berlin', [{ days: WEEKDAYS_MON_FRI, from: '08:00', to: '18:00' }]);
    const now = at('2026-06-08T10:17:23Z');
    assert.equal(nextOnCall(office, now), now);
    assert.equal(nextOnCall(team('Europe/Berlin', []), now), null);
  });

  it('finds Monday 08:00 after a weekend that put Berlin on summer time', () => {
    const office = team('Europe/Berlin', [{ days: WEEKDAYS_MON_FRI, from: '08:00', to: '18:00' }]);
    // Friday 2026-03-27 19:00 CET; Monday 08:00 CEST is 06:00Z (a fixed +1 would say 07:00Z).
    assert.deepEqual(nextOnCall(office, at('2026-03-27T18:00:00Z')), at('2026-03-30T06:00:00Z'));
    // And after the October weekend: Monday 2026-10-26 08:00 CET is 07:00Z.
    assert.deepEqual(nextOnCall(office, at('2026-10-23T17:00:00Z')), at('2026-10-26T07:00:00Z'));
  });

  it('starts a window that begins in the skipped hour when the clocks jump past its start', () => {
    const spanningGap = team('Europe/Berlin', [{ days: ['sun'], from: '02:30', to: '04:00' }]);
    assert.deepEqual(nextOnCall(spanningGap, at('2026-03-28T23:00:00Z')), at('2026-03-29T01:00:00Z'));
    const inGap = team('Europe/Berlin', [{ days: ['sun'], from: '02:00', to: '03:00' }]);
    // That Sunday never reaches it: the next is a week later, 02:00 CEST on 5 April (00:00Z).
    assert.deepEqual(nextOnCall(inGap, at('2026-03-28T23:00:00Z')), at('2026-04-05T00:00:00Z'));
  });

  it('rounds to the minute and answers within the horizon only', () => {
    const weekly = team('America/New_York', [{ days: ['wed'], from: '12:00', to: '12:30' }]);
    // Wednesday 2026-06-10 12:00 EDT is 16:00Z.
    assert.deepEqual(nextOnCall(weekly, at('2026-06-10T15:59:59.500Z')), at('2026-06-10T16:00:00Z'));
    assert.deepEqual(nextOnCall(weekly, at('2026-06-10T16:30:00Z')), at('2026-06-17T16:00:00Z'));
  });
});

describe('validateCoverage and validTimeZone', () => {
  it('names each problem with its place', () => {
    assert.deepEqual(validateCoverage([{ days: WEEKDAYS_MON_FRI, from: '08:00', to: '18:00' }, { days: ['sat'], from: '22:00', to: '06:00' }, { days: ['sun'], from: '00:00', to: '24:00' }]), []);
    const problems = validateCoverage([
      { days: [], from: '08:00', to: '18:00' },
      { days: ['mon', 'mon'], from: '24:00', to: '18:00' },
      { days: ['funday' as Weekday], from: '8:00', to: '25:00' },
      { days: ['tue'], from: '09:00', to: '09:00' },
    ]);
    assert.ok(problems.some((p) => p.startsWith('coverage[0].days:')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('coverage[1].days: a day is named twice')));
    assert.ok(problems.some((p) => p.startsWith("coverage[1].from: '24:00'")));
    assert.ok(problems.some((p) => p.startsWith("coverage[2].days: 'funday'")));
    assert.ok(problems.some((p) => p.startsWith("coverage[2].from: '8:00'")));
    assert.ok(problems.some((p) => p.startsWith("coverage[2].to: '25:00'")));
    assert.ok(problems.some((p) => p.startsWith('coverage[3]: from and to are both 09:00')));
    const many = Array.from({ length: 29 }, () => ({ days: ['mon' as Weekday], from: '08:00', to: '09:00' }));
    assert.ok(validateCoverage(many).some((p) => p.startsWith('coverage: 29 windows, at most 28')));
  });

  it('accepts IANA zone names only', () => {
    for (const zone of ['Europe/Berlin', 'America/New_York', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata', 'UTC', 'Etc/GMT+5']) assert.equal(validTimeZone(zone), true, zone);
    for (const zone of ['Mars/Olympus_Mons', '+01:00', '', 'Europe/Berlin; x', 'europe/berlin/../x', 'A'.repeat(200)]) assert.equal(validTimeZone(zone), false, zone);
  });
});

// --- properties --------------------------------------------------------------------------------

/** Zones, each with instants it changes its clocks at (2026): where mistakes hide. */
const ZONES: Readonly<Record<string, readonly string[]>> = {
  'Europe/Berlin': ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z'],
  'Europe/London': ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z'],
  'America/New_York': ['2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z'],
  // Half an hour, not one.
  'Australia/Lord_Howe': ['2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z'],
  'Pacific/Chatham': ['2026-04-04T14:00:00Z', '2026-09-26T14:00:00Z'],
  'Asia/Kolkata': [],
  'America/Sao_Paulo': [],
  UTC: [],
};
const anyInstantArb = fc.date({ min: at('2020-01-01T00:00:00Z'), max: at('2035-12-31T00:00:00Z'), noInvalidDate: true });
/** A zone and an instant: any, or in the week before (or the day after) one of its clock changes. */
const zonedInstantArb: fc.Arbitrary<[string, Date]> = fc.constantFrom(...Object.keys(ZONES)).chain((zone) => {
  const switches = ZONES[zone]!.map((iso) => Date.parse(iso));
  const near = switches.length === 0 ? anyInstantArb : fc.tuple(fc.constantFrom(...switches), fc.integer({ min: -86_400, max: 7 * 86_400 })).map(([instant, seconds]) => new Date(instant - seconds * 1000));
  return fc.tuple(fc.constant(zone), fc.oneof(anyInstantArb, near));
});
const clockArb = (max: number) => fc.integer({ min: 0, max }).map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
const windowArb: fc.Arbitrary<CoverageWindow> = fc
  .record({ days: fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { minLength: 1, maxLength: 7 }), from: clockArb(1439), to: fc.oneof(clockArb(1439), fc.constant('24:00')) })
  .filter((w) => w.from !== w.to);

/** The local weekday and time another way than the code under test: a formatted string, read back. */
function localOf(zone: string, instant: Date): { day: Weekday; time: string } {
  const text = instant.toLocaleString('en-GB', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const match = /^(\w{3})\w*,? (\d\d):(\d\d)$/.exec(text);
  assert.ok(match, text);
  return { day: match[1]!.toLowerCase() as Weekday, time: `${match[2]}:${match[3]}` };
}

/** The rule as the docs state it, day by day. */
function modelOnCall(windows: readonly CoverageWindow[], local: { day: Weekday; time: string }): boolean {
  const today = WEEKDAYS.indexOf(local.day);
  const yesterday = WEEKDAYS[(today + 6) % 7]!;
  return windows.some((w) => {
    const end = w.to === '24:00' ? '24:00' : w.to;
    if (end > w.from) return w.days.includes(local.day) && local.time >= w.from && local.time < end;
    // Past midnight: the evening of a day it starts on, or the morning after one.
    return (w.days.includes(local.day) && local.time >= w.from) || (w.days.includes(yesterday) && local.time < w.to);
  });
}

describe('coverage properties', () => {
  it('a team whose windows cover every day 00:00-24:00 is always on call, in any zone', () => {
    fc.assert(
      fc.property(zonedInstantArb, fc.array(windowArb, { maxLength: 4 }), ([zone, instant], others) => {
        const windows = [...others, { days: [...WEEKDAYS], from: '00:00', to: '24:00' }];
        assert.equal(isOnCall(team(zone, windows), instant), true);
        assert.equal(nextOnCall(team(zone, windows), instant), instant);
      }),
      { numRuns: 300 },
    );
  });

  it('a team is on call at an instant exactly when the local wall time falls in one of its windows', () => {
    fc.assert(
      fc.property(zonedInstantArb, fc.array(windowArb, { minLength: 1, maxLength: 6 }), ([zone, instant], windows) => {
        assert.deepEqual(validateCoverage(windows), []);
        assert.equal(isOnCall(team(zone, windows), instant), modelOnCall(windows, localOf(zone, instant)));
      }),
      { numRuns: 2000 },
    );
  });

  it('nextOnCall is on call, and no minute before it is (checked minute by minute)', () => {
    fc.assert(
      fc.property(zonedInstantArb, fc.array(windowArb, { minLength: 1, maxLength: 3 }), ([zone, instant], windows) => {
        const subject = team(zone, windows);
        const next = nextOnCall(subject, instant);
        // Weekly windows always open within the horizon of eight days (a skipped hour aside).
        const last = next === null ? instant.getTime() + 8 * 86_400_000 : next.getTime();
        if (next !== null) {
          assert.ok(next.getTime() >= instant.getTime());
          assert.equal(isOnCall(subject, next), true);
        }
        // The instant itself, then every minute after it, up to the answer.
        for (let t = instant.getTime(); t < last; t = (Math.floor(t / 60_000) + 1) * 60_000) {
          assert.equal(isOnCall(subject, new Date(t)), false, `on call at ${new Date(t).toISOString()}, before ${next?.toISOString() ?? 'never'}`);
        }
      }),
      { numRuns: 40 },
    );
  });
});
