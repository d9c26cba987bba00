/**
 * The severity scoring, modelled on CISA's National Cyber Incident Scoring System (NCISS,
 * https://www.cisa.gov/news-events/news/cisa-national-cyber-incident-scoring-system-nciss): a
 * weighted arithmetic mean of the chosen options' values, 0-100, mapped to the NCISS priority
 * levels. The properties hold for any selections and any valid weights, not only the defaults.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ShieldwallError } from '../../core/errors.js';
import {
  DEFAULT_WEIGHTS,
  SCORING_CATEGORIES,
  SCORING_CATEGORY_KEYS,
  SEVERITY_LEVELS,
  SIGNIFICANT_LEVEL,
  describeScoring,
  levelForScore,
  parseWeights,
  scoreIncident,
  validateSelections,
  validateWeights,
  type ScoringCategoryKey,
} from './incidents.scoring.js';

const labels = (key: ScoringCategoryKey): string[] => SCORING_CATEGORIES.find((c) => c.key === key)!.options.map((o) => o.label);
const optionKeys = (key: ScoringCategoryKey): string[] => SCORING_CATEGORIES.find((c) => c.key === key)!.options.map((o) => o.key);

/** For each category, -1 (not chosen) or the index of an option. */
const arbitraryChoices = fc.tuple(...SCORING_CATEGORIES.map((c) => fc.integer({ min: -1, max: c.options.length - 1 })));

/** Complete weights: finite, 0 or more, at least one above 0 (tiny and huge ones included). */
const arbitraryWeights = fc
  .tuple(...SCORING_CATEGORY_KEYS.map(() => fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true }))))
  .filter((ws) => ws.some((w) => w > 0))
  .map((ws) => Object.fromEntries(SCORING_CATEGORY_KEYS.map((key, i) => [key, ws[i]!])) as Record<ScoringCategoryKey, number>);

function selectionsOf(choices: readonly number[]): Record<string, string> {
  const selections: Record<string, string> = {};
  SCORING_CATEGORIES.forEach((c, i) => {
    const index = choices[i]!;
    if (index >= 0) selections[c.key] = c.options[index]!.key;
  });
  return selections;
}

const allAt = (pick: 'least' | 'most'): Record<string, string> =>
  Object.fromEntries(SCORING_CATEGORIES.map((c) => [c.key, (pick === 'least' ? c.options[0] : c.options[c.options.length - 1])!.key]));

