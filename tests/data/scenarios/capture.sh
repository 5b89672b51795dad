#!/usr/bin/env bash
# capture.sh - regenerate the diagnosis-rule scenarios in tests/data/scenarios/.
#
# Usage:   sudo tests/data/scenarios/capture.sh [SCENARIO...]    (default: all)
#
# Every scenario builds its own private network namespaces (ssc-c = client,
# ssc-s = server, joined by one veth pair: 10.30.0.1/16 <-> 10.30.0.2/16),
# sets the scenario's knobs with sysctl INSIDE the namespaces, starts
# tests/data/scenarios/sockets.py (a copy of samples/sockets.py with a few
# extra commands) once per simulated program (argv[0]/comm = program name),
# drives it over FIFOs, and runs the real tools inside the namespaces.  Each
# capture's socket counts are taken with the tools' own filters right before
# and right after the capture (they must agree) and written to EXPECTED.json;
# README.md is regenerated from EXPECTED.json.
#
# Idempotent: deletes its own namespaces (ssc-*) and /run/ssc first; a
# scenario directory is replaced only when that scenario succeeded.
# Captures larger than 150 KB are stored gzip -9 -n compressed (FILE.gz) to keep
# the directory under 3 MB.
set -euo pipefail
export LC_ALL=C TZ=UTC

D=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=/run/ssc
NSC=ssc-c
NSS=ssc-s
PY=/usr/bin/python3; [[ -x $PY ]] || PY=$(command -v python3)
MAXSZ=150000
ALL=(port-exhaustion time-wait-churn tw-buckets close-wait-leak close-wait-unaccepted
     fin-wait2-stuck accept-queue-full syn-recv-flood syn-sent-unresponsive closing-states
     queue-backpressure retransmitting conntrack-full healthy config-myths)
