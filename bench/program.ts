/**
 * The benchmarks measure the program as it runs: compiled into dist/ (npm run build), the form
 * `shieldwall` and `npm start` run, worker threads included; not the sources through tsx, whose
 * loader compiles every module (a worker thread's too) when first loaded. The types are the
 * sources'.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../test/support/paths.js';

let built = false;

/** The compiled module of src/<name>.ts (built first when a source is newer than its output). */
export async function program<T>(name: string): Promise<T> {
  if (!built) {
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build.js'), '--if-stale'], { stdio: ['ignore', 'ignore', 'inherit'] });
    built = true;
  }
  return (await import(pathToFileURL(path.join(REPO_ROOT, 'dist', `${name}.js`)).href)) as T;
}
