/**
 * The assessment and decisions screens of the web application in a real browser (Chromium), on
 * one node with the demo alliance: an intrusion set of the test's own, incidents of DEU and NCIRC
 * attributed to it (seeded through the API, the assessment's view caught up with catchUp), the
 * political delegate of FRA, a political delegate of DEU and one of an ally that is not consulted:
 *
 * - FRA's delegate lands on the decisions overview, sees the actor above the consultation
 *   threshold, requests a consultation from the actor's page (the form opens pre-filled with the
 *   actor), drafts a proposal from the catalogue (national decisions flagged) and circulates it
 *   under silence: the countdown ticks; DEU's delegate breaks silence with a reason while FRA's
 *   amendment is on its way, so that FRA's page is refused as stale (409), says so and reloads;
 *   FRA amends and circulates again (round 2), the countdown shown on the page and the overview;
 * - the actor's page shows the score, the two thresholds (also as lines of the chart), the
 *   incidents that weigh most (linking to their pages), the recommendation (the system
 *   recommends, never decides); a Schmitt factor is rated through the form;
 * - a member not consulted finds neither the consultation nor the proposal (not found);
 * - axe-core finds no serious violation on the assessment and decisions views, an attribution
 *   statement's page among them (FRA, invited, joins it there), at desktop and tablet sizes; none
 *   scrolls sideways; screenshots go to test-artifacts/screenshots.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { createContext } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/core/logger.js';
import { openStore } from '../src/db/database.js';
import type { Assessment } from '../src/modules/assessment/assessment.model.js';
import { catchUp } from '../src/modules/assessment/assessment.service.js';
import type { Consultation, Proposal, Statement } from '../src/modules/decisions/decisions.model.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { createUser, otherNations, uniqueWord, type AssistanceUser } from './support/assistance.js';
import { reportIncident, type Incident } from './support/incidents.js';
import { SUITE_LIMIT_MS } from './support/wait.js';
import {
  allowAxe,
  assertBanners,
  DemoStage,
  failedLoad,
  openSignedIn,
  pageContents,
  screenshot,
  seriousViolations,
  settle,
  shown,
  VIEW_LIMIT_MS,
  waitInPage,
  watchContext,
  type Api,
  type PageProblems,
} from './support/web.js';

const DESKTOP = { width: 1280, height: 800 };
const TABLET = { width: 820, height: 1180 };

/** The highest choice of every scoring category: an incident of severity score 100. */
const WORST = {
  functional_impact: 'denial-of-critical-services',
  observed_activity: 'effect',
  location: 'safety-systems',
  actor_characterization: 'state-targeted',
  information_impact: 'destruction-of-critical-system',
  recoverability: 'not-recoverable',
  cross_sector_dependency: 'critical',
  potential_impact: 'severe',
};

/** The assessment's view of the node's store brought up to date from this process (the node's follower may have done it already). */
async function catchUpStore(dataDir: string): Promise<number> {
  const config = loadConfig({ SHIELDWALL_DATA_DIR: dataDir, SHIELDWALL_DEMO: '0' });
  const store = openStore(config.databaseUrl);
  try {
    return await catchUp(createContext({ config, store, logger: createLogger('warn', 2) }));
  } finally {
    await store.close();
  }
}

