// The WebDrop v2 peer's logic (App.vue, Shares.vue and the store's shares, on P2PT 1.6 and
// simple-peer-files 1.2.3), shared by the Node peer (../webdrop-peer.mjs, libwebrtc through
// @roamhq/wrtc) and the browser page (webdrop-page.mjs, bundled by ../build-browser.mjs and run
// in headless Chromium or Firefox). What WebDrop does, the events and the commands are described
// at the top of ../webdrop-peer.mjs; this module is the one implementation of them.
//
// What differs between Node and a browser comes in `env`:
//   loadFiles({ onFilePeer })  → { SimplePeerFiles, File }: simple-peer-files with simple-peer 9
//                                on this side's WebRTC, no ICE server, reporting each file peer
//                                it makes to onFilePeer (throws when unavailable: presence and
//                                chat still work, the file commands fail)
//   shareBytes(cmd) async      → Uint8Array: the bytes of a `share` command (Node: the file at
//                                cmd.path; a page: fetched from cmd.url on its origin)
//   sha1hex(text), sha256hex(bytes)  async, lowercase hex
//   saveReceived({ peerId, shareID, name, bytes }) → a path, or null (no disk in a page)
//
// The caller feeds commands to `command(cmd)` (one at a time, in order), starts the peer with
// `start()` unless o.deferStart, and ends it with `destroy()`.

import { watchReplies } from './p2pt-driver.mjs'

/** The options and their defaults (names as webdrop-peer.mjs's flags, camel-cased). */
export function defaultOptions () {
  return {
    trackers: [],
    identifier: null,
    name: 'Linux Chrome120',
    color: `hsla(${Math.floor(360 * Math.random())},60%,60%,1)`,
    preload: [],
    raw: false,
    deferStart: false,
    control: false,
    peerId: null,
    timeout: 0,
    linger: 500,
    downloadDir: null,
    autoStart: true,
  }
}

/**
 * Apply one flag of webdrop-peer.mjs (`name` without its dashes, `value` a string or
 * undefined) to `o`. Returns false for a name it does not know; throws on a bad value.
 * download-dir is the Node entry's own (a page has no disk).
 */
export function applyOption (o, name, value) {
  switch (name) {
    case 'tracker': o.trackers.push(value); break
    case 'room': o.identifier = 'webdrop' + value; break
    case 'identifier': o.identifier = value; break
    case 'name': o.name = value; break
    case 'color': o.color = value; break
    case 'preload': o.preload.push(...[].concat(JSON.parse(value))); break
    case 'raw': o.raw = true; break
    case 'defer-start': o.deferStart = true; break
    case 'control': o.control = true; break
    case 'timeout': o.timeout = Number(value); break
    case 'linger': o.linger = Number(value); break
    case 'no-autostart': o.autoStart = false; break
    case 'peer-id':
      if (!/^[0-9a-f]{40}$/.test(value)) throw new Error('--peer-id needs 40 lowercase hex digits')
      o.peerId = value
      break
    default: return false
  }
  return true
}

const decoder = new TextDecoder()
const bridges = new WeakMap() // P2PT peer → its control channel for simple-peer-files

/**
 * The P2PT connection `peer` as simple-peer-files' control channel. simple-peer-files signals
 * over the connection it is given, with `send(JSON text)` and `on('data')` + `JSON.parse(data)`.
 * WebDrop's P2PT of the time ran on simple-peer 9, where text arrives as a string; P2PT 1.6 runs
 * on @thaunknown/simple-peer 10, where it arrives as a Uint8Array (in Node and in a browser
 * alike), and JSON.parse(Uint8Array) fails (silently: the library catches it), so no file would
 * ever connect. send() goes to peer.send() unchanged (the same text message on the wire), and
 * each 'data' listener gets UTF-8-decoded text where the peer delivered bytes. Nothing on the
 * wire changes. onSend(text) sees each text sent (for reports).
 */
export function controlChannel (peer, onSend = () => {}) {
  let c = bridges.get(peer)
  if (c) return c
  const wrapped = new Map() // listener of simple-peer-files → the listener on the peer
  c = {
    get connected () { return peer.connected },
    send (text) {
      onSend(text)
      peer.send(text)
    },
    on (event, listener) {
      const w = event === 'data'
        ? data => listener(typeof data === 'string' ? data : decoder.decode(data))
        : listener
      wrapped.set(listener, w)
      peer.on(event, w)
      return c
    },
    removeListener (event, listener) {
      peer.removeListener(event, wrapped.get(listener) ?? listener)
      wrapped.delete(listener)
      return c
    },
  }
  bridges.set(peer, c)
  return c
}

