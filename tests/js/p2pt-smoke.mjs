#!/usr/bin/env node
// Two P2PT peers meet through a local reference tracker and exchange a message each way.
// Peer A is always Node (p2pt-peer.mjs); peer B is Node too, or a headless browser running the
// esbuild bundle (build-browser.mjs), which must fire `peerconnect` exactly once.
//
//   p2pt-smoke.mjs [--browser=chromium|firefox]
//
// Run inside tests/netns-run.sh. Exit 0 pass, 1 fail, 77 browser missing (fails when CI=true).
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'
import { findBrowser, finish, launchBrowser, readJsonBody, skipOrFail, spawnTracked, tail, tempDir } from './lib/harness.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const browser = process.argv.slice(2).find(a => a.startsWith('--browser='))?.slice('--browser='.length)
const t0 = performance.now()
const secs = () => ((performance.now() - t0) / 1000).toFixed(2)
const name = `p2pt-smoke${browser ? ' ' + browser : ''}`

// A peer is anything that produces report objects; `wait` resolves on the first that matches.
function reporter (tag) {
  const waiters = []
  const seen = []
  return {
    seen,
    push (msg) {
      process.stderr.write(`[${secs()} s] ${tag}: ${JSON.stringify(msg)}\n`)
      seen.push(msg)
      for (const w of [...waiters]) if (w.pred(msg)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(msg) }
    },
    wait: pred => new Promise(resolve => {
      const hit = seen.find(pred)
      if (hit) resolve(hit); else waiters.push({ pred, resolve })
    }),
  }
}

function startNode (tag, script, args) {
  const r = reporter(tag)
  const proc = spawnTracked(process.execPath, [join(HERE, script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  createInterface({ input: proc.stdout }).on('line', line => { try { r.push(JSON.parse(line)) } catch {} })
  r.exited = new Promise(resolve => proc.on('exit', code => resolve(code)))
  r.proc = proc
  return r
}

async function main () {
  if (browser && !findBrowser(browser)) return skipOrFail(name, `${browser} is not installed`)
  setTimeout(() => { console.log(`${name} FAIL: timed out`); finish(1) }, 45000).unref()

  const tracker = startNode('tracker', 'tracker-server.mjs', [])
  const { port } = await tracker.wait(m => 'port' in m)
  const url = `ws://127.0.0.1:${port}`
  const identifier = `ferry-smoke-${process.pid}`
  const a = startNode('a', 'p2pt-peer.mjs', [`--tracker=${url}`, `--identifier=${identifier}`, '--send=hello from a', '--expect=hello from b', '--timeout=30'])
  await a.wait(m => m.event === 'trackerconnect') // the reference tracker's first-announce race

  let b
  if (!browser) {
    b = startNode('b', 'p2pt-peer.mjs', [`--tracker=${url}`, `--identifier=${identifier}`, '--send=hello from b', '--expect=hello from a'])
  } else {
    const outdir = tempDir('bundle')
    execFileSync(process.execPath, [join(HERE, 'build-browser.mjs'), `--outdir=${outdir}`], { stdio: 'ignore' })
    const bundle = readFileSync(join(outdir, 'p2pt-page.js'))
    b = reporter(browser)
    const server = createServer(async (req, res) => {
      if (req.method === 'POST' && req.url === '/event') { for (const m of [].concat(await readJsonBody(req))) b.push(m); res.end() } else if (req.url.startsWith('/p2pt-page.js')) {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
      } else if (req.url.startsWith('/?')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><meta charset="utf-8"><script type="module" src="/p2pt-page.js"></script>\n')
      } else res.writeHead(404).end()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const q = new URLSearchParams([['tracker', url], ['identifier', identifier], ['send', 'hello from b'], ['expect', 'hello from a']])
    const launched = launchBrowser(browser, `http://127.0.0.1:${server.address().port}/?${q}`)
    b.logPath = launched.logPath
    b.exited = b.wait(m => m.event === 'done').then(async m => {
      await new Promise(resolve => setTimeout(resolve, 1000)) // a second `peerconnect` would come now
      return m.ok ? 0 : 1
    })
  }

  const codes = await Promise.all([a.exited, b.exited])
  const bConnects = b.seen.filter(m => m.event === 'peerconnect').length
  tracker.proc.kill('SIGTERM')
  await tracker.exited
  const problems = []
  if (codes.some(c => c !== 0)) problems.push(`exit codes a=${codes[0]} b=${codes[1]}`)
  if (bConnects !== 1) problems.push(`b saw peerconnect ${bConnects} times`)
  if (problems.length && b.logPath) console.log(tail(b.logPath, 15))
  console.log(`${name} ${problems.length ? 'FAIL: ' + problems.join('; ') : 'PASS'} (${secs()} s)`)
  return finish(problems.length ? 1 : 0)
}

main().catch(err => { console.log(`${name} FAIL: ${err.stack ?? err}`); finish(1) })
