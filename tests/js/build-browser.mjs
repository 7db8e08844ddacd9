#!/usr/bin/env node
// Bundle the browser side of the P2PT and WebDrop tests with esbuild, one ES module each:
//   p2pt-page.js     p2pt built from source (its prebuilt dist/p2pt.iife.js fires `peerconnect`
//                    twice) plus the scripted driver (lib/p2pt-page.mjs)
//   webdrop-page.js  the WebDrop v2 peer (lib/webdrop-page.mjs): p2pt, simple-peer-files 1.2.3 and
//                    simple-peer 9.7.2 (its require of "simple-peer" goes to
//                    lib/simple-peer-browser.cjs: no ICE server), with Buffer and process
//                    injected for their CommonJS modules (lib/browser-globals.mjs)
//
//   node build-browser.mjs [--outdir=DIR]      (default: tests/js/gen, which git ignores)
//
// Prints the paths of the bundles. Takes about a second.
import { build } from 'esbuild'
import { createRequire } from 'node:module'
import { dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const arg = process.argv.slice(2).find(a => a.startsWith('--outdir='))
const outdir = resolve(arg ? arg.slice('--outdir='.length) : join(HERE, 'gen'))

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser', // picks p2pt's source and the webrtc-polyfill shim's browser side
  target: ['chrome110', 'firefox115'],
  // Some dependencies still say `global` (queue-microtask's fallback).
  define: { global: 'globalThis' },
  logLevel: 'warning',
}

// simple-peer-files' require("simple-peer") → the shim; the shim's "simple-peer-real" → the
// simple-peer that simple-peer-files itself resolves (its own copy if it has one).
const spfDir = dirname(createRequire(join(HERE, 'package.json')).resolve('simple-peer-files/package.json'))
const realPeer = createRequire(join(spfDir, 'package.json')).resolve('simple-peer')
const simplePeerShim = {
  name: 'simple-peer-shim',
  setup (b) {
    b.onResolve({ filter: /^simple-peer$/ }, args =>
      args.importer.startsWith(spfDir + sep) ? { path: join(HERE, 'lib/simple-peer-browser.cjs') } : undefined)
    b.onResolve({ filter: /^simple-peer-real$/ }, () => ({ path: realPeer }))
  },
}

const p2ptPage = join(outdir, 'p2pt-page.js')
const webdropPage = join(outdir, 'webdrop-page.js')
await Promise.all([
  build({ ...common, entryPoints: [join(HERE, 'lib/p2pt-page.mjs')], outfile: p2ptPage }),
  build({
    ...common,
    entryPoints: [join(HERE, 'lib/webdrop-page.mjs')],
    outfile: webdropPage,
    inject: [join(HERE, 'lib/browser-globals.mjs')],
    plugins: [simplePeerShim],
  }),
])
console.log(p2ptPage)
console.log(webdropPage)
