#!/usr/bin/env node
// Ferry ↔ WebDrop v2, files: `ferry-cli send` and `ferry-cli receive` in a WebDrop room and
// WebDrop's share logic (webdrop-peer.mjs: Shares.vue and App.vue on the real P2PT 1.6 and the
// real simple-peer-files 1.2.3 over simple-peer 9.7.2, in Node with @roamhq/wrtc) meet through a
// local reference tracker. Run it inside tests/netns-run.sh: nothing may reach a real network
// (every WebRTC connection here has no ICE server at all).
//
//   webdrop-files.mjs --ferry-cli=PATH [--peer=node|chromium|firefox] [--mdns=hide|show]
//                     [--steps=a,b,…] [--timeout=150] [--verbose]
//   webdrop-files.mjs --self-check [--peer=…] [--steps=…]   two WebDrop peers instead (no
//                     Ferry): proves the WebDrop peer and its shims
//
// --peer: webdrop-peer.mjs in Node (the default), or the same logic in pages of one headless
// Chromium or Firefox ESR (lib/webdrop-browser.mjs), where simple-peer-files has the browser's
// own File, Blob and FileReader and simple-peer 9 the browser's WebRTC. A page's shared files
// come from the runner over loopback HTTP; what it receives is hashed in the page, not written.
// --mdns: with a browser, host candidates as mDNS .local names (the browsers' default) or not.
//
// Every step starts its own WebDrop peer(s) and ferry-cli, in room webdrop:CODE (CODE with upper
// and lower case and a digit), and ends them. Each step is reported as "step NAME: PASS|FAIL (…)".
// Ferry steps:
//   to-ferry       WebDrop shares a 10 MiB random file and an empty file while `ferry-cli receive`
//                  is in the room: one `offer` each (direction receive, files 1, total = size,
//                  paths = [name]), `file-done` with the source's SHA-256 (and the file on disk
//                  is the same), `done` each, exit 0. The empty file must not hang Ferry (WebDrop
//                  itself never ends one: no chunk, so no FILE_END)
//   to-webdrop     `ferry-cli send` of a 10 MiB file and an empty file: WebDrop gets two
//                  newShares (40-hex shareID, base name, size) and both files byte-identical;
//                  Ferry printed one `offer` (files 2), two `file-done`, one `done`; exit 0
//   three-at-once  three files each way at once: WebDrop shares 3 to `ferry-cli receive`, then
//                  gets 3 from `ferry-cli send` (one after the other: a `send` that met the
//                  Ferry receiver would be done once that one had everything)
//   folder         `ferry-cli send` of folder a (a/x.txt, a/b/y.bin, empty a/c): WebDrop gets
//                  x.txt and y.bin under those plain names; Ferry printed a `note`
//   pause-resume   WebDrop, receiving 10 MiB from `ferry-cli send`, pauses at 3 MiB (0x04): the
//                  bytes held stop growing; it resumes (0x05) and the file completes identical
//   interrupt      WebDrop's file connection is torn down at 5 MiB, then WebDrop downloads
//                  again: its signals carry start = the bytes it holds (> 0), Ferry sends from
//                  there (no second FILE_START), the file completes identical; exit 0
//   cancel         WebDrop, receiving from `ferry-cli send`, cancels (0x06) at 2 MiB: ferry-cli
//                  ends with exit 3 or an `error` line. Then `ferry-cli receive` cancels
//                  (stdin `cancel ID`) while WebDrop sends 32 MiB: WebDrop reports the cancel
//                  by the remote; nothing is left in Ferry's folder (no file, no .part)
//   hostile        WebDrop shares names ../../escape.txt, /etc/passwd-ferry, a\0b, CON, 300 × é,
//                  ".", "" and one lying size (announced 1000, 5000 bytes sent): no file appears
//                  outside Ferry's folder, every `file-done` is inside it, the liar ends with an
//                  `error` line and no file under its name
//   lax-duplicate  WebDrop announces its share a second time (as it does when asked for its
//                  shares again): Ferry makes one offer and receives the file once; exit 0
//   lax-file-end   WebDrop, receiving from `ferry-cli send`, tears its file connection down
//                  without its FILE_END getting out (WebDrop closes right after sending it, so
//                  it can be lost): Ferry, which sent every byte, counts the file done; exit 0
// Self-check steps (--self-check, WebDrop W1 ↔ WebDrop W2): wd-transfer (10 MiB + empty, and
// three files each way at once), wd-pause-resume, wd-interrupt, wd-cancel (receiver cancels,
// then sender cancels).
//
// Exit: 0 pass, 1 fail, 77 when node's packages or the browser are missing (a failure when CI=true).

