import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('config', () => {
  it('has sane defaults: loopback, 8080, SQLite under the data directory, demo on', () => {
    const config = loadConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.demo, true);
    assert.equal(config.databaseUrl, `sqlite:${path.resolve('data', 'shieldwall.db')}`);
    assert.ok(Object.isFrozen(config));
  });

  it('reads SHIELDWALL_* variables, with units for sizes', () => {
    const config = loadConfig({
      SHIELDWALL_HOST: '0.0.0.0',
      SHIELDWALL_PORT: '9443',
      SHIELDWALL_DATA_DIR: '/var/lib/shieldwall',
      SHIELDWALL_DEMO: '0',
      SHIELDWALL_BODY_LIMIT: '16mb',
      SHIELDWALL_DATABASE_URL: 'postgres://shieldwall@db:5432/shieldwall',
    });
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 9443);
    assert.equal(config.demo, false);
    assert.equal(config.bodyLimitBytes, 16 * 1024 * 1024);
    assert.equal(config.databaseUrl, 'postgres://shieldwall@db:5432/shieldwall');
    assert.equal(loadConfig({ SHIELDWALL_DATA_DIR: '/srv/sw' }).databaseUrl, 'sqlite:/srv/sw/shieldwall.db');
  });

  it('reads the incident settings: notification content level and scoring weights', () => {
    assert.equal(loadConfig({}).notifyContentLevel, 0, 'classified content stays on the node by default');
    assert.equal(loadConfig({ SHIELDWALL_NOTIFY_CONTENT_LEVEL: 'restricted' }).notifyContentLevel, 1);
    assert.throws(() => loadConfig({ SHIELDWALL_NOTIFY_CONTENT_LEVEL: 'COSMIC' }), /SHIELDWALL_NOTIFY_CONTENT_LEVEL: expected one of UNCLASSIFIED/);
    assert.equal(loadConfig({}).incidentWeights, undefined);
    assert.equal(loadConfig({ SHIELDWALL_INCIDENT_WEIGHTS: 'functional_impact=7' }).incidentWeights?.functional_impact, 7);
    assert.throws(() => loadConfig({ SHIELDWALL_INCIDENT_WEIGHTS: 'moon_phase=3' }), /SHIELDWALL_INCIDENT_WEIGHTS: .*moon_phase/);
  });
  it('names every bad setting, and unknown ones', () => {
    try {
      loadConfig({ SHIELDWALL_PORT: '70000', SHIELDWALL_DEMO: 'maybe', SHIELDWALL_DATABASE_URL: 'mysql://x', SHIELDWALL_PORTT: '1' });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const text = error.problems.join('\n');
      assert.match(text, /SHIELDWALL_PORT: expected a whole number from 0 to 65535, got 70000/);
      assert.match(text, /SHIELDWALL_DEMO: expected 0 or 1/);
      assert.match(text, /SHIELDWALL_DATABASE_URL: expected postgres:\/\//);
      assert.match(text, /SHIELDWALL_PORTT: unknown setting/);
      assert.equal(error.problems.length, 4);
    }
  });

  it('puts the audit key and checkpoints in the data directory, and checks where checkpoints are sent', () => {
    const config = loadConfig({ SHIELDWALL_DATA_DIR: '/srv/sw' });
    assert.equal(config.auditKeyFile, '/srv/sw/audit.key');
    assert.equal(config.auditCheckpointFile, '/srv/sw/audit-checkpoints.log');
    assert.equal(config.auditCheckpointExport, undefined);
    for (const target of ['udp://127.0.0.1:514', 'tcp://[::1]:6514', 'file:/mnt/archive/checkpoints.log', 'exec:logger -t shieldwall']) {
      assert.equal(loadConfig({ SHIELDWALL_AUDIT_CHECKPOINT_EXPORT: target }).auditCheckpointExport, target);
    }
    assert.throws(() => loadConfig({ SHIELDWALL_AUDIT_CHECKPOINT_EXPORT: 'syslog' }), /SHIELDWALL_AUDIT_CHECKPOINT_EXPORT: expected udp:\/\/host:port/);
    assert.throws(() => loadConfig({ SHIELDWALL_RATE_LIMIT_WINDOW_MS: '10' }), /SHIELDWALL_RATE_LIMIT_WINDOW_MS: expected a whole number from 100/);
  });

  it('reads the object depth limit and the store reconnection backoff, and refuses bad ones', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.maxObjectDepth, 64);
    assert.equal(defaults.storeReconnectMinMs, 250);
    assert.equal(defaults.storeReconnectMaxMs, 30000);
    assert.equal(loadConfig({ SHIELDWALL_MAX_OBJECT_DEPTH: '128' }).maxObjectDepth, 128);
    assert.throws(() => loadConfig({ SHIELDWALL_MAX_OBJECT_DEPTH: '1' }), /SHIELDWALL_MAX_OBJECT_DEPTH: expected a whole number from 2/);
    assert.throws(() => loadConfig({ SHIELDWALL_STORE_RECONNECT_MIN_MS: '5000', SHIELDWALL_STORE_RECONNECT_MAX_MS: '1000' }), /SHIELDWALL_STORE_RECONNECT_MIN_MS \(5000\) must not exceed SHIELDWALL_STORE_RECONNECT_MAX_MS \(1000\)/);
  });

  it('reads the SMTP relay of notification mails, with its sender, and never echoes its password', () => {
    const none = loadConfig({});
    assert.equal(none.smtpUrl, undefined);
    assert.equal(none.smtpFrom, undefined);
    const config = loadConfig({ SHIELDWALL_SMTP_URL: 'smtp://relay.cert.example.org:587', SHIELDWALL_SMTP_FROM: 'Shieldwall <shieldwall@cert.example.org>' });
    assert.equal(config.smtpUrl, 'smtp://relay.cert.example.org:587');
    assert.equal(config.smtpFrom, 'Shieldwall <shieldwall@cert.example.org>');
    assert.throws(() => loadConfig({ SHIELDWALL_SMTP_URL: 'smtp://relay:25' }), /SHIELDWALL_SMTP_FROM: set the sender address/);
    assert.throws(() => loadConfig({ SHIELDWALL_SMTP_URL: 'http://relay:25', SHIELDWALL_SMTP_FROM: 'a@b.org' }), /SHIELDWALL_SMTP_URL: expected smtp:\/\/host:port or smtps:\/\/host:port/);
    assert.throws(() => loadConfig({ SHIELDWALL_SMTP_URL: 'smtp://relay:25', SHIELDWALL_SMTP_FROM: 'not an address' }), /SHIELDWALL_SMTP_FROM: expected an e-mail address/);
    try {
      loadConfig({ SHIELDWALL_SMTP_URL: 'smtp://user:s3cret@[bad', SHIELDWALL_SMTP_FROM: 'a@b.org' });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.doesNotMatch(error.message, /s3cret/);
    }
  });

  it('reads a JSON file named by SHIELDWALL_CONFIG; the environment wins', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sw-config-'));
    const file = path.join(dir, 'node.json');
    writeFileSync(file, JSON.stringify({ SHIELDWALL_PORT: 8443, SHIELDWALL_HOST: '::1' }));
    const config = loadConfig({ SHIELDWALL_CONFIG: file, SHIELDWALL_HOST: '127.0.0.2' });
    assert.equal(config.port, 8443);
    assert.equal(config.host, '127.0.0.2');
    writeFileSync(file, '{not json');
    assert.throws(() => loadConfig({ SHIELDWALL_CONFIG: file }), /SHIELDWALL_CONFIG: cannot read/);
  });
});
