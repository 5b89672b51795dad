#!/usr/bin/env python3
"""render.py - called by capture.sh: merge this run's counts into EXPECTED.json
and regenerate README.md.  Usage: render.py DIR RECORDS.tsv VERSIONS.txt SCENARIO..."""
import json
import os
import sys

d, rec_path, vers_path, *scens = sys.argv[1:]
exp_path = os.path.join(d, "EXPECTED.json")
try:
    expected = json.load(open(exp_path))
except (OSError, ValueError):
    expected = {}
for s in scens:
    expected.pop(s, None)


def num(v):
    try:
        return int(v)
    except ValueError:
        return v          # sysctl values like "40000 40999" stay strings


for line in open(rec_path):
    s, f, m, v = line.rstrip("\n").split("\t")
    expected.setdefault(s, {}).setdefault(f, {})[m] = num(v)

ORDER = ["port-exhaustion", "time-wait-churn", "tw-buckets", "close-wait-leak",
         "close-wait-unaccepted", "fin-wait2-stuck", "accept-queue-full", "syn-recv-flood",
         "syn-sent-unresponsive", "closing-states", "queue-backpressure", "retransmitting",
         "conntrack-full", "healthy", "config-myths"]
expected = {k: expected[k] for k in ORDER if k in expected} | \
    {k: v for k, v in expected.items() if k not in ORDER}
with open(exp_path, "w") as fh:
    json.dump(expected, fh, indent=1, sort_keys=False)
    fh.write("\n")

versions = [l.rstrip("\n").split("|", 1) for l in open(vers_path) if "|" in l]

