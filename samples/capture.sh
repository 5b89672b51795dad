#!/usr/bin/env bash
# capture.sh - regenerate the bundled sockscope sample captures.
#
# Usage:   sudo samples/capture.sh            (takes about 2-3 minutes)
#
# What it does
#   * builds a tiny private LAN out of network namespaces (nothing leaves the
#     machine): sockscope-lan holds a bridge; sockscope-web-1,
#     sockscope-client-1 and sockscope-db-1 are the simulated hosts, each with
#     an eth0 veth on that bridge (10.20.0.0/24 and fd00:20::/64), lo up, an
#     nftables ruleset with `ct state` rules (so conntrack tracks every flow)
#     and conntrack accounting on;
#   * starts samples/sockets.py once per simulated program (nginx, java,
#     postgres, wrk, curl, ...; argv[0] and comm are set to that name, some run
#     as www-data/postgres/nobody) and drives them through FIFOs so that each
#     table holds an exactly known mix of LISTEN, ESTABLISHED, SYN-SENT,
#     SYN-RECV, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, LAST-ACK and TIME-WAIT
#     sockets, UDP (bound and connected), UNIX and netlink sockets;
#   * runs the real tools inside each namespace and writes one plain-text file
#     per capture to samples/<host>/<tool>-<args>.txt, plus multi-snapshot
#     loop logs captured while the socket mix changes once per second, and a
#     gzip and a zstd copy of one loop each;
#   * counts the sockets independently with the tools' own filters
#     (`ss -Htan state X | wc -l`, `conntrack -C`, `conntrack -L -p tcp
#     --state X | wc -l`, ...) immediately before AND after every single
#     snapshot (retrying if they differ) and per loop iteration, and writes
#     them to samples/EXPECTED.json; finally writes samples/README.md.
#
# Idempotent: it deletes its own namespaces (sockscope-*) and /run/sockscope
# left over from an earlier run, stages the output under /run/sockscope/out
# and only replaces samples/{web-1,client-1,db-1}, EXPECTED.json and README.md
# when everything succeeded.  Needs root, iproute2 (ss, ip), net-tools
# (netstat), conntrack, nftables, util-linux (setpriv), gzip, zstd, python3;
# missing ones are installed with apt-get.
#
# Knobs (environment): LOOP_N (iterations per loop, default 20).
set -euo pipefail
export LC_ALL=C TZ=UTC

SAMPLES=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NSP=sockscope-                    # namespace name prefix
HOSTS=(web-1 client-1 db-1)
RUN=/run/sockscope
STAGE=$RUN/out
LOOP_N=${LOOP_N:-20}
CT_TIMEOUT=1800                   # conntrack timeouts for non-established states

die() { echo "capture.sh: error: $*" >&2; [[ -f $RUN/helpers.log ]] && tail -n 20 "$RUN/helpers.log" >&2; exit 1; }
note() { echo "capture.sh: $*" >&2; }

[[ $(id -u) == 0 ]] || die "must run as root (sudo samples/capture.sh)"

# ---------------------------------------------------------------- tools
missing=()
for spec in ss:iproute2 ip:iproute2 netstat:net-tools conntrack:conntrack nft:nftables \
            setpriv:util-linux gzip:gzip zstd:zstd; do
  command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
