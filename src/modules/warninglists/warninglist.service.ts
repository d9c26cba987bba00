/**
 * Warning lists: member-managed lists of values (known-good resolvers, popular domains, a
 * member's own address ranges) that suppress detection matches. A member list applies to its
 * member's users; an alliance list (node administrators only) to everyone on the node. The
 * matcher asks suppressorFor(actor) once per request and reports what a list covered rather than
 * dropping it silently. See docs/WARNING-LISTS.md.
 */
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { nodeState } from '../../core/state.js';
import { shieldwallError } from '../../core/errors.js';
import { writeTransaction, type WriteTx } from '../../db/database.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import * as audit from '../audit/audit.service.js';
import { listMembers } from '../directory/directory.service.js';
import { detectKind, normalise, type ObservableKind } from '../../stix/observable.js';
import * as repo from './warninglist.repo.js';
import { CombinedSuppressor, NO_SUPPRESSION, NOT_TEXT, NOT_TEXT_ERROR, parseEntry, SuppressorBuilder, type Suppression, type Suppressor } from './warninglist.suppress.js';
import { nextTurn } from '../../core/turn.js';

export type { Suppression, Suppressor } from './warninglist.suppress.js';
export { parseEntry } from './warninglist.suppress.js';

export const WARNING_LIST_SCOPES = ['member', 'alliance'] as const;
export type WarningListScope = (typeof WARNING_LIST_SCOPES)[number];

/** Most entries one list holds (a top-1M popular-domains list fits twice). */
export const LIST_MAX_ENTRIES = 2_000_000;
/** Per-value problems listed in an answer; the count covers them all. */
export const ERRORS_REPORTED = 1000;
export const PAGE_DEFAULT = 1000;
export const PAGE_MAX = 10_000;
const NAME_MAX = 200;
const DESCRIPTION_MAX = 4000;
const COMMENT_MAX = 1000;
/** Entries read per query when a list is compiled. */
const COMPILE_CHUNK = 10_000;
/** Uploads of more values than this refresh the store's statistics of the entries afterwards. */
const ANALYSE_AFTER = 50_000;

export interface WarningList {
  id: string;
  name: string;
  description: string;
  scope: WarningListScope;
  /** The owning member; null for a list of the node itself. */
  member: string | null;
  entries: number;
  /** UTF-8 bytes of its entries' values and comments: what they weigh against the member's budget. */
  bytes: number;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface WarningListEntry {
  kind: string;
  value: string;
  comment: string | null;
}

export interface EntryInput {
  value: string;
  kind?: ObservableKind;
  comment?: string;
}

export interface EntryProblem {
  /** 1-based line of a text upload. */
  line?: number;
  /** 0-based position in a JSON upload. */
  index?: number;
  value: string;
  message: string;
}

export interface EntryUploadResult {
  list: string;
  /** Values read (blank and '#' comment lines of text are not values). */
  received: number;
  /** Values new to the list. */
  added: number;
  /** Valid values the list held already, or that the upload repeated. */
  present: number;
  /** Values refused; the first ERRORS_REPORTED are in errors. */
  rejected: number;
  errors: EntryProblem[];
  errors_truncated: boolean;
  /** Entries of the list after the change. */
  entries: number;
}

function present(row: repo.ListRow): WarningList {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    scope: row.scope as WarningListScope,
    member: row.member_code,
    entries: Number(row.entries),
    bytes: Number(row.bytes),
    created_at: row.created_at,
    created_by: row.created_by,
    updated_at: row.updated_at,
  };
}

function actorName(actor: Principal): string {
  return actor.userName ?? `${actor.kind}:${actor.name}`;
}

function isNodeAdmin(actor: Principal): boolean {
  return actor.kind === 'system' || actor.roles.includes('node-admin');
}

function requirePermission(ctx: AppContext, actor: Principal, permission: 'warninglist:read' | 'warninglist:write'): void {
  if (!ctx.permissions.has(actor, permission)) throw shieldwallError('FORBIDDEN', `roles ${actor.roles.join(', ') || '(none)'} lack permission '${permission}'`);
}

/** Alliance lists are everyone's; a member list is its member's (and the node administrators'). */
function mayRead(actor: Principal, row: repo.ListRow): boolean {
  return row.scope === 'alliance' || isNodeAdmin(actor) || (row.member_code !== null && row.member_code === actor.member?.code);
}

function mayWrite(actor: Principal, row: repo.ListRow): boolean {
  return isNodeAdmin(actor) || (row.scope === 'member' && row.member_code !== null && row.member_code === actor.member?.code);
}

const ALLIANCE_RULE = 'only a node administrator creates or changes alliance lists (they suppress matches for every user of the node); use a member list, or ask a node administrator';

/** The list, if the actor may read it (else 404: another member's list is not disclosed). */
async function visibleList(ctx: AppContext, actor: Principal, id: string, db = ctx.store.db): Promise<repo.ListRow> {
  const row = await repo.findList(db, id);
  if (!row || !mayRead(actor, row)) throw shieldwallError('NOT_FOUND', `no warning list '${id}' visible to you; list them with GET /api/v1/warning-lists`);
  return row;
}

