/** The log formats module's definition (core/module.ts; docs/MODULES.md). */
import { defineModule } from '../../core/module.js';

export const logformatsModule = defineModule({
  name: 'logformats',
  summary: "streaming readers of members' logs (NDJSON/ECS, CSV, Zeek, Suricata EVE, plain values): records to typed observable values",
  permissions: [],
});
