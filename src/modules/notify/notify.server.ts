/**
 * The notify module inside a running node: its routes, its three kinds of durable job (the
 * fan-out of an incident change, that of an assistance change, and each delivery), and its
 * subscriptions to incidents.changed and assistance.changed.
 */
import type { AppContext } from '../../core/context.js';
import type { JobScheduler } from '../../core/jobs.js';
import type { ModuleServer } from '../../core/module.js';
import type { AssistanceChange } from '../assistance/assistance.model.js';
import type { IncidentChange } from '../incidents/incidents.model.js';
import { notifyRoutes } from './notify.routes.js';
import * as service from './notify.service.js';

/** The module's state in one node: the scheduler its jobs are enqueued with, and the announcements under way. */
export class Notifier {
  readonly #announcing = new Set<Promise<void>>();

  constructor(
    private readonly ctx: AppContext,
    /** The node's durable job scheduler (buildApp hands it to every module at creation). */
    readonly jobs: JobScheduler,
  ) {}

  /** Stores the dispatch job of a change (the event bus does not wait: what fails is logged). */
  announce(change: IncidentChange): void {
    this.#track(
      (async () => service.announce(this.jobs, change))().catch((error: unknown) =>
        this.ctx.logger.error({ err: error, incident: change.id, version: change.version }, 'storing the notifications of an incident change failed; they are not sent'),
      ),
    );
  }

  /** Stores the dispatch job of an assistance change (as announce). */
  announceAssistance(change: AssistanceChange): void {
    this.#track(
      (async () => service.announceAssistance(this.jobs, change))().catch((error: unknown) =>
        this.ctx.logger.error({ err: error, record: change.record, id: change.id, change: change.change }, 'storing the notifications of an assistance change failed; they are not sent'),
      ),
    );
  }

  #track(storing: Promise<void>): void {
    const stored = storing.finally(() => this.#announcing.delete(stored));
    this.#announcing.add(stored);
  }

  /** Resolves once every change announced so far has its dispatch job stored. */
  async settled(): Promise<void> {
    while (this.#announcing.size > 0) await Promise.all([...this.#announcing]);
  }
}

export const notifyServer: ModuleServer<Notifier> = {
  create: (ctx, hooks) => new Notifier(ctx, hooks.jobs),
  routes: (ctx, notifier) => notifyRoutes(ctx, notifier.jobs),
  jobs: (ctx, notifier) => [
    { kind: service.DISPATCH_KIND, handler: async (payload) => service.dispatch(ctx, notifier.jobs, payload) },
    { kind: service.ASSISTANCE_DISPATCH_KIND, handler: async (payload) => service.dispatchAssistance(ctx, notifier.jobs, payload) },
    {
      kind: service.DELIVER_KIND,
      handler: async (payload, run) => service.deliver(ctx, payload, run),
      options: { maxAttempts: service.DELIVERY_MAX_ATTEMPTS, concurrency: service.DELIVERY_CONCURRENCY, groupOf: service.deliveryGroup, backoffMs: service.DELIVERY_BACKOFF, onFailure: (run, error, retryInMs) => service.deliveryFailed(ctx, run, error, retryInMs) },
    },
  ],
  events: (_ctx, notifier) => ({
    'incidents.changed': (change) => notifier.announce(change),
    'assistance.changed': (change) => notifier.announceAssistance(change),
  }),
  close: async (_ctx, notifier) => notifier.settled(),
};
