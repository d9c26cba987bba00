import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../test/support/paths.js';
import { RULES } from './validate.js';

describe('validation rules documentation', () => {
  it('documents every rule code in docs/STIX.md', () => {
    const doc = readFileSync(`${REPO_ROOT}/docs/STIX.md`, 'utf8');
    const missing = RULES.filter((rule) => !doc.includes(`| \`${rule}\` |`));
    assert.deepEqual(missing, []);
  });
});
