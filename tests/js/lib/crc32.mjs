// Incremental CRC-32 (IEEE 802.3, the one zlib and `cksum -a crc32b` use), slicing-by-8.
// Shared by the test runner (Node) and the foreign peers (Node or a browser page): it only has to
// catch lost, duplicated, reordered or corrupted data, and it runs at several hundred MB/s in
// plain JS, so it never limits the throughput being measured.

const TABLES = (() => {
  const t = new Int32Array(8 * 256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) t[s * 256 + n] = (t[(s - 1) * 256 + n] >>> 8) ^ t[t[(s - 1) * 256 + n] & 0xff]
  }
  return t
})()

/** Running CRC-32: `update()` with each piece of data, `digest()` for the value so far. */
export class Crc32 {
  constructor () {
    this.crc = -1
    this.length = 0
  }

  /** @param {Uint8Array|ArrayBuffer} data */
  update (data) {
    const b = data instanceof Uint8Array ? data : new Uint8Array(data)
    const t = TABLES
    let c = this.crc
    let i = 0
    const n8 = b.length - (b.length % 8)
    for (; i < n8; i += 8) {
      const lo = c ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24))
      c = t[1792 + (lo & 0xff)] ^ t[1536 + ((lo >>> 8) & 0xff)] ^
        t[1280 + ((lo >>> 16) & 0xff)] ^ t[1024 + (lo >>> 24)] ^
        t[768 + b[i + 4]] ^ t[512 + b[i + 5]] ^ t[256 + b[i + 6]] ^ t[b[i + 7]]
    }
    for (; i < b.length; i++) c = t[(c ^ b[i]) & 0xff] ^ (c >>> 8)
    this.crc = c
    this.length += b.length
    return this
  }

  /** @returns {string} 8 lowercase hex digits */
  digest () {
    return ((this.crc ^ -1) >>> 0).toString(16).padStart(8, '0')
  }
}

export function crc32 (data) {
  return new Crc32().update(data).digest()
}
