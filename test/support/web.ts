/**
 * The web application in a real browser: one node with the demo alliance, users of several
 * members, roles and clearances with passwords and API tokens, and what a test needs to judge a
 * page: what it shows (objects, badges, banners), whether each object shown is one its user may
 * read (asked of the node with that user's own token, object by object), when a view is ready
 * (its data arrived, no request of the page in flight), and what is left of a session in the
 * page (DOM, storage, JavaScript heap) after it ended.
 *
 * The selectors are the application's contract: sign-in `#user`, `#password`,
 * `button[type=submit]`, `#login-error`; signed in `#who`, `#signout`, `nav[aria-label=Views] a`,
 * `.banner[data-classification]`, objects inside `[data-object-id]` with `.badge.tlp`,
 * `.badge.cls`, `.badge.rel`; a view's root sets `data-ready="true"` once its data arrived.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { REPO_ROOT } from './paths.js';
import { runCli, startNodeProcess, type NodeProcess } from './process.js';
import { lastLines, limit, until } from './wait.js';

/** Where the browser tests leave their artifacts (screenshots): SHIELDWALL_TEST_ARTIFACTS, or test-artifacts/ in the repository. */
export const ARTIFACTS_DIR = path.resolve(process.env.SHIELDWALL_TEST_ARTIFACTS ?? path.join(REPO_ROOT, 'test-artifacts'));
export const SCREENSHOTS_DIR = path.join(ARTIFACTS_DIR, 'screenshots');

/** How long a view may take to be ready, a page to answer: an outer bound against a hang on a loaded machine. */
export const VIEW_LIMIT_MS = limit(60_000);

export const CLASSIFICATIONS = ['UNCLASSIFIED', 'RESTRICTED', 'CONFIDENTIAL', 'SECRET', 'TOP SECRET'] as const;
const HANDLING_EXTENSION_ID = 'extension-definition--dd929f27-2f1e-426f-b5ef-e61a3bae9927';

/** The views of the navigation, in its order, with the document title each sets. */
export const NAV_VIEWS = ['overview', 'intel', 'incidents', 'assistance', 'assessment', 'decisions', 'detect', 'import', 'members', 'admin'] as const;
export type NavView = (typeof NAV_VIEWS)[number];
export const VIEW_TITLES: Readonly<Record<NavView | 'object', string>> = {
  overview: 'Overview',
  intel: 'Intel',
  object: 'Object',
  incidents: 'Incidents',
  assistance: 'Assistance',
  assessment: 'Assessment',
  decisions: 'Decisions',
  detect: 'Detection',
  import: 'Import',
  members: 'Members',
  admin: 'Administration',
};

export interface StixObject {
  id: string;
  type: string;
  name?: string;
  value?: string;
  pattern?: string;
  created_by_ref?: string;
  source_ref?: string;
  target_ref?: string;
  sighting_of_ref?: string;
  object_marking_refs?: string[];
  extensions?: Record<string, { classification?: string; releasable_to?: string[] } | undefined>;
  [key: string]: unknown;
}

/** What a person calls an object (as the application labels it): its name, value or pattern. */
export function labelOf(o: StixObject): string | undefined {
  for (const key of ['name', 'value', 'pattern'] as const) {
    const v = o[key];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

/** The node's JSON API with one user's bearer token. */
export class Api {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async answer(route: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.url}${route}`, { ...init, headers: { authorization: `Bearer ${this.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers } });
  }

  async json<T>(route: string, init: RequestInit = {}, status = 200): Promise<T> {
    const response = await this.answer(route, init);
    const text = await response.text();
    assert.equal(response.status, status, `${init.method ?? 'GET'} ${route}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Every current object the user may read, by listing (pages of 1,000). */
  async everything(): Promise<StixObject[]> {
    const all: StixObject[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.json<{ objects: StixObject[]; next?: string }>(`/api/v1/objects?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      all.push(...page.objects);
      cursor = page.next;
    } while (cursor);
    return all;
  }
}

export interface WebUser {
  name: string;
  password: string;
  token: string;
  api: Api;
  member: string | null;
  clearance: number;
  roles: string[];
  /** The view the user lands on after sign-in. */
  landing: NavView;
  /** The views the navigation offers the user, in its order (from docs/POLICY.md's permission table). */
  nav: NavView[];
  /** Object ids the node answered 200 (true) or 404 (false) to GET /api/v1/objects/{id} with the user's token. */
  readable: Map<string, boolean>;
}

