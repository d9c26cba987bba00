/** The assistance module's event on the node's bus (core/events.ts EventMap, by declaration merging). */
import type { AssistanceChange } from './assistance.model.js';

declare module '../../core/events.js' {
  interface EventMap {
    /** A request for assistance, an offer or a deployment changed, or a response clock went overdue (after the write committed). */
    'assistance.changed': AssistanceChange;
  }
}