DESC = {
"port-exhaustion": """\
Client netns with `net.ipv4.ip_local_port_range = 40000 40999` (1000 ports).
`loadgen` opened 700 short connections to 10.30.0.2:80 and closed each one first
(-> TIME-WAIT), then held new connections to the same ip:port until `connect()`
failed with `EADDRNOTAVAIL` (about 300 ESTABLISHED; on some runs the kernel lets a few of these
take over TIME-WAIT 4-tuples, so TIME-WAIT can end slightly below 700 and TcpActiveOpens
slightly above 1000 - exact numbers below), then tried once more
and ran `curl http://10.30.0.2/`.  All 1000 ports of the range are used toward ONE
(local IP, remote IP, remote port): 100 % of the range.  `client.log` is the
client's stderr: the Python `OSError(99, 'Cannot assign requested address')` lines
and curl's own message (`curl: (7) Failed to connect ... Couldn't connect to
server` - curl 7.88 does not print the errno text).  Captured on the client only.""",
"time-wait-churn": """\
Two hosts, default port range (32768 60999).  client/: `loadgen` made 1800 short
connections to each of 10.30.0.2:80, 10.30.0.3:80 and 10.30.0.4:80 (server has 3
addresses), closing first -> outbound TIME-WAIT on the client, about 6 % of the
range per destination.  server/: `poller` (on the client) then made 2000
connections to each of 10.30.0.{2,3,4}:8080 where `api-gw` answers and closes
first -> inbound TIME-WAIT on the server (local port 8080).  A few client-side
TIME-WAIT toward :80 may be missing (a new connection can reuse a TIME-WAIT
4-tuple); the exact numbers are in the table.  ss/netstat files are gzip'ed (> 150 KB).""",
"tw-buckets": """\
Client netns with `net.ipv4.tcp_max_tw_buckets = 1000`; 1600 short connections
closed first by the client.  Only 1000 TIME-WAIT sockets exist; nstat shows
`TcpExtTCPTimeWaitOverflow` = the connections that got no TIME-WAIT bucket.
`dmesg.txt` (kernel log lines printed during the scenario) is empty: kernel 6.18
did NOT log "TCP: time wait bucket table overflow" (the counter is the only trace).""",
"close-wait-leak": """\
Server `leaky-app` on :8080 answers requests but never closes a connection when the
peer closes.  The client (`jclient`, 230 keep-alive connections) closed 60, then
30 more after each snapshot of `ss-loop.log` (6 snapshots made as `date; ss -tanpoe;
sleep 1`): CLOSE-WAIT 60, 90, 120, 150, 180, 210, all owned by leaky-app
(`users:(("leaky-app",...))`).  The single-snapshot files were taken after the
loop.  conntrack tracks the flows on the server (CLOSE_WAIT entries).""",
"close-wait-unaccepted": """\
Server `java` listens on :9000 with backlog 20 and never calls accept().  The
client connected 18 times (sending a request) and then closed 14 of them: the 14
queued connections are CLOSE-WAIT with no owning process (`ino:0`, no `users:`), 4
are still ESTABLISHED in the queue, LISTEN shows Recv-Q 18 / Send-Q 20.""",
"fin-wait2-stuck": """\
Client `batchjob` held 520 connections to `legacy-db` :5432 and called
shutdown(SHUT_WR) on all of them; the server never closes (CLOSE-WAIT on the
server).  The client netns has `net.ipv4.tcp_fin_timeout = 3`: the FIN-WAIT-2
sockets are not orphans (the process still owns them), so they persist:
`client/ss-loop.log.gz` has 8 snapshots (one per second, ~9 s > 3 s) with the same
520 4-tuples; then client/ and server/ single snapshots (same 4-tuples on both
ends, for cross-host correlation).""",
"accept-queue-full": """\
Server `java` listens on :8080 with backlog 10 and never accepts.  The client
(`wrk`) started 25 non-blocking connects at once.  LISTEN Recv-Q 11 (= backlog+1),
Send-Q 10; 11 connections complete (ESTABLISHED on both ends), the other 14 SYNs are
dropped by the server (client SYN-SENT, retransmitting; conntrack [UNREPLIED]).
`server/nstat-before.txt` was taken before the connects, `server/nstat.txt` after:
TcpExtListenOverflows / TcpExtListenDrops grow with every dropped SYN retransmission.
On this kernel no server-side SYN-RECV appeared (the SYNs are dropped before a
request socket is created while the accept queue is full).""",
"syn-recv-flood": """\
Client netns with 250 extra addresses 10.30.1.1-250 and an nftables rule dropping
the SYN-ACKs from 10.30.0.2:80; it sent 2 SYNs (non-blocking connect) from each
address (500 total, round-robin over the sources).  Server `nginx` listens on :80
with backlog 400 (`somaxconn` 4096, `tcp_max_syn_backlog` 4096,
`tcp_syncookies = 1`, `tcp_synack_retries = 10`).  The SYN queue filled at the
backlog (SYN-RECV = 401), the remaining SYNs were answered with syncookies
(TcpExtTCPReqQFullDoCookies / TcpExtSyncookiesSent).  The kernel logged
`TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.`
(visible in this VM's dmesg; `dmesg.txt` holds the kernel log lines printed during
the scenario: `dmesg | tail -n +K` with K = line count at scenario start + 1).  Distinct
sources were counted with `ss -Htan state syn-recv | awk` (unique peer addresses).""",
"syn-sent-unresponsive": """\
Server netns drops every packet to tcp dport 5432 (nftables).  Client `app` started
220 non-blocking connects to 10.30.0.2:5432: 220 SYN-SENT, retransmitting SYNs
(default tcp_syn_retries 6), persistent across `ss-loop.log` (5 snapshots, one per
second), then the single snapshot.  conntrack on the client: 220 SYN_SENT
[UNREPLIED] entries.""",
"closing-states": """\
Server netns (`tcp_wmem = 4096 16384 65536`, `tcp_orphan_retries = 15`) runs
`nginx` on :80 and :443.  FIN-WAIT-1: 120 clients (`wget`, client rmem 64 KiB)
requested /big-close and never read; nginx wrote until its send buffer was full and
called shutdown(SHUT_WR): FIN-WAIT-1 with Send-Q > 0 (the FIN is queued behind the
data the peer's zero window refuses).  LAST-ACK: 120 `haproxy` connections to :443
were half-closed by the client, then nginx closed them, but the client's nftables
drops the server's FIN (`tcp flags & fin == fin`): LAST-ACK (orphans, no process)
retransmitting the FIN.  Captured on the server.""",
"queue-backpressure": """\
Server `exporter` on :9000 writes to every accepted connection as long as the
kernel takes data (64 MiB max); client `consumer` connected 12 times, sent a request
and never reads.  Client `tcp_rmem = 4096 4194304 8388608`, server `tcp_wmem = 4096
4194304 8388608`.  client/: 12 ESTABLISHED with Recv-Q >= 1 MiB; server/: the same
12 with Send-Q >= 1 MiB (counted with `ss -Htan state established | awk '$1|$2 >=
1048576'`).""",
"retransmitting": """\
Client `app` held 12 connections to `redis-server` 10.30.0.2:6379 (request answered),
then an nftables rule on the client dropped every packet from 10.30.0.2 and the client
wrote 2000 bytes on each connection.  Captured 4.5 s later: all 12 have the
retransmit timer on with 4 retries (`timer:(on,1.800ms,4)` in ss - note iproute2
6.1 prints the 1.8 s RTO as `1.800ms`; netstat -o shows `on (1.79/4/0)`), Send-Q
2000.  Retries >= 3 were counted with `ss -Htano state established dst 10.30.0.2 |
awk` over the timer field.""",
"conntrack-full": """\
`net.netfilter.nf_conntrack_max` is read-only inside a non-init network namespace
on this kernel (`sysctl -w net.netfilter.nf_conntrack_max=256` in the netns:
"Invalid argument", see `sysctl-w-nf_conntrack_max.txt`; the file mode is 0444;
`nf_conntrack_buckets` is also read-only), and the brief asked not to change the
init netns.  So the table was filled to the global maximum instead: the client
netns tracks flows (nftables `ct state` ruleset, UDP timeouts raised to 900 s) and
sent one UDP datagram from each of 5 sockets to each of 60000 ports of 10.30.0.2
(300000 new flows, the server drops them silently), plus 5 held TCP connections.
conntrack count reached the max (262144, read from sysctl -a in the netns which
shows the global value), and new flows evicted old unreplied ones:
`conntrack -S` early_drop > 0, drop = 0; so the kernel never printed
"nf_conntrack: table full, dropping packet" (early_drop always found a victim;
`dmesg.txt` checked).  Files: `conntrack-C.txt` (`conntrack -C`), `conntrack-S.txt`,
`conntrack-L-p-tcp.txt` (`conntrack -L -p tcp`: the full `conntrack -L` would be
about 50 MB and is not stored), `sysctl-a.txt` (nf_conntrack_count /
nf_conntrack_max), the usual ss/netstat/nstat files, `dmesg.txt`.""",
"healthy": """\
Server host: `sshd` :22, `nginx` :80, `postgres` on 127.0.0.1:5432 with an `app`
connection pool of 2 (both loopback ends appear), 4 browser connections and 1 ssh
session from 10.30.0.1, and 3 TIME-WAIT from `prometheus` scraping 10.30.0.1:9100
(closed first by this host).  conntrack tracking on.  Nothing unusual.""",
"config-myths": """\
`sysctl.conf` is a hand-written tuning fragment (the classic bad advice).  It was
applied with `sysctl -p sysctl.conf` inside a fresh network namespace: stdout+stderr
are in `sysctl-p.txt` (exit status 1: `tcp_tw_recycle` does not exist since Linux
4.12, `tcp_orphans_retries` is a typo of `tcp_orphan_retries`); the other six keys
were applied (they are per-netns) and `sysctl-a.txt` is `sysctl -a` of that netns
afterwards.""",
}

