/**
 * Detection: the node's indicators in memory, kept current as intel arrives, and the questions
 * asked of them (is this value known? which events of this log match?). Every answer passes
 * through the policy module: a reader only ever learns of indicators it may read.
 */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { canRead, type ObjectAccess } from '../../policy/rule.js';
import type { Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { PatternWindow, type CompiledPattern, type Observation, type PatternMatch } from '../../stix/pattern/index.js';
import * as intel from '../intel/intel.service.js';
import { DEFAULT_CLASSIFICATIONS } from '../../policy/markings.js';
import { CONTEXT_ROW_TYPES, ContextFilter, contextOf, type ContextRowType, type RelatedObject, type SightedBy } from './detect.context.js';
import { suppressorFor, type Suppression } from './warninglist.service.js';
import type { KeyFilter } from './detect.filter.js';
import { DetectIndex, type IndicatorRecord } from './detect.index.js';
import type { EventValue, LogEvent } from './formats.js';
import { observationOf } from './detect.observation.js';
import { UnanchoredSet, type UnanchoredPatterns } from './detect.unanchored.js';
import { detectKind, normalise, parseIPv4, parseIPv6, type ObservableKind } from './observable.js';

/** Rows read per query while the index is built. */
const REBUILD_CHUNK = 5000;
/** Rebuild in the background once this share of slots is dead (replaced or removed). */
const DEAD_SHARE_FOR_REBUILD = 0.5;
const DEAD_MIN_FOR_REBUILD = 50_000;

// Rows in a row often share valid_from (one feed's batch): the last one parsed is kept.
let lastTimestamp = '';
let lastTime = Number.NaN;

function timeOf(timestamp: string): number {
  if (timestamp !== lastTimestamp) {
    lastTime = Date.parse(timestamp);
    lastTimestamp = timestamp;
  }
  return lastTime;
}

/**
 * The index's record of a stored indicator row, or why it has none: read from the columns filled
 * at ingest from the parsed object (intel.rows indicatorColumns), never from the body's text.
 */
export function recordOfRow(row: intel.CurrentRow): IndicatorRecord | { skip: string } {
  if (row.revoked) return { skip: 'revoked' };
  const type = row.pattern_type ?? 'stix';
  if (type !== 'stix') return { skip: `pattern_type '${type}' is not evaluated (only STIX patterns are)` };
  const version = row.pattern_version ?? row.spec_version ?? '2.1';
  return {
    id: row.id,
    pattern: row.pattern ?? '',
    specVersion: version.startsWith('2.0') ? '2.0' : '2.1',
    accessKey: row.access_key ?? 0,
    createdByRef: row.created_by_ref,
    validFrom: row.valid_from ? timeOf(row.valid_from) : -Infinity,
    validUntil: row.valid_until ? timeOf(row.valid_until) : Infinity,
    confidence: row.confidence ?? undefined,
    granular: row.granular === 1,
  };
}

export interface DetectionStatus {
  ready: boolean;
  indicators: number;
  keys: number;
  compiled_patterns: number;
  unanchored_patterns: number;
  dead_slots: number;
  not_indexed: number;
  rebuilt_at: string | null;
  rebuild_ms: number | null;
  /** Whether indicators stored by other processes are read too (and the last sequence read). */
  following_store: boolean;
  /**
   * Whether every stored relationship and sighting is in the context filter: until then a lookup
   * reads the context of every indicator it names from the store.
   */
  context_ready: boolean;
}

/** The node's detection index and what keeps it current. */
export class Detection {
  #index = new DetectIndex();
  #building: Promise<void> | undefined;
  #rebuiltAt: Date | null = null;
  #rebuildMs: number | null = null;
  #notIndexed = 0;
  /**
   * Every current indicator row up to this date_added sequence is in the index. Writers take the
   * store's write lock and number rows after the highest stored, so sequence order is commit
   * order, and reading rows above this mark finds exactly what other processes stored since.
   */
  #scanned = 0;
  /** Rows above #scanned already applied from this process's own events. */
  #appliedAbove = new Set<number>();
  #follow: NodeJS.Timeout | undefined;
  /** Objects relationships or sightings may be about (lookups read context only for those). */
  readonly context = new ContextFilter();
  /** Relationship and sighting rows up to these sequences are in the context filter. */
  readonly #contextScanned: Record<ContextRowType, number> = { relationship: 0, sighting: 0 };
  #contextFilling: Promise<void> | undefined;
  #polling: Promise<void> | undefined;
  #queue: number[] = [];
  #flushing: Promise<void> | undefined;
  #unsubscribe: Array<() => void> = [];
  /** Set while a new index is read from the store: changes wait for it, deletions are replayed on it. */
  #deletedDuringRebuild: string[] | undefined;

  constructor(private readonly ctx: AppContext) {
    // New versions are followed from the start; before the first build they are simply read by it.
    this.#unsubscribe.push(
      ctx.bus.subscribe('intel.added', ({ objects }) => {
        if (!this.#building) return;
        const before = this.#queue.length;
        for (const o of objects) if (o.type === 'indicator' || o.type === 'relationship' || o.type === 'sighting') this.#queue.push(o.seq);
        if (this.#queue.length > before) this.#scheduleFlush();
      }),
      ctx.bus.subscribe('intel.deleted', ({ id, type }) => {
        if (type !== 'indicator') return;
        this.#index.remove(id);
        this.#deletedDuringRebuild?.push(id);
      }),
    );
  }

  /**
   * Builds the index in the background (the server calls it at start; readers wait for it), then
   * also follows what other processes store (config detectFollowMs).
   */
  start(): Promise<void> {
    const every = this.ctx.config.detectFollowMs;
    if (every > 0 && !this.#follow) {
      this.#follow = setInterval(() => void this.followStore(), every);
      this.#follow.unref();
    }
    return this.ready();
  }

  /** Stops following intel. */
  stop(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    if (this.#follow) clearInterval(this.#follow);
    this.#follow = undefined;
  }

  /**
   * Applies the indicator versions stored since the last read of the store, by any process
   * (this one's own are mostly applied already, from its events). The server calls it on a timer.
   */
  followStore(): Promise<void> {
    if (this.#rebuiltAt === null || this.#deletedDuringRebuild) return Promise.resolve();
    this.#polling ??= Promise.all([this.#readNewRows(), this.context.complete ? this.#readContextRows() : undefined])
      .then(() => undefined)
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'reading new indicators for the detection index failed'))
      .finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  async #readNewRows(): Promise<void> {
    for (;;) {
      const index = this.#index;
      const rows = await intel.scanCurrent(this.ctx, ['indicator'], this.#scanned, REBUILD_CHUNK);
      // A rebuild swapped the index meanwhile: it read these rows itself.
      if (index !== this.#index || this.#deletedDuringRebuild) return;
      for (const row of rows) {
        if (!this.#appliedAbove.delete(row.seq)) this.#apply(row);
        this.#scanned = row.seq;
      }
      for (const seq of this.#appliedAbove) if (seq <= this.#scanned) this.#appliedAbove.delete(seq);
      if (rows.length < REBUILD_CHUNK) return;
    }
  }

  /** Adds what relationships and sightings stored after the last read are about to the context filter. */
  async #readContextRows(): Promise<void> {
    for (const type of CONTEXT_ROW_TYPES) {
      for (;;) {
        const rows = await intel.scanAbout(this.ctx, [type], this.#contextScanned[type], REBUILD_CHUNK * 4);
        for (const row of rows) {
          if (row.about_ref !== null) this.context.add(row.about_ref, type);
          this.#contextScanned[type] = row.seq;
        }
        if (rows.length < REBUILD_CHUNK * 4) break;
      }
    }
  }

  /** Fills the context filter from the store once, after the first build (lookups ask the store meanwhile). */
  #fillContext(): void {
    this.#contextFilling ??= this.#readContextRows()
      .then(() => this.context.markComplete())
      .catch((error: unknown) => {
        this.#contextFilling = undefined;
        this.ctx.logger.error({ err: error }, 'reading relationships and sightings for the detection context failed');
      });
  }

  /** Resolves once the context filter is complete (tests; lookups never wait for it). */
  async contextReady(): Promise<void> {
    await this.ready();
    this.#fillContext();
    await this.#contextFilling;
  }

  /** A current row into the index: indexed, or removed when revoked or not evaluable. */
  #apply(row: intel.CurrentRow): void {
    const record = recordOfRow(row);
    if ('skip' in record) this.#index.remove(row.id);
    else if (!this.#index.upsert(record).indexed) this.#notIndexed++;
  }

  /** Resolves once the index is built (builds it on first use). */
  ready(): Promise<void> {
    this.#building ??= this.rebuild();
    return this.#building;
  }

  get index(): DetectIndex {
    return this.#index;
  }

  /** Builds a new index from the store, then swaps it in; changes meanwhile are applied after. */
  async rebuild(onProgress?: (indexed: number) => void): Promise<void> {
    const started = performance.now();
    const next = new DetectIndex();
    this.#deletedDuringRebuild = [];
    let after = 0;
    let notIndexed = 0;
    for (;;) {
      const rows = await intel.scanCurrent(this.ctx, ['indicator'], after, REBUILD_CHUNK);
      for (const row of rows) {
        const record = recordOfRow(row);
        if ('skip' in record || !next.upsert(record).indexed) notIndexed++;
      }
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.seq;
      onProgress?.(next.size);
      if (rows.length < REBUILD_CHUNK) break;
    }
    for (const id of this.#deletedDuringRebuild) next.remove(id);
    // Made now, at its final size, rather than by the first bulk match.
    void next.filter;
    this.#deletedDuringRebuild = undefined;
    this.#index = next;
    this.#notIndexed = notIndexed;
    this.#scanned = Math.max(this.#scanned, after);
    this.#appliedAbove = new Set();
    this.#rebuiltAt = this.ctx.clock.now();
    this.#rebuildMs = performance.now() - started;
    this.ctx.logger.info({ indicators: next.size, keys: next.keys, notIndexed, ms: Math.round(this.#rebuildMs) }, 'detection index built');
    this.#fillContext();
    // Versions that arrived while the store was read are applied again (idempotent).
    await this.#flush();
  }

  #scheduleFlush(): void {
    if (this.#flushing || this.#deletedDuringRebuild) return;
    this.#flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#flush())
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'updating the detection index failed'))
      .finally(() => {
        this.#flushing = undefined;
        if (this.#queue.length > 0) this.#scheduleFlush();
      });
  }

  /** Applies queued new versions: current ones are indexed, revoked ones removed. */
  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const seqs = this.#queue.splice(0, 500);
      for (const row of await intel.rowsBySeq(this.ctx, seqs)) {
        if (!row.id.startsWith('indicator--')) {
          if (row.about_ref !== null) this.context.add(row.about_ref, row.id.startsWith('sighting--') ? 'sighting' : 'relationship');
          continue;
        }
        // A late older version does not replace the current one; a row read from the store already is in.
        if (!row.is_current || row.seq <= this.#scanned || this.#appliedAbove.has(row.seq)) continue;
        // Remembered only while the store is followed (the follower forgets them as it passes).
        if (this.#follow) this.#appliedAbove.add(row.seq);
        this.#apply(row);
      }
    }
    const index = this.#index;
    if (index.dead >= DEAD_MIN_FOR_REBUILD && index.dead >= index.size * DEAD_SHARE_FOR_REBUILD && !this.#deletedDuringRebuild) {
      void this.rebuild().catch((error: unknown) => this.ctx.logger.error({ err: error }, 'rebuilding the detection index failed'));
    }
  }

  /** Waits until every version announced so far is in the index. */
  async settled(): Promise<void> {
    await this.ready();
    while (this.#flushing || this.#queue.length > 0) {
      if (this.#flushing) await this.#flushing;
      else await this.#flush();
    }
  }

  status(): DetectionStatus {
    const index = this.#index;
    return {
      ready: this.#rebuiltAt !== null,
      indicators: index.size,
      keys: index.keys,
      compiled_patterns: index.patterns.compiled,
      unanchored_patterns: index.patterns.unanchored,
      dead_slots: index.dead,
      not_indexed: this.#notIndexed,
      rebuilt_at: this.#rebuiltAt?.toISOString() ?? null,
      rebuild_ms: this.#rebuildMs === null ? null : Math.round(this.#rebuildMs),
      following_store: this.#follow !== undefined,
      context_ready: this.context.complete,
    };
  }
}

/**
 * What one reader may learn of the index: canRead decided once per (access set, originator)
 * pair and remembered, so a hit costs a map probe rather than a rule evaluation.
 */
export class IndexReader {
  /** Sets by key, built once per snapshot of the sets (the snapshots are never changed). */
  static readonly #byKey = new WeakMap<object, ReadonlyMap<number, ObjectAccess>>();
  readonly #memo = new Map<number, boolean>();
  readonly #sets: ReadonlyMap<number, ObjectAccess>;

  constructor(
    readonly index: DetectIndex,
    readonly principal: Principal,
    sets: ReadonlyArray<{ key: number; access: ObjectAccess }>,
    /** Told of a slot whose access set is not among `sets` (the slot is then unreadable). */
    readonly onUnknownSet?: (key: number) => void,
  ) {
    let byKey = IndexReader.#byKey.get(sets);
    if (!byKey) IndexReader.#byKey.set(sets, (byKey = new Map(sets.map((s) => [s.key, s.access]))));
    this.#sets = byKey;
  }

  /** A reader per request: the access sets come from memory unless new ones may exist (no query per lookup). */
  static async of(ctx: AppContext, detection: Detection, principal: Principal): Promise<IndexReader> {
    await detection.ready();
    return new IndexReader(detection.index, principal, await intel.knownAccessSets(ctx), (key) => intel.accessSetUnknown(ctx, key));
  }

  /** The markings of the indicator in this slot (its access set), when known. */
  access(slot: number): ObjectAccess | undefined {
    return this.#sets.get(this.index.accessKey(slot));
  }

  /** May the reader know of the indicator in this slot? */
  mayRead(slot: number): boolean {
    const index = this.index;
    const key = index.accessKey(slot) * 4_194_304 + index.creatorIndex(slot);
    let allowed = this.#memo.get(key);
    if (allowed === undefined) {
      const access = this.#sets.get(index.accessKey(slot));
      if (access === undefined) this.onUnknownSet?.(index.accessKey(slot));
      allowed = access !== undefined && canRead(this.principal, { ...access, createdByRef: index.creator(slot) });
      this.#memo.set(key, allowed);
    }
    return allowed;
  }
}

/** Hash lengths say less than their algorithm: a 64-digit value may be SHA-256 or SHA3-256. */
const ALSO: Partial<Record<ObservableKind, readonly ObservableKind[]>> = {
  sha256: ['sha3-256'],
  sha512: ['sha3-512'],
  'sha3-256': ['sha256'],
  'sha3-512': ['sha512'],
};

/**
 * Slots that name this value (exact keys, and address prefixes holding an address), live but
 * not yet filtered by validity or reader. `widen`: also the kinds a bare value may be.
 */
export function slotsOfValue(index: DetectIndex, kind: ObservableKind, value: string, widen: boolean): { normalised: string; slots: readonly number[] } | undefined {
  const normalised = normalise(kind, value);
  if (normalised === undefined) return undefined;
  return { normalised, slots: slotsOfNormalised(index, kind, normalised, widen) };
}

/** slotsOfValue of a value already normalised; allocates nothing when nothing is found. */
function slotsOfNormalised(index: DetectIndex, kind: ObservableKind, normalised: string, widen: boolean): readonly number[] {
  let slots = index.exact(kind, normalised);
  if (widen) {
    const also = ALSO[kind];
    if (also) for (const other of also) slots = joined(slots, index.exact(other, normalised));
  }
  if (kind === 'ipv4') {
    if (index.hasPrefixes(4)) {
      const address = parseIPv4(normalised);
      if (address !== undefined) slots = joined(slots, index.containing4(address));
    }
  } else if (kind === 'ipv6' && index.hasPrefixes(6)) {
    const address = parseIPv6(normalised);
    if (address !== undefined) slots = joined(slots, index.containing6(address));
  }
  return slots;
}

function joined(slots: readonly number[], more: readonly number[]): readonly number[] {
  if (more.length === 0) return slots;
  return slots.length === 0 ? more : [...slots, ...more];
}

// ---------------------------------------------------------------------------------------------
// Lookup

export const LOOKUP_MAX_VALUES = 10_000;

export interface LookupQuery {
  value: string;
  kind?: ObservableKind;
}

export interface IndicatorHit {
  id: string;
  /** 'full': the value alone matches the pattern; 'partial': the pattern names the value but needs more. */
  match: 'full' | 'partial';
  confidence?: number;
  valid_from?: string;
  valid_until?: string;
  /** The indicator's handling: TLP, classification and to whom it is releasable. */
  markings?: { tlp: string | null; classification: string; releasable_to: string[] };
  /** The identity that created it. */
  created_by_ref?: string;
  /** Malware, intrusion sets, campaigns, ... it is related to (see detect.context). */
  related?: RelatedObject[];
  /** Who has sighted it, among the sightings the reader may read. */
  sighted?: SightedBy;
}

export interface LookupOptions {
  /** Instant the indicators must be valid at (default: now). */
  at?: number;
  /** Add markings, related objects and sightings to each hit (default true). */
  context?: boolean;
  /** Say which warning-list entry covers each value (default true). */
  warningLists?: boolean;
}

export interface LookupAnswer {
  value: string;
  kind: ObservableKind | null;
  /** The key the value was looked up by, when it differs from the value as given (case, form). */
  normalised?: string;
  indicators: IndicatorHit[];
  /** A warning list covers the value (known good, own range, ...): its matches are suppressed in bulk matching. */
  suppressed?: Suppression;
  error?: string;
}

/**
 * Indicators with granular markings as the reader may see them: redacted by the policy, read
 * through the intel read path. One the reader is not shown (unreadable, or withheld because a
 * marking hides what STIX requires of it, its pattern among them) is absent.
 */
export async function shownIndicators(ctx: AppContext, actor: Principal, ids: readonly string[]): Promise<Map<string, StixObject>> {
  const shown = new Map<string, StixObject>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const page = await intel.listObjects(ctx, actor, { ids: chunk, types: ['indicator'], limit: chunk.length });
    for (const object of page.objects) if (typeof object['pattern'] === 'string') shown.set(object.id, object);
  }
  return shown;
}

const timeOfProperty = (object: StixObject, name: string): number | undefined => (typeof object[name] === 'string' ? Date.parse(object[name]) : undefined);

/** Is the indicator, as the reader sees it, valid at this instant (valid_from inclusive, valid_until exclusive, as the index)? */
export function validAsSeen(object: StixObject, at: number): boolean {
  return at >= (timeOfProperty(object, 'valid_from') ?? -Infinity) && at < (timeOfProperty(object, 'valid_until') ?? Infinity);
}

/** An indicator's confidence as the reader sees it. */
export function confidenceAsSeen(object: StixObject): number | undefined {
  return typeof object.confidence === 'number' ? object.confidence : undefined;
}

/** A hit on an indicator with granular markings: what it says comes from the object as the reader sees it, not from the index. */
function hitAsSeen(object: StixObject, match: IndicatorHit['match']): IndicatorHit {
  const confidence = confidenceAsSeen(object);
  const from = timeOfProperty(object, 'valid_from');
  const until = timeOfProperty(object, 'valid_until');
  return {
    id: object.id,
    match,
    ...(confidence !== undefined ? { confidence } : {}),
    ...(from !== undefined && Number.isFinite(from) ? { valid_from: new Date(from).toISOString() } : {}),
    ...(until !== undefined && Number.isFinite(until) ? { valid_until: new Date(until).toISOString() } : {}),
  };
}

function hitOf(index: DetectIndex, slot: number): IndicatorHit {
  const { from, until } = index.validity(slot);
  const confidence = index.confidence(slot);
  return {
    id: index.id(slot),
    match: index.isSimple(slot) ? 'full' : 'partial',
    ...(confidence !== undefined ? { confidence } : {}),
    ...(Number.isFinite(from) ? { valid_from: new Date(from).toISOString() } : {}),
    ...(Number.isFinite(until) ? { valid_until: new Date(until).toISOString() } : {}),
  };
}

/**
 * Indicators that name each value and that the reader may read, valid at `at`. Indicators with
 * granular markings are read through the intel read path: a marking may hide the pattern (the
 * indicator is then not named) or what a hit says of it (confidence, validity, creator), which
 * then comes from the object as the reader sees it.
 */
export async function lookup(ctx: AppContext, detection: Detection, actor: Principal, queries: readonly LookupQuery[], options: LookupOptions = {}): Promise<LookupAnswer[]> {
  const at = options.at ?? ctx.clock.now().getTime();
  if (queries.length > LOOKUP_MAX_VALUES) {
    throw shieldwallError('BAD_REQUEST', `${queries.length} values in one lookup: at most ${LOOKUP_MAX_VALUES}; split the list, or use POST /api/v1/match for logs`);
  }
  const reader = await IndexReader.of(ctx, detection, actor);
  const index = reader.index;
  const answers: LookupAnswer[] = [];
  /** Each answer's key, for the warning lists. */
  const keys: Array<string | undefined> = [];
  const granular = new Set<string>();
  for (const query of queries) {
    const value = query.value.trim();
    const kind = query.kind ?? detectKind(value);
    if (kind === undefined) {
      answers.push({ value: query.value, kind: null, indicators: [], error: 'the kind of this value was not recognised: give it (kind=domain, ipv4, sha256, ...)' });
      keys.push(undefined);
      continue;
    }
    const found = slotsOfValue(index, kind, value, query.kind === undefined);
    if (!found) {
      answers.push({ value: query.value, kind, indicators: [], error: `'${value}' is not a valid ${kind} value` });
      keys.push(undefined);
      continue;
    }
    const seen = new Set<number>();
    const indicators: IndicatorHit[] = [];
    for (const slot of found.slots) {
      // The validity of one with granular markings is judged on what the reader sees of it, below.
      if (seen.has(slot) || (!index.validAt(slot, at) && !index.isGranular(slot)) || !reader.mayRead(slot)) continue;
      seen.add(slot);
      if (index.isGranular(slot)) granular.add(index.id(slot));
      indicators.push(hitOf(index, slot));
    }
    // Repeating a value as given would be most of a miss's answer (a hash, twice).
    answers.push({ value: query.value, kind, ...(found.normalised !== query.value ? { normalised: found.normalised } : {}), indicators });
    keys.push(found.normalised);
  }
  const shown = granular.size > 0 ? await shownIndicators(ctx, actor, [...granular]) : undefined;
  if (shown) {
    for (const answer of answers) {
      const hits: IndicatorHit[] = [];
      for (const hit of answer.indicators) {
        if (!granular.has(hit.id)) hits.push(hit);
        else {
          const object = shown.get(hit.id);
          if (object && validAsSeen(object, at)) hits.push(hitAsSeen(object, hit.match));
        }
      }
      answer.indicators = hits;
    }
  }
  if (options.context !== false) await addContext(ctx, reader, answers, detection.context, shown);
  if (options.warningLists !== false) {
    const suppressor = await suppressorFor(ctx, actor);
    if (suppressor.entries > 0) {
      answers.forEach((answer, i) => {
        const key = keys[i];
        const covered = answer.kind !== null && key !== undefined ? suppressor.check(answer.kind, key) : undefined;
        if (covered) answer.suppressed = covered;
      });
    }
  }
  return answers;
}

/**
 * Markings, creator, related objects and sightings on every hit (one read of each per lookup).
 * `shown`: the indicators with granular markings as the reader sees them.
 */
async function addContext(ctx: AppContext, reader: IndexReader, answers: LookupAnswer[], filter: ContextFilter, shown: ReadonlyMap<string, StixObject> | undefined): Promise<void> {
  const ids = [...new Set(answers.flatMap((a) => a.indicators.map((h) => h.id)))];
  if (ids.length === 0) return;
  const index = reader.index;
  const context = await contextOf(ctx, reader.principal, ids, filter);
  for (const answer of answers) {
    for (const hit of answer.indicators) {
      const slot = index.slotOf(hit.id);
      if (slot !== undefined) {
        const access = reader.access(slot);
        if (access) hit.markings = { tlp: access.tlp, classification: DEFAULT_CLASSIFICATIONS[access.classification] ?? String(access.classification), releasable_to: [...access.releasability] };
        const seen = shown?.get(hit.id);
        const creator = seen ? seen.created_by_ref : index.creator(slot);
        if (creator) hit.created_by_ref = creator;
      }
      const known = context.get(hit.id);
      if (known && known.related.length > 0) hit.related = known.related;
      if (known?.sighted) hit.sighted = known.sighted;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Matching events

export interface EventMatch {
  line: number;
  time?: string;
  value?: string;
  kind?: ObservableKind;
  field?: string;
  indicator: string;
  match: 'value' | 'pattern';
  confidence?: number;
  /** A pattern match: when the earliest event it binds happened (`time` is the event that completed it). */
  first_time?: string;
  /**
   * A pattern match: the SCOs of the events it binds that satisfy a comparison of the pattern on
   * their own (what a reported sighting names as observed data), at most OBSERVED_PER_MATCH.
   */
  observed?: Array<Record<string, unknown>>;
}

/** SCOs a pattern match names as observed. */
export const OBSERVED_PER_MATCH = 100;

/**
 * The SCOs of the observations a pattern match binds that satisfy one `[...]` of it alone. An
 * address the pattern does not name (the member's own host, say) is left out: it would be shared
 * with the sighting. Network traffic is left out too: it is only a join of the addresses here.
 */
function observedScos(compiled: CompiledPattern, observations: readonly Observation[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const seen = new Set<string>();
  for (const observation of observations) {
    for (const [ref, sco] of observation.objects) {
      if (sco['type'] === 'network-traffic' || out.length >= OBSERVED_PER_MATCH) continue;
      const key = JSON.stringify(sco);
      if (seen.has(key) || !compiled.touches({ ...observation, objects: new Map([[ref, sco]]) })) continue;
      seen.add(key);
      out.push({ ...sco });
    }
  }
  return out;
}

export { observationOf, scoOfValue } from './detect.observation.js';

export interface MatchOptions {
  /** Instant indicators must be valid at when an event has no time of its own (default: now). */
  at?: number;
}

export interface MatchCounters {
  events: number;
  values: number;
  matches: number;
}

/**
 * Matches events against the index as one reader: each value is looked up (exact and address
 * prefixes); simple patterns match on the value, others are evaluated on the event's observation
 * and, when they span several observations, over a sliding window of the events that touch them.
 */
const NO_SLOTS: readonly number[] = Object.freeze([]);
const NO_UNANCHORED: UnanchoredPatterns = Object.freeze({ version: -1, slots: [], patterns: [] });
/** The unanchored patterns of the index last asked, as sent to reader threads, and as a set here. */
let latestUnanchored: UnanchoredPatterns | undefined;
let latestUnanchoredSet: UnanchoredSet | undefined;

export class EventMatcher {
  readonly counters: MatchCounters = { events: 0, values: 0, matches: 0 };
  readonly #windows = new Map<number, PatternWindow>();
  readonly #at: number;
  /** The current event's observation, made only when a pattern needs it. */
  #observation: Observation | undefined;

  constructor(
    readonly reader: IndexReader,
    options: MatchOptions = {},
  ) {
    this.#at = options.at ?? Date.now();
  }

  /**
   * The key filter readers may drop events by before they reach match(). With patterns no value
   * anchors, readers that evaluate them (given `unanchoredPatterns()`) keep the events that touch
   * one; without `withUnanchored`, every event must reach match() (undefined).
   */
  candidates(withUnanchored = false): KeyFilter | undefined {
    const index = this.reader.index;
    return index.hasUnanchored && !withUnanchored ? undefined : index.filter;
  }

  /** The patterns no value anchors, for reader threads to evaluate (undefined: there are none). */
  unanchoredPatterns(): UnanchoredPatterns | undefined {
    const { version, patterns } = this.reader.index.unanchoredPatterns();
    if (patterns.size === 0) return undefined;
    // Shared by every request while the index does not change (versions are never reused).
    if (latestUnanchored?.version !== version) {
      latestUnanchored = { version, slots: [...patterns.keys()], patterns: [...patterns.values()] };
    }
    return latestUnanchored;
  }

  #unanchoredSet(): UnanchoredSet {
    const set = this.unanchoredPatterns() ?? NO_UNANCHORED;
    if (latestUnanchoredSet?.version !== set.version) {
      // Compiled by the index, when first a candidate, and kept there for every request.
      const index = this.reader.index;
      latestUnanchoredSet = new UnanchoredSet(set, (i) => index.pattern(set.slots[i]!));
    }
    return latestUnanchoredSet;
  }

  /** Counts events dropped by the key filter (they name nothing the index holds) as matched. */
  countDropped(events: number, values: number): void {
    this.counters.events += events;
    this.counters.values += values;
  }

  /**
   * The matches of one event (an empty array for most). `unanchored`: the unanchored patterns
   * the event may touch (UnanchoredSet.mayTouch), when a reader thread found them; found here
   * otherwise. Each is evaluated here.
   */
  match(event: LogEvent, unanchored?: readonly number[]): EventMatch[] {
    const index = this.reader.index;
    const at = event.time ?? this.#at;
    this.counters.events++;
    let out: EventMatch[] | undefined;
    let touched: Set<number> | undefined;
    const values = event.values;
    this.counters.values += values.length;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      // Most values are of kinds no indicator names, or name nothing: decide that cheaply.
      if (!index.hasKind(v.kind)) continue;
      const normalised = normalise(v.kind, v.value);
      if (normalised === undefined) continue;
      const slots = slotsOfNormalised(index, v.kind, normalised, false);
      for (let j = 0; j < slots.length; j++) {
        const slot = slots[j]!;
        // An indicator with granular markings is judged valid on what the reader sees of it (matchLog).
        if ((!index.validAt(slot, at) && !index.isGranular(slot)) || !this.reader.mayRead(slot)) continue;
        if (index.isSimple(slot)) (out ??= []).push(this.#valueMatch(event, v, slot));
        else (touched ??= new Set()).add(slot);
      }
    }
    const unanchoredTouched = !index.hasUnanchored ? NO_SLOTS : (unanchored ?? this.#unanchoredSet().mayTouch(event, at));
    if (touched === undefined && unanchoredTouched.length === 0) {
      if (out === undefined) return [];
      this.counters.matches += out.length;
      return out;
    }
    this.#observation = undefined;
    if (touched) for (const slot of touched) out = this.#evaluate(event, slot, out);
    for (const slot of unanchoredTouched) {
      if (touched?.has(slot) || (!index.validAt(slot, at) && !index.isGranular(slot)) || !this.reader.mayRead(slot)) continue;
      out = this.#evaluate(event, slot, out);
    }
    this.#observation = undefined;
    if (out) this.counters.matches += out.length;
    return out ?? [];
  }

  #evaluate(event: LogEvent, slot: number, out: EventMatch[] | undefined): EventMatch[] | undefined {
    const compiled = this.reader.index.pattern(slot);
    if (!compiled) return out;
    const observation = (this.#observation ??= observationOf(event, this.#at));
    let matched: PatternMatch | undefined;
    if (compiled.single) matched = compiled.match([observation]);
    else if (compiled.touches(observation)) {
      let window = this.#windows.get(slot);
      if (!window) this.#windows.set(slot, (window = new PatternWindow(compiled)));
      matched = window.push(observation);
    }
    if (matched) (out ??= []).push(this.#patternMatch(event, slot, matched, compiled));
    return out;
  }

  #valueMatch(event: LogEvent, v: EventValue, slot: number): EventMatch {
    const index = this.reader.index;
    const confidence = index.confidence(slot);
    return {
      line: event.line,
      ...(event.time !== undefined ? { time: new Date(event.time).toISOString() } : {}),
      value: v.value,
      kind: v.kind,
      field: v.field,
      indicator: index.id(slot),
      match: 'value',
      ...(confidence !== undefined ? { confidence } : {}),
    };
  }

  #patternMatch(event: LogEvent, slot: number, matched: PatternMatch, compiled: CompiledPattern): EventMatch {
    const index = this.reader.index;
    const confidence = index.confidence(slot);
    let first = Infinity;
    for (const o of matched.observations) first = Math.min(first, o.firstObserved);
    const observed = observedScos(compiled, matched.observations);
    return {
      line: event.line,
      ...(event.time !== undefined ? { time: new Date(event.time).toISOString() } : {}),
      ...(event.time !== undefined && Number.isFinite(first) ? { first_time: new Date(Math.min(first, event.time)).toISOString() } : {}),
      indicator: index.id(slot),
      match: 'pattern',
      ...(confidence !== undefined ? { confidence } : {}),
      ...(observed.length > 0 ? { observed } : {}),
    };
  }
}
