import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { createCa, issue } from './pki.js';

describe('development PKI', () => {
  it('issues certificates that chain to the CA, for the uses asked', async () => {
    const ca = await createCa('Test CA');
    const caCert = new X509Certificate(ca.certPem);
    assert.equal(caCert.ca, true);
    const node = new X509Certificate((await issue(ca, { commonName: 'deu-node', usage: 'server', dnsNames: ['deu-node'], ips: ['127.0.0.1'] })).certPem);
    const user = new X509Certificate((await issue(ca, { commonName: 'ana', usage: 'client' })).certPem);
    for (const leaf of [node, user]) {
      assert.ok(leaf.checkIssued(caCert));
      assert.ok(leaf.verify(caCert.publicKey));
      assert.equal(leaf.ca, false);
    }
    assert.equal(node.subjectAltName, 'DNS:deu-node, IP Address:127.0.0.1');
    assert.deepEqual(node.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'a node serves HTTPS and is a client of its peers');
    assert.deepEqual(user.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    const stranger = await createCa('Other CA');
    assert.equal(user.verify(new X509Certificate(stranger.certPem).publicKey), false);
  });
});
