#!/usr/bin/env bash
# capture.sh - regenerate the sosreport fixture in tests/data/sosreport/.
#
# Usage:   sudo tests/data/sosreport/capture.sh          (about 1 min)
#
# Runs the real `sos report` (Debian package sosreport 4.0) on a private
# "host": a fresh network namespace (unshare --net) with its own hostname
# (unshare --uts, hostname sockscope-lab1) and its own /run/netns (unshare
# --mount, tmpfs), so the report holds only the sockets made here and none of
# the machine's.  Inside it:
#   * the host's own netns (loopback only) gets listeners and connections on
#     127.0.0.1 and ::1 (plus an nft ruleset that turns conntrack on);
#   * two named namespaces, `blue` (10.77.0.1/24) and `red` (10.77.0.2/24),
#     joined by a veth pair, get a server/client mix with ESTABLISHED,
#     CLOSE-WAIT/FIN-WAIT-2, TIME-WAIT and SYN-SENT sockets.
# Sockets are opened by holder.py (one process per simulated program, comm =
# program name).  Socket counts are taken with ss filters right before and
# right after sos runs (they must agree) and then again with awk over the
# copied files; all of them go to EXPECTED.tsv and README.md.
#
# Only a subset of the sos tree is copied (see KEEP below), to
# sosreport-sockscope-lab1/, with relative paths and symlinks as sos made them.
set -euo pipefail
export LC_ALL=C TZ=UTC

D=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOSTN=sockscope-lab1
OUT=$D/sosreport-$HOSTN
PY=/usr/bin/python3; [[ -x $PY ]] || PY=$(command -v python3)

die() { echo "capture.sh: error: $*" >&2; exit 1; }
note() { echo "capture.sh: $(date +%T) $*" >&2; }

if [[ ${1:-} != --inner ]]; then
  [[ $(id -u) == 0 ]] || die "must run as root"
  missing=()
  for spec in sos:sosreport ss:iproute2 ip:iproute2 netstat:net-tools nft:nftables \
              unshare:util-linux python3:python3; do
    command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
  done
  if ((${#missing[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  exec unshare --net --uts --mount --propagation private bash "${BASH_SOURCE[0]}" --inner
fi

# ------------------------------------------------------------ private host
WORK=$(mktemp -d /tmp/sockscope-sos.XXXXXX)
PIDS=()
on_exit() {
  local rc=$? p ns
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for ns in blue red; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$WORK"
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

mkdir -p /run/netns
mount -t tmpfs -o mode=0755 sockscope-netns /run/netns   # only our namespaces are listed
hostname "$HOSTN"
ip link set lo up

# conntrack on in the host netns (sos 4.0 has no conntrack plugin, but copies
# /proc/net/nf_conntrack and `sysctl -a` shows net.netfilter.*)
nft -f - <<'EOF'
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    ct state established,related counter accept
    ct state new counter accept
  }
}
EOF

for ns in blue red; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
ip link add eth0 netns blue type veth peer name eth0 netns red
ip -n blue addr add 10.77.0.1/24 dev eth0
ip -n red addr add 10.77.0.2/24 dev eth0
ip -n blue link set eth0 up
ip -n red link set eth0 up
# SYNs to blue:9999 are dropped -> the client stays in SYN-SENT
ip netns exec blue nft -f - <<'EOF'
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 9999 counter drop
  }
}
EOF

start() {   # start NS|- NAME ACTION...: run holder.py in NS, wait until ready
  local ns=$1 name=$2 ready i; shift 2
  ready=$WORK/ready.$ns.$name.$RANDOM
  # exec -a: argv[0] = NAME (netstat -p), holder.py sets comm = NAME (ss -p)
  if [[ $ns == - ]]; then
    bash -c 'exec -a "$0" "$@"' "$name" "$PY" "$D/holder.py" "$name" "$ready" "$@" 2>>"$WORK/holder.log" &
  else
    ip netns exec "$ns" bash -c 'exec -a "$0" "$@"' "$name" "$PY" "$D/holder.py" "$name" "$ready" "$@" \
      2>>"$WORK/holder.log" &
  fi
  PIDS+=($!)
  for ((i = 0; i < 200; i++)); do
    [[ -s $ready ]] && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  cat "$WORK/holder.log" >&2
  die "$name in $ns did not get ready"
}

