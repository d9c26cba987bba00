/**
 * The severity of an incident, modelled on CISA's National Cyber Incident Scoring System (NCISS):
 * eight categories, one option chosen in each, every option a value in [0, 1]; the score is the
 * weighted arithmetic mean of the chosen values times 100, and the score maps to a level from
 * 0 Baseline to 5 Emergency. Pure: no I/O, no clock; the incidents service, the scoring preview
 * and the configuration (SHIELDWALL_INCIDENT_WEIGHTS) call it.
 *
 * Where NCISS publishes an option list (functional impact, information impact and recoverability
 * from CISA's Federal Incident Notification Guidelines, location of observed activity, observed
 * activity from the Cyber Threat Framework) we keep its options and order. For actor
 * characterization, cross-sector dependency and potential impact NCISS names the category but
 * publishes no options: the lists here are ours. The values and the default weights are ours
 * too (CISA does not publish its own). docs/INCIDENT-SCORING.md gives the reasoning and sources.
 */
import { shieldwallError } from '../../core/errors.js';

/** The categories in the order NCISS lists them; every score and listing follows this order. */
export const SCORING_CATEGORY_KEYS = Object.freeze([
  'functional_impact',
  'observed_activity',
  'location',
  'actor_characterization',
  'information_impact',
  'recoverability',
  'cross_sector_dependency',
  'potential_impact',
] as const);
export type ScoringCategoryKey = (typeof SCORING_CATEGORY_KEYS)[number];

export interface ScoringOption {
  /** Kebab-case, stable: what selections name. */
  readonly key: string;
  readonly label: string;
  readonly description: string;
  /** 0 (least severe) to 1 (most severe); never lower than the option before it. */
  readonly value: number;
}

export interface ScoringCategory {
  readonly key: ScoringCategoryKey;
  readonly name: string;
  readonly description: string;
  /** nciss: the options are NCISS's published list; shieldwall: NCISS publishes none, these are ours. */
  readonly options_from: 'nciss' | 'shieldwall';
  /** In order of severity, least severe first. */
  readonly options: readonly ScoringOption[];
}

export type ScoringWeights = Readonly<Record<ScoringCategoryKey, number>>;

export interface SeverityLevel {
  readonly level: number;
  readonly name: string;
  /** The lowest score (inclusive) at this level. */
  readonly min_score: number;
  /** The NCISS colour of the level. */
  readonly color: string;
  readonly description: string;
}

export interface ScoreContribution {
  category: ScoringCategoryKey;
  /** The option chosen; null when the category was not chosen (it then counts as value 0). */
  option: string | null;
  value: number;
  /** The category's weight as configured (not normalised). */
  weight: number;
  /** What the category adds to the score: weight × value × 100 / total weight, to 2 decimals. */
  points: number;
}

export interface SeverityScore {
  /** 0-100, one decimal. */
  score: number;
  level: number;
  level_name: string;
  /** Level SIGNIFICANT_LEVEL (High) or above. */
  significant: boolean;
  /** One per category, in SCORING_CATEGORY_KEYS order. */
  contributions: ScoreContribution[];
}

type OptionRow = readonly [key: string, label: string, description: string, value: number];

function category(key: ScoringCategoryKey, name: string, description: string, optionsFrom: ScoringCategory['options_from'], options: readonly OptionRow[]): ScoringCategory {
  return Object.freeze({
    key,
    name,
    description,
    options_from: optionsFrom,
    options: Object.freeze(options.map(([optionKey, label, optionDescription, value]) => Object.freeze({ key: optionKey, label, description: optionDescription, value }))),
  });
}

/**
 * The eight NCISS categories with their options, least severe first. Values rise with severity;
 * where NCISS lists an 'Unknown' option it sits where its value puts it (a cautious middle), so
 * that the order stays one of severity.
 */