import { createHash, randomBytes } from 'node:crypto'
import { accessSync, constants as fsc, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { join, relative, resolve, sep } from 'node:path'
import { check, findBrowser, finish, skipOrFail, spawnTracked, stepRunner, tail, tempDir } from './lib/harness.mjs'
import { flagsToParams, startBrowserHost } from './lib/webdrop-browser.mjs'
import { abbrev, missingPackage, parseFerryEvent, reporter, secs, startControlled, startTracker, writeLine } from './lib/room-procs.mjs'

// --- options -----------------------------------------------------------------------------------

const FERRY_STEPS = ['to-ferry', 'to-webdrop', 'three-at-once', 'folder', 'pause-resume', 'interrupt', 'cancel', 'hostile',
  'lax-duplicate', 'lax-file-end']
const SELF_STEPS = ['wd-transfer', 'wd-pause-resume', 'wd-interrupt', 'wd-cancel']
const opts = { ferryCli: null, selfCheck: false, peer: 'node', mdns: 'hide', steps: null, timeout: 150, verbose: false }
for (const arg of process.argv.slice(2)) {
  const [, name, v] = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg) ?? []
  if (name === 'ferry-cli') opts.ferryCli = v
  else if (name === 'self-check') opts.selfCheck = true
  else if (name === 'peer') opts.peer = v
  else if (name === 'mdns') opts.mdns = v
  else if (name === 'steps') opts.steps = v.split(',').filter(Boolean)
  else if (name === 'timeout') opts.timeout = Number(v)
  else if (name === 'verbose') opts.verbose = true
  else die(`unknown argument '${arg}'`)
}
if (!opts.ferryCli && !opts.selfCheck) die('--ferry-cli=PATH (or --self-check) is required')
if (!(opts.timeout > 0)) die('--timeout needs a number of seconds')
if (!['node', 'chromium', 'firefox'].includes(opts.peer)) die('--peer must be node, chromium or firefox')
if (!['hide', 'show'].includes(opts.mdns)) die('--mdns must be hide or show')
const ALL = opts.selfCheck ? SELF_STEPS : FERRY_STEPS
opts.steps ??= ALL
for (const s of opts.steps) if (!ALL.includes(s)) die(`unknown step ${s} (${ALL.join(', ')})`)

function die (msg) {
  process.stderr.write(`webdrop-files: ${msg}\n`)
  process.exit(2)
}

const browser = opts.peer !== 'node'
const label = `webdrop-files ${opts.selfCheck ? 'self-check' : 'ferry'} peer=${opts.peer}${browser ? ` mdns=${opts.mdns}` : ''}`
const CODE = 'Qd4n' // mixed case and a digit; not the chat test's
const ROOM = `webdrop:${CODE}`
const MiB = 1024 * 1024
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const sha256 = b => createHash('sha256').update(b).digest('hex')

const log = (tag, ev) => {
  const quiet = ['sent', 'file-signal', 'transfer-progress', 'object', 'progress', 'trackerconnect', 'ready']
  if (!opts.verbose && (quiet.includes(ev.event) || quiet.includes(ev.type))) return
  const { at, ...rest } = ev
  process.stderr.write(`[${secs()} s] ${tag}: ${abbrev(rest, 300)}\n`)
}
const note = msg => process.stderr.write(`[${secs()} s] ${msg}\n`)

