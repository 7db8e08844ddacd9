// The foreign peer's side of the interop scenario. The same module runs in a browser page and in
// Node (@roamhq/wrtc); it talks to the runner (interop.mjs) over HTTP and leaves every verdict
// that needs the runner's data (checksums, byte counts) to the runner.
//
// 1. Offerer: create "peer-echo" before the offer (as P2PT/simple-peer do). Answerer: wait for the
//    CLI's main channel, then open "peer-echo". Either way both sides open a channel.
// 2. On "peer-echo": send text, binary, empty text, empty binary and a 64 KiB binary message;
//    the CLI (--echo) must return each with the same type and bytes, in order.
// 3. On the CLI's main channel: receive what the runner pipes into the CLI's stdin (byte count,
//    CRC-32 and a comparison with the runner's key stream, as it arrives), then see the channel
//    close (the CLI closes it at stdin EOF).
// 4. Meanwhile send `reverseBytes` bytes of another key stream on the main channel; the runner
//    checks the CLI's stdout.
// 5. Close "peer-echo", wait for its close, and report.

import { Crc32 } from './crc32.mjs'
import { KeyStream } from './keystream.mjs'

const ECHO_LABEL = 'peer-echo'
const SEND_CHUNK = 65536
const HIGH_WATER = 1024 * 1024 // @roamhq/wrtc never fires bufferedamountlow: poll under this
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/** HTTP link to the runner; `base` is its origin. */
export function httpLink (base) {
  base = base.replace(/\/+$/, '')
  const post = (path, body) => fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return {
    config: async () => (await fetch(base + '/config')).json(),
    sendSignal: desc => post('/signal', { type: desc.type, sdp: desc.sdp }),
    // Long poll: answers once the CLI has printed its line.
    receiveSignal: async () => (await fetch(base + '/signal')).json(),
    // `mark` names a milestone so that the runner can time it on its own clock.
    log: (msg, mark) => post('/log', { msg, mark }).catch(() => {}),
    report: result => post('/result', result),
  }
}

function echoVectors (randomFill) {
  const big = new Uint8Array(65536)
  randomFill(big)
  return [
    { name: 'text', data: 'héllo 😀' },
    { name: 'binary', data: new Uint8Array([1, 2, 3, 255]) },
    { name: 'empty text', data: '' },
    { name: 'empty binary', data: new Uint8Array(0) },
    { name: '64 KiB binary', data: big },
  ]
}

const hex = u8 => Array.from(u8, b => b.toString(16).padStart(2, '0')).join('')

function describe (d) {
  if (typeof d === 'string') return `text(${JSON.stringify(d.length > 20 ? d.slice(0, 20) + '…' : d)})`
  return `binary(${d.byteLength} B)`
}

function sameMessage (sent, got) {
  if (typeof sent === 'string') return typeof got === 'string' && got === sent
  if (typeof got === 'string') return false
  const a = new Uint8Array(sent.buffer, sent.byteOffset, sent.byteLength)
  const b = new Uint8Array(got)
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

// Non-trickle: every candidate must be in the SDP we hand over.
function gatheringDone (pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve()
  return new Promise(resolve => {
    const timer = setTimeout(resolve, 5000)
    pc.addEventListener('icecandidate', ev => { if (!ev.candidate) { clearTimeout(timer); resolve() } })
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve() }
    })
  })
}

const opened = ch => ch.readyState === 'open'
  ? Promise.resolve()
  : new Promise((resolve, reject) => {
    ch.addEventListener('open', () => resolve(), { once: true })
    ch.addEventListener('close', () => reject(new Error(`channel ${ch.label} closed before opening`)), { once: true })
  })

const closed = ch => ch.readyState === 'closed'
  ? Promise.resolve()
  : new Promise(resolve => ch.addEventListener('close', () => resolve(), { once: true }))

async function selectedPair (pc) {
  try {
    const stats = await pc.getStats()
    const byId = new Map()
    stats.forEach(s => byId.set(s.id, s))
    let pair = null
    for (const s of byId.values()) {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId)
    }
    for (const s of byId.values()) {
      if (!pair && s.type === 'candidate-pair' && (s.selected || (s.nominated && s.state === 'succeeded'))) pair = s
    }
    if (!pair) return null
    const fmt = c => c ? `${c.candidateType}:${c.address ?? c.ip}:${c.port}` : '?'
    return { local: fmt(byId.get(pair.localCandidateId)), remote: fmt(byId.get(pair.remoteCandidateId)) }
  } catch {
    return null
  }
}

/**
 * @param {object} o
 * @param {typeof RTCPeerConnection} o.RTCPeerConnection
 * @param {ReturnType<typeof httpLink>} o.link
 * @param {(u8: Uint8Array) => void} o.randomFill  fills at most 65536 bytes
 * @param {() => number} o.now  milliseconds
 */