async function writableList(ctx: AppContext, actor: Principal, id: string, db = ctx.store.db): Promise<repo.ListRow> {
  requirePermission(ctx, actor, 'warninglist:write');
  const row = await visibleList(ctx, actor, id, db);
  if (!mayWrite(actor, row)) throw shieldwallError('FORBIDDEN', row.scope === 'alliance' ? ALLIANCE_RULE : `warning list '${row.name}' belongs to member ${row.member_code ?? '(the node)'}; only its users and node administrators change it`);
  return row;
}

/**
 * Refuses (404, 403) a change to a list the actor may not write: asked of an entry upload before
 * it takes one of the node's upload places and before its body is read, so that an upload to a
 * list that is not the sender's, or none, holds neither while its body trickles in.
 */
export async function checkWritable(ctx: AppContext, actor: Principal, id: string): Promise<void> {
  await writableList(ctx, actor, id);
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > NAME_MAX) throw shieldwallError('BAD_REQUEST', `name: give 1 to ${NAME_MAX} characters (got ${trimmed.length})`);
  return trimmed;
}

function checkDescription(description: string): string {
  if (description.length > DESCRIPTION_MAX) throw shieldwallError('BAD_REQUEST', `description: at most ${DESCRIPTION_MAX} characters (got ${description.length})`);
  return description;
}

const ownerName = (member: string | null): string => (member === null ? 'the node' : `member ${member}`);

function checkScope(scope: string): WarningListScope {
  if (!(WARNING_LIST_SCOPES as readonly string[]).includes(scope)) throw shieldwallError('BAD_REQUEST', `scope '${scope}' is not one of ${WARNING_LIST_SCOPES.join(', ')}`);
  return scope as WarningListScope;
}

async function assertNameFree(db: AppContext['store']['db'], member: string | null, name: string, except?: string): Promise<void> {
  const clash = await repo.findListByName(db, member, name);
  if (clash && clash.id !== except) throw shieldwallError('CONFLICT', `${member === null ? 'the node' : `member ${member}`} has a warning list named '${name}' already (id ${clash.id}); pick another name or change that list`);
}

// ---------------------------------------------------------------------------------------------
// Lists

export async function listWarningLists(ctx: AppContext, actor: Principal): Promise<WarningList[]> {
  requirePermission(ctx, actor, 'warninglist:read');
  return (await repo.listLists(ctx.store.db)).filter((row) => mayRead(actor, row)).map(present);
}

export interface NewWarningList {
  name: string;
  description?: string;
  scope?: string;
  /** The owning member: the actor's own by default; another member's for node administrators only. */
  member?: string | null;
}

export async function createWarningList(ctx: AppContext, actor: Principal, input: NewWarningList): Promise<WarningList> {
  requirePermission(ctx, actor, 'warninglist:write');
  const name = checkName(input.name);
  const description = checkDescription(input.description ?? '');
  const scope = checkScope(input.scope ?? 'member');
  if (scope === 'alliance' && !isNodeAdmin(actor)) throw shieldwallError('FORBIDDEN', ALLIANCE_RULE);
  const own = actor.member?.code ?? null;
  const member = input.member === undefined ? own : input.member;
  if (member !== own && !isNodeAdmin(actor)) throw shieldwallError('FORBIDDEN', `you act for ${own === null ? 'no member' : `member ${own}`}; only a node administrator creates lists of member ${member ?? '(the node)'}`);
  if (scope === 'member' && member === null) throw shieldwallError('BAD_REQUEST', 'a member list belongs to a member, and none was given: give member (--member on the command line), or create an alliance list (scope alliance)');
  if (member !== null && member !== own && !(await listMembers(ctx, SYSTEM_PRINCIPAL)).some((m) => m.code === member)) {
    throw shieldwallError('NOT_FOUND', `no member with code '${member}'; list them with: shieldwall members list`);
  }
  const id = randomUUID();
  const at = ctx.clock.now().toISOString();
  await changeLists(ctx, async (tx) => {
    await assertNameFree(tx.db, member, name);
    const owned = await repo.ownerTotals(tx.db, member);
    if (owned.lists >= ctx.config.warningListsPerMember) {
      throw shieldwallError(
        'CONFLICT',
        `${ownerName(member)} owns ${owned.lists} warning lists, the most a member may (SHIELDWALL_WARNINGLISTS_PER_MEMBER=${ctx.config.warningListsPerMember}): add the entries to one of them, or delete one it no longer needs`,
        { lists: owned.lists, limit: ctx.config.warningListsPerMember },
      );
    }
    const revision = await repo.nextRevision(tx.db);
    await repo.insertList(tx.db, { id, member_code: member, name, description, scope, entries: 0, revision, created_at: at, created_by: actorName(actor), updated_at: at });
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'detect.warninglist.create', subject: id, detail: { name, scope, member } }]);
  });
  return present((await repo.findList(ctx.store.db, id))!);
}

