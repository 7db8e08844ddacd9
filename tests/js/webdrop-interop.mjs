#!/usr/bin/env node
// Ferry ↔ WebDrop v2, presence and chat: `ferry-cli chat` in a WebDrop room and WebDrop's control
// logic (webdrop-peer.mjs: App.vue's message handling on the real P2PT 1.6, in Node with
// @roamhq/wrtc) meet through a local reference tracker and talk. Files are not covered here.
// Run it inside tests/netns-run.sh: nothing may reach a real network.
//
//   webdrop-interop.mjs --ferry-cli=PATH [--peer=node|chromium|firefox] [--first=ferry|webdrop]
//                       [--room-form=code|link] [--mdns=hide|show] [--timeout=100] [--verbose]
//
// --peer: what runs the WebDrop side: webdrop-peer.mjs in Node (libwebrtc through @roamhq/wrtc),
//   or the same logic (lib/webdrop-logic.mjs) in pages of one headless Chromium or Firefox ESR
//   (lib/webdrop-browser.mjs: each peer an iframe of its own site, driven over loopback HTTP).
// --mdns: with a browser, whether it hides its host addresses behind mDNS .local names (its
//   default, and what WebDrop's users have) or shows them.
// --first: who joins first (the other starts once the tracker has seen it announce: the
//   reference tracker splits a swarm whose first two announces come in the same tick); the one
//   joining second makes the offers, so the two orders cover both WebRTC roles.
// --room-form: how Ferry is told the room: `webdrop:CODE` or WebDrop's invite link
//   `https://WebDrop.Space/#/?room=CODE` (the host in WebDrop's own mixed case). CODE has upper
//   and lower case letters and a digit: WebDrop uses it as given, so must Ferry.
//
// Peers: W1 (the WebDrop user, with 3 messages from two other authors in its history when it
// joins), W3 (a bare P2PT peer in the room, used for a chat message sent before any init), and
// W2 (a WebDrop user with an empty history who joins after W1 left).
//
// Steps, each reported as "step NAME: PASS|FAIL (…)":
//   join         Ferry and W1 meet: both announce SHA-1("webdrop" + CODE); Ferry prints
//                peer-joined, then peer-updated for W1 with kind=webdrop and W1's init name; W1
//                gets peerconnect and stores Ferry's init as a user
//   init-first   the first two messages W1 gets from Ferry are its ferry-hello, then its init:
//                {"type":"init", name = --name, color "hsla(H,60%,60%,1)", sharesCount 0,
//                msgsCount 0} (Ferry has written nothing yet)
//   history-in   W1's init has msgsCount 3 > 0: Ferry asks with one getMsgs, W1 answers with its
//                3 stored messages (ids "0".."2", names and colours of their authors): Ferry
//                prints each as "AUTHOR: text", in order. W1 then answers getMsgs a second time,
//                unasked: nothing is printed again (checked by a live line after them)
//   chat         W1 → Ferry: two live msgs (accents, CJK, Cyrillic, emoji with ZWJ and flags):
//                "W1NAME: text" on Ferry's stdout. Ferry → W1: two stdin lines reach W1 as
//                {"type":"msg","msg":text,"time":non-empty string} objects, which W1 shows under
//                Ferry's name
//   lax-input    W3 (no init) sends a msg: Ferry prints "…: text" (name not checked); W3 sends
//                an init: peer-updated with its name and kind=webdrop, and its next msg is
//                printed under that name; Ferry's init to W3 says msgsCount 2. W1 sends junk:
//                an unknown type, msgs whose "msg" is a number, an object, null or missing, a
//                numeric type, an array, null, an init with a 10,000-character name; then its
//                proper init again and a msg: Ferry printed nothing for the junk, no
//                peer-error, no getMsgs for the second init (one per connection), and the msg
//                after the junk is printed under W1's name
//   leave        W1 leaves: Ferry prints peer-left for it
//   history-out  W2 joins with no messages; Ferry's init says msgsCount 2 > 0, so W2 asks with
//                getMsgs (WebDrop's rule) and must get exactly Ferry's 2 lines, oldest first, as
//                {"type":"msg", msg, time, name = Ferry's name, color, id "0"/"1"} — nothing
//                that others wrote. A second getMsgs from W2 brings the same 2 again (W2 skips
//                them by index). W2 then sends its init again, now with msgsCount 2 (what WebDrop
//                sends when its peerconnect comes after Ferry's init, a race seen in practice):
//                Ferry asks with getMsgs (its first to W2), gets its own 2 lines back and must
//                print nothing of them (checked by a live line after). Then W2 leaves: peer-left
//   clean        over the whole run: Ferry reported no peer-error/not-sent/error, printed
//                exactly the expected lines; no WebDrop peer got a plain string from Ferry, a
//                getShares, more than one getMsgs (none to W3), or anything its
//                P2PT could not parse or swallowed as a reply; no WebDrop handler threw on
//                anything of Ferry's
//   exit         ferry-cli exits 0 at stdin EOF
//
// Exit: 0 pass, 1 fail, 77 when node's packages or the browser are missing (a failure when CI=true).

