#!/usr/bin/env python3
"""A bounded loopback load that uses up ephemeral ports: COUNT outgoing TCP connections (default
20000) to a listener of its own, opened and closed at RATE per second (default 50), each leaving
its ephemeral port in TIME_WAIT for a minute. Run beside galera_test to show the test's ports are
not among those an outgoing connection can take (tests/support/free_port.py).

    connection_load.py [COUNT] [RATE]
"""
import socket
import sys
import threading
import time

count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
rate = float(sys.argv[2]) if len(sys.argv) > 2 else 50.0

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(512)


def accept():
    while True:
        conn, _ = server.accept()
        conn.close()


threading.Thread(target=accept, daemon=True).start()
start = time.monotonic()
ports = set()
for i in range(count):
    c = socket.create_connection(server.getsockname())
    ports.add(c.getsockname()[1])
    c.close()
    delay = start + (i + 1) / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    if (i + 1) % 5000 == 0:
        print("connections: %d in %.0f s, local ports %d-%d (%d distinct)"
              % (i + 1, time.monotonic() - start, min(ports), max(ports), len(ports)), flush=True)
print("done: %d connections in %.0f s" % (count, time.monotonic() - start), flush=True)