done
if ((${#missing[@]})); then
  note "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3) || die "python3 not found"

# ---------------------------------------------------------------- cleanup
declare -A IN=() OUT=() PID=()

teardown() {
  local key ns pid
  for key in "${!PID[@]}"; do kill "${PID[$key]}" 2>/dev/null || true; done
  for key in "${!PID[@]}"; do wait "${PID[$key]}" 2>/dev/null || true; done
  PID=()
  for ns in "${HOSTS[@]}" lan; do
    if ip netns list | grep -qw "$NSP$ns"; then
      # processes left in our own namespaces by an earlier, interrupted run
      for pid in $(ip netns pids "$NSP$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
      ip netns del "$NSP$ns" 2>/dev/null || true
    fi
  done
}
on_exit() { local rc=$?; set +e; teardown; rm -rf "$RUN"; exit $rc; }
trap on_exit EXIT
trap 'exit 130' INT TERM

teardown
rm -rf "$RUN"
mkdir -p "$RUN/ctl" "$STAGE"
chmod 755 "$RUN"
install -m 0644 "$SAMPLES/sockets.py" "$RUN/sockets.py"
for h in "${HOSTS[@]}"; do mkdir -p "$STAGE/$h" "$RUN/$h"; chmod 1777 "$RUN/$h"; done
: >"$RUN/records.jsonl"

# run a command in a host's network namespace only (nsenter keeps the mount
# namespace, so ss -e still finds the cgroup2 mount; `ip netns exec` would not)
nsx() { local h=$1; shift; nsenter --net="/run/netns/$NSP$h" -- "$@"; }

# ---------------------------------------------------------------- network
declare -A ADDR4=([web-1]="10.20.0.10" [client-1]="10.20.0.21 10.20.0.22 10.20.0.23" [db-1]="10.20.0.30")
declare -A ADDR6=([web-1]="fd00:20::10" [client-1]="fd00:20::21 fd00:20::22" [db-1]="fd00:20::30")

ip netns add "${NSP}lan"
nsx lan sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "${NSP}lan" link set lo up
ip -n "${NSP}lan" link add br0 type bridge
ip -n "${NSP}lan" link set br0 up

for h in "${HOSTS[@]}"; do
  ip netns add "$NSP$h"
  nsx "$h" sysctl -qw \
    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
    net.ipv4.ip_unprivileged_port_start=0 \
    net.ipv4.tcp_syn_retries=20 net.ipv4.tcp_synack_retries=20 net.ipv4.tcp_orphan_retries=15 \
    net.netfilter.nf_conntrack_acct=1
  # keep conntrack entries of finished/half-open flows for the whole run, so
  # that the conntrack counts do not depend on how long the run takes
  for t in syn_sent syn_recv fin_wait close_wait last_ack time_wait close unacknowledged max_retrans; do
    nsx "$h" sysctl -qw "net.netfilter.nf_conntrack_tcp_timeout_$t=$CT_TIMEOUT"
  done
  nsx "$h" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=$CT_TIMEOUT \
    net.netfilter.nf_conntrack_udp_timeout_stream=$CT_TIMEOUT \
    net.netfilter.nf_conntrack_icmp_timeout=$CT_TIMEOUT net.netfilter.nf_conntrack_icmpv6_timeout=$CT_TIMEOUT
  ip link add eth0 netns "$NSP$h" type veth peer name "$h" netns "${NSP}lan"
  ip -n "${NSP}lan" link set "$h" master br0 up
  ip -n "$NSP$h" link set lo up
  ip -n "$NSP$h" link set eth0 up
  for a in ${ADDR4[$h]}; do ip -n "$NSP$h" addr add "$a/24" dev eth0; done
  for a in ${ADDR6[$h]}; do ip -n "$NSP$h" addr add "$a/64" dev eth0 nodad; done
done

# nftables: every host tracks all flows (ct state rules); client-1 drops the
# SYN-ACKs of web-1:8443 (-> SYN-SENT here, SYN-RECV on web-1) and the FINs of
# web-1:443 (-> LAST-ACK on web-1 once nginx closes); db-1 drops every SYN to
# 3306 (-> SYN-SENT [UNREPLIED] on client-1).
nsx web-1 nft -f - <<'EOF'
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    ct state established,related counter accept
    iif "lo" accept
    tcp dport { 22, 53, 80, 443, 8080, 8443, 9100 } ct state new counter accept
    udp dport 53 counter accept
  }
  chain output {
    type filter hook output priority filter; policy accept;
    ct state established,related,new counter accept
  }
}
EOF
nsx client-1 nft -f - <<'EOF'
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    ip saddr 10.20.0.10 tcp sport 8443 counter drop
    ip saddr 10.20.0.10 tcp sport 443 tcp flags & fin == fin counter drop
    ct state established,related counter accept
    iif "lo" accept
  }
  chain output {
    type filter hook output priority filter; policy accept;
    ct state established,related,new counter accept
  }
}
EOF
nsx db-1 nft -f - <<'EOF'
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 3306 counter drop
    ct state established,related counter accept
    iif "lo" accept
    tcp dport { 22, 5432 } ct state new counter accept
    udp dport 514 counter accept
  }
  chain output {
    type filter hook output priority filter; policy accept;
    ct state established,related,new counter accept
  }
}
EOF

# ---------------------------------------------------------------- programs
# start_prog HOST NAME [USER]: sockets.py as argv[0]=NAME in HOST's namespace
start_prog() {
  local h=$1 name=$2 user=${3:-root} key="$1/$2" fd
  local fin="$RUN/ctl/$h.$name.in" fout="$RUN/ctl/$h.$name.out"
  mkfifo "$fin" "$fout"
  nsenter --net="/run/netns/$NSP$h" -- setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups \
    bash -c 'exec -a "$0" "$1" "$2"' "$name" "$PY" "$RUN/sockets.py" \
    <"$fin" >"$fout" 2>>"$RUN/helpers.log" &
  PID[$key]=$!
  exec {fd}>"$fin"; IN[$key]=$fd
  exec {fd}<"$fout"; OUT[$key]=$fd
}

# say HOST NAME COMMAND...: send one command, wait for "ok"
say() {
  local key="$1/$2" reply; shift 2
  [[ -n ${IN[$key]:-} ]] || die "no program $key"
  printf '%s\n' "$*" >&"${IN[$key]}"
  read -r -t 120 -u "${OUT[$key]}" reply || die "$key did not answer: $*"
  [[ $reply == ok* ]] || die "$key: $* -> $reply"
}

HTTP='GET_/_HTTP/1.1\r\nHost:_web-1\r\nUser-Agent:_wrk\r\n\r\n'

# ---- db-1
start_prog db-1 postgres postgres
say db-1 postgres listen pg4 4 0.0.0.0 5432 200 http
say db-1 postgres listen pg6 6 :: 5432 200 http
say db-1 postgres unix-listen pgsock "$RUN/db-1/.s.PGSQL.5432"
start_prog db-1 mysqld nobody
say db-1 mysqld listen my4 4 0.0.0.0 3306 80 http
say db-1 mysqld listen my6 6 :: 3306 80 http
start_prog db-1 sshd
say db-1 sshd listen ssh4 4 0.0.0.0 22 128 http
say db-1 sshd listen ssh6 6 :: 22 128 http
start_prog db-1 rsyslogd
say db-1 rsyslogd udp syslog4 4 0.0.0.0 514 sink
say db-1 rsyslogd udp syslog6 6 :: 514 sink
say db-1 rsyslogd unix-dgram devlog "$RUN/db-1/dev-log"
start_prog db-1 postgres_exporter nobody
say db-1 postgres_exporter connect local 1 4 127.0.0.1 5432 mode=hold 'send=SELECT_1;\n'