export const SCORING_CATEGORIES: readonly ScoringCategory[] = Object.freeze([
  category('functional_impact', 'Functional impact', 'The impact on business functions or on the ability to provide services.', 'nciss', [
    ['no-impact', 'No Impact', 'The event has no impact.', 0],
    ['no-impact-to-services', 'No Impact to Services', 'No business or industrial control system service, and no delivery to customers, is affected.', 0.1],
    ['minimal-impact-to-non-critical-services', 'Minimal Impact to Non-Critical Services', 'A small impact on non-critical systems or services.', 0.2],
    ['minimal-impact-to-critical-services', 'Minimal Impact to Critical Services', 'A minimal impact on a critical system or service, such as email or the directory.', 0.35],
    ['significant-impact-to-non-critical-services', 'Significant Impact to Non-Critical Services', 'A non-critical system or service is significantly affected.', 0.5],
    ['denial-of-non-critical-services', 'Denial of Non-Critical Services', 'A non-critical system is unavailable or destroyed.', 0.6],
    ['significant-impact-to-critical-services', 'Significant Impact to Critical Services', 'A critical system is significantly affected, for instance a local administrative account is compromised.', 0.8],
    ['denial-of-critical-services', 'Denial of Critical Services/Loss of Control', 'A critical system is unavailable, or control of it is lost.', 1],
  ]),
  category('observed_activity', 'Observed activity', 'How far the actor has gone, in the stages of the Cyber Threat Framework.', 'nciss', [
    ['prepare', 'Prepare', 'The actor prepares: sets objectives, picks targets and means, develops capabilities (reconnaissance, staging).', 0.15],
    ['engage', 'Engage', 'The actor acts against a chosen target to gain access: delivery, exploitation attempts.', 0.4],
    ['presence', 'Presence', 'The actor has access and holds it: persistence, privilege escalation, lateral movement.', 0.7],
    ['effect', 'Effect', 'The actor has caused effects on systems, networks or data: denial, destruction, manipulation, theft.', 1],
  ]),
  category('location', 'Location of observed activity', 'Where in the network the activity was observed.', 'nciss', [
    ['unsuccessful', 'Level 0 - Unsuccessful', 'Existing defences repelled all the activity observed.', 0],
    ['business-dmz', 'Level 1 - Business DMZ', "The business network's demilitarised zone: systems exposed to the Internet.", 0.15],
    ['business-network', 'Level 2 - Business Network', 'The business or corporate network: user workstations, application servers, other non-core systems.', 0.3],
    ['business-network-management', 'Level 3 - Business Network Management', 'Business network management: administrators\' workstations, directory servers, other trust stores.', 0.45],
    ['unknown', 'Unknown', 'Activity was observed, but its network segment could not be told.', 0.5],
    ['critical-system-dmz', 'Level 4 - Critical System DMZ', 'The zone between the business network and a critical system network: internal services, jump hosts into critical systems.', 0.6],
    ['critical-system-management', 'Level 5 - Critical System Management', 'Management of critical systems, such as the human-machine interfaces of industrial control systems.', 0.75],
    ['critical-systems', 'Level 6 - Critical Systems', 'The systems that run critical processes, such as programmable logic controllers.', 0.9],
    ['safety-systems', 'Level 7 - Safety Systems', 'Systems that keep an environment safe, such as fire suppression.', 1],
  ]),
  category('actor_characterization', 'Actor characterization', 'Who is behind the incident, by intent and means (STIX 2.1 threat-actor-type-ov in brackets).', 'shieldwall', [
    ['none', 'No hostile actor', 'An accident, a fault or a mistake (insider-accidental).', 0],
    ['opportunistic', 'Opportunistic', 'Untargeted, low-skill activity: commodity malware, mass scanning, defacement (hacker, sensationalist, activist).', 0.2],
    ['criminal', 'Criminal', 'Financially motivated crime, ransomware operators included (criminal, crime-syndicate, competitor).', 0.4],
    ['unknown', 'Unknown', 'Hostile, but not characterised yet (unknown).', 0.5],
    ['hostile-insider', 'Hostile insider', 'Someone with legitimate access acting with hostile intent (insider-disgruntled).', 0.6],
    ['state-sponsored', 'State-sponsored', 'A nation-state or state-sponsored actor, or a terrorist group with comparable means, not known to aim at this target (nation-state, spy, terrorist).', 0.8],
    ['state-targeted', 'State-sponsored, targeted', 'A nation-state or state-sponsored actor aiming at this member, its sector or the alliance on purpose.', 1],
  ]),
  category('information_impact', 'Information impact', 'The kind of information lost, compromised or corrupted.', 'nciss', [
    ['no-impact', 'No Impact', 'No known impact on data.', 0],
    ['suspected-but-not-identified', 'Suspected but not Identified', 'A loss of data or of its availability is suspected, not confirmed.', 0.1],
    ['privacy-data-breach', 'Privacy Data Breach', 'Personal data (including health data) was disclosed.', 0.35],
    ['proprietary-information-breach', 'Proprietary Information Breach', 'Unclassified proprietary information was disclosed: protected infrastructure information, intellectual property, trade secrets.', 0.45],
    ['destruction-of-non-critical-systems', 'Destruction of Non-Critical Systems', 'Destructive techniques (a master boot record overwritten, a wiper) were used against a non-critical system.', 0.55],
    ['critical-systems-data-breach', 'Critical Systems Data Breach', 'Data about a critical system was exfiltrated.', 0.7],
    ['core-credential-compromise', 'Core Credential Compromise', 'Core credentials (domain or enterprise administrators) or credentials of critical systems were exfiltrated.', 0.85],
    ['destruction-of-critical-system', 'Destruction of Critical System', 'Destructive techniques were used against a critical system.', 1],
  ]),
  category('recoverability', 'Recoverability', 'The resources needed to recover from the incident.', 'nciss', [
    ['regular', 'Regular', 'Time to recovery is predictable with the resources at hand.', 0.1],
    ['supplemented', 'Supplemented', 'Time to recovery is predictable with additional resources.', 0.4],
    ['extended', 'Extended', 'Time to recovery is unpredictable; additional resources and outside help are needed.', 0.7],
    ['not-recoverable', 'Not Recoverable', 'Recovery is not possible (for instance, stolen data was published).', 1],
  ]),
  category('cross_sector_dependency', 'Cross-sector dependency', 'How much other sectors depend on the services of the affected entity.', 'shieldwall', [
    ['none', 'None', 'No other sector is known to depend on the affected services.', 0],
    ['limited', 'Limited', 'Some entities of other sectors depend on the affected services, but alternatives exist and a loss would not spread far.', 0.3],
    ['significant', 'Significant', 'Several sectors depend on the affected services and alternatives are slow or partial: a loss would spread.', 0.65],
    ['critical', 'Critical', 'Many sectors depend on the affected services with no ready alternative (energy, telecommunications, digital infrastructure): a loss would cascade.', 1],
  ]),
  category('potential_impact', 'Potential impact', 'What the incident could do at national or alliance level, given who the affected entity is, if it ran its course.', 'shieldwall', [
    ['minimal', 'Minimal', 'Even unchecked, public health or safety, security, the economy, foreign relations, civil liberties and public confidence would hardly be touched.', 0],
    ['low', 'Low', 'Unlikely to affect public health or safety, security, the economy, foreign relations, civil liberties or public confidence.', 0.25],
    ['moderate', 'Moderate', 'Could affect public health or safety, security, the economy, foreign relations, civil liberties or public confidence.', 0.5],
    ['high', 'High', 'Likely to have a demonstrable effect on public health or safety, security, the economy, foreign relations, civil liberties or public confidence.', 0.75],
    ['severe', 'Severe', 'Likely to harm public health or safety, national security or the economy significantly, or to threaten wide-scale critical services or lives.', 1],
  ]),
]);

