#!/usr/bin/env node
// A WebDrop v2 peer for presence and chat: the control logic of WebDrop's App.vue (v2.0.0, the
// Vue app at webdrop.space) and its chat box, on the real P2PT 1.6 (libwebrtc via @roamhq/wrtc),
// reporting as JSON lines on stdout. The reference "WebDrop user" for Ferry's WebDrop tests
// (webdrop-interop.mjs). Files (newShare, startSending, simple-peer-files) are not modelled:
// this peer has no shares, so it answers getShares with nothing and never asks for shares.
//
//   webdrop-peer.mjs --tracker=URL [--tracker=URL]… (--room=CODE | --identifier=ID)
//                    [--name=NAME] [--color=hsla(H,60%,60%,1)]
//                    [--preload=JSON]…  messages already in the chat history before joining: an
//                                       object or an array of {name, msg, time?, color?}
//                    [--raw]            a bare P2PT peer in the room instead: no WebDrop logic
//                                       at all (no init, no answers), only reports and `raw`
//                    [--defer-start]    join only at the "join" command
//                    [--control]        stdin lines are JSON commands (below); without it each
//                                       stdin line is chat text, sent like WebDrop's Send button
//                    [--peer-id=HEX] [--timeout=SECONDS] (0 = none, default) [--linger=MS] (500)
//
// --room=CODE is WebDrop's room: P2PT identifier "webdrop" + CODE (code used as given, no case
// folding, as WebDrop does). The peer runs until stdin reaches EOF (then leaves, lingers --linger
// ms so that the others see it go, and exits 0) or SIGTERM.
//
// WebDrop's behaviour reproduced here (all control messages are P2PT object messages):
//   peerconnect → send {"type":"init","name","color","sharesCount":0,"msgsCount":msgs.length}
//   "init"      → users[peer.id] = {name, color, conn: that channel}; if sharesCount > 0 (our
//                 share count) send {"type":"getShares"}; if msgsCount > msgs.length send
//                 {"type":"getMsgs"} (on every init, as WebDrop does)
//   "getMsgs"   → one {...stored, "type":"msg", "id":"<index>"} per stored message, oldest first
//   "getShares" → nothing (no shares)
//   "msg"       → if msg.id is set and msgs[msg.id] exists: skipped (WebDrop's index dedupe);
//                 a message without name takes name and colour from users[peer.id] (which
//                 throws when that peer sent no init yet: P2PT drops the message); stored
//                 without its "type"
//   "ping"      → "<name> pinged!" (throws the same way for a peer without init)
//   other types, and strings, are ignored; null throws inside the handler (msg.type of null)
//   peerclose   → users[peer.id] removed
// A handler that throws is reported as "handler-error" and the message is dropped, which is what
// P2PT's catch around its "msg" emit does to WebDrop.
//
// Events, one JSON object a line:
//   {"event":"ready","peer_id":HEX,"info_hash":HEX,"identifier":ID}
//   {"event":"trackerconnect","tracker":URL,"connected":N,"total":N}, {"event":"trackerwarning",…}
//   {"event":"peerconnect","peer":HEX,"ms":F}      {"event":"peerclose","peer":HEX,"user":NAME|null}
//   {"event":"object","peer":HEX,"msg":…,"id":ID}  every object message received (null and arrays too)
//   {"event":"string","peer":HEX,"msg":…,"id":ID}  every string message received
//   {"event":"init","peer":HEX,"msg":{…}}          an init stored as that peer's user
//   {"event":"sent","peer":HEX,"msg":…,"why":…}   every message this peer sent
//   {"event":"msg-added","peer":HEX|null,"index":N,"msg":{…}}  a chat message stored (shown)
//   {"event":"msg-skipped","peer":HEX,"id":ID}     a restored message dropped by the index dedupe
//   {"event":"pinged","peer":HEX,"name":NAME}
//   {"event":"handler-error","peer":HEX,"type":…,"error":…}
//   {"event":"swallowed","peer":HEX,"id":ID,"prefix":…}  a message that arrived with an id this
//      peer's P2PT waits on for a reply to its own send(): P2PT resolves that promise with it
//      instead of emitting "msg", so the app never sees it
//   {"event":"console","text":…}                   what P2PT console.log()s (its parse errors)
//   {"event":"ack","seq":N,"cmd":…,…}              a command done
//
// Commands (--control), one JSON object a line, each answered by an ack carrying its "seq":
//   {"cmd":"join"}                           start P2PT (with --defer-start; else a no-op)
//   {"cmd":"preload","msgs":[{name,msg,time?,color?}]}  append to the stored messages
//   {"cmd":"say","msg":TEXT}                 WebDrop's Send: store {type,msg,time,name,color},
//                                            send {"type":"msg","msg","time"} to every user
//   {"cmd":"ping"}                           send {"type":"ping"} to every user
//   {"cmd":"raw","msg":ANY[,"peer":HEX]}     p2pt.send() msg as is to that peer, or to every
//                                            connected peer (users or not)
//   {"cmd":"msgs-state"[,"peer":HEX]}        answer as if that peer (or every user) sent getMsgs
//   {"cmd":"state"}                          ack carries users, msgs and connected peers
//   {"cmd":"leave"}                          p2pt.destroy(): close every connection and tracker
import P2PT from 'p2pt'
import { createInterface } from 'node:readline'
import { watchReplies } from './lib/p2pt-driver.mjs'

