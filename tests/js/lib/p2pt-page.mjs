// Browser entry of the scripted P2PT peer (bundled with p2pt by build-browser.mjs).
// Options come from the page's query string with p2pt-peer.mjs's flag names, repeated where
// they repeat: ?tracker=ws://…&identifier=…&send=hi&expect=hello&peers=1. Report lines are
// POSTed to /event on the page's origin (page-link.mjs).
//
// ?control=1: commands for the driver (lib/p2pt-driver.mjs, `command`) come from long polls of
// GET /command?after=SEQ, which answer with a JSON array of commands whose "seq" is > SEQ.
import P2PT from 'p2pt'
import { pageLink } from './page-link.mjs'
import { applyOption, DEFAULTS, runP2ptPeer } from './p2pt-driver.mjs'

const { out, poll } = pageLink()

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