out = []
w = out.append
w("# sockscope diagnosis-rule scenarios\n")
w("Real captures made with the real tools on real sockets inside private network")
w("namespaces on one Linux machine, one scenario per diagnosis rule.  Regenerate with\n")
w("    sudo tests/data/scenarios/capture.sh [SCENARIO...]     # all: about 1 min\n")
w("(`capture.sh` builds namespaces `ssc-c`/`ssc-s`, drives `sockets.py` - a copy of")
w("`samples/sockets.py` with extra commands - and writes `EXPECTED.json` and this README")
w("through `render.py`).  Nothing here was edited by hand except `config-myths/sysctl.conf`.\n")
w("## Versions\n")
w("| tool | version |\n| --- | --- |")
for k, v in versions:
    w(f"| {k} | {v} |")
w("")
w("## How captures were made and counted\n")
w("""\
* Each scenario: `ip netns add ssc-c` (client) and `ssc-s` (server), one veth pair
  (10.30.0.1/16 <-> 10.30.0.2/16), IPv6 disabled, knobs set with `sysctl -w` inside
  the netns.  Programs are `sockets.py` started as `exec -a NAME` (comm/argv[0] = NAME,
  so `users:(("NAME",pid=..,fd=..))` in ss and `PID/NAME` in netstat).  All run as root.
* Tools run inside the netns with `nsenter --net=/run/netns/NS` (keeps the mount
  namespace, so `ss -e` shows `cgroup:/`).
* Per host directory: `ss-tanpoe.txt` (`ss -tanpoe`), `netstat-tanpo.txt`
  (`netstat -tanpo`), `ss-s.txt` (`ss -s`), `sockstat.txt` (`cat /proc/net/sockstat`),
  `sysctl-a.txt` (`sysctl -a 2>/dev/null`), `nstat.txt` (`nstat -az`); with conntrack
  tracking: `conntrack-L.txt` (`conntrack -L 2>/dev/null`, i.e. without the
  "flow entries have been shown" trailer, which goes to stderr) and `conntrack-S.txt`
  (`conntrack -S`).  Loops `ss-loop.log`: `date; ss -tanpoe; sleep 1` N times while
  the situation changes between iterations.
* Counts in EXPECTED.json were taken with the tools' own filters inside the netns,
  never by parsing the files: `total` = `ss -Htan | wc -l`; `state.X` = `ss -Htan state
  <x> | wc -l`; named metrics = `ss -Htan <filter> | wc -l` with the filter quoted in
  capture.sh (e.g. `time_wait_to_10.30.0.2:80` = `ss -Htan state time-wait dst
  10.30.0.2 dport = :80 | wc -l`); a few (`*_recv_q*`, `*_send_q*`, `retrans_*`,
  `*_distinct_sources`, `close_wait_with_process`) = `ss -Htan <filter> | awk ...`
  (the awk program is in capture.sh); nstat metrics = `nstat -az NAME`; sysctl
  metrics = `sysctl -n KEY`; conntrack: `conntrack_count` = `conntrack -C`, `listed` =
  `conntrack -L | wc -l`, `tcp_state.S` = `conntrack -L -p tcp --state S | wc -l`,
  `unreplied` = `conntrack -L -u UNREPLIED | wc -l`, conntrack-S metrics = the per-cpu
  `key=value` fields of `conntrack -S` summed with awk.
* The ss/netstat/ss -s/sockstat counts were taken right before and right after the
  four captures and had to be identical (else retried); they therefore hold for all
  four files (ss -s and sockstat entries only list `state.ESTABLISHED` and
  `state.TIME_WAIT`).  Loop metrics `iterK.*` were counted right after snapshot K
  (the change happens only after counting).
* Files larger than 150 KB were compressed with `gzip -9 -n` (name `*.gz`); the
  counts are those of the uncompressed content.
* EXPECTED.json: scenario -> file (relative to the scenario dir) -> metric -> value
  (numbers; sysctl values with several fields are strings).
* Timers, ports, inodes, pids and dates differ between runs; counts are
  deterministic except where noted (TIME-WAIT 4-tuple reuse, nstat retransmission
  counters, conntrack early_drop).
""")
w("## Scenarios\n")
for s in ORDER:
    if s not in expected:
        continue
    w(f"### {s}\n")
    w(DESC.get(s, "") + "\n")
    files = sorted(os.path.relpath(os.path.join(r, f), os.path.join(d, s))
                   for r, _, fs in os.walk(os.path.join(d, s)) for f in fs)
    w("Files: " + ", ".join(f"`{f}`" for f in files) + "\n")
    w("| file | metric | value |\n| --- | --- | --- |")
    for f, ms in expected[s].items():
        for m, v in ms.items():
            if isinstance(v, int) and v == 0 and m.startswith(("state.", "iter", "tcp_state.")) \
                    or m in ("search_restart", "error", "found", "invalid", "insert", "insert_failed") and v == 0:
                continue      # zero state counts are in EXPECTED.json, not repeated here
            w(f"| {f} | {m} | {v} |")
    w("\n(zero-valued state counts and zero conntrack -S fields are omitted from this "
      "table; EXPECTED.json has all of them.)\n")