export async function updateWarningList(ctx: AppContext, actor: Principal, id: string, change: { name?: string; description?: string; scope?: string }): Promise<WarningList> {
  const name = change.name === undefined ? undefined : checkName(change.name);
  const description = change.description === undefined ? undefined : checkDescription(change.description);
  const scope = change.scope === undefined ? undefined : checkScope(change.scope);
  await changeLists(ctx, async (tx) => {
    const row = await writableList(ctx, actor, id, tx.db);
    if (scope !== undefined && scope !== row.scope && !isNodeAdmin(actor)) throw shieldwallError('FORBIDDEN', ALLIANCE_RULE);
    if (scope === 'member' && row.member_code === null) throw shieldwallError('BAD_REQUEST', 'this list belongs to no member, so it cannot become a member list');
    if (name !== undefined && name !== row.name) await assertNameFree(tx.db, row.member_code, name, id);
    const revision = await repo.nextRevision(tx.db);
    await repo.updateList(tx.db, id, {
      ...(name !== undefined ? { name } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(scope !== undefined ? { scope } : {}),
      revision,
      updated_at: ctx.clock.now().toISOString(),
    });
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'detect.warninglist.update', subject: id, detail: { name, description: description === undefined ? undefined : true, scope, was: { name: row.name, scope: row.scope } } }]);
  });
  return present((await repo.findList(ctx.store.db, id))!);
}

export async function deleteWarningList(ctx: AppContext, actor: Principal, id: string): Promise<void> {
  await purgeLeftovers(ctx);
  // The list goes at once; its entries, in slices after it.
  const set = await changeLists(ctx, async (tx) => {
    const row = await writableList(ctx, actor, id, tx.db);
    await repo.nextRevision(tx.db);
    await repo.markPurge(tx.db, repo.setOf(row), ctx.clock.now().toISOString());
    await repo.deleteList(tx.db, id);
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'detect.warninglist.delete', subject: id, detail: { name: row.name, scope: row.scope, member: row.member_code, entries: Number(row.entries) } }]);
    return repo.setOf(row);
  });
  await purgeSet(ctx, set);
}

export interface EntryPage {
  list: WarningList;
  entries: WarningListEntry[];
  /** Pass as cursor for the next page; null on the last one. */
  next_cursor: string | null;
}

function encodeCursor(row: { kind: string; value: string }): string {
  return Buffer.from(JSON.stringify([row.kind, row.value])).toString('base64url');
}

function decodeCursor(cursor: string): { kind: string; value: string } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') return { kind: parsed[0], value: parsed[1] };
  } catch {
    // falls through to the error below
  }
  throw shieldwallError('INVALID_CURSOR', `cursor '${cursor.slice(0, 40)}' is not one this node issued; start again without a cursor`);
}