/** Is this object readable by the user? Asked of the node, once per object. */
export async function readableBy(user: WebUser, id: string): Promise<boolean> {
  const known = user.readable.get(id);
  if (known !== undefined) return known;
  const response = await user.api.answer(`/api/v1/objects/${encodeURIComponent(id)}`);
  await response.body?.cancel();
  assert.ok(response.status === 200 || response.status === 404, `GET /api/v1/objects/${id} as ${user.name}: ${response.status}`);
  user.readable.set(id, response.status === 200);
  return response.status === 200;
}

interface UserSpec {
  name: string;
  /** Created by the test (the demo's users exist already). */
  create?: { member: string | null; clearance: number; roles: string[] };
  landing: NavView;
  nav: NavView[];
}

/**
 * The users the tests sign in as: the demo's five (one per level of the alliance), a member
 * administrator of DEU and a second node administrator. Expected landings and navigation follow
 * App.tsx's rule and the permission table (import needs intel:write, admin directory:write;
 * every role reads incidents, assistance, assessment and decisions; political delegates land on
 * the decisions).
 */
const USERS: readonly UserSpec[] = [
  { name: 'demo.coordinator', landing: 'overview', nav: ['overview', 'intel', 'incidents', 'assistance', 'assessment', 'decisions', 'detect', 'import', 'members'] },
  { name: 'demo.analyst.de', landing: 'intel', nav: ['overview', 'intel', 'incidents', 'assistance', 'assessment', 'decisions', 'detect', 'import', 'members'] },
  { name: 'demo.delegate.fr', landing: 'decisions', nav: ['overview', 'intel', 'incidents', 'assistance', 'assessment', 'decisions', 'detect', 'members'] },
  { name: 'demo.industry', landing: 'intel', nav: ['overview', 'intel', 'incidents', 'assistance', 'assessment', 'decisions', 'detect', 'import', 'members'] },
  { name: 'demo.auditor', landing: 'overview', nav: ['overview', 'intel', 'incidents', 'assistance', 'assessment', 'decisions', 'detect', 'members'] },
  { name: 'web.admin.deu', create: { member: 'DEU', clearance: 1, roles: ['member-admin'] }, landing: 'admin', nav: ['overview', 'intel', 'incidents', 'assistance', 'assessment', 'decisions', 'detect', 'members', 'admin'] },
  { name: 'web.node-admin', create: { member: null, clearance: 0, roles: ['node-admin'] }, landing: 'admin', nav: ['overview', 'intel', 'incidents', 'assistance', 'assessment', 'decisions', 'detect', 'import', 'members', 'admin'] },
];

function newPassword(): string {
  return randomBytes(15).toString('base64url');
}

/**
 * Gives a user a new password and a token (named `tokenName`), as the bootstrap administrator
 * `admin` asks; what is beyond its reach (another member, a higher clearance), `approver` (a
 * second node administrator) approves.
 */