/** Fail after `ms` with `what`. */
function within (promise, ms, what) {
  let timer
  return Promise.race([promise, new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms / 1000} s for ${what} in vain`)), ms)
  })]).finally(() => clearTimeout(timer))
}

/** A file of `size` random bytes (or the given bytes) at dir/name: { path, name, size, sha256 }. */
function makeFile (dir, name, size, bytes = null) {
  mkdirSync(dir, { recursive: true })
  const data = bytes ?? randomBytes(size)
  const path = join(dir, name)
  writeFileSync(path, data)
  return { path, name, size: data.length, sha256: sha256(data) }
}

/** Every regular file under dir, recursively (absolute paths). */
function filesUnder (dir) {
  const found = []
  const walk = d => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else found.push(p)
    }
  }
  if (existsSync(dir)) walk(dir)
  return found
}
const inside = (dir, p) => { const r = relative(dir, resolve(p)); return r !== '' && r.split(sep)[0] !== '..' && !r.startsWith(sep) }

// --- processes ---------------------------------------------------------------------------------

let tracker
let host = null // the browser of a --peer=chromium|firefox run

/**
 * webdrop-peer.mjs in control mode, or the same in a page of the browser:
 * { events, command(cmd), stop(), exited, id: Promise<hex> }.
 */
async function startWebDrop (tag, { downloadDir = null, extra = [] } = {}) {
  if (browser) {
    const params = [['tracker', tracker.url], ['room', CODE], ['name', `${tag} Chrome120`], ['timeout', String(opts.timeout)], ...flagsToParams(extra)]
    const p = await host.startPeer({ tag, params })
    const id = p.events.wait(e => e.event === 'ready', 15000, 'ready').then(e => e.peer_id)
    id.catch(() => {})
    return { ...p, id }
  }
  const args = [`--tracker=${tracker.url}`, `--room=${CODE}`, `--name=${tag} Chrome120`, '--control',
    `--timeout=${opts.timeout}`, ...extra]
  if (downloadDir) args.push(`--download-dir=${downloadDir}`)
  const p = startControlled('webdrop-peer.mjs', args, { tag, log, ackMs: 15000 })
  const id = p.events.wait(e => e.event === 'ready', 15000, 'ready').then(e => e.peer_id)
  id.catch(() => {})
  const stop = async () => { p.end(); await within(p.exited, 5000, `${tag} to exit`).catch(() => p.proc.kill('SIGKILL')) }
  return { ...p, id, stop }
}

/**
 * ferry-cli send/receive with --json --yes: { json (stdout objects), events (stderr status
 * lines), stderr, exited, id: Promise<hex peer id>, command(line) (stdin), stop() }.
 */
function startFerry (tag, mode, { dir = null, paths = [], name = `Ferry ${tag}`, extra = [] } = {}) {
  const base = tempDir('ferry-files')
  const common = ['--yes', '--json', '--state-dir', join(base, 'state'), '--tracker', tracker.url,
    '--name', name, '--identity', join(base, 'identity')]
  const args = mode === 'receive'
    ? ['receive', ROOM, '--dir', dir, ...common, ...extra]
    : ['send', '--room', ROOM, ...common, ...paths]
  const json = reporter(`${tag} json`, log)
  const events = reporter(`${tag}`, log)
  const stderr = []
  const proc = spawnTracked(opts.ferryCli, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, FERRY_STUN_SERVERS: '', FERRY_TRACKERS: '' },
  })
  proc.stdin.on('error', () => {})
  createInterface({ input: proc.stdout, crlfDelay: Infinity })
    .on('line', line => { try { json.push(JSON.parse(line)) } catch { json.push({ type: 'output', line }) } })
  createInterface({ input: proc.stderr, crlfDelay: Infinity })
    .on('line', line => {
      stderr.push(line)
      const ev = parseFerryEvent(line)
      if (ev) events.push(ev)
      else log(`${tag} stderr`, { event: 'stderr', line })
    })
  const exited = new Promise(resolve => {
    proc.on('exit', (code, signal) => { events.push({ event: 'exit', code, signal }); resolve({ code, signal }) })
    proc.on('error', err => resolve({ code: null, error: err.message }))
  })
  const id = events.wait(e => e.event === 'joining', 15000, 'joining line').then(e => e['peer-id'])
  id.catch(() => {})
  const lines = type => json.seen.filter(e => e.type === type)
  const stop = async () => { proc.kill('SIGTERM'); await within(exited, 5000, `${tag} to exit`).catch(() => proc.kill('SIGKILL')) }
  return { tag, json, events, stderr, exited, id, lines, command: line => writeLine(proc, line), stop, args }
}

/** Run fn with the processes it starts (pushed on `procs`), stopping them all after. */
async function withProcs (fn) {
  const procs = []
  try {
    return await fn(procs)
  } finally {
    await Promise.all(procs.map(p => p.stop().catch(() => {})))
  }
}

const exitText = e => e.code ?? e.signal ?? e.error
/** Ferry's exit, within ms. */
const ferryExit = (f, ms) => within(f.exited, ms, `${f.tag} to exit`)
const errorsOf = f => f.lines('error').map(e => e.message)

/** W got an init from that peer id (it is a user: newShare goes to it) and P2PT reported the
 *  connection: simple-peer delivers data before its 'connect', so the init can come first, and a
 *  share aimed at the peer before peerconnect fails with "not connected". */
const userOf = (w, id, ms = 20000) => Promise.all([
  w.events.wait(e => e.event === 'init' && e.peer === id, ms, `init from ${id}`),
  w.events.wait(e => e.event === 'peerconnect' && e.peer === id, ms, `peerconnect of ${id}`),
])

/** The file-received of W for a share announced under `name`. */
const receivedAs = (w, name, ms) => w.events.wait(e => e.event === 'file-received' && e.name === name, ms, `file-received ${name}`)

// --- Ferry steps ---------------------------------------------------------------------------------

async function toFerry () {
  return withProcs(async procs => {
    const src = tempDir('wdf-src')
    const big = makeFile(src, 'big.bin', 10 * MiB)
    const empty = makeFile(src, 'empty.bin', 0)
    const dir = join(tempDir('wdf-dl'), 'in')
    mkdirSync(dir)
    const w = await startWebDrop('W'); procs.push(w)
    await w.id
    const f = startFerry('ferry-receive', 'receive', { dir, extra: ['--offers', '2'] }); procs.push(f)
    await userOf(w, await f.id)
    // Together: ferry-cli receive exits once nothing it accepted is running (a page takes a
    // moment to load each file it shares).
    await Promise.all([big, empty].map(file => w.command({ cmd: 'share', path: file.path })))
    const ex = await ferryExit(f, 40000)
    const offers = f.lines('offer')
    for (const file of [big, empty]) {
      const offer = offers.find(o => JSON.stringify(o.paths) === JSON.stringify([file.name]))
      check(offer, `no offer for ${file.name} (offers: ${abbrev(offers, 300)})`)
      check(offer.direction === 'receive' && offer.files === 1 && offer.total === file.size,
        `offer for ${file.name}: ${abbrev(offer, 200)}`)
      const done = f.lines('file-done').find(d => d.transfer === offer.transfer)
      check(done, `no file-done for ${file.name} (errors: ${errorsOf(f).join('; ') || 'none'})`)
      check(done.sha256 === file.sha256 && done.size === file.size, `${file.name}: file-done ${abbrev(done, 200)} vs sha256 ${file.sha256}`)
      check(inside(dir, done.local), `${file.name} written outside the folder: ${done.local}`)
      check(sha256(readFileSync(done.local)) === file.sha256, `${file.name} on disk differs`)
      check(f.lines('done').some(d => d.transfer === offer.transfer), `no done for ${file.name}`)
    }
    check(ex.code === 0, `ferry-cli receive exited ${exitText(ex)} (errors: ${errorsOf(f).join('; ') || 'none'})`)
    check(w.events.seen.some(e => e.event === 'file-sent' && e.bytes === big.size), 'WebDrop never got FILE_END for the 10 MiB file')
    return `${offers.length} offers, exit 0`
  })
}

async function toWebDrop () {
  return withProcs(async procs => {
    const src = tempDir('wdf-src')
    const big = makeFile(src, 'big-out.bin', 10 * MiB)
    const empty = makeFile(src, 'empty-out.bin', 0)
    const w = await startWebDrop('W', { downloadDir: tempDir('wdf-wd') }); procs.push(w)
    await w.id
    const f = startFerry('ferry-send', 'send', { paths: [big.path, empty.path] }); procs.push(f)
    for (const file of [big, empty]) {
      const added = await w.events.wait(e => e.event === 'share-added' && e.name === file.name, 20000, `newShare ${file.name}`)
      check(/^[0-9a-f]{40}$/.test(added.shareID) && added.size === file.size, `newShare of ${file.name}: ${abbrev(added, 200)}`)
      const got = await receivedAs(w, file.name, 40000)
      check(got.sha256 === file.sha256 && got.size === file.size, `WebDrop got ${file.name} as ${got.size} bytes, sha256 ${got.sha256}`)
    }
    const ex = await ferryExit(f, 20000)
    const offers = f.lines('offer')
    check(offers.length === 1 && offers[0].files === 2 && offers[0].direction === 'send', `offers: ${abbrev(offers, 300)}`)
    check(f.lines('file-done').length === 2, `${f.lines('file-done').length} file-done lines`)
    check(f.lines('done').length === 1, `${f.lines('done').length} done lines`)
    check(ex.code === 0, `ferry-cli send exited ${exitText(ex)} (errors: ${errorsOf(f).join('; ') || 'none'})`)
    const dups = w.events.seen.filter(e => e.event === 'share-added' && e.duplicate)
    return `exit 0${dups.length ? `; ${dups.length} duplicate newShare (WebDrop downloads each again)` : ''}`
  })
}

async function threeAtOnce () {
  return withProcs(async procs => {
    const src = tempDir('wdf-src')
    const ins = [1, 2, 3].map(i => makeFile(join(src, 'in'), `in-${i}.bin`, 4 * MiB + i))
    const outs = [1, 2, 3].map(i => makeFile(join(src, 'out'), `out-${i}.bin`, 4 * MiB + 10 + i))
    const dir = join(tempDir('wdf-dl'), 'in')
    mkdirSync(dir)
    const w = await startWebDrop('W', { downloadDir: tempDir('wdf-wd') }); procs.push(w)
    await w.id
    const fr = startFerry('ferry-receive', 'receive', { dir, extra: ['--offers', '3'] }); procs.push(fr)
    const frId = await fr.id
    await userOf(w, frId)
    // All at once: ferry-cli receive exits once nothing it accepted is running.
    await Promise.all(ins.map(file => w.command({ cmd: 'share', path: file.path, peer: frId })))
    const exR = await ferryExit(fr, 30000)
    for (const file of ins) {
      const offer = fr.lines('offer').find(o => JSON.stringify(o.paths) === JSON.stringify([file.name]))
      check(offer, `ferry-cli receive got no offer for ${file.name}`)
      const done = fr.lines('file-done').find(d => d.transfer === offer.transfer)
      check(done?.sha256 === file.sha256, `${file.name}: ${abbrev(done, 200)} (errors: ${errorsOf(fr).join('; ') || 'none'})`)
    }
    check(exR.code === 0, `ferry-cli receive exited ${exitText(exR)}`)
    // Then the other way, once ferry-cli receive is gone: a `send` that met another Ferry peer
    // would be done as soon as that one had everything.
    const fs = startFerry('ferry-send', 'send', { paths: outs.map(f => f.path) }); procs.push(fs)
    for (const file of outs) {
      const got = await receivedAs(w, file.name, 45000)
      check(got.sha256 === file.sha256, `WebDrop got ${file.name} with sha256 ${got.sha256}`)
    }
    const exS = await ferryExit(fs, 30000)
    check(exS.code === 0, `ferry-cli send exited ${exitText(exS)} (errors: ${errorsOf(fs).join('; ') || 'none'})`)
    return '3 + 3 files'
  })
}

async function folder () {
  return withProcs(async procs => {
    const src = tempDir('wdf-src')
    const a = join(src, 'a')
    const x = makeFile(a, 'x.txt', 0, Buffer.from('x marks the spot\n'))
    const y = makeFile(join(a, 'b'), 'y.bin', 300000)
    mkdirSync(join(a, 'c'))
    const w = await startWebDrop('W', { downloadDir: tempDir('wdf-wd') }); procs.push(w)
    await w.id
    const f = startFerry('ferry-send', 'send', { paths: [a] }); procs.push(f)
    for (const file of [x, y]) {
      const got = await receivedAs(w, file.name, 30000)
      check(got.sha256 === file.sha256, `WebDrop got ${file.name} with sha256 ${got.sha256}`)
    }
    const names = w.events.seen.filter(e => e.event === 'share-added').map(e => e.name)
    check(names.every(n => n === 'x.txt' || n === 'y.bin'), `shares named ${JSON.stringify(names)}`)
    const ex = await ferryExit(f, 20000)
    check(f.lines('note').length > 0, 'no note line (WebDrop has no folders)')
    check(ex.code === 0, `ferry-cli send exited ${exitText(ex)}`)
    return `note: ${abbrev(f.lines('note')[0].message, 100)}`
  })
}

/** WebDrop receiving 10 MiB from ferry-cli send, with `arm` armed first. */
async function ferryToWebDrop (procs, name, arm) {
  const file = makeFile(tempDir('wdf-src'), name, 10 * MiB)
  const w = await startWebDrop('W', { downloadDir: tempDir('wdf-wd') }); procs.push(w)
  await w.id
  await w.command(arm)
  const f = startFerry('ferry-send', 'send', { paths: [file.path] }); procs.push(f)
  const trig = await w.events.wait(e => e.event === 'trigger', 30000, `${arm.cmd} at ${arm.atBytes} bytes`)
  return { file, w, f, trig }
}

const held = async (w, shareID) => (await w.command({ cmd: 'state' })).shares[shareID]?.held

async function pauseResume () {
  return withProcs(async procs => {
    const { file, w, f, trig } = await ferryToWebDrop(procs, 'paused.bin', { cmd: 'pause', atBytes: 3 * MiB })
    await sleep(1000) // what was in flight arrives
    const h1 = await held(w, trig.shareID)
    await sleep(1500)
    const h2 = await held(w, trig.shareID)
    check(h2 === h1, `bytes kept coming while paused: ${h1} → ${h2}`)
    check(h2 < file.size, 'the whole file came in spite of the pause')
    await w.command({ cmd: 'resume', shareID: trig.shareID })
    const got = await receivedAs(w, file.name, 30000)
    check(got.sha256 === file.sha256, `after resume: sha256 ${got.sha256}`)
    const ex = await ferryExit(f, 20000)
    check(ex.code === 0, `ferry-cli send exited ${exitText(ex)} (errors: ${errorsOf(f).join('; ') || 'none'})`)
    return `paused at ${trig.bytes}, held ${h2} while paused`
  })
}

async function interrupt () {
  return withProcs(async procs => {
    const { file, w, f, trig } = await ferryToWebDrop(procs, 'interrupted.bin', { cmd: 'interrupt', atBytes: 5 * MiB })
    await sleep(1000)
    const mark = w.events.seen.length
    const ack = await w.command({ cmd: 'download', shareID: trig.shareID })
    check(ack.held > 0, `held ${ack.held} bytes after the interruption`)
    const sig = await w.events.wait(e => e.event === 'file-signal' && e.dir === 'out' && e.shareID === trig.shareID &&
      w.events.seen.indexOf(e) > mark, 15000, 'the new signals')
    check(sig.start > 0 && sig.start === ack.held, `the new signals say start ${sig.start} (held ${ack.held})`)
    const got = await receivedAs(w, file.name, 30000)
    check(got.sha256 === file.sha256, `after the restart: sha256 ${got.sha256}`)
    const headers = w.events.seen.filter(e => e.event === 'file-header' && e.shareID === trig.shareID)
    check(headers.length === 1, `${headers.length} FILE_START headers (a restart at start > 0 has none)`)
    const ex = await ferryExit(f, 20000)
    check(ex.code === 0, `ferry-cli send exited ${exitText(ex)} (errors: ${errorsOf(f).join('; ') || 'none'})`)
    return `cut at ${trig.bytes}, restarted from ${sig.start}`
  })
}

async function cancel () {
  const first = await withProcs(async procs => {
    const { f, trig } = await ferryToWebDrop(procs, 'cancelled.bin', { cmd: 'cancel', atBytes: 2 * MiB })
    const ended = await Promise.race([
      f.json.wait(e => e.type === 'error', 20000, 'an error line').then(e => `error "${e.message}"`),
      ferryExit(f, 20000).then(ex => ex.code === 3 ? 'exit 3' : `exit ${exitText(ex)}`),
    ])
    check(!/^exit (?!3)/.test(ended), `after WebDrop's cancel ferry-cli send ended with ${ended}`)
    return `WebDrop cancelled at ${trig.bytes}: ${ended}`
  })
  const second = await withProcs(async procs => {
    const file = makeFile(tempDir('wdf-src'), 'big-cancel.bin', 32 * MiB)
    const dir = join(tempDir('wdf-dl'), 'in')
    mkdirSync(dir)
    const w = await startWebDrop('W'); procs.push(w)
    await w.id
    const f = startFerry('ferry-receive', 'receive', { dir }); procs.push(f)
    await userOf(w, await f.id)
    const { shareID } = await w.command({ cmd: 'share', path: file.path })
    const offer = await f.json.wait(e => e.type === 'offer', 20000, 'the offer')
    await w.events.wait(e => e.event === 'transfer-progress' && e.dir === 'send' && e.shareID === shareID && e.bytes > 0, 20000, 'bytes sent')
    await f.command(`cancel ${offer.transfer}`)
    const c = await w.events.wait(e => (e.event === 'file-cancelled' && e.shareID === shareID) || (e.event === 'file-sent' && e.shareID === shareID),
      15000, 'file-cancelled on the WebDrop side')
    check(c.event === 'file-cancelled' && c.by === 'remote', `WebDrop: ${abbrev(c, 200)}`)
    const ex = await ferryExit(f, 15000)
    const left = filesUnder(dir)
    check(left.length === 0, `left in Ferry's folder: ${left.map(p => relative(dir, p)).join(', ')}`)
    return `Ferry cancelled, exit ${exitText(ex)}`
  })
  return `${first}; ${second}`
}

