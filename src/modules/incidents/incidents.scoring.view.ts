/** The scoring scheme as this node applies it (its weights), for the calculator and the reports. */
import type { AppContext } from '../../core/context.js';
import { describeScoring, SCORING_CATEGORIES, scoreIncident, type SeverityScore } from './incidents.scoring.js';
import { incidentWeights } from './incidents.weights.js';

export function scoringCatalogue(ctx: AppContext): ReturnType<typeof describeScoring> {
  return describeScoring(incidentWeights(ctx));
}

/** The score of some selections under this node's weights, storing nothing (400 naming bad selections). */
export function previewScore(ctx: AppContext, selections: Record<string, string>): SeverityScore {
  return scoreIncident(selections, incidentWeights(ctx));
}

/** Names of categories and options, as a report prints them. */
export function scoringNames(): { categoryName(key: string): string; optionLabel(category: string, option: string): string } {
  return {
    categoryName: (key) => SCORING_CATEGORIES.find((c) => c.key === key)?.name ?? key,
    optionLabel: (category, option) => SCORING_CATEGORIES.find((c) => c.key === category)?.options.find((o) => o.key === option)?.label ?? option,
  };
}
