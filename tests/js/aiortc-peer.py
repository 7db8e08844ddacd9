#!/usr/bin/python3
# The interop scenario's foreign peer on aiortc (Python; DTLS by OpenSSL, SCTP in pure Python),
# started by interop.mjs --peer=aiortc:
#
#   /usr/bin/python3 tests/js/aiortc-peer.py http://127.0.0.1:PORT
#
# Debian's interpreter on purpose: python3-aiortc installs into its dist-packages only.
#
# It plays the same steps as lib/scenario.mjs, in the same order, and talks to the runner over
# the same HTTP interface (GET /config, POST and long-polled GET /signal, POST /log with optional
# milestone, POST /result), so the runner judges it with exactly the same checks. The CRC-32 is
# zlib's (the same IEEE polynomial as lib/crc32.mjs) and KeyStream below reproduces
# lib/keystream.mjs byte for byte.
#
# Where aiortc differs from the browser API, and what this peer does about it:
# - RTCConfiguration(iceServers=None) means Google's public STUN server in aiortc: the
#   configuration passes an empty list so that nothing but host candidates is gathered.
# - aioice leaves out 127.0.0.1, so the candidates are the namespace's veth addresses (and any
#   global IPv6 address, none in the namespace made by netns-run.sh).
# - aiortc has no trickle ICE: setLocalDescription() returns with every candidate gathered.
# - aiortc 1.4 offers the legacy SDP form (m=application … DTLS/SCTP 5000 with a=sctpmap) and
#   answers in the form of the offer.
# - getStats() has no candidate pairs: the selected pair is read from aioice's nominated pair
#   (a private attribute; the report leaves the pair out if that ever moves).
# - 'bufferedamountlow' exists, but the sender polls bufferedAmount like the Node peer does, so
#   the pacing is the same. aiortc's bufferedAmount drops when a message enters its SCTP send
#   queue, not when it is acknowledged, so "nothing buffered" is as weak as in the browsers.
# - The bulk transfer is smaller for this peer (interop.mjs picks the default): aiortc's SCTP
#   and its DTLS record handling run in Python on one core.

import asyncio
import json
import os
import sys
import time
import urllib.request
import zlib

import numpy as np

try:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
except ImportError as err:  # interop.mjs checks first; this is for running the script by hand
    sys.stderr.write(f'aiortc-peer: cannot import aiortc ({err}); apt-get install python3-aiortc\n')
    sys.exit(77)

ECHO_LABEL = 'peer-echo'
SEND_CHUNK = 65536
HIGH_WATER = 1024 * 1024


# --- test data: lib/keystream.mjs in numpy ----------------------------------------------------

class KeyStream:
    """xorshift32 from a seed, in 64 KiB blocks of little-endian words, as lib/keystream.mjs.

    A step of xorshift32 is linear over GF(2), so the 16384 words of a block are the XOR of the
    blocks that each set bit of the state alone would produce. Those 32 basis blocks are computed
    once (all 32 states stepped together), after which a block costs 32 vector XORs instead of
    16384 Python-level steps.
    """

    WORDS = 16384
    BLOCK = WORDS * 4
    _basis = None

    @classmethod
    def basis(cls):
        if cls._basis is None:
            s = (np.uint32(1) << np.arange(32, dtype=np.uint32)).astype(np.uint32)
            out = np.empty((32, cls.WORDS), dtype=np.uint32)
            for i in range(cls.WORDS):
                s ^= s << np.uint32(13)
                s ^= s >> np.uint32(17)
                s ^= s << np.uint32(5)
                out[:, i] = s
            cls._basis = out
        return cls._basis

    def __init__(self, seed):
        self.state = (int(seed) & 0xffffffff) or 1
        self.block = b''
        self.pos = 0
        self.offset = 0  # bytes produced or checked so far
        self.first_mismatch = -1  # stream offset of the first byte check() found wrong

    def _refill(self):
        basis = self.basis()
        words = np.zeros(self.WORDS, dtype=np.uint32)
        s = self.state
        for j in range(32):
            if s >> j & 1:
                words ^= basis[j]
        self.state = int(words[-1])
        self.block = words.astype('<u4').tobytes()
        self.pos = 0

    def fill(self, n):
        """The next n bytes of the stream."""
        parts = []
        while n > 0:
            if self.pos == len(self.block):
                self._refill()
            take = min(len(self.block) - self.pos, n)
            parts.append(self.block[self.pos:self.pos + take])
            self.pos += take
            self.offset += take
            n -= take
        return b''.join(parts)

    def check(self, data):
        """Compare data with the next bytes of the stream; remembers the first mismatch."""
        view = memoryview(data)
        o = 0
        while o < len(view):
            if self.pos == len(self.block):
                self._refill()
            take = min(len(self.block) - self.pos, len(view) - o)
            if self.first_mismatch < 0:
                got = view[o:o + take]
                want = self.block[self.pos:self.pos + take]
                if got != want:
                    i = next(k for k in range(take) if got[k] != want[k])
                    self.first_mismatch = self.offset + o + i
            self.pos += take
            o += take
        self.offset += len(view)
        return self.first_mismatch < 0


