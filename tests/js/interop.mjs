#!/usr/bin/env node
// Interop test: a CLI that implements the `connect` contract (ferry-cli connect, or the
// wrtc-connect.mjs stand-in) against a foreign WebRTC peer (libwebrtc in Node, headless Chromium,
// headless Firefox ESR, or aiortc in Python). Run it inside tests/netns-run.sh: ICE must only see
// the namespace.
//
//   interop.mjs --peer=wrtc|chromium|firefox|aiortc --cli-role=offer|answer [--mdns=hide|show]
//               --cli=PATH [--cli-arg=ARG]… [--bytes=67108864] [--reverse-bytes=1048576]
//               [--timeout=90] [--verbose]
//
// --cli is the executable (a .mjs/.js file runs under this Node); each --cli-arg is appended in
// order, so `--cli=build/src/cli/ferry-cli --cli-arg=connect` runs `ferry-cli connect`. The runner
// adds --echo, and --answer when --cli-role=answer.
//
// The foreign peer runs lib/scenario.mjs (see there for the steps) and talks to this process over
// HTTP on 127.0.0.1: config, signalling relay, progress lines and its final report. The runner
// feeds the CLI's stdin with --bytes random bytes and checks the CLI's stdout, then judges.
//
// --peer=aiortc runs aiortc-peer.py under Debian's /usr/bin/python3 (package python3-aiortc): the
// same steps in Python over the same HTTP interface, so the same checks judge it. Only two things
// differ: --bytes defaults to AIORTC_BYTES (32 MiB) instead of 64 MiB, and --mdns does not apply
// (aiortc has no mDNS hiding of its own candidates).
//
// Exit: 0 pass, 1 fail, 77 when the foreign peer is not available (a failure when CI=true).

import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Crc32 } from './lib/crc32.mjs'
import { KeyStream, randomSeed } from './lib/keystream.mjs'
import { deferred, findBrowser, finish, launchBrowser, readJsonBody, skipOrFail as skipOrFailWith, spawnLogged, spawnTracked, tail } from './lib/harness.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const MiB = 1024 * 1024
// aiortc's SCTP runs in Python on one core: about 10-17 MB/s into aiortc here, so 32 MiB keeps a
// run at a few seconds while still spanning hundreds of messages and many congestion windows.
const AIORTC_BYTES = 32 * MiB
// Debian's interpreter by full path: python3-aiortc is installed for it alone, and a python3
// found first on PATH (pyenv, a venv) would not see it.
const AIORTC_PYTHON = '/usr/bin/python3'

// --- options -----------------------------------------------------------------------------------

function parseArgs (argv) {
  const o = { peer: null, cliRole: null, mdns: 'hide', cli: null, cliArgs: [], bytes: null, reverseBytes: MiB, timeout: 90, verbose: false }
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg)
    if (!m) die(`unexpected argument '${arg}'`)
    const [, name, v] = m
    const num = () => { const n = Number(v); if (!Number.isInteger(n) || n < 0) die(`--${name} needs a whole number`); return n }
    switch (name) {
      case 'peer': o.peer = v; break
      case 'cli-role': o.cliRole = v; break
      case 'mdns': o.mdns = v; break
      case 'cli': o.cli = v; break
      case 'cli-arg': o.cliArgs.push(v ?? ''); break
      case 'bytes': o.bytes = num(); break
      case 'reverse-bytes': o.reverseBytes = num(); break
      case 'timeout': o.timeout = num(); break
      case 'verbose': o.verbose = true; break
      default: die(`unknown option --${name}`)
    }
  }
  if (!PEERS.includes(o.peer)) die('--peer must be wrtc, chromium, firefox or aiortc')
  if (!['offer', 'answer'].includes(o.cliRole)) die('--cli-role must be offer or answer')
  if (!['hide', 'show'].includes(o.mdns)) die('--mdns must be hide or show')
  if (!o.cli) die('--cli=PATH is required')
  o.bytes ??= o.peer === 'aiortc' ? AIORTC_BYTES : 64 * MiB
  return o
}

const PEERS = ['wrtc', 'chromium', 'firefox', 'aiortc']
const BROWSERS = ['chromium', 'firefox'] // the peers with an mDNS setting

function die (msg) {
  process.stderr.write(`interop: ${msg}\n`)
  process.exit(2)
}

