import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { META_TYPES, SCO_TYPES, SDO_TYPES, SRO_TYPES, STIX20_TYPES, stixCategory } from './types.js';
import { EXTENSION_TYPE_ENUM, HASH_ALGORITHM_OV, OPINION_ENUM, PATTERN_TYPE_OV, VOCABULARIES } from './vocab.js';

describe('type names by category', () => {
  it('lists the 19 SDOs, 2 SROs, 18 SCOs and 3 meta objects of STIX 2.1, without overlap', () => {
    assert.equal(SDO_TYPES.size, 19);
    assert.equal(SRO_TYPES.size, 2);
    assert.equal(SCO_TYPES.size, 18);
    assert.equal(META_TYPES.size, 3);
    const all = [...SDO_TYPES, ...SRO_TYPES, ...SCO_TYPES, ...META_TYPES];
    assert.equal(new Set(all).size, all.length);
    for (const type of all) assert.match(type, /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/);
  });

  it('classifies type names', () => {
    assert.equal(stixCategory('indicator'), 'sdo');
    assert.equal(stixCategory('sighting'), 'sro');
    assert.equal(stixCategory('ipv4-addr'), 'sco');
    assert.equal(stixCategory('marking-definition'), 'meta');
    assert.equal(stixCategory('x-mitre-tactic'), undefined);
    assert.equal(stixCategory('bundle'), undefined);
  });

  it('knows which types existed in STIX 2.0', () => {
    for (const type of STIX20_TYPES) assert.ok(stixCategory(type) !== undefined, type);
    for (const type of ['grouping', 'location', 'note', 'opinion', 'infrastructure', 'malware-analysis', 'incident']) {
      assert.equal(STIX20_TYPES.has(type), false, type);
    }
  });
});

describe('vocabularies (section 10)', () => {
  it('has all 32 vocabularies, closed exactly when the name ends in -enum', () => {
    assert.equal(VOCABULARIES.size, 32);
    for (const [name, vocab] of VOCABULARIES) {
      assert.equal(vocab.closed, name.endsWith('-enum'), name);
      assert.ok(vocab.values.size > 0, name);
    }
  });

  it('follows the open/closed distinction of the spec', () => {
    assert.equal(HASH_ALGORITHM_OV.closed, false);
    assert.equal(PATTERN_TYPE_OV.closed, false);
    assert.equal(EXTENSION_TYPE_ENUM.closed, true);
    assert.equal(OPINION_ENUM.closed, true);
    assert.ok(PATTERN_TYPE_OV.values.has('stix'));
  });
});
