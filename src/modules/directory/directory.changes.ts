/** How the directory changes: who administers the node, and every change audited in its own transaction. */
import type { AppContext } from '../../core/context.js';
import { writeTransaction, type WriteTx } from '../../db/database.js';
import type { Principal } from '../../policy/principal.js';
import * as audit from '../audit/audit.service.js';
import { forgetCredentials } from './directory.authentication.js';

declare module '../../core/events.js' {
  interface EventMap {
    /** The directory changed (users, members, tokens, peers, sessions): what was authenticated before may no longer be. */
    'directory.changed': Record<string, never>;
  }
}

export function isNodeAdministrator(actor: Principal): boolean {
  return actor.kind === 'system' || actor.roles.includes('node-admin');
}

/**
 * Runs a directory change and its audit record in one write transaction. Every change of users,
 * members, groups, tokens and peers passes here, so credentials remembered by this process are
 * forgotten as the change commits.
 */
export async function audited<T>(ctx: AppContext, actor: Principal, event: audit.AuditEvent | ((result: T) => audit.AuditEvent[]), change: (db: WriteTx['db']) => Promise<T>): Promise<T> {
  try {
    return await writeTransaction(ctx.store, async (tx) => {
      const result = await change(tx.db);
      await audit.recordInTransaction(ctx, tx, actor, typeof event === 'function' ? event(result) : [event]);
      return result;
    });
  } finally {
    forgetCredentials(ctx);
    ctx.bus.publish('directory.changed', {});
  }
}
