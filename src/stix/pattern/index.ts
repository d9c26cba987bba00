/**
 * STIX patterning (STIX 2.1 section 9; STIX 2.0 part 5): parse pattern text into a typed tree,
 * format a tree back to canonical text, and small queries over trees.
 */

import type { ComparisonExpression, ObservationExpression, Pattern } from './ast.js';

export type * from './ast.js';
export { parsePattern, MAX_NESTING_DEPTH } from './parser.js';
export type { ParsePatternOptions, PatternResult, PatternSyntaxError } from './parser.js';
export { formatPattern } from './format.js';

/**
 * Distinct SCO types named by the pattern's object paths, in order of first appearance,
 * e.g. `['file', 'ipv4-addr']`.
 */
export function patternObservableTypes(pattern: Pattern): string[] {
  const seen = new Set<string>();
  visitObservation(pattern.expression, seen);
  return [...seen];
}

function visitObservation(expr: ObservationExpression, out: Set<string>): void {
  switch (expr.kind) {
    case 'observation':
      visitComparison(expr.comparison, out);
      return;
    case 'observationGroup':
      visitObservation(expr.expression, out);
      return;
    case 'qualified':
      visitObservation(expr.expression, out);
      return;
    case 'observationBinary':
      for (const operand of expr.operands) visitObservation(operand, out);
      return;
  }
}

function visitComparison(expr: ComparisonExpression, out: Set<string>): void {
  switch (expr.kind) {
    case 'comparison':
    case 'exists':
      out.add(expr.path.objectType);
      return;
    case 'comparisonGroup':
      visitComparison(expr.expression, out);
      return;
    case 'comparisonBinary':
      for (const operand of expr.operands) visitComparison(operand, out);
      return;
  }
}
export { compilePattern, PatternWindow, MAX_SEARCH_STEPS, MAX_BOUND_OBSERVATIONS } from './evaluate.js';
export type { Observation, PatternMatch, CompiledPattern, PatternWindowOptions } from './evaluate.js';