# host netns: loopback only
start - sshd       listen,4,0.0.0.0,22,128,hold
start - postgres   listen,4,127.0.0.1,5432,200,hold
start - nginx      listen,6,::,8443,511,close
start - rsyslogd   udp,4,127.0.0.1,514
start - app        hold,127.0.0.1,5432,3
start - curl       hold,::1,8443,2 hold,127.0.0.1,8443,1
# blue = server, red = client
start blue nginx   listen,4,0.0.0.0,80,511,close
start blue java    listen,4,0.0.0.0,8080,50,hold
start red  loadgen hold,10.77.0.1,80,5
start red  httpc   halfclose,10.77.0.1,8080,3 hold,10.77.0.1,8080,2
start red  worker  synsent,10.77.0.1,9999,2
# TIME-WAIT last: it lasts 60 s, sos must be done before
start - curl-tw    closefirst,::1,8443,4
start red  loadgen-tw closefirst,10.77.0.1,80,6
sleep 1

# ------------------------------------------------------------ counting
STATES="established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait close-wait last-ack listening closing"
nsx() { local ns=$1; shift; if [[ $ns == host ]]; then "$@"; else ip netns exec "$ns" "$@"; fi; }
count_live() {   # count_live NS -> "metric value" lines, from ss filters
  local ns=$1 st
  echo "tcp.total $(nsx "$ns" ss -Htan | wc -l)"
  for st in $STATES; do echo "tcp.$st $(nsx "$ns" ss -Htan state "$st" | wc -l)"; done
  echo "udp.total $(nsx "$ns" ss -Huan | wc -l)"
}
before=""; for ns in host blue red; do before+="$(count_live $ns | sed "s/^/$ns /")"$'\n'; done

# ------------------------------------------------------------ sos
note "running sos report"
SOSTMP=$WORK/sos; mkdir -p "$SOSTMP"
SOSCMD="sos report --batch --build --no-env-vars --allow-system-changes --tmp-dir $SOSTMP -o networking,kernel,date,host"
t0=$(date +%s)
$SOSCMD >"$WORK/sos.stdout" 2>&1 || { cat "$WORK/sos.stdout" >&2; die "sos report failed"; }
t1=$(date +%s)
note "sos report took $((t1 - t0)) s"

after=""; for ns in host blue red; do after+="$(count_live $ns | sed "s/^/$ns /")"$'\n'; done
[[ $before == "$after" ]] || { diff <(echo "$before") <(echo "$after") >&2; die "socket mix changed while sos ran"; }

TREE=$(find "$SOSTMP" -mindepth 1 -maxdepth 1 -type d -name 'sosreport-*' | head -1)
[[ -n $TREE ]] || die "no sos tree in $SOSTMP"

# the same plugins without --allow-system-changes: which socket tables go missing?
SOSTMP2=$WORK/sos-noallow; mkdir -p "$SOSTMP2"
sos report --batch --build --no-env-vars --tmp-dir "$SOSTMP2" -o networking >/dev/null 2>&1 || true
TREE2=$(find "$SOSTMP2" -mindepth 1 -maxdepth 1 -type d -name 'sosreport-*' | head -1)