const CATEGORY_BY_KEY: ReadonlyMap<string, ScoringCategory> = new Map(SCORING_CATEGORIES.map((c) => [c.key, c]));

/**
 * Ours (CISA's weights are not public): impact now and impact possible weigh most, who the actor
 * is weighs least because it is the most often guessed early on. docs/INCIDENT-SCORING.md
 * gives the reasoning for each.
 */
export const DEFAULT_WEIGHTS: ScoringWeights = Object.freeze({
  functional_impact: 5,
  observed_activity: 3,
  location: 3,
  actor_characterization: 2,
  information_impact: 4,
  recoverability: 3,
  cross_sector_dependency: 3,
  potential_impact: 5,
});

/** The NCISS priority levels (names and colours); the thresholds are ours. */
export const SEVERITY_LEVELS: readonly SeverityLevel[] = Object.freeze([
  { level: 0, name: 'Baseline', min_score: 0, color: 'white', description: 'Unsubstantiated or inconsequential.' },
  { level: 1, name: 'Low', min_score: 20, color: 'green', description: 'Unlikely to affect public health or safety, security, the economy, foreign relations, civil liberties or public confidence.' },
  { level: 2, name: 'Medium', min_score: 35, color: 'yellow', description: 'May affect public health or safety, security, the economy, foreign relations, civil liberties or public confidence.' },
  { level: 3, name: 'High', min_score: 50, color: 'orange', description: 'Likely to have a demonstrable impact on public health or safety, security, the economy, foreign relations, civil liberties or public confidence.' },
  { level: 4, name: 'Severe', min_score: 65, color: 'red', description: 'Likely to have a significant impact on public health or safety, national security, the economy, foreign relations or civil liberties.' },
  { level: 5, name: 'Emergency', min_score: 80, color: 'black', description: 'An imminent threat to wide-scale critical infrastructure services, government stability or lives.' },
].map((level) => Object.freeze(level)));

