// The interop scenario's foreign peer in Node, on libwebrtc (@roamhq/wrtc).
//   node lib/node-peer.mjs http://127.0.0.1:PORT
import wrtc from '@roamhq/wrtc'
import { webcrypto } from 'node:crypto' // globalThis.crypto needs Node 19+
import { httpLink, runScenario } from './scenario.mjs'

const link = httpLink(process.argv[2])
try {
  const pc = await runScenario({
    RTCPeerConnection: wrtc.RTCPeerConnection,
    link,
    randomFill: u8 => webcrypto.getRandomValues(u8),
    now: () => performance.now(),
  })
  // Give the CLI time to see the close of peer-echo before the whole connection goes.
  setTimeout(() => { pc.close(); process.exit(0) }, 500)
} catch (err) {
  process.stderr.write(`node-peer: ${err?.stack ?? err}\n`)
  await link.report({ error: String(err?.stack ?? err) }).catch(() => {})
  process.exit(1)
}