export async function giveCredentials(admin: Api, approver: Api, user: string, tokenName: string): Promise<{ password: string; token: string }> {
  const approve = async (answer: { request?: { id: number } }) => {
    if (answer?.request) await approver.json(`/api/v1/credential-requests/${answer.request.id}/approve`, { method: 'POST' });
  };
  const password = newPassword();
  const set = await admin.answer(`/api/v1/users/${user}/password`, { method: 'PUT', body: JSON.stringify({ password }) });
  assert.ok(set.status === 204 || set.status === 202, `password of ${user}: ${set.status} ${await set.clone().text()}`);
  if (set.status === 202) await approve((await set.json()) as { request: { id: number } });
  const issued = await admin.answer('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ name: tokenName, user }) });
  const body = (await issued.json()) as { token: string; request?: { id: number } };
  assert.ok(issued.status === 201 || issued.status === 202, `token of ${user}: ${issued.status} ${JSON.stringify(body)}`);
  await approve(body);
  return { password, token: body.token };
}

/**
 * Gives every test user a password and an API token, as an operator would: the bootstrap node
 * administrator asks, and for users beyond its reach (other members, higher clearances) a
 * second node administrator approves each request (the two-person rule, docs/OPERATIONS.md).
 * The second administrator is created with the command line, as a node's first users are.
 */
export async function prepareUsers(node: NodeProcess, dataDir: string): Promise<WebUser[]> {
  const admin = new Api(node.url, node.token);
  const second = USERS.find((u) => u.create?.roles.includes('node-admin'))!;
  const cli = await runCli(['users', 'create', '--name', second.name, '--roles', 'node-admin'], { SHIELDWALL_DATA_DIR: dataDir });
  assert.equal(cli.code, 0, `shieldwall users create: ${cli.stderr}`);
  // Another node administrator's credential is never given by one alone (it would approve the
  // giver's own requests): its token comes from the command line, as the operator gives it.
  const issued = await runCli(['tokens', 'create', '--name', 'web tests', '--user', second.name], { SHIELDWALL_DATA_DIR: dataDir });
  assert.equal(issued.code, 0, `shieldwall tokens create: ${issued.stderr}`);
  const secondToken = issued.stdout.trim();
  const approver = new Api(node.url, secondToken);

  const signIn = readFileSync(path.join(dataDir, 'demo-sign-in.txt'), 'utf8');
  const demoUser = /^user: (\S+)$/m.exec(signIn)![1]!;
  const demoPassword = /^password: (\S+)$/m.exec(signIn)![1]!;
  const demoToken = readFileSync(path.join(dataDir, 'demo-token.txt'), 'utf8').trim();

  const users: WebUser[] = [];
  for (const spec of USERS) {
    if (spec.create && spec !== second) await admin.json('/api/v1/users', { method: 'POST', body: JSON.stringify({ name: spec.name, ...spec.create }) }, 201);
    let password: string;
    let token: string;
    if (spec.name === demoUser) {
      password = demoPassword;
      token = demoToken;
    } else {
      ({ password, token } = await giveCredentials(admin, approver, spec.name, 'web tests'));
    }
    const api = new Api(node.url, token);
    const me = await api.json<{ user: string; member: { code: string } | null; clearance: number; roles: string[] }>('/api/v1/me');
    assert.equal(me.user, spec.name, `the token of ${spec.name} acts as it`);
    users.push({ name: spec.name, password, token, api, member: me.member?.code ?? null, clearance: me.clearance, roles: me.roles, landing: spec.landing, nav: spec.nav, readable: new Map() });
  }
  return users;
}

/** An object's classification level from its object-level markings (0 without a handling marking). */
export function classificationOf(o: StixObject, markings: ReadonlyMap<string, StixObject>): number {
  let level = 0;
  for (const ref of o.object_marking_refs ?? []) {
    const name = markings.get(ref)?.extensions?.[HANDLING_EXTENSION_ID]?.classification;
    const index = name === undefined ? -1 : CLASSIFICATIONS.indexOf(name as (typeof CLASSIFICATIONS)[number]);
    if (index > level) level = index;
  }
  return level;
}

/** Everything of the page a person or a script could read, but its own code. */
const PAGE_CONTENTS = `(() => {
  const body = document.body.cloneNode(true);
  for (const e of body.querySelectorAll('script, style')) e.remove();
  return [
    document.body.innerText,
    body.innerHTML,
    document.title,
    ...[...document.querySelectorAll('input, textarea')].map((i) => i.value),
    ...Object.keys(localStorage).map((k) => k + '=' + localStorage.getItem(k)),
    ...Object.keys(sessionStorage).map((k) => k + '=' + sessionStorage.getItem(k)),
  ].join('\\n');
})()`;

export async function pageContents(page: Page): Promise<string> {
  return (await page.evaluate(PAGE_CONTENTS)) as string;
}

/** Every string in the page's JavaScript heap, after a full collection. */
export async function heapStrings(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  const chunks: string[] = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', (event) => chunks.push(event.chunk));
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  return (JSON.parse(chunks.join('')) as { strings: string[] }).strings;
}

/** The application's own code (page and assets): strings in it are no data. */
export async function applicationSource(url: string): Promise<string> {
  const index = await (await fetch(url)).text();
  const assets = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  const bodies = await Promise.all(assets.map(async (a) => (await fetch(`${url}${a}`)).text()));
  return [index, ...bodies].join('\n');
}

/**
 * Counts the page's fetches in flight, in the page itself (an init script, before the
 * application's own code): a view is settled when none is in flight and none started over two
 * frames. The live feed (EventSource) is no fetch and stays open.
 */
const FETCH_COUNTER = `(() => {
  const fetch = window.fetch.bind(window);
  let inflight = 0;
  let started = 0;
  Object.defineProperty(window, '__swFetches', { value: () => ({ inflight, started }) });
  window.fetch = (...args) => {
    inflight++;
    started++;
    const answer = fetch(...args);
    const done = () => { inflight--; };
    answer.then(done, done);
    return answer;
  };
})()`;

export interface PageProblems {
  /** Console errors and uncaught exceptions, with where they came from. */
  errors: string[];
  /** Console errors the test expected (and so left out of errors). */
  expected: string[];
}

/**
 * Prepares a context: counts fetches, and records the console errors and uncaught exceptions
 * of its pages. `expected` says which failed loads are part of the test (a 401 while signed
 * out, a 404 for an object that does not exist for the user).
 */
export async function watchContext(context: BrowserContext, expected: (url: string, text: string) => boolean = () => false): Promise<PageProblems> {
  const problems: PageProblems = { errors: [], expected: [] };
  await context.addInitScript(FETCH_COUNTER);
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const url = message.location().url;
      if (expected(url, message.text())) {
        problems.expected.push(`${message.text()} (${url})`);
        return;
      }
      problems.errors.push(`console error at ${page.url()}: ${message.text()}${url ? ` (${url})` : ''}`);
    });
    page.on('pageerror', (error) => problems.errors.push(`uncaught at ${page.url()}: ${error.message}`));
  };
  for (const page of context.pages()) watch(page);
  context.on('page', watch);
  return problems;
}