async function hostile () {
  return withProcs(async procs => {
    const src = tempDir('wdf-src')
    const root = tempDir('wdf-hostile')
    const dir = join(root, 'one', 'two', 'in') // ../../escape.txt would still be inside root
    mkdirSync(dir, { recursive: true })
    const passwdBefore = existsSync('/etc/passwd-ferry')
    const names = ['../../escape.txt', '/etc/passwd-ferry', 'a\u0000b', 'CON', 'é'.repeat(300), '.', '']
    const files = names.map((n, i) => ({ ...makeFile(src, `h${i}.bin`, 100 + i), as: n }))
    const liar = makeFile(src, 'liar.bin', 5000)
    const w = await startWebDrop('W'); procs.push(w)
    await w.id
    // ferry-cli receive would exit once nothing it accepted is running: a page loads the bytes of
    // each share before announcing it, so it stays for all eight offers (two are refused).
    const f = startFerry('ferry-receive', 'receive', { dir, extra: ['--offers', String(files.length + 1)] }); procs.push(f)
    await userOf(w, await f.id)
    const acks = await Promise.all([
      w.command({ cmd: 'share', path: liar.path, name: 'lie.bin', size: 1000 }),
      ...files.map(file => w.command({ cmd: 'share', path: file.path, name: file.as })),
    ])
    check(acks.every(a => a.users === 1), `shares announced to ${acks.map(a => a.users).join(', ')} users (ferry-cli receive left too early)`)
    const ex = await ferryExit(f, 40000)
    const outside = filesUnder(root).filter(p => !inside(dir, p))
    check(outside.length === 0, `files outside Ferry's folder: ${outside.join(', ')}`)
    check(passwdBefore || !existsSync('/etc/passwd-ferry'), '/etc/passwd-ferry was written')
    for (const d of f.lines('file-done')) {
      check(inside(dir, d.local), `file-done outside the folder: ${d.local}`)
      check(Buffer.byteLength(relative(dir, d.local).split(sep).pop()) <= 255, `over-long name ${d.local}`)
    }
    const liarOffer = f.lines('offer').find(o => o.total === 1000 || JSON.stringify(o.paths) === '["lie.bin"]')
    check(liarOffer, 'no offer for the lying share')
    check(f.lines('error').some(e => e.transfer === liarOffer.transfer), 'no error line for the lying share')
    check(!f.lines('file-done').some(d => d.transfer === liarOffer.transfer), 'the lying share got a file-done')
    check(!existsSync(join(dir, 'lie.bin')), 'lie.bin exists')
    check(ex.code === 1, `ferry-cli receive exited ${exitText(ex)}, not 1 (a transfer failed)`)
    const kept = filesUnder(dir).map(p => JSON.stringify(relative(dir, p)))
    return `exit ${exitText(ex)}; ${f.lines('file-done').length} files kept (${kept.join(', ')}), ${f.lines('error').length} errors`
  })
}

