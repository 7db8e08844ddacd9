#!/usr/bin/env node
// WebDrop's "same network" room: `ferry-cli chat webdrop:nearby` learns its public address from
// the STUN server of the NAT lab (coturn) and joins the room WebDrop puts browsers with that
// public IPv4 address in, where a WebDrop peer of the same home network waits. Run it inside
// tests/nat/nat-lab.sh (both routers cone), which sets NAT_NS_A, NAT_NS_SERVER,
// NAT_SERVER_IP and NAT_STUN_URL:
//
//   nat-lab.sh --a=cone --b=cone -- node webdrop-nearby.mjs --ferry-cli=PATH [--verbose]
//
// The lab (see nat-lab.sh): home network A behind router A, whose public address is
// 198.51.100.11; the tracker runs next to coturn on the "internet". WebDrop itself asks an address service over HTTPS for the public address and
// names the room with the npm package hash-sum; the test computes each room with that same
// package, independently of Ferry.
//
// Steps, each reported as "step NAME: PASS|FAIL (…)":
//   address   Ferry (in A) prints "nearby address=198.51.100.11 room=CODE" with CODE = the first
//             four characters of hash-sum("198.51.100.11"), and joins webdrop + CODE
//   meet      Ferry and "Home" (a WebDrop peer in A, room CODE) meet: Ferry prints peer-updated
//             with kind=webdrop and Home's name
//   chat      Home → Ferry and Ferry → Home, one message each way
// (Network B is not used: WebDrop's hash of 198.51.100.12 starts like that of 198.51.100.11, so
// both networks share a room — addresses that differ only in their last characters do.)
//
// Exit: 0 pass, 1 fail, 77 when node's packages are missing (a failure when CI=true).

import { createRequire } from 'node:module'
import { check, finish, skipOrFail, stepRunner } from './lib/harness.mjs'
import { missingPackage, startControlled, startFerryChat, writeLine } from './lib/room-procs.mjs'

const opts = { ferryCli: null, verbose: false, timeout: 60 }
for (const arg of process.argv.slice(2)) {
  const [, name, v] = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg) ?? []
  if (name === 'ferry-cli') opts.ferryCli = v
  else if (name === 'verbose') opts.verbose = true
  else if (name === 'timeout') opts.timeout = Number(v)
  else { process.stderr.write(`webdrop-nearby: unknown argument ${arg}\n`); process.exit(2) }
}
const env = process.env
if (!opts.ferryCli || !env.NAT_NS_A || !env.NAT_NS_SERVER || !env.NAT_STUN_URL) {
  process.stderr.write('webdrop-nearby: needs --ferry-cli=PATH and must run inside tests/nat/nat-lab.sh\n')
  process.exit(2)
}
const missing = missingPackage(['@roamhq/wrtc', 'p2pt', 'bittorrent-tracker', 'hash-sum'])
if (missing) skipOrFail('webdrop-nearby', `node package ${missing} is missing (run npm ci in tests/js)`)

const hashSum = createRequire(import.meta.url)('hash-sum')
const ROUTER_A = '198.51.100.11' // router A's public address in nat-lab.sh
const roomOf = address => hashSum(address).slice(0, 4)

const log = opts.verbose ? (tag, ev) => process.stderr.write(`${tag}: ${JSON.stringify(ev)}\n`) : null
const inNs = ns => ['ip', 'netns', 'exec', ns]
setTimeout(() => { process.stderr.write(`webdrop-nearby: timed out after ${opts.timeout} s\n`); finish(1) }, opts.timeout * 1000).unref()

/** webdrop-peer.mjs in namespace @ns, in control mode. */
const startWebDrop = (tag, ns, tracker, code) => startControlled('webdrop-peer.mjs',
  [`--tracker=${tracker}`, `--room=${code}`, `--name=${tag} Chrome120`, '--control'], { tag, log, wrap: inNs(ns) })

const tracker = startControlled('tracker-server.mjs', [`--host=${env.NAT_SERVER_IP}`],
  { tag: 'tracker', log, wrap: inNs(env.NAT_NS_SERVER) })
const { port } = await tracker.events.wait(e => 'port' in e, 10000, 'the tracker to listen')
const trackerUrl = `ws://${env.NAT_SERVER_IP}:${port}`

const home = startWebDrop('Home', env.NAT_NS_A, trackerUrl, roomOf(ROUTER_A))
const homeId = (await home.events.wait(e => e.event === 'ready', 10000, 'ready')).peer_id
const ferry = startFerryChat(opts.ferryCli, 'webdrop:nearby', {
  trackers: [trackerUrl], name: 'Ferry', log, wrap: inNs(env.NAT_NS_A), env: { FERRY_STUN_SERVERS: env.NAT_STUN_URL },
})

const runner = stepRunner({ verbose: opts.verbose })
const step = runner.step

await step('address', async () => {
  const nearby = await ferry.events.wait(e => e.event === 'nearby', 15000, 'the nearby line')
  check(nearby.address === ROUTER_A, `public address ${nearby.address}, not ${ROUTER_A}`)
  check(nearby.room === roomOf(ROUTER_A), `room ${nearby.room}, not ${roomOf(ROUTER_A)} (hash-sum)`)
  const joining = await ferry.events.wait(e => e.event === 'joining', 5000, 'joining')
  check(joining.room === `webdrop${roomOf(ROUTER_A)}`, `joined ${joining.room}`)
  return `${nearby.address} → webdrop${nearby.room}`
})

await step('meet', async () => {
  await ferry.events.wait(e => e.event === 'peer-updated' && e.id === homeId && e.kind === 'webdrop' &&
    e.name === 'Home Chrome120', 20000, 'Home as a WebDrop peer')
  const init = await home.events.wait(e => e.event === 'init' && /Ferry/.test(e.msg?.name ?? ''), 10000, "Ferry's init")
  // simple-peer can deliver the init before its 'connect'; "say" goes to connected peers only.
  await home.events.wait(e => e.event === 'peerconnect' && e.peer === init.peer, 10000, "Home's peerconnect of Ferry")
})

await step('chat', async () => {
  await home.command({ cmd: 'say', msg: 'hello from the same house' })
  await ferry.lines.wait(e => e.text === 'Home Chrome120: hello from the same house', 10000, 'the line from Home')
  await writeLine(ferry.proc, 'hello from Ferry')
  await home.events.wait(e => e.event === 'msg-added' && e.msg?.msg === 'hello from Ferry', 10000, "Ferry's message")
})

ferry.proc.stdin.end()
home.proc.stdin.end()
await ferry.exited
tracker.proc.kill('SIGTERM')
finish(runner.failed ? 1 : 0)
