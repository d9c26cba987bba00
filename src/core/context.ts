import type { Config } from '../config/config.js';
import type { Store } from '../db/database.js';
import type { PermissionTable } from '../policy/permissions.js';
import type { Clock } from './clock.js';
import type { EventBus } from './events.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { NodeState } from './state.js';

/** What every use case receives: the node's configuration and shared services. */
export interface AppContext {
  readonly config: Config;
  readonly store: Store;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** The roles' permissions, composed from every module's grants (src/modules/index.ts). */
  readonly permissions: PermissionTable;
  /** The modules' state for this node (core/state.ts): ctx.state.get(SLOT), created on first use. */
  readonly state: NodeState;
}
