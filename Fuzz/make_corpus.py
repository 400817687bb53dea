#!/usr/bin/env python3
"""Writes the seed corpus, Fuzz/Corpus/<Area>/<name>: valid and tricky inputs for each fuzz target.

Each file is what the target's harness reads (Fuzz/Harness): for Frames, WebSocket and Handshake two
configuration bytes (a mode or limit selector, then the read-split seed) before the bytes under test;
for Address the address text. Rerun after changing a harness's input format; the output is deterministic.
"""
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")


def write(area, name, data):
    os.makedirs(os.path.join(ROOT, area), exist_ok=True)
    with open(os.path.join(ROOT, area, name), "wb") as f:
        f.write(data)


# --- Frames: [limit selector: 0 = 64 KiB, 1 = 200 B, 2 = none][seed][stream] ---

def frame(content=b"", send=0, flags=0, ttl=16, source=(), dest=(), length=None, hops=None, distance=None):
    hops = len(source) if hops is None else hops
    distance = len(dest) if distance is None else distance
    length = len(content) if length is None else length
    head = bytes([flags | send, ttl, hops, distance]) + struct.pack(">I", length)
    ids = b"".join(struct.pack(">I", i) for i in list(source) + list(dest))
    return head + ids + content


def frames_corpus():
    hello = frame(b"hello")
    seeds = {
        "valid_small": (0, 0, hello),
        "valid_empty": (0, 0, frame()),
        "valid_to_all": (0, 0, frame(b"news", send=1)),
        "valid_paths": (0, 0, frame(b"routed", source=(7, 8, 9))),
        "valid_to_dest": (0, 0, frame(b"reply", send=2, source=(3,), dest=(11, 12, 13))),
        "valid_flags": (0, 0, frame(b"x", flags=0x04 | 0x08 | 0x20)),
        "back_to_back_bytewise": (0, 1, hello + frame(b"world", source=(1,)) + frame(send=2, dest=(5,))),
        "back_to_back_split7": (0, 7, hello * 3 + frame(b"y" * 100, send=1)),
        "split_random": (0, 200, b"".join(frame(bytes([i]) * i, source=range(i % 5)) for i in range(1, 30))),
        "at_limit_200": (1, 0, frame(b"z" * 200)),
        "over_limit_200": (1, 0, frame(b"z" * 201)),
        "huge_length": (0, 0, frame(length=0xFFFFFFFF)),
        "huge_length_no_limit": (2, 0, frame(length=0xFFFFFFFF)),
        "length_limit_plus_one": (0, 0, frame(length=64 * 1024 + 1)),
        "max_paths_header": (0, 0, frame(source=range(254), dest=range(255))),
        "hops_overflow": (0, 0, frame(hops=255, length=0)),
        "send_type_3": (0, 0, frame(b"bad", send=3)),
        "to_dest_no_destination": (0, 0, frame(b"lost", send=2)),
        "ttl_zero": (0, 0, frame(b"old", ttl=0) + hello),
        "ttl_one": (0, 0, frame(b"last hop", ttl=1)),
        "truncated_header": (0, 0, hello[:5]),
        "truncated_content": (0, 3, frame(b"0123456789")[:12]),
        "truncated_paths": (0, 0, frame(b"", source=(1, 2, 3))[:14]),
    }
    for name, (limit, seed, stream) in seeds.items():
        write("Frames", name, bytes([limit, seed]) + stream)


# --- WebSocket: [mode: bit 0 client, bit 1 raw, bits 2-3 limit (64 KiB, 200 B, none)][seed][stream] ---

SERVER, CLIENT, RAW = 0, 1, 2
LIMIT_200, NO_LIMIT = 1 << 2, 2 << 2
KEY = bytes([0x37, 0xFA, 0x21, 0x3D])