const PREFETCHED = Symbol('bytes being loaded')

const preview = msg => {
  const t = typeof msg === 'string' ? msg : JSON.stringify(msg)
  return t === undefined ? String(t) : t.length > 80 ? t.slice(0, 80) + '…' : t
}
const errText = err => String(err?.message ?? err)

/**
 * Run one WebDrop peer. `P2PT`: the P2PT class; `o`: options (defaultOptions + applyOption);
 * `out(obj)`: reports one event. Returns { p2pt, start(), command(cmd) (async, acks itself),
 * destroy() }.
 */
export function runWebDrop ({ P2PT, o, out, env }) {
  // --- WebDrop's state (its Vuex store) -----------------------------------------------------------

  const settings = { name: o.name, color: o.color }
  const users = {} // peer id → { name, color, conn }
  const msgs = [] // { msg, time, name, color, type?, id? }, as WebDrop stores them
  const connected = new Map() // peer id → the channel of its peerconnect (simple-peer object)
  const lastId = new Map() // peer id → P2PT message id of the latest complete message from it
  // store.shares: shareID → { shareID, name, size, paused, mine, transfers: [PeerFileSend or
  // PeerFileReceive], file (mine) | peer (theirs) }. Own shares and received ones alike, as in
  // WebDrop (so init's sharesCount counts both).
  const shares = {}
  // Shares.vue's list (its `shares` data): shareID → { shareID, name, size, paused, done, mine }
  const shareList = new Map()

  const addMessage = (msg, peer = null) => {
    msgs.push(msg)
    out({ event: 'msg-added', peer: peer?.id ?? null, index: msgs.length - 1, msg })
  }
  /** A stored message from a preload entry: WebDrop keeps name and colour with each message. */
  const stored = m => {
    if (!m || typeof m !== 'object' || typeof m.msg !== 'string') throw new Error('a preloaded message needs a "msg" string')
    return { msg: m.msg, time: m.time ?? new Date().toLocaleTimeString(), name: m.name ?? settings.name, color: m.color ?? settings.color }
  }
  for (const m of o.preload) addMessage(stored(m))

  // --- P2PT ---------------------------------------------------------------------------------------

  const p2pt = new P2PT(o.trackers)
  if (o.peerId) {
    p2pt._peerId = o.peerId
    p2pt._peerIdBuffer = Uint8Array.from(o.peerId.match(/../g), h => parseInt(h, 16))
    p2pt._peerIdBinary = String.fromCharCode(...p2pt._peerIdBuffer)
  }
  let startedAt = null

  // send() resolves only when the other side replies (never, with WebDrop): do not await it.
  const send = (peer, msg, why) => {
    out({ event: 'sent', peer: peer.id, msg, why })
    p2pt.send(peer, msg)
      .then(([, reply]) => out({ event: 'resolved', peer: peer.id, tag: preview(msg), reply: preview(reply) }))
      .catch(() => {})
  }

  p2pt.on('trackerconnect', (tracker, stats) => out({ event: 'trackerconnect', tracker: tracker.announceUrl, connected: stats.connected, total: stats.total }))
  p2pt.on('trackerwarning', (err, stats) => out({ event: 'trackerwarning', message: String(err?.message ?? err), connected: stats?.connected, total: stats?.total }))

  p2pt.on('peerconnect', peer => {
    const ms = startedAt === null ? null : Math.round((performance.now() - startedAt) * 10) / 10
    connected.set(peer.id, peer)
    out({ event: 'peerconnect', peer: peer.id, ms })
    if (o.raw) return
    send(peer, {
      type: 'init',
      name: settings.name,
      color: settings.color,
      sharesCount: Object.keys(shares).length,
      msgsCount: msgs.length,
    }, 'peerconnect')
  })

  p2pt.on('peerclose', peer => {
    connected.delete(peer.id)
    const user = users[peer.id]
    delete users[peer.id] // removeUser
    out({ event: 'peerclose', peer: peer.id, user: user?.name ?? null })
  })

  watchReplies(p2pt, lastId, out)

  p2pt.on('msg', (peer, msg) => {
    const id = lastId.get(peer.id) ?? null
    out({ event: typeof msg === 'string' ? 'string' : 'object', peer: peer.id, msg, id })
    if (o.raw) return
    try {
      onMsg(peer, msg)
    } catch (err) {
      out({ event: 'handler-error', peer: peer.id, type: msg?.type ?? null, error: errText(err) })
    }
  })

  /** App.vue's p2pt.on('msg') handler. Throws where WebDrop throws. */
  function onMsg (peer, msg) {
    if (typeof msg !== 'object') return
    const type = msg.type // null: TypeError, as in WebDrop
    if (type === 'getShares') {
      sendSharesState(peer, 'getShares')
    } else if (type === 'newShare') {
      delete msg.type
      msg.peer = peer
      newShare(msg)
    } else if (type === 'startSending') {
      startSending(peer, msg)
    } else if (type === 'getMsgs') {
      sendMsgsState(peer, 'getMsgs')
    } else if (type === 'init') {
      users[peer.id] = { name: msg.name, color: msg.color, conn: peer }
      out({ event: 'init', peer: peer.id, msg })
      if (msg.sharesCount > Object.keys(shares).length) send(peer, { type: 'getShares' }, 'init')
      if (msg.msgsCount > msgs.length) send(peer, { type: 'getMsgs' }, 'init')
    } else if (type === 'ping') {
      out({ event: 'pinged', peer: peer.id, name: users[peer.id].name })
    } else if (type === 'msg') {
      // "msg exist check": WebDrop's dedupe of restored messages is by array index only
      if (msg.id && msgs[msg.id]) {
        out({ event: 'msg-skipped', peer: peer.id, id: msg.id })
        return
      }
      // restored messages carry name and colour; live ones take the sender's
      if (!msg.name) {
        msg.name = users[peer.id].name
        msg.color = users[peer.id].color
      }
      delete msg.type
      addMessage(msg, peer)
    }
  }

  /** App.vue's sendMsgsState: every stored message, with its index as "id". */
  function sendMsgsState (peer, why) {
    for (const id in msgs) send(peer, { ...msgs[id], type: 'msg', id }, why)
  }

  /** Shares.vue's sendMsg: store it as mine, send it to every user (peers that sent init). */
  function say (text) {
    const data = { type: 'msg', msg: text, time: new Date().toLocaleTimeString() }
    addMessage({ ...data, name: settings.name, color: settings.color })
    const to = Object.values(users)
    for (const user of to) send(user.conn, data, 'say')
    return { users: to.length, time: data.time }
  }

  // --- files: Shares.vue, App.vue's newShare/startSending/getShares, simple-peer-files -----------

  // simple-peer-files is loaded only when available: without it this peer still does presence
  // and chat, and the file commands fail.
  let spf = null
  let spfError = null
  let lastFilePeer = null // the simple-peer 9 peer pf.send()/pf.receive() just made
  try {
    spf = env.loadFiles({ onFilePeer: p => { lastFilePeer = p } })
  } catch (err) { spfError = errText(err) }
  const pf = spf ? new spf.SimplePeerFiles() : null // WebDrop's this.$pf
  const needFiles = () => { if (!spf) throw new Error(`simple-peer-files is not available: ${spfError}`) }

  // The file connections, for reports and `interrupt`: shareID → { peer: P2PT peer id,
  // dir: 'send'|'receive', filePeer } (the latest per share and direction).
  const filePeers = new Map()
  const fileKey = (shareID, dir) => `${dir}:${shareID}`

  // `lose-file-end`: the receiving side's next FILE_END (0x03) is not sent, and its file
  // connection is destroyed at once instead: what a WebDrop receiver that tears the connection
  // down right after FILE_END looks like when that last message is lost with it.
  let loseFileEnd = false

  /** Watch one simple-peer 9 file peer: its errors (a page would only log them) and close. */
  function watchFilePeer (shareID, dir, peerId, filePeer) {
    if (!filePeer) return
    filePeers.set(fileKey(shareID, dir), { peer: peerId, dir, filePeer })
    if (dir === 'receive') {
      const send = filePeer.send.bind(filePeer)
      filePeer.send = data => {
        if (loseFileEnd && data?.length === 1 && data[0] === 0x03) {
          loseFileEnd = false
          out({ event: 'file-end-lost', shareID, peer: peerId })
          filePeer.destroy()
          return
        }
        send(data)
      }
    }
    filePeer.on('error', err => out({ event: 'file-error', shareID, dir, peer: peerId, error: errText(err), code: err?.code ?? null }))
    filePeer.on('close', () => out({ event: 'file-closed', shareID, dir, peer: peerId }))
  }

  /**
   * Raw JSON on a P2PT connection (no "^" envelope): simple-peer-files' signalling. Reported as
   * file-signal; `text` is what went over the wire.
   */
  function reportSignal (peerId, dir, text) {
    let m
    try { m = JSON.parse(text) } catch { return }
    if (!m || typeof m !== 'object' || !('fileID' in m)) return
    const sig = m.signal ?? {}
    const kind = sig.type ?? (sig.candidate ? 'candidate' : Object.keys(sig)[0] ?? null)
    out({ event: 'file-signal', peer: peerId, shareID: m.fileID, dir, kind, start: m.start ?? null })
  }
  if (spf) {
    p2pt.on('data', (peer, data) => {
      const t = typeof data === 'string' ? data : decoder.decode(data)
      if (t[0] === '{') reportSignal(peer.id, 'in', t)
    })
  }
  const control = peer => controlChannel(peer, text => reportSignal(peer.id, 'out', text))

  // Commands armed to run when a transfer of a share (or, without shareID, of any share) in
  // that direction reaches `atBytes`: { cmd, shareID, dir, atBytes }. Runs in the progress
  // handler itself, so the bytes are exact.
  const triggers = []
  /** transfer-progress at most every 250 ms per share and direction, and always the last. */
  const lastProgress = new Map()
  function progress (shareID, dir, bytes, total, force = false) {
    for (const t of [...triggers]) {
      if (t.dir !== dir || (t.shareID != null && t.shareID !== shareID) || bytes < t.atBytes) continue
      triggers.splice(triggers.indexOf(t), 1)
      out({ event: 'trigger', cmd: t.cmd, shareID, dir, bytes, total })
      try {
        if (t.cmd === 'pause') pauseShare(shareID)
        else if (t.cmd === 'cancel') removeShare(shareID)
        else if (t.cmd === 'interrupt') interrupt(shareID, dir)
      } catch (err) { out({ event: 'trigger-error', cmd: t.cmd, shareID, error: errText(err) }) }
    }
    const k = fileKey(shareID, dir)
    const now = performance.now()
    if (!force && now - (lastProgress.get(k) ?? -Infinity) < 250 && bytes !== total) return
    lastProgress.set(k, now)
    out({ event: 'transfer-progress', shareID, dir, bytes, total })
  }

  /** The File of an own share: the given bytes, named as announced. */
  function shareFile (bytes, name, type, headerSize) {
    const file = new spf.File([bytes], name, { type })
    if (headerSize == null) return file
    // A file whose FILE_START header says another size (the bytes are still all of the file's,
    // up to that size rounded up to a chunk: filereader-stream stops at offset >= size).
    return { name, type, size: headerSize, lastModified: file.lastModified, slice: (a, b) => file.slice(a, b) }
  }

  /** Shares.vue's makeShare + the addShare subscriber: a share of mine, announced to every user. */
  async function makeShare (cmd) {
    needFiles()
    let { name, size, shareID, peer, type = '', headerSize = null } = cmd
    const fallback = cmd.path ?? cmd.url
    if (typeof fallback !== 'string') throw new Error('share needs a "path"')
    const bytes = await (cmd[PREFETCHED] ?? env.shareBytes(cmd))
    const file = shareFile(bytes, name ?? fallback.split('/').pop(), type, headerSize)
    name ??= file.name
    size ??= file.size
    shareID ??= await env.sha1hex(name + size) // sha1.sync(file.name + file.size)
    if (shares[shareID]) return { shareID, exists: true, users: 0 } // WebDrop: return
    shares[shareID] = { shareID, file, name, size, paused: false, mine: true, transfers: [] }
    shareList.set(shareID, { shareID, name, size, paused: false, done: false, mine: true })
    // { ...payload, type: 'newShare' } without its file
    const data = { shareID, name, size, paused: false, type: 'newShare' }
    const to = peer == null ? Object.values(users).map(u => u.conn) : targets(peer)
    for (const conn of to) send(conn, data, 'share')
    return { shareID, name, size, users: to.length }
  }

  /** App.vue's sendSharesState: a newShare per share of mine, the whole store entry. */
  function sendSharesState (peer, why) {
    for (const shareID in shares) {
      const share = shares[shareID]
      if (!share.mine) continue
      // WebDrop sends { ...share, type, i }: its File serializes as {}; its transfers (simple-peer
      // streams) do not serialize at all, and P2PT's send throws on them.
      if (share.transfers.length) throw new TypeError('Converting circular structure to JSON')
      send(peer, { shareID, file: {}, name: share.name, size: share.size, paused: share.paused, mine: true, transfers: [], type: 'newShare', i: shareID }, why)
    }
  }

  /** App.vue's newShare commit + Shares.vue's addNewShare. */
  function newShare (msg) {
    const shareID = msg.shareID
    const row = shareList.get(shareID)
    out({ event: 'share-added', peer: msg.peer.id, shareID, name: msg.name, size: msg.size, ...(row ? { duplicate: true } : {}) })
    // store.newShare: replaces any entry of that id (own ones too), with no transfers
    shares[shareID] = { ...msg, mine: false, transfers: [] }
    if (!row) {
      shareList.set(shareID, { shareID, name: msg.name, size: msg.size, paused: !o.autoStart, done: false, mine: false })
    } else if (row.done) {
      return // File already completed
    }
    if (o.autoStart) downloadShare(msg)
  }

  const watchedReceives = new WeakSet()

  /** Shares.vue's downloadShare: pf.receive() + startSending. */
  function downloadShare (shareInfo) {
    needFiles()
    const shareID = shareInfo.shareID
    const peer = shareInfo.peer
    const started = pf.receive(control(peer), shareID)
    watchFilePeer(shareID, 'receive', peer.id, lastFilePeer)
    started.then(transfer => {
      const row = shareList.get(shareID)
      out({ event: 'file-connected', shareID, dir: 'receive', peer: peer.id, start: transfer.bytesReceived })
      // FILE_START as received (rs is new for each connection)
      transfer.rs.on('start', meta => {
        out({ event: 'file-header', shareID, peer: peer.id, meta })
        if (meta?.fileSize === 0) {
          // WebDrop itself never finishes an empty file: FILE_END and 'done' come only with a
          // chunk. Reported so that tests can see the header arrived; nothing is sent.
          fileReceived(shareID, peer, transfer, new Uint8Array(0), { zeroByte: true, webdropDone: false })
        }
      })
      if (!watchedReceives.has(transfer)) {
        watchedReceives.add(transfer)
        transfer.on('progress', (pct, bytes) => progress(shareID, 'receive', bytes, transfer.fileSize))
        transfer.on('done', file => {
          progress(shareID, 'receive', transfer.fileSize, transfer.fileSize, true)
          file.arrayBuffer().then(ab => fileReceived(shareID, peer, transfer, new Uint8Array(ab), { webdropDone: true }),
            err => out({ event: 'file-error', shareID, dir: 'receive', error: errText(err) }))
        })
        transfer.on('paused', () => out({ event: 'file-paused', shareID, dir: 'receive', by: 'remote' }))
        transfer.on('cancelled', () => out({ event: 'file-cancelled', shareID, dir: 'receive', by: 'remote' }))
      }
      transfer.on('done', () => {
        if (row) row.done = true
        // removeTransfer
        const share = shares[shareID]
        if (share) share.transfers = share.transfers.filter(t => t.peer._id !== transfer.peer._id)
      })
      shares[shareID]?.transfers.push(transfer) // setTransfer
      if (row) row.paused = false
    })
    send(peer, { type: 'startSending', shareID }, 'download')
  }

  async function fileReceived (shareID, peer, transfer, bytes, extra) {
    try {
      const name = shares[shareID]?.name ?? shareList.get(shareID)?.name ?? null
      const sha256 = await env.sha256hex(bytes)
      // WebDrop saves under the share's name; the Node peer under a hash of it (any name is safe).
      const path = await env.saveReceived({ peerId: peer.id, shareID, name, bytes })
      out({
        event: 'file-received', peer: peer.id, shareID, name, headerName: transfer.fileName ?? null,
        size: bytes.length, headerSize: transfer.fileSize ?? null, sha256, path, ...extra,
      })
    } catch (err) { out({ event: 'file-error', shareID, dir: 'receive', peer: peer.id, error: errText(err) }) }
  }

  /** App.vue's startSending: pf.send() of a share of mine that is not paused. */
  function startSending (peer, msg) {
    const shareID = msg.shareID
    const share = shares[shareID]
    const sending = !!(share && share.file && !share.paused)
    out({ event: 'startSending', peer: peer.id, shareID, sending })
    if (!sending) return
    needFiles()
    const started = pf.send(control(peer), shareID, share.file)
    watchFilePeer(shareID, 'send', peer.id, lastFilePeer)
    started.then(transfer => {
      out({ event: 'file-connected', shareID, dir: 'send', peer: peer.id, start: transfer.offset })
      share.transfers.push(transfer) // setTransfer
      transfer.on('progress', (pct, bytes) => progress(shareID, 'send', bytes, share.file.size))
      transfer.on('done', () => {
        share.transfers = share.transfers.filter(t => t.peer._id !== transfer.peer._id) // removeTransfer
        out({ event: 'file-sent', peer: peer.id, shareID, bytes: share.file.size })
      })
      transfer.on('paused', () => out({ event: 'file-paused', shareID, dir: 'send', by: 'remote' }))
      transfer.on('resumed', () => out({ event: 'file-resumed', shareID, dir: 'send', by: 'remote' }))
      transfer.on('cancelled', () => out({ event: 'file-cancelled', shareID, dir: 'send', by: 'remote' }))
      transfer.start()
    })
  }

  /** Shares.vue's pauseShare (store.pauseShare): every transfer of the share pauses. */
  function pauseShare (shareID) {
    const share = shares[shareID]
    const row = shareList.get(shareID)
    if (row) row.paused = true
    if (!share) return 0
    share.paused = true
    for (const t of share.transfers) t.pause()
    out({ event: 'file-paused', shareID, dir: share.mine ? 'send' : 'receive', by: 'local' })
    return share.transfers.length
  }

  /**
   * Shares.vue's resumeShare: every transfer resumes. (It leaves the store's `paused` set, so a
   * paused share of mine stays closed to new startSending, as in WebDrop.) With no transfer,
   * WebDrop calls downloadShare(shareID) with the id instead of the share and throws: use
   * `download` for that.
   */
  function resumeShare (shareID) {
    const share = shares[shareID]
    const row = shareList.get(shareID)
    if (row) row.paused = false
    if (!share || share.transfers.length === 0) throw new Error('no transfer to resume (WebDrop would throw here: use download)')
    for (const t of share.transfers) t.resume()
    out({ event: 'file-resumed', shareID, dir: share.mine ? 'send' : 'receive', by: 'local' })
    return share.transfers.length
  }

  /** Shares.vue's removeShare (store.removeShare): every transfer cancels, the share goes. */
  function removeShare (shareID) {
    const share = shares[shareID]
    shareList.delete(shareID)
    if (!share) return 0
    const n = share.transfers.length
    for (const t of share.transfers) t.cancel()
    delete shares[shareID]
    out({ event: 'file-cancelled', shareID, dir: share.mine ? 'send' : 'receive', by: 'local', transfers: n })
    return n
  }

  /**
   * The page losing a share's file connection: destroy the simple-peer 9 peer, nothing else.
   * simple-peer-files keeps a receiver's bytes (its `arrivals`), so a later download resumes.
   */
  function interrupt (shareID, dir = 'receive') {
    const hit = [fileKey(shareID, dir)].map(k => filePeers.get(k)).filter(Boolean)
    for (const f of hit) f.filePeer.destroy()
    const held = pf?.arrivals[shareID]?.bytesReceived ?? null
    return { peers: hit.length, bytesReceived: held }
  }

  // --- commands -----------------------------------------------------------------------------------

  let started = false
  const start = async () => {
    if (started) return
    started = true
    await p2pt.setIdentifier(o.identifier)
    out({ event: 'ready', peer_id: p2pt._peerId, info_hash: await p2pt.infoHash, identifier: o.identifier })
    startedAt = performance.now()
    await p2pt.start()
  }

  const targets = peerId => {
    if (peerId == null) return [...connected.values()]
    const peer = connected.get(peerId)
    if (!peer) throw new Error(`not connected to ${peerId}`)
    return [peer]
  }

  async function command (cmd) {
    const ack = extra => out({ event: 'ack', seq: cmd.seq, cmd: cmd.cmd, ...extra })
    switch (cmd.cmd) {
      case 'join':
        await start()
        return ack()
      case 'preload':
        for (const m of [].concat(cmd.msgs ?? [])) addMessage(stored(m))
        return ack({ msgs: msgs.length })
      case 'say':
        if (typeof cmd.msg !== 'string') throw new Error('say needs a "msg" string')
        return ack(say(cmd.msg))
      case 'ping': {
        const to = Object.values(users)
        for (const user of to) send(user.conn, { type: 'ping' }, 'ping')
        return ack({ users: to.length })
      }
      case 'raw': {
        const peers = targets(cmd.peer)
        for (const peer of peers) send(peer, cmd.msg, 'raw')
        return ack({ peers: peers.length })
      }
      case 'msgs-state': {
        const peers = cmd.peer == null ? Object.values(users).map(u => u.conn) : targets(cmd.peer)
        for (const peer of peers) sendMsgsState(peer, 'msgs-state')
        return ack({ peers: peers.length, msgs: msgs.length })
      }
      case 'state':
        return ack({
          users: Object.fromEntries(Object.entries(users).map(([id, u]) => [id, { name: u.name, color: u.color }])),
          msgs,
          peers: [...connected.keys()],
          shares: Object.fromEntries(Object.entries(shares).map(([id, s]) => [id, {
            name: s.name, size: s.size, paused: s.paused, mine: s.mine, transfers: s.transfers.length,
            peer: s.peer?.id ?? null, held: pf?.arrivals[id]?.bytesReceived ?? null, done: shareList.get(id)?.done ?? false,
          }])),
          files: !!spf,
        })
      case 'leave':
        p2pt.destroy()
        return ack()
      case 'share':
        return ack(await makeShare(cmd))
      case 'download': {
        needFiles()
        const share = shares[cmd.shareID]
        if (!share || share.mine) throw new Error(`no share ${cmd.shareID} of another peer`)
        downloadShare(share)
        return ack({ shareID: cmd.shareID, held: pf.arrivals[cmd.shareID]?.bytesReceived ?? 0 })
      }
      case 'pause':
      case 'cancel':
      case 'interrupt':
        if (cmd.atBytes != null) {
          // armed: runs when a transfer of that share (any share without shareID) in direction
          // cmd.dir (default receive) reaches atBytes
          triggers.push({ cmd: cmd.cmd, shareID: cmd.shareID ?? null, dir: cmd.dir ?? 'receive', atBytes: cmd.atBytes })
          return ack({ armed: true })
        }
        if (cmd.cmd === 'pause') return ack({ transfers: pauseShare(cmd.shareID) })
        if (cmd.cmd === 'cancel') return ack({ transfers: removeShare(cmd.shareID) })
        return ack(interrupt(cmd.shareID, cmd.dir))
      case 'lose-file-end':
        loseFileEnd = true
        return ack({})
      case 'resume':
        return ack({ transfers: resumeShare(cmd.shareID) })
      default:
        throw new Error(`unknown command ${cmd.cmd}`)
    }
  }

  // Commands run one after the other, in order; a failed one is acked with its error. The bytes
  // of a share start loading when it is queued (in a page they come over HTTP): shares sent
  // together go out together.
  let queue = Promise.resolve()
  const enqueue = cmd => {
    if (cmd?.cmd === 'share' && spf) {
      cmd[PREFETCHED] = env.shareBytes(cmd)
      cmd[PREFETCHED].catch(() => {}) // reported by its command
    }
    queue = queue.then(async () => {
      try {
        await command(cmd)
      } catch (err) {
        out({ event: 'ack', seq: cmd?.seq ?? null, cmd: cmd?.cmd ?? null, error: errText(err) })
      }
    })
    return queue
  }

  return { p2pt, start, command: enqueue, say, idle: () => queue, destroy: () => p2pt.destroy() }
}