/** A list and a page of its entries, in (kind, value) order. */
export async function getWarningList(ctx: AppContext, actor: Principal, id: string, options: { limit?: number; cursor?: string; kind?: string } = {}): Promise<EntryPage> {
  requirePermission(ctx, actor, 'warninglist:read');
  const row = await visibleList(ctx, actor, id);
  const limit = Math.min(Math.max(options.limit ?? PAGE_DEFAULT, 1), PAGE_MAX);
  const rows = await repo.pageEntries(ctx.store.db, repo.setOf(row), {
    limit: limit + 1,
    ...(options.cursor !== undefined ? { after: decodeCursor(options.cursor) } : {}),
    ...(options.kind !== undefined ? { kind: options.kind } : {}),
  });
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return {
    list: present(row),
    entries: page.map((e) => ({ kind: e.kind, value: e.value, comment: e.comment })),
    next_cursor: more ? encodeCursor(page[page.length - 1]!) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Entries

/** Uploaded values: a JSON array (strings or {value, kind, comment}) or text, one value per line. */
/**
 * Values to upload: JSON items, a text with one value per line, or the value lines of a text
 * already read (entryOfLine) with their numbers.
 */
export type EntryUpload = { items: ReadonlyArray<string | EntryInput> } | { text: string } | { lines: ReadonlyArray<{ line: number; value: string }> };

/** The value a line of text holds: none for a blank line or one starting with '#'. */
export function entryOfLine(text: string): string | undefined {
  const value = text.trim();
  return value === '' || value.startsWith('#') ? undefined : value;
}

interface ParsedUpload {
  entries: repo.NewEntry[];
  received: number;
  repeated: number;
  /** Values refused, all of them counted. */
  rejected: number;
  /** The first ERRORS_REPORTED refused values: no more are kept (2 million refused values of an 8 MB body took a node past 1 GB). */
  problems: EntryProblem[];
}

const shown = (value: string) => (value.length > 200 ? `${value.slice(0, 200)}...` : value);

/** Values parsed between turns of the event loop: a large upload does not hold the node's other requests. */
const PARSE_CHUNK = 10_000;

async function parseUpload(upload: EntryUpload, kind: ObservableKind | undefined): Promise<ParsedUpload> {
  const seen = new Set<string>();
  const out: ParsedUpload = { entries: [], received: 0, repeated: 0, rejected: 0, problems: [] };
  const refuse = (where: { line: number } | { index: number }, value: string, message: string) => {
    if (out.rejected++ >= ERRORS_REPORTED) return;
    // Messages quote the value: quoted whole, 1,000 values of 8,192 characters would make an 8 MB answer.
    const text = value.trim();
    out.problems.push({ ...where, value: shown(value), message: text.length > 200 ? message.replace(text, shown(text)) : message });
  };
  const take = (value: string, entryKind: ObservableKind | undefined, comment: string | null, where: { line: number } | { index: number }) => {
    out.received++;
    if (comment !== null && comment.length > COMMENT_MAX) {
      refuse(where, value, `comment: at most ${COMMENT_MAX} characters`);
      return;
    }
    if (comment !== null && NOT_TEXT.test(comment)) {
      refuse(where, value, `comment: ${NOT_TEXT_ERROR('it')}`);
      return;
    }
    const parsed = parseEntry(value, entryKind);
    if ('error' in parsed) {
      refuse(where, value, parsed.error);
      return;
    }
    const key = `${parsed.kind}\u0000${parsed.value}`;
    if (seen.has(key)) {
      out.repeated++;
      return;
    }
    seen.add(key);
    out.entries.push({ kind: parsed.kind, value: parsed.value, comment });
  };
  if ('lines' in upload) {
    for (let i = 0; i < upload.lines.length; i++) {
      if (i % PARSE_CHUNK === PARSE_CHUNK - 1) await nextTurn();
      const { line, value } = upload.lines[i]!;
      take(value, kind, null, { line });
    }
  } else if ('text' in upload) {
    // Line by line, not split at once: splitting 256 MiB holds the thread for most of a second.
    const text = upload.text;
    for (let start = 0, i = 0; start <= text.length; i++) {
      if (i % PARSE_CHUNK === PARSE_CHUNK - 1) await nextTurn();
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const value = entryOfLine(text.slice(start, end));
      start = end + 1;
      if (value !== undefined) take(value, kind, null, { line: i + 1 });
    }
  } else {
    for (let index = 0; index < upload.items.length; index++) {
      if (index % PARSE_CHUNK === PARSE_CHUNK - 1) await nextTurn();
      const item = upload.items[index]!;
      if (typeof item === 'string') take(item, kind, null, { index });
      else take(item.value, item.kind ?? kind, item.comment ?? null, { index });
    }
  }
  return out;
}

function where(problem: EntryProblem): string {
  return problem.line !== undefined ? `line ${problem.line}` : `item ${problem.index ?? 0}`;
}

/**
 * Adds values to a list (mode 'add') or replaces all its entries (mode 'replace'). Valid values
 * are kept and each refused one is reported with its line or position; nothing changes when
 * every value was refused, or when strict is set and any was.
 */
export async function uploadEntries(
  ctx: AppContext,
  actor: Principal,
  id: string,
  upload: EntryUpload,
  options: { mode: 'add' | 'replace'; kind?: ObservableKind; strict?: boolean },
): Promise<EntryUploadResult> {
  await writableList(ctx, actor, id);
  const parsed = await parseUpload(upload, options.kind);
  const rejected = parsed.rejected;
  if (parsed.received === 0 && options.mode === 'add') {
    throw shieldwallError('BAD_REQUEST', "no values were sent: send a JSON array of values, or text with one value per line (blank lines and lines starting with '#' are skipped)");
  }
  if (rejected > 0 && (options.strict || parsed.entries.length === 0)) {
    const first = parsed.problems[0]!;
    throw shieldwallError(
      'BAD_REQUEST',
      `${rejected} of ${parsed.received} values refused${options.strict ? ' (strict)' : ''}, so nothing was changed; first, ${where(first)}: ${first.message}`,
      { rejected, errors: parsed.problems.slice(0, ERRORS_REPORTED) },
    );
  }
  const { added, entries } = await writeEntries(ctx, actor, id, parsed, rejected, options.mode);
  if (parsed.entries.length > ANALYSE_AFTER) await repo.analyseEntries(ctx.store);
  return {
    list: id,
    received: parsed.received,
    added,
    present: parsed.received - rejected - added,
    rejected,
    errors: parsed.problems.slice(0, ERRORS_REPORTED),
    errors_truncated: rejected > ERRORS_REPORTED,
    entries,
  };
}

/**
 * Writes an upload's entries. A replacement or a first upload fills a new set of rows, an
 * addition of more than a slice a new set holding the old entries and the new ones; then one
 * short transaction points the list at it and the old set is purged. Past one slice
 * (SHIELDWALL_WARNINGLIST_WRITE_SLICE), the new set is filled in slices, each its own transaction:
 * other writes get their turn between them, and the list keeps answering with its old entries
 * until the last. A change to the list meanwhile makes the upload fail with 409 and change nothing.
 * A small addition is written in place, in one transaction.
 */
async function writeEntries(ctx: AppContext, actor: Principal, id: string, parsed: ParsedUpload, rejected: number, mode: 'add' | 'replace'): Promise<{ added: number; entries: number }> {
  const slice = ctx.config.warningListWriteSlice;
  const values = parsed.entries;
  const at = ctx.clock.now().toISOString();
  /** The bytes of every value sent, weighed once (a replacement or first upload writes them all). */
  let weighed: number | undefined;
  const weight = () => (weighed ??= repo.entriesBytes(values));
  /** Checks a change against the list's and its member's bounds, inside the transaction that makes it. */
  const bounds = async (tx: WriteTx, row: repo.ListRow) => {
    const before = Number(row.entries);
    const beforeBytes = Number(row.bytes);
    const owned = await repo.ownerTotals(tx.db, row.member_code);
    /** The member's entries and bytes in its other lists. */
    const others = owned.entries - before;
    const otherBytes = owned.bytes - beforeBytes;
    return {
      before,
      beforeBytes,
      /**
       * Refuses `entries` (of `bytes` in all) past either budget, when they grow: a member over one
       * (its budget lowered since) may still shrink its lists.
       */
      check(entries: number, bytes: number): void {
        const entryLimit = ctx.config.warningListEntriesPerMember;
        if (others + entries > entryLimit && entries > before) {
          throw shieldwallError(
            'BAD_REQUEST',
            `${ownerName(row.member_code)}'s warning lists would hold ${others + entries} entries, more than the ${entryLimit} a member may (SHIELDWALL_WARNINGLIST_ENTRIES_PER_MEMBER), so nothing was changed: remove entries or lists it no longer needs first`,
            { entries: others + entries, limit: entryLimit },
          );
        }
        const byteLimit = ctx.config.warningListBytesPerMember;
        if (otherBytes + bytes > byteLimit && bytes > beforeBytes) {
          throw shieldwallError(
            'BAD_REQUEST',
            `${ownerName(row.member_code)}'s warning lists would hold ${otherBytes + bytes} bytes of values and comments, more than the ${byteLimit} a member may (SHIELDWALL_WARNINGLIST_BYTES_PER_MEMBER), so nothing was changed: shorten or drop comments, or remove entries or lists it no longer needs`,
            { bytes: otherBytes + bytes, limit: byteLimit },
          );
        }
        if (entries > LIST_MAX_ENTRIES) throw shieldwallError('BAD_REQUEST', `a warning list holds at most ${LIST_MAX_ENTRIES} entries; ${values.length} were sent`);
      },
    };
  };
  const finish = async (tx: WriteTx, row: repo.ListRow, added: number, entries: number, bytes: number, at: string, set?: string) => {
    const revision = await repo.nextRevision(tx.db);
    await repo.updateList(tx.db, id, { entries, bytes, revision, updated_at: at, ...(set !== undefined ? { entries_set: set } : {}) });
    await audit.recordInTransaction(ctx, tx, actor, [
      { action: mode === 'replace' ? 'detect.warninglist.entries.replace' : 'detect.warninglist.entries.add', subject: id, detail: { name: row.name, added, rejected, entries, was: Number(row.entries) } },
    ]);
  };

  // Known before anything is written: the list's shape, and whether the change fits at all.
  const start = await changeLists(ctx, async (tx) => {
    const row = await writableList(ctx, actor, id, tx.db);
    const fresh = mode === 'replace' || Number(row.entries) === 0;
    const check = await bounds(tx, row);
    // What a replacement or a first upload writes is known before it is written; what an addition adds, once written.
    if (fresh) check.check(values.length, weight());
    else if (check.before + values.length > LIST_MAX_ENTRIES) {
      throw shieldwallError('BAD_REQUEST', `a warning list holds at most ${LIST_MAX_ENTRIES} entries; it has ${check.before} and ${values.length} more were sent: split the list, or replace its entries`);
    }
    if (fresh && values.length <= slice) {
      // A new set written whole, and the list pointed at it: one transaction.
      const set = `${id}~${randomUUID()}`;
      await repo.insertNewEntries(tx, set, values, at);
      await repo.markPurge(tx.db, repo.setOf(row), at);
      await finish(tx, row, values.length, values.length, weight(), at, set);
      return { done: { added: values.length, entries: values.length }, old: repo.setOf(row) };
    }
    if (!fresh && values.length <= slice) {
      // A small addition, in place.
      const { added, bytes } = await repo.addEntries(tx.db, repo.setOf(row), values, at);
      const entries = check.before + added;
      check.check(entries, check.beforeBytes + bytes);
      await finish(tx, row, added, entries, check.beforeBytes + bytes, at);
      return { done: { added, entries } };
    }
    // Larger: a new set, filled in slices before the list points at it.
    const set = `${id}~${randomUUID()}`;
    await repo.markPurge(tx.db, set, at);
    return { staged: { set, fresh, revision: Number(row.revision), old: repo.setOf(row) } };
  });
  if ('done' in start && start.done) {
    if (start.old !== undefined) await purgeSet(ctx, start.old);
    return start.done;
  }
  const { set, fresh, revision, old } = start.staged!;
  await purgeLeftovers(ctx);
  try {
    /** Each slice its own transaction; the list must stay as it was when the upload began. */
    const inSlice = <T>(write: (tx: WriteTx) => Promise<T>) =>
      changeLists(ctx, async (tx) => {
        const row = await repo.findList(tx.db, id);
        if (!row || Number(row.revision) !== revision) throw changedMeanwhile(row);
        return write(tx);
      });
    if (!fresh) {
      let after: { kind: string; value: string } | undefined;
      do {
        after = await inSlice((tx) => repo.copySlice(tx.db, old, set, after, slice));
        await nextTurn();
      } while (after);
    }
    let added = 0;
    let addedBytes = 0;
    for (let i = 0; i < values.length; i += slice) {
      const part = values.slice(i, i + slice);
      const written = await inSlice(async (tx) => {
        if (!fresh) return repo.addEntries(tx.db, set, part, at);
        await repo.insertNewEntries(tx, set, part, at);
        return { added: part.length, bytes: 0 };
      });
      added += written.added;
      addedBytes += written.bytes;
      await nextTurn();
    }
    const done = await changeLists(ctx, async (tx) => {
      const row = await writableList(ctx, actor, id, tx.db);
      if (Number(row.revision) !== revision) throw changedMeanwhile(row);
      const check = await bounds(tx, row);
      const entries = fresh ? added : check.before + added;
      // Every value of a fresh upload was written; an addition weighs only those it added.
      const bytes = fresh ? weight() : check.beforeBytes + addedBytes;
      check.check(entries, bytes);
      await repo.unmarkPurge(tx.db, set);
      await repo.markPurge(tx.db, old, at);
      await finish(tx, row, added, entries, bytes, at, set);
      return { added, entries };
    });
    await purgeSet(ctx, old);
    return done;
  } catch (error) {
    await purgeSet(ctx, set).catch((purgeError: unknown) => ctx.logger.warn({ err: purgeError, set }, 'a warning-list set left by a failed upload is purged later'));
    throw error;
  }
}

function changedMeanwhile(row: repo.ListRow | undefined): Error {
  return row
    ? shieldwallError('CONFLICT', `warning list '${row.name}' changed while this upload was written, so nothing was changed: send the upload again`)
    : shieldwallError('NOT_FOUND', 'the warning list was deleted while this upload was written');
}

/** Deletes a set's rows in slices, each its own transaction, then its purge mark. */
async function purgeSet(ctx: AppContext, set: string): Promise<void> {
  const slice = ctx.config.warningListWriteSlice;
  for (;;) {
    // Fewer than a slice: the last, and the mark went with it.
    if ((await writeTransaction(ctx.store, (tx) => repo.purgeSlice(tx.db, set, slice))) < slice) return;
    await nextTurn();
  }
}

/** Sets left by an upload or a removal that did not finish (the process stopped) are purged after an hour. */
const LEFTOVER_AFTER_MS = 3600_000;

async function purgeLeftovers(ctx: AppContext): Promise<void> {
  const before = new Date(ctx.clock.now().getTime() - LEFTOVER_AFTER_MS).toISOString();
  for (const set of await repo.purgesBefore(ctx.store.db, before, 10)) await purgeSet(ctx, set);
}

/** Removes the entry written as value (normalised as on upload); 404 when the list has none. */
export async function removeEntry(ctx: AppContext, actor: Principal, id: string, value: string, kind?: ObservableKind): Promise<{ removed: number; entries: number }> {
  const parsed = parseEntry(value, kind);
  // A value that no longer parses (stored by another version) is removed as written.
  const normalised = 'error' in parsed ? value.trim() : parsed.value;
  return changeLists(ctx, async (tx) => {
    const row = await writableList(ctx, actor, id, tx.db);
    const { removed, bytes } = await repo.deleteEntry(tx.db, repo.setOf(row), normalised, kind);
    if (removed === 0) {
      throw shieldwallError('NOT_FOUND', `warning list '${row.name}' holds no entry '${shown(normalised)}'${'error' in parsed ? ` (${parsed.error})` : ''}; see its entries with GET /api/v1/warning-lists/${id}`);
    }
    const entries = Number(row.entries) - removed;
    const revision = await repo.nextRevision(tx.db);
    await repo.updateList(tx.db, id, { entries, bytes: Math.max(0, Number(row.bytes) - bytes), revision, updated_at: ctx.clock.now().toISOString() });
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'detect.warninglist.entries.remove', subject: id, detail: { name: row.name, value: normalised, removed } }]);
    return { removed, entries };
  });
}

