/**
 * Five Shieldwall nodes on loopback for tests and benchmarks: each its own process and SQLite
 * file, HTTPS with mutual TLS from `shieldwall pki`, the same alliance directory on all, a user
 * of its own member on each, and peers linked over REST.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import type { StixObject } from '../../src/stix/types.js';
import { runCli, startNodeProcess, type NodeProcess } from './process.js';

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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Running {
  spec: NodeSpec;
  dir: string;
  port: number;
  env: Record<string, string>;
  process: NodeProcess;
  adminToken: string;
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
        this.nodes.set(spec.name, { spec, dir, port, env, process: await startNodeProcess(env, adminToken), adminToken, userToken: '' });
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
