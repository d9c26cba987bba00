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
 *
 * Changes of mutual assistance (event assistance.changed) come from the bus, not the store: each
 * is queued for the open streams whose reader holds assistance:read and may read the changed
 * record (canReadRecord), in a bounded queue per stream, and sent live, without an event id (a
 * stream resumed later does not get them again: the assistance board tells what it missed).
 */
import { Places, shareKey } from '../../core/inflight.js';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { isObjectRecord } from '../../policy/markings.js';
import type { Principal } from '../../policy/principal.js';
import { canReadRecord } from '../../policy/record.js';
import type { StixObject } from '../../stix/types.js';
import { handlingOfAccess, hearsOfChange, type AssistanceChange, type Handling as AssistanceHandling } from '../assistance/assistance.model.js';
import { INCIDENT_STATUSES, type IncidentStatus } from '../incidents/incidents.model.js';
import { SEVERITY_LEVELS } from '../incidents/incidents.scoring.js';
import { INCIDENT_EXTENSION_ID } from '../incidents/incidents.stix.js';
import type { Handling } from '../intel/intel.handling.js';
import * as intel from '../intel/intel.service.js';

/** Streams one user may hold open at once (tabs, devices). */
export const STREAMS_PER_USER = 4;
/** Streams the node holds open at once. */
export const STREAMS_PER_NODE = 256;
/**
 * Streams the users of one member (a peer, or a user of no member, by itself: core/inflight's
 * shareKey) hold open at once: a quarter of the node's, so that one member's many users (or the
 * users a member's administrator made for it) cannot take every place and leave the other
 * members' analysts without live updates.
 */
export const STREAMS_PER_MEMBER = STREAMS_PER_NODE / 4;
/** Objects read per query of a stream. */
const PAGE = 100;
/**
 * Characters of object bodies a stream's page holds at most (the first object is always given):
 * a stream holds its page while a slow reader takes it, and a member may open 64 streams. Without
 * it one page was up to 100 objects of 8 MB: four streams of an analyst that stopped reading held
 * 123 MiB each of 40 objects of 3 MiB.
 */
export const PAGE_CHARS = 1024 * 1024;
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

/** The permission a reader needs, beyond reading the record, to hear of changes of mutual assistance (the assistance module declares it). */
export const ASSISTANCE_PERMISSION = 'assistance:read';
/** Assistance changes queued for one stream at most: beyond, the oldest are dropped and the stream is told so once (assistance-gap). */
export const ASSISTANCE_QUEUE_MAX = 1000;

/**
 * An `assistance` event's data: the change as the assistance module announced it, without its
 * access (who may know of it is the node's business), with its handling as the assistance board
 * shows it (TLP, classification by name, releasability).
 */
export interface AssistanceFeedEvent {
  readonly record: AssistanceChange['record'];
  readonly id: string;
  readonly request_id: string;
  readonly incident_id: string;
  readonly change: AssistanceChange['change'];
  readonly title: string;
  readonly status: string;
  readonly urgency: AssistanceChange['urgency'];
  readonly milestone?: AssistanceChange['milestone'];
  readonly requesting_member: string | null;
  readonly modified: string;
  readonly handling: AssistanceHandling;
}

/** The data of an assistance change's event, for a reader that may read the record. */
export function assistanceEvent(change: AssistanceChange): AssistanceFeedEvent {
  return {
    record: change.record,
    id: change.id,
    request_id: change.request_id,
    incident_id: change.incident_id,
    change: change.change,
    title: change.title,
    status: change.status,
    urgency: change.urgency,
    ...(change.milestone !== undefined ? { milestone: change.milestone } : {}),
    requesting_member: change.requesting_member,
    modified: change.modified,
    handling: handlingOfAccess(change.access),
  };
}

/**
 * The assistance changes waiting for one stream, in the order they came: at most
 * ASSISTANCE_QUEUE_MAX (the oldest dropped beyond, and that noted). The stream reads its reader
 * through `reader`, so that a clearance or role changed since it opened applies.
 */
export class AssistanceInbox {
  #changes: AssistanceChange[] = [];
  #overflowed = false;
  #ready: (() => void) | undefined;

  constructor(readonly reader: () => Principal) {}

  get pending(): boolean {
    return this.#changes.length > 0 || this.#overflowed;
  }

  offer(change: AssistanceChange): void {
    this.#changes.push(change);
    if (this.#changes.length > ASSISTANCE_QUEUE_MAX) {
      this.#changes.splice(0, this.#changes.length - ASSISTANCE_QUEUE_MAX);
      this.#overflowed = true;
    }
    this.#ready?.();
  }