# ---- web-1
start_prog web-1 php-fpm www-data
say web-1 php-fpm unix-listen fpm "$RUN/web-1/php-fpm.sock"
start_prog web-1 nginx www-data
say web-1 nginx listen http4 4 0.0.0.0 80 511 http
say web-1 nginx listen http6 6 :: 80 511 http
say web-1 nginx listen https4 4 0.0.0.0 443 511 leak     # never closes -> CLOSE-WAIT
say web-1 nginx listen https6 6 :: 443 511 leak
say web-1 nginx listen admin4 4 0.0.0.0 8443 511 http
say web-1 nginx unix-connect fpm "$RUN/web-1/php-fpm.sock" 2
start_prog web-1 redis-server nobody
say web-1 redis-server listen redis 4 127.0.0.1 6379 511 http
start_prog web-1 java nobody
say web-1 java listen app 4 0.0.0.0 8080 4 noaccept        # backlog 4, never accept()
say web-1 java connect redis 2 4 127.0.0.1 6379 mode=hold 'send=PING\r\n' keepalive=300
say web-1 java connect dbpool 12 4 10.20.0.30 5432 mode=hold 'send=SELECT_1;\n' keepalive=300
say web-1 java connect dbpool6 4 6 fd00:20::30 5432 mode=hold 'send=SELECT_1;\n' keepalive=300
start_prog web-1 sshd
say web-1 sshd listen ssh4 4 0.0.0.0 22 128 http
say web-1 sshd listen ssh6 6 :: 22 128 http
start_prog web-1 named nobody
say web-1 named listen dns4 4 0.0.0.0 53 64 http
say web-1 named listen dns6 6 :: 53 64 http
say web-1 named udp dnsu4 4 0.0.0.0 53 echo
say web-1 named udp dnsu6 6 :: 53 echo
start_prog web-1 chronyd systemd-timesync
say web-1 chronyd udp ntp 4 0.0.0.0 123 sink
say web-1 chronyd udp cmd4 4 127.0.0.1 323 sink
say web-1 chronyd udp cmd6 6 ::1 323 sink
start_prog web-1 rsyslogd
say web-1 rsyslogd udpc fwd 4 10.20.0.30 514 send=3 reply=0
say web-1 rsyslogd unix-dgram devlog "$RUN/web-1/dev-log"
start_prog web-1 node_exporter nobody
say web-1 node_exporter listen metrics 6 :: 9100 128 http v6only=0   # dual-stack

# ---- client-1
start_prog client-1 wrk nobody
say client-1 wrk connect pool 20 4 10.20.0.10 80 src=10.20.0.21 mode=hold "send=$HTTP" keepalive=300
say client-1 wrk connect pool 12 4 10.20.0.10 80 src=10.20.0.22 mode=hold "send=$HTTP" keepalive=300
say client-1 wrk connect pool 10 4 10.20.0.10 80 src=10.20.0.23 mode=hold "send=$HTTP" keepalive=300
say client-1 wrk connect pool6 10 6 fd00:20::10 80 src=fd00:20::21 mode=hold "send=$HTTP" keepalive=300
say client-1 wrk connect pool6 6 6 fd00:20::10 80 src=fd00:20::22 mode=hold "send=$HTTP" keepalive=300
start_prog client-1 haproxy
say client-1 haproxy connect https4 50 4 10.20.0.10 443 src=10.20.0.21 mode=hold "send=$HTTP"
say client-1 haproxy connect https6 8 6 fd00:20::10 443 src=fd00:20::22 mode=hold "send=$HTTP"
say client-1 haproxy shutwr https4 8          # -> FIN-WAIT-2 here, CLOSE-WAIT on web-1
say client-1 haproxy shutwr https6 3
say web-1 nginx close-eof https4 3            # its FIN is dropped by client-1 -> LAST-ACK
start_prog client-1 prometheus nobody
say client-1 prometheus connect scrape 3 4 10.20.0.10 9100 src=10.20.0.23 mode=hold 'send=GET_/metrics_HTTP/1.1\r\n\r\n'
start_prog client-1 ssh
say client-1 ssh connect sess 1 4 10.20.0.10 22 src=10.20.0.21 mode=hold 'send=SSH-2.0-OpenSSH_9.2p1\r\n' keepalive=60
start_prog client-1 wget
say client-1 wget connect dl 1 4 10.20.0.10 80 src=10.20.0.22 mode=noread 'send=GET_/big.iso_HTTP/1.1\r\n\r\n'
# nginx sends until the window is full and then shuts down: FIN-WAIT-1 on web-1
say client-1 wget connect dl 1 4 10.20.0.10 80 src=10.20.0.23 mode=noread 'send=GET_/big-close.iso_HTTP/1.1\r\n\r\n'
start_prog client-1 java
say client-1 java connect batch 5 4 10.20.0.10 8080 src=10.20.0.21 mode=hold resp=0 'send=POST_/batch_HTTP/1.1\r\n\r\n'
sleep 0.3                                     # let web-1 queue the 5th connection
say client-1 java connect batch 2 4 10.20.0.10 8080 src=10.20.0.21 mode=nowait   # accept queue full
start_prog client-1 curl
say client-1 curl connect admin 3 4 10.20.0.10 8443 src=10.20.0.22 mode=nowait   # SYN-ACK dropped
start_prog client-1 mysql
say client-1 mysql connect db 2 4 10.20.0.30 3306 src=10.20.0.23 mode=nowait     # SYN dropped
start_prog client-1 envoy
say client-1 envoy listen admin4 4 127.0.0.1 15000 128 http
say client-1 envoy listen admin6 6 ::1 15001 128 http
say client-1 envoy unix-listen uds @envoy-admin
start_prog client-1 node nobody
say client-1 node connect local 2 4 127.0.0.1 15000 mode=hold 'send=GET_/stats_HTTP/1.1\r\n\r\n'
say client-1 node connect local6 1 6 ::1 15001 mode=hold 'send=GET_/stats_HTTP/1.1\r\n\r\n'
say client-1 node unix-connect uds @envoy-admin 1
say client-1 node unix-pair pair
start_prog client-1 systemd-resolve systemd-network
say client-1 systemd-resolve udp stub 4 127.0.0.53 53 echo
say client-1 systemd-resolve udpc up 4 10.20.0.10 53 send=2 reply=1
start_prog client-1 statsd nobody
say client-1 statsd udp statsd 4 127.0.0.1 8125 sink
say client-1 node udpc metrics 4 127.0.0.1 8125 send=5 reply=0   # statsd never reads: Recv-Q > 0
start_prog client-1 dhclient
say client-1 dhclient udp dhcp 4 0.0.0.0 68 sink
sleep 1                                       # let the stalled download fill its buffers

