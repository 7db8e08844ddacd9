// Browser entry of the scripted P2PT peer (bundled with p2pt by build-browser.mjs).
// Options come from the page's query string with p2pt-peer.mjs's flag names, repeated where
// they repeat: ?tracker=ws://…&identifier=…&send=hi&expect=hello&peers=1. Every report line is
// POSTed as JSON to /event on the page's origin.
import P2PT from 'p2pt'
import { applyOption, DEFAULTS, runP2ptPeer } from './p2pt-driver.mjs'

const out = obj => fetch('/event', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(obj) }).catch(() => {})
const o = { ...DEFAULTS, trackers: [], send: [], expect: [] }
try {
  for (const [name, value] of new URLSearchParams(location.search)) {
    if (!applyOption(o, name, value)) throw new Error(`unknown option ${name}`)
  }
  const { p2pt } = runP2ptPeer(P2PT, o, out)
  globalThis.ferryP2pt = p2pt // for poking at from a test
} catch (err) {
  out({ event: 'done', ok: false, reason: String(err?.message ?? err) })
}
