/**
 * Properties of the silence procedure (decisions.service.ts) on both engines, on the node's
 * clock (a fixed clock the tests move):
 *
 * 1. A proposal circulated with a deadline is adopted if and only if no member broke silence
 *    strictly before the deadline. Each run drafts a proposal and applies random actions by
 *    random users: circulate, break (before, at or after the deadline), amend (under silence it
 *    restarts: a new round and deadline), withdraw, moves of the clock (to just before, exactly
 *    at and just after the deadline), resolveSilence for the round under silence and for stale
 *    and future rounds, the node's due jobs. After each step the stored proposal equals a small
 *    model (status, round, deadline, silence, text, breaks, version), a refused action changed
 *    nothing and was refused with the model's code, and a decision record exists exactly when the
 *    proposal is adopted, holding the text circulated in its last round. The second property
 *    makes two actions at once now and then (two users acting at the same moment): the stored
 *    result is that of the two in one order or the other. At the end of each run the audit holds
 *    one entry per change and one adoption at most.
 * 2. A restart never changes an outcome: deadlines that passed while no node ran are resolved by
 *    the next node (its start schedules them, also those circulated from a command line), and a
 *    proposal broken before the restart stays returned.
 * 3. A second node on the same store never changes an outcome: both run the deadline (or call
 *    resolveSilence at once): one decision record, one 'decisions.adopt' entry; a break racing
 *    the deadline on two nodes whose clocks differ by a millisecond ends as silenceOutcome of
 *    what was stored. On PostgreSQL the second node has its own connections (the store's
 *    advisory writer lock decides); on SQLite both share the one writer.
 *
 * The decision record cannot be updated, deleted or written twice: the store refuses it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { buildApp, createContext, type Node } from '../../app.js';
import { loadConfig } from '../../config/config.js';
import type { AppContext } from '../../core/context.js';
import { fixedClock, type Clock } from '../../core/clock.js';
import { ShieldwallError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { openStore, type Store } from '../../db/database.js';
import { createTestStore, DIALECTS, dialectSkip, POSTGRES_URL } from '../../../test/support/dialects.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS, waitFor } from '../../../test/support/wait.js';
import { SYSTEM_PRINCIPAL, type Principal, type Role } from '../../policy/principal.js';
import { createUser, principalOfUser, upsertMembers } from '../directory/directory.service.js';
import { SILENCE_MAX_MS, SILENCE_MIN_MS, silenceOutcome, type DecisionRecord, type ProposalStatus, type Silence, type SilenceBreak } from './decisions.model.js';
import * as repo from './decisions.repo.js';
import * as service from './decisions.service.js';

const START = new Date('2026-12-01T09:00:00.000Z');
const HOUR = 3_600_000;
const RUNS = 40;
const CONCURRENT_RUNS = 40;
const MAX_ACTIONS = 25;
const RACES = 16;

// --- the node's people -----------------------------------------------------------------------------

/**
 * Estonia requests the consultation and drafts (ada); Estonia's coordinator (fred) chairs for
 * the convening member and so steers too; France and Poland are consulted, Poland's member
 * administrator (pia, no chair) breaks silence but does not steer; Germany is not consulted (the
 * consultation is addressed to the three); Estonia's analyst takes part in nothing.
 */
const USERS = {
  ada: { member: 'EST', roles: ['political-delegate'] as Role[] },
  fred: { member: 'EST', roles: ['coordinator'] as Role[] },
  pia: { member: 'POL', roles: ['member-admin'] as Role[] },
  dirk: { member: 'DEU', roles: ['political-delegate'] as Role[] },
  ana: { member: 'EST', roles: ['analyst'] as Role[] },
} as const;
type UserName = keyof typeof USERS;

async function people(ctx: AppContext): Promise<Map<UserName, Principal>> {
  await upsertMembers(ctx, SYSTEM_PRINCIPAL, [
    { code: 'EST', name: 'Estonia', kind: 'ally', country: 'EE', identityId: null },
    { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: null },
    { code: 'POL', name: 'Poland', kind: 'ally', country: 'PL', identityId: null },
    { code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: null },
  ]);
  const principals = new Map<UserName, Principal>();
  for (const [name, user] of Object.entries(USERS) as Array<[UserName, (typeof USERS)[UserName]]>) {
    await createUser(ctx, SYSTEM_PRINCIPAL, { name, member: user.member, clearance: 2, roles: user.roles });
    const principal = await principalOfUser(ctx, name);
    assert.ok(principal, `user ${name}`);
    principals.set(name, principal);
  }
  return principals;
}

/** A consultation of Estonia's with France and Poland, and a draft proposal in it. */
async function draft(ctx: AppContext, ada: Principal, label: string): Promise<{ consultation: string; proposal: string; text: string }> {
  const consultation = await service.requestConsultation(ctx, ada, {
    title: `Wiper campaign against grid operators (${label})`,
    subject: { kind: 'actor', ref: `intrusion-set--${randomUUID()}` },
    participants: ['FRA', 'POL'],
    tlp: 'amber',
    releasability: ['ALLIANCE'],
  });
  const text = `The alliance calls on the state concerned to stop the campaign (${label}).`;
  const proposal = await service.propose(ctx, ada, consultation.id, { title: `Demarche (${label})`, text, options: ['demarche', 'joint-statement'] });
  return { consultation: consultation.id, proposal: proposal.id, text };
}