/** A failed load the browser reports on its console: 'Failed to load resource: ... status of 404'. */
export function failedLoad(text: string, status: number): boolean {
  return text.startsWith('Failed to load resource') && text.includes(`status of ${status}`);
}

/**
 * Waits until `expression` is true in the page. Polled from here: the application's CSP forbids
 * eval, which page.waitForFunction with a string would need.
 */
export async function waitInPage(page: Page, expression: string, what: string): Promise<void> {
  await until(`${page.url()}: ${what}`, async () => ((await page.evaluate(expression)) ? undefined : `not yet (${expression})`), { limitMs: VIEW_LIMIT_MS, everyMs: 20 });
}

const NOT_SETTLED = `(() => {
  const main = document.querySelector('main');
  if (!main) return 'no main element';
  if (main.querySelector('[data-ready="false"]')) return 'a view says data-ready="false"';
  const f = window.__swFetches?.();
  if (f && f.inflight > 0) return f.inflight + ' fetches in flight';
  return '';
})()`;

const FRAMES = `new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(window.__swFetches?.().started ?? 0))))`;

/**
 * Waits until the view `title` shows (its document title) and is settled: no element of it
 * says data-ready="false", no fetch in flight, and none started over two animation frames.
 */
export async function settle(page: Page, title?: string): Promise<void> {
  if (title) await waitInPage(page, `document.title.startsWith(${JSON.stringify(`${title} ·`)})`, `the view '${title}'`);
  let last = -1;
  await until(
    `${page.url()} settles`,
    async () => {
      const problem = (await page.evaluate(NOT_SETTLED)) as string;
      if (problem) return problem;
      const started = (await page.evaluate(FRAMES)) as number;
      if (started !== last) {
        last = started;
        return 'fetches started meanwhile';
      }
      return (await page.evaluate(NOT_SETTLED)) as string || undefined;
    },
    { limitMs: VIEW_LIMIT_MS, everyMs: 20 },
  );
}

export interface ShownObject {
  id: string;
  /** The text of its element. */
  text: string;
  /** Badges of the element or of its row (tr, li). */
  tlp: boolean;
  cls: boolean;
  rel: boolean;
  /** Its own classification badge's text (one whose nearest [data-object-id] is this element). */
  ownCls: string | null;
}

export interface Shown {
  objects: ShownObject[];
  /** Texts of every .badge.cls on the page. */
  clsBadges: string[];
  /** data-classification of every banner. */
  banners: string[];
  /** Did a view of the page mark itself data-ready? */
  readyMarker: boolean;
  /** The document is wider than the window (horizontal scrolling). */
  scrollWidth: number;
  innerWidth: number;
}

const SHOWN = `(() => {
  const objects = [...document.querySelectorAll('[data-object-id]')].map((e) => {
    const row = e.closest('tr, li, [role=row]');
    const has = (s) => e.querySelector(s) !== null || (row !== null && row.querySelector(s) !== null);
    const own = [...e.querySelectorAll('.badge.cls')].find((b) => b.closest('[data-object-id]') === e);
    return { id: e.getAttribute('data-object-id'), text: e.innerText, tlp: has('.badge.tlp'), cls: has('.badge.cls'), rel: has('.badge.rel'), ownCls: own ? own.innerText.trim() : null };
  });
  return {
    objects,
    clsBadges: [...document.querySelectorAll('.badge.cls')].map((b) => b.innerText.trim()),
    banners: [...document.querySelectorAll('.banner[data-classification]')].map((b) => b.getAttribute('data-classification')),
    readyMarker: document.querySelector('main [data-ready="true"]') !== null,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  };
})()`;

export async function shown(page: Page): Promise<Shown> {
  return (await page.evaluate(SHOWN)) as Shown;
}

