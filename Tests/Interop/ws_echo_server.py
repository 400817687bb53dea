#!/usr/bin/env python3
"""Interop check: a Python `websockets` echo server for a MultiSocket ws dialer.

Usage: ws_echo_server.py

Listens on 127.0.0.1 on a free port, accepting subprotocol multisocket.binary, prints the port on its own
line, and echoes every binary message back unchanged (text messages are ignored). Exits when its standard
input closes, or after 60 seconds; exits 3 when the websockets package is missing.
"""
import asyncio
import sys
import threading

try:
    from websockets.asyncio.server import serve
except ImportError:
    try:
        from websockets import serve  # websockets < 13
    except ImportError:
        print("the Python 'websockets' package is missing: python3 -m pip install websockets", file=sys.stderr)
        sys.exit(3)


async def echo(ws, *_):
    if ws.subprotocol != "multisocket.binary":
        await ws.close(1002, "expected subprotocol multisocket.binary")
        return
    async for message in ws:
        if isinstance(message, bytes):
            await ws.send(message)


async def main():
    async with serve(echo, "127.0.0.1", 0, subprotocols=["multisocket.binary"], max_size=2 ** 20) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(port, flush=True)
        loop = asyncio.get_running_loop()
        stdin_closed = asyncio.Event()

        def watch_stdin():
            sys.stdin.read()
            loop.call_soon_threadsafe(stdin_closed.set)

        threading.Thread(target=watch_stdin, daemon=True).start()
        try:
            await asyncio.wait_for(stdin_closed.wait(), 60)
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    asyncio.run(main())
