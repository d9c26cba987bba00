/**
 * When a standby team is on call: its weekly coverage windows read on the wall clock of its own
 * time zone. Pure (no I/O): the local weekday and time come from Intl (the IANA tz data Node
 * carries), so summer time is right without any offset table of ours: a window from 09:00 is
 * open from 09:00 local time whatever the offset that day.
 *
 * Rules (docs/STANDBY-ROSTERS.md):
 * - a window names the days it starts on and runs from 'HH:MM' (included) to 'HH:MM' (excluded);
 * - a window whose end is at or before its start runs past midnight into the next day
 *   (sun 22:00-06:00 ends monday 06:00);
 * - '24:00' ends a window at midnight: '00:00'-'24:00' is the whole day;
 * - a local time that does not exist (the hour skipped when clocks go forward) is never on call;
 *   one that happens twice (the hour repeated when clocks go back) is on call both times.
 */
import { WEEKDAYS, type CoverageWindow, type StandbyTeam } from './assistance.model.js';

export const MINUTES_PER_DAY = 1440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
const MINUTE_MS = 60_000;
/** Windows one team keeps at most. */
export const MAX_WINDOWS = 28;
/** How far nextOnCall looks ahead: a week and a day, so that every weekly window is met once. */
export const NEXT_ON_CALL_HORIZON_MS = 8 * MINUTES_PER_DAY * MINUTE_MS;

const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** An IANA zone name (Area/Location, or a name such as UTC): no numeric offsets, which are not zones. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]{0,31}(\/[A-Za-z0-9][A-Za-z0-9_+-]{0,31}){0,2}$/;

type Coverage = Pick<StandbyTeam, 'always' | 'coverage' | 'time_zone'>;

/**
 * One formatter per zone, kept for the process: Intl.DateTimeFormat is slow to build and the
 * zones are a fixed, small set (only names Intl accepted are kept).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Is this the name of a time zone of the IANA database (as Node's Intl knows it)? */
export function validTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || !ZONE_NAME.test(timeZone)) return false;
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of a zone at an instant, to the minute. */
export interface WallTime {
  /** Days since Monday, 0-6. */
  readonly weekday: number;
  /** Minutes since local midnight, 0-1439. */
  readonly minute: number;
  /** The wall time read as if it were UTC (ms), which gives the zone's offset at the instant. */
  readonly asUtc: number;
}

/** The local weekday and time in `timeZone` at `at` (throws RangeError for an unknown zone). */
export function wallTime(timeZone: string, at: Date): WallTime {
  const parts = formatterOf(timeZone).formatToParts(at);
  const field = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((part) => part.type === type)?.value);
  const year = field('year');
  const month = field('month');
  const day = field('day');
  const hour = field('hour');
  const minute = field('minute');
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  // getUTCDay: 0 is Sunday; the week of the windows starts on Monday.
  const weekday = (new Date(asUtc).getUTCDay() + 6) % 7;
  return { weekday, minute: hour * 60 + minute, asUtc };
}

/** Minutes of a clock time; '24:00' is the end of the day. */
function minutesOf(clock: string): number {
  if (clock === '24:00') return MINUTES_PER_DAY;
  const match = CLOCK_TIME.exec(clock);
  if (!match) return Number.NaN;
  return Number(match[1]) * 60 + Number(match[2]);
}

/** The stretches of the week (minutes since Monday 00:00, end excluded, end may pass the week) a window covers. */
function stretchesOf(window: CoverageWindow): Array<{ start: number; end: number }> {
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  if (Number.isNaN(from) || Number.isNaN(to) || from >= MINUTES_PER_DAY) return [];
  // To at or before from: the window runs past midnight into the next day.
  const length = to > from ? to - from : MINUTES_PER_DAY - from + to;
  const stretches: Array<{ start: number; end: number }> = [];
  for (const day of window.days) {
    const index = WEEKDAYS.indexOf(day);
    if (index < 0) continue;
    const start = index * MINUTES_PER_DAY + from;
    stretches.push({ start, end: start + length });
  }
  return stretches;
}

/** Is the minute of the week (0 = Monday 00:00) in one of the windows? */
function coversMinute(windows: readonly CoverageWindow[], minuteOfWeek: number): boolean {
  for (const window of windows) {
    for (const { start, end } of stretchesOf(window)) {
      // A stretch that runs past Sunday midnight covers the start of the week too.
      if ((minuteOfWeek >= start && minuteOfWeek < end) || (minuteOfWeek + MINUTES_PER_WEEK >= start && minuteOfWeek + MINUTES_PER_WEEK < end)) return true;
    }
  }
  return false;
}

