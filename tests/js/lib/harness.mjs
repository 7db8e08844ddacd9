// Process and browser plumbing shared by the test runners (interop.mjs, p2pt-smoke.mjs, …):
// spawned children and temp dirs are cleaned up on every exit path, browsers are started
// headless, with a throw-away profile and no background network (docs/INTEROP.md, "How the
// tests run browsers").

import { spawn } from 'node:child_process'
import { accessSync, constants as fsc, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

// --- cleanup on every exit path ----------------------------------------------------------------

const children = new Set() // { proc, group }
const tempDirs = []

/** Spawn a child that dies with us. `group`: own process group, killed whole (browsers). */
export function spawnTracked (cmd, args, options = {}, group = false) {
  const proc = spawn(cmd, args, { ...options, detached: group })
  children.add({ proc, group })
  return proc
}

function killAll (signal) {
  for (const { proc, group } of children) {
    // A browser's helpers may outlive its main process for a moment: always signal its group.
    if (!group && (proc.exitCode !== null || proc.signalCode !== null)) continue
    try { group ? process.kill(-proc.pid, signal) : proc.kill(signal) } catch {}
  }
}

const running = () => [...children].some(c => c.proc.exitCode === null && c.proc.signalCode === null)

/** TERM every child, KILL what is left after 3 s, delete the temp dirs. */
export async function cleanup () {
  killAll('SIGTERM')
  const deadline = Date.now() + 3000
  while (Date.now() < deadline && running()) await new Promise(resolve => setTimeout(resolve, 50))
  killAll('SIGKILL')
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true })
}

/** Clean up, then exit with `code`. The first call wins; later ones wait with it. */
let finishing = null
export function finish (code) {
  finishing ??= cleanup().then(() => process.exit(code))
  return finishing
}

process.on('exit', () => {
  killAll('SIGKILL')
  for (const d of tempDirs) try { rmSync(d, { recursive: true, force: true }) } catch {}
})
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { process.stderr.write(`${sig}: stopping\n`); finish(1) })
}

export function tempDir (tag) {
  const d = mkdtempSync(join(tmpdir(), `ferry-test-${tag}-`))
  tempDirs.push(d)
  return d
}

// --- small helpers -----------------------------------------------------------------------------

export function which (names) {
  for (const name of names) {
    if (!name) continue
    if (name.includes('/')) { if (isExecutable(name)) return name; continue }
    for (const dir of (process.env.PATH || '/usr/bin:/bin').split(delimiter)) {
      const p = join(dir, name)
      if (isExecutable(p)) return p
    }
  }
  return null
}

function isExecutable (p) {
  try { accessSync(p, fsc.X_OK); return true } catch { return false }
}

