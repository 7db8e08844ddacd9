#!/usr/bin/env node
// Ferry ↔ P2PT in one room: `ferry-cli chat` and a P2PT 1.6 peer (Node with @roamhq/wrtc, or
// headless Chromium / Firefox ESR running the esbuild bundle) meet through a local reference
// tracker and talk. Run it inside tests/netns-run.sh: nothing may reach a real network.
//
//   p2pt-interop.mjs --peer=node|chromium|firefox --ferry-cli=PATH
//                    [--first=ferry|p2pt] [--leave=p2pt|ferry] [--mdns=hide|show]
//                    [--burst=900] [--announce-interval=SECONDS] [--p2pt-peer-id=HEX]
//                    [--timeout=100] [--verbose]
//
// --first: who joins first (the other starts once the tracker has seen it announce, as the
//   reference tracker splits a swarm whose first two announces come in the same tick). The one
//   joining second makes the offers that connect, so the two orders test both WebRTC roles.
// --leave: who leaves at the end; the other must see it go.
// --burst: messages sent each way in the bursts that check P2PT's reply ids (below).
// --announce-interval: the tracker's re-announce interval; when given, a step "reannounce"
//   waits (before Ferry's burst) until Ferry has announced again, and checks that the
//   conversation goes on. P2PT re-announces with offers to Ferry and would answer any of Ferry's;
//   Ferry ignores offers from a peer it is connected to, and offers nothing when it already knows
//   every member of the swarm, so the connection in use is never replaced.
// --p2pt-peer-id: the P2PT peer's id instead of a random one. Ferry keeps, of two connections
//   to a peer, the one offered by the smaller peer id: with --first=ferry (P2PT offers the first
//   connection) an id of 40 f's makes each of Ferry's re-announces replace the connection, 40
//   0's makes Ferry keep the first one.
// --burst above 1000: more ids than Ferry remembers (the latest 1024), see "ids" below.
//
// Steps, each reported as "step NAME: PASS|FAIL (…)":
//   join        both see each other: Ferry prints peer-joined (kind=p2pt or unknown, not
//               verified), P2PT emits peerconnect; Ferry's info_hash is SHA-1 of the room name
//   hello       P2PT receives Ferry's ferry-hello as an ordinary object message, first
//   objects     objects from P2PT that Ferry does not understand (a WebDrop-style "init", an
//               array, null, {type:"chat"} objects, one with a message id) print nothing, and
//               bring no chat-ack: only Ferry peers get Ferry messages
//   P2PT→Ferry  a short text, "héllo 😀 wörld", a 1 MiB message (ASCII, é, €, 中, emoji; every
//               16,000-unit chunk boundary splits a surrogate pair), then a burst: Ferry's
//               stdout must be exactly these lines, in order
//   Ferry→P2PT  the same kinds of message (other contents) as stdin lines of ferry-cli; P2PT
//               must get each as a plain string "msg", in order
//   reply       P2PT answers one of Ferry's messages with peer.respond() (a chunked reply):
//               Ferry prints it as a chat line; then a P2PT send() still reaches Ferry
//   ids         P2PT now waits on a reply for every id it sent (the burst, the reply): a burst
//               from Ferry must arrive whole, none with such an id (P2PT would swallow it: the
//               driver reports "swallowed"/"resolved"). With --burst=900 each way, an id picked
//               at random without this care collides ~9 times per run.
//   clean       no peer-error or not-sent from Ferry, no P2PT parse error, no extra line;
//               P2PT got nothing from Ferry but chat strings and ferry-hellos (one per
//               connection): no chat object, no chat-ack, no catch-up (checked at every step)
//   leave       one side leaves; Ferry prints peer-left, or P2PT emits peerclose
//   exit        ferry-cli exits 0 at stdin EOF
//
// Exit: 0 pass, 1 fail, 77 when node's packages or the browser are missing (a failure when
// CI=true).

