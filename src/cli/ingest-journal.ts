/**
 * How far a remote ingest of a file has got, kept on this machine so that `ingest --resume`
 * skips what the node confirmed in an earlier run without sending or asking about it again.
 *
 * One small JSON file per (node URL, file), under $XDG_STATE_HOME/shieldwall (by default
 * ~/.local/state/shieldwall), rewritten (atomically) before and after each bundle, removed when
 * the file has been sent whole. It applies only to the same file unchanged (size and
 * modification time): anything else is asked of the node object by object.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export interface JournalCounts {
  accepted: number;
  duplicate: number;
  rejected: number;
}

export interface JournalState {
  /** The file's objects before this index were answered by the node: committed, or rejected. */
  answered: number;
  /** The objects before this index may have been sent (those of a bundle in flight when cut). */
  sent: number;
  /** What the node answered for the objects before `answered`. */
  counts: JournalCounts;
}

interface Stored extends JournalState {
  v: 1;
  url: string;
  file: string;
  size: number;
  mtimeMs: number;
}

function stateDir(): string | undefined {
  const xdg = process.env.XDG_STATE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'shieldwall');
  let home: string;
  try {
    home = homedir();
  } catch {
    return undefined;
  }
  return home ? path.join(home, '.local', 'state', 'shieldwall') : undefined;
}

export class IngestJournal {
  private constructor(
    private readonly where: string,
    private readonly identity: Omit<Stored, keyof JournalState | 'v'>,
  ) {}

  /** The journal of sending `file` to the node at `url`; undefined for standard input or without a state directory. */
  static of(url: string, file: string): IngestJournal | undefined {
    if (file === '-') return undefined;
    const dir = stateDir();
    if (!dir) return undefined;
    let real: string;
    let size: number;
    let mtimeMs: number;
    try {
      real = realpathSync(file);
      ({ size, mtimeMs } = statSync(real));
    } catch {
      return undefined;
    }
    const key = createHash('sha256').update(JSON.stringify([url, real])).digest('hex').slice(0, 24);
    return new IngestJournal(path.join(dir, `ingest-${key}.json`), { url, file: real, size, mtimeMs });
  }

  /** Where the earlier run got to, if it was of this same file to this same node. */
  load(): JournalState | undefined {
    let stored: Stored;
    try {
      stored = JSON.parse(readFileSync(this.where, 'utf8')) as Stored;
    } catch {
      return undefined;
    }
    const same = stored.v === 1 && stored.url === this.identity.url && stored.file === this.identity.file && stored.size === this.identity.size && stored.mtimeMs === this.identity.mtimeMs;
    const sane = Number.isSafeInteger(stored.answered) && Number.isSafeInteger(stored.sent) && stored.answered >= 0 && stored.sent >= stored.answered && typeof stored.counts === 'object';
    return same && sane ? { answered: stored.answered, sent: stored.sent, counts: stored.counts } : undefined;
  }

  /** Best effort: a journal that cannot be written only makes a later --resume ask the node more. */
  save(state: JournalState): void {
    const stored: Stored = { v: 1, ...this.identity, ...state };
    try {
      mkdirSync(path.dirname(this.where), { recursive: true, mode: 0o700 });
      const temporary = `${this.where}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(stored), { mode: 0o600 });
      renameSync(temporary, this.where);
    } catch {
      // see above
    }
  }

  clear(): void {
    rmSync(this.where, { force: true });
  }
}
