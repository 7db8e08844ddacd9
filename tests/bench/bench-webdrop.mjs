#!/usr/bin/env node
// One big file between Ferry and WebDrop v2 in headless Chromium, against WebDrop ↔ WebDrop, in
// the same run on the same machine, through a local reference tracker. Run it inside
// tests/netns-run.sh.
//
//   bench-webdrop.mjs --ferry-cli=PATH [--size-mib=256] [--mdns=hide|show] [--timeout=900]
//                     [--json] [--verbose]
//
// The WebDrop peers are tests/js/lib/webdrop-logic.mjs (WebDrop's Shares.vue/App.vue on the real
// P2PT 1.6, simple-peer-files 1.2.3 and simple-peer 9.7.2) in pages of one headless Chromium
// (tests/js/lib/webdrop-browser.mjs: each page on a loopback address of its own, so each has a
// renderer process of its own). Three transfers of the same random file, one after the other,
// each with new peers in a room of its own:
//   Ferry → WebDrop     `ferry-cli send --room webdrop:CODE FILE`; the page downloads it
//                       (WebDrop's autoStart)
//   WebDrop → Ferry     the page shares it; `ferry-cli receive webdrop:CODE --yes`
//   WebDrop → WebDrop   one page shares it, the other downloads it
// Timed at the receiver, from the moment it learns of the share (the page's newShare, or
// ferry-cli's `offer` line) to the file complete there (the page's simple-peer-files 'done',
// when it sends FILE_END; ferry-cli's `file-done` line): the file connection's signalling, ICE,
// DTLS, SCTP and every byte. A page loads the file it shares (over loopback HTTP, into a Blob)
// before it announces it, so that load is not timed. Each received file's SHA-256 is checked
// (hashed in the page; ferry-cli's file-done and the file on disk). No speed is asserted.
//
// Exit 0 with figures, 1 when a transfer failed, 77 when node's packages or Chromium are missing
// (a failure when CI=true).

import { createHash, randomBytes } from 'node:crypto'
import { accessSync, constants as fsc, createReadStream, mkdirSync, openSync, writeSync, closeSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const JS = join(dirname(fileURLToPath(import.meta.url)), '..', 'js')
const { findBrowser, finish, skipOrFail, spawnTracked, tempDir } = await import(join(JS, 'lib/harness.mjs'))
const { abbrev, missingPackage, parseFerryEvent, reporter, secs, startTracker } = await import(join(JS, 'lib/room-procs.mjs'))

const o = { ferryCli: null, sizeMiB: 256, mdns: 'hide', timeout: 900, json: false, verbose: false }
for (const arg of process.argv.slice(2)) {
  const [, name, v] = /^--([a-z-]+)(?:=(.*))?$/.exec(arg) ?? []
  if (name === 'ferry-cli') o.ferryCli = v
  else if (name === 'size-mib') o.sizeMiB = Number(v)
  else if (name === 'mdns') o.mdns = v
  else if (name === 'timeout') o.timeout = Number(v)
  else if (name === 'json') o.json = true
  else if (name === 'verbose') o.verbose = true
  else { process.stderr.write(`bench-webdrop: unknown argument '${arg}'\n`); process.exit(2) }
}
if (!o.ferryCli || !(o.sizeMiB > 0) || !['hide', 'show'].includes(o.mdns) || !(o.timeout > 0)) {
  process.stderr.write('usage: bench-webdrop.mjs --ferry-cli=PATH [--size-mib=256] [--mdns=hide|show] [--timeout=900] [--json] [--verbose]\n')
  process.exit(2)
}

const label = 'bench-webdrop'
const MiB = 1024 * 1024
const size = Math.round(o.sizeMiB * MiB)
const STEP_MS = Math.min(o.timeout * 1000, 600000)

const log = (tag, ev) => {
  const loud = ['peer-joined', 'peer-left', 'error', 'offer', 'file-done', 'done', 'share-added', 'file-connected', 'file-received', 'file-sent',
    'file-error', 'file-cancelled', 'uncaught', 'console', 'exit', 'timeout']
  if (!o.verbose && !loud.includes(ev.event) && !loud.includes(ev.type)) return
  const { at, ...rest } = ev
  process.stderr.write(`[${secs()} s] ${tag}: ${abbrev(rest, 240)}\n`)
}
const note = msg => process.stderr.write(`[${secs()} s] ${msg}\n`)

/** `size` random bytes in a file, written in 4 MiB pieces: { path, sha256 }. */
function makeFile (dir) {
  const path = join(dir, 'big.bin')
  const hash = createHash('sha256')
  const fd = openSync(path, 'w')
  for (let left = size; left > 0;) {
    const piece = randomBytes(Math.min(left, 4 * MiB))
    writeSync(fd, piece)
    hash.update(piece)
    left -= piece.length
  }
  closeSync(fd)
  return { path, name: 'big.bin', sha256: hash.digest('hex') }
}

function sha256File (path) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(path).on('data', d => hash.update(d)).on('end', () => resolve(hash.digest('hex'))).on('error', reject)
  })
}

