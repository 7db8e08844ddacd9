// A scripted P2PT peer, shared by p2pt-peer.mjs (Node) and the browser bundle (p2pt-page.mjs).
// It reports through `out(obj)`: {"event":"ready","peer_id":HEX,"info_hash":HEX},
// {"event":"trackerconnect","tracker":URL,"connected":N,"total":N},
// {"event":"trackerwarning","message":…}, {"event":"peerconnect","peer":HEX},
// {"event":"msg","peer":HEX,"msg":…}, {"event":"peerclose","peer":HEX}, and once
// {"event":"done","ok":true,"peers":[…]} or {"event":"done","ok":false,"reason":…,"missing":[…]}.

export const DEFAULTS = { trackers: [], identifier: null, send: [], expect: [], peers: 1, echo: false, reply: false, timeout: 30 }

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
    default: return false
  }
  return true
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)

/**
 * Run the peer. Resolves with the "done" object (the P2PT instance keeps running: the caller
 * decides when to destroy it, see `p2pt`).
 * @returns {{ p2pt: object, done: Promise<object> }}
 */
export function runP2ptPeer (P2PT, o, out) {
  const p2pt = new P2PT(o.trackers, o.identifier)
  const connected = new Set()
  const missing = [...o.expect]
  let resolveDone
  const done = new Promise(resolve => { resolveDone = resolve })
  let finished = false

  const finish = result => {
    if (finished) return
    finished = true
    clearTimeout(timer)
    out(result)
    resolveDone(result)
  }
  const check = () => {
    if (!missing.length && connected.size >= o.peers) finish({ event: 'done', ok: true, peers: [...connected] })
  }

  p2pt.on('trackerconnect', (tracker, stats) => out({ event: 'trackerconnect', tracker: tracker.announceUrl, connected: stats.connected, total: stats.total }))
  p2pt.on('trackerwarning', (err, stats) => out({ event: 'trackerwarning', message: String(err?.message ?? err), connected: stats?.connected, total: stats?.total }))
  p2pt.on('peerconnect', peer => {
    connected.add(peer.id)
    out({ event: 'peerconnect', peer: peer.id })
    // send() resolves only when the other side replies: never await it.
    for (const msg of o.send) p2pt.send(peer, msg).catch(() => {})
    check()
  })
  p2pt.on('peerclose', peer => {
    connected.delete(peer.id)
    out({ event: 'peerclose', peer: peer.id })
  })
  p2pt.on('msg', (peer, msg) => {
    out({ event: 'msg', peer: peer.id, msg })
    if (o.reply) peer.respond(msg).catch(() => {})
    else if (o.echo) p2pt.send(peer, msg).catch(() => {})
    const i = missing.findIndex(m => same(m, msg))
    if (i >= 0) missing.splice(i, 1)
    check()
  })

  const timer = setTimeout(() => finish({ event: 'done', ok: false, reason: 'timeout', peers: [...connected], missing }), o.timeout * 1000)

  ;(async () => {
    await p2pt.setIdentifier(o.identifier) // the constructor starts this without waiting for it
    out({ event: 'ready', peer_id: p2pt._peerId, info_hash: await p2pt.infoHash })
    await p2pt.start()
  })().catch(err => finish({ event: 'done', ok: false, reason: String(err?.message ?? err), missing }))

  return { p2pt, done }
}
