#!/usr/bin/env node
// The reference WebTorrent tracker (bittorrent-tracker's Server, WebSocket only) on loopback.
//
//   tracker-server.mjs [--port=0] [--host=127.0.0.1] [--announce-interval=SECONDS] [--quiet]
//
// Prints {"port":N} once listening (ws://HOST:N is the announce URL), then one JSON line per
// tracker event unless --quiet: {"event":"start|update|complete|stop","info_hash":HEX,
// "peer_id":HEX,"offers":N,"answer":BOOL}, {"event":"warning","message":…}. Stops on
// SIGTERM/SIGINT or when stdin reaches EOF (so a test that dies takes its tracker with it).
import { Server } from 'bittorrent-tracker'

const o = { port: 0, host: '127.0.0.1', announceInterval: 120, quiet: false }
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg)
  if (m?.[1] === 'port') o.port = Number(m[2])
  else if (m?.[1] === 'host') o.host = m[2]
  else if (m?.[1] === 'announce-interval') o.announceInterval = Number(m[2])
  else if (m?.[1] === 'quiet') o.quiet = true
  else { process.stderr.write(`tracker-server: unknown argument '${arg}'\n`); process.exit(2) }
}
if (!Number.isInteger(o.port) || !(o.announceInterval > 0)) {
  process.stderr.write('tracker-server: --port and --announce-interval need numbers\n')
  process.exit(2)
}

const out = obj => process.stdout.write(JSON.stringify(obj) + '\n')
const server = new Server({
  udp: false,
  http: false,
  ws: true,
  stats: false,
  // WebSocket clients are told intervalMs / 5 (server.js), so this yields --announce-interval.
  interval: o.announceInterval * 5000,
})

server.on('error', err => { process.stderr.write(`tracker-server: ${err.message}\n`); process.exit(1) })
server.on('warning', err => { if (!o.quiet) out({ event: 'warning', message: err.message }) })
for (const event of ['start', 'update', 'complete', 'stop']) {
  server.on(event, (_addr, params) => {
    if (o.quiet) return
    out({ event, info_hash: params.info_hash, peer_id: params.peer_id, offers: params.offers?.length ?? 0, answer: !!params.answer })
  })
}
server.on('listening', () => out({ port: server.ws.address().port }))
server.listen(o.port, o.host)

// close() waits for every client to go, and a browser may never: leave after 1 s regardless.
const stop = () => {
  server.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.resume()
