#!/usr/bin/env python3
"""gen_capture.py - deterministic generator of large, realistic socket-table captures.

Writes saved `netstat`, `ss` and `conntrack` output of one busy web/app host at any
size, in the exact shapes the real tools produce when their output goes to a file
(copied from the real captures in samples/: iproute2 6.1 ss, net-tools 2.10 netstat,
conntrack-tools 1.4.7), for sockscope benchmarks.  Python 3 standard library only.

Usage
    python3 benches/gen_capture.py FORMAT (--size 300M | --sockets N) [--seed 42]
                                   [--snapshots N] -o FILE
    e.g.  python3 benches/gen_capture.py ss --size 300M -o /tmp/ss-300M.txt
          python3 benches/gen_capture.py ss-loop --size 100M --snapshots 60 -o /tmp/loop.log

    --size       target size: 300M, 20M, 512K, 1G, 1.5G (K/M/G are 1024-based; a
                 trailing B or iB is accepted).  Files come out within ~1-2% of it.
    --sockets N  instead of --size: TCP sockets of the table (ss/netstat, the 12
                 listeners included; loops: of the first snapshot, the later ones
                 drift), or conntrack entries.
    --seed       RNG seed (default 42).  The same arguments and seed give a
                 byte-identical file and truth (no clock, no hash-order dependence).
                 With --sockets, ss, ss-p, ss-i, netstat and netstat-neopa describe the
                 very same sockets.
    --snapshots  iterations of the loop formats (default 60, one second apart).
    -o FILE      output ('-' = stdout; the truth file then needs --truth).
    --truth F    truth JSON path (default FILE.truth.json).
    --netstat-mapped ipv4|ffff   how netstat shows v4-mapped addresses of dual-stack
                 sockets: ipv4 (default; what net-tools 2.10 prints, `tcp6 ...
                 10.1.2.3:8080`) or ffff (older net-tools: `::ffff:10.1.2.3:8080`).
    --conntrack-trailer end|spliced   end (default): the trailer is the last line, as
                 with `stdbuf -oL conntrack -L 2>&1`; spliced: where a plain
                 `conntrack -L 2>&1 >file` leaves it - glued into the entry that spans
                 the last 4 KiB stdout block boundary (see samples/README.md).
    --start      time of the first loop snapshot, UTC (default 2026-11-25T20:44:11).

FORMATs (the command each imitates)
    netstat        netstat -an        tcp then tcp6 rows (IPv4, IPv6, v4-mapped), a few
                                      udp/udp6 rows, a short "Active UNIX domain sockets"
                                      section.  Without -W net-tools cuts addresses so
                                      that addr:port fits 23 columns (the port is kept):
                                      long IPv6 peers appear as `2001:db8:426d:203:55070`.
    netstat-neopa  netstat -W -neopa  + User, Inode, PID/Program name (cut at 19 chars:
                                      `1016/sshd: core [pr`, `812/redis-server 12`, `-`
                                      for TIME_WAIT/SYN_RECV/orphans) and Timer
                                      (off/on/keepalive/timewait/probe); -W: never cut.
    ss             ss -tan            no Netid column; [v6]:port, [::ffff:a.b.c.d]:port,
                                      *:port (dual-stack listeners), 127.0.0.53%lo:53.
    ss-p           ss -tanp           users:(("nginx",pid=1204,fd=56)) on most rows; the
                                      nginx listeners list master + 4 workers.
    ss-i           ss -tanpi          every socket is followed by a TAB-indented tcp_info
                                      line (cubic, rates as plain "%.0fbps" like ss -n
                                      prints them), empty for TIME-WAIT, SYN-RECV and
                                      orphaned FIN-WAIT-2, padded to the longest one.
    conntrack      conntrack -L -o extended 2>&1   tcp in all states ([ASSURED],
                                      [UNREPLIED]), udp (DNS, NTP, syslog, QUIC), icmp
                                      (type/code/id), ipv6/icmpv6; one trailer line
                                      `conntrack v1.4.7 (conntrack-tools): N flow entries
                                      have been shown.` with the right N.
    ss-loop        while true; do date; ss -tan; sleep 1; done
    netstat-loop   while true; do date -Is; netstat -tan; sleep 1; done
                                      the mix drifts: connections close (ESTABLISHED ->
                                      TIME-WAIT / FIN-WAIT / CLOSE-WAIT, keeping their
                                      4-tuple), TIME-WAIT sockets expire after 60 s, a
                                      burst of short connections makes TIME-WAIT and
                                      SYN-RECV rise and fall mid-capture, CLOSE-WAIT grows
                                      steadily (a leak), new sockets appear at hash
                                      positions; per-snapshot counts are in the truth.

Column layout (why the output looks exactly like the tools')
    ss        Not on a tty, ss 6.1 makes every column as wide as its longest field (plus
              its 1-space delimiter), nothing more.  Fields are buffered as tokens in
              1 MiB chunks and rendered whenever a line ends with 5 chunks in use - about
              every 4 MiB of fields - and the widths only grow, so in a big table the
              IPv4 part (printed first) is narrower than the IPv6 part.  This is replayed
              token by token; fed the rows of a real 72k-socket `ss -tan`/`-tanp`/`-tanpi`
              table, it reproduced real ss 6.1 output byte for byte.  Recv-Q/Send-Q are
              "%-6d"; with -i the tcp_info text belongs to the Process field, so each
              continuation line is padded to the longest one.
    netstat   printf("%-4s  %6ld %6ld %-*s %-*s %-11s") with width max(23, len);
              -e/-o/-p add " %-10d %-10lu %-20s %s"; UNIX rows are
              "%-5s %-6ld %-11s %-10s %-13s %-8lu[ %-20s] %s".
    conntrack "%-8s %u " for the l3 and l4 protocol columns.

The host (the same for every format)
    10.0.4.21 / 2001:db8:4:21::15 with 12 listeners: sshd 22, nginx 80/443 (v4 + v6),
    systemd-resolved 127.0.0.53%lo:53, pgbouncer 5432, redis 127.0.0.1:6379, memcached
    127.0.0.1:11211, java on dual-stack *:8080 (IPv4 clients appear v4-mapped) and
    node_exporter on *:9100.  Inbound connections come from --clients IPv4 peers
    (default 100,000; 10.0.0.0/8, 172.16.0.0/12) and a tenth as many IPv6 peers (ULA, 2001:db8:x:y::z, full 8-group) drawn from a
    Zipf-like law, so top-N is meaningful (IPv6 peers long enough to be cut by netstat
    -an are kept out of the 30 busiest ranks); java <-> redis/memcached loopback
    connections appear as two rows; outbound connections go from even ephemeral ports
    32768-60998 to 10.1.2.x:5432, 10.1.3.x:6379, 10.1.8.x:443, [2001:db8:1:8::x]:443.
    A peer's source ports follow a per-peer permutation of its OS's range, so 4-tuples
    are unique until a (peer, service) pair has used that whole range (which only the
    busiest peers of multi-million-socket single tables do).
    TCP rows other than listeners, in expectation: ESTABLISHED 55%, TIME_WAIT 27%,
    CLOSE_WAIT 6%, FIN_WAIT2 4%, SYN_SENT 2.5%, SYN_RECV 2.5%, FIN_WAIT1 1.6%,
    LAST_ACK 1.2%, CLOSING 0.2%.  Recv-Q/Send-Q are non-zero where the kernel shows them
    (SYN-SENT/LAST-ACK Send-Q 1, unsent data on ~3% of ESTABLISHED, a few multi-MB,
    unread data, a full accept queue); ss LISTEN rows show the backlog (128, 511, 1024,
    4096) as Send-Q.

Truth file (FILE.truth.json; counted while writing, in sockscope's vocabulary)
    format, command, seed, bytes, lines, snapshots
    total            socket rows: TCP + UDP for netstat (UNIX rows are in "unix"), TCP
                     for ss; conntrack: entries
    states           TCP sockets per state, kernel/netstat names (ESTABLISHED, SYN_SENT,
                     SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT,
                     LAST_ACK, LISTEN, CLOSING); conntrack: TCP entries per conntrack
                     state (SYN_SENT ... FIN_WAIT ... CLOSE)
    protocols        {"tcp", "udp"}; conntrack {"tcp", "udp", "icmp", "icmpv6"}
    families         {"ipv4", "ipv6"} by socket family (tcp6/udp6 rows, v4-mapped and
                     dual-stack ones included, are ipv6); conntrack: l3 protocol
    top_remote       the 10 busiest remote addresses [{"addr", "count"}]: v4-mapped peers
                     count as their IPv4 address, wildcards (0.0.0.0, *, ::, [::]) are not
                     remote addresses, UDP peers count; conntrack: original destination
    remote_distinct  number of distinct remote addresses
    top_local_ports  the 10 busiest local ports [{"port", "count"}] over all socket rows,
                     listeners included; conntrack: original destination port
                     (ties: count descending, then address string / port number
                     ascending, like sockscope)
    conntrack        {"assured", "unreplied", "top_src"} (conntrack only)
    unix, netstat_truncated_rows   netstat only: UNIX rows; rows whose address was cut
    printed          netstat -an / netstat-loop (-tan): {"top_remote", "remote_distinct"}
                     over the remote addresses as printed, i.e. cut ones as cut (the
                     fields above use the real addresses)
    per_snapshot     loops: [{"index", "date", "total", "states", "protocols",
                     "families", "top_remote", "remote_distinct", "top_local_ports"}]; the
                     top level then sums all snapshots
At the end the same numbers (bytes, lines, sockets, snapshots, TCP states) go to stderr
with the generation speed.
"""

import argparse
import bisect
import datetime
import ipaddress
import io
import itertools
import json
import math
import operator
import random
import re
import sys
import time
from collections import Counter

# ----------------------------------------------------------------------------- states
# kernel numbering (include/net/tcp_states.h)
EST, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, \
    LISTEN, CLOSING = range(1, 12)
STATE_NAMES = (None, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
               "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING")
SS_NAMES = ("UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
            "TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING")
REPORT_STATES = (EST, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE,
                 CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING)
# target mix of non-listener TCP rows (percent)
STATE_TARGET = {EST: 55.0, TIME_WAIT: 27.0, CLOSE_WAIT: 6.0, FIN_WAIT2: 4.0,
                SYN_SENT: 2.5, SYN_RECV: 2.5, FIN_WAIT1: 1.6, LAST_ACK: 1.2, CLOSING: 0.2}

CT_STATES = ("SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK",
             "TIME_WAIT", "CLOSE")
CT_TARGET = {"ESTABLISHED": 55.0, "TIME_WAIT": 25.0, "CLOSE_WAIT": 5.0, "FIN_WAIT": 4.0,
             "SYN_SENT": 2.5, "SYN_RECV": 2.5, "LAST_ACK": 1.2, "CLOSE": 0.8}
CT_TIMEOUT = {"ESTABLISHED": 432000, "TIME_WAIT": 120, "CLOSE_WAIT": 60, "FIN_WAIT": 120,
              "SYN_SENT": 120, "SYN_RECV": 60, "LAST_ACK": 30, "CLOSE": 10}

PORTS = [str(i) for i in range(65536)]
PORTS[0] = "*"

# row tuple layout (the canonical socket record every socket format is printed from)
R_FAM, R_ST, R_RQ, R_SQ, R_LA, R_LP, R_RA, R_RP, R_PROC, R_UID, R_FL = range(11)
# R_FL bits: 0..1 path class (0 loopback, 1 LAN, 2 WAN), 4 keepalive, 8 listener
FL_LOOP, FL_LAN, FL_WAN, FL_KA, FL_LISTEN = 0, 1, 2, 4, 8

EPH_LO, EPH_N, EPH_STEP = 32768, 14116, 2   # connect() uses even ports of 32768-60999
STRIDE = 10007                               # prime, coprime with every port range size


def parse_size(text):
    """300M, 20M, 512K, 1G, 1.5G, 300MB, 300MiB, 123456 -> bytes (K/M/G are 1024-based)."""
    t = text.strip().upper()
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([KMG]?)(I?B)?", t)
    if not m:
        raise argparse.ArgumentTypeError("bad size %r (use e.g. 300M, 20M, 512K, 1G)" % text)
    v = float(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]
    if v < 1:
        raise argparse.ArgumentTypeError("size must be positive")
    return int(v)


class QMap(dict):
    """value -> formatted string cache (fmt % value)."""
    def __init__(self, fmt):
        super().__init__()
        self.fmt = fmt

    def __missing__(self, v):
        s = self[v] = self.fmt % v
        return s


def quantized_table(items, weights, size=1 << 18):
    """items repeated in proportion to weights (largest-remainder rounding to `size`
    slots): an unweighted rng.choices() on it is a fast weighted draw."""
    tot = float(sum(weights))
    exact = [w * size / tot for w in weights]
    cnt = [int(e) for e in exact]
    rest = size - sum(cnt)
    order = sorted(range(len(items)), key=lambda i: (-(exact[i] - cnt[i]), i))
    for i in order[:rest]:
        cnt[i] += 1
    table = []
    for it, c in zip(items, cnt):
        table.extend([it] * c)
    return table