const o = {
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
}
const usage = msg => {
  process.stderr.write(`webdrop-peer: ${msg}\n`)
  process.exit(2)
}
for (const arg of process.argv.slice(2)) {
  const [, name, value] = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg) ?? []
  try {
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
      case 'peer-id':
        if (!/^[0-9a-f]{40}$/.test(value)) throw new Error('--peer-id needs 40 lowercase hex digits')
        o.peerId = value
        break
      default: throw new Error(`unknown argument '${arg}'`)
    }
  } catch (err) { usage(err.message) }
}
if (!o.trackers.length || !o.identifier) usage('--tracker=URL and --room=CODE (or --identifier=ID) are required')

const out = obj => process.stdout.write(JSON.stringify(obj) + '\n')
// P2PT reports JSON errors in what it receives (and exceptions of "msg" handlers) with
// console.log(): make them visible as events.
const text = a => a instanceof Error ? `${a.name}: ${a.message}\n${a.stack}` : String(a)
console.log = (...args) => out({ event: 'console', text: args.map(text).join(' ') })

const preview = msg => {
  const t = typeof msg === 'string' ? msg : JSON.stringify(msg)
  return t === undefined ? String(t) : t.length > 80 ? t.slice(0, 80) + '…' : t
}

// --- WebDrop's state (its Vuex store, minus shares) ----------------------------------------------

const settings = { name: o.name, color: o.color }
const users = {} // peer id → { name, color, conn }
const msgs = [] // { msg, time, name, color, type?, id? }, as WebDrop stores them
const connected = new Map() // peer id → the channel of its peerconnect (simple-peer object)
const lastId = new Map() // peer id → P2PT message id of the latest complete message from it

const addMessage = (msg, peer = null) => {
  msgs.push(msg)
  out({ event: 'msg-added', peer: peer?.id ?? null, index: msgs.length - 1, msg })
}
for (const m of o.preload) addMessage(stored(m))

/** A stored message from a preload entry: WebDrop keeps name and colour with each message. */
function stored (m) {
  if (!m || typeof m !== 'object' || typeof m.msg !== 'string') throw new Error('a preloaded message needs a "msg" string')
  return { msg: m.msg, time: m.time ?? new Date().toLocaleTimeString(), name: m.name ?? settings.name, color: m.color ?? settings.color }
}

// --- P2PT -----------------------------------------------------------------------------------------

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
    sharesCount: 0, // Object.keys(shares).length
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
    out({ event: 'handler-error', peer: peer.id, type: msg?.type ?? null, error: String(err?.message ?? err) })
  }
})

/** App.vue's p2pt.on('msg') handler, minus files. Throws where WebDrop throws. */
function onMsg (peer, msg) {
  if (typeof msg !== 'object') return
  const type = msg.type // null: TypeError, as in WebDrop
  if (type === 'getShares') {
    // sendSharesState: one newShare per share of mine; there are none
  } else if (type === 'getMsgs') {
    sendMsgsState(peer, 'getMsgs')
  } else if (type === 'init') {
    users[peer.id] = { name: msg.name, color: msg.color, conn: peer }
    out({ event: 'init', peer: peer.id, msg })
    if (msg.sharesCount > 0) send(peer, { type: 'getShares' }, 'init')
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

// --- commands -------------------------------------------------------------------------------------

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
      })
    case 'leave':
      p2pt.destroy()
      return ack()
    default:
      throw new Error(`unknown command ${cmd.cmd}`)
  }
}

// Leave --linger ms after destroying: a peer that exits at once is never seen leaving (the
// connections' close does not get out). wrtc's threads would keep us alive, hence exit().
let exiting = false
const exit = code => {
  if (exiting) return
  exiting = true
  p2pt.destroy()
  setTimeout(() => process.stdout.write('', () => process.exit(code)), o.linger)
}
process.on('SIGTERM', () => exit(0))
process.on('SIGINT', () => exit(1))
if (o.timeout > 0) setTimeout(() => { out({ event: 'timeout' }); exit(1) }, o.timeout * 1000).unref()

// Commands run one after the other, in order.
let queue = Promise.resolve()
createInterface({ input: process.stdin, crlfDelay: Infinity })
  .on('line', line => {
    if (o.control) {
      if (!line.trim()) return
      queue = queue.then(async () => {
        let cmd = {}
        try {
          cmd = JSON.parse(line)
          await command(cmd)
        } catch (err) {
          out({ event: 'ack', seq: cmd?.seq ?? null, cmd: cmd?.cmd ?? null, error: String(err?.message ?? err) })
        }
      })
    } else {
      say(line)
    }
  })
  .on('close', () => { queue.then(() => exit(0)) })

if (!o.deferStart) start().catch(err => { out({ event: 'error', message: String(err?.message ?? err) }); exit(1) })
