#!/usr/bin/env python3
"""Prints COUNT (default 1) distinct loopback TCP ports that are free now, space-separated.

The tests' one port picker for shell scripts (testing::PickFreePort is the C++ one; both use the
same range). Ports come from below the kernel's ephemeral range
(/proc/sys/net/ipv4/ip_local_port_range): a port in that range can be taken by any outgoing
connection between the moment it is picked and the moment the server binds it (seen: a Galera
IST listener failing with "Address already in use" under a connection-heavy load). Below the range
only a process that binds on purpose can take it; a caller still retries a bind that fails.

    free_port.py [COUNT]
"""
import random
import socket
import sys

LOWEST = 20000


def candidate_range():
    """[low, high): ports no outgoing connection is given, with room for many tests."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            eph_low, eph_high = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        eph_low, eph_high = 32768, 60999
    if eph_low - LOWEST >= 1000:
        return LOWEST, eph_low
    if 65535 - eph_high >= 1000:
        return eph_high + 1, 65536
    return 1024, 65536  # no port is safe from outgoing connections: rely on the retries


def binds(port):
    # No SO_REUSEADDR: a port a connection still holds (even in TIME_WAIT) counts as taken.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick(count):
    low, high = candidate_range()
    rng = random.SystemRandom()
    chosen = []
    for _ in range(1000 * count):
        port = rng.randrange(low, high)
        if port not in chosen and binds(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    sys.exit("free_port.py: no %d free ports in [%d, %d)" % (count, low, high))


if __name__ == "__main__":
    print(" ".join(str(p) for p in pick(int(sys.argv[1]) if len(sys.argv) > 1 else 1)))
