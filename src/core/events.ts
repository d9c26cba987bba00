import { EventEmitter } from 'node:events';

/** The events modules publish after their transaction commits. */
export interface EventMap {
  /** `about`: what a relationship (source_ref) or sighting (sighting_of_ref) is about, when the publisher knows it. */
  'intel.added': { objects: Array<{ id: string; type: string; seq: number; about?: string | null }> };
  /** Versions removed by a deletion (deletions are local: they are not shared with peers). */
  'intel.deleted': { id: string; type: string };
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
