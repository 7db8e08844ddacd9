// simple-peer-files 1.2.3 (the file transfer library of WebDrop v2) on simple-peer 9.7.2 in Node,
// unchanged, for webdrop-peer.mjs. What a browser gives the library and Node does not, injected
// without touching any global:
//
// - WebRTC: simple-peer-files makes its own `new Peer({ initiator })` and passes no `wrtc`.
//   Before it is loaded, require's cache entry of "simple-peer" is replaced by a subclass that
//   adds `wrtc: @roamhq/wrtc` and `config: { iceServers: [] }` (simple-peer 9's default config
//   names Google's and Twilio's STUN servers: never contacted here), and reports every file
//   peer it makes to `onFilePeer(peer)` (which also listens for its 'error': with no listener
//   simple-peer's error event would throw and end the process, where a page only logs it).
// - `window.File`: PeerFileReceive builds the finished file with `new window.File(chunks, name,
//   {type})`. Its module is compiled here with a `window` parameter bound to { File } (Node's
//   buffer.File) and put in require's cache, so no global `window` exists (bittorrent-tracker
//   looks at `window.location` when there is one).
// - `FileReader`: filereader-stream reads the File/Blob with `new FileReader()`, `onloadend`,
//   `readAsArrayBuffer(slice)` and `event.target.result`. Its module is compiled the same way
//   with `FileReader` bound to a small class over Blob.arrayBuffer(), which is all it uses.
// - The control channel: simple-peer-files signals over the P2PT connection it is given, with
//   `send(JSON text)` and `on('data')` + `JSON.parse(data)`. WebDrop's P2PT of the time ran on
//   simple-peer 9, where text arrives as a string; P2PT 1.6 runs on @thaunknown/simple-peer 10,
//   where it arrives as a Uint8Array, and JSON.parse(Uint8Array) fails (silently: the library
//   catches it), so no file would ever connect. `controlChannel(peer)` is what is handed to
//   simple-peer-files instead of the P2PT peer: send() goes to peer.send() unchanged (the
//   same text message on the wire), and each 'data' listener gets UTF-8-decoded text where
//   the peer delivered bytes. Nothing on the wire changes. (The bridge is in webdrop-logic.mjs:
//   the browser page needs it just the same.)

import { readFileSync } from 'node:fs'
import { Blob, File } from 'node:buffer'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import vm from 'node:vm'
import { controlChannel } from './webdrop-logic.mjs'

/** filereader-stream's use of the browser's FileReader, over Node's Blob. */
class FileReader {
  readAsArrayBuffer (blob) {
    blob.arrayBuffer().then(ab => {
      this.result = ab
      this.onloadend?.({ target: this })
    }, err => {
      this.error = err
      this.onerror?.(err)
    })
  }
}

/**
 * Load a CommonJS module with extra free variables bound (`extra`: name → value) and put it in
 * require's cache, so that the modules requiring it get this copy.
 */
function preload (require, id, extra) {
  const filename = require.resolve(id)
  const Module = require('node:module')
  const m = new Module(filename, null)
  m.filename = filename
  m.paths = Module._nodeModulePaths(dirname(filename))
  const names = Object.keys(extra)
  const fn = vm.compileFunction(readFileSync(filename, 'utf8'),
    ['exports', 'require', 'module', '__filename', '__dirname', ...names], { filename })
  fn.call(m.exports, m.exports, createRequire(filename), m, filename, dirname(filename), ...names.map(n => extra[n]))
  m.loaded = true
  require.cache[filename] = m
  return m.exports
}

/**
 * Returns { SimplePeerFiles, File, Blob, controlChannel }. Throws when a package is missing.
 * onFilePeer(peer): each simple-peer 9 file peer, when made (synchronously inside
 * pf.send()/pf.receive(), so the caller knows whose it is).
 */
export function loadSimplePeerFiles ({ onFilePeer = () => {} } = {}) {
  const base = createRequire(import.meta.url)
  const spfRequire = createRequire(base.resolve('simple-peer-files'))
  const wrtc = base('@roamhq/wrtc')
  // The "simple-peer" that simple-peer-files resolves (its own copy if it has one).
  const peerPath = spfRequire.resolve('simple-peer')
  const Peer = spfRequire('simple-peer')
  Peer.config = { iceServers: [] }
  class NodePeer extends Peer {
    constructor (opts = {}) {
      super({ wrtc, ...opts, config: { iceServers: [], ...opts.config } })
      onFilePeer(this)
    }
  }
  spfRequire.cache[peerPath].exports = NodePeer
  preload(spfRequire, 'filereader-stream', { FileReader })
  preload(spfRequire, 'simple-peer-files/dist/PeerFileReceive.js', { window: { File } })
  const SimplePeerFiles = spfRequire('simple-peer-files').default
  return { SimplePeerFiles, File, Blob, controlChannel }
}