async function laxDuplicate () {
  return withProcs(async procs => {
    const file = makeFile(tempDir('wdf-src'), 'twice.bin', MiB)
    const dir = join(tempDir('wdf-dl'), 'in')
    mkdirSync(dir)
    const w = await startWebDrop('W'); procs.push(w)
    await w.id
    const f = startFerry('ferry-receive', 'receive', { dir }); procs.push(f)
    const fid = await f.id
    await userOf(w, fid)
    // To every user, as the other steps share: a connection P2PT is replacing may be missing
    // from its list for a moment.
    const ack = await w.command({ cmd: 'share', path: file.path })
    await w.command({ cmd: 'raw', msg: { type: 'newShare', shareID: ack.shareID, name: file.name, size: file.size, paused: false } })
    const ex = await ferryExit(f, 30000)
    check(f.lines('offer').length === 1, `${f.lines('offer').length} offers for one share`)
    const done = f.lines('file-done')
    check(done.length === 1 && done[0].sha256 === file.sha256, `file-done: ${abbrev(done, 300)}`)
    check(JSON.stringify(readdirSync(dir)) === JSON.stringify([file.name]), `the folder holds ${readdirSync(dir).join(', ')}`)
    check(ex.code === 0, `ferry-cli receive exited ${exitText(ex)} (errors: ${errorsOf(f).join('; ') || 'none'})`)
    return 'one offer, one file'
  })
}

