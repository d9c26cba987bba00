/**
 * The CPU half of the ingest pipeline: parse, validate, upgrade, marking columns, row. No I/O,
 * so that it runs in the calling thread or in an ingest worker thread (intel.worker.ts).
 */
import { handlingOfMarkingDefinition, layeredMarkings, type HandlingMarking, type MarkingDefaults, type MarkingTable } from '../../policy/markings.js';
import { DEFAULT_MAX_OBJECT_DEPTH, depthMessage, valueDepthProblem } from '../../stix/depth.js';
import type { StreamEntry, StreamHeader } from '../../stix/stream-reader.js';
import type { StixObject } from '../../stix/types.js';
import { validateObject, type StixIssue } from '../../stix/validate.js';
import { toRow, type NewVersion } from './intel.rows.js';

export type OutcomeStatus = 'accepted' | 'duplicate' | 'rejected';

export interface ObjectOutcome {
  index: number;
  status: OutcomeStatus;
  id?: string;
  type?: string;
  /** Byte offset of the object in the stream (not set for objects handed over as values). */
  offset?: number;
  /** Line number for NDJSON input. */
  line?: number;
  errors?: StixIssue[];
  warnings?: StixIssue[];
  upgraded?: string[];
  /** The version stored or already held (modified, nine fractional digits), once written. */
  version?: string;
}

export type PipelineEntry = StreamEntry | { kind: 'value'; index: number; value: unknown };

/** One object ready for the store (row set) or already decided (rejected). */
export interface PreparedObject {
  outcome: ObjectOutcome;
  row: NewVersion | undefined;
  /** A handling marking-definition this object defines, for the node's marking table. */
  handling?: [string, HandlingMarking];
}

/** Problems of the stream itself (not of one object) travel separately. */
export type Prepared = PreparedObject | { streamError: string };

const POSITION = /at position (\d+)/;

function jsonErrorIssue(error: unknown, text: string, entry: { index: number; offset: number; line: number | undefined }): StixIssue {
  const message = error instanceof Error ? error.message : String(error);
  const match = POSITION.exec(message);
  const where = match ? entry.offset + Buffer.byteLength(text.slice(0, Number(match[1]))) : entry.offset;
  const place = entry.line !== undefined ? `line ${entry.line}` : `byte ${where}`;
  return {
    path: '$',
    rule: 'json-syntax',
    message: `invalid JSON in object ${entry.index} at ${place}: ${message.replace(/^Unexpected/, 'unexpected')}; fix the JSON syntax (a JSON linter shows the exact spot)`,
  };
}

/**
 * The stored body: text from a compact producer as it came, anything else re-serialised. Text
 * with a \u escape is re-serialised too: "granular\u005fmarkings" is the key granular_markings,
 * and whoever looks for a key in stored text (redaction, the detection index) must find it as
 * written. JSON.stringify writes no escape in a key STIX allows.
 */
function compactBody(text: string, object: StixObject): string {
  return text.includes('\n') || text.includes('  ') || text.includes('\\u') ? JSON.stringify(object) : text;
}

/**
 * Prepares one entry. `handling` is read, never changed: a marking-definition met here is only
 * returned (PreparedObject.handling); the writer decides whether it is accepted, and only then
 * does it reach the node's table. The caller keeps the stream's own definitions (see
 * layeredMarkings) so that later objects of the same stream resolve against them meanwhile.
 */
