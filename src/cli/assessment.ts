/**
 * shieldwall assessment: the cumulative assessment per actor on a running node (--url/--token, as
 * the token's user) or on the configured store directly (--as a user: what one may read decides
 * the total one sees, and ratings are made in a member's name). The actors' scores over a window,
 * one actor's working (the parts of the formula, the escalation and the recommendation, the
 * incidents that weigh most, the assessors' Schmitt-factor inputs, what the answer is based on),
 * rating a factor; and, on the store directly, bringing the assessment's view up to date after a
 * bulk import. Tables for people by default; --json prints the node's answer as one JSON
 * document. docs/DECISIONS-CLI.md.
 */
import type { Command } from 'commander';
import type { AppContext } from '../core/context.js';
import { ACTOR_TYPES, RATINGS, SCHMITT_FACTORS, SCHMITT_FACTOR_KEYS, WINDOW_MAX_DAYS, WINDOWS, type ActorSummary, type Assessment, type SchmittInput, type Thresholds } from '../modules/assessment/assessment.model.js';
import type { InputBody } from '../modules/assessment/assessment.service.js';
import type { Principal } from '../policy/principal.js';
import { table, timeOf } from './assistance.js';
import {
  cut, fields, handlingText, integer, markingOf, markingOptions, nodeQuery, oneOf, post, PROCESS_OUTPUT, saying, storeCalls, stixRef, targetOptions, when, withUser,
  type CommandOutput, type Json, type MarkingOptions, type TargetOptions,
} from './decisions.js';
import { CliError, EXIT } from './failures.js';
import { withLocalStore } from './local.js';
import { nodeJson, type NodeTarget } from './node-client.js';

type ActorsAnswer = { actors: ActorSummary[]; thresholds: Thresholds; as_of: string; truncated: boolean };

/** What every sub-command needs, on the store directly or over HTTP. */
interface Backend {
  actors(days: number | undefined, limit: number | undefined): Promise<ActorsAnswer>;
  assess(ref: string, days: number | undefined, at: Date | undefined): Promise<Assessment>;
  rate(ref: string, body: InputBody): Promise<SchmittInput>;
}

async function local(ctx: AppContext, actor: Principal): Promise<Backend> {
  const service = await import('../modules/assessment/assessment.service.js');
  const schemas = await import('../modules/assessment/assessment.schema.js');
  const { call, checkBody } = await storeCalls(ctx, actor);
  const read = 'assessment:read';
  return {
    actors: (days, limit) => call(read, 'reading the assessed actors', () => service.listActors(ctx, actor, { ...(days !== undefined ? { days } : {}), ...(limit !== undefined ? { limit } : {}) })),
    assess: (ref, days, at) => call(read, 'reading an assessment', () => service.assess(ctx, actor, ref, { ...(days !== undefined ? { days } : {}), ...(at !== undefined ? { at } : {}) })),
    rate: (ref, body) =>
      call('assessment:assess', 'rating a factor', () => {
        checkBody(schemas.InputBody, body, 'the rating');
        return service.addInput(ctx, actor, ref, body);
      }),
  };
}

function remote(target: NodeTarget): Backend {
  const base = '/api/v1/assessment/actors';
  return {
    actors: (days, limit) => nodeJson(target, `${base}${nodeQuery({ days, limit })}`),
    assess: (ref, days, at) => nodeJson(target, `${base}/${encodeURIComponent(ref)}${nodeQuery({ days, at: at?.toISOString() })}`),
    rate: (ref, body) => nodeJson(target, `${base}/${encodeURIComponent(ref)}/inputs`, post(body)),
  };
}

const withBackend = <T>(options: TargetOptions, fn: (backend: Backend) => Promise<T>): Promise<T> =>
  withUser(options, 'assessment', 'what a user may read decides the total it sees, and factors are rated in a member\'s name', { remote, local }, fn);

const actorRef = (value: string) => stixRef(value, ACTOR_TYPES, 'the actor');
const daysOf = (value: string | undefined) => integer(value, '--days', 1, WINDOW_MAX_DAYS);

// --- presenting ---------------------------------------------------------------------------------

const thresholdsText = (t: Thresholds) => `consultation ${t.consultation}, council ${t.council}`;

