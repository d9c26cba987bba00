/**
 * Typed syntax tree for STIX patterning (STIX 2.1 section 9, STIX 2.0 part 5).
 *
 * The tree mirrors the source: parentheses are kept as explicit group nodes (they change which
 * qualifiers may repeat, and they are what a user wrote), chains of the same boolean operator are
 * flattened into one n-ary node, and literals carry their decoded value. Nodes hold no source
 * positions, so two patterns that differ only in whitespace, comments, keyword spelling of
 * operators (`==` / `=`, `<>` / `!=`) or number spelling (`+5` / `5`) have equal trees.
 */

export type SpecVersion = '2.0' | '2.1';

/** A whole pattern: one observation expression (possibly compound). */
export interface Pattern {
  readonly kind: 'pattern';
  readonly expression: ObservationExpression;
}

// ---------------------------------------------------------------------------------------------
// Observation expressions

export type ObservationExpression =
  | ObservationSimple
  | ObservationGroup
  | ObservationBinary
  | ObservationQualified;

/** `[ comparison-expression ]` */
export interface ObservationSimple {
  readonly kind: 'observation';
  readonly comparison: ComparisonExpression;
}

/** `( observation-expression )` */
export interface ObservationGroup {
  readonly kind: 'observationGroup';
  readonly expression: ObservationExpression;
}

export type ObservationOperator = 'AND' | 'OR' | 'FOLLOWEDBY';

/**
 * Two or more observation expressions joined by the same operator, in source order. Precedence,
 * loosest first: FOLLOWEDBY, OR, AND; all left-associative.
 */
export interface ObservationBinary {
  readonly kind: 'observationBinary';
  readonly operator: ObservationOperator;
  readonly operands: readonly ObservationExpression[];
}

/** An observation expression followed by one or more qualifiers, in source order. */
export interface ObservationQualified {
  readonly kind: 'qualified';
  readonly expression: ObservationSimple | ObservationGroup;
  readonly qualifiers: readonly Qualifier[];
}

export type Qualifier = WithinQualifier | RepeatsQualifier | StartStopQualifier;

/** `WITHIN n SECONDS`, n a positive integer or float. */
export interface WithinQualifier {
  readonly kind: 'within';
  readonly seconds: IntegerLiteral | FloatLiteral;
}

/** `REPEATS n TIMES`, n a positive integer. */
export interface RepeatsQualifier {
  readonly kind: 'repeats';
  readonly times: IntegerLiteral;
}

/**
 * `START t'...' STOP t'...'`. STIX 2.0 wrote the bounds as plain strings (`START '2016-...'`);
 * those are kept as string literals (their content is still a validated timestamp).
 */
export interface StartStopQualifier {
  readonly kind: 'startStop';
  readonly start: TimestampLiteral | StringLiteral;
  readonly stop: TimestampLiteral | StringLiteral;
}

// ---------------------------------------------------------------------------------------------
// Comparison expressions (inside the square brackets)

export type ComparisonExpression = ComparisonBinary | ComparisonGroup | Comparison | ExistsTest;

export type ComparisonBooleanOperator = 'AND' | 'OR';

/** Two or more comparison expressions joined by the same operator (AND binds tighter than OR). */
export interface ComparisonBinary {
  readonly kind: 'comparisonBinary';
  readonly operator: ComparisonBooleanOperator;
  readonly operands: readonly ComparisonExpression[];
}

/** `( comparison-expression )` */
export interface ComparisonGroup {
  readonly kind: 'comparisonGroup';
  readonly expression: ComparisonExpression;
}

/** `EXISTS object-path`, or `NOT EXISTS object-path` when negated (STIX 2.1 only). */
export interface ExistsTest {
  readonly kind: 'exists';
  readonly negated: boolean;
  readonly path: ObjectPath;
}