async function laxFileEnd () {
  return withProcs(async procs => {
    const file = makeFile(tempDir('wdf-src'), 'last-word.bin', MiB)
    const w = await startWebDrop('W', { downloadDir: tempDir('wdf-wd') }); procs.push(w)
    await w.id
    await w.command({ cmd: 'lose-file-end' })
    const f = startFerry('ferry-send', 'send', { paths: [file.path] }); procs.push(f)
    await w.events.wait(e => e.event === 'file-end-lost', 30000, 'the FILE_END to be lost')
    const ex = await ferryExit(f, 20000)
    check(f.lines('file-done').length === 1, `file-done: ${abbrev(f.lines('file-done'), 200)}`)
    check(ex.code === 0, `ferry-cli send exited ${exitText(ex)} (errors: ${errorsOf(f).join('; ') || 'none'})`)
    return 'done without FILE_END'
  })
}

// --- self-check steps: WebDrop W1 ↔ WebDrop W2 -------------------------------------------------

async function pair (procs, w2extra = {}) {
  const w1 = await startWebDrop('W1', { downloadDir: tempDir('wdf-w1') }); procs.push(w1)
  const id1 = await w1.id
  const w2 = await startWebDrop('W2', { downloadDir: tempDir('wdf-w2'), ...w2extra }); procs.push(w2)
  const id2 = await w2.id
  await userOf(w1, id2)
  await userOf(w2, id1)
  return { w1, w2 }
}

