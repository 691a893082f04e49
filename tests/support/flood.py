#!/usr/bin/env python3
"""A connection flood for tests, on loopback only, bounded in count and time.

  flood.py HOST PORT COUNT SOURCES HOLD_SECONDS [h2]

Prints "pid P" first. Opens COUNT TCP connections to HOST:PORT, spread over the source addresses SOURCES (comma-separated
loopback addresses such as 127.0.0.2,127.0.0.3; each connection is bound to one), writes 5 bytes on
each (a TLS record header: the start of a handshake that never finishes; with "h2", the first
5 bytes of the HTTP/2 preface, which a plaintext server waits to complete) and holds them open. Prints "held N" once every
connection attempt has finished (N: those the server had not closed by then), then holds until
its standard input is closed or HOLD_SECONDS pass, prints "closed_by_server M" (connections the
server closed or reset while held) and exits.
"""
import errno
import resource
import os
import select
import signal
import socket
import sys
import time


def main():
    host, port, count, sources, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        sys.argv[4].split(','), float(sys.argv[5])
    start_bytes = b'PRI *' if len(sys.argv) > 6 and sys.argv[6] == 'h2' else b'\x16\x03\x01\x00\x05'
    for s in sources + [host]:
        if not s.startswith('127.'):
            sys.exit('flood.py: loopback addresses only')
    print('pid %d' % os.getpid(), flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    deadline = time.monotonic() + hold
    socks = []
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((sources[i % len(sources)], 0))
        s.setblocking(False)
        rc = s.connect_ex((host, port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            continue
        socks.append(s)
    # Wait (bounded) for every connect to finish, then send the 5 bytes.
    by_fd = {s.fileno(): s for s in socks}
    poller = select.poll()
    for fd in by_fd:
        poller.register(fd, select.POLLOUT)
    pending = set(by_fd)
    while pending and time.monotonic() < deadline:
        for fd, _ in poller.poll(1000):
            if fd not in pending:
                continue
            pending.discard(fd)
            poller.unregister(fd)
            s = by_fd[fd]
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                try:
                    s.send(start_bytes)
                except OSError:
                    pass
    alive = set(fd for fd in by_fd if fd not in pending)
    print('held %d' % len(alive), flush=True)
    watcher = select.poll()
    for fd in alive:
        watcher.register(fd, select.POLLIN)
    closed = 0

    def count_closed(timeout_ms):
        nonlocal closed
        events = watcher.poll(timeout_ms)
        for fd, _ in events:
            try:
                data = by_fd[fd].recv(4096)
            except OSError:
                data = b''
            if not data:
                closed += 1
                watcher.unregister(fd)
        return len(events)

    while not stopping and time.monotonic() < deadline:
        count_closed(200)
    # A close the server made before the stop may not have been counted yet (this process can
    # lag on a loaded machine): its end-of-stream is already queued, so read what is there.
    while count_closed(0):
        pass
    print('closed_by_server %d' % closed, flush=True)
    for s in socks:
        s.close()


if __name__ == '__main__':
    main()
