#!/usr/bin/env python3
"""Tables of medians for bench/compare.sh results.

usage: bench/compare.py RESULT_FILE...

One table per transport and message size (64 B, 64 KiB): rows are one-way
latency and throughput, columns are MultiSocket's medians (bare socket and
the protocol pattern), each peer's median, the best peer, and the ratios
ours/best-peer and ours/NNG.  Then the many-connection table: one row per
I/O-thread count of ours and one per peer, with requests/s, p50/p99 round
trip and the ratio to the best peer.  With tls+tcp rows (ours only: the
peers' perf tools have no TLS), a line gives ours tls+tcp ÷ ours tcp at
64 KiB against the target of 0.7.  The tables are aligned Markdown:
readable in a terminal and paste-able as is.  A cell whose every sample
failed shows FAIL.
"""
import re
import statistics
import sys
from collections import defaultdict

PEER_ORDER = ["nng", "nng-pynng", "nanomsg", "zmq"]
TRANSPORT_ORDER = ["inproc", "ipc", "tcp", "tls+tcp", "ws", "sp+ipc", "sp+tcp"]
TLS_TARGET = 0.7  # issue 13: ours over tls+tcp at 64 KiB, at least this share of ours over tcp
# peer row pattern -> (latency pattern, throughput pattern, label)
PEER_ROWS = [
    ("reqrep", "pushpull", "req/rep · push/pull"),
    ("pair", "pair", "pair"),
]
# our columns: (latency pattern, throughput pattern)
OURS = {"socket": ("socket", "socket"), "proto": ("reqrep", "pushpull")}
NOISY = 0.25  # foreign CPU share above which a sample counts as disturbed


def size_name(n):
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return "%d KiB" % (n >> 10)
    return "%d B" % n


def fmt(v, metric):
    if v is None:
        return "–"
    if metric == "lat":
        return "%.1f" % v
    if metric == "msg":
        return "{:,.0f}".format(v)
    return "{:,.0f}".format(v) if v >= 100 else "%.1f" % v


def fmt_ratio(r):
    if r is None:
        return "–"
    if r >= 10:
        return "%.0f" % r
    if r >= 0.1:
        return "%.2f" % r
    return "%.3f" % r


def family(lib):
    return lib.split("-")[0]


def version_key(lib):
    return tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.\-]", lib.partition("-")[2]) if x)


def peer_key(lib):
    fam = family(lib)
    return (PEER_ORDER.index(fam) if fam in PEER_ORDER else 99, fam, version_key(lib))


def parse(paths):
    ok = defaultdict(list)  # (lib, test, pattern, transport, size, metric) -> [values]
    failed = defaultdict(int)  # (lib, test, pattern, transport, size) -> count
    disturbed = set()  # (lib, test, pattern, transport, size) with a noisy sample
    rss = []  # (local_kib, remote_kib, count)
    # (lib, io_threads or None, connections, generator) -> [(req_s, p50_us, p99_us, server_us, gen_us)]
    many = defaultdict(list)
    many_failed = defaultdict(int)  # same keys -> count
    info = []
    noisy = 0
    total = 0
    for path in paths:
        with open(path) as f:
            for line in f:
                if line.startswith("# ") and not line.startswith("# rep "):
                    info.append(line[2:].rstrip())
                    continue
                if not (line.startswith("RESULT ") or line.startswith("FAIL ")):
                    continue
                kv = dict(re.findall(r"([\w.]+)=(\S+)", line))
                try:
                    key = (kv["lib"], kv["test"], kv["pattern"], kv["transport"], int(kv["size"]))
                except KeyError:
                    continue
                if kv["test"] == "many":
                    mkey = (kv["lib"], kv.get("io_threads"), int(kv.get("connections", 0)),
                            kv.get("generator", "own"))
                    if line.startswith("FAIL "):
                        many_failed[mkey] += 1
                    else:
                        total += 1
                        if float(kv.get("foreign", 0)) > NOISY:
                            noisy += 1
                            disturbed.add(mkey)
                        many[mkey].append((float(kv["req_s"]), float(kv["p50_us"]), float(kv["p99_us"]),
                                           number(kv.get("server_us")), number(kv.get("gen_us"))))
                    continue
                if line.startswith("FAIL "):
                    failed[key] += 1
                    continue
                total += 1
                if float(kv.get("foreign", 0)) > NOISY:
                    noisy += 1
                    disturbed.add(key)
                if kv["test"] == "lat":
                    ok[key + ("lat",)].append(float(kv["lat_us"]))
                elif kv["test"] == "thr":
                    ok[key + ("msg",)].append(float(kv["msg_s"]))
                    # from msg/s, not the rounded mb_s, so both rows give the same ratios
                    ok[key + ("mb",)].append(float(kv["msg_s"]) * int(kv["size"]) / 1e6)
                elif kv["test"] == "rss":
                    rss.append((int(kv["local_rss_kib"]), int(kv["remote_rss_kib"]), int(kv["count"])))
    # a FAIL line may name a peer by family only ("zmq"): file it under the
    # one reported name of that family ("zmq-4.3.4"), if there is one
    names = {k[0] for k in ok}
    for key in list(failed):
        if key[0] not in names:
            same = [n for n in names if family(n) == family(key[0])]
            if len(same) == 1:
                failed[(same[0],) + key[1:]] += failed.pop(key)
    names |= {k[0] for k in many}
    for key in list(many_failed):
        if key[0] not in names:
            same = [n for n in names if family(n) == family(key[0])]
            if len(same) == 1:
                many_failed[(same[0],) + key[1:]] += many_failed.pop(key)
    return ok, failed, disturbed, rss, info, noisy, total, many, many_failed


