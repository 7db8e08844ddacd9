// Processes of the room tests and benchmarks: the local tracker, `ferry-cli chat`, and the
// scripted P2PT peer (p2pt-peer.mjs), each with its output parsed into events one can wait for.
// Shared by p2pt-interop.mjs and ../bench/bench-room.mjs. Children die with the caller
// (harness.mjs).

import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnTracked, tempDir } from './harness.mjs'

export const JS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')

const t0 = performance.now()
/** The first of `packages` that `npm ci` in tests/js has not installed, or null. */
export function missingPackage (packages = ['@roamhq/wrtc', 'p2pt', 'bittorrent-tracker']) {
  return packages.find(pkg => !existsSync(join(JS_DIR, 'node_modules', pkg, 'package.json'))) ?? null
}

/** Seconds since this module was loaded, for log lines. */
export const secs = () => ((performance.now() - t0) / 1000).toFixed(3)

/** Shorten long strings (1 MiB messages) for logs. */
export function abbrev (value, max = 120) {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  if (text === undefined) return String(value)
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text
}

/**
 * A list of events one can wait for. `log(tag, event)` is called for each (may be null).
 * wait(pred, ms, what) resolves with the first event, seen or to come, that matches, and
 * rejects after `ms` with an Error naming `what`.
 */
export function reporter (tag, log) {
  const waiters = new Set()
  const seen = []
  return {
    tag,
    seen,
    push (ev) {
      ev.at = performance.now()
      seen.push(ev)
      log?.(tag, ev)
      for (const w of [...waiters]) if (w.pred(ev)) { waiters.delete(w); clearTimeout(w.timer); w.resolve(ev) }
    },
    wait (pred, ms, what) {
      return new Promise((resolve, reject) => {
        const hit = seen.find(pred)
        if (hit) return resolve(hit)
        const w = { pred, resolve }
        w.timer = setTimeout(() => { waiters.delete(w); reject(new Error(`${tag}: waited ${ms / 1000} s for ${what} in vain`)) }, ms)
        waiters.add(w)
      })
    },
  }
}

function spawnLines (cmd, args, options, onStdout, onStderr) {
  const proc = spawnTracked(cmd, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] })
  proc.stdin.on('error', () => {}) // EPIPE when it died: reported through its exit
  createInterface({ input: proc.stdout, crlfDelay: Infinity }).on('line', onStdout)
  createInterface({ input: proc.stderr, crlfDelay: Infinity }).on('line', onStderr)
  const exited = new Promise(resolve => {
    proc.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() }))
    proc.on('error', err => resolve({ code: null, signal: null, error: err.message, at: performance.now() }))
  })
  return { proc, exited }
}

/** Write one line (may be megabytes) to a child's stdin, waiting for the pipe to drain. */
export function writeLine (proc, line) {
  return new Promise(resolve => {
    if (proc.stdin.destroyed || !proc.stdin.writable) return resolve(false)
    if (proc.stdin.write(line + '\n')) resolve(true)
    else proc.stdin.once('drain', () => resolve(true))
  })
}

/**
 * The reference tracker (tracker-server.mjs), reporting its events.
 * Returns { url, events, proc, exited, stop() }.
 */
export async function startTracker ({ log = null, announceInterval = null } = {}) {
  const events = reporter('tracker', log)
  const args = [join(JS_DIR, 'tracker-server.mjs')]
  if (announceInterval) args.push(`--announce-interval=${announceInterval}`)
  const { proc, exited } = spawnLines(process.execPath, args, {},
    line => { try { events.push(JSON.parse(line)) } catch { events.push({ event: 'output', line }) } },
    line => events.push({ event: 'stderr', line }))
  const { port } = await events.wait(e => 'port' in e, 10000, 'listening port')
  return {
    url: `ws://127.0.0.1:${port}`,
    events,
    proc,
    exited,
    stop: async () => { proc.kill('SIGTERM'); return exited },
  }
}