describe('the scoring categories', () => {
  it('are the eight NCISS categories, in its order, with snake_case keys', () => {
    assert.deepEqual(
      SCORING_CATEGORIES.map((c) => c.key),
      ['functional_impact', 'observed_activity', 'location', 'actor_characterization', 'information_impact', 'recoverability', 'cross_sector_dependency', 'potential_impact'],
    );
    assert.deepEqual([...SCORING_CATEGORY_KEYS], SCORING_CATEGORIES.map((c) => c.key));
  });

  it('keep the option lists NCISS publishes (Federal Incident Notification Guidelines, Cyber Threat Framework)', () => {
    assert.deepEqual(labels('functional_impact'), [
      'No Impact',
      'No Impact to Services',
      'Minimal Impact to Non-Critical Services',
      'Minimal Impact to Critical Services',
      'Significant Impact to Non-Critical Services',
      'Denial of Non-Critical Services',
      'Significant Impact to Critical Services',
      'Denial of Critical Services/Loss of Control',
    ]);
    assert.deepEqual(labels('observed_activity'), ['Prepare', 'Engage', 'Presence', 'Effect']);
    assert.deepEqual(labels('information_impact'), [
      'No Impact',
      'Suspected but not Identified',
      'Privacy Data Breach',
      'Proprietary Information Breach',
      'Destruction of Non-Critical Systems',
      'Critical Systems Data Breach',
      'Core Credential Compromise',
      'Destruction of Critical System',
    ]);
    assert.deepEqual(labels('recoverability'), ['Regular', 'Supplemented', 'Extended', 'Not Recoverable']);
    // NCISS lists Unknown last; here it sits where its value puts it, so the list is one of severity.
    assert.deepEqual(labels('location'), [
      'Level 0 - Unsuccessful',
      'Level 1 - Business DMZ',
      'Level 2 - Business Network',
      'Level 3 - Business Network Management',
      'Unknown',
      'Level 4 - Critical System DMZ',
      'Level 5 - Critical System Management',
      'Level 6 - Critical Systems',
      'Level 7 - Safety Systems',
    ]);
  });

  it('say which option lists are ours: those NCISS names but does not publish', () => {
    const ours = SCORING_CATEGORIES.filter((c) => c.options_from === 'shieldwall').map((c) => c.key);
    assert.deepEqual(ours, ['actor_characterization', 'cross_sector_dependency', 'potential_impact']);
  });

  it('give every option a value in [0, 1], never lower than the option before it, with unique kebab-case keys', () => {
    for (const c of SCORING_CATEGORIES) {
      assert.ok(c.options.length >= 2, c.key);
      assert.equal(new Set(c.options.map((o) => o.key)).size, c.options.length, `${c.key}: option keys repeat`);
      c.options.forEach((o, i) => {
        assert.match(o.key, /^[a-z]+(-[a-z]+)*$/, `${c.key}.${o.key}`);
        assert.ok(o.value >= 0 && o.value <= 1, `${c.key}.${o.key} = ${o.value}`);
        if (i > 0) assert.ok(o.value >= c.options[i - 1]!.value, `${c.key}.${o.key} is lower than the option before it`);
        assert.ok(o.label.length > 0 && o.description.length > 0, `${c.key}.${o.key}`);
      });
      assert.equal(c.options[c.options.length - 1]!.value, 1, `${c.key}: its most severe option is worth 1`);
    }
  });

  it('are frozen, so that no caller changes the scale of every incident', () => {
    assert.ok(Object.isFrozen(SCORING_CATEGORIES));
    assert.ok(Object.isFrozen(SCORING_CATEGORIES[0]!.options[0]));
    assert.ok(Object.isFrozen(DEFAULT_WEIGHTS));
    assert.ok(Object.isFrozen(SEVERITY_LEVELS[0]));
    assert.throws(() => {
      (SCORING_CATEGORIES[0]!.options[0] as { value: number }).value = 1;
    }, TypeError);
  });
});

describe('the severity levels', () => {
  it('are the NCISS priority levels with their colours, rising thresholds from 0', () => {
    assert.deepEqual(
      SEVERITY_LEVELS.map((l) => [l.level, l.name, l.color]),
      [[0, 'Baseline', 'white'], [1, 'Low', 'green'], [2, 'Medium', 'yellow'], [3, 'High', 'orange'], [4, 'Severe', 'red'], [5, 'Emergency', 'black']],
    );
    assert.equal(SEVERITY_LEVELS[0]!.min_score, 0);
    for (let i = 1; i < SEVERITY_LEVELS.length; i += 1) assert.ok(SEVERITY_LEVELS[i]!.min_score > SEVERITY_LEVELS[i - 1]!.min_score);
    assert.ok(SEVERITY_LEVELS[SEVERITY_LEVELS.length - 1]!.min_score <= 100);
    assert.equal(SIGNIFICANT_LEVEL, 3);
  });

  it('take a score at a threshold into the level above, and just below it not', () => {
    for (const level of SEVERITY_LEVELS) {
      assert.equal(levelForScore(level.min_score).level, level.level);
      if (level.level > 0) assert.equal(levelForScore(level.min_score - 0.1).level, level.level - 1);
    }
    assert.equal(levelForScore(100).name, 'Emergency');
    assert.equal(levelForScore(0).name, 'Baseline');
  });

  it('place any score in the highest level whose threshold it reaches', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 100, noNaN: true }), (score) => {
        const level = levelForScore(score);
        assert.ok(score >= level.min_score);
        const next = SEVERITY_LEVELS[level.level + 1];
        if (next) assert.ok(score < next.min_score);
      }),
    );
  });
});