// ---------------------------------------------------------------------------------------------
// Suppression

interface Part {
  /** The lists' ids and revisions it compiles (those of the latest request while it waits to start). */
  signature: string;
  lists: repo.ListRow[];
  suppressor: Promise<Suppressor>;
  /** Its compile has begun: a later change makes a part of its own, which waits for this one. */
  started: boolean;
  settled: boolean;
}

/** Compiled lists of one node (context): the alliance's once, each member's once, shared by every request. */
/**
 * How long a check of the store's revision counter holds for changes made by other processes
 * (a change through this process is seen at once): lookups and matches ask for the lists on
 * every request, and the counter's query was most of a lookup's own cost.
 */
export const LISTS_FRESH_MS = 1000;

class SuppressorCache {
  revision = -1;
  /** When the revision counter was last read (ms, the context's clock); 0 after a change here. */
  checkedAt = 0;
  lists: repo.ListRow[] = [];
  alliance: Part | undefined;
  readonly members = new Map<string, Part>();
  /**
   * What suppressorFor answered, by member code ('' for none), while the lists stay as they are:
   * a request then makes no list filtering nor signature (about 1 µs of every lookup, measured).
   */
  readonly answered = new Map<string, Suppressor>();

  constructor(private readonly ctx: AppContext) {}