/** Parse `ferry-cli: EVENT key=value key="quoted value"…` (null for other lines). */
export function parseFerryEvent (line) {
  const m = /^ferry-cli: ([a-z-]+)(.*)$/s.exec(line)
  if (!m) return null
  const ev = { event: m[1] }
  for (const kv of m[2].matchAll(/ ([a-z][a-z0-9-]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    ev[kv[1]] = kv[2].startsWith('"') ? kv[2].slice(1, -1) : kv[2]
  }
  return ev
}

/**
 * `ferry-cli chat ROOM --tracker URL… --name NAME --identity TMP` with no STUN server.
 * Returns { proc, exited, events (stderr status lines), lines (stdout chat lines, as
 * {event:'line', text}), stderr (all stderr lines), stderrTimed ({line, at}), id: Promise<hex
 * peer id>, startedAt }. `debug`: G_MESSAGES_DEBUG=Ferry. `wrap`: a command that runs it
 * (e.g. ['ip', 'netns', 'exec', NS]).
 */
export function startFerryChat (ferryCli, room, { trackers, name = 'Ferry', log = null, debug = false, env = {}, wrap = [] }) {
  const identity = join(tempDir('identity'), 'identity')
  const args = ['chat', room, '--name', name, '--identity', identity]
  for (const t of trackers) args.push('--tracker', t)
  const fullEnv = { ...process.env, FERRY_STUN_SERVERS: '', FERRY_TRACKERS: '', ...env }
  if (debug) fullEnv.G_MESSAGES_DEBUG = 'Ferry'
  const events = reporter(`ferry ${name}`, log)
  const lines = reporter(`ferry ${name} stdout`, log)
  const stderr = []
  const stderrTimed = [] // { line, at }: when each line arrived (performance.now ())
  const startedAt = performance.now()
  const { proc, exited } = spawnLines(wrap[0] ?? ferryCli, [...wrap.slice(1), ...(wrap.length ? [ferryCli] : []), ...args], { env: fullEnv },
    text => lines.push({ event: 'line', text }),
    line => {
      stderr.push(line)
      stderrTimed.push({ line, at: performance.now() })
      const ev = parseFerryEvent(line)
      if (ev) events.push(ev)
      else if (debug) log?.(`ferry ${name} debug`, { line })
    })
  const id = events.wait(e => e.event === 'joining', 10000, 'joining line').then(e => e['peer-id'])
  id.catch(() => {})
  return { proc, exited, events, lines, stderr, stderrTimed, id, startedAt, args }
}

/**
 * A peer script of tests/js in control mode: JSON commands on its stdin, each acked with its
 * "seq", JSON events on its stdout. Returns { tag, proc, exited, events, stderr, command(cmd,
 * ms), end() }: command() resolves with the ack, and rejects when the ack carries an error or the
 * peer died. `wrap`: a command that runs node (e.g. ['ip', 'netns', 'exec', NS]).
 */
export function startControlled (script, args, { tag, log = null, wrap = [], ackMs = 10000 }) {
  const events = reporter(tag, log)
  const stderr = []
  const node = [...wrap, process.execPath]
  const { proc, exited } = spawnLines(node[0], [...node.slice(1), join(JS_DIR, script), ...args], {},
    line => { try { events.push(JSON.parse(line)) } catch { events.push({ event: 'output', line }) } },
    line => { stderr.push(line); log?.(`${tag} stderr`, { event: 'stderr', line }) })
  exited.then(({ code, signal, error }) => events.push({ event: 'exit', code, signal, error }))
  let seq = 0
  const command = async (cmd, ms = ackMs) => {
    const s = ++seq
    await writeLine(proc, JSON.stringify({ ...cmd, seq: s }))
    const ev = await events.wait(e => (e.event === 'ack' && e.seq === s) || e.event === 'exit', ms, `ack of ${cmd.cmd}`)
    if (ev.event === 'exit') throw new Error(`${tag} died (exit ${ev.code ?? ev.signal}): ${stderr.find(l => /Error/.test(l)) ?? stderr.slice(-3).join(' | ')}`)
    if (ev.error) throw new Error(`${tag}: ${cmd.cmd} failed: ${ev.error}`)
    return ev
  }
  return { tag, proc, exited, events, stderr, command, end: () => proc.stdin.end() }
}

/** p2pt-peer.mjs in control mode (plus extra flags), as startControlled () gives it. */
export function startP2ptNode ({ trackers, identifier, log = null, tag = 'p2pt', extra = [] }) {
  return startControlled('p2pt-peer.mjs', [...trackers.map(t => `--tracker=${t}`), `--identifier=${identifier}`,
    '--control', ...extra], { tag, log })
}