def ws(opcode, payload=b"", fin=True, masked=False, rsv=0, length_form=None):
    first = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    form = length_form or (7 if n < 126 else 16 if n <= 0xFFFF else 64)
    if form == 7:
        head = bytes([first, mask_bit | n])
    elif form == 16:
        head = bytes([first, mask_bit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([first, mask_bit | 127]) + struct.pack(">Q", n)
    if masked:
        payload = bytes(b ^ KEY[i % 4] for i, b in enumerate(payload))
        head += KEY
    return head + payload


def ws_header_only(opcode, length, masked=False, fin=True):
    first = (0x80 if fin else 0) | opcode
    mask_bit = 0x80 if masked else 0
    return bytes([first, mask_bit | 127]) + struct.pack(">Q", length) + (KEY if masked else b"")


def websocket_corpus():
    msg = frame(b"hello over ws")
    seeds = {}
    for role, masked in (("server", True), ("client", False)):
        mode = SERVER if role == "server" else CLIENT

        def f(opcode, payload=b"", **kw):
            return ws(opcode, payload, masked=masked, **kw)

        seeds.update({
            f"{role}_binary": (mode, 0, f(2, msg)),
            f"{role}_binary_bytewise": (mode, 1, f(2, msg) + f(2, frame(b"second", send=1))),
            f"{role}_raw_binary": (mode | RAW, 0, f(2, b"plain raw content")),
            f"{role}_raw_empty": (mode | RAW, 0, f(2, b"")),
            f"{role}_len16": (mode, 5, f(2, frame(b"m" * 300))),
            f"{role}_len64_small": (mode, 9, f(2, frame(b"n" * 40), length_form=64)),
            f"{role}_len64_huge": (mode, 0, ws_header_only(2, 1 << 40, masked)),
            f"{role}_len64_top_bit": (mode, 0, ws_header_only(2, 1 << 63, masked)),
            f"{role}_over_limit_200": (mode | RAW | LIMIT_200, 0, f(2, b"q" * 201)),
            f"{role}_no_limit": (mode | NO_LIMIT, 0, f(2, msg)),
            f"{role}_fragments_ping": (mode, 3, f(2, msg[:6], fin=False) + f(9, b"are you there")
                                       + f(0, msg[6:10], fin=False) + f(10, b"pong") + f(0, msg[10:])),
            f"{role}_raw_fragments": (mode | RAW, 2, f(2, b"abc", fin=False) + f(0, b"def", fin=False)
                                      + f(0, b"ghi")),
            f"{role}_fragments_over_limit": (mode | RAW | LIMIT_200, 0, f(2, b"a" * 150, fin=False)
                                             + f(0, b"b" * 51)),
            f"{role}_continuation_first": (mode, 0, f(0, msg)),
            f"{role}_binary_inside_message": (mode, 0, f(2, msg[:4], fin=False) + f(2, msg)),
            f"{role}_ping": (mode, 0, f(9, b"ping payload") + f(2, msg)),
            f"{role}_pong": (mode, 0, f(10, b"unsolicited")),
            f"{role}_close_1000": (mode, 0, f(8, struct.pack(">H", 1000) + b"bye")),
            f"{role}_close_5000": (mode, 0, f(8, struct.pack(">H", 5000))),
            f"{role}_close_empty": (mode, 0, f(8)),
            f"{role}_close_one_byte": (mode, 0, f(8, b"\x03")),
            f"{role}_close_then_more": (mode, 1, f(8, struct.pack(">H", 1001)) + f(2, msg)),
            f"{role}_ping_126": (mode, 0, f(9, b"p" * 126)),
            f"{role}_ping_fragmented": (mode, 0, f(9, b"p", fin=False)),
            f"{role}_text": (mode, 0, f(1, b"text is refused")),
            f"{role}_reserved_bits": (mode, 0, f(2, msg, rsv=0x40)),
            f"{role}_reserved_opcode": (mode, 0, f(3, b"")),
            f"{role}_control_opcode_0xb": (mode, 0, f(0xB, b"")),
            f"{role}_payload_not_a_frame": (mode, 0, f(2, b"short")),
            f"{role}_payload_longer_than_frame": (mode, 0, f(2, msg + b"extra")),
            f"{role}_expired_frame": (mode, 0, f(2, frame(b"old", ttl=0))),
            f"{role}_wrong_masking": (mode, 0, ws(2, msg, masked=not masked)),
            f"{role}_truncated": (mode, 2, f(2, msg)[:9]),
        })
    for name, (mode, seed, stream) in seeds.items():
        write("WebSocket", name, bytes([mode, seed]) + stream)


# --- Handshake: [mode: bit 0 client side, bit 1 subprotocol offered][seed][bytes] ---

CLIENT_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def http(start, headers, tail="\r\n"):
    return (start + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + tail).encode()


def handshake_corpus():
    good = [("Host", "example.com:80"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", CLIENT_KEY), ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Protocol", "multisocket.binary")]

    def without(name):
        return [h for h in good if h[0] != name]

    def replaced(name, value):
        return [(n, value if n == name else v) for n, v in good]

    requests = {
        "request_valid": http("GET /chat HTTP/1.1", good),
        "request_no_subprotocol": http("GET / HTTP/1.1", without("Sec-WebSocket-Protocol")),
        "request_lowercase": http("GET /a?b=c HTTP/1.1", [(n.lower(), v) for n, v in good]),
        "request_repeated_fields": http("GET / HTTP/1.1", good + [("Connection", "keep-alive"),
                                                                  ("Sec-WebSocket-Protocol", "other, x")]),
        "request_connection_list": http("GET / HTTP/1.1", replaced("Connection", "keep-alive, Upgrade")),
        "request_with_body_after": http("GET / HTTP/1.1", good) + b"\x82\x85abcd12345",
        "request_no_host": http("GET / HTTP/1.1", without("Host")),
        "request_no_upgrade": http("GET / HTTP/1.1", without("Upgrade")),
        "request_no_connection": http("GET / HTTP/1.1", without("Connection")),
        "request_version_8": http("GET / HTTP/1.1", replaced("Sec-WebSocket-Version", "8")),
        "request_key_15_bytes": http("GET / HTTP/1.1", replaced("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA")),
        "request_key_not_base64": http("GET / HTTP/1.1", replaced("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!==")),
        "request_post": http("POST / HTTP/1.1", good),
        "request_http10": http("GET / HTTP/1.0", good),
        "request_absolute_target": http("GET http://example.com/ HTTP/1.1", good),
        "request_extra_space": http("GET  / HTTP/1.1", good),
        "request_folded_line": http("GET / HTTP/1.1", good) [:-2] + b" folded\r\n\r\n",
        "request_space_before_colon": http("GET / HTTP/1.1", good + [("Bad ", "x")]),
        "request_no_colon": http("GET / HTTP/1.1", good)[:-2] + b"no colon here\r\n\r\n",
        "request_empty_start_line": b"\r\n" + http("GET / HTTP/1.1", good),
        "request_bare_lf": http("GET / HTTP/1.1", good).replace(b"\r\n", b"\n") + b"\r\n\r\n",
        "request_no_blank_line": http("GET / HTTP/1.1", good, tail=""),
        "request_invalid_utf8": http("GET /\xff\xfe HTTP/1.1", good).replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe"),
        "request_nul": http("GET /\x00 HTTP/1.1", good),
        "request_oversize": http("GET / HTTP/1.1", good + [("X-Filler", "f" * 8300)]),
    }
    for name, data in requests.items():
        seed = 1 if name == "request_valid" else 13 if name == "request_with_body_after" else 0
        write("Handshake", name, bytes([0, seed]) + data)
    ok = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", ACCEPT)]
    responses = {
        "response_valid": (1, http("HTTP/1.1 101 Switching Protocols", ok)),
        "response_valid_subprotocol": (3, http("HTTP/1.1 101 Switching Protocols",
                                               ok + [("Sec-WebSocket-Protocol", "multisocket.binary")])),
        "response_missing_subprotocol": (3, http("HTTP/1.1 101 Switching Protocols", ok)),
        "response_unoffered_subprotocol": (1, http("HTTP/1.1 101 Switching Protocols",
                                                   ok + [("Sec-WebSocket-Protocol", "chat")])),
        "response_wrong_accept": (1, http("HTTP/1.1 101 Switching Protocols",
                                          ok[:2] + [("Sec-WebSocket-Accept", "AAAA")])),
        "response_extension": (1, http("HTTP/1.1 101 Switching Protocols",
                                       ok + [("Sec-WebSocket-Extensions", "permessage-deflate")])),
        "response_404": (1, http("HTTP/1.1 404 Not Found", [("Content-Length", "0")])),
        "response_400": (1, http("HTTP/1.1 400 Bad Request", [("Connection", "close")]) + b"nope\n"),
        "response_no_reason": (1, http("HTTP/1.1 101", ok)),
        "response_not_http": (1, b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
        "response_status_text": (1, http("HTTP/1.1 abc Huh", ok)),
    }
    for name, (mode, data) in responses.items():
        write("Handshake", name, bytes([mode, 0]) + data)


# --- Address: the text ---

def address_corpus():
    texts = [
        "tcp://127.0.0.1:5555", "tcp://*:0", "tcp://localhost:65535", "tcp://[::1]:80", "tcp://::1:80",
        "tcp://[fe80::1%eth0]:9", "TCP://Host:1", "tcp://host", "tcp://:80", "tcp://h:65536", "tcp://h:-1",
        "tcp://h: 80", "tcp://[::1]80", "tcp://[::1", "tcp://]:1", "tcp://h:+80",
        "ipc:///tmp/multisocket.sock", "ipc://relative/path", "ipc://", "ipc:///" + "p" * 110,
        "inproc://name", "inproc://with spaces/and:colons", "inproc://",
        "ws://*:0/", "ws://example.com:80", "ws://[::1]:8080/a/b?q=1", "ws://h:80/path%20x", "ws://h:80/a b",
        "ws://h:80/#frag", "ws://h:80/\x7f", "ws://h/", "ws://:80/", "ws://h:80:90/x",
        "udp://h:1", "http://h:80", "://x", "tcp:/h:1", "no scheme at all", "", "\u00e9://\u00e9:1",
        # Found by the fuzzer: brackets outside an IPv6 literal (see FuzzRegressionTests).
        "ws://_]I:0:0", "ws://]Uzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz!I:0:0", "tcp://[[::1]:80",
        # The query: per-endpoint options, good and bad.
        "tcp://127.0.0.1:5555?maxReceiveSize=1048576&raw=true", "tcp://h:1?raw=yes", "tcp://h:1?colour=blue",
        "ipc:///tmp/x?partialFrameTimeout=250ms&maxReconnectInterval=none", "inproc://x?raw=true",
        "tcp://h:1?raw=true&raw=false", "ws://h:1/p?acceptBacklog=1&tcpNoDelay=false", "tcp://h:1/x", "tcp://h:1?",
    ]
    for index, text in enumerate(texts):
        write("Address", f"address_{index:02}", text.encode())


# --- SPFrames: [configuration: bit 0 ipc, bits 1-2 limit (64 KiB, 200 B, none), bits 3-5 protocol
#     (pair, sub, req, rep, surveyor, respondent), bit 6 an incompatible peer][seed][stream after the header] ---

def sp_corpus():
    def unit(body, ipc=False, length=None, kind=1):
        length = len(body) if length is None else length
        return (bytes([kind]) if ipc else b"") + struct.pack(">Q", length) + body

    def words(*values):
        return b"".join(struct.pack(">I", v) for v in values)

    def config(ipc=False, limit=0, proto=0, mismatch=False):
        return (1 if ipc else 0) | limit << 1 | proto << 3 | (0x40 if mismatch else 0)

    request = words(0x80000001) + b"hello"
    seeds = {
        "pair_two_messages": (config(proto=0), unit(b"one") + unit(b"two")),
        "sub_empty_message": (config(proto=1), unit(b"")),
        "rep_request": (config(proto=3), unit(request)),
        "rep_request_two_hops": (config(proto=3), unit(words(7, 9) + request)),
        "rep_request_fifteen_hops": (config(proto=3), unit(words(*range(1, 16)) + request)),
        "rep_request_sixteen_hops": (config(proto=3), unit(words(*range(1, 17)) + request)),
        "rep_request_no_id": (config(proto=3), unit(words(7, 9))),
        "rep_request_short_id": (config(proto=3), unit(b"\x80\x00")),
        "req_reply_with_hops": (config(proto=2), unit(words(3) + request)),
        "respondent_survey_ipc": (config(ipc=True, proto=5), unit(request, ipc=True)),
        "surveyor_answer_ipc_bad_type": (config(ipc=True, proto=4), unit(request, ipc=True, kind=2)),
        "rep_at_limit_200": (config(limit=1, proto=3), unit(words(0x80000001) + b"x" * 200)),
        "rep_over_limit_200": (config(limit=1, proto=3), unit(words(0x80000001) + b"x" * 201)),
        "pair_length_claim_huge": (config(proto=0), unit(b"", length=1 << 62)),
        "pair_length_claim_max": (config(limit=2, proto=0), unit(b"", length=(1 << 64) - 1)),
        "rep_truncated": (config(proto=3), unit(request)[:-2]),
        "rep_incompatible_peer": (config(proto=3, mismatch=True), unit(request)),
    }
    for name, (configuration, stream) in seeds.items():
        for seed in (0, 1, 7):
            write("SPFrames", f"{name}_split{seed}", bytes([configuration, seed]) + stream)


if __name__ == "__main__":
    shutil.rmtree(ROOT, ignore_errors=True)
    frames_corpus()
    websocket_corpus()
    handshake_corpus()
    address_corpus()
    sp_corpus()