async function wdTransfer () {
  return withProcs(async procs => {
    const src = tempDir('wdf-src')
    const big = makeFile(src, 'big.bin', 10 * MiB)
    const empty = makeFile(src, 'empty.bin', 0)
    const { w1, w2 } = await pair(procs)
    await w1.command({ cmd: 'share', path: big.path })
    await w1.command({ cmd: 'share', path: empty.path })
    const gotBig = await receivedAs(w2, 'big.bin', 30000)
    check(gotBig.sha256 === big.sha256 && gotBig.webdropDone, `big.bin: ${abbrev(gotBig, 200)}`)
    if (gotBig.path) check(readFileSync(gotBig.path).equals(readFileSync(big.path)), 'big.bin on disk differs')
    const gotEmpty = await receivedAs(w2, 'empty.bin', 10000)
    check(gotEmpty.size === 0 && gotEmpty.zeroByte && !gotEmpty.webdropDone, `empty.bin: ${abbrev(gotEmpty, 200)}`)
    await w1.events.wait(e => e.event === 'file-sent' && e.bytes === big.size, 10000, 'FILE_END of big.bin')
    // three each way at once
    const a = [1, 2, 3].map(i => makeFile(src, `a${i}.bin`, 3 * MiB + i))
    const b = [1, 2, 3].map(i => makeFile(src, `b${i}.bin`, 3 * MiB + 10 + i))
    await Promise.all([...a.map(f => w1.command({ cmd: 'share', path: f.path })), ...b.map(f => w2.command({ cmd: 'share', path: f.path }))])
    for (const [w, files] of [[w2, a], [w1, b]]) {
      for (const f of files) {
        const got = await receivedAs(w, f.name, 30000)
        check(got.sha256 === f.sha256, `${f.name}: sha256 ${got.sha256}`)
      }
    }
    const signals = w2.events.seen.filter(e => e.event === 'file-signal')
    check(signals.some(e => e.dir === 'in' && e.kind === 'offer') && signals.some(e => e.dir === 'out' && e.kind === 'answer') &&
      signals.some(e => e.kind === 'candidate'), 'signals: offer in, answer out, candidates')
    return '10 MiB + empty, then 3 + 3 at once'
  })
}

async function wdPauseResume () {
  return withProcs(async procs => {
    const file = makeFile(tempDir('wdf-src'), 'paused.bin', 10 * MiB)
    const { w1, w2 } = await pair(procs)
    await w2.command({ cmd: 'pause', atBytes: 3 * MiB })
    const { shareID } = await w1.command({ cmd: 'share', path: file.path })
    const trig = await w2.events.wait(e => e.event === 'trigger', 20000, 'the pause')
    await w1.events.wait(e => e.event === 'file-paused' && e.by === 'remote', 5000, "the sender's paused")
    await sleep(1000)
    // simple-peer-files counts as sent what it pushed into its stream; on libwebrtc in Node the
    // whole file may be queued already, and then it all arrives in spite of the pause
    const done = (await w2.command({ cmd: 'state' })).shares[shareID]?.done
    if (done) {
      const early = await receivedAs(w2, file.name, 10000)
      check(early.sha256 === file.sha256, `sha256 ${early.sha256}`)
      return `paused at ${trig.bytes} (0x04 reached the sender), but what was queued completed the file`
    }
    const h1 = await held(w2, shareID)
    await sleep(1200)
    const h2 = await held(w2, shareID)
    check(h1 === h2 && h2 < file.size, `held ${h1} → ${h2} while paused`)
    await w2.command({ cmd: 'resume', shareID })
    await w1.events.wait(e => e.event === 'file-resumed' && e.by === 'remote', 5000, "the sender's resumed")
    const got = await receivedAs(w2, file.name, 30000)
    check(got.sha256 === file.sha256, `sha256 ${got.sha256}`)
    return `paused at ${trig.bytes}, held ${h2}`
  })
}