  /** Reads the store's revision when it may have changed; undefined (nothing to wait for) when it is fresh. */
  refresh(): Promise<void> | undefined {
    const now = this.ctx.clock.now().getTime();
    if (this.checkedAt !== 0 && now - this.checkedAt < LISTS_FRESH_MS) return undefined;
    this.checkedAt = now;
    return this.#read();
  }

  async #read(): Promise<void> {
    const revision = await repo.revision(this.ctx.store.db);
    if (revision === this.revision) return;
    const lists = await repo.listLists(this.ctx.store.db);
    if (revision < this.revision) return;
    this.revision = revision;
    this.lists = lists;
    const owners = new Set(lists.filter((l) => l.scope === 'member').map((l) => l.member_code));
    for (const code of this.members.keys()) if (!owners.has(code)) this.members.delete(code);
    // Combinations are cheap to make again, and a stale one would keep replaced lists in memory.
    this.answered.clear();
  }

  /**
   * The suppressor of one part's lists (the alliance's, or a member's). One compile of a part runs
   * at a time: a change while it runs makes the next part, which starts once it is done with the
   * lists as they stand then, however many changes came meanwhile. A compile each (a member
   * changing a large list's description again and again, then asking) ran eight compiles of a
   * 300,000-entry list at once: 730 MiB above the one compiled copy.
   */
  part(get: () => Part | undefined, lists: repo.ListRow[], store: (part: Part | undefined) => void): Promise<Suppressor> | undefined {
    if (lists.length === 0) {
      store(undefined);
      return undefined;
    }
    const signature = lists.map((l) => `${l.id}@${l.revision}`).join(',');
    const current = get();
    if (current?.signature === signature) return current.suppressor;
    if (current && !current.started) {
      // Waiting for the compile before it: it compiles these lists instead, when it starts.
      current.signature = signature;
      current.lists = lists;
      return current.suppressor;
    }
    const previous = current && !current.settled ? current.suppressor : undefined;
    const part: Part = { signature, lists, suppressor: Promise.resolve(undefined as unknown as Suppressor), started: previous === undefined, settled: false };
    part.suppressor = (async () => {
      if (previous) {
        await previous.catch(() => undefined);
        part.started = true;
      }
      return compile(this.ctx, part.lists);
    })();
    part.suppressor.then(
      () => (part.settled = true),
      () => {
        part.settled = true;
        if (get() === part) store(undefined);
      },
    );
    store(part);
    return part.suppressor;
  }
}

