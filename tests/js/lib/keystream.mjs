// Reproducible test data: a xorshift32 stream from a seed. The sender fills its messages from
// it and the receiver regenerates it to compare, so a failure names the first wrong byte's
// offset (a checksum would only say "somewhere"). Shared by the runner and the peers; fast
// enough (~1 GB/s) to never limit a transfer.

const BLOCK = 65536

export class KeyStream {
  constructor (seed) {
    this.state = (seed >>> 0) || 1
    this.block = new Uint8Array(BLOCK)
    this.words = new Uint32Array(this.block.buffer)
    this.pos = BLOCK
    this.offset = 0 // bytes produced or checked so far
    this.firstMismatch = -1 // stream offset of the first byte check() found wrong
  }

  refill () {
    const w = this.words
    let s = this.state
    for (let i = 0; i < w.length; i++) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5
      w[i] = s
    }
    this.state = s
    this.pos = 0
  }

  /** Fill `u8` with the next bytes of the stream. */
  fill (u8) {
    for (let o = 0; o < u8.length;) {
      if (this.pos === BLOCK) this.refill()
      const n = Math.min(BLOCK - this.pos, u8.length - o)
      u8.set(this.block.subarray(this.pos, this.pos + n), o)
      this.pos += n
      o += n
    }
    this.offset += u8.length
    return u8
  }

  /** Compare `data` with the next bytes of the stream; remembers the first mismatch. */
  check (data) {
    const u8 = data instanceof Uint8Array ? data : new Uint8Array(data)
    for (let o = 0; o < u8.length;) {
      if (this.pos === BLOCK) this.refill()
      const n = Math.min(BLOCK - this.pos, u8.length - o)
      if (this.firstMismatch < 0) {
        const b = this.block
        for (let i = 0; i < n; i++) {
          if (u8[o + i] !== b[this.pos + i]) { this.firstMismatch = this.offset + o + i; break }
        }
      }
      this.pos += n
      o += n
    }
    this.offset += u8.length
    return this.firstMismatch < 0
  }
}

export const randomSeed = () => (Math.random() * 0xffffffff) >>> 0 || 1