import { once } from 'node:events'
import { createHash } from 'node:crypto'
import { accessSync, constants as fsc, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { check, findBrowser, finish, launchBrowser, readJsonBody, skipOrFail as skipOrFailWith, stepRunner, tail, tempDir } from './lib/harness.mjs'
import { abbrev, JS_DIR, missingPackage, reporter, secs, startFerryChat, startP2ptNode, startTracker, writeLine } from './lib/room-procs.mjs'

// --- options -----------------------------------------------------------------------------------

const opts = { peer: null, ferryCli: null, first: 'ferry', leave: 'p2pt', mdns: 'hide', burst: 900, announceInterval: null, p2ptPeerId: null, timeout: 100, verbose: false }
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg)
  const [, name, v] = m ?? []
  if (name === 'peer') opts.peer = v
  else if (name === 'ferry-cli') opts.ferryCli = v
  else if (name === 'first') opts.first = v
  else if (name === 'leave') opts.leave = v
  else if (name === 'mdns') opts.mdns = v
  else if (name === 'burst') opts.burst = Number(v)
  else if (name === 'timeout') opts.timeout = Number(v)
  else if (name === 'announce-interval') opts.announceInterval = Number(v)
  else if (name === 'p2pt-peer-id') opts.p2ptPeerId = v
  else if (name === 'verbose') opts.verbose = true
  else die(`unknown argument '${arg}'`)
}
if (!['node', 'chromium', 'firefox'].includes(opts.peer)) die('--peer must be node, chromium or firefox')
if (!opts.ferryCli) die('--ferry-cli=PATH is required')
if (!['ferry', 'p2pt'].includes(opts.first)) die('--first must be ferry or p2pt')
if (!['ferry', 'p2pt'].includes(opts.leave)) die('--leave must be ferry or p2pt')
if (!['hide', 'show'].includes(opts.mdns)) die('--mdns must be hide or show')
if (!(Number.isInteger(opts.burst) && opts.burst >= 0)) die('--burst needs a whole number')
if (!(opts.timeout > 0)) die('--timeout needs a number of seconds')
if (opts.p2ptPeerId !== null && !/^[0-9a-f]{40}$/.test(opts.p2ptPeerId)) die('--p2pt-peer-id needs 40 lowercase hex digits')

function die (msg) {
  process.stderr.write(`p2pt-interop: ${msg}\n`)
  process.exit(2)
}

const browser = opts.peer !== 'node'
const label = `p2pt-interop peer=${opts.peer} first=${opts.first} leave=${opts.leave}${browser ? ` mdns=${opts.mdns}` : ''}`
const ROOM = 'ferry-p2pt-interop'
const FERRY_NAME = 'Ferry Tester'
const STEP_MS = 30000

const log = (tag, ev) => {
  if (!opts.verbose && !['peer-joined', 'peer-left', 'peer-error', 'not-sent', 'peerconnect', 'peerclose', 'swallowed', 'resolved', 'console', 'trackerwarning', 'joining', 'ready', 'exit', 'control-ended'].includes(ev.event)) return
  const { at, ...rest } = ev
  process.stderr.write(`[${secs()} s] ${tag}: ${abbrev(rest, 300)}\n`)
}
const note = msg => process.stderr.write(`[${secs()} s] ${msg}\n`)

// --- test data ---------------------------------------------------------------------------------

const MiB = 1024 * 1024
const CHUNK = 16000 // P2PT's chunk size in UTF-16 units

/**
 * A line of exactly `bytes` UTF-8 bytes mixing ASCII (quotes and backslashes included), é, €,
 * 中 and emoji, in which every unit index ≡ 15,999 (mod 16,000) is the first half of a
 * surrogate pair: each chunk boundary of P2PT's envelope splits an emoji.
 */