let tracker
let host
let roomNo = 0

/** ferry-cli send/receive --json --yes in `room`: { json, events, exited, stop() }. */
function startFerry (tag, mode, room, { dir = null, paths = [] } = {}) {
  const base = tempDir('bench-ferry')
  const common = ['--yes', '--json', '--state-dir', join(base, 'state'), '--tracker', tracker.url,
    '--name', `Ferry ${tag}`, '--identity', join(base, 'identity')]
  const args = mode === 'receive' ? ['receive', room, '--dir', dir, ...common] : ['send', '--room', room, ...common, ...paths]
  const json = reporter(`${tag} json`, log)
  const events = reporter(tag, log)
  const stderr = []
  const proc = spawnTracked(o.ferryCli, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, FERRY_STUN_SERVERS: '', FERRY_TRACKERS: '' } })
  proc.stdin.on('error', () => {})
  createInterface({ input: proc.stdout, crlfDelay: Infinity }).on('line', line => { try { json.push(JSON.parse(line)) } catch { json.push({ type: 'output', line }) } })
  createInterface({ input: proc.stderr, crlfDelay: Infinity }).on('line', line => {
    stderr.push(line)
    const ev = parseFerryEvent(line)
    if (ev) events.push(ev)
  })
  const exited = new Promise(resolve => {
    proc.on('exit', (code, signal) => { events.push({ event: 'exit', code, signal }); resolve({ code, signal }) })
    proc.on('error', err => resolve({ code: null, error: err.message }))
  })
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
    await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 5000))])
  }
  return { json, events, stderr, exited, stop }
}

/** A WebDrop page in a new room's `code`: the peer of webdrop-browser.mjs, with `id`. */
async function startWebDrop (tag, code) {
  const p = await host.startPeer({ tag, params: [['tracker', tracker.url], ['room', code], ['name', `${tag} Chrome120`], ['timeout', String(o.timeout)]] })
  p.id = (await p.events.wait(e => e.event === 'ready', 20000, 'ready')).peer_id
  return p
}

const userOf = (w, id) => w.events.wait(e => e.event === 'init' && e.peer === id, 30000, `init from ${id}`)
/** The receiving page's 'done' (the forced last transfer-progress) and its file-received. */
async function pageReceived (w, shareID) {
  const done = await w.events.wait(e => e.event === 'transfer-progress' && e.dir === 'receive' && e.shareID === shareID && e.bytes === e.total && e.total > 0,
    STEP_MS, 'the whole file')
  const got = await w.events.wait(e => e.event === 'file-received' && e.shareID === shareID, 60000, 'file-received (hashed in the page)')
  return { done, got }
}
/** Rejects when the page reports a failure (raced against the transfer; later ones are ignored). */
const failIn = (w, what) => {
  const p = w.events.wait(e => ['file-error', 'file-cancelled', 'uncaught', 'exit', 'timeout'].includes(e.event), STEP_MS, what)
    .then(e => { throw new Error(`${w.tag}: ${abbrev(e, 300)}`) }, () => new Promise(() => {}))
  p.catch(() => {})
  return p
}

async function ferryToWebDrop (file) {
  const code = `Bw${++roomNo}x`
  const w = await startWebDrop('W', code)
  const f = startFerry('ferry-send', 'send', `webdrop:${code}`, { paths: [file.path] })
  try {
    const added = await w.events.wait(e => e.event === 'share-added' && e.name === file.name, 30000, 'newShare from Ferry')
    const { done, got } = await Promise.race([pageReceived(w, added.shareID), failIn(w, 'a failure')])
    if (got.sha256 !== file.sha256 || got.size !== size) throw new Error(`WebDrop got ${got.size} bytes with SHA-256 ${got.sha256}`)
    const ex = await Promise.race([f.exited, new Promise(resolve => setTimeout(() => resolve({ timeout: true }), 30000))])
    if (ex.code !== 0) throw new Error(`ferry-cli send ended with ${ex.timeout ? 'no exit in 30 s' : ex.code ?? ex.signal}: ${abbrev(f.json.seen.filter(e => e.type === 'error'))}`)
    return { seconds: (done.at - added.at) / 1000 }
  } finally {
    await f.stop()
    await w.stop()
  }
}

async function webDropToFerry (file) {
  const code = `Bw${++roomNo}x`
  const dir = join(tempDir('bench-wd-in'), 'in')
  mkdirSync(dir)
  const w = await startWebDrop('W', code)
  const f = startFerry('ferry-receive', 'receive', `webdrop:${code}`, { dir })
  try {
    const ferryId = (await f.events.wait(e => e.event === 'joining', 15000, 'joining'))['peer-id']
    await userOf(w, ferryId)
    await w.command({ cmd: 'share', path: file.path }, 120000)
    const offer = await f.json.wait(e => e.type === 'offer', 30000, 'the offer')
    const doneLine = await Promise.race([
      f.json.wait(e => (e.type === 'file-done' || e.type === 'error') && e.transfer === offer.transfer, STEP_MS, 'file-done'),
      failIn(w, 'a failure'),
    ])
    if (doneLine.type === 'error') throw new Error(`ferry-cli receive: ${doneLine.message}`)
    if (doneLine.sha256 !== file.sha256 || doneLine.size !== size) throw new Error(`Ferry's file-done: ${abbrev(doneLine, 300)}`)
    const onDisk = await sha256File(doneLine.local)
    if (onDisk !== file.sha256) throw new Error(`the file on disk has SHA-256 ${onDisk}`)
    return { seconds: (doneLine.at - offer.at) / 1000 }
  } finally {
    await f.stop()
    await w.stop()
  }
}