describe('scoreIncident', () => {
  it('scores a score within [0, 100] to one decimal, its level from the thresholds, significant from High up', () => {
    fc.assert(
      fc.property(arbitraryChoices, arbitraryWeights, (choices, weights) => {
        const result = scoreIncident(selectionsOf(choices), weights);
        assert.ok(result.score >= 0 && result.score <= 100, String(result.score));
        assert.equal(Math.round(result.score * 10) / 10, result.score);
        const level = levelForScore(result.score);
        assert.equal(result.level, level.level);
        assert.equal(result.level_name, level.name);
        assert.equal(result.significant, result.level >= SIGNIFICANT_LEVEL);
      }),
    );
  });

  it('is monotonic: raising one category (from not chosen, or to a more severe option) never lowers the score nor the level', () => {
    fc.assert(
      fc.property(arbitraryChoices, arbitraryWeights, fc.nat(SCORING_CATEGORIES.length - 1), fc.nat(), fc.nat(), (choices, weights, which, a, b) => {
        const size = SCORING_CATEGORIES[which]!.options.length + 1;
        const [lower, higher] = [(a % size) - 1, (b % size) - 1].sort((x, y) => x - y) as [number, number];
        const before = scoreIncident(selectionsOf(choices.map((c, i) => (i === which ? lower : c))), weights);
        const after = scoreIncident(selectionsOf(choices.map((c, i) => (i === which ? higher : c))), weights);
        assert.ok(after.score >= before.score, `${SCORING_CATEGORIES[which]!.key}: ${lower} -> ${higher} lowered ${before.score} to ${after.score}`);
        assert.ok(after.level >= before.level);
      }),
      { numRuns: 500 },
    );
  });

  it('scores every least severe option as level 0 and every most severe one as 100, level 5, for any weights', () => {
    fc.assert(
      fc.property(arbitraryWeights, (weights) => {
        const least = scoreIncident(allAt('least'), weights);
        assert.equal(least.level, 0, `least severe scored ${least.score}`);
        assert.ok(least.score <= 15);
        assert.equal(least.significant, false);
        const most = scoreIncident(allAt('most'), weights);
        assert.equal(most.score, 100);
        assert.equal(most.level, 5);
        assert.equal(most.level_name, 'Emergency');
        assert.equal(most.significant, true);
      }),
    );
    assert.equal(scoreIncident(allAt('least')).level_name, 'Baseline');
  });

  it('never jumps a level on one step of one option with the default weights (at most 4.5 points)', () => {
    fc.assert(
      fc.property(arbitraryChoices, fc.nat(SCORING_CATEGORIES.length - 1), (choices, which) => {
        const index = choices[which]!;
        fc.pre(index < SCORING_CATEGORIES[which]!.options.length - 1);
        const before = scoreIncident(selectionsOf(choices));
        const after = scoreIncident(selectionsOf(choices.map((c, i) => (i === which ? index + 1 : c))));
        assert.ok(after.score - before.score <= 4.5 + 0.1, `${before.score} -> ${after.score}`);
        assert.ok(after.level - before.level <= 1);
      }),
      { numRuns: 500 },
    );
  });

  it('counts a category not chosen as 0 with its weight: nothing chosen is 0', () => {
    const none = scoreIncident({});
    assert.equal(none.score, 0);
    assert.equal(none.level, 0);
    assert.ok(none.contributions.every((c) => c.option === null && c.value === 0 && c.points === 0));
    // One category at its most severe option: its weight's share of 100.
    const total = SCORING_CATEGORY_KEYS.reduce((sum, key) => sum + DEFAULT_WEIGHTS[key], 0);
    const one = scoreIncident({ potential_impact: 'severe' });
    assert.equal(one.score, Math.round((1000 * DEFAULT_WEIGHTS.potential_impact) / total) / 10);
  });

  it('is the weighted arithmetic mean of the chosen values times 100, with each contribution listed', () => {
    const selections = { functional_impact: 'denial-of-non-critical-services', observed_activity: 'effect', location: 'business-network', information_impact: 'privacy-data-breach' };
    const weights = { functional_impact: 2, observed_activity: 1, location: 1, actor_characterization: 0, information_impact: 4, recoverability: 0, cross_sector_dependency: 0, potential_impact: 0 };
    const result = scoreIncident(selections, weights);
    // (2 × 0.6 + 1 × 1 + 1 × 0.3 + 4 × 0.35) / 8 × 100 = 48.75
    assert.equal(result.score, 48.8);
    assert.equal(result.level_name, 'Medium');
    assert.deepEqual(
      result.contributions.map((c) => [c.category, c.option, c.value, c.weight, c.points]),
      [
        ['functional_impact', 'denial-of-non-critical-services', 0.6, 2, 15],
        ['observed_activity', 'effect', 1, 1, 12.5],
        ['location', 'business-network', 0.3, 1, 3.75],
        ['actor_characterization', null, 0, 0, 0],
        ['information_impact', 'privacy-data-breach', 0.35, 4, 17.5],
        ['recoverability', null, 0, 0, 0],
        ['cross_sector_dependency', null, 0, 0, 0],
        ['potential_impact', null, 0, 0, 0],
      ],
    );
  });

  it('has contributions that add up to the score, to rounding', () => {
    fc.assert(
      fc.property(arbitraryChoices, arbitraryWeights, (choices, weights) => {
        const result = scoreIncident(selectionsOf(choices), weights);
        const sum = result.contributions.reduce((s, c) => s + c.points, 0);
        assert.ok(Math.abs(sum - result.score) <= 0.05 + 0.005 * SCORING_CATEGORIES.length, `${sum} vs ${result.score}`);
      }),
    );
  });

  it('takes the default weight for a category the weights leave out', () => {
    const selections = { functional_impact: 'denial-of-critical-services', potential_impact: 'minimal' };
    assert.deepEqual(scoreIncident(selections, { recoverability: DEFAULT_WEIGHTS.recoverability }), scoreIncident(selections));
    assert.ok(scoreIncident(selections, { functional_impact: 20 }).score > scoreIncident(selections).score);
  });

  it('refuses selections it cannot score with a 400 naming each, and weights validateWeights refuses', () => {
    assert.throws(
      () => scoreIncident({ location: 'level-9' }),
      (error: unknown) => {
        assert.ok(error instanceof ShieldwallError);
        assert.equal(error.status, 400);
        assert.match(error.message, /selections\.location: 'level-9' is not an option of Location of observed activity; choose one of unsuccessful,/);
        assert.deepEqual(error.details, [{ path: 'selections.location', message: validateSelections({ location: 'level-9' })[0]!.replace('selections.location: ', '') }]);
        return true;
      },
    );
    assert.throws(() => scoreIncident({}, { location: -1 }), RangeError);
    assert.throws(() => scoreIncident({}, Object.fromEntries(SCORING_CATEGORY_KEYS.map((k) => [k, 0]))), /every category weighs 0/);
  });

  it('scores examples where analysts would expect them (NCISS: most incidents are Baseline)', () => {
    const commodityMalware = { functional_impact: 'minimal-impact-to-non-critical-services', observed_activity: 'presence', location: 'business-network', actor_characterization: 'opportunistic', information_impact: 'suspected-but-not-identified', recoverability: 'regular', cross_sector_dependency: 'none', potential_impact: 'minimal' };
    const hospitalRansomware = { functional_impact: 'denial-of-non-critical-services', observed_activity: 'effect', location: 'business-network', actor_characterization: 'criminal', information_impact: 'destruction-of-non-critical-systems', recoverability: 'supplemented', cross_sector_dependency: 'limited', potential_impact: 'moderate' };
    const gridIntrusion = { functional_impact: 'minimal-impact-to-critical-services', observed_activity: 'presence', location: 'critical-system-management', actor_characterization: 'state-targeted', information_impact: 'critical-systems-data-breach', recoverability: 'extended', cross_sector_dependency: 'critical', potential_impact: 'severe' };
    const doc = readFileSync(new URL('../../../docs/INCIDENT-SCORING.md', import.meta.url), 'utf8');
    for (const [selections, score, level] of [[commodityMalware, 18.2, 'Baseline'], [hospitalRansomware, 51.8, 'High'], [gridIntrusion, 75, 'Severe']] as const) {
      const result = scoreIncident(selections);
      assert.deepEqual([result.score, result.level_name], [score, level]);
      assert.ok(doc.includes(`| ${score.toFixed(1)} | ${level} |`), `docs/INCIDENT-SCORING.md shows ${score} ${level}`);
    }
  });
});

