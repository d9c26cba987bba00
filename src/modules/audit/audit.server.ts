/** The audit module inside a running node: counted refusals and the last checkpoint are written at close. */
import type { ModuleServer } from '../../core/module.js';
import { closeAudit } from './audit.service.js';

export const auditServer: ModuleServer<void> = {
  create: () => undefined,
  close: (ctx) => closeAudit(ctx),
};
