import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { createCa, issue, type Issued } from '../core/pki.js';
import { CliError, EXIT } from './failures.js';

/** Where `shieldwall pki` keeps its files: <data dir>/pki unless --dir says otherwise. */
function pkiDir(dir: string | undefined): string {
  return path.resolve(dir ?? path.join(loadConfig(process.env).dataDir, 'pki'));
}

function write(dir: string, name: string, issued: Issued): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.crt`), issued.certPem, { mode: 0o644 });
  writeFileSync(path.join(dir, `${name}.key`), issued.keyPem, { mode: 0o600 });
}

function loadCa(dir: string): Issued {
  const cert = path.join(dir, 'ca.crt');
  if (!existsSync(cert)) throw new Error(`no development CA in ${dir}: run shieldwall pki init first`);
  return { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(path.join(dir, 'ca.key'), 'utf8') };
}

export function registerPki(program: Command): void {
  const pki = program.command('pki').description('a development PKI for trying mutual TLS: a CA, node and user certificates (not for production)');
  pki
    .command('init')
    .description('create a development certificate authority (ca.crt, ca.key)')
    .option('--dir <dir>', 'where to keep the files (default: <data dir>/pki)')
    .option('--name <cn>', 'the CA common name', 'Shieldwall development CA')
    .option('--force', 'replace an existing CA (every certificate it issued stops verifying)')
    .action(async (o: { dir?: string; name: string; force?: boolean }) => {
      const dir = pkiDir(o.dir);
      if (existsSync(path.join(dir, 'ca.crt')) && !o.force) throw new Error(`a CA exists already in ${dir}; add --force to replace it`);
      write(dir, 'ca', await createCa(o.name));
      process.stderr.write(`CA written to ${dir}/ca.crt (key ca.key, keep it private)\n`);
    });
  pki
    .command('node <host>')
    .description('issue the HTTPS certificate of a node for a host name (node.crt, node.key)')
    .option('--dir <dir>', 'where the CA is (default: <data dir>/pki)')
    .option('--ip <ip...>', 'IP addresses to include', ['127.0.0.1'])
    .option('--out <dir>', 'where to write node.crt and node.key (default: beside the CA); the host name is also the name peers know the node by')
    .action(async (host: string, o: { dir?: string; ip: string[]; out?: string }) => {
      const dir = pkiDir(o.dir);
      const out = o.out ? path.resolve(o.out) : dir;
      write(out, 'node', await issue(loadCa(dir), { commonName: host, usage: 'server', dnsNames: [host], ips: o.ip }));
      process.stderr.write(
        `node certificate written to ${out}/node.crt; serve with:\n  SHIELDWALL_TLS_CERT=${out}/node.crt SHIELDWALL_TLS_KEY=${out}/node.key SHIELDWALL_TLS_CLIENT_CA=${dir}/ca.crt shieldwall serve\n`,
      );
    });
  pki
    .command('user <name>')
    .alias('peer')
    .description("issue a client certificate whose common name is a user's or peer node's name (<name>.crt, <name>.key)")
    .option('--dir <dir>', 'where the CA is (default: <data dir>/pki)')
    .option('--days <days>', 'validity in days', '365')
    .action(async (name: string, o: { dir?: string; days: string }) => {
      if (!/^[a-z0-9][a-z0-9._@-]{0,63}$/.test(name)) throw new CliError(EXIT.usage, `'${name}' is not a user name`);
      const dir = pkiDir(o.dir);
      write(dir, name, await issue(loadCa(dir), { commonName: name, usage: 'client', days: Number(o.days) }));
      process.stderr.write(`client certificate written to ${dir}/${name}.crt; try:\n  curl --cacert ${dir}/ca.crt --cert ${dir}/${name}.crt --key ${dir}/${name}.key https://127.0.0.1:8080/api/v1/me\n`);
    });
}
