/** The recursive-descent grammar of STIX patterning (see parser.ts for the rules it follows). */
import type {
  ComparisonExpression, Comparison, ObservationExpression, ObservationGroup, ObservationSimple, Pattern, Qualifier,
  StringLiteral, TimestampLiteral,
} from './ast.js';
import { truncate } from './lexer.js';
import { LiteralParser } from './literals.js';
import { timestampProblem } from './timestamp.js';
import {
  KEYWORD_TEXT, T_AND, T_EOF, T_EQ, T_EXISTS, T_FLOAT, T_FOLLOWEDBY, T_GE, T_GT, T_IDENT, T_IDENT_HYPHEN, T_IN,
  T_INT, T_ISSUBSET, T_ISSUPERSET, T_LBRACK, T_LE, T_LIKE, T_LPAREN, T_LT, T_MATCHES, T_NEQ, T_NOT, T_OR, T_RBRACK,
  T_REPEATS, T_RPAREN, T_SECONDS, T_START, T_STOP, T_STRING, T_TIMES, T_TIMESTAMP, T_WITHIN,
} from './tokens.js';

const QUAL_WITHIN = 1;
const QUAL_REPEATS = 2;
const QUAL_STARTSTOP = 4;
/** The recursive-descent grammar: observation expressions, qualifiers and comparisons. */
export class Parser extends LiteralParser {
  // -------------------------------------------------------------------------------------------
  // Observation expressions

  parse(): Pattern {
    this.next();
    if (this.kind === T_EOF) {
      this.fail(this.start, "empty pattern: expected an observation expression such as [file:name = 'a.exe']");
    }
    const expression = this.parseFollowedBy();
    if (this.kind !== T_EOF) {
      this.fail(
        this.start,
        `expected AND, OR, FOLLOWEDBY, a qualifier (WITHIN, REPEATS, START) or end of pattern, found ${this.found()}`,
      );
    }
    return { kind: 'pattern', expression };
  }

  protected parseFollowedBy(): ObservationExpression {
    const first = this.parseObservationOr();
    if (this.kind !== T_FOLLOWEDBY) return first;
    const operands: ObservationExpression[] = [first];
    while (this.kind === T_FOLLOWEDBY) {
      this.next();
      operands.push(this.parseObservationOr());
    }
    return { kind: 'observationBinary', operator: 'FOLLOWEDBY', operands };
  }

  protected parseObservationOr(): ObservationExpression {
    const first = this.parseObservationAnd();
    if (this.kind !== T_OR) return first;
    const operands: ObservationExpression[] = [first];
    while (this.kind === T_OR) {
      this.next();
      operands.push(this.parseObservationAnd());
    }
    return { kind: 'observationBinary', operator: 'OR', operands };
  }

  protected parseObservationAnd(): ObservationExpression {
    const first = this.parseQualified();
    if (this.kind !== T_AND) return first;
    const operands: ObservationExpression[] = [first];
    while (this.kind === T_AND) {
      this.next();
      operands.push(this.parseQualified());
    }
    return { kind: 'observationBinary', operator: 'AND', operands };
  }

  protected parseQualified(): ObservationExpression {
    const base = this.parseObservationPrimary();
    let kind = this.kind;
    if (kind !== T_WITHIN && kind !== T_REPEATS && kind !== T_START) return base;
    // STIX 2.1 (reference validator): a qualifier type may be applied once directly to a
    // bracketed observation; a parenthesized group may be qualified again.
    const checkDuplicates = this.v21 && base.kind === 'observation';
    const qualifiers: Qualifier[] = [];
    let seen = 0;
    while (kind === T_WITHIN || kind === T_REPEATS || kind === T_START) {
      const at = this.start;
      const bit = kind === T_WITHIN ? QUAL_WITHIN : kind === T_REPEATS ? QUAL_REPEATS : QUAL_STARTSTOP;
      if (checkDuplicates && (seen & bit) !== 0) {
        const name = kind === T_START ? 'START/STOP' : (KEYWORD_TEXT[kind] ?? '');
        this.fail(
          at,
          `duplicate ${name} qualifier on the same observation expression: each qualifier type may be applied once (wrap the qualified expression in parentheses to qualify it again)`,
        );
      }
      seen |= bit;
      qualifiers.push(
        kind === T_WITHIN ? this.parseWithin() : kind === T_REPEATS ? this.parseRepeats() : this.parseStartStop(),
      );
      kind = this.kind;
    }
    return { kind: 'qualified', expression: base, qualifiers };
  }

