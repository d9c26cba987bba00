/**
 * Sealing of credentials this node must be able to use again (tokens and passwords it presents
 * to peers): AES-256-GCM under a node key kept in a file of its own (mode 0600), apart from the
 * store. Credentials others present to this node are hashed instead, never sealed.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const PREFIX = 'v1:';
const keys = new Map<string, Buffer>();

/** The key in the file, made (32 random bytes, base64) when the file does not exist. */
export function nodeKey(file: string): Buffer {
  const cached = keys.get(file);
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(path.dirname(file), { recursive: true });
    text = randomBytes(32).toString('base64');
    try {
      writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      text = readFileSync(file, 'utf8').trim();
    }
    chmodSync(file, 0o600);
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key; move it away to have a new one made (sealed peer credentials must then be given again)`);
  keys.set(file, key);
  return key;
}

export function seal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

export function unseal(key: Buffer, sealed: string): string {
  if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed value');
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('a sealed credential does not open with this node key: was the key file replaced? Give the peer credential again');
  }
}
