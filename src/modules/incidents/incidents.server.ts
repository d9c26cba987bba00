/** The incidents module inside a running node: its routes, and incidents arriving as STIX read into the board. */
import type { AppContext } from '../../core/context.js';
import type { ModuleServer } from '../../core/module.js';
import { incidentsRoutes } from './incidents.routes.js';
import * as service from './incidents.service.js';

interface Receiver {
  /** The chain of receptions: one at a time, in arrival order. */
  chain: Promise<void>;
}

function enqueue(ctx: AppContext, receiver: Receiver, work: () => Promise<unknown>): void {
  receiver.chain = receiver.chain.then(work).then(
    () => undefined,
    (error: unknown) => ctx.logger.error({ err: error }, 'incidents: an incident received as STIX could not be read into the board'),
  );
}

export const incidentsServer: ModuleServer<Receiver> = {
  create: () => ({ chain: Promise.resolve() }),
  routes: (ctx) => incidentsRoutes(ctx),
  events: (ctx, receiver) => ({
    'intel.added': ({ objects }) => {
      const incidents = objects.filter((object) => object.type === 'incident');
      if (incidents.length > 0) enqueue(ctx, receiver, () => service.receiveStix(ctx, incidents));
    },
    'intel.deleted': ({ id, type }) => {
      if (type === 'incident') enqueue(ctx, receiver, () => service.forgetReceived(ctx, id));
    },
  }),
  close: async (_ctx, receiver) => {
    await receiver.chain;
  },
};