/** The highest classification among these badge texts; UNCLASSIFIED when there is none. */
export function highestOf(badges: readonly string[]): string {
  let top = 0;
  for (const text of badges) {
    const index = CLASSIFICATIONS.indexOf(text as (typeof CLASSIFICATIONS)[number]);
    assert.ok(index >= 0, `a classification badge reads '${text}', not one of ${CLASSIFICATIONS.join(', ')}`);
    if (index > top) top = index;
  }
  return CLASSIFICATIONS[top]!;
}

/** Signs in through the form and waits for the signed-in frame. */
export async function signIn(page: Page, user: Pick<WebUser, 'name' | 'password'>): Promise<void> {
  await page.locator('#user').fill(user.name);
  await page.locator('#password').fill(user.password);
  await page.locator('button[type=submit]').click();
  await page.locator('#signout').waitFor({ timeout: VIEW_LIMIT_MS });
}

/** A new page of the context at the node's address, signed in as the user. */
export async function openSignedIn(context: BrowserContext, url: string, user: Pick<WebUser, 'name' | 'password'>): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('#password').waitFor();
  await signIn(page, user);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** axe-core's script, served to the page from its own origin (the application's CSP allows only 'self'). */
const AXE_PATH = path.join(REPO_ROOT, 'node_modules/axe-core/axe.min.js');
const AXE_URL = '/__test__/axe.min.js';

export async function allowAxe(context: BrowserContext, origin: string): Promise<void> {
  await context.route(`${origin}${AXE_URL}`, (route) => route.fulfill({ path: AXE_PATH, contentType: 'text/javascript; charset=utf-8' }));
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's violations of impact serious or critical on the page as it is. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(`typeof window.axe !== 'undefined'`))) await page.addScriptTag({ url: AXE_URL });
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').split('\\n').slice(1, 2).join('').trim()),
  })))`)) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * The stage of a browser suite: Chromium and one node with the demo alliance (its data in a
 * folder of its own) and the users of prepareUsers. start() in before(), stop() in after(); each
 * test runs its body through run(), which fails with the node's own last words when the node
 * exited during the suite.
 */
export class DemoStage {
  /** The browser, or why it could not be launched (the tests are then skipped). */
  browser: Browser | string = 'not launched';
  node!: NodeProcess;
  dir = '';
  users: WebUser[] = [];
  private stopping = false;
  private gone: string | undefined;

  async start(prefix: string): Promise<void> {
    this.dir = mkdtempSync(path.join(tmpdir(), prefix));
    const [launched, started] = await Promise.allSettled([launchChromium(), startNodeProcess({ SHIELDWALL_DATA_DIR: this.dir, SHIELDWALL_DEMO: '1' })]);
    // Whichever started is left for stop() to stop, even when the other failed.
    if (launched.status === 'fulfilled') this.browser = launched.value;
    if (started.status === 'fulfilled') this.node = started.value;
    for (const outcome of [launched, started]) if (outcome.status === 'rejected') throw outcome.reason;
    const node = this.node;
    void node.exited.then(({ code, signal }) => {
      if (!this.stopping) this.gone = `the node exited (${signal ?? `code ${code}`}) during the tests:\n${lastLines(node.output())}`;
    });
    this.users = await prepareUsers(node, this.dir);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (typeof this.browser !== 'string') await this.browser.close();
    // Undefined when the node did not start.
    const node = this.node as NodeProcess | undefined;
    node?.child.kill('SIGTERM');
    await node?.exited;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** A user of prepareUsers, by name. */
  user(name: string): WebUser {
    const user = this.users.find((u) => u.name === name);
    assert.ok(user, `no prepared user ${name}`);
    return user;
  }

  /** Runs a test's body with the browser; skipped without one. */
  async run(t: TestContext, body: (browser: Browser) => Promise<void>): Promise<void> {
    if (typeof this.browser === 'string') {
      t.skip(this.browser);
      return;
    }
    try {
      if (this.gone) throw new Error(this.gone);
      await body(this.browser);
    } catch (error) {
      throw this.gone ? new Error(this.gone, { cause: error }) : error;
    }
  }

  /** Opens a view of the node's application by its address's hash and waits until it is settled. */
  async go(page: Page, hash: string, title: string): Promise<void> {
    await page.goto(`${this.node.url}/${hash}`);
    await settle(page, title);
  }
}

/** Both banners read the highest classification badge on screen (docs/WEB.md). */
export async function assertBanners(page: Page, where: string): Promise<void> {
  const s = await shown(page);
  const highest = highestOf(s.clsBadges);
  assert.deepEqual(s.banners, [highest, highest], `${where}: both banners read the highest classification on screen`);
}