async function webDropToWebDrop (file) {
  const code = `Bw${++roomNo}x`
  const w1 = await startWebDrop('W1', code)
  const w2 = await startWebDrop('W2', code)
  try {
    await userOf(w1, w2.id)
    await userOf(w2, w1.id)
    const { shareID } = await w1.command({ cmd: 'share', path: file.path }, 120000)
    const added = await w2.events.wait(e => e.event === 'share-added' && e.shareID === shareID, 30000, 'newShare')
    const { done, got } = await Promise.race([pageReceived(w2, shareID), failIn(w1, 'a failure'), failIn(w2, 'a failure')])
    if (got.sha256 !== file.sha256 || got.size !== size) throw new Error(`W2 got ${got.size} bytes with SHA-256 ${got.sha256}`)
    return { seconds: (done.at - added.at) / 1000 }
  } finally {
    await w1.stop()
    await w2.stop()
  }
}

async function main () {
  const missing = missingPackage(['p2pt', 'bittorrent-tracker', 'simple-peer', 'simple-peer-files', 'esbuild', 'buffer'])
  if (missing) return skipOrFail(label, `npm package ${missing} is missing (run npm ci in tests/js)`)
  if (!findBrowser('chromium')) return skipOrFail(label, 'chromium is not installed')
  try { accessSync(o.ferryCli, fsc.X_OK) } catch { process.stderr.write(`bench-webdrop: ${o.ferryCli} is not executable\n`); process.exit(2) }
  setTimeout(() => { console.log(`${label} FAIL: timed out after ${o.timeout} s`); finish(1) }, o.timeout * 1000).unref()

  const t = performance.now()
  const file = makeFile(tempDir('bench-wd-src'))
  note(`${o.sizeMiB} MiB of random bytes written in ${((performance.now() - t) / 1000).toFixed(1)} s, SHA-256 ${file.sha256}`)
  const { startBrowserHost } = await import(join(JS, 'lib/webdrop-browser.mjs'))
  tracker = await startTracker({ log: o.verbose ? log : null })
  host = await startBrowserHost('chromium', { log, mdns: o.mdns, verbose: o.verbose })

  const runs = [
    ['Ferry → WebDrop', 'ferryToWebDrop', ferryToWebDrop],
    ['WebDrop → Ferry', 'webDropToFerry', webDropToFerry],
    ['WebDrop → WebDrop', 'webDropToWebDrop', webDropToWebDrop],
  ]
  const results = {}
  let failed = false
  for (const [what, key, fn] of runs) {
    note(`${what}: starting`)
    try {
      const r = await fn(file)
      results[key] = { ...r, mbPerS: size / 1e6 / r.seconds }
      note(`${what}: ${r.seconds.toFixed(2)} s, SHA-256 verified`)
    } catch (err) {
      failed = true
      results[key] = { error: String(err?.message ?? err) }
      note(`${what}: FAILED: ${err.message}`)
    }
  }
  await host.close()
  await tracker.stop()

  const fmt = r => r.error ? `FAILED: ${r.error}` : `${r.seconds.toFixed(2).padStart(8)} s  ${r.mbPerS.toFixed(1).padStart(7)} MB/s  SHA-256 ok`
  console.log(`${o.sizeMiB} MiB file through a local tracker, WebDrop v2 in headless Chromium (mDNS ${o.mdns}), share → file complete at the receiver`)
  for (const [what, key] of runs) console.log(`${what.padEnd(18)} ${fmt(results[key])}`)
  const ww = results.webDropToWebDrop
  const ratio = key => (results[key].error || ww.error) ? null : results[key].seconds / ww.seconds
  const r1 = ratio('ferryToWebDrop')
  const r2 = ratio('webDropToFerry')
  console.log(`ratio of times Ferry→WebDrop / WebDrop→WebDrop: ${r1 === null ? 'n/a' : r1.toFixed(2)}`)
  console.log(`ratio of times WebDrop→Ferry / WebDrop→WebDrop: ${r2 === null ? 'n/a' : r2.toFixed(2)}`)
  if (o.json) console.log(JSON.stringify({ sizeMiB: o.sizeMiB, mdns: o.mdns, results, ratios: { ferryToWebDrop: r1, webDropToFerry: r2 } }))
  return finish(failed ? 1 : 0)
}

main().catch(err => { console.log(`${label} FAIL: ${err.stack ?? err}`); finish(1) })
