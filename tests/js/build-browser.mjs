#!/usr/bin/env node
// Bundle the browser side of the P2PT tests with esbuild: p2pt built from source (its prebuilt
// dist/p2pt.iife.js fires `peerconnect` twice) plus the scripted driver, one ES module.
//
//   node build-browser.mjs [--outdir=DIR]      (default: tests/js/gen, which git ignores)
//
// Prints the path of the bundle. Takes well under a second.
import { build } from 'esbuild'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const arg = process.argv.slice(2).find(a => a.startsWith('--outdir='))
const outdir = resolve(arg ? arg.slice('--outdir='.length) : join(HERE, 'gen'))
const outfile = join(outdir, 'p2pt-page.js')

await build({
  entryPoints: [join(HERE, 'lib/p2pt-page.mjs')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'browser', // picks p2pt's source and the webrtc-polyfill shim's browser side
  target: ['chrome110', 'firefox115'],
  // Some dependencies still say `global` (queue-microtask's fallback).
  define: { global: 'globalThis' },
  logLevel: 'warning',
})
console.log(outfile)
