// Browser entry of the WebDrop v2 peer (bundled with p2pt, simple-peer-files 1.2.3 and
// simple-peer 9.7.2 by build-browser.mjs; served and driven by webdrop-browser.mjs). The logic is
// webdrop-logic.mjs, the same as the Node peer's (../webdrop-peer.mjs): options come from the
// query string with that peer's flag names (?tracker=ws://…&room=CODE&name=…&preload=JSON&raw=1),
// plus tag=NAME, the name the runner knows this page by. Commands and events as in the Node peer
// (page-link.mjs carries them), with these differences:
//   share  takes "url" (the runner serves the file's bytes there) instead of reading "path"
//   file-received  "path" is null: nothing is written; the bytes are hashed in the page
//   {"cmd":"end"}  what stdin's EOF is to the Node peer: leave, linger, report
//                  {"event":"exit","code":0}
// simple-peer-files gets the browser's own File, Blob and FileReader; its simple-peer is
// simple-peer-browser.cjs (no ICE server).
import P2PT from 'p2pt'
import spfModule from 'simple-peer-files'
import FilePeer from './simple-peer-browser.cjs'
import { pageLink } from './page-link.mjs'
import { applyOption, defaultOptions, runWebDrop } from './webdrop-logic.mjs'

const params = new URLSearchParams(location.search)
const tag = params.get('tag') ?? ''
const { out, flushed, poll } = pageLink(new URLSearchParams({ tag }).toString())

const text = a => a instanceof Error ? `${a.name}: ${a.message}\n${a.stack}` : String(a)
// A page logs what throws in an event handler and goes on: report it.
window.addEventListener('error', ev => out({ event: 'uncaught', error: text(ev.error ?? ev.message) }))
window.addEventListener('unhandledrejection', ev => out({ event: 'uncaught', error: text(ev.reason), rejection: true }))
// P2PT reports JSON errors in what it receives with console.log(): make them visible as events.
console.log = (...args) => out({ event: 'console', text: args.map(text).join(' ') })

const hex = buf => [...new Uint8Array(buf)].map(b => b.toString(16).padStart(2, '0')).join('')
const SimplePeerFiles = spfModule.default ?? spfModule

const env = {
  loadFiles: ({ onFilePeer }) => {
    FilePeer.onFilePeer = onFilePeer
    return { SimplePeerFiles, File }
  },
  // A Blob straight from the response: the bytes need not pass through the page's heap.
  shareBytes: async cmd => {
    if (typeof cmd.url !== 'string') throw new Error('share needs a "url" in a page')
    const res = await fetch(cmd.url, { cache: 'no-store' })
    if (!res.ok) throw new Error(`GET ${cmd.url}: ${res.status}`)
    return res.blob()
  },
  sha1hex: async t => hex(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(t))),
  sha256hex: async bytes => hex(await crypto.subtle.digest('SHA-256', bytes)),
  saveReceived: async () => null,
}

let peer = null
let exiting = false
async function exit (code) {
  if (exiting) return
  exiting = true
  try { peer?.destroy() } catch {}
  await new Promise(resolve => setTimeout(resolve, o.linger))
  out({ event: 'exit', code })
  await flushed()
}

const o = defaultOptions()
o.control = true
try {
  for (const [name, value] of params) {
    if (name === 'tag') continue
    if (name === 'download-dir') throw new Error('a page has no download-dir')
    if (!applyOption(o, name, value)) throw new Error(`unknown option ${name}`)
  }
  if (!o.trackers.length || !o.identifier) throw new Error('tracker and room (or identifier) are required')
  peer = runWebDrop({ P2PT, o, out, env })
  globalThis.webdrop = peer // for poking at from a test
  if (o.timeout > 0) setTimeout(() => { out({ event: 'timeout' }); exit(1) }, o.timeout * 1000)
  poll(cmd => {
    if (cmd.cmd === 'end') {
      out({ event: 'ack', seq: cmd.seq, cmd: 'end' })
      peer.idle().then(() => exit(0))
    } else peer.command(cmd)
  })
  if (!o.deferStart) peer.start().catch(err => { out({ event: 'error', message: String(err?.message ?? err) }); exit(1) })
} catch (err) {
  out({ event: 'error', message: String(err?.message ?? err) })
  exit(2)
}