import { createHash } from 'node:crypto'
import { accessSync, constants as fsc } from 'node:fs'
import { join } from 'node:path'
import { check, findBrowser, finish, skipOrFail, stepRunner, tail } from './lib/harness.mjs'
import { flagsToParams, startBrowserHost } from './lib/webdrop-browser.mjs'
import { abbrev, missingPackage, secs, startControlled, startFerryChat, startTracker, writeLine } from './lib/room-procs.mjs'

// --- options -----------------------------------------------------------------------------------

const opts = { peer: 'node', ferryCli: null, first: 'ferry', roomForm: 'code', mdns: 'hide', timeout: 100, verbose: false }
for (const arg of process.argv.slice(2)) {
  const [, name, v] = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg) ?? []
  if (name === 'peer') opts.peer = v
  else if (name === 'ferry-cli') opts.ferryCli = v
  else if (name === 'first') opts.first = v
  else if (name === 'room-form') opts.roomForm = v
  else if (name === 'mdns') opts.mdns = v
  else if (name === 'timeout') opts.timeout = Number(v)
  else if (name === 'verbose') opts.verbose = true
  else die(`unknown argument '${arg}'`)
}
if (!opts.ferryCli) die('--ferry-cli=PATH is required')
if (!['ferry', 'webdrop'].includes(opts.first)) die('--first must be ferry or webdrop')
if (!['code', 'link'].includes(opts.roomForm)) die('--room-form must be code or link')
if (!['hide', 'show'].includes(opts.mdns)) die('--mdns must be hide or show')
if (!(opts.timeout > 0)) die('--timeout needs a number of seconds')

function die (msg) {
  process.stderr.write(`webdrop-interop: ${msg}\n`)
  process.exit(2)
}

const label = `webdrop-interop peer=${opts.peer} first=${opts.first} room-form=${opts.roomForm}${opts.peer === 'node' ? '' : ` mdns=${opts.mdns}`}`
const CODE = 'Fe7q' // mixed case and a digit: WebDrop neither folds case nor checks more than the length
const IDENTIFIER = 'webdrop' + CODE
const FERRY_ROOM = opts.roomForm === 'link' ? `https://WebDrop.Space/#/?room=${CODE}` : `webdrop:${CODE}`
const FERRY_NAME = 'Ferry Tester'
const STEP_MS = 30000

const log = (tag, ev) => {
  if (!opts.verbose && !['peer-joined', 'peer-updated', 'peer-left', 'peer-error', 'not-sent', 'error', 'peerconnect', 'peerclose', 'init',
    'swallowed', 'resolved', 'console', 'handler-error', 'trackerwarning', 'joining', 'ready', 'exit', 'stderr'].includes(ev.event)) return
  const { at, ...rest } = ev
  process.stderr.write(`[${secs()} s] ${tag}: ${abbrev(rest, 300)}\n`)
}
const note = msg => process.stderr.write(`[${secs()} s] ${msg}\n`)

// --- test data ---------------------------------------------------------------------------------

