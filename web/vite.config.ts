/**
 * The web application's build: web/ → dist/web/ (index.html and hashed assets), run by
 * `npm run build` (scripts/build.js). Everything the page loads comes from the node itself: the
 * node's Content-Security-Policy allows no other host.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  // `npx vite web`: the sources with hot reload, the API of a running node behind them.
  server: { proxy: { '/api': { target: process.env.SHIELDWALL_URL ?? 'http://127.0.0.1:8080', changeOrigin: true } } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Nothing inlined as data: URLs; the policy allows scripts and styles from the node only.
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
  },
});
