#!/usr/bin/env python3
"""hostile_client.py: misbehaving HTTP clients for tests/e2e/server_limits.sh, against a server
on the loopback network only (127.0.0.0/8). Every loop is bounded in count and in time.

  hostile_client.py slowloris --port P --sources 127.0.0.2,... --per-source N
                              [--interval S] [--duration S] [--path /x] [--ready FILE]
      Opens N connections from each source address, sends a request line, then one more header
      line on every open connection every S seconds, never finishing the headers; a connection
      the server closes is opened again (at most once per interval). Prints one JSON object:
      connections opened, refused (closed by the server within 0.5 s, before holding anything),
      cut (closed later although it kept sending), the ages of the cut ones, and per source the
      largest number held open at once. --ready FILE is created once the first connections
      are open (the duration counts from then).

  hostile_client.py big-body --port P --path /x --length BYTES --send BYTES [--method M]
      Sends headers (method M, default POST) announcing a body of BYTES (Content-Length), then only --send bytes of it,
      then waits up to 3 s for an answer. Prints "STATUS SECONDS" (status 0 if the server closed
      without one).

  hostile_client.py slow-body --port P --path /x [--duration S]
      Sends complete headers announcing a 60000-byte body, then 10 bytes of it a second.
      Prints the seconds until the server closed the connection (or --duration, default 10).

  hostile_client.py chunked --port P --path /x --chunk BYTES --max BYTES
      Sends a chunked body chunk by chunk until the server closes the connection or answers,
      or --max bytes were sent. Prints "SENT STATUS" (status 0 if closed without an answer).
"""
import argparse
import json
import select
import socket
import sys
import time

HOST = "127.0.0.1"
# A connection the server closes within this many seconds, before the attacker sent it another
# line, was refused (over the per-client limit), not cut by the deadline. The attacker sees the
# close only when it next polls: on a loaded machine a refusal was once seen at 0.50 s and
# counted as a deadline cut (the deadline is 3 s; cut ages below 2.5 s still fail the test).
REFUSED_WITHIN = 1.0


def loopback(address):
    if not address.startswith("127."):
        sys.exit("hostile_client.py: only loopback addresses (127.0.0.0/8), not " + address)
    return address