SCEN=("$@")
((${#SCEN[@]})) || SCEN=("${ALL[@]}")

die() { echo "capture.sh: error: $*" >&2; exit 1; }
note() { echo "capture.sh: $(date +%T) $*" >&2; }
[[ $(id -u) == 0 ]] || die "must run as root"

missing=()
for spec in ss:iproute2 ip:iproute2 netstat:net-tools nstat:iproute2 conntrack:conntrack \
            nft:nftables setpriv:util-linux gzip:gzip; do
  command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
done
if ((${#missing[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------- plumbing
declare -A IN=() OUT=() PID=()
teardown() {
  local k ns pid
  for k in "${!PID[@]}"; do kill "${PID[$k]}" 2>/dev/null || true; done
  for k in "${!PID[@]}"; do wait "${PID[$k]}" 2>/dev/null || true; done
  for k in "${!IN[@]}"; do eval "exec ${IN[$k]}>&-" 2>/dev/null || true; done
  for k in "${!OUT[@]}"; do eval "exec ${OUT[$k]}<&-" 2>/dev/null || true; done
  PID=() IN=() OUT=()
  for ns in $(ip netns list | awk '$1 ~ /^ssc-/ {print $1}'); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$RUN/ctl"
}
on_exit() { local rc=$?; set +e; teardown; rm -rf "$RUN"; exit $rc; }
trap on_exit EXIT
trap 'exit 130' INT TERM
teardown
rm -rf "$RUN"; mkdir -p "$RUN/log" "$RUN/out"
install -m 0644 "$D/sockets.py" "$RUN/sockets.py"

nsx() { local ns=$1; shift; nsenter --net="/run/netns/$ns" -- "$@"; }

# two hosts joined by a veth pair; ct=1 adds a conntrack-tracking ruleset
mkpair() {
  local ns
  for ns in $NSC $NSS; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  ip link add eth0 netns $NSC type veth peer name eth0 netns $NSS
  ip -n $NSC addr add 10.30.0.1/16 dev eth0
  ip -n $NSS addr add 10.30.0.2/16 dev eth0
  ip -n $NSC link set eth0 up
  ip -n $NSS link set eth0 up
}
ctrules() {   # ctrules NS [extra input rules...]: tracked ruleset (conntrack on)
  local ns=$1; shift
  local extra=""
  for r in "$@"; do extra+="    $r"$'\n'; done
  nsx "$ns" nft -f - <<EOF
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
$extra    ct state established,related counter accept
    iif "lo" accept
    ct state new counter accept
  }
  chain output {
    type filter hook output priority filter; policy accept;
    ct state established,related,new counter accept
  }
}
EOF
}

start_prog() {   # start_prog NS NAME
  local ns=$1 name=$2 key="$1/$2" fd
  mkdir -p "$RUN/ctl"
  local fin="$RUN/ctl/$ns.$name.in" fout="$RUN/ctl/$ns.$name.out"
  mkfifo "$fin" "$fout"
  nsenter --net="/run/netns/$ns" -- bash -c 'ulimit -n "$(ulimit -Hn)"; exec -a "$0" "$1" "$2"' \
    "$name" "$PY" "$RUN/sockets.py" <"$fin" >"$fout" 2>>"$RUN/log/$ns.$name.log" &
  PID[$key]=$!
  exec {fd}>"$fin"; IN[$key]=$fd
  exec {fd}<"$fout"; OUT[$key]=$fd
}
REPLY_=""
say() {   # say NS NAME COMMAND...
  local key="$1/$2" reply; shift 2
  printf '%s\n' "$*" >&"${IN[$key]}"
  read -r -t 600 -u "${OUT[$key]}" reply || die "$key did not answer: $*"
  [[ $reply == ok* ]] || die "$key: $* -> $reply"
  REPLY_=$reply
  note "$key: $* -> $reply"
}

# ---------------------------------------------------------------- counting
# Records: $RUN/rec.tsv lines "scenario<TAB>file<TAB>metric<TAB>value".
REC=$RUN/rec.tsv; : >"$REC"
CMDS=$RUN/cmds.tsv; : >"$CMDS"
rec() { printf '%s\t%s\t%s\t%s\n' "$S" "$1" "$2" "$3" >>"$REC"; }
STATES="established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait close-wait last-ack listening closing"
declare -A KNAME=([established]=ESTABLISHED [syn-sent]=SYN_SENT [syn-recv]=SYN_RECV
  [fin-wait-1]=FIN_WAIT1 [fin-wait-2]=FIN_WAIT2 [time-wait]=TIME_WAIT [close-wait]=CLOSE_WAIT
  [last-ack]=LAST_ACK [listening]=LISTEN [closing]=CLOSING)
EXTRA=()   # "metric|ss filter" counted as `ss -Htan FILTER | wc -l`
AWKX=()    # "metric|ss args|awk program" counted as `ss -Htan ARGS | awk PROGRAM`
count_ss() {   # count_ss NS -> "metric value" lines
  local ns=$1 st e
  echo "total $(nsx "$ns" ss -Htan | wc -l)"
  for st in $STATES; do echo "state.${KNAME[$st]} $(nsx "$ns" ss -Htan state "$st" | wc -l)"; done
  for e in "${EXTRA[@]}"; do
    # shellcheck disable=SC2086
    echo "${e%%|*} $(nsx "$ns" ss -Htan ${e#*|} | wc -l)"
  done
  for e in "${AWKX[@]}"; do
    local m=${e%%|*} r=${e#*|}; local a=${r%%|*} p=${r#*|}
    # shellcheck disable=SC2086
    echo "$m $(nsx "$ns" ss -Htan $a | awk "$p")"
  done
}
put() {   # put FILE(relative to $OUTD) : gzip if too big, echo final name
  local f=$1
  if (($(stat -c %s "$OUTD/$f") > MAXSZ)); then gzip -9 -n -f "$OUTD/$f"; f="$f.gz"; fi
  echo "$f"
}
NSTATS=()   # nstat counters recorded for nstat*.txt
SYSCTLS=()  # sysctl keys recorded for sysctl-a.txt
cap_host() {   # cap_host NS SUBDIR (SUBDIR "" = scenario dir)  [CT=1 for conntrack]
  local ns=$1 sub=$2 pfx=${2:+$2/} try before after f n
  mkdir -p "$OUTD/$sub"
  for try in 1 2 3 4 5; do
    before=$(count_ss "$ns")
    nsx "$ns" ss -tanpoe >"$OUTD/${pfx}ss-tanpoe.txt"
    nsx "$ns" netstat -tanpo >"$OUTD/${pfx}netstat-tanpo.txt"
    nsx "$ns" ss -s >"$OUTD/${pfx}ss-s.txt"
    nsx "$ns" cat /proc/net/sockstat >"$OUTD/${pfx}sockstat.txt"
    after=$(count_ss "$ns")
    [[ $before == "$after" ]] && break
    note "counts of $S/$sub changed during capture (try $try), retrying"; sleep 0.3
  done
  [[ $before == "$after" ]] || die "socket mix of $S/$sub is not static"
  for f in ss-tanpoe.txt netstat-tanpo.txt ss-s.txt sockstat.txt; do
    f=$(put "$pfx$f")
    while read -r m v; do
      case $f in
        *ss-s.txt*|*sockstat.txt*)   # ss -s / sockstat only carry totals and a few states
          [[ $m == state.ESTABLISHED || $m == state.TIME_WAIT ]] || continue ;;
      esac
      rec "$f" "$m" "$v"
    done <<<"$after"
  done
  nsx "$ns" sysctl -a 2>/dev/null >"$OUTD/${pfx}sysctl-a.txt"
  for k in net.ipv4.ip_local_port_range "${SYSCTLS[@]}"; do
    rec "${pfx}sysctl-a.txt" "$k" "$(nsx "$ns" sysctl -n "$k" | tr '\t' ' ')"
  done
  nsx "$ns" nstat -az >"$OUTD/${pfx}nstat.txt"
  for n in "${NSTATS[@]}"; do
    rec "${pfx}nstat.txt" "$n" "$(nsx "$ns" nstat -az "$n" | awk -v n="$n" '$1 == n {print $2}')"
  done
  if [[ ${CT:-0} == 1 ]]; then
    nsx "$ns" bash -c 'conntrack -L 2>/dev/null' >"$OUTD/${pfx}conntrack-L.txt"
    f=$(put "${pfx}conntrack-L.txt")
    rec "$f" conntrack_count "$(nsx "$ns" conntrack -C)"
    rec "$f" listed "$(nsx "$ns" conntrack -L 2>/dev/null | wc -l)"
    for st in SYN_SENT SYN_RECV ESTABLISHED FIN_WAIT CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE; do
      rec "$f" "tcp_state.$st" "$(nsx "$ns" conntrack -L -p tcp --state $st 2>/dev/null | wc -l)"
    done
    rec "$f" unreplied "$(nsx "$ns" conntrack -L -u UNREPLIED 2>/dev/null | wc -l)"
    nsx "$ns" conntrack -S >"$OUTD/${pfx}conntrack-S.txt"
    cts_rec "$ns" "${pfx}conntrack-S.txt"
  fi
}
cts_rec() {   # per-cpu counters of conntrack -S summed (awk over the tool's output)
  local ns=$1 f=$2 k
  for k in found invalid insert insert_failed drop early_drop error search_restart; do
    rec "$f" "$k" "$(nsx "$ns" conntrack -S | awk -v k="$k" '{for (i = 1; i <= NF; i++) {split($i, a, "="); if (a[1] == k) s += a[2]}} END {print s + 0}')"
  done
}
LOOPSTATES="established time-wait close-wait fin-wait-2 syn-sent"
ssloop() {   # ssloop NS FILE N CHANGEFN : `date; ss -tanpoe; sleep 1` N times
  local ns=$1 file=$2 n=$3 change=$4 i st e m v lines=""
  mkdir -p "$(dirname "$OUTD/$file")"
  : >"$OUTD/$file"
  for ((i = 1; i <= n; i++)); do
    nsx "$ns" date >>"$OUTD/$file"
    nsx "$ns" ss -tanpoe >>"$OUTD/$file"
    lines+="iter$i.total $(nsx "$ns" ss -Htan | wc -l)"$'\n'
    for st in $LOOPSTATES; do
      lines+="iter$i.${KNAME[$st]} $(nsx "$ns" ss -Htan state "$st" | wc -l)"$'\n'
    done
    for e in "${EXTRA[@]}"; do
      # shellcheck disable=SC2086
      lines+="iter$i.${e%%|*} $(nsx "$ns" ss -Htan ${e#*|} | wc -l)"$'\n'
    done
    if ((i < n)); then "$change" "$i"; sleep 1; fi
  done
  file=$(put "$file")
  rec "$file" snapshots "$n"
  while read -r m v; do if [[ -n $m ]]; then rec "$file" "$m" "$v"; fi; done <<<"$lines"
}
dmesg_cap() {   # dmesg_cap FILE PATTERN: kernel log lines printed since scen_begin
  local f=$1 pat=$2
  dmesg | tail -n +$((DMESG0 + 1)) >"$OUTD/$f"
  rec "$f" lines "$(dmesg | tail -n +$((DMESG0 + 1)) | wc -l)"
  rec "$f" "lines_matching:$pat" "$(dmesg | tail -n +$((DMESG0 + 1)) | grep -c -- "$pat" || true)"
}
scen_begin() {
  S=$1; OUTD=$RUN/out/$S; rm -rf "$OUTD"; mkdir -p "$OUTD"
  EXTRA=(); AWKX=(); NSTATS=(); SYSCTLS=(); CT=0
  teardown
  DMESG0=$(dmesg | wc -l)
  note "=== scenario $S"
}
scen_end() {
  teardown
  rm -rf "${D:?}/$S"; cp -r "$OUTD" "$D/$S"
  note "=== scenario $S done ($(du -sh "$D/$S" | cut -f1))"
}

HTTP='GET_/_HTTP/1.1\r\nHost:_api\r\n\r\n'

# ---------------------------------------------------------------- scenarios
sc_port_exhaustion() {
  scen_begin port-exhaustion
  mkpair; CT=0
  nsx $NSC sysctl -qw net.ipv4.ip_local_port_range="40000 40999"
  start_prog $NSS nginx
  say $NSS nginx listen web 4 0.0.0.0 80 4096 http
  start_prog $NSC loadgen
  say $NSC loadgen churn burst 700 4 10.30.0.2 80          # -> 700 TIME-WAIT
  say $NSC loadgen fill pool 4 10.30.0.2 80 max=2000        # hold until EADDRNOTAVAIL
  say $NSC loadgen tryconnect 4 10.30.0.2 80
  if command -v curl >/dev/null; then
    nsx $NSC curl -sS -m 5 http://10.30.0.2/ >>"$RUN/log/$NSC.loadgen.log" 2>&1 || true
  fi
  sleep 0.5
  EXTRA=("to_10.30.0.2:80|dst 10.30.0.2 dport = :80"
         "time_wait_to_10.30.0.2:80|state time-wait dst 10.30.0.2 dport = :80"
         "established_to_10.30.0.2:80|state established dst 10.30.0.2 dport = :80"
         "local_ports_40000_40999|sport >= :40000 sport <= :40999")
  NSTATS=(TcpActiveOpens)
  cap_host $NSC ""
  cp "$RUN/log/$NSC.loadgen.log" "$OUTD/client.log"
  rec client.log "lines_EADDRNOTAVAIL" "$(grep -c 'Cannot assign requested address' "$OUTD/client.log" || true)"
  scen_end
}

sc_time_wait_churn() {
  scen_begin time-wait-churn
  mkpair; CT=0
  ip -n $NSS addr add 10.30.0.3/16 dev eth0
  ip -n $NSS addr add 10.30.0.4/16 dev eth0
  start_prog $NSS nginx
  say $NSS nginx listen web 4 0.0.0.0 80 4096 http
  start_prog $NSS api-gw
  say $NSS api-gw listen gw 4 0.0.0.0 8080 4096 closefirst
  start_prog $NSC loadgen
  for a in 10.30.0.2 10.30.0.3 10.30.0.4; do say $NSC loadgen churn tw 1800 4 $a 80; done
  sleep 0.5
  EXTRA=("time_wait_to_10.30.0.2:80|state time-wait dst 10.30.0.2 dport = :80"
         "time_wait_to_10.30.0.3:80|state time-wait dst 10.30.0.3 dport = :80"
         "time_wait_to_10.30.0.4:80|state time-wait dst 10.30.0.4 dport = :80")
  NSTATS=(TcpActiveOpens TcpExtTW)
  cap_host $NSC client
  start_prog $NSC poller
  for a in 10.30.0.2 10.30.0.3 10.30.0.4; do          # server closes first
    say $NSC poller churn poll 2000 4 $a 8080 who=server
  done
  sleep 0.5
  EXTRA=("time_wait_inbound_on_:8080|state time-wait sport = :8080"
         "time_wait_inbound_from_10.30.0.1|state time-wait dst 10.30.0.1"
         "time_wait_on_10.30.0.2:8080|state time-wait src 10.30.0.2 sport = :8080")
  NSTATS=(TcpPassiveOpens TcpExtTW)
  cap_host $NSS server
  scen_end
}

sc_tw_buckets() {
  scen_begin tw-buckets
  mkpair; CT=0
  nsx $NSC sysctl -qw net.ipv4.tcp_max_tw_buckets=1000
  start_prog $NSS nginx
  say $NSS nginx listen web 4 0.0.0.0 80 4096 http
  start_prog $NSC loadgen
  say $NSC loadgen churn burst 1600 4 10.30.0.2 80
  sleep 0.5
  EXTRA=("time_wait_to_10.30.0.2:80|state time-wait dst 10.30.0.2 dport = :80")
  NSTATS=(TcpExtTCPTimeWaitOverflow TcpExtTW TcpActiveOpens)
  SYSCTLS=(net.ipv4.tcp_max_tw_buckets)
  cap_host $NSC ""
  dmesg_cap dmesg.txt "time wait bucket table overflow"
  scen_end
}

cw_leak_change() { say $NSC jclient close pool 30; sleep 0.2; }
sc_close_wait_leak() {
  scen_begin close-wait-leak
  mkpair; CT=1; ctrules $NSS
  start_prog $NSS leaky-app
  say $NSS leaky-app listen api 4 0.0.0.0 8080 511 leak
  start_prog $NSC jclient
  say $NSC jclient connect pool 230 4 10.30.0.2 8080 mode=hold "send=$HTTP"
  say $NSC jclient close pool 60
  sleep 0.5
  EXTRA=("close_wait_on_:8080|state close-wait sport = :8080")
  ssloop $NSS ss-loop.log 6 cw_leak_change       # 60, 90, ..., 210 CLOSE-WAIT
  sleep 0.3
  cap_host $NSS ""
  scen_end
}

sc_close_wait_unaccepted() {
  scen_begin close-wait-unaccepted
  mkpair; CT=1; ctrules $NSS
  start_prog $NSS java
  say $NSS java listen app 4 0.0.0.0 9000 20 noaccept
  start_prog $NSC curl
  say $NSC curl connect req 18 4 10.30.0.2 9000 mode=hold resp=0 "send=$HTTP"
  say $NSC curl close req 14
  sleep 1
  EXTRA=("close_wait_on_:9000|state close-wait sport = :9000"
         "established_on_:9000|state established sport = :9000")
  AWKX=("listen_:9000_recv_q|state listening sport = :9000|{print \$1}"
        "listen_:9000_send_q|state listening sport = :9000|{print \$2}"
        "close_wait_with_process|-p state close-wait|/users:/ {n++} END {print n + 0}")
  NSTATS=(TcpExtListenOverflows TcpExtListenDrops)
  cap_host $NSS ""
  scen_end
}

fw2_change() { :; }
sc_fin_wait2_stuck() {
  scen_begin fin-wait2-stuck
  mkpair; CT=0
  nsx $NSC sysctl -qw net.ipv4.tcp_fin_timeout=3
  start_prog $NSS legacy-db
  say $NSS legacy-db listen db 4 0.0.0.0 5432 1024 leak
  start_prog $NSC batchjob
  say $NSC batchjob connect conn 520 4 10.30.0.2 5432 mode=hold 'send=SELECT_1;\n'
  say $NSC batchjob shutwr conn 520
  sleep 0.5
  SYSCTLS=(net.ipv4.tcp_fin_timeout)
  EXTRA=("fin_wait2_to_10.30.0.2:5432|state fin-wait-2 dst 10.30.0.2 dport = :5432")
  ssloop $NSC client/ss-loop.log 8 fw2_change   # 8 snapshots ~ 8 s > tcp_fin_timeout=3
  cap_host $NSC client
  EXTRA=("close_wait_on_:5432|state close-wait sport = :5432")
  SYSCTLS=()
  cap_host $NSS server
  scen_end
}

sc_accept_queue_full() {
  scen_begin accept-queue-full
  mkpair; CT=1; ctrules $NSS; ctrules $NSC
  nsx $NSS sysctl -qw net.ipv4.tcp_synack_retries=10
  start_prog $NSS java
  say $NSS java listen app 4 0.0.0.0 8080 10 noaccept
  mkdir -p "$OUTD/server"
  nsx $NSS nstat -az >"$OUTD/server/nstat-before.txt"
  for n in TcpExtListenOverflows TcpExtListenDrops; do
    rec server/nstat-before.txt "$n" "$(nsx $NSS nstat -az "$n" | awk -v n="$n" '$1 == n {print $2}')"
  done
  start_prog $NSC wrk
  say $NSC wrk connect burst 25 4 10.30.0.2 8080 mode=nowait
  sleep 2
  AWKX=("listen_:8080_recv_q|state listening sport = :8080|{print \$1}"
        "listen_:8080_send_q|state listening sport = :8080|{print \$2}")
  EXTRA=("syn_recv_on_:8080|state syn-recv sport = :8080")
  NSTATS=(TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop TcpExtTCPReqQFullDoCookies)
  cap_host $NSS server
  AWKX=()
  EXTRA=("syn_sent_to_10.30.0.2:8080|state syn-sent dst 10.30.0.2 dport = :8080"
         "established_to_10.30.0.2:8080|state established dst 10.30.0.2 dport = :8080")
  NSTATS=()
  cap_host $NSC client
  scen_end
}

sc_syn_recv_flood() {
  scen_begin syn-recv-flood
  mkpair; CT=0
  {
    for i in $(seq 1 250); do echo "addr add 10.30.$((1 + (i - 1) / 250)).$(((i - 1) % 250 + 1))/16 dev eth0"; done
  } | ip -n $NSC -batch -
  nsx $NSC nft -f - <<'EOF'
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    ip saddr 10.30.0.2 tcp sport 80 tcp flags & (syn | ack) == syn | ack counter drop
  }
}
EOF
  nsx $NSS sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_max_syn_backlog=4096 \
    net.core.somaxconn=4096 net.ipv4.tcp_synack_retries=10
  start_prog $NSS nginx
  say $NSS nginx listen web 4 0.0.0.0 80 400 http
  start_prog $NSC flood
  local r i
  for r in 1 2; do
    for i in $(seq 1 250); do
      say $NSC flood connect syn 1 4 10.30.0.2 80 src=10.30.1.$i mode=nowait >/dev/null 2>&1
    done
  done
  sleep 2
  EXTRA=("syn_recv_on_:80|state syn-recv sport = :80")
  AWKX=("syn_recv_distinct_sources|state syn-recv|{split(\$4, a, \":\"); s[a[1]] = 1} END {print length(s)}"
        "listen_:80_send_q|state listening sport = :80|{print \$2}")
  NSTATS=(TcpExtTCPReqQFullDoCookies TcpExtTCPReqQFullDrop TcpExtSyncookiesSent TcpExtListenDrops TcpPassiveOpens)
  SYSCTLS=(net.ipv4.tcp_syncookies net.ipv4.tcp_max_syn_backlog net.core.somaxconn net.ipv4.tcp_synack_retries)
  cap_host $NSS ""
  dmesg_cap dmesg.txt "Possible SYN flooding on port"
  scen_end
}

ss_change() { :; }
sc_syn_sent_unresponsive() {
  scen_begin syn-sent-unresponsive
  mkpair; CT=1; ctrules $NSC
  nsx $NSS nft -f - <<'EOF'
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 5432 counter drop
  }
}
EOF
  start_prog $NSC app
  say $NSC app connect db 220 4 10.30.0.2 5432 mode=nowait
  sleep 1
  EXTRA=("syn_sent_to_10.30.0.2:5432|state syn-sent dst 10.30.0.2 dport = :5432")
  ssloop $NSC ss-loop.log 5 ss_change
  NSTATS=(TcpActiveOpens TcpRetransSegs)
  cap_host $NSC ""
  scen_end
}