export function deferred () {
  let resolve, reject
  const promise = new Promise((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

export async function readJsonBody (req) {
  const parts = []
  for await (const p of req) parts.push(p)
  return JSON.parse(Buffer.concat(parts).toString('utf8') || 'null')
}

export function tail (path, lines = 30) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch { return '(no log)' }
}

/** 77 (skip) normally; a failure when CI=true, so that CI cannot skip silently. */
export function skipOrFail (label, why) {
  if (process.env.CI === 'true') {
    console.log(`${label} FAIL: ${why} (CI=true, so this is not skipped)`)
    return finish(1)
  }
  console.log(`${label} SKIP: ${why}`)
  return finish(77)
}

// --- browsers ----------------------------------------------------------------------------------

// Everything that would make Firefox talk to anything but the test page, or slow its start.
export const FIREFOX_PREFS = {
  // First run, default-browser check, session restore.
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.aboutwelcome.enabled': false,
  'startup.homepage_welcome_url': '',
  'startup.homepage_welcome_url.additional': '',
  'browser.startup.page': 0,
  'browser.sessionstore.resume_from_crash': false,
  'toolkit.startup.max_resumed_crashes': -1,
  'datareporting.policy.firstRunURL': '',
  // Telemetry, studies, crash reports.
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.usage.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'app.normandy.enabled': false,
  'app.normandy.api_url': '',
  'app.shield.optoutstudies.enabled': false,
  'browser.crashReports.unsubmittedCheck.autoSubmit2': false,
  'browser.discovery.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  // Updates of the app, add-ons, system add-ons, GMP plugins (OpenH264), remote settings.
  'app.update.auto': false,
  'app.update.enabled': false,
  'app.update.checkInstallTime': false,
  'extensions.update.enabled': false,
  'extensions.update.autoUpdateDefault': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.blocklist.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'media.gmp-manager.url': '',
  'media.gmp-gmpopenh264.enabled': false,
  'media.gmp-gmpopenh264.autoupdate': false,
  'media.gmp-widevinecdm.enabled': false,
  'services.settings.server': 'http://127.0.0.1:9/',
  'security.remote_settings.crlite_filters.enabled': false,
  'security.remote_settings.intermediates.enabled': false,
  // Background network: captive portal, connectivity, Safe Browsing, prefetch, DoH, geo/region.
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.google.updateURL': '',
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.http.speculative-parallel-limit': 0,
  'browser.places.speculativeConnect.enabled': false,
  'browser.urlbar.speculativeConnect.enabled': false,
  'network.trr.mode': 5,
  'network.proxy.type': 0,
  'security.OCSP.enabled': 0,
  'security.certerrors.mitm.priming.enabled': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.search.geoip.url': '',
  'geo.provider.network.url': '',
  'browser.newtabpage.enabled': false,
  'browser.newtabpage.activity-stream.feeds.topsites': false,
  'browser.newtabpage.activity-stream.feeds.section.topstories': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  'browser.topsites.contile.enabled': false,
  'browser.ping-centre.telemetry': false,
  'dom.push.enabled': false,
  'dom.push.connection.enabled': false,
}

export function findBrowser (kind) {
  if (kind === 'chromium') return which([process.env.CHROMIUM, 'chromium', 'chromium-browser'])
  if (kind === 'firefox') return which([process.env.FIREFOX, 'firefox-esr', 'firefox'])
  throw new Error(`unknown browser ${kind}`)
}

/**
 * Start a headless browser on `url` with a fresh profile and HOME.
 * mdns: 'hide' (the browsers' default: host candidates as <uuid>.local) or 'show' (real IPs).
 * Returns { proc, exited, logPath }; stdout and stderr go to logPath (and to our stderr if verbose).
 */
export function launchBrowser (kind, url, { mdns = 'hide', verbose = false } = {}) {
  const cmd = findBrowser(kind)
  if (!cmd) throw new Error(`${kind} is not installed`)
  // Browsers write caches and config under $HOME: give them a throw-away one.
  const home = tempDir(kind)
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') }
  let args
  if (kind === 'chromium') {
    args = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-extensions', '--disable-domain-reliability',
      '--disable-client-side-phishing-detection', '--no-default-browser-check', '--password-store=basic',
      `--user-data-dir=${join(home, 'profile')}`]
    if (mdns === 'show') args.push('--disable-features=WebRtcHideLocalIpsWithMdns')
    args.push(url)
  } else {
    const profile = join(home, 'profile')
    const prefs = { ...FIREFOX_PREFS, 'media.peerconnection.ice.obfuscate_host_addresses': mdns === 'hide' }
    mkdirSync(profile)
    writeFileSync(join(profile, 'user.js'), Object.entries(prefs)
      .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n') + '\n')
    Object.assign(env, { MOZ_CRASHREPORTER_DISABLE: '1', MOZ_DISABLE_AUTO_SAFE_MODE: '1' })
    args = ['--headless', '--no-remote', '--profile', profile, url]
  }
  return spawnLogged(kind, cmd, args, { env }, true, verbose)
}

/** Spawn with output to a log file; `group` as in spawnTracked. */
export function spawnLogged (name, cmd, args, options, group, verbose) {
  const logPath = join(tempDir('log'), `${name}.log`)
  const logFile = createWriteStream(logPath)
  const proc = spawnTracked(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }, group)
  proc.stdout.pipe(logFile, { end: false })
  proc.stderr.pipe(logFile, { end: false })
  if (verbose) { proc.stdout.pipe(process.stderr); proc.stderr.pipe(process.stderr) }
  const exited = new Promise(resolve => {
    proc.on('exit', (code, signal) => resolve({ code, signal }))
    proc.on('error', err => resolve({ code: null, signal: null, error: err.message }))
  })
  return { proc, exited, logPath }
}

/**
 * Steps run in order, each printed as "step NAME: PASS (…)", "FAIL: …" or "SKIP" (after a
 * failure the rest are skipped). fn returns a detail for the PASS line or throws.
 * `runner.failed` and `runner.results` ({name, status, ms}) are for the summary.
 */
export function stepRunner ({ verbose = false, note = () => {} } = {}) {
  const runner = {
    results: [],
    failed: false,
    async step (name, fn) {
      const start = performance.now()
      if (runner.failed) {
        runner.results.push({ name, status: 'SKIP' })
        console.log(`step ${name}: SKIP (an earlier step failed)`)
        return
      }
      try {
        const detail = await fn()
        const ms = performance.now() - start
        runner.results.push({ name, status: 'PASS', ms })
        console.log(`step ${name}: PASS (${(ms / 1000).toFixed(2)} s${detail ? '; ' + detail : ''})`)
      } catch (err) {
        runner.failed = true
        runner.results.push({ name, status: 'FAIL' })
        console.log(`step ${name}: FAIL: ${err.message}`)
        if (verbose && err.stack) note(err.stack)
      }
    },
  }
  return runner
}

/** Throws `msg` unless `cond`: the failure of a step. */
export function check (cond, msg) { if (!cond) throw new Error(msg) }