describe('validateSelections', () => {
  it('accepts any known option in any known category, and categories left out', () => {
    fc.assert(fc.property(arbitraryChoices, (choices) => assert.deepEqual(validateSelections(selectionsOf(choices)), [])));
  });

  it('names an unknown option and the options allowed', () => {
    const [problem, ...rest] = validateSelections({ recoverability: 'quick' });
    assert.equal(rest.length, 0);
    assert.match(problem!, /^selections\.recoverability: 'quick' is not an option of Recoverability; choose one of regular, supplemented, extended, not-recoverable$/);
    for (const key of optionKeys('location')) assert.ok(validateSelections({ location: 'nowhere' })[0]!.includes(key), key);
  });

  it('names an unknown category and the categories', () => {
    const [problem] = validateSelections({ severity: 'high' });
    assert.match(problem!, /^selections\.severity: 'severity' is not a scoring category; the categories are functional_impact, observed_activity, location, actor_characterization, information_impact, recoverability, cross_sector_dependency, potential_impact$/);
  });

  it('refuses an option that is not a string, and does not take inherited names for categories', () => {
    assert.match(validateSelections({ location: 3 })[0]!, /selections\.location: expected an option key \(a string\) of Location of observed activity, got number; choose one of unsuccessful,/);
    assert.match(validateSelections({ location: null })[0]!, /got null/);
    assert.match(validateSelections(JSON.parse('{"__proto__": "x"}') as Record<string, unknown>)[0]!, /'__proto__' is not a scoring category/);
    assert.match(validateSelections({ constructor: 'x' })[0]!, /'constructor' is not a scoring category/);
  });

  it('lists every problem, one each', () => {
    assert.equal(validateSelections({ location: 'x', functional_impact: 'y', nope: 'z' }).length, 3);
  });
});