/** A length of silence as the API takes it: as silence_hours (from the change's stamp), or as a deadline (from the clock). */
function silenceInput(ctx: AppContext, length: number, hours: boolean): { deadline: string } | { silence_hours: number } {
  return hours ? { silence_hours: length / HOUR } : { deadline: new Date(ctx.clock.now().getTime() + length).toISOString() };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function isRefusal(error: unknown): error is ShieldwallError {
  return error instanceof ShieldwallError && error.status >= 400 && error.status < 500;
}

interface StoredDocument {
  text: string;
  text_version: number;
  silence: Silence | null;
  breaks: SilenceBreak[];
  decision_id: string | null;
}

interface Stored {
  row: repo.ProposalRow;
  document: StoredDocument;
  record: repo.DecisionRecordRow | undefined;
}

async function storedOf(ctx: AppContext, id: string): Promise<Stored> {
  const row = await repo.findProposal(ctx.store.db, id);
  assert.ok(row, `proposal ${id} is stored`);
  return { row, document: JSON.parse(row.document) as StoredDocument, record: await repo.decisionRecordOf(ctx.store.db, id) };
}

async function auditOf(ctx: AppContext, subject: string): Promise<string[]> {
  const rows = await ctx.store.db.selectFrom('audit_log').select('action').where('subject', '=', subject).orderBy('seq').execute();
  return rows.map((row) => row.action);
}

async function recordsOf(ctx: AppContext, proposal: string): Promise<number> {
  const rows = await ctx.store.db.selectFrom('decision_records').select('id').where('proposal_id', '=', proposal).execute();
  return rows.length;
}

// --- the model ---------------------------------------------------------------------------------------

interface ModelSilence {
  round: number;
  version: number;
  started_at: number;
  deadline: number;
}

interface Model {
  status: ProposalStatus;
  round: number;
  /** The deadline column: set while under silence. */
  deadline: number | null;
  /** The last silence (kept after it ended). */
  silence: ModelSilence | null;
  /** Every text version, the first at index 0. */
  texts: string[];
  breaks: Array<{ round: number; member: string; at: number; version: number }>;
  version: number;
  modified: number;
  audit: string[];
}

const textOf = (model: Model): string => model.texts[model.texts.length - 1]!;

/** An action on the store, with what it depends on settled (the version given, the round asked for). */
type StoreAction =
  | { kind: 'circulate'; who: UserName; length: number; hours: boolean; version: number | undefined }
  | { kind: 'break'; who: UserName; version: number | undefined }
  | { kind: 'amend'; who: UserName; length: number | 'default'; hours: boolean; version: number | undefined; text: string }
  | { kind: 'withdraw'; who: UserName; version: number | undefined }
  | { kind: 'resolve'; round: number }
  | { kind: 'jobs' };

type Expected = { refused: string; model: Model } | { refused?: undefined; model: Model };

/** Who may steer (circulate, amend, withdraw) and who may break, in the order the service checks. */
function gate(who: UserName, steering: boolean): string | undefined {
  if (who === 'ana') return 'SW_FORBIDDEN';
  if (who === 'dirk') return 'SW_NOT_FOUND';
  if (steering && who === 'pia') return 'SW_FORBIDDEN';
  return undefined;
}

const validLength = (length: number): boolean => length >= SILENCE_MIN_MS && length <= SILENCE_MAX_MS;
const open = (model: Model, now: number): boolean => model.status === 'silence' && now < model.silence!.deadline;

/** The least a later round of silence lasts: the last round's length, or a day when that was longer. */
const floorOf = (silence: { started_at: number; deadline: number }): number => Math.min(silence.deadline - silence.started_at, service.LATER_ROUND_FLOOR_MS);

/** What the action should do at `now`, on the model: the refusal's code, or the next state. */
function apply(model: Model, action: StoreAction, now: number): Expected {
  const refuse = (code: string): Expected => ({ refused: code, model });
  const stale = (version: number | undefined): boolean => version !== undefined && version !== model.version;
  const changed = (next: Partial<Model>, at: number, audit: string): Expected => ({
    model: { ...model, ...next, version: model.version + 1, modified: Math.max(at, model.modified), audit: [...model.audit, audit] },
  });
  const adopt = (): Expected => changed({ status: 'adopted', deadline: null }, now, 'decisions.adopt');
  // Circulation and amendment stamp their change a millisecond after the last one when the clock
  // has not moved; silence starts then, and a length in hours counts from then.
  const stamp = Math.max(now, model.modified + 1);
  const end = (length: number, hours: boolean): number => (hours ? stamp : now) + length;
  switch (action.kind) {
    case 'circulate': {
      const deadline = end(action.length, action.hours);
      const refusal = gate(action.who, true) ?? (validLength(deadline - stamp) ? undefined : 'SW_BAD_REQUEST') ?? (stale(action.version) ? 'SW_STALE_VERSION' : undefined);
      if (refusal) return refuse(refusal);
      if (model.status !== 'draft' && model.status !== 'returned') return refuse('SW_INVALID_TRANSITION');
      // A returned proposal goes back under silence for no less than its last round (within a minute).
      if (model.silence && deadline - stamp < floorOf(model.silence) - 60_000) return refuse('SW_BAD_REQUEST');
      const silence = { round: model.round + 1, version: model.texts.length, started_at: stamp, deadline };
      return changed({ status: 'silence', round: silence.round, deadline: silence.deadline, silence }, stamp, 'decisions.proposal.circulate');
    }
    case 'break': {
      const refusal = gate(action.who, false) ?? (stale(action.version) ? 'SW_STALE_VERSION' : undefined);
      if (refusal) return refuse(refusal);
      if (model.status !== 'silence') return refuse('SW_INVALID_TRANSITION');
      if (!open(model, now)) return refuse('SW_CONFLICT');
      const entry = { round: model.silence!.round, member: USERS[action.who].member, at: now, version: model.texts.length };
      return changed({ status: 'returned', deadline: null, breaks: [...model.breaks, entry] }, now, 'decisions.proposal.break');
    }
    case 'amend': {
      const gated = gate(action.who, true);
      if (gated) return refuse(gated);
      const restart = model.status === 'silence';
      let deadline = 0;
      if (restart) {
        // By default as long as the last silence, and never shorter.
        const last = model.silence!.deadline - model.silence!.started_at;
        deadline = action.length === 'default' ? stamp + last : end(action.length, action.hours);
        if (!validLength(deadline - stamp) || deadline - stamp < floorOf(model.silence!) - 60_000) return refuse('SW_BAD_REQUEST');
      }
      if (stale(action.version)) return refuse('SW_STALE_VERSION');
      if (model.status === 'adopted' || model.status === 'withdrawn') return refuse('SW_INVALID_TRANSITION');
      if (restart && !open(model, now)) return refuse('SW_CONFLICT');
      const texts = [...model.texts, action.text];
      if (!restart) return changed({ texts }, stamp, 'decisions.proposal.amend');
      const silence = { round: model.round + 1, version: texts.length, started_at: stamp, deadline };
      return changed({ texts, round: silence.round, deadline: silence.deadline, silence }, stamp, 'decisions.proposal.amend');
    }
    case 'withdraw': {
      const refusal = gate(action.who, true) ?? (stale(action.version) ? 'SW_STALE_VERSION' : undefined);
      if (refusal) return refuse(refusal);
      if (model.status === 'adopted' || model.status === 'withdrawn') return refuse('SW_INVALID_TRANSITION');
      if (model.status === 'silence' && !open(model, now)) return refuse('SW_CONFLICT');
      return changed({ status: 'withdrawn', deadline: null }, now, 'decisions.proposal.withdraw');
    }
    case 'resolve':
      // Only the round under silence is decided, and only once its deadline is reached.
      return model.status === 'silence' && action.round === model.round && !open(model, now) ? adopt() : { model };
    case 'jobs':
      return model.status === 'silence' && !open(model, now) ? adopt() : { model };
  }
}

/** Does the stored proposal hold what the model says? `exact`: its timestamps too. */
function checkModel(stored: Stored, model: Model, where: string, exact: boolean): void {
  const { row, document, record } = stored;
  assert.equal(row.status, model.status, `${where}: status`);
  assert.equal(row.round, model.round, `${where}: round`);
  assert.equal(row.deadline, iso(model.deadline), `${where}: deadline`);
  assert.equal(row.version, model.version, `${where}: version`);
  assert.equal(document.text, textOf(model), `${where}: text`);
  assert.equal(document.text_version, model.texts.length, `${where}: text version`);
  assert.deepEqual(
    document.silence && { round: document.silence.round, version: document.silence.version, deadline: document.silence.deadline, ...(exact ? { started_at: document.silence.started_at } : {}) },
    model.silence && { round: model.silence.round, version: model.silence.version, deadline: iso(model.silence.deadline), ...(exact ? { started_at: iso(model.silence.started_at) } : {}) },
    `${where}: silence`,
  );
  assert.deepEqual(
    document.breaks.map((b) => ({ round: b.round, member: b.member, at: b.at, version: b.version })),
    model.breaks.map((b) => ({ ...b, at: iso(b.at) })),
    `${where}: breaks`,
  );
  if (exact) assert.equal(row.modified, iso(model.modified), `${where}: modified`);

  // The rule itself, on what was stored: the last round adopted iff no break on it strictly before its deadline.
  const silence = document.silence;
  if (row.status === 'adopted' || row.status === 'returned') {
    assert.ok(silence, `${where}: ${row.status} without a silence`);
    assert.equal(silenceOutcome(silence.deadline, silence.round, document.breaks), row.status === 'adopted' ? 'adopted' : 'broken', `${where}: ${row.status} as the rule says`);
  }
  if (row.status === 'adopted') {
    assert.ok(record, `${where}: adopted without a decision record`);
    const decision = JSON.parse(record.document) as DecisionRecord;
    assert.equal(document.decision_id, record.id, `${where}: the proposal names its record`);
    assert.equal(decision.proposal_id, row.id);
    assert.equal(decision.round, silence!.round, `${where}: the record's round`);
    assert.equal(decision.version, silence!.version, `${where}: the record's text version`);
    assert.equal(decision.text, model.texts[silence!.version - 1], `${where}: the record holds the text circulated in the last round`);
    assert.equal(decision.text_sha256, record.text_sha256);
    assert.equal(decision.deadline, silence!.deadline, `${where}: the record's deadline`);
    assert.equal(decision.circulated_at, silence!.started_at, `${where}: the record's start of silence`);
    assert.ok(decision.adopted_at >= decision.deadline, `${where}: adopted at ${decision.adopted_at}, before the deadline ${decision.deadline}`);
  } else {
    assert.equal(record, undefined, `${where}: a decision record for a proposal ${row.status}`);
    assert.equal(document.decision_id, null, `${where}: a decision named by a proposal ${row.status}`);
  }
}

// --- actions as generated ------------------------------------------------------------------------------

type VersionChoice = 'current' | 'stale' | 'none';
type Step =
  | { kind: 'advance'; ms: number }
  | { kind: 'approach'; offset: -1 | 0 | 1 }
  | { kind: 'circulate'; who: UserName; length: number; version: VersionChoice; deadline?: true }
  | { kind: 'break'; who: UserName; version: VersionChoice }
  | { kind: 'amend'; who: UserName; length: number | 'default'; version: VersionChoice; deadline?: true }
  | { kind: 'withdraw'; who: UserName; version: VersionChoice }
  | { kind: 'resolve'; round: -1 | 0 | 1 }
  | { kind: 'jobs' };
type StoreStep = Exclude<Step, { kind: 'advance' | 'approach' }>;

const steerer = fc.constantFrom<UserName>('ada', 'ada', 'fred', 'fred', 'ada', 'fred', 'pia', 'dirk', 'ana');
const breaker = fc.constantFrom<UserName>('ada', 'fred', 'pia', 'pia', 'fred', 'pia', 'dirk', 'ana');
const versionChoice = fc.constantFrom<VersionChoice>('none', 'none', 'current', 'current', 'stale');
const length = fc.constantFrom(SILENCE_MIN_MS, SILENCE_MIN_MS, 90_000, HOUR, 2 * HOUR, SILENCE_MIN_MS - 1, SILENCE_MAX_MS + 1);

const storeStepArb: fc.Arbitrary<StoreStep> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('circulate' as const), who: steerer, length, version: versionChoice }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('break' as const), who: breaker, version: versionChoice }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('amend' as const), who: steerer, length: fc.oneof(length, fc.constant('default' as const)), version: versionChoice }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), who: steerer, version: versionChoice }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('resolve' as const), round: fc.constantFrom<-1 | 0 | 1>(0, 0, -1, 1) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'jobs' as const }) },
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: storeStepArb },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(0, 1, 999, 30_000, 59_999, 60_000, HOUR) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('approach' as const), offset: fc.constantFrom<-1 | 0 | 1>(-1, 0, 1) }) },
);
/**
 * A pair acts at once: each stamps its change from the state it read, a millisecond earlier than
 * it would after the other. So silence is given by deadline, with lengths a millisecond does not
 * make valid or invalid, and amendments give theirs (a default one depends on which went first).
 */
