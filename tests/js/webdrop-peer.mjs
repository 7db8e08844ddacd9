#!/usr/bin/env node
// A WebDrop v2 peer: the control logic of WebDrop's App.vue (v2.0.0, the Vue app at
// webdrop.space), its chat box and its file shares (Shares.vue, the store's shares), on the real
// P2PT 1.6 (libwebrtc via @roamhq/wrtc) and the real simple-peer-files 1.2.3 on simple-peer 9.7.2
// (loaded by lib/simple-peer-files-node.mjs, which explains what Node lacks and how it is
// given), reporting as JSON lines on stdout. The reference "WebDrop user" for Ferry's WebDrop
// tests (webdrop-interop.mjs: presence and chat; webdrop-files.mjs: files).
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
//                    [--download-dir=DIR]  write received files there, each under a hash-made
//                                       name (any share name is safe); the name is reported
//                    [--no-autostart]   do not download each newShare at once (WebDrop's
//                                       autoStart setting, on by default)
//
// --room=CODE is WebDrop's room: P2PT identifier "webdrop" + CODE (code used as given, no case
// folding, as WebDrop does). The peer runs until stdin reaches EOF (then leaves, lingers --linger
// ms so that the others see it go, and exits 0) or SIGTERM.
//
// WebDrop's behaviour reproduced here (all control messages are P2PT object messages):
//   peerconnect → send {"type":"init","name","color","sharesCount","msgsCount":msgs.length}
//                 (sharesCount: every share in the store, own and received, as WebDrop counts)
//   "init"      → users[peer.id] = {name, color, conn: that channel}; if sharesCount > ours
//                 send {"type":"getShares"}; if msgsCount > msgs.length send
//                 {"type":"getMsgs"} (on every init, as WebDrop does)
//   "getMsgs"   → one {...stored, "type":"msg", "id":"<index>"} per stored message, oldest first
//   "getShares" → one newShare per own share, the whole store entry: {shareID, file: {}, name,
//                 size, paused, mine: true, transfers: [], type: "newShare", i: shareID}
//                 (throws, as P2PT's JSON.stringify does in WebDrop, while a transfer runs)
//   "newShare"  → stored (replacing any share of that id, own ones too, and its transfer
//                 list); a new one is listed; unless that share is done, with autoStart it is
//                 downloaded again (duplicates too): pf.receive(), then {"type":"startSending",
//                 shareID} to its peer
//   "startSending" → pf.send() + transfer.start() if the share is mine and not paused
// File connections are simple-peer-files' own (one simple-peer 9 connection per file and
// receiver, signalled with raw JSON over the P2PT connection); see lib/simple-peer-files-node.mjs.
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
// This file is the Node entry (flags, stdin, exit). The logic itself is lib/webdrop-logic.mjs,
// shared with the browser page lib/webdrop-page.mjs (headless Chromium and Firefox, bundled by
// build-browser.mjs and driven over HTTP by lib/webdrop-browser.mjs), which takes the same
// flags as query parameters, the same commands and reports the same events (in a page, "share"
// fetches its bytes from the driver, received files are not written anywhere and "path" is
// null; "end" stands for stdin's EOF).
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
//   {"event":"uncaught","error":…}                 what threw in an event handler (a page logs it)
// Files (dir: "send" | "receive"):
//   {"event":"share-added","peer","shareID","name","size"[,"duplicate":true]}  a newShare came
//   {"event":"startSending","peer","shareID","sending":BOOL}
//   {"event":"file-signal","peer","shareID","dir":"in"|"out","kind":"offer"|"answer"|"candidate"|…,"start"}
//   {"event":"file-connected","shareID","dir","peer","start"}  a file connection opened
//   {"event":"file-header","shareID","peer","meta"}  FILE_START (0x00) as received
//   {"event":"transfer-progress","shareID","dir","bytes","total"}  at most every 250 ms
//   {"event":"file-received","peer","shareID","name","headerName","size","headerSize","sha256",
//     "path","webdropDone"}  a file completed ('done'; FILE_END was sent). A zero-byte file,
//     which WebDrop never completes, is reported on its FILE_START with "zeroByte":true and
//     "webdropDone":false (nothing is sent)
//   {"event":"file-sent","peer","shareID","bytes"}  the receiver's FILE_END came
//   {"event":"file-paused"|"file-resumed"|"file-cancelled","shareID","dir","by":"local"|"remote"}
//   {"event":"file-error","shareID","dir","peer","error"}, {"event":"file-closed",…}
//   {"event":"trigger","cmd","shareID","dir","bytes","total"}  an armed command ran
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
//   {"cmd":"share","path":FILE[,"name":N][,"size":BYTES][,"shareID":X][,"peer":HEX][,"type":MIME]
//    [,"headerSize":BYTES]}                  a share of mine with the bytes of FILE (Shares.vue's
//                                            makeShare): newShare to every user (or that peer).
//                                            name/size: what is announced and, for name, in
//                                            FILE_START (lies welcome); shareID default
//                                            sha1(name + size) hex; headerSize: FILE_START's size
//   {"cmd":"download","shareID":X}           downloadShare: receive it, or again after an
//                                            interruption (start = the bytes held)
//   {"cmd":"pause"|"resume"|"cancel","shareID":X}  Shares.vue's Pause, Resume and Remove
//                                            buttons, for a share of mine or theirs
//   {"cmd":"lose-file-end"}                  the next FILE_END this peer would send as a receiver
//                                            is not sent; the file connection is destroyed instead
//                                            (event file-end-lost)
//   {"cmd":"interrupt","shareID":X[,"dir":"receive"|"send"]}  destroy that file connection only,
//                                            as if the page lost it; the bytes stay held
//   pause, cancel and interrupt with "atBytes":N (shareID optional, "dir" default receive):
//                                            armed, run when a transfer reaches N bytes
import P2PT from 'p2pt'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { applyOption, defaultOptions, runWebDrop } from './lib/webdrop-logic.mjs'