# ------------------------------------------------------------ copy the subset
KEEP=(
  version.txt
  hostname date uname netstat
  sos_commands/host/hostname sos_commands/host/hostname_-f
  sos_commands/date/date sos_commands/date/date_--utc
  sos_commands/kernel/uname_-a sos_commands/kernel/sysctl_-a
  sos_commands/networking/netstat_-W_-neopa sos_commands/networking/netstat_-W_-agn
  sos_commands/networking/netstat_-s sos_commands/networking/ss_-peaonmi
  sos_commands/networking/ip_-o_addr sos_commands/networking/ip_netns
  proc/self proc/net
)
# sos stores /proc/net as the symlinks proc/net -> self/net, proc/self -> PID
# and the files under proc/PID/net/
SOSPID=$(readlink "$TREE/proc/self")
for f in sockstat sockstat6 snmp netstat tcp tcp6 udp nf_conntrack stat/nf_conntrack; do
  KEEP+=("proc/$SOSPID/net/$f")
done
for ns in blue red; do
  for c in netstat_-W_-neopa netstat_-W_-agn netstat_-s ss_-peaonmi ip_address_show; do
    KEEP+=("sos_commands/networking/ip_netns_exec_${ns}_$c")
  done
done
rm -rf "$OUT"; mkdir -p "$OUT"
LINKS=()
for f in "${KEEP[@]}"; do
  if [[ ! -e $TREE/$f && ! -L $TREE/$f ]]; then note "not in the sos tree: $f"; continue; fi
  mkdir -p "$OUT/$(dirname "$f")"
  cp -P --preserve=mode,timestamps "$TREE/$f" "$OUT/$f"   # -P: symlinks stay symlinks
  [[ -L $TREE/$f ]] && LINKS+=("$f -> $(readlink "$TREE/$f")")
done

# ------------------------------------------------------------ counts from the files
NW=$OUT/sos_commands/networking
ssfile() { [[ $1 == host ]] && echo "$NW/ss_-peaonmi" || echo "$NW/ip_netns_exec_$1_ss_-peaonmi"; }
nsfile() { [[ $1 == host ]] && echo "$NW/netstat_-W_-neopa" || echo "$NW/ip_netns_exec_$1_netstat_-W_-neopa"; }
# ss state names as printed by ss; netstat names as printed by net-tools
declare -A SS_NAME=([established]=ESTAB [syn-sent]=SYN-SENT [syn-recv]=SYN-RECV [fin-wait-1]=FIN-WAIT-1
  [fin-wait-2]=FIN-WAIT-2 [time-wait]=TIME-WAIT [close-wait]=CLOSE-WAIT [last-ack]=LAST-ACK
  [listening]=LISTEN [closing]=CLOSING)
declare -A NS_NAME=([established]=ESTABLISHED [syn-sent]=SYN_SENT [syn-recv]=SYN_RECV [fin-wait-1]=FIN_WAIT1
  [fin-wait-2]=FIN_WAIT2 [time-wait]=TIME_WAIT [close-wait]=CLOSE_WAIT [last-ack]=LAST_ACK
  [listening]=LISTEN [closing]=CLOSING)
EXP=$D/EXPECTED.tsv
{
  printf 'netns\tmetric\tlive_ss\tss_-peaonmi\tnetstat_-W_-neopa\n'
  for ns in host blue red; do
    sf=$(ssfile $ns); nf=$(nsfile $ns)
    while read -r n m v; do
      [[ $n == "$ns" ]] || continue
      case $m in
        tcp.total)
          a=$(awk '$1 == "tcp"' "$sf" | wc -l)
          b=$(awk '$1 == "tcp" || $1 == "tcp6"' "$nf" | wc -l) ;;
        udp.total)
          a=$(awk '$1 == "udp"' "$sf" | wc -l)
          b=$(awk '$1 == "udp" || $1 == "udp6"' "$nf" | wc -l) ;;
        tcp.*)
          st=${m#tcp.}
          a=$(awk -v s="${SS_NAME[$st]}" '$1 == "tcp" && $2 == s' "$sf" | wc -l)
          b=$(awk -v s="${NS_NAME[$st]}" '($1 == "tcp" || $1 == "tcp6") && $6 == s' "$nf" | wc -l) ;;
      esac
      printf '%s\t%s\t%s\t%s\t%s\n' "$ns" "$m" "$v" "$a" "$b"
    done <<<"$after"
  done
} >"$EXP"
awk -F'\t' 'NR > 1 && ($3 != $4 || $3 != $5) {print "mismatch: " $0; bad = 1} END {exit bad}' "$EXP" >&2 ||
  die "file counts differ from live counts (see $EXP)"