const opts = parseArgs(process.argv.slice(2))
const label = `peer=${opts.peer} cli-role=${opts.cliRole}${BROWSERS.includes(opts.peer) ? ` mdns=${opts.mdns}` : ''}`
const t0 = performance.now()
const secs = () => ((performance.now() - t0) / 1000).toFixed(2)
const note = msg => process.stderr.write(`[${secs()} s] ${msg}\n`)

const skipOrFail = why => skipOrFailWith(`interop ${label}`, why)

// --- the HTTP side: page, config, signalling relay, reports ------------------------------------

const STATIC = {
  '/js/scenario.mjs': 'lib/scenario.mjs',
  '/js/crc32.mjs': 'lib/crc32.mjs',
  '/js/keystream.mjs': 'lib/keystream.mjs',
  '/js/page.mjs': 'lib/page.mjs',
}
const PAGE = '<!doctype html><meta charset="utf-8"><title>ferry interop</title><script type="module" src="/js/page.mjs"></script>\n'

const fromPeer = deferred() // the peer's description
const toPeer = deferred() // the CLI's description
const report = deferred() // the peer's final report
const marks = {} // milestones the peer announced, on our clock (ms since start)
const mainOpenAtPeer = deferred()
const peerConfig = {
  peer: opts.peer,
  role: opts.cliRole === 'offer' ? 'answer' : 'offer',
  mainLabel: 'ferry',
  bytes: opts.bytes,
  reverseBytes: opts.reverseBytes,
  seed: randomSeed(), // of the data the runner pipes into the CLI
  reverseSeed: randomSeed(), // of the data the peer sends to the CLI
}

const server = createServer(async (req, res) => {
  const json = (obj, code = 200) => { res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }); res.end(JSON.stringify(obj)) }
  try {
    const path = req.url.split('?')[0]
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      res.end(PAGE)
    } else if (req.method === 'GET' && STATIC[path]) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
      res.end(readFileSync(join(HERE, STATIC[path])))
    } else if (req.method === 'GET' && path === '/config') {
      json(peerConfig)
    } else if (req.method === 'GET' && path === '/signal') {
      json(await toPeer.promise)
    } else if (req.method === 'POST' && path === '/signal') {
      fromPeer.resolve(await readJsonBody(req))
      json({ ok: true })
    } else if (req.method === 'POST' && path === '/log') {
      const { msg, mark } = await readJsonBody(req)
      if (mark) { marks[mark] = performance.now() - t0; if (mark === 'main-open') mainOpenAtPeer.resolve() }
      note(`peer: ${msg}`)
      json({ ok: true })
    } else if (req.method === 'POST' && path === '/result') {
      report.resolve(await readJsonBody(req))
      json({ ok: true })
    } else {
      res.writeHead(404).end()
    }
  } catch (err) {
    res.writeHead(500).end(String(err))
  }
})

// --- the foreign peer ------------------------------------------------------------------------

function launchPeer (url) {
  if (opts.peer === 'wrtc') return spawnLogged('wrtc', process.execPath, [join(HERE, 'lib/node-peer.mjs'), url], {}, false, opts.verbose)
  if (opts.peer === 'aiortc') return spawnLogged('aiortc', AIORTC_PYTHON, [join(HERE, 'aiortc-peer.py'), url], {}, false, opts.verbose)
  return launchBrowser(opts.peer, url, { mdns: opts.mdns, verbose: opts.verbose })
}

// --- the CLI under test ----------------------------------------------------------------------

function launchCli () {
  const isScript = /\.m?js$/.test(opts.cli)
  const cmd = isScript ? process.execPath : opts.cli
  const args = [...(isScript ? [opts.cli] : []), ...opts.cliArgs, '--echo']
  if (opts.cliRole === 'answer') args.push('--answer')
  note(`cli: ${[cmd, ...args].join(' ')}`)
  const proc = spawnTracked(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })

  const cli = {
    proc,
    line: deferred(), // the signalling line
    out: new Crc32(), // everything after it
    outCheck: new KeyStream(peerConfig.reverseSeed),
    reverseArrived: deferred(),
    events: [], // parsed status lines
    exited: new Promise(resolve => proc.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() }))),
  }
  proc.on('error', err => cli.line.reject(new Error(`cannot start the CLI: ${err.message}`)))
  proc.stdin.on('error', () => {}) // EPIPE when it dies early: reported through its exit

  let head = Buffer.alloc(0)
  let gotLine = false
  proc.stdout.on('data', chunk => {
    if (!gotLine) {
      head = Buffer.concat([head, chunk])
      const nl = head.indexOf(0x0a)
      if (nl < 0) return
      gotLine = true
      cli.line.resolve(head.subarray(0, nl).toString('utf8'))
      chunk = head.subarray(nl + 1)
    }
    cli.out.update(chunk)
    cli.outCheck.check(chunk)
    if (cli.out.length >= opts.reverseBytes) cli.reverseArrived.resolve()
  })

  let errBuf = ''
  proc.stderr.setEncoding('utf8')
  proc.stderr.on('data', s => {
    errBuf += s
    const lines = errBuf.split('\n')
    errBuf = lines.pop()
    for (const line of lines) {
      note(`cli| ${line}`)
      if (line.trim()) cli.lastLine = line.trim()
      const m = /^ferry-cli: ([a-z-]+)((?: [a-z-]+=\S*)*)\s*$/.exec(line)
      if (m) cli.events.push({ event: m[1], ...Object.fromEntries(m[2].trim().split(/ +/).filter(Boolean).map(kv => kv.split(/=(.*)/s).slice(0, 2))) })
    }
  })
  return cli
}

