import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CSV_FIELDS } from './logformats.csv.js';
import { MAX_JSON_FIELDS } from './logformats.reader.js';
import { MAX_ZEEK_ELEMENTS } from './logformats.zeek.js';
import { epochMs, TIME_MAX_MS, TIME_MIN_MS } from './logformats.time.js';
import {
  LOG_FORMATS, parseTimestamp, readLogEvents, type EventValue, type LogError, type LogEvent, type ReadLogOptions,
} from './logformats.js';

interface ReadResult {
  readonly events: LogEvent[];
  readonly errors: LogError[];
  readonly batches: number[];
}

async function* chunked(data: Buffer | string, size: number): AsyncGenerator<Buffer | string> {
  for (let i = 0; i < data.length; i += size) yield data.slice(i, i + size);
}

async function readAll(data: Buffer | string, options: ReadLogOptions = {}, chunkSize = 65_536): Promise<ReadResult> {
  const events: LogEvent[] = [];
  const errors: LogError[] = [];
  const batches: number[] = [];
  for await (const batch of readLogEvents(chunked(data, chunkSize), { ...options, onError: (e) => errors.push(e) })) {
    batches.push(batch.length);
    events.push(...batch);
  }
  return { events, errors, batches };
}

/** Byte offset of the start of 1-based line `line`. */
function offsetOf(text: string, line: number): number {
  return Buffer.byteLength(text.split('\n').slice(0, line - 1).map((l) => `${l}\n`).join(''));
}

function pairs(values: readonly EventValue[]): string[] {
  return values.map((v) => `${v.field}=${v.kind}:${v.value}`);
}

const tsv = (...cells: string[]): string => cells.join('\t');

const ZEEK_HEADER = ['#separator \\x09', tsv('#set_separator', ','), tsv('#empty_field', '(empty)'), tsv('#unset_field', '-')];

const ZEEK_CONN = [
  ...ZEEK_HEADER,
  tsv('#path', 'conn'),
  tsv('#open', '2024-01-15-10-00-00'),
  tsv('#fields', 'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes',
    'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents'),
  tsv('#types', 'time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count',
    'string', 'bool', 'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]'),
  tsv('1705312800.123456', 'CHhAvVGS1DHFjwGM9', '192.168.1.10', '51234', '203.0.113.5', '443', 'tcp', 'ssl', '1.234567', '517', '4380',
    'SF', 'T', 'F', '0', 'ShADadFf', '8', '849', '7', '4668', '(empty)'),
  tsv('1705312801.000001', 'C4J4Th3PJpwUYZZ6gc', 'fe80::1', '5353', 'ff02::fb', '5353', 'udp', 'dns', '-', '-', '-',
    'S0', 'T', 'F', '0', 'D', '1', '120', '0', '0', '-'),
  tsv('#close', '2024-01-15-11-00-00'),
].join('\n');

const ZEEK_DNS = [
  ...ZEEK_HEADER,
  tsv('#path', 'dns'),
  tsv('#fields', 'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'trans_id', 'rtt', 'query', 'qclass', 'qclass_name',
    'qtype', 'qtype_name', 'rcode', 'rcode_name', 'AA', 'TC', 'RD', 'RA', 'Z', 'answers', 'TTLs', 'rejected'),
  tsv('#types', 'time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'count', 'interval', 'string', 'count', 'string',
    'count', 'string', 'count', 'string', 'bool', 'bool', 'bool', 'bool', 'count', 'vector[string]', 'vector[interval]', 'bool'),
  tsv('1705312802.500000', 'CdnsUid1', '10.0.0.5', '40000', '10.0.0.53', '53', 'udp', '1234', '0.010000', 'www.evil.example', '1', 'C_INTERNET',
    '1', 'A', '0', 'NOERROR', 'F', 'F', 'T', 'T', '0', 'cdn.evil.example,198.51.100.7,2001:db8::7,TXT 12 v=spf1 -all', '300.000000,60.000000,60.000000,60.000000', 'F'),
  tsv('1705312803.000000', 'CdnsUid2', '10.0.0.5', '40001', '10.0.0.53', '53', 'udp', '1235', '-', 'nx.example', '1', 'C_INTERNET',
    '1', 'A', '3', 'NXDOMAIN', 'F', 'F', 'T', 'T', '0', '-', '-', 'F'),
].join('\n');

const ZEEK_HTTP = [
  ...ZEEK_HEADER,
  tsv('#path', 'http'),
  tsv('#fields', 'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'trans_depth', 'method', 'host', 'uri', 'referrer', 'version',
    'user_agent', 'request_body_len', 'response_body_len', 'status_code', 'status_msg', 'orig_filenames', 'resp_fuids', 'resp_mime_types'),
  tsv('#types', 'time', 'string', 'addr', 'port', 'addr', 'port', 'count', 'string', 'string', 'string', 'string', 'string',
    'string', 'count', 'count', 'count', 'string', 'vector[string]', 'vector[string]', 'vector[string]'),
  tsv('1705312804.000000', 'ChttpUid1', '192.168.1.10', '51300', '203.0.113.80', '80', '1', 'GET', 'evil.example.com', '/gate.php?id=1', 'http://ref.example/',
    '1.1', 'Mozilla/5.0 (Windows NT 10.0)\\x09x', '0', '512', '200', 'OK', 'a.exe,b\\x2cc.exe', 'FakeFuid1', 'text/html'),
  tsv('1705312805.000000', 'ChttpUid2', '192.168.1.10', '51301', '203.0.113.81', '8080', '1', 'CONNECT', 'proxy.example:8080', 'tunnel.example:443', '-',
    '1.1', '-', '0', '0', '200', 'OK', '(empty)', '-', '-'),
].join('\n');

