#!/usr/bin/env node
// Room join → first open channel, through a local reference tracker: Ferry ↔ Ferry (two
// `ferry-cli chat` processes) against P2PT ↔ P2PT (two tests/js/p2pt-peer.mjs, libwebrtc in Node).
// Run it inside tests/netns-run.sh.
//
//   bench-room.mjs --ferry-cli=PATH [--runs=5] [--delay=200] [--timeline] [--json]
//
// Each run uses a new room on one tracker. Peer A joins; once the tracker has seen A announce
// (its event line) and --delay ms have passed, B joins. The figure is B's own join → open:
//   Ferry: after-join-ms of B's peer-joined line (from ferry_room_join () to the channel being
//          open, measured inside ferry-cli, so process start-up is excluded);
//   P2PT:  B's p2pt.start() → peerconnect, measured inside the Node process ("ms" of its
//          peerconnect report), so Node's start-up and module loading are excluded.
// The two stacks alternate run by run. Also shown: B's process start → open, measured here.
// --timeline: B's Ferry runs with G_MESSAGES_DEBUG=Ferry; prints where the time goes in the
// median Ferry run (tracker, offers, answer, ICE, DTLS, SCTP, channel).
// --json: one JSON object with every figure as the last line.
//
// Exit 0 with figures, 1 when a run failed, 77 when node's packages are missing (a failure
// when CI=true).

import { accessSync, constants as fsc } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const JS = join(dirname(fileURLToPath(import.meta.url)), '..', 'js')
const { finish, skipOrFail } = await import(join(JS, 'lib/harness.mjs'))
const { missingPackage, startFerryChat, startP2ptNode, startTracker } = await import(join(JS, 'lib/room-procs.mjs'))

