/**
 * The incidents screens of the web application in a real browser (Chromium), on one node with
 * the demo alliance, signed in as the demo's German analyst (an incident handler of DEU) and the
 * French political delegate (FRA, who reads but does not write incidents):
 *
 * - an incident reported through the form, the node's refusals shown beside the fields they
 *   name, opens on its own page with every field and its handling badges;
 * - the board shows it with its badges, severity level and status, and filters by status, level,
 *   member, sector, significance and text, the filters kept in the address;
 * - the page offers only the moves the node allows, and a move made stale by a change at another
 *   desk is refused with the node's 409 message;
 * - the score calculator previews the node's score and level and saves them; the level follows;
 * - notes, tasks and linked intel are added (and a task done, a link removed);
 * - an incident the reader's member is not released to is neither on its board nor found by its
 *   address (answered as one that does not exist); one it may read but not change shows no
 *   controls;
 * - an incident reported while the board is open is offered as a refresh;
 * - axe-core finds no serious violation on the board, the page and the form; screenshots of each
 *   go to test-artifacts/screenshots.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  incidentOf,
  incidentStatusFor,
  moveIncident,
  reportIncident,
  shownIncidents,
  tlpBadge,
  uniqueTitle,
  type ScorePreview,
  type Scoring,
} from './support/incidents.js';
import { SUITE_LIMIT_MS } from './support/wait.js';
import {
  allowAxe,
  assertBanners,
  DemoStage,
  failedLoad,
  pageContents,
  screenshot,
  seriousViolations,
  settle,
  shown,
  VIEW_LIMIT_MS,
  waitInPage,
  watchContext,
  type PageProblems,
  type WebUser,
  openSignedIn as openSignedInAt,
} from './support/web.js';

const DESKTOP = { width: 1280, height: 800 };
const TABLET = { width: 820, height: 1180 };
const TITLE = 'Incidents';

describe('incidents in the web application', { timeout: SUITE_LIMIT_MS }, () => {
  const stage = new DemoStage();
  let scoring: Scoring;

  /** An incident handler of DEU (incidents:write). */
  const handler = () => stage.user('demo.analyst.de');
  /** A political delegate of FRA (incidents:read only). */
  const delegate = () => stage.user('demo.delegate.fr');

  before(async () => {
    await stage.start('shieldwall-web-incidents-');
    scoring = await handler().api.json<Scoring>('/api/v1/incidents/scoring');
    assert.ok(scoring.categories.length > 0 && scoring.categories.every((c) => c.options.length > 1), 'the scoring has categories with options to choose from');
  });

  after(() => stage.stop());

  /** Runs body in a browser context of its own; console errors not `expected` fail the test. */
  async function inBrowser(
    t: TestContext,
    body: (context: BrowserContext, problems: PageProblems) => Promise<void>,
    options: { viewport?: { width: number; height: number }; expected?: (url: string, text: string) => boolean } = {},
  ): Promise<void> {
    await stage.run(t, async (browser) => {
      const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP });
      context.setDefaultTimeout(VIEW_LIMIT_MS);
      const problems = await watchContext(context, options.expected);
      try {
        await body(context, problems);
        assert.deepEqual(problems.errors, [], 'no console or page errors');
      } finally {
        await context.close();
      }
    });
  }

  const openSignedIn = (context: BrowserContext, user: WebUser): Promise<Page> => openSignedInAt(context, stage.node.url, user);
  const go = (page: Page, hash: string): Promise<void> => stage.go(page, hash, TITLE);

  /** The node's own preview of these selections: what the calculator must show. */
  function previewOf(selections: Record<string, string>): Promise<ScorePreview> {
    return handler().api.json<ScorePreview>('/api/v1/incidents/scoring/preview', { method: 'POST', body: JSON.stringify({ selections }) });
  }

  /** One option in every category: the most severe (last) or the least (first). */
  function selectionsAt(end: 'first' | 'last'): Record<string, string> {
    return Object.fromEntries(scoring.categories.map((c) => [c.key, (end === 'first' ? c.options[0] : c.options.at(-1))!.key]));
  }

  async function transitionsShown(page: Page): Promise<string[]> {
    return (await page.evaluate(`[...document.querySelectorAll('main button[data-transition]')].map((b) => b.getAttribute('data-transition'))`)) as string[];
  }

  it('reports an incident through the form, showing the node\'s refusals beside their fields', (t) =>
    inBrowser(
      t,
      async (context) => {
        const user = handler();
        const page = await openSignedIn(context, user);
        await page.locator('nav[aria-label=Views] a[href="#/incidents"]').click();
        await settle(page, TITLE);
        await page.getByRole('link', { name: 'Report an incident' }).click();
        await waitInPage(page, `location.hash === '#/incidents/new'`, 'the report form');
        await settle(page, TITLE);

        // Nothing filled in: the form says what is missing before asking the node.
        await page.getByRole('button', { name: 'Report the incident' }).click();
        await page.locator('.refusal[role=alert]').waitFor();
        assert.equal(await page.locator('#report-title').getAttribute('aria-invalid'), 'true', 'the title is marked invalid');
        assert.match(await page.locator('#report-title-error').innerText(), /required/, 'the title says it is required');

        const { title } = uniqueTitle('Ransomware at a regional grid operator');
        await page.locator('#report-title').fill(title);
        await page.locator('#report-summary').fill('Encrypted SCADA historians; operations continue on manual control.');
        for (const sector of ['energy', 'health']) await page.locator(`input[name=sectors][value=${sector}]`).check();
        await page.locator('#report-systems').fill('scada-historian-01\nvpn-gw-02');
        await page.locator('#report-started').fill('2026-03-01T08:00');
        await page.locator('#report-detected').fill('2026-03-01T09:30');
        await page.locator('#report-handler').fill('CERT duty officer');
        await page.locator('#report-actor-name').fill('GHOSTLY BEAR');
        await page.locator('#report-actor-confidence').fill('60');
        await page.locator('#report-tlp').selectOption('amber');
        await page.locator('#report-classification').selectOption('RESTRICTED');
        // A releasability entry the node's schema refuses: its message stands beside the field.
        await page.locator('#report-releasability').fill('DEU, not/valid');
        const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/incidents') && r.request().method() === 'POST');
        await page.getByRole('button', { name: 'Report the incident' }).click();
        assert.equal((await refused).status(), 400, 'the node refuses the releasability');
        await page.locator('#report-releasability-error').waitFor();
        assert.match(await page.locator('#report-releasability-error').innerText(), /'not\/valid' is not a member code/, 'the refused entry is named beside the releasability');
        assert.equal(await page.locator('#report-releasability').getAttribute('aria-invalid'), 'true');
        assert.match(await page.locator('.refusal[role=alert]').innerText(), /Releasable to/, 'the summary names the field');
        await screenshot(page, 'incidents-form-refused');

        await page.locator('#report-releasability').fill('DEU');
        await page.getByRole('button', { name: 'Report the incident' }).click();
        await waitInPage(page, `/^#\\/incidents\\/incident--/.test(location.hash)`, 'the new incident\'s page');
        await settle(page, TITLE);
        const id = decodeURIComponent(new URL(page.url()).hash.slice('#/incidents/'.length));

        // Its page: the fields as given, the handling as chosen, not scored, new.
        const [shownPage] = await shownIncidents(page);
        assert.ok(shownPage && shownPage.id === id, 'the page shows the incident');
        assert.equal(await page.locator('main h1').innerText(), title);
        assert.equal(shownPage.tlp, 'TLP:AMBER');
        assert.equal(shownPage.cls, 'RESTRICTED');
        assert.equal(shownPage.rel, 'REL TO DEU');
        assert.equal(shownPage.level, '', 'not scored yet');
        assert.equal(shownPage.status, 'new');
        const details = await page.locator('.incident-details').innerText();
        for (const text of ['Energy', 'Health', 'scada-historian-01', 'vpn-gw-02', 'CERT duty officer', 'GHOSTLY BEAR', 'confidence 60', 'DEU', user.name]) assert.ok(details.includes(text), `the details show ${text}`);
        await assertBanners(page, 'the new incident');
        await screenshot(page, 'incidents-reported');

        // What the node stored is what the form said (times as the browser's local time).
        const stored = await incidentOf(user.api, id);
        const started = (await page.evaluate(`new Date('2026-03-01T08:00').toISOString()`)) as string;
        assert.equal(stored.title, title);
        assert.deepEqual([...stored.sectors].sort(), ['energy', 'health']);
        assert.deepEqual(stored.systems, ['scada-historian-01', 'vpn-gw-02']);
        assert.equal(Date.parse(stored.started_at ?? ''), Date.parse(started));
        assert.ok(stored.detected_at && Date.parse(stored.detected_at) > Date.parse(started), 'detected after it started');
        assert.deepEqual(stored.actor, { ref: null, name: 'GHOSTLY BEAR', confidence: 60 });
        assert.deepEqual(stored.handling, { tlp: 'amber', classification: 'RESTRICTED', releasability: ['DEU'] });
        assert.equal(stored.member, 'DEU');
        assert.equal(stored.owner, user.name);
      },
      { expected: (url, text) => url.includes('/api/v1/incidents') && failedLoad(text, 400) },
    ));

  it('shows incidents on the board with their badges and level, filtered by what the address says', (t) =>
    inBrowser(t, async (context) => {
      const user = handler();
      const { word } = uniqueTitle('');
      const grid = await reportIncident(user.api, { title: `Grid outage ${word}`, sectors: ['energy'], tlp: 'amber', classification: 'RESTRICTED', releasability: ['DEU'], selections: selectionsAt('last') });
      const probe = await reportIncident(user.api, { title: `Scanning of ground stations ${word}`, sectors: ['space'], tlp: 'green', classification: 'UNCLASSIFIED', releasability: ['ALLIANCE'] });
      assert.ok(grid.severity && grid.severity.level >= 3, `the most severe options score a significant level (got ${JSON.stringify(grid.severity)})`);

      const page = await openSignedIn(context, user);
      await go(page, `#/incidents?q=${word}`);
      const rows = await shownIncidents(page);
      assert.deepEqual(rows.map((r) => r.id).sort(), [grid.id, probe.id].sort(), 'the search finds both, and nothing else');
      for (const [incident, row] of [grid, probe].map((i) => [i, rows.find((r) => r.id === i.id)!] as const)) {
        assert.equal(row.tlp, tlpBadge(incident.handling.tlp), `${incident.title}: its TLP badge`);
        assert.equal(row.cls, incident.handling.classification, `${incident.title}: its classification badge`);
        assert.ok(row.rel?.startsWith('REL'), `${incident.title}: its releasability badge`);
        assert.equal(row.status, 'new');
      }
      const gridRow = rows.find((r) => r.id === grid.id)!;
      assert.equal(gridRow.level, String(grid.severity!.level), 'the board shows the severity level');
      assert.ok(gridRow.levelText?.includes(grid.severity!.level_name), `the level is named: ${gridRow.levelText}`);
      assert.equal(rows.find((r) => r.id === probe.id)!.level, '', 'an unscored incident says so');
      await assertBanners(page, 'the board');
      await screenshot(page, 'incidents-board');

      // Each filter through the form, into the address, and applied by the node.
      const filterBy = async (set: () => Promise<unknown>, param: string) => {
        await set();
        await page.getByRole('button', { name: 'Filter' }).click();
        await waitInPage(page, `location.hash.includes(${JSON.stringify(param)})`, `${param} in the address`);
        await settle(page, TITLE);
        return (await shownIncidents(page)).map((r) => r.id).sort();
      };
      assert.deepEqual(await filterBy(() => page.locator('#incidents-sector').selectOption('energy'), 'sector=energy'), [grid.id], 'by sector');
      assert.deepEqual(await filterBy(() => page.locator('#incidents-level').selectOption(String(grid.severity!.level)), `level=${grid.severity!.level}`), [grid.id], 'by level');
      await page.goto(`${stage.node.url}/#/incidents?q=${word}`);
      await settle(page, TITLE);
      assert.deepEqual(await filterBy(() => page.locator('#incidents-significant').check(), 'significant=true'), [grid.id], 'significant only');
      assert.deepEqual(await filterBy(() => page.locator('#incidents-member').selectOption('DEU'), 'member=DEU'), [grid.id], 'by member, with the other filters');
      assert.deepEqual(await filterBy(() => page.locator('#incidents-status').selectOption('triaged'), 'status=triaged'), [], 'by status: none is triaged');
      assert.match(await page.locator('main').innerText(), /No incident you may read matches/);

      // The address holds the filters: reloaded, the form shows them and the board applies them.
      await page.reload();
      await settle(page, TITLE);
      assert.equal(await page.locator('#incidents-status').inputValue(), 'triaged');
      assert.equal(await page.locator('#incidents-member').inputValue(), 'DEU');
      assert.equal(await page.locator('#incidents-significant').isChecked(), true);
      assert.deepEqual(await shownIncidents(page), []);
      await page.getByRole('link', { name: 'Clear' }).click();
      await waitInPage(page, `location.hash === '#/incidents'`, 'the filters cleared');
      await settle(page, TITLE);
      assert.ok((await shownIncidents(page)).some((r) => r.id === probe.id), 'cleared, the board shows every incident');
    }));

  it('offers only the moves the node allows, and shows the 409 of a stale one', (t) =>
    inBrowser(
      t,
      async (context) => {
        const user = handler();
        const incident = await reportIncident(user.api, { title: uniqueTitle('Phishing wave against ministries').title, sectors: ['public-administration'] });
        const page = await openSignedIn(context, user);
        await go(page, `#/incidents/${incident.id}`);
        assert.deepEqual(await transitionsShown(page), incident.allowed_transitions, 'the moves are the node\'s allowed_transitions');
        assert.deepEqual([...incident.allowed_transitions].sort(), ['closed', 'triaged']);

        await page.locator('button[data-transition=triaged]').click();
        await waitInPage(page, `document.querySelector('main .incident-status')?.getAttribute('data-status') === 'triaged'`, 'the status triaged');
        await settle(page, TITLE);
        assert.deepEqual([...(await transitionsShown(page))].sort(), ['closed', 'contained'], 'from triaged: contained or closed');
        assert.ok(!(await transitionsShown(page)).includes('recovered'), 'a move the state machine does not allow is not offered');

        // A colleague moves it meanwhile: the page still offers 'contained', which is now stale.
        await moveIncident(user.api, incident.id, 'contained');
        const refused = page.waitForResponse((r) => r.url().endsWith('/status'));
        await page.locator('button[data-transition=contained]').click();
        const answer = await refused;
        assert.equal(answer.status(), 409, 'the node refuses the stale move');
        const body = (await answer.json()) as { error: { code: string; message: string } };
        const alert = page.locator('main .error[role=alert]');
        await alert.waitFor();
        const said = await alert.innerText();
        assert.ok(said.includes(body.error.message), `the node's message is shown: ${said}`);
        assert.ok(said.includes(body.error.code), 'with its code');
        // And the page reads the incident again: what it offers now is what the node allows.
        await waitInPage(page, `document.querySelector('main .incident-status')?.getAttribute('data-status') === 'contained'`, 'the status read again');
        await settle(page, TITLE);
        const now = await incidentOf(user.api, incident.id);
        assert.deepEqual(await transitionsShown(page), now.allowed_transitions);
        await screenshot(page, 'incidents-stale-move');
      },
      { expected: (url, text) => url.endsWith('/status') && failedLoad(text, 409) },
    ));

  it('scores an incident with the calculator, as the node previews and saves it', (t) =>
    inBrowser(t, async (context) => {
      const user = handler();
      const incident = await reportIncident(user.api, { title: uniqueTitle('DDoS on payment processors').title, sectors: ['banking'] });
      const page = await openSignedIn(context, user);
      await go(page, `#/incidents/${incident.id}`);
      const header = page.locator('main .incident-summary-line .level');
      assert.equal(await header.getAttribute('data-level'), '', 'not scored yet');

      const choose = async (selections: Record<string, string>) => {
        for (const [category, option] of Object.entries(selections)) await page.locator(`#score-${category}`).selectOption(option);
        const expected = await previewOf(selections);
        await waitInPage(page, `document.querySelector('main .preview .score')?.getAttribute('data-score') === ${JSON.stringify(String(expected.score))}`, `the preview's score ${expected.score}`);
        await settle(page, TITLE);
        assert.equal(await page.locator('main .preview .level').getAttribute('data-level'), String(expected.level), 'the preview shows the node\'s level');
        assert.equal(await page.locator('main table.contributions tbody tr').count(), scoring.categories.length, 'one contribution a category');
        return expected;
      };
      const save = async (expected: ScorePreview) => {
        await page.getByRole('button', { name: 'Save severity' }).click();
        await waitInPage(page, `document.querySelector('main .incident-summary-line .level')?.getAttribute('data-level') === ${JSON.stringify(String(expected.level))}`, `level ${expected.level} saved`);
        await settle(page, TITLE);
      };

      const high = await choose(selectionsAt('last'));
      await screenshot(page, 'incidents-calculator');
      await save(high);
      assert.equal((await incidentOf(user.api, incident.id)).severity?.level, high.level, 'the node stored the level');
      const low = await choose(selectionsAt('first'));
      assert.ok(low.level < high.level, `the least severe options score lower (${low.level} < ${high.level})`);
      await save(low);
      const stored = await incidentOf(user.api, incident.id);
      assert.equal(stored.severity?.level, low.level, 'the level changed');
      assert.deepEqual(stored.severity?.selections, selectionsAt('first'));
      assert.ok(stored.timeline.some((e) => e.kind === 'scoring'), 'the timeline says it was scored');

      await go(page, `#/incidents?q=${encodeURIComponent(incident.title.split(' ').at(-1)!)}`);
      assert.equal((await shownIncidents(page)).find((r) => r.id === incident.id)?.level, String(low.level), 'the board shows the new level');
    }));

  it('adds a note, a task (then done), one removed, and a link to intel (then removed)', (t) =>
    inBrowser(t, async (context) => {
      const user = handler();
      const incident = await reportIncident(user.api, { title: uniqueTitle('Credential stuffing on a hospital portal').title, sectors: ['health'] });
      const intel = (await user.api.json<{ objects: Array<{ id: string; type: string }> }>('/api/v1/objects?type=indicator&limit=1')).objects[0];
      assert.ok(intel, 'the demo alliance holds an indicator the handler may read');
      const page = await openSignedIn(context, user);
      await go(page, `#/incidents/${incident.id}`);

      const note = 'Blocked the attacking ranges at the perimeter.';
      await page.locator('#timeline-text').fill(note);
      await page.getByRole('button', { name: 'Add note' }).click();
      await page.locator('main li[data-timeline-kind=note]', { hasText: note }).waitFor();
      assert.ok((await page.locator('main li[data-timeline-kind=note]', { hasText: note }).innerText()).includes(user.name), 'the note names its author');

      await page.locator('#task-title').fill('Reset the exposed accounts');
      await page.locator('#task-assignee').fill('helpdesk');
      await page.getByRole('button', { name: 'Add task' }).click();
      const task = page.locator('main tr[data-task-id]', { hasText: 'Reset the exposed accounts' });
      await task.waitFor();
      assert.equal(await task.getAttribute('data-task-status'), 'open');
      await task.getByRole('button', { name: /Mark done/ }).click();
      await page.locator('main tr[data-task-status=done]', { hasText: 'Reset the exposed accounts' }).waitFor();
      // A task added by mistake is removed, after a confirmation; the other stays.
      await page.locator('#task-title').fill('Call the wrong hospital');
      await page.getByRole('button', { name: 'Add task' }).click();
      const mistaken = page.locator('main tr[data-task-id]', { hasText: 'Call the wrong hospital' });
      await mistaken.waitFor();
      await mistaken.getByRole('button', { name: 'Remove task: Call the wrong hospital' }).click();
      await mistaken.getByRole('button', { name: 'Remove the task', exact: true }).click();
      await mistaken.waitFor({ state: 'detached' });
      await page.getByRole('heading', { name: 'Tasks (0 open of 1)' }).waitFor();

      await page.locator('#link-id').fill(intel.id);
      await page.getByRole('button', { name: 'Link', exact: true }).click();
      const link = page.locator(`main .links [data-object-id="${intel.id}"]`);
      await link.waitFor();
      await settle(page, TITLE);
      assert.equal(await link.locator('a').first().getAttribute('href'), `#/object/${intel.id}`, 'the link leads to the object page');
      for (const badge of ['.badge.tlp', '.badge.cls', '.badge.rel']) assert.equal(await link.locator(badge).count(), 1, `the linked object carries its ${badge}`);
      await assertBanners(page, 'the incident with its link');
      await screenshot(page, 'incidents-page');

      let stored = await incidentOf(user.api, incident.id);
      assert.ok(stored.timeline.some((e) => e.kind === 'note' && e.text === note && e.author === user.name));
      assert.deepEqual(stored.tasks.map((x) => [x.title, x.assignee, x.status]), [['Reset the exposed accounts', 'helpdesk', 'done']]);
      assert.deepEqual(stored.links.map((l) => l.object_id), [intel.id]);

      await page.locator('main .links li').getByRole('button', { name: /Remove the link to/ }).click();
      await page.getByRole('button', { name: 'Remove the link', exact: true }).click();
      await link.waitFor({ state: 'detached' });
      stored = await incidentOf(user.api, incident.id);
      assert.deepEqual(stored.links, [], 'the link is gone');
    }));

  it('shows a reader of another member only what it is released to, and no controls', (t) =>
    inBrowser(
      t,
      async (context) => {
        const reporter = handler();
        const reader = delegate();
        const { word } = uniqueTitle('');
        const closed = await reportIncident(reporter.api, { title: `Intrusion at the defence ministry ${word}`, sectors: ['defence'], tlp: 'amber', releasability: ['DEU'] });
        const shared = await reportIncident(reporter.api, { title: `Malware on port logistics ${word}`, sectors: ['transport'], tlp: 'green', releasability: ['ALLIANCE'] });
        assert.equal(await incidentStatusFor(reader.api, closed.id), 404, 'the node does not let FRA read an incident released to DEU only');
        assert.equal(await incidentStatusFor(reader.api, shared.id), 200, 'the node lets FRA read one released to the alliance');

        const page = await openSignedIn(context, reader);
        await go(page, `#/incidents?q=${word}`);
        assert.deepEqual((await shownIncidents(page)).map((r) => r.id), [shared.id], 'the board shows only the released incident');
        assert.equal(await page.locator('a[href="#/incidents/new"]').count(), 0, 'no report button without incidents:write');
        assert.ok(!(await pageContents(page)).includes(closed.title), 'nothing of the other incident is on the page');

        // By its address: not found, exactly as an incident that does not exist.
        const answerFor = async (id: string) => {
          await go(page, `#/incidents/${id}`);
          return (await page.locator('main').innerText()).replaceAll(id, '<id>');
        };
        const unreadable = await answerFor(closed.id);
        assert.match(unreadable, /not found/i);
        assert.ok(!(await pageContents(page)).includes(closed.title), 'its title is not in the page');
        assert.deepEqual((await shown(page)).banners, ['UNCLASSIFIED', 'UNCLASSIFIED'], 'nothing classified is on screen');
        await screenshot(page, 'incidents-not-found');
        assert.equal(await answerFor(closed.id.replace(/[0-9a-f]{12}$/, '000000000000')), unreadable, 'an unreadable incident and a missing one read the same');

        // The released one: readable, and nothing to change.
        await go(page, `#/incidents/${shared.id}`);
        assert.equal(await page.locator('main h1').innerText(), shared.title);
        assert.match(await page.locator('main .read-only-note').innerText(), /Read only/);
        for (const control of ['button[data-transition]', '#timeline-text', '#task-title', '#link-id', '#score-functional_impact']) assert.equal(await page.locator(`main ${control}`).count(), 0, `no ${control} for a reader`);
        assert.equal(await page.getByRole('button', { name: 'Edit details' }).count(), 0);
        await screenshot(page, 'incidents-read-only');

        // The form, asked for by its address, is refused by the application too (the node would refuse the report).
        await go(page, '#/incidents/new');
        assert.match(await page.locator('main').innerText(), /do not allow/);
      },
      { expected: (url, text) => url.includes('/api/v1/incidents/') && failedLoad(text, 404) },
    ));

  it('offers an incident reported while the board is open as a refresh', (t) =>
    inBrowser(t, async (context) => {
      const user = handler();
      const page = await openSignedIn(context, user);
      await go(page, '#/incidents');
      await page.locator('.feed-light.feed-open').waitFor();
      const incident = await reportIncident(user.api, { title: uniqueTitle('Wiper on a water utility').title, sectors: ['drinking-water'], releasability: ['DEU'] });
      const prompt = page.locator('main .incidents-changed button');
      try {
        await prompt.waitFor();
      } catch (error) {
        throw new Error('no "N changed: refresh" prompt: the live feed brought the page no event of the new incident (the node sends incidents as `event: incident`; web/src/feed.ts must listen to it)', { cause: error });
      }
      assert.match(await prompt.innerText(), /^\d+ changed: refresh$/);
      assert.ok(!(await shownIncidents(page)).some((r) => r.id === incident.id), 'the rows do not move under the reader\'s eyes');
      await prompt.click();
      await settle(page, TITLE);
      assert.ok((await shownIncidents(page)).some((r) => r.id === incident.id), 'refreshed, the board shows it');
      assert.equal(await prompt.count(), 0, 'and the prompt is gone');
    }));

  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['tablet', TABLET],
  ] as const) {
    it(`has no serious axe-core violation on the board, the page and the form (${size}), and does not scroll sideways`, (t) =>
      inBrowser(
        t,
        async (context) => {
          await allowAxe(context, stage.node.url);
          const user = handler();
          const { word, title } = uniqueTitle('Supply-chain compromise of a telecom vendor');
          const incident = await reportIncident(user.api, { title, summary: 'A signed update carried a backdoor.', sectors: ['telecommunications', 'digital-infrastructure'], systems: ['core-router-fw'], selections: selectionsAt('last'), actor: { name: 'SILENT HERON', confidence: 40 } });
          await user.api.json(`/api/v1/incidents/${incident.id}/timeline`, { method: 'POST', body: JSON.stringify({ text: 'Vendor informed.' }) }, 201);
          await user.api.json(`/api/v1/incidents/${incident.id}/tasks`, { method: 'POST', body: JSON.stringify({ title: 'Inventory affected routers' }) }, 201);
          const page = await openSignedIn(context, user);
          const failures: string[] = [];
          for (const [name, hash] of [
            ['board', `#/incidents?q=${word}`],
            ['page', `#/incidents/${incident.id}`],
            ['form', '#/incidents/new'],
          ] as const) {
            await go(page, hash);
            for (const v of await seriousViolations(page)) failures.push(`${name}: ${v.impact} ${v.id} (${v.help}): ${v.nodes.join(' | ')}`);
            const s = await shown(page);
            if (s.scrollWidth > s.innerWidth) failures.push(`${name}: the page scrolls sideways at ${s.innerWidth} px (document ${s.scrollWidth} px wide)`);
            await screenshot(page, `incidents-${name}-${size}`);
          }
          assert.deepEqual(failures, [], `${failures.length} problems`);
        },
        { viewport },
      ));
  }
});
