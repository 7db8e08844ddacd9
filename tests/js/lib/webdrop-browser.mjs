// WebDrop peers (webdrop-page.mjs) in one headless Chromium or Firefox, for webdrop-interop.mjs,
// webdrop-files.mjs and ../bench/bench-webdrop.mjs. Each peer has the interface of the Node peer
// the drivers spawn (webdrop-peer.mjs in control mode): { tag, events, stderr, command(cmd, ms),
// exited, end(), stop() }.
//
// How: an HTTP server on loopback serves a hub page, which the browser opens; each peer is an
// iframe of the hub, added and removed at the runner's word (long polls of /hub). Every peer's
// iframe is served from a loopback address of its own (127.0.0.2, .3, …: all of 127/8 is `lo`),
// so it is a site of its own, which both browsers put in a process of its own (two WebDrop
// peers do not share a main thread). Each page reports to POST /event?tag=T and takes its
// commands from GET /command?tag=T&after=SEQ (page-link.mjs). A `share` command's file is served
// to the page at /file/TOKEN (only the files the runner shared), where the page fetches it.

import { once } from 'node:events'
import { createReadStream, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { launchBrowser, readJsonBody, tempDir } from './harness.mjs'
import { JS_DIR, reporter } from './room-procs.mjs'

const HUB = `<!doctype html><meta charset="utf-8"><title>WebDrop peers</title>
<style>body{margin:0;display:flex;flex-wrap:wrap}iframe{width:190px;height:90px;border:1px solid #888}</style>
<script type="module">
const frames = new Map()
let after = 0
for (;;) {
  let cmds
  try {
    const res = await fetch('/hub?after=' + after, { cache: 'no-store' })
    if (!res.ok) break
    cmds = await res.json()
  } catch { await new Promise(resolve => setTimeout(resolve, 100)); continue }
  for (const c of cmds) {
    after = Math.max(after, c.seq)
    if (c.op === 'open') {
      const f = document.createElement('iframe')
      f.src = c.url
      f.title = c.tag
      frames.set(c.tag, f)
      document.body.append(f)
    } else if (c.op === 'close') {
      frames.get(c.tag)?.remove()
      frames.delete(c.tag)
    }
  }
}
</script>
`

/** The bundle of webdrop-page.mjs, built once per process. */
let bundle = null
function webdropBundle () {
  if (!bundle) {
    const outdir = tempDir('bundle')
    execFileSync(process.execPath, [join(JS_DIR, 'build-browser.mjs'), `--outdir=${outdir}`], { stdio: 'ignore' })
    bundle = readFileSync(join(outdir, 'webdrop-page.js'))
  }
  return bundle
}

/**
 * Start `kind` ('chromium' | 'firefox') on a hub page. mdns: 'hide' | 'show' (harness.mjs
 * launchBrowser). log(tag, ev): as the reporters'. Returns { startPeer, close, logPath, exited }.
 */
export async function startBrowserHost (kind, { log = null, mdns = 'hide', verbose = false } = {}) {
  const code = webdropBundle()
  const peers = new Map() // tag → { events, polls, commands }
  const files = new Map() // token → path
  let hubCommands = []
  let hubPolls = []
  let hubSeq = 0
  let closed = false

  const answer = (polls, commands) => {
    const waiting = polls.splice(0)
    for (const p of waiting) {
      const due = commands.filter(c => c.seq > p.after)
      if (due.length) p.res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(due))
      else polls.push(p)
    }
  }
  const hub = cmd => {
    hubCommands.push({ ...cmd, seq: ++hubSeq })
    answer(hubPolls, hubCommands)
  }

  const handler = async (req, res) => {
    const url = new URL(req.url, 'http://x')
    const tag = url.searchParams.get('tag')
    try {
      if (req.method === 'POST' && url.pathname === '/event') {
        const evs = [].concat(await readJsonBody(req))
        res.end()
        const p = peers.get(tag)
        for (const ev of evs) p ? p.events.push(ev) : log?.(`${kind} page ${tag}`, ev)
      } else if (url.pathname === '/command') {
        const p = peers.get(tag)
        if (!p || closed) return res.writeHead(410).end()
        p.polls.push({ after: Number(url.searchParams.get('after')) || 0, res })
        answer(p.polls, p.commands)
      } else if (url.pathname === '/hub') {
        if (closed) return res.writeHead(410).end()
        hubPolls.push({ after: Number(url.searchParams.get('after')) || 0, res })
        answer(hubPolls, hubCommands)
      } else if (url.pathname === '/webdrop-page.js') {
        res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(code)
      } else if (url.pathname === '/peer') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
          .end(`<!doctype html><meta charset="utf-8"><title>${tag}</title><body>${tag}<script type="module" src="/webdrop-page.js"></script>\n`)
      } else if (url.pathname.startsWith('/file/')) {
        const path = files.get(url.pathname.slice('/file/'.length))
        if (!path) return res.writeHead(404).end()
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(path).size, 'cache-control': 'no-store' })
        createReadStream(path).pipe(res)
      } else if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HUB)
      } else res.writeHead(404).end()
    } catch (err) {
      if (!res.headersSent) res.writeHead(500)
      res.end(String(err))
    }
  }

  const servers = []
  const listen = async host => {
    const server = createServer(handler)
    server.keepAliveTimeout = 60000
    server.listen(0, host)
    await once(server, 'listening')
    servers.push(server)
    return `http://${host}:${server.address().port}`
  }
  const hubOrigin = await listen('127.0.0.1')
  const launched = launchBrowser(kind, `${hubOrigin}/`, { mdns, verbose })
  launched.exited.then(ex => {
    for (const p of peers.values()) p.events.push({ event: 'exit', code: ex.code, signal: ex.signal, browser: true })
  })

  let n = 0
  /**
   * A WebDrop peer in a new iframe. params: [[name, value]…], webdrop-peer.mjs's flags without
   * their dashes (value '' for a bare flag). Resolves once its address serves.
   */
  async function startPeer ({ tag, params }) {
    const i = n++
    if (i > 250) throw new Error('too many peers for one browser')
    const key = `${tag}-${i}` // what the page and the hub know it by
    const origin = await listen(`127.0.0.${2 + i}`)
    const events = reporter(tag, log)
    const p = { events, polls: [], commands: [] }
    peers.set(key, p)
    const q = new URLSearchParams([['tag', key], ...params])
    hub({ op: 'open', tag: key, url: `${origin}/peer?${q}` })
    const exited = new Promise(resolve => {
      const push = events.push
      events.push = ev => {
        push(ev)
        if (ev.event === 'exit') resolve({ code: ev.code, signal: ev.signal ?? null })
      }
    })
    let seq = 0
    let ended = false
    const send = cmd => {
      p.commands.push(cmd)
      answer(p.polls, p.commands)
    }
    const command = async (cmd, ms = 15000) => {
      const s = ++seq
      const full = { ...cmd, seq: s }
      if (cmd.cmd === 'share' && typeof cmd.path === 'string') {
        const token = `${tag}-${s}-${Math.random().toString(36).slice(2)}`
        files.set(token, cmd.path)
        full.url = `/file/${token}`
      }
      send(full)
      const ev = await events.wait(e => (e.event === 'ack' && e.seq === s) || e.event === 'exit', ms, `ack of ${cmd.cmd}`)
      if (ev.event === 'exit') throw new Error(`${tag} ended (exit ${ev.code ?? ev.signal}${ev.browser ? ', the browser exited' : ''})`)
      if (ev.error) throw new Error(`${tag}: ${cmd.cmd} failed: ${ev.error}`)
      return ev
    }
    // The page leaves, lingers and reports exit; then its iframe goes.
    const end = () => {
      if (ended) return
      ended = true
      send({ cmd: 'end', seq: ++seq })
    }
    exited.then(() => { if (!closed) hub({ op: 'close', tag: key }) })
    const stop = async () => {
      end()
      let timer
      await Promise.race([exited, new Promise(resolve => { timer = setTimeout(resolve, 5000) })])
      clearTimeout(timer)
      if (!closed) hub({ op: 'close', tag: key })
    }
    return { tag, events, stderr: [], command, exited, end, stop, logPath: launched.logPath }
  }

  async function close () {
    closed = true
    for (const p of peers.values()) for (const poll of p.polls.splice(0)) poll.res.writeHead(410).end()
    for (const poll of hubPolls.splice(0)) poll.res.writeHead(410).end()
    for (const s of servers) { s.closeAllConnections?.(); s.close() }
  }

  return { kind, startPeer, close, logPath: launched.logPath, exited: launched.exited }
}

/** webdrop-peer.mjs's argv flags (--name=value, --raw) as startPeer params. */
export function flagsToParams (flags) {
  return flags.map(f => {
    const [, name, value] = /^--([a-z-]+)(?:=(.*))?$/s.exec(f) ?? []
    if (!name) throw new Error(`not a flag: ${f}`)
    return [name, value ?? '']
  })
}
