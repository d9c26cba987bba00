import { EventEmitter } from 'node:events';
import type { StixObjectsTable } from '../db/schema.js';

/**
 * A current indicator version as its writer stored it: the columns detection reads of it (the
 * intel store's CurrentRow has them too), so that a follower need not read it back.
 */
export type StoredIndicator = Pick<
  StixObjectsTable,
  'id' | 'revoked' | 'spec_version' | 'access_key' | 'created_by_ref' | 'pattern' | 'pattern_type' | 'pattern_version' | 'valid_from' | 'valid_until' | 'confidence' | 'granular'
>;

/** The events modules publish after their transaction commits. */
export interface EventMap {
  /**
   * Versions one write stored, in sequence order; with them, versions stored earlier that waited
   * for a marking-definition this write stored, moved to new sequences after its own (readable
   * now, they are added for their readers: see intel.repo trackPendingMarkings).
   * - `about`: what a relationship (source_ref) or sighting (sighting_of_ref) is about, when the
   *   publisher knows it.
   * - `indicator`: on an indicator version that became current, what it holds.
   * - `stored`: when the publisher knows it, the sequence range these versions fill alone: the
   *   store held nothing above `after` when they were written, and every version up to `last` is
   *   in `objects`. A follower that has read everything up to `after` has then read everything up
   *   to `last` once it has applied them.
   */
  'intel.added': {
    objects: Array<{ id: string; type: string; seq: number; about?: string | null; indicator?: StoredIndicator }>;
    stored?: { after: number; last: number };
  };
  /** Versions removed by a deletion (deletions are local: they are not shared with peers). */
  'intel.deleted': { id: string; type: string };
  /** The last bulk stream this node was ingesting ended (intel.ingest bulkIngests). */
  'intel.bulk-ended': Record<string, never>;
}

/**
 * A small typed in-process event bus. It does not cross processes: what another process on the
 * same store writes is found by reading the store (the detection index follows it by sequence,
 * see Detection.followStore; federation pushes from the store by cursor).
 */
export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(100);
  }

  publish<K extends keyof EventMap>(name: K, payload: EventMap[K]): void {
    this.#emitter.emit(name, payload);
  }

  subscribe<K extends keyof EventMap>(name: K, listener: (payload: EventMap[K]) => void): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }
}