/** From this level up an incident is significant (the NCISS and PPD-41 line). */
export const SIGNIFICANT_LEVEL = 3;

/** The level a score falls in: the highest whose min_score it reaches. */
export function levelForScore(score: number): SeverityLevel {
  let found = SEVERITY_LEVELS[0]!;
  for (const level of SEVERITY_LEVELS) if (score >= level.min_score) found = level;
  return found;
}

function listOf(values: readonly string[]): string {
  return values.join(', ');
}

/** A problem of one selection: where (selections.<category>) and what is wrong. */
interface SelectionProblem {
  path: string;
  message: string;
}

function selectionProblems(selections: Readonly<Record<string, unknown>>): SelectionProblem[] {
  const problems: SelectionProblem[] = [];
  for (const [key, option] of Object.entries(selections)) {
    const path = `selections.${key}`;
    const known = CATEGORY_BY_KEY.get(key);
    if (!known) {
      problems.push({ path, message: `'${key}' is not a scoring category; the categories are ${listOf(SCORING_CATEGORY_KEYS)}` });
      continue;
    }
    const allowed = known.options.map((o) => o.key);
    if (typeof option !== 'string') {
      problems.push({ path, message: `expected an option key (a string) of ${known.name}, got ${option === null ? 'null' : typeof option}; choose one of ${listOf(allowed)}` });
    } else if (!allowed.includes(option)) {
      problems.push({ path, message: `'${option}' is not an option of ${known.name}; choose one of ${listOf(allowed)}` });
    }
  }
  return problems;
}

/**
 * What is wrong with a set of selections ({category key: option key}), one message per problem
 * naming the category and what is allowed; empty when they can be scored. A category left out
 * is allowed (it is not chosen).
 */
export function validateSelections(selections: Readonly<Record<string, unknown>>): string[] {
  return selectionProblems(selections).map((p) => `${p.path}: ${p.message}`);
}

/**
 * What is wrong with scoring weights ({category key: weight}); empty when they can be used.
 * A category left out keeps its default weight (DEFAULT_WEIGHTS), so the weights that result
 * must leave at least one category weighing more than 0.
 */
export function validateWeights(weights: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const [key, weight] of Object.entries(weights)) {
    if (!CATEGORY_BY_KEY.has(key)) {
      problems.push(`weights.${key}: '${key}' is not a scoring category; the categories are ${listOf(SCORING_CATEGORY_KEYS)}`);
    } else if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      problems.push(`weights.${key}: expected a finite number of 0 or more, got ${typeof weight === 'number' ? String(weight) : typeof weight}`);
    }
  }
  if (problems.length === 0 && Object.values(withDefaults(weights as Readonly<Record<string, number>>)).every((w) => w === 0)) {
    problems.push(`weights: every category weighs 0; give at least one of ${listOf(SCORING_CATEGORY_KEYS)} a weight above 0`);
  }
  return problems;
}

/** The weights of every category: these, and the defaults for the categories they leave out. */
function withDefaults(weights: Readonly<Record<string, number>>): ScoringWeights {
  const out = { ...DEFAULT_WEIGHTS } as Record<ScoringCategoryKey, number>;
  for (const key of SCORING_CATEGORY_KEYS) if (Object.hasOwn(weights, key)) out[key] = weights[key]!;
  return out;
}

const WEIGHT_NUMBER = /^\d+(\.\d+)?$/;

