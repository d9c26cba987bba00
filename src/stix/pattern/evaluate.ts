/**
 * Evaluation of STIX patterns against observations (STIX 2.1 section 9).
 *
 * A pattern is compiled once (`compilePattern`) and then asked whether a set of observations
 * satisfies it (`match`), or fed observations one by one through a sliding `PatternWindow`.
 *
 * Matching semantics, and where the specification left room:
 *
 * - Observation expression `[...]`: satisfied by one observation when ONE of its SCOs satisfies the
 *   whole comparison expression. STIX 2.1 requires that all operands of a comparison AND "MUST be
 *   satisfiable with the same type of object", so `[file:name = 'a' AND file:size = 1]` needs one
 *   file with both, and `[file:name = 'a' AND ipv4-addr:value = '1.2.3.4']` never matches; OR may
 *   mix types (`[ipv4-addr:value = 'x' OR ipv6-addr:value = 'y']`). Every object of the
 *   observation whose `type` is named by the pattern is tried as the root object.
 * - Object paths: `.name` steps into objects; `[n]` takes one element (negative or out-of-range
 *   indices select nothing); `[*]` takes every element and the comparison holds when it holds for
 *   any of them. A list reached without an index step is compared as a whole: no constant has a
 *   list type, so it is an incompatible operand (`=` false, `!=` true). `x_ref` properties are
 *   replaced by the object they name in the same observation, `x_refs` lists by the list of
 *   objects they name; unresolved references select nothing. Under a `hashes` dictionary, a key
 *   missing verbatim is also looked up ignoring case and hyphens (`SHA256` finds `SHA-256`).
 * - Absent values: when the path selects nothing, the comparison is false, and so are its `!=` and
 *   `NOT` forms. A JSON `null` is a present value of a type no constant has.
 * - Types (the comparison rules table): integers and floats compare numerically (integers exactly,
 *   beyond 2^53 too when the property is an integer); strings compare by Unicode code point,
 *   case-sensitively, without normalisation; booleans only with booleans; `t'...'` compares as an
 *   instant with properties holding STIX timestamp strings (any fraction precision); `h'...'` and
 *   `b'...'` compare bytes with binary properties (names ending `_bin`, base64 text) and hex
 *   properties (names ending `_hex`), and with string properties whose code points are all below
 *   U+0100 (one byte each); string constants compare with binary/hex properties the same way.
 *   Incompatible operands make every operator false except `!=`, which is true.
 * - `NOT` negates the whole comparison expression ("the resultant Comparison Expression is
 *   logically negated"): `a:b[*] NOT = 22` holds when no element equals 22. It is applied only to
 *   a present value (see above). `NOT EXISTS a:b` holds on an object of type `a` where the path
 *   selects nothing (it is the one test an absent value makes true).
 * - LIKE: `%` any run of characters, `_` exactly one code point, anchored at both ends,
 *   case-sensitive; there is no escape character (SQL LIKE without an ESCAPE clause), so
 *   `'C:\\Windows\\%'` means what it says. LIKE and MATCHES compare NFC-normalised text, and
 *   the decoded bytes of binary properties (`_bin`, `_hex`) as code points U+0000-U+00FF.
 * - MATCHES: PCRE syntax run on RE2 (linear time), searching (not anchored), with the DOTALL
 *   option as section 9.6 requires. Constructs RE2 cannot run (backreferences, lookaround,
 *   atomic groups, possessive quantifiers, recursion, conditionals, `(?x)`, `\h`, `\R`, `\K`)
 *   make the comparison false, NOT included; ingest refuses them (`regexProblem`). Values longer
 *   than MAX_COMPARED_LENGTH are not compared (false, NOT included). See regex.ts.
 * - ISSUBSET / ISSUPERSET: IPv4 and IPv6 addresses and CIDR blocks (an address is a /32 or /128);
 *   IPv4 lives inside IPv6 as IPv4-mapped (`::ffff:a.b.c.d`), so `'::ffff:10.0.0.1'` is in
 *   `'10.0.0.0/8'` and `'::/0'` contains every address.
 * - Observations: an observation with `numberObserved = n` counts as n observations at the same
 *   times; one assignment uses each of them at most once (observation AND, FOLLOWEDBY and REPEATS
 *   bind distinct observations; OR binds one side). An observation happened at some instant
 *   between `firstObserved` and `lastObserved`; a constraint holds when instants inside those
 *   intervals can be chosen to satisfy it (each constraint is checked on its own).
 * - FOLLOWEDBY: every observation on the left can be placed at or before every observation on the
 *   right (max(left first) <= min(right last)); ties count as "followed by".
 * - WITHIN n SECONDS: all observations bound below it fit in a window of n seconds, bounds included
 *   (max(first) - min(last) <= n s). START t1 STOP t2: each of them can be placed in [t1, t2).
 *   Qualifiers apply in source order, so `[a] REPEATS 2 TIMES WITHIN 5 SECONDS` is two `[a]` within
 *   5 s, while `[a] WITHIN 5 SECONDS REPEATS 2 TIMES` constrains each repetition on its own.
 *
 * Search bounds: finding an assignment is a backtracking search over observations kept in time
 * order. Candidates for a `[...]` are scanned only inside the time range its WITHIN, FOLLOWEDBY and
 * START/STOP constraints leave open; repetitions are tried in canonical order so equivalent
 * assignments are not revisited; REPEATS of a single `[...]` is cut as soon as too few candidates
 * remain (which keeps `REPEATS n TIMES WITHIN t` polynomial); and before searching, a linear
 * relaxed test (time order and candidate counts, ignoring distinctness) rejects many patterns that
 * cannot match, among them every FOLLOWEDBY chain that cannot be put in order. A search examines
 * at most MAX_SEARCH_STEPS candidate observations; past that it stops and reports no match.
 * Patterns whose smallest assignment needs more than MAX_BOUND_OBSERVATIONS observations are not
 * searched. A PatternWindow push costs one pass over the observations it keeps when every `[...]`
 * the pattern needs has a candidate; otherwise it costs little beyond evaluating the observation.
 *
 * The code sits in evaluate/: api.ts (types and limits), comparison.ts (comparison expressions),
 * search.ts (observation expressions and the search) and engine.ts (compiled patterns, windows).
 */
export { MAX_BOUND_OBSERVATIONS, MAX_SEARCH_STEPS } from './evaluate/api.js';
export type { CompiledPattern, Observation, PatternMatch, PatternWindowOptions } from './evaluate/api.js';
export { compilePattern, PatternWindow } from './evaluate/engine.js';