export type EqualityOperator = '=' | '!=';
export type OrderingOperator = '<' | '<=' | '>' | '>=';
export type StringMatchOperator = 'LIKE' | 'MATCHES' | 'ISSUBSET' | 'ISSUPERSET';
export type ComparisonOperator = EqualityOperator | OrderingOperator | 'IN' | StringMatchOperator;

interface ComparisonBase {
  readonly kind: 'comparison';
  readonly path: ObjectPath;
  /** `path NOT op value` */
  readonly negated: boolean;
}

/** `path = value`, `path != value` (`==` and `<>` are read as `=` and `!=`). */
export interface EqualityComparison extends ComparisonBase {
  readonly operator: EqualityOperator;
  readonly value: PrimitiveLiteral;
}

export interface OrderingComparison extends ComparisonBase {
  readonly operator: OrderingOperator;
  readonly value: OrderableLiteral;
}

export interface SetComparison extends ComparisonBase {
  readonly operator: 'IN';
  readonly value: SetLiteral;
}

export interface StringMatchComparison extends ComparisonBase {
  readonly operator: StringMatchOperator;
  readonly value: StringLiteral;
}

export type Comparison = EqualityComparison | OrderingComparison | SetComparison | StringMatchComparison;

// ---------------------------------------------------------------------------------------------
// Object paths

/**
 * `object-type:property(.property | [index] | [*])*`, e.g. `file:hashes.'SHA-256'`,
 * `email-message:body_multipart[*].body_raw_ref.name`. The first step is always a property.
 */
export interface ObjectPath {
  readonly objectType: string;
  readonly steps: readonly PathStep[];
}

export type PathStep = PropertyStep | IndexStep | AnyIndexStep;

/** A property name, written bare (`name`) or quoted (`'SHA-256'`); `name` is the decoded text. */
export interface PropertyStep {
  readonly kind: 'property';
  readonly name: string;
}

/** `[n]` */
export interface IndexStep {
  readonly kind: 'index';
  readonly index: number;
}

/** `[*]` */
export interface AnyIndexStep {
  readonly kind: 'anyIndex';
}

// ---------------------------------------------------------------------------------------------
// Literals

/** `'text'`; `value` is unescaped (`\'` and `\\` are the only escapes). */
export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
}

/**
 * An integer. `text` is the canonical decimal form (no `+`, no leading zeros) and is exact;
 * `value` is `Number(text)`, exact only within Number.MAX_SAFE_INTEGER.
 */
export interface IntegerLiteral {
  readonly kind: 'integer';
  readonly value: number;
  readonly text: string;
}

/**
 * A decimal number with a fractional part. `text` is canonical (no `+`, integer part without
 * leading zeros and never empty: `.5` becomes `0.5`); `value` is `Number(text)`.
 */
export interface FloatLiteral {
  readonly kind: 'float';
  readonly value: number;
  readonly text: string;
}

export interface BooleanLiteral {
  readonly kind: 'boolean';
  readonly value: boolean;
}

/** `h'0fa1'`: `value` is the hex digits as written (even count, possibly empty). */
export interface HexLiteral {
  readonly kind: 'hex';
  readonly value: string;
}

/** `b'aGk='`: `value` is the validated base64 text. */
export interface BinaryLiteral {
  readonly kind: 'binary';
  readonly value: string;
}

/** `t'2016-01-01T00:00:00Z'`: `value` is the validated timestamp text between the quotes. */
export interface TimestampLiteral {
  readonly kind: 'timestamp';
  readonly value: string;
}

export type OrderableLiteral =
  | StringLiteral
  | IntegerLiteral
  | FloatLiteral
  | HexLiteral
  | BinaryLiteral
  | TimestampLiteral;

export type PrimitiveLiteral = OrderableLiteral | BooleanLiteral;

/** `(v1, v2, ...)`, possibly empty. */
export interface SetLiteral {
  readonly kind: 'set';
  readonly values: readonly PrimitiveLiteral[];
}

export type Literal = PrimitiveLiteral | SetLiteral;