describe('validateWeights', () => {
  it('accepts the defaults and any finite weights of 0 or more that leave one above 0', () => {
    assert.deepEqual(validateWeights(DEFAULT_WEIGHTS), []);
    fc.assert(fc.property(arbitraryWeights, (weights) => assert.deepEqual(validateWeights(weights), [])));
  });

  it('refuses negative, infinite, NaN and non-numbers, and unknown categories, naming each', () => {
    const problems = validateWeights({ location: -1, recoverability: Number.POSITIVE_INFINITY, potential_impact: Number.NaN, functional_impact: '3', blast_radius: 2 });
    assert.equal(problems.length, 5);
    assert.match(problems.join('\n'), /weights\.location: expected a finite number of 0 or more, got -1/);
    assert.match(problems.join('\n'), /weights\.recoverability: .* got Infinity/);
    assert.match(problems.join('\n'), /weights\.potential_impact: .* got NaN/);
    assert.match(problems.join('\n'), /weights\.functional_impact: .* got string/);
    assert.match(problems.join('\n'), /weights\.blast_radius: 'blast_radius' is not a scoring category; the categories are functional_impact,/);
  });

  it('refuses weights that leave every category at 0, and not a few zeros', () => {
    assert.match(validateWeights(Object.fromEntries(SCORING_CATEGORY_KEYS.map((k) => [k, 0])))[0]!, /every category weighs 0; give at least one of functional_impact/);
    assert.deepEqual(validateWeights({ functional_impact: 0, location: 0 }), []);
  });
});