const atOnce = (length: number | 'default'): number => (length === 'default' || length === SILENCE_MIN_MS ? 90_000 : length > SILENCE_MAX_MS ? SILENCE_MAX_MS + HOUR : length);
const pairStepArb: fc.Arbitrary<readonly [StoreStep, StoreStep]> = fc.tuple(storeStepArb, storeStepArb).map(
  (pair) => pair.map((step) => (step.kind === 'amend' || step.kind === 'circulate' ? { ...step, length: atOnce(step.length), deadline: true as const } : step)) as unknown as readonly [StoreStep, StoreStep],
);

// --- the suites ----------------------------------------------------------------------------------------

for (const dialect of DIALECTS) {
  describe(`the silence procedure under random actions (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    /** A second node of the same store; its clock differs from the first's by `skew` ms. */
    let other: Node;
    let otherStore: Store | undefined;
    let skew = 0;
    const clock = fixedClock(START);
    const skewed: Clock = { now: () => new Date(clock.now().getTime() + skew) };
    let principals: Map<UserName, Principal>;
    const principal = (name: UserName): Principal => principals.get(name)!;
    let texts = 0;

    before(async () => {
      node = await createTestNode(dialect, {}, undefined, clock);
      principals = await people(node.ctx);
      // PostgreSQL: connections of its own, as another process has; SQLite: the one writer.
      otherStore = dialect === 'postgres' ? openStore(POSTGRES_URL, { schema: node.testStore.schema! }) : undefined;
      other = await buildApp({ config: node.ctx.config, store: otherStore ?? node.ctx.store, logger: false, clock: skewed });
    });

    after(async () => {
      await other?.app.close();
      await otherStore?.close();
      await node?.close();
    });

    /** Settles a generated action on the model's state: the version it gives, the round it asks for. */
    function settle(step: StoreStep, model: Model): StoreAction {
      const version = (choice: VersionChoice): number | undefined => (choice === 'none' ? undefined : choice === 'current' ? model.version : model.version + (model.version > 1 ? -1 : 1));
      switch (step.kind) {
        case 'circulate':
          return { kind: 'circulate', who: step.who, length: step.length, hours: !step.deadline && step.length % HOUR === 0, version: version(step.version) };
        case 'break':
        case 'withdraw':
          return { ...step, version: version(step.version) };
        case 'amend':
          return {
            kind: 'amend', who: step.who, length: step.length, hours: !step.deadline && step.length !== 'default' && step.length % HOUR === 0, version: version(step.version),
            text: `Amended text ${++texts}: the alliance also refers those responsible to the sanctions regimes.`,
          };
        case 'resolve':
          return { kind: 'resolve', round: Math.max(0, model.round + step.round) };
        case 'jobs':
          return step;
      }
    }

    function describeAction(action: StoreAction): string {
      switch (action.kind) {
        case 'circulate':
          return `${action.who} circulates (${action.length} ms${action.hours ? ' in hours' : ''}, version ${String(action.version)})`;
        case 'break':
          return `${action.who} breaks (version ${String(action.version)})`;
        case 'amend':
          return `${action.who} amends (${String(action.length)}${action.hours ? ' in hours' : ''}, version ${String(action.version)})`;
        case 'withdraw':
          return `${action.who} withdraws (version ${String(action.version)})`;
        case 'resolve':
          return `resolve round ${action.round}`;
        case 'jobs':
          return 'due jobs run';
      }
    }

    /** Does the action on the node; the refusal's code, or undefined when it was done. */
    async function perform(id: string, action: StoreAction): Promise<{ refused?: string; resolved?: Awaited<ReturnType<typeof service.resolveSilence>> }> {
      const ctx = node.ctx;
      const version = 'version' in action && action.version !== undefined ? { version: action.version } : {};
      try {
        switch (action.kind) {
          case 'circulate':
            await service.circulate(ctx, principal(action.who), id, { ...silenceInput(ctx, action.length, action.hours), ...version });
            return {};
          case 'break':
            await service.breakSilence(ctx, principal(action.who), id, { reason: 'Our parliament must be consulted first.', ...version });
            return {};
          case 'amend':
            await service.amend(ctx, principal(action.who), id, { text: action.text, reason: 'Wording agreed with France', ...(action.length === 'default' ? {} : silenceInput(ctx, action.length, action.hours)), ...version });
            return {};
          case 'withdraw':
            await service.withdraw(ctx, principal(action.who), id, { reason: 'Overtaken by events', ...version });
            return {};
          case 'resolve':
            return { resolved: await service.resolveSilence(ctx, id, action.round) };
          case 'jobs':
            await node.jobs.runDue();
            return {};
        }
      } catch (error) {
        if (!isRefusal(error)) throw error;
        return { refused: error.code };
      }
    }

    /** Drafts a proposal and applies the steps, checking the stored state against the model after each. */
    async function scenario(run: number, steps: ReadonlyArray<Step | readonly [StoreStep, StoreStep]>): Promise<void> {
      const drafted = await draft(node.ctx, principal('ada'), `run ${run}`);
      const id = drafted.proposal;
      const first = await storedOf(node.ctx, id);
      let model: Model = {
        status: 'draft', round: 0, deadline: null, silence: null, texts: [drafted.text], breaks: [], version: first.row.version, modified: Date.parse(first.row.modified), audit: ['decisions.proposal.draft'],
      };
      checkModel(first, model, `run ${run}, drafted`, true);
      const trail: string[] = [];
      for (const step of steps) {
        const now = clock.now().getTime();
        if (!Array.isArray(step)) {
          const single = step as Step;
          if (single.kind === 'advance' || single.kind === 'approach') {
            const target = single.kind === 'advance' ? now + single.ms : model.silence ? model.silence.deadline + single.offset : now;
            if (target > now) clock.advance(target - now);
            trail.push(`clock ${single.kind === 'advance' ? `+${single.ms}` : `to deadline${single.offset === 0 ? '' : single.offset > 0 ? '+1' : '-1'}`} (${iso(clock.now().getTime())})`);
            continue;
          }
          const action = settle(single, model);
          const expected = apply(model, action, now);
          const before = await storedOf(node.ctx, id);
          const outcome = await perform(id, action);
          trail.push(`${describeAction(action)}${outcome.refused ? ` [${outcome.refused}]` : ''}`);
          const where = `run ${run}: ${trail.join(' > ')}`;
          const after = await storedOf(node.ctx, id);
          assert.equal(outcome.refused, expected.refused, `${where}: refused with the model's code`);
          if (outcome.refused) assert.deepEqual(after, before, `${where}: refused (${outcome.refused}) yet something changed`);
          if (action.kind === 'resolve') {
            const waits = model.status === 'silence' && action.round === model.round && open(model, now);
            assert.deepEqual(outcome.resolved, waits ? { next: new Date(model.silence!.deadline) } : undefined, `${where}: a deadline not reached is run again at the deadline`);
          }
          checkModel(after, expected.model, where, true);
          model = expected.model;
        } else {
          const [a, b] = (step as readonly [StoreStep, StoreStep]).map((s) => settle(s, model)) as [StoreAction, StoreAction];
          const outcomes = await Promise.all([perform(id, a), perform(id, b)]);
          trail.push(`at once (${describeAction(a)}${outcomes[0].refused ? ` [${outcomes[0].refused}]` : ''} | ${describeAction(b)}${outcomes[1].refused ? ` [${outcomes[1].refused}]` : ''})`);
          const where = `run ${run}: ${trail.join(' > ')}`;
          const after = await storedOf(node.ctx, id);
          // The result of the two in one order or the other (their stamps may differ by the millisecond a serial order adds).
          const orders = [
            { first: apply(model, a, now), then: (m: Model) => apply(m, b, now), codes: (x: Expected, y: Expected) => [x.refused, y.refused] },
            { first: apply(model, b, now), then: (m: Model) => apply(m, a, now), codes: (x: Expected, y: Expected) => [y.refused, x.refused] },
          ].map(({ first: x, then, codes }) => {
            const y = then(x.model);
            return { model: y.model, codes: codes(x, y) };
          });
          const failures: string[] = [];
          const matched = orders.find((order, i) => {
            try {
              assert.deepEqual(outcomes.map((o) => o.refused !== undefined), order.codes.map((code) => code !== undefined), 'which were refused');
              checkModel(after, order.model, `${where} (as ${i === 0 ? 'first then second' : 'second then first'})`, false);
              return true;
            } catch (error) {
              failures.push((error as Error).message);
              return false;
            }
          });
          assert.ok(matched, `${where}: the result is that of neither order:\n${failures.join('\n')}`);
          // A refusal for one of the reasons either order gives; or for a version the other changed
          // (an action checks its version before what it checks of a state it read before the other's change).
          [a, b].forEach((action, i) => {
            const code = outcomes[i]!.refused;
            const reasons = [orders[0]!.codes[i], orders[1]!.codes[i], ...('version' in action && action.version !== undefined ? ['SW_STALE_VERSION'] : [])];
            if (code !== undefined) assert.ok(reasons.includes(code), `${where}: ${describeAction(action)} refused with ${code}, not one of ${reasons.join(', ')}`);
          });
          // Stamps as stored: the next step's model starts from them.
          const silence = matched.model.silence && after.document.silence ? { ...matched.model.silence, started_at: Date.parse(after.document.silence.started_at) } : matched.model.silence;
          model = { ...matched.model, silence, modified: Date.parse(after.row.modified) };
          checkModel(after, model, where, true);
        }
      }
      // Every change audited once under the proposal; no refusal audited; one adoption at most.
      const where = `run ${run}: ${trail.join(' > ')}`;
      const audited = await auditOf(node.ctx, id);
      assert.deepEqual([...audited].sort(), [...model.audit].sort(), `${where}: the audit entries of the proposal`);
      assert.equal(audited.filter((action) => action === 'decisions.adopt').length, model.status === 'adopted' ? 1 : 0, `${where}: adoptions audited`);
      assert.equal(await recordsOf(node.ctx, id), model.status === 'adopted' ? 1 : 0, `${where}: decision records`);
    }

    it('one action at a time: adopted if and only if no member broke silence strictly before the deadline', async () => {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 6, maxLength: MAX_ACTIONS, size: 'max' }), async (steps) => {
          await scenario(++runs, steps);
        }),
        { numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
      );
      assert.equal(runs, RUNS);
    });

    it('two actions at once now and then: the result of the two in one order or the other', async () => {
      let runs = 0;
      const step = fc.oneof({ weight: 3, arbitrary: stepArb }, { weight: 1, arbitrary: pairStepArb });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 6, maxLength: MAX_ACTIONS, size: 'max' }), async (steps) => {
          await scenario(++runs, steps);
        }),
        { numRuns: CONCURRENT_RUNS, endOnFailure: true, includeErrorInReport: true },
      );
      assert.equal(runs, CONCURRENT_RUNS);
    });

    it('a break at the deadline or after it is refused (409) and changes nothing; a millisecond before, it returns the proposal', async () => {
      const { proposal: id } = await draft(node.ctx, principal('ada'), 'break at the deadline');
      const circulated = await service.circulate(node.ctx, principal('ada'), id, { silence_hours: 1 });
      const deadline = Date.parse(circulated.silence!.deadline);
      clock.advance(deadline - clock.now().getTime());
      const before = await storedOf(node.ctx, id);
      await assert.rejects(service.breakSilence(node.ctx, principal('pia'), id, { reason: 'Too late' }), (error: unknown) => isRefusal(error) && error.code === 'SW_CONFLICT' && error.status === 409);
      clock.advance(1);
      await assert.rejects(service.breakSilence(node.ctx, principal('fred'), id, { reason: 'Later still' }), (error: unknown) => isRefusal(error) && error.code === 'SW_CONFLICT' && error.status === 409);
      assert.deepEqual(await storedOf(node.ctx, id), before, 'a refused break changed the proposal');
      assert.equal(await service.resolveSilence(node.ctx, id, 1), undefined);
      assert.equal((await storedOf(node.ctx, id)).row.status, 'adopted');

      const { proposal: early } = await draft(node.ctx, principal('ada'), 'break just before the deadline');
      const again = await service.circulate(node.ctx, principal('ada'), early, { silence_hours: 1 });
      clock.advance(Date.parse(again.silence!.deadline) - 1 - clock.now().getTime());
      const broken = await service.breakSilence(node.ctx, principal('pia'), early, { reason: 'Our parliament must be consulted first.' });
      assert.equal(broken.status, 'returned');
      clock.advance(1);
      assert.equal(await service.resolveSilence(node.ctx, early, 1), undefined);
      const stored = await storedOf(node.ctx, early);
      assert.equal(stored.row.status, 'returned');
      assert.equal(stored.record, undefined);
    });

    it('an amendment made as the draft is circulated restarts the silence: the text adopted is the text circulated', async () => {
      // Found by the property with two actions at once: the amendment, read as a draft, changed
      // the text of the round being circulated without restarting it, and the record adopted a
      // text no member had had under silence (its version said the circulated one).
      const { proposal: id, text } = await draft(node.ctx, principal('ada'), 'amended as circulated');
      const amended = 'The alliance refers those responsible to the sanctions regimes.';
      const [circulated, amendment] = await Promise.allSettled([
        service.circulate(node.ctx, principal('fred'), id, { silence_hours: 1 }),
        service.amend(node.ctx, principal('ada'), id, { text: amended, silence_hours: 2 }),
      ]);
      assert.equal(circulated.status, 'fulfilled');
      assert.equal(amendment.status, 'fulfilled');
      const stored = await storedOf(node.ctx, id);
      assert.equal(stored.document.text, amended);
      assert.equal(stored.row.status, 'silence');
      assert.equal(stored.document.silence!.version, stored.document.text_version, 'the text under silence is the version circulated');
      // Both orders end in round 2 under silence (circulated, then restarted by the amendment; or amended as a draft, then circulated).
      assert.equal(stored.row.round, stored.document.silence!.round);
      clock.advance(Date.parse(stored.document.silence!.deadline) - clock.now().getTime());
      await node.jobs.runDue();
      const adopted = await storedOf(node.ctx, id);
      assert.equal(adopted.row.status, 'adopted');
      const decision = JSON.parse(adopted.record!.document) as DecisionRecord;
      assert.equal(decision.text, amended);
      assert.notEqual(decision.text, text);
      assert.equal(decision.version, 2);
    });

    it('the decision record is one per proposal and the store refuses to change or delete it', async () => {
      const { proposal: id } = await draft(node.ctx, principal('ada'), 'immutable record');
      await service.circulate(node.ctx, principal('ada'), id, { silence_hours: 1 });
      clock.advance(HOUR + 1);
      await service.resolveSilence(node.ctx, id, 1);
      const { record } = await storedOf(node.ctx, id);
      assert.ok(record);
      const db = node.ctx.store.db;
      await assert.rejects(sql`update decision_records set text_sha256 = ${'0'.repeat(64)} where id = ${record.id}`.execute(db), /immutable/);
      await assert.rejects(sql`update decision_records set document = ${'{}'} where proposal_id = ${id}`.execute(db), /immutable/);
      await assert.rejects(sql`delete from decision_records where id = ${record.id}`.execute(db), /immutable/);
      await assert.rejects(db.insertInto('decision_records').values({ ...record, id: `decision--${randomUUID()}` }).execute(), /unique|duplicate/i);
      assert.deepEqual((await storedOf(node.ctx, id)).record, record, 'the record is as adopted');
      assert.equal(await recordsOf(node.ctx, id), 1);
    });

    it('two nodes run one deadline, or resolve one round at once: one decision record, one adoption audited', async () => {
      skew = 0;
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { proposal: id } = await draft(node.ctx, principal('ada'), `two nodes ${i}`);
        await service.circulate(node.ctx, principal('ada'), id, { silence_hours: 1 });
        ids.push(id);
      }
      // The other node schedules the same deadlines at its start: one keyed job each.
      await service.scheduleSilences(other.ctx);
      clock.advance(HOUR + 1);
      const [byJob, ...byCall] = ids as [string, ...string[]];
      await Promise.all([node.jobs.runDue(), other.jobs.runDue()]);
      const jobs = await node.jobs.list({ key: `${service.SILENCE_KIND}:${byJob}:1` });
      assert.equal(jobs.length, 1);
      assert.equal(jobs[0]!.state, 'done');
      for (const id of byCall) {
        const results = await Promise.all([node.ctx, other.ctx, node.ctx, other.ctx].map((ctx) => service.resolveSilence(ctx, id, 1)));
        assert.deepEqual(results, [undefined, undefined, undefined, undefined]);
      }
      for (const id of ids) {
        const stored = await storedOf(node.ctx, id);
        assert.equal(stored.row.status, 'adopted', id);
        assert.equal(await recordsOf(node.ctx, id), 1, `one decision record for ${id}`);
        assert.deepEqual((await auditOf(node.ctx, id)).filter((action) => action === 'decisions.adopt'), ['decisions.adopt'], `one adoption audited for ${id}`);
      }
    });

    it('a break racing the deadline on two nodes: the outcome is silenceOutcome of what was stored', async () => {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            skew: fc.constantFrom(-1, 0, 1),
            ticks: fc.integer({ min: 0, max: 40 }),
            breaksOn: fc.constantFrom('node', 'other'),
            who: fc.constantFrom<UserName>('fred', 'pia'),
            order: fc.constantFrom('break first', 'resolutions first'),
          }),
          async (race) => {
            runs++;
            skew = 0;
            const { proposal: id } = await draft(node.ctx, principal('ada'), `race ${runs}`);
            const circulated = await service.circulate(node.ctx, principal('ada'), id, { silence_hours: 1 });
            const deadline = circulated.silence!.deadline;
            clock.advance(Date.parse(deadline) - 1 - clock.now().getTime());
            skew = race.skew;
            const breakerCtx = race.breaksOn === 'node' ? node.ctx : other.ctx;
            const broke = () => service.breakSilence(breakerCtx, principal(race.who), id, { reason: 'Not before our cabinet meets.' }).then(() => 'broke', (error: unknown) => {
              if (!isRefusal(error)) throw error;
              return error.code;
            });
            const resolutions = () => [service.resolveSilence(node.ctx, id, 1), service.resolveSilence(other.ctx, id, 1)];
            // The deadline arrives while they run, after a random number of turns of the event loop.
            const tick = (async () => {
              for (let i = 0; i < race.ticks; i++) await new Promise((resolve) => setImmediate(resolve));
              clock.advance(1);
            })();
            const all = race.order === 'break first' ? [broke(), ...resolutions(), tick] : [...resolutions(), broke(), tick];
            const settled = await Promise.all(all);
            const breakResult = settled[race.order === 'break first' ? 0 : 2] as string;
            // Whatever is left is decided now that both clocks are past the deadline.
            clock.advance(2);
            await Promise.all(resolutions());
            skew = 0;
            const stored = await storedOf(node.ctx, id);
            const expected = silenceOutcome(deadline, 1, stored.document.breaks);
            const said = `${JSON.stringify(race)}: break ${breakResult}, stored ${stored.row.status}, breaks ${JSON.stringify(stored.document.breaks.map((b) => b.at))}`;
            assert.equal(stored.row.status, expected === 'adopted' ? 'adopted' : 'returned', said);
            assert.equal(stored.document.breaks.length, breakResult === 'broke' ? 1 : 0, `${said}: a break is stored iff it was accepted`);
            if (breakResult !== 'broke') assert.ok(['SW_CONFLICT', 'SW_INVALID_TRANSITION'].includes(breakResult), `${said}: a late break is refused with 409`);
            assert.equal(await recordsOf(node.ctx, id), expected === 'adopted' ? 1 : 0, `${said}: decision records`);
            assert.equal((await auditOf(node.ctx, id)).filter((action) => action === 'decisions.adopt').length, expected === 'adopted' ? 1 : 0, `${said}: adoptions audited`);
          },
        ),
        { numRuns: RACES, endOnFailure: true, includeErrorInReport: true },
      );
      assert.equal(runs, RACES);
    });
  });

  describe(`silence deadlines survive a restart (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    it('a node started after the deadlines resolves them; a proposal broken before the restart stays returned', async () => {
      const testStore = await createTestStore(dialect);
      const dataDir = mkdtempSync(path.join(tmpdir(), 'shieldwall-node-'));
      const clock = fixedClock(START);
      const config = loadConfig({}, { dataDir, databaseUrl: testStore.url, demo: false, logLevel: 'silent' });
      const key = (id: string) => `${service.SILENCE_KIND}:${id}:1`;
      try {
        const first = await buildApp({ config, store: testStore.store, logger: false, clock });
        await first.app.ready();
        const principals = await people(first.ctx);
        const ada = principals.get('ada')!;
        const unbroken = await draft(first.ctx, ada, 'unbroken');
        const broken = await draft(first.ctx, ada, 'broken');
        const later = await draft(first.ctx, ada, 'deadline after the restart');
        const fromCli = await draft(first.ctx, ada, 'circulated from a command line');
        for (const { proposal } of [unbroken, broken]) await service.circulate(first.ctx, ada, proposal, { silence_hours: 1 });
        await service.circulate(first.ctx, ada, later.proposal, { silence_hours: 3 });
        // A command line works on the store directly, without a node; and its deadline's job is
        // lost (a store restored without its jobs): the next node's start schedules it again.
        const cli = createContext({ config, store: testStore.store, logger: createLogger('silent'), clock });
        await service.circulate(cli, ada, fromCli.proposal, { silence_hours: 1 });
        await cli.state.dispose();
        await first.ctx.store.db.deleteFrom('jobs').where('key', '=', key(fromCli.proposal)).execute();
        assert.deepEqual(await first.jobs.list({ key: key(fromCli.proposal) }), [], 'no job for the command line\'s circulation');
        clock.advance(10 * 60_000);
        await service.breakSilence(first.ctx, principals.get('pia')!, broken.proposal, { reason: 'Our parliament must be consulted first.' });
        await first.app.close();

        clock.advance(2 * HOUR);
        const second = await buildApp({ config, store: testStore.store, logger: false, clock });
        await second.app.ready();
        try {
          const scheduled = await second.jobs.list({ key: key(fromCli.proposal) });
          assert.equal(scheduled.length, 1, 'the node\'s start schedules the deadline no node had');
          second.jobs.start();
          await waitFor('the deadlines that passed while no node ran to be resolved', async () => {
            const jobs = await second.jobs.list({ kinds: [service.SILENCE_KIND], states: ['done'] });
            return [unbroken, broken, fromCli].every(({ proposal }) => jobs.some((job) => job.key === key(proposal)));
          });
          for (const { proposal, text } of [unbroken, fromCli]) {
            const stored = await storedOf(second.ctx, proposal);
            assert.equal(stored.row.status, 'adopted');
            assert.equal((JSON.parse(stored.record!.document) as DecisionRecord).text, text);
          }
          const returned = await storedOf(second.ctx, broken.proposal);
          assert.equal(returned.row.status, 'returned', 'broken before the restart, it stays returned');
          assert.equal(returned.record, undefined);
          assert.equal((await storedOf(second.ctx, later.proposal)).row.status, 'silence', 'a deadline not reached is not resolved early');
          clock.advance(HOUR);
          await waitFor('the deadline after the restart to be resolved', async () => (await storedOf(second.ctx, later.proposal)).row.status === 'adopted');
          for (const { proposal } of [unbroken, fromCli, later]) assert.equal(await recordsOf(second.ctx, proposal), 1);
        } finally {
          await second.app.close();
        }
      } finally {
        await testStore.cleanup();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
