#!/usr/bin/env node
// A P2PT 1.6 peer (libwebrtc via @roamhq/wrtc) driven from the command line, reporting as JSON
// lines on stdout (see lib/p2pt-driver.mjs). The reference "other room member" for Ferry's
// tracker and room tests; lib/p2pt-page.mjs is the same peer in a browser.
//
//   p2pt-peer.mjs --tracker=URL [--tracker=URL]… --identifier=ID
//                 [--send=TEXT]… [--send-json=JSON]…   sent to every peer once it connects
//                 [--expect=TEXT]… [--expect-json=JSON]… messages to wait for (from any peer)
//                 [--peers=N]         peers to meet before done (default 1)
//                 [--echo]            send every message received back as a new message
//                 [--reply]           … or as a reply (same id: resolves the sender's promise)
//                 [--timeout=SECONDS] (default 30)  [--linger=MS] (default 500)  [--stay]
//                 [--control]         read commands from stdin, one JSON object a line
//                 [--peer-id=HEX]     this peer id (40 hex digits) instead of a random one
//
// Exit 0 once every expected message arrived and N peers connected, 1 on timeout. It closes
// its connections and lingers --linger ms before exiting, so that the others see it go
// (docs/INTEROP.md, "A peer that exits right after closing is never seen leaving"). --stay
// keeps it running after "done" until SIGTERM or stdin EOF.
// --control: stdin lines are control commands (lib/p2pt-driver.mjs, `command`); the peer runs
// until stdin reaches EOF, then exits 0, or 1 if it never met --peers peers.
//
// Tests: start a second peer only after the first reported trackerconnect (the reference
// tracker splits a swarm whose first two announces arrive in the same tick).
import P2PT from 'p2pt'
import { createInterface } from 'node:readline'
import { applyOption, DEFAULTS, runP2ptPeer } from './lib/p2pt-driver.mjs'

const o = { ...DEFAULTS, trackers: [], send: [], expect: [], linger: 500, stay: false }
for (const arg of process.argv.slice(2)) {
  const [, name, value] = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg) ?? []
  try {
    if (name === 'linger') o.linger = Number(value)
    else if (name === 'stay') o.stay = true
    else if (!applyOption(o, name, value)) throw new Error(`unknown argument '${arg}'`)
  } catch (err) {
    process.stderr.write(`p2pt-peer: ${err.message}\n`)
    process.exit(2)
  }
}
if (!o.trackers.length || !o.identifier) {
  process.stderr.write('p2pt-peer: --tracker=URL and --identifier=ID are required\n')
  process.exit(2)
}

const { p2pt, done, command } = runP2ptPeer(P2PT, o, obj => process.stdout.write(JSON.stringify(obj) + '\n'))
let ok = false
// Leave --linger ms after destroying: a peer that exits at once is never seen leaving (the
// connections' close does not get out). wrtc's threads would keep us alive, hence exit().
let exiting = false
const exit = code => {
  if (exiting) return
  exiting = true
  p2pt.destroy()
  setTimeout(() => process.stdout.write('', () => process.exit(code)), o.linger)
}
process.on('SIGTERM', () => exit(ok ? 0 : 1))
process.on('SIGINT', () => exit(1))
if (o.control) {
  // Commands run in order; the first "done" only tells whether the peers were met.
  createInterface({ input: process.stdin })
    .on('line', line => {
      if (!line.trim()) return
      try { command(JSON.parse(line)) } catch (err) { process.stdout.write(JSON.stringify({ event: 'ack', error: String(err.message) }) + '\n') }
    })
    .on('close', () => exit(ok ? 0 : 1))
  done.then(result => { ok = result.ok })
}
const result = await done
ok = result.ok
if (o.control) {
  // stdin EOF ends it (above).
} else if (o.stay) process.stdin.on('end', () => exit(ok ? 0 : 1)).resume()
else exit(ok ? 0 : 1)
