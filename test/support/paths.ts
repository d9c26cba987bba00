import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Corpora the tests read, inside the repository (each with its licence). */
export const FIXTURES = path.join(REPO_ROOT, 'test/fixtures');
/** MITRE ATT&CK for ICS, a real STIX 2.1 bundle of 1,826 objects (test/fixtures/attack-ics/LICENSE.txt). */
export const ATTACK_ICS = path.join(FIXTURES, 'attack-ics/ics-attack.json');
/**
 * Third-party conformance data kept beside the repository, in ../shared/conformance (its terms
 * keep it out of the repository); tests that need it are skipped, with the reason, without it.
 */
export const SHARED_CONFORMANCE = path.resolve(REPO_ROOT, '../shared/conformance');