sc_closing_states() {
  scen_begin closing-states
  mkpair; CT=0
  nsx $NSS sysctl -qw net.ipv4.tcp_wmem="4096 16384 65536" net.ipv4.tcp_orphan_retries=15
  nsx $NSC sysctl -qw net.ipv4.tcp_rmem="4096 16384 65536"
  nsx $NSC nft -f - <<'EOF'
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    ip saddr 10.30.0.2 tcp sport 443 tcp flags & fin == fin counter drop
  }
}
EOF
  start_prog $NSS nginx
  say $NSS nginx listen http 4 0.0.0.0 80 511 http
  say $NSS nginx listen https 4 0.0.0.0 443 511 leak
  start_prog $NSC wget
  say $NSC wget connect dl 120 4 10.30.0.2 80 mode=noread 'send=GET_/big-close.iso_HTTP/1.1\r\n\r\n'
  start_prog $NSC haproxy
  say $NSC haproxy connect tls 120 4 10.30.0.2 443 mode=hold "send=$HTTP"
  say $NSC haproxy shutwr tls 120
  say $NSS nginx close-eof https 120          # FIN dropped by the client -> LAST-ACK
  sleep 1.5
  EXTRA=("fin_wait1_on_:80|state fin-wait-1 sport = :80"
         "last_ack_on_:443|state last-ack sport = :443")
  AWKX=("fin_wait1_send_q_gt_0|state fin-wait-1|\$2 > 0 {n++} END {print n + 0}")
  SYSCTLS=(net.ipv4.tcp_wmem net.ipv4.tcp_orphan_retries)
  cap_host $NSS ""
  scen_end
}