const ZEEK_FILES_SSL_X509 = [
  ...ZEEK_HEADER,
  tsv('#path', 'files'),
  tsv('#fields', 'ts', 'fuid', 'tx_hosts', 'rx_hosts', 'conn_uids', 'source', 'mime_type', 'filename', 'md5', 'sha1', 'sha256'),
  tsv('#types', 'time', 'string', 'set[addr]', 'set[addr]', 'set[string]', 'string', 'string', 'string', 'string', 'string', 'string'),
  tsv('1705312806.000000', 'FakeFuid1', '203.0.113.80', '192.168.1.10,192.168.1.11', 'ChttpUid1', 'HTTP', 'application/x-dosexec', 'invoice.exe',
    'D41D8CD98F00B204E9800998ECF8427E', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
  tsv('#path', 'ssl'),
  tsv('#fields', 'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'version', 'cipher', 'server_name', 'established', 'cert_chain_fps', 'ja3'),
  tsv('#types', 'time', 'string', 'addr', 'port', 'addr', 'port', 'string', 'string', 'string', 'bool', 'vector[string]', 'string'),
  tsv('1705312807.000000', 'CsslUid1', '192.168.1.10', '51400', '203.0.113.5', '443', 'TLSv13', 'TLS_AES_128_GCM_SHA256', 'login.evil.example', 'T',
    '3f0c5b1e9a7d2c4b6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5', 'e7d705a3286e19ea42f587b344ee6865'),
  tsv('#path', 'x509'),
  tsv('#fields', 'ts', 'fingerprint', 'certificate.subject', 'san.dns', 'san.uri', 'san.email', 'san.ip'),
  tsv('#types', 'time', 'string', 'string', 'vector[string]', 'vector[string]', 'vector[string]', 'vector[addr]'),
  tsv('1705312808.000000', '3f0c5b1e9a7d2c4b6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5', 'CN=login.evil.example', 'login.evil.example,*.evil.example',
    '-', 'admin@evil.example', '203.0.113.5'),
].join('\n');

const EVE = [
  { timestamp: '2024-01-15T10:00:00.123456+0000', flow_id: 1234, in_iface: 'eth0', event_type: 'alert', src_ip: '192.168.1.10', src_port: 51234,
    dest_ip: '203.0.113.5', dest_port: 80, proto: 'TCP', tx_id: 0,
    alert: { action: 'allowed', gid: 1, signature_id: 2024897, rev: 2, signature: 'ET MALWARE Test', category: 'A Network Trojan was detected', severity: 1 },
    http: { hostname: 'evil.example.com', url: '/gate.php', http_user_agent: 'curl/8.4.0', http_method: 'POST', protocol: 'HTTP/1.1', status: 200, length: 12 },
    app_proto: 'http' },
  { timestamp: '2024-01-15T10:00:01.000000+0000', flow_id: 1235, event_type: 'dns', src_ip: '10.0.0.53', src_port: 53, dest_ip: '10.0.0.5', dest_port: 40000, proto: 'UDP',
    dns: { version: 2, type: 'answer', id: 1234, rrname: 'www.evil.example', rrtype: 'A', rcode: 'NOERROR',
      answers: [{ rrname: 'www.evil.example', rrtype: 'CNAME', ttl: 60, rdata: 'cdn.evil.example' }, { rrname: 'cdn.evil.example', rrtype: 'A', ttl: 60, rdata: '198.51.100.7' },
        { rrname: 'cdn.evil.example', rrtype: 'TXT', ttl: 60, rdata: 'v=spf1 -all' }],
      grouped: { A: ['198.51.100.7'], CNAME: ['cdn.evil.example'] } } },
  { timestamp: '2024-01-15T10:00:02+01:00', event_type: 'dns', src_ip: '10.0.0.5', dest_ip: '10.0.0.53', proto: 'UDP',
    dns: { version: 3, type: 'request', id: 1, queries: [{ rrname: 'q.evil.example', rrtype: 'A' }] } },
  { timestamp: '2024-01-15T10:00:03.5Z', event_type: 'tls', src_ip: '2001:db8::10', src_port: 51000, dest_ip: '2001:db8::1', dest_port: 443, proto: 'TCP',
    tls: { subject: 'CN=evil.example', issuerdn: 'CN=R3', sni: 'evil.example', version: 'TLS 1.2',
      ja3: { hash: 'e7d705a3286e19ea42f587b344ee6865', string: '771,4865-4866' }, ja3s: { hash: 'f4febc55ea12b31ae17cfb7e614afda8', string: '771,4866' } } },
  { timestamp: '2024-01-15T10:00:04.000000+0000', event_type: 'fileinfo', src_ip: '203.0.113.80', dest_ip: '192.168.1.10', proto: 'TCP', app_proto: 'http',
    http: { hostname: 'files.example', url: '/x.exe', http_port: 8080, http_method: 'GET', status: 200 },
    fileinfo: { filename: '/x.exe', magic: 'PE32 executable', state: 'CLOSED', md5: 'd41d8cd98f00b204e9800998ecf8427e',
      sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', size: 1 } },
  { timestamp: '2024-01-15T10:00:05.000000+0000', event_type: 'flow', src_ip: 'not-an-ip', dest_ip: '127.0.0.1', proto: 'TCP',
    flow: { pkts_toserver: 1, pkts_toclient: 0, bytes_toserver: 60, bytes_toclient: 0, start: '2024-01-15T10:00:04.000000+0000', state: 'new' } },
].map((record) => JSON.stringify(record)).join('\n');

describe('readLogEvents: formats', () => {
  it('lists the formats', () => {
    assert.deepEqual([...LOG_FORMATS], ['ndjson', 'csv', 'zeek', 'eve', 'lines']);
  });

  it('zeek TSV conn: addresses, epoch-second times, the record, unset fields skipped', async () => {
    const { events, errors } = await readAll(ZEEK_CONN);
    assert.deepEqual(errors, []);
    assert.equal(events.length, 2);
    const [first, second] = events;
    assert.equal(first?.line, 9);
    assert.equal(first?.time, 1705312800123);
    assert.deepEqual(pairs(first?.values ?? []), ['id.orig_h=ipv4:192.168.1.10', 'id.resp_h=ipv4:203.0.113.5']);
    assert.equal(first?.record?.uid, 'CHhAvVGS1DHFjwGM9');
    assert.deepEqual(first?.record?.tunnel_parents, []);
    assert.equal(second?.time, 1705312801000);
    assert.deepEqual(pairs(second?.values ?? []), ['id.orig_h=ipv6:fe80::1', 'id.resp_h=ipv6:ff02::fb']);
    assert.equal(second?.record !== undefined && 'duration' in second.record, false, 'an unset field is left out of the record');
  });

  it('zeek TSV dns: the query and each answer that is an address or a host name', async () => {
    const { events, errors } = await readAll(ZEEK_DNS);
    assert.deepEqual(errors, []);
    assert.deepEqual(pairs(events[0]?.values ?? []), [
      'id.orig_h=ipv4:10.0.0.5', 'id.resp_h=ipv4:10.0.0.53', 'query=domain:www.evil.example',
      'answers=domain:cdn.evil.example', 'answers=ipv4:198.51.100.7', 'answers=ipv6:2001:db8::7',
    ]);
    assert.deepEqual(pairs(events[1]?.values ?? []), ['id.orig_h=ipv4:10.0.0.5', 'id.resp_h=ipv4:10.0.0.53', 'query=domain:nx.example']);
  });

  it('zeek TSV http: host, user agent with escapes decoded, file names from a set, the URL from host and uri', async () => {
    const { events, errors } = await readAll(ZEEK_HTTP);
    assert.deepEqual(errors, []);
    assert.deepEqual(pairs(events[0]?.values ?? []), [
      'id.orig_h=ipv4:192.168.1.10', 'id.resp_h=ipv4:203.0.113.80', 'host=domain:evil.example.com', 'referrer=url:http://ref.example/',
      'user_agent=user-agent:Mozilla/5.0 (Windows NT 10.0)\tx', 'orig_filenames=file-name:a.exe', 'orig_filenames=file-name:b,c.exe',
      'host+uri=url:http://evil.example.com/gate.php?id=1',
    ]);
    // CONNECT: the host header has a port, the target is no path: no URL
    assert.deepEqual(pairs(events[1]?.values ?? []), ['id.orig_h=ipv4:192.168.1.10', 'id.resp_h=ipv4:203.0.113.81', 'host=domain:proxy.example']);
  });

  it('zeek TSV: files, ssl and x509 logs concatenated, each with its own #fields', async () => {
    const { events, errors } = await readAll(ZEEK_FILES_SSL_X509);
    assert.deepEqual(errors, []);
    assert.deepEqual(events.map((e) => pairs(e.values)), [
      ['tx_hosts=ipv4:203.0.113.80', 'rx_hosts=ipv4:192.168.1.10', 'rx_hosts=ipv4:192.168.1.11', 'filename=file-name:invoice.exe',
        'md5=md5:D41D8CD98F00B204E9800998ECF8427E', 'sha1=sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709',
        'sha256=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['id.orig_h=ipv4:192.168.1.10', 'id.resp_h=ipv4:203.0.113.5', 'server_name=domain:login.evil.example',
        'cert_chain_fps=sha256:3f0c5b1e9a7d2c4b6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5', 'ja3=ja3:e7d705a3286e19ea42f587b344ee6865'],
      ['fingerprint=sha256:3f0c5b1e9a7d2c4b6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5', 'san.dns=domain:login.evil.example',
        'san.email=email:admin@evil.example', 'san.ip=ipv4:203.0.113.5'],
    ]);
    assert.deepEqual(events.map((e) => e.line), [8, 12, 16]);
  });

  it('zeek TSV: columns add fields to the map', async () => {
    const log = [...ZEEK_HEADER, tsv('#path', 'c2'), tsv('#fields', 'ts', 'c2_domain', 'beacon_mutex'), tsv('#types', 'time', 'string', 'string'),
      tsv('1705312800', 'c2.evil.example', 'Global\\x5cm1')].join('\n');
    const { events } = await readAll(log, { columns: { c2_domain: 'domain', beacon_mutex: 'mutex' } });
    assert.deepEqual(pairs(events[0]?.values ?? []), ['c2_domain=domain:c2.evil.example', 'beacon_mutex=mutex:Global\\m1']);
  });

  it(`zeek TSV: a record of more than ${MAX_ZEEK_ELEMENTS} set elements is reported and skipped, the next one read`, async () => {
    // One line of a million addresses in a set column held the thread that read it 250-270 ms.
    const many = Array.from({ length: MAX_ZEEK_ELEMENTS + 1 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const log = [...ZEEK_HEADER, tsv('#fields', 'ts', 'tx_hosts'), tsv('#types', 'time', 'set[addr]'),
      tsv('1705312800', many.join(',')), tsv('1705312801', many.slice(0, MAX_ZEEK_ELEMENTS).join(','))].join('\n');
    const { events, errors } = await readAll(log, { columns: { tx_hosts: 'ipv4' } });
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, new RegExp(`more than ${MAX_ZEEK_ELEMENTS} set or vector elements in one record \\(field tx_hosts\\)`));
    assert.equal(events.length, 1, 'the record at the bound is read');
    assert.equal(events[0]!.values.length, MAX_ZEEK_ELEMENTS);
  });

  it('zeek TSV: a line with the wrong field count, or data before #fields, is reported and skipped', async () => {
    const broken = ['#separator \\x09', tsv('1', '2'), tsv('#fields', 'ts', 'id.orig_h'), tsv('#types', 'time', 'addr'), tsv('1705312800', '1.2.3.4', 'extra'), tsv('1705312800', '5.6.7.8')].join('\n');
    const { events, errors } = await readAll(broken);
    assert.deepEqual(errors.map((e) => [e.line, e.offset]), [[2, offsetOf(broken, 2)], [5, offsetOf(broken, 5)]]);
    assert.equal(offsetOf(broken, 2), 16);
    assert.match(errors[0]?.message ?? '', /before the #fields header/);
    assert.match(errors[1]?.message ?? '', /3 fields where the #fields header names 2/);
    assert.deepEqual(events.map((e) => pairs(e.values)), [['id.orig_h=ipv4:5.6.7.8']]);
  });

  it('zeek JSON: flat dotted keys, epoch or ISO times, arrays, the URL from host (with port) and uri', async () => {
    const lines = [
      { ts: 1705312800.123456, uid: 'CHhAvVGS1DHFjwGM9', 'id.orig_h': '192.168.1.10', 'id.orig_p': 51234, 'id.resp_h': '203.0.113.5', 'id.resp_p': 8080,
        trans_depth: 1, method: 'GET', host: 'evil.example.com:8080', uri: '/gate.php?id=1', version: '1.1', user_agent: 'Mozilla/5.0',
        status_code: 200, tags: [], resp_fuids: ['Fabc'] },
      { ts: '2024-01-15T10:00:00.500000Z', uid: 'CdnsUid1', 'id.orig_h': '10.0.0.5', 'id.resp_h': '10.0.0.53', query: 'www.evil.example', answers: ['cdn.evil.example', '198.51.100.7'] },
      { ts: 1705312801, uid: 'CnestUid', id: { orig_h: '10.9.9.9', resp_h: '10.9.9.10' } },
    ].map((r) => JSON.stringify(r)).join('\n');
    const { events, errors } = await readAll(lines);
    assert.deepEqual(errors, []);
    assert.equal(events[0]?.time, 1705312800123);
    assert.deepEqual(pairs(events[0]?.values ?? []), [
      'id.orig_h=ipv4:192.168.1.10', 'id.resp_h=ipv4:203.0.113.5', 'host=domain:evil.example.com', 'user_agent=user-agent:Mozilla/5.0',
      'host+uri=url:http://evil.example.com:8080/gate.php?id=1',
    ]);
    assert.equal(events[1]?.time, Date.parse('2024-01-15T10:00:00.500Z'));
    assert.deepEqual(pairs(events[1]?.values ?? []), ['id.orig_h=ipv4:10.0.0.5', 'id.resp_h=ipv4:10.0.0.53', 'query=domain:www.evil.example',
      'answers=domain:cdn.evil.example', 'answers=ipv4:198.51.100.7']);
    assert.deepEqual(pairs(events[2]?.values ?? []), ['id.orig_h=ipv4:10.9.9.9', 'id.resp_h=ipv4:10.9.9.10']);
    assert.equal(events[0]?.record?.uid, 'CHhAvVGS1DHFjwGM9');
  });

  it('eve: alert, dns (v2 and v3), tls, fileinfo and flow records', async () => {
    const { events, errors } = await readAll(EVE);
    assert.deepEqual(errors, []);
    assert.deepEqual(events.map((e) => pairs(e.values)), [
      ['src_ip=ipv4:192.168.1.10', 'dest_ip=ipv4:203.0.113.5', 'http.hostname=domain:evil.example.com', 'http.http_user_agent=user-agent:curl/8.4.0',
        'http.hostname+http.url=url:http://evil.example.com/gate.php'],
      ['src_ip=ipv4:10.0.0.53', 'dest_ip=ipv4:10.0.0.5', 'dns.rrname=domain:www.evil.example', 'dns.answers.rrname=domain:www.evil.example',
        'dns.answers.rrname=domain:cdn.evil.example', 'dns.answers.rrname=domain:cdn.evil.example', 'dns.answers.rdata=domain:cdn.evil.example',
        'dns.answers.rdata=ipv4:198.51.100.7', 'dns.grouped.A=ipv4:198.51.100.7', 'dns.grouped.CNAME=domain:cdn.evil.example'],
      ['src_ip=ipv4:10.0.0.5', 'dest_ip=ipv4:10.0.0.53', 'dns.queries.rrname=domain:q.evil.example'],
      ['src_ip=ipv6:2001:db8::10', 'dest_ip=ipv6:2001:db8::1', 'tls.sni=domain:evil.example', 'tls.ja3.hash=ja3:e7d705a3286e19ea42f587b344ee6865'],
      ['src_ip=ipv4:203.0.113.80', 'dest_ip=ipv4:192.168.1.10', 'http.hostname=domain:files.example',
        'fileinfo.md5=md5:d41d8cd98f00b204e9800998ecf8427e', 'fileinfo.sha1=sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709',
        'fileinfo.sha256=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'fileinfo.filename=file-name:/x.exe',
        'http.hostname+http.url=url:http://files.example:8080/x.exe'],
      ['dest_ip=ipv4:127.0.0.1'],
    ]);
    assert.deepEqual(events.map((e) => e.time), [
      Date.parse('2024-01-15T10:00:00.123Z'), Date.parse('2024-01-15T10:00:01Z'), Date.parse('2024-01-15T09:00:02Z'),
      Date.parse('2024-01-15T10:00:03.5Z'), Date.parse('2024-01-15T10:00:04Z'), Date.parse('2024-01-15T10:00:05Z'),
    ]);
    assert.equal(events[0]?.record?.event_type, 'alert');
  });

  it('eve: columns add paths to the field map', async () => {
    const line = JSON.stringify({ timestamp: '2024-01-15T10:00:00Z', event_type: 'smb', src_ip: '10.0.0.1', smb: { filename: 'evil.dll', named_pipe: '\\pipe\\evil' } });
    const { events } = await readAll(line, { columns: { 'smb.filename': 'file-name', 'smb.named_pipe': 'mutex' } });
    assert.deepEqual(pairs(events[0]?.values ?? []), ['src_ip=ipv4:10.0.0.1', 'smb.filename=file-name:evil.dll', 'smb.named_pipe=mutex:\\pipe\\evil']);
  });

  it('ndjson: ECS paths nested or written flat, common flat names, and other strings only when their kind is certain', async () => {
    const record = {
      '@timestamp': '2024-01-15T10:00:00.000Z',
      source: { ip: '10.1.1.1', port: 1234, mac: '00-1A-2B-3C-4D-5E', as: { number: 64500 } },
      'destination.ip': '8.8.8.8',
      url: { full: 'https://evil.example/a?b=1', domain: 'evil.example' },
      dns: { question: { name: 'q.evil.example' }, answers: [{ data: '198.51.100.1' }, { data: 'alias.evil.example' }] },
      file: { hash: { sha256: 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855', md5: 'not-a-hash' }, name: 'x.exe', path: 'C:\\x.exe' },
      user_agent: { original: 'Mozilla/5.0' },
      related: { ip: ['10.1.1.1', '8.8.8.8'] },
      message: 'connection to evil.example from 10.1.1.1',
      note: 'contact admin@evil.example',
      other: { contact: 'admin@evil.example', link: 'http://other.example/x', sum: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', name: 'plain.example', flag: true, n: null },
      src_ip: '192.0.2.1', hostname: 'web01', hash: 'd41d8cd98f00b204e9800998ecf8427e',
    };
    const { events, errors } = await readAll(JSON.stringify(record));
    assert.deepEqual(errors, []);
    assert.equal(events[0]?.time, Date.parse('2024-01-15T10:00:00Z'));
    assert.deepEqual(pairs(events[0]?.values ?? []), [
      'source.ip=ipv4:10.1.1.1', 'source.mac=mac:00-1A-2B-3C-4D-5E', 'source.as.number=asn:64500', 'destination.ip=ipv4:8.8.8.8',
      'url.full=url:https://evil.example/a?b=1', 'url.domain=domain:evil.example', 'dns.question.name=domain:q.evil.example',
      'dns.answers.data=ipv4:198.51.100.1', 'dns.answers.data=domain:alias.evil.example',
      'file.hash.sha256=sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855', 'file.name=file-name:x.exe', 'file.path=file-path:C:\\x.exe',
      'user_agent.original=user-agent:Mozilla/5.0', 'related.ip=ipv4:10.1.1.1', 'related.ip=ipv4:8.8.8.8',
      'other.contact=email:admin@evil.example', 'other.link=url:http://other.example/x', 'other.sum=sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709',
      'src_ip=ipv4:192.0.2.1', 'hostname=domain:web01', 'hash=md5:d41d8cd98f00b204e9800998ecf8427e',
    ]);
    assert.deepEqual(events[0]?.record, record);
  });

  it('ndjson: time from timestamp, time or ts, in seconds, milliseconds or ISO text', async () => {
    const lines = [{ timestamp: '2024-01-15 10:00:00' }, { time: 1705312800123 }, { ts: 1705312800.5 }, { ts: '1705312800' }, { time: 'yesterday' }, { x: 1 }]
      .map((r) => JSON.stringify(r)).join('\n');
    const { events } = await readAll(lines, { format: 'ndjson' });
    assert.deepEqual(events.map((e) => e.time), [1705312800000, 1705312800123, 1705312800500, 1705312800000, undefined, undefined]);
  });

  it('ndjson: columns add paths, override built-in kinds, and reach into arrays', async () => {
    const line = JSON.stringify({ process: { mutexes: ['Global\\M1', 'Global\\M2'] }, domain: 'evil.example', winlog: { TargetObject: 'HKLM\\Software\\Run' } });
    const { events } = await readAll(line, { columns: { 'process.mutexes': 'mutex', domain: 'domain', 'winlog.TargetObject': 'registry-key' } });
    assert.deepEqual(pairs(events[0]?.values ?? []), ['process.mutexes=mutex:Global\\M1', 'process.mutexes=mutex:Global\\M2', 'domain=domain:evil.example',
      'winlog.TargetObject=registry-key:HKLM\\Software\\Run']);
  });

  it('ndjson: a line that is not a JSON object is reported with its line and byte offset, and reading goes on', async () => {
    const text = '{"src_ip":"1.1.1.1"}\n{"note":"ü"}\n{bad json\n[1,2]\n"text"\n\n{"src_ip":"2.2.2.2"}\n';
    const { events, errors } = await readAll(text);
    assert.deepEqual(events.map((e) => [e.line, pairs(e.values)]), [[1, ['src_ip=ipv4:1.1.1.1']], [2, []], [7, ['src_ip=ipv4:2.2.2.2']]]);
    assert.deepEqual(errors.map((e) => [e.line, e.offset]), [[3, 35], [4, 45], [5, 51]]);
    assert.equal(Buffer.from(text).subarray(35, 44).toString(), '{bad json');
    assert.match(errors[0]?.message ?? '', /^line 3 \(byte 35\): not valid JSON \(.+\); each line must hold one complete JSON object$/);
    assert.match(errors[1]?.message ?? '', /expected a JSON object, found an array/);
    assert.match(errors[2]?.message ?? '', /found a string/);
  });

  it(`ndjson: a record of more than ${MAX_JSON_FIELDS} fields is reported and skipped unparsed, and reading goes on`, async (t) => {
    const keys = (n: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'a'])));
    const strings = (n: number) => JSON.stringify({ src_ip: '1.1.1.1', list: Array.from({ length: n }, () => 'x') });
    const text = [keys(MAX_JSON_FIELDS + 10), strings(2 * MAX_JSON_FIELDS + 10), keys(MAX_JSON_FIELDS - 10), strings(MAX_JSON_FIELDS), '{"src_ip":"2.2.2.2"}'].join('\n');
    // Named, or told from the first line (which is not parsed to tell it either).
    for (const options of [{ format: 'ndjson' as const }, {}]) {
      const parse = t.mock.method(JSON, 'parse');
      const { events, errors } = await readAll(text, options);
      t.mock.restoreAll();
      assert.deepEqual(errors.map((e) => e.line), [1, 2]);
      for (const error of errors) assert.match(error.message, new RegExp(`more than ${MAX_JSON_FIELDS} fields in one JSON record`));
      assert.deepEqual(events.map((e) => e.line), [3, 4, 5]);
      assert.equal(parse.mock.callCount(), 3, 'the wide records are not parsed');
    }
  });

  it('csv: header, RFC 4180 quoting, a quoted line break, a time column, each cell detected', async () => {
    const text = 'ts,src_ip,dst,domain,note\r\n'
      + '2024-01-15T10:00:00Z,10.0.0.1,203.0.113.5,evil.example,"hello, ""world"""\r\n'
      + '1705312800,10.0.0.2,,"multi.example","line one\r\nline two"\r\n'
      + '1705312801,10.0.0.3,2001:db8::1,plain words,\r\n';
    const { events, errors } = await readAll(text);
    assert.deepEqual(errors, []);
    assert.deepEqual(events.map((e) => [e.line, e.time, pairs(e.values)]), [
      [2, Date.parse('2024-01-15T10:00:00Z'), ['src_ip=ipv4:10.0.0.1', 'dst=ipv4:203.0.113.5', 'domain=domain:evil.example']],
      [3, 1705312800000, ['src_ip=ipv4:10.0.0.2', 'domain=domain:multi.example']],
      [5, 1705312801000, ['src_ip=ipv4:10.0.0.3', 'dst=ipv6:2001:db8::1']],
    ]);
    assert.deepEqual({ ...events[0]?.record }, { ts: '2024-01-15T10:00:00Z', src_ip: '10.0.0.1', dst: '203.0.113.5', domain: 'evil.example', note: 'hello, "world"' });
    assert.equal(events[1]?.record?.note, 'line one\nline two');
  });

  it('csv: columns by header name or 1-based number read only those columns, with their kind', async () => {
    const text = 'when,client,server,sample,agent\n1705312800,10.0.0.1,2001:db8::1,D41D8CD98F00B204E9800998ECF8427E,evil.example\n';
    const { events, errors } = await readAll(text, { format: 'csv', columns: { client: 'ipv4', '3': 'ipv4', sample: 'md5', nope: 'domain' } });
    assert.deepEqual(pairs(events[0]?.values ?? []), ['client=ipv4:10.0.0.1', 'server=ipv6:2001:db8::1', 'sample=md5:D41D8CD98F00B204E9800998ECF8427E']);
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /columns names "nope", which is not in the header/);
    assert.equal(errors[0]?.line, 1);
  });

  it('csv: without a header, fields are named by column number; a custom delimiter', async () => {
    const text = '10.0.0.1;"evil;example.com";x\n;203.0.113.9;HKLM\\Run\n';
    const { events, errors } = await readAll(text, { format: 'csv', csvHeader: false, delimiter: ';' });
    assert.deepEqual(errors, []);
    assert.deepEqual(events.map((e) => pairs(e.values)), [['column 1=ipv4:10.0.0.1'], ['column 2=ipv4:203.0.113.9', 'column 3=registry-key:HKLM\\Run']]);
    assert.deepEqual({ ...events[0]?.record }, { 'column 1': '10.0.0.1', 'column 2': 'evil;example.com', 'column 3': 'x' });
  });

  it('csv and zeek: a column named "__proto__" or "constructor" is a field like any other', async () => {
    // Header names come from the log: a record built by assignment would take "__proto__" as its
    // prototype (the field lost) and answer "constructor" before it is set.
    const csv = await readAll('__proto__,constructor,toString\n10.0.0.1,evil.example,x\n', { format: 'csv', columns: { ['__proto__']: 'ipv4' as const, constructor: 'domain' as const } });
    assert.deepEqual(csv.errors, []);
    assert.deepEqual(pairs(csv.events[0]?.values ?? []), ['__proto__=ipv4:10.0.0.1', 'constructor=domain:evil.example']);
    const record = csv.events[0]?.record ?? {};
    assert.deepEqual(Object.entries(record), [['__proto__', '10.0.0.1'], ['constructor', 'evil.example'], ['toString', 'x']]);
    const zeek = '#separator \\x09\n#fields\t__proto__\tconstructor\n#types\tset[addr]\taddr\n198.51.100.1,198.51.100.2\t203.0.113.9\n';
    const read = await readAll(zeek, { format: 'zeek' });
    assert.deepEqual(read.errors, []);
    const zeekRecord = read.events[0]?.record ?? {};
    assert.equal(Array.isArray(Object.getPrototypeOf(zeekRecord)), false, 'a set column does not become the prototype');
    assert.deepEqual(Object.entries(zeekRecord), [['__proto__', ['198.51.100.1', '198.51.100.2']], ['constructor', '203.0.113.9']]);
  });

  it('csv: a quoted field over many lines is read once, not again with each line that adds to it', async (t) => {
    // A field of 4,000 lines, and one reopened on every line ("a","a","... each closing the one
    // before): measuring or parsing the whole record again with each line made one match of a
    // 320 KB body hold the node's thread 28.7 s.
    const lines = 4000;
    for (const body of ['a', 'a","']) {
      const text = `src,note\n1.2.3.4,"${`${body}\n`.repeat(lines)}"\n5.6.7.8,x\n`;
      let measured = 0;
      const byteLength = Buffer.byteLength;
      t.mock.method(Buffer, 'byteLength', (value: string, ...rest: []) => {
        if (typeof value === 'string') measured += value.length;
        return byteLength(value, ...rest);
      });
      const { events, errors } = await readAll(text);
      t.mock.restoreAll();
      assert.deepEqual(errors, []);
      assert.deepEqual(events.map((e) => [e.line, pairs(e.values)]), [[2, ['src=ipv4:1.2.3.4']], [lines + 3, ['src=ipv4:5.6.7.8']]]);
      const cells = Object.keys({ ...events[0]?.record }).length;
      assert.equal(cells, body === 'a' ? 2 : lines + 2);
      assert.ok(measured <= 2 * text.length, `${measured.toLocaleString('en')} characters measured for a ${text.length.toLocaleString('en')}-character input`);
    }
  });

  it(`csv: a record of more than ${MAX_CSV_FIELDS} fields is reported and skipped, quoted or not, and reading goes on`, async () => {
    const wide = (quoted: boolean) => Array.from({ length: MAX_CSV_FIELDS + 1 }, () => (quoted ? '"a"' : 'a')).join(',');
    const widest = Array.from({ length: MAX_CSV_FIELDS }, () => 'a').join(',');
    // Unquoted; over a quoted line break (lines 3 and 4); quoted; as wide as allowed; narrow.
    const text = `src,dst\n1.1.1.1,${wide(false)}\n2.2.2.2,"x\ny",${wide(true)}\n3.3.3.3,${wide(true)}\n${widest}\n4.4.4.4,5.5.5.5\n`;
    const { events, errors } = await readAll(text);
    assert.deepEqual(errors.map((e) => e.line), [2, 3, 5]);
    for (const error of errors) assert.match(error.message, new RegExp(`more than ${MAX_CSV_FIELDS} fields in one record`));
    assert.deepEqual(events.map((e) => [e.line, Object.keys({ ...e.record }).length]), [[6, MAX_CSV_FIELDS], [7, 2]]);
  });

  it('csv: text after a closing quote and a quote left open at the end are reported', async () => {
    const text = 'a,b\n"x"y,1.2.3.4\n5.6.7.8,ok\n"open,9.9.9.9\nmore';
    const { events, errors } = await readAll(text);
    assert.deepEqual(events.map((e) => pairs(e.values)), [['a=ipv4:5.6.7.8']]);
    assert.deepEqual(errors.map((e) => [e.line, e.offset]), [[2, 4], [4, 28]]);
    assert.match(errors[0]?.message ?? '', /column 1: text after the closing quote/);
    assert.match(errors[1]?.message ?? '', /still open at the end of the input/);
  });

  it('a leading byte order mark is not part of the first line', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const csv = await readAll(Buffer.concat([bom, Buffer.from('ip,name\n1.2.3.4,x\n')]), { format: 'csv', columns: { ip: 'ipv4' } });
    assert.deepEqual(pairs(csv.events[0]?.values ?? []), ['ip=ipv4:1.2.3.4']);
    const ndjson = await readAll(Buffer.concat([bom, Buffer.from('{"src_ip":"1.2.3.4"}\n')]), {}, 2);
    assert.deepEqual([ndjson.errors, pairs(ndjson.events[0]?.values ?? [])], [[], ['src_ip=ipv4:1.2.3.4']]);
    const lines = await readAll(Buffer.concat([bom, Buffer.from('1.2.3.4\n')]));
    assert.deepEqual([lines.errors, pairs(lines.events[0]?.values ?? [])], [[], ['line=ipv4:1.2.3.4']]);
  });

  it('lines: one value a line, blank lines and comments skipped, unknown values reported', async () => {
    const text = '# feed of the day\r\n1.2.3.4\r\n\r\n  evil.example  \r\nhttp://evil.example/x\r\nHKLM\\Software\\Run\r\nnot a value\r\n# end';
    const { events, errors } = await readAll(text);
    assert.deepEqual(events.map((e) => [e.line, pairs(e.values)]), [
      [2, ['line=ipv4:1.2.3.4']], [4, ['line=domain:evil.example']], [5, ['line=url:http://evil.example/x']], [6, ['line=registry-key:HKLM\\Software\\Run']],
    ]);
    assert.deepEqual(errors.map((e) => [e.line, e.offset]), [[7, offsetOf(text, 7)]]);
    assert.ok(text.slice(offsetOf(text, 7)).startsWith('not a value'));
    assert.match(errors[0]?.message ?? '', /"not a value" is not a recognised value/);
    assert.equal(events[0]?.record, undefined);
  });

  it('private and loopback addresses are still reported', async () => {
    const { events } = await readAll('10.0.0.1\n127.0.0.1\n::1\n192.168.0.1\n');
    assert.deepEqual(events.map((e) => e.values[0]?.kind), ['ipv4', 'ipv4', 'ipv6', 'ipv4']);
  });
});

describe('readLogEvents: format detection', () => {
  const cases: readonly (readonly [string, string, string])[] = [
    ['zeek TSV from #separator', ZEEK_CONN, 'id.orig_h=ipv4:192.168.1.10'],
    ['eve from event_type', EVE, 'http.hostname=domain:evil.example.com'],
    ['zeek JSON from uid', '{"ts":1,"uid":"C1","host":"evil.example"}', 'host=domain:evil.example'],
    ['zeek JSON from _path', '{"_path":"dns","query":"evil.example"}', 'query=domain:evil.example'],
    ['ndjson from another object', '\n\n{"destination":{"domain":"evil.example"}}', 'destination.domain=domain:evil.example'],
    ['csv from a header line', 'time,src.ip,dst.ip\n1,1.2.3.4,5.6.7.8', 'src.ip=ipv4:1.2.3.4'],
    ['lines from anything else', '# list\n1.2.3.4,5.6.7.8\nevil.example', 'line=domain:evil.example'],
  ];
  for (const [name, text, expected] of cases) {
    it(name, async () => {
      const { events } = await readAll(text);
      assert.ok(events.flatMap((e) => pairs(e.values)).includes(expected), JSON.stringify(events.map((e) => pairs(e.values))));
    });
  }

  it('a line of values is not taken for a CSV header', async () => {
    const { events, errors } = await readAll('evil.example,bad.example\n');
    assert.equal(events.length, 0);
    assert.equal(errors.length, 1, 'read as lines: the line is not one value');
  });

  it('a forced zeek format reads JSON lines with the Zeek field map', async () => {
    const { events } = await readAll('{"query":"evil.example","ts":1705312800}', { format: 'zeek' });
    assert.deepEqual([events[0]?.time, pairs(events[0]?.values ?? [])], [1705312800000, ['query=domain:evil.example']]);
  });

  it('a forced format wins over what the lines look like', async () => {
    const { events } = await readAll('{"event_type":"x","src_ip":"1.2.3.4","other":"5.6.7.8"}', { format: 'ndjson' });
    assert.deepEqual(pairs(events[0]?.values ?? []), ['src_ip=ipv4:1.2.3.4', 'other=ipv4:5.6.7.8']);
  });

  it('comment lines before JSON records are not JSON and are reported', async () => {
    const { events, errors } = await readAll('# exported\n{"src_ip":"1.2.3.4"}\n');
    assert.equal(events.length, 1);
    assert.deepEqual(errors.map((e) => e.line), [1]);
  });
});

describe('readLogEvents: streaming', () => {
  const mixed = [
    '{"src_ip":"10.0.0.1","ua":"Mozilla/5.0 😀 ü","domain":"bücher.example"}',
    '{"src_ip":"10.0.0.2","note":"日本語 http://evil.example/ä"}',
    '{broken "ü"',
    '{"dest_ip":"2001:db8::1","time":1705312800}',
  ].join('\r\n') + '\r\n';

  it('gives the same events and errors whatever the chunk boundaries (mid-line, mid-character)', async () => {
    const reference = await readAll(mixed, {}, 1 << 20);
    assert.equal(reference.events.length, 3);
    assert.equal(reference.errors.length, 1);
    assert.deepEqual(pairs(reference.events[0]?.values ?? []), ['src_ip=ipv4:10.0.0.1', 'domain=domain:bücher.example']);
    assert.deepEqual(pairs(reference.events[1]?.values ?? []), ['src_ip=ipv4:10.0.0.2']);
    const bytes = Buffer.from(mixed);
    for (let size = 1; size <= 40; size++) {
      for (const input of [bytes, mixed]) {
        const result = await readAll(input, {}, size);
        assert.deepEqual(result.events, reference.events, `chunk size ${size} (${typeof input})`);
        assert.deepEqual(result.errors, reference.errors, `chunk size ${size} (${typeof input})`);
      }
    }
  });

  it('reports byte offsets, not character offsets', async () => {
    const { errors } = await readAll(mixed, {}, 7);
    const expected = Buffer.byteLength(mixed.split('\r\n').slice(0, 2).join('\r\n')) + 2;
    assert.deepEqual(errors.map((e) => [e.line, e.offset]), [[3, expected]]);
  });

  it('removes CR from CRLF line ends', async () => {
    const { events } = await readAll('evil.example\r\n1.2.3.4\r\n');
    assert.deepEqual(events.map((e) => e.values[0]?.value), ['evil.example', '1.2.3.4']);
  });

  it('reads a huge line across many chunks', async () => {
    const huge = JSON.stringify({ pad: 'x'.repeat(3 * 1024 * 1024), url: 'http://evil.example/huge' });
    const { events, errors } = await readAll(`{"src_ip":"1.1.1.1"}\n${huge}\n{"src_ip":"2.2.2.2"}`, {}, 65_536);
    assert.deepEqual(errors, []);
    assert.deepEqual(events.map((e) => [e.line, pairs(e.values)]), [[1, ['src_ip=ipv4:1.1.1.1']], [2, ['url=url:http://evil.example/huge']], [3, ['src_ip=ipv4:2.2.2.2']]]);
  });

  it('skips and reports a line longer than maxLineBytes, in one chunk or many, also at the end of the input', async () => {
    const long = `{"pad":"${'x'.repeat(5000)}"}`;
    const text = `{"src_ip":"1.1.1.1"}\n${long}\n{"src_ip":"2.2.2.2"}\n${long}`;
    for (const size of [7, 1000, 1 << 20]) {
      const { events, errors } = await readAll(text, { maxLineBytes: 1024 }, size);
      assert.deepEqual(events.map((e) => e.line), [1, 3], `chunk size ${size}`);
      assert.deepEqual(errors.map((e) => [e.line, e.offset]), [[2, 21], [4, 21 + long.length + 1 + 21]], `chunk size ${size}`);
      assert.match(errors[0]?.message ?? '', /longer than maxLineBytes \(1024 bytes\)/);
    }
  });

  it('an empty input, or one of blank lines and comments, gives no events and no errors', async () => {
    for (const text of ['', '\n\n\r\n', '# nothing\n# here\n']) {
      const { events, errors, batches } = await readAll(text);
      assert.deepEqual([events.length, errors.length, batches.length], [0, 0, 0], JSON.stringify(text));
    }
  });

  it('lets other work in while it reads lines that give no event, not only at their end', async () => {
    // 6 MiB of a quoted field left open, or of blank lines: no event until the end. Its chunks are
    // all there at once, as a fast client's are; other requests must not wait for the last one.
    for (const text of [`src,note\n1.2.3.4,"${'a\n'.repeat(3 << 20)}"\n`, `src,note\n${'\n'.repeat(6 << 20)}1.2.3.4,x\n`]) {
      let read = 0;
      let readWhenOthersRan: number | undefined;
      setImmediate(() => (readWhenOthersRan = read));
      const events: LogEvent[] = [];
      const errors: LogError[] = [];
      for await (const batch of readLogEvents(chunked(text, 65_536), { onProgress: (bytes) => (read = bytes), onError: (e) => errors.push(e) })) events.push(...batch);
      assert.deepEqual([events.length, errors], [1, []]);
      assert.ok(readWhenOthersRan !== undefined && readWhenOthersRan < Buffer.byteLength(text), `other work ran after ${readWhenOthersRan} of ${Buffer.byteLength(text)} bytes`);
    }
  });

  it('yields batches of at most 1024 events', async () => {
    const text = Array.from({ length: 3000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join('\n');
    const { events, batches } = await readAll(text, {}, 1 << 20);
    assert.equal(events.length, 3000);
    assert.ok(batches.length >= 3 && batches.every((n) => n > 0 && n <= 1024), JSON.stringify(batches));
    assert.deepEqual(events.map((e) => e.line), Array.from({ length: 3000 }, (_, i) => i + 1));
  });

  it('reports the bytes consumed after each chunk', async () => {
    const text = '1.2.3.4\n5.6.7.8\nevil.example\n';
    const progress: number[] = [];
    for await (const batch of readLogEvents(chunked(text, 10), { onProgress: (b) => progress.push(b) })) assert.ok(batch.length > 0);
    assert.deepEqual(progress, [10, 20, 29]);
  });

  it('stops reading the input when the consumer stops', async () => {
    let closed = false;
    let pulled = 0;
    async function* input(): AsyncGenerator<string> {
      try {
        for (;;) {
          pulled++;
          yield '1.2.3.4\n';
        }
      } finally {
        closed = true;
      }
    }
    for await (const batch of readLogEvents(input())) {
      assert.equal(batch.length, 1);
      break;
    }
    assert.ok(closed);
    assert.equal(pulled, 1);
  });

  it('checks its options when called', () => {
    const input = chunked('', 1);
    const invalid: ReadLogOptions[] = JSON.parse('[{"format":"xml"},{"columns":{"a":"ip"}},{"delimiter":";;"},{"delimiter":"\\""},{"maxLineBytes":0},{"format":"csv","csvHeader":false,"columns":{"name":"ipv4"}}]');
    for (const options of invalid) assert.throws(() => readLogEvents(input, options), TypeError, JSON.stringify(options));
    assert.doesNotThrow(() => readLogEvents(input, { format: 'csv', csvHeader: false, columns: { '2': 'ipv4' } }));
  });
});

describe('parseTimestamp', () => {
  it('reads RFC 3339 forms as Date.parse does', () => {
    for (const text of ['2024-01-15T10:00:00Z', '2024-01-15T10:00:00.123Z', '2024-01-15T10:00:00.123456+00:00', '2024-01-15T10:00:00-05:30', '2024-02-29T23:59:59.999+14:00']) {
      assert.equal(parseTimestamp(text), Date.parse(text), text);
    }
  });

  it('reads Suricata offsets, a space separator and no zone (as UTC)', () => {
    assert.equal(parseTimestamp('2024-01-15T10:00:00.123456+0000'), Date.parse('2024-01-15T10:00:00.123Z'));
    assert.equal(parseTimestamp('2024-01-15T10:00:00.000000+0100'), Date.parse('2024-01-15T09:00:00Z'));
    assert.equal(parseTimestamp('2024-01-15 10:00:00'), Date.parse('2024-01-15T10:00:00Z'));
  });

  it('reads the years a STIX timestamp writes (0000-9999), the first hundred as themselves, and no time beyond', () => {
    assert.equal(parseTimestamp('0050-03-01T00:00:00Z'), Date.parse('0050-03-01T00:00:00Z'));
    assert.equal(parseTimestamp('0000-01-01T00:00:00Z'), TIME_MIN_MS);
    assert.equal(parseTimestamp('0000-01-01T00:00:00+01:00'), undefined, 'before year 0000 once the offset is taken off');
    assert.equal(parseTimestamp('9999-12-31T23:59:59.999Z'), TIME_MAX_MS);
    assert.equal(parseTimestamp('9999-12-31T23:59:59.999-01:00'), undefined);
    // Epoch numbers past any date (a record's `ts` of 9e15 s) have no time: new Date(...).toISOString() threw for them.
    assert.equal(epochMs(9e15), undefined);
    assert.equal(epochMs(TIME_MAX_MS + 1), undefined);
    assert.equal(epochMs(1_700_000_000), 1_700_000_000_000);
  });

  it('refuses other text', () => {
    for (const text of ['2024-01-15', '2024-13-15T10:00:00Z', '2024-01-15T25:00:00Z', '2024-01-15T10:00:00Zjunk', '2024-01-15T10:00:00.Z', 'Jan 15 10:00:00 2024', '2024-01-15T10:00:00+2']) {
      assert.equal(parseTimestamp(text), undefined, text);
    }
  });
});
