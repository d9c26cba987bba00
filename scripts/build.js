#!/usr/bin/env node
/**
 * npm run build: src/ compiled to dist/, one JavaScript module per TypeScript module in the same
 * layout (dist/cli/main.js, dist/modules/intel/intel.worker.js, ...), by esbuild. Types are
 * checked apart (npm run typecheck): esbuild only removes them.
 *
 * Data files the program reads at run time (*.json under src/, such as the demo alliance's data)
 * are copied to the same place in dist/.
 *
 * Only files whose output changed are written, each atomically (a temporary file renamed over
 * it), so a build while nodes or tests run from dist/ never shows them a half-written module.
 *
 *   node scripts/build.js              build
 *   node scripts/build.js --if-stale   build only when a source is newer than its output
 *   node scripts/build.js --out DIR    into DIR instead of dist/
 *   node scripts/build.js --no-web     the program only, not the web application
 *
 * The web application (web/, React) is built by Vite into dist/web/: into a new folder first,
 * which then replaces the old one, so that a node starting meanwhile never reads half of it.
 */
import { Buffer } from 'node:buffer';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');
const WEB = path.join(ROOT, 'web');

/** The TypeScript modules of the program: every .ts under src/ but tests and declarations. */
function sources(dir = SRC, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(file, found);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) found.push(file);
  }
  return found;
}

/** Data files the program reads beside its modules (new URL('./alliance/members.json', import.meta.url)). */
function dataFiles(dir = SRC, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) dataFiles(file, found);
    else if (entry.name.endsWith('.json')) found.push(file);
  }
  return found;
}

function outputOf(source, out) {
  return path.join(out, path.relative(SRC, source)).replace(/\.ts$/, '.js');
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The web application's sources: every file under web/. */
function webSources(dir = WEB, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) webSources(file, found);
    else found.push(file);
  }
  return found;
}

/** A source newer than its output (or without one), if any. */
export function staleSource(out = DIST, web = true) {
  for (const source of [...sources(), ...dataFiles()]) {
    const built = mtime(outputOf(source, out));
    if (built === undefined || built < mtime(source)) return source;
  }
  if (web) {
    const built = mtime(path.join(out, 'web', 'index.html'));
    for (const source of webSources()) if (built === undefined || built < mtime(source)) return source;
  }
  return undefined;
}

/**
 * The web application into OUT/web/, by Vite. Without Vite (an install without development
 * dependencies) the web application already built is kept, and a note says so.
 */
export async function buildWeb(out = DIST) {
  const started = performance.now();
  let vite;
  try {
    vite = await import('vite');
  } catch {
    return { skipped: 'Vite is not installed (npm install without --omit=dev builds the web application)', ms: 0 };
  }
  const target = path.join(out, 'web');
  const fresh = `${target}.${process.pid}.tmp`;
  rmSync(fresh, { recursive: true, force: true });
  await vite.build({ configFile: path.join(WEB, 'vite.config.ts'), logLevel: 'warn', build: { outDir: fresh, emptyOutDir: true } });
  const old = `${target}.${process.pid}.old`;
  try {
    renameSync(target, old);
  } catch {
    // No earlier build.
  }
  renameSync(fresh, target);
  rmSync(old, { recursive: true, force: true });
  return { ms: Math.round(performance.now() - started) };
}

function writeIfChanged(file, contents) {
  let current;
  try {
    current = readFileSync(file);
  } catch {
    current = undefined;
  }
  if (current !== undefined && Buffer.compare(current, contents) === 0) {
    // Same output (the source changed in its types or comments only): now current.
    const now = new Date();
    utimesSync(file, now, now);
    return false;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
  return true;
}

/** Outputs of sources that are gone, so dist/ holds nothing that src/ no longer has. */
function removeStray(expected, dir, root = dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      // The web application's folder is Vite's (buildWeb), with its temporaries beside it.
      if (dir === root && entry.name.startsWith('web')) continue;
      removeStray(expected, file, root);
    } else if (!expected.has(file) && !entry.name.endsWith('.tmp')) rmSync(file, { force: true });
  }
}

export async function build(out = DIST) {
  const started = performance.now();
  const { build: esbuild } = await import('esbuild');
  const entryPoints = sources();
  const result = await esbuild({
    entryPoints,
    outdir: out,
    outbase: SRC,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    write: false,
    logLevel: 'warning',
  });
  let written = 0;
  for (const output of result.outputFiles) if (writeIfChanged(output.path, Buffer.from(output.contents))) written++;
  const copies = dataFiles().map((source) => ({ path: outputOf(source, out), contents: readFileSync(source) }));
  for (const copy of copies) if (writeIfChanged(copy.path, copy.contents)) written++;
  removeStray(new Set([...result.outputFiles, ...copies].map((o) => o.path)), out);
  return { modules: entryPoints.length, written, ms: Math.round(performance.now() - started) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  const web = !process.argv.includes('--no-web');
  const at = process.argv.indexOf('--out');
  const out = at > 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]) : DIST;
  if (!ifStale || staleSource(out, web) !== undefined) {
    try {
      const { modules, written, ms } = await build(out);
      const shown = out.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, out) : out;
      process.stderr.write(`${shown}/: ${modules} modules compiled, ${written} files written (${ms} ms)\n`);
      if (web) {
        const result = await buildWeb(out);
        process.stderr.write(result.skipped ? `${shown}/web/: not built: ${result.skipped}\n` : `${shown}/web/: web application built (${result.ms} ms)\n`);
      }
    } catch (error) {
      process.stderr.write(`build failed: ${error.message}\n`);
      process.exitCode = 1;
    }
  }
}