function makeText (seed, bytes) {
  let s = seed >>> 0 || 1
  const rand = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296 }
  const ascii = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?-_"\'\\/{}[]<>&%$#@'
  const emoji = ['😀', '🎉', '🚢', '👍', '🦀', '🌍']
  const parts = []
  let units = 0
  let n = 0
  while (n < bytes) {
    const rem = bytes - n
    const pos = units % CHUNK
    let c
    if (pos === CHUNK - 1 && rem >= 4) c = emoji[Math.floor(rand() * emoji.length)]
    else if (rem < 8) c = 'x'
    else {
      const r = rand()
      if (r < 0.70 || pos === CHUNK - 1 || (r >= 0.9 && pos === CHUNK - 2)) c = ascii[Math.floor(rand() * ascii.length)]
      else if (r < 0.78) c = 'é'
      else if (r < 0.84) c = '€'
      else if (r < 0.9) c = '中'
      else c = emoji[Math.floor(rand() * emoji.length)]
    }
    parts.push(c)
    units += c.length
    n += Buffer.byteLength(c)
  }
  return parts.join('')
}

/** How many chunk boundaries of `text` split a surrogate pair, of how many. */
function splitPairs (text) {
  let split = 0
  let total = 0
  for (let i = CHUNK; i < text.length; i += CHUNK) {
    total++
    const hi = text.charCodeAt(i - 1)
    if (hi >= 0xd800 && hi < 0xdc00) split++
  }
  return { split, total }
}

const P2PT_TO_FERRY = {
  short: 'hello from p2pt',
  emoji: 'héllo 😀 wörld',
  big: makeText(0x1234567, MiB),
  afterObjects: 'objects are over',
  afterReply: 'p2pt send() after the reply',
}
const FERRY_TO_P2PT = {
  short: 'hello from ferry',
  emoji: 'héllo 😀 wörld',
  big: makeText(0x7654321, MiB),
  askReply: 'please reply to this one',
}
const REPLY = 'reply ✓ ' + makeText(0xabcdef, 40000) // chunked: ~3 chunks
const OBJECTS = [
  { type: 'init', name: 'Linux Chrome120', color: 'hsla(10,60%,60%,1)', sharesCount: 0, msgsCount: 0 },
  [1, 2, 3, 'four'],
  null,
  { type: 'chat', text: 'an object from a plain P2PT app is not Ferry chat' },
  { type: 'chat', id: 'q3MxkTz0Rr2mJ7y6o1nWeA', time: 1733330000123, text: 'nor is one with an id: no chat-ack' },
  { nested: { deep: ['😀', { a: 1 }] } },
]

// --- steps -------------------------------------------------------------------------------------

const steps = stepRunner({ verbose: opts.verbose, note: msg => note(msg) })
const step = steps.step

// --- the P2PT side, in Node or in a browser ------------------------------------------------------

async function startP2ptPeer (trackerUrl) {
  const idArg = opts.p2ptPeerId ? [['peer-id', opts.p2ptPeerId]] : []
  if (!browser) return startP2ptNode({ trackers: [trackerUrl], identifier: ROOM, log, extra: [`--timeout=${opts.timeout}`, ...idArg.map(([k, v]) => `--${k}=${v}`)] })

  const outdir = tempDir('bundle')
  execFileSync(process.execPath, [join(JS_DIR, 'build-browser.mjs'), `--outdir=${outdir}`], { stdio: 'ignore' })
  const bundle = readFileSync(join(outdir, 'p2pt-page.js'))
  const events = reporter(opts.peer, log)
  const commands = []
  let polls = [] // { after, res }
  const answerPolls = () => {
    const waiting = polls
    polls = []
    for (const p of waiting) {
      const due = commands.filter(c => c.seq > p.after)
      if (due.length) p.res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(due))
      else polls.push(p)
    }
  }
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x')
    try {
      if (req.method === 'POST' && url.pathname === '/event') {
        for (const ev of [].concat(await readJsonBody(req))) events.push(ev)
        res.end()
      } else if (url.pathname === '/p2pt-page.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
      } else if (url.pathname === '/command') {
        polls.push({ after: Number(url.searchParams.get('after')) || 0, res })
        answerPolls()
      } else if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><meta charset="utf-8"><title>p2pt</title><script type="module" src="/p2pt-page.js"></script>\n')
      } else res.writeHead(404).end()
    } catch (err) {
      res.writeHead(500).end(String(err))
    }
  })
  server.keepAliveTimeout = 60000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const q = new URLSearchParams([['tracker', trackerUrl], ['identifier', ROOM], ['control', '1'], ['timeout', String(opts.timeout)], ...idArg])
  const launched = launchBrowser(opts.peer, `http://127.0.0.1:${server.address().port}/?${q}`, { mdns: opts.mdns, verbose: opts.verbose })
  let seq = 0
  return {
    events,
    logPath: launched.logPath,
    exited: launched.exited,
    command: (cmd, ms = 10000) => {
      const s = ++seq
      commands.push({ ...cmd, seq: s })
      answerPolls()
      return events.wait(e => e.event === 'ack' && e.seq === s, ms, `ack of ${cmd.cmd}`)
    },
    end: () => { for (const p of polls) p.res.writeHead(410).end(); polls = []; server.close() },
  }
}

