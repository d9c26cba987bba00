/**
 * Five nodes on loopback, each its own process and SQLite file, mutual TLS between them with
 * certificates from `shieldwall pki`: hub-and-spoke, then a mesh. Objects with varied markings
 * are published on different nodes; each must reach exactly the nodes whose members may read
 * it, a node killed and restarted catches up, a revocation propagates, and no version is stored
 * twice.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import type { StixObject } from '../src/stix/types.js';
import { indicator } from './support/factories.js';
import { runCli, startNodeProcess, type NodeProcess } from './support/process.js';

interface NodeSpec {
  name: string;
  member: string;
  kind: 'ally' | 'industry';
}

const NODES: NodeSpec[] = [
  { name: 'hub', member: 'NCIRC', kind: 'ally' },
  { name: 'deu', member: 'DEU', kind: 'ally' },
  { name: 'fra', member: 'FRA', kind: 'ally' },
  { name: 'pol', member: 'POL', kind: 'ally' },
  { name: 'ind', member: 'IND', kind: 'industry' },
];
const identityOf = (member: string) => `identity--${createHashUuid(member)}`;

/** A stable UUID-shaped id per member code. */
function createHashUuid(text: string): string {
  const hex = Buffer.from(text.padEnd(16, '-')).toString('hex').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

interface Running {
  spec: NodeSpec;
  dir: string;
  port: number;
  env: Record<string, string>;
  process: NodeProcess;
  adminToken: string;
  userToken: string;
}

class Federation {
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
        this.nodes.set(spec.name, { spec, dir, port, env, process: await startNodeProcess(env, adminToken), adminToken, userToken: '' });
      }),
    );
    // Every node knows the whole alliance directory, and has a user of its own member.
    await Promise.all(
      [...this.nodes.values()].map(async (node) => {
        for (const spec of NODES) {
          await this.call(node, 'PUT', `/api/v1/members/${spec.member}`, { name: spec.member, kind: spec.kind, identity_id: identityOf(spec.member) });
        }
        await this.call(node, 'POST', '/api/v1/users', { name: `${node.spec.name}-analyst`, member: node.spec.member, clearance: 4, roles: ['analyst'] });
        node.userToken = ((await this.call(node, 'POST', '/api/v1/tokens', { name: 'test', user: `${node.spec.name}-analyst` })) as { token: string }).token;
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
    await this.call(this.nodes.get(on)!, 'POST', '/api/v1/peers', {
      name: peer,
      members,
      clearance: peer === 'hub' || (on === 'hub' && peer === 'fra') ? 3 : 2,
      roles: ['analyst'],
      url: `${this.url(peer)}/taxii2/intel/`,
      direction,
      interval_s: 2,
      auth: 'mtls',
    });
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

function marking(classification: string, releasableTo: string[]): StixObject {
  return handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created: '2024-01-01T00:00:00.000Z', classification, releasableTo });
}

/** What is published where, and which nodes may hold it (origin included). */
function scenario(): Array<{ on: string; objects: StixObject[]; id: string; expected: string[] }> {
  const by = (member: string, overrides: Partial<StixObject>) => indicator({ created_by_ref: identityOf(member), ...overrides });
  const deuFra = marking('UNCLASSIFIED', ['DEU', 'FRA']);
  const deuOnly = marking('UNCLASSIFIED', ['DEU']);
  const secret = marking('SECRET', ['ALLIANCE']);
  const industry = marking('UNCLASSIFIED', ['INDUSTRY']);
  const wide = marking('UNCLASSIFIED', ['ALLIANCE', 'INDUSTRY']);
  const polOnly = marking('UNCLASSIFIED', ['POL']);
  const rows: Array<{ on: string; extra: StixObject[]; object: StixObject; expected: string[] }> = [
    { on: 'deu', extra: [], object: by('DEU', { name: 'green, alliance by default', object_marking_refs: [TLP2_MARKING_IDS.green] }), expected: ['deu', 'hub', 'fra', 'pol'] },
    { on: 'deu', extra: [], object: by('DEU', { name: 'clear', object_marking_refs: [TLP2_MARKING_IDS.clear] }), expected: ['deu', 'hub', 'fra', 'pol', 'ind'] },
    { on: 'deu', extra: [deuFra], object: by('DEU', { name: 'amber to DEU and FRA', object_marking_refs: [TLP2_MARKING_IDS.amber, deuFra.id] }), expected: ['deu', 'hub', 'fra'] },
    { on: 'deu', extra: [deuOnly], object: by('DEU', { name: 'amber+strict', object_marking_refs: [TLP2_MARKING_IDS['amber+strict'], deuOnly.id] }), expected: ['deu'] },
    { on: 'deu', extra: [], object: by('DEU', { name: 'red', object_marking_refs: [TLP2_MARKING_IDS.red, deuOnly.id] }), expected: ['deu'] },
    { on: 'fra', extra: [secret], object: by('FRA', { name: 'secret', object_marking_refs: [secret.id] }), expected: ['fra', 'hub'] },
    { on: 'hub', extra: [industry], object: by('NCIRC', { name: 'for industry', object_marking_refs: [TLP2_MARKING_IDS.green, industry.id] }), expected: ['hub', 'ind'] },
    { on: 'ind', extra: [wide], object: by('IND', { name: 'from industry to all', object_marking_refs: [TLP2_MARKING_IDS.green, wide.id] }), expected: ['ind', 'hub', 'deu', 'fra', 'pol'] },
    { on: 'pol', extra: [polOnly], object: by('POL', { name: 'pol only', object_marking_refs: [TLP2_MARKING_IDS.amber, polOnly.id] }), expected: ['pol', 'hub'] },
  ];
  return rows.map((r) => ({ on: r.on, objects: [...r.extra, r.object], id: r.object.id, expected: r.expected }));
}

let current: Federation | undefined;

async function eventually(what: string, check: () => string | undefined, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let problem = check();
  while (problem !== undefined) {
    if (Date.now() > until) {
      // What the nodes said, to tell why.
      const logs = current ? [...current.nodes.values()].map((n) => `--- ${n.spec.name}\n${n.process.output().split('\n').filter((l) => !l.includes('"level":30')).slice(-15).join('\n')}`).join('\n') : '';
      throw new Error(`${what}: ${problem}\n${logs}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    problem = check();
  }
}

/** Undefined when every node holds exactly its expected objects (each version once). */
function placementProblem(federation: Federation, rows: ReturnType<typeof scenario>, extra: Array<{ id: string; expected: string[]; versions?: number }> = []): string | undefined {
  const all = [...rows.map((r) => ({ id: r.id, expected: r.expected, versions: 1 })), ...extra.map((e) => ({ versions: 1, ...e }))];
  for (const spec of NODES) {
    const stored = federation.stored(spec.name);
    for (const row of all) {
      const versions = stored.get(row.id) ?? [];
      const want = row.expected.includes(spec.name) ? (row.versions ?? 1) : 0;
      if (versions.length !== want) return `${spec.name} holds ${versions.length} version(s) of ${row.id}, expected ${want}`;
      if (new Set(versions).size !== versions.length) return `${spec.name} holds a version of ${row.id} twice`;
    }
  }
  return undefined;
}

for (const topology of ['hub-and-spoke', 'mesh'] as const) {
  describe(`five federated nodes: ${topology}`, { timeout: 240_000 }, () => {
    const federation = new Federation();
    const rows = scenario();

    before(async () => {
      current = federation;
      await federation.start();
      if (topology === 'hub-and-spoke') {
        for (const spoke of NODES.filter((n) => n.name !== 'hub')) {
          await federation.link('hub', spoke.name, 'push');
          await federation.link(spoke.name, 'hub', 'both');
        }
      } else {
        for (const from of NODES) for (const to of NODES) if (from.name !== to.name) await federation.link(from.name, to.name, 'both');
      }
    });
    after(async () => {
      await federation.stop();
    });

    it('delivers each object to exactly the nodes whose members may read it, once', async () => {
      for (const row of rows) await federation.publish(row.on, row.objects);
      await eventually('placement', () => placementProblem(federation, rows));
      // Nothing more arrives later (another sync round).
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.equal(placementProblem(federation, rows), undefined);
    });

    it('lets a node killed and restarted catch up, and propagates a revocation', async () => {
      await federation.kill('fra');
      const late = indicator({ created_by_ref: identityOf('DEU'), name: 'while FRA was down', object_marking_refs: [TLP2_MARKING_IDS.green] });
      await federation.publish('deu', [late]);
      const clear = rows[1]!;
      const original = clear.objects[clear.objects.length - 1]!;
      await federation.publish('deu', [{ ...original, modified: '2025-01-01T00:00:00.000Z', revoked: true }]);
      const extra = [{ id: late.id, expected: ['deu', 'hub', 'fra', 'pol'] }];
      // While FRA is down, everyone else has both; FRA has neither.
      await eventually('the others, with FRA down', () => {
        for (const name of ['deu', 'hub', 'pol']) {
          if (!federation.stored(name).has(late.id)) return `${name} lacks the late object`;
          if ((federation.stored(name).get(clear.id) ?? []).length !== 2) return `${name} lacks the revocation`;
        }
        return undefined;
      });
      assert.equal(federation.stored('fra').has(late.id), false);
      await federation.restart('fra');
      await eventually('FRA catching up', () =>
        placementProblem(
          federation,
          rows.filter((r) => r.id !== clear.id),
          [...extra, { id: clear.id, expected: clear.expected, versions: 2 }],
        ),
      );
      const revoked = (await federation.call(federation.nodes.get('fra')!, 'GET', `/api/v1/objects/${clear.id}`, undefined, federation.nodes.get('fra')!.userToken)) as { revoked?: boolean };
      assert.equal(revoked.revoked, true);
    });
  });
}
