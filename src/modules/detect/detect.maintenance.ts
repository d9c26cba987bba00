/**
 * The detection index kept current: built from the store at start (and again when too many of
 * its slots are dead), then fed the indicators this process stores (its events) and those other
 * processes store (following the store by sequence), with the context filter beside it.
 */
import type { AppContext } from '../../core/context.js';
import type { EventMap, StoredIndicator } from '../../core/events.js';
import * as intel from '../intel/intel.service.js';
import { CONTEXT_ROW_TYPES, ContextFilter } from './detect.context.js';
import { DetectIndex, type IndicatorRecord } from './detect.index.js';
import { nextTurn } from '../../core/turn.js';

/** Rows read per query while the index is built. */
const REBUILD_CHUNK = 5000;
/**
 * Indicators told by this process's writes applied between two turns of the event loop: a
 * transaction of four 10,000-object batches tells about 25,000 at once, which took 0.35 s of the
 * thread in one go (timed with --cpu-prof).
 */
const TOLD_PER_TURN = 2000;
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
export function recordOfRow(row: StoredIndicator): IndicatorRecord | { skip: string } {
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
   * It moves past a write of this process told in order (its event's `stored` range begins
   * here), and to the highest sequence stored when a read of the store began, once that read is
   * done: a node that alone writes to its store reads none of its own rows back.
   */
  #scanned = 0;
  /** The read of rows above #scanned in progress (one at a time). */
  #scanning: Promise<void> | undefined;
  #follow: NodeJS.Timeout | undefined;
  /** Objects relationships or sightings may be about (lookups read context only for those). */
  readonly context = new ContextFilter();
  /** Relationship and sighting rows up to this sequence are in the context filter (moved as #scanned is). */
  #contextScanned = 0;
  /** Set while the context rows above #contextScanned are read. */
  #contextReading = false;
  #contextFilling: Promise<void> | undefined;
  #polling: Promise<void> | undefined;
  /** Relationships and sightings to read back (what they are about was not announced). */
  #queue: number[] = [];
  /** Indicators were announced since the last read of the rows above #scanned. */
  #newIndicators = false;
  /**
   * Writes of this process told in order and not yet applied whole, oldest first: each its
   * current indicators (applied up to `done`) and the sequence the index has read to after it.
   */
  #told: Array<{ indicators: StoredIndicator[]; done: number; last: number }> = [];
  #draining: Promise<void> | undefined;
  #flushing: Promise<void> | undefined;
  #unsubscribe: Array<() => void> = [];
  /** Set while a new index is read from the store: changes wait for it, deletions are replayed on it. */
  #deletedDuringRebuild: string[] | undefined;
  /** The last record of a whole deletion read (intel.deletedSince): other processes' deletions are followed from it. */
  #deletionsRead = 0;
  #readingDeletions: Promise<void> | undefined;

  constructor(private readonly ctx: AppContext) {
    // New versions are followed from the start; before the first build they are simply read by it.
    this.#unsubscribe.push(
      ctx.bus.subscribe('intel.added', (added) => {
        if (!this.#building) return;
        const { objects, stored } = added;
        // Applied as told when they follow what the index holds with no read of the store in
        // progress; otherwise read back from the store (#flush), as another process's would be.
        const inOrder = this.#tellsNext(stored);
        let flush = false;
        const indicators: StoredIndicator[] = [];
        for (const o of objects) {
          if (o.type === 'indicator') {
            if (!inOrder) this.#newIndicators = flush = true;
            // A version that did not become current (an older one arriving late) changes nothing.
            else if (o.indicator) indicators.push(o.indicator);
          } else if (o.type === 'relationship' || o.type === 'sighting') {
            // The context filter learns at once (a lookup answered right after a sighting was stored
            // must not be told "never sighted"); only when the publisher did not say what it is
            // about does the flush read that from the store.
            if (typeof o.about === 'string') this.context.add(o.about, o.type);
            else {
              this.#queue.push(o.seq);
              flush = true;
            }
          }
        }
        if (inOrder) this.#told.push({ indicators, done: 0, last: stored!.last });
        if (this.#told.length > 0) this.#drain();
        if (stored && !this.#contextReading && this.#contextScanned === stored.after) this.#contextScanned = stored.last;
        if (flush) this.#scheduleFlush();
      }),
      ctx.bus.subscribe('intel.deleted', ({ id, type }) => {
        if (type !== 'indicator') return;
        // A version told before the deletion and not applied yet is not applied.
        for (const told of this.#told) {
          told.indicators = told.indicators.slice(told.done).filter((indicator) => indicator.id !== id);
          told.done = 0;
        }
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
    this.#polling ??= (async () => {
      const highest = await intel.latestSeq(this.ctx);
      // Nothing is read while what this process told covers all that is stored: a read would
      // hold back the writes told meanwhile (they would be read back from the store too).
      await Promise.all([
        highest > this.#toldTo() ? this.#scanNewRows() : undefined,
        this.context.complete && highest > this.#contextScanned ? this.#readContextRows() : undefined,
        this.#readDeletions(),
      ]);
    })()
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'reading new indicators for the detection index failed'))
      .finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  /** Whether an event's versions are the next the index is to apply, and nothing else may apply them meanwhile. */
  #tellsNext(stored: EventMap['intel.added']['stored']): boolean {
    return stored !== undefined && stored.after === this.#toldTo() && this.#rebuiltAt !== null && !this.#deletedDuringRebuild && !this.#scanning;
  }

  /** The sequence the index will have read to once the writes told are applied. */
  #toldTo(): number {
    return this.#told.length > 0 ? this.#told[this.#told.length - 1]!.last : this.#scanned;
  }

  /**
   * Applies the writes told, in order, TOLD_PER_TURN indicators a turn; one drain at a time. A
   * drain that finds nothing more to apply may not have settled yet when the next write is told
   * (a transaction's batches are told one after another): it looks again once it has.
   */
  #drain(): void {
    if (this.#draining) return;
    this.#draining = (async () => {
      let applied = 0;
      while (this.#told.length > 0) {
        const told = this.#told[0]!;
        // Dropped by a rebuild meanwhile, it is not applied further: the rebuild reads the store
        // itself, perhaps newer versions than these.
        while (this.#told[0] === told && told.done < told.indicators.length) {
          this.#apply(told.indicators[told.done++]!);
          if (++applied % TOLD_PER_TURN === 0) await nextTurn();
        }
        if (this.#told[0] !== told) continue;
        this.#told.shift();
        if (told.last > this.#scanned) this.#scanned = told.last;
      }
    })()
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'updating the detection index failed'))
      .finally(() => {
        this.#draining = undefined;
        if (this.#told.length > 0) this.#drain();
      });
  }

  /** Reads the current indicator rows above #scanned into the index; one read at a time. */
  #scanNewRows(): Promise<void> {
    this.#scanning ??= this.#readNewRows().finally(() => (this.#scanning = undefined));
    return this.#scanning;
  }

  async #readNewRows(): Promise<void> {
    // The writes told before go first: read after them, a version is not replaced by an older one.
    if (this.#draining) await this.#draining;
    // Every row up to it is committed now: read, they are all in the index.
    const highest = await intel.latestSeq(this.ctx);
    if (highest <= this.#scanned) return;
    for (;;) {
      const index = this.#index;
      const rows = await intel.scanCurrent(this.ctx, ['indicator'], this.#scanned, REBUILD_CHUNK);
      // A rebuild swapped the index meanwhile: it read these rows itself.
      if (index !== this.#index || this.#deletedDuringRebuild) return;
      for (const row of rows) {
        this.#apply(row);
        this.#scanned = row.seq;
      }
      if (rows.length < REBUILD_CHUNK) {
        if (highest > this.#scanned) this.#scanned = highest;
        return;
      }
      // Other requests between chunks: behind a bulk ingest there are many.
      await nextTurn();
    }
  }

  /**
   * Drops the indicators another process deleted whole (this process's own deletions are told);
   * one read at a time. An id that a version stored since has brought back stays: that version
   * is, or will be, read from the store in its turn.
   */
  #readDeletions(): Promise<void> {
    this.#readingDeletions ??= (async () => {
      for (;;) {
        const index = this.#index;
        const { deleted, back } = await intel.deletedSince(this.ctx, this.#deletionsRead, REBUILD_CHUNK);
        // A rebuild swapped the index meanwhile: it goes on from the deletions it knew of.
        if (index !== this.#index || this.#deletedDuringRebuild) return;
        // Records are numbered one after another: a gap is records pruned unread (a process idle
        // for a day), and the index is read from the store again.
        if (deleted.length > 0 && deleted[0]!.seq !== this.#deletionsRead + 1) {
          void this.rebuild().catch((error: unknown) => this.ctx.logger.error({ err: error }, 'rebuilding the detection index failed'));
          return;
        }
        for (const { seq, id } of deleted) {
          if (id.startsWith('indicator--') && !back.has(id)) index.remove(id);
          this.#deletionsRead = seq;
        }
        if (deleted.length < REBUILD_CHUNK) return;
        await nextTurn();
      }
    })().finally(() => (this.#readingDeletions = undefined));
    return this.#readingDeletions;
  }

  /** Adds what relationships and sightings stored after the last read are about to the context filter. */
  async #readContextRows(): Promise<void> {
    if (this.#contextReading) return;
    this.#contextReading = true;
    try {
      const from = this.#contextScanned;
      const highest = await intel.latestSeq(this.ctx);
      if (highest <= from) return;
      for (const type of CONTEXT_ROW_TYPES) {
        let after = from;
        for (;;) {
          const rows = await intel.scanAbout(this.ctx, [type], after, REBUILD_CHUNK * 4);
          for (const row of rows) if (row.about_ref !== null) this.context.add(row.about_ref, type);
          if (rows.length < REBUILD_CHUNK * 4) break;
          after = rows[rows.length - 1]!.seq;
          await nextTurn();
        }
      }
      this.#contextScanned = highest;
    } finally {
      this.#contextReading = false;
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
  #apply(row: StoredIndicator): void {
    const record = recordOfRow(row);
    if ('skip' in record) this.#index.remove(row.id);
    else if (!this.#index.upsert(record).indexed) this.#notIndexed++;
  }

  /** The first index has been built (ready() has resolved): a request need not wait for a turn of the event loop. */
  get built(): boolean {
    return this.#rebuiltAt !== null;
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
    // What was told and not applied yet is read from the store with the rest.
    this.#told.length = 0;
    // Deletions recorded from now on may be of rows this build reads: they are read after it.
    const deletions = await intel.latestDeletion(this.ctx);
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
      // A node rebuilds while it serves: its requests are read between chunks.
      await nextTurn();
    }
    for (const id of this.#deletedDuringRebuild) next.remove(id);
    // Made now, at its final size, rather than by the first bulk match.
    void next.filter;
    this.#deletedDuringRebuild = undefined;
    this.#index = next;
    this.#notIndexed = notIndexed;
    this.#scanned = Math.max(this.#scanned, after);
    this.#deletionsRead = Math.max(this.#deletionsRead, deletions);
    this.#rebuiltAt = this.ctx.clock.now();
    this.#rebuildMs = performance.now() - started;
    this.ctx.logger.info({ indicators: next.size, keys: next.keys, notIndexed, ms: Math.round(this.#rebuildMs) }, 'detection index built');
    this.#fillContext();
    // Rows stored while the store was read, after the last chunk, are read now.
    this.#newIndicators = true;
    await this.#flush();
  }

  #scheduleFlush(): void {
    if (this.#flushing || this.#deletedDuringRebuild) return;
    this.#flushing = nextTurn()
      .then(() => this.#flush())
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'updating the detection index failed'))
      .finally(() => {
        this.#flushing = undefined;
        if (this.#queue.length > 0 || this.#newIndicators) this.#scheduleFlush();
      });
  }

  /**
   * Applies what was announced: new indicators by reading the current rows above #scanned (each
   * row read once, whoever stored it: a late older version is not current, a revoked one is
   * removed), and what relationships and sightings announced without saying are about.
   */
  async #flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#newIndicators) {
      if (this.#newIndicators) {
        this.#newIndicators = false;
        // A read in progress may have begun before these rows were committed: one more after it.
        if (this.#scanning) await this.#scanning;
        await this.#scanNewRows();
      }
      const seqs = this.#queue.splice(0, 500);
      for (const row of await intel.rowsBySeq(this.ctx, seqs)) {
        if (row.about_ref !== null && !row.id.startsWith('indicator--')) this.context.add(row.about_ref, row.id.startsWith('sighting--') ? 'sighting' : 'relationship');
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
    while (this.#flushing || this.#draining || this.#told.length > 0 || this.#queue.length > 0 || this.#newIndicators) {
      if (this.#flushing) await this.#flushing;
      else if (this.#draining) await this.#draining;
      else if (this.#told.length > 0) this.#drain();
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