// WebDrop's default device names are `${os} ${browser}`.
const W1_NAME = 'Linux Chrome120'
const W2_NAME = 'Android10 Chrome86'
const W3_NAME = 'Late Init Firefox115'
// In W1's history when it joins: 3 messages from two other devices, as WebDrop stores them.
const HISTORY = [
  { name: 'iOS Safari17', color: 'hsla(200,60%,60%,1)', msg: 'first from the phone', time: '9:58:01 PM' },
  { name: 'Windows Edge118', color: 'hsla(33,60%,60%,1)', msg: 'Grüße aus Köln 🚢', time: '9:58:30 PM' },
  { name: 'iOS Safari17', color: 'hsla(200,60%,60%,1)', msg: 'last one: 中文, ✓', time: '9:59:02 PM' },
]
const W1_TO_FERRY = ['Grüße, 你好, Привет — ✓', 'héllo 😀 wörld 👩‍👩‍👧 🇫🇷 👍🏽']
const FERRY_TO_W1 = ['ça marche — 日本語 ✓', 'emoji back 🚢🎉 👨‍💻 🇯🇵']
// Junk W1 sends Ferry (lax-input): nothing of it may print, none may break the connection.
const t = () => new Date().toLocaleTimeString()
const JUNK = [
  { type: 'frobnicate', payload: [1, 2, 3] },
  { type: 'msg', msg: 42, time: t() },
  { type: 'msg', msg: { text: 'an object is not text' }, time: t() },
  { type: 'msg', msg: null, time: t() },
  { type: 'msg', time: t() },
  { type: 7, msg: 'a numeric type' },
  ['type', 'msg'],
  null,
  { type: 'init', name: 'N'.repeat(10000), color: 'hsla(1,60%,60%,1)', sharesCount: 0, msgsCount: 0 },
]

// --- steps -------------------------------------------------------------------------------------

const steps = stepRunner({ verbose: opts.verbose, note: msg => note(msg) })
const step = steps.step
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// --- the WebDrop side --------------------------------------------------------------------------

/** webdrop-peer.mjs in Node, in control mode (startControlled () in lib/room-procs.mjs). */
function startWebDropNode ({ tag, trackers, name, extra = [] }) {
  return startControlled('webdrop-peer.mjs', [...trackers.map(u => `--tracker=${u}`), `--room=${CODE}`,
    `--name=${name}`, '--control', `--timeout=${opts.timeout}`, ...extra], { tag, log })
}

/** The same peer in a page of the one browser of this run (started at the first peer). */
let host = null
async function startWebDropBrowser ({ tag, trackers, name, extra = [] }) {
  host ??= await startBrowserHost(opts.peer, { log, mdns: opts.mdns, verbose: opts.verbose })
  const params = [...trackers.map(u => ['tracker', u]), ['room', CODE], ['name', name], ['timeout', String(opts.timeout)], ...flagsToParams(extra)]
  return host.startPeer({ tag, params })
}

// What can play WebDrop.
const BROWSER_PACKAGES = ['p2pt', 'bittorrent-tracker', 'esbuild', 'simple-peer', 'simple-peer-files', 'buffer']
const PEERS = {
  node: { packages: ['@roamhq/wrtc', 'p2pt', 'bittorrent-tracker'], start: startWebDropNode },
  chromium: { packages: BROWSER_PACKAGES, start: startWebDropBrowser, browser: true },
  firefox: { packages: BROWSER_PACKAGES, start: startWebDropBrowser, browser: true },
}

// --- main --------------------------------------------------------------------------------------

