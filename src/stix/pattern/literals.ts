/** Object paths, hash rules and literals of STIX patterning, on top of the lexer. */
import type {
  FloatLiteral, IntegerLiteral, ObjectPath, OrderableLiteral, PathStep, PrimitiveLiteral, SetLiteral,
} from './ast.js';
import { hashFormatFor, isValidHash, type HashFormat } from './hashes.js';
import { Lexer, truncate } from './lexer.js';
import {
  T_AND, T_BINARY, T_BOOL, T_COLON, T_COMMA, T_DOT, T_FLOAT, T_HEX, T_IDENT, T_IDENT_HYPHEN, T_INT, T_LBRACK,
  T_LPAREN, T_RBRACK, T_RPAREN, T_STAR, T_STRING, T_TIMESTAMP,
} from './tokens.js';

/** Object paths, hash rules and literals: the leaves of the grammar. */
export class LiteralParser extends Lexer {
  /**
   * The hash format a comparison value must match when the path is `...hashes...<ALGORITHM>`
   * with a known algorithm (the rule of the reference validator), else undefined.
   */
  protected hashRule(path: ObjectPath): { name: string; format: HashFormat } | undefined {
    const steps = path.steps;
    const last = steps[steps.length - 1];
    if (last === undefined || last.kind !== 'property') return undefined;
    for (let i = 0; i < steps.length - 1; i++) {
      const step = steps[i];
      if (step !== undefined && step.kind === 'property' && step.name === 'hashes') {
        const format = hashFormatFor(last.name);
        return format === undefined ? undefined : { name: last.name, format };
      }
    }
    return undefined;
  }

  protected checkHash(rule: { name: string; format: HashFormat }, lit: PrimitiveLiteral, at: number): void {
    if (lit.kind !== 'string') {
      const found = lit.kind === 'integer' ? 'an integer' : lit.kind === 'boolean' ? 'a boolean' : `a ${lit.kind} literal`;
      this.fail(at, `hash values for ${truncate(rule.name)} must be string literals, found ${found}`);
    }
    if (!isValidHash(rule.format, lit.value)) {
      this.fail(
        at,
        `'${truncate(lit.value, 80)}' is not a valid ${truncate(rule.name)} hash (expected ${rule.format.description})`,
      );
    }
  }

  protected parseObjectPath(): ObjectPath {
    if (this.kind !== T_IDENT && this.kind !== T_IDENT_HYPHEN) {
      this.fail(this.start, `expected an object path such as file:name, found ${this.found()}`);
    }
    const objectType = this.text;
    this.next();
    if (this.kind !== T_COLON) {
      const hint =
        !this.v21 && objectType === 'EXISTS' ? ' (EXISTS is only available in STIX 2.1 patterns)' : '';
      this.fail(
        this.start,
        `expected ':' after object type '${truncate(objectType)}' (object paths look like type:property), found ${this.found()}${hint}`,
      );
    }
    this.next();
    const steps: PathStep[] = [{ kind: 'property', name: this.propertyName(`'${truncate(objectType)}:'`) }];
    this.next();
    for (;;) {
      if (this.kind === T_DOT) {
        this.next();
        steps.push({ kind: 'property', name: this.propertyName("'.'") });
        this.next();
      } else if (this.kind === T_LBRACK) {
        this.next();
        if (this.kind === T_STAR) {
          steps.push({ kind: 'anyIndex' });
        } else if (this.kind === T_INT) {
          const index = Number(this.text);
          steps.push({ kind: 'index', index: index === 0 ? 0 : index });
        } else {
          this.fail(this.start, `expected a list index (an integer or *) after '[', found ${this.found()}`);
        }
        this.next();
        if (this.kind !== T_RBRACK) {
          this.fail(this.start, `expected ']' to close the list index, found ${this.found()}`);
        }
        this.next();
      } else {
        return { objectType, steps };
      }
    }
  }

