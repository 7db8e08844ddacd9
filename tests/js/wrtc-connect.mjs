#!/usr/bin/env node
// `ferry-cli connect` implemented with libwebrtc (@roamhq/wrtc): the stand-in used to prove the
// interop harness before ferry-cli existed, and a libwebrtc reference peer ever since.
//
//   wrtc-connect.mjs [--answer] [--label=LABEL] [--echo] [--text] [--stun=URL] [--turn=URL]…
//                    [--turn-user=U] [--turn-password=P] [--relay-only]
//
// Contract (shared with ferry-cli connect):
// - stdin/stdout carry exactly one JSON line each way, {"type":"offer"|"answer","sdp":"…"}, with
//   every candidate inside the SDP. By default we offer (print, then read the answer);
//   --answer reads the offer and prints the answer.
// - Main channel LABEL (default "ferry"), ordered and reliable: the offerer creates it before the
//   offer, the answerer once connected.
// - After the signalling line, stdin is data for the main channel (binary messages of at most
//   64 KiB; --text: one text message per line), and stdout is what arrives on the main channel
//   (raw bytes; --text: text messages followed by "\n"). At stdin EOF the main channel is closed
//   once everything queued has gone out.
// - --echo: messages on channels the remote opened are sent back unchanged (type included).
// - stderr: "ferry-cli: EVENT key=value…" status lines.
// - Exit 0 once stdin hit EOF, the main channel is closed and no remotely opened channel is
//   still open (or the remote closed the connection after that); non-zero with a message on
//   failure. SIGTERM/SIGINT close and exit.

import wrtc from '@roamhq/wrtc'

const { RTCPeerConnection } = wrtc

const CHUNK = 65536 // largest binary message we send (every peer accepts 64 KiB)
// @roamhq/wrtc silently drops messages once 16 MiB is queued, and never fires
// bufferedamountlow: keep well under that and poll.
const HIGH_WATER = 4 * 1024 * 1024
const POLL_MS = 3
const GATHER_TIMEOUT_MS = 5000 // as simple-peer: send what we have after 5 s
const CONNECT_TIMEOUT_MS = 30000
const IDLE_MS = 1500 // see sctpIdle()

function usage (msg) {
  process.stderr.write(`ferry-cli: ${msg}\nusage: wrtc-connect.mjs [--answer] [--label=LABEL] [--echo] [--text] ` +
    '[--stun=URL] [--turn=URL]… [--turn-user=U] [--turn-password=P] [--relay-only]\n')
  process.exit(2)
}

function parseArgs (argv) {
  const o = { answer: false, label: 'ferry', echo: false, text: false, stun: [], turn: [], turnUser: undefined, turnPassword: undefined, relayOnly: false }
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg)
    if (!m) usage(`unexpected argument '${arg}'`)
    const [, name, value] = m
    const need = () => { if (value === undefined) usage(`--${name} needs a value`); return value }
    switch (name) {
      case 'answer': o.answer = true; break
      case 'label': o.label = need(); break
      case 'echo': o.echo = true; break
      case 'text': o.text = true; break
      case 'stun': o.stun.push(need()); break
      case 'turn': o.turn.push(need()); break
      case 'turn-user': o.turnUser = need(); break
      case 'turn-password': o.turnPassword = need(); break
      case 'relay-only': o.relayOnly = true; break
      default: usage(`unknown option --${name}`)
    }
  }
  return o
}

const opts = parseArgs(process.argv.slice(2))
const status = (event, fields = {}) => {
  const kv = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ')
  process.stderr.write(`ferry-cli: ${event}${kv ? ' ' + kv : ''}\n`)
}
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

let pc = null
let exiting = false
function finish (code, message) {
  if (exiting) return
  exiting = true
  if (message) process.stderr.write(`ferry-cli: ${code ? 'error: ' : ''}${message}\n`)
  try { pc?.close() } catch {}
  // Let stdout drain (a pipe is asynchronous in Node) before leaving; wrtc's native threads
  // would keep the process alive otherwise, hence the explicit exit.
  process.stdout.write('', () => process.exit(code))
  setTimeout(() => process.exit(code), 2000).unref()
}
process.on('SIGTERM', () => finish(143, 'terminated'))
process.on('SIGINT', () => finish(130, 'interrupted'))
process.stdout.on('error', err => finish(1, `stdout: ${err.message}`))

// stdin: one signalling line, then raw data. One async iterator serves both, so that data
// arriving in the same read as the line is kept and stdin is only read as fast as we send.
const stdinIter = process.stdin[Symbol.asyncIterator]()
let pending = Buffer.alloc(0)