w("""## What could not be done exactly as asked

* **nf_conntrack_max inside a netns**: read-only on this kernel (EINVAL, mode 0444),
  as is `nf_conntrack_buckets`; the conntrack-full table was therefore filled to the
  unchanged global max of 262144 instead of a small max.  The full `conntrack -L` of
  that table (~50 MB) is not stored, only `conntrack -L -p tcp`, `conntrack -C`, `-S`.
  early_drop always succeeded, so `drop` stayed 0 and the "table full, dropping packet"
  message was not logged.
* **"time wait bucket table overflow"**: not logged by this kernel (6.18); only the
  TcpExtTCPTimeWaitOverflow counter shows it.
* **accept-queue-full**: no SYN-RECV on the server (this kernel drops the SYN while the
  accept queue is full); the overflow shows as LISTEN Recv-Q 11 > Send-Q 10,
  client SYN-SENT and TcpExtListenOverflows/ListenDrops.
* **port-exhaustion**: the range is used to 100 % (1000/1000), not 85-90 %, because the
  connect that failed with EADDRNOTAVAIL needs every port in use.
* **File sizes**: time-wait-churn (5400/6000 TIME-WAIT) and fin-wait2-stuck loop
  captures exceed 150 KB and are stored gzip'ed.
* **dmesg**: the kernel log is visible in this VM (`dmesg` works) but global;
  `dmesg.txt` therefore holds only the lines printed while the scenario ran
  (`dmesg | tail -n +K`), not a plain `dmesg | tail`.  Only syn-recv-flood got a line.
* **ss timer quirk** (genuine iproute2 6.1 output, not an error of the capture): ss
  prints timers >= 1 s as e.g. `timer:(on,1.800ms,4)` / `timer:(persist,1.616ms,0)`
  (value in seconds with a `ms` suffix); netstat -o shows the same timer as
  `on (1.79/4/0)`.  TIME-WAIT timers print correctly (`timewait,59sec`).
""")
with open(os.path.join(d, "README.md"), "w") as fh:
    fh.write("\n".join(out))