sc_queue_backpressure() {
  scen_begin queue-backpressure
  mkpair; CT=0
  nsx $NSS sysctl -qw net.ipv4.tcp_wmem="4096 4194304 8388608"
  nsx $NSC sysctl -qw net.ipv4.tcp_rmem="4096 4194304 8388608"
  start_prog $NSS exporter
  say $NSS exporter listen feed 4 0.0.0.0 9000 128 push
  start_prog $NSC consumer
  say $NSC consumer connect feed 12 4 10.30.0.2 9000 mode=noread "send=$HTTP"
  sleep 3
  AWKX=("established_recv_q_ge_1MiB|state established|\$1 >= 1048576 {n++} END {print n + 0}"
        "established_send_q_ge_1MiB|state established|\$2 >= 1048576 {n++} END {print n + 0}")
  EXTRA=("established_to_10.30.0.2:9000|state established dst 10.30.0.2 dport = :9000")
  SYSCTLS=(net.ipv4.tcp_rmem net.ipv4.tcp_wmem)
  cap_host $NSC client
  EXTRA=("established_on_:9000|state established sport = :9000")
  cap_host $NSS server
  scen_end
}

sc_retransmitting() {
  scen_begin retransmitting
  mkpair; CT=1; ctrules $NSC
  start_prog $NSS redis-server
  say $NSS redis-server listen redis 4 0.0.0.0 6379 511 http
  start_prog $NSC app
  say $NSC app connect cache 12 4 10.30.0.2 6379 mode=hold 'send=PING\r\n'
  nsx $NSC nft insert rule inet filter input ip saddr 10.30.0.2 counter drop
  say $NSC app send cache 2000
  sleep 4.5                               # RTO backoff 0.2+0.4+0.8+1.6 s: >= 4 retries
  EXTRA=("established_to_10.30.0.2:6379|state established dst 10.30.0.2 dport = :6379")
  AWKX=("retrans_timer_on|-o state established dst 10.30.0.2|/timer:\\(on,/ {n++} END {print n + 0}"
        "retrans_timer_on_retries_ge_3|-o state established dst 10.30.0.2|match(\$0, /timer:\\(on,[^,]*,[0-9]+\\)/) {t = substr(\$0, RSTART, RLENGTH); sub(/.*,/, \"\", t); sub(/\\)/, \"\", t); if (t + 0 >= 3) n++} END {print n + 0}")
  NSTATS=(TcpRetransSegs TcpExtTCPTimeouts)
  cap_host $NSC ""
  scen_end
}

