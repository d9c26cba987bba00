/**
 * Cumulative assessment per actor as the API presents it, and the formula that scores it. Pure:
 * the service, the benchmark, the tests and the web app (which imports this file) read these.
 * docs/ASSESSMENT.md states the formula with a worked example.
 *
 * The evidence is kept as daily buckets per actor (assessment.facts.ts): incidents (their
 * severity score times the confidence of their attribution), sightings of what is attributed to
 * the actor (times the attribution's confidence) and the intel attributed to it. A reader's total
 * is summed over the buckets it may read, so that two readers may see different totals; the answer
 * says what it is based on.
 */

/** The actors assessed: STIX 2.1 section 4 objects that name an adversary. */
export const ACTOR_TYPES = ['threat-actor', 'intrusion-set', 'campaign'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export function isActorRef(ref: string): boolean {
  return (ACTOR_TYPES as readonly string[]).includes(ref.slice(0, ref.indexOf('--')));
}

/**
 * Relationship types (STIX 2.1 section 4, each object's relationships) by which evidence is
 * attributed to an actor: an indicator `indicates`, malware or a campaign is `attributed-to` or
 * `uses`... read from the source's side: source (indicator, malware, tool, infrastructure,
 * attack-pattern, campaign, intrusion-set) -> actor.
 */
export const ATTRIBUTING_RELATIONSHIPS = ['indicates', 'attributed-to', 'uses', 'authored-by', 'controls', 'owns'] as const;

export const FACT_KINDS = ['incident', 'sighting', 'intel'] as const;
export type FactKind = (typeof FACT_KINDS)[number];

/** The windows an assessment is asked over, in days; a custom one is 1 to 3650 days. */
export const WINDOWS = [30, 90, 365] as const;
export const WINDOW_MAX_DAYS = 3650;

/**
 * The Schmitt factors (M. N. Schmitt, "Computer Network Attack and the Use of Force in
 * International Law", Columbia Journal of Transnational Law 37, 1999; Tallinn Manual 2.0, rule 69):
 * what assessors weigh when judging whether cyber operations amount to a use of force.
 */
export const SCHMITT_FACTORS: ReadonlyArray<{ readonly key: string; readonly name: string; readonly question: string }> = Object.freeze([
  { key: 'severity', name: 'Severity', question: 'How far do the consequences reach: harm to persons or property, their scope and duration?' },
  { key: 'immediacy', name: 'Immediacy', question: 'How soon after the operations did the consequences show?' },
  { key: 'directness', name: 'Directness', question: 'How directly did the operations cause the consequences?' },
  { key: 'invasiveness', name: 'Invasiveness', question: 'How far did the operations penetrate protected systems and the state\'s interests?' },
  { key: 'measurability', name: 'Measurability of effects', question: 'How far can the consequences be measured and identified?' },
  { key: 'military-character', name: 'Military character', question: 'How closely are the operations tied to military operations?' },
  { key: 'state-involvement', name: 'State involvement', question: 'How clearly is a state behind the operations?' },
  { key: 'presumptive-legality', name: 'Presumptive legality', question: 'How far are such acts unregulated or lawful in international law (higher: less so)?' },
]);
export const SCHMITT_FACTOR_KEYS: readonly string[] = Object.freeze(SCHMITT_FACTORS.map((factor) => factor.key));
/** An assessor's rating of a factor: 0 none, 1 low, 2 moderate, 3 high, 4 very high. */
export const RATINGS = ['none', 'low', 'moderate', 'high', 'very-high'] as const;

/** The constants of the formula (docs/ASSESSMENT.md). */
export const FORMULA = Object.freeze({
  /** Evidence loses half its weight every this many days. */
  halfLifeDays: 90,
  /** An incident without a severity score counts as if scored this (0-100). */
  unscoredIncident: 20,
  /** Sightings and intel count on a logarithmic scale: k * log2(1 + weighted count). */
  sightingFactor: 10,
  intelFactor: 5,
  /** Breadth: 1 + memberStep * (members - 1) + sectorStep * critical sectors, at most breadthMax. */
  memberStep: 0.15,
  sectorStep: 0.1,
  breadthMax: 3,
});

/** Thresholds of the escalations; the node's configuration may move them (SHIELDWALL_ASSESSMENT_THRESHOLDS). */
export interface Thresholds {
  readonly consultation: number;
  readonly council: number;
}
export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze({ consultation: 250, council: 600 });

/** SHIELDWALL_ASSESSMENT_THRESHOLDS: 'consultation=250,council=600' (either may be left out). */
export function parseThresholds(raw: string): Thresholds {
  const out = { ...DEFAULT_THRESHOLDS };
  for (const part of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const match = /^(consultation|council)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!match) throw new Error(`'${part.slice(0, 60)}' is not consultation=N or council=N`);
    out[match[1] as keyof Thresholds] = Number(match[2]);
  }
  if (!(out.consultation > 0) || !(out.council > out.consultation)) throw new Error(`the council threshold (${out.council}) must be above the consultation threshold (${out.consultation}), both above 0`);
  return out;
}

