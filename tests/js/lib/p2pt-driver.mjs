// A scripted P2PT peer, shared by p2pt-peer.mjs (Node) and the browser bundle (p2pt-page.mjs).
// It reports through `out(obj)`: {"event":"ready","peer_id":HEX,"info_hash":HEX},
// {"event":"trackerconnect","tracker":URL,"connected":N,"total":N},
// {"event":"trackerwarning","message":…}, {"event":"peerconnect","peer":HEX,"ms":F},
// {"event":"msg","peer":HEX,"msg":…,"id":ID}, {"event":"peerclose","peer":HEX}, and once
// {"event":"done","ok":true,"peers":[…]} or {"event":"done","ok":false,"reason":…,"missing":[…]}.
//
// "ms" of peerconnect is the time from p2pt.start() to that peerconnect, measured in-process;
// "id" of msg is the P2PT message id it arrived with (what peer.respond() would reuse).
//
// Checks made on every peer, whatever the script: {"event":"swallowed","peer":HEX,"id":ID,
// "prefix":…} when a new message arrives with an id this peer's P2PT is waiting on (P2PT then
// resolves the pending send() with it instead of emitting "msg": the message is lost to the app),
// {"event":"resolved","peer":HEX,"id":ID,"tag":…,"reply":…} when a send() of ours was resolved by
// a reply, and {"event":"console","text":…} for what P2PT console.log()s (its parse errors).
//
// Control mode (o.control): the caller feeds commands to `command(cmd)`, each answered by
// {"event":"ack","seq":N,…} once done (see `command` below).

export const DEFAULTS = { trackers: [], identifier: null, send: [], expect: [], peers: 1, echo: false, reply: false, timeout: 30, control: false, peerId: null }

/** Apply one `name`/`value` option (the names of p2pt-peer.mjs's flags) to `o`. */
export function applyOption (o, name, value) {
  switch (name) {
    case 'tracker': o.trackers.push(value); break
    case 'identifier': o.identifier = value; break
    case 'send': o.send.push(value); break
    case 'send-json': o.send.push(JSON.parse(value)); break
    case 'expect': o.expect.push(value); break
    case 'expect-json': o.expect.push(JSON.parse(value)); break
    case 'peers': o.peers = Number(value); break
    case 'echo': o.echo = true; break
    case 'reply': o.reply = true; break
    case 'timeout': o.timeout = Number(value); break
    case 'control': o.control = true; break
    case 'peer-id':
      if (!/^[0-9a-f]{40}$/.test(value)) throw new Error('peer-id must be 40 lowercase hex digits')
      o.peerId = value
      break
    default: return false
  }
  return true
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)
const preview = msg => {
  const text = typeof msg === 'string' ? msg : JSON.stringify(msg)
  return text === undefined ? String(text) : text.length > 80 ? text.slice(0, 80) + '…' : text
}

/**
 * Run the peer. Resolves with the "done" object (the P2PT instance keeps running: the caller
 * decides when to destroy it, see `p2pt`). `command(cmd)` runs a control command (any mode).
 * @returns {{ p2pt: object, done: Promise<object>, command: (cmd: object) => void }}
 */
/**
 * Records in `lastId` (peer id → id) the P2PT id of each peer's latest complete message, and
 * reports {event:'swallowed'} when P2PT is about to take a message for the reply it waits on
 * ("data" comes before P2PT looks at a message).
 */
export function watchReplies (p2pt, lastId, out) {
  p2pt.on('data', (peer, data) => {
    try {
      if (typeof data !== 'string') data = new TextDecoder().decode(data)
      if (data[0] !== '^') return
      const env = JSON.parse(data.slice(1))
      if (!env.last) return
      lastId.set(peer.id, env.id)
      if (p2pt.responseWaiting[peer.id]?.[env.id]) {
        const whole = (p2pt.msgChunks[env.id] ?? []).join('') + env.msg
        out({ event: 'swallowed', peer: peer.id, id: env.id, prefix: whole.slice(0, 80) })
      }
    } catch {}
  })
}