# ------------------------------------------------------------ facts for README
{
  echo "sos_version|$(sed -n 's/^sosreport: //p' "$TREE/version.txt")"
  echo "sos_package|$(dpkg-query -W -f '${Package} ${Version}' sosreport 2>/dev/null)"
  echo "sos_command|$SOSCMD"
  echo "sos_seconds|$((t1 - t0))"
  echo "tree_name|$(basename "$TREE")"
  echo "manifest_json_bytes|$(stat -c %s "$TREE/sos_reports/manifest.json")"
  echo "sos_pid_dir|proc/$SOSPID"
  echo "hostname|$(cat "$OUT/sos_commands/host/hostname")"
  echo "hostname_-f|$(head -1 "$OUT/sos_commands/host/hostname_-f")"
  echo "date|$(cat "$OUT/sos_commands/date/date")"
  echo "date_--utc|$(cat "$OUT/sos_commands/date/date_--utc")"
  echo "ip_netns|$(tr '\n' ';' <"$NW/ip_netns")"
  echo "kernel|$(uname -r)"
  echo "os|$(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "iproute2|$(ss -V | sed 's/.*iproute2-//')"
  echo "net-tools|$(netstat -V 2>&1 | head -1)"
  echo "sysctl_lines|$(wc -l <"$OUT/sos_commands/kernel/sysctl_-a")"
  echo "conntrack_rows|$(wc -l <"$OUT/proc/net/nf_conntrack")"
  echo "conntrack_tcp_rows|$(awk '$3 == "tcp"' "$OUT/proc/net/nf_conntrack" | wc -l)"
  echo "sockstat_TCP|$(grep '^TCP:' "$OUT/proc/net/sockstat")"
  echo "sockstat6_TCP6|$(grep '^TCP6:' "$OUT/proc/net/sockstat6")"
  echo "proc_net_tcp_rows|$(tail -n +2 "$OUT/proc/net/tcp" | wc -l)"
  echo "proc_net_tcp6_rows|$(tail -n +2 "$OUT/proc/net/tcp6" | wc -l)"
  echo "netstat_s_established|$(awk '/connections established/ {print $1}' "$NW/netstat_-s")"
  for ns in blue red; do
    echo "netstat_s_established_$ns|$(awk '/connections established/ {print $1}' "$NW/ip_netns_exec_${ns}_netstat_-s")"
  done
  echo "ss_lines_host|$(wc -l <"$NW/ss_-peaonmi")"
  echo "tcp_tail_lines_host|$(awk 'BEGIN{n=0} /^\t/ {n++} END {print n}' "$NW/ss_-peaonmi")"
} >"$WORK/facts"
{
  echo "# symlinks in the sos tree (kept as symlinks here)"
  for l in "${LINKS[@]}"; do echo "$l"; done
  echo "# all symlinks in the original tree"
  (cd "$TREE" && find . -type l -printf '%P -> %l\n' | sort)
  echo "# networking files of the original tree"
  (cd "$TREE/sos_commands/networking" && ls -1 | grep -E '^(ss|netstat|ip_netns)' | sort)
  echo "# networking socket tables without --allow-system-changes"
  if [[ -n $TREE2 ]]; then
    (cd "$TREE2/sos_commands/networking" && ls -1 | grep -E '^(ss|netstat|ip_netns)' | sort)
    echo "# sos.log lines about ss without --allow-system-changes"
    grep -h 'ss -peaonmi' "$TREE2/sos_logs/sos.log" || true
  fi
} >"$WORK/treeinfo"
cp "$WORK/facts" "$D/FACTS.txt"
cp "$WORK/treeinfo" "$D/TREE.txt"
note "done: $(du -sh "$OUT" | cut -f1) in $OUT"
