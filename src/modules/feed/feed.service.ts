/**
 * The live feed: what is new in the store, for one reader, as it arrives. Every object goes
 * through the intel service's listing (the SQL pre-filter, policy canRead and redaction, reads
 * of classified objects audited), in date_added order, so a reader learns only what it may read
 * and a stream resumed after an event id misses nothing and repeats nothing. What each event
 * adds (the object's handling, whether it is new or a new version, whether detection reported
 * it, an incident's status and level) is read only for the objects the listing gave the reader.
 *
 * One Feed per node wakes its streams when this process stores objects (event intel.added) and,
 * while any stream is open, when the store's newest sequence moves (objects other processes
 * stored), read once a second for all streams together.
 */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { isObjectRecord } from '../../policy/markings.js';
import type { Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { INCIDENT_STATUSES, type IncidentStatus } from '../incidents/incidents.model.js';
import { SEVERITY_LEVELS } from '../incidents/incidents.scoring.js';
import { INCIDENT_EXTENSION_ID } from '../incidents/incidents.stix.js';
import type { Handling } from '../intel/intel.handling.js';
import * as intel from '../intel/intel.service.js';

/** Streams one user may hold open at once (tabs, devices). */
export const STREAMS_PER_USER = 4;
/** Streams the node holds open at once. */
export const STREAMS_PER_NODE = 256;
/** Objects read per query of a stream. */
const PAGE = 100;
/** How often the store's newest sequence is read while streams are open (ms). */
const POLL_MS = 1000;
/**
 * Streams are woken at most this often (ms): a bulk ingest publishes many batches a second, and
 * each wake costs every open stream a query; what arrives meanwhile is read by the next one.
 */
export const WAKE_EVERY_MS = 250;
/** A comment line is sent when nothing else was for this long, so that proxies keep the stream open (ms). */
export const KEEP_ALIVE_MS = 15_000;

/**
 * The property by which a sighting says that a node's detection reported it (a bulk match with
 * report_sightings): such a sighting, of a member of this node, is sent as a `match` event.
 */
export const DETECTION_PROPERTY = 'x_shieldwall_detection';

/** The effective markings of a stored object, as the intel listing shows them to the reader. */
export type { Handling };

/**
 * What an incident event says of the incident beyond the object, read from Shieldwall's incident
 * extension (STIX 2.1 section 7.3) as the reader sees the object; null where it says nothing
 * (an incident of another platform carries no such extension).
 */
export interface IncidentState {
  readonly status: IncidentStatus | null;
  /** 0 Baseline .. 5 Emergency. */
  readonly level: number | null;
  readonly level_name: string | null;
}

export interface FeedEvent {
  /** The object's date_added sequence: the event id a stream resumes after. */
  readonly id: number;
  /** match: a sighting this node's detection reported; sighting: any other sighting; incident: a STIX incident; intel: the rest. */
  readonly event: 'intel' | 'sighting' | 'match' | 'incident';
  readonly object: StixObject;
  /** Absent only when the object was deleted between the listing and the reading of its markings. */
  readonly handling?: Handling;
  /** updated: the reader may read an earlier version of the object; new otherwise. */
  readonly change: 'new' | 'updated';
  /** On incident events only. */
  readonly incident?: IncidentState;
}

/**
 * The status and severity level an incident object's extension gives, as the reader sees the
 * object: values outside the vocabularies are not passed on (a peer's object is input like any
 * other), and the level's name is the node's own for that level.
 */
export function incidentState(object: StixObject): IncidentState {
  const extensions = isObjectRecord(object.extensions) ? object.extensions : {};
  const extension = isObjectRecord(extensions[INCIDENT_EXTENSION_ID]) ? extensions[INCIDENT_EXTENSION_ID] : {};
  const status = (INCIDENT_STATUSES as readonly unknown[]).includes(extension.status) ? (extension.status as IncidentStatus) : null;
  const severity = isObjectRecord(extension.severity) ? extension.severity : {};
  const level = SEVERITY_LEVELS.find((l) => l.level === severity.level);
  return { status, level: level?.level ?? null, level_name: level?.name ?? null };
}

/** Ids per query of earlier versions. */
const VERSIONS_PAGE = 500;

function who(actor: Principal): string {
  return actor.userName !== null ? `user:${actor.userName}` : `${actor.kind}:${actor.name}`;
}

export class Feed {
  readonly #open = new Map<string, number>();
  #total = 0;
  #waiters = new Set<() => void>();
  #poll: NodeJS.Timeout | undefined;
  #seen = 0;
  #closed = false;
  #lastWake = 0;
  #wakeTimer: NodeJS.Timeout | undefined;
  readonly #unsubscribe: () => void;
  /** Quiet time after which a stream sends a keep-alive comment (ms). */
  keepAliveMs = KEEP_ALIVE_MS;

  /**
   * Counts the directory's changes in this process (a sign-out, a token revoked, a user changed):
   * a stream that sees it move checks its credentials again before it sends anything more.
   */
  credentialsEpoch = 0;

  constructor(private readonly ctx: AppContext) {
    const added = ctx.bus.subscribe('intel.added', () => this.#wake());
    const changed = ctx.bus.subscribe('directory.changed', () => {
      this.credentialsEpoch++;
      this.#wake();
    });
    this.#unsubscribe = () => {
      added();
      changed();
    };
  }

  /** Streams open now. */
  get open(): number {
    return this.#total;
  }

  /** Takes a place for a stream of this actor, or refuses (429) when it or the node holds too many. */
  admit(actor: Principal): () => void {
    if (this.#closed) throw shieldwallError('NOT_READY', 'the node is shutting down');
    const key = who(actor);
    const mine = this.#open.get(key) ?? 0;
    if (mine >= STREAMS_PER_USER) throw shieldwallError('TOO_MANY_STREAMS', `you hold ${mine} event streams open already, the most one user may: close one (a tab) and connect again`);
    if (this.#total >= STREAMS_PER_NODE) throw shieldwallError('TOO_MANY_STREAMS', `the node holds ${this.#total} event streams open, the most it serves: connect again later`);
    this.#open.set(key, mine + 1);
    this.#total++;
    this.#startPolling();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left === 0) this.#open.delete(key);
      else this.#open.set(key, left);
      this.#total--;
      if (this.#total === 0) this.#stopPolling();
    };
  }

  /** Where a new stream starts when it names no event to resume after: what arrives from now on. */
  start(): Promise<number> {
    return intel.latestSeq(this.ctx);
  }

  /**
   * The next objects after `after` the actor may read, and the sequence to ask after next time
   * (past objects it may not read too, without saying so).
   */
  async next(actor: Principal, after: number): Promise<{ events: FeedEvent[]; after: number; more: boolean }> {
    const page = await intel.listObjects(this.ctx, actor, { addedAfterMicros: after, limit: PAGE });
    const events = await this.#events(actor, page.objects, page.dateAdded, page.handling ?? {});
    return { events, after: page.lastSeq ?? after, more: page.next !== undefined };
  }

  /** The events of objects the listing gave the reader (as it may see them, with their handling), added at these sequences. */
  async #events(actor: Principal, objects: readonly StixObject[], seqs: readonly number[], handlingById: Readonly<Record<string, Handling>>): Promise<FeedEvent[]> {
    if (objects.length === 0) return [];
    const updated = await this.#updated(actor, objects);
    return objects.map((object, i) => {
      const handling = handlingById[object.id];
      // Whether detection reported it is read from the sighting as the reader sees it, of a member of this node.
      const detected = object.type === 'sighting' && object[DETECTION_PROPERTY] === true && (handling?.origin ?? null) !== null;
      const change = updated.has(object.id) ? 'updated' : 'new';
      if (object.type === 'incident') return { id: seqs[i]!, event: 'incident', object, ...(handling ? { handling } : {}), change, incident: incidentState(object) };
      const event = object.type !== 'sighting' ? 'intel' : detected ? 'match' : 'sighting';
      return { id: seqs[i]!, event, object, ...(handling ? { handling } : {}), change };
    });
  }

  /**
   * The ids of these objects of which the reader may read an earlier version (through the same
   * listing: an earlier version it may not read is not told of). Only a version modified after
   * it was created can have one: the others are not looked up.
   */
  async #updated(actor: Principal, objects: readonly StixObject[]): Promise<Set<string>> {
    const versionOf = new Map<string, string>();
    for (const object of objects) {
      if (typeof object.created !== 'string' || typeof object.modified !== 'string') continue;
      const version = intel.versionKey(object.modified);
      if (version > intel.versionKey(object.created)) versionOf.set(object.id, version);
    }
    const updated = new Set<string>();
    const ids = [...versionOf.keys()];
    for (let i = 0; i < ids.length; i += VERSIONS_PAGE) {
      let cursor: string | undefined;
      do {
        const page = await intel.listObjects(this.ctx, actor, { ids: ids.slice(i, i + VERSIONS_PAGE), versions: { first: true }, manifest: true, limit: VERSIONS_PAGE, ...(cursor ? { cursor } : {}) });
        for (const first of page.manifest ?? []) {
          if (first.version !== null && intel.versionKey(first.version) < versionOf.get(first.id)!) updated.add(first.id);
        }
        cursor = page.next;
      } while (cursor);
    }
    return updated;
  }

  /** Resolves when something may be new, or after timeoutMs (a keep-alive is due), or when the feed closes. */
  wait(timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.#waiters.add(done);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Ends every stream (at shutdown): their loops see closed and finish. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    this.#stopPolling();
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    this.#release();
  }

  /** Wakes the streams now, or at the end of the current WAKE_EVERY_MS window. */
  #wake(): void {
    if (this.#wakeTimer) return;
    const wait = this.#lastWake + WAKE_EVERY_MS - Date.now();
    if (wait <= 0) {
      this.#release();
      return;
    }
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#release();
    }, wait);
    this.#wakeTimer.unref();
  }

  #release(): void {
    this.#lastWake = Date.now();
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  #startPolling(): void {
    if (this.#poll) return;
    this.#poll = setInterval(() => {
      intel
        .latestSeq(this.ctx)
        .then((seq) => {
          if (seq > this.#seen) {
            this.#seen = seq;
            this.#wake();
          }
        })
        .catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'reading the newest sequence for the live feed failed'));
    }, POLL_MS);
    this.#poll.unref();
  }

  #stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = undefined;
  }
}