  /** The current token as a property name (bare identifier or quoted string). */
  protected propertyName(after: string): string {
    if (this.kind === T_IDENT || this.kind === T_STRING) return this.text;
    if (this.kind === T_IDENT_HYPHEN) {
      this.fail(
        this.start,
        `property name '${truncate(this.text)}' contains '-': quote it, as in file:hashes.'SHA-256'`,
      );
    }
    if (this.kind >= T_AND || this.kind === T_BOOL) {
      const raw = this.src.slice(this.start, this.end);
      this.fail(this.start, `expected a property name after ${after}, found ${this.found()} (quote it as '${raw}' to use it as a name)`);
    }
    this.fail(this.start, `expected a property name after ${after}, found ${this.found()}`);
  }

  // -------------------------------------------------------------------------------------------
  // Literals

  protected integer(): IntegerLiteral {
    return { kind: 'integer', value: Number(this.text), text: this.text };
  }

  protected float(): FloatLiteral {
    return { kind: 'float', value: Number(this.text), text: this.text };
  }

  protected parsePrimitiveLiteral(): PrimitiveLiteral {
    if (this.kind === T_BOOL) {
      const lit: PrimitiveLiteral = { kind: 'boolean', value: this.bool };
      this.next();
      return lit;
    }
    return this.parseOrderableLiteral(null);
  }

  protected parseOrderableLiteral(operator: string | null): OrderableLiteral {
    let lit: OrderableLiteral;
    switch (this.kind) {
      case T_STRING:
        lit = { kind: 'string', value: this.text };
        break;
      case T_INT:
        lit = this.integer();
        break;
      case T_FLOAT:
        lit = this.float();
        break;
      case T_HEX:
        lit = { kind: 'hex', value: this.text };
        break;
      case T_BINARY:
        lit = { kind: 'binary', value: this.text };
        break;
      case T_TIMESTAMP:
        lit = { kind: 'timestamp', value: this.text };
        break;
      default: {
        if (this.kind === T_BOOL && operator !== null) {
          this.fail(this.start, `expected an orderable value after ${operator}, found ${this.found()} (booleans cannot be ordered)`);
        }
        const hint =
          this.kind === T_IDENT || this.kind === T_IDENT_HYPHEN ? ' (string values must be in single quotes)' : '';
        this.fail(
          this.start,
          `expected a value (string, number, boolean, h'..', b'..' or t'..'), found ${this.found()}${hint}`,
        );
      }
    }
    this.next();
    return lit;
  }

  protected parseSet(hashRule: { name: string; format: HashFormat } | undefined): SetLiteral {
    if (this.kind !== T_LPAREN) {
      this.fail(this.start, `expected '(' to start the set of values after IN, found ${this.found()}`);
    }
    const open = this.start;
    this.next();
    const values: PrimitiveLiteral[] = [];
    if (this.kind === T_RPAREN) {
      this.next();
      return { kind: 'set', values };
    }
    for (;;) {
      const at = this.start;
      const value = this.parsePrimitiveLiteral();
      if (hashRule !== undefined) this.checkHash(hashRule, value, at);
      const first = values[0];
      if (first !== undefined && first.kind !== value.kind) {
        this.fail(
          at,
          `IN set mixes types: ${literalKindName(first)} and ${literalKindName(value)}; all values of a set must be of one type (STIX 2.1 section 9.6.1)`,
        );
      }
      values.push(value);
      if (this.kind === T_COMMA) {
        this.next();
        continue;
      }
      if (this.kind === T_RPAREN) {
        this.next();
        return { kind: 'set', values };
      }
      this.fail(this.start, `expected ',' or ')' in the set opened at ${this.where(open)}, found ${this.found()}`);
    }
  }
}


function literalKindName(lit: PrimitiveLiteral): string {
  switch (lit.kind) {
    case 'string':
      return 'a string';
    case 'integer':
      return 'an integer';
    case 'float':
      return 'a float';
    case 'boolean':
      return 'a boolean';
    case 'hex':
      return 'a hex literal';
    case 'binary':
      return 'a binary literal';
    case 'timestamp':
      return 'a timestamp literal';
  }
}
