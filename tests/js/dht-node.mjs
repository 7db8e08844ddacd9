// N mainline DHT nodes (npm bittorrent-dht 11, IPv4 only) in one Node process: the foreign
// peers that Ferry's DHT interop tests run against. Driven by JSON lines on stdin, answered by
// JSON lines on stdout (one object per line); logs go to stderr.
//
//   node dht-node.mjs --addresses A1,A2,... [--port 6881] [--bootstrap HOST:PORT,...]
//
// Node i binds Ai:port. No node ever contacts the public DHT: each one is created with
// `bootstrap: false` and is only given addresses explicitly (node 0 of this process and the
// --bootstrap list). Run it inside a private network namespace (tests/dht/dht_lab.py).
//
// Once every node listens and has joined, prints {"event":"ready","nodes":N}. Commands carry an
// "id" (echoed) and "node" (the index of the node that does it, default 0); see the README of
// tests/dht for the whole protocol. stdin EOF destroys all nodes and exits 0.

import crypto from 'node:crypto'
import { createInterface } from 'node:readline'
import DHT from 'bittorrent-dht'

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const JOIN_TIMEOUT_MS = 10000

function log (...args) {
  process.stderr.write(`[dht-node] ${args.join(' ')}\n`)
}

function reply (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

function parseArgs (argv) {
  const opts = { addresses: [], port: 6881, bootstrap: [] }
  for (let i = 0; i < argv.length; i++) {
    let [name, value] = argv[i].split(/=(.*)/s)
    const takeValue = () => {
      if (value !== undefined) return value
      if (i + 1 >= argv.length) throw new Error(`${name} needs a value`)
      return argv[++i]
    }
    switch (name) {
      case '--addresses':
        opts.addresses = takeValue().split(',').filter(Boolean)
        break
      case '--port':
        opts.port = Number(takeValue())
        break
      case '--bootstrap':
        opts.bootstrap = takeValue().split(',').filter(Boolean).map(parseHostPort)
        break
      case '-h':
      case '--help':
        process.stdout.write('usage: node dht-node.mjs --addresses A1,A2,... [--port 6881] [--bootstrap HOST:PORT,...]\n')
        process.exit(0)
        break
      default:
        throw new Error(`unknown option '${argv[i]}'`)
    }
  }
  if (!opts.addresses.length) throw new Error('--addresses is required')
  if (!Number.isInteger(opts.port) || opts.port <= 0 || opts.port > 65535) throw new Error('bad --port')
  return opts
}

function parseHostPort (s) {
  const i = s.lastIndexOf(':')
  const port = Number(s.slice(i + 1))
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad address '${s}' (want host:port)`)
  return { host: s.slice(0, i), port }
}

// --- Ed25519 through Node's crypto (no native add-on) -------------------------------------------

function publicKeyFromRaw (raw) {
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' })
}

function privateKeyFromSeed (seed) {
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' })
}

function rawPublicKey (privateKey) {
  const der = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  return der.subarray(SPKI_ED25519_PREFIX.length)
}

// BEP 44 verification for bittorrent-dht: verify(signature, message, publicKey) -> boolean.
function verify (sig, msg, k) {
  try {
    if (!Buffer.isBuffer(k) || k.length !== 32 || !Buffer.isBuffer(sig) || sig.length !== 64) return false
    return crypto.verify(null, msg, publicKeyFromRaw(k), sig)
  } catch {
    return false
  }
}

function sha1 (buf) {
  return crypto.createHash('sha1').update(buf).digest()
}

function hexArg (cmd, name, length) {
  const s = cmd[name]
  if (typeof s !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error(`"${name}" must be a hex string`)
  const buf = Buffer.from(s, 'hex')
  if (length !== undefined && buf.length !== length) throw new Error(`"${name}" must be ${length} bytes`)
  return buf
}

// --- the nodes ----------------------------------------------------------------------------------

const opts = (() => {
  try {
    return parseArgs(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`dht-node: ${err.message}\n`)
    process.exit(2)
  }
})()

const nodes = opts.addresses.map((address, index) => {
  const dht = new DHT({ bootstrap: false, verify })
  dht.on('warning', err => log(`node ${index} warning: ${err.message}`))
  dht.on('error', err => log(`node ${index} error: ${err.message}`))
  return { index, address, dht }
})

function once (emitter, event) {
  return new Promise(resolve => emitter.once(event, resolve))
}

// addNode() pings the address and adds the node when it answers. Ping again every second (the
// other side may still be starting) until it answers or JOIN_TIMEOUT_MS have passed.
function addNodeAndWait (dht, { host, port }) {
  return new Promise(resolve => {
    const onNode = node => {
      if ((node.host || node.address) === host && node.port === port) finish(true)
    }
    const retry = setInterval(() => dht.addNode({ host, port }), 1000)
    const timer = setTimeout(() => finish(false), JOIN_TIMEOUT_MS)
    function finish (ok) {
      clearInterval(retry)
      clearTimeout(timer)
      dht.removeListener('node', onNode)
      resolve(ok)
    }
    dht.on('node', onNode)
    dht.addNode({ host, port })
  })
}

// With `bootstrap: false` bittorrent-dht emits 'ready' at once and never walks the network, so a
// node joins by hand: ping the given addresses, then look up its own id (every node that answers
// a query goes into the routing table, and the replies name the nodes closest to us).
function walkOwnId (dht) {
  return new Promise(resolve => dht.lookup(dht.nodeId, () => resolve()))
}

async function join (node, targets) {
  const answered = await Promise.all(targets.map(t => addNodeAndWait(node.dht, t)))
  answered.forEach((ok, i) => { if (!ok) log(`node ${node.index}: no answer from ${targets[i].host}:${targets[i].port}`) })
  await walkOwnId(node.dht)
}

async function start () {
  await Promise.all(nodes.map(({ dht, address }) => {
    const listening = once(dht, 'listening')
    dht.listen(opts.port, address)
    return listening
  }))
  await Promise.all(nodes.map(({ dht }) => dht.ready ? null : once(dht, 'ready')))

  const first = { host: nodes[0].address, port: opts.port }
  await Promise.all(nodes.map(node => node.index === 0
    ? (opts.bootstrap.length ? join(node, opts.bootstrap) : null)
    : join(node, [...opts.bootstrap, first])))
  // The first joiners met few others: walk once more now that everyone is in.
  if (nodes.length > 1) await Promise.all(nodes.map(node => walkOwnId(node.dht)))

  for (const node of nodes) log(`node ${node.index} ${node.address}:${opts.port} id ${node.dht.nodeId.toString('hex')} table ${node.dht.nodes.count()}`)
  reply({ event: 'ready', nodes: nodes.length })
}

// --- commands -----------------------------------------------------------------------------------

function nodeFor (cmd) {
  const i = cmd.node === undefined ? 0 : cmd.node
  if (!Number.isInteger(i) || i < 0 || i >= nodes.length) throw new Error(`no node ${JSON.stringify(cmd.node)}`)
  return nodes[i]
}

const commands = {
  announce (cmd) {
    const { dht } = nodeFor(cmd)
    const infoHash = hexArg(cmd, 'info_hash', 20)
    const port = cmd.port === undefined ? 0 : cmd.port
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('bad "port"')
    return new Promise((resolve, reject) => {
      // port 0: bittorrent-dht sends implied_port 1 (the announcer's UDP source port).
      dht.announce(infoHash, port, (err, hits) => err ? reject(err) : resolve({ nodes: hits }))
    })
  },

  lookup (cmd) {
    const { dht } = nodeFor(cmd)
    const infoHash = hexArg(cmd, 'info_hash', 20)
    const peers = new Set()
    const onPeer = (peer, hash) => { if (hash.equals(infoHash)) peers.add(`${peer.host}:${peer.port}`) }
    dht.on('peer', onPeer)
    return new Promise((resolve, reject) => {
      dht.lookup(infoHash, (err, visited) => {
        // The last 'peer' events of a lookup may be emitted on a later tick than the callback.
        setImmediate(() => {
          dht.removeListener('peer', onPeer)
          if (err) reject(err)
          else resolve({ peers: [...peers], visited })
        })
      })
    })
  },

  put (cmd) {
    const { dht } = nodeFor(cmd)
    if (typeof cmd.value !== 'string') throw new Error('"value" must be a string')
    const v = Buffer.from(cmd.value, 'utf8')
    const putOpts = { v }
    if (cmd.seed !== undefined) {
      const privateKey = privateKeyFromSeed(hexArg(cmd, 'seed', 32))
      putOpts.k = rawPublicKey(privateKey)
      putOpts.sign = buf => crypto.sign(null, buf, privateKey)
      if (!Number.isInteger(cmd.seq)) throw new Error('"seq" (integer) is required for a mutable put')
      putOpts.seq = cmd.seq
      if (cmd.salt !== undefined && cmd.salt !== '') putOpts.salt = hexArg(cmd, 'salt')
      if (cmd.cas !== undefined) {
        if (!Number.isInteger(cmd.cas)) throw new Error('"cas" must be an integer')
        putOpts.cas = cmd.cas
      }
    }
    return new Promise((resolve, reject) => {
      dht.put(putOpts, (err, target, n) => {
        if (err) return reject(err)
        const out = { target: target.toString('hex'), nodes: n }
        if (putOpts.k) Object.assign(out, { k: putOpts.k.toString('hex'), seq: putOpts.seq })
        resolve(out)
      })
    })
  },

  get (cmd) {
    const { dht } = nodeFor(cmd)
    const getOpts = { cache: cmd.cache === true }
    let salt = null
    if (cmd.salt !== undefined && cmd.salt !== '') salt = hexArg(cmd, 'salt')
    // bittorrent-dht verifies a mutable reply with the salt given here: without it a salted
    // item fails verification and is dropped.
    if (salt) getOpts.salt = salt
    let target
    if (cmd.public_key !== undefined) {
      const k = hexArg(cmd, 'public_key', 32)
      target = sha1(salt ? Buffer.concat([k, salt]) : k)
    } else {
      target = hexArg(cmd, 'target', 20)
    }
    // Count the replies that passed verification: bittorrent-dht starts a get from its own
    // store (even with cache: false) and keeps the local item unless a reply has a higher seq.
    let verified = 0
    getOpts.verify = (sig, msg, k) => {
      const ok = verify(sig, msg, k)
      if (ok) verified++
      return ok
    }
    return new Promise((resolve, reject) => {
      dht.get(target, getOpts, (err, res) => {
        if (err) return reject(err)
        if (!res || !res.v) return reject(new Error('not found'))
        const v = Buffer.from(res.v)
        const out = {
          target: target.toString('hex'),
          value: v.toString('utf8'),
          value_hex: v.toString('hex'),
          // a reply from the network carries a token; the node's own stored item does not
          from: res.token ? 'network' : 'local'
        }
        if (res.k) Object.assign(out, { seq: res.seq, k: Buffer.from(res.k).toString('hex'), verified_replies: verified })
        resolve(out)
      })
    })
  },

  addnode (cmd) {
    const { dht } = nodeFor(cmd)
    if (typeof cmd.address !== 'string') throw new Error('"address" must be "host:port"')
    dht.addNode(parseHostPort(cmd.address))
    return {}
  },

  nodes () {
    return {
      nodes: nodes.map(({ index, address, dht }) => ({
        node: index,
        address: `${address}:${opts.port}`,
        id: dht.nodeId.toString('hex'),
        table: dht.nodes.count()
      }))
    }
  }
}

async function handle (line) {
  if (!line.trim()) return
  let cmd
  try {
    cmd = JSON.parse(line)
  } catch {
    return reply({ id: null, ok: false, error: 'bad JSON' })
  }
  const id = cmd && cmd.id !== undefined ? cmd.id : null
  try {
    const fn = cmd && Object.hasOwn(commands, cmd.cmd) ? commands[cmd.cmd] : null
    if (!fn) throw new Error(`unknown command ${JSON.stringify(cmd && cmd.cmd)}`)
    const out = await fn(cmd)
    reply({ id, ok: true, ...out })
  } catch (err) {
    reply({ id, ok: false, error: err && err.message ? err.message : String(err) })
  }
}

function shutdown () {
  let left = nodes.length
  const done = () => { if (--left <= 0) process.exit(0) }
  for (const { dht } of nodes) dht.destroy(done)
  setTimeout(() => process.exit(0), 2000).unref()
}

const ready = start().catch(err => {
  log(`start failed: ${err.stack || err}`)
  reply({ event: 'error', error: String(err && err.message) })
  process.exit(1)
})

const rl = createInterface({ input: process.stdin })
// Commands wait for 'ready'; those sent before it are answered after it.
rl.on('line', line => { ready.then(() => handle(line)) })
rl.on('close', () => { ready.then(shutdown) })
process.on('SIGTERM', shutdown)