/**
 * A configuration value such as "functional_impact=3,observed_activity=2" to the weights of every
 * category (those not named keep their default). Every problem is named in the error.
 */
export function parseWeights(text: string): { weights: ScoringWeights } | { error: string } {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return { error: `no weights given; write category=weight pairs such as functional_impact=3,observed_activity=2 (categories: ${listOf(SCORING_CATEGORY_KEYS)})` };
  const problems: string[] = [];
  const given: Record<string, number> = {};
  for (const part of parts) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    const number = part.slice(at + 1).trim();
    if (at <= 0 || key === '') {
      problems.push(`'${part}' is not category=weight (e.g. functional_impact=3)`);
    } else if (!CATEGORY_BY_KEY.has(key)) {
      problems.push(`'${key}' is not a scoring category; the categories are ${listOf(SCORING_CATEGORY_KEYS)}`);
    } else if (Object.hasOwn(given, key)) {
      problems.push(`'${key}' is given twice; give each category once`);
    } else if (!WEIGHT_NUMBER.test(number)) {
      problems.push(`${key}: '${number}' is not a weight; write a number of 0 or more, such as 3 or 0.5`);
    } else {
      given[key] = Number(number);
    }
  }
  if (problems.length === 0) problems.push(...validateWeights(given));
  if (problems.length > 0) return { error: problems.join('; ') };
  return { weights: Object.freeze(withDefaults(given)) };
}

const round = (value: number, decimals: number): number => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};

/**
 * The severity of an incident from its selections ({category key: option key}) and weights
 * (defaults where left out). A category not chosen counts with its weight and value 0, below
 * every option, so that choosing an option, or a more severe one, never lowers the score.
 * Throws a 400 SW_BAD_REQUEST naming every bad selection, with details [{path, message}]
 * (call validateSelections to check first), and a RangeError for weights validateWeights
 * refuses (a configuration fault, not the caller's).
 */
export function scoreIncident(selections: Readonly<Record<string, string>>, weights: Readonly<Record<string, number>> = DEFAULT_WEIGHTS): SeverityScore {
  const problems = selectionProblems(selections);
  if (problems.length > 0) {
    throw shieldwallError('BAD_REQUEST', `Invalid severity selections: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  }
  const weightProblems = validateWeights(weights);
  if (weightProblems.length > 0) throw new RangeError(`Invalid scoring weights: ${weightProblems.join('; ')}`);
  const effective = withDefaults(weights);
  // Shares of the heaviest weight: the same mean, and no overflow for weights near Number.MAX_VALUE.
  const heaviest = Math.max(...SCORING_CATEGORY_KEYS.map((key) => effective[key]));
  let total = 0;
  let weighted = 0;
  const rows = SCORING_CATEGORIES.map((scored) => {
    const optionKey = Object.hasOwn(selections, scored.key) ? selections[scored.key] : undefined;
    const option = scored.options.find((o) => o.key === optionKey);
    const share = effective[scored.key] / heaviest;
    const value = option?.value ?? 0;
    total += share;
    weighted += share * value;
    return { category: scored.key, option: option?.key ?? null, value, weight: effective[scored.key], share };
  });
  const score = Math.min(100, round((100 * weighted) / total, 1));
  const level = levelForScore(score);
  return {
    score,
    level: level.level,
    level_name: level.name,
    significant: level.level >= SIGNIFICANT_LEVEL,
    contributions: rows.map(({ share, ...row }) => ({ ...row, points: round((100 * share * row.value) / total, 2) })),
  };
}

/** What GET /incidents/scoring answers: the categories with their weights, the levels. */
export function describeScoring(weights: Readonly<Record<string, number>> = DEFAULT_WEIGHTS): {
  categories: Array<Pick<ScoringCategory, 'key' | 'name' | 'description' | 'options_from' | 'options'> & { weight: number }>;
  levels: readonly SeverityLevel[];
  significant_level: number;
} {
  const effective = withDefaults(weights);
  return {
    categories: SCORING_CATEGORIES.map((c) => ({ key: c.key, name: c.name, description: c.description, options_from: c.options_from, weight: effective[c.key], options: c.options })),
    levels: SEVERITY_LEVELS,
    significant_level: SIGNIFICANT_LEVEL,
  };
}
