/** The decisions module's event on the node's bus (core/events.ts EventMap, by declaration merging). */
import type { DecisionsChange } from './decisions.model.js';

declare module '../../core/events.js' {
  interface EventMap {
    /** A consultation, proposal or attribution statement changed (after the write committed). */
    'decisions.changed': DecisionsChange;
  }
}