async function readLine () {
  for (;;) {
    const nl = pending.indexOf(0x0a)
    if (nl >= 0) {
      const line = pending.subarray(0, nl).toString('utf8')
      pending = pending.subarray(nl + 1)
      return line
    }
    const { value, done } = await stdinIter.next()
    if (done) return null
    pending = Buffer.concat([pending, value])
  }
}

async function * dataChunks () {
  if (pending.length) yield pending
  pending = Buffer.alloc(0)
  for (;;) {
    const { value, done } = await stdinIter.next()
    if (done) return
    yield value
  }
}

function iceServers () {
  const servers = opts.stun.map(urls => ({ urls }))
  if (opts.turn.length) servers.push({ urls: opts.turn, username: opts.turnUser, credential: opts.turnPassword })
  return servers
}

// Non-trickle: wait for the end of gathering so every candidate is inside the SDP.
function gatheringDone () {
  if (pc.iceGatheringState === 'complete') return Promise.resolve()
  return new Promise(resolve => {
    const timer = setTimeout(resolve, GATHER_TIMEOUT_MS)
    pc.addEventListener('icecandidate', ev => { if (!ev.candidate) { clearTimeout(timer); resolve() } })
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve() }
    })
  })
}

function writeSignal (desc) {
  process.stdout.write(JSON.stringify({ type: desc.type, sdp: desc.sdp }) + '\n')
}

async function readSignal (expected) {
  const line = await readLine()
  if (line === null) throw new Error(`stdin closed before the ${expected} line`)
  let msg
  try { msg = JSON.parse(line) } catch { throw new Error(`bad signalling line (not JSON): ${line.slice(0, 80)}`) }
  if (msg?.type !== expected || typeof msg.sdp !== 'string') throw new Error(`expected {"type":"${expected}","sdp":…}, got ${line.slice(0, 80)}`)
  return msg
}

// --- channel bookkeeping and exit condition -----------------------------------------------------

let main = null
let stdinDone = false
let mainClosed = false
const remoteOpen = new Set()
let reported = false

function checkDone () {
  if (stdinDone && mainClosed && remoteOpen.size === 0) finish(0)
}

function writeReceived (data) {
  if (typeof data === 'string') process.stdout.write(opts.text ? data + '\n' : data)
  else process.stdout.write(Buffer.from(data))
}

function setupChannel (ch, origin) {
  ch.binaryType = 'arraybuffer'
  const opened = () => {
    // By the first open, DTLS and SCTP are up and a pair is selected.
    if (!reported) { reported = true; reportTransport() }
    status('channel-open', { id: ch.id, label: ch.label, origin })
    if (origin === 'remote') remoteOpen.add(ch)
  }
  if (ch.readyState === 'open') opened()
  else ch.addEventListener('open', opened)
  ch.addEventListener('close', () => {
    status('channel-closed', { id: ch.id, label: ch.label })
    if (ch === main) {
      mainClosed = true
      if (!stdinDone) return finish(1, 'the remote closed the main channel before the end of input')
    }
    remoteOpen.delete(ch)
    checkDone()
  })
  ch.addEventListener('message', ev => {
    if (ch === main) writeReceived(ev.data)
    else if (opts.echo && origin === 'remote') ch.send(ev.data)
  })
}

// --- the main channel's sender ------------------------------------------------------------------

async function waitOpen (ch) {
  if (ch.readyState === 'open') return
  if (ch.readyState !== 'connecting') throw new Error(`main channel ${ch.readyState} before opening (id ${ch.id})`)
  await new Promise((resolve, reject) => {
    ch.addEventListener('open', resolve)
    ch.addEventListener('close', () => reject(new Error('main channel closed before opening')))
  })
}

async function drainBelow (ch, level) {
  while (ch.bufferedAmount > level && ch.readyState === 'open') await sleep(POLL_MS)
}

async function sendInput (ch) {
  await waitOpen(ch)
  if (opts.text) {
    let carry = ''
    const decoder = new TextDecoder()
    for await (const chunk of dataChunks()) {
      const lines = (carry + decoder.decode(chunk, { stream: true })).split('\n')
      carry = lines.pop()
      for (const line of lines) { await drainBelow(ch, HIGH_WATER); ch.send(line) }
    }
    carry += decoder.decode()
    if (carry) { await drainBelow(ch, HIGH_WATER); ch.send(carry) }
  } else {
    for await (const chunk of dataChunks()) {
      for (let off = 0; off < chunk.length; off += CHUNK) {
        await drainBelow(ch, HIGH_WATER)
        if (ch.readyState !== 'open') return
        // A copy with its own ArrayBuffer: stdin's chunks can be views into a larger one.
        ch.send(Uint8Array.prototype.slice.call(chunk, off, off + CHUNK))
      }
    }
  }
  await drainBelow(ch, 0)
  await sctpIdle()
  stdinDone = true
  if (ch.readyState === 'open') ch.close()
  checkDone()
}

