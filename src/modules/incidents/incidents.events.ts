/** The incidents module's event on the node's bus (core/events.ts EventMap, by declaration merging). */
import type { IncidentChange } from './incidents.model.js';

declare module '../../core/events.js' {
  interface EventMap {
    /** An incident was reported, changed, or received from a peer node (after the write committed). */
    'incidents.changed': IncidentChange;
  }
}