# ---------------------------------------------------------------- counting
# Independent counts with the tools' own filters, run inside the namespace.
COUNT_SCRIPT='
for s in established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait close-wait last-ack closing listening; do
  echo "tcp.$s $(ss -Htan state $s 2>/dev/null | wc -l)"
done
echo "tcp.total $(ss -Htan 2>/dev/null | wc -l)"
echo "tcp.ipv4 $(ss -Htan -4 2>/dev/null | wc -l)"
echo "tcp.ipv6 $(ss -Htan -6 2>/dev/null | wc -l)"
echo "udp.total $(ss -Huan 2>/dev/null | wc -l)"
echo "udp.connected $(ss -Huan state established 2>/dev/null | wc -l)"
echo "unix.total $(ss -Hxa 2>/dev/null | wc -l)"
echo "unix.proc_net_unix $(tail -n +2 /proc/net/unix | wc -l)"
echo "conntrack.count $(conntrack -C 2>/dev/null)"
echo "conntrack.listed $(conntrack -L 2>/dev/null | wc -l)"
echo "conntrack.ipv4 $(conntrack -L -f ipv4 2>/dev/null | wc -l)"
echo "conntrack.ipv6 $(conntrack -L -f ipv6 2>/dev/null | wc -l)"
echo "conntrack.tcp $(conntrack -L -p tcp 2>/dev/null | wc -l)"
echo "conntrack.udp $(conntrack -L -p udp 2>/dev/null | wc -l)"
echo "conntrack.seen_reply $(conntrack -L -u SEEN_REPLY 2>/dev/null | wc -l)"
echo "conntrack.assured $(conntrack -L -u ASSURED 2>/dev/null | wc -l)"
for s in SYN_SENT SYN_RECV ESTABLISHED FIN_WAIT CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE; do
  echo "conntrack.tcp_state.$s $(conntrack -L -p tcp --state $s 2>/dev/null | wc -l)"
done
'
counts() { nsx "$1" bash -c "$COUNT_SCRIPT"; }
as_json() { awk 'BEGIN{printf "{"} {printf "%s\"%s\": %s", (NR>1 ? ", " : ""), $1, $2} END{printf "}"}'; }
jstr() { "$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

# snap HOST FILE COMMAND: one single-snapshot capture, counts before == after
snap() {
  local h=$1 file=$2 cmd=$3 before after try
  for try in 1 2 3 4 5; do
    before=$(counts "$h")
    nsx "$h" bash -c "$cmd" >"$STAGE/$h/$file"
    after=$(counts "$h")
    [[ $before == "$after" ]] && break
    note "counts changed while capturing $h/$file (try $try), retrying"
    sleep 0.5
  done
  [[ $before == "$after" ]] || die "socket mix of $h is not static"
  printf '{"kind": "snapshot", "path": %s, "host": "%s", "command": %s, "tries": %d, "counts": %s}\n' \
    "$(jstr "$h/$file")" "$h" "$(jstr "$cmd")" "$try" "$(as_json <<<"$after")" >>"$RUN/records.jsonl"
}

SINGLES=(
  "netstat-an.txt|netstat -an"
  "netstat-tunap.txt|netstat -tunap"
  "netstat-W-neopa.txt|netstat -W -neopa"
  "netstat-tano.txt|netstat -tano"
  "ss-tan.txt|ss -tan"
  "ss-tanp.txt|ss -tanp"
  "ss-tanoei.txt|ss -tanoei"
  "ss-tanpmi.txt|ss -tanpmi"
  "ss-a.txt|ss -a"
  "ss-H-tan.txt|ss -H -tan"
  "ss-s.txt|ss -s"
  "conntrack-L.txt|conntrack -L 2>&1"
  "conntrack-L-o-extended.txt|conntrack -L -o extended 2>&1"
  "nf_conntrack.txt|cat /proc/net/nf_conntrack"
  "sysctl-a.txt|sysctl -a 2>/dev/null"
)
capture_singles() {
  local h=$1 e
  note "single-snapshot captures of $h"
  for e in "${SINGLES[@]}"; do snap "$h" "${e%%|*}" "${e#*|}"; done
}

sleep_until() {   # absolute time in seconds since the epoch (fractional)
  local d
  d=$(awk -v t="$1" -v n="$EPOCHREALTIME" 'BEGIN { d = t - n; printf "%.3f", (d > 0 ? d : 0) }')
  sleep "$d"
}

# loop HOST FILE KIND CHANGE_FN: LOOP_N snapshots, one per second; KIND is
#   ss        : date; ss -tan
#   netstat   : date -Is; netstat -tan
#   ss+ct     : date; ss -tan; conntrack -L -o extended 2>&1
# CHANGE_FN i is called after snapshot i (i < LOOP_N) to change the socket mix.
loop() {
  local h=$1 file=$2 kind=$3 change=$4 i t0 d tcp ctl c out
  out="$STAGE/$h/$file"
  local tmp="$RUN/loop.tmp" tmpct="$RUN/loop-ct.tmp"
  note "loop capture $h/$file ($LOOP_N snapshots)"
  : >"$out"
  t0=$EPOCHREALTIME
  for ((i = 1; i <= LOOP_N; i++)); do
    ctl=null
    case $kind in
      ss)      d=$(nsx "$h" date); echo "$d" >>"$out"
               nsx "$h" ss -tan | tee "$tmp" >>"$out"
               tcp=$(($(wc -l <"$tmp") - 1)) ;;
      netstat) d=$(nsx "$h" date -Is); echo "$d" >>"$out"
               nsx "$h" netstat -tan | tee "$tmp" >>"$out"
               tcp=$(($(wc -l <"$tmp") - 2)) ;;
      ss+ct)   d=$(nsx "$h" date); echo "$d" >>"$out"
               nsx "$h" ss -tan | tee "$tmp" >>"$out"
               nsx "$h" bash -c 'conntrack -L -o extended 2>&1' | tee "$tmpct" >>"$out"
               tcp=$(($(wc -l <"$tmp") - 1))
               ctl=$(wc -l <"$tmpct") ;;
    esac
    c=$(counts "$h" | as_json)
    printf '{"kind": "loop-snapshot", "path": %s, "host": "%s", "loop_kind": "%s", "index": %d, "date": %s, "tcp_total_wc": %d, "conntrack_output_lines_wc": %s, "counts": %s}\n' \
      "$(jstr "$h/$file")" "$h" "$kind" "$i" "$(jstr "$d")" "$tcp" "$ctl" "$c" >>"$RUN/records.jsonl"
    if ((i < LOOP_N)); then
      "$change" "$i"
      sleep_until "$(awk -v a="$t0" -v i="$i" 'BEGIN { printf "%.6f", a + i }')"
    fi
  done
}

