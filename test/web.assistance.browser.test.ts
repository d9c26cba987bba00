/**
 * The mutual-assistance screens of the web application in a real browser (Chromium), on one node
 * with the demo alliance and users of four members: DEU's incident handler (the stricken member),
 * two coordinators of NCIRC (a coordinating member: on-site help needs two approvals), an incident
 * handler of FRA (a member with a matching standby team) and one of an ally the request does not
 * reach (without one):
 *
 * - FRA registers a standby team through the roster form (capabilities, modes, 24/7 in its time
 *   zone, response hours, contacts), and it is stored as the form said;
 * - DEU requests assistance from its incident's page: the form starts with the incident's handling
 *   and says the approval rule of the chosen mode; the request opens on its page with its clocks
 *   running (and ticking);
 * - each coordinator sees it on the board with its clocks and approves it in the page (conditions
 *   recorded), one approval of two, then approved; the approval clock stops;
 * - the ally without a matching standby team finds it neither on its board nor by its address
 *   (answered as one that does not exist);
 * - FRA sees it, offers its team through the offer form; DEU accepts, the deployment mobilises,
 *   goes active, takes a situation report; the clocks stop as their milestones are reached; the
 *   board shows it assisting and the deployment with both members;
 * - the roster's search answers who can help now;
 * - an approval made stale by another coordinator's meanwhile is refused (409), said, and the page
 *   read again;
 * - the board and a request's page follow changes made elsewhere (the live feed's assistance events);
 * - axe-core finds no serious violation on the board, a request's page, the request form and the
 *   roster (desktop and tablet), none scrolls sideways; screenshots go to test-artifacts/screenshots.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  createUser,
  makeOffer,
  moveRequest,
  otherNations,
  pageClocks,
  registerTeam,
  requestAssistance,
  requestOf,
  requestStatusFor,
  shownRequests,
  uniqueWord,
  type AssistanceRequest,
  type AssistanceUser,
  type Catalogue,
  type Offer,
  type StandbyTeam,
} from './support/assistance.js';
import { reportIncident as reportIncidentWith, type Incident } from './support/incidents.js';
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
  type Api,
  type PageProblems,
  type WebUser,
  openSignedIn as openSignedInAt,
} from './support/web.js';

const DESKTOP = { width: 1280, height: 800 };
const TABLET = { width: 820, height: 1180 };
const TITLE = 'Assistance';

describe('mutual assistance in the web application', { timeout: SUITE_LIMIT_MS }, () => {
  const stage = new DemoStage();
  let catalogue: Catalogue;
  /** The stricken member's incident handler (DEU). */
  let requester: AssistanceUser;
  /** Two coordinators of the coordinating member NCIRC. */
  let coordinator: AssistanceUser;
  let coordinator2: AssistanceUser;
  /** An incident handler of FRA, whose member registers a matching standby team. */
  let helper: AssistanceUser;

  const asUser = (u: WebUser): AssistanceUser => ({ name: u.name, password: u.password, api: u.api, member: u.member });

  before(async () => {
    await stage.start('shieldwall-web-assistance-');
    const approver = stage.user('web.node-admin').api;
    requester = asUser(stage.user('demo.analyst.de'));
    coordinator = asUser(stage.user('demo.coordinator'));
    catalogue = await requester.api.json<Catalogue>('/api/v1/assistance/catalogue');
    assert.ok(catalogue.coordinating_members.includes(coordinator.member!), `the demo's alliance (${coordinator.member}) coordinates: ${catalogue.coordinating_members.join(', ')}`);
    assert.equal(catalogue.approval_rules['on-site'], 2, 'on-site help needs two coordinators (the default rule)');
    [coordinator2, helper] = await Promise.all([
      createUser(stage.node, approver, { name: 'web.coordinator.two', member: coordinator.member!, clearance: 2, roles: ['coordinator'] }),
      createUser(stage.node, approver, { name: 'web.handler.fra', member: 'FRA', clearance: 2, roles: ['incident-handler'] }),
    ]);
  });

  after(() => stage.stop());

  /**
   * Runs body with contexts of its own (one per user: `open` signs a user in, in a new context);
   * console errors not `expected` fail the test.
   */
  async function inBrowser(
    t: TestContext,
    body: (open: (user: AssistanceUser) => Promise<Page>) => Promise<void>,
    options: { viewport?: { width: number; height: number }; expected?: (url: string, text: string) => boolean; axe?: boolean; quietFeed?: boolean } = {},
  ): Promise<void> {
    await stage.run(t, async (browser) => {
      const contexts: BrowserContext[] = [];
      const problems: PageProblems[] = [];
      const open = async (user: AssistanceUser): Promise<Page> => {
        const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP });
        context.setDefaultTimeout(VIEW_LIMIT_MS);
        contexts.push(context);
        problems.push(await watchContext(context, options.expected));
        if (options.axe) await allowAxe(context, stage.node.url);
        // A desk whose live feed brings nothing (held unanswered): only the version it sends tells it of a change elsewhere.
        if (options.quietFeed) await context.route(`${stage.node.url}/api/v1/events*`, () => {});
        return openSignedInAt(context, stage.node.url, user);
      };
      try {
        await body(open);
        assert.deepEqual(problems.flatMap((p) => p.errors), [], 'no console or page errors');
      } finally {
        for (const context of contexts) await context.close();
      }
    });
  }

  const go = (page: Page, hash: string): Promise<void> => stage.go(page, hash, TITLE);

  /** An incident of the stricken member, released to the alliance: assistance is asked for it. */
  const reportIncident = (api: Api, title: string): Promise<Incident> => reportIncidentWith(api, { title, sectors: ['energy'], releasability: ['ALLIANCE'] });

  async function teamsOf(api: Api, member: string): Promise<StandbyTeam[]> {
    return (await api.json<{ teams: StandbyTeam[] }>(`/api/v1/assistance/teams?member=${member}&limit=200`)).teams;
  }

  /** A request approved by the coordinators (through the API), to set a scene. */
  async function approvedRequest(title: string, mode = 'on-site'): Promise<{ incident: Incident; request: AssistanceRequest }> {
    const incident = await reportIncident(requester.api, `Incident: ${title}`);
    const request = await requestAssistance(requester.api, { incident_id: incident.id, title, mode, urgency: 'high', capabilities: ['malware-analysis'] });
    let approved = await moveRequest(coordinator.api, request.id, { status: 'approved' });
    // As many coordinators as the mode's rule asks for (remote: one; on site: two).
    if (approved.status === 'submitted') approved = await moveRequest(coordinator2.api, request.id, { status: 'approved' });
    assert.equal(approved.status, 'approved');
    return { incident, request: approved };
  }

  async function requestPageStatus(page: Page): Promise<string | null> {
    return page.locator('main article[data-request-id]').getAttribute('data-status');
  }

  it('requests assistance from an incident, approved by two coordinators, offered by a member standing by, accepted and deployed', (t) =>
    inBrowser(
      t,
      async (open) => {
        const word = uniqueWord();

        // FRA registers a standby team through the roster form.
        const helperPage = await open(helper);
        await helperPage.locator('nav[aria-label=Views] a[href="#/assistance"]').click();
        await settle(helperPage, TITLE);
        await helperPage.getByRole('link', { name: /Standby rosters/ }).click();
        await waitInPage(helperPage, `location.hash === '#/assistance/roster'`, 'the roster');
        await settle(helperPage, TITLE);
        await helperPage.getByRole('button', { name: 'Register a team' }).click();
        const teamName = `Rapid response team ${word}`;
        await helperPage.locator('#team-name').fill(teamName);
        for (const capability of ['malware-analysis', 'digital-forensics']) await helperPage.locator(`input[name=team-capabilities][value=${capability}]`).check();
        await helperPage.locator('input[name=team-modes][value=on-site]').check();
        await helperPage.locator('#team-size').fill('5');
        await helperPage.locator('#team-clearance').selectOption('RESTRICTED');
        await helperPage.locator('#team-languages').fill('en, fr');
        await helperPage.locator('#team-zone').selectOption('Europe/Paris');
        assert.equal(await helperPage.locator('#team-always').isChecked(), true, '24/7 by default');
        await helperPage.locator('#team-remote-hours').fill('1');
        await helperPage.locator('#team-onsite-hours').fill('4');
        await helperPage.locator('#team-contact-0-name').fill('Claire Martin');
        await helperPage.locator('#team-contact-0-phone').fill('+33 1 23 45 67 89');
        await helperPage.locator('#team-contact-0-email').fill('duty@cert.example.fr');
        await helperPage.locator('#team-releasability').fill('ALLIANCE');
        await helperPage.getByRole('button', { name: 'Register the team' }).click();
        await helperPage.locator('main .aid-saved', { hasText: 'Registered' }).waitFor();
        await settle(helperPage, TITLE);
        const team = (await teamsOf(helper.api, 'FRA')).find((x) => x.name === teamName);
        assert.ok(team, 'the node stored the team');
        assert.ok(await helperPage.locator(`main tr[data-team-id="${team.id}"]`).isVisible(), 'the roster lists it');
        assert.equal(team.member, 'FRA');
        assert.deepEqual([...team.capabilities].sort(), ['digital-forensics', 'malware-analysis']);
        assert.deepEqual([...team.modes].sort(), ['on-site', 'remote']);
        assert.equal(team.size, 5);
        assert.equal(team.clearance, 'RESTRICTED');
        assert.deepEqual(team.languages, ['en', 'fr']);
        assert.equal(team.time_zone, 'Europe/Paris');
        assert.equal(team.always, true);
        assert.deepEqual(team.response_hours, { remote: 1, 'on-site': 4 });
        assert.deepEqual(team.contacts.map((c) => [c.name, c.phone, c.email]), [['Claire Martin', '+33 1 23 45 67 89', 'duty@cert.example.fr']]);
        await screenshot(helperPage, 'assistance-roster-registered');

        // DEU requests assistance from its incident's page.
        const incident = await reportIncident(requester.api, `Wiper at a transmission operator ${word}`);
        const requesterPage = await open(requester);
        await requesterPage.goto(`${stage.node.url}/#/incidents/${incident.id}`);
        await settle(requesterPage, 'Incidents');
        await requesterPage.getByRole('link', { name: 'Request assistance' }).click();
        await waitInPage(requesterPage, `location.hash.startsWith('#/assistance/new?incident=')`, 'the request form');
        await settle(requesterPage, TITLE);
        assert.match(await requesterPage.locator('main [data-field=incident]').innerText(), new RegExp(word), 'the form names the incident');
        assert.equal(await requesterPage.locator('#aid-new-tlp').inputValue(), 'amber', "the incident's TLP to begin with");
        assert.equal(await requesterPage.locator('#aid-new-releasability').inputValue(), 'ALLIANCE', "the incident's releasability to begin with");
        const title = `Malware analysts on site ${word}`;
        await requesterPage.locator('#aid-new-title').fill(title);
        await requesterPage.locator('#aid-new-description').fill('Historians encrypted; we need reverse engineering of the dropper.');
        await requesterPage.locator('input[name=capabilities][value=malware-analysis]').check();
        await requesterPage.locator('#aid-new-urgency').selectOption('critical');
        await requesterPage.locator('input[name=mode][value=remote]').check();
        assert.match(await requesterPage.locator('#aid-new-rule').innerText(), new RegExp(`^remote: ${catalogue.approval_rules.remote} coordinators? approves?`), 'the rule of remote help');
        await requesterPage.locator('input[name=mode][value=on-site]').check();
        assert.match(await requesterPage.locator('#aid-new-rule').innerText(), /^on site: 2 coordinators approve/, 'the rule of on-site help');
        await requesterPage.locator('#aid-new-clearance').selectOption('RESTRICTED');
        await requesterPage.locator('#aid-new-languages').fill('en');
        await requesterPage.locator('#aid-new-duration').fill('10');
        await requesterPage.locator('#aid-new-other').fill('Badges issued at the gate.');
        await requesterPage.getByRole('button', { name: 'Request assistance' }).click();
        await waitInPage(requesterPage, `/^#\\/assistance\\/assistance-request--/.test(location.hash)`, "the new request's page");
        await settle(requesterPage, TITLE);
        const id = decodeURIComponent(new URL(requesterPage.url()).hash.slice('#/assistance/'.length));
        assert.equal(await requesterPage.locator('main h1').innerText(), title);
        assert.equal(await requestPageStatus(requesterPage), 'submitted');
        assert.equal(await requesterPage.locator('main [data-field=approvals]').getAttribute('data-required'), '2');
        assert.equal(await requesterPage.locator('main [data-field=approvals]').getAttribute('data-approvals'), '0');
        let clocks = await pageClocks(requesterPage);
        assert.deepEqual(clocks.map((c) => c.milestone), ['approval', 'first_offer', 'deployment'], 'the three clocks are shown');
        assert.ok(clocks.every((c) => c.running && !c.overdue), 'all running, none overdue yet');
        assert.ok(clocks.every((c) => /of 1 h 00 min|of 4 h 00 min|of 1 d 0 h/.test(c.text)), `each against its critical target: ${clocks.map((c) => c.text).join(' | ')}`);
        // A running clock ticks on in the page (from the elapsed time the node answered).
        await waitInPage(requesterPage, `Number(document.querySelector('main .aid-clock[data-milestone=approval]').getAttribute('data-elapsed-ms')) > ${clocks[0]!.elapsed + 1000}`, 'the approval clock ticking');
        await assertBanners(requesterPage, 'the new request');
        await screenshot(requesterPage, 'assistance-requested');
        const stored = await requestOf(requester.api, id);
        assert.equal(stored.incident_id, incident.id);
        assert.deepEqual(stored.capabilities, ['malware-analysis']);
        assert.equal(stored.urgency, 'critical');
        assert.equal(stored.mode, 'on-site');
        assert.deepEqual(stored.constraints, { clearance: 'RESTRICTED', languages: ['en'], duration_days: 10, other: 'Badges issued at the gate.' });
        assert.deepEqual(stored.handling, { tlp: 'amber', classification: 'UNCLASSIFIED', releasability: ['ALLIANCE'] });
        assert.equal(stored.member, 'DEU');

        // The first coordinator: the board shows it submitted with its clocks; the page approves it with conditions.
        const coordinatorPage = await open(coordinator);
        await coordinatorPage.goto(`${stage.node.url}/#/assistance`);
        await settle(coordinatorPage, TITLE);
        const card = (await shownRequests(coordinatorPage)).find((r) => r.id === id);
        assert.ok(card, 'the coordinator sees the request on the board');
        assert.equal(card.group, 'submitted');
        assert.equal(card.tlp, 'TLP:AMBER');
        assert.deepEqual(card.clocks.map((c) => [c.milestone, c.running]), [['approval', true], ['first_offer', true], ['deployment', true]], 'with its three clocks running');
        assert.match(card.text, /DEU/, 'and the requesting member');
        await assertBanners(coordinatorPage, 'the board');
        await screenshot(coordinatorPage, 'assistance-board-submitted');
        await coordinatorPage.locator(`main li[data-request-id="${id}"] a.aid-card-title`).click();
        await waitInPage(coordinatorPage, `location.hash === '#/assistance/${id}'`, 'the request page');
        await settle(coordinatorPage, TITLE);
        await coordinatorPage.locator('#aid-approve-conditions').fill('The team lead reports daily to NCIRC.');
        await coordinatorPage.getByRole('button', { name: 'Approve', exact: true }).click();
        await coordinatorPage.locator('main [data-field=approvals][data-approvals="1"]').waitFor();
        await settle(coordinatorPage, TITLE);
        assert.equal(await requestPageStatus(coordinatorPage), 'submitted', 'one approval of two: still submitted');
        assert.match(await coordinatorPage.locator('main .aid-approvals').innerText(), /The team lead reports daily to NCIRC\./, 'the conditions are shown');
        assert.equal(await coordinatorPage.getByRole('button', { name: 'Approve', exact: true }).count(), 0, 'a coordinator approves once');

        // The second coordinator approves: the request is approved and reaches FRA; the approval clock stops.
        const coordinator2Page = await open(coordinator2);
        await coordinator2Page.goto(`${stage.node.url}/#/assistance/${id}`);
        await settle(coordinator2Page, TITLE);
        await coordinator2Page.getByRole('button', { name: 'Approve', exact: true }).click();
        await waitInPage(coordinator2Page, `document.querySelector('main article[data-request-id]')?.getAttribute('data-status') === 'approved'`, 'the request approved');
        await settle(coordinator2Page, TITLE);
        clocks = await pageClocks(coordinator2Page);
        assert.equal(clocks.find((c) => c.milestone === 'approval')?.running, false, 'the approval clock stopped');
        assert.match(clocks.find((c) => c.milestone === 'approval')!.text, /reached/);
        assert.equal(clocks.find((c) => c.milestone === 'first_offer')?.running, true, 'the first-offer clock runs on');
        await screenshot(coordinator2Page, 'assistance-approved');
        const approved = await requestOf(coordinator.api, id);
        assert.deepEqual(approved.approvals.map((a) => a.by).sort(), [coordinator.name, coordinator2.name].sort());
        assert.ok(approved.released_to?.includes('FRA'), `it reaches FRA: ${JSON.stringify(approved.released_to)}`);

        // An ally the request did not reach (no standing-by team of its own with the capability) knows nothing of it.
        const [unreached] = await otherNations(stage.user('web.node-admin').api, ['DEU', 'FRA', ...(approved.released_to ?? [])]);
        assert.ok(unreached, `an ally the request did not reach (it reached ${JSON.stringify(approved.released_to)})`);
        const bystander = await createUser(stage.node, stage.user('web.node-admin').api, { name: 'web.handler.unreached', member: unreached, clearance: 2, roles: ['incident-handler'] });
        const own = await bystander.api.json<{ teams: StandbyTeam[] }>(`/api/v1/assistance/teams?member=${unreached}&capability=malware-analysis&status=standing-by`);
        assert.deepEqual(own.teams.filter((x) => x.modes.includes('on-site')), [], `${unreached} has no standing-by on-site team for malware analysis`);
        assert.equal(await requestStatusFor(bystander.api, id), 404, `the node does not let ${unreached} read it`);
        const bystanderPage = await open(bystander);
        await bystanderPage.goto(`${stage.node.url}/#/assistance?show=all`);
        await settle(bystanderPage, TITLE);
        assert.ok(!(await shownRequests(bystanderPage)).some((r) => r.id === id), 'not on its board');
        assert.ok(!(await pageContents(bystanderPage)).includes(title), 'nothing of it on the page');
        await bystanderPage.goto(`${stage.node.url}/#/assistance/${id}`);
        await settle(bystanderPage, TITLE);
        assert.match(await bystanderPage.locator('main').innerText(), /not found/i, 'by its address: not found');
        assert.ok(!(await pageContents(bystanderPage)).includes(title), 'its title is not in the page');
        await screenshot(bystanderPage, 'assistance-not-found');

        // FRA sees it approved and offers its team.
        await helperPage.goto(`${stage.node.url}/#/assistance`);
        await settle(helperPage, TITLE);
        const reached = (await shownRequests(helperPage)).find((r) => r.id === id);
        assert.equal(reached?.group, 'approved', 'FRA sees it among the approved requests');
        await helperPage.locator(`main li[data-request-id="${id}"] a.aid-card-title`).click();
        await waitInPage(helperPage, `location.hash === '#/assistance/${id}'`, 'the request page');
        await settle(helperPage, TITLE);
        await helperPage.locator('#offer-team').selectOption(team.id);
        assert.equal(await helperPage.locator('#offer-size').inputValue(), '5', "the team's size");
        assert.equal(await helperPage.locator('#offer-clearance').inputValue(), 'RESTRICTED', "the team's clearance");
        assert.equal(await helperPage.locator('#offer-mode').inputValue(), 'on-site', 'on site, as asked');
        await helperPage.locator('#offer-conditions').fill('Travel costs borne by FRA.');
        await helperPage.getByRole('button', { name: 'Make the offer' }).click();
        await helperPage.locator('main li[data-offer-id][data-status=offered]').waitFor();
        await settle(helperPage, TITLE);
        await screenshot(helperPage, 'assistance-offered');
        const [offer] = (await requestOf(requester.api, id)).offers;
        assert.ok(offer, 'the requester reads the offer');
        assert.equal(offer.team_id, team.id);
        assert.equal(offer.member, 'FRA');
        assert.equal(offer.mode, 'on-site');
        assert.equal(offer.conditions, 'Travel costs borne by FRA.');

        // DEU accepts: a deployment mobilises; it goes active and takes a situation report.
        await requesterPage.reload();
        await settle(requesterPage, TITLE);
        await requesterPage.locator(`main li[data-offer-id="${offer.id}"] button[data-offer-move=accepted]`).click();
        const deployment = requesterPage.locator('main li[data-deployment-id]');
        await requesterPage.locator('main li[data-deployment-id][data-status=mobilising]').waitFor();
        await settle(requesterPage, TITLE);
        assert.equal(await requestPageStatus(requesterPage), 'assisting', 'the request is assisting');
        assert.equal(await requesterPage.locator(`main li[data-offer-id="${offer.id}"]`).getAttribute('data-status'), 'accepted');
        await deployment.locator('button[data-transition=active]').click();
        await requesterPage.locator('main li[data-deployment-id][data-status=active]').waitFor();
        await settle(requesterPage, TITLE);
        await deployment.locator('textarea[id$=-sitrep]').fill('Team on site; dropper unpacked.');
        await deployment.getByRole('button', { name: 'Add the report' }).click();
        await deployment.locator('li[data-sitrep-id]', { hasText: 'dropper unpacked' }).waitFor();
        await settle(requesterPage, TITLE);
        assert.match(await deployment.innerText(), /FRA[\s\S]*assists[\s\S]*DEU/, 'the deployment names both members');
        clocks = await pageClocks(requesterPage);
        assert.deepEqual(clocks.map((c) => [c.milestone, c.running]), [['approval', false], ['first_offer', false], ['deployment', false]], 'every milestone reached: the clocks stopped');
        await assertBanners(requesterPage, 'the deployed request');
        await screenshot(requesterPage, 'assistance-deployed');
        const deployed = await requestOf(requester.api, id);
        assert.equal(deployed.status, 'assisting');
        assert.equal(deployed.deployments[0]?.status, 'active');
        assert.equal(deployed.deployments[0]?.assisting_member, 'FRA');
        assert.ok(deployed.clocks.every((c) => c.reached_at !== null), 'the node says every milestone was reached');

        // The board: assisting, with the deployment and both members.
        await requesterPage.goto(`${stage.node.url}/#/assistance`);
        await settle(requesterPage, TITLE);
        const assisting = (await shownRequests(requesterPage)).find((r) => r.id === id);
        assert.equal(assisting?.group, 'assisting');
        assert.match(assisting.text, /1 offer[\s\S]*1 deployment/);
        const row = requesterPage.locator(`main tr[data-deployment-id="${deployed.deployments[0]!.id}"]`);
        assert.equal(await row.getAttribute('data-status'), 'active');
        assert.equal(await row.locator('[data-field=assisting]').innerText(), 'FRA');
        assert.equal(await row.locator('[data-field=requesting]').innerText(), 'DEU');
        await screenshot(requesterPage, 'assistance-board-assisting');

        // Who can help now: FRA's team, on call, on site within 4 hours.
        await helperPage.goto(`${stage.node.url}/#/assistance/roster`);
        await settle(helperPage, TITLE);
        await helperPage.locator('#who-capability').selectOption('malware-analysis');
        await helperPage.locator('#who-mode').selectOption('on-site');
        await helperPage.locator('#who-within').fill('4');
        await helperPage.getByRole('button', { name: 'Find teams' }).click();
        await helperPage.locator('main .aid-who-answer').waitFor();
        await settle(helperPage, TITLE);
        const found = helperPage.locator(`main table.aid-standby tr[data-team-id="${team.id}"]`);
        assert.equal(await found.getAttribute('data-on-call'), 'true', 'on call now (24/7)');
        assert.match(await found.locator('[data-field=response-hours]').innerText(), /^4 h/);
        assert.match(await found.innerText(), /Claire Martin/, 'with its on-call contact');
        const answer = await helper.api.json<{ teams: Array<{ team: { id: string } }> }>('/api/v1/assistance/standby?capability=malware-analysis&mode=on-site&within_hours=4');
        const listed = (await helperPage.evaluate(`[...document.querySelectorAll('main table.aid-standby tr[data-team-id]')].map((r) => r.getAttribute('data-team-id'))`)) as string[];
        assert.deepEqual(listed, answer.teams.map((x) => x.team.id), "the page shows the node's answer, in its order");
        await screenshot(helperPage, 'assistance-who-can-help');
      },
      { expected: (url, text) => url.includes('/api/v1/assistance/requests/') && failedLoad(text, 404) },
    ));

  it('shows a stale approval refused (409) and reads the request again', (t) =>
    inBrowser(
      t,
      async (open) => {
        const incident = await reportIncident(requester.api, `Intrusion at a ministry ${uniqueWord()}`);
        const request = await requestAssistance(requester.api, { incident_id: incident.id, title: `Forensics on site ${uniqueWord()}`, mode: 'on-site', capabilities: ['digital-forensics'] });
        const page = await open(coordinator);
        await go(page, `#/assistance/${request.id}`);
        // The other coordinator approves meanwhile (and this desk's live feed does not say so): the page's version is stale.
        await moveRequest(coordinator2.api, request.id, { status: 'approved' });
        const refused = page.waitForResponse((r) => r.url().endsWith('/status') && r.request().method() === 'POST');
        await page.getByRole('button', { name: 'Approve', exact: true }).click();
        const answer = await refused;
        assert.equal(answer.status(), 409, 'the node refuses the stale approval');
        const body = (await answer.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'SW_STALE_VERSION');
        const alert = page.locator('main .error[role=alert]');
        await alert.waitFor();
        assert.ok((await alert.innerText()).includes(body.error.message), "the node's message is shown");
        assert.match(await alert.innerText(), /shown again as it is now/);
        await page.locator('main [data-field=approvals][data-approvals="1"]').waitFor();
        await settle(page, TITLE);
        await screenshot(page, 'assistance-stale-approval');
        // Read again, the approval goes through.
        await page.getByRole('button', { name: 'Approve', exact: true }).click();
        await waitInPage(page, `document.querySelector('main article[data-request-id]')?.getAttribute('data-status') === 'approved'`, 'approved');
        assert.equal((await requestOf(coordinator.api, request.id)).status, 'approved');
      },
      { expected: (url, text) => url.endsWith('/status') && failedLoad(text, 409), quietFeed: true },
    ));

  it('reads the board and an open request again when the live feed tells of a change', (t) =>
    inBrowser(t, async (open) => {
      const page = await open(coordinator);
      await go(page, '#/assistance');
      await page.locator('.feed-light.feed-open').waitFor();
      const incident = await reportIncident(requester.api, `Ransomware at a port ${uniqueWord()}`);
      const request = await requestAssistance(requester.api, { incident_id: incident.id, title: `Recovery help ${uniqueWord()}`, mode: 'remote', capabilities: ['it-recovery'] });
      try {
        await page.locator(`main section[data-group=submitted] li[data-request-id="${request.id}"]`).waitFor();
      } catch (error) {
        throw new Error("the board did not show a request made while it was open: no 'shieldwall:assistance' event reached it from the live feed", { cause: error });
      }
      await settle(page, TITLE);

      // Its page, open at the coordinator's desk, follows a change made at another.
      await go(page, `#/assistance/${request.id}`);
      await page.locator('.feed-light.feed-open').waitFor();
      assert.equal(await requestPageStatus(page), 'submitted');
      await moveRequest(requester.api, request.id, { status: 'withdrawn', reason: 'Recovered on our own.' });
      await waitInPage(page, `document.querySelector('main article[data-request-id]')?.getAttribute('data-status') === 'withdrawn'`, 'the withdrawal shown');
      await settle(page, TITLE);
      assert.equal(await page.getByRole('button', { name: 'Approve', exact: true }).count(), 0, 'nothing left to approve');
      assert.match(await page.locator('main .aid-history').innerText(), /Recovered on our own\./);
    }));

  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['tablet', TABLET],
  ] as const) {
    it(`has no serious axe-core violation on the board, a request, the form and the roster (${size}), and does not scroll sideways`, (t) =>
      inBrowser(
        t,
        async (open) => {
          const word = uniqueWord();
          const team = await registerTeam(helper.api, { name: `Forensics cell ${word}`, capabilities: ['malware-analysis', 'threat-hunting'] });
          const { incident, request } = await approvedRequest(`Hunting support ${word}`);
          const offer = await makeOffer(helper.api, request.id, { team_id: team.id, mode: 'on-site', conditions: 'Two weeks at most.' });
          await requester.api.json<Offer>(`/api/v1/assistance/offers/${offer.id}/status`, { method: 'POST', body: JSON.stringify({ status: 'accepted', version: offer.version }) });
          const failures: string[] = [];
          const judge = async (page: Page, name: string) => {
            for (const v of await seriousViolations(page)) failures.push(`${name}: ${v.impact} ${v.id} (${v.help}): ${v.nodes.join(' | ')}`);
            const s = await shown(page);
            if (s.scrollWidth > s.innerWidth) failures.push(`${name}: the page scrolls sideways at ${s.innerWidth} px (document ${s.scrollWidth} px wide)`);
            await screenshot(page, `assistance-${name}-${size}`);
          };
          const requesterPage = await open(requester);
          for (const [name, hash] of [
            ['board', '#/assistance'],
            ['request', `#/assistance/${request.id}`],
            ['form', `#/assistance/new?incident=${incident.id}`],
          ] as const) {
            await go(requesterPage, hash);
            await judge(requesterPage, name);
          }
          // The offering side: its offer form, and the roster with the team form and a search's answer.
          const other = await approvedRequest(`Recovery support ${word}`, 'remote');
          const helperPage = await open(helper);
          await go(helperPage, `#/assistance/${other.request.id}`);
          await helperPage.locator('#offer-team').waitFor();
          await judge(helperPage, 'offer-form');
          await go(helperPage, '#/assistance/roster');
          await helperPage.getByRole('button', { name: 'Find teams' }).click();
          await helperPage.locator('main .aid-who-answer').waitFor();
          await helperPage.getByRole('button', { name: 'Register a team' }).click();
          await helperPage.locator('#team-always').uncheck();
          await settle(helperPage, TITLE);
          await judge(helperPage, 'roster');
          assert.deepEqual(failures, [], `${failures.length} problems`);
        },
        { viewport, axe: true },
      ));
  }
});