def connect(source, port, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((loopback(source), 0))
    s.connect((HOST, port))
    s.setblocking(False)
    return s


def closed_by_peer(s):
    """True if the server closed (EOF or reset); drains anything it sent."""
    try:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            return False
        data = s.recv(65536)
        return data == b""
    except (ConnectionError, OSError):
        return True


def slowloris(args):
    sources = [loopback(a) for a in args.sources.split(",")]
    slots = []  # [source, socket or None, opened_at, sent_lines]
    stats = {"opened": 0, "connect_failed": 0, "refused": 0, "cut": 0, "cut_ages": [],
             "held_peak": {a: 0 for a in sources}}

    def open_slot(slot):
        slot[1] = None
        try:
            slot[1] = connect(slot[0], args.port)
        except OSError:
            stats["connect_failed"] += 1
            return
        slot[2] = time.monotonic()
        slot[3] = 0
        stats["opened"] += 1
        try:
            slot[1].send(("GET %s HTTP/1.1\r\nHost: %s\r\n" % (args.path, HOST)).encode())
        except OSError:
            pass

    for source in sources:
        for _ in range(args.per_source):
            slot = [source, None, 0.0, 0]
            open_slot(slot)
            slots.append(slot)
    if args.ready:
        open(args.ready, "w").close()
    start = time.monotonic()
    end = start + args.duration
    next_tick = time.monotonic() + args.interval
    rounds = 0
    while time.monotonic() < end and rounds < 100000:
        rounds += 1
        now = time.monotonic()
        for slot in slots:
            s = slot[1]
            if s is not None and closed_by_peer(s):
                age = now - slot[2]
                if age < REFUSED_WITHIN and slot[3] == 0:
                    stats["refused"] += 1
                else:
                    stats["cut"] += 1
                    stats["cut_ages"].append(round(age, 2))
                s.close()
                slot[1] = None
        held = {a: 0 for a in sources}
        for slot in slots:
            if slot[1] is not None and now - slot[2] >= REFUSED_WITHIN:
                held[slot[0]] += 1
        for a in sources:
            stats["held_peak"][a] = max(stats["held_peak"][a], held[a])
        if now >= next_tick:
            next_tick = now + args.interval
            for slot in slots:
                if slot[1] is None:
                    if now + 1 < end:
                        open_slot(slot)
                    continue
                try:
                    slot[1].send(("X-Slow-%d: %d\r\n" % (slot[3], slot[3])).encode())
                    slot[3] += 1
                except BlockingIOError:
                    pass
                except OSError:
                    pass  # seen as closed on the next round
        time.sleep(0.05)
    for slot in slots:
        if slot[1] is not None:
            slot[1].close()
    stats["elapsed"] = round(time.monotonic() - start, 2)
    print(json.dumps(stats))


def read_status(s, deadline):
    """The status code of the answer on s, or 0 if the server closed without one."""
    data = b""
    while time.monotonic() < deadline and b"\r\n" not in data:
        r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        try:
            chunk = s.recv(4096)
        except (ConnectionError, OSError):
            break
        if not chunk:
            break
        data += chunk
    parts = data.split(b" ", 2)
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        return int(parts[1])
    return 0


def big_body(args):
    s = connect("127.0.0.1", args.port)
    s.setblocking(True)
    s.settimeout(3)
    t0 = time.monotonic()
    head = ("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\n"
            "Content-Length: %d\r\n\r\n" % (args.method, args.path, HOST, args.length)).encode()
    sent = 0
    try:
        s.sendall(head)
        block = b"a" * 4096
        while sent < args.send:
            n = min(len(block), args.send - sent)
            s.sendall(block[:n])
            sent += n
    except OSError:
        pass
    status = read_status(s, time.monotonic() + 3)
    print("%d %.2f" % (status, time.monotonic() - t0))
    s.close()


def slow_body(args):
    s = connect("127.0.0.1", args.port)
    t0 = time.monotonic()
    head = ("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 60000\r\n\r\n"
            % (args.path, HOST)).encode()
    s.setblocking(True)
    s.sendall(head)
    s.setblocking(False)
    end = t0 + min(args.duration, 30)
    while time.monotonic() < end:
        if closed_by_peer(s):
            break
        try:
            s.send(b"a" * 10)
        except BlockingIOError:
            pass
        except OSError:
            break
        time.sleep(1)
    print("%.2f" % (time.monotonic() - t0))
    s.close()


def chunked(args):
    s = connect("127.0.0.1", args.port)
    s.setblocking(True)
    s.settimeout(3)
    head = ("POST %s HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
            % (args.path, HOST)).encode()
    sent = 0
    status = 0
    try:
        s.sendall(head)
        chunk = b"%x\r\n" % args.chunk + b"a" * args.chunk + b"\r\n"
        while sent < args.max:
            s.sendall(chunk)
            sent += args.chunk
            r, _, _ = select.select([s], [], [], 0.01)
            if r:
                break
    except OSError:
        pass
    status = read_status(s, time.monotonic() + 3)
    print("%d %d" % (sent, status))
    s.close()


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("slowloris")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sources", required=True)
    p.add_argument("--per-source", type=int, required=True)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--path", default="/")
    p.add_argument("--ready")
    p = sub.add_parser("big-body")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--length", type=int, required=True)
    p.add_argument("--send", type=int, default=0)
    p.add_argument("--method", default="POST")
    p = sub.add_parser("slow-body")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--duration", type=float, default=10.0)
    p = sub.add_parser("chunked")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--chunk", type=int, default=4096)
    p.add_argument("--max", type=int, default=4 << 20)
    args = parser.parse_args()
    if args.mode == "slowloris":
        if args.duration > 30 or args.per_source > 1000:
            sys.exit("hostile_client.py: keep the attack bounded (30 s, 1000 per source)")
        slowloris(args)
    elif args.mode == "big-body":
        big_body(args)
    elif args.mode == "slow-body":
        slow_body(args)
    else:
        chunked(args)


if __name__ == "__main__":
    main()