// libwebrtc M106 (usrsctp) discards whatever still sits in the SCTP send queue when a channel is
// closed, and bufferedAmount only counts what has not reached that queue yet: closing at
// bufferedAmount 0 loses a few MiB. Wait until the transport has sent nothing new for a while:
// longer than SCTP's minimum retransmission timeout (1 s), since the tail of a transfer is
// often lost to a full UDP receive buffer and only goes again when that timer fires.
async function sctpIdle () {
  const sent = async () => {
    let n = 0
    ;(await pc.getStats()).forEach(s => { if (s.type === 'transport') n += s.bytesSent ?? 0 })
    return n
  }
  let last = await sent()
  for (let quietSince = Date.now(); Date.now() - quietSince < IDLE_MS;) {
    await sleep(50)
    const now = await sent()
    if (now !== last) { last = now; quietSince = Date.now() }
  }
}

// --- status from getStats ---------------------------------------------------------------------

async function reportTransport () {
  try {
    const stats = await pc.getStats()
    const byId = new Map()
    stats.forEach(s => byId.set(s.id, s))
    let pair = null
    let transport = null
    for (const s of byId.values()) if (s.type === 'transport') transport = s
    if (transport?.selectedCandidatePairId) pair = byId.get(transport.selectedCandidatePairId)
    if (!pair) for (const s of byId.values()) if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s
    if (pair) {
      const fmt = c => c ? `${c.candidateType}:${c.address ?? c.ip}:${c.port}` : 'unknown'
      status('selected-pair', { local: fmt(byId.get(pair.localCandidateId)), remote: fmt(byId.get(pair.remoteCandidateId)) })
    }
    if (transport?.dtlsState === 'connected') {
      const f = { cipher: transport.dtlsCipher ?? 'unknown' }
      if (transport.dtlsRole) f.role = transport.dtlsRole
      if (transport.tlsVersion) f.version = transport.tlsVersion
      status('dtls-connected', f)
    }
  } catch (err) {
    status('stats-failed', { error: JSON.stringify(String(err.message)) })
  }
}

// --- main -------------------------------------------------------------------------------------

async function run () {
  pc = new RTCPeerConnection({ iceServers: iceServers(), iceTransportPolicy: opts.relayOnly ? 'relay' : 'all' })

  let connected = false
  const connectTimer = setTimeout(() => finish(1, `not connected after ${CONNECT_TIMEOUT_MS / 1000} s`), CONNECT_TIMEOUT_MS)
  const onConnected = () => {
    if (connected) return
    connected = true
    clearTimeout(connectTimer)
  }
  pc.addEventListener('iceconnectionstatechange', () => {
    const s = pc.iceConnectionState
    if (s === 'connected' || s === 'completed') status('ice-connected')
    else if (s === 'failed') finish(1, 'ICE failed')
  })
  pc.addEventListener('connectionstatechange', () => {
    const s = pc.connectionState
    if (s === 'connected') onConnected()
    else if (s === 'failed') finish(1, 'connection failed')
    else if (s === 'closed' || s === 'disconnected') {
      if (stdinDone && mainClosed) finish(0)
      else if (s === 'closed') finish(1, 'connection closed by the remote')
    }
  })
  pc.addEventListener('datachannel', ev => setupChannel(ev.channel, 'remote'))

  if (!opts.answer) {
    main = pc.createDataChannel(opts.label)
    setupChannel(main, 'local')
    await pc.setLocalDescription(await pc.createOffer())
    await gatheringDone()
    writeSignal(pc.localDescription)
    const answer = await readSignal('answer')
    await pc.setRemoteDescription(answer).catch(err => { throw new Error(`bad answer SDP: ${err.message}`) })
    sendInput(main).catch(err => finish(1, err.message))
  } else {
    const offer = await readSignal('offer')
    await pc.setRemoteDescription(offer).catch(err => { throw new Error(`bad offer SDP: ${err.message}`) })
    await pc.setLocalDescription(await pc.createAnswer())
    // The contract says "once connected"; libwebrtc M106 returns an already closed channel
    // from createDataChannel() about one time in ten when called at that moment, so ask for it
    // now: libwebrtc only sends its DCEP OPEN once SCTP is up, which looks the same on the wire.
    main = pc.createDataChannel(opts.label)
    setupChannel(main, 'local')
    sendInput(main).catch(err => finish(1, err.message))
    await gatheringDone()
    writeSignal(pc.localDescription)
  }
}

run().catch(err => finish(1, err.message))