function parseSignal (line, type) {
  let msg
  try { msg = JSON.parse(line) } catch { throw new Error(`the CLI's signalling line is not JSON: ${line.slice(0, 100)}`) }
  if (msg?.type !== type || typeof msg.sdp !== 'string') throw new Error(`expected {"type":"${type}","sdp":…} from the CLI, got ${line.slice(0, 100)}`)
  return { type: msg.type, sdp: msg.sdp }
}

// Feed --bytes of the key stream, then hold stdin open until the peer's bytes have all come out of the
// CLI's stdout: closing the main channel earlier could cut them off, and that is not under test.
async function pump (cli, stats) {
  const stdin = cli.proc.stdin
  // Data only once the peer has the main channel: libwebrtc in Node (@roamhq/wrtc) may reorder
  // messages that arrive while it is still announcing the channel to JS.
  await mainOpenAtPeer.promise
  const crc = new Crc32()
  const stream = new KeyStream(peerConfig.seed)
  stats.startMs = performance.now()
  for (let left = opts.bytes; left > 0;) {
    const chunk = stream.fill(Buffer.allocUnsafe(Math.min(65536, left)))
    crc.update(chunk)
    left -= chunk.length
    // (If the CLI dies, the pipe errors: its exit status tells more, so that is what we report.)
    if (!stdin.write(chunk)) await Promise.race([once(stdin, 'drain').catch(() => {}), cli.exited])
    if (cli.proc.exitCode !== null || cli.proc.signalCode !== null) break
  }
  stats.crc32 = crc.digest()
  stats.bytes = crc.length
  stats.writtenMs = performance.now()
  note(`runner: wrote ${crc.length} bytes to the CLI's stdin`)
  await Promise.race([cli.reverseArrived.promise, cli.exited])
  stdin.end()
  note('runner: closed the CLI\'s stdin')
}

// --- judging -------------------------------------------------------------------------------

const candidates = sdp => sdp.split(/\r?\n/).filter(l => l.startsWith('a=candidate:'))

function mdnsCheck (sdp) {
  const hosts = candidates(sdp).map(l => l.split(' ')).filter(f => f[7] === 'host' && f[2].toLowerCase() === 'udp').map(f => f[4])
  const mdns = hosts.filter(a => a.endsWith('.local'))
  const raw = hosts.filter(a => !a.endsWith('.local'))
  const ok = opts.mdns === 'hide' ? mdns.length > 0 && raw.length === 0 : raw.length > 0 && mdns.length === 0
  return { ok, detail: `peer's UDP host candidates: ${hosts.join(', ') || 'none'}` }
}

// Where in the key stream `seed` do the bytes `sampleHex` occur? (For a wrong-data report:
// reordered, duplicated or foreign data.) Returns an offset or -1.
function locate (seed, sampleHex, limit) {
  const sample = Buffer.from(sampleHex, 'hex')
  if (!sample.length) return -1
  const stream = new KeyStream(seed)
  let prev = Buffer.alloc(0)
  for (let base = 0; base < limit; base += MiB) {
    const cur = stream.fill(Buffer.allocUnsafe(MiB))
    const hay = Buffer.concat([prev, cur])
    const i = hay.indexOf(sample)
    if (i >= 0) return base - prev.length + i
    prev = cur.subarray(MiB - sample.length + 1)
  }
  return -1
}

function fmtMs (ms) { return ms === null || ms === undefined ? '   -   ' : `${(ms / 1000).toFixed(2).padStart(6)} s` }

// --- main ----------------------------------------------------------------------------------