describe('parseWeights (SHIELDWALL_INCIDENT_WEIGHTS)', () => {
  it('reads category=weight pairs and keeps the defaults of the categories left out', () => {
    const parsed = parseWeights('functional_impact=3, observed_activity=2.5 ,location=0');
    assert.ok('weights' in parsed);
    assert.deepEqual(parsed.weights, { ...DEFAULT_WEIGHTS, functional_impact: 3, observed_activity: 2.5, location: 0 });
    assert.ok(Object.isFrozen(parsed.weights));
  });

  it('reads back what it would write, for any valid weights', () => {
    fc.assert(
      fc.property(arbitraryWeights.map((ws) => Object.fromEntries(Object.entries(ws).map(([k, w]) => [k, Math.round(w % 1000)]))), (weights) => {
        fc.pre(Object.values(weights).some((w) => w > 0));
        const parsed = parseWeights(Object.entries(weights).map(([k, w]) => `${k}=${w}`).join(','));
        assert.ok('weights' in parsed, JSON.stringify(parsed));
        assert.deepEqual(parsed.weights, weights);
      }),
    );
  });

  const errorOf = (text: string): string => {
    const parsed = parseWeights(text);
    assert.ok('error' in parsed, `${text} was accepted`);
    return parsed.error;
  };

  it('names an unknown category and lists the categories', () => {
    assert.match(errorOf('functional_impact=3,blast_radius=2'), /^'blast_radius' is not a scoring category; the categories are functional_impact, observed_activity, location, actor_characterization, information_impact, recoverability, cross_sector_dependency, potential_impact$/);
  });

  it('refuses a weight that is not a number of 0 or more', () => {
    for (const bad of ['-1', 'three', '1e3', '', '0x10', 'Infinity', '1.']) {
      assert.match(errorOf(`location=${bad}`), new RegExp(`^location: '${bad.replace('.', '\\.')}' is not a weight; write a number of 0 or more, such as 3 or 0\\.5$`), bad);
    }
  });

  it('refuses a pair without =, a category given twice, all zeros and nothing at all', () => {
    assert.match(errorOf('functional_impact:3'), /^'functional_impact:3' is not category=weight \(e\.g\. functional_impact=3\)$/);
    assert.match(errorOf('=3'), /is not category=weight/);
    assert.match(errorOf('location=1,location=2'), /^'location' is given twice; give each category once$/);
    assert.match(errorOf(SCORING_CATEGORY_KEYS.map((k) => `${k}=0`).join(',')), /every category weighs 0/);
    assert.match(errorOf(' , '), /^no weights given; write category=weight pairs such as functional_impact=3,observed_activity=2/);
  });

  it('names every problem at once', () => {
    const error = errorOf('location=x,nope=1,recoverability');
    assert.match(error, /location: 'x' is not a weight/);
    assert.match(error, /'nope' is not a scoring category/);
    assert.match(error, /'recoverability' is not category=weight/);
  });
});

describe('describeScoring (GET /incidents/scoring)', () => {
  it('lists the categories with their weights, the levels and the significant level', () => {
    const weights = { ...DEFAULT_WEIGHTS, location: 7 };
    const described = describeScoring(weights);
    assert.deepEqual(described.categories.map((c) => [c.key, c.weight]), SCORING_CATEGORY_KEYS.map((k) => [k, weights[k]]));
    assert.deepEqual(described.categories[2]!.options, SCORING_CATEGORIES[2]!.options);
    assert.equal(described.levels, SEVERITY_LEVELS);
    assert.equal(described.significant_level, SIGNIFICANT_LEVEL);
  });
});

describe('docs/INCIDENT-SCORING.md', () => {
  const doc = readFileSync(new URL('../../../docs/INCIDENT-SCORING.md', import.meta.url), 'utf8');

  it('lists every option with its label and value as the code has them', () => {
    for (const c of SCORING_CATEGORIES) {
      assert.ok(doc.includes(`(\`${c.key}\`, weight ${DEFAULT_WEIGHTS[c.key]})`), `${c.key}: heading with its default weight`);
      for (const o of c.options) assert.ok(doc.includes(`| \`${o.key}\` | ${o.label} | ${o.value} |`), `${c.key}.${o.key}`);
    }
  });

  it('gives the default weights, the levels and thresholds, and the setting', () => {
    for (const key of SCORING_CATEGORY_KEYS) assert.match(doc, new RegExp(`\\| \`${key}\` \\| ${DEFAULT_WEIGHTS[key]} \\|`), key);
    SEVERITY_LEVELS.forEach((l, i) => {
      const next = SEVERITY_LEVELS[i + 1];
      assert.ok(doc.includes(`| ${l.level} | ${l.name} | ${l.color} | ${l.min_score} to ${next ? `under ${next.min_score}` : '100'} |`), l.name);
    });
    assert.match(doc, /SHIELDWALL_INCIDENT_WEIGHTS=functional_impact=3,observed_activity=2/);
  });
});