const o = { ferryCli: null, runs: 5, delay: 200, timeline: false, json: false }
for (const arg of process.argv.slice(2)) {
  const [, name, v] = /^--([a-z-]+)(?:=(.*))?$/.exec(arg) ?? []
  if (name === 'ferry-cli') o.ferryCli = v
  else if (name === 'runs') o.runs = Number(v)
  else if (name === 'delay') o.delay = Number(v)
  else if (name === 'timeline') o.timeline = true
  else if (name === 'json') o.json = true
  else { process.stderr.write(`bench-room: unknown argument '${arg}'\n`); process.exit(2) }
}
if (!o.ferryCli || !(o.runs >= 1) || !(o.delay >= 0)) {
  process.stderr.write('usage: bench-room.mjs --ferry-cli=PATH [--runs=5] [--delay=200] [--timeline] [--json]\n')
  process.exit(2)
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const median = xs => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
const fmt = x => x.toFixed(1).padStart(7)
const TIMEOUT = 20000

async function ferryRun (tracker, room) {
  const a = startFerryChat(o.ferryCli, room, { trackers: [tracker.url], name: 'A' })
  const aId = await a.id
  await tracker.events.wait(e => e.peer_id === aId, TIMEOUT, 'A\'s announce')
  await sleep(o.delay)
  const b = startFerryChat(o.ferryCli, room, { trackers: [tracker.url], name: 'B', debug: o.timeline })
  const joined = await b.events.wait(e => e.event === 'peer-joined', TIMEOUT, 'B\'s peer-joined')
  const result = { ms: Number(joined['after-join-ms']), spawnMs: joined.at - b.startedAt, timeline: o.timeline ? timeline(b) : null }
  await a.events.wait(e => e.event === 'peer-joined', TIMEOUT, 'A\'s peer-joined')
  a.proc.stdin.end()
  b.proc.stdin.end()
  await Promise.all([a.exited, b.exited])
  return result
}

async function p2ptRun (tracker, room) {
  const a = startP2ptNode({ trackers: [tracker.url], identifier: room, tag: 'p2pt A' })
  const aId = (await a.events.wait(e => e.event === 'ready', TIMEOUT, 'A ready')).peer_id
  await tracker.events.wait(e => e.peer_id === aId, TIMEOUT, 'A\'s announce')
  await sleep(o.delay)
  const startedAt = performance.now()
  const b = startP2ptNode({ trackers: [tracker.url], identifier: room, tag: 'p2pt B' })
  const connect = await b.events.wait(e => e.event === 'peerconnect', TIMEOUT, 'B\'s peerconnect')
  await a.events.wait(e => e.event === 'peerconnect', TIMEOUT, 'A\'s peerconnect')
  a.end()
  b.end()
  await Promise.all([a.exited, b.exited])
  return { ms: connect.ms, spawnMs: connect.at - startedAt }
}

// Milestones of B's debug output, relative to the arrival of its "joining" line (just before
// ferry_room_join ()); pipe latency is well under a millisecond.
const MILESTONES = [
  [/Tracker .*state 1 -> 2/, 'tracker connected'],
  [/announcing (\d+) offers/, 'offers announced'],
  [/Peer connection .*state 0 -> 1/, 'answer applied (ICE starts)'],
  [/ICE .*state 1 -> 2/, 'ICE connected'],
  [/DTLS .*connected as/, 'DTLS connected'],
  [/SCTP .*connected with/, 'SCTP connected'],
  [/^ferry-cli: peer-joined/, 'channel open (peer-joined)'],
]

function timeline (b) {
  const t0 = b.events.seen.find(e => e.event === 'joining').at
  const rows = []
  for (const [re, what] of MILESTONES) {
    const hit = b.stderrTimed.find(l => re.test(l.line))
    if (hit) rows.push({ what, ms: hit.at - t0 })
  }
  return rows
}

async function main () {
  try { accessSync(o.ferryCli, fsc.X_OK) } catch { process.stderr.write(`bench-room: ${o.ferryCli} is not executable\n`); process.exit(2) }
  const missing = missingPackage()
  if (missing) return skipOrFail('bench-room', `npm package ${missing} is missing (run npm ci in tests/js)`)

  const tracker = await startTracker()
  const ferry = []
  const p2pt = []
  console.log(`room join → first channel open, ${o.runs} runs each, B joins ${o.delay} ms after the tracker saw A`)
  console.log('run   Ferry↔Ferry ms (process start→open)   P2PT↔P2PT ms (process start→open)')
  for (let i = 1; i <= o.runs; i++) {
    const f = await ferryRun(tracker, `bench-room-ferry-${process.pid}-${i}`)
    const p = await p2ptRun(tracker, `bench-room-p2pt-${process.pid}-${i}`)
    ferry.push(f)
    p2pt.push(p)
    console.log(`${String(i).padStart(3)}   ${fmt(f.ms)} (${fmt(f.spawnMs)})                  ${fmt(p.ms)} (${fmt(p.spawnMs)})`)
  }
  await tracker.stop()

  const summary = {}
  for (const [name, runs] of [['ferry', ferry], ['p2pt', p2pt]]) {
    const ms = runs.map(r => r.ms)
    summary[name] = { median: median(ms), min: Math.min(...ms), max: Math.max(...ms), spawnMedian: median(runs.map(r => r.spawnMs)), runs: ms }
  }
  const ratio = summary.ferry.median / summary.p2pt.median
  console.log('')
  console.log('                     median      min      max   (process start→open, median)')
  console.log(`Ferry↔Ferry ms      ${fmt(summary.ferry.median)}  ${fmt(summary.ferry.min)}  ${fmt(summary.ferry.max)}   (${fmt(summary.ferry.spawnMedian)})`)
  console.log(`P2PT↔P2PT ms        ${fmt(summary.p2pt.median)}  ${fmt(summary.p2pt.min)}  ${fmt(summary.p2pt.max)}   (${fmt(summary.p2pt.spawnMedian)})`)
  console.log(`ratio Ferry/P2PT (medians): ${ratio.toFixed(2)}  — goal ≤ 0.50: ${ratio <= 0.5 ? 'met' : 'NOT met'}`)

  if (o.timeline) {
    const mid = [...ferry].sort((a, b) => a.ms - b.ms)[(ferry.length - 1) >> 1]
    console.log('')
    console.log(`where the time goes in the median Ferry run (B, ${mid.ms.toFixed(1)} ms), ms after ferry_room_join ():`)
    let prev = 0
    for (const row of mid.timeline) {
      console.log(`  ${fmt(row.ms)}  (+${row.ms - prev >= 0 ? (row.ms - prev).toFixed(1) : '?'})  ${row.what}`)
      prev = row.ms
    }
  }
  if (o.json) console.log(JSON.stringify({ ...summary, ratio, delayMs: o.delay }))
  return finish(0)
}

main().catch(err => { console.log(`bench-room FAIL: ${err.stack ?? err}`); finish(1) })
