#!/usr/bin/env node
// libwebrtc side of tests/bench/bench-datachannel.py: the same protocol as `ferry-cli bench`.
//
//   wrtc-bench.mjs [--answer] [--bytes=N] [--message-size=N] [--high-water-kib=N]
//
// The offerer sends --bytes in --message-size binary messages, keeping bufferedAmount under the
// high-water mark (polled: @roamhq/wrtc never fires bufferedamountlow, and drops messages
// silently past 16 MiB queued); the answerer counts and replies "done". One JSON line of
// signalling each way on stdin/stdout, then one JSON line of figures on stdout.

import { createInterface } from 'node:readline'
import wrtc from '@roamhq/wrtc'

const { RTCPeerConnection } = wrtc
const startMs = performance.now()
const opts = { answer: false, bytes: 2 ** 30, messageSize: 65536, highWater: 4096 * 1024 }
for (const arg of process.argv.slice(2)) {
  const [name, value] = arg.replace(/^--/, '').split('=')
  if (name === 'answer') opts.answer = true
  else if (name === 'bytes') opts.bytes = Number(value)
  else if (name === 'message-size') opts.messageSize = Number(value)
  else if (name === 'high-water-kib') opts.highWater = Number(value) * 1024
  else { process.stderr.write(`wrtc-bench: unknown option ${arg}\n`); process.exit(2) }
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const readLine = async () => (await lines.next()).value

const pc = new RTCPeerConnection({ iceServers: [] })
let offerMs = 0
let openMs = 0
let firstByteMs = 0

function gathered () {
  return new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') return resolve()
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve() }
  })
}

function finish () {
  const doneMs = performance.now()
  const seconds = (doneMs - (opts.answer ? firstByteMs : openMs)) / 1000
  const cpu = process.cpuUsage()
  process.stdout.write(JSON.stringify({
    stack: 'libwebrtc',
    role: opts.answer ? 'receiver' : 'sender',
    bytes: opts.bytes,
    seconds,
    mb_per_s: opts.bytes / seconds / 1e6,
    cpu_s: (cpu.user + cpu.system) / 1e6,
    cpu_user_s: cpu.user / 1e6,
    cpu_sys_s: cpu.system / 1e6,
    max_rss_kib: process.resourceUsage().maxRSS,
    offer_to_open_ms: offerMs ? openMs - offerMs : 0,
    start_to_open_ms: openMs - startMs
  }) + '\n')
  pc.close()
  setTimeout(() => process.exit(0), 100)
}

function sender (channel) {
  const payload = new Uint8Array(opts.messageSize)
  let sent = 0
  channel.binaryType = 'arraybuffer'
  channel.onopen = () => {
    openMs = performance.now()
    const pump = () => {
      while (sent < opts.bytes && channel.bufferedAmount < opts.highWater) {
        channel.send(payload)
        sent += payload.length
      }
      if (sent < opts.bytes) setTimeout(pump, 1)
    }
    pump()
  }
  channel.onmessage = event => { if (typeof event.data === 'string') finish() }
}

function receiver (channel) {
  let received = 0
  channel.binaryType = 'arraybuffer'
  openMs = performance.now()
  channel.onmessage = event => {
    if (received === 0) firstByteMs = performance.now()
    received += event.data.byteLength
    if (received >= opts.bytes) {
      channel.send('done')
      finish()
    }
  }
}

if (!opts.answer) {
  sender(pc.createDataChannel('bench'))
  await pc.setLocalDescription(await pc.createOffer())
  await gathered()
  process.stdout.write(JSON.stringify({ type: 'offer', sdp: pc.localDescription.sdp }) + '\n')
  offerMs = performance.now()
  await pc.setRemoteDescription(JSON.parse(await readLine()))
} else {
  pc.ondatachannel = event => receiver(event.channel)
  await pc.setRemoteDescription(JSON.parse(await readLine()))
  await pc.setLocalDescription(await pc.createAnswer())
  await gathered()
  process.stdout.write(JSON.stringify({ type: 'answer', sdp: pc.localDescription.sdp }) + '\n')
}