  protected parseObservationPrimary(): ObservationSimple | ObservationGroup {
    const open = this.start;
    if (this.kind === T_LBRACK) {
      this.enter(open);
      this.next();
      if (this.kind === T_RBRACK) {
        this.fail(this.start, 'empty observation expression: expected a comparison between [ and ]');
      }
      const comparison = this.parseComparisonOr();
      if (this.kind !== T_RBRACK) {
        this.fail(
          this.start,
          `expected ']' to close the observation expression opened at ${this.where(open)} (or AND / OR to extend it), found ${this.found()}`,
        );
      }
      this.depth--;
      this.next();
      return { kind: 'observation', comparison };
    }
    if (this.kind === T_LPAREN) {
      this.enter(open);
      this.next();
      const expression = this.parseFollowedBy();
      if (this.kind !== T_RPAREN) {
        this.fail(
          this.start,
          `expected ')' to close the parenthesized observation expression opened at ${this.where(open)}, found ${this.found()}`,
        );
      }
      this.depth--;
      this.next();
      return { kind: 'observationGroup', expression };
    }
    const hint =
      this.kind === T_IDENT || this.kind === T_IDENT_HYPHEN
        ? ' (comparisons must be enclosed in square brackets, e.g. [file:name = \'a.exe\'])'
        : '';
    this.fail(this.start, `expected an observation expression ('[' or '('), found ${this.found()}${hint}`);
  }

  // -------------------------------------------------------------------------------------------
  // Qualifiers

  protected parseWithin(): Qualifier {
    this.next();
    const at = this.start;
    if ((this.kind !== T_INT && this.kind !== T_FLOAT) || this.text.charCodeAt(0) === 45) {
      this.fail(at, `expected a positive number of seconds after WITHIN, found ${this.found()}`);
    }
    const seconds = this.kind === T_INT ? this.integer() : this.float();
    if (!hasNonZeroDigit(seconds.text)) {
      this.fail(at, `WITHIN requires a positive number of seconds, found ${seconds.text}`);
    }
    this.next();
    if (this.kind !== T_SECONDS) {
      this.fail(
        this.start,
        `expected SECONDS after WITHIN ${seconds.text} (SECONDS is the only time unit), found ${this.found()}`,
      );
    }
    this.next();
    return { kind: 'within', seconds };
  }

  protected parseRepeats(): Qualifier {
    this.next();
    const at = this.start;
    if (this.kind !== T_INT || this.text.charCodeAt(0) === 45) {
      this.fail(at, `expected a positive integer after REPEATS, found ${this.found()}`);
    }
    const times = this.integer();
    if (times.text === '0') this.fail(at, 'REPEATS requires a positive integer, found 0');
    this.next();
    if (this.kind !== T_TIMES) {
      this.fail(this.start, `expected TIMES after REPEATS ${times.text}, found ${this.found()}`);
    }
    this.next();
    return { kind: 'repeats', times };
  }

  protected parseStartStop(): Qualifier {
    this.next();
    const start = this.parseTimeBound('START');
    if (this.kind !== T_STOP) {
      this.fail(this.start, `expected STOP after the START timestamp, found ${this.found()}`);
    }
    this.next();
    const stop = this.parseTimeBound('STOP');
    return { kind: 'startStop', start, stop };
  }

  protected parseTimeBound(keyword: string): TimestampLiteral | StringLiteral {
    if (this.kind === T_TIMESTAMP) {
      const lit: TimestampLiteral = { kind: 'timestamp', value: this.text };
      this.next();
      return lit;
    }
    if (this.kind === T_STRING) {
      if (this.v21) {
        this.fail(
          this.start,
          `expected a timestamp literal after ${keyword}, found ${this.found()} (STIX 2.1 writes t'...'; plain strings are STIX 2.0 syntax)`,
        );
      }
      const problem = timestampProblem(this.text);
      if (problem !== null) {
        this.fail(this.start, `invalid ${keyword} timestamp '${truncate(this.text)}': ${problem}`);
      }
      const lit: StringLiteral = { kind: 'string', value: this.text };
      this.next();
      return lit;
    }
    const expected = this.v21 ? "a timestamp literal t'...'" : "a timestamp (t'...' or '...')";
    this.fail(this.start, `expected ${expected} after ${keyword}, found ${this.found()}`);
  }

  // -------------------------------------------------------------------------------------------
  // Comparison expressions

  protected parseComparisonOr(): ComparisonExpression {
    const first = this.parseComparisonAnd();
    if (this.kind !== T_OR) return first;
    const operands: ComparisonExpression[] = [first];
    while (this.kind === T_OR) {
      this.next();
      operands.push(this.parseComparisonAnd());
    }
    return { kind: 'comparisonBinary', operator: 'OR', operands };
  }