/** This node's compiled suppressors, by reader (SuppressorCache). */
const SUPPRESSORS = nodeState('warninglists.suppressors', (ctx) => new SuppressorCache(ctx));

/** A change to the lists in one transaction; the next request through this process sees it. */
async function changeLists<T>(ctx: AppContext, change: (tx: WriteTx) => Promise<T>): Promise<T> {
  try {
    return await writeTransaction(ctx.store, change);
  } finally {
    const cache = ctx.state.peek(SUPPRESSORS);
    if (cache) cache.checkedAt = 0;
  }
}

async function compile(ctx: AppContext, lists: readonly repo.ListRow[]): Promise<Suppressor> {
  const builder = new SuppressorBuilder();
  let skipped = 0;
  for (const list of lists) {
    let after: { kind: string; value: string } | undefined;
    for (;;) {
      const rows = await repo.pageEntries(ctx.store.db, repo.setOf(list), { limit: COMPILE_CHUNK, ...(after ? { after } : {}) });
      for (const row of rows) if (!builder.add(list, row.kind, row.value)) skipped++;
      if (rows.length < COMPILE_CHUNK) break;
      const last = rows[rows.length - 1]!;
      after = { kind: last.kind, value: last.value };
      // Lists of millions of entries: the node's requests are read between chunks.
      await nextTurn();
    }
  }
  if (skipped > 0) ctx.logger.warn({ skipped, lists: lists.map((l) => l.id) }, 'warning-list entries this version cannot read were skipped');
  return builder.buildInTurns();
}