const o = defaultOptions()
const usage = msg => {
  process.stderr.write(`webdrop-peer: ${msg}\n`)
  process.exit(2)
}
for (const arg of process.argv.slice(2)) {
  const [, name, value] = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg) ?? []
  try {
    if (name === 'download-dir') o.downloadDir = resolve(value)
    else if (!name || !applyOption(o, name, value)) throw new Error(`unknown argument '${arg}'`)
  } catch (err) { usage(err.message) }
}
if (!o.trackers.length || !o.identifier) usage('--tracker=URL and --room=CODE (or --identifier=ID) are required')

const out = obj => process.stdout.write(JSON.stringify(obj) + '\n')
// P2PT reports JSON errors in what it receives (and exceptions of "msg" handlers) with
// console.log(): make them visible as events.
const text = a => a instanceof Error ? `${a.name}: ${a.message}\n${a.stack}` : String(a)
console.log = (...args) => out({ event: 'console', text: args.map(text).join(' ') })

// simple-peer-files and simple-peer 9 are loaded only when installed (see
// lib/simple-peer-files-node.mjs): without them this peer still does presence and chat.
let loadSimplePeerFiles = null
let spfImportError = null
try {
  ({ loadSimplePeerFiles } = await import('./lib/simple-peer-files-node.mjs'))
} catch (err) { spfImportError = err }

const sha1hex = text => createHash('sha1').update(text, 'utf8').digest('hex')
const env = {
  loadFiles: ({ onFilePeer }) => {
    if (!loadSimplePeerFiles) throw spfImportError
    return loadSimplePeerFiles({ onFilePeer })
  },
  shareBytes: async cmd => readFileSync(cmd.path),
  sha1hex: async text => sha1hex(text),
  sha256hex: async bytes => createHash('sha256').update(bytes).digest('hex'),
  saveReceived: async ({ peerId, shareID, name, bytes }) => {
    if (!o.downloadDir) return null
    mkdirSync(o.downloadDir, { recursive: true })
    const path = join(o.downloadDir, `${sha1hex(`${peerId} ${shareID} ${name}`)}.bin`)
    writeFileSync(path, bytes)
    return path
  },
}

const peer = runWebDrop({ P2PT, o, out, env })

// Leave --linger ms after destroying: a peer that exits at once is never seen leaving (the
// connections' close does not get out). wrtc's threads would keep us alive, hence exit().
let exiting = false
const exit = code => {
  if (exiting) return
  exiting = true
  peer.destroy()
  setTimeout(() => process.stdout.write('', () => process.exit(code)), o.linger)
}
process.on('SIGTERM', () => exit(0))
// A page logs what throws in an event handler and goes on (simple-peer-files throws in some:
// its close handler after a finished send uses a transfer it already dropped): so does this.
process.on('uncaughtException', err => out({ event: 'uncaught', error: text(err) }))
process.on('unhandledRejection', err => out({ event: 'uncaught', error: text(err), rejection: true }))
process.on('SIGINT', () => exit(1))
if (o.timeout > 0) setTimeout(() => { out({ event: 'timeout' }); exit(1) }, o.timeout * 1000).unref()

// Commands run one after the other, in order.
createInterface({ input: process.stdin, crlfDelay: Infinity })
  .on('line', line => {
    if (o.control) {
      if (!line.trim()) return
      let cmd
      try { cmd = JSON.parse(line) } catch (err) {
        out({ event: 'ack', seq: null, cmd: null, error: String(err?.message ?? err) })
        return
      }
      peer.command(cmd)
    } else {
      peer.say(line)
    }
  })
  .on('close', () => { peer.idle().then(() => exit(0)) })

if (!o.deferStart) peer.start().catch(err => { out({ event: 'error', message: String(err?.message ?? err) }); exit(1) })