export const ESCALATIONS = ['none', 'consultation', 'council'] as const;
export type Escalation = (typeof ESCALATIONS)[number];
export const ESCALATION_TEXT: Readonly<Record<Escalation, string>> = Object.freeze({
  none: 'below the thresholds',
  consultation: 'significant: consider consultation',
  council: "for the council's case-by-case consideration",
});

/** One bucket of evidence as the formula reads it. */
export interface Fact {
  readonly kind: FactKind;
  /** YYYY-MM-DD (UTC). */
  readonly day: string;
  /** Member code (or the identity, for evidence from elsewhere) the evidence concerns. */
  readonly member: string;
  /** Critical sectors it touched (incidents). */
  readonly sectors: readonly string[];
  readonly count: number;
  /** Incidents: severity score x confidence/100, summed; sightings: count x confidence/100; intel: confidence/100. */
  readonly weight: number;
}

export interface ScoreParts {
  readonly incidents: number;
  readonly sightings: number;
  readonly intel: number;
  readonly base: number;
  readonly breadth: number;
  readonly members: string[];
  readonly sectors: string[];
  readonly score: number;
  readonly counts: { readonly incidents: number; readonly sightings: number; readonly intel: number };
}

const DAY_MS = 86_400_000;

export function dayOf(at: Date | string): string {
  return (typeof at === 'string' ? at : at.toISOString()).slice(0, 10);
}

/** Days from a bucket's day to the end of the window (0 on the last day). */
function ageDays(day: string, end: Date): number {
  return Math.max(0, Math.floor((end.getTime() - Date.parse(`${day}T00:00:00.000Z`)) / DAY_MS));
}

