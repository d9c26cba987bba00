import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseColumns } from './detect.match.js';

describe('parseColumns (the columns parameter of a log match)', () => {
  it('maps field names and 1-based column numbers to kinds', () => {
    assert.deepEqual(parseColumns('dst_ip:ipv4, 3:domain,url:url'), { columns: { dst_ip: 'ipv4', '3': 'domain', url: 'url' } });
  });

  it('keeps the last colon as the separator, so a field name may hold colons', () => {
    assert.deepEqual(parseColumns('a:b:ipv6'), { columns: { 'a:b': 'ipv6' } });
  });

  it('refuses a part without a field or with an unknown kind, naming the part', () => {
    const noField = parseColumns(':ipv4');
    assert.ok('error' in noField && noField.error.includes("':ipv4' is not field:kind"), JSON.stringify(noField));
    const badKind = parseColumns('dst:ip');
    assert.ok('error' in badKind && badKind.error.includes("'ip' is not a kind"), JSON.stringify(badKind));
  });

  it('keeps fields named "__proto__" or "constructor" as mappings (a log may name its columns so)', () => {
    const parsed = parseColumns('__proto__:ipv4,constructor:domain');
    assert.ok('columns' in parsed);
    assert.deepEqual(Object.entries(parsed.columns), [['__proto__', 'ipv4'], ['constructor', 'domain']]);
    assert.equal(Object.getPrototypeOf(parsed.columns), Object.prototype);
  });
});