# ---------------------------------------------------------------- loops
# web-1 ss-loop: 2 more half-closed HTTPS connections every second (CLOSE-WAIT grows)
chg_closewait() { say client-1 haproxy shutwr https4 2; }
# web-1 netstat-loop: one more connection to :8443 every second whose SYN-ACK
# is dropped by client-1 (SYN-RECV grows on web-1, SYN-SENT on client-1)
chg_synrecv() { say client-1 curl connect admin 1 4 10.20.0.10 8443 src=10.20.0.22 mode=nowait; sleep 0.2; }
# db-1 ss+conntrack loop: web-1's java leaks 1 more pooled connection per second
chg_poolleak() { say web-1 java connect dbpool 1 4 10.20.0.30 5432 mode=hold 'send=SELECT_1;\n' keepalive=300; }
# client-1 ss-loop: bursts of short HTTP requests (client closes first -> TIME-WAIT)
# for 9 s, then the bursts age out source by source.  TIME-WAIT lasts a fixed 60 s
# (not tunable), so the "expiry" is done with `ss -K` at fixed iterations to
# keep the per-snapshot counts identical from run to run.
chg_timewait() {
  local i=$1 srcs=(10.20.0.21 10.20.0.22 10.20.0.23)
  if ((i <= 9)); then
    say client-1 curl connect short 8 4 10.20.0.10 80 "src=${srcs[(i - 1) % 3]}" mode=short "send=$HTTP"
    if ((i % 3 == 0)); then
      say client-1 curl connect short 4 6 fd00:20::10 80 src=fd00:20::21 mode=short "send=$HTTP"
    fi
  fi
  case $i in
    11) nsx client-1 ss -t -K state time-wait src 10.20.0.21 >/dev/null 2>&1 || true ;;
    13) nsx client-1 ss -t -K state time-wait src 10.20.0.22 >/dev/null 2>&1 || true ;;
    15) nsx client-1 ss -t -K state time-wait src [fd00:20::21] >/dev/null 2>&1 || true ;;
    17) nsx client-1 ss -t -K state time-wait src 10.20.0.23 >/dev/null 2>&1 || true ;;
  esac
  return 0
}

loop web-1 ss-loop.log ss chg_closewait
loop web-1 netstat-loop.log netstat chg_synrecv
loop db-1 ss-conntrack-loop.log ss+ct chg_poolleak
loop client-1 ss-loop.log ss chg_timewait

# ---------------------------------------------------------------- singles
# web-1: 16 + 8 short queries to db-1 that web-1 closes first -> TIME-WAIT on web-1
say web-1 java connect q 16 4 10.20.0.30 5432 mode=short 'send=SELECT_now();\n'
say web-1 java connect q6 8 6 fd00:20::30 5432 mode=short 'send=SELECT_now();\n'
sleep 0.3
capture_singles web-1
capture_singles db-1
# the same with line-buffered stdout: the trailer is then a clean last line
snap db-1 conntrack-L-stdbuf-oL.txt 'stdbuf -oL conntrack -L 2>&1'
# client-1: 30 short requests to web-1 -> TIME-WAIT on client-1
say client-1 curl connect short 10 4 10.20.0.10 80 src=10.20.0.21 mode=short "send=$HTTP"
say client-1 curl connect short 10 4 10.20.0.10 80 src=10.20.0.22 mode=short "send=$HTTP"
say client-1 curl connect short 10 6 fd00:20::10 80 src=fd00:20::22 mode=short "send=$HTTP"
sleep 0.3
capture_singles client-1

# ---------------------------------------------------------------- compressed copies
gzip -9 -n -c "$STAGE/web-1/ss-loop.log" >"$STAGE/web-1/ss-loop.log.gz"
zstd -19 -q -c "$STAGE/client-1/ss-loop.log" >"$STAGE/client-1/ss-loop.log.zst"

# ---------------------------------------------------------------- versions
VERSIONS="$RUN/versions.txt"
{
  echo "kernel $(uname -r)"
  echo "os $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "iproute2 $(ss -V | sed 's/.*iproute2-//')"
  echo "net-tools $(netstat -V | head -n1 | awk '{print $2}')"
  echo "conntrack-tools $(conntrack -V | awk '{print $2}' | sed 's/^v//')"
  echo "nftables $(nft -v | awk '{print $2}' | sed 's/^v//')"
  echo "python $("$PY" -c 'import platform; print(platform.python_version())')"
  echo "gzip $(gzip --version | head -n1 | awk '{print $2}')"
  echo "zstd $(zstd --version | sed 's/.* v\([0-9.]*\).*/\1/')"
} >"$VERSIONS"

# ---------------------------------------------------------------- EXPECTED.json
"$PY" - "$RUN/records.jsonl" "$VERSIONS" "$STAGE/EXPECTED.json" "$LOOP_N" "$RUN/summary.md" <<'EOF'
import json, sys, datetime
records_path, versions_path, out_path, loop_n, summary_path = sys.argv[1:6]
versions = dict(l.rstrip("\n").split(" ", 1) for l in open(versions_path))