export function runP2ptPeer (P2PT, o, out) {
  const p2pt = new P2PT(o.trackers, o.identifier)
  if (o.peerId) {
    // A chosen peer id instead of P2PT's random one (it orders the connections of a pair).
    p2pt._peerId = o.peerId
    p2pt._peerIdBuffer = Uint8Array.from(o.peerId.match(/../g), h => parseInt(h, 16))
    p2pt._peerIdBinary = String.fromCharCode(...p2pt._peerIdBuffer)
  }
  const connected = new Map() // peer id → the simple-peer object of its peerconnect
  const missing = [...o.expect]
  const replyRules = [] // { match, reply }: peer.respond(reply) to a message equal to match
  const lastId = new Map() // peer id → id of the latest complete message from it
  let startedAt = null
  let resolveDone
  const done = new Promise(resolve => { resolveDone = resolve })
  let finished = false

  if (o.control) {
    // P2PT reports JSON errors in what it receives with console.log(): make them visible.
    const text = a => a instanceof Error ? `${a.name}: ${a.message}\n${a.stack}` : String(a)
    console.log = (...args) => out({ event: 'console', text: args.map(text).join(' ') })
  }

  const finish = result => {
    if (finished) return
    finished = true
    clearTimeout(timer)
    out(result)
    resolveDone(result)
  }
  const check = () => {
    if (!missing.length && connected.size >= o.peers) finish({ event: 'done', ok: true, peers: [...connected.keys()] })
  }

  // send() resolves only when the other side replies: never await it, but report it.
  const send = (peer, msg, tag) => {
    p2pt.send(peer, msg)
      .then(([, reply]) => out({ event: 'resolved', peer: peer.id, tag: tag ?? preview(msg), reply: preview(reply) }))
      .catch(() => {})
  }

  p2pt.on('trackerconnect', (tracker, stats) => out({ event: 'trackerconnect', tracker: tracker.announceUrl, connected: stats.connected, total: stats.total }))
  p2pt.on('trackerwarning', (err, stats) => out({ event: 'trackerwarning', message: String(err?.message ?? err), connected: stats?.connected, total: stats?.total }))
  p2pt.on('peerconnect', peer => {
    const ms = startedAt === null ? null : Math.round((performance.now() - startedAt) * 10) / 10
    connected.set(peer.id, peer)
    out({ event: 'peerconnect', peer: peer.id, ms })
    for (const msg of o.send) send(peer, msg)
    check()
  })
  p2pt.on('peerclose', peer => {
    connected.delete(peer.id)
    out({ event: 'peerclose', peer: peer.id })
  })
  watchReplies(p2pt, lastId, out)
  p2pt.on('msg', (peer, msg) => {
    out({ event: 'msg', peer: peer.id, msg, id: lastId.get(peer.id) ?? null })
    const rule = replyRules.find(r => same(r.match, msg))
    if (rule) {
      const id = lastId.get(peer.id)
      peer.respond(rule.reply)
        .then(([, reply]) => out({ event: 'resolved', peer: peer.id, tag: 'reply ' + id, reply: preview(reply) }))
        .catch(() => {})
      out({ event: 'replied', peer: peer.id, id, to: preview(msg) })
    } else if (o.reply) peer.respond(msg).catch(() => {})
    else if (o.echo) p2pt.send(peer, msg).catch(() => {})
    const i = missing.findIndex(m => same(m, msg))
    if (i >= 0) missing.splice(i, 1)
    check()
  })

  const timer = setTimeout(() => finish({ event: 'done', ok: false, reason: 'timeout', peers: [...connected.keys()], missing }), o.timeout * 1000)

  /**
   * Control commands, each acknowledged with {"event":"ack","seq":cmd.seq,…}:
   *   {"cmd":"send","msg":…}                    send() to every connected peer
   *   {"cmd":"send-many","prefix":S,"count":N}  send() S+"1".."N" (strings) to every peer
   *   {"cmd":"reply-to","match":…,"reply":…}    answer a message equal to match with
   *                                             peer.respond(reply) (reported as "replied")
   *   {"cmd":"pending"}                         ack carries the number of ids P2PT waits on
   *   {"cmd":"leave"}                           destroy(): close every connection and tracker
   */
  const command = cmd => {
    const ack = extra => out({ event: 'ack', seq: cmd.seq, cmd: cmd.cmd, ...extra })
    const peers = [...connected.values()]
    switch (cmd.cmd) {
      case 'send':
        for (const peer of peers) send(peer, cmd.msg, cmd.tag)
        return ack({ peers: peers.length })
      case 'send-many':
        for (const peer of peers) for (let i = 1; i <= cmd.count; i++) send(peer, `${cmd.prefix}${i}`)
        return ack({ peers: peers.length })
      case 'reply-to':
        replyRules.push({ match: cmd.match, reply: cmd.reply })
        return ack()
      case 'pending':
        return ack({ pending: Object.fromEntries(peers.map(p => [p.id, Object.keys(p2pt.responseWaiting[p.id] ?? {}).length])) })
      case 'leave':
        p2pt.destroy()
        return ack()
      default:
        return ack({ error: `unknown command ${cmd.cmd}` })
    }
  }

  ;(async () => {
    await p2pt.setIdentifier(o.identifier) // the constructor starts this without waiting for it
    out({ event: 'ready', peer_id: p2pt._peerId, info_hash: await p2pt.infoHash })
    startedAt = performance.now()
    await p2pt.start()
  })().catch(err => finish({ event: 'done', ok: false, reason: String(err?.message ?? err), missing }))

  return { p2pt, done, command }
}
