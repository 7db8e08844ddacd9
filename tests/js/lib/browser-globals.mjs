// What the CommonJS modules under simple-peer-files (simple-peer 9, readable-stream 3,
// randombytes) expect of Node in a browser: `Buffer` (the `buffer` package) and a few bits of
// `process`. Injected by build-browser.mjs into the WebDrop page's bundle only, where these
// free names are used; nothing is put on globalThis.
//
// process.nextTick is a macrotask, as in the `process/browser.js` that WebDrop's webpack 4 build
// bundled (one setTimeout drains the whole queue): simple-peer-files resolves its receive with a
// PeerFileReceive that has just pipe()d the file peer, and WebDrop attaches its 'done' listener
// in the promise's then(). With a microtask nextTick the piped bytes (a whole small file, when
// they came before simple-peer's 'connect') would flow before that listener exists.
import { Buffer } from 'buffer'

let ticks = []
let draining = false
function drain () {
  draining = true
  try {
    while (ticks.length) {
      const batch = ticks
      ticks = []
      for (let i = 0; i < batch.length; i++) {
        try { batch[i][0](...batch[i][1]) } catch (err) {
          ticks = batch.slice(i + 1).concat(ticks)
          throw err
        }
      }
    }
  } finally {
    draining = false
    if (ticks.length) setTimeout(drain, 0)
  }
}

export { Buffer }
export const process = {
  browser: true,
  env: {},
  version: '',
  versions: {},
  platform: 'browser',
  nextTick: (fn, ...args) => {
    ticks.push([fn, args])
    if (ticks.length === 1 && !draining) setTimeout(drain, 0)
  },
  emitWarning: () => {},
}