def number(text):
    """A recorded figure, or None when absent or `na`."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def many_table(many, many_failed, disturbed):
    """The many-connection case, a table per load generator: ours per I/O-thread count, then each peer."""
    keys = set(many) | set(many_failed)
    if not keys:
        return None
    lines = []
    for generator in sorted({k[3] for k in keys}, key=lambda g: (g != "own", depth_of(g))):
        lines.append(many_generator_table(generator, {k for k in keys if k[3] == generator}, many, many_failed,
                                          disturbed))
    return "\n\n".join(lines)


def depth_of(generator):
    """Requests in flight per connection: `wire:16` is wire_many with MANY_DEPTH=16; `wire` and `own` keep one."""
    return int(generator.split(":")[1]) if ":" in generator else 1


def many_generator_table(generator, keys, many, many_failed, disturbed):
    wire = generator.startswith("wire")
    depth = depth_of(generator)
    ours = sorted((k for k in keys if k[0] == "multisocket"), key=lambda k: (int(k[1] or 0), k[2]))
    peers = sorted((k for k in keys if k[0] != "multisocket"), key=lambda k: (peer_key(k[0]), k[2]))
    def median(k, i):
        values = [v[i] for v in many[k] if v[i] is not None]
        return statistics.median(values) if values else None
    med = {k: tuple(median(k, i) for i in range(5)) for k in keys if many.get(k)}
    best = max((med[k][0] for k in peers if k in med), default=None)
    conns = sorted({k[2] for k in keys})
    head = ["tcp 64 B, %s connections%s, req/rep" % ("/".join(str(c) for c in conns),
                                                     ", %d in flight on each" % depth if depth > 1 else ""),
            "req/s ↑", "p50 µs ↓",
            "p99 µs ↓", "req/s ÷ best peer"]
    if wire:
        head += ["server CPU µs/req", "generator CPU µs/req"]
    rows = [head]
    for k in ours + peers:
        if k[0] == "multisocket":
            label = "ours, %s I/O thread%s" % (k[1] or "?", "" if k[1] == "1" else "s")
        else:
            label = family(k[0])
        if k in med:
            req_s, p50, p99, server_us, gen_us = med[k]
            cells = [("~" if k in disturbed else "") + "{:,.0f}".format(req_s) + ("*" if many_failed.get(k) else ""),
                     "%.1f" % p50, "%.1f" % p99, fmt_ratio(req_s / best) if best else "–"]
            if wire:
                cells += ["%.2f" % server_us if server_us is not None else "–",
                          "%.2f" % gen_us if gen_us is not None else "–"]
        else:
            cells = ["FAIL", "–", "–", "–"] + (["–", "–"] if wire else [])
        rows.append([label] + cells)
    lines = [table(rows, ["l"] + ["r"] * (len(head) - 1))]
    by_io = {k[1]: med[k][0] for k in ours if k in med}
    if "1" in by_io and len(by_io) > 1:
        lines.append("ours, N I/O threads ÷ 1 I/O thread (req/s): " + ", ".join(
            "%s: %s" % (io, fmt_ratio(v / by_io["1"])) for io, v in sorted(by_io.items(), key=lambda x: int(x[0]))
            if io != "1"))
    if wire and depth > 1:
        lines.append("The same generator with %d requests in flight on each connection (MANY_DEPTH=%d), the "
                     "requests a read frees written together: system calls are shared by several requests on "
                     "both sides, so the generator needs little CPU and a server's extra I/O threads get the "
                     "second core." % (depth, depth))
    elif wire:
        lines.append("Every server driven by the same load generator, bench/many/wire_many: one C thread on epoll "
                     "speaking the server's own wire (multisocket frames, SP, ZMTP), one connection per simulated "
                     "client with one request in flight on each. Ours: msperf local_many with "
                     "MULTISOCKET_IO_THREADS set (one answering loop per I/O thread); peers: bench/many servers. "
                     "CPU µs/req = user + system time of the process ÷ requests (the kernel's loopback TCP "
                     "work included): when server + generator CPU per request × req/s reaches the core count, "
                     "the machine is full and more server threads cannot add throughput.")
    else:
        lines.append("One load-generator process, one req socket per connection with one request in flight on "
                     "each, against one rep server process; p50/p99 = round trip (not one-way). Ours: msperf "
                     "remote_many/local_many with MULTISOCKET_IO_THREADS set in both; peers: bench/many.")
    return "\n".join(lines)


def tls_ratio(ok):
    """Ours over tls+tcp ÷ ours over tcp, throughput at 64 KiB (socket · proto), or None without both."""
    size = 64 << 10
    def median(tr, pattern):
        values = ok.get(("multisocket", "thr", pattern, tr, size, "mb"))
        return statistics.median(values) if values else None
    ratios = []
    for pattern in (OURS["socket"][1], OURS["proto"][1]):
        tls, tcp = median("tls+tcp", pattern), median("tcp", pattern)
        ratios.append(tls / tcp if tls is not None and tcp else None)
    if all(r is None for r in ratios):
        return None
    met = all(r is not None and r >= TLS_TARGET for r in ratios)
    return ("tls+tcp: ours only (the NNG, nanomsg and ZeroMQ perf tools here have no TLS). Ours tls+tcp ÷ ours "
            "tcp, throughput at %s, socket · proto: %s (target ≥ %.1f: %s)." % (
                size_name(size), " · ".join(fmt_ratio(r) for r in ratios), TLS_TARGET,
                "met" if met else "not met"))


def table(rows, align):
    """Aligned Markdown table; align: 'l' or 'r' per column."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, r in enumerate(rows):
        cells = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(r, widths, align)]
        out.append("| " + " | ".join(cells) + " |")
        if n == 0:
            out.append("|" + "|".join(("-" * (w + 1) + ":" if a == "r" else ":" + "-" * (w + 1))
                                      for w, a in zip(widths, align)) + "|")
    return "\n".join(out)