// --- main --------------------------------------------------------------------------------------

async function main () {
  const missing = missingPackage(['@roamhq/wrtc', 'p2pt', 'bittorrent-tracker', 'esbuild'])
  if (missing) return skipOrFailWith(label, `npm package ${missing} is missing (run npm ci in tests/js)`)
  if (browser && !findBrowser(opts.peer)) return skipOrFailWith(label, `${opts.peer} is not installed`)
  try { accessSync(opts.ferryCli, fsc.X_OK) } catch { die(`${opts.ferryCli} is not executable`) }
  setTimeout(() => { console.log(`${label} FAIL: timed out after ${opts.timeout} s`); finish(1) }, opts.timeout * 1000).unref()

  const { split, total } = splitPairs(P2PT_TO_FERRY.big)
  const { split: split2, total: total2 } = splitPairs(FERRY_TO_P2PT.big)
  check(split === total && split2 === total2 && total > 0, 'test data: the 1 MiB messages do not split every surrogate pair')
  note(`${label}: 1 MiB texts of ${P2PT_TO_FERRY.big.length} and ${FERRY_TO_P2PT.big.length} UTF-16 units, ${total}/${total2} chunk boundaries, all inside a surrogate pair`)

  const tracker = await startTracker({ log, announceInterval: opts.announceInterval })
  let ferry, p2pt, ferryId, p2ptId
  const ferryExpected = [] // lines Ferry must print, in order
  const p2ptExpected = [] // messages P2PT must receive from Ferry after the hello, in order
  const ferryLines = () => ferry.lines.seen.map(e => e.text)
  // Messages from Ferry; hellos after the first (one per new connection) are counted apart.
  const isHello = m => m && typeof m === 'object' && m.type === 'ferry-hello'
  const p2ptMsgs = () => p2pt.events.seen.filter((e, i, all) => e.event === 'msg' && e.peer === ferryId &&
    !(isHello(e.msg) && all.findIndex(f => f.event === 'msg' && f.peer === ferryId) !== i))
  const extraHellos = () => p2pt.events.seen.filter(e => e.event === 'msg' && e.peer === ferryId && isHello(e.msg)).length - 1
  const swallowed = () => p2pt.events.seen.filter(e => e.event === 'swallowed' && e.peer === ferryId)
  // A plain P2PT peer gets chat as strings, and besides its hellos nothing else from Ferry.
  const notChat = () => p2pt.events.seen.filter(e => e.event === 'msg' && e.peer === ferryId &&
    typeof e.msg !== 'string' && !isHello(e.msg))
  const onlyStrings = () => {
    const bad = notChat()
    if (bad.length) throw new Error(`P2PT got ${bad.length} messages from Ferry that are neither chat strings nor hellos: ${abbrev(bad[0].msg)}`)
  }

  // Wait until Ferry printed everything expected so far and compare.
  const ferryCaughtUp = async (what, ms = STEP_MS) => {
    const n = ferryExpected.length
    try {
      await ferry.lines.wait(() => ferry.lines.seen.length >= n, ms, what)
    } catch (err) { throw new Error(`${err.message}: ${describeMismatch(ferryLines(), ferryExpected)}`) }
    const mismatch = firstMismatch(ferryLines().slice(0, n), ferryExpected)
    check(mismatch === null, `Ferry's stdout: ${describeMismatch(ferryLines(), ferryExpected)}`)
  }
  const p2ptCaughtUp = async (what, ms = STEP_MS) => {
    const n = p2ptExpected.length + 1 // + the hello
    // A swallowed message never comes as "msg": stop waiting once everything is accounted for.
    try {
      await p2pt.events.wait(() => p2ptMsgs().length + swallowed().length >= n, ms, what)
    } catch (err) { throw new Error(`${err.message}: ${describeMismatch(p2ptMsgs().slice(1).map(e => e.msg), p2ptExpected)}`) }
    onlyStrings()
    const lost = swallowed()
    check(!lost.length, `P2PT swallowed ${lost.length} of Ferry's messages: they came with ids it was waiting on for a reply to its own send() (${lost.slice(0, 3).map(e => `id ${e.id} "${abbrev(e.prefix, 40)}"`).join(', ')}${lost.length > 3 ? ', …' : ''})`)
    const got = p2ptMsgs().slice(1, n).map(e => e.msg)
    check(firstMismatch(got, p2ptExpected) === null, `P2PT received: ${describeMismatch(got, p2ptExpected)}`)
  }
  const peerName = () => `Peer ${p2ptId.slice(0, 6)}`

  const startFerry = () => {
    ferry = startFerryChat(opts.ferryCli, ROOM, { trackers: [tracker.url], name: FERRY_NAME, log, debug: opts.verbose })
    return ferry.id.then(id => { ferryId = id })
  }
  const startP2pt = async () => {
    p2pt = await startP2ptPeer(tracker.url)
    const ready = await p2pt.events.wait(e => e.event === 'ready', 20000, 'ready report')
    p2ptId = ready.peer_id
    return ready
  }

  await step('join', async () => {
    const expectHash = createHash('sha1').update(ROOM, 'utf8').digest('hex')
    if (opts.first === 'ferry') {
      await startFerry()
      await tracker.events.wait(e => e.peer_id === ferryId, 10000, `announce of Ferry ${ferryId}`)
      const ready = await startP2pt()
      check(ready.info_hash === expectHash, `P2PT's info_hash ${ready.info_hash} is not SHA-1("${ROOM}")`)
    } else {
      const ready = await startP2pt()
      check(ready.info_hash === expectHash, `P2PT's info_hash ${ready.info_hash} is not SHA-1("${ROOM}")`)
      await p2pt.events.wait(e => e.event === 'trackerconnect', 20000, 'trackerconnect')
      await tracker.events.wait(e => e.peer_id === p2ptId, 10000, `announce of P2PT ${p2ptId}`)
      await startFerry()
    }
    const ferryAnnounce = await tracker.events.wait(e => e.peer_id === ferryId, 10000, `announce of Ferry ${ferryId}`)
    check(ferryAnnounce.info_hash === expectHash, `Ferry announced info_hash ${ferryAnnounce.info_hash}, not SHA-1("${ROOM}") = ${expectHash}`)
    const [joined, connect] = await Promise.all([
      ferry.events.wait(e => e.event === 'peer-joined', STEP_MS, 'peer-joined line'),
      p2pt.events.wait(e => e.event === 'peerconnect', STEP_MS, 'peerconnect event'),
    ])
    check(joined.id === p2ptId, `Ferry's peer-joined is for ${joined.id}, not the P2PT peer ${p2ptId}`)
    check(['p2pt', 'unknown'].includes(joined.kind), `Ferry says kind=${joined.kind} for a P2PT peer`)
    check(joined.verified === 'no', `a peer in a plain room shows verified=${joined.verified}`)
    check(joined.name === peerName(), `Ferry names the peer "${joined.name}", expected "${peerName()}"`)
    check(connect.peer === ferryId, `P2PT's peerconnect is for ${connect.peer}, not Ferry ${ferryId}`)
    return `Ferry peer-joined kind=${joined.kind} after-join-ms=${joined['after-join-ms']}; P2PT peerconnect ${connect.ms} ms after start()`
  })

  await step('hello', async () => {
    const hello = await p2pt.events.wait(e => e.event === 'msg' && e.peer === ferryId, STEP_MS, 'first message from Ferry')
    check(hello.msg && typeof hello.msg === 'object' && hello.msg.type === 'ferry-hello',
      `Ferry's first message is ${abbrev(hello.msg)}, not a ferry-hello object`)
    check(hello.msg.name === FERRY_NAME, `the hello names "${hello.msg.name}", not "${FERRY_NAME}"`)
    return `P2PT got ${abbrev(hello.msg, 200)} as an object message`
  })

  await step('objects', async () => {
    for (const obj of OBJECTS) await p2pt.command({ cmd: 'send', msg: obj })
    await p2pt.command({ cmd: 'send', msg: P2PT_TO_FERRY.afterObjects })
    ferryExpected.push(`${peerName()}: ${P2PT_TO_FERRY.afterObjects}`)
    await ferryCaughtUp('the line after the objects')
    onlyStrings()
    return `${OBJECTS.length} objects ignored, none acknowledged`
  })

  for (const [key, what] of [['short', 'short text'], ['emoji', 'text with emoji'], ['big', '1 MiB']]) {
    await step(`p2pt-to-ferry ${what}`, async () => {
      const t = performance.now()
      await p2pt.command({ cmd: 'send', msg: P2PT_TO_FERRY[key] })
      ferryExpected.push(`${peerName()}: ${P2PT_TO_FERRY[key]}`)
      await ferryCaughtUp(what)
      return `${(performance.now() - t).toFixed(0)} ms, ${P2PT_TO_FERRY[key].length} units, exact`
    })
  }

  for (const [key, what] of [['short', 'short text'], ['emoji', 'text with emoji'], ['big', '1 MiB']]) {
    await step(`ferry-to-p2pt ${what}`, async () => {
      const t = performance.now()
      await writeLine(ferry.proc, FERRY_TO_P2PT[key])
      p2ptExpected.push(FERRY_TO_P2PT[key])
      await p2ptCaughtUp(what)
      return `${(performance.now() - t).toFixed(0)} ms, ${FERRY_TO_P2PT[key].length} units, exact`
    })
  }

  await step(`p2pt-to-ferry burst of ${opts.burst}`, async () => {
    const t = performance.now()
    if (opts.burst) await p2pt.command({ cmd: 'send-many', prefix: 'p2pt burst ', count: opts.burst })
    for (let i = 1; i <= opts.burst; i++) ferryExpected.push(`${peerName()}: p2pt burst ${i}`)
    await ferryCaughtUp('the burst')
    return `${(performance.now() - t).toFixed(0)} ms`
  })

  await step('reply', async () => {
    await p2pt.command({ cmd: 'reply-to', match: FERRY_TO_P2PT.askReply, reply: REPLY })
    await writeLine(ferry.proc, FERRY_TO_P2PT.askReply)
    p2ptExpected.push(FERRY_TO_P2PT.askReply)
    await p2ptCaughtUp('the message to reply to')
    const asked = p2ptMsgs().at(-1)
    const replied = await p2pt.events.wait(e => e.event === 'replied', STEP_MS, 'replied report')
    check(replied.id === asked.id, `P2PT replied with id ${replied.id}, not ${asked.id}`)
    ferryExpected.push(`${peerName()}: ${REPLY}`)
    await ferryCaughtUp('the reply')
    await p2pt.command({ cmd: 'send', msg: P2PT_TO_FERRY.afterReply })
    ferryExpected.push(`${peerName()}: ${P2PT_TO_FERRY.afterReply}`)
    await ferryCaughtUp('the message after the reply')
    return `peer.respond() to id ${asked.id} (${REPLY.length} units) printed as chat; a new send() after it arrived`
  })

  if (opts.announceInterval) {
    await step('reannounce', async () => {
      const t = performance.now()
      // If Ferry offered anything, the tracker could only give it to the P2PT peer, which answers
      // every offer: a second connection between the two.
      const again = await tracker.events.wait(e => e.peer_id === ferryId && e.at > t,
        (opts.announceInterval + 20) * 1000, `Ferry's next announce`)
      await new Promise(resolve => setTimeout(resolve, 3000)) // answer, ICE, DTLS, SCTP, duplicate resolution
      const before = p2ptMsgs().length
      const ack = await p2pt.command({ cmd: 'send', msg: 'p2pt after the re-announce' })
      await writeLine(ferry.proc, 'ferry after the re-announce')
      const [fromP2pt, fromFerry] = await Promise.all([
        ferry.lines.wait(e => e.text === `${peerName()}: p2pt after the re-announce`, 5000, 'P2PT message').catch(() => null),
        p2pt.events.wait(e => e.event === 'msg' && e.msg === 'ferry after the re-announce', 5000, 'Ferry message').catch(() => null),
      ])
      const problems = []
      for (const e of ferry.events.seen.filter(e => e.event === 'peer-left' && e.at > t)) problems.push(`Ferry printed peer-left ${(e.at - again.at).toFixed(0)} ms after its announce`)
      for (const e of p2pt.events.seen.filter(e => e.event === 'peerclose' && e.at > t)) problems.push(`P2PT emitted peerclose for Ferry ${(e.at - again.at).toFixed(0)} ms after Ferry's announce`)
      for (const e of p2pt.events.seen.filter(e => e.event === 'exit')) problems.push(`the P2PT peer died (exit ${e.code}): ${p2pt.stderr?.find(l => /Error/.test(l)) ?? ''}`)
      const errs = p2pt.events.seen.filter(e => e.event === 'console' && e.at > t)
      if (errs.length) problems.push(`P2PT threw ${errs.length} times: ${abbrev(errs[0].text.split('\n')[0], 200)}`)
      if (!ack.peers) problems.push('P2PT had no peer left to send to')
      else if (!fromP2pt) problems.push("P2PT's send() did not reach Ferry")
      if (!fromFerry) problems.push("Ferry's message did not reach the P2PT app")
      if (problems.length && !ferry.events.seen.some(e => e.event === 'peer-left')) problems.push('Ferry still shows the peer as connected')
      if (extraHellos()) problems.push(`(Ferry moved to the new connection: ${extraHellos()} more ferry-hello)`)
      check(problems.length === 0 || (problems.length === 1 && extraHellos()), problems.join('; '))
      ferryExpected.push(`${peerName()}: p2pt after the re-announce`)
      p2ptExpected.push('ferry after the re-announce')
      check(p2ptMsgs().length === before + 1, `P2PT got ${p2ptMsgs().length - before} messages instead of 1`)
      await ferryCaughtUp('the message after the re-announce')
      return `Ferry re-announced with ${again.offers} offer(s); Ferry ${extraHellos() ? 'moved to the new connection' : 'kept the first connection'}; messages pass both ways`
    })
  }

  await step(`ferry-to-p2pt burst of ${opts.burst}`, async () => {
    const { pending } = await p2pt.command({ cmd: 'pending' })
    const t = performance.now()
    for (let i = 1; i <= opts.burst; i++) {
      const line = `ferry burst ${i}`
      await writeLine(ferry.proc, line)
      p2ptExpected.push(line)
    }
    await p2ptCaughtUp('the burst')
    const resolved = p2pt.events.seen.filter(e => e.event === 'resolved')
    check(!resolved.length, `${resolved.length} of P2PT's send()s were resolved by Ferry's messages: ${resolved.slice(0, 3).map(e => abbrev(e)).join('; ')}`)
    const ids = new Set(p2ptMsgs().map(e => e.id))
    return `${(performance.now() - t).toFixed(0)} ms; P2PT waited on ${pending[ferryId]} ids, none reused (${ids.size} distinct ids from Ferry)`
  })

  await step('clean', async () => {
    const bad = ferry.events.seen.filter(e => ['peer-error', 'not-sent', 'error'].includes(e.event))
    check(!bad.length, `Ferry reported ${bad.map(e => abbrev(e)).join('; ')}`)
    const consoleLines = p2pt.events.seen.filter(e => e.event === 'console')
    check(!consoleLines.length, `P2PT logged ${consoleLines.map(e => abbrev(e.text)).join('; ')}`)
    const lost = p2pt.events.seen.filter(e => e.event === 'swallowed' || e.event === 'resolved')
    check(!lost.length, `P2PT swallowed ${lost.length} of Ferry's messages: ${abbrev(lost[0])}`)
    check(ferry.lines.seen.length === ferryExpected.length, `Ferry printed ${ferry.lines.seen.length - ferryExpected.length} extra lines: ${abbrev(ferry.lines.seen.slice(ferryExpected.length).map(e => e.text))}`)
    check(p2ptMsgs().length === p2ptExpected.length + 1, `P2PT got ${p2ptMsgs().length - 1 - p2ptExpected.length} extra messages`)
    onlyStrings()
    const joins = ferry.events.seen.filter(e => e.event === 'peer-joined').length
    const connects = p2pt.events.seen.filter(e => e.event === 'peerconnect').length
    check(joins === 1 && connects === 1, `peer-joined ${joins} times, peerconnect ${connects} times`)
    return `Ferry printed ${ferryExpected.length} lines, P2PT got ${p2ptExpected.length + 1} messages` +
      (extraHellos() ? ` and ${extraHellos()} more ferry-hello (one per extra connection)` : '')
  })

  await step(`leave (${opts.leave} leaves)`, async () => {
    const t = performance.now()
    if (opts.leave === 'p2pt') {
      await p2pt.command({ cmd: 'leave' })
      const left = await ferry.events.wait(e => e.event === 'peer-left', 15000, 'peer-left')
      check(left.id === p2ptId, `peer-left is for ${left.id}, not ${p2ptId}`)
      return `Ferry printed peer-left after ${(left.at - t).toFixed(0)} ms`
    }
    ferry.proc.stdin.end()
    const closed = await p2pt.events.wait(e => e.event === 'peerclose', 15000, 'peerclose')
    check(closed.peer === ferryId, `peerclose is for ${closed.peer}, not ${ferryId}`)
    return `P2PT emitted peerclose after ${(closed.at - t).toFixed(0)} ms`
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
    if (p2pt?.logPath) { note(`--- ${opts.peer} log ---`); process.stderr.write(tail(p2pt.logPath, 20) + '\n') }
    if (p2pt?.stderr?.length) { note('--- p2pt-peer stderr ---'); process.stderr.write(p2pt.stderr.slice(-20).join('\n') + '\n') }
  }
  p2pt?.end?.()
  await tracker.stop()
  const passed = steps.results.filter(r => r.status === 'PASS').length
  console.log(`${label} ${steps.failed ? 'FAIL' : 'PASS'} (${passed}/${steps.results.length} steps, ${secs()} s)`)
  return finish(steps.failed ? 1 : 0)
}

function firstMismatch (got, want) {
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return i
  return null
}

function describeMismatch (got, want) {
  const i = firstMismatch(got, want)
  if (i === null) return got.length > want.length ? `${got.length - want.length} unexpected extra: ${abbrev(got[want.length])}` : 'as expected'
  if (i >= got.length) return `${got.length} of ${want.length} arrived; missing #${i + 1} ${abbrev(want[i])}`
  const text = v => typeof v === 'string' ? v : JSON.stringify(v) ?? String(v)
  const a = text(got[i])
  const b = text(want[i])
  let j = 0
  while (j < a.length && a[j] === b[j]) j++
  return `#${i + 1} differs at unit ${j} (lengths ${a.length}/${b.length}): got ${abbrev(a.slice(Math.max(0, j - 20), j + 40))}, want ${abbrev(b.slice(Math.max(0, j - 20), j + 40))}`
}

main().catch(err => { console.log(`${label} FAIL: ${err.stack ?? err}`); finish(1) })
