/** The scoring weights of this node: the configured ones (SHIELDWALL_INCIDENT_WEIGHTS), else the defaults. */
import type { AppContext } from '../../core/context.js';
import { DEFAULT_WEIGHTS, type ScoringWeights } from './incidents.scoring.js';

export function incidentWeights(ctx: AppContext): ScoringWeights {
  return ctx.config.incidentWeights ?? DEFAULT_WEIGHTS;
}
