/** The validation result types, the context that collects issues for one object, and JSON helpers. */
import type { StixCategory, StixObject } from '../types.js';

// =============================================================================================
// Public API
// =============================================================================================

export interface StixIssue {
  /** The object's id, when it could be read. */
  id?: string;
  /** JSON path relative to the object, e.g. `$.valid_from` or `$.external_references[0].source_name`. */
  path: string;
  /** Short stable rule code, e.g. 'required', 'timestamp-format', 'ref-type'. */
  rule: string;
  /** What is wrong and how to fix it. */
  message: string;
}

export interface ValidateOptions {
  /** The bundle's declared version, applied when the object has no spec_version. */
  specVersion?: '2.0' | '2.1';
  /** Reject objects whose UTF-8 JSON serialisation is larger than this. */
  maxObjectBytes?: number;
  /** Accept custom object types and custom properties (default true). */
  allowCustom?: boolean;
}

export type ValidationResult =
  | { ok: true; object: StixObject; warnings: StixIssue[]; upgraded: string[] }
  | { ok: false; errors: StixIssue[] };

/** Re-roots object-relative issue paths ('$.x') under a bundle position (e.g. '$.objects[3]'). */
export function withPathPrefix(issues: readonly StixIssue[], prefix: string): StixIssue[] {
  return issues.map((issue) => ({ ...issue, path: prefix + issue.path.slice(1) }));
}

// =============================================================================================
// Validation context
// =============================================================================================

export type Json = Record<string, unknown>;

export class Context {
  readonly errors: StixIssue[] = [];
  readonly warnings: StixIssue[] = [];
  id: string | undefined = undefined;
  type = '';
  category: StixCategory | undefined = undefined;
  custom = false;
  /** Set when created / modified passed their own checks, so ordering can compare them directly. */
  createdValid = false;
  modifiedValid = false;
  root: Json;
  readonly allowCustom: boolean;
  /** Memo of "does the object declare a toplevel-property-extension" (undefined = not computed). */
  private toplevelExtension: boolean | undefined = undefined;

  constructor(root: Json, allowCustom: boolean) {
    this.root = root;
    this.allowCustom = allowCustom;
  }

  error(path: string, rule: string, message: string): void {
    this.errors.push(this.id === undefined ? { path, rule, message } : { id: this.id, path, rule, message });
  }

  warn(path: string, rule: string, message: string): void {
    this.warnings.push(this.id === undefined ? { path, rule, message } : { id: this.id, path, rule, message });
  }

  declaresToplevelExtension(): boolean {
    if (this.toplevelExtension === undefined) {
      this.toplevelExtension = false;
      const extensions = this.root['extensions'];
      if (isPlainObject(extensions)) {
        for (const key in extensions) {
          const ext = extensions[key];
          if (isPlainObject(ext) && ext['extension_type'] === 'toplevel-property-extension') this.toplevelExtension = true;
        }
      }
    }
    return this.toplevelExtension;
  }
}

/** Checks one property value. `path` is the value's JSON path; `parent` is the object holding it. */
export type Check = (c: Context, value: unknown, path: string, parent: Json) => void;

// =============================================================================================
// Primitive helpers
// =============================================================================================

export function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

const SIMPLE_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function childPath(parent: string, key: string): string {
  return SIMPLE_KEY_RE.test(key) ? `${parent}.${key}` : `${parent}['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

export function typeError(c: Context, path: string, expected: string, value: unknown): void {
  c.error(path, 'value-type', `Must be ${expected}, but is ${describeJson(value)}. Replace it with ${expected}.`);
}

export function lastKey(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot >= 0 ? path.slice(dot + 1) : path;
}
