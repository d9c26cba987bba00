/**
 * Canonical text for a pattern tree: single spaces around operators, `=` / `!=` for equality,
 * canonical numbers, property names bare when they are plain identifiers and quoted otherwise.
 * For any tree produced by parsePattern, parsing the formatted text (same STIX version) yields
 * an equal tree.
 */

import type {
  ComparisonExpression,
  ObjectPath,
  ObservationExpression,
  Pattern,
  PrimitiveLiteral,
  Qualifier,
  SetLiteral,
} from './ast.js';
import { isReservedWord } from './parser.js';

const OBSERVATION_PRECEDENCE = { FOLLOWEDBY: 1, OR: 2, AND: 3 } as const;
const COMPARISON_PRECEDENCE = { OR: 1, AND: 2 } as const;

export function formatPattern(pattern: Pattern): string {
  return formatObservation(pattern.expression);
}

export function formatObservation(expr: ObservationExpression): string {
  switch (expr.kind) {
    case 'observation':
      return `[${formatComparison(expr.comparison)}]`;
    case 'observationGroup':
      return `(${formatObservation(expr.expression)})`;
    case 'qualified':
      return `${formatObservation(expr.expression)} ${expr.qualifiers.map(formatQualifier).join(' ')}`;
    case 'observationBinary': {
      const own = OBSERVATION_PRECEDENCE[expr.operator];
      return expr.operands
        .map((operand) => {
          const text = formatObservation(operand);
          // Only hand-built trees need these; parsed trees carry explicit group nodes.
          return operand.kind === 'observationBinary' && OBSERVATION_PRECEDENCE[operand.operator] <= own
            ? `(${text})`
            : text;
        })
        .join(` ${expr.operator} `);
    }
  }
}

export function formatQualifier(q: Qualifier): string {
  switch (q.kind) {
    case 'within':
      return `WITHIN ${q.seconds.text} SECONDS`;
    case 'repeats':
      return `REPEATS ${q.times.text} TIMES`;
    case 'startStop':
      return `START ${formatLiteral(q.start)} STOP ${formatLiteral(q.stop)}`;
  }
}

export function formatComparison(expr: ComparisonExpression): string {
  switch (expr.kind) {
    case 'comparison': {
      const op = expr.negated ? `NOT ${expr.operator}` : expr.operator;
      const value = expr.value.kind === 'set' ? formatSet(expr.value) : formatLiteral(expr.value);
      return `${formatObjectPath(expr.path)} ${op} ${value}`;
    }
    case 'exists':
      return `${expr.negated ? 'NOT ' : ''}EXISTS ${formatObjectPath(expr.path)}`;
    case 'comparisonGroup':
      return `(${formatComparison(expr.expression)})`;
    case 'comparisonBinary': {
      const own = COMPARISON_PRECEDENCE[expr.operator];
      return expr.operands
        .map((operand) => {
          const text = formatComparison(operand);
          return operand.kind === 'comparisonBinary' && COMPARISON_PRECEDENCE[operand.operator] <= own
            ? `(${text})`
            : text;
        })
        .join(` ${expr.operator} `);
    }
  }
}

function isBareName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
  }
  return !isReservedWord(name);
}

export function formatObjectPath(path: ObjectPath): string {
  let out = `${path.objectType}:`;
  let first = true;
  for (const step of path.steps) {
    switch (step.kind) {
      case 'property': {
        const name = isBareName(step.name) ? step.name : formatString(step.name);
        out += first ? name : `.${name}`;
        break;
      }
      case 'index':
        out += `[${formatInteger(step.index)}]`;
        break;
      case 'anyIndex':
        out += '[*]';
        break;
    }
    first = false;
  }
  return out;
}

function formatInteger(n: number): string {
  return Number.isSafeInteger(n) || !Number.isInteger(n) ? String(n === 0 ? 0 : n) : BigInt(n).toString();
}

export function formatString(value: string): string {
  let out = "'";
  let seg = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 39 || c === 92) {
      out += `${value.slice(seg, i)}\\${value[i] ?? ''}`;
      seg = i + 1;
    }
  }
  return `${out}${value.slice(seg)}'`;
}

export function formatLiteral(lit: PrimitiveLiteral): string {
  switch (lit.kind) {
    case 'string':
      return formatString(lit.value);
    case 'integer':
    case 'float':
      return lit.text;
    case 'boolean':
      return lit.value ? 'true' : 'false';
    case 'hex':
      return `h'${lit.value}'`;
    case 'binary':
      return `b'${lit.value}'`;
    case 'timestamp':
      return `t'${lit.value}'`;
  }
}

export function formatSet(set: SetLiteral): string {
  return `(${set.values.map(formatLiteral).join(', ')})`;
}
