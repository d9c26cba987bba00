/**
 * Reading one run of whole lines for a bulk match (see detect.read.ts): the events that may
 * match, their values in columns. An event may match when one of its values, once normalised,
 * may be a key of the index (the key filter says so), or when it may touch one of the patterns
 * no value anchors (given the set: UnanchoredSet.mayTouch); without a filter, every event is kept.
 * Run on reader threads, and in the calling thread while they start.
 */
import { KeyFilter, kindCode } from './detect.filter.js';
import type { RunMessage, RunResult } from './detect.read.pool.js';
import type { LineRunReader, LogEvent } from '../logformats/logformats.js';
import { ipv4Address, normalise } from '../../stix/observable.js';
import { UnanchoredSet } from './detect.unanchored.js';

/** Unanchored pattern sets compiled in this thread, by version: the last few requests' sets. */
const compiledSets = new Map<number, UnanchoredSet>();
const KEPT_SETS = 4;

function unanchoredSetOf(message: RunMessage): UnanchoredSet | undefined {
  const sent = message.unanchored;
  if (sent === null) return undefined;
  let set = compiledSets.get(sent.version);
  if (set === undefined) {
    if (sent.slots === undefined || sent.patterns === undefined) throw new Error(`unanchored pattern set ${sent.version} was never sent to this thread`);
    set = new UnanchoredSet({ version: sent.version, slots: sent.slots, patterns: sent.patterns });
    if (compiledSets.size >= KEPT_SETS) compiledSets.delete(compiledSets.keys().next().value!);
    compiledSets.set(sent.version, set);
  }
  return set;
}

function mayMatch(filter: KeyFilter, event: LogEvent): boolean {
  for (const v of event.values) {
    const kind = v.kind;
    if (kind === 'ipv4') {
      // Addresses are most values of most logs: parsed once, for the exact key and the prefixes.
      const address = ipv4Address(v.value);
      if (address !== undefined && filter.mayName4(address)) return true;
      continue;
    }
    if (!filter.mayHoldKind(kind)) continue;
    const normalised = normalise(kind, v.value);
    if (normalised !== undefined && filter.mayName(kind, normalised)) return true;
  }
  return false;
}

/** Takes the events of a run as they are read, keeping in columns those that may match. */
class RunSink {
  read = 0;
  valueCount = 0;
  readonly lines: number[] = [];
  readonly times: number[] = [];
  readonly counts: number[] = [];
  readonly kinds: number[] = [];
  readonly fieldIds: number[] = [];
  /** Per event kept, how many unanchored patterns it touches, and their slots (with a set only). */
  readonly touchCounts: number[] = [];
  readonly touchSlots: number[] = [];
  readonly values: string[] = [];
  readonly fields: string[] = [];
  readonly #fieldId = new Map<string, number>();

  constructor(
    private readonly reader: LineRunReader,
    private readonly filter: KeyFilter | undefined,
    private readonly unanchored: UnanchoredSet | undefined,
  ) {}

  // Each event is dropped or reduced to columns at once, so the parsed records die young.
  push(event: LogEvent): void {
    this.read++;
    this.valueCount += event.values.length;
    // Patterns no value anchors are filtered for here, so that the key filter can stay on.
    // (Whether an observation touches a pattern, satisfies one of its [...], does not depend on
    // its time.)
    const touched = this.unanchored?.mayTouch(event, 0);
    if (this.filter !== undefined && !mayMatch(this.filter, event) && !(touched !== undefined && touched.length > 0)) return;
    if (touched !== undefined) {
      this.touchCounts.push(touched.length);
      for (const slot of touched) this.touchSlots.push(slot);
    }
    this.lines.push(event.line);
    this.times.push(this.reader.timeOf(event) ?? Number.NaN);
    this.counts.push(event.values.length);
    for (const value of event.values) {
      let id = this.#fieldId.get(value.field);
      if (id === undefined) {
        id = this.fields.length;
        this.fields.push(value.field);
        this.#fieldId.set(value.field, id);
      }
      this.kinds.push(kindCode(value.kind));
      this.fieldIds.push(id);
      this.values.push(value.value);
    }
  }
}

/** Bad records a run keeps to report one by one; the rest it counts (RunResult.moreErrors). */
export const RUN_ERRORS_KEPT = 1000;

export function readRun(reader: LineRunReader, message: RunMessage): RunResult {
  const errors: Array<[number, number, string]> = [];
  let moreErrors = 0;
  const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
  const sink = new RunSink(reader, message.filter === null ? undefined : new KeyFilter(message.filter), unanchoredSetOf(message));
  const newlines = reader.read(bytes, 0, message.offset, sink, (line, offset, text) => {
    if (errors.length < RUN_ERRORS_KEPT) errors.push([line, offset, text]);
    else moreErrors++;
  });
  return {
    id: message.id,
    newlines,
    errors,
    moreErrors,
    read: sink.read,
    valueCount: sink.valueCount,
    lines: Int32Array.from(sink.lines),
    times: Float64Array.from(sink.times),
    counts: Int32Array.from(sink.counts),
    kinds: Uint8Array.from(sink.kinds),
    fieldIds: Int32Array.from(sink.fieldIds),
    touchCounts: Int32Array.from(sink.touchCounts),
    touchSlots: Int32Array.from(sink.touchSlots),
    values: sink.values,
    fields: sink.fields,
  };
}