sc_conntrack_full() {
  scen_begin conntrack-full
  mkpair; CT=1; ctrules $NSC
  nsx $NSS nft -f - <<'EOF'
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    udp dport 1-65535 counter drop
  }
}
EOF
  nsx $NSC sysctl -qw net.netfilter.nf_conntrack_udp_timeout=900 net.netfilter.nf_conntrack_udp_timeout_stream=900
  nsx $NSC sysctl -w net.netfilter.nf_conntrack_max=256 >"$OUTD/sysctl-w-nf_conntrack_max.txt" 2>&1 || true
  start_prog $NSS nginx
  say $NSS nginx listen web 4 0.0.0.0 80 511 http
  start_prog $NSC app
  say $NSC app connect keep 5 4 10.30.0.2 80 mode=hold "send=$HTTP"
  # one new conntrack entry per datagram: 5 sockets x 60000 destination ports
  nsx $NSC "$PY" - <<'EOF'
import socket
for k in range(5):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.30.0.1", 0))
    for p in range(1024, 61024):
        try:
            s.sendto(b"x", ("10.30.0.2", p))
        except OSError:
            pass
EOF
  sleep 1
  NSTATS=()
  SYSCTLS=(net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_buckets)
  CT=0
  cap_host $NSC ""
  nsx $NSC bash -c 'conntrack -L -p tcp 2>/dev/null' >"$OUTD/conntrack-L-p-tcp.txt"
  rec conntrack-L-p-tcp.txt listed "$(nsx $NSC conntrack -L -p tcp 2>/dev/null | wc -l)"
  nsx $NSC bash -c 'conntrack -C' >"$OUTD/conntrack-C.txt"
  rec conntrack-C.txt conntrack_count "$(nsx $NSC conntrack -C)"
  nsx $NSC conntrack -S >"$OUTD/conntrack-S.txt"
  cts_rec $NSC conntrack-S.txt
  rec sysctl-a.txt init_netns.nf_conntrack_max "$(sysctl -n net.netfilter.nf_conntrack_max)"
  dmesg_cap dmesg.txt "nf_conntrack: table full, dropping packet"
  scen_end
}