def ipf_fit(groups, targets, rows_of, iters=300):
    """Fit draw weights W[g][s] = a_g * b_s * aff[g][s] so that the expected *rows*
    per group and per state match the group shares and the state targets
    (iterative proportional fitting).  rows_of(g, s) -> list of row states a draw of
    (g, s) produces (loopback pairs produce two rows)."""
    tsum = sum(targets.values())
    tgt = {s: v / tsum for s, v in targets.items()}
    gsum = sum(g["share"] for g in groups)
    a = [1.0] * len(groups)
    b = {s: 1.0 for s in tgt}
    for _ in range(iters):
        W = [{s: a[i] * b[s] * aff for s, aff in g["aff"].items()} for i, g in enumerate(groups)]
        rs = {s: 0.0 for s in tgt}
        for i, g in enumerate(groups):
            for s, w in W[i].items():
                for s2 in rows_of(g, s):
                    rs[s2] += w
        tot = sum(rs.values())
        for s in b:
            if rs[s] > 0:
                b[s] *= tgt[s] / (rs[s] / tot)
        W = [{s: a[i] * b[s] * aff for s, aff in g["aff"].items()} for i, g in enumerate(groups)]
        gr = [sum(w * len(rows_of(g, s)) for s, w in W[i].items()) for i, g in enumerate(groups)]
        tot = sum(gr)
        for i, g in enumerate(groups):
            a[i] *= (g["share"] / gsum) / (gr[i] / tot)
    return [{s: a[i] * b[s] * aff for s, aff in g["aff"].items()} for i, g in enumerate(groups)]


