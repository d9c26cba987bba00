/** Suricata EVE JSON: flow endpoints and the protocol sections, by a field map. */
import type { ObservableKind } from '../../stix/observable.js';
import { applyRules, composeUrl, indexRules, isRecord, type Resolver } from './logformats.fields.js';
import type { Extract } from './logformats.reader.js';

/** Suricata EVE: flow endpoints plus the dns, http, tls, quic, fileinfo, dhcp and ether sections. */
const EVE_FIELDS: readonly (readonly [string, Resolver])[] = [
  ['src_ip', 'ip'], ['dest_ip', 'ip'],
  ['dns.rrname', 'domain'], ['dns.rdata', 'host'], ['dns.queries.rrname', 'domain'], ['dns.answers.rrname', 'domain'],
  ['dns.answers.rdata', 'host'], ['dns.grouped.A', 'ip'], ['dns.grouped.AAAA', 'ip'], ['dns.grouped.CNAME', 'domain'],
  ['http.hostname', 'host'], ['http.http_user_agent', 'user-agent'], ['http.http_refer', 'url'], ['http.redirect', 'url'],
  ['tls.sni', 'domain'], ['tls.ja3.hash', 'ja3'], ['quic.sni', 'domain'], ['quic.ja3.hash', 'ja3'],
  ['fileinfo.md5', 'md5'], ['fileinfo.sha1', 'sha1'], ['fileinfo.sha256', 'sha256'], ['fileinfo.filename', 'file-name'],
  ['dhcp.client_mac', 'mac'], ['dhcp.assigned_ip', 'ip'], ['dhcp.client_ip', 'ip'],
  ['ether.src_mac', 'mac'], ['ether.dest_mac', 'mac'],
];

export function eveExtractor(columns: ReadonlyMap<string, ObservableKind>): Extract {
  const rules = indexRules([...EVE_FIELDS, ...columns]);
  return (record, values) => {
    applyRules(record, rules, values);
    const http = record.http;
    if (isRecord(http)) {
      const url = composeUrl(http.hostname, http.http_port, http.url);
      if (url !== undefined) values.push({ kind: 'url', value: url, field: 'http.hostname+http.url' });
    }
  };
}
