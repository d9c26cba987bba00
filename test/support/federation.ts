/**
 * Five Shieldwall nodes on loopback for tests and benchmarks: each its own process and SQLite
 * file, HTTPS with mutual TLS from `shieldwall pki`, the same alliance directory on all, a user
 * of its own member on each, and peers linked over REST.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import type { StixObject } from '../../src/stix/types.js';
import { freePort } from './ports.js';
import { runCli, startNodeProcess, type NodeProcess } from './process.js';
import { lastLines, until } from './wait.js';

export interface NodeSpec {
  name: string;
  member: string;
  kind: 'ally' | 'industry';
}

export const NODES: NodeSpec[] = [
  { name: 'hub', member: 'NCIRC', kind: 'ally' },
  { name: 'deu', member: 'DEU', kind: 'ally' },
  { name: 'fra', member: 'FRA', kind: 'ally' },
  { name: 'pol', member: 'POL', kind: 'ally' },
  { name: 'ind', member: 'IND', kind: 'industry' },
];
export const identityOf = (member: string) => `identity--${createHashUuid(member)}`;

/** A stable UUID-shaped id per member code. */
function createHashUuid(text: string): string {
  const hex = Buffer.from(text.padEnd(16, '-')).toString('hex').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface Running {
  spec: NodeSpec;
  dir: string;
  port: number;
  env: Record<string, string>;
  process: NodeProcess;
  adminToken: string;
  secondAdminToken: string;
  userToken: string;
}

export class FederationHarness {
  readonly root = mkdtempSync(path.join(tmpdir(), 'shieldwall-multinode-'));
  readonly pki = path.join(this.root, 'pki');
  readonly nodes = new Map<string, Running>();
  agent!: Agent;

  async start(): Promise<void> {
    assert.equal((await runCli(['pki', 'init', '--dir', this.pki], { SHIELDWALL_DATA_DIR: this.root })).code, 0);
    this.agent = new Agent({ connect: { ca: readFileSync(path.join(this.pki, 'ca.crt'), 'utf8') } });
    await Promise.all(
      NODES.map(async (spec) => {
        const dir = path.join(this.root, spec.name);
        mkdirSync(dir, { recursive: true });
        const made = await runCli(['pki', 'node', spec.name, '--dir', this.pki, '--out', dir, '--ip', '127.0.0.1'], { SHIELDWALL_DATA_DIR: dir });
        assert.equal(made.code, 0, made.stderr);
        const port = await freePort();
        const env = {
          SHIELDWALL_DATA_DIR: dir,
          SHIELDWALL_PORT: String(port),
          SHIELDWALL_TLS_CERT: path.join(dir, 'node.crt'),
          SHIELDWALL_TLS_KEY: path.join(dir, 'node.key'),
          SHIELDWALL_TLS_CLIENT_CA: path.join(this.pki, 'ca.crt'),
        };
        const adminToken = randomUUID();
        this.nodes.set(spec.name, { spec, dir, port, env, process: await startNodeProcess(env, adminToken), adminToken, userToken: '', secondAdminToken: '' });
      }),
    );
    // Every node knows the whole alliance directory, and has a user of its own member.
    await Promise.all(
      [...this.nodes.values()].map(async (node) => {
        for (const spec of NODES) {
          await this.call(node, 'POST', '/api/v1/members', { code: spec.member, name: spec.member, kind: spec.kind, identity_id: identityOf(spec.member) });
        }
        await this.call(node, 'POST', '/api/v1/users', { name: `${node.spec.name}-analyst`, member: node.spec.member, clearance: 4, roles: ['analyst'] });
        // The bootstrap administrator reads no member's intelligence: a token acting for the
        // member's analyst comes from the operator's command line on the node (two-person rule).
        const issued = await runCli(['tokens', 'create', '--name', 'test', '--user', `${node.spec.name}-analyst`], { SHIELDWALL_DATA_DIR: node.dir });
        assert.equal(issued.code, 0, issued.stderr);
        node.userToken = issued.stdout.trim();
        // A second node administrator, made by the operator too: it enables the peers the
        // bootstrap administrator registers (two-person rule, docs/FEDERATION.md).
        const second = await runCli(['users', 'create', '--name', 'second-admin', '--roles', 'node-admin'], { SHIELDWALL_DATA_DIR: node.dir });
        assert.equal(second.code, 0, second.stderr);
        const secondToken = await runCli(['tokens', 'create', '--name', 'test', '--user', 'second-admin'], { SHIELDWALL_DATA_DIR: node.dir });
        assert.equal(secondToken.code, 0, secondToken.stderr);
        node.secondAdminToken = secondToken.stdout.trim();
      }),
    );
  }

  url(name: string): string {
    return `https://127.0.0.1:${this.nodes.get(name)!.port}`;
  }

  async call(node: Running, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, token = node.adminToken): Promise<unknown> {
    const response = await request(`${this.url(node.spec.name)}${url}`, {
      method,
      dispatcher: this.agent,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.body.text();
    assert.ok(response.statusCode < 300, `${method} ${url} on ${node.spec.name}: ${response.statusCode} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  }

  /**
   * On `on`, peer `peer` stands for its member (all members for the hub), with the given
   * direction. Peers are cleared to CONFIDENTIAL, except the hub everywhere and FRA at the hub
   * (SECRET): FRA's SECRET reports reach the hub, and go no further.
   */
  async link(on: string, peer: string, direction: 'push' | 'both'): Promise<void> {
    const members = peer === 'hub' ? NODES.map((n) => n.member) : [this.nodes.get(peer)!.spec.member];
    const node = this.nodes.get(on)!;
    await this.call(node, 'POST', '/api/v1/peers', {
      name: peer,
      members,
      clearance: peer === 'hub' || (on === 'hub' && peer === 'fra') ? 3 : 2,
      roles: ['analyst'],
      url: `${this.url(peer)}/taxii2/intel/`,
      direction,
      interval_s: 2,
      auth: 'mtls',
    });
    // It stands for members the bootstrap administrator does not read as: a second one enables it.
    await this.call(node, 'POST', `/api/v1/peers/${peer}/enable`, undefined, node.secondAdminToken);
  }

  /** The last log lines of every node (request lines left out), for a failure message. */
  lastLogLines(count = 15): string {
    return [...this.nodes.values()]
      .map((node) => `--- ${node.spec.name}\n${lastLines(node.process.output().split('\n').filter((line) => !line.includes('"level":30')).join('\n'), count)}`)
      .join('\n');
  }

  /**
   * Waits until every peer of every node has completed a whole sync round (pull, push or both,
   * as linked) that began after this call: twice past a moment, so that no round counted was
   * already under way before it.
   */
  async syncRound(): Promise<void> {
    for (let pass = 0; pass < 2; pass++) {
      const since = Date.now();
      await until(
        `a sync round of every peer after ${new Date(since).toISOString()}`,
        async () => {
          for (const node of this.nodes.values()) {
            const { peers } = (await this.call(node, 'GET', '/api/v1/peers')) as { peers: Array<{ name: string; direction: string; pull_ok_at: string | null; push_ok_at: string | null; last_error: string | null }> };
            for (const peer of peers) {
              for (const [direction, at] of [['pull', peer.pull_ok_at], ['push', peer.push_ok_at]] as const) {
                if (peer.direction !== direction && peer.direction !== 'both') continue;
                if (at === null || Date.parse(at) <= since) return `${node.spec.name}: the ${direction} with ${peer.name} last completed ${at ?? 'never'}${peer.last_error ? ` (last error: ${peer.last_error})` : ''}`;
              }
            }
          }
          return undefined;
        },
        { everyMs: 200, context: () => this.lastLogLines() },
      );
    }
  }

  /** Whether the node's own user reads the object (GET answers 200) — the node has it and may show it. */
  async readable(name: string, id: string): Promise<boolean> {
    const node = this.nodes.get(name)!;
    const response = await request(`${this.url(name)}/api/v1/objects/${id}`, { dispatcher: this.agent, headers: { authorization: `Bearer ${node.userToken}` } });
    await response.body.dump();
    return response.statusCode === 200;
  }

  async publish(on: string, objects: StixObject[]): Promise<void> {
    const node = this.nodes.get(on)!;
    const result = (await this.call(node, "POST", "/api/v1/bundles", { type: "bundle", id: `bundle--${randomUUID()}`, objects }, node.userToken)) as { summary: { rejected: number } };
    assert.equal(result.summary.rejected, 0, JSON.stringify(result));
  }

  /** The indicator versions stored on a node: id -> versions (read from its SQLite file). */
  stored(name: string): Map<string, string[]> {
    const db = new Database(path.join(this.nodes.get(name)!.dir, 'shieldwall.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare("select id, json_extract(body, '$.modified') as modified from stix_objects where type = 'indicator'").all() as Array<{ id: string; modified: string }>;
      const out = new Map<string, string[]>();
      for (const row of rows) out.set(row.id, [...(out.get(row.id) ?? []), row.modified]);
      return out;
    } finally {
      db.close();
    }
  }

  async restart(name: string): Promise<void> {
    const node = this.nodes.get(name)!;
    node.process = await startNodeProcess(node.env, node.adminToken);
  }

  async kill(name: string): Promise<void> {
    const node = this.nodes.get(name)!;
    node.process.child.kill('SIGKILL');
    await node.process.exited;
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.nodes.values()].map(async (node) => {
        node.process.child.kill('SIGTERM');
        await node.process.exited;
      }),
    );
    await this.agent?.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** One object version as a fake TAXII server holds it. */
export interface FakeEntry {
  object: StixObject;
  /** When the server says it was added (RFC 3339, any precision). */
  dateAdded: string;
}

/** A timestamp as a string that compares in time order: nine fractional digits, UTC. */
function sortable(timestamp: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(timestamp);
  if (!m) throw new Error(`fake TAXII server: '${timestamp}' is not a timestamp`);
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}Z`;
}

/**
 * A third-party TAXII 2.1 server for tests (node:http): one collection, pages of at most
 * `pageSize` objects sorted by date_added, `next` tokens, X-TAXII-Date-Added-First/Last,
 * `added_after` strictly after, `match[version]` (default: the last version of each id, as
 * TAXII 2.1 section 3.4.1 says). Tests can delay answers, break a connection mid-page after
 * a number of objects, and answer Add Objects with refusals or a failure.
 */
export class FakeTaxiiPeer {
  readonly entries: FakeEntry[] = [];
  readonly requests: Array<{ method: string; url: URL }> = [];
  /** Objects received by Add Objects. */
  readonly received: StixObject[] = [];
  pageSize = 100;
  /** Milliseconds to wait before answering a Get Objects request. */
  delayMs = 0;
  /** Break the connection once this many objects have been sent in all (then forget it). */
  breakAfter: number | undefined;
  /** Ids refused by Add Objects (reported as failures in its status). */
  refuse = new Set<string>();
  /** Once this many objects have been sent, Get Objects requests get no answer at all. */
  hangAfter: number | undefined;
  /** Page by added_after alone: `more` without `next` (a server TAXII lets do so). */
  noNext = false;
  /** Add Objects requests answered 500 from this request number on (1-based). */
  failAddFrom: number | undefined;
  private sent = 0;
  private adds = 0;
  private readonly cursors = new Map<string, { list: FakeEntry[]; offset: number }>();
  private server: import('node:http').Server | undefined;
  apiRoot = '';

  async start(): Promise<void> {
    const { createServer: createHttpServer } = await import('node:http');
    this.server = createHttpServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.apiRoot = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/taxii2/feed/`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The Get Objects requests received, as their query parameters. */
  objectQueries(): URLSearchParams[] {
    return this.requests.filter((r) => r.method === 'GET' && r.url.pathname.endsWith('/objects/')).map((r) => r.url.searchParams);
  }

  private async handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ method: req.method ?? 'GET', url });
    const taxii = { 'content-type': 'application/taxii+json;version=2.1' };
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      this.adds++;
      if (this.failAddFrom !== undefined && this.adds >= this.failAddFrom) {
        res.writeHead(500, taxii).end(JSON.stringify({ title: 'storage unavailable' }));
        return;
      }
      const objects = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { objects: StixObject[] }).objects;
      const failures = objects.filter((o) => this.refuse.has(o.id)).map((o) => ({ id: o.id, version: String(o.modified ?? ''), message: 'refused by policy' }));
      this.received.push(...objects.filter((o) => !this.refuse.has(o.id)));
      const status = { id: randomUUID(), status: 'complete', total_count: objects.length, success_count: objects.length - failures.length, failure_count: failures.length, pending_count: 0, ...(failures.length ? { failures } : {}) };
      res.writeHead(202, taxii).end(JSON.stringify(status));
      return;
    }
    if (!url.pathname.endsWith('/objects/')) {
      res.writeHead(404, taxii).end(JSON.stringify({ title: 'not found' }));
      return;
    }
    if (this.hangAfter !== undefined && this.sent >= this.hangAfter) return;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const limit = Math.min(Number(url.searchParams.get('limit') ?? this.pageSize), this.pageSize);
    const next = url.searchParams.get('next');
    let cursor = next ? this.cursors.get(next) : undefined;
    if (next && !cursor) {
      res.writeHead(400, taxii).end(JSON.stringify({ title: 'unknown next' }));
      return;
    }
    if (!cursor) {
      const after = url.searchParams.get('added_after');
      const versions = url.searchParams.get('match[version]') ?? 'last';
      let list = this.entries.filter((e) => after === null || sortable(e.dateAdded) > sortable(after));
      if (versions !== 'all') {
        const chosen = new Map<string, FakeEntry>();
        for (const e of list) {
          const held = chosen.get(e.object.id);
          const newer = !held || String(e.object.modified) > String(held.object.modified);
          if (versions === 'first' ? !held : newer) chosen.set(e.object.id, e);
        }
        list = list.filter((e) => chosen.get(e.object.id) === e);
      }
      list = list.map((e, i) => ({ e, i })).sort((x, y) => (sortable(x.e.dateAdded) < sortable(y.e.dateAdded) ? -1 : sortable(x.e.dateAdded) > sortable(y.e.dateAdded) ? 1 : x.i - y.i)).map((x) => x.e);
      cursor = { list, offset: 0 };
    }
    const page = cursor.list.slice(cursor.offset, cursor.offset + limit);
    const more = cursor.offset + page.length < cursor.list.length;
    let token: string | undefined;
    if (more && !this.noNext) {
      token = randomUUID();
      this.cursors.set(token, { list: cursor.list, offset: cursor.offset + page.length });
    }
    const headers = {
      ...taxii,
      ...(page.length ? { 'x-taxii-date-added-first': page[0]!.dateAdded, 'x-taxii-date-added-last': page[page.length - 1]!.dateAdded } : {}),
    };
    if (page.length === 0) {
      res.writeHead(200, taxii).end('{}');
      return;
    }
    const head = `{"more":${more},${token ? `"next":"${token}",` : ''}"objects":[`;
    const texts = page.map((e) => JSON.stringify(e.object));
    if (this.breakAfter !== undefined && this.sent + page.length > this.breakAfter) {
      const part = texts.slice(0, this.breakAfter - this.sent);
      this.breakAfter = undefined;
      res.writeHead(200, headers);
      res.write(head + part.join(','));
      // Gone mid-answer, as a killed server or a broken link leaves it.
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    }
    this.sent += page.length;
    res.writeHead(200, headers).end(`${head}${texts.join(',')}]}`);
  }
}
