#!/usr/bin/env python3
"""An SP peer written with pynng (which bundles NNG), for MultiSocket's SP interop tests.

    sp_peer.py ROLE (listen|dial) ADDRESS COUNT

ADDRESS is an NNG address (tcp://127.0.0.1:PORT, ipc:///path, ws://127.0.0.1:PORT/path); for `listen` a
tcp or ws port 0 is replaced by a free port below the ephemeral range. The peer prints `ready ADDRESS` once it listens or has dialed,
then plays ROLE for COUNT messages and prints `ok` (exit 0) or what went wrong (exit 1):

  rep         answers COUNT requests with b"re:" + request
  req         sends COUNT requests b"q<i>" and checks each reply is b"re:q<i>"
  pub         publishes b"a<i>" and b"b<i>" every 20 ms until standard input closes
  sub         subscribes to b"a", receives COUNT messages, checks each starts with b"a"
  push        sends COUNT messages b"m<i>"
  pull        receives COUNT messages and checks they are b"m0".. in order
  pair        echoes COUNT messages
  bus         sends b"hello" every 50 ms until it has received COUNT messages
  surveyor    surveys b"s<i>" COUNT times, each must get an answer b"ans:s<i>"
  respondent  answers COUNT surveys with b"ans:" + survey
  rawreq      sends one request whose backtrace has no id at its bottom, then a proper one (req checks)
"""
import random
import sys
import time

import pynng

TIMEOUT_MS = 10000


def listen_somewhere(sock, address):
    """Listens on ADDRESS; a tcp or ws port 0 becomes a free port below the kernel's ephemeral range (from
    which the tests' own port-0 listeners and connections draw, so none of them can take it meanwhile)."""
    for scheme in ("tcp://", "ws://"):
        if address.startswith(scheme):
            host, _, tail = address[len(scheme):].partition(":")
            port, slash, path = tail.partition("/")
            if port == "0":
                for _ in range(100):
                    candidate = f"{scheme}{host}:{random.randint(20000, 32000)}{slash}{path}"
                    try:
                        sock.listen(candidate)
                        return candidate
                    except pynng.AddressInUse:
                        continue
                fail("no free port")
    sock.listen(address)
    return address


def fail(text):
    print(text, flush=True)
    sys.exit(1)


def main():
    role, mode, address, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    kinds = {
        "rep": pynng.Rep0, "req": pynng.Req0, "pub": pynng.Pub0, "sub": pynng.Sub0, "push": pynng.Push0,
        "pull": pynng.Pull0, "pair": pynng.Pair0, "bus": pynng.Bus0, "surveyor": pynng.Surveyor0,
        "respondent": pynng.Respondent0,
    }
    sock = kinds[role](recv_timeout=TIMEOUT_MS, send_timeout=TIMEOUT_MS)
    if role == "req":
        sock.resend_time = 5000
    if mode == "listen":
        address = listen_somewhere(sock, address)
    else:
        sock.dial(address, block=True)
    print(f"ready {address}", flush=True)
    try:
        run(role, sock, count)
    except pynng.Timeout:
        fail(f"{role}: timed out")
    finally:
        sock.close()
    print("ok", flush=True)


def run(role, sock, count):
    if role == "rep":
        for _ in range(count):
            sock.send(b"re:" + sock.recv())
    elif role == "req":
        for i in range(count):
            sock.send(b"q%d" % i)
            reply = sock.recv()
            if reply != b"re:q%d" % i:
                fail(f"req: reply {reply!r} to q{i}")
    elif role == "pub":
        i = 0
        import select
        while True:
            readable, _, _ = select.select([sys.stdin], [], [], 0.02)
            if readable and not sys.stdin.buffer.read1(1):
                return
            sock.send(b"a%d" % i)
            sock.send(b"b%d" % i)
            i += 1
    elif role == "sub":
        sock.subscribe(b"a")
        for _ in range(count):
            message = sock.recv()
            if not message.startswith(b"a"):
                fail(f"sub: unfiltered {message!r}")
    elif role == "push":
        for i in range(count):
            sock.send(b"m%d" % i)
        time.sleep(0.5)  # let NNG flush before close (it does not linger)
    elif role == "pull":
        for i in range(count):
            message = sock.recv()
            if message != b"m%d" % i:
                fail(f"pull: {message!r} where m{i} was due")
    elif role == "pair":
        for _ in range(count):
            sock.send(sock.recv())
        time.sleep(0.5)
    elif role == "bus":
        sock.recv_timeout = 50
        got = 0
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while got < count:
            if time.monotonic() > deadline:
                fail("bus: timed out")
            sock.send(b"hello")
            try:
                message = sock.recv()
            except pynng.Timeout:
                continue
            if message == b"hello":
                fail("bus: own message echoed")
            got += 1
    elif role == "surveyor":
        sock.survey_time = 500
        for i in range(count):
            deadline = time.monotonic() + TIMEOUT_MS / 1000
            while True:
                sock.send(b"s%d" % i)
                try:
                    answer = sock.recv()
                except pynng.Timeout:
                    if time.monotonic() > deadline:
                        fail("surveyor: no answer")
                    continue
                if answer != b"ans:s%d" % i:
                    fail(f"surveyor: answer {answer!r} to s{i}")
                break
    elif role == "respondent":
        for _ in range(count):
            sock.send(b"ans:" + sock.recv())
        time.sleep(0.5)


if __name__ == "__main__":
    main()
