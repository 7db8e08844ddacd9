// How a test page talks to the runner that serves it (p2pt-page.mjs, webdrop-page.mjs): report
// lines are POSTed to /event on the page's origin, in order: a JSON array of one or more report
// objects per request, one request at a time. Commands come from long polls of
// GET /command?after=SEQ, which answer with a JSON array of commands whose "seq" is > SEQ.
// `query`: extra query parameters of both (a runner serving several pages tells them apart so).

export function pageLink (query = '') {
  const extra = query ? `&${query}` : ''
  // Reports keep their order: whatever piles up while one POST is in flight goes in the next.
  // Each is serialized when reported: handlers change the objects they were given afterwards
  // (WebDrop's deletes "type" from a message it stores).
  let queue = []
  let posting = false
  const flush = async () => {
    if (posting || !queue.length) return
    posting = true
    while (queue.length) {
      const batch = queue
      queue = []
      try {
        await fetch(`/event?${extra.slice(1)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `[${batch.join(',')}]` })
      } catch {}
    }
    posting = false
  }
  const out = obj => { queue.push(JSON.stringify(obj) ?? 'null'); flush() }
  /** Resolves once everything reported so far has been posted. */
  const flushed = async () => {
    while (queue.length || posting) await new Promise(resolve => setTimeout(resolve, 10))
  }

  /** Feed each command to command(cmd) until the runner ends the polls. */
  async function poll (command) {
    let after = 0
    let failures = 0
    for (;;) {
      let cmds
      try {
        const res = await fetch(`/command?after=${after}${extra}`, { cache: 'no-store' })
        if (!res.ok) return out({ event: 'control-ended', status: res.status })
        cmds = await res.json()
        failures = 0
      } catch (err) {
        // Firefox now and then fails a long poll ("NetworkError"); asking again is safe, as the
        // runner answers with every command after `after`. Many failures in a row: it is gone.
        if (++failures > 20) return out({ event: 'control-ended', error: String(err?.message ?? err) })
        await new Promise(resolve => setTimeout(resolve, 100))
        continue
      }
      for (const cmd of cmds) {
        after = Math.max(after, cmd.seq)
        try { command(cmd) } catch (err) { out({ event: 'ack', seq: cmd.seq, error: String(err?.message ?? err) }) }
      }
    }
  }
  return { out, flushed, poll }
}
