#!/usr/bin/env python3
"""Interop check: Python's standard `ssl` module as a TLS peer of MultiSocket's tls+tcp transport.

Usage:
  tls_peer.py server CERT KEY         listen on 127.0.0.1 (free port, printed on its own line); for each
                                      connection, echo every byte back until the client ends its stream,
                                      then send close_notify and close. Exits when stdin closes (or 60 s).
  tls_peer.py client PORT CAFILE [CERT KEY]
                                      connect to 127.0.0.1:PORT verifying the server as `localhost`
                                      against CAFILE, send multisocket frames (to-one, ttl 16, no path) and
                                      check each reply: a to-dest frame, ttl 16, no source, one destination
                                      id, the same content; then close_notify. Prints the TLS version and OK.
  tls_peer.py tls11 PORT              offer only TLS 1.1; prints REFUSED when the server refuses it, exits
                                      1 if the handshake succeeds.

Exits 1 on a failed check.
"""
import socket
import ssl
import struct
import sys
import threading


def frame(content):
    """A multisocket frame: [flags][ttl][hops][distance][length u32 BE][content], to-one, ttl 16."""
    return struct.pack(">BBBBI", 0, 16, 0, 0, len(content)) + content


def read_exactly(tls, count):
    data = b""
    while len(data) < count:
        chunk = tls.recv(count - len(data))
        if not chunk:
            raise AssertionError(f"stream ended after {len(data)} of {count} bytes")
        data += chunk
    return data


def check_reply(tls, content):
    flags, ttl, hops, distance, length = struct.unpack(">BBBBI", read_exactly(tls, 8))
    if flags & 3 != 2:
        raise AssertionError(f"send type {flags & 3}, expected 2 (to-dest)")
    if ttl != 16 or hops != 0 or distance != 1:
        raise AssertionError(f"ttl {ttl}, hops {hops}, distance {distance}; expected 16, 0, 1")
    read_exactly(tls, 4 * (hops + distance))
    if length != len(content):
        raise AssertionError(f"content of {length} bytes, expected {len(content)}")
    if read_exactly(tls, length) != content:
        raise AssertionError("content differs")


def client(port, cafile, cert=None, key=None):
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    if cert:
        context.load_cert_chain(cert, key)
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        tls = context.wrap_socket(raw, server_hostname="localhost")
        for content in [b"hello from python", b"", bytes(range(256)) * 400]:
            tls.sendall(frame(content))
            check_reply(tls, content)
        print(tls.version(), flush=True)
        tls.unwrap()
    print("OK", flush=True)


def serve_one(connection):
    try:
        with connection:
            while True:
                data = connection.recv(65536)
                if not data:
                    break
                connection.sendall(data)
            connection.unwrap()
    except (OSError, ssl.SSLError) as error:
        print(f"connection: {error}", file=sys.stderr, flush=True)


def server(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)

    def accept_loop():
        while True:
            raw, _ = listener.accept()
            try:
                connection = context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError) as error:
                print(f"handshake: {error}", file=sys.stderr, flush=True)
                continue
            threading.Thread(target=serve_one, args=(connection,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait(60)


def tls11(port):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.TLSv1_1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        try:
            tls = context.wrap_socket(raw)
        except ssl.SSLError as error:
            print(f"REFUSED {error.reason}", flush=True)
            return
        raise AssertionError(f"the server accepted {tls.version()}")


if __name__ == "__main__":
    try:
        mode, arguments = sys.argv[1], sys.argv[2:]
        if mode == "server" and len(arguments) == 2:
            server(*arguments)
        elif mode == "client" and len(arguments) in (2, 4):
            client(int(arguments[0]), *arguments[1:])
        elif mode == "tls11" and len(arguments) == 1:
            tls11(int(arguments[0]))
        else:
            print(__doc__, file=sys.stderr)
            sys.exit(2)
    except Exception as error:  # noqa: BLE001 - report anything as a failed check
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