function renderActors(answer: ActorsAnswer): string {
  if (answer.actors.length === 0) return `no actor with evidence you may read in the window (as of ${when(answer.as_of)})\n`;
  let text = table(
    ['REF', 'SCORE', 'ESCALATION', 'INCIDENTS', 'SIGHTINGS', 'MEMBERS', 'NAME'],
    answer.actors.map((a) => [a.ref, a.score.toFixed(1), a.escalation, String(a.incidents), String(a.sightings), String(a.members), cut(a.name ?? '-', 50)]),
  );
  text += `thresholds: ${thresholdsText(answer.thresholds)}; as of ${when(answer.as_of)}${answer.truncated ? '; the window holds more evidence than one answer sums: ask for fewer days' : ''}\n`;
  return text;
}

const round = (value: number) => (Math.round(value * 10) / 10).toFixed(1);

function renderAssessment(a: Assessment): string {
  const p = a.parts;
  let text = `Assessment of ${a.actor.ref}${a.actor.name ? ` (${a.actor.name})` : ''}\n`;
  text += fields([
    ['Window', `${a.window.days} days, ${when(a.window.from)} to ${when(a.window.to)}`],
    ['Score', `${round(a.score)} (thresholds: ${thresholdsText(a.thresholds)})`],
    ['Escalation', `${a.escalation}: ${a.escalation_text}`],
    ['Crossed', [a.crossed.consultation ? `consultation on ${a.crossed.consultation}` : '', a.crossed.council ? `council on ${a.crossed.council}` : ''].filter((c) => c !== '').join(', ')],
    ['Trend', `${a.trend.direction} (second half of the window ${round(a.trend.recent)}, first half ${round(a.trend.earlier)})`],
    ['Includes', a.includes.map((i) => `${i.ref}${i.name ? ` (${i.name})` : ''} at ${i.confidence}%`).join('; ')],
  ]);
  text += `Recommendation\n  ${a.recommendation}\n`;
  text += 'Parts\n';
  text += `  incidents ${round(p.incidents)} (${p.counts.incidents}) + sightings ${round(p.sightings)} (${p.counts.sightings}) + intel ${round(p.intel)} (${p.counts.intel}) = base ${round(p.base)}\n`;
  text += `  breadth x${p.breadth.toFixed(2)}: ${p.members.length} member${p.members.length === 1 ? '' : 's'}${p.members.length > 0 ? ` (${p.members.join(', ')})` : ''}, ${p.sectors.length} critical sector${p.sectors.length === 1 ? '' : 's'}${p.sectors.length > 0 ? ` (${p.sectors.join(', ')})` : ''}\n`;
  text += `  score = base x breadth = ${round(p.score)}\n`;
  text += `Top contributions (${a.contributions.length})\n`;
  if (a.contributions.length > 0) {
    text += table(
      ['  POINTS', 'DAY', 'MEMBER', 'SEVERITY', 'CONFIDENCE', 'INCIDENT', 'TITLE'],
      a.contributions.map((c) => [
        `  ${round(c.points)}`, c.day, c.member, c.severity_score === null ? 'unscored' : `${round(c.severity_score)}${c.level !== null ? ` (level ${c.level})` : ''}`, `${c.confidence}%`,
        `${c.incident_id}${c.via !== a.actor.ref ? ` via ${c.via}` : ''}`, cut(c.title, 60),
      ]),
    );
  }
  if (a.by_member.length > 0) text += `By member\n${table(['  MEMBER', 'INCIDENTS', 'SIGHTINGS'], a.by_member.map((m) => [`  ${m.member}`, String(m.incidents), String(m.sightings)]))}`;
  text += `Schmitt inputs (${a.schmitt.length})\n`;
  if (a.schmitt.length > 0) {
    const name = (key: string) => SCHMITT_FACTORS.find((f) => f.key === key)?.name ?? key;
    text += table(
      ['  FACTOR', 'RATING', 'ASSESSOR', 'AT', 'RATIONALE'],
      a.schmitt.map((s) => [`  ${name(s.factor)}`, s.rating, `${s.assessor}${s.member ? ` (${s.member})` : ''}`, when(s.at), cut(s.rationale, 100)]),
    );
  }
  text += `Basis\n  ${a.basis.note} (${a.basis.readable_buckets} daily buckets read, ${a.basis.withheld_buckets} withheld; as of ${when(a.basis.as_of)})\n`;
  return text;
}

