/**
 * The node's audit key: 32 random bytes in a file of mode 0600 (made on first use, as the
 * sealing key of src/core/secrets.ts). Two keys are made from it, so that one file is kept:
 * the HMAC key of entries, and the seed of an Ed25519 key pair that signs checkpoints, so that a
 * peer or an archive can check a checkpoint with the public key alone.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { nodeKey } from '../../core/secrets.js';

export interface AuditKeys {
  /** HMAC-SHA256 key of entry MACs. */
  readonly macKey: Buffer;
  /** Ed25519 key pair of checkpoint signatures. */
  readonly signingKey: KeyObject;
  readonly publicKey: KeyObject;
  /** First 16 hex digits of the SHA-256 of the public key (DER): which key signed a checkpoint. */
  readonly keyId: string;
}

/** PKCS#8 DER of an Ed25519 private key, up to its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

const derived = new Map<string, AuditKeys>();

function derive(key: Buffer): AuditKeys {
  const macKey = createHmac('sha256', key).update('shieldwall audit entry mac v1').digest();
  const seed = createHmac('sha256', key).update('shieldwall audit checkpoint ed25519 v1').digest();
  const signingKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(signingKey);
  const keyId = createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
  return Object.freeze({ macKey, signingKey, publicKey, keyId });
}

/** The keys of the file, which is made when it does not exist (writers). */
export function auditKeys(file: string): AuditKeys {
  let keys = derived.get(file);
  if (keys) return keys;
  let key: Buffer;
  try {
    key = nodeKey(file);
  } catch (error) {
    if (!/32-byte/.test((error as Error).message)) throw error;
    throw new Error(`${file} does not hold a 32-byte base64 audit key: restore the node's audit key from its copy (SHIELDWALL_AUDIT_KEY_FILE); a new key would make every existing entry fail verification`, { cause: error });
  }
  derived.set(file, (keys = derive(key)));
  return keys;
}

/** The keys of the file, or undefined when there is none (verify never makes a key). */
export function existingAuditKeys(file: string): AuditKeys | undefined {
  return derived.get(file) ?? (existsSync(file) ? auditKeys(file) : undefined);
}

export function publicKeyPem(keys: AuditKeys): string {
  return keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
}