# ============================================================================ model
class Model:
    """The host: addresses, peer pools, processes, listeners and the socket classes
    (weighted (group, service, peer family, state) combinations rows are drawn from)."""

    HOST4 = "10.0.4.21"
    HOST6 = "2001:db8:4:21::15"

    def __init__(self, seed, mapped_style="ipv4", clients=100000, zipf=0.8):
        mr = random.Random("model-%d" % seed)       # model construction only
        # --- address table: per id the ss token ("addr:"), the netstat text and the
        #     truth key (None = wildcard; v4-mapped addresses have the IPv4 key)
        self.A_SS, self.A_NS, self.A_KEY = [], [], []
        self.mapped_style = mapped_style

        def add(ss, ns, key):
            self.A_SS.append(ss)
            self.A_NS.append(ns)
            self.A_KEY.append(key)
            return len(self.A_SS) - 1
        self._add = add

        def add4(ip):            # plain IPv4 socket address
            return add(ip + ":", ip, ip)

        def add4m(ip):           # IPv4-mapped address of an AF_INET6 socket
            ns = ip if mapped_style == "ipv4" else "::ffff:" + ip
            return add("[::ffff:%s]:" % ip, ns, ip)

        def add6(ip):
            return add("[%s]:" % ip, ip, ip)
        self.add4, self.add4m, self.add6 = add4, add4m, add6

        self.A_ANY4 = add("0.0.0.0:", "0.0.0.0", None)
        self.A_ANY6 = add("[::]:", "::", None)          # v6only listener
        self.A_STAR = add("*:", "::", None)             # dual-stack listener
        self.A_H4 = add4(self.HOST4)
        self.A_H4M = add4m(self.HOST4)
        self.A_H6 = add6(self.HOST6)
        self.A_LO4 = add4("127.0.0.1")
        self.A_RESOLVED = add("127.0.0.53%lo:", "127.0.0.53", "127.0.0.53")

        # --- IPv4 peers: `clients` of them (default 100,000) in clients/23 /24s
        #     (at least 130), 80% in 10/8, 20% in 172.16/12
        v4 = []
        seen = {self.HOST4}
        subnets = []
        n_subnets = max(130, clients // 23)
        while len(subnets) < n_subnets:
            if mr.random() < 0.8:
                a, b_ = 10, mr.choice([0] + list(range(2, 255)))     # 10.1/16: backends
                c = mr.randrange(0, 256)
                if b_ == 0 and c in (2, 3, 4):
                    continue
                net = (a, b_, c)
            else:
                net = (172, mr.randrange(16, 32), mr.randrange(0, 256))
            if net not in subnets:
                subnets.append(net)
        while len(v4) < clients:
            n = subnets[int(mr.random() ** 1.6 * len(subnets))]   # some subnets busier
            ip = "%d.%d.%d.%d" % (n[0], n[1], n[2], mr.randrange(1, 255))
            if ip not in seen:
                seen.add(ip)
                v4.append(ip)
        # --- IPv6 peers: clients/10; short, ULA and full 8-group forms (canonical inet_ntop text)
        v6 = []
        seen6 = set()
        while len(v6) < max(1, clients // 10):
            r = mr.random()
            if r < 0.45:
                x = (0x20010db8 << 96) | (mr.randrange(1, 0xffff) << 80) | \
                    (mr.randrange(0, 0xffff) << 64) | mr.randrange(1, 0xffff)
            elif r < 0.70:
                x = (0xfd00 << 112) | (mr.randrange(1, 0xffff) << 96) | mr.randrange(1, 0x1000)
            else:
                x = 0x20010db8 << 96
                for sh in (80, 64, 48, 32, 16, 0):
                    x |= mr.randrange(0x100, 0x10000) << sh
            s = ipaddress.IPv6Address(x).compressed
            if s not in seen6:
                seen6.add(s)
                v6.append(s)
        self.v4_peers, self.v6_peers = v4, v6

        # --- Zipf-like ranks over all web peers; long IPv6 (cut by netstat -an) not in top 30
        peers = [(4, ip) for ip in v4] + [(6, ip) for ip in v6]
        mr.shuffle(peers)
        top = [p for p in peers if not (p[0] == 6 and len(p[1]) > 17)]
        longs = [p for p in peers if p[0] == 6 and len(p[1]) > 17]
        peers = top[:30] + sorted(top[30:] + longs, key=lambda p: mr.random())
        weight = [1.0 / (k + 2.0) ** zipf for k in range(1, len(peers) + 1)]
        w4 = [(w, ip) for w, (f, ip) in zip(weight, peers) if f == 4]
        w6 = [(w, ip) for w, (f, ip) in zip(weight, peers) if f == 6]
        self.web_v4_mass = sum(w for w, _ in w4) / sum(weight)

        def port_params(n):      # per client: source port range (OS) and permutation seed
            out = []
            for _ in range(n):
                r = mr.random()
                if r < 0.65:
                    lo, cnt, step = 32768, 14116, 2      # Linux connect(): even ports
                elif r < 0.85:
                    lo, cnt, step = 49152, 16384, 1      # Windows / IANA dynamic range
                else:
                    lo, cnt, step = 1024, 64512, 1       # NAT gateways
                out.append((lo, cnt, step, mr.randrange(cnt)))
            return out

        def pool(ids, weights, portp):
            """a set of peers: address ids per representation, draw weights, and per
            member (source port range start, size, step, permutation offset)"""
            return {"ids": ids, "w": list(weights), "portp": portp, "n": len(weights)}

        ip4 = [ip for _, ip in w4]
        self.WEB4 = pool({"plain": [add4(ip) for ip in ip4], "mapped": [add4m(ip) for ip in ip4]},
                         [w for w, _ in w4], port_params(len(ip4)))
        self.WEB4["ct"] = ip4
        ip6 = [ip for _, ip in w6]
        self.WEB6 = pool({"plain": [add6(ip) for ip in ip6]}, [w for w, _ in w6],
                         port_params(len(ip6)))
        self.WEB6["ct"] = ip6
        app = ["10.0.2.%d" % i for i in mr.sample(range(10, 250), 24)]
        self.APP = pool({"plain": [add4(ip) for ip in app]},
                        [1.0 / (k + 1) ** 0.8 for k in range(len(app))],
                        [(32768, 14116, 2, mr.randrange(14116)) for _ in app])
        self.APP["ct"] = app
        adm = ["10.0.0.5", "10.0.0.6", "10.0.0.17", "172.16.0.10", "172.16.8.44"]
        self.ADMIN = pool({"plain": [add4(ip) for ip in adm]}, [5, 3, 2, 1, 1],
                          port_params(len(adm)))
        self.ADMIN["ct"] = adm
        prom = ["10.0.3.10", "10.0.3.11", "10.0.3.12"]
        self.PROM = pool({"mapped": [add4m(ip) for ip in prom], "plain": [add4(ip) for ip in prom]},
                         [1, 1, 1], [(32768, 14116, 2, mr.randrange(14116)) for _ in prom])
        self.PROM["ct"] = prom

        def backend_pool(ips, fam, weights):
            ids = [add4(ip) if fam == 4 else add6(ip) for ip in ips]
            # outbound: our own ephemeral ports; one permutation per backend
            pp = [(EPH_LO, EPH_N, EPH_STEP, mr.randrange(EPH_N)) for _ in ips]
            p = pool({"plain": ids}, weights, pp)
            p["ct"] = ips
            return p
        self.B_PG = backend_pool(["10.1.2.%d" % i for i in range(11, 17)], 4, [6, 5, 4, 3, 2, 1])
        self.B_REDIS = backend_pool(["10.1.3.%d" % i for i in range(21, 25)], 4, [4, 3, 2, 1])
        self.B_HTTPS4 = backend_pool(["10.1.8.%d" % i for i in mr.sample(range(2, 250), 12)], 4,
                                     [1.0 / (k + 1) for k in range(12)])
        self.B_HTTPS6 = backend_pool(["2001:db8:1:8::%x" % i for i in (0xa, 0xb, 0xc, 0x1d)], 6,
                                     [4, 3, 2, 1])
        # loopback "pools" (the peer is 127.0.0.1; ports from our ephemeral range)
        self.LO = pool({"plain": [self.A_LO4, self.A_LO4]}, [1, 1],
                       [(EPH_LO, EPH_N, EPH_STEP, mr.randrange(EPH_N)) for _ in range(2)])
        self.LO["ct"] = ["127.0.0.1", "127.0.0.1"]

        self.A_DNS = add4("10.1.0.2")
        self.A_NTP = add4("10.1.0.5")
        self.A_SYSLOG = add4("10.1.9.5")
        self.A_LO6 = add("[::1]:", "::1", "::1")

        # netstat -an cuts addresses when len(addr) + len(port) > 22
        self.A_NSC = [ns + ":" for ns in self.A_NS]
        self.A_NSLEN = [len(ns) for ns in self.A_NS]
        self.A_LEN = [len(s) for s in self.A_SS]
        self.A_COST = [n + (n & 1) for n in self.A_LEN]

        self._processes(mr)
        self._listeners()
        self._classes()

    # ----------------------------------------------------------------- processes
    def _processes(self, mr):
        # each: (ss comm, pid, netstat "pid/cmdline" cut to 19 chars, uid)
        P = self.P = []

        def proc(comm, pid, cmdline, uid):
            P.append((comm, pid, ("%d/%s" % (pid, cmdline))[:19], uid))
            return len(P) - 1
        self.p_nginx_master = proc("nginx", 1201, "nginx: master process /usr/sbin/nginx", 0)
        self.p_nginx = [proc("nginx", pid, "nginx: worker process", 33) for pid in range(1204, 1208)]
        self.p_java = proc("java", 2250, "java", 1001)
        self.p_pgb = proc("pgbouncer", 977, "pgbouncer", 109)
        self.p_redis = proc("redis-server", 812, "redis-server 127.0.0.1:6379", 110)
        self.p_memc = proc("memcached", 790, "memcached", 111)
        self.p_node = proc("prometheus-node", 1453, "prometheus-node-exporter", 65534)
        self.p_sshd = proc("sshd", 1016, "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", 0)
        self.p_sess = []
        for user in ("core", "deploy", "core", "ubuntu", "admin", "deploy", "core", "ops"):
            pid = mr.randrange(1500, 99999)
            self.p_sess.append(proc("sshd", pid, "sshd: %s [priv]" % user, 0))
        self.p_resolved = proc("systemd-resolve", 640, "systemd-resolved", 101)
        self.p_chrony = proc("chronyd", 701, "chronyd", 107)
        self.p_rsyslog = proc("rsyslogd", 688, "rsyslogd", 0)
        # fd counters for ss -p (per process, unique)
        self.fd_next = [mr.randrange(12, 40) for _ in P]

    # ----------------------------------------------------------------- listeners
    def _listeners(self):
        m = self
        ng_all = sorted(m.p_nginx + [m.p_nginx_master], key=lambda i: -m.P[i][1])

        def users(plist, fd):
            return " users:(%s)" % ",".join('("%s",pid=%d,fd=%d)' % (m.P[i][0], m.P[i][1], fd)
                                            for i in plist)
        # (fam, local addr, port, peer wildcard, backlog (ss Send-Q), accept queue (Recv-Q),
        #  process shown by netstat -p, ss -p users string, uid)
        L4 = [
            (4, m.A_ANY4, 22, m.A_ANY4, 128, 0, m.p_sshd, users([m.p_sshd], 3), 0),
            (4, m.A_ANY4, 80, m.A_ANY4, 511, 0, m.p_nginx_master, users(ng_all, 6), 33),
            (4, m.A_ANY4, 443, m.A_ANY4, 511, 0, m.p_nginx_master, users(ng_all, 8), 33),
            (4, m.A_RESOLVED, 53, m.A_ANY4, 4096, 0, m.p_resolved, users([m.p_resolved], 14), 101),
            (4, m.A_ANY4, 5432, m.A_ANY4, 128, 0, m.p_pgb, users([m.p_pgb], 7), 109),
            (4, m.A_LO4, 6379, m.A_ANY4, 511, 0, m.p_redis, users([m.p_redis], 6), 110),
            (4, m.A_LO4, 11211, m.A_ANY4, 1024, 0, m.p_memc, users([m.p_memc], 26), 111),
        ]
        L6 = [
            (6, m.A_ANY6, 22, m.A_ANY6, 128, 0, m.p_sshd, users([m.p_sshd], 4), 0),
            (6, m.A_ANY6, 80, m.A_ANY6, 511, 0, m.p_nginx_master, users(ng_all, 7), 33),
            (6, m.A_ANY6, 443, m.A_ANY6, 511, 0, m.p_nginx_master, users(ng_all, 9), 33),
            (6, m.A_STAR, 8080, m.A_STAR, 4096, 3, m.p_java, users([m.p_java], 112), 1001),
            (6, m.A_STAR, 9100, m.A_STAR, 4096, 0, m.p_node, users([m.p_node], 3), 65534),
        ]
        self.listeners = {4: [], 6: []}
        inode = 24871
        for fam, L in ((4, L4), (6, L6)):
            for (f, la, port, ra, backlog, aq, proc, us, uid) in L:
                inode += 3 + (port % 7)
                row = (f, LISTEN, aq, backlog, la, port, ra, 0, proc, uid, FL_LISTEN)
                self.listeners[fam].append({"row": row, "users": us, "inode": inode})
        self.n_listeners = len(L4) + len(L6)

    # ----------------------------------------------------------------- classes
    def _classes(self):
        m = self
        IN, OUT, LO = 0, 1, 2
        web_v4 = self.web_v4_mass
        # group: share of rows, state affinities, sub-classes (fraction, spec)
        # spec: (kind, fam, local addr, port, svc, pool, repr, procs, uid, flags)
        G = [
            {"name": "web", "share": 0.615,
             "aff": {EST: 1.0, TIME_WAIT: 1.3, CLOSE_WAIT: 0.8, FIN_WAIT2: 1.3, SYN_RECV: 1.5,
                     FIN_WAIT1: 1.5, LAST_ACK: 1.5, CLOSING: 1.5},
             "sub": [(web_v4 * 0.62, (IN, 4, m.A_H4, 443, 1, m.WEB4, "plain", m.p_nginx, 33, FL_WAN)),
                     (web_v4 * 0.22, (IN, 4, m.A_H4, 80, 2, m.WEB4, "plain", m.p_nginx, 33, FL_WAN)),
                     (web_v4 * 0.16, (IN, 6, m.A_H4M, 8080, 3, m.WEB4, "mapped", [m.p_java], 1001, FL_WAN)),
                     ((1 - web_v4) * 0.70, (IN, 6, m.A_H6, 443, 1, m.WEB6, "plain", m.p_nginx, 33, FL_WAN)),
                     ((1 - web_v4) * 0.22, (IN, 6, m.A_H6, 80, 2, m.WEB6, "plain", m.p_nginx, 33, FL_WAN)),
                     ((1 - web_v4) * 0.08, (IN, 6, m.A_H6, 8080, 3, m.WEB6, "plain", [m.p_java], 1001, FL_WAN))]},
            {"name": "pgbouncer", "share": 0.05,
             "aff": {EST: 2.0, TIME_WAIT: 0.2, CLOSE_WAIT: 0.5, FIN_WAIT2: 0.3, SYN_RECV: 0.3,
                     LAST_ACK: 0.3, FIN_WAIT1: 0.1},
             "sub": [(1.0, (IN, 4, m.A_H4, 5432, 4, m.APP, "plain", [m.p_pgb], 109, FL_LAN))]},
            {"name": "ssh", "share": 0.002, "aff": {EST: 3.0, TIME_WAIT: 0.3, SYN_RECV: 1.0},
             "sub": [(1.0, (IN, 4, m.A_H4, 22, 5, m.ADMIN, "plain", m.p_sess, 0, FL_LAN | FL_KA))]},
            {"name": "node_exporter", "share": 0.004, "aff": {EST: 1.0, TIME_WAIT: 2.0},
             "sub": [(1.0, (IN, 6, m.A_H4M, 9100, 6, m.PROM, "mapped", [m.p_node], 65534, FL_LAN))]},
            {"name": "lo-redis", "share": 0.06, "aff": {EST: 2.0, TIME_WAIT: 0.5, CLOSE_WAIT: 0.3},
             "sub": [(1.0, (LO, 4, m.A_LO4, 6379, 0, m.LO, (m.p_redis, 110), [m.p_java], 1001, FL_LOOP))]},
            {"name": "lo-memcached", "share": 0.03, "aff": {EST: 2.0, TIME_WAIT: 0.5, CLOSE_WAIT: 0.3},
             "sub": [(1.0, (LO, 4, m.A_LO4, 11211, 1, m.LO, (m.p_memc, 111), [m.p_java], 1001, FL_LOOP))]},
            {"name": "out-postgres", "share": 0.09,
             "aff": {EST: 1.5, TIME_WAIT: 0.3, CLOSE_WAIT: 2.5, SYN_SENT: 1.0, FIN_WAIT2: 0.3,
                     FIN_WAIT1: 0.2, LAST_ACK: 0.2},
             "sub": [(1.0, (OUT, 4, m.A_H4, 5432, 0, m.B_PG, "plain", [m.p_pgb], 109, FL_LAN | FL_KA))]},
            {"name": "out-redis", "share": 0.04,
             "aff": {EST: 1.8, TIME_WAIT: 0.2, CLOSE_WAIT: 0.8, SYN_SENT: 1.0, FIN_WAIT2: 0.2},
             "sub": [(1.0, (OUT, 4, m.A_H4, 6379, 0, m.B_REDIS, "plain", [m.p_java], 1001, FL_LAN | FL_KA))]},
            {"name": "out-https", "share": 0.11,
             "aff": {EST: 0.7, TIME_WAIT: 2.0, CLOSE_WAIT: 0.5, SYN_SENT: 3.0, FIN_WAIT2: 1.5,
                     FIN_WAIT1: 0.8, LAST_ACK: 0.3, CLOSING: 0.3},
             "sub": [(0.85, (OUT, 4, m.A_H4, 443, 0, m.B_HTTPS4, "plain", m.p_nginx, 33, FL_LAN)),
                     (0.15, (OUT, 6, m.A_H6, 443, 0, m.B_HTTPS6, "plain", [m.p_java], 1001, FL_LAN))]},
        ]

        def rows_of(g, s):
            if g["name"].startswith("lo-"):
                if s == EST:
                    return (EST, EST)
                if s == CLOSE_WAIT:
                    return (CLOSE_WAIT, FIN_WAIT2)
            return (s,)
        W = ipf_fit(G, STATE_TARGET, rows_of)
        self.groups = G
        classes = []      # (weight, class tuple, rows per draw)
        for gi, g in enumerate(G):
            for s, w in W[gi].items():
                for frac, spec in g["sub"]:
                    kind, fam, la, port, svc, pl, rep, procs, uid, fl = spec
                    # no process: orphans and kernel-only sockets
                    if s in (TIME_WAIT, SYN_RECV):
                        noproc = 1.0
                    elif s in (FIN_WAIT1, LAST_ACK, CLOSING):
                        noproc = 1.0
                    elif s == FIN_WAIT2:
                        noproc = 0.8
                    elif s == EST:
                        noproc = 0.002 if kind == IN else 0.0
                    else:
                        noproc = 0.0
                    ids = pl["ids"][rep] if kind != LO else pl["ids"]["plain"]
                    tup = (kind, fam, s, la, port, svc, ids, pl["portp"], pl, procs,
                           uid if s != TIME_WAIT else 0, noproc, fl, rep, gi)
                    classes.append((w * frac, tup, len(rows_of(g, s))))
        self.classes = classes
        self.class_fam = {4: [c for c in classes if c[1][1] == 4],
                          6: [c for c in classes if c[1][1] == 6]}
        rows_tot = sum(w * r for w, _, r in classes)
        self.fam_row_share = {f: sum(w * r for w, _, r in self.class_fam[f]) / rows_tot for f in (4, 6)}


# ============================================================================ rows
class RowGen:
    """Draws canonical socket rows.  rng drives everything that defines the sockets."""

    def __init__(self, model, rng, pairs=True):
        self.m = model
        self.rng = rng
        self.pairs = pairs
        self.counters = {}
        self.streams = {}
        # this generator's copy of the class tuples: the peer pool is replaced by the
        # bound __next__ of a pre-drawn Zipf stream, the service by its counter key base
        conv = {}

        def mk(c):
            kind, fam, st, la, port, svc, ids, portp, pl, procs, uid, noproc, fl, rep, gi = c
            t = conv.get(id(c))
            if t is None:
                qm = {EST: 0 if noproc else 1, TIME_WAIT: 2, SYN_RECV: 2, LAST_ACK: 3, CLOSING: 3,
                      SYN_SENT: 4, FIN_WAIT1: 5, CLOSE_WAIT: 6, FIN_WAIT2: 7}[st]
                t = conv[id(c)] = (kind, fam, st, la, port, ids, portp, self.stream(pl),
                                   self.clist(pl), svc, procs, len(procs), uid, qm, fl, rep)
            return t
        self.table = {}
        for fam in (4, 6):
            cl = model.class_fam[fam]
            self.table[fam] = quantized_table([mk(c[1]) for c in cl], [c[0] for c in cl], 1 << 18)
        # per-state class tables (loops create new sockets of a given state)
        by_state = {}
        for fam in (4, 6):
            for w, c, _ in model.class_fam[fam]:
                by_state.setdefault(c[2], []).append((w, mk(c)))
        self.by_state_cum = {s: (list(itertools.accumulate(w for w, _ in v)), [c for _, c in v])
                             for s, v in by_state.items()}

    def clist(self, pl):
        """connection counters of pool pl, index (member << 5) | service: the k-th
        connection of a (peer, service) uses the k-th port of the peer's permutation"""
        cl = self.counters.get(id(pl))
        if cl is None:
            cl = self.counters[id(pl)] = [0] * (pl["n"] << 5)
        return cl

    def eph(self, pl, pi, svc):
        cl = self.clist(pl)
        k = (pi << 5) | svc
        c = cl[k]
        cl[k] = c + 1
        lo, n, step, h = pl["portp"][pi]
        return lo + ((h + svc * 1237 + c * STRIDE) % n) * step

    def stream(self, pl):
        """bound next() of an endless stream of Zipf-drawn member indices of pool pl"""
        it = self.streams.get(id(pl))
        if it is None:
            rng = self.rng
            table = pl.get("table")
            if table is None:
                table = pl["table"] = quantized_table(list(range(pl["n"])), pl["w"])

            ch = rng.choices

            def gen():
                while True:
                    yield from ch(table, k=4096)
            it = self.streams[id(pl)] = gen().__next__
        return it

    def draw_classes(self, fam, n):
        return self.rng.choices(self.table[fam], k=n)

    def draw_state_classes(self, st, n):
        cum, cls = self.by_state_cum[st]
        return self.rng.choices(cls, cum_weights=cum, k=n)

    def rows(self, classes):
        """Canonical rows for the drawn classes (loopback pairs add a second row at a
        random later position of the batch)."""
        rnd = self.rng.random
        exp = math.exp
        out = []
        app = out.append
        partners = []
        pairs = self.pairs
        A_LO4 = self.m.A_LO4
        for kind, fam, st, la, port, ids, portp, nextpeer, cl, svc, procs, nprocs, uid, qm, \
                fl, rep in classes:
            pi = nextpeer()
            key = (pi << 5) | svc
            cnt = cl[key]
            cl[key] = cnt + 1
            lo, n, step, h = portp[pi]
            eph = lo + ((h + svc * 1237 + cnt * STRIDE) % n) * step
            if qm < 2:                                    # ESTABLISHED
                r = rnd()
                if r < 0.045:
                    if r < 0.03:
                        rq = 0
                        sq = int(exp(rnd() * 12.9))       # 1 .. ~400 KB unsent/unacked
                        if r < 0.00015:
                            sq = 1000000 + int(rnd() * 3000000)   # rare multi-MB queue
                    else:
                        rq = int(exp(rnd() * 12.2))       # unread data
                        sq = 0
                else:
                    rq = sq = 0
                if qm == 1 or r < 0.998:
                    proc = procs[(cnt + pi) % nprocs]
                else:
                    proc = -1                             # still in the accept queue
            elif qm == 2:                                 # TIME-WAIT, SYN-RECV
                rq = sq = 0
                proc = -1
            elif qm == 3:                                 # LAST-ACK, CLOSING (orphans)
                rq, sq, proc = 0, 1, -1
            elif qm == 4:                                 # SYN-SENT
                rq, sq, proc = 0, 1, procs[(cnt + pi) % nprocs]
            elif qm == 5:                                 # FIN-WAIT-1 (orphan)
                rq, proc = 0, -1
                sq = 1 if rnd() < 0.6 else int(exp(rnd() * 13.1)) + 1
            elif qm == 6:                                 # CLOSE-WAIT
                rq = int(exp(rnd() * 8.3)) + 1 if rnd() < 0.1 else 0
                sq = 0
                proc = procs[(cnt + pi) % nprocs]
            else:                                         # FIN-WAIT-2: mostly orphans
                rq = sq = 0
                proc = -1 if rnd() < 0.8 else procs[(cnt + pi) % nprocs]
            if kind == 0:       # inbound: peer connects to our listener
                app((fam, st, rq, sq, la, port, ids[pi], eph, proc, uid, fl))
            elif kind == 1:     # outbound: our ephemeral port -> backend
                app((fam, st, rq, sq, la, eph, ids[pi], port, proc, uid, fl))
            else:               # loopback java (client) <-> redis/memcached (server)
                sproc, suid = rep
                if st == TIME_WAIT:       # client closed first: only its TIME-WAIT remains
                    app((4, TIME_WAIT, 0, 0, A_LO4, eph, A_LO4, port, -1, 0, fl))
                elif st == EST:
                    app((4, EST, rq, sq, A_LO4, port, A_LO4, eph, sproc, suid, fl))
                    if pairs:
                        partners.append((4, EST, 0, 0, A_LO4, eph, A_LO4, port, procs[0], uid, fl | FL_KA))
                else:                     # CLOSE_WAIT on the server, FIN_WAIT2 (orphan) client
                    app((4, st, rq, sq, A_LO4, port, A_LO4, eph, sproc, suid, fl))
                    if pairs:
                        partners.append((4, FIN_WAIT2, 0, 0, A_LO4, eph, A_LO4, port, -1, uid, fl))
        if partners:
            n = len(out)
            pos = sorted(int(rnd() * (n + 1)) for _ in partners)
            merged = []
            prev = 0
            for p, row in zip(pos, partners):
                merged.extend(out[prev:p])
                merged.append(row)
                prev = p
            merged.extend(out[prev:])
            out = merged
        return out

    def batch(self, fam, n):
        return self.rows(self.draw_classes(fam, n))


# ============================================================================ output
class Sink:
    """Buffered writer that counts bytes and lines."""

    def __init__(self, f, block=1 << 22):
        self.f = f
        self.buf = []
        self.pending = 0
        self.block = block
        self.bytes = 0
        self.lines = 0

    def write(self, s):
        self.buf.append(s)
        self.pending += len(s)
        if self.pending >= self.block:
            self.flush()

    def writelines(self, lines):
        """lines: list of strings without newline."""
        if lines:
            s = "\n".join(lines)
            self.buf.append(s)
            self.buf.append("\n")
            self.pending += len(s) + 1
            if self.pending >= self.block:
                self.flush()

    def flush(self):
        if self.buf:
            data = "".join(self.buf).encode("ascii")
            self.f.write(data)
            self.bytes += len(data)
            self.lines += data.count(b"\n")
            self.buf = []
            self.pending = 0

    @property
    def written(self):
        return self.bytes + self.pending


_GET = [operator.itemgetter(i) for i in range(11)]


class Stats:
    """Columns of a batch of rows, extracted on demand and shared by the truth and
    the ss accounting."""
    __slots__ = ("n", "rows", "_c")

    def __init__(self, rows, cols=None):
        self.n = len(rows)
        self.rows = rows
        self._c = cols if cols is not None else [None] * 11

    def col(self, i):
        c = self._c[i]
        if c is None:
            c = self._c[i] = list(map(_GET[i], self.rows))
        return c

    def sliced(self, lo, hi):
        return Stats(self.rows[lo:hi], [c[lo:hi] if c is not None else None for c in self._c])


class Truth:
    """Counts what a parser should find (sockscope's conventions)."""

    def __init__(self, model, netstat_cut=False):
        self.m = model
        # netstat without -W cuts long addresses: also count remote addresses as printed
        self.cut = [n > 17 for n in model.A_NSLEN] if netstat_cut else None
        self.reset()

    def reset(self):
        self.long_remote = Counter()  # (addr id, port text length) of long remote addresses
        self.states = Counter()
        self.fams = Counter()
        self.remote = Counter()      # addr id -> count (ids of one key merge later)
        self.lports = Counter()
        self.udp = 0
        self.udp_fams = Counter()
        self.udp_remote = Counter()  # key string
        self.udp_lports = Counter()
        self.unix = 0
        self.truncated = 0

    def add_rows(self, rows):
        if rows:
            self.add_stats(Stats(rows))

    def add_stats(self, b, fam=None):
        if fam is None:
            self.fams.update(b.col(R_FAM))
        else:                       # every row of the batch has this family
            self.fams[fam] += b.n
        self.states.update(b.col(R_ST))
        ra = b.col(R_RA)
        self.remote.update(ra)
        self.lports.update(b.col(R_LP))
        if self.cut is not None:
            self.long_remote.update(itertools.compress(
                zip(ra, map(PORT_LEN.__getitem__, b.col(R_RP))), map(self.cut.__getitem__, ra)))

    def printed_remote_counts(self):
        """remote addresses as netstat -an prints them (long ones cut, see addr())"""
        keys, cut, A_NS = self.m.A_KEY, self.cut, self.m.A_NS
        out = Counter()
        for aid, c in self.remote.items():
            if keys[aid] is not None and not cut[aid]:
                out[keys[aid]] += c
        for (aid, plen), c in self.long_remote.items():
            ns = A_NS[aid]
            t = ns[:22 - plen] if len(ns) + plen > 22 else ns
            if t.startswith("::ffff:") and "." in t:
                t = t[7:]
            out[t] += c
        for k, c in self.udp_remote.items():
            out[k] += c
        return out

    def tcp_total(self):
        return sum(self.states.values())

    def remote_counts(self):
        keys = self.m.A_KEY
        out = Counter()
        for aid, c in self.remote.items():
            k = keys[aid]
            if k is not None:
                out[k] += c
        for k, c in self.udp_remote.items():
            out[k] += c
        return out

    def summary(self, top=10):
        rc = self.remote_counts()
        lp = Counter(self.lports)
        lp.update(self.udp_lports)
        fams = Counter(self.fams)
        fams.update(self.udp_fams)
        d = {
            "total": self.tcp_total() + self.udp,
            "states": {STATE_NAMES[s]: self.states.get(s, 0) for s in REPORT_STATES},
            "protocols": {"tcp": self.tcp_total()},
            "families": {"ipv4": fams.get(4, 0), "ipv6": fams.get(6, 0)},
            "top_remote": [{"addr": a, "count": c} for a, c in top_n(rc, top, key=str)],
            "remote_distinct": len(rc),
            "top_local_ports": [{"port": p, "count": c} for p, c in top_n(lp, top, key=int)],
        }
        if self.udp:
            d["protocols"]["udp"] = self.udp
        if self.cut is not None:
            pc = self.printed_remote_counts()
            d["printed"] = {"top_remote": [{"addr": a, "count": c} for a, c in top_n(pc, top, key=str)],
                            "remote_distinct": len(pc)}
        return d


def top_n(counter, n, key):
    return sorted(counter.items(), key=lambda kv: (-kv[1], key(kv[0])))[:n]


# ============================================================================ netstat
class NetstatFmt:
    """netstat -an / -tan (wide=False, ext=False) and netstat -W -neopa (wide, ext)."""

    HDR1 = "Active Internet connections (servers and established)"
    HDR_AN = "Proto Recv-Q Send-Q Local Address           Foreign Address         State      "
    HDR_EXT = ("Proto Recv-Q Send-Q Local Address           Foreign Address         State       "
               "User       Inode      PID/Program name     Timer")

    def __init__(self, model, frng, wide=False, ext=False):
        self.m = model
        self.frng = frng
        self.wide = wide
        self.ext = ext
        self.q = QMap("%6d")
        self.st = [(n or "").ljust(11) for n in STATE_NAMES]
        self.pre = {4: "tcp   ", 6: "tcp6  "}
        self.inode = 3187421
        self.truncated = 0
        self.pre0 = {f: self.pre[f] + "     0      0 " for f in (4, 6)}
        self.loc = {}
        self.long = [False] * len(model.A_NS) if wide else [n > 17 for n in model.A_NSLEN]
        self.uidpad = QMap("%-10d")

    def header(self):
        return [self.HDR1, self.HDR_EXT if self.ext else self.HDR_AN]

    def addr(self, aid, port):
        m = self.m
        if self.wide or m.A_NSLEN[aid] <= 17:
            return m.A_NSC[aid] + PORTS[port]
        ps = PORTS[port]
        ns = m.A_NS[aid]
        if len(ns) + len(ps) > 22:       # net-tools addr_do_one(): cut the address
            self.truncated += 1
            return ns[:22 - len(ps)] + ":" + ps
        return ns + ":" + ps

    def timer(self, st, sq, fl, proc):
        r = self.frng.random
        if st == EST:
            if sq:
                return "on (%.2f/%d/0)" % (0.2 + r() * 1.2, int(r() * r() * 4))
            if fl & FL_KA:
                return "keepalive (%.2f/0/0)" % (r() * 7200)
            return "off (0.00/0/0)"
        if st == TIME_WAIT:
            return "timewait (%.2f/0/0)" % (r() * 60)
        if st == FIN_WAIT2:
            return "timewait (%.2f/0/0)" % (r() * 60) if proc < 0 else "off (0.00/0/0)"
        if st == SYN_SENT:
            k = int(r() * 5)
            return "on (%.2f/%d/0)" % (r() * (1 << k), k)
        if st == SYN_RECV:
            k = int(r() * 4)
            return "on (%.2f/%d/0)" % (r() * (1 << k), k)
        if st == FIN_WAIT1:
            if sq > 1 and r() < 0.5:
                return "probe (%.2f/0/0)" % (r() * 60)
            return "on (%.2f/%d/0)" % (0.2 + r() * 3, int(r() * 6))
        if st in (LAST_ACK, CLOSING):
            return "on (%.2f/%d/0)" % (0.2 + r() * 12, int(r() * 8))
        if st == CLOSE_WAIT and fl & FL_KA:
            return "keepalive (%.2f/0/0)" % (r() * 7200)
        return "off (0.00/0/0)"

    def rows(self, rows, inodes=None):
        """Format canonical rows (list of str without newline)."""
        m = self.m
        q = self.q
        stn = self.st
        pre = self.pre
        A_NSC, A_NSLEN = m.A_NSC, m.A_NSLEN
        wide = self.wide
        out = []
        app = out.append
        if not self.ext:
            LONG = self.long
            loc = self.loc
            pre0 = self.pre0
            join = "".join
            for fam, st, rq, sq, la, lp, ra, rp, proc, uid, fl in rows:
                if LONG[la] or LONG[ra]:
                    app(pre[fam] + q[rq] + " " + q[sq] + " " + self.addr(la, lp).ljust(23) + " " +
                        self.addr(ra, rp).ljust(23) + " " + stn[st])
                    continue
                k = (la << 17) | lp
                lt = loc.get(k)
                if lt is None:
                    lt = loc[k] = (A_NSC[la] + PORTS[lp]).ljust(23) + " "
                app(join((pre0[fam] if not (rq or sq) else pre[fam] + q[rq] + " " + q[sq] + " ",
                          lt, (A_NSC[ra] + PORTS[rp]).ljust(23), " ", stn[st])))
            return out
        P = m.P
        upad = self.uidpad
        rnd = self.frng.random
        timer = self.timer
        for i, (fam, st, rq, sq, la, lp, ra, rp, proc, uid, fl) in enumerate(rows):
            if inodes is not None:
                ino = inodes[i]
                prog = P[proc][2] if proc >= 0 else "-"
            elif proc >= 0:
                self.inode += 1 + int(rnd() * 4)
                ino = self.inode
                prog = P[proc][2]
            else:
                ino = 0
                prog = "-"
            tm = "off (0.00/0/0)" if st == LISTEN else timer(st, sq, fl, proc)
            app(pre[fam] + q[rq] + " " + q[sq] + " " + self.addr(la, lp).ljust(23) + " " +
                self.addr(ra, rp).ljust(23) + " " + stn[st] + " " + upad[uid] + " " +
                str(ino).ljust(10) + " " + prog.ljust(20) + " " + tm)
        return out

    def listener_rows(self, fam):
        L = self.m.listeners[fam]
        rows = []
        for l in L:
            r = l["row"]
            # netstat: LISTEN Recv-Q = accept queue, Send-Q = 0
            rows.append((r[0], r[1], r[2], 0) + r[4:])
        return self.rows(rows, inodes=[l["inode"] for l in L])

    # --- UDP and UNIX sections (netstat -an / -neopa only)
    def udp_rows(self, truth):
        m = self.m
        H4 = m.HOST4
        # (proto, rq, local text, remote text, remote key or None, state, uid, proc, lport)
        u = [
            ("udp", 0, "127.0.0.53:53", "0.0.0.0:*", None, "", m.p_resolved, 53),
            ("udp", 0, "127.0.0.1:323", "0.0.0.0:*", None, "", m.p_chrony, 323),
            ("udp", 0, "%s:41236" % H4, "10.1.0.2:53", "10.1.0.2", "ESTABLISHED", m.p_resolved, 41236),
            ("udp", 0, "%s:55214" % H4, "10.1.0.5:123", "10.1.0.5", "ESTABLISHED", m.p_chrony, 55214),
            ("udp", 3712, "%s:38507" % H4, "10.1.9.5:514", "10.1.9.5", "ESTABLISHED", m.p_rsyslog, 38507),
            ("udp6", 0, "::1:323", ":::*", None, "", m.p_chrony, 323),
        ]
        out = []
        inode = 23311
        for proto, rq, loc, rem, key, st, proc, lport in u:
            inode += 17
            line = "%-5s %6d %6d %-23s %-23s %-11s" % (proto, rq, 0, loc, rem, st)
            if self.ext:
                line += " %-10d %-10d %-20s %s" % (m.P[proc][3], inode, m.P[proc][2], "off (0.00/0/0)")
            out.append(line)
            truth.udp += 1
            truth.udp_fams[6 if proto == "udp6" else 4] += 1
            if key:
                truth.udp_remote[key] += 1
            truth.udp_lports[lport] += 1
        return out

    def unix_rows(self, truth):
        m = self.m
        rng = random.Random(4711)
        procs = {
            "systemd": "1/systemd", "journald": "312/systemd-journal", "udevd": "330/systemd-udevd",
            "dbus": "598/dbus-daemon", "logind": "603/systemd-logind", "resolved": "640/systemd-resolve",
            "redis": "812/redis-server 12", "pgb": "977/pgbouncer", "java": "2250/java",
            "containerd": "705/containerd", "multipathd": "290/multipathd", "polkitd": "611/polkitd",
        }
        spec = [
            (2, "[ ACC ]", "STREAM", "LISTENING", "systemd", "/run/systemd/private"),
            (2, "[ ACC ]", "STREAM", "LISTENING", "systemd", "/run/systemd/userdb/io.systemd.DynamicUser"),
            (2, "[ ACC ]", "SEQPACKET", "LISTENING", "udevd", "/run/udev/control"),
            (2, "[ ACC ]", "STREAM", "LISTENING", "journald", "/run/systemd/journal/stdout"),
            (2, "[ ]", "DGRAM", "", "journald", "/run/systemd/journal/syslog"),
            (17, "[ ]", "DGRAM", "CONNECTED", "journald", "/run/systemd/journal/dev-log"),
            (3, "[ ]", "DGRAM", "CONNECTED", "systemd", "/run/systemd/notify"),
            (2, "[ ACC ]", "STREAM", "LISTENING", "dbus", "/run/dbus/system_bus_socket"),
            (2, "[ ACC ]", "STREAM", "LISTENING", "multipathd", "@/org/kernel/linux/storage/multipathd"),
            (2, "[ ACC ]", "STREAM", "LISTENING", "containerd", "/run/containerd/containerd.sock.ttrpc"),
            (2, "[ ACC ]", "STREAM", "LISTENING", "containerd", "/run/containerd/containerd.sock"),
            (2, "[ ACC ]", "STREAM", "LISTENING", "redis", "/var/run/redis/redis-server.sock"),
            (2, "[ ACC ]", "STREAM", "LISTENING", "pgb", "/var/run/postgresql/.s.PGSQL.5432"),
            (2, "[ ACC ]", "STREAM", "LISTENING", "resolved", "/run/systemd/resolve/io.systemd.Resolve"),
        ]
        conn = ["journald", "dbus", "systemd", "logind", "java", "polkitd", "resolved", "udevd",
                "containerd", "pgb"]
        for i in range(26):
            who = conn[rng.randrange(len(conn))]
            r = rng.random()
            path = "" if r < 0.6 else ("/run/systemd/journal/stdout" if r < 0.8 else "/run/dbus/system_bus_socket")
            spec.append((3, "[ ]", "STREAM", "CONNECTED", who, path))
        spec.append((2, "[ ]", "DGRAM", "", "java", ""))
        spec.append((3, "[ ]", "SEQPACKET", "CONNECTED", "udevd", ""))
        out = ["Active UNIX domain sockets (servers and established)",
               "Proto RefCnt Flags       Type       State         I-Node   PID/Program name     Path"
               if self.ext else "Proto RefCnt Flags       Type       State         I-Node   Path"]
        inode = 18231
        for refcnt, flags, typ, st, who, path in spec:
            inode += rng.randrange(1, 900)
            line = "%-5s %-6d %-11s %-10s %-13s %-8d" % ("unix", refcnt, flags, typ, st, inode)
            if self.ext:
                line += " %-20s" % procs[who]
            out.append(line + " " + path)
            truth.unix += 1
        return out


# ============================================================================ ss
SS_HDR = ("State", "Recv-Q", "Send-Q", "Local Address:", "Port", "Peer Address:", "Port", "Process")
BUF_AVAIL = 1024 * 1024 - 16          # BUF_CHUNK minus struct buf_chunk header
SS_NAME_LEN = [len(s) for s in SS_NAMES]
SS_NAME_COST = [n + (n & 1) for n in SS_NAME_LEN]
PORT_LEN = [len(p) for p in PORTS]
PORT_COST = [n + (n & 1) for n in PORT_LEN]
_SS_TABLES = {}                       # (model id, widths) -> padded pieces
BUF_CHUNKS_MAX = 5


class SsFmt:
    """ss -tan / -tanp / -tanpi of iproute2 6.1 writing to a file.

    Emulates misc/ss.c: every field is buffered as a token (u16 length + data, aligned
    to 2 bytes) in 1 MiB chunks; when a line ends while >= 5 chunks are in use the
    buffer is rendered: each column is as wide as its longest field so far (max_len is
    never reset while the process runs), the first column left-aligned without
    delimiter, Recv-Q/Send-Q/Port/Process left-aligned, addresses right-aligned, each
    after a 1-space delimiter (the Port and Process columns have none)."""

    def __init__(self, model, frng, mode, sink):
        self.m = model
        self.frng = frng
        self.mode = mode            # "tan", "tanp", "tanpi"
        self.sink = sink
        self.maxlen = [len(h) for h in SS_HDR]
        self.chunks = 0
        self.used = 0
        self.batch = []             # segments (rows, procs) awaiting render
        self.nbatch = 0
        self._tables = None
        self._tkey = None
        self.q6 = QMap("%-6d")
        self.st_len = SS_NAME_LEN
        self.st_cost = SS_NAME_COST
        self.p_len = PORT_LEN
        self.p_cost = PORT_COST
        self._token_line(list(map(len, SS_HDR)))     # the header is the first buffered line
        self.batch.append(None)                        # marker: header line

    # --- chunk accounting (exact replay of buf_update()/field_flush()/field_next())
    def _token_line(self, lens):
        """Account one line of 8 tokens + the empty last (COL_EXT) token; returns True
        when ss renders right after this line."""
        C = BUF_AVAIL
        used, chunks = self.used, self.chunks
        if chunks == 0:                 # out() allocates the first chunk
            chunks, used = 1, 2
        for T in lens:
            if T and T >= C - used:     # content does not fit: token moves to a new chunk
                chunks += 1
                used = 2 + T
            else:
                used += T
            pad = T & 1
            if C - used - pad < 2:      # no room for the next length field
                chunks += 1
                used = 2
            else:
                used += pad + 2
        if chunks >= BUF_CHUNKS_MAX:   # field_next() on the last column: render()
            self.used, self.chunks = 0, 0
            return True
        if C - used < 2:                # flush of the empty COL_EXT token
            chunks += 1
            used = 2
        else:
            used += 2
        self.used, self.chunks = used, chunks
        return False

    def _row_lens(self, r, proc):
        m = self.m
        return (self.st_len[r[R_ST]], len(self.q6[r[R_RQ]]), len(self.q6[r[R_SQ]]),
                m.A_LEN[r[R_LA]], self.p_len[r[R_LP]], m.A_LEN[r[R_RA]], self.p_len[r[R_RP]],
                len(proc) if proc else 0)

    # --- process / tcp_info tokens
    def proc_tokens(self, rows, listener_users=None):
        if self.mode == "tan":
            return None
        m = self.m
        P = m.P
        fdn = m.fd_next
        rnd = self.frng.random
        info = self.mode == "tanpi"
        h4m = m.A_H4M
        out = []
        for i, r in enumerate(rows):
            proc = r[R_PROC]
            if listener_users is not None:
                tok = listener_users[i]
            elif proc >= 0:
                comm, pid = P[proc][0], P[proc][1]
                fd = fdn[proc]
                fdn[proc] = fd + 1 + (rnd() < 0.3)
                tok = ' users:(("%s",pid=%d,fd=%d))' % (comm, pid, fd)
            else:
                tok = ""
            if info:
                tok += "\n\t" + tcp_info(r, rnd, r[R_FAM] == 6 and r[R_LA] != h4m)
            out.append(tok)
        return out

    # --- feeding rows
    def _seg_total(self, b, procs):
        """token bytes of the lines of batch stats b (if no chunk boundary is crossed)"""
        m = self.m
        n = b.n
        col = b.col
        if procs is None:
            pcost = 0
        else:
            plens = list(map(len, procs))
            pcost = sum(plens) + sum(l & 1 for l in plens)
        qcost = 12 * n              # "%-6d": 6 characters ...
        q6 = self.q6
        for qc in (col(R_RQ), col(R_SQ)):
            if max(qc) >= 1000000:  # ... or more
                qcost += sum(len(q6[v]) + (len(q6[v]) & 1) - 6 for v in filter((999999).__lt__, qc))
        A_COST, p_cost = m.A_COST, self.p_cost
        # every line: 9 tokens (8 columns + the empty COL_EXT), each with a 2-byte length
        return (sum(map(self.st_cost.__getitem__, col(R_ST))) +
                sum(map(A_COST.__getitem__, col(R_LA))) + sum(map(A_COST.__getitem__, col(R_RA))) +
                sum(map(p_cost.__getitem__, col(R_LP))) + sum(map(p_cost.__getitem__, col(R_RP))) +
                qcost + pcost + 18 * n)

    def _append(self, rows, procs, b=None):
        """rows join the pending render batch: their fields count for max_len now."""
        if b is None:
            b = Stats(rows)
        m = self.m
        ml = self.maxlen
        col = b.col
        v = max(map(self.st_len.__getitem__, set(col(R_ST))))
        if v > ml[0]:
            ml[0] = v
        v = len(self.q6[max(col(R_RQ))])
        if v > ml[1]:
            ml[1] = v
        v = len(self.q6[max(col(R_SQ))])
        if v > ml[2]:
            ml[2] = v
        v = max(map(m.A_LEN.__getitem__, set(col(R_LA))))
        if v > ml[3]:
            ml[3] = v
        v = self.p_len[max(col(R_LP))]
        if v > ml[4]:
            ml[4] = v
        v = max(map(m.A_LEN.__getitem__, set(col(R_RA))))
        if v > ml[5]:
            ml[5] = v
        v = self.p_len[max(col(R_RP))]
        if v > ml[6]:
            ml[6] = v
        if procs is not None:
            v = max(map(len, procs))
            if v > ml[7]:
                ml[7] = v
        self.batch.append((rows, procs))
        self.nbatch += len(rows)

    def feed(self, rows, procs=None, stats=None):
        """Buffer canonical rows (and their Process tokens); renders where ss would."""
        if rows:
            self._feed(rows, procs, stats if stats is not None else Stats(rows))

    def _feed(self, rows, procs, b):
        n = len(rows)
        if self.chunks == 0:            # out() allocates the first chunk
            self.chunks, self.used = 1, 2
        total = self._seg_total(b, procs)
        if self.used + total + 4096 < BUF_AVAIL:
            self.used += total          # no chunk boundary inside: account in bulk
            self._append(rows, procs, b)
            return
        if n > 32:                      # boundary inside: bisect towards it
            h = n // 2
            self._feed(rows[:h], procs[:h] if procs is not None else None, b.sliced(0, h))
            self._feed(rows[h:], procs[h:] if procs is not None else None, b.sliced(h, n))
            return
        start = 0                       # replay line by line
        for i in range(n):
            if self._token_line(self._row_lens(rows[i], procs[i] if procs is not None else None)):
                self._append(rows[start:i + 1], procs[start:i + 1] if procs is not None else None)
                self.render()
                start = i + 1
        if start < n:
            self._append(rows[start:], procs[start:] if procs is not None else None)

    def pending_bytes(self):
        """bytes the buffered lines will take when rendered (each socket is exactly one
        line width + newline, with -i too: the Process field includes "\n\t")."""
        return self.nbatch * (sum(self.maxlen) + 5)

    def line_bytes(self):
        return sum(self.maxlen) + 5

    def finish(self):
        self.render()

    # --- rendering
    def _get_tables(self):
        key = tuple(self.maxlen)
        if key == self._tkey:
            return self._tables
        t = _SS_TABLES.get((id(self.m), key))
        if t is not None:
            self._tables, self._tkey = t, key
            return t
        w = self.maxlen
        m = self.m
        st = [s.ljust(w[0]) + " " for s in SS_NAMES]
        rq = QMap("%%-%ds " % w[1])
        rq.update({v: ("%-6d" % v).ljust(w[1]) + " " for v in range(64)})
        sq = QMap("%%-%ds " % w[2])
        sq.update({v: ("%-6d" % v).ljust(w[2]) + " " for v in range(64)})
        la = [s.rjust(w[3]) for s in m.A_SS]
        lp = [p.ljust(w[4]) + " " for p in PORTS]
        ra = [s.rjust(w[5]) for s in m.A_SS]
        rp = [p.ljust(w[6]) for p in PORTS]
        pempty = " " * w[7]
        stq = [x + rq[0] + sq[0] for x in st]      # state + two zero queues
        rpe = [x + pempty for x in rp]             # peer port + empty Process
        self._tables = (st, rq, sq, la, lp, ra, rp, w[7], pempty, stq, rpe)
        self._tkey = key
        if len(_SS_TABLES) > 16:
            _SS_TABLES.clear()
        _SS_TABLES[(id(self.m), key)] = self._tables
        return self._tables

    def render(self):
        if not self.batch:
            return
        st, rq, sq, la, lp, ra, rp, pw, pempty, stq, rpe = self._get_tables()
        w = self.maxlen
        join = "".join
        for seg in self.batch:
            if seg is None:
                self.sink.writelines([
                    SS_HDR[0].ljust(w[0]) + " " + SS_HDR[1].ljust(w[1]) + " " + SS_HDR[2].ljust(w[2]) +
                    " " + SS_HDR[3].rjust(w[3]) + SS_HDR[4].ljust(w[4]) + " " + SS_HDR[5].rjust(w[5]) +
                    SS_HDR[6].ljust(w[6]) + SS_HDR[7].ljust(w[7])])
                continue
            rows, procs = seg
            if procs is None:
                out = [join((stq[s] if not (q1 or q2) else st[s] + rq[q1] + sq[q2],
                             la[a], lp[b], ra[c], rpe[d]))
                       for f, s, q1, q2, a, b, c, d, e, g, h in rows]
            else:
                out = [join((st[r[1]], rq[r[2]], sq[r[3]], la[r[4]], lp[r[5]], ra[r[6]], rp[r[7]],
                             p.ljust(pw))) for r, p in zip(rows, procs)]
            self.sink.writelines(out)
        self.batch = []
        self.nbatch = 0


def _lu(r, lo, hi):
    """log-uniform int in [lo, hi)"""
    return int(lo * math.exp(r() * math.log(hi / lo)))


def tcp_info(row, r, v6wire):
    """The text ss -i prints for one socket (cubic, numbers printed like ss -n does:
    rates as plain %.0f bps, times as %g ms).  Empty for sockets without tcp_info."""
    fam, st = row[R_FAM], row[R_ST]
    if st == TIME_WAIT or st == SYN_RECV or (st == FIN_WAIT2 and row[R_PROC] < 0):
        return ""
    if st == LISTEN:
        return " cubic cwnd:10" + (" unacked:%d" % row[R_RQ] if row[R_RQ] else "")
    pc = row[R_FL] & 3
    if pc == FL_LOOP:
        mss, pmtu, adv = 32768, 65535, 65483
        rtt = 0.01 + r() * 0.08
    else:
        mss = adv = 1428 if v6wire else 1448
        pmtu = 1500
        rtt = 0.05 + r() * 2.4 if pc == FL_LAN else math.exp(1.4 + r() * 3.8)
    if st == SYN_SENT:
        b = 1 + int(r() * 5)
        lst = _lu(r, 1000, 60000)
        return (" cubic rto:%d backoff:%d mss:524 pmtu:1500 rcvmss:88 advmss:%d cwnd:1 ssthresh:7"
                " segs_out:%d lastsnd:%d lastrcv:%d lastack:%d unacked:1 retrans:1/%d lost:1"
                " rcv_ssthresh:%d") % (1000 << b, b, adv, b + 1, lst, lst, lst, b,
                                       65483 if pc == FL_LOOP else 64088)
    rtt = round(rtt, 3)
    rttvar = round(rtt * (0.15 + r() * 0.5), 3) or 0.001
    rto = 200 + int(rtt + 4 * rttvar) + (4 if r() < 0.7 else 0)
    parts = [" cubic wscale:%s rto:%d" % (("7,7", "9,7", "10,7", "8,7", "7,10")[int(r() * r() * 5)], rto)]
    backoff = 0
    if st in (LAST_ACK, CLOSING) or (st == FIN_WAIT1 and r() < 0.5):
        backoff = 1 + int(r() * 7)
        parts[0] = " cubic wscale:7,7 rto:%d backoff:%d" % (min(rto << backoff, 120000), backoff)
    sent = _lu(r, 60, 5e8)
    recv = _lu(r, 40, 2e8)
    parts.append(" rtt:%g/%g ato:40 mss:%d pmtu:%d rcvmss:%d advmss:%d" % (
        rtt, rttvar, mss, pmtu, mss if recv > 20 * mss else 536, adv))
    cwnd = 10 if r() < 0.55 else int(2 + r() * r() * 200)
    if backoff:
        cwnd = 1
    parts.append(" cwnd:%d" % cwnd)
    if r() < 0.3 or backoff:
        parts.append(" ssthresh:%d" % max(2, int(cwnd * 0.7) if backoff == 0 else int(2 + r() * 40)))
    retr_b = _lu(r, 1, max(2, sent // 50)) if r() < 0.08 else 0
    parts.append(" bytes_sent:%d" % sent)
    if retr_b:
        parts.append(" bytes_retrans:%d" % retr_b)
    parts.append(" bytes_acked:%d bytes_received:%d" % (max(1, sent - row[R_SQ] + (r() < 0.4)), recv))
    dso = sent // int(mss * (0.3 + r() * 0.7)) + 1
    dsi = recv // 1000 + 1
    so = dso + dsi // 2 + 1 + int(r() * 3)
    si = dsi + dso // 2 + 1 + int(r() * 3)
    parts.append(" segs_out:%d segs_in:%d data_segs_out:%d data_segs_in:%d" % (so, si, dso, dsi))
    send = cwnd * mss * 8000.0 / rtt * 1000.0 / 1000.0
    parts.append(" send %.0fbps" % send)
    ls = _lu(r, 1, 900000)
    lr = _lu(r, 1, 900000)
    parts.append(" lastsnd:%d lastrcv:%d lastack:%d" % (ls, lr, min(ls, lr) if r() < 0.7 else _lu(r, 1, 900000)))
    parts.append(" pacing_rate %.0fbps delivery_rate %.0fbps delivered:%d" % (
        send * (2.0 if r() < 0.6 else 1.2), send * (0.02 + r() * 0.9), dso + 1))
    if r() < 0.6:
        parts.append(" app_limited")
    if sent > 100000 and r() < 0.6:
        busy = _lu(r, 1, 600000)
        parts.append(" busy:%dms" % busy)
        if r() < 0.15:
            rl = int(busy * r())
            parts.append(" rwnd_limited:%dms(%.1f%%)" % (rl, 100.0 * rl / busy))
    if row[R_SQ] and st != FIN_WAIT1:
        parts.append(" unacked:%d" % max(1, min(cwnd, row[R_SQ] // mss + 1)))
    if retr_b or backoff:
        parts.append(" retrans:%d/%d" % (1 if backoff else 0, max(1, backoff, int(retr_b / mss) + 1)))
        if backoff:
            parts.append(" lost:1")
    if r() < 0.05:
        parts.append(" dsack_dups:%d" % (1 + int(r() * 4)))
    if recv > 50000 and r() < 0.5:
        parts.append(" rcv_rtt:%g" % round(rtt * (0.8 + r() * 4), 3))
    rs = 65483 if pc == FL_LOOP else (14480 if r() < 0.6 else _lu(r, 14480, 3000000))
    parts.append(" rcv_space:%d rcv_ssthresh:%d" % (rs, 65483 if pc == FL_LOOP else (64088 if rs == 14480 else rs * 2)))
    if row[R_SQ] > 1 and st == EST:
        parts.append(" notsent:%d" % max(0, row[R_SQ] - cwnd * mss))
    parts.append(" minrtt:%g snd_wnd:%d" % (round(rtt * (0.3 + r() * 0.7), 3) or 0.001,
                                           65536 if pc == FL_LOOP or r() < 0.5 else _lu(r, 8192, 6000000)))
    return "".join(parts)


# ============================================================================ drivers
def gen_socket_table(model, args, sink, truth, fmt):
    """One snapshot of ss / netstat: v4 listeners, v4 rows, v6 listeners, v6 rows (the
    kernel's order: listening hash first, IPv4 before IPv6), then (netstat) UDP, UNIX.
    args.n_conn set: exactly that many non-listener TCP rows; else rows are added until
    the output reaches args.size (args.q4 = expected share of bytes in the IPv4 part)."""
    rng = random.Random("rows-%d" % args.seed)
    frng = random.Random("fmt-%d" % args.seed)
    gen = RowGen(model, rng)
    netstat = fmt.startswith("netstat")
    tail = []
    if netstat:
        nf = NetstatFmt(model, frng, wide=(fmt == "netstat-neopa"), ext=(fmt == "netstat-neopa"))
        sink.writelines(nf.header())
        tail = nf.udp_rows(truth) + nf.unix_rows(truth)
        pending = lambda: 0
    else:
        mode = {"ss": "tan", "ss-p": "tanp", "ss-i": "tanpi"}[fmt]
        sf = SsFmt(model, frng, mode, sink)
        hint = getattr(args, "width_hint", None)
        if hint and args.n_conn is None:
            pending = lambda: sf.nbatch * max(sf.line_bytes(), hint)
        else:
            pending = sf.pending_bytes
    tail_bytes = sum(len(x) + 1 for x in tail)
    count_mode = args.n_conn is not None
    if count_mode:
        n4 = int(round(args.n_conn * model.fam_row_share[4]))
        goal = {4: n4, 6: args.n_conn - n4}
    else:
        body = max(0, args.size - tail_bytes)
        goal = {4: body * args.q4, 6: body}
    B = 8192 if fmt != "ss-i" else 2048
    rows_done = 0
    for fam in (4, 6):
        L = model.listeners[fam]
        lrows = [l["row"] for l in L]
        truth.add_rows(lrows)
        if netstat:
            sink.writelines(nf.listener_rows(fam))
        else:
            sf.feed(lrows, sf.proc_tokens(lrows, [l["users"] for l in L]) if sf.mode != "tan" else None)
        done = 0
        while True:
            if count_mode:
                k = min(B, goal[fam] - done)
            else:
                have = sink.written + pending()
                if have >= goal[fam]:
                    break
                per = have / max(1, rows_done) if rows_done > 1000 else 80.0
                k = max(16, min(B, int((goal[fam] - have) / per) + 1))
            if k <= 0:
                break
            rows = gen.batch(fam, k)
            if len(rows) > k:           # a loopback pair at the very end
                rows = rows[:k]
            done += len(rows)
            rows_done += len(rows)
            b = Stats(rows)
            truth.add_stats(b, fam)
            if netstat:
                sink.writelines(nf.rows(rows))
            else:
                sf.feed(rows, sf.proc_tokens(rows), b)
    if netstat:
        sink.writelines(tail)
        truth.truncated = nf.truncated
    else:
        sf.finish()


def run_socket_table(model, args, sink, fmt):
    truth = Truth(model, netstat_cut=(fmt == "netstat"))
    gen_socket_table(model, args, sink, truth, fmt)
    return truth


def ipv4_byte_share(model_factory, args, fmt):
    """Pilot (separate model and RNG streams): share of the row bytes that the IPv4
    part of a table of this format takes.  For a big ss table the IPv4 part is rendered
    (in ~4 MiB batches) before any wider IPv6 address is seen, so it is narrower."""
    m = model_factory()
    g = RowGen(m, random.Random("pilot-%d" % args.seed))
    fr = random.Random("pilot-fmt-%d" % args.seed)
    rows = {f: g.batch(f, 6000) for f in (4, 6)}
    s4, s6 = m.fam_row_share[4], m.fam_row_share[6]
    if fmt.startswith("netstat"):
        nf = NetstatFmt(m, fr, wide=(fmt == "netstat-neopa"), ext=(fmt == "netstat-neopa"))
        L = {f: sum(len(x) + 1 for x in nf.rows(rows[f])) / len(rows[f]) for f in (4, 6)}
        L4 = L[4]
        hint = None
    else:
        mode = {"ss": "tan", "ss-p": "tanp", "ss-i": "tanpi"}[fmt]
        sf = SsFmt(m, fr, mode, Sink(io.BytesIO()))
        for f in (4, 6):
            lr = [l["row"] for l in m.listeners[f]]
            sf.feed(lr, sf.proc_tokens(lr, [l["users"] for l in m.listeners[f]]) if mode != "tan" else None)
            if f == 4:
                u0 = sf.used + (sf.chunks - 1) * BUF_AVAIL
            sf.feed(rows[f], sf.proc_tokens(rows[f]))
            if f == 4:
                narrow = sf.line_bytes()
                cost4 = (sf.used + (sf.chunks - 1) * BUF_AVAIL - u0) / len(rows[4])
        wide = sf.line_bytes()
        # does the IPv4 part fill a render batch (~4 MiB of fields) before the first IPv6
        # row arrives?  then it is printed narrower; else all rows get the final widths
        n4 = args.size * (s4 * wide / (s4 * wide + s6 * wide)) / wide
        if n4 * cost4 > (BUF_CHUNKS_MAX - 1) * BUF_AVAIL:
            L4, hint = narrow, None
        else:
            L4, hint = wide, wide
        L = {6: wide}
    return s4 * L4 / (s4 * L4 + s6 * L[6]), hint


# ---------------------------------------------------------------------------- loops
def loop_profiles(t):
    """multipliers of the snapshot-0 state counts at relative time t in [0, 1]"""
    burst = math.exp(-((t - 0.55) / 0.14) ** 2)
    return {TIME_WAIT: 1.0 + 1.3 * burst, SYN_RECV: 1.0 + 2.0 * math.exp(-((t - 0.5) / 0.08) ** 2),
            CLOSE_WAIT: 1.0 + 2.0 * t, EST: 1.0 - 0.04 * t}


def date_text(start, i, iso):
    t = start + datetime.timedelta(seconds=i)
    if iso:
        return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return "%s %s %2d %02d:%02d:%02d UTC %d" % (days[t.weekday()], months[t.month - 1], t.day,
                                               t.hour, t.minute, t.second, t.year)


def run_loop(model, args, sink, fmt):
    """while true; do date; ss -tan; sleep 1; done  (or date -Is; netstat -tan)."""
    rng = random.Random("rows-%d" % args.seed)
    frng = random.Random("fmt-%d" % args.seed)
    gen = RowGen(model, rng, pairs=True)
    N = args.snapshots
    iso = fmt == "netstat-loop"
    P = args.n_conn
    # records: [key, row, since, netstat text]; key orders the hash-table walk (IPv4 first)
    recs = []
    for fam in (4, 6):
        n = int(round(P * model.fam_row_share[fam]))
        done = 0
        while done < n:
            rows = gen.batch(fam, min(8192, n - done))[:n - done]
            done += len(rows)
            for r in rows:
                # sockets already exist for a while: TIME-WAIT ages spread over 60 s
                since = -int(rng.random() * 60) if r[R_ST] == TIME_WAIT else 0
                recs.append([(fam << 32) | rng.getrandbits(32), r, since, None])
    recs.sort(key=lambda x: x[0])
    c0 = Counter(r[1][R_ST] for r in recs)
    total = Truth(model, netstat_cut=iso)
    per = []
    nf = NetstatFmt(model, frng) if iso else None
    lrows = {f: [l["row"] for l in model.listeners[f]] for f in (4, 6)}
    ltext = {f: nf.listener_rows(f) for f in (4, 6)} if iso else None
    split6 = 6 << 32
    for i in range(N):
        t = i / (N - 1) if N > 1 else 0.0
        if i > 0:
            recs = _loop_step(recs, gen, rng, i, t, c0)
        k6 = bisect.bisect_left([r[0] for r in recs], split6) if recs else 0
        snap = Truth(model, netstat_cut=iso)
        date = date_text(args.start, i, iso)
        sink.write(date + "\n")
        if iso:
            sink.writelines(nf.header())
        else:
            sf = SsFmt(model, frng, "tan", sink)
        for fam, part in ((4, recs[:k6]), (6, recs[k6:])):
            rows = [rec[1] for rec in part]
            snap.add_rows(lrows[fam])
            snap.add_rows(rows)
            if iso:
                sink.writelines(ltext[fam])
                todo = [rec for rec in part if rec[3] is None]
                for rec, text in zip(todo, nf.rows([rec[1] for rec in todo])):
                    rec[3] = text
                sink.writelines([rec[3] for rec in part])
            else:
                sf.feed(lrows[fam])
                for k in range(0, len(rows), 16384):
                    sf.feed(rows[k:k + 16384])
        if not iso:
            sf.finish()
        per.append({"index": i, "date": date, **snap.summary()})
        for a in ("states", "fams", "remote", "lports", "long_remote"):
            getattr(total, a).update(getattr(snap, a))
    total.per_snapshot = per
    return total


def _set_state(rec, st, i, rnd):
    fam, _, rq, sq, la, lp, ra, rp, proc, uid, fl = rec[1]
    rq = sq = 0
    if st in (TIME_WAIT, SYN_RECV):
        proc, uid = -1, (0 if st == TIME_WAIT else uid)
    elif st in (FIN_WAIT1, LAST_ACK, CLOSING):
        proc = -1
        sq = 1 if st != FIN_WAIT1 or rnd() < 0.6 else int(math.exp(rnd() * 13.1)) + 1
    elif st == FIN_WAIT2:
        if rnd() < 0.8:
            proc = -1
    elif st == CLOSE_WAIT and rnd() < 0.1:
        rq = int(math.exp(rnd() * 8.3)) + 1
    rec[1] = (fam, st, rq, sq, la, lp, ra, rp, proc, uid, fl)
    rec[2] = i
    rec[3] = None


def _loop_step(recs, gen, rng, i, t, c0):
    """Advance the population by one second: natural transitions, then steer every
    state count to its target for this snapshot (conversions keep the 4-tuple)."""
    rnd = rng.random
    prof = loop_profiles(t)
    target = {s: int(round(c0.get(s, 0) * prof.get(s, 1.0))) for s in STATE_TARGET}
    by = {s: [] for s in range(12)}
    for rec in recs:
        by[rec[1][R_ST]].append(rec)
    dead = set()

    def kill(rec):
        dead.add(id(rec))

    def pick(lst, k):
        k = min(k, len(lst))
        if k <= 0:
            return []
        chosen = rng.sample(range(len(lst)), k)
        chosen.sort(reverse=True)
        out = []
        for j in chosen:
            out.append(lst[j])
            lst[j] = lst[-1]
            lst.pop()
        return out

    def move(recs_, st):
        for rec in recs_:
            _set_state(rec, st, i, rnd)
            by[st].append(rec)

    # TIME-WAIT lives 60 s
    keep = []
    for rec in by[TIME_WAIT]:
        if i - rec[2] >= 60:
            kill(rec)
        else:
            keep.append(rec)
    by[TIME_WAIT] = keep

    def frac(lst, p):
        n = len(lst) * p
        k = int(n) + (rnd() < n - int(n))
        return pick(lst, k)
    # natural transitions
    for rec in frac(by[SYN_RECV], 0.15):
        kill(rec)
    move(frac(by[SYN_RECV], 0.6), EST)
    for rec in frac(by[SYN_SENT], 0.1):
        kill(rec)
    move(frac(by[SYN_SENT], 0.6), EST)
    for rec in frac(by[LAST_ACK], 0.5):
        kill(rec)
    move(frac(by[CLOSING], 0.5), TIME_WAIT)
    move(frac(by[FIN_WAIT2], 0.1), TIME_WAIT)
    for rec in frac(by[FIN_WAIT2], 0.05):
        kill(rec)
    move(frac(by[FIN_WAIT1], 0.5), FIN_WAIT2)
    move(frac(by[CLOSE_WAIT], 0.01), LAST_ACK)
    for rec in frac(by[EST], 0.01):
        kill(rec)
    move(frac(by[EST], 0.025), TIME_WAIT)
    move(frac(by[EST], 0.005), FIN_WAIT1)
    move(frac(by[EST], 0.007), CLOSE_WAIT)
    # steer to targets
    new = []
    for st in (TIME_WAIT, CLOSE_WAIT, FIN_WAIT2, FIN_WAIT1, LAST_ACK, CLOSING):
        d = target[st] - len(by[st])
        if d > 0:
            move(pick(by[EST], d), st)
        elif d < 0:
            if st == TIME_WAIT:
                by[st].sort(key=lambda r: r[2])
                for rec in by[st][:-d]:
                    kill(rec)
                by[st] = by[st][-d:]
            else:
                for rec in pick(by[st], -d):
                    kill(rec)
    for st in (SYN_RECV, SYN_SENT, EST):
        d = target[st] - len(by[st])
        if d > 0:
            rows = gen.rows(gen.draw_state_classes(st, d)) if st != EST else \
                gen.rows(gen.draw_state_classes(EST, d))
            # loopback pairs may add a partner: keep exactly d rows
            for r in rows[:d]:
                new.append([(r[R_FAM] << 32) | rng.getrandbits(32), r, i, None])
        elif d < 0:
            for rec in pick(by[st], -d):
                kill(rec)
    out = [rec for rec in recs if id(rec) not in dead]
    if new:
        new.sort(key=lambda x: x[0])
        out.extend(new)
        out.sort(key=lambda x: x[0])
    return out


# ---------------------------------------------------------------------------- conntrack
def run_conntrack(model, args, sink):
    rng = random.Random("ct-%d" % args.seed)
    rnd = rng.random
    m = model
    H4, H6 = m.HOST4, m.HOST6
    gen = RowGen(m, rng)       # for peer streams and port counters
    # TCP classes: (group share, affinity); conntrack sees one entry per connection
    IN, OUT = 0, 1
    groups = [
        {"name": "web", "share": 0.68, "aff": {"ESTABLISHED": 1.0, "TIME_WAIT": 1.2, "CLOSE_WAIT": 1.0,
                                               "FIN_WAIT": 1.2, "SYN_RECV": 1.5, "LAST_ACK": 1.2, "CLOSE": 1.0}},
        {"name": "app", "share": 0.05, "aff": {"ESTABLISHED": 2.0, "TIME_WAIT": 0.3, "CLOSE_WAIT": 0.5,
                                               "FIN_WAIT": 0.3, "SYN_RECV": 0.3, "CLOSE": 0.2}},
        {"name": "ssh", "share": 0.002, "aff": {"ESTABLISHED": 3.0, "TIME_WAIT": 0.3, "SYN_RECV": 1.0}},
        {"name": "prom", "share": 0.004, "aff": {"ESTABLISHED": 1.0, "TIME_WAIT": 2.0}},
        {"name": "lo", "share": 0.05, "aff": {"ESTABLISHED": 2.0, "TIME_WAIT": 1.0, "CLOSE_WAIT": 0.3}},
        {"name": "out-pg", "share": 0.08, "aff": {"ESTABLISHED": 1.5, "TIME_WAIT": 0.3, "CLOSE_WAIT": 2.0,
                                                  "SYN_SENT": 1.0, "FIN_WAIT": 0.3, "LAST_ACK": 0.2}},
        {"name": "out-redis", "share": 0.04, "aff": {"ESTABLISHED": 1.8, "TIME_WAIT": 0.2,
                                                     "CLOSE_WAIT": 0.8, "SYN_SENT": 1.0}},
        {"name": "out-https", "share": 0.094, "aff": {"ESTABLISHED": 0.7, "TIME_WAIT": 2.0, "CLOSE_WAIT": 0.5,
                                                      "SYN_SENT": 3.0, "FIN_WAIT": 1.5, "LAST_ACK": 0.3,
                                                      "CLOSE": 0.5}},
    ]
    W = ipf_fit(groups, CT_TARGET, lambda g, s: (s,))
    v4m = m.web_v4_mass
    spec = {
        "web": [(v4m * 0.62, (IN, 4, m.WEB4, 443, 1)), (v4m * 0.22, (IN, 4, m.WEB4, 80, 2)),
                (v4m * 0.16, (IN, 4, m.WEB4, 8080, 3)), ((1 - v4m) * 0.70, (IN, 6, m.WEB6, 443, 1)),
                ((1 - v4m) * 0.22, (IN, 6, m.WEB6, 80, 2)), ((1 - v4m) * 0.08, (IN, 6, m.WEB6, 8080, 3))],
        "app": [(1.0, (IN, 4, m.APP, 5432, 4))],
        "ssh": [(1.0, (IN, 4, m.ADMIN, 22, 5))],
        "prom": [(1.0, (IN, 4, m.PROM, 9100, 6))],
        "lo": [(0.66, (2, 4, m.LO, 6379, 0)), (0.34, (2, 4, m.LO, 11211, 1))],
        "out-pg": [(1.0, (OUT, 4, m.B_PG, 5432, 0))],
        "out-redis": [(1.0, (OUT, 4, m.B_REDIS, 6379, 0))],
        "out-https": [(0.85, (OUT, 4, m.B_HTTPS4, 443, 0)), (0.15, (OUT, 6, m.B_HTTPS6, 443, 0))],
    }
    classes = []
    tcp_share, udp_share, icmp_share, icmp6_share = 0.862, 0.108, 0.025, 0.005
    tot_w = sum(sum(w.values()) for w in W)
    for gi, g in enumerate(groups):
        for s, w in W[gi].items():
            for frac, sp in spec[g["name"]]:
                classes.append((tcp_share * w / tot_w * frac, ("tcp", s) + sp))
    for frac, c in ((0.55, ("udp", "dns")), (0.05, ("udp", "ntp")), (0.08, ("udp", "syslog")),
                    (0.07, ("udp", "statsd")), (0.25, ("udp", "quic"))):
        classes.append((udp_share * frac, c))
    classes.append((icmp_share, ("icmp",)))
    classes.append((icmp6_share, ("icmpv6",)))
    cum = list(itertools.accumulate(w for w, _ in classes))
    cls = [c for _, c in classes]
    stream = gen.stream

    st_cnt = Counter()
    protos = Counter()
    fams = Counter()
    dst_c = Counter()
    dport_c = Counter()
    src_c = Counter()
    assured = unrep = 0
    L4 = "ipv4     2 "
    L6 = "ipv6     10 "
    n_target = args.n_conn
    target_bytes = args.size
    n = 0
    trailer_len = 70

    eph_of = gen.eph

    def lu(lo, hi):
        return int(lo * math.exp(rnd() * math.log(hi / lo)))

    done = n_target is not None and n_target <= 0
    while not done:
        batch = rng.choices(cls, cum_weights=cum, k=4096)
        out = []
        app = out.append
        pend = sink.written + trailer_len
        for c in batch:
            if c[0] == "tcp":
                _, s, kind, fam, pl, port, svc = c
                pi = stream(pl)()
                ip = pl["ct"][pi]
                eph = eph_of(pl, pi, svc)
                if kind == IN:
                    src, dst, sp, dp = ip, (H6 if fam == 6 else H4), eph, port
                elif kind == OUT:
                    src, dst, sp, dp = (H6 if fam == 6 else H4), ip, eph, port
                else:
                    src, dst, sp, dp = "127.0.0.1", "127.0.0.1", eph, port
                if s == "ESTABLISHED":
                    to = 431999 - (int(rnd() * 300) if rnd() < 0.7 else int(rnd() * 431000))
                else:
                    to = 1 + int(rnd() * (CT_TIMEOUT[s] - 1))
                hdr = 60 if fam == 4 else 80
                un = False
                if s == "SYN_SENT":
                    p1 = 1 + int(rnd() * 6)
                    b1, p2, b2 = p1 * hdr, 0, 0
                    un = True
                    asr = False
                elif s == "SYN_RECV":
                    p1, b1 = 1, hdr
                    p2 = 1 + int(rnd() * 6)
                    b2 = p2 * hdr
                    asr = False
                else:
                    p1 = lu(4, 60000) if s == "ESTABLISHED" else lu(5, 400)
                    p2 = max(3, int(p1 * (0.6 + rnd() * 0.8)))
                    b1 = p1 * (52 + int(rnd() * 300))
                    b2 = p2 * (52 + int(rnd() * 1400))
                    asr = rnd() < 0.97
                line = ((L6 if fam == 6 else L4) + "tcp      6 %d %s src=%s dst=%s sport=%d dport=%d "
                        "packets=%d bytes=%d %ssrc=%s dst=%s sport=%d dport=%d packets=%d bytes=%d "
                        "%smark=0 use=1") % (to, s, src, dst, sp, dp, p1, b1, "[UNREPLIED] " if un else "",
                                             dst, src, dp, sp, p2, b2, "[ASSURED] " if asr else "")
                st_cnt[s] += 1
                protos["tcp"] += 1
                fams[fam] += 1
                dst_c[dst] += 1
                dport_c[dp] += 1
                src_c[src] += 1
                assured += asr
                unrep += un
            elif c[0] == "udp":
                what = c[1]
                fam = 4
                un = False
                asr = False
                if what == "dns":
                    src, dst, dp = H4, "10.1.0.2", 53
                    sp = eph_of(m.LO, 0, 30)
                    un = rnd() < 0.05
                    p1, b1 = 1, 60 + int(rnd() * 40)
                    p2, b2 = (0, 0) if un else (1, 90 + int(rnd() * 400))
                    to = 1 + int(rnd() * 29)
                elif what == "ntp":
                    src, dst, dp = H4, "10.1.0.5", 123
                    sp = eph_of(m.LO, 1, 31)
                    p1 = p2 = 1
                    b1 = b2 = 76
                    to = 1 + int(rnd() * 29)
                elif what == "syslog":
                    src, dst, dp, sp = H4, "10.1.9.5", 514, 38507
                    un = True
                    p1 = lu(1, 5000)
                    b1, p2, b2 = p1 * (90 + int(rnd() * 300)), 0, 0
                    to = 1 + int(rnd() * 29)
                elif what == "statsd":
                    src, dst, dp = "127.0.0.1", "127.0.0.1", 8125
                    sp = eph_of(m.LO, 0, 29)
                    un = True
                    p1 = lu(1, 2000)
                    b1, p2, b2 = p1 * (40 + int(rnd() * 80)), 0, 0
                    to = 1 + int(rnd() * 29)
                else:   # HTTP/3 (QUIC) clients of nginx
                    pl = m.WEB4 if rnd() < v4m else m.WEB6
                    pi = stream(pl)()
                    fam = 6 if pl is m.WEB6 else 4
                    src, dst, dp = pl["ct"][pi], (H6 if fam == 6 else H4), 443
                    sp = eph_of(pl, pi, 7)
                    p1 = lu(3, 20000)
                    p2 = max(2, int(p1 * (0.8 + rnd())))
                    b1, b2 = p1 * (80 + int(rnd() * 1100)), p2 * (300 + int(rnd() * 1000))
                    asr = True
                    to = 1 + int(rnd() * 119)
                line = ((L6 if fam == 6 else L4) + "udp      17 %d src=%s dst=%s sport=%d dport=%d "
                        "packets=%d bytes=%d %ssrc=%s dst=%s sport=%d dport=%d packets=%d bytes=%d "
                        "%smark=0 use=1") % (to, src, dst, sp, dp, p1, b1, "[UNREPLIED] " if un else "",
                                             dst, src, dp, sp, p2, b2, "[ASSURED] " if asr else "")
                protos["udp"] += 1
                fams[fam] += 1
                dst_c[dst] += 1
                dport_c[dp] += 1
                src_c[src] += 1
                assured += asr
                unrep += un
            elif c[0] == "icmp":
                if rnd() < 0.7:
                    src = ("10.0.3.10", "10.0.3.11", "10.0.3.12")[int(rnd() * 3)]
                    dst = H4
                else:
                    src, dst = H4, m.B_PG["ct"][int(rnd() * 6)]
                ident = int(rnd() * 65536)
                n_ = 1 + int(rnd() * 3)
                line = (L4 + "icmp     1 %d src=%s dst=%s type=8 code=0 id=%d packets=%d bytes=%d "
                        "src=%s dst=%s type=0 code=0 id=%d packets=%d bytes=%d mark=0 use=1") % (
                    1 + int(rnd() * 29), src, dst, ident, n_, 84 * n_, dst, src, ident, n_, 84 * n_)
                protos["icmp"] += 1
                fams[4] += 1
                dst_c[dst] += 1
                src_c[src] += 1
            else:
                pl = m.WEB6
                src = pl["ct"][stream(pl)()]
                ident = int(rnd() * 65536)
                n_ = 1 + int(rnd() * 3)
                line = (L6 + "icmpv6   58 %d src=%s dst=%s type=128 code=0 id=%d packets=%d bytes=%d "
                        "src=%s dst=%s type=129 code=0 id=%d packets=%d bytes=%d mark=0 use=1") % (
                    1 + int(rnd() * 29), src, H6, ident, n_, 104 * n_, H6, src, ident, n_, 104 * n_)
                protos["icmpv6"] += 1
                fams[6] += 1
                dst_c[H6] += 1
                src_c[src] += 1
            app(line)
            n += 1
            pend += len(line) + 1
            if n_target is not None:
                if n >= n_target:
                    done = True
                    break
            elif pend >= target_bytes:
                done = True
                break
        sink.writelines(out)
    trailer = "conntrack v1.4.7 (conntrack-tools): %d flow entries have been shown.\n" % n
    truth = {
        "total": n,
        "states": {s: st_cnt.get(s, 0) for s in CT_STATES},
        "protocols": {k: protos.get(k, 0) for k in ("tcp", "udp", "icmp", "icmpv6")},
        "families": {"ipv4": fams.get(4, 0), "ipv6": fams.get(6, 0)},
        "top_remote": [{"addr": a, "count": c} for a, c in top_n(dst_c, 10, key=str)],
        "remote_distinct": len(dst_c),
        "top_local_ports": [{"port": p, "count": c} for p, c in top_n(dport_c, 10, key=int)],
        "conntrack": {"assured": assured, "unreplied": unrep,
                      "top_src": [{"addr": a, "count": c} for a, c in top_n(src_c, 10, key=str)]},
    }
    return truth, trailer


# ============================================================================ main
FORMATS = {
    "netstat": "netstat -an",
    "netstat-neopa": "netstat -W -neopa",
    "ss": "ss -tan",
    "ss-p": "ss -tanp",
    "ss-i": "ss -tanpi",
    "conntrack": "conntrack -L -o extended 2>&1",
    "ss-loop": "while true; do date; ss -tan; sleep 1; done",
    "netstat-loop": "while true; do date -Is; netstat -tan; sleep 1; done",
}


def _generate(model, args, f):
    sink = Sink(f)
    fmt = args.format
    trailer = None
    if fmt == "conntrack":
        tj, trailer = run_conntrack(model, args, sink)
        if args.conntrack_trailer == "end":
            sink.write(trailer)
        sink.flush()
        return sink, tj, trailer
    if fmt.endswith("-loop"):
        tr = run_loop(model, args, sink, fmt)
    else:
        tr = run_socket_table(model, args, sink, fmt)
    sink.flush()
    return sink, tr, None


def estimate_n(model_factory, args, fmt):
    """Sockets needed for --size: two small pilot runs (separate RNG streams) give the
    bytes per socket and the fixed part."""
    class A:
        pass
    res = []
    for n in (3000, 9000):
        a = A()
        a.__dict__.update(vars(args))
        a.n_conn = n
        a.size = None
        a.seed = args.seed + 7919
        if fmt.endswith("-loop"):
            a.snapshots = 2
        buf = io.BytesIO()
        _generate(model_factory(), a, buf)
        res.append((n, len(buf.getvalue())))
    (n1, b1), (n2, b2) = res
    per = (b2 - b1) / (n2 - n1)
    fixed = b1 - n1 * per
    if fmt.endswith("-loop"):
        # per snapshot: fixed/2 (date, headers, listeners) + P * mean profile * per/2
        N = args.snapshots
        mean = 0.0
        base = {s: v / sum(STATE_TARGET.values()) for s, v in STATE_TARGET.items()}
        prof_ref = sum(base[s] * loop_profiles(0.0).get(s, 1.0) for s in base) + \
            sum(base[s] * loop_profiles(1.0).get(s, 1.0) for s in base)
        for i in range(N):
            t = i / (N - 1) if N > 1 else 0.0
            pr = loop_profiles(t)
            mean += sum(base[s] * pr.get(s, 1.0) for s in base)
        # the pilot had 2 snapshots (t=0, t=1): per covers both
        per_row = per / prof_ref
        return max(50, int((args.size - fixed / 2 * N) / (per_row * mean)))
    return max(1, int((args.size - fixed) / per))


def dump_truth(obj):
    """JSON with one top-level key per line and one snapshot per line."""
    items = list(obj.items())
    out = ["{"]
    for i, (k, v) in enumerate(items):
        if k == "per_snapshot":
            s = ' "per_snapshot": [\n' + ",\n".join("  " + json.dumps(x) for x in v) + "\n ]"
        else:
            s = " %s: %s" % (json.dumps(k), json.dumps(v))
        out.append(s + ("," if i < len(items) - 1 else ""))
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the top of this file for formats and the truth file.")
    ap.add_argument("format", choices=list(FORMATS))
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--size", type=parse_size, help="target size, e.g. 300M")
    g.add_argument("--sockets", type=int, help="number of TCP sockets (loops: first snapshot) "
                                               "or conntrack entries")
    ap.add_argument("--snapshots", type=int, default=60, help="loop iterations (default 60)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--clients", type=int, default=100000,
                    help="distinct inbound IPv4 peers (IPv6: a tenth of it); default 100000, "
                         "like a public frontend; 3000 gives an internal tier")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--truth", help="truth JSON path (default OUTPUT.truth.json)")
    ap.add_argument("--netstat-mapped", choices=("ipv4", "ffff"), default="ipv4")
    ap.add_argument("--conntrack-trailer", choices=("end", "spliced"), default="end")
    ap.add_argument("--start", default="2026-11-25T20:44:11",
                    help="time of the first loop snapshot (UTC)")
    args = ap.parse_args(argv)
    if args.snapshots < 1:
        ap.error("--snapshots must be >= 1")
    args.start = datetime.datetime.strptime(args.start, "%Y-%m-%dT%H:%M:%S")
    fmt = args.format
    t0 = time.perf_counter()

    def model_factory():
        return Model(args.seed, args.netstat_mapped, args.clients)
    model = model_factory()
    if fmt == "conntrack":
        args.n_conn = args.sockets
        if args.size is None:
            args.size = 0
    elif args.sockets is not None:
        args.n_conn = max(0, args.sockets - model.n_listeners)
    elif fmt.endswith("-loop"):
        args.n_conn = estimate_n(model_factory, args, fmt)
    else:
        args.n_conn = None          # stream until --size is reached
        args.q4, args.width_hint = ipv4_byte_share(model_factory, args, fmt)
    to_stdout = args.output == "-"
    f = sys.stdout.buffer if to_stdout else open(args.output, "w+b")
    try:
        sink, tr, trailer = _generate(model, args, f)
        if fmt == "conntrack" and args.conntrack_trailer == "spliced":
            # conntrack prints the trailer on stderr while the last partial 4 KiB block of
            # stdout is still buffered
            total = sink.bytes
            off = total - (total % 4096)
            if to_stdout:
                raise SystemExit("--conntrack-trailer spliced needs a file")
            f.seek(off)
            tail = f.read()
            f.seek(off)
            f.write(trailer.encode("ascii") + tail)
            sink.bytes += len(trailer)
            sink.lines += 1
    finally:
        if not to_stdout:
            f.close()
        else:
            f.flush()
    dt = time.perf_counter() - t0
    if fmt == "conntrack":
        tj = tr
        snaps = 1
        tcp_states = tj["states"]
        sockets = tj["total"]
    else:
        tj = tr.summary()
        if fmt.startswith("netstat") and not fmt.endswith("loop"):
            tj["unix"] = tr.unix
            tj["netstat_truncated_rows"] = tr.truncated
        snaps = args.snapshots if fmt.endswith("-loop") else 1
        if fmt.endswith("-loop"):
            tj["per_snapshot"] = tr.per_snapshot
        tcp_states = tj["states"]
        sockets = tj["total"]
    truth = {"generator": "benches/gen_capture.py", "format": fmt, "command": FORMATS[fmt],
             "seed": args.seed, "bytes": sink.bytes, "lines": sink.lines, "snapshots": snaps}
    truth.update(tj)
    truth_path = args.truth or (None if to_stdout else args.output + ".truth.json")
    if truth_path:
        with open(truth_path, "w") as tf:
            tf.write(dump_truth(truth))
    st = " ".join("%s=%d" % (k, v) for k, v in tcp_states.items() if v)
    print("gen_capture: %s -> %s: %d bytes, %d lines, %d %s, %d snapshot%s, %.2fs (%.1f MB/s)" % (
        fmt, args.output, sink.bytes, sink.lines, sockets,
        "conntrack entries" if fmt == "conntrack" else "sockets", snaps, "" if snaps == 1 else "s",
        dt, sink.bytes / dt / 1e6 if dt else 0), file=sys.stderr)
    print("gen_capture: TCP states: %s" % st, file=sys.stderr)
    if truth_path:
        print("gen_capture: truth: %s" % truth_path, file=sys.stderr)


if __name__ == "__main__":
    main()
