/**
 * STIX 2.1 object validation (spec sections 2-7 and 11), hand-written for speed: one pass over
 * the object's properties with per-type tables built once at module load, precompiled regular
 * expressions, and no allocation on the happy path beyond the result itself.
 *
 * Severity follows the spec's keywords: a broken MUST is an error, a broken SHOULD (or an open
 * vocabulary value outside the suggested list) is a warning.
 *
 * The checks live in validate/ by object family: shared property checks (primitives, common,
 * extensions, spec), the families (sdo, sro, sco, meta) and the object-level entry (object).
 */
export { withPathPrefix, type StixIssue, type ValidateOptions, type ValidationResult } from './validate/context.js';
export { RULES, validateObject } from './validate/object.js';
