/**
 * The contract every capability module fulfils: its index.ts exports one ModuleDefinition, and
 * the node (buildApp) and the command line iterate the one explicit list of them in
 * src/modules/index.ts. Adding a module touches its folder and that list only (docs/MODULES.md).
 *
 * A definition is light: names, grants and loaders. Everything heavy (routes, services, a store,
 * migrations) is imported only when used, so that `shieldwall --help` or a lookup against a
 * running node loads none of it.
 */
import type { Command } from 'commander';
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { DialectName } from '../db/database.js';
import type { PermissionGrant } from '../policy/permissions.js';
import type { AppContext } from './context.js';
import type { EventMap } from './events.js';
import type { JobHandler, JobKindOptions, JobScheduler } from './jobs.js';

/** What a command's file exports: it adds its command (and any sibling commands) to the program. */
export type Register = (program: Command) => void;

/** One command of the shieldwall command line. */
export interface CommandEntry {
  readonly name: string;
  /** The command as the top-level help lists it: name, [options], arguments. */
  readonly term: string;
  readonly description: string;
  /** The function of the command's file that defines it (and any sibling commands of that file). */
  load(): Promise<Register>;
}

/** A numbered migration: one file, applied once per store in name order. */
export interface Migration {
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

/** A module's migration: `name` is unique within the module (e.g. 0001_incidents); loaded when the store is migrated. */
export interface ModuleMigration {
  readonly name: string;
  load(): Promise<Migration>;
}

/** Listeners of the node's event bus, kept for the node's lifetime. */
export type EventHandlers = { readonly [K in keyof EventMap]?: (payload: EventMap[K]) => void };

/**
 * A kind of durable job a module runs (core/jobs.ts): the node's scheduler claims due jobs of
 * the kind (on PostgreSQL, each by exactly one process), retries failures with backoff and reruns
 * those a crash interrupted. The kind is named module.purpose; the module enqueues them through
 * the scheduler buildApp hands it (hooks.jobs).
 */
export interface ModuleJob {
  readonly kind: string;
  readonly handler: JobHandler;
  readonly options?: JobKindOptions;
}

/** What buildApp hands a module's routes besides the context. */
export interface NodeHooks {
  /** False while the node starts and once it shuts down. */
  isReady(): boolean;
  /** The routes of the node as registered so far (method, url, permission). */
  readonly routes: ReadonlyArray<{ method: string; url: string; permission: string }>;
  /** The node asks for client certificates (HTTPS with a CA): a presented one must verify. */
  readonly clientCertificates: boolean;
  /** The node's durable job scheduler: enqueue, runSoon, cancel jobs of the module's kinds. */
  readonly jobs: JobScheduler;
}

/** The parts of a module that run inside a node, loaded when the node is built. */
export interface ModuleServer<Instance = unknown> {
  /**
   * The module's state and services for one node (two nodes in one process share nothing), with
   * what the node hands every module (its job scheduler among them), before any route or event.
   */
  create(ctx: AppContext, hooks: NodeHooks): Instance;
  /**
   * Hooks and request decorations every route relies on (authentication): a plugin registered at
   * the node's root before any module's routes, unencapsulated (buildApp wraps it with
   * fastify-plugin), so that what it adds reaches every route.
   */
  root?(ctx: AppContext, instance: Instance, hooks: NodeHooks): FastifyPluginAsync;
  /** Its HTTP routes: a Fastify plugin, registered under prefix when one is given. */
  routes?(ctx: AppContext, instance: Instance, hooks: NodeHooks): FastifyPluginAsync;
  readonly prefix?: string;
  /** The kinds of durable job it runs, registered with the node's scheduler (started by the server). */
  jobs?(ctx: AppContext, instance: Instance): readonly ModuleJob[];
  /** Event subscriptions for the node's lifetime. */
  events?(ctx: AppContext, instance: Instance): EventHandlers;
  /** Called when the node closes (after the HTTP server stopped taking requests). */
  close?(ctx: AppContext, instance: Instance): Promise<void> | void;
}

export interface ModuleDefinition<Instance = unknown> {
  /** Lower-case name, the module's folder. */
  readonly name: string;
  /** What it does, in one line (docs/MODULES.md lists them). */
  readonly summary: string;
  /** The permissions it introduces, with the roles that hold them. */
  readonly permissions: readonly PermissionGrant[];
  /** Its migrations, in order. Tables of the foundation (stix_objects, members, ...) are in db/migrations. */
  readonly migrations?: readonly ModuleMigration[];
  /** Its commands on the shieldwall command line. */
  readonly commands?: readonly CommandEntry[];
  /** Its part in a running node: routes, state, subscriptions. */
  server?(): Promise<ModuleServer<Instance>>;
}

/** Declares a module; typed so that its server part's instance flows to routes and events. */
export function defineModule<Instance>(definition: ModuleDefinition<Instance>): ModuleDefinition<Instance> {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.name)) throw new Error(`module name '${definition.name}' must be lower case letters, digits and dashes`);
  return Object.freeze(definition);
}