async function wdInterrupt () {
  return withProcs(async procs => {
    const file = makeFile(tempDir('wdf-src'), 'cut.bin', 10 * MiB)
    const { w1, w2 } = await pair(procs)
    await w2.command({ cmd: 'interrupt', atBytes: 5 * MiB })
    const { shareID } = await w1.command({ cmd: 'share', path: file.path })
    await w2.events.wait(e => e.event === 'trigger', 20000, 'the interruption')
    await sleep(1000)
    const ack = await w2.command({ cmd: 'download', shareID })
    const got = await receivedAs(w2, file.name, 30000)
    check(got.sha256 === file.sha256, `sha256 ${got.sha256}`)
    const starts = w1.events.seen.filter(e => e.event === 'file-signal' && e.dir === 'in' && e.start > 0)
    check(starts.length > 0 && starts[0].start === ack.held, `the sender saw start ${starts[0]?.start} (held ${ack.held})`)
    const conn = w1.events.seen.filter(e => e.event === 'file-connected' && e.dir === 'send')
    check(conn.length === 2 && conn[1].start === ack.held, `the sender's second transfer starts at ${conn[1]?.start}`)
    check(w2.events.seen.filter(e => e.event === 'file-header').length === 1, 'a second FILE_START')
    return `restarted from ${ack.held}`
  })
}

async function wdCancel () {
  return withProcs(async procs => {
    const src = tempDir('wdf-src')
    const f1 = makeFile(src, 'c1.bin', 10 * MiB)
    const f2 = makeFile(src, 'c2.bin', 10 * MiB)
    const { w1, w2 } = await pair(procs)
    await w2.command({ cmd: 'cancel', atBytes: 2 * MiB })
    const s1 = (await w1.command({ cmd: 'share', path: f1.path })).shareID
    await w2.events.wait(e => e.event === 'trigger', 20000, "the receiver's cancel")
    // WebDrop destroys its connection right after sending 0x06: the sender sees the cancel, or
    // only its connection closing (both end its transfer)
    const c1 = await w1.events.wait(e => (e.event === 'file-cancelled' || e.event === 'file-closed') && e.shareID === s1, 10000, 'cancel at the sender')
    check(c1.event === 'file-closed' || c1.by === 'remote', abbrev(c1))
    await w1.command({ cmd: 'cancel', dir: 'send', atBytes: 2 * MiB })
    const s2 = (await w1.command({ cmd: 'share', path: f2.path })).shareID
    const c2 = await w2.events.wait(e => (e.event === 'file-cancelled' || e.event === 'file-closed') && e.shareID === s2, 20000, 'cancel at the receiver')
    check(c2.event === 'file-closed' || c2.by === 'remote', abbrev(c2))
    check(!w2.events.seen.some(e => e.event === 'file-received'), 'a cancelled file arrived')
    return `both ways (the sender saw ${c1.event === 'file-closed' ? 'only the close' : '0x06'})`
  })
}

// --- main --------------------------------------------------------------------------------------

const STEPS = {
  'to-ferry': toFerry,
  'to-webdrop': toWebDrop,
  'three-at-once': threeAtOnce,
  folder,
  'pause-resume': pauseResume,
  interrupt,
  cancel,
  hostile,
  'lax-duplicate': laxDuplicate,
  'lax-file-end': laxFileEnd,
  'wd-transfer': wdTransfer,
  'wd-pause-resume': wdPauseResume,
  'wd-interrupt': wdInterrupt,
  'wd-cancel': wdCancel,
}

async function main () {
  const missing = missingPackage(browser
    ? ['p2pt', 'bittorrent-tracker', 'simple-peer', 'simple-peer-files', 'esbuild', 'buffer']
    : ['@roamhq/wrtc', 'p2pt', 'bittorrent-tracker', 'simple-peer', 'simple-peer-files'])
  if (missing) return skipOrFail(label, `npm package ${missing} is missing (run npm ci in tests/js)`)
  if (browser && !findBrowser(opts.peer)) return skipOrFail(label, `${opts.peer} is not installed`)
  if (!opts.selfCheck) try { accessSync(opts.ferryCli, fsc.X_OK) } catch { die(`${opts.ferryCli} is not executable`) }
  setTimeout(() => { console.log(`${label} FAIL: timed out after ${opts.timeout} s`); finish(1) }, opts.timeout * 1000).unref()
  tracker = await startTracker({ log: opts.verbose ? log : null })
  if (browser) host = await startBrowserHost(opts.peer, { log, mdns: opts.mdns, verbose: opts.verbose })
  // Steps are independent (each has its own processes): a failure does not skip the others.
  const results = []
  for (const name of opts.steps) {
    const r = stepRunner({ verbose: opts.verbose, note })
    await r.step(name, STEPS[name])
    results.push(...r.results)
  }
  const failed = results.filter(r => r.status !== 'PASS')
  if (failed.length && host) { note(`--- ${opts.peer} log ---`); process.stderr.write(tail(host.logPath, 20) + '\n') }
  await host?.close()
  console.log(`${label} ${failed.length ? 'FAIL' : 'PASS'}: ${results.length - failed.length}/${results.length} steps passed` +
    (failed.length ? ` (failed: ${failed.map(r => r.name).join(', ')})` : ''))
  return finish(failed.length ? 1 : 0)
}

main().catch(err => { console.log(`${label} FAIL: ${err.stack ?? err}`); finish(1) })