describe('assessment and decisions in the web application', { timeout: SUITE_LIMIT_MS }, () => {
  const stage = new DemoStage();
  /** The political delegate of FRA (demo), a political delegate of DEU, and one of an ally not consulted. */
  let delegate: AssistanceUser;
  let delegateDeu: AssistanceUser;
  let bystander: AssistanceUser;
  let coordinator: Api;
  const actor = `intrusion-set--${randomUUID()}`;
  const actorName = `Heron ${uniqueWord()}`;
  const incidents: Incident[] = [];

  before(async () => {
    await stage.start('shieldwall-web-decisions-');
    const approver = stage.user('web.node-admin').api;
    const fr = stage.user('demo.delegate.fr');
    delegate = { name: fr.name, password: fr.password, api: fr.api, member: fr.member };
    coordinator = stage.user('demo.coordinator').api;
    const [other] = await otherNations(approver, ['FRA', 'DEU']);
    assert.ok(other, 'an ally besides FRA and DEU');
    [delegateDeu, bystander] = await Promise.all([
      createUser(stage.node, approver, { name: 'web.delegate.deu', member: 'DEU', clearance: 2, roles: ['political-delegate'] }),
      createUser(stage.node, approver, { name: 'web.delegate.other', member: other, clearance: 2, roles: ['political-delegate'] }),
    ]);

    // The actor (TLP:CLEAR), and three incidents of severity 100 attributed to it with full confidence: two of DEU, one of NCIRC.
    const at = new Date().toISOString();
    const ingested = await coordinator.json<{ summary: { accepted: number } }>('/api/v1/bundles', {
      method: 'POST',
      body: JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects: [{ type: 'intrusion-set', spec_version: '2.1', id: actor, created: at, modified: at, name: actorName, object_marking_refs: [TLP2_MARKING_IDS.clear] }] }),
    });
    assert.equal(ingested.summary.accepted, 1, 'the actor is stored');
    const startedAt = new Date(Date.now() - 86_400_000).toISOString();
    const seed = (api: Api, title: string) =>
      reportIncident(api, { title, releasability: ['ALLIANCE'], sectors: ['energy'], started_at: startedAt, selections: WORST, actor: { ref: actor, name: actorName, confidence: 100 } });
    const analyst = stage.user('demo.analyst.de').api;
    incidents.push(...(await Promise.all([seed(analyst, `Grid wiper ${actorName}`), seed(analyst, `Pipeline intrusion ${actorName}`), seed(coordinator, `Alliance network breach ${actorName}`)])));
    await catchUpStore(stage.dir);
    const seen = await coordinator.json<Assessment>(`/api/v1/assessment/actors/${actor}?days=90`);
    assert.deepEqual(seen.contributions.map((c) => c.incident_id).sort(), incidents.map((i) => i.id).sort(), 'the caught-up view counts the three incidents');
    assert.equal(seen.escalation, 'consultation', `three incidents of severity 100 reach the consultation threshold: ${seen.score} against ${JSON.stringify(seen.thresholds)}`);
  });

  after(() => stage.stop());

  /** Runs body with contexts of its own (one per user); console errors not `expected` fail the test. */
  async function inBrowser(
    t: TestContext,
    body: (open: (user: AssistanceUser) => Promise<{ page: Page; context: BrowserContext }>) => Promise<void>,
    options: { viewport?: { width: number; height: number }; expected?: (url: string, text: string) => boolean; axe?: boolean } = {},
  ): Promise<void> {
    await stage.run(t, async (browser) => {
      const contexts: BrowserContext[] = [];
      const problems: PageProblems[] = [];
      const open = async (user: AssistanceUser) => {
        const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP });
        context.setDefaultTimeout(VIEW_LIMIT_MS);
        contexts.push(context);
        problems.push(await watchContext(context, options.expected));
        if (options.axe) await allowAxe(context, stage.node.url);
        return { page: await openSignedIn(context, stage.node.url, user), context };
      };
      try {
        await body(open);
        assert.deepEqual(problems.flatMap((p) => p.errors), [], 'no console or page errors');
      } finally {
        for (const context of contexts) await context.close();
      }
    });
  }

  const go = (page: Page, hash: string, title: string): Promise<void> => stage.go(page, hash, title);
  const proposalOf = (api: Api, id: string) => api.json<Proposal>(`/api/v1/decisions/proposals/${id}`);
  const remaining = (page: Page, scope: string) => page.evaluate(`Number(document.querySelector(${JSON.stringify(`${scope} .dec-countdown`)})?.getAttribute('data-remaining-ms'))`) as Promise<number>;

  /** A consultation of NCIRC with FRA and DEU (released to the alliance) and a proposal under silence in it, through the API. */
  async function consultationUnderSilence(title: string): Promise<{ consultation: Consultation; proposal: Proposal }> {
    const consultation = await coordinator.json<Consultation>(
      '/api/v1/decisions/consultations',
      { method: 'POST', body: JSON.stringify({ title, subject: { kind: 'actor', ref: actor }, participants: ['FRA', 'DEU'], releasability: ['ALLIANCE'] }) },
      201,
    );
    // France drafts and circulates it: its delegate steers it (the accessibility test opens its amendment form).
    const drafted = await delegate.api.json<Proposal>(
      `/api/v1/decisions/consultations/${consultation.id}/proposals`,
      { method: 'POST', body: JSON.stringify({ title: `Proposal: ${title}`, text: 'Allies share indicators of the actor within a day.', options: ['intelligence-sharing', 'posture-adjustment'] }) },
      201,
    );
    const proposal = await delegate.api.json<Proposal>(`/api/v1/decisions/proposals/${drafted.id}/circulate`, { method: 'POST', body: JSON.stringify({ silence_hours: 24, version: drafted.version }) });
    return { consultation, proposal };
  }

  it('a delegate requests a consultation from an actor, a proposal goes under silence, is broken, amended and circulated again', (t) =>
    inBrowser(
      t,
      async (open) => {
        // FRA's delegate lands on the decisions overview, the actor among those at a threshold.
        const { page, context } = await open(delegate);
        await waitInPage(page, `location.hash.startsWith('#/decisions')`, 'the landing view of a political delegate');
        await settle(page, 'Decisions');
        assert.ok(await page.locator(`main [data-section=actors] li[data-actor-ref="${actor}"]`).isVisible(), 'the overview lists the actor at or above a threshold');

        // The actor's page: "Request consultation" opens the form on this actor.
        await page.locator(`main [data-section=actors] li[data-actor-ref="${actor}"] a`).click();
        await settle(page, 'Assessment');
        await page.getByRole('button', { name: 'Request consultation' }).click();
        await waitInPage(page, `location.hash.startsWith('#/decisions/new?')`, 'the consultation form');
        await settle(page, 'Decisions');
        assert.equal(await page.locator('#dec-new-ref').inputValue(), actor, 'pre-filled with the actor');
        assert.equal(await page.locator('#dec-new-kind').inputValue(), 'actor');
        assert.match(await page.locator('#dec-new-title').inputValue(), new RegExp(actorName));
        for (const member of ['DEU', 'NCIRC']) await page.locator(`input[name=participants][value=${member}]`).check();
        await page.getByRole('button', { name: 'Request the consultation' }).click();
        await waitInPage(page, `location.hash.startsWith('#/decisions/consultation--')`, 'the new consultation');
        await settle(page, 'Decisions');
        const consultationId = decodeURIComponent(new URL(page.url()).hash.slice('#/decisions/'.length));
        const consultation = await delegate.api.json<Consultation>(`/api/v1/decisions/consultations/${consultationId}`);
        assert.deepEqual({ subject: consultation.subject.ref, requested_by: consultation.requested_by, participants: [...consultation.participants].sort() }, { subject: actor, requested_by: 'FRA', participants: ['DEU', 'NCIRC'] });

        // A proposal from the catalogue; the options that stay national decisions are flagged.
        await page.getByRole('button', { name: 'Draft a proposal' }).click();
        const flagged = async (key: string) => page.locator(`label.dec-option:has(input[value="${key}"]) .dec-national`).count();
        assert.equal(await flagged('posture-adjustment'), 1, 'a military option is flagged a national decision');
        assert.equal(await flagged('joint-statement'), 0, 'a joint statement is not');
        await page.locator('#dec-propose-title').fill(`Joint statement on ${actorName}`);
        await page.locator('#dec-propose-text').fill('Allies condemn the attacks on their grids.');
        await page.locator('input[name=options][value=joint-statement]').check();
        await page.locator('input[name=options][value=posture-adjustment]').check();
        await page.getByRole('button', { name: 'Draft the proposal' }).click();
        await waitInPage(page, `location.hash.startsWith('#/decisions/proposal--')`, 'the new proposal');
        await settle(page, 'Decisions');
        const proposalId = decodeURIComponent(new URL(page.url()).hash.slice('#/decisions/'.length));
        assert.equal(await page.locator('main article').getAttribute('data-status'), 'draft');

        // Circulated under silence for two hours: the countdown ticks.
        await page.locator('#dec-circulate-hours').fill('2');
        await page.getByRole('button', { name: 'Circulate', exact: true }).click();
        await page.locator('main article[data-status=silence] [data-field=silence][data-round="1"]').waitFor();
        await settle(page, 'Decisions');
        const left = await remaining(page, 'main [data-field=silence]');
        assert.ok(left > 7_100_000 && left <= 7_200_000, `about two hours left: ${left} ms`);
        await waitInPage(page, `Number(document.querySelector('main [data-field=silence] .dec-countdown').getAttribute('data-remaining-ms')) <= ${left - 1000}`, 'the countdown ticking');
        assert.match(await page.locator('main [data-field=silence] .dec-left').innerText(), /^1 h 5\d min left$/);
        await assertBanners(page, 'the proposal under silence');
        await screenshot(page, 'decisions-proposal-silence');

        // FRA amends while DEU's delegate breaks silence: FRA's amendment, sent on the version it read, arrives after the break.
        await page.getByRole('button', { name: 'Amend…' }).click();
        await page.locator('#dec-amend-text').fill('Allies condemn the attacks on their grids, as the technical report shows.');
        let held!: () => void;
        const amendHeld = new Promise<void>((resolve) => (held = resolve));
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        const hold = async (route: Route) => {
          held();
          await released;
          await route.continue();
        };
        await context.route('**/api/v1/decisions/proposals/*/amend', hold);
        await page.getByRole('button', { name: 'Amend', exact: true }).click();
        await amendHeld;

        const { page: deu } = await open(delegateDeu);
        await go(deu, `#/decisions/${proposalId}`, 'Decisions');
        const reason = 'The technical attribution report is due this week: the text should rest on it.';
        await deu.locator('#dec-break-reason').fill(reason);
        await deu.getByRole('button', { name: 'Break silence' }).click();
        await deu.locator('main article[data-status=returned]').waitFor();
        await settle(deu, 'Decisions');
        assert.match(await deu.locator('main li[data-break-member=DEU]').innerText(), new RegExp(reason.slice(0, 40)), 'the break is shown with its reason');

        release();
        await page.locator('main .dec-refused[data-stale=true]').waitFor();
        assert.match(await page.locator('main .dec-refused').innerText(), /SW_STALE_VERSION.*reloaded/s, 'the stale amendment is explained');
        await page.locator('main article[data-status=returned]').waitFor();
        await context.unroute('**/api/v1/decisions/proposals/*/amend', hold);
        await settle(page, 'Decisions');
        assert.match(await page.locator('main li[data-break-member=DEU]').innerText(), new RegExp(reason.slice(0, 40)), "FRA's page shows the break after the reload");
        await screenshot(page, 'decisions-proposal-stale');
        assert.equal((await proposalOf(delegate.api, proposalId)).text_version, 1, 'the stale amendment changed nothing');

        // Amended on what it now shows, then circulated again: round 2.
        await page.getByRole('button', { name: 'Amend', exact: true }).click();
        await page.locator('main article[data-text-version="2"]').waitFor();
        await page.locator('#dec-circulate-hours').fill('2');
        await page.getByRole('button', { name: 'Circulate', exact: true }).click();
        await page.locator('main article[data-status=silence] [data-field=silence][data-round="2"]').waitFor();
        await settle(page, 'Decisions');
        assert.ok((await remaining(page, 'main [data-field=silence]')) > 7_000_000, 'a new countdown');
        const stored = await proposalOf(delegate.api, proposalId);
        assert.equal(stored.status, 'silence');
        assert.equal(stored.silence?.round, 2);
        assert.equal(stored.text_version, 2);
        assert.equal(stored.text, 'Allies condemn the attacks on their grids, as the technical report shows.');
        assert.deepEqual(stored.breaks.map((b) => [b.member, b.round, b.reason]), [['DEU', 1, reason]]);
        assert.deepEqual(stored.amendments.map((a) => [a.version, a.member]), [[2, 'FRA']]);
        assert.deepEqual([...stored.options].sort(), ['joint-statement', 'posture-adjustment']);

        // The overview puts it first, under silence, its countdown ticking.
        await page.locator('nav[aria-label=Views] a[href="#/decisions"]').click();
        await settle(page, 'Decisions');
        const card = `main [data-section=silence] li[data-proposal-id="${proposalId}"]`;
        assert.ok(await page.locator(card).isVisible(), 'under silence on the overview');
        assert.match(await page.locator(`${card} .dec-countdown`).innerText(), /Round 2 · deadline .* · 1 h 5\d min left/);
        await screenshot(page, 'decisions-overview');
      },
      { expected: (_url, text) => failedLoad(text, 409) },
    ));

  it("shows an actor's score, thresholds and heaviest incidents, and takes a Schmitt rating", (t) =>
    inBrowser(t, async (open) => {
      const coordinatorUser = stage.user('demo.coordinator');
      const { page } = await open({ name: coordinatorUser.name, password: coordinatorUser.password, api: coordinator, member: coordinatorUser.member });
      await go(page, `#/assessment/${encodeURIComponent(actor)}`, 'Assessment');
      const seen = await coordinator.json<Assessment>(`/api/v1/assessment/actors/${actor}?days=90`);
      assert.equal(await page.locator('main h1').innerText(), actorName);
      assert.equal(await page.locator('main [data-field=score]').first().innerText(), String(seen.score), 'the score as the node computes it');
      assert.equal(await page.locator('main article').getAttribute('data-escalation'), 'consultation');
      const thresholds = await page.locator('main [data-field=thresholds]').innerText();
      assert.match(thresholds, new RegExp(`consultation at ${seen.thresholds.consultation}.*council at ${seen.thresholds.council}`));
      for (const key of ['consultation', 'council'] as const) {
        assert.equal(await page.locator(`main svg [data-threshold=${key}]`).getAttribute('data-value'), String(seen.thresholds[key]), `a line at the ${key} threshold`);
      }
      assert.equal(Number(await page.locator('main .as-chart').getAttribute('data-points')), seen.series.length, 'a point per step of the series');
      const rows = await page.locator('main tr[data-incident-id]').evaluateAll((trs) => trs.map((tr) => ({ id: tr.getAttribute('data-incident-id'), href: tr.querySelector('a')?.getAttribute('href') })));
      assert.deepEqual(rows.map((r) => r.id).sort(), incidents.map((i) => i.id).sort(), 'the three seeded incidents weigh');
      for (const r of rows) assert.equal(r.href, `#/incidents/${r.id}`, 'each links to its page');
      assert.match(await page.locator('main [data-field=recommendation]').innerText(), /recommends/);
      assert.match(await page.locator('main').innerText(), /The system recommends; it never decides\./);
      assert.match(await page.locator('main [data-field=basis]').innerText(), /based on/);
      await assertBanners(page, "the actor's page");
      await screenshot(page, 'assessment-actor');

      // A Schmitt factor rated through the form.
      await page.locator('#as-rate-factor').selectOption('state-involvement');
      await page.locator('#as-rate-rating').selectOption('high');
      await page.locator('#as-rate-rationale').fill('Infrastructure shared with a known state programme.');
      await page.getByRole('button', { name: 'Record the rating' }).click();
      await page.locator('main tr[data-factor=state-involvement][data-rating=high]').waitFor();
      const rated = await coordinator.json<Assessment>(`/api/v1/assessment/actors/${actor}?days=90`);
      assert.deepEqual(rated.schmitt.map((i) => [i.factor, i.rating, i.rationale, i.member]), [['state-involvement', 'high', 'Infrastructure shared with a known state programme.', 'NCIRC']]);

      // A heaviest incident's link opens the incident.
      await page.locator(`main tr[data-incident-id="${incidents[0]!.id}"] a`).click();
      await waitInPage(page, `location.hash === '#/incidents/${incidents[0]!.id}'`, 'the incident page');
      await settle(page, 'Incidents');

      // The list over 30 days: the actor with its score for that window.
      await go(page, '#/assessment?days=30', 'Assessment');
      const month = await coordinator.json<Assessment>(`/api/v1/assessment/actors/${actor}?days=30`);
      assert.equal(await page.locator(`main tr[data-actor-ref="${actor}"] [data-field=score]`).innerText(), String(month.score));
    }));

  it('hides a consultation and its proposal from a member not consulted', (t) =>
    inBrowser(
      t,
      async (open) => {
        const title = `Consultation ${uniqueWord()}`;
        const { consultation, proposal } = await consultationUnderSilence(title);
        assert.equal((await proposalOf(delegate.api, proposal.id)).status, 'silence', 'a member consulted reads it');
        for (const path of [`consultations/${consultation.id}`, `proposals/${proposal.id}`]) {
          const answer = await bystander.api.answer(`/api/v1/decisions/${path}`);
          await answer.body?.cancel();
          assert.equal(answer.status, 404, `${bystander.member} is answered 404 for ${path}`);
        }
        const { page } = await open(bystander);
        await go(page, '#/decisions', 'Decisions');
        assert.equal(await page.locator(`main [data-proposal-id="${proposal.id}"], main [data-consultation-id="${consultation.id}"]`).count(), 0, 'neither on the overview');
        for (const id of [consultation.id, proposal.id]) {
          await go(page, `#/decisions/${id}`, 'Decisions');
          assert.match(await page.locator('main h1').innerText(), /^Not found$/, `${id}: not found`);
          assert.ok(!(await pageContents(page)).includes(title), 'nothing of it in the page');
        }
      },
      { expected: (_url, text) => failedLoad(text, 404) },
    ));

  it('has no serious accessibility violation on the assessment and decisions views, at desktop and tablet sizes', (t) =>
    inBrowser(
      t,
      async (open) => {
        const { consultation, proposal } = await consultationUnderSilence(`Consultation ${uniqueWord()}`);
        const statement = await coordinator.json<Statement>(
          '/api/v1/decisions/statements',
          {
            method: 'POST',
            body: JSON.stringify({ title: `Attribution of ${actorName}`, text: 'Allies attribute the attacks on their grids to the actor.', actor_ref: actor, publish_at: new Date(Date.now() + 2 * 86_400_000).toISOString(), invited: ['FRA', 'DEU'], releasability: ['ALLIANCE'] }),
          },
          201,
        );
        const views = [
          ['#/assessment', 'Assessment', 'assessment-list'],
          [`#/assessment/${encodeURIComponent(actor)}`, 'Assessment', 'assessment-actor'],
          ['#/decisions', 'Decisions', 'decisions-overview'],
          [`#/decisions/${consultation.id}`, 'Decisions', 'decisions-consultation'],
          [`#/decisions/${proposal.id}`, 'Decisions', 'decisions-proposal'],
          [`#/decisions/new?kind=actor&subject=${encodeURIComponent(actor)}`, 'Decisions', 'decisions-request'],
          ['#/decisions/statements', 'Decisions', 'decisions-statements'],
          [`#/decisions/${statement.id}`, 'Decisions', 'decisions-statement'],
        ] as const;
        const failures: string[] = [];
        for (const [size, viewport] of [['desktop', DESKTOP], ['tablet', TABLET]] as const) {
          const { page } = await open(delegate);
          await page.setViewportSize(viewport);
          for (const [hash, title, name] of views) {
            await go(page, hash, title);
            // The forms that open on a button are shown too.
            if (name === 'decisions-consultation') await page.getByRole('button', { name: 'Draft a proposal' }).click();
            if (name === 'decisions-proposal') await page.getByRole('button', { name: 'Amend…' }).click();
            for (const v of await seriousViolations(page)) failures.push(`${name} (${size}): ${v.id} (${v.impact}) ${v.help}: ${v.nodes.join(' | ')}`);
            const s = await shown(page);
            if (s.scrollWidth > s.innerWidth) failures.push(`${name} (${size}): scrolls sideways (${s.scrollWidth} > ${s.innerWidth})`);
            if (size === 'tablet') await screenshot(page, `${name}-tablet`);
            if (name === 'decisions-statement' && size === 'desktop') {
              // FRA, invited, joins through the page.
              await page.getByRole('button', { name: 'Join', exact: true }).click();
              await page.locator('main [data-field=joined]', { hasText: 'FRA' }).waitFor();
              const joined = await delegate.api.json<Statement>(`/api/v1/decisions/statements/${statement.id}`);
              assert.deepEqual(joined.joined.map((r) => r.member).sort(), ['FRA', 'NCIRC'], 'the drafter and FRA have joined');
            }
          }
        }
        assert.deepEqual(failures, [], 'no serious or critical violation, no sideways scrolling');
      },
      { axe: true },
    ));
});
