#!/usr/bin/env python3
"""Interop check: a Python `websockets` client talks to a MultiSocket ws listener.

Usage: ws_client.py ws://127.0.0.1:PORT/path
       ws_client.py wss://127.0.0.1:PORT/path CAFILE   (TLS, verifying the server against CAFILE)

The listener's socket echoes each message's content back to its source. The client asks for subprotocol
multisocket.binary, sends multisocket frames (to-one, ttl 16, no path) as binary messages -- one whole, one
in fragments, one large -- pings, and checks each reply: a to-dest frame, ttl 16, no source, one
destination id, the same content. Prints OK and exits 0 on success; exits 1 on a failed check, 3 when
the websockets package is missing.
"""
import asyncio
import ssl
import struct
import sys

try:
    from websockets.asyncio.client import connect
except ImportError:
    try:
        from websockets import connect  # websockets < 13
    except ImportError:
        print("the Python 'websockets' package is missing: python3 -m pip install websockets", file=sys.stderr)
        sys.exit(3)


def frame(content):
    """A multisocket frame: [flags][ttl][hops][distance][length u32 BE][content], to-one, ttl 16."""
    return struct.pack(">BBBBI", 0, 16, 0, 0, len(content)) + content


def check_reply(reply, content):
    if not isinstance(reply, bytes):
        raise AssertionError(f"expected a binary message, got {type(reply).__name__}")
    flags, ttl, hops, distance, length = struct.unpack(">BBBBI", reply[:8])
    if flags & 3 != 2:
        raise AssertionError(f"send type {flags & 3}, expected 2 (to-dest)")
    if ttl != 16 or hops != 0 or distance != 1:
        raise AssertionError(f"ttl {ttl}, hops {hops}, distance {distance}; expected 16, 0, 1")
    if len(reply) != 8 + 4 * (hops + distance) + length:
        raise AssertionError(f"message of {len(reply)} bytes for a frame announcing {length} bytes of content")
    if reply[12:] != content:
        raise AssertionError(f"content {reply[12:][:40]!r}..., expected {content[:40]!r}...")


async def main(uri, cafile=None):
    extra = {"ssl": ssl.create_default_context(cafile=cafile)} if cafile else {}
    async with connect(uri, subprotocols=["multisocket.binary"], max_size=2 ** 20, **extra) as ws:
        if ws.subprotocol != "multisocket.binary":
            raise AssertionError(f"subprotocol {ws.subprotocol!r}")

        content = b"hello from python"
        await ws.send(frame(content))
        check_reply(await asyncio.wait_for(ws.recv(), 10), content)

        pong = await ws.ping(b"interop")
        await asyncio.wait_for(pong, 10)

        content = b"in three fragments"
        whole = frame(content)
        await ws.send([whole[:3], whole[3:11], whole[11:]])
        check_reply(await asyncio.wait_for(ws.recv(), 10), content)

        content = bytes(range(256)) * 300  # 76800 bytes: a 64-bit length both ways
        await ws.send(frame(content))
        check_reply(await asyncio.wait_for(ws.recv(), 10), content)
    print("OK", flush=True)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(asyncio.wait_for(main(*sys.argv[1:]), 30))
    except Exception as error:  # noqa: BLE001 - report anything as a failed check
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