/** Is the team on call at this instant: always, or the local wall time is in one of its windows? */
export function isOnCall(team: Coverage, at: Date): boolean {
  if (team.always) return true;
  if (team.coverage.length === 0) return false;
  const wall = wallTime(team.time_zone, at);
  return coversMinute(team.coverage, wall.weekday * MINUTES_PER_DAY + wall.minute);
}

/**
 * What is wrong with these windows, one problem per line, each naming where (`coverage[2].to`);
 * empty when nothing is.
 */
export function validateCoverage(windows: readonly CoverageWindow[], path = 'coverage'): string[] {
  const problems: string[] = [];
  if (!Array.isArray(windows)) return [`${path}: a list of windows is expected`];
  if (windows.length > MAX_WINDOWS) problems.push(`${path}: ${windows.length} windows, at most ${MAX_WINDOWS}; merge the windows of days with the same hours (days: ['mon', 'tue', ...])`);
  windows.slice(0, MAX_WINDOWS + 1).forEach((window, i) => {
    const at = `${path}[${i}]`;
    if (typeof window !== 'object' || window === null) {
      problems.push(`${at}: a window is { days, from, to }`);
      return;
    }
    const days: readonly string[] = Array.isArray(window.days) ? window.days : [];
    if (days.length === 0) problems.push(`${at}.days: name at least one day the window starts on (${WEEKDAYS.join(', ')})`);
    if (days.length > WEEKDAYS.length) problems.push(`${at}.days: at most ${WEEKDAYS.length} days`);
    for (const day of days.slice(0, WEEKDAYS.length + 1)) {
      if (!(WEEKDAYS as readonly string[]).includes(day)) problems.push(`${at}.days: '${String(day).slice(0, 20)}' is not one of ${WEEKDAYS.join(', ')}`);
    }
    if (new Set(days).size !== days.length) problems.push(`${at}.days: a day is named twice`);
    const fromOk = typeof window.from === 'string' && CLOCK_TIME.test(window.from);
    const toOk = typeof window.to === 'string' && (window.to === '24:00' || CLOCK_TIME.test(window.to));
    if (!fromOk) problems.push(`${at}.from: '${String(window.from).slice(0, 20)}' is not a local time HH:MM from 00:00 to 23:59`);
    if (!toOk) problems.push(`${at}.to: '${String(window.to).slice(0, 20)}' is not a local time HH:MM from 00:00 to 24:00`);
    if (fromOk && toOk && minutesOf(window.from) === minutesOf(window.to)) {
      problems.push(`${at}: from and to are both ${window.from}: the window would be empty; for a whole day give 00:00 to 24:00, for 24/7 give always: true`);
    }
  });
  return problems;
}

/**
 * The next instant at or after `at` the team is on call: `at` itself when it is; null when it
 * is not on call within NEXT_ON_CALL_HORIZON_MS (a team with no windows never is). Minute
 * precise. It jumps from one window start to the next on the wall clock, and where the zone's
 * offset changes on the way (summer time), to that change first, so that a skipped or repeated
 * hour moves the answer as it moves the wall clock.
 */
export function nextOnCall(team: Coverage, at: Date): Date | null {
  if (isOnCall(team, at)) return at;
  if (team.always || team.coverage.length === 0) return null;
  const starts = [...new Set(team.coverage.flatMap((window) => stretchesOf(window).map((stretch) => stretch.start)))];
  if (starts.length === 0) return null;
  const horizon = at.getTime() + NEXT_ON_CALL_HORIZON_MS;
  let t = Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS;
  // Each step reaches a window start or an offset change: a few per window and day at most.
  for (let step = 0; step < 4 * MAX_WINDOWS * 8 + 64 && t <= horizon; step++) {
    const wall = wallTime(team.time_zone, new Date(t));
    const minuteOfWeek = wall.weekday * MINUTES_PER_DAY + wall.minute;
    let wait = MINUTES_PER_WEEK;
    for (const start of starts) {
      const ahead = (((start - minuteOfWeek) % MINUTES_PER_WEEK) + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
      if (ahead > 0 && ahead < wait) wait = ahead;
    }
    let next = t + wait * MINUTE_MS;
    const offset = wall.asUtc - t;
    if (wallTime(team.time_zone, new Date(next)).asUtc - next !== offset) next = offsetChange(team.time_zone, t, next, offset);
    if (next > horizon) return null;
    if (isOnCall(team, new Date(next))) return new Date(next);
    t = next;
  }
  return null;
}

/** The first minute in (from, to] at which the zone's offset is no longer `offset` (one change in between). */
function offsetChange(timeZone: string, from: number, to: number, offset: number): number {
  let low = from; // offset holds
  let high = to; // offset changed
  while (high - low > MINUTE_MS) {
    const middle = low + Math.floor((high - low) / MINUTE_MS / 2) * MINUTE_MS;
    if (wallTime(timeZone, new Date(middle)).asUtc - middle === offset) low = middle;
    else high = middle;
  }
  return high;
}