export function decay(age: number, halfLifeDays: number = FORMULA.halfLifeDays): number {
  return 0.5 ** (age / halfLifeDays);
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/**
 * The cumulative score of the facts within [end - days, end]:
 *   I = sum of incident weights, each times 0.5^(age / halfLife)
 *   S = sightingFactor * log2(1 + decayed sighting weight)
 *   T = intelFactor * log2(1 + decayed intel weight)
 *   breadth = min(breadthMax, 1 + memberStep * (members - 1) + sectorStep * critical sectors)
 *   score = (I + S + T) * breadth
 */
export function scoreOf(facts: Iterable<Fact>, end: Date, days: number): ScoreParts {
  const from = dayOf(new Date(end.getTime() - days * DAY_MS));
  const last = dayOf(end);
  let incidents = 0;
  let sightings = 0;
  let intel = 0;
  const counts = { incidents: 0, sightings: 0, intel: 0 };
  const members = new Set<string>();
  const sectors = new Set<string>();
  for (const fact of facts) {
    if (fact.day <= from || fact.day > last || fact.count === 0) continue;
    const weight = fact.weight * decay(ageDays(fact.day, end));
    if (fact.kind === 'incident') {
      incidents += weight;
      counts.incidents += fact.count;
      for (const sector of fact.sectors) sectors.add(sector);
    } else if (fact.kind === 'sighting') {
      sightings += weight;
      counts.sightings += fact.count;
    } else {
      intel += weight;
      counts.intel += fact.count;
    }
    if (fact.kind !== 'intel') members.add(fact.member);
  }
  return combineParts({ incidents, sightings, intel }, [...members].sort(), [...sectors].sort(), counts);
}

/**
 * The formula's last step, from the decayed sums of each kind, the members and the critical
 * sectors (sorted): what scoreOf ends with, and what the service's day-summed evidence ends with.
 */
export function combineParts(
  decayed: { incidents: number; sightings: number; intel: number },
  members: string[],
  sectors: string[],
  counts: ScoreParts['counts'],
): ScoreParts {
  const sightingPart = FORMULA.sightingFactor * Math.log2(1 + Math.max(0, decayed.sightings));
  const intelPart = FORMULA.intelFactor * Math.log2(1 + Math.max(0, decayed.intel));
  const base = Math.max(0, decayed.incidents) + sightingPart + intelPart;
  const breadth = Math.min(FORMULA.breadthMax, 1 + FORMULA.memberStep * Math.max(0, members.length - 1) + FORMULA.sectorStep * sectors.length);
  return {
    incidents: round1(decayed.incidents),
    sightings: round1(sightingPart),
    intel: round1(intelPart),
    base: round1(base),
    breadth: Math.round(breadth * 100) / 100,
    members,
    sectors,
    score: round1(base * breadth),
    counts,
  };
}

export function escalationOf(score: number, thresholds: Thresholds): Escalation {
  if (score >= thresholds.council) return 'council';
  if (score >= thresholds.consultation) return 'consultation';
  return 'none';
}

/** Rising when the second half of the window holds more than 1.25 times the weight of the first, falling under 0.8 times. */
export function trendOf(facts: readonly Fact[], end: Date, days: number): { direction: 'rising' | 'steady' | 'falling'; recent: number; earlier: number } {
  const middle = dayOf(new Date(end.getTime() - (days / 2) * DAY_MS));
  const from = dayOf(new Date(end.getTime() - days * DAY_MS));
  let recent = 0;
  let earlier = 0;
  for (const fact of facts) {
    if (fact.day <= from || fact.day > dayOf(end)) continue;
    const weight = fact.kind === 'incident' ? fact.weight : fact.kind === 'sighting' ? fact.weight * 0.1 : fact.weight * 0.05;
    if (fact.day > middle) recent += weight;
    else earlier += weight;
  }
  const direction = recent > earlier * 1.25 ? 'rising' : recent < earlier * 0.8 ? 'falling' : 'steady';
  return { direction, recent: round1(recent), earlier: round1(earlier) };
}

export interface Contribution {
  readonly incident_id: string;
  readonly title: string;
  readonly member: string;
  readonly day: string;
  readonly severity_score: number | null;
  readonly level: number | null;
  readonly confidence: number;
  /** Its weight in the score today: severity x confidence x decay x breadth. */
  readonly points: number;
  /** The actor it is attributed to (the assessed actor, or one attributed to it). */
  readonly via: string;
}

export interface SchmittInput {
  readonly id: string;
  readonly factor: string;
  readonly rating: (typeof RATINGS)[number];
  readonly rationale: string;
  readonly assessor: string;
  readonly member: string | null;
  readonly at: string;
  readonly handling: { readonly tlp: string | null; readonly classification: string; readonly releasability: string[] };
}

export interface Assessment {
  readonly actor: { readonly ref: string; readonly type: string; readonly name: string | null };
  /** Actors attributed to this one whose evidence counts here (an intrusion set's campaigns, a threat actor's intrusion sets). */
  readonly includes: Array<{ readonly ref: string; readonly name: string | null; readonly confidence: number }>;
  readonly window: { readonly days: number; readonly from: string; readonly to: string };
  readonly score: number;
  readonly parts: ScoreParts;
  readonly trend: ReturnType<typeof trendOf>;
  readonly escalation: Escalation;
  readonly escalation_text: string;
  readonly thresholds: Thresholds;
  /** When the score (as this reader sees it) first reached each threshold within the series, if it did. */
  readonly crossed: { readonly consultation: string | null; readonly council: string | null };
  readonly series: Array<{ readonly day: string; readonly score: number }>;
  readonly contributions: Contribution[];
  readonly by_member: Array<{ readonly member: string; readonly incidents: number; readonly sightings: number }>;
  readonly schmitt: SchmittInput[];
  /** What the answer is based on: what this reader may read, and what it may not. */
  readonly basis: { readonly readable_buckets: number; readonly withheld_buckets: number; readonly as_of: string; readonly note: string };
  readonly recommendation: string;
}

export interface ActorSummary {
  readonly ref: string;
  readonly type: string;
  readonly name: string | null;
  readonly score: number;
  readonly escalation: Escalation;
  readonly incidents: number;
  readonly sightings: number;
  readonly members: number;
}
