/**
 * Consultation and consensus as the API presents them: the response-options catalogue, the life
 * of consultations, proposals (with the silence procedure) and coordinated attribution
 * statements, and the one rule that decides a silence procedure. Pure types, constants and
 * functions: the service, the property tests and the web app (which imports this file) read
 * these. docs/DECISIONS.md tells the whole flow.
 */

// --- the response-options catalogue -------------------------------------------------------------

export const OPTION_FAMILIES = ['political-diplomatic', 'economic', 'cyber', 'military'] as const;
export type OptionFamily = (typeof OPTION_FAMILIES)[number];

/**
 * Collective responses a proposal draws on. The political, diplomatic and economic measures are
 * those of the EU's framework for a joint diplomatic response to malicious cyber activities (the
 * "cyber diplomacy toolbox", Council conclusions 10474/17, 2017) and of allied practice
 * (coordinated public attribution); military options stay national decisions: the alliance
 * consults on them, each member decides (`national_decision`).
 */
export const RESPONSE_OPTIONS: ReadonlyArray<{
  readonly key: string;
  readonly name: string;
  readonly family: OptionFamily;
  readonly national_decision: boolean;
  readonly description: string;
}> = Object.freeze([
  { key: 'demarche', name: 'Demarche', family: 'political-diplomatic', national_decision: false, description: 'A formal diplomatic representation to the state held responsible or harbouring the actor.' },
  { key: 'joint-statement', name: 'Joint statement', family: 'political-diplomatic', national_decision: false, description: 'A statement of concern or condemnation by the alliance or its members.' },
  { key: 'coordinated-attribution', name: 'Coordinated public attribution', family: 'political-diplomatic', national_decision: false, description: 'Members publicly name the actor together (see attribution statements).' },
  { key: 'expulsion-review', name: 'Review of diplomatic presence', family: 'political-diplomatic', national_decision: true, description: 'Each member reviews the accreditation of intelligence officers under diplomatic cover.' },
  { key: 'sanctions-referral', name: 'Sanctions referral', family: 'economic', national_decision: false, description: 'Refer persons and entities to the sanctions regimes of members and of the EU (restrictive measures against cyber-attacks).' },
  { key: 'export-controls', name: 'Export-control measures', family: 'economic', national_decision: true, description: 'Restrict exports of intrusion tools and dual-use items to the actor and its suppliers.' },
  { key: 'defensive-measures', name: 'Coordinated defensive measures', family: 'cyber', national_decision: false, description: 'Hardening, blocking and takedowns coordinated across members against the actor\'s infrastructure.' },
  { key: 'intelligence-sharing', name: 'Enhanced intelligence sharing', family: 'cyber', national_decision: false, description: 'Share indicators, tooling and tradecraft on the actor more widely and faster.' },
  { key: 'assistance', name: 'Mutual assistance', family: 'cyber', national_decision: false, description: 'Deploy rapid-reaction or national teams to the members hit (see mutual assistance).' },
  { key: 'capacity-building', name: 'Capacity building', family: 'cyber', national_decision: false, description: 'Training, exercises and tooling for the members and partners most exposed.' },
  { key: 'posture-adjustment', name: 'Defensive posture adjustment', family: 'military', national_decision: true, description: 'Raise the readiness of military cyber defence and of the networks of deployed forces.' },
  { key: 'cyber-operations', name: 'National cyber operations', family: 'military', national_decision: true, description: 'Operations in cyberspace decided and conducted by a member under its own law.' },
]);
export const RESPONSE_OPTION_KEYS: readonly string[] = Object.freeze(RESPONSE_OPTIONS.map((option) => option.key));

// --- consultations ------------------------------------------------------------------------------