class Crc32:
    def __init__(self):
        self.crc = 0
        self.length = 0

    def update(self, data):
        self.crc = zlib.crc32(data, self.crc)
        self.length += len(data)

    def digest(self):
        return f'{self.crc:08x}'


# --- the runner's HTTP interface (127.0.0.1 only) ---------------------------------------------

class Link:
    def __init__(self, base):
        self.base = base.rstrip('/')
        # No proxy from the environment: these requests must stay on loopback.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode('utf-8')
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={'content-type': 'application/json'})
        with self.opener.open(req, timeout=300) as res:
            return json.loads(res.read().decode('utf-8') or 'null')

    # Blocking calls run in a worker thread so that the event loop (ICE, DTLS, SCTP) keeps going.
    async def get(self, path):
        return await asyncio.to_thread(self._request, 'GET', path)

    async def post(self, path, body):
        return await asyncio.to_thread(self._request, 'POST', path, body)

    async def config(self):
        return await self.get('/config')

    async def send_signal(self, desc):
        await self.post('/signal', {'type': desc.type, 'sdp': desc.sdp})

    async def receive_signal(self):  # long poll: answers once the CLI has printed its line
        return await self.get('/signal')

    def log(self, msg, mark=None):
        async def go():
            try:
                await self.post('/log', {'msg': msg, 'mark': mark})
            except Exception:
                pass
        return asyncio.ensure_future(go())

    async def report(self, result):
        await self.post('/result', result)


# --- scenario helpers ---------------------------------------------------------------------------

def echo_vectors():
    return [
        ('text', 'héllo 😀'),
        ('binary', bytes([1, 2, 3, 255])),
        ('empty text', ''),
        ('empty binary', b''),
        ('64 KiB binary', os.urandom(65536)),
    ]


def describe(d):
    if isinstance(d, str):
        # The JS peers count UTF-16 code units; the texts here are short enough not to be cut.
        return 'text(' + json.dumps(d[:20] + '…' if len(d) > 20 else d, ensure_ascii=False) + ')'
    return f'binary({len(d)} B)'


def same_message(sent, got):
    if isinstance(sent, str):
        return isinstance(got, str) and got == sent
    return isinstance(got, (bytes, bytearray)) and bytes(got) == sent


def opened(ch):
    fut = asyncio.get_running_loop().create_future()
    if ch.readyState == 'open':
        fut.set_result(None)
        return fut

    def on_open():
        if not fut.done():
            fut.set_result(None)

    def on_close():
        if not fut.done():
            fut.set_exception(RuntimeError(f'channel {ch.label} closed before opening'))
    ch.once('open', on_open)
    ch.once('close', on_close)
    return fut


def closed(ch):
    fut = asyncio.get_running_loop().create_future()
    if ch.readyState == 'closed':
        fut.set_result(None)
    else:
        ch.once('close', lambda: fut.done() or fut.set_result(None))
    return fut


def selected_pair(pc):
    try:
        conn = pc.sctp.transport.transport._connection
        pair = conn._nominated.get(1)
        if pair is None:
            return None
        fmt = lambda c: f'{c.type}:{c.host}:{c.port}'  # noqa: E731
        return {'local': fmt(pair.local_candidate), 'remote': fmt(pair.remote_candidate)}
    except Exception:
        return None


# --- the scenario (the steps of lib/scenario.mjs) ------------------------------------------------