function renderInput(s: SchmittInput): string {
  return `Schmitt input ${s.id}\n${fields([
    ['Factor', `${SCHMITT_FACTORS.find((f) => f.key === s.factor)?.name ?? s.factor} (${s.factor})`],
    ['Rating', s.rating],
    ['Assessor', `${s.assessor}${s.member ? ` (${s.member})` : ''}`],
    ['At', when(s.at)],
    ['Rationale', s.rationale],
    ['Handling', handlingText(s.handling)],
  ])}`;
}

// --- the commands -------------------------------------------------------------------------------

export function registerAssessment(program: Command, io: CommandOutput = PROCESS_OUTPUT): void {
  const show = <T>(options: Json, value: T, render: (value: T) => string) => io.out(options.json ? `${JSON.stringify(value)}\n` : render(value));
  const assessment = program.command('assessment').description('cumulative assessment per actor on a node: scores, working, Schmitt-factor inputs');

  targetOptions(
    assessment
      .command('list')
      .description('actors with evidence you may read in the window, highest cumulative score first')
      .option('--days <n>', `the window in days (${WINDOWS.join(', ')}, or 1 to ${WINDOW_MAX_DAYS}; default 90)`)
      .option('--limit <n>', 'at most this many actors (1 to 100)'),
  ).action(async (options: TargetOptions & Json & { days?: string; limit?: string }) => {
    const days = daysOf(options.days);
    const limit = integer(options.limit, '--limit', 1, 100);
    show(options, await withBackend(options, (b) => b.actors(days, limit)), renderActors);
  });

  targetOptions(
    assessment
      .command('show <actor>')
      .description("an actor's assessment: score and its parts, escalation and recommendation, top contributions, Schmitt inputs, and what it is based on")
      .option('--days <n>', `the window in days (${WINDOWS.join(', ')}, or 1 to ${WINDOW_MAX_DAYS}; default 90)`)
      .option('--at <time>', "the end of the window: RFC 3339, 'now' or +DURATION (default now)"),
  ).action(async (ref: string, options: TargetOptions & Json & { days?: string; at?: string }) => {
    const actor = actorRef(ref);
    const days = daysOf(options.days);
    const at = options.at !== undefined ? timeOf(options.at, '--at') : undefined;
    show(options, await withBackend(options, (b) => b.assess(actor, days, at)), renderAssessment);
  });

  markingOptions(
    targetOptions(
      assessment
        .command('rate <actor>')
        .description("rate one Schmitt factor of an actor for your member, with your rationale (a marked record)")
        .requiredOption('--factor <key>', SCHMITT_FACTOR_KEYS.join(', '))
        .requiredOption('--rating <rating>', RATINGS.join(', '))
        .requiredOption('--rationale <text>', 'why: what the rating rests on'),
    ),
    'the rating',
  ).action(async (ref: string, options: TargetOptions & Json & MarkingOptions & { factor: string; rating: string; rationale: string }) => {
    const body: InputBody = {
      factor: oneOf(options.factor, SCHMITT_FACTOR_KEYS, '--factor'),
      rating: oneOf(options.rating, RATINGS, '--rating'),
      rationale: saying(options.rationale, '--rationale'),
      ...markingOf(options),
    };
    show(options, await withBackend(options, (b) => b.rate(actorRef(ref), body)), renderInput);
  });

  assessment
    .command('catch-up')
    .description("on the store directly: apply every incident, sighting and relationship stored since the assessment's view was last brought up to date (after a bulk import)")
    .option('--url <url>', 'refused: a running node keeps its view itself')
    .option('--json', 'print the answer as JSON')
    .action(async (options: { url?: string; json?: boolean }) => {
      if (options.url !== undefined) {
        throw new CliError(EXIT.usage, "catch-up works on the store directly: a running node's follower keeps its view up to date itself (run it where the store is configured, without --url)");
      }
      const applied = await withLocalStore(async (ctx) => {
        const { catchUp } = await import('../modules/assessment/assessment.service.js');
        return catchUp(ctx, (total) => io.err(`applied ${total} versions…\n`));
      });
      show(options, { applied }, () => `applied ${applied} version${applied === 1 ? '' : 's'} of incidents, sightings and relationships: the assessment's view is up to date\n`);
    });
}