sc_healthy() {
  scen_begin healthy
  mkpair; CT=1; ctrules $NSS
  start_prog $NSS sshd;     say $NSS sshd listen ssh 4 0.0.0.0 22 128 http
  start_prog $NSS nginx;    say $NSS nginx listen web 4 0.0.0.0 80 511 http
  start_prog $NSS postgres; say $NSS postgres listen pg 4 127.0.0.1 5432 200 http
  start_prog $NSS app;      say $NSS app connect pool 2 4 127.0.0.1 5432 mode=hold 'send=SELECT_1;\n'
  start_prog $NSC node_exporter; say $NSC node_exporter listen m 4 0.0.0.0 9100 128 http
  start_prog $NSC browser;  say $NSC browser connect b 4 4 10.30.0.2 80 mode=hold "send=$HTTP"
  start_prog $NSC ssh;      say $NSC ssh connect s 1 4 10.30.0.2 22 mode=hold 'send=SSH-2.0-OpenSSH_9.2p1\r\n'
  start_prog $NSS prometheus; say $NSS prometheus churn scrape 3 4 10.30.0.1 9100
  sleep 0.5
  NSTATS=(TcpExtListenOverflows TcpRetransSegs)
  cap_host $NSS ""
  scen_end
}

sc_config_myths() {
  scen_begin config-myths
  cat >"$OUTD/sysctl.conf" <<'EOF'
# /etc/sysctl.d/99-network-tuning.conf
# "high performance" settings copied from a blog post
net.ipv4.tcp_tw_recycle = 1
net.ipv4.tcp_tw_reuse = 1
net.ipv4.tcp_fin_timeout = 5
net.ipv4.tcp_timestamps = 0
net.ipv4.tcp_max_tw_buckets = 5000
net.core.somaxconn = 128
net.ipv4.tcp_syncookies = 0
net.ipv4.tcp_orphans_retries = 1
EOF
  ip netns add ssc-s
  set +e
  nsx ssc-s sysctl -p "$OUTD/sysctl.conf" >"$OUTD/sysctl-p.txt" 2>&1
  local rc=$?
  set -e
  rec sysctl-p.txt exit_status "$rc"
  rec sysctl-p.txt lines_cannot_stat "$(grep -c 'cannot stat' "$OUTD/sysctl-p.txt" || true)"
  nsx ssc-s sysctl -a 2>/dev/null >"$OUTD/sysctl-a.txt"
  local k
  for k in net.ipv4.tcp_tw_reuse net.ipv4.tcp_fin_timeout net.ipv4.tcp_timestamps \
           net.ipv4.tcp_max_tw_buckets net.core.somaxconn net.ipv4.tcp_syncookies; do
    rec sysctl-a.txt "$k" "$(nsx ssc-s sysctl -n $k)"
  done
  scen_end
}

# ---------------------------------------------------------------- run
for s in "${SCEN[@]}"; do
  fn="sc_${s//-/_}"
  declare -F "$fn" >/dev/null || die "unknown scenario $s"
  "$fn"
done

# ---------------------------------------------------------------- EXPECTED.json + README.md
VERS=$RUN/versions.txt
{
  echo "kernel|$(uname -r)"
  echo "os|$(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "iproute2 (ss, nstat)|$(ss -V | sed 's/.*iproute2-//')"
  echo "net-tools (netstat)|$(netstat -V 2>&1 | head -1)"
  echo "conntrack-tools|$(conntrack -V 2>&1)"
  echo "nftables|$(nft -v)"
  echo "procps (sysctl)|$(sysctl -V 2>&1)"
  echo "python3|$($PY -V 2>&1)"
} >"$VERS"
"$PY" "$D/render.py" "$D" "$REC" "$VERS" "${SCEN[@]}"
note "done: $(du -sh "$D" | cut -f1) in $D"
