// The "simple-peer" that simple-peer-files gets in the WebDrop page's bundle (build-browser.mjs
// points its require("simple-peer") here): the real simple-peer 9.7.2 on the page's own WebRTC,
// with no ICE server (simple-peer 9's default config names Google's and Twilio's STUN servers:
// never contacted here), reporting each file peer it makes to FilePeer.onFilePeer(peer) (which
// webdrop-page.mjs sets; it also listens for the peer's 'error').
const Peer = require('simple-peer-real')

Peer.config = { iceServers: [] }

class FilePeer extends Peer {
  constructor (opts = {}) {
    super({ ...opts, config: { iceServers: [], ...opts.config } })
    FilePeer.onFilePeer(this)
  }
}
FilePeer.onFilePeer = () => {}

module.exports = FilePeer