/**
 * The lists that apply to this principal (its member's lists, then the alliance lists),
 * compiled. One key lookup per call notices any change (from this process, another process or
 * the CLI); only the changed part is compiled again.
 */
export async function suppressorFor(ctx: AppContext, actor: Principal): Promise<Suppressor> {
  const cache = ctx.state.get(SUPPRESSORS);
  const reading = cache.refresh();
  if (reading) await reading;
  const c = cache;
  const code = actor.member?.code;
  const key = code ?? '';
  const answered = c.answered.get(key);
  if (answered) return answered;
  const revision = c.revision;
  const suppressor = await compose(c, code);
  // Lists that changed meanwhile are composed again by the next request.
  if (c.revision === revision) c.answered.set(key, suppressor);
  return suppressor;
}

/** The suppressor of a member's lists and the alliance's, compiling what changed. */
async function compose(c: SuppressorCache, code: string | undefined): Promise<Suppressor> {
  const alliance = c.part(() => c.alliance, c.lists.filter((l) => l.scope === 'alliance'), (p) => (c.alliance = p));
  const member = code === undefined
    ? undefined
    : c.part(() => c.members.get(code), c.lists.filter((l) => l.scope === 'member' && l.member_code === code), (p) => (p ? c.members.set(code, p) : c.members.delete(code)));
  const parts: Suppressor[] = [];
  if (member) parts.push(await member);
  if (alliance) parts.push(await alliance);
  if (parts.length === 0) return NO_SUPPRESSION;
  if (parts.length === 1) return parts[0]!;
  return new CombinedSuppressor(parts);
}

/** What the lists that apply to the actor say of one value (the check a matcher makes). */
export async function checkValue(ctx: AppContext, actor: Principal, value: string, kind?: ObservableKind): Promise<{ value: string; kind: ObservableKind | null; normalised: string | null; suppressed: Suppression | null }> {
  requirePermission(ctx, actor, 'warninglist:read');
  const k = kind ?? detectKind(value.trim()) ?? null;
  const normalised = k === null ? null : (normalise(k, value) ?? null);
  if (k === null || normalised === null) return { value, kind: k, normalised, suppressed: null };
  return { value, kind: k, normalised, suppressed: (await suppressorFor(ctx, actor)).check(k, normalised) ?? null };
}

// ---------------------------------------------------------------------------------------------
// Demo

export const DEMO_RESOLVERS_LIST = 'Public DNS resolvers';

/** Well-known public DNS resolvers: contacted by every network, never a sign of compromise alone. */
const PUBLIC_RESOLVERS: readonly EntryInput[] = [
  { value: '8.8.8.8', comment: 'Google Public DNS' },
  { value: '8.8.4.4', comment: 'Google Public DNS' },
  { value: '2001:4860:4860::8888', comment: 'Google Public DNS' },
  { value: '2001:4860:4860::8844', comment: 'Google Public DNS' },
  { value: '1.1.1.1', comment: 'Cloudflare' },
  { value: '1.0.0.1', comment: 'Cloudflare' },
  { value: '2606:4700:4700::1111', comment: 'Cloudflare' },
  { value: '2606:4700:4700::1001', comment: 'Cloudflare' },
  { value: '9.9.9.9', comment: 'Quad9' },
  { value: '149.112.112.112', comment: 'Quad9' },
  { value: '2620:fe::fe', comment: 'Quad9' },
  { value: '208.67.222.222', comment: 'OpenDNS' },
  { value: '208.67.220.220', comment: 'OpenDNS' },
  { value: 'dns.google', comment: 'Google Public DNS (DNS over HTTPS/TLS)' },
  { value: '*.cloudflare-dns.com', comment: 'Cloudflare (DNS over HTTPS/TLS)' },
  { value: 'dns.quad9.net', comment: 'Quad9 (DNS over HTTPS/TLS)' },
];

/** Seeds an alliance list of public DNS resolvers (once: kept as it is if present). */
export async function seedDemoWarningLists(ctx: AppContext): Promise<WarningList> {
  const existing = (await repo.listLists(ctx.store.db)).find((l) => l.scope === 'alliance' && l.name === DEMO_RESOLVERS_LIST && l.member_code === null);
  if (existing) return present(existing);
  const list = await createWarningList(ctx, SYSTEM_PRINCIPAL, {
    name: DEMO_RESOLVERS_LIST,
    description: 'Well-known public DNS resolvers: every network talks to them, so a match on one alone is noise',
    scope: 'alliance',
  });
  await uploadEntries(ctx, SYSTEM_PRINCIPAL, list.id, { items: PUBLIC_RESOLVERS }, { mode: 'add', strict: true });
  return present((await repo.findList(ctx.store.db, list.id))!);
}
