import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, and shared/ beside it (as in CI's clone). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(REPO_ROOT, '../shared');
export const ATTACK_ICS = path.join(SHARED, 'corpora/attack-ics/ics-attack.json');