TCP = {"established": "ESTABLISHED", "syn-sent": "SYN_SENT", "syn-recv": "SYN_RECV",
       "fin-wait-1": "FIN_WAIT1", "fin-wait-2": "FIN_WAIT2", "time-wait": "TIME_WAIT",
       "close-wait": "CLOSE_WAIT", "last-ack": "LAST_ACK", "closing": "CLOSING",
       "listening": "LISTEN"}

def nest(flat):
    tcp_states = {TCP[k[4:]]: v for k, v in flat.items() if k[4:] in TCP and k.startswith("tcp.")}
    ct_states = {k.split(".")[-1]: v for k, v in flat.items() if k.startswith("conntrack.tcp_state.")}
    listed, seen = flat["conntrack.listed"], flat["conntrack.seen_reply"]
    return {
        "tcp": {"total": flat["tcp.total"], "ipv4": flat["tcp.ipv4"], "ipv6": flat["tcp.ipv6"],
                "states": tcp_states},
        "udp": {"total": flat["udp.total"], "connected": flat["udp.connected"]},
        "unix": {"total": flat["unix.total"], "proc_net_unix": flat["unix.proc_net_unix"]},
        "conntrack": {"count": flat["conntrack.count"], "listed": listed,
                      "ipv4": flat["conntrack.ipv4"], "ipv6": flat["conntrack.ipv6"],
                      "tcp": flat["conntrack.tcp"], "udp": flat["conntrack.udp"],
                      "seen_reply": seen, "unreplied": listed - seen,
                      "assured": flat["conntrack.assured"], "tcp_states": ct_states},
    }

LOOP_CMD = {
    "ss": "while true; do date; ss -tan; sleep 1; done",
    "netstat": "while true; do date -Is; netstat -tan; sleep 1; done",
    "ss+ct": "while true; do date; ss -tan; conntrack -L -o extended 2>&1; sleep 1; done",
}
files, loops = [], {}
for line in open(records_path):
    r = json.loads(line)
    if r["kind"] == "snapshot":
        files.append({"path": r["path"], "host": r["host"], "kind": "snapshot",
                      "command": r["command"], **nest(r["counts"])})
        continue
    lp = loops.get(r["path"])
    if lp is None:
        lp = loops[r["path"]] = {"path": r["path"], "host": r["host"], "kind": "loop",
                                 "command": LOOP_CMD[r["loop_kind"]], "snapshots": 0,
                                 "per_snapshot": []}
        files.append(lp)
    n = nest(r["counts"])
    snap = {"index": r["index"], "date": r["date"], "tcp_total_wc": r["tcp_total_wc"],
            "tcp_states": n["tcp"]["states"], "tcp_total_filter": n["tcp"]["total"]}
    if r["conntrack_output_lines_wc"] is not None:
        snap["conntrack_output_lines_wc"] = r["conntrack_output_lines_wc"]
        snap["conntrack_listed"] = n["conntrack"]["listed"]
        snap["conntrack_count"] = n["conntrack"]["count"]
    lp["per_snapshot"].append(snap)
    lp["snapshots"] += 1
files.append({"path": "web-1/ss-loop.log.gz", "host": "web-1", "kind": "compressed",
              "codec": "gzip", "copy_of": "web-1/ss-loop.log"})
files.append({"path": "client-1/ss-loop.log.zst", "host": "client-1", "kind": "compressed",
              "codec": "zstd", "copy_of": "client-1/ss-loop.log"})

doc = {
    "generated_by": "samples/capture.sh",
    "generated_at": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
    "versions": versions,
    "notes": [
        "Counts were taken at capture time inside the host's network namespace with the tools' own filters, never by parsing the files.",
        "snapshot: tcp.states[S] = `ss -Htan state <s> | wc -l`, tcp.total = `ss -Htan | wc -l` (-4/-6 for ipv4/ipv6; v4-mapped sockets count as ipv6), udp.total = `ss -Huan | wc -l`, unix.total = `ss -Hxa | wc -l`, conntrack.count = `conntrack -C`, conntrack.listed = `conntrack -L 2>/dev/null | wc -l` (both families), conntrack.tcp_states[S] = `conntrack -L -p tcp --state S | wc -l`, seen_reply/assured = `conntrack -L -u SEEN_REPLY|ASSURED | wc -l`, unreplied = listed - seen_reply.",
        "snapshot counts were taken immediately before and after the capture and only recorded when identical; all single-snapshot files of one host therefore describe the same socket mix.",
        "loop: per_snapshot[i].tcp_total_wc = wc -l of that iteration's ss/netstat output minus its header lines (1 for ss, 2 for netstat); tcp_states/tcp_total_filter were counted with ss filters right after the snapshot (the mix only changes between snapshots); conntrack_output_lines_wc = wc -l of that iteration's `conntrack -L -o extended 2>&1` output (entries + 1 trailer line; the trailer may be spliced into the middle of an entry line, see README), conntrack_listed/conntrack_count = `conntrack -L | wc -l` / `conntrack -C` right after.",
        "netstat spells states ESTABLISHED/SYN_SENT/...; ss spells them ESTAB/SYN-SENT/.../UNCONN; the keys here are the netstat/kernel names.",
        "The sysctl-a.txt files are the full `sysctl -a` of the namespace (stderr dropped); they carry no counts.",
        "Paths are relative to samples/. Compressed copies have the counts of the file they copy.",
    ],
    "files": files,
}
# markdown summary of the single-snapshot mix of each host (for README.md)
cols = ["LISTEN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK"]
rows = ["| host | " + " | ".join(cols) + " | TCP total (v4/v6) | UDP | UNIX | conntrack (unreplied, assured) |",
        "|" + " --- |" * (len(cols) + 5)]