async function main () {
  if (opts.peer === 'wrtc') {
    try { await import('@roamhq/wrtc') } catch (err) { return skipOrFail(`@roamhq/wrtc cannot be loaded (run npm ci in tests/js): ${err.message.split('\n')[0]}`) }
  } else if (opts.peer === 'aiortc') {
    const probe = spawnSync(AIORTC_PYTHON, ['-c', 'import aiortc, numpy'], { encoding: 'utf8' })
    if (probe.error || probe.status !== 0) {
      const why = probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() || `status ${probe.status}`)
      return skipOrFail(`aiortc cannot be imported by ${AIORTC_PYTHON} (apt-get install python3-aiortc): ${why}`)
    }
  } else {
    if (!findBrowser(opts.peer)) return skipOrFail(`${opts.peer} is not installed`)
  }
  if (!existsSync(opts.cli)) {
    console.log(`interop FAIL ${label}: the CLI ${opts.cli} does not exist`)
    return finish(1)
  }

  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${server.address().port}/`
  note(`runner: serving ${url}`)

  const steps = []
  const step = (name, ok, ms, detail = '') => steps.push({ name, ok: !!ok, ms, detail })
  const pumpStats = {}
  let cli, peer, result, cliExit
  let failure = null

  // Everything that ends the wait for the peer's report early, as a rejection.
  const abort = deferred()
  const deadline = setTimeout(() => abort.reject(new Error(`timed out after ${opts.timeout} s`)), opts.timeout * 1000)
  const racing = p => Promise.race([p, abort.promise])

  try {
    cli = launchCli()
    cli.exited.then(({ code, signal }) => {
      if (code !== 0) abort.reject(new Error(`the CLI exited early (${signal ?? `status ${code}`})${cli.lastLine ? `: ${cli.lastLine}` : ''}`))
      else setTimeout(() => abort.reject(new Error('the CLI exited but the peer reported nothing within 5 s')), 5000).unref()
    })
    peer = launchPeer(url)
    peer.exited.then(({ code, signal, error }) => setTimeout(() => abort.reject(new Error(error
      ? `cannot start the ${opts.peer} peer: ${error}`
      : `the ${opts.peer} peer exited (${signal ?? `status ${code}`}) before reporting`)), 1000).unref())

    let peerDesc
    if (opts.cliRole === 'offer') {
      toPeer.resolve(parseSignal(await racing(cli.line.promise), 'offer'))
      peerDesc = await racing(fromPeer.promise)
      cli.proc.stdin.write(JSON.stringify(peerDesc) + '\n')
    } else {
      peerDesc = await racing(fromPeer.promise)
      cli.proc.stdin.write(JSON.stringify(peerDesc) + '\n')
      toPeer.resolve(parseSignal(await racing(cli.line.promise), 'answer'))
    }
    const cliDesc = await toPeer.promise
    step('signalling', true, performance.now() - t0,
      `CLI ${cliDesc.type} with ${candidates(cliDesc.sdp).length} candidates, peer ${peerDesc.type} with ${candidates(peerDesc.sdp).length}`)
    if (BROWSERS.includes(opts.peer)) { const m = mdnsCheck(peerDesc.sdp); step(`mdns ${opts.mdns}`, m.ok, null, m.detail) }

    pump(cli, pumpStats).catch(err => abort.reject(err))
    result = await racing(report.promise)
    const reportedAt = performance.now()
    if (result.error) throw new Error(`the peer failed: ${result.error}`)
    note('runner: peer reported; waiting for the CLI to exit')
    cliExit = await Promise.race([cli.exited, new Promise(resolve => setTimeout(() => resolve(null), 10000))])

    // The runner's clock includes the browser's start-up; the peer's starts with the scenario.
    step('connected', result.times.mainOpen !== undefined, marks['main-open'],
      `main channel open at the peer, ${result.times.mainOpen} ms after its start` + (result.pair ? `; pair ${result.pair.local} ↔ ${result.pair.remote}` : ''))
    for (const e of result.echo) step(`echo ${e.name}`, e.ok, null, e.ok ? e.got : `sent ${e.sent}, got ${e.got}`)
    if (!result.echo.length) step('echo', false, null, 'no echo results')

    const m = result.main
    const mainOk = m && m.bytes === opts.bytes && m.bytes === pumpStats.bytes && m.crc32 === pumpStats.crc32 && m.firstMismatch === -1 && m.textMessages === 0 && m.closedMs !== null
    const size = `${(opts.bytes / MiB).toFixed(opts.bytes % MiB ? 2 : 0)} MiB`
    step(`main ${size} CLI → peer, then close`, mainOk, m?.lastMs !== null && m?.firstMs !== null ? m.lastMs - m.firstMs : null,
      m ? `${m.bytes} B crc ${m.crc32} (sent ${pumpStats.bytes} B crc ${pumpStats.crc32}), ${m.messages} msgs` +
        (m.mismatch ? `, first wrong byte at offset ${m.firstMismatch} (byte ${m.mismatch.at} of message ${m.mismatch.message}, ` +
          `${m.mismatch.messageBytes} B; sent at offset ${locate(peerConfig.seed, m.mismatch.sample, opts.bytes)})` : '') +
        `${m.textMessages ? `, ${m.textMessages} text!` : ''}, ${m.mbps ? m.mbps.toFixed(1) + ' MB/s' : '-'}, onclose ${m.closedMs !== null ? 'seen' : 'missing'}` : 'no data')

    const r = result.reverse
    const bad = cli.outCheck.firstMismatch
    const revOk = r && r.bytes === opts.reverseBytes && cli.out.length === r.bytes && cli.out.digest() === r.crc32 && bad === -1
    step(`main ${(opts.reverseBytes / MiB).toFixed(opts.reverseBytes % MiB ? 2 : 0)} MiB peer → CLI`, revOk, r?.ms,
      r ? `CLI stdout ${cli.out.length} B crc ${cli.out.digest()} (peer sent ${r.bytes} B crc ${r.crc32})` +
        (bad >= 0 ? `, first wrong byte at offset ${bad}` : '') : 'nothing sent')

    const has = (ev, pred) => cli.events.some(e => e.event === ev && pred(e))
    const missing = []
    if (!has('channel-open', e => e.label === 'ferry' && e.origin === 'local')) missing.push('channel-open label=ferry origin=local')
    if (!has('channel-open', e => e.label === 'peer-echo' && e.origin === 'remote')) missing.push('channel-open label=peer-echo origin=remote')
    if (!has('channel-closed', e => e.label === 'ferry')) missing.push('channel-closed label=ferry')
    if (!has('channel-closed', e => e.label === 'peer-echo')) missing.push('channel-closed label=peer-echo')
    const pair = cli.events.find(e => e.event === 'selected-pair')
    if (!pair || !/^(host|srflx|prflx|relay):/.test(pair.local ?? '') || !/^(host|srflx|prflx|relay):/.test(pair.remote ?? '')) missing.push('selected-pair local=TYPE:… remote=TYPE:…')
    step('CLI status lines', missing.length === 0, null, missing.length ? `missing: ${missing.join('; ')}` : `pair ${pair.local} ↔ ${pair.remote}`)

    step('CLI exits 0', cliExit && cliExit.code === 0, cliExit ? Math.max(0, cliExit.at - reportedAt) : null,
      cliExit ? (cliExit.code === 0 ? 'after the peer closed peer-echo' : `exit ${cliExit.signal ?? cliExit.code}`) : 'still running 10 s after the peer reported')
  } catch (err) {
    failure = err.message
  } finally {
    clearTimeout(deadline)
  }

  // Report.
  const passed = steps.filter(s => s.ok).length
  const ok = !failure && steps.length > 0 && passed === steps.length
  console.log(`interop: ${label} cli=${[opts.cli, ...opts.cliArgs].join(' ')} bytes=${opts.bytes}`)
  for (const s of steps) console.log(`  ${s.ok ? 'PASS' : 'FAIL'}  ${s.name.padEnd(36)} ${fmtMs(s.ms)}  ${s.detail}`)
  if (failure) console.log(`  FAIL  ${failure}`)
  if (!ok && peer) console.log(`--- last lines of the ${opts.peer} log ---\n${tail(peer.logPath)}\n---`)
  const mbps = result?.main?.mbps ? `${result.main.mbps.toFixed(1)} MB/s` : 'no rate'
  console.log(`interop ${ok ? 'PASS' : 'FAIL'} ${label}: ${passed}/${steps.length} steps${failure ? ' (aborted)' : ''}, ` +
    `${(opts.bytes / MiB).toFixed(1)} MiB at ${mbps}, connected at ${marks['main-open'] !== undefined ? (marks['main-open'] / 1000).toFixed(2) + ' s' : '-'}, total ${secs()} s`)
  return finish(ok ? 0 : 1)
}

main().catch(async err => {
  console.log(`interop FAIL ${label}: ${err.stack ?? err}`)
  await finish(1)
})
