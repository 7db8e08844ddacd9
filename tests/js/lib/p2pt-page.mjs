// Browser entry of the scripted P2PT peer (bundled with p2pt by build-browser.mjs).
// Options come from the page's query string with p2pt-peer.mjs's flag names, repeated where
// they repeat: ?tracker=ws://…&identifier=…&send=hi&expect=hello&peers=1. Report lines are
// POSTed to /event on the page's origin, in order: a JSON array of one or more report objects
// per request, one request at a time.
//
// ?control=1: commands for the driver (lib/p2pt-driver.mjs, `command`) come from long polls of
// GET /command?after=SEQ, which answer with a JSON array of commands whose "seq" is > SEQ.
import P2PT from 'p2pt'
import { applyOption, DEFAULTS, runP2ptPeer } from './p2pt-driver.mjs'

// Reports keep their order: whatever piles up while one POST is in flight goes in the next.
let queue = []
let posting = false
const flush = async () => {
  if (posting || !queue.length) return
  posting = true
  while (queue.length) {
    const batch = queue
    queue = []
    try {
      await fetch('/event', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) })
    } catch {}
  }
  posting = false
}
const out = obj => { queue.push(obj); flush() }

async function poll (command) {
  let after = 0
  let failures = 0
  for (;;) {
    let cmds
    try {
      const res = await fetch(`/command?after=${after}`, { cache: 'no-store' })
      if (!res.ok) return out({ event: 'control-ended', status: res.status })
      cmds = await res.json()
      failures = 0
    } catch (err) {
      // Firefox now and then fails a long poll ("NetworkError"); asking again is safe, as the
      // runner answers with every command after `after`. Many failures in a row: it is gone.
      if (++failures > 20) return out({ event: 'control-ended', error: String(err?.message ?? err) })
      await new Promise(resolve => setTimeout(resolve, 100))
      continue
    }
    for (const cmd of cmds) {
      after = Math.max(after, cmd.seq)
      try { command(cmd) } catch (err) { out({ event: 'ack', seq: cmd.seq, error: String(err?.message ?? err) }) }
    }
  }
}

const o = { ...DEFAULTS, trackers: [], send: [], expect: [] }
try {
  for (const [name, value] of new URLSearchParams(location.search)) {
    if (!applyOption(o, name, value)) throw new Error(`unknown option ${name}`)
  }
  const { p2pt, command } = runP2ptPeer(P2PT, o, out)
  globalThis.ferryP2pt = p2pt // for poking at from a test
  if (o.control) poll(command)
} catch (err) {
  out({ event: 'done', ok: false, reason: String(err?.message ?? err) })
}