export async function runScenario ({ RTCPeerConnection, link, randomFill, now }) {
  const cfg = await link.config()
  const t0 = now()
  const at = () => Math.round(now() - t0)
  const log = (msg, mark) => link.log(`${at()} ms ${msg}`, mark)
  const result = { peer: cfg.peer, role: cfg.role, times: {}, echo: [], main: null, reverse: null, pair: null }

  const pc = new RTCPeerConnection({ iceServers: [] })
  pc.addEventListener('connectionstatechange', () => log(`connection ${pc.connectionState}`))

  // Every channel the CLI opens arrives here; the main one is the one we want.
  let echo = null
  const mainArrived = new Promise(resolve => pc.addEventListener('datachannel', ev => {
    log(`remote channel "${ev.channel.label}" announced`)
    if (ev.channel.label === cfg.mainLabel) resolve(ev.channel)
  }))

  if (cfg.role === 'offer') {
    echo = pc.createDataChannel(ECHO_LABEL)
    await pc.setLocalDescription(await pc.createOffer())
    await gatheringDone(pc)
    await link.sendSignal(pc.localDescription)
    const answer = await link.receiveSignal()
    result.times.signalled = at()
    await pc.setRemoteDescription(answer)
  } else {
    const offer = await link.receiveSignal()
    await pc.setRemoteDescription(offer)
    await pc.setLocalDescription(await pc.createAnswer())
    await gatheringDone(pc)
    await link.sendSignal(pc.localDescription)
    result.times.signalled = at()
  }
  log('signalling done', 'signalled')

  const main = await mainArrived
  main.binaryType = 'arraybuffer'

  // Receive on main from the moment it exists: a CLI may send right after the open.
  const crc = new Crc32()
  const expected = new KeyStream(cfg.seed)
  const recv = { bytes: 0, crc32: null, firstMismatch: -1, messages: 0, textMessages: 0, firstMs: null, lastMs: null, closedMs: null }
  main.addEventListener('message', ev => {
    const t = now()
    if (recv.firstMs === null) recv.firstMs = t
    recv.lastMs = t
    recv.messages++
    const data = typeof ev.data === 'string' ? new TextEncoder().encode(ev.data) : new Uint8Array(ev.data)
    if (typeof ev.data === 'string') recv.textMessages++
    crc.update(data)
    if (!expected.check(data) && recv.mismatch === undefined) {
      // Enough for the runner to find where in its stream these bytes came from.
      const at = expected.firstMismatch - (expected.offset - data.length)
      recv.mismatch = { message: recv.messages - 1, messageBytes: data.length, at, sample: hex(data.subarray(at, at + 16)) }
    }
  })
  const mainClosed = closed(main).then(() => {
    recv.closedMs = at()
    recv.bytes = crc.length
    recv.crc32 = crc.digest()
    recv.firstMismatch = expected.firstMismatch
    log(`main channel closed after ${recv.bytes} bytes`)
  })

  await opened(main)
  result.times.mainOpen = at()
  log('main channel open', 'main-open')
  // As answerer, open ours once the CLI's is open rather than while its DCEP OPEN is being
  // handled: the same test, one race fewer in the foreign stack.
  if (!echo) echo = pc.createDataChannel(ECHO_LABEL)
  echo.binaryType = 'arraybuffer'
  selectedPair(pc).then(p => { result.pair = p })

  // 2: echo, concurrently with 3 and 4.
  const echoDone = (async () => {
    await opened(echo)
    result.times.echoOpen = at()
    const vectors = echoVectors(randomFill)
    const got = []
    let wake = null
    echo.addEventListener('message', ev => { got.push(ev.data); wake?.() })
    const sentAt = now()
    for (const v of vectors) echo.send(v.data)
    const deadline = sentAt + 20000
    while (got.length < vectors.length && now() < deadline) {
      await new Promise(resolve => { wake = resolve; setTimeout(resolve, 250) })
    }
    result.times.echoDone = at()
    vectors.forEach((v, i) => {
      const ok = i < got.length && sameMessage(v.data, got[i])
      result.echo.push({ name: v.name, ok, sent: describe(v.data), got: i < got.length ? describe(got[i]) : 'nothing' })
    })
    if (got.length > vectors.length) result.echo.push({ name: 'extra messages', ok: false, sent: '-', got: `${got.length - vectors.length} more` })
    log(`echo: ${got.length}/${vectors.length} back`)
  })()

  // 4: send reverseBytes on main, paced by polling bufferedAmount.
  const reverseDone = (async () => {
    const c = new Crc32()
    const stream = new KeyStream(cfg.reverseSeed)
    const start = now()
    for (let left = cfg.reverseBytes; left > 0 && main.readyState === 'open';) {
      const chunk = stream.fill(new Uint8Array(Math.min(SEND_CHUNK, left)))
      while (main.bufferedAmount > HIGH_WATER && main.readyState === 'open') await sleep(2)
      main.send(chunk)
      c.update(chunk)
      left -= chunk.length
    }
    while (main.bufferedAmount > 0 && main.readyState === 'open') await sleep(2)
    result.reverse = { bytes: c.length, crc32: c.digest(), ms: Math.round(now() - start) }
    log(`sent ${c.length} bytes on the main channel`)
  })()

  await Promise.all([echoDone, reverseDone, mainClosed])
  recv.mbps = recv.lastMs > recv.firstMs ? recv.bytes / 1e6 / ((recv.lastMs - recv.firstMs) / 1000) : null
  recv.firstMs = recv.firstMs === null ? null : Math.round(recv.firstMs - t0)
  recv.lastMs = recv.lastMs === null ? null : Math.round(recv.lastMs - t0)
  result.main = recv

  // 5: closing our channel lets the CLI exit.
  echo.close()
  await Promise.race([closed(echo), sleep(5000)])
  result.times.echoClosed = echo.readyState === 'closed' ? at() : null
  result.times.reported = at()
  await link.report(result)
  return pc
}