export function prepareEntry(
  entry: PipelineEntry,
  header: StreamHeader | undefined,
  handling: MarkingTable,
  maxObjectBytes: number,
  defaults: MarkingDefaults,
  maxDepth = DEFAULT_MAX_OBJECT_DEPTH,
): Prepared {
  if (entry.kind === 'error') {
    if (entry.index === undefined) return { streamError: entry.message };
    return {
      outcome: {
        index: entry.index,
        status: 'rejected',
        offset: entry.offset,
        ...(entry.line !== undefined ? { line: entry.line } : {}),
        errors: [{ path: entry.path ?? '$', rule: entry.rule ?? 'structure', message: entry.message }],
      },
      row: undefined,
    };
  }
  // Objects handed over parsed (TAXII, federation) are held to the depth limit here, before the
  // validator walks them; streamed ones were by the reader, before they were parsed.
  if (entry.kind === 'value') {
    const deep = valueDepthProblem(entry.value, maxDepth);
    if (deep) {
      const partial = typeof entry.value === 'object' && entry.value !== null ? (entry.value as { id?: unknown; type?: unknown }) : {};
      return {
        outcome: {
          index: entry.index,
          status: 'rejected',
          ...(typeof partial.id === 'string' ? { id: partial.id } : {}),
          ...(typeof partial.type === 'string' ? { type: partial.type } : {}),
          errors: [{ path: deep.path, rule: 'object-depth', message: depthMessage(deep, maxDepth) }],
        },
        row: undefined,
      };
    }
  }
  let value: unknown;
  let position: { offset?: number; line?: number } = {};
  if (entry.kind === 'object') {
    position = entry.line !== undefined ? { offset: entry.offset, line: entry.line } : { offset: entry.offset };
    try {
      value = JSON.parse(entry.text);
    } catch (error) {
      return { outcome: { index: entry.index, status: 'rejected', ...position, errors: [jsonErrorIssue(error, entry.text, entry)] }, row: undefined };
    }
  } else value = entry.value;

  const declared = header?.specVersion;
  // Streamed objects were already held to the size limit by the reader, by their bytes.
  const result = validateObject(value, {
    ...(declared === '2.0' || declared === '2.1' ? { specVersion: declared } : {}),
    ...(entry.kind === 'value' ? { maxObjectBytes } : {}),
  });
  if (!result.ok) {
    const partial = typeof value === 'object' && value !== null ? (value as { id?: unknown; type?: unknown }) : {};
    return {
      outcome: {
        index: entry.index,
        status: 'rejected',
        ...(typeof partial.id === 'string' ? { id: partial.id } : {}),
        ...(typeof partial.type === 'string' ? { type: partial.type } : {}),
        ...position,
        errors: result.errors,
      },
      row: undefined,
    };
  }
  const object = result.object;
  let defined: [string, HandlingMarking] | undefined;
  if (object.type === 'marking-definition') {
    // Every marking-definition is a candidate (statements and others as {}), so that objects
    // referring to it are not held back as unresolved once it is accepted.
    defined = [object.id, handlingOfMarkingDefinition(object) ?? {}];
  }
  const body = entry.kind === 'object' && result.upgraded.length === 0 && result.object === value ? compactBody(entry.text, object) : JSON.stringify(object);
  const outcome: ObjectOutcome = { index: entry.index, status: 'accepted', id: object.id, type: object.type, ...position };
  if (result.warnings.length > 0) outcome.warnings = result.warnings;
  if (result.upgraded.length > 0) outcome.upgraded = result.upgraded;
  return { outcome, row: toRow(object, body, handling, defaults), ...(defined ? { handling: defined } : {}) };
}

/**
 * Prepares the entries of one stream in order, keeping the marking-definitions met so far (and
 * not known to the node) for the objects after them.
 */
export class StreamPreparer {
  private readonly streamDefinitions = new Map<string, HandlingMarking>();
  private readonly table: MarkingTable;

  constructor(
    private readonly node: MarkingTable,
    private readonly maxObjectBytes: number,
    private readonly defaults: MarkingDefaults,
    private readonly maxDepth = DEFAULT_MAX_OBJECT_DEPTH,
  ) {
    this.table = layeredMarkings(node, this.streamDefinitions);
  }

  prepare(entry: PipelineEntry, header: StreamHeader | undefined): Prepared {
    const prepared = prepareEntry(entry, header, this.table, this.maxObjectBytes, this.defaults, this.maxDepth);
    if ('handling' in prepared && prepared.handling) {
      const [id, marking] = prepared.handling;
      // The first definition of an id in the stream stands, as in the store.
      if (!this.node.has(id) && !this.streamDefinitions.has(id)) this.streamDefinitions.set(id, marking);
    }
    return prepared;
  }
}
