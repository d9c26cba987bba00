/** Bulk matching of a member's log: records in, matches out as they are found, summary last. */
import type { AppContext } from '../../core/context.js';
import type { Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import type { LogError, ReadLogOptions } from '../logformats/logformats.js';
import { readEventBatches } from './detect.read.js';
import { isObservableKind, normalise, type ObservableKind } from '../../stix/observable.js';
import { suppressorFor, type Suppression, type Suppressor } from '../warninglists/warninglist.service.js';
import type { Detection } from './detect.maintenance.js';
import { WORK_PER_TURN } from './detect.lookup.js';
import { EventMatcher, type EventMatch } from './detect.matcher.js';
import { confidenceAsSeen, IndexReader, shownIndicators, validAsSeen } from './detect.reader.js';
import type { SightingCollector, SightingReport } from './detect.sightings.js';
import { nextTurn } from '../../core/turn.js';

/** 'field:kind,field:kind' (a field is a name or a 1-based column number) to a mapping. */
export function parseColumns(text: string): { columns: Record<string, ObservableKind> } | { error: string } {
  const columns = new Map<string, ObservableKind>();
  for (const part of text.split(',')) {
    const at = part.lastIndexOf(':');
    const field = part.slice(0, at).trim();
    const kind = part.slice(at + 1).trim();
    if (at <= 0 || field === '') return { error: `column mapping '${part}' is not field:kind (e.g. 'dst_ip:ipv4' or '3:domain')` };
    if (!isObservableKind(kind)) return { error: `column mapping '${part}': '${kind}' is not a kind of value; use one of ipv4, ipv6, domain, url, email, md5, sha1, sha256, ...` };
    columns.set(field, kind);
  }
  // Own properties whatever the field is called ("__proto__" included).
  return { columns: Object.fromEntries(columns) };
}

export interface MatchSummary {
  events: number;
  values: number;
  matches: number;
  errors: number;
  bytes: number;
  seconds: number;
  indicators: number;
  /** Matches not reported because a warning list covers the value (each one reported as suppressed). */
  suppressed: number;
  /**
   * Values of events that more indicators name than one value is matched against
   * (HITS_PER_VALUE): the newest were matched, their matches marked `indicators_truncated`.
   */
  values_truncated?: number;
  /**
   * Listing stopped at MATCH_MAX_LISTED matches and suppressed matches: the matches of line
   * `truncated_at_line` may be a part of them, and the lines after it were read but not matched.
   */
  truncated?: true;
  truncated_at_line?: number;
  /** Bad records listed (the first ERRORS_LISTED), when errors counts more. */
  errors_listed?: number;
  /** With reporting: the sightings stored (of the matches listed). */
  reported?: SightingReport;
}

export interface MatchRun {
  /** Called with each batch of matches, in input order. */
  onMatches?: (matches: EventMatch[]) => void;
  onError?: (error: LogError) => void;
  onProgress?: (bytes: number, events: number) => void;
  /** Report what matched as sightings (stored once the whole log is read). */
  sightings?: SightingCollector;
  /** Apply the warning lists of the actor's member and of the alliance (default true). */
  warningLists?: boolean;
  /** Called with each batch of matches a warning list suppressed. */
  onSuppressed?: (suppressed: SuppressedMatch[]) => void;
}

/** With patterns no value anchors, inputs from this size are read and evaluated on reader threads. */
const UNANCHORED_PARALLEL_FROM = 1024 * 1024;

/** Longest stretch of matching work on this thread before other requests are let in. */
const SLICE_MS = 10;

/**
 * Most lines one bulk match lists (matches and suppressed matches): a log line whose values many
 * indicators name yields up to HITS_PER_VALUE matches per value, so a few KB of log could ask for
 * hundreds of MB of answer. Past it the log is read to its end, but not matched.
 */
export const MATCH_MAX_LISTED = 100_000;

/** Matches found are checked (granular markings, warning lists) and handed on this many at a time at most. */
const MATCHES_PER_FLUSH = 1000;

/** A match not reported as one: the value is on a warning list. */
export type SuppressedMatch = EventMatch & { warning_list: Suppression };

/**
 * Matches a log as this reader. Indicators with granular markings are read through the intel
 * read path before their matches are reported: a marking may hide the pattern (nothing is
 * reported), or the confidence or validity (judged on what the reader sees).
 */
export async function matchLog(
  ctx: AppContext,
  detection: Detection,
  actor: Principal,
  input: AsyncIterable<Buffer | string>,
  options: Omit<ReadLogOptions, 'onError' | 'onProgress'>,
  run: MatchRun,
): Promise<MatchSummary> {
  const started = performance.now();
  const reader = await IndexReader.of(ctx, detection, actor);
  const now = ctx.clock.now().getTime();
  const matcher = new EventMatcher(reader, { at: now });
  /** Indicators with granular markings as the reader sees them (null: not shown to it). */
  const shown = new Map<string, StixObject | null>();
  let errors = 0;
  /** Errors handed to run.onError: the first ERRORS_LISTED. */
  let errorsListed = 0;
  let bytes = 0;
  const indicators = new Set<string>();
  const suppressor = run.warningLists === false ? undefined : await suppressorFor(ctx, actor);
  let reportedMatches = 0;
  let slice = performance.now();
  let suppressedMatches = 0;
  /** Lines listed so far (matches and suppressed matches), and the line listing stopped at. */
  let listed = 0;
  let truncatedAt: number | undefined;
  /** Matches checked and handed on: work too, with the matcher's. */
  let handled = 0;
  let turnedAt = 0;
  /** Other requests get the thread after every WORK_PER_TURN of work, and at least every SLICE_MS. */
  const turnDue = (timeToo: boolean): boolean => matcher.work + handled - turnedAt >= WORK_PER_TURN || (timeToo && performance.now() - slice > SLICE_MS);
  const turn = async (): Promise<void> => {
    await nextTurn();
    turnedAt = matcher.work + handled;
    slice = performance.now();
  };
  /** Matches found, in input order, checked and handed on. */
  const flush = async (found: EventMatch[]): Promise<void> => {
    handled += found.length;
    const unconfirmed = [...new Set(found.map((m) => m.indicator))].filter((id) => !shown.has(id) && reader.index.isGranular(reader.index.slotOf(id) ?? -1));
    if (unconfirmed.length > 0) {
      const seen = await shownIndicators(ctx, actor, unconfirmed);
      for (const id of unconfirmed) shown.set(id, seen.get(id) ?? null);
    }
    if (shown.size > 0) found = found.flatMap((m) => asSeen(m, shown.get(m.indicator), now));
    if (suppressor && suppressor.entries > 0) {
      const suppressed = suppressedOf(suppressor, found);
      if (suppressed) {
        found = found.filter((m) => !suppressed.has(m));
        suppressedMatches += suppressed.size;
        listed += suppressed.size;
        run.onSuppressed?.([...suppressed.values()]);
      }
    }
    reportedMatches += found.length;
    listed += found.length;
    for (const m of found) indicators.add(m.indicator);
    if (found.length > 0) {
      run.sightings?.add(found, ctx.clock.now().getTime());
      run.onMatches?.(found);
    }
  };
  // Large logs are read on reader threads, which drop the events naming nothing indexed.
  for await (const batch of readEventBatches(input, {
    ...options,
    // Readers evaluate the patterns no value anchors, so the key filter stays on for them too.
    candidates: () => matcher.candidates(true),
    unanchored: () => matcher.unanchoredPatterns(),
    // With such patterns a run costs more to read: this thread reads only slices of 64 KiB when
    // the threads are busy, letting other requests in between (whole runs took another user's
    // /me to 500 ms p99). Inputs from 1 MiB go to the threads then (4 MiB otherwise).
    ...(reader.index.hasUnanchored ? { hereSliceBytes: 64 * 1024, parallelFrom: UNANCHORED_PARALLEL_FROM } : {}),
    onError: (error) => {
      errors++;
      if (errorsListed >= ERRORS_LISTED) return;
      errorsListed++;
      run.onError?.(error);
    },
    // Past a run's first errors, counted only: none of them is among the first ERRORS_LISTED.
    onMoreErrors: (count) => {
      errors += count;
    },
    onProgress: (b) => {
      bytes = b;
    },
  })) {
    matcher.countDropped(batch.dropped, batch.droppedValues);
    let found: EventMatch[] | undefined;
    const events = batch.events;
    const touched = batch.unanchored;
    for (let i = 0; i < events.length; i++) {
      if (truncatedAt !== undefined) {
        // Read, and counted, but not matched: the listing is full.
        matcher.countDropped(1, events[i]!.values.length);
        continue;
      }
      const matches = matcher.match(events[i]!, touched?.[i]);
      if (matches.length > 0) {
        // What is listed is at most what is found: the pending ones are counted as listed.
        const room = MATCH_MAX_LISTED - listed - (found?.length ?? 0);
        if (matches.length > room) {
          truncatedAt = events[i]!.line;
          if (room > 0) (found ??= []).push(...matches.slice(0, room));
        } else (found ??= []).push(...matches);
        if (found && found.length >= MATCHES_PER_FLUSH) {
          await flush(found);
          found = undefined;
        }
      }
      if (turnDue((i & 255) === 255)) await turn();
    }
    if (found) await flush(found);
    run.onProgress?.(bytes, matcher.counters.events);
    if (turnDue(true)) await turn();
  }
  const c = matcher.counters;
  ctx.metrics.detectEvents.inc(c.events);
  ctx.metrics.detectMatches.inc(reportedMatches);
  const reported = run.sightings ? await run.sightings.report() : undefined;
  return {
    events: c.events,
    values: c.values,
    matches: reportedMatches,
    errors,
    ...(errors > errorsListed ? { errors_listed: errorsListed } : {}),
    bytes,
    seconds: (performance.now() - started) / 1000,
    indicators: indicators.size,
    suppressed: suppressedMatches,
    ...(c.truncated > 0 ? { values_truncated: c.truncated } : {}),
    ...(truncatedAt !== undefined ? { truncated: true as const, truncated_at_line: truncatedAt } : {}),
    ...(reported ? { reported } : {}),
  };
}

/**
 * A match as the reader may be told of it: as it is for an indicator without granular markings
 * (`seen` undefined); for one with them, only while the indicator as the reader sees it is valid
 * at the event's time, with its confidence as seen.
 */
function asSeen(m: EventMatch, seen: StixObject | null | undefined, now: number): EventMatch[] {
  if (seen === undefined) return [m];
  if (seen === null || !validAsSeen(seen, m.time !== undefined ? Date.parse(m.time) : now)) return [];
  const { confidence: _indexed, ...rest } = m;
  const confidence = confidenceAsSeen(seen);
  return [confidence === undefined ? rest : { ...rest, confidence }];
}

/**
 * The value matches whose value a warning list covers, each with the entry that covers it.
 * Pattern matches are not suppressed: they rest on several values, not on one.
 */
function suppressedOf(suppressor: Suppressor, matches: readonly EventMatch[]): Map<EventMatch, SuppressedMatch> | undefined {
  let out: Map<EventMatch, SuppressedMatch> | undefined;
  for (const m of matches) {
    if (m.match !== 'value' || m.kind === undefined || m.value === undefined) continue;
    const normalised = normalise(m.kind, m.value);
    const covered = normalised === undefined ? undefined : suppressor.check(m.kind, normalised);
    if (covered) (out ??= new Map()).set(m, { ...m, warning_list: covered });
  }
  return out;
}

/**
 * Bad records a match lists (run.onError; a line each of a bulk match's answer): the rest are
 * counted in the summary only.
 * Listed all, 4 MiB of lines such as "#" or "x" made 2,097,152 error lines (about 375 MB of
 * answer) and held the node's thread 4.8 s.
 */
export const ERRORS_LISTED = 1000;

/** Characters of answer lines made and not yet taken, past which matchStream stops reading the log. */
export const OUTPUT_AHEAD_CHARS = 1024 * 1024;

/**
 * matchLog as NDJSON lines: {"match":…} per match, {"suppressed":…} per match a warning list
 * covers, {"error":…} per bad record, {"summary":…} last.
 */
export async function* matchStream(
  ctx: AppContext,
  detection: Detection,
  actor: Principal,
  input: AsyncIterable<Buffer | string>,
  options: Omit<ReadLogOptions, 'onError' | 'onProgress'>,
  extra: Pick<MatchRun, 'sightings' | 'warningLists'> = {},
): AsyncGenerator<string> {
  const pending: string[] = [];
  let pendingChars = 0;
  let wake: (() => void) | undefined;
  let drained: (() => void) | undefined;
  let done = false;
  let stopped = false;
  let failure: unknown;
  const push = (line: string) => {
    pending.push(line);
    pendingChars += line.length;
    wake?.();
  };
  // The log is read only while its answer is taken: past OUTPUT_AHEAD_CHARS of lines not yet
  // sent, reading waits (and so does the sender, as the connection fills). A client that sends a
  // log and reads none of the answer held every line of it in the node's memory.
  async function* paced(): AsyncGenerator<Buffer | string> {
    for await (const chunk of input) {
      while (pendingChars > OUTPUT_AHEAD_CHARS && !stopped) await new Promise<void>((resolve) => (drained = resolve));
      drained = undefined;
      // The answer is no longer taken (the client went): the log is read no further.
      if (stopped) return;
      yield chunk;
    }
  }
  const running = matchLog(ctx, detection, actor, paced(), options, {
    ...extra,
    onMatches: (matches) => {
      let text = '';
      for (const m of matches) text += `${JSON.stringify({ match: m })}\n`;
      push(text);
    },
    onSuppressed: (suppressed) => {
      let text = '';
      for (const m of suppressed) text += `${JSON.stringify({ suppressed: m })}\n`;
      push(text);
    },
    onError: (error) => push(`${JSON.stringify({ error })}\n`),
  }).then(
    (summary) => push(`${JSON.stringify({ summary })}\n`),
    (error: unknown) => {
      failure = error;
    },
  ).finally(() => {
    done = true;
    wake?.();
  });
  try {
    for (;;) {
      if (pending.length > 0) {
        const text = pending.splice(0).join('');
        pendingChars = 0;
        drained?.();
        yield text;
        continue;
      }
      if (done) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    stopped = true;
    drained?.();
  }
  await running;
  if (failure !== undefined) {
    const message = failure instanceof Error ? failure.message : String(failure);
    yield `${JSON.stringify({ error: { line: 0, offset: 0, message: `matching stopped: ${message}` } })}\n`;
  }
}