export const SUBJECT_KINDS = ['actor', 'incident'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

export const CONSULTATION_STATUSES = ['open', 'closed'] as const;
export type ConsultationStatus = (typeof CONSULTATION_STATUSES)[number];

// --- proposals and the silence procedure --------------------------------------------------------

/**
 * A proposal's life: drafted in a consultation, circulated under silence with a deadline;
 * adopted at the deadline unless a member breaks silence before it (then it is back in
 * consultation, `returned`); amended (a new text version) in draft, returned or under silence (an
 * amendment under silence restarts it with a new deadline); withdrawn by its drafters while not
 * adopted. Adopted and withdrawn are final.
 */
export const PROPOSAL_STATUSES = ['draft', 'silence', 'returned', 'adopted', 'withdrawn'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];
export const PROPOSAL_TRANSITIONS: Readonly<Record<ProposalStatus, readonly ProposalStatus[]>> = Object.freeze({
  draft: ['silence', 'withdrawn'],
  silence: ['returned', 'adopted', 'silence', 'withdrawn'],
  returned: ['silence', 'withdrawn'],
  adopted: [],
  withdrawn: [],
});

/** The shortest and longest silence a proposal may be circulated under. */
export const SILENCE_MIN_MS = 60_000;
export const SILENCE_MAX_MS = 90 * 24 * 3600_000;

/** A member's break of silence: on which round, when, by whom, with what reason. */
export interface SilenceBreak {
  readonly round: number;
  readonly member: string;
  readonly by: string;
  readonly at: string;
  readonly reason: string;
  readonly version: number;
}

/**
 * The rule of the silence procedure, decided on the node's clock: a round circulated with a
 * deadline is adopted if and only if no member broke silence on that round strictly before the
 * deadline. A break at or after the deadline is refused when made; this rule ignores any such
 * break as well, so that an outcome depends only on what was stored before the deadline.
 */
export function silenceOutcome(deadline: string, round: number, breaks: readonly Pick<SilenceBreak, 'round' | 'at'>[]): 'adopted' | 'broken' {
  const end = Date.parse(deadline);
  return breaks.some((b) => b.round === round && Date.parse(b.at) < end) ? 'broken' : 'adopted';
}

/** May silence still be broken at this time? Strictly before the deadline. */
export function silenceOpen(deadline: string, at: Date): boolean {
  return at.getTime() < Date.parse(deadline);
}

export interface Handling {
  readonly tlp: string | null;
  readonly classification: string;
  readonly releasability: string[];
}

export interface HistoryEntry {
  readonly at: string;
  readonly by: string;
  readonly member: string | null;
  readonly action: string;
  readonly text: string | null;
}

export interface ConsultationEntry {
  readonly id: string;
  readonly at: string;
  readonly by: string;
  readonly member: string | null;
  /** A document's title; null for statements and minutes. */
  readonly title: string | null;
  readonly text: string;
}

export type ConsultationAction = 'statement' | 'document' | 'minutes' | 'propose' | 'close' | 'reopen';

export interface ConsultationSummary {
  readonly id: string;
  readonly title: string;
  readonly status: ConsultationStatus;
  readonly subject: { readonly kind: SubjectKind; readonly ref: string; readonly name: string | null };
  readonly requested_by: string | null;
  readonly participants: string[];
  readonly proposals: number;
  /** The nearest silence deadline of its proposals under silence, if any. */
  readonly silence_deadline: string | null;
  readonly version: number;
  readonly handling: Handling;
  readonly created: string;
  readonly modified: string;
}

export interface Consultation extends ConsultationSummary {
  readonly description: string | null;
  readonly statements: ConsultationEntry[];
  readonly documents: ConsultationEntry[];
  readonly minutes: ConsultationEntry[];
  readonly history: HistoryEntry[];
  readonly actions: ConsultationAction[];
  readonly proposal_list: ProposalSummary[];
}

export interface Amendment {
  readonly version: number;
  readonly at: string;
  readonly by: string;
  readonly member: string | null;
  readonly reason: string | null;
}

export interface Silence {
  readonly round: number;
  readonly version: number;
  readonly started_at: string;
  readonly deadline: string;
}

/** The immutable record of an adoption. */
export interface DecisionRecord {
  readonly id: string;
  readonly proposal_id: string;
  readonly consultation_id: string;
  readonly title: string;
  readonly text: string;
  /** SHA-256 of the adopted text (hex), so that a copy can be checked against the record. */
  readonly text_sha256: string;
  readonly options: string[];
  readonly proportionality: string | null;
  /** The text version adopted and the silence round it was adopted on. */
  readonly version: number;
  readonly round: number;
  readonly circulated_at: string;
  readonly deadline: string;
  readonly adopted_at: string;
  readonly participants: string[];
  readonly handling: Handling;
}

export type ProposalAction = 'circulate' | 'amend' | 'break' | 'withdraw';

export interface ProposalSummary {
  readonly id: string;
  readonly consultation_id: string;
  readonly title: string;
  readonly status: ProposalStatus;
  readonly options: string[];
  readonly text_version: number;
  readonly silence: Silence | null;
  readonly version: number;
  readonly modified: string;
  readonly handling: Handling;
}

export interface Proposal extends ProposalSummary {
  readonly text: string;
  readonly proportionality: string | null;
  readonly breaks: SilenceBreak[];
  readonly amendments: Amendment[];
  readonly decision: DecisionRecord | null;
  readonly history: HistoryEntry[];
  readonly actions: ProposalAction[];
  readonly created: string;
  /** The node's clock when it answered, so that a countdown need not trust the reader's clock. */
  readonly now: string;
}

// --- coordinated attribution statements ---------------------------------------------------------

export const STATEMENT_STATUSES = ['draft', 'published', 'cancelled'] as const;
export type StatementStatus = (typeof STATEMENT_STATUSES)[number];

export type StatementAction = 'join' | 'decline' | 'cancel';

export interface StatementResponse {
  readonly member: string;
  readonly by: string;
  readonly at: string;
  readonly reason: string | null;
}

export interface Statement {
  readonly id: string;
  readonly title: string;
  readonly text: string;
  readonly consultation_id: string | null;
  readonly actor: { readonly ref: string; readonly name: string | null };
  /** The state or threat actor the actor is attributed to, when the statement names one. */
  readonly attributed_to: { readonly ref: string; readonly name: string | null } | null;
  readonly confidence: number;
  readonly status: StatementStatus;
  readonly publish_at: string;
  readonly drafted_by: string | null;
  readonly invited: string[];
  readonly joined: StatementResponse[];
  readonly declined: StatementResponse[];
  /** Once published: when, and the STIX objects it was published as (a report and its relationships). */
  readonly published: { readonly at: string; readonly members: string[]; readonly report_id: string; readonly object_ids: string[] } | null;
  readonly actions: StatementAction[];
  readonly version: number;
  readonly handling: Handling;
  readonly created: string;
  readonly modified: string;
}

/** What the node announces on its bus when a consultation, proposal or statement changes. */
export interface DecisionsChange {
  readonly record: 'consultation' | 'proposal' | 'statement';
  readonly id: string;
  readonly consultation_id: string | null;
  readonly change: string;
  readonly title: string;
  readonly status: string;
  readonly modified: string;
}