seen_hosts = set()
for f in files:
    if f["kind"] != "snapshot" or f["host"] in seen_hosts:
        continue
    seen_hosts.add(f["host"])
    t, ct = f["tcp"], f["conntrack"]
    rows.append("| %s | %s | %d (%d/%d) | %d | %d | %d (%d, %d) |" % (
        f["host"], " | ".join(str(t["states"][c]) for c in cols), t["total"], t["ipv4"],
        t["ipv6"], f["udp"]["total"], f["unix"]["total"], ct["listed"], ct["unreplied"],
        ct["assured"]))
with open(summary_path, "w") as f:
    f.write("\n".join(rows) + "\n")

# one line per loop snapshot keeps the file short and diff-friendly
compact = {}
for f in files:
    for i, sn in enumerate(f.get("per_snapshot", [])):
        key = "@@%s#%d@@" % (f["path"], i)
        compact[key] = json.dumps(sn)
        f["per_snapshot"][i] = key
text = json.dumps(doc, indent=1)
for key, val in compact.items():
    text = text.replace(json.dumps(key), val)
with open(out_path, "w") as f:
    f.write(text + "\n")
EOF

# ---------------------------------------------------------------- README.md
v() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$VERSIONS"; }
cat >"$STAGE/README.md" <<EOF
# sockscope sample captures