async function main () {
  const kind = PEERS[opts.peer]
  if (!kind) die(`--peer=${opts.peer} is not supported yet (only ${Object.keys(PEERS).join(', ')})`)
  const missing = missingPackage(kind.packages)
  if (missing) return skipOrFail(label, `npm package ${missing} is missing (run npm ci in tests/js)`)
  if (kind.browser && !findBrowser(opts.peer)) return skipOrFail(label, `${opts.peer} is not installed`)
  try { accessSync(opts.ferryCli, fsc.X_OK) } catch { die(`${opts.ferryCli} is not executable`) }
  setTimeout(() => { console.log(`${label} FAIL: timed out after ${opts.timeout} s`); finish(1) }, opts.timeout * 1000).unref()

  const expectHash = createHash('sha1').update(IDENTIFIER, 'utf8').digest('hex')
  const tracker = await startTracker({ log })
  let ferry, ferryId
  const peers = {} // W1, W2, W3: { ...peer, id }
  const ferryExpected = [] // lines Ferry must print, in order: strings, or { test(line), what }
  const ferryWritten = [] // lines written to Ferry's stdin, in order

  const ferryLines = () => ferry.lines.seen.map(e => e.text)
  const lineOk = (line, want) => typeof want === 'string' ? line === want : want.test(line)
  const wantText = want => typeof want === 'string' ? want : want.what
  const describeLines = () => {
    const got = ferryLines()
    for (let i = 0; i < ferryExpected.length; i++) {
      if (i >= got.length) return `${got.length} of ${ferryExpected.length} lines arrived; missing #${i + 1} ${abbrev(wantText(ferryExpected[i]))}`
      if (!lineOk(got[i], ferryExpected[i])) return `line #${i + 1} is ${abbrev(got[i])}, expected ${abbrev(wantText(ferryExpected[i]))}`
    }
    return got.length > ferryExpected.length ? `${got.length - ferryExpected.length} unexpected extra line(s): ${abbrev(got.slice(ferryExpected.length))}` : 'as expected'
  }
  // Wait until Ferry printed as many lines as expected so far, then compare them all.
  const ferryCaughtUp = async (what, ms = STEP_MS) => {
    const n = ferryExpected.length
    try {
      await ferry.lines.wait(() => ferry.lines.seen.length >= n, ms, what)
    } catch (err) { throw new Error(`${err.message}: ${describeLines()}`) }
    check(describeLines() === 'as expected', `Ferry's stdout: ${describeLines()}`)
  }
  // Everything a WebDrop peer received from Ferry: objects and strings, in order.
  const fromFerry = p => p.events.seen.filter(e => (e.event === 'object' || e.event === 'string') && e.peer === ferryId)
  const objectsOfType = (p, type) => fromFerry(p).filter(e => e.event === 'object' && e.msg?.type === type)
  const ferryProblems = since => ferry.events.seen.filter(e => ['peer-error', 'not-sent', 'error'].includes(e.event) && e.at >= since)
  const isInit = m => m && typeof m === 'object' && !Array.isArray(m) && m.type === 'init'
  const HSLA = /^hsla\(\d{1,3},60%,60%,1\)$/

  const startFerry = () => {
    ferry = startFerryChat(opts.ferryCli, FERRY_ROOM, { trackers: [tracker.url], name: FERRY_NAME, log, debug: opts.verbose })
    return ferry.id.then(id => { ferryId = id })
  }
  /** Start a WebDrop peer and wait until the tracker has seen it (the reference tracker's race). */
  const startPeer = async (key, name, extra = []) => {
    const p = await kind.start({ tag: key, trackers: [tracker.url], name, extra })
    const ready = await p.events.wait(e => e.event === 'ready', 20000, 'ready report')
    p.id = ready.peer_id
    check(ready.info_hash === expectHash, `${key}'s info_hash ${ready.info_hash} is not SHA-1("${IDENTIFIER}")`)
    await p.events.wait(e => e.event === 'trackerconnect', 20000, 'trackerconnect')
    await tracker.events.wait(e => e.peer_id === p.id, 10000, `announce of ${key} ${p.id}`)
    peers[key] = p
    return p
  }
  /** Ferry and `p` see each other: peer-joined on Ferry's side, peerconnect on p's. */
  const meet = async p => {
    const [joined, connect] = await Promise.all([
      ferry.events.wait(e => e.event === 'peer-joined' && e.id === p.id, STEP_MS, `peer-joined for ${p.tag} ${p.id}`),
      p.events.wait(e => e.event === 'peerconnect' && e.peer === ferryId, STEP_MS, `${p.tag}'s peerconnect with Ferry`),
    ])
    return { joined, connect }
  }
  const peerUpdated = (p, name, what) => ferry.events.wait(e => e.event === 'peer-updated' && e.id === p.id && e.name === name,
    STEP_MS, what ?? `peer-updated for ${p.tag} with name "${name}"`)
  // Ferry's init to p: the first object after its ferry-hello, nothing before the hello.
  const ferryInit = async p => {
    // Ferry sends its hello then its init on each connection. With two connections between the
    // same peers (both offered at once) P2PT may pass the messages of one before those of the
    // other, so only this is checked: nothing but hellos before the first init, and a hello.
    const isHello = e => e.event === 'object' && e.msg?.type === 'ferry-hello'
    try {
      await p.events.wait(() => fromFerry(p).some(e => e.event === 'object' && isInit(e.msg)) && fromFerry(p).some(isHello), STEP_MS, `a hello and an init from Ferry to ${p.tag}`)
    } catch (err) { throw new Error(`${err.message}; got ${abbrev(fromFerry(p).map(e => e.msg))}`) }
    const first = fromFerry(p).findIndex(e => e.event === 'object' && isInit(e.msg))
    const before = fromFerry(p).slice(0, first)
    check(before.every(isHello), `Ferry sent ${p.tag} ${abbrev(before.find(e => !isHello(e))?.msg)} before its init`)
    const init = fromFerry(p)[first]
    const m = init.msg
    check(m.name === FERRY_NAME, `Ferry's init names "${m.name}", not "${FERRY_NAME}"`)
    check(typeof m.color === 'string' && HSLA.test(m.color), `Ferry's init colour ${JSON.stringify(m.color)} is not hsla(H,60%,60%,1)`)
    check(m.sharesCount === 0, `Ferry's init has sharesCount ${JSON.stringify(m.sharesCount)}, not 0`)
    check(m.msgsCount === ferryWritten.length, `Ferry's init to ${p.tag} has msgsCount ${JSON.stringify(m.msgsCount)}, but Ferry wrote ${ferryWritten.length} message(s) in the room`)
    return m
  }
  const leave = async p => {
    const t0 = performance.now()
    await p.command({ cmd: 'leave' })
    const left = await ferry.events.wait(e => e.event === 'peer-left' && e.id === p.id, 15000, `peer-left for ${p.tag}`)
    p.end()
    return left.at - t0
  }

  await step('join', async () => {
    const preload = `--preload=${JSON.stringify(HISTORY)}`
    if (opts.first === 'ferry') {
      await startFerry()
      await tracker.events.wait(e => e.peer_id === ferryId, 10000, `announce of Ferry ${ferryId}`)
      await startPeer('W1', W1_NAME, [preload])
    } else {
      await startPeer('W1', W1_NAME, [preload])
      await startFerry()
    }
    const W1 = peers.W1
    const ferryAnnounce = await tracker.events.wait(e => e.peer_id === ferryId, 10000, `announce of Ferry ${ferryId}`)
    check(ferryAnnounce.info_hash === expectHash, `Ferry, told "${FERRY_ROOM}", announced info_hash ${ferryAnnounce.info_hash}, not SHA-1("${IDENTIFIER}") = ${expectHash}`)
    const { joined, connect } = await meet(W1)
    const updated = await peerUpdated(W1, W1_NAME)
    check(updated.kind === 'webdrop', `Ferry's peer-updated for W1 says kind=${updated.kind}, not webdrop`)
    const stored = await W1.events.wait(e => e.event === 'init' && e.peer === ferryId, STEP_MS, "W1 storing Ferry's init as a user")
    check(stored.msg.name === FERRY_NAME, `W1 shows Ferry as "${stored.msg.name}"`)
    return `Ferry: peer-joined kind=${joined.kind}, then peer-updated name="${updated.name}" kind=${updated.kind}; W1 peerconnect ${connect.ms} ms after start(), shows Ferry as "${stored.msg.name}"`
  })

  await step('init-first', async () => {
    const m = await ferryInit(peers.W1)
    return `ferry-hello, then ${abbrev(m, 200)}`
  })

  await step('history-in', async () => {
    const W1 = peers.W1
    const ask = await W1.events.wait(e => e.event === 'object' && e.peer === ferryId && e.msg?.type === 'getMsgs', STEP_MS, 'getMsgs from Ferry')
    const asked = fromFerry(W1).indexOf(ask)
    check(asked >= 2, `Ferry asked for messages (message #${asked + 1}) before its init`)
    for (const h of HISTORY) ferryExpected.push(`${h.name}: ${h.msg}`)
    await ferryCaughtUp('the 3 restored messages')
    // As if W1 answered getMsgs a second time: the same 3 messages, same ids, again.
    await W1.command({ cmd: 'msgs-state', peer: ferryId })
    const marker = 'after the history, again'
    const said = await W1.command({ cmd: 'say', msg: marker })
    check(said.users >= 1, 'W1 has no user to send to')
    ferryExpected.push(`${W1_NAME}: ${marker}`)
    await ferryCaughtUp('the line after the repeated history')
    return `getMsgs came after the init; ${HISTORY.length} restored messages printed under their authors, once each although sent twice`
  })

  await step('chat', async () => {
    const W1 = peers.W1
    for (const text of W1_TO_FERRY) {
      await W1.command({ cmd: 'say', msg: text })
      ferryExpected.push(`${W1_NAME}: ${text}`)
    }
    await ferryCaughtUp('W1\'s live messages')
    for (const text of FERRY_TO_W1) {
      await writeLine(ferry.proc, text)
      ferryWritten.push(text)
    }
    const chats = () => objectsOfType(W1, 'msg')
    const strings = () => fromFerry(W1).filter(e => e.event === 'string')
    // Plain strings count too, so that a Ferry sending them fails at once.
    await W1.events.wait(() => chats().length + strings().length >= FERRY_TO_W1.length, STEP_MS, "Ferry's lines")
    check(!strings().length, `W1 got Ferry's lines as plain strings, not msg objects: ${abbrev(strings().map(e => e.msg))}`)
    chats().forEach((e, i) => {
      const m = e.msg
      check(m.msg === FERRY_TO_W1[i], `msg #${i + 1} from Ferry carries ${abbrev(m.msg)}, expected ${abbrev(FERRY_TO_W1[i])}`)
      check(typeof m.time === 'string' && m.time.length > 0, `msg #${i + 1} from Ferry has time ${JSON.stringify(m.time)}`)
    })
    // W1 (WebDrop) shows them under Ferry's name, taken from Ferry's init. (Its "msg-added"
    // report follows the "object" one, maybe in a later read.)
    const added = () => W1.events.seen.filter(e => e.event === 'msg-added' && e.peer === ferryId)
    await W1.events.wait(() => added().length >= FERRY_TO_W1.length, 5000, "W1 showing Ferry's lines").catch(() => {})
    const shown = added()
    check(shown.length === FERRY_TO_W1.length && shown.every((e, i) => e.msg.msg === FERRY_TO_W1[i] && e.msg.name === FERRY_NAME),
      `W1 shows ${abbrev(shown.map(e => `${e.msg.name}: ${e.msg.msg}`))}`)
    return `${W1_TO_FERRY.length} lines each way; Ferry's arrive as ${abbrev(chats()[0].msg, 120)}`
  })

  await step('lax-input', async () => {
    const W1 = peers.W1
    const since = performance.now()
    // A peer with no init yet: its msg is still shown, under some fallback name.
    const W3 = await startPeer('W3', W3_NAME, ['--raw'])
    await meet(W3)
    const m = await ferryInit(W3)
    await W3.command({ cmd: 'raw', peer: ferryId, msg: { type: 'msg', msg: 'sent before any init', time: t() } })
    ferryExpected.push({ test: line => line.endsWith(': sent before any init') && !line.startsWith(`${W3_NAME}:`), what: '<fallback name>: sent before any init' })
    await ferryCaughtUp('the msg sent before an init')
    const fallback = ferryLines().at(-1)
    await W3.command({ cmd: 'raw', peer: ferryId, msg: { type: 'init', name: W3_NAME, color: 'hsla(120,60%,60%,1)', sharesCount: 0, msgsCount: 0 } })
    const w3Updated = await peerUpdated(W3, W3_NAME)
    check(w3Updated.kind === 'webdrop', `peer-updated for W3 says kind=${w3Updated.kind}`)
    await W3.command({ cmd: 'raw', peer: ferryId, msg: { type: 'msg', msg: 'after my late init', time: t() } })
    ferryExpected.push(`${W3_NAME}: after my late init`)
    await ferryCaughtUp('the msg after the late init')
    const w3Left = await leave(W3)

    // Junk from W1, then its proper init again and a live msg.
    const junkFrom = performance.now()
    for (const msg of JUNK) await W1.command({ cmd: 'raw', peer: ferryId, msg })
    // W1's init again, as WebDrop would send it now (same name and colour, its current count).
    const { msgs } = await W1.command({ cmd: 'state' })
    const w1Init = W1.events.seen.find(e => e.event === 'sent' && e.peer === ferryId && isInit(e.msg))
    check(w1Init, 'W1 never sent its init to Ferry')
    await W1.command({ cmd: 'raw', peer: ferryId, msg: { ...w1Init.msg, msgsCount: msgs.length } })
    const marker = 'still chatting after the junk'
    await W1.command({ cmd: 'say', msg: marker })
    ferryExpected.push(`${W1_NAME}: ${marker}`)
    await ferryCaughtUp('the line after the junk')
    const bad = ferryProblems(since)
    check(!bad.length, `Ferry reported ${abbrev(bad.map(({ at, ...e }) => e))}`)
    check(!ferry.events.seen.some(e => e.event === 'peer-left' && e.id === W1.id), 'Ferry lost W1 over the junk')
    const asks = objectsOfType(W1, 'getMsgs')
    check(asks.length === 1, `Ferry sent W1 ${asks.length} getMsgs (its second init has msgsCount ${msgs.length}); one per connection expected`)
    const longName = ferry.events.seen.filter(e => e.event === 'peer-updated' && e.id === W1.id && e.at >= junkFrom)
      .map(e => e.name.length)
    return `before init: "${abbrev(fallback, 60)}"; Ferry's init to W3 had msgsCount ${m.msgsCount}; W3 peer-left after ${w3Left.toFixed(0)} ms; ` +
      `${JUNK.length} junk objects printed nothing (peer-updated names after them: ${longName.length ? longName.join(', ') + ' chars' : 'none'})`
  })

  await step('leave', async () => {
    const ms = await leave(peers.W1)
    return `Ferry printed peer-left for W1 after ${ms.toFixed(0)} ms`
  })

  await step('history-out', async () => {
    const W2 = await startPeer('W2', W2_NAME)
    await meet(W2)
    const m = await ferryInit(W2)
    const updated = await peerUpdated(W2, W2_NAME)
    check(updated.kind === 'webdrop', `peer-updated for W2 says kind=${updated.kind}`)
    // WebDrop's rule: Ferry's msgsCount 2 > 0 stored here, so W2 asks.
    await W2.events.wait(e => e.event === 'sent' && e.peer === ferryId && e.msg?.type === 'getMsgs', STEP_MS, "W2's getMsgs")
    const restored = () => objectsOfType(W2, 'msg')
    const n = ferryWritten.length
    try {
      await W2.events.wait(() => restored().length >= n, STEP_MS, `Ferry's ${n} messages`)
    } catch (err) { throw new Error(`${err.message}; got ${abbrev(restored().map(e => e.msg))}`) }
    // Ask again, as WebDrop would after a reconnect: the same answer, which W2 drops by index.
    await W2.command({ cmd: 'raw', peer: ferryId, msg: { type: 'getMsgs' } })
    try {
      await W2.events.wait(() => restored().length >= 2 * n, STEP_MS, `Ferry's ${n} messages, again`)
    } catch (err) { throw new Error(`${err.message}; got ${abbrev(restored().map(e => e.msg))}`) }
    await sleep(1000) // anything more would come now
    const got = restored().map(e => e.msg)
    check(got.length === 2 * n, `Ferry answered 2 getMsgs with ${got.length} msgs, not ${2 * n}: ${abbrev(got.slice(0, 8), 600)}`)
    got.forEach((r, i) => {
      const k = i % n
      const where = `Ferry's restored msg #${i + 1} ${abbrev(r, 200)}`
      check(r.msg === ferryWritten[k], `${where}: text is not ${abbrev(ferryWritten[k])}`)
      check(r.id === String(k), `${where}: id ${JSON.stringify(r.id)}, not "${k}"`)
      check(r.name === FERRY_NAME, `${where}: name is not "${FERRY_NAME}"`)
      check(typeof r.color === 'string' && r.color.length > 0, `${where}: no colour`)
      check(typeof r.time === 'string' && r.time.length > 0, `${where}: no time`)
    })
    const shown = W2.events.seen.filter(e => e.event === 'msg-added' && e.peer === ferryId)
    check(shown.length === n && shown.every((e, i) => e.msg.msg === ferryWritten[i] && e.msg.name === FERRY_NAME),
      `W2 shows ${abbrev(shown.map(e => `${e.msg.name}: ${e.msg.msg}`))}`)
    const skipped = W2.events.seen.filter(e => e.event === 'msg-skipped' && e.peer === ferryId).length

    // W2 now keeps Ferry's lines as its history. WebDrop sends its init on peerconnect, which may
    // come after the first messages (simple-peer's "connect" waits for more than the channel):
    // then its init counts Ferry's restored lines, and Ferry, asking for them, gets its own lines
    // back. Make that happen every time: W2's init again, as it would be now. Ferry asks (its
    // first getMsgs to W2) and must print nothing of what it wrote itself.
    const w2Init = W2.events.seen.find(e => e.event === 'sent' && e.peer === ferryId && isInit(e.msg))
    check(w2Init, 'W2 never sent its init to Ferry')
    const { msgs } = await W2.command({ cmd: 'state' })
    await W2.command({ cmd: 'raw', peer: ferryId, msg: { ...w2Init.msg, msgsCount: msgs.length } })
    await W2.events.wait(() => objectsOfType(W2, 'getMsgs').length >= 1, STEP_MS, `Ferry's getMsgs for W2's history of ${msgs.length}`)
    const marker = 'after Ferry got its own lines back'
    await W2.command({ cmd: 'say', msg: marker })
    ferryExpected.push(`${W2_NAME}: ${marker}`)
    try {
      await ferryCaughtUp('the line after the echoed history')
    } catch (err) {
      const own = new Set(ferryWritten.map(l => `${FERRY_NAME}: ${l}`))
      const echoed = ferryLines().filter(l => own.has(l))
      if (echoed.length) throw new Error(`Ferry printed ${echoed.length} line(s) it wrote itself, which W2 sent back answering Ferry's getMsgs: ${abbrev(echoed)} (${err.message})`)
      throw err
    }
    const asks = objectsOfType(W2, 'getMsgs').length
    check(asks === 1, `Ferry sent W2 ${asks} getMsgs; one per connection expected`)

    const ms = await leave(W2)
    return `Ferry's init msgsCount ${m.msgsCount}; W2 got ${n} msgs (ids ${got.slice(0, n).map(r => r.id).join(',')}, name "${got[0].name}", color ${got[0].color}, time "${got[0].time}") per getMsgs; ` +
      `W2 showed ${shown.length}, skipped ${skipped} by index; Ferry's own lines sent back to it printed nothing; peer-left after ${ms.toFixed(0)} ms`
  })

  await step('clean', async () => {
    const bad = ferryProblems(0)
    check(!bad.length, `Ferry reported ${abbrev(bad.map(({ at, ...e }) => e))}`)
    check(describeLines() === 'as expected', `Ferry's stdout: ${describeLines()}`)
    for (const [key, p] of Object.entries(peers)) {
      const strings = fromFerry(p).filter(e => e.event === 'string')
      check(!strings.length, `${key} got plain strings from Ferry: ${abbrev(strings.map(e => e.msg))}`)
      const shares = objectsOfType(p, 'getShares')
      check(!shares.length, `Ferry sent ${key} getShares`)
      const asks = objectsOfType(p, 'getMsgs').length
      const want = key === 'W3' ? 0 : 1
      check(asks === want, `Ferry sent ${key} ${asks} getMsgs, expected ${want}`)
      const hellos = objectsOfType(p, 'ferry-hello').length
      const inits = fromFerry(p).filter(e => isInit(e.msg)).length
      check(hellos === 1 && inits === 1, `${key} got ${hellos} ferry-hello and ${inits} init from Ferry (one connection each)`)
      const lost = p.events.seen.filter(e => ['swallowed', 'resolved'].includes(e.event) && e.peer === ferryId)
      check(!lost.length, `${key}'s P2PT took ${lost.length} of Ferry's messages for replies: ${abbrev(lost[0])}`)
      const thrown = p.events.seen.filter(e => e.event === 'handler-error' && e.peer === ferryId)
      check(!thrown.length, `${key}'s WebDrop handler threw on Ferry's messages: ${abbrev(thrown.map(({ at, ...e }) => e))}`)
      const logged = p.events.seen.filter(e => e.event === 'console')
      check(!logged.length, `${key}'s P2PT logged ${abbrev(logged.map(e => e.text.split('\n')[0]))}`)
    }
    return `Ferry printed ${ferryExpected.length} lines; ${Object.keys(peers).length} WebDrop-side peers got only objects from Ferry`
  })

  await step('exit', async () => {
    ferry.proc.stdin.end()
    const timer = new Promise(resolve => setTimeout(() => resolve({ timeout: true }), 10000))
    const exit = await Promise.race([ferry.exited, timer])
    check(!exit.timeout, 'ferry-cli did not exit within 10 s of stdin EOF')
    check(exit.code === 0, `ferry-cli exited with ${exit.code ?? exit.signal}`)
    return 'ferry-cli exited 0'
  })

  if (steps.failed) {
    note('--- ferry-cli stderr (last 40 lines) ---')
    process.stderr.write((ferry?.stderr ?? []).slice(-40).map(l => abbrev(l, 400)).join('\n') + '\n')
    note('--- ferry-cli stdout ---')
    process.stderr.write((ferry ? ferryLines() : []).map(l => abbrev(l, 400)).join('\n') + '\n')
    for (const [key, p] of Object.entries(peers)) {
      if (p.stderr.length) { note(`--- ${key} stderr ---`); process.stderr.write(p.stderr.slice(-20).join('\n') + '\n') }
    }
    if (host) { note(`--- ${opts.peer} log ---`); process.stderr.write(tail(host.logPath, 20) + '\n') }
  }
  for (const p of Object.values(peers)) p.end()
  await host?.close()
  await tracker.stop()
  const passed = steps.results.filter(r => r.status === 'PASS').length
  console.log(`${label} ${steps.failed ? 'FAIL' : 'PASS'} (${passed}/${steps.results.length} steps, ${secs()} s)`)
  return finish(steps.failed ? 1 : 0)
}

main().catch(err => { console.log(`${label} FAIL: ${err.stack ?? err}`); finish(1) })
