// The interop scenario's foreign peer in a browser page served by interop.mjs.
import { httpLink, runScenario } from './scenario.mjs'

const link = httpLink(location.origin)
const fail = err => link.report({ error: String(err?.stack ?? err) })
window.addEventListener('error', ev => fail(ev.error ?? ev.message))
window.addEventListener('unhandledrejection', ev => fail(ev.reason))
runScenario({
  RTCPeerConnection,
  link,
  randomFill: u8 => crypto.getRandomValues(u8),
  now: () => performance.now(),
}).catch(fail)