  protected parseComparisonAnd(): ComparisonExpression {
    const first = this.parsePropTest();
    if (this.kind !== T_AND) return first;
    const operands: ComparisonExpression[] = [first];
    while (this.kind === T_AND) {
      this.next();
      operands.push(this.parsePropTest());
    }
    return { kind: 'comparisonBinary', operator: 'AND', operands };
  }

  protected parsePropTest(): ComparisonExpression {
    switch (this.kind) {
      case T_IDENT:
      case T_IDENT_HYPHEN:
        return this.parseComparison();
      case T_LPAREN: {
        const open = this.start;
        this.enter(open);
        this.next();
        const expression = this.parseComparisonOr();
        if (this.kind !== T_RPAREN) {
          this.fail(
            this.start,
            `expected ')' to close the parenthesized comparison opened at ${this.where(open)} (or AND / OR to extend it), found ${this.found()}`,
          );
        }
        this.depth--;
        this.next();
        return { kind: 'comparisonGroup', expression };
      }
      case T_EXISTS:
        this.next();
        return { kind: 'exists', negated: false, path: this.parseObjectPath() };
      case T_NOT:
        if (this.v21) {
          this.next();
          if (this.kind !== T_EXISTS) {
            this.fail(
              this.start,
              `expected EXISTS after NOT, found ${this.found()} (NOT before a path only negates EXISTS; write the other negations as file:name NOT = 'a')`,
            );
          }
          this.next();
          return { kind: 'exists', negated: true, path: this.parseObjectPath() };
        }
        if (this.src.startsWith('EXISTS', this.end + countSpaces(this.src, this.end))) {
          this.fail(this.start, 'NOT EXISTS is only available in STIX 2.1 patterns (EXISTS is only available in STIX 2.1)');
        }
        this.failExpectedComparison();
        break;
      default:
        this.failExpectedComparison();
    }
  }

  protected failExpectedComparison(): never {
    const what = this.v21 ? "an object path (e.g. file:name), EXISTS or '('" : "an object path (e.g. file:name) or '('";
    this.fail(this.start, `expected a comparison: ${what}, found ${this.found()}`);
  }

  protected parseComparison(): Comparison {
    const pathStart = this.start;
    const path = this.parseObjectPath();
    let negated = false;
    if (this.kind === T_NOT) {
      negated = true;
      this.next();
    }
    const kind = this.kind;
    let comparison: Comparison;
    switch (kind) {
      case T_EQ:
      case T_NEQ: {
        this.next();
        const at = this.start;
        const value = this.parsePrimitiveLiteral();
        const rule = this.hashRule(path);
        if (rule !== undefined) this.checkHash(rule, value, at);
        comparison = { kind: 'comparison', path, negated, operator: kind === T_EQ ? '=' : '!=', value };
        break;
      }
      case T_LT:
      case T_LE:
      case T_GT:
      case T_GE: {
        const operator = kind === T_LT ? '<' : kind === T_LE ? '<=' : kind === T_GT ? '>' : '>=';
        this.next();
        const at = this.start;
        const value = this.parseOrderableLiteral(operator);
        const rule = this.hashRule(path);
        if (rule !== undefined) this.checkHash(rule, value, at);
        comparison = { kind: 'comparison', path, negated, operator, value };
        break;
      }
      case T_IN:
        this.next();
        comparison = { kind: 'comparison', path, negated, operator: 'IN', value: this.parseSet(this.hashRule(path)) };
        break;
      case T_LIKE:
      case T_MATCHES:
      case T_ISSUBSET:
      case T_ISSUPERSET: {
        const operator =
          kind === T_LIKE ? 'LIKE' : kind === T_MATCHES ? 'MATCHES' : kind === T_ISSUBSET ? 'ISSUBSET' : 'ISSUPERSET';
        this.next();
        if (this.kind !== T_STRING) {
          const hint = operator === 'MATCHES' ? " (regular expressions are written as strings: '^a.*b$')" : '';
          this.fail(this.start, `expected a string literal after ${operator}, found ${this.found()}${hint}`);
        }
        comparison = { kind: 'comparison', path, negated, operator, value: { kind: 'string', value: this.text } };
        this.next();
        break;
      }
      default:
        if (negated) {
          this.fail(this.start, `expected a comparison operator after NOT, found ${this.found()}`);
        }
        this.fail(
          this.start,
          `expected a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET, or NOT before one) after ${truncate(
            this.src.slice(pathStart, this.start).trimEnd(),
          )}, found ${this.found()}`,
        );
    }
    return comparison;
  }
}
/** Number of whitespace characters (ASCII) from offset on. */
function countSpaces(src: string, offset: number): number {
  let n = 0;
  while (offset + n < src.length && /\s/.test(src[offset + n] ?? '')) n++;
  return n;
}

function hasNonZeroDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 49 && c <= 57) return true;
  }
  return false;
}