def main():
    paths = sys.argv[1:]
    if not paths or paths[0].startswith("-"):
        print(__doc__)
        return 2
    ok, failed, disturbed, rss, info, noisy, total, many, many_failed = parse(paths)
    peers = sorted(({k[0] for k in ok} | {k[0] for k in failed}) - {"multisocket"}, key=peer_key)
    # column names: the family (nng, nanomsg, zmq), with the version only when
    # one family appears twice (Debian's NNG and pynng's)
    fams = [family(p) for p in peers]
    names = {p: (f if fams.count(f) == 1 else p) for p, f in zip(peers, fams)}
    nngs = [p for p in peers if family(p) == "nng"]
    transports = sorted({k[3] for k in ok} | {k[3] for k in failed},
                        key=lambda t: (TRANSPORT_ORDER.index(t) if t in TRANSPORT_ORDER else 99, t))
    sizes = sorted({k[4] for k in ok if k[1] in ("lat", "thr")} |
                   {k[4] for k in failed if k[1] in ("lat", "thr")})
    peer_patterns = {k[2] for k in ok if k[0] != "multisocket"} | {k[2] for k in failed if k[0] != "multisocket"}
    partial = [False]
    marked = [False]

    def cell(lib, test, pattern, tr, size, metric):
        """(median or None, text)"""
        vals = ok.get((lib, test, pattern, tr, size, metric))
        nfail = failed.get((lib, test, pattern, tr, size), 0)
        if not vals:
            return None, ("FAIL" if nfail else "–")
        med = statistics.median(vals)
        text = fmt(med, metric)
        if (lib, test, pattern, tr, size) in disturbed:
            text = "~" + text
            marked[0] = True
        if nfail:
            text += "*"
            partial[0] = True
        return med, text

    for line in info:
        if line.startswith(("compare run", "host:", "multisocket")):
            print("# " + line)
    if peers:
        print("# peers: " + ", ".join(p.replace("-", " ", 1) for p in peers))
    all_peers, all_nngs = peers, nngs
    for tr in transports:
        # a transport no peer ran on (tls+tcp) gets ours only, without empty peer columns
        peers = [p for p in all_peers if any(k[0] == p and k[3] == tr for k in list(ok) + list(failed))]
        nngs = [p for p in all_nngs if p in peers]
        for size in sizes:
            metrics = []
            for lat_p, thr_p, label in PEER_ROWS:
                if lat_p not in peer_patterns and thr_p not in peer_patterns:
                    continue
                metrics.append(("lat", "lat", lat_p, "lat µs (peers %s) ↓" % label.split(" · ")[0]))
            for lat_p, thr_p, label in PEER_ROWS:
                if thr_p not in peer_patterns:
                    continue
                metrics.append(("thr", "msg", thr_p, "msg/s (peers %s) ↑" % label.split(" · ")[-1]))
                metrics.append(("thr", "mb", thr_p, "MB/s (peers %s) ↑" % label.split(" · ")[-1]))
            if not peers:
                # ours only: one row per figure, not one per peer pattern
                names_of = {"lat": "lat µs ↓", "msg": "msg/s ↑", "mb": "MB/s ↑"}
                metrics = list({(t, m): (t, m, p, names_of[m]) for t, m, p, _ in metrics}.values())
            head = ["%s %s" % (tr, size_name(size)), "ours socket", "ours proto"] + [names[p] for p in peers] + \
                   ["best peer", "ours/best sock · proto"] + ["ours/%s sock · proto" % names[p] for p in nngs]
            rows = [head]
            for test, metric, ppat, label in metrics:
                have = any(k[1] == test and k[3] == tr and k[4] == size for k in list(ok) + list(failed))
                if not have:
                    continue
                idx = 0 if test == "lat" else 1
                ours = [cell("multisocket", test, OURS[c][idx], tr, size, metric) for c in ("socket", "proto")]
                pv = [cell(lib, test, ppat, tr, size, metric) for lib in peers]
                if all(v is None and t == "–" for v, t in pv) and all(v is None and t == "–" for v, t in ours):
                    continue
                better = min if test == "lat" else max
                cands = [(v, lib) for (v, _), lib in zip(pv, peers) if v is not None]
                best = better(cands) if cands else None

                def ratios(ref):
                    if ref is None or not ref:
                        return "–"
                    return " · ".join(fmt_ratio(v / ref) if v is not None else "–" for v, _ in ours)

                row = [label] + [t for _, t in ours] + [t for _, t in pv]
                row.append("%s %s" % (fmt(best[0], metric), names[best[1]]) if best else "–")
                row.append(ratios(best[0] if best else None))
                for p in nngs:
                    row.append(ratios(pv[peers.index(p)][0]))
                rows.append(row)
            if len(rows) == 1:
                continue
            print()
            print(table(rows, ["l"] + ["r"] * (len(head) - 1)))
    tls_text = tls_ratio(ok)
    if tls_text:
        print()
        print(tls_text)
    many_text = many_table(many, many_failed, disturbed)
    if many_text:
        print()
        print(many_text)
    print()
    print("lat = one-way latency in µs (round trip / 2), lower is better (↓): a ratio below 1 means ours is faster.")
    print("msg/s, MB/s (10^6 payload bytes/s) = throughput, higher is better (↑): a ratio above 1 means ours is faster.")
    print("ours socket = bare Socket (echo with sendTo; to-one → receive-all); ours proto = Req/Rep (lat), "
          "Push/Pull (thr).")
    print("Ratios = ours ÷ peer, for ours socket · ours proto; best peer = lowest latency / highest throughput.")
    ns = [len(v) for v in ok.values()]
    if ns:
        print("Median of %s samples per cell." % (min(ns) if min(ns) == max(ns) else "%d–%d" % (min(ns), max(ns))))
    if partial[0] or any(many_failed.get(k) for k in many):
        print("* some samples of this cell failed (FAIL lines in the results file); the median is of the rest.")
    if noisy:
        print("~ %d of %d samples ran while other processes used > %d%% of the CPUs (foreign= in the results "
              "file); cells marked ~ hold at least one of them." % (noisy, total, NOISY * 100))
    if rss:
        loc = statistics.median(r[0] for r in rss) / 1024
        rem = statistics.median(r[1] for r in rss) / 1024
        print("\nPeak RSS, ours, tcp, {:,} × 64 B, bare socket (median of {}): receiver local_thr {:.1f} MiB, "
              "sender remote_thr {:.1f} MiB (max {:.1f} / {:.1f}).".format(
                  rss[0][2], len(rss), loc, rem, max(r[0] for r in rss) / 1024, max(r[1] for r in rss) / 1024))
    elif any(k[1] == "rss" for k in failed):
        print("\nPeak RSS: FAIL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