Real captures made with the real tools on a Linux machine, inside private
network namespaces, by \`samples/capture.sh\` (socket helper:
\`samples/sockets.py\`).  Regenerate with:

    sudo samples/capture.sh      # ~2-3 min; replaces web-1/ client-1/ db-1/ EXPECTED.json README.md

Counts of every file (taken at capture time with the tools' own filters, not
by parsing the files) are in \`EXPECTED.json\`.  Each run gives the same counts;
addresses of the sockets are fixed, ephemeral ports, inodes, pids, timers,
byte counters and dates vary.

Socket mix shown by every single-snapshot file of a host (TCP states as counted
by \`ss -Htan state X | wc -l\`, conntrack entries by \`conntrack -L | wc -l\`):

$(cat "$RUN/summary.md")

## Versions

| tool | version |
| --- | --- |
| kernel | $(v kernel) |
| OS | $(v os) |
| iproute2 (ss) | $(v iproute2) |
| net-tools (netstat) | $(v net-tools) |
| conntrack-tools | $(v conntrack-tools) |
| nftables | $(v nftables) |
| python3 | $(v python) |

## Hosts

Three namespaces on one bridge (10.20.0.0/24, fd00:20::/64); nothing leaves the machine.

* **web-1** (10.20.0.10, fd00:20::10): nginx on :80/:443 (v4+v6) and :8443,
  java with a listener on :8080 (backlog 4, never calls accept(): LISTEN Recv-Q 5)
  and a connection pool to db-1:5432, redis on 127.0.0.1:6379, sshd, named
  (TCP+UDP 53), chronyd (UDP 123/323), rsyslogd (connected UDP to db-1:514),
  node_exporter on dual-stack [::]:9100 (peers appear as ::ffff:10.20.0.23).
  nginx never closes :443 connections, so the ones client-1 half-closed are
  CLOSE-WAIT (3 of them were then closed by nginx, but client-1 drops their FIN:
  LAST-ACK); client-1 drops web-1's SYN-ACKs from :8443, so those are SYN-RECV;
  a download that client-1 never reads was shut down by nginx: FIN-WAIT-1 with
  a persist timer; java's short queries to db-1 left TIME-WAIT sockets.
* **client-1** (10.20.0.21-23, fd00:20::21-22): wrk keep-alive pool to web-1:80,
  haproxy to web-1:443 (some half-closed: FIN-WAIT-2), prometheus scraping
  :9100, an ssh session, two stalled wget downloads (Recv-Q on this side,
  Send-Q on web-1), java connections to web-1:8080 (5 ESTAB in the full accept
  queue + 2 SYN-SENT), curl to :8443 (SYN-SENT), mysql to db-1:3306 (SYN dropped
  by db-1: SYN-SENT, conntrack [UNREPLIED]), curl short requests (TIME-WAIT),
  envoy + node on 127.0.0.1/::1 (both ends of each loopback connection appear),
  systemd-resolve/statsd/dhclient UDP sockets (statsd never reads: Recv-Q > 0).
* **db-1** (10.20.0.30, fd00:20::30): postgres :5432 (v4+v6) serving web-1's
  pool and postgres_exporter on 127.0.0.1, mysqld :3306 behind an nftables
  drop rule, sshd, rsyslogd UDP :514 that never reads (UDP Recv-Q > 0,
  conntrack [UNREPLIED]).

Processes have recognisable names (argv[0] and comm); nginx/php-fpm run as
www-data, postgres as postgres, several others as nobody, so \`netstat -e\` and
\`ss -e\` show non-zero uids.  Each host also has UNIX sockets (stream listeners
with connections, datagram, abstract, socketpair) and netlink sockets (in \`ss -a\`).

## Files (one directory per host; the file name starts with the tool)

| file | command (run inside the host's namespace with \`nsenter --net\`) |
| --- | --- |
| netstat-an.txt | \`netstat -an\` (tcp, udp, unix) |
| netstat-tunap.txt | \`netstat -tunap\` |
| netstat-W-neopa.txt | \`netstat -W -neopa\` (sosreport style: User, Inode, PID/Program, Timer) |
| netstat-tano.txt | \`netstat -tano\` |
| ss-tan.txt | \`ss -tan\` |
| ss-tanp.txt | \`ss -tanp\` |
| ss-tanoei.txt | \`ss -tanoei\` (timers, uid, ino, sk, cgroup) |
| ss-tanpmi.txt | \`ss -tanpmi\` (TAB-indented skmem/tcp-info continuation lines) |
| ss-a.txt | \`ss -a\` (all netids: nl, u_str, u_dgr, udp, tcp; service names) |
| ss-H-tan.txt | \`ss -H -tan\` (no header) |
| ss-s.txt | \`ss -s\` |
| conntrack-L.txt | \`conntrack -L 2>&1\` (see "conntrack trailer" below) |
| conntrack-L-o-extended.txt | \`conntrack -L -o extended 2>&1\` |
| conntrack-L-stdbuf-oL.txt | db-1 only: \`stdbuf -oL conntrack -L 2>&1\` (trailer is a clean last line) |
| nf_conntrack.txt | \`cat /proc/net/nf_conntrack\` |
| sysctl-a.txt | \`sysctl -a 2>/dev/null\` (full output of the namespace, $(wc -c <"$STAGE/web-1/sysctl-a.txt") bytes on web-1; not trimmed) |

Multi-snapshot loops ($LOOP_N snapshots, one per second, captured while the mix changes):

| file | loop | what changes |
| --- | --- | --- |
| web-1/ss-loop.log | \`while true; do date; ss -tan; sleep 1; done\` | CLOSE-WAIT +2 per second (client-1 half-closes 2 more :443 connections) |
| web-1/netstat-loop.log | \`while true; do date -Is; netstat -tan; sleep 1; done\` | SYN_RECV +1 per second (another :8443 connect whose SYN-ACK client-1 drops) |
| db-1/ss-conntrack-loop.log | \`while true; do date; ss -tan; conntrack -L -o extended 2>&1; sleep 1; done\` | ESTAB and conntrack entries +1 per second (web-1's java leaks pooled connections) |
| client-1/ss-loop.log | \`while true; do date; ss -tan; sleep 1; done\` | TIME-WAIT rises for 9 s (bursts of short requests), then falls source by source |
| web-1/ss-loop.log.gz | gzip -9 -n copy of web-1/ss-loop.log | |
| client-1/ss-loop.log.zst | zstd -19 copy of client-1/ss-loop.log | |

## Things a parser meets in these files (all genuine tool behaviour)

* **conntrack trailer**: \`conntrack -L\` prints its entries on stdout (block
  buffered, 4 KiB, when redirected) and the line
  \`conntrack v1.4.x (conntrack-tools): N flow entries have been shown.\` on
  stderr just before exiting.  With \`2>&1\` into a file the trailer therefore
  lands after the last full 4 KiB block: glued to the end of a partial entry
  line (\`... dport=80 packets=4 bytes=3conntrack v1.4.7 (conntrack-tools): 338
  flow entries have been shown.\`) with the rest of that entry on the next line,
  or as the first line when the output is shorter than 4 KiB.  This happens in
  conntrack-L*.txt and in every iteration of db-1/ss-conntrack-loop.log;
  db-1/conntrack-L-stdbuf-oL.txt shows the clean variant.
* \`ss -tanoei\` / \`ss -tanpmi\` pad every line, including the TAB-indented
  continuation lines, to the width of the longest one (hundreds of trailing
  spaces); TIME-WAIT and SYN-RECV sockets get an empty \`<TAB>\` continuation line.
* \`ss -a\` (no \`-n\`) shows service names (\`:http\`, \`:domain\`, \`:bootpc\`)
  and netlink (\`nl\`) sockets; it also printed \`RTNETLINK answers: Invalid
  argument\` on stderr (not captured).
* \`ss -e\` prints \`cgroup:/\` (all helpers live in the root cgroup v2).
* comm is limited to 15 characters: \`postgres_exporter\` appears as
  \`postgres_export\` in \`ss -p\`; netstat -p shows argv[0] truncated by its own column.
* v4-mapped peers on the dual-stack listener: \`[::ffff:10.20.0.23]:...\` (ss),
  \`::ffff:10.20.0.23:...\` under \`tcp6\` (netstat).

## How the captures were made

* \`ip netns add\` per host, veth on a bridge, \`ip link set lo up\`; an nftables
  \`inet filter\` table whose \`ct state\` rules make conntrack track every flow;
  \`net.netfilter.nf_conntrack_acct=1\` (packets=/bytes= in conntrack output).
* The conntrack timeouts of non-established states (SYN_SENT, TIME_WAIT, UDP,
  ...) are raised to ${CT_TIMEOUT}s in the namespaces so that no entry expires
  during the run: the remaining-time column therefore shows values near
  ${CT_TIMEOUT} rather than the defaults (120 for TIME_WAIT, 30 for UDP...).
  \`tcp_syn_retries\`/\`tcp_synack_retries\` are 20 and \`tcp_orphan_retries\` 15 so
  SYN-SENT/SYN-RECV/LAST-ACK survive the run.
* TIME-WAIT sockets live a fixed 60 s; the falling part of client-1/ss-loop.log
  is made with \`ss -K state time-wait src ADDR\` at fixed iterations so that the
  per-snapshot counts are the same on every run.
* Every single-snapshot file was taken while the socket mix was static; its
  counts were taken right before and right after it and had to agree.

## Not in these samples

* conntrack \`[OFFLOAD]\`/\`[HW_OFFLOAD]\` entries: they need an nftables
  flowtable on a forwarding host and this kernel has \`CONFIG_NF_FLOW_TABLE\`
  unset (\`nft add flowtable\` fails with "No such file or directory").
* TCP CLOSING (simultaneous close) is too short-lived to pin down.
* raw/packet sockets, SCTP, MPTCP, DCCP.
EOF

# ---------------------------------------------------------------- publish
for h in "${HOSTS[@]}"; do
  rm -rf "${SAMPLES:?}/$h"
  cp -r "$STAGE/$h" "$SAMPLES/$h"
done
cp "$STAGE/EXPECTED.json" "$STAGE/README.md" "$SAMPLES/"
note "done: $(du -sh "$SAMPLES" | cut -f1) in $SAMPLES"