  /** What waits, and whether some was dropped; the inbox is then empty. */
  take(): { changes: AssistanceChange[]; overflowed: boolean } {
    const taken = { changes: this.#changes, overflowed: this.#overflowed };
    this.#changes = [];
    this.#overflowed = false;
    return taken;
  }

  /** Called when a change is offered (the stream's wait), until it is set again or cleared. */
  onReady(wake: (() => void) | undefined): void {
    this.#ready = wake;
  }
}

function who(actor: Principal): string {
  return actor.userName !== null ? `user:${actor.userName}` : `${actor.kind}:${actor.name}`;
}

export class Feed {
  /** Streams open by user, and by share (member). */
  readonly #byUser = new Places(STREAMS_PER_USER);
  readonly #byShare = new Places(STREAMS_PER_MEMBER);
  #total = 0;
  #waiters = new Set<() => void>();
  readonly #inboxes = new Set<AssistanceInbox>();
  #poll: NodeJS.Timeout | undefined;
  #seen = 0;
  #closed = false;
  #lastWake = 0;
  #wakeTimer: NodeJS.Timeout | undefined;
  readonly #unsubscribe: () => void;
  /**
   * Quiet time after which a stream sends a keep-alive comment (ms): within half the node's idle
   * bound, so that a quiet stream whose reader is there is never closed as idle.
   */
  keepAliveMs: number;

  /**
   * Counts the directory's changes in this process (a sign-out, a token revoked, a user changed):
   * a stream that sees it move checks its credentials again before it sends anything more.
   */
  credentialsEpoch = 0;

  constructor(private readonly ctx: AppContext) {
    this.keepAliveMs = Math.min(KEEP_ALIVE_MS, Math.floor(ctx.config.httpIdleMs / 2));
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
    const user = who(actor);
    const mine = this.#byUser.held(user);
    if (mine >= STREAMS_PER_USER) throw shieldwallError('TOO_MANY_STREAMS', `you hold ${mine} event streams open already, the most one user may: close one (a tab) and connect again`);
    const share = shareKey(actor);
    const ours = this.#byShare.held(share);
    if (ours >= STREAMS_PER_MEMBER) throw shieldwallError('TOO_MANY_STREAMS', `the users of your member hold ${ours} event streams open, the most one member may (a quarter of the node's ${STREAMS_PER_NODE}): close some and connect again`);
    if (this.#total >= STREAMS_PER_NODE) throw shieldwallError('TOO_MANY_STREAMS', `the node holds ${this.#total} event streams open, the most it serves: connect again later`);
    // Both have room: checked above.
    const releaseUser = this.#byUser.take(user)!;
    const releaseShare = this.#byShare.take(share)!;
    this.#total++;
    this.#startPolling();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      releaseUser();
      releaseShare();
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
    const page = await intel.listObjects(this.ctx, actor, { addedAfterMicros: after, limit: PAGE, maxChars: PAGE_CHARS });
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

  /**
   * Does this reader hear of a change of mutual assistance? It holds assistance:read (none does
   * on a node whose modules declare no such permission), the one rule lets it read the changed
   * record, and the change is for such readers (hearsOfChange: some are for those who see the
   * whole request).
   */
  mayHearOfAssistance(reader: Principal, change: AssistanceChange): boolean {
    const { permissions } = this.ctx;
    return permissions.isKnown(ASSISTANCE_PERMISSION) && permissions.has(reader, ASSISTANCE_PERMISSION) && canReadRecord(reader, change.access) &&
      hearsOfChange(reader, change, (who, permission) => permissions.has(who, permission));
  }

  /** An inbox of assistance changes for a stream opening; close it with closeInbox. */
  openInbox(reader: () => Principal): AssistanceInbox {
    const inbox = new AssistanceInbox(reader);
    if (!this.#closed) this.#inboxes.add(inbox);
    return inbox;
  }

  closeInbox(inbox: AssistanceInbox): void {
    inbox.onReady(undefined);
    this.#inboxes.delete(inbox);
  }

  /** An assistance change (event assistance.changed): queued for each open stream whose reader may hear of it, waking that stream. */
  assistanceChanged(change: AssistanceChange): void {
    for (const inbox of this.#inboxes) {
      if (this.mayHearOfAssistance(inbox.reader(), change)) inbox.offer(change);
    }
  }

  /**
   * Resolves when something may be new, or after timeoutMs (a keep-alive is due), or when the
   * feed closes; at once when the stream's inbox holds assistance changes, and when one comes.
   */
  wait(timeoutMs: number, inbox?: AssistanceInbox): Promise<void> {
    if (this.#closed || inbox?.pending) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        inbox?.onReady(undefined);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.#waiters.add(done);
      inbox?.onReady(done);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Ends every stream (at shutdown): their loops see closed and finish. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    this.#inboxes.clear();
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
