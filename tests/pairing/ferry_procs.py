# Shared by the pairing tests: ferry-cli processes in network namespaces, and named steps.
import os
import queue
import re
import subprocess
import threading
import time

procs = []


class Proc:
    """A ferry-cli in a namespace; its stdout and stderr lines collected by threads."""

    def __init__(self, cli, tmp, ns, args, name, env=None):
        env = dict(os.environ, FERRY_STUN_SERVERS='', FERRY_TRACKERS='', **(env or {}))
        self.p = subprocess.Popen(['ip', 'netns', 'exec', ns, cli, *args, '--name', name,
                                   '--identity', os.path.join(tmp, name + '.pem')],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env, text=True, bufsize=1)
        procs.append(self.p)
        self.lines = {'out': queue.Queue(), 'err': queue.Queue()}
        self.seen = {'out': [], 'err': []}
        for key, stream in (('out', self.p.stdout), ('err', self.p.stderr)):
            threading.Thread(target=self._pump, args=(stream, self.lines[key]), daemon=True).start()

    @staticmethod
    def _pump(stream, q):
        for line in stream:
            q.put(line.rstrip('\n'))
        q.put(None)

    def wait_line(self, key, pattern, timeout):
        """The first line of stdout ('out') or stderr ('err') that matches, as a match."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines[key].get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError(f'waited for /{pattern}/ in vain; read: {self.seen[key][-5:]}')
            self.seen[key].append(line)
            m = re.search(pattern, line)
            if m:
                return m

    def wait_seen(self, key, pattern, timeout):
        """Like wait_line, but a line already read counts too (for lines that come in any order)."""
        for line in self.seen[key]:
            m = re.search(pattern, line)
            if m:
                return m
        return self.wait_line(key, pattern, timeout)

    def say(self, text):
        self.p.stdin.write(text + '\n')
        self.p.stdin.flush()

    def finish(self, timeout=10):
        """Closes stdin and waits: the exit status, and what stderr still had."""
        self.p.stdin.close()
        status = self.p.wait(timeout)
        return status


failed = False


def step(name, fn):
    """Runs @fn, prints "step NAME: PASS (…)" or "FAIL: …"; after a failure the rest are skipped."""
    global failed
    if failed:
        print(f'step {name}: SKIP (an earlier step failed)')
        return
    start = time.monotonic()
    try:
        detail = fn()
        print(f'step {name}: PASS ({time.monotonic() - start:.2f} s{"; " + detail if detail else ""})')
    except AssertionError as e:
        failed = True
        print(f'step {name}: FAIL: {e}')


def kill_all():
    for p in procs:
        if p.poll() is None:
            p.kill()


def hub(names):
    return names[0] + '-hub'


def lan_up(names, addresses):
    """Network namespaces @names on one LAN, each with its address of @addresses on eth0 (/24)
    and a multicast route: two joined by a cable (a veth pair), more by a switch (a bridge in a
    namespace of its own)."""
    def sh(*args):
        subprocess.run(args, check=True)

    for ns in names:
        sh('ip', 'netns', 'add', ns)
        sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
    if len(names) == 2:
        sh('ip', '-n', names[0], 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', names[1])
    else:
        sh('ip', 'netns', 'add', hub(names))
        sh('ip', '-n', hub(names), 'link', 'add', 'br0', 'type', 'bridge')
        sh('ip', '-n', hub(names), 'link', 'set', 'br0', 'up')
        for i, ns in enumerate(names):
            sh('ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', f'port{i}', 'netns', hub(names))
            sh('ip', '-n', hub(names), 'link', 'set', f'port{i}', 'master', 'br0', 'up')
    for ns, addr in zip(names, addresses):
        sh('ip', '-n', ns, 'addr', 'add', f'{addr}/24', 'dev', 'eth0')
        sh('ip', '-n', ns, 'link', 'set', 'eth0', 'up')
        sh('ip', '-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
    # libnice gathers only on interfaces that are running: wait for the cable's carrier.
    deadline = time.monotonic() + 5
    while any('state UP' not in subprocess.run(['ip', '-n', ns, 'link', 'show', 'eth0'], capture_output=True,
                                               text=True).stdout for ns in names):
        assert time.monotonic() < deadline, 'the LAN did not come up'
        time.sleep(0.05)


def lan_down(names):
    kill_all()
    for ns in names + [hub(names)]:
        subprocess.run(['ip', 'netns', 'delete', ns], stderr=subprocess.DEVNULL)
