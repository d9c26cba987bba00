import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../test/support/paths.js';
import { ERRORS } from './errors.js';

describe('error catalogue', () => {
  const doc = readFileSync(`${REPO_ROOT}/docs/ERRORS.md`, 'utf8');

  it('documents every code with its status in docs/ERRORS.md', () => {
    for (const definition of Object.values(ERRORS)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${definition.code}\``));
      assert.ok(row, `${definition.code} is missing from docs/ERRORS.md`);
      assert.ok(row.includes(`| ${definition.status} |`), `${definition.code} is documented with the wrong status`);
    }
  });

  it('has unique codes and client or server statuses', () => {
    const codes = Object.values(ERRORS).map((d) => d.code);
    assert.equal(new Set(codes).size, codes.length);
    for (const d of Object.values(ERRORS)) assert.ok(d.status >= 400 && d.status < 600);
  });
});
