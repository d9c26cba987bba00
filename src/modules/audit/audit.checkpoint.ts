/**
 * Checkpoints: the head of the audit log (its newest entry's seq, hash and MAC, and where MACs
 * begin), signed with the node's Ed25519 audit key and kept outside the store, in an
 * append-only file and optionally sent elsewhere (syslog, a file on other storage, a command).
 * Deleting the newest entries, or making the log again, leaves the table behind or beside its
 * last checkpoint, which verify reports.
 */
import { spawn } from 'node:child_process';
import { sign, verify as verifySignature } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createReadStream, existsSync, mkdirSync, openSync, closeSync, readSync, statSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { connect, isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { AppContext } from '../../core/context.js';
import { canonical } from './audit.chain.js';
import type { AuditKeys } from './audit.keys.js';
import * as repo from './audit.repo.js';

export const CHECKPOINT_TYPE = 'shieldwall-audit-checkpoint' as const;

export interface Checkpoint {
  type: typeof CHECKPOINT_TYPE;
  v: 1;
  /** The store the log lives in (SQLite file, or PostgreSQL database and schema). */
  store: string;
  /** The newest entry: entries are numbered from 1 without gaps, so also how many there are. */
  seq: number;
  entries: number;
  hash: string;
  /** Null when the newest entry was written before the audit key existed. */
  mac: string | null;
  /** Entries 1..hash_only were written before the audit key existed and carry no MAC. */
  hash_only: number;
  at: string;
  /** Which key signed it (see audit.keys keyId). */
  key: string;
  /** Ed25519 signature (base64) over the canonical JSON of every other field. */
  sig: string;
}

export type CheckpointContent = Omit<Checkpoint, 'type' | 'v' | 'key' | 'sig'>;

export function signCheckpoint(keys: AuditKeys, content: CheckpointContent): Checkpoint {
  const unsigned = { type: CHECKPOINT_TYPE, v: 1 as const, ...content, key: keys.keyId };
  return { ...unsigned, sig: sign(null, Buffer.from(canonical(unsigned)), keys.signingKey).toString('base64') };
}

function signatureHolds(keys: AuditKeys, checkpoint: Checkpoint): boolean {
  const { sig, ...unsigned } = checkpoint;
  try {
    return verifySignature(null, Buffer.from(canonical(unsigned)), keys.publicKey, Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}

function isCheckpoint(value: unknown): value is Checkpoint {
  const c = value as Partial<Checkpoint> | null;
  return (
    typeof c === 'object' && c !== null && c.type === CHECKPOINT_TYPE && c.v === 1 && typeof c.store === 'string' && Number.isSafeInteger(c.seq) &&
    typeof c.hash === 'string' && (c.mac === null || typeof c.mac === 'string') && Number.isSafeInteger(c.hash_only) && typeof c.at === 'string' &&
    typeof c.key === 'string' && typeof c.sig === 'string'
  );
}

export interface CheckpointReading {
  /** The checkpoint of this store with the highest seq (the last written among equals). */
  newest?: Checkpoint;
  /** Checkpoints of this store, all signed with this node's key. */
  count: number;
  /** Lines of other stores (other nodes or test runs that share the file): not looked at. */
  otherStores: number;
  /** The file does not end with a full line: a write was cut short (a crash); that line is left out. */
  torn: boolean;
  missing: boolean;
  /** A line that is no checkpoint, or not signed by this node's key: the file was altered. */
  problem?: { line: number; seq: number; message: string };
}

function endsWithNewline(file: string): boolean {
  const size = statSync(file).size;
  if (size === 0) return true;
  const fd = openSync(file, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a checkpoint file (this node's, or a copy from an export: anything before the first '{'
 * of a line, such as a syslog header, is skipped). Without keys, signatures are not checked and a
 * checkpoint of this store is a problem for the caller to report.
 */
export async function readCheckpoints(file: string, store: string, keys: AuditKeys | undefined): Promise<CheckpointReading> {
  const reading: CheckpointReading = { count: 0, otherStores: 0, torn: false, missing: false };
  if (!existsSync(file)) return { ...reading, missing: true };
  const complete = endsWithNewline(file);
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  let previous: string | undefined;
  const take = (text: string, line: number, last: boolean): CheckpointReading['problem'] | undefined => {
    if (text.trim() === '') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.slice(Math.max(0, text.indexOf('{'))));
    } catch {
      parsed = undefined;
    }
    if (!isCheckpoint(parsed)) {
      if (last && !complete) {
        reading.torn = true;
        return undefined;
      }
      return { line, seq: 0, message: 'it is not a checkpoint: the file was altered' };
    }
    if (parsed.store !== store) {
      reading.otherStores++;
      return undefined;
    }
    if (!keys) return { line, seq: parsed.seq, message: 'it cannot be checked: there is no audit key (SHIELDWALL_AUDIT_KEY_FILE)' };
    if (parsed.key !== keys.keyId) return { line, seq: parsed.seq, message: `it was signed with key ${parsed.key}, not with this node's audit key ${keys.keyId}: the key file was replaced, or the checkpoint forged` };
    if (!signatureHolds(keys, parsed)) return { line, seq: parsed.seq, message: 'its signature does not hold: the checkpoint was altered or forged' };
    reading.count++;
    if (!reading.newest || parsed.seq >= reading.newest.seq) reading.newest = parsed;
    return undefined;
  };
  // One line behind, so that the last line is known to be the last.
  for await (const text of lines) {
    if (previous !== undefined) {
      const problem = take(previous, number, false);
      if (problem) {
        lines.close();
        return { ...reading, problem };
      }
    }
    previous = text;
    number++;
  }
  if (previous !== undefined) {
    const problem = take(previous, number, true);
    if (problem) return { ...reading, problem };
  }
  return reading;
}

const SYSLOG_AUDIT_NOTICE = 13 * 8 + 5; // facility 13 (log audit), severity 5 (notice)

/** Sends a checkpoint line to the configured target; rejects with what went wrong. */
export function checkpointExporter(target: string): (line: string, checkpoint: Checkpoint) => Promise<void> {
  const network = /^(udp|tcp):\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(target);
  if (network) {
    const [, protocol, host, portText] = network as unknown as [string, 'udp' | 'tcp', string, string];
    const port = Number(portText);
    return async (line, checkpoint) => {
      const message = `<${SYSLOG_AUDIT_NOTICE}>1 ${checkpoint.at} ${hostname()} shieldwall ${process.pid} audit-checkpoint - ${line}`;
      if (protocol === 'udp') {
        const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
        try {
          await new Promise<void>((resolve, reject) => socket.send(message, port, host, (error) => (error ? reject(error) : resolve())));
        } finally {
          socket.close();
        }
        return;
      }
      // RFC 6587 octet counting: the length of the message, a space, the message.
      const socket = connect({ host, port });
      socket.setTimeout(5000, () => socket.destroy(new Error(`no answer from ${host}:${port} within 5 s`)));
      try {
        await once(socket, 'connect');
        socket.end(`${Buffer.byteLength(message)} ${message}`);
        await once(socket, 'close');
      } finally {
        socket.destroy();
      }
    };
  }
  if (target.startsWith('file:')) {
    const file = path.resolve(target.slice('file:'.length));
    return async (line) => appendFile(file, `${line}\n`, { mode: 0o600 });
  }
  if (target.startsWith('exec:')) {
    const command = target.slice('exec:'.length);
    return async (line) => {
      const child = spawn(command, { shell: true, stdio: ['pipe', 'ignore', 'pipe'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
      child.stdin.on('error', () => undefined);
      child.stdin.end(`${line}\n`);
      const [code] = (await once(child, 'close')) as [number | null];
      clearTimeout(timer);
      if (code !== 0) throw new Error(`'${command}' exited with ${String(code)}${stderr ? `: ${stderr.trim()}` : ''}`);
    };
  }
  throw new Error(`unknown checkpoint export target '${target}'`);
}

/**
 * Writes checkpoints of one process: after commits that added entries (as noted by the writer),
 * at most once per SHIELDWALL_AUDIT_CHECKPOINT_MS, reading the committed head from the store.
 * No checkpoint is written while the log no longer holds the last one (its entry removed or
 * changed): that is what verify must see, not a newer checkpoint over it.
 */
export class Checkpointer {
  private last: Pick<Checkpoint, 'seq' | 'hash' | 'mac'> | undefined;
  private loaded = false;
  private identity: string | undefined;
  private firstMac: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastRunAt = -Infinity;
  private pendingSeq = 0;
  private retries = 0;
  /** The log no longer holds the last checkpoint: said once, and no checkpoint until it does. */
  private behind = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** The newest checkpoint not yet sent: one that comes before it is sent covers the older. */
  private unsent: { line: string; checkpoint: Checkpoint } | undefined;
  private exporting: Promise<void> | undefined;
  private readonly exporter: ((line: string, checkpoint: Checkpoint) => Promise<void>) | undefined;

  constructor(
    private readonly ctx: AppContext,
    private readonly keys: () => AuditKeys,
    private readonly outcomes: (outcome: 'written' | 'behind' | 'export_failed') => void,
  ) {
    this.exporter = ctx.config.auditCheckpointExport ? checkpointExporter(ctx.config.auditCheckpointExport) : undefined;
  }

  /** A writer appended entries up to seq, to be committed shortly. */
  noteAppended(seq: number): void {
    this.pendingSeq = Math.max(this.pendingSeq, seq);
    this.schedule();
  }

  private schedule(least = 0): void {
    if (this.timer) return;
    const wait = Math.max(least, this.lastRunAt + this.ctx.config.auditCheckpointMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write().catch((error: unknown) => this.ctx.logger.error({ err: error }, 'writing the audit checkpoint failed'));
    }, wait);
    this.timer.unref();
  }

  /** Writes a checkpoint of the committed head now, unless it has not moved. One at a time. */
  write(): Promise<Checkpoint | undefined> {
    const run = this.queue.then(() => this.writeOnce());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer, writes what is committed, and waits for the exports under way. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.write();
    await this.exporting;
  }

  private async writeOnce(): Promise<Checkpoint | undefined> {
    this.lastRunAt = Date.now();
    const checkpoint = await this.writeHead();
    // The commit of what was noted may not have been visible yet: look again shortly, a few times.
    if (!this.behind && (this.last?.seq ?? 0) < this.pendingSeq && this.retries++ < 20) this.schedule(50);
    else this.retries = 0;
    return checkpoint;
  }

  private async writeHead(): Promise<Checkpoint | undefined> {
    const { store, config, logger } = this.ctx;
    const head = await repo.headEntry(store);
    if (!head) return undefined;
    this.identity ??= await repo.storeIdentity(store);
    const keys = this.keys();
    if (!this.loaded) {
      const reading = await readCheckpoints(config.auditCheckpointFile, this.identity, keys);
      if (reading.problem) logger.error({ file: config.auditCheckpointFile, line: reading.problem.line }, `the audit checkpoint file was altered: ${reading.problem.message}; run shieldwall audit verify`);
      this.last = reading.newest;
      this.loaded = true;
    }
    if (this.last) {
      // A checkpoint never passes over one that the log no longer holds: after entries were
      // removed, new ones would otherwise reach past the old head and hide the removal.
      const then = head.seq === this.last.seq ? head : await repo.entryAt(store, this.last.seq);
      if (!then || then.hash !== this.last.hash || then.mac !== this.last.mac) {
        if (!this.behind) {
          this.outcomes('behind');
          logger.error({ head: head.seq, checkpoint: this.last.seq, file: config.auditCheckpointFile }, 'the audit log no longer holds its last checkpoint (entries removed or rewritten); no checkpoint is written until that is settled: run shieldwall audit verify');
        }
        this.behind = true;
        return undefined;
      }
      this.behind = false;
      if (head.seq === this.last.seq) return undefined;
    }
    if (this.firstMac === undefined) this.firstMac = await repo.firstMacSeq(store);
    const hashOnly = this.firstMac === undefined ? head.seq : this.firstMac - 1;
    const checkpoint = signCheckpoint(keys, { store: this.identity, seq: head.seq, entries: head.seq, hash: head.hash, mac: head.mac, hash_only: hashOnly, at: this.ctx.clock.now().toISOString() });
    const line = JSON.stringify(checkpoint);
    mkdirSync(path.dirname(config.auditCheckpointFile), { recursive: true });
    await appendFile(config.auditCheckpointFile, `${line}\n`, { mode: 0o600 });
    this.last = checkpoint;
    this.outcomes('written');
    if (this.exporter) {
      this.unsent = { line, checkpoint };
      this.exporting ??= this.sendUnsent(this.exporter).finally(() => (this.exporting = undefined));
    }
    return checkpoint;
  }

  /** One export at a time; a slow target is sent the newest checkpoint next, not a backlog. */
  private async sendUnsent(send: (line: string, checkpoint: Checkpoint) => Promise<void>): Promise<void> {
    for (let next = this.unsent; next; next = this.unsent) {
      this.unsent = undefined;
      try {
        await send(next.line, next.checkpoint);
      } catch (error) {
        this.outcomes('export_failed');
        this.ctx.logger.warn({ err: error, target: this.ctx.config.auditCheckpointExport }, 'sending the audit checkpoint failed; it is in the checkpoint file');
      }
    }
  }
}