async def run_scenario(link):
    cfg = await link.config()
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    now = lambda: (time.monotonic() - t0) * 1000  # noqa: E731  milliseconds since start
    at = lambda: round(now())  # noqa: E731

    def log(msg, mark=None):
        line = f'{at()} ms {msg}'
        # Also to our own log, which the runner prints when a run fails.
        sys.stderr.write(f'aiortc-peer: {line}\n')
        link.log(line, mark)

    result = {'peer': cfg['peer'], 'role': cfg['role'], 'times': {}, 'echo': [], 'main': None,
              'reverse': None, 'pair': None}

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.on('connectionstatechange', lambda: log(f'connection {pc.connectionState}'))

    # Receive on main from the moment it exists: the message handler is attached in the
    # 'datachannel' callback itself, before any later SCTP message can be handed out.
    crc = Crc32()
    expected = KeyStream(cfg['seed'])
    recv = {'bytes': 0, 'crc32': None, 'firstMismatch': -1, 'messages': 0, 'textMessages': 0,
            'firstMs': None, 'lastMs': None, 'closedMs': None}
    main_arrived = loop.create_future()

    def on_main_message(data):
        t = now()
        if recv['firstMs'] is None:
            recv['firstMs'] = t
        recv['lastMs'] = t
        recv['messages'] += 1
        if isinstance(data, str):
            recv['textMessages'] += 1
            data = data.encode('utf-8')
        crc.update(data)
        if not expected.check(data) and 'mismatch' not in recv:
            i = expected.first_mismatch - (expected.offset - len(data))
            recv['mismatch'] = {'message': recv['messages'] - 1, 'messageBytes': len(data), 'at': i,
                                'sample': bytes(data[i:i + 16]).hex()}

    def on_datachannel(ch):
        log(f'remote channel "{ch.label}" announced')
        if ch.label == cfg['mainLabel'] and not main_arrived.done():
            ch.on('message', on_main_message)
            main_arrived.set_result((ch, closed(ch)))
    pc.on('datachannel', on_datachannel)

    echo = None
    if cfg['role'] == 'offer':
        echo = pc.createDataChannel(ECHO_LABEL)
        await pc.setLocalDescription(await pc.createOffer())
        await link.send_signal(pc.localDescription)
        answer = await link.receive_signal()
        result['times']['signalled'] = at()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer['sdp'], type=answer['type']))
    else:
        offer = await link.receive_signal()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer['sdp'], type=offer['type']))
        await pc.setLocalDescription(await pc.createAnswer())
        await link.send_signal(pc.localDescription)
        result['times']['signalled'] = at()
    log('signalling done', 'signalled')
    media = next((l for l in pc.localDescription.sdp.splitlines() if l.startswith('m=application')), '?')
    sys.stderr.write(f'aiortc-peer: our {pc.localDescription.type}: {media}\n')

    main, main_closed_fut = await main_arrived

    async def main_closed():
        await main_closed_fut
        recv['closedMs'] = at()
        recv['bytes'] = crc.length
        recv['crc32'] = crc.digest()
        recv['firstMismatch'] = expected.first_mismatch
        log(f"main channel closed after {recv['bytes']} bytes")
    main_closed_task = asyncio.ensure_future(main_closed())

    await opened(main)  # aiortc announces a remote channel already open
    result['times']['mainOpen'] = at()
    log('main channel open', 'main-open')
    if echo is None:
        echo = pc.createDataChannel(ECHO_LABEL)

    # 2: echo, concurrently with 3 and 4.
    async def echo_done():
        got = []
        wake = asyncio.Event()

        def on_message(data):
            got.append(data)
            wake.set()
        echo.on('message', on_message)
        await opened(echo)
        result['times']['echoOpen'] = at()
        vectors = echo_vectors()
        for _, data in vectors:
            echo.send(data)
        deadline = now() + 20000
        while len(got) < len(vectors) and now() < deadline:
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), 0.25)
            except asyncio.TimeoutError:
                pass
        result['times']['echoDone'] = at()
        for i, (name, data) in enumerate(vectors):
            ok = i < len(got) and same_message(data, got[i])
            result['echo'].append({'name': name, 'ok': ok, 'sent': describe(data),
                                   'got': describe(got[i]) if i < len(got) else 'nothing'})
        if len(got) > len(vectors):
            result['echo'].append({'name': 'extra messages', 'ok': False, 'sent': '-',
                                   'got': f'{len(got) - len(vectors)} more'})
        log(f'echo: {len(got)}/{len(vectors)} back')

    # 4: send reverseBytes on main, paced by polling bufferedAmount.
    async def reverse_done():
        c = Crc32()
        stream = KeyStream(cfg['reverseSeed'])
        start = now()
        left = cfg['reverseBytes']
        while left > 0 and main.readyState == 'open':
            chunk = stream.fill(min(SEND_CHUNK, left))
            while main.bufferedAmount > HIGH_WATER and main.readyState == 'open':
                await asyncio.sleep(0.002)
            if main.readyState != 'open':
                break
            main.send(chunk)
            c.update(chunk)
            left -= len(chunk)
        while main.bufferedAmount > 0 and main.readyState == 'open':
            await asyncio.sleep(0.002)
        result['reverse'] = {'bytes': c.length, 'crc32': c.digest(), 'ms': round(now() - start)}
        log(f'sent {c.length} bytes on the main channel')

    await asyncio.gather(echo_done(), reverse_done(), main_closed_task)
    span = (recv['lastMs'] or 0) - (recv['firstMs'] or 0)
    recv['mbps'] = recv['bytes'] / 1e6 / (span / 1000) if span > 0 else None
    recv['firstMs'] = None if recv['firstMs'] is None else round(recv['firstMs'])
    recv['lastMs'] = None if recv['lastMs'] is None else round(recv['lastMs'])
    result['main'] = recv
    result['pair'] = selected_pair(pc)

    # 5: closing our channel lets the CLI exit.
    echo_closed = closed(echo)
    echo.close()
    try:
        await asyncio.wait_for(echo_closed, 5)
    except asyncio.TimeoutError:
        pass
    result['times']['echoClosed'] = at() if echo.readyState == 'closed' else None
    result['times']['reported'] = at()
    await link.report(result)
    return pc


async def main():
    link = Link(sys.argv[1])
    try:
        pc = await run_scenario(link)
    except Exception as err:
        import traceback
        text = ''.join(traceback.format_exception(err))
        sys.stderr.write(f'aiortc-peer: {text}')
        try:
            await link.report({'error': text})
        except Exception:
            pass
        return 1
    # Give the CLI time to see the close of peer-echo before the whole connection goes.
    await asyncio.sleep(0.5)
    await pc.close()
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.stderr.write('usage: aiortc-peer.py http://127.0.0.1:PORT\n')
        sys.exit(2)
    sys.exit(asyncio.run(main()))
